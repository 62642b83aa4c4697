//===- Dequantize.cpp - Scalar dequantizers of ggml types -----------------===//
//
// Bit-exactness with the gguf package depends on every product and sum being
// rounded to float on its own: this file is compiled with -ffp-contract=off
// (see CMakeLists.txt) so no compiler fuses them.
//
//===----------------------------------------------------------------------===//

#include "numerics/Dequantize.h"

#include "llvm/ADT/Twine.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

using namespace ingot::gguf;
using llvm::ArrayRef;
using llvm::MutableArrayRef;
namespace endian = llvm::support::endian;

float ingot::gguf::halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  uint32_t result;
  if (exponent == 0x1f) {
    // Infinity or NaN: keep the payload.
    result = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    // Normal: rebias the exponent from 15 to 127.
    result = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    result = sign;
  } else {
    // Subnormal half, normal float: shift the leading one into the implicit
    // bit position, lowering the exponent as we go.
    uint32_t floatExponent = 113;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --floatExponent;
    }
    result = sign | (floatExponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  return llvm::bit_cast<float>(result);
}

float ingot::gguf::bfloat16ToFloat(uint16_t bits) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

namespace {

/// The half at `p`, little-endian, as float.
float readHalf(const uint8_t *p) { return halfToFloat(endian::read16le(p)); }

/// Calls `decodeBlock(block, out)` for each whole block of `type` in `dst`:
/// `block` points at its bytes in `src`, `out` at its elements in `dst`.
/// The decoders below, `decode<Type>`, each decode one block.
template <typename DecodeBlock>
void forEachBlock(GGMLType type, ArrayRef<uint8_t> src,
                  MutableArrayRef<float> dst, DecodeBlock decodeBlock) {
  size_t size = getBlockSize(type), bytes = getBlockBytes(type);
  for (size_t b = 0, e = dst.size() / size; b < e; ++b)
    decodeBlock(src.data() + bytes * b, dst.data() + size * b);
}

/// The 32 quants of a Q4_0/Q4_1/Q5_0/Q5_1 block in element order: byte j of
/// `qs` holds element j in its low nibble and element j + 16 in its high
/// nibble; bit i of `high` (zero for the 4-bit formats) is element i's
/// fifth bit.
void unpackLegacyQuants(const uint8_t *qs, uint32_t high, unsigned (&q)[32]) {
  for (unsigned j = 0; j < 16; ++j) {
    q[j] = (qs[j] & 0x0f) | (((high >> j) & 1) << 4);
    q[j + 16] = (qs[j] >> 4) | (((high >> (j + 16)) & 1) << 4);
  }
}

/// `d * (q - offset)` for each quant: Q4_0 (offset 8) and Q5_0 (16).
void decodeSymmetric(float d, const unsigned (&q)[32], int offset, float *out) {
  for (unsigned i = 0; i < 32; ++i)
    out[i] = d * static_cast<float>(static_cast<int>(q[i]) - offset);
}

/// `d * q + m` for each quant: Q4_1 and Q5_1.
void decodeWithMin(float d, float m, const unsigned (&q)[32], float *out) {
  for (unsigned i = 0; i < 32; ++i)
    out[i] = d * static_cast<float>(q[i]) + m;
}

/// The 6-bit scale and min of sub-block `j` (0..7) of a Q4_K/Q5_K block,
/// packed in 12 bytes: bytes 0-3 hold the low six bits of scales 0-3, bytes
/// 4-7 those of mins 0-3; for sub-blocks 4-7 the low four bits come from
/// bytes 8-11 and the high two from the top bits of bytes 0-7.
void unpackScaleMin(const uint8_t *packed, unsigned j, uint8_t &scale,
                    uint8_t &min) {
  if (j < 4) {
    scale = packed[j] & 0x3f;
    min = packed[j + 4] & 0x3f;
  } else {
    scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

/// One Q4_K or Q5_K block: f16 d, f16 dmin, 12 bytes of packed 6-bit scales
/// and mins, then (Q5_K only, else `qh` is null) 32 bytes of fifth bits, bit
/// k of byte l the fifth bit of element 32k + l, then 128 bytes of nibbles
/// `qs`. Each 64-element chunk c uses 32 bytes of nibbles: low nibbles are
/// sub-block 2c, high nibbles sub-block 2c + 1. Element l of sub-block j is
/// `(d * sc_j) * q - dmin * m_j`.
void decodeQ45_KBlock(const uint8_t *block, const uint8_t *qh,
                      const uint8_t *qs, float *out) {
  float d = readHalf(block);
  float dmin = readHalf(block + 2);
  for (unsigned j = 0; j < 8; ++j) {
    uint8_t sc, m;
    unpackScaleMin(block + 4, j, sc, m);
    float scale = d * static_cast<float>(sc);
    float min = dmin * static_cast<float>(m);
    const uint8_t *q = qs + 32 * (j / 2);
    unsigned shift = 4 * (j % 2);
    for (unsigned l = 0; l < 32; ++l) {
      unsigned v = (q[l] >> shift) & 0x0f;
      if (qh)
        v |= ((qh[l] >> j) & 1) << 4;
      out[32 * j + l] = scale * static_cast<float>(v) - min;
    }
  }
}

/// Little-endian IEEE float32.
void dequantizeF32(ArrayRef<uint8_t> src, MutableArrayRef<float> dst) {
  for (size_t i = 0, e = dst.size(); i < e; ++i)
    dst[i] = llvm::bit_cast<float>(endian::read32le(src.data() + 4 * i));
}

/// Little-endian IEEE half precision.
void dequantizeF16(ArrayRef<uint8_t> src, MutableArrayRef<float> dst) {
  for (size_t i = 0, e = dst.size(); i < e; ++i)
    dst[i] = readHalf(src.data() + 2 * i);
}

/// Little-endian bfloat16.
void dequantizeBF16(ArrayRef<uint8_t> src, MutableArrayRef<float> dst) {
  for (size_t i = 0, e = dst.size(); i < e; ++i)
    dst[i] = bfloat16ToFloat(endian::read16le(src.data() + 2 * i));
}

/// Q8_0: 32 elements in 34 bytes: f16 d, then 32 int8 quants; `q * d`.
void decodeQ8_0(const uint8_t *block, float *out) {
  float d = readHalf(block);
  for (unsigned i = 0; i < 32; ++i)
    out[i] = static_cast<float>(static_cast<int8_t>(block[2 + i])) * d;
}

/// Q4_0: 32 elements in 18 bytes: f16 d, then 16 bytes of nibbles;
/// `d * (q - 8)`.
void decodeQ4_0(const uint8_t *block, float *out) {
  unsigned q[32];
  unpackLegacyQuants(block + 2, 0, q);
  decodeSymmetric(readHalf(block), q, 8, out);
}

/// Q4_1: 32 elements in 20 bytes: f16 d, f16 m, then nibbles; `d * q + m`.
void decodeQ4_1(const uint8_t *block, float *out) {
  unsigned q[32];
  unpackLegacyQuants(block + 4, 0, q);
  decodeWithMin(readHalf(block), readHalf(block + 2), q, out);
}

/// Q5_0: 32 elements in 22 bytes: f16 d, the little-endian 32-bit word of
/// fifth bits, then nibbles; `d * (q - 16)`.
void decodeQ5_0(const uint8_t *block, float *out) {
  unsigned q[32];
  unpackLegacyQuants(block + 6, endian::read32le(block + 2), q);
  decodeSymmetric(readHalf(block), q, 16, out);
}

/// Q5_1: 32 elements in 24 bytes: f16 d, f16 m, the fifth-bit word, then
/// nibbles; `d * q + m`.
void decodeQ5_1(const uint8_t *block, float *out) {
  unsigned q[32];
  unpackLegacyQuants(block + 8, endian::read32le(block + 4), q);
  decodeWithMin(readHalf(block), readHalf(block + 2), q, out);
}

/// Q4_K: 256 elements in 144 bytes (decodeQ45_KBlock).
void decodeQ4_K(const uint8_t *block, float *out) {
  decodeQ45_KBlock(block, /*qh=*/nullptr, block + 16, out);
}

/// Q5_K: 256 elements in 176 bytes, as Q4_K with a fifth bit per element.
void decodeQ5_K(const uint8_t *block, float *out) {
  decodeQ45_KBlock(block, block + 16, block + 48, out);
}

/// Q6_K: 256 elements in 210 bytes: 128 bytes of low nibbles, 64 bytes of
/// high bit pairs, 16 int8 scales (one per 16 elements), f16 d;
/// `(d * sc) * (q - 32)`. Each 128-element half h uses 64 low bytes, 32 high
/// bytes and 8 scales; within it, for l < 32, elements l, l + 32, l + 64,
/// l + 96 take the low nibbles of bytes l and l + 32, then their high
/// nibbles, and bit pairs 0, 1, 2, 3 of high byte l.
void decodeQ6_K(const uint8_t *block, float *out) {
  float d = readHalf(block + 208);
  for (unsigned half = 0; half < 2; ++half) {
    const uint8_t *ql = block + 64 * half;
    const uint8_t *qh = block + 128 + 32 * half;
    const int8_t *sc = reinterpret_cast<const int8_t *>(block + 192 + 8 * half);
    float *y = out + 128 * half;
    for (unsigned l = 0; l < 32; ++l) {
      int q0 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q1 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      unsigned s = l / 16;
      y[l] = d * static_cast<float>(sc[s]) * static_cast<float>(q0);
      y[l + 32] = d * static_cast<float>(sc[s + 2]) * static_cast<float>(q1);
      y[l + 64] = d * static_cast<float>(sc[s + 4]) * static_cast<float>(q2);
      y[l + 96] = d * static_cast<float>(sc[s + 6]) * static_cast<float>(q3);
    }
  }
}

/// Q2_K: 256 elements in 84 bytes: 16 bytes of 4-bit scale (low) and min
/// (high) per 16 elements, 64 bytes of 2-bit codes, f16 d, f16 dmin.
/// Element 128h + 32s + l is bits 2s, 2s + 1 of code byte 32h + l;
/// `(d * sc) * q - dmin * m`.
void decodeQ2_K(const uint8_t *block, float *out) {
  float d = readHalf(block + 80), dmin = readHalf(block + 82);
  for (unsigned e = 0; e < 256; ++e) {
    unsigned h = e / 128, s = (e / 32) % 4, l = e % 32;
    unsigned q = (block[16 + 32 * h + l] >> (2 * s)) & 3;
    uint8_t sc = block[e / 16];
    out[e] = d * static_cast<float>(sc & 0xf) * static_cast<float>(q) -
             dmin * static_cast<float>(sc >> 4);
  }
}

/// Q3_K: 256 elements in 110 bytes: 32 bytes of high-bit masks, 64 bytes
/// of 2-bit codes (laid out as Q2_K's), 12 bytes of sixteen 6-bit scales,
/// f16 d. A code is lowered by 4 where bit (element / 32) of mask byte
/// (element % 32) is clear. Scale j: its low 4 bits are nibble j / 8 of
/// byte j % 8, its high 2 bits are bits 2(j / 4) of byte 8 + j % 4; it is
/// stored plus 32. `(d * (sc - 32)) * q`.
void decodeQ3_K(const uint8_t *block, float *out) {
  float d = readHalf(block + 108);
  const uint8_t *scales = block + 96;
  for (unsigned e = 0; e < 256; ++e) {
    unsigned h = e / 128, s = (e / 32) % 4, l = e % 32, j = e / 16;
    int q = (block[32 + 32 * h + l] >> (2 * s)) & 3;
    if (!((block[l] >> (e / 32)) & 1))
      q -= 4;
    int low = (scales[j % 8] >> (4 * (j / 8))) & 0xf;
    int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[e] = d * static_cast<float>((low | (high << 4)) - 32) *
             static_cast<float>(q);
  }
}

/// The 16 values of an IQ4_NL / IQ4_XS code (ggml's non-linear grid).
constexpr int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                   1,    13,   25,  38,  53,  69,  89,  113};

/// IQ4_NL: 32 elements in 18 bytes: f16 d, then 16 bytes of codes (element
/// j in the low nibble of byte j, j + 16 in its high nibble); `d * v[q]`.
void decodeIQ4_NL(const uint8_t *block, float *out) {
  float d = readHalf(block);
  for (unsigned j = 0; j < 16; ++j) {
    out[j] = d * static_cast<float>(kIQ4Values[block[2 + j] & 0xf]);
    out[j + 16] = d * static_cast<float>(kIQ4Values[block[2 + j] >> 4]);
  }
}

/// IQ4_XS: 256 elements in 136 bytes: f16 d, a 16-bit word of high scale
/// bits, 4 bytes of low scale bits, 128 bytes of codes; eight 32-element
/// sub-blocks laid out as IQ4_NL blocks, sub-block i scaled by
/// `d * (ls - 32)`, ls = nibble i of the low bytes | bits 2i, 2i + 1 of the
/// word << 4.
void decodeIQ4_XS(const uint8_t *block, float *out) {
  float d = readHalf(block);
  unsigned high = endian::read16le(block + 2);
  for (unsigned i = 0; i < 8; ++i) {
    int ls = ((block[4 + i / 2] >> (4 * (i % 2))) & 0xf) |
             static_cast<int>(((high >> (2 * i)) & 3) << 4);
    float dl = d * static_cast<float>(ls - 32);
    const uint8_t *q = block + 8 + 16 * i;
    for (unsigned j = 0; j < 16; ++j) {
      out[32 * i + j] = dl * static_cast<float>(kIQ4Values[q[j] & 0xf]);
      out[32 * i + j + 16] = dl * static_cast<float>(kIQ4Values[q[j] >> 4]);
    }
  }
}

} // namespace

llvm::Expected<uint64_t> ingot::gguf::getByteSize(GGMLType type,
                                                  uint64_t numElements) {
  uint64_t blockSize = getBlockSize(type);
  if (numElements % blockSize != 0)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::Twine(numElements) + " elements of " + getGGMLTypeName(type) +
            " are not a whole number of " + llvm::Twine(blockSize) +
            "-element blocks");
  bool overflowed = false;
  uint64_t bytes = llvm::SaturatingMultiply(numElements / blockSize,
                                            getBlockBytes(type), &overflowed);
  if (overflowed)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the byte size of " + llvm::Twine(numElements) + " elements of " +
            getGGMLTypeName(type) + " overflows 64 bits");
  return bytes;
}

