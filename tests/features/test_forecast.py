"""LagFeatures / WindowFeatures against a brute-force reference (ties in time, entities, nulls),
against feature-engine where the operations coincide, and as pipeline steps."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.forecast import lag_ref, row_window_ref, time_window_ref
from tabprep import Pipeline, load
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.features import LagFeatures, WindowFeatures
from tabprep.features._forecast import WINDOW_FUNCTIONS


def _close(got, want):
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        if w is None:
            assert g is None, (i, g, w)
        else:
            assert g is not None and math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-7), (i, g, w)


@st.composite
def frames(draw, max_rows=30):
    n = draw(st.integers(0, max_rows))
    keys = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    times = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))  # few values: many ties
    values = draw(st.lists(st.one_of(st.none(), st.just(math.nan), st.integers(-5, 5).map(float)),
                           min_size=n, max_size=n))
    return keys, times, values


def _frame(keys, times, values):
    return pl.DataFrame({"k": keys, "t": times, "v": values}, schema={"k": pl.Int64, "t": pl.Int64, "v": pl.Float64})


@settings(max_examples=60, deadline=None)
@given(frames(), st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True), st.booleans(), st.booleans())
def test_lags_match_the_brute_force_reference(data, periods, with_by, with_time):
    keys, times, values = data
    df = _frame(keys, times, values)
    step = LagFeatures(variables="v", periods=periods, by="k" if with_by else None, time="t" if with_time else None)
    if df.height == 0:
        return
    out = step.fit_transform(df)
    ref_keys = keys if with_by else [0] * len(keys)
    for p in periods:
        _close(out[f"v_lag_{p}"].to_list(), lag_ref(ref_keys, times if with_time else None, values, p))
    assert out.columns == ["k", "t", "v", *[f"v_lag_{p}" for p in periods]]


@settings(max_examples=60, deadline=None)
@given(frames(), st.integers(1, 4), st.integers(1, 3), st.one_of(st.none(), st.integers(0, 4)),
       st.lists(st.sampled_from(WINDOW_FUNCTIONS), min_size=1, max_size=3, unique=True))
def test_row_windows_match_the_brute_force_reference(data, window, periods, min_periods, functions):
    keys, times, values = data
    df = _frame(keys, times, values)
    if df.height == 0 or (min_periods or 0) > window:  # refused, as pandas does (tested below)
        return
    out = WindowFeatures(variables="v", window=window, periods=periods, min_periods=min_periods,
                         functions=functions, by="k", time="t").fit_transform(df)
    for f in functions:
        _close(out[f"v_window_{window}_{f}"].to_list(),
               row_window_ref(keys, times, values, window, f, periods, min_periods))


@settings(max_examples=60, deadline=None)
@given(frames(), st.integers(1, 4), st.one_of(st.none(), st.integers(0, 3)),
       st.lists(st.sampled_from(WINDOW_FUNCTIONS), min_size=1, max_size=3, unique=True))
def test_time_windows_see_strictly_earlier_rows_only(data, width, min_periods, functions):
    keys, times, values = data
    df = _frame(keys, times, values)
    if df.height == 0:
        return
    out = WindowFeatures(variables="v", window=f"{width}i", min_periods=min_periods, functions=functions,
                         by="k", time="t").fit_transform(df)
    for f in functions:
        _close(out[f"v_window_{width}i_{f}"].to_list(), time_window_ref(keys, times, values, width, f, min_periods))


def test_unsorted_rows_give_the_values_of_the_sorted_rows_in_input_order():
    rng = np.random.default_rng(3)
    n = 500
    df = pl.DataFrame({"k": rng.integers(0, 7, n), "t": rng.permutation(n), "v": rng.normal(size=n)})
    steps = [LagFeatures(variables="v", periods=[1, 3], by="k", time="t"),
             WindowFeatures(variables="v", window=[3, "20i"], functions=["mean", "std"], by="k", time="t")]
    for step in steps:
        shuffled = step.fit_transform(df)
        ordered = step.fit_transform(df.sort("t"))
        assert shuffled.sort("t").equals(ordered)


def test_zoned_datetimes_across_a_dst_change():
    # Europe/Paris went from UTC+1 to UTC+2 at 2024-03-31 02:00 local: that calendar day has 23 hours
    utc = [dt.datetime(2024, 3, 30, 11, 30), dt.datetime(2024, 3, 31, 11, 0)]
    df = pl.DataFrame({"t": utc, "v": [1.0, 2.0]}).with_columns(
        pl.col("t").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Paris"))
    out = WindowFeatures(variables="v", window=["1d", "24h"], functions="sum", time="t").fit_transform(df)
    # local times 30th 12:30 and 31st 13:00. "1d" is the calendar day back, [30th 13:00, ...):
    # 23 hours, so the first row is out; "24h" is absolute, [30th 11:00 UTC, ...): it is in
    assert out["v_window_1d_sum"].to_list() == [None, None]
    hours = [(t - utc[0]).total_seconds() / 3600 for t in utc]
    assert out["v_window_24h_sum"].to_list() == time_window_ref([0, 0], hours, [1.0, 2.0], 24, "sum") == [None, 1.0]


def _daily(n=40, seed=0):
    rng = np.random.default_rng(seed)
    day = pd.date_range("2024-01-01", periods=n, freq="D")
    x = rng.normal(size=n)
    y = rng.integers(0, 9, n).astype(float)
    return day, x, y


# feature-engine calls sort_index(inplace=True), which pandas 3.1 deprecates (inside the peer)
FE_WARNING = "ignore::pandas.errors.Pandas4Warning"


@pytest.mark.filterwarnings(FE_WARNING)
def test_lags_agree_with_feature_engine():
    from feature_engine.timeseries.forecasting import LagFeatures as FeLag

    day, x, y = _daily()
    pdf = pd.DataFrame({"x": x, "y": y}, index=day)
    want = FeLag(variables=["x", "y"], periods=[1, 3]).fit_transform(pdf)
    got = LagFeatures(variables=["x", "y"], periods=[1, 3], time="day").fit_transform(
        pl.DataFrame({"day": day.to_numpy(), "x": x, "y": y}))
    assert got.columns[1:] == list(want.columns)
    for c in want.columns:
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy())


@pytest.mark.filterwarnings(FE_WARNING)
@pytest.mark.parametrize("window,fe_window", [(3, 3), ([2, 5], [2, 5]), ("4d", "4D")])
def test_windows_agree_with_feature_engine(window, fe_window):
    from feature_engine.timeseries.forecasting import WindowFeatures as FeWindow

    day, x, y = _daily()
    functions = ["mean", "sum", "min", "max", "std", "var", "median", "count"]
    pdf = pd.DataFrame({"x": x, "y": y}, index=day)
    want = FeWindow(variables=["x", "y"], window=fe_window, functions=functions).fit_transform(pdf)
    got = WindowFeatures(variables=["x", "y"], window=window, functions=functions, time="day").fit_transform(
        pl.DataFrame({"day": day.to_numpy(), "x": x, "y": y}))
    names = [c.replace("D_", "d_") for c in want.columns]
    assert got.columns[1:] == names
    for c, n in zip(want.columns, names):
        np.testing.assert_allclose(got[n].cast(pl.Float64).fill_null(np.nan).to_numpy(), want[c].to_numpy(),
                                   rtol=1e-12, atol=1e-12, err_msg=c)


def test_a_missing_time_is_refused_at_fit_and_transform():
    df = pl.DataFrame({"t": [1, None, 3], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="column 't'.*without a time"):
        LagFeatures(time="t").fit(df)
    step = LagFeatures(time="t").fit(df.drop_nulls())
    with pytest.raises(DataError, match="column 't', row 1:.*without a time"):
        step.transform(df)
    with pytest.raises(Exception, match="without a time"):
        step.transform(df.lazy()).collect()


def test_by_and_time_must_be_inputs():
    df = pl.DataFrame({"k": [1, 1], "t": [1, 2], "v": [1.0, 2.0]})
    with pytest.raises(SchemaError, match="column 'k'.*not among its input columns"):
        Pipeline([("lag", LagFeatures(by="k", time="t"), ["t", "v"])]).fit(df)
    with pytest.raises(SchemaError, match="column 't'.*dates, datetimes or integers"):
        LagFeatures(time="t").fit(df.with_columns(pl.col("t").cast(pl.String)))


@pytest.mark.parametrize("step,message", [
    (LagFeatures(periods=[1, 1]), "`periods` parameter of `LagFeatures` must hold no value twice"),
    (LagFeatures(periods=0), "`periods` parameter of `LagFeatures` must be"),
    (WindowFeatures(window="3 days"), "`window` parameter of `WindowFeatures` must be an int >= 1, a Polars duration"),
    (WindowFeatures(window="3d"), "`window` parameter of `WindowFeatures` must be a row count when `time` is None"),
    (WindowFeatures(window="3d", time="t", periods=2), "`periods` parameter of `WindowFeatures` must be 1"),
    (WindowFeatures(window=[2, 4], min_periods=3), "`min_periods` parameter of `WindowFeatures` must be <= every"),
    (WindowFeatures(functions=["mean", "mode"]), "`functions` parameter of `WindowFeatures` must be one of"),
])
def test_bad_parameters_are_worded_by_the_house(step, message):
    with pytest.raises(ConfigError, match=message):
        step.fit(pl.DataFrame({"t": [1, 2], "v": [1.0, 2.0]}))


def test_in_a_pipeline_lazy_saved_and_loaded(tmp_path):
    rng = np.random.default_rng(5)
    n = 300
    df = pl.DataFrame({"k": rng.integers(0, 5, n), "t": rng.integers(0, 50, n), "v": rng.normal(size=n),
                       "w": rng.integers(0, 3, n)})
    pipe = Pipeline([("lag", LagFeatures(variables=["v", "w"], periods=[1, 2], by="k", time="t"), ["k", "t", "v", "w"]),
                     ("win", WindowFeatures(variables="v", window=[4, "10i"], functions=["mean", "max", "count"],
                                            by="k", time="t", drop_original=True), ["k", "t", "v"])])
    fitted = pipe.fit(df)
    out = fitted.transform(df)
    assert out.columns == ["k", "t", "w", "v_lag_1", "w_lag_1", "v_lag_2", "w_lag_2",
                           "v_window_4_mean", "v_window_4_max", "v_window_4_count",
                           "v_window_10i_mean", "v_window_10i_max", "v_window_10i_count"]
    lazy = fitted.transform(df.lazy())
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(out)
    again = load(fitted.save(tmp_path / "m"))
    assert again.fingerprint == fitted.fingerprint and again.transform(df).equals(out)
    _close(out["v_window_10i_mean"].to_list(), time_window_ref(df["k"].to_list(), df["t"].to_list(),
                                                               df["v"].to_list(), 10, "mean"))
