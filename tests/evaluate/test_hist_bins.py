"""BinCache: a HistGradientBoosting fit whose binning comes from the cache is the uncached fit, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from tabprep.evaluate._hist_bins import BinCache, applies


def _xy(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    X[:, 3] = rng.integers(0, 6, n)  # few distinct values (a categorical feature in some cases)
    X[rng.random(n) < 0.05, 1] = np.nan
    y = (X[:, 0] + 0.5 * (X[:, 3] % 2) + rng.logistic(size=n) > 0).astype(int)
    return X, y


def _same_model(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X) if hasattr(a, "predict_proba") else a.predict(X),
                                  b.predict_proba(X) if hasattr(b, "predict_proba") else b.predict(X))
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(a.train_score_, b.train_score_)
    np.testing.assert_array_equal(a.validation_score_, b.validation_score_)
    ma, mb = a._bin_mapper, b._bin_mapper
    assert len(ma.bin_thresholds_) == len(mb.bin_thresholds_)
    for ta, tb in zip(ma.bin_thresholds_, mb.bin_thresholds_):
        np.testing.assert_array_equal(ta, tb)
    np.testing.assert_array_equal(ma.n_bins_non_missing_, mb.n_bins_non_missing_)
    assert ma.missing_values_bin_idx_ == mb.missing_values_bin_idx_


CASES = {
    "plain": dict(early_stopping=False),
    "own early stopping": dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=3),
    "categorical": dict(early_stopping=False, categorical_features=[3]),
    "few bins": dict(early_stopping=False, max_bins=16),
    "seed None": dict(early_stopping=False, random_state=None),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_a_cached_binning_gives_the_uncached_model(case, weighted):
    X, y = _xy()
    w = np.random.default_rng(1).uniform(0.5, 2, len(y)) if weighted else None
    cache = BinCache(8)
    params = {"max_iter": 12, "random_state": 0, **CASES[case]}
    for rate in (0.1, 0.3, 0.1):  # the tuned parameter changes; the binning is shared
        cached = HistGradientBoostingClassifier(learning_rate=rate, **params)
        with cache.fitting(cached):
            cached.fit(X, y, sample_weight=w)
        plain = HistGradientBoostingClassifier(learning_rate=rate, **params).fit(X, y, sample_weight=w)
        _same_model(cached, plain, X)
        assert "_bin_data" not in vars(cached)  # an ordinary fitted model again
    # random_state=None: a new seed each fit, so the key differs (never a wrong hit)
    assert (cache.misses, cache.hits) == ((3, 0) if case == "seed None" else (1, 2))


def test_regressor_and_warm_started_rungs():
    X, y = _xy()
    y = X[:, 0] * 2 + np.nan_to_num(X[:, 1])
    cache = BinCache(8)
    grown = HistGradientBoostingRegressor(max_iter=3, warm_start=True, early_stopping=False, random_state=0)
    for rounds in (3, 8, 20):  # the rungs of fidelity="rounds": each fit bins again, from the cache
        grown.set_params(max_iter=rounds)
        with cache.fitting(grown):
            grown.fit(X, y)
    assert (cache.misses, cache.hits) == (1, 2)
    one = HistGradientBoostingRegressor(max_iter=20, early_stopping=False, random_state=0).fit(X, y)
    _same_model(grown, one, X)


@pytest.mark.parametrize("change", ["a value", "max_bins", "random_state", "layout", "weights"])
def test_anything_the_binning_depends_on_is_in_the_key(change):
    X, y = _xy(n=500)
    cache = BinCache(8)
    first = HistGradientBoostingClassifier(max_iter=3, early_stopping=False, random_state=0)
    with cache.fitting(first):
        first.fit(X, y)
    X2, params, w = X.copy(), {"max_iter": 3, "early_stopping": False, "random_state": 0}, None
    if change == "a value":
        X2[17, 2] += 1e-9
    elif change == "max_bins":
        params["max_bins"] = 100
    elif change == "random_state":
        params["random_state"] = 1
    elif change == "layout":
        X2 = np.asfortranarray(X2)
    else:
        w = np.ones(len(y))
    second = HistGradientBoostingClassifier(**params)
    with cache.fitting(second):
        second.fit(X2, y, sample_weight=w)
    assert (cache.misses, cache.hits) == (2, 0)
    _same_model(second, HistGradientBoostingClassifier(**params).fit(X2, y, sample_weight=w), X)


def test_lru_bound_and_models_it_does_not_touch():
    X, y = _xy(n=300)
    cache = BinCache(2)  # entries: the training binnings of three matrices, LRU
    for k in (0, 1, 2, 0):
        est = HistGradientBoostingClassifier(max_iter=2, early_stopping=False, random_state=0)
        with cache.fitting(est):
            est.fit(X + k, y)
    assert (cache.misses, cache.hits) == (4, 0)  # matrix 0 was evicted by 2
    assert len(cache._entries) == 2
    lr = LogisticRegression()
    assert not applies(lr)
    with cache.fitting(lr):
        lr.fit(X[:, [0]], y)
    assert "_bin_data" not in vars(lr)
    off = BinCache(0)
    est = HistGradientBoostingClassifier(max_iter=2, early_stopping=False)
    with off.fitting(est):
        assert "_bin_data" not in vars(est)


def test_a_failing_fit_leaves_an_ordinary_model():
    X, y = _xy(n=300)
    est = HistGradientBoostingClassifier(max_iter=2)
    with pytest.raises(ValueError), BinCache(4).fitting(est):
        est.fit(X, y[:-1])
    assert "_bin_data" not in vars(est)
