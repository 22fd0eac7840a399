/* chan — the channel table, endpoints and message queues (003_...); see world.h.
 *
 * An endpoint lives while it has liveness references: handles, bridged fds, and
 * messages carrying it in flight, each counted by owner class. Dropping the last one
 * tears the endpoint down, OPEN -> CLOSING -> CLOSED: its undelivered messages are
 * destroyed (releasing the handles they carry), its waiters and the peer's are woken
 * (the peer's readers see EOF once they drain, its senders -EPIPE), and the peer's
 * port hears PEER_CLOSED; the end leaves its own port. The slot is freed when both ends are closed and
 * unreferenced. With close_reset (Linux's SOCK_SEQPACKET), an end that dies with
 * messages unread resets its peer: the peer's next receive or send fails with
 * -ECONNRESET once, before anything it has queued; then EOF and -EPIPE as usual. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"
#include "util/assert.h"

struct endpoint *chan_endpoint(const struct world *w, uint32_t endpoint)
{
    ASSERT(endpoint < w->max_channels * 2);
    return &w->channels[endpoint / 2].ends[endpoint % 2];
}

uint32_t chan_endpoint_refs(const struct endpoint *e, int handles_only)
{
    return e->refs[REF_HANDLE] + e->refs[REF_OTHER] + (handles_only ? 0 : e->refs[REF_FD]);
}

const char *chan_endpoint_name(uint32_t endpoint, char buf[48])
{
    snprintf(buf, 48, "channel %" PRIu32 " end %c", endpoint / 2, endpoint % 2 ? 'B' : 'A');
    return buf;
}

static void history_add(struct world *w, struct endpoint *e, enum ref_event_kind kind,
                        enum ref_class owner)
{
    e->history[e->history_count % ENDPOINT_HISTORY_MAX] =
        (struct ref_event){(uint8_t)kind, (uint8_t)owner, w->current, w->step};
    e->history_count++;
}

void chan_write_history(const struct endpoint *e, struct text *out, const char *indent)
{
    static const char *const kinds[] = {"init", "get", "put", "last put"};
    static const char *const owners[] = {"handle", "bridged fd", "in flight"};
    uint32_t first = e->history_count > ENDPOINT_HISTORY_MAX
                         ? e->history_count - ENDPOINT_HISTORY_MAX
                         : 0;
    if (first)
        text_printf(out, "%s(%" PRIu32 " earlier reference events not kept)\n", indent, first);
    for (uint32_t i = first; i < e->history_count; i++) {
        const struct ref_event *r = &e->history[i % ENDPOINT_HISTORY_MAX];
        text_printf(out, "%sstep %-6" PRIu64 " pid %-4" PRIu32 " %-8s %s\n", indent, r->step,
                    r->pid, kinds[r->kind], owners[r->owner]);
    }
}

static int resolve(const struct world *w, uint32_t pid, uint32_t handle, uint32_t *endpoint)
{
    const struct proc *p = proc_get(w, pid);
    if (!p || handle >= w->max_handles)
        return -EBADF;
    const struct handle *h = &p->handles[handle];
    if (h->kind != HANDLE_ENDPOINT && h->kind != HANDLE_ENDPOINT_FD)
        return -EBADF;
    *endpoint = h->object;
    return 0;
}

static void release_carried(struct world *w, struct message *m)
{
    ASSERT(m->handle_count <= MESSAGE_HANDLES_MAX);
    for (uint32_t k = 0; k < m->handle_count; k++) {
        const struct handle *h = &m->handles[k];
        if (w->bug_leak_undelivered_handles) {
            if (h->kind == HANDLE_PORT)
                w->ports[h->object].orphaned_refs++;
            else
                chan_endpoint(w, h->object)->orphaned_refs++;
            continue; /* the bug: the reference is never dropped */
        }
        if (h->kind == HANDLE_PORT)
            port_put(w, h->object);
        else
            chan_ref_put(w, h->object, REF_OTHER);
    }
    m->handle_count = 0;
}

static void maybe_free_slot(struct world *w, uint32_t channel)
{
    struct channel *ch = &w->channels[channel];
    ASSERT(ch->live);
    for (int e = 0; e < 2; e++)
        if (ch->ends[e].state != ENDPOINT_CLOSED || chan_endpoint_refs(&ch->ends[e], 0))
            return;
    ASSERT(w->channels_live > 0);
    heap_free(&w->heap, ch->heap_block);
    struct proc *creator = proc_get(w, ch->creator);
    if (creator && creator->channels_live)
        creator->channels_live--;
    ch->live = 0;
    w->channels_live--;
}

