//===- Session.cpp - One sequence through an @forward entry ---------------===//

#include "compiler/reference/Session.h"

#include "dialects/ingot/IngotOps.h"

#include <algorithm>

using namespace ingot::reference;

llvm::Error Session::init() {
  for (mlir::Type type : fn.getArgumentTypes().drop_front(2)) {
    llvm::Expected<RefValue> cache = getZeroValue(type);
    if (!cache)
      return cache.takeError();
    caches.push_back(std::move(*cache));
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::vector<float>>>
Session::step(llvm::ArrayRef<int64_t> ids) {
  std::vector<RefValue> args;
  args.push_back(
      RefValue::getIntTensor({static_cast<int64_t>(ids.size())}, ids.vec()));
  args.push_back(RefValue::getScalar(position));
  args.insert(args.end(), caches.begin(), caches.end());
  llvm::Expected<std::vector<RefValue>> results = evaluator.run(fn, args);
  if (!results)
    return results.takeError();
  const RefValue &logits = results->front();
  if (!logits.isFloatTensor() || logits.getRank() != 2)
    return makeError("@" + fn.getSymName() +
                     " did not return a 2-D float tensor of logits");
  int64_t rows = logits.getDimSize(0), vocab = logits.getDimSize(1);
  if (rows != static_cast<int64_t>(ids.size()))
    return makeError("@" + fn.getSymName() + " returned " + llvm::Twine(rows) +
                     " rows of logits for " + llvm::Twine(ids.size()) +
                     " tokens");
  std::vector<std::vector<float>> out(rows);
  for (int64_t r = 0; r < rows; ++r)
    out[r].assign(logits.getFloats().begin() + r * vocab,
                  logits.getFloats().begin() + (r + 1) * vocab);
  for (size_t i = 0; i < caches.size(); ++i)
    caches[i] = std::move((*results)[i + 1]);
  position += static_cast<int64_t>(ids.size());
  return out;
}

llvm::Expected<std::vector<std::vector<float>>>
ingot::reference::computeKeyMeans(WeightReader &weights, mlir::func::FuncOp fn,
                                  llvm::ArrayRef<int64_t> ids,
                                  int64_t chunk) {
  KVKeySums sums;
  EvaluatorOptions options;
  options.keySums = &sums;
  Evaluator evaluator(weights, options);
  Session session(evaluator, fn);
  if (llvm::Error err = session.init())
    return std::move(err);
  chunk = std::max<int64_t>(1, chunk);
  for (size_t start = 0; start < ids.size(); start += chunk) {
    size_t end = std::min<size_t>(ids.size(), start + chunk);
    if (auto rows = session.step(ids.slice(start, end - start)); !rows)
      return rows.takeError();
  }
  std::vector<std::vector<float>> means;
  bool missing = false;
  fn.walk([&](mlir::ingot::AttentionOp op) {
    if (!op.getKeyCache())
      return;
    auto it = sums.layerOf.find(op.getOperation());
    if (it == sums.layerOf.end() || sums.layers[it->second].tokens == 0) {
      missing = true;
      return;
    }
    const KVKeySums::Layer &layer = sums.layers[it->second];
    std::vector<float> &mean = means.emplace_back();
    for (double sum : layer.sums)
      mean.push_back(static_cast<float>(sum / layer.tokens));
  });
  if (missing)
    return llvm::createStringError("an attention op with caches did not run");
  return means;
}
