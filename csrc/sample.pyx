# cython: language_level=3
"""Compiled kernels of tabprep.sample: selection sampling and the skip plan of reservoir sampling.

The generator is the shared one of csrc/tp_random.h (splitmix64, Lemire bounded draws);
tests/oracles/sample.py reproduces both kernels bit for bit.
"""

from libc.math cimport exp, floor, log, log1p
from libc.stdint cimport int64_t, uint64_t

cdef extern from "tp_random.h" nogil:
    uint64_t tp_rng_bounded(uint64_t *s, uint64_t bound) noexcept
    double tp_rng_unit(uint64_t *s) noexcept

# Skips are capped so that a tiny W (huge k relative to nothing) cannot overflow int64.
cdef double _MAX_SKIP = 4.0e18


def select_sorted(int64_t n_total, int64_t n, uint64_t seed, int64_t[::1] out):
    """Knuth's Algorithm S: ``n`` of ``range(n_total)`` uniformly without replacement, sorted.

    Row i is taken with probability (rows still wanted) / (rows still to come).
    """
    cdef int64_t i = 0, taken = 0
    cdef uint64_t state = seed
    with nogil:
        while taken < n:
            if <int64_t>tp_rng_bounded(&state, <uint64_t>(n_total - i)) < n - taken:
                out[taken] = i
                taken += 1
            i += 1


cdef inline int64_t _skip(uint64_t *state, double w) noexcept nogil:
    cdef double s = floor(log(tp_rng_unit(state)) / log1p(-w))
    if s > _MAX_SKIP or s != s:
        return <int64_t>_MAX_SKIP
    return <int64_t>s


def reservoir_init(int64_t k, uint64_t[::1] state, double[::1] w, int64_t[::1] nxt):
    """Start Li's Algorithm L once the reservoir holds rows 0..k-1 (``state[0]`` holds the seed).

    ``w[0]`` and ``nxt[0]`` (the index of the next row to enter the reservoir) are set.
    """
    cdef uint64_t s = state[0]
    w[0] = exp(log(tp_rng_unit(&s)) / k)
    nxt[0] = k + _skip(&s, w[0])
    state[0] = s


def reservoir_plan(
    int64_t start,
    int64_t stop,
    int64_t k,
    uint64_t[::1] state,
    double[::1] w,
    int64_t[::1] nxt,
    int64_t[::1] slots,
    int64_t[::1] rows,
):
    """Replacements falling in rows [start, stop): fills ``slots`` (reservoir slot) and ``rows``
    (global row index), in order, and returns how many; call again while it returns the buffers'
    full length. ``state``, ``w`` and ``nxt`` carry the generator between batches.
    """
    cdef Py_ssize_t cap = slots.shape[0], count = 0
    cdef uint64_t s = state[0]
    cdef double ww = w[0]
    cdef int64_t nx = nxt[0]
    with nogil:
        while nx < stop and count < cap:
            slots[count] = <int64_t>tp_rng_bounded(&s, <uint64_t>k)
            rows[count] = nx
            count += 1
            ww = ww * exp(log(tp_rng_unit(&s)) / k)
            nx = nx + 1 + _skip(&s, ww)
    state[0] = s
    w[0] = ww
    nxt[0] = nx
    return count
