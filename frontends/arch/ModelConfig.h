//===- ModelConfig.h - What an importer knows about a model -----*- C++ -*-===//
//
// The hyperparameters of a decoder-only transformer, filled in by an importer
// (GGUF metadata or Hugging Face config.json), and the table of the weights
// the model file holds. The builder turns both into an ingot module.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_ARCH_MODELCONFIG_H
#define INGOT_FRONTENDS_ARCH_MODELCONFIG_H

#include "dialects/ingot/IngotAttrs.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace mlir::ingot {

/// The architectures the builder knows.
enum class Architecture {
  Llama,    ///< Llama 2/3, SmolLM2, TinyLlama
  Qwen2,    ///< qkv bias
  Qwen3,    ///< per-head q/k RMS norm
  Mistral,  ///< sliding window
  Mixtral,  ///< Llama attention, top-2 of 8 experts
  Qwen2Moe, ///< experts plus a shared expert with a sigmoid gate
  Qwen3Moe, ///< Qwen3 attention, experts
  Olmoe,    ///< q/k RMS norm over the whole projection, experts
};

/// The architecture's name as ingotc prints it ("llama", "qwen2_moe", ...).
llvm::StringRef stringifyArchitecture(Architecture arch);

/// Rope frequency scaling, when the model uses any.
struct RopeScalingConfig {
  RopeScalingKind kind = RopeScalingKind::linear;
  double factor = 1.0;
  int64_t originalMaxPosition = 0;
  double lowFreqFactor = 1.0, highFreqFactor = 4.0;
  double betaFast = 32.0, betaSlow = 1.0, attnFactor = 1.0;
};

/// YaRN's magnitude correction, 0.1 * mscale * ln(factor) + 1 (1 when the
/// factor does not extend the context), as transformers' yarn_get_mscale.
inline double getYarnMscale(double factor, double mscale = 1.0) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

struct ModelConfig {
  Architecture arch = Architecture::Llama;
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKVHeads = 0;
  int64_t headDim = 0;
  int64_t intermediateSize = 0; ///< dense FFN
  int64_t contextLength = 0;    ///< the model's maximum
  double rmsNormEps = 1e-5;
  double ropeTheta = 10000.0;
  RopeStyle ropeStyle = RopeStyle::neox;
  std::optional<RopeScalingConfig> ropeScaling;
  bool tiedEmbeddings = false;
  /// Sliding-window attention: a query sees itself and the `slidingWindow -
  /// 1` positions before it, in every layer when `slidingLayers` is empty,
  /// else in the layers it marks (one entry per layer).
  std::optional<int64_t> slidingWindow;
  std::vector<bool> slidingLayers;
  /// q/k/v and output projection biases (Llama, Qwen3, Qwen3-MoE and
  /// OLMoE's `attention_bias`). Qwen2's q/k/v biases need no flag.
  bool attentionBias = false;
  /// Gate/up/down biases of the dense feed-forward (Llama's `mlp_bias`).
  bool mlpBias = false;
  /// The activation of every gated feed-forward, dense, expert and shared.
  Activation activation = Activation::silu;
  /// q, k and v clamped to [-clipQKV, clipQKV] after the projections (and
  /// OLMoE's q/k norms).
  std::optional<double> clipQKV;

  // Mixture of experts (numExperts == 0: dense).
  int64_t numExperts = 0;
  int64_t expertsPerToken = 0;
  int64_t expertIntermediateSize = 0;
  int64_t sharedExpertIntermediateSize = 0; ///< 0: no shared expert
  bool normTopKProb = false;
  /// Layers of a mixture-of-experts model whose FFN is dense (of
  /// `intermediateSize`) instead of experts, one entry per layer (Qwen2-MoE's
  /// mlp_only_layers and decoder_sparse_step); empty: experts everywhere.
  std::vector<bool> denseLayers;

  bool isMoE() const { return numExperts > 0; }
  /// Whether layer `layer`'s FFN is the experts.
  bool isMoELayer(int64_t layer) const {
    return isMoE() && (denseLayers.empty() || !denseLayers[layer]);
  }
  /// Whether some layer has a dense FFN.
  bool hasDenseLayer() const {
    return !isMoE() || llvm::is_contained(denseLayers, true);
  }
  /// The sliding window of layer `layer`, if it has one.
  std::optional<int64_t> getLayerWindow(int64_t layer) const {
    if (!slidingLayers.empty() && !slidingLayers[layer])
      return std::nullopt;
    return slidingWindow;
  }
  bool hasQKVBias() const {
    return attentionBias || arch == Architecture::Qwen2 ||
           arch == Architecture::Qwen2Moe;
  }
  bool hasOutputBias() const { return attentionBias; }
  /// Qwen3: RMS norm of each head vector of q and k before rope.
  bool hasPerHeadQKNorm() const {
    return arch == Architecture::Qwen3 || arch == Architecture::Qwen3Moe;
  }
  /// OLMoE: RMS norm of the whole q and k projections before the reshape.
  bool hasFullQKNorm() const { return arch == Architecture::Olmoe; }

  /// Checks the numbers are consistent (positive sizes, heads dividing,
  /// experts per token <= experts); the error names the offending field.
  llvm::Error validate() const;
};

/// A weight the model file holds: its name there and its ingot type
/// (logical shape outermost-first, PyTorch's `[out, in]`; the storage format
/// as the encoding).
struct WeightInfo {
  std::string source;
  RankedTensorType type;
};

/// Weights by canonical name. Canonical names are GGUF's tensor names
/// (`token_embd.weight`, `blk.0.attn_q.weight`, `blk.0.ffn_gate_exps.weight`,
/// ...); the Hugging Face importer maps its names onto them.
using WeightTable = llvm::StringMap<WeightInfo>;

} // namespace mlir::ingot

#endif // INGOT_FRONTENDS_ARCH_MODELCONFIG_H
