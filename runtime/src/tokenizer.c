/*===- tokenizer.c - Byte-level BPE tokenizer from a tokenizer blob -------===
 *
 * Reads the blob the compiler embeds (layout in runtime/README.md), checking
 * every count and offset against its size, and encodes text as the model's
 * own tokenizer does: special tokens, then the pre-tokenizer's split into
 * pieces (GPT-2, SmolLM, Llama 3 or Qwen2 regex, written out by hand below),
 * then byte-level BPE merges by rank within each piece.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime/include/ingot.h"
#include "runtime/src/blob.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/src/unicode-table.h"

/*===----------------------------------------------------------------------===
 * Hash tables (open addressing, power-of-two sizes)
 *===----------------------------------------------------------------------===*/

static uint64_t hash_bytes(const char *data, size_t size) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < size; ++i)
    h = (h ^ (uint8_t)data[i]) * 1099511628211ull;
  return h;
}

static uint64_t hash_pair(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  return key;
}

static uint32_t table_size_for(uint32_t count) {
  uint32_t size = 16;
  while (size < 2ull * count + 1)
    size *= 2;
  return size;
}

typedef struct merge_slot {
  uint64_t key; /* left << 32 | right; UINT64_MAX when empty */
  uint32_t rank;
  int32_t merged;
} merge_slot;

struct ingot_tokenizer {
  uint32_t kind, pre, flags;
  int32_t bos, eos;
  uint32_t n_tokens;
  uint32_t *string_end; /* token i is strings[start(i), string_end[i]) */
  char *strings;
  uint8_t *types;
  float *scores;
  uint32_t *decoded_end; /* token i decodes to decoded[start, end) */
  char *decoded;
  int32_t *vocab; /* string -> id, -1 empty */
  uint32_t vocab_mask;
  merge_slot *merges;
  uint32_t merge_mask;
  int32_t byte_token[256]; /* byte-level: the token of each single byte */
  char byte_utf8[256][2];   /* byte-level: the UTF-8 of each byte's symbol */
  int32_t *specials;       /* control and user-defined ids, longest first */
  uint32_t n_specials;
  int32_t unk; /* the first unknown-type token, or -1 */
  bool special_first[256]; /* the first bytes of the specials */
};

static uint32_t token_start(const uint32_t *end, int32_t id) {
  return id == 0 ? 0 : end[id - 1];
}

static int32_t vocab_find(const ingot_tokenizer *t, const char *s,
                          size_t size) {
  for (uint32_t i = (uint32_t)hash_bytes(s, size) & t->vocab_mask;;
       i = (i + 1) & t->vocab_mask) {
    int32_t id = t->vocab[i];
    if (id < 0)
      return -1;
    uint32_t start = token_start(t->string_end, id);
    if (t->string_end[id] - start == size &&
        memcmp(t->strings + start, s, size) == 0)
      return id;
  }
}

static const merge_slot *merge_find(const ingot_tokenizer *t, int32_t left,
                                    int32_t right) {
  uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
  for (uint32_t i = (uint32_t)hash_pair(key) & t->merge_mask;;
       i = (i + 1) & t->merge_mask) {
    if (t->merges[i].key == key)
      return &t->merges[i];
    if (t->merges[i].key == UINT64_MAX)
      return NULL;
  }
}

/*===----------------------------------------------------------------------===
 * UTF-8 and character classes
 *===----------------------------------------------------------------------===*/

enum { CLASS_OTHER = 0, CLASS_LETTER = 1, CLASS_NUMBER = 2, CLASS_SPACE = 3 };

static uint8_t classify(uint32_t cp) {
  size_t lo = 0, hi = INGOT_UNICODE_RANGES;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    uint32_t first = ingot_unicode_ranges[mid][0] & 0xFFFFFF;
    if (cp < first)
      hi = mid;
    else if (cp > ingot_unicode_ranges[mid][1])
      lo = mid + 1;
    else
      return (uint8_t)(ingot_unicode_ranges[mid][0] >> 24);
  }
  return CLASS_OTHER;
}

/* Decodes one UTF-8 character of s[0, size) into *cp; returns its length.
 * An invalid or truncated sequence is one byte with cp = UINT32_MAX. */
static size_t utf8_decode(const uint8_t *s, size_t size, uint32_t *cp) {
  uint8_t b = s[0];
  size_t len;
  uint32_t value, min;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    len = 2, value = b & 0x1F, min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3, value = b & 0x0F, min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4, value = b & 0x07, min = 0x10000;
  } else {
    *cp = UINT32_MAX;
    return 1;
  }
  if (len > size) {
    *cp = UINT32_MAX;
    return 1;
  }
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) {
      *cp = UINT32_MAX;
      return 1;
    }
    value = value << 6 | (s[i] & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    *cp = UINT32_MAX;
    return 1;
  }
  *cp = value;
  return len;
}

static size_t utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* GPT-2's map of bytes to code points: printable bytes stand for themselves,
 * the others are moved to 256 and up, in order. */
static bool printable_byte(uint32_t b) {
  return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
         (b >= 174 && b <= 255);
}

static uint32_t byte_code_point(uint8_t byte) {
  if (printable_byte(byte))
    return byte;
  uint32_t next = 256;
  for (uint32_t b = 0; b < byte; ++b)
    next += !printable_byte(b);
  return next;
}

