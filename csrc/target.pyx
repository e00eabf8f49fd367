"""Target-statistics kernels: per-(category, fold) sums, out-of-fold merges, encodings, gather.

The Python layer (``tabprep.kernels._target``) validates dtypes and shapes once, allocates every
output through NumPy, and calls these functions; they trust their inputs, touch no Python object
inside a loop and release the GIL.

A *statistics table* has shape ``(n_slots, n_folds, width)``; a cell ``stats[c, f]`` holds
``[rows, W, S_0, ..., S_{width-3}]``: the number of rows of category ``c`` in fold ``f``, their
weight sum, and the weighted target sums (one per output: ``width == 3`` for a binary or continuous
target; ``2 + n_classes`` for one-vs-rest classes, where ``S_j`` is the weight of class ``j``).
Counts are held in float64: exact up to 2**53 rows. A code < 0 (a value outside the vocabulary)
adds to no cell.

The second moment (``M2 = sum w (y - mean)**2``, only needed by the "auto" smoothing of a
continuous target) is kept apart, as a ``(n_slots, n_folds, 2)`` table of ``[mean, M2]`` filled by a
second pass around each cell's own mean, and merged with Chan's formula: all terms are
non-negative, so no ``sum(y**2) - sum(y)**2 / n`` cancellation. For 0/1 targets it is not needed:
``M2 = S (W - S) / W`` exactly.

The training statistics of fold ``f`` (every fold but ``f``) are the merge of a prefix (folds < f)
and a suffix (folds > f): O(n_folds) per category, and no subtraction of totals.
"""

from libc.stdint cimport int8_t, int32_t, int64_t, uint32_t
from libc.math cimport isfinite, log, isnan, NAN
from libc.stdlib cimport malloc, free

from tp_types cimport int32_64_t, real_t, target_y_t

import numpy as np

# Encoding rules of `encodings`.
cdef enum:
    _MESTIMATE = 0
    _AUTO = 1
    _WOE = 2

MODE_MESTIMATE = _MESTIMATE
MODE_AUTO = _AUTO
MODE_WOE = _WOE


# ----------------------------------------------------------------------------------------------
# Pass 1: counts, weight sums and target sums per (slot, fold)

cdef void _acc(const int32_64_t* codes, const target_y_t* y, const double* w, const int8_t* folds,
               Py_ssize_t n, Py_ssize_t n_folds, Py_ssize_t width, bint classes,
               double* stats) noexcept nogil:
    # codes == NULL (fold totals): row i goes to slot i % 4 of a 4-slot table, so consecutive
    # rows do not wait on the same few cells (the caller adds the 4 slots up).
    cdef Py_ssize_t i, c = 0, f = 0
    cdef double wi = 1.0
    cdef double* cell
    for i in range(n):
        if codes != NULL:
            c = codes[i]
            if c < 0:
                continue
        else:
            c = i & 3
        if folds != NULL:
            f = folds[i]
        if w != NULL:
            wi = w[i]
        cell = stats + (c * n_folds + f) * width
        cell[0] += 1.0
        cell[1] += wi
        if classes:
            cell[2 + <Py_ssize_t>y[i]] += wi
        else:
            cell[2] += wi * <double>y[i]


cdef void _acc_unit(const int32_64_t* codes, const target_y_t* y, const int8_t* folds,
                    Py_ssize_t n, Py_ssize_t n_folds, double* stats) noexcept nogil:
    # The hot case (no weights, one binary/continuous output), kept free of per-row branches.
    cdef Py_ssize_t i, c
    cdef double* cell
    if folds == NULL:
        for i in range(n):
            c = codes[i]
            if c >= 0:
                cell = stats + c * 3
                cell[0] += 1.0
                cell[1] += 1.0
                cell[2] += <double>y[i]
    else:
        for i in range(n):
            c = codes[i]
            if c >= 0:
                cell = stats + (c * n_folds + folds[i]) * 3
                cell[0] += 1.0
                cell[1] += 1.0
                cell[2] += <double>y[i]


