//===- Quantize.h - Round-to-nearest weight quantization --------*- C++ -*-===//
//
// Quantizes float weights into the storage encodings of the ingot dialect,
// by round-to-nearest (RTN), and dequantizes them back. Plain C++ over LLVM
// Support, no MLIR: compiler/pack/Quantize.h dispatches on the encoding
// attributes.
//
// - GGUF block formats, bit for bit in GGUF's block layout (so ggml,
//   llama.cpp and numerics/Dequantize.cpp read them):
//   * `q8_0`: 32 elements in 34 bytes, f16 `d = amax / 127`, int8
//     `q = roundf(x / d)`; the same bytes as ggml's reference quantizer and
//     the gguf package's `gguf.quants.quantize`.
//   * `q4_0`: 32 elements in 18 bytes, `d = max / -8` (`max` the element of
//     largest magnitude, sign kept), `q = min(15, trunc(x / d + 8.5))`; the
//     same bytes as the gguf package (which computes `x / d + 8.5` in
//     double).
//   * `q4_k`: 256 elements in 144 bytes; each 32-element sub-block `j` has
//     a 6-bit scale `sc_j` and min `m_j`, scaled by the block's f16 `d` and
//     `dmin`: `x ≈ d·sc_j·q − dmin·m_j`, `q` in 0..15. Plain RTN (not ggml's
//     iterative search): `m_j` and `sc_j` are rounded up so that the grid
//     covers the sub-block's `[min(0, lo), hi]`, then `q` is rounded to the
//     nearest level.
//
// - Group-wise `#ingot.group<bits, group_size, symmetric>`: each run of
//   `group_size` elements along the last dimension is one group, stored as
//   one record, records in row-major order:
//
//     [f16 scale][f16 zero, asymmetric only][codes]
//
//   `codes` are unsigned: one byte per element for 8 bits; for 4 bits two
//   per byte, element 2i in the low nibble of byte i and element 2i+1 in the
//   high nibble. Little-endian halves. A group of `n` elements takes
//   `n·bits/8 + 2` bytes (symmetric) or `+ 4` (asymmetric), matching
//   `getStorageBytes`. A code `u` stands for
//
//     symmetric:  scale · (u − 2^(bits−1))      (zero implicit: 128 or 8)
//     asymmetric: scale · (u − zero)            (zero an f16, in code units)
//
//   RTN, symmetric: `scale = f16(amax / (2^(bits−1) − 1))`,
//   `u = clamp(round(x / scale), −(2^(bits−1) − 1), 2^(bits−1) − 1) +
//   2^(bits−1)`. Asymmetric (the GPTQ convention, range widened to include
//   0): `lo = min(0, min x)`, `hi = max(0, max x)`,
//   `scale = f16((hi − lo) / (2^bits − 1))`,
//   `zero = clamp(round(−lo / scale), 0, 2^bits − 1)`,
//   `u = clamp(round(x / scale) + zero, 0, 2^bits − 1)`.
//
// Bounds (tested in test/unit/QuantizeTest.cpp): with `s` the block's or
// group's exact step (before f16 rounding) and `Q` its largest code
// magnitude, every element comes back within `s/2 + Q·|s − f16(s)|` (plus
// float rounding); q4_0 allows one full step at the clipped `+8·|d|` end;
// q4_k adds the rounding of its 6-bit scales and mins (one super-step each).
//
// Inputs must be finite. Every function that takes a shape checks that its
// last dimension is a whole number of blocks or groups.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_NUMERICS_QUANTIZE_H
#define INGOT_NUMERICS_QUANTIZE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace ingot::pack {

/// IEEE half precision bits nearest to `value` (round to nearest even;
/// overflow to infinity).
uint16_t floatToHalf(float value);

/// GGUF Q8_0 blocks of `values` (a multiple of 32 elements, finite).
llvm::Expected<std::vector<uint8_t>> quantizeQ8_0(llvm::ArrayRef<float> values);
/// GGUF Q4_0 blocks of `values` (a multiple of 32 elements, finite).
llvm::Expected<std::vector<uint8_t>> quantizeQ4_0(llvm::ArrayRef<float> values);
/// GGUF Q4_K blocks of `values` (a multiple of 256 elements, finite).
llvm::Expected<std::vector<uint8_t>> quantizeQ4_K(llvm::ArrayRef<float> values);

/// Group-wise records of `values` (a multiple of `groupSize` elements,
/// finite); `bits` is 4 or 8.
llvm::Expected<std::vector<uint8_t>>
quantizeGroups(llvm::ArrayRef<float> values, int64_t bits, int64_t groupSize,
               bool symmetric);
/// The values of `dst.size()` elements stored as group-wise records in
/// `src`; fails unless `src` holds exactly that many records.
llvm::Error dequantizeGroups(llvm::ArrayRef<uint8_t> src, int64_t bits,
                             int64_t groupSize, bool symmetric,
                             llvm::MutableArrayRef<float> dst);

} // namespace ingot::pack

#endif // INGOT_NUMERICS_QUANTIZE_H
