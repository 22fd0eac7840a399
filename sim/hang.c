/* hang — the report written when a run hangs: every blocked task, what it waits
 * on, who holds or could signal that, since when, and any wait-for cycle. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/world.h"
#include "sched_int.h"
#include "signature.h"
#include "util/assert.h"

#define HOLDERS_MAX 8

static const char *state_name(enum task_state state)
{
    switch (state) {
    case TASK_READY: return "runnable";
    case TASK_RUNNING: return "running";
    case TASK_BLOCKED: return "blocked";
    case TASK_EXITED: return "exited";
    }
    return "?";
}

static void write_task(const struct task *t, struct text *out)
{
    text_printf(out, "pid %" PRIu32 " \"%s\"", t->pid, t->name);
}

static void write_object(const struct waitq *wq, struct text *out)
{
    char buf[WAITQ_NAME_BYTES];
    const char *name = world_waitq_name(wq, buf);
    if (strcmp(wq->kind, "task") == 0)
        text_printf(out, "a child's exit");
    else if (strncmp(name, wq->kind, strlen(wq->kind)) == 0)
        text_printf(out, "%s", name); /* "channel 0 end A" names itself */
    else
        text_printf(out, "%s \"%s\"", wq->kind, name);
}

static uint32_t holders_of(const struct task *t, uint32_t pids[HOLDERS_MAX],
                           const char **relation)
{
    *relation = "";
    if (!t->waiting_on || !t->waiting_on->holders)
        return 0;
    uint32_t n = t->waiting_on->holders(t->waiting_on, pids, HOLDERS_MAX, relation);
    n = n < HOLDERS_MAX ? n : HOLDERS_MAX;
    if (strcmp(t->waiting_on->kind, "task") == 0 && t->blocked_arg) {
        /* a wait for one particular child: only that one can end it */
        uint32_t kept = 0;
        for (uint32_t i = 0; i < n; i++)
            if (pids[i] == (uint32_t)t->blocked_arg)
                pids[kept++] = pids[i];
        n = kept;
    }
    return n;
}

static void write_blocked(struct sched *s, const struct task *t, struct text *out)
{
    char since[32];
    text_printf(out, "  ");
    write_task(t, out);
    text_printf(out, " is blocked in %s(", trace_op_name(t->blocked_op));
    if (t->waiting_on && strcmp(t->waiting_on->kind, "task") == 0) {
        if (t->blocked_arg)
            text_printf(out, "pid %" PRId64, t->blocked_arg);
        else
            text_printf(out, "any child");
    } else if (t->waiting_on)
        write_object(t->waiting_on, out);
    else {
        char length[32];
        text_printf(out, "%s", trace_format_duration((uint64_t)t->blocked_arg, length));
    }
    text_printf(out, ") since step %" PRIu64 " (vtime %s)\n", t->blocked_since_step,
                trace_format_duration(t->blocked_since_vtime, since));
    if (t->wake_deadline_ns) {
        char until[32];
        text_printf(out, "      wakes at vtime %s%s\n",
                    trace_format_duration(t->wake_deadline_ns, until),
                    t->waiting_on ? " (timeout)" : "");
    }
    if (!t->waiting_on)
        return;
    const struct waitq *wq = t->waiting_on;
    uint32_t pids[HOLDERS_MAX];
    const char *relation;
    uint32_t n = holders_of(t, pids, &relation);
    int is_task = strcmp(wq->kind, "task") == 0;
    text_printf(out, is_task ? (n > 1 ? "      -> waits for one of " : "      -> waits for ")
                             : "      -> ");
    if (!is_task) {
        write_object(wq, out);
        if (n)
            text_printf(out, "%s%s ", relation[0] == ':' ? "" : " ", relation);
    }
    if (n == 0)
        text_printf(out, is_task ? "no child that could exit"
                                 : ": no task holds it, so nobody is bound to signal it");
    for (uint32_t i = 0; i < n; i++) {
        const struct task *h = sched_task(s, pids[i]);
        if (i)
            text_printf(out, ", ");
        if (!h) {
            text_printf(out, "pid %" PRIu32 " (gone)", pids[i]);
            continue;
        }
        write_task(h, out);
        text_printf(out, " (%s", state_name(h->state));
        if (h->state == TASK_BLOCKED && h->waiting_on) {
            text_printf(out, " in %s of ", trace_op_name(h->blocked_op));
            write_object(h->waiting_on, out);
        }
        text_printf(out, ")");
    }
    if (is_task)
        text_printf(out, " to exit");
    if (wq->describe) {
        text_printf(out, "; ");
        wq->describe(wq, out);
    }
    text_printf(out, "\n");
}

