//===- ModelWeights.h - The model file as the target's weights --*- C++ -*-===//
//
// ingotc links everything; the passes and the target it drives do not: the
// fold pass and the weight packer get weights through interfaces
// (mlir::ingot::WeightSource, ingot::cpu::WeightStorage) that this class
// implements over the reference's WeightReader and the imported model.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_INGOTC_MODELWEIGHTS_H
#define INGOT_COMPILER_INGOTC_MODELWEIGHTS_H

#include "compiler/reference/WeightReader.h"
#include "compiler/target/cpu/WeightPacker.h"

namespace mlir::ingot {
class ImportedModel;
} // namespace mlir::ingot

namespace ingot::driver {

class ModelWeightStorage : public cpu::WeightStorage {
public:
  /// `reader` gives every weight's values; `model`, when not null, is the
  /// file they come from, whose stored forms are handed out where a weight
  /// is stored in exactly its decl's type.
  ModelWeightStorage(reference::WeightReader &reader,
                     const mlir::ingot::ImportedModel *model)
      : reader(reader), model(model) {}

  llvm::Expected<std::vector<float>>
  readValues(mlir::ingot::WeightDeclOp decl) override;
  std::optional<llvm::ArrayRef<uint8_t>>
  readStoredBytes(mlir::ingot::WeightDeclOp decl) override;
  std::optional<cpu::GroupCodes>
  readGroupCodes(mlir::ingot::WeightDeclOp decl) override;
  void release(mlir::ingot::WeightDeclOp decl) override;

private:
  /// Whether the file stores the decl's weight in the decl's type.
  bool storedAsDeclared(mlir::ingot::WeightDeclOp decl) const;

  reference::WeightReader &reader;
  const mlir::ingot::ImportedModel *model;
};

} // namespace ingot::driver

#endif // INGOT_COMPILER_INGOTC_MODELWEIGHTS_H
