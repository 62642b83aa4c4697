//===- GPUKernelsTest.cpp - The GPU ukernels under the SIMT executor ------===//
//
// The executor itself (a block reduction right with its barriers and wrong
// without them, warp shuffles, divergent barriers and shuffles reported),
// the kernels' math against libm, and every ingot_gk_* kernel run under
// the executor against the native CPU ukernel (IngotUKernels) on random
// inputs, in several shapes and grids, every format.
//
// Tolerances: u = 2^-24. Where both sides compute the same float
// operations (embedding, copy, clamp, iota, the KV-cache encodings, the
// exact elementwise ops) results must be equal bit for bit. A dot product
// of n terms summed in any order in f32 is within γ·Σ|terms| of the exact
// one, γ = (additions on the longest path + 1)·u (first order); two such
// sums differ by at most the sum of their γ. Each tolerance below is that
// bound for the two kernels' summation orders (written beside it), plus
// a few ulp for each libm-style function the value goes through.
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/gpu/gk_host.h"
#include "compiler/ukernels/gpu/gk_mmvq.h"
#include "compiler/ukernels/gpu/gpu.h"
#include "compiler/ukernels/ukernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr double kU = 5.9604644775390625e-8; // 2^-24

//===----------------------------------------------------------------------===//
// Launching
//===----------------------------------------------------------------------===//

/// Runs `name` over `grid` blocks of INGOT_GK_BLOCK threads; params[i]
/// points at parameter i. Returns the executor's error ("" if none).
std::string launch(const char *name, std::vector<void *> params, unsigned grid,
                   unsigned block = INGOT_GK_BLOCK) {
  const ingot_gk_host_kernel *k = ingot_gk_host_find(name);
  if (!k)
    return std::string("no kernel ") + name;
  unsigned g[3] = {grid, 1, 1}, b[3] = {block, 1, 1};
  char error[256];
  if (ingot_simt_launch(k, params.data(), g, b, 0, error, sizeof error))
    return error;
  return "";
}

std::string launchKernel(const ingot_gk_host_kernel *k, void **params,
                         unsigned grid, unsigned block) {
  unsigned g[3] = {grid, 1, 1}, b[3] = {block, 1, 1};
  char error[256];
  if (ingot_simt_launch(k, params, g, b, 0, error, sizeof error))
    return error;
  return "";
}

//===----------------------------------------------------------------------===//
// The executor
//===----------------------------------------------------------------------===//

// Σ (t + 1) over the block's threads through a shared array, a tree of
// halvings with a barrier after each step (`barriers` false: none).
template <bool barriers>
void blockReduce(void **params) {
  float *out = *(float **)params[0];
  GK_SHARED(float, s, 1024);
  uint32_t t = gk_thread_id(), n = gk_block_dim();
  s[t] = (float)(t + 1);
  if (barriers)
    gk_barrier();
  for (uint32_t stride = n / 2; stride > 0; stride /= 2) {
    if (t < stride)
      s[t] += s[t + stride];
    if (barriers)
      gk_barrier();
  }
  if (t == 0)
    out[gk_block_id()] = s[0];
}

void warpShuffles(void **params) {
  float *sums = *(float **)params[0];
  uint32_t *fifth = *(uint32_t **)params[1];
  uint32_t t = gk_thread_id();
  float v = (float)(gk_lane() + 1);
  for (uint32_t m = 16; m > 0; m /= 2)
    v += gk_shfl_xor_f32(v, m);
  sums[t] = v;
  fifth[t] = gk_shfl_idx_u32(t * 10, 5);
}

void barrierSomeExit(void **) {
  if (gk_thread_id() < 100)
    gk_barrier();
}

void barrierTwoPlaces(void **) {
  if (gk_thread_id() % 2)
    gk_barrier();
  else
    gk_barrier();
}

void shuffleHalfWarp(void **params) {
  uint32_t *out = *(uint32_t **)params[0];
  if (gk_lane() < 16)
    out[gk_thread_id()] = gk_shfl_xor_u32(gk_thread_id(), 1);
}

TEST(SIMTExecutor, BlockReductionNeedsItsBarriers) {
  ingot_gk_host_kernel with = {"reduce", blockReduce<true>};
  ingot_gk_host_kernel without = {"reduce_racy", blockReduce<false>};
  std::vector<float> out(3, 0.0f);
  float *p = out.data();
  void *params[] = {&p};
  ASSERT_EQ(launchKernel(&with, params, 3, 256), "");
  for (float v : out)
    EXPECT_EQ(v, 256.0f * 257.0f / 2.0f);
  ASSERT_EQ(launchKernel(&with, params, 1, 1024), "");
  EXPECT_EQ(out[0], 1024.0f * 1025.0f / 2.0f);
  // Without barriers thread 0 adds entries other threads have not written
  // yet: the result must be wrong.
  std::fill(out.begin(), out.end(), 0.0f);
  ASSERT_EQ(launchKernel(&without, params, 1, 256), "");
  EXPECT_FALSE(out[0] == 256.0f * 257.0f / 2.0f) << out[0];
}

TEST(SIMTExecutor, WarpShuffles) {
  ingot_gk_host_kernel k = {"shuffles", warpShuffles};
  std::vector<float> sums(256);
  std::vector<uint32_t> fifth(256);
  float *ps = sums.data();
  uint32_t *pf = fifth.data();
  void *params[] = {&ps, &pf};
  ASSERT_EQ(launchKernel(&k, params, 2, 256), "");
  for (unsigned t = 0; t < 256; ++t) {
    EXPECT_EQ(sums[t], 32.0f * 33.0f / 2.0f) << t;
    EXPECT_EQ(fifth[t], (t / 32 * 32 + 5) * 10) << t;
  }
}

TEST(SIMTExecutor, DivergenceIsAnError) {
  ingot_gk_host_kernel exits = {"exits", barrierSomeExit};
  std::string e = launchKernel(&exits, nullptr, 1, 256);
  EXPECT_NE(e.find("exited without reaching"), std::string::npos) << e;
  ingot_gk_host_kernel two = {"two", barrierTwoPlaces};
  e = launchKernel(&two, nullptr, 1, 64);
  EXPECT_NE(e.find("different places"), std::string::npos) << e;
  std::vector<uint32_t> out(64);
  uint32_t *p = out.data();
  void *params[] = {&p};
  ingot_gk_host_kernel half = {"half", shuffleHalfWarp};
  e = launchKernel(&half, params, 1, 64);
  EXPECT_NE(e.find("shuffle"), std::string::npos) << e;
  // Launches the executor refuses.
  e = launchKernel(&exits, nullptr, 1, 2048);
  EXPECT_NE(e.find("threads per block"), std::string::npos) << e;
  e = launchKernel(&exits, nullptr, 0, 256);
  EXPECT_NE(e.find("empty grid"), std::string::npos) << e;
}

TEST(SIMTExecutor, KernelTable) {
  const char *names[] = {
      "ingot_gk_matmul",    "ingot_gk_matmul_multi", "ingot_gk_embedding",
      "ingot_gk_rms_norm",  "ingot_gk_layer_norm",   "ingot_gk_rope",
      "ingot_gk_attention", "ingot_gk_binary",       "ingot_gk_unary",
      "ingot_gk_iota",      "ingot_gk_copy",         "ingot_gk_clamp",
      "ingot_gk_hadamard"};
  EXPECT_EQ(ingot_gk_host_kernel_count, 13);
  for (const char *name : names)
    EXPECT_NE(ingot_gk_host_find(name), nullptr) << name;
  EXPECT_EQ(ingot_gk_host_find("ingot_gk_nope"), nullptr);
}

//===----------------------------------------------------------------------===//
// Math against libm
//===----------------------------------------------------------------------===//

/// Distance in units in the last place between two floats of one sign.
double ulps(float a, float b) {
  if (a == b)
    return 0;
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0 : 1e30;
  double ref = std::fabs((double)b);
  int e;
  std::frexp(ref < 1.1754943508222875e-38 ? 1.1754943508222875e-38 : ref, &e);
  return std::fabs((double)a - (double)b) / std::ldexp(1.0, e - 24);
}

std::vector<float> mathInputs(float lo, float hi, int n) {
  std::vector<float> xs;
  for (int i = 0; i <= n; ++i)
    xs.push_back(lo + (hi - lo) * (float)i / (float)n);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int i = 0; i < n; ++i)
    xs.push_back(d(rng));
  for (float x : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-8f, 0.5f, -0.5f})
    if (x >= lo && x <= hi)
      xs.push_back(x);
  return xs;
}

