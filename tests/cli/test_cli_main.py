"""The `tabprep` command in-process: dispatch, exit codes, one-line errors, --debug, versions, schema."""

from __future__ import annotations

import argparse
import json

import polars as pl
import pytest

import tabprep
from tabprep import cli
from tabprep.cli import COMMANDS, build_parser, main
from tabprep.errors import ArtifactError, ConfigError, DataError, NotFittedError, SchemaError, TabprepError


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tabprep {tabprep.__version__}"


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help(capsys, name):
    assert main([name, "--help"]) == 0
    assert f"tabprep {name}" in capsys.readouterr().out


def test_every_command_module_follows_the_contract():
    import importlib

    for name in COMMANDS:
        module = importlib.import_module(f"tabprep.cli._cmd_{name.replace('-', '_')}")
        assert callable(module.add_parser) and callable(module.run)
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == COMMANDS


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage: tabprep" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["bogus"], ["convert", "only-one-arg"], ["convert", "a.csv", "b.parquet", "--limit", "-3"], ["schema"]],
)
def test_usage_errors_are_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tabprep: error: ") and err.count("\n") == 1


# -- error -> exit code mapping, through a fake command ----------------------------------------


@pytest.fixture
def failing_command(monkeypatch):
    """Make `tabprep schema` raise whatever the test puts in `box[0]`."""
    box: list[BaseException] = []

    def run(args):
        raise box[0]

    monkeypatch.setattr("tabprep.cli._cmd_schema.run", run)
    return box


@pytest.mark.parametrize(
    "exc, code",
    [
        (ConfigError("bad option"), 2),
        (NotFittedError("not fitted"), 2),
        (DataError("bad value", path="f.csv", column="a", row=3), 3),
        (SchemaError("missing column"), 3),
        (ArtifactError("tampered"), 4),
        (TabprepError("other"), 1),
        (KeyboardInterrupt(), 130),
        (RuntimeError("a bug\nwith two lines"), 1),
    ],
)
def test_exit_codes_and_one_line(capsys, failing_command, exc, code):
    failing_command.append(exc)
    assert main(["schema", "x.parquet"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    if isinstance(exc, TabprepError):
        assert err == f"tabprep: error: {exc}\n"
    if isinstance(exc, RuntimeError):
        assert "internal error (RuntimeError: a bug with two lines)" in err and "--debug" in err


def test_polars_errors_escaping_a_command_are_translated(capsys, failing_command):
    try:
        pl.LazyFrame({"a": [1]}).select("nope").collect()
    except pl.exceptions.PolarsError as exc:
        failing_command.append(exc)
    assert main(["schema", "x.parquet"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("tabprep: error: column 'nope': column not found") and err.count("\n") == 1


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_traceback(capsys, failing_command, where):
    failing_command.append(DataError("bad value", path="f.csv"))
    argv = ["--debug", "schema", "x.parquet"] if where == "before" else ["schema", "x.parquet", "--debug"]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "DataError: f.csv: bad value" in err


def test_broken_pipe_is_quiet(capsys, failing_command, monkeypatch):
    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)
    failing_command.append(BrokenPipeError())
    assert main(["schema", "x.parquet"]) == 1
    assert capsys.readouterr().err == ""


# -- show-versions ---------------------------------------------------------------------------------


def test_show_versions(capsys):
    assert main(["show-versions"]) == 0
    out = capsys.readouterr().out
    for name in ("tabprep", "python", "polars", "pyarrow", "numpy", "numba", "scikit-learn", "cython"):
        assert any(line.split()[0] == name for line in out.splitlines() if line.strip())
    assert f"polars        {pl.__version__}" in out
    assert "compiled modules (tabprep._native)" in out


def test_show_versions_json(capsys):
    assert main(["show-versions", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["versions", "native_modules"]
    assert report["versions"]["tabprep"] == tabprep.__version__
    assert report["versions"]["polars"] == pl.__version__
    assert all(v == "ok" or v.startswith("failed: ") for v in report["native_modules"].values())


def test_show_versions_reports_a_broken_module(monkeypatch):
    import importlib

    from tabprep.cli import _cmd_show_versions as sv

    class Info:
        name, ispkg = "broken_kernel", False

    monkeypatch.setattr("pkgutil.iter_modules", lambda path: [Info()])
    real = importlib.import_module

    def fake_import(name, *a, **k):
        if name.endswith("broken_kernel"):
            raise ImportError("undefined symbol: foo")
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    assert sv.native_modules() == [("broken_kernel", "ImportError: undefined symbol: foo")]


# -- schema ----------------------------------------------------------------------------------------


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("id,name,score\n1,a,0.5\n2,,\n3,c,1.5\n")
    return path


def test_schema_table(capsys, small_csv):
    assert main(["schema", str(small_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{small_csv} (csv): 3 rows, 3 columns"
    assert lines[1].split() == ["column", "dtype", "nulls"]
    assert [line.split() for line in lines[2:]] == [["id", "Int64", "0"], ["name", "String", "1"], ["score", "Float64", "1"]]


def test_schema_json(capsys, small_csv):
    assert main(["schema", str(small_csv), "--json"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert list(doc) == ["path", "format", "row_count", "column_count", "columns"]
    assert doc["row_count"] == 3 and doc["format"] == "csv" and doc["column_count"] == 3
    assert doc["columns"][1] == {"name": "name", "dtype": "String", "null_count": 1}


def test_schema_missing_file(capsys, tmp_path):
    assert main(["schema", str(tmp_path / "nope.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tabprep: error: ") and "nope.parquet" in err and err.count("\n") == 1


def test_schema_bad_data(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a\n" + "1\n" * 120 + "x\n")
    assert main(["schema", str(path)]) == 3
    err = capsys.readouterr().err
    assert "bad.csv: column 'a', row 120: cannot parse value as Int64; found 'x'" in err and err.count("\n") == 1
