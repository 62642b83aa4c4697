//===- FuseAttention.cpp - Fuse fine-grained attention into one op --------===//

#include "passes/graph/Passes.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>
#include <optional>

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTFUSEATTENTIONPASS
#include "passes/graph/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

/// Whether `axis` is the last of `rank` dimensions.
static bool isLastAxis(int64_t axis, int64_t rank) {
  return axis == -1 || axis == rank - 1;
}

FailureOr<Value> mlir::ingot::matchDecomposedSoftmax(Value probs) {
  // probs = e / reduce_sum(e), e = exp(x - reduce_max(x)), all over the
  // last axis, and every elementwise op keeps x's shape.
  auto div = probs.getDefiningOp<DivOp>();
  if (!div)
    return failure();
  auto type = cast<RankedTensorType>(div.getType());
  int64_t rank = type.getRank();
  auto exp = div.getLhs().getDefiningOp<ExpOp>();
  auto sum = div.getRhs().getDefiningOp<ReduceOp>();
  if (!exp || !sum || exp.getType() != type || sum.getX() != exp.getResult() ||
      sum.getKind() != ReduceKind::sum || !isLastAxis(sum.getAxis(), rank))
    return failure();
  auto sub = exp.getX().getDefiningOp<SubOp>();
  if (!sub || sub.getType() != type)
    return failure();
  Value x = sub.getLhs();
  auto max = sub.getRhs().getDefiningOp<ReduceOp>();
  if (x.getType() != type || !max || max.getX() != x ||
      max.getKind() != ReduceKind::max || !isLastAxis(max.getAxis(), rank))
    return failure();
  return x;
}

