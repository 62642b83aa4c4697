/*===- uk_attention.c - Attention over a KV cache, every cache encoding ---===
 *
 * Entry layouts (one token, one head, D elements; B = min(32, D)):
 *   f32 / f16 / bf16: D values.
 *   q8: per block of B, [f16 scale s][B int8 q], x = q·s.
 *   q4: per block of B, [f16 scale s][B/2 bytes of q + 8, element 2i in the
 *       low nibble], x = q·s, q in [-7, 7].
 *   tq4: [f16 norm][D/2 bytes of codebook indices, low nibble first].
 *   tq3: [f16 norm][(3D + 7)/8 bytes of 3-bit indices, LSB first].
 * Encoding follows compiler/reference roundTripKVVector in double, so the
 * stored values equal the reference evaluator's round trip bit for bit.
 *
 * Scratch: the first nth·(4D + 64) floats hold per-thread vectors; after
 * them thread ith's scores take start + n floats at ith·(start + n). That
 * is within nth·INGOT_UK_ATTENTION_SCRATCH_FLOATS(ctx, D).
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

static inline int64_t uk_kv_block(int64_t D) { return D < 32 ? D : 32; }

int64_t ingot_uk_kv_entry_bytes(int32_t kfmt, int64_t D) {
  switch (kfmt) {
  case INGOT_KV_F32:
    return 4 * D;
  case INGOT_KV_F16:
  case INGOT_KV_BF16:
    return 2 * D;
  case INGOT_KV_Q8:
    return D + 2 * (D / uk_kv_block(D));
  case INGOT_KV_Q4:
    return (4 * D + 7) / 8 + 2 * (D / uk_kv_block(D));
  case INGOT_KV_TQ4:
    return (4 * D + 7) / 8 + 2;
  case INGOT_KV_TQ3:
    return (3 * D + 7) / 8 + 2;
  }
  return 0;
}

/* The index of the level nearest to u (first of equals), as the reference
 * searches it. */
static inline unsigned uk_nearest_level(double u, const float *book, int L) {
  unsigned best = 0;
  for (int i = 1; i < L; ++i)
    if (__builtin_fabs(u - (double)book[i]) < __builtin_fabs(u - (double)book[best]))
      best = (unsigned)i;
  return best;
}

/* Stores the head vector x[D] as one entry of `fmt`. */
static void uk_kv_store(int32_t fmt, const float *book, const float *x,
                        int64_t D, uint8_t *dst) {
  UK_NO_CONTRACT
  switch (fmt) {
  case INGOT_KV_F32:
    __builtin_memcpy(dst, x, (size_t)D * 4);
    return;
  case INGOT_KV_F16:
    for (int64_t i = 0; i < D; ++i) {
      uint16_t h = uk_float_to_half(x[i]);
      __builtin_memcpy(dst + 2 * i, &h, 2);
    }
    return;
  case INGOT_KV_BF16:
    for (int64_t i = 0; i < D; ++i) {
      uint16_t h = uk_float_to_bf16(x[i]);
      __builtin_memcpy(dst + 2 * i, &h, 2);
    }
    return;
  case INGOT_KV_Q8:
  case INGOT_KV_Q4: {
    int eight = fmt == INGOT_KV_Q8;
    double maxLevel = eight ? 127.0 : 7.0;
    int64_t B = uk_kv_block(D);
    for (int64_t b0 = 0; b0 < D; b0 += B) {
      double maxAbs = 0.0;
      for (int64_t i = 0; i < B; ++i) {
        double a = __builtin_fabs((double)x[b0 + i]);
        if (maxAbs < a) /* std::max: a NaN never replaces the maximum */
          maxAbs = a;
      }
      uint16_t sh = uk_double_to_half_up(maxAbs / maxLevel);
      double scale = (double)uk_half_to_float(sh);
      int ok = scale != 0.0 && __builtin_isfinite(scale);
      if (!ok)
        sh = 0;
      __builtin_memcpy(dst, &sh, 2);
      uint8_t *codes = dst + 2;
      for (int64_t i = 0; i < B; ++i) {
        int q = 0;
        if (ok) {
          double r = __builtin_nearbyint((double)x[b0 + i] / scale);
          r = r < -maxLevel ? -maxLevel : (r > maxLevel ? maxLevel : r);
          q = (int)r;
        }
        if (eight)
          codes[i] = (uint8_t)(int8_t)q;
        else if (i & 1)
          codes[i / 2] = (uint8_t)(codes[i / 2] | ((q + 8) << 4));
        else
          codes[i / 2] = (uint8_t)(q + 8);
      }
      dst += 2 + (eight ? B : B / 2);
    }
    return;
  }
  case INGOT_KV_TQ4:
  case INGOT_KV_TQ3: {
    int L = fmt == INGOT_KV_TQ4 ? 16 : 8;
    int bits = fmt == INGOT_KV_TQ4 ? 4 : 3;
    double sumSquares = 0.0;
    for (int64_t i = 0; i < D; ++i)
      sumSquares += (double)x[i] * x[i];
    double norm = __builtin_sqrt(sumSquares);
    uint16_t nh = norm == 0.0 ? 0 : uk_double_to_half(norm);
    __builtin_memcpy(dst, &nh, 2);
    uint8_t *codes = dst + 2;
    __builtin_memset(codes, 0, (size_t)((bits * D + 7) / 8));
    for (int64_t i = 0; i < D; ++i) {
      unsigned idx = norm == 0.0 ? 0 : uk_nearest_level((double)x[i] / norm, book, L);
      int64_t bit = i * bits;
      codes[bit / 8] |= (uint8_t)(idx << (bit % 8));
      if (bit % 8 + bits > 8)
        codes[bit / 8 + 1] |= (uint8_t)(idx >> (8 - bit % 8));
    }
    return;
  }
  }
}

