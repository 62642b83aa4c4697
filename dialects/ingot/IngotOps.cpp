//===- IngotOps.cpp - Verifiers of the ingot operations -------------------===//

#include "dialects/ingot/IngotOps.h"

#include "numerics/Numerics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ingot;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

/// Two sizes can describe the same dimension: equal, or one is dynamic.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Prints a size, `?` when dynamic.
static std::string sizeStr(int64_t size) {
  return ShapedType::isDynamic(size) ? "?" : std::to_string(size);
}

/// `axis` in `[-rank, rank)` made non-negative.
static FailureOr<int64_t> normalizeAxis(Operation *op, int64_t axis,
                                        int64_t rank) {
  if (axis < -rank || axis >= rank)
    return op->emitOpError()
           << "axis " << axis << " is out of range for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

/// Checks `type` has rank `rank`, naming the value in the error.
static LogicalResult expectRank(Operation *op, ShapedType type, int64_t rank,
                                StringRef name) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << "expects " << name << " of rank " << rank
                           << ", got rank " << type.getRank();
}

/// Checks size `got` can be `want`, naming the dimension in the error.
static LogicalResult expectSize(Operation *op, int64_t got, int64_t want,
                                StringRef what) {
  if (compatible(got, want))
    return success();
  return op->emitOpError() << what << " is " << sizeStr(got) << ", expected "
                           << sizeStr(want);
}

FailureOr<SmallVector<int64_t>>
mlir::ingot::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1)
      result[i] = y;
    else if (y == 1)
      result[i] = x;
    else if (ShapedType::isDynamic(x))
      result[i] = y;
    else if (ShapedType::isDynamic(y) || x == y)
      result[i] = x;
    else
      return failure();
  }
  return result;
}

LogicalResult mlir::ingot::verifyBroadcastBinaryOp(Operation *op) {
  auto lhs = cast<RankedTensorType>(op->getOperand(0).getType());
  auto rhs = cast<RankedTensorType>(op->getOperand(1).getType());
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  if (lhs.getElementType() != rhs.getElementType() ||
      lhs.getElementType() != result.getElementType())
    return op->emitOpError("expects operands and result of one element type");
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return op->emitOpError() << "cannot broadcast " << lhs << " with " << rhs;
  if (failed(verifyCompatibleShape(*shape, result.getShape())))
    return op->emitOpError() << "result " << result
                             << " is not the broadcast shape of the operands";
  return success();
}

LogicalResult SelectOp::verify() {
  auto condition = getCondition().getType();
  auto trueValue = getTrueValue().getType();
  auto falseValue = getFalseValue().getType();
  auto result = getType();
  if (trueValue.getElementType() != falseValue.getElementType() ||
      trueValue.getElementType() != result.getElementType())
    return emitOpError("expects values and result of one element type");
  FailureOr<SmallVector<int64_t>> values =
      broadcastShapes(trueValue.getShape(), falseValue.getShape());
  FailureOr<SmallVector<int64_t>> shape =
      succeeded(values) ? broadcastShapes(condition.getShape(), *values)
                        : values;
  if (failed(shape))
    return emitOpError() << "cannot broadcast " << condition << ", "
                         << trueValue << " and " << falseValue;
  if (failed(verifyCompatibleShape(*shape, result.getShape())))
    return emitOpError() << "result " << result
                         << " is not the broadcast shape of the operands";
  return success();
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

LogicalResult WeightDeclOp::verify() {
  if (!isa<ModuleOp>((*this)->getParentOp()))
    return emitOpError("must be declared at module level");
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return emitOpError() << "weight must have a static shape, got " << type;
  if (ElementsAttr value = getValueAttr()) {
    auto valueType = cast<ShapedType>(value.getType());
    if (!valueType.getElementType().isF32() ||
        valueType.getShape() != type.getShape())
      return emitOpError() << "value must be f32 of the declared shape, got "
                           << valueType;
    if (!isa<DenseElementsAttr, DenseF32ResourceElementsAttr>(value))
      return emitOpError("value must be a dense or dense_resource literal");
  }
  return success();
}

FailureOr<std::vector<float>> WeightDeclOp::getInlineValues() {
  ElementsAttr value = getValueAttr();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(value))
    if (std::optional<ArrayRef<float>> values = resource.tryGetAsArrayRef())
      return std::vector<float>(values->begin(), values->end());
  return failure();
}

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto decl =
      symbolTable.lookupNearestSymbolFrom<WeightDeclOp>(*this, getNameAttr());
  if (!decl)
    return emitOpError() << getNameAttr()
                         << " does not name an ingot.weight_decl";
  if (decl.getType() != getType())
    return emitOpError() << "type " << getType()
                         << " differs from the declared type "
                         << decl.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding and matmul
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  auto table = getTable().getType();
  auto ids = getIds().getType();
  auto result = getResult().getType();
  if (failed(expectRank(*this, table, 2, "table")) ||
      failed(expectRank(*this, ids, 1, "ids")) ||
      failed(expectRank(*this, result, 2, "result")) ||
      failed(expectSize(*this, result.getDimSize(0), ids.getDimSize(0),
                        "result dimension 0")) ||
      failed(expectSize(*this, result.getDimSize(1), table.getDimSize(1),
                        "result dimension 1")))
    return failure();
  return success();
}