/* The inverse: the byte of a code point, or -1. */
static int code_point_byte(uint32_t cp) {
  if (printable_byte(cp))
    return (int)cp;
  if (cp < 256 || cp >= 256 + 68) /* 68 bytes are not printable */
    return -1;
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b)
    if (!printable_byte(b) && next++ == cp)
      return (int)b;
  return -1;
}

/*===----------------------------------------------------------------------===
 * Init and free
 *===----------------------------------------------------------------------===*/

static ingot_status fail(char *error, size_t error_size, ingot_status status,
                         const char *format, ...) {
  if (error && error_size) {
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
  }
  return status;
}

void ingot_tokenizer_free(ingot_tokenizer *t) {
  if (!t)
    return;
  free(t->string_end);
  free(t->strings);
  free(t->types);
  free(t->scores);
  free(t->decoded_end);
  free(t->decoded);
  free(t->vocab);
  free(t->merges);
  free(t->specials);
  free(t);
}

/* The bytes token `id` decodes to, appended at out (which has room for
 * as many bytes as the token string); returns their number. */
static size_t decode_token(const ingot_tokenizer *t, int32_t id, char *out) {
  uint32_t start = token_start(t->string_end, id);
  const uint8_t *s = (const uint8_t *)t->strings + start;
  size_t size = t->string_end[id] - start;
  uint8_t type = t->types[id];
  if (type == INGOT_TOKEN_CONTROL || type == INGOT_TOKEN_USER_DEFINED ||
      type == INGOT_TOKEN_UNKNOWN) {
    memcpy(out, s, size); /* special tokens are their text */
    return size;
  }
  if (t->kind == INGOT_BLOB_SENTENCEPIECE) {
    unsigned value;
    if (type == INGOT_TOKEN_BYTE && size == 6 &&
        sscanf((const char *)s, "<0x%2X>", &value) == 1) {
      out[0] = (char)value;
      return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < size;) {
      if (i + 3 <= size && memcmp(s + i, "\xE2\x96\x81", 3) == 0) {
        out[n++] = ' '; /* U+2581 stands for a space */
        i += 3;
      } else {
        out[n++] = (char)s[i++];
      }
    }
    return n;
  }
  /* Byte-level: every character maps back to a byte, or (as Hugging Face
   * tokenizers does) the token is its own text. */
  size_t n = 0;
  for (size_t i = 0; i < size;) {
    uint32_t cp;
    i += utf8_decode(s + i, size - i, &cp);
    int byte = cp == UINT32_MAX ? -1 : code_point_byte(cp);
    if (byte < 0) {
      memcpy(out, s, size);
      return size;
    }
    out[n++] = (char)byte;
  }
  return n;
}

