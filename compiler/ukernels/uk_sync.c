/*===- uk_sync.c - The spinning barrier -----------------------------------===
 *
 * A sense-reversing barrier on two 32-bit atomics: the last thread to arrive
 * resets the count and bumps the phase; the others spin on the phase with a
 * pause hint: decode steps are microseconds apart, too short to sleep.
 * After UK_SPINS_BEFORE_YIELD spins a waiter yields its core on every
 * further try (sched_yield, from libc), so that a machine with more
 * threads than free cores still makes progress instead of spinning away
 * whole time slices.
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

#include <stdatomic.h>

#define UK_SPINS_BEFORE_YIELD 4096

/* From <sched.h>, declared here: the bitcode is built without libc
 * headers. */
int sched_yield(void);

static inline void uk_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

void ingot_uk_barrier(ingot_uk_sync *sync, int32_t nth) {
  if (nth <= 1)
    return;
  _Atomic int32_t *arrived = (_Atomic int32_t *)&sync->arrived;
  _Atomic int32_t *phase = (_Atomic int32_t *)&sync->phase;
  int32_t current = atomic_load_explicit(phase, memory_order_acquire);
  if (atomic_fetch_add_explicit(arrived, 1, memory_order_acq_rel) == nth - 1) {
    atomic_store_explicit(arrived, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(phase, 1, memory_order_release);
    return;
  }
  int spins = 0;
  while (atomic_load_explicit(phase, memory_order_acquire) == current) {
    if (spins < UK_SPINS_BEFORE_YIELD) {
      ++spins;
      uk_pause();
    } else {
      sched_yield();
    }
  }
}
