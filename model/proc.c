/* proc — the process lifecycle and handle tables; see world.h.
 *
 * States: RUNNABLE and BLOCKED (mirrored from the scheduler by the sys layer), then
 * ZOMBIE after exit until the parent waits, then the slot is FREE again. pid 1 is
 * init: it adopts orphans and reaps them. Pids grow and are never reused within a
 * run, so a pid in a report names one process only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
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
    if (from) {
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
            table[i] = *h;
            handle_get(w, h);
            p->handle_count++;
        }
    }
    ASSERT(p->handle_count <= w->max_handles);
    p->handle_limit = w->max_handles;
    if (w->handle_free_max != UINT32_MAX && w->handle_free_max < w->max_handles - p->handle_count)
        p->handle_limit = p->handle_count + w->handle_free_max; /* slots/handles */
    return (int)pid;
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
    /* Orphans go to init, which reaps those already dead. */
    struct proc *init = proc_get(w, 1);
    int adopted_zombie = 0;
    for (uint32_t s = 0; s < w->max_procs; s++) {
        struct proc *child = &w->procs[s];
        if (child->state != PROC_FREE && child->parent == pid) {
            child->parent = init ? 1 : 0;
            adopted_zombie |= child->state == PROC_ZOMBIE;
        }
    }
    if (init && adopted_zombie)
        world_wake(w, &init->child_wait, WAITQ_WAKE_EXIT);
    p->state = PROC_ZOMBIE;
    struct proc *parent = proc_get(w, p->parent);
    if (parent)
        world_wake(w, &parent->child_wait, WAITQ_WAKE_EXIT);
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

int proc_signal(struct world *w, uint32_t pid, uint32_t sig)
{
    if (sig != SIG_INT && sig != SIG_TERM && sig != SIG_KILL)
        return -EINVAL;
    struct proc *p = proc_get(w, pid);
    if (!p || p->state == PROC_ZOMBIE)
        return -ESRCH;
    if (p->daemon)
        return -EPERM; /* init cannot be signalled: orphans would never be reaped */
    p->signals_pending |= 1u << sig;
    w->signals_sent = 1;
    return 0;
}

int proc_signal_catch(struct world *w, uint32_t pid, uint32_t sig, int on)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -ESRCH;
    if (sig != SIG_INT && sig != SIG_TERM)
        return -EINVAL; /* SIGKILL cannot be caught */
    if (on)
        p->signals_caught |= 1u << sig;
    else
        p->signals_caught &= ~(1u << sig);
    return 0;
}

uint32_t proc_signals_take_caught(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return 0;
    uint32_t pending = p->signals_pending & p->signals_caught;
    p->signals_pending &= ~pending;
    return pending;
}

uint32_t proc_signal_take_fatal(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return 0;
    uint32_t fatal = p->signals_pending & ~p->signals_caught &
                     ((1u << SIG_INT) | (1u << SIG_TERM) | (1u << SIG_KILL));
    if (!fatal)
        return 0;
    p->signals_pending &= ~fatal;
    return fatal & (1u << SIG_KILL) ? SIG_KILL : fatal & (1u << SIG_INT) ? SIG_INT : SIG_TERM;
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

uint32_t proc_closerange(struct world *w, uint32_t pid, uint32_t low, uint32_t high)
{
    uint32_t closed = 0;
    for (uint32_t i = low; i <= high && i < w->max_handles; i++)
        closed += proc_close_handle(w, pid, i) == 0;
    return closed;
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

uint32_t proc_group_create(struct world *w)
{
    return w->next_group++;
}