def accumulate(codes, const target_y_t[::1] y, const double[::1] weight, const int8_t[::1] folds,
               double[:, :, ::1] stats, bint classes=False):
    """Add each row to its (slot, fold) cell of ``stats`` (which must start zeroed, or hold
    earlier partial sums: the pass is mergeable).

    Parameters
    ----------
    codes : int32 or int64 C-contiguous array (n,) or None
        Slot of each row (< 0: skipped). None sends every row to slot 0 (fold totals).
    y : int8, int32, int64, float32 or float64 C-contiguous array (n,)
        Target; with ``classes`` the class index of each row (in ``[0, width - 2)``).
    weight : float64 C-contiguous array (n,) or None
        Sample weights (None: 1.0 each).
    folds : int8 C-contiguous array (n,) or None
        Fold of each row in ``[0, stats.shape[1])`` (None: fold 0).
    stats : float64 array (n_slots, n_folds, width), C-contiguous
    classes : bool
        One-vs-rest class sums instead of a target sum.
    """
    cdef Py_ssize_t n = y.shape[0], n_folds = stats.shape[1], width = stats.shape[2]
    cdef const int32_t[::1] c32
    cdef const int64_t[::1] c64
    cdef const int32_t* p32 = NULL
    cdef const int64_t* p64 = NULL
    cdef const double* pw = NULL
    cdef const int8_t* pf = NULL
    cdef bint wide = False
    cdef double* s
    cdef double[:, :, ::1] spread
    cdef Py_ssize_t i, j
    if n == 0 or stats.shape[0] == 0:
        return
    if weight is not None:
        pw = &weight[0]
    if folds is not None:
        pf = &folds[0]
    if codes is not None:
        if codes.dtype == np.int64:
            c64 = codes
            p64 = &c64[0]
            wide = True
        else:
            c32 = codes
            p32 = &c32[0]
    if codes is None:
        spread = np.zeros((4, n_folds, width), dtype=np.float64)
        with nogil:
            _acc(p32, &y[0], pw, pf, n, n_folds, width, classes, &spread[0, 0, 0])
            for i in range(4):
                for j in range(n_folds * width):
                    (&stats[0, 0, 0])[j] += (&spread[i, 0, 0])[j]
        return
    s = &stats[0, 0, 0]
    with nogil:
        if pw == NULL and not classes and width == 3 and (p32 != NULL or p64 != NULL):
            if wide:
                _acc_unit(p64, &y[0], pf, n, n_folds, s)
            else:
                _acc_unit(p32, &y[0], pf, n, n_folds, s)
        elif wide:
            _acc(p64, &y[0], pw, pf, n, n_folds, width, classes, s)
        else:
            _acc(p32, &y[0], pw, pf, n, n_folds, width, classes, s)


cdef void _count(const int32_64_t* codes, const target_y_t* y, const int8_t* folds, Py_ssize_t n,
                 Py_ssize_t n_folds, Py_ssize_t width, bint classes, uint32_t* cells) noexcept nogil:
    # Unweighted 0/1 or class targets: 4-byte counters, so the (category, fold) table is a third
    # of the float64 one and stays in cache far longer on many categories.
    cdef Py_ssize_t i, c
    cdef uint32_t* cell
    if classes:
        for i in range(n):
            c = codes[i]
            if c >= 0:
                cell = cells + (c * n_folds + (folds[i] if folds != NULL else 0)) * width
                cell[0] += 1
                cell[1 + <Py_ssize_t>y[i]] += 1
    elif folds == NULL:
        for i in range(n):
            c = codes[i]
            if c >= 0:
                cell = cells + c * 2
                cell[0] += 1
                cell[1] += <uint32_t>y[i]
    else:
        for i in range(n):
            c = codes[i]
            if c >= 0:
                cell = cells + (c * n_folds + folds[i]) * 2
                cell[0] += 1
                cell[1] += <uint32_t>y[i]


def accumulate_counts(codes, const target_y_t[::1] y, const int8_t[::1] folds,
                      uint32_t[:, :, ::1] cells, bint classes=False):
    """:func:`accumulate` for unweighted targets that are 0/1 (or class indices with
    ``classes``), into uint32 cells ``[rows, sums...]`` of shape ``(n_slots, n_folds, 1 + n_out)``
    (each cell must stay below 2**32 rows; the weight sum is the row count)."""
    cdef Py_ssize_t n = y.shape[0], n_folds = cells.shape[1], cw = cells.shape[2]
    cdef Py_ssize_t n_cells = cells.shape[0] * n_folds
    cdef const int32_t[::1] c32
    cdef const int64_t[::1] c64
    cdef const int8_t* pf = NULL
    cdef uint32_t* pc
    if n == 0 or n_cells == 0:
        return
    pc = &cells[0, 0, 0]
    if folds is not None:
        pf = &folds[0]
    if codes.dtype == np.int64:
        c64 = codes
        with nogil:
            _count(&c64[0], &y[0], pf, n, n_folds, cw, classes, pc)
    else:
        c32 = codes
        with nogil:
            _count(&c32[0], &y[0], pf, n, n_folds, cw, classes, pc)


