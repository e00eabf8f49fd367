/* Shared helpers of the kernels: validity bitmap access (moments.h, binning.h, and the .pyx
 * kernels through tp_vec.pxd) and two-lane float64 vectors (moments.h).
 *
 * The vectors use GCC/Clang vector extensions: 2 lanes (one SSE2/NEON register; scalar code on
 * targets without SIMD); vector casts between same-size types reinterpret bits.
 */
#ifndef TP_VEC_H
#define TP_VEC_H

#include <stdint.h>
#include <string.h>

/* validity bits of rows i..i+7 (bit k = row i+k); the caller guarantees the rows exist. The
 * second byte is read only when the 8 bits straddle two bytes, and then it holds row i+7's bit,
 * so it lies inside the bitmap. */
static inline unsigned tp_bits8(const uint8_t *bits, int64_t i)
{
    int64_t byte = i >> 3;
    unsigned shift = (unsigned)(i & 7);
    if (shift == 0)
        return bits[byte];
    return ((unsigned)bits[byte] >> shift | (unsigned)bits[byte + 1] << (8 - shift)) & 0xFFu;
}

static inline unsigned tp_bit(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1u;
}

typedef double tp_v2d __attribute__((vector_size(16)));
typedef int64_t tp_v2i __attribute__((vector_size(16)));
typedef float tp_v2f __attribute__((vector_size(8)));

static inline tp_v2d tp_load2_f64(const double *p)
{
    tp_v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline tp_v2d tp_load2_f32(const float *p)
{
    tp_v2f v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, tp_v2d);
}

/* TP_NIBBLE_MASK[m] = the lane masks (all ones / zeros) of 4 rows whose validity bits are m */
static const int64_t TP_NIBBLE_MASK[16][4] __attribute__((aligned(16))) = {
#define TP_B(m, k) (((m) >> (k)) & 1 ? (int64_t)-1 : (int64_t)0)
#define TP_ROW(m) {TP_B(m, 0), TP_B(m, 1), TP_B(m, 2), TP_B(m, 3)}
    TP_ROW(0), TP_ROW(1), TP_ROW(2), TP_ROW(3), TP_ROW(4), TP_ROW(5), TP_ROW(6), TP_ROW(7),
    TP_ROW(8), TP_ROW(9), TP_ROW(10), TP_ROW(11), TP_ROW(12), TP_ROW(13), TP_ROW(14), TP_ROW(15),
#undef TP_ROW
#undef TP_B
};

static inline tp_v2i tp_mask2(unsigned nibble, int half) /* rows 2*half, 2*half+1 of a nibble */
{
    tp_v2i v;
    memcpy(&v, &TP_NIBBLE_MASK[nibble][2 * half], sizeof v);
    return v;
}

#endif