/* Loads one entry of `fmt` into out[D]. */
static inline void uk_kv_load(int32_t fmt, const float *book,
                              const uint8_t *src, int64_t D, float *out) {
  switch (fmt) {
  case INGOT_KV_F32:
    __builtin_memcpy(out, src, (size_t)D * 4);
    return;
  case INGOT_KV_F16:
    for (int64_t i = 0; i < D; ++i)
      out[i] = uk_half_to_float(uk_rd16(src + 2 * i));
    return;
  case INGOT_KV_BF16:
    for (int64_t i = 0; i < D; ++i)
      out[i] = uk_bf16_to_float(uk_rd16(src + 2 * i));
    return;
  case INGOT_KV_Q8: {
    int64_t B = uk_kv_block(D);
    for (int64_t b0 = 0; b0 < D; b0 += B) {
      float s = uk_half_to_float(uk_rd16(src));
      const int8_t *q = (const int8_t *)(src + 2);
      for (int64_t i = 0; i < B; ++i)
        out[b0 + i] = (float)q[i] * s;
      src += 2 + B;
    }
    return;
  }
  case INGOT_KV_Q4: {
    int64_t B = uk_kv_block(D);
    for (int64_t b0 = 0; b0 < D; b0 += B) {
      float s = uk_half_to_float(uk_rd16(src));
      const uint8_t *q = src + 2;
      for (int64_t i = 0; i < B; i += 2) {
        out[b0 + i] = (float)((int)(q[i / 2] & 0xf) - 8) * s;
        out[b0 + i + 1] = (float)((int)(q[i / 2] >> 4) - 8) * s;
      }
      src += 2 + B / 2;
    }
    return;
  }
  case INGOT_KV_TQ4: {
    float norm = uk_half_to_float(uk_rd16(src));
    const uint8_t *q = src + 2;
    for (int64_t i = 0; i < D; i += 2) {
      out[i] = norm * book[q[i / 2] & 0xf];
      if (i + 1 < D)
        out[i + 1] = norm * book[q[i / 2] >> 4];
    }
    return;
  }
  case INGOT_KV_TQ3: {
    float norm = uk_half_to_float(uk_rd16(src));
    const uint8_t *q = src + 2;
    for (int64_t i = 0; i < D; ++i) {
      int64_t bit = 3 * i;
      unsigned v = q[bit / 8] >> (bit % 8);
      if (bit % 8 > 5)
        v |= (unsigned)q[bit / 8 + 1] << (8 - bit % 8);
      out[i] = norm * book[v & 7];
    }
    return;
  }
  }
}

