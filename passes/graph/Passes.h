//===- Passes.h - Graph passes on the ingot dialect -------------*- C++ -*-===//

#ifndef INGOT_PASSES_GRAPH_PASSES_H
#define INGOT_PASSES_GRAPH_PASSES_H

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"

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
/// scatter_add; with a static token count of 1, the decode form:
/// expert_matvec (gate, up, down) over the selected experts and a weighted
/// sum. With `requireRoute`, only ops whose routing comes from an
/// ingot.route over the same number of experts are rewritten.
void populateRouteMoEPatterns(RewritePatternSet &patterns,
                              bool requireRoute = true);

/// Fuses fine-grained attention (head swaps, q·kᵀ, a constant scale by
/// products or quotients on the scores, q or k, an optional tanh softcap,
/// an additive or boolean mask or none, a plain or max-subtracted softmax,
/// ·v, with the KV cache read, concatenated and written, and the
/// grouped-query expansion before or after the head swap) into one
/// ingot.attention that also updates the caches.
void populateFuseAttentionPatterns(RewritePatternSet &patterns);

/// Raises `exp(x - reduce_max(x)) / reduce_sum(exp(...))`, all over the last
/// axis, to `ingot.softmax x {axis = -1}`.
void populateRaiseSoftmaxPatterns(RewritePatternSet &patterns);

/// `x` when `probs` is exactly the decomposed softmax of `x` over the last
/// axis (`exp(x - reduce_max(x)) / reduce_sum(exp(...))`, shapes kept).
FailureOr<Value> matchDecomposedSoftmax(Value probs);

} // namespace mlir::ingot

#endif // INGOT_PASSES_GRAPH_PASSES_H
