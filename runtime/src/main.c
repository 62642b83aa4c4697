/*===- main.c - The main() of standalone compiled models -----------------===
 *
 * Linked into executables ingotc emits (not part of the ingot_runtime
 * library): the compiler defines `ingot_main_model`, this file turns it into
 * a command-line program that completes a prompt, chats, or benchmarks.
 * Every user error is one line "<prog>: error: ..." and exit status 1.
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "runtime/include/ingot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Emitted by ingotc for executables. */
extern const ingot_model_desc *const ingot_main_model;

static const char *prog = "ingot";

static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  if (!ferror(stdout))
    fflush(stdout);
  fprintf(stderr, "%s: error: ", prog);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

/*===----------------------------------------------------------------------===
 * Output: every write is checked. A reader that went away (EPIPE, when
 * SIGPIPE is ignored) ends the program quietly, as SIGPIPE would have;
 * any other error (a full disk, a closed stdout) is one line and status 1.
 *===----------------------------------------------------------------------===*/

static void output_failed(int error) {
  if (error == EPIPE) {
    signal(SIGPIPE, SIG_DFL);
    raise(SIGPIPE);
    _exit(128 + SIGPIPE); /* SIGPIPE blocked */
  }
  fprintf(stderr, "%s: error: cannot write the output: %s\n", prog,
          error ? strerror(error) : "write error");
  _exit(1);
}

/* Flushes stdout, ending the program when a write failed. */
static void flush_output(void) {
  errno = 0;
  if (fflush(stdout) != 0 || ferror(stdout))
    output_failed(errno);
}

static void write_output(const void *bytes, size_t size) {
  errno = 0;
  if (size && fwrite(bytes, 1, size, stdout) != size)
    output_failed(errno);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*===----------------------------------------------------------------------===
 * Options
 *===----------------------------------------------------------------------===*/

/* Test aids (not in --help, see runtime/README.md): --tokens, --decode and
 * --print-logits print logits as `ingot-run --print=...` does. */
typedef enum print_logits { PRINT_NONE, PRINT_LAST, PRINT_ALL } print_logits;

typedef struct id_list {
  int32_t *ids;
  size_t size;
} id_list;

typedef struct options {
  const char *prompt, *prompt_file, *weights;
  const char *system; /* -sys: replaces the template's system prompt */
  int32_t n, threads, ctx, pp, tg, reps;
  int32_t keep; /* --keep: prompt tokens a context shift keeps, -1: all */
  ingot_sampler_params sampling;
  bool seed_given; /* --seed; otherwise a random one */
  bool chat, bench, no_display_prompt, verbose, context_shift;
  id_list tokens, decode; /* --tokens, --decode */
  print_logits print;     /* --print-logits */
} options;

static void usage(void) {
  const ingot_model_desc *d = ingot_main_model;
  printf(
      "usage: %s [options]\n"
      "Runs the compiled model '%s' (%s, context %llu tokens).\n"
      "\n"
      "  -p, --prompt TEXT      the prompt\n"
      "  -f, --file FILE        read the prompt from FILE\n"
      "  -n, --n-predict N      tokens to generate (default 128; -1: until "
      "the end\n"
      "                         of text or a full context)\n"
      "  --temp T               temperature (default 0: greedy)\n"
      "  --top-k K              keep the K most likely tokens (default 40, 0: "
      "off)\n"
      "  --top-p P              nucleus sampling (default 0.95, 1: off)\n"
      "  --min-p P              drop tokens below P x the best (default "
      "0.05, 0: off)\n"
      "  --repeat-penalty R     penalty of recent tokens (default 1: off)\n"
      "  --repeat-last-n N      tokens the penalty looks at (default 64)\n"
      "  --seed S               sampling seed, 0 to 2^64-1 (default: random)\n"
      "  -t, --threads N        threads (default 0: one per online CPU)\n"
      "  -c, --ctx N            context size (default and most: %llu, the "
      "compiled\n"
      "                         context)\n"
      "  --context-shift        when the context is full, drop half of it "
      "(after\n"
      "                         --keep) and go on (default: stop there)\n"
      "  --keep N               prompt tokens a context shift keeps (default "
      "0;\n"
      "                         -1: all)\n"
      "  --weights PATH         the external weights file\n"
      "  --chat                 chat with the model's template, one user turn "
      "per\n"
      "                         line of stdin (-p: the first turn)\n"
      "  -sys, --system TEXT    --chat: the system prompt, in place of the "
      "template's\n"
      "                         default (\"\": none)\n"
      "  --bench                measure prompt processing and generation "
      "speed\n"
      "  -pp N, -tg N, -r N     --bench: prompt tokens (512), generated "
      "tokens (128),\n"
      "                         repetitions (3)\n"
      "  --no-display-prompt    do not print the prompt before the answer\n"
      "  -v, --verbose          print load time, threads and seed\n"
      "  --version              the Ingot version, model and target\n"
      "  -h, --help             this help\n",
      prog, d->name ? d->name : "", d->architecture ? d->architecture : "",
      (unsigned long long)d->max_ctx, (unsigned long long)d->max_ctx);
}

/* What the executable was built for: the runtime (and main) are compiled
 * for the build machine's architecture, the model for ingotc's --cpu. */
#if defined(__x86_64__)
#define TARGET_ARCH "x86_64"
#elif defined(__aarch64__)
#define TARGET_ARCH "aarch64"
#else
#define TARGET_ARCH "unknown"
#endif
#if defined(__linux__)
#define TARGET_OS "linux"
#else
#define TARGET_OS "unknown"
#endif

static void version(void) {
  const ingot_model_desc *d = ingot_main_model;
  printf("ingot %s\n"
         "model: %s (%s), context %llu tokens, vocabulary %llu, weights "
         "%s\n"
         "target: %s-%s\n",
         INGOT_RUNTIME_VERSION, d->name ? d->name : "",
         d->architecture ? d->architecture : "",
         (unsigned long long)d->max_ctx, (unsigned long long)d->vocab_size,
         d->weights ? "embedded" : "external", TARGET_ARCH, TARGET_OS);
}

static long long parse_int(const char *flag, const char *text, long long min,
                           long long max) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || errno)
    fail("%s: '%s' is not an integer", flag, text);
  if (v < min || v > max)
    fail("%s: %lld is out of range [%lld, %lld]", flag, v, min, max);
  return v;
}

