/* world — config, creation, invariants and the leak audit; see world.h. */
#include "world.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

static const char *const oom_policy_names[] = {"halt", "kill-process", "reserve", NULL};
static const char *const port_trigger_names[] = {"level", "edge", NULL};
static const char *const handle_transfer_names[] = {"copy", "move", NULL};

const struct config_key world_config_keys[] = {
    {"max_procs", CONFIG_UINT, 64, 2, 100000, "process table slots (init is pid 1)", NULL},
    {"max_handles", CONFIG_UINT, 32, 2, 4096, "handle-table entries per process", NULL},
    {"max_channels", CONFIG_UINT, 64, 1, 1000000, "global channel table slots", NULL},
    {"per_proc_channel_limit", CONFIG_UINT, 0, 0, 1000000,
     "channels one process created that may hold a slot at once (0: no limit)", NULL},
    {"queue_depth", CONFIG_UINT, 16, 1, 100000,
     "messages a channel end's queue holds (a pipe counts bytes only)", NULL},
    {"queue_bytes", CONFIG_BYTES, 65536, 1, 1ULL << 30,
     "bytes a channel end's queue holds: a pipe's capacity; a bigger message is -EMSGSIZE",
     NULL},
    {"handle_transfer", CONFIG_ENUM, 0, 0, 1,
     "a handle sent in a message: copy (SCM_RIGHTS: the sender keeps it) or move (003's "
     "channels: it leaves the sender)",
     handle_transfer_names},
    {"close_reset", CONFIG_BOOL, 0, 0, 1,
     "a channel end closed with messages unread resets its peer: its next receive or send "
     "is -ECONNRESET, once (Linux's SOCK_SEQPACKET; off: EOF and -EPIPE only)",
     NULL},
    {"inline_msg_bytes", CONFIG_BYTES, 256, 0, 1ULL << 30,
     "messages up to this size cost no heap", NULL},
    {"max_ports", CONFIG_UINT, 64, 1, 1000000, "port table slots", NULL},
    {"port_trigger", CONFIG_ENUM, 0, 0, 1,
     "ports report an endpoint while it has events (level, epoll's default) or once per "
     "arrival or hang-up (edge, EPOLLET)",
     port_trigger_names},
    {"heap_bytes", CONFIG_BYTES, 4ULL << 20, 1024, 1ULL << 40, "kernel heap capacity", NULL},
    {"oom_policy", CONFIG_ENUM, 0, 0, 2,
     "what an infallible allocation does on OOM: halt, kill-process or reserve",
     oom_policy_names},
    {"reserved_procs", CONFIG_UINT, 2, 0, 100000,
     "pids below this are system processes: an OOM there halts", NULL},
    {"reserve_bytes", CONFIG_BYTES, 256 * 1024, 0, 1ULL << 40,
     "emergency reserve released on OOM (oom_policy=reserve)", NULL},
    {"reserve_refill_percent", CONFIG_UINT, 50, 0, 100,
     "refill the reserve when heap use falls below this share", NULL},
    {"proc_quota_bytes", CONFIG_BYTES, 0, 0, 1ULL << 40,
     "heap bytes one process may hold (0: no quota)", NULL},
    {"proc_bytes", CONFIG_BYTES, 1024, 0, 1ULL << 30, "heap cost of a process", NULL},
    {"channel_bytes", CONFIG_BYTES, 128, 0, 1ULL << 30, "heap cost of a channel", NULL},
    {"port_bytes", CONFIG_BYTES, 256, 0, 1ULL << 30, "heap cost of a port", NULL},
    {"bug_close_no_wake", CONFIG_BOOL, 0, 0, 1,
     "bug (003): closing an endpoint leaves the peer's blocked waiters asleep", NULL},
    {"bug_leak_undelivered_handles", CONFIG_BOOL, 0, 0, 1,
     "bug (003): a message destroyed undelivered keeps the handles it carries", NULL},
    {"bug_release_at_reap", CONFIG_BOOL, 0, 0, 1,
     "bug (000): a dying process keeps its channel slots until it is reaped", NULL},
    {"bug_liveness_handles_only", CONFIG_BOOL, 0, 0, 1,
     "bug (003): endpoint liveness counts handles only, not bridged fds", NULL},
    {"heap_fail_nth", CONFIG_UINT, 0, 0, UINT64_MAX,
     "make the Nth heap allocation fail (0: none): short for --fault model/heap/alloc:nth=N",
     NULL},
    {"init_reaps", CONFIG_BOOL, 1, 0, 1,
     "init (pid 1) reaps the orphans it adopts (false: a container init that never waits: "
     "their zombies pile up)",
     NULL},
    {"exit_bytes", CONFIG_BYTES, 0, 0, 1ULL << 30,
     "heap a process teardown needs (an OOM there halts the system)", NULL},
    {"check", CONFIG_BOOL, 0, 0, 1, "run world_check after every step (slow)", NULL},
    {0},
};

