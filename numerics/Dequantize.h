//===- Dequantize.h - Scalar dequantizers of ggml types ---------*- C++ -*-===//
//
// Plain scalar reference dequantizers, one per supported ggml type, and a
// dispatcher by type. They are the reference every faster kernel is tested
// against, and agree bit for bit with the gguf Python package's
// `gguf.quants.dequantize`: each product and sum is rounded to float in the
// same order (no fused multiply-add).
//
// Each per-format function reads `dst.size() / blockSize` whole blocks from
// `src`. Preconditions (not checked): `dst.size()` is a multiple of the
// type's block size and `src.size()` is at least the matching byte count.
// The dispatcher `dequantize` checks both and returns an error instead.
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

/// Little-endian IEEE float32.
void dequantizeF32(llvm::ArrayRef<uint8_t> src,
                   llvm::MutableArrayRef<float> dst);
/// Little-endian IEEE half precision.
void dequantizeF16(llvm::ArrayRef<uint8_t> src,
                   llvm::MutableArrayRef<float> dst);
/// Little-endian bfloat16.
void dequantizeBF16(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q8_0: 32 elements in 34 bytes, `q * d`.
void dequantizeQ8_0(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q4_0: 32 elements in 18 bytes, `d * (q - 8)`.
void dequantizeQ4_0(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q4_1: 32 elements in 20 bytes, `d * q + m`.
void dequantizeQ4_1(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q5_0: 32 elements in 22 bytes, `d * (q - 16)`.
void dequantizeQ5_0(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q5_1: 32 elements in 24 bytes, `d * q + m`.
void dequantizeQ5_1(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q4_K: 256 elements in 144 bytes, `(d * sc) * q - dmin * m` per
/// 32-element sub-block.
void dequantizeQ4_K(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q5_K: 256 elements in 176 bytes, as Q4_K with a fifth bit per element.
void dequantizeQ5_K(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);
/// Q6_K: 256 elements in 210 bytes, `(d * sc) * (q - 32)` per 16-element
/// sub-block.
void dequantizeQ6_K(llvm::ArrayRef<uint8_t> src,
                    llvm::MutableArrayRef<float> dst);

/// The number of bytes `numElements` elements of `type` take, or an error if
/// `numElements` is not a whole number of blocks.
llvm::Expected<uint64_t> getByteSize(GGMLType type, uint64_t numElements);

/// Dequantizes `dst.size()` elements of `type` from `src`. Fails if
/// `dst.size()` is not a whole number of blocks or `src` does not hold
/// exactly that many blocks.
llvm::Error dequantize(GGMLType type, llvm::ArrayRef<uint8_t> src,
                       llvm::MutableArrayRef<float> dst);

} // namespace ingot::gguf

#endif // INGOT_NUMERICS_DEQUANTIZE_H