def train_counts(const uint32_t[:, :, ::1] cells, double[:, :, ::1] out):
    """:func:`train_cells` of uint32 ``[rows, sums...]`` cells: ``out`` (n_folds + 1, n_slots,
    2 + n_out) gets float64 ``[rows, rows, sums...]`` (exact: integer sums below 2**53)."""
    cdef Py_ssize_t n_slots = cells.shape[0], k = cells.shape[1], cw = cells.shape[2]
    cdef Py_ssize_t width = cw + 1, c, f, j
    cdef const uint32_t* cell
    cdef double* dst
    cdef double* run
    if n_slots == 0 or k == 0:
        return
    run = <double*>malloc(sizeof(double) * cw)
    if run == NULL:
        raise MemoryError()
    with nogil:
        for c in range(n_slots):
            cell = &cells[c, 0, 0]
            for j in range(cw):
                run[j] = 0.0
            for f in range(k):
                dst = &out[f, c, 0]
                dst[0] = run[0]
                for j in range(cw):
                    dst[1 + j] = run[j]
                    run[j] += cell[f * cw + j]
            dst = &out[k, c, 0]
            dst[0] = run[0]
            for j in range(cw):
                dst[1 + j] = run[j]
                run[j] = 0.0
            for f in range(k - 1, -1, -1):
                dst = &out[f, c, 0]
                dst[0] += run[0]
                for j in range(cw):
                    dst[1 + j] += run[j]
                    run[j] += cell[f * cw + j]
    free(run)


# ----------------------------------------------------------------------------------------------
# Pass 2 (continuous target, "auto" smoothing only): M2 per (slot, fold) around the cell's mean

cdef void _acc_m2(const int32_64_t* codes, const target_y_t* y, const double* w,
                  const int8_t* folds, Py_ssize_t n, Py_ssize_t n_folds, double* m2) noexcept nogil:
    cdef Py_ssize_t i, c = 0, f = 0
    cdef double wi = 1.0, d
    cdef double* cell
    for i in range(n):
        if codes != NULL:
            c = codes[i]
            if c < 0:
                continue
        if folds != NULL:
            f = folds[i]
        if w != NULL:
            wi = w[i]
        cell = m2 + (c * n_folds + f) * 2
        d = <double>y[i] - cell[0]
        cell[1] += wi * d * d


def accumulate_m2(codes, const target_y_t[::1] y, const double[::1] weight, const int8_t[::1] folds,
                  const double[:, :, ::1] stats, double[:, :, ::1] m2):
    """Fill ``m2[c, f] = [mean, M2]`` of each (slot, fold) cell around its own weighted mean.

    ``stats`` is the finished pass-1 table (width 3); ``m2`` has shape ``(n_slots, n_folds, 2)``
    and is overwritten. Arguments as in :func:`accumulate`.
    """
    cdef Py_ssize_t n = y.shape[0], n_folds = stats.shape[1], width = stats.shape[2]
    cdef Py_ssize_t i, cells = stats.shape[0] * n_folds
    cdef const int32_t[::1] c32
    cdef const int64_t[::1] c64
    cdef const int32_t* p32 = NULL
    cdef const int64_t* p64 = NULL
    cdef const double* pw = NULL
    cdef const int8_t* pf = NULL
    cdef bint wide = False
    cdef const double* s
    cdef double* m
    if cells == 0:
        return
    s = &stats[0, 0, 0]
    m = &m2[0, 0, 0]
    with nogil:
        for i in range(cells):
            m[2 * i] = s[i * width + 2] / s[i * width + 1] if s[i * width + 1] > 0 else 0.0
            m[2 * i + 1] = 0.0
    if n == 0:
        return
    if weight is not None:
        pw = &weight[0]
    if folds is not None:
        pf = &folds[0]
    if codes is not None:
        if codes.dtype == np.int64:
            c64 = codes
            p64 = &c64[0]
            wide = True
        else:
            c32 = codes
            p32 = &c32[0]
    with nogil:
        if wide:
            _acc_m2(p64, &y[0], pw, pf, n, n_folds, m)
        else:
            _acc_m2(p32, &y[0], pw, pf, n, n_folds, m)


