//===- Pipeline.cpp - The graph pipeline ingotc runs by default -----------===//

#include "compiler/pipeline/Pipeline.h"

#include "passes/graph/Passes.h"
#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/Regex.h"

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
  if (options.quantize) {
    context->loadDialect<mlir::ingot::IngotDialect>();
    auto encoding =
        mlir::ingot::parseWeightEncoding(context, *options.quantize);
    if (!encoding)
      return llvm::createStringError("--quantize: " +
                                     llvm::toString(encoding.takeError()));
  }
  if (options.requantize && !options.quantize)
    return llvm::createStringError(
        "--requantize: give the encoding to convert to with --quantize=ENC");
  if (!options.quantizeSkip.empty()) {
    std::string why;
    if (!llvm::Regex(options.quantizeSkip).isValid(why))
      return llvm::createStringError("--quantize-skip: invalid regex '" +
                                     options.quantizeSkip + "': " + why);
  }
  if (options.kvCache) {
    context->loadDialect<mlir::ingot::IngotDialect>();
    auto spec = mlir::ingot::parseKVCacheSpec(context, *options.kvCache);
    if (!spec)
      return llvm::createStringError("--kv-cache: " +
                                     llvm::toString(spec.takeError()));
    if (options.optLevel == 0)
      return llvm::createStringError(
          "--kv-cache: the KV cache is encoded on fused attention; use it "
          "with -O1 or -O2, not -O0");
  }
  if (!options.kvKeyMeans.empty() && options.optLevel == 0)
    return llvm::createStringError(
        "--kv-calibration: key means are subtracted on fused attention; "
        "use it with -O1 or -O2, not -O0");
  return llvm::Error::success();
}

/// The keys= and values= options of --ingot-quantize-kv for a validated
/// `ENC` or `k:ENC,v:ENC`.
static void splitKVCacheSpec(llvm::StringRef spec, std::string &keys,
                             std::string &values) {
  if (!spec.contains(':')) {
    keys = values = spec.str();
    return;
  }
  llvm::SmallVector<llvm::StringRef> parts;
  spec.split(parts, ',');
  for (llvm::StringRef part : parts) {
    auto [role, name] = part.split(':');
    (role == "k" ? keys : values) = name.str();
  }
}

void buildGraphPipeline(OpPassManager &pm, const PipelineOptions &options) {
  if (options.moeRouting) {
    mlir::ingot::IngotSetRoutingPassOptions routing;
    routing.rule = *options.moeRouting;
    pm.addPass(mlir::ingot::createIngotSetRoutingPass(routing));
  }
  if (options.optLevel > 0) {
    pm.addPass(createCanonicalizerPass());
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(mlir::ingot::createIngotFuseAttentionPass());
    fn.addPass(mlir::ingot::createIngotRouteMoEPass());
  }
  if (options.quantize) {
    mlir::ingot::IngotQuantizePassOptions quantize;
    quantize.encoding = *options.quantize;
    quantize.skip = options.quantizeSkip;
    quantize.requantize = options.requantize;
    pm.addPass(mlir::ingot::createIngotQuantizePass(quantize));
  }
  if (!options.kvKeyMeans.empty())
    pm.nest<func::FuncOp>().addPass(
        mlir::ingot::createSubtractKeyMeansPass(options.kvKeyMeans));
  if (options.kvCache) {
    mlir::ingot::IngotQuantizeKVPassOptions kv;
    splitKVCacheSpec(*options.kvCache, kv.keys, kv.values);
    pm.nest<func::FuncOp>().addPass(mlir::ingot::createIngotQuantizeKVPass(kv));
  }
  if (options.optLevel > 0) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
}

void buildLoweringPipeline(OpPassManager &pm, int64_t maxBatch) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(mlir::ingot::createIngotFuseGatedActivationsPass());
  fn.addPass(mlir::ingot::createIngotGroupProjectionsPass());
  fn.addPass(mlir::ingot::createIngotLogitsRowsPass());
  mlir::ingot::IngotPlanMemoryPassOptions plan;
  plan.maxBatch = maxBatch;
  fn.addPass(mlir::ingot::createIngotPlanMemoryPass(plan));
}

} // namespace ingot
