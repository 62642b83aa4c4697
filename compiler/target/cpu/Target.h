//===- Target.h - One CPU: choosing it, linking kernels, emitting -*- C++ -*-===//
//
// The CPU a model is compiled for (host, a named CPU, or a triple for
// cross-compiling), which ukernel bitcode variant suits it, and the steps
// after lowering: link the ukernels (and the runtime) into the module,
// optimize them together, and write an object, assembly, LLVM IR, a static
// library or an executable.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_TARGET_H
#define INGOT_COMPILER_TARGET_CPU_TARGET_H

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>
#include <vector>

namespace ingot::cpu {

struct TargetSpec {
  std::string triple;   ///< e.g. x86_64-unknown-linux-gnu
  std::string cpu;      ///< e.g. znver3, x86-64-v3, neoverse-v2
  std::string features; ///< LLVM feature string (host: detected)
  /// The ukernel bitcode variant: x86_64, x86_64-avx2, x86_64-avx512,
  /// aarch64, aarch64-dotprod.
  std::string variant;
};

/// The target of `--cpu` / `--triple` (both empty: the host). Errors name
/// the option and the accepted values.
llvm::Expected<TargetSpec> resolveTarget(llvm::StringRef cpu,
                                         llvm::StringRef triple);

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetSpec &spec);

/// Links `bitcode` (a ukernel or runtime library for the target) into
/// `module`. With `internalize`, the linked definitions become internal so
/// LLVM specializes them into the callers and drops what is unused.
llvm::Error linkBitcode(llvm::Module &module, llvm::StringRef bitcode,
                        llvm::StringRef what, bool internalize);

/// Sets the triple, data layout and every function's target-cpu/features,
/// then runs LLVM's -O3 pipeline.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine);

enum class FileKind { Object, Assembly };

/// The module compiled to an object file or assembly text.
llvm::Expected<std::string> emitCode(llvm::Module &module,
                                     llvm::TargetMachine &machine,
                                     FileKind kind);

/// A static archive (`ar`, GNU format, deterministic) of `objects` (name,
/// bytes) and of the object files `files` (name, path), which are mapped,
/// not read into memory.
llvm::Error writeStaticLibrary(
    llvm::StringRef path,
    llvm::ArrayRef<std::pair<std::string, std::string>> objects,
    llvm::ArrayRef<std::pair<std::string, std::string>> files = {});

/// Links the object files at `objectPaths` into an executable or shared
/// library at `outputPath` with the system C compiler driver (cc, or
/// clang-22), adding libm, libpthread and libdl.
llvm::Error linkWithSystemCompiler(llvm::ArrayRef<std::string> objectPaths,
                                   llvm::StringRef outputPath, bool shared,
                                   llvm::StringRef triple);

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_TARGET_H
