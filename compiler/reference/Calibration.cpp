//===- Calibration.cpp - Key means for --kv-calibration -------------------===//

#include "compiler/reference/Calibration.h"

#include "compiler/reference/Session.h"
#include "compiler/reference/WeightReader.h"
#include "dialects/ingot/IngotAttrs.h"
#include "frontends/InputFile.h"
#include "frontends/tokenizer/Tokenizer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

Expected<std::vector<std::vector<float>>> ingot::reference::calibrateKeyMeans(
    mlir::ModuleOp module, const mlir::ingot::ImportedModel &model,
    const PipelineOptions &options, StringRef path, int64_t maxTokens,
    int64_t chunk, StringRef entry) {
  auto fail = [&](const Twine &why) {
    return createStringError("--kv-calibration: " + why);
  };
  if (Error error = ::ingot::checkRegularFile(path))
    return fail(toString(std::move(error)));
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fail("cannot read " + path + ": " + buffer.getError().message());
  if (maxTokens < 1 || chunk < 1)
    return fail("the number of tokens and the step must be >= 1");
  auto data = model.loadTokenizer();
  if (!data)
    return fail(toString(data.takeError()));
  auto bpe = tokenizer::ByteLevelBPE::create(*data);
  if (!bpe)
    return fail(toString(bpe.takeError()));
  std::vector<int32_t> encoded = bpe->encode((*buffer)->getBuffer());
  if (encoded.empty())
    return fail(path + " has no tokens");
  if (static_cast<int64_t>(encoded.size()) > maxTokens)
    encoded.resize(maxTokens);
  std::vector<int64_t> ids(encoded.begin(), encoded.end());

  // The same graph with the caches as imported: keys as the model makes
  // them.
  mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
  PipelineOptions plain = options;
  plain.kvCache.reset();
  plain.kvKeyMeans.clear();
  mlir::PassManager pm(module.getContext(),
                       mlir::ModuleOp::getOperationName());
  buildGraphPipeline(pm, plain);
  if (failed(pm.run(*copy)))
    return fail("the graph pipeline failed on the calibration copy");
  auto fn = copy->lookupSymbol<mlir::func::FuncOp>(entry);
  if (!fn)
    return fail("no function @" + entry);
  // At most what the caches hold (--ctx).
  for (mlir::Type type : fn.getArgumentTypes())
    if (auto cache = mlir::dyn_cast<mlir::ingot::KVCacheType>(type))
      if (static_cast<int64_t>(ids.size()) > cache.getCapacity())
        ids.resize(cache.getCapacity());
  ModelWeightReader weights(model);
  auto means = computeKeyMeans(weights, fn, ids, chunk);
  if (!means)
    return fail(toString(means.takeError()));
  return std::move(*means);
}
