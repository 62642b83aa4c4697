/*===- gk_mma.c - Matmul on tensor cores (mma.sync m16n8k16) --------------===
 *
 * The prefill matmul: y[M][N] = x[M][K] · wᵀ (+ bias) for M >= GK_MMA_MIN_M,
 * on the tensor cores with f16 inputs and f32 sums (mma.sync.aligned.
 * m16n8k16.row.col.f32.f16.f16.f32, sm_80 and newer).
 *
 * A block computes a GK_MMA_BM x GK_MMA_BN tile of one matrix (activation
 * rows x weight rows); blocks take the tiles round the grid, the tiles of a
 * weight column-tile one after another (consecutive blocks share its
 * weights in L2). Per step of GK_MMA_BK along k, the block's threads
 *   - convert the x tile to f16 into shared memory (round to nearest even;
 *     rows past M and k past K are zeros),
 *   - decode the weight tile with the CPU kernels' float operations
 *     (gk_weight) and round it to f16 into shared memory,
 * each thread 8 consecutive k of a row at a time,
 * then each warp multiplies a 16 x 32 strip of the tile: four m16n8k16
 * products per 16 of k, its accumulators (16 floats) in registers. The
 * tile has 8 strips; a block of fewer than 8 warps goes over the tile's k
 * steps again for the strips left (any block of whole warps is correct,
 * 256 threads is the one that is fast).
 *
 * Shared rows hold GK_MMA_BK + 8 halves (20 words): the fragment loads
 * (lane g·4 + t reads word 20·g + t) hit 32 different banks.
 *
 * Numerics: the f16 roundings are the only change from the f32 kernel (the
 * products of two halves are exact in f32): |x̂ - x| <= 2^-11·|x| for
 * normal halves, <= 2^-25 below 2^-14, and the same for the weights, so
 * the error of a term is <= 2^-10·|x·w| + 2^-25·(|x| + |w|) (first order);
 * values beyond ±65504 become infinities (as in any f16 GEMM).
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/gpu/gk_mma.h"
#include "compiler/ukernels/gpu/gk_common.h"

#define GK_MMA_BK 32
/* u32 words (pairs of halves) per shared row: GK_MMA_BK + 8 halves. */
#define GK_MMA_LDW ((GK_MMA_BK + 8) / 2)
/* 16 x 32 strips of a tile, one per warp. */
#define GK_MMA_STRIPS ((GK_MMA_BM / 16) * (GK_MMA_BN / 32))

/* Two halves in one word, lo in the low 16 bits. */
GK_INLINE uint32_t gk_half2(float lo, float hi) {
  return gk_float_to_half(lo) | (gk_float_to_half(hi) << 16);
}

/* The tile at (m0, n0) of y[M][N] = x · wᵀ (+ bias); `xs` and `ws` are the
 * block's shared tiles. All threads of the block call it. */
GK_INLINE __attribute__((always_inline)) void
gk_mma_tile(float *y, const uint8_t *w, const float *bias, int64_t N,
            int64_t m0, int64_t n0, const float *x, int64_t M, int64_t K,
            const int32_t fmt, int32_t group, uint32_t *xs, uint32_t *ws) {
  int64_t rb = gk_row_bytes(fmt, group, K);
  uint32_t tid = gk_thread_id(), threads = gk_block_dim();
  uint32_t lane = gk_lane(), g = lane / 4, t = lane % 4;
  for (uint32_t s0 = 0; s0 < GK_MMA_STRIPS; s0 += gk_warps()) {
    uint32_t s = s0 + gk_warp();
    uint32_t sm = (s % (GK_MMA_BM / 16)) * 16, sn = (s / (GK_MMA_BM / 16)) * 32;
    /* The same in every lane of the warp: its mma calls are convergent. */
    int active = s < GK_MMA_STRIPS && m0 + sm < M && n0 + sn < N;
    float acc[4][4];
    GK_UNROLL
    for (int j = 0; j < 4; ++j)
      acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
    for (int64_t k0 = 0; k0 < K; k0 += GK_MMA_BK) {
      gk_barrier(); /* the previous step's fragments are read */
      /* Each thread converts runs of 8 consecutive k: x[m][k..k+7], and
       * the weights w[n][k..k+7], whose scales (one 32-element unit: k0 is
       * a multiple of 32) the decoder loads once for the run. */
      for (uint32_t p = tid; p < GK_MMA_BM * GK_MMA_BK / 8; p += threads) {
        uint32_t r = p / (GK_MMA_BK / 8), c = p % (GK_MMA_BK / 8);
        int64_t m = m0 + r, k = k0 + 8 * c;
        float v[8];
        GK_UNROLL
        for (int i = 0; i < 8; ++i)
          v[i] = m < M && k + i < K ? x[m * K + k + i] : 0.0f;
        uint32_t *dst = xs + r * GK_MMA_LDW + 4 * c;
        GK_UNROLL
        for (int i = 0; i < 4; ++i)
          dst[i] = gk_half2(v[2 * i], v[2 * i + 1]);
      }
      for (uint32_t p = tid; p < GK_MMA_BN * GK_MMA_BK / 8; p += threads) {
        uint32_t r = p / (GK_MMA_BK / 8), c = p % (GK_MMA_BK / 8);
        int64_t n = n0 + r, k = k0 + 8 * c;
        float v[8];
        GK_UNROLL
        for (int i = 0; i < 8; ++i)
          v[i] = 0.0f;
        if (n < N) {
          const uint8_t *row = w + n * rb;
          if (gk_is_blocked(fmt)) { /* K is a multiple of 32 */
            GK_UNROLL
            for (int i = 0; i < 8; ++i)
              v[i] = gk_weight_unit(fmt, row, k0 / 32, (int)(8 * c) + i);
          } else {
            GK_UNROLL
            for (int i = 0; i < 8; ++i)
              if (k + i < K)
                v[i] = gk_weight(fmt, group, row, k + i);
          }
        }
        uint32_t *dst = ws + r * GK_MMA_LDW + 4 * c;
        GK_UNROLL
        for (int i = 0; i < 4; ++i)
          dst[i] = gk_half2(v[2 * i], v[2 * i + 1]);
      }
      gk_barrier();
      if (!active)
        continue;
      GK_UNROLL
      for (uint32_t kk = 0; kk < GK_MMA_BK / 2; kk += 8) {
        const uint32_t *xa = xs + (sm + g) * GK_MMA_LDW + kk + t;
        uint32_t a[4] = {xa[0], xa[8 * GK_MMA_LDW], xa[4],
                         xa[8 * GK_MMA_LDW + 4]};
        GK_UNROLL
        for (uint32_t j = 0; j < 4; ++j) {
          const uint32_t *wb = ws + (sn + 8 * j + g) * GK_MMA_LDW + kk + t;
          uint32_t b[2] = {wb[0], wb[4]};
          gk_mma_m16n8k16(acc[j], a, b, acc[j]);
        }
      }
    }
    if (!active)
      continue;
    GK_UNROLL
    for (uint32_t j = 0; j < 4; ++j) {
      GK_UNROLL
      for (uint32_t r = 0; r < 4; ++r) {
        int64_t m = m0 + sm + g + 8 * (r >> 1);
        int64_t n = n0 + sn + 8 * j + 2 * t + (r & 1);
        if (m < M && n < N)
          y[m * N + n] = acc[j][r] + (bias ? bias[n] : 0.0f);
      }
    }
  }
}