TEST(GPUKernelMath, AgainstLibm) {
  double worst = 0;
  for (float x : mathInputs(-103.0f, 88.7f, 200000))
    worst = std::max(worst, ulps(ingot_gk_host_expf(x), std::exp(x)));
  EXPECT_LE(worst, 2.0) << "expf";
  EXPECT_EQ(ingot_gk_host_expf(100.0f), INFINITY);
  EXPECT_EQ(ingot_gk_host_expf(-110.0f), 0.0f);
  EXPECT_TRUE(std::isnan(ingot_gk_host_expf(NAN)));
  worst = 0;
  for (float x : mathInputs(-20.0f, 20.0f, 200000))
    worst = std::max(worst, ulps(ingot_gk_host_expm1f(x), std::expm1(x)));
  EXPECT_LE(worst, 2.0) << "expm1f";
  worst = 0;
  for (float x : mathInputs(-12.0f, 12.0f, 200000))
    worst = std::max(worst, ulps(ingot_gk_host_tanhf(x), std::tanh(x)));
  EXPECT_LE(worst, 2.0) << "tanhf";
  worst = 0;
  for (float x : mathInputs(-6.0f, 6.0f, 200000))
    worst = std::max(worst, ulps(ingot_gk_host_erff(x), std::erf(x)));
  EXPECT_LE(worst, 1.0) << "erff";
  double worstAbs = 0;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> d(-2e6, 2e6);
  for (int i = 0; i < 200000; ++i) {
    double a = i < 1000 ? (i - 500) * 0.01 : d(rng), s, c;
    ingot_gk_host_sincos(a, &s, &c);
    worstAbs = std::max(worstAbs, std::fabs(s - std::sin(a)));
    worstAbs = std::max(worstAbs, std::fabs(c - std::cos(a)));
  }
  EXPECT_LE(worstAbs, 1e-15) << "sincos";
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

uint16_t toHalf(float f) { // test data: |f| < 65504, tiny values to 0
  uint32_t b;
  std::memcpy(&b, &f, 4);
  uint32_t sign = (b >> 16) & 0x8000, e = (b >> 23) & 0xff, m = b & 0x7fffff;
  if (std::fabs(f) < 6.2e-5f)
    return (uint16_t)sign;
  return (uint16_t)(sign | ((e - 112) << 10) | (m >> 13));
}

std::vector<float> randomFloats(std::mt19937 &rng, size_t n, float lo = -1.0f,
                                float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

void putHalf(uint8_t *p, float f) {
  uint16_t h = toHalf(f);
  std::memcpy(p, &h, 2);
}

/// `rows` random rows of K elements of `fmt` (valid scales, random codes).
std::vector<uint8_t> randomWeights(std::mt19937 &rng, int32_t fmt,
                                   int32_t group, int64_t rows, int64_t K) {
  int64_t rb = ingot_uk_row_bytes(fmt, group, K);
  std::vector<uint8_t> w((size_t)(rows * rb) + 64);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.01f, 0.1f), val(-1.0f, 1.0f),
      zero(0.0f, 15.0f);
  for (uint8_t &b : w)
    b = (uint8_t)byte(rng);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *row = w.data() + r * rb;
    switch (fmt) {
    case INGOT_W_F32:
      for (int64_t k = 0; k < K; ++k) {
        float f = val(rng);
        std::memcpy(row + 4 * k, &f, 4);
      }
      break;
    case INGOT_W_F16:
      for (int64_t k = 0; k < K; ++k)
        putHalf(row + 2 * k, val(rng));
      break;
    case INGOT_W_BF16:
      for (int64_t k = 0; k < K; ++k) {
        float f = val(rng);
        uint32_t b;
        std::memcpy(&b, &f, 4);
        uint16_t h = (uint16_t)(b >> 16);
        std::memcpy(row + 2 * k, &h, 2);
      }
      break;
    default: {
      int64_t be = fmt >= INGOT_W_G8_SYM ? group
                   : fmt >= INGOT_W_Q4_K ? 256
                                         : 32;
      int64_t bb = rb / (K / be);
      for (int64_t b = 0; b < K / be; ++b) {
        uint8_t *blk = row + b * bb;
        switch (fmt) {
        case INGOT_W_Q6_K:
          putHalf(blk + 208, scale(rng));
          break;
        case INGOT_W_Q4_1:
        case INGOT_W_Q5_1:
        case INGOT_W_Q4_K:
        case INGOT_W_Q5_K:
          putHalf(blk, scale(rng));
          putHalf(blk + 2, scale(rng));
          break;
        case INGOT_W_G8_ASYM:
          putHalf(blk, scale(rng));
          putHalf(blk + 2, 128.0f + 16.0f * val(rng));
          break;
        case INGOT_W_G4_ASYM:
          putHalf(blk, scale(rng));
          putHalf(blk + 2, zero(rng));
          break;
        default:
          putHalf(blk, scale(rng));
          break;
        }
      }
    }
    }
  }
  return w;
}

/// The weight rows as f32, from the CPU kernels' own decoder.
std::vector<float> dequantized(const std::vector<uint8_t> &w, int32_t fmt,
                               int32_t group, int64_t rows, int64_t K) {
  std::vector<int32_t> ids(rows);
  for (int64_t i = 0; i < rows; ++i)
    ids[i] = (int32_t)i;
  std::vector<float> out((size_t)(rows * K));
  ingot_uk_embedding(out.data(), ids.data(), rows, w.data(), rows, K, fmt,
                     group, 0, 1);
  return out;
}

const char *formatName(int32_t fmt) {
  static const char *names[] = {"f32",  "f16",  "bf16", "q8_0", "q4_0",
                                "q4_1", "q5_0", "q5_1", "q4_k", "q5_k",
                                "q6_k", "g8",   "g8a",  "g4",   "g4a"};
  return names[fmt];
}

struct WeightCase {
  int32_t fmt, group;
  int64_t K;
};

std::vector<WeightCase> weightCases() {
  std::vector<WeightCase> cases;
  for (int32_t fmt = INGOT_W_F32; fmt <= INGOT_W_G4_ASYM; ++fmt) {
    if (fmt <= INGOT_W_BF16) {
      cases.push_back({fmt, 0, 100});
      cases.push_back({fmt, 0, 7});
    } else if (fmt <= INGOT_W_Q5_1) {
      cases.push_back({fmt, 0, 96});
    } else if (fmt <= INGOT_W_Q6_K) {
      cases.push_back({fmt, 0, 512});
    } else {
      cases.push_back({fmt, 32, 128});
      cases.push_back({fmt, 64, 192});
    }
  }
  return cases;
}

//===----------------------------------------------------------------------===//
// Matmul, matmul_multi, embedding
//===----------------------------------------------------------------------===//

/// y[M][N] on the CPU (single thread) with its scratch.
std::vector<float> cpuMatmul(const std::vector<float> &x,
                             const std::vector<uint8_t> &w, const float *bias,
                             int64_t M, int64_t N, int64_t K, int32_t fmt,
                             int32_t group) {
  std::vector<float> y((size_t)(M * N));
  std::vector<uint8_t> scratch((size_t)INGOT_UK_MATMUL_SCRATCH(M, K) + 64);
  ingot_uk_sync sync;
  std::memset(&sync, 0, sizeof sync);
  ingot_uk_matmul(y.data(), x.data(), w.data(), bias, M, N, K, fmt, group,
                  scratch.data(), &sync, 0, 1);
  return y;
}

/// Compares column n of matrix w's results with the bound: GPU lanes sum
/// K/32 products then a 5-level tree; the CPU sums 8 lanes of K/8, folds
/// them in 3 levels, then adds block after block (K/be) — plus the
/// products' own rounding and the bias addition.
void expectMatmulClose(const std::vector<float> &got,
                       const std::vector<float> &want,
                       const std::vector<float> &x,
                       const std::vector<float> &wf, const float *bias,
                       int64_t M, int64_t N, int64_t K, const char *what) {
  double gamma =
      ((double)K / 32 + 5 + 2 + (double)K / 8 + 3 + (double)K / 32 + 2) * kU;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double mag = bias ? std::fabs(bias[n]) : 0.0;
      for (int64_t k = 0; k < K; ++k)
        mag += std::fabs((double)x[m * K + k] * wf[n * K + k]);
      float g = got[m * N + n], r = want[m * N + n];
      ASSERT_LE(std::fabs((double)g - r), gamma * mag + 1e-30)
          << what << " m=" << m << " n=" << n << " got " << g << " want " << r;
    }
}

//===----------------------------------------------------------------------===//
// Matmul with q8 activations (gk_mmvq.c: few rows, Q8_0 / Q4_0 / Q4_1 /
// Q5_0 / Q5_1 / Q4_K / Q5_K / Q6_K weights)
//
// The GPU quantizes the activations as the CPU's AVX2 path does
// (uk_quantize_q8_rows): per 32 values, db = amax/127, q = round-to-even
// (x·(127/amax)), d = db and ds = db·Σq rounded to f16. The reference below
// quantizes the same way, independently written, and computes the product
// Σ_b (Σ_j c_j·q_j)·d_w·d + c_b·ds in double from the weights' own codes
// (w_j = d_w·c_j + c_b: c_j the signed code, u - 8 for Q4_0 and u - 16
// for Q5_0, sc·(q - 32) for Q6_K; d_w = d·sc for Q4_K / Q5_K; c_b the
// minimum of Q4_1 / Q5_1, -dmin·m of Q4_K / Q5_K, else 0). Tolerance,
// first order: the GPU rounds d_w·d, the product with the integer sum
// (exact), and adds each of a lane's 2·K/256 terms then a 5-level tree:
// γ = (K/128 + 2 + 5 + 2)·u of Σ|terms| (+ the bias; d·sc of the k-quants
// is exact in f32). Against the f32 product (the CPU's portable kernel), the
// quantization adds per block at most
//   0.57·db·Σ_j |d_w·c_j| + |c_b|·(33·2^-11·amax + 16.5·db)
// (|x - d·q| <= db·(1/2 + 254u) + 2^-11·127·db; |ds - Σx| <= 2^-11·|ds|
// + Σ|x - db·q|), on top of the f32 bound of the two summation orders.
//===----------------------------------------------------------------------===//

/// f rounded to f16 precision, ties to even (subnormal halves too).
double roundToHalf(float f) {
  double a = std::fabs((double)f);
  if (a >= 65520.0)
    return std::copysign(INFINITY, f);
  int e;
  std::frexp(a, &e);
  double ulp = a >= std::ldexp(1.0, -14) ? std::ldexp(1.0, e - 11)
                                         : std::ldexp(1.0, -24);
  return std::copysign(std::nearbyint(a / ulp) * ulp, (double)f);
}

/// M rows of K activations quantized to q8 blocks (see above).
struct Q8Rows {
  std::vector<int32_t> q;
  std::vector<double> d, ds, amax, db;
};

Q8Rows quantizeRows(const std::vector<float> &x, int64_t M, int64_t K) {
  Q8Rows r;
  int64_t units = M * (K / 32);
  r.q.resize((size_t)(M * K));
  for (int64_t u = 0; u < units; ++u) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j)
      amax = std::max(amax, std::fabs(x[32 * u + j]));
    float db = amax / 127.0f;
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < 32; ++j) {
      float t = std::nearbyint(x[32 * u + j] * id);
      int32_t q = (int32_t)std::max(-128.0f, std::min(127.0f, t));
      r.q[32 * u + j] = q;
      sum += q;
    }
    r.d.push_back(roundToHalf(db));
    r.ds.push_back(roundToHalf(db * (float)sum));
    r.amax.push_back(amax);
    r.db.push_back(db);
  }
  return r;
}

double halfAt(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e ? std::ldexp(1024.0 + m, (int)e - 25) : std::ldexp(m, -24);
  return h & 0x8000 ? -v : v;
}

/// Block b of a weight row: w_j = dw·c[j] + cb.
struct WeightBlock {
  int32_t c[32];
  double dw, cb;
};

