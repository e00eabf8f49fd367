"""Round-trips through every format, compression, folders/globs, columns/limit, determinism."""

from __future__ import annotations

import gzip
import math

import hypothesis.strategies as st
import polars as pl
import pyarrow.ipc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from polars.testing import assert_frame_equal

import tabprep
from tabprep.io import FORMATS, convert, read_schema, scan, write

EXT = {"csv": "csv", "parquet": "parquet", "ipc": "arrow", "ndjson": "ndjson"}


def expected_after(fmt: str, frame: pl.DataFrame) -> pl.DataFrame:
    """What a format can keep: JSON has no infinities (Polars writes them as null)."""
    if fmt == "ndjson":
        return frame.with_columns(
            pl.when(pl.col(c).is_infinite()).then(None).otherwise(pl.col(c)).alias(c)
            for c, t in frame.schema.items()
            if t.is_float()
        )
    return frame


def read_back(fmt: str, path, frame: pl.DataFrame) -> pl.DataFrame:
    # Text formats carry no dtypes: read them back with the original schema (exercises overrides).
    overrides = dict(frame.schema) if fmt in ("csv", "ndjson") else None
    return scan(path, schema_overrides=overrides).collect()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lazy", [False, True], ids=["DataFrame", "LazyFrame"])
def test_roundtrip_values_and_dtypes(tmp_path, mixed_frame, fmt, lazy):
    path = tmp_path / f"data.{EXT[fmt]}"
    frame = mixed_frame.lazy() if lazy else mixed_frame
    assert write(frame, path) == path
    assert_frame_equal(read_back(fmt, path, mixed_frame), expected_after(fmt, mixed_frame))


@pytest.mark.parametrize("fmt", ["parquet", "ipc"])
def test_binary_formats_keep_dtypes_without_help(tmp_path, mixed_frame, fmt):
    path = tmp_path / f"data.{EXT[fmt]}"
    write(mixed_frame, path)
    assert scan(path).collect_schema() == mixed_frame.schema


@pytest.mark.parametrize("src", FORMATS)
@pytest.mark.parametrize("dst", FORMATS)
def test_convert_every_pair(tmp_path, mixed_frame, src, dst):
    src_path = tmp_path / f"in.{EXT[src]}"
    dst_path = tmp_path / f"out.{EXT[dst]}"
    write(mixed_frame, src_path)
    overrides = dict(mixed_frame.schema) if src in ("csv", "ndjson") else None
    convert(src_path, dst_path, schema_overrides=overrides)
    want = expected_after(dst, expected_after(src, mixed_frame))
    assert_frame_equal(read_back(dst, dst_path, mixed_frame), want)


def test_explicit_format_overrides_extension(tmp_path, mixed_frame):
    path = tmp_path / "data.bin"
    write(mixed_frame, path, format="parquet")
    assert pq.ParquetFile(path).metadata.num_rows == mixed_frame.height
    assert_frame_equal(scan(path, format="parquet").collect(), mixed_frame)
    assert_frame_equal(scan(path, format="PQ").collect(), mixed_frame)  # aliases, any case


@pytest.mark.parametrize("alias, ext", [("arrow", "arrow"), ("feather", "feather"), ("ipc", "ipc"), ("jsonl", "jsonl")])
def test_extension_aliases(tmp_path, mixed_frame, alias, ext):
    path = tmp_path / f"data.{ext}"
    write(mixed_frame, path)
    assert read_schema(path).format == ("ndjson" if alias == "jsonl" else "ipc")


# -- compression ---------------------------------------------------------------------------------

_MAGIC = {"gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd"}


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize("compression, suffix", [("gzip", ".gz"), ("zstd", ".zst")])
def test_text_compression_from_the_file_name(tmp_path, mixed_frame, fmt, compression, suffix):
    path = tmp_path / f"data.{fmt}{suffix}"
    write(mixed_frame, path)
    assert path.read_bytes()[:4].startswith(_MAGIC[compression])
    assert_frame_equal(read_back(fmt, path, mixed_frame), expected_after(fmt, mixed_frame))
    if compression == "gzip":  # a standard gzip stream, readable by anyone
        assert gzip.decompress(path.read_bytes()).decode().count("\n") >= mixed_frame.height


