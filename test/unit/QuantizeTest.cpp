//===- QuantizeTest.cpp - Round-to-nearest weight quantization ------------===//
//
// Every format's quantize→dequantize error stays within its theoretical RTN
// bound, computed here from each block's own max/min (not from the bytes the
// quantizer wrote); GGUF block bytes are read back with
// numerics/Dequantize.h's dequantizers; q8_0 and q4_0 bytes equal those the gguf package wrote into
// the llama fixture from the same f32 weights.
//
//===----------------------------------------------------------------------===//

#include "compiler/pack/Quantize.h"

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/WeightEncodings.h"
#include "frontends/gguf/GGUFReader.h"
#include "numerics/Dequantize.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace ingot;
using namespace mlir::ingot;

namespace {

/// f16(x) as a double, rounded independently of the code under test.
double roundToHalf(double x) {
  llvm::APFloat value(static_cast<float>(x));
  bool lost;
  value.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
  value.convert(llvm::APFloat::IEEEdouble(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
  return value.convertToDouble();
}

/// Test data: `rows` rows of `cols`, mixing plain Gaussian rows, rows with
/// outliers, all-positive, all-negative, constant and all-zero blocks.
std::vector<float> makeData(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> data(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      float v = normal(rng);
      switch (r % 6) {
      case 1:
        if (c % 37 == 5)
          v *= 40.0f; // Outliers.
        break;
      case 2:
        v = std::fabs(v) + 0.01f;
        break;
      case 3:
        v = -std::fabs(v) - 0.3f;
        break;
      case 4:
        v = 0.125f;
        break;
      case 5:
        v = (c < cols / 2) ? 0.0f : v * 1e-3f;
        break;
      }
      data[r * cols + c] = v;
    }
  }
  return data;
}

/// Max |x| over [first, first + n).
double absMax(const float *x, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, std::fabs(double(x[i])));
  return m;
}

/// Checks |x - y| <= bound(block, i) + 1e-6·max|x| for every element.
template <typename Bound>
void expectWithin(const std::vector<float> &x, const std::vector<float> &y,
                  int64_t block, Bound bound, const char *what) {
  ASSERT_EQ(x.size(), y.size());
  int64_t failures = 0;
  for (size_t b = 0; b < x.size() / block; ++b) {
    const float *xb = x.data() + b * block;
    double slack = 1e-6 * absMax(xb, block) + 1e-30;
    for (int64_t i = 0; i < block; ++i) {
      double err = std::fabs(double(xb[i]) - double(y[b * block + i]));
      double limit = bound(xb, i) + slack;
      if (err > limit && failures++ < 5)
        ADD_FAILURE() << what << ": element " << b * block + i << " x = "
                      << xb[i] << " got " << y[b * block + i] << " error "
                      << err << " > bound " << limit;
    }
  }
  EXPECT_EQ(failures, 0);
}

/// The error message of a failed result ("" when it succeeded).
template <typename T> std::string message(llvm::Expected<T> result) {
  if (result)
    return "";
  return llvm::toString(result.takeError());
}

class QuantizeTest : public ::testing::Test {
protected:
  QuantizeTest() { context.loadDialect<IngotDialect>(); }
  mlir::MLIRContext context;
};

std::vector<float> ggufDequantize(gguf::GGMLType type,
                                  const std::vector<uint8_t> &bytes,
                                  size_t count) {
  std::vector<float> out(count);
  llvm::Error err = gguf::dequantize(type, bytes, out);
  EXPECT_FALSE(err) << llvm::toString(std::move(err));
  return out;
}

TEST(HalfTest, RoundsToNearestEven) {
  // Every finite half round-trips; every float between two halves goes to
  // the nearer (ties to even), as APFloat rounds.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00)
      continue;
    float v = gguf::halfToFloat(static_cast<uint16_t>(h));
    EXPECT_EQ(pack::floatToHalf(v), h) << h;
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0x477fffff);
  for (int i = 0; i < 200000; ++i) {
    float v = llvm::bit_cast<float>(bits(rng));
    llvm::APFloat ap(v);
    bool lost;
    ap.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
               &lost);
    ASSERT_EQ(pack::floatToHalf(v),
              ap.bitcastToAPInt().getZExtValue())
        << v;
  }
  EXPECT_EQ(pack::floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(pack::floatToHalf(-1e9f), 0xfc00);
}