ingot_status ingot_tokenizer_init(ingot_tokenizer **out, const void *blob,
                                  size_t size, char *error,
                                  size_t error_size) {
  if (!out)
    return fail(error, error_size, INGOT_ERROR_INVALID_ARGUMENT,
                "tokenizer: null output pointer");
  *out = NULL;
  if (!blob)
    return fail(error, error_size, INGOT_ERROR_INVALID_ARGUMENT,
                "tokenizer: null blob");
  ingot_blob_header h;
  char message[160];
  if (!ingot_blob_parse(blob, size, &h, message, sizeof message))
    return fail(error, error_size, INGOT_ERROR_MALFORMED,
                "tokenizer blob: %s", message);

  ingot_tokenizer *t = calloc(1, sizeof *t);
  if (!t)
    return fail(error, error_size, INGOT_ERROR_OUT_OF_MEMORY,
                "tokenizer: out of memory");
  t->kind = h.kind;
  t->pre = h.pre;
  t->flags = h.flags;
  t->bos = h.bos;
  t->eos = h.eos;
  t->n_tokens = h.n_tokens;
  uint32_t n = h.n_tokens;
  t->string_end = malloc(sizeof(uint32_t) * n);
  t->strings = malloc(h.string_bytes + 1);
  t->types = malloc(n);
  t->decoded_end = malloc(sizeof(uint32_t) * n);
  t->decoded = malloc((size_t)h.string_bytes + 1); /* never longer */
  t->vocab_mask = table_size_for(n) - 1;
  t->vocab = malloc(sizeof(int32_t) * (t->vocab_mask + 1));
  t->merge_mask = table_size_for(h.n_merges) - 1;
  t->merges = malloc(sizeof(merge_slot) * (t->merge_mask + 1));
  t->specials = malloc(sizeof(int32_t) * n);
  if (h.flags & INGOT_BLOB_HAS_SCORES)
    t->scores = malloc(sizeof(float) * n);
  if (!t->string_end || !t->strings || !t->types || !t->decoded_end ||
      !t->decoded || !t->vocab || !t->merges || !t->specials ||
      ((h.flags & INGOT_BLOB_HAS_SCORES) && !t->scores)) {
    ingot_tokenizer_free(t);
    return fail(error, error_size, INGOT_ERROR_OUT_OF_MEMORY,
                "tokenizer: out of memory");
  }
  const uint8_t *b = blob;
  for (uint32_t i = 0; i < n; ++i)
    t->string_end[i] = ingot_blob_u32(b + h.string_end_at + 4 * i);
  memcpy(t->strings, b + h.strings_at, h.string_bytes);
  memcpy(t->types, b + h.types_at, n);
  for (uint32_t i = 0; t->scores && i < n; ++i) {
    uint32_t bits = ingot_blob_u32(b + h.scores_at + 4 * i);
    memcpy(&t->scores[i], &bits, 4);
  }

  /* Decoded bytes of every token, for decode and streaming. */
  uint32_t at = 0;
  for (uint32_t i = 0; i < n; ++i) {
    at += (uint32_t)decode_token(t, (int32_t)i, t->decoded + at);
    t->decoded_end[i] = at;
  }

  /* String -> id; the first id of a repeated string wins. */
  memset(t->vocab, 0xFF, sizeof(int32_t) * (t->vocab_mask + 1));
  for (uint32_t id = 0; id < n; ++id) {
    uint32_t start = token_start(t->string_end, (int32_t)id);
    size_t len = t->string_end[id] - start;
    if (vocab_find(t, t->strings + start, len) >= 0)
      continue;
    uint32_t slot = (uint32_t)hash_bytes(t->strings + start, len) &
                    t->vocab_mask;
    while (t->vocab[slot] >= 0)
      slot = (slot + 1) & t->vocab_mask;
    t->vocab[slot] = (int32_t)id;
  }

  /* (left, right) -> rank and merged id; the best rank of a pair wins. */
  for (uint32_t i = 0; i <= t->merge_mask; ++i)
    t->merges[i].key = UINT64_MAX;
  for (uint32_t rank = 0; rank < h.n_merges; ++rank) {
    const uint8_t *m = b + h.merges_at + 12 * (size_t)rank;
    uint32_t left = ingot_blob_u32(m), right = ingot_blob_u32(m + 4);
    uint64_t key = (uint64_t)left << 32 | right;
    uint32_t slot = (uint32_t)hash_pair(key) & t->merge_mask;
    while (t->merges[slot].key != UINT64_MAX && t->merges[slot].key != key)
      slot = (slot + 1) & t->merge_mask;
    if (t->merges[slot].key == key)
      continue;
    t->merges[slot].key = key;
    t->merges[slot].rank = rank;
    t->merges[slot].merged = (int32_t)ingot_blob_u32(m + 8);
  }

  /* Byte tokens. */
  for (int byte = 0; byte < 256; ++byte) {
    char s[8];
    if (t->kind == INGOT_BLOB_BYTE_LEVEL_BPE) {
      size_t len = utf8_encode(byte_code_point((uint8_t)byte), s);
      memcpy(t->byte_utf8[byte], s, 2); /* code points < 0x800: 1-2 bytes */
      t->byte_token[byte] = vocab_find(t, s, len);
    } else {
      snprintf(s, sizeof s, "<0x%02X>", byte);
      t->byte_token[byte] = vocab_find(t, s, 6);
    }
  }

  t->unk = -1;
  for (uint32_t id = n; id-- > 0;)
    if (t->types[id] == INGOT_TOKEN_UNKNOWN)
      t->unk = (int32_t)id;

  /* Special tokens, longest first so that the longest match wins. */
  for (uint32_t id = 0; id < n; ++id)
    if ((t->types[id] == INGOT_TOKEN_CONTROL ||
         t->types[id] == INGOT_TOKEN_USER_DEFINED) &&
        t->string_end[id] > token_start(t->string_end, (int32_t)id))
      t->specials[t->n_specials++] = (int32_t)id;
  for (uint32_t k = 0; k < t->n_specials; ++k)
    t->special_first[(uint8_t)t->strings[token_start(t->string_end,
                                                     t->specials[k])]] = true;
  for (uint32_t i = 1; i < t->n_specials; ++i) { /* insertion sort */
    int32_t id = t->specials[i];
    uint32_t len = t->string_end[id] - token_start(t->string_end, id);
    uint32_t j = i;
    for (; j > 0; --j) {
      int32_t prev = t->specials[j - 1];
      if (t->string_end[prev] - token_start(t->string_end, prev) >= len)
        break;
      t->specials[j] = prev;
    }
    t->specials[j] = id;
  }
  *out = t;
  return INGOT_OK;
}

/*===----------------------------------------------------------------------===
 * Queries
 *===----------------------------------------------------------------------===*/

int32_t ingot_tokenizer_vocab_size(const ingot_tokenizer *t) {
  return t ? (int32_t)t->n_tokens : 0;
}
int32_t ingot_tokenizer_bos(const ingot_tokenizer *t) { return t ? t->bos : -1; }
int32_t ingot_tokenizer_eos(const ingot_tokenizer *t) { return t ? t->eos : -1; }

bool ingot_tokenizer_adds_bos(const ingot_tokenizer *t) {
  /* GGUF's add_bos_token is not in the blob; llama.cpp's defaults: on for
   * SentencePiece and the Llama 3 pre-tokenizer, off for GPT-2 style. */
  return t && t->bos >= 0 &&
         (t->kind == INGOT_BLOB_SENTENCEPIECE || t->pre == INGOT_PRE_LLAMA3);
}

int32_t ingot_tokenizer_find(const ingot_tokenizer *t, const char *text,
                             size_t size) {
  return t && text ? vocab_find(t, text, size) : -1;
}

int32_t ingot_tokenizer_token_type(const ingot_tokenizer *t, int32_t id) {
  if (!t || id < 0 || (uint32_t)id >= t->n_tokens)
    return 0;
  return t->types[id];
}

const char *ingot_tokenizer_token_bytes(const ingot_tokenizer *t, int32_t id,
                                        size_t *size) {
  if (!t || id < 0 || (uint32_t)id >= t->n_tokens) {
    if (size)
      *size = 0;
    return NULL;
  }
  uint32_t start = token_start(t->decoded_end, id);
  if (size)
    *size = t->decoded_end[id] - start;
  return t->decoded + start;
}

