/* proc — the process lifecycle and handle tables; see world.h.
 *
 * States: RUNNABLE and BLOCKED (mirrored from the scheduler by the sys layer), then
 * ZOMBIE after exit until the parent waits, then the slot is FREE again. pid 1 is
 * init: it adopts orphans and reaps them. Pids grow and are never reused within a
 * run, so a pid in a report names one process only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"
#include "util/assert.h"

struct proc *proc_get(const struct world *w, uint32_t pid)
{
    const uint32_t *at = idarray_get(&w->slot_by_pid, pid); /* gone once reaped */
    if (pid == 0 || !at || !*at)
        return NULL;
    return &w->procs[*at - 1];
}

static int remember_pid(struct world *w, uint32_t pid, uint32_t slot)
{
    uint32_t *at = idarray_put(&w->slot_by_pid, pid);
    if (!at)
        return -ENOMEM;
    *at = slot + 1;
    return 0;
}

/* Takes a reference on what a handle names, for a copy of it. */
static void handle_get(struct world *w, const struct handle *h)
{
    if (h->kind == HANDLE_PORT)
        w->ports[h->object].refs++;
    else
        chan_ref_get(w, h->object, h->kind == HANDLE_ENDPOINT_FD ? REF_FD : REF_HANDLE);
}

static void handle_put(struct world *w, const struct handle *h)
{
    if (h->kind == HANDLE_PORT)
        port_put(w, h->object);
    else
        chan_ref_put(w, h->object, h->kind == HANDLE_ENDPOINT_FD ? REF_FD : REF_HANDLE);
}

/* What a child gets from its parent: handles by mode, and the signal dispositions.
 * A fork keeps every disposition; an exec (SPAWN_FORK_EXEC, and SPAWN_EXPLICIT,
 * which is posix_spawn) resets handlers to the default and keeps what is ignored.
 * Nothing pending is inherited. */
static void inherit_from(struct world *w, struct proc *p, const struct proc *from,
                         enum proc_spawn_mode mode, const uint32_t *handles, uint32_t count)
{
    for (uint32_t i = 0; i < w->max_handles; i++) {
        const struct handle *h = &from->handles[i];
        int inherit = h->kind != HANDLE_FREE &&
                      (mode == SPAWN_FORK || (mode == SPAWN_FORK_EXEC && !h->cloexec));
        if (mode == SPAWN_EXPLICIT) {
            inherit = 0;
            for (uint32_t k = 0; k < count; k++)
                inherit |= handles[k] == i;
        }
        if (!inherit)
            continue;
        p->handles[i] = *h;
        handle_get(w, h);
        p->handle_count++;
    }
    p->signals_ignored = from->signals_ignored;
    if (mode == SPAWN_FORK) {
        p->signals_caught = from->signals_caught;
        p->signals_restart = from->signals_restart;
        p->signal_wakeup = from->signal_wakeup;
    }
}

/* The name of a process's child queue, made when a trace or report asks. */
static void children_name(const struct waitq *wq, char *name)
{
    snprintf(name, WAITQ_NAME_BYTES, "children of pid %" PRIu64, wq->owner_id);
}

