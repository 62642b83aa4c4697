/*===- uk_moe.c - Routing and the sparse expert dataflow ------------------===
 *
 * ingot.route and ingot.moe_sort (thread 0 only), gather_rows and
 * scatter_add. Routing scores are computed in double exactly as the
 * reference evaluator does, so the chosen experts and weights agree.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

/* Whether score a (expert ia) ranks before b (expert ib): larger first, NaN
 * above everything, ties to the lower index. */
static inline int uk_ranks_before(double a, int64_t ia, double b, int64_t ib) {
  int an = __builtin_isnan(a), bn = __builtin_isnan(b);
  if (an != bn)
    return an;
  if (!an && a != b)
    return a > b;
  return ia < ib;
}

typedef struct {
  const float *row;
  int32_t scoring;
  double maximum, sum;
} uk_scores;

static inline double uk_score(const uk_scores *s, int64_t e) {
  if (s->scoring == INGOT_SCORE_SOFTMAX)
    return __builtin_exp((double)s->row[e] - s->maximum) / s->sum;
  return 1.0 / (1.0 + __builtin_exp(-(double)s->row[e]));
}

void ingot_uk_route(int32_t *offsets, int32_t *experts, float *weights,
                    const float *logits, int64_t n, int64_t E, int32_t rule,
                    int32_t k, float p, int32_t max, int32_t scoring,
                    int32_t renormalize, int32_t ith, int32_t nth) {
  (void)nth;
  if (ith != 0)
    return;
  int64_t out = 0;
  offsets[0] = 0;
  double value = (double)p;
  for (int64_t t = 0; t < n; ++t) {
    uk_scores s = {logits + t * E, scoring, -__builtin_inff(), 0.0};
    if (scoring == INGOT_SCORE_SOFTMAX) {
      for (int64_t e = 0; e < E; ++e)
        s.maximum = s.maximum > (double)s.row[e] ? s.maximum : (double)s.row[e];
      for (int64_t e = 0; e < E; ++e)
        s.sum += __builtin_exp((double)s.row[e] - s.maximum);
    }
    int64_t limit = rule == INGOT_ROUTE_TOP_K ? k : (max > 0 ? max : E);
    if (limit > E)
      limit = E;
    /* Select experts in rank order: each pick is the best of those ranking
     * after the previous pick. */
    int64_t count = 0, prev = -1;
    double prevScore = 0.0, mass = 0.0;
    while (count < limit) {
      int64_t best = -1;
      double bestScore = 0.0;
      for (int64_t e = 0; e < E; ++e) {
        double v = uk_score(&s, e);
        if (prev >= 0 && !uk_ranks_before(prevScore, prev, v, e))
          continue;
        if (best < 0 || uk_ranks_before(v, e, bestScore, best)) {
          best = e;
          bestScore = v;
        }
      }
      if (best < 0)
        break;
      if (rule == INGOT_ROUTE_THRESHOLD && !(bestScore >= value) && count > 0)
        break;
      experts[out + count] = (int32_t)best;
      weights[out + count] = (float)bestScore;
      ++count;
      prev = best;
      prevScore = bestScore;
      if (rule == INGOT_ROUTE_THRESHOLD && !(bestScore >= value))
        break; /* the one expert every token keeps */
      if (rule == INGOT_ROUTE_TOP_P) {
        mass += bestScore;
        if (mass >= value)
          break;
      }
    }
    if (renormalize) {
      double total = 0.0;
      for (int64_t i = 0; i < count; ++i)
        total += uk_score(&s, experts[out + i]);
      for (int64_t i = 0; i < count; ++i)
        weights[out + i] = (float)(uk_score(&s, experts[out + i]) / total);
    }
    out += count;
    offsets[t + 1] = (int32_t)out;
  }
}

void ingot_uk_moe_sort(int32_t *expert_offsets, int32_t *pairs,
                       int32_t *tokens, const int32_t *offsets,
                       const int32_t *experts, int64_t n, int64_t E,
                       int32_t ith, int32_t nth) {
  (void)nth;
  if (ith != 0)
    return;
  for (int64_t e = 0; e <= E; ++e)
    expert_offsets[e] = 0;
  int64_t total = offsets[n];
  for (int64_t i = 0; i < total; ++i)
    ++expert_offsets[experts[i] + 1];
  /* expert_offsets[e + 1] becomes the start of expert e, then its running
   * slot, which ends as the start of expert e + 1. */
  int32_t run = 0;
  for (int64_t e = 0; e < E; ++e) {
    int32_t c = expert_offsets[e + 1];
    expert_offsets[e + 1] = run;
    run += c;
  }
  for (int64_t t = 0; t < n; ++t)
    for (int32_t i = offsets[t]; i < offsets[t + 1]; ++i) {
      int32_t slot = expert_offsets[experts[i] + 1]++;
      pairs[slot] = i;
      tokens[slot] = (int32_t)t;
    }
}

void ingot_uk_gather_rows(float *y, const float *x, const int32_t *idx,
                          int64_t count, int64_t D, int32_t ith, int32_t nth) {
  int64_t i0, i1;
  uk_split(count, ith, nth, &i0, &i1);
  for (int64_t i = i0; i < i1; ++i)
    __builtin_memcpy(y + i * D, x + (int64_t)idx[i] * D, (size_t)D * sizeof(float));
}

void ingot_uk_scatter_add(float *y, const float *x, const int32_t *idx,
                          const float *scale, int64_t count, int64_t n,
                          int64_t D, int32_t ith, int32_t nth) {
  int64_t r0, r1;
  uk_split(n, ith, nth, &r0, &r1);
  if (r0 >= r1)
    return;
  __builtin_memset(y + r0 * D, 0, (size_t)(r1 - r0) * (size_t)D * sizeof(float));
  for (int64_t i = 0; i < count; ++i) {
    int64_t r = idx[i];
    if (r < r0 || r >= r1)
      continue;
    float s = scale ? scale[i] : 1.0f;
    float *yr = y + r * D;
    const float *xr = x + i * D;
    for (int64_t d = 0; d < D; ++d)
      yr[d] += s * xr[d];
  }
}
