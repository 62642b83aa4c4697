//===- CUDATarget.h - NVIDIA GPUs: device code for a model -----*- C++ -*-===//
//
// The CUDA target reuses the CPU lowering for the host side: the step
// function's ukernel calls become calls of the runtime's launchers
// (`ingot_cuda_uk_X`, runtime/src/cuda.c), which launch the GPU ukernel
// `ingot_gk_X` (compiler/ukernels/gpu/). The device code is the GPU
// ukernels' PTX, built per architecture when ingotc is built, and a cubin
// per architecture from ptxas, embedded as the descriptor's ingot_gpu_code.
// docs/backend-cuda.md tells the whole story.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CUDA_CUDATARGET_H
#define INGOT_COMPILER_TARGET_CUDA_CUDATARGET_H

#include "compiler/target/cpu/Compile.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace ingot::cuda {

struct CUDASpec {
  /// The architectures to compile for, lowest first: "sm_80", "sm_90a".
  std::vector<std::string> archs;
  /// Where the CUDA toolkit is (--cuda-path); empty: $CUDA_HOME,
  /// /usr/local/cuda, then PATH.
  std::string cudaPath;
};

/// The architectures Ingot compiles for.
llvm::ArrayRef<llvm::StringRef> knownArchs();

/// Parses the list after `cuda:` ("sm_80,sm_90a"). Errors are one line.
llvm::Expected<CUDASpec> parseCUDATarget(llvm::StringRef list);

/// Compiles `graph` for `spec`'s GPUs: the host code for x86-64 Linux
/// (`options.target`), the device code embedded. Errors are one line;
/// warnings (no ptxas) go to the result's lowered.warnings.
llvm::Expected<cpu::CompileResult> compileForCUDA(mlir::ModuleOp graph,
                                                  cpu::WeightPacker &packer,
                                                  cpu::CompileOptions options,
                                                  const CUDASpec &spec);

/// Rewrites the host module's ukernel calls into launcher calls, refusing
/// (one line) a kernel or format the GPU kernels lack.
llvm::Error rewriteKernelCalls(llvm::Module &module,
                               const cpu::LoweredModel &lowered,
                               llvm::StringRef target);

/// The images for `spec`: a cubin per architecture when ptxas is found
/// (else none, and a warning), and the PTX of the lowest architecture.
struct DeviceImage {
  bool cubin = false;
  unsigned arch = 0; ///< 80, 86, 89, 90
  bool archSpecific = false;
  std::string bytes;
};
llvm::Expected<std::vector<DeviceImage>>
buildImages(const CUDASpec &spec, std::vector<std::string> &warnings);

/// The ptxas to use, or "" (searched as CUDASpec::cudaPath says).
std::string findPtxas(llvm::StringRef cudaPath);

} // namespace ingot::cuda

#endif // INGOT_COMPILER_TARGET_CUDA_CUDATARGET_H
