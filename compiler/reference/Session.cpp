//===- Session.cpp - One sequence through an @forward entry ---------------===//

#include "compiler/reference/Session.h"

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
