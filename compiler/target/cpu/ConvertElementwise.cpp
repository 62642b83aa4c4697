//===- ConvertElementwise.cpp - Norms, elementwise ops, Hadamard ----------===//
//
// ingot.rms_norm, ingot.layer_norm -> ingot_uk_rms_norm(_ggml),
// ingot_uk_layer_norm; the binary ops and ingot.glu -> ingot_uk_binary;
// the unary ops -> ingot_uk_unary; ingot.clamp -> ingot_uk_clamp;
// ingot.hadamard -> ingot_uk_hadamard (its signs a constant array).
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "compiler/ukernels/ukernels.h"
#include "dialects/ingot/KVCodebooks.h"

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {
namespace {

template <typename OpTy>
struct NormLowering : CPUPattern<OpTy> {
  using CPUPattern<OpTy>::CPUPattern;
  using OpAdaptor = typename CPUPattern<OpTy>::OpAdaptor;
  LogicalResult lower(OpTy op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    CPULowering &state = this->state;
    Location loc = op.getLoc();
    Value w = state.vectorOperand(rewriter, loc, op, 1, adaptor.getWeight());
    Value rows = state.flatRows(rewriter, loc, op.getX());
    Value cols = state.i64(rewriter, loc, lastDim(op.getX()));
    Value eps = state.f32(rewriter, loc, op.getEps().convertToFloat());
    if constexpr (std::is_same_v<OpTy, RmsNormOp>) {
      state.call(rewriter, loc,
                 state.options.ggmlNumerics ? "ingot_uk_rms_norm_ggml"
                                            : "ingot_uk_rms_norm",
                 {out[0], adaptor.getX(), w, rows, cols, eps, state.ith,
                  state.nth});
    } else {
      Value bias =
          state.vectorOperand(rewriter, loc, op, 2, adaptor.getBias());
      state.call(rewriter, loc, "ingot_uk_layer_norm",
                 {out[0], adaptor.getX(), w, bias, rows, cols, eps, state.ith,
                  state.nth});
    }
    return state.finish(rewriter, op, out);
  }
};

/// `x op y` with y the same shape, a column (last dimension 1) or a
/// constant row; the commutative ops take the broadcast operand on either
/// side.
template <typename OpTy, int32_t Kind>
struct BinaryLowering : CPUPattern<OpTy> {
  using CPUPattern<OpTy>::CPUPattern;
  using OpAdaptor = typename CPUPattern<OpTy>::OpAdaptor;
  LogicalResult lower(OpTy op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    CPULowering &state = this->state;
    Location loc = op.getLoc();
    auto rt = cast<ShapedType>(op.getType());
    int64_t cols = lastDim(op.getResult());
    unsigned a = 0, bIndex = 1;
    if (cast<ShapedType>(op.getLhs().getType()) != rt) {
      bool commutative =
          Kind == INGOT_EW_ADD || Kind == INGOT_EW_MUL || Kind == INGOT_EW_MAX;
      if (!commutative || cast<ShapedType>(op.getRhs().getType()) != rt)
        return state.fail(op, "unsupported broadcast in '" +
                                  op->getName().getStringRef() + "'");
      std::swap(a, bIndex);
    }
    Value bv = op->getOperand(bIndex);
    auto bt = cast<ShapedType>(bv.getType());
    int64_t bRows, bCols;
    if (bt == rt) {
      bRows = -1, bCols = cols;
    } else if (bt.getRank() == rt.getRank() && lastDim(bv) == 1) {
      bRows = -1, bCols = 1;
    } else if (bt.getRank() == 1 && lastDim(bv) == cols &&
               isConstantRead(bv)) {
      bRows = 1, bCols = cols;
    } else {
      return state.fail(op, "unsupported broadcast in '" +
                                op->getName().getStringRef() + "'");
    }
    Value bPtr = state.vectorOperand(rewriter, loc, op, bIndex,
                                     adaptor.getOperands()[bIndex]);
    Value r = state.flatRows(rewriter, loc, op.getResult());
    Value brows = bRows < 0 ? r : state.i64(rewriter, loc, bRows);
    state.call(rewriter, loc, "ingot_uk_binary",
               {out[0], adaptor.getOperands()[a], bPtr, r,
                state.i64(rewriter, loc, cols), brows,
                state.i64(rewriter, loc, bCols),
                state.i32(rewriter, loc, Kind), state.ith, state.nth});
    state.rows[op.getResult()] =
        state.rowsOf(rewriter, loc, op->getOperand(a));
    return state.finish(rewriter, op, out);
  }
};

/// act(gate) * up in one pass.
struct GluLowering : CPUPattern<GluOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(GluOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    int32_t kind = state.options.ggmlNumerics ? INGOT_EW_SILU_MUL_GGML
                                              : INGOT_EW_SILU_MUL;
    if (op.getActivation() == Activation::gelu)
      kind = INGOT_EW_GELU_MUL;
    else if (op.getActivation() == Activation::gelu_tanh)
      kind = INGOT_EW_GELU_TANH_MUL;
    Value rows = state.flatRows(rewriter, loc, op.getResult());
    Value cols = state.i64(rewriter, loc, lastDim(op.getResult()));
    state.call(rewriter, loc, "ingot_uk_binary",
               {out[0], adaptor.getGate(), adaptor.getUp(), rows, cols, rows,
                cols, state.i32(rewriter, loc, kind), state.ith, state.nth});
    state.rows[op.getResult()] = state.rowsOf(rewriter, loc, op.getUp());
    return state.finish(rewriter, op, out);
  }
};

template <typename OpTy, int32_t Kind>
struct UnaryLowering : CPUPattern<OpTy> {
  using CPUPattern<OpTy>::CPUPattern;
  using OpAdaptor = typename CPUPattern<OpTy>::OpAdaptor;
  LogicalResult lower(OpTy op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    CPULowering &state = this->state;
    Location loc = op.getLoc();
    int32_t kind = Kind;
    if constexpr (std::is_same_v<OpTy, GeluOp>)
      kind = op.getApproximate() ? INGOT_UN_GELU_TANH : INGOT_UN_GELU;
    Value count = state.elementCount(rewriter, loc, op.getResult());
    state.call(rewriter, loc, "ingot_uk_unary",
               {out[0], adaptor.getX(), count, state.i32(rewriter, loc, kind),
                state.ith, state.nth});
    return state.finish(rewriter, op, out);
  }
};

struct ClampLowering : CPUPattern<ClampOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(ClampOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    Value count = state.elementCount(rewriter, loc, op.getResult());
    state.call(rewriter, loc, "ingot_uk_clamp",
               {out[0], adaptor.getX(), count,
                state.f32(rewriter, loc, op.getMin().convertToDouble()),
                state.f32(rewriter, loc, op.getMax().convertToDouble()),
                state.ith, state.nth});
    return state.finish(rewriter, op, out);
  }
};

