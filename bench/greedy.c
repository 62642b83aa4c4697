/*===- bench/greedy.c - greedy decoding from prompt token ids -------------===*
 *
 * A small driver for bench/check-greedy.sh, linked with a model compiled by
 * `ingotc MODEL --emit=lib --name=bench` (which carries the runtime):
 *
 *   greedy N THREADS < cases
 *
 * Each line of stdin is "PROMPT_IDS ; EXPECTED_IDS" (space-separated token
 * ids). The prompt is prefilled as one batch, then N tokens are generated
 * greedily (arg max of the last logits, the lowest id on ties, as llama.cpp's
 * ingot-greedy does), each fed back one at a time. For each line one line
 * is printed: per generated token "ID:LOGIT:EXPECTED_LOGIT", the logit of the
 * token chosen and that of the expected token at the same position (when
 * there is one), so that a divergence comes with its margin.
 *
 *===----------------------------------------------------------------------===*/

#include "bench.h"
#include "ingot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what) {
  fprintf(stderr, "greedy: error: %s\n", what);
  exit(1);
}

static size_t parse_ids(char *text, int32_t *ids, size_t capacity) {
  size_t n = 0;
  for (char *tok = strtok(text, " \t\r\n"); tok;
       tok = strtok(NULL, " \t\r\n")) {
    if (n == capacity)
      die("too many token ids on a line");
    ids[n++] = (int32_t)strtol(tok, NULL, 10);
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc != 3)
    die("usage: greedy N THREADS < cases");
  int n_new = atoi(argv[1]);
  ingot_model_options o;
  ingot_model_options_default(&o);
  o.threads = atoi(argv[2]);
  char error[512];
  ingot_model *m;
  if (ingot_model_open(&m, &ingot_model_bench, &o, error, sizeof error))
    die(error);
  ingot_session *s;
  if (ingot_session_init(&s, m, 0, error, sizeof error))
    die(error);
  int32_t vocab = ingot_model_vocab_size(m);
  static char line[1 << 16];
  static int32_t prompt[4096], expected[4096];
  while (fgets(line, sizeof line, stdin)) {
    char *semi = strchr(line, ';');
    size_t n_expected = 0;
    if (semi) {
      *semi = 0;
      n_expected = parse_ids(semi + 1, expected, 4096);
    }
    size_t n_prompt = parse_ids(line, prompt, 4096);
    if (n_prompt == 0)
      continue;
    ingot_session_reset(s);
    if (ingot_session_prefill(s, prompt, n_prompt))
      die(ingot_session_error(s));
    for (int i = 0; i < n_new; ++i) {
      const float *logits = ingot_session_logits(s);
      int32_t best = 0;
      for (int32_t v = 1; v < vocab; ++v)
        if (logits[v] > logits[best])
          best = v;
      printf("%s%d:%.6g", i ? " " : "", (int)best, logits[best]);
      if ((size_t)i < n_expected && expected[i] >= 0 && expected[i] < vocab)
        printf(":%.6g", logits[expected[i]]);
      if (ingot_session_decode(s, best))
        die(ingot_session_error(s));
    }
    printf("\n");
    fflush(stdout);
  }
  ingot_session_free(s);
  ingot_model_free(m);
  return 0;
}
