//===- Quantized.cpp - GPTQ and AWQ int4 checkpoints ----------------------===//

#include "frontends/hf/Quantized.h"

#include "frontends/hf/JSONUtils.h"

#include "llvm/ADT/Twine.h"

#include <cstring>

using namespace ingot::hf;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// AWQ's nibble of logical column n % 8 within a packed word.
constexpr int kAWQNibble[8] = {0, 4, 1, 5, 2, 6, 3, 7};

uint32_t loadU32(const SafetensorsTensor &t, int64_t index) {
  const uint8_t *p = t.bytes.data() + 4 * index;
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}

/// An IEEE half or a bfloat16, exactly as f32.
float decodeHalf(uint16_t h, bool bfloat) {
  uint32_t bits;
  if (bfloat) {
    bits = uint32_t(h) << 16;
  } else {
    uint32_t sign = uint32_t(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      bits = sign | 0x7f800000 | mantissa << 13;
    } else if (exponent != 0) {
      bits = sign | (exponent + 112) << 23 | mantissa << 13;
    } else if (mantissa == 0) {
      bits = sign;
    } else {
      // Subnormal: normalize.
      exponent = 113;
      while (!(mantissa & 0x400)) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | exponent << 23 | (mantissa & 0x3ff) << 13;
    }
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

Error tensorError(const SafetensorsTensor &t, const Twine &message) {
  return makeFileError(t.file, "tensor " + quote(t.name) + ": " + message);
}

/// Checks `t` has `dtype` (one of `dtypes`) and `shape`.
Error expectTensor(const SafetensorsTensor &t,
                   llvm::ArrayRef<SafetensorsDType> dtypes,
                   llvm::ArrayRef<int64_t> shape, StringRef what) {
  if (llvm::find(dtypes, t.dtype) == dtypes.end()) {
    std::string names;
    for (SafetensorsDType d : dtypes)
      names += (names.empty() ? "" : " or ") +
               getSafetensorsDTypeName(d).str();
    return tensorError(t, "dtype " + getSafetensorsDTypeName(t.dtype) +
                              ", but " + what + " must be " + names);
  }
  if (llvm::ArrayRef<int64_t>(t.shape) != shape)
    return tensorError(t, "shape " + shapeString(t.shape) + ", but " + what +
                              " must be " + shapeString(shape));
  return Error::success();
}

} // namespace

StringRef ingot::hf::getQuantMethodName(QuantMethod method) {
  return method == QuantMethod::GPTQ ? "gptq" : "awq";
}

Expected<std::optional<QuantizationConfig>>
ingot::hf::parseQuantizationConfig(const ConfigObject &json) {
  Expected<std::optional<ConfigObject>> object =
      json.getOptionalObject("quantization_config");
  if (!object)
    return object.takeError();
  if (!*object)
    return std::nullopt;
  Expected<QuantizationConfig> config = parseQuantizationObject(**object);
  if (!config)
    return config.takeError();
  return *config;
}

Expected<QuantizationConfig>
ingot::hf::parseQuantizationObject(const ConfigObject &q,
                                   StringRef defaultMethod) {
  auto keyError = [&](StringRef key, const Twine &message) {
    return q.makeError("key " + quote(q.getKeyPath(key)) + ": " + message);
  };

  QuantizationConfig c;
  Expected<StringRef> method =
      defaultMethod.empty() ? q.getString("quant_method")
                            : q.getString("quant_method", defaultMethod);
  if (!method)
    return method.takeError();
  if (*method == "gptq")
    c.method = QuantMethod::GPTQ;
  else if (*method == "awq")
    c.method = QuantMethod::AWQ;
  else
    return keyError("quant_method", "unsupported quantization method " +
                                        quote(*method) +
                                        " (supported: gptq, awq)");

  Expected<int64_t> bits = q.getInt("bits");
  if (!bits)
    return bits.takeError();
  if (*bits != 4)
    return keyError("bits", Twine(*bits) + "-bit " + *method +
                                " checkpoints are not supported (supported: "
                                "4)");
  c.bits = *bits;
  Expected<int64_t> group = q.getInt("group_size", 128);
  if (!group)
    return group.takeError();
  if (*group == 0 || *group < -1)
    return keyError("group_size",
                    "must be -1 or a positive number, got " + Twine(*group));
  c.groupSize = *group;

  if (c.method == QuantMethod::GPTQ) {
    Expected<bool> descAct = q.getBool("desc_act", false);
    if (!descAct)
      return descAct.takeError();
    c.descAct = *descAct;
    Expected<bool> sym = q.getBool("sym", true);
    if (!sym)
      return sym.takeError();
    c.sym = *sym;
    Expected<StringRef> format = q.getString("checkpoint_format", "gptq");
    if (!format)
      return format.takeError();
    if (*format == "gptq")
      c.zeroOffset = true;
    else if (*format == "gptq_v2")
      c.zeroOffset = false;
    else
      return keyError("checkpoint_format",
                      "unsupported GPTQ checkpoint format " + quote(*format) +
                          " (supported: gptq, gptq_v2)");
  } else {
    Expected<StringRef> version = q.getString("version", "gemm");
    if (!version)
      return version.takeError();
    if (version->lower() != "gemm")
      return keyError("version", "unsupported AWQ version " +
                                     quote(*version) + " (supported: gemm)");
    Expected<bool> zeroPoint = q.getBool("zero_point", true);
    if (!zeroPoint)
      return zeroPoint.takeError();
    if (!*zeroPoint)
      return keyError("zero_point",
                      "AWQ checkpoints without zero points are not supported");
    c.sym = false;
    c.zeroOffset = false;
  }
  return c;
}

Expected<QuantizedLinear>
QuantizedLinear::open(const SafetensorsCheckpoint &checkpoint, StringRef prefix,
                      const QuantizationConfig &config) {
  QuantizedLinear layer;
  layer.config = config;
  std::string qweightName = (prefix + kQWeightSuffix).str();
  Expected<const SafetensorsTensor &> qweight =
      checkpoint.getTensor(qweightName);
  if (!qweight)
    return qweight.takeError();
  layer.qweight = &*qweight;
  const SafetensorsTensor &qw = *layer.qweight;

  // The companions, each required but g_idx.
  auto companion =
      [&](StringRef suffix) -> Expected<const SafetensorsTensor *> {
    std::string name = (prefix + suffix).str();
    if (const SafetensorsTensor *t = checkpoint.lookupTensor(name))
      return t;
    return tensorError(qw, "its " + getQuantMethodName(config.method) +
                               " companion " + quote(name) + " is missing");
  };
  Expected<const SafetensorsTensor *> qzeros = companion(kQZerosSuffix);
  if (!qzeros)
    return qzeros.takeError();
  Expected<const SafetensorsTensor *> scales = companion(kScalesSuffix);
  if (!scales)
    return scales.takeError();
  layer.qzeros = *qzeros;
  layer.scales = *scales;
  if (config.method == QuantMethod::GPTQ)
    layer.gIdx = checkpoint.lookupTensor((prefix + kGIdxSuffix).str());

  // qweight gives N and K.
  if (qw.dtype != SafetensorsDType::I32 || qw.shape.size() != 2)
    return tensorError(qw, "dtype " + getSafetensorsDTypeName(qw.dtype) +
                               " shape " + shapeString(qw.shape) +
                               ", but a packed " +
                               getQuantMethodName(config.method) +
                               " weight must be a 2-D I32 tensor");
  if (qw.shape[0] == 0 || qw.shape[1] == 0)
    return tensorError(qw, "is empty");
  // Shapes are bounded by the file size, so these products fit.
  if (config.method == QuantMethod::GPTQ) {
    layer.inFeatures = qw.shape[0] * 8;
    layer.outFeatures = qw.shape[1];
  } else {
    layer.inFeatures = qw.shape[0];
    layer.outFeatures = qw.shape[1] * 8;
  }
  int64_t k = layer.inFeatures, n = layer.outFeatures;
  layer.groupSize = config.groupSize == -1 ? k : config.groupSize;
  if (k % layer.groupSize != 0)
    return tensorError(qw, "group_size " + Twine(layer.groupSize) +
                               " does not divide its " + Twine(k) +
                               " input channels");
  if (n % 8 != 0)
    return tensorError(qw, Twine(n) + " output channels, but packed zero "
                                      "points need a multiple of 8");
  layer.numGroups = k / layer.groupSize;
  int64_t g = layer.numGroups;

  if (Error e = expectTensor(**qzeros, {SafetensorsDType::I32}, {g, n / 8},
                             "packed zero points"))
    return e;
  if (Error e = expectTensor(**scales,
                             {SafetensorsDType::F16, SafetensorsDType::BF16,
                              SafetensorsDType::F32},
                             {g, n}, "scales"))
    return e;

  if (layer.gIdx) {
    const SafetensorsTensor &gi = *layer.gIdx;
    if (Error e = expectTensor(gi, {SafetensorsDType::I32}, {k}, "g_idx"))
      return e;
    for (int64_t i = 0; i < k; ++i) {
      int64_t group = static_cast<int32_t>(loadU32(gi, i));
      if (group < 0 || group >= g)
        return tensorError(gi, "input channel " + Twine(i) + " is in group " +
                                   Twine(group) + ", outside [0, " + Twine(g) +
                                   ")");
      if (group != i / layer.groupSize)
        layer.contiguousGroups = false;
    }
  }

  layer.symmetric = true;
  for (int64_t row = 0; row < n && layer.symmetric; ++row)
    for (int64_t group = 0; group < g; ++group)
      if (layer.getZero(row, group) != 8) {
        layer.symmetric = false;
        break;
      }
  return layer;
}

uint8_t QuantizedLinear::getValue(int64_t n, int64_t k) const {
  if (config.method == QuantMethod::GPTQ)
    return (loadU32(*qweight, (k / 8) * outFeatures + n) >> (4 * (k % 8))) &
           0xf;
  return (loadU32(*qweight, k * (outFeatures / 8) + n / 8) >>
          (4 * kAWQNibble[n % 8])) &
         0xf;
}

int64_t QuantizedLinear::getGroup(int64_t k) const {
  if (gIdx)
    return static_cast<int32_t>(loadU32(*gIdx, k));
  return k / groupSize;
}

int32_t QuantizedLinear::getZero(int64_t n, int64_t g) const {
  uint32_t word = loadU32(*qzeros, g * (outFeatures / 8) + n / 8);
  int shift = config.method == QuantMethod::GPTQ ? 4 * (n % 8)
                                                 : 4 * kAWQNibble[n % 8];
  return static_cast<int32_t>((word >> shift) & 0xf) +
         (config.zeroOffset ? 1 : 0);
}

float QuantizedLinear::getScale(int64_t n, int64_t g) const {
  int64_t index = g * outFeatures + n;
  const uint8_t *p = scales->bytes.data();
  switch (scales->dtype) {
  case SafetensorsDType::F32: {
    float value;
    std::memcpy(&value, p + 4 * index, 4);
    return value;
  }
  case SafetensorsDType::BF16:
  case SafetensorsDType::F16:
    return decodeHalf(uint16_t(p[2 * index]) | uint16_t(p[2 * index + 1]) << 8,
                      scales->dtype == SafetensorsDType::BF16);
  default:
    return 0.0f; // open() accepts no other dtype.
  }
}

void QuantizedLinear::dequantize(std::vector<float> &out) const {
  out.reserve(out.size() + outFeatures * inFeatures);
  std::vector<int64_t> groups(inFeatures);
  for (int64_t k = 0; k < inFeatures; ++k)
    groups[k] = getGroup(k);
  std::vector<float> rowScales(numGroups);
  std::vector<int32_t> rowZeros(numGroups);
  for (int64_t n = 0; n < outFeatures; ++n) {
    for (int64_t g = 0; g < numGroups; ++g) {
      rowScales[g] = getScale(n, g);
      rowZeros[g] = getZero(n, g);
    }
    for (int64_t k = 0; k < inFeatures; ++k) {
      int64_t g = groups[k];
      out.push_back(rowScales[g] *
                    static_cast<float>(int32_t(getValue(n, k)) - rowZeros[g]));
    }
  }
}
