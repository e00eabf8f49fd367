"""Splits as columns of a (Lazy)Frame: lazy, deterministic, sizes, groups, time order and gap."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from oracles.sample import approximate_mode_bounds
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.split import (
    add_fold_column,
    add_split_column,
    group_split_ids,
    random_split_ids,
    stratified_group_split_ids,
    stratified_kfold_ids,
    stratified_split_ids,
)


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    n = 5000
    return pl.DataFrame(
        {
            "x": np.arange(n),
            "y": (rng.random(n) < 0.1).astype(np.int8),
            "label": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
            "g": rng.integers(0, 400, n),
            "t": pl.datetime_range(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1) + dt.timedelta(hours=n - 1), "1h", eager=True),
            "v": rng.normal(size=n),
        }
    )


def test_random_split_exact_sizes_lazy_and_deterministic(frame, tmp_path):
    path = tmp_path / "f.parquet"
    frame.write_parquet(path, row_group_size=700)  # many chunks: ids must not depend on them
    lf = add_split_column(pl.scan_parquet(path), (0.8, 0.1, 0.1), seed=5)
    assert isinstance(lf, pl.LazyFrame)
    out = lf.collect()
    assert out["split"].dtype == pl.Int8
    assert np.bincount(out["split"].to_numpy()).tolist() == [4000, 500, 500]
    np.testing.assert_array_equal(out["split"].to_numpy(), random_split_ids(5000, (0.8, 0.1, 0.1), seed=5))
    again = add_split_column(frame, (0.8, 0.1, 0.1), seed=5)
    assert isinstance(again, pl.DataFrame)
    np.testing.assert_array_equal(again["split"].to_numpy(), out["split"].to_numpy())
    assert (add_split_column(frame, seed=6)["split"] != again["split"]).any()


def test_filter_after_the_column_sees_the_same_ids(frame):
    lf = add_split_column(frame.lazy(), seed=1)
    full = lf.collect()
    part = lf.filter(pl.col("x") >= 2500).collect()
    assert part["split"].to_list() == full["split"][2500:].to_list()


def test_stratified_split_per_class_proportions(frame):
    out = add_split_column(frame, (0.7, 0.2, 0.1), strategy="stratified", by="label", seed=0)
    assert np.bincount(out["split"].to_numpy()).tolist() == [3500, 1000, 500]
    counts = out.group_by("label", "split").len().pivot(on="split", index="label", values="len").sort("label")
    class_counts = frame["label"].value_counts().sort("label")["count"].to_numpy()
    # first part: within one row of proportional (scikit-learn's approximate-mode guarantee)
    lo, hi = approximate_mode_bounds(class_counts, 3500)
    assert ((counts["0"].to_numpy() >= lo) & (counts["0"].to_numpy() <= hi)).all()
    for j, r in enumerate((0.7, 0.2, 0.1)):
        assert np.all(np.abs(counts[str(j)].to_numpy() - class_counts * r) <= 2)


def test_stratified_split_matches_sklearn_train_test_counts(frame):
    # two parts: exactly scikit-learn's StratifiedShuffleSplit rule up to tie-breaking
    y = frame["label"].to_numpy()
    ids = stratified_split_ids(y, (0.75, 0.25), seed=3)
    from sklearn.model_selection import StratifiedShuffleSplit

    train, _ = next(StratifiedShuffleSplit(1, test_size=0.25, random_state=0).split(np.zeros(len(y)), y))
    for c in "abc":
        assert abs(int(np.sum((ids == 0) & (y == c))) - int(np.sum(y[train] == c))) <= 1


def test_continuous_target_is_binned(frame):
    out = add_split_column(frame, (0.5, 0.5), strategy="stratified", by="v", seed=0)
    bins = np.searchsorted(np.quantile(frame["v"].to_numpy(), np.linspace(0, 1, 11)[1:-1]), frame["v"].to_numpy())
    split = out["split"].to_numpy()
    for b in range(10):
        assert abs(int(np.sum(split[bins == b] == 0)) - int(np.sum(bins == b)) / 2) <= 1


@pytest.mark.parametrize("strategy", ["group", "stratified_group"])
def test_group_strategies_keep_groups_on_one_side(frame, strategy):
    out = add_split_column(frame.lazy(), (0.8, 0.1, 0.1), strategy=strategy, by="y", group="g", seed=2).collect()
    assert out.group_by("g").agg(pl.col("split").n_unique())["split"].max() == 1
    sizes = np.bincount(out["split"].to_numpy(), minlength=3) / len(out)
    assert np.all(np.abs(sizes - [0.8, 0.1, 0.1]) < 0.03)
    if strategy == "stratified_group":
        rate = out.group_by("split").agg(pl.col("y").mean()).sort("split")["y"].to_numpy()
        assert np.all(np.abs(rate - frame["y"].mean()) < 0.03)


def test_group_split_ids_deterministic():
    g = np.repeat(np.arange(50), 4)
    a = group_split_ids(g, (0.5, 0.5), seed=1)
    np.testing.assert_array_equal(a, group_split_ids(g, (0.5, 0.5), seed=1))
    assert np.bincount(a).tolist() == [100, 100]
    y = np.tile([0, 1], 100)
    np.testing.assert_array_equal(stratified_group_split_ids(y, g, (0.6, 0.4), seed=9), stratified_group_split_ids(y, g, (0.6, 0.4), seed=9))


def test_time_split_respects_order_and_gap(frame):
    out = add_split_column(frame.lazy(), (0.8, 0.1, 0.1), strategy="time", time="t", gap="7d").collect()
    ts = {j: out.filter(pl.col("split") == j)["t"] for j in range(3)}
    assert ts[0].max() + dt.timedelta(days=7) <= ts[1].min()
    assert ts[1].max() + dt.timedelta(days=7) <= ts[2].min()
    left_out = out.filter(pl.col("split").is_null())
    assert left_out.height == 2 * 7 * 24  # hourly rows within 7 days before each cut
    no_gap = add_split_column(frame, (0.8, 0.1, 0.1), strategy="time", time="t")
    assert np.bincount(no_gap["split"].to_numpy()).tolist() == [4000, 500, 500]


def test_time_split_with_cutoffs_and_numeric_time():
    df = pl.DataFrame({"day": np.arange(100)})
    out = add_split_column(df, strategy="time", time="day", cutoffs=[50, 80], gap=5)
    assert out.filter(pl.col("split") == 0)["day"].max() == 44
    assert out.filter(pl.col("split") == 1)["day"].to_list() == list(range(50, 75))
    assert out.filter(pl.col("split") == 2)["day"].min() == 80
    with pytest.raises(ConfigError, match="gap"):
        add_split_column(df, strategy="time", time="day", gap="7d")


def test_fold_column_strategies(frame):
    lf = frame.lazy()
    out = add_fold_column(lf, 5, strategy="stratified", by="y", seed=3).collect()
    np.testing.assert_array_equal(out["fold"].to_numpy(), stratified_kfold_ids(frame["y"], 5, seed=3))
    out = add_fold_column(lf, 4, strategy="stratified_group", by="label", group="g").collect()
    assert out.group_by("g").agg(pl.col("fold").n_unique())["fold"].max() == 1
    out = add_fold_column(frame, 3, strategy="time", time="t")
    order = out.sort("t")["fold"].to_numpy()
    assert (np.diff(order) >= 0).all() and order[0] == -1
    rep = add_fold_column(frame, 5, n_repeats=3, seed=1)
    assert [c for c in rep.columns if c.startswith("fold")] == ["fold_0", "fold_1", "fold_2"]
    assert (rep["fold_0"] != rep["fold_1"]).any()


def test_frame_errors(frame):
    with pytest.raises(ConfigError, match="strategy='stratified' needs the `by` column"):
        add_split_column(frame, strategy="stratified")
    with pytest.raises(SchemaError, match="column 'nope'"):
        add_split_column(frame, strategy="group", group="nope")
    with pytest.raises(ConfigError, match="must sum to 1"):
        add_split_column(frame, (0.8, 0.1))
    with pytest.raises(ConfigError, match="`strategy` parameter"):
        add_fold_column(frame, strategy="kfold")
    with pytest.raises(SchemaError, match="already exists"):
        add_split_column(frame, name="x")
    bad = frame.with_columns(pl.when(pl.col("x") == 17).then(None).otherwise(pl.col("y")).alias("y"))
    with pytest.raises(DataError, match="column 'y', row 17"):
        add_fold_column(bad.lazy(), strategy="stratified", by="y").collect()


def test_time_cutoffs_must_increase():
    df = pl.DataFrame({"day": np.arange(10)})
    with pytest.raises(ConfigError, match="must be increasing"):
        add_split_column(df, strategy="time", time="day", cutoffs=[5, 3])
