/* port — ports: endpoints bind under a key, and a waiter hears READABLE and
 * PEER_CLOSED events for them (003_...); see world.h.
 *
 * A port is an epoll instance. Its ready list holds the bound endpoints that may
 * have an event, each at most once, oldest first, as epoll's rdllist does: an
 * arrival or a hang-up puts the endpoint there (port_notify); port_wait takes the
 * oldest, computes its events now (none: it is dropped, stale), and level-
 * triggered puts it back at the end, so it comes round again while it has events;
 * edge-triggered does not. Nothing is ever dropped for want of room: the list has
 * room for every bound endpoint. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"
#include "util/assert.h"

int port_create(struct world *w, uint32_t pid)
{
    struct proc *p = proc_get(w, pid);
    if (!p)
        return -EBADF;
    uint32_t slot = 0;
    while (slot < w->max_ports && w->ports[slot].live)
        slot++;
    if (slot == w->max_ports)
        return -ENFILE;
    int room = proc_handle_room(w, p, 1);
    if (room != 0)
        return room;
    FAULT_RETURN_ON(FAULT_PORT_CREATE);
    int64_t block = heap_try_alloc(&w->heap, w->port_bytes, "port", pid, w->step, 0);
    if (block < 0)
        return -ENOMEM;
    struct port *port = &w->ports[slot];
    uint32_t *ready = port->ready;
    uint32_t capacity = port->ready_capacity;
    world_waitq_retire(w, &port->waiters); /* the queue of the slot's last port */
    *port = (struct port){0};
    port->ready = ready; /* kept across uses of the slot; freed with the world */
    port->ready_capacity = capacity;
    port->live = 1;
    port->refs = 1;
    port->creator = pid;
    port->created_step = w->step;
    port->heap_block = (uint32_t)block;
    ASSERT(w->ports_live < w->max_ports);
    char name[32];
    snprintf(name, sizeof name, "%" PRIu32, slot);
    world_waitq_init(w, &port->waiters, "port", name);
    port->waiters.owner = w;
    port->waiters.owner_id = slot;
    port->waiters.holders = port_waiters_holders;
    port->waiters.describe = port_describe;
    w->ports_live++;
    return proc_install_handle(w, pid, (struct handle){HANDLE_PORT, 0, slot});
}

static struct port *resolve_port(const struct world *w, uint32_t pid, uint32_t handle)
{
    const struct proc *p = proc_get(w, pid);
    if (!p || handle >= w->max_handles || p->handles[handle].kind != HANDLE_PORT)
        return NULL;
    return &w->ports[p->handles[handle].object];
}

/* The endpoint behind handle of pid, or -EBADF. */
static int resolve_endpoint(const struct world *w, uint32_t pid, uint32_t handle,
                            uint32_t *endpoint)
{
    const struct proc *p = proc_get(w, pid);
    if (!p || handle >= w->max_handles ||
        (p->handles[handle].kind != HANDLE_ENDPOINT &&
         p->handles[handle].kind != HANDLE_ENDPOINT_FD))
        return -EBADF;
    *endpoint = p->handles[handle].object;
    return 0;
}

int port_bind(struct world *w, uint32_t pid, uint32_t port_handle, uint32_t endpoint_handle,
              uint64_t key)
{
    struct port *port = resolve_port(w, pid, port_handle);
    uint32_t endpoint;
    if (!port || resolve_endpoint(w, pid, endpoint_handle, &endpoint) != 0)
        return -EBADF;
    struct endpoint *e = chan_endpoint(w, endpoint);
    ASSERT(port->live);
    if (e->port || e->state != ENDPOINT_OPEN)
        return -EINVAL;
    if (port->bound == port->ready_capacity) {
        uint32_t capacity = port->ready_capacity ? port->ready_capacity * 2 : 8;
        uint32_t *grown = realloc(port->ready, capacity * sizeof *grown);
        if (!grown) {
            w->out_of_memory = 1; /* the harness's own memory */
            return -ENOMEM;
        }
        port->ready = grown;
        port->ready_capacity = capacity;
    }
    e->port = (uint32_t)(port - w->ports) + 1;
    e->port_key = key;
    port->bound++;
    /* What it has already is reported at once: a queued message, and a hang-up that
     * came before the bind (epoll's EPOLLHUP at EPOLL_CTL_ADD). */
    uint8_t events = port_events(w, endpoint);
    if (events)
        port_notify(w, endpoint,
                    events & PORT_EVENT_PEER_CLOSED ? WAITQ_WAKE_HUP : WAITQ_WAKE_DATA);
    return 0;
}