LogicalResult MatmulOp::verify() {
  auto a = getA().getType();
  auto b = getB().getType();
  auto result = getResult().getType();
  int64_t rank = a.getRank();
  if (rank < 2)
    return emitOpError() << "expects a of rank >= 2, got " << rank;
  if (b.getRank() != 2 && b.getRank() != rank) {
    InFlightDiagnostic diag = emitOpError() << "expects b of rank 2";
    if (rank != 2)
      diag << " or " << rank;
    return diag << ", got " << b.getRank();
  }
  if (failed(expectRank(*this, result, rank, "result")))
    return failure();
  if (a.getElementType() != result.getElementType())
    return emitOpError("expects a and result of one element type");
  for (int64_t i = 0; i + 2 < b.getRank(); ++i)
    if (failed(expectSize(*this, b.getDimSize(i), a.getDimSize(i),
                          "b batch dimension " + std::to_string(i))))
      return failure();
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (failed(expectSize(*this, result.getDimSize(i), a.getDimSize(i),
                          "result batch dimension " + std::to_string(i))))
      return failure();
  int64_t m = a.getDimSize(rank - (getTransposeA() ? 1 : 2));
  int64_t ka = a.getDimSize(rank - (getTransposeA() ? 2 : 1));
  int64_t br = b.getRank();
  int64_t kb = b.getDimSize(br - (getTransposeB() ? 1 : 2));
  int64_t n = b.getDimSize(br - (getTransposeB() ? 2 : 1));
  if (!compatible(ka, kb))
    return emitOpError() << "contraction sizes differ: " << sizeStr(ka)
                         << " in a, " << sizeStr(kb) << " in b";
  if (failed(
          expectSize(*this, result.getDimSize(rank - 2), m, "result rows")) ||
      failed(
          expectSize(*this, result.getDimSize(rank - 1), n, "result columns")))
    return failure();
  if (!getBias())
    return success();
  if (getBias().getType().getElementType() != result.getElementType())
    return emitOpError("expects bias of the result's element type");
  return expectSize(*this, getBias().getType().getDimSize(0), n, "bias size");
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ClampOp::verify() {
  float lo = getMin().convertToFloat(), hi = getMax().convertToFloat();
  if (!std::isfinite(lo) || !std::isfinite(hi))
    return emitOpError("expects finite bounds");
  if (lo > hi)
    return emitOpError() << "min " << lo << " is above max " << hi;
  return success();
}

LogicalResult CastOp::verify() {
  if (failed(verifyCompatibleShape(getX().getType(), getType())))
    return emitOpError() << "cannot change the shape: " << getX().getType()
                         << " to " << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

/// Product of the static sizes, and how many are dynamic.
static std::pair<int64_t, int> staticProduct(ArrayRef<int64_t> shape) {
  int64_t product = 1;
  int dynamic = 0;
  for (int64_t size : shape) {
    if (ShapedType::isDynamic(size))
      ++dynamic;
    else
      product *= size;
  }
  return {product, dynamic};
}

LogicalResult ReshapeOp::verify() {
  auto x = getX().getType();
  auto result = getType();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects operand and result of one element type");
  auto [inProduct, inDynamic] = staticProduct(x.getShape());
  auto [outProduct, outDynamic] = staticProduct(result.getShape());
  if (outDynamic > std::max(inDynamic, 1) || (inDynamic > 0 && outDynamic == 0))
    return emitOpError() << "cannot infer the dynamic sizes of " << result
                         << " from " << x;
  if (inDynamic == 0 && outDynamic == 0 && inProduct != outProduct)
    return emitOpError() << "element count changes: " << inProduct << " to "
                         << outProduct;
  if (inDynamic == 0 && outDynamic == 1 && outProduct == 0)
    return emitOpError("cannot infer a dynamic size next to a zero size");
  if (inDynamic == 0 && outDynamic == 1 && inProduct % outProduct != 0)
    return emitOpError() << "element count " << inProduct
                         << " is not a multiple of " << outProduct;
  return success();
}

LogicalResult TransposeOp::verify() {
  auto x = getX().getType();
  auto result = getType();
  ArrayRef<int64_t> perm = getPermutation();
  if (static_cast<int64_t>(perm.size()) != x.getRank())
    return emitOpError() << "permutation has " << perm.size()
                         << " entries for rank " << x.getRank();
  SmallVector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return emitOpError("permutation must list each dimension once");
    seen[p] = true;
  }
  if (failed(expectRank(*this, result, x.getRank(), "result")))
    return failure();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects operand and result of one element type");
  for (auto [i, p] : llvm::enumerate(perm))
    if (failed(expectSize(*this, result.getDimSize(i), x.getDimSize(p),
                          "result dimension " + std::to_string(i))))
      return failure();
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("expects at least one input");
  auto result = getType();
  int64_t rank = result.getRank();
  FailureOr<int64_t> axis = normalizeAxis(*this, getAxis(), rank);
  if (failed(axis))
    return failure();
  int64_t total = 0;
  for (Value input : getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getRank() != rank)
      return emitOpError("expects inputs of the result's rank");
    if (type.getElementType() != result.getElementType())
      return emitOpError("expects inputs and result of one element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis &&
          failed(expectSize(*this, type.getDimSize(d), result.getDimSize(d),
                            "input dimension " + std::to_string(d))))
        return failure();
    if (ShapedType::isDynamic(total) || type.isDynamicDim(*axis))
      total = ShapedType::kDynamic;
    else
      total += type.getDimSize(*axis);
  }
  return expectSize(*this, result.getDimSize(*axis), total,
                    "result dimension " + std::to_string(*axis));
}