def test_text_compression_explicit(tmp_path, mixed_frame):
    path = tmp_path / "data.csv"
    write(mixed_frame, path, compression="gzip")
    assert path.read_bytes()[:2] == _MAGIC["gzip"]
    assert_frame_equal(read_back("csv", path, mixed_frame), mixed_frame)


@pytest.mark.parametrize("codec", ["zstd", "snappy", "lz4", "gzip", "brotli", "uncompressed"])
def test_parquet_codecs(tmp_path, mixed_frame, codec):
    path = tmp_path / "data.parquet"
    write(mixed_frame, path, compression=codec)
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == codec.upper()
    assert_frame_equal(scan(path).collect(), mixed_frame)


@pytest.mark.parametrize("codec", ["lz4", "zstd", "uncompressed"])
def test_ipc_codecs(tmp_path, mixed_frame, codec):
    path = tmp_path / "data.arrow"
    write(mixed_frame, path, compression=codec)
    with pyarrow.ipc.open_file(path) as reader:
        assert reader.read_all().num_rows == mixed_frame.height
    assert_frame_equal(scan(path).collect(), mixed_frame)


def test_parquet_row_group_size(tmp_path):
    path = tmp_path / "data.parquet"
    write(pl.DataFrame({"a": range(10)}), path, row_group_size=3)
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 3, 3, 1]


# -- folders, globs, lists -----------------------------------------------------------------------


@pytest.fixture
def parquet_folder(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        pl.DataFrame({"a": [i * 10, i * 10 + 1], "b": [f"p{i}"] * 2}).write_parquet(folder / f"part-{i}.parquet")
    # Things a folder scan must skip: our own in-progress temp files, Spark/Hadoop markers, notes.
    pl.DataFrame({"a": [-1], "b": ["hidden"]}).write_parquet(folder / ".part-9.parquet.abc.tmp")
    pl.DataFrame({"a": [-2], "b": ["underscore"]}).write_parquet(folder / "_tmp.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / "README").write_text("not data")
    return folder


def test_folder_of_parquet(parquet_folder):
    got = scan(parquet_folder).collect()
    assert got["a"].to_list() == [0, 1, 10, 11, 20, 21]  # sorted file order, hidden files skipped


def test_glob_of_parquet(parquet_folder):
    got = scan(str(parquet_folder / "part-*.parquet")).collect()
    assert got["a"].to_list() == [0, 1, 10, 11, 20, 21]
    assert read_schema(str(parquet_folder / "*.parquet")).row_count == 6 + 1  # glob: _tmp included, .hidden not


def test_list_of_files(parquet_folder):
    files = [parquet_folder / "part-2.parquet", parquet_folder / "part-0.parquet"]
    assert scan(files).collect()["a"].to_list() == [20, 21, 0, 1]  # a list keeps the caller's order


def test_hive_folder(tmp_path):
    for year, values in [(2023, [1, 2]), (2024, [3])]:
        sub = tmp_path / "ds" / f"year={year}"
        sub.mkdir(parents=True)
        pl.DataFrame({"v": values}).write_parquet(sub / "0.parquet")
    got = scan(tmp_path / "ds").collect().sort("v")
    assert got.columns == ["v", "year"]
    assert got["year"].to_list() == [2023, 2023, 2024]


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_names_with_glob_characters(tmp_path, mixed_frame, fmt):
    path = tmp_path / f"data[v1]*?.{EXT[fmt]}"
    write(mixed_frame, path)
    assert_frame_equal(read_back(fmt, path, mixed_frame), expected_after(fmt, mixed_frame))
    assert read_schema(path).row_count == mixed_frame.height


def test_folder_of_csv(tmp_path):
    folder = tmp_path / "csvs"
    folder.mkdir()
    for i in range(2):
        pl.DataFrame({"a": [i]}).write_csv(folder / f"{i}.csv")
    assert scan(folder).collect()["a"].to_list() == [0, 1]


# -- columns, limit ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_columns_keep_order(tmp_path, mixed_frame, fmt):
    path = tmp_path / f"data.{EXT[fmt]}"
    write(mixed_frame, path)
    got = scan(path, columns=["s", "i64"]).collect()
    assert got.columns == ["s", "i64"]
    assert got["i64"].to_list() == mixed_frame["i64"].to_list()


@pytest.mark.parametrize("limit", [0, 2, 100])
def test_convert_limit_and_columns(tmp_path, mixed_frame, limit):
    src = tmp_path / "in.parquet"
    out = tmp_path / "out.parquet"
    write(mixed_frame, src)
    convert(src, out, columns=["i64", "b"], limit=limit)
    assert_frame_equal(scan(out).collect(), mixed_frame.select("i64", "b").head(limit))


def test_scan_is_lazy_and_reads_nothing_yet(tmp_path, mixed_frame):
    path = tmp_path / "data.csv"
    write(mixed_frame, path)
    lf = scan(path)
    path.unlink()  # a lazy frame only fails when run
    assert isinstance(lf, pl.LazyFrame)
    with pytest.raises(FileNotFoundError):  # only laziness is under test here
        lf.collect()


def test_top_level_shortcuts(tmp_path, mixed_frame):
    path = tmp_path / "x.parquet"
    tabprep.write(mixed_frame, path)
    assert_frame_equal(tabprep.scan(path).collect(), mixed_frame)


# -- determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_input_same_bytes(tmp_path, fmt):
    frame = pl.DataFrame({"a": range(50_000), "b": [f"v{i % 97}" for i in range(50_000)]})
    src = tmp_path / "src.parquet"
    write(frame, src)
    a, b = tmp_path / f"a.{EXT[fmt]}", tmp_path / f"b.{EXT[fmt]}"
    convert(src, a)
    convert(src, b)
    assert a.read_bytes() == b.read_bytes()


# -- property: arbitrary text and numbers survive CSV and Parquet ---------------------------------

_text = st.one_of(st.none(), st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))
_float = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(_text, _float, st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))), max_size=20))
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_property_roundtrip(tmp_path, fmt, data):
    frame = pl.DataFrame(data, schema={"s": pl.String, "f": pl.Float64, "i": pl.Int64}, orient="row")
    path = tmp_path / f"p.{fmt}"
    write(frame, path, fsync=False)
    got = scan(path, schema_overrides=dict(frame.schema) if fmt == "csv" else None).collect()
    assert got.height == frame.height
    assert got["s"].to_list() == frame["s"].to_list()
    assert got["i"].to_list() == frame["i"].to_list()
    for x, y in zip(got["f"].to_list(), frame["f"].to_list(), strict=True):
        assert (x is None and y is None) or x == y or (math.isinf(x) and x == y)


