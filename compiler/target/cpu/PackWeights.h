//===- PackWeights.h - Every weight operand in the blob ---------*- C++ -*-===//

#ifndef INGOT_COMPILER_TARGET_CPU_PACKWEIGHTS_H
#define INGOT_COMPILER_TARGET_CPU_PACKWEIGHTS_H

#include "compiler/target/cpu/Lowering.h"
#include "compiler/target/cpu/LowerToCPU.h"
#include "compiler/target/cpu/WeightBlob.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <map>

namespace ingot::cpu {

using WeightPlaces =
    llvm::DenseMap<std::pair<mlir::Operation *, unsigned>, WeightPlace>;

/// Packs the weight operands of `@forward`'s ops into `blob`, one at a
/// time: each weight's bytes go to the blob's file as soon as they are
/// packed.
class WeightPacking {
public:
  WeightPacking(WeightPacker &packer, const CodegenOptions &options,
                WeightBlob &blob)
      : packer(packer), options(options), blob(blob) {}

  /// Packs every weight operand and records its place by (op, operand).
  /// Errors are one line, naming the op.
  llvm::Error run(mlir::func::FuncOp fn, CPULowering &state);
  /// --numerics=ggml: one warning per matmul weight format whose products
  /// llama.cpp rounds with other kernels (docs/numerics.md).
  std::vector<std::string> takeWarnings();

private:
  llvm::Expected<WeightPlace> matrix(mlir::Value value, bool transposed,
                                     bool interleave);
  llvm::Expected<WeightPlace> vector(mlir::Value value);
  llvm::Expected<mlir::ingot::WeightDeclOp> declOf(mlir::ingot::WeightOp w);
  /// The decl `value` reads; an internal error if it is not a weight read
  /// (`kind`, "matrix" or "vector", names it).
  llvm::Expected<mlir::ingot::WeightDeclOp> declOfRead(mlir::Value value,
                                                       llvm::StringRef kind);
  using DeclPlaces = llvm::DenseMap<mlir::Operation *, WeightPlace>;
  /// `cache`'s place of `decl`, packed by `pack` the first time.
  llvm::Expected<WeightPlace>
  packOnce(DeclPlaces &cache, mlir::ingot::WeightDeclOp decl,
           llvm::function_ref<llvm::Expected<WeightPlace>()> pack);
  int64_t add(llvm::ArrayRef<uint8_t> bytes);
  int64_t addFloats(llvm::ArrayRef<float> values);
  void noteNumerics(const WeightPlace &w, mlir::Value weight);

  WeightPacker &packer;
  const CodegenOptions &options;
  WeightBlob &blob;
  DeclPlaces packedDecls, interleavedDecls, transposedDecls, vectorDecls;
  std::map<int32_t, std::string> inexactFormats;
};

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_PACKWEIGHTS_H
