//===- HFModel.cpp - Hugging Face checkpoints as imported models ----------===//
//
// config.json gives the hyperparameters (keys as transformers names them);
// tensor names are mapped onto the canonical GGUF names. Per-expert tensors
// (`...experts.3.gate_proj.weight`) are stacked into one `[experts, out, in]`
// weight whose source is written with `*` for the expert index.
//
//===----------------------------------------------------------------------===//

#include "frontends/import/Model.h"
#include "frontends/import/KnownFields.h"

#include "numerics/Dequantize.h"
#include "frontends/hf/Config.h"
#include "frontends/hf/Quantized.h"
#include "frontends/hf/Safetensors.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::ingot;
using ::ingot::hf::ConfigObject;
using ::ingot::hf::HFModelConfig;
using ::ingot::hf::QuantizationConfig;
using ::ingot::hf::QuantizedLinear;
using ::ingot::hf::SafetensorsCheckpoint;
using ::ingot::hf::SafetensorsDType;
using ::ingot::hf::SafetensorsTensor;

namespace {

class HFModel : public ImportedModel {
public:
  HFModel(MLIRContext &context, HFModelConfig hfConfig,
          std::unique_ptr<SafetensorsCheckpoint> checkpoint, std::string dir)
      : ImportedModel(context), hfConfig(std::move(hfConfig)),
        checkpoint(std::move(checkpoint)), dir(std::move(dir)) {}

  llvm::Error load();

  StringRef getFormat() const override { return "safetensors"; }
  std::string getChatTemplate() const override {
    const ::ingot::hf::ConfigObject *config = hfConfig.getTokenizerConfig();
    if (!config || !config->has("chat_template"))
      return "";
    llvm::Expected<StringRef> text = config->getString("chat_template");
    if (!text) {
      // A list of named templates (newer checkpoints): none chosen here.
      llvm::consumeError(text.takeError());
      return "";
    }
    return text->str();
  }
  std::vector<std::string> getFiles() const override {
    std::vector<std::string> files = hfConfig.listFiles();
    if (!quantizeConfigFile.empty())
      files.push_back(quantizeConfigFile);
    for (const std::string &file : checkpoint->listInputFiles())
      files.push_back(file);
    // The tokenizer readTokenizer reads.
    SmallString<128> tokenizer(dir);
    llvm::sys::path::append(tokenizer, "tokenizer.json");
    if (llvm::sys::fs::exists(tokenizer))
      files.push_back(tokenizer.str().str());
    return files;
  }
  std::string getTokenizerKind() const override {
    SmallString<128> path(dir);
    llvm::sys::path::append(path, "tokenizer.json");
    return llvm::sys::fs::exists(path) ? "byte-level BPE (tokenizer.json)"
                                       : "none";
  }
  llvm::Expected<::ingot::tokenizer::TokenizerData>
  readTokenizer() const override {
    // A missing tokenizer.json is the reader's one-line "cannot open".
    SmallString<128> path(dir);
    llvm::sys::path::append(path, "tokenizer.json");
    return ::ingot::tokenizer::loadHFTokenizer(path);
  }
  llvm::Expected<std::vector<float>>
  readWeight(StringRef name) const override;
  llvm::Expected<GroupQuantizedData>
  readGroupQuantized(StringRef name) const override;

private:
  llvm::Error loadConfig();
  llvm::Error loadWeights();
  /// The ingot type of one checkpoint tensor that is (part of) a weight:
  /// its float type, or for a quantized layer's qweight the logical
  /// `[out, in]` type with its `#ingot.group` encoding (f32 without encoding
  /// when the groups cannot be expressed as one, see docs/frontends.md).
  FailureOr<RankedTensorType> getWeightType(const SafetensorsTensor &t) const;