/* Depth-first search along task -> holder edges. Colors (task->cycle_color): 0
 * unseen, 1 on the path, 2 done. Returns the length of the cycle written to cycle[],
 * or 0. */
static uint32_t find_cycle(struct sched *s, struct task *t, uint32_t *path, uint32_t depth,
                           uint32_t *cycle)
{
    t->cycle_color = 1;
    path[depth] = t->pid;
    uint32_t pids[HOLDERS_MAX];
    const char *relation;
    uint32_t n = t->state == TASK_BLOCKED ? holders_of(t, pids, &relation) : 0;
    for (uint32_t i = 0; i < n; i++) {
        struct task *next = sched_task(s, pids[i]);
        if (!next || next == t)
            continue;
        if (next->cycle_color == 1) {
            uint32_t start = 0;
            while (path[start] != next->pid)
                start++;
            uint32_t length = depth + 1 - start;
            memcpy(cycle, path + start, length * sizeof *cycle);
            return length;
        }
        if (next->cycle_color == 0) {
            uint32_t length = find_cycle(s, next, path, depth + 1, cycle);
            if (length)
                return length;
        }
    }
    t->cycle_color = 2;
    return 0;
}

/* Tasks not yet reaped: the size of the arrays a search over them needs. */
static uint32_t task_records(const struct sched *s)
{
    return (uint32_t)s->tasks.live;
}

/* The first wait-for cycle, searching from each blocked task (daemons excepted) in
 * pid order: its pids go to cycle (task_records + 1 entries) and its length is
 * returned; 0 when there is none. Returns -1 when out of memory. */
static int64_t first_cycle(struct sched *s, uint32_t *cycle)
{
    uint32_t *path = calloc(task_records(s) + 1, sizeof *path);
    if (!path)
        return -1;
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        struct task *t = sched_task(s, pid);
        if (t)
            t->cycle_color = 0;
    }
    int64_t length = 0;
    for (uint32_t pid = 1; pid <= s->task_count && length == 0; pid++) {
        struct task *t = sched_task(s, pid);
        if (!t || t->cycle_color || t->state != TASK_BLOCKED || t->daemon)
            continue;
        length = find_cycle(s, t, path, 0, cycle);
    }
    free(path);
    return length;
}

static void write_cycle(struct sched *s, const uint32_t *cycle, uint32_t length,
                        struct text *out)
{
    if (length == 0)
        return;
    text_printf(out, "\nWait-for cycle (%" PRIu32 " tasks):\n", length);
    for (uint32_t i = 0; i < length; i++) {
        const struct task *t = sched_task(s, cycle[i]);
        const struct task *next = sched_task(s, cycle[(i + 1) % length]);
        const char *relation = "";
        uint32_t pids[HOLDERS_MAX];
        holders_of(t, pids, &relation);
        text_printf(out, "  ");
        write_task(t, out);
        if (strcmp(t->waiting_on->kind, "task") == 0) {
            text_printf(out, " waits for ");
            write_task(next, out);
            text_printf(out, " to exit\n");
            continue;
        }
        text_printf(out, " waits for ");
        write_object(t->waiting_on, out);
        text_printf(out, "%s%s ", relation[0] == ':' ? "" : ", which ", relation);
        write_task(next, out);
        text_printf(out, "\n");
    }
    text_printf(out, "  -> back to pid %" PRIu32 ": none of these tasks can ever proceed.\n",
                cycle[0]);
}

