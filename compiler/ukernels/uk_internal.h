/*===- uk_internal.h - Helpers shared by the ukernel sources --------------===
 *
 * Number conversions (f16, bf16), the per-thread work split and the
 * weight-block dequantizers. Everything here is static inline so that each
 * ukernel source is self-contained once compiled to bitcode.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_UKERNELS_UK_INTERNAL_H
#define INGOT_UKERNELS_UK_INTERNAL_H

#include "compiler/ukernels/ukernels.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define UK_AVX2 1
/* Bitcode is built with -nostdlibinc (no target libc headers when cross
 * compiling): skip mm_malloc.h, the one part of immintrin.h that includes
 * <stdlib.h>. */
#ifndef __MM_MALLOC_H
#define __MM_MALLOC_H
#endif
#include <immintrin.h>
#else
#define UK_AVX2 0
#endif

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#define UK_DOTPROD 1
#include <arm_neon.h>
#else
#define UK_DOTPROD 0
#endif

#define UK_INLINE static inline __attribute__((always_inline))

/* First in a function body: no fused multiply-add there, even with
 * -ffp-contract=fast, where results must match the reference bit for bit
 * (dequantized weights, KV-cache encodings). GCC in ISO C mode (the native
 * test build) does not contract anyway. */
#if defined(__clang__)
#define UK_NO_CONTRACT _Pragma("clang fp contract(off)")
#else
#define UK_NO_CONTRACT
#endif

/* The share [*begin, *end) of `count` items of thread `ith` of `nth`. */
UK_INLINE void uk_split(int64_t count, int32_t ith, int32_t nth,
                        int64_t *begin, int64_t *end) {
  *begin = count * ith / nth;
  *end = count * (ith + 1) / nth;
}

UK_INLINE uint16_t uk_rd16(const uint8_t *p) {
  uint16_t v;
  __builtin_memcpy(&v, p, 2);
  return v;
}

UK_INLINE uint32_t uk_rd32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

