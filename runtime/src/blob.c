/*===- blob.c - Validation of the tokenizer blob --------------------------===*/

#include "runtime/src/blob.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool reject(char *message, size_t size, const char *format, ...) {
  if (message && size) {
    va_list args;
    va_start(args, format);
    vsnprintf(message, size, format, args);
    va_end(args);
  }
  return false;
}

bool ingot_blob_parse(const void *blob, size_t size, ingot_blob_header *h,
                      char *message, size_t message_size) {
  const uint8_t *b = blob;
  if (!b || size < INGOT_BLOB_HEADER_SIZE)
    return reject(message, message_size,
                  "%zu bytes, shorter than the %u-byte header", size,
                  INGOT_BLOB_HEADER_SIZE);
  if (memcmp(b, INGOT_BLOB_MAGIC, 4) != 0)
    return reject(message, message_size, "bad magic (expected \"IGTK\")");
  h->version = ingot_blob_u32(b + 4);
  h->kind = ingot_blob_u32(b + 8);
  h->pre = ingot_blob_u32(b + 12);
  h->flags = ingot_blob_u32(b + 16);
  h->bos = (int32_t)ingot_blob_u32(b + 20);
  h->eos = (int32_t)ingot_blob_u32(b + 24);
  h->n_tokens = ingot_blob_u32(b + 28);
  h->n_merges = ingot_blob_u32(b + 32);
  h->string_bytes = ingot_blob_u32(b + 36);
  if (h->version != INGOT_BLOB_VERSION)
    return reject(message, message_size, "version %u, expected %u",
                  h->version, INGOT_BLOB_VERSION);
  if (h->kind != INGOT_BLOB_BYTE_LEVEL_BPE &&
      h->kind != INGOT_BLOB_SENTENCEPIECE)
    return reject(message, message_size, "unknown kind %u", h->kind);
  if (h->pre >= INGOT_PRE_COUNT)
    return reject(message, message_size, "unknown pre-tokenizer %u", h->pre);
  if (h->flags & ~INGOT_BLOB_KNOWN_FLAGS)
    return reject(message, message_size, "unknown flags 0x%x", h->flags);
  if (h->n_tokens == 0 || h->n_tokens > INGOT_BLOB_MAX_TOKENS)
    return reject(message, message_size, "token count %u out of range",
                  h->n_tokens);
  if (h->n_merges > INGOT_BLOB_MAX_MERGES)
    return reject(message, message_size, "merge count %u out of range",
                  h->n_merges);
  if (h->bos < -1 || h->bos >= (int64_t)h->n_tokens)
    return reject(message, message_size, "BOS id %d out of range", h->bos);
  if (h->eos < -1 || h->eos >= (int64_t)h->n_tokens)
    return reject(message, message_size, "EOS id %d out of range", h->eos);

  /* Section offsets in 64 bits: the counts are at most 2^24, so nothing
   * overflows before the comparison with the size. */
  uint64_t n = h->n_tokens, at = INGOT_BLOB_HEADER_SIZE;
  h->string_end_at = (size_t)at;
  at += 4 * n;
  h->scores_at = (size_t)at;
  if (h->flags & INGOT_BLOB_HAS_SCORES)
    at += 4 * n;
  h->merges_at = (size_t)at;
  at += 12 * (uint64_t)h->n_merges;
  h->types_at = (size_t)at;
  at += n;
  h->strings_at = (size_t)at;
  at += h->string_bytes;
  if (at != size)
    return reject(message, message_size,
                  "size %zu, but its header describes %llu bytes", size,
                  (unsigned long long)at);

  uint32_t previous = 0;
  for (uint32_t i = 0; i < h->n_tokens; ++i) {
    uint32_t end = ingot_blob_u32(b + h->string_end_at + 4 * (size_t)i);
    if (end < previous || end > h->string_bytes)
      return reject(message, message_size,
                    "token %u: string end %u out of order or past %u", i, end,
                    h->string_bytes);
    previous = end;
  }
  if (previous != h->string_bytes)
    return reject(message, message_size,
                  "token strings end at %u, not at %u", previous,
                  h->string_bytes);
  for (uint32_t i = 0; i < h->n_tokens; ++i) {
    uint8_t type = b[h->types_at + i];
    if (type < 1 || type > 6)
      return reject(message, message_size, "token %u: unknown type %u", i,
                    type);
  }
  for (uint32_t i = 0; i < h->n_merges; ++i) {
    const uint8_t *m = b + h->merges_at + 12 * (size_t)i;
    for (int k = 0; k < 3; ++k)
      if (ingot_blob_u32(m + 4 * k) >= h->n_tokens)
        return reject(message, message_size,
                      "merge %u: token id %u out of range", i,
                      ingot_blob_u32(m + 4 * k));
  }
  return true;
}
