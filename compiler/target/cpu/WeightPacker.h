//===- WeightPacker.h - Weights in the layout the kernels read --*- C++ -*-===//
//
// Turns each declared weight into the bytes a CPU ukernel reads: the file's
// own bytes when they already are in the decl's encoding (GGUF blocks are
// the kernels' layout), GPTQ/AWQ codes re-laid into group records, float
// weights quantized to the encoding the graph passes chose, and f32 values
// for everything that is not a matrix operand (norms, biases, rope factors).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_WEIGHTPACKER_H
#define INGOT_COMPILER_TARGET_CPU_WEIGHTPACKER_H

#include "compiler/reference/WeightReader.h"
#include "dialects/ingot/IngotOps.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace mlir::ingot {
class ImportedModel;
} // namespace mlir::ingot

namespace ingot::cpu {

/// A weight as a kernel reads it.
struct PackedWeight {
  std::vector<uint8_t> bytes;
  int32_t format = 0; ///< INGOT_W_* of compiler/ukernels/ukernels.h
  int32_t group = 0;  ///< group size of the INGOT_W_G* formats
};

/// The INGOT_W_* format of a weight of `type` (its encoding and element
/// type) and its group size; an error naming the encoding when no kernel
/// reads it.
llvm::Expected<std::pair<int32_t, int32_t>>
getKernelFormat(mlir::RankedTensorType type);

class WeightPacker {
public:
  /// `reader` gives every weight's values; `model`, when not null, is the
  /// file they come from, whose stored bytes are copied where they can be.
  WeightPacker(reference::WeightReader &reader,
               const mlir::ingot::ImportedModel *model)
      : reader(reader), model(model) {}

  /// The decl's weight in its encoding (matmul and embedding operands).
  llvm::Expected<PackedWeight> packMatrix(mlir::ingot::WeightDeclOp decl);

  /// The decl's values as f32 (after its encoding's rounding).
  llvm::Expected<std::vector<float>> readValues(mlir::ingot::WeightDeclOp decl);

  reference::WeightReader &getReader() { return reader; }

private:
  reference::WeightReader &reader;
  const mlir::ingot::ImportedModel *model;
};

/// `values` (row-major, `shape`) stored as `type` says: its encoding, else
/// its float element type.
llvm::Expected<PackedWeight> packValues(llvm::ArrayRef<float> values,
                                        mlir::RankedTensorType type);

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_WEIGHTPACKER_H
