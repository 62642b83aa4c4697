// ingot-greedy: greedy decoding with llama.cpp, printing token ids, for
// Ingot's goldens. Built by bench/llama-cpp/build.sh inside llama.cpp's CMake
// tree (it is not part of Ingot's build).
//
//   ingot-greedy MODEL.gguf N_GEN THREADS [KV [PROMPT]] < prompts.txt
//
// KV is the cache precision: "default" (llama.cpp's defaults: f16 keys and
// values, flash attention where supported, which on the CPU also rounds the
// queries to f16 and accumulates values in f16) or "f32" (f32 keys and
// values, no flash attention: attention in f32, as Ingot's default cache).
// PROMPT is how the prompt is fed: "batch" (default: one llama_decode call
// for the whole prompt) or "single" (one call per prompt token). The two
// compute the same function in a different floating-point order, which is
// how bench/check-greedy.sh measures llama.cpp's agreement with itself.
//
// Reads one prompt per line from stdin. For each prompt, with a fresh context,
// it tokenizes the prompt with llama.cpp's tokenizer (add_special=true,
// parse_special=false), decodes the prompt as one batch, then takes the arg max
// of the logits (lowest id on ties) N_GEN times, feeding each token back. It
// does not stop at end-of-generation tokens. Output, four lines per prompt:
//   prompt<TAB>id id ...
//   gen<TAB>id id ...
//   hex<TAB>HEX HEX ...   (each generated token's bytes, hex; "-" if empty)
//   margin<TAB>M M ...    (per step: top logit minus the runner-up's)
#include "llama.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

void quietLog(ggml_log_level level, const char *text, void *) {
  if (level == GGML_LOG_LEVEL_ERROR)
    std::fputs(text, stderr);
}

int fail(const std::string &msg) {
  std::fprintf(stderr, "ingot-greedy: error: %s\n", msg.c_str());
  return 1;
}

std::string toHex(const std::string &bytes) {
  static const char *digits = "0123456789abcdef";
  if (bytes.empty())
    return "-";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 4 || argc > 6)
    return fail("usage: ingot-greedy MODEL.gguf N_GEN THREADS [default|f32 "
                "[batch|single]] < prompts");
  std::string kv = argc >= 5 ? argv[4] : "default";
  if (kv != "default" && kv != "f32")
    return fail("KV must be default or f32, got '" + kv + "'");
  std::string feedMode = argc == 6 ? argv[5] : "batch";
  if (feedMode != "batch" && feedMode != "single")
    return fail("PROMPT must be batch or single, got '" + feedMode + "'");
  const char *modelPath = argv[1];
  int nGen = std::atoi(argv[2]);
  int nThreads = std::atoi(argv[3]);
  if (nGen <= 0 || nThreads <= 0)
    return fail("N_GEN and THREADS must be positive integers");

  llama_log_set(quietLog, nullptr);
  ggml_backend_load_all();
  llama_backend_init();

  llama_model_params mparams = llama_model_default_params();
  mparams.n_gpu_layers = 0;
  mparams.progress_callback = [](float, void *) { return true; };
  llama_model *model = llama_model_load_from_file(modelPath, mparams);
  if (!model)
    return fail(std::string("cannot load model '") + modelPath + "'");
  const llama_vocab *vocab = llama_model_get_vocab(model);
  const int nVocab = llama_vocab_n_tokens(vocab);

  std::string prompt;
  int status = 0;
  while (status == 0 && std::getline(std::cin, prompt)) {
    if (prompt.empty())
      continue;
    int n = -llama_tokenize(vocab, prompt.data(), (int)prompt.size(), nullptr,
                            0, /*add_special=*/true, /*parse_special=*/false);
    std::vector<llama_token> tokens(n);
    if (llama_tokenize(vocab, prompt.data(), (int)prompt.size(), tokens.data(),
                       n, true, false) != n) {
      status = fail("tokenization failed");
      break;
    }

    llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = n + nGen + 8;
    cparams.n_batch = n + nGen + 8;
    cparams.n_threads = nThreads;
    cparams.n_threads_batch = nThreads;
    cparams.no_perf = true;
    if (kv == "f32") {
      cparams.type_k = GGML_TYPE_F32;
      cparams.type_v = GGML_TYPE_F32;
      cparams.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    }
    llama_context *ctx = llama_init_from_model(model, cparams);
    if (!ctx) {
      status = fail("cannot create context");
      break;
    }

    std::vector<llama_token> gen;
    std::vector<std::string> pieces;
    std::vector<float> margins;
    std::vector<llama_token> feed = tokens;
    for (int step = 0; step < nGen; ++step) {
      bool failed = false;
      size_t chunk = feedMode == "single" ? 1 : feed.size();
      for (size_t at = 0; at < feed.size() && !failed; at += chunk) {
        llama_batch batch = llama_batch_get_one(feed.data() + at, (int)chunk);
        failed = llama_decode(ctx, batch) != 0;
      }
      if (failed) {
        status = fail("llama_decode failed");
        break;
      }
      const float *logits = llama_get_logits_ith(ctx, -1);
      llama_token best = 0;
      for (llama_token t = 1; t < nVocab; ++t)
        if (logits[t] > logits[best])
          best = t;
      float second = -INFINITY;
      for (llama_token t = 0; t < nVocab; ++t)
        if (t != best && logits[t] > second)
          second = logits[t];
      margins.push_back(logits[best] - second);
      char buf[256];
      int len = llama_token_to_piece(vocab, best, buf, sizeof(buf), 0,
                                     /*special=*/true);
      if (len < 0) {
        status = fail("token piece too long");
        break;
      }
      gen.push_back(best);
      pieces.emplace_back(buf, len);
      feed.assign(1, best);
    }
    llama_free(ctx);
    if (status != 0)
      break;

    std::string line = "prompt\t";
    for (size_t i = 0; i < tokens.size(); ++i)
      line += (i ? " " : "") + std::to_string(tokens[i]);
    line += "\ngen\t";
    for (size_t i = 0; i < gen.size(); ++i)
      line += (i ? " " : "") + std::to_string(gen[i]);
    line += "\nhex\t";
    for (size_t i = 0; i < pieces.size(); ++i)
      line += (i ? " " : "") + toHex(pieces[i]);
    line += "\nmargin\t";
    for (size_t i = 0; i < margins.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%s%.4f", i ? " " : "", margins[i]);
      line += buf;
    }
    std::cout << line << "\n" << std::flush;
  }

  llama_model_free(model);
  llama_backend_free();
  return status;
}
