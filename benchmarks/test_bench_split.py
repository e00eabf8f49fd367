"""Stratified 5-fold assignment on ``y_bin``: tabprep's one-pass kernel vs scikit-learn and Polars.

Goal: >= 15x faster than scikit-learn's ``StratifiedKFold(5, shuffle=True)`` with all folds
materialized. Peers, same data, same run:

- ``stratified_kfold_assign``: ours = the fold-id column (``stratified_kfold_ids``, from the
  Polars Series: label checks + counts + the assignment pass); sklearn = all five
  ``(train, test)`` index pairs of ``StratifiedKFold(5, shuffle=True)``; polars = a shuffled rank
  within each class modulo 5 (expression-only stratified assignment); polars-ds = its single
  stratified 80/20 split (``split_by_ratio(..., by="y_bin")``), which the issue names as the bar for
  our five-fold assignment (skipped where polars-ds is not installed).
- ``stratified_kfold_split_indices``: both splitters' ``split()`` iterated to the end (ours yields
  the same index arrays, from the fold ids). Goal (issue 10): >= 10x scikit-learn at 10M rows.
  Ours: the fold assignment pass, then each fold's ``(train, test)`` int64 arrays from one
  branch-free compiled pass over the fold ids.
- ``kfold_split_indices`` (``KFold(5, shuffle=True)``) and ``group_kfold_split_indices``
  (``GroupKFold(5)`` on ``group_id``): the other splitters, through the same index kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

ROUNDS = 3
K = 5


@pytest.fixture(scope="module")
def y_bin(synthetic_df):
    return synthetic_df["y_bin"]


def _check_stratified(folds: np.ndarray, y: np.ndarray) -> None:
    for c in (0, 1):
        counts = np.bincount(folds[y == c], minlength=K)
        assert counts.max() - counts.min() <= 1


def test_stratified_kfold_assign_tabprep(benchmark, pair, y_bin):
    pair(benchmark, "stratified_kfold_assign", "tabprep stratified_kfold_ids", "ours")
    from tabprep.split import stratified_kfold_ids

    folds = benchmark.pedantic(stratified_kfold_ids, args=(y_bin, K), kwargs={"seed": 0}, rounds=ROUNDS, iterations=1)
    _check_stratified(folds, y_bin.to_numpy())


def test_stratified_kfold_assign_sklearn(benchmark, pair, y_bin):
    pair(benchmark, "stratified_kfold_assign", "sklearn StratifiedKFold(shuffle) all folds", "peer")
    from sklearn.model_selection import StratifiedKFold

    y = y_bin.to_numpy()
    X = np.zeros((y.size, 1))

    def run():
        return list(StratifiedKFold(K, shuffle=True, random_state=0).split(X, y))

    folds = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    ids = np.empty(y.size, dtype=np.int8)
    for f, (_, test) in enumerate(folds):
        ids[test] = f
    _check_stratified(ids, y)


def test_stratified_kfold_assign_polars(benchmark, pair, synthetic_df):
    pair(benchmark, "stratified_kfold_assign", "polars shuffled rank over class % k", "peer")
    import polars as pl

    expr = ((pl.int_range(pl.len()).shuffle(seed=0).rank("ordinal").over("y_bin") - 1) % K).cast(pl.Int8)
    frame = synthetic_df.select("y_bin")

    def run():
        return frame.select(expr.alias("fold")).to_series().to_numpy()

    folds = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    _check_stratified(folds, synthetic_df["y_bin"].to_numpy())


def test_stratified_kfold_assign_polars_ds(benchmark, pair, synthetic_df):
    pair(benchmark, "stratified_kfold_assign", "polars-ds split_by_ratio(0.8, by=y) (one split)", "peer")
    sas = pytest.importorskip("polars_ds.sample_and_split")
    frame = synthetic_df.select("y_bin")

    def run():
        return sas.split_by_ratio(frame, 0.8, split_col="split", by="y_bin", seed=0)

    out = benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    train = out.filter(out["split"] == "train")
    for c in (0, 1):  # the peer really stratifies: each class ~80% train
        share = (train["y_bin"] == c).sum() / (frame["y_bin"] == c).sum()
        assert abs(share - 0.8) < 0.01


def test_stratified_kfold_split_indices_tabprep(benchmark, pair, y_bin):
    pair(benchmark, "stratified_kfold_split_indices", "tabprep StratifiedKFold.split", "ours")
    from tabprep.split import StratifiedKFold

    y = y_bin.to_numpy()
    X = np.zeros((y.size, 1))
    splits = benchmark.pedantic(lambda: list(StratifiedKFold(K, shuffle=True, random_state=0).split(X, y)), rounds=ROUNDS, iterations=1)
    assert sum(len(test) for _, test in splits) == y.size


def test_stratified_kfold_split_indices_sklearn(benchmark, pair, y_bin):
    pair(benchmark, "stratified_kfold_split_indices", "sklearn StratifiedKFold.split", "peer")
    from sklearn.model_selection import StratifiedKFold

    y = y_bin.to_numpy()
    X = np.zeros((y.size, 1))
    splits = benchmark.pedantic(lambda: list(StratifiedKFold(K, shuffle=True, random_state=0).split(X, y)), rounds=ROUNDS, iterations=1)
    assert sum(len(test) for _, test in splits) == y.size


def _all_splits(cv, X, y=None, groups=None):
    return list(cv.split(X, y, groups))


@pytest.mark.parametrize("impl, role", [("tabprep KFold(shuffle).split", "ours"),
                                        ("sklearn KFold(shuffle).split", "peer")])
def test_kfold_split_indices(benchmark, pair, y_bin, impl, role):
    pair(benchmark, "kfold_split_indices", impl, role)
    if role == "ours":
        from tabprep.split import KFold
    else:
        from sklearn.model_selection import KFold
    X = np.zeros((len(y_bin), 1))
    splits = benchmark.pedantic(_all_splits, args=(KFold(K, shuffle=True, random_state=0), X), rounds=ROUNDS,
                                iterations=1)
    assert sorted(len(test) for _, test in splits) == sorted(np.bincount(np.arange(len(y_bin)) % K))


@pytest.mark.parametrize("impl, role", [("tabprep GroupKFold.split", "ours"),
                                        ("sklearn GroupKFold.split", "peer")])
def test_group_kfold_split_indices(benchmark, pair, synthetic_df, impl, role):
    pair(benchmark, "group_kfold_split_indices", impl, role)
    if role == "ours":
        from tabprep.split import GroupKFold
    else:
        from sklearn.model_selection import GroupKFold
    groups = synthetic_df["group_id"].to_numpy()
    X = np.zeros((groups.size, 1))
    splits = benchmark.pedantic(_all_splits, args=(GroupKFold(K), X, None, groups), rounds=ROUNDS, iterations=1)
    if role == "ours":  # unshuffled GroupKFold: the same folds as scikit-learn's
        from sklearn.model_selection import GroupKFold as SkGroupKFold

        for (tr, te), (str_, ste) in zip(splits, SkGroupKFold(K).split(X, None, groups)):
            np.testing.assert_array_equal(te, np.sort(ste))
            np.testing.assert_array_equal(tr, np.sort(str_))