static void teardown(struct world *w, uint32_t endpoint)
{
    struct endpoint *e = chan_endpoint(w, endpoint);
    struct endpoint *peer = chan_endpoint(w, endpoint ^ 1);
    ASSERT(e->state == ENDPOINT_OPEN);
    e->state = ENDPOINT_CLOSING;
    if (w->close_reset && e->queue_count && !w->channels[endpoint / 2].pipe &&
        peer->state == ENDPOINT_OPEN)
        peer->reset_pending = 1; /* unix_release_sock: skpair->sk_err = ECONNRESET */
    /* Undelivered messages die here; what they carry is released (unless the bug). */
    while (e->queue_count) {
        struct message *m = &e->queue[e->queue_head];
        e->queue_head = (e->queue_head + 1) % w->queue_depth;
        e->queue_count--;
        if (m->heap_block)
            heap_free(&w->heap, m->heap_block);
        release_carried(w, m);
    }
    e->queued_bytes = 0; /* a pipe's bytes die with it too */
    world_wake(w, &e->readers, WAITQ_WAKE_CLOSE);
    world_wake(w, &e->writers, WAITQ_WAKE_CLOSE);
    if (!w->bug_close_no_wake) {
        world_wake(w, &peer->readers, WAITQ_WAKE_HUP);
        world_wake(w, &peer->writers, WAITQ_WAKE_HUP);
    }
    if (peer->state == ENDPOINT_OPEN)
        port_notify(w, endpoint ^ 1, WAITQ_WAKE_HUP);
    port_detach(w, endpoint);
    ASSERT(e->state == ENDPOINT_CLOSING && e->queue_count == 0);
    e->state = ENDPOINT_CLOSED;
}

void chan_ref_get(struct world *w, uint32_t endpoint, enum ref_class owner)
{
    struct endpoint *e = chan_endpoint(w, endpoint);
    ASSERT(w->channels[endpoint / 2].live);
    ASSERT((unsigned)owner < REF_CLASS_COUNT);
    e->refs[owner]++;
    history_add(w, e, REF_GET, owner);
}

void chan_ref_put(struct world *w, uint32_t endpoint, enum ref_class owner)
{
    struct endpoint *e = chan_endpoint(w, endpoint);
    ASSERT(w->channels[endpoint / 2].live);
    ASSERT(e->refs[owner] > 0);
    e->refs[owner]--;
    int last = e->state == ENDPOINT_OPEN &&
               chan_endpoint_refs(e, w->bug_liveness_handles_only) == 0;
    history_add(w, e, last ? REF_LAST_PUT : REF_PUT, owner);
    if (last)
        teardown(w, endpoint);
    if (e->state == ENDPOINT_CLOSED)
        maybe_free_slot(w, endpoint / 2);
}

/* The name of an endpoint's queues, made when a trace or report asks. */
static void queue_name(const struct waitq *wq, char *name)
{
    char endpoint[48];
    text_copy(name, WAITQ_NAME_BYTES, chan_endpoint_name((uint32_t)wq->owner_id, endpoint));
}

/* Readies the two ends of the channel in slot for pid: queues, wait queues, one
 * handle each in pid's table (which has room). */
static void open_endpoints(struct world *w, uint32_t slot, uint32_t pid, uint32_t ends[2])
{
    struct channel *ch = &w->channels[slot];
    for (uint32_t e = 0; e < 2; e++) {
        struct endpoint *ep = &ch->ends[e];
        struct message *queue = ep->queue;
        world_waitq_retire(w, &ep->readers); /* the queues of the slot's last channel */
        world_waitq_retire(w, &ep->writers);
        *ep = (struct endpoint){0};
        ep->queue = queue;
        uint32_t id = slot * 2 + e;
        world_waitq_init(w, &ep->readers, "channel", NULL);
        world_waitq_init(w, &ep->writers, "channel", NULL);
        ep->readers.name_of = ep->writers.name_of = queue_name;
        ep->readers.owner = ep->writers.owner = w;
        ep->readers.owner_id = ep->writers.owner_id = id;
        ep->readers.holders = chan_readers_holders;
        ep->writers.holders = chan_writers_holders;
        ep->readers.describe = ep->writers.describe = chan_describe;
        ep->refs[REF_HANDLE] = 1;
        history_add(w, ep, REF_INIT, REF_HANDLE);
        int index = proc_install_handle(w, pid, (struct handle){HANDLE_ENDPOINT, 0, id});
        ASSERT(index >= 0); /* proc_handle_room said there was room for two */
        ends[e] = (uint32_t)index;
    }
}

