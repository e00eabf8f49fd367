# cython: language_level=3
"""Hash factorization of Arrow buffers into int32 codes, in first-seen order.

Two tables: :class:`StringTable` (byte strings) and :class:`IntTable` (integers as 64-bit keys).
Each is fed one Arrow chunk at a time; codes are global across calls, so a ChunkedArray (or a
stream of batches) gets one code space. Codes are assigned in order of first appearance, which
makes the output independent of the hash function, the table size and the chunking.

The tables trust their inputs: ``tabprep.kernels`` checks types and hands over the Arrow buffers
(validity bitmap, offsets/views, data) with the array offset; nothing here touches a Python object
inside a loop, and every loop runs without the GIL.

Null handling is a ``mode`` shared by all loops:

* ``add_*(..., null_code=False)``: insert; a null row gets -1.
* ``add_*(..., null_code=True)``: insert; nulls get one code of their own, allocated at the first
  null row like any other value (it has no bytes and never enters the hash table).
* ``lookup_*``: no insert; unknown values get ``unknown``, nulls get ``null_value``; returns the
  first row (relative to the call) whose value was unknown (or null when ``null_unknown``), or -1.

Lookups only read the table, so threads may share one. Inserts need the table to themselves.
"""

from libc.stdint cimport (
    INT32_MAX,
    INT64_MAX,
    int8_t,
    int16_t,
    int32_t,
    int64_t,
    intptr_t,
    uint8_t,
    uint16_t,
    uint32_t,
    uint64_t,
)
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

from tp_types cimport int32_64_t, integer_t
from tp_vec cimport tp_bit

import numpy as np


cdef extern from "factorize_hash.h" nogil:
    uint64_t fz_r4(const uint8_t *p)
    uint64_t fz_r8(const uint8_t *p)
    uint64_t fz_word2(const uint8_t *p, uint64_t n)
    bint fz_eq_from20(const uint8_t *a, const uint8_t *b, uint64_t n)
    void fz_inline_bytes(uint64_t w0, uint64_t w1, uint8_t *dst, uint32_t n)
    void fz_mask_inline(uint64_t *w0, uint64_t *w1, uint32_t n)
    void fz_inline_key12(const uint8_t *p, uint32_t n, uint64_t *w0, uint64_t *w1)
    void fz_inline_key_safe(const uint8_t *p, uint32_t n, uint64_t *w0, uint64_t *w1)
    uint64_t fz_hash_short(uint64_t w0, uint64_t w1)
    uint64_t fz_hash_long(const uint8_t *p, uint64_t n)
    uint64_t fz_hash_u64(uint64_t v)
    void fz_prefetch(const void *p)
    void *fz_table_alloc(size_t nbytes)
    uint32_t FZ_NULL  # batch marker of a null row (no string has this length)


cdef enum Mode:
    M_SENTINEL = 0
    M_CODE = 1
    M_LOOKUP = 2

cdef enum:
    AHEAD = 32  # pipeline distance, in rows (see _str_views)
    RING = 64   # ring of pending rows: a power of two > AHEAD

cdef inline int _oom() except -1 nogil:
    with gil:
        raise MemoryError("tabprep factorize: out of memory growing the hash table")


cdef inline int _too_many() except -1 nogil:
    with gil:
        raise OverflowError("more than 2**31 - 1 distinct values do not fit int32 codes")


cdef inline int64_t _row(const int64_t *rows, int64_t start, int64_t i) noexcept nogil:
    """Buffer row of the i-th value: `start + i`, or `rows[i]` when gathering (-1 = a null)."""
    return start + i if rows == NULL else rows[i]


cdef inline bint _is_valid(const uint8_t *valid, int64_t j) noexcept nogil:
    return valid == NULL or tp_bit(valid, j)


