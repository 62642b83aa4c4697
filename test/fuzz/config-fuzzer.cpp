//===- config-fuzzer.cpp - libFuzzer target for config.json ---------------===//
//
// Parses the input as a Hugging Face `config.json` with ConfigObject::parse,
// then calls every typed getter on the keys architecture builders read and on
// every key the input holds, descending into nested objects. Also runs
// parseJSON with duplicate-key rejection, the path safetensors headers and
// shard indexes take. Errors are consumed; a crash, leak, hang or sanitizer
// report is a bug.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/Config.h"
#include "frontends/hf/JSONUtils.h"
#include "frontends/hf/Quantized.h"

#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace ingot::hf;

namespace {

/// Folds values into a sink so the optimizer keeps every read.
volatile uint64_t sink;

template <typename T>
void consume(llvm::Expected<T> value) {
  if (!value) {
    sink = sink + llvm::toString(value.takeError()).size();
    return;
  }
  sink = sink + 1;
}

/// Keys the architecture builders read, at the top level and in
/// `rope_scaling`, `rope_parameters` and `text_config`.
constexpr llvm::StringLiteral kCommonKeys[] = {
    "architectures",
    "model_type",
    "hidden_size",
    "intermediate_size",
    "moe_intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "vocab_size",
    "max_position_embeddings",
    "rms_norm_eps",
    "layer_norm_eps",
    "rope_theta",
    "rope_scaling",
    "rope_parameters",
    "rope_type",
    "factor",
    "original_max_position_embeddings",
    "hidden_act",
    "tie_word_embeddings",
    "attention_bias",
    "sliding_window",
    "use_sliding_window",
    "num_experts",
    "num_local_experts",
    "num_experts_per_tok",
    "norm_topk_prob",
    "shared_expert_intermediate_size",
    "decoder_sparse_step",
    "mlp_only_layers",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "torch_dtype",
    "dtype",
    "text_config",
    "quantization_config",
};

/// Calls every getter on `key`.
void visitKey(const ConfigObject &config, llvm::StringRef key) {
  sink = sink + config.has(key) + (config.lookup(key) != nullptr) +
         config.getKeyPath(key).size();
  consume(config.getInt(key));
  consume(config.getInt(key, 7));
  consume(config.getOptionalInt(key));
  consume(config.getDouble(key));
  consume(config.getDouble(key, 0.5));
  consume(config.getOptionalDouble(key));
  consume(config.getBool(key));
  consume(config.getBool(key, true));
  consume(config.getOptionalBool(key));
  consume(config.getString(key));
  consume(config.getString(key, "default"));
  consume(config.getOptionalString(key));
  consume(config.getIntArray(key));
  consume(config.getDoubleArray(key));
  consume(config.getStringArray(key));
  consume(config.getOptionalIntList(key));
  consume(config.getOptionalObject(key));
}

/// Visits the keys of `config`, then its nested objects (the depth is bounded
/// by parseJSON's kMaxJSONDepth).
void visitObject(const ConfigObject &config, unsigned depth) {
  if (depth > kMaxJSONDepth)
    __builtin_trap();
  sink = sink + config.getFile().size() + config.getKeyPath().size() +
         config.getJSON().size();
  // The common keys at the top level and one level down (rope_scaling,
  // text_config); deeper, only the keys present, so that inputs of many
  // small objects stay fast.
  if (depth <= 1)
    for (llvm::StringRef key : kCommonKeys)
      visitKey(config, key);
  std::vector<std::string> keys;
  for (const auto &entry : config.getJSON())
    keys.push_back(llvm::StringRef(entry.first).str());
  for (const std::string &key : keys) {
    visitKey(config, key);
    llvm::Expected<ConfigObject> nested = config.getObject(key);
    if (!nested) {
      sink = sink + llvm::toString(nested.takeError()).size();
      continue;
    }
    visitObject(*nested, depth + 1);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);

  // Duplicate keys rejected: safetensors headers and shard indexes.
  llvm::Expected<llvm::json::Value> strict =
      parseJSON(text, /*rejectDuplicateKeys=*/true);
  if (!strict)
    sink = sink + llvm::toString(strict.takeError()).size();
  else
    sink = sink + describeJSONKind(*strict).size();

  llvm::Expected<ConfigObject> config =
      ConfigObject::parse(text, "config.json");
  if (!config) {
    sink = sink + llvm::toString(config.takeError()).size();
    return 0;
  }
  visitObject(*config, 0);
  consume(parseQuantizationConfig(*config));
  consume(parseQuantizationObject(*config, "gptq")); // quantize_config.json
  return 0;
}
