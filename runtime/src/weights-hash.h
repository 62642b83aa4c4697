/*===- weights-hash.h - The content hash of an external weights file ------===
 *
 * ingotc hashes the weights blob when it writes `OUTPUT.weights` and stores
 * the hash in the descriptor and in the file's header; the runtime hashes
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

/* The hash of `size` bytes at `data`; never 0. */
static inline uint64_t ingot_weights_hash(const void *data, uint64_t size) {
  const uint8_t *p = (const uint8_t *)data;
  uint64_t a = INGOT_WH_K1, b = INGOT_WH_K2, c = INGOT_WH_K3,
           d = INGOT_WH_K1 ^ INGOT_WH_K3;
  uint64_t stripes = size / 32;
  for (uint64_t i = 0; i < stripes; ++i, p += 32) {
    a = ingot_wh_round(a, ingot_wh_load(p));
    b = ingot_wh_round(b, ingot_wh_load(p + 8));
    c = ingot_wh_round(c, ingot_wh_load(p + 16));
    d = ingot_wh_round(d, ingot_wh_load(p + 24));
  }
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INGOT_RUNTIME_SRC_WEIGHTS_HASH_H */
