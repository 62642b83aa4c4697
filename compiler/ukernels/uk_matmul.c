/*===- uk_matmul.c - Matmul and grouped (expert) matmul -------------------===
 *
 * y = x · wᵀ with w in any weight format. Threads split the output columns
 * (weight rows). Paths:
 *   - AVX2+FMA+F16C, Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q4_K and the
 *     8-row interleaved forms (Q4_0X8 / Q4_1X8 / Q8_0X8 / Q4_KX8 /
 *     Q5_KX8 / Q6_KX8, repacked by the compiler: each row's integer block
 *     sum in its own lane); NEON dotprod, Q8_0 / Q4_0 / Q4_1: the
 *     activation rows are first quantized into scratch as q8 blocks (each
 *     thread its share of rows, then a barrier), then weight blocks are
 *     dotted with them in integers, UK_MT rows per weight pass.
 *   - AVX2, F32 / F16: FMA over UK_MT activation rows per weight row.
 *   - everything else (the portable path): one weight block at a time
 *     dequantized to f32 and dotted with up to UK_MT activation rows.
 * The grouped (expert) matmul runs the same paths on each expert's rows;
 * its threads take contiguous runs of the active experts' (expert, column
 * group) pairs, and with few rows (one token's experts) each thread
 * quantizes the rows it needs itself, with no barrier.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

int64_t ingot_uk_row_bytes(int32_t fmt, int32_t group, int64_t K) {
  int64_t be = uk_block_elems(fmt, group);
  if (fmt == INGOT_W_F32 || fmt == INGOT_W_F16 || fmt == INGOT_W_BF16)
    return uk_block_bytes(fmt, K);
  if (be <= 0)
    return 0;
  return (K / be) * uk_block_bytes(fmt, be);
}

/* Activation rows per pass over a weight row. */
#define UK_MT 4
/* Most 32-element blocks in one row the AVX2 Q4_1 path keeps minima for
 * (K up to 32768); longer rows use the portable path. */
#define UK_MAX_BLOCKS_PER_ROW 1024

