/* choice — the one source of nondeterminism in a run.
 *
 * Every decision that could go more than one way (which ready task runs next, a PCT
 * priority, whether a fault fires) is drawn here. A stream is either seeded
 * (splitmix64 expands the 64-bit seed into xoshiro256** state) or replays a
 * recording. Drawing records (kind, range, value), so a run can be saved and
 * replayed exactly, and later shrunk by editing the recording. */
#ifndef DETSIM_CHOICE_H
#define DETSIM_CHOICE_H

#include <stddef.h>
#include <stdint.h>

enum choice_kind {
    CHOICE_SCHED = 0,        /* index into the ready queue */
    CHOICE_PCT_PRIORITY = 1, /* a new task's PCT priority */
    CHOICE_PCT_CHANGE = 2,   /* a PCT priority change point (a step number) */
    CHOICE_FAULT = 3,        /* does a failpoint fire */
    CHOICE_KNOB = 4,         /* a randomized scenario or config value */
    CHOICE_KIND_COUNT
};

struct choice_record {
    uint64_t range; /* the value was drawn from [0, range) */
    uint64_t value;
    enum choice_kind kind;
};

/* A source of values other than the seed or a recording: a systematic explorer
 * (detsim explore) that decides every draw itself. draw returns a value in
 * [0, range), range >= 2. */
struct choice_source {
    uint64_t (*draw)(void *context, enum choice_kind kind, uint64_t range);
    void *context;
};

struct choice_stream {
    uint64_t state[4]; /* xoshiro256** */
    const struct choice_source *source; /* NULL: the PRNG or the replay decides */
    /* Replay source; NULL when drawing from the PRNG. */
    const struct choice_record *replay;
    size_t replay_count;
    size_t replay_position;
    uint64_t replay_mismatches; /* recorded kind or range differed from the request */
    uint64_t replay_overruns;   /* draws past the end of the recording */
    /* Recording; off unless choice_record_start was called. */
    struct choice_record *log;
    size_t log_count;
    size_t log_capacity;
    int recording;
    int log_failed; /* the log could not grow: the recording is incomplete */
    uint64_t draws; /* draws with range > 1 */
};

/* One step of splitmix64: advances *state and returns the next output. */
uint64_t choice_splitmix64(uint64_t *state);

/* One step of xoshiro256**: advances state and returns the next output. */
uint64_t choice_xoshiro256ss(uint64_t state[4]);

/* Seeds cs from seed. Any seed is valid, 0 included. */
void choice_init_seed(struct choice_stream *cs, uint64_t seed);

/* Makes cs replay records[0..count) (borrowed; must outlive cs's use). A draw whose
 * kind or range differs from the record takes value % range and counts a mismatch;
 * a draw past the end returns 0 and counts an overrun. */
void choice_init_replay(struct choice_stream *cs, const struct choice_record *records,
                        size_t count);

/* Makes cs draw every value from source (borrowed; must outlive cs's use). Draws
 * are counted and recorded as any others, so the recording replays the run. */
void choice_init_source(struct choice_stream *cs, const struct choice_source *source);

/* Turns recording on: every later draw with range > 1 is appended to the log. */
void choice_record_start(struct choice_stream *cs);

/* Returns a value in [0, range), range >= 1. A range of 1 consumes nothing and is
 * not recorded, so forced decisions never appear in a recording. */
uint64_t choice_draw(struct choice_stream *cs, enum choice_kind kind, uint64_t range);

/* Frees the recording log. */
void choice_free(struct choice_stream *cs);

/* The one-letter code of a kind in repro files ('s', 'p', 'c', 'f', 'k'), and back;
 * choice_kind_from_letter returns -1 for an unknown letter. */
char choice_kind_letter(enum choice_kind kind);
int choice_kind_from_letter(char letter);

#endif