# --------------------------------------------------------------------------------------------
# String table
#
# slots: open addressing (linear probing, power-of-two size, load <= 1/2) of 32-byte slots that
#   hold the key itself, so a probe touches one cache line. The key is the length and the first
#   20 bytes, zero padded: w0 = length + bytes 0-3 and w1 = bytes 4-11 (the first 16 bytes of
#   the string's Arrow view), w2 = bytes 12-19. That decides equality for strings <= 20 bytes;
#   longer ones also compare bytes 20.. with their copy in the arena, once the upper 32 hash bits
#   (tag) agree.
# arena + offs: every distinct string's bytes back to back in code order, i.e. exactly the data
#   and offsets buffers of the uniques as an Arrow large_string array. hashes[code] serves rehash.
# --------------------------------------------------------------------------------------------

ctypedef struct Slot:
    uint64_t w0
    uint64_t w1
    uint64_t w2
    uint32_t tag
    uint32_t code1  # code + 1; 0 = empty slot

ctypedef struct StrTab:
    Slot *slots
    uint64_t mask
    uint64_t *hashes
    int64_t *offs
    uint8_t *arena
    int64_t arena_cap
    int64_t n
    int64_t n_cap
    int32_t null_code


cdef int _str_init(StrTab *t, int64_t hint) except -1:
    cdef uint64_t cap = 1024
    while <int64_t>cap < 2 * hint:
        cap <<= 1
    t.mask = cap - 1
    t.n = 0
    t.n_cap = 256
    t.arena_cap = 4096
    t.null_code = -1
    t.slots = <Slot *>fz_table_alloc(cap * sizeof(Slot))
    t.hashes = <uint64_t *>malloc(t.n_cap * sizeof(uint64_t))
    t.offs = <int64_t *>malloc((t.n_cap + 1) * sizeof(int64_t))
    t.arena = <uint8_t *>malloc(t.arena_cap)
    if t.slots == NULL or t.hashes == NULL or t.offs == NULL or t.arena == NULL:
        raise MemoryError()
    t.offs[0] = 0
    return 0


cdef void _str_free(StrTab *t) noexcept nogil:
    free(t.slots)
    free(t.hashes)
    free(t.offs)
    free(t.arena)
    t.slots = NULL
    t.hashes = NULL
    t.offs = NULL
    t.arena = NULL


cdef int _str_rehash(StrTab *t) except -1 nogil:
    cdef uint64_t cap = (t.mask + 1) * 2, m = cap - 1, idx, i
    cdef Slot *new = <Slot *>fz_table_alloc(cap * sizeof(Slot))
    if new == NULL:
        _oom()
    for i in range(t.mask + 1):
        if t.slots[i].code1 == 0:
            continue
        idx = t.hashes[t.slots[i].code1 - 1] & m
        while new[idx].code1 != 0:
            idx = (idx + 1) & m
        new[idx] = t.slots[i]
    free(t.slots)
    t.slots = new
    t.mask = m
    return 0


cdef int _str_reserve(StrTab *t, int64_t nbytes) except -1 nogil:
    """Room for one more code and `nbytes` more arena bytes."""
    cdef int64_t cap
    cdef void *p
    if t.n >= INT32_MAX:
        _too_many()
    if t.n + 1 > t.n_cap:
        cap = t.n_cap * 2
        p = realloc(t.hashes, cap * sizeof(uint64_t))
        if p == NULL:
            _oom()
        t.hashes = <uint64_t *>p
        p = realloc(t.offs, (cap + 1) * sizeof(int64_t))
        if p == NULL:
            _oom()
        t.offs = <int64_t *>p
        t.n_cap = cap
    if t.offs[t.n] + nbytes > t.arena_cap:
        cap = t.arena_cap * 2
        while cap < t.offs[t.n] + nbytes:
            cap *= 2
        p = realloc(t.arena, cap)
        if p == NULL:
            _oom()
        t.arena = <uint8_t *>p
        t.arena_cap = cap
    return 0


