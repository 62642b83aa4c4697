//===- JSONUtils.h - JSON helpers of the Hugging Face readers ---*- C++ -*-===//
//
// llvm::json::parse recurses once per nesting level and keeps the last of
// duplicate keys. parseJSON bounds the nesting before parsing, so a hostile
// file cannot overflow the stack, and can reject duplicate keys where they
// would make a name ambiguous (safetensors headers, shard indexes).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_HF_JSONUTILS_H
#define INGOT_FRONTENDS_HF_JSONUTILS_H

#include "frontends/Quote.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace ingot::hf {

/// The deepest nesting of arrays and objects parseJSON accepts.
constexpr unsigned kMaxJSONDepth = 64;

/// Parses `text` as one JSON value. Fails, with a one-line message that names
/// no file (callers prefix it), when the text nests arrays and objects deeper
/// than kMaxJSONDepth, is not valid JSON (the message includes the parser's),
/// or, with `rejectDuplicateKeys`, when an object repeats a key.
llvm::Expected<llvm::json::Value> parseJSON(llvm::StringRef text,
                                            bool rejectDuplicateKeys);

/// See quoteForMessage.
inline std::string quote(llvm::StringRef text) {
  return quoteForMessage(text);
}

/// The kind of a JSON value with its article, for messages: "null", "a
/// boolean", "an integer", "a number", "a string", "an array", "an object".
llvm::StringRef describeJSONKind(const llvm::json::Value &value);

/// An error whose message is "<file>: <message>".
llvm::Error makeFileError(llvm::StringRef file, const llvm::Twine &message);

} // namespace ingot::hf

#endif // INGOT_FRONTENDS_HF_JSONUTILS_H
