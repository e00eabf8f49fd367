# cython: language_level=3
"""Compiled kernels of tabprep.split: fold / split ids from labels, one sequential pass, nogil.

Labels arrive as integer values ``v`` with an offset ``lo``: ``code = v - lo`` indexes per-code
tables (a dense integer label column needs no factorize pass; factorized labels use ``lo = 0``).
The Python layer (tabprep.split, through tabprep.kernels) validates every input: kernels trust them.

Randomness: splitmix64 (Steele, Lea & Flood 2014) seeded with the caller's 64-bit seed, bounded
draws by Lemire's multiply-shift with rejection (exactly uniform). The same generator is written
out in Python in tests/oracles/split.py, which reproduces these kernels bit for bit; it lives in
csrc/tp_random.h, shared with csrc/sample.pyx.
"""

from libc.math cimport sqrt, fabs, INFINITY
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

cimport cython

from tp_types cimport label_t

import numpy as np

cdef extern from "tp_random.h" nogil:
    uint64_t tp_rng_bounded(uint64_t *s, uint64_t bound) noexcept
    uint64_t tp_rng_stream(uint64_t seed, uint64_t index) noexcept

cdef extern from "tp_sum.h" nogil:
    double tp_pairwise_sum(const double *a, Py_ssize_t n) noexcept nogil


cdef inline void _add_counts(const label_t[::1] values, int64_t lo, Py_ssize_t start, Py_ssize_t end,
                             int64_t[:, ::1] part, int64_t[::1] counts) noexcept nogil:
    """Add to ``counts[c]`` the rows of code ``c + lo`` among ``values[start:end]``. ``part`` is
    scratch of 4 tables of ``len(counts)`` slots (zeroed here), or of 1 for many codes: four
    interleaved tables, because consecutive rows of one code would otherwise chain their
    increments through memory (store-to-load forwarding on every row)."""
    cdef Py_ssize_t i, j, n_codes = counts.shape[0]
    if part.shape[0] != 4:
        for i in range(start, end):
            counts[<int64_t>values[i] - lo] += 1
        return
    for j in range(n_codes):
        part[0, j] = 0
        part[1, j] = 0
        part[2, j] = 0
        part[3, j] = 0
    i = start
    while i + 4 <= end:
        part[0, <int64_t>values[i] - lo] += 1
        part[1, <int64_t>values[i + 1] - lo] += 1
        part[2, <int64_t>values[i + 2] - lo] += 1
        part[3, <int64_t>values[i + 3] - lo] += 1
        i += 4
    while i < end:
        part[0, <int64_t>values[i] - lo] += 1
        i += 1
    for j in range(n_codes):
        counts[j] += part[0, j] + part[1, j] + part[2, j] + part[3, j]


cdef object _scratch(Py_ssize_t n_codes):
    """The ``part`` tables of :func:`_add_counts` for ``n_codes`` codes (4 up to 4096 codes: a
    few tables stay in cache; 1 above)."""
    return np.empty((4 if n_codes <= 4096 else 1, n_codes), dtype=np.int64)


cdef inline void _first_rows(const label_t[::1] values, int64_t lo, int64_t[::1] counts, int64_t[::1] first) noexcept nogil:
    """The first row of each code with rows (``first`` filled with -1): one pass from the top
    that stops as soon as every such code has been seen."""
    cdef Py_ssize_t i, j, n = values.shape[0]
    cdef int64_t c, n_present = 0, n_seen = 0
    for j in range(counts.shape[0]):
        n_present += counts[j] > 0
    for i in range(n):
        if n_seen == n_present:
            break
        c = <int64_t>values[i] - lo
        if first[c] < 0:
            first[c] = i
            n_seen += 1


def label_counts(const label_t[::1] values, int64_t lo, int64_t[::1] counts, int64_t[::1] first):
    """Rows per code and the first row of each code (``first`` must be filled with -1)."""
    cdef int64_t[:, ::1] part = _scratch(counts.shape[0])
    with nogil:
        _add_counts(values, lo, 0, values.shape[0], part, counts)
        _first_rows(values, lo, counts, first)


def label_first(const label_t[::1] values, int64_t lo, int64_t[::1] counts, int64_t[::1] first):
    """The first row of each code, given the rows per code ``counts`` (``first`` must be
    filled with -1)."""
    with nogil:
        _first_rows(values, lo, counts, first)


