//===- FuseAttention.cpp - Fuse fine-grained attention into one op --------===//

#include "passes/graph/Passes.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTFUSEATTENTIONPASS
#include "passes/graph/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

namespace {
/// Whether `op` is a `transpose [1, 0, 2]` (tokens and heads swapped).
static bool isHeadSwap(TransposeOp op) {
  return op && op.getPermutation() == ArrayRef<int64_t>{1, 0, 2};
}

/// The value `x` before a grouped-query expansion
/// `reshape [S,KV,1,D]` → `broadcast [S,KV,rep,D]` → `reshape [S,KV*rep,D]`,
/// or `x` itself when it is not one.
static Value stripHeadExpansion(Value x) {
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
  int64_t kv = inner.getDimSize(1), d = inner.getDimSize(2);
  int64_t rep = w4.getDimSize(2);
  if (ShapedType::isDynamic(kv) || ShapedType::isDynamic(d) ||
      ShapedType::isDynamic(rep))
    return x;
  if (x4.getDimSize(1) != kv || x4.getDimSize(2) != 1 ||
      x4.getDimSize(3) != d || w4.getDimSize(1) != kv ||
      w4.getDimSize(3) != d || out.getDimSize(1) != kv * rep ||
      out.getDimSize(2) != d)
    return x;
  return split.getX();
}

/// One side (keys or values) of the attention: the new entries, and with a
/// cache, the cache they are appended to and its update.
struct KVSide {
  Value fresh;
  Value cache;
  KVWriteOp write;
};

/// `transpose [1,0,2] (matmul (softmax (matmul q·kᵀ · scale + mask)), v)`
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
    auto softmax = pv.getA().getDefiningOp<SoftmaxOp>();
    if (!softmax)
      return rewriter.notifyMatchFailure(root, "probabilities not a softmax");
    auto scoresType = cast<RankedTensorType>(softmax.getType());
    int64_t axis = softmax.getAxis();
    if (scoresType.getRank() != 3 || (axis != -1 && axis != 2))
      return rewriter.notifyMatchFailure(root, "softmax over wrong axis");

    // scores = q·kᵀ · scale + mask (either operand order).
    auto add = softmax.getX().getDefiningOp<AddOp>();
    if (!add || add.getType() != scoresType)
      return rewriter.notifyMatchFailure(root, "scores not a masked sum");
    MulOp mul = add.getLhs().getDefiningOp<MulOp>();
    MaskOp mask = add.getRhs().getDefiningOp<MaskOp>();
    if (!mul || !mask) {
      mul = add.getRhs().getDefiningOp<MulOp>();
      mask = add.getLhs().getDefiningOp<MaskOp>();
    }
    if (!mul || !mask)
      return rewriter.notifyMatchFailure(
          root, "scores not a scaled product plus an ingot.mask");
    if (mul.getType() != scoresType)
      return rewriter.notifyMatchFailure(root, "scaling changes the shape");
    MatmulOp qk = mul.getLhs().getDefiningOp<MatmulOp>();
    Value scaleValue = mul.getRhs();
    if (!qk) {
      qk = mul.getRhs().getDefiningOp<MatmulOp>();
      scaleValue = mul.getLhs();
    }
    if (!qk || qk.getTransposeA() || !qk.getTransposeB() || qk.getBias())
      return rewriter.notifyMatchFailure(root, "scores not q·kᵀ");
    auto scaleOp = scaleValue.getDefiningOp<ConstantOp>();
    auto scaleAttr =
        scaleOp ? dyn_cast<DenseFPElementsAttr>(scaleOp.getValue()) : nullptr;
    if (!scaleAttr || !scaleAttr.isSplat())
      return rewriter.notifyMatchFailure(root, "scale not a splat constant");
    APFloat scale = scaleAttr.getSplatValue<APFloat>();
    bool losesInfo = false;
    scale.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
    if (!(scale.convertToFloat() > 0.0f))
      return rewriter.notifyMatchFailure(root, "scale not positive");

    // q, k, v in [tokens, heads, head_dim] before the head swap.
    auto qh = qk.getA().getDefiningOp<TransposeOp>();
    auto kh = qk.getB().getDefiningOp<TransposeOp>();
    auto vh = pv.getB().getDefiningOp<TransposeOp>();
    if (!isHeadSwap(qh) || !isHeadSwap(kh) || !isHeadSwap(vh))
      return rewriter.notifyMatchFailure(root,
                                         "q, k or v not a [1, 0, 2] transpose");
    Value q = qh.getX();
    auto qType = dyn_cast<RankedTensorType>(q.getType());
    if (!qType || qType.getRank() != 3 || root.getType() != qType)
      return rewriter.notifyMatchFailure(root, "q and output shapes differ");

    // The mask: query positions `iota %t offset %start`, keys `iota %n`.
    auto qpos = mask.getQueryPositions().getDefiningOp<IotaOp>();
    auto kpos = mask.getKeyPositions().getDefiningOp<IotaOp>();
    if (!qpos || !kpos || kpos.getOffset())
      return rewriter.notifyMatchFailure(
          root, "mask positions not ingot.iota of the step");
    Value start = qpos.getOffset();

    KVSide key, value;
    if (failed(matchSide(rewriter, root, kh.getX(), start, key)) ||
        failed(matchSide(rewriter, root, vh.getX(), start, value)))
      return failure();
    if (bool(key.cache) != bool(value.cache))
      return rewriter.notifyMatchFailure(root,
                                         "only one of k and v uses a cache");
    if (key.cache) {
      // Keys are positions 0 .. start + t - 1.
      auto n = kpos.getN().getDefiningOp<arith::AddIOp>();
      Value t = qpos.getN();
      if (!n || !((n.getLhs() == start && n.getRhs() == t) ||
                  (n.getLhs() == t && n.getRhs() == start)))
        return rewriter.notifyMatchFailure(root,
                                           "key positions not iota(start + t)");
      // The updated caches are used after the fused op only.
      for (KVWriteOp write : {key.write, value.write})
        for (Operation *user : write->getUsers()) {
          Operation *ancestor = root->getBlock()->findAncestorOpInBlock(*user);
          if (!ancestor || !root->isBeforeInBlock(ancestor))
            return rewriter.notifyMatchFailure(
                root, "updated cache used before the attention");
        }
    } else if (start || kpos.getN() != qpos.getN()) {
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
    auto attention = AttentionOp::create(
        rewriter, root.getLoc(), root.getType(), keyCacheType, valueCacheType,
        q, key.fresh, value.fresh, key.cache, value.cache,
        key.cache ? start : Value(), mask.getKindAttr(), mask.getWindowAttr(),
        rewriter.getF32FloatAttr(scale.convertToFloat()), FloatAttr());
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
  static LogicalResult matchSide(PatternRewriter &rewriter, Operation *root,
                                 Value expanded, Value start, KVSide &side) {
    Value all = stripHeadExpansion(expanded);
    auto concat = all.getDefiningOp<ConcatOp>();
    if (!concat) {
      side.fresh = all;
      return success();
    }
    if (!start)
      return rewriter.notifyMatchFailure(
          root, "cached keys but query positions have no offset");
    if (concat.getAxis() != 0 || concat.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(root,
                                         "concat not [past, new] on axis 0");
    auto read = concat.getInputs()[0].getDefiningOp<KVReadOp>();
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

struct FuseAttention : ingot::impl::IngotFuseAttentionPassBase<FuseAttention> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseAttentionPatterns(patterns);
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