cdef inline bint _slot_matches(const StrTab *t, const Slot *sl, uint64_t h, uint64_t w0,
                               uint64_t w1, uint64_t w2, const uint8_t *p,
                               uint32_t n) noexcept nogil:
    if sl.w0 != w0 or sl.w1 != w1 or sl.w2 != w2:
        return False
    return n <= 20 or (sl.tag == <uint32_t>(h >> 32)
                       and fz_eq_from20(t.arena + t.offs[sl.code1 - 1], p, n))


cdef inline uint64_t _str_probe(const StrTab *t, uint64_t h, uint64_t w0, uint64_t w1,
                                uint64_t w2, const uint8_t *p, uint32_t n) noexcept nogil:
    """Slot holding this key, or the empty slot where it would go."""
    cdef uint64_t idx = h & t.mask
    while t.slots[idx].code1 != 0:
        if _slot_matches(t, &t.slots[idx], h, w0, w1, w2, p, n):
            return idx
        idx = (idx + 1) & t.mask
    return idx


cdef int32_t _str_add(StrTab *t, uint64_t idx, uint64_t h, uint64_t w0, uint64_t w1,
                      uint64_t w2, const uint8_t *p, uint32_t n) except -1 nogil:
    """Give the key a new code in the empty slot `idx` (from _str_probe)."""
    cdef int64_t code = t.n, aoff
    cdef Slot *sl
    _str_reserve(t, n)
    aoff = t.offs[code]
    if n <= 12:
        fz_inline_bytes(w0, w1, t.arena + aoff, n)
    else:
        memcpy(t.arena + aoff, p, n)
    t.offs[code + 1] = aoff + n
    t.hashes[code] = h
    sl = &t.slots[idx]
    sl.w0 = w0
    sl.w1 = w1
    sl.w2 = w2
    sl.tag = <uint32_t>(h >> 32)
    sl.code1 = <uint32_t>(code + 1)
    t.n = code + 1
    if 2 * t.n > <int64_t>(t.mask + 1):
        _str_rehash(t)
    return <int32_t>code


cdef int32_t _str_add_null(StrTab *t) except -1 nogil:
    cdef int64_t code = t.n
    _str_reserve(t, 0)
    t.hashes[code] = 0
    t.offs[code + 1] = t.offs[code]
    t.n = code + 1
    t.null_code = <int32_t>code
    return <int32_t>code


cdef inline int32_t _str_null(StrTab *t, int mode, int32_t null_value) except -2 nogil:
    if mode == M_CODE:
        if t.null_code < 0:
            _str_add_null(t)
        return t.null_code
    if mode == M_SENTINEL:
        return -1
    return null_value


# The row loops are software pipelined over a ring of pending rows, because much of the time
# goes into waiting for table memory: row i + AHEAD is hashed (its key staged in the ring) and
# its home slot prefetched, while row i is resolved (probe, maybe insert) in row order, so codes
# stay first-seen. A stale prefetch (the table grew meanwhile) costs time, never correctness.
# The steady state (_views_fast, _binary_fast) resolves rows already in the table inline and
# hands the rest (nulls, inserts, unknowns) to _str_resolve one row at a time. (Also prefetching
# the arena bytes of long strings, or the input bytes of long views, measured slower.)

ctypedef struct Pending:
    uint64_t h
    uint64_t w0
    uint64_t w1
    uint64_t w2
    const uint8_t *p
    uint32_t n  # FZ_NULL for a null row


cdef int64_t _str_resolve(StrTab *t, const Pending *q, int32_t *out, int64_t i, int mode,
                          int32_t unknown, int32_t null_value, bint null_unknown,
                          int64_t first) except -2 nogil:
    """Write row i's code (probe, maybe insert); returns the first unknown row so far."""
    cdef uint64_t idx
    if q.n == FZ_NULL:
        out[i] = _str_null(t, mode, null_value)
        if null_unknown and first < 0:
            first = i
        return first
    idx = _str_probe(t, q.h, q.w0, q.w1, q.w2, q.p, q.n)
    if t.slots[idx].code1 != 0:
        out[i] = <int32_t>t.slots[idx].code1 - 1
    elif mode == M_LOOKUP:
        out[i] = unknown
        if first < 0:
            first = i
    else:
        out[i] = _str_add(t, idx, q.h, q.w0, q.w1, q.w2, q.p, q.n)
    return first


