//===- GPUKernelPTXTool.cpp - Prints the embedded GPU ukernel PTX ---------===//
//
//   ingot-gk-ptx --dump-ptx ARCH   the PTX text ingotc embeds for ARCH
//   ingot-gk-ptx --list            the kernel names, one a line
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/gpu/GPUKernelPTX.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

int main(int argc, char **argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (llvm::StringRef name : ingot::gpu::kernelNames())
      llvm::outs() << name << "\n";
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "--dump-ptx") == 0) {
    llvm::StringRef ptx = ingot::gpu::kernelPTX(argv[2]);
    if (ptx.empty()) {
      llvm::errs() << "ingot-gk-ptx: no PTX for '" << argv[2]
                   << "' (sm_80, sm_86, sm_89, sm_90, sm_90a)\n";
      return 1;
    }
    llvm::outs() << ptx;
    return 0;
  }
  llvm::errs() << "usage: ingot-gk-ptx --dump-ptx ARCH | --list\n";
  return 1;
}
