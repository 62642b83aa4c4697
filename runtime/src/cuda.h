/*===- cuda.h - GPU models on the NVIDIA driver ----------------*- C -*-===
 *
 * The runtime's CUDA path (cuda.c): the driver (libcuda) is loaded with
 * dlopen when a GPU model opens, so nothing is linked against CUDA and a
 * machine without a driver gets one line of error. A GPU model's device code
 * (ingot_gpu_code, ingot_abi.h) is loaded on device 0 in its primary
 * context; model.c allocates the weights, the arena, the KV cache and the
 * token and logits buffers in device memory and runs the forward function,
 * which calls the launchers ingot_cuda_uk_* below, between
 * ingot_cuda_begin and ingot_cuda_end.
 *
 * Every function that can fail returns an ingot_status and writes one line
 * to `error` that says what to do about it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_RUNTIME_CUDA_H
#define INGOT_RUNTIME_CUDA_H

#include "runtime/include/ingot.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The driver, device 0's primary context, the model's module and its
 * kernels' handles. */
typedef struct ingot_cuda ingot_cuda;

/* A device address (CUdeviceptr). */
typedef uint64_t ingot_cuda_ptr;

/* Loads the driver (INGOT_CUDA_DRIVER, else libcuda.so.1, else
 * libcuda.so), initializes it, retains device 0's primary context, loads
 * the image of `code` that fits the device (ingot_cuda_pick_image) and looks
 * up every ingot_gk_* kernel the launchers use. On failure everything done
 * so far is undone and *out is null. */
ingot_status ingot_cuda_open(ingot_cuda **out, const ingot_gpu_code *code,
                             char *error, size_t error_size);
void ingot_cuda_close(ingot_cuda *cuda);

/* "NVIDIA H100 80GB HBM3 (sm_90)": for messages and -v. */
const char *ingot_cuda_device_name(const ingot_cuda *cuda);

/* Which image of `code` to load on a device of compute capability `arch`
 * (major * 10 + minor): the cubin of the highest architecture the device
 * runs (same major, minor <= the device's; an `a` cubin such as sm_90a only
 * on exactly that device, and preferred there), else the PTX image of the
 * highest architecture <= the device's (JIT-compiled by the driver), else
 * -1. */
int ingot_cuda_pick_image(const ingot_gpu_code *code, int arch);

/* Device memory of `bytes` (at least 256) for `what` ("the weights", "the
 * KV cache"): out of memory says how much was needed and how much is free. */
ingot_status ingot_cuda_alloc(ingot_cuda *cuda, uint64_t bytes,
                              const char *what, ingot_cuda_ptr *out,
                              char *error, size_t error_size);
void ingot_cuda_free(ingot_cuda *cuda, ingot_cuda_ptr ptr);
ingot_status ingot_cuda_zero(ingot_cuda *cuda, ingot_cuda_ptr ptr,
                             uint64_t bytes, char *error, size_t error_size);
ingot_status ingot_cuda_upload(ingot_cuda *cuda, ingot_cuda_ptr dst,
                               const void *src, uint64_t bytes, char *error,
                               size_t error_size);
ingot_status ingot_cuda_download(ingot_cuda *cuda, void *dst,
                                 ingot_cuda_ptr src, uint64_t bytes,
                                 char *error, size_t error_size);

/* A stream for one session's steps (null on failure). */
ingot_status ingot_cuda_stream_create(ingot_cuda *cuda, void **stream,
                                      char *error, size_t error_size);
void ingot_cuda_stream_destroy(ingot_cuda *cuda, void *stream);

/* Around one forward call on the calling thread: begin makes `cuda` and
 * `stream` what the launchers use (the context made current; one step at a
 * time in the process: another thread's begin waits for this end); end
 * waits for the stream and returns the first launch error of the step, or
 * the stream's. */
ingot_status ingot_cuda_begin(ingot_cuda *cuda, void *stream, char *error,
                              size_t error_size);
ingot_status ingot_cuda_end(char *error, size_t error_size);

/* The launchers the generated code calls in place of the CPU ukernels: each
 * has exactly the signature of ingot_uk_X (compiler/ukernels/ukernels.def;
 * cuda.c checks it at compile time) and launches ingot_gk_X with the same
 * arguments minus scratch, sync, ith and nth, INGOT_CUDA_BLOCK threads per
 * block, on the stream given to ingot_cuda_begin. Called outside a
 * begin/end pair they do nothing. */
#define INGOT_CUDA_BLOCK 256 /* INGOT_GK_BLOCK */

struct ingot_uk_sync;

void ingot_cuda_uk_matmul(float *y, const float *x, const void *w,
                          const float *bias, int64_t M, int64_t N, int64_t K,
                          int32_t fmt, int32_t group, void *scratch,
                          struct ingot_uk_sync *sync, int32_t ith, int32_t nth);
void ingot_cuda_uk_matmul_multi(float *y0, const void *w0, const float *b0,
                                int64_t N0, float *y1, const void *w1,
                                const float *b1, int64_t N1, float *y2,
                                const void *w2, const float *b2, int64_t N2,
                                const float *x, int64_t M, int64_t K,
                                int32_t fmt, int32_t group, void *scratch,
                                struct ingot_uk_sync *sync, int32_t ith,
                                int32_t nth);
void ingot_cuda_uk_embedding(float *y, const int32_t *ids, int64_t n,
                             const void *table, int64_t V, int64_t D,
                             int32_t fmt, int32_t group, int32_t ith,
                             int32_t nth);
void ingot_cuda_uk_rms_norm(float *y, const float *x, const float *w,
                            int64_t rows, int64_t D, float eps, int32_t ith,
                            int32_t nth);
void ingot_cuda_uk_layer_norm(float *y, const float *x, const float *w,
                              const float *b, int64_t rows, int64_t D,
                              float eps, int32_t ith, int32_t nth);
void ingot_cuda_uk_rope(float *y, const float *x, const int32_t *pos, int64_t n,
                        int64_t H, int64_t D, int64_t rot,
                        const float *inv_freq, float mscale, int32_t style,
                        int32_t ith, int32_t nth);
void ingot_cuda_uk_attention(
    float *out, const float *q, const float *k, const float *v, void *kcache,
    void *vcache, int64_t n, int64_t start, int64_t Hq, int64_t Hkv, int64_t D,
    float scale, int32_t mask, int64_t window, float softcap, int32_t kfmt,
    int32_t vfmt, const float *kbook, const float *vbook, int32_t numerics,
    float *scratch, struct ingot_uk_sync *sync, int32_t ith, int32_t nth);
void ingot_cuda_uk_binary(float *y, const float *a, const float *b,
                          int64_t rows, int64_t cols, int64_t b_rows,
                          int64_t b_cols, int32_t op, int32_t ith, int32_t nth);
void ingot_cuda_uk_unary(float *y, const float *x, int64_t count, int32_t op,
                         int32_t ith, int32_t nth);
void ingot_cuda_uk_iota(int32_t *out, int64_t n, int64_t base, int32_t ith,
                        int32_t nth);
void ingot_cuda_uk_copy(void *dst, const void *src, int64_t bytes, int32_t ith,
                        int32_t nth);
void ingot_cuda_uk_clamp(float *y, const float *x, int64_t count, float lo,
                         float hi, int32_t ith, int32_t nth);
void ingot_cuda_uk_hadamard(float *y, const float *x, int64_t rows, int64_t D,
                            const float *signs, int32_t inverse, int32_t ith,
                            int32_t nth);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_CUDA_H */
