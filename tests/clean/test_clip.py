"""Clipper bounds equal NumPy's quantiles / Tukey fences; clipping equals a naive clip."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.stats import clip_ref, quantile_ref
from tabprep.clean import Clipper
from tabprep.errors import ConfigError, SchemaError

values = st.lists(st.one_of(st.floats(-1e6, 1e6), st.none(), st.just(math.nan)), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(x=values, q=st.tuples(st.floats(0, 0.5), st.floats(0.5, 1)))
def test_quantile_bounds_are_numpy_quantiles(x, q):
    df = pl.DataFrame({"x": pl.Series(x, dtype=pl.Float64)})
    c = Clipper(method="quantile", q_low=q[0], q_high=q[1]).fit(df)
    lo, hi = quantile_ref(x, q[0]), quantile_ref(x, q[1])
    np.testing.assert_array_equal(c.lower_, [lo])
    np.testing.assert_array_equal(c.upper_, [hi])
    got = c.transform(df)["x"].to_list()
    want = x if math.isnan(lo) else clip_ref(x, lo, hi)
    assert [None if v is None else ("nan" if math.isnan(v) else v) for v in got] == \
           [None if v is None else ("nan" if math.isnan(v) else v) for v in want]


@settings(max_examples=40, deadline=None)
@given(x=values, k=st.floats(0, 3))
def test_iqr_fences(x, k):
    df = pl.DataFrame({"x": pl.Series(x, dtype=pl.Float64)})
    c = Clipper(method="iqr", k=k).fit(df)
    q1, q3 = quantile_ref(x, 0.25), quantile_ref(x, 0.75)
    np.testing.assert_array_equal(c.lower_, [q1 - k * (q3 - q1)])
    np.testing.assert_array_equal(c.upper_, [q3 + k * (q3 - q1)])


def test_fixed_bounds_keep_integers_and_float32():
    df = pl.DataFrame({"i": [-5, 0, 5], "f": pl.Series([-5.0, 0.5, 5.0], dtype=pl.Float32)})
    out = Clipper(method="fixed", lower=-1, upper=2).fit_transform(df)
    assert out.schema == df.schema
    assert out["i"].to_list() == [-1, 0, 2] and out["f"].to_list() == [-1.0, 0.5, 2.0]
    out = Clipper(method="fixed", lower=-0.5).fit_transform(df)
    assert out.schema["i"] == pl.Float64 and out["i"].to_list() == [-0.5, 0.0, 5.0]
    assert Clipper(method="quantile").fit_transform(df).schema["i"] == pl.Float64


def test_mergeable_only_for_fixed():
    assert Clipper(method="fixed", upper=1.0).mergeable
    assert not Clipper().mergeable and not Clipper(method="iqr").mergeable


@pytest.mark.parametrize("step, msg", [
    (Clipper(method="fixed"), "needs `lower` and/or `upper`"),
    (Clipper(method="fixed", lower=2.0, upper=1.0), "must be <= `upper`"),
    (Clipper(q_low=0.9, q_high=0.1), "must be <= `q_high`"),
    (Clipper(q_low=1.5), r"The `q_low` parameter of `Clipper` must be a float in the range \[0, 1\]; got 1.5"),
    (Clipper(method="winsor"), "must be one of {'quantile', 'fixed', 'iqr'}"),
])
def test_invalid_parameters(step, msg):
    with pytest.raises(ConfigError, match=msg):
        step.fit(pl.DataFrame({"a": [1.0]}))


def test_boolean_column_is_rejected():
    with pytest.raises(SchemaError, match="column 'b'"):
        Clipper().fit(pl.DataFrame({"b": [True, False]}))
