//===- KVCacheTest.cpp - KV-cache encodings, ingot.hadamard, --kv-cache ---===//
//
// The storage size of each encoding against sizes computed by hand; the
// reference kernels of ingot.hadamard against an O(d^2) product with the
// explicit Sylvester matrix; every encoding's round trip against its bound
// (q8/q4: half a step per element; tq: the mean squared error per coordinate
// of Gaussian vectors against the Lloyd-Max distortion of a Gaussian source,
// Max 1960: 0.03455 at 3 bits, 0.009497 at 4 bits, times |x|^2 / d); the
// parser of --kv-cache values.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Evaluator.h"
#include "compiler/reference/Kernels.h"
#include "compiler/reference/RefValue.h"
#include "compiler/reference/WeightReader.h"
#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/graph/Passes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::ingot;
using namespace ::ingot::reference;

namespace {

class KVCacheTest : public ::testing::Test {
protected:
  KVCacheTest() { context.loadDialect<IngotDialect>(); }

  KVCacheType cache(int64_t headDim, Type element, KVQuantAttr quant = {}) {
    return KVCacheType::get(&context, 16, 3, headDim, element, quant);
  }
  KVQuantAttr quant(KVQuantKind kind) {
    return KVQuantAttr::get(&context, kind);
  }
  Type f32() { return Float32Type::get(&context); }
  Type f16() { return Float16Type::get(&context); }
  Type bf16() { return BFloat16Type::get(&context); }

  MLIRContext context;
};

TEST_F(KVCacheTest, BytesPerTokenHead) {
  // head_dim 64: f32 4 B each; f16/bf16 2 B; q8 64 B + 2 blocks of 32 with
  // an f16 scale each; q4 32 B + 2 scales; tq4 32 B + f16 norm; tq3 24 B +
  // norm.
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f32())), 256);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f16())), 128);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, bf16())), 128);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f16(), quant(KVQuantKind::q8))),
            68);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f16(), quant(KVQuantKind::q4))),
            36);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f16(), quant(KVQuantKind::tq4))),
            34);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f16(), quant(KVQuantKind::tq3))),
            26);
  // head_dim 128: 4 blocks; tq3 48 B + 2.
  EXPECT_EQ(getKVBytesPerTokenHead(cache(128, f32(), quant(KVQuantKind::q8))),
            136);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(128, f32(), quant(KVQuantKind::tq3))),
            50);
  // head_dim 16: one block of 16; tq3 6 B + 2.
  EXPECT_EQ(getKVBytesPerTokenHead(cache(16, f32(), quant(KVQuantKind::q4))),
            10);
  EXPECT_EQ(getKVBytesPerTokenHead(cache(16, f32(), quant(KVQuantKind::tq3))),
            8);
  // The element type does not change a quantized size.
  EXPECT_EQ(getKVBytesPerTokenHead(cache(64, f32(), quant(KVQuantKind::q8))),
            68);
}

/// `n` samples of N(0, 1) from `seed`.
std::vector<float> gaussian(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  std::vector<float> values(n);
  for (float &v : values)
    v = dist(rng);
  return values;
}

TEST_F(KVCacheTest, HadamardMatchesExplicitMatrix) {
  for (int64_t n : {1, 2, 8, 64}) {
    const uint64_t seed = 1234;
    std::vector<float> data = gaussian(3 * n, 7);
    RefValue x = RefValue::getFloatTensor({3, n}, data);
    auto y = hadamard(x, seed, /*inverse=*/false);
    ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t i = 0; i < n; ++i) {
        // (W D x)_i / sqrt(n), W[i][j] = (-1)^popcount(i & j).
        double sum = 0.0;
        for (int64_t j = 0; j < n; ++j) {
          double w = (__builtin_popcountll(i & j) % 2) ? -1.0 : 1.0;
          double d = isHadamardSignNegative(seed, j) ? -1.0 : 1.0;
          sum += w * d * data[r * n + j];
        }
        EXPECT_NEAR(y->getFloats()[r * n + i], sum / std::sqrt(double(n)),
                    1e-5)
            << "n " << n << " row " << r << " i " << i;
      }
  }
}

