/*===- gpu_model.c - A GPU model written by hand, for tests ---------------===
 *
 * See gpu_model.h.
 *
 *===----------------------------------------------------------------------===*/

#include "test/runtime/gpu_model.h"

#include "compiler/ukernels/ukernels.h"
#include "runtime/src/cuda.h"
#include "test/runtime/fake_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define V INGOT_GPU_FAKE_VOCAB
#define D INGOT_GPU_FAKE_D
/* The weights: E[V][D] at 0, g[D] at GAIN_OFFSET (64-aligned). */
#define GAIN_OFFSET ((V * D * 4 + 63) / 64 * 64)
#define WEIGHTS_BYTES (GAIN_OFFSET + D * 4)
/* The arena: x[max_batch][D] at 0, h[max_batch][D] at 256. */
#define H_OFFSET 256

float ingot_gpu_fake_embedding(int v, int d) {
  return (float)((v * 31 + d * 17) % 23 - 11) / 8.0f;
}
float ingot_gpu_fake_gain(int d) { return 1.0f + (float)d / 16.0f; }

static _Alignas(64) uint8_t weights[WEIGHTS_BYTES];

__attribute__((constructor)) static void fill_weights(void) {
  float *e = (float *)weights, *g = (float *)(weights + GAIN_OFFSET);
  for (int v = 0; v < V; ++v)
    for (int d = 0; d < D; ++d)
      e[v * D + d] = ingot_gpu_fake_embedding(v, d);
  for (int d = 0; d < D; ++d)
    g[d] = ingot_gpu_fake_gain(d);
}

int ingot_gpu_fake_write_weights(const char *path) {
  ingot_weights_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, INGOT_WEIGHTS_MAGIC, 8);
  h.weights_bytes = WEIGHTS_BYTES;
  h.model_id = ingot_gpu_fake_model_external.model_id;
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  int bad = fwrite(&h, sizeof h, 1, f) != 1 ||
            fwrite(weights, WEIGHTS_BYTES, 1, f) != 1;
  return fclose(f) != 0 || bad;
}

/* Device addresses only: what the generated code does. */
static void forward(const int32_t *tokens, int64_t n, int64_t start,
                    float *logits, int64_t all_logits, uint8_t *arena,
                    uint8_t *kv, int64_t kv_ctx, const uint8_t *w,
                    struct ingot_uk_sync *sync, int32_t ith, int32_t nth) {
  float *x = (float *)arena, *h = (float *)(arena + H_OFFSET);
  const float *e = (const float *)w, *g = (const float *)(w + GAIN_OFFSET);
  uint8_t *kcache = kv, *vcache = kv + kv_ctx * D * 4;
  ingot_cuda_uk_embedding(x, tokens, n, e, V, D, INGOT_W_F32, 0, ith, nth);
  ingot_cuda_uk_rms_norm(x, x, g, n, D, INGOT_GPU_FAKE_EPS, ith, nth);
  ingot_cuda_uk_attention(h, x, x, x, kcache, vcache, n, start, 1, 1, D,
                          1.0f / sqrtf((float)D), INGOT_MASK_CAUSAL, 0, 0.0f,
                          INGOT_KV_F32, INGOT_KV_F32, NULL, NULL,
                          INGOT_NUMERICS_EXACT, NULL, sync, ith, nth);
  ingot_cuda_uk_binary(h, h, x, n, D, n, D, INGOT_EW_ADD, ith, nth);
  if (all_logits)
    ingot_cuda_uk_matmul(logits, h, e, NULL, n, V, D, INGOT_W_F32, 0, NULL,
                         sync, ith, nth);
  else
    ingot_cuda_uk_matmul(logits, h + (n - 1) * D, e, NULL, 1, V, D, INGOT_W_F32,
                         0, NULL, sync, ith, nth);
}

/* Placeholder device code: the fake driver checks only the magic. */
static const uint8_t cubin[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
static const char ptx[] = "//\n.version 8.0\n.target sm_80\n"
                          ".address_size 64\n";

static const ingot_gpu_image images[3] = {
    {INGOT_GPU_IMAGE_CUBIN, 80, 0, cubin, sizeof cubin},
    {INGOT_GPU_IMAGE_CUBIN, 90, 1, cubin, sizeof cubin},
    {INGOT_GPU_IMAGE_PTX, 80, 0, (const uint8_t *)ptx, sizeof ptx},
};

static const ingot_gpu_code code = {3, images, "sm_80,sm_90a", 80};

const ingot_model_desc ingot_gpu_fake_model = {
    .abi_version = INGOT_ABI_VERSION,
    .name = "fake-gpu",
    .architecture = "fake",
    .vocab_size = V,
    .max_ctx = INGOT_GPU_FAKE_MAX_CTX,
    .max_batch = INGOT_GPU_FAKE_MAX_BATCH,
    .arena_bytes = 512,
    .kv_bytes_per_token = 2 * D * 4,
    .weights_bytes = WEIGHTS_BYTES,
    .weights = weights,
    .weights_file = NULL,
    .model_id = 0x6770756d6f64656cull,
    .tokenizer = ingot_fake_tokenizer_blob,
    .tokenizer_bytes = INGOT_FAKE_TOKENIZER_BYTES,
    .chat_template = "",
    .chat_style = "chatml",
    .forward = forward,
    .weights_hash = 0,
    .gpu = &code,
};

const ingot_model_desc ingot_gpu_fake_model_external = {
    .abi_version = INGOT_ABI_VERSION,
    .name = "fake-gpu-external",
    .architecture = "fake",
    .vocab_size = V,
    .max_ctx = INGOT_GPU_FAKE_MAX_CTX,
    .max_batch = INGOT_GPU_FAKE_MAX_BATCH,
    .arena_bytes = 512,
    .kv_bytes_per_token = 2 * D * 4,
    .weights_bytes = WEIGHTS_BYTES,
    .weights = NULL,
    .weights_file = "fake-gpu.weights",
    .model_id = 0x6770756d6f64656dull,
    .tokenizer = ingot_fake_tokenizer_blob,
    .tokenizer_bytes = INGOT_FAKE_TOKENIZER_BYTES,
    .chat_template = "",
    .chat_style = "chatml",
    .forward = forward,
    .weights_hash = 0,
    .gpu = &code,
};
