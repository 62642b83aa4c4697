//===- GGUFModel.cpp - GGUF files as imported models ----------------------===//
//
// GGUF's metadata keys are `{arch}.name`; tensor names are already the
// canonical ones. Dimensions are stored innermost first and reversed here.
// llama.cpp's converter permutes the q/k projection rows of the `llama`
// architecture (Llama, Mistral, Mixtral) so that interleaved rope computes
// what Hugging Face's rotate-half rope computes: those models get
// interleaved rope, every other architecture neox.
//
//===----------------------------------------------------------------------===//

#include "frontends/import/Model.h"
#include "frontends/import/KnownFields.h"

#include "numerics/Dequantize.h"
#include "frontends/gguf/GGUFReader.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#endif

using namespace mlir;
using namespace mlir::ingot;
using ::ingot::gguf::GGMLType;
using ::ingot::gguf::GGUFReader;
using ::ingot::gguf::GGUFMetadataEntry;
using ::ingot::gguf::GGUFTensorInfo;

ImportedModel::~ImportedModel() = default;

llvm::Expected<GroupQuantizedData>
ImportedModel::readGroupQuantized(StringRef name) const {
  return llvm::createStringError("weight '" + name +
                                 "' is not stored group-quantized");
}

llvm::Expected<llvm::ArrayRef<uint8_t>>
ImportedModel::readStoredBytes(StringRef name) const {
  return llvm::createStringError("weight '" + name +
                                 "' has no stored bytes to copy");
}

namespace {

/// Gives back the pages wholly inside `bytes`, part of a read-only file
/// mapping: they leave the process's resident set, and a later read maps
/// them from the file again.
void releaseMappedPages(llvm::ArrayRef<uint8_t> bytes) {
#if defined(__unix__) || defined(__APPLE__)
  static const uintptr_t page = sysconf(_SC_PAGESIZE);
  uintptr_t begin = reinterpret_cast<uintptr_t>(bytes.data());
  uintptr_t start = (begin + page - 1) & ~(page - 1);
  uintptr_t end = (begin + bytes.size()) & ~(page - 1);
  if (end > start)
    madvise(reinterpret_cast<void *>(start), end - start, MADV_DONTNEED);
#else
  (void)bytes;
#endif
}

class GGUFModel : public ImportedModel {
public:
  GGUFModel(MLIRContext &context, std::unique_ptr<GGUFReader> reader)
      : ImportedModel(context), reader(std::move(reader)) {}

  llvm::Error load();

  StringRef getFormat() const override { return "gguf"; }
  std::vector<std::string> getFiles() const override {
    return {reader->getPath().str()};
  }
  std::string getTokenizerKind() const override;
  llvm::Expected<::ingot::tokenizer::TokenizerData>
  readTokenizer() const override {
    return ::ingot::tokenizer::loadGGUFTokenizer(*reader);
  }
  llvm::Expected<std::vector<float>>
  readWeight(StringRef name) const override;
  std::string getChatTemplate() const override {
    if (!reader->contains("tokenizer.chat_template"))
      return "";
    llvm::Expected<StringRef> text = reader->getString("tokenizer.chat_template");
    if (!text) {
      llvm::consumeError(text.takeError());
      return "";
    }
    return text->str();
  }
  llvm::Expected<llvm::ArrayRef<uint8_t>>
  readStoredBytes(StringRef name) const override {
    llvm::Expected<const GGUFTensorInfo &> info = reader->getTensor(name);
    if (!info)
      return info.takeError();
    return info->data;
  }
  void releaseWeight(StringRef name) const override {
    llvm::Expected<const GGUFTensorInfo &> info = reader->getTensor(name);
    if (!info) {
      llvm::consumeError(info.takeError());
      return;
    }
    if (reader->isMemoryMapped())
      releaseMappedPages(info->data);
  }

private:
  llvm::Error error(const Twine &message) const {
    return llvm::createStringError(reader->getPath() + ": " + message);
  }
  /// `{arch}.key` as an integer, or `fallback` when absent (no fallback:
  /// required).
  llvm::Expected<int64_t> integer(StringRef key,
                                  std::optional<int64_t> fallback) const;
  llvm::Expected<double> number(StringRef key, double fallback) const;
  /// A feed-forward width: `value` (from the metadata `from` names),
  /// checked against the rows of `tensor` (its second GGUF dimension) when
  /// the file has it; without metadata, the tensor's rows; neither: an error
  /// when `required`, else 0.
  llvm::Expected<int64_t> ffnWidth(std::optional<int64_t> value,
                                   const Twine &from, StringRef tensor,
                                   StringRef what, bool required) const;
  /// Reads the implemented features the file carries outside the
  /// hyperparameters: OLMoE's q/k/v clamp, Llama's optional biases.
  llvm::Error readComputeFields();
  /// Refuses metadata and tensors that change what the model computes but
  /// that the builder does not implement yet (see docs/frontends.md).
  llvm::Error refuseUnsupported() const;
  /// Refuses an `<arch>.` metadata key the audit (KnownFields.def) does not
  /// list, and records the ones the file sets.
  llvm::Error checkKnownKeys();

