/* waitq — a wait queue: model data that says "these tasks wait on this object".
 *
 * An object a task can wait on (an endpoint's readers and writers, a port, a
 * process's children; the sys layer's mutexes and semaphores) embeds a struct
 * waitq. The models never park or wake anyone: a model call that would block
 * returns MODEL_WOULD_BLOCK and names the queue (world.block_on), and a call that
 * would wake waiters queues the wake-up (world_wake); the scheduler (sim/) carries
 * both out, threading the waiting tasks through first/last by pid. Ids come from
 * the world, in creation order (world_waitq_init), and enter the trace hash.
 *
 * Data only: nothing here runs. */
#ifndef DETSIM_WAITQ_H
#define DETSIM_WAITQ_H

#include <stdint.h>

#include "util/text.h"

/* A model call's result meaning "park on w->block_on, then call again": positive,
 * so it never collides with an index, a pid or a negative error. */
#define MODEL_WOULD_BLOCK 1

/* The same, from a call that has already done part of its work (a pipe write that
 * wrote some bytes): a signal handler that runs while it waits ends it with what
 * it did, never restarts it. Far below any errno, so that it collides with no pid
 * (wait returns one) and no error. */
#define MODEL_WOULD_BLOCK_PARTIAL (-0x7fff0000)

/* Why a waiter left its queue. The values are part of the trace hash: never
 * renumber one, only append. */
enum waitq_wake {
    WAITQ_WAKE_NONE = 0,
    WAITQ_WAKE_DATA = 1,    /* something to read arrived */
    WAITQ_WAKE_HUP = 2,     /* the peer hung up */
    WAITQ_WAKE_CLOSE = 3,   /* the object itself was closed */
    WAITQ_WAKE_SIGNAL = 4,  /* a signal interrupted the wait */
    WAITQ_WAKE_TIMEOUT = 5, /* the wait's deadline passed */
    WAITQ_WAKE_RELEASE = 6, /* a lock or semaphore unit was handed over */
    WAITQ_WAKE_EXIT = 7,    /* the task waited for exited */
    WAITQ_WAKE_TIMER = 8,   /* a sleep ended */
    WAITQ_WAKE_COUNT
};

struct waitq;

/* Who holds or could signal a wait queue's object, for hang reports: fills up to max
 * pids and returns how many there are; writes the relation ("is held by", ...) to
 * *relation. */
typedef uint32_t (*waitq_holders_fn)(const struct waitq *wq, uint32_t *pids, uint32_t max,
                                     const char **relation);

/* Appends a description of the object's state to out ("count 0, last posted by
 * pid 3 at step 12"). */
typedef void (*waitq_describe_fn)(const struct waitq *wq, struct text *out);

/* Writes the name of a queue that is named on demand into name (WAITQ_NAME_BYTES),
 * from its owner: a name only traces and reports read is not worth formatting at
 * every creation (a process's child queue, a channel's). */
typedef void (*waitq_name_fn)(const struct waitq *wq, char *name);

#define WAITQ_NAME_BYTES 32

struct waitq {
    uint64_t id;       /* object id in the trace, from world_waitq_init; 0: none */
    const char *kind;  /* "mutex", "semaphore", "channel", "port", "task" */
    char name[WAITQ_NAME_BYTES]; /* unless named on demand */
    uint32_t first;    /* pid of the longest waiter, 0 when empty */
    uint32_t last;
    uint32_t count;
    waitq_holders_fn holders;   /* may be NULL */
    waitq_describe_fn describe; /* may be NULL */
    waitq_name_fn name_of;      /* NULL: the name is in name */
    void *owner;       /* the object the queue belongs to, for the callbacks */
    uint64_t owner_id; /* which one, when owner is a table */
};

#endif
