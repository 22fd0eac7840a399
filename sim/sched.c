/* sched — tasks, strategies, the virtual clock, timers and wait queues; see sched.h.
 *
 * Two switches make one step: scheduler -> task, and the task's next sys_* call back
 * to the scheduler. The ready queue (readyq.h) keeps arrival order; strategies pick
 * an index into that order, or the top priority, and every index is drawn from the
 * choice stream (or fixed, for rr), so a recording of the stream replays the
 * schedule. Task records live by pid in an idarray until their process is reaped. */
#include "sched_int.h"

#include "model/world.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

struct sched *sched_active;

static const char *const outcome_names[SCHED_OUTCOME_COUNT] = {
    [SCHED_OUTCOME_PASS] = "pass",           [SCHED_OUTCOME_HANG_DEADLOCK] = "hang-deadlock",
    [SCHED_OUTCOME_HANG_BUDGET] = "hang-budget", [SCHED_OUTCOME_LEAK] = "leak",
    [SCHED_OUTCOME_PANIC] = "panic",         [SCHED_OUTCOME_ASSERT] = "assert",
    [SCHED_OUTCOME_INVARIANT] = "invariant", [SCHED_OUTCOME_CRASH] = "crash",
    [SCHED_OUTCOME_TIMEOUT] = "timeout",
};

const char *sched_outcome_name(enum sched_outcome outcome)
{
    return (unsigned)outcome < SCHED_OUTCOME_COUNT ? outcome_names[outcome] : "?";
}

int sched_outcome_parse(const char *name)
{
    for (int i = 0; i < SCHED_OUTCOME_COUNT; i++)
        if (strcmp(outcome_names[i], name) == 0)
            return i;
    return -1;
}

/* Grows an array of element_bytes elements to hold one more; 0 or -ENOMEM. */
static int grow(void *array_pointer, uint64_t *capacity, uint64_t count, size_t element_bytes)
{
    if (count < *capacity)
        return 0;
    uint64_t wanted = *capacity ? *capacity * 2 : 16;
    void **array = array_pointer;
    void *grown = realloc(*array, wanted * element_bytes);
    if (!grown)
        return -ENOMEM;
    *array = grown;
    *capacity = wanted;
    return 0;
}

static int grow32(void *array_pointer, uint32_t *capacity, uint32_t count, size_t element_bytes)
{
    uint64_t c = *capacity;
    int rc = grow(array_pointer, &c, count, element_bytes);
    *capacity = (uint32_t)c;
    return rc;
}

/* PCT's initial priorities sit at SCHED_PRIORITY_BASE and above; a task that yields
 * goes below every one of them (and above PCT's change-point priorities 1..d-1). */
#define SCHED_PRIORITY_BASE (1ULL << 40)
#define SCHED_PRIORITY_RANGE (1ULL << 20)

/* The steps where PCT lowers a priority (d - 1 of them), or where delay and preempt
 * may delay or preempt (bound of them): drawn up front from [1, k] as PCT's paper
 * does. */
static void draw_points(struct sched *s)
{
    const struct sched_strategy *st = &s->options.strategy;
    uint32_t count = st->kind == SCHED_PCT ? (st->pct_depth > 1 ? st->pct_depth - 1 : 0)
                     : st->kind == SCHED_DELAY || st->kind == SCHED_PREEMPT ? st->bound
                                                                            : 0;
    if (count > SCHED_PCT_DEPTH_MAX - 1)
        count = SCHED_PCT_DEPTH_MAX - 1;
    uint64_t steps = st->pct_steps ? st->pct_steps : 1000; /* 0 only when run.c did not
                                                              resolve it: the old default */
    s->pct_change_count = count;
    for (uint32_t i = 0; i < count; i++)
        s->pct_change_points[i] = 1 + choice_draw(s->choices, CHOICE_PCT_CHANGE, steps);
}