  std::unique_ptr<GGUFReader> reader;
  std::string archName;
};

} // namespace

llvm::Expected<int64_t>
GGUFModel::integer(StringRef key, std::optional<int64_t> fallback) const {
  std::string full = archName + "." + key.str();
  if (!reader->contains(full)) {
    if (fallback)
      return *fallback;
    return error("missing metadata key '" + full + "'");
  }
  return reader->getInteger(full);
}

llvm::Expected<double> GGUFModel::number(StringRef key,
                                         double fallback) const {
  std::string full = archName + "." + key.str();
  if (!reader->contains(full))
    return fallback;
  return reader->getFloat(full);
}

llvm::Expected<int64_t>
GGUFModel::ffnWidth(std::optional<int64_t> value, const Twine &from,
                    StringRef tensor, StringRef what, bool required) const {
  std::optional<int64_t> rows;
  if (const GGUFTensorInfo *info = reader->lookupTensor(tensor))
    if (info->dims.size() >= 2)
      rows = static_cast<int64_t>(info->dims[1]);
  if (value && rows && *value != *rows)
    return error(what + " width " + Twine(*value) + " (" + from +
                 ") does not match tensor '" + tensor + "' (" + Twine(*rows) +
                 " rows)");
  if (value)
    return *value;
  if (rows)
    return *rows;
  if (!required)
    return 0;
  return error("missing " + from + " and tensor '" + tensor + "' to give the " +
               what + " width");
}

llvm::Error GGUFModel::checkKnownKeys() {
  std::string prefix = archName + ".";
  for (const GGUFMetadataEntry &entry : reader->getMetadata()) {
    if (!entry.key.starts_with(prefix))
      continue;
    StringRef key = entry.key.drop_front(prefix.size());
    bool elsewhere = false;
    const KnownField *field =
        lookupKnownField(getKnownGGUFKeys(), key, archName, elsewhere);
    if (!field && !elsewhere)
      return error("metadata key '" + entry.key +
                   "': not a key Ingot knows for " + archName +
                   " (docs/config-audit.md lists them); refused, since it "
                   "may change what the model computes");
    bool honours = field && field->status == FieldStatus::Honoured;
    (honours ? honouredFields : ignoredFields).push_back(entry.key.str());
  }
  // Keys read only to be checked.
  if (reader->contains(prefix + "attention.value_length")) {
    llvm::Expected<int64_t> width = integer("attention.value_length", 0);
    if (!width)
      return width.takeError();
    if (*width != config.headDim)
      return error("metadata key '" + prefix + "attention.value_length': " +
                   Twine(*width) + " is not supported (value heads as wide "
                   "as key heads, " + Twine(config.headDim) +
                   ", are implemented)");
  }
  if (reader->contains(prefix + "vocab_size")) {
    llvm::Expected<int64_t> vocab = integer("vocab_size", 0);
    if (!vocab)
      return vocab.takeError();
    if (*vocab != config.vocabSize)
      return error("metadata key '" + prefix + "vocab_size': " +
                   Twine(*vocab) + " does not match tensor "
                   "'token_embd.weight' (" + Twine(config.vocabSize) +
                   " rows)");
  }
  return llvm::Error::success();
}