/* What the tables cost the harness itself, allocated up front. */
#define WORLD_TABLE_BYTES_MAX (1ULL << 30)

int world_config_error(const struct config *config, char *error, size_t error_bytes)
{
    uint64_t channels = config_get(config, "max_channels");
    uint64_t depth = config_get(config, "queue_depth");
    uint64_t procs = config_get(config, "max_procs");
    uint64_t handles = config_get(config, "max_handles");
    uint64_t queues = channels * 2 * depth * sizeof(struct message);
    uint64_t tables = procs * (handles * sizeof(struct handle) + sizeof(struct proc));
    if (queues > WORLD_TABLE_BYTES_MAX) {
        snprintf(error, error_bytes,
                 "bad config: max_channels=%" PRIu64 " x queue_depth=%" PRIu64
                 " would need %" PRIu64 " MiB of message queues (at most 1024)",
                 channels, depth, queues >> 20);
        return -E2BIG;
    }
    if (tables > WORLD_TABLE_BYTES_MAX) {
        snprintf(error, error_bytes,
                 "bad config: max_procs=%" PRIu64 " x max_handles=%" PRIu64
                 " would need %" PRIu64 " MiB of handle tables (at most 1024)",
                 procs, handles, tables >> 20);
        return -E2BIG;
    }
    if (config_get(config, "oom_policy") == HEAP_OOM_RESERVE &&
        config_get(config, "reserve_bytes") > config_get(config, "heap_bytes")) {
        snprintf(error, error_bytes,
                 "bad config: reserve_bytes=%" PRIu64 " does not fit in heap_bytes=%" PRIu64,
                 config_get(config, "reserve_bytes"), config_get(config, "heap_bytes"));
        return -EINVAL;
    }
    return 0;
}

int world_create(struct world *w, const struct config *config)
{
    char ignored[160];
    if (world_config_error(config, ignored, sizeof ignored) != 0)
        return -EINVAL;
    *w = (struct world){0};
    idarray_init(&w->waitqs, sizeof(struct waitq *));
    idarray_init(&w->slot_by_pid, sizeof(uint32_t));
    w->config = config;
    w->max_procs = (uint32_t)config_get(config, "max_procs");
    w->max_handles = (uint32_t)config_get(config, "max_handles");
    w->max_channels = (uint32_t)config_get(config, "max_channels");
    w->per_proc_channel_limit = (uint32_t)config_get(config, "per_proc_channel_limit");
    w->queue_depth = (uint32_t)config_get(config, "queue_depth");
    w->queue_bytes = config_get(config, "queue_bytes");
    w->inline_msg_bytes = config_get(config, "inline_msg_bytes");
    w->max_ports = (uint32_t)config_get(config, "max_ports");
    w->port_edge_triggered = (uint8_t)config_get(config, "port_trigger");
    w->handle_transfer_move = (uint8_t)config_get(config, "handle_transfer");
    w->close_reset = (uint8_t)config_get(config, "close_reset");
    w->proc_bytes = config_get(config, "proc_bytes");
    w->channel_bytes = config_get(config, "channel_bytes");
    w->port_bytes = config_get(config, "port_bytes");
    w->bug_close_no_wake = (uint8_t)config_get(config, "bug_close_no_wake");
    w->bug_leak_undelivered_handles = (uint8_t)config_get(config, "bug_leak_undelivered_handles");
    w->bug_release_at_reap = (uint8_t)config_get(config, "bug_release_at_reap");
    w->bug_liveness_handles_only = (uint8_t)config_get(config, "bug_liveness_handles_only");
    w->check_every_step = (uint8_t)config_get(config, "check");
    w->exit_bytes = config_get(config, "exit_bytes");
    w->next_pid = 1;
    w->next_group = 1;
    w->channel_ceiling = w->max_channels;
    w->proc_ceiling = w->max_procs;
    w->handle_free_max = UINT32_MAX;

    struct heap_options heap = {
        .capacity_bytes = config_get(config, "heap_bytes"),
        .policy = (enum heap_oom_policy)config_get(config, "oom_policy"),
        .proc_quota_bytes = config_get(config, "proc_quota_bytes"),
        .reserved_procs = (uint32_t)config_get(config, "reserved_procs"),
        .reserve_bytes = config_get(config, "reserve_bytes"),
        .refill_percent = (uint32_t)config_get(config, "reserve_refill_percent"),
    };
    int rc = heap_init(&w->heap, &heap);
    w->channels = calloc(w->max_channels, sizeof *w->channels);
    w->ports = calloc(w->max_ports, sizeof *w->ports);
    w->procs = calloc(w->max_procs, sizeof *w->procs);
    if (rc != 0 || !w->channels || !w->ports || !w->procs) {
        world_destroy(w);
        return rc != 0 ? -EINVAL : -ENOMEM;
    }
    /* Message queues are allocated when a slot is first used (chan.c): most runs
     * touch a few of max_channels, and zeroing them all costs more than the run. */
    for (uint32_t p = 0; p < w->max_procs; p++) {
        w->procs[p].handles = calloc(w->max_handles, sizeof(struct handle));
        if (!w->procs[p].handles) {
            world_destroy(w);
            return -ENOMEM;
        }
    }
    return 0;
}

