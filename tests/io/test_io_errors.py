"""Clear errors: missing files, unknown extensions, bad data; and the Polars -> tabprep translation."""

from __future__ import annotations

import polars as pl
import pytest

from tabprep.errors import ConfigError, DataError, SchemaError, TabprepError
from tabprep.io import (
    DTYPE_NAMES,
    convert,
    dtype_name,
    parse_dtype,
    polars_errors,
    read_schema,
    scan,
    translate_polars_error,
    write,
)


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(ConfigError) as info:
        scan(path)
    assert str(path) in str(info.value) and "not found" in str(info.value)
    assert info.value.exit_code == 2


def test_missing_folder_is_mentioned(tmp_path):
    with pytest.raises(ConfigError, match="does not exist either"):
        scan(tmp_path / "no_dir" / "x.parquet")


def test_unknown_extension(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"whatever")
    with pytest.raises(ConfigError) as info:
        scan(path)
    msg = str(info.value)
    assert "data.xlsx" in msg and ".xlsx" in msg and "csv, parquet, ipc, ndjson" in msg


def test_unknown_output_extension(tmp_path):
    with pytest.raises(ConfigError, match="cannot tell the file format"):
        write(pl.DataFrame({"a": [1]}), tmp_path / "out.txt")
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_name():
    with pytest.raises(ConfigError, match="unknown file format"):
        scan("x.csv", format="excel")


def test_malformed_csv_value(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(200)) + "seven,y\n")
    with pytest.raises(DataError) as info:
        read_schema(path)
    err = info.value
    assert err.path == str(path) and err.column == "a" and err.row == 200 and err.found == "'seven'"
    assert "Int64" in str(err) and "a=String" in str(err)  # says what to do


def test_ragged_csv_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"r\.csv: line 3 has 3 fields but the header has 2"):
        convert(path, tmp_path / "r.parquet")


@pytest.mark.parametrize(("text", "options", "found"), [
    ("a,a,b\n1,2,3\n", {}, "'a'"),
    ("x;y;x;y;x\n1;2;3;4;5\n", {"separator": ";"}, "'x', 'y'"),
    ("# note\nk,v,k\n1,2,3\n", {"comment_prefix": "#"}, "'k'"),
])
def test_csv_header_naming_a_column_twice_is_refused(tmp_path, text, options, found):
    # Polars would read the second one as '<name>_duplicated_0', silently
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(SchemaError, match=f"d\\.csv: .*the header names .* more than once; found {found}"):
        scan(path, **options)
    with pytest.raises(SchemaError, match="more than once"):
        convert(path, tmp_path / "d.parquet", read_options=options)
    assert not (tmp_path / "d.parquet").exists()


def test_csv_columns_named_like_a_renamed_duplicate_are_read(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("a,a_duplicated_0,b\n1,2,3\n")
    assert scan(path).collect().columns == ["a", "a_duplicated_0", "b"]
    path.write_text("1,1,2\n3,4,5\n")  # no header: Polars names the columns itself
    assert scan(path, has_header=False).collect().shape == (2, 3)


def test_empty_csv(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        read_schema(path)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "c.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match=r"c\.parquet: the file is corrupt"):
        read_schema(path)


def test_parquet_files_disagree(tmp_path):
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "1.parquet")
    pl.DataFrame({"a": [1.5]}).write_parquet(tmp_path / "2.parquet")
    with pytest.raises(SchemaError) as info:
        read_schema(tmp_path)
    assert info.value.column == "a" and "Float64" in str(info.value)


def test_missing_selected_column(tmp_path):
    path = tmp_path / "x.parquet"
    pl.DataFrame({"a": [1], "b": [2]}).write_parquet(path)
    with pytest.raises(SchemaError) as info:
        scan(path, columns=["a", "zz"])
    assert info.value.column == "zz" and "available columns: a, b" in str(info.value)


def test_override_of_absent_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    with pytest.raises(SchemaError, match="schema override column not in the file"):
        scan(path, schema_overrides={"nope": "Int64"})


def test_failed_cast_of_binary_format(tmp_path):
    path = tmp_path / "x.parquet"
    pl.DataFrame({"a": ["1", "x"]}).write_parquet(path)
    with pytest.raises(DataError) as info:
        convert(path, tmp_path / "y.parquet", schema_overrides={"a": "Int32"})
    assert info.value.column == "a" and "String to Int32" in str(info.value)
    assert not (tmp_path / "y.parquet").exists()


def test_unknown_reader_and_writer_options(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    with pytest.raises(ConfigError, match="unknown csv reader option.*sepparator"):
        scan(path, sepparator=";")
    with pytest.raises(ConfigError, match="unknown parquet writer option.*bogus"):
        write(pl.DataFrame({"a": [1]}), tmp_path / "y.parquet", bogus=1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"compression": "snappy"}, "unsupported compression for csv"),
        ({"row_group_size": 10}, "row_group_size applies to parquet and ipc"),
        ({"compression": "zstd", "path": "out.csv.gz"}, "file name says gzip"),
    ],
)
def test_bad_write_options(tmp_path, kwargs, match):
    target = tmp_path / kwargs.pop("path", "out.csv")
    with pytest.raises(ConfigError, match=match):
        write(pl.DataFrame({"a": [1]}), target, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_folder_without_data(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="folder holds no data files"):
        scan(tmp_path)


def test_folder_of_mixed_formats(tmp_path):
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "1.parquet")
    pl.DataFrame({"a": [1]}).write_csv(tmp_path / "2.csv")
    with pytest.raises(ConfigError, match="several formats"):
        scan(tmp_path)
    assert scan(tmp_path, format="csv").collect()["a"].to_list() == [1]


