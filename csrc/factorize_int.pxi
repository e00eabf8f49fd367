# Included by factorize.pyx (one extension module, two files by concern): the integer table.
# It uses that module's cimports, helpers (_oom, _too_many, _row, _is_valid) and modes.

# --------------------------------------------------------------------------------------------
# Integer table: keys are the values widened to 64 bits (sign-extended for signed types), so
# every integer dtype shares one table layout.
#
# dense: for a small value range, known before the first insert (set_dense), an array from
#   value - lo to code (-1 = not seen) replaces hashing: one load per row. It is complete for
#   its range, so a lookup trusts it; values outside the range use the hash table.
# slots: open addressing (linear probing, load <= 1/2) of (key, code + 1; 0 = empty).
# --------------------------------------------------------------------------------------------

ctypedef struct IntSlot:
    uint64_t key
    int64_t code1

ctypedef struct IntTab:
    IntSlot *slots
    uint64_t mask
    int64_t n_hashed   # keys in the hash table (sizes it)
    uint64_t *keys     # per code
    int64_t n
    int64_t n_cap
    int32_t null_code
    int32_t *dense     # NULL, or dense_span + 1 codes
    uint64_t dense_lo  # key of the range's lowest value
    uint64_t dense_span


cdef int _int_init(IntTab *t, int64_t hint) except -1:
    cdef uint64_t cap = 256
    while <int64_t>cap < 2 * hint:
        cap <<= 1
    t.mask = cap - 1
    t.n = 0
    t.n_hashed = 0
    t.n_cap = 64
    t.null_code = -1
    t.dense = NULL
    t.dense_lo = 0
    t.dense_span = 0
    t.slots = <IntSlot *>fz_table_alloc(cap * sizeof(IntSlot))
    t.keys = <uint64_t *>malloc(t.n_cap * sizeof(uint64_t))
    if t.slots == NULL or t.keys == NULL:
        raise MemoryError()
    return 0


cdef void _int_free(IntTab *t) noexcept nogil:
    free(t.slots)
    free(t.keys)
    free(t.dense)
    t.slots = NULL
    t.keys = NULL
    t.dense = NULL


cdef inline bint _in_dense(const IntTab *t, uint64_t key) noexcept nogil:
    return t.dense != NULL and key - t.dense_lo <= t.dense_span


cdef int _int_rehash(IntTab *t) except -1 nogil:
    cdef uint64_t cap = (t.mask + 1) * 2, m = cap - 1, idx, i
    cdef IntSlot *new = <IntSlot *>fz_table_alloc(cap * sizeof(IntSlot))
    if new == NULL:
        _oom()
    for i in range(t.mask + 1):
        if t.slots[i].code1 == 0:
            continue
        idx = fz_hash_u64(t.slots[i].key) & m
        while new[idx].code1 != 0:
            idx = (idx + 1) & m
        new[idx] = t.slots[i]
    free(t.slots)
    t.slots = new
    t.mask = m
    return 0


cdef int32_t _int_append(IntTab *t, uint64_t key) except -1 nogil:
    """A new code for `key` (the caller files it in the dense array or the hash table)."""
    cdef void *p
    cdef int64_t code = t.n
    if code >= INT32_MAX:
        _too_many()
    if code + 1 > t.n_cap:
        p = realloc(t.keys, 2 * t.n_cap * sizeof(uint64_t))
        if p == NULL:
            _oom()
        t.keys = <uint64_t *>p
        t.n_cap *= 2
    t.keys[code] = key
    t.n = code + 1
    return <int32_t>code


cdef inline uint64_t _int_probe(const IntTab *t, uint64_t key) noexcept nogil:
    """Slot holding `key`, or the empty slot where it would go."""
    cdef uint64_t idx = fz_hash_u64(key) & t.mask
    while t.slots[idx].code1 != 0 and t.slots[idx].key != key:
        idx = (idx + 1) & t.mask
    return idx