/// Unit b (32 values) of a k-quant row: sub-block b % 8 of block b / 8
/// (GGML's layouts, as uk_dequant_block reads them). Q6_K's two scales
/// of a unit are folded into c (dw = d).
WeightBlock kquantUnit(const uint8_t *row, int32_t fmt, int64_t b) {
  WeightBlock wb;
  int is = (int)(b % 8);
  if (fmt == INGOT_W_Q6_K) {
    const uint8_t *p = row + (b / 8) * 210;
    int half = is / 4, quarter = is % 4;
    wb.dw = halfAt(p + 208);
    wb.cb = 0.0;
    for (int j = 0; j < 32; ++j) {
      uint8_t l = p[64 * half + 32 * (quarter & 1) + j];
      int lo = quarter < 2 ? l & 0xf : l >> 4;
      int hi = (p[128 + 32 * half + j] >> (2 * quarter)) & 3;
      int scale = (int8_t)p[192 + 8 * half + j / 16 + 2 * quarter];
      wb.c[j] = scale * ((lo | hi << 4) - 32);
    }
    return wb;
  }
  int five = fmt == INGOT_W_Q5_K;
  const uint8_t *p = row + (b / 8) * (five ? 176 : 144), *s = p + 4;
  int sc, mn;
  if (is < 4) {
    sc = s[is] & 63;
    mn = s[is + 4] & 63;
  } else {
    sc = (s[is + 4] & 0xf) | ((s[is - 4] >> 6) << 4);
    mn = (s[is + 4] >> 4) | ((s[is] >> 6) << 4);
  }
  wb.dw = halfAt(p) * sc;
  wb.cb = -halfAt(p + 2) * mn;
  for (int j = 0; j < 32; ++j) {
    uint8_t q = p[(five ? 48 : 16) + 32 * (is / 2) + j];
    wb.c[j] =
        (is & 1 ? q >> 4 : q & 0xf) | (five ? ((p[16 + j] >> is) & 1) << 4 : 0);
  }
  return wb;
}

WeightBlock weightBlock(const uint8_t *row, int32_t fmt, int64_t b) {
  if (fmt >= INGOT_W_Q4_K)
    return kquantUnit(row, fmt, b);
  WeightBlock wb;
  int64_t bytes[] = {34, 18, 20, 22, 24};
  const uint8_t *p = row + b * bytes[fmt - INGOT_W_Q8_0];
  wb.dw = halfAt(p);
  int one = fmt == INGOT_W_Q4_1 || fmt == INGOT_W_Q5_1;
  wb.cb = one ? halfAt(p + 2) : 0.0;
  int32_t offset = fmt == INGOT_W_Q4_0 ? 8 : fmt == INGOT_W_Q5_0 ? 16 : 0;
  uint32_t qh = 0;
  if (fmt == INGOT_W_Q5_0 || fmt == INGOT_W_Q5_1)
    std::memcpy(&qh, p + (one ? 4 : 2), 4);
  const uint8_t *qs = p + (fmt == INGOT_W_Q8_0   ? 2
                           : fmt == INGOT_W_Q4_0 ? 2
                           : fmt == INGOT_W_Q4_1 ? 4
                           : fmt == INGOT_W_Q5_0 ? 6
                                                 : 8);
  for (int j = 0; j < 32; ++j) {
    if (fmt == INGOT_W_Q8_0) {
      wb.c[j] = (int8_t)qs[j];
      continue;
    }
    int32_t nib = j < 16 ? qs[j] & 0xf : qs[j - 16] >> 4;
    wb.c[j] = (nib | (int32_t)(((qh >> j) & 1u) << 4)) - offset;
  }
  return wb;
}

/// Checks GPU results y[M][N] (row stride N) against the quantized
/// product; with `f32` (the CPU's f32 result) also against it within the
/// quantization bound.
void expectMmvqClose(const std::vector<float> &got, const std::vector<float> &x,
                     const std::vector<uint8_t> &w, const float *bias,
                     int64_t M, int64_t N, int64_t K, int32_t fmt,
                     const char *what, const std::vector<float> *f32 = nullptr,
                     const std::vector<float> *wf = nullptr) {
  ASSERT_TRUE(ingot_gk_mmvq_applies(fmt, M, K)) << what;
  Q8Rows a = quantizeRows(x, M, K);
  int64_t nb = K / 32, rb = ingot_uk_row_bytes(fmt, 0, K);
  ASSERT_GT(rb, 0) << what;
  double gamma = ((double)K / 128 + 9) * kU;
  double gamma32 =
      ((double)K / 32 + 5 + 2 + (double)K / 8 + 3 + (double)K / 32 + 2) * kU;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      double want = bias ? bias[n] : 0.0, mag = std::fabs(want), qerr = 0.0;
      for (int64_t b = 0; b < nb; ++b) {
        WeightBlock wb = weightBlock(w.data() + n * rb, fmt, b);
        int64_t u = m * nb + b;
        int64_t isum = 0, iabs = 0, cabs = 0;
        for (int j = 0; j < 32; ++j) {
          isum += (int64_t)wb.c[j] * a.q[32 * u + j];
          iabs += std::abs((int64_t)wb.c[j] * a.q[32 * u + j]);
          cabs += std::abs(wb.c[j]);
        }
        want += (double)isum * wb.dw * a.d[u] + wb.cb * a.ds[u];
        mag += (double)iabs * std::fabs(wb.dw * a.d[u]) +
               std::fabs(wb.cb * a.ds[u]);
        qerr += 0.57 * a.db[u] * (double)cabs * std::fabs(wb.dw) +
                std::fabs(wb.cb) * (33.0 / 2048.0 * a.amax[u] + 16.5 * a.db[u]);
      }
      float g = got[m * N + n];
      ASSERT_LE(std::fabs((double)g - want), gamma * mag + 1e-30)
          << what << " m=" << m << " n=" << n << " got " << g << " want "
          << want;
      if (!f32)
        continue;
      double mag32 = bias ? std::fabs(bias[n]) : 0.0;
      for (int64_t k = 0; k < K; ++k)
        mag32 += std::fabs((double)x[m * K + k] * (*wf)[n * K + k]);
      float r = (*f32)[m * N + n];
      ASSERT_LE(std::fabs((double)g - r),
                qerr + gamma * mag + gamma32 * mag32 + 1e-30)
          << what << " (f32) m=" << m << " n=" << n << " got " << g << " f32 "
          << r;
    }
}

/// ingot_gk_matmul on the executor.
std::vector<float> gpuMatmul(const std::vector<float> &x,
                             const std::vector<uint8_t> &w, const float *bias,
                             int64_t M, int64_t N, int64_t K, int32_t fmt,
                             unsigned grid, std::string *error) {
  std::vector<float> y((size_t)(M * N), NAN);
  float *py = y.data();
  const float *px = x.data();
  const void *pw = w.data();
  int32_t group = 0;
  *error = launch("ingot_gk_matmul",
                  {&py, &px, &pw, &bias, &M, &N, &K, &fmt, &group}, grid);
  return y;
}

// Every format (the k-quants too), 1..8 rows, K from one block to several
// passes of the warp, grids of 1 to more blocks than columns; against the
// quantized product tightly and against the f32 product within the
// quantization.
TEST(GPUMmvq, AgainstQuantizedProduct) {
  std::mt19937 rng(31);
  for (int32_t fmt = INGOT_W_Q8_0; fmt <= INGOT_W_Q6_K; ++fmt)
    for (int64_t M : {1, 2, 3, 4, 5, 8})
      for (int64_t K0 : {32, 96, 288, 1024}) {
        /* k-quants: rows of 256, 768, 2304, 8192 */
        int64_t K = fmt >= INGOT_W_Q4_K ? K0 * 8 : K0;
        if ((M > 3 && K0 > 288) || (fmt >= INGOT_W_Q4_K && M * K > 8192))
          continue;
        unsigned grid = (unsigned)(1 + (M + K / 32) % 5);
        int64_t N = 5 + (M * 7 + K / 32) % 13;
        std::string what =
            std::string(formatName(fmt)) + " M=" + std::to_string(M) +
            " K=" + std::to_string(K) + " grid=" + std::to_string(grid);
        std::vector<uint8_t> w = randomWeights(rng, fmt, 0, N, K);
        std::vector<float> wf = dequantized(w, fmt, 0, N, K);
        /* Rows of different scales; one block of zeros (d = 0). */
        std::vector<float> x = randomFloats(rng, (size_t)(M * K), -2.0f, 2.0f);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t k = 0; k < K; ++k)
            x[m * K + k] *= (float)(m + 1) * (k < 32 && m == 1 ? 0.0f : 1.0f);
        std::vector<float> bias = randomFloats(rng, (size_t)N);
        const float *b = K % 64 ? bias.data() : nullptr;
        std::string error;
        std::vector<float> y = gpuMatmul(x, w, b, M, N, K, fmt, grid, &error);
        ASSERT_EQ(error, "") << what;
        std::vector<float> f32 = cpuMatmul(x, w, b, M, N, K, fmt, 0);
        expectMmvqClose(y, x, w, b, M, N, K, fmt, what.c_str(), &f32, &wf);
      }
}

// The largest K of one row in shared memory (16384 codes), and the shapes
// past it, which take the f32 path (the portable kernel's result within
// the f32 bound).
TEST(GPUMmvq, SharedMemoryLimit) {
  std::mt19937 rng(32);
  int32_t fmt = INGOT_W_Q4_0;
  struct Shape {
    int64_t M, K;
    bool mmvq;
  } shapes[] = {{1, 16384, true},
                {2, 8192, true},
                {1, 16416, false},
                {9, 64, false},
                {1, 48, false}};
  for (const Shape &s : shapes) {
    int64_t N = 3, M = s.M, K = s.K;
    std::string what = "M=" + std::to_string(M) + " K=" + std::to_string(K);
    ASSERT_EQ(ingot_gk_mmvq_applies(fmt, M, K) != 0, s.mmvq) << what;
    int32_t wfmt = K % 32 ? INGOT_W_F16 : fmt; /* K=48: not whole blocks */
    if (K % 32)
      continue;
    std::vector<uint8_t> w = randomWeights(rng, wfmt, 0, N, K);
    std::vector<float> wf = dequantized(w, wfmt, 0, N, K);
    std::vector<float> x = randomFloats(rng, (size_t)(M * K));
    std::string error;
    std::vector<float> y = gpuMatmul(x, w, nullptr, M, N, K, wfmt, 2, &error);
    ASSERT_EQ(error, "") << what;
    std::vector<float> f32 = cpuMatmul(x, w, nullptr, M, N, K, wfmt, 0);
    if (s.mmvq)
      expectMmvqClose(y, x, w, nullptr, M, N, K, wfmt, what.c_str(), &f32, &wf);
    else
      expectMatmulClose(y, f32, x, wf, nullptr, M, N, K, what.c_str());
  }
  EXPECT_TRUE(ingot_gk_mmvq_applies(INGOT_W_Q4_K, 1, 256));
  EXPECT_FALSE(ingot_gk_mmvq_applies(INGOT_W_Q6_K, 1, 288));
  EXPECT_FALSE(ingot_gk_mmvq_applies(INGOT_W_F16, 1, 256));
  EXPECT_FALSE(ingot_gk_mmvq_applies(INGOT_W_Q8_0, 0, 256));
}

