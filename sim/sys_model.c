/* sys_model — the glue between the scheduler and the models; see sys_int.h.
 *
 * The models are pure state machines (model/world.h) and the scheduler knows
 * nothing of them. This file is where the two meet: the bracket every model call
 * goes through, the loop that parks a task while a model call says "would block",
 * deadlines, the hooks the scheduler calls (resume, exit, interrupted, after each
 * step, the hang report's world summary) and the boot of init and the root task. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "sys.h"
#include "sys_int.h"
#include "util/assert.h"

/* ---- the model bracket -------------------------------------------------------------- */

/* Puts in force the slot faults whose step has come, before the model call sees
 * the tables; the trace says so in a note (not hashed). */
static void apply_slot_faults(struct sched *s, struct world *w)
{
    struct text notes = {0};
    if (world_slot_faults_apply(w, s->trace->out ? &notes : NULL) && notes.length)
        trace_note(s->trace, s->step, s->vtime_ns, w->current, text_str(&notes));
    text_free(&notes);
}

/* Writes the faults the model call fired to the trace, before what they caused. */
static void emit_fired_faults(struct sched *s, struct world *w)
{
    struct fault_fired fired[FAULT_PENDING_MAX];
    uint32_t n = fault_plan_take_pending(w->faults, fired, FAULT_PENDING_MAX);
    for (uint32_t i = 0; i < n; i++) {
        struct trace_event e = {fired[i].step, s->vtime_ns, fired[i].pid, TRACE_OP_FAULT,
                                WAITQ_WAKE_NONE, 0, fired[i].point,
                                fault_points[fired[i].point].error};
        trace_emit(s->trace, &e);
    }
}

struct world *sys_model_begin(void)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    ASSERT(!s->model_call_open);
    s->model_call_open = 1;
    w->step = s->step;
    w->current = s->current ? s->current->pid : 0;
    w->block_on = NULL;
    if (w->slot_faults_pending)
        apply_slot_faults(s, w);
    return w;
}

void sys_model_end(void)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    ASSERT(s->model_call_open);
    s->model_call_open = 0;
    if (w->faults && w->faults->pending_count)
        emit_fired_faults(s, w);
    /* Wakes run in the order the model queued them: deterministic. */
    for (uint32_t i = 0; i < w->wake_count; i++)
        if (w->wakes[i].queue)
            waitq_wake_all(w->wakes[i].queue, w->wakes[i].reason);
        else
            sched_interrupt(s, w->wakes[i].pid); /* no-op unless it is blocked */
    w->wake_count = 0;
    while (w->console_notes) {
        uint32_t line = (w->console_count - w->console_notes) % CONSOLE_LINES_MAX;
        trace_note(s->trace, s->step, s->vtime_ns, w->current, w->console[line]);
        w->console_notes--;
    }
    if (w->out_of_memory || w->heap.failed)
        s->out_of_memory = 1;
}

/* ---- blocking --------------------------------------------------------------------- */

uint64_t sys_deadline_after(uint64_t timeout_ns)
{
    if (!timeout_ns)
        return 0;
    uint64_t now = sched_active->vtime_ns;
    return now + timeout_ns < now ? UINT64_MAX : now + timeout_ns;
}

/* Parks the caller on the queue the model call named (w->block_on) until woken or
 * until deadline_ns (0: none); the process model sees it blocked meanwhile (the one
 * model state the bracket itself keeps in step with the scheduler). Returns the wake
 * reason. */
static enum waitq_wake model_block(enum trace_op op, int64_t arg, uint64_t deadline_ns)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    uint64_t timeout = 0;
    if (deadline_ns) {
        if (deadline_ns <= s->vtime_ns)
            return WAITQ_WAKE_TIMEOUT;
        timeout = deadline_ns - s->vtime_ns;
    }
    ASSERT(w->block_on != NULL); /* a model that would block names the queue */
    struct proc *p = proc_get(w, s->current->pid);
    ASSERT(p && p->state == PROC_RUNNABLE);
    p->state = PROC_BLOCKED;
    enum waitq_wake wake = sched_block(w->block_on, op, arg, timeout);
    p->state = PROC_RUNNABLE;
    return wake;
}

