"""Indicator-block kernels (one-hot / hashed writers, CSR builder) against naive references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.encode import indicator_csr_ref, indicator_dense_ref

from tabprep.kernels._encode import indicator_csr, indicator_dense

DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("n", [0, 1, 5, 2047, 2048, 2049, 5000])
def test_indicator_dense(dtype, order, n):
    rng = np.random.default_rng(n)
    n_cols = 7
    index = rng.integers(-1, n_cols, size=n).astype(np.int32)
    sign = rng.choice(np.array([-1, 1], dtype=np.int8), size=n)
    # garbage in the buffer: the kernel must write every cell of its block, and no other cell
    out = np.full((n, n_cols + 3), 99, dtype=dtype, order=order)
    indicator_dense(index, out, 2, n_cols)
    np.testing.assert_array_equal(out[:, 2:2 + n_cols], indicator_dense_ref(index, n_cols, dtype))
    assert (out[:, :2] == 99).all() and (out[:, 2 + n_cols:] == 99).all()
    if np.dtype(dtype).kind != "u":
        indicator_dense(index, out, 2, n_cols, sign=sign)
        np.testing.assert_array_equal(out[:, 2:2 + n_cols], indicator_dense_ref(index, n_cols, dtype, sign))


def test_indicator_dense_checks():
    out = np.empty((3, 2), dtype=np.uint8)
    with pytest.raises(IndexError):
        indicator_dense(np.array([0, 2, 1], dtype=np.int32), out, 0, 2)
    with pytest.raises(ValueError, match="rows"):
        indicator_dense(np.array([0], dtype=np.int32), out, 0, 2)
    with pytest.raises(ValueError, match="outside"):
        indicator_dense(np.array([0, 0, 0], dtype=np.int32), out, 1, 2)
    with pytest.raises(TypeError):
        indicator_dense(np.array([0, 0, 0], dtype=np.int64), out, 0, 2)
    with pytest.raises(ValueError, match="contiguous"):
        indicator_dense(np.array([0, 0], dtype=np.int32), np.empty((4, 4), dtype=np.uint8)[::2, ::2], 0, 2)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 4), st.integers(0, 60), st.integers(1, 9), st.booleans(), st.integers(0, 2**32 - 1))
def test_indicator_csr_property(n_feat, n, width, signed, seed):
    rng = np.random.default_rng(seed)
    offsets = np.arange(n_feat) * width
    index = np.where(rng.random((n_feat, n)) < 0.2, -1, rng.integers(0, width, (n_feat, n)) + offsets[:, None]).astype(np.int32)
    sign = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_feat, n)) if signed else None
    n_cols = max(n_feat * width, 1)
    data, indices, indptr = indicator_csr(index, n_cols, dtype=np.float32, sign=sign)
    ref_data, ref_indices, ref_indptr = indicator_csr_ref(index, n_cols, sign)
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_array_equal(indptr, ref_indptr)
    np.testing.assert_array_equal(data, ref_data.astype(np.float32))
    assert data.dtype == np.float32 and indices.dtype == np.int32 and indptr.dtype == np.int32


def test_indicator_csr_checks():
    with pytest.raises(IndexError):
        indicator_csr(np.array([[0, 5]], dtype=np.int32), 5)
    with pytest.raises(TypeError):
        indicator_csr(np.array([0, 1], dtype=np.int32), 5)
