//===- WeightReader.cpp - Where the reference evaluator gets weights ------===//

#include "compiler/reference/WeightReader.h"

#include "compiler/pack/Quantize.h"
#include "compiler/reference/RefValue.h"
#include "dialects/ingot/WeightEncodings.h"
#include "frontends/import/Model.h"

#include <cmath>

using namespace llvm;
using namespace mlir;

namespace ingot::reference {

WeightReader::~WeightReader() = default;

void InMemoryWeightReader::set(StringRef name, std::vector<float> weights) {
  values[name] = std::move(weights);
}

Expected<std::vector<float>>
InMemoryWeightReader::read(mlir::ingot::WeightDeclOp decl) {
  ++numReads;
  auto it = values.find(decl.getSymName());
  if (it == values.end())
    return makeError("no values were given for weight @" + decl.getSymName());
  return it->second;
}

/// `values` quantized to `decl`'s encoding and read back, with an error
/// naming the weight.
static Expected<std::vector<float>>
applyEncoding(mlir::ingot::WeightDeclOp decl, std::vector<float> values) {
  auto type = cast<RankedTensorType>(decl.getType());
  Expected<std::vector<float>> result = ::ingot::pack::quantizeDequantize(
      values, type.getShape(), type.getEncoding());
  if (!result)
    return makeError("weight @" + decl.getSymName() + ": " +
                     toString(result.takeError()));
  return result;
}

Expected<std::vector<float>>
ModelWeightReader::read(mlir::ingot::WeightDeclOp decl) {
  StringRef name = decl.getSymName();
  auto info = model.getWeights().find(name);
  if (info == model.getWeights().end())
    return makeError("the model has no weight named '" + name + "'");
  Expected<std::vector<float>> values = model.readWeight(name);
  if (!values)
    return values.takeError();
  Attribute encoding = cast<RankedTensorType>(decl.getType()).getEncoding();
  if (!encoding || encoding == info->second.type.getEncoding())
    return values;
  return applyEncoding(decl, std::move(*values));
}

/// FNV-1a, 64-bit.
static uint64_t hashName(StringRef name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

/// SplitMix64's output function applied to `state`.
static uint64_t mix(uint64_t state) {
  uint64_t z = state + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Expected<std::vector<float>>
RandomWeightReader::read(mlir::ingot::WeightDeclOp decl) {
  auto type = cast<RankedTensorType>(decl.getType());
  if (!type.hasStaticShape())
    return makeError("weight @" + decl.getSymName() +
                     " has no static shape");
  int64_t count = type.getNumElements();
  int64_t rank = type.getRank();
  double scale =
      rank >= 2 ? 1.0 / std::sqrt(static_cast<double>(type.getShape().back()))
                : 0.125;
  double offset = rank >= 2 ? 0.0 : 1.0;
  uint64_t key = mix(seed ^ mix(hashName(decl.getSymName())));
  std::vector<float> result(count);
  for (int64_t i = 0; i < count; ++i) {
    uint64_t bits = mix(key + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i));
    // 53 random bits to [0, 1), then to [-1, 1).
    double u = static_cast<double>(bits >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    result[i] = static_cast<float>(offset + scale * u);
  }
  if (!type.getEncoding())
    return result;
  if (Error err = mlir::ingot::checkQuantizable(type.getShape(),
                                                  type.getEncoding())) {
    // An encoding the quantizer does not write (q6_k, ...): plain values.
    consumeError(std::move(err));
    return result;
  }
  return applyEncoding(decl, std::move(result));
}

} // namespace ingot::reference