/* A decimal number in [0, 2^64). */
static uint64_t parse_u64(const char *flag, const char *text) {
  const char *p = text;
  while (*p == ' ' || *p == '\t')
    ++p;
  if (*p == '-' && p[1] >= '0' && p[1] <= '9')
    fail("%s: %s is out of range [0, %llu]", flag, text,
         (unsigned long long)UINT64_MAX);
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (*p < '0' || *p > '9' || *end)
    fail("%s: '%s' is not an integer", flag, text);
  if (errno == ERANGE)
    fail("%s: %s is out of range [0, %llu]", flag, text,
         (unsigned long long)UINT64_MAX);
  return (uint64_t)v;
}

/* "ID,ID,..." (at least one id); ids are range-checked by the session. */
static id_list parse_ids(const char *flag, const char *text) {
  id_list list = {NULL, 0};
  size_t capacity = 1;
  for (const char *p = text; *p; ++p)
    capacity += *p == ',';
  list.ids = malloc(capacity * sizeof(int32_t));
  char *copy = strdup(text);
  if (!list.ids || !copy)
    fail("out of memory");
  char *rest = copy;
  for (size_t i = 0; i < capacity; ++i) {
    char *comma = strchr(rest, ',');
    if (comma)
      *comma = 0;
    list.ids[list.size++] = (int32_t)parse_int(flag, rest, 0, INT32_MAX);
    rest = comma ? comma + 1 : rest + strlen(rest);
  }
  free(copy);
  return list;
}

static float parse_float(const char *flag, const char *text, double min,
                         double max, bool open_min) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (!*text || *end || errno || !isfinite(v))
    fail("%s: '%s' is not a number", flag, text);
  if (v < min || v > max || (open_min && v == min))
    fail("%s: %s is out of range %c%g, %g]", flag, text, open_min ? '(' : '[',
         min, max);
  return (float)v;
}

/* Whether `arg` is the flag `a` or its other spelling `b` (may be null). */
static bool is_flag(const char *arg, const char *a, const char *b) {
  return strcmp(arg, a) == 0 || (b && strcmp(arg, b) == 0);
}

