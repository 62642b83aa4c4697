/*===- model.c - Compiled models and their sessions ----------------------===
 *
 * A model is a descriptor (ingot_abi.h), its weights (embedded, or an
 * external file checked by size, header and content hash, mmapped
 * read-only) and
 * its tokenizer. A session owns everything a step writes: the KV cache, the
 * arena, the barrier and a thread pool; the model is only read, so sessions
 * on different threads do not interact.
 *
 * A GPU model (desc->gpu not null, cuda.c) keeps its weights in one device
 * allocation, uploaded at open; its sessions own a stream, a device arena,
 * KV cache, token buffer and logits buffer, and run the forward function on
 * the calling thread, which enqueues the kernels.
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "runtime/include/ingot.h"
#include "runtime/src/cuda.h"
#include "runtime/src/threads.h"
#include "runtime/src/weights-hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ingot_uk_sync (compiler/ukernels/ukernels.h, not included here: the
 * runtime does not depend on the compiler's tree): 64 zeroed bytes. The unit
 * tests check the size and INGOT_MAX_THREADS == INGOT_UK_MAX_THREADS. */
#define INGOT_SYNC_BYTES 64

_Static_assert(sizeof(ingot_weights_header) == 64,
               "the weights header is 64 bytes");

struct ingot_model {
  const ingot_model_desc *desc;
  const uint8_t *weights;
  void *mapping; /* external weights: the whole file, else null */
  size_t mapping_size;
  ingot_tokenizer *tokenizer;
  int32_t threads;
  ingot_cuda *cuda;           /* a GPU model: the driver, else null */
  ingot_cuda_ptr gpu_weights; /* the weights on the device */
};

struct ingot_session {
  const ingot_model *model;
  int32_t ctx, position;
  uint8_t *arena, *kv;
  size_t arena_size, kv_size; /* mapping sizes, for munmap */
  float *logits; /* vocab floats: the last token's */
  bool has_logits;
  struct ingot_uk_sync *sync;
  ingot_pool *pool;
  /* A GPU model's: the stream and the device buffers. */
  void *stream;
  ingot_cuda_ptr gpu_arena, gpu_kv, gpu_tokens, gpu_logits;
  uint64_t gpu_logits_rows; /* rows of vocab floats gpu_logits holds */
  char error[512];
};

static void set_error(char *error, size_t size, const char *format, ...) {
  if (!error || !size)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(error, size, format, args);
  va_end(args);
}

/* Bytes of a mapping that holds `bytes` (at least one page); 0 on
 * overflow. */
static size_t map_size(uint64_t bytes) {
  if (bytes > SIZE_MAX - 65536)
    return 0;
  size_t size = ((size_t)bytes + 4095) / 4096 * 4096;
  return size ? size : 4096;
}

