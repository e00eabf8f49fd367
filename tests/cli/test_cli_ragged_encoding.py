"""Issue 11 item 5 through the real command: CSV rows of the wrong length and non-UTF-8 input."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest


def run_tabprep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tabprep", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def ragged(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text('a,b,c\n1,"x,\ny",3\n4,5\n6,7,8\n')  # line 4 is short (line 2-3 is one quoted row)
    long = tmp_path / "long.csv"
    long.write_text("a,b,c\n1,2,3\n4,5,6,7\n9,9,9\n")
    return tmp_path, short, long


@pytest.mark.parametrize("command", ["convert", "schema", "split", "sample"])
def test_a_short_row_is_an_error_naming_file_and_line(ragged, command):
    tmp, short, _ = ragged
    out = tmp / "out.parquet"
    extra = {"convert": [str(out)], "schema": [], "split": ["-o", str(tmp / "parts")],
             "sample": ["-o", str(out), "--n", "1"]}[command]
    proc = run_tabprep(command, str(short), *extra)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith(f"tabprep: error: {short}: line 4 has 2 fields but the header has 3")
    assert "--ragged pad" in proc.stderr
    assert not out.exists() and not (tmp / "parts").exists()


def test_a_blank_line_is_named_as_blank(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("a,b\n1,2\n\n3,4\n")
    proc = run_tabprep("convert", str(path), str(tmp_path / "out.parquet"))
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"tabprep: error: {path}: line 3 is blank but the header has 2 fields")
    assert "delete the blank line, or pass --ragged pad" in proc.stderr
    assert not (tmp_path / "out.parquet").exists()
    proc = run_tabprep("convert", str(path), str(tmp_path / "out.parquet"), "--ragged", "pad")
    assert proc.returncode == 0, proc.stderr
    assert pl.read_parquet(tmp_path / "out.parquet").rows() == [(1, 2), (None, None), (3, 4)]


def test_a_long_row_names_its_line(ragged):
    tmp, _, long = ragged
    proc = run_tabprep("convert", str(long), str(tmp / "out.parquet"))
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"tabprep: error: {long}: line 3 has 4 fields but the header has 3")
    assert "--ragged truncate" in proc.stderr


def test_ragged_pad_and_truncate_report_how_many_rows(ragged):
    tmp, short, long = ragged
    out = tmp / "out.parquet"
    proc = run_tabprep("convert", str(short), str(out), "--ragged", "pad")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (f"tabprep: warning: {short}: 1 row with fewer fields than the header padded with nulls "
                           "(first at line 4)\n")
    assert pl.read_parquet(out).rows() == [(1, "x,\ny", 3), (4, "5", None), (6, "7", 8)]

    proc = run_tabprep("convert", str(long), str(out), "--ragged", "pad")  # pad does not cut
    assert proc.returncode == 3 and "line 3 has 4 fields" in proc.stderr
    proc = run_tabprep("convert", str(long), str(out), "--ragged", "truncate")
    assert proc.returncode == 0, proc.stderr
    assert "1 row with more fields than the header truncated (first at line 3)" in proc.stderr
    assert pl.read_parquet(out).rows() == [(1, 2, 3), (4, 5, 6), (9, 9, 9)]


def test_fit_reads_with_ragged(ragged):
    tmp, short, _ = ragged
    spec = tmp / "spec.toml"
    spec.write_text('[[steps]]\nname = "imp"\ntype = "SimpleImputer"\ncolumns = ["c"]\n')
    proc = run_tabprep("fit", str(spec), str(short), "-o", str(tmp / "model"), "-q")
    assert proc.returncode == 3 and "line 4 has 2 fields" in proc.stderr
    proc = run_tabprep("fit", str(spec), str(short), "-o", str(tmp / "model"), "-q", "--ragged", "pad")
    assert proc.returncode == 0, proc.stderr
    assert "1 row with fewer fields than the header padded with nulls" in proc.stderr


def test_non_utf8_names_the_line_and_offers_encoding(tmp_path):
    data = tmp_path / "latin.csv"
    data.write_bytes("name,n\nabc,1\ncafé,2\n".encode("latin-1"))
    out = tmp_path / "out.parquet"
    proc = run_tabprep("convert", str(data), str(out))
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"tabprep: error: {data}: the file is not valid UTF-8: byte 0xe9 at line 3 "
                                  "(byte offset 16)")
    assert "--encoding latin-1" in proc.stderr and not out.exists()
    proc = run_tabprep("convert", str(data), str(out), "--encoding", "latin-1")
    assert proc.returncode == 0, proc.stderr
    assert pl.read_parquet(out)["name"].to_list() == ["abc", "café"]
    proc = run_tabprep("schema", str(data), "--encoding", "utf8-lossy")
    assert proc.returncode == 0 and "2 rows" in proc.stdout
    proc = run_tabprep("convert", str(data), str(out), "--encoding", "klingon")
    assert proc.returncode == 2 and "unknown encoding 'klingon'" in proc.stderr


def test_help_lists_ragged_and_encoding():
    for command in ("convert", "fit", "transform", "split", "sample", "schema", "bench"):
        text = run_tabprep(command, "--help").stdout
        assert "--ragged {error,pad,truncate}" in text and "--encoding ENC" in text, command


def test_transform_of_a_ragged_csv_with_ragged_truncate(tmp_path):
    """transform's training-data check (a pipeline with a cross-fitted step, fitted on a file)
    fingerprints DATA's bytes; a row count the default reading refuses must not turn
    --ragged truncate back into the ragged-row error."""
    pl.DataFrame({"c": ["x", "y"] * 10, "y": [0, 1, 1, 0] * 5}).write_parquet(tmp_path / "train.parquet")
    (tmp_path / "spec.toml").write_text('target = "y"\n[[steps]]\nname = "te"\ntype = "TargetEncoder"\n'
                                        'columns = ["c"]\nparams = { cv = 2 }\n')
    assert run_tabprep("fit", str(tmp_path / "spec.toml"), str(tmp_path / "train.parquet"), "-o",
                       str(tmp_path / "m"), "-q").returncode == 0
    (tmp_path / "new.csv").write_text("c\nx\ny,extra\n")
    done = run_tabprep("transform", str(tmp_path / "m"), str(tmp_path / "new.csv"), "-o", str(tmp_path / "o.parquet"),
                       "--ragged", "truncate", "-q")
    assert done.returncode == 0, done.stderr
    assert "1 row with more fields than the header truncated" in done.stderr
    assert pl.read_parquet(tmp_path / "o.parquet").height == 2