namespace {
/// Whether `op` is a `transpose [1, 0, 2]` (tokens and heads swapped).
static bool isHeadSwap(TransposeOp op) {
  return op && op.getPermutation() == ArrayRef<int64_t>{1, 0, 2};
}

/// The value of a splat float constant, or nothing.
static std::optional<double> getSplatConstant(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto attr =
      constant ? dyn_cast<DenseFPElementsAttr>(constant.getValue()) : nullptr;
  if (!attr || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// Whether `a` and `b` are the same float to about single precision.
static bool nearlyEqual(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

/// Peels products and quotients by splat constants off `x` (`x * c`,
/// `c * x`, `x / c`) that keep its shape, multiplying their factors into
/// `scale`.
static Value stripScaling(Value x, double &scale) {
  while (Operation *op = x.getDefiningOp()) {
    Value other;
    std::optional<double> factor;
    if (auto mul = dyn_cast<MulOp>(op)) {
      if ((factor = getSplatConstant(mul.getRhs())))
        other = mul.getLhs();
      else if ((factor = getSplatConstant(mul.getLhs())))
        other = mul.getRhs();
    } else if (auto div = dyn_cast<DivOp>(op)) {
      factor = getSplatConstant(div.getRhs());
      if (factor && *factor != 0.0) {
        other = div.getLhs();
        factor = 1.0 / *factor;
      }
    }
    if (!other || other.getType() != x.getType())
      return x;
    scale *= *factor;
    x = other;
  }
  return x;
}

/// The value `x` before a grouped-query expansion, or `x` itself when it is
/// not one. Tokens first: `reshape [S,KV,1,D]` → `broadcast [S,KV,rep,D]` →
/// `reshape [S,KV*rep,D]`; heads first (after the head swap, as
/// `repeat_kv` does): `reshape [KV,1,S,D]` → `broadcast [KV,rep,S,D]` →
/// `reshape [KV*rep,S,D]`.
static Value stripHeadExpansion(Value x, bool headsFirst) {
  auto merge = x.getDefiningOp<ReshapeOp>();
  if (!merge)
    return x;
  auto wide = merge.getX().getDefiningOp<BroadcastOp>();
  if (!wide)
    return x;
  auto split = wide.getX().getDefiningOp<ReshapeOp>();
  if (!split)
    return x;
  auto inner = dyn_cast<RankedTensorType>(split.getX().getType());
  auto x4 = cast<RankedTensorType>(split.getType());
  auto w4 = cast<RankedTensorType>(wide.getType());
  auto out = cast<RankedTensorType>(merge.getType());
  if (!inner || inner.getRank() != 3 || x4.getRank() != 4 ||
      w4.getRank() != 4 || out.getRank() != 3)
    return x;
  // Dimension numbers of heads and the others in the 3-D and 4-D forms.
  int64_t headDim3 = headsFirst ? 0 : 1, otherDim3 = headsFirst ? 1 : 0;
  int64_t headDim4 = headsFirst ? 0 : 1, repDim4 = headsFirst ? 1 : 2;
  int64_t otherDim4 = headsFirst ? 2 : 0;
  int64_t kv = inner.getDimSize(headDim3), d = inner.getDimSize(2);
  int64_t rep = w4.getDimSize(repDim4);
  if (ShapedType::isDynamic(kv) || ShapedType::isDynamic(d) ||
      ShapedType::isDynamic(rep))
    return x;
  int64_t other = inner.getDimSize(otherDim3);
  if (x4.getDimSize(headDim4) != kv || x4.getDimSize(repDim4) != 1 ||
      x4.getDimSize(otherDim4) != other || x4.getDimSize(3) != d ||
      w4.getDimSize(headDim4) != kv || w4.getDimSize(otherDim4) != other ||
      w4.getDimSize(3) != d || out.getDimSize(headDim3) != kv * rep ||
      out.getDimSize(otherDim3) != other || out.getDimSize(2) != d)
    return x;
  return split.getX();
}

/// Whether `value` is a splat of -inf or of the lowest finite float (a
/// "masked out" score: either gives a probability of exactly 0).
static bool isMaskedOutConstant(Value value) {
  std::optional<double> c = getSplatConstant(value);
  return c && (*c == -std::numeric_limits<double>::infinity() ||
               *c <= -std::numeric_limits<float>::max());
}

/// A boolean `ingot.mask` (`i1` result), or null.
static MaskOp getBooleanMask(Value value) {
  auto mask = value.getDefiningOp<MaskOp>();
  if (!mask || !mask.getType().getElementType().isInteger(1))
    return nullptr;
  return mask;
}

/// The additive mask `value` is: an `ingot.mask` with a float result, or
/// `select(boolean mask, 0, -inf)`; null otherwise.
static MaskOp getAdditiveMask(Value value) {
  if (auto mask = value.getDefiningOp<MaskOp>())
    return isa<FloatType>(mask.getType().getElementType()) ? mask : nullptr;
  auto select = value.getDefiningOp<SelectOp>();
  if (!select)
    return nullptr;
  std::optional<double> visible = getSplatConstant(select.getTrueValue());
  if (!visible || *visible != 0.0 ||
      !isMaskedOutConstant(select.getFalseValue()))
    return nullptr;
  return getBooleanMask(select.getCondition());
}

/// One side (keys or values) of the attention: the new entries, and with a
/// cache, the cache they are appended to and its update.
struct KVSide {
  Value fresh;
  Value cache;
  KVWriteOp write;
};

/// `transpose [1,0,2] (matmul (softmax (mask (softcap (scale · q·kᵀ)))), v)`
/// over the expanded, cache-concatenated keys and values → `ingot.attention`.
struct FuseAttentionChain : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp root,
                                PatternRewriter &rewriter) const override {
    if (!isHeadSwap(root))
      return rewriter.notifyMatchFailure(root, "not a [1, 0, 2] transpose");
    auto pv = root.getX().getDefiningOp<MatmulOp>();
    if (!pv || pv.getTransposeA() || pv.getTransposeB() || pv.getBias())
      return rewriter.notifyMatchFailure(root, "not over a plain probs·v");

    // The softmax, plain or decomposed (max-subtracted), over the last axis.
    auto scoresType = cast<RankedTensorType>(pv.getA().getType());
    if (scoresType.getRank() != 3)
      return rewriter.notifyMatchFailure(root, "probabilities not 3-D");
    Value masked;
    if (auto softmax = pv.getA().getDefiningOp<SoftmaxOp>()) {
      if (!isLastAxis(softmax.getAxis(), 3))
        return rewriter.notifyMatchFailure(root, "softmax over wrong axis");
      masked = softmax.getX();
    } else {
      FailureOr<Value> x = matchDecomposedSoftmax(pv.getA());
      if (failed(x))
        return rewriter.notifyMatchFailure(
            root, "probabilities not a softmax over the last axis");
      masked = *x;
    }

    // The mask: `scores + additive mask`, `select(boolean mask, scores,
    // -inf)`, or none.
    Value capped = masked;
    MaskOp mask;
    if (auto add = masked.getDefiningOp<AddOp>()) {
      if ((mask = getAdditiveMask(add.getRhs())))
        capped = add.getLhs();
      else if ((mask = getAdditiveMask(add.getLhs())))
        capped = add.getRhs();
      else
        return rewriter.notifyMatchFailure(
            root, "scores plus something that is not a mask");
    } else if (auto select = masked.getDefiningOp<SelectOp>()) {
      mask = getBooleanMask(select.getCondition());
      if (!mask || !isMaskedOutConstant(select.getFalseValue()))
        return rewriter.notifyMatchFailure(
            root, "select is not a boolean ingot.mask over the scores");
      capped = select.getTrueValue();
    }
    if (capped.getType() != scoresType)
      return rewriter.notifyMatchFailure(root, "the mask changes the shape");

    // The softcap: `c * tanh(s / c)` or `c * tanh(s * (1/c))`.
    Value scaled = capped;
    std::optional<double> softcap;
    if (auto outer = capped.getDefiningOp<MulOp>()) {
      TanhOp tanh = outer.getLhs().getDefiningOp<TanhOp>();
      std::optional<double> cap = getSplatConstant(outer.getRhs());
      if (!tanh) {
        tanh = outer.getRhs().getDefiningOp<TanhOp>();
        cap = getSplatConstant(outer.getLhs());
      }
      if (tanh) {
        if (!cap || tanh.getType() != scoresType)
          return rewriter.notifyMatchFailure(root,
                                             "tanh not scaled by a constant");
        double inner = 1.0;
        Value below = tanh.getX();
        if (auto div = below.getDefiningOp<DivOp>()) {
          std::optional<double> c = getSplatConstant(div.getRhs());
          if (c && *c != 0.0 && div.getLhs().getType() == scoresType) {
            inner = 1.0 / *c;
            below = div.getLhs();
          }
        } else if (auto mul = below.getDefiningOp<MulOp>()) {
          std::optional<double> c = getSplatConstant(mul.getRhs());
          Value other = mul.getLhs();
          if (!c) {
            c = getSplatConstant(mul.getLhs());
            other = mul.getRhs();
          }
          if (c && other.getType() == scoresType) {
            inner = *c;
            below = other;
          }
        }
        if (!(*cap > 0.0) || !nearlyEqual(inner * *cap, 1.0))
          return rewriter.notifyMatchFailure(
              root, "tanh's constants are not a softcap c * tanh(x / c)");
        softcap = *cap;
        scaled = below;
      }
    }

    // scale · q·kᵀ, the scale split across products and quotients by
    // constants of the scores, of q and of k (before or after the head
    // swap).
    double scale = 1.0;
    auto qk = stripScaling(scaled, scale).getDefiningOp<MatmulOp>();
    if (!qk || qk.getTransposeA() || !qk.getTransposeB() || qk.getBias() ||
        qk.getType() != scoresType)
      return rewriter.notifyMatchFailure(root, "scores not (scaled) q·kᵀ");
    // q, k, v in [tokens, heads, head_dim] before the head swap; k and v
    // may be expanded to the query heads after the swap too.
    auto qh = stripScaling(qk.getA(), scale).getDefiningOp<TransposeOp>();
    auto kh = stripHeadExpansion(stripScaling(qk.getB(), scale),
                                 /*headsFirst=*/true)
                  .getDefiningOp<TransposeOp>();
    auto vh = stripHeadExpansion(pv.getB(), /*headsFirst=*/true)
                  .getDefiningOp<TransposeOp>();
    if (!isHeadSwap(qh) || !isHeadSwap(kh) || !isHeadSwap(vh))
      return rewriter.notifyMatchFailure(root,
                                         "q, k or v not a [1, 0, 2] transpose");
    Value q = stripScaling(qh.getX(), scale);
    auto qType = dyn_cast<RankedTensorType>(q.getType());
    if (!qType || qType.getRank() != 3 || root.getType() != qType)
      return rewriter.notifyMatchFailure(root, "q and output shapes differ");
    // k may be scaled before or after its expansion to the query heads.
    Value keys = stripScaling(stripHeadExpansion(stripScaling(kh.getX(), scale),
                                                 /*headsFirst=*/false),
                              scale);
    if (!std::isfinite(scale) || !(scale > 0.0))
      return rewriter.notifyMatchFailure(root, "scale not positive");

    // The mask's positions: queries `iota %t offset %start`, keys `iota %n`.
    IotaOp qpos, kpos;
    Value start;
    if (mask) {
      qpos = mask.getQueryPositions().getDefiningOp<IotaOp>();
      kpos = mask.getKeyPositions().getDefiningOp<IotaOp>();
      if (!qpos || !kpos || kpos.getOffset())
        return rewriter.notifyMatchFailure(
            root, "mask positions not ingot.iota of the step");
      start = qpos.getOffset();
    }

    KVSide key, value;
    if (failed(matchSide(rewriter, root, keys, bool(mask), start, key)) ||
        failed(matchSide(rewriter, root, vh.getX(), bool(mask), start, value)))
      return failure();
    if (bool(key.cache) != bool(value.cache))
      return rewriter.notifyMatchFailure(root,
                                         "only one of k and v uses a cache");
    if (key.cache) {
      if (mask) {
        // Keys are positions 0 .. start + t - 1.
        auto n = kpos.getN().getDefiningOp<arith::AddIOp>();
        Value t = qpos.getN();
        if (!n || !((n.getLhs() == start && n.getRhs() == t) ||
                    (n.getLhs() == t && n.getRhs() == start)))
          return rewriter.notifyMatchFailure(
              root, "key positions not iota(start + t)");
      }
      // The updated caches are used after the fused op only.
      for (KVWriteOp write : {key.write, value.write})
        for (Operation *user : write->getUsers()) {
          Operation *ancestor = root->getBlock()->findAncestorOpInBlock(*user);
          if (!ancestor || !root->isBeforeInBlock(ancestor))
            return rewriter.notifyMatchFailure(
                root, "updated cache used before the attention");
        }
    } else if (mask && (start || kpos.getN() != qpos.getN())) {
      // Without a cache: queries and keys are the same positions 0 .. t-1.
      return rewriter.notifyMatchFailure(
          root, "without a cache, the mask must be over iota(t) twice");
    }

    auto keyType = cast<RankedTensorType>(key.fresh.getType());
    auto valueType = cast<RankedTensorType>(value.fresh.getType());
    if (keyType.getRank() != 3 || valueType.getRank() != 3 ||
        keyType.getDimSize(1) != valueType.getDimSize(1))
      return rewriter.notifyMatchFailure(root, "k and v heads differ");
    int64_t qHeads = qType.getDimSize(1), kvHeads = keyType.getDimSize(1);
    if (ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads) ||
        kvHeads == 0 || qHeads % kvHeads != 0)
      return rewriter.notifyMatchFailure(root, "head counts do not divide");

    Type keyCacheType = key.cache ? key.cache.getType() : Type();
    Type valueCacheType = value.cache ? value.cache.getType() : Type();
    auto kindAttr = mask ? mask.getKindAttr()
                         : MaskKindAttr::get(getContext(), MaskKind::none);
    auto attention = AttentionOp::create(
        rewriter, root.getLoc(), root.getType(), keyCacheType, valueCacheType,
        q, key.fresh, value.fresh, key.cache, value.cache,
        key.cache ? start : Value(), kindAttr,
        mask ? mask.getWindowAttr() : IntegerAttr(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)),
        softcap ? rewriter.getF32FloatAttr(static_cast<float>(*softcap))
                : FloatAttr());
    if (key.cache) {
      rewriter.replaceOp(key.write, attention.getNewKeyCache());
      rewriter.replaceOp(value.write, attention.getNewValueCache());
    }
    rewriter.replaceOp(root, attention.getResult());
    return success();
  }

