/* sys_proc — processes over the process model: spawn, exit, wait, signals, groups,
 * handles; and the glue that keeps the model and the scheduler in step. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sys.h"
#include "sys_int.h"

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
                                TRACE_WAKE_NONE, 0, fired[i].point,
                                fault_points[fired[i].point].error};
        trace_emit(s->trace, &e);
    }
}

void sys_model_begin(void)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    w->step = s->step;
    w->current = s->current ? s->current->pid : 0;
    w->block_on = NULL;
    if (w->slot_faults_pending)
        apply_slot_faults(s, w);
}

void sys_model_end(void)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    if (w->faults && w->faults->pending_count)
        emit_fired_faults(s, w);
    /* Wakes run in the order the model queued them: deterministic. */
    for (uint32_t i = 0; i < w->wake_count; i++)
        waitq_wake_all(w->wakes[i].queue, w->wakes[i].reason);
    w->wake_count = 0;
    while (w->console_notes) {
        uint32_t line = (w->console_count - w->console_notes) % CONSOLE_LINES_MAX;
        trace_note(s->trace, s->step, s->vtime_ns, w->current, w->console[line]);
        w->console_notes--;
    }
    if (w->out_of_memory || w->heap.failed)
        s->out_of_memory = 1;
}

enum trace_wake sys_model_block(enum trace_op op, int64_t arg, uint64_t deadline_ns)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    uint64_t timeout = 0;
    if (deadline_ns) {
        if (deadline_ns <= s->vtime_ns)
            return TRACE_WAKE_TIMEOUT;
        timeout = deadline_ns - s->vtime_ns;
    }
    struct proc *p = proc_get(w, s->current->pid);
    p->state = PROC_BLOCKED;
    enum trace_wake wake = sched_block(w->block_on, op, arg, timeout);
    p->state = PROC_RUNNABLE;
    return wake;
}

static uint64_t deadline_after(uint64_t timeout_ns)
{
    if (!timeout_ns)
        return 0;
    uint64_t now = sched_active->vtime_ns;
    return now + timeout_ns < now ? UINT64_MAX : now + timeout_ns;
}

/* ---- hooks -------------------------------------------------------------------------- */

void sys_on_resume(uint32_t pid)
{
    struct world *w = sys_world();
    if (!w->signals_sent)
        return; /* the common case, on every step: nothing to deliver */
    struct proc *p = proc_get(w, pid);
    if (!p)
        return;
    /* A signal with no handler terminates at the next scheduling point. */
    uint32_t fatal = p->signals_pending & ~p->signals_caught &
                     ((1u << SIG_INT) | (1u << SIG_TERM) | (1u << SIG_KILL));
    if (!fatal)
        return;
    uint32_t sig = fatal & (1u << SIG_KILL) ? SIG_KILL : fatal & (1u << SIG_INT) ? SIG_INT : SIG_TERM;
    p->signals_pending &= ~fatal;
    sched_exit_current(128 + (int)sig);
}

void sys_on_exit(uint32_t pid, int status)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    uint64_t teardown = w->exit_bytes;
    if (teardown) {
        /* The teardown needs memory before it can release any (004: "unless its
         * teardown needs memory and hits a second OOM"). */
        sys_model_begin();
        enum heap_oom_action action;
        int64_t block = heap_alloc(&w->heap, teardown, "teardown", 0, s->step, 0, &action);
        if (block > 0)
            heap_free(&w->heap, (uint32_t)block);
        sys_model_end();
        if (block < 0) {
            char message[160];
            snprintf(message, sizeof message,
                     "[KERNEL OOM] the teardown of pid %" PRIu32 " needed %" PRIu64
                     " bytes and hit a second OOM: system halted",
                     pid, teardown);
            sched_fail(s, SCHED_OUTCOME_PANIC, message);
        }
    }
    sys_model_begin();
    proc_exit(w, pid, status);
    sys_model_end();
}