LogicalResult SliceOp::verify() {
  auto x = getX().getType();
  auto result = getType();
  FailureOr<int64_t> axis = normalizeAxis(*this, getAxis(), x.getRank());
  if (failed(axis) || failed(expectRank(*this, result, x.getRank(), "result")))
    return failure();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects operand and result of one element type");
  int64_t start = getStart(), size = getSize();
  if (start < 0 || size < 1)
    return emitOpError("expects start >= 0 and size >= 1");
  int64_t dim = x.getDimSize(*axis);
  if (!ShapedType::isDynamic(dim) && (start > dim || size > dim - start))
    return emitOpError() << "range " << start << " + " << size
                         << " exceeds dimension size " << dim;
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (failed(expectSize(*this, result.getDimSize(d),
                          d == *axis ? size : x.getDimSize(d),
                          "result dimension " + std::to_string(d))))
      return failure();
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto x = getX().getType();
  auto result = getType();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects operand and result of one element type");
  if (x.getRank() > result.getRank())
    return emitOpError("cannot broadcast to a lower rank");
  int64_t offset = result.getRank() - x.getRank();
  for (int64_t d = 0; d < x.getRank(); ++d) {
    int64_t size = x.getDimSize(d);
    if (size != 1 && !compatible(size, result.getDimSize(d + offset)))
      return emitOpError() << "cannot broadcast dimension " << d << " of size "
                           << sizeStr(size) << " to "
                           << sizeStr(result.getDimSize(d + offset));
  }
  // The op carries no sizes: a dynamic result size is x's own dynamic size.
  for (int64_t d = 0; d < result.getRank(); ++d)
    if (result.isDynamicDim(d) && (d < offset || !x.isDynamicDim(d - offset)))
      return emitOpError() << "result dimension " << d
                           << " is dynamic but x has no dynamic size there";
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization, rope, softmax, reductions
//===----------------------------------------------------------------------===//

/// Shared by the norms: result shaped like x, weight/bias sized like x's last
/// dimension.
static LogicalResult verifyNorm(Operation *op, RankedTensorType x,
                                RankedTensorType result, Value weight,
                                Value bias, float eps) {
  if (x.getRank() < 1)
    return op->emitOpError("expects x of rank >= 1");
  if (failed(verifyCompatibleShape(x, result)) ||
      x.getElementType() != result.getElementType())
    return op->emitOpError("expects a result of the type of x");
  int64_t features = x.getDimSize(x.getRank() - 1);
  for (Value v : {weight, bias})
    if (v && failed(expectSize(op, cast<ShapedType>(v.getType()).getDimSize(0),
                               features, "weight/bias size")))
      return failure();
  if (!(eps > 0.0f))
    return op->emitOpError("expects eps > 0");
  return success();
}

LogicalResult RmsNormOp::verify() {
  return verifyNorm(*this, getX().getType(), getType(), getWeight(), {},
                    getEps().convertToFloat());
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getX().getType(), getType(), getWeight(), getBias(),
                    getEps().convertToFloat());
}