// matmul_multi: the three matrices' columns in one launch share the
// block's quantized activations.
TEST(GPUMmvq, Multi) {
  std::mt19937 rng(33);
  for (int32_t fmt = INGOT_W_Q8_0; fmt <= INGOT_W_Q6_K; ++fmt)
    for (unsigned grid : {1u, 4u}) {
      int64_t M = fmt == INGOT_W_Q4_1 ? 3 : 1, K = 256;
      int64_t Ns[3] = {11, grid == 1 ? 0 : 6, 17};
      std::string what =
          std::string(formatName(fmt)) + " grid=" + std::to_string(grid);
      std::vector<float> x = randomFloats(rng, (size_t)(M * K));
      std::vector<uint8_t> w[3];
      std::vector<float> bias[3], y[3];
      float *py[3];
      const void *pw[3];
      const float *pb[3];
      for (int i = 0; i < 3; ++i) {
        w[i] = randomWeights(rng, fmt, 0, Ns[i] ? Ns[i] : 1, K);
        bias[i] = randomFloats(rng, (size_t)Ns[i] + 1);
        y[i].assign((size_t)(M * Ns[i]) + 1, NAN);
        py[i] = y[i].data();
        pw[i] = w[i].data();
        pb[i] = i == 2 ? nullptr : bias[i].data();
      }
      const float *px = x.data();
      int32_t group = 0;
      ASSERT_EQ(launch("ingot_gk_matmul_multi",
                       {&py[0], &pw[0], &pb[0], &Ns[0], &py[1], &pw[1], &pb[1],
                        &Ns[1], &py[2], &pw[2], &pb[2], &Ns[2], &px, &M, &K,
                        &fmt, &group},
                       grid),
                "")
          << what;
      for (int i = 0; i < 3; ++i) {
        if (!Ns[i]) {
          EXPECT_TRUE(std::isnan(y[i][0])) << what << ": N=0 written";
          continue;
        }
        y[i].resize((size_t)(M * Ns[i]));
        expectMmvqClose(y[i], x, w[i], pb[i], M, Ns[i], K, fmt,
                        (what + " matrix " + std::to_string(i)).c_str());
      }
    }
}

// dp4a on the host: signed bytes, accumulated.
TEST(GPUMmvq, Dp4a) {
  EXPECT_EQ(gk_dp4a(0x80ff7f01u, 0x80ff7f01u, 5),
            5 + 1 + 127 * 127 + 1 + 16384);
  EXPECT_EQ(gk_dp4a(0x0000ff00u, 0x00000200u, -1), -1 - 2);
}

TEST(GPUKernels, Matmul) {
  std::mt19937 rng(11);
  for (const WeightCase &c : weightCases())
    for (int64_t M : {1, 5, 8})
      for (unsigned grid : {1u, 3u}) {
        int64_t N = M == 1 ? 37 : 19, K = M == 8 ? 2 * c.K : c.K;
        std::string what =
            std::string(formatName(c.fmt)) + " K=" + std::to_string(K) +
            " M=" + std::to_string(M) + " grid=" + std::to_string(grid);
        std::vector<uint8_t> w = randomWeights(rng, c.fmt, c.group, N, K);
        std::vector<float> wf = dequantized(w, c.fmt, c.group, N, K);
        std::vector<float> x = randomFloats(rng, (size_t)(M * K));
        std::vector<float> bias = randomFloats(rng, (size_t)N);
        const float *b = grid == 1 ? bias.data() : nullptr;
        std::vector<float> want = cpuMatmul(x, w, b, M, N, K, c.fmt, c.group);
        std::vector<float> y((size_t)(M * N), NAN);
        float *py = y.data();
        const float *px = x.data();
        const void *pw = w.data();
        int32_t fmt = c.fmt, group = c.group;
        ASSERT_EQ(launch("ingot_gk_matmul",
                         {&py, &px, &pw, &b, &M, &N, &K, &fmt, &group}, grid),
                  "")
            << what;
        if (ingot_gk_mmvq_applies(c.fmt, M, K)) // q8 activations
          expectMmvqClose(y, x, w, b, M, N, K, c.fmt, what.c_str(), &want, &wf);
        else
          expectMatmulClose(y, want, x, wf, b, M, N, K, what.c_str());
      }
}

/// A matmul_multi case: x[M][K] and three products of Ns[i] columns in
/// c's format (random weights; product 1 without bias; Ns[i] may be 0),
/// outputs poisoned with NaN one past their end, and the CPU kernel's
/// results. Not copyable: the launch's pointers point into it.
struct MultiCase {
  std::vector<float> x;
  std::vector<uint8_t> w[3];
  std::vector<float> wf[3];
  std::vector<float> y[3];
  std::vector<float> want[3];
  const float *pb[3];
  std::vector<float> bias[3];
  int64_t M, K, Ns[3];
  int32_t fmt, group;
  MultiCase(std::mt19937 &rng, const WeightCase &c, int64_t M, int64_t K,
            const int64_t (&Ns)[3])
      : x(randomFloats(rng, (size_t)(M * K))), M(M),
        K(K), Ns{Ns[0], Ns[1], Ns[2]}, fmt(c.fmt), group(c.group) {
    for (int i = 0; i < 3; ++i) {
      w[i] = randomWeights(rng, c.fmt, c.group, Ns[i] ? Ns[i] : 1, K);
      wf[i] = dequantized(w[i], c.fmt, c.group, Ns[i], K);
      bias[i] = randomFloats(rng, (size_t)Ns[i] + 1);
      y[i].assign((size_t)(M * Ns[i]) + 1, NAN);
      pb[i] = i == 1 ? nullptr : bias[i].data();
      want[i] = Ns[i] ? cpuMatmul(x, w[i], pb[i], M, Ns[i], K, c.fmt, c.group)
                      : std::vector<float>();
    }
  }
  MultiCase(const MultiCase &) = delete;
  MultiCase &operator=(const MultiCase &) = delete;
  /// ingot_gk_matmul_multi on `grid` blocks; "" or the executor's error.
  std::string launch(unsigned grid) {
    float *py[3] = {y[0].data(), y[1].data(), y[2].data()};
    const void *pw[3] = {w[0].data(), w[1].data(), w[2].data()};
    const float *px = x.data();
    return ::launch("ingot_gk_matmul_multi",
                    {&py[0], &pw[0], &pb[0], &Ns[0], &py[1], &pw[1], &pb[1],
                     &Ns[1], &py[2], &pw[2], &pb[2], &Ns[2], &px, &M, &K, &fmt,
                     &group},
                    grid);
  }
};

TEST(GPUKernels, MatmulMulti) {
  std::mt19937 rng(12);
  for (const WeightCase &c : weightCases())
    for (int64_t M : {1, 3}) {
      int64_t K = c.K, Ns[3] = {13, M == 1 ? 0 : 9, 21};
      std::string what = std::string(formatName(c.fmt)) +
                         " K=" + std::to_string(K) + " M=" + std::to_string(M);
      MultiCase m(rng, c, M, K, Ns);
      const std::vector<float> &x = m.x;
      const auto &w = m.w;
      const auto &wf = m.wf;
      auto &y = m.y;
      const auto &want = m.want;
      const auto &pb = m.pb;
      ASSERT_EQ(m.launch(2), "") << what;
      for (int i = 0; i < 3; ++i) {
        if (!Ns[i]) {
          EXPECT_TRUE(std::isnan(y[i][0])) << what << ": N=0 written";
          continue;
        }
        y[i].resize((size_t)(M * Ns[i]));
        std::string wi = what + " matrix " + std::to_string(i);
        if (ingot_gk_mmvq_applies(c.fmt, M, K)) // q8 activations
          expectMmvqClose(y[i], x, w[i], pb[i], M, Ns[i], K, c.fmt, wi.c_str(),
                          &want[i], &wf[i]);
        else
          expectMatmulClose(y[i], want[i], x, wf[i], pb[i], M, Ns[i], K,
                            wi.c_str());
      }
    }
}

TEST(GPUKernels, Embedding) {
  std::mt19937 rng(13);
  for (const WeightCase &c : weightCases())
    for (unsigned grid : {1u, 4u}) {
      int64_t V = 11, D = c.K, n = 6;
      std::vector<uint8_t> table = randomWeights(rng, c.fmt, c.group, V, D);
      std::vector<int32_t> ids = {3, 0, -1, 10, 11, 3};
      std::vector<float> want((size_t)(n * D)), y((size_t)(n * D), NAN);
      ingot_uk_embedding(want.data(), ids.data(), n, table.data(), V, D, c.fmt,
                         c.group, 0, 1);
      float *py = y.data();
      const int32_t *pi = ids.data();
      const void *pt = table.data();
      int32_t fmt = c.fmt, group = c.group;
      ASSERT_EQ(launch("ingot_gk_embedding",
                       {&py, &pi, &n, &pt, &V, &D, &fmt, &group}, grid),
                "");
      // The same float operations: equal bit for bit.
      ASSERT_EQ(std::memcmp(y.data(), want.data(), y.size() * 4), 0)
          << formatName(c.fmt) << " D=" << D;
    }
}

//===----------------------------------------------------------------------===//
// Norms, rope
//===----------------------------------------------------------------------===//