/* The errors the blocked tasks, and the tasks they wait for, were told before the
 * hang (and those their exited children were told): an error a task swallowed is
 * often why it, or its parent, waits for ever. */
static void write_errors(struct sched *s, struct text *out)
{
    ASSERT(s->current == NULL); /* between steps: no task is half-way through a call */
    uint8_t *seen = calloc((size_t)s->task_count + 1, 1);
    if (!seen) {
        s->out_of_memory = 1;
        return;
    }
    int any = 0;
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        const struct task *t = sched_task(s, pid);
        if (!t || t->daemon || t->state != TASK_BLOCKED)
            continue;
        uint32_t pids[HOLDERS_MAX + 1];
        const char *relation;
        uint32_t n = holders_of(t, pids, &relation);
        pids[n++] = pid;
        for (uint32_t i = 0; i < n; i++) {
            const struct task *h = sched_task(s, pids[i]);
            if (!h || seen[pids[i]])
                continue;
            seen[pids[i]] = 1;
            struct text errors = {0};
            if (calls_write_errors(&h->calls, &errors)) {
                text_printf(out, "%s  ", any ? "" : "\nErrors returned before the hang (to the "
                                                   "blocked tasks and those they wait for):\n");
                write_task(h, out);
                text_printf(out, ": %s\n", text_str(&errors));
                any = 1;
            }
            out->failed |= errors.failed;
            text_free(&errors);
        }
    }
    free(seen);
}

/* After a budget ran out: what each live task did over its last steps, its calls
 * and their results with how often each repeated, so that a retry storm shows. */
static void write_recent_calls(struct sched *s, struct text *out)
{
    ASSERT(s->current == NULL);
    text_printf(out, "\nCalls over the last steps (a task repeating a failing call is in a "
                     "retry loop):\n");
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        const struct task *t = sched_task(s, pid);
        if (!t || t->daemon || t->state == TASK_EXITED)
            continue;
        text_printf(out, "  ");
        write_task(t, out);
        text_printf(out, " since step %" PRIu64 ": ", calls_recent_since(&t->calls));
        calls_write_recent(&t->calls, out);
        text_printf(out, "\n");
    }
}

/* ---- what the hang report's signature keys on ----------------------------------------- */

/* What t waits in, for a signature: the call and the kind of object, no name. */
static void write_call_shape(const struct task *t, struct text *out)
{
    const char *kind = !t->waiting_on ? "timer"
                       : strcmp(t->waiting_on->kind, "task") == 0 ? "child" : t->waiting_on->kind;
    text_printf(out, "%s(%s)", trace_op_name(t->blocked_op), kind);
}

/* The same after the task's name. */
static void write_wait_shape(const struct task *t, struct text *out)
{
    text_printf(out, "\"%s\" ", t->name);
    write_call_shape(t, out);
}

/* The cycle's members in wait order, from the rotation whose text sorts first: the
 * same cycle entered at another task reads the same. */
static void write_cycle_shape(struct sched *s, const uint32_t *cycle, uint32_t length,
                              struct text *key)
{
    ASSERT(length >= 2); /* find_cycle skips a task waiting on itself */
    struct text best = {0};
    for (uint32_t start = 0; start < length; start++) {
        struct text raw = {0}, form = {0};
        for (uint32_t i = 0; i < length; i++) {
            text_printf(&raw, "%s", i ? " -> " : "");
            const struct task *t = sched_task(s, cycle[(start + i) % length]);
            ASSERT(t && t->state == TASK_BLOCKED); /* first_cycle walks blocked tasks */
            write_wait_shape(t, &raw);
        }
        signature_normalize(text_str(&raw), &form);
        if (start == 0 || strcmp(text_str(&form), text_str(&best)) < 0) {
            text_free(&best);
            best = form;
        } else
            text_free(&form);
        key->failed |= raw.failed || form.failed;
        text_free(&raw);
    }
    text_printf(key, "a cycle: %s\n", text_str(&best));
    key->failed |= best.failed;
    text_free(&best);
}

