//===- ingot-opt.cpp - mlir-opt with the ingot dialect and passes ---------===//

#include "dialects/ingot/IngotDialect.h"
#include "passes/graph/Passes.h"
#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ingot::IngotDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
  mlir::registerTransformsPasses();
  mlir::ingot::registerIngotGraphPasses();
  // --ingot-fold-weights here has no weight source: it reads the decls
  // that carry their values (`value`) and reports any other.
  mlir::ingot::registerIngotLoweringPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Ingot optimizer driver\n", registry));
}
