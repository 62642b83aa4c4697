//===- UKernelsTest.cpp - The CPU ukernel library against the references --===//
//
// Every kernel of compiler/ukernels/ukernels.h against an independent
// reference: the reference evaluator's kernels (compiler/reference) for
// norms, rope, attention over every KV encoding, hadamard, route, moe_sort,
// scatter_add, elementwise; a dequantize-then-double dot product for matmul
// in every weight format (weights made by numerics/Quantize.h's quantizers or
// as random blocks with valid f16 scales, dequantized by
// numerics/Dequantize.h).
// Every kernel runs on 1, 2 and 3 threads sharing one ingot_uk_sync, and the
// results must be bit-identical across thread counts. The --numerics=ggml
// kernels (RMS norm, rope, SiLU·mul, f16 flash attention) are checked as
// computations against the same references, within bounds derived from
// GGML's roundings; their bit-exactness with llama.cpp is
// test/e2e/numerics-ggml.test's.
//
// This file is compiled twice: IngotUKernelsTests against the portable
// build, IngotUKernelsAVX2Tests (INGOT_UK_TEST_AVX2) against the library
// built with -mavx2 -mfma -mf16c; the latter skips on a CPU without them.
//
// Tolerances. An f32 sum of K products, however ordered, is within
// K·2^-24·Σ|x_k·w_k| of the exact one (the standard bound, first order).
// The AVX2 q8 paths (Q8_0, Q4_0, Q4_1, Q4_K weights and the interleaved
// forms, Q6_KX8 among them) also round each 32-element block of activations
// to int8 with step s = amax/127, each element within s/2, so an output
// moves by at most Σ_blocks s_b/2 · Σ_{k∈b}|w_k|; the test adds that bound
// (computed from the data) for those formats.
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/ukernels.h"

#include "compiler/reference/Kernels.h"
#include "compiler/reference/RefValue.h"
#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "dialects/ingot/KVCodebooks.h"
#include "numerics/Dequantize.h"
#include "numerics/Quantize.h"

#include "mlir/IR/MLIRContext.h"

#ifdef INGOT_UK_TEST_BITCODE
#include "compiler/ukernels/UKernelBitcode.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#endif

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

using namespace mlir::ingot;
namespace ref = ::ingot::reference;
namespace gguf = ::ingot::gguf;
namespace pack = ::ingot::pack;

namespace {

/// Runs fn(ith) on nth threads (the caller is thread 0).
template <typename F> void runThreads(int nth, F fn) {
  std::vector<std::thread> pool;
  for (int i = 1; i < nth; ++i)
    pool.emplace_back([&fn, i] { fn(i); });
  fn(0);
  for (std::thread &t : pool)
    t.join();
}

/// A zeroed 64-byte aligned buffer.
struct Aligned {
  explicit Aligned(size_t bytes) {
    size_t size = (bytes + 63) / 64 * 64 + 64;
    data = static_cast<uint8_t *>(std::aligned_alloc(64, size));
    std::memset(data, 0, size);
  }
  ~Aligned() { std::free(data); }
  Aligned(const Aligned &) = delete;
  Aligned &operator=(const Aligned &) = delete;
  template <typename T> T *as() { return reinterpret_cast<T *>(data); }
  uint8_t *data;
};

struct alignas(64) Sync {
  ingot_uk_sync sync{};
};

std::vector<float> randomFloats(std::mt19937 &rng, size_t n, float lo = -1,
                                float hi = 1) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

const int kThreadCounts[] = {1, 2, 3};

class UKernels : public ::testing::Test {
protected:
  UKernels() { context.loadDialect<IngotDialect>(); }
  void SetUp() override {
#ifdef INGOT_UK_TEST_AVX2
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") ||
        !__builtin_cpu_supports("f16c"))
      GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
#else
    GTEST_SKIP() << "not x86-64";
#endif
#endif
  }
  mlir::MLIRContext context;
  std::mt19937 rng{1234};
};

bool isAVX2Build() {
#ifdef INGOT_UK_TEST_AVX2
  return true;
#else
  return false;
#endif
}

//===----------------------------------------------------------------------===//
// Barrier
//===----------------------------------------------------------------------===//

TEST_F(UKernels, BarrierOrdersPhases) {
  // Each round every thread writes its slot, then after the barrier checks
  // that it sees every other thread's write of that round.
  for (int nth : {2, 3}) {
    Sync s;
    const int rounds = 300;
    std::vector<std::atomic<int>> slots(nth);
    std::atomic<int> failures{0};
    runThreads(nth, [&](int ith) {
      for (int r = 1; r <= rounds; ++r) {
        slots[ith].store(r, std::memory_order_relaxed);
        ingot_uk_barrier(&s.sync, nth);
        for (int j = 0; j < nth; ++j)
          if (slots[j].load(std::memory_order_relaxed) < r)
            ++failures;
        ingot_uk_barrier(&s.sync, nth);
      }
    });
    EXPECT_EQ(failures.load(), 0) << nth << " threads";
  }
}

//===----------------------------------------------------------------------===//
// Weight formats and matmul
//===----------------------------------------------------------------------===//

struct Format {
  int32_t fmt;
  int32_t group;
  const char *name;
};

const Format kFormats[] = {
    {INGOT_W_F32, 0, "f32"},        {INGOT_W_F16, 0, "f16"},
    {INGOT_W_BF16, 0, "bf16"},      {INGOT_W_Q8_0, 0, "q8_0"},
    {INGOT_W_Q4_0, 0, "q4_0"},      {INGOT_W_Q4_1, 0, "q4_1"},
    {INGOT_W_Q5_0, 0, "q5_0"},      {INGOT_W_Q5_1, 0, "q5_1"},
    {INGOT_W_Q4_K, 0, "q4_k"},      {INGOT_W_Q5_K, 0, "q5_k"},
    {INGOT_W_Q6_K, 0, "q6_k"},      {INGOT_W_G8_SYM, 32, "g8_sym32"},
    {INGOT_W_G8_ASYM, 64, "g8_asym64"}, {INGOT_W_G4_SYM, 32, "g4_sym32"},
    {INGOT_W_G4_ASYM, 128, "g4_asym128"},
    {INGOT_W_Q2_K, 0, "q2_k"},      {INGOT_W_Q3_K, 0, "q3_k"},
    {INGOT_W_IQ4_NL, 0, "iq4_nl"},  {INGOT_W_IQ4_XS, 0, "iq4_xs"},
};

/// Formats of 256-element blocks.
bool isKQuant(int32_t fmt) {
  return fmt == INGOT_W_Q4_K || fmt == INGOT_W_Q5_K || fmt == INGOT_W_Q6_K ||
         fmt == INGOT_W_Q2_K || fmt == INGOT_W_Q3_K || fmt == INGOT_W_IQ4_XS;
}

uint16_t randomScale(std::mt19937 &rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  return pack::floatToHalf(dist(rng));
}

void putHalf(uint8_t *p, uint16_t h) { std::memcpy(p, &h, 2); }

/// Random blocks of a ggml format with random bytes and f16 scales in a
/// sane range.
std::vector<uint8_t> randomBlocks(std::mt19937 &rng, int32_t fmt,
                                  int64_t blocks) {
  int64_t bytes = fmt == INGOT_W_Q4_1   ? 20
                  : fmt == INGOT_W_Q5_0 ? 22
                  : fmt == INGOT_W_Q5_1 ? 24
                  : fmt == INGOT_W_Q4_K ? 144
                  : fmt == INGOT_W_Q5_K ? 176
                  : fmt == INGOT_W_Q2_K ? 84
                  : fmt == INGOT_W_Q3_K ? 110
                  : fmt == INGOT_W_IQ4_NL ? 18
                  : fmt == INGOT_W_IQ4_XS ? 136
                                        : 210;
  std::vector<uint8_t> data(blocks * bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t &b : data)
    b = static_cast<uint8_t>(byte(rng));
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t *blk = data.data() + b * bytes;
    switch (fmt) {
    case INGOT_W_Q4_1:
    case INGOT_W_Q5_1:
      putHalf(blk, randomScale(rng, 0.001f, 0.05f));
      putHalf(blk + 2, randomScale(rng, -0.5f, 0.0f));
      break;
    case INGOT_W_Q5_0:
      putHalf(blk, randomScale(rng, -0.05f, 0.05f));
      break;
    case INGOT_W_Q4_K:
    case INGOT_W_Q5_K:
      putHalf(blk, randomScale(rng, 0.0001f, 0.002f));
      putHalf(blk + 2, randomScale(rng, 0.0001f, 0.002f));
      break;
    case INGOT_W_Q6_K:
      putHalf(blk + 208, randomScale(rng, -0.001f, 0.001f));
      break;
    case INGOT_W_Q2_K:
      putHalf(blk + 80, randomScale(rng, 0.0001f, 0.004f));
      putHalf(blk + 82, randomScale(rng, 0.0001f, 0.004f));
      break;
    case INGOT_W_Q3_K:
      putHalf(blk + 108, randomScale(rng, -0.002f, 0.002f));
      break;
    case INGOT_W_IQ4_NL:
    case INGOT_W_IQ4_XS:
      putHalf(blk, randomScale(rng, -0.0005f, 0.0005f));
      break;
    }
  }
  return data;
}

/// A weight matrix [N][K] in `format` and its dequantized values.
struct Weights {
  std::vector<uint8_t> bytes;
  std::vector<float> values;
};

Weights makeWeights(std::mt19937 &rng, const Format &f, int64_t N,
                    int64_t K) {
  Weights w;
  std::vector<float> src = randomFloats(rng, N * K);
  auto check = [](llvm::Error err) {
    if (err) {
      ADD_FAILURE() << llvm::toString(std::move(err));
    }
  };
  auto take = [&](llvm::Expected<std::vector<uint8_t>> bytes) {
    if (!bytes) {
      ADD_FAILURE() << llvm::toString(bytes.takeError());
      return std::vector<uint8_t>();
    }
    return std::move(*bytes);
  };
  gguf::GGMLType type = gguf::GGMLType::F32;
  switch (f.fmt) {
  case INGOT_W_F32:
    w.bytes.resize(N * K * 4);
    std::memcpy(w.bytes.data(), src.data(), w.bytes.size());
    break;
  case INGOT_W_F16:
    type = gguf::GGMLType::F16;
    for (float x : src) {
      uint16_t h = pack::floatToHalf(x);
      w.bytes.push_back(h & 0xff);
      w.bytes.push_back(h >> 8);
    }
    break;
  case INGOT_W_BF16:
    type = gguf::GGMLType::BF16;
    for (float x : src) {
      uint32_t bits;
      std::memcpy(&bits, &x, 4);
      w.bytes.push_back((bits >> 16) & 0xff);
      w.bytes.push_back(bits >> 24);
    }
    break;
  case INGOT_W_Q8_0:
    type = gguf::GGMLType::Q8_0;
    w.bytes = take(pack::quantizeQ8_0(src));
    break;
  case INGOT_W_Q4_0:
    type = gguf::GGMLType::Q4_0;
    w.bytes = take(pack::quantizeQ4_0(src));
    break;
  case INGOT_W_Q4_K:
    type = gguf::GGMLType::Q4_K;
    w.bytes = take(pack::quantizeQ4_K(src));
    break;
  case INGOT_W_Q4_1:
  case INGOT_W_Q5_0:
  case INGOT_W_Q5_1:
  case INGOT_W_Q5_K:
  case INGOT_W_Q6_K:
  case INGOT_W_Q2_K:
  case INGOT_W_Q3_K:
  case INGOT_W_IQ4_NL:
  case INGOT_W_IQ4_XS: {
    type = f.fmt == INGOT_W_Q4_1     ? gguf::GGMLType::Q4_1
           : f.fmt == INGOT_W_Q5_0   ? gguf::GGMLType::Q5_0
           : f.fmt == INGOT_W_Q5_1   ? gguf::GGMLType::Q5_1
           : f.fmt == INGOT_W_Q5_K   ? gguf::GGMLType::Q5_K
           : f.fmt == INGOT_W_Q2_K   ? gguf::GGMLType::Q2_K
           : f.fmt == INGOT_W_Q3_K   ? gguf::GGMLType::Q3_K
           : f.fmt == INGOT_W_IQ4_NL ? gguf::GGMLType::IQ4_NL
           : f.fmt == INGOT_W_IQ4_XS ? gguf::GGMLType::IQ4_XS
                                     : gguf::GGMLType::Q6_K;
    w.bytes = randomBlocks(rng, f.fmt, N * K / (isKQuant(f.fmt) ? 256 : 32));
    break;
  }
  default: {
    int bits = f.fmt == INGOT_W_G8_SYM || f.fmt == INGOT_W_G8_ASYM ? 8 : 4;
    bool sym = f.fmt == INGOT_W_G8_SYM || f.fmt == INGOT_W_G4_SYM;
    w.bytes = take(pack::quantizeGroups(src, bits, f.group, sym));
    w.values.resize(N * K);
    check(pack::dequantizeGroups(w.bytes, bits, f.group, sym, w.values));
    return w;
  }
  }
  w.values.resize(N * K);
  check(gguf::dequantize(type, w.bytes, w.values));
  return w;
}

