/* explore — the depth-first search over a scenario's choice tree; see explore.h.
 *
 * The search keeps the decisions of the current path as a stack of nodes. Each node
 * tries its alternatives in a fixed order (explore_int.h: the default first), and
 * knows the cost spent before it, so an alternative past the bound is never tried.
 * A run follows the path up to the node being changed; its later decisions become
 * new nodes at their defaults. With reduce, each node also holds its sleep set: the
 * tasks whose step here was explored already from an earlier node whose steps
 * since were independent of theirs; an alternative asleep is skipped, and a run
 * whose default picks one is not branched below that point. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "explore_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "reports/isolate.h"
#include "reports/sweep.h"
#include "util/assert.h"

/* A task's step, remembered: who, and what it touched. */
struct entry {
    uint32_t pid;
    struct explore_access access;
};

struct entries {
    struct entry *items;
    uint32_t count;
    uint32_t capacity;
};

struct node {
    uint64_t range;
    uint64_t position;       /* of the current choice in the order of alternatives */
    uint32_t kind;
    uint32_t previous;       /* sched: the task that could go on, EXPLORE_NONE */
    uint32_t cost_before;    /* preemptions or delays spent before this decision */
    uint32_t fires_before;   /* faults fired before */
    uint32_t knobs_before;   /* knob draws other than 0 before */
    uint32_t *pids;          /* sched: the ready tasks (owned) */
    struct sched_access *accesses; /* sched: their pending calls (owned) */
    uint32_t pid_count;
    struct explore_access chosen; /* sched: the current choice's step */
    struct entries sleep;    /* asleep here */
    struct entries done;     /* explored here, beside the current choice */
};

struct explore_state {
    struct explore_page *page;
    struct explore_worker worker;
    struct node *nodes;
    uint64_t depth;          /* nodes on the path */
    uint64_t capacity;
    uint64_t dead_cpu_ns;    /* CPU time of workers gone */
    uint64_t self_cpu_start;
};