void world_destroy(struct world *w)
{
    if (w->channels)
        for (uint32_t c = 0; c < w->max_channels; c++)
            for (int e = 0; e < 2; e++)
                free(w->channels[c].ends[e].queue);
    if (w->procs)
        for (uint32_t p = 0; p < w->max_procs; p++)
            free(w->procs[p].handles);
    free(w->channels);
    if (w->ports)
        for (uint32_t p = 0; p < w->max_ports; p++)
            free(w->ports[p].ready);
    free(w->ports);
    free(w->procs);
    idarray_free(&w->slot_by_pid);
    free(w->group_parents);
    free(w->wakes);
    idarray_free(&w->waitqs);
    heap_free_all(&w->heap);
    *w = (struct world){0};
}

void world_waitq_init(struct world *w, struct waitq *wq, const char *kind, const char *name)
{
    ASSERT(kind != NULL);
    ASSERT(wq->count == 0 && (!wq->id || world_waitq(w, wq->id) != wq)); /* retired first */
    *wq = (struct waitq){0};
    wq->kind = kind;
    text_copy(wq->name, sizeof wq->name, name);
    struct waitq **record = idarray_put(&w->waitqs, w->waitq_count + 1);
    if (!record) {
        w->out_of_memory = 1;
        return;
    }
    *record = wq;
    wq->id = ++w->waitq_count;
}

void world_waitq_retire(struct world *w, struct waitq *wq)
{
    ASSERT(wq->count == 0); /* nobody waits on an object made anew */
    if (wq->id && world_waitq(w, wq->id) == wq)
        idarray_release(&w->waitqs, wq->id);
    wq->id = 0;
}

const char *world_waitq_name(const struct waitq *wq, char *buf)
{
    if (!wq->name_of)
        return wq->name;
    wq->name_of(wq, buf);
    return buf;
}

const struct waitq *world_waitq(const struct world *w, uint64_t id)
{
    struct waitq *const *record = idarray_get(&w->waitqs, id);
    return record && *record && (*record)->id == id ? *record : NULL;
}

/* Appends a queued wake-up; sets out_of_memory when the queue cannot grow. */
static void queue_wake(struct world *w, struct world_wake wake)
{
    if (w->wake_count == w->wake_capacity) {
        uint32_t capacity = w->wake_capacity ? w->wake_capacity * 2 : 32;
        struct world_wake *grown = realloc(w->wakes, capacity * sizeof *grown);
        if (!grown) {
            w->out_of_memory = 1;
            return;
        }
        w->wakes = grown;
        w->wake_capacity = capacity;
    }
    w->wakes[w->wake_count++] = wake;
}

void world_wake(struct world *w, struct waitq *queue, enum waitq_wake reason)
{
    ASSERT(queue != NULL && (unsigned)reason < WAITQ_WAKE_COUNT);
    if (queue->count)
        queue_wake(w, (struct world_wake){queue, reason, 0});
}

void world_interrupt(struct world *w, uint32_t pid)
{
    ASSERT(pid != 0);
    queue_wake(w, (struct world_wake){NULL, WAITQ_WAKE_SIGNAL, pid});
}

int world_slot_fault_add(struct world *w, enum world_slot_kind kind, uint32_t free,
                         uint64_t after)
{
    ASSERT(kind == WORLD_SLOTS_CHANNELS || kind == WORLD_SLOTS_PROCS || kind == WORLD_SLOTS_HANDLES);
    if (w->slot_fault_count == WORLD_SLOT_FAULTS_MAX)
        return -E2BIG;
    w->slot_faults[w->slot_fault_count++] = (struct world_slot_fault){kind, free, after, 0};
    w->slot_faults_pending++;
    return 0;
}

