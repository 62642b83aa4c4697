//===- WeightSource.h - Where lowering gets weight values -------*- C++ -*-===//
//
// Lowering passes and targets never open model files: a driver hands them
// a WeightSource. ingotc implements it over the model file it compiles (or
// pseudo-random weights); a decl that carries its values (`value`, set by
// --ingot-fold-weights) is read from the IR and never asked for.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_PASSES_LOWERING_WEIGHTSOURCE_H
#define INGOT_PASSES_LOWERING_WEIGHTSOURCE_H

#include "dialects/ingot/IngotOps.h"

#include "llvm/Support/Error.h"

#include <vector>

namespace mlir::ingot {

/// Supplies the values of declared weights.
class WeightSource {
public:
  virtual ~WeightSource() = default;

  /// The dequantized values of the weight `decl` declares, row-major in the
  /// decl's logical shape (its element count of them), whatever the storage
  /// encoding; an error naming the weight when they cannot be read.
  virtual llvm::Expected<std::vector<float>> readValues(WeightDeclOp decl) = 0;
};

} // namespace mlir::ingot

#endif // INGOT_PASSES_LOWERING_WEIGHTSOURCE_H
