//===- RuntimeBitcode.h - The runtime as embedded bitcode -------*- C++ -*-===//

#ifndef INGOT_COMPILER_TARGET_CPU_RUNTIMEBITCODE_H
#define INGOT_COMPILER_TARGET_CPU_RUNTIMEBITCODE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Triple.h"

namespace ingot::cpu {
/// The runtime library (runtime/src, without main) as bitcode for `triple`:
/// x86_64 and aarch64 Linux with the GNU C library. Empty for other
/// targets.
llvm::StringRef getRuntimeBitcode(const llvm::Triple &triple);
/// The CLI `main` of standalone executables (runtime/src/main.c) for
/// `triple`; empty where getRuntimeBitcode is.
llvm::StringRef getMainBitcode(const llvm::Triple &triple);
} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_RUNTIMEBITCODE_H