int sched_create(struct sched **out, const struct sched_options *options,
                 struct choice_stream *choices, struct trace *trace)
{
    struct sched *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    enum sched_strategy_kind kind = options->strategy.kind;
    ASSERT(kind != SCHED_PORTFOLIO); /* run.c resolves it by seed */
    /* Each strategy's queue keeps what its pick needs: random and preempt the k-th,
     * PCT and POS the top, rr and delay only the first, which every queue has. */
    unsigned keeps = kind == SCHED_RANDOM || kind == SCHED_PREEMPT ? READYQ_COUNTS
                     : kind == SCHED_PCT || kind == SCHED_POS      ? READYQ_TOPS
                                                                   : 0;
    if (readyq_init(&s->ready, keeps) != 0) {
        free(s);
        return -ENOMEM;
    }
    idarray_init(&s->tasks, sizeof(struct task));
    s->options = *options;
    if (kind == SCHED_POS)
        s->options.track_access = 1; /* POS re-prioritises by the step that ran */
    s->choices = choices;
    s->trace = trace;
    s->yield_floor = SCHED_PRIORITY_BASE;
    coro_init_thread(&s->main_coro);
    draw_points(s);
    *out = s;
    return 0;
}

static const char *task_name(void *context, uint32_t pid)
{
    const struct task *t = sched_task(context, pid);
    return t ? t->name : NULL;
}

static const char *object_name(void *context, uint64_t id)
{
    struct sched *s = context;
    const struct waitq *wq = s->world ? world_waitq(s->world, id) : NULL;
    if (!wq)
        return NULL;
    char name[WAITQ_NAME_BYTES];
    snprintf(s->name_buffer, sizeof s->name_buffer, "%s:%s", wq->kind,
             world_waitq_name(wq, name));
    return s->name_buffer;
}

void sched_trace_names(struct sched *s, struct trace_names *names)
{
    names->task = task_name;
    names->object = object_name;
    names->context = s;
}

uint64_t sched_steps(const struct sched *s) { return s->step; }
uint64_t sched_vtime(const struct sched *s) { return s->vtime_ns; }

/* ---- wait queues ------------------------------------------------------------------ */

static void waitq_append(struct sched *s, struct waitq *wq, struct task *t)
{
    ASSERT(t->wait_previous == 0 && t->wait_next == 0);
    t->wait_previous = wq->last;
    t->wait_next = 0;
    if (wq->last)
        sched_task(s, wq->last)->wait_next = t->pid;
    else
        wq->first = t->pid;
    wq->last = t->pid;
    wq->count++;
}

static void waitq_remove(struct sched *s, struct waitq *wq, struct task *t)
{
    if (t->wait_previous)
        sched_task(s, t->wait_previous)->wait_next = t->wait_next;
    else
        wq->first = t->wait_next;
    if (t->wait_next)
        sched_task(s, t->wait_next)->wait_previous = t->wait_previous;
    else
        wq->last = t->wait_previous;
    t->wait_previous = t->wait_next = 0;
    ASSERT(wq->count > 0);
    wq->count--;
}

/* ---- ready queue and strategies ----------------------------------------------------- */

/* Appends t to the ready queue, in arrival order. */
static void ready_append(struct sched *s, struct task *t)
{
    if (readyq_push(&s->ready, &t->ready) != 0) {
        /* Never drop a task: a lost task would be a silent wrong result. */
        abort();
    }
    t->state = TASK_READY;
}

/* A fresh random priority, for POS's events. */
static uint64_t fresh_priority(struct sched *s)
{
    return SCHED_PRIORITY_BASE + choice_draw(s->choices, CHOICE_PCT_PRIORITY, SCHED_PRIORITY_RANGE);
}

/* A task that ran or waited goes back to the ready queue. Under POS its next step
 * is a new event, with a fresh priority; under PCT a task that yielded says it has
 * nothing to do for now (a spin or a linger loop): it goes below every task that did
 * not, as CHESS's fair scheduler demotes a yielding thread. */
static void ready_push(struct sched *s, struct task *t)
{
    ASSERT(t->state == TASK_RUNNING || t->state == TASK_BLOCKED); /* not queued twice */
    enum sched_strategy_kind kind = s->options.strategy.kind;
    if (kind == SCHED_POS)
        t->ready.priority = fresh_priority(s);
    else if (kind == SCHED_PCT && t->state == TASK_RUNNING && t->call.op == TRACE_OP_YIELD &&
             t->ready.priority >= SCHED_PCT_DEPTH_MAX)
        t->ready.priority = --s->yield_floor;
    ready_append(s, t);
}

/* Whether step is one of the drawn points (delay, preempt). */
static int at_point(const struct sched *s, uint64_t step)
{
    for (uint32_t i = 0; i < s->pct_change_count; i++)
        if (s->pct_change_points[i] == step)
            return 1;
    return 0;
}