LogicalResult RopeOp::verify() {
  auto x = getX().getType();
  if (failed(expectRank(*this, x, 3, "x (tokens, heads, head_dim)")) ||
      failed(expectRank(*this, getPositions().getType(), 1, "positions")) ||
      failed(expectSize(*this, getPositions().getType().getDimSize(0),
                        x.getDimSize(0), "positions size")))
    return failure();
  if (getType() != x)
    return emitOpError("expects a result of the type of x");
  int64_t headDim = x.getDimSize(2);
  int64_t rotary = getRotaryDim().value_or(headDim);
  if (!ShapedType::isDynamic(rotary) &&
      (rotary < 2 || rotary % 2 != 0 ||
       (!ShapedType::isDynamic(headDim) && rotary > headDim)))
    return emitOpError() << "rotary dimension " << rotary
                         << " must be even, >= 2 and <= head_dim "
                         << sizeStr(headDim);
  if (!(getTheta().convertToFloat() > 1.0f))
    return emitOpError("expects theta > 1");
  if (getFreqFactors() && !ShapedType::isDynamic(rotary) &&
      failed(expectSize(*this, getFreqFactors().getType().getDimSize(0),
                        rotary / 2, "freq_factors size")))
    return failure();
  return success();
}

bool mlir::ingot::isHadamardSignNegative(uint64_t seed, int64_t i) {
  return ::ingot::numerics::isHadamardSignNegative(seed, i);
}

std::pair<std::vector<double>, double>
mlir::ingot::getRopeFrequencies(double theta, int64_t rotaryDim,
                                RopeScalingAttr scaling) {
  ::ingot::numerics::RopeScaling params;
  if (scaling) {
    switch (scaling.getKind()) {
    case RopeScalingKind::linear:
      params.kind = ::ingot::numerics::RopeScaling::Linear;
      break;
    case RopeScalingKind::llama3:
      params.kind = ::ingot::numerics::RopeScaling::Llama3;
      break;
    case RopeScalingKind::yarn:
      params.kind = ::ingot::numerics::RopeScaling::Yarn;
      break;
    }
    params.factor = scaling.getFactor().convertToDouble();
    params.originalMaxPosition =
        static_cast<double>(scaling.getOriginalMaxPosition());
    params.lowFreqFactor = scaling.getLowFreqFactor().convertToDouble();
    params.highFreqFactor = scaling.getHighFreqFactor().convertToDouble();
    params.betaFast = scaling.getBetaFast().convertToDouble();
    params.betaSlow = scaling.getBetaSlow().convertToDouble();
    params.attnFactor = scaling.getAttnFactor().convertToDouble();
  }
  return ::ingot::numerics::getRopeFrequencies(theta, rotaryDim, params);
}

