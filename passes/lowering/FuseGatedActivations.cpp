//===- FuseGatedActivations.cpp - silu(a) * b into ingot.glu --------------===//

#include "passes/lowering/Passes.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTFUSEGATEDACTIVATIONSPASS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

namespace {

struct FuseGatedActivation : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    if (mul.getLhs().getType() != mul.getRhs().getType() ||
        mul.getLhs().getType() != mul.getType())
      return failure();
    for (auto [act, other] : {std::pair(mul.getLhs(), mul.getRhs()),
                              std::pair(mul.getRhs(), mul.getLhs())}) {
      Operation *def = act.getDefiningOp();
      if (!def || !def->hasOneUse())
        continue;
      Activation kind;
      if (isa<SiluOp>(def))
        kind = Activation::silu;
      else if (auto gelu = dyn_cast<GeluOp>(def))
        kind = gelu.getApproximate() ? Activation::gelu_tanh
                                     : Activation::gelu;
      else
        continue;
      auto glu = GluOp::create(rewriter, mul.getLoc(), mul.getType(),
                               def->getOperand(0), other,
                               ActivationAttr::get(getContext(), kind));
      rewriter.replaceOp(mul, glu.getResult());
      rewriter.eraseOp(def);
      return success();
    }
    return failure();
  }
};

struct FuseGatedActivations
    : ingot::impl::IngotFuseGatedActivationsPassBase<FuseGatedActivations> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseGatedActivationsPatterns(patterns);
    // One walk: nothing else is folded or erased.
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void mlir::ingot::populateFuseGatedActivationsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseGatedActivation>(patterns.getContext());
}
