/*===- gk_common.h - Helpers shared by the GPU ukernels --------*- C -*-===
 *
 * Math without libm or libdevice (the same code on the device and the
 * host), f16/bf16 conversions, warp and block reductions, and the decoding
 * of one weight element. All static inline: each kernel source is
 * self-contained.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_COMPILER_UKERNELS_GPU_GK_COMMON_H
#define INGOT_COMPILER_UKERNELS_GPU_GK_COMMON_H

#include "compiler/ukernels/gpu/gpu.h"
#include "compiler/ukernels/ukernels.h"

/*===----------------------------------------------------------------------===
 * Math (accuracy measured against correctly rounded results: gk_expf,
 * gk_expm1f, gk_erff within 1 ulp, gk_tanhf within 2; gk_sincos within
 * 1e-15 of libm's double sin/cos for |a| < 2^20·π/2; GPUKernelsTest checks
 * them against libm)
 *===----------------------------------------------------------------------===*/

/* e^x: x = k·ln2 + r (ln2 in two parts, |r| <= ln2/2), e^r by its Taylor
 * polynomial to degree 8, scaled by 2^k in two steps (subnormal results
 * are rounded once). */
GK_INLINE float gk_expf(float x) {
  if (x != x)
    return x;
  if (x > 88.72283935546875f)
    return __builtin_inff();
  if (x < -103.97208404541015625f)
    return 0.0f;
  float k = __builtin_rintf(x * 1.44269502162933349609375f);
  float r = __builtin_fmaf(-k, 0.693145751953125f, x);
  r = __builtin_fmaf(-k, 1.428606765330187045e-06f, r);
  float p = 1.0f / 40320.0f;
  p = __builtin_fmaf(p, r, 1.0f / 5040.0f);
  p = __builtin_fmaf(p, r, 1.0f / 720.0f);
  p = __builtin_fmaf(p, r, 1.0f / 120.0f);
  p = __builtin_fmaf(p, r, 1.0f / 24.0f);
  p = __builtin_fmaf(p, r, 1.0f / 6.0f);
  p = __builtin_fmaf(p, r, 0.5f);
  p = __builtin_fmaf(p, r, 1.0f);
  p = __builtin_fmaf(p, r, 1.0f);
  int ki = (int)k;
  int k1 = ki / 2, k2 = ki - k1;
  float s1 = gk_u32_as_f32((uint32_t)(k1 + 127) << 23);
  float s2 = gk_u32_as_f32((uint32_t)(k2 + 127) << 23);
  return p * s1 * s2;
}

/* e^x - 1, accurate near 0: x·(1 + x/2·(1 + x/3·(...))) for |x| < 0.5. */
GK_INLINE float gk_expm1f(float x) {
  if (__builtin_fabsf(x) < 0.5f) {
    float p = 1.0f;
    for (int n = 11; n >= 2; --n)
      p = __builtin_fmaf(x * (1.0f / (float)n), p, 1.0f);
    return x * p;
  }
  return gk_expf(x) - 1.0f;
}

/* tanh(x): its Taylor series to x^13 for |x| < 0.3 (the next term is
 * below 2^-30 of the sum), else t / (t + 2) with t = e^(2|x|) - 1; sign
 * restored. */
GK_INLINE float gk_tanhf(float x) {
  float a = __builtin_fabsf(x);
  float r;
  if (a < 0.3f) {
    float a2 = a * a;
    float p = 21844.0f / 6081075.0f;
    p = __builtin_fmaf(p, a2, -1382.0f / 155925.0f);
    p = __builtin_fmaf(p, a2, 62.0f / 2835.0f);
    p = __builtin_fmaf(p, a2, -17.0f / 315.0f);
    p = __builtin_fmaf(p, a2, 2.0f / 15.0f);
    p = __builtin_fmaf(p, a2, -1.0f / 3.0f);
    r = __builtin_fmaf(p * a2, a, a);
  } else if (a > 9.0f) {
    r = 1.0f;
  } else {
    float t = gk_expm1f(2.0f * a);
    r = t / (t + 2.0f);
  }
  return __builtin_copysignf(r, x);
}

