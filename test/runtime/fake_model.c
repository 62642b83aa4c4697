/*===- fake_model.c - A compiled model written by hand, for tests ---------===
 *
 * See fake_model.h for the rule. The tokenizer blob (runtime/README.md) is
 * built by a constructor, since its token strings use GPT-2's byte symbols.
 *
 *===----------------------------------------------------------------------===*/

#include "test/runtime/fake_model.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_BYTES 64
#define MOD 1000003u

/*===----------------------------------------------------------------------===
 * Tokenizer blob
 *===----------------------------------------------------------------------===*/

/* Header 40, string ends 4 * 259, types 259, strings 35 + 94 + 2 * 162. */
#define BLOB_STRINGS 453
#define BLOB_BYTES (40 + 4 * INGOT_FAKE_VOCAB + INGOT_FAKE_VOCAB + BLOB_STRINGS)
_Static_assert(BLOB_BYTES == INGOT_FAKE_TOKENIZER_BYTES, "the blob's size");

uint8_t ingot_fake_tokenizer_blob[INGOT_FAKE_TOKENIZER_BYTES];
/* The vocabulary with holes: the tokens of 'h' and 'i' spelled "hh" and
 * "ii", so that those bytes have no token. */
static uint8_t blob_holes[BLOB_BYTES + 2];

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* GPT-2's printable symbol of byte b (bytes_to_unicode). */
static uint32_t byte_symbol(int b) {
  if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)
    return (uint32_t)b;
  int n = 0;
  for (int c = 0; c < b; ++c)
    if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE))
      ++n;
  return 256u + (uint32_t)n;
}

static void fill_blob(uint8_t *p, int holes) {
  static const char *specials[3] = {"<|endoftext|>", "<|im_start|>",
                                    "<|im_end|>"};
  memcpy(p, "IGTK", 4);
  put_u32(p + 4, 1);  /* version */
  put_u32(p + 8, 1);  /* byte-level BPE */
  put_u32(p + 12, 0); /* GPT-2 pre-tokenizer */
  put_u32(p + 16, 0); /* flags */
  put_u32(p + 20, 1); /* BOS */
  put_u32(p + 24, 2); /* EOS */
  put_u32(p + 28, INGOT_FAKE_VOCAB);
  put_u32(p + 32, 0);
  put_u32(p + 36, BLOB_STRINGS + (holes ? 2 : 0));
  uint8_t *ends = p + 40, *types = ends + 4 * INGOT_FAKE_VOCAB;
  uint8_t *strings = types + INGOT_FAKE_VOCAB;
  uint32_t at = 0;
  for (int id = 0; id < INGOT_FAKE_VOCAB; ++id) {
    if (id < 3) {
      size_t n = strlen(specials[id]);
      memcpy(strings + at, specials[id], n);
      at += (uint32_t)n;
      types[id] = 3; /* control */
    } else {
      uint32_t c = byte_symbol(id - 3);
      if (holes && (c == 'h' || c == 'i')) {
        strings[at++] = (uint8_t)c;
        strings[at++] = (uint8_t)c;
      } else if (c < 0x80) {
        strings[at++] = (uint8_t)c;
      } else {
        strings[at++] = (uint8_t)(0xC0 | c >> 6);
        strings[at++] = (uint8_t)(0x80 | (c & 0x3F));
      }
      types[id] = 1; /* normal */
    }
    put_u32(ends + 4 * id, at);
  }
  if (at != BLOB_STRINGS + (holes ? 2u : 0u)) {
    fprintf(stderr, "fake_model: blob strings %u, expected %d\n", at,
            BLOB_STRINGS);
    abort();
  }
}

__attribute__((constructor)) static void build_blobs(void) {
  fill_blob(ingot_fake_tokenizer_blob, 0);
  fill_blob(blob_holes, 1);
}

/*===----------------------------------------------------------------------===
 * Forward
 *===----------------------------------------------------------------------===*/

static _Alignas(64) uint8_t weights[INGOT_FAKE_WEIGHTS_BYTES];

uint8_t ingot_fake_weight(int i) { return (uint8_t)((i * 37 + 11) & 255); }