/* The ready task that ran last, or NULL; NULL too when its step ended in sys_yield:
 * a yield hands over (a switch that is no preemption, as in CHESS). */
static struct readyq_node *last_ready(struct sched *s)
{
    struct task *t = sched_task(s, s->last_pid);
    return t && t->state == TASK_READY && t->call.op != TRACE_OP_YIELD ? &t->ready : NULL;
}

/* Delay-bounded: the deterministic choice is the task that ran last, while it can
 * run, else the one that waited longest; at a delay point it is passed over once,
 * for the next in arrival order. */
static struct readyq_node *pick_delay(struct sched *s)
{
    struct readyq *q = &s->ready;
    struct readyq_node *base = last_ready(s);
    if (!base)
        base = readyq_first(q);
    if (!at_point(s, s->step + 1))
        return base;
    struct readyq_node *next = readyq_next(q, base);
    return next ? next : readyq_first(q) != base ? readyq_first(q) : base;
}

/* Preemption-bounded: the task that ran last runs on while it can, but at a
 * preemption point, where another ready task (drawn) takes over; when it cannot,
 * the next is drawn among all (no preemption: it blocked or ended). */
static struct readyq_node *pick_preempt(struct sched *s)
{
    struct readyq *q = &s->ready;
    struct readyq_node *current = last_ready(s);
    if (!current)
        return readyq_nth(q, (uint32_t)choice_draw(s->choices, CHOICE_SCHED, q->count));
    if (!at_point(s, s->step + 1))
        return current;
    uint32_t k = (uint32_t)choice_draw(s->choices, CHOICE_SCHED, q->count - 1);
    struct readyq_node *other = readyq_nth(q, k);
    return other != current ? other : readyq_nth(q, k + 1);
}

/* Shows the explorer the decision about to be drawn: the ready pids in arrival
 * order, and the task of the last step when it is one of them. */
static void show_decision(struct sched *s)
{
    struct readyq *q = &s->ready;
    if (grow32(&s->decision_pids, &s->decision_capacity, q->count, sizeof(uint32_t)) != 0 ||
        s->decision_capacity < q->count) {
        s->out_of_memory = 1; /* the explorer cannot be shown it: no outcome */
        return;
    }
    struct sched_decision d = {s, s->decision_pids, q->count, 0, 0};
    uint32_t i = 0;
    for (struct readyq_node *n = readyq_first(q); n; n = readyq_next(q, n)) {
        const struct task *t = sched_task_of(n);
        s->decision_pids[i++] = t->pid;
        if (t->pid == s->last_pid) {
            d.previous = t->pid;
            d.previous_yielded = t->call.op == TRACE_OP_YIELD;
        }
    }
    ASSERT(i == q->count);
    s->options.on_decision(s->options.decision_context, &d);
}

/* Takes the strategy's pick out of the ready queue: random the k-th in arrival
 * order, k drawn from the stream; rr the first; PCT and POS the top priority, the
 * earliest among equals; delay and preempt as above. */
static struct task *ready_take_pick(struct sched *s)
{
    struct readyq *q = &s->ready;
    ASSERT(q->count > 0);
    struct readyq_node *pick;
    enum sched_strategy_kind kind = s->options.strategy.kind;
    if (q->count == 1)
        pick = readyq_first(q); /* no choice to make: nothing is drawn, whatever the strategy */
    else if (kind == SCHED_RANDOM) {
        if (s->options.on_decision)
            show_decision(s);
        pick = readyq_nth(q, (uint32_t)choice_draw(s->choices, CHOICE_SCHED, q->count));
    } else if (kind == SCHED_PCT || kind == SCHED_POS)
        pick = readyq_top(q);
    else if (kind == SCHED_DELAY)
        pick = pick_delay(s);
    else if (kind == SCHED_PREEMPT)
        pick = pick_preempt(s);
    else
        pick = readyq_first(q);
    readyq_remove(q, pick);
    return sched_task_of(pick);
}

/* ---- timers ----------------------------------------------------------------------- */

static int timer_before(const struct timer *a, const struct timer *b)
{
    return a->deadline_ns < b->deadline_ns ||
           (a->deadline_ns == b->deadline_ns && a->sequence < b->sequence);
}

