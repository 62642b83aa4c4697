//===- Passes.h - Target-independent lowering passes ------------*- C++ -*-===//
//
// What runs between the graph pipeline and a target (Passes.td). Each pass
// is a thin driver over the function of the same name here, which the
// targets' own drivers and tests may call directly.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_PASSES_LOWERING_PASSES_H
#define INGOT_PASSES_LOWERING_PASSES_H

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/lowering/WeightSource.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir::ingot {

#define GEN_PASS_DECL
#include "passes/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/lowering/Passes.h.inc"

/// Replaces every maximal subgraph of `module`'s functions computed from
/// weights and constants alone (other than a plain `ingot.weight` read or a
/// constant) by a new `ingot.weight_decl` carrying its values and an
/// `ingot.weight` read of it (see --ingot-fold-weights). Weight values come
/// from the decl's own `value`, else from `source` (none: an error naming
/// the weight). Fails, with a diagnostic on the op and `module` unchanged,
/// where an op cannot be computed here or a weight cannot be read.
LogicalResult foldWeights(ModuleOp module, WeightSource *source);

/// --ingot-fold-weights reading weights from `source` (which must outlive
/// the pass).
std::unique_ptr<Pass> createFoldWeightsPass(WeightSource &source);

/// silu(a) * b and gelu(a) * b -> ingot.glu (the activation's only use).
void populateFuseGatedActivationsPatterns(RewritePatternSet &patterns);

/// Groups runs of up to `maxGroup` projections of one input into
/// ingot.multi_matmul (see the pass).
void groupProjections(func::FuncOp fn, unsigned maxGroup);

/// Puts ingot.logits_rows on the returned logits (see the pass).
void insertLogitsRows(func::FuncOp fn);

/// The name of the per-op memory plan attribute and of the function's peak.
constexpr llvm::StringLiteral kBuffersAttr = "ingot.buffers";
constexpr llvm::StringLiteral kActivationBytesAttr = "ingot.activation_bytes";

/// Plans every computed tensor of `fn` into one arena (see the pass);
/// fails, with a diagnostic on the op, on a rank-0 tensor.
LogicalResult planMemory(func::FuncOp fn, int64_t maxBatch);

/// Whether `op` computes nothing at run time of its own: a weight read, an
/// index constant, a view (reshape, logits_rows) or a zeros_like that only
/// a scatter writes into.
bool isFreeOp(Operation *op);

/// The value whose storage `value` is: through reshape and logits_rows.
Value getStorageRoot(Value value);

/// The ops of a block that compute (not isFreeOp), in program order, and
/// the liveness the memory plan is built from.
struct ComputeOrder {
  SmallVector<Operation *> ops;
  /// For each storage root (getStorageRoot), the index in `ops` of its last
  /// reader; `ops.size()` for a value the terminator returns.
  llvm::DenseMap<Value, int64_t> lastUse;
};
ComputeOrder getComputeOrder(Block &block);

} // namespace mlir::ingot

#endif // INGOT_PASSES_LOWERING_PASSES_H
