/* seeds — the seeds of a sweep, counted and enumerated without a list, and a set of
 * (configuration, seed) pairs for what a resume or a merge has already seen.
 *
 * A sweep's seeds are a range A..B (inclusive), or the K-th of N deterministic
 * slices of it (--shard K/N: the seeds A + K-1, A + K-1 + N, ...). Nothing here
 * wraps: a range or a slice holds at most SEEDS_MAX seeds, and seed i of a slice is
 * computed, never stored, so a sweep of 10^9 seeds costs no memory for them. */
#ifndef DETSIM_SEEDS_H
#define DETSIM_SEEDS_H

#include <stddef.h>
#include <stdint.h>

/* The most seeds one sweep runs: every count and index fits in a long. */
#define SEEDS_MAX INT64_MAX

struct seeds {
    uint64_t first, last;   /* the range, inclusive: first <= last */
    uint64_t shard, shards; /* the slice: 1 <= shard <= shards */
};

/* Parses "A..B" (decimal or 0x hex, A <= B, at most SEEDS_MAX seeds) into s's range.
 * Returns 0, or -EINVAL with one line in error (s unchanged). */
int seeds_parse_range(const char *text, struct seeds *s, char *error, size_t error_bytes);

/* Parses a count N (1 <= N <= SEEDS_MAX) into the range 0..N-1. Returns 0, or
 * -EINVAL with one line in error (s unchanged). */
int seeds_parse_count(const char *text, struct seeds *s, char *error, size_t error_bytes);

/* Parses "K/N" (1 <= K <= N) into s's slice. Returns 0, or -EINVAL with one line in
 * error (s unchanged). */
int seeds_parse_shard(const char *text, struct seeds *s, char *error, size_t error_bytes);

/* How many seeds s's slice of its range holds (0 when the range is shorter than
 * K). Needs a range of at most SEEDS_MAX seeds (what the parsers accept). */
long seeds_count(const struct seeds *s);

/* Seed number index (< seeds_count) of s's slice. */
uint64_t seeds_at(const struct seeds *s, long index);

/* Whether seed is one of s's slice. */
int seeds_contains(const struct seeds *s, uint64_t seed);

/* A set of (configuration number, seed) pairs: open addressing, grown as it fills,
 * so that adding and finding cost the same for a million pairs as for ten. */
struct seeds_set {
    struct seeds_set_slot *slots; /* NULL until the first add */
    size_t capacity;              /* a power of two */
    size_t count;
};

/* Adds (config, seed). Returns 1 when added, 0 when it was there already, or
 * -ENOMEM (the set is then unchanged). */
int seeds_set_add(struct seeds_set *set, uint32_t config, uint64_t seed);

/* Whether (config, seed) is in set. */
int seeds_set_has(const struct seeds_set *set, uint32_t config, uint64_t seed);

void seeds_set_free(struct seeds_set *set);

#endif
