//===- WeightReader.h - Where the reference evaluator gets weights -*- C++ -*-===//
//
// The reference evaluator never parses model files: a WeightReader hands it
// each weight's logical values as floats. Model importers provide readers
// over GGUF or safetensors files; tests use the in-memory and pseudo-random
// readers below.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_REFERENCE_WEIGHTREADER_H
#define INGOT_COMPILER_REFERENCE_WEIGHTREADER_H

#include "dialects/ingot/IngotOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace ingot::reference {

/// Supplies the values of declared weights.
class WeightReader {
public:
  virtual ~WeightReader();

  /// The dequantized values of the weight `decl` declares, row-major in the
  /// decl's logical shape (its element count of them), whatever the storage
  /// encoding. The evaluator calls this at most once per decl and caches the
  /// result.
  virtual llvm::Expected<std::vector<float>>
  read(mlir::ingot::WeightDeclOp decl) = 0;
};

/// Weights given by symbol name, for tests.
class InMemoryWeightReader : public WeightReader {
public:
  /// Sets (or replaces) the values of the weight `@name`.
  void set(llvm::StringRef name, std::vector<float> values);

  /// The values set for the decl's symbol name; an error naming it if none.
  llvm::Expected<std::vector<float>>
  read(mlir::ingot::WeightDeclOp decl) override;

  /// How many times read() has been called (to check the evaluator caches).
  int64_t getNumReads() const { return numReads; }

private:
  llvm::StringMap<std::vector<float>> values;
  int64_t numReads = 0;
};

/// Deterministic pseudo-random weights, for tests and `ingot-run
/// --weights-random=SEED`. Element `i` of weight `@name` is drawn from a
/// SplitMix64 stream keyed by `seed` and the FNV-1a hash of `name`, so a
/// weight's values depend only on the seed, its name and its shape:
///   u uniform in [-1, 1);
///   rank >= 2: u / sqrt(last dimension) (a fan-in scaled matrix);
///   rank <= 1: 1 + u / 8 (norm weights and biases stay near 1).
class RandomWeightReader : public WeightReader {
public:
  explicit RandomWeightReader(uint64_t seed) : seed(seed) {}

  llvm::Expected<std::vector<float>>
  read(mlir::ingot::WeightDeclOp decl) override;

private:
  uint64_t seed;
};

} // namespace ingot::reference

#endif // INGOT_COMPILER_REFERENCE_WEIGHTREADER_H