@pytest.mark.parametrize("ext", ["parquet", "arrow"])
def test_output_bytes_do_not_depend_on_the_thread_count(tmp_path, ext):
    # Polars sizes row groups / record batches by its thread count unless told; tabprep tells it.
    import os
    import subprocess
    import sys

    src = tmp_path / "in.parquet"
    pl.DataFrame({"a": range(700_000), "b": [float(i) * 0.5 for i in range(700_000)]}).write_parquet(src)
    code = (
        "import sys\n"
        "import polars as pl\n"
        "import tabprep.io as tio\n"
        "tio.write(tio.scan(sys.argv[1]).with_columns(b2=pl.col('b') * 2), sys.argv[2])\n"
    )
    outs = []
    for threads in ("1", "4"):
        out = tmp_path / f"out{threads}.{ext}"
        env = {**os.environ, "POLARS_MAX_THREADS": threads}
        subprocess.run([sys.executable, "-c", code, str(src), str(out)], check=True, env=env)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_ndjson_keys_first_seen_late_are_kept(tmp_path):
    # Polars' default guesses the schema from 100 rows and silently drops later keys
    path = tmp_path / "late.ndjson"
    lines = ['{"a": %d}' % i for i in range(300)] + ['{"a": 300, "b": "late"}']
    path.write_text("\n".join(lines) + "\n")
    df = scan(path).collect()
    assert df.columns == ["a", "b"]
    assert df["b"].to_list()[-1] == "late" and df["b"].null_count() == 300
    out = tmp_path / "late.parquet"
    convert(path, out)
    assert pl.read_parquet(out).columns == ["a", "b"]
