/* Moments of one float column (count, sum, mean, sum of squared deviations), branch-free.
 *
 * Rows are walked in blocks of TP_MOM_BLOCK values counted from the first row. In a block, row i
 * goes to lane i % 8 of eight accumulators (so the compiler can keep them in vector registers
 * without reordering any sum), a missing row (validity bit 0, or NaN) adds an exact 0.0 through a
 * bit mask, and the lanes are added in a fixed tree. Pass 1 gives the block's count and sum,
 * pass 2 (from L1) its sum of squared deviations from the block mean; blocks are merged in row
 * order with Chan, Golub & LeVeque's formula. The result is a function of the values and their
 * order only. See csrc/moments.pyx.
 *
 * Chunks: a column held as several chunks (Arrow arrays of a Polars Series that was never
 * rechunked) is walked by NAME_chunks with its blocks still counted from the column's first row:
 * blocks inside a chunk are read in place, the few that span a chunk boundary are gathered into
 * one block-sized buffer (a missing row written as NaN, which the block loop skips exactly as it
 * skips a cleared validity bit). The result is that of the concatenated column, bit for bit, so
 * callers need not copy a column into one chunk to get chunk-independent sums.
 *
 * Constant blocks: sum/count of n copies of v is not v in floating point (1024 x 0.1), so the
 * deviations from that mean were not 0 and a constant column got a variance of ~1e-29 and a mean
 * a few ulps off (scikit-learn's variance is exactly 0). A block whose squared deviations are
 * within rounding noise of its mean (TP_MOM_NOISE) is checked from L1 cache (pass 3): if every
 * valid value equals the first one, its mean is that value and its m2 is 0 exactly, and merging
 * equal means adds exactly 0, so a constant column gives exactly (v, 0). Every other block is
 * computed as before, bit for bit, and pays nothing but one comparison.
 */
#ifndef TP_MOMENTS_H
#define TP_MOMENTS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tp_vec.h"

#define TP_MOM_BLOCK 1024 /* multiple of 8: 8 KiB of float64 */
/* Bound of |v - sum/count| / |v| for a block of copies of v: each of the 8 lanes adds at most
 * TP_MOM_BLOCK / 8 = 128 values (relative error below 128 eps), then the lane tree and the
 * division: 256 eps is a safe margin. */
#define TP_MOM_NOISE (256.0 * 2.220446049250313e-16)

typedef struct {
    int64_t n;
    double sum, mean, m2;
    int has_inf;
} tp_moments_t;

/* the 8 lanes (rows i..i+7 of a block) added in a fixed tree */
static inline double tp_lanes8(tp_v2d a, tp_v2d b, tp_v2d c, tp_v2d d)
{
    return ((a[0] + a[1]) + (b[0] + b[1])) + ((c[0] + c[1]) + (d[0] + d[1]));
}

/* Rows i..i+7 as r0..r3 (two per vector) and their validity masks k0..k3 (not NaN, and set in
 * the bitmap when there is one): declares the eight variables in the enclosing block. */
#define TP_LOAD8(LOAD2, x, i, HAS_BITS, bits, bit0)                                             \
    tp_v2d r0 = LOAD2((x) + (i)), r1 = LOAD2((x) + (i) + 2);                                    \
    tp_v2d r2 = LOAD2((x) + (i) + 4), r3 = LOAD2((x) + (i) + 6);                                \
    tp_v2i k0 = (tp_v2i)(r0 == r0), k1 = (tp_v2i)(r1 == r1);                                    \
    tp_v2i k2 = (tp_v2i)(r2 == r2), k3 = (tp_v2i)(r3 == r3);                                    \
    if (HAS_BITS) {                                                                             \
        unsigned m = tp_bits8((bits), (bit0) + (i));                                            \
        k0 &= tp_mask2(m & 15u, 0);                                                             \
        k1 &= tp_mask2(m & 15u, 1);                                                             \
        k2 &= tp_mask2(m >> 4, 0);                                                              \
        k3 &= tp_mask2(m >> 4, 1);                                                              \
    }