TEST_F(KVCacheTest, HadamardInverseAndNorms) {
  const int64_t n = 128;
  std::vector<float> data = gaussian(5 * n, 11);
  RefValue x = RefValue::getFloatTensor({5, 1, n}, data);
  auto y = hadamard(x, 99, false);
  ASSERT_TRUE(static_cast<bool>(y));
  auto back = hadamard(*y, 99, true);
  ASSERT_TRUE(static_cast<bool>(back));
  for (int64_t r = 0; r < 5; ++r) {
    double before = 0.0, after = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      before += double(data[r * n + i]) * data[r * n + i];
      after += double(y->getFloats()[r * n + i]) * y->getFloats()[r * n + i];
      EXPECT_NEAR(back->getFloats()[r * n + i], data[r * n + i], 1e-5);
    }
    EXPECT_NEAR(after, before, 1e-4 * before);
  }
  // Different seeds give different rotations; the signs are not all equal.
  auto other = hadamard(x, 100, false);
  ASSERT_TRUE(static_cast<bool>(other));
  EXPECT_NE(other->getFloats(), y->getFloats());
  int negative = 0;
  for (int64_t i = 0; i < n; ++i)
    negative += isHadamardSignNegative(99, i);
  EXPECT_GT(negative, n / 4);
  EXPECT_LT(negative, 3 * n / 4);
  // Not a power of two: an error, not a crash.
  RefValue bad = RefValue::getFloatTensor({2, 3}, std::vector<float>(6));
  auto failed = hadamard(bad, 1, false);
  EXPECT_FALSE(static_cast<bool>(failed));
  llvm::consumeError(failed.takeError());
}

/// The f16 value at or above `value`'s f16 rounding (for the bound).
double halfStep(double maxAbs, double levels) {
  // The scale is the smallest f16 >= maxAbs / levels; f16 has 11
  // significant bits, so it is at most (1 + 2^-10) times the exact ratio.
  return maxAbs / levels * (1.0 + 1.0 / 1024) / 2.0;
}

TEST_F(KVCacheTest, BlockEncodingsWithinHalfAStep) {
  for (auto [kind, levels] : {std::make_pair(KVQuantKind::q8, 127.0),
                              std::make_pair(KVQuantKind::q4, 7.0)}) {
    for (int64_t d : {16, 64, 128}) {
      std::vector<float> data = gaussian(200 * d, 3);
      for (int64_t v = 0; v < 200; ++v) {
        std::vector<float> vector(data.begin() + v * d,
                                  data.begin() + (v + 1) * d);
        roundTripKVVector(quant(kind), vector);
        int64_t block = std::min<int64_t>(32, d);
        for (int64_t b = 0; b < d; b += block) {
          double maxAbs = 0.0;
          for (int64_t i = b; i < b + block; ++i)
            maxAbs = std::max(maxAbs, std::fabs(double(data[v * d + i])));
          double bound = halfStep(maxAbs, levels) + 1e-7;
          for (int64_t i = b; i < b + block; ++i)
            ASSERT_LE(std::fabs(vector[i] - data[v * d + i]), bound)
                << stringifyKVQuantKind(kind).str() << " d " << d;
        }
      }
    }
  }
  // A zero vector stays zero.
  std::vector<float> zeros(32, 0.0f);
  roundTripKVVector(quant(KVQuantKind::q4), zeros);
  EXPECT_EQ(zeros, std::vector<float>(32, 0.0f));
}

TEST_F(KVCacheTest, TurboDistortionNearLloydMax) {
  // Gaussian vectors, rotated (their distribution is rotation invariant,
  // the rotation is what the graph applies): mean squared error per
  // coordinate, relative to |x|^2 / d, within 20% of the Gaussian
  // Lloyd-Max distortion.
  for (auto [kind, bits, distortion] :
       {std::make_tuple(KVQuantKind::tq3, 3, 0.03455),
        std::make_tuple(KVQuantKind::tq4, 4, 0.009497)}) {
    for (int64_t d : {64, 128}) {
      const int64_t count = 400;
      std::vector<float> data = gaussian(count * d, 5);
      auto rotated =
          hadamard(RefValue::getFloatTensor({count, d}, data), 17, false);
      ASSERT_TRUE(static_cast<bool>(rotated));
      double relative = 0.0;
      for (int64_t v = 0; v < count; ++v) {
        std::vector<float> vector(rotated->getFloats().begin() + v * d,
                                  rotated->getFloats().begin() + (v + 1) * d);
        std::vector<float> original = vector;
        roundTripKVVector(quant(kind), vector);
        double error = 0.0, norm = 0.0;
        for (int64_t i = 0; i < d; ++i) {
          error += std::pow(double(vector[i]) - original[i], 2);
          norm += double(original[i]) * original[i];
        }
        relative += error / norm;
      }
      relative /= count;
      EXPECT_NEAR(relative, distortion, 0.2 * distortion)
          << "tq" << bits << " d " << d;
      // The tabulated distortion (for the exact sphere marginal) agrees
      // with the Gaussian one as well at these sizes.
      EXPECT_NEAR(getTurboDistortion(d, bits) * d, distortion,
                  0.1 * distortion);
    }
  }
}

