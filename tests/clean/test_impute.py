"""SimpleImputer agrees with scikit-learn's SimpleImputer; nulls and NaNs are both missing."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest
import sklearn.impute as ski
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from oracles.stats import most_frequent_ref
from tabprep import Pipeline
from tabprep.clean import SimpleImputer
from tabprep.errors import ConfigError, SchemaError

data = arrays(
    np.float64,
    st.tuples(st.integers(1, 25), st.integers(1, 3)),
    # few distinct values so most_frequent has ties to break
    elements=st.one_of(st.sampled_from([-1.0, 0.0, 0.5, 2.0, 7.0]), st.floats(-100, 100), st.just(math.nan)),
)
PARAMS = [
    {"strategy": "mean"},
    {"strategy": "median"},
    {"strategy": "most_frequent"},
    {"strategy": "constant", "fill_value": -9.0},
    {"strategy": "mean", "add_indicator": True},
    {"strategy": "median", "keep_empty_features": True},
    {"strategy": "most_frequent", "keep_empty_features": True, "add_indicator": True},
    {"strategy": "constant", "fill_value": 3.0, "keep_empty_features": True},
]


def _sk(params, X):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", (RuntimeWarning, UserWarning))
        imp = ski.SimpleImputer(**params).fit(X)
        return imp, imp.transform(X)


def _ours(params, source):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipping features without any observed values", UserWarning)
        imp = SimpleImputer(**params).fit(source)
    return imp, imp.transform(source)


@pytest.mark.parametrize("params", PARAMS, ids=[str(p) for p in PARAMS])
@settings(max_examples=40, deadline=None)
@given(X=data)
def test_matches_sklearn_on_arrays_and_frames(params, X):
    sk, want = _sk(params, X)
    frame = pl.from_numpy(X, schema=[f"c{i}" for i in range(X.shape[1])], orient="row")
    # the same missing cells as NaN (array), as null, and half of each (frame)
    nullified = frame.with_columns(pl.all().fill_nan(None))
    mixed = frame.with_columns(pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.all().fill_nan(None)).otherwise(pl.all()).name.keep())
    for source in (X, frame, nullified, mixed):
        ours, out = _ours(params, source)
        stats = ours.statistics_.astype(np.float64)
        assert_allclose(stats, sk.statistics_.astype(np.float64), rtol=1e-12, equal_nan=True)
        names = [f"x{i}" for i in range(X.shape[1])] if isinstance(source, np.ndarray) else list(frame.columns)
        assert list(ours.get_feature_names_out()) == list(sk.get_feature_names_out(names))
        if want.shape[1] == 0 and not isinstance(out, np.ndarray):
            assert out.width == 0  # every feature dropped; a frame without columns has no rows
            continue
        got = out if isinstance(out, np.ndarray) else out.to_numpy().astype(np.float64)
        assert got.shape == want.shape
        assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_median_and_most_frequent_are_exact():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 7, size=(1000, 2)).astype(np.float64)
    X[rng.random(X.shape) < 0.3] = np.nan
    for strategy in ("median", "most_frequent"):
        assert_array_equal(SimpleImputer(strategy=strategy).fit(X).statistics_,
                           ski.SimpleImputer(strategy=strategy).fit(X).statistics_)


def test_strings_most_frequent_and_constant():
    df = pl.DataFrame({"s": ["b", None, "a", "b", "a", None], "c": pl.Series(["u", "v", None, "v", "u", "u"], dtype=pl.Categorical)})
    imp = SimpleImputer(strategy="most_frequent").fit(df)
    assert list(imp.statistics_) == [most_frequent_ref(df["s"].to_list()), "u"]  # tie a/b -> "a"
    out = imp.transform(df)
    assert out["s"].to_list() == ["b", "a", "a", "b", "a", "a"]
    assert out.schema == df.schema
    X = df.to_numpy()
    sk = ski.SimpleImputer(strategy="most_frequent", missing_values=None).fit(X)
    assert list(sk.statistics_) == list(imp.statistics_)
    const = SimpleImputer(strategy="constant").fit(df)
    assert list(const.statistics_) == ["missing_value", "missing_value"]
    assert const.transform(df)["s"].null_count() == 0


def test_integer_columns():
    df = pl.DataFrame({"i": [1, None, 4, 4]})
    assert SimpleImputer().fit_transform(df).schema["i"] == pl.Float64
    assert SimpleImputer().fit_transform(df)["i"].to_list() == [1.0, 3.0, 4.0, 4.0]
    mf = SimpleImputer(strategy="most_frequent").fit_transform(df)
    assert mf.schema["i"] == pl.Int64 and mf["i"].to_list() == [1, 4, 4, 4]
    with pytest.raises(SchemaError, match="fill_value=2.5 cannot fill a Int64 column"):
        SimpleImputer(strategy="constant", fill_value=2.5).fit(df)


def test_value_marker_missing_values():
    df = pl.DataFrame({"a": [-1, 2, -1, 4, None]})
    imp = SimpleImputer(missing_values=-1, strategy="mean", add_indicator=True).fit(df)
    assert imp.statistics_.tolist() == [3.0]
    out = imp.transform(df)
    assert out["a"].to_list() == [3.0, 2.0, 3.0, 4.0, 3.0]
    assert out["missingindicator_a"].to_list() == [True, False, True, False, True]
    X = np.array([[-1], [2], [-1], [4]], dtype=np.float64)
    assert_array_equal(SimpleImputer(missing_values=-1).fit(X).statistics_,
                       ski.SimpleImputer(missing_values=-1).fit(X).statistics_)
    with pytest.raises(SchemaError, match="both be numeric or both be strings"):
        SimpleImputer(missing_values="?").fit(df)


def test_empty_feature_is_dropped_with_a_warning_or_kept():
    df = pl.DataFrame({"a": [1.0, None], "e": pl.Series([None, None], dtype=pl.Float64)})
    with pytest.warns(UserWarning, match=r"Skipping features without any observed values: \['e'\]"):
        imp = SimpleImputer().fit(df)
    assert imp.transform(df).columns == ["a"] == list(imp.get_feature_names_out())
    keep = SimpleImputer(keep_empty_features=True).fit(df)
    assert keep.transform(df)["e"].to_list() == [0.0, 0.0]


def test_mergeable_depends_on_strategy():
    assert SimpleImputer(strategy="mean").mergeable and SimpleImputer(strategy="constant").mergeable
    assert not SimpleImputer(strategy="median").mergeable
    assert not SimpleImputer(strategy="most_frequent").mergeable


def test_invalid_parameters_read_like_the_spec():
    with pytest.raises(ConfigError) as err:
        SimpleImputer(strategy="avg").fit(pl.DataFrame({"a": [1.0]}))
    assert str(err.value) == ("The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median', "
                              "'most_frequent', 'constant'}; got 'avg' instead.")
    with pytest.raises(ConfigError, match="fill_value"):
        SimpleImputer(strategy="constant", fill_value=[1]).fit(pl.DataFrame({"a": [1.0]}))


def test_mean_on_strings_is_a_schema_error():
    with pytest.raises(SchemaError, match="column 's'"):
        SimpleImputer().fit(pl.DataFrame({"s": ["a", None]}))


def test_indicator_collision_in_pipeline_is_a_schema_error():
    df = pl.DataFrame({"a": [1.0, None], "missingindicator_a": [0, 1]})
    with pytest.raises(SchemaError, match="creates a column that already exists"):
        Pipeline([("imp", SimpleImputer(add_indicator=True), "a")]).fit(df)


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
def test_nan_in_a_list_of_strings_is_missing_like_scikit_learn(strategy):
    X = [["a", "b"], ["c", np.nan], ["a", "b"]]
    want = ski.SimpleImputer(strategy=strategy).fit_transform(X)
    got = SimpleImputer(strategy=strategy).fit_transform(X)
    assert got.tolist() == want.tolist() == [["a", "b"], ["c", "b" if strategy == "most_frequent" else "missing_value"],
                                            ["a", "b"]]


def test_a_pandas_column_mixing_strings_and_ints_is_a_data_error():
    import pandas as pd

    from tabprep.errors import DataError

    frame = pd.DataFrame({"m": ["a", 1, "b", None]})
    for step in (SimpleImputer(strategy="most_frequent"), SimpleImputer()):
        with pytest.raises(DataError, match="column 'm': a column mixes value types"):
            step.fit(frame)
