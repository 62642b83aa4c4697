//===- KVCodebooks.h - Lloyd-Max codebooks of tq KV caches ------*- C++ -*-===//
//
// The scalar codebooks of the tq4/tq3 KV-cache encodings (#ingot.kv_quant):
// Lloyd-Max quantizers for one coordinate of a uniformly random unit vector
// in R^headDim, density proportional to (1 - t^2)^((headDim - 3) / 2).
// Tabulated by scripts/gen-kv-codebooks.py for power-of-two head dims 8 to
// 512 and 2 to 4 bits.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_DIALECTS_INGOT_KVCODEBOOKS_H
#define INGOT_DIALECTS_INGOT_KVCODEBOOKS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace mlir::ingot {

/// The `2^bits` levels (ascending) for unit vectors of `headDim`
/// coordinates; empty where none is tabulated.
llvm::ArrayRef<float> getTurboCodebook(int64_t headDim, int64_t bits);

/// The codebook's expected squared error per coordinate of a unit vector
/// (E[(t - q(t))^2]); negative where none is tabulated.
double getTurboDistortion(int64_t headDim, int64_t bits);

} // namespace mlir::ingot

#endif // INGOT_DIALECTS_INGOT_KVCODEBOOKS_H
