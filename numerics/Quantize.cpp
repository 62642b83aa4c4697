//===- Quantize.cpp - Round-to-nearest weight quantization ----------------===//
//
// Compiled with -ffp-contract=off (see CMakeLists.txt): the q8_0 and q4_0
// quantizers match the gguf package byte for byte only if no product and sum
// is fused.
//
//===----------------------------------------------------------------------===//

#include "numerics/Quantize.h"

#include "numerics/Dequantize.h"
#include "numerics/GGMLType.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"

#include <algorithm>
#include <cmath>
#include <string>

using namespace llvm;
namespace endian = llvm::support::endian;

namespace ingot::pack {

uint16_t floatToHalf(float value) {
  uint32_t x = bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffff;
  if (abs > 0x7f800000) // NaN: keep it quiet.
    return sign | 0x7e00;
  // 65520 and above (and infinity) round to infinity.
  if (abs >= 0x477ff000)
    return sign | 0x7c00;
  if (abs < 0x38800000) {
    // Subnormal half: count units of 2^-24, rounding to nearest even (the
    // scaling by 2^24 is exact).
    float units = bit_cast<float>(abs) * 16777216.0f;
    return sign | static_cast<uint16_t>(std::nearbyint(units));
  }
  uint32_t exponent = (abs >> 23) - 112;
  uint32_t mantissa = abs & 0x7fffff;
  uint32_t half = (exponent << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent.
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half;
  return sign | static_cast<uint16_t>(half);
}

namespace {

float halfValue(uint16_t bits) { return ingot::gguf::halfToFloat(bits); }

/// The smallest half >= `value` (value >= 0, finite as a half).
uint16_t halfAtLeast(float value) {
  uint16_t bits = floatToHalf(value);
  if (halfValue(bits) < value)
    ++bits;
  return bits;
}

void writeHalf(uint8_t *p, uint16_t bits) { endian::write16le(p, bits); }

Error notWhole(size_t count, int64_t block, StringRef what) {
  return createStringError(Twine(count) + " elements are not a whole number "
                                          "of " +
                           what + " of " + Twine(block));
}

Error checkFinite(ArrayRef<float> values) {
  for (size_t i = 0, e = values.size(); i < e; ++i)
    if (!std::isfinite(values[i]))
      return createStringError("element " + Twine(i) +
                               " is not finite; only finite values can be "
                               "quantized");
  return Error::success();
}

Error checkScale(float scale) {
  if (!std::isfinite(scale) || scale > 65504.0f)
    return createStringError("a quantization scale exceeds the f16 range");
  return Error::success();
}

/// C's roundf: halves away from zero.
float roundAway(float value) { return std::round(value); }

/// The blocks of `type` that `values` quantize to: checks that the values are
/// a whole number of `name` and finite, then calls
/// `quantizeBlock(x, block)` for each block, which writes the block's bytes
/// from its elements and may fail.
template <typename QuantizeBlock>
Expected<std::vector<uint8_t>>
quantizeBlocks(ArrayRef<float> values, gguf::GGMLType type, StringRef name,
               QuantizeBlock quantizeBlock) {
  size_t size = gguf::getBlockSize(type), bytes = gguf::getBlockBytes(type);
  if (values.size() % size)
    return notWhole(values.size(), size, name);
  if (Error err = checkFinite(values))
    return err;
  std::vector<uint8_t> out(values.size() / size * bytes);
  for (size_t b = 0, e = values.size() / size; b < e; ++b)
    if (Error err =
            quantizeBlock(values.data() + size * b, out.data() + bytes * b))
      return err;
  return out;
}

/// One Q8_0 block: f16 `d = amax / 127`, then int8 `roundf(x / d)`.
Error quantizeQ8_0Block(const float *x, uint8_t *block) {
  float amax = 0.0f;
  for (unsigned i = 0; i < 32; ++i)
    amax = std::max(amax, std::fabs(x[i]));
  float d = amax / 127.0f;
  if (Error err = checkScale(d))
    return err;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  writeHalf(block, floatToHalf(d));
  for (unsigned i = 0; i < 32; ++i)
    block[2 + i] =
        static_cast<uint8_t>(static_cast<int8_t>(roundAway(x[i] * id)));
  return Error::success();
}

/// One Q4_0 block: f16 `d = max / -8`, then the nibbles of
/// `min(15, trunc(x / d + 8.5))` (byte j: element j low, j + 16 high).
Error quantizeQ4_0Block(const float *x, uint8_t *block) {
  // The element of largest magnitude (the first of equals), sign kept.
  float amax = 0.0f, max = 0.0f;
  for (unsigned i = 0; i < 32; ++i) {
    if (amax < std::fabs(x[i])) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  float d = max / -8.0f;
  if (Error err = checkScale(std::fabs(d)))
    return err;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  writeHalf(block, floatToHalf(d));
  auto code = [&](float v) {
    double t =
        std::trunc(static_cast<double>(v) * static_cast<double>(id) + 8.5);
    return static_cast<uint8_t>(std::clamp(t, 0.0, 15.0));
  };
  for (unsigned j = 0; j < 16; ++j)
    block[2 + j] = code(x[j]) | static_cast<uint8_t>(code(x[j + 16]) << 4);
  return Error::success();
}

/// One Q4_K block (Quantize.h): the sub-blocks' mins, then their scales,
/// rounded up to cover each sub-block, then the nibbles.
Error quantizeQ4_KBlock(const float *x, uint8_t *block) {
  float lo[8], hi[8];
  float mins = 0.0f;
  for (unsigned j = 0; j < 8; ++j) {
    lo[j] = 0.0f;
    hi[j] = -INFINITY;
    for (unsigned i = 0; i < 32; ++i) {
      lo[j] = std::min(lo[j], x[32 * j + i]);
      hi[j] = std::max(hi[j], x[32 * j + i]);
    }
    hi[j] = std::max(hi[j], lo[j]);
    mins = std::max(mins, -lo[j]);
  }
  // Mins first, rounded up so every sub-block's grid starts at or below
  // its smallest element.
  if (Error err = checkScale(mins / 63.0f))
    return err;
  uint16_t dminBits = mins > 0.0f ? halfAtLeast(mins / 63.0f) : 0;
  float dmin = halfValue(dminBits);
  uint8_t m[8], sc[8];
  float mEff[8], need[8];
  float steps = 0.0f;
  for (unsigned j = 0; j < 8; ++j) {
    float q = dmin > 0.0f ? std::ceil(-lo[j] / dmin) : 0.0f;
    m[j] = static_cast<uint8_t>(std::clamp(q, 0.0f, 63.0f));
    mEff[j] = dmin * static_cast<float>(m[j]);
    // The step that makes the grid reach the largest element.
    need[j] = (hi[j] + mEff[j]) / 15.0f;
    steps = std::max(steps, need[j]);
  }
  if (Error err = checkScale(steps / 63.0f))
    return err;
  uint16_t dBits = steps > 0.0f ? halfAtLeast(steps / 63.0f) : 0;
  float d = halfValue(dBits);
  for (unsigned j = 0; j < 8; ++j) {
    float q = d > 0.0f ? std::ceil(need[j] / d) : 0.0f;
    sc[j] = static_cast<uint8_t>(std::clamp(q, 0.0f, 63.0f));
  }

  writeHalf(block, dBits);
  writeHalf(block + 2, dminBits);
  uint8_t *packed = block + 4;
  std::fill(packed, packed + 12, 0);
  for (unsigned j = 0; j < 8; ++j) {
    if (j < 4) {
      packed[j] |= sc[j];
      packed[j + 4] |= m[j];
    } else {
      packed[j + 4] = (sc[j] & 0x0f) | ((m[j] & 0x0f) << 4);
      packed[j - 4] |= (sc[j] >> 4) << 6;
      packed[j] |= (m[j] >> 4) << 6;
    }
  }
  // Nibbles: chunk c's 32 bytes hold sub-block 2c low, 2c + 1 high.
  uint8_t *qs = block + 16;
  for (unsigned j = 0; j < 8; ++j) {
    // The same products the dequantizer forms.
    float step = d * static_cast<float>(sc[j]);
    float min = dmin * static_cast<float>(m[j]);
    for (unsigned l = 0; l < 32; ++l) {
      float q = step > 0.0f ? std::round((x[32 * j + l] + min) / step) : 0;
      uint8_t code = static_cast<uint8_t>(std::clamp(q, 0.0f, 15.0f));
      uint8_t &byte = qs[32 * (j / 2) + l];
      byte |= (j % 2) ? static_cast<uint8_t>(code << 4) : code;
    }
  }
  return Error::success();
}

} // namespace

Expected<std::vector<uint8_t>> quantizeQ8_0(ArrayRef<float> values) {
  return quantizeBlocks(values, gguf::GGMLType::Q8_0, "q8_0 blocks",
                        quantizeQ8_0Block);
}

Expected<std::vector<uint8_t>> quantizeQ4_0(ArrayRef<float> values) {
  return quantizeBlocks(values, gguf::GGMLType::Q4_0, "q4_0 blocks",
                        quantizeQ4_0Block);
}

Expected<std::vector<uint8_t>> quantizeQ4_K(ArrayRef<float> values) {
  return quantizeBlocks(values, gguf::GGMLType::Q4_K, "q4_k blocks",
                        quantizeQ4_KBlock);
}

Expected<std::vector<uint8_t>> quantizeGroups(ArrayRef<float> values,
                                              int64_t bits, int64_t groupSize,
                                              bool symmetric) {
  if (bits != 4 && bits != 8)
    return createStringError("group quantization needs 4 or 8 bits, got " +
                             Twine(bits));
  if (groupSize < 2 || groupSize % 2)
    return createStringError("group size must be even and >= 2, got " +
                             Twine(groupSize));
  if (values.size() % groupSize)
    return notWhole(values.size(), groupSize, "groups");
  if (Error err = checkFinite(values))
    return err;
  size_t groups = values.size() / groupSize;
  size_t header = symmetric ? 2 : 4;
  size_t record = header + groupSize * bits / 8;
  std::vector<uint8_t> out(groups * record);
  int64_t levels = (int64_t(1) << bits) - 1; // Largest code.
  int64_t half = int64_t(1) << (bits - 1);   // Implicit symmetric zero.
  std::vector<uint8_t> codes(groupSize);
  for (size_t g = 0; g < groups; ++g) {
    const float *x = values.data() + g * groupSize;
    uint8_t *rec = out.data() + g * record;
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < groupSize; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    if (symmetric) {
      float amax = std::max(-lo, hi);
      float exact = amax / static_cast<float>(half - 1);
      if (Error err = checkScale(exact))
        return err;
      uint16_t scaleBits = floatToHalf(exact);
      float scale = halfValue(scaleBits);
      writeHalf(rec, scaleBits);
      for (int64_t i = 0; i < groupSize; ++i) {
        float q = scale > 0.0f ? std::round(x[i] / scale) : 0.0f;
        q = std::clamp(q, static_cast<float>(1 - half),
                       static_cast<float>(half - 1));
        codes[i] = static_cast<uint8_t>(static_cast<int64_t>(q) + half);
      }
    } else {
      float exact = (hi - lo) / static_cast<float>(levels);
      if (Error err = checkScale(exact))
        return err;
      uint16_t scaleBits = floatToHalf(exact);
      float scale = halfValue(scaleBits);
      // `+ 0.0f` turns round(-0.0) into +0.0.
      float zero = scale > 0.0f ? std::clamp(std::round(-lo / scale), 0.0f,
                                             static_cast<float>(levels)) +
                                      0.0f
                                : 0.0f;
      writeHalf(rec, scaleBits);
      writeHalf(rec + 2, floatToHalf(zero));
      for (int64_t i = 0; i < groupSize; ++i) {
        float q = scale > 0.0f ? std::round(x[i] / scale) + zero : zero;
        q = std::clamp(q, 0.0f, static_cast<float>(levels));
        codes[i] = static_cast<uint8_t>(q);
      }
    }
    uint8_t *packed = rec + header;
    if (bits == 8) {
      std::copy(codes.begin(), codes.end(), packed);
    } else {
      for (int64_t i = 0; i < groupSize / 2; ++i)
        packed[i] = codes[2 * i] | static_cast<uint8_t>(codes[2 * i + 1] << 4);
    }
  }
  return out;
}

Error dequantizeGroups(ArrayRef<uint8_t> src, int64_t bits, int64_t groupSize,
                       bool symmetric, MutableArrayRef<float> dst) {
  if ((bits != 4 && bits != 8) || groupSize < 2 || groupSize % 2)
    return createStringError("unsupported group encoding: " + Twine(bits) +
                             " bits, group size " + Twine(groupSize));
  if (dst.size() % groupSize)
    return notWhole(dst.size(), groupSize, "groups");
  size_t groups = dst.size() / groupSize;
  size_t header = symmetric ? 2 : 4;
  size_t record = header + groupSize * bits / 8;
  if (src.size() != groups * record)
    return createStringError(Twine(dst.size()) + " elements in groups of " +
                             Twine(groupSize) + " take " +
                             Twine(groups * record) + " bytes, but " +
                             Twine(src.size()) + " were given");
  float implicitZero = static_cast<float>(int64_t(1) << (bits - 1));
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t *rec = src.data() + g * record;
    float scale = halfValue(endian::read16le(rec));
    float zero =
        symmetric ? implicitZero : halfValue(endian::read16le(rec + 2));
    const uint8_t *packed = rec + header;
    float *y = dst.data() + g * groupSize;
    for (int64_t i = 0; i < groupSize; ++i) {
      unsigned code = bits == 8
                          ? packed[i]
                          : (i % 2 ? packed[i / 2] >> 4 : packed[i / 2] & 0x0f);
      y[i] = scale * (static_cast<float>(code) - zero);
    }
  }
  return Error::success();
}

} // namespace ingot::pack
