/*===- simt.c - The SIMT executor: GPU blocks run on the host -------------===
 *
 * ingot_simt_launch runs a kernel's blocks one after another on the calling
 * OS thread. Each GPU thread of a block is a fiber (on x86-64 a small
 * switch of the callee-saved registers and the stack pointer; elsewhere
 * ucontext, which also saves the signal mask: slower) with its own
 * stack of INGOT_SIMT_STACK_BYTES (64 KiB: the stack a kernel thread may
 * use on the host, above an inaccessible guard page); the stacks are
 * allocated once per OS thread and reused.
 *
 * Scheduling: every runnable fiber runs, in thread order, until it waits
 * (at a block barrier, a warp shuffle or a warp sync) or returns. When none
 * can run:
 *   - a warp whose 32 lanes all wait at the same shuffle (same call site)
 *     exchanges its values (each lane's result is computed from the values
 *     all lanes deposited) and its lanes run again; the same for warp
 *     syncs and for the tensor-core product (gk_mma_m16n8k16: the lanes'
 *     fragments are assembled into A, B and C, D = A·B + C is formed and
 *     each lane gets its fragment of D);
 *   - when every thread that has not returned waits at one barrier, all
 *     run again;
 *   - anything else is an error: threads at different barriers, a barrier
 *     some threads exited without reaching, a shuffle not every lane of
 *     the warp reached, threads waiting on each other.
 * A thread runs until it synchronizes, so a kernel that reads shared memory
 * another thread writes without a barrier between them reads the old
 * contents (each block's shared arrays start as 0xff bytes).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "compiler/ukernels/gpu/gk_common.h"
#include "compiler/ukernels/gpu/gk_host.h"
#include "compiler/ukernels/gpu/gpu.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/*===----------------------------------------------------------------------===
 * Context switches
 *===----------------------------------------------------------------------===*/

#if defined(__x86_64__) && defined(__linux__)
#define INGOT_SIMT_OWN_SWITCH 1
/* Saves rbp, rbx, r12-r15 on the running stack and the stack pointer in
 * *from, then resumes the context whose stack pointer is `to` (System V
 * ABI: everything else is caller-saved; MXCSR and the x87 control word are
 * left as the kernels never change them). */
void ingot_simt_switch(void **from, void *to);
__asm__(".text\n"
        ".globl ingot_simt_switch\n"
        ".hidden ingot_simt_switch\n"
        ".type ingot_simt_switch, @function\n"
        "ingot_simt_switch:\n"
        "  pushq %rbp\n"
        "  pushq %rbx\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbx\n"
        "  popq %rbp\n"
        "  ret\n"
        ".size ingot_simt_switch, .-ingot_simt_switch\n");
typedef struct simt_context {
  void *sp;
} simt_context;
#else
#define INGOT_SIMT_OWN_SWITCH 0
typedef struct simt_context {
  ucontext_t uc;
} simt_context;
#endif

#define INGOT_SIMT_STACK_BYTES (64 * 1024)
#define INGOT_SIMT_MAX_THREADS 1024
/* Block-shared memory per block (static arrays and dynamic bytes). */
#define INGOT_SIMT_SHARED_BYTES (96 * 1024)
#define INGOT_SIMT_MAX_SITES 64
/* An inaccessible page below each stack: an overflow faults at once
 * instead of overwriting the next fiber's stack. */
#define INGOT_SIMT_GUARD_BYTES 4096
#define INGOT_SIMT_STACK_STRIDE                                                \
  (INGOT_SIMT_GUARD_BYTES + INGOT_SIMT_STACK_BYTES)

enum {
  SIMT_RUN,
  SIMT_BARRIER,
  SIMT_SHFL,
  SIMT_WARP_SYNC,
  SIMT_MMA,
  SIMT_DONE,
  SIMT_FAULT,
};

typedef struct simt_fiber {
  simt_context ctx;
  int state;
  const char *file; /* where it waits */
  int line;
  int xor_mode; /* shuffle: lane ^ arg, else lane arg */
  uint32_t value, arg, result;
  uint32_t mma_a[4], mma_b[2]; /* mma: this lane's fragments */
  float mma_c[4], mma_d[4];
} simt_fiber;