static int create(struct world *w, uint32_t pid, uint32_t ends[2], int pipe)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -EBADF;
    if (w->per_proc_channel_limit && p->channels_live >= w->per_proc_channel_limit)
        return -EMFILE;
    uint32_t slot = 0;
    while (slot < w->max_channels && w->channels[slot].live)
        slot++;
    /* A slots/channels fault holds every slot above the ceiling: the table is full. */
    int taken = slot < w->max_channels && w->channels_live >= w->channel_ceiling;
    if (slot == w->max_channels || taken) {
        char line[128];
        snprintf(line, sizeof line, "[ipc] channel_create_pair: all %" PRIu32 " slots exhausted",
                 w->max_channels);
        world_console(w, line);
        if (taken)
            fault_plan_record(w->faults, FAULT_SLOTS_CHANNELS);
        return -ENFILE;
    }
    int room = proc_handle_room(w, p, 2);
    if (room != 0)
        return room;
    FAULT_RETURN_ON(FAULT_CHAN_CREATE);
    int64_t block = heap_try_alloc(&w->heap, w->channel_bytes, "chan", pid, w->step, 0);
    if (block < 0)
        return -ENOMEM;
    struct channel *ch = &w->channels[slot];
    for (int e = 0; e < 2; e++) {
        if (ch->ends[e].queue)
            continue; /* kept from an earlier use of the slot */
        ch->ends[e].queue = malloc(w->queue_depth * sizeof(struct message));
        if (!ch->ends[e].queue) {
            heap_free(&w->heap, (uint32_t)block);
            w->out_of_memory = 1; /* the harness's own memory, not the model heap */
            return -ENOMEM;
        }
    }
    ch->live = 1;
    ch->pipe = (uint8_t)(pipe != 0);
    ch->creator = pid;
    ch->created_step = w->step;
    ch->heap_block = (uint32_t)block;
    open_endpoints(w, slot, pid, ends);
    ASSERT(w->channels_live < w->max_channels);
    p->channels_live++;
    w->channels_live++;
    if (w->channels_live > w->channels_peak) {
        w->channels_peak = w->channels_live;
        w->channels_peak_step = w->step;
    }
    return 0;
}

int chan_create(struct world *w, uint32_t pid, uint32_t ends[2])
{
    return create(w, pid, ends, 0);
}

int chan_create_pipe(struct world *w, uint32_t pid, uint32_t ends[2])
{
    return create(w, pid, ends, 1);
}

/* Whether carried[0..count) may travel in a message sent on handle: open handles
 * of p, none twice, not the sending end itself. Returns 0, -EBADF or -EINVAL. */
static int check_carried(const struct world *w, const struct proc *p, uint32_t handle,
                         const uint32_t *carried, uint32_t count)
{
    if (count > MESSAGE_HANDLES_MAX)
        return -EINVAL;
    for (uint32_t k = 0; k < count; k++) {
        if (carried[k] >= w->max_handles || p->handles[carried[k]].kind == HANDLE_FREE)
            return -EBADF;
        if (carried[k] == handle)
            return -EINVAL;
        const struct handle *h = &p->handles[carried[k]];
        if (h->kind != HANDLE_PORT && chan_endpoint(w, h->object)->state != ENDPOINT_OPEN)
            return -EBADF; /* a bridged fd onto a torn-down endpoint cannot travel */
        for (uint32_t j = 0; j < k; j++)
            if (carried[j] == carried[k])
                return -EINVAL;
    }
    return 0;
}

/* Puts p's handles carried[0..count) into message m, each as an in-flight
 * reference (a bridged fd travels as a plain handle onto its endpoint). Copy
 * (handle_transfer=copy, SCM_RIGHTS): the sender keeps its handles. Move
 * (handle_transfer=move, 003's KRIGHT_TRANSFER): they leave its table. */
