//===- RuntimeBitcode.cpp - The runtime as embedded bitcode ---------------===//
//
// runtime/src compiled to bitcode for each CPU architecture
// (compiler/target/cpu/CMakeLists.txt), placed between these symbols by
// ingot_embed_files.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/RuntimeBitcode.h"

using namespace llvm;

#define INGOT_RUNTIME_ARCH(arch)                                               \
  extern "C" const char ingot_runtime_bc_##arch[],                             \
      ingot_runtime_bc_##arch##_end[], ingot_main_bc_##arch[],                 \
      ingot_main_bc_##arch##_end[];
INGOT_RUNTIME_ARCH(x86_64)
INGOT_RUNTIME_ARCH(aarch64)
#undef INGOT_RUNTIME_ARCH

namespace {
StringRef between(const char *begin, const char *end) {
  return StringRef(begin, end - begin);
}

/// The bitcode was compiled against glibc's headers for Linux, LP64 (not
/// x32 or ILP32).
bool isLinuxGNU(const Triple &triple) {
  return triple.isOSLinux() &&
         (triple.getEnvironment() == Triple::UnknownEnvironment ||
          triple.getEnvironment() == Triple::GNU);
}
} // namespace

StringRef ingot::cpu::getRuntimeBitcode(const Triple &triple) {
  if (!isLinuxGNU(triple))
    return {};
  switch (triple.getArch()) {
  case Triple::x86_64:
    return between(ingot_runtime_bc_x86_64, ingot_runtime_bc_x86_64_end);
  case Triple::aarch64:
    return between(ingot_runtime_bc_aarch64, ingot_runtime_bc_aarch64_end);
  default:
    return {};
  }
}

StringRef ingot::cpu::getMainBitcode(const Triple &triple) {
  if (!isLinuxGNU(triple))
    return {};
  switch (triple.getArch()) {
  case Triple::x86_64:
    return between(ingot_main_bc_x86_64, ingot_main_bc_x86_64_end);
  case Triple::aarch64:
    return between(ingot_main_bc_aarch64, ingot_main_bc_aarch64_end);
  default:
    return {};
  }
}
