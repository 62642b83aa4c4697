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

namespace mlir::ingot {
class ImportedModel;
} // namespace mlir::ingot

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

/// Weights read from an imported model file (ingot-run --weights=MODEL, the
/// golden tests), by the decl's symbol name (a canonical weight name). When
/// the decl's encoding differs from the one the importer gave the file's
/// tensor (the graph was quantized by --ingot-quantize), the file's values
/// are quantized to the decl's encoding and read back
/// (ingot::pack::quantizeDequantize), so the evaluator sees what the
/// quantized weights hold; when they are equal, the file's values are
/// returned unchanged.
class ModelWeightReader : public WeightReader {
public:
  explicit ModelWeightReader(const mlir::ingot::ImportedModel &model)
      : model(model) {}

  llvm::Expected<std::vector<float>>
  read(mlir::ingot::WeightDeclOp decl) override;

private:
  const mlir::ingot::ImportedModel &model;
};

/// Deterministic pseudo-random weights, for tests and `ingot-run
/// --weights-random=SEED`. Element `i` of weight `@name` is drawn from a
/// SplitMix64 stream keyed by `seed` and the FNV-1a hash of `name`, so a
/// weight's values depend only on the seed, its name and its shape:
///   u uniform in [-1, 1);
///   rank >= 2: u / sqrt(last dimension) (a fan-in scaled matrix);
///   rank <= 1: 1 + u / 8 (norm weights and biases stay near 1).
/// A decl with an encoding the quantizer writes (q8_0, q4_0, q4_k, groups)
/// gets those values quantized and read back; other encodings get them as
/// they are.
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
