"""The sampling kernels against their plain Python references (same generator, bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from oracles.sample import reservoir_indices, select_sorted
from tabprep.kernels._sample import Reservoir, sample_select_sorted


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300), st.data(), st.integers(0, 2**64 - 1))
def test_select_sorted_matches_oracle(n_total, data, seed):
    n = data.draw(st.integers(0, n_total))
    got = sample_select_sorted(n_total, n, seed=seed)
    np.testing.assert_array_equal(got, select_sorted(n_total, n, seed))
    assert got.size == n and np.unique(got).size == n and (np.diff(got) > 0).all()
    assert n == 0 or (got[0] >= 0 and got[-1] < n_total)


def test_select_sorted_is_uniform():
    n_total, n, seeds = 12, 3, 4000
    hits = np.zeros(n_total)
    for seed in range(seeds):
        hits[sample_select_sorted(n_total, n, seed=seed)] += 1
    assert stats.chisquare(hits).pvalue > 1e-4


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(0, 2000), st.integers(0, 2**64 - 1), st.integers(1, 500))
def test_reservoir_plan_matches_algorithm_l(k, n_total, seed, batch):
    # replay the plan batch by batch and compare the final reservoir with the reference
    res = np.arange(min(k, n_total))
    if n_total > k:
        plan = Reservoir(k, seed)
        for start in range(k, n_total, batch):
            slots, rows = plan.plan(start, min(start + batch, n_total), buffer=3)
            assert ((rows >= start) & (rows < min(start + batch, n_total))).all()
            res[slots] = rows  # later entries win, as in Algorithm L
    np.testing.assert_array_equal(np.sort(res), reservoir_indices(n_total, k, seed))


def test_reservoir_plan_rejects_overlap():
    plan = Reservoir(3, 0)
    plan.plan(3, 1000)
    with pytest.raises(ValueError, match="consecutive"):
        plan.plan(3, 2000)
    with pytest.raises(ValueError):
        Reservoir(0)