static void attach_carried(struct world *w, struct proc *p, struct message *m,
                           const uint32_t *carried, uint32_t count)
{
    int move = w->handle_transfer_move;
    ASSERT(count <= MESSAGE_HANDLES_MAX && m->handle_count == count);
    for (uint32_t k = 0; k < count; k++) {
        struct handle h = p->handles[carried[k]];
        if (move) {
            p->handles[carried[k]] = (struct handle){0};
            p->handle_count--;
        }
        h.cloexec = 0;
        m->handles[k] = h;
        if (h.kind == HANDLE_PORT) {
            if (!move)
                w->ports[h.object].refs++; /* moved: the sender's reference travels */
            continue;
        }
        m->handles[k].kind = HANDLE_ENDPOINT;
        chan_ref_get(w, h.object, REF_OTHER);
        if (move)
            chan_ref_put(w, h.object, h.kind == HANDLE_ENDPOINT_FD ? REF_FD : REF_HANDLE);
    }
}

/* Installs message m's handles in pid's table, into out. Move: there is room for
 * all (the caller checked). Copy: as many as there is room for; the rest are
 * released and out->truncated is set, as Linux sets MSG_CTRUNC and closes them. */
static void install_carried(struct world *w, struct proc *p, const struct message *m,
                            struct chan_received *out)
{
    for (uint32_t k = 0; k < m->handle_count; k++) {
        struct handle h = m->handles[k];
        if (!w->handle_transfer_move && proc_handle_room(w, p, 1) != 0) {
            if (h.kind == HANDLE_PORT)
                port_put(w, h.object);
            else
                chan_ref_put(w, h.object, REF_OTHER);
            out->truncated = 1;
            continue;
        }
        int index = proc_install_handle(w, p->pid, h);
        ASSERT(index >= 0); /* there was room */
        out->handles[out->handle_count++] = (uint32_t)index;
        if (h.kind != HANDLE_PORT) {
            chan_ref_get(w, h.object, REF_HANDLE);
            chan_ref_put(w, h.object, REF_OTHER);
        }
    }
    ASSERT(out->handle_count <= m->handle_count);
}

int chan_send(struct world *w, uint32_t pid, uint32_t handle, uint64_t bytes,
              const uint32_t *carried, uint32_t count, int nonblocking)
{
    uint32_t endpoint;
    if (resolve(w, pid, handle, &endpoint) != 0)
        return -EBADF;
    struct proc *p = proc_get(w, pid);
    int bad = w->channels[endpoint / 2].pipe ? -EINVAL
                                              : check_carried(w, p, handle, carried, count);
    if (bad)
        return bad;
    struct endpoint *e = chan_endpoint(w, endpoint);
    struct endpoint *peer = chan_endpoint(w, endpoint ^ 1);
    if (e->reset_pending) {
        e->reset_pending = 0; /* the socket error is reported once */
        return -ECONNRESET;
    }
    if (e->state != ENDPOINT_OPEN || peer->state != ENDPOINT_OPEN)
        return -EPIPE;
    if (bytes > w->queue_bytes)
        return -EMSGSIZE; /* it could never fit */
    if (peer->queue_count == w->queue_depth || bytes > w->queue_bytes - peer->queued_bytes) {
        if (nonblocking)
            return -EAGAIN;
        w->block_on = &peer->writers;
        return MODEL_WOULD_BLOCK;
    }
    uint32_t block = 0;
    if (bytes > w->inline_msg_bytes) {
        FAULT_RETURN_ON(FAULT_CHAN_SEND);
        int64_t id = heap_try_alloc(&w->heap, bytes, "msg", pid, w->step, 0);
        if (id < 0)
            return -ENOMEM;
        block = (uint32_t)id;
    }
    ASSERT(peer->queue_count < w->queue_depth);
    struct message *m = &peer->queue[(peer->queue_head + peer->queue_count) % w->queue_depth];
    *m = (struct message){bytes, block, pid, count, {{0}}};
    attach_carried(w, p, m, carried, count);
    peer->queue_count++;
    peer->queued_bytes += bytes;
    world_wake(w, &peer->readers, WAITQ_WAKE_DATA);
    port_notify(w, endpoint ^ 1, WAITQ_WAKE_DATA);
    return 0;
}

