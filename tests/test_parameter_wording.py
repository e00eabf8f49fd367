"""One wording for a bad parameter, written in one place, read alike from the library and the CLI.

The sentence "The `x` parameter of `Owner` must ...; got ... instead." is built by
``tabprep._constraints`` only; every other module declares constraints (``_parameter_constraints``,
``@validate_call``) or raises ``param_error``. The CLI parses option text and lets the library
check the value, so both name the same parameter and owner.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from tabprep.bin import KBinsDiscretizer
from tabprep.clean import Clipper, SimpleImputer
from tabprep.cli import main
from tabprep.datasets import synthetic
from tabprep.errors import ConfigError
from tabprep.handoff import to_lightgbm, to_numpy, to_xgboost
from tabprep.kernels import Vocabulary, factorize
from tabprep.pipeline import validate_params
from tabprep.sample import reservoir_sample, sample
from tabprep.scale import MinMaxScaler, RobustScaler
from tabprep.split import add_fold_column, add_split_column

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tabprep"
WORDING_HOME = PACKAGE / "_constraints.py"


def _strings_outside_docstrings(tree: ast.AST):
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_the_wording_is_written_in_one_place():
    """Docstrings may show the message (doctests do); code may not write it."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == WORDING_HOME:
            continue
        for node in _strings_outside_docstrings(ast.parse(path.read_text(), str(path))):
            if "parameter of `" in node.value:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_the_checker_sees_f_strings_and_skips_docstrings():
    tree = ast.parse('"""The `a` parameter of `B` ..."""\nx = f"The `{n}` parameter of `{o}` must"\n')
    assert [n.lineno for n in _strings_outside_docstrings(tree) if "parameter of `" in n.value] == [2]


# ---------------------------------------------------------------- the other public functions

@pytest.mark.parametrize(
    "call,param,owner",
    [
        (lambda: to_numpy(pl.DataFrame({"a": [1]}), dtype="int8"), "dtype", "to_numpy"),
        (lambda: to_numpy(pl.DataFrame({"a": [1]}), order="K"), "order", "to_numpy"),
        (lambda: to_xgboost(pl.DataFrame({"a": [1.0]}), dtype=np.int64), "dtype", "to_xgboost"),
        (lambda: to_lightgbm(pl.DataFrame({"a": [1.0]}), dtype="float16"), "dtype", "to_lightgbm"),
        (lambda: synthetic(-1), "n_rows", "synthetic"),
        (lambda: synthetic(10, seed=-1), "seed", "synthetic"),
        (lambda: synthetic(10, n_categories_lo=0), "n_categories_lo", "synthetic"),
        (lambda: synthetic(10, null_fraction=1.0), "null_fraction", "synthetic"),
        (lambda: synthetic(10, positive_rate=0), "positive_rate", "synthetic"),
        (lambda: synthetic(10, zipf_exponent=float("inf")), "zipf_exponent", "synthetic"),
        (lambda: factorize(pa.array(["a"]), order="frequency"), "order", "factorize"),
        (lambda: Vocabulary(pa.array(["a"])).encode(pa.array(["a"]), unknown=2**31), "unknown", "encode"),
        (lambda: Vocabulary(pa.array(["a"])).encode(pa.array(["a"]), null="drop"), "null", "encode"),
    ],
)
def test_bad_values_are_worded_by_the_house(call, param, owner):
    with pytest.raises(ConfigError, match=rf"^The `{param}` parameter of `{owner}` must .+; got .+ instead"):
        call()