int sys_blocking_call(enum trace_op op, int64_t arg, uint64_t deadline_ns,
                      enum sys_restart restart, enum waitq_wake *wake, sys_model_call_fn call,
                      void *context)
{
    ASSERT(call != NULL && (restart == SYS_CALL_EINTR || restart == SYS_CALL_RESTARTABLE));
    *wake = WAITQ_WAKE_NONE;
    uint32_t pid = sched_active->current->pid;
    for (int first = 1;; first = 0) {
        struct world *w = sys_model_begin();
        uint32_t interrupting = 0, restarting = 0;
        /* Handlers that ran before the call began do not interrupt it. */
        if (first && w->signals_sent)
            proc_signals_take_interrupting(w, pid);
        int rc = call(w, pid, context);
        int blocks = rc == MODEL_WOULD_BLOCK || rc == MODEL_WOULD_BLOCK_PARTIAL;
        if (rc == MODEL_WOULD_BLOCK_PARTIAL)
            restart = SYS_CALL_EINTR; /* it returns what it did instead */
        if (blocks && w->signals_sent) {
            interrupting = proc_signals_take_interrupting(w, pid);
            restarting = proc_get(w, pid)->signals_restart;
            if (interrupting && restart == SYS_CALL_RESTARTABLE && !(interrupting & ~restarting))
                proc_signals_note_restart(w, pid);
        }
        sys_model_end();
        if (!blocks)
            return rc;
        if (interrupting && (restart == SYS_CALL_EINTR || (interrupting & ~restarting)))
            return -EINTR;
        *wake = model_block(op, arg, deadline_ns);
        if (*wake == WAITQ_WAKE_TIMEOUT)
            return -ETIMEDOUT;
    }
}

/* ---- hooks -------------------------------------------------------------------------- */

uint32_t sys_signals_deliver(void)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    if (__builtin_expect(w->signals_sent == 0, 1)) /* every step, and nearly always none */
        return 0;
    ASSERT(s->current != NULL); /* a return to user code is a task's */
    uint32_t pid = s->current->pid;
    sys_model_begin();
    uint32_t fatal = proc_signal_take_fatal(w, pid);
    uint32_t delivered = fatal ? 0 : proc_signals_deliver(w, pid);
    sys_model_end();
    if (fatal)
        sched_exit_current(SYS_W_TERMSIG((int)fatal));
    if (delivered)
        sched_emit(TRACE_OP_SIGNAL, 0, delivered, 0, WAITQ_WAKE_NONE);
    return delivered;
}

void sys_on_resume(uint32_t pid)
{
    (void)pid; /* the current task's */
    sys_signals_deliver();
}

/* The teardown of pid needs exit_bytes of heap before it can release any (004:
 * "unless its teardown needs memory and hits a second OOM"). Returns 0, or -ENOMEM
 * after ending the run with a panic. */
static int teardown_memory(struct sched *s, struct world *w, uint32_t pid)
{
    uint64_t teardown = w->exit_bytes;
    if (!teardown)
        return 0;
    sys_model_begin();
    enum heap_oom_action action;
    int64_t block = heap_alloc(&w->heap, teardown, "teardown", 0, s->step, 0, &action);
    if (block > 0)
        heap_free(&w->heap, (uint32_t)block);
    sys_model_end();
    if (block >= 0)
        return 0;
    char message[160];
    snprintf(message, sizeof message,
             "[KERNEL OOM] the teardown of pid %" PRIu32 " needed %" PRIu64
             " bytes and hit a second OOM: system halted",
             pid, teardown);
    sched_fail(s, SCHED_OUTCOME_PANIC, message);
    return -ENOMEM;
}

void sys_on_exit(uint32_t pid, int status)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    teardown_memory(s, w, pid); /* a failure halts the run; the teardown still runs */
    sys_model_begin();
    proc_exit(w, pid, status);
    sys_model_end();
}

int sys_interrupted(uint32_t pid)
{
    (void)pid; /* the current task's */
    return sys_signals_deliver() != 0;
}

int sys_after_step(struct sched *s)
{
    struct world *w = s->world;
    if (!w->check_every_step)
        return 0;
    struct text broken = {0};
    int rc = world_check(w, &broken);
    if (rc == -ENOMEM || broken.failed)
        s->out_of_memory = 1; /* the harness's memory: the run ends without an outcome */
    else if (rc != 0) {
        struct text message = {0};
        text_printf(&message, "INVARIANT broken after step %" PRIu64 ":\n%s", s->step,
                    text_str(&broken));
        sched_fail(s, SCHED_OUTCOME_INVARIANT, text_str(&message));
        text_free(&message);
    }
    text_free(&broken);
    return 0;
}

/* What became of the latest signal of each blocked process: a hang that involves a
 * signal says whether it was pending, handled (and when: a handler that ran before
 * a call began does not interrupt it) or ignored. */
static void describe_signals(struct sched *s, const struct world *w, struct text *out)
{
    int header = 0;
    for (uint32_t pid = 1; pid <= s->task_count; pid++) {
        const struct task *t = sched_task(s, pid);
        const struct proc *p = proc_get(w, pid);
        if (t->state != TASK_BLOCKED || t->daemon || !p || !p->last_signal)
            continue;
        if (!header)
            text_printf(out, "Signals:\n");
        header = 1;
        char name[16];
        uint64_t at = p->last_signal_step;
        text_printf(out, "  pid %" PRIu32 " \"%s\": %s ", pid, p->name,
                    proc_signal_name(p->last_signal, name));
        switch ((enum proc_signal_fate)p->last_signal_fate) {
        case SIGNAL_FATE_PENDING:
            text_printf(out, "pending since step %" PRIu64 ", not delivered yet\n", at);
            break;
        case SIGNAL_FATE_HANDLED:
            text_printf(out, "caught: its handler ran at step %" PRIu64 ", before the %s it is "
                             "blocked in began, so it does not interrupt it\n",
                        at, trace_op_name(t->blocked_op));
            break;
        case SIGNAL_FATE_RESTARTED:
            text_printf(out, "caught with SA_RESTART: its handler ran at step %" PRIu64
                             " while it waited, and the %s restarted\n",
                        at, trace_op_name(t->blocked_op));
            break;
        case SIGNAL_FATE_IGNORED:
            text_printf(out, "ignored (SIG_IGN): discarded at step %" PRIu64 "\n", at);
            break;
        }
    }
}

