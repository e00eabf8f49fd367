"""Hand-off kernel: write Arrow columns straight into one preallocated float matrix.

Each column arrives as a list of Arrow chunks (values buffer + optional validity bitmap + offset).
The caller (``tabprep.handoff._numpy``) flattens them into a *chunk table*: parallel arrays with one
row per chunk, sorted by output column then by first row. ``fill_matrix`` walks the output in blocks
of rows and, for each block, copies every column's slice of that block, so a C-ordered (row-major)
output block stays in cache while its columns are written, instead of streaming the whole matrix
once per column. No Python object is touched inside the loop, which runs without the GIL: callers
may fill disjoint row ranges from several threads.

Null slots (validity bit 0) become NaN; the value under a null slot is never read as data.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, free
from libc.math cimport NAN

from tp_types cimport numeric_t, real_t
from tp_vec cimport tp_bit

# Kind codes of the chunk table; tabprep.handoff._numpy._KINDS must agree.
cdef enum:
    K_INT8 = 0
    K_INT16 = 1
    K_INT32 = 2
    K_INT64 = 3
    K_UINT8 = 4
    K_UINT16 = 5
    K_UINT32 = 6
    K_UINT64 = 7
    K_FLOAT32 = 8
    K_FLOAT64 = 9
    K_BOOL = 10
    K_NULL = 11

KINDS = {
    "int8": K_INT8, "int16": K_INT16, "int32": K_INT32, "int64": K_INT64,
    "uint8": K_UINT8, "uint16": K_UINT16, "uint32": K_UINT32, "uint64": K_UINT64,
    "float": K_FLOAT32, "double": K_FLOAT64, "bool": K_BOOL, "null": K_NULL,
}


cdef void _copy(const numeric_t* src, const uint8_t* valid, int64_t bit0,
                real_t* dst, Py_ssize_t stride, Py_ssize_t n) noexcept nogil:
    # src already points at the first element to copy; bit0 is that element's index in `valid`.
    cdef Py_ssize_t i = 0, k
    cdef uint8_t byte
    if valid == NULL:
        for i in range(n):
            dst[i * stride] = <real_t>src[i]
        return
    # Bit by bit up to a byte boundary of the bitmap, then a byte at a time: a byte of 0xFF (8
    # valid slots, the common case) copies without testing each bit.
    while i < n and (bit0 + i) & 7:
        dst[i * stride] = <real_t>src[i] if tp_bit(valid, bit0 + i) else <real_t>NAN
        i += 1
    while i + 8 <= n:
        byte = valid[(bit0 + i) >> 3]
        if byte == 0xFF:
            for k in range(8):
                dst[(i + k) * stride] = <real_t>src[i + k]
        else:
            for k in range(8):
                dst[(i + k) * stride] = <real_t>src[i + k] if (byte >> k) & 1 else <real_t>NAN
        i += 8
    while i < n:
        dst[i * stride] = <real_t>src[i] if tp_bit(valid, bit0 + i) else <real_t>NAN
        i += 1


cdef void _copy_bool(const uint8_t* bits, const uint8_t* valid, int64_t bit0,
                     real_t* dst, Py_ssize_t stride, Py_ssize_t n) noexcept nogil:
    # Arrow booleans are bit-packed; `bits` and `valid` share the same bit index.
    cdef Py_ssize_t i
    if valid == NULL:
        for i in range(n):
            dst[i * stride] = <real_t>tp_bit(bits, bit0 + i)
    else:
        for i in range(n):
            if tp_bit(valid, bit0 + i):
                dst[i * stride] = <real_t>tp_bit(bits, bit0 + i)
            else:
                dst[i * stride] = <real_t>NAN


cdef void _write(int32_t kind, uint64_t values, uint64_t validity, int64_t pos,
                 real_t* dst, Py_ssize_t stride, Py_ssize_t n) noexcept nogil:
    # pos: index of the first element to copy within the chunk's buffers (Arrow offset included)
    cdef const uint8_t* valid = <const uint8_t*>validity
    cdef Py_ssize_t i
    if kind == K_FLOAT64:
        _copy(<const double*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_FLOAT32:
        _copy(<const float*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_INT64:
        _copy(<const int64_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_INT32:
        _copy(<const int32_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_INT16:
        _copy(<const int16_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_INT8:
        _copy(<const int8_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_UINT64:
        _copy(<const uint64_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_UINT32:
        _copy(<const uint32_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_UINT16:
        _copy(<const uint16_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_UINT8:
        _copy(<const uint8_t*>values + pos, valid, pos, dst, stride, n)
    elif kind == K_BOOL:
        _copy_bool(<const uint8_t*>values, valid, pos, dst, stride, n)
    else:  # K_NULL: a column of the Null type has no buffers at all
        for i in range(n):
            dst[i * stride] = <real_t>NAN


def fill_matrix(
    real_t[:, :] out,
    const int64_t[::1] col_first,
    const int64_t[::1] row0,
    const int64_t[::1] length,
    const int64_t[::1] offset,
    const uint64_t[::1] values,
    const uint64_t[::1] validity,
    const int32_t[::1] kind,
    Py_ssize_t row_lo,
    Py_ssize_t row_hi,
    Py_ssize_t block_rows,
):
    """Fill rows ``[row_lo, row_hi)`` of ``out`` from the chunk table (releases the GIL).

    Parameters
    ----------
    out : float32 or float64 2-D array (any strides), shape (n_rows, n_columns)
    col_first : int64 array, length n_columns + 1
        Chunks of output column ``j`` are rows ``col_first[j]:col_first[j + 1]`` of the table,
        sorted by ``row0``, covering rows ``0..n_rows`` without gaps.
    row0, length, offset : int64 arrays, one entry per chunk
        First output row of the chunk, its number of rows, its Arrow offset (elements, or bits for
        booleans) into its buffers.
    values, validity : uint64 arrays, one entry per chunk
        Addresses of the chunk's values buffer and validity bitmap (0 when the chunk has no nulls).
        The caller keeps the buffers alive for the duration of the call.
    kind : int32 array, one entry per chunk
        Source type code (see ``KINDS``).
    row_lo, row_hi : int
        Row range to fill.
    block_rows : int
        Rows per block; pick it so ``block_rows * n_columns * itemsize`` fits in L2.
    """
    cdef Py_ssize_t n_cols = out.shape[1]
    cdef Py_ssize_t stride = out.strides[0] // <Py_ssize_t>sizeof(real_t)
    cdef Py_ssize_t col_stride = out.strides[1] // <Py_ssize_t>sizeof(real_t)
    cdef Py_ssize_t r0, r1, a, b, j
    cdef int64_t c, cs, ce
    cdef real_t* base
    cdef int64_t* cursor

    if row_lo < 0 or row_hi > out.shape[0] or row_lo > row_hi:
        raise ValueError(f"row range [{row_lo}, {row_hi}) outside the output's {out.shape[0]} rows")
    if col_first.shape[0] != n_cols + 1:
        raise ValueError("col_first must have n_columns + 1 entries")
    if block_rows < 1:
        raise ValueError("block_rows must be >= 1")
    if row_lo == row_hi or n_cols == 0:
        return
    cursor = <int64_t*>malloc(n_cols * sizeof(int64_t))
    if cursor == NULL:
        raise MemoryError()
    base = &out[0, 0]
    with nogil:
        for j in range(n_cols):
            cursor[j] = col_first[j]
        r0 = row_lo
        while r0 < row_hi:
            r1 = r0 + block_rows
            if r1 > row_hi:
                r1 = row_hi
            for j in range(n_cols):
                # cursors only move forward: blocks are visited in row order
                c = cursor[j]
                while c < col_first[j + 1]:
                    cs = row0[c]
                    ce = cs + length[c]
                    if ce <= r0:
                        c += 1
                        cursor[j] = c
                        continue
                    if cs >= r1:
                        break
                    a = cs if cs > r0 else r0
                    b = ce if ce < r1 else r1
                    _write(kind[c], values[c], validity[c], offset[c] + (a - cs),
                           base + a * stride + j * col_stride, stride, b - a)
                    if ce > r1:
                        break
                    c += 1
            r0 = r1
    free(cursor)
