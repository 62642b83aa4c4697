/*===- gk_ops.c - Norms, rope, elementwise, iota, copy, clamp, hadamard --===
 *
 * Norms: one block per row (rows go round the grid), threads over the
 * features, block sums through shared memory. The elementwise kernels:
 * the grid's threads over the elements, consecutive threads consecutive
 * elements.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/gpu/gk_common.h"
#include "compiler/ukernels/gpu/gk_kernels.h"

/* This thread's first element and the grid's stride over elements. */
GK_INLINE int64_t gk_grid_first(void) {
  return (int64_t)gk_block_id() * gk_block_dim() + gk_thread_id();
}
GK_INLINE int64_t gk_grid_stride(void) {
  return (int64_t)gk_grid_dim() * gk_block_dim();
}

GK_KERNEL ingot_gk_rms_norm(float *y, const float *x, const float *w,
                            int64_t rows, int64_t D, float eps) {
  GK_NO_CONTRACT
  GK_SHARED(float, red, GK_WARP);
  for (int64_t r = gk_block_id(); r < rows; r += gk_grid_dim()) {
    const float *xr = x + r * D;
    float *yr = y + r * D;
    float s = 0.0f;
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim())
      s += xr[i] * xr[i];
    s = gk_block_sum(s, red);
    float inv =
        (float)(1.0 / __builtin_sqrt((double)s / (double)D + (double)eps));
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim()) {
      float t = xr[i] * inv;
      yr[i] = t * w[i];
    }
  }
}

GK_KERNEL ingot_gk_layer_norm(float *y, const float *x, const float *w,
                              const float *b, int64_t rows, int64_t D,
                              float eps) {
  GK_NO_CONTRACT
  GK_SHARED(float, red, GK_WARP);
  for (int64_t r = gk_block_id(); r < rows; r += gk_grid_dim()) {
    const float *xr = x + r * D;
    float *yr = y + r * D;
    float s = 0.0f;
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim())
      s += xr[i];
    float mean = gk_block_sum(s, red) / (float)D;
    float v = 0.0f;
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim()) {
      float d = xr[i] - mean;
      v += d * d;
    }
    float var = gk_block_sum(v, red) / (float)D;
    float inv = (float)(1.0 / __builtin_sqrt((double)var + (double)eps));
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim()) {
      float t = (xr[i] - mean) * inv * w[i];
      yr[i] = b ? t + b[i] : t;
    }
  }
}

/* Each thread one rotated pair (its angle's cos and sin in double, as the
 * CPU kernel) or one copied feature from rot on. */
GK_KERNEL ingot_gk_rope(float *y, const float *x, const int32_t *pos, int64_t n,
                        int64_t H, int64_t D, int64_t rot,
                        const float *inv_freq, float mscale, int32_t style) {
  GK_NO_CONTRACT
  int64_t half = rot / 2;
  int64_t perRow = half + (D - 2 * half);
  int64_t stride = style == INGOT_ROPE_NEOX ? 1 : 2,
          offset = style == INGOT_ROPE_NEOX ? half : 1;
  for (int64_t e = gk_grid_first(); e < n * H * perRow; e += gk_grid_stride()) {
    int64_t p = e / perRow, j = e % perRow;
    const float *xr = x + p * D;
    float *yr = y + p * D;
    if (j >= half) {
      int64_t i = 2 * half + (j - half);
      if (yr != xr)
        yr[i] = xr[i];
      continue;
    }
    double angle = (double)pos[p / H] * (double)inv_freq[j];
    double sd, cd;
    gk_sincos(angle, &sd, &cd);
    float cs = (float)(cd * (double)mscale), sn = (float)(sd * (double)mscale);
    float a = xr[j * stride], b = xr[j * stride + offset];
    float bs = b * sn, bc = b * cs, ac = a * cs, as = a * sn;
    yr[j * stride] = ac - bs;
    yr[j * stride + offset] = bc + as;
  }
}

GK_INLINE float gk_gelu(float v) {
  return 0.5f * v * (1.0f + gk_erff(v * 0.70710678118654752f));
}

GK_INLINE float gk_gelu_tanh(float v) {
  const float c = 0.79788456080286536f; /* sqrt(2/pi) */
  return 0.5f * v * (1.0f + gk_tanhf(c * (v + 0.044715f * v * v * v)));
}

/* Ops outside INGOT_EW_* (and the GGML-rounding variants, which the CUDA
 * target never emits) give NaN. */
