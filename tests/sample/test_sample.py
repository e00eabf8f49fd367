"""Random / stratified samples and rebalancing: exact sizes, per-class counts, uniformity, laziness."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from oracles.sample import approximate_mode_bounds, select_sorted
from tabprep.errors import ConfigError, DataError, SchemaError
from tabprep.sample import rebalance, sample


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    n = 2000
    return pl.DataFrame({"x": np.arange(n), "y": rng.choice(["a", "b", "c"], n, p=[0.7, 0.2, 0.1])})


def test_random_sample_exact_size_sorted_and_lazy(frame, tmp_path):
    path = tmp_path / "f.parquet"
    frame.write_parquet(path, row_group_size=300)
    lf = sample(pl.scan_parquet(path), 137, seed=4)
    assert isinstance(lf, pl.LazyFrame)
    out = lf.collect()
    assert out.height == 137 and out["x"].is_sorted() and out["x"].n_unique() == 137
    # the rows are the kernel's selection: Algorithm S with the shared generator
    assert out["x"].to_list() == select_sorted(2000, 137, 4).tolist()
    eager = sample(frame, 137, seed=4)
    assert isinstance(eager, pl.DataFrame) and eager.equals(out)
    assert sample(frame, frac=0.25, seed=0).height == 500


def test_random_sample_is_uniform_over_seeds():
    df = pl.DataFrame({"x": np.arange(20)})
    hits = np.zeros(20)
    for seed in range(2000):
        hits[sample(df, 5, seed=seed)["x"].to_numpy()] += 1
    assert stats.chisquare(hits).pvalue > 1e-4


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 2**32))
def test_stratified_sample_keeps_proportions(n, seed):
    df = pl.DataFrame({"y": np.repeat(["a", "b", "c"], [1400, 400, 200])})
    out = sample(df, n, by="y", seed=seed)
    assert out.height == n
    got = np.array([out.filter(pl.col("y") == c).height for c in "abc"])
    lo, hi = approximate_mode_bounds([1400, 400, 200], n)
    assert ((got >= lo) & (got <= hi)).all()


def test_stratified_per_class_and_dict(frame):
    out = sample(frame, 30, by="y", per_class=True, seed=1)
    assert out.group_by("y").len().sort("y")["len"].to_list() == [30, 30, 30]
    out = sample(frame.lazy(), {"a": 5, "c": 7}, by="y", seed=1).collect()
    assert out.group_by("y").len().sort("y").rows() == [("a", 5), ("c", 7)]
    out = sample(frame, frac=0.5, by="y", per_class=True, seed=2)
    counts = frame.group_by("y").len().sort("y")["len"].to_numpy()
    assert out.group_by("y").len().sort("y")["len"].to_list() == (counts // 2).tolist()


def test_stratified_sample_uniform_within_class():
    df = pl.DataFrame({"x": np.arange(12), "y": [0] * 8 + [1] * 4})
    hits = np.zeros(12)
    for seed in range(2000):
        hits[sample(df, 6, by="y", seed=seed)["x"].to_numpy()] += 1
    assert np.all(hits[8:] == 2000 * 2 / 4) or stats.chisquare(hits[8:]).pvalue > 1e-4
    assert stats.chisquare(hits[:8]).pvalue > 1e-4


def test_with_replacement(frame):
    out = sample(frame, 5000, replace=True, seed=3)
    assert out.height == 5000 and out["x"].is_sorted() and out["x"].n_unique() < 2000
    out = sample(frame.lazy(), 50, by="y", per_class=True, replace=True, seed=3).collect()
    assert out.group_by("y").len()["len"].to_list() == [50, 50, 50]
    assert sample(frame, frac=2.0, replace=True, seed=0).height == 4000


def test_deterministic(frame):
    assert sample(frame, 100, by="y", seed=9).equals(sample(frame, 100, by="y", seed=9))
    assert not sample(frame, 100, seed=9).equals(sample(frame, 100, seed=10))


def test_sample_errors(frame):
    with pytest.raises(DataError, match="cannot draw 3000 rows without replacement"):
        sample(frame, 3000)
    with pytest.raises(DataError, match=r"column 'y'.*class 'c'"):
        sample(frame, 500, by="y", per_class=True)
    with pytest.raises(ConfigError, match="exactly one of `n` and `frac`"):
        sample(frame, 5, frac=0.1)
    with pytest.raises(ConfigError, match="`frac` parameter"):
        sample(frame, frac=1.5)
    with pytest.raises(ConfigError, match="class 'z' is not in the data"):
        sample(frame, {"z": 1}, by="y")
    with pytest.raises(SchemaError, match="column 'nope'"):
        sample(frame, 3, by="nope")
    with pytest.raises(DataError, match="row 3"):
        sample(pl.DataFrame({"y": [0, 1, 0, None]}), 2, by="y")


def test_rebalance_undersample_and_oversample():
    df = pl.DataFrame({"x": np.arange(130), "y": [0] * 100 + [1] * 20 + [2] * 10})
    out = rebalance(df, "y", seed=0)
    assert out.group_by("y").len().sort("y")["len"].to_list() == [10, 10, 10]
    assert out["x"].is_sorted()
    out = rebalance(df.lazy(), "y", ratio=0.5, seed=0).collect()
    assert out.group_by("y").len().sort("y")["len"].to_list() == [20, 20, 10]
    out = rebalance(df, "y", method="oversample", seed=0)
    assert out.group_by("y").len().sort("y")["len"].to_list() == [100, 100, 100]
    # oversampling keeps every original row
    assert set(out["x"].to_list()) == set(range(130))
    out = rebalance(df, "y", counts={0: 30, 2: 25}, seed=1)
    assert out.group_by("y").len().sort("y")["len"].to_list() == [30, 20, 25]
    with pytest.raises(ConfigError, match="`ratio` parameter"):
        rebalance(df, "y", ratio=2.0)
    with pytest.raises(ConfigError, match="`method` parameter"):
        rebalance(df, "y", method="smote")