llvm::Error GGUFModel::readComputeFields() {
  ModelConfig &c = config;
  if (c.arch == Architecture::Olmoe &&
      reader->contains(archName + ".attention.clamp_kqv")) {
    llvm::Expected<double> clamp = number("attention.clamp_kqv", 0.0);
    if (!clamp)
      return clamp.takeError();
    if (!std::isfinite(*clamp) || *clamp < 0.0) {
      std::string value;
      llvm::raw_string_ostream(value) << llvm::format("%g", *clamp);
      return error("metadata key '" + archName +
                   ".attention.clamp_kqv': " + value +
                   " must be 0 (off) or positive");
    }
    if (*clamp > 0.0)
      c.clipQKV = *clamp;
  }
  // llama.cpp reads each of these biases of a llama model when present;
  // Llama checkpoints have all four attention biases (attention_bias) or
  // all three feed-forward ones (mlp_bias), and the builder then needs
  // every one.
  if (archName == "llama") {
    auto has = [&](StringRef suffix) {
      return llvm::any_of(reader->getTensors(), [&](const GGUFTensorInfo &t) {
        return t.name.starts_with("blk.") && t.name.ends_with(suffix);
      });
    };
    c.attentionBias = has(".attn_q.bias") || has(".attn_k.bias") ||
                      has(".attn_v.bias") || has(".attn_output.bias");
    c.mlpBias = !c.isMoE() && (has(".ffn_gate.bias") ||
                               has(".ffn_up.bias") || has(".ffn_down.bias"));
  }
  return llvm::Error::success();
}

llvm::Error GGUFModel::refuseUnsupported() const {
  const ModelConfig &c = config;
  auto refuse = [&](StringRef key, const Twine &value, const Twine &why) {
    return error("metadata key '" + archName + "." + key + "': " + value +
                 " is not supported yet (" + why + ")");
  };
  // Clamping q/k/v (OLMo's clip_qkv; 0 means off) is OLMoE's only.
  if (c.arch != Architecture::Olmoe &&
      reader->contains(archName + ".attention.clamp_kqv")) {
    llvm::Expected<double> clamp = number("attention.clamp_kqv", 0.0);
    if (!clamp)
      return clamp.takeError();
    if (*clamp != 0.0) {
      std::string value;
      llvm::raw_string_ostream(value) << llvm::format("%g", *clamp);
      return refuse("attention.clamp_kqv", value,
                    "clamping q/k/v is implemented for olmoe only");
    }
  }
  // Sliding-window attention over every layer is what Mistral (llama in
  // GGUF) does; the other architectures apply it per layer, or not at all.
  if (archName != "llama") {
    llvm::Expected<int64_t> window = integer("attention.sliding_window", 0);
    if (!window)
      return window.takeError();
    if (*window > 0)
      return refuse("attention.sliding_window", Twine(*window),
                    "sliding-window attention is implemented for llama "
                    "(Mistral) only");
  }
  // Rope over a part of each head only.
  llvm::Expected<int64_t> ropeDim = integer("rope.dimension_count", c.headDim);
  if (!ropeDim)
    return ropeDim.takeError();
  if (*ropeDim != c.headDim)
    return refuse("rope.dimension_count", Twine(*ropeDim),
                  "rope over " + Twine(*ropeDim) + " of the " +
                      Twine(c.headDim) +
                      " dimensions of each head is not implemented");
  // Biases the builder does not read would be dropped without a word: only
  // Qwen2's q/k/v biases and Llama's q/k/v/o and feed-forward biases are
  // implemented.
  for (const GGUFTensorInfo &info : reader->getTensors()) {
    StringRef name = info.name;
    if (!name.ends_with(".bias"))
      continue;
    bool qkv = name.ends_with(".attn_q.bias") ||
               name.ends_with(".attn_k.bias") ||
               name.ends_with(".attn_v.bias");
    bool ffn = name.ends_with(".ffn_gate.bias") ||
               name.ends_with(".ffn_up.bias") ||
               name.ends_with(".ffn_down.bias");
    if (name.starts_with("blk.") &&
        ((c.hasQKVBias() && qkv) ||
         (c.hasOutputBias() && name.ends_with(".attn_output.bias")) ||
         (c.mlpBias && ffn)))
      continue;
    return error("tensor '" + name + "' is not supported yet (" +
                 stringifyArchitecture(c.arch) +
                 " has no such bias implemented)");
  }
  return llvm::Error::success();
}

