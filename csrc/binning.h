/* The C++ loops of csrc/binning.pyx (bin search, cell pass, gather, per-bin target sums, optimal
 * partition). binning.pyx declares what Cython calls and describes the algorithms in its docstring.
 */
#ifndef TP_BINNING_H
#define TP_BINNING_H

#include <stdint.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tp_vec.h"   /* tp_bit / tp_bits8: validity bitmap reads shared with moments.h */

/* Number of edges e[0..m) <= x, m >= 1 (searchsorted side="right"); NaN gives 0. */
static inline ptrdiff_t tpb_count_le(const double* e, ptrdiff_t m, double x) {
    ptrdiff_t b = 0;
    while (m > 1) {
        ptrdiff_t half = m >> 1;
        b = (e[b + half - 1] <= x) ? b + half : b;
        m -= half;
    }
    return b + (e[b] <= x);
}

/* The same for 8 consecutive values: 8 independent chains per step. */
template <typename V>
static inline void tpb_count_le8(const double* e, ptrdiff_t m, const V* x, ptrdiff_t* c) {
    double xv[8];
    ptrdiff_t b[8];
    for (int k = 0; k < 8; ++k) { xv[k] = (double)x[k]; b[k] = 0; }
    while (m > 1) {
        ptrdiff_t half = m >> 1;
        for (int k = 0; k < 8; ++k) b[k] = (e[b[k] + half - 1] <= xv[k]) ? b[k] + half : b[k];
        m -= half;
    }
    for (int k = 0; k < 8; ++k) c[k] = b[k] + (e[b[k]] <= xv[k]);
}

template <typename V>
static inline int tpb_missing(const V* x, const uint8_t* vbits, int64_t bit0, ptrdiff_t i) {
    return isnan((double)x[i]) || (vbits != NULL && !tp_bit(vbits, bit0 + i));
}

/* ---- AVX-512 broadcast search (x86-64 with GCC/Clang; picked at run time) ----
   Used for 32..256 edges (fewer: the register search below). Up to 32 edges: one broadcast
   of x against 4 vectors of 8 edges, popcount of the <= mask. Up to 256 edges: the same on
   16 "fences" (the last edge of each block of 16) to find the block, then on the block's 16
   edges. Padding is NaN, which compares false, so it is never counted (+inf padding would
   be counted for x = +inf). Measured 1.3-1.5x faster than the 8-way scalar search on Zen 4. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
/* GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own "__Y = __Y". The warnings point
   into those headers, so silencing them around the include is enough: the check stays on for the
   rest of the module, this file's own AVX-512 code included. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define TPB_X86 1
#endif

static int tpb_simd_state = -1;  /* -1: not probed, 0: scalar, 1: AVX-512F */
static int tpb_simd_off = 0;     /* forced scalar (tests) */

