/*===- gpu_model.h - A GPU model written by hand, for tests ---------------===
 *
 * A descriptor shaped like what ingotc --target=cuda writes: device code
 * (placeholder images the fake driver, test/fakecuda, accepts: an sm_80
 * cubin, an sm_90a cubin and sm_80 PTX of ISA 8.0) and a forward function
 * that only calls the launchers (runtime/src/cuda.h), so it runs wherever
 * the kernels do. One attention layer over embeddings of width D with tied
 * output weights, in f32:
 *
 *   x[t]      = rms_norm(E[token t]) * g            (eps INGOT_GPU_FAKE_EPS)
 *   a[t]      = softmax_j<=pos(t)(x[t]·x[j] / sqrt(D)) · x[j]   (causal,
 *               over the KV cache: keys = values = x)
 *   h[t]      = a[t] + x[t]
 *   logits[t] = E · h[t]
 *
 * with E[v][d] and g[d] from ingot_gpu_fake_embedding / _gain. The tokenizer
 * is the fake model's (fake_model.h).
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_TEST_RUNTIME_GPU_MODEL_H
#define INGOT_TEST_RUNTIME_GPU_MODEL_H

#include "runtime/include/ingot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_GPU_FAKE_VOCAB 259
#define INGOT_GPU_FAKE_D 8
#define INGOT_GPU_FAKE_MAX_CTX 64
#define INGOT_GPU_FAKE_MAX_BATCH 4
#define INGOT_GPU_FAKE_EPS 1e-5f

extern const ingot_model_desc ingot_gpu_fake_model;
/* The same model with its weights in an external file ("fake-gpu.weights",
 * written by ingot_gpu_fake_write_weights; 0 on success). */
extern const ingot_model_desc ingot_gpu_fake_model_external;
int ingot_gpu_fake_write_weights(const char *path);

float ingot_gpu_fake_embedding(int v, int d);
float ingot_gpu_fake_gain(int d);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_TEST_RUNTIME_GPU_MODEL_H */
