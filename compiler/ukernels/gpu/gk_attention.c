/*===- gk_attention.c - Attention over a KV cache on the GPU --------------===
 *
 * One block per (query, head) pair (pairs go round the grid). The block
 * whose head is the first of its KV group first writes its token's new k
 * and v entries into the caches (warp 0). Then each warp takes every
 * GK_ATT_WARPS-th key of the query's range with an online softmax: its
 * lanes hold the features d = lane + 32·t (D <= GK_ATT_MAX_D), the score
 * is a warp sum, the running maximum, sum and value accumulator stay in
 * registers. The warps' partial results meet in shared memory at the end.
 *
 * Blocks never read the entries other blocks write: a key at a position of
 * this call's new tokens (>= start) is taken from k / v and rounded
 * through the cache's encoding right there, which gives exactly the value
 * the stored entry decodes to. So no grid-wide barrier is needed.
 *
 * KV formats: f32, f16, bf16, q8, q4, tq4, tq3, with the CPU kernel's
 * encodings bit for bit. q8/q4 need D < 32 or D % 32 == 0 (their blocks of
 * min(32, D)). `numerics` is ignored: the CUDA target computes
 * INGOT_NUMERICS_EXACT only.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/gpu/gk_common.h"
#include "compiler/ukernels/gpu/gk_kernels.h"

/* Largest head size; features per lane. */
#define GK_ATT_MAX_D 256
#define GK_ATT_SLICES (GK_ATT_MAX_D / GK_WARP)
/* Warps that take keys (the rest of a larger block only merges). */
#define GK_ATT_WARPS 8

GK_INLINE int64_t gk_kv_entry_bytes(int32_t fmt, int64_t D) {
  int64_t B = D < 32 ? D : 32;
  switch (fmt) {
  case INGOT_KV_F32:
    return 4 * D;
  case INGOT_KV_F16:
  case INGOT_KV_BF16:
    return 2 * D;
  case INGOT_KV_Q8:
    return D + 2 * (D / B);
  case INGOT_KV_Q4:
    return (4 * D + 7) / 8 + 2 * (D / B);
  case INGOT_KV_TQ4:
    return (4 * D + 7) / 8 + 2;
  case INGOT_KV_TQ3:
    return (3 * D + 7) / 8 + 2;
  }
  return 0;
}

/* Element d of a stored entry. */
GK_INLINE float gk_kv_elem(int32_t fmt, const float *book, const uint8_t *e,
                           int64_t D, int64_t d) {
  int64_t B = D < 32 ? D : 32;
  switch (fmt) {
  case INGOT_KV_F32:
    return ((const float *)(const void *)e)[d];
  case INGOT_KV_F16:
    return gk_half_to_float(((const uint16_t *)(const void *)e)[d]);
  case INGOT_KV_BF16:
    return gk_bf16_to_float(((const uint16_t *)(const void *)e)[d]);
  case INGOT_KV_Q8: {
    const uint8_t *b = e + (d / B) * (2 + B);
    return (float)(int8_t)b[2 + d % B] * gk_half_to_float(gk_rd16(b));
  }
  case INGOT_KV_Q4: {
    const uint8_t *b = e + (d / B) * (2 + B / 2);
    int64_t i = d % B;
    unsigned c = (i & 1) ? b[2 + i / 2] >> 4 : b[2 + i / 2] & 0xfu;
    return (float)((int)c - 8) * gk_half_to_float(gk_rd16(b));
  }
  case INGOT_KV_TQ4:
    return gk_half_to_float(gk_rd16(e)) *
           book[(e[2 + d / 2] >> (4 * (d & 1))) & 0xf];
  case INGOT_KV_TQ3: {
    int64_t bit = 3 * d;
    unsigned v = e[2 + bit / 8] >> (bit % 8);
    if (bit % 8 > 5)
      v |= (unsigned)e[2 + bit / 8 + 1] << (8 - bit % 8);
    return gk_half_to_float(gk_rd16(e)) * book[v & 7];
  }
  }
  return 0.0f;
}

/* The level of book[L] nearest to u (the first of equals). */
GK_INLINE unsigned gk_nearest_level(double u, const float *book, int L) {
  unsigned best = 0;
  for (int i = 1; i < L; ++i)
    if (__builtin_fabs(u - (double)book[i]) <
        __builtin_fabs(u - (double)book[best]))
      best = (unsigned)i;
  return best;
}

/* q8 / q4: the code of value v (this lane's feature of a block, zero for
 * lanes past D) and its block's scale as half bits (0 when the block's
 * maximum gives no usable scale): the whole warp, one block per call (the
 * block is the warp's 32 lanes, or all D < 32 of them). */
