"""Binning kernels (exact order statistics, percentiles, bin search, per-bin sums) vs naive references."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracles.binning import bin_codes_ref, cells_ref, order_statistics_ref, percentiles_ref, target_stats_ref

from tabprep._native import binning as native
from tabprep.kernels import _binning as kb

METHODS = kb.QUANTILE_METHODS


@pytest.fixture(params=["simd", "scalar"])
def search_path(request):
    """Run a test with the AVX-512 search (when the CPU has it) and with the portable scalar one."""
    if request.param == "simd" and not native.simd():
        pytest.skip("no AVX-512 on this CPU")
    native.simd(request.param == "simd")
    yield request.param
    native.simd(True)


def _data(kind: str, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n)
    if kind == "lognormal":
        return rng.lognormal(sigma=2.0, size=n)
    if kind == "ties":
        return rng.integers(0, 5, size=n).astype(np.float64)
    if kind == "zeros_heavy":
        x = rng.exponential(size=n)
        x[rng.random(n) < 0.6] = 0.0
        return x
    if kind == "constant":
        return np.full(n, 2.5)
    if kind == "sorted":
        return np.sort(rng.normal(size=n))
    if kind == "reversed":
        return np.sort(rng.normal(size=n))[::-1].copy()
    if kind == "nan":
        x = rng.normal(size=n)
        x[rng.random(n) < 0.3] = np.nan
        return x
    if kind == "float32":
        return rng.lognormal(size=n).astype(np.float32)
    if kind == "int":
        return rng.integers(-50, 50, size=n)
    if kind == "two_values":
        return np.where(rng.random(n) < 0.01, 1.0, -1.0)
    raise ValueError(kind)


KINDS = ["normal", "lognormal", "ties", "zeros_heavy", "constant", "sorted", "reversed", "nan", "float32",
         "int", "two_values"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 7, 1000, 70_000])
def test_order_statistics_match_sort(kind, n, search_path):
    x = _data(kind, n)
    col = kb.column_buffers(x)
    nv = int((~np.isnan(np.asarray(x, dtype=float))).sum())
    if nv == 0:
        pytest.skip("no valid values")
    ranks = np.unique(np.linspace(0, nv - 1, 25).astype(np.int64))
    n_valid, got = kb.order_statistics(col, lambda m: ranks)
    ref_n, ref = order_statistics_ref(x, ranks)
    assert n_valid == ref_n
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_order_statistics_threads_agree(n_threads):
    x = _data("lognormal", 600_000, seed=3)
    ranks = np.arange(0, 600_000, 9_999)
    n, got = kb.order_statistics(kb.column_buffers(x), lambda m: ranks, n_threads=n_threads)
    np.testing.assert_array_equal(got, np.sort(x)[ranks])


def test_order_statistics_all_missing_and_empty():
    n, got = kb.order_statistics(kb.column_buffers(np.full(50_000, np.nan)), lambda m: pytest.fail("called"))
    assert n == 0 and got.size == 0
    n, got = kb.order_statistics(kb.column_buffers(np.empty(0)), lambda m: pytest.fail("called"))
    assert n == 0 and got.size == 0


def test_order_statistics_few_valid_among_many_missing():
    x = np.full(200_000, np.nan)
    x[[5, 77_777, 199_999]] = [3.0, -1.0, 2.0]
    n, got = kb.order_statistics(kb.column_buffers(x), lambda m: np.arange(m))
    assert n == 3
    np.testing.assert_array_equal(got, [-1.0, 2.0, 3.0])


def test_order_statistics_rejects_bad_ranks():
    with pytest.raises(IndexError):
        kb.order_statistics(kb.column_buffers(np.arange(5.0)), lambda m: np.array([m]))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 3, 10, 999, 40_000])
@pytest.mark.parametrize("n_bins", [2, 5, 32])
def test_percentiles_bit_identical_to_numpy(method, kind, n, n_bins):
    x = _data(kind, n, seed=n)
    pct = np.linspace(0, 100, n_bins + 1)
    if np.isnan(np.asarray(x, dtype=float)).all():
        pytest.skip("no valid values")
    n_valid, got = kb.percentiles(kb.column_buffers(x), pct, method)
    ref = percentiles_ref(x, pct, method)
    np.testing.assert_array_equal(got, ref)


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 300),
                 elements=st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0.0, 1.0, np.nan]))),
    n_bins=st.integers(2, 40),
    method=st.sampled_from(METHODS),
)
def test_percentiles_property(x, n_bins, method):
    if np.isnan(x).all():
        return
    pct = np.linspace(0, 100, n_bins + 1)
    _, got = kb.percentiles(kb.column_buffers(x), pct, method)
    np.testing.assert_array_equal(got, percentiles_ref(x, pct, method))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_bins=st.integers(2, 64), method=st.sampled_from(METHODS),
       distinct=st.sampled_from([3, 100, 10**9]))
def test_percentiles_property_selection_path(seed, n_bins, method, distinct):
    for path in (True, False):
        native.simd(path)
        try:
            _check_selection_path(seed, n_bins, method, distinct)
        finally:
            native.simd(True)


def _check_selection_path(seed, n_bins, method, distinct):
    # large enough to go through sample + bucket + select rather than the small-input sort
    rng = np.random.default_rng(seed)
    x = rng.integers(0, distinct, size=20_000).astype(np.float64) * 0.37
    pct = np.linspace(0, 100, n_bins + 1)
    _, got = kb.percentiles(kb.column_buffers(x), pct, method)
    np.testing.assert_array_equal(got, percentiles_ref(x, pct, method))


def test_column_buffers_polars_nulls_zero_copy_and_offset():
    s = pl.Series("a", [1.0, None, 3.0, float("nan"), 5.0, None, 7.0])
    col = kb.column_buffers(s)
    assert col.validity is not None and col.values.dtype == np.float64
    np.testing.assert_array_equal(col.valid_values(), [1.0, 3.0, 5.0, 7.0])
    # a sliced Arrow array has a non-zero offset into its buffers
    arr = pa.array([9.0, None, 1.0, 2.0, None, 4.0]).slice(1)
    col = kb.column_buffers(arr)
    assert col.bit0 == 1
    np.testing.assert_array_equal(col.valid_values(), [1.0, 2.0, 4.0])
    out = kb.bin_codes(col, [1.5, 3.0], dtype=np.float64)
    np.testing.assert_array_equal(out, [np.nan, 0.0, 1.0, np.nan, 2.0])


@pytest.mark.parametrize("source", ["int32", "float32", "bool", "uint8"])
def test_column_buffers_casts(source):
    dtype = {"int32": pl.Int32, "float32": pl.Float32, "bool": pl.Boolean, "uint8": pl.UInt8}[source]
    s = pl.Series("a", [0, 1, 1, 0, None]).cast(dtype)
    col = kb.column_buffers(s)
    assert col.values.dtype == (np.float32 if source == "float32" else np.float64)
    np.testing.assert_array_equal(col.valid_values(), [0, 1, 1, 0])


def test_column_buffers_rejects_strings():
    with pytest.raises(TypeError):
        kb.column_buffers(pl.Series(["a"]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.int16, np.int8, np.uint8])
@pytest.mark.parametrize("n_edges", [0, 1, 2, 7, 8, 9, 31, 32, 33, 100, 255, 256, 257, 300])
def test_bin_codes_match_reference(dtype, n_edges, search_path):
    rng = np.random.default_rng(n_edges)
    x = rng.normal(size=1003)
    x[::17] = np.nan
    edges = np.sort(rng.normal(size=n_edges))
    x[5:5 + n_edges] = edges  # values exactly on edges go right (side="right")
    missing = -1 if np.dtype(dtype).kind == "i" else (0 if np.dtype(dtype).kind == "u" else np.nan)
    got = kb.bin_codes(kb.column_buffers(x), edges, dtype=dtype, missing=missing)
    ref = bin_codes_ref(x, edges, missing=missing)
    np.testing.assert_array_equal(got, ref.astype(dtype))
    valid = ~np.isnan(x)
    np.testing.assert_array_equal(got[valid], np.searchsorted(edges, x[valid], side="right").astype(dtype))


@settings(max_examples=100, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(0, 100), elements=st.floats(allow_nan=True, allow_infinity=True)),
    edges=hnp.arrays(np.float64, st.integers(0, 20), elements=st.floats(-1e300, 1e300)),
    mids=st.booleans(),
)
def test_bin_codes_property(x, edges, mids):
    edges = np.sort(edges)
    table = (np.arange(edges.size + 1) * 1.5 - 3.0) if mids else None
    for path in (True, False):
        native.simd(path)
        try:
            got = kb.bin_codes(kb.column_buffers(x), edges, table)
        finally:
            native.simd(True)
        np.testing.assert_array_equal(got, bin_codes_ref(x, edges, table))


@pytest.mark.parametrize("n_threads", [1, 2, 4])
def test_bin_codes_threads(n_threads, search_path):
    x = _data("lognormal", 700_001, seed=1)
    edges = np.quantile(x, np.linspace(0, 1, 33))[1:-1]
    got = kb.bin_codes(kb.column_buffers(x), edges, dtype=np.int16, n_threads=n_threads)
    np.testing.assert_array_equal(got, np.searchsorted(edges, x, side="right"))


def test_bin_codes_validity_bitmap(search_path):
    s = pl.Series([0.5, None, 2.5, None, 1.0])
    got = kb.bin_codes(kb.column_buffers(s), [1.0, 2.0], dtype=np.int32, missing=-7)
    np.testing.assert_array_equal(got, [0, -7, 2, -7, 1])


def test_bin_codes_argument_checks():
    col = kb.column_buffers(np.arange(4.0))
    with pytest.raises(ValueError, match="sorted"):
        kb.bin_codes(col, [2.0, 1.0])
    with pytest.raises(ValueError, match="entries"):
        kb.bin_codes(col, [1.0], table=[1.0])
    with pytest.raises(TypeError):
        kb.bin_codes(col, [1.0], dtype=np.uint16)
    with pytest.raises(ValueError):
        kb.bin_codes(col, [1.0], out=np.empty(3))


def test_bin_target_stats_match_reference():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    x[::11] = np.nan
    y = rng.normal(size=500)
    edges = np.array([-1.0, 0.0, 0.5])
    got = kb.bin_target_stats(kb.column_buffers(x), edges, y)
    ref = target_stats_ref(x, edges, y)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-12)


def test_kernel_range_and_shape_checks():
    from tabprep._native import binning as nb

    x = np.arange(10.0)
    with pytest.raises(ValueError, match="row range"):
        nb.bin_codes(x, None, 0, np.array([1.0]), np.arange(2.0), np.empty(10), 0.0, 0, 11)
    with pytest.raises(ValueError, match="bitmap"):
        nb.bin_codes(x, np.zeros(1, np.uint8), 0, np.array([1.0]), np.arange(2.0), np.empty(10), 0.0, 0, 10)
    ids, hist, lo, sc = np.empty(10, np.uint16), np.zeros(32 * 4 + 1, np.int64), np.zeros(32), np.zeros(32)
    with pytest.raises(ValueError, match="splitters"):
        nb.cell_pass(x, None, 0, np.empty(0), lo, sc, 2, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="splitters"):
        nb.cell_pass(x, None, 0, np.arange(32.0), lo, sc, 2, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="sorted"):
        nb.cell_pass(x, None, 0, np.array([2.0, 1.0]), lo, sc, 2, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="sorted"):
        nb.cell_pass(x, None, 0, np.array([1.0, 1.0]), lo, sc, 2, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="scale"):
        nb.cell_pass(x, None, 0, np.array([1.0]), lo, np.full(32, -1.0), 2, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="qbits"):
        nb.cell_pass(x, None, 0, np.array([1.0]), lo, sc, 11, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="hist"):
        nb.cell_pass(x, None, 0, np.array([1.0]), lo, sc, 3, ids, hist, 0, 10)
    with pytest.raises(ValueError, match="row range"):
        nb.cell_pass(x, None, 0, np.array([1.0]), lo, sc, 2, ids, hist, 0, 11)
    with pytest.raises(ValueError, match="segment"):
        nb.select_in_segments(np.arange(5.0), np.array([0]), np.array([3]), np.array([3]))
    cur = np.array([0, 0, 0, -1], dtype=np.int64)
    with pytest.raises(ValueError, match="beyond"):
        nb.gather_buckets(x, np.zeros(10, np.uint16), cur, np.empty(2), 0, 10)
    buf = np.empty(2)
    cur = np.array([0, -1, 1, -1], dtype=np.int64)
    nb.gather_buckets(x, np.array([0, 1, 2, 1, 9, 1, 1, 1, 1, 1], np.uint16), cur, buf, 0, 10)
    assert buf[:2].tolist() == [0.0, 2.0] and cur.tolist() == [1, -1, 2, -1]


@pytest.mark.parametrize("sizes", [[30_000, 1, 25_000], [5, 7], [100_000, 100_000, 3]])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_order_statistics_over_chunks(sizes, n_threads, search_path):
    rng = np.random.default_rng(sum(sizes))
    parts = []
    for n in sizes:
        x = rng.lognormal(size=n)
        x[rng.random(n) < 0.1] = np.nan
        parts.append(pl.Series("a", x).fill_nan(None) if n % 2 else pl.Series("a", x))
    s = pl.concat(parts, rechunk=False)
    chunks = kb.column_chunks(s)
    assert len(chunks) == len(sizes)
    flat = np.concatenate([p.to_numpy() for p in parts])
    nv = int((~np.isnan(flat)).sum())
    ranks = np.unique(np.linspace(0, nv - 1, 40).astype(np.int64))
    n, got = kb.order_statistics(chunks, lambda m: ranks, n_threads=n_threads)
    ref_n, ref = order_statistics_ref(flat, ranks)
    assert n == ref_n
    np.testing.assert_array_equal(got, ref)
    for method in ("linear", "averaged_inverted_cdf"):
        _, p = kb.percentiles(chunks, np.linspace(0, 100, 17), method)
        np.testing.assert_array_equal(p, percentiles_ref(flat, np.linspace(0, 100, 17), method))


def _cell_tables(rng, n_splitters, qbits, special=False):
    """Sorted distinct splitters plus lo/scale tables: realistic ones, or adversarial ones."""
    splitters = np.unique(rng.normal(size=n_splitters).round(2))
    lo = np.zeros(32)
    sc = np.zeros(32)
    bounds = np.concatenate([[splitters[0] - 1.0], splitters, [splitters[-1] + 1.0]])
    s = splitters.size
    lo[:s + 1] = bounds[:-1]
    sc[:s + 1] = ((1 << qbits) - 1) / np.diff(bounds)
    if special:  # any lo (even +-inf) and any scale >= 0 (0, tiny, huge, inf) keep cells ordered
        lo[:s + 1] = rng.choice([0.0, -1e308, 1e308, -np.inf, np.inf, 5.0], size=s + 1)
        sc[:s + 1] = rng.choice([0.0, 1e-300, 1.0, 1e300, np.inf], size=s + 1)
    return splitters, lo, sc


@pytest.mark.parametrize("n_splitters", [1, 5, 31])
@pytest.mark.parametrize("qbits", [1, 3, 7, 10])
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cell_pass_matches_reference(n_splitters, qbits, special, dtype, search_path):
    rng = np.random.default_rng(n_splitters * 100 + qbits)
    splitters, lo, sc = _cell_tables(rng, n_splitters, qbits, special)
    x = np.concatenate([rng.normal(size=2000).round(2), splitters, [np.nan, np.inf, -np.inf, -0.0, 0.0,
                                                                    1e308, -1e308, 5e-324]])
    with np.errstate(over="ignore"):  # 1e308 -> inf in float32
        x = x.astype(dtype)
    splitters = np.unique(splitters.astype(dtype).astype(np.float64))
    ids = np.empty(x.size, dtype=np.uint16)
    hist = np.zeros((32 << qbits) + 1, dtype=np.int64)
    native.cell_pass(x, None, 0, splitters, lo, sc, qbits, ids, hist, 0, x.size)
    ref_ids, ref_hist = cells_ref(x, splitters, lo, sc, qbits)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_array_equal(hist, ref_hist)
    assert hist[-1] == 1
    # cells are ordered: a value never sits in a lower cell than a smaller value
    order = np.argsort(x, kind="stable")
    valid = ~np.isnan(x[order])
    assert np.all(np.diff(ids[order][valid].astype(np.int64)) >= 0)
    for i in range(0, x.size, 7):  # the portable one-value function agrees
        if not np.isnan(x[i]):
            assert native.cell_of(float(x[i]), splitters, lo, sc, qbits) == ref_ids[i]


@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(0, 90), elements=st.floats(allow_nan=True, allow_infinity=True)),
    splitters=hnp.arrays(np.float64, st.integers(1, 31), elements=st.floats(-1e300, 1e300), unique=True),
    lo=hnp.arrays(np.float64, 32, elements=st.floats(allow_nan=False, allow_infinity=True)),
    sc=hnp.arrays(np.float64, 32, elements=st.floats(0, 1e300) | st.just(np.inf)),
    qbits=st.integers(1, 10),
    offset=st.integers(0, 9),
    nulls=st.booleans(),
)
def test_cell_pass_property(x, splitters, lo, sc, qbits, offset, nulls):
    """Any sorted splitters and any lo/scale >= 0: same ids as the reference on both paths, in
    order of value, with the rows equal to a splitter in its exact-value cell."""
    splitters = np.sort(splitters) + 0.0  # -0.0 and 0.0 are one value
    splitters = splitters[np.concatenate([[True], splitters[1:] != splitters[:-1]])]
    arr = pa.array(np.concatenate([np.zeros(offset), x]), mask=None if not nulls else
                   np.concatenate([np.zeros(offset, bool), (np.arange(x.size) % 3) == 1])).slice(offset)
    col = kb.column_buffers(arr)
    bits = None if col.validity is None else (np.arange(x.size) % 3) != 1
    ref_ids, ref_hist = cells_ref(x, splitters, lo, sc, qbits, bits)
    for path in (True, False):
        native.simd(path)
        try:
            ids = np.empty(x.size, dtype=np.uint16)
            hist = np.zeros((32 << qbits) + 1, dtype=np.int64)
            half = x.size // 2
            native.cell_pass(col.values, col.validity, col.bit0, splitters, lo, sc, qbits, ids, hist, 0, half)
            native.cell_pass(col.values, col.validity, col.bit0, splitters, lo, sc, qbits, ids, hist, half, x.size)
        finally:
            native.simd(True)
        np.testing.assert_array_equal(ids, ref_ids)
        np.testing.assert_array_equal(hist, ref_hist)
    ok = ref_ids != 0xFFFF
    xs, cs = x[ok], ref_ids[ok].astype(np.int64)
    order = np.argsort(xs, kind="stable")
    assert np.all(np.diff(cs[order]) >= 0)
    q = 1 << qbits
    exact = (cs % q == 0) & (cs >= q)
    np.testing.assert_array_equal(xs[exact], splitters[cs[exact] // q - 1])


_ADVERSARIAL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e308, -1e308, 5e-324]),
    st.integers(-3, 3).map(float),
)


@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 400), elements=_ADVERSARIAL),
    n_chunks=st.integers(1, 3),
    n_threads=st.integers(1, 3),
    float32=st.booleans(),
)
def test_order_statistics_selection_path_property(monkeypatch_module, x, n_chunks, n_threads, float32):
    """The sample + cells + gather + select path (forced even for tiny inputs) on adversarial
    data -- heavy ties, +-inf, +-0.0, NaN, extremes, float32 -- against a full sort, on both
    search paths, whatever the chunking and thread count."""
    if float32:
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
    nv = int((~np.isnan(x)).sum())
    parts = np.array_split(x, n_chunks)
    chunks = [kb.column_buffers(np.ascontiguousarray(p)) for p in parts if p.size]
    ranks = np.unique(np.linspace(0, max(nv - 1, 0), 9).astype(np.int64))
    ref_n, ref = order_statistics_ref(x, ranks) if nv else (0, np.empty(0))
    for path in (True, False):
        native.simd(path)
        try:
            n, got = kb.order_statistics(chunks, lambda m: ranks, n_threads=n_threads)
        finally:
            native.simd(True)
        assert n == ref_n
        np.testing.assert_array_equal(got, ref)


@settings(max_examples=100, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 300), elements=_ADVERSARIAL.filter(lambda v: not np.isinf(v))),
    n_bins=st.integers(2, 40),
    method=st.sampled_from(METHODS),
    float32=st.booleans(),
)
def test_percentiles_selection_path_property(monkeypatch_module, x, n_bins, method, float32):
    if float32:
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
    if np.isnan(x).all():
        return
    pct = np.linspace(0, 100, n_bins + 1)
    with np.errstate(all="ignore"):
        ref = percentiles_ref(x, pct, method)
    _, got = kb.percentiles(kb.column_buffers(x), pct, method)
    np.testing.assert_array_equal(got, ref)


@pytest.fixture(scope="module")
def monkeypatch_module():
    """Send every input through the selection path (no small-input sort), for this module's
    property tests; hypothesis runs many examples per test, so a module-scoped patch."""
    mp = pytest.MonkeyPatch()
    mp.setattr(kb, "_SORT_BELOW", 0)
    yield mp
    mp.undo()


@pytest.mark.parametrize("kind", ["lognormal", "ties", "zeros_heavy", "two_values", "constant", "float32", "nan"])
def test_order_statistics_selection_heavy_ties_and_tails(kind):
    rng = np.random.default_rng(5)
    x = _data(kind, 200_003, seed=5)
    if kind == "lognormal":
        x[rng.integers(0, x.size, 50)] = np.inf  # a heavy tail reaching +inf
        x[rng.integers(0, x.size, 50)] = -np.inf
    nv = int((~np.isnan(np.asarray(x, dtype=float))).sum())
    ranks = np.unique(np.r_[np.linspace(0, nv - 1, 65).astype(np.int64), 1, nv - 2])
    n, got = kb.order_statistics(kb.column_buffers(x), lambda m: ranks)
    ref_n, ref = order_statistics_ref(x, ranks)
    assert n == ref_n
    np.testing.assert_array_equal(got, ref)


@settings(max_examples=100, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(0, 120), elements=st.floats(allow_nan=True, allow_infinity=True)),
    n_edges=st.integers(0, 40),
    offset=st.integers(0, 9),
    nulls=st.booleans(),
    float32=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.int16, np.int8, np.uint8]),
    data=st.data(),
)
def test_bin_codes_blocks_bitmap_property(x, n_edges, offset, nulls, float32, dtype, data):
    """Vector blocks of 8/16 rows plus scalar tails, validity bitmaps at any bit offset, float32
    input and every output type, for <= 31 edges (register search) and more (broadcast search)."""
    edges = np.sort(data.draw(hnp.arrays(np.float64, n_edges, elements=st.floats(-1e300, 1e300))))
    if float32:
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
    mask = (np.arange(x.size) % 4) == 2 if nulls else np.zeros(x.size, bool)
    arr = pa.array(np.concatenate([np.zeros(offset, x.dtype), x]),
                   mask=np.concatenate([np.zeros(offset, bool), mask])).slice(offset)
    col = kb.column_buffers(arr)
    kind = np.dtype(dtype).kind
    missing = -1 if kind == "i" else (7 if kind == "u" else np.nan)
    table = None if kind in "iu" else np.arange(n_edges + 1) * 0.5 - 1.0
    ref = bin_codes_ref(x, edges, table, missing=missing, validity_bits=~mask)
    for path in (True, False):
        native.simd(path)
        try:
            got, n_missing = kb.bin_codes(col, edges, table, dtype=dtype, missing=missing, return_missing=True)
        finally:
            native.simd(True)
        np.testing.assert_array_equal(got, ref.astype(dtype))
        assert n_missing == int((np.isnan(x.astype(np.float64)) | mask).sum())


def test_empty_output_is_arrow_memory():
    out = kb.empty_output(1000, np.int16)
    assert out.dtype == np.int16 and out.shape == (1000,) and out.flags.writeable and out.flags.c_contiguous
    assert isinstance(out.base, pa.Buffer)
    out[:] = 3
    assert kb.empty_output(0, np.float64).shape == (0,)
    got = kb.bin_codes(kb.column_buffers(np.array([0.0, 2.0])), [1.0])
    assert isinstance(got.base, pa.Buffer) and got.tolist() == [0.0, 1.0]