bool usesQ8Activations(int32_t fmt) {
  return isAVX2Build() && (fmt == INGOT_W_Q8_0 || fmt == INGOT_W_Q4_0 ||
                           fmt == INGOT_W_Q4_1 || fmt == INGOT_W_Q4_K ||
                           fmt == INGOT_W_Q5_0 || fmt == INGOT_W_Q5_1);
}

/// y = x·wᵀ (+ bias) in double, and the tolerance of each element.
void referenceMatmul(const std::vector<float> &x, const std::vector<float> &w,
                     const float *bias, int64_t M, int64_t N, int64_t K,
                     bool q8, std::vector<double> &y,
                     std::vector<double> &tol) {
  y.assign(M * N, 0.0);
  tol.assign(M * N, 0.0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0, abs = 0, q8err = 0;
      for (int64_t k = 0; k < K; ++k) {
        double p = static_cast<double>(x[m * K + k]) * w[n * K + k];
        s += p;
        abs += std::fabs(p);
      }
      if (q8)
        for (int64_t b = 0; b < K; b += 32) {
          double amax = 0, wsum = 0, wmax = 0;
          for (int64_t k = b; k < b + 32; ++k) {
            amax = std::max(amax, std::fabs(static_cast<double>(x[m * K + k])));
            wsum += std::fabs(w[n * K + k]);
            wmax = std::max(wmax, static_cast<double>(std::fabs(w[n * K + k])));
          }
          // Half a code step per element, plus the block scale d and its
          // d·Σq kept at f16 precision (relative 2^-11 each): d scales a
          // block's dot of at most amax·Σ|w| (q4_1: of the codes, at most
          // amax·(Σ|w| + 32·|min|)), d·Σq the block minimum's term, at most
          // 32·amax·|min|; |min| <= max|w| of the block.
          q8err += amax / 127 / 2 * wsum +
                   std::ldexp(amax * (wsum + 64 * wmax), -11);
        }
      double b = bias ? bias[n] : 0.0;
      y[m * N + n] = s + b;
      tol[m * N + n] = (K + 2) * std::ldexp(abs + std::fabs(b), -24) +
                       q8err * 1.01 + 1e-30;
    }
}

/// Runs ingot_uk_matmul on nth threads.
std::vector<float> runMatmul(const std::vector<float> &x, const Weights &w,
                             const float *bias, int64_t M, int64_t N,
                             int64_t K, const Format &f, int nth) {
  Aligned y(M * N * 4), scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
  Sync s;
  runThreads(nth, [&](int ith) {
    ingot_uk_matmul(y.as<float>(), x.data(), w.bytes.data(), bias, M, N, K,
                    f.fmt, f.group, scratch.data, &s.sync, ith, nth);
  });
  return std::vector<float>(y.as<float>(), y.as<float>() + M * N);
}

TEST_F(UKernels, RowBytes) {
  for (const Format &f : kFormats) {
    int64_t K = 512;
    std::mt19937 r(1);
    Weights w = makeWeights(r, f, 1, K);
    EXPECT_EQ(ingot_uk_row_bytes(f.fmt, f.group, K),
              static_cast<int64_t>(w.bytes.size()))
        << f.name;
  }
}

TEST_F(UKernels, MatmulEveryFormat) {
  for (const Format &f : kFormats) {
    int64_t K = isKQuant(f.fmt) ? 512 : 256, N = 13;
    Weights w = makeWeights(rng, f, N, K);
    std::vector<float> bias = randomFloats(rng, N);
    for (int64_t M : {1, 3, 4, 9}) {
      std::vector<float> x = randomFloats(rng, M * K, -2, 2);
      const float *b = M == 3 ? bias.data() : nullptr;
      std::vector<double> want, tol;
      referenceMatmul(x, w.values, b, M, N, K, usesQ8Activations(f.fmt), want,
                      tol);
      std::vector<float> first;
      for (int nth : kThreadCounts) {
        std::vector<float> got = runMatmul(x, w, b, M, N, K, f, nth);
        if (nth == 1) {
          first = got;
          for (int64_t i = 0; i < M * N; ++i)
            ASSERT_NEAR(got[i], want[i], tol[i])
                << f.name << " M=" << M << " element " << i;
        } else {
          ASSERT_EQ(got, first) << f.name << " M=" << M << " nth=" << nth;
        }
      }
    }
  }
}

TEST_F(UKernels, MatmulMultiEqualsSeparateMatmuls) {
  // Three matrices of one input (q, k, v) or two (gate, up), on 1-3
  // threads: bit for bit what ingot_uk_matmul gives for each alone.
  for (const Format &f : kFormats) {
    int64_t K = isKQuant(f.fmt) ? 512 : 256;
    int64_t ns[3] = {13, 5, 7};
    Weights w[3] = {makeWeights(rng, f, ns[0], K), makeWeights(rng, f, ns[1], K),
                    makeWeights(rng, f, ns[2], K)};
    std::vector<float> bias = randomFloats(rng, ns[1]);
    for (int64_t M : {1, 6}) {
      std::vector<float> x = randomFloats(rng, M * K, -2, 2);
      for (int count : {2, 3}) {
        std::vector<float> want[3];
        for (int i = 0; i < count; ++i)
          want[i] = runMatmul(x, w[i], i == 1 ? bias.data() : nullptr, M,
                              ns[i], K, f, 1);
        for (int nth : kThreadCounts) {
          Aligned y0(M * ns[0] * 4), y1(M * ns[1] * 4), y2(M * ns[2] * 4);
          Aligned scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
          Sync s;
          runThreads(nth, [&](int ith) {
            ingot_uk_matmul_multi(
                y0.as<float>(), w[0].bytes.data(), nullptr, ns[0],
                y1.as<float>(), w[1].bytes.data(), bias.data(), ns[1],
                count == 3 ? y2.as<float>() : nullptr,
                count == 3 ? w[2].bytes.data() : nullptr, nullptr,
                count == 3 ? ns[2] : 0, x.data(), M, K, f.fmt, f.group,
                scratch.data, &s.sync, ith, nth);
          });
          float *ys[3] = {y0.as<float>(), y1.as<float>(), y2.as<float>()};
          for (int i = 0; i < count; ++i)
            ASSERT_EQ(std::vector<float>(ys[i], ys[i] + M * ns[i]), want[i])
                << f.name << " M=" << M << " matrix " << i << " nth=" << nth;
        }
      }
    }
  }
}

/// Q4_0, Q8_0 or Q4_1 blocks of w ([N][K], N % 8 == 0, `bytes` per block)
/// regrouped as INGOT_W_Q4_0X8 / Q8_0X8 / Q4_1X8, as ukernels.h lays them
/// out: per 8 rows and block, the 8 scales (then the 8 minima of Q4_1),
/// then byte C + 32L + 4r + i = byte 4L + i of row r's codes (C = 16, or 32
/// for Q4_1).
Weights interleaveRows(const Weights &w, int64_t N, int64_t K, int bytes) {
  Weights out = w;
  int64_t nb = K / 32, head = bytes == 20 ? 4 : 2, runs = (bytes - head) / 4;
  for (int64_t g = 0; g < N / 8; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t *dst = out.bytes.data() + (g * nb + b) * 8 * bytes;
      for (int64_t r = 0; r < 8; ++r) {
        const uint8_t *src = w.bytes.data() + ((g * 8 + r) * nb + b) * bytes;
        std::memcpy(dst + 2 * r, src, 2);
        if (head == 4)
          std::memcpy(dst + 16 + 2 * r, src + 2, 2);
        for (int64_t L = 0; L < runs; ++L)
          std::memcpy(dst + 8 * head + 32 * L + 4 * r, src + head + 4 * L, 4);
      }
    }
  return out;
}

/// The 32-element formats and their 8-row interleaved forms, with the
/// bytes of one plain block.
struct InterleavedCase {
  Format rows, x8;
  int bytes;
};
const InterleavedCase kInterleavedCases[] = {
    {kFormats[4], {INGOT_W_Q4_0X8, 0, "q4_0x8"}, 18},
    {kFormats[3], {INGOT_W_Q8_0X8, 0, "q8_0x8"}, 34},
    {kFormats[5], {INGOT_W_Q4_1X8, 0, "q4_1x8"}, 20}};

TEST_F(UKernels, MatmulInterleaved) {
  // The repacked Q4_0 / Q8_0 / Q4_1 layouts the compiler emits for AVX2
  // targets:
  // against the reference (in AVX2 builds with the q8-activation
  // tolerance: their kernels round once per block and row), bit for bit
  // what the row layout gives in the portable builds (the same dequantized
  // values, the same order), the same on 1-3 threads, and in
  // ingot_uk_matmul_multi.
  const auto &cases = kInterleavedCases;
  ASSERT_EQ(cases[0].rows.fmt, INGOT_W_Q4_0);
  ASSERT_EQ(cases[1].rows.fmt, INGOT_W_Q8_0);
  ASSERT_EQ(cases[2].rows.fmt, INGOT_W_Q4_1);
  for (const InterleavedCase &c : cases) {
    for (auto [N, K] : {std::pair<int64_t, int64_t>{24, 256}, {16, 64}}) {
      Weights plain = makeWeights(rng, c.rows, N, K);
      Weights w = interleaveRows(plain, N, K, c.bytes);
      ASSERT_NE(w.bytes, plain.bytes);
      std::vector<float> bias = randomFloats(rng, N);
      for (int64_t M : {1, 3, 4, 9}) {
        std::vector<float> x = randomFloats(rng, M * K, -2, 2);
        const float *b = M == 3 ? bias.data() : nullptr;
        std::vector<double> want, tol;
        referenceMatmul(x, plain.values, b, M, N, K, isAVX2Build(), want, tol);
        std::vector<float> first;
        for (int nth : kThreadCounts) {
          std::vector<float> got = runMatmul(x, w, b, M, N, K, c.x8, nth);
          if (nth == 1) {
            first = got;
            for (int64_t i = 0; i < M * N; ++i) {
              ASSERT_NEAR(got[i], want[i], tol[i])
                  << c.x8.name << " N=" << N << " M=" << M << " element "
                  << i;
            }
            if (!isAVX2Build()) {
              ASSERT_EQ(got, runMatmul(x, plain, b, M, N, K, c.rows, 1));
            }
          } else {
            ASSERT_EQ(got, first) << c.x8.name << " M=" << M << " nth=" << nth;
          }
        }
      }
    }
    // Three matrices of one input, as the q, k, v projections.
    int64_t K = 128, ns[3] = {16, 8, 24};
    Weights w[3];
    for (int i = 0; i < 3; ++i)
      w[i] = interleaveRows(makeWeights(rng, c.rows, ns[i], K), ns[i], K,
                            c.bytes);
    for (int64_t M : {1, 6}) {
      std::vector<float> x = randomFloats(rng, M * K, -2, 2);
      for (int nth : kThreadCounts) {
        Aligned y0(M * ns[0] * 4), y1(M * ns[1] * 4), y2(M * ns[2] * 4);
        Aligned scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
        Sync s;
        runThreads(nth, [&](int ith) {
          ingot_uk_matmul_multi(y0.as<float>(), w[0].bytes.data(), nullptr,
                                ns[0], y1.as<float>(), w[1].bytes.data(),
                                nullptr, ns[1], y2.as<float>(),
                                w[2].bytes.data(), nullptr, ns[2], x.data(), M,
                                K, c.x8.fmt, 0, scratch.data, &s.sync, ith,
                                nth);
        });
        float *ys[3] = {y0.as<float>(), y1.as<float>(), y2.as<float>()};
        for (int i = 0; i < 3; ++i)
          ASSERT_EQ(std::vector<float>(ys[i], ys[i] + M * ns[i]),
                    runMatmul(x, w[i], nullptr, M, ns[i], K, c.x8, 1))
              << c.x8.name << " multi M=" << M << " matrix " << i
              << " nth=" << nth;
      }
    }
  }
}