/* sum a[i] * b[i] for i < n in f32, eight partial sums. */
static inline float uk_dot_f32(const float *a, const float *b, int64_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      s[j] += a[i + j] * b[i + j];
  for (; i < n; ++i)
    s[i & 7] += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* Dequantizes elements [start, start + cnt) of the group record `rec`. */
static inline void uk_dequant_group_part(int32_t fmt, const uint8_t *rec,
                                         int64_t start, int64_t cnt,
                                         float *out) {
  UK_NO_CONTRACT
  int sym = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G4_SYM;
  int eight = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G8_ASYM;
  float scale = uk_half_to_float(uk_rd16(rec));
  float zero = sym ? (eight ? 128.0f : 8.0f) : uk_half_to_float(uk_rd16(rec + 2));
  const uint8_t *codes = rec + (sym ? 2 : 4);
  for (int64_t i = 0; i < cnt; ++i) {
    int64_t e = start + i;
    unsigned code =
        eight ? codes[e] : ((e & 1) ? codes[e / 2] >> 4 : codes[e / 2] & 0xfu);
    out[i] = scale * ((float)code - zero);
  }
}

/* Row r's superblock out of one Q4_KX8 / Q5_KX8 superblock of 8 rows, as
 * f32, with uk_dequant_block's operations for Q4_K / Q5_K. */
static inline void uk_dequant_kx8(int32_t fmt, const uint8_t *blk8, int r,
                                  float *out) {
  UK_NO_CONTRACT
  int five = fmt == INGOT_W_Q5_KX8;
  float d = uk_half_to_float(uk_rd16(blk8 + 2 * r));
  float dmin = uk_half_to_float(uk_rd16(blk8 + 16 + 2 * r));
  const uint8_t *qh = blk8 + 160, *qs = blk8 + (five ? 416 : 160);
  for (int j = 0; j < 8; ++j) {
    float dj = d * (float)blk8[32 + 8 * j + r];
    float mj = dmin * (float)blk8[96 + 8 * j + r];
    const uint8_t *chunk = qs + 256 * (j / 2);
    for (int l = 0; l < 32; ++l) {
      int off = 32 * (l / 4) + 4 * r + l % 4;
      unsigned u = (j & 1) ? chunk[off] >> 4 : chunk[off] & 0x0fu;
      if (five)
        u |= ((qh[off] >> j) & 1u) << 4;
      out[32 * j + l] = dj * (float)u - mj;
    }
  }
}

/* Row r's 256 elements out of one Q6_KX8 block of 8 rows, as f32, with
 * uk_dequant_block's operations for Q6_K. */
static inline void uk_dequant_q6kx8(const uint8_t *blk8, int r, float *out) {
  UK_NO_CONTRACT
  float d = uk_half_to_float(uk_rd16(blk8 + 2 * r));
  for (int c = 0; c < 8; ++c) {
    for (int e = 0; e < 32; ++e) {
      int s = e / 16, L = (e % 16) / 4, i = e % 4;
      const uint8_t *codes = blk8 + 144 + 192 * c + 96 * s + 4 * r + i;
      int u = L < 3 ? codes[32 * L] & 63
                    : (codes[0] >> 6) | (codes[32] >> 6) << 2 |
                          (codes[64] >> 6) << 4;
      int8_t sc = (int8_t)blk8[16 + 16 * c + 8 * (r / 4) + 4 * s + r % 4];
      out[32 * c + e] = d * (float)sc * (float)(u - 32);
    }
  }
}

/* Row r's block out of one interleaved block of 8 rows (Q4_0X8 / Q8_0X8 /
 * Q4_1X8: 32 elements; Q4_KX8 / Q5_KX8 / Q6_KX8: 256), as f32. */
static inline void uk_dequant_x8(int32_t fmt, const uint8_t *blk8, int r,
                                 float *out) {
  if (fmt == INGOT_W_Q4_KX8 || fmt == INGOT_W_Q5_KX8) {
    uk_dequant_kx8(fmt, blk8, r, out);
    return;
  }
  if (fmt == INGOT_W_Q6_KX8) {
    uk_dequant_q6kx8(blk8, r, out);
    return;
  }
  int q8 = fmt == INGOT_W_Q8_0X8, q41 = fmt == INGOT_W_Q4_1X8;
  int head = q41 ? 4 : 2; /* d, and m for Q4_1 */
  uint8_t b[34];
  __builtin_memcpy(b, blk8 + 2 * r, 2);
  if (q41)
    __builtin_memcpy(b + 2, blk8 + 16 + 2 * r, 2);
  for (int L = 0; L < (q8 ? 8 : 4); ++L)
    __builtin_memcpy(b + head + 4 * L, blk8 + 8 * head + 32 * L + 4 * r, 4);
  uk_dequant_block(q8 ? INGOT_W_Q8_0 : q41 ? INGOT_W_Q4_1 : INGOT_W_Q4_0, b,
                   32, out);
}

/* Whether `fmt` interleaves its rows by 8 (columns then go in groups). */
static inline int uk_is_x8(int32_t fmt) {
  return fmt == INGOT_W_Q4_0X8 || fmt == INGOT_W_Q8_0X8 ||
         fmt == INGOT_W_Q4_1X8 || fmt == INGOT_W_Q4_KX8 ||
         fmt == INGOT_W_Q5_KX8 || fmt == INGOT_W_Q6_KX8;
}

void uk_dequant_table_row(int32_t fmt, int32_t group, const uint8_t *table,
                          int64_t id, int64_t K, float *out) {
  int64_t rb = ingot_uk_row_bytes(fmt, group, K);
  if (!uk_is_x8(fmt)) {
    uk_dequant_row(fmt, group, table + id * rb, K, out);
    return;
  }
  int64_t be = uk_block_elems(fmt, group);
  const uint8_t *blk8 = table + (id / 8) * 8 * rb;
  for (int64_t k = 0; k < K; k += be, blk8 += 8 * uk_block_bytes(fmt, be))
    uk_dequant_x8(fmt, blk8, (int)(id % 8), out + k);
}

/* Portable path: columns [n0, n1) of y[M][ldy] from rows of x[M][K]. */
static void uk_matmul_generic(float *y, const float *x, const uint8_t *w,
                              const float *bias, int64_t M, int64_t K,
                              int32_t fmt, int32_t group, int64_t ldy,
                              int64_t n0, int64_t n1) {
  int64_t rb = ingot_uk_row_bytes(fmt, group, K);
  int64_t be = uk_block_elems(fmt, group);
  int grouped = fmt >= INGOT_W_G8_SYM && fmt <= INGOT_W_G4_ASYM;
  int64_t part = grouped ? (be < 256 ? be : 256) : be;
  float blk[256] __attribute__((aligned(64)));
  for (int64_t m0 = 0; m0 < M; m0 += UK_MT) {
    int64_t mt = M - m0 < UK_MT ? M - m0 : UK_MT;
    for (int64_t n = n0; n < n1; ++n) {
      const uint8_t *row = w + n * rb;
      float acc[UK_MT] = {0};
      if (uk_is_x8(fmt))
        row = w + (n / 8) * 8 * rb;
      for (int64_t k = 0; k < K; k += be) {
        int64_t cnt = K - k < be ? K - k : be;
        for (int64_t p = 0; p < cnt; p += part) {
          int64_t pc = cnt - p < part ? cnt - p : part;
          const float *src = blk;
          if (fmt == INGOT_W_F32)
            src = (const float *)(const void *)row;
          else if (grouped)
            uk_dequant_group_part(fmt, row, p, pc, blk);
          else if (uk_is_x8(fmt))
            uk_dequant_x8(fmt, row, (int)(n % 8), blk);
          else
            uk_dequant_block(fmt, row, cnt, blk);
          for (int64_t mm = 0; mm < mt; ++mm)
            acc[mm] += uk_dot_f32(src, x + (m0 + mm) * K + k + p, pc);
        }
        row += uk_is_x8(fmt) ? 8 * uk_block_bytes(fmt, be)
                             : uk_block_bytes(fmt, cnt);
      }
      for (int64_t mm = 0; mm < mt; ++mm)
        y[(m0 + mm) * ldy + n] = acc[mm] + (bias ? bias[n] : 0.0f);
    }
  }
}

/* Scratch layout of one quantized activation row of K (K % 32 == 0):
 * float d[K/32], float ds[K/32] (d·Σq), int8 q[K], 64-byte aligned rows.
 * d and ds hold values rounded to f16 precision (GGML's q8_1 block: an
 * error of at most 2^-11 of each, far below the 8-bit codes' own). */
static inline int64_t uk_q8_row_stride(int64_t K) {
  return (K + 8 * (K / 32) + 63) & ~(int64_t)63;
}

#if UK_AVX2
/*===----------------------------------------------------------------------===
 * AVX2 + FMA + F16C
 *
 * Q8_0 / Q4_0 / Q4_1: the activation rows are quantized once into scratch
 * as q8 blocks (int8 q = round(x/d), d = amax/127 in f32, plus d·Σq per
 * block), then each weight block is dotted with UK_MT activation rows in
 * integers (maddubs/madd). F32 / F16: FMA over UK_MT rows per weight row.
 *===----------------------------------------------------------------------===*/

static inline float uk_hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static inline int32_t uk_hsum256_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/* Quantizes rows [r0, r1) of x[][K] into the scratch layout. */
static void uk_quantize_q8_rows(uint8_t *dst, const float *x, int64_t K,
                                int64_t r0, int64_t r1) {
  int64_t stride = uk_q8_row_stride(K), nb = K / 32;
  const __m256 signBit = _mm256_set1_ps(-0.0f);
  for (int64_t r = r0; r < r1; ++r) {
    const float *xr = x + r * K;
    uint8_t *row = dst + r * stride;
    float *d = (float *)(void *)row, *ds = d + nb;
    int8_t *q = (int8_t *)(row + 8 * nb);
    for (int64_t b = 0; b < nb; ++b) {
      __m256 v0 = _mm256_loadu_ps(xr + 32 * b);
      __m256 v1 = _mm256_loadu_ps(xr + 32 * b + 8);
      __m256 v2 = _mm256_loadu_ps(xr + 32 * b + 16);
      __m256 v3 = _mm256_loadu_ps(xr + 32 * b + 24);
      __m256 amax = _mm256_andnot_ps(signBit, v0);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(signBit, v1));
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(signBit, v2));
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(signBit, v3));
      __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(amax, 1),
                             _mm256_castps256_ps128(amax));
      m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
      m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
      float maxv = _mm_cvtss_f32(m4);
      float db = maxv / 127.0f;
      float id = maxv != 0.0f ? 127.0f / maxv : 0.0f;
      __m256 mul = _mm256_set1_ps(id);
      __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, mul));
      __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, mul));
      __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, mul));
      __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, mul));
      __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i0, i1),
                                     _mm256_add_epi32(i2, i3));
      /* Pack to int8, then undo the lane interleaving of the packs. */
      i0 = _mm256_packs_epi32(i0, i1);
      i2 = _mm256_packs_epi32(i2, i3);
      i0 = _mm256_packs_epi16(i0, i2);
      const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
      i0 = _mm256_permutevar8x32_epi32(i0, perm);
      _mm256_storeu_si256((__m256i *)(void *)(q + 32 * b), i0);
      /* The scales are kept at f16 precision, as GGML's q8_0/q8_1 blocks
       * store them: the products then round as llama.cpp's do. */
      d[b] = _cvtsh_ss(_cvtss_sh(db, 0));
      ds[b] = _cvtsh_ss(_cvtss_sh(db * (float)uk_hsum256_epi32(sum), 0));
    }
  }
}

/* 32 nibbles of a Q4 block (byte j: element j low, j + 16 high) as bytes in
 * element order. */
static inline __m256i uk_nibbles32(const uint8_t *qs) {
  __m128i t = _mm_loadu_si128((const __m128i *)(const void *)qs);
  __m256i both = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

/* 0x10 in byte e where bit e of `bits` is set: the fifth bits of a Q5_0 /
 * Q5_1 block's codes, in element order. */
static inline __m256i uk_fifth_bits(uint32_t bits) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
                                          1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
                                          3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x((int64_t)0x8040201008040201ULL);
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int32_t)bits), spread);
  v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

/* Σ u·q over 32 unsigned (u <= 127) × signed bytes, as 8 int32 lanes. */
static inline __m256i uk_dot_u8i8(__m256i u, __m256i q) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, q), _mm256_set1_epi16(1));
}

/* Pointers into `mt` quantized activation rows from row0: the block
 * scales d, the d·Σq, the codes. */
UK_INLINE void uk_act_rows(const uint8_t *row0, int64_t stride, int64_t nb,
                           int mt, const float **ad, const float **ads,
                           const int8_t **aq) {
  for (int mm = 0; mm < mt; ++mm) {
    const uint8_t *row = row0 + mm * stride;
    ad[mm] = (const float *)(const void *)row;
    ads[mm] = ad[mm] + nb;
    aq[mm] = (const int8_t *)(row + 8 * nb);
  }
}

/* Columns [n0, n1) of `mt` rows of y[][ldy] for Q8_0 / Q4_0 weights and
 * activation rows `row0` (quantized); inlined per `mt` so the row loops
 * unroll. */
