"""`tabprep fit` / `inspect` / `transform` in-process, on a small CSV and a TOML spec."""

from __future__ import annotations

import json
import shutil

import numpy as np
import polars as pl
import pytest

from oracles.handoff import to_numpy_reference
from tabprep.cli import main
from tabprep.errors import DataError
from tabprep.pipeline import load
from tabprep.pipeline._spec import read_spec

SPEC = """
target = "y"

[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["a", "b"]
params = { strategy = "median" }

[[steps]]
name = "scale"
type = "StandardScaler"
columns = { dtype = "numeric" }
"""


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    n = 500
    df = pl.DataFrame({
        "a": pl.Series(rng.normal(size=n)).scatter([0, 7], None),
        "b": rng.integers(0, 50, n),
        "flag": rng.random(n) < 0.5,
        "s": rng.choice(["u", "v"], n),
        "y": rng.integers(0, 2, n),
    })
    data = tmp_path / "train.csv"
    df.write_csv(data)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    return tmp_path, spec, data


def test_fit_writes_the_artifact_and_reports(files, capsys):
    tmp, spec, data = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model")]) == 0
    out, err = capsys.readouterr()
    fitted = load(tmp / "model")
    # the same as fitting from Python: spec -> Pipeline -> fit(path)
    assert fitted.fingerprint == read_spec(spec).fit(str(data)).fingerprint
    assert f"fingerprint  {fitted.fingerprint}" in out
    assert "fitted 2 steps on 500 rows of" in out and "impute  SimpleImputer on a, b" in out
    assert f"artifact     {tmp / 'model'}" in out and err == ""
    assert fitted.target == "y" and fitted.lineage["kind"] == "csv" and fitted.lineage["rows"] == 500


def test_fit_json_quiet_and_target_override(files, capsys):
    tmp, spec, data = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "m"), "--json", "--target", "flag", "--batch-size", "64"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["target"] == "flag" and info["fingerprint"] == load(tmp / "m").fingerprint
    assert [s["name"] for s in info["steps"]] == ["impute", "scale"] and set(info["seconds"]) == {"fit", "total"}
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "m"), "-q"]) == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("spec_text", "code", "message"),
    [
        (SPEC.replace('"median"', '"avg"'), 2,
         "spec.toml: steps[0] 'impute': The `strategy` parameter of `SimpleImputer` must be one of"),
        (SPEC.replace('"SimpleImputer"', '"SimpleImputr"'), 2, "did you mean 'SimpleImputer'?"),
        (SPEC.replace('["a", "b"]', '["a", "nope"]'), 3, "column 'nope': column not found"),
        (SPEC.replace('target = "y"', 'target = "nope"'), 3, "column 'nope': target column not found"),
        ("[[steps]\n", 2, "invalid TOML"),
    ],
)
def test_fit_errors_are_one_line_with_exit_codes(files, capsys, spec_text, code, message):
    tmp, spec, data = files
    spec.write_text(spec_text)
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model")]) == code
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("tabprep: error: ") and message in err and err.count("\n") == 1
    assert not (tmp / "model").exists()  # nothing half-written


