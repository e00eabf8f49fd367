"""KBinsDiscretizer against scikit-learn's: identical edges, codes, warnings and names."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.preprocessing import KBinsDiscretizer as SkKBins

from tabprep.bin import KBinsDiscretizer
from tabprep.errors import ConfigError, DataError
from tabprep.pipeline import Step

METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf", "hazen",
           "weibull", "linear", "median_unbiased", "normal_unbiased"]


def _column(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return {
        "normal": lambda: rng.normal(size=n),
        "lognormal": lambda: rng.lognormal(sigma=1.5, size=n),
        "ties": lambda: rng.integers(0, 4, size=n).astype(np.float64),
        "few_unique": lambda: rng.choice([-1.5, 0.0, 0.25, 1e-9, 7.0], size=n),
        "zeros_heavy": lambda: np.where(rng.random(n) < 0.7, 0.0, rng.exponential(size=n)),
        "outliers": lambda: np.concatenate([rng.normal(size=n - 3), [1e12, -1e12, 3e11]]),
        "tiny_range": lambda: 1.0 + rng.random(n) * 1e-7,
        "sorted": lambda: np.sort(rng.uniform(size=n)),
    }[kind]()


KINDS = ["normal", "lognormal", "ties", "few_unique", "zeros_heavy", "outliers", "tiny_range", "sorted"]


def _fit_both(X, **params):
    """Fit ours and scikit-learn's on X; return both and the warnings each emitted."""
    with warnings.catch_warnings(record=True) as w_sk:
        warnings.simplefilter("always")
        sk = SkKBins(**params).fit(X)
    with warnings.catch_warnings(record=True) as w_tp:
        warnings.simplefilter("always")
        tp = KBinsDiscretizer(**params).fit(X)
    return sk, tp, w_sk, w_tp


def _assert_same(sk, tp, X, w_sk, w_tp):
    assert len(sk.bin_edges_) == len(tp.bin_edges_)
    for a, b in zip(sk.bin_edges_, tp.bin_edges_):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)  # bit-identical (NaN-free by construction)
    np.testing.assert_array_equal(sk.n_bins_, tp.n_bins_)
    a, b = sk.transform(X), tp.transform(X)
    if hasattr(a, "toarray"):
        assert hasattr(b, "toarray")
        a, b = a.toarray(), b.toarray()
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    # same warnings (category and kind of message) as scikit-learn
    assert [w.category for w in w_sk] == [w.category for w in w_tp]
    for ws, wt in zip(w_sk, w_tp):
        if str(ws.message) == str(wt.message):  # e.g. KMeans' own ConvergenceWarning
            continue
        key = "constant" if "constant" in str(ws.message) else "too small"
        assert key in str(wt.message)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n_bins", [2, 5, 32])
def test_quantile_edges_and_codes_equal_sklearn(kind, method, n_bins):
    X = np.column_stack([_column(kind, 1200, 0), _column("normal", 1200, 1)])
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=n_bins, encode="ordinal", strategy="quantile",
                                   quantile_method=method, subsample=None)
    _assert_same(sk, tp, X, w_sk, w_tp)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("strategy", ["uniform", "kmeans"])
def test_uniform_and_kmeans_equal_sklearn(kind, strategy):
    X = np.column_stack([_column(kind, 800, 2), _column("lognormal", 800, 3)])
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=6, encode="ordinal", strategy=strategy, subsample=None)
    _assert_same(sk, tp, X, w_sk, w_tp)


def test_large_column_goes_through_selection_and_matches_sklearn():
    # 60k rows: the kernel samples, buckets and selects instead of sorting
    X = np.column_stack([_column("lognormal", 60_000, 4), _column("ties", 60_000, 5)])
    for method in ("averaged_inverted_cdf", "linear", "inverted_cdf"):
        sk, tp, w_sk, w_tp = _fit_both(X, n_bins=32, encode="ordinal", quantile_method=method, subsample=None)
        _assert_same(sk, tp, X, w_sk, w_tp)