static int tpb_avx512(void) {
#ifdef TPB_X86
    if (tpb_simd_state < 0) {
        __builtin_cpu_init();
        tpb_simd_state = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return tpb_simd_state == 1 && !tpb_simd_off;
#else
    return 0;
#endif
}

typedef struct {
    int mode;            /* 0: scalar, 1: <= 32 edges, 2: <= 256 edges */
    double pad[272];     /* edges padded with NaN to 32 (mode 1) or 256 + one NaN block (mode 2) */
    double fences[16];
} tpb_simd_edges;

static void tpb_simd_init(tpb_simd_edges* s, const double* e, ptrdiff_t m) {
    s->mode = 0;
    if (m < 1 || m > 256 || !tpb_avx512()) return;
    for (int k = 0; k < 272; ++k) s->pad[k] = (k < m) ? e[k] : NAN;
    for (int k = 0; k < 16; ++k) s->fences[k] = s->pad[16 * k + 15];
    s->mode = m <= 32 ? 1 : 2;
}

#ifdef TPB_X86
__attribute__((target("avx512f")))
static inline ptrdiff_t tpb_count_le_v(const tpb_simd_edges* s, __m512d xv) {
    if (s->mode == 1) {
        unsigned m0 = _mm512_cmp_pd_mask(_mm512_loadu_pd(s->pad), xv, _CMP_LE_OQ);
        unsigned m1 = _mm512_cmp_pd_mask(_mm512_loadu_pd(s->pad + 8), xv, _CMP_LE_OQ);
        unsigned m2 = _mm512_cmp_pd_mask(_mm512_loadu_pd(s->pad + 16), xv, _CMP_LE_OQ);
        unsigned m3 = _mm512_cmp_pd_mask(_mm512_loadu_pd(s->pad + 24), xv, _CMP_LE_OQ);
        return __builtin_popcount(m0 | (m1 << 8) | (m2 << 16) | (m3 << 24));
    }
    unsigned f0 = _mm512_cmp_pd_mask(_mm512_loadu_pd(s->fences), xv, _CMP_LE_OQ);
    unsigned f1 = _mm512_cmp_pd_mask(_mm512_loadu_pd(s->fences + 8), xv, _CMP_LE_OQ);
    ptrdiff_t blk = __builtin_popcount(f0 | (f1 << 8));
    const double* p = s->pad + 16 * blk;
    unsigned b0 = _mm512_cmp_pd_mask(_mm512_loadu_pd(p), xv, _CMP_LE_OQ);
    unsigned b1 = _mm512_cmp_pd_mask(_mm512_loadu_pd(p + 8), xv, _CMP_LE_OQ);
    return 16 * blk + __builtin_popcount(b0 | (b1 << 8));
}

template <typename V, typename O>
__attribute__((target("avx512f")))
static ptrdiff_t tpb_codes_avx512(const V* x, const uint8_t* vbits, int64_t bit0,
                                  const tpb_simd_edges* s, const double* table, O* out, O miss,
                                  ptrdiff_t start, ptrdiff_t stop) {
    ptrdiff_t n_missing = 0, i = start, c[8];
    for (; i < stop; i += 8) {
        int k_end = (stop - i) < 8 ? (int)(stop - i) : 8;
        for (int k = 0; k < k_end; ++k) c[k] = tpb_count_le_v(s, _mm512_set1_pd((double)x[i + k]));
        for (int k = 0; k < k_end; ++k) {
            int miss_k = isnan((double)x[i + k]) || (vbits != NULL && !tp_bit(vbits, bit0 + i + k));
            n_missing += miss_k;
            out[i + k] = miss_k ? miss : (O)table[c[k]];
        }
    }
    return n_missing;
}

/* ---- AVX-512 search with the edges in registers (<= 31 edges) ----
   8 values per vector, each lane running its own branch-free binary search over the edges
   (padded with NaN to 32): each of the 5 levels is one permute of a register-resident
   pivot table, one compare, one masked add -- no memory access and no gather (AVX-512
   gathers measured slower than the broadcast search on Zen 4). Used by bin_codes (<= 31
   inner edges: up to 32 bins) and by cell_pass. Measured 2-3x faster than the broadcast
   search above, which stays for 32..256 edges. */
typedef struct {
    __m512d l2, l3, l4, l5a, l5b;   /* pivots of levels 2..5 (e[7 + 16k], e[3 + 8k], ...) */
    double l1;                      /* pivot of level 1: e[15] */
} tpb_v32;

__attribute__((target("avx512f")))
static void tpb_v32_init(tpb_v32* s, const double* e32) {
    double t[16];
    s->l1 = e32[15];
    for (int k = 0; k < 8; ++k) t[k] = e32[7 + 16 * (k & 1)];
    s->l2 = _mm512_loadu_pd(t);
    for (int k = 0; k < 8; ++k) t[k] = e32[3 + 8 * (k & 3)];
    s->l3 = _mm512_loadu_pd(t);
    for (int k = 0; k < 8; ++k) t[k] = e32[1 + 4 * k];
    s->l4 = _mm512_loadu_pd(t);
    for (int k = 0; k < 16; ++k) t[k] = e32[2 * k];
    s->l5a = _mm512_loadu_pd(t);
    s->l5b = _mm512_loadu_pd(t + 8);
}

/* t[b] for b in [0, 32) in each lane, t = 32 values in 4 registers */
__attribute__((target("avx512f")))
static inline __m512d tpb_lut32(__m512i b, __m512d t0, __m512d t1, __m512d t2, __m512d t3) {
    __mmask8 up = _mm512_test_epi64_mask(b, _mm512_set1_epi64(16));
    return _mm512_mask_mov_pd(_mm512_permutex2var_pd(t0, b, t1), up,
                              _mm512_permutex2var_pd(t2, b, t3));
}
__attribute__((target("avx512f")))
static inline __m512i tpb_lut32i(__m512i b, __m512i t0, __m512i t1, __m512i t2, __m512i t3) {
    __mmask8 up = _mm512_test_epi64_mask(b, _mm512_set1_epi64(16));
    return _mm512_mask_mov_epi64(_mm512_permutex2var_epi64(t0, b, t1), up,
                                 _mm512_permutex2var_epi64(t2, b, t3));
}

/* per lane: count of edges <= x (0..31; NaN x gives 0); with LAST, *last = the largest
   edge <= x (the last pivot that compared true), NaN when there is none. 31 edges need
   5 levels (halves 16, 8, 4, 2, 1): after them b is the count, as in tpb_count_le with
   its final compare always false (it would read the NaN pad e[31] or a pivot already
   known to be > x). */
template <bool LAST>
__attribute__((target("avx512f")))
static inline __m512i tpb_v32_count(const tpb_v32* s, __m512d x, __m512d* last) {
    __m512d t = _mm512_set1_pd(s->l1), lst = _mm512_set1_pd(NAN);
    __mmask8 m = _mm512_cmp_pd_mask(t, x, _CMP_LE_OQ);
    __m512i b = _mm512_maskz_mov_epi64(m, _mm512_set1_epi64(16));
    if (LAST) lst = _mm512_mask_mov_pd(lst, m, t);
    t = _mm512_permutexvar_pd(_mm512_srli_epi64(b, 4), s->l2);
    m = _mm512_cmp_pd_mask(t, x, _CMP_LE_OQ);
    b = _mm512_mask_add_epi64(b, m, b, _mm512_set1_epi64(8));
    if (LAST) lst = _mm512_mask_mov_pd(lst, m, t);
    t = _mm512_permutexvar_pd(_mm512_srli_epi64(b, 3), s->l3);
    m = _mm512_cmp_pd_mask(t, x, _CMP_LE_OQ);
    b = _mm512_mask_add_epi64(b, m, b, _mm512_set1_epi64(4));
    if (LAST) lst = _mm512_mask_mov_pd(lst, m, t);
    t = _mm512_permutexvar_pd(_mm512_srli_epi64(b, 2), s->l4);
    m = _mm512_cmp_pd_mask(t, x, _CMP_LE_OQ);
    b = _mm512_mask_add_epi64(b, m, b, _mm512_set1_epi64(2));
    if (LAST) lst = _mm512_mask_mov_pd(lst, m, t);
    t = _mm512_permutex2var_pd(s->l5a, _mm512_srli_epi64(b, 1), s->l5b);
    m = _mm512_cmp_pd_mask(t, x, _CMP_LE_OQ);
    b = _mm512_mask_add_epi64(b, m, b, _mm512_set1_epi64(1));
    if (LAST) *last = _mm512_mask_mov_pd(lst, m, t);
    return b;
}

__attribute__((target("avx512f")))
static inline __m512d tpb_load8(const double* p) { return _mm512_loadu_pd(p); }
__attribute__((target("avx512f")))
static inline __m512d tpb_load8(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }

/* store the low sizeof(O) bytes of each 64-bit lane to out[0..8) */
template <typename O>
__attribute__((target("avx512f")))
static inline void tpb_store8(O* out, __m512i r) {
    if (sizeof(O) == 8) _mm512_storeu_si512((void*)out, r);
    else if (sizeof(O) == 4) _mm256_storeu_si256((__m256i*)(void*)out, _mm512_cvtepi64_epi32(r));
    else if (sizeof(O) == 2) _mm_storeu_si128((__m128i*)(void*)out, _mm512_cvtepi64_epi16(r));
    else _mm_storel_epi64((__m128i*)(void*)out, _mm512_cvtepi64_epi8(r));
}

/* bin codes for 1 <= m <= 31 edges: the output table is looked up as bit patterns (the low
   sizeof(O) bytes of each 64-bit entry), so every output type takes the same path */
template <typename V, typename O>
__attribute__((target("avx512f")))
static ptrdiff_t tpb_codes_v32(const V* x, const uint8_t* vbits, int64_t bit0, const double* e,
                               ptrdiff_t m, const double* table, O* out, O miss,
                               ptrdiff_t start, ptrdiff_t stop) {
    double e32[32];
    uint64_t tb[32], mb = 0;
    for (int k = 0; k < 32; ++k) {
        e32[k] = k < m ? e[k] : NAN;
        O v = k <= m ? (O)table[k] : (O)0;
        tb[k] = 0;
        memcpy(&tb[k], &v, sizeof(O));
    }
    memcpy(&mb, &miss, sizeof(O));
    tpb_v32 s;
    tpb_v32_init(&s, e32);
    const __m512i t0 = _mm512_loadu_si512((const void*)tb);
    const __m512i t1 = _mm512_loadu_si512((const void*)(tb + 8));
    const __m512i t2 = _mm512_loadu_si512((const void*)(tb + 16));
    const __m512i t3 = _mm512_loadu_si512((const void*)(tb + 24));
    const __m512i missv = _mm512_set1_epi64((long long)mb);
    ptrdiff_t i = start, n_missing = 0;
    for (; i + 16 <= stop; i += 16) {
        /* two independent groups per iteration: their dependency chains overlap */
        __m512d xa = tpb_load8(x + i), xb = tpb_load8(x + i + 8);
        __m512i ca = tpb_v32_count<false>(&s, xa, NULL), cb = tpb_v32_count<false>(&s, xb, NULL);
        __mmask8 ma = _mm512_cmp_pd_mask(xa, xa, _CMP_UNORD_Q);
        __mmask8 mb8 = _mm512_cmp_pd_mask(xb, xb, _CMP_UNORD_Q);
        if (vbits != NULL) {
            ma |= (__mmask8)~tp_bits8(vbits, bit0 + i);
            mb8 |= (__mmask8)~tp_bits8(vbits, bit0 + i + 8);
        }
        n_missing += __builtin_popcount((unsigned)ma) + __builtin_popcount((unsigned)mb8);
        tpb_store8(out + i, _mm512_mask_mov_epi64(tpb_lut32i(ca, t0, t1, t2, t3), ma, missv));
        tpb_store8(out + i + 8, _mm512_mask_mov_epi64(tpb_lut32i(cb, t0, t1, t2, t3), mb8, missv));
    }
    for (; i < stop; ++i) {
        int miss_i = tpb_missing(x, vbits, bit0, i);
        n_missing += miss_i;
        out[i] = miss_i ? miss : (O)table[tpb_count_le(e, m, (double)x[i])];
    }
    return n_missing;
}
#endif

/* out[i] = table[count_le(e, x[i])], or miss for null/NaN rows. m >= 1. */
template <typename V, typename O>
static ptrdiff_t tpb_codes(const V* x, const uint8_t* vbits, int64_t bit0, const double* e,
                           ptrdiff_t m, const double* table, O* out, O miss,
                           ptrdiff_t start, ptrdiff_t stop) {
#ifdef TPB_X86
    if (tpb_avx512() && m <= 31)
        return tpb_codes_v32(x, vbits, bit0, e, m, table, out, miss, start, stop);
    if (tpb_avx512() && m <= 256) {
        tpb_simd_edges s;
        tpb_simd_init(&s, e, m);
        if (s.mode) return tpb_codes_avx512(x, vbits, bit0, &s, table, out, miss, start, stop);
    }
#endif
    ptrdiff_t i = start, c[8], n_missing = 0;
    for (; i + 8 <= stop; i += 8) {
        tpb_count_le8(e, m, x + i, c);
        for (int k = 0; k < 8; ++k) {
            int miss_k = tpb_missing(x, vbits, bit0, i + k);
            n_missing += miss_k;
            out[i + k] = miss_k ? miss : (O)table[c[k]];
        }
    }
    for (; i < stop; ++i) {
        int miss_i = tpb_missing(x, vbits, bit0, i);
        n_missing += miss_i;
        out[i] = miss_i ? miss : (O)table[tpb_count_le(e, m, (double)x[i])];
    }
    return n_missing;
}

/* ---- cell pass of the order statistics ----
   Row value -> cell id, a non-decreasing function of the value (so every cell is an
   interval of values and the histogram of cells gives exact ranks). Coarse bucket
   c = #splitters <= x (<= 31 splitters from a sample, the register search above), then,
   inside the bucket, cell 0 holds the values equal to splitter c - 1 (their value is known:
   heavy duplicates are never gathered) and cells 1..Q-1 cut [lo[c], lo[c] + (Q-1)/sc[c])
   linearly: 1 + clamp(trunc((x - lo[c]) * sc[c]), 0, Q - 2) (a NaN product counts as 0).
   Subtraction and multiplication by sc >= 0 are monotone in IEEE arithmetic, so cell ids
   are monotone whatever lo and sc are; lo/sc (from the sample) only decide how evenly the
   rows spread over the 32 * Q cells. The scalar and the AVX-512 code compute the same ids. */
typedef struct {
    double e[32];       /* sorted distinct splitters, NaN padded */
    double lo[32];
    double sc[32];      /* >= 0 */
    ptrdiff_t S;        /* number of splitters, 1..31 */
    int qbits;          /* Q = 1 << qbits cells per coarse bucket */
    double qmax;        /* Q - 2 */
} tpb_cellmap;

/* the cell of x given c = count_le(splitters, x) (selects, no data-dependent branch) */
static inline uint32_t tpb_cell_at(const tpb_cellmap* cm, double x, ptrdiff_t c) {
    double below = c > 0 ? cm->e[c > 0 ? c - 1 : 0] : NAN;
    double t = (x - cm->lo[c]) * cm->sc[c];
    t = t > 0 ? t : 0;                     /* NaN -> 0 */
    t = t > cm->qmax ? cm->qmax : t;
    uint32_t sub = below == x ? 0u : 1u + (uint32_t)t;
    return ((uint32_t)c << cm->qbits) + sub;
}

static inline uint32_t tpb_cell_scalar(const tpb_cellmap* cm, double x) {
    return tpb_cell_at(cm, x, tpb_count_le(cm->e, cm->S, x));
}

/* ids[i] = cell of row i (0xFFFF for null/NaN rows); h[cell] += 1, h[32 << qbits] counts
   the missing rows */
template <typename V>
static void tpb_cells_scalar(const V* x, const uint8_t* vbits, int64_t bit0, const tpb_cellmap* cm,
                             uint16_t* ids, int64_t* h, ptrdiff_t start, ptrdiff_t stop) {
    const uint32_t hmiss = 32u << cm->qbits;
    ptrdiff_t i = start, c[8];
    for (; i < stop; i += 8) {
        int k_end = (stop - i) < 8 ? (int)(stop - i) : 8;
        if (k_end == 8) tpb_count_le8(cm->e, cm->S, x + i, c);
        else for (int k = 0; k < k_end; ++k) c[k] = tpb_count_le(cm->e, cm->S, (double)x[i + k]);
        for (int k = 0; k < k_end; ++k) {
            int miss = tpb_missing(x, vbits, bit0, i + k);
            uint32_t cell = tpb_cell_at(cm, (double)x[i + k], c[k]);
            ids[i + k] = (uint16_t)(miss ? 0xFFFFu : cell);
            ++h[miss ? hmiss : cell];
        }
    }
}

#ifdef TPB_X86
template <typename V>
__attribute__((target("avx512f")))
static void tpb_cells_avx512(const V* x, const uint8_t* vbits, int64_t bit0, const tpb_cellmap* cm,
                             uint16_t* ids, int64_t* h, ptrdiff_t start, ptrdiff_t stop) {
    tpb_v32 s;
    tpb_v32_init(&s, cm->e);
    const __m512d lo0 = _mm512_loadu_pd(cm->lo), lo1 = _mm512_loadu_pd(cm->lo + 8);
    const __m512d lo2 = _mm512_loadu_pd(cm->lo + 16), lo3 = _mm512_loadu_pd(cm->lo + 24);
    const __m512d sc0 = _mm512_loadu_pd(cm->sc), sc1 = _mm512_loadu_pd(cm->sc + 8);
    const __m512d sc2 = _mm512_loadu_pd(cm->sc + 16), sc3 = _mm512_loadu_pd(cm->sc + 24);
    const __m512d zero = _mm512_setzero_pd(), qmax = _mm512_set1_pd(cm->qmax);
    const __m128i qshift = _mm_cvtsi32_si128(cm->qbits);
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i idmiss = _mm512_set1_epi64(0xFFFF);
    const uint32_t hm = 32u << cm->qbits;
    /* Blocks of 2048 rows: the vector loop writes the block's ids, then a scalar loop counts
       them while they are in L1. Counting inside the vector loop (extract + increment per
       lane) measured ~1.5x slower: the increments stall the vector work. */
    for (ptrdiff_t b0 = start; b0 < stop; b0 += 2048) {
        ptrdiff_t b1 = stop - b0 < 2048 ? stop : b0 + 2048, i = b0;
        /* two groups of 8 rows per iteration: their long dependency chains overlap */
        for (; i + 16 <= b1; i += 16) {
            __m512d xv[2], last[2];
            __m512i c[2];
            xv[0] = tpb_load8(x + i);
            xv[1] = tpb_load8(x + i + 8);
            c[0] = tpb_v32_count<true>(&s, xv[0], &last[0]);
            c[1] = tpb_v32_count<true>(&s, xv[1], &last[1]);
            for (int u = 0; u < 2; ++u) {
                __m512d t = _mm512_mul_pd(_mm512_sub_pd(xv[u], tpb_lut32(c[u], lo0, lo1, lo2, lo3)),
                                          tpb_lut32(c[u], sc0, sc1, sc2, sc3));
                t = _mm512_min_pd(_mm512_max_pd(t, zero), qmax);   /* max(NaN, 0) is 0 */
                __m512i sub = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(t)), one);
                __mmask8 eq = _mm512_cmp_pd_mask(last[u], xv[u], _CMP_EQ_OQ);
                sub = _mm512_maskz_mov_epi64((__mmask8)~eq, sub);
                __m512i cell = _mm512_add_epi64(_mm512_sll_epi64(c[u], qshift), sub);
                __mmask8 miss = _mm512_cmp_pd_mask(xv[u], xv[u], _CMP_UNORD_Q);
                if (vbits != NULL) miss |= (__mmask8)~tp_bits8(vbits, bit0 + i + 8 * u);
                _mm_storeu_si128((__m128i*)(void*)(ids + i + 8 * u),
                                 _mm512_cvtepi64_epi16(_mm512_mask_mov_epi64(cell, miss, idmiss)));
            }
        }
        for (; i < b1; ++i)
            ids[i] = tpb_missing(x, vbits, bit0, i) ? (uint16_t)0xFFFF
                                                    : (uint16_t)tpb_cell_scalar(cm, (double)x[i]);
        for (i = b0; i < b1; ++i) {
            uint32_t b = ids[i];
            ++h[b < hm ? b : hm];
        }
    }
}
#endif