/// The ingot type of a GGUF tensor: logical shape outermost first, float
/// element type, block formats as encodings.
static RankedTensorType getTensorType(MLIRContext &context,
                                      const GGUFTensorInfo &info) {
  SmallVector<int64_t> shape(info.dims.rbegin(), info.dims.rend());
  Builder b(&context);
  auto block = [&](BlockFormat format) {
    return RankedTensorType::get(shape, b.getF32Type(),
                                 BlockQuantAttr::get(&context, format));
  };
  switch (info.type) {
  case GGMLType::F32:
    return RankedTensorType::get(shape, b.getF32Type());
  case GGMLType::F16:
    return RankedTensorType::get(shape, b.getF16Type());
  case GGMLType::BF16:
    return RankedTensorType::get(shape, b.getBF16Type());
  case GGMLType::Q4_0:
    return block(BlockFormat::q4_0);
  case GGMLType::Q4_1:
    return block(BlockFormat::q4_1);
  case GGMLType::Q5_0:
    return block(BlockFormat::q5_0);
  case GGMLType::Q5_1:
    return block(BlockFormat::q5_1);
  case GGMLType::Q8_0:
    return block(BlockFormat::q8_0);
  case GGMLType::Q4_K:
    return block(BlockFormat::q4_k);
  case GGMLType::Q5_K:
    return block(BlockFormat::q5_k);
  case GGMLType::Q6_K:
    return block(BlockFormat::q6_k);
  case GGMLType::Q2_K:
    return block(BlockFormat::q2_k);
  case GGMLType::Q3_K:
    return block(BlockFormat::q3_k);
  case GGMLType::IQ4_NL:
    return block(BlockFormat::iq4_nl);
  case GGMLType::IQ4_XS:
    return block(BlockFormat::iq4_xs);
  }
  llvm_unreachable("unknown ggml type");
}