# ----------------------------------------------------------------------------------------------
# Validation pass over the target (done once per fit, before any per-column pass)

def check_rows(const target_y_t[::1] y, const double[::1] weight, const int8_t[::1] folds,
               Py_ssize_t n_folds, Py_ssize_t n_classes=0):
    """First bad row of each input, or -1: ``(y_row, weight_row, fold_row)``.

    A bad target is non-finite (float targets) or, with ``n_classes > 0``, outside
    ``[0, n_classes)``; a bad weight is negative or non-finite; a bad fold is outside ``[0, n_folds)``.
    Each input is scanned with a branch-free reduction (vectorizable); only a failing one is
    scanned again for its first bad row.
    """
    cdef Py_ssize_t n = y.shape[0], i
    cdef Py_ssize_t bad_y = -1, bad_w = -1, bad_f = -1
    cdef double probe = 0.0
    cdef int8_t fmin = 0, fmax = 0
    cdef bint out_of_range = False
    with nogil:
        if n_classes > 0:
            for i in range(n):
                out_of_range |= (y[i] < 0) | (y[i] >= n_classes) | (y[i] != y[i])
            if out_of_range:
                for i in range(n):
                    if y[i] < 0 or y[i] >= n_classes or not isfinite(<double>y[i]):
                        bad_y = i
                        break
        elif target_y_t is float or target_y_t is double:
            for i in range(n):
                probe += y[i] * 0.0  # NaN iff some value is NaN or infinite
            if probe != 0.0:
                for i in range(n):
                    if not isfinite(y[i]):
                        bad_y = i
                        break
        if weight is not None:
            probe = 0.0
            out_of_range = False
            for i in range(n):
                probe += weight[i] * 0.0
                out_of_range |= weight[i] < 0.0
            if probe != 0.0 or out_of_range:
                for i in range(n):
                    if not (weight[i] >= 0.0) or not isfinite(weight[i]):
                        bad_w = i
                        break
        if folds is not None and n:
            fmin = folds[0]
            fmax = folds[0]
            for i in range(n):
                fmin = folds[i] if folds[i] < fmin else fmin
                fmax = folds[i] if folds[i] > fmax else fmax
            if fmin < 0 or fmax >= n_folds:
                for i in range(n):
                    if folds[i] < 0 or folds[i] >= n_folds:
                        bad_f = i
                        break
    return bad_y, bad_w, bad_f


# ----------------------------------------------------------------------------------------------
# Out-of-fold merge: training statistics of every fold (and of all rows)

cdef inline void _merge(double* acc, double* acc_m2, const double* cell, const double* cell_m2,
                        Py_ssize_t width) noexcept nogil:
    # acc += cell (sums), and Chan's update of M2 when moments are tracked (width == 3).
    cdef Py_ssize_t j
    cdef double wa, wb, d
    if acc_m2 != NULL:
        wa = acc[1]
        wb = cell[1]
        if wa > 0 and wb > 0:
            d = cell[2] / wb - acc[2] / wa
            acc_m2[0] += cell_m2[0] + d * d * (wa * wb / (wa + wb))
        else:
            acc_m2[0] += cell_m2[0]
    for j in range(width):
        acc[j] += cell[j]


cdef void _train_sums(const double* s, double* o, Py_ssize_t n_slots, Py_ssize_t k, Py_ssize_t width,
                      double* run) noexcept nogil:
    # Sums only: out[f] = (folds < f) + (folds > f), written as a forward prefix pass straight
    # into the output rows, then a backward pass adding the suffix.
    cdef Py_ssize_t c, f, j
    cdef const double* cell
    cdef double* dst
    for c in range(n_slots):
        cell = s + c * k * width
        for j in range(width):
            run[j] = 0.0
        for f in range(k):
            dst = o + (f * n_slots + c) * width
            for j in range(width):
                dst[j] = run[j]
                run[j] += cell[f * width + j]
        dst = o + (k * n_slots + c) * width
        for j in range(width):
            dst[j] = run[j]
            run[j] = 0.0
        for f in range(k - 1, -1, -1):
            dst = o + (f * n_slots + c) * width
            for j in range(width):
                dst[j] += run[j]
                run[j] += cell[f * width + j]


