//===- GPUKernelPTX.cpp - The GPU ukernels as embedded PTX ----------------===//

#include "compiler/ukernels/gpu/GPUKernelPTX.h"

#include "llvm/ADT/StringSwitch.h"

// Placed by ingot_embed_files (cmake/IngotBitcode.cmake).
#define INGOT_GK_PTX(arch)                                                     \
  extern "C" const char ingot_gk_ptx_##arch[], ingot_gk_ptx_##arch##_end[];
INGOT_GK_PTX(sm_80)
INGOT_GK_PTX(sm_86)
INGOT_GK_PTX(sm_89)
INGOT_GK_PTX(sm_90)
INGOT_GK_PTX(sm_90a)
#undef INGOT_GK_PTX

namespace {
llvm::StringRef embedded(const char *begin, const char *end) {
  return llvm::StringRef(begin, end - begin);
}
} // namespace

llvm::StringRef ingot::gpu::kernelPTX(llvm::StringRef arch) {
  return llvm::StringSwitch<llvm::StringRef>(arch)
      .Case("sm_80", embedded(ingot_gk_ptx_sm_80, ingot_gk_ptx_sm_80_end))
      .Case("sm_86", embedded(ingot_gk_ptx_sm_86, ingot_gk_ptx_sm_86_end))
      .Case("sm_89", embedded(ingot_gk_ptx_sm_89, ingot_gk_ptx_sm_89_end))
      .Case("sm_90", embedded(ingot_gk_ptx_sm_90, ingot_gk_ptx_sm_90_end))
      .Case("sm_90a", embedded(ingot_gk_ptx_sm_90a, ingot_gk_ptx_sm_90a_end))
      .Default(llvm::StringRef());
}

llvm::ArrayRef<llvm::StringRef> ingot::gpu::kernelArchs() {
  static const llvm::StringRef archs[] = {"sm_80", "sm_86", "sm_89", "sm_90",
                                          "sm_90a"};
  return archs;
}

llvm::ArrayRef<llvm::StringRef> ingot::gpu::kernelNames() {
#define INGOT_GK_ARG(index, type, name)
#define INGOT_GK_KERNEL(name, ...) #name,
  static const llvm::StringRef names[] = {
#include "compiler/ukernels/gpu/gk_kernels.def"
  };
  return names;
}
