/*===- gk_kernels.h - The GPU ukernels' prototypes -------------*- C -*-===
 *
 * From gk_kernels.def, so the C compiler checks each kernel's definition
 * against its entry there.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_COMPILER_UKERNELS_GPU_GK_KERNELS_H
#define INGOT_COMPILER_UKERNELS_GPU_GK_KERNELS_H

#include "compiler/ukernels/gpu/gpu.h"

#define INGOT_GK_ARG(index, type, name) type name
#define INGOT_GK_KERNEL(name, ...) GK_KERNEL name(__VA_ARGS__);
#include "compiler/ukernels/gpu/gk_kernels.def"

#endif /* INGOT_COMPILER_UKERNELS_GPU_GK_KERNELS_H */