template <typename V>
static void tpb_cells(const V* x, const uint8_t* vbits, int64_t bit0, const tpb_cellmap* cm,
                      uint16_t* ids, int64_t* h, ptrdiff_t start, ptrdiff_t stop) {
#ifdef TPB_X86
    if (tpb_avx512()) {
        tpb_cells_avx512(x, vbits, bit0, cm, ids, h, start, stop);
        return;
    }
#endif
    tpb_cells_scalar(x, vbits, bit0, cm, ids, h, start, stop);
}

/* Copy the values of the wanted cells (cursor[b] >= 0; ids >= nb, e.g. missing rows, are
   never wanted) to buf[cursor[b]++]. Few rows are wanted (~1%), so the loop mostly reads
   ids; the values are prefetched ahead, else every wanted row would wait for its own cache
   miss after the mispredicted branch (measured 2.5x slower without the prefetch).
   Returns -1 when a cursor runs past nbuf, -2 when out of memory. */
template <typename V>
static int tpb_gather(const V* x, const uint16_t* ids, int64_t* cursor, ptrdiff_t nb,
                      double* buf, ptrdiff_t nbuf, ptrdiff_t start, ptrdiff_t stop) {
    uint8_t* want = (uint8_t*)calloc(65536, 1);
    if (want == NULL) return -2;
    for (ptrdiff_t b = 0; b < nb && b < 65536; ++b) want[b] = cursor[b] >= 0;
    int rc = 0;
    ptrdiff_t i = start;
    for (; i < stop; i += 8) {
        int k_end = (stop - i) < 8 ? (int)(stop - i) : 8;
        __builtin_prefetch(x + i + 256);
        unsigned any = 0;
        for (int k = 0; k < k_end; ++k) any |= want[ids[i + k]];
        if (!any) continue;
        for (int k = 0; k < k_end; ++k) {
            unsigned b = ids[i + k];
            if (!want[b]) continue;
            int64_t pos = cursor[b];
            if (pos >= nbuf) { rc = -1; goto done; }
            buf[pos] = (double)x[i + k];
            cursor[b] = pos + 1;
        }
    }
done:
    free(want);
    return rc;
}

