/*===- gk_mmvq.c - Matmul with q8 activations and dp4a (decode) ----------===
 *
 * The path of ingot_gk_matmul(_multi) for few activation rows (decode)
 * and GGUF weight blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, and the k-quants
 * Q4_K, Q5_K, Q6_K by their 32-element sub-blocks), as llama.cpp's mmvq
 * computes it:
 *
 *   1. Each block quantizes the M activation rows into shared memory as
 *      q8 blocks, exactly as the CPU's AVX2 path (uk_matmul.c) does:
 *      d = amax/127, q = round-to-even(x·(127/amax)), d and d·Σq kept at
 *      f16 precision. Four lanes per 32-element block, eight values each.
 *   2. Each warp takes output columns (weight rows) in turn; per column,
 *      four lanes share each weight block (eight 4-, 5- or 8-bit codes per
 *      lane: a warp reads eight consecutive blocks at once) and multiply
 *      its codes with the activation codes by dp4a, up to 4 rows per pass
 *      over the weights. Per block: Σ (float)isum · (d_w·d_x), the
 *      integer sums exact (Q4_0 / Q5_0 codes offset to signed bytes u - 8
 *      and u - 16 first, as the CPU's repacked Q4_0 path and llama.cpp's
 *      CPU kernels sum them; Q6_K's q - 32 likewise), plus for Q4_1 /
 *      Q5_1 the minimum m, for Q4_K / Q5_K -dmin·m_j, times d_x·Σq (as
 *      the CPU's Q4_1 / Q4_K paths; llama.cpp's q8_1 blocks). k-quants:
 *      the warp's 8 lane quads take the 8 sub-blocks of one 256-element
 *      block, d_w being d·sc_j (Q6_K: the scale of the lane's 16 values).
 *      The warp sums its lanes with shuffles.
 *
 * Columns go round the grid's warps, so any grid works; a block with no
 * column returns before quantizing.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/gpu/gk_mmvq.h"

#include "compiler/ukernels/gpu/gk_common.h"

/* Activation rows per pass over a weight row. */
#define GK_MMVQ_ROWS 4

/* The 32-bit word at p, 2-byte aligned (two 16-bit loads). */
GK_INLINE uint32_t gk_ld32_a2(const uint8_t *p) {
  uint16_t lo, hi;
  const uint8_t *a = (const uint8_t *)__builtin_assume_aligned(p, 2);
  __builtin_memcpy(&lo, a, 2);
  __builtin_memcpy(&hi, a + 2, 2);
  return (uint32_t)lo | ((uint32_t)hi << 16);
}

/* The 32-bit word at p, 4-byte aligned. */
GK_INLINE uint32_t gk_ld32_a4(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, __builtin_assume_aligned(p, 4), 4);
  return v;
}

/* The f16 at p (2-byte aligned), as f32. */
GK_INLINE float gk_ld_half(const uint8_t *p) {
  uint16_t h;
  __builtin_memcpy(&h, __builtin_assume_aligned(p, 2), 2);
  return gk_half_to_float(h);
}

/* f rounded to f16 precision (as the CPU's _cvtsh_ss(_cvtss_sh(f, 0))). */
GK_INLINE float gk_round_half(float f) {
  return gk_half_to_float(gk_float_to_half(f));
}

/* Bits 0..3 of h to bit 4 of bytes 0..3 (the fifth bit of Q5 codes). */
GK_INLINE uint32_t gk_bit4_bytes(uint32_t h) {
  return ((h & 1u) << 4) | ((h & 2u) << 11) | ((h & 4u) << 18) |
         ((h & 8u) << 25);
}

/* Bytes u (< 128 + o) of w as the signed bytes u - o, o <= 128:
 * u + (128 - o) stays within the byte, and flipping its top bit subtracts
 * 128 in two's complement. */
GK_INLINE uint32_t gk_offset_bytes(uint32_t w, uint32_t o) {
  return (w + (128u - o) * 0x01010101u) ^ 0x80808080u;
}

/* The four signed bytes of q[0..3] in one word. */
GK_INLINE uint32_t gk_pack_i8x4(const int32_t *q) {
  return ((uint32_t)q[0] & 0xffu) | (((uint32_t)q[1] & 0xffu) << 8) |
         (((uint32_t)q[2] & 0xffu) << 16) | ((uint32_t)q[3] << 24);
}