LogicalResult HadamardOp::verify() {
  RankedTensorType type = getX().getType();
  if (type.getRank() < 1)
    return emitOpError("expects a tensor of rank >= 1");
  int64_t n = type.getDimSize(type.getRank() - 1);
  if (ShapedType::isDynamic(n) || !llvm::isPowerOf2_64(n))
    return emitOpError() << "expects a static power-of-two last dimension, "
                            "got "
                         << sizeStr(n);
  if (getSeedAttr().getInt() < 0)
    return emitOpError() << "expects a non-negative seed, got "
                         << getSeedAttr().getInt();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return normalizeAxis(*this, getAxis(), getType().getRank());
}

LogicalResult ReduceOp::verify() {
  auto x = getX().getType();
  auto result = getType();
  FailureOr<int64_t> axis = normalizeAxis(*this, getAxis(), x.getRank());
  if (failed(axis) || failed(expectRank(*this, result, x.getRank(), "result")))
    return failure();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects operand and result of one element type");
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (failed(expectSize(*this, result.getDimSize(d),
                          d == *axis ? 1 : x.getDimSize(d),
                          "result dimension " + std::to_string(d))))
      return failure();
  return success();
}

LogicalResult TopKOp::verify() {
  auto x = getX().getType();
  int64_t k = getK();
  if (x.getRank() < 1)
    return emitOpError("expects x of rank >= 1");
  int64_t last = x.getDimSize(x.getRank() - 1);
  if (k < 1 || (!ShapedType::isDynamic(last) && k > last))
    return emitOpError() << "k = " << k << " must be in [1, " << sizeStr(last)
                         << "]";
  for (Value v : {getValues(), getIndices()}) {
    auto type = cast<RankedTensorType>(v.getType());
    if (failed(expectRank(*this, type, x.getRank(), "results")))
      return failure();
    for (int64_t d = 0; d < x.getRank(); ++d)
      if (failed(expectSize(*this, type.getDimSize(d),
                            d + 1 == x.getRank() ? k : x.getDimSize(d),
                            "result dimension " + std::to_string(d))))
        return failure();
  }
  if (getValues().getType().getElementType() != x.getElementType())
    return emitOpError("expects values of the element type of x");
  return success();
}

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

/// `window` must be given, and positive, exactly for sliding-window masks.
static LogicalResult verifyWindow(Operation *op, MaskKind kind,
                                  std::optional<int64_t> window) {
  if (kind == MaskKind::sliding_window) {
    if (!window || *window < 1)
      return op->emitOpError("sliding_window needs a window >= 1");
  } else if (window) {
    return op->emitOpError("window is only meaningful for sliding_window");
  }
  return success();
}

LogicalResult MaskOp::verify() {
  auto q = getQueryPositions().getType();
  auto k = getKeyPositions().getType();
  auto result = getType();
  if (failed(expectRank(*this, q, 1, "query positions")) ||
      failed(expectRank(*this, k, 1, "key positions")) ||
      failed(expectRank(*this, result, 2, "result")) ||
      failed(expectSize(*this, result.getDimSize(0), q.getDimSize(0),
                        "result dimension 0")) ||
      failed(expectSize(*this, result.getDimSize(1), k.getDimSize(0),
                        "result dimension 1")))
    return failure();
  return verifyWindow(*this, getKind(), getWindow());
}