def block_label_counts(const label_t[::1] values, int64_t lo, Py_ssize_t block_rows, int64_t[:, ::1] counts,
                       Py_ssize_t b0, Py_ssize_t b1):
    """Add to ``counts[b, c]`` the rows of code c in row block b (rows ``[b * block_rows, ...)``),
    for the blocks ``b0 <= b < b1``."""
    cdef Py_ssize_t b, start, n = values.shape[0]
    cdef int64_t[:, ::1] part = _scratch(counts.shape[1])
    with nogil:
        for b in range(b0, b1):
            start = b * block_rows
            _add_counts(values, lo, start, min(n, start + block_rows), part, counts[b])


cdef inline int8_t _draw_fold(uint64_t *state, int64_t *places, int64_t *left, Py_ssize_t k) noexcept nogil:
    """Fold of one row given its code's open places and rows left (both decremented): fold f
    with probability places[f] / left."""
    cdef uint64_t r = tp_rng_bounded(state, <uint64_t>left[0])
    cdef int64_t acc = 0, f = 0
    cdef Py_ssize_t j
    # branch-free search of the fold whose interval [cum_{f-1}, cum_f) holds r: the comparisons
    # are unpredictable, so a branchy walk would mispredict half the time
    for j in range(k - 1):
        acc += places[j]
        f += <int64_t>(<int64_t>r >= acc)
    places[f] -= 1
    left[0] -= 1
    return <int8_t>f


def assign_shuffled(
    const label_t[::1] values,
    int64_t lo,
    Py_ssize_t block_rows,
    int64_t[:, :, ::1] places,
    int64_t[:, ::1] left,
    uint64_t seed,
    int8_t[::1] out,
    Py_ssize_t b0,
    Py_ssize_t b1,
):
    """Stratified assignment with exact per-(block, code) fold sizes, uniformly at random.

    Row blocks ``b0 <= b < b1`` of ``block_rows`` rows, each from its own random stream
    (``tp_rng_stream(seed, b)``): independent, so blocks may run on any threads. Inside block
    b, row i of code c goes to fold f with probability places[b, c, f] / left[b, c] (places
    still open in f for c in the block over rows of c still to come in it); both tables are
    consumed (they end at zero). This draws uniformly among all assignments with the given
    per-block sizes, without a permutation. One block (``block_rows >= n``) is the sequential
    rule over all rows.

    Two blocks advance side by side: a row's draw waits on the previous row's update of its
    code's counts (a chain through memory), so two independent chains keep the core busier
    (measured: 1.6x fewer CPU cycles per row than one chain; four chains gave no more).
    """
    cdef Py_ssize_t b, i, start, end, start2, end2, n = values.shape[0], k = places.shape[2]
    cdef uint64_t state, state2
    cdef int64_t c
    # the two blocks' tables as plain pointers: the memoryviews' strides, read again on every
    # row, took registers the two chains need
    cdef int64_t *pl1
    cdef int64_t *pl2
    cdef int64_t *lf1
    cdef int64_t *lf2
    cdef const label_t *v = &values[0] if n else NULL
    cdef int8_t *o = &out[0] if n else NULL
    with nogil:
        b = b0
        while b < b1:
            state = tp_rng_stream(seed, <uint64_t>b)
            start = b * block_rows
            end = min(n, start + block_rows)
            pl1 = &places[b, 0, 0]
            lf1 = &left[b, 0]
            if b + 1 < b1:
                state2 = tp_rng_stream(seed, <uint64_t>(b + 1))
                start2 = end
                end2 = min(n, start2 + block_rows)
                pl2 = &places[b + 1, 0, 0]
                lf2 = &left[b + 1, 0]
                while start < end and start2 < end2:
                    c = <int64_t>v[start] - lo
                    o[start] = _draw_fold(&state, pl1 + c * k, lf1 + c, k)
                    c = <int64_t>v[start2] - lo
                    o[start2] = _draw_fold(&state2, pl2 + c * k, lf2 + c, k)
                    start += 1
                    start2 += 1
                for i in range(start2, end2):
                    c = <int64_t>v[i] - lo
                    o[i] = _draw_fold(&state2, pl2 + c * k, lf2 + c, k)
            for i in range(start, end):
                c = <int64_t>v[i] - lo
                o[i] = _draw_fold(&state, pl1 + c * k, lf1 + c, k)
            b += 2