def test_duplicate_edges_warn_like_sklearn():
    X = np.repeat([[0.0], [1.0], [2.0]], [50, 5, 45], axis=0)
    with pytest.warns(UserWarning, match=r"Bins whose width are too small \(i.e., <= 1e-8\) in feature 0"):
        tp = KBinsDiscretizer(n_bins=10, encode="ordinal", subsample=None).fit(X)
    with pytest.warns(UserWarning, match="Bins whose width are too small"):
        sk = SkKBins(n_bins=10, encode="ordinal", subsample=None).fit(X)
    np.testing.assert_array_equal(tp.bin_edges_[0], sk.bin_edges_[0])
    assert tp.n_bins_[0] == sk.n_bins_[0] < 10


@pytest.mark.parametrize("strategy", ["uniform", "quantile", "kmeans"])
def test_constant_column_warns_and_maps_to_zero(strategy):
    X = np.column_stack([np.full(30, 4.2), np.arange(30.0)])
    with pytest.warns(UserWarning, match=r"Feature 0 \('x0'\) is constant and will be replaced with 0"):
        tp = KBinsDiscretizer(n_bins=3, encode="ordinal", strategy=strategy, subsample=None).fit(X)
    with pytest.warns(UserWarning, match="Feature 0 is constant"):
        sk = SkKBins(n_bins=3, encode="ordinal", strategy=strategy, subsample=None).fit(X)
    np.testing.assert_array_equal(tp.bin_edges_[0], [-np.inf, np.inf])
    np.testing.assert_array_equal(tp.transform(X), sk.transform(X))


@settings(max_examples=120, deadline=None)
@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(2, 200), st.integers(1, 3)),
                 elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, 1.0, -2.5]))),
    n_bins=st.integers(2, 12),
    method=st.sampled_from(METHODS),
    strategy=st.sampled_from(["quantile", "quantile", "uniform"]),
)
def test_property_equal_sklearn(X, n_bins, method, strategy):
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=n_bins, encode="ordinal", strategy=strategy, quantile_method=method,
                                   subsample=None)
    _assert_same(sk, tp, X, w_sk, w_tp)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
def test_input_dtypes_equal_sklearn(dtype):
    rng = np.random.default_rng(7)
    X = (rng.lognormal(size=(900, 2)) * 10).astype(dtype)
    for method in ("linear", "averaged_inverted_cdf", "hazen"):
        sk, tp, w_sk, w_tp = _fit_both(X, n_bins=7, encode="ordinal", quantile_method=method, subsample=None)
        _assert_same(sk, tp, X, w_sk, w_tp)
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=7, encode="ordinal", strategy="uniform", subsample=None)
    _assert_same(sk, tp, X, w_sk, w_tp)


def test_mixed_dtype_frame_computes_in_the_common_dtype_like_sklearn():
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"f32": rng.normal(size=500).astype(np.float32), "i": rng.integers(0, 100, 500)})
    sk, tp, w_sk, w_tp = _fit_both(df, n_bins=5, encode="ordinal", subsample=None, quantile_method="linear")
    for a, b in zip(sk.bin_edges_, tp.bin_edges_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_default_subsample_draws_the_same_rows_as_sklearn(strategy):
    X = _column("lognormal", 210_000, 9)[:, None]
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=8, encode="ordinal", strategy=strategy, random_state=3)
    for a, b in zip(sk.bin_edges_, tp.bin_edges_):
        np.testing.assert_array_equal(a, b)
    if strategy == "quantile":  # the subsample is really used (uniform may draw the min and max)
        exact = KBinsDiscretizer(n_bins=8, encode="ordinal", subsample=None).fit(X)
        assert not np.array_equal(exact.bin_edges_[0], tp.bin_edges_[0])