llvm::Error ingot::gguf::dequantize(GGMLType type, ArrayRef<uint8_t> src,
                                    MutableArrayRef<float> dst) {
  llvm::Expected<uint64_t> bytes = getByteSize(type, dst.size());
  if (!bytes)
    return bytes.takeError();
  if (src.size() != *bytes)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   llvm::Twine(dst.size()) + " elements of " +
                                       getGGMLTypeName(type) + " take " +
                                       llvm::Twine(*bytes) + " bytes, but " +
                                       llvm::Twine(src.size()) + " were given");
  switch (type) {
  case GGMLType::F32:
    dequantizeF32(src, dst);
    break;
  case GGMLType::F16:
    dequantizeF16(src, dst);
    break;
  case GGMLType::BF16:
    dequantizeBF16(src, dst);
    break;
  case GGMLType::Q8_0:
    forEachBlock(type, src, dst, decodeQ8_0);
    break;
  case GGMLType::Q4_0:
    forEachBlock(type, src, dst, decodeQ4_0);
    break;
  case GGMLType::Q4_1:
    forEachBlock(type, src, dst, decodeQ4_1);
    break;
  case GGMLType::Q5_0:
    forEachBlock(type, src, dst, decodeQ5_0);
    break;
  case GGMLType::Q5_1:
    forEachBlock(type, src, dst, decodeQ5_1);
    break;
  case GGMLType::Q4_K:
    forEachBlock(type, src, dst, decodeQ4_K);
    break;
  case GGMLType::Q5_K:
    forEachBlock(type, src, dst, decodeQ5_K);
    break;
  case GGMLType::Q6_K:
    forEachBlock(type, src, dst, decodeQ6_K);
    break;
  case GGMLType::Q2_K:
    forEachBlock(type, src, dst, decodeQ2_K);
    break;
  case GGMLType::Q3_K:
    forEachBlock(type, src, dst, decodeQ3_K);
    break;
  case GGMLType::IQ4_NL:
    forEachBlock(type, src, dst, decodeIQ4_NL);
    break;
  case GGMLType::IQ4_XS:
    forEachBlock(type, src, dst, decodeIQ4_XS);
    break;
  }
  return llvm::Error::success();
}
