// ingot-logits: llama.cpp's logits for a prefill and teacher-forced decode
// steps, for Ingot's goldens. Built by bench/llama-cpp/build.sh inside
// llama.cpp's CMake tree (it is not part of Ingot's build).
//
//   ingot-logits MODEL.gguf KV THREADS OUT.bin PROMPT_IDS [DECODE_IDS]
//
// PROMPT_IDS and DECODE_IDS are comma-separated token ids. The prompt is
// decoded as one batch, then each decode id one at a time (as a compiled
// model's `--tokens=... --decode=...` does). OUT.bin receives float32 rows
// of n_vocab logits: the last prompt position's, then one per decode id
// (the logits after feeding it): 1 + len(DECODE_IDS) rows, the rows of
// `--print-logits=last`. Only the last position's logits are requested at
// each step, so llama.cpp runs its one-row output path as it does when
// generating. KV is "default" (llama.cpp's defaults: f16 cache, flash
// attention) or "f32" (f32 cache, no flash attention).
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void quietLog(ggml_log_level level, const char *text, void *) {
  if (level == GGML_LOG_LEVEL_ERROR)
    std::fputs(text, stderr);
}

int fail(const std::string &msg) {
  std::fprintf(stderr, "ingot-logits: error: %s\n", msg.c_str());
  return 1;
}

bool parseIds(const char *text, std::vector<llama_token> &ids) {
  std::string s(text);
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    std::string word = s.substr(
        at, comma == std::string::npos ? std::string::npos : comma - at);
    char *end = nullptr;
    long v = std::strtol(word.c_str(), &end, 10);
    if (word.empty() || *end != '\0' || v < 0)
      return false;
    ids.push_back((llama_token)v);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return !ids.empty();
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7)
    return fail("usage: ingot-logits MODEL.gguf default|f32 THREADS OUT.bin "
                "PROMPT_IDS [DECODE_IDS]");
  std::string kv = argv[2];
  if (kv != "default" && kv != "f32")
    return fail("KV must be default or f32, got '" + kv + "'");
  int nThreads = std::atoi(argv[3]);
  if (nThreads <= 0)
    return fail("THREADS must be a positive integer");
  std::vector<llama_token> prompt, decode;
  if (!parseIds(argv[5], prompt))
    return fail(std::string("bad PROMPT_IDS '") + argv[5] + "'");
  if (argc == 7 && !parseIds(argv[6], decode))
    return fail(std::string("bad DECODE_IDS '") + argv[6] + "'");

  llama_log_set(quietLog, nullptr);
  ggml_backend_load_all();
  llama_backend_init();
  llama_model_params mparams = llama_model_default_params();
  mparams.n_gpu_layers = 0;
  llama_model *model = llama_model_load_from_file(argv[1], mparams);
  if (!model)
    return fail(std::string("cannot load model '") + argv[1] + "'");
  const int nVocab = llama_vocab_n_tokens(llama_model_get_vocab(model));

  llama_context_params cparams = llama_context_default_params();
  int total = (int)(prompt.size() + decode.size());
  cparams.n_ctx = total + 8;
  cparams.n_batch = total + 8;
  cparams.n_threads = nThreads;
  cparams.n_threads_batch = nThreads;
  cparams.no_perf = true;
  if (kv == "f32") {
    cparams.type_k = GGML_TYPE_F32;
    cparams.type_v = GGML_TYPE_F32;
    cparams.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  }
  llama_context *ctx = llama_init_from_model(model, cparams);
  if (!ctx)
    return fail("cannot create context");

  FILE *out = std::fopen(argv[4], "wb");
  if (!out)
    return fail(std::string("cannot write '") + argv[4] + "'");
  int status = 0;
  std::vector<std::vector<llama_token>> steps{prompt};
  for (llama_token t : decode)
    steps.push_back({t});
  for (auto &step : steps) {
    llama_batch batch = llama_batch_get_one(step.data(), (int)step.size());
    if (llama_decode(ctx, batch) != 0) {
      status = fail("llama_decode failed");
      break;
    }
    const float *logits = llama_get_logits_ith(ctx, -1);
    if (std::fwrite(logits, sizeof(float), nVocab, out) != (size_t)nVocab) {
      status = fail("write failed");
      break;
    }
  }
  if (std::fclose(out) != 0 && status == 0)
    status = fail("write failed");
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return status;
}