static uint32_t ceiling(uint32_t in_use, uint32_t free, uint32_t limit)
{
    return free > limit - in_use ? limit : in_use + free;
}

/* Puts one slot fault in force: as if someone took every slot but free. */
static void slot_fault_apply(struct world *w, const struct world_slot_fault *f,
                             struct text *notes)
{
    switch (f->kind) {
    case WORLD_SLOTS_CHANNELS: {
        uint32_t c = ceiling(w->channels_live, f->free, w->max_channels);
        if (c < w->channel_ceiling)
            w->channel_ceiling = c;
        if (notes)
            text_printf(notes, "fault slots/channels: %" PRIu32 " free channel slot%s left from "
                               "step %" PRIu64 " (%" PRIu32 " of %" PRIu32 " usable)",
                        f->free, f->free == 1 ? "" : "s", f->after, w->channel_ceiling,
                        w->max_channels);
        break;
    }
    case WORLD_SLOTS_PROCS: {
        uint32_t c = ceiling(w->procs_live, f->free, w->max_procs);
        if (c < w->proc_ceiling)
            w->proc_ceiling = c;
        if (notes)
            text_printf(notes, "fault slots/procs: %" PRIu32 " free process slot%s left from "
                               "step %" PRIu64 " (%" PRIu32 " of %" PRIu32 " usable)",
                        f->free, f->free == 1 ? "" : "s", f->after, w->proc_ceiling,
                        w->max_procs);
        break;
    }
    case WORLD_SLOTS_HANDLES:
        for (uint32_t s = 0; s < w->max_procs; s++) {
            struct proc *p = &w->procs[s];
            if (p->state == PROC_FREE)
                continue;
            uint32_t c = ceiling(p->handle_count, f->free, w->max_handles);
            if (c < p->handle_limit)
                p->handle_limit = c;
        }
        if (f->free < w->handle_free_max)
            w->handle_free_max = f->free;
        if (notes)
            text_printf(notes, "fault slots/handles: %" PRIu32 " free handle entr%s left in "
                               "each table from step %" PRIu64,
                        f->free, f->free == 1 ? "y" : "ies", f->after);
        break;
    }
}

uint32_t world_slot_faults_apply(struct world *w, struct text *notes)
{
    uint32_t applied = 0;
    for (uint32_t i = 0; i < w->slot_fault_count && w->slot_faults_pending; i++) {
        struct world_slot_fault *f = &w->slot_faults[i];
        if (f->active || w->step < f->after)
            continue;
        ASSERT(w->slot_faults_pending > 0);
        if (notes && applied)
            text_printf(notes, "\n");
        slot_fault_apply(w, f, notes);
        f->active = 1;
        w->slot_faults_pending--;
        applied++;
    }
    return applied;
}

void world_console(struct world *w, const char *line)
{
    if (w->console_count) {
        uint32_t last = (w->console_count - 1) % CONSOLE_LINES_MAX;
        if (strcmp(w->console[last], line) == 0) {
            w->console_repeats[last]++;
            return;
        }
    }
    uint32_t slot = w->console_count % CONSOLE_LINES_MAX;
    snprintf(w->console[slot], sizeof w->console[slot], "%s", line);
    w->console_repeats[slot] = 1;
    w->console_count++;
    w->console_notes++;
}

/* ---- invariants ------------------------------------------------------------------ */

/* Counts the references each endpoint and port should have, from their holders. */
struct holders {
    uint32_t (*endpoint)[REF_CLASS_COUNT]; /* by endpoint */
    uint32_t *port;
};