ingot_status ingot_tokenizer_decode(const ingot_tokenizer *t,
                                    const int32_t *ids, size_t count,
                                    char *text, size_t capacity,
                                    size_t *size) {
  if (!t || (!ids && count) || (!text && capacity) || !size)
    return INGOT_ERROR_INVALID_ARGUMENT;
  size_t total = 0;
  /* SentencePiece with a space prefix drops the first space of the text, as
   * Hugging Face's Strip decoder does. */
  bool strip = t->kind == INGOT_BLOB_SENTENCEPIECE &&
               (t->flags & INGOT_BLOB_ADD_SPACE_PREFIX);
  for (size_t i = 0; i < count; ++i) {
    size_t len;
    const char *bytes = ingot_tokenizer_token_bytes(t, ids[i], &len);
    if (!bytes) {
      *size = total;
      return INGOT_ERROR_INVALID_ARGUMENT;
    }
    if (strip && len) {
      if (bytes[0] == ' ')
        ++bytes, --len;
      strip = false;
    }
    if (total < capacity)
      memcpy(text + total, bytes, len < capacity - total ? len
                                                         : capacity - total);
    total += len;
  }
  *size = total;
  return total > capacity ? INGOT_ERROR_BUFFER_TOO_SMALL : INGOT_OK;
}

/*===----------------------------------------------------------------------===
 * Encoding
 *===----------------------------------------------------------------------===*/

#define MISSING_KEPT 3 /* characters without a token named in messages */

/* A growing array of ids, and where the text being encoded came from. */
typedef struct id_list {
  int32_t *ids;
  size_t size, capacity;
  bool failed; /* out of memory */
  /* Offsets of the fragment being encoded in the caller's text: byte i of
   * the fragment is byte base + (origin ? origin[i] : i) of the text (origin
   * has one more entry, for the end). */
  size_t base;
  const uint32_t *origin;
  /* Characters that have no token, no byte tokens and no unknown token to
   * stand for them: how many, and the first few (offset and size in the
   * caller's text, and the code point, UINT32_MAX for a byte that is not
   * UTF-8). */
  size_t n_missing;
  struct {
    size_t offset, size;
    uint32_t cp;
  } missing[MISSING_KEPT];
} id_list;

/* Records the character of `size` bytes at `offset` of the fragment being
 * encoded as one without a token. */
static void add_missing(id_list *out, size_t offset, size_t size,
                        uint32_t cp) {
  if (out->n_missing < MISSING_KEPT) {
    size_t from = out->origin ? out->origin[offset] : offset;
    size_t to = out->origin ? out->origin[offset + size] : offset + size;
    out->missing[out->n_missing].offset = out->base + from;
    out->missing[out->n_missing].size = to - from;
    out->missing[out->n_missing].cp = cp;
  }
  ++out->n_missing;
}

static void push(id_list *list, int32_t id) {
  if (list->failed)
    return;
  if (list->size == list->capacity) {
    size_t capacity = list->capacity ? 2 * list->capacity : 64;
    int32_t *ids = realloc(list->ids, capacity * sizeof(int32_t));
    if (!ids) {
      list->failed = true;
      return;
    }
    list->ids = ids;
    list->capacity = capacity;
  }
  list->ids[list->size++] = id;
}

/* One character of the text being split. */
typedef struct character {
  uint32_t cp; /* UINT32_MAX for a byte that is not valid UTF-8 */
  uint32_t offset;
  uint8_t size, cls;
} character;

static bool is_letter(const character *c) { return c->cls == CLASS_LETTER; }
static bool is_number(const character *c) { return c->cls == CLASS_NUMBER; }
static bool is_space(const character *c) { return c->cls == CLASS_SPACE; }
static bool is_other(const character *c) { return c->cls == CLASS_OTHER; }
static bool is_newline(const character *c) {
  return c->cp == '\r' || c->cp == '\n';
}

static size_t run(const character *c, size_t i, size_t end,
                  bool (*in)(const character *)) {
  while (i < end && in(&c[i]))
    ++i;
  return i;
}

static uint32_t lower(uint32_t cp) {
  return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
}

/* 's 't 're 've 'm 'll 'd at c[i]: the length matched, or 0. */
static size_t contraction(const character *c, size_t i, size_t end,
                          bool any_case) {
  if (c[i].cp != '\'' || i + 1 >= end)
    return 0;
  uint32_t a = c[i + 1].cp, b = i + 2 < end ? c[i + 2].cp : 0;
  if (any_case)
    a = lower(a), b = lower(b);
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/* Trailing whitespace: \s+(?!\S)|\s+ at a whitespace character c[i]. */
static size_t match_spaces(const character *c, size_t i, size_t end) {
  size_t j = run(c, i, end, is_space);
  if (j == end || j - 1 == i)
    return j;
  return j - 1; /* leave the last one to the word after it */
}

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|
 * \s+(?!\S)|\s+ -- the end of the match at c[i]. */
static size_t match_gpt2(const character *c, size_t i, size_t end) {
  size_t k = contraction(c, i, end, false);
  if (k)
    return i + k;
  size_t j = c[i].cp == ' ' && i + 1 < end && !is_space(&c[i + 1]) ? i + 1
                                                                   : i;
  if (is_letter(&c[j]))
    return run(c, j, end, is_letter);
  if (is_number(&c[j]))
    return run(c, j, end, is_number);
  if (is_other(&c[j]))
    return run(c, j, end, is_other);
  return match_spaces(c, i, end);
}

/* Llama 3 (max_digits 3) and Qwen2 (max_digits 1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t match_llama3(const character *c, size_t i, size_t end,
                           size_t max_digits) {
  size_t k = contraction(c, i, end, true);
  if (k)
    return i + k;
  if (is_letter(&c[i]))
    return run(c, i, end, is_letter);
  if (!is_newline(&c[i]) && !is_number(&c[i]) && i + 1 < end &&
      is_letter(&c[i + 1]))
    return run(c, i + 1, end, is_letter);
  if (is_number(&c[i])) {
    size_t j = i;
    while (j < end && j - i < max_digits && is_number(&c[j]))
      ++j;
    return j;
  }
  size_t j = c[i].cp == ' ' && i + 1 < end && is_other(&c[i + 1]) ? i + 1
                                                                  : i;
  if (is_other(&c[j]))
    return run(c, run(c, j, end, is_other), end, is_newline);
  /* c[i] is whitespace: up to the last newline of the run, if any. */
  size_t run_end = run(c, i, end, is_space);
  for (size_t m = run_end; m > i; --m)
    if (is_newline(&c[m - 1]))
      return m;
  return match_spaces(c, i, end);
}

