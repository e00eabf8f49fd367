"""The HyperLogLog register kernel against the plain Python reference (tests/oracles/sketch.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.sketch import hll_registers_ref
from tabprep.kernels._sketch import hll_update
from tabprep.validate._sketches import HLL_SEED, HyperLogLog


@settings(max_examples=200, deadline=None)
@given(hashes=st.lists(st.integers(0, 2**64 - 1), max_size=300), p=st.integers(4, 18), start=st.integers(0, 3))
def test_hll_update_matches_the_reference(hashes, p, start):
    registers = np.full(1 << p, start, dtype=np.uint8)
    expected = hll_registers_ref(hashes, p, registers)
    hll_update(np.array(hashes, dtype=np.uint64), registers, p)
    assert registers.tolist() == expected


def test_hll_update_edge_hashes():
    p = 14
    edge = [0, 1, 2**50 - 1, 2**50, 2**63, 2**64 - 1, (2**14 - 1) << 50]
    registers = np.zeros(1 << p, dtype=np.uint8)
    hll_update(np.array(edge, dtype=np.uint64), registers, p)
    assert registers.tolist() == hll_registers_ref(edge, p)
    assert registers[0] == 51  # the all-zero rest: 64 - p + 1
    hll_update(np.empty(0, dtype=np.uint64), registers, p)  # nothing to fold
    assert registers.tolist() == hll_registers_ref(edge, p)


def test_hll_update_refuses_bad_registers():
    with pytest.raises(ValueError, match="2\\*\\*p"):
        hll_update(np.zeros(3, dtype=np.uint64), np.zeros(100, dtype=np.uint8), 14)
    with pytest.raises(ValueError, match="uint8"):
        hll_update(np.zeros(3, dtype=np.uint64), np.zeros(1 << 14, dtype=np.int64), 14)


def test_hyperloglog_update_equals_the_reference_on_polars_hashes():
    rng = np.random.default_rng(0)
    s = pl.Series(np.where(rng.random(50_000) < 0.1, np.nan, rng.normal(size=50_000))).fill_nan(None)
    hashes = s.hash(seed=HLL_SEED).filter(s.is_not_null()).to_list()
    assert HyperLogLog().update(s).registers.tolist() == hll_registers_ref(hashes, 14)
