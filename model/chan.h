/* chan — the channel table: channels, their two endpoints, the message queues and
 * the endpoints' liveness references (003_...); see chan.c for the state machine.
 *
 * A channel is its slot index (0 .. max_channels-1); its two endpoints are ends A
 * (0) and B (1), named channel * 2 + end. */
#ifndef DETSIM_CHAN_H
#define DETSIM_CHAN_H

#include <stdint.h>

#include "model/proc.h"
#include "model/uapi.h"
#include "model/waitq.h"
#include "util/text.h"

struct world;

#define ENDPOINT_HISTORY_MAX 16

enum ref_class { REF_HANDLE, REF_FD, REF_OTHER, REF_CLASS_COUNT };
enum ref_event_kind { REF_INIT, REF_GET, REF_PUT, REF_LAST_PUT };

struct ref_event {
    uint8_t kind;  /* enum ref_event_kind */
    uint8_t owner; /* enum ref_class */
    uint32_t pid;
    uint64_t step;
};

enum endpoint_state { ENDPOINT_OPEN, ENDPOINT_CLOSING, ENDPOINT_CLOSED };

struct message {
    uint64_t bytes;
    uint32_t heap_block; /* 0 for an inline message */
    uint32_t sender;
    uint32_t handle_count;
    struct handle handles[MESSAGE_HANDLES_MAX]; /* in flight: REF_OTHER on each */
};

struct endpoint {
    enum endpoint_state state;
    uint32_t refs[REF_CLASS_COUNT];
    struct ref_event history[ENDPOINT_HISTORY_MAX]; /* ring: the last events */
    uint32_t history_count;                         /* events ever recorded */
    struct message *queue; /* inbox: messages the peer sent, ring of queue_depth */
    uint32_t queue_head;
    uint32_t queue_count;
    uint64_t queued_bytes; /* in the inbox: its messages' bytes, or a pipe's bytes */
    struct waitq readers; /* blocked in recv on this endpoint */
    struct waitq writers; /* blocked in send, waiting for room in this inbox */
    uint32_t port;        /* bound port + 1, 0 when unbound */
    uint64_t port_key;
    uint8_t port_ready;   /* on its port's ready list */
    uint32_t orphaned_refs; /* REF_OTHER references whose message was destroyed
                               without releasing them (bug_leak_undelivered_handles) */
};

struct channel {
    uint8_t live;
    uint8_t pipe; /* a byte stream, end A reads and end B writes: no messages, no handles */
    uint32_t creator;
    uint64_t created_step;
    uint32_t heap_block;
    struct endpoint ends[2];
};

/* Creates a channel owned by pid; its two handles land in pid's table. Returns 0
 * with the handle indices in ends[], -ENFILE (table full; logs the console line),
 * -EMFILE (per-process limit, or no room for two handles), -ENOMEM (heap). Nothing
 * is allocated on error. */
int chan_create(struct world *w, uint32_t pid, uint32_t ends[2]);

/* Creates a pipe owned by pid: a channel that is a byte stream (capacity
 * queue_bytes), end A (ends[0]) for reading, end B (ends[1]) for writing. Returns
 * as chan_create. */
int chan_create_pipe(struct world *w, uint32_t pid, uint32_t ends[2]);

/* The size up to which a pipe write is atomic (Linux's PIPE_BUF). */
#define CHAN_PIPE_BUF 4096

/* Sends a message of bytes carrying handle indices carried[0..count) of pid over the
 * endpoint behind handle: copies of them (handle_transfer=copy, SCM_RIGHTS), or the
 * handles themselves (handle_transfer=move, 003's KRIGHT_TRANSFER). Returns 0, MODEL_WOULD_BLOCK (the peer's inbox holds
 * queue_depth messages or no room for bytes more; -EAGAIN instead when
 * nonblocking), -EPIPE (the peer is closed), -EMSGSIZE (bytes above queue_bytes: it
 * could never fit), -ENOMEM (payload), -EBADF, -EINVAL (a pipe; too many handles,
 * or a handle that is the sending endpoint). */