int chan_recv(struct world *w, uint32_t pid, uint32_t handle, struct chan_received *out,
              int nonblocking)
{
    uint32_t endpoint;
    if (resolve(w, pid, handle, &endpoint) != 0)
        return -EBADF;
    struct proc *p = proc_get(w, pid);
    struct endpoint *e = chan_endpoint(w, endpoint);
    struct endpoint *peer = chan_endpoint(w, endpoint ^ 1);
    *out = (struct chan_received){0};
    if (w->channels[endpoint / 2].pipe)
        return -EINVAL;
    if (e->reset_pending) {
        e->reset_pending = 0; /* before what is queued, as sock_error comes first */
        return -ECONNRESET;
    }
    if (e->queue_count == 0) {
        if (e->state != ENDPOINT_OPEN || peer->state != ENDPOINT_OPEN) {
            out->eof = 1;
            return 0;
        }
        if (nonblocking)
            return -EAGAIN;
        w->block_on = &e->readers;
        return MODEL_WOULD_BLOCK;
    }
    ASSERT(e->state == ENDPOINT_OPEN && e->queue_count <= w->queue_depth);
    struct message *m = &e->queue[e->queue_head];
    if (w->handle_transfer_move) {
        int room = proc_handle_room(w, p, m->handle_count);
        if (room != 0)
            return room; /* the message stays queued */
    }
    out->bytes = m->bytes;
    out->sender = m->sender;
    install_carried(w, p, m, out);
    if (m->heap_block)
        heap_free(&w->heap, m->heap_block);
    ASSERT(e->queued_bytes >= m->bytes);
    e->queued_bytes -= m->bytes;
    e->queue_head = (e->queue_head + 1) % w->queue_depth;
    e->queue_count--;
    world_wake(w, &e->writers, WAITQ_WAKE_DATA);
    return 0;
}

/* The pipe end behind handle, which must be the reading end (read) or the writing
 * one (!read). Returns 0 with *endpoint set, or -EBADF (as read(2) on a write end),
 * or -EINVAL (a message channel: send and receive on those). */
static int resolve_pipe(const struct world *w, uint32_t pid, uint32_t handle, int read,
                        uint32_t *endpoint)
{
    if (resolve(w, pid, handle, endpoint) != 0)
        return -EBADF;
    if (!w->channels[*endpoint / 2].pipe)
        return -EINVAL;
    return (*endpoint % 2 == 0) == (read != 0) ? 0 : -EBADF;
}

int chan_write(struct world *w, uint32_t pid, uint32_t handle, uint64_t bytes,
               uint64_t *written, int nonblocking)
{
    uint32_t endpoint;
    int bad = resolve_pipe(w, pid, handle, 0, &endpoint);
    if (bad)
        return bad;
    struct endpoint *reader = chan_endpoint(w, endpoint ^ 1);
    ASSERT(*written <= bytes);
    if (reader->state != ENDPOINT_OPEN) {
        if (proc_signal(w, pid, SIG_PIPE) == 0)
            world_interrupt(w, pid);
        return -EPIPE; /* the caller keeps what *written says went before */
    }
    ASSERT(reader->queued_bytes <= w->queue_bytes);
    uint64_t room = w->queue_bytes - reader->queued_bytes, left = bytes - *written;
    /* Up to PIPE_BUF bytes go in at once or not at all; a longer write takes what
     * fits and waits for room for the rest. */
    if (left && (room == 0 || (bytes <= CHAN_PIPE_BUF && room < left))) {
        if (nonblocking)
            return *written ? 0 : -EAGAIN;
        w->block_on = &reader->writers;
        return *written ? MODEL_WOULD_BLOCK_PARTIAL : MODEL_WOULD_BLOCK;
    }
    uint64_t n = left < room ? left : room;
    reader->queued_bytes += n;
    *written += n;
    if (n) {
        world_wake(w, &reader->readers, WAITQ_WAKE_DATA);
        port_notify(w, endpoint ^ 1, WAITQ_WAKE_DATA);
    }
    if (*written == bytes || nonblocking)
        return 0;
    w->block_on = &reader->writers;
    return MODEL_WOULD_BLOCK_PARTIAL;
}

int chan_read(struct world *w, uint32_t pid, uint32_t handle, uint64_t max_bytes,
              uint64_t *got, int nonblocking)
{
    uint32_t endpoint;
    int bad = resolve_pipe(w, pid, handle, 1, &endpoint);
    if (bad)
        return bad;
    struct endpoint *e = chan_endpoint(w, endpoint);
    *got = 0;
    if (e->queued_bytes == 0 && max_bytes) {
        if (chan_endpoint(w, endpoint ^ 1)->state != ENDPOINT_OPEN)
            return 0; /* end of file */
        if (nonblocking)
            return -EAGAIN;
        w->block_on = &e->readers;
        return MODEL_WOULD_BLOCK;
    }
    *got = max_bytes < e->queued_bytes ? max_bytes : e->queued_bytes;
    ASSERT(*got <= max_bytes && *got <= e->queued_bytes);
    e->queued_bytes -= *got;
    if (*got)
        world_wake(w, &e->writers, WAITQ_WAKE_DATA);
    return 0;
}

