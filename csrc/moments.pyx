"""Moments kernel: count, sum, mean and sum of squared deviations of a float column in one read.

The column arrives as its Arrow buffers (values + optional validity bitmap with a bit offset).
Null slots (validity bit 0) and NaN are missing and skipped; the value under a null slot is never
read as data (it is masked to an exact 0.0). The loops live in ``moments.h``: rows are walked in
fixed blocks counted from the first row; each block's mean and sum of squared deviations come from
two branch-free passes over the block while it sits in L1 cache, and the blocks are merged in row
order with Chan, Golub & LeVeque's formula. The result depends only on the values and their order
(never on threads or timing), and the two-pass blocks keep the variance accurate where a one-pass
``sum(x*x) - n*mean**2`` would cancel. A constant column gives exactly its value and 0: a block
whose spread is rounding noise is checked for equal values (see ``moments.h``).

Chunks: ``moments_chunks`` takes a column as its chunks' buffers and walks the same blocks across
the chunk boundaries (``moments.h``), so its result equals ``moments`` of the concatenated column
bit for bit, without the concatenation's copy.

Infinity: a block whose sum is not finite is scanned for +-inf among its valid values and
``has_inf`` reports it (callers refuse such columns; the moments are then meaningless).
"""

from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport free, malloc

import numpy as np

from tp_types cimport real_t


cdef extern from "moments.h" nogil:
    ctypedef struct tp_moments_t:
        int64_t n
        double sum
        double mean
        double m2
        int has_inf
    void tp_moments_f64(const double* x, const uint8_t* bits, int64_t bit0, int64_t length, tp_moments_t* out)
    void tp_moments_f32(const float* x, const uint8_t* bits, int64_t bit0, int64_t length, tp_moments_t* out)
    void tp_moments_f64_chunks(const double* const* xs, const uint8_t* const* bits, const int64_t* bit0s,
                               const int64_t* lens, int64_t n_chunks, tp_moments_t* out)
    void tp_moments_f32_chunks(const float* const* xs, const uint8_t* const* bits, const int64_t* bit0s,
                               const int64_t* lens, int64_t n_chunks, tp_moments_t* out)


def moments(const real_t[::1] values, const uint8_t[::1] validity, Py_ssize_t bit0):
    """``(n, sum, mean, m2, has_inf)`` of the valid, non-NaN values of one column.

    ``validity`` is the Arrow validity bitmap (row ``i`` valid iff bit ``bit0 + i`` is set) or
    None. ``m2`` is the sum of squared deviations from the mean; ``mean`` and ``m2`` are 0.0
    when ``n == 0``.
    """
    cdef tp_moments_t out
    cdef const uint8_t* bits = NULL
    cdef Py_ssize_t length = values.shape[0]
    out.n = 0
    out.sum = out.mean = out.m2 = 0.0
    out.has_inf = 0
    if bit0 < 0:
        raise ValueError(f"bit0 must be >= 0, got {bit0}")
    if validity is not None:
        if validity.shape[0] * 8 < bit0 + length:
            raise ValueError(f"validity bitmap too short: {validity.shape[0]} bytes for {bit0 + length} bits")
        if validity.shape[0] > 0:
            bits = &validity[0]
    if length > 0:
        with nogil:
            if real_t is double:
                tp_moments_f64(&values[0], bits, bit0, length, &out)
            else:
                tp_moments_f32(&values[0], bits, bit0, length, &out)
    return int(out.n), float(out.sum), float(out.mean), float(out.m2), bool(out.has_inf)


def moments_chunks(list values, list validity, list bit0):
    """``moments`` of the column made of the chunks ``values[c]`` (all float64 or all float32,
    each contiguous), ``validity[c]`` (its bitmap or None) and ``bit0[c]`` (its bit offset), in
    order, bit for bit as if they were one array; the chunks are read in place."""
    cdef Py_ssize_t n_chunks = len(values), c
    cdef tp_moments_t out
    cdef const void** xs
    cdef const uint8_t** bits
    cdef int64_t* b0
    cdef int64_t* lens
    cdef const double[::1] v64
    cdef const float[::1] v32
    cdef const uint8_t[::1] bm
    cdef bint wide
    if len(validity) != n_chunks or len(bit0) != n_chunks:
        raise ValueError("values, validity and bit0 must have one entry per chunk")
    if n_chunks == 0:
        return 0, 0.0, 0.0, 0.0, False
    arrays = [np.asarray(v) for v in values]  # held until the kernel is done
    wide = arrays[0].dtype == np.float64
    xs = <const void**>malloc(n_chunks * sizeof(void*))
    bits = <const uint8_t**>malloc(n_chunks * sizeof(uint8_t*))
    b0 = <int64_t*>malloc(n_chunks * sizeof(int64_t))
    lens = <int64_t*>malloc(n_chunks * sizeof(int64_t))
    try:
        if xs == NULL or bits == NULL or b0 == NULL or lens == NULL:
            raise MemoryError()
        for c in range(n_chunks):
            a = arrays[c]
            if a.dtype != arrays[0].dtype or a.dtype not in (np.float32, np.float64):
                raise ValueError(f"chunk {c} has dtype {a.dtype}; every chunk must be float64, or every one float32")
            lens[c] = a.shape[0]
            xs[c] = NULL
            if lens[c] > 0:
                if wide:
                    v64 = a
                    xs[c] = &v64[0]
                else:
                    v32 = a
                    xs[c] = &v32[0]
            if bit0[c] < 0:
                raise ValueError(f"bit0 must be >= 0, got {bit0[c]}")
            b0[c] = bit0[c]
            bits[c] = NULL
            if validity[c] is not None:
                bm = validity[c]
                if bm.shape[0] * 8 < b0[c] + lens[c]:
                    raise ValueError(f"validity bitmap too short: {bm.shape[0]} bytes for {b0[c] + lens[c]} bits")
                if bm.shape[0] > 0:
                    bits[c] = &bm[0]
        with nogil:
            if wide:
                tp_moments_f64_chunks(<const double**>xs, bits, b0, lens, n_chunks, &out)
            else:
                tp_moments_f32_chunks(<const float**>xs, bits, b0, lens, n_chunks, &out)
    finally:
        free(xs)
        free(bits)
        free(b0)
        free(lens)
    return int(out.n), float(out.sum), float(out.mean), float(out.m2), bool(out.has_inf)