def train_cells(const double[:, :, ::1] stats, const double[:, :, ::1] m2,
                double[:, :, ::1] out, double[:, ::1] out_m2):
    """Training statistics of each fold: ``out[f, c]`` merges ``stats[c, g]`` over ``g != f``;
    ``out[n_folds, c]`` merges all folds.

    Parameters
    ----------
    stats : float64 (n_slots, n_folds, width)
    m2 : float64 (n_slots, n_folds, 2) or None
        ``[mean, M2]`` cells from :func:`accumulate_m2` (width must be 3), merged with Chan's formula.
    out : float64 (n_folds + 1, n_slots, width), overwritten
    out_m2 : float64 (n_folds + 1, n_slots) or None, overwritten (required with ``m2``)
    """
    cdef Py_ssize_t n_slots = stats.shape[0], k = stats.shape[1], width = stats.shape[2]
    cdef Py_ssize_t c, f, j
    cdef bint moments = m2 is not None
    cdef const double* s
    cdef const double* sm = NULL
    cdef double* o
    cdef double* om = NULL
    cdef double* pre      # pre[f]: merge of folds < f (f = 0..k; pre[k] is the full fit)
    cdef double* pre_m2
    cdef double* acc      # the running suffix: merge of folds > f
    cdef double acc_m2, tmp_m2
    cdef double* dst
    if n_slots == 0 or k == 0:
        return
    pre = <double*>malloc(sizeof(double) * ((k + 1) * (width + 1) + width))
    if pre == NULL:
        raise MemoryError()
    pre_m2 = pre + (k + 1) * width
    acc = pre_m2 + (k + 1)
    s = &stats[0, 0, 0]
    o = &out[0, 0, 0]
    if moments:
        sm = &m2[0, 0, 0]
        om = &out_m2[0, 0]
    try:
        if not moments:
            with nogil:
                _train_sums(s, o, n_slots, k, width, acc)
            return
        with nogil:
            for c in range(n_slots):
                for j in range(width):
                    pre[j] = 0.0
                pre_m2[0] = 0.0
                for f in range(k):
                    for j in range(width):
                        pre[(f + 1) * width + j] = pre[f * width + j]
                    pre_m2[f + 1] = pre_m2[f]
                    _merge(pre + (f + 1) * width, (pre_m2 + f + 1) if moments else NULL,
                           s + (c * k + f) * width, (sm + (c * k + f) * 2 + 1) if moments else NULL, width)
                # out[k] = all folds; out[f] = (folds < f) merged with (folds > f)
                dst = o + (k * n_slots + c) * width
                for j in range(width):
                    dst[j] = pre[k * width + j]
                    acc[j] = 0.0
                acc_m2 = 0.0
                if moments:
                    om[k * n_slots + c] = pre_m2[k]
                for f in range(k - 1, -1, -1):
                    dst = o + (f * n_slots + c) * width
                    for j in range(width):
                        dst[j] = pre[f * width + j]
                    tmp_m2 = pre_m2[f]
                    _merge(dst, (&tmp_m2) if moments else NULL, acc, (&acc_m2) if moments else NULL, width)
                    if moments:
                        om[f * n_slots + c] = tmp_m2
                    _merge(acc, (&acc_m2) if moments else NULL,
                           s + (c * k + f) * width, (sm + (c * k + f) * 2 + 1) if moments else NULL, width)
    finally:
        free(pre)


# ----------------------------------------------------------------------------------------------
# Encodings from training statistics

