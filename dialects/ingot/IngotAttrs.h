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

#include "dialects/ingot/KVCodebooks.h"

namespace mlir::ingot {

/// Bytes a tensor of this type occupies in its storage format: block formats
/// by whole blocks; group-wise by packed values plus one f16 scale per group
/// (and one f16 zero point per group when asymmetric); plain tensors by
/// element width. Fails for dynamic shapes.
FailureOr<int64_t> getStorageBytes(RankedTensorType type);

/// Elements per scaled block of the q8/q4 KV-cache encodings:
/// `min(32, headDim)`.
int64_t getKVBlockSize(int64_t headDim);

/// Bytes one token's vector of one head occupies in a cache of this type:
/// the element width times head_dim without an encoding; with one, as
/// `#ingot.kv_quant` documents (blocks with f16 scales for q8/q4, packed
/// codebook indices plus an f16 norm for tq4/tq3).
int64_t getKVBytesPerTokenHead(KVCacheType type);

} // namespace mlir::ingot

#endif // INGOT_DIALECTS_INGOT_INGOTATTRS_H