UK_INLINE void uk_q8act_tile(float *y, const uint8_t *row0, const uint8_t *w,
                             const float *bias, int64_t K, int32_t fmt,
                             int64_t ldy, int64_t n0, int64_t n1,
                             const int mt) {
  int64_t nb = K / 32, stride = uk_q8_row_stride(K);
  int64_t bb = uk_block_bytes(fmt, 32), rb = nb * bb;
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t *wr = w + n * rb;
    __m256 acc[UK_MT];
    float corr[UK_MT];
    for (int mm = 0; mm < mt; ++mm) {
      acc[mm] = _mm256_setzero_ps();
      corr[mm] = 0.0f;
    }
    if (fmt == INGOT_W_Q8_0) {
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *blk = wr + b * bb;
        __m256 dw = _mm256_set1_ps(_cvtsh_ss(uk_rd16(blk)));
        __m256i wq = _mm256_loadu_si256((const __m256i *)(const void *)(blk + 2));
        __m256i aw = _mm256_sign_epi8(wq, wq);
        for (int mm = 0; mm < mt; ++mm) {
          __m256i q = _mm256_loadu_si256(
              (const __m256i *)(const void *)(aq[mm] + 32 * b));
          __m256 dot = _mm256_cvtepi32_ps(uk_dot_u8i8(aw, _mm256_sign_epi8(q, wq)));
          acc[mm] = _mm256_fmadd_ps(dot, _mm256_mul_ps(dw, _mm256_broadcast_ss(ad[mm] + b)),
                                    acc[mm]);
        }
      }
    } else {
      /* Q4_0, x = d·(u - 8): unsigned codes against the activations, and
       * -8·d times the block's d·Σq. (Signed codes with the sign trick, as
       * for Q8_0, measured slower in compiled models: 207 -> 167 tok/s
       * prefill of SmolLM2 Q4_0 with clang, though faster with gcc.) Q5_0,
       * x = d·(u - 16), and Q5_1, x = d·u + m, likewise, with each code's
       * fifth bit from the block's 32-bit word. */
      const int five = fmt == INGOT_W_Q5_0 || fmt == INGOT_W_Q5_1;
      const int64_t codes = fmt == INGOT_W_Q5_1 ? 8 : five ? 6 : 2;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *blk = wr + b * bb;
        float dws = _cvtsh_ss(uk_rd16(blk));
        __m256 dw = _mm256_set1_ps(dws);
        __m256i u = uk_nibbles32(blk + codes);
        if (five)
          u = _mm256_or_si256(u, uk_fifth_bits(uk_rd32(blk + codes - 4)));
        float cw = fmt == INGOT_W_Q5_1   ? _cvtsh_ss(uk_rd16(blk + 2))
                   : fmt == INGOT_W_Q5_0 ? -16.0f * dws
                                         : -8.0f * dws;
        for (int mm = 0; mm < mt; ++mm) {
          __m256i q = _mm256_loadu_si256(
              (const __m256i *)(const void *)(aq[mm] + 32 * b));
          __m256 dot = _mm256_cvtepi32_ps(uk_dot_u8i8(u, q));
          acc[mm] = _mm256_fmadd_ps(
              dot, _mm256_mul_ps(dw, _mm256_broadcast_ss(ad[mm] + b)), acc[mm]);
          corr[mm] += cw * ads[mm][b];
        }
      }
    }
    for (int mm = 0; mm < mt; ++mm)
      y[mm * ldy + n] =
          uk_hsum256(acc[mm]) + corr[mm] + (bias ? bias[n] : 0.0f);
  }
}

/* As uk_q8act_tile for Q4_1 weights, x = d·u + m. The m terms,
 * Σ_b m_b·(d·Σq)_b, are summed in block order with one fused multiply-add
 * each, as GGML sums them, so that with the same q8 activations the dot
 * products equal llama.cpp's bit for bit. Those chains are sequential; to
 * keep them off the critical path, weight rows go in groups of 8 whose
 * chains run side by side in the lanes of one vector (each lane rounds
 * exactly as the scalar chain would). */
UK_INLINE void uk_q41_tile(float *y, const uint8_t *row0, const uint8_t *w,
                           const float *bias, int64_t K, int64_t ldy,
                           int64_t n0, int64_t n1, const int mt) {
  int64_t nb = K / 32, stride = uk_q8_row_stride(K);
  int64_t bb = uk_block_bytes(INGOT_W_Q4_1, 32), rb = nb * bb;
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  /* mins[8·b + r]: block b's minimum of row r of the group. */
  float mins[8 * UK_MAX_BLOCKS_PER_ROW];
  float part[UK_MT][8];
  for (int64_t g = n0; g < n1; g += 8) {
    int rows = n1 - g < 8 ? (int)(n1 - g) : 8;
    for (int r = 0; r < rows; ++r) {
      const uint8_t *wr = w + (g + r) * rb;
      __m256 acc[UK_MT];
      for (int mm = 0; mm < mt; ++mm)
        acc[mm] = _mm256_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *blk = wr + b * bb;
        __m256 dw = _mm256_set1_ps(_cvtsh_ss(uk_rd16(blk)));
        mins[8 * b + r] = _cvtsh_ss(uk_rd16(blk + 2));
        __m256i u = uk_nibbles32(blk + 4);
        for (int mm = 0; mm < mt; ++mm) {
          __m256i q = _mm256_loadu_si256(
              (const __m256i *)(const void *)(aq[mm] + 32 * b));
          __m256 dot = _mm256_cvtepi32_ps(uk_dot_u8i8(u, q));
          acc[mm] = _mm256_fmadd_ps(
              dot, _mm256_mul_ps(dw, _mm256_broadcast_ss(ad[mm] + b)), acc[mm]);
        }
      }
      for (int mm = 0; mm < mt; ++mm)
        part[mm][r] = uk_hsum256(acc[mm]);
    }
    for (int mm = 0; mm < mt; ++mm) {
      float t[8];
      if (rows == 8) {
        __m256 c = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; ++b)
          c = _mm256_fmadd_ps(_mm256_loadu_ps(mins + 8 * b),
                              _mm256_broadcast_ss(ads[mm] + b), c);
        _mm256_storeu_ps(t, c);
      } else {
        for (int r = 0; r < rows; ++r) {
          t[r] = 0.0f;
          for (int64_t b = 0; b < nb; ++b)
            t[r] = __builtin_fmaf(mins[8 * b + r], ads[mm][b], t[r]);
        }
      }
      for (int r = 0; r < rows; ++r)
        y[mm * ldy + g + r] = part[mm][r] + t[r] + (bias ? bias[g + r] : 0.0f);
    }
  }
}

/* The 8 columns of group g of `mt` rows of y[][ldy] (+ bias). */
UK_INLINE void uk_store_x8(float *y, const __m256 *acc, const float *bias,
                           int64_t g, int64_t ldy, int mt) {
  for (int mm = 0; mm < mt; ++mm) {
    __m256 v = acc[mm];
    if (bias)
      v = _mm256_add_ps(v, _mm256_loadu_ps(bias + 8 * g));
    _mm256_storeu_ps(y + mm * ldy + 8 * g, v);
  }
}

/* As uk_q8act_tile for Q4_0 weights interleaved by 8 rows (Q4_0X8):
 * columns [n0, n1), multiples of 8. The 8 rows of a group sit in the 8
 * lanes: per block, 4-byte runs of each row's codes are multiplied against
 * the activation's matching 4 bytes broadcast (maddubs), so the exact
 * integer Σ (u - 8)·q of every row ends in its own lane, and each block
 * adds it as fma(Σ, d_w·d_a, acc): one rounding per block and row, the
 * order of llama.cpp's repacked Q4_0 kernels. */