/* The M·K activations x as q8 blocks: codes qa (K/4 words per row), the
 * block scales d and d·Σq. Lanes 4i..4i+3 of a warp quantize one block,
 * eight consecutive values each; the whole block calls it. */
GK_INLINE void gk_mmvq_quantize(uint32_t *qa, float *d, float *ds,
                                const float *x, int64_t units) {
  GK_NO_CONTRACT
  uint32_t lane = gk_lane(), p = lane % 4;
  int64_t per_pass = (int64_t)gk_warps() * (GK_WARP / 4);
  for (int64_t u0 = (int64_t)gk_warp() * (GK_WARP / 4); u0 < units;
       u0 += per_pass) {
    /* Every lane runs the shuffles; lanes past the end work on zeros. */
    int64_t u = u0 + lane / 4;
    int live = u < units;
    float v[8];
    float amax = 0.0f;
    GK_UNROLL
    for (int i = 0; i < 8; ++i) {
      v[i] = live ? x[32 * u + 8 * p + i] : 0.0f;
      float a = __builtin_fabsf(v[i]);
      amax = a > amax ? a : amax;
    }
    for (uint32_t m = 1; m < 4; m *= 2) {
      float o = gk_shfl_xor_f32(amax, m);
      amax = o > amax ? o : amax;
    }
    float db = amax / 127.0f;
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t q[8], sum = 0;
    GK_UNROLL
    for (int i = 0; i < 8; ++i) {
      /* cvtps_epi32 then saturating packs on the CPU (a NaN gives -128). */
      float t = __builtin_rintf(v[i] * id);
      q[i] = t >= 127.0f ? 127 : t >= -128.0f ? (int32_t)t : -128;
      sum += q[i];
    }
    for (uint32_t m = 1; m < 4; m *= 2)
      sum += (int32_t)gk_shfl_xor_u32((uint32_t)sum, m);
    if (live) {
      qa[8 * u + 2 * p] = gk_pack_i8x4(q);
      qa[8 * u + 2 * p + 1] = gk_pack_i8x4(q + 4);
      if (p == 0) {
        d[u] = gk_round_half(db);
        ds[u] = gk_round_half(db * (float)sum);
      }
    }
  }
}

/* Column n of y[M][ldy] = x · row (+ bias[n]) from the quantized
 * activations; the whole warp. */
