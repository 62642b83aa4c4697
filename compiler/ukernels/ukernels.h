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
 * The kernels' signatures are declared once, with the LLVM IR type each
 * argument is passed as, in ukernels.def, which this header expands into
 * the prototypes below; ingotc checks the kernel library it links against
 * the same table (compiler/ukernels/UKernelABI.h). This header holds the
 * types and the constants the arguments take.
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

/*===----------------------------------------------------------------------===
 * Weight formats
 *
 * A weight matrix [N][K] (N output rows, K inputs) is stored row after row;
 * each row is K / block elements' worth of blocks in the format's GGUF
 * layout (ggml's block_q8_0, block_q4_0, ... byte for byte), or plain
 * f32/f16/bf16 values, or group records (see INGOT_W_G*). Expert weights
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
  /* Q4_K rows interleaved by 8 (the compiler repacks Q4_K matrices with
   * N % 8 == 0 and K % 256 == 0 for the AVX2 kernels): for each group of 8
   * rows and each 256-element superblock, 1184 bytes (148 per row):
   *   bytes    0..15: the 8 rows' f16 d;
   *   bytes   16..31: the 8 rows' f16 dmin;
   *   bytes   32..95: sc[j][r] at 32 + 8j + r, the 6-bit scale of row r's
   *                   sub-block j (elements 32j .. 32j + 31), one a byte;
   *   bytes  96..159: m[j][r] at 96 + 8j + r, its 6-bit minimum likewise;
   *   bytes 160..1183: the codes, for each of the 4 chunks c of 32 code
   *                   bytes of the Q4_K block, 256 bytes where byte
   *                   160 + 256c + 32L + 4r + i is byte 4L + i of row r's
   *                   chunk c (its low nibble element 64c + 4L + i, the
   *                   high one element 64c + 32 + 4L + i).
   * Element = d·sc_j·u − dmin·m_j, as Q4_K. */
  INGOT_W_Q4_KX8 = 18,
  /* Q5_K rows interleaved by 8 likewise: per group and superblock, 1440
   * bytes (180 per row): bytes 0..159 as in Q4_KX8, then the 5th bits:
   * byte 160 + 32L + 4r + i is qh byte 4L + i of row r (bit 2c: the 5th
   * bit of the low nibble of chunk c's byte 4L + i, bit 2c + 1: of the
   * high one), then from byte 416 the codes as in Q4_KX8 from 160. */
  INGOT_W_Q5_KX8 = 19,
  /* Q6_K rows interleaved by 8 (N % 8 == 0, K % 256 == 0; any numerics):
   * per group of 8 rows and 256-element block, 1680 bytes (Q6_K's 210 per
   * row), for row r's element e = d_r · sc_r[e/16] · (u_r[e] − 32), u the
   * 6-bit code:
   *   [0, 16)     the 8 rows' f16 d;
   *   [16, 144)   the int8 scales: byte 16 + 16c + 8h + 4s + i is the scale
   *               of elements 32c + 16s ... + 15 of row 4h + i;
   *   144 + 192c  for each 32 elements c < 8, 6 × 32 bytes: bits 0-5 of
   *               byte 32(3s + L) + 4r + i (s < 2, L < 3, i < 4) hold
   *               u_r[32c + 16s + 4L + i], its bits 6-7 bits 2L, 2L + 1 of
   *               u_r[32c + 16s + 12 + i]. */
  INGOT_W_Q6_KX8 = 20,
  /* More GGUF block formats, each in its GGUF layout byte for byte (no fast
   * path yet: the portable kernels dequantize them block by block).
   * Q2_K: 256 elements, 84 bytes: 16 scale/min bytes, 64 bytes of 2-bit
   * codes, f16 d, f16 dmin. Q3_K: 256 elements, 110 bytes: 32 bytes of
   * high-bit masks, 64 bytes of 2-bit codes, 12 bytes of 6-bit scales,
   * f16 d. IQ4_NL: 32 elements, 18 bytes: f16 d, nibbles indexing a
   * 16-value non-linear table. IQ4_XS: 256 elements, 136 bytes: f16 d,
   * 16 high scale bits, 4 bytes of low scale bits, 128 bytes of nibbles
   * into the same table. */
  INGOT_W_Q2_K = 21,
  INGOT_W_Q3_K = 22,
  INGOT_W_IQ4_NL = 23,
  INGOT_W_IQ4_XS = 24,
};

