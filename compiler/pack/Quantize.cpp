//===- Quantize.cpp - Weight quantization by encoding ---------------------===//

#include "compiler/pack/Quantize.h"

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/WeightEncodings.h"
#include "numerics/Dequantize.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"


using namespace llvm;
using mlir::Attribute;
using mlir::ingot::BlockFormat;
using mlir::ingot::BlockQuantAttr;
using mlir::ingot::checkQuantizable;
using mlir::ingot::describeWeightEncoding;
using mlir::ingot::getQuantBlockSize;
using mlir::ingot::GroupQuantAttr;

namespace ingot::pack {

/// Elements in `shape`.
static size_t countElements(ArrayRef<int64_t> shape) {
  size_t count = 1;
  for (int64_t dim : shape)
    count *= static_cast<size_t>(dim);
  return count;
}

Expected<std::vector<uint8_t>> quantize(ArrayRef<float> values,
                                        ArrayRef<int64_t> shape,
                                        Attribute encoding) {
  if (!encoding)
    return createStringError("no encoding to quantize to");
  if (Error err = checkQuantizable(shape, encoding))
    return err;
  if (values.size() != countElements(shape))
    return createStringError(Twine(values.size()) +
                             " values do not fill the shape's " +
                             Twine(countElements(shape)) + " elements");
  if (auto group = dyn_cast<GroupQuantAttr>(encoding))
    return quantizeGroups(values, group.getBits(), group.getGroupSize(),
                          group.getSymmetric());
  switch (cast<BlockQuantAttr>(encoding).getFormat()) {
  case BlockFormat::q8_0:
    return quantizeQ8_0(values);
  case BlockFormat::q4_0:
    return quantizeQ4_0(values);
  default:
    return quantizeQ4_K(values);
  }
}

/// The ggml type of a block format.
static gguf::GGMLType getGGMLType(BlockFormat format) {
  switch (format) {
  case BlockFormat::q4_0:
    return gguf::GGMLType::Q4_0;
  case BlockFormat::q4_1:
    return gguf::GGMLType::Q4_1;
  case BlockFormat::q5_0:
    return gguf::GGMLType::Q5_0;
  case BlockFormat::q5_1:
    return gguf::GGMLType::Q5_1;
  case BlockFormat::q8_0:
    return gguf::GGMLType::Q8_0;
  case BlockFormat::q4_k:
    return gguf::GGMLType::Q4_K;
  case BlockFormat::q5_k:
    return gguf::GGMLType::Q5_K;
  case BlockFormat::q6_k:
    return gguf::GGMLType::Q6_K;
  case BlockFormat::q2_k:
    return gguf::GGMLType::Q2_K;
  case BlockFormat::q3_k:
    return gguf::GGMLType::Q3_K;
  case BlockFormat::iq4_nl:
    return gguf::GGMLType::IQ4_NL;
  case BlockFormat::iq4_xs:
    return gguf::GGMLType::IQ4_XS;
  }
  llvm_unreachable("unknown block format");
}

Expected<std::vector<float>> dequantize(ArrayRef<uint8_t> bytes,
                                        ArrayRef<int64_t> shape,
                                        Attribute encoding) {
  std::vector<float> values(countElements(shape));
  if (shape.empty() || shape.back() % getQuantBlockSize(encoding) != 0)
    return createStringError("last dimension is not a multiple of the " +
                             describeWeightEncoding(encoding) + " block size " +
                             Twine(getQuantBlockSize(encoding)));
  if (auto group = dyn_cast<GroupQuantAttr>(encoding)) {
    if (Error err = dequantizeGroups(bytes, group.getBits(),
                                     group.getGroupSize(),
                                     group.getSymmetric(), values))
      return err;
    return values;
  }
  auto block = dyn_cast<BlockQuantAttr>(encoding);
  if (!block)
    return createStringError("not a weight encoding: " + describeWeightEncoding(encoding));
  if (Error err = gguf::dequantize(getGGMLType(block.getFormat()), bytes,
                                   values))
    return err;
  return values;
}

Expected<std::vector<float>> quantizeDequantize(ArrayRef<float> values,
                                                ArrayRef<int64_t> shape,
                                                Attribute encoding) {
  if (!encoding)
    return std::vector<float>(values.begin(), values.end());
  Expected<std::vector<uint8_t>> bytes = quantize(values, shape, encoding);
  if (!bytes)
    return bytes.takeError();
  return dequantize(*bytes, shape, encoding);
}

} // namespace ingot::pack
