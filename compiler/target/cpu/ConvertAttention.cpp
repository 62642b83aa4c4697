//===- ConvertAttention.cpp - Rotary embeddings and fused attention -------===//
//
// ingot.rope -> ingot_uk_rope (its inverse frequencies a constant array)
// or, for GGML numerics, ingot_uk_rope_ggml; ingot.attention ->
// ingot_uk_attention, which also appends the new keys and values to the
// caches in their encoding (TurboQuant codebooks as constant arrays).
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "compiler/target/cpu/UKernelEnums.h"
#include "compiler/ukernels/ukernels.h"
#include "dialects/ingot/KVCodebooks.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {
namespace {

struct RopeLowering : CPUPattern<RopeOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(RopeOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    auto t = cast<ShapedType>(op.getX().getType());
    int64_t d = t.getDimSize(2);
    int64_t rot = op.getRotaryDim().value_or(d);
    auto [freqs, mscale] = getRopeFrequencies(
        op.getTheta().convertToDouble(), rot,
        op.getScaling().value_or(RopeScalingAttr()));
    // freq_factors divide the frequencies (read at packing time).
    const std::vector<float> &divisors = state.ropeDivisors.lookup(op);
    Value rows = state.rowsOf(rewriter, loc, op.getX());
    Value style = state.i32(rewriter, loc, getUKernelRopeStyle(op.getStyle()));
    // GGML's roundings: the angles built up in f32 from powf(theta,
    // -2/rot), freq_factors dividing them. Scaled ropes (linear, YaRN,
    // llama3 folded into the frequencies) keep the exact kernel.
    if (state.options.ggmlNumerics && !op.getScaling() && mscale == 1.0) {
      Value factors =
          divisors.empty()
              ? state.null(rewriter, loc)
              : state.floatArray(rewriter, loc, divisors, "rope.freq_factors");
      float thetaScale =
          std::pow(static_cast<float>(op.getTheta().convertToDouble()),
                   -2.0f / static_cast<float>(rot));
      state.call(rewriter, loc, "ingot_uk_rope_ggml",
                 {out[0], adaptor.getX(), adaptor.getPositions(), rows,
                  state.i64(rewriter, loc, t.getDimSize(1)),
                  state.i64(rewriter, loc, d), state.i64(rewriter, loc, rot),
                  state.f32(rewriter, loc, thetaScale), factors, style,
                  state.ith, state.nth});
    } else {
      std::vector<float> invFreq(freqs.begin(), freqs.end());
      for (size_t i = 0; i < invFreq.size() && i < divisors.size(); ++i)
        invFreq[i] = static_cast<float>(freqs[i] / divisors[i]);
      state.call(rewriter, loc, "ingot_uk_rope",
                 {out[0], adaptor.getX(), adaptor.getPositions(), rows,
                  state.i64(rewriter, loc, t.getDimSize(1)),
                  state.i64(rewriter, loc, d), state.i64(rewriter, loc, rot),
                  state.floatArray(rewriter, loc, invFreq, "rope.inv_freq"),
                  state.f32(rewriter, loc, mscale), style, state.ith,
                  state.nth});
    }
    return state.finish(rewriter, op, out);
  }
};

/// The INGOT_KV_* format of a cache, and its codebook (or null).
int32_t cacheFormat(CPULowering &state, OpBuilder &b, Location loc,
                    Value cache, Value &book) {
  auto type = cast<KVCacheType>(cache.getType());
  book = state.null(b, loc);
  if (KVQuantAttr encoding = type.getEncoding()) {
    switch (encoding.getKind()) {
    case KVQuantKind::q8:
      return INGOT_KV_Q8;
    case KVQuantKind::q4:
      return INGOT_KV_Q4;
    case KVQuantKind::tq4:
    case KVQuantKind::tq3: {
      auto levels = getTurboCodebook(type.getHeadDim(), encoding.getBits());
      book = state.floatArray(b, loc, levels, "kv.codebook");
      return encoding.getKind() == KVQuantKind::tq4 ? INGOT_KV_TQ4
                                                    : INGOT_KV_TQ3;
    }
    }
  }
  Type element = type.getElementType();
  if (element.isF16())
    return INGOT_KV_F16;
  if (element.isBF16())
    return INGOT_KV_BF16;
  return INGOT_KV_F32;
}

struct AttentionLowering : CPUPattern<AttentionOp> {
  using CPUPattern::CPUPattern;
  LogicalResult lower(AttentionOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter,
                      ArrayRef<Value> out) const override {
    Location loc = op.getLoc();
    if (!op.getKeyCache())
      return state.fail(op, "ingot.attention without a KV cache is not "
                            "supported by the CPU backend");
    auto q = cast<ShapedType>(op.getQuery().getType());
    auto k = cast<ShapedType>(op.getKey().getType());
    auto v = cast<ShapedType>(op.getValue().getType());
    if (k.getDimSize(2) != v.getDimSize(2))
      return state.fail(op, "attention with a value head size different "
                            "from the key head size is not supported by the "
                            "CPU backend");
    Value kbook, vbook;
    int32_t kfmt = cacheFormat(state, rewriter, loc, op.getKeyCache(), kbook);
    int32_t vfmt =
        cacheFormat(state, rewriter, loc, op.getValueCache(), vbook);
    int64_t window = op.getWindow().value_or(0);
    float softcap =
        op.getSoftcap() ? op.getSoftcap()->convertToFloat() : 0.0f;
    auto i64 = [&](int64_t x) { return state.i64(rewriter, loc, x); };
    auto i32 = [&](int64_t x) { return state.i32(rewriter, loc, x); };
    auto f32 = [&](double x) { return state.f32(rewriter, loc, x); };
    state.call(rewriter, loc, "ingot_uk_attention",
               {out[0], adaptor.getQuery(), adaptor.getKey(),
                adaptor.getValue(), adaptor.getKeyCache(),
                adaptor.getValueCache(),
                state.rowsOf(rewriter, loc, op.getQuery()), state.start,
                i64(q.getDimSize(1)), i64(k.getDimSize(1)),
                i64(q.getDimSize(2)), f32(op.getScale().convertToFloat()),
                i32(getUKernelMask(op.getMask())), i64(window),
                f32(softcap), i32(kfmt), i32(vfmt), kbook, vbook,
                i32(state.options.ggmlNumerics ? INGOT_NUMERICS_GGML
                                               : INGOT_NUMERICS_EXACT),
                state.scratch, state.sync, state.ith, state.nth});
    // The caches are updated in place.
    return state.finish(
        rewriter, op,
        ValueRange{out[0], adaptor.getKeyCache(), adaptor.getValueCache()});
  }
};

} // namespace

void populateAttentionPatterns(TypeConverter &converter,
                               RewritePatternSet &patterns,
                               CPULowering &state) {
  patterns.add<RopeLowering, AttentionLowering>(converter,
                                                patterns.getContext(), state);
}

} // namespace ingot::cpu
