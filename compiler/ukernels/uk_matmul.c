/*===- uk_matmul.c - Matmul and grouped (expert) matmul -------------------===
 *
 * y = x · wᵀ with w in any weight format. Threads split the output columns
 * (weight rows). The portable path dequantizes one weight block at a time
 * to f32 and dots it with up to UK_MT activation rows, so each weight byte
 * is read once per UK_MT rows.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

int64_t ingot_uk_row_bytes(int32_t fmt, int32_t group, int64_t K) {
  int64_t be = uk_block_elems(fmt, group);
  if (fmt == INGOT_W_F32 || fmt == INGOT_W_F16 || fmt == INGOT_W_BF16)
    return uk_block_bytes(fmt, K);
  if (be <= 0)
    return 0;
  return (K / be) * uk_block_bytes(fmt, be);
}

/* Activation rows per pass over a weight row. */
#define UK_MT 4

/* sum a[i] * b[i] for i < n in f32, eight partial sums. */
static inline float uk_dot_f32(const float *a, const float *b, int64_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      s[j] += a[i + j] * b[i + j];
  for (; i < n; ++i)
    s[i & 7] += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* Dequantizes elements [start, start + cnt) of the group record `rec`. */
static inline void uk_dequant_group_part(int32_t fmt, const uint8_t *rec,
                                         int64_t start, int64_t cnt,
                                         float *out) {
  int sym = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G4_SYM;
  int eight = fmt == INGOT_W_G8_SYM || fmt == INGOT_W_G8_ASYM;
  float scale = uk_half_to_float(uk_rd16(rec));
  float zero = sym ? (eight ? 128.0f : 8.0f) : uk_half_to_float(uk_rd16(rec + 2));
  const uint8_t *codes = rec + (sym ? 2 : 4);
  for (int64_t i = 0; i < cnt; ++i) {
    int64_t e = start + i;
    unsigned code =
        eight ? codes[e] : ((e & 1) ? codes[e / 2] >> 4 : codes[e / 2] & 0xfu);
    out[i] = scale * ((float)code - zero);
  }
}

/* Portable path: columns [n0, n1) of y[M][ldy] from rows of x[M][K]. */
static void uk_matmul_generic(float *y, const float *x, const uint8_t *w,
                              const float *bias, int64_t M, int64_t K,
                              int32_t fmt, int32_t group, int64_t ldy,
                              int64_t n0, int64_t n1) {
  int64_t rb = ingot_uk_row_bytes(fmt, group, K);
  int64_t be = uk_block_elems(fmt, group);
  int grouped = fmt >= INGOT_W_G8_SYM;
  int64_t part = grouped ? (be < 256 ? be : 256) : be;
  float blk[256] __attribute__((aligned(64)));
  for (int64_t m0 = 0; m0 < M; m0 += UK_MT) {
    int64_t mt = M - m0 < UK_MT ? M - m0 : UK_MT;
    for (int64_t n = n0; n < n1; ++n) {
      const uint8_t *row = w + n * rb;
      float acc[UK_MT] = {0};
      for (int64_t k = 0; k < K; k += be) {
        int64_t cnt = K - k < be ? K - k : be;
        for (int64_t p = 0; p < cnt; p += part) {
          int64_t pc = cnt - p < part ? cnt - p : part;
          const float *src = blk;
          if (fmt == INGOT_W_F32)
            src = (const float *)(const void *)row;
          else if (grouped)
            uk_dequant_group_part(fmt, row, p, pc, blk);
          else
            uk_dequant_block(fmt, row, cnt, blk);
          for (int64_t mm = 0; mm < mt; ++mm)
            acc[mm] += uk_dot_f32(src, x + (m0 + mm) * K + k + p, pc);
        }
        row += uk_block_bytes(fmt, cnt);
      }
      for (int64_t mm = 0; mm < mt; ++mm)
        y[(m0 + mm) * ldy + n] = acc[mm] + (bias ? bias[n] : 0.0f);
    }
  }
}

void ingot_uk_matmul(float *y, const float *x, const void *w,
                     const float *bias, int64_t M, int64_t N, int64_t K,
                     int32_t fmt, int32_t group, void *scratch,
                     ingot_uk_sync *sync, int32_t ith, int32_t nth) {
  (void)scratch;
  (void)sync;
  int64_t n0, n1;
  uk_split(N, ith, nth, &n0, &n1);
  uk_matmul_generic(y, x, (const uint8_t *)w, bias, M, K, fmt, group, N, n0,
                    n1);
}

void ingot_uk_grouped_matmul(float *y, const float *x, const void *w,
                             const int32_t *expert_offsets, int64_t E,
                             int64_t N, int64_t K, int32_t fmt, int32_t group,
                             void *scratch, ingot_uk_sync *sync, int32_t ith,
                             int32_t nth) {
  (void)scratch;
  (void)sync;
  int64_t n0, n1;
  uk_split(N, ith, nth, &n0, &n1);
  int64_t mat = N * ingot_uk_row_bytes(fmt, group, K);
  for (int64_t e = 0; e < E; ++e) {
    int64_t r0 = expert_offsets[e], r1 = expert_offsets[e + 1];
    if (r1 <= r0)
      continue;
    uk_matmul_generic(y + r0 * N, x + r0 * K, (const uint8_t *)w + e * mat,
                      NULL, r1 - r0, K, fmt, group, N, n0, n1);
  }
}
