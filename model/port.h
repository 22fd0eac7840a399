/* port — ports: endpoints bind to a port under a key, and a waiter hears READABLE
 * and PEER_CLOSED events for them (003_...); see port.c. */
#ifndef DETSIM_PORT_H
#define DETSIM_PORT_H

#include <stdint.h>

#include "model/uapi.h"
#include "model/waitq.h"

struct world;
struct endpoint;

struct port {
    uint8_t live;
    uint32_t refs; /* handles */
    uint32_t creator;
    uint64_t created_step;
    uint32_t heap_block;
    struct port_event *events; /* ring; grows so that no event is ever dropped */
    uint32_t event_capacity;
    uint32_t event_head;
    uint32_t event_count;
    uint32_t bound; /* endpoints bound to it */
    uint32_t orphaned_refs; /* references lost with destroyed messages (leak bug) */
    struct waitq waiters;
};

/* Creates a port; its handle lands in pid's table. Returns the handle index,
 * -ENFILE (all max_ports in use), -ENOMEM, -EMFILE. */
int port_create(struct world *w, uint32_t pid);

/* Binds the endpoint behind endpoint_handle to the port behind port_handle under
 * key: messages arriving post READABLE(key), the peer closing posts
 * PEER_CLOSED(key). Returns 0, -EBADF, -EINVAL (already bound). */
int port_bind(struct world *w, uint32_t pid, uint32_t port_handle, uint32_t endpoint_handle,
              uint64_t key);

/* Takes the oldest event. Returns 0, MODEL_WOULD_BLOCK (-EAGAIN when nonblocking),
 * -EBADF. */
int port_wait(struct world *w, uint32_t pid, uint32_t port_handle, struct port_event *out,
              int nonblocking);

/* Posts an event on the port an endpoint is bound to, if any (chan.c calls this). */
void port_post(struct world *w, const struct endpoint *e, enum port_event_kind kind);

/* Drops a handle reference on port index; the last one destroys it. */
void port_put(struct world *w, uint32_t port);

/* For hang reports: who could post an event a port waiter waits for. */
uint32_t port_waiters_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);

#endif
