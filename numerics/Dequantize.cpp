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

/// The number of blocks of `blockSize` elements in `dst`.
size_t countBlocks(MutableArrayRef<float> dst, size_t blockSize) {
  return dst.size() / blockSize;
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

} // namespace

void ingot::gguf::dequantizeF32(ArrayRef<uint8_t> src,
                                MutableArrayRef<float> dst) {
  for (size_t i = 0, e = dst.size(); i < e; ++i)
    dst[i] = llvm::bit_cast<float>(endian::read32le(src.data() + 4 * i));
}

void ingot::gguf::dequantizeF16(ArrayRef<uint8_t> src,
                                MutableArrayRef<float> dst) {
  for (size_t i = 0, e = dst.size(); i < e; ++i)
    dst[i] = readHalf(src.data() + 2 * i);
}

void ingot::gguf::dequantizeBF16(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t i = 0, e = dst.size(); i < e; ++i)
    dst[i] = bfloat16ToFloat(endian::read16le(src.data() + 2 * i));
}

// Q8_0 block: f16 d, then 32 int8 quants.
void ingot::gguf::dequantizeQ8_0(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 32); b < e; ++b) {
    const uint8_t *block = src.data() + 34 * b;
    float d = readHalf(block);
    const uint8_t *qs = block + 2;
    float *out = dst.data() + 32 * b;
    for (unsigned i = 0; i < 32; ++i)
      out[i] = static_cast<float>(static_cast<int8_t>(qs[i])) * d;
  }
}

// Q4_0 block: f16 d, then 16 bytes; byte j holds element j in its low nibble
// and element j + 16 in its high nibble.
void ingot::gguf::dequantizeQ4_0(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 32); b < e; ++b) {
    const uint8_t *block = src.data() + 18 * b;
    float d = readHalf(block);
    const uint8_t *qs = block + 2;
    float *out = dst.data() + 32 * b;
    for (unsigned j = 0; j < 16; ++j) {
      out[j] = d * static_cast<float>((qs[j] & 0x0f) - 8);
      out[j + 16] = d * static_cast<float>((qs[j] >> 4) - 8);
    }
  }
}

// Q4_1 block: f16 d, f16 m, then nibbles as in Q4_0.
void ingot::gguf::dequantizeQ4_1(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 32); b < e; ++b) {
    const uint8_t *block = src.data() + 20 * b;
    float d = readHalf(block);
    float m = readHalf(block + 2);
    const uint8_t *qs = block + 4;
    float *out = dst.data() + 32 * b;
    for (unsigned j = 0; j < 16; ++j) {
      out[j] = d * static_cast<float>(qs[j] & 0x0f) + m;
      out[j + 16] = d * static_cast<float>(qs[j] >> 4) + m;
    }
  }
}

// Q5_0 block: f16 d, a little-endian 32-bit word whose bit i is the fifth bit
// of element i, then nibbles as in Q4_0.
void ingot::gguf::dequantizeQ5_0(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 32); b < e; ++b) {
    const uint8_t *block = src.data() + 22 * b;
    float d = readHalf(block);
    uint32_t high = endian::read32le(block + 2);
    const uint8_t *qs = block + 6;
    float *out = dst.data() + 32 * b;
    for (unsigned j = 0; j < 16; ++j) {
      int lo = (qs[j] & 0x0f) | (((high >> j) & 1) << 4);
      int hi = (qs[j] >> 4) | (((high >> (j + 16)) & 1) << 4);
      out[j] = d * static_cast<float>(lo - 16);
      out[j + 16] = d * static_cast<float>(hi - 16);
    }
  }
}

// Q5_1 block: f16 d, f16 m, the fifth-bit word, then nibbles.
void ingot::gguf::dequantizeQ5_1(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 32); b < e; ++b) {
    const uint8_t *block = src.data() + 24 * b;
    float d = readHalf(block);
    float m = readHalf(block + 2);
    uint32_t high = endian::read32le(block + 4);
    const uint8_t *qs = block + 8;
    float *out = dst.data() + 32 * b;
    for (unsigned j = 0; j < 16; ++j) {
      unsigned lo = (qs[j] & 0x0f) | (((high >> j) & 1) << 4);
      unsigned hi = (qs[j] >> 4) | (((high >> (j + 16)) & 1) << 4);
      out[j] = d * static_cast<float>(lo) + m;
      out[j + 16] = d * static_cast<float>(hi) + m;
    }
  }
}

