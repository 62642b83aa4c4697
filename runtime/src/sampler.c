/*===- sampler.c - Choosing the next token from logits --------------------===
 *
 * The steps and their order are in ingot.h. The PRNG is SplitMix64: small,
 * seedable, and the same on every platform.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime/include/ingot.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct candidate {
  float logit;
  int32_t id;
  double weight; /* exp(logit - max logit) */
} candidate;

struct ingot_sampler {
  ingot_sampler_params params;
  int32_t vocab_size;
  uint64_t state;
  candidate *candidates;
  float *penalized;
  int32_t *recent; /* ring of the last repetition_last_n accepted tokens */
  int32_t recent_count, recent_next;
};

static uint64_t next_u64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double next_uniform(uint64_t *state) {
  return (double)(next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
}

void ingot_sampler_params_default(ingot_sampler_params *p) {
  if (!p)
    return;
  p->temperature = 0.0f;
  p->top_k = 0;
  p->top_p = 1.0f;
  p->min_p = 0.0f;
  p->repetition_penalty = 1.0f;
  p->repetition_last_n = 64;
  p->seed = 0;
}

ingot_status ingot_sampler_init(ingot_sampler **out,
                                const ingot_sampler_params *params,
                                int32_t vocab_size) {
  if (!out)
    return INGOT_ERROR_INVALID_ARGUMENT;
  *out = NULL;
  if (!params || vocab_size <= 0 || !(params->repetition_penalty > 0.0f) ||
      params->repetition_last_n < 0 || isnan(params->temperature) ||
      isnan(params->top_p) || isnan(params->min_p))
    return INGOT_ERROR_INVALID_ARGUMENT;
  ingot_sampler *s = calloc(1, sizeof *s);
  if (!s)
    return INGOT_ERROR_OUT_OF_MEMORY;
  s->params = *params;
  s->vocab_size = vocab_size;
  s->candidates = malloc(sizeof(candidate) * (size_t)vocab_size);
  s->penalized = malloc(sizeof(float) * (size_t)vocab_size);
  s->recent = malloc(sizeof(int32_t) * (size_t)(params->repetition_last_n + 1));
  if (!s->candidates || !s->penalized || !s->recent) {
    ingot_sampler_free(s);
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  s->state = params->seed;
  *out = s;
  return INGOT_OK;
}

void ingot_sampler_free(ingot_sampler *s) {
  if (!s)
    return;
  free(s->candidates);
  free(s->penalized);
  free(s->recent);
  free(s);
}

void ingot_sampler_reset(ingot_sampler *s, uint64_t seed) {
  if (!s)
    return;
  s->state = seed;
  s->recent_count = s->recent_next = 0;
}

void ingot_sampler_accept(ingot_sampler *s, int32_t id) {
  if (!s || s->params.repetition_last_n == 0)
    return;
  s->recent[s->recent_next] = id;
  s->recent_next = (s->recent_next + 1) % s->params.repetition_last_n;
  if (s->recent_count < s->params.repetition_last_n)
    ++s->recent_count;
}

/* Descending logit, then ascending id: a total order, so results do not
 * depend on the sort's stability. */
static int by_logit(const void *a, const void *b) {
  const candidate *x = a, *y = b;
  if (x->logit != y->logit)
    return x->logit > y->logit ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* Moves the m best candidates (by_logit) to the front, sorted. */
static void select_top(candidate *c, int32_t count, int32_t m) {
  int32_t lo = 0, hi = count - 1, k = m - 1;
  while (lo < hi) { /* Hoare quickselect of position k */
    candidate pivot = c[lo + (hi - lo) / 2];
    int32_t i = lo, j = hi;
    while (i <= j) {
      while (by_logit(&c[i], &pivot) < 0)
        ++i;
      while (by_logit(&pivot, &c[j]) < 0)
        --j;
      if (i <= j) {
        candidate t = c[i];
        c[i++] = c[j];
        c[j--] = t;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      break;
  }
  qsort(c, (size_t)m, sizeof *c, by_logit);
}

int32_t ingot_sampler_sample(ingot_sampler *s, const float *logits) {
  if (!s || !logits)
    return -1;
  int32_t n = s->vocab_size;
  const ingot_sampler_params *p = &s->params;

  float *l = s->penalized;
  memcpy(l, logits, sizeof(float) * (size_t)n);
  if (p->repetition_penalty != 1.0f)
    for (int32_t i = 0; i < s->recent_count; ++i) {
      int32_t id = s->recent[i];
      if (id < 0 || id >= n)
        continue;
      bool seen = false; /* penalize each token once */
      for (int32_t j = 0; j < i && !seen; ++j)
        seen = s->recent[j] == id;
      if (!seen)
        l[id] = l[id] > 0 ? l[id] / p->repetition_penalty
                          : l[id] * p->repetition_penalty;
    }

  if (!(p->temperature > 0.0f)) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
      if (l[i] > l[best] || (isnan(l[best]) && !isnan(l[i])))
        best = i;
    return best;
  }

  candidate *c = s->candidates;
  int32_t count = 0;
  for (int32_t i = 0; i < n; ++i)
    if (!isnan(l[i]))
      c[count++] = (candidate){l[i] / p->temperature, i, 0.0};
  if (count == 0)
    return 0;
  double max = c[0].logit;
  for (int32_t i = 1; i < count; ++i)
    if (c[i].logit > max)
      max = c[i].logit;
  for (int32_t i = 0; i < count; ++i)
    c[i].weight = exp((double)c[i].logit - max);

  int32_t sorted = 0; /* c[0, sorted) are the best, in order */
  if (p->top_k > 0 && p->top_k < count) {
    select_top(c, count, p->top_k);
    count = sorted = p->top_k;
  }
  double sum = 0;
  for (int32_t i = 0; i < count; ++i)
    sum += c[i].weight;

  /* Without top-k only a prefix is sorted: the smallest of 64, 256, ... that
   * holds the top-p or min-p cut. Plain temperature needs no order. */
  bool cut = p->top_p < 1.0f || p->min_p > 0.0f;
  double min_weight = p->min_p > 0.0f ? (double)p->min_p : 0.0;
  for (int64_t need = 64; cut && sorted < count; need *= 4) {
    sorted = need < count ? (int32_t)need : count;
    select_top(c, count, sorted);
    double mass = 0;
    for (int32_t i = 0; i < sorted; ++i)
      mass += c[i].weight / sum;
    if (p->top_p < 1.0f ? mass >= p->top_p
                        : c[sorted - 1].weight < min_weight)
      break;
  }
  if (cut && sorted < count)
    count = sorted; /* the cut is inside the sorted prefix */

  if (p->top_p < 1.0f) {
    double cumulative = 0;
    for (int32_t i = 0; i < count; ++i) {
      cumulative += c[i].weight / sum;
      if (cumulative >= p->top_p) {
        count = i + 1;
        break;
      }
    }
  }
  if (p->min_p > 0.0f) {
    /* p_i >= min_p * p_max  <=>  weight_i >= min_p (the best has weight 1) */
    int32_t kept = 1;
    while (kept < count && c[kept].weight >= min_weight)
      ++kept;
    count = kept;
  }

  sum = 0;
  for (int32_t i = 0; i < count; ++i)
    sum += c[i].weight;
  double r = next_uniform(&s->state) * sum;
  for (int32_t i = 0; i < count; ++i) {
    r -= c[i].weight;
    if (r < 0)
      return c[i].id;
  }
  return c[count - 1].id;
}