llvm::Error GGUFModel::load() {
  llvm::Expected<StringRef> arch = reader->getString("general.architecture");
  if (!arch)
    return arch.takeError();
  archName = arch->str();
  std::optional<Architecture> kind =
      llvm::StringSwitch<std::optional<Architecture>>(archName)
          .Case("llama", Architecture::Llama)
          .Case("qwen2", Architecture::Qwen2)
          .Case("qwen3", Architecture::Qwen3)
          .Case("qwen2moe", Architecture::Qwen2Moe)
          .Case("qwen3moe", Architecture::Qwen3Moe)
          .Case("olmoe", Architecture::Olmoe)
          .Default(std::nullopt);
  if (!kind)
    return error("unknown architecture '" + archName +
                 "' (supported: llama, qwen2, qwen3, qwen2moe, qwen3moe, "
                 "olmoe)");
  ModelConfig &c = config;
  c.arch = *kind;

  // Every integer the architecture needs, with GGUF's defaults.
  auto get = [&](int64_t &field, StringRef key,
                 std::optional<int64_t> fallback) -> llvm::Error {
    llvm::Expected<int64_t> value = integer(key, fallback);
    if (!value)
      return value.takeError();
    field = *value;
    return llvm::Error::success();
  };
  if (llvm::Error e = get(c.hiddenSize, "embedding_length", std::nullopt))
    return e;
  if (llvm::Error e = get(c.numLayers, "block_count", std::nullopt))
    return e;
  if (llvm::Error e = get(c.numHeads, "attention.head_count", std::nullopt))
    return e;
  if (llvm::Error e = get(c.numKVHeads, "attention.head_count_kv", c.numHeads))
    return e;
  if (c.numHeads < 1)
    return error("'" + archName + ".attention.head_count' must be >= 1");
  if (llvm::Error e =
          get(c.headDim, "attention.key_length", c.hiddenSize / c.numHeads))
    return e;
  if (llvm::Error e = get(c.contextLength, "context_length", 4096))
    return e;
  if (llvm::Error e = get(c.numExperts, "expert_count", 0))
    return e;
  if (llvm::Error e = get(c.expertsPerToken, "expert_used_count", 0))
    return e;
  // Feed-forward widths, as llama.cpp reads them. Its converter writes
  // expert_feed_forward_length for Qwen-MoE only: Mixtral (llama) and OLMoE
  // experts are feed_forward_length wide; Qwen-MoE falls back to
  // feed_forward_length / expert_used_count, its shared expert to
  // feed_forward_length. Ours writes expert_feed_forward_length for all.
  auto optional = [&](StringRef key) -> llvm::Expected<std::optional<int64_t>> {
    if (!reader->contains(archName + "." + key.str()))
      return std::nullopt;
    llvm::Expected<int64_t> value = integer(key, std::nullopt);
    if (!value)
      return value.takeError();
    return *value;
  };
  llvm::Expected<std::optional<int64_t>> ffn = optional("feed_forward_length");
  if (!ffn)
    return ffn.takeError();
  std::string ffnKey = "'" + archName + ".feed_forward_length'";
  if (c.numExperts > 0) {
    llvm::Expected<std::optional<int64_t>> expert =
        optional("expert_feed_forward_length");
    llvm::Expected<std::optional<int64_t>> shared =
        optional("expert_shared_feed_forward_length");
    if (!expert)
      return expert.takeError();
    if (!shared)
      return shared.takeError();
    bool qwen = c.arch == Architecture::Qwen2Moe ||
                c.arch == Architecture::Qwen3Moe;
    std::string from = "'" + archName + ".expert_feed_forward_length'";
    if (!*expert && *ffn) {
      *expert = **ffn;
      from = ffnKey;
      if (qwen && c.expertsPerToken > 0) {
        *expert = **ffn / c.expertsPerToken;
        from = ffnKey + " / '" + archName + ".expert_used_count'";
      }
    } else if (!*expert) {
      from += " or " + ffnKey;
    }
    llvm::Expected<int64_t> width = ffnWidth(
        *expert, from, "blk.0.ffn_gate_exps.weight", "expert", true);
    if (!width)
      return width.takeError();
    c.expertIntermediateSize = *width;
    // A shared expert (Qwen2-MoE) exists when its tensors do.
    from = "'" + archName + ".expert_shared_feed_forward_length'";
    if (!*shared && *ffn &&
        reader->lookupTensor("blk.0.ffn_gate_shexp.weight")) {
      *shared = **ffn;
      from = ffnKey;
    }
    llvm::Expected<int64_t> sharedWidth =
        ffnWidth(*shared, from, "blk.0.ffn_gate_shexp.weight",
                 "shared expert", false);
    if (!sharedWidth)
      return sharedWidth.takeError();
    c.sharedExpertIntermediateSize = *sharedWidth;
  } else {
    llvm::Expected<int64_t> width = ffnWidth(
        *ffn, ffnKey, "blk.0.ffn_gate.weight", "feed-forward", true);
    if (!width)
      return width.takeError();
    c.intermediateSize = *width;
  }
  int64_t window = 0;
  if (llvm::Error e = get(window, "attention.sliding_window", 0))
    return e;
  if (window > 0)
    c.slidingWindow = window;

  llvm::Expected<double> eps =
      number("attention.layer_norm_rms_epsilon", 1e-5);
  llvm::Expected<double> theta = number("rope.freq_base", 10000.0);
  if (!eps)
    return eps.takeError();
  if (!theta)
    return theta.takeError();
  c.rmsNormEps = *eps;
  c.ropeTheta = *theta;

  if (c.arch == Architecture::Llama) {
    if (c.numExperts > 0)
      c.arch = Architecture::Mixtral;
    else if (c.slidingWindow)
      c.arch = Architecture::Mistral;
    c.ropeStyle = RopeStyle::interleaved;
  }
  // Qwen2-MoE and OLMoE use raw router probabilities; the others
  // renormalize the chosen ones, unless the file says otherwise.
  c.normTopKProb = c.arch == Architecture::Mixtral ||
                   c.arch == Architecture::Qwen3Moe;
  if (reader->contains(archName + ".expert_weights_norm")) {
    llvm::Expected<bool> norm =
        reader->getBool(archName + ".expert_weights_norm");
    if (!norm)
      return norm.takeError();
    c.normTopKProb = *norm;
  }

  std::string scalingKey = archName + ".rope.scaling.type";
  if (reader->contains(scalingKey)) {
    llvm::Expected<StringRef> type = reader->getString(scalingKey);
    if (!type)
      return type.takeError();
    if (*type != "none") {
      RopeScalingConfig s;
      if (*type == "linear")
        s.kind = RopeScalingKind::linear;
      else if (*type == "yarn")
        s.kind = RopeScalingKind::yarn;
      else if (*type == "llama3")
        s.kind = RopeScalingKind::llama3;
      else
        return error("metadata key '" + scalingKey + "': unknown rope scaling '" +
                     *type + "' (supported: none, linear, yarn, llama3)");
      llvm::Expected<double> factor = number("rope.scaling.factor", 1.0);
      if (!factor)
        return factor.takeError();
      s.factor = *factor;
      if (llvm::Error e = get(s.originalMaxPosition,
                              "rope.scaling.original_context_length", 0))
        return e;
      llvm::Expected<double> low = number("rope.scaling.low_freq_factor", 1.0);
      llvm::Expected<double> high =
          number("rope.scaling.high_freq_factor", 4.0);
      if (!low)
        return low.takeError();
      if (!high)
        return high.takeError();
      s.lowFreqFactor = *low;
      s.highFreqFactor = *high;
      if (s.kind == RopeScalingKind::yarn) {
        // As llama.cpp reads a YaRN file: the training context when no
        // original one is given, beta_fast/beta_slow 32/1 by default, the
        // attention factor 0.1 * ln(factor) + 1 unless the converter wrote
        // transformers' attention_factor, times rope.scaling.attn_factor.
        if (s.originalMaxPosition == 0)
          s.originalMaxPosition = c.contextLength;
        llvm::Expected<double> betaFast =
            number("rope.scaling.yarn_beta_fast", 32.0);
        llvm::Expected<double> betaSlow =
            number("rope.scaling.yarn_beta_slow", 1.0);
        llvm::Expected<double> given = number(
            "rope.scaling.yarn_attn_factor", getYarnMscale(s.factor));
        llvm::Expected<double> scale = number("rope.scaling.attn_factor", 1.0);
        llvm::Expected<double> ext = number("rope.scaling.yarn_ext_factor", 1.0);
        llvm::Expected<double> logMul =
            number("rope.scaling.yarn_log_multiplier", 0.0);
        llvm::Error first = llvm::Error::success();
        for (llvm::Expected<double> *v :
             {&betaFast, &betaSlow, &given, &scale, &ext, &logMul}) {
          if (*v)
            continue;
          if (first)
            llvm::consumeError(v->takeError());
          else
            first = v->takeError();
        }
        if (first)
          return first;
        if (*ext != 1.0)
          return error("metadata key '" + archName +
                       ".rope.scaling.yarn_ext_factor': only 1 is supported");
        if (*logMul != 0.0)
          return error("metadata key '" + archName +
                       ".rope.scaling.yarn_log_multiplier': not supported "
                       "(the attention factor it implies depends on an "
                       "mscale the file does not hold)");
        s.betaFast = *betaFast;
        s.betaSlow = *betaSlow;
        s.attnFactor = *given * *scale;
        if (!(s.factor > 0.0) || !(s.betaFast > s.betaSlow) ||
            !(s.attnFactor > 0.0) || s.originalMaxPosition <= 0)
          return error("metadata keys '" + archName +
                       ".rope.scaling.*': yarn needs factor > 0, "
                       "yarn_beta_fast > yarn_beta_slow, a positive "
                       "attention factor and original context");
      }
      c.ropeScaling = s;
    }
  }

  for (const GGUFTensorInfo &info : reader->getTensors())
    weights[info.name] = {info.name.str(), getTensorType(*context, info)};
  const GGUFTensorInfo *embd = reader->lookupTensor("token_embd.weight");
  if (!embd)
    return error("missing tensor 'token_embd.weight'");
  c.vocabSize = static_cast<int64_t>(embd->dims.back());
  c.tiedEmbeddings = !reader->lookupTensor("output.weight");
  if (llvm::Error e = checkKnownKeys())
    return e;
  if (llvm::Error e = readComputeFields())
    return e;
  if (llvm::Error e = refuseUnsupported())
    return e;
  if (llvm::Error e = c.validate())
    return error(llvm::toString(std::move(e)));
  return llvm::Error::success();
}