static inline float uk_dot(const float *a, const float *b, int64_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      s[j] += a[i + j] * b[i + j];
  for (; i < n; ++i)
    s[i & 7] += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

#if UK_AVX2
static inline float uk_hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* q · (an f32 or f16 cache entry) with FMA. */
static inline float uk_dot_entry(const float *q, const uint8_t *entry,
                                 int f16, int64_t D) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t d = 0;
  for (; d + 16 <= D; d += 16) {
    __m256 k0, k1;
    if (f16) {
      k0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(entry + 2 * d)));
      k1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(entry + 2 * d + 16)));
    } else {
      k0 = _mm256_loadu_ps((const float *)(const void *)entry + d);
      k1 = _mm256_loadu_ps((const float *)(const void *)entry + d + 8);
    }
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), k0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), k1, acc1);
  }
  float s = uk_hsum8(_mm256_add_ps(acc0, acc1));
  for (; d < D; ++d)
    s += q[d] * (f16 ? uk_half_to_float(uk_rd16(entry + 2 * d))
                     : ((const float *)(const void *)entry)[d]);
  return s;
}

/* o[D] = Σ_j w[j] · entry_j for j in [j0, j1), entries of an f32 or f16
 * cache `stride` bytes apart: 32 features at a time, held in registers
 * across all the keys (D a multiple of 8; the tail of D below 32 in steps
 * of 8). */
static void uk_weighted_sum_entries(float *o, const float *w, int64_t j0,
                                    int64_t j1, const uint8_t *first,
                                    int64_t stride, int f16, int64_t D) {
  for (int64_t d0 = 0; d0 < D; d0 += 32) {
    int64_t n = D - d0 < 32 ? (D - d0) / 8 : 4;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const uint8_t *e = first + j0 * stride;
    for (int64_t j = j0; j < j1; ++j, e += stride) {
      __m256 wj = _mm256_broadcast_ss(w + j);
#define UK_V(i)                                                                \
  (f16 ? _mm256_cvtph_ps(_mm_loadu_si128(                                      \
             (const __m128i *)(const void *)(e + 2 * (d0 + 8 * (i)))))         \
       : _mm256_loadu_ps((const float *)(const void *)e + d0 + 8 * (i)))
      a0 = _mm256_fmadd_ps(wj, UK_V(0), a0);
      if (n > 1)
        a1 = _mm256_fmadd_ps(wj, UK_V(1), a1);
      if (n > 2)
        a2 = _mm256_fmadd_ps(wj, UK_V(2), a2);
      if (n > 3)
        a3 = _mm256_fmadd_ps(wj, UK_V(3), a3);
#undef UK_V
    }
    _mm256_storeu_ps(o + d0, a0);
    if (n > 1)
      _mm256_storeu_ps(o + d0 + 8, a1);
    if (n > 2)
      _mm256_storeu_ps(o + d0 + 16, a2);
    if (n > 3)
      _mm256_storeu_ps(o + d0 + 24, a3);
  }
}

/* acc += w · (an f32 or f16 cache entry) with FMA. */
static inline void uk_axpy_entry(float *acc, float w, const uint8_t *entry,
                                 int f16, int64_t D) {
  __m256 wv = _mm256_set1_ps(w);
  int64_t d = 0;
  for (; d + 8 <= D; d += 8) {
    __m256 v = f16 ? _mm256_cvtph_ps(_mm_loadu_si128(
                         (const __m128i *)(const void *)(entry + 2 * d)))
                   : _mm256_loadu_ps((const float *)(const void *)entry + d);
    _mm256_storeu_ps(acc + d, _mm256_fmadd_ps(wv, v, _mm256_loadu_ps(acc + d)));
  }
  for (; d < D; ++d)
    acc[d] += w * (f16 ? uk_half_to_float(uk_rd16(entry + 2 * d))
                       : ((const float *)(const void *)entry)[d]);
}
#endif

