//===- RuntimeSamplerTest.cpp - The runtime sampler ------------------------===//
//
// Expectations computed here from the definitions (argmax, softmax of
// logits / T, the top-k / top-p / min-p sets), not from the sampler.
//
//===----------------------------------------------------------------------===//

#include "runtime/include/ingot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

struct Sampler {
  ingot_sampler *s = nullptr;
  Sampler(const ingot_sampler_params &p, int32_t vocab) {
    EXPECT_EQ(ingot_sampler_init(&s, &p, vocab), INGOT_OK);
  }
  ~Sampler() { ingot_sampler_free(s); }
};

ingot_sampler_params params(float temperature, uint64_t seed = 1) {
  ingot_sampler_params p;
  ingot_sampler_params_default(&p);
  p.temperature = temperature;
  p.seed = seed;
  return p;
}

const std::vector<float> logits = {1.0f, 3.0f, -2.0f, 2.5f, 0.0f, 2.9f, -1.0f};

/// Frequencies of `draws` samples.
std::vector<double> histogram(const ingot_sampler_params &p, int draws) {
  Sampler s(p, static_cast<int32_t>(logits.size()));
  std::vector<double> counts(logits.size());
  for (int i = 0; i < draws; ++i) {
    int32_t id = ingot_sampler_sample(s.s, logits.data());
    EXPECT_GE(id, 0);
    EXPECT_LT(id, static_cast<int32_t>(logits.size()));
    counts[id] += 1.0 / draws;
  }
  return counts;
}

/// softmax(logits / T) restricted to `keep`, renormalized.
std::vector<double> expected(float temperature, std::vector<bool> keep) {
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    if (keep[i])
      sum += p[i] = std::exp(logits[i] / temperature);
  for (double &x : p)
    x /= sum;
  return p;
}

void expectClose(const std::vector<double> &got,
                 const std::vector<double> &want, double tolerance) {
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance) << "token " << i;
}

TEST(RuntimeSamplerTest, GreedyPicksArgmax) {
  Sampler s(params(0.0f), 7);
  EXPECT_EQ(ingot_sampler_sample(s.s, logits.data()), 1);
  std::vector<float> ties = {0, 5, 5, 1};
  Sampler t(params(0.0f), 4);
  EXPECT_EQ(ingot_sampler_sample(t.s, ties.data()), 1); // smallest id
}

TEST(RuntimeSamplerTest, TopKOneIsGreedy) {
  ingot_sampler_params p = params(1.5f, 42);
  p.top_k = 1;
  Sampler s(p, 7);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(ingot_sampler_sample(s.s, logits.data()), 1);
}

TEST(RuntimeSamplerTest, TemperatureMatchesSoftmax) {
  const int draws = 200000; // standard error <= 0.0012
  for (float t : {0.5f, 1.0f, 2.0f})
    expectClose(histogram(params(t, 3), draws),
                expected(t, std::vector<bool>(7, true)), 0.006);
}

TEST(RuntimeSamplerTest, TopK) {
  ingot_sampler_params p = params(1.0f, 5);
  p.top_k = 3; // logits 3.0, 2.9, 2.5: ids 1, 5, 3
  expectClose(histogram(p, 100000),
              expected(1.0f, {false, true, false, true, false, true, false}),
              0.008);
}

TEST(RuntimeSamplerTest, TopP) {
  // softmax at T=1: p1 ~ 0.366, p5 ~ 0.331, p3 ~ 0.222, the rest ~ 0.081.
  // 0.366 + 0.331 < 0.8 <= 0.919: top-p 0.8 keeps ids 1, 5, 3.
  std::vector<double> full = expected(1.0f, std::vector<bool>(7, true));
  ASSERT_LT(full[1] + full[5], 0.8);
  ASSERT_GE(full[1] + full[5] + full[3], 0.8);
  ingot_sampler_params p = params(1.0f, 9);
  p.top_p = 0.8f;
  expectClose(histogram(p, 100000),
              expected(1.0f, {false, true, false, true, false, true, false}),
              0.008);
}

TEST(RuntimeSamplerTest, MinP) {
  // p_i / p_max = exp(l_i - 3): 0.5 keeps ids 1 (1), 5 (0.905), 3 (0.607);
  // id 0 (0.135) and the rest fall below.
  ingot_sampler_params p = params(1.0f, 11);
  p.min_p = 0.5f;
  std::vector<double> got = histogram(p, 100000);
  expectClose(got,
              expected(1.0f, {false, true, false, true, false, true, false}),
              0.008);
  EXPECT_EQ(got[0], 0.0);
}