/* Page-aligned memory the kernel zeroes on first touch, or null. */
static void *map_zeroed(size_t size) {
  if (!size)
    return NULL;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* 64-aligned, zeroed, at least 64 bytes. */
static void *alloc64(uint64_t bytes) {
  if (bytes > SIZE_MAX - 64)
    return NULL;
  size_t size = ((size_t)bytes + 63) / 64 * 64;
  if (!size)
    size = 64;
  void *p = aligned_alloc(64, size);
  if (p)
    memset(p, 0, size);
  return p;
}

/*===----------------------------------------------------------------------===
 * Weights
 *===----------------------------------------------------------------------===*/

/* The path of `name` beside the running executable, else in the current
 * directory; null (and a message) when it is in neither. */
static char *find_weights(const char *name, char *error, size_t error_size) {
  char dir[4096] = "";
  ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
  char *slash = n > 0 ? (dir[n] = 0, strrchr(dir, '/')) : NULL;
  if (slash) {
    slash[1] = 0;
    size_t size = strlen(dir) + strlen(name) + 1;
    char *path = malloc(size);
    if (!path)
      return NULL;
    snprintf(path, size, "%s%s", dir, name);
    if (access(path, F_OK) == 0)
      return path;
    free(path);
  }
  if (access(name, F_OK) == 0)
    return strdup(name);
  set_error(error, error_size,
            "weights file '%s': not found beside the executable (%s) nor in "
            "the current directory",
            name, slash ? dir : "unknown");
  return NULL;
}

/* Whether the mapped weights hash to what the compiler recorded (the
 * descriptor's hash, else the header's; neither: nothing to check). Reads
 * the whole blob once: about 0.3 s per GiB in the page cache. */
static bool check_weights_hash(const ingot_model_desc *d,
                               const ingot_weights_header *h, void *mapping,
                               size_t mapping_size, const char *path,
                               char *error, size_t error_size) {
  uint64_t want = d->weights_hash ? d->weights_hash : h->weights_hash;
  if (!want)
    return true;
  madvise(mapping, mapping_size, MADV_WILLNEED); /* read ahead */
  uint64_t got = ingot_weights_hash((const uint8_t *)mapping + sizeof *h,
                                    d->weights_bytes);
  if (got == want)
    return true;
  set_error(error, error_size,
            "weights file '%s': contents changed since compilation (hash "
            "%016llx, expected %016llx); INGOT_SKIP_WEIGHTS_CHECK=1 skips "
            "this check",
            path, (unsigned long long)got, (unsigned long long)want);
  return false;
}

/* Whether to hash the weights at open: unless the options or the
 * environment (INGOT_SKIP_WEIGHTS_CHECK set, not "0") opt out. */
static bool should_verify(const ingot_model_options *options) {
  if (options->skip_weights_check)
    return false;
  const char *env = getenv("INGOT_SKIP_WEIGHTS_CHECK");
  return !env || !*env || strcmp(env, "0") == 0;
}

static ingot_status map_weights(ingot_model *m, const char *path,
                                bool verify, char *error, size_t error_size) {
  const ingot_model_desc *d = m->desc;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    set_error(error, error_size, "weights file '%s': %s", path,
              strerror(errno));
    return INGOT_ERROR_IO;
  }
  struct stat st;
  ingot_weights_header h;
  ingot_status status = INGOT_ERROR_IO;
  uint64_t want = sizeof h + d->weights_bytes;
  if (fstat(fd, &st) != 0) {
    set_error(error, error_size, "weights file '%s': %s", path,
              strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    set_error(error, error_size, "weights file '%s': not a regular file",
              path);
  } else if ((uint64_t)st.st_size != want) {
    set_error(error, error_size,
              "weights file '%s': %llu bytes, expected %llu (%s)", path,
              (unsigned long long)st.st_size, (unsigned long long)want,
              (uint64_t)st.st_size < want ? "truncated" : "too long");
  } else if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
    set_error(error, error_size, "weights file '%s': cannot read its header",
              path);
  } else if (memcmp(h.magic, INGOT_WEIGHTS_MAGIC, 8) != 0) {
    set_error(error, error_size,
              "weights file '%s': not an Ingot weights file (bad magic)",
              path);
  } else if (h.weights_bytes != d->weights_bytes) {
    set_error(error, error_size,
              "weights file '%s': header says %llu bytes of weights, the "
              "model needs %llu",
              path, (unsigned long long)h.weights_bytes,
              (unsigned long long)d->weights_bytes);
  } else if (h.model_id != d->model_id) {
    set_error(error, error_size,
              "weights file '%s': weights of another model (id %016llx, "
              "expected %016llx)",
              path, (unsigned long long)h.model_id,
              (unsigned long long)d->model_id);
  } else {
    void *p = mmap(NULL, (size_t)want, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      set_error(error, error_size, "weights file '%s': cannot map: %s", path,
                strerror(errno));
    } else if (verify && !check_weights_hash(d, &h, p, (size_t)want, path,
                                             error, error_size)) {
      munmap(p, (size_t)want);
    } else {
      m->mapping = p;
      m->mapping_size = (size_t)want;
      m->weights = (const uint8_t *)p + sizeof h;
      status = INGOT_OK;
    }
  }
  close(fd);
  return status;
}

/*===----------------------------------------------------------------------===
 * Model
 *===----------------------------------------------------------------------===*/

/* The driver, the device code, and the weights copied to the device once;
 * an external weights file is unmapped after its copy. */
