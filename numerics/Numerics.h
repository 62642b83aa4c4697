//===- Numerics.h - Arithmetic shared with the reference --------*- C++ -*-===//
//
// The few computations whose results the compiled model and the reference
// evaluator must agree on bit for bit, written once: rotary frequencies,
// the randomized Hadamard rotation, transposes, and rounding to a narrower
// float type. Plain C++ over LLVM Support: no MLIR, no model files, so the
// reference evaluator, the lowering passes and the targets all link it.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_NUMERICS_NUMERICS_H
#define INGOT_NUMERICS_NUMERICS_H

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace ingot::numerics {

/// How rotary frequencies are stretched beyond the training context (the
/// parameters of #ingot.rope_scaling).
struct RopeScaling {
  enum Kind { None, Linear, Llama3, Yarn } kind = None;
  double factor = 1.0;
  double originalMaxPosition = 0.0;
  double lowFreqFactor = 1.0, highFreqFactor = 1.0; ///< llama3
  double betaFast = 32.0, betaSlow = 1.0;           ///< yarn
  double attnFactor = 1.0;                          ///< yarn
};

/// The inverse frequencies `theta^(-2i/rotary_dim)` for i < rotary_dim/2
/// after `scaling` (Hugging Face's `_compute_*_parameters`), and the factor
/// cos and sin are multiplied by (yarn's attn_factor; 1 otherwise).
std::pair<std::vector<double>, double>
getRopeFrequencies(double theta, int64_t rotaryDim,
                   const RopeScaling &scaling = {});

/// Whether sign `i` of the Hadamard rotation with `seed` is -1: the top bit
/// of `splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15)`.
bool isHadamardSignNegative(uint64_t seed, int64_t i);

/// Rotates every run of `n` consecutive values of `data` (`n` a power of
/// two dividing its size) by `W·D / sqrt(n)`: D the signs of `seed`, W the
/// Walsh-Hadamard matrix; by its transpose `D·W / sqrt(n)` with `inverse`.
/// Computed in double, each result rounded to float once.
void hadamardRows(llvm::MutableArrayRef<float> data, int64_t n, uint64_t seed,
                  bool inverse);

/// The offsets of `shape`'s dimensions in a row-major array.
std::vector<int64_t> getStrides(llvm::ArrayRef<int64_t> shape);

/// Element i of `x` (row-major, `shape`) transposed by `permutation`
/// (result dimension d is dimension permutation[d] of x), row-major.
/// `permutation` must list each dimension of `shape` once.
template <typename T>
std::vector<T> transpose(llvm::ArrayRef<T> x, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<int64_t> permutation) {
  size_t rank = shape.size();
  std::vector<int64_t> inStrides = getStrides(shape);
  std::vector<int64_t> outShape(rank), strides(rank), coords(rank, 0);
  for (size_t d = 0; d < rank; ++d) {
    outShape[d] = shape[permutation[d]];
    strides[d] = inStrides[permutation[d]];
  }
  std::vector<T> out(x.size());
  // Walks the result in order, carrying the source offset along.
  int64_t source = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = x[source];
    for (size_t d = rank; d-- > 0;) {
      if (++coords[d] < outShape[d]) {
        source += strides[d];
        break;
      }
      source -= (outShape[d] - 1) * strides[d];
      coords[d] = 0;
    }
  }
  return out;
}

/// `value` rounded to the nearest value of `semantics` (ties to even) and
/// back to float; unchanged when `semantics` is at least as wide as float.
float roundToSemantics(float value, const llvm::fltSemantics &semantics);

/// Every element of `data` rounded as roundToSemantics does.
void roundToSemantics(llvm::MutableArrayRef<float> data,
                      const llvm::fltSemantics &semantics);

} // namespace ingot::numerics

#endif // INGOT_NUMERICS_NUMERICS_H