/* A pair of adjacent symbols that has a merge. */
typedef struct pair_entry {
  uint32_t rank;
  int32_t left, left_id, right_id, merged;
} pair_entry;

/* Scratch space of bpe_piece, sized for the whole text. */
typedef struct workspace {
  int32_t *id, *prev, *next; /* symbols as a linked list; id -1 when gone */
  pair_entry *heap;          /* at most 3 entries per byte */
} workspace;

static bool pair_before(const pair_entry *a, const pair_entry *b) {
  return a->rank != b->rank ? a->rank < b->rank : a->left < b->left;
}

/* Pushes the pair starting at symbol `left`, if it has a merge. */
static void heap_push(const ingot_tokenizer *t, workspace *w, size_t *size,
                      int32_t left) {
  int32_t right = w->next[left];
  if (right < 0)
    return;
  const merge_slot *m = merge_find(t, w->id[left], w->id[right]);
  if (!m)
    return;
  pair_entry e = {m->rank, left, w->id[left], w->id[right], m->merged};
  size_t i = (*size)++;
  while (i > 0 && pair_before(&e, &w->heap[(i - 1) / 2])) {
    w->heap[i] = w->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  w->heap[i] = e;
}

static pair_entry heap_pop(workspace *w, size_t *size) {
  pair_entry top = w->heap[0], last = w->heap[--*size];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= *size)
      break;
    if (child + 1 < *size && pair_before(&w->heap[child + 1], &w->heap[child]))
      ++child;
    if (!pair_before(&w->heap[child], &last))
      break;
    w->heap[i] = w->heap[child];
    i = child;
  }
  if (*size)
    w->heap[i] = last;
  return top;
}

/* Byte-level BPE of one piece of text, which starts at byte `at` of the
 * fragment being encoded. */
