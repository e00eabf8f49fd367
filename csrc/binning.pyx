# distutils: language = c++
"""Binning kernels: exact order statistics by selection, branch-free bin search, per-bin target sums.

Every kernel works on one contiguous float32/float64 values buffer plus an optional Arrow validity
bitmap (``validity`` + bit offset ``bit0``: row ``i`` is null when bit ``bit0 + i`` is 0), over a row
range ``[start, stop)`` so the caller can split rows between threads. NaN counts as missing, like a
null. No Python object is touched inside the loops, which run without the GIL.

Exact quantiles without a full sort (``tabprep.kernels._binning.order_statistics`` orchestrates):

1. ``sample_values``: a deterministic pseudo-random sample (4096 values); the caller sorts it
   and keeps up to 31 distinct *splitters* (its 1/32 .. 31/32 quantiles) plus, per coarse
   bucket between splitters, a linear map onto ``Q`` cells.
2. ``cell_pass``: one pass puts every row in one of 32 * Q *cells* -- a non-decreasing function
   of the value (cell ``c * Q`` holds the values equal to splitter ``c - 1``, which are then
   known without looking at them) -- writing the cell id per row and a histogram.
3. The histogram says which cell holds each wanted rank. ``gather_buckets`` copies only the
   values of those cells (~1% of the data for 33 ranks of smooth data) into one buffer.
4. ``select_in_segments`` runs ``nth_element`` inside each cell's segment.

The result is exact whatever the sample: the sample only decides how much work steps 3-4 do.

The bin search is the hot loop of ``cell_pass`` and ``bin_codes``. Portable code: a
branch-free binary search (the trip count depends only on the number of edges; each step is a
conditional move) run on 8 values at once, so the 8 independent dependency chains overlap in the
CPU. With AVX-512 (detected at run time; ``simd(False)`` turns it off): up to 31 edges live in
registers and each vector lane runs its own search (``tpb_v32``: one permute, compare and masked
add per level, no memory access), ~2-3x faster than the portable code; 32 to 256 edges are
searched by broadcasting each value against vectors of edges. All paths give identical results
and are tested against each other.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint64_t
from libc.math cimport isnan
from libcpp.algorithm cimport nth_element

from tp_types cimport bin_out_t, real_t
from tp_vec cimport tp_bit

cdef extern from "binning.h" nogil:
    Py_ssize_t tpb_codes[V, O](const V* x, const uint8_t* vbits, int64_t bit0, const double* e,
                               Py_ssize_t m, const double* table, O* out, O miss,
                               Py_ssize_t start, Py_ssize_t stop)
    ctypedef struct tpb_cellmap:
        double e[32]
        double lo[32]
        double sc[32]
        Py_ssize_t S
        int qbits
        double qmax
    void tpb_cells[V](const V* x, const uint8_t* vbits, int64_t bit0, const tpb_cellmap* cm,
                      uint16_t* ids, int64_t* h, Py_ssize_t start, Py_ssize_t stop)
    unsigned int tpb_cell_scalar(const tpb_cellmap* cm, double x)
    int tpb_gather[V](const V* x, const uint16_t* ids, int64_t* cursor, Py_ssize_t nb,
                      double* buf, Py_ssize_t nbuf, Py_ssize_t start, Py_ssize_t stop)
    void tpb_target_stats[V](const V* x, const uint8_t* vbits, int64_t bit0, const double* e,
                             Py_ssize_t m, const double* y, int64_t* counts, double* sums,
                             double* sumsq, Py_ssize_t start, Py_ssize_t stop)
    int tpb_avx512()
    int tpb_simd_off
    Py_ssize_t tpb_partition(const double* cc, const double* ss, Py_ssize_t P, Py_ssize_t G,
                             double min_count, int monotonic, int objective, double tot_ev,
                             double tot_non, double reg, int64_t* cuts)

def simd(enabled=None):
    """Whether the AVX-512 search is used (CPU support and not switched off); ``simd(False)``
    forces the portable scalar search (tests run both), ``simd(True)`` allows AVX-512 again."""
    global tpb_simd_off
    if enabled is not None:
        tpb_simd_off = 0 if enabled else 1
    return bool(tpb_avx512())


# Cell id cell_pass writes for null/NaN rows (never a real cell: real ids are < 2**15).
MISSING_BUCKET = 0xFFFF


cdef int _check_range(Py_ssize_t n, Py_ssize_t start, Py_ssize_t stop) except -1:
    if start < 0 or stop > n or start > stop:
        raise ValueError(f"row range [{start}, {stop}) outside the {n} values")
    return 0


cdef const uint8_t* _bits(const uint8_t[::1] validity, int64_t bit0, Py_ssize_t n) except? NULL:
    # NULL means "no validity bitmap": every row is valid (NaN still counts as missing).
    if validity is None or validity.shape[0] == 0 and n == 0:
        return NULL
    if bit0 < 0 or (bit0 + n + 7) // 8 > validity.shape[0]:
        raise ValueError(
            f"validity bitmap of {validity.shape[0]} bytes too short for {n} rows at bit {bit0}")
    return &validity[0]


def sample_values(
    const real_t[::1] values,
    const uint8_t[::1] validity,
    int64_t bit0,
    Py_ssize_t m,
    uint64_t seed,
):
    """Return up to ``m`` valid (non-null, non-NaN) values drawn at pseudo-random rows, as float64.

    Rows are drawn with replacement by a seeded xorshift generator, so the sample is deterministic.
    Fewer than ``m`` values come back when many draws hit missing rows (at most ``2 * m`` draws).
    """
    import numpy as np

    cdef Py_ssize_t n = values.shape[0]
    cdef const uint8_t* vbits = _bits(validity, bit0, n)
    out_arr = np.empty(max(m, 0), dtype=np.float64)
    if n == 0 or m <= 0:
        return out_arr[:0]
    cdef double[::1] out = out_arr
    cdef uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL
    cdef Py_ssize_t got = 0, draws = 0, i
    cdef double x
    if state == 0:
        state = 1
    with nogil:
        while got < m and draws < 2 * m:
            # xorshift64*: cheap, and spreads draws over the rows whatever their order
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            i = <Py_ssize_t>(((state * 0x2545F4914F6CDD1DULL) >> 11) % <uint64_t>n)
            draws += 1
            if vbits != NULL and not tp_bit(vbits, bit0 + i):
                continue
            x = values[i]
            if isnan(x):
                continue
            out[got] = x
            got += 1
    return out_arr[:got]


# Cells per coarse bucket of cell_pass: 1 << qbits, qbits in [1, CELL_QBITS_MAX].
CELL_QBITS_MAX = 10


cdef int _fill_cellmap(tpb_cellmap* cm, const double[::1] splitters, const double[::1] lo,
                       const double[::1] scale, int qbits) except -1:
    cdef Py_ssize_t S = splitters.shape[0], k
    if S < 1 or S > 31:
        raise ValueError(f"need 1 to 31 splitters, got {S}")
    if lo.shape[0] != 32 or scale.shape[0] != 32:
        raise ValueError("lo and scale need 32 entries (one per coarse bucket)")
    if qbits < 1 or qbits > CELL_QBITS_MAX:
        raise ValueError(f"qbits must lie in [1, {CELL_QBITS_MAX}], got {qbits}")
    for k in range(S):
        if isnan(splitters[k]) or (k and not splitters[k - 1] < splitters[k]):
            raise ValueError("splitters must be sorted, distinct and not NaN")
    for k in range(32):
        if not scale[k] >= 0:
            raise ValueError("scale must be >= 0 (and not NaN)")
        cm.e[k] = splitters[k] if k < S else float("nan")
        cm.lo[k] = lo[k]
        cm.sc[k] = scale[k]
    cm.S = S
    cm.qbits = qbits
    cm.qmax = (1 << qbits) - 2
    return 0


def cell_pass(
    const real_t[::1] values,
    const uint8_t[::1] validity,
    int64_t bit0,
    const double[::1] splitters,
    const double[::1] lo,
    const double[::1] scale,
    int qbits,
    uint16_t[::1] ids,
    int64_t[::1] hist,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Put rows ``[start, stop)`` in cells, a non-decreasing function of the value.

    Coarse bucket ``c`` = number of ``splitters`` (1 to 31, sorted, distinct) ``<= x``; with
    ``Q = 1 << qbits``, cell ``c * Q`` holds the values equal to ``splitters[c - 1]`` and cells
    ``c * Q + 1 .. c * Q + Q - 1`` cut the bucket linearly from ``lo[c]`` with ``scale[c]``
    (``>= 0``) cells per unit: ``1 + clamp(trunc((x - lo[c]) * scale[c]), 0, Q - 2)``, a NaN
    product counting as 0. Any ``lo``/``scale`` keeps the cells ordered: they only decide how
    evenly the rows spread. ``ids[i]`` receives row ``i``'s cell (``MISSING_BUCKET`` for
    null/NaN) and ``hist`` (``32 * Q + 1`` entries, the last one for missing rows) is
    *incremented*.
    """
    cdef Py_ssize_t n = values.shape[0]
    _check_range(n, start, stop)
    cdef const uint8_t* vbits = _bits(validity, bit0, n)
    cdef tpb_cellmap cm
    _fill_cellmap(&cm, splitters, lo, scale, qbits)
    if ids.shape[0] != n:
        raise ValueError("ids must have one entry per value")
    if hist.shape[0] != (32 << qbits) + 1:
        raise ValueError("hist must have 32 * (1 << qbits) + 1 entries")
    if stop > start:
        with nogil:
            tpb_cells(&values[0], vbits, bit0, &cm, &ids[0], &hist[0], start, stop)


