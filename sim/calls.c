/* calls — counts of a task's calls and their errors; see calls.h. */
#include "calls.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"
#include "util/errno_name.h"

static uint16_t error_of(int64_t result)
{
    return result < 0 && result > -65536 ? (uint16_t)-result : 0;
}

/* Adds count to (op, error) in counts[max], searching from its slot (calls_slot)
 * on; returns 0, or -1 when it is full. */
static int add(struct calls_count *counts, uint32_t max, uint16_t op, uint16_t error,
               uint32_t count)
{
    for (uint32_t k = 0; k < max; k++) {
        uint32_t i = (calls_slot(op, error) + k) % max;
        if (counts[i].count == 0)
            counts[i] = (struct calls_count){op, error, 0};
        if (counts[i].op == op && counts[i].error == error) {
            uint64_t sum = (uint64_t)counts[i].count + count;
            counts[i].count = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
            return 0;
        }
    }
    return -1;
}

void calls_note_slow(struct calls *c, enum trace_op op, int64_t result, uint64_t step)
{
    ASSERT(result != TRACE_RESULT_BLOCKED && !((CALLS_NOT_CALLS >> op) & 1));
    if (step - c->window_start_step >= CALLS_WINDOW_STEPS) {
        /* A new window; the last one is kept only when it ended just now. */
        int adjacent = step - c->window_start_step < 2 * CALLS_WINDOW_STEPS;
        if (adjacent)
            memcpy(c->before, c->now, sizeof c->before);
        else
            memset(c->before, 0, sizeof c->before);
        c->before_start_step = adjacent ? c->window_start_step : step;
        memset(c->now, 0, sizeof c->now);
        c->window_start_step = step - step % CALLS_WINDOW_STEPS;
        c->other = 0;
    }
    ASSERT(step >= c->window_start_step);
    uint16_t error = error_of(result);
    if (add(c->now, CALLS_KINDS_MAX, (uint16_t)op, error, 1) != 0 && c->other < UINT32_MAX)
        c->other++;
    if (error)
        (void)add(c->errors, CALLS_ERRORS_MAX, (uint16_t)op, error, 1); /* a full table keeps the first kinds */
}

void calls_adopt_errors(struct calls *parent, const struct calls *child)
{
    ASSERT(parent != child);
    for (uint32_t i = 0; i < CALLS_ERRORS_MAX; i++) {
        const struct calls_count *e = &child->errors[i], *d = &child->child_errors[i];
        if (e->count)
            (void)add(parent->child_errors, CALLS_ERRORS_MAX, e->op, e->error, e->count);
        if (d->count)
            (void)add(parent->child_errors, CALLS_ERRORS_MAX, d->op, d->error, d->count);
    }
}

/* The recent windows merged into merged[2 * CALLS_KINDS_MAX]; returns how many. */
static uint32_t recent(const struct calls *c, struct calls_count *merged)
{
    uint32_t max = 2 * CALLS_KINDS_MAX;
    memset(merged, 0, max * sizeof *merged);
    for (uint32_t i = 0; i < CALLS_KINDS_MAX; i++) {
        if (c->before[i].count)
            (void)add(merged, max, c->before[i].op, c->before[i].error, c->before[i].count);
        if (c->now[i].count)
            (void)add(merged, max, c->now[i].op, c->now[i].error, c->now[i].count);
    }
    uint32_t n = 0; /* entries sit at their slots: gather them at the front */
    for (uint32_t i = 0; i < max; i++)
        if (merged[i].count)
            merged[n++] = merged[i];
    return n;
}

/* Most frequent first; ties by call, then error, so the order is fixed. */
static int by_count(const void *a, const void *b)
{
    const struct calls_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->op != y->op)
        return x->op < y->op ? -1 : 1;
    return (x->error > y->error) - (x->error < y->error);
}

static int by_name(const void *a, const void *b)
{
    const struct calls_count *x = a, *y = b;
    int names = strcmp(trace_op_name((enum trace_op)x->op), trace_op_name((enum trace_op)y->op));
    if (names)
        return names;
    return (x->error > y->error) - (x->error < y->error);
}

/* Writes 6666 as "6,666". */
static void write_count(uint32_t count, struct text *out)
{
    char digits[16];
    int n = snprintf(digits, sizeof digits, "%" PRIu32, count);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            text_printf(out, ",");
        text_printf(out, "%c", digits[i]);
    }
}

static void write_counts(struct calls_count *counts, uint32_t n, struct text *out)
{
    qsort(counts, n, sizeof *counts, by_count);
    for (uint32_t i = 0; i < n; i++) {
        const char *error = counts[i].error ? errno_name(-(int64_t)counts[i].error) : NULL;
        text_printf(out, "%s%s", i ? ", " : "", trace_op_name((enum trace_op)counts[i].op));
        if (error)
            text_printf(out, " -> %s", error);
        else if (counts[i].error)
            text_printf(out, " -> -%u", (unsigned)counts[i].error);
        text_printf(out, " ×");
        write_count(counts[i].count, out);
    }
}

void calls_write_recent(const struct calls *c, struct text *out)
{
    struct calls_count merged[2 * CALLS_KINDS_MAX];
    uint32_t n = recent(c, merged);
    if (n == 0)
        text_printf(out, "nothing");
    write_counts(merged, n, out);
    if (c->other) {
        text_printf(out, ", other calls ×");
        write_count(c->other, out);
    }
}

uint64_t calls_recent_since(const struct calls *c)
{
    int any = 0;
    for (uint32_t i = 0; i < CALLS_KINDS_MAX; i++)
        any |= c->before[i].count != 0;
    return any ? c->before_start_step : c->window_start_step;
}

int calls_write_errors(const struct calls *c, struct text *out)
{
    struct calls_count own[CALLS_ERRORS_MAX], children[CALLS_ERRORS_MAX];
    uint32_t n_own = 0, n_children = 0;
    for (uint32_t i = 0; i < CALLS_ERRORS_MAX; i++) {
        if (c->errors[i].count)
            own[n_own++] = c->errors[i];
        if (c->child_errors[i].count)
            children[n_children++] = c->child_errors[i];
    }
    write_counts(own, n_own, out);
    if (n_children) {
        text_printf(out, "%sits exited children got ", n_own ? "; " : "");
        write_counts(children, n_children, out);
    }
    return n_own || n_children;
}

void calls_write_shape(const struct calls *c, struct text *out)
{
    struct calls_count merged[2 * CALLS_KINDS_MAX];
    uint32_t n = recent(c, merged);
    qsort(merged, n, sizeof *merged, by_name);
    for (uint32_t i = 0; i < n; i++) {
        const char *error = merged[i].error ? errno_name(-(int64_t)merged[i].error) : NULL;
        text_printf(out, " %s", trace_op_name((enum trace_op)merged[i].op));
        if (merged[i].error)
            text_printf(out, "->%s", error ? error : "-E?");
    }
}
