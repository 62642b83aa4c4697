//===- Builder.cpp - Decoder graphs from a model config -------------------===//
//
// Emits the fine-grained graph: what the reference modeling code computes,
// op for op (projections, reshapes, rope, the KV cache read and update,
// grouped-query expansion, scaled scores, additive mask, softmax, the FFN or
// the router and experts). Recognizing attention is the passes' job.
//
//===----------------------------------------------------------------------===//

#include "frontends/arch/Builder.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ingot;

StringRef mlir::ingot::stringifyArchitecture(Architecture arch) {
  switch (arch) {
  case Architecture::Llama:
    return "llama";
  case Architecture::Qwen2:
    return "qwen2";
  case Architecture::Qwen3:
    return "qwen3";
  case Architecture::Mistral:
    return "mistral";
  case Architecture::Mixtral:
    return "mixtral";
  case Architecture::Qwen2Moe:
    return "qwen2_moe";
  case Architecture::Qwen3Moe:
    return "qwen3_moe";
  case Architecture::Olmoe:
    return "olmoe";
  }
  llvm_unreachable("unknown architecture");
}

llvm::Error ModelConfig::validate() const {
  auto bad = [&](const Twine &what) {
    return llvm::createStringError(stringifyArchitecture(arch) +
                                   " model: " + what);
  };
  struct Field {
    const char *name;
    int64_t value;
  };
  for (Field field : {Field{"vocabulary size", vocabSize},
                      Field{"hidden size", hiddenSize},
                      Field{"layer count", numLayers},
                      Field{"head count", numHeads},
                      Field{"key/value head count", numKVHeads},
                      Field{"head dimension", headDim}})
    if (field.value < 1 || field.value > (int64_t(1) << 24))
      return bad(Twine(field.name) + " " + Twine(field.value) +
                 " is out of range");
  if (numHeads % numKVHeads != 0)
    return bad("head count " + Twine(numHeads) +
               " is not a multiple of the key/value head count " +
               Twine(numKVHeads));
  if (headDim % 2 != 0)
    return bad("head dimension " + Twine(headDim) + " is odd");
  if (hasDenseLayer() && (intermediateSize < 1 || intermediateSize > (1 << 24)))
    return bad("feed-forward size " + Twine(intermediateSize) +
               " is out of range");
  if (!(rmsNormEps > 0.0))
    return bad("norm epsilon must be positive");
  if (!(ropeTheta > 1.0))
    return bad("rope theta must be > 1");
  if (slidingWindow && *slidingWindow < 1)
    return bad("sliding window must be >= 1");
  if (!slidingLayers.empty() &&
      static_cast<int64_t>(slidingLayers.size()) != numLayers)
    return bad("sliding-window layer list has " +
               Twine(slidingLayers.size()) + " entries for " +
               Twine(numLayers) + " layers");
  if (!denseLayers.empty() &&
      static_cast<int64_t>(denseLayers.size()) != numLayers)
    return bad("dense-layer list has " + Twine(denseLayers.size()) +
               " entries for " + Twine(numLayers) + " layers");
  if (isMoE()) {
    if (numExperts > (1 << 16))
      return bad("expert count " + Twine(numExperts) + " is out of range");
    if (expertsPerToken < 1 || expertsPerToken > numExperts)
      return bad("experts per token " + Twine(expertsPerToken) +
                 " must be in [1, " + Twine(numExperts) + "]");
    if (expertIntermediateSize < 1 || expertIntermediateSize > (1 << 24))
      return bad("expert feed-forward size " + Twine(expertIntermediateSize) +
                 " is out of range");
  }
  return llvm::Error::success();
}

namespace {

/// Builds one module; every weight has been checked to exist with the
/// expected shape before building starts, so building cannot fail.
class DecoderBuilder {
public:
  DecoderBuilder(MLIRContext &context, const ModelConfig &config,
                 const WeightTable &weights, const BuildOptions &options)
      : config(config), weights(weights), options(options), b(&context),
        loc(UnknownLoc::get(&context)), f32(b.getF32Type()),
        i32(b.getI32Type()) {}

