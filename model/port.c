/* port — ports: endpoints bind under a key, and a waiter hears READABLE and
 * PEER_CLOSED events for them (003_...); see world.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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
    struct port_event *events = port->events;
    uint32_t capacity = port->event_capacity;
    world_waitq_retire(w, &port->waiters); /* the queue of the slot's last port */
    *port = (struct port){0};
    port->events = events; /* kept across uses of the slot; freed with the world */
    port->event_capacity = capacity;
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

int port_bind(struct world *w, uint32_t pid, uint32_t port_handle, uint32_t endpoint_handle,
              uint64_t key)
{
    struct port *port = resolve_port(w, pid, port_handle);
    const struct proc *p = proc_get(w, pid);
    if (!port || endpoint_handle >= w->max_handles ||
        (p->handles[endpoint_handle].kind != HANDLE_ENDPOINT &&
         p->handles[endpoint_handle].kind != HANDLE_ENDPOINT_FD))
        return -EBADF;
    struct endpoint *e = chan_endpoint(w, p->handles[endpoint_handle].object);
    ASSERT(port->live);
    if (e->port || e->state != ENDPOINT_OPEN)
        return -EINVAL;
    e->port = (uint32_t)(port - w->ports) + 1;
    e->port_key = key;
    port->bound++;
    if (e->queue_count)
        port_post(w, e, PORT_EVENT_READABLE);
    return 0;
}

int port_wait(struct world *w, uint32_t pid, uint32_t port_handle, struct port_event *out,
              int nonblocking)
{
    struct port *port = resolve_port(w, pid, port_handle);
    if (!port)
        return -EBADF;
    if (port->event_count == 0) {
        if (nonblocking)
            return -EAGAIN;
        w->block_on = &port->waiters;
        return MODEL_WOULD_BLOCK;
    }
    ASSERT(port->live && port->event_count <= port->event_capacity);
    *out = port->events[port->event_head];
    port->event_head = (port->event_head + 1) % port->event_capacity;
    port->event_count--;
    return 0;
}

void port_post(struct world *w, const struct endpoint *e, enum port_event_kind kind)
{
    if (!e->port)
        return;
    struct port *port = &w->ports[e->port - 1];
    ASSERT(port->live);
    /* One pending event of a kind per key is enough: a waiter drains the endpoint. */
    for (uint32_t i = 0; i < port->event_count; i++) {
        const struct port_event *ev = &port->events[(port->event_head + i) % port->event_capacity];
        if (ev->kind == kind && ev->key == e->port_key)
            return;
    }
    if (port->event_count == port->event_capacity) {
        /* Grow, unrolling the ring: an event is never dropped. */
        uint32_t capacity = port->event_capacity ? port->event_capacity * 2 : 16;
        struct port_event *grown = malloc(capacity * sizeof *grown);
        if (!grown) {
            w->out_of_memory = 1;
            return;
        }
        for (uint32_t i = 0; i < port->event_count; i++)
            grown[i] = port->events[(port->event_head + i) % port->event_capacity];
        free(port->events);
        port->events = grown;
        port->event_capacity = capacity;
        port->event_head = 0;
    }
    port->events[(port->event_head + port->event_count) % port->event_capacity] =
        (struct port_event){(uint8_t)kind, e->port_key};
    port->event_count++;
    world_wake(w, &port->waiters, kind == PORT_EVENT_READABLE ? WAITQ_WAKE_DATA : WAITQ_WAKE_HUP);
}

void port_put(struct world *w, uint32_t index)
{
    struct port *port = &w->ports[index];
    ASSERT(port->live && port->refs > 0);
    if (--port->refs)
        return;
    ASSERT(w->ports_live > 0);
    for (uint32_t c = 0; c < w->max_channels; c++)
        for (int e = 0; e < 2; e++)
            if (w->channels[c].live && w->channels[c].ends[e].port == index + 1)
                w->channels[c].ends[e].port = 0;
    heap_free(&w->heap, port->heap_block);
    world_wake(w, &port->waiters, WAITQ_WAKE_CLOSE);
    port->live = 0;
    port->bound = 0;
    w->ports_live--;
}

uint32_t port_waiters_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation)
{
    const struct world *w = wq->owner;
    *relation = "(an event): the peers of its bound endpoints are held by";
    uint32_t n = 0;
    for (uint32_t c = 0; c < w->max_channels && n < max; c++)
        for (uint32_t e = 0; e < 2 && n < max; e++)
            if (w->channels[c].live && w->channels[c].ends[e].port == wq->owner_id + 1)
                n += chan_holder_pids(w, (c * 2 + e) ^ 1, pids + n, max - n);
    return n;
}
