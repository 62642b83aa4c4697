//===- KnownFields.h - The audit of configuration fields --------*- C++ -*-===//
//
// Every config.json key and GGUF metadata key Ingot knows, as listed in
// KnownFields.def: what the importers check a model's configuration against,
// so that a field Ingot does not know is refused rather than ignored.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_IMPORT_KNOWNFIELDS_H
#define INGOT_FRONTENDS_IMPORT_KNOWNFIELDS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::ingot {

enum class FieldStatus {
  Honoured, ///< read, and computed as the reference computes it
  Ignored,  ///< no effect on the logits
};

struct KnownField {
  llvm::StringLiteral key;
  /// Architectures that read it, space-separated, or "*".
  llvm::StringLiteral archs;
  FieldStatus status;
  llvm::StringLiteral what;
};

/// Top-level config.json keys.
llvm::ArrayRef<KnownField> getKnownConfigFields();
/// Keys of the rope_parameters / rope_scaling objects.
llvm::ArrayRef<KnownField> getKnownRopeFields();
/// GGUF metadata keys, without the `<arch>.` prefix.
llvm::ArrayRef<KnownField> getKnownGGUFKeys();

/// The entry for `key` that applies to `arch`; null when there is none.
/// `knownElsewhere` tells whether the key is listed for another
/// architecture (which this one's reference code then ignores).
const KnownField *lookupKnownField(llvm::ArrayRef<KnownField> table,
                                   llvm::StringRef key, llvm::StringRef arch,
                                   bool &knownElsewhere);

} // namespace mlir::ingot

#endif // INGOT_FRONTENDS_IMPORT_KNOWNFIELDS_H