std::string GGUFModel::getTokenizerKind() const {
  const ::ingot::gguf::GGUFValue *model = reader->lookup("tokenizer.ggml.model");
  std::optional<StringRef> name = model ? model->getAsString() : std::nullopt;
  if (!name)
    return "none";
  if (*name == "gpt2")
    return "byte-level BPE (gpt2)";
  if (*name == "llama")
    return "SentencePiece BPE (llama)";
  return name->str();
}

llvm::Expected<std::vector<float>>
GGUFModel::readWeight(StringRef name) const {
  llvm::Expected<const GGUFTensorInfo &> info = reader->getTensor(name);
  if (!info)
    return info.takeError();
  std::vector<float> values(info->numElements);
  if (llvm::Error e = ::ingot::gguf::dequantize(info->type, info->data, values))
    return e;
  return values;
}

llvm::Expected<std::unique_ptr<ImportedModel>>
mlir::ingot::openGGUFModel(MLIRContext &context, StringRef path) {
  llvm::Expected<std::unique_ptr<GGUFReader>> reader = GGUFReader::open(path);
  if (!reader)
    return reader.takeError();
  auto model = std::make_unique<GGUFModel>(context, std::move(*reader));
  if (llvm::Error e = model->load())
    return e;
  return std::unique_ptr<ImportedModel>(std::move(model));
}

llvm::Expected<std::unique_ptr<ImportedModel>>
ImportedModel::open(MLIRContext &context, StringRef path) {
  context.loadDialect<IngotDialect>();
  if (path.ends_with(".gguf"))
    return openGGUFModel(context, path);
  if (llvm::sys::fs::is_directory(path) || path.ends_with(".json") ||
      path.ends_with(".safetensors"))
    return openHFModel(context, path);
  return llvm::createStringError(
      path + ": unknown model format (expected a .gguf file or a Hugging "
             "Face model directory)");
}
