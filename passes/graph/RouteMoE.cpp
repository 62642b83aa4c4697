//===- RouteMoE.cpp - Rewrite moe_ffn into the sparse-gather form ---------===//

#include "passes/graph/Passes.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTROUTEMOEPASS
#include "passes/graph/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

namespace {
/// `moe_ffn` → `moe_sort`, `gather_rows`, `grouped_matmul` ×3, activation,
/// `mul`, `gather_rows` of the router weights, `scatter_add` into zeros.
struct MoeFfnToSparse : OpRewritePattern<MoeFfnOp> {
  MoeFfnToSparse(MLIRContext *context, bool requireRoute)
      : OpRewritePattern(context), requireRoute(requireRoute) {}

  LogicalResult matchAndRewrite(MoeFfnOp op,
                                PatternRewriter &rewriter) const override {
    auto gateType = cast<RankedTensorType>(op.getGate().getType());
    auto downType = cast<RankedTensorType>(op.getDown().getType());
    auto xType = cast<RankedTensorType>(op.getX().getType());
    int64_t numExperts = gateType.getDimSize(0);
    if (ShapedType::isDynamic(numExperts))
      return rewriter.notifyMatchFailure(op, "dynamic number of experts");
    int64_t ffn = gateType.getDimSize(1);
    int64_t hidden = downType.getDimSize(1);

    if (requireRoute) {
      // The CSR routing must come from one ingot.route over as many experts
      // as the weights have, so every expert id indexes a stacked weight.
      auto route = op.getOffsets().getDefiningOp<RouteOp>();
      if (!route || op.getExperts() != route.getExperts())
        return rewriter.notifyMatchFailure(
            op, "routing does not come from one ingot.route");
      if (route.getLogits().getType().getDimSize(1) != numExperts)
        return rewriter.notifyMatchFailure(
            op, "router and expert weights disagree on the expert count");
    }

    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type();
    int64_t pairs = op.getExperts().getType().getDimSize(0);
    Type elementType = xType.getElementType();
    auto activate = [&](Value g) -> Value {
      switch (op.getActivation()) {
      case Activation::silu:
        return SiluOp::create(rewriter, loc, g);
      case Activation::gelu:
        return GeluOp::create(rewriter, loc, g, /*approximate=*/false);
      case Activation::gelu_tanh:
        return GeluOp::create(rewriter, loc, g, /*approximate=*/true);
      case Activation::relu:
        return ReluOp::create(rewriter, loc, g);
      }
      llvm_unreachable("unknown activation");
    };

    auto pairVector = RankedTensorType::get({pairs}, i32);
    auto expertOffsetsType = RankedTensorType::get({numExperts + 1}, i32);
    auto rowsOf = [&](int64_t cols) {
      return RankedTensorType::get({pairs, cols}, elementType);
    };

    auto sort = MoeSortOp::create(rewriter, loc, expertOffsetsType, pairVector,
                                  pairVector, op.getOffsets(), op.getExperts(),
                                  numExperts);
    Value eoff = sort.getExpertOffsets();
    Value toks = sort.getTokens();
    Value xs =
        GatherRowsOp::create(rewriter, loc, rowsOf(hidden), op.getX(), toks);
    Value g = GroupedMatmulOp::create(rewriter, loc, rowsOf(ffn), xs,
                                      op.getGate(), eoff);
    Value u = GroupedMatmulOp::create(rewriter, loc, rowsOf(ffn), xs,
                                      op.getUp(), eoff);
    Value act = activate(g);
    Value h = MulOp::create(rewriter, loc, g.getType(), act, u);
    Value d = GroupedMatmulOp::create(rewriter, loc, rowsOf(hidden), h,
                                      op.getDown(), eoff);
    auto weightsType = op.getWeights().getType();
    Value ws = GatherRowsOp::create(
        rewriter, loc,
        RankedTensorType::get({pairs}, weightsType.getElementType()),
        op.getWeights(), sort.getPairs());
    Value zeros = ZerosLikeOp::create(rewriter, loc, op.getX());
    Value y = ScatterAddOp::create(rewriter, loc, xType, d, toks, zeros, ws);
    rewriter.replaceOp(op, y);
    return success();
  }

  bool requireRoute;
};

struct RouteMoE : ingot::impl::IngotRouteMoEPassBase<RouteMoE> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRouteMoEPatterns(patterns, requireRoute);
    // Rewrite only: leave the rest of the function as it is.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace

void mlir::ingot::populateRouteMoEPatterns(RewritePatternSet &patterns,
                                           bool requireRoute) {
  patterns.add<MoeFfnToSparse>(patterns.getContext(), requireRoute);
}