template <typename V>
static void tpb_target_stats(const V* x, const uint8_t* vbits, int64_t bit0, const double* e,
                             ptrdiff_t m, const double* y, int64_t* counts, double* sums,
                             double* sumsq, ptrdiff_t start, ptrdiff_t stop) {
    /* sums are accumulated in row order whatever the blocking: bit-reproducible */
    ptrdiff_t i = start, c[8];
    if (m > 0) {
        for (; i + 8 <= stop; i += 8) {
            tpb_count_le8(e, m, x + i, c);
            for (int k = 0; k < 8; ++k) {
                ptrdiff_t b = tpb_missing(x, vbits, bit0, i + k) ? m + 1 : c[k];
                double t = y[i + k];
                counts[b] += 1;
                sums[b] += t;
                sumsq[b] += t * t;
            }
        }
    }
    for (; i < stop; ++i) {
        ptrdiff_t b;
        if (tpb_missing(x, vbits, bit0, i)) b = m + 1;
        else if (m == 0) b = 0;
        else b = tpb_count_le(e, m, (double)x[i]);
        double t = y[i];
        counts[b] += 1;
        sums[b] += t;
        sumsq[b] += t * t;
    }
}

/* Optimal grouping of P pre-bins into at most G contiguous groups (dynamic programming).
   cc/ss: prefix sums (P + 1 entries) of counts and target sums. A group [i, j) scores
   objective 0 (binary target, the information value term of tabprep's WOEEncoder):
       (e / E - q / Q) * log(((e + r) / (E + 2r)) / ((q + r) / (Q + 2r)))
   with e / q the group's events / non-events, E / Q the totals, r the regularization;
   objective 1 (continuous target): s_ij^2 / n_ij (maximizing it minimizes the within-group
   sum of squares). Groups need n_ij >= min_count; monotonic = +1 / -1 asks the group means
   e_ij / n_ij to be non-decreasing / non-increasing. Writes the cut positions (0, ..., P) to
   cuts (G + 1 entries) and returns the number of groups, 0 if nothing is feasible, -1 on
   allocation failure. Ties between equal scores keep the first partition found (the loops
   run in a fixed order, so the result is deterministic). */
