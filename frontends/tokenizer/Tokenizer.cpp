//===- Tokenizer.cpp - Tokenizer data from GGUF and Hugging Face ----------===//

#include "frontends/tokenizer/Tokenizer.h"

#include "frontends/InputFile.h"
#include "frontends/gguf/GGUFReader.h"
#include "frontends/hf/JSONUtils.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <climits>

using namespace ingot::tokenizer;
using llvm::StringRef;

llvm::Expected<TokenizerData>
ingot::tokenizer::loadGGUFTokenizer(const gguf::GGUFReader &file) {
  TokenizerData data;
  data.file = file.getPath().str();
  const gguf::GGUFValue *model = file.lookup("tokenizer.ggml.model");
  if (!model)
    return data;
  std::optional<StringRef> name = model->getAsString();
  if (name == "gpt2")
    data.kind = TokenizerKind::ByteLevelBPE;
  else if (name == "llama")
    data.kind = TokenizerKind::SentencePiece;
  else
    return llvm::createStringError(
        file.getPath() + ": metadata key 'tokenizer.ggml.model': unsupported " +
        (name ? "tokenizer " + quoteForMessage(*name)
              : "tokenizer of type " +
                    gguf::getGGUFValueTypeName(model->getType()).str()) +
        " (supported: gpt2, llama)");
  auto tokens = file.getStringArray("tokenizer.ggml.tokens");
  if (!tokens)
    return tokens.takeError();
  for (StringRef token : *tokens)
    data.tokens.push_back(token.str());
  if (file.contains("tokenizer.ggml.scores")) {
    auto scores = file.getFloatArray("tokenizer.ggml.scores");
    if (!scores)
      return scores.takeError();
    data.scores.assign(scores->begin(), scores->end());
  }
  if (file.contains("tokenizer.ggml.token_type")) {
    auto types = file.getIntegerArray("tokenizer.ggml.token_type");
    if (!types)
      return types.takeError();
    data.types.assign(types->begin(), types->end());
  }
  if (file.contains("tokenizer.ggml.merges")) {
    auto merges = file.getStringArray("tokenizer.ggml.merges");
    if (!merges)
      return merges.takeError();
    for (StringRef merge : *merges) {
      auto [a, b] = merge.split(' ');
      data.merges.emplace_back(a.str(), b.str());
    }
  }
  for (auto [key, field] : {std::pair<const char *, int64_t *>{
                                "tokenizer.ggml.bos_token_id", &data.bosId},
                            {"tokenizer.ggml.eos_token_id", &data.eosId}}) {
    if (!file.contains(key))
      continue;
    auto id = file.getInteger(key);
    if (!id)
      return id.takeError();
    *field = *id;
  }
  if (const gguf::GGUFValue *prefix =
          file.lookup("tokenizer.ggml.add_space_prefix"))
    data.addSpacePrefix = prefix->getAsBool().value_or(true);
  if (const gguf::GGUFValue *pre = file.lookup("tokenizer.ggml.pre"))
    data.preTokenizer = pre->getAsString().value_or("").str();
  else if (data.kind == TokenizerKind::ByteLevelBPE)
    // llama.cpp splits the text of a byte-level BPE file that names no
    // pre-tokenizer with its "default" regexes, not GPT-2's.
    data.preTokenizer = "default";
  return data;
}

// The regexes of Llama 3 and Qwen2 tokenizer.json files (Split, Isolated).
static constexpr StringRef llama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
static constexpr StringRef qwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

/// The GGUF name (tokenizer.ggml.pre) of a tokenizer.json pre_tokenizer:
/// ByteLevel with its regex is GPT-2's; Digits (each digit alone) then
/// ByteLevel is SmolLM's; a Split by Llama 3's or Qwen2's regex then
/// ByteLevel without regex is theirs. Anything else is named
/// "tokenizer.json:<type>", which serializeTokenizer rejects.
static std::string hfPreTokenizerName(const llvm::json::Value *value) {
  const llvm::json::Object *pre = value ? value->getAsObject() : nullptr;
  if (!pre)
    return "tokenizer.json:none";
  StringRef type = pre->getString("type").value_or("");
  auto isByteLevel = [](const llvm::json::Object *o, bool regex) {
    return o && o->getString("type") == StringRef("ByteLevel") &&
           o->getBoolean("use_regex").value_or(true) == regex &&
           !o->getBoolean("add_prefix_space").value_or(false);
  };
  if (isByteLevel(pre, true))
    return "gpt-2";
  const llvm::json::Array *list = pre->getArray("pretokenizers");
  if (type == "Sequence" && list && list->size() == 2) {
    const llvm::json::Object *first = (*list)[0].getAsObject();
    const llvm::json::Object *second = (*list)[1].getAsObject();
    if (first && first->getString("type") == StringRef("Digits") &&
        first->getBoolean("individual_digits").value_or(false) &&
        isByteLevel(second, true))
      return "smollm";
    const llvm::json::Object *pattern =
        first ? first->getObject("pattern") : nullptr;
    std::optional<StringRef> regex =
        pattern ? pattern->getString("Regex") : std::nullopt;
    if (first && first->getString("type") == StringRef("Split") && regex &&
        first->getString("behavior") == StringRef("Isolated") &&
        isByteLevel(second, false)) {
      if (*regex == llama3Regex)
        return "llama-bpe";
      if (*regex == qwen2Regex)
        return "qwen2";
    }
  }
  return ("tokenizer.json:" + type).str();
}