/* q · the cache entry of format `fmt` (buf: D floats of scratch). */
static inline float uk_score_entry(const float *q, const uint8_t *entry,
                                   int32_t fmt, const float *book, int64_t D,
                                   float *buf) {
#if UK_AVX2
  if (fmt == INGOT_KV_F32 || fmt == INGOT_KV_F16)
    return uk_dot_entry(q, entry, fmt == INGOT_KV_F16, D);
#endif
  if (fmt == INGOT_KV_F32)
    return uk_dot(q, (const float *)(const void *)entry, D);
  uk_kv_load(fmt, book, entry, D, buf);
  return uk_dot(q, buf, D);
}

/* acc += w · the cache entry of format `fmt` (buf: D floats of scratch). */
static inline void uk_accumulate_entry(float *acc, float w,
                                       const uint8_t *entry, int32_t fmt,
                                       const float *book, int64_t D,
                                       float *buf) {
#if UK_AVX2
  if (fmt == INGOT_KV_F32 || fmt == INGOT_KV_F16) {
    uk_axpy_entry(acc, w, entry, fmt == INGOT_KV_F16, D);
    return;
  }
#endif
  const float *v = (const float *)(const void *)entry;
  if (fmt != INGOT_KV_F32) {
    uk_kv_load(fmt, book, entry, D, buf);
    v = buf;
  }
  for (int64_t d = 0; d < D; ++d)
    acc[d] += w * v[d];
}

#if UK_AVX2
/* e^x for 8 lanes, x <= 0 (softmax after the max is subtracted): 2^k · p(r)
 * with x = k·ln2 + r, |r| <= ln2/2, p a degree-6 polynomial (relative
 * error below 2e-7, like expf's); x is clamped at -87 (e^-87 ~ 1.6e-38). */
UK_INLINE __m256 uk_exp8(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i bits = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}
#endif

/* scores[j] = e^(scores[j] - maximum) for j in [j0, j1); returns their sum. */
static inline float uk_softmax_exp(float *scores, int64_t j0, int64_t j1,
                                   float maximum) {
  float sum = 0.0f;
  int64_t j = j0;
#if UK_AVX2
  __m256 m = _mm256_set1_ps(maximum), total = _mm256_setzero_ps();
  for (; j + 8 <= j1; j += 8) {
    __m256 e = uk_exp8(_mm256_sub_ps(_mm256_loadu_ps(scores + j), m));
    _mm256_storeu_ps(scores + j, e);
    total = _mm256_add_ps(total, e);
  }
  sum = uk_hsum8(total);
#endif
  for (; j < j1; ++j) {
    float e = __builtin_expf(scores[j] - maximum);
    scores[j] = e;
    sum += e;
  }
  return sum;
}

/* f16 <-> f32 in the GGML rows (round to nearest even): F16C where
 * there is one, the exact software conversions otherwise. */
static inline uint16_t uk_h16(float f) {
#if UK_AVX2
  return (uint16_t)_cvtss_sh(f, 0);
#else
  return uk_float_to_half(f);
#endif
}

static inline float uk_f32(uint16_t h) {
#if UK_AVX2
  return _cvtsh_ss(h);
#else
  return uk_half_to_float(h);
#endif
}

/* Σ k·q over D halves as GGML's AVX2 ggml_vec_dot_f16 orders it: four
 * accumulators of 8 lanes over each 32 elements (fused multiply-adds),
 * then folded 0+2, 1+3, 0+1, halves, pairs; the rest added in double. */
static float uk_dot_f16_ggml(const uint16_t *k, const uint16_t *q, int64_t D) {
  UK_NO_CONTRACT
  float a[4][8] = {{0}};
  int64_t np = D & ~(int64_t)31;
  for (int64_t i = 0; i < np; i += 32)
    for (int r = 0; r < 4; ++r)
      for (int l = 0; l < 8; ++l)
        a[r][l] = __builtin_fmaf(uk_f32(k[i + 8 * r + l]),
                                 uk_f32(q[i + 8 * r + l]), a[r][l]);
  float t[8];
  for (int l = 0; l < 8; ++l) {
    float x0 = a[0][l] + a[2][l], x1 = a[1][l] + a[3][l];
    t[l] = x0 + x1;
  }
  float h0 = t[0] + t[4], h1 = t[1] + t[5], h2 = t[2] + t[6], h3 = t[3] + t[7];
  double sum = (double)((h0 + h1) + (h2 + h3));
  for (int64_t i = np; i < D; ++i) {
    float p = uk_f32(k[i]) * uk_f32(q[i]);
    sum += (double)p;
  }
  return (float)sum;
}

