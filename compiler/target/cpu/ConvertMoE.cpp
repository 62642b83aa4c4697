//===- ConvertMoE.cpp - Expert routing and the sparse gather form ---------===//
//
// ingot.route -> ingot_uk_route, then the number of (token, expert) pairs
// read back from the offsets (the row count of what follows); moe_sort,
// gather_rows and scatter_add -> their ukernels. The grouped products are
// in ConvertMatmul.cpp.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "compiler/target/cpu/UKernelEnums.h"
#include "compiler/ukernels/ukernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {
namespace {

struct RouteLowering : CPUPattern<RouteOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(RouteOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    RoutingAttr rule = op.getRule();
    auto logits = cast<ShapedType>(op.getLogits().getType());
    int64_t experts = logits.getDimSize(logits.getRank() - 1);
    int32_t kind = getUKernelRouting(rule.getKind());
    Value n = state.rowsOf(rewriter, loc, op.getLogits());
    auto i32 = [&](int64_t x) { return state.i32(rewriter, loc, x); };
    state.call(rewriter, loc, "ingot_uk_route",
               {out[0], out[1], out[2], adaptor.getLogits(), n,
                state.i64(rewriter, loc, experts), i32(kind),
                i32(rule.getK()),
                state.f32(rewriter, loc, rule.getValue().convertToDouble()),
                i32(rule.getMaxExperts()),
                i32(getUKernelScoring(op.getScoring())),
                i32(op.getRenormalize() ? 1 : 0), state.ith, state.nth});
    state.barrier(rewriter, loc);
    // The pairs: offsets[n], once every thread sees the offsets.
    state.rows[op.getOffsets()] = arith::AddIOp::create(
        rewriter, loc, n, state.i64(rewriter, loc, 1));
    auto ptr = LLVM::LLVMPointerType::get(rewriter.getContext());
    Value at = LLVM::GEPOp::create(rewriter, loc, ptr, rewriter.getI32Type(),
                                   out[0], ValueRange{n},
                                   LLVM::GEPNoWrapFlags::inbounds);
    Value pairs = arith::ExtSIOp::create(
        rewriter, loc, rewriter.getI64Type(),
        LLVM::LoadOp::create(rewriter, loc, rewriter.getI32Type(), at));
    state.rows[op.getExperts()] = pairs;
    state.rows[op.getWeights()] = pairs;
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct MoeSortLowering : CPUPattern<MoeSortOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(MoeSortOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    Value tokens = arith::SubIOp::create(
        rewriter, loc, state.rowsOf(rewriter, loc, op.getOffsets()),
        state.i64(rewriter, loc, 1));
    state.call(rewriter, loc, "ingot_uk_moe_sort",
               {out[0], out[1], out[2], adaptor.getOffsets(),
                adaptor.getExperts(), tokens,
                state.i64(rewriter, loc, op.getNumExperts()), state.ith,
                state.nth});
    Value pairs = state.rowsOf(rewriter, loc, op.getExperts());
    state.rows[op.getPairs()] = pairs;
    state.rows[op.getTokens()] = pairs;
    return state.finish(rewriter, op, out);
  }
};

struct GatherRowsLowering : CPUPattern<GatherRowsOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(GatherRowsOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    auto xt = cast<ShapedType>(op.getX().getType());
    int64_t d = 1;
    for (int64_t s : xt.getShape().drop_front())
      d *= s;
    Value count = state.rowsOf(rewriter, loc, op.getIndices());
    state.call(rewriter, loc, "ingot_uk_gather_rows",
               {out[0], adaptor.getX(), adaptor.getIndices(), count,
                state.i64(rewriter, loc, d), state.ith, state.nth});
    state.rows[op.getResult()] = count;
    return state.finish(rewriter, op, out);
  }
};

/// Into a zeros_like of the tokens' rows: the kernel zeroes its output.
struct ScatterAddLowering : CPUPattern<ScatterAddOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(ScatterAddOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    auto zeros = op.getDest().getDefiningOp<ZerosLikeOp>();
    if (!zeros)
      return state.fail(op, "ingot.scatter_add must add into "
                            "ingot.zeros_like on the CPU backend");
    Value like = state.rowsOf(rewriter, loc, zeros.getX());
    Value scale = op.getScale() ? adaptor.getScale()
                                : state.null(rewriter, loc);
    auto rt = cast<ShapedType>(op.getType());
    state.call(rewriter, loc, "ingot_uk_scatter_add",
               {out[0], adaptor.getSrc(), adaptor.getIndices(), scale,
                state.rowsOf(rewriter, loc, op.getIndices()), like,
                state.i64(rewriter, loc, rt.getDimSize(rt.getRank() - 1)),
                state.ith, state.nth});
    state.rows[op.getResult()] = like;
    return state.finish(rewriter, op, out);
  }
};

} // namespace

void populateMoEPatterns(TypeConverter &converter,
                         RewritePatternSet &patterns, CPULowering &state) {
  patterns.add<RouteLowering, MoeSortLowering, GatherRowsLowering,
               ScatterAddLowering>(converter, patterns.getContext(), state);
}

} // namespace ingot::cpu