static int count_holders(const struct world *w, struct holders *h)
{
    h->endpoint = calloc((size_t)w->max_channels * 2, sizeof *h->endpoint);
    h->port = calloc(w->max_ports, sizeof *h->port);
    if (!h->endpoint || !h->port)
        return -ENOMEM;
    for (uint32_t p = 0; p < w->max_procs; p++) {
        const struct proc *proc = &w->procs[p];
        if (proc->state == PROC_FREE)
            continue;
        for (uint32_t i = 0; i < w->max_handles; i++) {
            const struct handle *hd = &proc->handles[i];
            if (hd->kind == HANDLE_ENDPOINT && hd->object < w->max_channels * 2)
                h->endpoint[hd->object][REF_HANDLE]++;
            else if (hd->kind == HANDLE_ENDPOINT_FD && hd->object < w->max_channels * 2)
                h->endpoint[hd->object][REF_FD]++;
            else if (hd->kind == HANDLE_PORT && hd->object < w->max_ports)
                h->port[hd->object]++;
        }
    }
    for (uint32_t c = 0; c < w->max_channels; c++)
        for (int e = 0; e < 2; e++) {
            const struct endpoint *ep = &w->channels[c].ends[e];
            for (uint32_t q = 0; q < ep->queue_count; q++) {
                const struct message *m = &ep->queue[(ep->queue_head + q) % w->queue_depth];
                for (uint32_t k = 0; k < m->handle_count; k++) {
                    if (m->handles[k].kind == HANDLE_PORT)
                        h->port[m->handles[k].object]++;
                    else
                        h->endpoint[m->handles[k].object][REF_OTHER]++;
                }
            }
        }
    return 0;
}

/* An end's queued_bytes: its messages' bytes (a pipe has none, only bytes), within
 * queue_bytes. Returns whether it is broken. */
static int check_queued_bytes(const struct world *w, const struct channel *ch,
                              const struct endpoint *ep, uint32_t id, struct text *out)
{
    uint64_t bytes = 0;
    for (uint32_t q = 0; q < ep->queue_count; q++)
        bytes += ep->queue[(ep->queue_head + q) % w->queue_depth].bytes;
    if ((ch->pipe ? ep->queue_count == 0 : bytes == ep->queued_bytes) &&
        ep->queued_bytes <= w->queue_bytes)
        return 0;
    char name[48];
    text_printf(out, "%s: %" PRIu64 " bytes counted queued, %" PRIu32 " messages of %" PRIu64
                     " bytes, capacity %" PRIu64 "%s\n",
                chan_endpoint_name(id, name), ep->queued_bytes, ep->queue_count, bytes,
                w->queue_bytes, ch->pipe ? " (a pipe)" : "");
    return 1;
}

/* One channel slot's invariants against the holders counted: references by class,
 * a free slot holding nothing, an open end referenced, a queue within its depth.
 * Returns whether any is broken. */
static int check_channel(const struct world *w, uint32_t c, struct holders *h, struct text *out)
{
    const struct channel *ch = &w->channels[c];
    int broken = 0;
    for (int e = 0; e < 2; e++) {
        const struct endpoint *ep = &ch->ends[e];
        uint32_t id = c * 2 + (uint32_t)e;
        char name[48];
        h->endpoint[id][REF_OTHER] += ep->orphaned_refs; /* lost by the leak bug */
        for (int k = 0; k < REF_CLASS_COUNT; k++)
            if (ep->refs[k] != h->endpoint[id][k]) {
                text_printf(out, "%s: %" PRIu32 " references of class %d but %" PRIu32
                                 " holders\n",
                            chan_endpoint_name(id, name), ep->refs[k], k, h->endpoint[id][k]);
                broken = 1;
            }
        if (!ch->live && (ep->refs[0] || ep->refs[1] || ep->refs[2] || ep->queue_count)) {
            text_printf(out, "%s: a free slot with references or messages\n",
                        chan_endpoint_name(id, name));
            broken = 1;
        }
        if (ch->live && ep->state == ENDPOINT_OPEN && chan_endpoint_refs(ep, 0) == 0) {
            text_printf(out, "%s: open with no references\n", chan_endpoint_name(id, name));
            broken = 1;
        }
        if (ep->queue_count > w->queue_depth) {
            text_printf(out, "%s: %" PRIu32 " queued, depth %" PRIu32 "\n",
                        chan_endpoint_name(id, name), ep->queue_count, w->queue_depth);
            broken = 1;
        }
        broken |= check_queued_bytes(w, ch, ep, id, out);
    }
    if (ch->live && ch->ends[0].state == ENDPOINT_CLOSED && ch->ends[1].state == ENDPOINT_CLOSED) {
        text_printf(out, "channel %" PRIu32 ": both ends closed but the slot is held\n", c);
        broken = 1;
    }
    return broken;
}

