//===- Passes.h - Graph passes on the ingot dialect -------------*- C++ -*-===//

#ifndef INGOT_PASSES_GRAPH_PASSES_H
#define INGOT_PASSES_GRAPH_PASSES_H

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/Error.h"

namespace mlir::ingot {

#define GEN_PASS_DECL
#include "passes/graph/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/graph/Passes.h.inc"

/// Parses a routing rule in `--moe-routing` syntax: `top-k:K`,
/// `top-p:P[,max=M]`, `threshold:T[,max=M]`.
llvm::Expected<RoutingAttr> parseRoutingRule(MLIRContext *context,
                                             llvm::StringRef text);

/// Sets `rule` on every ingot.route under `root`; fails, with a diagnostic
/// on the op, where a layer has fewer experts than a top-k rule asks for.
LogicalResult setRoutingRule(Operation *root, RoutingAttr rule);

/// Rewrites ingot.moe_ffn into the sparse form: moe_sort, gather_rows,
/// grouped_matmul (gate, up, down), the activation, and a weighted
/// scatter_add. With `requireRoute`, only ops whose routing comes from an
/// ingot.route over the same number of experts are rewritten.
void populateRouteMoEPatterns(RewritePatternSet &patterns,
                              bool requireRoute = true);

/// Fuses the fine-grained attention the frontend emits (head swaps, q·kᵀ,
/// scale, mask, softmax, ·v, with the KV cache read, concatenated and
/// written, and the grouped-query expansion) into one ingot.attention that
/// also updates the caches.
void populateFuseAttentionPatterns(RewritePatternSet &patterns);

/// One KV-cache encoding of `--kv-cache`: a plain element type (`f32`,
/// `f16`, `bf16`) or a `#ingot.kv_quant` kind (`q8`, `q4`, `tq4`, `tq3`).
/// Neither set: keep the cache as it is.
struct KVCacheEncoding {
  Type elementType;
  KVQuantAttr quant;

  bool isSet() const { return elementType || quant; }
  bool isTurbo() const { return quant && quant.isTurbo(); }
  /// `type` with this encoding (quantized encodings keep the element type).
  KVCacheType apply(KVCacheType type) const;
};

/// The encodings of the key and of the value caches.
struct KVCacheSpec {
  KVCacheEncoding keys, values;
};

/// Parses one encoding name: f32, f16, bf16, q8, q4, tq4 or tq3.
llvm::Expected<KVCacheEncoding> parseKVCacheEncoding(MLIRContext *context,
                                                     llvm::StringRef text);

/// Parses a `--kv-cache` value: `ENC` (keys and values) or
/// `k:ENC,v:ENC` (either part may be left out; its caches stay as they
/// are). Errors are one line listing the accepted values.
llvm::Expected<KVCacheSpec> parseKVCacheSpec(MLIRContext *context,
                                             llvm::StringRef text);

/// Gives the caches of `fn`'s fused attention ops the encodings of `spec`
/// and, for tq encodings, inserts the rotations (see --ingot-quantize-kv).
/// Fails, with a diagnostic, where a cache is used by other ops or an
/// encoding does not fit a cache's head_dim; `fn` is unchanged then.
LogicalResult quantizeKVCaches(func::FuncOp fn, const KVCacheSpec &spec,
                               int64_t seed = 0);

} // namespace mlir::ingot

#endif // INGOT_PASSES_GRAPH_PASSES_H