static int timer_arm(struct sched *s, struct task *t, uint64_t deadline_ns)
{
    if (grow32(&s->timers, &s->timer_capacity, s->timer_count, sizeof s->timers[0]) != 0)
        return -ENOMEM;
    struct timer timer = {deadline_ns, ++s->timer_sequence, t->pid};
    uint32_t i = s->timer_count++;
    while (i > 0 && timer_before(&timer, &s->timers[(i - 1) / 2])) {
        s->timers[i] = s->timers[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->timers[i] = timer;
    t->timer_token = timer.sequence;
    t->wake_deadline_ns = deadline_ns;
    return 0;
}

static void timer_pop(struct sched *s)
{
    ASSERT(s->timer_count > 0);
    struct timer last = s->timers[--s->timer_count];
    uint32_t i = 0;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= s->timer_count)
            break;
        if (child + 1 < s->timer_count && timer_before(&s->timers[child + 1], &s->timers[child]))
            child++;
        if (!timer_before(&s->timers[child], &last))
            break;
        s->timers[i] = s->timers[child];
        i = child;
    }
    if (s->timer_count > 0)
        s->timers[i] = last;
}

/* A timer is stale when its task was woken some other way (its token moved on). */
static int timer_live(const struct sched *s, const struct timer *timer)
{
    const struct task *t = sched_task(s, timer->pid);
    return t && t->state == TASK_BLOCKED && t->timer_token == timer->sequence;
}

static void drop_stale_timers(struct sched *s)
{
    while (s->timer_count > 0 && !timer_live(s, &s->timers[0]))
        timer_pop(s);
}

static void wake_task(struct sched *s, struct task *t, enum waitq_wake reason)
{
    ASSERT(t->state == TASK_BLOCKED);
    if (t->waiting_on)
        waitq_remove(s, t->waiting_on, t);
    t->waiting_on = NULL;
    t->timer_token = 0;
    t->wake_deadline_ns = 0;
    t->wake_reason = reason;
    ready_push(s, t);
}

static void fire_due_timers(struct sched *s)
{
    for (;;) {
        drop_stale_timers(s);
        if (s->timer_count == 0 || s->timers[0].deadline_ns > s->vtime_ns)
            return;
        struct task *t = sched_task(s, s->timers[0].pid);
        timer_pop(s);
        wake_task(s, t, t->waiting_on ? WAITQ_WAKE_TIMEOUT : WAITQ_WAKE_TIMER);
    }
}

uint32_t waitq_wake_one(struct waitq *wq, enum waitq_wake reason)
{
    struct sched *s = sched_active;
    if (!wq->first)
        return 0;
    struct task *t = sched_task(s, wq->first);
    ASSERT(t && t->waiting_on == wq);
    wake_task(s, t, reason);
    sched_emit(TRACE_OP_WAKE, wq->id, t->pid, 0, reason);
    return t->pid;
}

uint32_t waitq_wake_all(struct waitq *wq, enum waitq_wake reason)
{
    uint32_t count = 0;
    while (waitq_wake_one(wq, reason))
        count++;
    return count;
}

/* ---- tasks ------------------------------------------------------------------------ */

static void task_entry(void *arg)
{
    struct task *t = arg;
    sched_emit(TRACE_OP_START, 0, t->parent_pid, 0, WAITQ_WAKE_NONE);
    t->fn(t->arg);
    if (sched_active->options.exit_step) /* the end is a step of its own, as sys_exit's */
        sched_point_call(TRACE_OP_EXIT, 0, 0);
    sched_exit_current(0);
}

int sched_spawn(struct sched *s, uint32_t pid, const char *name, void (*fn)(void *), void *arg,
                uint32_t parent, int daemon)
{
    ASSERT(fn != NULL);
    if (pid != s->task_count + 1)
        return -EINVAL; /* the process model hands out pids in order */
    struct task *t = idarray_put(&s->tasks, pid);
    if (!t)
        return -ENOMEM;
    t->pid = pid;
    t->parent_pid = parent;
    t->daemon = (uint8_t)(daemon != 0);
    text_copy(t->name, sizeof t->name, name ? name : "task");
    t->fn = fn;
    t->arg = arg;
    if (coro_init(&t->coro, s->options.stack_bytes, task_entry, t) != 0) {
        idarray_release(&s->tasks, pid);
        return -ENOMEM;
    }
    s->task_count = pid;
    if (!t->daemon)
        s->live_count++;
    if (s->options.strategy.kind == SCHED_PCT || s->options.strategy.kind == SCHED_POS) {
        /* Initial priorities sit above every change-point priority (1..d-1) and every
         * yielder's. */
        t->ready.priority = fresh_priority(s);
    }
    ready_append(s, t);
    return 0;
}

