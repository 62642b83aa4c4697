//===- Compile.h - From an optimized graph to files for one CPU -*- C++ -*-===//
//
// The CPU half of `ingotc`: lower the graph (Lowering.h), link the ukernels
// and the runtime, optimize, and write what `--emit` asks for.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_COMPILE_H
#define INGOT_COMPILER_TARGET_CPU_COMPILE_H

#include "compiler/target/cpu/Lowering.h"
#include "compiler/target/cpu/Target.h"

#include <functional>

namespace ingot::cpu {

enum class EmitKind { Executable, Shared, Library, Object, Assembly, LLVM, Header };

struct CompileOptions {
  EmitKind emit = EmitKind::Executable;
  std::string output;
  TargetSpec target;
  CodegenOptions codegen;
  /// Leave the ukernels declared and skip LLVM's optimizations: the
  /// generated call sequence as it is (for tests of the lowering).
  bool kernelCallsOnly = false;
  /// A GPU target: after lowering, turns the host module's kernel calls
  /// into launches and adds the device code; the CPU ukernels are then not
  /// linked, and `codegen` must not repack weights for the CPU.
  std::function<llvm::Error(LoweredModel &, llvm::Module &)> deviceCode;
  /// Called as each stage starts: "lowering", "LLVM optimization", "code
  /// generation", "link", "writing weights" (for -v and the report).
  std::function<void(llvm::StringRef)> onStage;
};

/// What was written, for --report and -v.
struct CompileResult {
  LoweredModel lowered; ///< module moved out
  std::vector<std::string> files;
};

/// Compiles `graph` and writes the output files. Errors are one line.
llvm::Expected<CompileResult> compileForCPU(mlir::ModuleOp graph,
                                            WeightPacker &packer,
                                            const CompileOptions &options);

/// A C identifier from a file name: `out/libchat-v2.a` -> `chat_v2`.
std::string modelNameFromPath(llvm::StringRef path);

/// The generated C header of a compiled model.
std::string generateHeader(const LoweredModel &lowered,
                           const CodegenOptions &options);

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_COMPILE_H
