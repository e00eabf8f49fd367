/* The one random generator of tabprep's kernels (csrc/split.pyx, csrc/sample.pyx).
 *
 * splitmix64 (Steele, Lea & Flood 2014) seeded with the caller's 64-bit seed; bounded draws by
 * Lemire's multiply-shift with rejection (exactly uniform). tests/oracles/split.py and
 * tests/oracles/sample.py write the same generator out in Python and reproduce the kernels bit
 * for bit, so a change here is a change of every seeded split and sample.
 */
#ifndef TABPREP_TP_RANDOM_H
#define TABPREP_TP_RANDOM_H

#include <stdint.h>

static inline uint64_t tp_rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, bound), bound >= 1 (Lemire 2019, nearly divisionless). */
static inline uint64_t tp_rng_bounded(uint64_t *s, uint64_t bound) {
    __uint128_t m = (__uint128_t)tp_rng_next(s) * bound;
    uint64_t l = (uint64_t)m;
    if (l < bound) {
        uint64_t t = (0 - bound) % bound;
        while (l < t) {
            m = (__uint128_t)tp_rng_next(s) * bound;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* The start state of stream ``index`` of a seed: stream 0 is the seed itself (so a one-block
 * kernel draws what a sequential kernel seeded with ``seed`` draws); the others are a splitmix64
 * output of the seed moved by ``index`` odd steps: unrelated 64-bit start states on the
 * generator's 2**64 cycle (for 1000 streams of at most 2**22 draws each, the chance that two
 * overlap is below 2**-20). */
static inline uint64_t tp_rng_stream(uint64_t seed, uint64_t index) {
    if (index == 0) return seed;
    uint64_t s = seed ^ (index * 0xD1B54A32D192ED03ULL);
    return tp_rng_next(&s);
}

/* Uniform double in the open interval (0, 1): 53 random bits, centred in their cell. */
static inline double tp_rng_unit(uint64_t *s) {
    return ((double)(tp_rng_next(s) >> 11) + 0.5) * 0x1.0p-53;
}

#endif
