/* access — the conflict relation between steps; see access.h. */
#include "access.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "model/world.h"
#include "sched_int.h"

static const char *const kind_names[SCHED_OBJECT_KIND_COUNT] = {
    [SCHED_OBJECT_NONE] = "none", [SCHED_OBJECT_CHAN] = "chan",   [SCHED_OBJECT_PORT] = "port",
    [SCHED_OBJECT_PROC] = "proc", [SCHED_OBJECT_MUTEX] = "mutex", [SCHED_OBJECT_SEM] = "sem",
    [SCHED_OBJECT_HEAP] = "heap", [SCHED_OBJECT_GROUP] = "group", [SCHED_OBJECT_WORLD] = "world",
};

const char *sched_object_kind_name(enum sched_object_kind kind)
{
    return (unsigned)kind < SCHED_OBJECT_KIND_COUNT ? kind_names[kind] : "?";
}

/* The table bits an access stands for: its touches, and the heap for a heap access. */
static uint32_t tables(const struct sched_access *a)
{
    return a->touches | (a->kind == SCHED_OBJECT_HEAP ? SCHED_TOUCH_HEAP : 0);
}

static int on_channels(const struct sched_access *a)
{
    return a->kind == SCHED_OBJECT_CHAN || a->kind == SCHED_OBJECT_PORT ||
           (a->touches & SCHED_TOUCH_CHANNELS);
}

int sched_access_conflict(const struct sched_access *a, const struct sched_access *b)
{
    if (a->pid == 0 || b->pid == 0 || a->pid == b->pid)
        return 1;
    if (a->kind == SCHED_OBJECT_WORLD || b->kind == SCHED_OBJECT_WORLD)
        return 1;
    /* A signal to a task, or a wait for it, against anything that task does. */
    if ((a->kind == SCHED_OBJECT_PROC && a->id == b->pid) ||
        (b->kind == SCHED_OBJECT_PROC && b->id == a->pid))
        return 1;
    if (a->kind != SCHED_OBJECT_NONE && a->kind == b->kind && a->id == b->id)
        return 1;
    if (tables(a) & tables(b))
        return 1;
    /* A port watches channel ends, and which ones changes with binds and closes. */
    if ((a->kind == SCHED_OBJECT_PORT && on_channels(b)) ||
        (b->kind == SCHED_OBJECT_PORT && on_channels(a)))
        return 1;
    if (((a->touches & SCHED_TOUCH_CHANNELS) && on_channels(b)) ||
        ((b->touches & SCHED_TOUCH_CHANNELS) && on_channels(a)))
        return 1;
    return 0;
}

const char *sched_access_format(const struct sched_access *a, char *buf, size_t bytes)
{
    static const char *const touch_names[] = {"heap", "chan-table", "proc-table",
                                              "port-table", "ids", "channels"};
    size_t n = (size_t)snprintf(buf, bytes, "pid %" PRIu32 " %s %s", a->pid,
                                a->op ? trace_op_name(a->op) : "start",
                                sched_object_kind_name(a->kind));
    if (n < bytes && a->kind != SCHED_OBJECT_NONE && a->kind != SCHED_OBJECT_WORLD &&
        a->kind != SCHED_OBJECT_HEAP)
        n += (size_t)snprintf(buf + n, bytes - n, " %" PRIu64, a->id);
    for (unsigned i = 0; i < sizeof touch_names / sizeof touch_names[0]; i++)
        if (n < bytes && (a->touches & (1u << i)))
            n += (size_t)snprintf(buf + n, bytes - n, " +%s", touch_names[i]);
    return buf;
}

/* ---- resolving a pending call -------------------------------------------------------- */

/* The caller's handle h, or NULL when it is not open. */
static const struct handle *handle_of(const struct world *w, uint32_t pid, uint64_t h)
{
    const struct proc *p = proc_get(w, pid);
    if (!p || h >= w->max_handles || p->handles[h].kind == HANDLE_FREE)
        return NULL;
    return &p->handles[h];
}

/* The channel behind handle h: its slot + 1, with *endpoint set; 0 when h is not a
 * channel end. */
static uint64_t channel_of(const struct world *w, uint32_t pid, uint64_t h, uint32_t *endpoint)
{
    const struct handle *handle = handle_of(w, pid, h);
    if (!handle || (handle->kind != HANDLE_ENDPOINT && handle->kind != HANDLE_ENDPOINT_FD))
        return 0;
    *endpoint = handle->object;
    return (uint64_t)handle->object / 2 + 1;
}

