//===- Builder.h - Decoder graphs from a model config -----------*- C++ -*-===//

#ifndef INGOT_FRONTENDS_ARCH_BUILDER_H
#define INGOT_FRONTENDS_ARCH_BUILDER_H

#include "frontends/arch/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::ingot {

struct BuildOptions {
  /// KV-cache capacity; 0 picks min(the model's context, 4096).
  int64_t contextLength = 0;
  /// Element type of the KV cache entries (null: f32).
  Type cacheElementType;
  /// Replaces the model's routing rule (mixture of experts on demand).
  std::optional<RoutingAttr> routing;
};

/// Builds the fine-grained ingot graph of the model, mirroring the reference
/// modeling code, with one entry point:
///
///   func.func @forward(%ids: tensor<?xi32>, %start: index,
///                      %k0: !ingot.kv_cache<...>, %v0: ..., ...)
///       -> (tensor<?xVOCABxf32>, caches...)
///
/// `%ids` are the tokens of one step at positions `start ..`; the result is
/// the logits of every token and the updated caches (key then value, per
/// layer). Fails, naming the tensor, when a weight is missing or has a shape
/// the architecture does not expect.
llvm::Expected<OwningOpRef<ModuleOp>>
buildDecoderModel(MLIRContext &context, const ModelConfig &config,
                  const WeightTable &weights, const BuildOptions &options);

} // namespace mlir::ingot

#endif // INGOT_FRONTENDS_ARCH_BUILDER_H