TEST_F(QuantizeTest, Q8_0WithinHalfStep) {
  std::vector<float> x = makeData(12, 256, 1);
  auto bytes = pack::quantizeQ8_0(x);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  ASSERT_EQ(bytes->size(), x.size() / 32 * 34);
  std::vector<float> y = ggufDequantize(gguf::GGMLType::Q8_0, *bytes, x.size());
  // d = amax / 127; half a step, plus 127 times the f16 rounding of d.
  expectWithin(x, y, 32, [](const float *b, int64_t) {
    double d = absMax(b, 32) / 127.0;
    return d / 2 + 127 * std::fabs(d - roundToHalf(d));
  }, "q8_0");
}

TEST_F(QuantizeTest, Q4_0WithinHalfStepExceptClippedEnd) {
  std::vector<float> x = makeData(12, 256, 2);
  auto bytes = pack::quantizeQ4_0(x);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  ASSERT_EQ(bytes->size(), x.size() / 32 * 18);
  std::vector<float> y = ggufDequantize(gguf::GGMLType::Q4_0, *bytes, x.size());
  // Levels d·k, k in -8..7, with d = max / -8 (max the signed element of
  // largest magnitude): distance to the nearest level, plus 8 times the f16
  // rounding of d.
  expectWithin(x, y, 32, [](const float *b, int64_t i) {
    double amax = absMax(b, 32), max = 0;
    for (int j = 0; j < 32; ++j)
      if (std::fabs(double(b[j])) == amax) {
        max = b[j];
        break;
      }
    double d = max / -8.0;
    double nearest = INFINITY;
    for (int k = -8; k <= 7; ++k)
      nearest = std::min(nearest, std::fabs(double(b[i]) - d * k));
    return nearest + 8 * std::fabs(d - roundToHalf(d));
  }, "q4_0");
  // And the nearest level is within half a step except beyond 7.5 steps.
}

TEST_F(QuantizeTest, Q4_KWithinHalfStepPlusScaleRounding) {
  std::vector<float> x = makeData(12, 512, 3);
  auto bytes = pack::quantizeQ4_K(x);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  ASSERT_EQ(bytes->size(), x.size() / 256 * 144);
  std::vector<float> y = ggufDequantize(gguf::GGMLType::Q4_K, *bytes, x.size());
  // Sub-block j spans [min(0, lo_j), hi_j]: ideal step s_j = span / 15.
  // The 6-bit min rounds up by at most one super-step M/63 (M the largest
  // -min(0, lo_j)), widening the span by as much; the 6-bit scale rounds up
  // by at most one super-step S/63 (S the largest widened step). The f16
  // super-steps are rounded up too (factor 1 + 2^-10).
  expectWithin(x, y, 256, [](const float *b, int64_t i) {
    double steps[8], mins = 0, widest = 0;
    for (int j = 0; j < 8; ++j) {
      double lo = 0, hi = -INFINITY;
      for (int l = 0; l < 32; ++l) {
        lo = std::min(lo, double(b[32 * j + l]));
        hi = std::max(hi, double(b[32 * j + l]));
      }
      hi = std::max(hi, lo);
      steps[j] = (hi - lo) / 15;
      mins = std::max(mins, -lo);
    }
    double minStep = mins / 63 * (1 + 0x1p-10);
    for (int j = 0; j < 8; ++j)
      widest = std::max(widest, steps[j] + minStep / 15);
    double scaleStep = widest / 63 * (1 + 0x1p-10);
    return (steps[i / 32] + minStep / 15 + scaleStep) / 2;
  }, "q4_k");
}