int proc_spawn(struct world *w, uint32_t parent, const char *name, enum proc_spawn_mode mode,
               const uint32_t *handles, uint32_t count, uint32_t group)
{
    const struct proc *from = proc_get(w, parent);
    ASSERT(mode == SPAWN_FORK || mode == SPAWN_FORK_EXEC || mode == SPAWN_EXPLICIT);
    if (mode == SPAWN_EXPLICIT)
        for (uint32_t i = 0; i < count; i++)
            if (!from || handles[i] >= w->max_handles ||
                from->handles[handles[i]].kind == HANDLE_FREE)
                return -EBADF;
    uint32_t slot = 0;
    while (slot < w->max_procs && w->procs[slot].state != PROC_FREE)
        slot++;
    if (slot == w->max_procs)
        return -EAGAIN;
    if (w->procs_live >= w->proc_ceiling) {
        fault_plan_record(w->faults, FAULT_SLOTS_PROCS); /* the rest are taken */
        return fault_points[FAULT_SLOTS_PROCS].error;
    }
    FAULT_RETURN_ON(FAULT_PROC_SPAWN);
    uint32_t pid = w->next_pid;
    int64_t block = heap_try_alloc(&w->heap, w->proc_bytes, "proc", pid, w->step, 0);
    if (block < 0)
        return -ENOMEM;
    if (remember_pid(w, pid, slot) != 0) {
        heap_free(&w->heap, (uint32_t)block);
        w->out_of_memory = 1;
        return -ENOMEM;
    }
    w->next_pid++;
    struct proc *p = &w->procs[slot];
    struct handle *table = p->handles;
    memset(table, 0, w->max_handles * sizeof *table);
    *p = (struct proc){0};
    p->handles = table;
    p->state = PROC_RUNNABLE;
    p->pid = pid;
    p->parent = parent;
    p->group = group ? group : from ? from->group : 0;
    text_copy(p->name, sizeof p->name, name ? name : "proc");
    p->heap_block = (uint32_t)block;
    p->created_step = w->step;
    world_waitq_init(w, &p->child_wait, "task", NULL);
    p->child_wait.name_of = children_name;
    p->child_wait.owner = w;
    p->child_wait.owner_id = pid;
    p->child_wait.holders = proc_children_holders;
    w->procs_live++;
    if (from)
        inherit_from(w, p, from, mode, handles, count);
    ASSERT(p->handle_count <= w->max_handles);
    p->handle_limit = w->max_handles;
    if (w->handle_free_max != UINT32_MAX && w->handle_free_max < w->max_handles - p->handle_count)
        p->handle_limit = p->handle_count + w->handle_free_max; /* slots/handles */
    return (int)pid;
}

static void reap(struct world *w, struct proc *p);

/* Tells the parent of p, a new zombie, that it exited, as Linux's do_notify_parent
 * does: a parent that ignores SIGCHLD reaps it at once (no zombie is left); one
 * that catches SIGCHLD gets it, which interrupts its blocked call; a waiting parent
 * is woken either way. */
static void notify_parent(struct world *w, struct proc *p)
{
    ASSERT(p->state == PROC_ZOMBIE);
    struct proc *parent = proc_get(w, p->parent);
    if (!parent)
        return;
    uint32_t bit = 1u << SIG_CHLD;
    if (parent->signals_ignored & bit)
        reap(w, p);
    else if ((parent->signals_caught & bit) && proc_signal(w, parent->pid, SIG_CHLD) == 0)
        world_interrupt(w, parent->pid);
    world_wake(w, &parent->child_wait, WAITQ_WAKE_EXIT);
}

/* The reaper of the orphans of p, as Linux's find_new_reaper: the nearest living
 * ancestor that is a subreaper, else init (pid 1; 0 when there is none). */
static uint32_t new_reaper(const struct world *w, const struct proc *p)
{
    for (const struct proc *up = proc_get(w, p->parent); up && up->pid != 1;
         up = proc_get(w, up->parent))
        if (up->subreaper && up->state != PROC_ZOMBIE)
            return up->pid;
    return proc_get(w, 1) ? 1 : 0;
}

/* p is exiting: its children go to their new reaper, which hears of those already
 * dead as a parent hears of a child's exit. */
static void reparent_children(struct world *w, const struct proc *p)
{
    uint32_t reaper = new_reaper(w, p);
    ASSERT(reaper != p->pid); /* an exiting process adopts nobody */
    for (uint32_t s = 0; s < w->max_procs; s++) {
        struct proc *child = &w->procs[s];
        if (child->state == PROC_FREE || child->parent != p->pid)
            continue;
        child->parent = reaper;
        if (child->state == PROC_ZOMBIE)
            notify_parent(w, child);
    }
}

static void close_all_handles(struct world *w, struct proc *p)
{
    for (uint32_t i = 0; i < w->max_handles; i++)
        if (p->handles[i].kind != HANDLE_FREE)
            proc_close_handle(w, p->pid, i);
}