/* The channel table and the ports against their holders and their counts. */
static int check_channels_and_ports(const struct world *w, struct holders *h, struct text *out)
{
    int broken = 0;
    uint32_t live = 0;
    for (uint32_t c = 0; c < w->max_channels; c++) {
        live += w->channels[c].live;
        broken |= check_channel(w, c, h, out);
    }
    if (live != w->channels_live) {
        text_printf(out, "channels: %" PRIu32 " slots counted in use, %" PRIu32 " live\n",
                    w->channels_live, live);
        broken = 1;
    }
    uint32_t ports = 0;
    for (uint32_t p = 0; p < w->max_ports; p++) {
        ports += w->ports[p].live;
        h->port[p] += w->ports[p].orphaned_refs; /* lost by the leak bug */
        if (w->ports[p].live && port_check(w, p, out) != 0)
            broken = 1;
        if (w->ports[p].refs != h->port[p]) {
            text_printf(out, "port %" PRIu32 ": %" PRIu32 " references, %" PRIu32 " holders\n", p,
                        w->ports[p].refs, h->port[p]);
            broken = 1;
        }
    }
    if (ports != w->ports_live) {
        text_printf(out, "ports: %" PRIu32 " counted, %" PRIu32 " live\n", w->ports_live, ports);
        broken = 1;
    }
    return broken;
}

/* Whether handle hd names an object that no longer exists (or, for an endpoint
 * handle, one that is no longer open). */
static int handle_dangles(const struct world *w, const struct handle *hd)
{
    if (hd->kind == HANDLE_PORT)
        return hd->object >= w->max_ports || !w->ports[hd->object].live;
    return hd->object >= w->max_channels * 2 || !w->channels[hd->object / 2].live ||
           (hd->kind == HANDLE_ENDPOINT &&
            w->channels[hd->object / 2].ends[hd->object % 2].state != ENDPOINT_OPEN);
}

/* One process slot in use: its handles name live objects, its counts agree, a
 * zombie holds nothing (but under the release-at-reap bug), its pid finds it. */
static int check_proc(const struct world *w, uint32_t slot, struct text *out)
{
    const struct proc *proc = &w->procs[slot];
    int broken = 0;
    uint32_t handles = 0;
    for (uint32_t i = 0; i < w->max_handles; i++) {
        const struct handle *hd = &proc->handles[i];
        if (hd->kind == HANDLE_FREE)
            continue;
        handles++;
        if (handle_dangles(w, hd)) {
            text_printf(out, "pid %" PRIu32 " handle %" PRIu32 " names a dead object\n",
                        proc->pid, i);
            broken = 1;
        }
    }
    if (proc->handle_count > proc->handle_limit) {
        text_printf(out, "pid %" PRIu32 ": %" PRIu32 " handles, above its limit %" PRIu32 "\n",
                    proc->pid, proc->handle_count, proc->handle_limit);
        broken = 1;
    }
    if (handles != proc->handle_count) {
        text_printf(out, "pid %" PRIu32 ": handle_count %" PRIu32 " but %" PRIu32 " open\n",
                    proc->pid, proc->handle_count, handles);
        broken = 1;
    }
    if (proc->state == PROC_ZOMBIE && handles && !proc->kept_handles) {
        text_printf(out, "pid %" PRIu32 ": a zombie with %" PRIu32 " open handles\n",
                    proc->pid, handles);
        broken = 1;
    }
    const uint32_t *at = idarray_get(&w->slot_by_pid, proc->pid);
    if (!at || *at != slot + 1) {
        text_printf(out, "pid %" PRIu32 ": not found at its slot\n", proc->pid);
        broken = 1;
    }
    return broken;
}

/* The process table, its count and the slot-fault ceilings. */
static int check_procs(const struct world *w, struct text *out)
{
    int broken = 0;
    uint32_t procs = 0;
    for (uint32_t p = 0; p < w->max_procs; p++) {
        if (w->procs[p].state == PROC_FREE)
            continue;
        procs++;
        broken |= check_proc(w, p, out);
    }
    if (w->channels_live > w->channel_ceiling || w->procs_live > w->proc_ceiling) {
        text_printf(out, "slot faults: %" PRIu32 " channels in use, ceiling %" PRIu32 "; %" PRIu32
                         " processes, ceiling %" PRIu32 "\n",
                    w->channels_live, w->channel_ceiling, w->procs_live, w->proc_ceiling);
        broken = 1;
    }
    if (procs != w->procs_live) {
        text_printf(out, "procs: %" PRIu32 " counted, %" PRIu32 " in use\n", w->procs_live, procs);
        broken = 1;
    }
    return broken;
}

int world_check(const struct world *w, struct text *out)
{
    int broken = heap_check(&w->heap, out) != 0;
    struct holders h = {0};
    if (count_holders(w, &h) != 0) {
        free(h.endpoint);
        free(h.port);
        return -ENOMEM; /* the harness's memory: nothing is known to be broken */
    }
    broken |= check_channels_and_ports(w, &h, out);
    broken |= check_procs(w, out);
    free(h.endpoint);
    free(h.port);
    return broken ? -1 : 0;
}