UK_INLINE void uk_q40x8_tile(float *y, const uint8_t *row0, const uint8_t *w,
                             const float *bias, int64_t K, int32_t fmt,
                             int64_t ldy, int64_t n0, int64_t n1,
                             const int mt) {
  /* Q4_1X8: unsigned codes, no -8, and each block adds m_w·(d·Σq)_a. */
  const int q41 = fmt == INGOT_W_Q4_1X8;
  const int64_t bb = q41 ? 160 : 144, codes = q41 ? 32 : 16;
  int64_t nb = K / 32, stride = uk_q8_row_stride(K);
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  /* 8·Σq of each activation block, exact. */
  int32_t sum8[UK_MT][UK_MAX_BLOCKS_PER_ROW];
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  for (int mm = 0; mm < mt; ++mm)
    for (int64_t b = 0; b < nb && !q41; ++b) {
      __m256i q = _mm256_loadu_si256(
          (const __m256i *)(const void *)(aq[mm] + 32 * b));
      sum8[mm][b] = 8 * uk_hsum256_epi32(_mm256_madd_epi16(
                            _mm256_maddubs_epi16(ones8, q), ones16));
    }
  const __m256i low = _mm256_set1_epi8(0x0f);
  for (int64_t g = n0 / 8; g < n1 / 8; ++g) {
    const uint8_t *wg = w + g * nb * bb;
    __m256 acc[UK_MT];
    for (int mm = 0; mm < mt; ++mm)
      acc[mm] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t *blk = wg + b * bb;
      __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)blk));
      __m256 mw = q41 ? _mm256_cvtph_ps(_mm_loadu_si128(
                            (const __m128i *)(const void *)(blk + 16)))
                      : _mm256_setzero_ps();
      __m256i lo[4], hi[4];
      for (int L = 0; L < 4; ++L) {
        __m256i x = _mm256_loadu_si256(
            (const __m256i *)(const void *)(blk + codes + 32 * L));
        lo[L] = _mm256_and_si256(x, low);
        hi[L] = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
      }
      for (int mm = 0; mm < mt; ++mm) {
        const int8_t *q = aq[mm] + 32 * b;
        int32_t q4[8];
        __builtin_memcpy(q4, q, 32);
        /* Each maddubs pair sum is at most 2·15·127, eight of them fit
         * in int16. */
        __m256i s = _mm256_maddubs_epi16(lo[0], _mm256_set1_epi32(q4[0]));
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(hi[0], _mm256_set1_epi32(q4[4])));
        for (int L = 1; L < 4; ++L) {
          s = _mm256_add_epi16(s, _mm256_maddubs_epi16(lo[L], _mm256_set1_epi32(q4[L])));
          s = _mm256_add_epi16(s, _mm256_maddubs_epi16(hi[L], _mm256_set1_epi32(q4[L + 4])));
        }
        __m256i isum = _mm256_madd_epi16(s, ones16);
        if (!q41)
          isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(sum8[mm][b]));
        acc[mm] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum),
                                  _mm256_mul_ps(dw, _mm256_broadcast_ss(ad[mm] + b)),
                                  acc[mm]);
        if (q41)
          acc[mm] = _mm256_fmadd_ps(mw, _mm256_broadcast_ss(ads[mm] + b),
                                    acc[mm]);
      }
    }
    uk_store_x8(y, acc, bias, g, ldy, mt);
  }
}

/* As uk_q40x8_tile for Q8_0 weights interleaved by 8 rows (Q8_0X8): the
 * signed codes against the activations with the sign trick, each 4-byte
 * run's products summed to int32 at once (two pairs of 127·127 products
 * already fill int16). */
UK_INLINE void uk_q80x8_tile(float *y, const uint8_t *row0, const uint8_t *w,
                             const float *bias, int64_t K, int64_t ldy,
                             int64_t n0, int64_t n1, const int mt) {
  int64_t nb = K / 32, stride = uk_q8_row_stride(K);
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t g = n0 / 8; g < n1 / 8; ++g) {
    const uint8_t *wg = w + g * nb * 272;
    __m256 acc[UK_MT];
    for (int mm = 0; mm < mt; ++mm)
      acc[mm] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t *blk = wg + b * 272;
      __m256 dw =
          _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)blk));
      __m256i isum[UK_MT];
      for (int mm = 0; mm < mt; ++mm)
        isum[mm] = _mm256_setzero_si256();
      for (int L = 0; L < 8; ++L) {
        __m256i wv = _mm256_loadu_si256(
            (const __m256i *)(const void *)(blk + 16 + 32 * L));
        __m256i aw = _mm256_sign_epi8(wv, wv);
        for (int mm = 0; mm < mt; ++mm) {
          int32_t q4;
          __builtin_memcpy(&q4, aq[mm] + 32 * b + 4 * L, 4);
          __m256i qs = _mm256_sign_epi8(_mm256_set1_epi32(q4), wv);
          isum[mm] = _mm256_add_epi32(
              isum[mm],
              _mm256_madd_epi16(_mm256_maddubs_epi16(aw, qs), ones16));
        }
      }
      for (int mm = 0; mm < mt; ++mm)
        acc[mm] = _mm256_fmadd_ps(
            _mm256_cvtepi32_ps(isum[mm]),
            _mm256_mul_ps(dw, _mm256_broadcast_ss(ad[mm] + b)), acc[mm]);
    }
    uk_store_x8(y, acc, bias, g, ldy, mt);
  }
}

/* As uk_q40x8_tile for Q6_K weights interleaved by 8 rows (Q6_KX8): per
 * 32-element activation block, each row's 6-bit codes u come in 4-byte
 * runs (three of every four masked out of their bytes, the fourth put
 * together from the bytes' top bit pairs) and are multiplied against the
 * activation's matching 4 bytes broadcast, so the int16 pairs of each lane
 * hold one row's sums of u·q. Subtracting 32·Σq over the same activation
 * codes (one pair per sub-block, shared by all rows) leaves Σ(u − 32)·q,
 * which fits int16; one madd with the rows' int8 scales sums a sub-block
 * into int32, and each block adds fma(Σ, d_w·d_a, acc). */