cdef inline int32_t _int_get(IntTab *t, uint64_t key, bint insert) except -2 nogil:
    """Code of `key`, inserting it when `insert`; -1 when absent and not inserting."""
    cdef uint64_t d, idx
    cdef int32_t code
    if _in_dense(t, key):
        d = key - t.dense_lo
        code = t.dense[d]
        if code < 0 and insert:
            code = _int_append(t, key)
            t.dense[d] = code
        return code
    idx = _int_probe(t, key)
    if t.slots[idx].code1 != 0:
        return <int32_t>(t.slots[idx].code1 - 1)
    if not insert:
        return -1
    code = _int_append(t, key)
    t.slots[idx].key = key
    t.slots[idx].code1 = code + 1
    t.n_hashed += 1
    if 2 * t.n_hashed > <int64_t>(t.mask + 1):
        _int_rehash(t)
    return code


cdef inline int32_t _int_null(IntTab *t, int mode, int32_t null_value) except -2 nogil:
    if mode == M_CODE:
        if t.null_code < 0:
            t.null_code = _int_append(t, 0)
        return t.null_code
    if mode == M_SENTINEL:
        return -1
    return null_value


cdef inline bint _foreign(integer_t v, bint table_signed) noexcept nogil:
    """True for a value no key of the table can equal (lookups across signedness)."""
    if integer_t is uint64_t:
        return table_signed and v > <uint64_t>INT64_MAX
    elif (integer_t is int8_t or integer_t is int16_t or integer_t is int32_t
          or integer_t is int64_t):
        return not table_signed and v < 0
    else:
        return False


cdef inline bint _foreign_type(integer_t v, bint table_signed) noexcept nogil:
    """True if some values of this dtype cannot be keys of the table (see _foreign)."""
    if integer_t is uint64_t:
        return table_signed
    elif (integer_t is int8_t or integer_t is int16_t or integer_t is int32_t
          or integer_t is int64_t):
        return not table_signed
    else:
        return False


cdef inline uint64_t _key(integer_t v) noexcept nogil:
    return <uint64_t>(<int64_t>v)


cdef inline int64_t _int_fast(const IntTab *t, const integer_t[:] vals, const uint8_t *valid,
                              int64_t start, int64_t i, int64_t stop, int32_t *out) noexcept nogil:
    """The steady state of _int_run on rows [i, stop) (rows i + AHEAD < length, no gather, same
    signedness): resolve each row whose value is in the table, through the dense array or a
    hash probe (its slot prefetched AHEAD rows early). Returns the first row left for the
    general step (a null, a new or unknown value), or `stop`."""
    cdef const IntSlot *slots = t.slots
    cdef const int32_t *dense = t.dense
    cdef uint64_t mask = t.mask, lo = t.dense_lo, span = t.dense_span, k, idx
    cdef int64_t j
    cdef int32_t c
    while i < stop:
        j = start + i
        if dense == NULL:
            fz_prefetch(&slots[fz_hash_u64(_key(vals[j + AHEAD])) & mask])
        if valid != NULL and not tp_bit(valid, j):
            return i
        k = _key(vals[j])
        if dense != NULL and k - lo <= span:
            c = dense[k - lo]
            if c < 0:
                return i
        else:
            idx = fz_hash_u64(k) & mask
            while slots[idx].code1 != 0 and slots[idx].key != k:
                idx = (idx + 1) & mask
            if slots[idx].code1 == 0:
                return i
            c = <int32_t>(slots[idx].code1 - 1)
        out[i] = c
        i += 1
    return i


cdef int64_t _int_run(IntTab *t, const integer_t[:] vals, const uint8_t *valid, int64_t start,
                      const int64_t *rows, int64_t length, int32_t *out, int mode,
                      int32_t unknown, int32_t null_value, bint null_unknown,
                      bint table_signed) except -2 nogil:
    cdef int64_t i = 0, j, first = -1, steady = length - AHEAD
    cdef int32_t c
    cdef bint insert = mode != M_LOOKUP
    # values of the other signedness may share a bit pattern with a key: the general step
    # checks them one by one
    cdef bint fast = rows == NULL and (insert or not _foreign_type(vals[0] if length else 0,
                                                                   table_signed))
    while i < length:
        if fast and i < steady:
            i = _int_fast(t, vals, valid, start, i, steady, out)
            if i == steady:
                continue
        # the general step: one row
        if i + AHEAD < length and t.dense == NULL:
            j = _row(rows, start, i + AHEAD)
            if j >= 0:
                fz_prefetch(&t.slots[fz_hash_u64(_key(vals[j])) & t.mask])
        j = _row(rows, start, i)
        if j < 0 or not _is_valid(valid, j):
            out[i] = _int_null(t, mode, null_value)
            if null_unknown and first < 0:
                first = i
        else:
            if not insert and _foreign(vals[j], table_signed):
                c = -1
            else:
                c = _int_get(t, _key(vals[j]), insert)
            if c < 0:
                c = unknown
                if first < 0:
                    first = i
            out[i] = c
        i += 1
    return first


