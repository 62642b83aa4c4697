/*===- uk_ops.c - Embedding, norms, rope, elementwise, hadamard -----------===
 *
 * Row-wise kernels; threads split rows (or elements for the elementwise
 * ones). Reductions accumulate in double so results stay within an ulp or
 * two of the reference evaluator, which computes in double.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

void ingot_uk_embedding(float *y, const int32_t *ids, int64_t n,
                        const void *table, int64_t V, int64_t D, int32_t fmt,
                        int32_t group, int32_t ith, int32_t nth) {
  int64_t i0, i1;
  uk_split(n, ith, nth, &i0, &i1);
  for (int64_t i = i0; i < i1; ++i) {
    int64_t id = ids[i];
    if (id < 0 || id >= V) {
      __builtin_memset(y + i * D, 0, (size_t)D * sizeof(float));
      continue;
    }
    uk_dequant_table_row(fmt, group, (const uint8_t *)table, id, D, y + i * D);
  }
}

/* Both RMS norms; `ggml` (a constant after inlining) picks GGML's
 * roundings: the squares rounded to f32 before their double sum (whose
 * order then does not matter: f32 squares of a row add up exactly in
 * double unless their magnitudes span more than 2^19), the mean and
 * 1/sqrt(mean + eps) in f32. Otherwise exact squares and a double rsqrt. */
UK_INLINE void uk_rms_norm(float *y, const float *x, const float *w,
                           int64_t rows, int64_t D, float eps, int32_t ith,
                           int32_t nth, const int ggml) {
  UK_NO_CONTRACT
  int64_t r0, r1;
  uk_split(rows, ith, nth, &r0, &r1);
  for (int64_t r = r0; r < r1; ++r) {
    const float *xr = x + r * D;
    float *yr = y + r * D;
    double s[4] = {0, 0, 0, 0};
    for (int64_t i = 0; i < D; ++i) {
      float sq = xr[i] * xr[i];
      s[i & 3] += ggml ? (double)sq : (double)xr[i] * xr[i];
    }
    double sum = (s[0] + s[1]) + (s[2] + s[3]);
    float inv;
    if (ggml) {
      float mean = (float)(sum / (double)D);
      inv = 1.0f / __builtin_sqrtf(mean + eps);
    } else {
      inv = (float)(1.0 / __builtin_sqrt(sum / (double)D + (double)eps));
    }
    for (int64_t i = 0; i < D; ++i) {
      float t = xr[i] * inv;
      yr[i] = t * w[i];
    }
  }
}

void ingot_uk_rms_norm(float *y, const float *x, const float *w, int64_t rows,
                       int64_t D, float eps, int32_t ith, int32_t nth) {
  uk_rms_norm(y, x, w, rows, D, eps, ith, nth, 0);
}

void ingot_uk_rms_norm_ggml(float *y, const float *x, const float *w,
                            int64_t rows, int64_t D, float eps, int32_t ith,
                            int32_t nth) {
  uk_rms_norm(y, x, w, rows, D, eps, ith, nth, 1);
}

void ingot_uk_layer_norm(float *y, const float *x, const float *w,
                         const float *b, int64_t rows, int64_t D, float eps,
                         int32_t ith, int32_t nth) {
  int64_t r0, r1;
  uk_split(rows, ith, nth, &r0, &r1);
  for (int64_t r = r0; r < r1; ++r) {
    const float *xr = x + r * D;
    float *yr = y + r * D;
    double sum = 0.0;
    for (int64_t i = 0; i < D; ++i)
      sum += xr[i];
    double mean = sum / (double)D;
    double var = 0.0;
    for (int64_t i = 0; i < D; ++i) {
      double d = xr[i] - mean;
      var += d * d;
    }
    var /= (double)D;
    float inv = (float)(1.0 / __builtin_sqrt(var + (double)eps));
    float fmean = (float)mean;
    for (int64_t i = 0; i < D; ++i) {
      float v = (xr[i] - fmean) * inv * w[i];
      yr[i] = b ? v + b[i] : v;
    }
  }
}

/* The most rotated pairs a head may have. */
#define UK_ROPE_MAX_PAIRS 512

/* Both ropes: threads split the (token, head) rows; cos/sin of a token's
 * angles are computed once per token. `ggml` (a constant after inlining)
 * picks GGML's roundings (ingot_uk_rope_ggml) over the exact ones. */