int sys_interrupted(uint32_t pid)
{
    const struct proc *p = proc_get(sys_world(), pid);
    return p && (p->signals_pending & p->signals_caught) != 0;
}

int sys_after_step(struct sched *s)
{
    struct world *w = s->world;
    if (!w->check_every_step)
        return 0;
    struct text broken = {0};
    if (world_check(w, &broken) != 0) {
        struct text message = {0};
        text_printf(&message, "INVARIANT broken after step %" PRIu64 ":\n%s", s->step,
                    text_str(&broken));
        sched_fail(s, SCHED_OUTCOME_INVARIANT, text_str(&message));
        text_free(&message);
    }
    text_free(&broken);
    return 0;
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
    if (w->console_count) {
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
}

/* ---- init and boot ------------------------------------------------------------------ */

/* pid 1: adopts orphans and reaps them, forever. */
static void init_main(void *unused)
{
    (void)unused;
    for (;;) {
        int status;
        sys_wait(0, &status);
    }
}

int sys_boot(struct sched *s, void (*root)(void *), const char *root_name)
{
    struct sched *previous = sched_activate(s);
    struct world *w = s->world;
    int rc = -ENOMEM;
    int init = proc_spawn(w, 0, "init", SPAWN_FORK, NULL, 0, 0);
    if (init != 1)
        goto done;
    proc_get(w, 1)->daemon = 1;
    if (sched_spawn(s, 1, "init", init_main, NULL, 0, 1) != 0)
        goto done;
    int pid = proc_spawn(w, 1, root_name, SPAWN_FORK, NULL, 0, 0);
    if (pid != 2 || sched_spawn(s, 2, root_name, root, NULL, 1, 0) != 0)
        goto done;
    rc = 0;
done:
    sched_activate(previous);
    return rc;
}

/* ---- processes ---------------------------------------------------------------------- */

int sys_spawn_with(const char *name, void (*fn)(void *), void *arg,
                   const struct sys_spawn_options *options)
{
    sched_point();
    struct sched *s = sched_active;
    struct world *w = s->world;
    static const struct sys_spawn_options fork_all = {SPAWN_FORK, NULL, 0, 0};
    if (!options)
        options = &fork_all;
    sys_model_begin();
    int pid = proc_spawn(w, s->current->pid, name, options->mode, options->handles,
                         options->handle_count, options->group);
    sys_model_end();
    if (pid > 0 && sched_spawn(s, (uint32_t)pid, name, fn, arg, s->current->pid, 0) != 0) {
        /* The harness could not make the coroutine: the process never runs. */
        sys_model_begin();
        proc_exit(w, (uint32_t)pid, -ENOMEM);
        sys_model_end();
        s->out_of_memory = 1;
        pid = -ENOMEM;
    }
    sched_emit(TRACE_OP_SPAWN, 0, options->mode, pid, TRACE_WAKE_NONE);
    return pid;
}

int sys_spawn(const char *name, void (*fn)(void *), void *arg)
{
    return sys_spawn_with(name, fn, arg, NULL);
}

void sys_exit(int status)
{
    sched_point();
    sched_exit_current(status);
}

int sys_wait_timeout(uint32_t pid, int *status, uint64_t timeout_ns)
{
    sched_point();
    struct sched *s = sched_active;
    uint64_t deadline = deadline_after(timeout_ns);
    enum trace_wake wake = TRACE_WAKE_NONE;
    int ignored, rc;
    for (;;) {
        sys_model_begin();
        rc = proc_wait(s->world, s->current->pid, pid, status ? status : &ignored);
        struct waitq *queue = s->world->block_on;
        sys_model_end();
        if (rc != MODEL_WOULD_BLOCK)
            break;
        s->world->block_on = queue;
        wake = sys_model_block(TRACE_OP_WAIT, pid, deadline);
        if (wake == TRACE_WAKE_TIMEOUT || wake == TRACE_WAKE_SIGNAL) {
            rc = wake == TRACE_WAKE_TIMEOUT ? -ETIMEDOUT : -EINTR;
            break;
        }
    }
    sched_emit(TRACE_OP_WAIT, 0, pid, rc, wake);
    return rc;
}

int sys_wait(uint32_t pid, int *status)
{
    return sys_wait_timeout(pid, status, 0);
}

/* Delivers sig to pid: SIGKILL ends it at once (or the caller, if it is the caller);
 * SIGINT and SIGTERM interrupt a blocked call and act at its next scheduling point. */
static int deliver(uint32_t pid, uint32_t sig)
{
    struct sched *s = sched_active;
    struct world *w = s->world;
    sys_model_begin();
    int rc = proc_signal(w, pid, sig);
    sys_model_end();
    if (rc != 0)
        return rc;
    if (pid == s->current->pid) {
        if (sig == SIG_KILL)
            sched_exit_current(128 + SIG_KILL);
        return 0; /* acted on at the caller's next scheduling point */
    }
    if (sig == SIG_KILL)
        sched_kill(s, pid, 128 + SIG_KILL);
    else
        sched_interrupt(s, pid);
    return 0;
}

int sys_kill(uint32_t pid, uint32_t sig)
{
    sched_point();
    int rc = deliver(pid, sig);
    sched_emit(TRACE_OP_KILL, 0, (int64_t)((uint64_t)pid << 8 | sig), rc, TRACE_WAKE_NONE);
    return rc;
}

int sys_signal_catch(uint32_t sig, int on)
{
    sched_point();
    struct proc *p = proc_get(sys_world(), sys_getpid());
    int rc = 0;
    if (sig != SIG_INT && sig != SIG_TERM)
        rc = -EINVAL; /* SIGKILL cannot be caught */
    else if (on)
        p->signals_caught |= 1u << sig;
    else
        p->signals_caught &= ~(1u << sig);
    sched_emit(TRACE_OP_SIGNAL_CATCH, 0, sig, rc, TRACE_WAKE_NONE);
    return rc;
}

uint32_t sys_signal_pending(void)
{
    struct proc *p = proc_get(sys_world(), sys_getpid());
    uint32_t pending = p->signals_pending & p->signals_caught;
    p->signals_pending &= ~pending;
    return pending;
}

int sys_detach(void)
{
    sched_detach(sched_active, sys_getpid());
    return 0;
}

uint32_t sys_group_create(void)
{
    sched_point();
    uint32_t group = proc_group_create(sys_world());
    sched_emit(TRACE_OP_GROUP_CREATE, 0, 0, group, TRACE_WAKE_NONE);
    return group;
}

/* The live members of group, and with descendants set, every process below one. */
static uint32_t collect(const struct world *w, uint32_t group, int descendants, uint32_t *pids,
                        uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->max_procs && n < max; i++) {
        const struct proc *p = &w->procs[i];
        if (p->state == PROC_FREE || p->state == PROC_ZOMBIE || p->daemon)
            continue;
        int in = p->group == group;
        /* Walk up the parent chain: a descendant of a member is in too. */
        for (const struct proc *up = p; !in && descendants && up && up->parent > 1;) {
            up = proc_get(w, up->parent);
            in = up && up->group == group && up->state != PROC_ZOMBIE;
        }
        if (in) {
            if (pids)
                pids[n] = p->pid;
            n++;
        }
    }
    return n;
}

