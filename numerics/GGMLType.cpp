//===- GGMLType.cpp - ggml tensor element types ---------------------------===//

#include "numerics/GGMLType.h"

#include <iterator>

using namespace ingot::gguf;

namespace {

/// Facts about one supported type.
struct TypeInfo {
  GGMLType type;
  llvm::StringRef name;
  uint64_t blockSize;
  uint64_t blockBytes;
};

// Block layouts (bytes): Q4_0 = f16 d + 16 nibble bytes; Q4_1 adds f16 m;
// Q5_0 = d + 4 high-bit bytes + 16; Q5_1 adds m; Q8_0 = d + 32 int8;
// Q4_K = d, dmin + 12 scale bytes + 128; Q5_K adds 32 high-bit bytes;
// Q6_K = 128 low + 64 high + 16 int8 scales + d; Q2_K = 16 scale/min
// bytes + 64 code bytes + d, dmin; Q3_K = 32 mask bytes + 64 code bytes +
// 12 scale bytes + d; IQ4_NL = d + 16 nibble bytes; IQ4_XS = d + 2 high
// scale bytes + 4 low scale bytes + 128 nibble bytes.
constexpr TypeInfo kTypes[] = {
    {GGMLType::F32, "F32", 1, 4},       {GGMLType::F16, "F16", 1, 2},
    {GGMLType::BF16, "BF16", 1, 2},     {GGMLType::Q8_0, "Q8_0", 32, 34},
    {GGMLType::Q4_0, "Q4_0", 32, 18},   {GGMLType::Q4_1, "Q4_1", 32, 20},
    {GGMLType::Q5_0, "Q5_0", 32, 22},   {GGMLType::Q5_1, "Q5_1", 32, 24},
    {GGMLType::Q4_K, "Q4_K", 256, 144}, {GGMLType::Q5_K, "Q5_K", 256, 176},
    {GGMLType::Q6_K, "Q6_K", 256, 210}, {GGMLType::Q2_K, "Q2_K", 256, 84},
    {GGMLType::Q3_K, "Q3_K", 256, 110}, {GGMLType::IQ4_NL, "IQ4_NL", 32, 18},
    {GGMLType::IQ4_XS, "IQ4_XS", 256, 136},
};

constexpr GGMLType kSupported[] = {
    GGMLType::F32,  GGMLType::F16,  GGMLType::BF16, GGMLType::Q8_0,
    GGMLType::Q4_0, GGMLType::Q4_1, GGMLType::Q5_0, GGMLType::Q5_1,
    GGMLType::Q4_K, GGMLType::Q5_K, GGMLType::Q6_K, GGMLType::Q2_K,
    GGMLType::Q3_K, GGMLType::IQ4_NL, GGMLType::IQ4_XS,
};

const TypeInfo &getInfo(GGMLType type) {
  for (const TypeInfo &info : kTypes)
    if (info.type == type)
      return info;
  // Every enumerator is in the table; a cast from an unchecked integer is a
  // caller bug. Answer F32 rather than read past the table.
  return kTypes[0];
}

} // namespace

llvm::ArrayRef<GGMLType> ingot::gguf::getSupportedGGMLTypes() {
  return kSupported;
}

std::optional<GGMLType> ingot::gguf::getGGMLType(uint32_t id) {
  for (const TypeInfo &info : kTypes)
    if (static_cast<uint32_t>(info.type) == id)
      return info.type;
  return std::nullopt;
}

llvm::StringRef ingot::gguf::getGGMLTypeName(GGMLType type) {
  return getInfo(type).name;
}

llvm::StringRef ingot::gguf::getGGMLTypeIdName(uint32_t id) {
  // ggml's type ids; the gaps (4, 5, 31-33, 36-38) are retired types.
  static constexpr llvm::StringRef kNames[] = {
      "F32",   "F16",   "Q4_0",    "Q4_1",   "",        "",      "Q5_0",
      "Q5_1",  "Q8_0",  "Q8_1",    "Q2_K",   "Q3_K",    "Q4_K",  "Q5_K",
      "Q6_K",  "Q8_K",  "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
      "IQ3_S", "IQ2_S", "IQ4_XS",  "I8",     "I16",     "I32",   "I64",
      "F64",   "IQ1_M", "BF16",    "",       "",        "",      "TQ1_0",
      "TQ2_0", "",      "",        "",       "MXFP4",
  };
  if (id >= std::size(kNames))
    return "";
  return kNames[id];
}

llvm::StringRef ingot::gguf::getSupportedGGMLTypeList() {
  return "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, "
         "Q2_K, Q3_K, IQ4_NL, IQ4_XS";
}

uint64_t ingot::gguf::getBlockSize(GGMLType type) {
  return getInfo(type).blockSize;
}

uint64_t ingot::gguf::getBlockBytes(GGMLType type) {
  return getInfo(type).blockBytes;
}