@pytest.mark.parametrize(
    "step,message",
    [
        (Clipper(method="fixed", lower=2.0, upper=1.0),
         "The `lower` parameter of `Clipper` must be <= `upper`; got lower=2.0, upper=1.0 instead."),
        (Clipper(q_low=0.9, q_high=0.1),
         "The `q_low` parameter of `Clipper` must be <= `q_high`; got q_low=0.9, q_high=0.1 instead."),
        (MinMaxScaler(feature_range=(1, 0)),
         "The `feature_range` parameter of `MinMaxScaler` must be increasing (minimum of desired feature range "
         "must be smaller than maximum); got (1, 0) instead."),
        (RobustScaler(quantile_range=(80.0, 20.0)),
         "The `quantile_range` parameter of `RobustScaler` must satisfy 0 <= q_min <= q_max <= 100; "
         "got (80.0, 20.0) instead."),
        (KBinsDiscretizer(strategy="uniform", sketch=True),
         "The `sketch` parameter of `KBinsDiscretizer` must be False or None unless strategy='quantile' (a sketch "
         "needs strategy='quantile'); got sketch=True, strategy='uniform' instead."),
        (SimpleImputer(fill_value=float("inf")),
         "The `fill_value` parameter of `SimpleImputer` must be a finite float, a str, a bool or None; "
         "got inf instead."),
    ],
)
def test_rules_between_parameters_read_alike(step, message):
    with pytest.raises(ConfigError) as err:
        validate_params(step)
    assert str(err.value) == message


# ---------------------------------------------------------------- the CLI says what the library says

@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("wording") / "d.parquet"
    pl.DataFrame({"x": np.arange(40), "y": [0, 1] * 20}).write_parquet(path)
    return path


def _library_message(call) -> str:
    with pytest.raises(ConfigError) as err:
        call(pl.DataFrame({"x": np.arange(40), "y": [0, 1] * 20}))
    return str(err.value)


@pytest.mark.parametrize(
    "argv,call",
    [
        (["split", "--ratios", "0.8,0.8"], lambda df: add_split_column(df, (0.8, 0.8))),
        (["split", "--ratios", "1"], lambda df: add_split_column(df, (1.0,))),
        (["split", "--ratios", "0.5,0.5", "--per-split"], None),  # valid: no error (below)
        (["split", "--folds", "1"], lambda df: add_fold_column(df, 1, name="fold")),
        (["split", "--folds", "200"], lambda df: add_fold_column(df, 200, name="fold")),
        (["split", "--by", "y", "--bins", "1"], lambda df: add_split_column(df, strategy="stratified", by="y", bins=1)),
        (["sample", "--n", "-1"], lambda df: sample(df, -1)),
        (["sample", "--frac", "1.5"], lambda df: sample(df, frac=1.5)),
        (["sample", "--frac", "nan"], lambda df: sample(df, frac=float("nan"))),
        (["sample", "--n", "0", "--reservoir"], lambda df: reservoir_sample(df, 0)),
        (["sample", "--n", "3", "--reservoir", "--batch-size", "0"], lambda df: reservoir_sample(df, 3, batch_size=0)),
    ],
)
def test_cli_and_library_word_a_bad_value_alike(argv, call, data_file, tmp_path, capsys):
    out = tmp_path / "o.parquet"
    code = main([argv[0], str(data_file), "-o", str(out), *argv[1:]])
    err = capsys.readouterr().err
    if call is None:
        assert code == 0 and err == ""
        return
    assert code == 2 and not out.exists()
    assert err == f"tabprep: error: {_library_message(call)}\n"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["split", "--ratios", "0.8,x"], "argument --ratios: expected numbers separated by commas, got '0.8,x'"),
        (["split", "--folds", "two"], "argument --folds: expected an integer, got 'two'"),
        (["sample", "--frac", "half"], "argument --frac: expected a number, got 'half'"),
        (["sample", "--n", "1e3"], "argument --n: expected an integer, got '1e3'"),
    ],
)
def test_text_that_is_no_value_is_a_cli_message(argv, message, data_file, tmp_path, capsys):
    assert main([argv[0], str(data_file), "-o", str(tmp_path / "o.parquet"), *argv[1:]]) == 2
    assert message in capsys.readouterr().err


def test_the_message_names_the_library_parameter():
    message = _library_message(lambda df: add_split_column(df, (0.8, 0.8)))
    assert re.match(r"The `ratios` parameter of `add_split_column` must sum to 1; got \(0\.8, 0\.8\) \(sum 1\.6\)", message)