static int signal_all(uint32_t group, uint32_t sig, int descendants)
{
    struct world *w = sys_world();
    uint32_t self = sys_getpid();
    uint32_t *pids = calloc(w->max_procs, sizeof *pids);
    if (!pids) {
        sched_active->out_of_memory = 1;
        return -ENOMEM;
    }
    /* Collect first: killing a member reparents its children to init. */
    uint32_t n = collect(w, group, descendants, pids, w->max_procs);
    int caller_inside = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (pids[i] == self)
            caller_inside = 1;
        else
            deliver(pids[i], sig);
    }
    free(pids);
    if (caller_inside)
        deliver(self, sig);
    return (int)n;
}

int sys_group_kill(uint32_t group, uint32_t sig)
{
    sched_point();
    int rc = group == 0 ? -EINVAL : signal_all(group, sig, 0);
    sched_emit(TRACE_OP_GROUP_KILL, 0, (int64_t)((uint64_t)group << 8 | sig), rc,
               TRACE_WAKE_NONE);
    return rc;
}

int sys_group_drop(uint32_t group)
{
    sched_point();
    int rc = group == 0 ? -EINVAL : signal_all(group, SIG_KILL, 1);
    sched_emit(TRACE_OP_GROUP_DROP, 0, group, rc, TRACE_WAKE_NONE);
    return rc;
}