TEST(GPUKernels, RmsNorm) {
  std::mt19937 rng(14);
  for (int64_t D : {100, 1000, 4})
    for (bool inPlace : {false, true}) {
      int64_t rows = 5;
      std::vector<float> x = randomFloats(rng, (size_t)(rows * D), -3, 3);
      std::vector<float> w = randomFloats(rng, (size_t)D);
      float eps = 1e-5f;
      std::vector<float> want((size_t)(rows * D));
      ingot_uk_rms_norm(want.data(), x.data(), w.data(), rows, D, eps, 0, 1);
      std::vector<float> y = inPlace ? x : std::vector<float>(x.size(), NAN);
      float *py = y.data();
      const float *px = inPlace ? y.data() : x.data(), *pw = w.data();
      ASSERT_EQ(
          launch("ingot_gk_rms_norm", {&py, &px, &pw, &rows, &D, &eps}, 2), "");
      // Σx² in f32 (D/256 terms per thread, 8 tree levels) against double:
      // 1/sqrt's relative error is half of that; two products after it.
      double rel = ((double)D / 256 + 8 + 1) / 2 * kU + 4 * kU;
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_LE(std::fabs((double)y[i] - want[i]),
                  rel * std::fabs(want[i]) + 1e-30)
            << "D=" << D << " i=" << i;
    }
}

TEST(GPUKernels, LayerNorm) {
  std::mt19937 rng(15);
  for (int64_t D : {100, 1000})
    for (bool withBias : {false, true}) {
      int64_t rows = 4;
      std::vector<float> x = randomFloats(rng, (size_t)(rows * D), -2, 3);
      std::vector<float> w = randomFloats(rng, (size_t)D);
      std::vector<float> b = randomFloats(rng, (size_t)D);
      float eps = 1e-5f;
      const float *pb = withBias ? b.data() : nullptr;
      std::vector<float> want((size_t)(rows * D)), y(want.size(), NAN);
      ingot_uk_layer_norm(want.data(), x.data(), w.data(), pb, rows, D, eps, 0,
                          1);
      float *py = y.data();
      const float *px = x.data(), *pw = w.data();
      ASSERT_EQ(launch("ingot_gk_layer_norm",
                       {&py, &px, &pw, &pb, &rows, &D, &eps}, 3),
                "");
      for (int64_t r = 0; r < rows; ++r) {
        // The mean in f32 (γ·Σ|x|/D off), the variance likewise relative
        // to itself; each output (x - mean)·inv·w + b.
        double absMean = 0, mean = 0, var = 0;
        for (int64_t i = 0; i < D; ++i) {
          absMean += std::fabs(x[r * D + i]) / D;
          mean += x[r * D + i] / (double)D;
        }
        for (int64_t i = 0; i < D; ++i)
          var += (x[r * D + i] - mean) * (x[r * D + i] - mean) / D;
        double inv = 1 / std::sqrt(var + eps);
        double gamma = ((double)D / 256 + 8 + 2) * kU;
        for (int64_t i = 0; i < D; ++i) {
          size_t e = (size_t)(r * D + i);
          double tol = gamma * absMean * inv * std::fabs(w[i]) * 2 +
                       (gamma + 6 * kU) * std::fabs(want[e] - (pb ? b[i] : 0)) +
                       2 * kU * std::fabs(want[e]) + 1e-30;
          ASSERT_LE(std::fabs((double)y[e] - want[e]), tol)
              << "D=" << D << " e=" << e;
        }
      }
    }
}

TEST(GPUKernels, Rope) {
  std::mt19937 rng(16);
  for (int32_t style : {INGOT_ROPE_NEOX, INGOT_ROPE_INTERLEAVED})
    for (int64_t rot : {64, 48})
      for (bool inPlace : {false, true}) {
        int64_t n = 3, H = 5, D = 64;
        std::vector<float> x = randomFloats(rng, (size_t)(n * H * D), -2, 2);
        std::vector<int32_t> pos = {0, 17, 40000};
        std::vector<float> invFreq((size_t)rot / 2);
        for (int64_t i = 0; i < rot / 2; ++i)
          invFreq[i] = std::pow(10000.0f, -2.0f * (float)i / (float)rot);
        float mscale = rot == 48 ? 0.75f : 1.0f;
        std::vector<float> want(x.size());
        ingot_uk_rope(want.data(), x.data(), pos.data(), n, H, D, rot,
                      invFreq.data(), mscale, style, 0, 1);
        std::vector<float> y = inPlace ? x : std::vector<float>(x.size(), NAN);
        float *py = y.data();
        const float *px = inPlace ? y.data() : x.data(), *pf = invFreq.data();
        const int32_t *pp = pos.data();
        ASSERT_EQ(
            launch("ingot_gk_rope",
                   {&py, &px, &pp, &n, &H, &D, &rot, &pf, &mscale, &style}, 2),
            "");
        // cos/sin within 1e-15 of libm's in double, then the same float
        // operations: an ulp of the rounded cos/sin times |a| + |b|, and
        // the products' and sum's roundings.
        int64_t half = rot / 2, stride = style == INGOT_ROPE_NEOX ? 1 : 2,
                offset = style == INGOT_ROPE_NEOX ? half : 1;
        for (int64_t p = 0; p < n * H; ++p) {
          for (int64_t i = 0; i < half; ++i) {
            double mag = (std::fabs(x[p * D + i * stride]) +
                          std::fabs(x[p * D + i * stride + offset])) *
                         mscale;
            for (int64_t e : {i * stride, i * stride + offset})
              ASSERT_LE(std::fabs((double)y[p * D + e] - want[p * D + e]),
                        4 * kU * mag + 1e-30)
                  << "style " << style << " rot " << rot << " p " << p;
          }
          for (int64_t i = rot; i < D; ++i)
            ASSERT_EQ(y[p * D + i], want[p * D + i]);
        }
      }
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

std::vector<float> elementwiseInputs(std::mt19937 &rng, size_t n) {
  std::vector<float> v = randomFloats(rng, n, -8, 8);
  float specials[] = {0.0f,    -0.0f, NAN,   INFINITY, -INFINITY, 100.0f,
                      -100.0f, 3.5f,  -3.5f, 1e-20f,   -1e-20f};
  for (size_t i = 0; i < sizeof specials / sizeof specials[0] && i < n; ++i)
    v[i * 7 % n] = specials[i];
  return v;
}

/// Same value (NaN matches NaN) or within `tol`.
bool close(float a, float b, double tol) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  if (a == b)
    return true;
  return std::fabs((double)a - b) <= tol;
}

TEST(GPUKernels, Binary) {
  std::mt19937 rng(17);
  int64_t rows = 3, cols = 300;
  for (int32_t op = INGOT_EW_ADD; op <= INGOT_EW_GELU_TANH_MUL; ++op)
    for (int bcast = 0; bcast < 3; ++bcast)
      for (bool alias : {false, true}) {
        int64_t bRows = bcast == 1 ? 1 : rows, bCols = bcast == 2 ? 1 : cols;
        std::vector<float> a = elementwiseInputs(rng, (size_t)(rows * cols));
        std::vector<float> b =
            randomFloats(rng, (size_t)(bRows * bCols), -4, 4);
        std::vector<float> want(a.size());
        ingot_uk_binary(want.data(), a.data(), b.data(), rows, cols, bRows,
                        bCols, op, 0, 1);
        std::vector<float> y = alias ? a : std::vector<float>(a.size(), NAN);
        float *py = y.data();
        const float *pa = alias ? y.data() : a.data(), *pb = b.data();
        ASSERT_EQ(launch("ingot_gk_binary",
                         {&py, &pa, &pb, &rows, &cols, &bRows, &bCols, &op}, 2),
                  "");
        for (int64_t e = 0; e < rows * cols; ++e) {
          float u = a[e], v = b[(bRows == 1 ? 0 : e / cols) * bCols +
                                (bCols == 1 ? 0 : e % cols)];
          // add..max: the same operation, exact. silu: e^x within 2 ulp,
          // then a sum, a division and a product. gelu forms: erf/tanh
          // within 1-3 ulp of ±1, so the absolute error scales with
          // 0.5·|u·v|.
          double tol = 0;
          if (op == INGOT_EW_SILU_MUL)
            tol = 8 * kU * std::fabs(want[e]);
          else if (op >= INGOT_EW_GELU_MUL)
            tol = 8 * kU * (std::fabs(want[e]) + std::fabs(0.5 * u * v));
          ASSERT_TRUE(close(y[e], want[e], tol))
              << "op " << op << " bcast " << bcast << " u " << u << " v " << v
              << " got " << y[e] << " want " << want[e];
        }
      }
}

TEST(GPUKernels, Unary) {
  std::mt19937 rng(18);
  for (int32_t op = INGOT_UN_SILU; op <= INGOT_UN_RELU; ++op)
    for (bool alias : {false, true}) {
      int64_t count = 1000;
      std::vector<float> x = elementwiseInputs(rng, (size_t)count);
      std::vector<float> want(x.size());
      ingot_uk_unary(want.data(), x.data(), count, op, 0, 1);
      std::vector<float> y = alias ? x : std::vector<float>(x.size(), NAN);
      float *py = y.data();
      const float *px = alias ? y.data() : x.data();
      ASSERT_EQ(launch("ingot_gk_unary", {&py, &px, &count, &op}, 3), "");
      for (int64_t i = 0; i < count; ++i) {
        // neg, rsqrt, relu: exact. exp/tanh/sigmoid/silu: a few ulp.
        // gelu forms: see Binary.
        double tol = 8 * kU * std::fabs(want[i]);
        if (op == INGOT_UN_GELU || op == INGOT_UN_GELU_TANH)
          tol += 8 * kU * std::fabs(0.5 * x[i]);
        if (op == INGOT_UN_NEG || op == INGOT_UN_RSQRT || op == INGOT_UN_RELU)
          tol = 0;
        ASSERT_TRUE(close(y[i], want[i], tol))
            << "op " << op << " x " << x[i] << " got " << y[i] << " want "
            << want[i];
      }
    }
}