def test_missing_values_are_ignored_by_fit_and_null_at_transform():
    rng = np.random.default_rng(10)
    x = rng.normal(size=2000)
    x[rng.random(2000) < 0.1] = np.nan
    valid = x[~np.isnan(x)][:, None]
    sk = SkKBins(n_bins=9, encode="ordinal", subsample=None).fit(valid)
    df = pl.DataFrame({"a": x}).with_columns(pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.col("a").fill_nan(None))
                                             .otherwise(pl.col("a")).alias("a"))  # nulls and NaNs
    tp = KBinsDiscretizer(n_bins=9, encode="ordinal", subsample=None).fit(df)
    np.testing.assert_array_equal(tp.bin_edges_[0], sk.bin_edges_[0])
    assert tp.n_missing_[0] == np.isnan(x).sum()
    out = tp.transform(df)["a"]
    assert out.null_count() == np.isnan(x).sum() and out.is_nan().sum() == 0
    np.testing.assert_array_equal(out.drop_nulls().to_numpy(), sk.transform(valid)[:, 0])
    # numpy in, numpy out: missing rows become NaN
    arr = tp.transform(x[:, None])
    assert np.isnan(arr[np.isnan(x), 0]).all()


def test_handle_missing_bin_and_error():
    df = pl.DataFrame({"a": [1.0, 2.0, None, 4.0, float("nan"), 6.0]})
    tp = KBinsDiscretizer(n_bins=2, encode="ordinal", handle_missing="bin", subsample=None).fit(df)
    assert tp.transform(df)["a"].to_list() == [0.0, 0.0, 2.0, 1.0, 2.0, 1.0]
    oh = KBinsDiscretizer(n_bins=2, encode="onehot-dense", handle_missing="bin", subsample=None).fit(df)
    out = oh.transform(df)
    assert out.columns == ["a_0.0", "a_1.0", "a_2.0"]
    assert out["a_2.0"].to_list() == [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert out.select(pl.sum_horizontal(pl.all())).to_series().to_list() == [1.0] * 6
    with pytest.raises(DataError, match="column 'a'"):
        KBinsDiscretizer(n_bins=2, encode="ordinal", handle_missing="error").fit(df)
    strict = KBinsDiscretizer(n_bins=2, encode="ordinal", handle_missing="error").fit(df.drop_nulls().fill_nan(0.0))
    with pytest.raises(DataError, match="missing values"):
        strict.transform(df)


@pytest.mark.parametrize("encode", ["onehot", "onehot-dense"])
def test_onehot_equals_sklearn_and_names(encode):
    X = np.column_stack([_column("normal", 500, 11), _column("lognormal", 500, 12)])
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=4, encode=encode, subsample=None)
    _assert_same(sk, tp, X, w_sk, w_tp)
    assert list(tp.get_feature_names_out()) == list(sk.get_feature_names_out())
    df = pl.DataFrame(X, schema=["u", "v"])
    out = KBinsDiscretizer(n_bins=4, encode=encode, subsample=None).fit(df).transform(df)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == list(SkKBins(n_bins=4, encode=encode, subsample=None).fit(df.to_pandas()).get_feature_names_out())
    np.testing.assert_array_equal(out.to_numpy(), sk.transform(X).toarray() if encode == "onehot" else sk.transform(X))


def test_midpoint_encoding_equals_sklearn_inverse_transform():
    X = np.column_stack([_column("lognormal", 700, 13), _column("normal", 700, 14)])
    sk = SkKBins(n_bins=6, encode="ordinal", subsample=None).fit(X)
    tp = KBinsDiscretizer(n_bins=6, encode="midpoint", subsample=None).fit(X)
    np.testing.assert_array_equal(tp.transform(X), sk.inverse_transform(sk.transform(X)))
    ordinal = KBinsDiscretizer(n_bins=6, encode="ordinal", subsample=None).fit(X)
    np.testing.assert_array_equal(ordinal.inverse_transform(ordinal.transform(X)), sk.inverse_transform(sk.transform(X)))


