//===- IngotDialect.cpp - The ingot dialect -------------------------------===//

#include "dialects/ingot/IngotDialect.h"

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotOps.h"

using namespace mlir;
using namespace mlir::ingot;

#include "dialects/ingot/IngotDialect.cpp.inc"

void IngotDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/ingot/IngotOps.cpp.inc"
      >();
  registerAttributes();
  registerTypes();
}

Operation *IngotDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  // A weight read, folded to its symbol (see WeightOp::fold).
  if (auto symbol = dyn_cast<FlatSymbolRefAttr>(value)) {
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (!tensorType)
      return nullptr;
    return WeightOp::create(builder, loc, tensorType, symbol);
  }
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}
