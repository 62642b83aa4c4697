/*===- gk_matmul.c - Matmul, matmul_multi and embedding on the GPU --------===
 *
 * Matmul: one warp per output column n (weight row) and up to
 * GK_MATMUL_ROWS activation rows at a time. Quantized GGUF formats: lane l
 * decodes the 32-element units (blocks, or sub-blocks of the k-quants) l,
 * l + 32, ... (the warp reads consecutive blocks, each lane loads its
 * scales once per unit); plain and group formats: lane l reads elements
 * l, l + 32, ... (consecutive bytes). Every weight is decoded with the CPU
 * kernel's float operations; the warp sums its lanes with shuffles. Columns go
 *round the grid's warps, so any grid works. The format is dispatched once per
 *kernel, so each format's loop is compiled with its decoder inlined.
 *
 * From M = GK_MMA_MIN_M rows on, both kernels run the tensor-core matmul
 * of gk_mma.c instead (f16 inputs, f32 sums).
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/gpu/gk_common.h"
#include "compiler/ukernels/gpu/gk_kernels.h"
#include "compiler/ukernels/gpu/gk_mma.h"
#include "compiler/ukernels/gpu/gk_mmvq.h"

/* Activation rows per pass over a weight row (their sums in registers). */
#define GK_MATMUL_ROWS 4

/* Column n of y[M][ldy] = x[M][K] · row (+ bias[n]); the whole warp. */
GK_INLINE __attribute__((always_inline)) void
gk_matmul_column(float *y, int64_t ldy, const float *x, const uint8_t *row,
                 const float *bias, int64_t n, int64_t M, int64_t K,
                 const int32_t fmt, int32_t group) {
  uint32_t lane = gk_lane();
  for (int64_t m0 = 0; m0 < M; m0 += GK_MATMUL_ROWS) {
    int64_t mt = M - m0 < GK_MATMUL_ROWS ? M - m0 : GK_MATMUL_ROWS;
    const float *xr = x + m0 * K;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    if (gk_is_blocked(fmt)) {
      /* Lane l decodes 32-element units l, l + 32, ...: a warp reads 32
       * consecutive blocks (or sub-blocks), each lane its scales once. */
      for (int64_t u = lane; u < K / 32; u += GK_WARP) {
        const float *xu = xr + 32 * u;
        for (int j = 0; j < 32; ++j) {
          float w = gk_weight_unit(fmt, row, u, j);
          a0 += w * xu[j];
          if (mt > 1)
            a1 += w * xu[K + j];
          if (mt > 2)
            a2 += w * xu[2 * K + j];
          if (mt > 3)
            a3 += w * xu[3 * K + j];
        }
      }
    } else {
      /* Lane l reads elements l, l + 32, ...: consecutive bytes. */
      for (int64_t k = lane; k < K; k += GK_WARP) {
        float w = gk_weight(fmt, group, row, k);
        a0 += w * xr[k];
        if (mt > 1)
          a1 += w * xr[K + k];
        if (mt > 2)
          a2 += w * xr[2 * K + k];
        if (mt > 3)
          a3 += w * xr[3 * K + k];
      }
    }
    a0 = gk_warp_sum(a0); /* mt is the same in every lane */
    if (mt > 1)
      a1 = gk_warp_sum(a1);
    if (mt > 2)
      a2 = gk_warp_sum(a2);
    if (mt > 3)
      a3 = gk_warp_sum(a3);
    if (lane == 0) {
      float b = bias ? bias[n] : 0.0f;
      float *yr = y + m0 * ldy + n;
      yr[0] = a0 + b;
      if (mt > 1)
        yr[ldy] = a1 + b;
      if (mt > 2)
        yr[2 * ldy] = a2 + b;
      if (mt > 3)
        yr[3 * ldy] = a3 + b;
    }
  }
}

/* Columns [0, N0 + N1 + N2) of the (up to) three matmuls, one per warp of
 * the grid. */
GK_INLINE __attribute__((always_inline)) void
gk_matmul_cols(float *y0, const void *w0, const float *b0, int64_t N0,
               float *y1, const void *w1, const float *b1, int64_t N1,
               float *y2, const void *w2, const float *b2, int64_t N2,
               const float *x, int64_t M, int64_t K, const int32_t fmt,
               int32_t group) {
  int64_t rb = gk_row_bytes(fmt, group, K);
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
    gk_matmul_column(y, N, x, (const uint8_t *)w + n * rb, bias, n, M, K, fmt,
                     group);
  }
}

