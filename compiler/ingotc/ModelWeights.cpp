//===- ModelWeights.cpp - The model file as the CPU target's weights ------===//

#include "compiler/ingotc/ModelWeights.h"

#include "frontends/import/Model.h"

using namespace mlir::ingot;

namespace ingot::driver {

llvm::Expected<std::vector<float>>
ModelWeightStorage::readValues(WeightDeclOp decl) {
  return reader.read(decl);
}

bool ModelWeightStorage::storedAsDeclared(WeightDeclOp decl) const {
  if (!model)
    return false;
  auto info = model->getWeights().find(decl.getSymName());
  return info != model->getWeights().end() &&
         info->second.type == decl.getType();
}

std::optional<llvm::ArrayRef<uint8_t>>
ModelWeightStorage::readStoredBytes(WeightDeclOp decl) {
  if (!storedAsDeclared(decl))
    return std::nullopt;
  // None where they are not stored as the kernels read them: the packer
  // packs those from the values.
  auto bytes =
      llvm::expectedToOptional(model->readStoredBytes(decl.getSymName()));
  if (!bytes)
    return std::nullopt;
  return *bytes;
}

void ModelWeightStorage::release(WeightDeclOp decl) {
  if (model)
    model->releaseWeight(decl.getSymName());
}

std::optional<cpu::GroupCodes>
ModelWeightStorage::readGroupCodes(WeightDeclOp decl) {
  if (!storedAsDeclared(decl))
    return std::nullopt;
  auto data =
      llvm::expectedToOptional(model->readGroupQuantized(decl.getSymName()));
  if (!data)
    return std::nullopt;
  cpu::GroupCodes codes;
  codes.rows = data->rows;
  codes.cols = data->cols;
  codes.groupSize = data->groupSize;
  codes.codes = std::move(data->codes);
  codes.scales = std::move(data->scales);
  codes.zeros = std::move(data->zeros);
  return codes;
}

} // namespace ingot::driver