/* Whether a wait of the cycle ends by itself: a timed wait (a livelock's, often). */
static int cycle_times_out(struct sched *s, const uint32_t *cycle, uint32_t length)
{
    for (uint32_t i = 0; i < length; i++)
        if (sched_task(s, cycle[i])->wake_deadline_ns)
            return 1;
    return 0;
}

/* The hang's shape into key (signature.h): the cycle, then each blocked task not in
 * it (its name, call and object kind); after a budget ran out, each live task with
 * the distinct calls and errors of its last steps and the wait it is stuck in for
 * good, if any: what a livelock keeps doing, whichever call (a timed wait, a sleep)
 * the budget happened to stop it in. */
static void write_key(struct sched *s, enum sched_outcome outcome, const uint32_t *cycle,
                      uint32_t length, struct text *key)
{
    ASSERT(outcome == SCHED_OUTCOME_HANG_DEADLOCK || outcome == SCHED_OUTCOME_HANG_BUDGET);
    ASSERT(length == 0 || cycle != NULL);
    if (outcome == SCHED_OUTCOME_HANG_BUDGET && cycle_times_out(s, cycle, length))
        length = 0; /* it ends by itself: the budget stopped it in passing */
    if (length)
        write_cycle_shape(s, cycle, length, key);
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        const struct task *t = sched_task(s, pid);
        if (!t || t->daemon || t->state == TASK_EXITED)
            continue;
        int in_cycle = 0;
        for (uint32_t i = 0; i < length; i++)
            in_cycle |= cycle[i] == pid;
        if (outcome == SCHED_OUTCOME_HANG_BUDGET) {
            text_printf(key, "c \"%s\" calls", t->name);
            calls_write_shape(&t->calls, key);
            if (t->state == TASK_BLOCKED && t->waiting_on && !t->wake_deadline_ns) {
                text_printf(key, ", stuck in ");
                write_call_shape(t, key);
            }
            text_printf(key, "\n");
        } else if (t->state == TASK_BLOCKED && !in_cycle) {
            text_printf(key, "b ");
            write_wait_shape(t, key);
            text_printf(key, "\n");
        }
    }
}

void sched_hang_report(struct sched *s, enum sched_outcome outcome, const char *why,
                       struct text *out, struct text *key)
{
    ASSERT(outcome == SCHED_OUTCOME_HANG_DEADLOCK || outcome == SCHED_OUTCOME_HANG_BUDGET);
    ASSERT(s->current == NULL); /* written between steps, never from a task */
    char now[32];
    uint32_t blocked = 0, ready = 0;
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        const struct task *t = sched_task(s, pid);
        if (!t || t->daemon)
            continue;
        blocked += t->state == TASK_BLOCKED;
        ready += t->state == TASK_READY;
    }
    trace_format_duration(s->vtime_ns, now);
    if (outcome == SCHED_OUTCOME_HANG_DEADLOCK)
        text_printf(out,
                    "HANG (deadlock) at step %" PRIu64 ", vtime %s: no task can run and no "
                    "timer is pending, but %" PRIu32 " task%s %s blocked.\n",
                    s->step, now, blocked, blocked == 1 ? "" : "s",
                    blocked == 1 ? "is" : "are");
    else
        text_printf(out,
                    "HANG (budget) at step %" PRIu64 ", vtime %s: %s; %" PRIu32
                    " task%s runnable, %" PRIu32 " blocked.\n",
                    s->step, now, why ? why : "a budget ran out", ready,
                    ready == 1 ? "" : "s", blocked);
    if (blocked) {
        text_printf(out, "\nBlocked tasks:\n");
        for (uint32_t pid = 1; pid <= s->task_count; pid++) {
            const struct task *t = sched_task(s, pid);
            if (t && t->state == TASK_BLOCKED && !t->daemon)
                write_blocked(s, t, out);
        }
    }
    if (ready) {
        text_printf(out, "\nRunnable tasks (still going when the budget ran out):\n");
        for (struct readyq_node *n = readyq_first(&s->ready); n; /* in arrival order */
             n = readyq_next(&s->ready, n)) {
            const struct task *t = sched_task_of(n);
            if (t->daemon)
                continue;
            text_printf(out, "  ");
            write_task(t, out);
            text_printf(out, "\n");
        }
    }
    if (outcome == SCHED_OUTCOME_HANG_BUDGET)
        write_recent_calls(s, out);
    write_errors(s, out);
    uint32_t *cycle = calloc(task_records(s) + 1, sizeof *cycle);
    int64_t found = cycle ? first_cycle(s, cycle) : -1;
    if (found < 0) {
        s->out_of_memory = 1; /* the report is not whole: the run has no outcome */
        text_printf(out, "\n(no memory left to search for a wait-for cycle)\n");
        found = 0;
    }
    write_cycle(s, cycle, (uint32_t)found, out);
    write_key(s, outcome, cycle, (uint32_t)found, key);
    free(cycle);
    if (s->hooks.describe)
        s->hooks.describe(out);
}

