/* generate PROMPT [N]: greedy text generation with a model linked through
 * ingot_add_model (app_model.h). Prints the prompt's token ids, the N
 * generated ids (default 8) and their text:
 *
 *   prompt: 0,298,281
 *   generated: 101,263,...
 *   text: ...
 */
#include "app_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *message) {
  fprintf(stderr, "generate: %s: %s\n", what, message);
  return 1;
}

static void print_ids(const char *label, const int32_t *ids, size_t n) {
  printf("%s:", label);
  for (size_t i = 0; i < n; ++i)
    printf(i ? ",%d" : " %d", ids[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: generate PROMPT [N]\n");
    return 2;
  }
  const char *prompt = argv[1];
  int n = argc > 2 ? atoi(argv[2]) : 8;
  if (n < 1 || n > 64)
    return fail("N", "expected 1 to 64");

  char error[512];
  ingot_model *model;
  if (ingot_model_open(&model, &ingot_model_app_model, NULL, error,
                       sizeof error) != INGOT_OK)
    return fail("model", error);
  const ingot_tokenizer *tokenizer = ingot_model_tokenizer(model);
  if (!tokenizer)
    return fail("model", "the model has no tokenizer");

  /* The prompt's ids, BOS first when the tokenizer asks for it. */
  int32_t ids[256];
  size_t count;
  uint32_t flags = ingot_tokenizer_adds_bos(tokenizer) ? INGOT_ENCODE_ADD_BOS
                                                       : 0;
  ingot_status status = ingot_tokenizer_encode(
      tokenizer, prompt, strlen(prompt), flags, ids, 256 - 64, &count);
  if (status != INGOT_OK)
    return fail("prompt", ingot_status_string(status));
  print_ids("prompt", ids, count);

  ingot_session *session;
  if (ingot_session_init(&session, model, 0, error, sizeof error) !=
      INGOT_OK)
    return fail("session", error);
  ingot_sampler_params params;
  ingot_sampler_params_default(&params); /* greedy */
  ingot_sampler *sampler;
  if (ingot_sampler_init(&sampler, &params, ingot_model_vocab_size(model)) !=
      INGOT_OK)
    return fail("sampler", "cannot create it");

  /* Prefill the prompt, then pick and feed one token at a time. */
  int32_t *generated = ids + count;
  status = ingot_session_prefill(session, ids, count);
  for (int i = 0; status == INGOT_OK && i < n; ++i) {
    generated[i] = ingot_sampler_sample(sampler, ingot_session_logits(session));
    ingot_sampler_accept(sampler, generated[i]);
    if (i + 1 < n)
      status = ingot_session_decode(session, generated[i]);
  }
  if (status != INGOT_OK)
    return fail("generate", ingot_session_error(session));
  print_ids("generated", generated, (size_t)n);

  char text[1024];
  size_t size;
  if (ingot_tokenizer_decode(tokenizer, generated, (size_t)n, text,
                             sizeof text, &size) != INGOT_OK)
    return fail("decode", "cannot decode the generated ids");
  printf("text: %.*s\n", (int)size, text);

  ingot_sampler_free(sampler);
  ingot_session_free(session);
  ingot_model_free(model);
  return 0;
}
