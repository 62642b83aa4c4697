/*===- threads.c - A spin-then-sleep thread pool -------------------------===
 *
 * A job is published by bumping `generation`; workers that see it run the
 * job and bump `done`. An idle worker spins (with a pause instruction) for
 * about INGOT_POOL_SPIN_NS, checking the clock every few hundred
 * iterations (and yielding then, for oversubscribed machines), then sleeps
 * on `wake`. The publisher broadcasts only when a
 * worker may be asleep: a worker announces itself in `sleeping` under the
 * mutex before checking the generation a last time, and the publisher reads
 * `sleeping` after storing the generation (both sequentially consistent),
 * so one of the two always sees the other.
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "runtime/src/threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define INGOT_POOL_SPIN_NS 500000 /* 0.5 ms */

struct ingot_pool {
  int32_t nth;
  pthread_t *workers;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  ingot_pool_fn fn;
  void *arg;
  _Alignas(64) atomic_uint generation;
  atomic_int sleeping;
  atomic_bool quit;
  _Alignas(64) atomic_int done;
};

typedef struct worker_start {
  ingot_pool *pool;
  int32_t ith;
} worker_start;

static inline void cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Returns the generation after `seen`, spinning then sleeping for it. */
static unsigned wait_for_job(ingot_pool *pool, unsigned seen) {
  int64_t start = now_ns();
  for (unsigned i = 1;; ++i) {
    unsigned g = atomic_load_explicit(&pool->generation, memory_order_acquire);
    if (g != seen)
      return g;
    cpu_pause();
    if (i % 256 == 0) {
      if (now_ns() - start > INGOT_POOL_SPIN_NS)
        break;
      sched_yield(); /* lets the owner of an oversubscribed core run */
    }
  }
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add(&pool->sleeping, 1);
  unsigned g;
  while ((g = atomic_load(&pool->generation)) == seen)
    pthread_cond_wait(&pool->wake, &pool->mutex);
  atomic_fetch_sub(&pool->sleeping, 1);
  pthread_mutex_unlock(&pool->mutex);
  return g;
}

static void *worker_main(void *p) {
  worker_start start = *(worker_start *)p;
  free(p);
  ingot_pool *pool = start.pool;
  unsigned seen = 0;
  for (;;) {
    seen = wait_for_job(pool, seen);
    if (atomic_load(&pool->quit))
      return NULL;
    pool->fn(pool->arg, start.ith, pool->nth);
    atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
  }
}

ingot_pool *ingot_pool_init(int32_t nth) {
  if (nth < 1)
    return NULL;
  ingot_pool *pool = aligned_alloc(64, (sizeof(ingot_pool) + 63) / 64 * 64);
  if (!pool)
    return NULL;
  pool->nth = nth;
  pool->fn = NULL;
  pool->arg = NULL;
  atomic_init(&pool->generation, 0);
  atomic_init(&pool->sleeping, 0);
  atomic_init(&pool->quit, false);
  atomic_init(&pool->done, 0);
  pool->workers = calloc((size_t)nth, sizeof(pthread_t));
  if (!pool->workers || pthread_mutex_init(&pool->mutex, NULL)) {
    free(pool->workers);
    free(pool);
    return NULL;
  }
  pthread_cond_init(&pool->wake, NULL);
  for (int32_t i = 1; i < nth; ++i) {
    worker_start *start = malloc(sizeof *start);
    if (start) {
      start->pool = pool;
      start->ith = i;
    }
    if (!start || pthread_create(&pool->workers[i], NULL, worker_main, start)) {
      free(start);
      pool->nth = i; /* join the ones started */
      ingot_pool_free(pool);
      return NULL;
    }
  }
  return pool;
}

void ingot_pool_run(ingot_pool *pool, ingot_pool_fn fn, void *arg) {
  if (pool->nth == 1) {
    fn(arg, 0, 1);
    return;
  }
  pool->fn = fn;
  pool->arg = arg;
  atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
  atomic_fetch_add(&pool->generation, 1); /* seq_cst: publishes fn, arg */
  if (atomic_load(&pool->sleeping) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
  fn(arg, 0, pool->nth);
  /* The workers end with the same barriers the caller did: spin. */
  for (unsigned i = 1;
       atomic_load_explicit(&pool->done, memory_order_acquire) < pool->nth - 1;
       ++i) {
    cpu_pause();
    if (i % 256 == 0)
      sched_yield();
  }
}

void ingot_pool_free(ingot_pool *pool) {
  if (!pool)
    return;
  atomic_store(&pool->quit, true);
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add(&pool->generation, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int32_t i = 1; i < pool->nth; ++i)
    pthread_join(pool->workers[i], NULL);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->workers);
  free(pool);
}