int chan_fd_from_handle(struct world *w, uint32_t pid, uint32_t handle)
{
    struct proc *p = proc_get(w, pid);
    if (!p || handle >= w->max_handles || p->handles[handle].kind != HANDLE_ENDPOINT)
        return -EBADF;
    uint32_t endpoint = p->handles[handle].object;
    if (w->channels[endpoint / 2].pipe)
        return -EINVAL; /* a pipe end is an fd already */
    if (chan_endpoint(w, endpoint)->state != ENDPOINT_OPEN)
        return -EBADF;
    int room = proc_handle_room(w, p, 1);
    if (room != 0)
        return room;
    FAULT_RETURN_ON(FAULT_CHAN_FD);
    int index = proc_install_handle(w, pid, (struct handle){HANDLE_ENDPOINT_FD, 0, endpoint});
    if (index >= 0)
        chan_ref_get(w, endpoint, REF_FD);
    return index;
}

/* ---- for hang reports -------------------------------------------------------------- */

uint32_t chan_holder_pids(const struct world *w, uint32_t endpoint, uint32_t *pids,
                          uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < w->max_procs && n < max; s++) {
        const struct proc *p = &w->procs[s];
        if (p->state == PROC_FREE)
            continue;
        for (uint32_t i = 0; i < w->max_handles; i++)
            if ((p->handles[i].kind == HANDLE_ENDPOINT || p->handles[i].kind == HANDLE_ENDPOINT_FD) &&
                p->handles[i].object == endpoint) {
                pids[n++] = p->pid;
                break;
            }
    }
    return n;
}

/* The processes holding a handle or a bridged fd onto endpoint, each counted once. */
static uint32_t holder_count(const struct world *w, uint32_t endpoint)
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < w->max_procs; s++) {
        const struct proc *p = &w->procs[s];
        if (p->state == PROC_FREE)
            continue;
        for (uint32_t i = 0; i < w->max_handles; i++)
            if ((p->handles[i].kind == HANDLE_ENDPOINT || p->handles[i].kind == HANDLE_ENDPOINT_FD) &&
                p->handles[i].object == endpoint) {
                n++;
                break;
            }
    }
    return n;
}

uint32_t chan_readers_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation)
{
    *relation = ": its peer end, which could send or close, is held by";
    return chan_holder_pids(wq->owner, (uint32_t)wq->owner_id ^ 1, pids, max);
}

uint32_t chan_writers_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation)
{
    *relation = ": its queue is full; this end, which could drain it, is held by";
    return chan_holder_pids(wq->owner, (uint32_t)wq->owner_id, pids, max);
}

void chan_describe(const struct waitq *wq, struct text *out)
{
    const struct world *w = wq->owner;
    uint32_t id = (uint32_t)wq->owner_id;
    const struct endpoint *e = chan_endpoint(w, id), *peer = chan_endpoint(w, id ^ 1);
    static const char *const states[] = {"open", "closing", "closed"};
    if (w->channels[id / 2].pipe) /* a pipe: only its read end (A) holds bytes */
        text_printf(out, "a pipe, %" PRIu64 " of %" PRIu64 " bytes queued; this end %s, the peer %s",
                    id % 2 ? peer->queued_bytes : e->queued_bytes, w->queue_bytes,
                    states[e->state], states[peer->state]);
    else
        text_printf(out, "%" PRIu32 " queued here, %" PRIu32 " at the peer; this end %s, the peer %s",
                    e->queue_count, peer->queue_count, states[e->state], states[peer->state]);
    /* Copies of the peer end in several processes (a fork copies every handle): a
     * close in one of them is not the close a waiter here is waiting for. */
    uint32_t copies = peer->state == ENDPOINT_OPEN ? holder_count(w, id ^ 1) : 0;
    if (copies > 1)
        text_printf(out, "; %" PRIu32 " processes hold copies of the peer end, which stays open "
                         "until every copy is closed",
                    copies);
    text_printf(out, "\n         reference history of the peer end:\n");
    chan_write_history(peer, out, "           ");
}
