/* world — the kernel-object models and what ties them together.
 *
 * struct world holds the config, the kernel heap (heap.h), the channel table with its
 * endpoints and message queues (chan.c), the ports (port.c) and the process table
 * with its handle tables (proc.c). The models are pure state machines: a call never
 * blocks and never switches tasks. It returns a result, or MODEL_WOULD_BLOCK with
 * w->block_on naming the wait queue; wake-ups it causes are queued in w->wakes for
 * the sys layer to carry out. Nothing here reads a clock or draws randomness.
 *
 * Ids: a channel is its slot index (0 .. max_channels-1); its two endpoints are ends
 * A (0) and B (1). A process is its pid. A handle is an index into its process's
 * handle table. */
#ifndef DETSIM_WORLD_H
#define DETSIM_WORLD_H

#include <stdint.h>

#include "faults/fault.h"
#include "model/heap.h"
#include "util/config.h"
#include "sim/sched.h"
#include "util/text.h"

#define MODEL_WOULD_BLOCK 1 /* a positive result: park on w->block_on, then retry */

#define MESSAGE_HANDLES_MAX 4
#define ENDPOINT_HISTORY_MAX 16
#define CONSOLE_LINES_MAX 16

extern const struct config_key world_config_keys[];

/* ---- handles and references ---------------------------------------------------- */

enum handle_kind {
    HANDLE_FREE = 0,
    HANDLE_ENDPOINT,    /* a channel endpoint */
    HANDLE_ENDPOINT_FD, /* a bridged fd onto a channel endpoint (003_...) */
    HANDLE_PORT
};

struct handle {
    uint8_t kind;    /* enum handle_kind */
    uint8_t cloexec; /* closed by fork-exec */
    uint32_t object; /* endpoint: channel * 2 + end; port: port index */
};

enum ref_class { REF_HANDLE, REF_FD, REF_OTHER, REF_CLASS_COUNT };
enum ref_event_kind { REF_INIT, REF_GET, REF_PUT, REF_LAST_PUT };

struct ref_event {
    uint8_t kind;  /* enum ref_event_kind */
    uint8_t owner; /* enum ref_class */
    uint32_t pid;
    uint64_t step;
};

/* ---- channels ------------------------------------------------------------------- */

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
    struct waitq readers; /* blocked in recv on this endpoint */
    struct waitq writers; /* blocked in send, waiting for room in this inbox */
    uint32_t port;        /* bound port + 1, 0 when unbound */
    uint64_t port_key;
    uint32_t orphaned_refs; /* REF_OTHER references whose message was destroyed
                               without releasing them (bug_leak_undelivered_handles) */
};

struct channel {
    uint8_t live;
    uint32_t creator;
    uint64_t created_step;
    uint32_t heap_block;
    struct endpoint ends[2];
};

/* ---- ports ---------------------------------------------------------------------- */

enum port_event_kind { PORT_EVENT_READABLE = 1, PORT_EVENT_PEER_CLOSED = 2 };

struct port_event {
    uint8_t kind;
    uint64_t key;
};

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

/* ---- processes ------------------------------------------------------------------ */

enum proc_state { PROC_FREE, PROC_RUNNABLE, PROC_BLOCKED, PROC_ZOMBIE };

enum proc_spawn_mode {
    SPAWN_FORK,      /* a copy of every handle */
    SPAWN_FORK_EXEC, /* every handle not marked close-on-exec */
    SPAWN_EXPLICIT   /* only the listed handles, like posix_spawn file actions */
};

#define SIG_INT 2
#define SIG_KILL 9
#define SIG_TERM 15

struct proc {
    enum proc_state state;
    uint32_t pid;
    uint32_t parent;
    uint32_t group;
    char name[32];
    struct handle *handles; /* max_handles entries */
    uint32_t handle_count;
    uint32_t heap_block; /* the process struct itself */
    int exit_status;
    uint32_t signals_pending; /* bit per signal number */
    uint32_t signals_caught;  /* handler installed: the signal interrupts, never kills */
    uint32_t channels_live;   /* channels it created that still hold a slot */
    uint64_t created_step;
    uint64_t exited_step;
    uint8_t daemon;       /* init: never counted as hung */
    uint8_t kept_handles; /* zombie still holding handles (release-at-reap bug) */
    uint32_t handle_limit;   /* entries it may use: max_handles, lower under slots/handles */
    struct waitq child_wait; /* its waits for children park here */
};

/* ---- the world ------------------------------------------------------------------ */

struct world_wake {
    struct waitq *queue;
    enum trace_wake reason;
};

/* A slot fault (fault.h): from step after on, a table keeps only free free slots. */
#define WORLD_SLOT_FAULTS_MAX (FAULT_SPECS_MAX * 3) /* slots/(star) names three tables */
enum world_slot_kind { WORLD_SLOTS_CHANNELS, WORLD_SLOTS_PROCS, WORLD_SLOTS_HANDLES };

