//===- RuntimeBitcode.h - The runtime as embedded bitcode -------*- C++ -*-===//

#ifndef INGOT_COMPILER_TARGET_CPU_RUNTIMEBITCODE_H
#define INGOT_COMPILER_TARGET_CPU_RUNTIMEBITCODE_H

#include "llvm/ADT/StringRef.h"

namespace ingot::cpu {
/// The triple the embedded runtime was compiled for (the build machine's
/// architecture); executables and libraries can only be made for it.
llvm::StringRef getRuntimeTriple();
/// The runtime library (runtime/src, without main) as bitcode.
llvm::StringRef getRuntimeBitcode();
/// The CLI `main` of standalone executables (runtime/src/main.c).
llvm::StringRef getMainBitcode();
} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_RUNTIMEBITCODE_H
