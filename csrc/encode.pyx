# cython: language_level=3
"""Kernels of the categorical encoders (tabprep._native.encode).

Every function trusts its inputs: the Python layer (``tabprep.kernels._encode``) checks dtypes,
shapes, contiguity and index ranges once, allocates the outputs, and calls these loops, which run
without the GIL and touch no Python object.

Conventions shared by all kernels:

- An *index* array (int32) holds, per row, the output slot of that row (a column of a one-hot
  block, a bucket of a hashed block, an entry of a lookup table) or a negative value meaning
  "no slot" (all zeros in an indicator block).
- Codes from the factorizer are shifted by ``shift`` before they index a table, so sentinel codes
  (-1 unknown, -2 null...) land on real table entries: ``table[code + shift]``.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t
from libc.string cimport memcpy, memset

from tp_types cimport int32_64_t, numeric_t
from tp_vec cimport tp_bit

import numpy as np

# Rows handled per block by the column-major writers: the block of indices stays in L1 while each
# output column of the block is written as one contiguous run.
cdef enum:
    BLOCK = 2048


# --------------------------------------------------------------------------------------------
# Gathers through small tables
# --------------------------------------------------------------------------------------------

def lookup(const int32_t[::1] codes, const numeric_t[::1] table, Py_ssize_t shift,
           numeric_t[::1] out):
    """out[i] = table[codes[i] + shift] (codes + shift must lie in [0, len(table)))."""
    cdef Py_ssize_t i, n = codes.shape[0]
    with nogil:
        for i in range(n):
            out[i] = table[codes[i] + shift]


def bincount(const int32_t[::1] codes, Py_ssize_t shift, int64_t[::1] counts):
    """counts[codes[i] + shift] += 1 for every row (counts must be zeroed by the caller)."""
    cdef Py_ssize_t i, n = codes.shape[0]
    with nogil:
        for i in range(n):
            counts[codes[i] + shift] += 1


# --------------------------------------------------------------------------------------------
# Indicator (one-hot / hashed) blocks
# --------------------------------------------------------------------------------------------

def indicator_colmajor(const int32_t[::1] index, numeric_t[::1, :] out, Py_ssize_t col_start,
                       Py_ssize_t n_cols, const int8_t[::1] sign=None):
    """Write columns ``col_start .. col_start + n_cols`` of a Fortran-ordered ``out``.

    ``out[i, col_start + index[i]] = sign[i]`` (or 1 without ``sign``); every other cell of the
    block is written 0, so ``out`` may be uninitialized. ``index[i] < 0`` gives a row of zeros.
    """
    cdef Py_ssize_t n = index.shape[0]
    cdef Py_ssize_t start, stop, i, j
    cdef int32_t jj
    cdef bint has_sign = sign is not None
    with nogil:
        start = 0
        while start < n:
            stop = start + BLOCK
            if stop > n:
                stop = n
            for j in range(n_cols):
                jj = <int32_t>j
                if has_sign:
                    for i in range(start, stop):
                        out[i, col_start + j] = <numeric_t>(sign[i] if index[i] == jj else 0)
                else:
                    for i in range(start, stop):
                        out[i, col_start + j] = <numeric_t>(index[i] == jj)
            start = stop


def indicator_rowmajor(const int32_t[::1] index, numeric_t[:, ::1] out, Py_ssize_t col_start,
                       Py_ssize_t n_cols, const int8_t[::1] sign=None):
    """Same as :func:`indicator_colmajor` for a C-ordered ``out``."""
    cdef Py_ssize_t n = index.shape[0]
    cdef Py_ssize_t i, j
    cdef int32_t k
    cdef bint has_sign = sign is not None
    with nogil:
        for i in range(n):
            for j in range(n_cols):
                out[i, col_start + j] = 0
            k = index[i]
            if k >= 0:
                out[i, col_start + k] = <numeric_t>(sign[i] if has_sign else 1)


def csr_structure(const int32_t[:, ::1] index, int32_64_t[::1] indptr, int32_t[::1] indices):
    """Fill the CSR structure of stacked indicator blocks; return the number of stored entries.

    ``index`` has one row per input feature (shape ``(n_features, n_rows)``) holding *global*
    output columns (block offset already added) or a negative value for "no entry". Features are
    visited in order, so the column indices of each row come out sorted. ``indices`` must have room
    for ``n_features * n_rows`` entries; ``indptr`` has ``n_rows + 1``.
    """
    cdef Py_ssize_t n_feat = index.shape[0], n = index.shape[1]
    cdef Py_ssize_t i, f
    cdef int32_64_t p = 0
    cdef int32_t k
    with nogil:
        indptr[0] = 0
        for i in range(n):
            for f in range(n_feat):
                k = index[f, i]
                if k >= 0:
                    indices[p] = k
                    p += 1
            indptr[i + 1] = p
    return p


def csr_values(const int32_t[:, ::1] index, const int8_t[:, ::1] sign, numeric_t[::1] data):
    """Values of :func:`csr_structure`'s entries, in the same order, taken from ``sign``."""
    cdef Py_ssize_t n_feat = index.shape[0], n = index.shape[1]
    cdef Py_ssize_t i, f, p = 0
    with nogil:
        for i in range(n):
            for f in range(n_feat):
                if index[f, i] >= 0:
                    data[p] = <numeric_t>sign[f, i]
                    p += 1
    return p