TEST(GPUKernels, IotaCopyClamp) {
  std::mt19937 rng(19);
  for (unsigned grid : {1u, 5u}) {
    int64_t n = 1000, base = 77;
    std::vector<int32_t> out((size_t)n, -1);
    int32_t *po = out.data();
    ASSERT_EQ(launch("ingot_gk_iota", {&po, &n, &base}, grid), "");
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], base + i);

    // Aligned (words and a tail) and misaligned (bytes).
    for (int64_t offset : {0, 3}) {
      int64_t bytes = 4099;
      std::vector<uint8_t> src(5000), dst(5000, 0xee);
      for (uint8_t &b : src)
        b = (uint8_t)rng();
      uint8_t *pd = dst.data() + 8;
      const uint8_t *ps = src.data() + 8 + offset;
      ASSERT_EQ(launch("ingot_gk_copy", {&pd, &ps, &bytes}, grid), "");
      ASSERT_EQ(std::memcmp(pd, ps, (size_t)bytes), 0);
      EXPECT_EQ(dst[7], 0xee);
      EXPECT_EQ(dst[8 + bytes], 0xee);
    }

    int64_t count = 777;
    float lo = -1.5f, hi = 2.0f;
    std::vector<float> x = elementwiseInputs(rng, (size_t)count);
    std::vector<float> want(x.size()), y(x.size(), 0.0f);
    ingot_uk_clamp(want.data(), x.data(), count, lo, hi, 0, 1);
    float *py = y.data();
    const float *px = x.data();
    ASSERT_EQ(launch("ingot_gk_clamp", {&py, &px, &count, &lo, &hi}, grid), "");
    for (int64_t i = 0; i < count; ++i)
      ASSERT_TRUE(close(y[i], want[i], 0)) << x[i];
  }
}