  llvm::Error checkWeights();
  OwningOpRef<ModuleOp> build();

private:
  /// (canonical name, expected shape) of the weights the graph reads
  /// outside the layers (`layer` < 0), or in layer `layer`. One layer at a
  /// time, so that a layer count the file does not back costs no memory.
  std::vector<std::pair<std::string, SmallVector<int64_t>>>
  requiredWeights(int64_t layer) const;

  int64_t cacheCapacity() const {
    int64_t ctx = options.contextLength;
    if (ctx <= 0)
      ctx = std::min<int64_t>(config.contextLength > 0 ? config.contextLength
                                                       : 4096,
                              4096);
    return ctx;
  }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type element = {}) {
    return RankedTensorType::get(shape, element ? element : f32);
  }

  /// Reads a weight, declaring it at module level on first use. A 1-D
  /// weight given where a row matrix is expected (`[n]` for `[1, n]`) is
  /// reshaped.
  Value weight(const std::string &name, ArrayRef<int64_t> shape = {});

  Value linear(Value x, StringRef name, int64_t out, bool bias = false);
  Value rmsNorm(Value x, StringRef name);
  Value gatedFFN(Value x, StringRef prefix, StringRef suffix, int64_t size);
  Value activate(Value x);
  Value constant(float value) {
    auto type = tensor({});
    return ConstantOp::create(b, loc, type,
                              DenseElementsAttr::get(type, value));
  }
  Value layer(int64_t i, Value x, Value qpos, Value kpos, Value start,
              Value &keyCache, Value &valueCache);
  Value attention(int64_t i, Value h, Value qpos, Value kpos, Value start,
                  Value &keyCache, Value &valueCache);
  Value moe(int64_t i, Value h);

  const ModelConfig &config;
  const WeightTable &weights;
  const BuildOptions &options;
  OpBuilder b;
  Location loc;
  Type f32, i32;
  ModuleOp module;
  Value tokens; ///< the dynamic token count, as an index
};

} // namespace

std::vector<std::pair<std::string, SmallVector<int64_t>>>
DecoderBuilder::requiredWeights(int64_t i) const {
  const ModelConfig &c = config;
  int64_t qDim = c.numHeads * c.headDim, kvDim = c.numKVHeads * c.headDim;
  std::vector<std::pair<std::string, SmallVector<int64_t>>> list;
  auto add = [&](std::string name, SmallVector<int64_t> shape) {
    list.emplace_back(std::move(name), std::move(shape));
  };
  if (i < 0) {
    add("token_embd.weight", {c.vocabSize, c.hiddenSize});
    add("output_norm.weight", {c.hiddenSize});
    if (!c.tiedEmbeddings)
      add("output.weight", {c.vocabSize, c.hiddenSize});
    return list;
  }
  std::string p = "blk." + std::to_string(i) + ".";
  add(p + "attn_norm.weight", {c.hiddenSize});
  if (i == 0 && weights.count("rope_freqs.weight"))
    add("rope_freqs.weight", {c.headDim / 2});
  add(p + "attn_q.weight", {qDim, c.hiddenSize});
  add(p + "attn_k.weight", {kvDim, c.hiddenSize});
  add(p + "attn_v.weight", {kvDim, c.hiddenSize});
  add(p + "attn_output.weight", {c.hiddenSize, qDim});
  if (c.hasQKVBias()) {
    add(p + "attn_q.bias", {qDim});
    add(p + "attn_k.bias", {kvDim});
    add(p + "attn_v.bias", {kvDim});
  }
  if (c.hasOutputBias())
    add(p + "attn_output.bias", {c.hiddenSize});
  if (c.hasPerHeadQKNorm()) {
    add(p + "attn_q_norm.weight", {c.headDim});
    add(p + "attn_k_norm.weight", {c.headDim});
  }
  if (c.hasFullQKNorm()) {
    add(p + "attn_q_norm.weight", {qDim});
    add(p + "attn_k_norm.weight", {kvDim});
  }
  add(p + "ffn_norm.weight", {c.hiddenSize});
  if (!c.isMoELayer(i)) {
    add(p + "ffn_gate.weight", {c.intermediateSize, c.hiddenSize});
    add(p + "ffn_up.weight", {c.intermediateSize, c.hiddenSize});
    add(p + "ffn_down.weight", {c.hiddenSize, c.intermediateSize});
    if (c.mlpBias) {
      add(p + "ffn_gate.bias", {c.intermediateSize});
      add(p + "ffn_up.bias", {c.intermediateSize});
      add(p + "ffn_down.bias", {c.hiddenSize});
    }
    return list;
  }
  int64_t e = c.numExperts, f = c.expertIntermediateSize;
  add(p + "ffn_gate_inp.weight", {e, c.hiddenSize});
  add(p + "ffn_gate_exps.weight", {e, f, c.hiddenSize});
  add(p + "ffn_up_exps.weight", {e, f, c.hiddenSize});
  add(p + "ffn_down_exps.weight", {e, c.hiddenSize, f});
  if (int64_t s = c.sharedExpertIntermediateSize) {
    add(p + "ffn_gate_shexp.weight", {s, c.hiddenSize});
    add(p + "ffn_up_shexp.weight", {s, c.hiddenSize});
    add(p + "ffn_down_shexp.weight", {c.hiddenSize, s});
    add(p + "ffn_gate_inp_shexp.weight", {1, c.hiddenSize});
  }
  return list;
}