/* erf(x): its Taylor series 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)) summed
 * in double (for |x| < 4 its terms stay below 2^17, so the sum keeps
 * better than 1e-11), ±1 beyond (erfc(4) < 2^-25). */
GK_INLINE float gk_erff(float x) {
  if (x != x)
    return x;
  double a = __builtin_fabs((double)x);
  if (a >= 4.0)
    return x > 0.0f ? 1.0f : -1.0f;
  double x2 = a * a, term = a, sum = a;
  for (int n = 1; n < 120; ++n) {
    term *= -x2 / (double)n;
    double t = term / (double)(2 * n + 1);
    sum += t;
    if (__builtin_fabs(t) < 1e-17 * sum)
      break;
  }
  float r = (float)(sum * 1.1283791670955125739);
  return x < 0.0f ? -r : r;
}

/* sin and cos of a (double): a = k·π/2 + r with π/2 in two parts (the
 * first of 33 bits, so k·hi is exact for |k| < 2^20), then Taylor
 * polynomials on |r| <= π/4 to degree 19 / 18. */
GK_INLINE void gk_sincos(double a, double *s, double *c) {
  double k = __builtin_rint(a * 0.63661977236758138243);
  double r = a - k * 1.5707963267341256;
  r = __builtin_fma(-k, 6.077100506506192e-11, r);
  double r2 = r * r;
  double ps = 1.0 / 121645100408832000.0;
  ps = __builtin_fma(ps, -r2, 1.0 / 355687428096000.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 1307674368000.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 6227020800.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 39916800.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 362880.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 5040.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 120.0);
  ps = __builtin_fma(ps, -r2, 1.0 / 6.0);
  ps = __builtin_fma(ps, -r2, 1.0);
  double sr = ps * r;
  double pc = 1.0 / 6402373705728000.0;
  pc = __builtin_fma(pc, -r2, 1.0 / 20922789888000.0);
  pc = __builtin_fma(pc, -r2, 1.0 / 87178291200.0);
  pc = __builtin_fma(pc, -r2, 1.0 / 479001600.0);
  pc = __builtin_fma(pc, -r2, 1.0 / 3628800.0);
  pc = __builtin_fma(pc, -r2, 1.0 / 40320.0);
  pc = __builtin_fma(pc, -r2, 1.0 / 720.0);
  pc = __builtin_fma(pc, -r2, 1.0 / 24.0);
  pc = __builtin_fma(pc, -r2, 0.5);
  double cr = __builtin_fma(pc, -r2, 1.0);
  int q = (int)((int64_t)k & 3);
  if (q == 0) {
    *s = sr;
    *c = cr;
  } else if (q == 1) {
    *s = cr;
    *c = -sr;
  } else if (q == 2) {
    *s = -sr;
    *c = -cr;
  } else {
    *s = -cr;
    *c = sr;
  }
}

/*===----------------------------------------------------------------------===
 * Number formats (bit for bit as uk_internal.h's)
 *===----------------------------------------------------------------------===*/

