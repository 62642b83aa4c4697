//===- JSONUtils.cpp - JSON helpers of the Hugging Face readers -----------===//

#include "frontends/hf/JSONUtils.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <vector>

using namespace ingot::hf;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// What a pass over the raw text found before the real parse.
struct ScanResult {
  /// Where an array or object opens one level deeper than allowed.
  std::optional<size_t> tooDeepAt;
  /// Where the first repeated key of an object starts, and the key.
  std::optional<size_t> duplicateAt;
  std::string duplicateKey;
};

/// One open array or object during the scan.
struct Frame {
  bool isObject = false;
  llvm::StringSet<> keys;
};

/// The key a raw (still escaped) JSON string spells.
std::string decodeKey(StringRef raw) {
  if (!raw.contains('\\'))
    return raw.str();
  Expected<llvm::json::Value> value =
      llvm::json::parse(("\"" + raw + "\"").str());
  if (!value) {
    llvm::consumeError(value.takeError());
    return raw.str();
  }
  if (std::optional<StringRef> key = value->getAsString())
    return key->str();
  return raw.str();
}

/// Tracks nesting (and, if asked, the keys of each open object) in `text`
/// without validating it: the real parser does that afterwards. Valid JSON is
/// scanned exactly; on invalid JSON the scan may stop early or misread keys,
/// which is harmless because the parse then fails.
ScanResult scan(StringRef text, bool collectKeys) {
  ScanResult result;
  std::vector<Frame> frames;
  size_t depth = 0;
  bool expectKey = false;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    switch (c) {
    case '"': {
      size_t end = i + 1;
      while (end < e && text[end] != '"')
        end += text[end] == '\\' ? 2 : 1;
      if (end >= e)
        return result; // Unterminated: the parser reports it.
      if (collectKeys && expectKey && depth > 0 && frames[depth - 1].isObject &&
          !result.duplicateAt) {
        std::string key = decodeKey(text.slice(i + 1, end));
        if (!frames[depth - 1].keys.insert(key).second) {
          result.duplicateAt = i;
          result.duplicateKey = std::move(key);
        }
      }
      expectKey = false;
      i = end;
      break;
    }
    case '{':
    case '[':
      if (depth == kMaxJSONDepth) {
        result.tooDeepAt = i;
        return result;
      }
      if (depth == frames.size())
        frames.emplace_back();
      frames[depth].isObject = c == '{';
      frames[depth].keys.clear();
      ++depth;
      expectKey = c == '{';
      break;
    case '}':
    case ']':
      if (depth == 0)
        return result; // Unbalanced: the parser reports it.
      --depth;
      expectKey = false;
      break;
    case ',':
      expectKey = depth > 0 && frames[depth - 1].isObject;
      break;
    default:
      break;
    }
  }
  return result;
}

/// "line L, byte B" for an offset into `text` (lines count from 1, bytes
/// from 0).
std::string describePosition(StringRef text, size_t offset) {
  size_t line = 1 + text.take_front(offset).count('\n');
  return ("line " + Twine(line) + ", byte " + Twine(offset)).str();
}

} // namespace

Expected<llvm::json::Value> ingot::hf::parseJSON(StringRef text,
                                                 bool rejectDuplicateKeys) {
  ScanResult scanned = scan(text, rejectDuplicateKeys);
  if (scanned.tooDeepAt)
    return llvm::createStringError("JSON nested deeper than " +
                                   Twine(kMaxJSONDepth) + " levels at " +
                                   describePosition(text, *scanned.tooDeepAt));
  Expected<llvm::json::Value> value = llvm::json::parse(text);
  if (!value)
    return llvm::createStringError("malformed JSON: " +
                                   llvm::toString(value.takeError()));
  if (scanned.duplicateAt)
    return llvm::createStringError(
        "duplicate key " + quote(scanned.duplicateKey) + " at " +
        describePosition(text, *scanned.duplicateAt));
  return value;
}


StringRef ingot::hf::describeJSONKind(const llvm::json::Value &value) {
  switch (value.kind()) {
  case llvm::json::Value::Null:
    return "null";
  case llvm::json::Value::Boolean:
    return "a boolean";
  case llvm::json::Value::Number: {
    // Numbers written with a fraction or exponent are stored as doubles,
    // which getAsUINT64 refuses; getAsInteger would accept integral ones.
    // (Negative doubles are called integers when integral: json::Value does
    // not tell them apart from negative integers.)
    if (value.getAsUINT64())
      return "an integer";
    std::optional<double> number = value.getAsNumber();
    if (number && *number < 0 && value.getAsInteger())
      return "an integer";
    return "a number";
  }
  case llvm::json::Value::String:
    return "a string";
  case llvm::json::Value::Array:
    return "an array";
  case llvm::json::Value::Object:
    return "an object";
  }
  return "a value";
}

Error ingot::hf::makeFileError(StringRef file, const Twine &message) {
  return llvm::createStringError(file + ": " + message);
}