def test_glob_without_match(tmp_path):
    with pytest.raises(ConfigError, match="no files match"):
        scan(str(tmp_path / "*.parquet"))


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(ConfigError, match="output folder does not exist"):
        write(pl.DataFrame({"a": [1]}), tmp_path / "no" / "x.parquet")


def test_write_onto_a_folder(tmp_path):
    (tmp_path / "d.parquet").mkdir()
    with pytest.raises(ConfigError, match="existing folder"):
        write(pl.DataFrame({"a": [1]}), tmp_path / "d.parquet")


def test_write_rejects_other_objects(tmp_path):
    with pytest.raises(ConfigError, match="must be a table; found list") as info:
        write([1, 2, 3], tmp_path / "x.parquet")
    assert "pandas DataFrame" in info.value.hint
    assert not list(tmp_path.iterdir())


def test_write_accepts_pyarrow_and_pandas(tmp_path):
    import pandas as pd
    import pyarrow as pa

    write(pa.table({"a": [1, 2]}), tmp_path / "a.parquet")
    write(pd.DataFrame({"a": [1, 2]}), tmp_path / "b.parquet")
    assert pl.read_parquet(tmp_path / "a.parquet")["a"].to_list() == [1, 2]
    assert pl.read_parquet(tmp_path / "b.parquet")["a"].to_list() == [1, 2]


def test_write_names_the_scanned_source(tmp_path):
    src = tmp_path / "src.csv"
    src.write_text("a\n" + "1\n" * 150 + "x\n")
    with pytest.raises(DataError) as info:
        write(scan(src), tmp_path / "o.parquet")
    assert str(src) in str(info.value)  # found from the query plan


# -- translation ---------------------------------------------------------------------------------


def test_translate_returns_none_for_bugs():
    assert translate_polars_error(ZeroDivisionError("x")) is None
    with pytest.raises(ZeroDivisionError):
        with polars_errors("f.csv"):
            raise ZeroDivisionError("a bug, not a data error")


def test_translate_passes_tabprep_errors_through():
    err = DataError("x")
    assert translate_polars_error(err) is err


@pytest.mark.parametrize(
    "make, cls, column",
    [
        (lambda: pl.LazyFrame({"a": [1]}).select("zz").collect(), SchemaError, "zz"),
        (lambda: pl.LazyFrame({"a": ["x"]}).select(pl.col("a").cast(pl.Int8)).collect(), DataError, "a"),
        (lambda: pl.DataFrame({"a": [1]}).hstack([pl.Series("a", [2])]), TabprepError, None),
    ],
)
def test_translate_polars_classes(make, cls, column):
    with pytest.raises(pl.exceptions.PolarsError) as info:
        make()
    err = translate_polars_error(info.value, path="f.parquet")
    assert isinstance(err, cls)
    assert err.column == column
    assert str(err).startswith("f.parquet")
    assert "\n" not in str(err) and "Resolved plan" not in str(err)


def test_translate_os_errors():
    err = translate_polars_error(FileNotFoundError("No such file or directory (os error 2): gone.csv"))
    assert isinstance(err, ConfigError) and err.path == "gone.csv"
    err = translate_polars_error(PermissionError(13, "Permission denied", "locked.csv"))
    assert type(err) is TabprepError and err.path == "locked.csv"


# -- dtype names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype",
    [
        pl.Int8(), pl.Int64(), pl.UInt32(), pl.Float32(), pl.Float64(), pl.String(), pl.Boolean(), pl.Date(),
        pl.Time(), pl.Binary(), pl.Categorical(), pl.Datetime("ms"), pl.Datetime("us", "UTC"),
        pl.Duration("ns"), pl.Decimal(10, 2), pl.List(pl.Int16()), pl.List(pl.Datetime("ns", "Europe/Paris")),
    ],
    ids=str,
)  # fmt: skip
def test_dtype_name_roundtrip(dtype):
    assert parse_dtype(dtype_name(dtype)) == dtype


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_every_listed_name_parses(name):
    assert parse_dtype(name) == parse_dtype(name.lower()) == parse_dtype(name.upper())


def test_unknown_dtype_lists_valid_names():
    with pytest.raises(ConfigError) as info:
        parse_dtype("Integer")
    assert "'Integer'" in str(info.value) and "Int64" in str(info.value) and "Datetime(unit" in str(info.value)
    with pytest.raises(ConfigError):
        parse_dtype("Datetime(hours)")


@pytest.mark.parametrize("fmt", ["parquet", "ipc", "csv"])
def test_scan_of_files_with_different_columns_names_both_files(tmp_path, fmt):
    # Polars fails mid-read naming one file (a polars.exceptions.SchemaError); ours says it up front
    from tabprep.io import scan, write

    write(pl.DataFrame({"a": [1], "b": [2]}), tmp_path / f"x1.{fmt}")
    write(pl.DataFrame({"a": [1], "c": [2.0]}), tmp_path / f"x2.{fmt}")
    with pytest.raises(SchemaError, match=r"do not have the same columns: .*x2\..* against .*x1\..*missing b; extra c"):
        scan(tmp_path / f"*.{fmt}")


def test_scan_of_parquet_files_with_columns_in_another_order_is_fine(tmp_path):
    from tabprep.io import scan

    pl.DataFrame({"a": [1], "b": [2]}).write_parquet(tmp_path / "x1.parquet")
    pl.DataFrame({"b": [3], "a": [4]}).write_parquet(tmp_path / "x2.parquet")
    assert scan(tmp_path / "*.parquet").collect().rows() == [(1, 2), (4, 3)]
    pl.DataFrame({"a": [1], "b": [2.5]}).write_parquet(tmp_path / "x2.parquet")
    with pytest.raises(SchemaError, match=r"other dtype b \(Int64 vs Float64\)"):
        scan(tmp_path / "*.parquet")
