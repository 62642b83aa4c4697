//===- IngotAttrs.h - Attributes and types of ingot -------------*- C++ -*-===//

#ifndef INGOT_DIALECTS_INGOT_INGOTATTRS_H
#define INGOT_DIALECTS_INGOT_INGOTATTRS_H

#include "dialects/ingot/IngotDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TensorEncoding.h"

#include "dialects/ingot/IngotEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/ingot/IngotAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/ingot/IngotTypes.h.inc"

namespace mlir::ingot {

/// Bytes a tensor of this type occupies in its storage format: block formats
/// by whole blocks; group-wise by packed values plus one f16 scale per group
/// (and one f16 zero point per group when asymmetric); plain tensors by
/// element width. Fails for dynamic shapes.
FailureOr<int64_t> getStorageBytes(RankedTensorType type);

} // namespace mlir::ingot

#endif // INGOT_DIALECTS_INGOT_INGOTATTRS_H
