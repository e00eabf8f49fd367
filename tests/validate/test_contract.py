"""Contracts: every check type passes and fails (failing rows asserted), TOML <-> Python, one pass."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.io.plugins import register_io_source

from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer
from tabprep.clean import SimpleImputer
from tabprep.encode import OneHotEncoder, OrdinalEncoder
from tabprep.errors import ConfigError, DataError, InvalidParameterError
from tabprep.pipeline import parse_spec
from tabprep.pipeline._validation import first_true
from tabprep.scale import StandardScaler
from tabprep.validate import (Check, Column, Contract, infer_contract, parse_contract, read_contract, validate)

DATA = pl.DataFrame({
    "age": [30, -1, 45, 200, None, 50],
    "score": [0.5, float("nan"), 0.1, 0.9, 0.2, 1.0],
    "city": ["Paris", "Lyon", "Rome", "Paris", None, "Lyon"],
    "code": ["AB12", "ab12", "CD34", "EF5", "GH78", None],
    "id": [1, 2, 3, 2, 5, 6],
    "day": [dt.date(2024, 1, d) for d in (1, 2, 3, 4, 5, 31)],
})


def result(report, column, check):
    [r] = [r for r in report.results if r.column == column and r.check == check]
    return r


CASES = [
    # (column, rule that passes, rule that fails, failing rows, their values)
    ("age", Column(nullable=True), Column(nullable=False), [4], [None]),
    ("score", Column(max_null_share=0.2), Column(max_null_share=0.1), [1], [float("nan")]),
    ("age", Column(min=-1), Column(min=0), [1], [-1]),
    ("age", Column(min=-2, min_inclusive=False), Column(min=-1, min_inclusive=False), [1], [-1]),
    ("age", Column(max=200), Column(max=100), [3], [200]),
    ("age", Column(max=201, max_inclusive=False), Column(max=200, max_inclusive=False), [3], [200]),
    ("city", Column(allowed=["Paris", "Lyon", "Rome"]), Column(allowed=["Paris", "Lyon"]), [2], ["Rome"]),
    ("code", Column(regex="[A-Za-z]+[0-9]*"), Column(regex="[A-Z]{2}[0-9]{2}"), [1, 3], ["ab12", "EF5"]),
    ("city", Column(unique=False), Column(unique=True), [0, 1, 3, 5], ["Paris", "Lyon", "Paris", "Lyon"]),
    ("id", Column(dtype="Int64"), Column(dtype="Float64"), [], []),
    ("id", Column(dtype="integer"), Column(dtype="string"), [], []),
    ("day", Column(min=dt.date(2024, 1, 1)), Column(max=dt.date(2024, 1, 5)), [5], [dt.date(2024, 1, 31)]),
]


@pytest.mark.parametrize("column, good, bad, rows, values", CASES)
def test_every_check_passes_and_fails_with_its_rows(column, good, bad, rows, values):
    check = next(k for k, v in bad.to_dict().items() if k not in ("min_inclusive", "max_inclusive")
                 and v != getattr(Column(), k))
    ok = Contract({column: good}).validate(DATA)
    assert ok.ok and not ok.failures
    report = Contract({column: bad}).validate(DATA)
    r = result(report, column, check)
    assert not r.passed and not report.ok
    assert r.rows == rows
    if check == "dtype":
        assert r.message.startswith("expected")
        return
    assert r.failed == len(rows) and r.share == pytest.approx(len(rows) / DATA.height)
    assert [v if v == v else "nan" for v in r.values] == [v if v == v else "nan" for v in values]


def test_table_checks_pass_and_fail():
    good = Contract(min_rows=6, max_rows=6, checks={"adult": Check(pl.col("age") >= 18, level="error")})
    bad = Contract(min_rows=7, checks={"adult": "age >= 40"})
    report = good.validate(DATA)
    # the row with age -1 fails; the row with a null age passes (as a SQL CHECK)
    assert [r.check for r in report.failures] == ["adult"] and report.failures[0].rows == [1]
    assert report.failures[0].values == [{"age": -1}]
    report = bad.validate(DATA)
    assert {r.check: r.rows for r in report.failures} == {"adult": [0, 1], "min_rows": []}
    assert result(report, None, "min_rows").message == "6 rows, at least 7 expected"
    assert result(Contract(max_rows=5).validate(DATA), None, "max_rows").message == "6 rows, at most 5 expected"
    assert Contract(checks={"adult": "age >= -5"}, min_rows=0).validate(DATA).ok


def test_levels_warn_alone_keeps_ok():
    report = Contract({"age": Column(min=0, max=100, levels={"max": "warn"})}).validate(DATA)
    assert [(r.check, r.level) for r in report.failures] == [("min", "error"), ("max", "warn")]
    assert not report.ok
    report = Contract({"age": Column(min=0, level="warn")}, min_rows=10, levels={"min_rows": "warn"}).validate(DATA)
    assert report.ok and len(report.warnings) == 2 and report.errors == []


def test_sample_bounds_the_rows_kept_but_not_the_count():
    df = pl.DataFrame({"x": np.arange(1000) - 500})
    r = Contract({"x": Column(min=0)}).validate(df, sample=3).failures[0]
    assert r.failed == 500 and r.rows == [0, 1, 2] and r.values == [-500, -499, -498]
    assert Contract({"x": Column(min=0)}).validate(df, sample=0).failures[0].rows == []


def test_matches_a_plain_reference_on_random_data():
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.normal(size=n)
    x[rng.random(n) < 0.05] = np.nan
    s = rng.choice(["a", "b", "c", "dd"], n)
    df = pl.DataFrame({"x": x, "s": s})
    report = Contract({"x": Column(min=-2, max=2.5, max_null_share=0.01), "s": Column(allowed=["a", "b", "c"])}
                      ).validate(df, sample=4)
    valid = ~np.isnan(x)
    below = np.flatnonzero(valid & (x < -2))
    above = np.flatnonzero(valid & (x > 2.5))
    outside = np.flatnonzero(s == "dd")
    assert result(report, "x", "min").failed == below.size and result(report, "x", "min").rows == below[:4].tolist()
    assert result(report, "x", "max").rows == above[:4].tolist()
    assert result(report, "x", "max_null_share").failed == int((~valid).sum())
    assert result(report, "s", "allowed").rows == outside[:4].tolist()
    assert result(report, "s", "allowed").failed == outside.size


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), max_size=20_000), st.integers(0, 12), st.integers(0, 3))
def test_first_true_is_numpys_first_positions(bits, k, dense):
    mask = np.array(bits, dtype=bool)
    if dense and mask.size:  # long runs of False before a few True (the doubling slices)
        mask[: mask.size * dense // 4] = False
    assert first_true(pl.Series(mask), k) == np.flatnonzero(mask)[:k].tolist()


def test_streamed_batches_give_the_in_memory_report(monkeypatch):
    from tabprep.pipeline import _validation

    rng = np.random.default_rng(5)
    n = 5_003
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    df = pl.DataFrame({"x": x, "s": rng.choice(["a", "b", "c"], n), "k": rng.integers(0, 4000, n)})
    contract = Contract({"x": Column(min=-1.5, max=1.5, max_null_share=0.05), "s": Column(allowed=["a", "b"]),
                         "k": Column(unique=True)}, checks={"c": "x < k"})
    monkeypatch.setattr(_validation, "BATCH_ROWS", 97)
    streamed = contract.validate(df.lazy(), sample=7)
    in_memory = contract.validate(df, sample=7)
    assert streamed.to_dict() == in_memory.to_dict()
    assert [r.failed for r in in_memory.results if r.check == "unique"] == [int(df["k"].is_duplicated().sum())]
    assert result(in_memory, None, "c").rows == np.flatnonzero(~(x < df["k"].to_numpy()))[:7].tolist()  # NaN < k: false


def counting_source(df):
    calls = {"scans": 0}

    def source(with_columns, predicate, n_rows, batch_size):
        calls["scans"] += 1
        frame = df if with_columns is None else df.select(with_columns)
        for start in range(0, frame.height, 1000):
            yield frame.slice(start, 1000)

    return register_io_source(source, schema=df.schema), calls


def test_all_checks_read_the_data_once():
    df = pl.DataFrame({"x": np.arange(10_000) % 97 - 3, "s": np.array(["a", "b"] * 5_000)})
    lf, calls = counting_source(df)
    contract = Contract({"x": Column(min=0, max=90, unique=True, nullable=False),
                         "s": Column(allowed=["a"], regex="[ab]")}, checks={"c": "x < 50"}, min_rows=1)
    report = contract.validate(lf)
    assert calls["scans"] == 1
    assert {(r.column, r.check) for r in report.failures} == {
        ("x", "min"), ("x", "max"), ("x", "unique"), ("s", "allowed"), (None, "c")}
    assert result(report, "x", "min").rows == [0, 1, 2, 97, 98]


def test_path_input_and_file_named(tmp_path):
    path = tmp_path / "d.parquet"
    DATA.write_parquet(path)
    report = validate(Contract({"age": Column(min=0)}), str(path))
    assert report.source == str(path) and report.failures[0].rows == [1]


# ---------------------------------------------------------------------------------------------
# bad input
def test_missing_column_fails_present_unless_optional():
    report = Contract({"nope": Column(min=0), "gone": Column(required=False)}).validate(DATA)
    [r] = report.failures
    assert (r.column, r.check, r.level, r.message) == ("nope", "present", "error", "column missing from the data")
    report = Contract(checks={"c": "nope > 1"}).validate(DATA)
    assert report.failures[0].message == "reads columns missing from the data: nope"


def test_regex_on_a_number_column_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"column 'age': a regex check needs a string column; found Int64"):
        Contract({"age": Column(regex="[0-9]+")}).validate(DATA)
    with pytest.raises(InvalidParameterError, match="The `regex` parameter of `Column` must go with a string dtype"):
        Column(dtype="Int64", regex="[0-9]+")


def test_bound_of_another_kind_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"column 'day': the `min` bound 3 \(int\) cannot be compared with a Date"):
        Contract({"day": Column(min=3)}).validate(DATA)
    with pytest.raises(ConfigError, match="the `allowed` values cannot be compared with a Int64 column"):
        Contract({"id": Column(allowed=["x"])}).validate(DATA)


def test_parameter_errors_read_like_the_spec_loader():
    with pytest.raises(InvalidParameterError) as exc:
        Column(level="fatal")
    assert str(exc.value) == "The `level` parameter of `Column` must be one of {'error', 'warn'}; got 'fatal' instead."
    with pytest.raises(ConfigError) as exc:
        parse_contract('[columns.a]\nlevel = "fatal"', path="c.toml")
    assert str(exc.value) == ("c.toml: columns 'a': The `level` parameter of `Column` must be one of "
                              "{'error', 'warn'}; got 'fatal' instead.")
    # the spec loader words a step parameter error the same way
    with pytest.raises(ConfigError) as spec_exc:
        parse_spec('[[steps]]\nname = "i"\ntype = "SimpleImputer"\nparams = { strategy = "avg" }', path="p.toml")
    assert str(spec_exc.value).startswith("p.toml: steps[0] 'i': The `strategy` parameter of `SimpleImputer` must be")
    with pytest.raises(ConfigError, match=r"c.toml: unknown key 'colums'. Hint: did you mean 'columns'\?"):
        parse_contract("[colums.a]\nmin = 1", path="c.toml")
    with pytest.raises(ConfigError, match=r"c.toml: checks 'x': `sql` must be a SQL boolean expression"):
        parse_contract("[checks.x]\nlevel = 'warn'", path="c.toml")
    with pytest.raises(ConfigError, match="invalid SQL expression"):
        Check("a <<<< b")
    with pytest.raises(InvalidParameterError, match="The `min` parameter of `Column` must be <= `max`"):
        Column(min=3, max=1)
    with pytest.raises(InvalidParameterError, match="The `min_rows` parameter of `Contract` must be <= `max_rows`"):
        Contract(min_rows=3, max_rows=1)


def test_read_contract_errors(tmp_path):
    with pytest.raises(ConfigError, match="contract file not found"):
        read_contract(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[columns\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        read_contract(tmp_path / "bad.toml")


# ---------------------------------------------------------------------------------------------
# TOML and Python are the same contract
TOML = """
description = "flights"
min_rows = 1
max_rows = 1000