UK_INLINE float uk_bits_to_float(uint32_t bits) {
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

UK_INLINE uint32_t uk_float_to_bits(float f) {
  uint32_t bits;
  __builtin_memcpy(&bits, &f, 4);
  return bits;
}

/* e^x as GGML's AVX2 build computes it in vectors of 8 (ggml_v_expf): the
 * exponent from a rounding shift, a two-part reduction, a degree-5
 * polynomial and a scale, with special scaling beyond |n| > 126. One lane
 * at a time: every step is elementwise, so the results equal the
 * vector's. */
UK_INLINE float uk_expf_ggml(float x) {
  UK_NO_CONTRACT
  const float r = 0x1.8p23f;
  float z = __builtin_fmaf(x, 0x1.715476p+0f, r);
  float nn = z - r;
  float b = __builtin_fmaf(-nn, 0x1.7f7d1cp-20f,
                           __builtin_fmaf(-nn, 0x1.62e4p-1f, x));
  uint32_t e = uk_float_to_bits(z) << 23;
  float k = uk_bits_to_float(e + uk_float_to_bits(1.0f));
  float u = b * b;
  float bb = 0x1.ffffecp-1f * b;
  float j = __builtin_fmaf(
      __builtin_fmaf(__builtin_fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                     __builtin_fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
      u, bb);
  float an = __builtin_fabsf(nn);
  if (!(an > 126.0f))
    return __builtin_fmaf(j, k, k);
  uint32_t g = nn <= 0.0f ? 0x82000000u : 0u;
  float s1 = uk_bits_to_float(g + 0x7f000000u);
  float s2 = uk_bits_to_float(e - g);
  if (an > 192.0f)
    return s1 * s1;
  return __builtin_fmaf(s2, j, s2) * s1;
}

/* IEEE half bits to float, exactly (subnormals, infinities, NaN). */
UK_INLINE float uk_half_to_float(uint16_t h) {
#if UK_AVX2
  return _cvtsh_ss(h);
#elif defined(__aarch64__)
  __fp16 f;
  __builtin_memcpy(&f, &h, 2);
  return (float)f;
#endif
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f)
    return uk_bits_to_float(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    /* man * 2^-24, exact in float. */
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return uk_bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
}

/* The half nearest to `v` (ties to even; overflow to infinity). */
UK_INLINE uint16_t uk_double_to_half(double v) {
  uint16_t sign = __builtin_signbit(v) ? 0x8000 : 0;
  double a = __builtin_fabs(v);
  if (__builtin_isnan(v))
    return sign | 0x7e00;
  if (a >= 65520.0)
    return sign | 0x7c00;
  if (a < 6.103515625e-05) /* 2^-14: subnormal range */
    return sign | (uint16_t)__builtin_rint(a * 16777216.0);
  int e;
  double m = __builtin_frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
  int q = (int)__builtin_rint(m * 2048.0); /* 1024 .. 2048 */
  return sign | (uint16_t)((((e - 1 + 15) << 10)) + (q - 1024));
}

/* The smallest half >= `v` (v >= 0, not NaN). */
UK_INLINE uint16_t uk_double_to_half_up(double v) {
  uint16_t h = uk_double_to_half(v);
  if ((h & 0x7fff) < 0x7c00 && (double)uk_half_to_float(h) < v)
    ++h;
  return h;
}

UK_INLINE uint16_t uk_float_to_half(float f) {
  return uk_double_to_half((double)f);
}

UK_INLINE float uk_bf16_to_float(uint16_t h) {
  return uk_bits_to_float((uint32_t)h << 16);
}

/* The bfloat16 nearest to `f` (ties to even). */
UK_INLINE uint16_t uk_float_to_bf16(float f) {
  uint32_t bits = uk_float_to_bits(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((bits >> 16) | 0x40);
  return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
}

/*===----------------------------------------------------------------------===
 * Weight blocks
 *===----------------------------------------------------------------------===*/

/* Elements per block of `fmt` (plain formats: 32, the last block of a row
 * may be shorter). */
UK_INLINE int64_t uk_block_elems(int32_t fmt, int32_t group) {
  switch (fmt) {
  case INGOT_W_Q4_K:
  case INGOT_W_Q5_K:
  case INGOT_W_Q6_K:
  case INGOT_W_Q2_K:
  case INGOT_W_Q3_K:
  case INGOT_W_IQ4_XS:
  case INGOT_W_Q4_KX8:
  case INGOT_W_Q5_KX8:
  case INGOT_W_Q6_KX8:
    return 256;
  case INGOT_W_G8_SYM:
  case INGOT_W_G8_ASYM:
  case INGOT_W_G4_SYM:
  case INGOT_W_G4_ASYM:
    return group;
  default:
    return 32;
  }
}

/* Bytes of one block of `n` elements of `fmt`. */
UK_INLINE int64_t uk_block_bytes(int32_t fmt, int64_t n) {
  switch (fmt) {
  case INGOT_W_F32:
    return 4 * n;
  case INGOT_W_F16:
  case INGOT_W_BF16:
    return 2 * n;
  case INGOT_W_Q8_0:
  case INGOT_W_Q8_0X8: /* per row and block, on average */
    return 34;
  case INGOT_W_Q4_0:
  case INGOT_W_Q4_0X8: /* per row and block, on average */
    return 18;
  case INGOT_W_Q4_1:
  case INGOT_W_Q4_1X8: /* per row and block, on average */
    return 20;
  case INGOT_W_Q5_0:
    return 22;
  case INGOT_W_Q5_1:
    return 24;
  case INGOT_W_Q4_K:
    return 144;
  case INGOT_W_Q5_K:
    return 176;
  case INGOT_W_Q4_KX8: /* per row and superblock, on average */
    return 148;
  case INGOT_W_Q5_KX8: /* per row and superblock, on average */
    return 180;
  case INGOT_W_Q6_K:
  case INGOT_W_Q6_KX8: /* per row and block, on average */
    return 210;
  case INGOT_W_Q2_K:
    return 84;
  case INGOT_W_Q3_K:
    return 110;
  case INGOT_W_IQ4_NL:
    return 18;
  case INGOT_W_IQ4_XS:
    return 136;
  case INGOT_W_G8_SYM:
    return n + 2;
  case INGOT_W_G8_ASYM:
    return n + 4;
  case INGOT_W_G4_SYM:
    return n / 2 + 2;
  case INGOT_W_G4_ASYM:
    return n / 2 + 4;
  }
  return 0;
}

UK_INLINE void uk_scale_min_k4(const uint8_t *q, int j, uint8_t *d,
                               uint8_t *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/* The 16 values an IQ4_NL / IQ4_XS code stands for (GGML's non-linear
 * 4-bit grid). */
static const int8_t uk_iq4_values[16] = {-127, -104, -83, -65, -49, -35,
                                         -22,  -10,  1,   13,  25,  38,
                                         53,   69,   89,  113};

/* Dequantizes one block of `n` elements (n < block only for the plain
 * formats' last block) into out[n], with the same float operations as
 * numerics/Dequantize.cpp and numerics/Quantize.cpp. */
UK_INLINE void uk_dequant_block(int32_t fmt, const uint8_t *b, int64_t n,
                                float *out) {
  UK_NO_CONTRACT
  switch (fmt) {
  case INGOT_W_F32:
    __builtin_memcpy(out, b, 4 * (size_t)n);
    return;
  case INGOT_W_F16:
    for (int64_t i = 0; i < n; ++i)
      out[i] = uk_half_to_float(uk_rd16(b + 2 * i));
    return;
  case INGOT_W_BF16:
    for (int64_t i = 0; i < n; ++i)
      out[i] = uk_bf16_to_float(uk_rd16(b + 2 * i));
    return;
  case INGOT_W_Q8_0: {
    float d = uk_half_to_float(uk_rd16(b));
    for (int i = 0; i < 32; ++i)
      out[i] = (float)(int8_t)b[2 + i] * d;
    return;
  }
  case INGOT_W_Q4_0: {
    float d = uk_half_to_float(uk_rd16(b));
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; ++j) {
      out[j] = d * (float)((qs[j] & 0x0f) - 8);
      out[j + 16] = d * (float)((qs[j] >> 4) - 8);
    }
    return;
  }
  case INGOT_W_Q4_1: {
    float d = uk_half_to_float(uk_rd16(b));
    float m = uk_half_to_float(uk_rd16(b + 2));
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; ++j) {
      out[j] = d * (float)(qs[j] & 0x0f) + m;
      out[j + 16] = d * (float)(qs[j] >> 4) + m;
    }
    return;
  }
  case INGOT_W_Q5_0: {
    float d = uk_half_to_float(uk_rd16(b));
    uint32_t high = uk_rd32(b + 2);
    const uint8_t *qs = b + 6;
    for (int j = 0; j < 16; ++j) {
      int lo = (qs[j] & 0x0f) | (int)(((high >> j) & 1) << 4);
      int hi = (qs[j] >> 4) | (int)(((high >> (j + 16)) & 1) << 4);
      out[j] = d * (float)(lo - 16);
      out[j + 16] = d * (float)(hi - 16);
    }
    return;
  }
  case INGOT_W_Q5_1: {
    float d = uk_half_to_float(uk_rd16(b));
    float m = uk_half_to_float(uk_rd16(b + 2));
    uint32_t high = uk_rd32(b + 4);
    const uint8_t *qs = b + 8;
    for (int j = 0; j < 16; ++j) {
      unsigned lo = (qs[j] & 0x0fu) | (((high >> j) & 1) << 4);
      unsigned hi = (qs[j] >> 4) | (((high >> (j + 16)) & 1) << 4);
      out[j] = d * (float)lo + m;
      out[j + 16] = d * (float)hi + m;
    }
    return;
  }
  case INGOT_W_Q4_K:
  case INGOT_W_Q5_K: {
    int five = fmt == INGOT_W_Q5_K;
    float d = uk_half_to_float(uk_rd16(b));
    float dmin = uk_half_to_float(uk_rd16(b + 2));
    const uint8_t *scales = b + 4;
    const uint8_t *qh = b + 16;
    const uint8_t *qs = b + (five ? 48 : 16);
    for (int c = 0; c < 4; ++c) {
      uint8_t sc0, m0, sc1, m1;
      uk_scale_min_k4(scales, 2 * c, &sc0, &m0);
      uk_scale_min_k4(scales, 2 * c + 1, &sc1, &m1);
      float d0 = d * (float)sc0, min0 = dmin * (float)m0;
      float d1 = d * (float)sc1, min1 = dmin * (float)m1;
      const uint8_t *q = qs + 32 * c;
      float *y = out + 64 * c;
      for (int l = 0; l < 32; ++l) {
        unsigned lo = q[l] & 0x0fu, hi = q[l] >> 4;
        if (five) {
          lo |= ((qh[l] >> (2 * c)) & 1u) << 4;
          hi |= ((qh[l] >> (2 * c + 1)) & 1u) << 4;
        }
        y[l] = d0 * (float)lo - min0;
        y[l + 32] = d1 * (float)hi - min1;
      }
    }
    return;
  }
  case INGOT_W_Q6_K: {
    float d = uk_half_to_float(uk_rd16(b + 208));
    for (int half = 0; half < 2; ++half) {
      const uint8_t *ql = b + 64 * half;
      const uint8_t *qh = b + 128 + 32 * half;
      const int8_t *sc = (const int8_t *)(b + 192 + 8 * half);
      float *y = out + 128 * half;
      for (int l = 0; l < 32; ++l) {
        int q0 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q1 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        int s = l / 16;
        y[l] = d * (float)sc[s] * (float)q0;
        y[l + 32] = d * (float)sc[s + 2] * (float)q1;
        y[l + 64] = d * (float)sc[s + 4] * (float)q2;
        y[l + 96] = d * (float)sc[s + 6] * (float)q3;
      }
    }
    return;
  }
  case INGOT_W_Q2_K: {
    /* Element 128h + 32s + l: bits 2s..2s+1 of code byte 32h + l; scale
     * byte (element / 16): low nibble the scale, high nibble the min. */
    float d = uk_half_to_float(uk_rd16(b + 80));
    float dmin = uk_half_to_float(uk_rd16(b + 82));
    for (int e = 0; e < 256; ++e) {
      int h = e / 128, s = (e / 32) % 4, l = e % 32;
      unsigned q = (b[16 + 32 * h + l] >> (2 * s)) & 3u;
      uint8_t sc = b[e / 16];
      out[e] = d * (float)(sc & 0xf) * (float)q - dmin * (float)(sc >> 4);
    }
    return;
  }
  case INGOT_W_Q3_K: {
    /* As Q2_K's codes, minus 4 where bit 4h + s of mask byte l is clear;
     * 16 signed 6-bit scales (low 4 bits: nibble j % 8 of bytes 96.., high
     * 2 bits: bits 2(j / 4) of byte 104 + j % 4), minus 32. */
    float d = uk_half_to_float(uk_rd16(b + 108));
    const uint8_t *sb = b + 96;
    for (int e = 0; e < 256; ++e) {
      int h = e / 128, s = (e / 32) % 4, l = e % 32, j = e / 16;
      int q = (b[32 + 32 * h + l] >> (2 * s)) & 3;
      if (!((b[l] >> (4 * h + s)) & 1))
        q -= 4;
      int lo = j < 8 ? sb[j] & 0xf : sb[j - 8] >> 4;
      int hi = (sb[8 + j % 4] >> (2 * (j / 4))) & 3;
      out[e] = d * (float)((lo | (hi << 4)) - 32) * (float)q;
    }
    return;
  }
  case INGOT_W_IQ4_NL: {
    float d = uk_half_to_float(uk_rd16(b));
    for (int j = 0; j < 16; ++j) {
      out[j] = d * (float)uk_iq4_values[b[2 + j] & 0xf];
      out[j + 16] = d * (float)uk_iq4_values[b[2 + j] >> 4];
    }
    return;
  }
  case INGOT_W_IQ4_XS: {
    /* Eight 32-element sub-blocks, each as an IQ4_NL block whose scale is
     * d·(ls − 32), ls 6 bits: its low 4 from nibble ib of bytes 4..7, its
     * high 2 from bits 2ib of the 16-bit word at byte 2. */
    float d = uk_half_to_float(uk_rd16(b));
    unsigned high = uk_rd16(b + 2);
    for (int ib = 0; ib < 8; ++ib) {
      int ls = ((b[4 + ib / 2] >> (4 * (ib % 2))) & 0xf) |
               (int)(((high >> (2 * ib)) & 3u) << 4);
      float dl = d * (float)(ls - 32);
      const uint8_t *qs = b + 8 + 16 * ib;
      for (int j = 0; j < 16; ++j) {
        out[32 * ib + j] = dl * (float)uk_iq4_values[qs[j] & 0xf];
        out[32 * ib + j + 16] = dl * (float)uk_iq4_values[qs[j] >> 4];
      }
    }
    return;
  }
  case INGOT_W_G8_SYM:
  case INGOT_W_G8_ASYM:
  case INGOT_W_G4_SYM:
  case INGOT_W_G4_ASYM: {
    int sym = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G4_SYM;
    int eight = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G8_ASYM;
    float scale = uk_half_to_float(uk_rd16(b));
    float zero = sym ? (eight ? 128.0f : 8.0f) : uk_half_to_float(uk_rd16(b + 2));
    const uint8_t *codes = b + (sym ? 2 : 4);
    for (int64_t i = 0; i < n; ++i) {
      unsigned code = eight ? codes[i]
                            : ((i & 1) ? codes[i / 2] >> 4 : codes[i / 2] & 0xfu);
      out[i] = scale * ((float)code - zero);
    }
    return;
  }
  }
}

/* Dequantizes the first K elements of a row of `fmt` into out[K]. */
UK_INLINE void uk_dequant_row(int32_t fmt, int32_t group, const uint8_t *row,
                              int64_t K, float *out) {
  int64_t be = uk_block_elems(fmt, group);
  for (int64_t k = 0; k < K; k += be) {
    int64_t n = K - k < be ? K - k : be;
    uk_dequant_block(fmt, row, n, out + k);
    row += uk_block_bytes(fmt, n);
  }
}

/* Row `id` of a table [V][K] in `fmt` as f32 into out[K], also out of a
 * format that interleaves rows by 8 (uk_matmul.c; the embedding's lookup
 * of a table shared with the matmul of the output head). */
void uk_dequant_table_row(int32_t fmt, int32_t group, const uint8_t *table,
                          int64_t id, int64_t K, float *out);

#endif /* INGOT_UKERNELS_UK_INTERNAL_H */
