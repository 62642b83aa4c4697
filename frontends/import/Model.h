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

  /// The model's tokenizer data (kind None when the model has none).
  virtual llvm::Expected<::ingot::tokenizer::TokenizerData>
  loadTokenizer() const = 0;

  /// The weight `name` (a canonical name from getWeights()) dequantized to
  /// f32, row-major in its logical shape.
  virtual llvm::Expected<std::vector<float>>
  readWeight(llvm::StringRef name) const = 0;

  /// Builds the model's graph.
  llvm::Expected<OwningOpRef<ModuleOp>>
  buildModule(const BuildOptions &options) const {
    return buildDecoderModel(*context, config, weights, options);
  }

protected:
  explicit ImportedModel(MLIRContext &context) : context(&context) {}

  MLIRContext *context;
  ModelConfig config;
  WeightTable weights;
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