GK_KERNEL ingot_gk_binary(float *y, const float *a, const float *b,
                          int64_t rows, int64_t cols, int64_t b_rows,
                          int64_t b_cols, int32_t op) {
  int64_t rowStride = b_rows == 1 ? 0 : b_cols;
  int64_t colStride = b_cols == 1 ? 0 : 1;
  for (int64_t e = gk_grid_first(); e < rows * cols; e += gk_grid_stride()) {
    int64_t r = e / cols, c = e % cols;
    float u = a[e], v = b[r * rowStride + c * colStride], o;
    switch (op) {
    case INGOT_EW_ADD:
      o = u + v;
      break;
    case INGOT_EW_SUB:
      o = u - v;
      break;
    case INGOT_EW_MUL:
      o = u * v;
      break;
    case INGOT_EW_DIV:
      o = u / v;
      break;
    case INGOT_EW_MAX:
      o = u != u ? u : (v != v ? v : (u > v ? u : v));
      break;
    case INGOT_EW_SILU_MUL:
      o = u / (1.0f + gk_expf(-u)) * v;
      break;
    case INGOT_EW_GELU_MUL:
      o = gk_gelu(u) * v;
      break;
    case INGOT_EW_GELU_TANH_MUL:
      o = gk_gelu_tanh(u) * v;
      break;
    default:
      o = __builtin_nanf("");
      break;
    }
    y[e] = o;
  }
}

GK_KERNEL ingot_gk_unary(float *y, const float *x, int64_t count, int32_t op) {
  for (int64_t i = gk_grid_first(); i < count; i += gk_grid_stride()) {
    float v = x[i], o;
    switch (op) {
    case INGOT_UN_SILU:
      o = v / (1.0f + gk_expf(-v));
      break;
    case INGOT_UN_SIGMOID:
      o = 1.0f / (1.0f + gk_expf(-v));
      break;
    case INGOT_UN_GELU:
      o = gk_gelu(v);
      break;
    case INGOT_UN_GELU_TANH:
      o = gk_gelu_tanh(v);
      break;
    case INGOT_UN_TANH:
      o = gk_tanhf(v);
      break;
    case INGOT_UN_EXP:
      o = gk_expf(v);
      break;
    case INGOT_UN_NEG:
      o = -v;
      break;
    case INGOT_UN_RSQRT:
      o = 1.0f / __builtin_sqrtf(v);
      break;
    case INGOT_UN_RELU:
      o = v != v ? v : (v > 0.0f ? v : 0.0f);
      break;
    default:
      o = __builtin_nanf("");
      break;
    }
    y[i] = o;
  }
}

GK_KERNEL ingot_gk_iota(int32_t *out, int64_t n, int64_t base) {
  for (int64_t i = gk_grid_first(); i < n; i += gk_grid_stride())
    out[i] = (int32_t)(base + i);
}

/* 8-byte words when both ends are 8-aligned, else bytes. */
GK_KERNEL ingot_gk_copy(void *dst, const void *src, int64_t bytes) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  int64_t done = 0;
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    int64_t words = bytes / 8;
    for (int64_t i = gk_grid_first(); i < words; i += gk_grid_stride())
      ((uint64_t *)(void *)d)[i] = ((const uint64_t *)(const void *)s)[i];
    done = words * 8;
  }
  for (int64_t i = done + gk_grid_first(); i < bytes; i += gk_grid_stride())
    d[i] = s[i];
}

/* One block per row: the signs (forward), then the butterflies of the
 * fast Walsh-Hadamard transform in place in y, a barrier between stages
 * (each thread its pairs of the stage), then the scale (and the signs of
 * the inverse). Each element sees the CPU kernel's operations in the CPU
 * kernel's order, so the results are the same bits. */
GK_KERNEL ingot_gk_hadamard(float *y, const float *x, int64_t rows, int64_t D,
                            const float *signs, int32_t inverse) {
  GK_NO_CONTRACT
  float norm = (float)(1.0 / __builtin_sqrt((double)D));
  for (int64_t r = gk_block_id(); r < rows; r += gk_grid_dim()) {
    const float *xr = x + r * D;
    float *v = y + r * D;
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim())
      v[i] = inverse ? xr[i] : xr[i] * signs[i];
    gk_barrier();
    for (int64_t h = 1; h < D; h *= 2) {
      for (int64_t p = gk_thread_id(); p < D / 2; p += gk_block_dim()) {
        int64_t j = (p / h) * 2 * h + p % h;
        float a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
      gk_barrier();
    }
    for (int64_t i = gk_thread_id(); i < D; i += gk_block_dim())
      v[i] = inverse ? v[i] * norm * signs[i] : v[i] * norm;
  }
}

GK_KERNEL ingot_gk_clamp(float *y, const float *x, int64_t count, float lo,
                         float hi) {
  for (int64_t i = gk_grid_first(); i < count; i += gk_grid_stride()) {
    float v = x[i];
    y[i] = v < lo ? lo : (v > hi ? hi : v);
  }
}