def test_dtype_parameter_and_float32_output():
    X = _column("normal", 300, 15)[:, None]
    out = KBinsDiscretizer(n_bins=3, encode="ordinal", dtype=np.float32).fit(X).transform(X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, SkKBins(n_bins=3, encode="ordinal", dtype=np.float32).fit(X).transform(X))
    df = pl.DataFrame({"a": X[:, 0].astype(np.float32)})
    assert KBinsDiscretizer(n_bins=3, encode="ordinal").fit(df).transform(df).schema["a"] == pl.Float32
    assert KBinsDiscretizer(n_bins=3, encode="ordinal", dtype="float64").fit(df).transform(df).schema["a"] == pl.Float64


def test_per_feature_n_bins():
    X = np.column_stack([_column("normal", 400, 16), _column("normal", 400, 17)])
    sk, tp, w_sk, w_tp = _fit_both(X, n_bins=[3, 7], encode="ordinal", subsample=None)
    _assert_same(sk, tp, X, w_sk, w_tp)
    with pytest.raises(ConfigError, match="n_bins"):
        KBinsDiscretizer(n_bins=[3, 4, 5]).fit(X)


@pytest.mark.parametrize("container", ["polars", "lazy", "pandas", "arrow", "numpy"])
def test_containers(container):
    x = _column("normal", 200, 18)
    frames = {
        "polars": pl.DataFrame({"a": x}),
        "lazy": pl.DataFrame({"a": x}).lazy(),
        "pandas": pd.DataFrame({"a": x}),
        "arrow": pa.table({"a": x}),
        "numpy": x[:, None],
    }
    data = frames[container]
    tp = KBinsDiscretizer(n_bins=4, encode="ordinal", subsample=None).fit(data)
    out = tp.transform(data)
    expected = SkKBins(n_bins=4, encode="ordinal", subsample=None).fit(x[:, None]).transform(x[:, None])[:, 0]
    if container == "lazy":
        assert isinstance(out, pl.LazyFrame)
        out = out.collect()
    got = {"polars": lambda o: o["a"].to_numpy(), "lazy": lambda o: o["a"].to_numpy(),
           "pandas": lambda o: o["a"].to_numpy(), "arrow": lambda o: o.column("a").to_numpy(),
           "numpy": lambda o: o[:, 0]}[container](out)
    np.testing.assert_array_equal(got, expected)


def test_parameter_errors_read_like_sklearn():
    with pytest.raises(ConfigError, match=r"The `strategy` parameter of `KBinsDiscretizer` must be one of"):
        KBinsDiscretizer(strategy="median").fit(np.ones((3, 1)))
    with pytest.raises(ConfigError, match="n_bins"):
        KBinsDiscretizer(n_bins=1).fit(np.ones((3, 1)))
    with pytest.raises(ConfigError, match="sketch"):
        KBinsDiscretizer(strategy="uniform", sketch=True).fit(np.ones((3, 1)))
    with pytest.raises(Exception, match="numeric"):
        KBinsDiscretizer().fit(pl.DataFrame({"s": ["a", "b"]}))
    for strategy in ("uniform", "quantile"):
        with pytest.raises(DataError, match="KBinsDiscretizer expects finite values") as info:
            KBinsDiscretizer(strategy=strategy, subsample=None).fit(pl.DataFrame({"a": [1.0, 2.0, float("inf")]}))
        assert (info.value.column, info.value.row) == ("a", 2)


@pytest.mark.parametrize("params", [
    {"encode": "ordinal", "subsample": None},
    {"encode": "onehot-dense", "strategy": "uniform", "subsample": None, "handle_missing": "bin"},
    {"encode": "midpoint", "quantile_method": "hazen", "dtype": np.float32},
    {"encode": "ordinal", "sketch": 64},
    {"encode": "ordinal", "n_bins": [2, 9]},
])
def test_to_dict_json_roundtrip_is_exact(params):
    rng = np.random.default_rng(19)
    df = pl.DataFrame({"a": rng.lognormal(size=3000), "b": rng.normal(size=3000) / 3.0})
    tp = KBinsDiscretizer(**params).fit(df)
    d = tp.to_dict()
    tables = d.pop("tables")
    d2 = json.loads(json.dumps(d))
    d2["tables"] = tables
    back = Step.from_dict(d2)
    for a, b in zip(tp.bin_edges_, back.bin_edges_):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert back.transform(df).equals(tp.transform(df))
    if params.get("sketch"):
        assert set(tables) == {"sketches"} and tables["sketches"].schema.field("sketch").type == pa.binary()
        assert back.sketches_["a"].to_bytes() == tp.sketches_["a"].to_bytes()


