//===- IngotOps.h - Operations of the ingot dialect -------------*- C++ -*-===//

#ifndef INGOT_DIALECTS_INGOT_INGOTOPS_H
#define INGOT_DIALECTS_INGOT_INGOTOPS_H

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <utility>
#include <vector>

namespace mlir::ingot {

/// Shape of NumPy broadcasting `a` against `b` (dynamic dims stay dynamic),
/// or failure if a pair of static sizes differs and neither is 1.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);

/// Verifies an elementwise binary op: equal element types, result shape the
/// broadcast of the operand shapes.
LogicalResult verifyBroadcastBinaryOp(Operation *op);

/// Whether sign `i` of `ingot.hadamard {seed}` is -1: the top bit of
/// `splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15)`
/// (numerics::isHadamardSignNegative).
bool isHadamardSignNegative(uint64_t seed, int64_t i);

/// The inverse frequencies of a rope over `rotaryDim` features after
/// `scaling` (null for none), and the factor cos and sin are multiplied by:
/// numerics::getRopeFrequencies with the attribute's parameters.
std::pair<std::vector<double>, double>
getRopeFrequencies(double theta, int64_t rotaryDim, RopeScalingAttr scaling);

} // namespace mlir::ingot

#define GET_OP_CLASSES
#include "dialects/ingot/IngotOps.h.inc"

#endif // INGOT_DIALECTS_INGOT_INGOTOPS_H
