/*===- ukernels.h - The kernels generated code calls -----------------------===
 *
 * The ABI between code ingotc generates and the ukernel library. The
 * library (the C sources in compiler/ukernels) is compiled by clang to LLVM bitcode once
 * per ISA family when ingotc is built, embedded in ingotc, and linked into
 * every generated module, where LLVM inlines the calls and specializes them
 * with the model's constant shapes and formats. It is also built natively
 * (IngotUKernels) for the unit tests.
 *
 * Execution model: the generated forward function runs on every thread of
 * a pool at once (SPMD). Each kernel takes the caller's thread index `ith`
 * and the thread count `nth`, does its share of the work, and returns; the
 * generated code calls ingot_uk_barrier between kernels whose data depend on
 * each other. Kernels that need all threads to see an intermediate result
 * (a matmul's quantized activations) call the barrier themselves, so every
 * thread must call every kernel.
 *
 * Shapes are int64_t, pointers are to contiguous row-major data. All
 * pointers the generated code passes are 64-byte aligned. Nothing here
 * allocates, locks, or touches anything but its arguments.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_UKERNELS_H
#define INGOT_UKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bump when a signature, format number or layout here changes. */
#define INGOT_UK_ABI_VERSION 1

/* The most threads one forward call may use (sizes per-thread scratch). */
#define INGOT_UK_MAX_THREADS 64

/*===----------------------------------------------------------------------===
 * Thread synchronization
 *===----------------------------------------------------------------------===*/

/* A reusable spinning barrier for `nth` threads; zero-initialized memory is
 * a valid barrier. 64 bytes, 64-aligned. */
typedef struct ingot_uk_sync {
  int32_t arrived; /* atomic */
  int32_t phase;   /* atomic */
  int32_t pad[14]; /* pad[0]: threads asleep in the barrier (atomic) */
} ingot_uk_sync;

/* Returns when all `nth` threads have called it (nth == 1: at once). */
void ingot_uk_barrier(ingot_uk_sync *sync, int32_t nth);

/*===----------------------------------------------------------------------===
 * Weight formats
 *
 * A weight matrix [N][K] (N output rows, K inputs) is stored row after row;
 * each row is K / block elements' worth of blocks in the format's GGUF
 * layout (ggml's block_q8_0, block_q4_0, ... byte for byte), or plain
 * f32/f16/bf16 values, or group records (see INGOT_W_GROUP*). Expert weights
 * [E][N][K] are E such matrices back to back.
 *===----------------------------------------------------------------------===*/

enum {
  INGOT_W_F32 = 0,
  INGOT_W_F16 = 1,
  INGOT_W_BF16 = 2,
  INGOT_W_Q8_0 = 3, /* 32 elements, 34 bytes: f16 d, int8 q[32] */
  INGOT_W_Q4_0 = 4, /* 32 elements, 18 bytes: f16 d, nibbles (x = d*(q-8)) */
  INGOT_W_Q4_1 = 5, /* 32 elements, 20 bytes: f16 d, f16 m, nibbles */
  INGOT_W_Q5_0 = 6,
  INGOT_W_Q5_1 = 7,
  INGOT_W_Q4_K = 8, /* 256 elements, 144 bytes */
  INGOT_W_Q5_K = 9, /* 256 elements, 176 bytes */
  INGOT_W_Q6_K = 10, /* 256 elements, 210 bytes */
  /* Group records (#ingot.group): per group of `group` elements
   * [f16 scale][f16 zero, ASYM only][codes]; 8-bit codes one per byte,
   * 4-bit two per byte (element 2i in the low nibble); element =
   * scale * (u - zero) with zero = 2^(bits-1) when symmetric. */
  INGOT_W_G8_SYM = 11,
  INGOT_W_G8_ASYM = 12,
  INGOT_W_G4_SYM = 13,
  INGOT_W_G4_ASYM = 14,
  /* Q4_0 rows interleaved by 8 (the compiler repacks Q4_0 matrices with
   * N % 8 == 0 and K % 32 == 0 for the AVX2 kernels): for each group of 8
   * rows and each 32-element block, 144 bytes: the 8 rows' f16 scales d,
   * then 4 × 32 bytes where byte 32L + 4r + i is byte 4L + i of row r's
   * Q4_0 block codes (elements 4L + i in the low nibble, 4L + 16 + i in the
   * high one). */
  INGOT_W_Q4_0X8 = 15,
  /* Q8_0 rows interleaved by 8 likewise (not under --numerics=ggml, whose
   * llama.cpp keeps Q8_0 as it is on x86): per group of 8 rows and block,
   * 272 bytes: the 8 scales, then 8 × 32 bytes where byte 32L + 4r + i is
   * code 4L + i of row r. */
  INGOT_W_Q8_0X8 = 16,
  /* Q4_1 rows interleaved by 8 likewise (not under --numerics=ggml): per
   * group and block, 160 bytes: the 8 scales d, the 8 minima m, then the
   * codes as in Q4_0X8 from byte 32. */
  INGOT_W_Q4_1X8 = 17,
};

