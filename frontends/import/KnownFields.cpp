//===- KnownFields.cpp - The audit of configuration fields ----------------===//

#include "frontends/import/KnownFields.h"

#include "llvm/ADT/SmallVector.h"

using namespace mlir::ingot;

llvm::ArrayRef<KnownField> mlir::ingot::getKnownConfigFields() {
  static const KnownField table[] = {
#define HF_FIELD(KEY, ARCHS, STATUS, WHAT, TEST)                              \
  {KEY, ARCHS, FieldStatus::STATUS, WHAT},
#include "frontends/import/KnownFields.def"
  };
  return table;
}

llvm::ArrayRef<KnownField> mlir::ingot::getKnownRopeFields() {
  static const KnownField table[] = {
#define ROPE_FIELD(KEY, STATUS, WHAT, TEST)                                   \
  {KEY, "*", FieldStatus::STATUS, WHAT},
#include "frontends/import/KnownFields.def"
  };
  return table;
}

llvm::ArrayRef<KnownField> mlir::ingot::getKnownGGUFKeys() {
  static const KnownField table[] = {
#define GGUF_KEY(KEY, ARCHS, STATUS, WHAT, TEST)                              \
  {KEY, ARCHS, FieldStatus::STATUS, WHAT},
#include "frontends/import/KnownFields.def"
  };
  return table;
}

const KnownField *mlir::ingot::lookupKnownField(llvm::ArrayRef<KnownField> table,
                                                llvm::StringRef key,
                                                llvm::StringRef arch,
                                                bool &knownElsewhere) {
  knownElsewhere = false;
  for (const KnownField &field : table) {
    if (field.key != key)
      continue;
    if (field.archs == "*")
      return &field;
    llvm::SmallVector<llvm::StringRef, 8> archs;
    llvm::StringRef(field.archs).split(archs, ' ', -1, false);
    if (llvm::is_contained(archs, arch))
      return &field;
    knownElsewhere = true;
  }
  return nullptr;
}
