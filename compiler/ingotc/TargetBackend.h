//===- TargetBackend.h - What ingotc compiles a lowered graph for -*- C++ -*-===//
//
// The driver's view of a backend. Everything up to and including the
// lowering passes (passes/lowering: fused ops, logits rows, the memory plan)
// is shared; a backend takes the lowered graph and writes --emit's files.
// `--target` picks one: `host` and `cpu:NAME` are the CPU backend
// (compiler/target/cpu), `cuda:sm_XX,...` the NVIDIA one
// (compiler/target/cuda).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_INGOTC_TARGETBACKEND_H
#define INGOT_COMPILER_INGOTC_TARGETBACKEND_H

#include "compiler/target/cpu/Compile.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace ingot::driver {

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  /// The --target family: "cpu" or "cuda".
  virtual llvm::StringRef getFamily() const = 0;
  /// The CPU or GPUs after the family (`cpu:NAME`, `cuda:sm_80,sm_90a`;
  /// empty: the host).
  const std::string &getDevice() const { return device; }
  /// Compiles `lowered` (after the lowering passes) and writes the files
  /// `options` asks for. Errors are one line.
  virtual llvm::Expected<cpu::CompileResult>
  compile(mlir::ModuleOp lowered, cpu::WeightPacker &packer,
          const cpu::CompileOptions &options) = 0;

protected:
  explicit TargetBackend(std::string device) : device(std::move(device)) {}
  std::string device;
};

/// The backend of `--target` (`host`, `cpu:NAME`, `cuda:sm_XX,...`; the
/// CUDA toolkit at `cudaPath`, --cuda-path): an error naming the option and
/// the accepted values for anything else.
llvm::Expected<std::unique_ptr<TargetBackend>>
selectTargetBackend(llvm::StringRef target, llvm::StringRef cudaPath = "");

} // namespace ingot::driver

#endif // INGOT_COMPILER_INGOTC_TARGETBACKEND_H
