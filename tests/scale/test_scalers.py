"""Scalers agree with scikit-learn on the same data (NaN/null ignored in fit, kept in transform)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest
import sklearn.preprocessing as skp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from oracles.stats import median_ref, moments_ref, quantile_ref
from tabprep import Pipeline
from tabprep.clean import SimpleImputer
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.scale import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

PAIRS = [
    (StandardScaler(), skp.StandardScaler(), ("mean_", "var_", "scale_", "n_samples_seen_")),
    (StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False), ("mean_", "var_", "scale_", "n_samples_seen_")),
    (StandardScaler(with_std=False), skp.StandardScaler(with_std=False), ("mean_", "var_", "scale_", "n_samples_seen_")),
    (StandardScaler(with_mean=False, with_std=False), skp.StandardScaler(with_mean=False, with_std=False),
     ("mean_", "var_", "scale_", "n_samples_seen_")),
    (MinMaxScaler(), skp.MinMaxScaler(), ("data_min_", "data_max_", "data_range_", "scale_", "min_", "n_samples_seen_")),
    (MinMaxScaler(feature_range=(-2, 3), clip=True), skp.MinMaxScaler(feature_range=(-2, 3), clip=True),
     ("data_min_", "data_max_", "scale_", "min_")),
    (MaxAbsScaler(), skp.MaxAbsScaler(), ("max_abs_", "scale_", "n_samples_seen_")),
    (RobustScaler(), skp.RobustScaler(), ("center_", "scale_")),
    (RobustScaler(quantile_range=(10.0, 67.0), unit_variance=True),
     skp.RobustScaler(quantile_range=(10.0, 67.0), unit_variance=True), ("center_", "scale_")),
    (RobustScaler(with_centering=False), skp.RobustScaler(with_centering=False), ("center_", "scale_")),
    (RobustScaler(with_scaling=False), skp.RobustScaler(with_scaling=False), ("center_", "scale_")),
]
IDS = [repr(p[0]) for p in PAIRS]


def _quiet_sklearn(fn, *args):
    # scikit-learn warns about all-NaN columns (mean of empty slice); we only want its numbers
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _assert_attr(name, ours, ref, exact, X):
    if ref is None:
        assert ours is None, name
        return
    if name == "n_samples_seen_":
        assert np.ndim(ours) == np.ndim(ref) and np.array_equal(ours, ref), (ours, ref)
        return
    if exact:
        assert_array_equal(ours, ref, err_msg=name)
    else:
        # rounding noise is relative to the data's magnitude (a constant column's variance may
        # come out as 4e-44 instead of 0), so the absolute tolerance follows the data
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mag = np.nan_to_num(np.nanmax(np.abs(X), axis=0), nan=0.0)
        atol = 1e-12 * (mag**2 if name == "var_" else mag)
        ok = np.isclose(ours, ref, rtol=1e-12, atol=0, equal_nan=True) | (np.abs(ours - ref) <= atol)
        assert ok.all(), (name, ours, ref)


def _frame_with_nulls(X):
    df = pl.from_numpy(X, schema=[f"c{i}" for i in range(X.shape[1])], orient="row")
    return df.with_columns(pl.all().fill_nan(None))


data = arrays(
    np.float64,
    st.tuples(st.integers(1, 30), st.integers(1, 3)),
    elements=st.one_of(st.floats(-1e3, 1e3), st.just(math.nan), st.sampled_from([0.0, 1.0, 2.5])),
)


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
@settings(max_examples=40, deadline=None)
@given(X=data)
def test_fit_and_transform_match_sklearn(pair, X):
    ours, ref, attrs = pair
    sk = _quiet_sklearn(ref.__class__(**ref.get_params()).fit, X)
    exact = isinstance(ours, (MinMaxScaler, MaxAbsScaler, RobustScaler))
    for source in (X, _frame_with_nulls(X)):
        fitted = ours.__class__(**ours.get_params()).fit(source)
        for a in attrs:
            _assert_attr(a, getattr(fitted, a), getattr(sk, a), exact, X)
        out = fitted.transform(source)
        got = out if isinstance(out, np.ndarray) else out.to_numpy()
        want = _quiet_sklearn(sk.transform, X)
        assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_float32_kept_and_close(pair):
    ours, ref, _ = pair
    rng = np.random.default_rng(1)
    X = rng.normal(3, 2, size=(200, 3)).astype(np.float32)
    X[rng.random(X.shape) < 0.1] = np.nan
    got = ours.__class__(**ours.get_params()).fit(X).transform(X)
    want = ref.__class__(**ref.get_params()).fit(X).transform(X)
    assert got.dtype == np.float32 and want.dtype == np.float32
    assert_allclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True)
    df = pl.DataFrame({"a": X[:, 0]})
    assert ours.__class__(**ours.get_params()).fit(df).transform(df).schema["a"] == pl.Float32


def test_integer_and_boolean_columns_become_float64():
    df = pl.DataFrame({"i": [1, 2, 3, None], "b": [True, False, True, True], "u": pl.Series([1, 2, 3, 4], dtype=pl.UInt8)})
    out = StandardScaler().fit_transform(df)
    assert out.schema == pl.Schema({"i": pl.Float64, "b": pl.Float64, "u": pl.Float64})
    want = skp.StandardScaler().fit_transform(df.cast(pl.Float64).to_numpy())
    assert_allclose(out.to_numpy(), want, rtol=1e-12, equal_nan=True)


def test_against_naive_references():
    rng = np.random.default_rng(7)
    x = rng.lognormal(size=501)
    x[rng.random(501) < 0.2] = np.nan
    df = pl.DataFrame({"x": x})
    n, mean, var = moments_ref(x)
    sc = StandardScaler().fit(df)
    assert sc.n_samples_seen_ == n
    assert_allclose(sc.mean_, [mean], rtol=1e-14)
    assert_allclose(sc.var_, [var], rtol=1e-13)
    rs = RobustScaler(quantile_range=(5.0, 95.0)).fit(df)
    assert rs.center_[0] == median_ref(x)
    assert rs.scale_[0] == quantile_ref(x, 0.95) - quantile_ref(x, 0.05)


def test_constant_and_tiny_variance_features_get_scale_one():
    df = pl.DataFrame({"c": [5.0] * 10, "t": [1.0, 1.0 + 1e-17] * 5, "z": [0.0] * 10})
    for step in (StandardScaler(), MinMaxScaler(), MaxAbsScaler(), RobustScaler()):
        fitted = step.fit(df)
        assert np.all(np.isfinite(fitted.transform(df).to_numpy()))
    assert_array_equal(StandardScaler().fit(df).scale_, [1.0, 1.0, 1.0])


def test_nulls_and_nans_are_kept_by_transform():
    df = pl.DataFrame({"a": [1.0, None, float("nan"), 3.0]})
    out = StandardScaler().fit_transform(df)["a"]
    assert out.is_null().to_list() == [False, True, False, False]
    assert math.isnan(out[2])


def test_non_numeric_column_is_a_schema_error():
    with pytest.raises(SchemaError, match="column 's'.*needs numeric columns; found String"):
        StandardScaler().fit(pl.DataFrame({"a": [1.0], "s": ["x"]}))


@pytest.mark.parametrize("step, msg", [
    (MinMaxScaler(feature_range=(1, 0)), "minimum of desired feature range must be smaller than maximum"),
    (MinMaxScaler(feature_range=(0, 1, 2)), r"The `feature_range` parameter of `MinMaxScaler` must be a pair"),
    (RobustScaler(quantile_range=(80.0, 20.0)), r"0 <= q_min <= q_max <= 100; got \(80.0, 20.0\)"),
    (RobustScaler(quantile_range=(-1.0, 20.0)), "must be a pair"),
    (StandardScaler(with_mean="yes"), "The `with_mean` parameter of `StandardScaler` must be a bool; got 'yes' instead."),
])
def test_invalid_parameters(step, msg):
    with pytest.raises(ConfigError, match=msg):
        step.fit(pl.DataFrame({"a": [1.0, 2.0]}))


def test_lazy_in_lazy_out():
    lf = pl.LazyFrame({"a": [1.0, 3.0]})
    sc = StandardScaler().fit(lf)
    out = sc.transform(lf)
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["a"].to_list() == [-1.0, 1.0]


@pytest.mark.parametrize("make", [
    StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, SimpleImputer,
    lambda: SimpleImputer(strategy="median"),
])
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinity_in_a_frame_is_a_data_error_not_a_column_of_nan(make, bad):
    # scikit-learn refuses infinity; one inf used to turn a whole scaled column into NaN or zeros
    X = pl.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 2.0, bad, None]})
    with pytest.raises(DataError, match="column 'x'.*holds infinity"):
        make().fit(X)
    with pytest.raises(DataError, match="column 'x'.*holds infinity"):
        Pipeline([("s", make(), ["ok", "x"])]).fit(X.lazy(), batch_size=2)
    make().fit(X.select("ok"))  # finite data is fine


@pytest.mark.parametrize("value", [0.1, 100 + 1 / 3, 123.456, -7.25e12])
def test_a_constant_column_has_exactly_its_mean_and_zero_variance(value):
    X = np.full((3000, 2), value)
    X[::7, 1] = np.nan
    sk = skp.StandardScaler().fit(X)
    frame = pl.DataFrame({"a": X[:, 0], "b": X[:, 1]})
    fitted = [StandardScaler().fit(X), StandardScaler().fit(frame),
              Pipeline([("s", StandardScaler(), ["a", "b"])]).fit(frame, batch_size=700).steps[0][1]]
    for ours in fitted:
        assert_array_equal(ours.mean_, [value, value])
        assert_array_equal(ours.var_, sk.var_)
        assert_array_equal(ours.var_, [0.0, 0.0])
        # scikit-learn's own mean is off by rounding (its column sums of a 2-D array are not
        # pairwise: ~40 ulps here); its variance is exactly 0, as ours
        assert_allclose(ours.mean_, sk.mean_, rtol=1e-13)
        assert_array_equal(ours.transform(X), np.where(np.isnan(X), np.nan, 0.0))


TRANSFORMERS = [StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, SimpleImputer,
                lambda: SimpleImputer(strategy="median", add_indicator=True),
                lambda: StandardScaler(with_mean=False, with_std=False)]


@pytest.mark.parametrize("make", TRANSFORMERS)
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinity_at_transform_is_the_data_error_of_fit(make, bad):
    # it used to pass through: a scaler turned it into inf/NaN, an imputer kept it
    train = pl.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 2.0, 3.0, None]})
    new = pl.DataFrame({"ok": [1.0, 2.0, 3.0], "x": [1.0, bad, None]})
    step = make().fit(train)
    name = type(step).__name__
    for data in (new, new.to_pandas(), new.to_arrow()):
        with pytest.raises(DataError, match=rf"^column 'x', row 1: {name} expects finite values \(nulls and NaN count "
                                            r"as missing\); the column holds infinity\. Hint: ") as err:
            step.transform(data)
        assert (err.value.column, err.value.row) == ("x", 1)
    # lazy in, lazy out: the same error when the rows are computed, on either engine
    for engine in ("in-memory", "streaming"):
        with pytest.raises(DataError, match=rf"column 'x': {name} expects finite values.*holds infinity"):
            step.transform(new.lazy()).collect(engine=engine)
    fitted = Pipeline([("s", make(), ["ok", "x"])]).fit(train)
    with pytest.raises(DataError, match=rf"^column 'x', row 1: {name} expects finite values"):
        fitted.transform(new)
    with pytest.raises(DataError, match="column 'x'.*holds infinity"):
        fitted.transform(new.lazy()).collect()
    # finite values (and Float32 columns) go through as before
    finite = new.with_columns(pl.col("x").fill_nan(0.0).replace([bad], [5.0]))
    assert step.transform(finite).columns == list(step.get_feature_names_out())
    f32 = train.cast(pl.Float32)
    with pytest.raises(DataError, match="column 'x', row 1"):
        make().fit(f32).transform(new.cast(pl.Float32))


def test_an_imputer_then_a_scaler_name_the_first_step_that_sees_infinity():
    train = pl.DataFrame({"x": [1.0, None, 3.0]})
    fitted = Pipeline([("imp", SimpleImputer(), "x"), ("sc", StandardScaler(), "x")]).fit(train)
    with pytest.raises(DataError, match=r"^column 'x', row 2: SimpleImputer expects finite values"):
        fitted.transform(pl.DataFrame({"x": [1.0, None, -np.inf]}))
    assert fitted.transform(pl.DataFrame({"x": [1.0, None]}))["x"].to_list() == [-1.224744871391589, 0.0]


@pytest.mark.parametrize("clip", [False, True])
def test_max_abs_scaler_clip_of_held_out_data_as_scikit_learn(clip):
    # scikit-learn's MaxAbsScaler has had `clip` since 1.8: code passing it must run unchanged
    train = np.array([[-4.0, 1.0], [2.0, -0.5], [1.0, 0.25]])
    new = np.array([[-9.0, 3.0], [1.0, np.nan], [8.0, -0.5]])
    ours, theirs = MaxAbsScaler(clip=clip).fit(train), skp.MaxAbsScaler(clip=clip).fit(train)
    assert_array_equal(ours.transform(new), theirs.transform(new))
    frame = pl.DataFrame({"a": new[:, 0], "b": new[:, 1]})
    fitted = MaxAbsScaler(clip=clip).fit(pl.DataFrame({"a": train[:, 0], "b": train[:, 1]}))
    assert_array_equal(fitted.transform(frame).to_numpy(), theirs.transform(new))
    assert MaxAbsScaler(clip=clip).get_params()["clip"] is clip
    with pytest.raises(ConfigError, match="The `clip` parameter of `MaxAbsScaler` must be a bool"):
        MaxAbsScaler(clip="yes").fit(train)
