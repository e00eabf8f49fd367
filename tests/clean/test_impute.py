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


def _fit_transform_warnings(imputer, X):
    """(fitted imputer, transform output, texts of the UserWarnings of fit and transform)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        imputer.fit(X)
        out = imputer.transform(X)
    return imputer, out, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _same_values(a, b) -> bool:
    """Equal element by element, NaN equal to NaN (object arrays of mixed values)."""
    a, b = list(np.asarray(a, dtype=object).ravel()), list(np.asarray(b, dtype=object).ravel())
    return len(a) == len(b) and all(
        (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)) or x == y
        for x, y in zip(a, b))


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("keep", [False, True])
def test_an_all_missing_pandas_object_column_is_dropped_with_a_warning_like_scikit_learn(strategy, keep):
    import pandas as pd

    other = ("c", [1.0, np.nan, 3.0, 3.0]) if strategy in ("mean", "median") else ("a", ["x", "y", "x", None])
    # NaN, not None: scikit-learn's missing_values=np.nan takes None for a value (tabprep: missing)
    frame = pd.DataFrame({other[0]: other[1], "b": pd.Series([np.nan] * 4, dtype=object)})
    params = {"strategy": strategy, "keep_empty_features": keep}
    sk, want, sk_warned = _fit_transform_warnings(ski.SimpleImputer(**params), frame)
    ours, got, warned = _fit_transform_warnings(SimpleImputer(**params), frame)
    assert _same_values(ours.statistics_, sk.statistics_), (ours.statistics_, sk.statistics_)
    assert list(ours.get_feature_names_out()) == list(sk.get_feature_names_out())
    assert isinstance(got, pd.DataFrame) and got.shape == want.shape
    assert _same_values(got.to_numpy(dtype=object), want)
    # the same words (tabprep warns once, at fit; scikit-learn at every transform)
    assert warned == sk_warned == ([] if keep else [
        f"Skipping features without any observed values: ['b']. At least one non-missing value is "
        f"needed for imputation with strategy='{strategy}'."])


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
@pytest.mark.parametrize("keep", [False, True])
def test_an_all_missing_object_array_column_like_scikit_learn(strategy, keep):
    X = np.array([["a", np.nan], ["b", np.nan], ["a", np.nan]], dtype=object)
    params = {"strategy": strategy, "keep_empty_features": keep}
    sk, want, _ = _fit_transform_warnings(ski.SimpleImputer(**params), X)
    ours, got, warned = _fit_transform_warnings(SimpleImputer(**params), X)
    assert _same_values(ours.statistics_, sk.statistics_)
    assert isinstance(got, np.ndarray) and got.shape == want.shape and _same_values(got, want)
    # tabprep names the column where scikit-learn gives its index ([1]) for an array
    assert warned == ([] if keep else [
        "Skipping features without any observed values: ['x1']. At least one non-missing value is "
        f"needed for imputation with strategy='{strategy}'."])


def test_an_all_null_polars_column_of_dtype_null():
    df = pl.DataFrame({"a": [1.0, None, 3.0], "e": [None, None, None]})
    assert df.schema["e"] == pl.Null
    with pytest.warns(UserWarning, match=r"\['e'\]"):
        assert SimpleImputer().fit_transform(df).columns == ["a"]
    kept = SimpleImputer(strategy="most_frequent", keep_empty_features=True).fit(df)
    assert kept.transform(df)["e"].to_list() == [0, 0, 0]  # scikit-learn: always 0 but for "constant"
    const = SimpleImputer(strategy="constant", fill_value=7, keep_empty_features=True).fit(df)
    assert const.transform(df).to_dict(as_series=False) == {"a": [1.0, 7.0, 3.0], "e": [7, 7, 7]}
    # the schema planned before fitting is the one the transform gives
    _, out = Pipeline([("i", SimpleImputer(strategy="constant", keep_empty_features=True), ["a", "e"])]).fit_transform(df)
    assert out.schema == pl.Schema({"a": pl.Float64, "e": pl.String})


def test_dropping_every_column_keeps_the_rows_like_scikit_learn():
    import pandas as pd

    df = pl.DataFrame({"e": pl.Series([None, None, None], dtype=pl.Float64)})
    with pytest.warns(UserWarning, match="Skipping features"):
        imp = SimpleImputer().fit(df)
    assert imp.transform(df).shape == (3, 0)
    assert imp.transform(df.lazy()).collect().shape == (3, 0)
    frame = df.to_pandas().set_axis([10, 11, 12])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        want = ski.SimpleImputer().fit(frame).transform(frame)
    got = imp.transform(frame)
    assert got.shape == want.shape == (3, 0) and list(got.index) == [10, 11, 12]
    assert imp.set_output(transform="polars").transform(frame).shape == (3, 0)
    with pytest.warns(UserWarning, match="Skipping features"):
        fitted = Pipeline([("imp", SimpleImputer(), None)]).fit(df)
    assert fitted.transform(df).shape == fitted.transform(df.lazy()).collect().shape == (3, 0)


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
def test_fitted_on_strings_transforms_rows_of_nan_like_scikit_learn(strategy):
    X = np.array([["a"], ["b"], ["a"]], dtype=object)
    ours = SimpleImputer(strategy=strategy).fit(X)
    sk = ski.SimpleImputer(strategy=strategy).fit(X)
    fill = "a" if strategy == "most_frequent" else "missing_value"
    for new in ([[np.nan]], np.array([[np.nan], [np.nan]]), np.array([[np.nan], ["b"]], dtype=object)):
        got = ours.transform(new)
        assert got.tolist() == sk.transform(new).tolist()
        assert got[0, 0] == fill
    assert ours.transform([[None]]).tolist() == [[fill]]  # None is missing in tabprep (a value in scikit-learn)
    # a frame whose column holds no value at all (dtype Null) is filled alike
    assert ours.transform(pl.DataFrame({"x0": [None, None]}))["x0"].to_list() == [fill, fill]