static int entries_add(struct entries *set, uint32_t pid, const struct explore_access *a)
{
    if (set->count == set->capacity) {
        uint32_t capacity = set->capacity ? set->capacity * 2 : 4;
        struct entry *grown = realloc(set->items, capacity * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        set->items = grown;
        set->capacity = capacity;
    }
    set->items[set->count++] = (struct entry){pid, *a};
    return 0;
}

static int entries_has(const struct entries *set, uint32_t pid)
{
    for (uint32_t i = 0; i < set->count; i++)
        if (set->items[i].pid == pid)
            return 1;
    return 0;
}

static void node_free(struct node *n)
{
    free(n->pids);
    free(n->accesses);
    free(n->sleep.items);
    free(n->done.items);
    memset(n, 0, sizeof *n);
}

/* Two steps commute: neither did more than its call, and the calls do not
 * conflict (sim/access.h). */
static int independent(const struct explore_access *a, const struct explore_access *b)
{
    return !a->global && !b->global && !sched_access_conflict(&a->pending, &b->pending);
}

static uint64_t node_value(const struct node *n)
{
    return explore_value_at(n->kind, n->range, n->previous, n->position);
}

/* The pid a scheduling node's current choice runs. */
static uint32_t node_pid(const struct node *n)
{
    ASSERT(n->kind == CHOICE_SCHED && n->pids);
    uint64_t index = node_value(n);
    ASSERT(index < n->pid_count);
    return n->pids[index];
}

/* Sets n's chosen step from its current choice's pending call, widened when the
 * run says the step did more (global). */
static void node_choose(struct node *n, uint8_t global)
{
    uint64_t index = node_value(n);
    ASSERT(index < n->pid_count && n->accesses);
    n->chosen = (struct explore_access){global, n->accesses[index]};
}

/* The sleep set of the node after n: what sleeps at n or was done there, and is
 * independent of the step n chose. A non-scheduling node is inside a step: the set
 * passes through. */
static int sleep_after(const struct node *n, struct entries *out)
{
    const struct entries *sets[2] = {&n->sleep, &n->done};
    for (int s = 0; s < 2; s++)
        for (uint32_t i = 0; i < sets[s]->count; i++) {
            const struct entry *e = &sets[s]->items[i];
            if (n->kind == CHOICE_SCHED &&
                (e->pid == node_pid(n) || !independent(&e->access, &n->chosen)))
                continue;
            if (n->kind != CHOICE_SCHED && s == 1)
                continue; /* a fault's or a knob's alternatives are no tasks */
            if (entries_add(out, e->pid, &e->access) != 0)
                return -ENOMEM;
        }
    return 0;
}

static int grow_nodes(struct explore_state *st, uint64_t count)
{
    if (count <= st->capacity)
        return 0;
    uint64_t capacity = st->capacity ? st->capacity : 256;
    while (capacity < count)
        capacity *= 2;
    struct node *grown = realloc(st->nodes, capacity * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    memset(grown + st->capacity, 0, (capacity - st->capacity) * sizeof *grown);
    st->nodes = grown;
    st->capacity = capacity;
    return 0;
}

/* Makes node at from the worker's decision d, after the node before it. */
static int node_make(const struct explore_options *o, struct explore_state *st, uint64_t at,
                     const struct explore_decision *d)
{
    struct node *n = &st->nodes[at];
    *n = (struct node){.range = d->range, .kind = d->kind, .previous = d->previous};
    if (at > 0) {
        const struct node *before = &st->nodes[at - 1];
        n->cost_before = before->cost_before +
                         explore_cost_at(o->bound_kind, before->kind, before->previous,
                                         before->position);
        n->fires_before = before->fires_before + explore_fires_at(before->kind, before->position);
        n->knobs_before = before->knobs_before + explore_knobs_at(before->kind, before->position);
        if (o->reduce && sleep_after(before, &n->sleep) != 0)
            return -ENOMEM;
    }
    if (d->kind == CHOICE_SCHED && d->pid_count == d->range) {
        n->pids = malloc(d->pid_count * sizeof *n->pids);
        n->accesses = malloc(d->pid_count * sizeof *n->accesses);
        if (!n->pids || !n->accesses)
            return -ENOMEM;
        memcpy(n->pids, st->page->pids + d->pid_first, d->pid_count * sizeof *n->pids);
        memcpy(n->accesses, st->page->accesses + d->pid_first,
               d->pid_count * sizeof *n->accesses);
        n->pid_count = d->pid_count;
        node_choose(n, d->global);
    } else if (d->kind == CHOICE_SCHED) {
        n->kind = CHOICE_PCT_PRIORITY; /* no ready list recorded: not branched */
    }
    ASSERT(explore_value_at(n->kind, n->range, n->previous, 0) == d->value ||
           n->kind == CHOICE_PCT_PRIORITY);
    return 0;
}

/* Takes in the decisions of the run just made: the path's own must match (else the
 * scenario is nondeterministic), the new ones become nodes, up to a default that a
 * sleep set has already covered. Returns 0, -ENOMEM, or -EILSEQ on a mismatch. */
static int absorb_run(struct explore *e, const struct explore_options *o)
{
    struct explore_state *st = e->state;
    struct explore_page *page = st->page;
    uint64_t count = page->decision_count;
    if (page->mismatch || count < st->depth)
        return -EILSEQ;
    for (uint64_t i = 0; i < st->depth; i++) {
        const struct explore_decision *d = &page->decisions[i];
        struct node *n = &st->nodes[i];
        if (d->range != n->range || (d->kind != n->kind && n->kind != CHOICE_PCT_PRIORITY) ||
            d->value != node_value(n))
            return -EILSEQ;
        if (n->kind == CHOICE_SCHED)
            node_choose(n, d->global); /* the step changed when a decision inside it did */
    }
    if (count > e->depth_max)
        e->depth_max = count;
    e->truncated |= page->truncated != 0;
    if (grow_nodes(st, count) != 0)
        return -ENOMEM;
    for (uint64_t at = st->depth; at < count; at++) {
        if (node_make(o, st, at, &page->decisions[at]) != 0)
            return -ENOMEM;
        st->depth = at + 1;
        struct node *n = &st->nodes[at];
        if (o->reduce && n->kind == CHOICE_SCHED && entries_has(&n->sleep, node_pid(n))) {
            e->pruned++; /* its default was explored elsewhere: nothing below is new */
            break;
        }
    }
    return 0;
}

/* Whether position p of node n is within the bounds; *asleep when a sleep set
 * covers it. */
static int allowed(const struct explore_options *o, const struct node *n, uint64_t p, int *asleep)
{
    *asleep = 0;
    if (n->cost_before + explore_cost_at(o->bound_kind, n->kind, n->previous, p) > o->bound)
        return 0;
    if (n->fires_before + explore_fires_at(n->kind, p) > o->faults_max)
        return 0;
    if (n->knobs_before + explore_knobs_at(n->kind, p) > o->knobs_max)
        return 0;
    if (o->reduce && n->kind == CHOICE_SCHED) {
        uint32_t pid = n->pids[explore_value_at(n->kind, n->range, n->previous, p)];
        *asleep = entries_has(&n->sleep, pid) || entries_has(&n->done, pid);
    }
    return 1;
}

/* Moves to the next path: the deepest node with an alternative left takes it, the
 * nodes below go. Returns 1 with the page's prefix set, 0 when nothing is left (the
 * space is exhausted), -ENOMEM. */
static int backtrack(struct explore *e, const struct explore_options *o)
{
    struct explore_state *st = e->state;
    while (st->depth > 0) {
        struct node *n = &st->nodes[st->depth - 1];
        uint64_t positions = explore_positions(n->kind, n->range);
        for (uint64_t p = n->position + 1; p < positions; p++) {
            int asleep;
            if (!allowed(o, n, p, &asleep)) {
                if (o->bound_kind == EXPLORE_DELAYS && n->kind == CHOICE_SCHED)
                    break; /* every later position costs more */
                continue;
            }
            if (asleep) {
                e->pruned++;
                continue;
            }
            if (o->reduce && n->kind == CHOICE_SCHED &&
                entries_add(&n->done, node_pid(n), &n->chosen) != 0)
                return -ENOMEM;
            n->position = p;
            for (uint64_t i = 0; i < st->depth; i++)
                st->page->prefix[i] = node_value(&st->nodes[i]);
            st->page->prefix_count = st->depth;
            return 1;
        }
        node_free(n);
        st->depth--;
    }
    return 0;
}

double explore_progress(const struct explore *e, const struct explore_options *o)
{
    const struct explore_state *st = e->state;
    if (e->exhausted)
        return 1;
    double share = 1, done = 0;
    for (uint64_t i = 0; st && i < st->depth && share > 1e-9; i++) {
        const struct node *n = &st->nodes[i];
        uint64_t positions = explore_positions(n->kind, n->range), within = 0, before = 0;
        for (uint64_t p = 0; p < positions && p < 64; p++) {
            int asleep;
            if (!allowed(o, n, p, &asleep))
                continue;
            within++;
            before += p < n->position;
        }
        if (within > 1) {
            done += share * (double)before / (double)within;
            share /= (double)within;
        }
    }
    ASSERT(done >= 0 && done <= 1);
    return done;
}

static uint64_t self_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void update_cpu(struct explore *e)
{
    struct explore_state *st = e->state;
    e->cpu_ns = self_cpu_ns() - st->self_cpu_start + st->dead_cpu_ns + st->worker.cpu_ns;
}

/* The run's choices, from the page: what a repro replays. */
static int page_choices(const struct explore_page *page, struct run_result *result)
{
    uint64_t count = page->decision_count;
    result->choices = count ? malloc(count * sizeof *result->choices) : NULL;
    if (count && !result->choices)
        return -ENOMEM;
    for (uint64_t i = 0; i < count; i++) {
        const struct explore_decision *d = &page->decisions[i];
        result->choices[i] = (struct choice_record){d->range, d->value, (enum choice_kind)d->kind};
    }
    result->choice_count = count;
    return 0;
}

/* Counts a failing run under its signature; the first of each is kept, result
 * moved into it. Returns 0 or -ENOMEM. */
static int note_failure(struct explore *e, struct run_result *result)
{
    struct sweep_record record = {0};
    sweep_signature(&record, result);
    for (uint32_t i = 0; i < e->failure_count; i++)
        if (e->failures[i].signature == record.signature &&
            e->failures[i].result.outcome == result->outcome) {
            e->failures[i].count++;
            run_result_free(result);
            return 0;
        }
    if (e->failure_count == e->failure_capacity) {
        uint32_t capacity = e->failure_capacity ? e->failure_capacity * 2 : 8;
        struct explore_failure *grown = realloc(e->failures, capacity * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        e->failures = grown;
        e->failure_capacity = capacity;
    }
    if (page_choices(e->state->page, result) != 0)
        return -ENOMEM;
    e->failures[e->failure_count++] =
        (struct explore_failure){record.signature, 1, e->executions, *result};
    *result = (struct run_result){0};
    return 0;
}

/* The result of a run whose worker died or ran late. */
static void lost_run(int rc, int wstatus, double time_limit_s, struct run_result *result)
{
    text_free(&result->report);
    result->report = (struct text){0};
    if (rc == -ETIMEDOUT) {
        result->outcome = SCHED_OUTCOME_TIMEOUT;
        text_printf(&result->report, "TIMEOUT: the run went past %.0f s of wall-clock time (a "
                    "loop in C that never returns to the scheduler?)\n", time_limit_s);
    } else if (WIFSIGNALED(wstatus)) {
        result->outcome = SCHED_OUTCOME_CRASH;
        text_printf(&result->report, "CRASH: the scenario's C code died of signal %d (%s)\n",
                    WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    } else {
        result->outcome = SCHED_OUTCOME_CRASH;
        text_printf(&result->report, "CRASH: the scenario's C code called exit(%d)\n",
                    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    }
    /* seen from outside the run: its group is its report's */
    run_signature_from_report(result, sched_outcome_name(result->outcome));
}

/* Makes one run of the page's prefix, in the worker (started when there is none).
 * Returns 0, or -EINTR, -ENOMEM, -errno (no worker), -EILSEQ (nondeterminism). */
static int run_once(struct explore *e, const struct explore_options *o)
{
    struct explore_state *st = e->state;
    if (!st->worker.pid) {
        int rc = explore_worker_start(&st->worker, st->page, &o->run);
        if (rc != 0)
            return rc;
        e->workers_started++;
    }
    struct explore_end end;
    struct run_result result = {0};
    int wstatus = 0;
    int rc = explore_worker_run(&st->worker, o->run_time_limit_s, &end, &result.report, &wstatus);
    if (rc != 0 && rc != -EPIPE && rc != -ETIMEDOUT) {
        text_free(&result.report); /* a signal caught, or the explorer's own error */
        return rc;
    }
    e->executions++;
    if (rc == 0 && end.rc != 0) {
        text_free(&result.report);
        return end.rc == -ENOMEM ? -ENOMEM : -EIO;
    }
    if (rc == 0) {
        result.outcome = (enum sched_outcome)end.outcome;
        result.steps = end.steps;
        result.vtime_ns = end.vtime_ns;
        result.hash = end.hash;
        result.faults_fired = end.faults_fired;
        result.signature = end.signature;
        memcpy(result.signature_text, end.signature_text, sizeof result.signature_text);
        result.signature_text[sizeof result.signature_text - 1] = '\0';
    } else {
        st->dead_cpu_ns += st->worker.cpu_ns; /* what it had reported: its last run is lost */
        st->worker.cpu_ns = 0;
        lost_run(rc, wstatus, o->run_time_limit_s, &result);
    }
    e->last_hash = result.hash;
    e->last_outcome = result.outcome;
    int absorbed = absorb_run(e, o);
    if (result.outcome != SCHED_OUTCOME_PASS && absorbed != -EILSEQ &&
        note_failure(e, &result) != 0)
        absorbed = -ENOMEM;
    run_result_free(&result);
    update_cpu(e);
    return absorbed;
}

static int out_of_budget(const struct explore *e, const struct explore_options *o)
{
    return (o->executions_max && e->executions >= o->executions_max) ||
           (o->cpu_ns_max && e->cpu_ns >= o->cpu_ns_max);
}

/* The search proper: run, absorb, backtrack, until it ends. Returns 0 or -errno. */
static int search(struct explore *e, const struct explore_options *o)
{
    e->state->page->prefix_count = 0;
    for (;;) {
        int rc = run_once(e, o);
        if (rc == -EINTR) {
            e->interrupted = 1;
            return 0;
        }
        if (rc == -EILSEQ) {
            e->nondeterministic = 1;
            return 0;
        }
        if (rc != 0)
            return rc;
        if (o->progress)
            o->progress(o->context, e);
        rc = backtrack(e, o);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            e->exhausted = !e->truncated;
            return 0;
        }
        if (out_of_budget(e, o)) {
            e->out_of_budget = 1;
            return 0;
        }
        if (isolate_caught()) {
            e->interrupted = 1;
            return 0;
        }
    }
}

int explore_run(struct explore *e, const struct explore_options *o)
{
    ASSERT(o->run.scenario && o->run.backend == RUN_BACKEND_SIM);
    memset(e, 0, sizeof *e);
    e->state = calloc(1, sizeof *e->state);
    if (!e->state)
        return -ENOMEM;
    struct explore_state *st = e->state;
    st->self_cpu_start = self_cpu_ns();
    void *page = mmap(NULL, sizeof *st->page, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (page == MAP_FAILED)
        return -errno;
    st->page = page;
    /* A worker that dies makes our next write to it fail with EPIPE, not kill us. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    int rc = search(e, o);
    explore_worker_stop(&st->worker);
    signal(SIGPIPE, old_pipe);
    update_cpu(e);
    return rc;
}

struct run_options explore_failure_options(const struct explore_options *options)
{
    struct run_options run = options->run;
    run.strategy = SCHED_STRATEGY_DEFAULT;
    run.seed = 0;
    run.chooser = NULL;
    run.replay = NULL;
    run.replay_count = 0;
    return run;
}

void explore_free(struct explore *e)
{
    for (uint32_t i = 0; i < e->failure_count; i++)
        run_result_free(&e->failures[i].result);
    free(e->failures);
    e->failures = NULL;
    e->failure_count = 0;
    struct explore_state *st = e->state;
    if (st) {
        for (uint64_t i = 0; i < st->capacity; i++)
            node_free(&st->nodes[i]);
        free(st->nodes);
        if (st->page)
            munmap(st->page, sizeof *st->page);
        free(st);
    }
    e->state = NULL;
}