TEST_F(QuantizeTest, GroupsWithinHalfStep) {
  for (int64_t bits : {4, 8}) {
    for (int64_t groupSize : {32, 64, 128}) {
      for (bool symmetric : {true, false}) {
        SCOPED_TRACE(testing::Message() << "int" << bits << "-g" << groupSize
                                        << (symmetric ? "" : "-asym"));
        std::vector<float> x = makeData(12, 256, 4 + bits + groupSize);
        auto encoding =
            GroupQuantAttr::get(&context, bits, groupSize, symmetric);
        auto bytes = pack::quantize(x, {12, 256}, encoding);
        ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
        auto type = mlir::RankedTensorType::get(
            {12, 256}, mlir::Float32Type::get(&context), encoding);
        EXPECT_EQ(int64_t(bytes->size()), *getStorageBytes(type));
        auto y = pack::dequantize(*bytes, {12, 256}, encoding);
        ASSERT_TRUE(bool(y)) << llvm::toString(y.takeError());
        // Symmetric: s = amax / (2^(bits-1) - 1), codes ±(2^(bits-1) - 1).
        // Asymmetric: s = (max(0, hi) - min(0, lo)) / (2^bits - 1).
        double q = symmetric ? double((1 << (bits - 1)) - 1)
                             : double((1 << bits) - 1);
        expectWithin(x, *y, groupSize, [&](const float *b, int64_t) {
          double lo = 0, hi = 0;
          for (int64_t l = 0; l < groupSize; ++l) {
            lo = std::min(lo, double(b[l]));
            hi = std::max(hi, double(b[l]));
          }
          double s = symmetric ? std::max(-lo, hi) / q : (hi - lo) / q;
          double s16 = roundToHalf(s);
          return std::max(s, s16) / 2 + q * std::fabs(s - s16);
        }, "group");
      }
    }
  }
}

TEST_F(QuantizeTest, GroupLayout) {
  // One int4 symmetric group of 32: scale 7/7 = 1, codes x + 8, element 2i
  // in the low nibble.
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i)
    x[i] = static_cast<float>(i % 15 - 7);
  auto bytes = pack::quantizeGroups(x, 4, 32, /*symmetric=*/true);
  ASSERT_TRUE(bool(bytes));
  ASSERT_EQ(bytes->size(), 2u + 16u);
  EXPECT_EQ((*bytes)[0], 0x00); // f16 1.0 = 0x3c00, little-endian.
  EXPECT_EQ((*bytes)[1], 0x3c);
  // Elements 0 and 1 are -7 and -6: codes 1 and 2.
  EXPECT_EQ((*bytes)[2], 0x21);
  // Asymmetric int8 over [0, 255]: scale 1, zero 0, codes = values.
  std::vector<float> ramp(64);
  for (int i = 0; i < 64; ++i)
    ramp[i] = static_cast<float>(i * 4 + 3);
  auto asym = pack::quantizeGroups(ramp, 8, 64, /*symmetric=*/false);
  ASSERT_TRUE(bool(asym));
  ASSERT_EQ(asym->size(), 4u + 64u);
  // Range [0, 255]: scale = 255/255 = 1 (0x3c00), zero 0.
  EXPECT_EQ((*asym)[1], 0x3c);
  EXPECT_EQ((*asym)[2], 0);
  EXPECT_EQ((*asym)[3], 0);
  EXPECT_EQ((*asym)[4 + 10], 43);
}

TEST_F(QuantizeTest, QuantizeDequantizeByEncoding) {
  std::vector<float> x = makeData(2, 256, 9);
  for (BlockFormat format :
       {BlockFormat::q8_0, BlockFormat::q4_0, BlockFormat::q4_k}) {
    auto encoding = BlockQuantAttr::get(&context, format);
    auto y = pack::quantizeDequantize(x, {2, 256}, encoding);
    ASSERT_TRUE(bool(y)) << llvm::toString(y.takeError());
    auto bytes = pack::quantize(x, {2, 256}, encoding);
    ASSERT_TRUE(bool(bytes));
    auto type = mlir::RankedTensorType::get(
        {2, 256}, mlir::Float32Type::get(&context), encoding);
    EXPECT_EQ(int64_t(bytes->size()), *getStorageBytes(type));
    auto direct = pack::dequantize(*bytes, {2, 256}, encoding);
    ASSERT_TRUE(bool(direct));
    EXPECT_EQ(*y, *direct);
  }
  // No encoding: the values unchanged.
  auto same = pack::quantizeDequantize(x, {2, 256}, nullptr);
  ASSERT_TRUE(bool(same));
  EXPECT_EQ(*same, x);
}

