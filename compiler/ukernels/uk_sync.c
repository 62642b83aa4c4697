/*===- uk_sync.c - The barrier: spin, then sleep on a futex -------------===
 *
 * A sense-reversing barrier on two 32-bit atomics: the last thread to arrive
 * resets the count and bumps the phase; the others spin on the phase with a
 * pause hint, since decode steps are microseconds apart. A waiter that has
 * spun UK_SPINS_BEFORE_SLEEP times (tens of microseconds) sleeps on the
 * phase word with a futex, counted in `sleepers`; the last arriver wakes
 * them only when there are any. So an idle machine pays a few hundred
 * nanoseconds per barrier, and a machine with more runnable threads than
 * cores hands the core to the thread everyone waits for instead of burning
 * whole time slices spinning (sched_yield does not guarantee that).
 *
 *===----------------------------------------------------------------------===*/

#include "compiler/ukernels/uk_internal.h"

#include <stdatomic.h>

#define UK_SPINS_BEFORE_SLEEP 2048

/* From <unistd.h>, declared here: the bitcode is built without libc
 * headers. Linux futex operations on a private 32-bit word. */
long syscall(long number, ...);
#if defined(__x86_64__)
#define UK_SYS_FUTEX 202
#elif defined(__aarch64__)
#define UK_SYS_FUTEX 98
#endif
#define UK_FUTEX_WAIT_PRIVATE 128
#define UK_FUTEX_WAKE_PRIVATE 129

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
  _Atomic int32_t *sleepers = (_Atomic int32_t *)&sync->pad[0];
  int32_t current = atomic_load_explicit(phase, memory_order_acquire);
  if (atomic_fetch_add_explicit(arrived, 1, memory_order_acq_rel) == nth - 1) {
    atomic_store_explicit(arrived, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(phase, 1, memory_order_seq_cst);
#ifdef UK_SYS_FUTEX
    if (atomic_load_explicit(sleepers, memory_order_seq_cst) > 0)
      syscall(UK_SYS_FUTEX, (void *)phase, UK_FUTEX_WAKE_PRIVATE, 0x7fffffff,
              (void *)0, (void *)0, 0);
#endif
    return;
  }
  int spins = 0;
  while (atomic_load_explicit(phase, memory_order_acquire) == current) {
    if (spins < UK_SPINS_BEFORE_SLEEP) {
      ++spins;
      uk_pause();
      continue;
    }
#ifdef UK_SYS_FUTEX
    /* Counted before the phase is checked again, so the last arriver,
     * which bumps the phase before it reads the count, either is seen
     * here or sees us. */
    atomic_fetch_add_explicit(sleepers, 1, memory_order_seq_cst);
    if (atomic_load_explicit(phase, memory_order_seq_cst) == current)
      syscall(UK_SYS_FUTEX, (void *)phase, UK_FUTEX_WAIT_PRIVATE, current,
              (void *)0, (void *)0, 0);
    atomic_fetch_sub_explicit(sleepers, 1, memory_order_seq_cst);
#else
    uk_pause();
#endif
  }
}