/* gk_matmul_cols with `fmt` a constant in each case. */
GK_INLINE void gk_matmul_any(float *y0, const void *w0, const float *b0,
                             int64_t N0, float *y1, const void *w1,
                             const float *b1, int64_t N1, float *y2,
                             const void *w2, const float *b2, int64_t N2,
                             const float *x, int64_t M, int64_t K, int32_t fmt,
                             int32_t group) {
  switch (fmt) {
#define GK_MATMUL_CASE(F)                                                      \
  case F:                                                                      \
    gk_matmul_cols(y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, x, M, K, F, \
                   group);                                                     \
    return;
    GK_MATMUL_CASE(INGOT_W_F32)
    GK_MATMUL_CASE(INGOT_W_F16)
    GK_MATMUL_CASE(INGOT_W_BF16)
    GK_MATMUL_CASE(INGOT_W_Q8_0)
    GK_MATMUL_CASE(INGOT_W_Q4_0)
    GK_MATMUL_CASE(INGOT_W_Q4_1)
    GK_MATMUL_CASE(INGOT_W_Q5_0)
    GK_MATMUL_CASE(INGOT_W_Q5_1)
    GK_MATMUL_CASE(INGOT_W_Q4_K)
    GK_MATMUL_CASE(INGOT_W_Q5_K)
    GK_MATMUL_CASE(INGOT_W_Q6_K)
    GK_MATMUL_CASE(INGOT_W_G8_SYM)
    GK_MATMUL_CASE(INGOT_W_G8_ASYM)
    GK_MATMUL_CASE(INGOT_W_G4_SYM)
    GK_MATMUL_CASE(INGOT_W_G4_ASYM)
#undef GK_MATMUL_CASE
  }
}

/* y_i = NaN: a format (or group) the kernels do not decode must not pass
 * as a result (the compiler refuses them; this catches a mismatch). */
GK_INLINE void gk_matmul_unsupported(float *y0, int64_t N0, float *y1,
                                     int64_t N1, float *y2, int64_t N2,
                                     int64_t M) {
  int64_t stride = (int64_t)gk_grid_dim() * gk_block_dim();
  for (int64_t e = (int64_t)gk_block_id() * gk_block_dim() + gk_thread_id();
       e < M * (N0 + N1 + N2); e += stride) {
    int64_t m = e / (N0 + N1 + N2), c = e % (N0 + N1 + N2);
    if (c < N0)
      y0[m * N0 + c] = __builtin_nanf("");
    else if (c < N0 + N1)
      y1[m * N1 + c - N0] = __builtin_nanf("");
    else
      y2[m * N2 + c - N0 - N1] = __builtin_nanf("");
  }
}

GK_KERNEL ingot_gk_matmul(float *y, const float *x, const void *w,
                          const float *bias, int64_t M, int64_t N, int64_t K,
                          int32_t fmt, int32_t group) {
  if (!gk_weight_supported(fmt, group)) {
    gk_matmul_unsupported(y, N, 0, 0, 0, 0, M);
    return;
  }
  if (M >= GK_MMA_MIN_M) { /* prefill: tensor cores */
    ingot_gk_mma_matmul(y, w, bias, N, 0, 0, 0, 0, 0, 0, 0, 0, x, M, K, fmt,
                        group);
    return;
  }
  if (ingot_gk_mmvq_applies(fmt, M, K)) { /* decode: q8 activations */
    ingot_gk_mmvq(y, w, bias, N, 0, 0, 0, 0, 0, 0, 0, 0, x, M, K, fmt);
    return;
  }
  gk_matmul_any(y, w, bias, N, 0, 0, 0, 0, 0, 0, 0, 0, x, M, K, fmt, group);
}

GK_KERNEL ingot_gk_matmul_multi(float *y0, const void *w0, const float *b0,
                                int64_t N0, float *y1, const void *w1,
                                const float *b1, int64_t N1, float *y2,
                                const void *w2, const float *b2, int64_t N2,
                                const float *x, int64_t M, int64_t K,
                                int32_t fmt, int32_t group) {
  if (!gk_weight_supported(fmt, group)) {
    gk_matmul_unsupported(y0, N0, y1, N1, y2, N2, M);
    return;
  }
  if (M >= GK_MMA_MIN_M) {
    ingot_gk_mma_matmul(y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, x, M, K,
                        fmt, group);
    return;
  }
  if (ingot_gk_mmvq_applies(fmt, M, K)) {
    ingot_gk_mmvq(y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, x, M, K, fmt);
    return;
  }
  gk_matmul_any(y0, w0, b0, N0, y1, w1, b1, N1, y2, w2, b2, N2, x, M, K, fmt,
                group);
}

/* y[i][d] = element d of row ids[i]: threads of the grid over the n·D
 * outputs, consecutive threads consecutive elements. */
GK_KERNEL ingot_gk_embedding(float *y, const int32_t *ids, int64_t n,
                             const void *table, int64_t V, int64_t D,
                             int32_t fmt, int32_t group) {
  int64_t rb = gk_row_bytes(fmt, group, D);
  int64_t stride = (int64_t)gk_grid_dim() * gk_block_dim();
  for (int64_t e = (int64_t)gk_block_id() * gk_block_dim() + gk_thread_id();
       e < n * D; e += stride) {
    int64_t i = e / D, d = e % D;
    int64_t id = ids[i];
    if (!gk_weight_supported(fmt, group))
      y[e] = __builtin_nanf(""); /* see gk_matmul_unsupported */
    else if (id < 0 || id >= V)
      y[e] = 0.0f;
    else
      y[e] = gk_weight(fmt, group, (const uint8_t *)table + id * rb, d);
  }
}