/* Lane-masked accumulation of 8 rows: r0..r3 hold rows i..i+7 (two per vector). F(v) is what
 * is added for a row (v itself, or its squared deviation); a missing row adds an exact 0.0. */
#define TP_ACC8(LOAD2, x, i, HAS_BITS, bits, bit0, F, a0, a1, a2, a3, COUNT, c0, c1, c2, c3)    \
    do {                                                                                        \
        TP_LOAD8(LOAD2, x, i, HAS_BITS, bits, bit0);                                            \
        a0 += (tp_v2d)((tp_v2i)F(r0) & k0);                                                     \
        a1 += (tp_v2d)((tp_v2i)F(r1) & k1);                                                     \
        a2 += (tp_v2d)((tp_v2i)F(r2) & k2);                                                     \
        a3 += (tp_v2d)((tp_v2i)F(r3) & k3);                                                     \
        if (COUNT) {                                                                            \
            c0 -= k0;                                                                           \
            c1 -= k1;                                                                           \
            c2 -= k2;                                                                           \
            c3 -= k3;                                                                           \
        }                                                                                       \
    } while (0)

/* Whether a valid row among rows i..i+7 differs from ref (a vector of the reference value): ORed
 * into dv. The validity masks are those of TP_ACC8. */
#define TP_DIFF8(LOAD2, x, i, HAS_BITS, bits, bit0, ref, dv)                                    \
    do {                                                                                        \
        TP_LOAD8(LOAD2, x, i, HAS_BITS, bits, bit0);                                            \
        dv |= (((tp_v2i)(r0 != (ref)) & k0) | ((tp_v2i)(r1 != (ref)) & k1))                      \
            | (((tp_v2i)(r2 != (ref)) & k2) | ((tp_v2i)(r3 != (ref)) & k3));                     \
    } while (0)

#define TP_IDENTITY(v) (v)
#define TP_SQDEV(v) (((v) - mv) * ((v) - mv))

/* One pass over rows [0, len) of x, in blocks counted from x's row 0, each block merged into
 * *acc (the moments of the rows before, in row order; all zero for none). HAS_BITS is a literal
 * constant at each call, so the compiler emits a separate loop with and without a bitmap. */