static void on_channel(const struct world *w, uint32_t pid, uint64_t h, struct sched_access *a)
{
    uint32_t endpoint;
    uint64_t channel = channel_of(w, pid, h, &endpoint);
    if (channel) {
        a->kind = SCHED_OBJECT_CHAN;
        a->id = channel;
    }
}

/* Whether any message queued in e's inbox carries handles, or holds heap. */
static void inbox_touches(const struct world *w, const struct endpoint *e, int head_only,
                          struct sched_access *a)
{
    for (uint32_t i = 0; i < e->queue_count; i++) {
        const struct message *m = &e->queue[(e->queue_head + i) % w->queue_depth];
        if (m->heap_block)
            a->touches |= SCHED_TOUCH_HEAP;
        if (m->handle_count) /* dropped handles may be the last of other channels */
            a->touches |= SCHED_TOUCH_CHANNELS | SCHED_TOUCH_CHAN_TABLE |
                          SCHED_TOUCH_PORT_TABLE | SCHED_TOUCH_HEAP;
        if (head_only)
            break;
    }
}

static void resolve_close(const struct world *w, uint32_t pid, uint64_t h, struct sched_access *a)
{
    const struct handle *handle = handle_of(w, pid, h);
    if (!handle)
        return;
    if (handle->kind == HANDLE_PORT) {
        a->kind = SCHED_OBJECT_PORT;
        a->id = (uint64_t)handle->object + 1;
        /* The last handle: the port goes, its ends are unbound, its heap freed. */
        if (handle->object < w->max_ports && w->ports[handle->object].refs <= 1)
            a->touches |= SCHED_TOUCH_PORT_TABLE | SCHED_TOUCH_HEAP;
        return;
    }
    a->kind = SCHED_OBJECT_CHAN;
    a->id = (uint64_t)handle->object / 2 + 1;
    const struct endpoint *e = chan_endpoint(w, handle->object);
    if (chan_endpoint_refs(e, 0) <= 1) {
        /* The end goes down: its inbox is destroyed, the slot may be freed. */
        a->touches |= SCHED_TOUCH_CHAN_TABLE | SCHED_TOUCH_HEAP;
        inbox_touches(w, e, 0, a);
    }
}

