//===- GPUKernelPTX.h - The GPU ukernels as embedded PTX --------*- C++ -*-===//
//
// The kernels of compiler/ukernels/gpu compiled by clang-22 to PTX (ISA
// 8.0) once per architecture when ingotc is built; ingotc assembles them
// with ptxas for the architectures a model is compiled for.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_UKERNELS_GPU_GPUKERNELPTX_H
#define INGOT_COMPILER_UKERNELS_GPU_GPUKERNELPTX_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace ingot::gpu {

/// The PTX text of every ingot_gk_* kernel for `arch` ("sm_80", "sm_86",
/// "sm_89", "sm_90", "sm_90a"); empty for any other. The text is followed
/// by a NUL byte (cuModuleLoadData takes it as it is).
llvm::StringRef kernelPTX(llvm::StringRef arch);

/// The architectures kernelPTX knows.
llvm::ArrayRef<llvm::StringRef> kernelArchs();

/// The kernels' entry names, in gk_kernels.def's order.
llvm::ArrayRef<llvm::StringRef> kernelNames();

} // namespace ingot::gpu

#endif // INGOT_COMPILER_UKERNELS_GPU_GPUKERNELPTX_H
