//===- Quote.h - Names from model files in one-line messages ----*- C++ -*-===//

#ifndef INGOT_FRONTENDS_QUOTE_H
#define INGOT_FRONTENDS_QUOTE_H

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace ingot {

/// `text` (a key or tensor name read from a file) for a one-line message: in
/// single quotes, at most 80 bytes, with backslashes, quotes and every byte
/// outside printable ASCII escaped, so that the message stays one line.
inline std::string quoteForMessage(llvm::StringRef text) {
  constexpr size_t kMaxQuoted = 80;
  std::string result;
  llvm::raw_string_ostream os(result);
  os << '\'';
  llvm::printEscapedString(text.take_front(kMaxQuoted), os);
  os << '\'';
  if (text.size() > kMaxQuoted)
    os << "...";
  return result;
}

} // namespace ingot

#endif // INGOT_FRONTENDS_QUOTE_H
