/* trace — the event record of a run and its 64-bit hash.
 *
 * Every scheduling-relevant event (a sys_* call completing or blocking, a wake, a
 * spawn, an exit) is one trace_event. The hash folds a canonical encoding of each
 * event — six 64-bit words: step, virtual time, (pid << 32 | op << 16 | wake),
 * object id, argument, result — into a running state with fixed integer mixing
 * (multiplications by odd constants, shifts, rotations), so it is the same for every
 * compiler, optimisation level and platform. The words are mixed in three pairs:
 * (step, vtime), (pid/op/wake, object), (arg, result); each pair as
 * first ^ rotl(second, 32). Names are not hashed: they are fixed by the code, and
 * ids, op codes and wake reasons (model/waitq.h) already distinguish events.
 *
 * Text and JSON Lines output are optional and never change the hash. */
#ifndef DETSIM_TRACE_H
#define DETSIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "model/waitq.h"

/* Op codes are part of the hash: never renumber one, only append. */
enum trace_op {
    TRACE_OP_SPAWN = 1,
    TRACE_OP_EXIT = 2,
    TRACE_OP_YIELD = 3,
    TRACE_OP_SLEEP = 4,
    TRACE_OP_NOW = 5,
    TRACE_OP_JOIN = 6,
    TRACE_OP_MUTEX_CREATE = 7,
    TRACE_OP_MUTEX_LOCK = 8,
    TRACE_OP_MUTEX_UNLOCK = 9,
    TRACE_OP_SEM_CREATE = 10,
    TRACE_OP_SEM_WAIT = 11,
    TRACE_OP_SEM_POST = 12,
    TRACE_OP_WAKE = 13,
    TRACE_OP_CHECK_FAILED = 14,
    TRACE_OP_LOG = 15,
    TRACE_OP_START = 16,
    TRACE_OP_KILLED = 17,
    TRACE_OP_WAIT = 18,
    TRACE_OP_KILL = 19,
    TRACE_OP_CHAN_CREATE = 20,
    TRACE_OP_CHAN_SEND = 21,
    TRACE_OP_CHAN_RECV = 22,
    TRACE_OP_CLOSE = 23,
    TRACE_OP_FD_FROM_HANDLE = 24,
    TRACE_OP_PORT_CREATE = 25,
    TRACE_OP_PORT_BIND = 26,
    TRACE_OP_PORT_WAIT = 27,
    TRACE_OP_ALLOC = 28,
    TRACE_OP_TRY_ALLOC = 29,
    TRACE_OP_FREE = 30,
    TRACE_OP_CLOSERANGE = 31,
    TRACE_OP_SET_CLOEXEC = 32,
    TRACE_OP_SIGNAL_CATCH = 33,
    TRACE_OP_GROUP_CREATE = 34,
    TRACE_OP_GROUP_KILL = 35,
    TRACE_OP_GROUP_DROP = 36,
    TRACE_OP_GROUP_SHUTDOWN = 37,
    TRACE_OP_OOM = 38,
    TRACE_OP_FAULT = 39, /* a fault fired: arg is the failpoint id (fault.h), result its error */
    TRACE_OP_SIGNAL = 40, /* caught signals were delivered: their handlers ran; arg the mask */
    TRACE_OP_PIPE = 41,
    TRACE_OP_WRITE = 42, /* a pipe write: arg the bytes asked, result the bytes written */
    TRACE_OP_READ = 43,  /* a pipe read: arg the most asked, result the bytes read */
    TRACE_OP_PORT_UNBIND = 44,
    TRACE_OP_SIGNAL_WAKEUP = 45,
    TRACE_OP_SUBREAPER = 46,
    TRACE_OP_COUNT
};

/* result value of an event that records a task blocking */
#define TRACE_RESULT_BLOCKED INT64_MIN

struct trace_event {
    uint64_t step;
    uint64_t vtime_ns;
    uint32_t pid;
    enum trace_op op;
    enum waitq_wake wake;
    uint64_t object; /* object id, 0 for none */
    int64_t arg;
    int64_t result;
};

enum trace_format { TRACE_FORMAT_TEXT, TRACE_FORMAT_JSONL };

/* Resolves ids to names for output; both may return NULL. */
struct trace_names {
    const char *(*task)(void *context, uint32_t pid);
    const char *(*object)(void *context, uint64_t object); /* "mutex A" */
    void *context;
};

struct trace {
    uint64_t hash_state;
    uint64_t event_count;
    FILE *out; /* NULL: hash only */
    enum trace_format format;
    struct trace_names names;
    /* Sees every event after it is hashed (run reports); NULL: nobody. It must not
     * change the run: it only reads. */
    void (*observe)(void *context, const struct trace_event *e);
    void *observe_context;
};

void trace_init(struct trace *t);

/* Writes e to t->out when set and shows it to t->observe when set (trace_emit's
 * part beyond the hash). */
void trace_output(struct trace *t, const struct trace_event *e);

static inline uint64_t trace_rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Mixes one word: multiply, fold the high bits down, multiply again. */
static inline uint64_t trace_mix(uint64_t x, uint64_t k)
{
    x *= k;
    x ^= x >> 32;
    return x * 0x9e3779b97f4a7c15ULL;
}

/* Folds e into the hash, writes it to t->out when set and shows it to t->observe
 * when set. Inline: an event that no output asks for costs its hash and nothing
 * else, not even a copy of the event in memory. */
static inline void trace_emit(struct trace *t, const struct trace_event *e)
{
    /* Three independent mixes (the CPU runs them side by side), then one step that
     * depends on the running state: the hash costs a few ns an event. */
    uint64_t packed = (uint64_t)e->pid << 32 | (uint64_t)e->op << 16 | (uint64_t)e->wake;
    uint64_t a = trace_mix(e->step ^ trace_rotate_left(e->vtime_ns, 32), 0xff51afd7ed558ccdULL);
    uint64_t b = trace_mix(packed ^ trace_rotate_left(e->object, 32), 0xc4ceb9fe1a85ec53ULL);
    uint64_t c = trace_mix((uint64_t)e->arg ^ trace_rotate_left((uint64_t)e->result, 32),
                           0x87c37b91114253d5ULL);
    uint64_t m = a ^ trace_rotate_left(b, 21) ^ trace_rotate_left(c, 42);
    t->hash_state =
        trace_rotate_left(t->hash_state ^ m, 27) * 0x4cf5ad432745937fULL + 0x52dce729ULL;
    t->event_count++;
    if (t->out || t->observe)
        trace_output(t, e);
}

/* Writes a free-text line to the output (not hashed): a model's console message. */
void trace_note(struct trace *t, uint64_t step, uint64_t vtime_ns, uint32_t pid,
                const char *message);

/* The hash of every event emitted so far. */
uint64_t trace_hash(const struct trace *t);

const char *trace_op_name(enum trace_op op);

const char *trace_wake_name(enum waitq_wake wake);

/* Formats a duration in ns with the largest unit that keeps it readable:
 * "0ns", "950ns", "12.500us", "3.000ms", "90.000s". buf needs 32 bytes. */
const char *trace_format_duration(uint64_t ns, char buf[32]);

#endif