GK_INLINE void gk_kv_q_code(int eight, float v, int valid, uint32_t *scale,
                            int32_t *code) {
  GK_NO_CONTRACT
  double maxLevel = eight ? 127.0 : 7.0;
  float a = __builtin_fabsf(v);
  a = a > 0.0f && valid ? a : 0.0f; /* a NaN never becomes the maximum */
  float maxAbs = gk_warp_max(a);
  uint32_t sh = gk_double_to_half_up((double)maxAbs / maxLevel);
  double s = (double)gk_half_to_float(sh);
  int ok = s != 0.0 && s - s == 0.0;
  int q = 0;
  if (ok && valid) {
    double r = __builtin_rint((double)v / s);
    r = r < -maxLevel ? -maxLevel : (r > maxLevel ? maxLevel : r);
    q = (int)r;
  }
  *scale = ok ? sh : 0;
  *code = q;
}

/* tq4 / tq3: the norm of x[D] (the whole warp). */
GK_INLINE double gk_kv_tq_norm(const float *x, int64_t D) {
  GK_NO_CONTRACT
  double ss = 0.0;
  for (int64_t d = gk_lane(); d < D; d += GK_WARP)
    ss += (double)x[d] * (double)x[d];
  return __builtin_sqrt(gk_warp_sum_f64(ss));
}

/* This lane's features of the head vector x[D] as the cache stores them
 * (rounded through format `fmt`; zero past D): the whole warp. */
GK_INLINE void gk_kv_round(int32_t fmt, const float *book, const float *x,
                           int64_t D, float out[GK_ATT_SLICES]) {
  uint32_t lane = gk_lane();
  double norm = 0.0;
  float normHalf = 0.0f;
  if (fmt == INGOT_KV_TQ4 || fmt == INGOT_KV_TQ3) {
    norm = gk_kv_tq_norm(x, D);
    normHalf = gk_half_to_float(norm == 0.0 ? 0 : gk_double_to_half(norm));
  }
  GK_UNROLL
  for (int t = 0; t < GK_ATT_SLICES; ++t) {
    int64_t d = lane + GK_WARP * t;
    float v = d < D ? x[d] : 0.0f, r = 0.0f;
    if (t * GK_WARP < D) { /* the same in every lane */
      switch (fmt) {
      case INGOT_KV_F32:
        r = v;
        break;
      case INGOT_KV_F16:
        r = gk_half_to_float(gk_float_to_half(v));
        break;
      case INGOT_KV_BF16:
        r = gk_bf16_to_float(gk_float_to_bf16(v));
        break;
      case INGOT_KV_Q8:
      case INGOT_KV_Q4: {
        uint32_t sh;
        int32_t q;
        gk_kv_q_code(fmt == INGOT_KV_Q8, v, d < D, &sh, &q);
        r = (float)q * gk_half_to_float(sh);
        break;
      }
      case INGOT_KV_TQ4:
      case INGOT_KV_TQ3: {
        unsigned idx = d < D && norm != 0.0
                           ? gk_nearest_level((double)v / norm, book,
                                              fmt == INGOT_KV_TQ4 ? 16 : 8)
                           : 0;
        r = normHalf * book[idx];
        break;
      }
      }
    }
    out[t] = d < D ? r : 0.0f;
  }
}

/* Writes x[D] as one entry of `fmt` at dst: the whole warp, one block (or
 * slice of 32 features) at a time; `codes` is block-shared memory of
 * GK_ATT_MAX_D bytes for this warp. */
