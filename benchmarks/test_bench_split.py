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
  the same index arrays, from the fold ids).
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