static void bpe_piece(const ingot_tokenizer *t, const uint8_t *s, size_t size,
                      size_t at, id_list *out, workspace *w) {
  if (t->flags & INGOT_BLOB_IGNORE_MERGES) {
    /* A piece that is a token is that token (Llama 3). */
    char *mapped = calloc(size * 2 + 1, 1);
    size_t len = 0;
    if (!mapped) {
      out->failed = true;
      return;
    }
    for (size_t i = 0; i < size; ++i) {
      const char *u = t->byte_utf8[s[i]];
      mapped[len++] = u[0];
      if ((uint8_t)u[0] >= 0x80)
        mapped[len++] = u[1];
    }
    int32_t id = vocab_find(t, mapped, len);
    free(mapped);
    if (id >= 0) {
      push(out, id);
      return;
    }
  }
  /* The byte tokens of each character. A byte without a token is the
   * unknown token (as Hugging Face's BPE does with each symbol, here a
   * byte); without one, its character is recorded as missing. */
  size_t n = 0;
  for (size_t i = 0; i < size;) {
    uint32_t cp;
    size_t len = utf8_decode(s + i, size - i, &cp);
    bool found = true;
    for (size_t k = 0; k < len; ++k)
      found &= t->byte_token[s[i + k]] >= 0;
    if (found || t->unk >= 0) {
      for (size_t k = 0; k < len; ++k)
        w->id[n++] = t->byte_token[s[i + k]] >= 0 ? t->byte_token[s[i + k]]
                                                  : t->unk;
    } else {
      add_missing(out, at + i, len, cp);
    }
    i += len;
  }
  /* Merge the best-ranked adjacent pair (the leftmost of equals) until no
   * pair has a merge: a heap of candidate pairs, checked when popped. */
  size_t heap_size = 0;
  for (size_t i = 0; i < n; ++i) {
    w->prev[i] = (int32_t)i - 1;
    w->next[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
  }
  for (size_t i = 0; i + 1 < n; ++i)
    heap_push(t, w, &heap_size, (int32_t)i);
  while (heap_size) {
    pair_entry top = heap_pop(w, &heap_size);
    int32_t left = top.left, right = w->next[left];
    if (w->id[left] != top.left_id || right < 0 ||
        w->id[right] != top.right_id)
      continue; /* stale: a side was merged since */
    w->id[left] = top.merged;
    w->id[right] = -1;
    w->next[left] = w->next[right];
    if (w->next[left] >= 0)
      w->prev[w->next[left]] = left;
    if (w->prev[left] >= 0)
      heap_push(t, w, &heap_size, w->prev[left]);
    heap_push(t, w, &heap_size, left);
  }
  for (int32_t i = n ? 0 : -1; i >= 0; i = w->next[i])
    push(out, w->id[i]);
}

static void free_workspace(character *c, workspace *w) {
  free(c);
  free(w->id);
  free(w->prev);
  free(w->next);
  free(w->heap);
}

/* Splits text (no special tokens in it) into pieces and encodes each. */
static void encode_text(const ingot_tokenizer *t, const uint8_t *s,
                        size_t size, id_list *out) {
  if (!size)
    return;
  character *c = malloc(size * sizeof(character));
  workspace w;
  w.id = malloc(size * sizeof(int32_t));
  w.prev = malloc(size * sizeof(int32_t));
  w.next = malloc(size * sizeof(int32_t));
  w.heap = malloc(3 * size * sizeof(pair_entry));
  if (!c || !w.id || !w.prev || !w.next || !w.heap) {
    free_workspace(c, &w);
    out->failed = true;
    return;
  }
  size_t n = 0, untokenizable = 0;
  for (size_t at = 0; at < size;) {
    character *ch = &c[n++];
    ch->offset = (uint32_t)at;
    ch->size = (uint8_t)utf8_decode(s + at, size - at, &ch->cp);
    ch->cls = ch->cp == UINT32_MAX ? CLASS_OTHER : classify(ch->cp);
    untokenizable += ch->cp == UINT32_MAX && t->byte_token[s[at]] < 0;
    at += ch->size;
  }
  if (untokenizable) {
    /* A byte that is not UTF-8 and has no token of its own (vocabularies
     * often lack 0xC0, 0xF5..0xFF) becomes U+FFFD, as a UTF-8 decoder with
     * replacement would make it. */
    size_t copy_size = size + 2 * untokenizable;
    uint8_t *copy = malloc(copy_size);
    uint32_t *origin = malloc((copy_size + 1) * sizeof(uint32_t));
    if (!copy || !origin)
      out->failed = true;
    size_t m = 0;
    for (size_t i = 0; copy && origin && i < n; ++i) {
      const uint8_t *from = s + c[i].offset;
      size_t len = c[i].size;
      if (c[i].cp == UINT32_MAX && t->byte_token[*from] < 0) {
        memcpy(copy + m, "\xEF\xBF\xBD", 3);
        len = 3;
      } else {
        memcpy(copy + m, from, len);
      }
      for (size_t k = 0; k < len; ++k) { /* a replacement maps to its byte */
        size_t at = c[i].offset + (c[i].size == len ? k : 0);
        origin[m + k] = out->origin ? out->origin[at] : (uint32_t)at;
      }
      m += len;
    }
    free_workspace(c, &w);
    if (copy && origin) {
      origin[m] = out->origin ? out->origin[size] : (uint32_t)size;
      const uint32_t *outer = out->origin;
      out->origin = origin;
      encode_text(t, copy, m, out);
      out->origin = outer;
    }
    free(copy);
    free(origin);
    return;
  }
  size_t i = 0;
  while (i < n && !out->failed) {
    size_t end = n;
    if (t->pre == INGOT_PRE_SMOLLM) {
      /* Every digit is a piece of its own; the GPT-2 regex then splits the
       * text between digits, which it sees as a whole string. */
      if (is_number(&c[i])) {
        bpe_piece(t, s + c[i].offset, c[i].size, c[i].offset, out, &w);
        ++i;
        continue;
      }
      end = i;
      while (end < n && !is_number(&c[end]))
        ++end;
    }
    size_t segment_end = end;
    while (i < segment_end && !out->failed) {
      size_t j;
      switch (t->pre) {
      case INGOT_PRE_LLAMA3:
        j = match_llama3(c, i, segment_end, 3);
        break;
      case INGOT_PRE_QWEN2:
        j = match_llama3(c, i, segment_end, 1);
        break;
      default:
        j = match_gpt2(c, i, segment_end);
        break;
      }
      size_t from = c[i].offset;
      size_t to = c[j - 1].offset + c[j - 1].size;
      bpe_piece(t, s + from, to - from, from, out, &w);
      i = j;
    }
  }
  free_workspace(c, &w);
}

/*===----------------------------------------------------------------------===
 * SentencePiece BPE (Llama 2 style), as Hugging Face tokenizers runs it:
 * spaces become U+2581, one is put first when the text is the start of the
 * input and does not begin with one, then the adjacent pair of tokens whose
 * concatenation is the token with the best score is merged (the leftmost of
 * equals) until none is; characters without a token become their <0xNN>
 * byte tokens.
 *===----------------------------------------------------------------------===*/

typedef struct spm_pair {
  float score;
  int32_t left;
  uint32_t size; /* of the concatenation, to recognize stale pairs */
} spm_pair;

typedef struct spm_symbol {
  uint32_t start, size; /* size 0: merged away */
  int32_t prev, next;
} spm_symbol;

static bool spm_before(const spm_pair *a, const spm_pair *b) {
  return a->score != b->score ? a->score > b->score : a->left < b->left;
}

static void spm_push(const ingot_tokenizer *t, const char *text,
                     spm_symbol *sym, spm_pair *heap, size_t *size,
                     int32_t left) {
  if (left < 0 || sym[left].next < 0)
    return;
  int32_t right = sym[left].next;
  /* Hugging Face's merges join two tokens only. */
  if (vocab_find(t, text + sym[left].start, sym[left].size) < 0 ||
      vocab_find(t, text + sym[right].start, sym[right].size) < 0)
    return;
  uint32_t joined = sym[left].size + sym[right].size;
  int32_t id = vocab_find(t, text + sym[left].start, joined);
  if (id < 0)
    return;
  spm_pair e = {t->scores ? t->scores[id] : -(float)id, left, joined};
  size_t i = (*size)++;
  while (i > 0 && spm_before(&e, &heap[(i - 1) / 2])) {
    heap[i] = heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  heap[i] = e;
}

static spm_pair spm_pop(spm_pair *heap, size_t *size) {
  spm_pair top = heap[0], last = heap[--*size];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= *size)
      break;
    if (child + 1 < *size && spm_before(&heap[child + 1], &heap[child]))
      ++child;
    if (!spm_before(&heap[child], &last))
      break;
    heap[i] = heap[child];
    i = child;
  }
  if (*size)
    heap[i] = last;
  return top;
}