void proc_exit(struct world *w, uint32_t pid, int status)
{
    struct proc *p = proc_get(w, pid);
    if (!p || p->state == PROC_ZOMBIE)
        return;
    ASSERT(p->state == PROC_RUNNABLE || p->state == PROC_BLOCKED);
    p->exit_status = status;
    p->exited_step = w->step;
    if (w->bug_release_at_reap && p->handle_count)
        p->kept_handles = 1; /* the bug: the slots stay until the parent reaps */
    else
        close_all_handles(w, p);
    heap_free_owner(&w->heap, pid);
    reparent_children(w, p);
    p->state = PROC_ZOMBIE;
    notify_parent(w, p);
}

static void reap(struct world *w, struct proc *p)
{
    ASSERT(p->state == PROC_ZOMBIE);
    ASSERT(w->procs_live > 0);
    if (p->kept_handles) {
        close_all_handles(w, p);
        p->kept_handles = 0;
    }
    heap_free(&w->heap, p->heap_block);
    idarray_release(&w->slot_by_pid, p->pid);
    world_waitq_retire(w, &p->child_wait);
    struct handle *table = p->handles;
    *p = (struct proc){0};
    p->handles = table;
    p->state = PROC_FREE;
    w->procs_live--;
}

int proc_wait(struct world *w, uint32_t parent, uint32_t pid, int *status)
{
    ASSERT(status != NULL);
    struct proc *self = proc_get(w, parent);
    if (!self)
        return -ECHILD;
    int children = 0;
    for (uint32_t s = 0; s < w->max_procs; s++) {
        struct proc *child = &w->procs[s];
        if (child->state == PROC_FREE || child->parent != parent || (pid && child->pid != pid))
            continue;
        children++;
        if (child->state == PROC_ZOMBIE) {
            int reaped = (int)child->pid;
            *status = child->exit_status;
            reap(w, child);
            return reaped;
        }
    }
    if (!children && !self->daemon)
        return -ECHILD;
    w->block_on = &self->child_wait;
    return MODEL_WOULD_BLOCK;
}

/* The signals detsim knows, and what their default action does: SIGCHLD's is to
 * ignore (discard), the others' to terminate. */
#define SIGNALS_CATCHABLE \
    ((1u << SIG_INT) | (1u << SIG_PIPE) | (1u << SIG_TERM) | (1u << SIG_CHLD))
#define SIGNALS_KNOWN (SIGNALS_CATCHABLE | (1u << SIG_KILL))
#define SIGNALS_TERMINATE (SIGNALS_KNOWN & ~(1u << SIG_CHLD))

static void note_signal(struct world *w, struct proc *p, uint32_t sig, enum proc_signal_fate fate)
{
    p->last_signal = (uint8_t)sig;
    p->last_signal_fate = (uint8_t)fate;
    p->last_signal_step = w->step;
}

int proc_signal(struct world *w, uint32_t pid, uint32_t sig)
{
    if (sig >= 32 || (sig != 0 && !(SIGNALS_KNOWN & (1u << sig))))
        return -EINVAL;
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -ESRCH;
    if (p->daemon)
        return -EPERM; /* init cannot be signalled: orphans would never be reaped */
    if (sig == 0 || p->state == PROC_ZOMBIE)
        return 0; /* Linux: a zombie takes the signal, and nothing happens */
    uint32_t bit = 1u << sig;
    if (!(bit & (SIGNALS_TERMINATE | p->signals_caught)))
        return 0; /* SIGCHLD with its default action: discarded, and not worth a report */
    w->signals_sent = 1;
    if (p->signals_ignored & bit) {
        note_signal(w, p, sig, SIGNAL_FATE_IGNORED);
        return 0;
    }
    note_signal(w, p, sig, SIGNAL_FATE_PENDING);
    p->signals_pending |= bit;
    ASSERT(!(p->signals_pending & p->signals_ignored)); /* what is ignored never waits */
    return 0;
}

int proc_signal_is_pending(const struct world *w, uint32_t pid, uint32_t sig)
{
    const struct proc *p = proc_get(w, pid);
    return p && sig < 32 && (p->signals_pending & (1u << sig)) != 0;
}