/* Bytes of one row of K elements in format `fmt` (`group` is the group size
 * of the INGOT_W_G* formats, ignored otherwise). */
int64_t ingot_uk_row_bytes(int32_t fmt, int32_t group, int64_t K);

/* Scratch bytes ingot_uk_matmul / ingot_uk_grouped_matmul need for M rows
 * of K inputs (the activations in the kernel's own format). */
#define INGOT_UK_MATMUL_SCRATCH(M, K) ((int64_t)(M) * ((int64_t)(K) * 2 + 64) + 256)

/*===----------------------------------------------------------------------===
 * Kernels
 *===----------------------------------------------------------------------===*/

/* y[M][N] = x[M][K] · w[N][K]ᵀ (+ bias[N] when not null). `scratch` holds
 * INGOT_UK_MATMUL_SCRATCH(M, K) bytes shared by all threads. Calls the
 * barrier internally; y is complete for all threads only after the caller's
 * next barrier. A thread may still read `scratch` after others have
 * returned, so two matmuls with no barrier between them (e.g. the q, k, v
 * projections of one x) need separate scratch. */
void ingot_uk_matmul(float *y, const float *x, const void *w,
                     const float *bias, int64_t M, int64_t N, int64_t K,
                     int32_t fmt, int32_t group, void *scratch,
                     ingot_uk_sync *sync, int32_t ith, int32_t nth);

/* Up to three matmuls that read the same x (a layer's q, k and v
 * projections, or its gate and up projections): y_i[M][N_i] = x[M][K] ·
 * w_i[N_i][K]ᵀ (+ b_i[N_i] when not null), all in format `fmt`, with the
 * activations prepared once and the N0 + N1 + N2 columns shared out among
 * the threads together. N_i = 0 leaves matrix i out. Calls the barrier
 * internally like ingot_uk_matmul. */
void ingot_uk_matmul_multi(float *y0, const void *w0, const float *b0,
                           int64_t N0, float *y1, const void *w1,
                           const float *b1, int64_t N1, float *y2,
                           const void *w2, const float *b2, int64_t N2,
                           const float *x, int64_t M, int64_t K, int32_t fmt,
                           int32_t group, void *scratch, ingot_uk_sync *sync,
                           int32_t ith, int32_t nth);

/* y[n][D] = row ids[i] of table[V][D] in format `fmt`, as f32. An id
 * outside [0, V) gives a zero row. */
void ingot_uk_embedding(float *y, const int32_t *ids, int64_t n,
                        const void *table, int64_t V, int64_t D, int32_t fmt,
                        int32_t group, int32_t ith, int32_t nth);

/* Normalizations over the last dimension of rows x[rows][D]; y may be x.
 * rms: x / sqrt(mean(x²) + eps) * w.  layer: (x - mean) / sqrt(var + eps)
 * * w + b (b may be null). */
void ingot_uk_rms_norm(float *y, const float *x, const float *w,
                       int64_t rows, int64_t D, float eps, int32_t ith,
                       int32_t nth);
void ingot_uk_layer_norm(float *y, const float *x, const float *w,
                         const float *b, int64_t rows, int64_t D, float eps,
                         int32_t ith, int32_t nth);

/* Numerics of the kernels that have a choice (docs/numerics.md):
 * INGOT_NUMERICS_EXACT computes close to the reference evaluator (double
 * reductions, exact angles, f32 attention sums); INGOT_NUMERICS_GGML
 * rounds as GGML's CPU backend (llama.cpp) does, step for step, so that
 * outputs can be compared with llama.cpp's token for token. */
enum {
  INGOT_NUMERICS_EXACT = 0,
  INGOT_NUMERICS_GGML = 1,
};

/* ingot_uk_rms_norm with GGML's roundings: Σ of the f32 squares in
 * double, mean and 1/sqrt(mean + eps) in f32, y = (x · scale) · w. */
void ingot_uk_rms_norm_ggml(float *y, const float *x, const float *w,
                            int64_t rows, int64_t D, float eps, int32_t ith,
                            int32_t nth);

