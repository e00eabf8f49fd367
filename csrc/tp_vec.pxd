# Cython's view of tp_vec.h: the validity-bitmap readers, so every kernel reads Arrow bits one way.
# (The two-lane vector helpers serve the C headers only.)

from libc.stdint cimport int64_t, uint8_t

cdef extern from "tp_vec.h" nogil:
    unsigned tp_bit(const uint8_t* bits, int64_t i)
    unsigned tp_bits8(const uint8_t* bits, int64_t i)