/// Prints a shape as `[a, b]`.
static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, size] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(size);
  return text + "]";
}

llvm::Error DecoderBuilder::checkWeights() {
  if (llvm::Error error = config.validate())
    return error;
  // The global weights, then layer by layer: the first layer the file does
  // not hold stops the check.
  for (int64_t i = -1; i < config.numLayers; ++i) {
    for (auto &[name, shape] : requiredWeights(i)) {
      auto it = weights.find(name);
      if (it == weights.end())
        return llvm::createStringError("missing tensor '" + name + "' (" +
                                       stringifyArchitecture(config.arch) +
                                       " expects " + shapeStr(shape) + ")");
      ArrayRef<int64_t> got = it->second.type.getShape();
      bool rowVector = shape.size() == 2 && shape[0] == 1 &&
                       got.size() == 1 && got[0] == shape[1];
      if (got != ArrayRef<int64_t>(shape) && !rowVector)
        return llvm::createStringError(
            "tensor '" + it->second.source + "' has shape " + shapeStr(got) +
            ", but " + stringifyArchitecture(config.arch) + " expects " +
            shapeStr(shape));
    }
  }
  return llvm::Error::success();
}

Value DecoderBuilder::weight(const std::string &name,
                             ArrayRef<int64_t> shape) {
  auto it = weights.find(name);
  if (it == weights.end()) // checkWeights() lists every name read here.
    llvm::report_fatal_error("ingot: weight '" + Twine(name) +
                             "' missing from requiredWeights()");
  const WeightInfo &info = it->second;
  if (!module.lookupSymbol(name)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto decl = WeightDeclOp::create(b, loc, name, info.type,
                                     b.getStringAttr(info.source));
    // Declarations go before the entry point.
    if (auto fn = module.lookupSymbol<func::FuncOp>("forward"))
      decl->moveBefore(fn);
  }
  Value value = WeightOp::create(b, loc, info.type, name);
  if (!shape.empty() && info.type.getShape() != shape)
    value = ReshapeOp::create(b, loc, tensor(shape, info.type.getElementType()),
                              value);
  return value;
}

Value DecoderBuilder::linear(Value x, StringRef name, int64_t out,
                             bool bias) {
  Value w = weight(name.str() + ".weight");
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(xType.getShape());
  shape.back() = out;
  Value biasValue;
  if (bias) {
    biasValue = weight(name.str() + ".bias");
    if (cast<RankedTensorType>(biasValue.getType()).getElementType() != f32)
      biasValue = CastOp::create(b, loc, tensor({out}), biasValue);
  }
  return MatmulOp::create(b, loc, tensor(shape), x, w, biasValue,
                          /*transpose_a=*/false, /*transpose_b=*/true);
}