def test_pipeline_batches_give_the_in_memory_fit():
    from tabprep import Pipeline

    rng = np.random.default_rng(20)
    df = pl.DataFrame({"a": rng.lognormal(size=20_000), "b": rng.normal(size=20_000)})
    for params in ({"strategy": "uniform", "subsample": None}, {"strategy": "quantile", "subsample": None}):
        step = KBinsDiscretizer(n_bins=10, encode="ordinal", **params)
        ref = KBinsDiscretizer(n_bins=10, encode="ordinal", **params).fit(df)
        for batch in (1_000, 7_777, None):
            fitted = Pipeline([("bin", step, ["a", "b"])]).fit(df, batch_size=batch)
            got = fitted.steps[0][1]
            for a, b in zip(ref.bin_edges_, got.bin_edges_):
                np.testing.assert_array_equal(a, b)
            assert fitted.transform(df).equals(ref.transform(df))


def test_sketch_fit_is_mergeable_deterministic_and_within_bound():
    from tabprep import Pipeline

    rng = np.random.default_rng(21)
    x = rng.standard_t(3, size=60_000)
    df = pl.DataFrame({"a": x})
    step = KBinsDiscretizer(n_bins=16, encode="ordinal", sketch=True)
    assert step.mergeable and not KBinsDiscretizer().mergeable
    f1 = Pipeline([("bin", step, "a")]).fit(df, batch_size=5_000).steps[0][1]
    f2 = Pipeline([("bin", step, "a")]).fit(df, batch_size=5_000).steps[0][1]
    assert f1.sketches_["a"].to_bytes() == f2.sketches_["a"].to_bytes()
    np.testing.assert_array_equal(f1.bin_edges_[0], f2.bin_edges_[0])
    xs = np.sort(x)
    eps = f1.sketch_rank_error_
    targets = np.linspace(0, 1, 17)[1:-1] * x.size
    edges = f1.bin_edges_[0][1:-1]
    assert edges.size == 15
    for v, t in zip(edges, targets):
        lo, hi = np.searchsorted(xs, v, "left"), np.searchsorted(xs, v, "right")
        assert lo - eps * x.size <= t <= hi + eps * x.size
    assert f1.bin_edges_[0][0] == x.min() and f1.bin_edges_[0][-1] == x.max()


@pytest.mark.parametrize("encode", ["ordinal", "onehot-dense", "midpoint"])
def test_transform_refuses_infinity_naming_the_row(encode):
    # scikit-learn refuses it (check_array); binned, +inf would land in the last bin silently
    train = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "b": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    step = KBinsDiscretizer(n_bins=2, encode=encode, subsample=None).fit(train)
    new = pl.DataFrame({"a": [2.0, 3.0, 4.0], "b": [2.0, None, -float("inf")]})
    with pytest.raises(DataError, match="KBinsDiscretizer expects finite values") as info:
        step.transform(new)
    assert (info.value.column, info.value.row) == ("b", 2)
    with pytest.raises(DataError, match="KBinsDiscretizer expects finite values"):
        step.transform(new.lazy()).collect()
    with pytest.raises(ValueError, match="Input contains infinity"):  # arrays: scikit-learn's message
        step.transform(new.to_numpy())
    assert step.transform(new.head(2)).height == 2


def test_transform_missing_value_error_names_the_row():
    train = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    step = KBinsDiscretizer(n_bins=2, encode="ordinal", subsample=None, handle_missing="error").fit(train)
    for missing in (None, float("nan")):
        with pytest.raises(DataError, match="missing values") as info:
            step.transform(pl.DataFrame({"a": [2.0, 3.0, missing, 1.0]}))
        assert (info.value.column, info.value.row) == ("a", 2)
