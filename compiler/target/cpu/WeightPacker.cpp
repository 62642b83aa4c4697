//===- WeightPacker.cpp - Weights in the layout the kernels read ----------===//

#include "compiler/target/cpu/WeightPacker.h"

#include "compiler/pack/Quantize.h"
#include "compiler/ukernels/ukernels.h"

#include "llvm/ADT/bit.h"
#include <cstring>

using namespace mlir;
using namespace mlir::ingot;
using llvm::Expected;

namespace ingot::cpu {

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(message);
}

Expected<std::pair<int32_t, int32_t>> getKernelFormat(RankedTensorType type) {
  Attribute encoding = type.getEncoding();
  if (auto block = dyn_cast_or_null<BlockQuantAttr>(encoding)) {
    switch (block.getFormat()) {
    case BlockFormat::q8_0:
      return std::make_pair(INGOT_W_Q8_0, 0);
    case BlockFormat::q4_0:
      return std::make_pair(INGOT_W_Q4_0, 0);
    case BlockFormat::q4_1:
      return std::make_pair(INGOT_W_Q4_1, 0);
    case BlockFormat::q5_0:
      return std::make_pair(INGOT_W_Q5_0, 0);
    case BlockFormat::q5_1:
      return std::make_pair(INGOT_W_Q5_1, 0);
    case BlockFormat::q4_k:
      return std::make_pair(INGOT_W_Q4_K, 0);
    case BlockFormat::q5_k:
      return std::make_pair(INGOT_W_Q5_K, 0);
    case BlockFormat::q6_k:
      return std::make_pair(INGOT_W_Q6_K, 0);
    case BlockFormat::q2_k:
      return std::make_pair(INGOT_W_Q2_K, 0);
    case BlockFormat::q3_k:
      return std::make_pair(INGOT_W_Q3_K, 0);
    case BlockFormat::iq4_nl:
      return std::make_pair(INGOT_W_IQ4_NL, 0);
    case BlockFormat::iq4_xs:
      return std::make_pair(INGOT_W_IQ4_XS, 0);
    default:
      return makeError("no CPU kernel reads weights stored as " +
                       stringifyBlockFormat(block.getFormat()) +
                       " (use --quantize to convert them)");
    }
  }
  if (auto group = dyn_cast_or_null<GroupQuantAttr>(encoding)) {
    int32_t format = group.getBits() == 8
                         ? (group.getSymmetric() ? INGOT_W_G8_SYM
                                                 : INGOT_W_G8_ASYM)
                         : (group.getSymmetric() ? INGOT_W_G4_SYM
                                                 : INGOT_W_G4_ASYM);
    return std::make_pair(format, static_cast<int32_t>(group.getGroupSize()));
  }
  if (encoding)
    return makeError("no CPU kernel reads weights with this encoding");
  Type element = type.getElementType();
  if (element.isF16())
    return std::make_pair(INGOT_W_F16, 0);
  if (element.isBF16())
    return std::make_pair(INGOT_W_BF16, 0);
  return std::make_pair(INGOT_W_F32, 0);
}

/// bf16 bits of `value`, rounded to nearest even (NaN kept a NaN).
static uint16_t floatToBF16(float value) {
  uint32_t bits = llvm::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

Expected<PackedWeight> packValues(llvm::ArrayRef<float> values,
                                  RankedTensorType type) {
  auto format = getKernelFormat(type);
  if (!format)
    return format.takeError();
  PackedWeight packed;
  packed.format = format->first;
  packed.group = format->second;
  if (type.getEncoding()) {
    auto bytes = ::ingot::pack::quantize(values, type.getShape(),
                                         type.getEncoding());
    if (!bytes)
      return bytes.takeError();
    packed.bytes = std::move(*bytes);
    return packed;
  }
  if (packed.format == INGOT_W_F32) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    packed.bytes = std::move(bytes);
    return packed;
  }
  std::vector<uint8_t> bytes(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t bits = packed.format == INGOT_W_F16
                        ? ::ingot::pack::floatToHalf(values[i])
                        : floatToBF16(values[i]);
    std::memcpy(&bytes[2 * i], &bits, 2);
  }
  packed.bytes = std::move(bytes);
  return packed;
}

