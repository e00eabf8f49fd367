"""Table gathers and code counting (count/ordinal kernels) against naive references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.encode import bincount_ref, lookup_ref

from tabprep.kernels._encode import bincount, lookup

DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 1000])
def test_lookup(dtype, n):
    rng = np.random.default_rng(n)
    table = rng.integers(0, 100, size=12).astype(dtype)
    codes = rng.integers(-2, 10, size=n).astype(np.int32)
    out = lookup(codes, table, shift=2)
    assert out.dtype == table.dtype
    np.testing.assert_array_equal(out, lookup_ref(codes, table, 2))


def test_lookup_into_preallocated_and_nan_entries():
    codes = np.array([0, -1, 1], dtype=np.int32)
    out = np.empty(3)
    res = lookup(codes, np.array([np.nan, 5.0, 6.0]), shift=1, out=out)
    assert res is out
    np.testing.assert_array_equal(out, [5.0, np.nan, 6.0])


def test_lookup_checks():
    with pytest.raises(IndexError):
        lookup(np.array([0, 3], dtype=np.int32), np.zeros(3))
    with pytest.raises(IndexError):
        lookup(np.array([-1], dtype=np.int32), np.zeros(3))
    with pytest.raises(TypeError):
        lookup(np.array([0], dtype=np.int64), np.zeros(3))
    with pytest.raises(TypeError):
        lookup(np.array([0], dtype=np.int32), np.zeros(3, dtype=np.float16))
    with pytest.raises(ValueError, match="out"):
        lookup(np.array([0], dtype=np.int32), np.zeros(3), out=np.empty(1, dtype=np.float32))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2, 40), max_size=300))
def test_bincount_property(codes):
    codes = np.array(codes, dtype=np.int32)
    np.testing.assert_array_equal(bincount(codes, 43, shift=2), bincount_ref(codes, 43, 2))


def test_bincount_checks():
    with pytest.raises(IndexError):
        bincount(np.array([3], dtype=np.int32), 3)
