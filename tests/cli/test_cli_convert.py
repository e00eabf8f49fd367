"""`tabprep convert` in-process: formats, options, atomic failure, progress only on a TTY."""

from __future__ import annotations

import io
import os

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tabprep.cli import main
from tabprep.io import FORMATS

EXT = {"csv": "csv", "parquet": "parquet", "ipc": "arrow", "ndjson": "ndjson"}


@pytest.fixture
def frame():
    return pl.DataFrame({"id": [1, 2, 3, 4], "name": ["a", None, "c", "d"], "score": [0.5, 1.5, None, 2.0]})


@pytest.mark.parametrize("src", FORMATS)
@pytest.mark.parametrize("dst", FORMATS)
def test_convert_all_pairs(tmp_path, capsys, frame, src, dst):
    inp, out = tmp_path / f"in.{EXT[src]}", tmp_path / f"out.{EXT[dst]}"
    getattr(frame, f"write_{'ipc' if src == 'ipc' else src}")(inp)
    assert main(["convert", str(inp), str(out)]) == 0
    assert capsys.readouterr() == ("", "")  # silent when not on a terminal
    assert_frame_equal(getattr(pl, f"read_{dst}")(out), frame)


def test_convert_options(tmp_path, frame):
    inp, out = tmp_path / "in.csv", tmp_path / "out.bin"
    frame.write_csv(inp)
    argv = ["convert", str(inp), str(out), "--format", "parquet", "--compression", "gzip", "--row-group-size", "1",
            "--columns", "score,id", "--limit", "3", "--schema-overrides", "id=Int16,score=Float32"]  # fmt: skip
    assert main(argv) == 0
    got = pl.read_parquet(out)
    want = frame.select(pl.col("score").cast(pl.Float32), pl.col("id").cast(pl.Int16)).head(3)
    assert_frame_equal(got, want)
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(out).metadata
    assert meta.num_row_groups == 3 and meta.row_group(0).column(0).compression == "GZIP"


def test_convert_input_format_and_compressed_output(tmp_path, frame):
    inp, out = tmp_path / "in.data", tmp_path / "out.csv.gz"
    frame.write_ndjson(inp)
    assert main(["convert", str(inp), str(out), "--input-format", "jsonl", "-q"]) == 0
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert_frame_equal(pl.read_csv(out), frame)


def test_schema_overrides_with_parametrised_dtype(tmp_path):
    inp, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    inp.write_text("ts,x\n2024-01-01 10:00:00,1\n")
    assert main(["convert", str(inp), str(out), "--schema-overrides", "ts=Datetime(ms, UTC),x=Float64"]) == 0
    assert pl.read_parquet(out).schema == pl.Schema({"ts": pl.Datetime("ms", "UTC"), "x": pl.Float64})


def test_malformed_csv_leaves_nothing(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    inp.write_text("a,b\n" + "".join(f"{i},v\n" for i in range(5000)) + "not-a-number,v\n")
    out = tmp_path / "out.parquet"
    assert main(["convert", str(inp), str(out)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"tabprep: error: {inp}: column 'a', row 5000") and err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]  # no output, no temp file


def test_malformed_csv_keeps_existing_output(tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("a\n1\n2\n3,4\n")
    out = tmp_path / "out.parquet"
    out.write_bytes(b"precious")
    assert main(["convert", str(inp), str(out)]) == 3
    assert out.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.parquet"]


def test_unknown_dtype_is_a_usage_error(tmp_path, capsys, frame):
    inp = tmp_path / "in.csv"
    frame.write_csv(inp)
    assert main(["convert", str(inp), str(tmp_path / "o.parquet"), "--schema-overrides", "id=Integer"]) == 2
    err = capsys.readouterr().err
    assert "column 'id': unknown dtype" in err and "Int64" in err and "Float32" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--schema-overrides", "id"], "column=dtype pairs"),
        (["--columns", " , "], "at least one column"),
        (["--compression", "snappy", "--format", "csv"], "unsupported compression"),
        (["--format", "excel"], "unknown file format"),
        (["--row-group-size", "0"], "expected an integer >= 1"),
    ],
)
def test_bad_options(tmp_path, capsys, frame, extra, match):
    inp = tmp_path / "in.csv"
    frame.write_csv(inp)
    assert main(["convert", str(inp), str(tmp_path / "o.out"), *extra]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_missing_input(tmp_path, capsys):
    assert main(["convert", str(tmp_path / "nope.csv"), str(tmp_path / "o.parquet")]) == 2
    assert "nope.csv: input file not found" in capsys.readouterr().err


def test_missing_column(tmp_path, capsys, frame):
    inp = tmp_path / "in.parquet"
    frame.write_parquet(inp)
    assert main(["convert", str(inp), str(tmp_path / "o.csv"), "--columns", "id,zzz"]) == 3
    assert "column 'zzz': selected column not in the file" in capsys.readouterr().err


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_only_on_a_tty_and_not_quiet(tmp_path, monkeypatch, frame, quiet):
    inp, out = tmp_path / "in.parquet", tmp_path / "out.csv"
    frame.write_parquet(inp)
    fake = FakeTTY()
    monkeypatch.setattr("sys.stderr", fake)
    assert main(["convert", str(inp), str(out), *(["--quiet"] if quiet else [])]) == 0
    text = fake.getvalue()
    if quiet:
        assert text == ""
    else:
        assert f"wrote 4 rows to {out}" in text


def test_progress_bar_draws_while_running_and_clears_its_line():
    from tabprep.cli._progress import Progress

    stream = FakeTTY()
    import time

    with Progress("working", enabled=True, stream=stream, interval=0.01) as p:
        p.advance(5)
        time.sleep(0.1)
    frames = stream.getvalue().split("\r")
    assert any(f.startswith("working: 5.00 rows [") and "rows/s]" in f for f in frames)
    assert frames[-1] == "" and frames[-2].strip() == ""  # the bar's line is blanked at the end
    silent = FakeTTY()
    with Progress("working", enabled=False, stream=silent, interval=0.01) as p:
        time.sleep(0.03)
        p.done("finished")
    assert silent.getvalue() == ""