static void spm_encode(const ingot_tokenizer *t, const uint8_t *s,
                       size_t size, bool at_start, id_list *out) {
  if (!size)
    return;
  /* Normalize: spaces to U+2581, and the prefix. */
  char *text = malloc(3 * size + 3);
  uint32_t *origin = malloc(sizeof(uint32_t) * (3 * size + 4)); /* of text */
  spm_symbol *sym = malloc(sizeof(spm_symbol) * (size + 1));
  spm_pair *heap = malloc(sizeof(spm_pair) * 3 * (size + 1));
  if (!text || !origin || !sym || !heap) {
    free(text), free(origin), free(sym), free(heap);
    out->failed = true;
    return;
  }
  size_t n = 0;
  if (at_start && (t->flags & INGOT_BLOB_ADD_SPACE_PREFIX) &&
      !(s[0] == ' ' || (size >= 3 && memcmp(s, "\xE2\x96\x81", 3) == 0))) {
    memcpy(text, "\xE2\x96\x81", 3);
    origin[0] = origin[1] = origin[2] = 0;
    n = 3;
  }
  for (size_t i = 0; i < size; ++i) {
    if (s[i] == ' ') {
      memcpy(text + n, "\xE2\x96\x81", 3);
      origin[n] = origin[n + 1] = origin[n + 2] = (uint32_t)i;
      n += 3;
    } else {
      origin[n] = (uint32_t)i;
      text[n++] = (char)s[i];
    }
  }
  origin[n] = (uint32_t)size;
  int32_t count = 0;
  for (size_t at = 0; at < n; ++count) {
    uint32_t cp;
    size_t len = utf8_decode((const uint8_t *)text + at, n - at, &cp);
    sym[count] = (spm_symbol){(uint32_t)at, (uint32_t)len, count - 1,
                              count + 1};
    at += len;
  }
  sym[count - 1].next = -1;
  size_t heap_size = 0;
  for (int32_t i = 0; i + 1 < count; ++i)
    spm_push(t, text, sym, heap, &heap_size, i);
  while (heap_size) {
    spm_pair top = spm_pop(heap, &heap_size);
    int32_t left = top.left, right = sym[left].next;
    if (sym[left].size == 0 || right < 0 ||
        sym[left].size + sym[right].size != top.size)
      continue; /* stale */
    sym[left].size = top.size;
    sym[right].size = 0;
    sym[left].next = sym[right].next;
    if (sym[left].next >= 0)
      sym[sym[left].next].prev = left;
    spm_push(t, text, sym, heap, &heap_size, sym[left].prev);
    spm_push(t, text, sym, heap, &heap_size, left);
  }
  for (int32_t i = 0; i >= 0; i = sym[i].next) {
    int32_t id = vocab_find(t, text + sym[i].start, sym[i].size);
    if (id >= 0) {
      push(out, id);
      continue;
    }
    /* A character without a token (merges only make tokens): its byte
     * tokens when it has all of them, else the unknown token, as Hugging
     * Face's byte fallback; without either it is recorded as missing. */
    bool bytes = true;
    for (uint32_t k = 0; k < sym[i].size; ++k)
      bytes &= t->byte_token[(uint8_t)text[sym[i].start + k]] >= 0;
    if (bytes) {
      for (uint32_t k = 0; k < sym[i].size; ++k)
        push(out, t->byte_token[(uint8_t)text[sym[i].start + k]]);
    } else if (t->unk >= 0) {
      push(out, t->unk);
    } else {
      uint32_t cp; /* offsets in s: U+2581 is its space, or the prefix */
      utf8_decode((const uint8_t *)text + sym[i].start, sym[i].size, &cp);
      uint32_t from = origin[sym[i].start];
      add_missing(out, from, origin[sym[i].start + sym[i].size] - from, cp);
    }
  }
  free(text), free(origin), free(sym), free(heap);
}

static void encode_segment(const ingot_tokenizer *t, const uint8_t *s,
                           size_t size, bool at_start, id_list *out) {
  if (t->kind == INGOT_BLOB_SENTENCEPIECE)
    spm_encode(t, s, size, at_start, out);
  else
    encode_text(t, s, size, out);
}

/* Encodes text into *out (which the caller frees); false for bad
 * arguments. */
