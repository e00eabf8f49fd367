"""The command line as users meet it: no target leak, the right matrix, inputs never destroyed."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tabprep import Pipeline
from tabprep.cli import main
from tabprep.encode import TargetEncoder
from tabprep.pipeline import load
from tabprep.scale import StandardScaler

SPEC = """
target = "y"

[[steps]]
name = "te"
type = "TargetEncoder"
columns = ["c"]
params = { cv = 5, random_state = 0 }

[[steps]]
name = "scale"
type = "StandardScaler"
columns = ["a"]
"""


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    df = pl.DataFrame({
        "id": np.arange(n),
        "a": rng.normal(size=n),
        "c": rng.choice([f"k{i}" for i in range(300)], n),
        "y": rng.integers(0, 2, n),  # pure noise: an honest encoding carries no signal
    })
    data = tmp_path / "train.parquet"
    df.write_parquet(data)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    return tmp_path, spec, data, df


def test_fit_transform_out_gives_the_training_rows_out_of_fold(files, capsys):
    tmp, spec, data, df = files
    argv = ["fit", str(spec), str(data), "-o", str(tmp / "model"), "--transform-out", str(tmp / "train_out.parquet"),
            "--numpy", str(tmp / "X.npy"), "-q"]
    assert main(argv) == 0
    pipe = Pipeline([("te", TargetEncoder(cv=5, random_state=0), ["c"]), ("scale", StandardScaler(), ["a"])])
    fitted, want = pipe.fit_transform(df, target="y")
    got = pl.read_parquet(tmp / "train_out.parquet")
    assert got.equals(want)
    assert load(tmp / "model").fingerprint != ""  # the artifact is written too
    side = json.loads((tmp / "X.npy.json").read_text())
    assert side["columns"] == ["a", "c"]  # features only: the id column is passed through
    np.testing.assert_array_equal(np.load(tmp / "X.npy"), want.select("a", "c").to_numpy().astype(np.float32))


def test_transform_refuses_the_training_data_of_a_cross_fitted_pipeline(files, capsys):
    tmp, spec, data, df = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "-q"]) == 0
    capsys.readouterr()
    code = main(["transform", str(tmp / "model"), str(data), "-o", str(tmp / "leak.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and "in-sample encodings" in err and "--transform-out" in err
    assert not (tmp / "leak.parquet").exists()
    # the same rows in another file are the same data
    copy = tmp / "copy.parquet"
    copy.write_bytes(data.read_bytes())
    assert main(["transform", str(tmp / "model"), str(copy), "-o", str(tmp / "leak.parquet"), "-q"]) == 2
    assert main(["transform", str(tmp / "model"), str(data), "-o", str(tmp / "leak.parquet"),
                 "--allow-training-data", "-q"]) == 0
    # new rows are fine
    df.head(100).write_parquet(tmp / "new.parquet")
    assert main(["transform", str(tmp / "model"), str(tmp / "new.parquet"), "-o", str(tmp / "new_out.parquet"),
                 "-q"]) == 0


def test_transform_matrix_holds_features_only_and_new_rows_need_no_pass_through(files, capsys):
    tmp, spec, data, df = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "-q"]) == 0
    df.head(50).drop("id", "y").write_csv(tmp / "new.csv")  # no id, no target
    assert main(["transform", str(tmp / "model"), str(tmp / "new.csv"), "--numpy", str(tmp / "X.npy"), "-q"]) == 0
    assert json.loads((tmp / "X.npy.json").read_text())["columns"] == ["a", "c"]
    assert np.load(tmp / "X.npy").shape == (50, 2)


@pytest.mark.parametrize("command", ["convert", "transform", "sample", "split"])
def test_no_command_writes_over_its_input(files, capsys, command):
    tmp, spec, data, df = files
    csv = tmp / "raw.csv"
    df.write_csv(csv)
    before = csv.read_bytes()
    (tmp / "alias.csv").symlink_to(csv)
    if command == "transform":
        assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "-q"]) == 0
    argv = {
        "convert": ["convert", str(csv), str(tmp / "alias.csv"), "--limit", "3"],
        "transform": ["transform", str(tmp / "model"), str(tmp / "*.csv"), "-o", str(csv)],
        "sample": ["sample", str(csv), "-o", str(tmp / "." / "raw.csv"), "--n", "5"],
        "split": ["split", str(csv), "-o", str(csv)],
    }[command]
    capsys.readouterr()
    assert main(argv) == 2
    assert "would overwrite an input file" in capsys.readouterr().err
    assert csv.read_bytes() == before


def test_a_failing_matrix_leaves_no_table_either(files, capsys, monkeypatch):
    tmp, spec, data, df = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "-q"]) == 0
    df.head(50).write_parquet(tmp / "new.parquet")
    import tabprep.handoff

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tabprep.handoff, "to_numpy", boom)
    code = main(["transform", str(tmp / "model"), str(tmp / "new.parquet"), "-o", str(tmp / "out.parquet"),
                 "--numpy", str(tmp / "X.npy")])
    assert code == 130
    assert sorted(p.name for p in tmp.iterdir()) == ["model", "new.parquet", "spec.toml", "train.parquet"]


TYPES_SPEC = """
[[steps]]
name = "scale"
type = "StandardScaler"
columns = ["a", "b"]
"""


@pytest.fixture
def typed(tmp_path):
    df = pl.DataFrame({"a": [0.5, 1.5, 2.5, 3.5], "b": [1.0, None, 3.0, 4.0]})
    df.write_parquet(tmp_path / "train.parquet")
    (tmp_path / "spec.toml").write_text(TYPES_SPEC)
    assert main(["fit", str(tmp_path / "spec.toml"), str(tmp_path / "train.parquet"), "-o", str(tmp_path / "model"),
                 "-q"]) == 0
    return tmp_path, load(tmp_path / "model")


def test_transform_reads_new_csv_with_the_artifacts_types(typed, capsys):
    tmp, fitted = typed
    # integers where floats were fitted, and a column with no value at all (read as String)
    (tmp / "new.csv").write_text("a,b\n1,\n2,\n")
    assert main(["transform", str(tmp / "model"), str(tmp / "new.csv"), "-o", str(tmp / "out.parquet"), "-q"]) == 0
    want = fitted.transform(pl.DataFrame({"a": [1.0, 2.0], "b": [None, None]}, schema={"a": pl.Float64, "b": pl.Float64}))
    assert pl.read_parquet(tmp / "out.parquet").equals(want)


def test_text_that_does_not_parse_names_the_row(typed, capsys):
    tmp, _ = typed
    (tmp / "new.csv").write_text("a,b\n1,2\n2,x\n")
    capsys.readouterr()
    assert main(["transform", str(tmp / "model"), str(tmp / "new.csv"), "-o", str(tmp / "out.parquet")]) == 3
    err = capsys.readouterr().err
    assert "column 'b', row 1: expected Float64 values" in err and "found 'x'" in err
    assert not (tmp / "out.parquet").exists()


def test_schema_overrides_and_hints_in_command_line_words(typed, capsys):
    tmp, _ = typed
    (tmp / "new.csv").write_text("a,b\n1,2\n2,3\n")
    capsys.readouterr()
    # read as strings on purpose, then parsed into the fitted dtypes: works
    assert main(["transform", str(tmp / "model"), str(tmp / "new.csv"), "-o", str(tmp / "o.parquet"),
                 "--schema-overrides", "a=String", "-q"]) == 0
    # an unsafe type (a Boolean for a Float64) is refused, with the fix as an option
    capsys.readouterr()
    assert main(["transform", str(tmp / "model"), str(tmp / "new.csv"), "-o", str(tmp / "o2.parquet"),
                 "--schema-overrides", "a=Boolean"]) == 3
    err = capsys.readouterr().err
    assert "column 'a': dtype differs" in err and "--schema-overrides 'a=Float64'" in err and "pl.col" not in err


def test_infer_schema_rows(tmp_path, capsys):
    # the first 100 rows are integers, a float comes later: guessing from 100 rows fails
    rows = "\n".join(["x"] + [str(i) for i in range(150)] + ["1.5"])
    (tmp_path / "d.csv").write_text(rows + "\n")
    assert main(["schema", str(tmp_path / "d.csv"), "--infer-schema-rows", "all", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["columns"][0]["dtype"] == "Float64"


def test_warnings_print_one_clean_line(monkeypatch, capsys):
    import warnings

    import tabprep.cli._cmd_schema as cmd

    def run(args):
        warnings.warn("a column has no value\nand is left out", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cmd, "run", run)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["schema", "whatever.csv"]) == 0
    assert capsys.readouterr().err == "tabprep: warning: a column has no value and is left out\n"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["fit", "transform"])
def test_sigint_from_a_script_stops_fit_and_transform_leaving_nothing(tmp_path, command):
    """A script's background job inherits an ignored SIGINT; `kill -INT` must still stop it."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    rng = np.random.default_rng(0)
    n = 3_000_000
    pl.DataFrame({"a": rng.normal(size=n), "c": rng.integers(0, 50_000, n).astype(str),
                  "y": rng.integers(0, 2, n)}).write_parquet(tmp_path / "big.parquet")
    (tmp_path / "spec.toml").write_text(SPEC.replace('columns = ["a"]', 'columns = ["a"]\n'))
    if command == "transform":
        pl.read_parquet(tmp_path / "big.parquet").head(1000).write_parquet(tmp_path / "small.parquet")
        assert main(["fit", str(tmp_path / "spec.toml"), str(tmp_path / "small.parquet"), "-o",
                     str(tmp_path / "model"), "-q"]) == 0
        argv = ["transform", str(tmp_path / "model"), str(tmp_path / "big.parquet"), "-o", str(tmp_path / "out.csv"),
                "--numpy", str(tmp_path / "X.npy")]
    else:
        argv = ["fit", str(tmp_path / "spec.toml"), str(tmp_path / "big.parquet"), "-o", str(tmp_path / "model"),
                "--transform-out", str(tmp_path / "out.csv")]
    before = sorted(p.name for p in tmp_path.iterdir())

    def writing():  # the hidden temp output of out.csv exists only while the command works
        return any(".out.csv." in p.name for p in tmp_path.iterdir())

    for _attempt in range(5):  # a run that outpaced the freeze is not a verdict: try again
        proc = subprocess.Popen([sys.executable, "-m", "tabprep", *argv], stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        deadline = time.monotonic() + 120
        while not writing() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGSTOP)  # frozen: the temp output cannot vanish meanwhile
        in_time = writing()
        if in_time:
            proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGCONT)
        _, err = proc.communicate(timeout=120)
        if in_time:
            break
        for p in tmp_path.iterdir():  # the run finished: start again from the same files
            if p.name not in before:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    else:
        pytest.fail("the command finished before it could be interrupted, five times")
    assert proc.returncode == 130 and err.endswith("tabprep: interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temp file


def test_csv_of_parquet_training_data_reads_back_into_the_fitted_types(tmp_path, capsys):
    """A pipeline fitted on Parquet (a Datetime and an Int8 pass-through column) scores the same
    rows written as CSV, which reads them as text and Int64: parsed / narrowed after a check."""
    from datetime import datetime

    df = pl.DataFrame({"a": [1.0, 2.5, 4.0], "ts": [datetime(2024, 3, 1, 12), datetime(2024, 3, 2), None],
                       "k": pl.Series([1, -3, 7], dtype=pl.Int8)})
    df.write_parquet(tmp_path / "train.parquet")
    df.write_csv(tmp_path / "new.csv")
    (tmp_path / "spec.toml").write_text('[[steps]]\nname = "s"\ntype = "StandardScaler"\ncolumns = ["a"]\n')
    assert main(["fit", str(tmp_path / "spec.toml"), str(tmp_path / "train.parquet"), "-o", str(tmp_path / "m"),
                 "-q"]) == 0
    assert main(["transform", str(tmp_path / "m"), str(tmp_path / "new.csv"), "-o", str(tmp_path / "o.parquet"),
                 "-q"]) == 0
    out = pl.read_parquet(tmp_path / "o.parquet")
    assert out.equals(load(tmp_path / "m").transform(df))
    # a value that does not fit the fitted Int8, or a date that does not parse: the row is named
    (tmp_path / "bad.csv").write_text("a,ts,k\n1.0,2024-03-01T12:00:00.000000,1\n2.0,,300\n")
    capsys.readouterr()
    assert main(["transform", str(tmp_path / "m"), str(tmp_path / "bad.csv"), "-o", str(tmp_path / "b.parquet")]) == 3
    assert "column 'k', row 1: expected Int8 values" in capsys.readouterr().err
    (tmp_path / "bad2.csv").write_text("a,ts,k\n1.0,yesterday,1\n")
    assert main(["transform", str(tmp_path / "m"), str(tmp_path / "bad2.csv"), "-o", str(tmp_path / "b.parquet")]) == 3
    assert "column 'ts', row 0: expected Datetime" in capsys.readouterr().err
    assert not (tmp_path / "b.parquet").exists()


def test_fit_counts_the_features_apart_from_the_columns_passed_through(files, capsys):
    tmp, spec, data, _ = files
    capsys.readouterr()
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model")]) == 0
    # c and a are features (the matrix holds them); id is only carried
    assert "features     2; 1 more column passed through (target 'y' carried through)" in capsys.readouterr().out
