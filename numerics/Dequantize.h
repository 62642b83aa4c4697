//===- Dequantize.h - Scalar dequantizers of ggml types ---------*- C++ -*-===//
//
// Plain scalar reference dequantizers of every supported ggml type, behind
// one dispatcher by type (the per-format decoders, with each block layout,
// are in Dequantize.cpp). They are the reference every faster kernel is
// tested against, and agree bit for bit with the gguf Python package's
// `gguf.quants.dequantize`: each product and sum is rounded to float in the
// same order (no fused multiply-add).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_NUMERICS_DEQUANTIZE_H
#define INGOT_NUMERICS_DEQUANTIZE_H

#include "numerics/GGMLType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace ingot::gguf {

/// IEEE half precision bits to float, exactly (subnormals, infinities and
/// NaN payloads included).
float halfToFloat(uint16_t bits);

/// bfloat16 bits to float, exactly.
float bfloat16ToFloat(uint16_t bits);

/// The number of bytes `numElements` elements of `type` take, or an error if
/// `numElements` is not a whole number of blocks.
llvm::Expected<uint64_t> getByteSize(GGMLType type, uint64_t numElements);

/// Dequantizes `dst.size()` elements of `type` from `src`: F32, F16 and BF16
/// as stored (little-endian); Q8_0 `q * d`; Q4_0 `d * (q - 8)`, Q5_0
/// `d * (q - 16)`; Q4_1 and Q5_1 `d * q + m`; Q4_K and Q5_K
/// `(d * sc) * q - dmin * m` per 32-element sub-block; Q6_K
/// `(d * sc) * (q - 32)` per 16-element sub-block; Q2_K
/// `(d * sc) * q - dmin * m` and Q3_K `(d * (sc - 32)) * q` per 16-element
/// sub-block; IQ4_NL `d * v[q]` and IQ4_XS `(d * (ls - 32)) * v[q]` with
/// v the 16-value non-linear grid. Fails if
/// `dst.size()` is not a whole number of blocks or `src` does not hold
/// exactly that many blocks.
llvm::Error dequantize(GGMLType type, llvm::ArrayRef<uint8_t> src,
                       llvm::MutableArrayRef<float> dst);

} // namespace ingot::gguf

#endif // INGOT_NUMERICS_DEQUANTIZE_H