/// The rotation of the rows by the op's signed Walsh-Hadamard transform.
struct HadamardLowering : CPUPattern<HadamardOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(HadamardOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    int64_t d = lastDim(op.getX());
    std::vector<float> signs(d);
    for (int64_t i = 0; i < d; ++i)
      signs[i] = isHadamardSignNegative(op.getSeed(), i) ? -1.0f : 1.0f;
    state.call(rewriter, loc, "ingot_uk_hadamard",
               {out[0], adaptor.getX(),
                state.flatRows(rewriter, loc, op.getX()),
                state.i64(rewriter, loc, d),
                state.floatArray(rewriter, loc, signs, "hadamard.signs"),
                state.i32(rewriter, loc, op.getInverse() ? 1 : 0), state.ith,
                state.nth});
    return state.finish(rewriter, op, out);
  }
};

} // namespace

void populateElementwisePatterns(TypeConverter &converter,
                                 RewritePatternSet &patterns,
                                 CPULowering &state) {
  patterns.add<NormLowering<RmsNormOp>, NormLowering<LayerNormOp>,
               BinaryLowering<AddOp, INGOT_EW_ADD>,
               BinaryLowering<SubOp, INGOT_EW_SUB>,
               BinaryLowering<MulOp, INGOT_EW_MUL>,
               BinaryLowering<DivOp, INGOT_EW_DIV>,
               BinaryLowering<MaximumOp, INGOT_EW_MAX>, GluLowering,
               UnaryLowering<SiluOp, INGOT_UN_SILU>,
               UnaryLowering<SigmoidOp, INGOT_UN_SIGMOID>,
               UnaryLowering<GeluOp, INGOT_UN_GELU>,
               UnaryLowering<TanhOp, INGOT_UN_TANH>,
               UnaryLowering<ExpOp, INGOT_UN_EXP>,
               UnaryLowering<NegOp, INGOT_UN_NEG>,
               UnaryLowering<RsqrtOp, INGOT_UN_RSQRT>,
               UnaryLowering<ReluOp, INGOT_UN_RELU>, ClampLowering,
               HadamardLowering>(converter, patterns.getContext(), state);
}

} // namespace ingot::cpu
