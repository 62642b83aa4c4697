/*===- gpu.h - One source for the device and the host ----------*- C -*-===
 *
 * The portability layer of the GPU ukernels: each kernel is written once
 * against these names and compiled
 *
 *   - for NVPTX (__NVPTX__): clang's NVVM builtins, block-shared
 *     arrays in address space 3;
 *   - for the host: calls into the SIMT executor (simt.c), which runs each
 *     GPU thread of a block as a fiber. Barriers, warp shuffles and warp
 *     syncs switch fibers; a block-shared array is one buffer per block
 *     call site, filled with 0xff bytes (a float NaN) when the block
 *     starts, so a read before the write that a barrier should order shows
 *     up as a NaN or a wrong value rather than as the right answer.
 *
 * Every shuffle and warp sync is convergent: all 32 lanes of the warp call
 * it (kernels keep the lanes of a warp together and mask work instead).
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_COMPILER_UKERNELS_GPU_GPU_H
#define INGOT_COMPILER_UKERNELS_GPU_GPU_H

#include <stddef.h>
#include <stdint.h>

#define GK_WARP 32

/* Before a loop of a constant trip count whose per-iteration arrays must
 * stay in registers. */
#if defined(__clang__)
#define GK_UNROLL _Pragma("unroll")
#else
#define GK_UNROLL _Pragma("GCC unroll 8")
#endif

#if defined(__NVPTX__)

/* clang's NVPTX builtins (what <gpuintrin.h> wraps; that header needs GNU
 * C for its inline assembly). */
#define GK_KERNEL __attribute__((nvptx_kernel, visibility("protected"))) void
#define GK_INLINE static inline __attribute__((always_inline))

GK_INLINE uint32_t gk_thread_id(void) { return __nvvm_read_ptx_sreg_tid_x(); }
GK_INLINE uint32_t gk_block_dim(void) { return __nvvm_read_ptx_sreg_ntid_x(); }
GK_INLINE uint32_t gk_block_id(void) { return __nvvm_read_ptx_sreg_ctaid_x(); }
GK_INLINE uint32_t gk_grid_dim(void) { return __nvvm_read_ptx_sreg_nctaid_x(); }
/* The block barrier (bar.sync 0). */
#define gk_barrier() __syncthreads()
/* All 32 lanes of the warp meet (bar.warp.sync). */
#define gk_warp_sync() __nvvm_bar_warp_sync(0xffffffffu)
GK_INLINE uint32_t gk_shfl_xor_u32(uint32_t v, uint32_t mask) {
  return __nvvm_shfl_sync_bfly_i32(0xffffffffu, v, mask, 0x1f);
}
GK_INLINE uint32_t gk_shfl_idx_u32(uint32_t v, uint32_t lane) {
  return __nvvm_shfl_sync_idx_i32(0xffffffffu, v, lane, 0x1f);
}
/* `T name[n]` shared by the threads of a block (n a constant). */
#define GK_SHARED(T, name, n)                                                  \
  static __attribute__((address_space(3))) T name##_shared[n];                 \
  T *name = (T *)name##_shared
/* No fused multiply-add in the enclosing body (bit-exact encodings). */
#define GK_NO_CONTRACT _Pragma("clang fp contract(off)")
/* d = a·b + c over the warp: mma.sync.aligned.m16n8k16.row.col with f16
 * inputs and f32 accumulators (sm_80+); the fragments are described
 * below. */
GK_INLINE void gk_mma_m16n8k16(float d[4], const uint32_t a[4],
                               const uint32_t b[2], const float c[4]) {
  __asm__ volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),
        "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}

/* c + the dot product of the four signed bytes of a and of b (dp4a; clang
 * 22 has no builtin for it). */