UK_INLINE void uk_q6kx8_tile(float *y, const uint8_t *row0, const uint8_t *w,
                             const float *bias, int64_t K, int64_t ldy,
                             int64_t n0, int64_t n1, const int mt) {
  int64_t nb = K / 32, nsb = K / 256, stride = uk_q8_row_stride(K);
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  /* corr[mm][2b + s]: for sub-block s of activation block b, 32·Σq over
   * the codes each int16 half of a lane multiplies (codes 4L, 4L + 1 and
   * 4L + 2, 4L + 3 over L < 4), as one int16 pair. */
  int32_t corr[UK_MT][2 * UK_MAX_BLOCKS_PER_ROW];
  const __m256i k32 = _mm256_set1_epi8(32);
  for (int mm = 0; mm < mt; ++mm)
    for (int64_t b = 0; b < nb; ++b) {
      __m256i t = _mm256_maddubs_epi16(
          k32, _mm256_loadu_si256((const __m256i *)(const void *)(aq[mm] +
                                                                  32 * b)));
      t = _mm256_add_epi16(t, _mm256_shuffle_epi32(t, 0x4e));
      t = _mm256_add_epi16(t, _mm256_shuffle_epi32(t, 0xb1));
      corr[mm][2 * b] = _mm256_extract_epi32(t, 0);
      corr[mm][2 * b + 1] = _mm256_extract_epi32(t, 4);
    }
  const __m256i six = _mm256_set1_epi8(0x3f), m03 = _mm256_set1_epi8(0x03),
                m0c = _mm256_set1_epi8(0x0c), m30 = _mm256_set1_epi8(0x30);
  for (int64_t g = n0 / 8; g < n1 / 8; ++g) {
    const uint8_t *wg = w + g * nsb * 1680;
    __m256 acc[UK_MT];
    for (int mm = 0; mm < mt; ++mm)
      acc[mm] = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < nsb; ++sb) {
      const uint8_t *blk = wg + sb * 1680;
      __m256 dw =
          _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)blk));
      for (int c = 0; c < 8; ++c) {
        int64_t b = sb * 8 + c;
        /* Lane r: row r's scale of each sub-block, in both int16 halves. */
        __m256i sc = _mm256_cvtepi8_epi16(
            _mm_loadu_si128((const __m128i *)(const void *)(blk + 16 + 16 * c)));
        __m256i sc0 = _mm256_unpacklo_epi16(sc, sc);
        __m256i sc1 = _mm256_unpackhi_epi16(sc, sc);
        /* u[s][L]: codes 16s + 4L + i of each row r in byte 4r + i. */
        __m256i u[2][4];
        for (int s = 0; s < 2; ++s) {
          const uint8_t *codes = blk + 144 + 192 * c + 96 * s;
          __m256i x[3];
          for (int L = 0; L < 3; ++L) {
            x[L] = _mm256_loadu_si256(
                (const __m256i *)(const void *)(codes + 32 * L));
            u[s][L] = _mm256_and_si256(x[L], six);
          }
          u[s][3] = _mm256_or_si256(
              _mm256_or_si256(
                  _mm256_and_si256(_mm256_srli_epi16(x[0], 6), m03),
                  _mm256_and_si256(_mm256_srli_epi16(x[1], 4), m0c)),
              _mm256_and_si256(_mm256_srli_epi16(x[2], 2), m30));
        }
        for (int mm = 0; mm < mt; ++mm) {
          int32_t q4[8];
          __builtin_memcpy(q4, aq[mm] + 32 * b, 32);
          /* Each maddubs pair is at most 2·63·127; the int16 sums wrap
           * but end within int16 once the 32·Σq are taken off. */
          __m256i s0 = _mm256_maddubs_epi16(u[0][0], _mm256_set1_epi32(q4[0]));
          __m256i s1 = _mm256_maddubs_epi16(u[1][0], _mm256_set1_epi32(q4[4]));
          for (int L = 1; L < 4; ++L) {
            s0 = _mm256_add_epi16(
                s0, _mm256_maddubs_epi16(u[0][L], _mm256_set1_epi32(q4[L])));
            s1 = _mm256_add_epi16(
                s1, _mm256_maddubs_epi16(u[1][L], _mm256_set1_epi32(q4[L + 4])));
          }
          s0 = _mm256_sub_epi16(s0, _mm256_set1_epi32(corr[mm][2 * b]));
          s1 = _mm256_sub_epi16(s1, _mm256_set1_epi32(corr[mm][2 * b + 1]));
          __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(s0, sc0),
                                          _mm256_madd_epi16(s1, sc1));
          acc[mm] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(isum),
              _mm256_mul_ps(dw, _mm256_broadcast_ss(ad[mm] + b)), acc[mm]);
        }
      }
    }
    uk_store_x8(y, acc, bias, g, ldy, mt);
  }
}

/* As uk_q8act_tile for Q4_K weights: each 256-element block holds eight
 * 32-element sub-blocks x = (d·sc_j)·u − dmin·m_j, each lined up with one
 * activation block. */
UK_INLINE void uk_q4k_tile(float *y, const uint8_t *row0, const uint8_t *w,
                           const float *bias, int64_t K, int64_t ldy,
                           int64_t n0, int64_t n1, const int mt) {
  int64_t nb = K / 32, nsb = K / 256, stride = uk_q8_row_stride(K);
  int64_t rb = nsb * 144;
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  const __m256i low = _mm256_set1_epi8(0x0f);
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t *wr = w + n * rb;
    __m256 acc[UK_MT];
    float corr[UK_MT];
    for (int mm = 0; mm < mt; ++mm) {
      acc[mm] = _mm256_setzero_ps();
      corr[mm] = 0.0f;
    }
    for (int64_t sb = 0; sb < nsb; ++sb) {
      const uint8_t *blk = wr + sb * 144;
      float d = _cvtsh_ss(uk_rd16(blk));
      float dmin = _cvtsh_ss(uk_rd16(blk + 2));
      for (int c = 0; c < 4; ++c) {
        uint8_t sc0, m0, sc1, m1;
        uk_scale_min_k4(blk + 4, 2 * c, &sc0, &m0);
        uk_scale_min_k4(blk + 4, 2 * c + 1, &sc1, &m1);
        __m256i qs =
            _mm256_loadu_si256((const __m256i *)(const void *)(blk + 16 + 32 * c));
        __m256i u0 = _mm256_and_si256(qs, low);
        __m256i u1 = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low);
        __m256 s0 = _mm256_set1_ps(d * (float)sc0);
        __m256 s1 = _mm256_set1_ps(d * (float)sc1);
        float c0 = dmin * (float)m0, c1 = dmin * (float)m1;
        int64_t b = sb * 8 + 2 * c;
        for (int mm = 0; mm < mt; ++mm) {
          __m256i q0 = _mm256_loadu_si256(
              (const __m256i *)(const void *)(aq[mm] + 32 * b));
          __m256i q1 = _mm256_loadu_si256(
              (const __m256i *)(const void *)(aq[mm] + 32 * b + 32));
          __m256 dot0 = _mm256_cvtepi32_ps(uk_dot_u8i8(u0, q0));
          __m256 dot1 = _mm256_cvtepi32_ps(uk_dot_u8i8(u1, q1));
          acc[mm] = _mm256_fmadd_ps(
              dot0, _mm256_mul_ps(s0, _mm256_broadcast_ss(ad[mm] + b)), acc[mm]);
          acc[mm] = _mm256_fmadd_ps(
              dot1, _mm256_mul_ps(s1, _mm256_broadcast_ss(ad[mm] + b + 1)),
              acc[mm]);
          corr[mm] += c0 * ads[mm][b] + c1 * ads[mm][b + 1];
        }
      }
    }
    for (int mm = 0; mm < mt; ++mm)
      y[mm * ldy + n] = uk_hsum256(acc[mm]) - corr[mm] + (bias ? bias[n] : 0.0f);
  }
}

/* 8 unsigned bytes as 8 f32 lanes. */
static inline __m256 uk_bytes8_ps(const uint8_t *p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
      _mm_loadl_epi64((const __m128i *)(const void *)p)));
}

/* As uk_q40x8_tile for Q4_K / Q5_K weights interleaved by 8 rows (Q4_KX8
 * / Q5_KX8): columns [n0, n1), multiples of 8. Per 32-element sub-block j
 * the exact integer Σ u·q of every row ends in its own lane (4-byte runs
 * of codes against the activation's matching 4 bytes broadcast), and the
 * row scales d·sc_j and dmin·m_j, unpacked to bytes by the compiler, are
 * one f32 vector each, shared by the `mt` activation rows:
 * y += (d·sc_j)·d_a·Σ u·q − (dmin·m_j)·(d·Σq)_a. Nothing per
 * sub-block is scalar. */