cdef inline void _view_pending(const StrTab *t, Pending *q, const uint64_t *views,
                               const uint8_t **bufs, const uint8_t *valid,
                               int64_t j) noexcept nogil:
    cdef uint64_t w0, w1
    cdef uint32_t n
    if j < 0 or not _is_valid(valid, j):
        q.n = FZ_NULL
        return
    w0 = views[2 * j]
    w1 = views[2 * j + 1]
    n = <uint32_t>w0
    if n <= 12:
        fz_mask_inline(&w0, &w1, n)
        q.h = fz_hash_short(w0, w1)
        q.w2 = 0
    else:
        # long view: bytes 8-11 buffer index, 12-15 offset into that buffer; the key takes
        # bytes 4-19 of the string instead
        q.p = bufs[<uint32_t>w1] + (w1 >> 32)
        w1 = fz_r8(q.p + 4)
        q.w2 = fz_word2(q.p, n)
        q.h = fz_hash_long(q.p, n)
    q.w0 = w0
    q.w1 = w1
    q.n = n
    fz_prefetch(&t.slots[q.h & t.mask])


cdef inline void _binary_pending(const StrTab *t, Pending *q, const int32_64_t *offsets,
                                 const uint8_t *data, int64_t data_size, const uint8_t *valid,
                                 int64_t j) noexcept nogil:
    cdef uint64_t w0, w1
    cdef uint32_t n
    cdef int64_t s
    cdef const uint8_t *p
    if j < 0 or not _is_valid(valid, j):
        q.n = FZ_NULL
        return
    s = offsets[j]
    n = <uint32_t>(offsets[j + 1] - s)
    p = data + s
    if n <= 12:
        if s + 12 <= data_size:
            fz_inline_key12(p, n, &w0, &w1)
        else:
            fz_inline_key_safe(p, n, &w0, &w1)
        q.h = fz_hash_short(w0, w1)
        q.w2 = 0
    else:
        w0 = <uint64_t>n | (fz_r4(p) << 32)
        w1 = fz_r8(p + 4)
        q.w2 = fz_word2(p, n)
        q.h = fz_hash_long(p, n)
    q.p = p
    q.w0 = w0
    q.w1 = w1
    q.n = n
    fz_prefetch(&t.slots[q.h & t.mask])


cdef inline bint _fast_resolve(const StrTab *t, const Slot *slots, uint64_t mask,
                               const Pending *q, int32_t *out) noexcept nogil:
    """Probe for a staged row; False (nothing written) for a null or a value not in the table."""
    cdef uint64_t h = q.h
    cdef const Slot *sl
    if q.n == FZ_NULL:
        return False
    while True:
        sl = &slots[h & mask]
        if sl.code1 == 0:
            return False
        if _slot_matches(t, sl, q.h, q.w0, q.w1, q.w2, q.p, q.n):
            out[0] = <int32_t>sl.code1 - 1
            return True
        h += 1


