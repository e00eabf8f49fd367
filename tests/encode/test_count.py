"""CountEncoder: equal to category_encoders' CountEncoder where the formulas coincide; nulls, unknowns."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.encode import count_encode_ref
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabprep.encode import CountEncoder
from tabprep.errors import ConfigError, DataError
from tabprep.pipeline import Pipeline, Step


def frames(seed: int):
    rng = np.random.default_rng(seed)
    levels = ["a", "b", "c", "é", "中文"]

    def col(n, p_null):
        v = rng.choice(levels, size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05]).tolist()
        return [None if rng.random() < p_null else x for x in v]

    train = pl.DataFrame({"s": col(300, 0.1), "t": col(300, 0.0)})
    test = pl.DataFrame({"s": col(50, 0.1) + ["zz"], "t": col(50, 0.0) + ["é"]})
    return train, test


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("handle_unknown, handle_missing", [
    ("value", "value"), ("return_nan", "value"), (7, "value"), ("return_nan", "return_nan"),
])
def test_equals_category_encoders(normalize, handle_unknown, handle_missing):
    ce = pytest.importorskip("category_encoders")
    train, test = frames(0)
    ours = CountEncoder(normalize=normalize, handle_unknown=handle_unknown, handle_missing=handle_missing).fit(train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # category_encoders' own pandas deprecation warnings
        theirs = ce.CountEncoder(cols=["s", "t"], normalize=normalize, handle_unknown=handle_unknown,
                                 handle_missing=handle_missing).fit(train.to_pandas())
        expected = [theirs.transform(frame.to_pandas()) for frame in (train, test)]
    for frame, exp in zip((train, test), expected):
        got = ours.transform(frame.to_pandas())
        np.testing.assert_array_equal(got.to_numpy(dtype=float), exp.to_numpy(dtype=float))


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("handle_unknown", ["value", "return_nan", 7])
@pytest.mark.parametrize("handle_missing", ["value", "return_nan"])
def test_equals_reference(normalize, handle_unknown, handle_missing):
    train, test = frames(1)
    enc = CountEncoder(normalize=normalize, handle_unknown=handle_unknown, handle_missing=handle_missing).fit(train)
    out = enc.transform(test)
    for c in ("s", "t"):
        ref = count_encode_ref(train[c].to_list(), test[c].to_list(), normalize=normalize,
                               handle_unknown=handle_unknown, handle_missing=handle_missing)
        got = out[c].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        np.testing.assert_array_equal(got, np.array(ref, dtype=float))
    assert out.schema == enc.output_schema(test.schema)
    assert out.dtypes == [pl.Float64 if normalize else pl.Int64] * 2
    assert enc.transform(test.lazy()).collect().equals(out)


def test_numpy_and_pandas_outputs():
    train, test = frames(2)
    enc = CountEncoder(handle_unknown="return_nan").fit(train)
    arr = enc.transform(test.to_numpy())
    assert arr.dtype == np.float64 and np.isnan(arr[-1, 0])
    assert CountEncoder().fit(train).transform(test.to_numpy()).dtype == np.int64
    pdf = enc.transform(test.to_pandas())
    assert isinstance(pdf, pd.DataFrame) and list(pdf.columns) == ["s", "t"]


def test_errors_name_column_and_row():
    train = pl.DataFrame({"city": ["Oslo", "Lima", "Oslo"]})
    enc = CountEncoder(handle_unknown="error", handle_missing="error").fit(train)
    with pytest.raises(DataError) as err:
        enc.transform(pl.DataFrame({"city": ["Oslo", "Rome"]}))
    assert (err.value.column, err.value.row, err.value.found) == ("city", 1, "'Rome'")
    with pytest.raises(DataError, match="missing") as err:
        enc.transform(pl.DataFrame({"city": [None, "Oslo"]}))
    assert err.value.row == 0
    with pytest.raises(DataError, match="missing"):
        CountEncoder(handle_missing="error").fit(pl.DataFrame({"city": ["a", None]}))
    with pytest.raises(ConfigError, match="handle_unknown"):
        CountEncoder(handle_unknown="zero").fit(train)
    with pytest.raises(ConfigError, match="integer"):
        CountEncoder(handle_unknown=0.5).fit(train)


def test_streamed_fit_round_trip_and_attributes():
    train, test = frames(3)
    eager = CountEncoder(normalize=True).fit(train)
    fitted = Pipeline([("count", CountEncoder(normalize=True), None)]).fit(train, batch_size=17)
    assert fitted.transform(test).equals(eager.transform(test))
    back = Step.from_dict(eager.to_dict())
    assert back.transform(test).equals(eager.transform(test))
    assert eager.n_rows_ == 300
    assert sum(eager.counts_[0].values()) == 300 and None in eager.counts_[0]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=1, max_size=50),
       st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=20), st.booleans())
def test_property_integer_columns(train, test, normalize):
    enc = CountEncoder(normalize=normalize).fit(pl.DataFrame({"x": train}, schema={"x": pl.Int64}))
    out = enc.transform(pl.DataFrame({"x": test}, schema={"x": pl.Int64}))["x"].to_list()
    assert out == pytest.approx(count_encode_ref(train, test, normalize=normalize))


@parametrize_with_checks([CountEncoder(), CountEncoder(normalize=True, handle_unknown="return_nan")])
def test_sklearn_compatible(estimator, check):
    check(estimator)
