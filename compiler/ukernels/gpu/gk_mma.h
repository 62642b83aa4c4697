/*===- gk_mma.h - The tensor-core matmul's tiles and entry -----*- C -*-===
 *
 * ingot_gk_matmul and ingot_gk_matmul_multi hand M >= GK_MMA_MIN_M to
 * gk_mma.c (tensor cores, f16 inputs, f32 sums). Its block computes a
 * GK_MMA_BM x GK_MMA_BN tile of one matrix; the runtime's launchers size
 * their grids with GK_MMA_TILES (any grid is correct: blocks take tiles
 * round the grid). The runtime includes this header for the macros.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_COMPILER_UKERNELS_GPU_GK_MMA_H
#define INGOT_COMPILER_UKERNELS_GPU_GK_MMA_H

/* Rows of activations from which the matmul uses the tensor cores. */
#define GK_MMA_MIN_M 16
/* A block's output tile: rows (activation rows) x columns (weight rows). */
#define GK_MMA_BM 64
#define GK_MMA_BN 64
/* Tiles of an M x N output. */
#define GK_MMA_TILES(M, N)                                                     \
  ((((M) + GK_MMA_BM - 1) / GK_MMA_BM) * (((N) + GK_MMA_BN - 1) / GK_MMA_BN))

#include <stdint.h>

/* y_i[M][N_i] = x[M][K] · w_iᵀ (+ b_i) for the (up to) three matrices of
 * one format, on tensor cores; all threads of every block call it. `fmt`
 * and `group` must be supported (gk_weight_supported). */
void ingot_gk_mma_matmul(float *y0, const void *w0, const float *b0, int64_t N0,
                         float *y1, const void *w1, const float *b1, int64_t N1,
                         float *y2, const void *w2, const float *b2, int64_t N2,
                         const float *x, int64_t M, int64_t K, int32_t fmt,
                         int32_t group);

#endif /* INGOT_COMPILER_UKERNELS_GPU_GK_MMA_H */