  /// Matches `expanded` as the (GQA-expanded) keys or values: either
  /// `concat [kv_read(cache, start), fresh]` on axis 0 with a
  /// `kv_write(cache, fresh, start)` beside it, or `fresh` with no cache.
  /// With a mask, `start` is the mask's query offset; without one, it is
  /// taken from the first side's `kv_read` and the other must agree.
  static LogicalResult matchSide(PatternRewriter &rewriter, Operation *root,
                                 Value expanded, bool masked, Value &start,
                                 KVSide &side) {
    Value all = stripHeadExpansion(expanded, /*headsFirst=*/false);
    auto concat = all.getDefiningOp<ConcatOp>();
    if (!concat) {
      side.fresh = all;
      return success();
    }
    if (masked && !start)
      return rewriter.notifyMatchFailure(
          root, "cached keys but query positions have no offset");
    if (concat.getAxis() != 0 || concat.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(root,
                                         "concat not [past, new] on axis 0");
    auto read = concat.getInputs()[0].getDefiningOp<KVReadOp>();
    if (read && !start)
      start = read.getLength();
    if (!read || read.getLength() != start)
      return rewriter.notifyMatchFailure(
          root, "past entries not kv_read(cache, start)");
    side.fresh = concat.getInputs()[1];
    side.cache = read.getCache();
    for (Operation *user : side.fresh.getUsers()) {
      auto write = dyn_cast<KVWriteOp>(user);
      if (write && write.getCache() == side.cache &&
          write.getValues() == side.fresh && write.getPosition() == start) {
        side.write = write;
        return success();
      }
    }
    return rewriter.notifyMatchFailure(
        root, "no kv_write of the new entries at start into the same cache");
  }
};

/// `e / reduce_sum(e)` with `e = exp(x - reduce_max(x))` over the last axis
/// → `ingot.softmax x`.
struct RaiseDecomposedSoftmax : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Value> x = matchDecomposedSoftmax(op.getResult());
    if (failed(x))
      return rewriter.notifyMatchFailure(
          op, "not exp(x - max(x)) / sum(exp(...)) over the last axis");
    rewriter.replaceOpWithNewOp<SoftmaxOp>(op, op.getType(), *x,
                                           rewriter.getI64IntegerAttr(-1));
    return success();
  }
};

struct FuseAttention : ingot::impl::IngotFuseAttentionPassBase<FuseAttention> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseAttentionPatterns(patterns);
    if (raiseSoftmax)
      populateRaiseSoftmaxPatterns(patterns);
    // Rewrite only; the greedy driver erases the chains left dead.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace

void mlir::ingot::populateFuseAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAttentionChain>(patterns.getContext());
}

void mlir::ingot::populateRaiseSoftmaxPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseDecomposedSoftmax>(patterns.getContext());
}
