//===- RefValue.cpp - Runtime values of the reference evaluator -----------===//

#include "compiler/reference/RefValue.h"

#include "dialects/ingot/IngotAttrs.h"
#include "numerics/Numerics.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace mlir;

namespace ingot::reference {

RefValue RefValue::getFloatTensor(std::vector<int64_t> shape,
                                  std::vector<float> data) {
  RefValue value;
  value.kind = RefKind::FloatTensor;
  value.shape = std::move(shape);
  value.floats = std::move(data);
  return value;
}

RefValue RefValue::getIntTensor(std::vector<int64_t> shape,
                                std::vector<int64_t> data) {
  RefValue value;
  value.kind = RefKind::IntTensor;
  value.shape = std::move(shape);
  value.ints = std::move(data);
  return value;
}

RefValue RefValue::getScalar(int64_t scalar) {
  RefValue value;
  value.kind = RefKind::Scalar;
  value.scalar = scalar;
  return value;
}

RefValue RefValue::getKVCache(int64_t capacity, int64_t numHeads,
                              int64_t headDim, std::vector<float> data) {
  RefValue value;
  value.kind = RefKind::KVCache;
  value.shape = {capacity, numHeads, headDim};
  if (data.empty() && capacity > 0 && numHeads > 0 && headDim > 0)
    data.assign(capacity * numHeads * headDim, 0.0f);
  value.floats = std::move(data);
  return value;
}

int64_t RefValue::getNumElements() const {
  return reference::getNumElements(shape);
}

std::string RefValue::describe() const {
  switch (kind) {
  case RefKind::FloatTensor:
    return "float tensor " + shapeToString(shape);
  case RefKind::IntTensor:
    return "integer tensor " + shapeToString(shape);
  case RefKind::Scalar:
    return "scalar " + std::to_string(scalar);
  case RefKind::KVCache:
    return "KV cache " + shapeToString(shape);
  }
  return "value";
}

std::string shapeToString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "(rank 0)";
  std::string text;
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (i)
      text += "x";
    text += ShapedType::isDynamic(size) ? "?" : std::to_string(size);
  }
  return text;
}

int64_t getNumElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return count;
}

float roundToFloatType(float value, Type type) {
  auto floatType = dyn_cast<FloatType>(type);
  if (!floatType)
    return value;
  return numerics::roundToSemantics(value, floatType.getFloatSemantics());
}

void roundToFloatType(std::vector<float> &data, Type type) {
  auto floatType = dyn_cast<FloatType>(type);
  if (!floatType)
    return;
  numerics::roundToSemantics(data, floatType.getFloatSemantics());
}

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// The bit width integers of `type` are kept in (64 for index).
static unsigned getIntegerWidth(Type type) {
  if (auto integer = dyn_cast<IntegerType>(type))
    return integer.getWidth();
  return 64;
}

/// Whether `value` is a sign-extended `width`-bit integer.
static bool fitsWidth(int64_t value, unsigned width) {
  // i1 holds booleans: 0 or 1.
  if (width == 1)
    return value == 0 || value == 1;
  return width >= 64 || isIntN(width, value);
}

Error checkValueOfType(const RefValue &value, Type type,
                       const Twine &what) {
  auto mismatch = [&](const Twine &detail) {
    std::string message;
    raw_string_ostream os(message);
    os << what << " must be a value of type " << type << ", got a "
       << value.describe();
    std::string extra = detail.str();
    if (!extra.empty())
      os << " (" << extra << ")";
    return makeError(os.str());
  };
  if (auto cacheType = dyn_cast<mlir::ingot::KVCacheType>(type)) {
    if (!value.isKVCache())
      return mismatch("");
    if (value.getCapacity() != cacheType.getCapacity() ||
        value.getNumHeads() != cacheType.getNumHeads() ||
        value.getHeadDim() != cacheType.getHeadDim())
      return mismatch("");
    if (static_cast<int64_t>(value.getFloats().size()) !=
        value.getNumElements())
      return mismatch("its data has " + Twine(value.getFloats().size()) +
                      " elements");
    return Error::success();
  }
  if (isa<IndexType, IntegerType>(type)) {
    if (!value.isScalar())
      return mismatch("");
    if (!fitsWidth(value.getScalar(), getIntegerWidth(type)))
      return mismatch("out of range");
    return Error::success();
  }
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return makeError(what + ": the reference evaluator has no values of "
                            "this type");
  Type elementType = tensorType.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  bool isInt = isa<IntegerType, IndexType>(elementType);
  if (!isFloat && !isInt)
    return makeError(what + ": the reference evaluator has no tensors of "
                            "this element type");
  if ((isFloat && !value.isFloatTensor()) || (isInt && !value.isIntTensor()))
    return mismatch("");
  if (value.getRank() != tensorType.getRank())
    return mismatch("");
  for (int64_t d = 0; d < tensorType.getRank(); ++d) {
    if (value.getDimSize(d) < 0)
      return mismatch("negative size");
    if (!tensorType.isDynamicDim(d) &&
        tensorType.getDimSize(d) != value.getDimSize(d))
      return mismatch("");
  }
  size_t size = isFloat ? value.getFloats().size() : value.getInts().size();
  if (static_cast<int64_t>(size) != value.getNumElements())
    return mismatch("its data has " + Twine(size) + " elements");
  if (isInt) {
    unsigned width = getIntegerWidth(elementType);
    for (int64_t element : value.getInts())
      if (!fitsWidth(element, width))
        return mismatch("element " + Twine(element) + " does not fit " +
                        Twine(width) + " bits");
  }
  return Error::success();
}

Expected<RefValue> getZeroValue(Type type) {
  if (auto cacheType = dyn_cast<mlir::ingot::KVCacheType>(type))
    return RefValue::getKVCache(cacheType.getCapacity(),
                                cacheType.getNumHeads(),
                                cacheType.getHeadDim());
  if (isa<IndexType, IntegerType>(type))
    return RefValue::getScalar(0);
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType || !tensorType.hasStaticShape())
    return makeError("no zero value for a type without a static shape");
  std::vector<int64_t> shape(tensorType.getShape().begin(),
                             tensorType.getShape().end());
  int64_t count = reference::getNumElements(shape);
  if (isa<FloatType>(tensorType.getElementType()))
    return RefValue::getFloatTensor(shape, std::vector<float>(count, 0.0f));
  if (isa<IntegerType, IndexType>(tensorType.getElementType()))
    return RefValue::getIntTensor(shape, std::vector<int64_t>(count, 0));
  return makeError("no zero value for this element type");
}

} // namespace ingot::reference
