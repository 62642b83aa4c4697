/*===- weights-hash.h - The content hash of an external weights file ------===
 *
 * ingotc hashes the weights blob as it writes it (in parts: ingot_wh_init,
 * ingot_wh_stripes, ingot_wh_finish) and stores the hash of an external
 * blob in the descriptor and in `OUTPUT.weights`'s header; the runtime hashes
 * the mapped blob again when it opens the file and refuses it when the two
 * differ (a flipped byte, zeroed or truncated data, another compilation's
 * file). Shared by the compiler (C++) and the runtime (C), so both compute
 * the same function; it is written here, not taken from a library.
 *
 * The function: four independent 64-bit lanes, each 32-byte stripe feeding
 * one little-endian word to each lane as
 *
 *   lane = rotl(lane ^ (word * K2), 31) * K1
 *
 * (every step a bijection of the lane for a fixed word, and of the word for
 * a fixed lane: two inputs that differ in one word always give different
 * lanes); the words of the tail go through lane 0, the last 1..7 bytes as
 * one zero-padded word; the lanes are combined by rotation and addition,
 * the length is mixed in, and a final avalanche spreads every bit. 0 is
 * never returned: a descriptor with weights_hash 0 (an older compiler)
 * has no hash to check.
 *
 * Speed (docs/backend.md): about 8 GB/s on one core of the development VM
 * (0.12 to 0.14 s per GiB in memory; 0.22 to 0.27 s for a mapped 1 GB file,
 * page faults included); from disk, the disk's speed.
 *
 *===----------------------------------------------------------------------===*/

#ifndef INGOT_RUNTIME_SRC_WEIGHTS_HASH_H
#define INGOT_RUNTIME_SRC_WEIGHTS_HASH_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_WH_K1 0x9e3779b97f4a7c15ull
#define INGOT_WH_K2 0xd6e8feb86659fd93ull
#define INGOT_WH_K3 0xa0761d6478bd642full

static inline uint64_t ingot_wh_rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

/* The little-endian 64-bit word at p (any alignment). */
static inline uint64_t ingot_wh_load(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

static inline uint64_t ingot_wh_round(uint64_t lane, uint64_t word) {
  return ingot_wh_rotl(lane ^ (word * INGOT_WH_K2), 31) * INGOT_WH_K1;
}

/* The hash in parts, for a writer that streams the blob (ingotc): the
 * lanes after whole 32-byte stripes, then the tail and the length.
 * ingot_weights_hash is the three steps at once. */
typedef struct ingot_wh_state {
  uint64_t a, b, c, d;
} ingot_wh_state;

static inline void ingot_wh_init(ingot_wh_state *s) {
  s->a = INGOT_WH_K1;
  s->b = INGOT_WH_K2;
  s->c = INGOT_WH_K3;
  s->d = INGOT_WH_K1 ^ INGOT_WH_K3;
}

/* Feeds `stripes` 32-byte stripes at `p`. */
static inline void ingot_wh_stripes(ingot_wh_state *s, const uint8_t *p,
                                    uint64_t stripes) {
  uint64_t a = s->a, b = s->b, c = s->c, d = s->d;
  for (uint64_t i = 0; i < stripes; ++i, p += 32) {
    a = ingot_wh_round(a, ingot_wh_load(p));
    b = ingot_wh_round(b, ingot_wh_load(p + 8));
    c = ingot_wh_round(c, ingot_wh_load(p + 16));
    d = ingot_wh_round(d, ingot_wh_load(p + 24));
  }
  s->a = a;
  s->b = b;
  s->c = c;
  s->d = d;
}

/* The hash of `size` bytes whose whole stripes `s` has seen and whose last
 * `size % 32` bytes are at `tail`; never 0. */
static inline uint64_t ingot_wh_finish(const ingot_wh_state *s,
                                       const uint8_t *tail, uint64_t size) {
  uint64_t a = s->a, b = s->b, c = s->c, d = s->d;
  const uint8_t *p = tail;
  uint64_t rest = size % 32;
  for (; rest >= 8; rest -= 8, p += 8)
    a = ingot_wh_round(a, ingot_wh_load(p));
  if (rest) {
    uint8_t last[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(last, p, (size_t)rest);
    a = ingot_wh_round(a, ingot_wh_load(last));
  }
  uint64_t h = ingot_wh_rotl(a, 1) + ingot_wh_rotl(b, 7) +
               ingot_wh_rotl(c, 12) + ingot_wh_rotl(d, 18);
  h ^= size * INGOT_WH_K3;
  h ^= h >> 33;
  h *= INGOT_WH_K2;
  h ^= h >> 29;
  h *= INGOT_WH_K3;
  h ^= h >> 32;
  return h ? h : 1;
}

/* The hash of `size` bytes at `data`; never 0. */
static inline uint64_t ingot_weights_hash(const void *data, uint64_t size) {
  const uint8_t *p = (const uint8_t *)data;
  ingot_wh_state s;
  ingot_wh_init(&s);
  ingot_wh_stripes(&s, p, size / 32);
  return ingot_wh_finish(&s, p + size / 32 * 32, size);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_SRC_WEIGHTS_HASH_H */