GK_INLINE int32_t gk_dp4a(uint32_t a, uint32_t b, int32_t c) {
  int32_t r;
  __asm__("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
  return r;
}

#else /* the host, under the SIMT executor */

#define GK_KERNEL void
#define GK_INLINE static inline

#ifdef __cplusplus
extern "C" {
#endif
uint32_t ingot_simt_thread_id(void);
uint32_t ingot_simt_block_dim(void);
uint32_t ingot_simt_block_id(void);
uint32_t ingot_simt_grid_dim(void);
void ingot_simt_barrier(const char *file, int line);
void ingot_simt_warp_sync(const char *file, int line);
uint32_t ingot_simt_shfl(uint32_t v, int xor_mode, uint32_t arg,
                         const char *file, int line);
void *ingot_simt_shared(const void *site, size_t bytes);
void ingot_simt_mma(float d[4], const uint32_t a[4], const uint32_t b[2],
                    const float c[4], const char *file, int line);
#ifdef __cplusplus
}
#endif

GK_INLINE uint32_t gk_thread_id(void) { return ingot_simt_thread_id(); }
GK_INLINE uint32_t gk_block_dim(void) { return ingot_simt_block_dim(); }
GK_INLINE uint32_t gk_block_id(void) { return ingot_simt_block_id(); }
GK_INLINE uint32_t gk_grid_dim(void) { return ingot_simt_grid_dim(); }
#define gk_barrier() ingot_simt_barrier(__FILE__, __LINE__)
#define gk_warp_sync() ingot_simt_warp_sync(__FILE__, __LINE__)
#define gk_shfl_xor_u32(v, mask)                                               \
  ingot_simt_shfl((v), 1, (mask), __FILE__, __LINE__)
#define gk_shfl_idx_u32(v, lane)                                               \
  ingot_simt_shfl((v), 0, (lane), __FILE__, __LINE__)
#define GK_SHARED(T, name, n)                                                  \
  static const char name##_site = 0;                                           \
  T *name = (T *)ingot_simt_shared(&name##_site, sizeof(T) * (size_t)(n))
#define gk_mma_m16n8k16(d, a, b, c)                                            \
  ingot_simt_mma((d), (a), (b), (c), __FILE__, __LINE__)
#if defined(__clang__)
#define GK_NO_CONTRACT _Pragma("clang fp contract(off)")
#else
#define GK_NO_CONTRACT /* GCC in ISO C mode does not contract */
#endif
/* dp4a on the host: the same sum, exactly (no overflow for the kernels'
 * codes: |Σ| <= 4·128·128 + |c|). */
GK_INLINE int32_t gk_dp4a(uint32_t a, uint32_t b, int32_t c) {
  for (int i = 0; i < 32; i += 8)
    c +=
        (int32_t)(int8_t)(uint8_t)(a >> i) * (int32_t)(int8_t)(uint8_t)(b >> i);
  return c;
}

#endif

GK_INLINE uint32_t gk_lane(void) { return gk_thread_id() % GK_WARP; }
GK_INLINE uint32_t gk_warp(void) { return gk_thread_id() / GK_WARP; }
GK_INLINE uint32_t gk_warps(void) { return gk_block_dim() / GK_WARP; }

GK_INLINE float gk_u32_as_f32(uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
GK_INLINE uint32_t gk_f32_as_u32(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  return u;
}

/* The warp-wide tensor-core product gk_mma_m16n8k16(d, a, b, c):
 * D (16x8, f32) = A (16x16, f16) · B (16x8, f16) + C (16x8, f32), each
 * lane holding the fragments of the PTX ISA's mma.m16n8k16 layout, with
 * g = lane / 4 and t = lane % 4 (a pair {x, y} of halves is one u32, x in
 * the low 16 bits):
 *   a[0] = {A[g][2t], A[g][2t+1]}        a[1] = {A[g+8][2t], A[g+8][2t+1]}
 *   a[2] = {A[g][2t+8], A[g][2t+9]}      a[3] = {A[g+8][2t+8], A[g+8][2t+9]}
 *   b[0] = {B[2t][g], B[2t+1][g]}        b[1] = {B[2t+8][g], B[2t+9][g]}
 *   c[0], c[1] = C[g][2t], C[g][2t+1]    c[2], c[3] = C[g+8][2t], C[g+8][2t+1]
 * and d as c. All 32 lanes call it. On the host the executor gathers the
 * 32 lanes' fragments, forms the product (the f16 products are exact; each
 * element's 16 products and c summed in double, then rounded once to f32)
 * and hands each lane its d. */

/* Shuffles of floats. */
#define gk_shfl_xor_f32(v, mask)                                               \
  gk_u32_as_f32(gk_shfl_xor_u32(gk_f32_as_u32(v), (mask)))
#define gk_shfl_idx_f32(v, lane)                                               \
  gk_u32_as_f32(gk_shfl_idx_u32(gk_f32_as_u32(v), (lane)))

#endif /* INGOT_COMPILER_UKERNELS_GPU_GPU_H */