/* Rotary embedding of x[n][H][D] into y (may be x): pair i of the first
 * `rot` features (rot even, ≤ D) turns by angle pos[t] * inv_freq[i], and
 * cos/sin are multiplied by `mscale` (1 except YaRN). style 0 (neox): pair
 * (i, i + rot/2); style 1 (interleaved): pair (2i, 2i + 1). Features from
 * rot on are copied. The compiler folds theta, scaling and freq_factors into
 * inv_freq[rot/2]. */
void ingot_uk_rope(float *y, const float *x, const int32_t *pos, int64_t n,
                   int64_t H, int64_t D, int64_t rot, const float *inv_freq,
                   float mscale, int32_t style, int32_t ith, int32_t nth);

/* ingot_uk_rope with GGML's roundings: the angle of pair i is built in f32
 * as pos · theta_scale^i by repeated multiplication (divided by
 * freq_factors[i] when not null), cos and sin come from libm's cosf/sinf,
 * and y0 = fma(x0, cos, -(x1·sin)), y1 = fma(x0, sin, x1·cos). theta_scale
 * is powf(theta, -2/rot). */
void ingot_uk_rope_ggml(float *y, const float *x, const int32_t *pos, int64_t n,
                        int64_t H, int64_t D, int64_t rot, float theta_scale,
                        const float *freq_factors, int32_t style, int32_t ith,
                        int32_t nth);

/* KV-cache entry formats (one head vector of D elements per token and
 * head; layouts as #ingot.kv_quant documents them). */
enum {
  INGOT_KV_F32 = 0,
  INGOT_KV_F16 = 1,
  INGOT_KV_BF16 = 2,
  INGOT_KV_Q8 = 3,
  INGOT_KV_Q4 = 4,
  INGOT_KV_TQ4 = 5, /* f16 norm + 4-bit codebook indices, low nibble first */
  INGOT_KV_TQ3 = 6, /* f16 norm + 3-bit indices packed LSB first */
};

/* Bytes of one cache entry (one token, one head) of D elements. */
int64_t ingot_uk_kv_entry_bytes(int32_t kfmt, int64_t D);

/* Scratch floats per thread that ingot_uk_attention needs. */
#define INGOT_UK_ATTENTION_SCRATCH_FLOATS(CTX, D) ((int64_t)(CTX) + 4 * (int64_t)(D) + 64)

/* Attention with a KV cache. q[n][Hq][D]; k, v [n][Hkv][D] are the new
 * tokens' entries, written first into the caches at positions
 * start .. start+n-1 (cache layout [ctx][Hkv][entry bytes], kfmt / vfmt
 * encoding, `kbook` / `vbook` the 16- or 8-level codebooks of the TQ
 * formats, else null); then out[n][Hq][D] = softmax(softcap(scale·q·kᵀ) +
 * mask)·v over cache positions 0 .. start+i for query i (causal), or only
 * the last `window` of them (mask 2, sliding window), or all
 * start+n (mask 0). softcap <= 0: none. Query head h reads kv head
 * h / (Hq / Hkv). `scratch` holds nth × INGOT_UK_ATTENTION_SCRATCH_FLOATS
 * (ctx, D) floats. Calls the barrier internally. numerics
 * INGOT_NUMERICS_GGML with f16 caches computes as GGML's CPU flash attention:
 * queries rounded to f16, keys visited in order with a running maximum,
 * the value sum kept in f16 (docs/numerics.md); other caches ignore it. */
void ingot_uk_attention(float *out, const float *q, const float *k,
                        const float *v, void *kcache, void *vcache, int64_t n,
                        int64_t start, int64_t Hq, int64_t Hkv, int64_t D,
                        float scale, int32_t mask, int64_t window,
                        float softcap, int32_t kfmt, int32_t vfmt,
                        const float *kbook, const float *vbook,
                        int32_t numerics, float *scratch, ingot_uk_sync *sync,
                        int32_t ith, int32_t nth);

/* Elementwise over y[rows][cols]. b is broadcast when b_cols == 1 (one value
 * per row) or b_rows == 1 (one row for all rows). y may alias a or b. */
enum {
  INGOT_EW_ADD = 0,
  INGOT_EW_SUB = 1,
  INGOT_EW_MUL = 2,
  INGOT_EW_DIV = 3,
  INGOT_EW_MAX = 4,
  INGOT_EW_SILU_MUL = 5, /* silu(a) * b */
  INGOT_EW_GELU_MUL = 6, /* gelu(a) * b (erf form) */
  INGOT_EW_GELU_TANH_MUL = 7,
  INGOT_EW_SILU_MUL_GGML = 8, /* silu(a) * b with GGML's exp (numerics) */
};
void ingot_uk_binary(float *y, const float *a, const float *b, int64_t rows,
                     int64_t cols, int64_t b_rows, int64_t b_cols,
                     int32_t op, int32_t ith, int32_t nth);