def assign_shuffled_flat(Py_ssize_t n, Py_ssize_t block_rows, int64_t[:, ::1] places, uint64_t seed,
                         int8_t[::1] out, Py_ssize_t b0, Py_ssize_t b1):
    """:func:`assign_shuffled` for a single class of ``n`` rows (no label column); ``places``
    is (block, fold) and consumed."""
    cdef Py_ssize_t b, i, start, end, start2, end2, k = places.shape[1]
    cdef int64_t left, left2
    cdef uint64_t state, state2
    with nogil:
        b = b0
        while b < b1:
            state = tp_rng_stream(seed, <uint64_t>b)
            start = b * block_rows
            end = min(n, start + block_rows)
            left = end - start
            if b + 1 < b1:
                state2 = tp_rng_stream(seed, <uint64_t>(b + 1))
                start2 = end
                end2 = min(n, start2 + block_rows)
                left2 = end2 - start2
                while start < end and start2 < end2:
                    out[start] = _draw_fold(&state, &places[b, 0], &left, k)
                    out[start2] = _draw_fold(&state2, &places[b + 1, 0], &left2, k)
                    start += 1
                    start2 += 1
                for i in range(start2, end2):
                    out[i] = _draw_fold(&state2, &places[b + 1, 0], &left2, k)
            for i in range(start, end):
                out[i] = _draw_fold(&state, &places[b, 0], &left, k)
            b += 2


def assign_blocks(const label_t[::1] values, int64_t lo, int64_t[:, ::1] places, int8_t[::1] out):
    """Unshuffled assignment: the rows of each code fill fold 0, then fold 1, ... in row order.

    This is scikit-learn's ``StratifiedKFold(shuffle=False)`` rule; ``places`` is consumed.
    """
    cdef Py_ssize_t i, n = values.shape[0], k = places.shape[1]
    cdef int64_t c, f
    cdef int64_t[::1] cur = np.zeros(places.shape[0], dtype=np.int64)
    with nogil:
        for i in range(n):
            c = <int64_t>values[i] - lo
            f = cur[c]
            while places[c, f] == 0:
                f += 1
            cur[c] = f
            out[i] = <int8_t>f
            places[c, f] -= 1


def take_table(const label_t[::1] values, int64_t lo, const int8_t[::1] table, int8_t[::1] out):
    """``out[i] = table[values[i] - lo]`` (per-group fold ids to per-row fold ids)."""
    cdef Py_ssize_t i, n = values.shape[0]
    with nogil:
        for i in range(n):
            out[i] = table[<int64_t>values[i] - lo]


def greedy_lightest(const int64_t[::1] order, const int64_t[::1] sizes, int64_t n_folds, int8_t[::1] group_fold):
    """Give each group, in ``order``, to the fold with the fewest rows so far (first on ties).

    With groups sorted by decreasing size this is scikit-learn's ``GroupKFold(shuffle=False)``.
    """
    cdef Py_ssize_t i, f, best, g_count = order.shape[0]
    cdef int64_t g, lightest
    cdef int64_t[::1] load = np.zeros(n_folds, dtype=np.int64)
    with nogil:
        for i in range(g_count):
            g = order[i]
            best = 0
            lightest = load[0]
            for f in range(1, n_folds):
                if load[f] < lightest:
                    lightest = load[f]
                    best = f
            load[best] += sizes[g]
            group_fold[g] = <int8_t>best


def stratified_group_greedy(
    const int64_t[::1] order,
    const double[:, ::1] group_counts,
    const double[::1] class_counts,
    const double[::1] fold_scale,
    int8_t[::1] group_fold,
):
    """scikit-learn's StratifiedGroupKFold rule, generalized to unequal fold shares.

    Groups are taken in ``order``; each goes to the fold that minimizes the mean over classes of
    the standard deviation over folds of ``fold_scale[f] * count[f, c] / class_counts[c]``
    (ties within numpy's ``isclose``: the fold with the fewest scaled rows). ``fold_scale`` is 1
    for equal folds (then the arithmetic matches scikit-learn's NumPy code operation for
    operation) and ``1 / (n_folds * share_f)`` for unequal shares.
    """
    cdef Py_ssize_t n_groups = order.shape[0], n_classes = group_counts.shape[1]
    cdef Py_ssize_t n_folds = fold_scale.shape[0]
    cdef Py_ssize_t i, f, t, c, best
    cdef int64_t g
    cdef double s, m, d, v, fold_eval, min_eval, samples, min_samples
    cdef double[:, ::1] per_fold = np.zeros((n_folds, n_classes), dtype=np.float64)
    cdef double[:, ::1] frac = np.zeros((n_folds, n_classes), dtype=np.float64)
    cdef double[::1] std = np.zeros(max(n_classes, 1), dtype=np.float64)
    with nogil:
        for i in range(n_groups):
            g = order[i]
            best = 0
            min_eval = INFINITY
            min_samples = INFINITY
            for f in range(n_folds):
                for t in range(n_folds):
                    for c in range(n_classes):
                        v = per_fold[t, c]
                        if t == f:
                            v = v + group_counts[g, c]
                        frac[t, c] = v / class_counts[c] * fold_scale[t]
                for c in range(n_classes):
                    s = frac[0, c]
                    for t in range(1, n_folds):
                        s = s + frac[t, c]
                    m = s / n_folds
                    d = frac[0, c] - m
                    v = d * d
                    for t in range(1, n_folds):
                        d = frac[t, c] - m
                        v = v + d * d
                    std[c] = sqrt(v / n_folds)
                # np.mean: numpy's pairwise summation from the additive identity, then / n
                fold_eval = tp_pairwise_sum(&std[0], n_classes) / n_classes if n_classes > 0 else 0.0
                samples = 0.0
                for c in range(n_classes):
                    samples = samples + per_fold[f, c]
                samples = samples * fold_scale[f]
                # numpy.isclose(fold_eval, min_eval), which is False while min_eval is inf
                if fold_eval < min_eval or (
                    min_eval != INFINITY and fabs(fold_eval - min_eval) <= 1e-8 + 1e-5 * fabs(min_eval) and samples < min_samples
                ):
                    min_eval = fold_eval
                    min_samples = samples
                    best = f
            for c in range(n_classes):
                per_fold[best, c] += group_counts[g, c]
            group_fold[g] = <int8_t>best


