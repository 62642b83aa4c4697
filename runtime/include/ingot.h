/*===- ingot.h - The Ingot runtime's public C interface --------------------===
 *
 * Plain C ABI, no LLVM. Every object has an init/free pair; functions that
 * can fail return an ingot_status, and the init functions also write a
 * one-line message into a caller's buffer.
 *
 * Thread safety: a model and its tokenizer are read-only after init, so they
 * may be used from many threads at once. A session (its KV cache, arena and
 * thread pool) and a sampler (its PRNG and the recent tokens) have state:
 * use each from one thread at a time; different sessions of one model may
 * run on different threads at once.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_RUNTIME_INGOT_H
#define INGOT_RUNTIME_INGOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Ingot release this header and runtime belong to (CMake's
 * PROJECT_VERSION, which ingotc --version prints;
 * test/Runtime/cli-generate.test checks they agree). */
#define INGOT_RUNTIME_VERSION "0.1.0"

typedef enum ingot_status {
  INGOT_OK = 0,
  INGOT_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad id, bad value */
  INGOT_ERROR_MALFORMED = 2,        /* a blob fails validation */
  INGOT_ERROR_OUT_OF_MEMORY = 3,
  INGOT_ERROR_UNSUPPORTED = 4,      /* valid data this runtime cannot use,
                                       text the vocabulary cannot encode */
  INGOT_ERROR_BUFFER_TOO_SMALL = 5, /* the needed size was still reported */
  INGOT_ERROR_CONTEXT_FULL = 6,     /* the tokens do not fit in the context */
  INGOT_ERROR_IO = 7,               /* a file is missing, short or foreign */
} ingot_status;

/* A short English name of a status ("ok", "malformed data", ...). */
const char *ingot_status_string(ingot_status status);

/*===----------------------------------------------------------------------===
 * Tokenizer
 *
 * Built from a tokenizer blob (the layout is in runtime/README.md; the
 * compiler writes it with ingot::tokenizer::serializeTokenizer). The blob is
 * copied; the caller may free it after init.
 *===----------------------------------------------------------------------===*/

typedef struct ingot_tokenizer ingot_tokenizer;

/* Flags of ingot_tokenizer_encode. */
enum {
  /* Put the BOS token first (when the tokenizer has one). */
  INGOT_ENCODE_ADD_BOS = 1u << 0,
  /* Recognize the text of control and user-defined tokens (e.g.
   * "<|im_start|>") as those tokens, as Hugging Face tokenizers does. */
  INGOT_ENCODE_PARSE_SPECIAL = 1u << 1,
};

/* Token types, as GGUF numbers them. */
enum {
  INGOT_TOKEN_NORMAL = 1,
  INGOT_TOKEN_UNKNOWN = 2,
  INGOT_TOKEN_CONTROL = 3,
  INGOT_TOKEN_USER_DEFINED = 4,
  INGOT_TOKEN_UNUSED = 5,
  INGOT_TOKEN_BYTE = 6,
};

/* Validates `blob` and builds a tokenizer in *out. On failure *out is null
 * and `error` (when not null) holds a one-line message. */
ingot_status ingot_tokenizer_init(ingot_tokenizer **out, const void *blob,
                                  size_t size, char *error,
                                  size_t error_size);
void ingot_tokenizer_free(ingot_tokenizer *tokenizer);

int32_t ingot_tokenizer_vocab_size(const ingot_tokenizer *tokenizer);
/* The BOS / EOS ids, or -1. */
int32_t ingot_tokenizer_bos(const ingot_tokenizer *tokenizer);
int32_t ingot_tokenizer_eos(const ingot_tokenizer *tokenizer);
/* Whether a prompt should start with BOS (GGUF's add_bos_token is not in
 * the blob: true for SentencePiece and the Llama 3 pre-tokenizer when there
 * is a BOS token, as llama.cpp defaults). */
bool ingot_tokenizer_adds_bos(const ingot_tokenizer *tokenizer);
/* The id of the token spelled `text` in the model file (control tokens such
 * as "<|im_end|>" are spelled as their text), or -1. */
int32_t ingot_tokenizer_find(const ingot_tokenizer *tokenizer,
                             const char *text, size_t size);
