"""Issue 12: KBinsDiscretizer.fit(sample_weight=) and inverse_transform against scikit-learn 1.9."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import KBinsDiscretizer as SkKBins
from sklearn.utils.stats import _weighted_percentile

from tabprep.bin import KBinsDiscretizer
from tabprep.bin._kbins import weighted_percentile
from tabprep.errors import ConfigError, DataError


@st.composite
def weighted_data(draw):
    n = draw(st.integers(3, 60))
    n_cols = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    # few distinct values (ties, narrow bins) or continuous ones
    X = rng.integers(0, draw(st.integers(2, 8)), size=(n, n_cols)).astype(float) if draw(st.booleans()) \
        else rng.normal(size=(n, n_cols))
    w = rng.choice([0.0, 0.5, 1.0, 2.0, 3.7], size=n) if draw(st.booleans()) else rng.random(n)
    w[rng.integers(0, n)] = 1.0  # not all zero
    return X, w


def _fit_both(params, X, w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            theirs = SkKBins(**params).fit(X, sample_weight=w)
        except ValueError as exc:  # e.g. KMeans with fewer distinct weighted points than bins
            return None, exc
        return (KBinsDiscretizer(**params).fit(X, sample_weight=w), theirs), None


@pytest.mark.parametrize("strategy", ["uniform", "quantile", "kmeans"])
@pytest.mark.parametrize("method", ["inverted_cdf", "averaged_inverted_cdf"])
@settings(max_examples=30, deadline=None)
@given(case=weighted_data(), n_bins=st.integers(2, 6), subsample=st.sampled_from([None, 20]))
def test_weighted_edges_equal_scikit_learn(strategy, method, case, n_bins, subsample):
    X, w = case
    params = dict(n_bins=n_bins, encode="ordinal", strategy=strategy, quantile_method=method,
                  subsample=subsample, random_state=7)
    fitted, error = _fit_both(params, X, w)
    if fitted is None:
        if strategy == "kmeans":
            return  # scikit-learn's KMeans refuses the data; so would ours (the same KMeans)
        raise error
    ours, theirs = fitted
    np.testing.assert_array_equal(ours.n_bins_, theirs.n_bins_)
    for a, b in zip(ours.bin_edges_, theirs.bin_edges_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))


def test_weighted_quantile_needs_an_inverted_cdf_method_unless_subsampled():
    X = np.arange(20.0).reshape(-1, 1)
    w = np.ones(20)
    with pytest.raises(ConfigError, match="quantile_method should either"):
        KBinsDiscretizer(quantile_method="linear").fit(X, sample_weight=w)
    with pytest.raises(ValueError, match="quantile_method should either"):
        SkKBins(quantile_method="linear").fit(X, sample_weight=w)
    # subsampled: the weights are used up by the draw (scikit-learn too), any method works
    ours = KBinsDiscretizer(3, quantile_method="linear", subsample=10, random_state=0).fit(X, sample_weight=w)
    theirs = SkKBins(3, quantile_method="linear", subsample=10, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_allclose(ours.bin_edges_[0], theirs.bin_edges_[0], rtol=0, atol=1e-12)


def test_weights_refused_when_invalid_or_with_a_sketch():
    X = np.arange(6.0).reshape(-1, 1)
    for bad, match in ((np.ones(5), "one weight per row"), (-np.ones(6), "finite and >= 0"),
                       (np.zeros(6), "sums to zero"), (np.full(6, np.nan), "finite")):
        with pytest.raises(DataError, match=match):
            KBinsDiscretizer(2).fit(X, sample_weight=bad)
    with pytest.raises(ConfigError, match="sketch"):
        KBinsDiscretizer(2, sketch=True).fit(X, sample_weight=np.ones(6))


def test_weighted_fit_skips_missing_values_with_their_weights():
    X = np.array([[1.0], [np.nan], [2.0], [3.0], [4.0], [np.nan]])
    w = np.array([1.0, 9.0, 2.0, 1.0, 3.0, 5.0])
    ours = KBinsDiscretizer(2, encode="ordinal", subsample=None).fit(X, sample_weight=w)
    keep = ~np.isnan(X[:, 0])
    theirs = SkKBins(2, encode="ordinal", subsample=None).fit(X[keep], sample_weight=w[keep])
    np.testing.assert_allclose(ours.bin_edges_[0], theirs.bin_edges_[0], rtol=0, atol=1e-12)
    assert ours.n_missing_.tolist() == [2]
    # a frame and a LazyFrame give the same edges
    df = pl.DataFrame({"x": X[:, 0]}, nan_to_null=True)
    lazy = KBinsDiscretizer(2, encode="ordinal", subsample=None).fit(df.lazy(), sample_weight=w)
    np.testing.assert_array_equal(lazy.bin_edges_[0], ours.bin_edges_[0])


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=1, max_size=30),
       weights=st.lists(st.sampled_from([0.0, 0.25, 1.0, 3.0]), min_size=30, max_size=30),
       ranks=st.lists(st.floats(0, 100), min_size=1, max_size=6), average=st.booleans(),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_weighted_percentile_is_scikit_learns(values, weights, ranks, average, dtype):
    v = np.asarray(values, dtype=dtype)
    w = np.asarray(weights[:len(v)], dtype=dtype)
    if not w.any():
        w[0] = 1
    ranks = np.asarray(ranks, dtype=dtype)
    want = _weighted_percentile(v, w, ranks, average=average)
    got = weighted_percentile(v, w, ranks, average=average)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------------ inverse_transform

@pytest.mark.parametrize("encode", ["ordinal", "onehot", "onehot-dense"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile", "kmeans"])
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), n_bins=st.integers(2, 6), f32=st.booleans(), constant=st.booleans())
def test_inverse_transform_gives_scikit_learns_bin_centers(encode, strategy, seed, n_bins, f32, constant):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 2)).astype(np.float32 if f32 else np.float64)
    if constant:
        X[:, 1] = 3.0  # edges [-inf, inf]: the center is NaN in both
    params = dict(n_bins=n_bins, encode=encode, strategy=strategy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours, theirs = KBinsDiscretizer(**params).fit(X), SkKBins(**params).fit(X)
    got = ours.inverse_transform(ours.transform(X))
    with np.errstate(invalid="ignore"):  # scikit-learn's -inf + inf for a constant column
        want = theirs.inverse_transform(theirs.transform(X))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_inverse_transform_missing_codes_and_errors():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    kb = KBinsDiscretizer(2, encode="ordinal", strategy="uniform", handle_missing="bin").fit(X)
    out = kb.inverse_transform(np.array([[0.0], [1.0], [2.0], [np.nan]]))
    np.testing.assert_array_equal(out[:2, 0], [0.75, 2.25])
    assert np.isnan(out[2:, 0]).all()  # the missing bin and NaN
    with pytest.raises(DataError, match="no bin has"):
        kb.inverse_transform(np.array([[5.0]]))
    oh = KBinsDiscretizer(2, encode="onehot-dense", strategy="uniform").fit(X)
    np.testing.assert_array_equal(oh.inverse_transform(pl.DataFrame({"a": [1.0, 0.0], "b": [0.0, 1.0]})),
                                  [[0.75], [2.25]])
    assert np.isnan(oh.inverse_transform(np.array([[0.0, 0.0]]))[0, 0])  # a missing value's row
