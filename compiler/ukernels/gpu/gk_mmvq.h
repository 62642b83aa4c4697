/*===- gk_mmvq.h - Matmul with q8 activations and dp4a ---------*- C -*-===
 *
 * The decode path of ingot_gk_matmul and ingot_gk_matmul_multi (few
 * activation rows, 32-element GGUF blocks): gk_mmvq.c. Plain C, included
 * by the kernels, the runtime's launchers (for their grid) and the tests.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_COMPILER_UKERNELS_GPU_GK_MMVQ_H
#define INGOT_COMPILER_UKERNELS_GPU_GK_MMVQ_H

#include "compiler/ukernels/ukernels.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Most activation rows the path takes. */
#define INGOT_GK_MMVQ_MAX_M 8
/* Most activation codes (M·K) a block holds in shared memory: 16 KiB of
 * int8 codes plus two floats per 32 (20 KiB in all). */
#define INGOT_GK_MMVQ_MAX_CODES 16384

/* Whether ingot_gk_matmul(_multi) of M rows of K with weights `fmt` takes
 * the q8-activation path: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 weights with K a
 * multiple of 32, Q4_K, Q5_K, Q6_K with K a multiple of 256,
 * 1 <= M <= INGOT_GK_MMVQ_MAX_M and M·K codes fitting the block's shared
 * memory. Otherwise the f32 path runs. */
static inline int ingot_gk_mmvq_applies(int32_t fmt, int64_t M, int64_t K) {
  int blocks = (fmt >= INGOT_W_Q8_0 && fmt <= INGOT_W_Q5_1 && K % 32 == 0) ||
               (fmt >= INGOT_W_Q4_K && fmt <= INGOT_W_Q6_K && K % 256 == 0);
  return blocks && K > 0 && M >= 1 && M <= INGOT_GK_MMVQ_MAX_M &&
         M * K <= INGOT_GK_MMVQ_MAX_CODES;
}

/* y_i[M][N_i] = x[M][K] · w_iᵀ (+ b_i) for the (up to) three matrices,
 * when ingot_gk_mmvq_applies(fmt, M, K); called by every thread of every
 * block (it has block barriers). */
void ingot_gk_mmvq(float *y0, const void *w0, const float *b0, int64_t N0,
                   float *y1, const void *w1, const float *b1, int64_t N1,
                   float *y2, const void *w2, const float *b2, int64_t N2,
                   const float *x, int64_t M, int64_t K, int32_t fmt);

#ifdef __cplusplus
}
#endif

#endif /* INGOT_COMPILER_UKERNELS_GPU_GK_MMVQ_H */
