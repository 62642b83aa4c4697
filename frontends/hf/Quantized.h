//===- Quantized.h - GPTQ and AWQ int4 checkpoints -------------*- C++ -*-===//
//
// Pre-quantized Hugging Face checkpoints replace a linear layer's `weight`
// (`[out, in]` = `[N, K]`) by packed 4-bit integers with a scale and a zero
// point per group of input channels, described by config.json's
// `quantization_config`. Two layouts are read:
//
//   GPTQ (AutoGPTQ, `quant_method: "gptq"`):
//     qweight  I32 [K/8, N]   8 values per word along K, value k%8 in bits
//                             4*(k%8) of word [k/8][n]
//     qzeros   I32 [G, N/8]   8 zero points per word along N, the same way
//     scales   F16 [G, N]
//     g_idx    I32 [K]        the group of each input channel (optional;
//                             k / group_size unless act-order reorders it)
//     Stored zero points are the real ones minus 1 (`checkpoint_format`
//     "gptq", AutoGPTQ's historical convention); "gptq_v2" stores them as
//     they are.
//   AWQ (AutoAWQ GEMM, `quant_method: "awq"`, `version: "gemm"`):
//     qweight  I32 [K, N/8]   8 values per word along N, interleaved: value
//                             n%8 in nibble [0, 4, 1, 5, 2, 6, 3, 7][n%8]
//     qzeros   I32 [G, N/8]   the same order; no offset
//     scales   F16 [G, N]
//
// with G = K / group_size groups, group g covering input channels
// [g*group_size, (g+1)*group_size). Scales may also be BF16 or F32. The
// weight is scale * (q - zero), which f32 holds exactly for F16 and BF16
// scales (a significand of at most 11 bits times an integer below 32).
//
// Depends on LLVM Support only, like the readers; errors are one line naming
// the file and the tensor or key.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_HF_QUANTIZED_H
#define INGOT_FRONTENDS_HF_QUANTIZED_H

#include "frontends/hf/Config.h"
#include "frontends/hf/Safetensors.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ingot::hf {

/// The pre-quantized checkpoint formats Ingot imports.
enum class QuantMethod { GPTQ, AWQ };

/// "gptq" or "awq".
llvm::StringRef getQuantMethodName(QuantMethod method);

/// config.json's `quantization_config`.
struct QuantizationConfig {
  QuantMethod method = QuantMethod::GPTQ;
  int64_t bits = 4;
  /// Input channels per group; -1 (GPTQ): one group over all of them.
  int64_t groupSize = 128;
  /// GPTQ act-order (`desc_act`): groups follow g_idx, not k / group_size.
  bool descAct = false;
  /// GPTQ `sym` (informative: symmetry is read from the zero points).
  bool sym = true;
  /// Stored zero point = real zero point - 1 (GPTQ `checkpoint_format`
  /// "gptq", the default).
  bool zeroOffset = true;
};

/// Reads `quantization_config` from config.json: nullopt when the key is
/// absent. Errors name the key: a method other than gptq/awq, bits other
/// than 4, a group size that is neither -1 nor >= 1, an AWQ version other
/// than gemm, AWQ without zero points, an unknown GPTQ checkpoint_format.
llvm::Expected<std::optional<QuantizationConfig>>
parseQuantizationConfig(const ConfigObject &config);

/// The name of AutoGPTQ's own file, which checkpoints saved by AutoGPTQ
/// (rather than transformers) have instead of `quantization_config`.
inline constexpr llvm::StringLiteral kQuantizeConfigName =
    "quantize_config.json";

/// Reads one quantization object: `quantization_config`, or the whole of
/// `quantize_config.json`, where `quant_method` may be absent (then
/// `defaultMethod`, "gptq" for AutoGPTQ's file). Errors as above.
llvm::Expected<QuantizationConfig>
parseQuantizationObject(const ConfigObject &object,
                        llvm::StringRef defaultMethod = "");

/// The tensor-name suffixes of a quantized linear layer.
inline constexpr llvm::StringLiteral kQWeightSuffix = ".qweight";
inline constexpr llvm::StringLiteral kQZerosSuffix = ".qzeros";
inline constexpr llvm::StringLiteral kScalesSuffix = ".scales";
inline constexpr llvm::StringLiteral kGIdxSuffix = ".g_idx";

/// One quantized linear layer, read as a logical `[out, in]` matrix of 4-bit
/// integers with a scale and a zero point per (output row, group). Views
/// into the checkpoint, which must outlive it.
class QuantizedLinear {
public:
  /// Checks the tensors `prefix.qweight`, `.qzeros`, `.scales` and (GPTQ,
  /// when present) `.g_idx` against each other and `config`: dtypes, shapes,
  /// group size dividing the input channels, g_idx values in range. Errors
  /// name the file and the offending tensor.
  static llvm::Expected<QuantizedLinear>
  open(const SafetensorsCheckpoint &checkpoint, llvm::StringRef prefix,
       const QuantizationConfig &config);

  const QuantizationConfig &getConfig() const { return config; }
  /// `prefix.qweight`.
  const SafetensorsTensor &getQWeight() const { return *qweight; }
  /// N.
  int64_t getOutFeatures() const { return outFeatures; }
  /// K.
  int64_t getInFeatures() const { return inFeatures; }
  /// Input channels per group (K when the config says -1).
  int64_t getGroupSize() const { return groupSize; }
  int64_t getNumGroups() const { return numGroups; }
  /// The dtype of the scales (F16, BF16 or F32).
  SafetensorsDType getScaleDType() const { return scales->dtype; }
  /// Whether input channel k is in group k / group_size for every k: no
  /// g_idx, or one that act-order did not reorder.
  bool hasContiguousGroups() const { return contiguousGroups; }
  /// Whether every zero point is 8, i.e. q - 8 is a signed int4.
  bool isSymmetric() const { return symmetric; }

  /// The 4-bit value of row n, input channel k.
  uint8_t getValue(int64_t n, int64_t k) const;
  /// The group of input channel k.
  int64_t getGroup(int64_t k) const;
  /// The real zero point of row n in group g (0..16: GPTQ's offset can give
  /// 16).
  int32_t getZero(int64_t n, int64_t g) const;
  /// The scale of row n in group g.
  float getScale(int64_t n, int64_t g) const;

  /// Appends the `[N, K]` weight, row-major: scale * (q - zero) in f32.
  void dequantize(std::vector<float> &out) const;

private:
  QuantizedLinear() = default;

  QuantizationConfig config;
  const SafetensorsTensor *qweight = nullptr, *qzeros = nullptr,
                          *scales = nullptr, *gIdx = nullptr;
  int64_t outFeatures = 0, inFeatures = 0, groupSize = 0, numGroups = 0;
  bool contiguousGroups = true, symmetric = false;
};

} // namespace ingot::hf

#endif // INGOT_FRONTENDS_HF_QUANTIZED_H
