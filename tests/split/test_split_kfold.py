"""The K-fold family as fold ids: scikit-learn's sizes and folds, determinism, groups, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import model_selection as ms

from oracles.split import check_partition, first_appearance_codes, sklearn_stratified_allocation
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.split import (
    group_kfold_ids,
    kfold_ids,
    repeated_fold_ids,
    stratified_group_kfold_ids,
    stratified_kfold_ids,
    time_series_fold_ids,
)


def sk_fold_ids(cv, n, y=None, groups=None):
    out = np.full(n, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn's "least populated class" warning
        for f, (_, test) in enumerate(cv.split(np.zeros(n), y, groups)):
            out[test] = f
    return out


@st.composite
def class_labels(draw, min_per_class=1, max_classes=6, max_rows=200):
    n_classes = draw(st.integers(2, max_classes))
    counts = draw(st.lists(st.integers(min_per_class, 40), min_size=n_classes, max_size=n_classes))
    y = np.repeat(np.arange(n_classes), counts)
    perm = draw(st.permutations(range(y.size)))
    return y[np.array(perm)][:max_rows] if y.size <= max_rows else y[np.array(perm)]


# ---------------------------------------------------------------- KFold


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 300), st.integers(2, 12), st.integers(0, 2**32))
def test_kfold_sizes_are_sklearn_and_partition(n, k, seed):
    if k > n:
        with pytest.raises(DataError, match="n_splits"):
            kfold_ids(n, k)
        return
    folds = kfold_ids(n, k, seed=seed)
    assert folds.dtype == np.int8
    check_partition(folds, k)
    sk = sk_fold_ids(ms.KFold(k), n)
    np.testing.assert_array_equal(np.bincount(folds, minlength=k), np.bincount(sk, minlength=k))
    np.testing.assert_array_equal(kfold_ids(n, k, shuffle=False), sk)


def test_kfold_deterministic_and_seed_dependent():
    a, b, c = kfold_ids(1000, 5, seed=3), kfold_ids(1000, 5, seed=3), kfold_ids(1000, 5, seed=4)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


# ---------------------------------------------------------------- StratifiedKFold


@settings(max_examples=80, deadline=None)
@given(class_labels(min_per_class=10), st.integers(2, 10), st.integers(0, 2**32))
def test_stratified_per_class_sizes_are_sklearn(y, k, seed):
    folds = stratified_kfold_ids(y, k, seed=seed)
    check_partition(folds, k)
    # sklearn's per-class fold counts (its shuffled folds have exactly these sizes too)
    codes = first_appearance_codes(y)
    ours = np.array([np.bincount(folds[codes == c], minlength=k) for c in range(codes.max() + 1)])
    np.testing.assert_array_equal(ours, sklearn_stratified_allocation(codes, k))
    sk = sk_fold_ids(ms.StratifiedKFold(k, shuffle=True, random_state=0), y.size, y)
    sk_counts = np.array([np.bincount(sk[codes == c], minlength=k) for c in range(codes.max() + 1)])
    np.testing.assert_array_equal(np.sort(ours, axis=1), np.sort(sk_counts, axis=1))


@settings(max_examples=60, deadline=None)
@given(class_labels(min_per_class=10), st.integers(2, 10))
def test_stratified_unshuffled_equals_sklearn(y, k):
    np.testing.assert_array_equal(
        stratified_kfold_ids(y, k, shuffle=False), sk_fold_ids(ms.StratifiedKFold(k), y.size, y)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda y: y,
        lambda y: pl.Series("y", y),
        lambda y: pl.Series("y", y).cast(pl.String),
        lambda y: pl.Series("y", y).cast(pl.String).cast(pl.Categorical),
        lambda y: pl.Series("y", y.astype(np.float64)),
        lambda y: pl.Series("y", y == 1),
        lambda y: pa.array(y),
        lambda y: pa.chunked_array([y[:50], y[50:]]),
        lambda y: pd.Series(y),
        lambda y: y.tolist(),
        lambda y: (y + 10**12).astype(np.int64),  # far from 0: dense with an offset
        lambda y: y * 10**9,  # sparse integers: factorized
    ],
    ids=["numpy", "polars", "string", "categorical", "float", "bool", "pyarrow", "chunked", "pandas", "list", "offset", "sparse"],
)
def test_label_types_give_the_same_folds(make):
    y = (np.arange(120) % 7 == 0).astype(np.int64)
    ref = stratified_kfold_ids(y, 4, seed=11)
    np.testing.assert_array_equal(stratified_kfold_ids(make(y), 4, seed=11), ref)


def test_stratified_continuous_target_on_quantile_bins():
    y = np.random.default_rng(0).lognormal(size=1000)
    folds = stratified_kfold_ids(y, 5, bins=10, seed=0)
    bins = np.searchsorted(np.quantile(y, np.linspace(0, 1, 11)[1:-1]), y)
    for b in range(10):
        counts = np.bincount(folds[bins == b], minlength=5)
        assert counts.max() - counts.min() <= 1


def test_stratified_errors_name_class_column_and_row():
    with pytest.raises(DataError, match=r"column 'y'.*at least two classes.*only class 1"):
        stratified_kfold_ids(pl.Series("y", [1, 1, 1, 1, 1]), 2)
    y = pl.Series("y", ["a"] * 10 + ["b"] * 3)
    with pytest.raises(DataError, match=r"column 'y'.*every class needs at least 5 rows.*found class 'b' with 3 row\(s\)"):
        stratified_kfold_ids(y, 5)
    with pytest.raises(DataError, match=r"column 'y', row 2: stratification labels must not be null"):
        stratified_kfold_ids(pl.Series("y", [0, 1, None, 1, 0, None]), 2)
    with pytest.raises(DataError, match=r"row 1: .*null or NaN"):
        stratified_kfold_ids(np.array([0.0, np.nan, 1.0, 1.0]), 2)
    with pytest.raises(ConfigError, match="`n_splits` parameter of `stratified_kfold_ids` must be an int in"):
        stratified_kfold_ids([0, 1] * 5, 1)
    with pytest.raises(SchemaError, match="must be integers, strings"):
        stratified_kfold_ids(pl.Series("y", [[1], [2]] * 4), 2)


# ---------------------------------------------------------------- GroupKFold


@st.composite
def grouped(draw, max_groups=30):
    n_groups = draw(st.integers(2, max_groups))
    sizes = draw(st.lists(st.integers(1, 15), min_size=n_groups, max_size=n_groups))
    values = draw(st.lists(st.integers(-10**6, 10**6), min_size=n_groups, max_size=n_groups, unique=True))
    g = np.repeat(np.array(values), sizes)
    perm = np.array(draw(st.permutations(range(g.size))))
    return g[perm]


@settings(max_examples=60, deadline=None)
@given(grouped(), st.integers(2, 6), st.integers(0, 2**32))
def test_group_kfold(groups, k, seed):
    n_groups = np.unique(groups).size
    if k > n_groups:
        with pytest.raises(DataError, match="group"):
            group_kfold_ids(groups, k)
        return
    folds = group_kfold_ids(groups, k, seed=seed)
    check_partition(folds, k)
    # no group on two sides: one fold per group
    per_group = pl.DataFrame({"g": groups, "f": folds}).group_by("g").agg(pl.col("f").n_unique())
    assert per_group["f"].max() == 1
    # balanced in rows within the largest group
    sizes = np.bincount(folds, minlength=k)
    assert sizes.max() - sizes.min() <= np.unique(groups, return_counts=True)[1].max()
    np.testing.assert_array_equal(group_kfold_ids(groups, k, shuffle=False), sk_fold_ids(ms.GroupKFold(k), groups.size, None, groups))


def test_group_kfold_string_groups_match_sklearn_order():
    groups = np.array(["b", "a", "c", "a", "d", "b", "c", "d", "e", "e"])
    np.testing.assert_array_equal(
        group_kfold_ids(pl.Series(groups), 3, shuffle=False), sk_fold_ids(ms.GroupKFold(3), 10, None, groups)
    )


# ---------------------------------------------------------------- StratifiedGroupKFold


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(2, 5), st.integers(2, 12))
def test_stratified_group_kfold_equals_sklearn_unshuffled(seed, k, n_classes):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 300))
    y = rng.integers(0, n_classes, n)
    groups = rng.integers(0, int(rng.integers(k, 60)), n)
    counts = np.unique(y, return_counts=True)[1]
    if counts.size < 2 or counts.min() < k or np.unique(groups).size < k:
        return
    ours = stratified_group_kfold_ids(y, groups, k, shuffle=False)
    np.testing.assert_array_equal(ours, sk_fold_ids(ms.StratifiedGroupKFold(k), n, y, groups))
    shuffled = stratified_group_kfold_ids(y, groups, k, seed=seed)
    check_partition(shuffled, k) if np.unique(groups).size >= 2 * k else None
    per_group = pl.DataFrame({"g": groups, "f": shuffled}).group_by("g").agg(pl.col("f").n_unique())
    assert per_group["f"].max() == 1


def test_stratified_group_errors():
    with pytest.raises(DataError, match="cannot make n_splits=3 folds from 2 group"):
        stratified_group_kfold_ids([0, 1, 0, 1, 0, 1], [1, 1, 1, 2, 2, 2], 3)
    with pytest.raises(ConfigError, match="rows"):
        stratified_group_kfold_ids([0, 1, 0, 1], [1, 2, 3], 2)


# ---------------------------------------------------------------- time series, repeats


@pytest.mark.parametrize("n,k,test_size,gap", [(6, 5, None, 0), (12, 3, 2, 0), (12, 3, 2, 2), (100, 4, None, 5), (101, 7, 3, 1)])
def test_time_series_fold_ids_are_sklearn_test_blocks(n, k, test_size, gap):
    folds = time_series_fold_ids(n, k, test_size=test_size, gap=gap)
    sk = sk_fold_ids(ms.TimeSeriesSplit(k, test_size=test_size, gap=gap), n)
    np.testing.assert_array_equal(folds, sk)
    # time order: test blocks are increasing in row (time) order
    tested = folds[folds >= 0]
    assert (np.diff(tested) >= 0).all()


def test_time_series_errors():
    with pytest.raises(DataError, match="too many splits"):
        time_series_fold_ids(10, 3, test_size=3, gap=2)
    with pytest.raises(DataError, match="n_splits \\+ 1"):
        time_series_fold_ids(3, 3)


def test_repeated_fold_ids_differ_per_repeat_and_are_deterministic():
    y = np.arange(100) % 3
    a = repeated_fold_ids(lambda s: stratified_kfold_ids(y, 5, seed=s), 3, seed=1)
    b = repeated_fold_ids(lambda s: stratified_kfold_ids(y, 5, seed=s), 3, seed=1)
    assert a.shape == (3, 100)
    np.testing.assert_array_equal(a, b)
    assert (a[0] != a[1]).any() and (a[1] != a[2]).any()
