//===- Passes.h - Target-independent lowering passes ------------*- C++ -*-===//

#ifndef INGOT_PASSES_LOWERING_PASSES_H
#define INGOT_PASSES_LOWERING_PASSES_H

#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/lowering/WeightSource.h"

#include "mlir/IR/BuiltinOps.h"
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

} // namespace mlir::ingot

#endif // INGOT_PASSES_LOWERING_PASSES_H
