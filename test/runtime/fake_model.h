/*===- fake_model.h - A compiled model written by hand, for tests ---------===
 *
 * Descriptors shaped like ingotc's output whose forward function follows a
 * rule simple enough to predict from outside (test/runtime/fake_model.py
 * computes the same thing in Python):
 *
 *   vocabulary: 0 "<|endoftext|>", 1 "<|im_start|>" (BOS), 2 "<|im_end|>"
 *   (EOS), all control tokens; 3 + b the byte b (byte-level BPE, GPT-2
 *   pre-tokenizer, no merges, so text encodes byte by byte).
 *   S(p) = sum over positions j <= p of token[j] * (j + 1), mod 1000003;
 *   h(p) = bits 16..31 of the 32-bit product S(p) * 2654435761. The logits
 *   after position p peak at token 2 (EOS) when h(p) % 27 == 26, and at the
 *   letter 'a' + h(p) % 27 otherwise (3.0 above a background below 1.25
 *   that depends on S, the token id and the weights bytes).
 *
 * The forward reads the earlier tokens back from the KV cache (where it
 * also stores a check word: a lost cache gives NaN logits), splits the
 * work over ith/nth with a barrier on `sync`, and keeps S in the arena.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_TEST_RUNTIME_FAKE_MODEL_H
#define INGOT_TEST_RUNTIME_FAKE_MODEL_H

#include "runtime/include/ingot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_FAKE_VOCAB 259
#define INGOT_FAKE_MAX_CTX 256
#define INGOT_FAKE_MAX_BATCH 5
#define INGOT_FAKE_WEIGHTS_BYTES 256
#define INGOT_FAKE_MODEL_ID 0x1234567890abcdefull
#define INGOT_FAKE_WEIGHTS_FILE "fake-chat.weights"

/* Weights embedded. */
extern const ingot_model_desc ingot_fake_model;
/* The same model with its weights in INGOT_FAKE_WEIGHTS_FILE. */
extern const ingot_model_desc ingot_fake_model_external;

/* Weights embedded, chat style "llama2". */
extern const ingot_model_desc ingot_fake_model_llama2;

/* Weights embedded, and no token for the bytes 'h' and 'i' (their tokens
 * are spelled "hh" and "ii"). */
extern const ingot_model_desc ingot_fake_model_holes;

/* The tokenizer blob of ingot_fake_model (filled by a constructor), for
 * other hand-written models (gpu_model.h). */
#define INGOT_FAKE_TOKENIZER_BYTES 1788
extern uint8_t ingot_fake_tokenizer_blob[INGOT_FAKE_TOKENIZER_BYTES];

/* The weights byte i. */
uint8_t ingot_fake_weight(int i);
/* Writes a valid external weights file; returns 0 on success. */
int ingot_fake_write_weights(const char *path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_TEST_RUNTIME_FAKE_MODEL_H */