/// Checks `type` is `[?, heads, head_dim]` of `cache`.
static LogicalResult verifyCacheEntries(Operation *op, KVCacheType cache,
                                        RankedTensorType type, StringRef name) {
  if (failed(expectRank(op, type, 3, name)) ||
      failed(expectSize(op, type.getDimSize(1), cache.getNumHeads(),
                        name.str() + " heads")) ||
      failed(expectSize(op, type.getDimSize(2), cache.getHeadDim(),
                        name.str() + " head_dim")))
    return failure();
  int64_t tokens = type.getDimSize(0);
  if (!ShapedType::isDynamic(tokens) && tokens > cache.getCapacity())
    return op->emitOpError() << name << " has " << tokens
                             << " positions, more than the cache capacity "
                             << cache.getCapacity();
  return success();
}

LogicalResult KVReadOp::verify() {
  return verifyCacheEntries(*this, getCache().getType(), getType(), "result");
}

LogicalResult KVWriteOp::verify() {
  return verifyCacheEntries(*this, getCache().getType(), getValues().getType(),
                            "values");
}

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType();
  auto k = getKey().getType();
  auto v = getValue().getType();
  auto result = getResult().getType();
  if (failed(expectRank(*this, q, 3, "query")) ||
      failed(expectRank(*this, k, 3, "key")) ||
      failed(expectRank(*this, v, 3, "value")) ||
      failed(expectRank(*this, result, 3, "result")))
    return failure();
  if (failed(expectSize(*this, k.getDimSize(2), q.getDimSize(2),
                        "key head_dim")) ||
      failed(expectSize(*this, v.getDimSize(0), k.getDimSize(0),
                        "value length")) ||
      failed(
          expectSize(*this, v.getDimSize(1), k.getDimSize(1), "value heads")) ||
      failed(expectSize(*this, result.getDimSize(0), q.getDimSize(0),
                        "result dimension 0")) ||
      failed(expectSize(*this, result.getDimSize(1), q.getDimSize(1),
                        "result dimension 1")) ||
      failed(expectSize(*this, result.getDimSize(2), v.getDimSize(2),
                        "result dimension 2")))
    return failure();
  Type elementType = q.getElementType();
  if (k.getElementType() != elementType || v.getElementType() != elementType ||
      result.getElementType() != elementType)
    return emitOpError("expects query, key, value and result of one element "
                       "type");
  int64_t qHeads = q.getDimSize(1), kvHeads = k.getDimSize(1);
  if (qHeads == 0 || kvHeads == 0)
    return emitOpError("expects at least one query and one key/value head");
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads) &&
      qHeads % kvHeads != 0)
    return emitOpError() << "query heads " << qHeads
                         << " are not a multiple of key/value heads "
                         << kvHeads;
  if (failed(verifyWindow(*this, getMask(), getWindow())))
    return failure();
  if (!(getScale().convertToFloat() > 0.0f))
    return emitOpError("expects scale > 0");
  if (getSoftcap() && !(getSoftcap()->convertToFloat() > 0.0f))
    return emitOpError("expects softcap > 0");

  bool caches = getKeyCache() && getValueCache() && getPosition();
  bool anyCache = getKeyCache() || getValueCache() || getPosition();
  bool newCaches = getNewKeyCache() && getNewValueCache();
  bool anyNewCache = getNewKeyCache() || getNewValueCache();
  if (caches != anyCache || newCaches != anyNewCache || caches != newCaches)
    return emitOpError("expects key cache, value cache, position and both "
                       "updated caches together or not at all");
  if (!caches)
    return success();
  if (getKeyCache().getType() != getNewKeyCache().getType() ||
      getValueCache().getType() != getNewValueCache().getType())
    return emitOpError("updated caches must have the caches' types");
  if (failed(verifyCacheEntries(*this, getKeyCache().getType(), k, "key")) ||
      failed(verifyCacheEntries(*this, getValueCache().getType(), v, "value")))
    return failure();
  return expectSize(*this, k.getDimSize(0), q.getDimSize(0),
                    "with a cache, the number of new keys");
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

