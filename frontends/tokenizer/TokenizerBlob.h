//===- TokenizerBlob.h - TokenizerData as the runtime's blob ----*- C++ -*-===//
//
// The compact form of a tokenizer that compiled models embed and the runtime
// reads (ingot_tokenizer_init). Its byte layout is in runtime/src/blob.h and
// runtime/README.md.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_TOKENIZER_TOKENIZERBLOB_H
#define INGOT_FRONTENDS_TOKENIZER_TOKENIZERBLOB_H

#include "frontends/tokenizer/Tokenizer.h"

#include <cstdint>
#include <vector>

namespace ingot::tokenizer {

/// Serializes `data`. Fails for a tokenizer the runtime cannot run: kind
/// None, an unknown pre-tokenizer name, no tokens or too many. Merges whose
/// halves or result are not tokens can never apply and are left out.
llvm::Expected<std::vector<uint8_t>>
serializeTokenizer(const TokenizerData &data);

} // namespace ingot::tokenizer

#endif // INGOT_FRONTENDS_TOKENIZER_TOKENIZERBLOB_H
