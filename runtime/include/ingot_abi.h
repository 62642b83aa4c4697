/*===- ingot_abi.h - What a compiled model gives the runtime ---------------===
 *
 * ingotc emits, for each model, one constant `ingot_model_desc` (named
 * `ingot_model_<name>`, declared in the generated header) and the forward
 * function it points to. The runtime (ingot.h) opens a model from it. All
 * fields are 8 bytes wide so the compiler can lay the struct out without
 * padding rules.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_RUNTIME_INGOT_ABI_H
#define INGOT_RUNTIME_INGOT_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bump when this struct, the forward signature or the weights-file header
 * changes; the runtime refuses other versions. */
#define INGOT_ABI_VERSION 2

struct ingot_uk_sync; /* compiler/ukernels/ukernels.h: a spinning barrier */

/* One step of the model on `n` tokens (1 <= n <= max_batch) at positions
 * start .. start+n-1 of a session whose KV cache (`kv`, kv_ctx tokens of
 * capacity, kv_ctx <= max_ctx, start + n <= kv_ctx) already holds positions
 * 0 .. start-1. Writes the logits of the last token to logits[vocab], or of
 * all n tokens to logits[n][vocab] when all_logits is not 0. Runs on every
 * thread of a pool at once: each calls it with its own ith < nth
 * (nth <= INGOT_UK_MAX_THREADS) and the same other arguments; `sync` is a
 * zeroed barrier shared by them. arena: arena_bytes, kv: kv_ctx *
 * kv_bytes_per_token bytes, weights: weights_bytes, all 64-byte aligned.
 *
 * A GPU model (desc->gpu not null) runs its forward function on one host
 * thread (ith 0, nth 1, sync null): every pointer but none is then a device
 * address (tokens[n], logits, arena, kv, weights in device memory), and the
 * function only enqueues kernel launches (runtime/src/cuda.c); the caller
 * synchronizes. */
typedef void (*ingot_forward_fn)(const int32_t *tokens, int64_t n,
                                 int64_t start, float *logits,
                                 int64_t all_logits, uint8_t *arena,
                                 uint8_t *kv, int64_t kv_ctx,
                                 const uint8_t *weights,
                                 struct ingot_uk_sync *sync, int32_t ith,
                                 int32_t nth);

/* The external weights file (--weights=external) starts with this 64-byte
 * header; the weights follow at offset 64. */
#define INGOT_WEIGHTS_MAGIC "INGOTWT1"
typedef struct ingot_weights_header {
  char magic[8];          /* INGOT_WEIGHTS_MAGIC */
  uint64_t weights_bytes; /* equals the descriptor's */
  uint64_t model_id;      /* equals the descriptor's */
  uint64_t weights_hash;  /* equals the descriptor's */
  uint64_t reserved[4];
} ingot_weights_header;

/* The device code of a GPU model: images for the driver to load, one per
 * compiled architecture (a cubin) and the PTX of the lowest one for the
 * driver's JIT. The runtime loads the cubin of the device's architecture
 * (sm_80 code runs on sm_86 and sm_89; an `a` architecture such as sm_90a
 * only on that exact one), else the PTX, else says which were compiled. */
#define INGOT_GPU_IMAGE_CUBIN 1
#define INGOT_GPU_IMAGE_PTX 2 /* NUL-terminated text; bytes counts the NUL */
typedef struct ingot_gpu_image {
  uint64_t kind;          /* INGOT_GPU_IMAGE_* */
  uint64_t arch;          /* compute capability major * 10 + minor: 80, 90 */
  uint64_t arch_specific; /* 1: the `a` variant (sm_90a), exact match only */
  const uint8_t *data;
  uint64_t bytes;
} ingot_gpu_image;

typedef struct ingot_gpu_code {
  uint64_t image_count;
  const ingot_gpu_image *images;
  const char *targets; /* as compiled, e.g. "sm_80,sm_90a" (for messages) */
  uint64_t ptx_isa;    /* PTX ISA version of the PTX image * 10: 80 = 8.0 */
} ingot_gpu_code;

typedef struct ingot_model_desc {
  uint64_t abi_version;        /* INGOT_ABI_VERSION */
  const char *name;            /* the model's name (from -o or --name) */
  const char *architecture;    /* "llama", "qwen2_moe", ... */
  uint64_t vocab_size;
  uint64_t max_ctx;            /* KV capacity compiled in (--ctx) */
  uint64_t max_batch;          /* most tokens per forward call */
  uint64_t arena_bytes;        /* activations + scratch, from the memory plan */
  uint64_t kv_bytes_per_token; /* all layers' caches, keys and values */
  uint64_t weights_bytes;
  const uint8_t *weights;      /* embedded weights, or null: external */
  const char *weights_file;    /* external: file name, looked up beside the
                                  executable or at the path given at open */
  uint64_t model_id;           /* a hash of the compiled weights + graph */
  const uint8_t *tokenizer;    /* tokenizer blob (runtime/README.md) */
  uint64_t tokenizer_bytes;
  const char *chat_template;   /* the model's Jinja template text, or "" */
  const char *chat_style;      /* "chatml", "llama3", "llama2" or "" */
  ingot_forward_fn forward;
  uint64_t weights_hash;       /* external weights: ingot_weights_hash of the
                                  blob (runtime/src/weights-hash.h), checked
                                  at open; 0: none recorded */
  const ingot_gpu_code *gpu;   /* null: a CPU model */
  uint64_t reserved[2];
} ingot_model_desc;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_INGOT_ABI_H */