/// GPTQ/AWQ codes as #ingot.group records.
static Expected<PackedWeight> packGroupRecords(const GroupCodes &data,
                                              GroupQuantAttr group) {
  PackedWeight packed;
  std::vector<uint8_t> bytes;
  packed.format = group.getBits() == 8
                      ? (group.getSymmetric() ? INGOT_W_G8_SYM : INGOT_W_G8_ASYM)
                      : (group.getSymmetric() ? INGOT_W_G4_SYM
                                              : INGOT_W_G4_ASYM);
  packed.group = static_cast<int32_t>(group.getGroupSize());
  int64_t g = data.groupSize, groupsPerRow = data.cols / g;
  if (g != group.getGroupSize() || data.cols % g)
    return makeError("group size mismatch while packing");
  for (int64_t r = 0; r < data.rows; ++r) {
    for (int64_t j = 0; j < groupsPerRow; ++j) {
      auto put16 = [&](uint16_t bits) {
        bytes.push_back(bits & 0xff);
        bytes.push_back(bits >> 8);
      };
      put16(::ingot::pack::floatToHalf(data.scales[r * groupsPerRow + j]));
      if (!group.getSymmetric())
        put16(::ingot::pack::floatToHalf(
            static_cast<float>(data.zeros[r * groupsPerRow + j])));
      const uint8_t *codes = &data.codes[r * data.cols + j * g];
      if (group.getBits() == 8) {
        bytes.insert(bytes.end(), codes, codes + g);
      } else {
        for (int64_t i = 0; i < g; i += 2)
          bytes.push_back((codes[i] & 15) | ((codes[i + 1] & 15) << 4));
      }
    }
  }
  packed.bytes = std::move(bytes);
  return packed;
}

Expected<PackedWeight> WeightPacker::packMatrix(WeightDeclOp decl) {
  auto type = cast<RankedTensorType>(decl.getType());
  if (!type.hasStaticShape())
    return makeError("weight @" + decl.getSymName() + " has no static shape");
  // Folded at compile time: f32, as computed.
  if (decl.getValueAttr()) {
    auto values = readValues(decl);
    if (!values)
      return values.takeError();
    return packValues(*values,
                      RankedTensorType::get(type.getShape(),
                                            Float32Type::get(type.getContext())));
  }
  auto format = getKernelFormat(type);
  if (!format)
    return makeError("weight @" + decl.getSymName() + ": " +
                     toString(format.takeError()));
  // Stored as the graph wants it: re-laid (GPTQ/AWQ) or copied (GGUF).
  if (auto group = dyn_cast_or_null<GroupQuantAttr>(type.getEncoding())) {
    if (std::optional<GroupCodes> codes = storage.readGroupCodes(decl))
      return packGroupRecords(*codes, group);
  } else if (std::optional<llvm::ArrayRef<uint8_t>> bytes =
                 storage.readStoredBytes(decl)) {
    auto expected = getStorageBytes(type);
    if (succeeded(expected) &&
        static_cast<int64_t>(bytes->size()) == *expected) {
      PackedWeight packed;
      packed.format = format->first;
      packed.group = format->second;
      packed.bytes = WeightBytes::view(*bytes);
      return packed;
    }
  }
  // Otherwise from the values: encoded by the graph passes, or floats.
  auto values = storage.readValues(decl);
  if (!values)
    return values.takeError();
  auto packed = packValues(*values, type);
  if (!packed)
    return makeError("weight @" + decl.getSymName() + ": " +
                     toString(packed.takeError()));
  return packed;
}

Expected<std::vector<float>> WeightPacker::readValues(WeightDeclOp decl) {
  if (!decl.getValueAttr())
    return storage.readValues(decl);
  FailureOr<std::vector<float>> values = decl.getInlineValues();
  if (failed(values))
    return makeError("weight @" + decl.getSymName() +
                     ": its inline values are missing (an elided blob)");
  return std::move(*values);
}

} // namespace ingot::cpu
