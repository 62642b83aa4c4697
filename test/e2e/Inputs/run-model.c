/* A tiny application of a model compiled with ingotc --emit=lib (or
 * --emit=obj + the runtime's sources) --name=e2e: opens it through its
 * header on 2 threads, runs the ids of argv[1] ("ID,ID,...") as one prefill
 * and those of argv[2] (optional) as decode steps, and prints the logits as
 * `ingot-run --print=all` does, then "# argmax: ID" of the last row. */
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t parse_ids(const char *text, int32_t *ids, size_t max) {
  size_t n = 0;
  for (const char *p = text; *p && n < max;) {
    char *end;
    ids[n++] = (int32_t)strtol(p, &end, 10);
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

static void print_row(const float *row, int32_t vocab) {
  for (int32_t i = 0; i < vocab; ++i)
    printf(i ? " %.6g" : "%.6g", (double)row[i]);
  putchar('\n');
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  int32_t prompt[64], decode[64];
  size_t n = parse_ids(argv[1], prompt, 64);
  size_t d = argc > 2 ? parse_ids(argv[2], decode, 64) : 0;
  ingot_model_options options;
  ingot_model_options_default(&options);
  options.threads = 2;
  ingot_model *model;
  ingot_session *session;
  char error[256];
  if (ingot_model_open(&model, &ingot_model_e2e, &options, error,
                       sizeof error) != INGOT_OK ||
      ingot_session_init(&session, model, 0, error, sizeof error) !=
          INGOT_OK) {
    fprintf(stderr, "run-model: %s\n", error);
    return 1;
  }
  int32_t vocab = ingot_model_vocab_size(model);
  float *logits = malloc(n * (size_t)vocab * sizeof(float));
  if (!logits ||
      ingot_session_prefill_all_logits(session, prompt, n, logits) !=
          INGOT_OK) {
    fprintf(stderr, "run-model: %s\n", ingot_session_error(session));
    return 1;
  }
  printf("# prefill: tokens ");
  for (size_t i = 0; i < n; ++i)
    printf("%s%d", i ? "," : "", (int)prompt[i]);
  printf(" at positions 0..%zu\n", n - 1);
  for (size_t r = 0; r < n; ++r)
    print_row(logits + r * (size_t)vocab, vocab);
  free(logits);
  for (size_t i = 0; i < d; ++i) {
    int32_t position = ingot_session_position(session);
    if (ingot_session_decode(session, decode[i]) != INGOT_OK) {
      fprintf(stderr, "run-model: %s\n", ingot_session_error(session));
      return 1;
    }
    printf("# decode: token %d at position %d\n", (int)decode[i],
           (int)position);
    print_row(ingot_session_logits(session), vocab);
  }
  const float *last = ingot_session_logits(session);
  int32_t best = 0;
  for (int32_t i = 1; i < vocab; ++i)
    if (last[i] > last[best])
      best = i;
  printf("# argmax: %d\n", (int)best);
  ingot_session_free(session);
  ingot_model_free(model);
  return 0;
}