typedef struct simt_site {
  const void *site;
  size_t offset, bytes;
} simt_site;

typedef struct simt_state {
  simt_fiber *fibers;
  char *stacks;       /* per fiber: a guard page, then its stack */
  size_t stacks_size; /* bytes mapped */
  unsigned capacity;  /* fibers and stacks allocated */
  unsigned threads, block, blocks, current;
  simt_context scheduler;
  const ingot_gk_host_kernel *kernel;
  void **params;
  char *shared;
  size_t shared_used, shared_dirty;
  simt_site sites[INGOT_SIMT_MAX_SITES];
  unsigned site_count;
  char fault[160];
} simt_state;

static _Thread_local simt_state simt;

uint32_t ingot_simt_thread_id(void) { return simt.current; }
uint32_t ingot_simt_block_dim(void) { return simt.threads; }
uint32_t ingot_simt_block_id(void) { return simt.block; }
uint32_t ingot_simt_grid_dim(void) { return simt.blocks; }

/* Back to the scheduler; returns when this fiber is made runnable. */
static void simt_switch(simt_context *from, simt_context *to) {
#if INGOT_SIMT_OWN_SWITCH
  ingot_simt_switch(&from->sp, to->sp);
#else
  swapcontext(&from->uc, &to->uc);
#endif
}

static void simt_wait(int state, const char *file, int line) {
  simt_fiber *f = &simt.fibers[simt.current];
  f->state = state;
  f->file = file;
  f->line = line;
  simt_switch(&f->ctx, &simt.scheduler);
}

/* Stops this fiber for good with `fault` as the launch's error. */
static void simt_fault(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(simt.fault, sizeof simt.fault, fmt, ap);
  va_end(ap);
  simt_wait(SIMT_FAULT, 0, 0);
}

void ingot_simt_barrier(const char *file, int line) {
  simt_wait(SIMT_BARRIER, file, line);
}

void ingot_simt_warp_sync(const char *file, int line) {
  simt_wait(SIMT_WARP_SYNC, file, line);
}

uint32_t ingot_simt_shfl(uint32_t v, int xor_mode, uint32_t arg,
                         const char *file, int line) {
  simt_fiber *f = &simt.fibers[simt.current];
  f->value = v;
  f->arg = arg;
  f->xor_mode = xor_mode;
  simt_wait(SIMT_SHFL, file, line);
  return simt.fibers[simt.current].result;
}

void ingot_simt_mma(float d[4], const uint32_t a[4], const uint32_t b[2],
                    const float c[4], const char *file, int line) {
  simt_fiber *f = &simt.fibers[simt.current];
  memcpy(f->mma_a, a, sizeof f->mma_a);
  memcpy(f->mma_b, b, sizeof f->mma_b);
  memcpy(f->mma_c, c, sizeof f->mma_c);
  simt_wait(SIMT_MMA, file, line);
  memcpy(d, simt.fibers[simt.current].mma_d, sizeof f->mma_d);
}

void *ingot_simt_shared(const void *site, size_t bytes) {
  for (unsigned i = 0; i < simt.site_count; ++i)
    if (simt.sites[i].site == site)
      return simt.shared + simt.sites[i].offset;
  size_t offset = (simt.shared_used + 15) & ~(size_t)15;
  if (simt.site_count == INGOT_SIMT_MAX_SITES ||
      offset + bytes > INGOT_SIMT_SHARED_BYTES) {
    simt_fault("block-shared memory over %d bytes", INGOT_SIMT_SHARED_BYTES);
    return 0; /* not reached */
  }
  simt.sites[simt.site_count++] = (simt_site){site, offset, bytes};
  simt.shared_used = offset + bytes;
  return simt.shared + offset;
}

/* A fiber's first and only frame: it never returns, it switches back to
 * the scheduler for good. */
static void simt_entry(void) {
  simt.kernel->thunk(simt.params);
  simt_fiber *f = &simt.fibers[simt.current];
  f->state = SIMT_DONE;
  simt_switch(&f->ctx, &simt.scheduler);
}