/// Q4_K or Q5_K superblocks of w ([N][K], N % 8 == 0, K % 256 == 0)
/// regrouped as INGOT_W_Q4_KX8 / Q5_KX8, written element by element from
/// ukernels.h's description: per 8 rows and superblock, d[8], dmin[8],
/// sc[j][r] at 32 + 8j + r, m[j][r] at 96 + 8j + r, (Q5: qh byte 4L + i
/// of row r at 160 + 32L + 4r + i), then element e = 64c + 32h + 4L + i of
/// row r in nibble h of byte C + 256c + 32L + 4r + i.
Weights interleaveKRows(const Weights &w, int64_t N, int64_t K, bool five) {
  int64_t nsb = K / 256, bytes = five ? 176 : 144, out8 = five ? 1440 : 1184;
  int64_t codes = five ? 416 : 160, srcCodes = five ? 48 : 16;
  Weights out = w;
  out.bytes.assign(N / 8 * nsb * out8, 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t sb = 0; sb < nsb; ++sb) {
      const uint8_t *src = w.bytes.data() + (n * nsb + sb) * bytes;
      uint8_t *dst = out.bytes.data() + ((n / 8) * nsb + sb) * out8;
      int64_t r = n % 8;
      std::memcpy(dst + 2 * r, src, 2);
      std::memcpy(dst + 16 + 2 * r, src + 2, 2);
      // GGML's get_scale_min_k4: 6-bit values, 12 bytes for 8 pairs.
      const uint8_t *sc = src + 4;
      for (int j = 0; j < 8; ++j) {
        int scale, min;
        if (j < 4) {
          scale = sc[j] & 0x3f;
          min = sc[j + 4] & 0x3f;
        } else {
          scale = (sc[j + 4] & 0x0f) | ((sc[j - 4] & 0xc0) >> 2);
          min = (sc[j + 4] >> 4) | ((sc[j] & 0xc0) >> 2);
        }
        dst[32 + 8 * j + r] = static_cast<uint8_t>(scale);
        dst[96 + 8 * j + r] = static_cast<uint8_t>(min);
      }
      for (int e = 0; e < 256; ++e) {
        int c = e / 64, h = (e / 32) % 2, l = e % 32;
        int nib = (src[srcCodes + 32 * c + l] >> (4 * h)) & 0xf;
        uint8_t &b = dst[codes + 256 * c + 32 * (l / 4) + 4 * r + l % 4];
        b = static_cast<uint8_t>(b | (nib << (4 * h)));
        if (five && e < 32)
          dst[160 + 32 * (e / 4) + 4 * r + e % 4] = src[16 + e];
      }
    }
  return out;
}

/// The 6-bit code of element e of a Q6_K block (ggml's block_q6_K: per
/// 128 elements, ql[64] then qh[32]; element 32j + l of a half takes the
/// low or high nibble (j / 2) of ql[l + 32(j % 2)] and bits 2j, 2j + 1 of
/// qh[l]).
int q6kCode(const uint8_t *blk, int64_t e) {
  int64_t half = e / 128, j = e % 128 / 32, l = e % 32;
  const uint8_t *ql = blk + 64 * half, *qh = blk + 128 + 32 * half;
  int nib = ql[l + 32 * (j % 2)];
  nib = j >= 2 ? nib >> 4 : nib & 0xf;
  return nib | ((qh[l] >> (2 * j)) & 3) << 4;
}

/// Q6_K blocks of w ([N][K], N % 8 == 0, K % 256 == 0) regrouped as
/// INGOT_W_Q6_KX8, byte for byte as ukernels.h documents the layout.
Weights interleaveQ6K(const Weights &w, int64_t N, int64_t K) {
  Weights out = w;
  int64_t nb = K / 256;
  for (int64_t g = 0; g < N / 8; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t *dst = out.bytes.data() + (g * nb + b) * 1680;
      auto src = [&](int64_t r) {
        return w.bytes.data() + ((g * 8 + r) * nb + b) * 210;
      };
      for (int64_t r = 0; r < 8; ++r)
        std::memcpy(dst + 2 * r, src(r) + 208, 2);
      for (int64_t c = 0; c < 8; ++c)
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t s = 0; s < 2; ++s)
            for (int64_t i = 0; i < 4; ++i)
              dst[16 + 16 * c + 8 * h + 4 * s + i] =
                  src(4 * h + i)[192 + 2 * c + s];
      for (int64_t c = 0; c < 8; ++c)
        for (int64_t r = 0; r < 8; ++r)
          for (int64_t s = 0; s < 2; ++s)
            for (int64_t i = 0; i < 4; ++i) {
              int64_t e = 32 * c + 16 * s + i;
              int fourth = q6kCode(src(r), e + 12);
              for (int64_t L = 0; L < 3; ++L)
                dst[144 + 192 * c + 32 * (3 * s + L) + 4 * r + i] =
                    static_cast<uint8_t>(q6kCode(src(r), e + 4 * L) |
                                         (fourth >> (2 * L) & 3) << 6);
            }
    }
  return out;
}

/// Random Q4_K / Q5_K blocks (every 6-bit scale and minimum equally
/// likely, unlike a quantizer's on uniform data, whose sub-block scales are
/// all alike) and their dequantized values.
Weights randomKWeights(std::mt19937 &rng, int32_t fmt, int64_t N, int64_t K) {
  Weights w;
  w.bytes = randomBlocks(rng, fmt, N * K / 256);
  w.values.resize(N * K);
  if (llvm::Error err = gguf::dequantize(fmt == INGOT_W_Q4_K
                                             ? gguf::GGMLType::Q4_K
                                             : gguf::GGMLType::Q5_K,
                                         w.bytes, w.values))
    ADD_FAILURE() << llvm::toString(std::move(err));
  return w;
}

TEST_F(UKernels, MatmulInterleavedK) {
  // The Q4_K / Q5_K layouts the compiler emits for AVX2 targets, as
  // MatmulInterleaved checks the others: against the reference (with the
  // q8-activation tolerance in AVX2 builds), bit for bit the row layout in
  // the portable builds, bit for bit the same on 1-3 threads and through
  // ingot_uk_matmul_multi; M = 1 (decode) and M > UK_MT (prefill tiles
  // and their tail).
  struct Case {
    Format rows, x8;
  };
  const Case cases[] = {{kFormats[8], {INGOT_W_Q4_KX8, 0, "q4_kx8"}},
                        {kFormats[9], {INGOT_W_Q5_KX8, 0, "q5_kx8"}}};
  ASSERT_EQ(cases[0].rows.fmt, INGOT_W_Q4_K);
  ASSERT_EQ(cases[1].rows.fmt, INGOT_W_Q5_K);
  for (const Case &c : cases) {
    bool five = c.x8.fmt == INGOT_W_Q5_KX8;
    for (auto [N, K] : {std::pair<int64_t, int64_t>{24, 768}, {16, 256}}) {
      Weights plain = randomKWeights(rng, c.rows.fmt, N, K);
      Weights w = interleaveKRows(plain, N, K, five);
      ASSERT_EQ(static_cast<int64_t>(w.bytes.size()),
                N * ingot_uk_row_bytes(c.x8.fmt, 0, K));
      std::vector<float> bias = randomFloats(rng, N);
      for (int64_t M : {1, 3, 4, 9}) {
        std::vector<float> x = randomFloats(rng, M * K, -2, 2);
        const float *b = M == 3 ? bias.data() : nullptr;
        std::vector<double> want, tol;
        referenceMatmul(x, plain.values, b, M, N, K, isAVX2Build(), want, tol);
        std::vector<float> first;
        for (int nth : kThreadCounts) {
          std::vector<float> got = runMatmul(x, w, b, M, N, K, c.x8, nth);
          if (nth == 1) {
            first = got;
            for (int64_t i = 0; i < M * N; ++i) {
              ASSERT_NEAR(got[i], want[i], tol[i])
                  << c.x8.name << " N=" << N << " K=" << K << " M=" << M
                  << " element " << i;
            }
            if (!isAVX2Build()) {
              ASSERT_EQ(got, runMatmul(x, plain, b, M, N, K, c.rows, 1));
            }
          } else {
            ASSERT_EQ(got, first) << c.x8.name << " M=" << M << " nth=" << nth;
          }
        }
      }
    }
    // Two matrices of one input, as the gate and up projections.
    int64_t K = 512, ns[2] = {16, 24};
    Weights w[2];
    for (int i = 0; i < 2; ++i)
      w[i] = interleaveKRows(randomKWeights(rng, c.rows.fmt, ns[i], K),
                             ns[i], K, five);
    for (int64_t M : {1, 6}) {
      std::vector<float> x = randomFloats(rng, M * K, -2, 2);
      for (int nth : kThreadCounts) {
        Aligned y0(M * ns[0] * 4), y1(M * ns[1] * 4);
        Aligned scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
        Sync s;
        runThreads(nth, [&](int ith) {
          ingot_uk_matmul_multi(y0.as<float>(), w[0].bytes.data(), nullptr,
                                ns[0], y1.as<float>(), w[1].bytes.data(),
                                nullptr, ns[1], nullptr, nullptr, nullptr, 0,
                                x.data(), M, K, c.x8.fmt, 0, scratch.data,
                                &s.sync, ith, nth);
        });
        float *ys[2] = {y0.as<float>(), y1.as<float>()};
        for (int i = 0; i < 2; ++i)
          ASSERT_EQ(std::vector<float>(ys[i], ys[i] + M * ns[i]),
                    runMatmul(x, w[i], nullptr, M, ns[i], K, c.x8, 1))
              << c.x8.name << " multi M=" << M << " matrix " << i
              << " nth=" << nth;
      }
    }
  }
}

TEST_F(UKernels, MatmulInterleavedQ6K) {
  // The repacked Q6_K layout the compiler emits for AVX2 targets, on random
  // codes and scales (the int8 scales span -128..127): against the
  // reference (AVX2: with the q8-activation tolerance), bit for bit what
  // the row layout gives in the portable builds, the same on 1-3 threads
  // and in ingot_uk_matmul_multi. K = 33024 (more blocks than the AVX2
  // tile keeps sums for) takes the portable path in every build.
  const Format rows = kFormats[10], x8 = {INGOT_W_Q6_KX8, 0, "q6_kx8"};
  ASSERT_EQ(rows.fmt, INGOT_W_Q6_K);
  for (auto [N, K] : {std::pair<int64_t, int64_t>{24, 512}, {16, 256},
                      {8, 33024}}) {
    Weights plain = makeWeights(rng, rows, N, K);
    Weights w = interleaveQ6K(plain, N, K);
    ASSERT_NE(w.bytes, plain.bytes);
    ASSERT_EQ(ingot_uk_row_bytes(x8.fmt, 0, K) * N,
              static_cast<int64_t>(w.bytes.size()));
    bool q8 = isAVX2Build() && K <= 32768;
    std::vector<float> bias = randomFloats(rng, N);
    std::vector<int64_t> ms = {1, 3, 4, 9};
    if (K > 32768)
      ms = {1, 5};
    for (int64_t M : ms) {
      std::vector<float> x = randomFloats(rng, M * K, -2, 2);
      const float *b = M == 3 ? bias.data() : nullptr;
      std::vector<double> want, tol;
      referenceMatmul(x, plain.values, b, M, N, K, q8, want, tol);
      std::vector<float> first;
      for (int nth : kThreadCounts) {
        std::vector<float> got = runMatmul(x, w, b, M, N, K, x8, nth);
        if (nth == 1) {
          first = got;
          for (int64_t i = 0; i < M * N; ++i)
            ASSERT_NEAR(got[i], want[i], tol[i])
                << "q6_kx8 N=" << N << " K=" << K << " M=" << M
                << " element " << i;
          if (!q8) {
            ASSERT_EQ(got, runMatmul(x, plain, b, M, N, K, rows, 1))
                << "q6_kx8 K=" << K << " M=" << M;
          }
        } else {
          ASSERT_EQ(got, first) << "q6_kx8 K=" << K << " M=" << M
                                << " nth=" << nth;
        }
      }
    }
  }
  // Three matrices of one input, as the q, k, v projections.
  int64_t K = 256, ns[3] = {16, 8, 24};
  Weights w[3];
  for (int i = 0; i < 3; ++i)
    w[i] = interleaveQ6K(makeWeights(rng, rows, ns[i], K), ns[i], K);
  for (int64_t M : {1, 6}) {
    std::vector<float> x = randomFloats(rng, M * K, -2, 2);
    for (int nth : kThreadCounts) {
      Aligned y0(M * ns[0] * 4), y1(M * ns[1] * 4), y2(M * ns[2] * 4);
      Aligned scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
      Sync s;
      runThreads(nth, [&](int ith) {
        ingot_uk_matmul_multi(y0.as<float>(), w[0].bytes.data(), nullptr,
                              ns[0], y1.as<float>(), w[1].bytes.data(),
                              nullptr, ns[1], y2.as<float>(),
                              w[2].bytes.data(), nullptr, ns[2], x.data(), M,
                              K, x8.fmt, 0, scratch.data, &s.sync, ith, nth);
      });
      float *ys[3] = {y0.as<float>(), y1.as<float>(), y2.as<float>()};
      for (int i = 0; i < 3; ++i)
        ASSERT_EQ(std::vector<float>(ys[i], ys[i] + M * ns[i]),
                  runMatmul(x, w[i], nullptr, M, ns[i], K, x8, 1))
            << "q6_kx8 multi M=" << M << " matrix " << i << " nth=" << nth;
    }
  }
}