GK_INLINE void gk_kv_store(int32_t fmt, const float *book, const float *x,
                           int64_t D, uint8_t *dst, uint8_t *codes) {
  GK_NO_CONTRACT
  uint32_t lane = gk_lane();
  if (fmt == INGOT_KV_F32 || fmt == INGOT_KV_F16 || fmt == INGOT_KV_BF16) {
    for (int64_t d = lane; d < D; d += GK_WARP) {
      if (fmt == INGOT_KV_F32)
        ((float *)(void *)dst)[d] = x[d];
      else if (fmt == INGOT_KV_F16)
        ((uint16_t *)(void *)dst)[d] = (uint16_t)gk_float_to_half(x[d]);
      else
        ((uint16_t *)(void *)dst)[d] = (uint16_t)gk_float_to_bf16(x[d]);
    }
    return;
  }
  if (fmt == INGOT_KV_Q8 || fmt == INGOT_KV_Q4) {
    int eight = fmt == INGOT_KV_Q8;
    int64_t B = D < 32 ? D : 32;
    for (int64_t b0 = 0; b0 < D; b0 += GK_WARP) { /* one block */
      int64_t d = b0 + lane;
      uint32_t sh;
      int32_t q;
      gk_kv_q_code(eight, d < D ? x[d] : 0.0f, d < D, &sh, &q);
      uint8_t *b = dst + (b0 / B) * (2 + (eight ? B : B / 2));
      if (lane == 0) {
        b[0] = (uint8_t)(sh & 0xff);
        b[1] = (uint8_t)(sh >> 8);
      }
      if (eight) {
        if (d < D)
          b[2 + lane] = (uint8_t)(int8_t)q;
        continue;
      }
      uint32_t mine = d < D ? (uint32_t)(q + 8) : 0u;
      uint32_t next = gk_shfl_xor_u32(mine, 1);
      if (d < D && (lane & 1) == 0)
        b[2 + lane / 2] = (uint8_t)(mine | (next << 4));
    }
    return;
  }
  /* tq4 / tq3: indices through shared memory, then each lane packs bytes. */
  int bits = fmt == INGOT_KV_TQ4 ? 4 : 3;
  double norm = gk_kv_tq_norm(x, D);
  uint32_t nh = norm == 0.0 ? 0 : gk_double_to_half(norm);
  if (lane == 0) {
    dst[0] = (uint8_t)(nh & 0xff);
    dst[1] = (uint8_t)(nh >> 8);
  }
  for (int64_t d = lane; d < D; d += GK_WARP)
    codes[d] = (uint8_t)(norm == 0.0 ? 0
                                     : gk_nearest_level((double)x[d] / norm,
                                                        book, 1 << bits));
  gk_warp_sync();
  int64_t bytes = (bits * D + 7) / 8;
  for (int64_t b = lane; b < bytes; b += GK_WARP) {
    unsigned byte = 0;
    for (int64_t e = 8 * b / bits; e < D && e * bits < 8 * b + 8; ++e) {
      int64_t at = e * bits - 8 * b;
      byte |= at >= 0 ? (unsigned)codes[e] << at : (unsigned)codes[e] >> -at;
    }
    dst[2 + b] = (uint8_t)byte;
  }
  gk_warp_sync(); /* codes is written again by the next store */
}

/* One key's step of the online softmax: its score `dot` scaled (and
 * soft-capped) joins the running maximum *m and sum *s; the accumulator is
 * then to be multiplied by *shrink and the key's value added times *pe. */
GK_INLINE void gk_att_weight(float dot, float scale, float softcap, float *m,
                             float *s, float *shrink, float *pe) {
  float sc = dot * scale;
  if (softcap > 0.0f)
    sc = softcap * gk_tanhf(sc / softcap);
  float mn = sc > *m ? sc : *m;
  *shrink = gk_expf(*m - mn);
  *pe = gk_expf(sc - mn);
  *s = *s * *shrink + *pe;
  *m = mn;
}