// The Hadamard rotation: each element sees the CPU kernel's operations in
// its order, so the bits are the same; forward then inverse gives x back
// to rounding. Rows of 1 to 512 features (1 to 2 blocks of work per stage),
// in place and not, several rows per block (grid 1) and one per block.
TEST(GPUKernels, Hadamard) {
  std::mt19937 rng(31);
  for (int64_t D : {1, 2, 8, 64, 128, 512})
    for (unsigned grid : {1u, 3u})
      for (int32_t inverse : {0, 1})
        for (bool inPlace : {false, true}) {
          int64_t rows = 5;
          std::vector<float> x = elementwiseInputs(rng, (size_t)(rows * D));
          std::vector<float> signs((size_t)D);
          for (float &s : signs)
            s = rng() & 1 ? 1.0f : -1.0f;
          std::vector<float> want(x.size()), y(x.size(), 0.0f);
          ingot_uk_hadamard(want.data(), x.data(), rows, D, signs.data(),
                            inverse, 0, 1);
          if (inPlace)
            y = x;
          float *py = y.data();
          const float *px = inPlace ? y.data() : x.data();
          const float *ps = signs.data();
          ASSERT_EQ(launch("ingot_gk_hadamard",
                           {&py, &px, &rows, &D, &ps, &inverse}, grid),
                    "");
          for (size_t i = 0; i < y.size(); ++i)
            ASSERT_TRUE(y[i] == want[i] ||
                        (std::isnan(y[i]) && std::isnan(want[i])))
                << y[i] << " vs " << want[i] << " D=" << D << " grid=" << grid
                << " inverse=" << inverse << " in place=" << inPlace
                << " i=" << i;
        }
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

struct AttentionCase {
  int32_t kfmt, vfmt, mask;
  int64_t n, start, D, window;
  float softcap;
};

TEST(GPUKernels, Attention) {
  std::mt19937 rng(20);
  std::vector<AttentionCase> cases;
  for (int32_t f = INGOT_KV_F32; f <= INGOT_KV_TQ3; ++f)
    for (int64_t D : {64, 24}) {
      cases.push_back({f, f, INGOT_MASK_CAUSAL, 1, 37, D, 0, 0.0f});
      cases.push_back({f, f, INGOT_MASK_CAUSAL, 5, 20, D, 0, 0.0f});
    }
  cases.push_back({INGOT_KV_Q8, INGOT_KV_F16, INGOT_MASK_SLIDING_WINDOW, 6, 30,
                   64, 9, 0.0f});
  cases.push_back(
      {INGOT_KV_F16, INGOT_KV_Q4, INGOT_MASK_NONE, 4, 12, 64, 0, 0.0f});
  cases.push_back(
      {INGOT_KV_F32, INGOT_KV_F32, INGOT_MASK_CAUSAL, 7, 0, 128, 0, 30.0f});
  cases.push_back({INGOT_KV_BF16, INGOT_KV_TQ4, INGOT_MASK_SLIDING_WINDOW, 1,
                   300, 256, 100, 5.0f});
  cases.push_back(
      {INGOT_KV_F16, INGOT_KV_F16, INGOT_MASK_CAUSAL, 1, 0, 80, 0, 0.0f});
  cases.push_back(
      {INGOT_KV_F16, INGOT_KV_F16, INGOT_MASK_CAUSAL, 2, 600, 128, 0, 0.0f});
  cases.push_back(
      {INGOT_KV_Q8, INGOT_KV_Q8, INGOT_MASK_NONE, 3, 5, 32, 0, 0.0f});
  int64_t heads[][2] = {{4, 2}, {4, 4}, {6, 1}};
  int caseIndex = 0;
  for (const AttentionCase &c : cases)
    for (unsigned grid : {1u, 7u}) {
      // Grouped, multi-head and multi-query layouts in turn.
      int64_t *hh = heads[caseIndex++ % 3];
      int64_t Hq = hh[0], Hkv = hh[1], D = c.D, n = c.n, start = c.start;
      int64_t ctx = start + n + 3;
      std::string what =
          "kfmt " + std::to_string(c.kfmt) + " vfmt " + std::to_string(c.vfmt) +
          " mask " + std::to_string(c.mask) + " n " + std::to_string(n) +
          " start " + std::to_string(start) + " D " + std::to_string(D) +
          " Hq " + std::to_string(Hq) + " Hkv " + std::to_string(Hkv) +
          " grid " + std::to_string(grid);
      // Codebooks of the TQ formats: sorted levels over ±3/√D.
      std::vector<float> kbook(16), vbook(16);
      for (int i = 0; i < 16; ++i) {
        kbook[i] = (float)((i - 7.5) / 7.5 * 3 / std::sqrt((double)D));
        vbook[i] = (float)((i - 7.5) / 7.5 * 2.5 / std::sqrt((double)D));
      }
      if (c.kfmt == INGOT_KV_TQ3)
        for (int i = 0; i < 8; ++i)
          kbook[i] = (float)((i - 3.5) / 3.5 * 3 / std::sqrt((double)D));
      if (c.vfmt == INGOT_KV_TQ3)
        for (int i = 0; i < 8; ++i)
          vbook[i] = (float)((i - 3.5) / 3.5 * 2.5 / std::sqrt((double)D));
      int64_t kbytes = ingot_uk_kv_entry_bytes(c.kfmt, D);
      int64_t vbytes = ingot_uk_kv_entry_bytes(c.vfmt, D);
      std::vector<uint8_t> kcache((size_t)(ctx * Hkv * kbytes), 0x5a),
          vcache((size_t)(ctx * Hkv * vbytes), 0xa5);
      float scale = 1.0f / std::sqrt((float)D);
      std::vector<float> scratch(
          (size_t)INGOT_UK_ATTENTION_SCRATCH_FLOATS(ctx, D) + 64);
      ingot_uk_sync sync;
      std::memset(&sync, 0, sizeof sync);
      // The earlier positions, written by the CPU kernel (one query head
      // per KV head: only the caches matter here).
      if (start > 0) {
        std::vector<float> q0 = randomFloats(rng, (size_t)(start * Hkv * D));
        std::vector<float> k0 = randomFloats(rng, (size_t)(start * Hkv * D));
        std::vector<float> v0 = randomFloats(rng, (size_t)(start * Hkv * D));
        std::vector<float> o0(q0.size());
        ingot_uk_attention(o0.data(), q0.data(), k0.data(), v0.data(),
                           kcache.data(), vcache.data(), start, 0, Hkv, Hkv, D,
                           scale, INGOT_MASK_CAUSAL, 0, 0.0f, c.kfmt, c.vfmt,
                           kbook.data(), vbook.data(), INGOT_NUMERICS_EXACT,
                           scratch.data(), &sync, 0, 1);
      }
      std::vector<float> q = randomFloats(rng, (size_t)(n * Hq * D), -2, 2);
      std::vector<float> k = randomFloats(rng, (size_t)(n * Hkv * D), -2, 2);
      std::vector<float> v = randomFloats(rng, (size_t)(n * Hkv * D));
      std::vector<uint8_t> kcWant = kcache, vcWant = vcache;
      std::vector<float> want(q.size());
      ingot_uk_attention(want.data(), q.data(), k.data(), v.data(),
                         kcWant.data(), vcWant.data(), n, start, Hq, Hkv, D,
                         scale, c.mask, c.window, c.softcap, c.kfmt, c.vfmt,
                         kbook.data(), vbook.data(), INGOT_NUMERICS_EXACT,
                         scratch.data(), &sync, 0, 1);
      std::vector<float> out(q.size(), NAN);
      float *po = out.data();
      const float *pq = q.data(), *pk = k.data(), *pv = v.data(),
                  *pkb = kbook.data(), *pvb = vbook.data();
      void *pkc = kcache.data(), *pvc = vcache.data();
      float sc = scale, cap = c.softcap;
      int32_t mask = c.mask, kfmt = c.kfmt, vfmt = c.vfmt,
              numerics = INGOT_NUMERICS_EXACT;
      int64_t window = c.window;
      ASSERT_EQ(launch("ingot_gk_attention",
                       {&po,    &pq,   &pk,   &pv,  &pkc, &pvc,     &n,
                        &start, &Hq,   &Hkv,  &D,   &sc,  &mask,    &window,
                        &cap,   &kfmt, &vfmt, &pkb, &pvb, &numerics},
                       grid),
                "")
          << what;
      // The caches: the same encodings, bit for bit.
      ASSERT_EQ(kcache, kcWant) << what;
      ASSERT_EQ(vcache, vcWant) << what;
      // The outputs: a score's error is at most the two dot products'
      // bounds (GPU D/32 + 5 additions, CPU D/8 + 3) over Σ|q·k|·scale,
      // plus tanh/e^x ulps; a weight p = e^(s - max) is then off by that
      // relative error (twice: numerator and denominator), and the
      // weighted sums of ≤ ctx values add (ctx/8 + 16)·u·max|v|.
      double maxV = 0;
      for (float f : v)
        maxV = std::max(maxV, (double)std::fabs(f));
      for (int64_t j = 0; j < start * Hkv * D; ++j) // earlier values ≤ 1
        maxV = std::max(maxV, 1.0);
      double qmax = 0, kmax = 2;
      for (float f : q)
        qmax = std::max(qmax, (double)std::fabs(f));
      double dScore = ((double)D / 32 + 5 + (double)D / 8 + 3 + 2) * kU * qmax *
                          kmax * D * scale +
                      8 * kU * (qmax * kmax * D * scale);
      double tol = maxV * (2 * dScore + ((double)ctx / 8 + 16) * kU * 4);
      for (size_t i = 0; i < out.size(); ++i)
        ASSERT_LE(std::fabs((double)out[i] - want[i]), tol)
            << what << " i=" << i << " got " << out[i] << " want " << want[i];
    }
}

// The kernels take their sizes from the launch: blocks of 64 and 512
// threads give the results of 256 (within the tolerances above).
TEST(GPUKernels, OtherBlockSizes) {
  std::mt19937 rng(21);
  int64_t M = 2, N = 21, K = 256;
  int32_t fmt = INGOT_W_Q4_K, group = 0;
  std::vector<uint8_t> w = randomWeights(rng, fmt, group, N, K);
  std::vector<float> wf = dequantized(w, fmt, group, N, K);
  std::vector<float> x = randomFloats(rng, (size_t)(M * K));
  std::vector<float> want = cpuMatmul(x, w, nullptr, M, N, K, fmt, group);
  int64_t rows = 3, D = 700;
  std::vector<float> nx = randomFloats(rng, (size_t)(rows * D));
  std::vector<float> nw = randomFloats(rng, (size_t)D);
  float eps = 1e-6f;
  std::vector<float> nwant(nx.size());
  ingot_uk_rms_norm(nwant.data(), nx.data(), nw.data(), rows, D, eps, 0, 1);
  for (unsigned block : {64u, 512u}) {
    std::vector<float> y((size_t)(M * N), NAN);
    float *py = y.data();
    const float *px = x.data(), *nb = nullptr;
    const void *pw = w.data();
    ASSERT_EQ(launch("ingot_gk_matmul",
                     {&py, &px, &pw, &nb, &M, &N, &K, &fmt, &group}, 2, block),
              "");
    if (ingot_gk_mmvq_applies(fmt, M, K)) // q8 activations
      expectMmvqClose(y, x, w, nullptr, M, N, K, fmt, "block", &want, &wf);
    else
      expectMatmulClose(y, want, x, wf, nullptr, M, N, K, "block");
    std::vector<float> ny(nx.size(), NAN);
    float *pny = ny.data();
    const float *pnx = nx.data(), *pnw = nw.data();
    ASSERT_EQ(launch("ingot_gk_rms_norm", {&pny, &pnx, &pnw, &rows, &D, &eps},
                     2, block),
              "");
    for (size_t i = 0; i < ny.size(); ++i)
      ASSERT_LE(std::fabs((double)ny[i] - nwant[i]),
                ((double)D / 64 + 16) * kU * std::fabs(nwant[i]) + 1e-30)
          << "block " << block;
  }
}

// A weight format the kernels do not decode (the x8 interleaved ones, a
// group format without a group) gives NaN, never a plausible result.
TEST(GPUKernels, UnsupportedFormatsGiveNaN) {
  std::vector<float> x(64, 1.0f), b(8, 0.0f);
  std::vector<uint8_t> w(4096, 0x11);
  for (auto [fmt, group] : {std::pair<int32_t, int32_t>{INGOT_W_Q4_0X8, 0},
                            {INGOT_W_G4_SYM, 0},
                            {99, 0}}) {
    int64_t M = 2, N = 8, K = 32, V = 4, n = 2;
    std::vector<float> y((size_t)(M * N), 0.0f), e((size_t)(n * K), 0.0f);
    float *py = y.data(), *pe = e.data();
    const float *px = x.data(), *pb = b.data();
    const void *pw = w.data();
    ASSERT_EQ(launch("ingot_gk_matmul",
                     {&py, &px, &pw, &pb, &M, &N, &K, &fmt, &group}, 1),
              "");
    for (float v : y)
      EXPECT_TRUE(std::isnan(v)) << fmt;
    std::vector<int32_t> ids = {0, 1};
    const int32_t *pi = ids.data();
    ASSERT_EQ(launch("ingot_gk_embedding",
                     {&pe, &pi, &n, &pw, &V, &K, &fmt, &group}, 1),
              "");
    for (float v : e)
      EXPECT_TRUE(std::isnan(v)) << fmt;
  }
}

// Empty shapes write nothing and return (M = 0, N = 0, n = 0, rows = 0).
TEST(GPUKernels, EmptyShapes) {
  std::vector<float> y(64, 7.0f), x(64, 1.0f);
  std::vector<uint8_t> w(256, 0);
  float *py = y.data();
  const float *px = x.data(), *nb = nullptr;
  const void *pw = w.data();
  int32_t fmt = INGOT_W_F32, group = 0;
  for (auto [M, N] : {std::pair<int64_t, int64_t>{0, 4}, {2, 0}}) {
    int64_t K = 8;
    ASSERT_EQ(launch("ingot_gk_matmul",
                     {&py, &px, &pw, &nb, &M, &N, &K, &fmt, &group}, 2),
              "");
  }
  int64_t zero = 0, one = 1, D = 8;
  const int32_t *ids = nullptr;
  ASSERT_EQ(launch("ingot_gk_embedding",
                   {&py, &ids, &zero, &pw, &one, &D, &fmt, &group}, 1),
            "");
  float eps = 1e-5f;
  ASSERT_EQ(launch("ingot_gk_rms_norm", {&py, &px, &px, &zero, &D, &eps}, 1),
            "");
  int32_t op = INGOT_EW_ADD;
  ASSERT_EQ(
      launch("ingot_gk_binary", {&py, &px, &px, &zero, &D, &one, &D, &op}, 1),
      "");
  int64_t Hq = 2, Hkv = 1, start = 3, window = 0;
  float scale = 1.0f, cap = 0.0f;
  int32_t mask = INGOT_MASK_CAUSAL, kv = INGOT_KV_F32, num = 0;
  void *cache = w.data();
  const float *book = nullptr;
  ASSERT_EQ(launch("ingot_gk_attention",
                   {&py,    &px, &px,  &px,   &cache, &cache, &zero,
                    &start, &Hq, &Hkv, &D,    &scale, &mask,  &window,
                    &cap,   &kv, &kv,  &book, &book,  &num},
                   3),
            "");
  for (float v : y)
    EXPECT_EQ(v, 7.0f);
  for (uint8_t b : w)
    EXPECT_EQ(b, 0);
}

//===----------------------------------------------------------------------===//
// Tensor cores: the executor's mma and the prefill matmul (gk_mma.c)
//
// The fragment layout is checked on its own: each lane loads its A, B, C
// fragments from plain matrices by gpu.h's layout and stores its D; D must
// be the plain product. The values are distinct small integers (exact in
// f16 and in every sum), so any permutation of the layout changes D — a
// kernel that swaps two A registers must fail.
//
// The matmul (M >= GK_MMA_MIN_M) rounds x and the decoded weights to f16
// (round to nearest even; products of halves are exact in f32), then sums
// in f32. Two bounds:
//   - against the double product of the f16-rounded inputs x̂, ŵ (rounded
//     here by arithmetic, independently of the kernel): only the f32
//     summation, taken as K + 2 sequential additions, each rounding by up
//     to 2u (the tensor cores' adds are not specified to round to
//     nearest): (K + 2)·2u·Σ|x̂ŵ|;
//   - against the CPU kernel (f32 inputs): |x̂ŵ - xw| <= (2^-10 +
//     2^-22)·|xw| + 2^-25·(|x| + |w|) + 2^-50 per term (|x̂ - x| <=
//     2^-11·|x| for normal halves, <= 2^-25 below 2^-14), plus both
//     kernels' summation bounds.
//===----------------------------------------------------------------------===//

/// gk_float_to_half's job, done with double arithmetic: the half nearest
/// to f (ties to even), as a float.
float nearestHalf(float f) {
  double a = std::fabs((double)f);
  if (a >= 65520.0)
    return std::copysign(INFINITY, f);
  double ulp = a < 6.103515625e-05 ? std::ldexp(1.0, -24)
                                   : std::ldexp(1.0, std::ilogb(a) - 10);
  return (float)(std::nearbyint((double)f / ulp) * ulp);
}

uint32_t halfBits(float f) { // f exactly a half (from roundToHalf)
  uint32_t b;
  std::memcpy(&b, &f, 4);
  uint32_t sign = (b >> 16) & 0x8000, e = (b >> 23) & 0xff, m = b & 0x7fffff;
  if (f == 0.0f)
    return sign;
  if (std::fabs(f) < 6.103515625e-05f)
    return sign | (uint32_t)std::lround(std::fabs(f) * 16777216.0);
  return sign | ((e - 112) << 10) | (m >> 13);
}

/// One m16n8k16 product per warp: A (16x16, row-major), B (16x8, k-major),
/// C (16x8) as floats holding halves; D out. `swap`: the A registers 1 and
/// 2 exchanged (a wrong layout).
template <bool swap>
void mmaFragments(void **params) {
  const float *A = *(const float **)params[0];
  const float *B = *(const float **)params[1];
  const float *C = *(const float **)params[2];
  float *D = *(float **)params[3];
  uint32_t lane = gk_lane(), g = lane / 4, t = lane % 4;
  auto pair = [](float lo, float hi) {
    return halfBits(lo) | (halfBits(hi) << 16);
  };
  uint32_t a[4], b[2];
  float c[4], d[4];
  for (uint32_t r = 0; r < 4; ++r) {
    uint32_t row = g + 8 * (r & 1), col = 2 * t + 8 * (r >> 1);
    a[r] = pair(A[row * 16 + col], A[row * 16 + col + 1]);
  }
  if (swap)
    std::swap(a[1], a[2]);
  for (uint32_t r = 0; r < 2; ++r)
    b[r] = pair(B[(2 * t + 8 * r) * 8 + g], B[(2 * t + 8 * r + 1) * 8 + g]);
  for (uint32_t r = 0; r < 4; ++r)
    c[r] = C[(g + 8 * (r >> 1)) * 8 + 2 * t + (r & 1)];
  gk_mma_m16n8k16(d, a, b, c);
  for (uint32_t r = 0; r < 4; ++r)
    D[gk_warp() * 128 + (g + 8 * (r >> 1)) * 8 + 2 * t + (r & 1)] = d[r];
}

TEST(SIMTExecutor, MmaFragmentLayout) {
  // Distinct integers: A a shuffle of -128..127, B of -64..63, C random
  // (every sum below 2^24: exact).
  std::mt19937 rng(31);
  std::vector<float> A(256), B(128), C(128);
  for (int i = 0; i < 256; ++i)
    A[i] = (float)(i - 128);
  for (int i = 0; i < 128; ++i)
    B[i] = (float)(i - 64);
  std::shuffle(A.begin(), A.end(), rng);
  std::shuffle(B.begin(), B.end(), rng);
  std::uniform_int_distribution<int> ci(-1000, 1000);
  for (float &v : C)
    v = (float)ci(rng);
  std::vector<double> want(128);
  for (int i = 0; i < 16; ++i)
    for (int n = 0; n < 8; ++n) {
      double s = C[i * 8 + n];
      for (int k = 0; k < 16; ++k)
        s += (double)A[i * 16 + k] * B[k * 8 + n];
      want[i * 8 + n] = s;
    }
  ingot_gk_host_kernel good = {"mma", mmaFragments<false>};
  ingot_gk_host_kernel bad = {"mma_swapped", mmaFragments<true>};
  const float *pa = A.data(), *pb = B.data(), *pc = C.data();
  std::vector<float> D(128 * 4, NAN);
  float *pd = D.data();
  void *params[] = {&pa, &pb, &pc, &pd};
  ASSERT_EQ(launchKernel(&good, params, 2, 128), ""); // 4 warps, 2 blocks
  for (int w = 0; w < 4; ++w)
    for (int i = 0; i < 128; ++i)
      ASSERT_EQ((double)D[w * 128 + i], want[i]) << "warp " << w << " i=" << i;
  ASSERT_EQ(launchKernel(&bad, params, 1, 32), "");
  int wrong = 0;
  for (int i = 0; i < 128; ++i)
    wrong += (double)D[i] != want[i];
  EXPECT_GT(wrong, 0) << "a permuted A fragment gave the right product";
  // All 32 lanes must take part.
  ingot_gk_host_kernel partial = {"mma_partial", [](void **params) {
                                    if (gk_lane() < 16)
                                      mmaFragments<false>(params);
                                  }};
  EXPECT_NE(launchKernel(&partial, params, 1, 32), "");
}

/// Checks the tensor-core matmul's y (M x N, of matrix w with bias) against
/// the double product of the f16-rounded inputs and against the CPU
/// kernel's `want` (the bounds above).
void expectMmaClose(const std::vector<float> &got,
                    const std::vector<float> &want, const std::vector<float> &x,
                    const std::vector<float> &wf, const float *bias, int64_t M,
                    int64_t N, int64_t K, const char *what) {
  std::vector<float> xh(x.size()), wh(wf.size());
  for (size_t i = 0; i < x.size(); ++i)
    xh[i] = nearestHalf(x[i]);
  for (size_t i = 0; i < wf.size(); ++i)
    wh[i] = nearestHalf(wf[i]);
  double gammaGpu = ((double)K + 2) * 2 * kU;
  double gammaCpu = ((double)K / 8 + 3 + (double)K / 32 + 2) * kU;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double exactH = bias ? bias[n] : 0.0,
             magH = bias ? std::fabs(bias[n]) : 0;
      double mag = magH, absTerms = 0;
      for (int64_t k = 0; k < K; ++k) {
        double xk = x[m * K + k], wk = wf[n * K + k];
        exactH += (double)xh[m * K + k] * wh[n * K + k];
        magH += std::fabs((double)xh[m * K + k] * wh[n * K + k]);
        mag += std::fabs(xk * wk);
        absTerms += std::fabs(xk) + std::fabs(wk);
      }
      double g = got[m * N + n];
      ASSERT_LE(std::fabs(g - exactH), gammaGpu * magH + 1e-30)
          << what << " m=" << m << " n=" << n << " got " << g
          << " want (f16 inputs) " << exactH;
      double bound = (std::ldexp(1.0, -10) + std::ldexp(1.0, -22)) * mag +
                     std::ldexp(1.0, -25) * absTerms +
                     (double)K * std::ldexp(1.0, -50) +
                     (gammaGpu + gammaCpu) * mag + 1e-30;
      ASSERT_LE(std::fabs(g - want[m * N + n]), bound)
          << what << " m=" << m << " n=" << n << " got " << g << " want "
          << want[m * N + n];
    }
}