llvm::Expected<TokenizerData>
ingot::tokenizer::loadHFTokenizer(StringRef path) {
  auto error = [&](const llvm::Twine &what) {
    return llvm::createStringError(path + ": " + what);
  };
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      readInputFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::Expected<llvm::json::Value> json =
      hf::parseJSON((*buffer)->getBuffer(), /*rejectDuplicateKeys=*/false);
  if (!json)
    return error(llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model)
    return error("key 'model' is missing or not an object");
  if (model->getString("type") != StringRef("BPE"))
    return error("key 'model.type': only BPE tokenizers are supported");
  const llvm::json::Object *vocab = model->getObject("vocab");
  if (!vocab)
    return error("key 'model.vocab' is missing or not an object");
  TokenizerData data;
  data.kind = TokenizerKind::ByteLevelBPE;
  data.file = path.str();
  auto place = [&](StringRef token, int64_t id) -> llvm::Error {
    if (id < 0 || id >= (int64_t(1) << 24))
      return error("token '" + token + "' has id " + llvm::Twine(id) +
                   " out of range");
    if (static_cast<size_t>(id) >= data.tokens.size())
      data.tokens.resize(id + 1);
    data.tokens[id] = token.str();
    return llvm::Error::success();
  };
  for (const auto &entry : *vocab) {
    std::optional<int64_t> id = entry.second.getAsInteger();
    if (!id)
      return error("key 'model.vocab." + StringRef(entry.first) +
                   "' is not an integer");
    if (llvm::Error e = place(entry.first, *id))
      return e;
  }
  if (const llvm::json::Array *added = root->getArray("added_tokens"))
    for (const llvm::json::Value &token : *added) {
      const llvm::json::Object *object = token.getAsObject();
      std::optional<StringRef> content =
          object ? object->getString("content") : std::nullopt;
      std::optional<int64_t> id =
          object ? object->getInteger("id") : std::nullopt;
      if (!content || !id)
        return error("key 'added_tokens': entry without content and id");
      if (llvm::Error e = place(*content, *id))
        return e;
      // GGUF's token types: control for special tokens, else user-defined.
      if (data.types.size() < data.tokens.size())
        data.types.resize(data.tokens.size(), 1);
      data.types[*id] = object->getBoolean("special").value_or(false) ? 3 : 4;
    }
  if (!data.types.empty())
    data.types.resize(data.tokens.size(), 1);
  data.preTokenizer = hfPreTokenizerName(root->get("pre_tokenizer"));
  if (const llvm::json::Array *merges = model->getArray("merges"))
    for (const llvm::json::Value &merge : *merges) {
      if (std::optional<StringRef> text = merge.getAsString()) {
        auto [a, b] = text->split(' ');
        data.merges.emplace_back(a.str(), b.str());
      } else if (const llvm::json::Array *pair = merge.getAsArray();
                 pair && pair->size() == 2 && (*pair)[0].getAsString() &&
                 (*pair)[1].getAsString()) {
        data.merges.emplace_back((*pair)[0].getAsString()->str(),
                                 (*pair)[1].getAsString()->str());
      } else {
        return error("key 'model.merges': entry is neither \"a b\" nor "
                     "[a, b]");
      }
    }
  return data;
}

//===----------------------------------------------------------------------===//
// Byte-level BPE
//===----------------------------------------------------------------------===//

/// GPT-2's byte-to-code-point map: printable bytes stand for themselves, the
/// others are moved to 256 and up, in order.
static const std::vector<uint32_t> &byteToCodePoint() {
  static const std::vector<uint32_t> table = [] {
    std::vector<uint32_t> t(256);
    uint32_t next = 256;
    for (uint32_t byte = 0; byte < 256; ++byte) {
      bool printable = (byte >= 33 && byte <= 126) ||
                       (byte >= 161 && byte <= 172) || byte >= 174;
      t[byte] = printable ? byte : next++;
    }
    return t;
  }();
  return table;
}