#if UK_AVX2
/* uk_dot_f16_ggml for D % 32 == 0 in AVX2 registers: the same lanes, the
 * same folds. */
static inline float uk_dot_f16_ggml_avx2(const uint16_t *k, const uint16_t *q,
                                         int64_t D) {
  __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                 _mm256_setzero_ps()};
  for (int64_t i = 0; i < D; i += 32)
    for (int r = 0; r < 4; ++r) {
      __m256 kv = _mm256_cvtph_ps(
          _mm_loadu_si128((const __m128i *)(const void *)(k + i + 8 * r)));
      __m256 qv = _mm256_cvtph_ps(
          _mm_loadu_si128((const __m128i *)(const void *)(q + i + 8 * r)));
      a[r] = _mm256_fmadd_ps(kv, qv, a[r]);
    }
  __m256 t =
      _mm256_add_ps(_mm256_add_ps(a[0], a[2]), _mm256_add_ps(a[1], a[3]));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
  h = _mm_hadd_ps(h, h);
  h = _mm_hadd_ps(h, h);
  return _mm_cvtss_f32(h);
}
#endif

/* Keys j0 .. j1-1 of one query row of GGML's CPU flash attention over f16
 * caches (numerics GGML, its one-row kernel): the query qh already in f16,
 * a running maximum *M and sum *S, the value sum acc kept in f16 and
 * rescaled by e^(Mold - M) at each new maximum, e^ from libm. */
static void uk_ggml_fa_keys(const uint16_t *qh, const uint8_t *kc,
                            const uint8_t *vc, int64_t j0, int64_t j1,
                            int64_t kstride, int64_t vstride, int64_t D,
                            float scale, float softcap, uint16_t *acc,
                            float *Mp, float *Sp) {
  UK_NO_CONTRACT
#if UK_AVX2
  int vec = D % 32 == 0;
#endif
  float S = *Sp, M = *Mp;
  for (int64_t j = j0; j < j1; ++j) {
    const uint16_t *kh = (const uint16_t *)(const void *)(kc + j * kstride);
    const uint16_t *vh = (const uint16_t *)(const void *)(vc + j * vstride);
#if UK_AVX2
    float s =
        (vec ? uk_dot_f16_ggml_avx2(kh, qh, D) : uk_dot_f16_ggml(kh, qh, D)) *
        scale;
#else
    float s = uk_dot_f16_ggml(kh, qh, D) * scale;
#endif
    if (softcap > 0.0f)
      s = softcap * __builtin_tanhf(s);
    float ms = 1.0f, vs = 1.0f;
    int rescale = 0;
    if (s > M) {
      float old = M;
      M = s;
      ms = __builtin_expf(old - M);
      rescale = 1;
    } else {
      vs = __builtin_expf(s - M);
    }
    /* acc = f16(acc·ms) at a new maximum, then acc = f16(fma(v, vs, acc)):
     * two roundings to f16, elementwise. */
    int64_t d = 0;
#if UK_AVX2
    if (vec) {
      __m256 msv = _mm256_set1_ps(ms), vsv = _mm256_set1_ps(vs);
      for (; d < D; d += 8) {
        __m128i *ap = (__m128i *)(void *)(acc + d);
        __m256 a = _mm256_cvtph_ps(_mm_loadu_si128(ap));
        if (rescale)
          a = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(a, msv), 0));
        __m256 v = _mm256_cvtph_ps(
            _mm_loadu_si128((const __m128i *)(const void *)(vh + d)));
        _mm_storeu_si128(ap, _mm256_cvtps_ph(_mm256_fmadd_ps(v, vsv, a), 0));
      }
    }