cdef inline int64_t _views_fast(const StrTab *t, Pending *ring, const uint64_t *views,
                                const uint8_t **bufs, const uint8_t *valid, int64_t start,
                                int64_t i, int64_t stop, int32_t *out) noexcept nogil:
    """The steady state of _str_views on rows [i, stop) (rows i + AHEAD < length, no gather):
    stage row i + AHEAD, resolve row i if its value is in the table. Returns the first row that
    needs _str_resolve, or `stop`."""
    cdef const Slot *slots = t.slots
    cdef uint64_t mask = t.mask, w0, w1, h
    cdef uint32_t n
    cdef int64_t j
    cdef Pending *r
    while i < stop:
        # stage row i + AHEAD
        j = start + i + AHEAD
        r = &ring[(i + AHEAD) & (RING - 1)]
        if valid != NULL and not tp_bit(valid, j):
            r.n = FZ_NULL
        else:
            w0 = views[2 * j]
            w1 = views[2 * j + 1]
            n = <uint32_t>w0
            if n <= 12:
                fz_mask_inline(&w0, &w1, n)
                h = fz_hash_short(w0, w1)
                r.w2 = 0
            else:
                r.p = bufs[<uint32_t>w1] + (w1 >> 32)
                w1 = fz_r8(r.p + 4)
                r.w2 = fz_word2(r.p, n)
                h = fz_hash_long(r.p, n)
            r.h = h
            r.w0 = w0
            r.w1 = w1
            r.n = n
            fz_prefetch(&slots[h & mask])
        # resolve row i
        if not _fast_resolve(t, slots, mask, &ring[i & (RING - 1)], &out[i]):
            return i
        i += 1
    return i


cdef int64_t _str_views(StrTab *t, const uint64_t *views, const uint8_t **bufs,
                        const uint8_t *valid, int64_t start, const int64_t *rows,
                        int64_t length, int32_t *out,
                        int mode, int32_t unknown, int32_t null_value,
                        bint null_unknown) except -2 nogil:
    cdef int64_t i, first = -1, steady = length - AHEAD
    cdef Pending ring[RING]
    for i in range(min(AHEAD, length)):
        _view_pending(t, &ring[i], views, bufs, valid, _row(rows, start, i))
    i = 0
    while i < steady:
        if rows == NULL:
            i = _views_fast(t, ring, views, bufs, valid, start, i, steady, out)
            if i == steady:
                break
        # a slow row (or gathering): the general step
        _view_pending(t, &ring[(i + AHEAD) & (RING - 1)], views, bufs, valid,
                      _row(rows, start, i + AHEAD))
        first = _str_resolve(t, &ring[i & (RING - 1)], out, i, mode, unknown, null_value,
                             null_unknown, first)
        i += 1
    for i in range(max(steady, 0), length):
        first = _str_resolve(t, &ring[i & (RING - 1)], out, i, mode, unknown, null_value,
                             null_unknown, first)
    return first


cdef inline int64_t _binary_fast(const StrTab *t, Pending *ring, const int32_64_t *offsets,
                                 const uint8_t *data, int64_t data_size, const uint8_t *valid,
                                 int64_t start, int64_t i, int64_t stop,
                                 int32_t *out) noexcept nogil:
    """_views_fast for string/large_string arrays."""
    cdef const Slot *slots = t.slots
    cdef uint64_t mask = t.mask, w0, w1, h
    cdef uint32_t n
    cdef int64_t j, s
    cdef const uint8_t *p
    cdef Pending *r
    while i < stop:
        # stage row i + AHEAD
        j = start + i + AHEAD
        r = &ring[(i + AHEAD) & (RING - 1)]
        if valid != NULL and not tp_bit(valid, j):
            r.n = FZ_NULL
        else:
            s = offsets[j]
            n = <uint32_t>(offsets[j + 1] - s)
            p = data + s
            if n <= 12:
                if s + 12 <= data_size:
                    fz_inline_key12(p, n, &w0, &w1)
                else:
                    fz_inline_key_safe(p, n, &w0, &w1)
                h = fz_hash_short(w0, w1)
                r.w2 = 0
            else:
                w0 = <uint64_t>n | (fz_r4(p) << 32)
                w1 = fz_r8(p + 4)
                r.w2 = fz_word2(p, n)
                h = fz_hash_long(p, n)
            r.p = p
            r.h = h
            r.w0 = w0
            r.w1 = w1
            r.n = n
            fz_prefetch(&slots[h & mask])
        # resolve row i
        if not _fast_resolve(t, slots, mask, &ring[i & (RING - 1)], &out[i]):
            return i
        i += 1
    return i