def fold_counts(const int8_t[::1] folds, int64_t[::1] counts):
    """Add to ``counts[f]`` the rows of fold id ``f`` for ``f`` in [0, len(counts)); other ids
    (negative: rows in no test fold) are not counted."""
    cdef Py_ssize_t i, j, n = folds.shape[0], k = counts.shape[0]
    cdef int64_t f
    # 256 slots per table so any int8 indexes it (ids outside [0, k) are dropped afterwards);
    # four interleaved tables: consecutive rows of one fold would otherwise chain their
    # increments through memory
    cdef int64_t[:, ::1] part = np.zeros((4, 256), dtype=np.int64)
    with nogil:
        i = 0
        while i + 4 <= n:
            part[0, <uint8_t>folds[i]] += 1
            part[1, <uint8_t>folds[i + 1]] += 1
            part[2, <uint8_t>folds[i + 2]] += 1
            part[3, <uint8_t>folds[i + 3]] += 1
            i += 4
        while i < n:
            part[0, <uint8_t>folds[i]] += 1
            i += 1
        for j in range(k):
            counts[j] += part[0, j] + part[1, j] + part[2, j] + part[3, j]


def fold_indices(const int8_t[::1] folds, int8_t fold, int64_t[::1] train, int64_t[::1] test,
                 Py_ssize_t start, Py_ssize_t end, Py_ssize_t a, Py_ssize_t a_end, Py_ssize_t b, Py_ssize_t b_end):
    """The row numbers ``i`` in ``[start, end)`` with ``folds[i] != fold`` into ``train[a:a_end]``
    and those with ``folds[i] == fold`` into ``test[b:b_end]``, each in increasing order, in one
    pass (a piece of the rows goes to a piece of each output: pieces may run on any threads).

    ``b_end - b`` must be the number of rows of ``fold`` in the range and ``a_end - a`` the
    others; wrong counts give wrong indices, never a write outside the outputs or a read outside
    ``folds``. Branch-free: every row is written to both outputs and only the right cursor moves
    (the fold of a shuffled row is unpredictable, a branch on it would mispredict on a fifth of
    the rows); once one output's share is full, the rows left all belong to the other.
    """
    cdef Py_ssize_t i = max(start, 0), e, u
    a = max(a, 0)
    b = max(b, 0)
    a_end = min(a_end, train.shape[0])
    b_end = min(b_end, test.shape[0])
    end = min(end, folds.shape[0])
    with nogil:
        # eight rows per check of the three bounds, while each output has room for eight (the
        # checks were a third of the loop's instructions: measured 43 -> 35 ms of CPU for the
        # five folds of 10M rows); then the rows left one by one
        while a + 8 <= a_end and b + 8 <= b_end and i + 8 <= end:
            for u in range(8):
                e = folds[i + u] == fold
                train[a] = i + u
                test[b] = i + u
                a += 1 - e
                b += e
            i += 8
        while a < a_end and b < b_end and i < end:
            e = folds[i] == fold
            train[a] = i
            test[b] = i
            a += 1 - e
            b += e
            i += 1
        while a < a_end:
            train[a] = i
            a += 1
            i += 1
        while b < b_end:
            test[b] = i
            b += 1
            i += 1
