/* bench/barrier.c - What one ingot_uk_barrier costs, and so what the
 * barriers of one decode step cost.
 *
 *   cc -O2 -march=native -I. bench/barrier.c compiler/ukernels/uk_sync.c \
 *      -lpthread -o /tmp/barrier && /tmp/barrier [threads] [barriers]
 *
 * Every thread calls the barrier `barriers` times in a row with no work in
 * between (the worst case: nothing hides the synchronization); prints the
 * mean time per barrier. */
#define _GNU_SOURCE
#include "compiler/ukernels/ukernels.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static ingot_uk_sync sync_ __attribute__((aligned(64)));
static int nth = 2;
static long count = 200000;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *run(void *arg) {
  (void)arg;
  for (long i = 0; i < count; ++i)
    ingot_uk_barrier(&sync_, nth);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1)
    nth = atoi(argv[1]);
  if (argc > 2)
    count = atol(argv[2]);
  if (nth < 1 || nth > INGOT_UK_MAX_THREADS || count < 1) {
    fprintf(stderr, "usage: barrier [threads 1..64] [barriers]\n");
    return 1;
  }
  pthread_t threads[INGOT_UK_MAX_THREADS];
  double t0 = now();
  for (int i = 1; i < nth; ++i)
    pthread_create(&threads[i], NULL, run, NULL);
  run(NULL);
  for (int i = 1; i < nth; ++i)
    pthread_join(threads[i], NULL);
  double t = now() - t0;
  printf("threads %d: %.0f ns per barrier (%ld barriers)\n", nth,
         t / count * 1e9, count);
  return 0;
}
