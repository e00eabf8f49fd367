"""Sketch kernels: HyperLogLog register updates from 64-bit hashes.

``hll_update`` folds a batch of hashes into ``2**p`` registers in one pass: the register is the
top ``p`` bits of the hash, the rank the number of leading zeros of the other ``64 - p`` bits
plus 1 (``64 - p + 1`` when they are all zero), and the register keeps the largest rank seen.
The NumPy form of the same (``tests/oracles/sketch.py``) made four 8-byte temporaries per value
and an ``np.maximum.at``: ~10 ms per million hashes, most of a profile's time on float columns;
this loop makes none. The maximum is order-free, so the result depends on the hashes only.
"""

from libc.stdint cimport uint8_t, uint64_t


cdef extern from *:
    """
    static inline int tp_clz64(unsigned long long x) { return __builtin_clzll(x); }
    """
    int tp_clz64(unsigned long long x) nogil


def hll_update(const uint64_t[::1] hashes, uint8_t[::1] registers, int p):
    """Fold ``hashes`` into ``registers`` (``2**p`` of them, 4 <= p <= 18), in place."""
    cdef Py_ssize_t i, n = hashes.shape[0]
    cdef int low = 64 - p
    cdef uint64_t h, rest, mask = ((<uint64_t>1) << low) - 1
    cdef Py_ssize_t idx
    cdef uint8_t rank
    if p < 4 or p > 18 or registers.shape[0] != ((<Py_ssize_t>1) << p):
        raise ValueError(f"registers must hold 2**p values with 4 <= p <= 18; got p={p}, {registers.shape[0]}")
    with nogil:
        for i in range(n):
            h = hashes[i]
            idx = <Py_ssize_t>(h >> low)
            rest = h & mask
            rank = <uint8_t>(low + 1) if rest == 0 else <uint8_t>(tp_clz64(rest) - p + 1)
            if rank > registers[idx]:
                registers[idx] = rank