TEST(GPUKernels, MatmulTensorCores) {
  std::mt19937 rng(32);
  for (const WeightCase &c : weightCases())
    for (auto [M, N] : {std::pair<int64_t, int64_t>{16, 19}, {40, 70}, {70, 9}})
      for (unsigned grid : {1u, 3u}) {
        int64_t K = c.K;
        std::string what =
            std::string(formatName(c.fmt)) + " K=" + std::to_string(K) +
            " M=" + std::to_string(M) + " N=" + std::to_string(N) +
            " grid=" + std::to_string(grid);
        std::vector<uint8_t> w = randomWeights(rng, c.fmt, c.group, N, K);
        std::vector<float> wf = dequantized(w, c.fmt, c.group, N, K);
        std::vector<float> x = randomFloats(rng, (size_t)(M * K));
        std::vector<float> bias = randomFloats(rng, (size_t)N);
        const float *b = grid == 1 ? bias.data() : nullptr;
        std::vector<float> want = cpuMatmul(x, w, b, M, N, K, c.fmt, c.group);
        std::vector<float> y((size_t)(M * N) + 1, NAN);
        float *py = y.data();
        const float *px = x.data();
        const void *pw = w.data();
        int32_t fmt = c.fmt, group = c.group;
        ASSERT_EQ(launch("ingot_gk_matmul",
                         {&py, &px, &pw, &b, &M, &N, &K, &fmt, &group}, grid),
                  "")
            << what;
        EXPECT_TRUE(std::isnan(y[(size_t)(M * N)])) << what << ": past y";
        y.resize((size_t)(M * N));
        expectMmaClose(y, want, x, wf, b, M, N, K, what.c_str());
      }
}

TEST(GPUKernels, MatmulMultiTensorCores) {
  std::mt19937 rng(33);
  for (const WeightCase &c : weightCases()) {
    int64_t M = 33, K = c.K, Ns[3] = {70, c.fmt % 2 ? 0 : 9, 21};
    std::string what = std::string(formatName(c.fmt)) +
                       " K=" + std::to_string(K) + " M=" + std::to_string(M);
    MultiCase m(rng, c, M, K, Ns);
    const std::vector<float> &x = m.x;
    const auto &w = m.w;
    const auto &wf = m.wf;
    auto &y = m.y;
    const auto &want = m.want;
    const auto &pb = m.pb;
    for (unsigned grid : {1u, 4u}) {
      ASSERT_EQ(m.launch(grid), "") << what;
      for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(std::isnan(y[i][(size_t)(M * Ns[i])]))
            << what << ": past y" << i;
        std::vector<float> yi(y[i].begin(), y[i].end() - 1);
        expectMmaClose(yi, want[i], x, wf[i], pb[i], M, Ns[i], K,
                       (what + " matrix " + std::to_string(i) +
                        " grid=" + std::to_string(grid))
                           .c_str());
        std::fill(y[i].begin(), y[i].end() - 1, NAN);
      }
    }
  }
}

// Blocks of 32, 64 and 512 threads (fewer warps than strips: the tile's k
// steps run again for the strips left) give the results of 256.
TEST(GPUKernels, MatmulTensorCoresOtherBlockSizes) {
  std::mt19937 rng(34);
  int64_t M = 20, N = 67, K = 512;
  int32_t fmt = INGOT_W_Q4_K, group = 0;
  std::vector<uint8_t> w = randomWeights(rng, fmt, group, N, K);
  std::vector<float> wf = dequantized(w, fmt, group, N, K);
  std::vector<float> x = randomFloats(rng, (size_t)(M * K));
  std::vector<float> bias = randomFloats(rng, (size_t)N);
  const float *pb = bias.data();
  std::vector<float> want = cpuMatmul(x, w, pb, M, N, K, fmt, group);
  for (unsigned block : {32u, 64u, 512u}) {
    std::vector<float> y((size_t)(M * N), NAN);
    float *py = y.data();
    const float *px = x.data();
    const void *pw = w.data();
    ASSERT_EQ(launch("ingot_gk_matmul",
                     {&py, &px, &pw, &pb, &M, &N, &K, &fmt, &group}, 2, block),
              "");
    expectMmaClose(y, want, x, wf, pb, M, N, K,
                   ("block " + std::to_string(block)).c_str());
  }
}

// Activations beyond the f16 range (|x| > 65504) become infinities on the
// tensor-core path; below GK_MMA_MIN_M rows the f32 kernel keeps them.
TEST(GPUKernels, MatmulTensorCoresF16Range) {
  int64_t K = 32, N = 8;
  std::vector<float> w((size_t)(N * K), 1.0f);
  for (int64_t M : {1, 16}) {
    std::vector<float> x((size_t)(M * K), 0.0f), y((size_t)(M * N), NAN);
    x[0] = 70000.0f;
    float *py = y.data();
    const float *px = x.data(), *nb = nullptr;
    const void *pw = w.data();
    int32_t fmt = INGOT_W_F32, group = 0;
    ASSERT_EQ(launch("ingot_gk_matmul",
                     {&py, &px, &pw, &nb, &M, &N, &K, &fmt, &group}, 1),
              "");
    if (M == 1)
      EXPECT_EQ(y[0], 70000.0f);
    else
      EXPECT_TRUE(std::isinf(y[0])) << y[0];
  }
}

} // namespace