/* Resolves t's pending call into a (pid and op set, the rest zero). */
static void resolve(const struct sched *s, const struct task *t, struct sched_access *a)
{
    const struct world *w = s->world;
    const struct sched_call *c = &t->call;
    a->op = c->op;
    if (c->op == TRACE_OP_EXIT) {
        a->kind = SCHED_OBJECT_WORLD;
        return;
    }
    if (!w) /* a scheduler without models: nothing is shared but the task's calls */
        return;
    const struct proc *p = proc_get(w, t->pid);
    if (p && p->signals_pending) { /* delivered when it resumes: a handler, or its end */
        a->kind = SCHED_OBJECT_WORLD;
        return;
    }
    uint32_t endpoint;
    switch (c->op) {
    case TRACE_OP_MUTEX_CREATE:
    case TRACE_OP_SEM_CREATE:
        a->touches = SCHED_TOUCH_IDS;
        break;
    case TRACE_OP_MUTEX_LOCK:
    case TRACE_OP_MUTEX_UNLOCK:
        a->kind = SCHED_OBJECT_MUTEX;
        a->id = c->a;
        break;
    case TRACE_OP_SEM_WAIT:
    case TRACE_OP_SEM_POST:
        a->kind = SCHED_OBJECT_SEM;
        a->id = c->a;
        break;
    case TRACE_OP_SPAWN:
        a->touches = SCHED_TOUCH_PROC_TABLE | SCHED_TOUCH_HEAP | SCHED_TOUCH_IDS;
        break;
    case TRACE_OP_WAIT: /* reaping frees the child's slot and its heap */
        a->kind = SCHED_OBJECT_PROC;
        a->id = c->a;
        a->touches = SCHED_TOUCH_PROC_TABLE | SCHED_TOUCH_HEAP;
        break;
    case TRACE_OP_KILL:
        if (c->a == t->pid || c->b == 0) { /* to itself, or only asks */
            a->kind = c->a == t->pid ? SCHED_OBJECT_NONE : SCHED_OBJECT_PROC;
            a->id = c->a == t->pid ? 0 : c->a;
        } else if (c->b == SIG_KILL) {
            a->kind = SCHED_OBJECT_WORLD; /* the target's teardown */
        } else {
            a->kind = SCHED_OBJECT_PROC;
            a->id = c->a;
        }
        break;
    case TRACE_OP_GROUP_CREATE:
        a->kind = SCHED_OBJECT_GROUP;
        break;
    case TRACE_OP_GROUP_KILL:
    case TRACE_OP_GROUP_DROP:
    case TRACE_OP_GROUP_SHUTDOWN:
        a->kind = SCHED_OBJECT_WORLD;
        break;
    case TRACE_OP_CHAN_CREATE:
    case TRACE_OP_PIPE:
        a->touches = SCHED_TOUCH_CHAN_TABLE | SCHED_TOUCH_HEAP | SCHED_TOUCH_IDS;
        break;
    case TRACE_OP_CHAN_SEND:
        on_channel(w, t->pid, c->a, a);
        if (c->b > w->inline_msg_bytes)
            a->touches = SCHED_TOUCH_HEAP;
        break;
    case TRACE_OP_CHAN_RECV:
        if (channel_of(w, t->pid, c->a, &endpoint)) {
            on_channel(w, t->pid, c->a, a);
            inbox_touches(w, chan_endpoint(w, endpoint), 1, a);
        }
        break;
    case TRACE_OP_WRITE:
    case TRACE_OP_READ:
    case TRACE_OP_FD_FROM_HANDLE:
        on_channel(w, t->pid, c->a, a);
        break;
    case TRACE_OP_CLOSE:
        resolve_close(w, t->pid, c->a, a);
        break;
    case TRACE_OP_CLOSERANGE:
        a->touches = SCHED_TOUCH_CHANNELS | SCHED_TOUCH_CHAN_TABLE | SCHED_TOUCH_PORT_TABLE |
                     SCHED_TOUCH_HEAP;
        break;
    case TRACE_OP_PORT_CREATE:
        a->touches = SCHED_TOUCH_PORT_TABLE | SCHED_TOUCH_HEAP | SCHED_TOUCH_IDS;
        break;
    case TRACE_OP_PORT_BIND:
    case TRACE_OP_PORT_UNBIND:
    case TRACE_OP_PORT_WAIT: {
        const struct handle *handle = handle_of(w, t->pid, c->a);
        a->kind = SCHED_OBJECT_PORT; /* conflicts with every channel and port anyway */
        a->id = handle && handle->kind == HANDLE_PORT ? (uint64_t)handle->object + 1 : 0;
        break;
    }
    case TRACE_OP_ALLOC:
        /* Past the heap's room, the OOM policy may kill the caller: its end. */
        a->kind = w->heap.policy != HEAP_OOM_HALT &&
                          c->a > w->heap.capacity_bytes - w->heap.used_bytes
                      ? SCHED_OBJECT_WORLD
                      : SCHED_OBJECT_HEAP;
        break;
    case TRACE_OP_TRY_ALLOC:
    case TRACE_OP_FREE:
        a->kind = SCHED_OBJECT_HEAP;
        break;
    default: /* start, yield, sleep, now, signal dispositions, cloexec, subreaper */
        break;
    }
}

int sched_task_access(const struct sched *s, uint32_t pid, struct sched_access *out)
{
    const struct task *t = sched_task(s, pid);
    if (!t || t->state == TASK_EXITED)
        return -ESRCH;
    *out = (struct sched_access){.pid = pid};
    resolve(s, t, out);
    return 0;
}

uint32_t sched_ready_accesses(const struct sched *s, struct sched_access *out, uint32_t max)
{
    const struct readyq *q = &s->ready;
    uint32_t i = 0;
    if (q->count == 0)
        return 0;
    for (const struct readyq_node *n = readyq_first(q); n && i < max; n = readyq_next(q, n), i++) {
        const struct task *t = sched_task_of((struct readyq_node *)n);
        out[i] = (struct sched_access){.pid = t->pid};
        resolve(s, t, &out[i]);
    }
    return q->count;
}

int sched_last_access(const struct sched *s, struct sched_access *out)
{
    if (!s->last_access_valid)
        return -ENOENT;
    *out = s->last_access;
    return 0;
}