/* The kernel console's last lines, a repeated line counted. */
static void describe_console(const struct world *w, struct text *out)
{
    if (!w->console_count)
        return;
    text_printf(out, "Kernel console (last lines):\n");
    uint32_t first = w->console_count > CONSOLE_LINES_MAX ? w->console_count - CONSOLE_LINES_MAX : 0;
    for (uint32_t i = first; i < w->console_count; i++) {
        uint32_t slot = i % CONSOLE_LINES_MAX;
        text_printf(out, "  %s", w->console[slot]);
        if (w->console_repeats[slot] > 1)
            text_printf(out, "  (x%" PRIu32 ")", w->console_repeats[slot]);
        text_printf(out, "\n");
    }
}

void sys_describe_world(struct text *out)
{
    struct world *w = sys_world();
    uint32_t procs = w->procs_live, zombies = 0;
    for (uint32_t i = 0; i < w->max_procs; i++)
        zombies += w->procs[i].state == PROC_ZOMBIE;
    text_printf(out,
                "\nResources: channel slots %" PRIu32 "/%" PRIu32 ", process slots %" PRIu32
                "/%" PRIu32 " (%" PRIu32 " zombies), ports %" PRIu32 "/%" PRIu32
                ", heap %" PRIu64 "/%" PRIu64 " bytes\n",
                w->channels_live, w->max_channels, procs, w->max_procs, zombies, w->ports_live,
                w->max_ports, w->heap.used_bytes, w->heap.capacity_bytes);
    /* A table that filled up and drained again still explains a hang: a failure
     * swallowed while it was full outlives the exhaustion. */
    if (w->channels_peak > w->channels_live && w->channels_peak * 4 >= w->max_channels * 3)
        text_printf(out, "Channel table peak: %" PRIu32 "/%" PRIu32 " slots at step %" PRIu64 "%s\n",
                    w->channels_peak, w->max_channels, w->channels_peak_step,
                    w->channels_peak >= w->max_channels ? " (full)" : "");
    if (w->channel_ceiling < w->max_channels || w->proc_ceiling < w->max_procs ||
        w->handle_free_max != UINT32_MAX)
        text_printf(out, "Slot faults in force: %" PRIu32 " channel slots and %" PRIu32
                         " process slots usable%s\n",
                    w->channel_ceiling, w->proc_ceiling,
                    w->handle_free_max != UINT32_MAX ? ", handle tables capped" : "");
    if (w->signals_sent)
        describe_signals(sched_active, w, out);
    describe_console(w, out);
}

/* ---- init and boot ------------------------------------------------------------------ */

/* pid 1: adopts orphans and reaps them, forever; with init_reaps=false, a
 * container init that never waits: it blocks for good, and its zombies pile up. */
static void init_main(void *unused)
{
    (void)unused;
    if (!sys_param("init_reaps")) {
        int never = sys_sem_create("init never reaps", 0);
        for (;;)
            sys_sem_wait((uint32_t)never);
    }
    for (;;) {
        int status;
        sys_wait(0, &status);
    }
}

/* Creates process pid of the model (a child of parent) and its task. Returns 0, or
 * -ENOMEM (the model refused: the heap cannot hold it; or the harness is out of
 * memory). */
static int boot_process(struct sched *s, uint32_t pid, uint32_t parent, const char *name,
                        void (*fn)(void *), int daemon)
{
    struct world *w = sys_model_begin();
    int got = proc_spawn(w, parent, name, SPAWN_FORK, NULL, 0, 0);
    if (got == (int)pid && daemon)
        proc_make_daemon(w, pid);
    sys_model_end();
    if (got != (int)pid)
        return -ENOMEM;
    if (sched_spawn(s, pid, name, fn, NULL, parent, daemon) != 0) {
        w->out_of_memory = 1; /* the harness's memory: not a panic of the model */
        return -ENOMEM;
    }
    return 0;
}

int sys_boot(struct sched *s, void (*root)(void *), const char *root_name)
{
    ASSERT(root != NULL && s->task_count == 0);
    struct sched *previous = sched_activate(s);
    int rc = boot_process(s, 1, 0, "init", init_main, 1);
    if (rc == 0)
        rc = boot_process(s, 2, 1, root_name, root, 0);
    sched_activate(previous);
    return rc;
}
