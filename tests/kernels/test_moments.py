"""tabprep.kernels._moments (compiled moments kernel) against exactly rounded references."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.stats import moments_ref, observed

from tabprep.kernels._moments import column_moments

values = st.lists(
    st.one_of(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), st.none(), st.just(math.nan),
              st.sampled_from([0.0, 1.0, -2.5, 1e-300])),
    max_size=3000,  # crosses the 1024-row blocks, with tails that are not multiples of 8
)


def _check(got, x):
    n, mean, var = moments_ref(x)
    v = observed(x)
    scale = math.fsum(abs(a) for a in v) or 1.0
    assert got.n == n and got.has_inf is False
    assert abs(got.sum - math.fsum(v)) <= 1e-13 * scale
    if n == 0:
        assert got.mean is None and got.m2 is None
        return
    assert abs(got.mean - mean) <= 1e-13 * scale / n
    spread = max(abs(a - mean) for a in v)
    assert abs(got.m2 - var * n) <= 1e-12 * (spread * spread * n + 1e-300)


@settings(max_examples=150, deadline=None)
@given(x=values, offset=st.integers(0, 9))
def test_matches_exact_reference_with_nulls_nan_and_offsets(x, offset):
    # nulls as Arrow validity (behind a bit offset: the bitmap is read from the middle of a byte)
    s = pl.Series([0.5] * offset + x, dtype=pl.Float64).slice(offset)
    _check(column_moments(s), x)
    # NaN only (no bitmap): the other loop
    dense = np.array([math.nan if v is None else v for v in x], dtype=np.float64)
    _check(column_moments(dense), x)


@settings(max_examples=60, deadline=None)
@given(x=values)
def test_float32_and_integers_are_widened_exactly(x):
    f32 = [None if v is None else float(np.float32(v)) for v in x]
    _check(column_moments(pl.Series(f32, dtype=pl.Float32)), f32)
    ints = [None if v is None or math.isnan(v) else int(v) for v in x]
    _check(column_moments(pl.Series(ints, dtype=pl.Int64)), ints)


def test_chunking_does_not_change_the_bits():
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=10_000)
    x[rng.random(x.size) < 0.1] = np.nan
    whole = column_moments(pl.Series(x))
    parts = pl.concat([pl.Series(x[:333]), pl.Series(x[333:5000]), pl.Series(x[5000:])], rechunk=False)
    assert parts.n_chunks() == 3
    assert column_moments(parts) == whole
    assert column_moments(pa.chunked_array([x[:7], x[7:]])) == whole


@pytest.mark.parametrize("where", [0, 5, 1023, 1024, 2999])
def test_infinity_is_reported_wherever_it_is(where):
    x = np.ones(3000)
    x[where] = -np.inf
    assert column_moments(x).has_inf
    s = pl.Series(x).scatter(where, None)  # an infinity under a null slot is not a value
    assert not column_moments(s).has_inf
    big = np.full(3000, 1e308)  # finite values whose sum overflows are not an infinity
    assert not column_moments(big).has_inf


def test_validity_bitmap_too_short_is_refused():
    from tabprep._native.moments import moments

    with pytest.raises(ValueError, match="too short"):
        moments(np.ones(20), np.zeros(2, dtype=np.uint8), 0)
    with pytest.raises(ValueError, match="bit0"):
        moments(np.ones(4), None, -1)


@pytest.mark.parametrize("value", [0.1, 1 / 3, 100 + 1 / 3, 123.456, -7.25e12, 1e-300, -0.0])
@pytest.mark.parametrize("n", [1, 7, 1024, 1025, 3000])
def test_a_constant_column_gives_exactly_its_value_and_zero(value, n):
    # the block mean sum/count of n copies of 0.1 is not 0.1: the deviations from it were not 0
    x = np.full(n, value)
    holes = np.full(n, value)
    holes[1::5] = np.nan
    f32 = np.float32(value)
    columns = [x, holes, pl.Series(x).scatter(list(range(1, n, 3)), None), np.full(n, f32),
               pl.Series(np.full(n + 3, value)).slice(3)]
    for column in columns:
        m = column_moments(column)
        want = float(f32) if getattr(column, "dtype", None) == np.float32 else value
        assert (m.mean, m.m2) == (want, 0.0), column
        # no -0.0 mean: the same bits as a sum from +0.0 (and as before the fix)
        assert math.copysign(1.0, m.mean) == math.copysign(1.0, want + 0.0)


def test_constant_blocks_of_different_values_still_merge_exactly():
    x = np.concatenate([np.full(1024, 0.1), np.full(1024, 0.3), np.full(500, 0.1)])
    m = column_moments(x)
    n, mean, var = moments_ref(x)
    assert m.n == n and abs(m.mean - mean) <= 1e-14 * mean and abs(m.m2 - var * n) <= 1e-13 * var * n


# ------------------------------------------------------------------ a chunked column, read in place
@st.composite
def _chunked(draw):
    """A column (floats, nulls, NaN) and cut points splitting it into chunks of any lengths,
    empty chunks and chunks shorter than a block included."""
    x = draw(values)
    cuts = draw(st.lists(st.integers(0, len(x)), max_size=8))
    return x, sorted(cuts)


def _pieces(s, cuts):
    edges = [0, *cuts, s.len()]
    return pl.concat([s.slice(a, b - a) for a, b in zip(edges, edges[1:])], rechunk=False)


@settings(max_examples=200, deadline=None)
@given(data=_chunked(), offset=st.integers(0, 9), wide=st.booleans())
def test_chunked_column_gives_the_one_chunk_bits(data, offset, wide):
    """Any chunking (blocks spanning chunk boundaries, bitmaps behind bit offsets, empty chunks)
    gives the bits of the same column in one chunk, and the exact reference's values."""
    x, cuts = data
    dtype = pl.Float64 if wide else pl.Float32
    if not wide:
        x = [v if v is None or math.isnan(v) else float(np.float32(v)) for v in x]
    s = pl.Series([0.5] * offset + x, dtype=dtype).slice(offset)
    one = column_moments(s.rechunk())
    chunked = _pieces(s, cuts)
    edges = [0, *cuts, len(x)]
    assert chunked.n_chunks() == max(1, sum(b > a for a, b in zip(edges, edges[1:])))  # Polars drops empty ones
    assert column_moments(chunked) == one
    # pyarrow chunks (each with its own offset, empty ones kept) and NaN-only chunks (no bitmap) alike
    arrow = pa.chunked_array([s.slice(a, b - a).to_arrow() for a, b in zip(edges, edges[1:])], type=s.to_arrow().type)
    assert column_moments(arrow) == one
    dense = np.array([math.nan if v is None else v for v in x], dtype=np.float64 if wide else np.float32)
    assert column_moments(_pieces(pl.Series(dense), cuts)) == column_moments(dense) == one
    _check(one, x)


