/* calls — what a task's calls returned, counted by (call, error): over a window of
 * recent steps, for a report of what a task that never stops keeps doing (a retry
 * storm), and over the whole run for the errors, for a report of what a task was
 * told before it blocked for good. Hang reports read them (sim/hang.c); nothing
 * here reaches the trace, so the hash does not see it. */
#ifndef DETSIM_CALLS_H
#define DETSIM_CALLS_H

#include <stdint.h>

#include "trace.h"
#include "util/text.h"

#define CALLS_KINDS_MAX 8           /* distinct (call, error) pairs a window holds */
#define CALLS_ERRORS_MAX 4          /* distinct errors kept over a whole run */
#define CALLS_WINDOW_STEPS 4096u    /* a window's length: reports show the last 1-2 */

struct calls_count {
    uint16_t op;     /* enum trace_op */
    uint16_t error;  /* the errno returned, positive; 0 for a result that is no error */
    uint32_t count;  /* saturates at UINT32_MAX */
};

struct calls {
    uint64_t window_start_step; /* of now[]; before[] is the window before it */
    uint64_t before_start_step;
    struct calls_count now[CALLS_KINDS_MAX];
    struct calls_count before[CALLS_KINDS_MAX];
    struct calls_count errors[CALLS_ERRORS_MAX];       /* its own, over the run */
    struct calls_count child_errors[CALLS_ERRORS_MAX]; /* its exited descendants' */
    uint32_t other;        /* calls of the windows that found no free entry */
};

/* The events that are no call of the task's own: they say what happened to it or
 * around it (op codes are below 64, trace.h). */
#define CALLS_NOT_CALLS                                                                  \
    ((1ull << TRACE_OP_EXIT) | (1ull << TRACE_OP_WAKE) | (1ull << TRACE_OP_CHECK_FAILED) | \
     (1ull << TRACE_OP_LOG) | (1ull << TRACE_OP_START) | (1ull << TRACE_OP_KILLED) |       \
     (1ull << TRACE_OP_OOM) | (1ull << TRACE_OP_FAULT) | (1ull << TRACE_OP_SIGNAL) |       \
     (1ull << TRACE_OP_SIGNAL_WAKEUP))

/* The entry a (call, error) pair starts its search at: most calls find it there. */
static inline uint32_t calls_slot(uint16_t op, uint16_t error)
{
    return ((uint32_t)op * 5u + (uint32_t)error * 3u) % CALLS_KINDS_MAX;
}

/* The slow part of calls_note: a new window, a new pair, an error. */
void calls_note_slow(struct calls *c, enum trace_op op, int64_t result, uint64_t step);

/* Counts a call op that returned result at step into c. Events that are no call of
 * the task's own (CALLS_NOT_CALLS) and the event of a call that blocks (its end is
 * counted) are ignored. Never fails: what does not fit is counted in c->other.
 * Inline: every event of a run comes here, and the common case (a success counted
 * in its own entry of the current window) costs a few instructions. */
static inline void calls_note(struct calls *c, enum trace_op op, int64_t result, uint64_t step)
{
    _Static_assert(TRACE_OP_COUNT <= 64, "CALLS_NOT_CALLS is a 64-bit mask");
    if (result == TRACE_RESULT_BLOCKED || ((CALLS_NOT_CALLS >> op) & 1))
        return;
    struct calls_count *e = &c->now[calls_slot((uint16_t)op, 0)];
    if (result >= 0 && e->op == op && e->error == 0 && e->count &&
        step - c->window_start_step < CALLS_WINDOW_STEPS && e->count < UINT32_MAX) {
        e->count++;
        return;
    }
    calls_note_slow(c, op, result, step);
}

/* Adds the errors of child (its own and its descendants') to parent's
 * child_errors, when a child exits. */
void calls_adopt_errors(struct calls *parent, const struct calls *child);

/* Writes "mutex_lock -> -ETIMEDOUT ×6,666, sleep ×6,666" for the recent windows of c
 * to out, most frequent first; "nothing" when it made no call. */
void calls_write_recent(const struct calls *c, struct text *out);

/* The first step the recent windows cover. */
uint64_t calls_recent_since(const struct calls *c);

/* Writes the errors of c ("chan_create -> -ENFILE ×5"), then those of its exited
 * descendants; returns 0 and writes nothing when there were none. */
int calls_write_errors(const struct calls *c, struct text *out);

/* Writes the distinct (call, error) pairs of the recent windows, without counts
 * and sorted by name, one " call[->ERR]" each, for a signature. */
void calls_write_shape(const struct calls *c, struct text *out);

#endif