#define TP_DEFINE_MOMENTS(NAME, T, LOAD2)                                                       \
    static inline __attribute__((always_inline)) void NAME##_impl(                              \
        const T *x, const uint8_t *bits, int64_t bit0, int64_t len, const int HAS_BITS,         \
        tp_moments_t *out)                                                                      \
    {                                                                                           \
        int64_t total_n = out->n;                                                               \
        double total_sum = out->sum, total_mean = out->mean, total_m2 = out->m2;                \
        int has_inf = out->has_inf;                                                             \
        const tp_v2d zero = {0, 0};                                                             \
        const tp_v2i zeroi = {0, 0};                                                            \
        for (int64_t b = 0; b < len; b += TP_MOM_BLOCK) {                                       \
            int64_t e = b + TP_MOM_BLOCK < len ? b + TP_MOM_BLOCK : len;                        \
            int64_t e8 = b + ((e - b) & ~(int64_t)7);                                           \
            tp_v2d s0 = zero, s1 = zero, s2 = zero, s3 = zero;                                  \
            tp_v2i c0 = zeroi, c1 = zeroi, c2 = zeroi, c3 = zeroi;                              \
            for (int64_t i = b; i < e8; i += 8)                                                 \
                TP_ACC8(LOAD2, x, i, HAS_BITS, bits, bit0, TP_IDENTITY, s0, s1, s2, s3, 1,      \
                        c0, c1, c2, c3);                                                        \
            double tail_s = 0.0;                                                                \
            int64_t tail_c = 0;                                                                 \
            for (int64_t i = e8; i < e; i++) {                                                  \
                double v = (double)x[i];                                                        \
                if (v == v && (!HAS_BITS || tp_bit(bits, bit0 + i))) {                          \
                    tail_s += v;                                                                \
                    tail_c++;                                                                   \
                }                                                                               \
            }                                                                                   \
            tp_v2i ct = (c0 + c1) + (c2 + c3);                                                  \
            int64_t c = ct[0] + ct[1] + tail_c;                                                 \
            if (c == 0)                                                                         \
                continue;                                                                       \
            double block_sum = tp_lanes8(s0, s1, s2, s3) + tail_s;                              \
            if (!isfinite(block_sum)) { /* an infinity, or a finite sum that overflows */       \
                for (int64_t j = b; j < e; j++)                                                 \
                    if (isinf((double)x[j]) && (!HAS_BITS || tp_bit(bits, bit0 + j)))           \
                        has_inf = 1;                                                            \
            }                                                                                   \
            total_sum += block_sum;                                                             \
            double mb = block_sum / (double)c;                                                  \
            const tp_v2d mv = {mb, mb};                                                         \
            tp_v2d q0 = zero, q1 = zero, q2 = zero, q3 = zero;                                  \
            for (int64_t i = b; i < e8; i += 8)                                                 \
                TP_ACC8(LOAD2, x, i, HAS_BITS, bits, bit0, TP_SQDEV, q0, q1, q2, q3, 0,         \
                        c0, c1, c2, c3);                                                        \
            double tail_q = 0.0;                                                                \
            for (int64_t i = e8; i < e; i++) {                                                  \
                double v = (double)x[i];                                                        \
                if (v == v && (!HAS_BITS || tp_bit(bits, bit0 + i))) {                          \
                    double d = v - mb;                                                          \
                    tail_q += d * d;                                                            \
                }                                                                               \
            }                                                                                   \
            double qb = tp_lanes8(q0, q1, q2, q3) + tail_q;                                     \
            double noise = TP_MOM_NOISE * fabs(mb);                                             \
            if (qb <= (double)c * noise * noise) { /* pass 3: is the block constant? */          \
                int64_t first = b;                                                              \
                while (!((double)x[first] == (double)x[first]                                   \
                         && (!HAS_BITS || tp_bit(bits, bit0 + first))))                         \
                    first++; /* c > 0: a valid row exists */                                    \
                const double ref = (double)x[first];                                            \
                const tp_v2d rv = {ref, ref};                                                   \
                tp_v2i dv = zeroi;                                                              \
                for (int64_t i = b; i < e8; i += 8)                                             \
                    TP_DIFF8(LOAD2, x, i, HAS_BITS, bits, bit0, rv, dv);                        \
                int differs = (dv[0] | dv[1]) != 0;                                             \
                for (int64_t i = e8; i < e; i++) {                                              \
                    double v = (double)x[i];                                                    \
                    if (v == v && (!HAS_BITS || tp_bit(bits, bit0 + i)))                        \
                        differs |= v != ref;                                                    \
                }                                                                               \
                if (!differs) {                                                                 \
                    mb = ref + 0.0; /* + 0.0: -0.0 copies have mean +0.0, as their sum from +0.0 */ \
                    qb = 0.0;                                                                   \
                }                                                                               \
            }                                                                                   \
            if (total_n == 0) {                                                                 \
                total_n = c;                                                                    \
                total_mean = mb;                                                                \
                total_m2 = qb;                                                                  \
            } else {                                                                            \
                int64_t nt = total_n + c;                                                       \
                double delta = mb - total_mean;                                                 \
                total_mean += delta * ((double)c / (double)nt);                                 \
                total_m2 += qb + delta * delta * ((double)total_n * (double)c / (double)nt);    \
                total_n = nt;                                                                   \
            }                                                                                   \
        }                                                                                       \
        out->n = total_n;                                                                       \
        out->sum = total_sum;                                                                   \
        out->mean = total_mean;                                                                 \
        out->m2 = total_m2;                                                                     \
        out->has_inf = has_inf;                                                                 \
    }                                                                                           \
    static void NAME##_add(const T *x, const uint8_t *bits, int64_t bit0, int64_t len,         \
                           tp_moments_t *acc)                                                   \
    {                                                                                           \
        if (bits)                                                                               \
            NAME##_impl(x, bits, bit0, len, 1, acc);                                            \
        else                                                                                    \
            NAME##_impl(x, NULL, 0, len, 0, acc);                                               \
    }                                                                                           \
    static void NAME(const T *x, const uint8_t *bits, int64_t bit0, int64_t len, tp_moments_t *out) \
    {                                                                                           \
        memset(out, 0, sizeof(*out));                                                           \
        NAME##_add(x, bits, bit0, len, out);                                                    \
    }                                                                                           \
    /* Rows [start, start + n) of a chunk appended to the gathered block buf[0..*fill), a       \
     * missing row as NaN (which the block loop skips exactly as a cleared validity bit). */    \
    static inline void NAME##_gather(const T *x, const uint8_t *bits, int64_t bit0,            \
                                     int64_t start, int64_t n, T *buf, int64_t *fill)           \
    {                                                                                           \
        for (int64_t i = start; i < start + n; i++)                                            \
            buf[(*fill)++] = (!bits || tp_bit(bits, bit0 + i)) ? x[i] : (T)NAN;                 \
    }                                                                                           \
    /* The column given as n_chunks chunks (values, bitmap or NULL, bit offset, length), its     \
     * blocks counted from the first chunk's row 0 across the chunk boundaries: whole blocks     \
     * are read in place, a block that spans chunks is gathered into one buffer first. Gives    \
     * NAME() of the concatenated column bit for bit, whatever the chunks. */                   \
    static void NAME##_chunks(const T *const *xs, const uint8_t *const *bitss,                 \
                              const int64_t *bit0s, const int64_t *lens, int64_t n_chunks,       \
                              tp_moments_t *out)                                                \
    {                                                                                           \
        T buf[TP_MOM_BLOCK];                                                                    \
        int64_t fill = 0; /* rows of a block spanning chunks gathered in buf so far */           \
        memset(out, 0, sizeof(*out));                                                           \
        for (int64_t c = 0; c < n_chunks; c++) {                                                \
            const T *x = xs[c];                                                                 \
            const uint8_t *bits = bitss[c];                                                     \
            int64_t bit0 = bit0s[c], len = lens[c], i = 0;                                      \
            if (fill > 0) { /* finish the block the chunks before began */                      \
                int64_t take = TP_MOM_BLOCK - fill < len ? TP_MOM_BLOCK - fill : len;           \
                NAME##_gather(x, bits, bit0, 0, take, buf, &fill);                              \
                i = take;                                                                       \
                if (fill == TP_MOM_BLOCK) {                                                     \
                    NAME##_add(buf, NULL, 0, fill, out);                                        \
                    fill = 0;                                                                   \
                }                                                                               \
            }                                                                                   \
            int64_t whole = (len - i) / TP_MOM_BLOCK * TP_MOM_BLOCK;                            \
            if (whole > 0) {                                                                    \
                NAME##_add(x + i, bits, bits ? bit0 + i : 0, whole, out);                       \
                i += whole;                                                                     \
            }                                                                                   \
            if (i < len && fill == 0 && c == n_chunks - 1) /* the column's last block */        \
                NAME##_add(x + i, bits, bits ? bit0 + i : 0, len - i, out);                     \
            else if (i < len) /* the rest begins a block */                                     \
                NAME##_gather(x, bits, bit0, i, len - i, buf, &fill);                           \
        }                                                                                       \
        if (fill > 0)                                                                           \
            NAME##_add(buf, NULL, 0, fill, out);                                                \
    }

TP_DEFINE_MOMENTS(tp_moments_f64, double, tp_load2_f64)
TP_DEFINE_MOMENTS(tp_moments_f32, float, tp_load2_f32)

#endif