static options parse(int argc, char **argv) {
  options o = {0};
  o.n = 128;
  o.pp = 512;
  o.tg = 128;
  o.reps = 3;
  ingot_sampler_params_default(&o.sampling);
  o.sampling.top_k = 40;
  o.sampling.top_p = 0.95f;
  o.sampling.min_p = 0.05f;
  o.sampling.repetition_last_n = 64;
  long long max_ctx = (long long)ingot_main_model->max_ctx;
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    const char *value = NULL;
    char name[64];
    /* --flag=value */
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    if (eq && (size_t)(eq - arg) < sizeof name) {
      memcpy(name, arg, (size_t)(eq - arg));
      name[eq - arg] = 0;
      arg = name;
      value = eq + 1;
    }
#define IS(a, b) is_flag(arg, a, b)
#define VALUE()                                                               \
  (value ? value                                                              \
         : (i + 1 < argc ? argv[++i]                                          \
                         : (fail("%s needs a value", arg), (char *)NULL)))
    bool flag_only = IS("--chat", NULL) || IS("--bench", NULL) ||
                     IS("--no-display-prompt", NULL) ||
                     IS("-v", "--verbose") || IS("-h", "--help") ||
                     IS("--version", NULL) || IS("--context-shift", NULL);
    if (flag_only && value)
      fail("%s takes no value", arg);
    if (IS("-h", "--help")) {
      usage();
      flush_output();
      exit(0);
    } else if (IS("--version", NULL)) {
      version();
      flush_output();
      exit(0);
    } else if (IS("-p", "--prompt")) {
      o.prompt = VALUE();
    } else if (IS("-f", "--file")) {
      o.prompt_file = VALUE();
    } else if (IS("-n", "--n-predict")) {
      o.n = (int32_t)parse_int(arg, VALUE(), -1, INT32_MAX);
    } else if (IS("--temp", NULL)) {
      o.sampling.temperature = parse_float(arg, VALUE(), 0, 1e6, false);
    } else if (IS("--top-k", NULL)) {
      o.sampling.top_k = (int32_t)parse_int(arg, VALUE(), 0, INT32_MAX);
    } else if (IS("--top-p", NULL)) {
      o.sampling.top_p = parse_float(arg, VALUE(), 0, 1, true);
    } else if (IS("--min-p", NULL)) {
      o.sampling.min_p = parse_float(arg, VALUE(), 0, 1, false);
    } else if (IS("--repeat-penalty", NULL)) {
      o.sampling.repetition_penalty = parse_float(arg, VALUE(), 0, 1e6, true);
    } else if (IS("--repeat-last-n", NULL)) {
      o.sampling.repetition_last_n =
          (int32_t)parse_int(arg, VALUE(), 0, 1 << 20);
    } else if (IS("--seed", NULL)) {
      o.sampling.seed = parse_u64(arg, VALUE());
      o.seed_given = true;
    } else if (IS("-t", "--threads")) {
      o.threads = (int32_t)parse_int(arg, VALUE(), 0, INGOT_MAX_THREADS);
    } else if (IS("-c", "--ctx")) {
      /* The KV cache and the memory plan are sized when ingotc compiles
       * the model: a larger context needs another compile. */
      const char *text = VALUE();
      long long ctx = parse_int(arg, text, LLONG_MIN, LLONG_MAX);
      if (ctx > max_ctx)
        fail("%s: %lld is more than the context of %lld tokens this model "
             "was compiled for (recompile it with ingotc --ctx=%lld)",
             arg, ctx, max_ctx, ctx);
      o.ctx = (int32_t)parse_int(arg, text, 1, max_ctx);
    } else if (IS("--context-shift", NULL)) {
      o.context_shift = true;
    } else if (IS("--keep", NULL)) {
      o.keep = (int32_t)parse_int(arg, VALUE(), -1, INT32_MAX);
    } else if (IS("-sys", "--system")) {
      o.system = VALUE();
    } else if (IS("--weights", NULL)) {
      o.weights = VALUE();
    } else if (IS("--chat", NULL)) {
      o.chat = true;
    } else if (IS("--bench", NULL)) {
      o.bench = true;
    } else if (IS("-pp", "--pp")) {
      o.pp = (int32_t)parse_int(arg, VALUE(), 0, INT32_MAX);
    } else if (IS("-tg", "--tg")) {
      o.tg = (int32_t)parse_int(arg, VALUE(), 0, INT32_MAX);
    } else if (IS("-r", "--repetitions")) {
      o.reps = (int32_t)parse_int(arg, VALUE(), 1, 1000);
    } else if (IS("--no-display-prompt", NULL)) {
      o.no_display_prompt = true;
    } else if (IS("-v", "--verbose")) {
      o.verbose = true;
    } else if (IS("--tokens", NULL)) {
      o.tokens = parse_ids(arg, VALUE());
    } else if (IS("--decode", NULL)) {
      o.decode = parse_ids(arg, VALUE());
    } else if (IS("--print-logits", NULL)) {
      const char *mode = VALUE();
      if (strcmp(mode, "all") == 0)
        o.print = PRINT_ALL;
      else if (strcmp(mode, "last") == 0)
        o.print = PRINT_LAST;
      else
        fail("%s: '%s' is not all or last", arg, mode);
    } else {
      fail("unknown option '%s' (see %s --help)", argv[i], prog);
    }
#undef IS
#undef VALUE
  }
  if (o.prompt && o.prompt_file)
    fail("give -p or -f, not both");
  if (o.chat && o.bench)
    fail("give --chat or --bench, not both");
  if (o.system && !o.chat)
    fail("--system needs --chat (-p and -f are raw text)");
  if ((o.context_shift || o.keep) &&
      (o.chat || o.bench || o.tokens.size))
    fail("--context-shift and --keep apply to -p and -f, not to --chat, "
         "--bench or --tokens");
  if (o.keep && !o.context_shift)
    fail("--keep needs --context-shift");
  if (o.tokens.size && (o.prompt || o.prompt_file || o.chat || o.bench))
    fail("--tokens replaces -p, -f, --chat and --bench");
  if ((o.decode.size || o.print) && !o.tokens.size)
    fail("--decode and --print-logits need --tokens");
  if (o.tokens.size && !o.print)
    o.print = PRINT_LAST;
  return o;
}

/* The prompt file: a regular file (a device or a FIFO could block or
 * never end) of at most `limit` bytes, the most a prompt that fits in the
 * context can have. */