#endif
    for (; d < D; ++d) {
      float a = uk_f32(acc[d]);
      if (rescale)
        a = uk_f32(uk_h16(a * ms));
      acc[d] = uk_h16(__builtin_fmaf(uk_f32(vh[d]), vs, a));
    }
    S = __builtin_fmaf(S, ms, vs);
  }
  *Mp = M;
  *Sp = S;
}

/* One query row of GGML's one-row flash attention (llama.cpp's kernel for
 * batches of fewer than 64 queries): keys j0 .. j1-1 in one pass, or, for
 * a single query over a KV view of 512 entries or more (GGML's split-KV
 * decode), in `chunks` consecutive chunks of `chunk` keys each computed as
 * above and merged in order: M = max, both sides rescaled by e^(M_c - M),
 * V = fma(V, s_old, V_c·s_new), S likewise. `work` holds 4·D floats. */
static void uk_attention_row_ggml(float *o, const float *qv, const uint8_t *kc,
                                  const uint8_t *vc, int64_t j0, int64_t j1,
                                  int64_t kstride, int64_t vstride, int64_t D,
                                  float scale, float softcap, int64_t chunks,
                                  int64_t chunk, float *work) {
  UK_NO_CONTRACT
  uint16_t *qh = (uint16_t *)(void *)work;
  uint16_t *acc = (uint16_t *)(void *)(work + D);
  float *total = work + 2 * D;
  for (int64_t d = 0; d < D; ++d)
    qh[d] = uk_h16(qv[d]);
  if (softcap > 0.0f)
    scale /= softcap;
  if (chunks <= 1) {
    float S = 0.0f, M = -__builtin_inff();
    __builtin_memset(acc, 0, (size_t)D * 2);
    uk_ggml_fa_keys(qh, kc, vc, j0, j1, kstride, vstride, D, scale, softcap,
                    acc, &M, &S);
    float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (int64_t d = 0; d < D; ++d)
      o[d] = uk_f32(acc[d]) * inv;
    return;
  }
  float Mt = -__builtin_inff(), St = 0.0f;
  __builtin_memset(total, 0, (size_t)D * sizeof(float));
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t a = c * chunk > j0 ? c * chunk : j0;
    int64_t b = (c + 1) * chunk < j1 ? (c + 1) * chunk : j1;
    float S = 0.0f, M = -__builtin_inff();
    __builtin_memset(acc, 0, (size_t)D * 2);
    if (a < b)
      uk_ggml_fa_keys(qh, kc, vc, a, b, kstride, vstride, D, scale, softcap,
                      acc, &M, &S);
    if (S == 0.0f)
      continue;
    float Mn = Mt > M ? Mt : M;
    float sOld = __builtin_expf(Mt - Mn), sNew = __builtin_expf(M - Mn);
    for (int64_t d = 0; d < D; ++d) {
      float part = uk_f32(acc[d]) * sNew;
      total[d] = __builtin_fmaf(total[d], sOld, part);
    }
    float part = S * sNew;
    St = __builtin_fmaf(St, sOld, part);
    Mt = Mn;
  }
  float inv = St == 0.0f ? 0.0f : 1.0f / St;
  for (int64_t d = 0; d < D; ++d)
    o[d] = St == 0.0f ? total[d] : total[d] * inv;
}

/* One query row of GGML's tiled flash attention (llama.cpp's kernel for
 * batches of 64 queries or more): the query in f32, keys in tiles of 64
 * from position 0. Per tile: scores as one fused multiply-add chain over
 * the features, scaled; the tile's maximum; at a new maximum M the f32
 * value sum and S rescaled by libm's e^(Mold - M); GGML's vector e^(s - M)
 * of every tile entry (0 for masked ones), summed per 8 lanes then in
 * double; the value sum += Σ p·v as one fused chain over the tile's keys.
 * `work` holds D + 64 floats. */