int proc_signal_catch(struct world *w, uint32_t pid, uint32_t sig, int action)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -ESRCH;
    if (sig >= 32 || !(SIGNALS_CATCHABLE & (1u << sig)))
        return -EINVAL; /* SIGKILL cannot be caught */
    uint32_t bit = 1u << sig;
    switch (action) {
    case SIG_ACTION_DEFAULT:
    case SIG_ACTION_IGNORE:
    case SIG_ACTION_CATCH:
    case SIG_ACTION_CATCH | SIG_ACTION_RESTART:
        break;
    default:
        return -EINVAL;
    }
    p->signals_caught &= ~bit;
    p->signals_restart &= ~bit;
    p->signals_ignored &= ~bit;
    if (action & SIG_ACTION_CATCH)
        p->signals_caught |= bit;
    if (action & SIG_ACTION_RESTART)
        p->signals_restart |= bit;
    if (action == SIG_ACTION_IGNORE) {
        p->signals_ignored |= bit;
        p->signals_pending &= ~bit; /* sigaction(SIG_IGN) discards a pending one */
    }
    ASSERT(!(p->signals_caught & p->signals_ignored));
    return 0;
}

uint32_t proc_signals_deliver(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return 0;
    uint32_t delivered = p->signals_pending & p->signals_caught;
    if (!delivered)
        return 0;
    p->signals_pending &= ~delivered;
    p->signals_handled |= delivered;
    p->signals_interrupting |= delivered;
    if (p->signal_wakeup) {
        /* The handler's write(wakeup_fd, &byte, 1) on a nonblocking fd: its result is
         * ignored, as Python's C handler ignores it. */
        uint32_t handle = p->signal_wakeup - 1;
        uint64_t written = 0;
        if (chan_write(w, pid, handle, 1, &written, 1) == -EINVAL)
            chan_send(w, pid, handle, 1, NULL, 0, 1);
    }
    for (uint32_t sig = 1; sig < 32; sig++)
        if (delivered & (1u << sig) && p->last_signal == sig)
            note_signal(w, p, sig, SIGNAL_FATE_HANDLED);
    ASSERT(!(p->signals_pending & p->signals_caught));
    return delivered;
}

int proc_signal_wakeup(struct world *w, uint32_t pid, int32_t handle)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -ESRCH;
    if (handle < 0) {
        p->signal_wakeup = 0;
        return 0;
    }
    if ((uint32_t)handle >= w->max_handles || p->handles[handle].kind != HANDLE_ENDPOINT)
        return -EBADF;
    uint32_t endpoint = p->handles[handle].object;
    if (w->channels[endpoint / 2].pipe && endpoint % 2 == 0)
        return -EBADF; /* a pipe's read end */
    p->signal_wakeup = (uint32_t)handle + 1;
    return 0;
}

uint32_t proc_signals_take_handled(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return 0;
    uint32_t handled = p->signals_handled;
    p->signals_handled = 0;
    return handled;
}

uint32_t proc_signals_take_interrupting(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return 0;
    uint32_t interrupting = p->signals_interrupting;
    p->signals_interrupting = 0;
    return interrupting;
}

void proc_signals_note_restart(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (p && p->last_signal_fate == SIGNAL_FATE_HANDLED)
        p->last_signal_fate = SIGNAL_FATE_RESTARTED;
}

uint32_t proc_signal_take_fatal(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return 0;
    uint32_t fatal = p->signals_pending & ~p->signals_caught & ~p->signals_ignored &
                     SIGNALS_TERMINATE;
    if (!fatal)
        return 0;
    p->signals_pending &= ~fatal;
    if (fatal & (1u << SIG_KILL))
        return SIG_KILL;
    uint32_t sig = 1;
    while (!(fatal & (1u << sig)))
        sig++;
    return sig;
}

const char *proc_signal_name(uint32_t sig, char buf[16])
{
    static const char *const names[32] = {[SIG_INT] = "SIGINT", [SIG_KILL] = "SIGKILL",
                                          [SIG_PIPE] = "SIGPIPE", [SIG_TERM] = "SIGTERM",
                                          [SIG_CHLD] = "SIGCHLD"};
    if (sig < 32 && names[sig])
        return names[sig];
    snprintf(buf, 16, "signal %" PRIu32, sig);
    return buf;
}

