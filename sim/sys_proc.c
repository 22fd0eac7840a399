/* sys_proc — processes over the process model: spawn, exit, wait, signals, groups,
 * handles. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sys.h"
#include "sys_int.h"
#include "linux/linux_sys.h"

/* ---- processes ---------------------------------------------------------------------- */

int sys_spawn_with(const char *name, void (*fn)(void *), void *arg,
                   const struct sys_spawn_options *options)
{
    SYS_ON_LINUX(linux_sys_spawn_with(name, fn, arg, options));
    sched_point_call(TRACE_OP_SPAWN, 0, 0);
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
        proc_exit(w, (uint32_t)pid, SYS_W_TERMSIG(SIG_KILL));
        sys_model_end();
        s->out_of_memory = 1;
        pid = -ENOMEM;
    }
    sched_emit(TRACE_OP_SPAWN, 0, options->mode, pid, WAITQ_WAKE_NONE);
    return pid;
}

int sys_spawn(const char *name, void (*fn)(void *), void *arg)
{
    return sys_spawn_with(name, fn, arg, NULL);
}

void sys_exit(int status)
{
    if (__builtin_expect(sys_on_linux != 0, 0))
        linux_sys_exit(status);
    sched_point_call(TRACE_OP_EXIT, (uint64_t)status, 0);
    sched_exit_current(SYS_W_EXITCODE(status));
}

struct wait_call {
    uint32_t pid;
    int *status;
};

static int wait_call(struct world *w, uint32_t caller, void *context)
{
    struct wait_call *c = context;
    return proc_wait(w, caller, c->pid, c->status);
}

int sys_wait_timeout(uint32_t pid, int *status, uint64_t timeout_ns)
{
    SYS_ON_LINUX(linux_sys_wait_timeout(pid, status, timeout_ns));
    sched_point_call(TRACE_OP_WAIT, pid, timeout_ns);
    int ignored;
    struct wait_call call = {pid, status ? status : &ignored};
    enum waitq_wake wake;
    int rc = sys_blocking_call(TRACE_OP_WAIT, pid, sys_deadline_after(timeout_ns),
                               SYS_CALL_RESTARTABLE, &wake, wait_call, &call);
    if (rc > 0)
        sched_reaped(sched_active, (uint32_t)rc); /* its task record goes with it */
    sched_emit(TRACE_OP_WAIT, 0, pid, rc, wake);
    return rc;
}

int sys_wait(uint32_t pid, int *status)
{
    return sys_wait_timeout(pid, status, 0);
}

/* Sends sig to pid. SIGKILL ends it at once; another pending signal interrupts its
 * blocked call and acts at its next return to user code. A signal to the caller
 * itself is acted on by the caller's sys_* call before it returns. */
static int deliver(uint32_t pid, uint32_t sig)
{
    struct sched *s = sched_active;
    struct world *w = sys_model_begin();
    int rc = proc_signal(w, pid, sig);
    int pending = rc == 0 && proc_signal_is_pending(w, pid, sig);
    sys_model_end();
    if (!pending || pid == s->current->pid)
        return rc;
    if (sig == SIG_KILL)
        sched_kill(s, pid, SYS_W_TERMSIG(SIG_KILL));
    else
        sched_interrupt(s, pid);
    return 0;
}

int sys_kill(uint32_t pid, uint32_t sig)
{
    SYS_ON_LINUX(linux_sys_kill(pid, sig));
    sched_point_call(TRACE_OP_KILL, pid, sig);
    int rc = deliver(pid, sig);
    sched_emit(TRACE_OP_KILL, 0, (int64_t)((uint64_t)pid << 8 | sig), rc, WAITQ_WAKE_NONE);
    sys_signals_deliver(); /* kill(getpid(), sig): the handler runs before kill returns */
    return rc;
}

int sys_signal_catch(uint32_t sig, int action)
{
    SYS_ON_LINUX(linux_sys_signal_catch(sig, action));
    sched_point_call(TRACE_OP_SIGNAL_CATCH, sig, (uint64_t)action);
    int rc = proc_signal_catch(sys_model_begin(), sys_getpid(), sig, action);
    sys_model_end();
    sched_emit(TRACE_OP_SIGNAL_CATCH, 0, sig, rc, WAITQ_WAKE_NONE);
    return rc;
}

int sys_signal_wakeup_fd(int32_t handle)
{
    SYS_ON_LINUX(linux_sys_signal_wakeup_fd(handle));
    sched_point_call(TRACE_OP_SIGNAL_WAKEUP, (uint64_t)(int64_t)handle, 0);
    int rc = proc_signal_wakeup(sys_model_begin(), sys_getpid(), handle);
    sys_model_end();
    sched_emit(TRACE_OP_SIGNAL_WAKEUP, 0, handle, rc, WAITQ_WAKE_NONE);
    return rc;
}

uint32_t sys_signal_pending(void)
{
    SYS_ON_LINUX(linux_sys_signal_pending());
    sys_signals_deliver();
    uint32_t handled = proc_signals_take_handled(sys_model_begin(), sys_getpid());
    sys_model_end();
    return handled;
}