static void uk_attention_row_ggml_tiled(float *o, const float *qv,
                                        const uint8_t *kc, const uint8_t *vc,
                                        int64_t j0, int64_t j1, int64_t kstride,
                                        int64_t vstride, int64_t D, float scale,
                                        float softcap, float *work) {
  UK_NO_CONTRACT
  float *acc = work, *p = work + D;
  if (softcap > 0.0f)
    scale /= softcap;
  __builtin_memset(acc, 0, (size_t)D * sizeof(float));
  float S = 0.0f, M = -__builtin_inff();
  for (int64_t t0 = 0; t0 < j1; t0 += 64) {
    if (t0 + 64 <= j0)
      continue; /* every key of the tile masked: skipped */
    float tmax = -__builtin_inff();
    /* Eight keys' chains side by side (independent, so they overlap). */
    for (int l0 = 0; l0 < 64; l0 += 8) {
      const uint16_t *kh[8];
      float dot[8];
      for (int l = 0; l < 8; ++l) {
        int64_t j = t0 + l0 + l;
        int64_t jj = j >= j0 && j < j1 ? j : j0; /* masked: any row */
        kh[l] = (const uint16_t *)(const void *)(kc + jj * kstride);
        dot[l] = 0.0f;
      }
      for (int64_t d = 0; d < D; ++d)
        for (int l = 0; l < 8; ++l)
          dot[l] = __builtin_fmaf(qv[d], uk_f32(kh[l][d]), dot[l]);
      for (int l = 0; l < 8; ++l) {
        int64_t j = t0 + l0 + l;
        float s = -__builtin_inff();
        if (j >= j0 && j < j1) {
          s = dot[l] * scale;
          if (softcap > 0.0f)
            s = __builtin_tanhf(s) * softcap;
        }
        p[l0 + l] = s;
        tmax = s > tmax ? s : tmax;
      }
    }
    float Mn = __builtin_fmaxf(M, tmax);
    if (Mn > M) {
      float ms = __builtin_expf(M - Mn);
      for (int64_t d = 0; d < D; ++d)
        acc[d] *= ms;
      S *= ms;
    }
    M = Mn;
    double sum = 0.0;
    for (int g = 0; g < 64; g += 8) {
      float e[8];
      for (int l = 0; l < 8; ++l)
        e[l] = p[g + l] = uk_expf_ggml(p[g + l] - Mn);
      float h0 = e[0] + e[4], h1 = e[1] + e[5], h2 = e[2] + e[6],
            h3 = e[3] + e[7];
      sum += (double)((h0 + h2) + (h1 + h3));
    }
    S = (float)((double)S + sum);
    for (int l = 0; l < 64; ++l) {
      int64_t j = t0 + l;
      if (j >= j1 || p[l] == 0.0f)
        continue; /* p·v = 0 leaves the fused sum as it is */
      const uint16_t *vh = (const uint16_t *)(const void *)(vc + j * vstride);
      int64_t d = 0;
#if UK_AVX2
      __m256 pv = _mm256_set1_ps(p[l]);
      for (; d + 8 <= D; d += 8) {
        __m256 v = _mm256_cvtph_ps(
            _mm_loadu_si128((const __m128i *)(const void *)(vh + d)));
        _mm256_storeu_ps(acc + d,
                         _mm256_fmadd_ps(pv, v, _mm256_loadu_ps(acc + d)));
      }
#endif
      for (; d < D; ++d)
        acc[d] = __builtin_fmaf(p[l], uk_f32(vh[d]), acc[d]);
    }
  }
  float inv = S == 0.0f ? 0.0f : 1.0f / S;
  for (int64_t d = 0; d < D; ++d)
    o[d] = acc[d] * inv;
}

