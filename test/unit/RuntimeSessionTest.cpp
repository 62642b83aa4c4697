//===- RuntimeSessionTest.cpp - Models, sessions and the thread pool ------===//
//
// The runtime's model and session API run on the hand-written fake model
// (test/runtime/fake_model.h), whose logits follow a rule the tests compute
// on their own: chunked prefill must equal token-by-token decoding, every
// thread count must give the same bits, sessions on different threads must
// not interact, and bad input (token ids, context, weights files) must give
// one-line errors before anything is computed. Also built with ASan/UBSan
// (IngotRuntimeSanTests).
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/ukernels.h"
#include "runtime/include/ingot.h"
#include "runtime/src/weights-hash.h"
#include "test/runtime/fake_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

static_assert(INGOT_MAX_THREADS == INGOT_UK_MAX_THREADS,
              "ingot.h and ukernels.h disagree on the thread limit");
static_assert(sizeof(ingot_uk_sync) == 64, "the runtime allocates 64 bytes");

namespace {

constexpr int V = INGOT_FAKE_VOCAB;

/// A model and a session, freed at scope exit.
struct Fake {
  ingot_model *model = nullptr;
  ingot_session *session = nullptr;
  Fake(int threads, int ctx = 0, const ingot_model_desc *d = &ingot_fake_model,
      const char *weights = nullptr) {
    ingot_model_options o;
    ingot_model_options_default(&o);
    o.threads = threads;
    o.weights_path = weights;
    char error[256];
    EXPECT_EQ(ingot_model_open(&model, d, &o, error, sizeof error), INGOT_OK)
        << error;
    if (model) {
      EXPECT_EQ(ingot_session_init(&session, model, ctx, error, sizeof error),
                INGOT_OK)
          << error;
    }
  }
  ~Fake() {
    ingot_session_free(session);
    ingot_model_free(model);
  }
  std::vector<float> logits() {
    const float *l = ingot_session_logits(session);
    return l ? std::vector<float>(l, l + V) : std::vector<float>();
  }
  std::vector<float> prefillAll(const std::vector<int32_t> &ids) {
    std::vector<float> out(ids.size() * V);
    EXPECT_EQ(ingot_session_prefill_all_logits(session, ids.data(),
                                               ids.size(), out.data()),
              INGOT_OK)
        << ingot_session_error(session);
    return out;
  }
};

/// The fake model's greedy choice after `context`, computed here.
int32_t expectedNext(const std::vector<int32_t> &context) {
  uint64_t s = 0;
  for (size_t j = 0; j < context.size(); ++j)
    s = (s + uint64_t(context[j]) * (j + 1)) % 1000003;
  uint32_t h = uint32_t(uint32_t(s) * 2654435761u) >> 16;
  return h % 27 == 26 ? 2 : int32_t(3 + 'a' + h % 27);
}

int32_t argmax(const float *row) {
  return int32_t(std::max_element(row, row + V) - row);
}

std::vector<int32_t> prompt(int n) {
  std::vector<int32_t> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back((i * 37 + 5) % V);
  return ids;
}

TEST(RuntimeModel, OpensTheDescriptor) {
  Fake r(2);
  ASSERT_NE(r.model, nullptr);
  EXPECT_EQ(ingot_model_vocab_size(r.model), V);
  EXPECT_EQ(ingot_model_max_ctx(r.model), INGOT_FAKE_MAX_CTX);
  EXPECT_EQ(ingot_model_threads(r.model), 2);
  EXPECT_STREQ(ingot_model_name(r.model), "fake");
  EXPECT_STREQ(ingot_model_chat_style(r.model), "chatml");
  EXPECT_EQ(ingot_model_descriptor(r.model), &ingot_fake_model);
  const ingot_tokenizer *t = ingot_model_tokenizer(r.model);
  int32_t ids[4];
  size_t n = 0;
  ASSERT_EQ(ingot_tokenizer_encode(t, "a<|im_end|>", 11,
                                   INGOT_ENCODE_PARSE_SPECIAL, ids, 4, &n),
            INGOT_OK);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(ids[0], 3 + 'a');
  EXPECT_EQ(ids[1], 2);
  EXPECT_EQ(ingot_tokenizer_find(t, "<|im_end|>", 10), 2);
  EXPECT_EQ(ingot_tokenizer_find(t, "<|eot_id|>", 10), -1);
  EXPECT_FALSE(ingot_tokenizer_adds_bos(t)); // GPT-2 style
  EXPECT_EQ(ingot_session_ctx(r.session), INGOT_FAKE_MAX_CTX);
  EXPECT_EQ(ingot_session_logits(r.session), nullptr);
}

TEST(RuntimeModel, ZeroThreadsMeansOnlineCpus) {
  Fake r(0);
  EXPECT_GE(ingot_model_threads(r.model), 1);
  EXPECT_LE(ingot_model_threads(r.model), INGOT_MAX_THREADS);
}

TEST(RuntimeModel, RejectsBadDescriptorsAndOptions) {
  ingot_model *m = nullptr;
  char error[256];
  ingot_model_desc d = ingot_fake_model;
  d.abi_version = INGOT_ABI_VERSION + 1;
  EXPECT_EQ(ingot_model_open(&m, &d, nullptr, error, sizeof error),
            INGOT_ERROR_UNSUPPORTED);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(error).find("ABI"), std::string::npos) << error;
  d = ingot_fake_model;
  d.max_batch = 0;
  EXPECT_EQ(ingot_model_open(&m, &d, nullptr, error, sizeof error),
            INGOT_ERROR_MALFORMED);
  d = ingot_fake_model;
  d.tokenizer_bytes -= 1; // the blob no longer ends where it should
  EXPECT_EQ(ingot_model_open(&m, &d, nullptr, error, sizeof error),
            INGOT_ERROR_MALFORMED);
  EXPECT_NE(std::string(error).find("tokenizer"), std::string::npos) << error;
  d = ingot_fake_model;
  d.vocab_size = 100; // fewer than the tokenizer's tokens
  EXPECT_EQ(ingot_model_open(&m, &d, nullptr, error, sizeof error),
            INGOT_ERROR_MALFORMED);
  ingot_model_options o;
  ingot_model_options_default(&o);
  o.threads = INGOT_MAX_THREADS + 1;
  EXPECT_EQ(ingot_model_open(&m, &ingot_fake_model, &o, error, sizeof error),
            INGOT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
}

TEST(RuntimeSession, LogitsFollowTheRule) {
  Fake r(2);
  std::vector<int32_t> ids = prompt(12);
  std::vector<float> all = r.prefillAll(ids);
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_EQ(argmax(&all[i * V]),
              expectedNext(std::vector<int32_t>(ids.begin(),
                                                ids.begin() + i + 1)))
        << "row " << i;
  std::vector<int32_t> context = ids;
  for (int step = 0; step < 20; ++step) {
    int32_t next = argmax(ingot_session_logits(r.session));
    ASSERT_EQ(next, expectedNext(context)) << "step " << step;
    ASSERT_EQ(ingot_session_decode(r.session, next), INGOT_OK);
    context.push_back(next);
  }
  EXPECT_EQ(ingot_session_position(r.session), 32);
}

TEST(RuntimeSession, ChunkedPrefillEqualsDecoding) {
  // 3 * max_batch + 1 tokens: three full chunks and a one-token chunk.
  std::vector<int32_t> ids = prompt(3 * INGOT_FAKE_MAX_BATCH + 1);
  Fake chunked(2), stepped(2), last(2);
  std::vector<float> all = chunked.prefillAll(ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(ingot_session_decode(stepped.session, ids[i]), INGOT_OK);
    std::vector<float> row = stepped.logits();
    ASSERT_EQ(0, std::memcmp(row.data(), &all[i * V], V * sizeof(float)))
        << "token " << i;
  }
  // Plain prefill keeps the last row only.
  ASSERT_EQ(ingot_session_prefill(last.session, ids.data(), ids.size()),
            INGOT_OK);
  EXPECT_EQ(last.logits(), stepped.logits());
  EXPECT_EQ(chunked.logits(), stepped.logits());
  EXPECT_EQ(ingot_session_position(last.session), int(ids.size()));
}

TEST(RuntimeSession, ThreadCountsGiveTheSameBits) {
  std::vector<int32_t> ids = prompt(23);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3, 7}) {
    Fake r(threads);
    std::vector<float> all = r.prefillAll(ids);
    for (int step = 0; step < 10; ++step) {
      ASSERT_EQ(ingot_session_decode(r.session,
                                     argmax(ingot_session_logits(r.session))),
                INGOT_OK);
      std::vector<float> row = r.logits();
      all.insert(all.end(), row.begin(), row.end());
    }
    for (float x : all)
      ASSERT_FALSE(std::isnan(x));
    results.push_back(all);
  }
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_EQ(results[i], results[0]) << "thread count #" << i;
}