TEST_F(UKernels, MatmulOddShapes) {
  // Plain formats take any K; N smaller than the thread count.
  for (const Format &f : {kFormats[0], kFormats[1], kFormats[2]}) {
    for (int64_t K : {1, 7, 33, 100}) {
      int64_t N = 2, M = 5;
      Weights w = makeWeights(rng, f, N, K);
      std::vector<float> x = randomFloats(rng, M * K);
      std::vector<double> want, tol;
      referenceMatmul(x, w.values, nullptr, M, N, K, false, want, tol);
      for (int nth : kThreadCounts) {
        std::vector<float> got = runMatmul(x, w, nullptr, M, N, K, f, nth);
        for (int64_t i = 0; i < M * N; ++i)
          ASSERT_NEAR(got[i], want[i], tol[i]) << f.name << " K=" << K;
      }
    }
  }
}

TEST_F(UKernels, GroupedMatmul) {
  for (const Format &f : kFormats) {
    int64_t E = 4, N = 10, K = 256;
    Weights w = makeWeights(rng, f, E * N, K);
    // Expert 1 has no rows; its weights are poisoned to prove they are not
    // read (NaN would spread into every output).
    std::vector<int32_t> offsets = {0, 3, 3, 4, 9};
    int64_t count = offsets.back();
    int64_t rb = ingot_uk_row_bytes(f.fmt, f.group, K);
    std::memset(w.bytes.data() + 1 * N * rb, 0xff, N * rb);
    std::vector<float> x = randomFloats(rng, count * K);
    std::vector<float> first;
    for (int nth : kThreadCounts) {
      Aligned y(count * N * 4),
          scratch(INGOT_UK_GROUPED_MATMUL_SCRATCH(count, K));
      Sync s;
      runThreads(nth, [&](int ith) {
        ingot_uk_grouped_matmul(y.as<float>(), x.data(), w.bytes.data(),
                                offsets.data(), E, N, K, f.fmt, f.group,
                                scratch.data, &s.sync, ith, nth);
      });
      std::vector<float> got(y.as<float>(), y.as<float>() + count * N);
      if (nth > 1) {
        ASSERT_EQ(got, first) << f.name;
        continue;
      }
      first = got;
      for (int64_t e = 0; e < E; ++e) {
        int64_t r0 = offsets[e], rows = offsets[e + 1] - r0;
        if (!rows)
          continue;
        std::vector<float> xe(x.begin() + r0 * K, x.begin() + (r0 + rows) * K);
        std::vector<float> we(w.values.begin() + e * N * K,
                              w.values.begin() + (e + 1) * N * K);
        std::vector<double> want, tol;
        referenceMatmul(xe, we, nullptr, rows, N, K, usesQ8Activations(f.fmt),
                        want, tol);
        for (int64_t i = 0; i < rows * N; ++i)
          ASSERT_NEAR(got[r0 * N + i], want[i], tol[i])
              << f.name << " expert " << e;
      }
    }
  }
}

/// Runs ingot_uk_grouped_matmul on nth threads.
std::vector<float> runGroupedMatmul(const std::vector<float> &x,
                                    const Weights &w,
                                    const std::vector<int32_t> &offsets,
                                    int64_t N, int64_t K, const Format &f,
                                    int nth) {
  int64_t E = offsets.size() - 1, count = offsets.back();
  Aligned y(count * N * 4), scratch(INGOT_UK_GROUPED_MATMUL_SCRATCH(count, K));
  Sync s;
  runThreads(nth, [&](int ith) {
    ingot_uk_grouped_matmul(y.as<float>(), x.data(), w.bytes.data(),
                            offsets.data(), E, N, K, f.fmt, f.group,
                            scratch.data, &s.sync, ith, nth);
  });
  return std::vector<float>(y.as<float>(), y.as<float>() + count * N);
}

TEST_F(UKernels, GroupedMatmulInterleaved) {
  // Expert weights repacked by 8 rows, each expert's matrix on its own (as
  // the compiler packs them), for one token's experts (rows quantized by
  // each thread) and a prefill's (shared, behind the barrier), with empty
  // experts, whose poisoned weights must not be read: each expert's rows
  // are bit for bit what ingot_uk_matmul gives with that expert's
  // interleaved matrix, within the q8 tolerance of the reference and of
  // the plain-format grouped product, and the same on 1-3 threads.
  const auto &cases = kInterleavedCases;
  ASSERT_EQ(cases[0].rows.fmt, INGOT_W_Q4_0);
  ASSERT_EQ(cases[1].rows.fmt, INGOT_W_Q8_0);
  ASSERT_EQ(cases[2].rows.fmt, INGOT_W_Q4_1);
  const int64_t E = 6, N = 24, K = 256;
  // Rows per expert: one token's top-3; uneven small counts up to the
  // per-thread limit; a prefill's uneven segments (tails of 1-3 rows past
  // the 4-row tiles).
  const std::vector<std::vector<int32_t>> counts = {
      {0, 1, 0, 0, 1, 1},
      {6, 0, 13, 0, 5, 8},
      {17, 0, 14, 3, 0, 7}};
  ASSERT_EQ(counts[1][0] + counts[1][2] + counts[1][4] + counts[1][5],
            INGOT_UK_GROUPED_OWN_ROWS);
  for (const InterleavedCase &c : cases) {
    Weights plain = makeWeights(rng, c.rows, E * N, K);
    int64_t mat = N * ingot_uk_row_bytes(c.rows.fmt, 0, K);
    Weights w = plain;
    std::vector<Weights> experts(E);
    for (int64_t e = 0; e < E; ++e) {
      Weights one;
      one.bytes.assign(plain.bytes.begin() + e * mat,
                       plain.bytes.begin() + (e + 1) * mat);
      one.values.assign(plain.values.begin() + e * N * K,
                        plain.values.begin() + (e + 1) * N * K);
      experts[e] = interleaveRows(one, N, K, c.bytes);
      std::copy(experts[e].bytes.begin(), experts[e].bytes.end(),
                w.bytes.begin() + e * mat);
    }
    for (const std::vector<int32_t> &rows : counts) {
      std::vector<int32_t> offsets = {0};
      for (int32_t r : rows)
        offsets.push_back(offsets.back() + r);
      int64_t count = offsets.back();
      Weights wp = w, pp = plain;
      for (int64_t e = 0; e < E; ++e)
        if (!rows[e]) {
          std::memset(wp.bytes.data() + e * mat, 0xff, mat);
          std::memset(pp.bytes.data() + e * mat, 0xff, mat);
        }
      std::vector<float> x = randomFloats(rng, count * K, -2, 2);
      std::vector<float> base =
          runGroupedMatmul(x, pp, offsets, N, K, c.rows, 1);
      std::vector<float> first;
      for (int nth : kThreadCounts) {
        std::vector<float> got = runGroupedMatmul(x, wp, offsets, N, K, c.x8,
                                                  nth);
        if (nth > 1) {
          ASSERT_EQ(got, first) << c.x8.name << " rows " << count
                                << " nth=" << nth;
          continue;
        }
        first = got;
        for (int64_t e = 0; e < E; ++e) {
          int64_t r0 = offsets[e];
          if (!rows[e])
            continue;
          std::vector<float> xe(x.begin() + r0 * K,
                                x.begin() + (r0 + rows[e]) * K);
          std::vector<float> alone =
              runMatmul(xe, experts[e], nullptr, rows[e], N, K, c.x8, 1);
          std::vector<double> want, tol;
          referenceMatmul(xe, experts[e].values, nullptr, rows[e], N, K,
                          isAVX2Build(), want, tol);
          for (int64_t i = 0; i < rows[e] * N; ++i) {
            float v = got[r0 * N + i];
            ASSERT_EQ(v, alone[i]) << c.x8.name << " expert " << e
                                   << " element " << i << " rows " << count;
            ASSERT_NEAR(v, want[i], tol[i])
                << c.x8.name << " expert " << e << " element " << i;
            ASSERT_NEAR(v, base[r0 * N + i], 2 * tol[i])
                << c.x8.name << " against " << c.rows.name << " expert " << e
                << " element " << i;
          }
        }
      }
    }
  }
}

TEST_F(UKernels, EmbeddingEveryFormat) {
  for (const Format &f : kFormats) {
    int64_t V = 6, D = isKQuant(f.fmt) ? 256 : 128;
    Weights w = makeWeights(rng, f, V, D);
    std::vector<int32_t> ids = {3, 0, 5, -1, 6, 3, 1};
    int64_t n = ids.size();
    for (int nth : kThreadCounts) {
      std::vector<float> y(n * D, 42.0f);
      runThreads(nth, [&](int ith) {
        ingot_uk_embedding(y.data(), ids.data(), n, w.bytes.data(), V, D,
                           f.fmt, f.group, ith, nth);
      });
      for (int64_t i = 0; i < n; ++i)
        for (int64_t d = 0; d < D; ++d) {
          // Rows are dequantized with the reference's float operations:
          // equal bit for bit; ids out of range give zeros.
          float want = ids[i] < 0 || ids[i] >= V ? 0.0f
                                                 : w.values[ids[i] * D + d];
          ASSERT_EQ(y[i * D + d], want) << f.name << " row " << i;
        }
    }
  }
}

TEST_F(UKernels, EmbeddingInterleaved) {
  // A table repacked for the matmul (a tied output head) read by the
  // embedding: row id out of its group of 8, bit for bit the row layout's
  // dequantized values.
  struct Case {
    Format rows, x8;
    int bytes; // per 32-element block; 0: Q6_K, 1: Q4_K, 2: Q5_K
  };
  const Case cases[] = {{kFormats[4], {INGOT_W_Q4_0X8, 0, "q4_0x8"}, 18},
                        {kFormats[3], {INGOT_W_Q8_0X8, 0, "q8_0x8"}, 34},
                        {kFormats[5], {INGOT_W_Q4_1X8, 0, "q4_1x8"}, 20},
                        {kFormats[10], {INGOT_W_Q6_KX8, 0, "q6_kx8"}, 0},
                        {kFormats[8], {INGOT_W_Q4_KX8, 0, "q4_kx8"}, 1},
                        {kFormats[9], {INGOT_W_Q5_KX8, 0, "q5_kx8"}, 2}};
  for (const Case &c : cases) {
    int64_t V = 24, D = 512;
    Weights plain = c.bytes == 1 || c.bytes == 2
                        ? randomKWeights(rng, c.rows.fmt, V, D)
                        : makeWeights(rng, c.rows, V, D);
    Weights w = c.bytes > 2    ? interleaveRows(plain, V, D, c.bytes)
                : c.bytes == 0 ? interleaveQ6K(plain, V, D)
                               : interleaveKRows(plain, V, D, c.bytes == 2);
    std::vector<int32_t> ids = {3, 0, 23, -1, 24, 9, 14, 16, 7};
    int64_t n = ids.size();
    for (int nth : kThreadCounts) {
      std::vector<float> y(n * D, 42.0f);
      runThreads(nth, [&](int ith) {
        ingot_uk_embedding(y.data(), ids.data(), n, w.bytes.data(), V, D,
                           c.x8.fmt, 0, ith, nth);
      });
      for (int64_t i = 0; i < n; ++i)
        for (int64_t d = 0; d < D; ++d) {
          float want = ids[i] < 0 || ids[i] >= V
                           ? 0.0f
                           : plain.values[ids[i] * D + d];
          ASSERT_EQ(y[i * D + d], want)
              << c.x8.name << " row " << i << " element " << d;
        }
    }
  }
}

//===----------------------------------------------------------------------===//
// Norms, rope, elementwise, hadamard
//===----------------------------------------------------------------------===//