GK_KERNEL ingot_gk_attention(float *out, const float *q, const float *k,
                             const float *v, void *kcache, void *vcache,
                             int64_t n, int64_t start, int64_t Hq, int64_t Hkv,
                             int64_t D, float scale, int32_t mask,
                             int64_t window, float softcap, int32_t kfmt,
                             int32_t vfmt, const float *kbook,
                             const float *vbook, int32_t numerics) {
  (void)numerics;
  if (D > GK_ATT_MAX_D) { /* the compiler refuses such heads */
    for (int64_t e = (int64_t)gk_block_id() * gk_block_dim() + gk_thread_id();
         e < n * Hq * D; e += (int64_t)gk_grid_dim() * gk_block_dim())
      out[e] = __builtin_nanf("");
    return;
  }
  GK_SHARED(float, warpMax, GK_ATT_WARPS);
  GK_SHARED(float, warpSum, GK_ATT_WARPS);
  GK_SHARED(float, warpAcc, GK_ATT_WARPS *GK_ATT_MAX_D);
  GK_SHARED(uint8_t, codes, GK_ATT_MAX_D);
  int64_t kbytes = gk_kv_entry_bytes(kfmt, D);
  int64_t vbytes = gk_kv_entry_bytes(vfmt, D);
  uint8_t *kc = (uint8_t *)kcache, *vc = (uint8_t *)vcache;
  int64_t group = Hq / Hkv, total = start + n;
  uint32_t warp = gk_warp(), lane = gk_lane();
  uint32_t keyWarps = gk_warps() < GK_ATT_WARPS ? gk_warps() : GK_ATT_WARPS;
  for (int64_t p = gk_block_id(); p < n * Hq; p += gk_grid_dim()) {
    int64_t i = p / Hq, h = p % Hq, kvh = h / group, qpos = start + i;
    if (h % group == 0 && warp == 0) {
      int64_t slot = qpos * Hkv + kvh;
      gk_kv_store(kfmt, kbook, k + (i * Hkv + kvh) * D, D, kc + slot * kbytes,
                  codes);
      gk_kv_store(vfmt, vbook, v + (i * Hkv + kvh) * D, D, vc + slot * vbytes,
                  codes);
    }
    int64_t j0 = 0, j1 = total;
    if (mask != INGOT_MASK_NONE)
      j1 = qpos + 1;
    if (mask == INGOT_MASK_SLIDING_WINDOW && qpos - window + 1 > 0)
      j0 = qpos - window + 1;
    float qv[GK_ATT_SLICES], acc[GK_ATT_SLICES];
    GK_UNROLL
    for (int t = 0; t < GK_ATT_SLICES; ++t) {
      int64_t d = lane + GK_WARP * t;
      qv[t] = d < D ? q[p * D + d] : 0.0f;
      acc[t] = 0.0f;
    }
    float m = -__builtin_inff(), s = 0.0f;
    if (warp < keyWarps) {
      /* Cached keys [j0, min(j1, start)): decoded element by element. */
      int64_t jc = j1 < start ? j1 : start;
      for (int64_t j = j0 + warp; j < jc; j += keyWarps) {
        const uint8_t *ke = kc + (j * Hkv + kvh) * kbytes;
        const uint8_t *ve = vc + (j * Hkv + kvh) * vbytes;
        float dot = 0.0f;
        GK_UNROLL
        for (int t = 0; t < GK_ATT_SLICES; ++t) {
          int64_t d = lane + GK_WARP * t;
          if (d < D)
            dot += qv[t] * gk_kv_elem(kfmt, kbook, ke, D, d);
        }
        float shrink, pe;
        gk_att_weight(gk_warp_sum(dot), scale, softcap, &m, &s, &shrink, &pe);
        GK_UNROLL
        for (int t = 0; t < GK_ATT_SLICES; ++t) {
          int64_t d = lane + GK_WARP * t;
          float e = d < D ? gk_kv_elem(vfmt, vbook, ve, D, d) : 0.0f;
          acc[t] = acc[t] * shrink + pe * e;
        }
      }
      /* This call's keys [max(j0, start), j1): rounded from k and v. */
      for (int64_t j = (j0 > start ? j0 : start) + warp; j < j1;
           j += keyWarps) {
        float kv[GK_ATT_SLICES], vv[GK_ATT_SLICES];
        gk_kv_round(kfmt, kbook, k + ((j - start) * Hkv + kvh) * D, D, kv);
        float dot = 0.0f;
        GK_UNROLL
        for (int t = 0; t < GK_ATT_SLICES; ++t)
          dot += qv[t] * kv[t];
        float shrink, pe;
        gk_att_weight(gk_warp_sum(dot), scale, softcap, &m, &s, &shrink, &pe);
        gk_kv_round(vfmt, vbook, v + ((j - start) * Hkv + kvh) * D, D, vv);
        GK_UNROLL
        for (int t = 0; t < GK_ATT_SLICES; ++t)
          acc[t] = acc[t] * shrink + pe * vv[t];
      }
      if (lane == 0) {
        warpMax[warp] = m;
        warpSum[warp] = s;
      }
      GK_UNROLL
      for (int t = 0; t < GK_ATT_SLICES; ++t) {
        int64_t d = lane + GK_WARP * t;
        if (d < D)
          warpAcc[warp * GK_ATT_MAX_D + d] = acc[t];
      }
    }
    gk_barrier();
    float M = -__builtin_inff();
    for (uint32_t w = 0; w < keyWarps; ++w)
      if (warpSum[w] > 0.0f && warpMax[w] > M)
        M = warpMax[w];
    float den = 0.0f;
    for (uint32_t w = 0; w < keyWarps; ++w)
      if (warpSum[w] > 0.0f)
        den += warpSum[w] * gk_expf(warpMax[w] - M);
    for (int64_t d = gk_thread_id(); d < D; d += gk_block_dim()) {
      float num = 0.0f;
      for (uint32_t w = 0; w < keyWarps; ++w)
        if (warpSum[w] > 0.0f)
          num += warpAcc[w * GK_ATT_MAX_D + d] * gk_expf(warpMax[w] - M);
      out[p * D + d] = num / den;
    }
    gk_barrier(); /* the shared partials are written again */
  }
}