/* ---- the wait-for graph, for pictures ------------------------------------------------ */

/* Grows *array (of element_bytes elements) to hold count + 1. Returns 0 or -ENOMEM. */
static int graph_grow(void *array_pointer, uint32_t *capacity, uint32_t count,
                      size_t element_bytes)
{
    if (count < *capacity)
        return 0;
    uint32_t wanted = *capacity ? *capacity * 2 : 8;
    void **array = array_pointer;
    void *grown = realloc(*array, (size_t)wanted * element_bytes);
    if (!grown)
        return -ENOMEM;
    *array = grown;
    *capacity = wanted;
    return 0;
}

struct graph_builder {
    struct sched_wait_graph *graph;
    uint32_t task_capacity, object_capacity, edge_capacity;
};

static int graph_add_task(struct graph_builder *b, const struct task *t)
{
    struct sched_wait_graph *g = b->graph;
    for (uint32_t i = 0; i < g->task_count; i++)
        if (g->tasks[i].pid == t->pid)
            return 0;
    if (graph_grow(&g->tasks, &b->task_capacity, g->task_count, sizeof g->tasks[0]) != 0)
        return -ENOMEM;
    struct sched_wait_task *node = &g->tasks[g->task_count++];
    *node = (struct sched_wait_task){.pid = t->pid};
    snprintf(node->name, sizeof node->name, "%s", t->name);
    node->state = t->state == TASK_BLOCKED ? SCHED_WAIT_BLOCKED
                  : t->state == TASK_EXITED ? SCHED_WAIT_EXITED
                                            : SCHED_WAIT_RUNNABLE;
    if (t->state == TASK_BLOCKED) {
        node->blocked_op = t->blocked_op;
        node->object = t->waiting_on ? t->waiting_on->id : 0;
        node->blocked_since_step = t->blocked_since_step;
    }
    return 0;
}

static int graph_add_object(struct graph_builder *b, const struct task *waiter,
                            const char *relation)
{
    struct sched_wait_graph *g = b->graph;
    const struct waitq *wq = waiter->waiting_on;
    for (uint32_t i = 0; i < g->object_count; i++)
        if (g->objects[i].id == wq->id)
            return 0;
    if (graph_grow(&g->objects, &b->object_capacity, g->object_count, sizeof g->objects[0]) != 0)
        return -ENOMEM;
    struct sched_wait_object *node = &g->objects[g->object_count++];
    *node = (struct sched_wait_object){.id = wq->id};
    snprintf(node->kind, sizeof node->kind, "%s", wq->kind);
    snprintf(node->relation, sizeof node->relation, "%s", relation);
    if (strcmp(wq->kind, "task") == 0) {
        if (waiter->blocked_arg)
            snprintf(node->label, sizeof node->label, "exit of pid %" PRId64, waiter->blocked_arg);
        else
            snprintf(node->label, sizeof node->label, "exit of a child of pid %" PRIu32,
                     waiter->pid);
    } else {
        struct text label = {0};
        write_object(wq, &label);
        snprintf(node->label, sizeof node->label, "%s", text_str(&label));
        text_free(&label);
    }
    return 0;
}