Value DecoderBuilder::rmsNorm(Value x, StringRef name) {
  Value w = weight(name.str());
  return RmsNormOp::create(b, loc, x.getType(), x, w,
                           b.getF32FloatAttr(config.rmsNormEps));
}

/// The model's feed-forward activation.
Value DecoderBuilder::activate(Value x) {
  switch (config.activation) {
  case Activation::silu:
    return SiluOp::create(b, loc, x);
  case Activation::gelu:
    return GeluOp::create(b, loc, x, /*approximate=*/false);
  case Activation::gelu_tanh:
    return GeluOp::create(b, loc, x, /*approximate=*/true);
  case Activation::relu:
    return ReluOp::create(b, loc, x);
  }
  llvm_unreachable("unknown activation");
}

/// act(x·gateᵀ) * (x·upᵀ), then ·downᵀ (SwiGLU with SiLU); the dense
/// feed-forward's projections (no suffix) with their biases under mlp_bias.
Value DecoderBuilder::gatedFFN(Value x, StringRef prefix, StringRef suffix,
                               int64_t size) {
  bool bias = suffix.empty() && config.mlpBias;
  Value gate = linear(x, (prefix + "ffn_gate" + suffix).str(), size, bias);
  Value up = linear(x, (prefix + "ffn_up" + suffix).str(), size, bias);
  Value act = activate(gate);
  Value prod = MulOp::create(b, loc, gate.getType(), act, up);
  return linear(prod, (prefix + "ffn_down" + suffix).str(), config.hiddenSize,
                bias);
}