TEST(RuntimeSession, ContextFullComputesNothing) {
  Fake r(2, 10);
  ASSERT_EQ(ingot_session_ctx(r.session), 10);
  std::vector<int32_t> ids = prompt(11);
  EXPECT_EQ(ingot_session_prefill(r.session, ids.data(), ids.size()),
            INGOT_ERROR_CONTEXT_FULL);
  std::string error = ingot_session_error(r.session);
  EXPECT_NE(error.find("context"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
  EXPECT_EQ(ingot_session_position(r.session), 0);
  EXPECT_EQ(ingot_session_logits(r.session), nullptr);
  ASSERT_EQ(ingot_session_prefill(r.session, ids.data(), 8), INGOT_OK);
  std::vector<float> before = r.logits();
  EXPECT_EQ(ingot_session_prefill(r.session, ids.data(), 3),
            INGOT_ERROR_CONTEXT_FULL);
  EXPECT_EQ(ingot_session_position(r.session), 8);
  EXPECT_EQ(r.logits(), before);
  EXPECT_EQ(ingot_session_decode(r.session, 7), INGOT_OK);
  EXPECT_EQ(ingot_session_decode(r.session, 7), INGOT_OK);
  EXPECT_EQ(ingot_session_decode(r.session, 7), INGOT_ERROR_CONTEXT_FULL);
  EXPECT_EQ(ingot_session_position(r.session), 10);
  // Reset starts over and gives the same logits again.
  ingot_session_reset(r.session);
  EXPECT_EQ(ingot_session_position(r.session), 0);
  EXPECT_EQ(ingot_session_logits(r.session), nullptr);
  ASSERT_EQ(ingot_session_prefill(r.session, ids.data(), 8), INGOT_OK);
  EXPECT_EQ(r.logits(), before);
}

TEST(RuntimeSession, BadArgumentsComputeNothing) {
  Fake r(2);
  std::vector<int32_t> ids = {5, 6, V, 7};
  EXPECT_EQ(ingot_session_prefill(r.session, ids.data(), ids.size()),
            INGOT_ERROR_INVALID_ARGUMENT);
  std::string error = ingot_session_error(r.session);
  EXPECT_NE(error.find("259"), std::string::npos) << error;
  EXPECT_EQ(ingot_session_decode(r.session, -1), INGOT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ingot_session_position(r.session), 0);
  EXPECT_EQ(ingot_session_prefill(r.session, nullptr, 1),
            INGOT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ingot_session_prefill_all_logits(r.session, ids.data(), 1,
                                             nullptr),
            INGOT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ingot_session_prefill(r.session, ids.data(), 0), INGOT_OK);
  EXPECT_EQ(ingot_session_position(r.session), 0);
  EXPECT_EQ(ingot_session_decode(nullptr, 1), INGOT_ERROR_INVALID_ARGUMENT);
  ingot_session *s = nullptr;
  char message[256];
  EXPECT_EQ(ingot_session_init(&s, r.model, INGOT_FAKE_MAX_CTX + 1, message,
                               sizeof message),
            INGOT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(ingot_session_init(&s, r.model, -1, message, sizeof message),
            INGOT_ERROR_INVALID_ARGUMENT);
}

/// Greedy generation of `steps` tokens on a fresh session.
std::vector<float> generate(ingot_model *model, int seed, int steps) {
  ingot_session *s = nullptr;
  char error[256];
  if (ingot_session_init(&s, model, 0, error, sizeof error) != INGOT_OK)
    return {};
  std::vector<int32_t> ids = prompt(7 + seed);
  std::vector<float> out;
  ingot_session_prefill(s, ids.data(), ids.size());
  for (int i = 0; i < steps; ++i) {
    const float *l = ingot_session_logits(s);
    out.insert(out.end(), l, l + V);
    if (ingot_session_decode(s, argmax(l)) != INGOT_OK)
      break;
  }
  ingot_session_free(s);
  return out;
}

TEST(RuntimeSession, ConcurrentSessionsDoNotInteract) {
  Fake r(2);
  std::vector<float> a0 = generate(r.model, 0, 40);
  std::vector<float> b0 = generate(r.model, 3, 40);
  for (int round = 0; round < 3; ++round) {
    std::vector<float> a, b;
    std::thread ta([&] { a = generate(r.model, 0, 40); });
    std::thread tb([&] { b = generate(r.model, 3, 40); });
    ta.join();
    tb.join();
    ASSERT_EQ(a, a0) << "round " << round;
    ASSERT_EQ(b, b0) << "round " << round;
  }
  EXPECT_NE(a0, b0);
}

/// A file under the test's temporary directory.
std::string temp(const std::string &name) {
  return testing::TempDir() + "ingot-runtime-" + name;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Opens the external-weights model from `path`: the status and message.
std::pair<ingot_status, std::string> openExternal(const std::string &path) {
  ingot_model_options o;
  ingot_model_options_default(&o);
  o.threads = 1;
  o.weights_path = path.c_str();
  ingot_model *m = nullptr;
  char error[512] = "";
  ingot_status s =
      ingot_model_open(&m, &ingot_fake_model_external, &o, error, sizeof error);
  EXPECT_EQ(s == INGOT_OK, m != nullptr);
  ingot_model_free(m);
  std::string message = error;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  if (s != INGOT_OK) {
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
  return {s, message};
}

TEST(RuntimeWeights, ExternalFileMatchesEmbedded) {
  std::string path = temp("good.weights");
  ASSERT_EQ(ingot_fake_write_weights(path.c_str()), 0);
  std::vector<int32_t> ids = prompt(9);
  Fake embedded(2), external(2, 0, &ingot_fake_model_external, path.c_str());
  ASSERT_NE(external.session, nullptr);
  EXPECT_EQ(embedded.prefillAll(ids), external.prefillAll(ids));
  std::remove(path.c_str());
}

TEST(RuntimeWeights, BadFilesGiveOneLine) {
  std::string good = temp("ref.weights");
  ASSERT_EQ(ingot_fake_write_weights(good.c_str()), 0);
  std::string bytes = readFile(good);
  ASSERT_EQ(bytes.size(), 64u + INGOT_FAKE_WEIGHTS_BYTES);

  auto missing = openExternal(temp("missing.weights"));
  EXPECT_EQ(missing.first, INGOT_ERROR_IO);
  EXPECT_NE(missing.second.find("No such file"), std::string::npos)
      << missing.second;
  // Without a path: looked up beside the test binary, then here.
  ingot_model *m = nullptr;
  char error[1024];
  EXPECT_EQ(ingot_model_open(&m, &ingot_fake_model_external, nullptr, error,
                             sizeof error),
            INGOT_ERROR_IO);
  EXPECT_NE(std::string(error).find("not found beside the executable"),
            std::string::npos)
      << error;

  struct Case {
    const char *name, *expect;
    std::string bytes;
  };
  std::string badMagic = bytes, otherModel = bytes, otherSize = bytes;
  badMagic[0] = 'X';
  otherModel[16] ^= 1; // model_id
  otherSize[8] ^= 1;   // weights_bytes
  std::vector<Case> cases = {
      {"truncated", "truncated", bytes.substr(0, bytes.size() - 1)},
      {"header-only", "truncated", bytes.substr(0, 64)},
      {"empty", "truncated", ""},
      {"padded", "too long", bytes + "x"},
      {"magic", "bad magic", badMagic},
      {"model", "another model", otherModel},
      {"size", "the model needs 256", otherSize},
  };
  for (const Case &c : cases) {
    std::string path = temp(std::string(c.name) + ".weights");
    writeFile(path, c.bytes);
    auto result = openExternal(path);
    EXPECT_EQ(result.first, INGOT_ERROR_IO) << c.name;
    EXPECT_NE(result.second.find(c.expect), std::string::npos)
        << c.name << ": " << result.second;
    std::remove(path.c_str());
  }
  // A directory is not a weights file.
  auto dir = openExternal(testing::TempDir());
  EXPECT_EQ(dir.first, INGOT_ERROR_IO);
  std::remove(good.c_str());
}

/// Opens `d` with the weights at `path`: the status and message.
std::pair<ingot_status, std::string>
openWith(const ingot_model_desc *d, const std::string &path, bool skip) {
  ingot_model_options o;
  ingot_model_options_default(&o);
  o.threads = 1;
  o.skip_weights_check = skip;
  o.weights_path = path.c_str();
  ingot_model *m = nullptr;
  char error[512] = "";
  ingot_status s = ingot_model_open(&m, d, &o, error, sizeof error);
  ingot_model_free(m);
  EXPECT_EQ(std::string(error).find('\n'), std::string::npos) << error;
  return {s, error};
}

// The hash is part of the file format: a change of the function would make
// every weights file written before it fail to open.
TEST(RuntimeWeights, HashIsStable) {
  std::vector<uint8_t> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = uint8_t(i * 7 + 3);
  EXPECT_EQ(ingot_weights_hash(bytes.data(), 0), 0x479b61508105b23aull);
  EXPECT_EQ(ingot_weights_hash(bytes.data(), 1000), 0x2ee246346b31e81full);
  // Every single-byte change, every length and the zeroed data differ.
  uint64_t good = ingot_weights_hash(bytes.data(), bytes.size());
  for (size_t i = 0; i < bytes.size(); i += 37) {
    bytes[i] ^= 0x10;
    EXPECT_NE(ingot_weights_hash(bytes.data(), bytes.size()), good) << i;
    bytes[i] ^= 0x10;
  }
  for (size_t n = 990; n < 1000; ++n)
    EXPECT_NE(ingot_weights_hash(bytes.data(), n), good) << n;
  std::vector<uint8_t> zeros(bytes.size());
  EXPECT_NE(ingot_weights_hash(zeros.data(), zeros.size()), good);
}

// The hash in parts (how ingotc hashes the blob as it writes it) equals
// the hash at once, wherever the whole stripes end.
TEST(RuntimeWeights, HashInPartsIsTheHash) {
  std::vector<uint8_t> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = uint8_t(i * 13 + 5);
  for (uint64_t n : {0u, 7u, 31u, 32u, 33u, 100u, 999u, 1000u}) {
    ingot_wh_state s;
    ingot_wh_init(&s);
    uint64_t stripes = n / 32, half = stripes / 2;
    ingot_wh_stripes(&s, bytes.data(), half);
    ingot_wh_stripes(&s, bytes.data() + half * 32, stripes - half);
    EXPECT_EQ(ingot_wh_finish(&s, bytes.data() + stripes * 32, n),
              ingot_weights_hash(bytes.data(), n))
        << n;
  }
}

// A weights file whose header is right but whose bytes changed is refused
// with one line naming the file, unless the caller opts out.
TEST(RuntimeWeights, ContentHashChecked) {
  std::string good = temp("hashed.weights");
  ASSERT_EQ(ingot_fake_write_weights(good.c_str()), 0);
  std::string bytes = readFile(good);
  ingot_model_desc d = ingot_fake_model_external;
  d.weights_hash = ingot_weights_hash(bytes.data() + 64, bytes.size() - 64);
  EXPECT_EQ(openWith(&d, good, false).first, INGOT_OK);

  std::string flipped = bytes, zeroed = bytes;
  flipped[64 + (bytes.size() - 64) / 2] ^= 1;
  std::fill(zeroed.begin() + 64, zeroed.end(), '\0');
  for (auto [name, content] :
       {std::pair<const char *, std::string>{"flipped", flipped},
        {"zeroed", zeroed}}) {
    std::string path = temp(std::string(name) + ".weights");
    writeFile(path, content);
    auto result = openWith(&d, path, false);
    EXPECT_EQ(result.first, INGOT_ERROR_IO) << name;
    EXPECT_NE(result.second.find(path), std::string::npos) << result.second;
    EXPECT_NE(result.second.find("contents changed since compilation"),
              std::string::npos)
        << result.second;
    // Opted out: by the option, and by the environment.
    EXPECT_EQ(openWith(&d, path, true).first, INGOT_OK) << name;
    setenv("INGOT_SKIP_WEIGHTS_CHECK", "1", 1);
    EXPECT_EQ(openWith(&d, path, false).first, INGOT_OK) << name;
    setenv("INGOT_SKIP_WEIGHTS_CHECK", "0", 1);
    EXPECT_EQ(openWith(&d, path, false).first, INGOT_ERROR_IO) << name;
    unsetenv("INGOT_SKIP_WEIGHTS_CHECK");
    std::remove(path.c_str());
  }
  // A descriptor without a hash (an older compiler) checks the header's.
  ingot_model_desc old = ingot_fake_model_external;
  std::string withHeader = flipped;
  uint64_t hash = d.weights_hash;
  std::memcpy(&withHeader[24], &hash, 8);
  std::string path = temp("header-hash.weights");
  writeFile(path, withHeader);
  EXPECT_EQ(openWith(&old, path, false).first, INGOT_ERROR_IO);
  writeFile(path, flipped); // no hash anywhere: nothing to check
  EXPECT_EQ(openWith(&old, path, false).first, INGOT_OK);
  std::remove(path.c_str());
  std::remove(good.c_str());
}

void trivialForward(const int32_t *, int64_t, int64_t, float *logits,
                    int64_t, uint8_t *, uint8_t *, int64_t, const uint8_t *,
                    ingot_uk_sync *, int32_t ith, int32_t) {
  if (ith == 0)
    logits[0] = 1.0f;
}

// Not a timed assertion: prints the per-step cost of the pool (publish, run
// an empty forward on every thread, wait) for the record.
TEST(RuntimePool, StepOverhead) {
  ingot_model_desc d = ingot_fake_model;
  d.forward = trivialForward;
  for (int threads : {1, 2}) {
    Fake r(threads, 0, &d);
    // At most 20000 steps or 0.5 s (a loaded machine is slow).
    auto start = std::chrono::steady_clock::now();
    double us = 0;
    int steps = 0;
    while (steps < 20000 && us < 5e5) {
      ingot_session_reset(r.session);
      ASSERT_EQ(ingot_session_decode(r.session, 1), INGOT_OK);
      ++steps;
      if (steps % 64 == 0)
        us = std::chrono::duration<double, std::micro>(
                 std::chrono::steady_clock::now() - start)
                 .count();
    }
    us = std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now() - start)
             .count() /
         steps;
    std::printf("pool step overhead, %d thread(s): %.2f us (%d steps)\n",
                threads, us, steps);
  }
}

} // namespace
