"""DatetimeFeatures, CyclicalFeatures, DatetimeSubtraction: the numbers of feature-engine's classes
of the same names, time zones, missing values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tabprep import Pipeline, load
from tabprep.errors import ConfigError, SchemaError
from tabprep.features import CyclicalFeatures, DatetimeFeatures, DatetimeSubtraction
from tabprep.features._datetime import FEATURES_SUPPORTED

def _random_times(n=400, seed=0):
    rng = np.random.default_rng(seed)
    start = np.datetime64("2019-12-25T00:00:00")
    return (start + rng.integers(0, 5 * 366 * 86400, n).astype("timedelta64[s]")).astype("datetime64[us]")


# pandas 3.1 deprecations inside feature-engine (dayofweek, dayofyear, inplace=True)
FE_WARNINGS = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")


@FE_WARNINGS
@pytest.mark.parametrize("tz", [None, "America/New_York"])
def test_every_feature_agrees_with_feature_engine(tz):
    from feature_engine.datetime import DatetimeFeatures as FeDatetime

    t = pl.Series("t", _random_times())
    if tz:
        t = t.dt.replace_time_zone("UTC").dt.convert_time_zone(tz)
    want = FeDatetime(features_to_extract="all").fit_transform(pd.DataFrame({"t": t.to_pandas()}))
    got = DatetimeFeatures(features_to_extract="all").fit_transform(pl.DataFrame({"t": t}))
    assert got.columns == list(want.columns) == [f"t_{f}" for f in FEATURES_SUPPORTED]
    for c in want.columns:
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy().astype(np.int64), err_msg=c)


def test_dates_nulls_and_the_default_features():
    df = pl.DataFrame({"d": [dt.date(2024, 12, 31), None], "x": [1, 2]})
    out = DatetimeFeatures().fit_transform(df)
    assert out.columns == ["x", "d_month", "d_year", "d_day_of_week", "d_day_of_month", "d_hour", "d_minute", "d_second"]
    assert out.row(0) == (1, 12, 2024, 1, 31, 0, 0, 0)
    assert out.row(1) == (2, *[None] * 7)


def test_text_is_refused_with_a_hint():
    with pytest.raises(SchemaError, match="column 'd'.*Date or Datetime.*found String.*Hint: parse text first"):
        DatetimeFeatures(variables="d").fit(pl.DataFrame({"d": ["2024-01-01"]}))
    with pytest.raises(ConfigError, match="`features_to_extract` parameter of `DatetimeFeatures`"):
        DatetimeFeatures(features_to_extract=["month", "fortnight"]).fit(pl.DataFrame({"d": [dt.date(2024, 1, 1)]}))


@FE_WARNINGS
@pytest.mark.parametrize("max_values", [None, {"h": 24, "m": 12}])
def test_cyclical_features_agree_with_feature_engine(max_values):
    from feature_engine.creation import CyclicalFeatures as FeCyclical

    rng = np.random.default_rng(1)
    df = pl.DataFrame({"h": rng.integers(0, 24, 200), "m": rng.integers(1, 13, 200).astype(float)})
    want = FeCyclical(max_values=max_values).fit(df.to_pandas())
    step = CyclicalFeatures(max_values=max_values).fit(df)
    assert step.max_values_ == {k: float(v) for k, v in want.max_values_.items()}
    got = step.transform(df)
    expected = want.transform(df.to_pandas())
    assert got.columns == list(expected.columns)
    for c in expected.columns:
        np.testing.assert_allclose(got[c].to_numpy(), expected[c].to_numpy(), rtol=0, atol=0)


def test_cyclical_maximum_is_merged_across_batches():
    df = pl.DataFrame({"h": list(range(1000))})
    fitted = Pipeline([("c", CyclicalFeatures(), ["h"])]).fit(df, batch_size=7)
    assert fitted.steps[0][1].max_values_ == {"h": 999.0}


@FE_WARNINGS
@pytest.mark.parametrize("unit", ["D", "h", "s", "W"])
def test_subtraction_agrees_with_feature_engine(unit):
    from feature_engine.datetime import DatetimeSubtraction as FeSub

    a, b = _random_times(seed=2), _random_times(seed=3)
    pdf = pd.DataFrame({"a": a, "b": b})
    want = FeSub(variables=["a"], reference=["b"], output_unit=unit).fit_transform(pdf)
    got = DatetimeSubtraction(variables="a", reference="b", output_unit=unit).fit_transform(pl.from_pandas(pdf))
    np.testing.assert_allclose(got["a_sub_b"].to_numpy(), want["a_sub_b"].to_numpy(), rtol=1e-15)


def test_time_since_an_anchor_in_the_column_time_zone(tmp_path):
    t = pl.Series("t", [dt.datetime(2024, 1, 2, 6)]).dt.replace_time_zone("Asia/Tokyo")
    df = pl.DataFrame({"t": t, "u": t.dt.replace_time_zone(None)})
    fitted = Pipeline([("s", DatetimeSubtraction(anchor="2024-01-01", output_unit="h"), ["t", "u"])]).fit(df)
    out = fitted.transform(df)
    assert out.row(0)[2:] == (30.0, 30.0)  # midnight Tokyo time for t, naive midnight for u
    assert load(fitted.save(tmp_path / "m")).transform(df).equals(out)
    with pytest.raises(ConfigError, match="`anchor` parameter of `DatetimeSubtraction` must be given when"):
        DatetimeSubtraction().fit(df)