__attribute__((constructor)) static void build_weights(void) {
  for (int i = 0; i < INGOT_FAKE_WEIGHTS_BYTES; ++i)
    weights[i] = ingot_fake_weight(i);
}

int ingot_fake_write_weights(const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  ingot_weights_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, INGOT_WEIGHTS_MAGIC, 8);
  h.weights_bytes = INGOT_FAKE_WEIGHTS_BYTES;
  h.model_id = INGOT_FAKE_MODEL_ID;
  int ok = fwrite(&h, sizeof h, 1, f) == 1;
  for (int i = 0; i < INGOT_FAKE_WEIGHTS_BYTES; ++i)
    ok &= fputc(ingot_fake_weight(i), f) != EOF;
  return fclose(f) != 0 || !ok;
}

/* A barrier on ingot_uk_sync's layout (arrived, phase). */
static void barrier(struct ingot_uk_sync *sync, int32_t nth) {
  if (nth == 1)
    return;
  _Atomic int32_t *arrived = (_Atomic int32_t *)(void *)sync;
  _Atomic int32_t *phase = arrived + 1;
  int32_t p = atomic_load(phase);
  if (atomic_fetch_add(arrived, 1) == nth - 1) {
    atomic_store(arrived, 0);
    atomic_fetch_add(phase, 1);
  } else {
    for (unsigned i = 1; atomic_load(phase) == p; ++i)
      if (i % 64 == 0)
        sched_yield(); /* the test machine may have fewer cores */
  }
}

static void forward(const int32_t *tokens, int64_t n, int64_t start,
                    float *logits, int64_t all_logits, uint8_t *arena,
                    uint8_t *kv, int64_t kv_ctx, const uint8_t *w,
                    struct ingot_uk_sync *sync, int32_t ith, int32_t nth) {
  if (n < 1 || n > INGOT_FAKE_MAX_BATCH || start < 0 || start + n > kv_ctx ||
      kv_ctx > INGOT_FAKE_MAX_CTX || ith < 0 || ith >= nth ||
      ((uintptr_t)arena | (uintptr_t)kv | (uintptr_t)sync) % 64)
    abort();
  /* Each thread stores its share of the new tokens, with a check word. */
  for (int64_t i = ith; i < n; i += nth) {
    int32_t *slot = (int32_t *)(void *)(kv + (start + i) * KV_BYTES);
    slot[0] = tokens[i];
    slot[1] = ~tokens[i];
  }
  barrier(sync, nth);
  /* The last thread sums the cache into the arena: S of each new row, or
   * UINT32_MAX when a check word is wrong. */
  uint32_t *sums = (uint32_t *)(void *)arena;
  if (ith == nth - 1) {
    uint64_t s = 0;
    int bad = 0;
    for (int64_t j = 0; j < start + n; ++j) {
      const int32_t *slot = (const int32_t *)(const void *)(kv + j * KV_BYTES);
      bad |= slot[1] != ~slot[0];
      s = (s + (uint64_t)(uint32_t)slot[0] * (uint64_t)(j + 1)) % MOD;
      if (j >= start)
        sums[j - start] = bad ? UINT32_MAX : (uint32_t)s;
    }
  }
  barrier(sync, nth);
  /* Every thread writes its share of the vocabulary of each row. */
  int64_t first = all_logits ? 0 : n - 1;
  int64_t lo = INGOT_FAKE_VOCAB * ith / nth;
  int64_t hi = INGOT_FAKE_VOCAB * (ith + 1) / nth;
  for (int64_t r = first; r < n; ++r) {
    float *row = logits + (all_logits ? r : 0) * INGOT_FAKE_VOCAB;
    uint32_t s = sums[r];
    uint32_t h = (uint32_t)(s * 2654435761u) >> 16 & 0xffff;
    int64_t target = h % 27 == 26 ? 2 : 3 + 'a' + h % 27;
    for (int64_t v = lo; v < hi; ++v) {
      float x = (float)((v * 31 + s) % 97) / 97.0f +
                (float)w[v % INGOT_FAKE_WEIGHTS_BYTES] / 1024.0f;
      row[v] = s == UINT32_MAX ? NAN : x + (v == target ? 3.0f : 0.0f);
    }
  }
}