def test_fit_missing_data_and_usage(files, capsys):
    tmp, spec, _ = files
    assert main(["fit", str(spec), str(tmp / "missing.csv"), "-o", str(tmp / "m")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert main(["fit", str(spec)]) == 2  # argparse usage error
    capsys.readouterr()


def test_inspect_text_json_and_tampering(files, capsys):
    tmp, spec, data = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "-q"]) == 0
    fitted = load(tmp / "model")
    assert main(["inspect", str(tmp / "model")]) == 0
    text = capsys.readouterr().out
    assert f"fingerprint  {fitted.fingerprint}" in text
    assert "1. impute  SimpleImputer(" in text and "strategy='median'" in text
    assert f"trained on   csv {data}, 500 rows, sha256 {fitted.lineage['data_fingerprint']}" in text
    assert "output       5 features: a Float64, b Float64, flag Boolean, s String, y" not in text  # target excluded
    assert "output       4 features: a Float64, b Float64, flag Boolean, s String" in text
    assert main(["inspect", str(tmp / "model"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["fingerprint"] == fitted.fingerprint and info["lineage"] == fitted.lineage
    assert info["steps"][1] == {"name": "scale", "type": "StandardScaler", "columns": ["a", "b"],
                                "params": {"copy": True, "with_mean": True, "with_std": True}, "tables": {}}
    assert info["output_schema"] == [["a", "Float64"], ["b", "Float64"], ["flag", "Boolean"], ["s", "String"]]
    manifest = tmp / "model" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"median"', '"mean"'))
    assert main(["inspect", str(tmp / "model")]) == 4
    assert "manifest checksum mismatch" in capsys.readouterr().err


def _fit(files, capsys):
    tmp, spec, data = files
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "-q"]) == 0
    capsys.readouterr()
    return tmp, load(tmp / "model"), data


def test_transform_table_and_matrix(files, capsys):
    tmp, fitted, data = _fit(files, capsys)
    argv = ["transform", str(tmp / "model"), str(data), "-o", str(tmp / "out.parquet"), "--numpy", str(tmp / "X.npy"),
            "--numpy-columns", "b,a,flag,y"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    expected = fitted.transform(pl.read_csv(data))
    table = pl.read_parquet(tmp / "out.parquet")
    assert table.equals(expected) and table.columns == ["a", "b", "flag", "s", "y"]
    X = np.load(tmp / "X.npy", allow_pickle=False)
    assert X.dtype == np.float32 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, to_numpy_reference(expected, ["b", "a", "flag", "y"]))
    assert "matrix       " in out and "500 x 4 float32 (C order)" in out
    assert sorted(p.name for p in tmp.iterdir()) == ["X.npy", "X.npy.json", "model", "out.parquet", "spec.toml",
                                                     "train.csv"]
    assert json.loads((tmp / "X.npy.json").read_text()) == {
        "columns": ["b", "a", "flag", "y"], "dtype": "float32", "order": "C", "shape": [500, 4]}


def test_transform_numeric_only_float64_fortran_json(files, capsys):
    tmp, fitted, data = _fit(files, capsys)
    argv = ["transform", str(tmp / "model"), str(data), "--numpy", str(tmp / "X.npy"), "--numeric-only",
            "--dtype", "float64", "--order", "F", "--json"]
    assert main(argv) == 0
    info = json.loads(capsys.readouterr().out)
    # the matrix holds the pipeline's features (the steps' outputs): 'flag' and 's' are only
    # passed through, so they are not features (issue 11)
    assert info["columns"] == ["a", "b"] and info["skipped"] == [] and info["shape"] == [500, 2]
    X = np.load(tmp / "X.npy")
    assert X.dtype == np.float64 and X.flags.f_contiguous
    expected = fitted.transform(pl.read_csv(data))
    np.testing.assert_array_equal(X, to_numpy_reference(expected, ["a", "b"], dtype=np.float64))


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["-o", "out.parquet", "--numpy", "X.npy", "--numpy-columns", "a,s"], 3,
         "column 's': expected a numeric or boolean column for the matrix; found String. Hint: add an encoder"),
        (["-o", "out.parquet", "--numpy", "X.npy", "--numpy-columns", "a,zz"], 3,
         "column 'zz': --numpy-columns names a column"),
        (["-o", "out.parquet", "--numpy", "X.npy", "--numpy-columns", "a", "--numeric-only"], 2, "cannot be combined"),
        ([], 2, "nothing to write"),
    ],
)
def test_transform_refuses_before_writing_anything(files, capsys, extra, code, message):
    tmp, _, data = _fit(files, capsys)
    extra = [str(tmp / e) if e.endswith((".npy", ".parquet")) else e for e in extra]
    assert main(["transform", str(tmp / "model"), str(data), *extra]) == code
    err = capsys.readouterr().err
    assert message in err
    assert not (tmp / "out.parquet").exists() and not (tmp / "X.npy").exists()


@pytest.mark.parametrize("outputs", [["-o", "o.parquet"], ["--numpy", "X.npy"], ["-o", "o.csv", "--numpy", "X.npy"]])
def test_transform_failing_inside_the_query_names_file_column_and_row(files, capsys, outputs):
    # the scaler's infinity check runs on each batch inside the lazy query, which cannot know
    # its row: the command asks the steps, and writes nothing
    tmp, fitted, data = _fit(files, capsys)
    bad = tmp / "new.csv"
    df = pl.read_csv(data)
    df.with_columns(df["a"].cast(pl.Float64).scatter(321, float("inf"))).write_csv(bad)
    argv = ["transform", str(tmp / "model"), str(bad), *[str(tmp / o) if "." in o else o for o in outputs]]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert f"{bad}: column 'a', row 321: SimpleImputer expects finite values" in err
    assert "python_udf" not in err  # no Polars expression trace
    assert sorted(p.name for p in tmp.iterdir()) == ["model", "new.csv", "spec.toml", "train.csv"]
    # the library's lazy transform: the same error from explain_failure, None on good data
    lazy = fitted.transform(pl.scan_csv(bad))
    with pytest.raises(DataError):
        lazy.collect()
    got = fitted.explain_failure(pl.scan_csv(bad))
    assert (got.column, got.row, type(got)) == ("a", 321, DataError)
    assert fitted.explain_failure(pl.scan_csv(data)) is None


