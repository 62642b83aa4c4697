//===- Pipeline.cpp - The graph pipeline ingotc runs by default -----------===//

#include "compiler/pipeline/Pipeline.h"

#include "passes/graph/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace ingot {

llvm::Error validatePipelineOptions(MLIRContext *context,
                                    const PipelineOptions &options) {
  if (options.optLevel > 2)
    return llvm::createStringError("-O" + std::to_string(options.optLevel) +
                                   ": accepted levels are -O0, -O1, -O2");
  if (options.moeRouting) {
    context->loadDialect<mlir::ingot::IngotDialect>();
    auto rule = mlir::ingot::parseRoutingRule(context, *options.moeRouting);
    if (!rule)
      return llvm::createStringError("--moe-routing: " +
                                     llvm::toString(rule.takeError()));
  }
  return llvm::Error::success();
}

void buildGraphPipeline(OpPassManager &pm, const PipelineOptions &options) {
  if (options.moeRouting) {
    mlir::ingot::IngotSetRoutingPassOptions routing;
    routing.rule = *options.moeRouting;
    pm.addPass(mlir::ingot::createIngotSetRoutingPass(routing));
  }
  if (options.optLevel == 0)
    return;
  pm.addPass(createCanonicalizerPass());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(mlir::ingot::createIngotFuseAttentionPass());
  fn.addPass(mlir::ingot::createIngotRouteMoEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

} // namespace ingot
