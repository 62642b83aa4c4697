//===- RuntimeBitcode.cpp - The runtime as embedded bitcode ---------------===//
//
// runtime/src compiled to bitcode for the build machine's architecture
// (compiler/target/cpu/CMakeLists.txt), placed between these symbols by
// ingot_embed_files.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/RuntimeBitcode.h"

extern "C" const char ingot_runtime_bc[], ingot_runtime_bc_end[];
extern "C" const char ingot_main_bc[], ingot_main_bc_end[];

llvm::StringRef ingot::cpu::getRuntimeTriple() { return INGOT_RUNTIME_TRIPLE; }

llvm::StringRef ingot::cpu::getRuntimeBitcode() {
  return llvm::StringRef(ingot_runtime_bc,
                         ingot_runtime_bc_end - ingot_runtime_bc);
}

llvm::StringRef ingot::cpu::getMainBitcode() {
  return llvm::StringRef(ingot_main_bc, ingot_main_bc_end - ingot_main_bc);
}