static ingot_status open_gpu(ingot_model *m, char *error, size_t error_size) {
  const ingot_model_desc *d = m->desc;
  ingot_status status = ingot_cuda_open(&m->cuda, d->gpu, error, error_size);
  if (status == INGOT_OK)
    status = ingot_cuda_alloc(m->cuda, d->weights_bytes, "the weights",
                              &m->gpu_weights, error, error_size);
  if (status == INGOT_OK && m->weights)
    status = ingot_cuda_upload(m->cuda, m->gpu_weights, m->weights,
                               d->weights_bytes, error, error_size);
  if (status != INGOT_OK)
    return status;
  if (m->mapping) {
    munmap(m->mapping, m->mapping_size);
    m->mapping = NULL;
  }
  m->weights = NULL;
  return INGOT_OK;
}

void ingot_model_options_default(ingot_model_options *options) {
  if (!options)
    return;
  options->threads = 0;
  options->skip_weights_check = 0;
  options->weights_path = NULL;
}

static int32_t online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1)
    return 1;
  return n > INGOT_MAX_THREADS ? INGOT_MAX_THREADS : (int32_t)n;
}

ingot_status ingot_model_open(ingot_model **out, const ingot_model_desc *d,
                              const ingot_model_options *options, char *error,
                              size_t error_size) {
  set_error(error, error_size, "%s", "");
  if (!out) {
    set_error(error, error_size, "ingot_model_open: null output pointer");
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  *out = NULL;
  ingot_model_options defaults;
  ingot_model_options_default(&defaults);
  if (!options)
    options = &defaults;
  if (!d) {
    set_error(error, error_size, "ingot_model_open: null descriptor");
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  if (d->abi_version != INGOT_ABI_VERSION) {
    set_error(error, error_size,
              "model compiled for runtime ABI %llu, this runtime has %d",
              (unsigned long long)d->abi_version, INGOT_ABI_VERSION);
    return INGOT_ERROR_UNSUPPORTED;
  }
  if (!d->forward || !d->tokenizer || d->vocab_size == 0 ||
      d->vocab_size > INT32_MAX || d->max_ctx == 0 ||
      d->max_ctx > INT32_MAX || d->max_batch == 0 ||
      (!d->weights && d->weights_bytes &&
       (!d->weights_file || !*d->weights_file))) {
    set_error(error, error_size, "model descriptor is malformed");
    return INGOT_ERROR_MALFORMED;
  }
  if (options->threads < 0 || options->threads > INGOT_MAX_THREADS) {
    set_error(error, error_size, "threads must be 0 to %d, not %d",
              INGOT_MAX_THREADS, (int)options->threads);
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  ingot_model *m = calloc(1, sizeof *m);
  if (!m) {
    set_error(error, error_size, "out of memory");
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  m->desc = d;
  /* A GPU model runs on the calling thread; the thread count is ignored. */
  m->threads = d->gpu ? 1 : options->threads ? options->threads
                                              : online_cpus();
  m->weights = d->weights;
  if (!d->weights && d->weights_file && *d->weights_file) {
    char *path = options->weights_path
                     ? strdup(options->weights_path)
                     : find_weights(d->weights_file, error, error_size);
    ingot_status status =
        path ? map_weights(m, path, should_verify(options), error, error_size)
             : INGOT_ERROR_IO;
    free(path);
    if (status != INGOT_OK) {
      free(m);
      return status;
    }
  }
  if (d->gpu) {
    ingot_status status = open_gpu(m, error, error_size);
    if (status != INGOT_OK) {
      ingot_model_free(m);
      return status;
    }
  }
  char message[256] = "";
  ingot_status status = ingot_tokenizer_init(
      &m->tokenizer, d->tokenizer, (size_t)d->tokenizer_bytes, message,
      sizeof message);
  if (status == INGOT_OK &&
      ingot_tokenizer_vocab_size(m->tokenizer) > (int32_t)d->vocab_size) {
    set_error(message, sizeof message,
              "tokenizer has %d tokens, the model's vocabulary %llu",
              (int)ingot_tokenizer_vocab_size(m->tokenizer),
              (unsigned long long)d->vocab_size);
    status = INGOT_ERROR_MALFORMED;
  }
  if (status != INGOT_OK) {
    set_error(error, error_size, "model '%s': %s", d->name ? d->name : "",
              message);
    ingot_model_free(m);
    return status;
  }
  *out = m;
  return INGOT_OK;
}

void ingot_model_free(ingot_model *m) {
  if (!m)
    return;
  ingot_tokenizer_free(m->tokenizer);
  ingot_cuda_free(m->cuda, m->gpu_weights);
  ingot_cuda_close(m->cuda);
  if (m->mapping)
    munmap(m->mapping, m->mapping_size);
  free(m);
}

const ingot_model_desc *ingot_model_descriptor(const ingot_model *m) {
  return m ? m->desc : NULL;
}
const ingot_tokenizer *ingot_model_tokenizer(const ingot_model *m) {
  return m ? m->tokenizer : NULL;
}
int32_t ingot_model_vocab_size(const ingot_model *m) {
  return m ? (int32_t)m->desc->vocab_size : 0;
}
int32_t ingot_model_max_ctx(const ingot_model *m) {
  return m ? (int32_t)m->desc->max_ctx : 0;
}
int32_t ingot_model_threads(const ingot_model *m) {
  return m ? m->threads : 0;
}
const char *ingot_model_name(const ingot_model *m) {
  return m && m->desc->name ? m->desc->name : "";
}
const char *ingot_model_chat_style(const ingot_model *m) {
  return m && m->desc->chat_style ? m->desc->chat_style : "";
}

/*===----------------------------------------------------------------------===
 * Session
 *===----------------------------------------------------------------------===*/

/* A GPU session: its stream, the arena, the KV cache (zeroed, as the CPU
 * path's fresh pages are), the token buffer, the last token's logits on the
 * device and on the host. */
static ingot_status init_gpu_session(ingot_session *s, char *error,
                                     size_t error_size) {
  const ingot_model_desc *d = s->model->desc;
  ingot_cuda *cuda = s->model->cuda;
  uint64_t kv = d->kv_bytes_per_token;
  if (kv && (uint64_t)s->ctx > UINT64_MAX / kv) {
    set_error(error, error_size, "the KV cache of %d tokens is too large",
              (int)s->ctx);
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  s->logits = alloc64(d->vocab_size * sizeof(float));
  if (!s->logits) {
    set_error(error, error_size, "out of memory");
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  ingot_status status =
      ingot_cuda_stream_create(cuda, &s->stream, error, error_size);
  if (status == INGOT_OK)
    status = ingot_cuda_alloc(cuda, d->arena_bytes, "the activation arena",
                              &s->gpu_arena, error, error_size);
  if (status == INGOT_OK)
    status = ingot_cuda_alloc(cuda, (uint64_t)s->ctx * kv, "the KV cache",
                              &s->gpu_kv, error, error_size);
  if (status == INGOT_OK)
    status = ingot_cuda_zero(cuda, s->gpu_kv, (uint64_t)s->ctx * kv, error,
                             error_size);
  if (status == INGOT_OK)
    status = ingot_cuda_alloc(cuda, d->max_batch * sizeof(int32_t),
                              "the token buffer", &s->gpu_tokens, error,
                              error_size);
  if (status == INGOT_OK)
    status = ingot_cuda_alloc(cuda, d->vocab_size * sizeof(float),
                              "the logits", &s->gpu_logits, error,
                              error_size);
  s->gpu_logits_rows = 1;
  return status;
}

/* Room for `rows` rows of logits on the device (all logits of a chunk). */
static ingot_status reserve_gpu_logits(ingot_session *s, uint64_t rows) {
  if (rows <= s->gpu_logits_rows)
    return INGOT_OK;
  ingot_cuda *cuda = s->model->cuda;
  ingot_cuda_ptr p = 0;
  ingot_status status = ingot_cuda_alloc(
      cuda, rows * s->model->desc->vocab_size * sizeof(float),
      "all logits of a batch", &p, s->error, sizeof s->error);
  if (status != INGOT_OK)
    return status;
  ingot_cuda_free(cuda, s->gpu_logits);
  s->gpu_logits = p;
  s->gpu_logits_rows = rows;
  return INGOT_OK;
}

/* One forward call of a GPU model on `n` tokens: the tokens up, the
 * kernels, the logits asked for down: all n rows into `all_logits`, else
 * the last token's when `last` (the last chunk of an append). */
static ingot_status gpu_step(ingot_session *s, const int32_t *ids, int64_t n,
                             float *all_logits, bool last) {
  const ingot_model *m = s->model;
  const ingot_model_desc *d = m->desc;
  ingot_cuda *cuda = m->cuda;
  size_t vocab = (size_t)d->vocab_size;
  ingot_status status =
      all_logits ? reserve_gpu_logits(s, (uint64_t)n) : INGOT_OK;
  if (status == INGOT_OK)
    status = ingot_cuda_upload(cuda, s->gpu_tokens, ids,
                               (uint64_t)n * sizeof(int32_t), s->error,
                               sizeof s->error);
  if (status == INGOT_OK)
    status = ingot_cuda_begin(cuda, s->stream, s->error, sizeof s->error);
  if (status != INGOT_OK)
    return status;
  d->forward((const int32_t *)(uintptr_t)s->gpu_tokens, n, s->position,
             (float *)(uintptr_t)s->gpu_logits, all_logits ? 1 : 0,
             (uint8_t *)(uintptr_t)s->gpu_arena,
             (uint8_t *)(uintptr_t)s->gpu_kv, s->ctx,
             (const uint8_t *)(uintptr_t)m->gpu_weights, NULL, 0, 1);
  status = ingot_cuda_end(s->error, sizeof s->error);
  if (status != INGOT_OK)
    return status;
  if (all_logits)
    return ingot_cuda_download(cuda, all_logits, s->gpu_logits,
                               (uint64_t)n * vocab * sizeof(float), s->error,
                               sizeof s->error);
  if (!last)
    return INGOT_OK;
  return ingot_cuda_download(cuda, s->logits, s->gpu_logits,
                             vocab * sizeof(float), s->error,
                             sizeof s->error);
}

ingot_status ingot_session_init(ingot_session **out, const ingot_model *m,
                                int32_t ctx, char *error, size_t error_size) {
  set_error(error, error_size, "%s", "");
  if (!out || !m) {
    set_error(error, error_size, "ingot_session_init: null argument");
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  *out = NULL;
  const ingot_model_desc *d = m->desc;
  if (ctx == 0)
    ctx = (int32_t)d->max_ctx;
  if (ctx < 1 || (uint64_t)ctx > d->max_ctx) {
    set_error(error, error_size,
              "context must be 1 to %llu tokens (the compiled maximum), not %d",
              (unsigned long long)d->max_ctx, (int)ctx);
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  ingot_session *s = calloc(1, sizeof *s);
  if (!s) {
    set_error(error, error_size, "out of memory");
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  s->model = m;
  s->ctx = ctx;
  uint64_t kv = d->kv_bytes_per_token;
  if (m->cuda) {
    ingot_status status = init_gpu_session(s, error, error_size);
    if (status != INGOT_OK) {
      ingot_session_free(s);
      return status;
    }
    *out = s;
    return INGOT_OK;
  }
  /* The arena and the KV cache are written before they are read: mapped
   * pages, zeroed by the kernel only when first touched, cost nothing up
   * front (a 4096-token cache of a 135M model is 180 MB). */
  s->arena_size = map_size(d->arena_bytes);
  s->arena = map_zeroed(s->arena_size);
  s->kv_size = kv && (uint64_t)ctx > UINT64_MAX / kv
                   ? 0
                   : map_size((uint64_t)ctx * kv);
  s->kv = s->kv_size ? map_zeroed(s->kv_size) : NULL;
  s->logits = alloc64(d->vocab_size * sizeof(float));
  s->sync = alloc64(INGOT_SYNC_BYTES);
  s->pool = s->arena && s->kv && s->logits && s->sync
                ? ingot_pool_init(m->threads)
                : NULL;
  if (!s->pool) {
    set_error(error, error_size,
              "cannot allocate a session (%llu bytes of KV cache, %llu of "
              "arena, %d threads)",
              (unsigned long long)((uint64_t)ctx * kv),
              (unsigned long long)d->arena_bytes, (int)m->threads);
    ingot_session_free(s);
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  *out = s;
  return INGOT_OK;
}

void ingot_session_free(ingot_session *s) {
  if (!s)
    return;
  ingot_cuda *cuda = s->model->cuda;
  ingot_cuda_stream_destroy(cuda, s->stream);
  ingot_cuda_free(cuda, s->gpu_arena);
  ingot_cuda_free(cuda, s->gpu_kv);
  ingot_cuda_free(cuda, s->gpu_tokens);
  ingot_cuda_free(cuda, s->gpu_logits);
  ingot_pool_free(s->pool);
  if (s->arena)
    munmap(s->arena, s->arena_size);
  if (s->kv)
    munmap(s->kv, s->kv_size);
  free(s->logits);
  free(s->sync);
  free(s);
}

typedef struct step {
  ingot_session *s;
  const int32_t *ids;
  int64_t n, start, all;
  float *logits;
} step;

static void run_step(void *arg, int32_t ith, int32_t nth) {
  step *t = arg;
  ingot_session *s = t->s;
  const ingot_model *m = s->model;
  m->desc->forward(t->ids, t->n, t->start, t->logits, t->all, s->arena, s->kv,
                   s->ctx, m->weights, s->sync, ith, nth);
}

static ingot_status append(ingot_session *s, const int32_t *ids, size_t n,
                           float *all_logits) {
  if (!s)
    return INGOT_ERROR_INVALID_ARGUMENT;
  s->error[0] = 0;
  if (!ids && n) {
    snprintf(s->error, sizeof s->error, "null token array");
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  const ingot_model_desc *d = s->model->desc;
  for (size_t i = 0; i < n; ++i)
    if (ids[i] < 0 || (uint64_t)ids[i] >= d->vocab_size) {
      snprintf(s->error, sizeof s->error,
               "token %zu of %zu is %d, outside the vocabulary [0, %llu)", i,
               n, (int)ids[i], (unsigned long long)d->vocab_size);
      return INGOT_ERROR_INVALID_ARGUMENT;
    }
  if (n > (size_t)(s->ctx - s->position)) {
    snprintf(s->error, sizeof s->error,
             "context full: %zu tokens at position %d do not fit in the "
             "context of %d",
             n, (int)s->position, (int)s->ctx);
    return INGOT_ERROR_CONTEXT_FULL;
  }
  size_t vocab = (size_t)d->vocab_size;
  for (size_t done = 0; done < n;) {
    size_t chunk = n - done;
    if (chunk > d->max_batch)
      chunk = (size_t)d->max_batch;
    step t = {s, ids + done, (int64_t)chunk, s->position, 0, s->logits};
    if (all_logits) {
      t.all = 1;
      t.logits = all_logits + done * vocab;
    }
    if (s->model->cuda) {
      ingot_status status = gpu_step(s, t.ids, t.n,
                                     all_logits ? t.logits : NULL,
                                     done + chunk == n);
      if (status != INGOT_OK) {
        s->has_logits = false;
        return status;
      }
    } else {
      ingot_pool_run(s->pool, run_step, &t);
    }
    s->position += (int32_t)chunk;
    done += chunk;
    if (all_logits && done == n)
      memcpy(s->logits, all_logits + (n - 1) * vocab, vocab * sizeof(float));
  }
  if (n)
    s->has_logits = true;
  return INGOT_OK;
}

ingot_status ingot_session_prefill(ingot_session *s, const int32_t *ids,
                                   size_t n) {
  return append(s, ids, n, NULL);
}

ingot_status ingot_session_prefill_all_logits(ingot_session *s,
                                              const int32_t *ids, size_t n,
                                              float *logits) {
  if (s && !logits) {
    snprintf(s->error, sizeof s->error, "null logits buffer");
    return INGOT_ERROR_INVALID_ARGUMENT;
  }
  return append(s, ids, n, logits);
}

ingot_status ingot_session_decode(ingot_session *s, int32_t id) {
  return append(s, &id, 1, NULL);
}

const float *ingot_session_logits(const ingot_session *s) {
  return s && s->has_logits ? s->logits : NULL;
}
int32_t ingot_session_position(const ingot_session *s) {
  return s ? s->position : 0;
}
int32_t ingot_session_ctx(const ingot_session *s) { return s ? s->ctx : 0; }

void ingot_session_reset(ingot_session *s) {
  if (!s)
    return;
  s->position = 0;
  s->has_logits = false;
  s->error[0] = 0;
}

const char *ingot_session_error(const ingot_session *s) {
  return s ? s->error : "null session";
}
