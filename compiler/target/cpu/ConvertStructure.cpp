//===- ConvertStructure.cpp - Views, positions and the step's return ------===//
//
// ingot.reshape is its input's storage; ingot.logits_rows selects the last
// row unless the step asks for all; ingot.iota writes positions; the
// return copies logits that no matmul wrote in place into the caller's
// buffer. Any other ingot op left is not supported on the CPU.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/lowering/Passes.h"

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {
namespace {

struct ReshapeLowering : CPUPattern<ReshapeOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(ReshapeOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    rewriter.replaceOp(op, adaptor.getX());
    return success();
  }
};

/// The last row unless all are asked for: a pointer and a row count.
struct LogitsRowsLowering : CPUPattern<LogitsRowsOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(LogitsRowsOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    auto t = op.getX().getType();
    int64_t rowElements = 1;
    for (int64_t d : t.getShape().drop_front())
      rowElements *= d;
    Value all = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ne,
                                      state.allLogits,
                                      state.i64(rewriter, loc, 0));
    Value m = state.rowsOf(rewriter, loc, op.getX());
    Value last = arith::MulIOp::create(
        rewriter, loc,
        arith::SubIOp::create(rewriter, loc, m, state.i64(rewriter, loc, 1)),
        state.i64(rewriter, loc, rowElements));
    Value x = adaptor.getX();
    Value lastRow = state.floatOffset(rewriter, loc, x, last);
    Value ptr = arith::SelectOp::create(rewriter, loc, all, x, lastRow);
    state.rows[op.getResult()] = arith::SelectOp::create(
        rewriter, loc, all, m, state.i64(rewriter, loc, 1));
    rewriter.replaceOp(op, ptr);
    return success();
  }
};

/// Positions `offset + i` (the start position, or 0).
struct IotaLowering : CPUPattern<IotaOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(IotaOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    Value count = state.rowsOf(rewriter, loc, op.getResult());
    Value base = op.getOffset() ? state.start : state.i64(rewriter, loc, 0);
    state.call(rewriter, loc, "ingot_uk_iota",
               {out[0], count, base, state.ith, state.nth});
    state.rows[op.getResult()] = count;
    return state.finish(rewriter, op, out);
  }
};

/// Only the destination of a scatter, which zeroes its output itself.
struct ZerosLikeLowering : CPUPattern<ZerosLikeOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(ZerosLikeOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    if (!isFreeOp(op))
      return state.fail(op, "ingot.zeros_like is only supported as the "
                            "destination of ingot.scatter_add");
    rewriter.replaceOp(op, state.null(rewriter, op.getLoc()));
    return success();
  }
};

/// Logits in the arena (not written in place by their matmul) are copied
/// into the caller's buffer.
struct ReturnLowering : CPUPattern<func::ReturnOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(func::ReturnOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    state.currentOp = nullptr;
    Value logits = op.getOperand(0);
    Value root = getStorageRoot(logits);
    bool inPlace = false;
    if (Operation *def = root.getDefiningOp())
      if (auto buffers = def->getAttrOfType<ArrayAttr>(kBuffersAttr))
        inPlace = cast<BufferAttr>(
                      buffers[cast<OpResult>(root).getResultNumber()])
                      .getOffset() < 0;
    if (!inPlace) {
      auto t = cast<ShapedType>(logits.getType());
      int64_t rowBytes = 4;
      for (int64_t d : t.getShape().drop_front())
        rowBytes *= d;
      Value bytes = arith::MulIOp::create(
          rewriter, loc, state.rowsOf(rewriter, loc, logits),
          state.i64(rewriter, loc, rowBytes));
      state.call(rewriter, loc, "ingot_uk_copy",
                 {state.logits, adaptor.getOperands()[0], bytes, state.ith,
                  state.nth});
    }
    rewriter.replaceOpWithNewOp<LLVM::ReturnOp>(op, ValueRange{});
    return success();
  }
};

/// Any other ingot op: one line naming it.
struct UnsupportedLowering : ConversionPattern {
  UnsupportedLowering(TypeConverter &converter, MLIRContext *context,
                      CPULowering &state)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/0,
                          context),
        state(state) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<IngotDialect>(op->getDialect()))
      return failure();
    if (state.error.empty())
      state.error = ("'" + op->getName().getStringRef() +
                     "' is not supported by the CPU backend yet")
                        .str();
    return failure();
  }
  CPULowering &state;
};

} // namespace

void populateStructurePatterns(TypeConverter &converter,
                               RewritePatternSet &patterns,
                               CPULowering &state) {
  patterns.add<ReshapeLowering, LogitsRowsLowering, IotaLowering,
               ZerosLikeLowering, ReturnLowering, UnsupportedLowering>(
      converter, patterns.getContext(), state);
}

} // namespace ingot::cpu