Value DecoderBuilder::attention(int64_t i, Value h, Value qpos, Value kpos,
                                Value start, Value &keyCache,
                                Value &valueCache) {
  const ModelConfig &c = config;
  int64_t dyn = ShapedType::kDynamic;
  int64_t nH = c.numHeads, nKV = c.numKVHeads, d = c.headDim;
  std::string p = "blk." + std::to_string(i) + ".";
  Value q = linear(h, p + "attn_q", nH * d, c.hasQKVBias());
  Value k = linear(h, p + "attn_k", nKV * d, c.hasQKVBias());
  Value v = linear(h, p + "attn_v", nKV * d, c.hasQKVBias());
  if (c.hasFullQKNorm()) {
    q = rmsNorm(q, p + "attn_q_norm.weight");
    k = rmsNorm(k, p + "attn_k_norm.weight");
  }
  if (c.clipQKV) {
    // OLMoE clamps after its q/k norms, before the heads are split.
    FloatAttr lo = b.getF32FloatAttr(-*c.clipQKV);
    FloatAttr hi = b.getF32FloatAttr(*c.clipQKV);
    q = ClampOp::create(b, loc, q, lo, hi);
    k = ClampOp::create(b, loc, k, lo, hi);
    v = ClampOp::create(b, loc, v, lo, hi);
  }
  q = ReshapeOp::create(b, loc, tensor({dyn, nH, d}), q);
  k = ReshapeOp::create(b, loc, tensor({dyn, nKV, d}), k);
  v = ReshapeOp::create(b, loc, tensor({dyn, nKV, d}), v);
  if (c.hasPerHeadQKNorm()) {
    q = rmsNorm(q, p + "attn_q_norm.weight");
    k = rmsNorm(k, p + "attn_k_norm.weight");
  }

  RopeScalingAttr scaling;
  if (c.ropeScaling) {
    const RopeScalingConfig &s = *c.ropeScaling;
    scaling = RopeScalingAttr::get(
        b.getContext(), s.kind, APFloat(s.factor), s.originalMaxPosition,
        APFloat(s.lowFreqFactor), APFloat(s.highFreqFactor),
        APFloat(s.betaFast), APFloat(s.betaSlow), APFloat(s.attnFactor));
  }
  auto rope = [&](Value x) {
    // GGUF carries Llama 3 scaling as per-frequency divisors.
    Value factors;
    if (weights.count("rope_freqs.weight"))
      factors = weight("rope_freqs.weight");
    return RopeOp::create(b, loc, x.getType(), x, qpos, factors,
                          b.getF32FloatAttr(c.ropeTheta),
                          RopeStyleAttr::get(b.getContext(), c.ropeStyle),
                          /*rotary_dim=*/nullptr, scaling);
  };
  q = rope(q);
  k = rope(k);

  // The cache: past entries, then this step's, and the updated cache.
  auto withCache = [&](Value &cache, Value fresh) -> Value {
    Value past = KVReadOp::create(b, loc, tensor({dyn, nKV, d}), cache, start);
    Value all = ConcatOp::create(b, loc, tensor({dyn, nKV, d}),
                                 ValueRange{past, fresh}, 0);
    cache = KVWriteOp::create(b, loc, cache, fresh, start);
    return all;
  };
  k = withCache(keyCache, k);
  v = withCache(valueCache, v);

  // Grouped-query attention: each key/value head serves nH / nKV queries.
  if (nH != nKV) {
    int64_t rep = nH / nKV;
    auto expand = [&](Value x) -> Value {
      Value x4 = ReshapeOp::create(b, loc, tensor({dyn, nKV, 1, d}), x);
      Value wide = BroadcastOp::create(b, loc, tensor({dyn, nKV, rep, d}), x4);
      return ReshapeOp::create(b, loc, tensor({dyn, nH, d}), wide);
    };
    k = expand(k);
    v = expand(v);
  }
  auto heads = [&](Value x) -> Value {
    return TransposeOp::create(b, loc, tensor({nH, dyn, d}), x,
                               ArrayRef<int64_t>{1, 0, 2});
  };
  Value qh = heads(q), kh = heads(k), vh = heads(v);
  Value scores = MatmulOp::create(b, loc, tensor({nH, dyn, dyn}), qh, kh,
                                  Value(), false, true);
  scores = MulOp::create(b, loc, scores.getType(), scores,
                         constant(1.0f / std::sqrt(float(d))));
  std::optional<int64_t> layerWindow = c.getLayerWindow(i);
  MaskKind kind = layerWindow ? MaskKind::sliding_window : MaskKind::causal;
  IntegerAttr window =
      layerWindow ? b.getI64IntegerAttr(*layerWindow) : IntegerAttr();
  Value mask = MaskOp::create(b, loc, tensor({dyn, dyn}), kind, qpos, kpos,
                              window);
  scores = AddOp::create(b, loc, scores.getType(), scores, mask);
  Value probs = SoftmaxOp::create(b, loc, scores, -1);
  Value out = MatmulOp::create(b, loc, tensor({nH, dyn, d}), probs, vh,
                               Value(), false, false);
  out = TransposeOp::create(b, loc, tensor({dyn, nH, d}), out,
                            ArrayRef<int64_t>{1, 0, 2});
  out = ReshapeOp::create(b, loc, tensor({dyn, nH * d}), out);
  return linear(out, p + "attn_output", c.hiddenSize, c.hasOutputBias());
}

Value DecoderBuilder::moe(int64_t i, Value h) {
  const ModelConfig &c = config;
  int64_t dyn = ShapedType::kDynamic;
  std::string p = "blk." + std::to_string(i) + ".";
  Value logits = linear(h, p + "ffn_gate_inp", c.numExperts);
  RoutingAttr rule = options.routing.value_or(RoutingAttr::get(
      b.getContext(), RoutingKind::top_k, c.expertsPerToken, APFloat(0.0), 0));
  auto route = RouteOp::create(
      b, loc, tensor({dyn}, i32), tensor({dyn}, i32), tensor({dyn}), logits,
      rule, RouterScoring::softmax, c.normTopKProb);
  Value y = MoeFfnOp::create(
      b, loc, h.getType(), h, route.getOffsets(), route.getExperts(),
      route.getWeights(), weight(p + "ffn_gate_exps.weight"),
      weight(p + "ffn_up_exps.weight"), weight(p + "ffn_down_exps.weight"),
      ActivationAttr::get(b.getContext(), c.activation));
  if (int64_t s = c.sharedExpertIntermediateSize) {
    Value shared = gatedFFN(h, p, "_shexp", s);
    Value gateW = weight(p + "ffn_gate_inp_shexp.weight", {1, c.hiddenSize});
    Value gate = MatmulOp::create(b, loc, tensor({dyn, 1}), h, gateW, Value(),
                                  false, true);
    gate = SigmoidOp::create(b, loc, gate);
    shared = MulOp::create(b, loc, h.getType(), shared, gate);
    y = AddOp::create(b, loc, h.getType(), y, shared);
  }
  return y;
}