def cell_of(double x, const double[::1] splitters, const double[::1] lo, const double[::1] scale,
            int qbits):
    """The cell :func:`cell_pass` gives a (non-missing) value ``x`` (portable code; for tests)."""
    cdef tpb_cellmap cm
    _fill_cellmap(&cm, splitters, lo, scale, qbits)
    return tpb_cell_scalar(&cm, x)


def gather_buckets(
    const real_t[::1] values,
    const uint16_t[::1] ids,
    int64_t[::1] cursor,
    double[::1] buf,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Copy the values of rows ``[start, stop)`` whose bucket (``ids``, e.g. cells of
    :func:`cell_pass`) is wanted into ``buf``, as float64.

    ``cursor[b]`` is the next write position in ``buf`` for bucket ``b`` or -1 when bucket ``b``
    is not wanted; it has ``n_buckets + 1`` entries, the last one must be -1 (ids ``>=
    n_buckets``, such as ``MISSING_BUCKET``, are never wanted). Cursors advance as values are
    written, so threads given disjoint row ranges must get cursors pointing at disjoint parts of
    ``buf``.
    """
    cdef Py_ssize_t n = values.shape[0]
    _check_range(n, start, stop)
    if ids.shape[0] != n:
        raise ValueError("ids must have one entry per value")
    cdef Py_ssize_t nb = cursor.shape[0] - 1
    if nb < 1 or cursor[nb] != -1:
        raise ValueError("cursor needs n_buckets + 1 entries, the last one -1")
    cdef int rc = 0
    cdef double* pbuf = &buf[0] if buf.shape[0] > 0 else NULL
    if stop > start:
        with nogil:
            rc = tpb_gather(&values[0], &ids[0], &cursor[0], nb, pbuf, buf.shape[0], start, stop)
    if rc == -2:
        raise MemoryError("gather_buckets")
    if rc != 0:
        raise ValueError("gather_buckets: a cursor points beyond the buffer")


def select_in_segments(double[::1] buf, const int64_t[::1] seg_lo, const int64_t[::1] seg_hi,
                       const int64_t[::1] kth):
    """Return the values a full sort of each segment would put at positions ``kth``.

    Segment ``j`` is ``buf[seg_lo[j]:seg_hi[j]]`` and must contain ``kth[j]``; several entries may
    name the same segment. ``buf`` is reordered in place (``nth_element`` per entry, whose result
    is read right after its own call, so later calls on the same segment cannot disturb it).
    """
    import numpy as np

    cdef Py_ssize_t k = kth.shape[0], j, n = buf.shape[0]
    if seg_lo.shape[0] != k or seg_hi.shape[0] != k:
        raise ValueError("seg_lo, seg_hi and kth must have the same length")
    for j in range(k):
        if not (0 <= seg_lo[j] <= kth[j] < seg_hi[j] <= n):
            raise ValueError(f"kth[{j}]={kth[j]} outside its segment [{seg_lo[j]}, {seg_hi[j]})")
    out_arr = np.empty(k, dtype=np.float64)
    if k == 0:
        return out_arr
    cdef double[::1] out = out_arr
    cdef double* p = &buf[0]
    with nogil:
        for j in range(k):
            nth_element(p + seg_lo[j], p + kth[j], p + seg_hi[j])
            out[j] = p[kth[j]]
    return out_arr


def bin_codes(
    const real_t[::1] values,
    const uint8_t[::1] validity,
    int64_t bit0,
    const double[::1] inner_edges,
    const double[::1] table,
    bin_out_t[::1] out,
    double missing,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Write ``table[searchsorted(inner_edges, x, side="right")]`` for rows ``[start, stop)``.

    ``table`` has ``len(inner_edges) + 1`` entries (the codes ``0..n_bins-1`` for ordinal output,
    bin midpoints for midpoint output); null/NaN rows get ``missing`` (cast to the output type).
    Returns the number of missing rows in the range.
    """
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t m = inner_edges.shape[0]
    _check_range(n, start, stop)
    cdef const uint8_t* vbits = _bits(validity, bit0, n)
    if out.shape[0] != n:
        raise ValueError("out must have one entry per value")
    if table.shape[0] != m + 1:
        raise ValueError("table must have len(inner_edges) + 1 entries")
    cdef bin_out_t miss = <bin_out_t>missing
    # no inner edge (one bin): a NaN edge compares false with everything (+inf included), so
    # every value gets bin 0 (an edge at +inf would send x = +inf to a bin past the table)
    cdef double one_edge = float("nan")
    cdef const double* e = &inner_edges[0] if m > 0 else &one_edge
    cdef Py_ssize_t mm = m if m > 0 else 1
    cdef Py_ssize_t n_missing = 0
    if stop > start:
        with nogil:
            n_missing = tpb_codes(&values[0], vbits, bit0, e, mm, &table[0], &out[0], miss, start, stop)
    return n_missing


def bin_target_stats(
    const real_t[::1] values,
    const uint8_t[::1] validity,
    int64_t bit0,
    const double[::1] inner_edges,
    const double[::1] y,
    int64_t[::1] counts,
    double[::1] sums,
    double[::1] sumsq,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Accumulate per-bin row counts, target sums and sums of squares for rows ``[start, stop)``.

    Bins are ``searchsorted(inner_edges, x, side="right")``; slot ``len(inner_edges) + 1`` (the last
    one) collects null/NaN rows. Arrays are *incremented*, in row order (deterministic sums).
    """
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t m = inner_edges.shape[0]
    _check_range(n, start, stop)
    cdef const uint8_t* vbits = _bits(validity, bit0, n)
    if y.shape[0] != n:
        raise ValueError("y must have one entry per value")
    if counts.shape[0] != m + 2 or sums.shape[0] != m + 2 or sumsq.shape[0] != m + 2:
        raise ValueError("counts, sums and sumsq need len(inner_edges) + 2 entries")
    cdef const double* e = &inner_edges[0] if m > 0 else NULL
    if stop > start:
        with nogil:
            tpb_target_stats(&values[0], vbits, bit0, e, m, &y[0], &counts[0], &sums[0],
                             &sumsq[0], start, stop)


def optimal_partition(
    const double[::1] counts,
    const double[::1] sums,
    Py_ssize_t max_groups,
    double min_count,
    int monotonic,
    int objective,
    double total_events=0.0,
    double total_non_events=0.0,
    double regularization=1.0,
):
    """Best grouping of consecutive pre-bins by dynamic programming (exact optimum).

    Parameters
    ----------
    counts, sums : float64 arrays, one entry per pre-bin
        Rows and target sums (events for a binary target) per pre-bin.
    max_groups : int
        At most this many groups.
    min_count : float
        Every group needs at least this many rows.
    monotonic : int
        0: no constraint; +1: group means non-decreasing; -1: non-increasing.
    objective : int
        0: information value (binary target), summed over groups as tabprep's ``WOEEncoder``
        defines it: ``(e/E - q/Q) * ln(((e + r)/(E + 2r)) / ((q + r)/(Q + 2r)))`` with ``e``/``q``
        the group's events/non-events, ``E``/``Q`` = ``total_events``/``total_non_events`` and
        ``r`` = ``regularization`` (> 0); 1: sum over groups of ``sum**2 / count`` (continuous
        target: maximizing it minimizes the within-group sum of squares).

    Returns
    -------
    cuts : int64 array or None
        Group ``g`` is pre-bins ``cuts[g]:cuts[g + 1]``; None when no grouping satisfies
        ``min_count`` (fewer rows than ``min_count`` in total).

    Cost: O(max_groups * P**2) time without a monotonic constraint, O(max_groups * P**3) time and
    O(max_groups * P**2) memory with one (P = number of pre-bins; keep P <= ~256).
    """
    import numpy as np

    cdef Py_ssize_t P = counts.shape[0]
    if sums.shape[0] != P:
        raise ValueError("counts and sums must have the same length")
    if monotonic not in (-1, 0, 1) or objective not in (0, 1):
        raise ValueError("monotonic must be -1, 0 or 1 and objective 0 or 1")
    if objective == 0 and (total_events <= 0 or total_non_events <= 0 or not regularization > 0):
        raise ValueError("the information value needs positive total_events, total_non_events "
                         "and regularization")
    if P == 0 or max_groups < 1:
        return None
    cc_arr = np.zeros(P + 1, dtype=np.float64)
    ss_arr = np.zeros(P + 1, dtype=np.float64)
    np.cumsum(counts, out=cc_arr[1:])
    np.cumsum(sums, out=ss_arr[1:])
    cuts_arr = np.zeros(min(max_groups, P) + 1, dtype=np.int64)
    cdef double[::1] cc = cc_arr
    cdef double[::1] ss = ss_arr
    cdef int64_t[::1] cuts = cuts_arr
    cdef Py_ssize_t g
    with nogil:
        g = tpb_partition(&cc[0], &ss[0], P, max_groups, min_count, monotonic, objective,
                          total_events, total_non_events, regularization, &cuts[0])
    if g < 0:
        raise MemoryError("optimal_partition: not enough memory for the DP tables")
    if g == 0:
        return None
    return cuts_arr[:g + 1].copy()
