//===- Model.h - A model file, imported -------------------------*- C++ -*-===//
//
// Opens a model in any supported format (GGUF; Hugging Face safetensors +
// config.json), and gives the architecture builder what it needs: the
// hyperparameters and the weight table. Weights stay in the mapped file;
// readWeight dequantizes one on demand (for the reference evaluator and
// tests).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_IMPORT_MODEL_H
#define INGOT_FRONTENDS_IMPORT_MODEL_H

#include "frontends/arch/Builder.h"
#include "frontends/arch/ModelConfig.h"
#include "frontends/tokenizer/Tokenizer.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::ingot {

/// A weight with a `#ingot.group` encoding as the file stores it, unpacked:
/// element (r, c) is scales[r][g] * (codes[r][c] - zeros[r][g]) with
/// g = c / groupSize. Rows are the weight's outer dimensions flattened
/// (experts, then output channels); columns its innermost dimension.
struct GroupQuantizedData {
  int64_t rows = 0, cols = 0, groupSize = 0;
  /// [rows, cols], each in [0, 2^bits).
  std::vector<uint8_t> codes;
  /// [rows, cols / groupSize].
  std::vector<float> scales;
  /// [rows, cols / groupSize], integers (8 everywhere for symmetric int4).
  std::vector<int32_t> zeros;
};

class ImportedModel {
public:
  virtual ~ImportedModel();

  /// Opens `path`: a `.gguf` file, or a Hugging Face model directory (or its
  /// `config.json`, `model.safetensors`, `model.safetensors.index.json`).
  /// Errors are one line naming the file and the offending key or tensor.
  static llvm::Expected<std::unique_ptr<ImportedModel>>
  open(MLIRContext &context, llvm::StringRef path);

  const ModelConfig &getConfig() const { return config; }
  const WeightTable &getWeights() const { return weights; }
  /// "gguf" or "safetensors".
  virtual llvm::StringRef getFormat() const = 0;
  /// Every file the model was read from (for depfiles and inspect).
  virtual std::vector<std::string> getFiles() const = 0;
  /// The tokenizer's kind ("gpt2 byte-level BPE", "llama sentencepiece",
  /// ...), or "none".
  virtual std::string getTokenizerKind() const = 0;

  /// The model's tokenizer. Fails, naming the file, when the model has
  /// none (a compiled model cannot run without one), when it cannot be read,
  /// or when it has more tokens than the embedding has rows.
  llvm::Expected<::ingot::tokenizer::TokenizerData> loadTokenizer() const;

  /// The weight `name` (a canonical name from getWeights()) dequantized to
  /// f32, row-major in its logical shape.
  virtual llvm::Expected<std::vector<float>>
  readWeight(llvm::StringRef name) const = 0;

  /// The codes, scales and zero points of the weight `name`, whose type has
  /// a `#ingot.group` encoding (GPTQ/AWQ checkpoints), so that it can be
  /// packed as it is rather than quantized again; an error for any other
  /// weight.
  virtual llvm::Expected<GroupQuantizedData>
  readGroupQuantized(llvm::StringRef name) const;

  /// The bytes the file stores for the weight `name` when they are already
  /// in the layout its type's encoding describes (GGUF block formats and
  /// plain floats), so the packer can copy them; an error otherwise.
  virtual llvm::Expected<llvm::ArrayRef<uint8_t>>
  readStoredBytes(llvm::StringRef name) const;

  /// A hint that weight `name`'s bytes are not needed again soon (the
  /// packer wrote them): a mapped file gives their pages back, to be read
  /// from the file again if they are. Nothing a reader sees changes.
  virtual void releaseWeight(llvm::StringRef name) const {}

  /// The configuration fields the file sets (config.json keys, GGUF
  /// `<arch>.` metadata keys), as the audit in KnownFields.def classifies
  /// them: read and honoured, or without effect on the logits. Any other
  /// field is refused when the model is opened.
  const std::vector<std::string> &getHonouredFields() const {
    return honouredFields;
  }
  const std::vector<std::string> &getIgnoredFields() const {
    return ignoredFields;
  }

  /// The model's chat template (Jinja text), or "" when it has none.
  virtual std::string getChatTemplate() const { return ""; }

  /// Builds the model's graph.
  llvm::Expected<OwningOpRef<ModuleOp>>
  buildModule(const BuildOptions &options) const {
    return buildDecoderModel(*context, config, weights, options);
  }

protected:
  explicit ImportedModel(MLIRContext &context) : context(&context) {}

  /// The tokenizer as the file holds it, kind None when it has none.
  virtual llvm::Expected<::ingot::tokenizer::TokenizerData>
  readTokenizer() const = 0;

  MLIRContext *context;
  ModelConfig config;
  WeightTable weights;
  std::vector<std::string> honouredFields, ignoredFields;
};

/// Opens a GGUF file.
llvm::Expected<std::unique_ptr<ImportedModel>>
openGGUFModel(MLIRContext &context, llvm::StringRef path);

/// Opens a Hugging Face model: a directory with config.json and
/// safetensors weights (single file or sharded), or a file in it.
llvm::Expected<std::unique_ptr<ImportedModel>>
openHFModel(MLIRContext &context, llvm::StringRef path);

} // namespace mlir::ingot

#endif // INGOT_FRONTENDS_IMPORT_MODEL_H