struct world_slot_fault {
    enum world_slot_kind kind;
    uint32_t free;
    uint64_t after;
    uint8_t active; /* applied: the ceiling is in force */
};

struct world {
    const struct config *config;
    uint64_t step;    /* the scheduler's step, set by the sys layer before each call */
    uint32_t current; /* the calling pid */

    struct heap heap;

    struct channel *channels;
    uint32_t max_channels;
    uint32_t channels_live;
    uint32_t channels_peak;      /* most slots ever in use at once */
    uint64_t channels_peak_step; /* the step it was first reached */
    uint32_t per_proc_channel_limit;
    uint32_t queue_depth;
    uint64_t inline_msg_bytes;
    uint64_t channel_bytes;

    struct port *ports;
    uint32_t max_ports;
    uint32_t ports_live;
    uint64_t port_bytes;

    struct proc *procs; /* max_procs slots */
    uint32_t max_procs;
    uint32_t procs_live; /* slots in use, zombies included */
    uint32_t max_handles;
    uint64_t proc_bytes;
    uint32_t *slot_by_pid; /* pid -> slot + 1, 0 when gone */
    uint32_t pid_capacity;
    uint32_t next_pid;
    uint32_t next_group;

    /* bug switches (default off: the fixed behaviour) */
    uint8_t bug_close_no_wake;           /* 003: close leaves the peer's blockers asleep */
    uint8_t bug_leak_undelivered_handles; /* 003: undelivered messages keep their handles */
    uint8_t bug_release_at_reap;         /* 000: a dying process keeps its slots until reaped */
    uint8_t bug_liveness_handles_only;   /* 003: a bridged fd does not keep the endpoint alive */
    uint8_t check_every_step;            /* config check */
    uint8_t signals_sent;                /* any signal sent in this run: check on resume */
    uint64_t exit_bytes;                 /* heap a process teardown needs */

    struct world_wake *wakes; /* queued wake-ups for the sys layer */
    uint32_t wake_count;
    uint32_t wake_capacity;
    struct waitq *block_on; /* set with MODEL_WOULD_BLOCK */

    char console[CONSOLE_LINES_MAX][128]; /* the kernel console: the last lines */
    uint32_t console_repeats[CONSOLE_LINES_MAX];
    uint32_t console_count; /* distinct lines ever written */
    uint32_t console_notes; /* lines not yet handed to the trace */

    int out_of_memory; /* the harness could not grow an array */

    struct fault_plan *faults; /* the run's plan, NULL without one; fired slot faults go here */
    struct world_slot_fault slot_faults[WORLD_SLOT_FAULTS_MAX];
    uint32_t slot_fault_count;
    uint32_t slot_faults_pending; /* added but not yet active */
    uint32_t channel_ceiling;     /* usable channel slots: max_channels unless a fault */
    uint32_t proc_ceiling;        /* usable process slots: max_procs unless a fault */
    uint32_t handle_free_max;     /* a new process's free handle entries; UINT32_MAX: no cap */
};

/* Checks the combinations of config values no single key's range can: the harness
 * memory the tables need, the reserve fitting in the heap. Returns 0, or -E2BIG /
 * -EINVAL with a one-line reason in error. */
int world_config_error(const struct config *config, char *error, size_t error_bytes);

/* Creates the models from config (world_config_keys must be among its keys).
 * Returns 0, or -ENOMEM (nothing to free), or -EINVAL when the reserve does not fit
 * in the heap. */
int world_create(struct world *w, const struct config *config);
void world_destroy(struct world *w);

/* Verifies every invariant across the models: slots in use equal live channels,
 * every handle names a live object, every endpoint's reference count equals its
 * holders, heap usage equals its live blocks, process states are coherent. Returns
 * 0, or -1 with each broken invariant appended to out. */
int world_check(const struct world *w, struct text *out);

/* The leak audit at the end of a run: every channel slot, endpoint reference,
 * handle, heap block, port, zombie and stranded in-queue handle still there, with
 * its owner and history. Returns the number of leaked objects; the report goes to
 * out. */
uint32_t world_audit(const struct world *w, struct text *out);

/* Adds a slot fault: from step after on, the table of kind keeps only free free slots
 * (handle tables: each process's). Returns 0, or -E2BIG beyond WORLD_SLOT_FAULTS_MAX. */
int world_slot_fault_add(struct world *w, enum world_slot_kind kind, uint32_t free,
                         uint64_t after);

/* Puts in force every slot fault whose step w->step has reached: the ceiling is what
 * is in use now plus free. Appends a line per fault applied to notes (may be NULL).
 * Returns how many were applied. */
uint32_t world_slot_faults_apply(struct world *w, struct text *notes);

/* Appends a line to the console (deduplicating a repeat of the last line). */
void world_console(struct world *w, const char *line);

/* Queues a wake-up of every waiter on queue. */
void world_wake(struct world *w, struct waitq *queue, enum trace_wake reason);

/* ---- processes (proc.c) ------------------------------------------------------------ */