static char *read_prompt_file(const char *path, size_t limit, int32_t ctx,
                              size_t *size) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    fail("cannot read '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0)
    fail("cannot read '%s': %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail("-f: '%s' is not a regular file", path);
  if ((unsigned long long)st.st_size > limit)
    fail("-f: '%s' is %lld bytes, more than a prompt that fits in the "
         "context of %d tokens can have (%zu)",
         path, (long long)st.st_size, (int)ctx, limit);
  size_t capacity = (size_t)st.st_size + 1, n = 0;
  char *data = malloc(capacity);
  if (!data)
    fail("out of memory reading '%s'", path);
  for (;;) {
    if (n == capacity) { /* the file grew */
      if (n > limit)
        fail("-f: '%s' is more than %zu bytes, more than a prompt that fits "
             "in the context of %d tokens can have",
             path, limit, (int)ctx);
      capacity = 2 * capacity < limit + 1 ? 2 * capacity : limit + 1;
      data = realloc(data, capacity);
      if (!data)
        fail("out of memory reading '%s'", path);
    }
    ssize_t got = read(fd, data + n, capacity - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      fail("cannot read '%s': %s", path, strerror(errno));
    if (got == 0)
      break;
    n += (size_t)got;
  }
  if (n > limit)
    fail("-f: '%s' is more than %zu bytes, more than a prompt that fits in "
         "the context of %d tokens can have",
         path, limit, (int)ctx);
  close(fd);
  *size = n;
  return data;
}

/*===----------------------------------------------------------------------===
 * Generation
 *===----------------------------------------------------------------------===*/

typedef struct tokens {
  int32_t *ids;
  size_t size, capacity;
} tokens;

static void push(tokens *t, int32_t id) {
  if (t->size == t->capacity) {
    t->capacity = t->capacity ? 2 * t->capacity : 64;
    t->ids = realloc(t->ids, t->capacity * sizeof(int32_t));
    if (!t->ids)
      fail("out of memory");
  }
  t->ids[t->size++] = id;
}

typedef struct state {
  options o;
  ingot_model *model;
  ingot_session *session;
  ingot_sampler *sampler;
  const ingot_tokenizer *tok;
  int32_t stops[8];
  int n_stops;
  tokens held;    /* the tokens in the session, for a context shift */
  size_t n_keep;  /* the tokens a context shift keeps (BOS, --keep) */
  double prefill_s, decode_s;
  long long prefilled, decoded, generated, shifts;
} state;

/* Appends the tokens of `size` bytes of text (special tokens parsed);
 * `what` names the text in errors ("the prompt"). */
static void encode(state *st, tokens *out, const char *text, size_t size,
                   const char *what) {
  size_t count = 0;
  ingot_status status = ingot_tokenizer_encode(
      st->tok, text, size, INGOT_ENCODE_PARSE_SPECIAL, NULL, 0, &count);
  if (status == INGOT_ERROR_UNSUPPORTED) {
    char error[512];
    ingot_tokenizer_check(st->tok, text, size, INGOT_ENCODE_PARSE_SPECIAL,
                          error, sizeof error);
    fail("cannot tokenize %s: %s", what, error);
  }
  int32_t *ids = malloc((count ? count : 1) * sizeof(int32_t));
  if (!ids || (status != INGOT_OK && status != INGOT_ERROR_BUFFER_TOO_SMALL) ||
      ingot_tokenizer_encode(st->tok, text, size, INGOT_ENCODE_PARSE_SPECIAL,
                             ids, count, &count) != INGOT_OK)
    fail("cannot tokenize %s: %s", what,
         ingot_status_string(status == INGOT_OK ||
                                     status == INGOT_ERROR_BUFFER_TOO_SMALL
                                 ? INGOT_ERROR_OUT_OF_MEMORY
                                 : status));
  for (size_t i = 0; i < count; ++i)
    push(out, ids[i]);
  free(ids);
}

static void encode_str(state *st, tokens *out, const char *text) {
  encode(st, out, text, strlen(text), "the chat template");
}

/* Tokens that end a turn: EOS and the control tokens named here. */
static void find_stops(state *st) {
  static const char *names[] = {"<|im_end|>", "<|eot_id|>", "<|end_of_text|>",
                                "<|endoftext|>", "<|eom_id|>"};
  int32_t eos = ingot_tokenizer_eos(st->tok);
  if (eos >= 0)
    st->stops[st->n_stops++] = eos;
  for (size_t i = 0; i < sizeof names / sizeof *names; ++i) {
    int32_t id = ingot_tokenizer_find(st->tok, names[i], strlen(names[i]));
    if (id >= 0 && id != eos &&
        ingot_tokenizer_token_type(st->tok, id) == INGOT_TOKEN_CONTROL)
      st->stops[st->n_stops++] = id;
  }
}

static bool is_stop(const state *st, int32_t id) {
  for (int i = 0; i < st->n_stops; ++i)
    if (st->stops[i] == id)
      return true;
  return false;
}

/* Runs `n` tokens through the session, recording them. */
static void run_prefill(state *st, const int32_t *ids, size_t n) {
  double start = now_s();
  if (ingot_session_prefill(st->session, ids, n) != INGOT_OK)
    fail("%s", ingot_session_error(st->session));
  st->prefill_s += now_s() - start;
  st->prefilled += (long long)n;
  for (size_t i = 0; i < n; ++i)
    push(&st->held, ids[i]);
}

/* Appends `t` to the session; its first `accepted` tokens are already known
 * to the sampler. */
static void prefill(state *st, const tokens *t, size_t accepted,
                    const char *what) {
  int32_t left =
      ingot_session_ctx(st->session) - ingot_session_position(st->session);
  if (t->size > (size_t)left) {
    if (ingot_session_position(st->session) == 0)
      fail("%s is %zu tokens, the context holds %d", what, t->size, left);
    fail("%s is %zu tokens, the context has %d of %d left", what, t->size,
         left, ingot_session_ctx(st->session));
  }
  for (size_t i = accepted; i < t->size; ++i)
    ingot_sampler_accept(st->sampler, t->ids[i]);
  run_prefill(st, t->ids, t->size);
}

/* A full context: with --context-shift, keeps the first n_keep tokens,
 * drops half of the others (the oldest) and runs the rest through the
 * session again (the compiled model's cache holds keys at their positions,
 * so moving them would need them rotated again; a prefill is the simple
 * exact way). Returns false when nothing can be dropped. */
static bool shift_context(state *st) {
  size_t held = st->held.size;
  size_t keep = st->n_keep < held ? st->n_keep : held;
  size_t discard = (held - keep) / 2;
  if (!st->o.context_shift || discard == 0)
    return false;
  memmove(st->held.ids + keep, st->held.ids + keep + discard,
          (held - keep - discard) * sizeof(int32_t));
  tokens kept = st->held;
  kept.size = held - discard;
  st->held = (tokens){NULL, 0, 0};
  ingot_session_reset(st->session);
  run_prefill(st, kept.ids, kept.size);
  free(kept.ids);
  ++st->shifts;
  if (st->o.verbose)
    fprintf(stderr, "context shift: kept %zu tokens, dropped %zu\n",
            held - discard, discard);
  return true;
}

/* Samples up to `n` tokens (n < 0: no limit) after what the session holds,
 * streaming their bytes. Returns the last token sampled that the session
 * does not hold (a stop token, or the last one when n or the context ran
 * out), or -1. Sets *stopped when a stop token ended it. */
static int32_t generate(state *st, int32_t n, bool *stopped) {
  *stopped = false;
  for (int32_t i = 0; n < 0 || i < n; ++i) {
    const float *logits = ingot_session_logits(st->session);
    int32_t id = ingot_sampler_sample(st->sampler, logits);
    if (id < 0)
      fail("sampling failed");
    if (is_stop(st, id)) {
      *stopped = true;
      return id;
    }
    ingot_sampler_accept(st->sampler, id);
    size_t size = 0;
    const char *bytes = ingot_tokenizer_token_bytes(st->tok, id, &size);
    if (bytes)
      write_output(bytes, size);
    flush_output();
    ++st->generated;
    if (n >= 0 && i + 1 == n)
      return id;
    if (ingot_session_position(st->session) ==
            ingot_session_ctx(st->session) &&
        !shift_context(st)) {
      fprintf(stderr,
              "%s: context full after %d tokens (%lld generated)%s\n", prog,
              (int)ingot_session_ctx(st->session), st->generated,
              st->o.chat            ? ""
              : st->o.context_shift ? "; --keep leaves nothing to drop"
                                    : "; --context-shift goes on past it");
      return id;
    }
    double start = now_s();
    if (ingot_session_decode(st->session, id) != INGOT_OK)
      fail("%s", ingot_session_error(st->session));
    st->decode_s += now_s() - start;
    ++st->decoded;
    push(&st->held, id);
  }
  return -1;
}

/*===----------------------------------------------------------------------===
 * Chat templates
 *===----------------------------------------------------------------------===*/

typedef enum style { STYLE_NONE, STYLE_CHATML, STYLE_LLAMA3, STYLE_LLAMA2 } style;

/* The system prompt a ChatML template adds when the conversation has none
 * (SmolLM2: "You are a helpful AI assistant named SmolLM, ..."), or null. */
static char *default_system(const char *tmpl) {
  static const char start[] = "<|im_start|>system";
  const char *p = tmpl ? strstr(tmpl, start) : NULL;
  if (!p || p == tmpl || (p[-1] != '\'' && p[-1] != '"'))
    return NULL; /* not a string literal of the template */
  p += strlen(start);
  if (*p == '\n')
    p += 1;
  else if (p[0] == '\\' && p[1] == 'n')
    p += 2;
  else
    return NULL;
  const char *end = strstr(p, "<|im_end|>");
  if (!end || memchr(p, '\'', (size_t)(end - p)) ||
      memchr(p, '{', (size_t)(end - p)))
    return NULL;
  char *text = malloc((size_t)(end - p) + 1), *q = text;
  if (!text)
    return NULL;
  for (; p < end; ++p) {
    if (p[0] == '\\' && p + 1 < end && p[1] == 'n')
      *q++ = '\n', ++p;
    else
      *q++ = *p;
  }
  *q = 0;
  return text;
}

typedef struct chat {
  style style;
  char *system;     /* -sys, else ChatML's default system prompt, or null */
  int32_t pending;  /* the last token of the previous answer, not in the
                       session yet, or -1 */
  bool ended;       /* the previous answer ended with its end-of-turn token */
  bool first;
} chat;

/* The tokens of one user turn and the assistant prefix. */
static void chat_turn(state *st, chat *c, const char *text, size_t size,
                      tokens *out) {
  int32_t bos = ingot_tokenizer_bos(st->tok);
  if (c->pending >= 0)
    push(out, c->pending);
  if (!c->first && !c->ended) {
    /* The answer was cut (by -n or the context): close it. */
    if (c->style == STYLE_CHATML)
      encode_str(st, out, "<|im_end|>");
    else if (c->style == STYLE_LLAMA3)
      encode_str(st, out, "<|eot_id|>");
    else if (c->style == STYLE_LLAMA2 && ingot_tokenizer_eos(st->tok) >= 0)
      push(out, ingot_tokenizer_eos(st->tok));
  }
  if (c->style == STYLE_LLAMA2 ? bos >= 0
                               : c->first && ingot_tokenizer_adds_bos(st->tok))
    push(out, bos);
  /* The system prompt goes in the first turn, as the templates render a
   * conversation whose first message has the role "system". */
  const char *system = c->first && c->system && *c->system ? c->system : NULL;
  const char *sys_what = "the system prompt";
  switch (c->style) {
  case STYLE_CHATML:
    if (!c->first)
      encode_str(st, out, "\n");
    if (system) {
      encode_str(st, out, "<|im_start|>system\n");
      encode(st, out, system, strlen(system), sys_what);
      encode_str(st, out, "<|im_end|>\n");
    }
    encode_str(st, out, "<|im_start|>user\n");
    encode(st, out, text, size, "this turn");
    encode_str(st, out, "<|im_end|>\n<|im_start|>assistant\n");
    break;
  case STYLE_LLAMA3:
    if (system) {
      encode_str(st, out, "<|start_header_id|>system<|end_header_id|>\n\n");
      encode(st, out, system, strlen(system), sys_what);
      encode_str(st, out, "<|eot_id|>");
    }
    encode_str(st, out, "<|start_header_id|>user<|end_header_id|>\n\n");
    encode(st, out, text, size, "this turn");
    encode_str(st, out, "<|eot_id|><|start_header_id|>assistant"
                        "<|end_header_id|>\n\n");
    break;
  case STYLE_LLAMA2:
    encode_str(st, out, "[INST] ");
    if (system) { /* Llama 2's <<SYS>> block opens the first instruction */
      encode_str(st, out, "<<SYS>>\n");
      encode(st, out, system, strlen(system), sys_what);
      encode_str(st, out, "\n<</SYS>>\n\n");
    }
    encode(st, out, text, size, "this turn");
    encode_str(st, out, " [/INST]");
    break;
  case STYLE_NONE:
    if (system) { /* raw text: the system prompt on a line of its own */
      encode(st, out, system, strlen(system), sys_what);
      encode_str(st, out, "\n");
    }
    encode(st, out, text, size, "this turn");
    break;
  }
  c->first = false;
}

static void run_chat(state *st) {
  chat c = {STYLE_NONE, NULL, -1, false, true};
  const char *name = ingot_model_chat_style(st->model);
  if (strcmp(name, "chatml") == 0 ||
      (!*name && ingot_tokenizer_find(st->tok, "<|im_start|>", 12) >= 0))
    c.style = STYLE_CHATML;
  else if (strcmp(name, "llama3") == 0)
    c.style = STYLE_LLAMA3;
  else if (strcmp(name, "llama2") == 0)
    c.style = STYLE_LLAMA2;
  if (st->o.system)
    c.system = strdup(st->o.system);
  else if (c.style == STYLE_CHATML)
    c.system = default_system(ingot_model_descriptor(st->model)->chat_template);
  bool tty = isatty(0);
  char *line = NULL;
  size_t line_capacity = 0;
  for (bool first = true;; first = false) {
    const char *text;
    size_t size;
    if (first && st->o.prompt) {
      text = st->o.prompt;
      size = strlen(text);
    } else {
      if (tty) {
        write_output("> ", 2);
        flush_output();
      }
      ssize_t n = getline(&line, &line_capacity, stdin);
      if (n < 0)
        break;
      while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        --n;
      if (n == 0)
        continue;
      text = line;
      size = (size_t)n;
    }
    tokens turn = {0};
    /* A cut answer's last token went through the sampler already. */
    size_t accepted = c.pending >= 0 && !c.ended;
    chat_turn(st, &c, text, size, &turn);
    prefill(st, &turn, accepted, "this turn");
    free(turn.ids);
    bool stopped;
    c.pending = generate(st, st->o.n, &stopped);
    c.ended = stopped;
    write_output("\n", 1);
    flush_output();
  }
  free(line);
  free(c.system);
}

/*===----------------------------------------------------------------------===
 * Benchmark
 *===----------------------------------------------------------------------===*/

static void bench_row(state *st, const char *test, const double *rates,
                      int n) {
  double mean = 0, var = 0;
  for (int i = 0; i < n; ++i)
    mean += rates[i] / n;
  for (int i = 0; i < n && n > 1; ++i)
    var += (rates[i] - mean) * (rates[i] - mean) / (n - 1);
  const ingot_model_desc *d = ingot_model_descriptor(st->model);
  printf("| %s | %.2f MiB | CPU | %d | %s | %.2f ± %.2f |\n",
         ingot_model_name(st->model),
         (double)d->weights_bytes / (1024.0 * 1024.0),
         (int)ingot_model_threads(st->model), test, mean, sqrt(var));
  flush_output();
}

static void run_bench(state *st) {
  const options *o = &st->o;
  int32_t ctx = ingot_session_ctx(st->session);
  int32_t vocab = ingot_model_vocab_size(st->model);
  if (o->pp > ctx)
    fail("--bench: pp%d needs a context of %d tokens, this one holds %d",
         (int)o->pp, (int)o->pp, (int)ctx);
  if (o->tg > ctx)
    fail("--bench: tg%d needs a context of %d tokens, this one holds %d",
         (int)o->tg, (int)o->tg, (int)ctx);
  int32_t *ids = malloc(((size_t)o->pp + 1) * sizeof(int32_t));
  double *rates = malloc((size_t)o->reps * sizeof(double));
  if (!ids || !rates)
    fail("out of memory");
  uint64_t x = 1;
  for (int32_t i = 0; i < o->pp; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    ids[i] = (int32_t)((x >> 33) % (uint64_t)vocab);
  }
  printf("| model | size | backend | threads | test | t/s |\n");
  printf("| --- | ---: | --- | ---: | ---: | ---: |\n");
  char test[32];
  if (o->pp > 0) {
    for (int r = -1; r < o->reps; ++r) { /* r = -1: warm-up */
      ingot_session_reset(st->session);
      double start = now_s();
      if (ingot_session_prefill(st->session, ids, (size_t)o->pp) != INGOT_OK)
        fail("%s", ingot_session_error(st->session));
      if (r >= 0)
        rates[r] = o->pp / (now_s() - start);
    }
    snprintf(test, sizeof test, "pp%d", (int)o->pp);
    bench_row(st, test, rates, o->reps);
  }
  if (o->tg > 0) {
    for (int r = -1; r < o->reps; ++r) {
      ingot_session_reset(st->session);
      double start = now_s();
      for (int32_t i = 0; i < o->tg; ++i)
        if (ingot_session_decode(st->session, i % vocab) != INGOT_OK)
          fail("%s", ingot_session_error(st->session));
      if (r >= 0)
        rates[r] = o->tg / (now_s() - start);
    }
    snprintf(test, sizeof test, "tg%d", (int)o->tg);
    bench_row(st, test, rates, o->reps);
  }
  free(ids);
  free(rates);
}

/*===----------------------------------------------------------------------===
 * Logits (test aid)
 *===----------------------------------------------------------------------===*/

static void print_ids(const id_list *list) {
  for (size_t i = 0; i < list->size; ++i)
    printf("%s%d", i ? "," : "", (int)list->ids[i]);
}

/* `rows` rows of `vocab` logits, each "%.6g" separated by spaces: the format
 * of ingot-run's --print. */
static void print_rows(const float *logits, size_t rows, int32_t vocab) {
  for (size_t r = 0; r < rows; ++r) {
    const float *row = logits + r * (size_t)vocab;
    for (int32_t i = 0; i < vocab; ++i)
      printf(i ? " %.6g" : "%.6g", (double)row[i]);
    putchar('\n');
  }
}

/* --tokens as one prefill, then one decode step per --decode id, printing
 * the logits as `ingot-run --tokens=... --decode=... --print=all|last`. */
static void run_logits(state *st) {
  const options *o = &st->o;
  int32_t vocab = ingot_model_vocab_size(st->model);
  int32_t ctx = ingot_session_ctx(st->session);
  size_t n = o->tokens.size;
  if (n + o->decode.size > (size_t)ctx)
    fail("--tokens and --decode are %zu tokens, the context holds %d",
         n + o->decode.size, (int)ctx);
  float *logits = NULL;
  if (o->print == PRINT_ALL) {
    logits = malloc(n * (size_t)vocab * sizeof(float));
    if (!logits)
      fail("out of memory");
    if (ingot_session_prefill_all_logits(st->session, o->tokens.ids, n,
                                         logits) != INGOT_OK)
      fail("%s", ingot_session_error(st->session));
  } else if (ingot_session_prefill(st->session, o->tokens.ids, n) !=
             INGOT_OK) {
    fail("%s", ingot_session_error(st->session));
  }
  printf("# prefill: tokens ");
  print_ids(&o->tokens);
  printf(" at positions 0..%zu\n", n - 1);
  if (logits)
    print_rows(logits, n, vocab);
  else
    print_rows(ingot_session_logits(st->session), 1, vocab);
  free(logits);
  for (size_t i = 0; i < o->decode.size; ++i) {
    int32_t position = ingot_session_position(st->session);
    if (ingot_session_decode(st->session, o->decode.ids[i]) != INGOT_OK)
      fail("%s", ingot_session_error(st->session));
    printf("# decode: token %d at position %d\n", (int)o->decode.ids[i],
           (int)position);
    print_rows(ingot_session_logits(st->session), 1, vocab);
  }
  flush_output();
}

/*===----------------------------------------------------------------------===
 * main
 *===----------------------------------------------------------------------===*/

/* A seed from the kernel's random source (getrandom, else /dev/urandom),
 * else from the clock and the process id. */
static uint64_t random_seed(void) {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) == (ssize_t)sizeof seed)
    return seed;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t got = read(fd, &seed, sizeof seed);
    close(fd);
    if (got == (ssize_t)sizeof seed)
      return seed;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^
         ((uint64_t)getpid() << 32);
}