void ingot_uk_attention(float *out, const float *q, const float *k,
                        const float *v, void *kcache, void *vcache, int64_t n,
                        int64_t start, int64_t Hq, int64_t Hkv, int64_t D,
                        float scale, int32_t mask, int64_t window,
                        float softcap, int32_t kfmt, int32_t vfmt,
                        const float *kbook, const float *vbook,
                        int32_t numerics, float *scratch, ingot_uk_sync *sync,
                        int32_t ith, int32_t nth) {
  int64_t kbytes = ingot_uk_kv_entry_bytes(kfmt, D);
  int64_t vbytes = ingot_uk_kv_entry_bytes(vfmt, D);
  uint8_t *kc = (uint8_t *)kcache, *vc = (uint8_t *)vcache;

  /* Store the new tokens' entries. */
  int64_t p0, p1;
  uk_split(n * Hkv, ith, nth, &p0, &p1);
  for (int64_t p = p0; p < p1; ++p) {
    int64_t slot = start * Hkv + p; /* ((start + i) * Hkv + h) */
    uk_kv_store(kfmt, kbook, k + p * D, D, kc + slot * kbytes);
    uk_kv_store(vfmt, vbook, v + p * D, D, vc + slot * vbytes);
  }
  ingot_uk_barrier(sync, nth);

  int64_t total = start + n;
  float *vec = scratch + (int64_t)ith * (4 * D + 64);
  float *kbuf = vec, *acc = vec + D;
  float *scores = scratch + (int64_t)nth * (4 * D + 64) + (int64_t)ith * total;
  int64_t group = Hq / Hkv;
  /* (query, head) pairs dealt round-robin: under a causal mask later
   * queries see more keys, so contiguous shares would be uneven. */
  for (int64_t p = ith; p < n * Hq; p += nth) {
    int64_t i = p / Hq, h = p % Hq, kvh = h / group;
    int64_t qpos = start + i;
    int64_t j0 = 0, j1 = total;
    if (mask != INGOT_MASK_NONE)
      j1 = qpos + 1;
    if (mask == INGOT_MASK_SLIDING_WINDOW && qpos - window + 1 > 0)
      j0 = qpos - window + 1;
    const float *qv = q + p * D;
    if (numerics == INGOT_NUMERICS_GGML && kfmt == INGOT_KV_F16 &&
        vfmt == INGOT_KV_F16) {
      /* GGML picks its kernel by the batch (64 queries or more: tiled) and,
       * for one query, by its KV view: the used cells padded to 256, split
       * into one chunk per thread from 512 on. */
      if (n >= 64) {
        uk_attention_row_ggml_tiled(out + p * D, qv, kc + kvh * kbytes,
                                    vc + kvh * vbytes, j0, j1, Hkv * kbytes,
                                    Hkv * vbytes, D, scale, softcap, vec);
      } else {
        int64_t view = (total + 255) / 256 * 256;
        int64_t chunks = n == 1 && view >= 512 ? nth : 1;
        uk_attention_row_ggml(out + p * D, qv, kc + kvh * kbytes,
                              vc + kvh * vbytes, j0, j1, Hkv * kbytes,
                              Hkv * vbytes, D, scale, softcap, chunks,
                              (view + nth - 1) / nth, vec);
      }
      continue;
    }
    float maximum = -__builtin_inff();
    for (int64_t j = j0; j < j1; ++j) {
      const uint8_t *entry = kc + (j * Hkv + kvh) * kbytes;
      float s = uk_score_entry(qv, entry, kfmt, kbook, D, kbuf) * scale;
      if (softcap > 0.0f)
        s = softcap * __builtin_tanhf(s / softcap);
      scores[j] = s;
      maximum = s > maximum ? s : maximum;
    }
    float sum = uk_softmax_exp(scores, j0, j1, maximum);
#if UK_AVX2
    if ((vfmt == INGOT_KV_F32 || vfmt == INGOT_KV_F16) && D % 8 == 0) {
      uk_weighted_sum_entries(acc, scores, j0, j1, vc + kvh * vbytes,
                              Hkv * vbytes, vfmt == INGOT_KV_F16, D);
    } else
#endif
    {
      __builtin_memset(acc, 0, (size_t)D * sizeof(float));
      for (int64_t j = j0; j < j1; ++j) {
        const uint8_t *entry = vc + (j * Hkv + kvh) * vbytes;
        uk_accumulate_entry(acc, scores[j], entry, vfmt, vbook, D, kbuf);
      }
    }
    float inv = 1.0f / sum;
    float *o = out + p * D;
    for (int64_t d = 0; d < D; ++d)
      o[d] = acc[d] * inv;
  }
}