/// A layer's fused attention over caches of 8 positions, 2 KV heads of 8,
/// `extra` its additional attributes.
std::string attentionWithCaches(llvm::StringRef extra = "") {
  return (R"(
func.func @f(%q: tensor<?x4x8xf32>, %k: tensor<?x2x8xf32>, %v: tensor<?x2x8xf32>, %kc: !ingot.kv_cache<8x2x8xf32>, %vc: !ingot.kv_cache<8x2x8xf32>, %pos: index) -> (tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32>) {
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.35 : f32)" +
          extra + R"(} : tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32> -> tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32>
  return %o, %kc1, %vc1 : tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32>
}
)")
      .str();
}

TEST_F(KVCacheTest, SubtractKeyMeansIsExact) {
  // Keys with a large common offset per head and channel; subtracting a
  // vector close to it leaves the attention output as it was (softmax does
  // not see a shift shared by all keys) and the cache holds k - mu.
  context.loadDialect<func::FuncDialect>();
  OwningOpRef<ModuleOp> plain =
      parseSourceString<ModuleOp>(attentionWithCaches(), &context);
  OwningOpRef<ModuleOp> shifted =
      parseSourceString<ModuleOp>(attentionWithCaches(), &context);
  ASSERT_TRUE(plain && shifted);
  const int64_t tokens = 5, row = 2 * 8;
  std::vector<float> q = gaussian(tokens * 4 * 8, 1);
  std::vector<float> k = gaussian(tokens * row, 2);
  std::vector<float> v = gaussian(tokens * row, 3);
  std::vector<float> mean = gaussian(row, 4);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < row; ++i)
      k[t * row + i] += 4.0f * mean[i];
  for (float &m : mean)
    m *= 4.0f;
  auto fn = shifted->lookupSymbol<func::FuncOp>("f");
  ASSERT_TRUE(succeeded(subtractKeyMeans(fn, {mean})));
  // The key operand is now `reshape (sub (reshape %k), constant)`.
  fn.walk([&](AttentionOp op) {
    auto reshape = op.getKey().getDefiningOp<ReshapeOp>();
    ASSERT_TRUE(reshape);
    auto sub = reshape.getX().getDefiningOp<SubOp>();
    ASSERT_TRUE(sub);
    EXPECT_TRUE(sub.getRhs().getDefiningOp<ConstantOp>());
  });

  RefValue empty =
      llvm::cantFail(getZeroValue(KVCacheType::get(&context, 8, 2, 8, f32(), {})));
  auto args = [&]() {
    std::vector<RefValue> values{
        RefValue::getFloatTensor({tokens, 4, 8}, q),
        RefValue::getFloatTensor({tokens, 2, 8}, k),
        RefValue::getFloatTensor({tokens, 2, 8}, v),
        empty, empty, RefValue::getScalar(0)};
    return values;
  };
  InMemoryWeightReader weights;
  auto before = evaluate(plain->lookupSymbol<func::FuncOp>("f"), args(),
                         weights);
  auto after = evaluate(fn, args(), weights);
  ASSERT_TRUE(bool(before)) << llvm::toString(before.takeError());
  ASSERT_TRUE(bool(after)) << llvm::toString(after.takeError());
  const std::vector<float> &o0 = (*before)[0].getFloats();
  const std::vector<float> &o1 = (*after)[0].getFloats();
  ASSERT_EQ(o0.size(), o1.size());
  for (size_t i = 0; i < o0.size(); ++i)
    EXPECT_NEAR(o0[i], o1[i], 1e-5) << "output " << i;
  const std::vector<float> &stored = (*after)[1].getFloats();
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < row; ++i)
      EXPECT_NEAR(stored[t * row + i], k[t * row + i] - mean[i], 1e-6)
          << "token " << t << " channel " << i;
}