LogicalResult RouteOp::verify() {
  auto logits = getLogits().getType();
  if (failed(expectRank(*this, logits, 2, "logits (tokens, experts)")))
    return failure();
  int64_t tokens = logits.getDimSize(0), experts = logits.getDimSize(1);
  if (!ShapedType::isDynamic(tokens) &&
      failed(expectSize(*this, getOffsets().getType().getDimSize(0), tokens + 1,
                        "offsets size")))
    return failure();
  if (failed(expectSize(*this, getWeights().getType().getDimSize(0),
                        getExperts().getType().getDimSize(0), "weights size")))
    return failure();
  RoutingAttr rule = getRule();
  if (!ShapedType::isDynamic(experts) && rule.getKind() == RoutingKind::top_k &&
      rule.getK() > experts)
    return emitOpError() << "top_k routing picks " << rule.getK()
                         << " experts of only " << experts;
  if (getWeights().getType().getElementType() != logits.getElementType())
    return emitOpError("expects weights of the element type of logits");
  return success();
}

LogicalResult MoeFfnOp::verify() {
  auto x = getX().getType();
  auto gate = getGate().getType();
  auto up = getUp().getType();
  auto down = getDown().getType();
  if (failed(expectRank(*this, x, 2, "x (tokens, hidden)")) ||
      failed(expectRank(*this, gate, 3, "gate")) ||
      failed(expectRank(*this, up, 3, "up")) ||
      failed(expectRank(*this, down, 3, "down")))
    return failure();
  if (getType() != x)
    return emitOpError("expects a result of the type of x");
  int64_t experts = gate.getDimSize(0), ffn = gate.getDimSize(1);
  int64_t hidden = x.getDimSize(1);
  if (failed(expectSize(*this, gate.getDimSize(2), hidden, "gate input")) ||
      failed(expectSize(*this, up.getDimSize(0), experts, "up experts")) ||
      failed(expectSize(*this, up.getDimSize(1), ffn, "up output")) ||
      failed(expectSize(*this, up.getDimSize(2), hidden, "up input")) ||
      failed(expectSize(*this, down.getDimSize(0), experts, "down experts")) ||
      failed(expectSize(*this, down.getDimSize(1), hidden, "down output")) ||
      failed(expectSize(*this, down.getDimSize(2), ffn, "down input")) ||
      failed(expectSize(*this, getWeights().getType().getDimSize(0),
                        getExperts().getType().getDimSize(0),
                        "routing weights size")))
    return failure();
  if (!ShapedType::isDynamic(x.getDimSize(0)))
    return expectSize(*this, getOffsets().getType().getDimSize(0),
                      x.getDimSize(0) + 1, "offsets size");
  return success();
}

LogicalResult MoeSortOp::verify() {
  int64_t experts = getNumExperts();
  // Expert ids are i32.
  if (experts < 1 || experts > std::numeric_limits<int32_t>::max())
    return emitOpError("expects num_experts in [1, 2^31)");
  int64_t pairs = getExperts().getType().getDimSize(0);
  if (failed(expectSize(*this, getExpertOffsets().getType().getDimSize(0),
                        experts + 1, "expert_offsets size")) ||
      failed(expectSize(*this, getPairs().getType().getDimSize(0), pairs,
                        "pairs size")) ||
      failed(expectSize(*this, getTokens().getType().getDimSize(0), pairs,
                        "tokens size")))
    return failure();
  return success();
}

LogicalResult GatherRowsOp::verify() {
  auto x = getX().getType();
  auto result = getType();
  if (x.getRank() < 1)
    return emitOpError("expects x of rank >= 1");
  if (failed(expectRank(*this, result, x.getRank(), "result")))
    return failure();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects operand and result of one element type");
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (failed(expectSize(*this, result.getDimSize(d),
                          d == 0 ? getIndices().getType().getDimSize(0)
                                 : x.getDimSize(d),
                          "result dimension " + std::to_string(d))))
      return failure();
  return success();
}