void sched_set_hooks(struct sched *s, const struct sched_hooks *hooks)
{
    s->hooks = *hooks;
}

struct sched *sched_activate(struct sched *s)
{
    struct sched *previous = sched_active;
    sched_active = s;
    return previous;
}

void sched_fail(struct sched *s, enum sched_outcome outcome, const char *message)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    s->stop_outcome = outcome;
    text_printf(&s->stop_message, "%s", message);
}

/* A task that exits hands the errors it was told to its parent's record: a report
 * on the parent then shows what its children were told. */
static void adopt_errors(struct sched *s, const struct task *t)
{
    struct task *parent = sched_task(s, t->parent_pid);
    if (parent && parent != t)
        calls_adopt_errors(&parent->calls, &t->calls);
}

void sched_kill(struct sched *s, uint32_t pid, int status)
{
    struct task *t = sched_task(s, pid);
    if (!t || t == s->current || t->state == TASK_EXITED)
        return;
    ASSERT(t->state == TASK_READY || t->state == TASK_BLOCKED);
    if (t->state == TASK_READY)
        readyq_remove(&s->ready, &t->ready);
    else if (t->state == TASK_BLOCKED && t->waiting_on)
        waitq_remove(s, t->waiting_on, t);
    t->waiting_on = NULL;
    t->timer_token = 0;
    t->exit_status = status;
    t->state = TASK_EXITED;
    adopt_errors(s, t);
    if (!t->daemon && !t->detached)
        s->live_count--;
    /* Its stack is kept until it is reaped: children may still point into it. */
    struct trace_event e = {s->step, s->vtime_ns, pid, TRACE_OP_KILLED, WAITQ_WAKE_NONE,
                            0, s->current ? s->current->pid : 0, status};
    trace_emit(s->trace, &e);
    if (s->hooks.on_exit)
        s->hooks.on_exit(pid, status);
}

void sched_reaped(struct sched *s, uint32_t pid)
{
    struct task *t = sched_task(s, pid);
    if (!t)
        return;
    ASSERT(t->state == TASK_EXITED && t != s->current);
    coro_release(&t->coro);
    if (!t->mutexes_held)
        idarray_release(&s->tasks, pid);
}

void sched_detach(struct sched *s, uint32_t pid)
{
    struct task *t = sched_task(s, pid);
    if (!t || t->daemon || t->detached || t->state == TASK_EXITED)
        return;
    t->detached = 1;
    s->live_count--;
}

void sched_interrupt(struct sched *s, uint32_t pid)
{
    struct task *t = sched_task(s, pid);
    if (!t || t->state != TASK_BLOCKED)
        return;
    wake_task(s, t, WAITQ_WAKE_SIGNAL);
    sched_emit(TRACE_OP_WAKE, 0, pid, 0, WAITQ_WAKE_SIGNAL);
}

/* ---- the task side of a switch ------------------------------------------------------ */

void sched_point(void)
{
    struct sched *s = sched_active;
    struct task *t = s->current;
    ready_push(s, t); /* which asserts that it was running */
    coro_switch(&t->coro, &s->main_coro);
    if (s->hooks.on_resume)
        s->hooks.on_resume(t->pid);
}

static enum waitq_wake block(struct waitq *wq, enum trace_op op, int64_t arg,
                             uint64_t timeout_ns, int interruptible);

enum waitq_wake sched_block(struct waitq *wq, enum trace_op op, int64_t arg,
                            uint64_t timeout_ns)
{
    return block(wq, op, arg, timeout_ns, 1);
}

void sched_sleep_uninterruptible(uint64_t ns)
{
    if (ns)
        block(NULL, TRACE_OP_SLEEP, (int64_t)ns, ns, 0);
}