GK_INLINE __attribute__((always_inline)) void
gk_mmvq_column(float *y, int64_t ldy, const uint32_t *qa, const float *ad,
               const float *ads, const uint8_t *row, const float *bias,
               int64_t n, int64_t M, int64_t K, const int32_t fmt) {
  uint32_t lane = gk_lane(), p = lane % 4;
  int64_t nb = K / 32;
  /* Bytes per 32-element block, or per 256-element k-quant block. */
  int64_t bb = fmt == INGOT_W_Q8_0   ? 34
               : fmt == INGOT_W_Q4_0 ? 18
               : fmt == INGOT_W_Q4_1 ? 20
               : fmt == INGOT_W_Q5_0 ? 22
               : fmt == INGOT_W_Q5_1 ? 24
               : fmt == INGOT_W_Q4_K ? 144
               : fmt == INGOT_W_Q5_K ? 176
                                     : 210;
  int kquant = fmt >= INGOT_W_Q4_K;
  /* k-quants: the lane's unit b covers sub-block `is` of super-block b / 8,
   * the same in every pass (b advances by 8). */
  int is = (int)(lane / 4);
  /* The offset term of a block is added by one lane of its four. */
  float first = p == 0 ? 1.0f : 0.0f;
  for (int64_t m0 = 0; m0 < M; m0 += GK_MMVQ_ROWS) {
    int64_t mt = M - m0 < GK_MMVQ_ROWS ? M - m0 : GK_MMVQ_ROWS;
    float acc[GK_MMVQ_ROWS] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t b = lane / 4; b < nb; b += GK_WARP / 4) {
      const uint8_t *blk = row + (kquant ? b / 8 : b) * bb;
      uint32_t w0, w1;
      float dw = kquant ? 0.0f : gk_ld_half(blk), cw = 0.0f;
      switch (fmt) {
      case INGOT_W_Q8_0:
        w0 = gk_ld32_a2(blk + 2 + 8 * p);
        w1 = gk_ld32_a2(blk + 6 + 8 * p);
        break;
      case INGOT_W_Q4_0: {
        uint32_t qs = gk_ld32_a2(blk + 2 + 4 * p);
        w0 = gk_offset_bytes(qs & 0x0f0f0f0fu, 8);
        w1 = gk_offset_bytes((qs >> 4) & 0x0f0f0f0fu, 8);
        break;
      }
      case INGOT_W_Q4_1: {
        uint32_t qs = gk_ld32_a4(blk + 4 + 4 * p);
        w0 = qs & 0x0f0f0f0fu;
        w1 = (qs >> 4) & 0x0f0f0f0fu;
        cw = gk_ld_half(blk + 2);
        break;
      }
      case INGOT_W_Q5_0: {
        uint32_t qh = gk_ld32_a2(blk + 2), qs = gk_ld32_a2(blk + 6 + 4 * p);
        w0 = gk_offset_bytes(
            (qs & 0x0f0f0f0fu) | gk_bit4_bytes((qh >> (4 * p)) & 0xfu), 16);
        w1 = gk_offset_bytes(((qs >> 4) & 0x0f0f0f0fu) |
                                 gk_bit4_bytes((qh >> (16 + 4 * p)) & 0xfu),
                             16);
        break;
      }
      case INGOT_W_Q4_K:
      case INGOT_W_Q5_K: {
        /* Sub-block is: 32 codes, the low (is even) or high nibbles of
         * bytes 32·(is/2)..; x = (d·sc)·u - dmin·m; Q5_K: bit `is` of the
         * 32 high-bit bytes is the fifth bit. */
        int five = fmt == INGOT_W_Q5_K;
        unsigned sc, mn;
        gk_k_scale_min(blk + 4, (int)is, &sc, &mn);
        const uint8_t *qs = blk + (five ? 48 : 16) + 32 * (is / 2) + 8 * p;
        int shift = 4 * (is & 1);
        w0 = (gk_ld32_a4(qs) >> shift) & 0x0f0f0f0fu;
        w1 = (gk_ld32_a4(qs + 4) >> shift) & 0x0f0f0f0fu;
        if (five) {
          w0 |= ((gk_ld32_a4(blk + 16 + 8 * p) >> is) & 0x01010101u) << 4;
          w1 |= ((gk_ld32_a4(blk + 20 + 8 * p) >> is) & 0x01010101u) << 4;
        }
        dw = gk_ld_half(blk) * (float)sc;
        cw = -(gk_ld_half(blk + 2) * (float)mn);
        break;
      }
      case INGOT_W_Q6_K: {
        /* Sub-block is: half is/4 of 128, quarter is%4: low 4 bits from
         * the nibbles of ql, 2 high bits from qh; q - 32; values 16..31 of
         * the sub-block have the next scale. */
        int half = is / 4, quarter = is % 4;
        const uint8_t *ql = blk + 64 * half + 32 * (quarter & 1) + 8 * p;
        const uint8_t *qh = blk + 128 + 32 * half + 8 * p;
        int shift = quarter < 2 ? 0 : 4;
        w0 = gk_offset_bytes(
            ((gk_ld32_a2(ql) >> shift) & 0x0f0f0f0fu) |
                (((gk_ld32_a2(qh) >> (2 * quarter)) & 0x03030303u) << 4),
            32);
        w1 = gk_offset_bytes(
            ((gk_ld32_a2(ql + 4) >> shift) & 0x0f0f0f0fu) |
                (((gk_ld32_a2(qh + 4) >> (2 * quarter)) & 0x03030303u) << 4),
            32);
        const int8_t *sc = (const int8_t *)(blk + 192 + 8 * half);
        dw = gk_ld_half(blk + 208) * (float)sc[p / 2 + 2 * quarter];
        break;
      }
      default: { /* INGOT_W_Q5_1 */
        uint32_t qh = gk_ld32_a4(blk + 4), qs = gk_ld32_a4(blk + 8 + 4 * p);
        w0 = (qs & 0x0f0f0f0fu) | gk_bit4_bytes((qh >> (4 * p)) & 0xfu);
        w1 = ((qs >> 4) & 0x0f0f0f0fu) |
             gk_bit4_bytes((qh >> (16 + 4 * p)) & 0xfu);
        cw = gk_ld_half(blk + 2);
        break;
      }
      }
      /* Q8_0 and the k-quants: this lane's codes are values 8p..8p+7
       * (words 2p, 2p + 1 of the activation block); the 32-element 4- and
       * 5-bit formats: 4p..4p+3 (low nibbles) and 16 + 4p.. (high), words
       * p and 4 + p. */
      int whole = fmt == INGOT_W_Q8_0 || kquant; /* values 8p..8p+7 */
      uint32_t i0 = whole ? 2 * p : p;
      uint32_t i1 = whole ? 2 * p + 1 : 4 + p;
      cw *= first;
      GK_UNROLL
      for (int r = 0; r < GK_MMVQ_ROWS; ++r) {
        if (r < mt) {
          int64_t ab = (m0 + r) * nb + b;
          const uint32_t *a = qa + 8 * ab;
          int32_t s = gk_dp4a(w1, a[i1], gk_dp4a(w0, a[i0], 0));
          acc[r] += (float)s * (dw * ad[ab]);
          if (fmt == INGOT_W_Q4_1 || fmt == INGOT_W_Q5_1 ||
              fmt == INGOT_W_Q4_K || fmt == INGOT_W_Q5_K)
            acc[r] += cw * ads[ab];
        }
      }
    }
    GK_UNROLL
    for (int r = 0; r < GK_MMVQ_ROWS; ++r)
      if (r < mt) /* mt is the same in every lane */
        acc[r] = gk_warp_sum(acc[r]);
    if (lane == 0) {
      float bn = bias ? bias[n] : 0.0f;
      GK_UNROLL
      for (int r = 0; r < GK_MMVQ_ROWS; ++r)
        if (r < mt)
          y[(m0 + r) * ldy + n] = acc[r] + bn;
    }
  }
}