def encodings(const double[:, :, ::1] train, const double[:, ::1] train_m2,
              const double[:, :, ::1] totals, const double[:, ::1] totals_m2,
              int mode, double param, bint ignore_singletons, double[:, :, :] out):
    """Encoding of every (training set, slot, output); slot ``n_slots`` is the unknown value.

    Parameters
    ----------
    train : float64 (n_sets, n_slots, width)
        Training statistics per set (from :func:`train_cells`).
    train_m2 : float64 (n_sets, n_slots) or None
        Their M2 (continuous target with ``MODE_AUTO``); None: 0/1 targets, ``M2 = S (W - S) / W``.
    totals : float64 (n_sets, 1, width)
        Training statistics of all rows of each set (the prior).
    totals_m2 : float64 (n_sets, 1) or None
    mode : int
        ``MODE_MESTIMATE`` (``param`` = m: ``(S + m * prior) / (W + m)``), ``MODE_AUTO``
        (scikit-learn's empirical-Bayes shrinkage) or ``MODE_WOE`` (``param`` = additive
        regularization; binary targets only).
    ignore_singletons : bool
        ``MODE_WOE``: categories seen in exactly one training row get 0.
    out : float64 (n_sets, n_slots + 1, n_out), any strides (e.g. a transposed view of a
        slot-major array), overwritten; ``n_out = width - 2``.
        An empty training cell (no rows, or zero weight) gets the prior (0 for WoE).
    """
    cdef Py_ssize_t n_sets = train.shape[0], n_slots = train.shape[1], width = train.shape[2]
    cdef Py_ssize_t n_out = width - 2
    cdef Py_ssize_t t, c, j
    cdef double W, S, rows, prior, tW, tS, lam, M2
    cdef double var = 0.0, P = 0.0, N = 0.0
    cdef const double* cell
    cdef bint binary_m2 = train_m2 is None
    with nogil:
        for t in range(n_sets):
            tW = totals[t, 0, 1]
            for j in range(n_out):
                tS = totals[t, 0, 2 + j]
                prior = tS / tW if tW > 0 else NAN
                if mode == _AUTO:
                    if binary_m2:
                        var = (tS / tW) * ((tW - tS) / tW) if tW > 0 else NAN
                    else:
                        var = totals_m2[t, 0] / tW if tW > 0 else NAN
                if mode == _WOE:
                    P = tS
                    N = tW - tS
                    out[t, n_slots, j] = 0.0
                else:
                    out[t, n_slots, j] = prior
                for c in range(n_slots):
                    cell = &train[t, c, 0]
                    rows = cell[0]
                    W = cell[1]
                    S = cell[2 + j]
                    if mode == _MESTIMATE:
                        if W + param == 0:
                            out[t, c, j] = prior
                        else:
                            out[t, c, j] = (S + param * prior) / (W + param)
                    elif mode == _AUTO:
                        if binary_m2:
                            M2 = S * ((W - S) / W)
                        else:
                            M2 = train_m2[t, c]
                        # Eq. 5-6 of Micci-Barreca (2001), written as scikit-learn writes it.
                        lam = var * W / (var * W + M2 / W)
                        if isnan(lam):
                            out[t, c, j] = prior
                        else:
                            out[t, c, j] = lam * (S / W) + (1 - lam) * prior
                    else:
                        if rows == 0 or W == 0 or (ignore_singletons and rows == 1):
                            out[t, c, j] = 0.0
                        else:
                            out[t, c, j] = log(((S + param) / (P + 2 * param))
                                               / ((W - S + param) / (N + 2 * param)))


# ----------------------------------------------------------------------------------------------
# Gather: write each row's encoding into a preallocated output

def gather(const int32_64_t[::1] codes, const int8_t[::1] folds, const double[:, :, ::1] table,
           real_t[::1, :] out):
    """``out[i, j] = table[codes[i], folds[i], j]`` (codes < 0 read the unknown slot, the last).

    Parameters
    ----------
    codes : int32 or int64 (n,)
    folds : int8 (n,) or None
        Training set per row; None: set 0 for every row.
    table : float64 (n_slots + 1, n_sets, n_out), slot-major: a category's encodings of every
        fold share a cache line, so a skewed (Zipf) column keeps its hot categories in cache.
    out : float32 or float64 Fortran-ordered (n, n_out): each output column contiguous
        (a column slice of a wider Fortran-ordered matrix works).
    """
    cdef Py_ssize_t n = codes.shape[0], n_sets = table.shape[1], n_out = table.shape[2]
    cdef Py_ssize_t unknown = table.shape[0] - 1
    cdef Py_ssize_t i, j, c, row_len = n_sets * n_out
    cdef const double* tab
    cdef const double* v
    if n == 0:
        return
    tab = &table[0, 0, 0]
    with nogil:
        if n_out == 1:
            if folds is None:
                for i in range(n):
                    c = codes[i]
                    out[i, 0] = <real_t>tab[(c if c >= 0 else unknown) * row_len]
            else:
                for i in range(n):
                    c = codes[i]
                    out[i, 0] = <real_t>tab[(c if c >= 0 else unknown) * row_len + folds[i]]
        else:
            for i in range(n):
                c = codes[i]
                if c < 0:
                    c = unknown
                v = tab + c * row_len
                if folds is not None:
                    v = v + folds[i] * n_out
                for j in range(n_out):
                    out[i, j] = <real_t>v[j]
