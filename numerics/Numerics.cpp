//===- Numerics.cpp - Arithmetic the compiler and the reference share -----===//

#include "numerics/Numerics.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace ingot::numerics {

static constexpr double kPi = 3.14159265358979323846;

std::pair<std::vector<double>, double>
getRopeFrequencies(double theta, int64_t rotaryDim,
                   const RopeScaling &scaling) {
  int64_t half = rotaryDim / 2;
  double dim = static_cast<double>(rotaryDim);
  std::vector<double> inv(half);
  for (int64_t i = 0; i < half; ++i)
    inv[i] = 1.0 / std::pow(theta, (2.0 * i) / dim);
  double factor = scaling.factor;
  double original = scaling.originalMaxPosition;
  switch (scaling.kind) {
  case RopeScaling::None:
    return {inv, 1.0};
  case RopeScaling::Linear:
    // Positions divided by the factor: the same as the frequencies.
    for (double &f : inv)
      f /= factor;
    return {inv, 1.0};
  case RopeScaling::Llama3: {
    // transformers' _compute_llama3_parameters.
    double low = scaling.lowFreqFactor;
    double high = scaling.highFreqFactor;
    double lowWavelen = original / low;
    double highWavelen = original / high;
    for (double &f : inv) {
      double wavelen = 2.0 * kPi / f;
      if (wavelen < highWavelen)
        continue;
      if (wavelen > lowWavelen) {
        f /= factor;
        continue;
      }
      double smooth = (original / wavelen - low) / (high - low);
      f = (1.0 - smooth) * f / factor + smooth * f;
    }
    return {inv, 1.0};
  }
  case RopeScaling::Yarn: {
    // transformers' _compute_yarn_parameters (truncate = true): the
    // original context is original_max_position, attn_factor is given.
    double betaFast = scaling.betaFast;
    double betaSlow = scaling.betaSlow;
    auto correctionDim = [&](double rotations) {
      return dim * std::log(original / (rotations * 2.0 * kPi)) /
             (2.0 * std::log(theta));
    };
    double lowDim = std::max(std::floor(correctionDim(betaFast)), 0.0);
    double highDim = std::min(std::ceil(correctionDim(betaSlow)), dim - 1.0);
    if (lowDim == highDim)
      highDim += 0.001;
    for (int64_t i = 0; i < half; ++i) {
      double extrapolation = inv[i];
      double interpolation = inv[i] / factor;
      double ramp = std::clamp((i - lowDim) / (highDim - lowDim), 0.0, 1.0);
      double extrapolationFactor = 1.0 - ramp;
      inv[i] = interpolation * (1.0 - extrapolationFactor) +
               extrapolation * extrapolationFactor;
    }
    return {inv, scaling.attnFactor};
  }
  }
  return {inv, 1.0};
}

bool isHadamardSignNegative(uint64_t seed, int64_t i) {
  uint64_t z = seed + static_cast<uint64_t>(i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z >> 63;
}

void hadamardRows(llvm::MutableArrayRef<float> data, int64_t n, uint64_t seed,
                  bool inverse) {
  assert(n >= 1 && (n & (n - 1)) == 0 && data.size() % n == 0 &&
         "rows of a power-of-two length");
  std::vector<bool> negative(n);
  for (int64_t i = 0; i < n; ++i)
    negative[i] = isHadamardSignNegative(seed, i);
  std::vector<double> v(n);
  double norm = 1.0 / std::sqrt(static_cast<double>(n));
  for (size_t base = 0; base < data.size(); base += n) {
    for (int64_t i = 0; i < n; ++i)
      v[i] = data[base + i];
    if (!inverse)
      for (int64_t i = 0; i < n; ++i)
        if (negative[i])
          v[i] = -v[i];
    for (int64_t h = 1; h < n; h *= 2)
      for (int64_t i = 0; i < n; i += 2 * h)
        for (int64_t j = i; j < i + h; ++j) {
          double a = v[j], b = v[j + h];
          v[j] = a + b;
          v[j + h] = a - b;
        }
    for (int64_t i = 0; i < n; ++i) {
      double value = v[i] * norm;
      if (inverse && negative[i])
        value = -value;
      data[base + i] = static_cast<float>(value);
    }
  }
}

std::vector<int64_t> getStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

float roundToSemantics(float value, const llvm::fltSemantics &semantics) {
  if (llvm::APFloat::semanticsSizeInBits(semantics) >= 32)
    return value;
  llvm::APFloat rounded(value);
  bool losesInfo = false;
  rounded.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  rounded.convert(llvm::APFloat::IEEEsingle(),
                  llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return rounded.convertToFloat();
}

void roundToSemantics(llvm::MutableArrayRef<float> data,
                      const llvm::fltSemantics &semantics) {
  if (llvm::APFloat::semanticsSizeInBits(semantics) >= 32)
    return;
  for (float &value : data)
    value = roundToSemantics(value, semantics);
}

} // namespace ingot::numerics