TEST_F(QuantizeTest, Errors) {
  std::vector<float> x(96, 0.5f);
  // 96 is not a whole number of q4_k blocks or 64-groups.
  auto q4k = BlockQuantAttr::get(&context, BlockFormat::q4_k);
  llvm::Error err = mlir::ingot::checkQuantizable({1, 96}, q4k);
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "last dimension 96 is not a multiple of the q4_k block size 256");
  auto g64 = GroupQuantAttr::get(&context, 4, 64, false);
  auto bad = pack::quantizeDequantize(x, {1, 96}, g64);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "last dimension 96 is not a multiple of the int4-g64-asym block "
            "size 64");
  // A shape whose total is a multiple but whose rows are not: 2 x 48 for
  // 32-element blocks.
  auto q8 = BlockQuantAttr::get(&context, BlockFormat::q8_0);
  EXPECT_EQ(message(pack::quantize(x, {2, 48}, q8)),
            "last dimension 48 is not a multiple of the q8_0 block size 32");
  // Raw functions check the count.
  EXPECT_EQ(message(pack::quantizeQ8_0(llvm::ArrayRef<float>(x).take_front(40))),
            "40 elements are not a whole number of q8_0 blocks of 32");
  EXPECT_EQ(message(pack::quantizeQ4_K(x)),
            "96 elements are not a whole number of q4_k blocks of 256");
  // Non-finite input.
  std::vector<float> nan(32, 1.0f);
  nan[3] = NAN;
  EXPECT_NE(message(pack::quantizeQ4_0(nan)).find("element 3 is not finite"),
            std::string::npos);
  // Formats the quantizer does not write.
  auto q6k = BlockQuantAttr::get(&context, BlockFormat::q6_k);
  err = mlir::ingot::checkQuantizable({1, 256}, q6k);
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("q6_k is not supported"),
            std::string::npos);
  // Group records of the wrong size.
  std::vector<float> out(64);
  std::vector<uint8_t> few(10);
  err = pack::dequantizeGroups(few, 8, 64, true, out);
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "64 elements in groups of 64 take 66 bytes, but 10 were given");
}

/// The llama fixture's q8_0 and q4_0 files were written by the gguf package
/// from the f32 file's weights: quantizing the f32 tensors in-process must
/// give the same bytes.
TEST_F(QuantizeTest, MatchesGGUFPackageOnFixture) {
  std::string dir = INGOT_MODEL_FIXTURES_DIR "/llama/";
  auto f32 = gguf::GGUFReader::open(dir + "model-f32.gguf");
  ASSERT_TRUE(bool(f32)) << llvm::toString(f32.takeError());
  for (const char *name : {"model-q8_0.gguf", "model-q4_0.gguf"}) {
    auto quant = gguf::GGUFReader::open(dir + name);
    ASSERT_TRUE(bool(quant)) << llvm::toString(quant.takeError());
    int64_t compared = 0;
    for (const gguf::GGUFTensorInfo &info : (*quant)->getTensors()) {
      if (info.type != gguf::GGMLType::Q8_0 &&
          info.type != gguf::GGMLType::Q4_0)
        continue;
      auto source = (*f32)->getTensor(info.name);
      ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
      ASSERT_EQ(source->type, gguf::GGMLType::F32);
      std::vector<float> values(source->numElements);
      ASSERT_FALSE(bool(gguf::dequantize(gguf::GGMLType::F32, source->data,
                                         values)));
      auto bytes = info.type == gguf::GGMLType::Q8_0
                       ? pack::quantizeQ8_0(values)
                       : pack::quantizeQ4_0(values);
      ASSERT_TRUE(bool(bytes));
      ASSERT_EQ(bytes->size(), info.data.size()) << info.name.str();
      size_t differ = 0;
      for (size_t i = 0; i < bytes->size(); ++i)
        differ += (*bytes)[i] != info.data[i];
      EXPECT_EQ(differ, 0u) << name << " " << info.name.str();
      ++compared;
    }
    EXPECT_GT(compared, 5) << name;
  }
}

} // namespace