# --------------------------------------------------------------------------------------------
# Hashing of Arrow string arrays (MurmurHash3 x86 32-bit, as scikit-learn's FeatureHasher)
# --------------------------------------------------------------------------------------------

cdef inline uint32_t _rotl32(uint32_t x, int r) noexcept nogil:
    return (x << r) | (x >> (32 - r))


cdef inline uint32_t _murmur3_32(const uint8_t* data, Py_ssize_t length, uint32_t seed) noexcept nogil:
    cdef Py_ssize_t nblocks = length >> 2
    cdef Py_ssize_t i
    cdef uint32_t h1 = seed
    cdef uint32_t k1
    cdef uint32_t c1 = <uint32_t>0xcc9e2d51u
    cdef uint32_t c2 = <uint32_t>0x1b873593u
    for i in range(nblocks):
        memcpy(&k1, data + 4 * i, 4)  # unaligned-safe little-endian load
        k1 *= c1
        k1 = _rotl32(k1, 15)
        k1 *= c2
        h1 ^= k1
        h1 = _rotl32(h1, 13)
        h1 = h1 * 5 + <uint32_t>0xe6546b64u
    cdef const uint8_t* tail = data + 4 * nblocks
    k1 = 0
    cdef Py_ssize_t rem = length & 3
    if rem == 3:
        k1 ^= (<uint32_t>tail[2]) << 16
    if rem >= 2:
        k1 ^= (<uint32_t>tail[1]) << 8
    if rem >= 1:
        k1 ^= tail[0]
        k1 *= c1
        k1 = _rotl32(k1, 15)
        k1 *= c2
        h1 ^= k1
    h1 ^= <uint32_t>length
    h1 ^= h1 >> 16
    h1 *= <uint32_t>0x85ebca6bu
    h1 ^= h1 >> 13
    h1 *= <uint32_t>0xc2b2ae35u
    h1 ^= h1 >> 16
    return h1


def murmurhash3_32(bytes key, uint32_t seed=0):
    """Signed 32-bit MurmurHash3 of ``key`` (equals ``sklearn.utils.murmurhash3_32(key, seed)``)."""
    cdef const uint8_t* p = <const uint8_t*><char*>key
    return <int32_t>_murmur3_32(p, len(key), seed)


cdef inline int32_t _bucket(int32_t h, int32_t n_features) noexcept nogil:
    # scikit-learn's rule, including its definition for abs(-2**31) (undefined in C).
    if h == -2147483648:
        return (2147483647 - (n_features - 1)) % n_features
    return (h if h >= 0 else -h) % n_features