int port_unbind(struct world *w, uint32_t pid, uint32_t port_handle, uint32_t endpoint_handle)
{
    struct port *port = resolve_port(w, pid, port_handle);
    uint32_t endpoint;
    if (!port || resolve_endpoint(w, pid, endpoint_handle, &endpoint) != 0)
        return -EBADF;
    if (chan_endpoint(w, endpoint)->port != (uint32_t)(port - w->ports) + 1)
        return -ENOENT;
    port_detach(w, endpoint);
    return 0;
}

uint8_t port_events(const struct world *w, uint32_t endpoint)
{
    const struct endpoint *e = chan_endpoint(w, endpoint);
    int peer_gone = chan_endpoint(w, endpoint ^ 1)->state != ENDPOINT_OPEN;
    int pipe = w->channels[endpoint / 2].pipe;
    uint8_t events = 0;
    /* A channel's end of file is readable (a receive returns it at once), as a
     * socket's is; a pipe's read end reports only the hang-up, as a pipe's does. */
    if (e->queue_count || e->queued_bytes || (peer_gone && !pipe))
        events |= PORT_EVENT_READABLE;
    if (peer_gone)
        events |= PORT_EVENT_PEER_CLOSED;
    return events;
}

/* Takes the oldest endpoint off port's ready list. */
static uint32_t ready_take(struct port *port)
{
    ASSERT(port->ready_count > 0);
    uint32_t endpoint = port->ready[0];
    port->ready_count--;
    memmove(port->ready, port->ready + 1, port->ready_count * sizeof port->ready[0]);
    return endpoint;
}

int port_wait(struct world *w, uint32_t pid, uint32_t port_handle, struct port_event *out,
              int nonblocking)
{
    struct port *port = resolve_port(w, pid, port_handle);
    if (!port)
        return -EBADF;
    ASSERT(port->live && port->ready_count <= port->bound);
    while (port->ready_count) {
        uint32_t endpoint = ready_take(port);
        struct endpoint *e = chan_endpoint(w, endpoint);
        uint8_t events = port_events(w, endpoint);
        if (!events || w->port_edge_triggered) {
            e->port_ready = 0; /* stale, or edge-triggered: back on the next edge */
            if (!events)
                continue;
        } else {
            port->ready[port->ready_count++] = endpoint; /* level: round again */
        }
        *out = (struct port_event){events, e->port_key};
        return 0;
    }
    if (nonblocking)
        return -EAGAIN;
    w->block_on = &port->waiters;
    return MODEL_WOULD_BLOCK;
}

void port_notify(struct world *w, uint32_t endpoint, enum waitq_wake reason)
{
    struct endpoint *e = chan_endpoint(w, endpoint);
    if (!e->port || e->port_ready)
        return;
    struct port *port = &w->ports[e->port - 1];
    ASSERT(port->live && port->ready_count < port->ready_capacity);
    port->ready[port->ready_count++] = endpoint;
    e->port_ready = 1;
    world_wake(w, &port->waiters, reason);
}

void port_detach(struct world *w, uint32_t endpoint)
{
    struct endpoint *e = chan_endpoint(w, endpoint);
    if (!e->port)
        return;
    struct port *port = &w->ports[e->port - 1];
    ASSERT(port->bound > 0);
    for (uint32_t i = 0; e->port_ready && i < port->ready_count; i++)
        if (port->ready[i] == endpoint) {
            port->ready_count--;
            memmove(port->ready + i, port->ready + i + 1,
                    (port->ready_count - i) * sizeof port->ready[0]);
            break;
        }
    port->bound--;
    e->port = 0;
    e->port_ready = 0;
}