/* Scratch bytes ingot_uk_matmul / ingot_uk_grouped_matmul need for M rows
 * of K inputs (the activations in the kernel's own format). */
#define INGOT_UK_MATMUL_SCRATCH(M, K) ((int64_t)(M) * ((int64_t)(K) * 2 + 64) + 256)

/* ingot_uk_grouped_matmul with at most this many rows in all (one token's
 * experts) quantizes them in each thread, each into its own part of
 * scratch, instead of sharing the work behind a barrier; its scratch,
 * INGOT_UK_GROUPED_MATMUL_SCRATCH, has room for that. */
#define INGOT_UK_GROUPED_OWN_ROWS 32
#define INGOT_UK_GROUPED_MATMUL_SCRATCH(M, K)                                  \
  INGOT_UK_MATMUL_SCRATCH(                                                     \
      (int64_t)(M) > INGOT_UK_MAX_THREADS * INGOT_UK_GROUPED_OWN_ROWS          \
          ? (int64_t)(M)                                                       \
          : INGOT_UK_MAX_THREADS * INGOT_UK_GROUPED_OWN_ROWS,                  \
      K)

/*===----------------------------------------------------------------------===
 * Argument constants
 *
 * Every integer argument that selects a behaviour takes one of these. The
 * CPU target maps the dialect's enums onto them in one place
 * (compiler/target/cpu/UKernelEnums.h).
 *===----------------------------------------------------------------------===*/

/* Numerics of the kernels that have a choice (docs/numerics.md):
 * INGOT_NUMERICS_EXACT computes close to the reference evaluator (double
 * reductions, exact angles, f32 attention sums); INGOT_NUMERICS_GGML
 * rounds as GGML's CPU backend (llama.cpp) does, step for step, so that
 * outputs can be compared with llama.cpp's token for token. */
enum {
  INGOT_NUMERICS_EXACT = 0,
  INGOT_NUMERICS_GGML = 1,
};

/* Attention masks (ingot_uk_attention's `mask`, #ingot.mask). */
enum {
  INGOT_MASK_NONE = 0,           /* every cached position */
  INGOT_MASK_CAUSAL = 1,         /* positions up to the query's own */
  INGOT_MASK_SLIDING_WINDOW = 2, /* causal, the last `window` of them */
};

/* Rotary embedding layouts (ingot_uk_rope's `style`, #ingot.rope_style). */
enum {
  INGOT_ROPE_NEOX = 0,        /* pair (i, i + rot/2) */
  INGOT_ROPE_INTERLEAVED = 1, /* pair (2i, 2i + 1) */
};

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

/* Scratch floats per thread that ingot_uk_attention needs. */
#define INGOT_UK_ATTENTION_SCRATCH_FLOATS(CTX, D) ((int64_t)(CTX) + 4 * (int64_t)(D) + 64)

/* Elementwise operations (ingot_uk_binary's `op`). */
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

/* Unary operations (ingot_uk_unary's `op`). */
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

/* Expert selection rules and router scorings (ingot_uk_route's `rule`
 * and `scoring`). */
enum { INGOT_ROUTE_TOP_K = 0, INGOT_ROUTE_TOP_P = 1, INGOT_ROUTE_THRESHOLD = 2 };
enum { INGOT_SCORE_SOFTMAX = 0, INGOT_SCORE_SIGMOID = 1 };

/*===----------------------------------------------------------------------===
 * Kernels: the prototypes, from ukernels.def (documented there)
 *===----------------------------------------------------------------------===*/

#define INGOT_UK_RET(kind, type) type
#define INGOT_UK_ARG(kind, type, name) type name
#define INGOT_UK_KERNEL(name, ret, ...) ret name(__VA_ARGS__);
#include "compiler/ukernels/ukernels.def"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_UKERNELS_H */
