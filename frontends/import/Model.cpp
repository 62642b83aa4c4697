//===- Model.cpp - What every imported model shares -----------------------===//

#include "frontends/import/Model.h"

using namespace mlir::ingot;

llvm::Expected<::ingot::tokenizer::TokenizerData>
ImportedModel::loadTokenizer() const {
  llvm::Expected<::ingot::tokenizer::TokenizerData> data = readTokenizer();
  if (!data)
    return data.takeError();
  if (data->kind == ::ingot::tokenizer::TokenizerKind::None)
    return llvm::createStringError(
        data->file +
        ": the model has no tokenizer, and a compiled model needs one");
  // A shorter list is fine: vocabularies are padded (the extra rows are
  // never produced by the tokenizer). A longer one names ids the model has
  // no embedding for.
  if (static_cast<int64_t>(data->tokens.size()) > config.vocabSize)
    return llvm::createStringError(
        data->file + ": the tokenizer has " + llvm::Twine(data->tokens.size()) +
        " tokens, more than the " + llvm::Twine(config.vocabSize) +
        " rows of the embedding");
  return data;
}