GK_INLINE uint32_t gk_rd16(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

GK_INLINE uint32_t gk_rd32(const uint8_t *p) {
  return gk_rd16(p) | (gk_rd16(p + 2) << 16);
}

GK_INLINE float gk_half_to_float(uint32_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f)
    return gk_u32_as_f32(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return gk_u32_as_f32(sign | ((exp + 112) << 23) | (man << 13));
}

GK_INLINE float gk_bf16_to_float(uint32_t h) { return gk_u32_as_f32(h << 16); }

/* The half nearest to f (ties to even, overflow to infinity). */
GK_INLINE uint32_t gk_float_to_half(float f) {
  uint32_t b = gk_f32_as_u32(f);
  uint32_t sign = (b >> 16) & 0x8000u, a = b & 0x7fffffffu;
  if (a > 0x7f800000u)
    return sign | 0x7e00u;
  if (a >= 0x477ff000u) /* 65520 */
    return sign | 0x7c00u;
  if (a < 0x38800000u) /* 2^-14: subnormal halves */
    return sign | (uint32_t)__builtin_rintf(gk_u32_as_f32(a) * 16777216.0f);
  uint32_t m = a + 0xfffu + ((a >> 13) & 1u);
  return sign | ((m >> 13) - (112u << 10));
}

/* The half nearest to v >= 0 (not NaN), from a double. */
GK_INLINE uint32_t gk_double_to_half(double v) {
  if (v >= 65520.0)
    return 0x7c00u;
  if (v < 6.103515625e-05)
    return (uint32_t)__builtin_rint(v * 16777216.0);
  uint64_t a;
  __builtin_memcpy(&a, &v, 8);
  uint64_t m = a + ((1ull << 41) - 1) + ((a >> 42) & 1u);
  return (uint32_t)(m >> 42) - (1008u << 10);
}

/* The smallest half >= v (v >= 0, not NaN). */
GK_INLINE uint32_t gk_double_to_half_up(double v) {
  uint32_t h = gk_double_to_half(v);
  if ((h & 0x7fffu) < 0x7c00u && (double)gk_half_to_float(h) < v)
    ++h;
  return h;
}

GK_INLINE uint32_t gk_float_to_bf16(float f) {
  uint32_t bits = gk_f32_as_u32(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return (bits >> 16) | 0x40u;
  return (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
}

/*===----------------------------------------------------------------------===
 * Reductions (every lane of the warp / thread of the block calls them)
 *===----------------------------------------------------------------------===*/

GK_INLINE float gk_warp_sum(float v) {
  for (uint32_t m = GK_WARP / 2; m > 0; m /= 2)
    v += gk_shfl_xor_f32(v, m);
  return v;
}

/* The maximum; a NaN never replaces it (start from 0 or -inf). */
GK_INLINE float gk_warp_max(float v) {
  for (uint32_t m = GK_WARP / 2; m > 0; m /= 2) {
    float o = gk_shfl_xor_f32(v, m);
    v = o > v ? o : v;
  }
  return v;
}

GK_INLINE double gk_warp_sum_f64(double v) {
  for (uint32_t m = GK_WARP / 2; m > 0; m /= 2) {
    uint64_t b;
    __builtin_memcpy(&b, &v, 8);
    uint32_t lo = gk_shfl_xor_u32((uint32_t)b, m);
    uint32_t hi = gk_shfl_xor_u32((uint32_t)(b >> 32), m);
    uint64_t ob = ((uint64_t)hi << 32) | lo;
    double o;
    __builtin_memcpy(&o, &ob, 8);
    v += o;
  }
  return v;
}

/* Σ v over the block, returned to every thread. `red` is block-shared
 * memory of GK_WARP floats. */
GK_INLINE float gk_block_sum(float v, float *red) {
  v = gk_warp_sum(v);
  if (gk_lane() == 0)
    red[gk_warp()] = v;
  gk_barrier();
  float t = gk_lane() < gk_warps() ? red[gk_lane()] : 0.0f;
  t = gk_warp_sum(t);
  gk_barrier(); /* red may be written again after this */
  return t;
}

/*===----------------------------------------------------------------------===
 * Weight elements
 *===----------------------------------------------------------------------===*/

/* Whether the kernels decode `fmt` (with this `group`): the INGOT_W_*
 * formats but the interleaved x8 ones; the group formats need group > 0
 * and even. */
GK_INLINE int gk_weight_supported(int32_t fmt, int32_t group) {
  if (fmt >= INGOT_W_F32 && fmt <= INGOT_W_Q6_K)
    return 1;
  if (fmt >= INGOT_W_G8_SYM && fmt <= INGOT_W_G4_ASYM)
    return group > 0 && group % 2 == 0;
  return 0;
}

/* Whether `fmt` is stored in blocks of 32 or 256 elements with scales
 * (the quantized GGUF formats): their rows are read in units of 32. */
GK_INLINE int gk_is_blocked(int32_t fmt) {
  return fmt >= INGOT_W_Q8_0 && fmt <= INGOT_W_Q6_K;
}

/* Element j (< 32) of the 32-element unit u of a row of a blocked format,
 * as f32, with the float operations of uk_dequant_block. A lane that
 * decodes a whole unit loads its scales once (the loads are the same in
 * every j). */
/* The 6-bit scale and minimum of sub-block `is` (0..7) of a Q4_K / Q5_K
 * block, from its 12 packed bytes `scales`. */
GK_INLINE void gk_k_scale_min(const uint8_t *scales, int is, unsigned *sc,
                              unsigned *mn) {
  if (is < 4) {
    *sc = scales[is] & 63;
    *mn = scales[is + 4] & 63;
  } else {
    *sc = (scales[is + 4] & 0xfu) | ((unsigned)(scales[is - 4] >> 6) << 4);
    *mn = (unsigned)(scales[is + 4] >> 4) | ((unsigned)(scales[is] >> 6) << 4);
  }
}

/* Which of matmul_multi's three products output column c (of N0 + N1 + N2)
 * belongs to: its y, w, bias, column n within it and that product's N. */
GK_INLINE void gk_multi_column(int64_t c, float *y0, const void *w0,
                               const float *b0, int64_t N0, float *y1,
                               const void *w1, const float *b1, int64_t N1,
                               float *y2, const void *w2, const float *b2,
                               int64_t N2, float **y, const void **w,
                               const float **bias, int64_t *n, int64_t *N) {
  if (c >= N0 + N1) {
    *y = y2, *w = w2, *bias = b2, *n = c - N0 - N1, *N = N2;
  } else if (c >= N0) {
    *y = y1, *w = w1, *bias = b1, *n = c - N0, *N = N1;
  } else {
    *y = y0, *w = w0, *bias = b0, *n = c, *N = N0;
  }
}

GK_INLINE float gk_weight_unit(int32_t fmt, const uint8_t *row, int64_t u,
                               int j) {
  GK_NO_CONTRACT
  switch (fmt) {
  case INGOT_W_Q8_0: {
    const uint8_t *b = row + u * 34;
    return (float)(int8_t)b[2 + j] * gk_half_to_float(gk_rd16(b));
  }
  case INGOT_W_Q4_0: {
    const uint8_t *b = row + u * 18;
    int q = j < 16 ? (b[2 + j] & 0x0f) : (b[2 + j - 16] >> 4);
    return gk_half_to_float(gk_rd16(b)) * (float)(q - 8);
  }
  case INGOT_W_Q4_1: {
    const uint8_t *b = row + u * 20;
    int q = j < 16 ? (b[4 + j] & 0x0f) : (b[4 + j - 16] >> 4);
    return gk_half_to_float(gk_rd16(b)) * (float)q +
           gk_half_to_float(gk_rd16(b + 2));
  }
  case INGOT_W_Q5_0: {
    const uint8_t *b = row + u * 22;
    uint32_t high = gk_rd32(b + 2);
    int q = (j < 16 ? (b[6 + j] & 0x0f) : (b[6 + j - 16] >> 4)) |
            (int)(((high >> j) & 1u) << 4);
    return gk_half_to_float(gk_rd16(b)) * (float)(q - 16);
  }
  case INGOT_W_Q5_1: {
    const uint8_t *b = row + u * 24;
    uint32_t high = gk_rd32(b + 4);
    unsigned q = (j < 16 ? (b[8 + j] & 0x0fu) : (b[8 + j - 16] >> 4)) |
                 (((high >> j) & 1u) << 4);
    return gk_half_to_float(gk_rd16(b)) * (float)q +
           gk_half_to_float(gk_rd16(b + 2));
  }
  case INGOT_W_Q4_K:
  case INGOT_W_Q5_K: {
    /* Unit is (0..7) of a 256-element block: chunk c = is/2 of 64, its
     * low (is even) or high nibbles. */
    int five = fmt == INGOT_W_Q5_K;
    const uint8_t *b = row + (u / 8) * (five ? 176 : 144);
    int is = (int)(u % 8), c = is / 2, hi = is & 1;
    unsigned sc, mn;
    gk_k_scale_min(b + 4, is, &sc, &mn);
    float ds = gk_half_to_float(gk_rd16(b)) * (float)sc;
    float ms = gk_half_to_float(gk_rd16(b + 2)) * (float)mn;
    uint8_t byte = b[(five ? 48 : 16) + 32 * c + j];
    unsigned q = hi ? byte >> 4 : byte & 0x0fu;
    if (five)
      q |= ((unsigned)(b[16 + j] >> is) & 1u) << 4;
    return ds * (float)q - ms;
  }
  case INGOT_W_Q6_K: {
    /* Unit (0..7): half = unit / 4 of 128 elements, quarter = unit % 4. */
    const uint8_t *b = row + (u / 8) * 210;
    int unit = (int)(u % 8), half = unit / 4, quarter = unit % 4;
    const uint8_t *ql = b + 64 * half + (quarter & 1 ? 32 : 0);
    unsigned h = b[128 + 32 * half + j] >> (2 * quarter);
    unsigned lo = quarter < 2 ? ql[j] & 0x0fu : ql[j] >> 4;
    int q = (int)(lo | ((h & 3u) << 4)) - 32;
    const int8_t *sc = (const int8_t *)(b + 192 + 8 * half);
    return gk_half_to_float(gk_rd16(b + 208)) *
           (float)sc[j / 16 + 2 * quarter] * (float)q;
  }
  }
  return 0.0f;
}

/* Element k of a weight row (or an embedding row) of `fmt`, as f32, with
 * the float operations of uk_dequant_block (and uk_dequant_group_part).
 * A warp reading k = lane + 32·i reads consecutive bytes. */
GK_INLINE float gk_weight(int32_t fmt, int32_t group, const uint8_t *row,
                          int64_t k) {
  GK_NO_CONTRACT
  switch (fmt) {
  case INGOT_W_F32:
    return ((const float *)(const void *)row)[k];
  case INGOT_W_F16:
    return gk_half_to_float(((const uint16_t *)(const void *)row)[k]);
  case INGOT_W_BF16:
    return gk_bf16_to_float(((const uint16_t *)(const void *)row)[k]);
  case INGOT_W_G8_SYM:
  case INGOT_W_G8_ASYM:
  case INGOT_W_G4_SYM:
  case INGOT_W_G4_ASYM: {
    int sym = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G4_SYM;
    int eight = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G8_ASYM;
    int64_t rec = (eight ? group : group / 2) + (sym ? 2 : 4);
    const uint8_t *b = row + (k / group) * rec;
    int64_t j = k % group;
    float scale = gk_half_to_float(gk_rd16(b));
    float zero =
        sym ? (eight ? 128.0f : 8.0f) : gk_half_to_float(gk_rd16(b + 2));
    const uint8_t *codes = b + (sym ? 2 : 4);
    unsigned code =
        eight ? codes[j] : ((j & 1) ? codes[j / 2] >> 4 : codes[j / 2] & 0xfu);
    return scale * ((float)code - zero);
  }
  default:
    return gk_weight_unit(fmt, row, k / 32, (int)(k % 32));
  }
}

/* Bytes of one weight row of K elements (ingot_uk_row_bytes). */
GK_INLINE int64_t gk_row_bytes(int32_t fmt, int32_t group, int64_t K) {
  switch (fmt) {
  case INGOT_W_F32:
    return 4 * K;
  case INGOT_W_F16:
  case INGOT_W_BF16:
    return 2 * K;
  case INGOT_W_Q8_0:
    return K / 32 * 34;
  case INGOT_W_Q4_0:
    return K / 32 * 18;
  case INGOT_W_Q4_1:
    return K / 32 * 20;
  case INGOT_W_Q5_0:
    return K / 32 * 22;
  case INGOT_W_Q5_1:
    return K / 32 * 24;
  case INGOT_W_Q4_K:
    return K / 256 * 144;
  case INGOT_W_Q5_K:
    return K / 256 * 176;
  case INGOT_W_Q6_K:
    return K / 256 * 210;
  case INGOT_W_G8_SYM:
    return group > 0 ? K / group * (group + 2) : 0;
  case INGOT_W_G8_ASYM:
    return group > 0 ? K / group * (group + 4) : 0;
  case INGOT_W_G4_SYM:
    return group > 0 ? K / group * (group / 2 + 2) : 0;
  case INGOT_W_G4_ASYM:
    return group > 0 ? K / group * (group / 2 + 4) : 0;
  }
  return 0;
}

#endif /* INGOT_COMPILER_UKERNELS_GPU_GK_COMMON_H */
