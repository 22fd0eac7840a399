/* seeds — a sweep's seeds and the set of those done; see seeds.h. */
#include "seeds.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"
#include "util/config.h"

/* Splits text at separator into two unsigned 64-bit numbers. Returns 0 or -EINVAL. */
static int parse_pair(const char *text, const char *separator, uint64_t *a, uint64_t *b)
{
    const char *at = strstr(text, separator);
    char left[32];
    if (!at || (size_t)(at - text) >= sizeof left)
        return -EINVAL;
    memcpy(left, text, (size_t)(at - text));
    left[at - text] = '\0';
    if (config_parse_u64(left, a) != 0 || config_parse_u64(at + strlen(separator), b) != 0)
        return -EINVAL;
    return 0;
}

int seeds_parse_range(const char *text, struct seeds *s, char *error, size_t error_bytes)
{
    uint64_t first, last;
    if (parse_pair(text, "..", &first, &last) != 0 || last < first) {
        snprintf(error, error_bytes, "bad --seeds '%s': expected A..B with A <= B", text);
        return -EINVAL;
    }
    /* last - first + 1 seeds, computed so that it cannot wrap */
    if (last - first >= (uint64_t)SEEDS_MAX) {
        snprintf(error, error_bytes, "bad --seeds '%s': more than %" PRId64 " seeds in one "
                 "sweep (split it with --shard, or into several ranges)", text, SEEDS_MAX);
        return -EINVAL;
    }
    s->first = first;
    s->last = last;
    return 0;
}

int seeds_parse_count(const char *text, struct seeds *s, char *error, size_t error_bytes)
{
    uint64_t count;
    if (config_parse_u64(text, &count) != 0 || count == 0 || count > (uint64_t)SEEDS_MAX) {
        snprintf(error, error_bytes, "bad --count '%s': expected 1 to %" PRId64, text,
                 SEEDS_MAX);
        return -EINVAL;
    }
    s->first = 0;
    s->last = count - 1;
    return 0;
}

int seeds_parse_shard(const char *text, struct seeds *s, char *error, size_t error_bytes)
{
    uint64_t shard, shards;
    if (parse_pair(text, "/", &shard, &shards) != 0 || shard < 1 || shard > shards) {
        snprintf(error, error_bytes, "bad --shard '%s': expected K/N with 1 <= K <= N", text);
        return -EINVAL;
    }
    s->shard = shard;
    s->shards = shards;
    return 0;
}

long seeds_count(const struct seeds *s)
{
    ASSERT(s->first <= s->last && s->last - s->first < (uint64_t)SEEDS_MAX);
    ASSERT(s->shard >= 1 && s->shard <= s->shards);
    uint64_t span = s->last - s->first; /* the range holds span + 1 seeds */
    if (span < s->shard - 1)
        return 0;
    return (long)((span - (s->shard - 1)) / s->shards + 1);
}

uint64_t seeds_at(const struct seeds *s, long index)
{
    ASSERT(index >= 0 && index < seeds_count(s));
    /* index * shards <= span - (shard - 1): no wrap */
    return s->first + (s->shard - 1) + (uint64_t)index * s->shards;
}

int seeds_contains(const struct seeds *s, uint64_t seed)
{
    return seed >= s->first && seed <= s->last && (seed - s->first) % s->shards == s->shard - 1;
}

struct seeds_set_slot {
    uint64_t seed;
    uint32_t config;
    uint32_t used;
};

static size_t slot_of(uint64_t seed, uint32_t config, size_t capacity)
{
    /* splitmix64's finaliser: neighbouring seeds land far apart */
    uint64_t z = seed ^ ((uint64_t)config << 48) ^ 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (size_t)(z ^ (z >> 31)) & (capacity - 1);
}

/* The slot of (config, seed), or the empty slot where it would go. */
static struct seeds_set_slot *find_slot(struct seeds_set_slot *slots, size_t capacity,
                                        uint32_t config, uint64_t seed)
{
    size_t i = slot_of(seed, config, capacity);
    while (slots[i].used && !(slots[i].seed == seed && slots[i].config == config))
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

/* Doubles the table (at least 1024 slots). Returns 0 or -ENOMEM (set unchanged). */
static int grow(struct seeds_set *set)
{
    size_t capacity = set->capacity ? set->capacity * 2 : 1024;
    if (capacity > SIZE_MAX / sizeof *set->slots)
        return -ENOMEM;
    struct seeds_set_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < set->capacity; i++)
        if (set->slots[i].used)
            *find_slot(slots, capacity, set->slots[i].config, set->slots[i].seed) =
                set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->capacity = capacity;
    return 0;
}

int seeds_set_add(struct seeds_set *set, uint32_t config, uint64_t seed)
{
    if (seeds_set_has(set, config, seed))
        return 0;
    /* at most half full, so that a probe ends soon */
    if ((set->count + 1) * 2 > set->capacity && grow(set) != 0)
        return -ENOMEM;
    ASSERT(set->count < set->capacity);
    *find_slot(set->slots, set->capacity, config, seed) =
        (struct seeds_set_slot){seed, config, 1};
    set->count++;
    return 1;
}

int seeds_set_has(const struct seeds_set *set, uint32_t config, uint64_t seed)
{
    if (!set->slots)
        return 0;
    return find_slot(set->slots, set->capacity, config, seed)->used;
}

void seeds_set_free(struct seeds_set *set)
{
    free(set->slots);
    *set = (struct seeds_set){0};
}