/* The tiles of the three matrices round the grid's blocks. */
GK_INLINE __attribute__((always_inline)) void
gk_mma_tiles(float *y0, const void *w0, const float *b0, int64_t N0, float *y1,
             const void *w1, const float *b1, int64_t N1, float *y2,
             const void *w2, const float *b2, int64_t N2, const float *x,
             int64_t M, int64_t K, const int32_t fmt, int32_t group) {
  GK_SHARED(uint32_t, xs, GK_MMA_BM * GK_MMA_LDW);
  GK_SHARED(uint32_t, ws, GK_MMA_BN * GK_MMA_LDW);
  int64_t mt = (M + GK_MMA_BM - 1) / GK_MMA_BM;
  int64_t nt0 = (N0 + GK_MMA_BN - 1) / GK_MMA_BN;
  int64_t nt1 = (N1 + GK_MMA_BN - 1) / GK_MMA_BN;
  int64_t nt2 = (N2 + GK_MMA_BN - 1) / GK_MMA_BN;
  int64_t tiles = mt * (nt0 + nt1 + nt2);
  for (int64_t tile = gk_block_id(); tile < tiles; tile += gk_grid_dim()) {
    int64_t nt = tile / mt, m0 = tile % mt * GK_MMA_BM;
    float *y = y0;
    const void *w = w0;
    const float *bias = b0;
    int64_t N = N0;
    if (nt >= nt0 + nt1) {
      y = y2, w = w2, bias = b2, N = N2, nt -= nt0 + nt1;
    } else if (nt >= nt0) {
      y = y1, w = w1, bias = b1, N = N1, nt -= nt0;
    }
    gk_mma_tile(y, (const uint8_t *)w, bias, N, m0, nt * GK_MMA_BN, x, M, K,
                fmt, group, xs, ws);
  }
}

void ingot_gk_mma_matmul(float *y0, const void *w0, const float *b0, int64_t N0,
                         float *y1, const void *w1, const float *b1, int64_t N1,
                         float *y2, const void *w2, const float *b2, int64_t N2,
                         const float *x, int64_t M, int64_t K, int32_t fmt,
                         int32_t group) {
  switch (fmt) {
#define GK_MMA_CASE(F)                                                         \
  case F:                                                                      \
    gk_mma_tiles(y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, x, M, K, F,   \
                 group);                                                       \
    return;
    GK_MMA_CASE(INGOT_W_F32)
    GK_MMA_CASE(INGOT_W_F16)
    GK_MMA_CASE(INGOT_W_BF16)
    GK_MMA_CASE(INGOT_W_Q8_0)
    GK_MMA_CASE(INGOT_W_Q4_0)
    GK_MMA_CASE(INGOT_W_Q4_1)
    GK_MMA_CASE(INGOT_W_Q5_0)
    GK_MMA_CASE(INGOT_W_Q5_1)
    GK_MMA_CASE(INGOT_W_Q4_K)
    GK_MMA_CASE(INGOT_W_Q5_K)
    GK_MMA_CASE(INGOT_W_Q6_K)
    GK_MMA_CASE(INGOT_W_G8_SYM)
    GK_MMA_CASE(INGOT_W_G8_ASYM)
    GK_MMA_CASE(INGOT_W_G4_SYM)
    GK_MMA_CASE(INGOT_W_G4_ASYM)
#undef GK_MMA_CASE
  }
}