/* The INGOT_TOKEN_* type of `id`, or 0 for an id out of range. */
int32_t ingot_tokenizer_token_type(const ingot_tokenizer *tokenizer,
                                   int32_t id);

/* Encodes `size` bytes of `text` (any bytes: invalid UTF-8 is encoded byte
 * by byte, with U+FFFD for a byte that has no token). Writes at most
 * `capacity` ids and sets *count to the number of ids of the whole text;
 * returns INGOT_ERROR_BUFFER_TOO_SMALL when that is more than `capacity`.
 * A character the vocabulary cannot spell (no token, no byte tokens) is the
 * unknown token when the vocabulary has one; otherwise nothing is dropped:
 * the result is INGOT_ERROR_UNSUPPORTED with *count 0, and
 * ingot_tokenizer_check says which characters. */
ingot_status ingot_tokenizer_encode(const ingot_tokenizer *tokenizer,
                                    const char *text, size_t size,
                                    uint32_t flags, int32_t *ids,
                                    size_t capacity, size_t *count);

/* INGOT_OK when ingot_tokenizer_encode can encode `text` with `flags`;
 * otherwise its status, and for INGOT_ERROR_UNSUPPORTED a one-line message
 * in `error` naming the first characters without a token and their byte
 * offsets in `text` ("no token for 'h' (U+0068) at byte 0, ..."). */
ingot_status ingot_tokenizer_check(const ingot_tokenizer *tokenizer,
                                   const char *text, size_t size,
                                   uint32_t flags, char *error,
                                   size_t error_size);

/* The bytes token `id` stands for (for streaming: a token may hold part of
 * a UTF-8 character), with their number in *size; null for a bad id. The
 * pointer lives as long as the tokenizer. */
const char *ingot_tokenizer_token_bytes(const ingot_tokenizer *tokenizer,
                                        int32_t id, size_t *size);

/* Concatenates the bytes of `ids` into `text` (at most `capacity` bytes, no
 * terminating zero) and sets *size to the full length; returns
 * INGOT_ERROR_BUFFER_TOO_SMALL when it is more than `capacity`, and
 * INGOT_ERROR_INVALID_ARGUMENT for an id out of range. */
ingot_status ingot_tokenizer_decode(const ingot_tokenizer *tokenizer,
                                    const int32_t *ids, size_t count,
                                    char *text, size_t capacity,
                                    size_t *size);

/*===----------------------------------------------------------------------===
 * Sampler
 *
 * Chooses the next token from a row of logits. The steps, in order:
 * repetition penalty over the last `repetition_last_n` accepted tokens
 * (CTRL-style: a positive logit is divided by the penalty, a negative one
 * multiplied), then, when temperature <= 0, the argmax (greedy; ties go to
 * the smallest id); otherwise logits / temperature, top-k, top-p (the
 * smallest set of most likely tokens whose probability reaches top_p),
 * min-p (drop tokens whose probability is below min_p times the largest),
 * and a draw from the renormalized distribution with a PRNG seeded by
 * `seed` (same seed, same logits, same choices).
 *===----------------------------------------------------------------------===*/

typedef struct ingot_sampler_params {
  float temperature;        /* <= 0: greedy */
  int32_t top_k;            /* <= 0: off */
  float top_p;              /* >= 1: off */
  float min_p;              /* <= 0: off */
  float repetition_penalty; /* 1: off */
  int32_t repetition_last_n; /* tokens the penalty looks back over */
  uint64_t seed;
} ingot_sampler_params;

typedef struct ingot_sampler ingot_sampler;

/* Greedy, everything off, seed 0. */
void ingot_sampler_params_default(ingot_sampler_params *params);

ingot_status ingot_sampler_init(ingot_sampler **out,
                                const ingot_sampler_params *params,
                                int32_t vocab_size);
void ingot_sampler_free(ingot_sampler *sampler);

/* Chooses a token from `logits` (vocab_size floats, not modified). Returns
 * its id, or -1 for null arguments. Does not record it: see accept. */
int32_t ingot_sampler_sample(ingot_sampler *sampler, const float *logits);

/* Records a token of the context (prompt or generated) for the penalty. */
void ingot_sampler_accept(ingot_sampler *sampler, int32_t id);