static int graph_add_edge(struct graph_builder *b, uint32_t pid, uint64_t object, int holds)
{
    struct sched_wait_graph *g = b->graph;
    for (uint32_t i = 0; i < g->edge_count; i++)
        if (g->edges[i].pid == pid && g->edges[i].object == object && g->edges[i].holds == holds)
            return 0;
    if (graph_grow(&g->edges, &b->edge_capacity, g->edge_count, sizeof g->edges[0]) != 0)
        return -ENOMEM;
    g->edges[g->edge_count++] = (struct sched_wait_edge){pid, object, (uint8_t)holds, 0};
    return 0;
}

static void graph_mark_cycle(struct sched_wait_graph *g, uint32_t pid, uint64_t object, int holds)
{
    for (uint32_t i = 0; i < g->edge_count; i++)
        if (g->edges[i].pid == pid && g->edges[i].object == object && g->edges[i].holds == holds)
            g->edges[i].in_cycle = 1;
}

int sched_wait_graph(struct sched *s, struct sched_wait_graph *graph)
{
    *graph = (struct sched_wait_graph){0};
    struct graph_builder b = {graph, 0, 0, 0};
    int rc = 0;
    /* The blocked tasks first, by pid, so that the picture lists them in the order of
     * the report; then the holders that are not blocked. */
    for (uint32_t pid = 1; pid <= s->task_count && rc == 0; pid++) {
        const struct task *t = sched_task(s, pid);
        if (t && t->state == TASK_BLOCKED && !t->daemon)
            rc = graph_add_task(&b, t);
    }
    for (uint32_t pid = 1; pid <= s->task_count && rc == 0; pid++) {
        const struct task *t = sched_task(s, pid);
        if (!t || t->state != TASK_BLOCKED || t->daemon || !t->waiting_on)
            continue;
        uint32_t pids[HOLDERS_MAX];
        const char *relation;
        uint32_t n = holders_of(t, pids, &relation);
        rc = graph_add_object(&b, t, relation);
        if (rc == 0)
            rc = graph_add_edge(&b, t->pid, t->waiting_on->id, 0);
        for (uint32_t k = 0; k < n && rc == 0; k++) {
            const struct task *holder = sched_task(s, pids[k]);
            if (!holder)
                continue; /* gone: the report says so; there is nothing to draw */
            rc = graph_add_task(&b, holder);
            if (rc == 0)
                rc = graph_add_edge(&b, holder->pid, t->waiting_on->id, 1);
        }
    }
    uint32_t *cycle = rc == 0 ? calloc(task_records(s) + 1, sizeof *cycle) : NULL;
    int64_t length = cycle ? first_cycle(s, cycle) : -1;
    if (rc != 0 || length < 0) {
        free(cycle);
        sched_wait_graph_free(graph);
        return -ENOMEM;
    }
    graph->cycle = cycle;
    graph->cycle_length = (uint32_t)length;
    for (uint32_t i = 0; i < graph->cycle_length && rc == 0; i++) {
        /* Every task on the cycle is blocked; a daemon on it still needs its edges. */
        const struct task *t = sched_task(s, cycle[i]);
        uint32_t next = cycle[(i + 1) % graph->cycle_length];
        const char *relation;
        uint32_t pids[HOLDERS_MAX];
        holders_of(t, pids, &relation);
        rc = graph_add_task(&b, t);
        if (rc == 0)
            rc = graph_add_object(&b, t, relation);
        if (rc == 0)
            rc = graph_add_edge(&b, t->pid, t->waiting_on->id, 0);
        if (rc == 0)
            rc = graph_add_edge(&b, next, t->waiting_on->id, 1);
        graph_mark_cycle(graph, t->pid, t->waiting_on->id, 0);
        graph_mark_cycle(graph, next, t->waiting_on->id, 1);
    }
    if (rc != 0) {
        sched_wait_graph_free(graph);
        return -ENOMEM;
    }
    return 0;
}

void sched_wait_graph_free(struct sched_wait_graph *graph)
{
    free(graph->tasks);
    free(graph->objects);
    free(graph->edges);
    free(graph->cycle);
    *graph = (struct sched_wait_graph){0};
}