UK_INLINE void uk_qkx8_tile(float *y, const uint8_t *row0, const uint8_t *w,
                            const float *bias, int64_t K, int32_t fmt,
                            int64_t ldy, int64_t n0, int64_t n1,
                            const int mt) {
  const int five = fmt == INGOT_W_Q5_KX8;
  const int64_t sbb = five ? 1440 : 1184, codes = five ? 416 : 160;
  int64_t nb = K / 32, nsb = K / 256, stride = uk_q8_row_stride(K);
  const float *ad[UK_MT], *ads[UK_MT];
  const int8_t *aq[UK_MT];
  uk_act_rows(row0, stride, nb, mt, ad, ads, aq);
  const __m256i low = _mm256_set1_epi8(0x0f), bit4 = _mm256_set1_epi8(0x10);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t g = n0 / 8; g < n1 / 8; ++g) {
    const uint8_t *wg = w + g * nsb * sbb;
    __m256 acc[UK_MT];
    for (int mm = 0; mm < mt; ++mm)
      acc[mm] = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < nsb; ++sb) {
      const uint8_t *blk = wg + sb * sbb;
      __m256 d =
          _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)blk));
      __m256 dmin = _mm256_cvtph_ps(
          _mm_loadu_si128((const __m128i *)(const void *)(blk + 16)));
      for (int c = 0; c < 4; ++c) {
        const uint8_t *qs = blk + codes + 256 * c;
        int64_t b = sb * 8 + 2 * c;
        /* s0: sub-block 2c (low nibbles), s1: 2c + 1 (high ones). Each
         * maddubs pair sum is at most 2·15·127 (Q5: 2·31·127), so eight
         * (Q5: four) of them fit in int16 before widening. */
        __m256i s0[UK_MT], s1[UK_MT], i0[UK_MT], i1[UK_MT];
        for (int mm = 0; mm < mt; ++mm) {
          s0[mm] = s1[mm] = _mm256_setzero_si256();
          i0[mm] = i1[mm] = _mm256_setzero_si256();
        }
        for (int L = 0; L < 8; ++L) {
          __m256i x =
              _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * L));
          __m256i lo = _mm256_and_si256(x, low);
          __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
          if (five) {
            /* Bits 2c and 2c + 1 of each qh byte moved to bit 4 (16-bit
             * shifts by at most 4 keep each byte's bits in the byte). */
            __m256i h = _mm256_loadu_si256(
                (const __m256i *)(const void *)(blk + 160 + 32 * L));
            __m256i h0 = c < 2 ? _mm256_slli_epi16(h, 4 - 2 * c)
                               : _mm256_srli_epi16(h, 2 * c - 4);
            __m256i h1 = c < 2 ? _mm256_slli_epi16(h, 3 - 2 * c)
                               : _mm256_srli_epi16(h, 2 * c - 3);
            lo = _mm256_or_si256(lo, _mm256_and_si256(h0, bit4));
            hi = _mm256_or_si256(hi, _mm256_and_si256(h1, bit4));
          }
          for (int mm = 0; mm < mt; ++mm) {
            int32_t q0, q1;
            __builtin_memcpy(&q0, aq[mm] + 32 * b + 4 * L, 4);
            __builtin_memcpy(&q1, aq[mm] + 32 * b + 32 + 4 * L, 4);
            s0[mm] = _mm256_add_epi16(
                s0[mm], _mm256_maddubs_epi16(lo, _mm256_set1_epi32(q0)));
            s1[mm] = _mm256_add_epi16(
                s1[mm], _mm256_maddubs_epi16(hi, _mm256_set1_epi32(q1)));
          }
          if (five && L == 3)
            for (int mm = 0; mm < mt; ++mm) {
              i0[mm] = _mm256_madd_epi16(s0[mm], ones16);
              i1[mm] = _mm256_madd_epi16(s1[mm], ones16);
              s0[mm] = s1[mm] = _mm256_setzero_si256();
            }
        }
        __m256 sc0 = _mm256_mul_ps(d, uk_bytes8_ps(blk + 32 + 16 * c));
        __m256 sc1 = _mm256_mul_ps(d, uk_bytes8_ps(blk + 40 + 16 * c));
        __m256 mn0 = _mm256_mul_ps(dmin, uk_bytes8_ps(blk + 96 + 16 * c));
        __m256 mn1 = _mm256_mul_ps(dmin, uk_bytes8_ps(blk + 104 + 16 * c));
        for (int mm = 0; mm < mt; ++mm) {
          __m256i t0 =
              _mm256_add_epi32(i0[mm], _mm256_madd_epi16(s0[mm], ones16));
          __m256i t1 =
              _mm256_add_epi32(i1[mm], _mm256_madd_epi16(s1[mm], ones16));
          acc[mm] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(t0),
              _mm256_mul_ps(sc0, _mm256_broadcast_ss(ad[mm] + b)), acc[mm]);
          acc[mm] = _mm256_fnmadd_ps(mn0, _mm256_broadcast_ss(ads[mm] + b),
                                     acc[mm]);
          acc[mm] = _mm256_fmadd_ps(
              _mm256_cvtepi32_ps(t1),
              _mm256_mul_ps(sc1, _mm256_broadcast_ss(ad[mm] + b + 1)),
              acc[mm]);
          acc[mm] = _mm256_fnmadd_ps(mn1, _mm256_broadcast_ss(ads[mm] + b + 1),
                                     acc[mm]);
        }
      }
    }
    uk_store_x8(y, acc, bias, g, ldy, mt);
  }
}

/* Columns [n0, n1) of y[M][ldy] for Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 (and
 * the repacked) weights and
 * activations quantized in `qa`. */
static void uk_matmul_q8act(float *y, const uint8_t *qa, const uint8_t *w,
                            const float *bias, int64_t M, int64_t K,
                            int32_t fmt, int64_t ldy, int64_t n0, int64_t n1) {
  int64_t stride = uk_q8_row_stride(K);
  int64_t m0 = 0;
/* TILE over all M rows: UK_MT at a time, then the rest one by one (each
 * call inlined with a constant row count); its arguments after K are
 * ARGS, then the row count. */
#define UK_TILE_ROWS(TILE, ...)                                                \
  do {                                                                         \
    for (; m0 + UK_MT <= M; m0 += UK_MT)                                       \
      TILE(y + m0 * ldy, qa + m0 * stride, w, bias, K, __VA_ARGS__, UK_MT);    \
    for (; m0 < M; ++m0)                                                       \
      TILE(y + m0 * ldy, qa + m0 * stride, w, bias, K, __VA_ARGS__, 1);        \
  } while (0)
  if (fmt == INGOT_W_Q4_K)
    UK_TILE_ROWS(uk_q4k_tile, ldy, n0, n1);
  else if (fmt == INGOT_W_Q4_KX8 || fmt == INGOT_W_Q5_KX8)
    UK_TILE_ROWS(uk_qkx8_tile, fmt, ldy, n0, n1);
  else if (fmt == INGOT_W_Q6_KX8)
    UK_TILE_ROWS(uk_q6kx8_tile, ldy, n0, n1);
  else if (fmt == INGOT_W_Q8_0X8)
    UK_TILE_ROWS(uk_q80x8_tile, ldy, n0, n1);
  else if (fmt == INGOT_W_Q4_0X8 || fmt == INGOT_W_Q4_1X8)
    UK_TILE_ROWS(uk_q40x8_tile, fmt, ldy, n0, n1);
  else if (fmt == INGOT_W_Q4_1)
    UK_TILE_ROWS(uk_q41_tile, ldy, n0, n1);
  else
    UK_TILE_ROWS(uk_q8act_tile, fmt, ldy, n0, n1);
#undef UK_TILE_ROWS
}