enum {
  INGOT_UN_SILU = 0,
  INGOT_UN_SIGMOID = 1,
  INGOT_UN_GELU = 2,      /* erf form */
  INGOT_UN_GELU_TANH = 3,
  INGOT_UN_TANH = 4,
  INGOT_UN_EXP = 5,
  INGOT_UN_NEG = 6,
  INGOT_UN_RSQRT = 7,
  INGOT_UN_RELU = 8,
};
void ingot_uk_unary(float *y, const float *x, int64_t count, int32_t op,
                    int32_t ith, int32_t nth);

/* Positions: out[i] = base + i for i < n (a step's token positions). */
void ingot_uk_iota(int32_t *out, int64_t n, int64_t base, int32_t ith,
                   int32_t nth);

/* bytes bytes from src to dst (regions that do not overlap). */
void ingot_uk_copy(void *dst, const void *src, int64_t bytes, int32_t ith,
                   int32_t nth);

/* y[i] = x[i] limited to [lo, hi] (NaN kept), over count elements. */
void ingot_uk_clamp(float *y, const float *x, int64_t count, float lo,
                    float hi, int32_t ith, int32_t nth);

/* Seeded-sign orthonormal fast Walsh-Hadamard transform of each row of
 * x[rows][D] (D a power of two) into y (may be x): y = H·diag(signs)·x / √D,
 * or its inverse. signs[D] are ±1 (the compiler computes them from the
 * op's seed). */
void ingot_uk_hadamard(float *y, const float *x, int64_t rows, int64_t D,
                       const float *signs, int32_t inverse, int32_t ith,
                       int32_t nth);

/*===----------------------------------------------------------------------===
 * Mixture of experts (the sparse-gather form of --ingot-route-moe)
 *===----------------------------------------------------------------------===*/

enum { INGOT_ROUTE_TOP_K = 0, INGOT_ROUTE_TOP_P = 1, INGOT_ROUTE_THRESHOLD = 2 };
enum { INGOT_SCORE_SOFTMAX = 0, INGOT_SCORE_SIGMOID = 1 };

/* ingot.route on logits[n][E]: offsets[n+1], experts[], weights[] (CSR;
 * at most n * max_per_token pairs; highest score first). `k` for top-k,
 * `p` for top-p and threshold (the threshold), `max` caps top-p/threshold
 * (0: E). Single-threaded work: only thread 0 writes. */
void ingot_uk_route(int32_t *offsets, int32_t *experts, float *weights,
                    const float *logits, int64_t n, int64_t E, int32_t rule,
                    int32_t k, float p, int32_t max, int32_t scoring,
                    int32_t renormalize, int32_t ith, int32_t nth);

/* ingot.moe_sort: counting sort of the pairs of `offsets[n+1]` /
 * `experts[]` by expert. expert_offsets[E+1]; pairs[] (index of each sorted
 * pair in the CSR arrays) and tokens[] (its token). Thread 0 only. */
void ingot_uk_moe_sort(int32_t *expert_offsets, int32_t *pairs,
                       int32_t *tokens, const int32_t *offsets,
                       const int32_t *experts, int64_t n, int64_t E,
                       int32_t ith, int32_t nth);

/* y[i][D] = x[idx[i]][D] for i < count (D = 1 gathers scalars). */
void ingot_uk_gather_rows(float *y, const float *x, const int32_t *idx,
                          int64_t count, int64_t D, int32_t ith, int32_t nth);

/* Rows expert_offsets[e] .. expert_offsets[e+1]-1 of x[count][K] times
 * expert e's w[e][N][K]ᵀ into y[count][N]; experts with no rows are not
 * read. `scratch`: INGOT_UK_MATMUL_SCRATCH(count, K) bytes, as for
 * ingot_uk_matmul (count = expert_offsets[E]). Calls the barrier
 * internally. */
void ingot_uk_grouped_matmul(float *y, const float *x, const void *w,
                             const int32_t *expert_offsets, int64_t E,
                             int64_t N, int64_t K, int32_t fmt, int32_t group,
                             void *scratch, ingot_uk_sync *sync, int32_t ith,
                             int32_t nth);

/* y[n][D] = 0, then y[idx[i]] += scale[i] * x[i] for i < count (scale may
 * be null: 1). Rows of y are split over threads, so no two threads write
 * one row. */
void ingot_uk_scatter_add(float *y, const float *x, const int32_t *idx,
                          const float *scale, int64_t count, int64_t n,
                          int64_t D, int32_t ith, int32_t nth);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_UKERNELS_H */
