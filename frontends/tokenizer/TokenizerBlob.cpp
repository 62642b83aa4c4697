//===- TokenizerBlob.cpp - TokenizerData as the runtime's blob ------------===//

#include "frontends/tokenizer/TokenizerBlob.h"

#include "frontends/Quote.h"
#include "runtime/src/blob.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <cstring>

using namespace ingot::tokenizer;

namespace {
void putU32(std::vector<uint8_t> &out, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}
} // namespace

llvm::Expected<std::vector<uint8_t>>
ingot::tokenizer::serializeTokenizer(const TokenizerData &data) {
  // Errors name the file the tokenizer came from.
  auto error = [&](const llvm::Twine &message) {
    return llvm::createStringError(
        (data.file.empty() ? "tokenizer" : data.file) + ": " + message);
  };
  uint32_t kind;
  switch (data.kind) {
  case TokenizerKind::ByteLevelBPE:
    kind = INGOT_BLOB_BYTE_LEVEL_BPE;
    break;
  case TokenizerKind::SentencePiece:
    kind = INGOT_BLOB_SENTENCEPIECE;
    break;
  default:
    return error("the model has no tokenizer");
  }
  // Names as GGUF's tokenizer.ggml.pre spells them ("" for GPT-2 itself).
  int pre = llvm::StringSwitch<int>(data.preTokenizer)
                .Cases({"", "gpt-2", "gpt2"}, INGOT_PRE_GPT2)
                .Case("smollm", INGOT_PRE_SMOLLM)
                .Cases({"llama-bpe", "llama3"}, INGOT_PRE_LLAMA3)
                .Case("qwen2", INGOT_PRE_QWEN2)
                .Default(-1);
  if (kind == INGOT_BLOB_SENTENCEPIECE)
    pre = INGOT_PRE_GPT2; // not used
  if (pre < 0)
    return error("unsupported pre-tokenizer " +
                 quoteForMessage(data.preTokenizer) +
                 (data.preTokenizer == "default"
                      ? " (llama.cpp's own regexes, which it also uses when "
                        "tokenizer.ggml.pre is absent; "
                      : " (") +
                 "supported: gpt-2, smollm, llama-bpe, qwen2)");
  size_t n = data.tokens.size();
  if (n == 0 || n > INGOT_BLOB_MAX_TOKENS)
    return error(llvm::Twine(n) + " tokens, expected 1 to 2^24");
  bool hasScores = data.scores.size() == n;
  uint32_t flags = (hasScores ? INGOT_BLOB_HAS_SCORES : 0) |
                   (pre == INGOT_PRE_LLAMA3 ? INGOT_BLOB_IGNORE_MERGES : 0) |
                   (kind == INGOT_BLOB_SENTENCEPIECE && data.addSpacePrefix
                        ? INGOT_BLOB_ADD_SPACE_PREFIX
                        : 0);

  llvm::StringMap<uint32_t> ids;
  uint64_t stringBytes = 0;
  for (size_t i = 0; i < n; ++i) {
    ids.try_emplace(data.tokens[i], static_cast<uint32_t>(i));
    stringBytes += data.tokens[i].size();
  }
  if (stringBytes > UINT32_MAX)
    return error("token strings too long");
  std::vector<uint32_t> merges;
  for (const auto &[left, right] : data.merges) {
    auto l = ids.find(left), r = ids.find(right),
         m = ids.find(left + right);
    if (l == ids.end() || r == ids.end() || m == ids.end())
      continue;
    merges.insert(merges.end(), {l->second, r->second, m->second});
  }
  if (merges.size() / 3 > INGOT_BLOB_MAX_MERGES)
    return error("too many merges");
  auto id = [&](int64_t value) {
    return value >= 0 && static_cast<size_t>(value) < n
               ? static_cast<uint32_t>(value)
               : UINT32_MAX; // -1
  };

  std::vector<uint8_t> out(INGOT_BLOB_MAGIC, INGOT_BLOB_MAGIC + 4);
  for (uint32_t value :
       {INGOT_BLOB_VERSION, kind, static_cast<uint32_t>(pre), flags,
        id(data.bosId), id(data.eosId), static_cast<uint32_t>(n),
        static_cast<uint32_t>(merges.size() / 3),
        static_cast<uint32_t>(stringBytes)})
    putU32(out, value);
  uint32_t end = 0;
  for (const std::string &token : data.tokens)
    putU32(out, end += static_cast<uint32_t>(token.size()));
  if (hasScores)
    for (float score : data.scores) {
      uint32_t bits;
      std::memcpy(&bits, &score, 4);
      putU32(out, bits);
    }
  for (uint32_t value : merges)
    putU32(out, value);
  for (size_t i = 0; i < n; ++i) {
    int32_t type = i < data.types.size() ? data.types[i] : 1;
    out.push_back(type >= 1 && type <= 6 ? static_cast<uint8_t>(type) : 1);
  }
  for (const std::string &token : data.tokens)
    out.insert(out.end(), token.begin(), token.end());
  return out;
}