cdef int64_t _str_binary(StrTab *t, const int32_64_t *offsets, const uint8_t *data,
                         int64_t data_size, const uint8_t *valid, int64_t start,
                         const int64_t *rows, int64_t length,
                         int32_t *out, int mode, int32_t unknown, int32_t null_value,
                         bint null_unknown) except -2 nogil:
    cdef int64_t i, first = -1, steady = length - AHEAD
    cdef Pending ring[RING]
    for i in range(min(AHEAD, length)):
        _binary_pending(t, &ring[i], offsets, data, data_size, valid, _row(rows, start, i))
    i = 0
    while i < steady:
        if rows == NULL:
            i = _binary_fast(t, ring, offsets, data, data_size, valid, start, i, steady, out)
            if i == steady:
                break
        # a slow row (or gathering): the general step
        _binary_pending(t, &ring[(i + AHEAD) & (RING - 1)], offsets, data, data_size,
                        valid, _row(rows, start, i + AHEAD))
        first = _str_resolve(t, &ring[i & (RING - 1)], out, i, mode, unknown, null_value,
                             null_unknown, first)
        i += 1
    for i in range(max(steady, 0), length):
        first = _str_resolve(t, &ring[i & (RING - 1)], out, i, mode, unknown, null_value,
                             null_unknown, first)
    return first


cdef const uint8_t *_ptr(const uint8_t[::1] buf) noexcept:
    return &buf[0] if buf is not None and buf.shape[0] > 0 else NULL


cdef const int64_t *_rows_ptr(const int64_t[::1] rows, Py_ssize_t length) except? NULL:
    if rows is None:
        return NULL
    if rows.shape[0] != length:
        raise ValueError(f"rows has {rows.shape[0]} entries for {length} outputs")
    return &rows[0]