def test_chunked_kernel_numpy_reference_across_block_boundaries():
    """Chunks cut just before, at and after the kernel's 1024-row blocks, one row long, empty."""
    from tabprep._native.moments import moments, moments_chunks

    rng = np.random.default_rng(5)
    x = rng.normal(3.0, 2.0, 5000)
    x[rng.random(x.size) < 0.05] = np.nan
    for cuts in ([1023], [1024], [1025], [1, 2, 3], [0, 0, 5000], [1000, 1024, 2048, 2049, 4999], list(range(0, 5000, 97))):
        edges = [0, *cuts, x.size]
        parts = [x[a:b] for a, b in zip(edges, edges[1:])]
        got = moments_chunks(parts, [None] * len(parts), [0] * len(parts))
        assert got == moments(x, None, 0), cuts
        assert got[0] == int((~np.isnan(x)).sum())
        assert abs(got[2] - np.nanmean(x)) <= 1e-14 * abs(np.nanmean(x))
        assert abs(got[3] / got[0] - np.nanvar(x)) <= 1e-12 * np.nanvar(x)


def test_chunked_kernel_refuses_bad_chunks():
    from tabprep._native.moments import moments_chunks

    assert moments_chunks([], [], []) == (0, 0.0, 0.0, 0.0, False)
    with pytest.raises(ValueError, match="one entry per chunk"):
        moments_chunks([np.ones(3)], [], [0])
    with pytest.raises(ValueError, match="every chunk"):
        moments_chunks([np.ones(3), np.ones(3, dtype=np.float32)], [None, None], [0, 0])
    with pytest.raises(ValueError, match="too short"):
        moments_chunks([np.ones(3), np.ones(20)], [None, np.zeros(2, dtype=np.uint8)], [0, 0])
    with pytest.raises(ValueError, match="bit0"):
        moments_chunks([np.ones(3)], [None], [-1])


def test_empty_chunks_with_an_offset_past_their_buffer_are_read_as_empty():
    # Polars can hand a batch an empty chunk whose offset lies past its (short) buffer: seen
    # with one-row batches of a chunked frame (tests/pipeline/test_pipeline_batches.py)
    empty = pa.Array.from_buffers(pa.float64(), 0, [None, pa.py_buffer(b"")], offset=5)
    column = pa.chunked_array([pa.array([1.0, None, 4.0]), empty, pa.array([7.0])], type=pa.float64())
    assert column_moments(column) == column_moments(pa.array([1.0, None, 4.0, 7.0]))
    assert column_moments(empty).n == 0
