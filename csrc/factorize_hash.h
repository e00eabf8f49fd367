/* Hashing and unaligned loads for csrc/factorize.pyx.
 *
 * The hash only decides where a key sits in the table; codes come from first-seen order, so the
 * hash can change without changing any output. Mixing follows wyhash's 128-bit multiply-fold,
 * written afresh here (it is not bit-compatible with wyhash and need not be).
 *
 * Strings of <= 12 bytes are hashed from their 16-byte "inline key": the Arrow string_view
 * layout (little-endian uint32 length, then the bytes, zero padded). Both the view and the
 * offsets layouts build that key, so one string always gets one hash whatever its layout.
 */
#ifndef TABPREP_FACTORIZE_HASH_H
#define TABPREP_FACTORIZE_HASH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FZ_NULL 0xFFFFFFFFu

#define FZ_S0 0xa0761d6478bd642fULL
#define FZ_S1 0xe7037ed1a0b428dbULL
#define FZ_S2 0x8ebc6af09c88c6e3ULL
#define FZ_S3 0x589965cc75374cc3ULL

static inline uint64_t fz_mix(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t fz_r8(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t fz_r4(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Masks keeping the valid bytes of an inline key of length n <= 12: w0 holds the 4-byte length
 * and bytes 0-3, w1 bytes 4-11. */
static const uint64_t FZ_MASK_W0[13] = {
    0x00000000FFFFFFFFULL, 0x000000FFFFFFFFFFULL, 0x0000FFFFFFFFFFFFULL, 0x00FFFFFFFFFFFFFFULL,
    ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL};
static const uint64_t FZ_MASK_W1[13] = {
    0, 0, 0, 0, 0, 0x00000000000000FFULL, 0x000000000000FFFFULL, 0x0000000000FFFFFFULL,
    0x00000000FFFFFFFFULL, 0x000000FFFFFFFFFFULL, 0x0000FFFFFFFFFFFFULL, 0x00FFFFFFFFFFFFFFULL,
    ~0ULL};

/* Zero the bytes of an inline key past its length n (n <= 12): producers are not trusted to
 * zero-pad, and two equal strings must give equal keys. */
static inline void fz_mask_inline(uint64_t *w0, uint64_t *w1, uint32_t n) {
    *w0 &= FZ_MASK_W0[n];
    *w1 &= FZ_MASK_W1[n];
}

/* Inline key of the n <= 12 bytes at p, where reading 12 bytes from p is allowed. */
static inline void fz_inline_key12(const uint8_t *p, uint32_t n, uint64_t *w0, uint64_t *w1) {
    uint64_t a = fz_r8(p), b = fz_r4(p + 8);
    *w0 = (uint64_t)n | (a << 32);
    *w1 = (a >> 32) | (b << 32);
    fz_mask_inline(w0, w1, n);
}

/* Inline key of the n <= 12 bytes at p, reading only those n bytes (end of a buffer). */
static inline void fz_inline_key_safe(const uint8_t *p, uint32_t n, uint64_t *w0, uint64_t *w1) {
    uint8_t tmp[16] = {0};
    memcpy(tmp, &n, 4);
    if (n) memcpy(tmp + 4, p, n);
    *w0 = fz_r8(tmp);
    *w1 = fz_r8(tmp + 8);
}

/* Write the n <= 12 string bytes of an inline key to dst. */
static inline void fz_inline_bytes(uint64_t w0, uint64_t w1, uint8_t *dst, uint32_t n) {
    uint8_t tmp[16];
    memcpy(tmp, &w0, 8);
    memcpy(tmp + 8, &w1, 8);
    memcpy(dst, tmp + 4, n);
}

/* Bytes 12-19 of a string of n > 12 bytes, zero padded past n, read inside [p, p + n). */
static inline uint64_t fz_word2(const uint8_t *p, uint64_t n) {
    return n >= 20 ? fz_r8(p + 12) : fz_r8(p + n - 8) >> (8 * (20 - n));
}

/* Equality of bytes [20, n) of two strings of the same length n > 20 (bytes 0-19 are compared
 * through the key words). */
static inline int fz_eq_from20(const uint8_t *a, const uint8_t *b, uint64_t n) {
    uint64_t i = 20;
    while (i + 8 < n) {
        if (fz_r8(a + i) != fz_r8(b + i)) return 0;
        i += 8;
    }
    return fz_r8(a + n - 8) == fz_r8(b + n - 8);
}

static inline uint64_t fz_hash_short(uint64_t w0, uint64_t w1) {
    return fz_mix(w0 ^ FZ_S0, w1 ^ FZ_S1);
}

/* Hash of n > 12 bytes (all reads stay inside [p, p + n)). */
static inline uint64_t fz_hash_long(const uint8_t *p, uint64_t n) {
    uint64_t seed = FZ_S0 ^ fz_mix(n ^ FZ_S2, FZ_S1), a, b;
    if (n <= 16) {
        a = fz_r8(p);
        b = fz_r8(p + n - 8);
    } else {
        uint64_t i = n;
        if (i > 48) {
            uint64_t s1 = seed, s2 = seed;
            do {
                seed = fz_mix(fz_r8(p) ^ FZ_S1, fz_r8(p + 8) ^ seed);
                s1 = fz_mix(fz_r8(p + 16) ^ FZ_S2, fz_r8(p + 24) ^ s1);
                s2 = fz_mix(fz_r8(p + 32) ^ FZ_S3, fz_r8(p + 40) ^ s2);
                p += 48;
                i -= 48;
            } while (i > 48);
            seed ^= s1 ^ s2;
        }
        while (i > 16) {
            seed = fz_mix(fz_r8(p) ^ FZ_S1, fz_r8(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        /* the last 16 bytes, overlapping the previous block when i < 16 (n > 16 keeps it inside) */
        a = fz_r8(p + i - 16);
        b = fz_r8(p + i - 8);
    }
    return fz_mix(fz_mix(a ^ FZ_S1, b ^ seed) ^ FZ_S0, n ^ FZ_S3);
}

static inline uint64_t fz_hash_u64(uint64_t v) {
    return fz_mix(v ^ FZ_S0, FZ_S1);
}

/* Zeroed memory for a hash table. Big tables are aligned to 2 MiB and asked for transparent
 * huge pages: their probes are random, and with 4 KiB pages most of them also miss the TLB. */
static inline void *fz_table_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes < ((size_t)1 << 21)) return calloc(1, bytes);
    if (posix_memalign(&p, (size_t)1 << 21, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 0, bytes);
    return p;
}

static inline void fz_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 1);
}

#endif