/* Makes fiber t start at simt_entry on its own stack. */
static void simt_start(unsigned t) {
  simt_fiber *f = &simt.fibers[t];
  char *stack = simt.stacks + (size_t)t * INGOT_SIMT_STACK_STRIDE +
                INGOT_SIMT_GUARD_BYTES;
#if INGOT_SIMT_OWN_SWITCH
  /* From the (16-aligned) top: a null return address for simt_entry, its
   * address for ingot_simt_switch's ret, six zeroed registers. */
  uintptr_t top = ((uintptr_t)stack + INGOT_SIMT_STACK_BYTES) & ~(uintptr_t)15;
  void **sp = (void **)top;
  *--sp = 0;
  *--sp = (void *)(uintptr_t)simt_entry;
  for (int i = 0; i < 6; ++i)
    *--sp = 0;
  f->ctx.sp = sp;
#else
  getcontext(&f->ctx.uc);
  f->ctx.uc.uc_stack.ss_sp = stack;
  f->ctx.uc.uc_stack.ss_size = INGOT_SIMT_STACK_BYTES;
  f->ctx.uc.uc_link = 0;
  makecontext(&f->ctx.uc, simt_entry, 0);
#endif
}

static int simt_reserve(unsigned threads, char *error, size_t error_size) {
  if (!simt.shared) {
    simt.shared = malloc(INGOT_SIMT_SHARED_BYTES);
    if (!simt.shared) {
      snprintf(error, error_size, "simt: out of memory");
      return 1;
    }
    simt.shared_dirty = INGOT_SIMT_SHARED_BYTES;
  }
  if (threads <= simt.capacity)
    return 0;
  free(simt.fibers);
  if (simt.stacks)
    munmap(simt.stacks, simt.stacks_size);
  simt.capacity = 0;
  simt.stacks = 0;
  simt.fibers = calloc(threads, sizeof(simt_fiber));
  size_t size = (size_t)threads * INGOT_SIMT_STACK_STRIDE;
  void *stacks = mmap(0, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  int ok = simt.fibers && stacks != MAP_FAILED;
  for (unsigned t = 0; ok && t < threads; ++t)
    ok = mprotect((char *)stacks + (size_t)t * INGOT_SIMT_STACK_STRIDE,
                  INGOT_SIMT_GUARD_BYTES, PROT_NONE) == 0;
  if (!ok) {
    free(simt.fibers);
    simt.fibers = 0;
    if (stacks != MAP_FAILED)
      munmap(stacks, size);
    snprintf(error, error_size, "simt: out of memory for %u fibers", threads);
    return 1;
  }
  simt.stacks = (char *)stacks;
  simt.stacks_size = size;
  simt.capacity = threads;
  return 0;
}

static int simt_warp_op(int state) {
  return state == SIMT_SHFL || state == SIMT_WARP_SYNC || state == SIMT_MMA;
}

static const char *simt_warp_op_name(int state) {
  return state == SIMT_SHFL  ? "shuffle"
         : state == SIMT_MMA ? "mma"
                             : "warp sync";
}

/* The m16n8k16 product of a warp's 32 lanes (the fragment layout of
 * gpu.h): A, B and C assembled from the lanes' registers, D = A·B + C with
 * each element summed in double (the f16 products are exact) and rounded
 * to f32, D handed back in the same layout. */
static void simt_mma_warp(simt_fiber *lanes) {
  double A[16][16], B[16][8], C[16][8];
  for (unsigned l = 0; l < GK_WARP; ++l) {
    const simt_fiber *f = &lanes[l];
    unsigned g = l / 4, t = l % 4;
    for (unsigned r = 0; r < 4; ++r) {
      unsigned row = g + 8 * (r & 1), col = 2 * t + 8 * (r >> 1);
      A[row][col] = gk_half_to_float(f->mma_a[r] & 0xffffu);
      A[row][col + 1] = gk_half_to_float(f->mma_a[r] >> 16);
    }
    for (unsigned r = 0; r < 2; ++r) {
      B[2 * t + 8 * r][g] = gk_half_to_float(f->mma_b[r] & 0xffffu);
      B[2 * t + 8 * r + 1][g] = gk_half_to_float(f->mma_b[r] >> 16);
    }
    for (unsigned r = 0; r < 4; ++r)
      C[g + 8 * (r >> 1)][2 * t + (r & 1)] = f->mma_c[r];
  }
  for (unsigned l = 0; l < GK_WARP; ++l) {
    simt_fiber *f = &lanes[l];
    unsigned g = l / 4, t = l % 4;
    for (unsigned r = 0; r < 4; ++r) {
      unsigned row = g + 8 * (r >> 1), col = 2 * t + (r & 1);
      double s = C[row][col];
      for (unsigned k = 0; k < 16; ++k)
        s += A[row][k] * B[k][col];
      f->mma_d[r] = (float)s;
    }
  }
}

/* Resolves the waits of warp w if all its lanes wait at one shuffle or warp
 * sync: returns 1 if they run again, 0 if the warp is not ready, -1 (with
 * `error`) if it never can be. */
static int simt_resolve_warp(unsigned w, char *error, size_t error_size) {
  unsigned first = w * GK_WARP, last = first + GK_WARP;
  if (last > simt.threads)
    last = simt.threads;
  simt_fiber *f0 = &simt.fibers[first];
  unsigned waiting = 0, done = 0;
  for (unsigned t = first; t < last; ++t) {
    simt_fiber *f = &simt.fibers[t];
    if (simt_warp_op(f->state))
      ++waiting;
    else if (f->state == SIMT_DONE)
      ++done;
  }
  if (!waiting)
    return 0;
  simt_fiber *wf = 0;
  for (unsigned t = first; t < last && !wf; ++t)
    if (simt_warp_op(simt.fibers[t].state))
      wf = &simt.fibers[t];
  if (done) {
    snprintf(error, error_size,
             "simt: block %u warp %u: %s at %s:%d not reached by %u lanes "
             "that exited",
             simt.block, w, simt_warp_op_name(wf->state), wf->file, wf->line,
             done);
    return -1;
  }
  if (waiting != last - first)
    return 0; /* others still run or wait at a barrier: decided later */
  for (unsigned t = first; t < last; ++t) {
    simt_fiber *f = &simt.fibers[t];
    if (f->state != f0->state || f->line != f0->line ||
        strcmp(f->file, f0->file) != 0) {
      snprintf(error, error_size,
               "simt: block %u warp %u: lanes at different warp operations "
               "(%s:%d and %s:%d)",
               simt.block, w, f0->file, f0->line, f->file, f->line);
      return -1;
    }
  }
  if (f0->state == SIMT_MMA) {
    if (last - first != GK_WARP) {
      snprintf(error, error_size,
               "simt: block %u warp %u: mma at %s:%d in a warp of %u lanes",
               simt.block, w, f0->file, f0->line, last - first);
      return -1;
    }
    simt_mma_warp(&simt.fibers[first]);
  }
  if (f0->state == SIMT_SHFL) {
    for (unsigned t = first; t < last; ++t) {
      simt_fiber *f = &simt.fibers[t];
      unsigned lane = t - first;
      unsigned src = (f->xor_mode ? lane ^ f->arg : f->arg) % GK_WARP;
      f->result =
          first + src < last ? simt.fibers[first + src].value : f->value;
    }
  }
  for (unsigned t = first; t < last; ++t)
    simt.fibers[t].state = SIMT_RUN;
  return 1;
}

/* Runs block `simt.block` to its end: 0, or 1 with `error`. */
static int simt_run_block(char *error, size_t error_size) {
  unsigned n = simt.threads;
  memset(simt.shared, 0xff, simt.shared_dirty);
  simt.shared_used = 0;
  simt.site_count = 0;
  for (unsigned t = 0; t < n; ++t) {
    simt_start(t);
    simt.fibers[t].state = SIMT_RUN;
  }
  int status = 0;
  for (;;) {
    int ran = 0;
    for (unsigned t = 0; t < n; ++t) {
      if (simt.fibers[t].state != SIMT_RUN)
        continue;
      simt.current = t;
      simt_switch(&simt.scheduler, &simt.fibers[t].ctx);
      ran = 1;
      if (simt.fibers[t].state == SIMT_FAULT) {
        snprintf(error, error_size, "simt: block %u thread %u: %s", simt.block,
                 t, simt.fault);
        status = 1;
        goto out;
      }
    }
    if (ran)
      continue;
    /* Nothing runnable: warp operations first. */
    int progress = 0;
    for (unsigned w = 0; w * GK_WARP < n; ++w) {
      int r = simt_resolve_warp(w, error, error_size);
      if (r < 0) {
        status = 1;
        goto out;
      }
      progress |= r;
    }
    if (progress)
      continue;
    unsigned done = 0, atBarrier = 0;
    simt_fiber *b0 = 0, *other = 0;
    for (unsigned t = 0; t < n; ++t) {
      simt_fiber *f = &simt.fibers[t];
      if (f->state == SIMT_DONE) {
        ++done;
      } else if (f->state == SIMT_BARRIER) {
        ++atBarrier;
        if (!b0)
          b0 = f;
        else if (f->line != b0->line || strcmp(f->file, b0->file) != 0)
          other = f;
      } else if (!other) {
        other = f;
      }
    }
    if (done == n)
      break;
    if (b0 && other) {
      snprintf(error, error_size,
               "simt: block %u: threads wait at different places (barrier "
               "%s:%d and %s %s:%d)",
               simt.block, b0->file, b0->line,
               other->state == SIMT_BARRIER ? "barrier" : "warp operation",
               other->file, other->line);
      status = 1;
      goto out;
    }
    if (!b0) {
      snprintf(error, error_size,
               "simt: block %u: threads wait on each "
               "other at %s:%d",
               simt.block, other->file, other->line);
      status = 1;
      goto out;
    }
    if (done) {
      snprintf(error, error_size,
               "simt: block %u: barrier at %s:%d reached by %u threads, %u "
               "exited without reaching it",
               simt.block, b0->file, b0->line, atBarrier, done);
      status = 1;
      goto out;
    }
    for (unsigned t = 0; t < n; ++t)
      simt.fibers[t].state = SIMT_RUN;
  }
out:
  simt.shared_dirty = simt.shared_used;
  if (status)
    simt.shared_dirty = INGOT_SIMT_SHARED_BYTES;
  return status;
}

int ingot_simt_launch(const ingot_gk_host_kernel *kernel, void **params,
                      const unsigned grid[3], const unsigned block[3],
                      size_t dynamic_shared_bytes, char *error,
                      size_t error_size) {
  if (error_size)
    error[0] = 0;
  unsigned long long threads =
      (unsigned long long)block[0] * block[1] * block[2];
  unsigned long long blocks = (unsigned long long)grid[0] * grid[1] * grid[2];
  if (!kernel) {
    snprintf(error, error_size, "simt: no kernel");
    return 1;
  }
  if (threads == 0 || threads > INGOT_SIMT_MAX_THREADS) {
    snprintf(error, error_size, "simt: %s: %llu threads per block (1 to %d)",
             kernel->name, threads, INGOT_SIMT_MAX_THREADS);
    return 1;
  }
  if (block[1] != 1 || block[2] != 1 || grid[1] != 1 || grid[2] != 1) {
    snprintf(error, error_size,
             "simt: %s: only one-dimensional grids and blocks", kernel->name);
    return 1;
  }
  if (blocks == 0) {
    snprintf(error, error_size, "simt: %s: an empty grid", kernel->name);
    return 1;
  }
  if (dynamic_shared_bytes > INGOT_SIMT_SHARED_BYTES / 2) {
    snprintf(error, error_size, "simt: %s: %zu bytes of dynamic shared memory",
             kernel->name, dynamic_shared_bytes);
    return 1;
  }
  if (simt_reserve((unsigned)threads, error, error_size))
    return 1;
  simt.kernel = kernel;
  simt.params = params;
  simt.threads = (unsigned)threads;
  simt.blocks = (unsigned)blocks;
  for (unsigned b = 0; b < blocks; ++b) {
    simt.block = b;
    if (simt_run_block(error, error_size))
      return 1;
  }
  return 0;
}