/* ---- the leak audit -------------------------------------------------------------- */

static const char *ref_class_name(int k)
{
    return k == REF_HANDLE ? "handle" : k == REF_FD ? "bridged fd" : "in flight";
}

static void write_holders(const struct world *w, uint32_t endpoint, struct text *out)
{
    for (uint32_t p = 0; p < w->max_procs; p++) {
        const struct proc *proc = &w->procs[p];
        if (proc->state == PROC_FREE)
            continue;
        for (uint32_t i = 0; i < w->max_handles; i++)
            if ((proc->handles[i].kind == HANDLE_ENDPOINT ||
                 proc->handles[i].kind == HANDLE_ENDPOINT_FD) &&
                proc->handles[i].object == endpoint)
                text_printf(out, "      held by pid %" PRIu32 " \"%s\"%s, handle %" PRIu32 "%s\n",
                            proc->pid, proc->name, proc->state == PROC_ZOMBIE ? " (zombie)" : "",
                            i, proc->handles[i].kind == HANDLE_ENDPOINT_FD ? " (bridged fd)" : "");
    }
    for (uint32_t c = 0; c < w->max_channels; c++)
        for (int e = 0; e < 2; e++) {
            const struct endpoint *ep = &w->channels[c].ends[e];
            for (uint32_t q = 0; q < ep->queue_count; q++) {
                const struct message *m = &ep->queue[(ep->queue_head + q) % w->queue_depth];
                for (uint32_t k = 0; k < m->handle_count; k++)
                    if (m->handles[k].kind != HANDLE_PORT && m->handles[k].object == endpoint) {
                        char name[48];
                        text_printf(out, "      carried by a message stranded in the queue of %s\n",
                                    chan_endpoint_name(c * 2 + (uint32_t)e, name));
                    }
            }
        }
}

/* Every channel still holding a slot, each end with its references, holders and
 * reference history. Returns how many. */
static uint32_t audit_channels(const struct world *w, struct text *out)
{
    uint32_t leaks = 0;
    for (uint32_t c = 0; c < w->max_channels; c++) {
        const struct channel *ch = &w->channels[c];
        if (!ch->live)
            continue;
        leaks++;
        text_printf(out, "  channel %" PRIu32 " still holds a slot (created by pid %" PRIu32
                         " at step %" PRIu64 ")\n",
                    c, ch->creator, ch->created_step);
        for (int e = 0; e < 2; e++) {
            const struct endpoint *ep = &ch->ends[e];
            uint32_t id = c * 2 + (uint32_t)e;
            char name[48];
            text_printf(out, "    %s: %s", chan_endpoint_name(id, name),
                        ep->state == ENDPOINT_OPEN ? "open" : ep->state == ENDPOINT_CLOSING ? "closing" : "closed");
            for (int k = 0; k < REF_CLASS_COUNT; k++)
                if (ep->refs[k])
                    text_printf(out, ", %" PRIu32 " %s reference%s", ep->refs[k], ref_class_name(k),
                                ep->refs[k] == 1 ? "" : "s");
            if (ch->pipe)
                text_printf(out, ", %" PRIu64 " bytes queued (a pipe)\n", ep->queued_bytes);
            else
                text_printf(out, ", %" PRIu32 " queued\n", ep->queue_count);
            if (ep->orphaned_refs)
                text_printf(out, "      %" PRIu32 " in-flight reference%s lost with a destroyed "
                                 "message, never released\n",
                            ep->orphaned_refs, ep->orphaned_refs == 1 ? "" : "s");
            write_holders(w, id, out);
            chan_write_history(ep, out, "      ");
        }
    }
    return leaks;
}

/* Every port still existing. Returns how many. */
static uint32_t audit_ports(const struct world *w, struct text *out)
{
    uint32_t leaks = 0;
    for (uint32_t p = 0; p < w->max_ports; p++)
        if (w->ports[p].live) {
            leaks++;
            text_printf(out, "  port %" PRIu32 " still exists (created by pid %" PRIu32
                             " at step %" PRIu64 "), %" PRIu32 " endpoint%s bound\n",
                        p, w->ports[p].creator, w->ports[p].created_step, w->ports[p].bound,
                        w->ports[p].bound == 1 ? "" : "s");
            if (w->ports[p].orphaned_refs)
                text_printf(out, "    %" PRIu32 " reference%s lost with a destroyed message, "
                                 "never released\n",
                            w->ports[p].orphaned_refs, w->ports[p].orphaned_refs == 1 ? "" : "s");
        }
    return leaks;
}