cdef class IntTable:
    """Distinct integers in first-seen order, with their int32 codes (methods as in
    :class:`StringTable`; integers compare by value whatever their width and signedness).

    Parameters
    ----------
    signed : bool
        Whether the keys come from a signed dtype (decides how lookups with values of the other
        signedness compare: by value, never by bit pattern).
    capacity : int
        Expected number of distinct values (a sizing hint).
    """

    cdef IntTab t
    cdef readonly bint is_signed

    def __cinit__(self, bint signed=True, Py_ssize_t capacity=0):
        self.is_signed = signed
        _int_init(&self.t, capacity)

    def __dealloc__(self):
        _int_free(&self.t)

    @property
    def size(self):
        """Number of codes given out (the null's code included)."""
        return self.t.n

    @property
    def null_code(self):
        """Code of the null value, or -1 if none was given."""
        return self.t.null_code

    @property
    def is_dense(self):
        """Whether a value range is indexed directly (see set_dense)."""
        return self.t.dense != NULL

    def set_dense(self, lo, hi):
        """Index values in [lo, hi] with a direct array (of hi - lo + 1 int32) instead of hashing.
        Only on an empty table (the array must see every insert of its range)."""
        if self.t.n != 0 or self.t.dense != NULL:
            raise ValueError("set_dense needs an empty table")
        if not 0 <= hi - lo < 2**31:
            raise ValueError(f"bad dense range [{lo}, {hi}]")
        cdef uint64_t span = <uint64_t>(hi - lo)
        self.t.dense = <int32_t *>malloc((span + 1) * sizeof(int32_t))
        if self.t.dense == NULL:
            raise MemoryError()
        memset(self.t.dense, 0xFF, (span + 1) * sizeof(int32_t))
        self.t.dense_lo = <uint64_t>(lo & 0xFFFFFFFFFFFFFFFF)
        self.t.dense_span = span

    def add(self, const integer_t[:] values, const uint8_t[::1] validity, Py_ssize_t offset,
            int32_t[::1] out, bint null_code, const int64_t[::1] rows=None):
        """Factorize integers (any strided 1-D buffer)."""
        cdef int64_t length = out.shape[0]
        cdef const uint8_t *valid = _ptr(validity)
        cdef const int64_t *sel = _rows_ptr(rows, length)
        if length == 0:
            return
        with nogil:
            _int_run(&self.t, values, valid, offset, sel, length, &out[0],
                     M_CODE if null_code else M_SENTINEL, -1, -1, False, self.is_signed)

    def lookup(self, const integer_t[:] values, const uint8_t[::1] validity, Py_ssize_t offset,
               int32_t[::1] out, int32_t unknown, int32_t null_value, bint null_unknown,
               const int64_t[::1] rows=None):
        """Codes of known integers: unknown ones get ``unknown``, nulls ``null_value``."""
        cdef int64_t length = out.shape[0], first
        cdef const uint8_t *valid = _ptr(validity)
        cdef const int64_t *sel = _rows_ptr(rows, length)
        if length == 0:
            return -1
        with nogil:
            first = _int_run(&self.t, values, valid, offset, sel, length, &out[0], M_LOOKUP,
                             unknown, null_value, null_unknown, self.is_signed)
        return first

    def uniques(self):
        """``(keys uint64[size], null_code)``: the distinct values widened to 64 bits, in code
        order (view as int64 for signed dtypes; the null's entry is 0)."""
        keys = np.empty(self.t.n, dtype=np.uint64)
        cdef uint64_t[::1] k = keys
        if self.t.n > 0:
            memcpy(&k[0], self.t.keys, self.t.n * sizeof(uint64_t))
        return keys, self.t.null_code