/* Columns [n0, n1) of y[M][ldy] for F32 / F16 weights (FMA). */
static void uk_matmul_fma(float *y, const float *x, const uint8_t *w,
                          const float *bias, int64_t M, int64_t K, int32_t fmt,
                          int64_t ldy, int64_t n0, int64_t n1) {
  int f16 = fmt == INGOT_W_F16;
  int64_t rb = K * (f16 ? 2 : 4);
  int64_t K8 = K & ~(int64_t)7;
  for (int64_t m0 = 0; m0 < M; m0 += UK_MT) {
    int64_t mt = M - m0 < UK_MT ? M - m0 : UK_MT;
    const float *xr[UK_MT];
    for (int64_t mm = 0; mm < UK_MT; ++mm)
      xr[mm] = x + (m0 + (mm < mt ? mm : 0)) * K;
    for (int64_t n = n0; n < n1; ++n) {
      const uint8_t *wr = w + n * rb;
      __m256 acc[UK_MT];
      for (int mm = 0; mm < UK_MT; ++mm)
        acc[mm] = _mm256_setzero_ps();
      for (int64_t k = 0; k < K8; k += 8) {
        __m256 wv = f16 ? _mm256_cvtph_ps(_mm_loadu_si128(
                              (const __m128i *)(const void *)(wr + 2 * k)))
                        : _mm256_loadu_ps((const float *)(const void *)wr + k);
        for (int mm = 0; mm < UK_MT; ++mm)
          acc[mm] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xr[mm] + k), acc[mm]);
      }
      for (int64_t mm = 0; mm < mt; ++mm) {
        float s = uk_hsum256(acc[mm]);
        for (int64_t k = K8; k < K; ++k) {
          float wv = f16 ? uk_half_to_float(uk_rd16(wr + 2 * k))
                         : ((const float *)(const void *)wr)[k];
          s += wv * xr[mm][k];
        }
        y[(m0 + mm) * ldy + n] = s + (bias ? bias[n] : 0.0f);
      }
    }
  }
}
#endif /* UK_AVX2 */

#if UK_DOTPROD
/*===----------------------------------------------------------------------===
 * AArch64 NEON + dotprod: the same scheme as the AVX2 path (q8 activations
 * in scratch, integer dot products with sdot), one activation row at a
 * time.
 *===----------------------------------------------------------------------===*/

static void uk_quantize_q8_rows(uint8_t *dst, const float *x, int64_t K,
                                int64_t r0, int64_t r1) {
  int64_t stride = uk_q8_row_stride(K), nb = K / 32;
  for (int64_t r = r0; r < r1; ++r) {
    const float *xr = x + r * K;
    uint8_t *row = dst + r * stride;
    float *d = (float *)(void *)row, *ds = d + nb;
    int8_t *q = (int8_t *)(row + 8 * nb);
    for (int64_t b = 0; b < nb; ++b) {
      float32x4_t v[8];
      float32x4_t amax = vdupq_n_f32(0.0f);
      for (int i = 0; i < 8; ++i) {
        v[i] = vld1q_f32(xr + 32 * b + 4 * i);
        amax = vmaxq_f32(amax, vabsq_f32(v[i]));
      }
      float maxv = vmaxvq_f32(amax);
      float db = maxv / 127.0f;
      float id = maxv != 0.0f ? 127.0f / maxv : 0.0f;
      int32x4_t sum = vdupq_n_s32(0);
      int16x8_t h[4];
      for (int i = 0; i < 4; ++i) {
        int32x4_t a = vcvtnq_s32_f32(vmulq_n_f32(v[2 * i], id));
        int32x4_t c = vcvtnq_s32_f32(vmulq_n_f32(v[2 * i + 1], id));
        sum = vaddq_s32(sum, vaddq_s32(a, c));
        h[i] = vcombine_s16(vmovn_s32(a), vmovn_s32(c));
      }
      vst1q_s8(q + 32 * b, vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1])));
      vst1q_s8(q + 32 * b + 16, vcombine_s8(vmovn_s16(h[2]), vmovn_s16(h[3])));
      /* f16 precision, as in the AVX2 path. */
      d[b] = (float)(__fp16)db;
      ds[b] = (float)(__fp16)(db * (float)vaddvq_s32(sum));
    }
  }
}

static void uk_matmul_q8act(float *y, const uint8_t *qa, const uint8_t *w,
                            const float *bias, int64_t M, int64_t K,
                            int32_t fmt, int64_t ldy, int64_t n0, int64_t n1) {
  int64_t nb = K / 32, stride = uk_q8_row_stride(K);
  int64_t bb = uk_block_bytes(fmt, 32), rb = nb * bb;
  const uint8x16_t low = vdupq_n_u8(0x0f);
  for (int64_t m = 0; m < M; ++m) {
    const uint8_t *row = qa + m * stride;
    const float *ad = (const float *)(const void *)row, *ads = ad + nb;
    const int8_t *aq = (const int8_t *)(row + 8 * nb);
    for (int64_t n = n0; n < n1; ++n) {
      const uint8_t *wr = w + n * rb;
      float32x4_t acc = vdupq_n_f32(0.0f);
      float corr = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *blk = wr + b * bb;
        float dw = uk_half_to_float(uk_rd16(blk));
        int8x16_t q0 = vld1q_s8(aq + 32 * b), q1 = vld1q_s8(aq + 32 * b + 16);
        int32x4_t dot = vdupq_n_s32(0);
        if (fmt == INGOT_W_Q8_0) {
          dot = vdotq_s32(dot, vld1q_s8((const int8_t *)(blk + 2)), q0);
          dot = vdotq_s32(dot, vld1q_s8((const int8_t *)(blk + 18)), q1);
        } else {
          int one = fmt == INGOT_W_Q4_1;
          uint8x16_t packed = vld1q_u8(blk + (one ? 4 : 2));
          dot = vdotq_s32(dot, vreinterpretq_s8_u8(vandq_u8(packed, low)), q0);
          dot = vdotq_s32(dot, vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), q1);
          corr += (one ? uk_half_to_float(uk_rd16(blk + 2)) : -8.0f * dw) *
                  ads[b];
        }
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(dot), dw * ad[b]);
      }
      y[m * ldy + n] = vaddvq_f32(acc) + corr + (bias ? bias[n] : 0.0f);
    }
  }
}
#endif /* UK_DOTPROD */

/* Whether the activations are quantized to q8 blocks for `fmt`. */
static inline int uk_uses_q8act(int32_t fmt, int64_t K) {
#if UK_AVX2
  if (fmt == INGOT_W_Q4_K || fmt == INGOT_W_Q4_KX8 || fmt == INGOT_W_Q5_KX8)
    return K % 256 == 0;
  if ((fmt == INGOT_W_Q4_1 || fmt == INGOT_W_Q4_0X8 ||
       fmt == INGOT_W_Q4_1X8 || fmt == INGOT_W_Q6_KX8) &&
      K / 32 > UK_MAX_BLOCKS_PER_ROW)
    return 0;
  if (uk_is_x8(fmt) || fmt == INGOT_W_Q5_0 || fmt == INGOT_W_Q5_1)
    return K % 32 == 0;
#endif
#if UK_AVX2 || UK_DOTPROD
  return (fmt == INGOT_W_Q8_0 || fmt == INGOT_W_Q4_0 || fmt == INGOT_W_Q4_1) &&
         K % 32 == 0;
#else
  (void)fmt;
  (void)K;
  return 0;
#endif
}

/* Columns [n0, n1) of rows x[M][K] · w: the fastest path for `fmt`. `qa`
 * holds the activations quantized when uk_uses_q8act. */
static void uk_matmul_cols(float *y, const float *x, const uint8_t *qa,
                           const uint8_t *w, const float *bias, int64_t M,
                           int64_t K, int32_t fmt, int32_t group, int64_t ldy,
                           int64_t n0, int64_t n1) {
#if UK_AVX2 || UK_DOTPROD
  if (uk_uses_q8act(fmt, K)) {
    uk_matmul_q8act(y, qa, w, bias, M, K, fmt, ldy, n0, n1);
    return;
  }
#endif
#if UK_AVX2
  if (fmt == INGOT_W_F32 || fmt == INGOT_W_F16) {
    uk_matmul_fma(y, x, w, bias, M, K, fmt, ldy, n0, n1);
    return;
  }
#endif
  (void)qa;
  uk_matmul_generic(y, x, w, bias, M, K, fmt, group, ldy, n0, n1);
}

