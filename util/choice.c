/* choice — seeded and replayed decisions; see choice.h. */
#include "choice.h"

#include <stdlib.h>

#include "util/assert.h"

uint64_t choice_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t choice_xoshiro256ss(uint64_t s[4])
{
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

void choice_init_seed(struct choice_stream *cs, uint64_t seed)
{
    *cs = (struct choice_stream){0};
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        cs->state[i] = choice_splitmix64(&sm);
}

void choice_init_replay(struct choice_stream *cs, const struct choice_record *records,
                        size_t count)
{
    ASSERT(records || count == 0);
    *cs = (struct choice_stream){0};
    cs->replay = records;
    cs->replay_count = count;
}

void choice_init_source(struct choice_stream *cs, const struct choice_source *source)
{
    ASSERT(source && source->draw);
    *cs = (struct choice_stream){0};
    cs->source = source;
}

void choice_record_start(struct choice_stream *cs)
{
    cs->recording = 1;
}

/* Uniform in [0, range) by rejection, so no value is favoured: the threshold drops
 * the low (2^64 mod range) outputs. Integer-only, so every compiler agrees. */
static uint64_t uniform(uint64_t state[4], uint64_t range)
{
    uint64_t threshold = (0 - range) % range;
    for (;;) {
        uint64_t x = choice_xoshiro256ss(state);
        if (x >= threshold)
            return x % range;
    }
}

static void log_append(struct choice_stream *cs, enum choice_kind kind, uint64_t range,
                       uint64_t value)
{
    if (cs->log_count == cs->log_capacity) {
        size_t capacity = cs->log_capacity ? cs->log_capacity * 2 : 256;
        struct choice_record *grown = realloc(cs->log, capacity * sizeof *grown);
        if (!grown) {
            cs->log_failed = 1;
            return;
        }
        cs->log = grown;
        cs->log_capacity = capacity;
    }
    cs->log[cs->log_count++] = (struct choice_record){range, value, kind};
}

uint64_t choice_draw(struct choice_stream *cs, enum choice_kind kind, uint64_t range)
{
    ASSERT(range >= 1);
    if (range == 1)
        return 0;
    uint64_t value;
    if (cs->source) {
        value = cs->source->draw(cs->source->context, kind, range);
        ASSERT(value < range); /* a source that answers out of range is a bug */
    } else if (cs->replay) {
        if (cs->replay_position < cs->replay_count) {
            const struct choice_record *r = &cs->replay[cs->replay_position++];
            if (r->kind != kind || r->range != range)
                cs->replay_mismatches++;
            value = r->value % range;
        } else {
            cs->replay_overruns++;
            value = 0;
        }
    } else {
        value = uniform(cs->state, range);
    }
    cs->draws++;
    if (cs->recording)
        log_append(cs, kind, range, value);
    return value;
}

void choice_free(struct choice_stream *cs)
{
    free(cs->log);
    cs->log = NULL;
    cs->log_count = cs->log_capacity = 0;
}

static const char kind_letters[CHOICE_KIND_COUNT] = {'s', 'p', 'c', 'f', 'k'};

char choice_kind_letter(enum choice_kind kind)
{
    return (unsigned)kind < CHOICE_KIND_COUNT ? kind_letters[kind] : '?';
}

int choice_kind_from_letter(char letter)
{
    for (int i = 0; i < CHOICE_KIND_COUNT; i++)
        if (kind_letters[i] == letter)
            return i;
    return -1;
}
