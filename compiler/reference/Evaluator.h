//===- Evaluator.h - Reference evaluator of ingot graphs --------*- C++ -*-===//
//
// Runs a function of the ingot dialect on the host, op by op, with plain
// loops over f32 data: the oracle every optimized lowering is checked
// against, and the engine of `ingot-run`. It implements each op exactly as
// its ODS description states (dialects/ingot/IngotOps.td), plus the upstream
// ops the graphs use: func.return, arith.constant/addi/subi/muli/index_cast,
// tensor.dim, tensor.extract and tensor.extract_slice. Anything else is an
// error naming the op.
//
// Precision: every op computes in double from its f32 inputs and rounds each
// result element to f32, then to its result's element type (f16, bf16 round
// to nearest even); KV caches store entries rounded to the cache's element
// type, so the evaluator mirrors storage precision; caches with an encoding
// (#ingot.kv_quant) store each head vector rounded through it (q8/q4 blocks,
// tq codebooks), then to the element type.
//
// Every runtime problem is an llvm::Error, one line, naming the op and its
// location: an argument or result whose shape does not match its static
// type, a token id outside the embedding table, a cache write past capacity,
// a malformed routing. Nothing asserts on bad inputs.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_REFERENCE_EVALUATOR_H
#define INGOT_COMPILER_REFERENCE_EVALUATOR_H

#include "compiler/reference/RefValue.h"
#include "compiler/reference/WeightReader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace ingot::reference {

/// What storing entries in encoded KV caches costs, per fused attention op
/// (a layer): sums over every stored head vector element of the squared
/// error and of the squared value, for keys and values, also per channel
/// (`head * head_dim + i`).
struct KVErrorStats {
  struct Sums {
    double error = 0.0, energy = 0.0;
    std::vector<double> channelError, channelEnergy;
  };
  struct Layer {
    Sums keys, values;
  };
  std::vector<Layer> layers;
  llvm::DenseMap<mlir::Operation *, size_t> layerOf;
};

/// The keys fused attention ops with caches were given, summed per op (a
/// layer, in the order first run) and channel (`head * head_dim + i`),
/// with the number of tokens: what --kv-calibration averages.
struct KVKeySums {
  struct Layer {
    std::vector<double> sums;
    int64_t tokens = 0;
  };
  std::vector<Layer> layers;
  llvm::DenseMap<mlir::Operation *, size_t> layerOf;
};

/// How an Evaluator deviates from the graph's exact semantics (by default,
/// not at all).
struct EvaluatorOptions {
  /// Store KV-cache entries as f32 instead of rounding them to the cache's
  /// element type and encoding: a what-if without storage rounding, e.g. to
  /// check decode steps against a whole prefill more tightly than f16
  /// storage allows, or that a graph's rotations alone are exact.
  bool exactKVCaches = false;
  /// When set, fused attention ops with encoded caches add what encoding
  /// their new entries loses here (observation only; results unchanged).
  KVErrorStats *kvErrors = nullptr;
  /// When set, fused attention ops with caches add the keys they store
  /// here (observation only).
  KVKeySums *keySums = nullptr;
};

/// Evaluates functions of one or more modules, caching the weights it reads
/// from its WeightReader across calls (so a prefill followed by decode steps
/// reads each weight once).
class Evaluator {
public:
  explicit Evaluator(WeightReader &weights, EvaluatorOptions options = {})
      : weights(weights), options(options) {}

  /// Runs `fn` (verified, one block) on `args`, which must match its
  /// argument types; returns its results.
  llvm::Expected<std::vector<RefValue>> run(mlir::func::FuncOp fn,
                                            llvm::ArrayRef<RefValue> args);

  /// The values of the weight `decl` declares, read once and rounded to its
  /// element type.
  llvm::Expected<const RefValue &> getWeight(mlir::ingot::WeightDeclOp decl);

  const EvaluatorOptions &getOptions() const { return options; }

private:
  WeightReader &weights;
  EvaluatorOptions options;
  llvm::DenseMap<mlir::Operation *, RefValue> weightCache;
};

/// Runs `fn` once with a fresh Evaluator.
llvm::Expected<std::vector<RefValue>> evaluate(mlir::func::FuncOp fn,
                                               llvm::ArrayRef<RefValue> args,
                                               WeightReader &weights);

} // namespace ingot::reference

#endif // INGOT_COMPILER_REFERENCE_EVALUATOR_H
