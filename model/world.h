/* world — the kernel-object models and what ties them together.
 *
 * struct world holds the config, the kernel heap (heap.h), the channel table with its
 * endpoints and message queues (chan.h), the ports (port.h) and the process table
 * with its handle tables (proc.h). The models are pure state machines: a call never
 * blocks and never switches tasks. It returns a result, or MODEL_WOULD_BLOCK with
 * w->block_on naming the wait queue (waitq.h); wake-ups it causes are queued in
 * w->wakes for the sys layer to carry out. Nothing here reads a clock, draws
 * randomness or knows the scheduler: everything a run's models hold is in its
 * struct world. */
#ifndef DETSIM_WORLD_H
#define DETSIM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "faults/failpoint.h"
#include "model/chan.h"
#include "model/heap.h"
#include "model/port.h"
#include "model/proc.h"
#include "model/uapi.h"
#include "model/waitq.h"
#include "util/config.h"
#include "util/idarray.h"
#include "util/text.h"

#define CONSOLE_LINES_MAX 16

extern const struct config_key world_config_keys[];

struct world_wake {
    struct waitq *queue; /* NULL: a signal for pid, which interrupts its blocked call */
    enum waitq_wake reason;
    uint32_t pid;
};

/* A slot fault (faults/fault.h): from step after on, a table keeps only free free slots. */
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
    uint64_t queue_bytes;
    uint64_t inline_msg_bytes;
    uint64_t channel_bytes;

    struct port *ports;
    uint32_t max_ports;
    uint32_t ports_live;
    uint8_t port_edge_triggered; /* port_trigger=edge (EPOLLET); level by default */
    uint8_t handle_transfer_move; /* handle_transfer=move (003); copy by default (SCM_RIGHTS) */
    uint8_t close_reset;          /* a close with messages unread resets the peer (Linux) */
    uint64_t port_bytes;

    struct proc *procs; /* max_procs slots */
    uint32_t max_procs;
    uint32_t procs_live; /* slots in use, zombies included */
    uint32_t max_handles;
    uint64_t proc_bytes;
    struct idarray slot_by_pid; /* uint32_t slot + 1 by pid, until reaped */
    uint32_t next_pid;
    uint32_t next_group;
    uint32_t *group_parents; /* group -> the group it nests in (0: none) */
    uint32_t group_capacity;

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
    struct idarray waitqs;  /* struct waitq * by id, until retired: names for traces */
    uint64_t waitq_count;   /* ids handed out: the last one */

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
 * 0, or -1 with each broken invariant appended to out, or -ENOMEM when the check
 * itself could not get the memory it needs (then nothing is known). */
int world_check(const struct world *w, struct text *out);

/* The leak audit at the end of a run: every channel slot, endpoint reference,
 * handle, heap block, port, zombie and stranded in-queue handle still there, with
 * its owner and history. Returns the number of leaked objects; the report goes to
 * out. */
uint32_t world_audit(const struct world *w, struct text *out);

/* What the leak audit found, as the lines a failure's signature keys on
 * (sim/signature.h): the kind of each leaked object and the name of its owner or
 * creator, one line each, appended to out. */
void world_leak_shape(const struct world *w, struct text *out);

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
void world_wake(struct world *w, struct waitq *queue, enum waitq_wake reason);

/* Queues the interruption of pid's blocked call by a signal a model sent it
 * (SIGCHLD, SIGPIPE), in order with the wake-ups. */
void world_interrupt(struct world *w, uint32_t pid);

/* Gives wq (not recorded: new, or retired) the next object id of the run, its kind
 * (a string literal) and its name (cut at 31 bytes; NULL for a queue its owner names
 * on demand, through name_of), and records it so that world_waitq finds it by id.
 * Ids count up from 1 in creation order, the models' queues and the sys layer's
 * mutexes and semaphores alike: they enter the trace hash. When the record cannot
 * grow, wq gets id 0 and w->out_of_memory is set. */
void world_waitq_init(struct world *w, struct waitq *wq, const char *kind, const char *name);

/* Forgets wq's record, before the object that holds it is made anew (a table slot
 * reused) or cleared (a process reaped): its id names nothing from then on. A queue
 * with id 0 was never recorded; nothing happens. Until then, the queue of an object
 * that died keeps its name, for the wake-ups and reports that follow the death. */
void world_waitq_retire(struct world *w, struct waitq *wq);

/* wq's name: its name field, or the name made on demand into buf
 * (WAITQ_NAME_BYTES). */
const char *world_waitq_name(const struct waitq *wq, char *buf);

/* The wait queue with object id id, or NULL (never made, or retired). */
const struct waitq *world_waitq(const struct world *w, uint64_t id);

#endif