/* Forgets the recorded tokens and reseeds the PRNG. */
void ingot_sampler_reset(ingot_sampler *sampler, uint64_t seed);

/*===----------------------------------------------------------------------===
 * Model
 *
 * Opened from the descriptor a compiled model exports (ingot_abi.h). The
 * weights are the embedded ones, or an external file (`desc->weights_file`)
 * checked by size and header and mmapped read-only before any compute.
 *===----------------------------------------------------------------------===*/

#define INGOT_MAX_THREADS 64 /* INGOT_UK_MAX_THREADS */

typedef struct ingot_model_options {
  int32_t threads;          /* threads per session; 0: online CPUs (<= 64) */
  int32_t skip_weights_check; /* 1: do not hash external weights at open
                                 (as INGOT_SKIP_WEIGHTS_CHECK=1) */
  const char *weights_path; /* external weights; null: desc->weights_file
                               beside the executable, then in the current
                               directory */
} ingot_model_options;

typedef struct ingot_model ingot_model;

/* threads 0, skip_weights_check 0, weights_path null. */
void ingot_model_options_default(ingot_model_options *options);

/* Checks the descriptor (ABI version, sizes), maps the weights, builds the
 * tokenizer. `options` may be null (the defaults). On failure *out is null
 * and `error` holds one line, naming the weights file when it is at fault
 * (INGOT_ERROR_IO: missing, wrong size, bad header, another model's, or
 * contents that do not hash to what the compiler recorded). */
ingot_status ingot_model_open(ingot_model **out, const ingot_model_desc *desc,
                              const ingot_model_options *options, char *error,
                              size_t error_size);
void ingot_model_free(ingot_model *model);

const ingot_model_desc *ingot_model_descriptor(const ingot_model *model);
const ingot_tokenizer *ingot_model_tokenizer(const ingot_model *model);
int32_t ingot_model_vocab_size(const ingot_model *model);
int32_t ingot_model_max_ctx(const ingot_model *model);
int32_t ingot_model_threads(const ingot_model *model);
const char *ingot_model_name(const ingot_model *model);
/* "chatml", "llama3", "llama2" or "". */
const char *ingot_model_chat_style(const ingot_model *model);

/*===----------------------------------------------------------------------===
 * Session
 *
 * One conversation: its own KV cache (ctx tokens), activation arena and
 * thread pool (the model's thread count; the calling thread is thread 0).
 * Tokens are appended at the current position; the logits of the last one
 * are then available. Functions that fail leave the session as it was and
 * keep a one-line message for ingot_session_error.
 *===----------------------------------------------------------------------===*/

typedef struct ingot_session ingot_session;

/* ctx 0: the model's max_ctx; otherwise 1 .. max_ctx. */
ingot_status ingot_session_init(ingot_session **out, const ingot_model *model,
                                int32_t ctx, char *error, size_t error_size);
void ingot_session_free(ingot_session *session);

/* Appends `n` tokens (in chunks of the model's max_batch). Every id must be
 * in [0, vocab) (INGOT_ERROR_INVALID_ARGUMENT) and position + n <= ctx
 * (INGOT_ERROR_CONTEXT_FULL); otherwise nothing is computed. */
ingot_status ingot_session_prefill(ingot_session *session, const int32_t *ids,
                                   size_t n);
/* The same, writing the logits of every token to logits[n][vocab]. */
ingot_status ingot_session_prefill_all_logits(ingot_session *session,
                                              const int32_t *ids, size_t n,
                                              float *logits);
/* Appends one token. */
ingot_status ingot_session_decode(ingot_session *session, int32_t id);

/* The vocab logits of the last token appended, or null before any. Valid
 * until the next call on the session. */
const float *ingot_session_logits(const ingot_session *session);
/* Tokens in the KV cache, and its capacity. */
int32_t ingot_session_position(const ingot_session *session);
int32_t ingot_session_ctx(const ingot_session *session);
/* Forgets every token (position 0). */
void ingot_session_reset(ingot_session *session);
/* The message of the last failure ("" when none). */
const char *ingot_session_error(const ingot_session *session);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_INGOT_H */