[columns.age]
dtype = "Int64"
nullable = false
min = 0
max = 120
levels = { max = "warn" }

[columns.city]
allowed = ["Lyon", "Paris"]
level = "warn"

[columns.code]
regex = "[A-Z]{2}[0-9]{2}"
unique = true

[checks.old]
sql = "age < 100"
level = "warn"
"""


def test_toml_and_python_give_the_same_contract(tmp_path):
    python = Contract({"age": Column(dtype="Int64", nullable=False, min=0, max=120, levels={"max": "warn"}),
                       "city": Column(allowed=["Lyon", "Paris"], level="warn"),
                       "code": Column(regex="[A-Z]{2}[0-9]{2}", unique=True)},
                      checks={"old": Check("age < 100", level="warn")}, min_rows=1, max_rows=1000,
                      description="flights")
    parsed = parse_contract(TOML)
    assert parsed == python
    assert parse_contract(python.to_toml()) == python
    path = python.save(tmp_path / "c.toml")
    assert read_contract(path) == python
    assert parsed.validate(DATA).to_dict() == python.validate(DATA).to_dict()
    dated = Contract({"day": Column(min=dt.date(2024, 1, 1)), "ts": Column(max=dt.datetime(2024, 2, 1, 12, 30))})
    assert "min = 2024-01-01\n" in dated.to_toml() and "max = 2024-02-01T12:30:00\n" in dated.to_toml()
    assert parse_contract(dated.to_toml()) == dated
    with pytest.raises(ConfigError, match="only SQL text can be written down"):
        Contract(checks={"c": pl.col("a") > 1}).to_toml()


def test_report_forms():
    report = Contract({"age": Column(min=0), "day": Column(max=dt.date(2024, 1, 5))}).validate(DATA)
    d = report.to_dict()
    assert d["ok"] is False and d["n_errors"] == 2 and d["results"][-1]["values"] == ["2024-01-31"]
    frame = report.to_frame()
    assert frame.filter(~pl.col("passed"))["rows"].to_list() == [[1], [5]]
    text = str(report)
    assert "6 rows, 4 checks: 2 passed, 2 failed (error), 0 failed (warn)" in text and "values below min 0" in text


# ---------------------------------------------------------------------------------------------
# infer_contract and FittedPipeline.input_contract
def test_inferred_contract_accepts_its_data_and_flags_changes():
    rng = np.random.default_rng(0)
    train = pl.DataFrame({"x": rng.normal(size=1000), "n": rng.integers(0, 50, 1000),
                          "c": rng.choice(["a", "b", "c"], 1000), "u": [f"id{i}" for i in range(1000)]})
    contract = infer_contract(train)
    assert contract.validate(train).failures == []
    assert contract.columns["c"].allowed == ["a", "b", "c"]
    assert contract.columns["u"].allowed is None  # too many distinct values for an allowed set
    assert contract.columns["n"].min == 0 and contract.columns["n"].max == 54
    lo, hi = float(train["x"].min()), float(train["x"].max())
    assert contract.columns["x"].min == pytest.approx(lo - 0.1 * (hi - lo))
    new = train.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("z")).otherwise(pl.col("c")).alias("c"),
                             pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("x")).alias("x"))
    report = contract.validate(new)
    assert {(r.column, r.check, tuple(r.rows)) for r in report.failures} == {("c", "allowed", (7,)),
                                                                            ("x", "nullable", (3,))}
    with pytest.raises(InvalidParameterError, match="The `margin` parameter of `infer_contract`"):
        infer_contract(train, margin=-1.0)


def test_fitted_pipeline_emits_its_input_contract():
    train = pl.DataFrame({"c": ["a", "b", "a"], "k": [1, 2, 1], "x": [1.0, 2.0, 3.0], "id": [7, 8, 9], "y": [0, 1, 0]})
    fitted = Pipeline([("oh", OneHotEncoder(), ["c"]),
                       ("o", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["k"]),
                       ("s", StandardScaler(), ["x"])]).fit(train, "y")
    contract = fitted.input_contract()
    assert contract.columns["c"] == Column(dtype="String", nullable=False, allowed=["a", "b"])
    assert contract.columns["k"] == Column(dtype="Int64", allowed=[1, 2], levels={"allowed": "warn"})
    # the scaler refuses +-inf in its input: finite values only
    inf = float("inf")
    assert contract.columns["x"] == Column(dtype="Float64", min=-inf, min_inclusive=False, max=inf, max_inclusive=False)
    assert contract.columns["id"] == Column(dtype="Int64", required=False)
    assert "y" not in contract.columns
    assert contract.validate(train).failures == []
    new = pl.DataFrame({"c": ["a", "z", None], "k": [3, 1, 2], "x": [1, 2, 3]})
    report = contract.validate(new)
    assert {(r.column, r.check, r.level, tuple(r.rows)) for r in report.failures} == {
        ("c", "allowed", "error", (1,)), ("c", "nullable", "error", (2,)), ("k", "allowed", "warn", (0,)),
        ("x", "dtype", "error", ())}
    infinite = train.with_columns(x=pl.Series([1.0, -inf, inf]))
    assert {(r.column, r.check, tuple(r.rows), r.message) for r in contract.validate(infinite).failures} == {
        ("x", "min", (1,), "1 row: -inf values (the column must hold finite numbers)"),
        ("x", "max", (2,), "1 row: +inf values (the column must hold finite numbers)")}
    with pytest.raises(DataError, match="StandardScaler expects finite values"):
        fitted.transform(infinite)
    assert parse_contract(contract.to_toml()) == contract


def test_input_contract_asks_for_finite_values_where_a_step_refuses_infinity():
    train = pl.DataFrame({"a": [1.0, None, 3.0], "b": [1.0, 2.0, 4.0], "c": [0.5, 1.5, 2.5], "n": [1, 2, 3]})
    fitted = Pipeline([("imp", SimpleImputer(), ["a", "n"]), ("sc", StandardScaler(), ["a", "b"]),
                       ("bins", KBinsDiscretizer(n_bins=2, encode="ordinal"), ["c"])]).fit(train)
    contract = fitted.input_contract()
    # 'a', 'b', 'c': checked by the imputer, the scaler and the binner (the scaler's input 'a'
    # is the imputer's output, already finite); 'n': an integer holds no infinity
    finite = {name for name, col in contract.columns.items() if col.min == float("-inf")}
    assert finite == {"a", "b", "c"}
    assert contract.columns["n"].min is None