/* The most bytes a text of `ctx` tokens can have: a token stands for at
 * most its own bytes, or one character (4 bytes: an unknown token). */
static size_t max_prompt_bytes(const state *st, int32_t ctx) {
  size_t longest = 4;
  for (int32_t id = 0; id < ingot_tokenizer_vocab_size(st->tok); ++id) {
    size_t size = 0;
    ingot_tokenizer_token_bytes(st->tok, id, &size);
    if (size > longest)
      longest = size;
  }
  return (size_t)ctx * longest;
}

int main(int argc, char **argv) {
  if (argc > 0 && argv[0] && *argv[0]) {
    const char *slash = strrchr(argv[0], '/');
    prog = slash ? slash + 1 : argv[0];
  }
  /* A closed stdin, stdout or stderr would be taken by the next file
   * opened; a closed stdout would lose every word of the answer. */
  bool stdout_closed = fcntl(1, F_GETFD) < 0;
  int fd;
  while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2) {
  }
  if (fd > 2)
    close(fd);
  if (stdout_closed)
    fail("cannot write the output: standard output is closed");
  state st = {0};
  st.o = parse(argc, argv);
  const options *o = &st.o;
  /* Sampling without --seed draws a seed, as llama.cpp does; -v shows it. */
  if (!o->seed_given)
    st.o.sampling.seed = random_seed();

  double start = now_s();
  ingot_model_options mo;
  ingot_model_options_default(&mo);
  mo.threads = o->threads;
  mo.weights_path = o->weights;
  char error[512];
  if (ingot_model_open(&st.model, ingot_main_model, &mo, error,
                       sizeof error) != INGOT_OK)
    fail("%s", error);
  if (ingot_session_init(&st.session, st.model, o->ctx, error,
                         sizeof error) != INGOT_OK)
    fail("%s", error);
  st.tok = ingot_model_tokenizer(st.model);
  if (ingot_sampler_init(&st.sampler, &o->sampling,
                         ingot_model_vocab_size(st.model)) != INGOT_OK)
    fail("cannot create the sampler");
  find_stops(&st);
  double load_s = now_s() - start;

  if (o->verbose && o->sampling.temperature > 0 && !o->bench &&
      !o->tokens.size)
    fprintf(stderr, "seed: %llu\n", (unsigned long long)o->sampling.seed);
  if (o->tokens.size) {
    run_logits(&st);
  } else if (o->bench) {
    run_bench(&st);
  } else if (o->chat) {
    run_chat(&st);
  } else {
    size_t size = 0;
    char *text = NULL;
    int32_t ctx = ingot_session_ctx(st.session);
    if (o->prompt_file)
      text = read_prompt_file(o->prompt_file, max_prompt_bytes(&st, ctx), ctx,
                              &size);
    else if (o->prompt)
      size = strlen(o->prompt);
    const char *prompt = text ? text : o->prompt ? o->prompt : "";
    tokens ids = {0};
    bool bos = ingot_tokenizer_adds_bos(st.tok);
    if (bos)
      push(&ids, ingot_tokenizer_bos(st.tok));
    encode(&st, &ids, prompt, size, "the prompt");
    if (ids.size == 0)
      fail("the prompt is empty (give -p TEXT or -f FILE)");
    /* A context shift keeps BOS and --keep tokens of the prompt (-1: all
     * of it), as llama.cpp's --keep. */
    st.n_keep = o->keep < 0 || (size_t)o->keep + bos > ids.size
                    ? ids.size
                    : (size_t)o->keep + bos;
    prefill(&st, &ids, 0, "the prompt");
    free(ids.ids);
    if (!o->no_display_prompt)
      write_output(prompt, size);
    bool stopped;
    generate(&st, o->n, &stopped);
    write_output("\n", 1);
    flush_output();
    free(text);
  }

  if (!o->bench && !o->tokens.size) {
    fprintf(stderr,
            "prefill: %lld tokens, %.1f tok/s; decode: %lld tokens, %.1f "
            "tok/s\n",
            st.prefilled, st.prefill_s > 0 ? st.prefilled / st.prefill_s : 0.0,
            st.decoded, st.decode_s > 0 ? st.decoded / st.decode_s : 0.0);
  }
  if (o->verbose)
    fprintf(stderr,
            "load: %.1f ms; threads: %d; context: %d; generated: %lld "
            "tokens; context shifts: %lld\n",
            load_s * 1e3, (int)ingot_model_threads(st.model),
            (int)ingot_session_ctx(st.session), st.generated, st.shifts);
  ingot_sampler_free(st.sampler);
  ingot_session_free(st.session);
  ingot_model_free(st.model);
  free(st.held.ids);
  free(st.o.tokens.ids);
  free(st.o.decode.ids);
  return 0;
}