Value DecoderBuilder::layer(int64_t i, Value x, Value qpos, Value kpos,
                            Value start, Value &keyCache, Value &valueCache) {
  std::string p = "blk." + std::to_string(i) + ".";
  Value h = rmsNorm(x, p + "attn_norm.weight");
  Value attn = attention(i, h, qpos, kpos, start, keyCache, valueCache);
  x = AddOp::create(b, loc, x.getType(), x, attn);
  h = rmsNorm(x, p + "ffn_norm.weight");
  Value ffn = config.isMoELayer(i)
                  ? moe(i, h)
                  : gatedFFN(h, p, "", config.intermediateSize);
  return AddOp::create(b, loc, x.getType(), x, ffn);
}

OwningOpRef<ModuleOp> DecoderBuilder::build() {
  const ModelConfig &c = config;
  int64_t dyn = ShapedType::kDynamic;
  OwningOpRef<ModuleOp> owned = ModuleOp::create(loc);
  module = *owned;
  module->setAttr("ingot.architecture",
                  b.getStringAttr(stringifyArchitecture(c.arch)));

  Type cacheElement = options.cacheElementType ? options.cacheElementType : f32;
  auto cacheType = KVCacheType::get(b.getContext(), cacheCapacity(),
                                    c.numKVHeads, c.headDim, cacheElement,
                                    KVQuantAttr());
  SmallVector<Type> inputs = {tensor({dyn}, i32), b.getIndexType()};
  SmallVector<Type> results = {tensor({dyn, c.vocabSize})};
  for (int64_t i = 0; i < 2 * c.numLayers; ++i) {
    inputs.push_back(cacheType);
    results.push_back(cacheType);
  }
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, "forward",
                                 b.getFunctionType(inputs, results));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);

  Value ids = entry->getArgument(0), start = entry->getArgument(1);
  tokens = tensor::DimOp::create(b, loc, ids, 0);
  Value total = arith::AddIOp::create(b, loc, start, tokens);
  Value qpos = IotaOp::create(b, loc, tensor({dyn}, i32), tokens, start);
  Value kpos = IotaOp::create(b, loc, tensor({dyn}, i32), total, Value());

  Value x = EmbeddingOp::create(b, loc, tensor({dyn, c.hiddenSize}),
                                weight("token_embd.weight"), ids);
  SmallVector<Value> caches(entry->getArguments().drop_front(2));
  for (int64_t i = 0; i < c.numLayers; ++i)
    x = layer(i, x, qpos, kpos, start, caches[2 * i], caches[2 * i + 1]);
  x = rmsNorm(x, "output_norm.weight");
  Value logits = linear(
      x, c.tiedEmbeddings ? "token_embd" : "output", c.vocabSize);
  SmallVector<Value> outs = {logits};
  outs.append(caches);
  func::ReturnOp::create(b, loc, outs);
  return owned;
}

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::ingot::buildDecoderModel(MLIRContext &context, const ModelConfig &config,
                               const WeightTable &weights,
                               const BuildOptions &options) {
  context.loadDialect<IngotDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect>();
  DecoderBuilder builder(context, config, weights, options);
  if (llvm::Error error = builder.checkWeights())
    return error;
  return builder.build();
}
