//===- ConvertMatmul.cpp - Products by weights, embeddings ----------------===//
//
// ingot.matmul -> ingot_uk_matmul; ingot.multi_matmul -> one
// ingot_uk_matmul_multi (the activation prepared once) when its weights
// share a packed format, else products one by one;
// ingot.grouped_matmul -> ingot_uk_grouped_matmul; ingot.embedding ->
// ingot_uk_embedding. The weights were packed before the conversion
// (PackWeights.cpp); their formats are constant arguments.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {
namespace {


struct EmbeddingLowering : CPUPattern<EmbeddingOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(EmbeddingOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    const WeightPlace &table = state.weightPlace(op, 0);
    auto t = cast<ShapedType>(op.getTable().getType());
    Value ids = state.rowsOf(rewriter, loc, op.getIds());
    state.call(rewriter, loc, "ingot_uk_embedding",
               {out[0], adaptor.getIds(), ids,
                state.weightPtr(rewriter, loc, op, 0),
                state.i64(rewriter, loc, t.getDimSize(0)),
                state.i64(rewriter, loc, t.getDimSize(1)),
                state.i32(rewriter, loc, table.format),
                state.i32(rewriter, loc, table.group), state.ith, state.nth});
    state.rows[op.getResult()] = ids;
    return state.finish(rewriter, op, out);
  }
};

/// One ingot_uk_matmul: y = x · wᵀ (+ bias) for the rows of x.
void callMatmul(CPULowering &state, OpBuilder &b, Location loc, Value y,
                Value x, Value a, Operation *op, unsigned weight, Value bias,
                int64_t n) {
  const WeightPlace &w = state.weightPlace(op, weight);
  state.call(b, loc, "ingot_uk_matmul",
             {y, x, state.weightPtr(b, loc, op, weight), bias,
              state.flatRows(b, loc, a), state.i64(b, loc, n),
              state.i64(b, loc, lastDim(a)), state.i32(b, loc, w.format),
              state.i32(b, loc, w.group), state.scratch, state.sync,
              state.ith, state.nth});
}

struct MatmulLowering : CPUPattern<MatmulOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(MatmulOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    Value bias = state.vectorOperand(rewriter, loc, op, 2, adaptor.getBias());
    auto bt = cast<ShapedType>(op.getB().getType());
    int64_t n = op.getTransposeB() ? bt.getDimSize(0) : bt.getDimSize(1);
    callMatmul(state, rewriter, loc, out[0], adaptor.getA(), op.getA(), op, 1,
               bias, n);
    return state.finish(rewriter, op, out);
  }
};

/// Products of one input: a run of weights of one packed format is one
/// ingot_uk_matmul_multi (up to 3); a weight whose format differs from
/// the next ones' is multiplied on its own.
struct MultiMatmulLowering : CPUPattern<MultiMatmulOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(MultiMatmulOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    unsigned count = op.getWeights().size();
    if (count > 3)
      return state.fail(op, "more than 3 products in one group");
    auto bias = [&](unsigned i) -> Value {
      for (auto [j, index] : llvm::enumerate(op.getBiasFor()))
        if (index == static_cast<int64_t>(i))
          return state.vectorOperand(rewriter, loc, op, 1 + count + j,
                                     adaptor.getBiases()[j]);
      return state.null(rewriter, loc);
    };
    auto outputs = [&](unsigned i) {
      return cast<ShapedType>(op.getWeights()[i].getType()).getDimSize(0);
    };
    for (unsigned first = 0; first < count;) {
      const WeightPlace &w0 = state.weightPlace(op, 1 + first);
      bool same = count - first >= 2;
      for (unsigned i = first; i < count; ++i) {
        const WeightPlace &w = state.weightPlace(op, 1 + i);
        same = same && w.format == w0.format && w.group == w0.group;
      }
      if (!same) {
        state.currentName = "ingot.matmul";
        callMatmul(state, rewriter, loc, out[first], adaptor.getX(),
                   op.getX(), op, 1 + first, bias(first), outputs(first));
        state.barrier(rewriter, loc);
        ++first;
        continue;
      }
      state.currentName = "ingot.matmul x" + std::to_string(count - first);
      SmallVector<Value, 24> args;
      for (unsigned i = first; i < first + 3; ++i) {
        if (i < count) {
          args.append({out[i], state.weightPtr(rewriter, loc, op, 1 + i),
                       bias(i), state.i64(rewriter, loc, outputs(i))});
        } else {
          Value null = state.null(rewriter, loc);
          args.append({null, null, null, state.i64(rewriter, loc, 0)});
        }
      }
      auto at = cast<ShapedType>(op.getX().getType());
      int64_t k = lastDim(op.getX());
      Value m = state.rowsOf(rewriter, loc, op.getX());
      if (at.getRank() > 2) {
        int64_t inner = 1;
        for (int64_t d : at.getShape().drop_front().drop_back())
          inner *= d;
        m = arith::MulIOp::create(rewriter, loc, m,
                                  state.i64(rewriter, loc, inner));
      }
      args.append({adaptor.getX(), m, state.i64(rewriter, loc, k),
                   state.i32(rewriter, loc, w0.format),
                   state.i32(rewriter, loc, w0.group), state.scratch,
                   state.sync, state.ith, state.nth});
      state.call(rewriter, loc, "ingot_uk_matmul_multi", args);
      state.barrier(rewriter, loc);
      break;
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Each expert's segment of rows by its own weights. Of two in a row on
/// the same rows and experts (groupedPartner: gate and up), the first ends
/// with no barrier and the second uses the scratch past the first's.
struct GroupedMatmulLowering : CPUPattern<GroupedMatmulOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(GroupedMatmulOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    const WeightPlace &w = state.weightPlace(op, 1);
    auto wt = cast<ShapedType>(op.getW().getType());
    Value scratch = state.scratch;
    if (state.groupedSeconds.contains(op))
      scratch = state.byteOffset(
          rewriter, loc, scratch,
          groupedScratchBytes(op, state.options.maxBatch));
    state.call(rewriter, loc, "ingot_uk_grouped_matmul",
               {out[0], adaptor.getX(), state.weightPtr(rewriter, loc, op, 1),
                adaptor.getExpertOffsets(),
                state.i64(rewriter, loc, wt.getDimSize(0)),
                state.i64(rewriter, loc, wt.getDimSize(1)),
                state.i64(rewriter, loc, wt.getDimSize(2)),
                state.i32(rewriter, loc, w.format),
                state.i32(rewriter, loc, w.group), scratch, state.sync,
                state.ith, state.nth});
    if (state.groupedFirsts.contains(op)) {
      rewriter.replaceOp(op, out);
      return success();
    }
    return state.finish(rewriter, op, out);
  }
};

} // namespace

void populateMatmulPatterns(TypeConverter &converter,
                            RewritePatternSet &patterns, CPULowering &state) {
  patterns.add<EmbeddingLowering, MatmulLowering, MultiMatmulLowering,
               GroupedMatmulLowering>(converter, patterns.getContext(), state);
}

} // namespace ingot::cpu