  HFModelConfig hfConfig;
  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  std::string dir;
  /// Canonical name -> the checkpoint tensors it is made of (several for
  /// stacked experts, in expert order).
  llvm::StringMap<std::vector<const SafetensorsTensor *>> parts;
  /// config.json's quantization_config (or quantize_config.json), when the
  /// checkpoint is GPTQ or AWQ.
  std::optional<QuantizationConfig> quantization;
  /// quantize_config.json, when it was read.
  std::string quantizeConfigFile;
  /// The quantized layers, by their qweight tensor.
  std::map<const SafetensorsTensor *, QuantizedLinear> quantized;
};

/// Appends `n` values of `tensor` converted to f32.
llvm::Error appendFloats(const SafetensorsTensor &tensor,
                         std::vector<float> &out) {
  size_t n = tensor.numElements;
  const uint8_t *p = tensor.bytes.data();
  switch (tensor.dtype) {
  case SafetensorsDType::F32:
    for (size_t i = 0; i < n; ++i) {
      float value;
      std::memcpy(&value, p + 4 * i, 4);
      out.push_back(value);
    }
    return llvm::Error::success();
  case SafetensorsDType::F16:
  case SafetensorsDType::BF16:
    for (size_t i = 0; i < n; ++i) {
      uint16_t bits = uint16_t(p[2 * i]) | uint16_t(p[2 * i + 1]) << 8;
      out.push_back(tensor.dtype == SafetensorsDType::F16
                        ? ::ingot::gguf::halfToFloat(bits)
                        : ::ingot::gguf::bfloat16ToFloat(bits));
    }
    return llvm::Error::success();
  default:
    return llvm::createStringError(
        tensor.file + ": tensor '" + tensor.name + "': dtype " +
        ::ingot::hf::getSafetensorsDTypeName(tensor.dtype) +
        " is not a float weight (supported: F32, F16, BF16)");
  }
}

/// The YaRN parameters of `rope` as transformers' _compute_yarn_parameters
/// reads them (over the generic ones already in `s`): the original context
/// from the top-level key, the rope object or max_position_embeddings; a
/// missing factor from the two contexts; beta_fast/beta_slow of 0 as the
/// defaults; the attention factor, when not given, from factor, mscale and
/// mscale_all_dim. `truncate: false` is refused.
llvm::Error readYarn(const ConfigObject &top, const ConfigObject &rope,
                     int64_t contextLength, RopeScalingConfig &s) {
  llvm::Expected<std::optional<int64_t>> topOriginal =
      top.getOptionalInt("original_max_position_embeddings");
  if (!topOriginal)
    return topOriginal.takeError();
  if (*topOriginal)
    s.originalMaxPosition = **topOriginal;
  if (s.originalMaxPosition == 0)
    s.originalMaxPosition = contextLength;
  if (s.originalMaxPosition <= 0)
    return rope.makeError(
        "key '" + rope.getKeyPath("original_max_position_embeddings") +
        "': yarn needs a positive original context");
  if (!rope.has("factor"))
    s.factor = static_cast<double>(contextLength) /
               static_cast<double>(s.originalMaxPosition);
  if (!(s.factor > 0.0))
    return rope.makeError("key '" + rope.getKeyPath("factor") +
                          "': yarn needs a positive factor");
  if (s.betaFast == 0.0)
    s.betaFast = 32.0;
  if (s.betaSlow == 0.0)
    s.betaSlow = 1.0;
  if (!(s.betaFast > s.betaSlow))
    return rope.makeError("key '" + rope.getKeyPath("beta_fast") +
                          "': yarn needs beta_fast > beta_slow");
  llvm::Expected<bool> truncate = rope.getBool("truncate", true);
  if (!truncate)
    return truncate.takeError();
  if (!*truncate)
    return rope.makeError("key '" + rope.getKeyPath("truncate") +
                          "': yarn without truncation is not supported");
  llvm::Expected<std::optional<double>> attention =
      rope.getOptionalDouble("attention_factor");
  if (!attention)
    return attention.takeError();
  llvm::Expected<std::optional<double>> mscale =
      rope.getOptionalDouble("mscale");
  if (!mscale)
    return mscale.takeError();
  llvm::Expected<std::optional<double>> mscaleAllDim =
      rope.getOptionalDouble("mscale_all_dim");
  if (!mscaleAllDim)
    return mscaleAllDim.takeError();
  if (*attention)
    s.attnFactor = **attention;
  else if (mscale->value_or(0.0) != 0.0 && mscaleAllDim->value_or(0.0) != 0.0)
    s.attnFactor = getYarnMscale(s.factor, **mscale) /
                   getYarnMscale(s.factor, **mscaleAllDim);
  else
    s.attnFactor = getYarnMscale(s.factor);
  if (!(s.attnFactor > 0.0))
    return rope.makeError("key '" + rope.getKeyPath("attention_factor") +
                          "': yarn needs a positive attention factor");
  return llvm::Error::success();
}

/// Whether the per-layer lists can be sized by the layer count (it is
/// checked with the other sizes by ModelConfig::validate).
bool isLayerCountInRange(const ModelConfig &c) {
  return c.numLayers >= 1 && c.numLayers <= (int64_t(1) << 24);
}

/// Sliding-window attention as each transformers class derives it (a query
/// sees itself and the window - 1 positions before it):
/// - Mistral, Mixtral: `sliding_window` (null: none) in every layer;
/// - Qwen3-MoE: `sliding_window` (default 4096) in every layer when
///   `use_sliding_window`;
/// - Qwen2, Qwen3: with `use_sliding_window`, `sliding_window` (default 4096)
///   in the layers `layer_types` marks "sliding_attention", by default the
///   layers i >= `max_window_layers` (default 28);
/// - Qwen2-MoE: the same, but its default marks the even layers i <
///   `max_window_layers`, and without `use_sliding_window` the window is 0.
/// Llama ignores the keys; OLMoE's mask ignores them too but its
/// flash-attention path would not, so a window there is refused. So are
/// sliding layers without a usable window, where transformers fails or
/// masks every key.
llvm::Error readSlidingWindow(const ConfigObject &json, ModelConfig &c) {
  // A layer count out of range is ModelConfig::validate's to report.
  if (!isLayerCountInRange(c))
    return llvm::Error::success();
  // The window as the config class sets it: the key's value (null: none),
  // `fallback` when absent.
  auto readWindow =
      [&](std::optional<int64_t> fallback)
      -> llvm::Expected<std::optional<int64_t>> {
    if (!json.lookup("sliding_window"))
      return fallback;
    return json.getOptionalInt("sliding_window");
  };
  auto refuseWindow = [&](const Twine &why) {
    std::string value;
    llvm::raw_string_ostream os(value);
    os << *json.lookup("sliding_window");
    return json.makeError("key '" + json.getKeyPath("sliding_window") +
                          "': " + value + " is not supported yet (" + why +
                          ")");
  };
  switch (c.arch) {
  case Architecture::Llama:
    return llvm::Error::success();
  case Architecture::Olmoe: {
    llvm::Expected<std::optional<int64_t>> window = readWindow(std::nullopt);
    if (!window)
      return window.takeError();
    if (*window)
      return refuseWindow("transformers' olmoe applies it with flash "
                          "attention only");
    return llvm::Error::success();
  }
  case Architecture::Mistral:
  case Architecture::Mixtral: {
    llvm::Expected<std::optional<int64_t>> window = readWindow(std::nullopt);
    if (!window)
      return window.takeError();
    c.slidingWindow = *window;
    return llvm::Error::success();
  }
  default:
    break;
  }
  llvm::Expected<bool> use = json.getBool("use_sliding_window", false);
  if (!use)
    return use.takeError();
  llvm::Expected<std::optional<int64_t>> window = readWindow(4096);
  if (!window)
    return window.takeError();
  if (c.arch == Architecture::Qwen3Moe) {
    if (*use)
      c.slidingWindow = *window;
    return llvm::Error::success();
  }
  // Qwen2, Qwen3, Qwen2-MoE: which layers slide.
  llvm::Expected<int64_t> maxWindowLayers = json.getInt("max_window_layers", 28);
  if (!maxWindowLayers)
    return maxWindowLayers.takeError();
  bool qwen2Moe = c.arch == Architecture::Qwen2Moe;
  std::vector<bool> sliding(c.numLayers, false);
  if (json.has("layer_types")) {
    llvm::Expected<std::vector<StringRef>> types =
        json.getStringArray("layer_types");
    if (!types)
      return types.takeError();
    if (static_cast<int64_t>(types->size()) != c.numLayers)
      return json.makeError("key '" + json.getKeyPath("layer_types") +
                            "': has " + Twine(types->size()) +
                            " entries for " + Twine(c.numLayers) + " layers");
    for (auto [i, type] : llvm::enumerate(*types)) {
      // "attention" is transformers' legacy name of full_attention.
      if (type == "sliding_attention")
        sliding[i] = true;
      else if (type != "full_attention" && type != "attention")
        return json.makeError("key '" + json.getKeyPath("layer_types") +
                              "': layer type '" + type +
                              "' is not supported yet (supported: "
                              "full_attention, sliding_attention)");
    }
  } else if (*use) {
    for (int64_t i = 0; i < c.numLayers; ++i)
      sliding[i] = qwen2Moe ? (i % 2 == 0 && i < *maxWindowLayers)
                            : (*window && i >= *maxWindowLayers);
  }
  bool anySliding = llvm::is_contained(sliding, true);
  // Without use_sliding_window the window is none (Qwen2-MoE: 0).
  if (anySliding && !*use)
    return json.makeError("key '" + json.getKeyPath("layer_types") +
                          "': sliding_attention layers without "
                          "use_sliding_window are not supported (no window)");
  // Qwen2-MoE builds the sliding mask whether or not a layer uses it.
  if ((anySliding || qwen2Moe) && *use && !*window)
    return refuseWindow("sliding layers need a window");
  if (anySliding && **window < 1)
    return refuseWindow("a window below 1 masks every key of the sliding "
                        "layers");
  if (anySliding) {
    c.slidingWindow = *window;
    c.slidingLayers = std::move(sliding);
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error HFModel::loadConfig() {
  const ConfigObject &json = hfConfig.getConfig();
  llvm::Expected<StringRef> type = json.getString("model_type");
  if (!type)
    return type.takeError();
  std::optional<Architecture> arch =
      llvm::StringSwitch<std::optional<Architecture>>(*type)
          .Case("llama", Architecture::Llama)
          .Case("qwen2", Architecture::Qwen2)
          .Case("qwen3", Architecture::Qwen3)
          .Case("mistral", Architecture::Mistral)
          .Case("mixtral", Architecture::Mixtral)
          .Case("qwen2_moe", Architecture::Qwen2Moe)
          .Case("qwen3_moe", Architecture::Qwen3Moe)
          .Case("olmoe", Architecture::Olmoe)
          .Default(std::nullopt);
  if (!arch)
    return json.makeError("key '" + json.getKeyPath("model_type") + "': " + "unknown architecture '" + *type +
                              "' (supported: llama, qwen2, qwen3, mistral, "
                              "mixtral, qwen2_moe, qwen3_moe, olmoe)");
  ModelConfig &c = config;
  c.arch = *arch;
  c.ropeStyle = RopeStyle::neox;

  auto integer = [&](int64_t &field, StringRef key,
                     std::optional<int64_t> fallback) -> llvm::Error {
    llvm::Expected<int64_t> value =
        fallback ? json.getInt(key, *fallback) : json.getInt(key);
    if (!value)
      return value.takeError();
    field = *value;
    return llvm::Error::success();
  };
  if (auto e = integer(c.vocabSize, "vocab_size", std::nullopt))
    return e;
  if (auto e = integer(c.hiddenSize, "hidden_size", std::nullopt))
    return e;
  if (auto e = integer(c.numLayers, "num_hidden_layers", std::nullopt))
    return e;
  if (auto e = integer(c.numHeads, "num_attention_heads", std::nullopt))
    return e;
  if (auto e = integer(c.numKVHeads, "num_key_value_heads", c.numHeads))
    return e;
  if (c.numHeads < 1)
    return json.makeError("key '" + json.getKeyPath("num_attention_heads") + "': " + "must be >= 1");
  if (auto e = integer(c.headDim, "head_dim", c.hiddenSize / c.numHeads))
    return e;
  if (auto e = integer(c.contextLength, "max_position_embeddings", 4096))
    return e;
  if (auto e = integer(c.intermediateSize, "intermediate_size", 0))
    return e;

  llvm::Expected<double> eps = json.getDouble("rms_norm_eps", 1e-6);
  if (!eps)
    return eps.takeError();
  c.rmsNormEps = *eps;
  llvm::Expected<bool> tied = json.getBool("tie_word_embeddings", false);
  if (!tied)
    return tied.takeError();
  c.tiedEmbeddings = *tied;

  // Rope: theta and scaling, either top level (transformers 4) or in
  // `rope_parameters` (transformers 5).
  llvm::Expected<std::optional<ConfigObject>> ropeParams =
      json.getOptionalObject("rope_parameters");
  if (!ropeParams)
    return ropeParams.takeError();
  llvm::Expected<std::optional<ConfigObject>> ropeScaling =
      json.getOptionalObject("rope_scaling");
  if (!ropeScaling)
    return ropeScaling.takeError();
  const ConfigObject &ropeObject =
      *ropeParams ? **ropeParams : (*ropeScaling ? **ropeScaling : json);
  llvm::Expected<double> theta =
      (*ropeParams ? **ropeParams : json).getDouble("rope_theta", 10000.0);
  if (!theta)
    return theta.takeError();
  c.ropeTheta = *theta;
  if (*ropeParams || *ropeScaling) {
    llvm::Expected<StringRef> kind = ropeObject.getString(
        "rope_type", ropeObject.has("type") ? "" : "default");
    if (!kind)
      return kind.takeError();
    StringRef name = *kind;
    if (name.empty()) {
      llvm::Expected<StringRef> legacy = ropeObject.getString("type");
      if (!legacy)
        return legacy.takeError();
      name = *legacy;
    }
    if (name != "default") {
      RopeScalingConfig s;
      if (name == "linear")
        s.kind = RopeScalingKind::linear;
      else if (name == "llama3")
        s.kind = RopeScalingKind::llama3;
      else if (name == "yarn")
        s.kind = RopeScalingKind::yarn;
      else
        return ropeObject.makeError("key '" + ropeObject.getKeyPath("rope_type") + "': " + "unsupported rope scaling '" + name +
                                        "' (supported: linear, llama3, yarn)");
      auto number = [&](double &field, StringRef key) -> llvm::Error {
        llvm::Expected<double> value = ropeObject.getDouble(key, field);
        if (!value)
          return value.takeError();
        field = *value;
        return llvm::Error::success();
      };
      if (auto e = number(s.factor, "factor"))
        return e;
      if (auto e = number(s.lowFreqFactor, "low_freq_factor"))
        return e;
      if (auto e = number(s.highFreqFactor, "high_freq_factor"))
        return e;
      if (auto e = number(s.betaFast, "beta_fast"))
        return e;
      if (auto e = number(s.betaSlow, "beta_slow"))
        return e;
      llvm::Expected<int64_t> original =
          ropeObject.getInt("original_max_position_embeddings", 0);
      if (!original)
        return original.takeError();
      s.originalMaxPosition = *original;
      if (s.kind == RopeScalingKind::yarn)
        if (llvm::Error e = readYarn(json, ropeObject, c.contextLength, s))
          return e;
      c.ropeScaling = s;
    }
  }

  if (llvm::Error e = readSlidingWindow(json, c))
    return e;

  bool moe = c.arch == Architecture::Mixtral ||
             c.arch == Architecture::Qwen2Moe ||
             c.arch == Architecture::Qwen3Moe || c.arch == Architecture::Olmoe;
  if (moe) {
    // transformers spells the expert count either way, by version.
    if (auto e = integer(c.numExperts,
                         json.has("num_experts") ? "num_experts"
                                                 : "num_local_experts",
                         std::nullopt))
      return e;
    if (auto e = integer(c.expertsPerToken, "num_experts_per_tok",
                         std::nullopt))
      return e;
    if (c.arch == Architecture::Mixtral || c.arch == Architecture::Olmoe)
      c.expertIntermediateSize = c.intermediateSize;
    else if (auto e = integer(c.expertIntermediateSize,
                              "moe_intermediate_size", std::nullopt))
      return e;
    if (c.arch == Architecture::Qwen2Moe)
      if (auto e = integer(c.sharedExpertIntermediateSize,
                           "shared_expert_intermediate_size", 0))
        return e;
    llvm::Expected<bool> norm = json.getBool(
        "norm_topk_prob", c.arch == Architecture::Mixtral);
    if (!norm)
      return norm.takeError();
    c.normTopKProb = c.arch == Architecture::Mixtral || *norm;
    if ((c.arch == Architecture::Qwen2Moe ||
         c.arch == Architecture::Qwen3Moe) &&
        isLayerCountInRange(c)) {
      llvm::Expected<int64_t> step = json.getInt("decoder_sparse_step", 1);
      if (!step)
        return step.takeError();
      llvm::Expected<std::optional<std::vector<int64_t>>> listed =
          json.getOptionalIntList("mlp_only_layers");
      if (!listed)
        return listed.takeError();
      // As the decoder layers choose: experts unless the layer is listed in
      // mlp_only_layers or (i + 1) is not a multiple of the step.
      if (*step < 1)
        return json.makeError("key '" + json.getKeyPath("decoder_sparse_step") +
                              "': " + Twine(*step) + " must be >= 1");
      std::vector<bool> dense(c.numLayers, false);
      for (int64_t i = 0; i < c.numLayers; ++i)
        dense[i] = (i + 1) % *step != 0;
      if (*listed)
        for (int64_t i : **listed)
          if (i >= 0 && i < c.numLayers)
            dense[i] = true;
      if (llvm::is_contained(dense, true)) {
        c.denseLayers = std::move(dense);
        // The dense layers' width; the class default when the file has none.
        if (auto e = integer(c.intermediateSize, "intermediate_size",
                             c.arch == Architecture::Qwen2Moe ? 5632 : 6144))
          return e;
      }
    }
  }

  llvm::Expected<std::optional<QuantizationConfig>> quant =
      ::ingot::hf::parseQuantizationConfig(json);
  if (!quant)
    return quant.takeError();
  quantization = *quant;
  if (!quantization) {
    // Checkpoints saved by AutoGPTQ itself keep it in quantize_config.json.
    SmallString<128> path(dir);
    llvm::sys::path::append(path, ::ingot::hf::kQuantizeConfigName);
    if (llvm::sys::fs::exists(path)) {
      llvm::Expected<ConfigObject> object = ConfigObject::load(path);
      if (!object)
        return object.takeError();
      llvm::Expected<QuantizationConfig> parsed =
          ::ingot::hf::parseQuantizationObject(*object, "gptq");
      if (!parsed)
        return parsed.takeError();
      quantization = *parsed;
      quantizeConfigFile = path.str().str();
    }
  }
  return llvm::Error::success();
}

/// The activation `hidden_act` names, as transformers' ACT2FN computes it;
/// nullopt for names the builder does not implement.
static std::optional<Activation> parseActivation(StringRef name) {
  return llvm::StringSwitch<std::optional<Activation>>(name)
      .Cases({"silu", "swish"}, Activation::silu)
      .Cases({"gelu", "gelu_python"}, Activation::gelu) // erf
      .Cases({"gelu_pytorch_tanh", "gelu_python_tanh", "gelu_new",
              "gelu_fast"},
             Activation::gelu_tanh)
      .Case("relu", Activation::relu)
      .Default(std::nullopt);
}

/// Reads the config.json fields that change the computation and that the
/// builder implements, for the architectures whose transformers class reads
/// them: attention_bias, mlp_bias, hidden_act, clip_qkv. Values it does not
/// implement are refused, naming the field and the value.
static llvm::Error readComputeFields(const ConfigObject &json,
                                     ModelConfig &c) {
  // q/k/v/o projection biases. Qwen2 and Qwen2-MoE always have q/k/v biases
  // and no o bias; their classes, like Mistral's and Mixtral's, do not read
  // the key.
  if (c.arch == Architecture::Llama || c.arch == Architecture::Qwen3 ||
      c.arch == Architecture::Qwen3Moe || c.arch == Architecture::Olmoe) {
    llvm::Expected<bool> bias = json.getBool("attention_bias", false);
    if (!bias)
      return bias.takeError();
    c.attentionBias = *bias;
  }
  if (c.arch == Architecture::Llama) {
    llvm::Expected<bool> bias = json.getBool("mlp_bias", false);
    if (!bias)
      return bias.takeError();
    c.mlpBias = *bias;
  }
  // Every supported class applies ACT2FN[hidden_act] in its dense, expert
  // and shared-expert feed-forwards.
  llvm::Expected<StringRef> act = json.getString("hidden_act", "silu");
  if (!act)
    return act.takeError();
  std::optional<Activation> activation = parseActivation(*act);
  if (!activation)
    return json.makeError("key '" + json.getKeyPath("hidden_act") + "': \"" +
                          *act +
                          "\" is not supported yet (supported: silu, swish, "
                          "gelu, gelu_python, gelu_new, gelu_fast, "
                          "gelu_pytorch_tanh, gelu_python_tanh, relu)");
  c.activation = *activation;
  if (c.arch == Architecture::Olmoe) {
    llvm::Expected<std::optional<double>> clip =
        json.getOptionalDouble("clip_qkv");
    if (!clip)
      return clip.takeError();
    if (*clip && !(**clip > 0.0 && std::isfinite(**clip))) {
      std::string value;
      llvm::raw_string_ostream(value) << *json.lookup("clip_qkv");
      return json.makeError("key '" + json.getKeyPath("clip_qkv") + "': " +
                            value + " must be a positive number or null");
    }
    c.clipQKV = *clip;
  }
  return llvm::Error::success();
}

/// Refuses the config.json fields that change what the model computes but
/// that the builder does not implement yet: importing past them would give
/// wrong logits without a word. Each error names the field and its value.
/// (Fields the architecture's transformers class does not read, such as
/// Mixtral's attention_bias, are ignored as transformers ignores them.)
static llvm::Error refuseUnsupportedConfig(const ConfigObject &json,
                                           const ModelConfig &c) {
  StringRef arch = stringifyArchitecture(c.arch);
  // "<file>: key 'K': V is not supported yet (why)", V as the file has it.
  auto refuse = [&](const ConfigObject &object, StringRef key,
                    const Twine &why) {
    std::string value;
    llvm::raw_string_ostream os(value);
    os << *object.lookup(key);
    return object.makeError("key '" + object.getKeyPath(key) + "': " + value +
                            " is not supported yet (" + why + ")");
  };
  // Qwen2-MoE's q/k/v biases are switched by qkv_bias (transformers 5);
  // the builder has them always. (hidden_activation, Gemma's key, is
  // outside the audit and refused by checkKnownFields.)
  if (c.arch == Architecture::Qwen2Moe) {
    llvm::Expected<bool> bias = json.getBool("qkv_bias", true);
    if (!bias)
      return bias.takeError();
    if (!*bias)
      return refuse(json, "qkv_bias",
                    arch + " without q/k/v biases is not implemented");
  }
  // Rope on a part of each head (top level in transformers 4, in
  // rope_parameters in transformers 5): the default rope of these classes
  // rotates the whole head whatever the factor, as imported; the scaled ropes
  // compute frequencies for int(head_dim * factor) dimensions that the
  // classes then fail to apply to the whole head.
  llvm::Expected<std::optional<ConfigObject>> ropeParams =
      json.getOptionalObject("rope_parameters");
  if (!ropeParams)
    return ropeParams.takeError();
  // transformers 5 takes a legacy rope_scaling over rope_parameters when a
  // file has both; the importer reads rope_parameters.
  if (*ropeParams && json.has("rope_scaling"))
    return json.makeError("key '" + json.getKeyPath("rope_scaling") +
                          "': is not supported yet together with "
                          "'rope_parameters' (transformers uses "
                          "rope_scaling then)");
  const ConfigObject *ropeObjects[] = {
      &json, *ropeParams ? &**ropeParams : nullptr};
  for (const ConfigObject *object : ropeObjects) {
    if (!object)
      continue;
    llvm::Expected<double> factor =
        object->getDouble("partial_rotary_factor", 1.0);
    if (!factor)
      return factor.takeError();
    if (*factor != 1.0 && c.ropeScaling)
      return refuse(*object, "partial_rotary_factor",
                    "transformers' " + arch + " cannot apply " +
                        stringifyRopeScalingKind(c.ropeScaling->kind) +
                        " rope to part of each head");
  }
  return llvm::Error::success();
}

/// Refuses a config.json key, or a key of its rope object, that the audit
/// (KnownFields.def) does not list: a field Ingot does not know may change
/// the computation. Records the keys the file sets, as the audit classifies
/// them. A key listed for other architectures only is ignored, as this
/// architecture's transformers class ignores it.
static llvm::Error checkKnownFields(const ConfigObject &json, StringRef arch,
                                    std::vector<std::string> &honoured,
                                    std::vector<std::string> &ignored) {
  // JSON objects do not keep their order: sort, so that the first unknown
  // key reported does not depend on hashing.
  std::vector<std::string> keys;
  for (const auto &entry : json.getJSON())
    if (json.has(entry.first))
      keys.push_back(entry.first.str());
  llvm::sort(keys);
  auto unknown = [](const ConfigObject &object, StringRef key,
                    StringRef arch) {
    return object.makeError(
        "key '" + object.getKeyPath(key) + "': not a field Ingot knows for " +
        arch +
        " (docs/config-audit.md lists them); refused, since it may change "
        "what the model computes");
  };
  for (const std::string &key : keys) {
    bool elsewhere = false;
    const KnownField *field =
        lookupKnownField(getKnownConfigFields(), key, arch, elsewhere);
    if (!field && !elsewhere)
      return unknown(json, key, arch);
    bool honours = field && field->status == FieldStatus::Honoured;
    (honours ? honoured : ignored).push_back(key);
    if (!honours || (key != "rope_parameters" && key != "rope_scaling"))
      continue;
    llvm::Expected<ConfigObject> rope = json.getObject(key);
    if (!rope)
      return rope.takeError();
    std::vector<std::string> ropeKeys;
    for (const auto &entry : rope->getJSON())
      if (rope->has(entry.first))
        ropeKeys.push_back(entry.first.str());
    llvm::sort(ropeKeys);
    for (const std::string &ropeKey : ropeKeys)
      if (!lookupKnownField(getKnownRopeFields(), ropeKey, arch, elsewhere))
        return unknown(*rope, ropeKey, arch);
  }
  return llvm::Error::success();
}

llvm::Error HFModel::loadWeights() {
  // Per-layer names, then the experts' names with the expert index.
  static const std::pair<const char *, const char *> layerNames[] = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},
      {"self_attn.v_proj.bias", "attn_v.bias"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"self_attn.o_proj.bias", "attn_output.bias"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"},
      {"self_attn.k_norm.weight", "attn_k_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},
      {"mlp.gate_proj.bias", "ffn_gate.bias"},
      {"mlp.up_proj.bias", "ffn_up.bias"},
      {"mlp.down_proj.bias", "ffn_down.bias"},
      {"mlp.gate.weight", "ffn_gate_inp.weight"},
      {"block_sparse_moe.gate.weight", "ffn_gate_inp.weight"},
      {"mlp.shared_expert.gate_proj.weight", "ffn_gate_shexp.weight"},
      {"mlp.shared_expert.up_proj.weight", "ffn_up_shexp.weight"},
      {"mlp.shared_expert.down_proj.weight", "ffn_down_shexp.weight"},
      {"mlp.shared_expert_gate.weight", "ffn_gate_inp_shexp.weight"},
  };
  static const std::pair<const char *, const char *> expertNames[] = {
      {"gate_proj.weight", "ffn_gate_exps.weight"},
      {"up_proj.weight", "ffn_up_exps.weight"},
      {"down_proj.weight", "ffn_down_exps.weight"},
      {"w1.weight", "ffn_gate_exps.weight"},
      {"w3.weight", "ffn_up_exps.weight"},
      {"w2.weight", "ffn_down_exps.weight"},
  };
  llvm::Regex layerRe("^model\\.layers\\.([0-9]+)\\.(.*)$");
  llvm::Regex expertRe("^(mlp|block_sparse_moe)\\.experts\\.([0-9]+)\\.(.*)$");
  // Canonical stacked name -> expert index -> tensor.
  std::map<std::string, std::map<int64_t, const SafetensorsTensor *>> stacks;
  std::map<std::string, std::string> stackSource;

  auto add = [&](const std::string &canonical,
                 const SafetensorsTensor *tensor) -> llvm::Error {
    if (!parts.try_emplace(canonical,
                           std::vector<const SafetensorsTensor *>{tensor})
             .second)
      return llvm::createStringError(tensor->file + ": tensor '" +
                                     tensor->name + "' maps onto '" +
                                     canonical + "' twice");
    return llvm::Error::success();
  };
  for (const SafetensorsTensor *tensor : checkpoint->getTensors()) {
    StringRef name = tensor->name;
    // A quantized layer's qweight stands for its `.weight`; the other
    // tensors of the layer are read through it.
    std::string quantizedName;
    if (name.ends_with(::ingot::hf::kQWeightSuffix)) {
      if (!quantization)
        return llvm::createStringError(
            tensor->file + ": tensor '" + name +
            "' is a packed quantized weight, but config.json has no "
            "quantization_config (and there is no quantize_config.json)");
      StringRef prefix = name.drop_back(::ingot::hf::kQWeightSuffix.size());
      llvm::Expected<QuantizedLinear> layer =
          QuantizedLinear::open(*checkpoint, prefix, *quantization);
      if (!layer)
        return layer.takeError();
      quantized.emplace(tensor, std::move(*layer));
      quantizedName = (prefix + ".weight").str();
      name = quantizedName;
    } else if (quantization &&
               (name.ends_with(::ingot::hf::kQZerosSuffix) ||
                name.ends_with(::ingot::hf::kScalesSuffix) ||
                name.ends_with(::ingot::hf::kGIdxSuffix))) {
      continue;
    }
    SmallVector<StringRef, 4> m;
    if (name == "model.embed_tokens.weight") {
      if (auto e = add("token_embd.weight", tensor))
        return e;
    } else if (name == "model.norm.weight") {
      if (auto e = add("output_norm.weight", tensor))
        return e;
    } else if (name == "lm_head.weight") {
      if (!config.tiedEmbeddings)
        if (auto e = add("output.weight", tensor))
          return e;
    } else if (layerRe.match(name, &m)) {
      std::string prefix = ("blk." + m[1] + ".").str();
      StringRef rest = m[2];
      SmallVector<StringRef, 4> em;
      if (expertRe.match(rest, &em)) {
        for (auto [suffix, canonical] : expertNames)
          if (em[3] == suffix) {
            int64_t expert = 0;
            em[2].getAsInteger(10, expert);
            std::string key = prefix + canonical;
            if (!stacks[key].try_emplace(expert, tensor).second)
              return llvm::createStringError(tensor->file + ": tensor '" +
                                             name + "' appears twice");
            stackSource[key] = (name.substr(0, name.size() - rest.size()) +
                                em[1] + ".experts.*." + em[3])
                                   .str();
            if (quantized.count(tensor))
              stackSource[key] =
                  (StringRef(stackSource[key]).drop_back(strlen(".weight")) +
                   ::ingot::hf::kQWeightSuffix)
                      .str();
          }
        continue;
      }
      for (auto [hf, canonical] : layerNames)
        if (rest == hf)
          if (auto e = add(prefix + canonical, tensor))
            return e;
    }
  }

  auto typeError = [&](const SafetensorsTensor &t) {
    return llvm::createStringError(
        t.file + ": tensor '" + t.name + "': dtype " +
        ::ingot::hf::getSafetensorsDTypeName(t.dtype) +
        " is not supported for weights yet (supported: F32, F16, BF16)");
  };
  for (auto &[name, list] : parts) {
    const SafetensorsTensor &t = *list.front();
    FailureOr<RankedTensorType> type = getWeightType(t);
    if (failed(type))
      return typeError(t);
    weights[name] = {t.name.str(), *type};
  }
  for (auto &[name, experts] : stacks) {
    const SafetensorsTensor &first = *experts.begin()->second;
    FailureOr<RankedTensorType> firstType = getWeightType(first);
    if (failed(firstType))
      return typeError(first);
    int64_t count = static_cast<int64_t>(experts.size());
    std::vector<const SafetensorsTensor *> ordered;
    for (auto [index, tensor] : experts) {
      if (index != static_cast<int64_t>(ordered.size()))
        return llvm::createStringError(
            first.file + ": tensor '" +
            stackSource[name] + "': expert " + Twine(ordered.size()) + " is missing");
      FailureOr<RankedTensorType> type = getWeightType(*tensor);
      if (tensor->shape != first.shape || tensor->dtype != first.dtype ||
          failed(type) || *type != *firstType)
        return llvm::createStringError(tensor->file + ": tensor '" +
                                       tensor->name +
                                       "' differs in shape, dtype or "
                                       "quantization from expert 0");
      ordered.push_back(tensor);
    }
    SmallVector<int64_t> shape = {count};
    shape.append(firstType->getShape().begin(), firstType->getShape().end());
    weights[name] = {stackSource[name],
                     RankedTensorType::get(shape, firstType->getElementType(),
                                           firstType->getEncoding())};
    parts[name] = std::move(ordered);
  }
  // Tied embeddings: no output weight, even when lm_head.weight is stored.
  return llvm::Error::success();
}

FailureOr<RankedTensorType>
HFModel::getWeightType(const SafetensorsTensor &t) const {
  Builder b(context);
  auto floatType = [&](SafetensorsDType dtype) -> FailureOr<Type> {
    switch (dtype) {
    case SafetensorsDType::F32:
      return b.getF32Type();
    case SafetensorsDType::F16:
      return b.getF16Type();
    case SafetensorsDType::BF16:
      return Type(b.getBF16Type());
    default:
      return failure();
    }
  };
  auto it = quantized.find(&t);
  if (it == quantized.end()) {
    FailureOr<Type> element = floatType(t.dtype);
    if (failed(element))
      return failure();
    return RankedTensorType::get(ArrayRef<int64_t>(t.shape), *element);
  }
  const QuantizedLinear &q = it->second;
  SmallVector<int64_t, 2> shape = {q.getOutFeatures(), q.getInFeatures()};
  int64_t group = q.getGroupSize();
  // The logical type is f32: scale * (q - zero) needs more bits than an f16
  // scale has. #ingot.group needs groups of contiguous input channels
  // (act-order reorders them) and a power-of-two size; otherwise the weight
  // is imported as the plain f32 values it stands for.
  if (!q.hasContiguousGroups() || group < 2 || !llvm::isPowerOf2_64(group))
    return RankedTensorType::get(shape, b.getF32Type());
  return RankedTensorType::get(
      shape, b.getF32Type(),
      GroupQuantAttr::get(context, q.getConfig().bits, group,
                          q.isSymmetric()));
}

llvm::Error HFModel::load() {
  if (auto e = loadConfig())
    return e;
  if (auto e = checkKnownFields(hfConfig.getConfig(),
                                stringifyArchitecture(config.arch),
                                honouredFields, ignoredFields))
    return e;
  if (auto e = readComputeFields(hfConfig.getConfig(), config))
    return e;
  if (auto e = refuseUnsupportedConfig(hfConfig.getConfig(), config))
    return e;
  if (auto e = loadWeights())
    return e;
  if (auto e = config.validate())
    return llvm::createStringError(hfConfig.getConfig().getFile() + ": " +
                                   llvm::toString(std::move(e)));
  return llvm::Error::success();
}

llvm::Expected<std::vector<float>>
HFModel::readWeight(StringRef name) const {
  auto it = parts.find(name);
  if (it == parts.end())
    return llvm::createStringError(dir + ": no weight '" + name + "'");
  std::vector<float> values;
  for (const SafetensorsTensor *tensor : it->second) {
    auto layer = quantized.find(tensor);
    if (layer != quantized.end())
      layer->second.dequantize(values);
    else if (auto e = appendFloats(*tensor, values))
      return e;
  }
  return values;
}

llvm::Expected<GroupQuantizedData>
HFModel::readGroupQuantized(StringRef name) const {
  auto it = parts.find(name);
  auto weight = weights.find(name);
  if (it == parts.end() || weight == weights.end())
    return llvm::createStringError(dir + ": no weight '" + name + "'");
  if (!isa_and_nonnull<GroupQuantAttr>(weight->second.type.getEncoding()))
    return llvm::createStringError(dir + ": weight '" + name +
                                   "' is not stored group-quantized");
  GroupQuantizedData data;
  for (const SafetensorsTensor *tensor : it->second) {
    // Every part of a group-encoded weight is a quantized layer with
    // contiguous groups (getWeightType).
    const QuantizedLinear &q = quantized.at(tensor);
    int64_t n = q.getOutFeatures(), k = q.getInFeatures();
    int64_t groups = q.getNumGroups();
    data.cols = k;
    data.groupSize = q.getGroupSize();
    data.rows += n;
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < k; ++c)
        data.codes.push_back(q.getValue(r, c));
      for (int64_t g = 0; g < groups; ++g) {
        data.scales.push_back(q.getScale(r, g));
        data.zeros.push_back(q.getZero(r, g));
      }
    }
  }
  return data;
}

llvm::Expected<std::unique_ptr<ImportedModel>>
mlir::ingot::openHFModel(MLIRContext &context, StringRef path) {
  // The model directory: `path` itself, or the directory of a file in it.
  SmallString<256> dir(path);
  if (!llvm::sys::fs::is_directory(dir))
    llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  llvm::Expected<HFModelConfig> hfConfig = HFModelConfig::load(dir);
  if (!hfConfig)
    return hfConfig.takeError();
  StringRef weightsPath = llvm::sys::fs::is_directory(path) ||
                                  path.ends_with("config.json")
                              ? StringRef(dir)
                              : path;
  llvm::Expected<std::unique_ptr<SafetensorsCheckpoint>> checkpoint =
      SafetensorsCheckpoint::open(weightsPath);
  if (!checkpoint)
    return checkpoint.takeError();
  auto model = std::make_unique<HFModel>(context, std::move(*hfConfig),
                                         std::move(*checkpoint),
                                         dir.str().str());
  if (auto e = model->load())
    return e;
  return std::unique_ptr<ImportedModel>(std::move(model));
}