static enum waitq_wake block(struct waitq *wq, enum trace_op op, int64_t arg,
                             uint64_t timeout_ns, int interruptible)
{
    struct sched *s = sched_active;
    struct task *t = s->current;
    ASSERT(t && t->state == TASK_RUNNING);
    ASSERT(wq || timeout_ns); /* with neither, nothing could ever wake it */
    if (interruptible && s->hooks.interrupted && s->hooks.interrupted(t->pid))
        return WAITQ_WAKE_SIGNAL; /* a caught signal is pending: do not park */
    t->state = TASK_BLOCKED;
    t->waiting_on = wq;
    t->blocked_op = op;
    t->blocked_arg = arg;
    t->blocked_since_step = s->step;
    t->blocked_since_vtime = s->vtime_ns;
    t->wake_reason = WAITQ_WAKE_NONE;
    if (wq)
        waitq_append(s, wq, t);
    if (timeout_ns) {
        uint64_t deadline = s->vtime_ns + timeout_ns;
        if (deadline < s->vtime_ns)
            deadline = UINT64_MAX; /* saturate: effectively never */
        if (timer_arm(s, t, deadline) != 0)
            sched_stop(SCHED_OUTCOME_CRASH, "out of memory arming a timer");
    }
    sched_emit(op, wq ? wq->id : 0, arg, TRACE_RESULT_BLOCKED, WAITQ_WAKE_NONE);
    coro_switch(&t->coro, &s->main_coro);
    if (s->hooks.on_resume)
        s->hooks.on_resume(t->pid);
    return t->wake_reason;
}

void sched_exit_current(int status)
{
    struct sched *s = sched_active;
    struct task *t = s->current;
    ASSERT(t && t->state == TASK_RUNNING);
    t->exit_status = status;
    sched_emit(TRACE_OP_EXIT, 0, status, 0, WAITQ_WAKE_NONE);
    if (s->hooks.on_exit)
        s->hooks.on_exit(t->pid, status);
    t->state = TASK_EXITED;
    adopt_errors(s, t);
    if (!t->daemon && !t->detached)
        s->live_count--;
    coro_switch_final(&t->coro, &s->main_coro);
    abort();
}

void sched_stop(enum sched_outcome outcome, const char *message)
{
    sched_stop_keyed(outcome, message, NULL);
}

void sched_stop_keyed(enum sched_outcome outcome, const char *message, const char *key)
{
    struct sched *s = sched_active;
    struct task *t = s->current;
    if (!s->stopping) { /* the first reason to stop is the one reported */
        s->stopping = 1;
        s->stop_outcome = outcome;
        text_printf(&s->stop_message, "%s", message);
        if (key)
            text_printf(&s->stop_key, "%s", key);
    }
    t->state = TASK_BLOCKED; /* frozen where it failed; never resumed */
    coro_switch(&t->coro, &s->main_coro);
    abort();
}

uint32_t sched_object_add(struct sched *s, void *object)
{
    if (grow32(&s->objects, &s->object_capacity, s->object_count, sizeof s->objects[0]) != 0)
        return 0;
    s->objects[s->object_count++] = object;
    return s->object_count;
}

/* ---- the loop ----------------------------------------------------------------------- */

/* POS: the ready tasks whose next step conflicts with the one that ran get fresh
 * priorities (the task that ran got one as it went back to the queue). */
static void pos_after_step(struct sched *s, struct task *t)
{
    struct readyq *q = &s->ready;
    ASSERT(s->last_access_valid);
    for (struct readyq_node *n = q->count ? readyq_first(q) : NULL; n; n = readyq_next(q, n)) {
        struct task *u = sched_task_of(n);
        struct sched_access next;
        if (u == t || sched_task_access(s, u->pid, &next) != 0)
            continue;
        if (sched_access_conflict(&s->last_access, &next))
            readyq_set_priority(q, n, fresh_priority(s));
    }
}

static void pct_after_step(struct sched *s, struct task *t)
{
    ASSERT(s->pct_change_count < SCHED_PCT_DEPTH_MAX);
    for (uint32_t i = 0; i < s->pct_change_count; i++)
        if (s->pct_change_points[i] == s->step) /* below every initial priority */
            readyq_set_priority(&s->ready, &t->ready, i + 1);
}

/* No task is ready: jumps the clock to the next live timer and returns 0, or ends
 * the run and returns 1: pass when every task has exited, a deadlock when tasks are
 * blocked with no timer to wake them, the budget when the next timer is past it
 * (*outcome set, the hang report written). */