def test_fit_refusing_an_infinity_names_file_column_and_row(files, capsys):
    tmp, spec, data = files
    df = pl.read_csv(data)
    df.with_columns(df["a"].cast(pl.Float64).scatter(123, float("-inf"))).write_csv(data)
    assert main(["fit", str(spec), str(data), "-o", str(tmp / "model"), "--transform-out", str(tmp / "o.parquet")]) == 3
    err = capsys.readouterr().err
    assert f"{data}: column 'a', row 123: SimpleImputer expects finite values" in err
    assert sorted(p.name for p in tmp.iterdir()) == ["spec.toml", "train.csv"]


def test_transform_unknown_category_names_file_column_and_row(tmp_path, capsys):
    train = tmp_path / "train.csv"
    pl.DataFrame({"c": ["u", "v", "w"] * 50, "d": ["p", "q"] * 75}).write_csv(train)
    spec = tmp_path / "spec.toml"
    spec.write_text('[[steps]]\nname = "oh"\ntype = "OneHotEncoder"\ncolumns = ["c"]\n'
                    'params = { sparse_output = false }\n[[steps]]\nname = "ord"\ntype = "OrdinalEncoder"\ncolumns = ["d"]\n')
    assert main(["fit", str(spec), str(train), "-o", str(tmp_path / "model"), "-q"]) == 0
    for col, row, value in [("c", 40, "zz"), ("d", 3, "r")]:
        new = tmp_path / f"new_{col}.csv"
        df = pl.read_csv(train)
        df.with_columns(df[col].scatter(row, value)).write_csv(new)
        assert main(["transform", str(tmp_path / "model"), str(new), "-o", str(tmp_path / "o.parquet")]) == 3
        err = capsys.readouterr().err
        assert f"{new}: column '{col}', row {row}: value is not in the vocabulary; found '{value}'" in err
        assert not (tmp_path / "o.parquet").exists()


def test_transform_schema_mismatch_and_bad_artifact(files, capsys):
    tmp, _, data = _fit(files, capsys)
    other = tmp / "other.csv"
    pl.read_csv(data).drop("b").write_csv(other)
    assert main(["transform", str(tmp / "model"), str(other), "-o", str(tmp / "o.parquet")]) == 3
    assert "column 'b': column missing" in capsys.readouterr().err
    shutil.rmtree(tmp / "model" / "tables")
    (tmp / "model" / "manifest.json").unlink()
    assert main(["transform", str(tmp / "model"), str(data), "-o", str(tmp / "o.parquet")]) == 4
    assert "manifest.json is missing" in capsys.readouterr().err
    assert not (tmp / "o.parquet").exists()


def test_transform_to_csv_then_numpy_keeps_the_written_dtypes(tmp_path):
    # a feature that is null in the first rows of the CSV must not come back as String
    n = 300
    train = pl.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n) % 2})
    new = pl.DataFrame({"x": pl.Series([None] * 200 + list(range(100)), dtype=pl.Float64), "y": np.arange(n) % 2})
    train.write_parquet(tmp_path / "train.parquet")
    new.write_parquet(tmp_path / "new.parquet")
    (tmp_path / "spec.toml").write_text('target = "y"\n[[steps]]\nname = "s"\ntype = "StandardScaler"\ncolumns = ["x"]\n')
    assert main(["fit", str(tmp_path / "spec.toml"), str(tmp_path / "train.parquet"), "-o", str(tmp_path / "m"), "-q"]) == 0
    assert main(["transform", str(tmp_path / "m"), str(tmp_path / "new.parquet"), "-o", str(tmp_path / "o.csv"),
                 "--numpy", str(tmp_path / "x.npy"), "--numpy-columns", "x", "-q"]) == 0
    x = np.load(tmp_path / "x.npy")
    expected = load(tmp_path / "m").transform(new)["x"].to_numpy()
    np.testing.assert_array_equal(x[:, 0], expected.astype(np.float32))


def test_handing_off_a_lazy_transform_names_the_row_of_a_failure(files, capsys):
    # to_numpy / to_torch run the lazy transform's query: a step's check failing in it cannot know
    # its row; the transform's output asks the steps (a collect of it by hand cannot)
    from tabprep.handoff import to_numpy

    tmp, fitted, data = _fit(files, capsys)
    df = pl.read_csv(data)
    bad = df.with_columns(df["a"].cast(pl.Float64).scatter(55, float("inf")))
    out = fitted.transform(bad.lazy())
    with pytest.raises(DataError, match="SimpleImputer expects finite values") as info:
        to_numpy(out, fitted.feature_columns)
    assert (info.value.column, info.value.row) == ("a", 55)
    with pytest.raises(DataError) as info:
        out.collect()
    assert info.value.row is None
    step = fitted.named_steps["scale"]
    with pytest.raises(DataError, match="StandardScaler expects finite values") as info:
        to_numpy(step.transform(bad.select("a", "b").cast(pl.Float64).lazy()))
    assert (info.value.column, info.value.row) == ("a", 55)
    assert to_numpy(fitted.transform(df.lazy()), fitted.feature_columns).shape == (500, 2)