static bool encode_all(const ingot_tokenizer *t, const char *text,
                       size_t size, uint32_t flags, id_list *out) {
  if (!t || (!text && size) || size > UINT32_MAX)
    return false;
  if ((flags & INGOT_ENCODE_ADD_BOS) && t->bos >= 0)
    push(out, t->bos);
  const uint8_t *s = (const uint8_t *)text;
  size_t start = 0; /* of the text not yet encoded */
  if (flags & INGOT_ENCODE_PARSE_SPECIAL) {
    for (size_t at = 0; at < size && !out->failed;) {
      int32_t found = -1;
      size_t found_size = 0;
      for (uint32_t k = 0; t->special_first[s[at]] && k < t->n_specials;
           ++k) {
        int32_t id = t->specials[k];
        uint32_t from = token_start(t->string_end, id);
        size_t len = t->string_end[id] - from;
        if (len <= size - at && memcmp(s + at, t->strings + from, len) == 0) {
          found = id, found_size = len;
          break;
        }
      }
      if (found < 0) {
        ++at;
        continue;
      }
      out->base = start;
      encode_segment(t, s + start, at - start, start == 0, out);
      push(out, found);
      at += found_size;
      start = at;
    }
  }
  out->base = start;
  encode_segment(t, s + start, size - start, start == 0, out);
  return true;
}

ingot_status ingot_tokenizer_encode(const ingot_tokenizer *t,
                                    const char *text, size_t size,
                                    uint32_t flags, int32_t *ids,
                                    size_t capacity, size_t *count) {
  if (!count || (!ids && capacity))
    return INGOT_ERROR_INVALID_ARGUMENT;
  *count = 0;
  id_list out = {0};
  if (!encode_all(t, text, size, flags, &out))
    return INGOT_ERROR_INVALID_ARGUMENT;
  ingot_status status = out.failed      ? INGOT_ERROR_OUT_OF_MEMORY
                        : out.n_missing ? INGOT_ERROR_UNSUPPORTED
                        : out.size > capacity ? INGOT_ERROR_BUFFER_TOO_SMALL
                                              : INGOT_OK;
  if (status == INGOT_OK || status == INGOT_ERROR_BUFFER_TOO_SMALL) {
    if (capacity && out.size)
      memcpy(ids, out.ids, (out.size < capacity ? out.size : capacity) *
                               sizeof(int32_t));
    *count = out.size;
  }
  free(out.ids);
  return status;
}

/* Appends "'c' (U+0063)", "U+0004" or "byte 0xFF" for the character of
 * `size` bytes at `s` whose code point the encoder saw as `cp`. */
static void describe_character(char *buffer, size_t capacity, size_t *used,
                               const uint8_t *s, size_t size, uint32_t cp) {
  if (size) { /* the caller's bytes (SentencePiece saw a space as U+2581) */
    uint32_t own;
    if (utf8_decode(s, size, &own) == size)
      cp = own;
    else if (size == 1)
      cp = UINT32_MAX;
  }
  char text[64];
  if (cp == UINT32_MAX) {
    snprintf(text, sizeof text, "byte 0x%02X", size ? s[0] : 0);
  } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
    snprintf(text, sizeof text, "U+%04X", (unsigned)cp);
  } else {
    char utf8[4];
    size_t len = utf8_encode(cp, utf8);
    snprintf(text, sizeof text, "'%.*s' (U+%04X)", (int)len, utf8,
             (unsigned)cp);
  }
  if (*used < capacity)
    *used += (size_t)snprintf(buffer + *used, capacity - *used, "%s", text);
}

ingot_status ingot_tokenizer_check(const ingot_tokenizer *t,
                                   const char *text, size_t size,
                                   uint32_t flags, char *error,
                                   size_t error_size) {
  if (error && error_size)
    error[0] = 0;
  id_list out = {0};
  if (!encode_all(t, text, size, flags, &out))
    return fail(error, error_size, INGOT_ERROR_INVALID_ARGUMENT,
                "tokenizer: bad arguments");
  free(out.ids);
  if (out.failed)
    return fail(error, error_size, INGOT_ERROR_OUT_OF_MEMORY,
                "tokenizer: out of memory");
  if (!out.n_missing)
    return INGOT_OK;
  char message[512];
  size_t used = (size_t)snprintf(message, sizeof message, "no token for ");
  size_t kept = out.n_missing < MISSING_KEPT ? out.n_missing : MISSING_KEPT;
  for (size_t i = 0; i < kept; ++i) {
    if (i && used < sizeof message)
      used += (size_t)snprintf(message + used, sizeof message - used, ", ");
    describe_character(message, sizeof message, &used,
                       (const uint8_t *)text + out.missing[i].offset,
                       out.missing[i].size, out.missing[i].cp);
    if (used < sizeof message)
      used += (size_t)snprintf(message + used, sizeof message - used,
                               " at byte %zu", out.missing[i].offset);
  }
  if (out.n_missing > kept && used < sizeof message)
    used += (size_t)snprintf(message + used, sizeof message - used,
                             " and %zu more character%s", out.n_missing - kept,
                             out.n_missing - kept == 1 ? "" : "s");
  return fail(error, error_size, INGOT_ERROR_UNSUPPORTED,
              "%s (the vocabulary has no byte tokens or unknown token for "
              "%s)",
              message, out.n_missing == 1 ? "it" : "them");
}

const char *ingot_status_string(ingot_status status) {
  switch (status) {
  case INGOT_OK:
    return "ok";
  case INGOT_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case INGOT_ERROR_MALFORMED:
    return "malformed data";
  case INGOT_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case INGOT_ERROR_UNSUPPORTED:
    return "unsupported";
  case INGOT_ERROR_BUFFER_TOO_SMALL:
    return "buffer too small";
  case INGOT_ERROR_CONTEXT_FULL:
    return "context full";
  case INGOT_ERROR_IO:
    return "input/output error";
  }
  return "unknown status";
}