/*===----------------------------------------------------------------------===
 * Descriptors
 *===----------------------------------------------------------------------===*/

static const char template_text[] =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] "
    "!= 'system' %}{{ '<|im_start|>system\nYou are a fake model.<|im_end|>\n' "
    "}}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const ingot_model_desc ingot_fake_model = {
    .abi_version = INGOT_ABI_VERSION,
    .name = "fake",
    .architecture = "fake",
    .vocab_size = INGOT_FAKE_VOCAB,
    .max_ctx = INGOT_FAKE_MAX_CTX,
    .max_batch = INGOT_FAKE_MAX_BATCH,
    .arena_bytes = 4 * INGOT_FAKE_MAX_BATCH,
    .kv_bytes_per_token = KV_BYTES,
    .weights_bytes = INGOT_FAKE_WEIGHTS_BYTES,
    .weights = weights,
    .weights_file = NULL,
    .model_id = INGOT_FAKE_MODEL_ID,
    .tokenizer = ingot_fake_tokenizer_blob,
    .tokenizer_bytes = INGOT_FAKE_TOKENIZER_BYTES,
    .chat_template = template_text,
    .chat_style = "chatml",
    .forward = forward,
};

const ingot_model_desc ingot_fake_model_external = {
    .abi_version = INGOT_ABI_VERSION,
    .name = "fake-external",
    .architecture = "fake",
    .vocab_size = INGOT_FAKE_VOCAB,
    .max_ctx = INGOT_FAKE_MAX_CTX,
    .max_batch = INGOT_FAKE_MAX_BATCH,
    .arena_bytes = 4 * INGOT_FAKE_MAX_BATCH,
    .kv_bytes_per_token = KV_BYTES,
    .weights_bytes = INGOT_FAKE_WEIGHTS_BYTES,
    .weights = NULL,
    .weights_file = INGOT_FAKE_WEIGHTS_FILE,
    .model_id = INGOT_FAKE_MODEL_ID,
    .tokenizer = ingot_fake_tokenizer_blob,
    .tokenizer_bytes = INGOT_FAKE_TOKENIZER_BYTES,
    .chat_template = template_text,
    .chat_style = "chatml",
    .forward = forward,
};

/* The same model with chat style llama2 ("[INST] ... [/INST]" turns, BOS
 * first, EOS last) and no template. */
const ingot_model_desc ingot_fake_model_llama2 = {
    .abi_version = INGOT_ABI_VERSION,
    .name = "fake-llama2",
    .architecture = "fake",
    .vocab_size = INGOT_FAKE_VOCAB,
    .max_ctx = INGOT_FAKE_MAX_CTX,
    .max_batch = INGOT_FAKE_MAX_BATCH,
    .arena_bytes = 4 * INGOT_FAKE_MAX_BATCH,
    .kv_bytes_per_token = KV_BYTES,
    .weights_bytes = INGOT_FAKE_WEIGHTS_BYTES,
    .weights = weights,
    .weights_file = NULL,
    .model_id = INGOT_FAKE_MODEL_ID,
    .tokenizer = ingot_fake_tokenizer_blob,
    .tokenizer_bytes = INGOT_FAKE_TOKENIZER_BYTES,
    .chat_template = "",
    .chat_style = "llama2",
    .forward = forward,
};

/* The fake model whose vocabulary has no token for 'h' and 'i'. */
const ingot_model_desc ingot_fake_model_holes = {
    .abi_version = INGOT_ABI_VERSION,
    .name = "fake-holes",
    .architecture = "fake",
    .vocab_size = INGOT_FAKE_VOCAB,
    .max_ctx = INGOT_FAKE_MAX_CTX,
    .max_batch = INGOT_FAKE_MAX_BATCH,
    .arena_bytes = 4 * INGOT_FAKE_MAX_BATCH,
    .kv_bytes_per_token = KV_BYTES,
    .weights_bytes = INGOT_FAKE_WEIGHTS_BYTES,
    .weights = weights,
    .weights_file = NULL,
    .model_id = INGOT_FAKE_MODEL_ID,
    .tokenizer = blob_holes,
    .tokenizer_bytes = sizeof blob_holes,
    .chat_template = template_text,
    .chat_style = "chatml",
    .forward = forward,
};