int chan_send(struct world *w, uint32_t pid, uint32_t handle, uint64_t bytes,
              const uint32_t *carried, uint32_t count, int nonblocking);

/* Receives the oldest message on the endpoint behind handle. Returns 0 with *out
 * filled (out->eof set, and no message, when the peer has closed and the queue is
 * drained); with no room in the table for all its carried handles, under
 * handle_transfer=copy the ones that fit are installed, the rest released and
 * out->truncated set (MSG_CTRUNC), under move it is -EMFILE and the message stays
 * queued. Also MODEL_WOULD_BLOCK (empty; -EAGAIN when nonblocking), -EBADF, -EINVAL
 * (a pipe). */
int chan_recv(struct world *w, uint32_t pid, uint32_t handle, struct chan_received *out,
              int nonblocking);

/* Writes bytes into the pipe behind handle (its write end), as write(2) on a pipe
 * does; *written counts what went in, across the calls of one write (start it at
 * 0). Up to CHAN_PIPE_BUF bytes go in whole or wait; a longer write takes what
 * fits and waits for the rest. Returns 0 when *written == bytes, or when
 * nonblocking and part went in; MODEL_WOULD_BLOCK (nothing written yet) or
 * MODEL_WOULD_BLOCK_PARTIAL (some) while it waits for room; -EAGAIN (nonblocking,
 * nothing fits); -EPIPE when the reader is gone, after sending pid SIG_PIPE (what
 * went before stays written); -EBADF (not a pipe's write end); -EINVAL (a message
 * channel). */
int chan_write(struct world *w, uint32_t pid, uint32_t handle, uint64_t bytes,
               uint64_t *written, int nonblocking);

/* Reads up to max_bytes from the pipe behind handle (its read end) into *got.
 * Returns 0 (*got 0 at end of file: the writer is gone and the pipe empty),
 * MODEL_WOULD_BLOCK (empty; -EAGAIN when nonblocking), -EBADF (not a pipe's read
 * end), -EINVAL (a message channel). */
int chan_read(struct world *w, uint32_t pid, uint32_t handle, uint64_t max_bytes,
              uint64_t *got, int nonblocking);

/* A bridged fd onto the endpoint behind handle: a new handle of kind
 * HANDLE_ENDPOINT_FD holding a REF_FD reference. Returns its index, -EBADF, -EMFILE,
 * -EINVAL (a pipe). */
int chan_fd_from_handle(struct world *w, uint32_t pid, uint32_t handle);

/* Takes or drops a liveness reference on endpoint (channel * 2 + end). Dropping the
 * last one tears the endpoint down (destroys its queue, wakes waiters, frees the slot
 * when both ends are down). */
void chan_ref_get(struct world *w, uint32_t endpoint, enum ref_class owner);
void chan_ref_put(struct world *w, uint32_t endpoint, enum ref_class owner);

struct endpoint *chan_endpoint(const struct world *w, uint32_t endpoint);
uint32_t chan_endpoint_refs(const struct endpoint *e, int handles_only);

/* Writes "channel 12 end B". buf needs 48 bytes. */
const char *chan_endpoint_name(uint32_t endpoint, char buf[48]);

/* Writes an endpoint's reference history, oldest first, one event a line. */
void chan_write_history(const struct endpoint *e, struct text *out, const char *indent);

/* Wait-queue callbacks for hang reports: who could wake a task blocked on an
 * endpoint's readers or writers, and what state the endpoint is in. */
uint32_t chan_readers_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);
uint32_t chan_writers_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);
void chan_describe(const struct waitq *wq, struct text *out);

/* Collects the pids holding endpoint; returns how many (up to max). */
uint32_t chan_holder_pids(const struct world *w, uint32_t endpoint, uint32_t *pids,
                          uint32_t max);

#endif
