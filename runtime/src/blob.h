/*===- blob.h - The tokenizer blob: layout constants and validation ------===
 *
 * The compiler writes the blob (frontends/tokenizer/Serialize.cpp, which
 * includes this header for the constants) and the runtime reads it. All
 * numbers are little-endian; the layout is in runtime/README.md:
 *
 *   offset  size  field
 *    0      4     magic "IGTK"
 *    4      4     u32 version (1)
 *    8      4     u32 kind: 1 byte-level BPE, 2 SentencePiece
 *   12      4     u32 pre-tokenizer: 0 GPT-2, 1 SmolLM, 2 Llama 3, 3 Qwen2
 *   16      4     u32 flags: bit 0 ignore merges (a piece that is a token is
 *                 that token), bit 1 scores present, bit 2 add a space
 *                 prefix (SentencePiece)
 *   20      4     i32 BOS id, -1 for none
 *   24      4     i32 EOS id, -1 for none
 *   28      4     u32 n_tokens (1 .. 2^24)
 *   32      4     u32 n_merges (0 .. 2^24)
 *   36      4     u32 string_bytes (total length of the token strings)
 *   40            u32 string_end[n_tokens]: token i is strings[end[i-1]
 *                 (0 for i = 0), end[i]); non-decreasing, last = string_bytes
 *                 f32 scores[n_tokens] (only with flag bit 1)
 *                 u32 merges[n_merges][3]: left id, right id, merged id; the
 *                 rank of a merge is its index
 *                 u8 types[n_tokens] (GGUF token types 1..6)
 *                 u8 strings[string_bytes] (as the model file spells them)
 *   The blob ends exactly there.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_RUNTIME_SRC_BLOB_H
#define INGOT_RUNTIME_SRC_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_BLOB_MAGIC "IGTK"
#define INGOT_BLOB_VERSION 1u
#define INGOT_BLOB_HEADER_SIZE 40u
#define INGOT_BLOB_MAX_TOKENS (1u << 24)
#define INGOT_BLOB_MAX_MERGES (1u << 24)

enum {
  INGOT_BLOB_BYTE_LEVEL_BPE = 1,
  INGOT_BLOB_SENTENCEPIECE = 2,
};

enum {
  INGOT_PRE_GPT2 = 0,
  INGOT_PRE_SMOLLM = 1,
  INGOT_PRE_LLAMA3 = 2,
  INGOT_PRE_QWEN2 = 3,
  INGOT_PRE_COUNT = 4,
};

enum {
  INGOT_BLOB_IGNORE_MERGES = 1u << 0,
  INGOT_BLOB_HAS_SCORES = 1u << 1,
  INGOT_BLOB_ADD_SPACE_PREFIX = 1u << 2,
  INGOT_BLOB_KNOWN_FLAGS = 7u,
};

/* The header, and where each section starts (offsets from the blob start). */
typedef struct ingot_blob_header {
  uint32_t version, kind, pre, flags;
  int32_t bos, eos;
  uint32_t n_tokens, n_merges, string_bytes;
  size_t string_end_at, scores_at, merges_at, types_at, strings_at;
} ingot_blob_header;

static inline uint32_t ingot_blob_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* Checks every field, size and offset of the blob; on failure writes a
 * one-line reason into `message` and returns false. */
bool ingot_blob_parse(const void *blob, size_t size, ingot_blob_header *out,
                      char *message, size_t message_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_SRC_BLOB_H */