static void appendUTF8(std::string &out, uint32_t codePoint) {
  char buffer[UNI_MAX_UTF8_BYTES_PER_CODE_POINT];
  char *end = buffer;
  llvm::ConvertCodePointToUTF8(codePoint, end);
  out.append(buffer, end);
}

llvm::Expected<ByteLevelBPE> ByteLevelBPE::create(const TokenizerData &data) {
  if (data.kind != TokenizerKind::ByteLevelBPE)
    return llvm::createStringError("not a byte-level BPE tokenizer");
  ByteLevelBPE bpe;
  bpe.tokens = data.tokens;
  for (auto [id, token] : llvm::enumerate(data.tokens))
    if (!token.empty())
      bpe.ids.try_emplace(token, static_cast<int32_t>(id));
  for (auto [rank, merge] : llvm::enumerate(data.merges))
    bpe.mergeRank.try_emplace(merge.first + " " + merge.second,
                              static_cast<int32_t>(rank));
  return bpe;
}

namespace {
enum class CharClass { Letter, Digit, Space, Other };

CharClass classify(unsigned char c) {
  if (c >= 0x80 || std::isalpha(c))
    return CharClass::Letter; // bytes of non-ASCII characters count as letters
  if (std::isdigit(c))
    return CharClass::Digit;
  if (std::isspace(c))
    return CharClass::Space;
  return CharClass::Other;
}

/// Splits into words: a run of one class, with at most one leading space
/// attached to a following non-space run.
std::vector<StringRef> preTokenize(StringRef text) {
  std::vector<StringRef> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    if (text[i] == ' ' && i + 1 < text.size() &&
        classify(text[i + 1]) != CharClass::Space)
      ++i;
    CharClass cls = classify(text[i]);
    if (cls == CharClass::Space) {
      // A whitespace run, leaving its last space to the next word.
      size_t end = i;
      while (end < text.size() && classify(text[end]) == CharClass::Space)
        ++end;
      if (end < text.size() && end - i > 1 && text[end - 1] == ' ')
        --end;
      words.push_back(text.slice(start, end));
      i = end;
      continue;
    }
    while (i < text.size() && classify(text[i]) == cls)
      ++i;
    words.push_back(text.slice(start, i));
  }
  return words;
}
} // namespace

std::vector<int32_t> ByteLevelBPE::encode(StringRef text) const {
  std::vector<int32_t> out;
  for (StringRef word : preTokenize(text)) {
    // Symbols start as single mapped bytes, then the best-ranked adjacent
    // pair is merged until no pair has a rank.
    std::vector<std::string> symbols;
    for (unsigned char byte : word) {
      symbols.emplace_back();
      appendUTF8(symbols.back(), byteToCodePoint()[byte]);
    }
    while (symbols.size() > 1) {
      int32_t best = INT32_MAX;
      size_t at = 0;
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        auto it = mergeRank.find(symbols[i] + " " + symbols[i + 1]);
        if (it != mergeRank.end() && it->second < best) {
          best = it->second;
          at = i;
        }
      }
      if (best == INT32_MAX)
        break;
      symbols[at] += symbols[at + 1];
      symbols.erase(symbols.begin() + at + 1);
    }
    for (const std::string &symbol : symbols) {
      auto it = ids.find(symbol);
      if (it != ids.end())
        out.push_back(it->second);
    }
  }
  return out;
}

std::string ByteLevelBPE::decode(llvm::ArrayRef<int32_t> idList) const {
  static const llvm::DenseMap<uint32_t, uint8_t> codePointToByte = [] {
    llvm::DenseMap<uint32_t, uint8_t> map;
    for (uint32_t byte = 0; byte < 256; ++byte)
      map[byteToCodePoint()[byte]] = static_cast<uint8_t>(byte);
    return map;
  }();
  std::string out;
  for (int32_t id : idList) {
    if (id < 0 || static_cast<size_t>(id) >= tokens.size())
      continue;
    StringRef token = tokens[id];
    const llvm::UTF8 *p = token.bytes_begin(), *end = token.bytes_end();
    while (p < end) {
      llvm::UTF32 codePoint;
      llvm::UTF32 *target = &codePoint;
      const llvm::UTF8 *before = p;
      if (llvm::ConvertUTF8toUTF32(&p, end, &target, target + 1,
                                   llvm::strictConversion) !=
              llvm::conversionOK &&
          target == &codePoint) {
        out.append(reinterpret_cast<const char *>(before), end - before);
        break;
      }
      auto it = codePointToByte.find(codePoint);
      if (it != codePointToByte.end())
        out.push_back(static_cast<char>(it->second));
      else
        appendUTF8(out, codePoint); // special tokens are kept as written
    }
  }
  return out;
}