LogicalResult GroupedMatmulOp::verify() {
  auto x = getX().getType();
  auto w = getW().getType();
  auto result = getType();
  if (failed(expectRank(*this, x, 2, "x (rows, in)")) ||
      failed(expectRank(*this, w, 3, "w (experts, out, in)")) ||
      failed(expectRank(*this, result, 2, "result")) ||
      failed(expectSize(*this, w.getDimSize(2), x.getDimSize(1),
                        "w input size")) ||
      failed(expectSize(*this, result.getDimSize(0), x.getDimSize(0),
                        "result rows")) ||
      failed(expectSize(*this, result.getDimSize(1), w.getDimSize(1),
                        "result columns")))
    return failure();
  if (x.getElementType() != result.getElementType())
    return emitOpError("expects x and result of one element type");
  int64_t experts = w.getDimSize(0);
  if (!ShapedType::isDynamic(experts))
    return expectSize(*this, getExpertOffsets().getType().getDimSize(0),
                      experts + 1, "expert_offsets size");
  return success();
}

LogicalResult ScatterAddOp::verify() {
  auto src = getSrc().getType();
  auto dest = getDest().getType();
  if (failed(expectRank(*this, src, 2, "src")) ||
      failed(expectRank(*this, dest, 2, "dest")) ||
      failed(expectSize(*this, dest.getDimSize(1), src.getDimSize(1),
                        "dest row size")) ||
      failed(expectSize(*this, getIndices().getType().getDimSize(0),
                        src.getDimSize(0), "indices size")))
    return failure();
  if (getScale() && failed(expectSize(*this, getScale().getType().getDimSize(0),
                                      src.getDimSize(0), "scale size")))
    return failure();
  if (src.getElementType() != dest.getElementType())
    return emitOpError("expects src and dest of one element type");
  return success();
}

LogicalResult GluOp::verify() {
  if (getActivation() == Activation::relu)
    return emitOpError("expects a silu, gelu or gelu_tanh activation");
  return success();
}

LogicalResult MultiMatmulOp::verify() {
  auto x = getX().getType();
  if (x.getRank() < 1)
    return emitOpError("expects x of rank at least 1");
  if (getWeights().empty() || getWeights().size() != getResults().size())
    return emitOpError("expects one result per weight, at least one");
  int64_t k = x.getDimSize(x.getRank() - 1);
  for (auto [i, w, r] : llvm::enumerate(getWeights(), getResults())) {
    auto wt = cast<RankedTensorType>(w.getType());
    auto rt = cast<RankedTensorType>(r.getType());
    if (wt.getRank() != 2)
      return emitOpError("expects 2-D weights, weight #") << i << " is not";
    if (failed(expectSize(*this, wt.getDimSize(1), k, "weight row size")))
      return failure();
    if (rt.getRank() != x.getRank() ||
        rt.getShape().drop_back() != x.getShape().drop_back() ||
        rt.getDimSize(rt.getRank() - 1) != wt.getDimSize(0))
      return emitOpError("result #")
             << i << " must have x's leading dimensions and the weight's "
             << "output size";
  }
  ArrayRef<int64_t> biasFor = getBiasFor();
  if (biasFor.size() != getBiases().size())
    return emitOpError("expects one bias_for entry per bias");
  for (auto [j, index] : llvm::enumerate(biasFor)) {
    if (index < 0 || index >= static_cast<int64_t>(getWeights().size()) ||
        (j > 0 && index <= biasFor[j - 1]))
      return emitOpError("expects bias_for increasing and below the number "
                         "of weights");
    auto rt = cast<RankedTensorType>(getResults()[index].getType());
    if (failed(expectSize(*this, cast<RankedTensorType>(getBiases()[j].getType()).getDimSize(0),
                          rt.getDimSize(rt.getRank() - 1), "bias size")))
      return failure();
  }
  return success();
}

Value MultiMatmulOp::getBiasOf(unsigned i) {
  for (auto [j, index] : llvm::enumerate(getBiasFor()))
    if (index == static_cast<int64_t>(i))
      return getBiases()[j];
  return nullptr;
}

LogicalResult LogitsRowsOp::verify() {
  auto t = getX().getType();
  if (t.getRank() < 1 || !t.isDynamicDim(0))
    return emitOpError("expects a dynamic leading (token) dimension");
  return success();
}

#define GET_OP_CLASSES
#include "dialects/ingot/IngotOps.cpp.inc"