cdef class StringTable:
    """Distinct byte strings in first-seen order, with their int32 codes.

    Every method reads ``len(out)`` values of one Arrow array from its buffers: ``validity``
    (bitmap or None), ``offset`` (the array's offset, in rows) and, to gather instead of scanning,
    ``rows`` (int64 buffer rows, offset included; -1 = a null). ``add_*`` insert unseen values
    (nulls get their own code when ``null_code``, else -1); ``lookup_*`` never insert and return
    the first unknown row (index into ``out``) or -1.

    Parameters
    ----------
    capacity : int
        Expected number of distinct values (a sizing hint; the table grows as needed).
    """

    cdef StrTab t

    def __cinit__(self, Py_ssize_t capacity=0):
        _str_init(&self.t, capacity)

    def __dealloc__(self):
        _str_free(&self.t)

    is_dense = False

    @property
    def size(self):
        """Number of codes given out (the null's code included)."""
        return self.t.n

    @property
    def null_code(self):
        """Code of the null value, or -1 if none was given."""
        return self.t.null_code

    def add_binary(self, const int32_64_t[::1] offsets, const uint8_t[::1] data,
                   const uint8_t[::1] validity, Py_ssize_t offset, int32_t[::1] out,
                   bint null_code, const int64_t[::1] rows=None):
        """Factorize a string (int32 offsets) or large_string (int64 offsets) array."""
        cdef int64_t length = out.shape[0]
        cdef const uint8_t *valid = _ptr(validity)
        cdef const uint8_t *d = _ptr(data)
        cdef int64_t dsize = data.shape[0] if data is not None else 0
        cdef const int64_t *sel = _rows_ptr(rows, length)
        cdef const int32_64_t *o = &offsets[0] if offsets.shape[0] > 0 else NULL
        if length == 0:
            return
        with nogil:
            _str_binary(&self.t, o, d, dsize, valid, offset, sel, length, &out[0],
                        M_CODE if null_code else M_SENTINEL, -1, -1, False)

    def lookup_binary(self, const int32_64_t[::1] offsets, const uint8_t[::1] data,
                      const uint8_t[::1] validity, Py_ssize_t offset, int32_t[::1] out,
                      int32_t unknown, int32_t null_value, bint null_unknown,
                      const int64_t[::1] rows=None):
        """Codes of known strings: unknown ones get ``unknown``, nulls ``null_value``."""
        cdef int64_t length = out.shape[0], first
        cdef const uint8_t *valid = _ptr(validity)
        cdef const uint8_t *d = _ptr(data)
        cdef int64_t dsize = data.shape[0] if data is not None else 0
        cdef const int64_t *sel = _rows_ptr(rows, length)
        cdef const int32_64_t *o = &offsets[0] if offsets.shape[0] > 0 else NULL
        if length == 0:
            return -1
        with nogil:
            first = _str_binary(&self.t, o, d, dsize, valid, offset, sel, length,
                                &out[0], M_LOOKUP, unknown, null_value, null_unknown)
        return first

    def add_views(self, const uint64_t[::1] views, const intptr_t[::1] buffers,
                  const uint8_t[::1] validity, Py_ssize_t offset, int32_t[::1] out,
                  bint null_code, const int64_t[::1] rows=None):
        """Factorize a string_view array; ``buffers`` holds the addresses of its data buffers."""
        cdef int64_t length = out.shape[0]
        cdef const uint8_t *valid = _ptr(validity)
        cdef const uint8_t **bufs = (
            <const uint8_t **>&buffers[0] if buffers.shape[0] > 0 else NULL)
        cdef const int64_t *sel = _rows_ptr(rows, length)
        cdef const uint64_t *v = &views[0] if views.shape[0] > 0 else NULL
        if length == 0:
            return
        with nogil:
            _str_views(&self.t, v, bufs, valid, offset, sel, length, &out[0],
                       M_CODE if null_code else M_SENTINEL, -1, -1, False)

    def lookup_views(self, const uint64_t[::1] views, const intptr_t[::1] buffers,
                     const uint8_t[::1] validity, Py_ssize_t offset, int32_t[::1] out,
                     int32_t unknown, int32_t null_value, bint null_unknown,
                     const int64_t[::1] rows=None):
        """Codes of known strings: unknown ones get ``unknown``, nulls ``null_value``."""
        cdef int64_t length = out.shape[0], first
        cdef const uint8_t *valid = _ptr(validity)
        cdef const uint8_t **bufs = (
            <const uint8_t **>&buffers[0] if buffers.shape[0] > 0 else NULL)
        cdef const int64_t *sel = _rows_ptr(rows, length)
        cdef const uint64_t *v = &views[0] if views.shape[0] > 0 else NULL
        if length == 0:
            return -1
        with nogil:
            first = _str_views(&self.t, v, bufs, valid, offset, sel, length, &out[0],
                               M_LOOKUP, unknown, null_value, null_unknown)
        return first

    def uniques(self):
        """``(offsets int64[size + 1], data uint8[...], null_code)``: the distinct strings in code
        order as large_string buffers (the null's entry is empty)."""
        cdef int64_t n = self.t.n
        offs = np.empty(n + 1, dtype=np.int64)
        data = np.empty(self.t.offs[n], dtype=np.uint8)
        cdef int64_t[::1] o = offs
        cdef uint8_t[::1] d = data
        memcpy(&o[0], self.t.offs, (n + 1) * sizeof(int64_t))
        if self.t.offs[n] > 0:
            memcpy(&d[0], self.t.arena, self.t.offs[n])
        return offs, data, self.t.null_code


# The integer table (IntTab, IntTable) lives in factorize_int.pxi: same module, own file.
include "factorize_int.pxi"


def remap(int32_t[::1] codes, const int32_t[::1] mapping):
    """In place: ``codes[i] = mapping[codes[i]]`` for every code >= 0 (negative codes stay)."""
    cdef int64_t i, n = codes.shape[0]
    cdef int32_t c
    with nogil:
        for i in range(n):
            c = codes[i]
            if c >= 0:
                codes[i] = mapping[c]
