"""Reservoir sampling: exact size, reference agreement, uniformity, batching independence, memory bound."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from oracles.sample import reservoir_indices
from tabprep.errors import ConfigError
from tabprep.sample import reservoir_sample, reservoir_sample_batches


def _batches(n: int, sizes: list[int]):
    start, i = 0, 0
    while start < n:
        b = sizes[i % len(sizes)]
        yield pl.DataFrame({"x": np.arange(start, min(start + b, n)), "s": [str(v) for v in range(start, min(start + b, n))]})
        start += b
        i += 1


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 3000), st.integers(1, 200), st.lists(st.integers(1, 400), min_size=1, max_size=5), st.integers(0, 2**64 - 1))
def test_reservoir_matches_reference_whatever_the_batching(n, k, sizes, seed):
    stats_ = {}
    out = reservoir_sample_batches(_batches(n, sizes), k, seed=seed, stats=stats_)
    assert out.height == min(n, k)
    if n == 0:
        return
    np.testing.assert_array_equal(out["x"].to_numpy(), reservoir_indices(n, k, seed))
    assert out["s"].to_list() == [str(v) for v in out["x"].to_list()]  # rows stay whole
    assert stats_["rows_seen"] == n
    # memory bound: the sampler never holds more than 2k rows besides the current batch
    assert stats_["peak_held_rows"] <= 2 * k


def test_reservoir_is_uniform_over_seeds():
    n, k = 40, 5
    hits = np.zeros(n)
    for seed in range(3000):
        hits[reservoir_sample_batches(_batches(n, [7]), k, seed=seed)["x"].to_numpy()] += 1
    assert stats.chisquare(hits).pvalue > 1e-4


def test_reservoir_from_lazyframe_and_file(tmp_path):
    df = pl.DataFrame({"x": np.arange(50_000), "y": np.arange(50_000) % 3})
    path = tmp_path / "d.parquet"
    df.write_parquet(path, row_group_size=4000)
    info = {}
    a = reservoir_sample(str(path), 100, seed=7, stats=info)
    b = reservoir_sample(pl.scan_parquet(path), 100, seed=7, batch_size=999)
    c = reservoir_sample(df, 100, seed=7, batch_size=12_345)
    assert a.equals(b) and b.equals(c)
    assert a.height == 100 and a["x"].is_sorted()
    assert info["batches"] > 1 and info["peak_held_rows"] <= 200
    assert info["max_batch_rows"] < 50_000  # streamed, never the whole file at once


def test_reservoir_short_and_empty_sources():
    assert reservoir_sample(pl.DataFrame({"x": [1, 2, 3]}), 10).height == 3
    empty = reservoir_sample(pl.LazyFrame({"x": []}, schema={"x": pl.Int64}), 10)
    assert empty.height == 0 and empty.schema == pl.Schema({"x": pl.Int64})
    with pytest.raises(ConfigError, match="`k` parameter"):
        reservoir_sample(pl.DataFrame({"x": [1]}), 0)