/* Columns [0, N0 + N1 + N2) of the three matrices, one per warp of the
 * grid in turn, `fmt` a constant. */
GK_INLINE __attribute__((always_inline)) void
gk_mmvq_cols(float *y0, const void *w0, const float *b0, int64_t N0, float *y1,
             const void *w1, const float *b1, int64_t N1, float *y2,
             const void *w2, const float *b2, int64_t N2, const uint32_t *qa,
             const float *ad, const float *ads, int64_t M, int64_t K,
             const int32_t fmt) {
  int64_t rb = gk_row_bytes(fmt, 0, K);
  int64_t warps = (int64_t)gk_grid_dim() * gk_warps();
  int64_t total = N0 + N1 + N2;
  for (int64_t c = (int64_t)gk_block_id() * gk_warps() + gk_warp(); c < total;
       c += warps) {
    float *y;
    const void *w;
    const float *bias;
    int64_t n, N;
    gk_multi_column(c, y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, &y, &w,
                    &bias, &n, &N);
    gk_mmvq_column(y, N, qa, ad, ads, (const uint8_t *)w + n * rb, bias, n, M,
                   K, fmt);
  }
}

void ingot_gk_mmvq(float *y0, const void *w0, const float *b0, int64_t N0,
                   float *y1, const void *w1, const float *b1, int64_t N1,
                   float *y2, const void *w2, const float *b2, int64_t N2,
                   const float *x, int64_t M, int64_t K, int32_t fmt) {
  /* A block without a column has nothing to do (the same in all its
   * threads: no barrier is skipped by some only). */
  if ((int64_t)gk_block_id() * gk_warps() >= N0 + N1 + N2)
    return;
  GK_SHARED(uint32_t, qa, INGOT_GK_MMVQ_MAX_CODES / 4);
  GK_SHARED(float, ad, INGOT_GK_MMVQ_MAX_CODES / 32);
  GK_SHARED(float, ads, INGOT_GK_MMVQ_MAX_CODES / 32);
  gk_mmvq_quantize(qa, ad, ads, x, M * (K / 32));
  gk_barrier();
  switch (fmt) {
#define GK_MMVQ_CASE(F)                                                        \
  case F:                                                                      \
    gk_mmvq_cols(y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, qa, ad, ads,  \
                 M, K, F);                                                     \
    break;
    GK_MMVQ_CASE(INGOT_W_Q8_0)
    GK_MMVQ_CASE(INGOT_W_Q4_0)
    GK_MMVQ_CASE(INGOT_W_Q4_1)
    GK_MMVQ_CASE(INGOT_W_Q5_0)
    GK_MMVQ_CASE(INGOT_W_Q5_1)
    GK_MMVQ_CASE(INGOT_W_Q4_K)
    GK_MMVQ_CASE(INGOT_W_Q5_K)
    GK_MMVQ_CASE(INGOT_W_Q6_K)
#undef GK_MMVQ_CASE
  }
}
