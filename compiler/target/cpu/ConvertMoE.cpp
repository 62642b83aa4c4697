//===- ConvertMoE.cpp - Expert routing and the sparse gather form ---------===//
//
// ingot.route -> ingot_uk_route, then the number of (token, expert) pairs
// read back from the offsets (the row count of what follows); moe_sort,
// gather_rows and scatter_add -> their ukernels. The grouped products are
// in ConvertMatmul.cpp. A route followed by the moe_sort of its experts
// shares the sort's barrier: both kernels run on thread 0 alone, and the
// pairs are read back after the sort.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "compiler/target/cpu/UKernelEnums.h"
#include "compiler/ukernels/ukernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <memory>

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {
namespace {

/// The moe_sort right after `route` (weight reads aside) that sorts its
/// experts, else null.
MoeSortOp sortAfter(RouteOp route) {
  Operation *after = route->getNextNode();
  while (isa_and_nonnull<WeightOp>(after))
    after = after->getNextNode();
  auto sort = dyn_cast_or_null<MoeSortOp>(after);
  if (!sort || sort.getOffsets() != route.getOffsets() ||
      sort.getExperts() != route.getExperts())
    return nullptr;
  return sort;
}

/// Each moe_sort that shares its route's barrier: that route's experts
/// and weights, whose rows the sort sets once it has read the pairs.
using FusedRoutes = llvm::DenseMap<Operation *, std::pair<Value, Value>>;

/// Rows of the route's experts and weights once `offsets[n]`, the pair
/// count, is visible to every thread (after a barrier).
Value readPairs(CPULowering &state, OpBuilder &b, Location loc,
                Value experts, Value weights, Value offsets, Value n) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value at = LLVM::GEPOp::create(b, loc, ptr, b.getI32Type(), offsets,
                                 ValueRange{n}, LLVM::GEPNoWrapFlags::inbounds);
  Value pairs = arith::ExtSIOp::create(
      b, loc, b.getI64Type(), LLVM::LoadOp::create(b, loc, b.getI32Type(), at));
  state.rows[experts] = pairs;
  state.rows[weights] = pairs;
  return pairs;
}

struct RouteLowering : CPUPattern<RouteOp> {
  RouteLowering(TypeConverter &converter, MLIRContext *context,
                CPULowering &state, std::shared_ptr<FusedRoutes> fused)
      : CPUPattern(converter, context, state), fused(std::move(fused)) {}
  std::shared_ptr<FusedRoutes> fused;
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
    state.rows[op.getOffsets()] = arith::AddIOp::create(
        rewriter, loc, n, state.i64(rewriter, loc, 1));
    // The pairs: offsets[n], once every thread sees the offsets (after the
    // sort's barrier when the sort follows).
    if (MoeSortOp sort = sortAfter(op)) {
      (*fused)[sort] = {op.getExperts(), op.getWeights()};
    } else {
      state.barrier(rewriter, loc);
      readPairs(state, rewriter, loc, op.getExperts(), op.getWeights(),
                out[0], n);
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct MoeSortLowering : CPUPattern<MoeSortOp> {
  MoeSortLowering(TypeConverter &converter, MLIRContext *context,
                  CPULowering &state, std::shared_ptr<FusedRoutes> fused)
      : CPUPattern(converter, context, state), fused(std::move(fused)) {}
  std::shared_ptr<FusedRoutes> fused;
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
    auto route = fused->find(op);
    if (route == fused->end()) {
      Value pairs = state.rowsOf(rewriter, loc, op.getExperts());
      state.rows[op.getPairs()] = pairs;
      state.rows[op.getTokens()] = pairs;
      return state.finish(rewriter, op, out);
    }
    state.barrier(rewriter, loc);
    Value pairs = readPairs(state, rewriter, loc, route->second.first,
                            route->second.second, adaptor.getOffsets(),
                            tokens);
    state.rows[op.getPairs()] = pairs;
    state.rows[op.getTokens()] = pairs;
    rewriter.replaceOp(op, out);
    return success();
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
  auto fused = std::make_shared<FusedRoutes>();
  patterns.add<RouteLowering, MoeSortLowering>(
      converter, patterns.getContext(), state, fused);
  patterns.add<GatherRowsLowering, ScatterAddLowering>(
      converter, patterns.getContext(), state);
}

} // namespace ingot::cpu