int sys_group_shutdown(uint32_t group, uint64_t grace_ns)
{
    sched_point();
    struct world *w = sys_world();
    uint32_t self = sys_getpid();
    int members = signal_all(group, SIG_INT, 0);
    /* Poll with doubling pauses: a few steps, however long the grace. Nothing is
     * allocated across the sleeps: the caller may die in one. */
    uint64_t deadline = deadline_after(grace_ns), pause = SYS_NS_PER_MS;
    while (members > 0 && collect(w, group, 0, NULL, w->max_procs) > 0 &&
           sched_active->vtime_ns < deadline) {
        uint64_t left = deadline - sched_active->vtime_ns;
        sched_point();
        sched_sleep_uninterruptible(pause < left ? pause : left);
        pause *= 2;
    }
    uint32_t *pids = calloc(w->max_procs, sizeof *pids);
    if (!pids) {
        sched_active->out_of_memory = 1;
        return -ENOMEM;
    }
    uint32_t survivors = collect(w, group, 1, pids, w->max_procs);
    int caller_inside = 0;
    for (uint32_t i = 0; i < survivors; i++) {
        struct proc *p = proc_get(w, pids[i]);
        sys_log("group %" PRIu32 " shutdown: pid %" PRIu32 " \"%s\" outlived the grace period; "
                "SIGKILL",
                group, pids[i], p ? p->name : "?");
        if (pids[i] == self)
            caller_inside = 1;
        else
            deliver(pids[i], SIG_KILL);
    }
    free(pids);
    sched_emit(TRACE_OP_GROUP_SHUTDOWN, 0, group, survivors, TRACE_WAKE_NONE);
    if (caller_inside)
        deliver(self, SIG_KILL);
    return (int)survivors;
}

/* ---- handles ------------------------------------------------------------------------ */

uint32_t sys_handle_count(void)
{
    struct proc *p = proc_get(sys_world(), sys_getpid());
    return p ? p->handle_count : 0;
}

int sys_close(uint32_t handle)
{
    sched_point();
    sys_model_begin();
    int rc = proc_close_handle(sys_world(), sys_getpid(), handle);
    sys_model_end();
    sched_emit(TRACE_OP_CLOSE, 0, handle, rc, TRACE_WAKE_NONE);
    return rc;
}

int sys_closerange(uint32_t low, uint32_t high)
{
    sched_point();
    sys_model_begin();
    uint32_t closed = proc_closerange(sys_world(), sys_getpid(), low, high);
    sys_model_end();
    sched_emit(TRACE_OP_CLOSERANGE, 0, (int64_t)((uint64_t)low << 32 | high), closed,
               TRACE_WAKE_NONE);
    return (int)closed;
}

int sys_set_cloexec(uint32_t handle, int on)
{
    sched_point();
    int rc = proc_set_cloexec(sys_world(), sys_getpid(), handle, on);
    sched_emit(TRACE_OP_SET_CLOEXEC, 0, handle, rc, TRACE_WAKE_NONE);
    return rc;
}