/* Every process left (alive or an unreaped zombie), then init if it holds handles.
 * Returns how many. */
static uint32_t audit_procs(const struct world *w, struct text *out)
{
    uint32_t leaks = 0;
    for (uint32_t p = 0; p < w->max_procs; p++) {
        const struct proc *proc = &w->procs[p];
        if (proc->state == PROC_FREE || proc->daemon)
            continue;
        leaks++;
        text_printf(out, "  pid %" PRIu32 " \"%s\" is %s (parent pid %" PRIu32 ")", proc->pid,
                    proc->name, proc->state == PROC_ZOMBIE ? "a zombie nobody reaped" : "still alive",
                    proc->parent);
        if (proc->handle_count)
            text_printf(out, ", holding %" PRIu32 " handle%s", proc->handle_count,
                        proc->handle_count == 1 ? "" : "s");
        text_printf(out, "\n");
    }
    for (uint32_t p = 0; p < w->max_procs; p++) {
        const struct proc *proc = &w->procs[p];
        if (proc->state != PROC_FREE && proc->daemon && proc->handle_count) {
            leaks++;
            text_printf(out, "  pid %" PRIu32 " \"%s\" holds %" PRIu32 " handle%s\n", proc->pid,
                        proc->name, proc->handle_count, proc->handle_count == 1 ? "" : "s");
        }
    }
    return leaks;
}

/* Every heap block still live, but the reserve and init's own process struct.
 * Returns how many. */
static uint32_t audit_heap(const struct world *w, struct text *out)
{
    uint32_t leaks = 0;
    for (uint64_t id = idarray_next(&w->heap.blocks, 1); id <= w->heap.block_count;
         id = idarray_next(&w->heap.blocks, id + 1)) {
        const struct heap_block *block = heap_block(&w->heap, (uint32_t)id);
        if (!block || id == w->heap.reserve_block)
            continue;
        const struct proc *owner = proc_get(w, block->owner_pid);
        if (owner && owner->daemon && strcmp(block->tag, "proc") == 0)
            continue; /* init's own process struct */
        leaks++;
        text_printf(out, "  heap block %" PRIu64 ": %" PRIu64 " bytes tagged %s, owner pid %" PRIu32
                         ", made at step %" PRIu64 "\n",
                    id, block->bytes, block->tag, block->owner_pid, block->step);
    }
    return leaks;
}

uint32_t world_audit(const struct world *w, struct text *out)
{
    uint32_t leaks = audit_channels(w, out);
    leaks += audit_ports(w, out);
    leaks += audit_procs(w, out);
    leaks += audit_heap(w, out);
    return leaks;
}

/* The name of process pid for a signature: its name, or what it is when gone. */
static const char *owner_name(const struct world *w, uint32_t pid)
{
    const struct proc *p = proc_get(w, pid);
    return p && p->state != PROC_FREE ? p->name : "(exited)";
}

void world_leak_shape(const struct world *w, struct text *out)
{
    for (uint32_t c = 0; c < w->max_channels; c++)
        if (w->channels[c].live)
            text_printf(out, "a channel created by \"%s\"\n",
                        owner_name(w, w->channels[c].creator));
    for (uint32_t p = 0; p < w->max_ports; p++)
        if (w->ports[p].live)
            text_printf(out, "a port created by \"%s\"\n", owner_name(w, w->ports[p].creator));
    for (uint32_t p = 0; p < w->max_procs; p++) {
        const struct proc *proc = &w->procs[p];
        if (proc->state == PROC_FREE || (proc->daemon && !proc->handle_count))
            continue;
        text_printf(out, "a process \"%s\" %s\n", proc->name,
                    proc->daemon ? "holding handles"
                    : proc->state == PROC_ZOMBIE ? "left a zombie" : "still alive");
    }
    for (uint64_t id = idarray_next(&w->heap.blocks, 1); id <= w->heap.block_count;
         id = idarray_next(&w->heap.blocks, id + 1)) {
        const struct heap_block *block = heap_block(&w->heap, (uint32_t)id);
        if (!block || id == w->heap.reserve_block)
            continue;
        const struct proc *owner = proc_get(w, block->owner_pid);
        if (owner && owner->daemon && strcmp(block->tag, "proc") == 0)
            continue; /* init's own process struct, as the audit skips it */
        text_printf(out, "a heap block %s of \"%s\"\n", block->tag,
                    owner_name(w, block->owner_pid));
    }
}