TEST(RuntimeSamplerTest, SameSeedSameChoices) {
  auto run = [](uint64_t seed) {
    Sampler s(params(1.0f, seed), 7);
    std::vector<int32_t> ids;
    for (int i = 0; i < 64; ++i)
      ids.push_back(ingot_sampler_sample(s.s, logits.data()));
    return ids;
  };
  EXPECT_EQ(run(1234), run(1234));
  EXPECT_NE(run(1234), run(1235));
  // reset reseeds.
  Sampler s(params(1.0f, 1234), 7);
  int32_t first = ingot_sampler_sample(s.s, logits.data());
  for (int i = 0; i < 10; ++i)
    ingot_sampler_sample(s.s, logits.data());
  ingot_sampler_reset(s.s, 1234);
  EXPECT_EQ(ingot_sampler_sample(s.s, logits.data()), first);
}

TEST(RuntimeSamplerTest, RepetitionPenalty) {
  ingot_sampler_params p = params(0.0f);
  p.repetition_penalty = 2.0f;
  p.repetition_last_n = 2;
  Sampler s(p, 7);
  // 3.0 / 2 = 1.5 < 2.9: after id 1 is accepted, greedy picks id 5.
  ingot_sampler_accept(s.s, 1);
  ingot_sampler_accept(s.s, 1); // counted once
  EXPECT_EQ(ingot_sampler_sample(s.s, logits.data()), 5);
  // 2.9 / 2 = 1.45 < 2.5: both penalized, id 3.
  ingot_sampler_accept(s.s, 5);
  EXPECT_EQ(ingot_sampler_sample(s.s, logits.data()), 3);
  // The window holds the last 2 (5, 6): id 1 is back.
  ingot_sampler_accept(s.s, 6);
  EXPECT_EQ(ingot_sampler_sample(s.s, logits.data()), 1);
  // A negative logit is multiplied: -1.5 * 2 = -3 < -2 (dividing would give
  // -0.75 and keep id 0 first).
  std::vector<float> negative = {-1.5f, -2.5f, -2.0f};
  Sampler n(p, 3);
  ingot_sampler_accept(n.s, 0);
  EXPECT_EQ(ingot_sampler_sample(n.s, negative.data()), 2);
}

// A vocabulary-sized row: the sampler sorts only a prefix; the nucleus must
// still be the one a full sort gives.
TEST(RuntimeSamplerTest, LargeVocabularyTopPAndMinP) {
  const int32_t vocab = 50000;
  std::vector<float> big(vocab);
  uint64_t x = 12345;
  for (float &v : big) { // a fixed pseudo-random row, a few large logits
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>((x >> 40) % 1000) / 100.0f;
  }
  std::vector<int32_t> order(vocab);
  for (int32_t i = 0; i < vocab; ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return big[a] != big[b] ? big[a] > big[b] : a < b;
  });
  double max = big[order[0]], sum = 0;
  for (float v : big)
    sum += std::exp(v - max);
  for (float topP : {0.05f, 0.5f, 0.9f}) {
    // The reference nucleus: the shortest prefix with mass >= top_p.
    size_t cut = 0;
    for (double mass = 0; mass < topP; ++cut)
      mass += std::exp(big[order[cut]] - max) / sum;
    std::vector<bool> in(vocab);
    for (size_t i = 0; i < cut; ++i)
      in[order[i]] = true;
    ingot_sampler_params p = params(1.0f, 77);
    p.top_p = topP;
    Sampler s(p, vocab);
    for (int i = 0; i < 100; ++i) {
      int32_t id = ingot_sampler_sample(s.s, big.data());
      ASSERT_TRUE(id >= 0 && id < vocab && in[id]) << "top_p " << topP;
    }
  }
  // min-p 0.5: exactly the logits >= max + log(0.5).
  ingot_sampler_params p = params(1.0f, 78);
  p.min_p = 0.5f;
  Sampler s(p, vocab);
  for (int i = 0; i < 100; ++i) {
    int32_t id = ingot_sampler_sample(s.s, big.data());
    ASSERT_GE(big[id] - max, std::log(0.5) - 1e-6);
  }
}

TEST(RuntimeSamplerTest, BadParameters) {
  ingot_sampler *s = nullptr;
  ingot_sampler_params p = params(1.0f);
  EXPECT_EQ(ingot_sampler_init(&s, &p, 0), INGOT_ERROR_INVALID_ARGUMENT);
  p.repetition_penalty = 0.0f;
  EXPECT_EQ(ingot_sampler_init(&s, &p, 7), INGOT_ERROR_INVALID_ARGUMENT);
  p = params(NAN);
  EXPECT_EQ(ingot_sampler_init(&s, &p, 7), INGOT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(ingot_sampler_sample(nullptr, logits.data()), -1);
}

} // namespace