UK_INLINE void uk_rope(float *y, const float *x, const int32_t *pos, int64_t n,
                       int64_t H, int64_t D, int64_t rot, const float *inv_freq,
                       float mscale, float theta_scale,
                       const float *freq_factors, int32_t style, int32_t ith,
                       int32_t nth, const int ggml) {
  UK_NO_CONTRACT
  int64_t p0, p1;
  uk_split(n * H, ith, nth, &p0, &p1);
  int64_t half = rot / 2;
  if (half > UK_ROPE_MAX_PAIRS)
    half = UK_ROPE_MAX_PAIRS;
  float cs[UK_ROPE_MAX_PAIRS], sn[UK_ROPE_MAX_PAIRS];
  int64_t cached = -1;
  /* Pair i: features (i·stride, i·stride + offset). */
  int64_t stride = style == INGOT_ROPE_NEOX ? 1 : 2,
          offset = style == INGOT_ROPE_NEOX ? half : 1;
  for (int64_t p = p0; p < p1; ++p) {
    int64_t t = p / H;
    if (t != cached) {
      if (ggml) {
        float theta = (float)pos[t];
        for (int64_t i = 0; i < half; ++i) {
          float angle = freq_factors ? theta / freq_factors[i] : theta;
          cs[i] = __builtin_cosf(angle);
          sn[i] = __builtin_sinf(angle);
          theta *= theta_scale;
        }
      } else {
        double position = (double)pos[t];
        for (int64_t i = 0; i < half; ++i) {
          double angle = position * (double)inv_freq[i];
          cs[i] = (float)(__builtin_cos(angle) * (double)mscale);
          sn[i] = (float)(__builtin_sin(angle) * (double)mscale);
        }
      }
      cached = t;
    }
    const float *xr = x + p * D;
    float *yr = y + p * D;
    for (int64_t i = 0; i < half; ++i) {
      float a = xr[i * stride], b = xr[i * stride + offset];
      float bs = b * sn[i], bc = b * cs[i];
      if (ggml) {
        yr[i * stride] = __builtin_fmaf(a, cs[i], -bs);
        yr[i * stride + offset] = __builtin_fmaf(a, sn[i], bc);
      } else {
        float ac = a * cs[i], as = a * sn[i];
        yr[i * stride] = ac - bs;
        yr[i * stride + offset] = bc + as;
      }
    }
    if (yr != xr)
      for (int64_t i = 2 * half; i < D; ++i)
        yr[i] = xr[i];
  }
}

void ingot_uk_rope(float *y, const float *x, const int32_t *pos, int64_t n,
                   int64_t H, int64_t D, int64_t rot, const float *inv_freq,
                   float mscale, int32_t style, int32_t ith, int32_t nth) {
  uk_rope(y, x, pos, n, H, D, rot, inv_freq, mscale, 0.0f, 0, style, ith, nth,
          0);
}

void ingot_uk_rope_ggml(float *y, const float *x, const int32_t *pos, int64_t n,
                        int64_t H, int64_t D, int64_t rot, float theta_scale,
                        const float *freq_factors, int32_t style, int32_t ith,
                        int32_t nth) {
  uk_rope(y, x, pos, n, H, D, rot, 0, 1.0f, theta_scale, freq_factors, style,
          ith, nth, 1);
}

/* silu(a)·b as GGML's AVX2 swiglu: columns in whole vectors of 8 from the
 * row's start use uk_expf_ggml, the rest libm's expf. */
static inline float uk_silu_mul_ggml(float a, float b, int64_t col,
                                     int64_t cols) {
  UK_NO_CONTRACT
  float e = col < cols - cols % 8 ? uk_expf_ggml(0.0f - a) : __builtin_expf(-a);
  float s = a / (1.0f + e);
  return s * b;
}

static inline float uk_sigmoid(float v) { return 1.0f / (1.0f + __builtin_expf(-v)); }

static inline float uk_gelu(float v) {
  return 0.5f * v * (1.0f + __builtin_erff(v * 0.70710678118654752f));
}

static inline float uk_gelu_tanh(float v) {
  const float c = 0.79788456080286536f; /* __builtin_sqrt(2/pi) */
  return 0.5f * v * (1.0f + __builtin_tanhf(c * (v + 0.044715f * v * v * v)));
}

