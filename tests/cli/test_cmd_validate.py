"""`tabprep validate` as a real process: exit codes, table, JSON, HTML, artifact contracts, --infer."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from tabprep import Pipeline
from tabprep.encode import OneHotEncoder

CONTRACT = """
min_rows = 2
[columns.a]
dtype = "Int64"
min = 0
[columns.s]
allowed = ["x", "y"]
level = "warn"
"""


def tabprep(*args):
    return subprocess.run([sys.executable, "-m", "tabprep", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def files(tmp_path):
    pl.DataFrame({"a": [1, 2, 3, -4, 5], "s": ["x", "y", "x", "zz", None]}).write_csv(tmp_path / "d.csv")
    (tmp_path / "c.toml").write_text(CONTRACT)
    return tmp_path


def test_error_level_failure_exits_3_with_a_table(files):
    proc = tabprep("validate", files / "c.toml", files / "d.csv")
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("5 rows, 6 checks: 4 passed, 1 failed (error), 1 failed (warn)")
    assert lines[2].split()[:6] == ["error", "a", "min", "1", "20.00%", "3"]
    assert lines[3].split()[:3] == ["warn", "s", "allowed"]


def test_warnings_alone_exit_0_and_json(files):
    (files / "w.toml").write_text(CONTRACT.replace('dtype = "Int64"\nmin = 0', 'dtype = "Int64"\nmin = -10'))
    proc = tabprep("validate", files / "w.toml", files / "d.csv", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is True and out["n_warnings"] == 1
    [warn] = [r for r in out["results"] if not r["passed"]]
    assert (warn["column"], warn["rows"], warn["values"]) == ("s", [3], ["zz"])


def test_html_report_is_written(files):
    out = files / "r.html"
    proc = tabprep("validate", files / "c.toml", files / "d.csv", "-o", out)
    assert proc.returncode == 3
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "values below min 0" in text and "<script" not in text


def test_artifact_as_contract(files):
    fitted = Pipeline([("oh", OneHotEncoder(), ["s"])]).fit(pl.DataFrame({"s": ["x", "y"], "a": [1, 2]}))
    fitted.save(files / "model")
    proc = tabprep("validate", files / "model", files / "d.csv", "--json")
    assert proc.returncode == 3
    failed = {(r["column"], r["check"]): r["rows"] for r in json.loads(proc.stdout)["results"] if not r["passed"]}
    assert failed == {("s", "allowed"): [3], ("s", "nullable"): [4]}


def test_infer_then_validate(files):
    proc = tabprep("validate", files / "new.toml", files / "d.csv", "--infer")
    assert proc.returncode == 0, proc.stderr
    assert "[columns.a]" in (files / "new.toml").read_text()
    assert tabprep("validate", files / "new.toml", files / "d.csv").returncode == 0
    proc = tabprep("validate", files / "new.toml", files / "d.csv", "--infer")
    assert proc.returncode == 2 and "CONTRACT exists" in proc.stderr


def test_bad_contract_exits_2_naming_the_file(files):
    (files / "bad.toml").write_text("[columns.a]\nmin_inclusiv = true\n")
    proc = tabprep("validate", files / "bad.toml", files / "d.csv")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"tabprep: error: {files / 'bad.toml'}: columns 'a': unknown key 'min_inclusiv'")
    (files / "rx.toml").write_text('[columns.a]\nregex = "[0-9]+"\n')
    proc = tabprep("validate", files / "rx.toml", files / "d.csv")
    assert proc.returncode == 2 and "a regex check needs a string column; found Int64" in proc.stderr


def test_quiet_prints_nothing_and_keeps_the_exit_code(files):
    proc = tabprep("validate", files / "c.toml", files / "d.csv", "-q", "-o", files / "q.html")
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "", "")
    assert (files / "q.html").exists()
    (files / "w.toml").write_text(CONTRACT.replace('dtype = "Int64"\nmin = 0', 'dtype = "Int64"\nmin = -10'))
    proc = tabprep("validate", files / "w.toml", files / "d.csv", "--quiet", "--json")
    assert (proc.returncode, proc.stdout) == (0, "")
    proc = tabprep("validate", files / "new.toml", files / "d.csv", "--infer", "-q")
    assert (proc.returncode, proc.stdout) == (0, "") and (files / "new.toml").exists()