/// |got - want| <= rel·|want| + abs for every element.
void expectClose(const std::vector<float> &got, const std::vector<float> &want,
                 double rel, double abs, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i])
      continue; // equal infinities too
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " element " << i;
      continue;
    }
    ASSERT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + abs)
        << what << " element " << i;
  }
}

TEST_F(UKernels, Norms) {
  int64_t rows = 5, D = 96;
  std::vector<float> x = randomFloats(rng, rows * D, -3, 3);
  std::vector<float> w = randomFloats(rng, D);
  std::vector<float> b = randomFloats(rng, D);
  float eps = 1e-5f;
  auto X = ref::RefValue::getFloatTensor({rows, D}, x);
  auto W = ref::RefValue::getFloatTensor({D}, w);
  auto B = ref::RefValue::getFloatTensor({D}, b);
  auto rms = ref::rmsNorm(X, W, eps);
  auto layer = ref::layerNorm(X, W, &B, eps);
  auto layerNoBias = ref::layerNorm(X, W, nullptr, eps);
  ASSERT_TRUE(rms && layer && layerNoBias);
  for (int nth : kThreadCounts) {
    // A few f32 roundings (the scale, two products, the bias) on top of a
    // double-accumulated statistic: 4 ulps.
    std::vector<float> y = x;
    runThreads(nth, [&](int ith) {
      ingot_uk_rms_norm(y.data(), y.data(), w.data(), rows, D, eps, ith, nth);
    });
    expectClose(y, rms->getFloats(), 5e-7, 1e-7, "rms_norm");
    runThreads(nth, [&](int ith) {
      ingot_uk_layer_norm(y.data(), x.data(), w.data(), b.data(), rows, D,
                          eps, ith, nth);
    });
    expectClose(y, layer->getFloats(), 5e-7, 1e-6, "layer_norm");
    runThreads(nth, [&](int ith) {
      ingot_uk_layer_norm(y.data(), x.data(), w.data(), nullptr, rows, D, eps,
                          ith, nth);
    });
    expectClose(y, layerNoBias->getFloats(), 5e-7, 1e-6, "layer_norm");
  }
}

TEST_F(UKernels, Rope) {
  int64_t n = 4, H = 3, D = 32;
  std::vector<float> x = randomFloats(rng, n * H * D);
  std::vector<int32_t> pos = {0, 7, 100, 2047};
  std::vector<int64_t> pos64(pos.begin(), pos.end());
  auto P = ref::RefValue::getIntTensor({n}, pos64);
  auto X = ref::RefValue::getFloatTensor({n, H, D}, x);
  for (bool interleaved : {false, true})
    for (int64_t rot : {D, int64_t{16}}) {
      ref::RopeParams params;
      params.theta = 10000.0;
      params.interleaved = interleaved;
      params.rotaryDim = rot;
      auto [inv, mscale] = ref::getRopeFrequencies(params.theta, rot, {});
      std::vector<float> invf(inv.begin(), inv.end());
      auto want = ref::rope(X, P, params);
      ASSERT_TRUE(static_cast<bool>(want));
      std::vector<float> first;
      for (int nth : kThreadCounts) {
        std::vector<float> y(x.size());
        runThreads(nth, [&](int ith) {
          ingot_uk_rope(y.data(), x.data(), pos.data(), n, H, D, rot,
                        invf.data(), static_cast<float>(mscale),
                        interleaved ? 1 : 0, ith, nth);
        });
        // inv_freq rounded to f32 moves the angle by pos·inv·2^-24 (at most
        // 2047·2^-24 rad here), plus a few f32 roundings of values <= 1.
        expectClose(y, want->getFloats(), 0, 2047 * std::ldexp(1.0, -24) + 4e-7,
                    "rope");
        if (nth == 1)
          first = y;
        else
          ASSERT_EQ(y, first);
      }
      // In place.
      std::vector<float> y = x;
      ingot_uk_rope(y.data(), y.data(), pos.data(), n, H, D, rot, invf.data(),
                    static_cast<float>(mscale), interleaved ? 1 : 0, 0, 1);
      ASSERT_EQ(y, first);
    }
}

TEST_F(UKernels, Binary) {
  int64_t rows = 3, cols = 37;
  std::vector<float> a = randomFloats(rng, rows * cols, -4, 4);
  a[5] = NAN;
  struct Shape {
    int64_t br, bc;
  };
  const ref::UnaryKind kinds[] = {ref::UnaryKind::Silu, ref::UnaryKind::Gelu,
                                  ref::UnaryKind::GeluTanh};
  for (Shape s : {Shape{rows, cols}, Shape{1, cols}, Shape{rows, 1},
                  Shape{1, 1}}) {
    std::vector<float> b = randomFloats(rng, s.br * s.bc, 0.5, 2);
    for (int32_t op = INGOT_EW_ADD; op <= INGOT_EW_GELU_TANH_MUL; ++op) {
      std::vector<float> want(rows * cols);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          double u = a[r * cols + c];
          double v = b[(s.br == 1 ? 0 : r) * s.bc + (s.bc == 1 ? 0 : c)];
          double y = op == INGOT_EW_ADD   ? u + v
                     : op == INGOT_EW_SUB ? u - v
                     : op == INGOT_EW_MUL ? u * v
                     : op == INGOT_EW_DIV ? u / v
                     : op == INGOT_EW_MAX
                         ? (std::isnan(u) || std::isnan(v) ? NAN
                                                           : std::max(u, v))
                         : ref::applyUnary(kinds[op - INGOT_EW_SILU_MUL], u) *
                               v;
          want[r * cols + c] = static_cast<float>(y);
        }
      for (int nth : kThreadCounts) {
        std::vector<float> y(rows * cols);
        runThreads(nth, [&](int ith) {
          ingot_uk_binary(y.data(), a.data(), b.data(), rows, cols, s.br, s.bc,
                          op, ith, nth);
        });
        // add..max are exact; the activations use f32 libm calls (a few
        // ulps).
        double rel = op <= INGOT_EW_MAX ? 0 : 2e-6;
        expectClose(y, want, rel, op <= INGOT_EW_MAX ? 0 : 1e-7,
                    "binary op " + std::to_string(op));
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// --numerics=ggml: the kernels that round as GGML does (docs/numerics.md)
//===----------------------------------------------------------------------===//

TEST_F(UKernels, RmsNormGgml) {
  // Against the reference's double RMS norm. Every step rounds once to f32
  // (relative u = 2^-24): the squares (so their sum, summed in double, is
  // within u), the mean (u), mean + eps (u), sqrtf (u, plus half of the 3u
  // of its operand), 1/√ (u), x·scale (u), ·w (u), and the reference's own
  // rounding of its double result (u/2): 6.5u relative in all.
  float eps = 1e-5f;
  for (int64_t D : {1, 3, 97, 64}) {
    int64_t rows = 5;
    std::vector<float> x = randomFloats(rng, rows * D, -3, 3);
    std::vector<float> w = randomFloats(rng, D);
    if (D == 97)
      for (int64_t i = 0; i < D; ++i)
        x[2 * D + i] *= 1e-3f; // a row of small values: eps matters
    auto X = ref::RefValue::getFloatTensor({rows, D}, x);
    auto W = ref::RefValue::getFloatTensor({D}, w);
    auto want = ref::rmsNorm(X, W, eps);
    ASSERT_TRUE(static_cast<bool>(want));
    std::string what = "rms_norm_ggml D=" + std::to_string(D);
    std::vector<float> first;
    for (int nth : kThreadCounts) {
      std::vector<float> y(x.size(), 42.0f);
      runThreads(nth, [&](int ith) {
        ingot_uk_rms_norm_ggml(y.data(), x.data(), w.data(), rows, D, eps, ith,
                               nth);
      });
      expectClose(y, want->getFloats(), 6.5 * std::ldexp(1.0, -24), 1e-30,
                  what);
      if (nth == 1)
        first = y;
      else
        ASSERT_EQ(y, first) << what << " nth " << nth;
      // In place: the same bits.
      std::vector<float> z = x;
      runThreads(nth, [&](int ith) {
        ingot_uk_rms_norm_ggml(z.data(), z.data(), w.data(), rows, D, eps, ith,
                               nth);
      });
      ASSERT_EQ(z, first) << what << " in place, nth " << nth;
    }
  }
}

TEST_F(UKernels, RopeGgml) {
  // The reference rope with the frequencies the kernel is given:
  // theta_scale = powf(theta, -2/rot) as the code generator computes it,
  // so inv[i] = theta_scale^i / ff[i], which the reference computes in
  // double from theta' = theta_scale^(-rot/2). The kernel builds the angle
  // pos·theta_scale^i in f32 by i multiplications (and one division by
  // ff[i]), each rounding it by a relative u = 2^-24: the angle is within
  // (i+1)·u·angle, which moves a rotated pair (a, b) by at most that times
  // √(a²+b²) <= |a|+|b|. On top: cosf/sinf within an ulp of values <= 1
  // (u each), b·sin and the fused multiply-add rounding (u·|y| each) and
  // the reference's rounding (u/2): 4u·(|a|+|b|). Positions up to 2047 make
  // the angle rounding dominate (2047·u·(i+1)·inv[i], ~1e-4 for i = 1).
  int64_t n = 5, H = 3, D = 40;
  std::vector<float> x = randomFloats(rng, n * H * D);
  std::vector<int32_t> pos = {0, 1, 7, 100, 2047};
  std::vector<int64_t> pos64(pos.begin(), pos.end());
  auto P = ref::RefValue::getIntTensor({n}, pos64);
  auto X = ref::RefValue::getFloatTensor({n, H, D}, x);
  const double u = std::ldexp(1.0, -24);
  double worst = 0; // largest error / tolerance
  for (float theta : {10000.0f, 500000.0f})
    for (int64_t rot : {D, int64_t{24}})
      for (bool withFactors : {false, true})
        for (int32_t style : {0, 1}) {
          int64_t half = rot / 2;
          float thetaScale = std::pow(theta, -2.0f / static_cast<float>(rot));
          std::vector<float> ff;
          if (withFactors) // llama3-like divisors: 1 for high frequencies
            for (int64_t i = 0; i < half; ++i)
              ff.push_back(i < half / 2 ? 1.0f : 1.0f + 0.75f * i);
          ref::RopeParams params;
          params.theta = std::pow(static_cast<double>(thetaScale), -0.5 * rot);
          params.interleaved = style == 1;
          params.rotaryDim = rot;
          params.freqFactors = ff;
          auto want = ref::rope(X, P, params);
          ASSERT_TRUE(static_cast<bool>(want));
          const std::vector<float> &wv = want->getFloats();
          std::string what = "rope_ggml theta=" + std::to_string(theta) +
                             " rot=" + std::to_string(rot) +
                             " ff=" + std::to_string(withFactors) +
                             " style=" + std::to_string(style);
          std::vector<float> first;
          for (int nth : kThreadCounts) {
            std::vector<float> y(x.size(), 42.0f);
            runThreads(nth, [&](int ith) {
              ingot_uk_rope_ggml(y.data(), x.data(), pos.data(), n, H, D, rot,
                                 thetaScale, withFactors ? ff.data() : nullptr,
                                 style, ith, nth);
            });
            if (nth == 1)
              first = y;
            else
              ASSERT_EQ(y, first) << what << " nth " << nth;
          }
          for (int64_t t = 0; t < n; ++t)
            for (int64_t h = 0; h < H; ++h) {
              int64_t base = (t * H + h) * D;
              for (int64_t i = 0; i < half; ++i) {
                int64_t i0 = style == 0 ? i : 2 * i;
                int64_t i1 = style == 0 ? i + half : 2 * i + 1;
                double inv = std::pow(static_cast<double>(thetaScale),
                                      static_cast<double>(i)) /
                             (withFactors ? ff[i] : 1.0f);
                double angle = pos[t] * inv;
                double ab = std::fabs(x[base + i0]) + std::fabs(x[base + i1]);
                double tol = ab * ((i + 1) * u * angle * 1.01 + 4 * u);
                for (int64_t e : {base + i0, base + i1})
                  if (tol > 0)
                    worst = std::max(worst, std::fabs(first[e] - wv[e]) / tol);
                ASSERT_NEAR(first[base + i0], wv[base + i0], tol)
                    << what << " pos " << pos[t] << " pair " << i;
                ASSERT_NEAR(first[base + i1], wv[base + i1], tol)
                    << what << " pos " << pos[t] << " pair " << i;
              }
              // Features from rot on are copied; position 0 is the
              // identity (cos 1, sin 0).
              for (int64_t d = rot; d < D; ++d)
                ASSERT_EQ(first[base + d], x[base + d]) << what;
              if (pos[t] == 0) {
                for (int64_t d = 0; d < D; ++d)
                  ASSERT_EQ(first[base + d], x[base + d]) << what;
              }
            }
          // In place: the same bits.
          for (int nth : kThreadCounts) {
            std::vector<float> z = x;
            runThreads(nth, [&](int ith) {
              ingot_uk_rope_ggml(z.data(), z.data(), pos.data(), n, H, D, rot,
                                 thetaScale, withFactors ? ff.data() : nullptr,
                                 style, ith, nth);
            });
            ASSERT_EQ(z, first) << what << " in place, nth " << nth;
          }
        }
  printf("[ info ] rope_ggml: worst error %.3f of the tolerance\n", worst);
}

TEST_F(UKernels, SiluMulGgml) {
  // silu(a)·b against the formula in double (the Binary test's). 37
  // columns: 32 through GGML's exp (vectors of 8 from each row's start), 5
  // through libm's expf, where the result must equal INGOT_EW_SILU_MUL's
  // bit for bit. GGML's exp is within ~2 ulps (see SiluMulGgmlExpAccuracy);
  // with 1 + e, the division and the product that is under 2e-6 relative,
  // as the Binary test allows libm's. Large |a| take the exp's special
  // scaling (|n| > 126, > 192) or overflow: silu(-200) = -0, silu(200) =
  // 200, always finite.
  int64_t rows = 3, cols = 37;
  std::vector<float> a = randomFloats(rng, rows * cols, -8, 8);
  const float big[] = {100,    -100,  150,   -150, 200, -200, 88.5f,
                       -88.5f, 89,    -89,   87,   -87, 17,   -17,
                       0,      -0.0f, 1e-3f, 120,  -120};
  for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); ++i) {
    a[(i % 2) * cols + i] = big[i];    // vector columns
    a[2 * cols + 32 + i % 5] = big[i]; // tail columns (last wins)
  }
  a[2 * cols + 33] = -150;
  a[2 * cols + 34] = 200;
  struct Shape {
    int64_t br, bc;
  };
  for (Shape s : {Shape{rows, cols}, Shape{1, cols}, Shape{rows, 1}}) {
    std::vector<float> b = randomFloats(rng, s.br * s.bc, 0.5, 2);
    std::vector<float> want(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double v = b[(s.br == 1 ? 0 : r) * s.bc + (s.bc == 1 ? 0 : c)];
        want[r * cols + c] = static_cast<float>(
            ref::applyUnary(ref::UnaryKind::Silu, a[r * cols + c]) * v);
      }
    std::vector<float> exact(rows * cols);
    ingot_uk_binary(exact.data(), a.data(), b.data(), rows, cols, s.br, s.bc,
                    INGOT_EW_SILU_MUL, 0, 1);
    std::vector<float> first;
    for (int nth : kThreadCounts) {
      std::vector<float> y(rows * cols, 42.0f);
      runThreads(nth, [&](int ith) {
        ingot_uk_binary(y.data(), a.data(), b.data(), rows, cols, s.br, s.bc,
                        INGOT_EW_SILU_MUL_GGML, ith, nth);
      });
      for (float f : y)
        ASSERT_TRUE(std::isfinite(f));
      expectClose(y, want, 2e-6, 1e-7, "silu_mul_ggml");
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 32; c < cols; ++c)
          ASSERT_EQ(y[r * cols + c], exact[r * cols + c])
              << "tail column " << c << " row " << r;
      if (nth == 1)
        first = y;
      else
        ASSERT_EQ(y, first) << "nth " << nth;
      // In place over a (y = a): the same bits.
      std::vector<float> z = a;
      runThreads(nth, [&](int ith) {
        ingot_uk_binary(z.data(), z.data(), b.data(), rows, cols, s.br, s.bc,
                        INGOT_EW_SILU_MUL_GGML, ith, nth);
      });
      ASSERT_EQ(z, first) << "in place, nth " << nth;
    }
    // The special values themselves.
    for (int64_t i = 0; i < rows * cols; ++i) {
      float v =
          b[((s.br == 1 ? 0 : i / cols) * s.bc) + (s.bc == 1 ? 0 : i % cols)];
      if (a[i] == 200 || a[i] == 150 || a[i] == 100) {
        ASSERT_EQ(first[i], a[i] * v) << "element " << i;
      }
      if (a[i] <= -100) {
        ASSERT_EQ(first[i], 0.0f) << "element " << i;
      }
    }
  }
}