void proc_make_daemon(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (p)
        p->daemon = 1;
}

int proc_close_handle(struct world *w, uint32_t pid, uint32_t index)
{
    struct proc *p = proc_get(w, pid);
    if (!p || index >= w->max_handles || p->handles[index].kind == HANDLE_FREE)
        return -EBADF;
    struct handle h = p->handles[index];
    ASSERT(p->handle_count > 0);
    p->handles[index] = (struct handle){0};
    p->handle_count--;
    handle_put(w, &h);
    return 0;
}

int proc_closerange(struct world *w, uint32_t pid, uint32_t low, uint32_t high)
{
    if (low > high)
        return -EINVAL;
    for (uint32_t i = low; i <= high && i < w->max_handles; i++)
        proc_close_handle(w, pid, i); /* a hole in the range is no error */
    return 0;
}

int proc_set_cloexec(struct world *w, uint32_t pid, uint32_t index, int on)
{
    struct proc *p = proc_get(w, pid);
    if (!p || index >= w->max_handles || p->handles[index].kind == HANDLE_FREE)
        return -EBADF;
    p->handles[index].cloexec = (uint8_t)(on != 0);
    return 0;
}

int proc_handle_room(struct world *w, const struct proc *p, uint32_t count)
{
    if (count == 0)
        return 0;
    if (count > w->max_handles - p->handle_count)
        return -EMFILE;
    if (count > p->handle_limit - p->handle_count) {
        fault_plan_record(w->faults, FAULT_SLOTS_HANDLES); /* the rest are taken */
        return fault_points[FAULT_SLOTS_HANDLES].error;
    }
    FAULT_RETURN_ON(FAULT_PROC_HANDLE);
    return 0;
}

int proc_install_handle(struct world *w, uint32_t pid, struct handle h)
{
    ASSERT(h.kind != HANDLE_FREE);
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -EBADF;
    for (uint32_t i = 0; i < w->max_handles; i++)
        if (p->handles[i].kind == HANDLE_FREE) {
            p->handles[i] = h;
            p->handle_count++;
            return (int)i;
        }
    return -EMFILE;
}

uint32_t proc_children_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                               const char **relation)
{
    const struct world *w = wq->owner;
    *relation = "exit of";
    uint32_t n = 0;
    for (uint32_t s = 0; s < w->max_procs && n < max; s++) {
        const struct proc *child = &w->procs[s];
        if (child->state != PROC_FREE && child->state != PROC_ZOMBIE &&
            child->parent == wq->owner_id)
            pids[n++] = child->pid;
    }
    return n;
}

int proc_set_subreaper(struct world *w, uint32_t pid, int on)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -ESRCH;
    p->subreaper = (uint8_t)(on != 0);
    return 0;
}

uint32_t proc_group_create(struct world *w, uint32_t pid)
{
    uint32_t group = w->next_group++;
    if (group >= w->group_capacity) {
        uint32_t capacity = w->group_capacity ? w->group_capacity * 2 : 16;
        while (capacity <= group)
            capacity *= 2;
        uint32_t *grown = realloc(w->group_parents, capacity * sizeof *grown);
        if (!grown) {
            w->out_of_memory = 1; /* the harness's own memory */
            return group;
        }
        memset(grown + w->group_capacity, 0, (capacity - w->group_capacity) * sizeof *grown);
        w->group_parents = grown;
        w->group_capacity = capacity;
    }
    const struct proc *creator = proc_get(w, pid);
    w->group_parents[group] = creator ? creator->group : 0;
    ASSERT(w->group_parents[group] < group); /* a tree: a parent is always older */
    return group;
}

int proc_in_group_tree(const struct world *w, const struct proc *p, uint32_t group)
{
    ASSERT(group != 0);
    for (uint32_t g = p->group; g; g = g < w->group_capacity ? w->group_parents[g] : 0)
        if (g == group)
            return 1;
    return 0;
}
