//===- IngotDialect.h - The ingot dialect -----------------------*- C++ -*-===//

#ifndef INGOT_DIALECTS_INGOT_INGOTDIALECT_H
#define INGOT_DIALECTS_INGOT_INGOTDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/ingot/IngotDialect.h.inc"

#endif // INGOT_DIALECTS_INGOT_INGOTDIALECT_H