int sys_set_subreaper(int on)
{
    SYS_ON_LINUX(linux_sys_set_subreaper(on));
    sched_point_call(TRACE_OP_SUBREAPER, (uint64_t)on, 0);
    int rc = proc_set_subreaper(sys_model_begin(), sys_getpid(), on);
    sys_model_end();
    sched_emit(TRACE_OP_SUBREAPER, 0, on, rc, WAITQ_WAKE_NONE);
    return rc;
}

uint32_t sys_getppid(void)
{
    SYS_ON_LINUX(linux_sys_getppid());
    const struct proc *p = proc_get(sys_world(), sys_getpid());
    return p ? p->parent : 0;
}

int sys_detach(void)
{
    SYS_ON_LINUX(linux_sys_detach());
    sched_detach(sched_active, sys_getpid());
    return 0;
}

uint32_t sys_group_create(void)
{
    SYS_ON_LINUX(linux_sys_group_create());
    sched_point_call(TRACE_OP_GROUP_CREATE, 0, 0);
    uint32_t group = proc_group_create(sys_model_begin(), sys_getpid());
    sys_model_end();
    sched_emit(TRACE_OP_GROUP_CREATE, 0, 0, group, WAITQ_WAKE_NONE);
    return group;
}

/* The live members of group (killpg's reach), and with nested set, every process
 * in a group nested in it (cgroup.kill's): whoever their parents are now. */
static uint32_t collect(const struct world *w, uint32_t group, int nested, uint32_t *pids,
                        uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->max_procs && n < max; i++) {
        const struct proc *p = &w->procs[i];
        if (p->state == PROC_FREE || p->state == PROC_ZOMBIE || p->daemon)
            continue;
        if (nested ? proc_in_group_tree(w, p, group) : p->group == group) {
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
    SYS_ON_LINUX(linux_sys_group_kill(group, sig));
    sched_point_call(TRACE_OP_GROUP_KILL, group, sig);
    int rc = group == 0 ? -EINVAL : signal_all(group, sig, 0);
    sched_emit(TRACE_OP_GROUP_KILL, 0, (int64_t)((uint64_t)group << 8 | sig), rc,
               WAITQ_WAKE_NONE);
    sys_signals_deliver(); /* the caller may be a member */
    return rc;
}

int sys_group_drop(uint32_t group)
{
    SYS_ON_LINUX(linux_sys_group_drop(group));
    sched_point_call(TRACE_OP_GROUP_DROP, group, 0);
    int rc = group == 0 ? -EINVAL : signal_all(group, SIG_KILL, 1);
    sched_emit(TRACE_OP_GROUP_DROP, 0, group, rc, WAITQ_WAKE_NONE);
    sys_signals_deliver(); /* the caller may be a member */
    return rc;
}

int sys_group_shutdown(uint32_t group, uint64_t grace_ns)
{
    SYS_ON_LINUX(linux_sys_group_shutdown(group, grace_ns));
    sched_point_call(TRACE_OP_GROUP_SHUTDOWN, group, grace_ns);
    struct world *w = sys_world();
    uint32_t self = sys_getpid();
    int members = signal_all(group, SIG_INT, 0);
    /* Poll with doubling pauses: a few steps, however long the grace. Nothing is
     * allocated across the sleeps: the caller may die in one. */
    uint64_t deadline = sys_deadline_after(grace_ns), pause = SYS_NS_PER_MS;
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
    sched_emit(TRACE_OP_GROUP_SHUTDOWN, 0, group, survivors, WAITQ_WAKE_NONE);
    if (caller_inside)
        deliver(self, SIG_KILL);
    sys_signals_deliver(); /* the caller may be a member */
    return (int)survivors;
}

/* ---- handles ------------------------------------------------------------------------ */

uint32_t sys_handle_count(void)
{
    SYS_ON_LINUX(linux_sys_handle_count());
    struct proc *p = proc_get(sys_world(), sys_getpid());
    return p ? p->handle_count : 0;
}

int sys_close(uint32_t handle)
{
    SYS_ON_LINUX(linux_sys_close(handle));
    sched_point_call(TRACE_OP_CLOSE, handle, 0);
    int rc = proc_close_handle(sys_model_begin(), sys_getpid(), handle);
    sys_model_end();
    sched_emit(TRACE_OP_CLOSE, 0, handle, rc, WAITQ_WAKE_NONE);
    return rc;
}

int sys_closerange(uint32_t low, uint32_t high)
{
    SYS_ON_LINUX(linux_sys_closerange(low, high));
    sched_point_call(TRACE_OP_CLOSERANGE, low, high);
    int rc = proc_closerange(sys_model_begin(), sys_getpid(), low, high);
    sys_model_end();
    sched_emit(TRACE_OP_CLOSERANGE, 0, (int64_t)((uint64_t)low << 32 | high), rc,
               WAITQ_WAKE_NONE);
    return rc;
}

int sys_set_cloexec(uint32_t handle, int on)
{
    SYS_ON_LINUX(linux_sys_set_cloexec(handle, on));
    sched_point_call(TRACE_OP_SET_CLOEXEC, handle, (uint64_t)on);
    int rc = proc_set_cloexec(sys_model_begin(), sys_getpid(), handle, on);
    sys_model_end();
    sched_emit(TRACE_OP_SET_CLOEXEC, 0, handle, rc, WAITQ_WAKE_NONE);
    return rc;
}
