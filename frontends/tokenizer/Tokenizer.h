//===- Tokenizer.h - Tokenizer data from GGUF and Hugging Face --*- C++ -*-===//
//
// One representation of a model's tokenizer, whichever file it came from:
// the vocabulary (token strings as the model file spells them), BPE merges,
// SentencePiece scores, token kinds and special ids. The runtime's tokenizer
// is built from this. ByteLevelBPE also gives a simple encoder and a decoder:
// the encoder splits words with a simplified GPT-2 pre-tokenizer (letters,
// digits, other characters, whitespace, each with one leading space), enough
// for tests and plain English prompts but not the model's exact
// pre-tokenizer rules.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_TOKENIZER_TOKENIZER_H
#define INGOT_FRONTENDS_TOKENIZER_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace ingot::gguf {
class GGUFReader;
} // namespace ingot::gguf

namespace ingot::tokenizer {

enum class TokenizerKind {
  None,
  ByteLevelBPE,  ///< GPT-2 style: bytes mapped to printable code points, merges
  SentencePiece, ///< Llama 2 style: scores, ▁ for spaces, <0xNN> byte tokens
};

struct TokenizerData {
  TokenizerKind kind = TokenizerKind::None;
  /// The file it was read from (the GGUF file, tokenizer.json), which
  /// errors about it name.
  std::string file;
  std::vector<std::string> tokens;
  std::vector<float> scores;   ///< SentencePiece only
  /// GGUF token types (1 normal, 3 control, 4 user-defined, ...); from
  /// tokenizer.json: 3 for special added tokens, 4 for other added ones.
  std::vector<int32_t> types;
  std::vector<std::pair<std::string, std::string>> merges; ///< by rank
  int64_t bosId = -1, eosId = -1;
  /// GGUF's tokenizer.ggml.pre, e.g. "gpt-2", "smollm", "llama-bpe",
  /// "qwen2"; loadHFTokenizer names the same four from "pre_tokenizer".
  std::string preTokenizer;
  bool addSpacePrefix = true; ///< SentencePiece: "▁" before the text
};

/// Reads `tokenizer.ggml.*`; kind None when the file has no tokenizer.
llvm::Expected<TokenizerData> loadGGUFTokenizer(const gguf::GGUFReader &file);

/// Reads a Hugging Face `tokenizer.json` (BPE models); fails, naming the
/// file, when it cannot be read, is not JSON, or is not a BPE tokenizer.
llvm::Expected<TokenizerData> loadHFTokenizer(llvm::StringRef path);

/// A byte-level BPE encoder/decoder over TokenizerData.
class ByteLevelBPE {
public:
  static llvm::Expected<ByteLevelBPE> create(const TokenizerData &data);

  std::vector<int32_t> encode(llvm::StringRef text) const;
  std::string decode(llvm::ArrayRef<int32_t> ids) const;

private:
  std::vector<std::string> tokens;
  llvm::StringMap<int32_t> ids;
  llvm::StringMap<int32_t> mergeRank; ///< "a b" -> rank
};

} // namespace ingot::tokenizer

#endif // INGOT_FRONTENDS_TOKENIZER_TOKENIZER_H