TEST_F(UKernels, SiluMulGgmlExpAccuracy) {
  // GGML's vectorized e^x (range reduction, degree-5 polynomial) through
  // silu(a)·1 for a sweep of a in [-87, 87] (e^-a normal), all in vector
  // columns: against a/(1 + e^-a) in double. GGML documents its exp within
  // 1.5 ulps (relative 2^-22 at worst); 1 + e^-a keeps that relative error
  // at most and rounds once more (u = 2^-24), the division rounds once
  // (u): within 6u relative, 6 ulps of the result at most.
  int64_t cols = 256, count = 64 * cols;
  std::vector<float> a(count), ones(count, 1.0f);
  for (int64_t i = 0; i < count; ++i)
    a[i] = -87.0f + 174.0f * static_cast<float>(i) / (count - 1);
  a[count / 2] = 0.0f;
  std::vector<float> y(count);
  ingot_uk_binary(y.data(), a.data(), ones.data(), count / cols, cols, 1, cols,
                  INGOT_EW_SILU_MUL_GGML, 0, 1);
  double worst = 0;
  for (int64_t i = 0; i < count; ++i) {
    double x = a[i];
    double want = x / (1.0 + std::exp(-x));
    double err = std::fabs(y[i] - want);
    ASSERT_LE(err, 6 * std::ldexp(1.0, -24) * std::fabs(want))
        << "a = " << a[i] << ": " << y[i] << " vs " << want;
    float wf = static_cast<float>(want);
    if (wf != 0.0f) {
      double ulp = std::nextafter(std::fabs(wf), INFINITY) - std::fabs(wf);
      worst = std::max(worst, err / ulp);
    }
  }
  printf("[ info ] silu_mul_ggml: worst error %.2f ulps over [-87, 87]\n",
         worst);
}