static inline double tpb_score(const double* cc, const double* ss, ptrdiff_t i, ptrdiff_t j,
                               int objective, double tot_ev, double tot_non, double reg) {
    double n = cc[j] - cc[i], s = ss[j] - ss[i];
    if (objective == 0) {
        double q = n - s;
        double woe = log(((s + reg) / (tot_ev + 2 * reg)) / ((q + reg) / (tot_non + 2 * reg)));
        return (s / tot_ev - q / tot_non) * woe;
    }
    return s * s / n;
}

static ptrdiff_t tpb_partition(const double* cc, const double* ss, ptrdiff_t P, ptrdiff_t G,
                               double min_count, int monotonic, int objective, double tot_ev,
                               double tot_non, double reg, int64_t* cuts) {
    const double NEG = -HUGE_VAL;
    ptrdiff_t P1 = P + 1;
    if (G > P) G = P;
    if (G < 1 || P < 1) return 0;
    if (monotonic == 0) {
        /* V[g][j]: best score of [0, j) in g groups; B = start of the last group */
        double* V = (double*)malloc(sizeof(double) * (G + 1) * P1);
        int32_t* B = (int32_t*)malloc(sizeof(int32_t) * (G + 1) * P1);
        if (!V || !B) { free(V); free(B); return -1; }
        for (ptrdiff_t t = 0; t < (G + 1) * P1; ++t) { V[t] = NEG; B[t] = -1; }
        V[0] = 0.0;
        for (ptrdiff_t g = 1; g <= G; ++g)
            for (ptrdiff_t j = 1; j <= P; ++j)
                for (ptrdiff_t i = 0; i < j; ++i) {
                    double prev = V[(g - 1) * P1 + i];
                    if (prev == NEG || cc[j] - cc[i] < min_count) continue;
                    double v = prev + tpb_score(cc, ss, i, j, objective, tot_ev, tot_non, reg);
                    if (v > V[g * P1 + j]) { V[g * P1 + j] = v; B[g * P1 + j] = (int32_t)i; }
                }
        ptrdiff_t best_g = 0;
        double best = NEG;
        for (ptrdiff_t g = 1; g <= G; ++g)
            if (V[g * P1 + P] > best) { best = V[g * P1 + P]; best_g = g; }
        if (best_g > 0) {
            ptrdiff_t j = P;
            for (ptrdiff_t g = best_g; g >= 1; --g) { cuts[g] = j; j = B[g * P1 + j]; }
            cuts[0] = 0;
        }
        free(V); free(B);
        return best_g;
    }
    /* W[g][i][j]: best score of [0, j) in g groups whose last group is [i, j);
       the previous group [h, i) must have a mean on the right side of mean(i, j). */
    size_t cells = (size_t)(G + 1) * P1 * P1;
    double* W = (double*)malloc(sizeof(double) * cells);
    int32_t* B = (int32_t*)malloc(sizeof(int32_t) * cells);
    double* M = (double*)malloc(sizeof(double) * P1 * P1);
    if (!W || !B || !M) { free(W); free(B); free(M); return -1; }
    for (size_t t = 0; t < cells; ++t) { W[t] = NEG; B[t] = -1; }
    for (ptrdiff_t i = 0; i < P; ++i)
        for (ptrdiff_t j = i + 1; j <= P; ++j) {
            double n = cc[j] - cc[i];
            M[i * P1 + j] = n > 0 ? (ss[j] - ss[i]) / n : 0.0;
        }
    #define TPB_W(g, i, j) W[((size_t)(g) * P1 + (i)) * P1 + (j)]
    #define TPB_B(g, i, j) B[((size_t)(g) * P1 + (i)) * P1 + (j)]
    for (ptrdiff_t j = 1; j <= P; ++j)
        if (cc[j] - cc[0] >= min_count)
            TPB_W(1, 0, j) = tpb_score(cc, ss, 0, j, objective, tot_ev, tot_non, reg);
    for (ptrdiff_t g = 2; g <= G; ++g)
        for (ptrdiff_t i = 1; i < P; ++i)
            for (ptrdiff_t j = i + 1; j <= P; ++j) {
                if (cc[j] - cc[i] < min_count) continue;
                double m = M[i * P1 + j], best = NEG;
                int32_t arg = -1;
                for (ptrdiff_t h = 0; h < i; ++h) {
                    double prev = TPB_W(g - 1, h, i);
                    if (prev == NEG) continue;
                    double mp = M[h * P1 + i];
                    if (monotonic > 0 ? mp > m : mp < m) continue;
                    if (prev > best) { best = prev; arg = (int32_t)h; }
                }
                if (arg >= 0) {
                    TPB_W(g, i, j) = best + tpb_score(cc, ss, i, j, objective, tot_ev, tot_non, reg);
                    TPB_B(g, i, j) = arg;
                }
            }
    ptrdiff_t best_g = 0, best_i = -1;
    double best = NEG;
    for (ptrdiff_t g = 1; g <= G; ++g)
        for (ptrdiff_t i = 0; i < P; ++i)
            if (TPB_W(g, i, P) > best) { best = TPB_W(g, i, P); best_g = g; best_i = i; }
    if (best_g > 0) {
        ptrdiff_t j = P, i = best_i;
        for (ptrdiff_t g = best_g; g >= 1; --g) {
            cuts[g] = j;
            ptrdiff_t h = TPB_B(g, i, j);
            j = i;
            i = h;
        }
        cuts[0] = 0;
    }
    #undef TPB_W
    #undef TPB_B
    free(W); free(B); free(M);
    return best_g;
}

#endif