TEST_F(KVCacheTest, SubtractKeyMeansRefusals) {
  context.loadDialect<func::FuncDialect>();
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(attentionWithCaches(), &context);
  ASSERT_TRUE(module);
  auto fn = module->lookupSymbol<func::FuncOp>("f");
  std::vector<float> mean(16, 1.0f);
  EXPECT_TRUE(failed(subtractKeyMeans(fn, {})));
  EXPECT_EQ(message, "key means for 0 attention ops, but the function has 1 "
                     "with caches");
  EXPECT_TRUE(failed(subtractKeyMeans(fn, {std::vector<float>(15)})));
  EXPECT_EQ(message, "a key mean of 15 elements for keys of 16 per token");
  // Nothing changed by the refusals.
  fn.walk([&](AttentionOp op) { EXPECT_FALSE(op.getKey().getDefiningOp()); });

  OwningOpRef<ModuleOp> capped = parseSourceString<ModuleOp>(
      attentionWithCaches(", softcap = 30.0 : f32"), &context);
  ASSERT_TRUE(capped);
  EXPECT_TRUE(failed(
      subtractKeyMeans(capped->lookupSymbol<func::FuncOp>("f"), {mean})));
  EXPECT_EQ(message, "key means cannot be subtracted under a softcap (it does "
                     "not commute with shifting the scores)");
}

TEST_F(KVCacheTest, ParseKVCacheSpec) {
  auto both = parseKVCacheSpec(&context, "tq3");
  ASSERT_TRUE(static_cast<bool>(both));
  EXPECT_EQ(both->keys.quant, quant(KVQuantKind::tq3));
  EXPECT_EQ(both->values.quant, quant(KVQuantKind::tq3));

  auto mixed = parseKVCacheSpec(&context, "k:q8,v:tq4");
  ASSERT_TRUE(static_cast<bool>(mixed));
  EXPECT_EQ(mixed->keys.quant, quant(KVQuantKind::q8));
  EXPECT_EQ(mixed->values.quant, quant(KVQuantKind::tq4));

  auto plain = parseKVCacheSpec(&context, "v:bf16,k:f16");
  ASSERT_TRUE(static_cast<bool>(plain));
  EXPECT_EQ(plain->keys.elementType, f16());
  EXPECT_EQ(plain->values.elementType, bf16());
  EXPECT_FALSE(plain->keys.quant);

  auto keysOnly = parseKVCacheSpec(&context, "k:q4");
  ASSERT_TRUE(static_cast<bool>(keysOnly));
  EXPECT_FALSE(keysOnly->values.isSet());

  auto expectError = [&](llvm::StringRef text, llvm::StringRef message) {
    auto spec = parseKVCacheSpec(&context, text);
    ASSERT_FALSE(static_cast<bool>(spec)) << text.str();
    EXPECT_EQ(llvm::toString(spec.takeError()), message.str());
  };
  expectError("tq7", "unknown KV-cache encoding 'tq7' (expected f32, f16, "
                     "bf16, q8, q4, tq4 or tq3)");
  expectError("k:q8,v:tq7",
              "invalid KV-cache spec 'k:q8,v:tq7': unknown encoding 'tq7' "
              "(expected ENC or k:ENC,v:ENC with ENC one of f32, f16, bf16, "
              "q8, q4, tq4 or tq3)");
  expectError("x:q8", "invalid KV-cache spec 'x:q8': 'x:q8' is not k:ENC or "
                      "v:ENC (expected ENC or k:ENC,v:ENC with ENC one of "
                      "f32, f16, bf16, q8, q4, tq4 or tq3)");
  expectError("k:q8,k:q4",
              "invalid KV-cache spec 'k:q8,k:q4': 'k:' given twice "
              "(expected ENC or k:ENC,v:ENC with ENC one of f32, f16, bf16, "
              "q8, q4, tq4 or tq3)");
  expectError("", "unknown KV-cache encoding '' (expected f32, f16, bf16, "
                  "q8, q4, tq4 or tq3)");
}

} // namespace
