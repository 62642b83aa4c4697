/*===- threads.h - The thread pool a session runs its steps on ------------===
 *
 * `nth` threads, the caller being thread 0: ingot_pool_run publishes a job,
 * every thread calls fn(arg, ith, nth), and it returns when all are done.
 * Workers spin for a while after a job (a decode step follows within
 * microseconds) and then sleep on a condition variable.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_RUNTIME_SRC_THREADS_H
#define INGOT_RUNTIME_SRC_THREADS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ingot_pool ingot_pool;
typedef void (*ingot_pool_fn)(void *arg, int32_t ith, int32_t nth);

/* Starts nth - 1 workers (nth >= 1). Returns null when memory or a thread
 * cannot be had. */
ingot_pool *ingot_pool_init(int32_t nth);
/* Runs fn on all threads; returns when every one has returned. */
void ingot_pool_run(ingot_pool *pool, ingot_pool_fn fn, void *arg);
/* Stops and joins the workers. */
void ingot_pool_free(ingot_pool *pool);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_SRC_THREADS_H */
