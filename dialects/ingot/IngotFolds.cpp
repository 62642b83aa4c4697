//===- IngotFolds.cpp - Folders of the ingot operations -------------------===//

#include "dialects/ingot/IngotOps.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::ingot;

/// Whether `value` is a constant splat equal to `number`.
static bool isSplatOf(Value value, double number) {
  SplatElementsAttr splat;
  if (!matchPattern(value, m_Constant(&splat)))
    return false;
  auto element = dyn_cast<FloatAttr>(splat.getSplatValue<Attribute>());
  return element && element.getValueAsDouble() == number;
}

/// `x op c` folds to `x` when `c` is the identity and cannot stretch `x`:
/// each of its dimensions is 1 or the same static size as `x`'s (a dynamic
/// size of `x` might be 1 at run time and stretch).
static OpFoldResult foldIdentity(Value lhs, Value rhs, Type result,
                                 double identity) {
  if (lhs.getType() != result || !isSplatOf(rhs, identity))
    return {};
  auto x = cast<RankedTensorType>(lhs.getType());
  auto c = cast<RankedTensorType>(rhs.getType());
  if (c.getRank() > x.getRank())
    return {};
  int64_t offset = x.getRank() - c.getRank();
  for (int64_t d = 0; d < c.getRank(); ++d) {
    int64_t size = c.getDimSize(d);
    if (size != 1 && (x.isDynamicDim(d + offset) ||
                      size != x.getDimSize(d + offset)))
      return {};
  }
  return lhs;
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult WeightOp::fold(FoldAdaptor) { return getNameAttr(); }

OpFoldResult AddOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), getType(), 0.0);
}

OpFoldResult MulOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), getType(), 1.0);
}

OpFoldResult DivOp::fold(FoldAdaptor) {
  return foldIdentity(getLhs(), getRhs(), getType(), 1.0);
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getX().getDefiningOp<NegOp>())
    return inner.getX();
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getX().getType() == getType())
    return getX();
  return {};
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getX().getType() == getType())
    return getX();
  // reshape(reshape(y)) is reshape(y).
  if (auto inner = getX().getDefiningOp<ReshapeOp>()) {
    getXMutable().assign(inner.getX());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (getX().getType() == getType() &&
      llvm::equal(getPermutation(), llvm::seq<int64_t>(0, getType().getRank())))
    return getX();
  // transpose(transpose(y, p), q) is transpose(y, p∘q).
  if (auto inner = getX().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> innerPerm = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : getPermutation())
      composed.push_back(innerPerm[p]);
    getXMutable().assign(inner.getX());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // The whole of a static dimension.
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0)
    axis += getType().getRank();
  if (getX().getType() == getType() && getStart() == 0 &&
      !getType().isDynamicDim(axis))
    return getX();
  return {};
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  if (getX().getType() == getType())
    return getX();
  return {};
}