cdef void _hash_rows(int kind, const uint8_t* validity, Py_ssize_t voff, Py_ssize_t n,
                     const void* offsets, const uint8_t* data, const uint8_t* views,
                     const uintptr_t* buffers, uint32_t seed, int32_t n_features,
                     int32_t* bucket, int8_t* sign) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t start, stop
    cdef int32_t length, buf_index, buf_offset, h
    cdef const uint8_t* view
    cdef const uint8_t* p
    for i in range(n):
        if validity != NULL:
            if not tp_bit(validity, voff + i):
                bucket[i] = -1
                sign[i] = 0
                continue
        if kind == 0:
            start = (<const int32_t*>offsets)[i]
            stop = (<const int32_t*>offsets)[i + 1]
            p = data + start
            length = <int32_t>(stop - start)
        elif kind == 1:
            start = (<const int64_t*>offsets)[i]
            stop = (<const int64_t*>offsets)[i + 1]
            p = data + start
            length = <int32_t>(stop - start)
        else:
            # Arrow binary view: int32 length, then 12 inline bytes (length <= 12) or
            # 4-byte prefix, int32 buffer index, int32 offset into that data buffer.
            view = views + 16 * i
            memcpy(&length, view, 4)
            if length <= 12:
                p = view + 4
            else:
                memcpy(&buf_index, view + 8, 4)
                memcpy(&buf_offset, view + 12, 4)
                p = (<const uint8_t*>buffers[buf_index]) + buf_offset
        h = <int32_t>_murmur3_32(p, length, seed)
        bucket[i] = _bucket(h, n_features)
        sign[i] = 1 if h >= 0 else -1


def hash_buckets(arr, int32_t n_features, uint32_t seed, int32_t[::1] bucket, int8_t[::1] sign):
    """Bucket and sign of every value of a pyarrow string array (string, large_string, string_view).

    ``bucket[i] = abs(h) % n_features`` and ``sign[i] = +1 if h >= 0 else -1`` with
    ``h = murmurhash3_32(utf8(value), seed)``, exactly as ``sklearn.feature_extraction.FeatureHasher``
    indexes a string feature; null rows get ``bucket = -1, sign = 0``.
    """
    cdef Py_ssize_t n = len(arr)
    cdef Py_ssize_t off = arr.offset
    cdef int kind
    type_id = arr.type.id
    buffers = arr.buffers()
    cdef const uint8_t* validity = NULL
    cdef const void* offsets = NULL
    cdef const uint8_t* data = NULL
    cdef const uint8_t* views = NULL
    cdef uintptr_t[::1] buf_addr = np.zeros(max(len(buffers) - 2, 1), dtype=np.uintp)
    cdef Py_ssize_t k
    if n == 0:
        return
    if buffers[0] is not None and arr.null_count > 0:
        validity = <const uint8_t*><uintptr_t>buffers[0].address
    tname = str(arr.type)
    if tname == "string" or tname == "binary":
        kind = 0
        offsets = <const void*>((<const int32_t*><uintptr_t>buffers[1].address) + off)
        data = <const uint8_t*><uintptr_t>(buffers[2].address if buffers[2] is not None else 0)
    elif tname == "large_string" or tname == "large_binary":
        kind = 1
        offsets = <const void*>((<const int64_t*><uintptr_t>buffers[1].address) + off)
        data = <const uint8_t*><uintptr_t>(buffers[2].address if buffers[2] is not None else 0)
    elif tname == "string_view" or tname == "binary_view":
        kind = 2
        views = (<const uint8_t*><uintptr_t>buffers[1].address) + 16 * off
        for k in range(2, len(buffers)):
            buf_addr[k - 2] = buffers[k].address
    else:
        raise TypeError(f"hash_buckets expects a string array, got {arr.type}")
    with nogil:
        _hash_rows(kind, validity, off, n, offsets, data, views, &buf_addr[0], seed, n_features,
                   &bucket[0], &sign[0])