void ingot_uk_binary(float *y, const float *a, const float *b, int64_t rows,
                     int64_t cols, int64_t b_rows, int64_t b_cols,
                     int32_t op, int32_t ith, int32_t nth) {
  int64_t e0, e1;
  uk_split(rows * cols, ith, nth, &e0, &e1);
  if (e0 >= e1)
    return;
  int64_t r = e0 / cols, c = e0 % cols;
  int64_t rowStride = b_rows == 1 ? 0 : b_cols;
  int64_t colStride = b_cols == 1 ? 0 : 1;
  for (int64_t e = e0; e < e1;) {
    int64_t end = e + (cols - c);
    if (end > e1)
      end = e1;
    const float *br = b + r * rowStride;
    const float *ar = a + r * cols;
    float *yr = y + r * cols;
    int64_t cend = c + (end - e);
    switch (op) {
#define UK_EW(OP, EXPR)                                                        \
  case OP:                                                                     \
    for (int64_t j = c; j < cend; ++j) {                                       \
      float u = ar[j], v = br[j * colStride];                                  \
      yr[j] = (EXPR);                                                          \
    }                                                                          \
    break;
      UK_EW(INGOT_EW_ADD, u + v)
      UK_EW(INGOT_EW_SUB, u - v)
      UK_EW(INGOT_EW_MUL, u * v)
      UK_EW(INGOT_EW_DIV, u / v)
      UK_EW(INGOT_EW_MAX, __builtin_isnan(u) ? u : (__builtin_isnan(v) ? v : (u > v ? u : v)))
      UK_EW(INGOT_EW_SILU_MUL, u / (1.0f + __builtin_expf(-u)) * v)
      UK_EW(INGOT_EW_GELU_MUL, uk_gelu(u) * v)
      UK_EW(INGOT_EW_GELU_TANH_MUL, uk_gelu_tanh(u) * v)
      UK_EW(INGOT_EW_SILU_MUL_GGML, uk_silu_mul_ggml(u, v, j, cols))
#undef UK_EW
    }
    e = end;
    c = 0;
    ++r;
  }
}

void ingot_uk_unary(float *y, const float *x, int64_t count, int32_t op,
                    int32_t ith, int32_t nth) {
  int64_t e0, e1;
  uk_split(count, ith, nth, &e0, &e1);
  switch (op) {
#define UK_UN(OP, EXPR)                                                        \
  case OP:                                                                     \
    for (int64_t i = e0; i < e1; ++i) {                                        \
      float v = x[i];                                                          \
      y[i] = (EXPR);                                                           \
    }                                                                          \
    break;
    UK_UN(INGOT_UN_SILU, v / (1.0f + __builtin_expf(-v)))
    UK_UN(INGOT_UN_SIGMOID, uk_sigmoid(v))
    UK_UN(INGOT_UN_GELU, uk_gelu(v))
    UK_UN(INGOT_UN_GELU_TANH, uk_gelu_tanh(v))
    UK_UN(INGOT_UN_TANH, __builtin_tanhf(v))
    UK_UN(INGOT_UN_EXP, __builtin_expf(v))
    UK_UN(INGOT_UN_NEG, -v)
    UK_UN(INGOT_UN_RSQRT, 1.0f / __builtin_sqrtf(v))
    UK_UN(INGOT_UN_RELU, __builtin_isnan(v) ? v : (v > 0.0f ? v : 0.0f))
#undef UK_UN
  }
}

void ingot_uk_iota(int32_t *out, int64_t n, int64_t base, int32_t ith,
                   int32_t nth) {
  int64_t i0, i1;
  uk_split(n, ith, nth, &i0, &i1);
  for (int64_t i = i0; i < i1; ++i)
    out[i] = (int32_t)(base + i);
}

void ingot_uk_copy(void *dst, const void *src, int64_t bytes, int32_t ith,
                   int32_t nth) {
  int64_t b0, b1;
  uk_split(bytes, ith, nth, &b0, &b1);
  if (b1 > b0)
    __builtin_memcpy((char *)dst + b0, (const char *)src + b0,
                     (size_t)(b1 - b0));
}

void ingot_uk_clamp(float *y, const float *x, int64_t count, float lo,
                    float hi, int32_t ith, int32_t nth) {
  int64_t e0, e1;
  uk_split(count, ith, nth, &e0, &e1);
  for (int64_t i = e0; i < e1; ++i) {
    float v = x[i];
    y[i] = v < lo ? lo : (v > hi ? hi : v);
  }
}

void ingot_uk_hadamard(float *y, const float *x, int64_t rows, int64_t D,
                       const float *signs, int32_t inverse, int32_t ith,
                       int32_t nth) {
  int64_t r0, r1;
  uk_split(rows, ith, nth, &r0, &r1);
  float norm = (float)(1.0 / __builtin_sqrt((double)D));
  for (int64_t r = r0; r < r1; ++r) {
    const float *xr = x + r * D;
    float *v = y + r * D;
    if (inverse) {
      if (v != xr)
        __builtin_memmove(v, xr, (size_t)D * sizeof(float));
    } else {
      for (int64_t i = 0; i < D; ++i)
        v[i] = xr[i] * signs[i];
    }
    for (int64_t h = 1; h < D; h *= 2)
      for (int64_t i = 0; i < D; i += 2 * h)
        for (int64_t j = i; j < i + h; ++j) {
          float a = v[j], b = v[j + h];
          v[j] = a + b;
          v[j + h] = a - b;
        }
    for (int64_t i = 0; i < D; ++i)
      v[i] = inverse ? v[i] * norm * signs[i] : v[i] * norm;
  }
}