void port_put(struct world *w, uint32_t index)
{
    struct port *port = &w->ports[index];
    ASSERT(port->live && port->refs > 0);
    if (--port->refs)
        return;
    ASSERT(w->ports_live > 0);
    for (uint32_t c = 0; c < w->max_channels; c++)
        for (uint32_t e = 0; e < 2; e++)
            if (w->channels[c].live && w->channels[c].ends[e].port == index + 1)
                port_detach(w, c * 2 + e);
    ASSERT(port->bound == 0 && port->ready_count == 0);
    heap_free(&w->heap, port->heap_block);
    world_wake(w, &port->waiters, WAITQ_WAKE_CLOSE);
    port->live = 0;
    w->ports_live--;
}

int port_check(const struct world *w, uint32_t index, struct text *out)
{
    const struct port *port = &w->ports[index];
    uint32_t bound = 0, ready = 0;
    for (uint32_t c = 0; c < w->max_channels; c++)
        for (uint32_t e = 0; e < 2; e++) {
            const struct endpoint *ep = &w->channels[c].ends[e];
            if (w->channels[c].live && ep->port == index + 1) {
                bound++;
                ready += ep->port_ready;
            }
        }
    int broken = bound != port->bound || ready != port->ready_count ||
                 port->ready_count > port->ready_capacity;
    for (uint32_t i = 0; i < port->ready_count && !broken; i++)
        broken = chan_endpoint(w, port->ready[i])->port != index + 1;
    if (broken)
        text_printf(out, "port %" PRIu32 ": %" PRIu32 " bound (%" PRIu32 " counted), %" PRIu32
                         " ready (%" PRIu32 " marked)\n",
                    index, bound, port->bound, port->ready_count, ready);
    return broken ? -1 : 0;
}

uint32_t port_waiters_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation)
{
    const struct world *w = wq->owner;
    *relation = "(an event): the peers of its bound endpoints are held by";
    uint32_t n = 0;
    for (uint32_t c = 0; c < w->max_channels && n < max; c++)
        for (uint32_t e = 0; e < 2 && n < max; e++) {
            if (!w->channels[c].live || w->channels[c].ends[e].port != wq->owner_id + 1)
                continue;
            /* Each holder once, though it may hold the peers of several ends. */
            uint32_t found = chan_holder_pids(w, (c * 2 + e) ^ 1, pids + n, max - n);
            for (uint32_t i = n; i < n + found;) {
                int seen = 0;
                for (uint32_t k = 0; k < n && !seen; k++)
                    seen = pids[k] == pids[i];
                if (seen)
                    pids[i] = pids[--found + n];
                else
                    i++;
            }
            n += found;
        }
    return n;
}

void port_describe(const struct waitq *wq, struct text *out)
{
    const struct world *w = wq->owner;
    static const char *const states[] = {"open", "closing", "closed"};
    text_printf(out, "%" PRIu32 " endpoint%s bound, none with an event",
                w->ports[wq->owner_id].bound, w->ports[wq->owner_id].bound == 1 ? "" : "s");
    for (uint32_t c = 0; c < w->max_channels; c++)
        for (uint32_t e = 0; e < 2; e++) {
            const struct endpoint *ep = &w->channels[c].ends[e];
            if (!w->channels[c].live || ep->port != wq->owner_id + 1)
                continue;
            uint32_t id = c * 2 + e, pids[4];
            char name[48];
            uint32_t holders = chan_holder_pids(w, id ^ 1, pids, 4);
            text_printf(out, "\n         key %" PRIu64 ": %s, %" PRIu32 " queued; its peer %s, "
                             "held by %" PRIu32 " process%s",
                        ep->port_key, chan_endpoint_name(id, name), ep->queue_count,
                        states[chan_endpoint(w, id ^ 1)->state], holders,
                        holders == 1 ? "" : "es");
            for (uint32_t i = 0; i < holders && i < 4; i++)
                text_printf(out, "%s%" PRIu32, i ? ", " : " (pid ", pids[i]);
            text_printf(out, "%s", holders ? ")" : "");
        }
}
