/*===- gk_host.h - The GPU ukernels compiled for the host ------*- C -*-===
 *
 * The device kernels (ingot_gk_*) built for the host under the SIMT
 * executor, for the unit tests and the test driver (test/fakecuda). A
 * kernel's thunk takes the launch's parameters as the CUDA driver's
 * cuLaunchKernel does: params[i] points at the value of parameter i.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_COMPILER_UKERNELS_GPU_GK_HOST_H
#define INGOT_COMPILER_UKERNELS_GPU_GK_HOST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads per block of every ingot_gk_* kernel. */
#define INGOT_GK_BLOCK 256

typedef struct ingot_gk_host_kernel {
  const char *name; /* "ingot_gk_matmul", as in the PTX */
  void (*thunk)(void **params);
} ingot_gk_host_kernel;

extern const ingot_gk_host_kernel ingot_gk_host_kernels[];
extern const int ingot_gk_host_kernel_count;

/* The kernel named `name`, or null. */
const ingot_gk_host_kernel *ingot_gk_host_find(const char *name);

/* Runs `kernel` over grid[0]*grid[1]*grid[2] blocks of block[0]*block[1]*
 * block[2] threads, as a GPU would (every thread a fiber; blocks one after
 * another). Returns 0, or non-zero with one line in `error`: a block larger
 * than 1024 threads, threads of one block that reach different barriers
 * (undefined behaviour on a GPU), a fault the executor can detect. */
int ingot_simt_launch(const ingot_gk_host_kernel *kernel, void **params,
                      const unsigned grid[3], const unsigned block[3],
                      size_t dynamic_shared_bytes, char *error,
                      size_t error_size);

/* The kernels' math (gk_common.h) as built for the host, for the tests
 * against libm. */
float ingot_gk_host_expf(float x);
float ingot_gk_host_expm1f(float x);
float ingot_gk_host_tanhf(float x);
float ingot_gk_host_erff(float x);
void ingot_gk_host_sincos(double a, double *s, double *c);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_COMPILER_UKERNELS_GPU_GK_HOST_H */
