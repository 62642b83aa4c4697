//===- GGMLType.h - ggml tensor element types -------------------*- C++ -*-===//
//
// The ggml tensor types Ingot reads from GGUF files, with ggml's numeric ids,
// and the facts about their blocks: how many elements one block holds and how
// many bytes it takes. In numerics/ (not frontends/gguf) so that the GGUF
// reader, the weight packer and the CPU target share them without the
// compiler linking a frontend; the namespace is the format's, `ingot::gguf`.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_NUMERICS_GGMLTYPE_H
#define INGOT_NUMERICS_GGMLTYPE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace ingot::gguf {

/// A ggml tensor element type Ingot supports. The values are ggml's type ids,
/// as stored in GGUF tensor infos.
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  IQ4_NL = 20,
  IQ4_XS = 23,
  BF16 = 30,
};

/// Every supported type, in the order error messages list them.
llvm::ArrayRef<GGMLType> getSupportedGGMLTypes();

/// The supported type with ggml id `id`, or nullopt.
std::optional<GGMLType> getGGMLType(uint32_t id);

/// The type's name as ggml and the gguf package spell it ("Q4_K").
llvm::StringRef getGGMLTypeName(GGMLType type);

/// The name of any ggml type id, supported or not ("Q2_K", "IQ4_XS"), or an
/// empty string for an id ggml does not define.
llvm::StringRef getGGMLTypeIdName(uint32_t id);

/// The supported type names, comma separated, for error messages.
llvm::StringRef getSupportedGGMLTypeList();

/// Elements per block: 1 for the float types, 32 for the legacy quants, 256
/// for the K-quants.
uint64_t getBlockSize(GGMLType type);

/// Bytes per block.
uint64_t getBlockBytes(GGMLType type);

} // namespace ingot::gguf

#endif // INGOT_NUMERICS_GGMLTYPE_H
