/*===- gk_host.c - The table of host-built GPU ukernels -------------------===
 *
 * One thunk per kernel of gk_kernels.def, unpacking a launch's `void
 * **params` (params[i] points at parameter i's value) into the call.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/gpu/gk_host.h"
#include "compiler/ukernels/gpu/gk_common.h"
#include "compiler/ukernels/gpu/gk_kernels.h"

#include <string.h>

#define INGOT_GK_ARG(index, type, name) *(type *)params[index]
#define INGOT_GK_KERNEL(name, ...)                                             \
  static void name##_thunk(void **params) { name(__VA_ARGS__); }
#include "compiler/ukernels/gpu/gk_kernels.def"

#define INGOT_GK_ARG(index, type, name)
#define INGOT_GK_KERNEL(name, ...) {#name, name##_thunk},
const ingot_gk_host_kernel ingot_gk_host_kernels[] = {
#include "compiler/ukernels/gpu/gk_kernels.def"
};

const int ingot_gk_host_kernel_count =
    (int)(sizeof ingot_gk_host_kernels / sizeof ingot_gk_host_kernels[0]);

const ingot_gk_host_kernel *ingot_gk_host_find(const char *name) {
  for (int i = 0; i < ingot_gk_host_kernel_count; ++i)
    if (strcmp(ingot_gk_host_kernels[i].name, name) == 0)
      return &ingot_gk_host_kernels[i];
  return 0;
}

float ingot_gk_host_expf(float x) { return gk_expf(x); }
float ingot_gk_host_expm1f(float x) { return gk_expm1f(x); }
float ingot_gk_host_tanhf(float x) { return gk_tanhf(x); }
float ingot_gk_host_erff(float x) { return gk_erff(x); }
void ingot_gk_host_sincos(double a, double *s, double *c) {
  gk_sincos(a, s, c);
}