TEST_F(UKernels, Unary) {
  std::vector<float> x = randomFloats(rng, 101, -6, 6);
  x[3] = NAN;
  x[4] = 0;
  x[7] = -100;
  const ref::UnaryKind kinds[] = {
      ref::UnaryKind::Silu,     ref::UnaryKind::Sigmoid, ref::UnaryKind::Gelu,
      ref::UnaryKind::GeluTanh, ref::UnaryKind::Tanh,    ref::UnaryKind::Exp,
      ref::UnaryKind::Neg,      ref::UnaryKind::Rsqrt,   ref::UnaryKind::Relu};
  for (int32_t op = INGOT_UN_SILU; op <= INGOT_UN_RELU; ++op) {
    std::vector<float> want(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      want[i] = static_cast<float>(ref::applyUnary(kinds[op], x[i]));
    for (int nth : kThreadCounts) {
      std::vector<float> y(x.size());
      runThreads(nth, [&](int ith) {
        ingot_uk_unary(y.data(), x.data(), x.size(), op, ith, nth);
      });
      expectClose(y, want, 2e-6, 1e-7, "unary op " + std::to_string(op));
    }
  }
}

TEST_F(UKernels, Clamp) {
  std::vector<float> x = randomFloats(rng, 101, -2, 2);
  x[3] = NAN;
  x[5] = 0.75f;
  x[6] = -0.75f;
  auto want = ref::clamp(ref::RefValue::getFloatTensor(
                             {static_cast<int64_t>(x.size())}, x),
                         -0.75, 0.75);
  ASSERT_TRUE(static_cast<bool>(want)) << llvm::toString(want.takeError());
  int clamped = 0;
  for (float v : x)
    clamped += std::fabs(v) > 0.75f;
  ASSERT_GT(clamped, 10);
  for (int nth : kThreadCounts) {
    std::vector<float> y(x.size());
    runThreads(nth, [&](int ith) {
      ingot_uk_clamp(y.data(), x.data(), x.size(), -0.75f, 0.75f, ith, nth);
    });
    expectClose(y, want->getFloats(), 0, 0, "clamp");
    EXPECT_TRUE(std::isnan(y[3]));
  }
}

TEST_F(UKernels, Hadamard) {
  int64_t rows = 3, D = 64;
  uint64_t seed = 77;
  std::vector<float> x = randomFloats(rng, rows * D);
  std::vector<float> signs(D);
  for (int64_t i = 0; i < D; ++i)
    signs[i] = isHadamardSignNegative(seed, i) ? -1.0f : 1.0f;
  auto X = ref::RefValue::getFloatTensor({rows, D}, x);
  for (bool inverse : {false, true}) {
    auto want = ref::hadamard(X, seed, inverse);
    ASSERT_TRUE(static_cast<bool>(want));
    for (int nth : kThreadCounts) {
      std::vector<float> y = x;
      runThreads(nth, [&](int ith) {
        ingot_uk_hadamard(y.data(), y.data(), rows, D, signs.data(), inverse,
                          ith, nth);
      });
      // log2(D) f32 butterflies of sums bounded by |x|·√D before the
      // scaling: 6·√64·2^-24 absolute, plus the final rounding.
      expectClose(y, want->getFloats(), 2e-7, 8 * 8 * std::ldexp(1.0, -24),
                  "hadamard");
    }
  }
}

//===----------------------------------------------------------------------===//
// Attention over the KV cache
//===----------------------------------------------------------------------===//

struct KVFormat {
  int32_t fmt;
  const char *name;
};

const KVFormat kKVFormats[] = {
    {INGOT_KV_F32, "f32"}, {INGOT_KV_F16, "f16"}, {INGOT_KV_BF16, "bf16"},
    {INGOT_KV_Q8, "q8"},   {INGOT_KV_Q4, "q4"},   {INGOT_KV_TQ4, "tq4"},
    {INGOT_KV_TQ3, "tq3"}};

/// What a cache of `fmt` returns for the head vector `v`, by the reference.
void roundTrip(mlir::MLIRContext &context, int32_t fmt,
               llvm::MutableArrayRef<float> v) {
  switch (fmt) {
  case INGOT_KV_F32:
    return;
  case INGOT_KV_F16:
    for (float &x : v)
      x = gguf::halfToFloat(pack::floatToHalf(x));
    return;
  case INGOT_KV_BF16:
    for (float &x : v) {
      llvm::APFloat a(x);
      bool loses;
      a.convert(llvm::APFloat::BFloat(), llvm::APFloat::rmNearestTiesToEven,
                &loses);
      a.convert(llvm::APFloat::IEEEsingle(),
                llvm::APFloat::rmNearestTiesToEven, &loses);
      x = a.convertToFloat();
    }
    return;
  }
  KVQuantKind kind = fmt == INGOT_KV_Q8   ? KVQuantKind::q8
                     : fmt == INGOT_KV_Q4 ? KVQuantKind::q4
                     : fmt == INGOT_KV_TQ4
                         ? KVQuantKind::tq4
                         : KVQuantKind::tq3;
  ref::roundTripKVVector(KVQuantAttr::get(&context, kind), v);
}

const float *codebook(int32_t fmt, int64_t D) {
  if (fmt == INGOT_KV_TQ4)
    return getTurboCodebook(D, 4).data();
  if (fmt == INGOT_KV_TQ3)
    return getTurboCodebook(D, 3).data();
  return nullptr;
}
// The reference evaluator's attention parameters for a kernel call's.
static ref::AttentionParams attentionParams(int32_t mask, int64_t window,
                                            float scale, float softcap) {
  ref::AttentionParams params;
  params.mask = static_cast<MaskKind>(mask);
  params.window = window;
  params.scale = scale;
  if (softcap > 0)
    params.softcap = softcap;
  return params;
}

// The reference attention of queries start .. start+n-1 over keys 0 ..
// start+n-1 (kr, vr: the keys and values as the cache holds them, rounded
// to its encoding; q, kr, vr laid out [token][head][D]).
static llvm::Expected<ref::RefValue> referenceAttentionStep(
    const std::vector<float> &q, const std::vector<float> &kr,
    const std::vector<float> &vr, int64_t start, int64_t n, int64_t Hq,
    int64_t Hkv, int64_t D, const ref::AttentionParams &params) {
  int64_t keys = start + n;
  std::vector<int64_t> qpos, kpos;
  for (int64_t i = 0; i < n; ++i)
    qpos.push_back(start + i);
  for (int64_t j = 0; j < keys; ++j)
    kpos.push_back(j);
  auto Q = ref::RefValue::getFloatTensor(
      {n, Hq, D}, std::vector<float>(q.begin() + start * Hq * D,
                                     q.begin() + keys * Hq * D));
  auto K = ref::RefValue::getFloatTensor(
      {keys, Hkv, D},
      std::vector<float>(kr.begin(), kr.begin() + keys * Hkv * D));
  auto V = ref::RefValue::getFloatTensor(
      {keys, Hkv, D},
      std::vector<float>(vr.begin(), vr.begin() + keys * Hkv * D));
  return ref::attention(Q, K, V, qpos, kpos, params);
}

/// Runs prefill of `n0` tokens then decode steps up to `total` tokens through
/// ingot_uk_attention on nth threads and checks every output against
/// reference::attention over the round-tripped keys and values.
void checkAttention(mlir::MLIRContext &context, std::mt19937 &rng,
                    const KVFormat &kf, const KVFormat &vf, int64_t D,
                    int32_t mask, int64_t window, float softcap) {
  int64_t Hq = 4, Hkv = 2, ctx = 12, n0 = 5, total = 8;
  float scale = 1.0f / std::sqrt(static_cast<float>(D));
  int64_t kbytes = ingot_uk_kv_entry_bytes(kf.fmt, D);
  int64_t vbytes = ingot_uk_kv_entry_bytes(vf.fmt, D);
  std::vector<float> q = randomFloats(rng, total * Hq * D, -2, 2);
  std::vector<float> k = randomFloats(rng, total * Hkv * D, -2, 2);
  std::vector<float> v = randomFloats(rng, total * Hkv * D, -2, 2);
  // The reference's caches: every head vector round-tripped.
  std::vector<float> kr = k, vr = v;
  for (int64_t i = 0; i < total * Hkv; ++i) {
    roundTrip(context, kf.fmt, llvm::MutableArrayRef<float>(&kr[i * D], D));
    roundTrip(context, vf.fmt, llvm::MutableArrayRef<float>(&vr[i * D], D));
  }
  ref::AttentionParams params = attentionParams(mask, window, scale, softcap);
  std::vector<float> first;
  for (int nth : kThreadCounts) {
    Aligned kc(ctx * Hkv * kbytes), vc(ctx * Hkv * vbytes);
    Aligned scratch(nth * INGOT_UK_ATTENTION_SCRATCH_FLOATS(ctx, D) * 4);
    Sync s;
    std::vector<float> out(total * Hq * D);
    for (int64_t start = 0; start < total;) {
      int64_t n = start == 0 ? n0 : 1;
      runThreads(nth, [&](int ith) {
        ingot_uk_attention(
            out.data() + start * Hq * D, q.data() + start * Hq * D,
            k.data() + start * Hkv * D, v.data() + start * Hkv * D, kc.data,
            vc.data, n, start, Hq, Hkv, D, scale, mask, window, softcap, kf.fmt,
            vf.fmt, codebook(kf.fmt, D), codebook(vf.fmt, D),
            INGOT_NUMERICS_EXACT, scratch.as<float>(), &s.sync, ith, nth);
      });
      // Reference: the queries of this step over the keys so far.
      int64_t keys = start + n;
      auto want =
          referenceAttentionStep(q, kr, vr, start, n, Hq, Hkv, D, params);
      ASSERT_TRUE(static_cast<bool>(want));
      std::vector<float> got(out.begin() + start * Hq * D,
                             out.begin() + keys * Hq * D);
      // f32 dot products of D terms (|q·k| <= 4D·2^-24 relative to the
      // sum of |q_d k_d| <= 4D, times the scale), a softmax in f32 and a
      // weighted average of values <= 2: 1e-5 covers it with room.
      std::string what = std::string("attention k=") + kf.name +
                         " v=" + vf.name + " D=" + std::to_string(D) +
                         " mask=" + std::to_string(mask) +
                         " start=" + std::to_string(start);
      expectClose(got, want->getFloats(), 1e-5, 2e-5, what);
      if (start == 0 && mask != 0) {
        // The first query sees only the first key: its output is that
        // value as the cache stores it, exactly.
        for (int64_t h = 0; h < Hq; ++h)
          for (int64_t d = 0; d < D; ++d)
            ASSERT_EQ(got[h * D + d], vr[(h / (Hq / Hkv)) * D + d])
                << what << " head " << h;
      }
      start += n;
    }
    if (nth == 1)
      first = out;
    else
      ASSERT_EQ(out, first) << kf.name << "/" << vf.name << " nth " << nth;
  }
}

TEST_F(UKernels, AttentionEveryKVFormat) {
  for (const KVFormat &f : kKVFormats)
    for (int64_t D : {64, 16})
      checkAttention(context, rng, f, f, D, /*mask=*/1, 0, 0.0f);
}

TEST_F(UKernels, AttentionMixedFormatsMasksSoftcap) {
  checkAttention(context, rng, kKVFormats[3], kKVFormats[1], 64, 1, 0, 0.0f);
  checkAttention(context, rng, kKVFormats[5], kKVFormats[0], 64, 1, 0, 0.0f);
  checkAttention(context, rng, kKVFormats[0], kKVFormats[0], 32, 2, 3, 0.0f);
  checkAttention(context, rng, kKVFormats[1], kKVFormats[1], 32, 0, 0, 0.0f);
  checkAttention(context, rng, kKVFormats[0], kKVFormats[6], 64, 1, 0, 2.0f);
}

/// Prefill of 5 tokens then 4 decode steps through ingot_uk_attention with
/// numerics GGML on f16 caches, on 1-3 threads, against reference::attention
/// over the f16-rounded keys and values, and against the exact kernel (the
/// results must differ somewhere: the argument is read).
void checkAttentionGgml(mlir::MLIRContext &context, std::mt19937 &rng,
                        int64_t D, int64_t Hq, int64_t Hkv, int32_t mask,
                        int64_t window, float softcap) {
  int64_t ctx = 12, n0 = 5, total = 9;
  float scale = 1.0f / std::sqrt(static_cast<float>(D));
  int64_t bytes = ingot_uk_kv_entry_bytes(INGOT_KV_F16, D);
  std::vector<float> q = randomFloats(rng, total * Hq * D, -2, 2);
  std::vector<float> k = randomFloats(rng, total * Hkv * D, -2, 2);
  std::vector<float> v = randomFloats(rng, total * Hkv * D, -2, 2);
  std::vector<float> kr = k, vr = v;
  roundTrip(context, INGOT_KV_F16, kr);
  roundTrip(context, INGOT_KV_F16, vr);
  ref::AttentionParams params = attentionParams(mask, window, scale, softcap);
  std::string what = "attention ggml D=" + std::to_string(D) +
                     " Hq/Hkv=" + std::to_string(Hq) + "/" +
                     std::to_string(Hkv) + " mask=" + std::to_string(mask) +
                     " softcap=" + std::to_string(softcap);
  const double u11 = std::ldexp(1.0, -11), u24 = std::ldexp(1.0, -24);
  std::vector<float> first;
  bool differs = false;
  double worst = 0; // largest error / the f16 part of the tolerance
  for (int nth : kThreadCounts) {
    Aligned kc(ctx * Hkv * bytes), vc(ctx * Hkv * bytes);
    Aligned kce(ctx * Hkv * bytes), vce(ctx * Hkv * bytes);
    Aligned scratch(nth * INGOT_UK_ATTENTION_SCRATCH_FLOATS(ctx, D) * 4);
    Sync s;
    std::vector<float> out(total * Hq * D), exact(total * Hq * D);
    for (int64_t start = 0; start < total;) {
      int64_t n = start == 0 ? n0 : 1;
      for (int32_t numerics : {INGOT_NUMERICS_GGML, INGOT_NUMERICS_EXACT}) {
        bool ggml = numerics == INGOT_NUMERICS_GGML;
        float *o = (ggml ? out : exact).data() + start * Hq * D;
        runThreads(nth, [&](int ith) {
          ingot_uk_attention(
              o, q.data() + start * Hq * D, k.data() + start * Hkv * D,
              v.data() + start * Hkv * D, ggml ? kc.data : kce.data,
              ggml ? vc.data : vce.data, n, start, Hq, Hkv, D, scale, mask,
              window, softcap, INGOT_KV_F16, INGOT_KV_F16, nullptr, nullptr,
              numerics, scratch.as<float>(), &s.sync, ith, nth);
        });
      }
      int64_t keys = start + n;
      auto want =
          referenceAttentionStep(q, kr, vr, start, n, Hq, Hkv, D, params);
      ASSERT_TRUE(static_cast<bool>(want));
      const std::vector<float> &wv = want->getFloats();
      for (int64_t i = 0; i < n; ++i)
        for (int64_t h = 0; h < Hq; ++h) {
          int64_t qp = start + i, kvh = h / (Hq / Hkv);
          int64_t j0 = 0, j1 = mask == 0 ? keys : qp + 1;
          if (mask == 2)
            j0 = std::max<int64_t>(0, qp - window + 1);
          // Tolerance. The query rounded to f16 moves each product q_d·k_d
          // by at most 2^-11 of it, and the f32 dot (fused, 8-lane
          // partial sums) by D·2^-24 of Σ|q_d·k_d|: each score moves by at
          // most δ = scale·max_j Σ|q_d·k_jd|·(2^-11 + D·2^-24) (softcap's
          // tanh does not amplify). Scores each within δ change every
          // softmax weight by a factor within e^±2δ, the output by at most
          // (e^2δ - 1)·max|v|. The value sum in f16 rounds once per key
          // (the fused multiply-add) and once per new maximum (the
          // rescale), at most 2·keys roundings, each by 2^-11 of a partial
          // sum that is at most S·max|v| (S the final softmax
          // denominator, >= 1), or by 2^-25 absolute where f16 is
          // subnormal: after the division by S, (2·keys)·(2^-11·max|v| +
          // 2^-25). Plus the exact kernel's f32 allowance (1e-5 relative,
          // 2e-5 absolute).
          const float *qv = q.data() + (qp * Hq + h) * D;
          double dot = 0, vmax = 0;
          for (int64_t j = j0; j < j1; ++j) {
            double sum = 0;
            for (int64_t d = 0; d < D; ++d) {
              sum += std::fabs(qv[d] * kr[(j * Hkv + kvh) * D + d]);
              vmax = std::max(vmax, std::fabs(static_cast<double>(
                                        vr[(j * Hkv + kvh) * D + d])));
            }
            dot = std::max(dot, sum);
          }
          double delta = scale * dot * (u11 + D * u24);
          double tol = std::expm1(2 * delta) * vmax +
                       2 * (j1 - j0) * (u11 * vmax + std::ldexp(1.0, -25));
          for (int64_t d = 0; d < D; ++d) {
            int64_t e = (i * Hq + h) * D + d;
            float got = out[start * Hq * D + e];
            worst = std::max(worst, std::fabs(got - wv[e]) / tol);
            ASSERT_NEAR(got, wv[e], tol * 1.01 + 1e-5 * std::fabs(wv[e]) + 2e-5)
                << what << " start " << start << " query " << i << " head " << h
                << " keys " << j1 - j0;
            if (got != exact[start * Hq * D + e])
              differs = true;
            // A query that sees one key: that value as cached, exactly.
            if (j1 - j0 == 1) {
              ASSERT_EQ(got, vr[(j0 * Hkv + kvh) * D + d]) << what;
            }
          }
        }
      start += n;
    }
    if (nth == 1)
      first = out;
    else
      ASSERT_EQ(out, first) << what << " nth " << nth;
  }
  EXPECT_TRUE(differs) << what << ": the same as numerics EXACT";
  printf("[ info ] %s: worst error %.3f of the f16 tolerance\n", what.c_str(),
         worst);
}

TEST_F(UKernels, AttentionGgmlF16) {
  // D = 64: two 32-element blocks of the 8-lane dot; 16: the leftover
  // loop only; 40: one block and 8 left over. Causal and sliding-window
  // masks, groups of 2 and 3 query heads per KV head, a softcap.
  for (int64_t D : {64, 16, 40}) {
    checkAttentionGgml(context, rng, D, 4, 2, /*mask=*/1, 0, 0.0f);
    checkAttentionGgml(context, rng, D, 6, 2, /*mask=*/2, 3, 0.0f);
  }
  checkAttentionGgml(context, rng, 64, 4, 1, /*mask=*/1, 0, 2.0f);
  checkAttentionGgml(context, rng, 40, 3, 3, /*mask=*/0, 0, 0.0f);
}

TEST_F(UKernels, KVEntryBytesMatchDialect) {
  KVCacheType t;
  for (int64_t D : {16, 64, 128}) {
    auto bytes = [&](KVQuantKind kind) {
      return getKVBytesPerTokenHead(KVCacheType::get(
          &context, 4, 1, D, mlir::Float32Type::get(&context),
          KVQuantAttr::get(&context, kind)));
    };
    EXPECT_EQ(ingot_uk_kv_entry_bytes(INGOT_KV_F32, D), 4 * D);
    EXPECT_EQ(ingot_uk_kv_entry_bytes(INGOT_KV_Q8, D), bytes(KVQuantKind::q8));
    EXPECT_EQ(ingot_uk_kv_entry_bytes(INGOT_KV_Q4, D), bytes(KVQuantKind::q4));
    EXPECT_EQ(ingot_uk_kv_entry_bytes(INGOT_KV_TQ4, D),
              bytes(KVQuantKind::tq4));
    EXPECT_EQ(ingot_uk_kv_entry_bytes(INGOT_KV_TQ3, D),
              bytes(KVQuantKind::tq3));
  }
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

TEST_F(UKernels, RouteMatchesReference) {
  int64_t n = 9, E = 8;
  std::vector<float> logits = randomFloats(rng, n * E, -3, 3);
  // Ties (ranked by index) and a NaN (ranked first).
  logits[1 * E + 2] = logits[1 * E + 5] = 2.5f;
  for (int64_t e = 0; e < E; ++e)
    logits[2 * E + e] = 0.25f;
  logits[3 * E + 6] = NAN;
  auto L = ref::RefValue::getFloatTensor({n, E}, logits);
  struct Rule {
    RoutingKind kind;
    int32_t k;
    float p;
    int32_t max;
  };
  for (Rule r : {Rule{RoutingKind::top_k, 2, 0, 0},
                 Rule{RoutingKind::top_k, 8, 0, 0},
                 Rule{RoutingKind::top_p, 0, 0.6f, 0},
                 Rule{RoutingKind::top_p, 0, 0.9f, 3},
                 Rule{RoutingKind::threshold, 0, 0.1f, 0},
                 Rule{RoutingKind::threshold, 0, 0.6f, 2}})
    for (RouterScoring scoring :
         {RouterScoring::softmax, RouterScoring::sigmoid})
      for (bool renormalize : {false, true}) {
        auto attr = RoutingAttr::get(&context, r.kind, int64_t{r.k},
                                     llvm::APFloat(static_cast<double>(r.p)),
                                     int64_t{r.max});
        auto want = ref::route(L, attr, scoring, renormalize);
        ASSERT_TRUE(static_cast<bool>(want));
        int32_t rule = r.kind == RoutingKind::top_k ? INGOT_ROUTE_TOP_K
                       : r.kind == RoutingKind::top_p
                           ? INGOT_ROUTE_TOP_P
                           : INGOT_ROUTE_THRESHOLD;
        for (int nth : kThreadCounts) {
          std::vector<int32_t> offsets(n + 1, -1), experts(n * E, -1);
          std::vector<float> weights(n * E, -1);
          runThreads(nth, [&](int ith) {
            ingot_uk_route(offsets.data(), experts.data(), weights.data(),
                           logits.data(), n, E, rule, r.k, r.p, r.max,
                           scoring == RouterScoring::softmax
                               ? INGOT_SCORE_SOFTMAX
                               : INGOT_SCORE_SIGMOID,
                           renormalize, ith, nth);
          });
          const auto &wo = (*want)[0].getInts();
          const auto &we = (*want)[1].getInts();
          const auto &ww = (*want)[2].getFloats();
          std::string what = "rule " + std::to_string(rule) + " k/max " +
                             std::to_string(r.k) + "/" + std::to_string(r.max);
          ASSERT_EQ(std::vector<int64_t>(offsets.begin(), offsets.end()), wo)
              << what;
          for (size_t i = 0; i < we.size(); ++i) {
            ASSERT_EQ(experts[i], we[i]) << what << " pair " << i;
            // Scores are computed in double by the same operations.
            if (std::isnan(ww[i]))
              ASSERT_TRUE(std::isnan(weights[i])) << what;
            else
              ASSERT_EQ(weights[i], ww[i]) << what << " pair " << i;
          }
        }
      }
}

TEST_F(UKernels, MoeSortGatherScatter) {
  int64_t n = 6, E = 5, D = 7;
  std::vector<int32_t> offsets = {0, 2, 4, 5, 7, 9, 11};
  std::vector<int32_t> experts = {3, 0, 0, 4, 3, 1, 3, 4, 0, 0, 3};
  int64_t pairs = experts.size();
  auto O = ref::RefValue::getIntTensor(
      {n + 1}, std::vector<int64_t>(offsets.begin(), offsets.end()));
  auto X = ref::RefValue::getIntTensor(
      {pairs}, std::vector<int64_t>(experts.begin(), experts.end()));
  auto want = ref::moeSort(O, X, E);
  ASSERT_TRUE(static_cast<bool>(want));
  std::vector<float> x = randomFloats(rng, n * D);
  std::vector<float> scale = randomFloats(rng, pairs);
  for (int nth : kThreadCounts) {
    std::vector<int32_t> eo(E + 1, -1), sp(pairs, -1), tok(pairs, -1);
    runThreads(nth, [&](int ith) {
      ingot_uk_moe_sort(eo.data(), sp.data(), tok.data(), offsets.data(),
                        experts.data(), n, E, ith, nth);
    });
    EXPECT_EQ(std::vector<int64_t>(eo.begin(), eo.end()), (*want)[0].getInts());
    EXPECT_EQ(std::vector<int64_t>(sp.begin(), sp.end()), (*want)[1].getInts());
    EXPECT_EQ(std::vector<int64_t>(tok.begin(), tok.end()),
              (*want)[2].getInts());
    // Gather each sorted pair's token row, then scatter them back scaled.
    std::vector<float> g(pairs * D);
    runThreads(nth, [&](int ith) {
      ingot_uk_gather_rows(g.data(), x.data(), tok.data(), pairs, D, ith, nth);
    });
    for (int64_t i = 0; i < pairs; ++i)
      for (int64_t d = 0; d < D; ++d)
        ASSERT_EQ(g[i * D + d], x[tok[i] * D + d]);
    for (bool scaled : {false, true}) {
      std::vector<float> y(n * D, 99.0f);
      runThreads(nth, [&](int ith) {
        ingot_uk_scatter_add(y.data(), g.data(), tok.data(),
                             scaled ? scale.data() : nullptr, pairs, n, D, ith,
                             nth);
      });
      auto src = ref::RefValue::getFloatTensor({pairs, D}, g);
      auto idx = ref::RefValue::getIntTensor(
          {pairs}, std::vector<int64_t>(tok.begin(), tok.end()));
      auto dest =
          ref::RefValue::getFloatTensor({n, D}, std::vector<float>(n * D));
      auto S = ref::RefValue::getFloatTensor({pairs}, scale);
      auto r = ref::scatterAdd(src, idx, dest, scaled ? &S : nullptr);
      ASSERT_TRUE(static_cast<bool>(r));
      // At most 4 f32 additions per element.
      expectClose(y, r->getFloats(), 5e-7, 1e-7, "scatter_add");
    }
  }
}

#ifdef INGOT_UK_TEST_BITCODE
TEST_F(UKernels, EmbeddedBitcodeParsesPerVariant) {
  // Each variant is a valid module for its triple and target CPU that
  // defines every ukernel.
  struct Variant {
    const char *name, *triple, *cpu;
  };
  for (Variant v : {Variant{"x86_64", "x86_64-unknown-linux-gnu", "x86-64"},
                    Variant{"x86_64-avx2", "x86_64-unknown-linux-gnu",
                            "x86-64-v3"},
                    Variant{"x86_64-avx512", "x86_64-unknown-linux-gnu",
                            "x86-64-v4"},
                    Variant{"aarch64", "aarch64-unknown-linux-gnu", ""},
                    Variant{"aarch64-dotprod", "aarch64-unknown-linux-gnu",
                            ""}}) {
    llvm::StringRef bitcode = ::ingot::ukernels::getBitcode(v.name);
    ASSERT_FALSE(bitcode.empty()) << v.name;
    llvm::LLVMContext llvmContext;
    auto module = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(bitcode, v.name), llvmContext);
    ASSERT_TRUE(static_cast<bool>(module))
        << v.name << ": " << llvm::toString(module.takeError());
    EXPECT_EQ((*module)->getTargetTriple().str(), v.triple) << v.name;
    for (const char *fn :
         {"ingot_uk_barrier", "ingot_uk_row_bytes", "ingot_uk_matmul",
          "ingot_uk_embedding", "ingot_uk_rms_norm", "ingot_uk_layer_norm",
          "ingot_uk_rms_norm_ggml", "ingot_uk_rope", "ingot_uk_rope_ggml",
          "ingot_uk_kv_entry_bytes", "ingot_uk_attention", "ingot_uk_binary",
          "ingot_uk_unary", "ingot_uk_hadamard", "ingot_uk_route",
          "ingot_uk_moe_sort", "ingot_uk_gather_rows",
          "ingot_uk_grouped_matmul", "ingot_uk_scatter_add"}) {
      llvm::Function *f = (*module)->getFunction(fn);
      ASSERT_TRUE(f && !f->isDeclaration()) << v.name << " lacks " << fn;
      if (*v.cpu) {
        EXPECT_EQ(f->getFnAttribute("target-cpu").getValueAsString(), v.cpu)
            << v.name << " " << fn;
      }
    }
  }
  EXPECT_TRUE(::ingot::ukernels::getBitcode("riscv64").empty());
}
#endif

//===----------------------------------------------------------------------===//
// Throughput (printed, not asserted)
//===----------------------------------------------------------------------===//

TEST_F(UKernels, MatmulThroughput) {
  // SmolLM2-135M's 576x1536 FFN shape (N = 1536 rows of K = 576) in Q4_1,
  // Q8_0 and Q4_0 (and 1536x768 Q4_K and Q5_K, in rows and repacked), one
  // thread. "hot": the same matrix every call (it stays in L2); "cold": a
  // different copy each call from 64 MiB of copies, as in decode, where the
  // whole model streams from memory once per token.
  int64_t N = 1536, K = 576;
  const Format q4kx8 = {INGOT_W_Q4_KX8, 0, "q4_kx8"};
  const Format q5kx8 = {INGOT_W_Q5_KX8, 0, "q5_kx8"};
  for (const Format &f : {kFormats[5], kFormats[3], kFormats[4], kFormats[8],
                          q4kx8, kFormats[9], q5kx8}) {
    bool x8 = f.fmt == INGOT_W_Q4_KX8 || f.fmt == INGOT_W_Q5_KX8;
    if (isKQuant(f.fmt) || x8)
      K = 768; // a whole number of 256-element blocks
    Weights w = x8 ? interleaveKRows(
                         makeWeights(rng,
                                     f.fmt == INGOT_W_Q5_KX8 ? kFormats[9]
                                                             : kFormats[8],
                                     N, K),
                         N, K, f.fmt == INGOT_W_Q5_KX8)
                   : makeWeights(rng, f, N, K);
    size_t bytes = w.bytes.size();
    size_t copies = (64u << 20) / bytes + 1;
    std::vector<uint8_t> many(copies * bytes);
    for (size_t c = 0; c < copies; ++c)
      std::memcpy(many.data() + c * bytes, w.bytes.data(), bytes);
    for (int64_t M : {1, 64}) {
      std::vector<float> x = randomFloats(rng, M * K);
      Aligned y(M * N * 4), scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
      Sync s;
      for (bool cold : {false, true}) {
        if (cold && M > 1)
          continue;
        auto run = [&](size_t c) {
          ingot_uk_matmul(y.as<float>(), x.data(),
                          cold ? many.data() + (c % copies) * bytes
                               : w.bytes.data(),
                          nullptr, M, N, K, f.fmt, f.group, scratch.data,
                          &s.sync, 0, 1);
        };
        run(0);
        int reps = M == 1 ? 2 * static_cast<int>(copies) : 10;
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < reps; ++i)
          run(i + 1);
        double sec = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count() /
                     reps;
        printf("[ perf ] %-6s %-8s M=%-3lld %-4s %8.1f us %7.2f GFLOP/s "
               "%6.2f GB/s of weights\n",
               f.name, isAVX2Build() ? "avx2" : "portable",
               static_cast<long long>(M), cold ? "cold" : "hot", sec * 1e6,
               2.0 * M * N * K / sec / 1e9, bytes / sec / 1e9);
      }
    }
  }
}

} // namespace