static int idle(struct sched *s, enum sched_outcome *outcome, struct text *report,
                struct text *key)
{
    ASSERT(s->ready.count == 0);
    drop_stale_timers(s);
    if (s->timer_count > 0) {
        uint64_t next = s->timers[0].deadline_ns;
        ASSERT(next > s->vtime_ns); /* fire_due_timers took the due ones */
        if (next <= s->options.max_vtime_ns) {
            s->vtime_ns = next; /* nothing to do until then: jump */
            return 0;
        }
        char limit[32], at[32], why[160];
        snprintf(why, sizeof why,
                 "the virtual-time budget of %s ran out: the next timer is due at %s",
                 trace_format_duration(s->options.max_vtime_ns, limit),
                 trace_format_duration(next, at));
        *outcome = SCHED_OUTCOME_HANG_BUDGET;
        sched_hang_report(s, *outcome, why, report, key);
        return 1;
    }
    *outcome = s->live_count == 0 ? SCHED_OUTCOME_PASS : SCHED_OUTCOME_HANG_DEADLOCK;
    if (*outcome == SCHED_OUTCOME_HANG_DEADLOCK)
        sched_hang_report(s, *outcome, NULL, report, key);
    return 1;
}

/* Whether the step or the virtual-time budget is spent; if so, writes the hang
 * report saying which. */
static int over_budget(struct sched *s, struct text *report, struct text *key)
{
    if (s->step < s->options.max_steps && s->vtime_ns <= s->options.max_vtime_ns)
        return 0;
    char limit[32], why[160];
    if (s->step >= s->options.max_steps)
        snprintf(why, sizeof why, "the step budget of %" PRIu64 " steps ran out",
                 s->options.max_steps);
    else
        snprintf(why, sizeof why, "the virtual-time budget of %s ran out",
                 trace_format_duration(s->options.max_vtime_ns, limit));
    sched_hang_report(s, SCHED_OUTCOME_HANG_BUDGET, why, report, key);
    return 1;
}

/* One step: the strategy picks a ready task, which runs until its next scheduling
 * point (back to the ready queue, blocked, or exited); then PCT's change points,
 * the after-step hook and the harness's own memory are seen to. */
static void step(struct sched *s)
{
    struct task *t = ready_take_pick(s);
    if (s->options.track_access) {
        sched_task_access(s, t->pid, &s->last_access);
        s->last_access_valid = 1;
    }
    s->step++;
    s->vtime_ns += s->options.step_ns;
    s->current = t;
    t->state = TASK_RUNNING;
    coro_switch(&s->main_coro, &t->coro);
    s->current = NULL;
    ASSERT(t->state != TASK_RUNNING); /* it yielded, blocked, stopped or exited */
    if (t->state == TASK_EXITED) {
        coro_release(&t->coro);
        if (s->options.track_access) /* its teardown touched what it held */
            s->last_access.kind = SCHED_OBJECT_WORLD;
    }
    s->last_pid = t->pid;
    if (s->options.strategy.kind == SCHED_PCT && s->pct_change_count)
        pct_after_step(s, t);
    else if (s->options.strategy.kind == SCHED_POS && !s->stopping)
        pos_after_step(s, t);
    if (s->hooks.after_step && !s->stopping)
        s->hooks.after_step(s);
    if (s->out_of_memory && !s->stopping) {
        s->stopping = 1;
        s->stop_outcome = SCHED_OUTCOME_CRASH;
        text_printf(&s->stop_message, "the harness ran out of memory");
    }
}

enum sched_outcome sched_run(struct sched *s, struct text *report, struct text *key)
{
    ASSERT(s->current == NULL);
    struct sched *previous = sched_active;
    sched_active = s;
    enum sched_outcome outcome = SCHED_OUTCOME_PASS;
    for (;;) {
        if (s->stopping) {
            outcome = s->stop_outcome;
            text_printf(report, "%s\n", text_str(&s->stop_message));
            text_printf(key, "%s", text_str(&s->stop_key));
            break;
        }
        fire_due_timers(s);
        if (s->ready.count == 0) {
            if (idle(s, &outcome, report, key))
                break;
            continue;
        }
        if (over_budget(s, report, key)) {
            outcome = SCHED_OUTCOME_HANG_BUDGET;
            break;
        }
        step(s);
    }
    sched_active = previous;
    return outcome;
}

void sched_destroy(struct sched *s)
{
    if (!s)
        return;
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        struct task *t = sched_task(s, pid);
        if (t)
            coro_release(&t->coro);
    }
    for (uint32_t i = 0; i < s->object_count; i++)
        free(s->objects[i]);
    idarray_free(&s->tasks);
    readyq_free(&s->ready);
    free(s->timers);
    free(s->objects);
    free(s->decision_pids);
    text_free(&s->stop_message);
    text_free(&s->stop_key);
    free(s);
}