/* Quantizes this thread's share of the M activation rows into scratch
 * (when the format uses it) and waits for the other threads' shares. */
static void uk_prepare_activations(const float *x, int64_t M, int64_t K,
                                   int32_t fmt, void *scratch,
                                   ingot_uk_sync *sync, int32_t ith,
                                   int32_t nth) {
  if (!uk_uses_q8act(fmt, K))
    return;
#if UK_AVX2 || UK_DOTPROD
  int64_t r0, r1;
  uk_split(M, ith, nth, &r0, &r1);
  uk_quantize_q8_rows((uint8_t *)scratch, x, K, r0, r1);
#else
  (void)x;
  (void)M;
  (void)scratch;
  (void)ith;
#endif
  ingot_uk_barrier(sync, nth);
}

void ingot_uk_matmul(float *y, const float *x, const void *w,
                     const float *bias, int64_t M, int64_t N, int64_t K,
                     int32_t fmt, int32_t group, void *scratch,
                     ingot_uk_sync *sync, int32_t ith, int32_t nth) {
  uk_prepare_activations(x, M, K, fmt, scratch, sync, ith, nth);
  /* Interleaved formats: whole groups of 8 columns per thread. */
  int64_t unit = uk_is_x8(fmt) ? 8 : 1, n0, n1;
  uk_split(N / unit, ith, nth, &n0, &n1);
  uk_matmul_cols(y, x, (const uint8_t *)scratch, (const uint8_t *)w, bias, M,
                 K, fmt, group, N, n0 * unit, n1 * unit);
}

void ingot_uk_matmul_multi(float *y0, const void *w0, const float *b0,
                           int64_t N0, float *y1, const void *w1,
                           const float *b1, int64_t N1, float *y2,
                           const void *w2, const float *b2, int64_t N2,
                           const float *x, int64_t M, int64_t K, int32_t fmt,
                           int32_t group, void *scratch, ingot_uk_sync *sync,
                           int32_t ith, int32_t nth) {
  uk_prepare_activations(x, M, K, fmt, scratch, sync, ith, nth);
  float *ys[3] = {y0, y1, y2};
  const void *ws[3] = {w0, w1, w2};
  const float *bs[3] = {b0, b1, b2};
  int64_t ns[3] = {N0, N1, N2};
  /* This thread's share of the concatenated columns, matrix by matrix. */
  int64_t c0, c1, base = 0;
  int64_t unit = uk_is_x8(fmt) ? 8 : 1; /* N_i % 8 == 0 then */
  uk_split((N0 + N1 + N2) / unit, ith, nth, &c0, &c1);
  c0 *= unit;
  c1 *= unit;
  for (int i = 0; i < 3; ++i) {
    int64_t lo = c0 > base ? c0 - base : 0;
    int64_t hi = c1 - base < ns[i] ? c1 - base : ns[i];
    if (lo < hi)
      uk_matmul_cols(ys[i], x, (const uint8_t *)scratch,
                     (const uint8_t *)ws[i], bs[i], M, K, fmt, group, ns[i],
                     lo, hi);
    base += ns[i];
  }
}

/* How ingot_uk_grouped_matmul splits its work: each active expert's
 * N / unit column units (groups of 8 columns in the interleaved formats)
 * cost rows + UK_GROUPED_UNIT_COST each (the weights streamed once, then
 * each row's products); the threads split the total cost evenly, each
 * taking a contiguous run of units in expert order, so that at one token
 * each thread streams its own contiguous share of the selected experts'
 * bytes, and in a prefill the experts with more rows weigh more. */
#define UK_GROUPED_UNIT_COST 2

/* Thread ith's cost range [*lo, *hi) of all the units. */
static void uk_grouped_range(const int32_t *expert_offsets, int64_t E,
                             int64_t units, int32_t ith, int32_t nth,
                             int64_t *lo, int64_t *hi) {
  int64_t total = 0;
  for (int64_t e = 0; e < E; ++e) {
    int64_t rows = expert_offsets[e + 1] - expert_offsets[e];
    total += rows > 0 ? (rows + UK_GROUPED_UNIT_COST) * units : 0;
  }
  uk_split(total, ith, nth, lo, hi);
}

/* Of an expert whose `units` units of cost c each start at cost `base`,
 * those [*u0, *u1) starting in [lo, hi) (each unit belongs to the thread
 * whose range holds its start). */
static inline void uk_grouped_units(int64_t lo, int64_t hi, int64_t base,
                                    int64_t c, int64_t units, int64_t *u0,
                                    int64_t *u1) {
  int64_t span = c * units;
  *u0 = lo <= base ? 0 : lo - base >= span ? units : (lo - base + c - 1) / c;
  *u1 = hi <= base ? 0 : hi - base >= span ? units : (hi - base + c - 1) / c;
}

void ingot_uk_grouped_matmul(float *y, const float *x, const void *w,
                             const int32_t *expert_offsets, int64_t E,
                             int64_t N, int64_t K, int32_t fmt, int32_t group,
                             void *scratch, ingot_uk_sync *sync, int32_t ith,
                             int32_t nth) {
  int64_t M = expert_offsets[E];
  int64_t unit = uk_is_x8(fmt) ? 8 : 1, units = N / unit;
  int64_t mat = N * ingot_uk_row_bytes(fmt, group, K);
  int64_t qstride = uk_q8_row_stride(K);
  int64_t lo, hi, base = 0, u0, u1;
  const uint8_t *qa = (const uint8_t *)scratch;
  if (M > INGOT_UK_GROUPED_OWN_ROWS) {
    uk_prepare_activations(x, M, K, fmt, scratch, sync, ith, nth);
    uk_grouped_range(expert_offsets, E, units, ith, nth, &lo, &hi);
  } else {
    /* Few rows (one token's experts): each thread quantizes the rows of
     * its own experts into its own part of scratch, with no barrier. */
    uk_grouped_range(expert_offsets, E, units, ith, nth, &lo, &hi);
    if (lo >= hi)
      return;
    if (uk_uses_q8act(fmt, K)) {
      int64_t ra = M, rb = 0;
      for (int64_t e = 0; e < E && base < hi; ++e) {
        int64_t r0 = expert_offsets[e], r1 = expert_offsets[e + 1];
        if (r1 <= r0)
          continue;
        uk_grouped_units(lo, hi, base, r1 - r0 + UK_GROUPED_UNIT_COST,
                         units, &u0, &u1);
        if (u0 < u1) {
          ra = ra < r0 ? ra : r0;
          rb = r1;
        }
        base += (r1 - r0 + UK_GROUPED_UNIT_COST) * units;
      }
      uint8_t *own = (uint8_t *)scratch + (int64_t)ith * M * qstride;
#if UK_AVX2 || UK_DOTPROD
      if (ra < rb)
        uk_quantize_q8_rows(own, x, K, ra, rb);
#else
      (void)ra; /* no q8 path: uk_uses_q8act is 0 */
      (void)rb;
#endif
      qa = own;
      base = 0;
    }
  }
  for (int64_t e = 0; e < E && base < hi; ++e) {
    int64_t r0 = expert_offsets[e], r1 = expert_offsets[e + 1];
    if (r1 <= r0)
      continue;
    int64_t c = r1 - r0 + UK_GROUPED_UNIT_COST;
    uk_grouped_units(lo, hi, base, c, units, &u0, &u1);
    if (u0 < u1)
      uk_matmul_cols(y + r0 * N, x + r0 * K, qa + r0 * qstride,
                     (const uint8_t *)w + e * mat, NULL, r1 - r0, K, fmt,
                     group, N, u0 * unit, u1 * unit);
    base += c * units;
  }
}