struct proc *proc_get(const struct world *w, uint32_t pid);

/* Creates a process as a child of parent (0 for none), in group (0: parent's),
 * inheriting handles by mode; for SPAWN_EXPLICIT, handles[0..count) of the parent
 * land at the same indices in the child. Returns the pid, or -EAGAIN (table full),
 * -ENOMEM (heap), -EBADF (a listed handle is not open). Nothing changes on error. */
int proc_spawn(struct world *w, uint32_t parent, const char *name, enum proc_spawn_mode mode,
               const uint32_t *handles, uint32_t count, uint32_t group);

/* Ends pid: closes its handles (unless the release-at-reap bug keeps them), frees
 * its heap, reparents its children to init, and makes it a zombie for its parent. */
void proc_exit(struct world *w, uint32_t pid, int status);

/* Reaps a zombie child of parent: pid (0 for any). Returns the pid reaped and its
 * status in *status, MODEL_WOULD_BLOCK (block_on = parent's child_wait) when
 * children exist but none has exited, or -ECHILD. */
int proc_wait(struct world *w, uint32_t parent, uint32_t pid, int *status);

/* Sends signal sig to pid. Returns 0, -ESRCH, or -EINVAL. SIGKILL is only marked
 * pending here: the sys layer ends the task and calls proc_exit. */
int proc_signal(struct world *w, uint32_t pid, uint32_t sig);

/* Closes handle index of pid. Returns 0 or -EBADF. */
int proc_close_handle(struct world *w, uint32_t pid, uint32_t index);

/* Closes every open handle in [low, high]. Returns how many were closed. */
uint32_t proc_closerange(struct world *w, uint32_t pid, uint32_t low, uint32_t high);

/* Marks a handle close-on-exec. Returns 0 or -EBADF. */
int proc_set_cloexec(struct world *w, uint32_t pid, uint32_t index, int on);

/* Whether p's table has room for count more handles. Returns 0, or -EMFILE when it
 * has not, or when the model/proc/handle failpoint or a slots/handles fault refuses
 * (count 0 always fits). Nothing changes. */
int proc_handle_room(struct world *w, const struct proc *p, uint32_t count);

/* Puts a handle into pid's table at the lowest free index. Returns the index, or
 * -EMFILE when the table is full. Takes over the reference the caller holds. */
int proc_install_handle(struct world *w, uint32_t pid, struct handle h);

/* For hang reports: the children a waiting parent could be woken by. */
uint32_t proc_children_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                               const char **relation);

/* A new process group id. */
uint32_t proc_group_create(struct world *w);

/* ---- channels (chan.c) ------------------------------------------------------------- */

/* Creates a channel owned by pid; its two handles land in pid's table. Returns 0
 * with the handle indices in ends[], -ENFILE (table full; logs the console line),
 * -EMFILE (per-process limit, or no room for two handles), -ENOMEM (heap). Nothing
 * is allocated on error. */
int chan_create(struct world *w, uint32_t pid, uint32_t ends[2]);

/* Sends a message of bytes carrying handle indices carried[0..count) of pid over the
 * endpoint behind handle. Returns 0, MODEL_WOULD_BLOCK (the peer's inbox is full;
 * -EAGAIN instead when nonblocking), -EPIPE (the peer is closed), -ENOMEM (payload),
 * -EBADF, -EINVAL (too many handles, or a handle that is the sending endpoint). */
int chan_send(struct world *w, uint32_t pid, uint32_t handle, uint64_t bytes,
              const uint32_t *carried, uint32_t count, int nonblocking);

struct chan_received {
    int eof; /* the peer closed and the queue is drained: no message */
    uint64_t bytes;
    uint32_t sender;
    uint32_t handle_count;
    uint32_t handles[MESSAGE_HANDLES_MAX]; /* indices in the receiver's table */
};

/* Receives the oldest message on the endpoint behind handle. Returns 0 with *out
 * filled (out->eof set, and no message, when the peer has closed and the queue is
 * drained), MODEL_WOULD_BLOCK (empty; -EAGAIN when nonblocking), -EMFILE (no room
 * in the table for the carried handles; the message stays queued), -EBADF. */
int chan_recv(struct world *w, uint32_t pid, uint32_t handle, struct chan_received *out,
              int nonblocking);

/* A bridged fd onto the endpoint behind handle: a new handle of kind
 * HANDLE_ENDPOINT_FD holding a REF_FD reference. Returns its index, -EBADF, -EMFILE. */
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
 * endpoint's readers or writers, or on a port. */
uint32_t chan_readers_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);
uint32_t chan_writers_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);
uint32_t port_waiters_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation);
void chan_describe(const struct waitq *wq, struct text *out);

/* Collects the pids holding endpoint; returns how many (up to max). */
uint32_t chan_holder_pids(const struct world *w, uint32_t endpoint, uint32_t *pids,
                          uint32_t max);

/* ---- ports (port.c) ---------------------------------------------------------------- */

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

#endif
