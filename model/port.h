/* port — ports: endpoints bind to a port under a key, and a waiter hears READABLE
 * and PEER_CLOSED events for them (003_...); an epoll instance, level-triggered by
 * default; see port.c. */
#ifndef DETSIM_PORT_H
#define DETSIM_PORT_H

#include <stdint.h>

#include "model/uapi.h"
#include "model/waitq.h"
#include "util/text.h"

struct world;

struct port {
    uint8_t live;
    uint32_t refs; /* handles */
    uint32_t creator;
    uint64_t created_step;
    uint32_t heap_block;
    uint32_t *ready; /* bound endpoints that may have an event, oldest first, each once */
    uint32_t ready_count;
    uint32_t ready_capacity; /* kept at bound or more, so that a notify never allocates */
    uint32_t bound; /* endpoints bound to it */
    uint32_t orphaned_refs; /* references lost with destroyed messages (leak bug) */
    struct waitq waiters;
};

/* Creates a port; its handle lands in pid's table. Returns the handle index,
 * -ENFILE (all max_ports in use), -ENOMEM, -EMFILE. */
int port_create(struct world *w, uint32_t pid);

/* Binds the endpoint behind endpoint_handle to the port behind port_handle under
 * key (EPOLL_CTL_ADD): from then on the port reports its events, and at once the
 * ones it already has (a queued message, a peer that closed before the bind).
 * Returns 0, -EBADF, -EINVAL (already bound, or not open), -ENOMEM (the harness's
 * own memory). */
int port_bind(struct world *w, uint32_t pid, uint32_t port_handle, uint32_t endpoint_handle,
              uint64_t key);

/* Unbinds the endpoint behind endpoint_handle from the port behind port_handle
 * (EPOLL_CTL_DEL). Returns 0, -EBADF, -ENOENT (not bound to that port). */
int port_unbind(struct world *w, uint32_t pid, uint32_t port_handle, uint32_t endpoint_handle);

/* The events endpoint has now, as a mask of PORT_EVENT_*: READABLE when a receive
 * would not block (a message, a pipe's bytes, or a channel's end of file),
 * PEER_CLOSED when its peer is gone. */
uint8_t port_events(const struct world *w, uint32_t endpoint);

/* The next event into *out: the oldest ready endpoint with events now, its mask and
 * key. Level-triggered (port_trigger=level, the default, as epoll): an endpoint
 * reported goes back to the end of the ready list, and is reported again while it
 * has events. Edge-triggered (port_trigger=edge, EPOLLET): it is reported once
 * per arrival or hang-up. Returns 0, MODEL_WOULD_BLOCK (-EAGAIN when nonblocking),
 * -EBADF. */
int port_wait(struct world *w, uint32_t pid, uint32_t port_handle, struct port_event *out,
              int nonblocking);

/* Something happened on endpoint (a message or bytes arrived: reason
 * WAITQ_WAKE_DATA; its peer closed: WAITQ_WAKE_HUP): puts it on its port's ready
 * list, if it is bound and not there yet, and wakes the port's waiters (chan.c
 * calls this). */
void port_notify(struct world *w, uint32_t endpoint, enum waitq_wake reason);

/* Takes endpoint off its port, if bound (its teardown, or port_unbind). */
void port_detach(struct world *w, uint32_t endpoint);

/* Drops a handle reference on port index; the last one destroys it. */
void port_put(struct world *w, uint32_t port);

/* Verifies port index's ready list and bound count against the endpoints. Returns
 * 0, or -1 with what is broken appended to out. */
int port_check(const struct world *w, uint32_t index, struct text *out);

/* For hang reports: who could post an event a port waiter waits for, and what is
 * bound to the port and how its peers stand. */
uint32_t port_waiters_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);
void port_describe(const struct waitq *wq, struct text *out);

#endif