// Q4_K block: f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins, 128
// bytes of nibbles. Each 64-element chunk c uses 32 bytes: low nibbles are
// sub-block 2c, high nibbles sub-block 2c + 1.
void ingot::gguf::dequantizeQ4_K(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 256); b < e; ++b) {
    const uint8_t *block = src.data() + 144 * b;
    float d = readHalf(block);
    float dmin = readHalf(block + 2);
    const uint8_t *scales = block + 4;
    const uint8_t *qs = block + 16;
    float *out = dst.data() + 256 * b;
    for (unsigned chunk = 0; chunk < 4; ++chunk) {
      uint8_t sc0, m0, sc1, m1;
      unpackScaleMin(scales, 2 * chunk, sc0, m0);
      unpackScaleMin(scales, 2 * chunk + 1, sc1, m1);
      float d0 = d * static_cast<float>(sc0),
            min0 = dmin * static_cast<float>(m0);
      float d1 = d * static_cast<float>(sc1),
            min1 = dmin * static_cast<float>(m1);
      const uint8_t *q = qs + 32 * chunk;
      float *y = out + 64 * chunk;
      for (unsigned l = 0; l < 32; ++l) {
        y[l] = d0 * static_cast<float>(q[l] & 0x0f) - min0;
        y[l + 32] = d1 * static_cast<float>(q[l] >> 4) - min1;
      }
    }
  }
}

// Q5_K block: as Q4_K, with 32 bytes of fifth bits between the scales and the
// nibbles: bit k of byte l is the fifth bit of element 32k + l.
void ingot::gguf::dequantizeQ5_K(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 256); b < e; ++b) {
    const uint8_t *block = src.data() + 176 * b;
    float d = readHalf(block);
    float dmin = readHalf(block + 2);
    const uint8_t *scales = block + 4;
    const uint8_t *qh = block + 16;
    const uint8_t *qs = block + 48;
    float *out = dst.data() + 256 * b;
    for (unsigned chunk = 0; chunk < 4; ++chunk) {
      uint8_t sc0, m0, sc1, m1;
      unpackScaleMin(scales, 2 * chunk, sc0, m0);
      unpackScaleMin(scales, 2 * chunk + 1, sc1, m1);
      float d0 = d * static_cast<float>(sc0),
            min0 = dmin * static_cast<float>(m0);
      float d1 = d * static_cast<float>(sc1),
            min1 = dmin * static_cast<float>(m1);
      const uint8_t *q = qs + 32 * chunk;
      float *y = out + 64 * chunk;
      for (unsigned l = 0; l < 32; ++l) {
        unsigned lo = (q[l] & 0x0f) | (((qh[l] >> (2 * chunk)) & 1) << 4);
        unsigned hi = (q[l] >> 4) | (((qh[l] >> (2 * chunk + 1)) & 1) << 4);
        y[l] = d0 * static_cast<float>(lo) - min0;
        y[l + 32] = d1 * static_cast<float>(hi) - min1;
      }
    }
  }
}

// Q6_K block: 128 bytes of low nibbles, 64 bytes of high bit pairs, 16 int8
// scales (one per 16 elements), f16 d. Each 128-element half h uses 64 low
// bytes, 32 high bytes and 8 scales; within it, for l < 32, elements l,
// l + 32, l + 64, l + 96 take the low nibbles of bytes l and l + 32, then
// their high nibbles, and bit pairs 0, 1, 2, 3 of high byte l.
void ingot::gguf::dequantizeQ6_K(ArrayRef<uint8_t> src,
                                 MutableArrayRef<float> dst) {
  for (size_t b = 0, e = countBlocks(dst, 256); b < e; ++b) {
    const uint8_t *block = src.data() + 210 * b;
    float d = readHalf(block + 208);
    float *out = dst.data() + 256 * b;
    for (unsigned half = 0; half < 2; ++half) {
      const uint8_t *ql = block + 64 * half;
      const uint8_t *qh = block + 128 + 32 * half;
      const int8_t *sc =
          reinterpret_cast<const int8_t *>(block + 192 + 8 * half);
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
}

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
    dequantizeQ8_0(src, dst);
    break;
  case GGMLType::Q4_0:
    dequantizeQ4_0(src, dst);
    break;
  case GGMLType::Q4_1:
    dequantizeQ4_1(src, dst);
    break;
  case GGMLType::Q5_0:
    dequantizeQ5_0(src, dst);
    break;
  case GGMLType::Q5_1:
    dequantizeQ5_1(src, dst);
    break;
  case GGMLType::Q4_K:
    dequantizeQ4_K(src, dst);
    break;
  case GGMLType::Q5_K:
    dequantizeQ5_K(src, dst);
    break;
  case GGMLType::Q6_K:
    dequantizeQ6_K(src, dst);
    break;
  }
  return llvm::Error::success();
}
