/* pool — seeds run in forked workers, a few at a time, each under a wall-clock
 * limit.
 *
 * A seed that crashes the C code, aborts, or runs past its limit ends its worker,
 * not the caller: the pool pins the loss on that seed, and a fresh worker takes over
 * the rest of the share. Wall-clock time is read here, for the limits only: it never
 * reaches a run. */
#ifndef DETSIM_POOL_H
#define DETSIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "reports/sweep.h"

/* How a worker ended without sending its result. */
enum pool_loss_kind {
    POOL_LOSS_TIMEOUT, /* killed for running past its time limit */
    POOL_LOSS_DIED,    /* it exited or died of a signal: the wait status says which */
    POOL_LOSS_NO_PIPE, /* pool_run_one: no pipe to a worker */
    POOL_LOSS_NO_FORK, /* pool_run_one: no worker could be forked */
};

struct pool_loss {
    enum pool_loss_kind kind;
    int status; /* the worker's wait status, for POOL_LOSS_DIED */
};

struct pool {
    unsigned jobs;       /* workers at a time, at least 1 */
    double time_limit_s; /* per seed, from the worker's last result */
    /* In a worker: runs seed and fills record (zeroed). Returns 0, or nonzero to end
     * the worker, which makes the seed a loss. */
    int (*run_seed)(void *context, uint64_t seed, struct sweep_record *record);
    /* In the caller, in the order they come: a record a worker sent. */
    void (*add)(void *context, const struct sweep_record *record);
    /* In the caller: seed ended its worker; loss says how. */
    void (*lose)(void *context, uint64_t seed, const struct pool_loss *loss);
    /* In the caller, after each batch of records and each loss (NULL: none): the
     * seeds done, of total, and how many of them were not expected or were lost. */
    void (*progress)(long done, long total, long failing);
    void *context;
};

/* Runs seeds[0..count) over pool->jobs workers; every seed ends as one add or one
 * lose. Returns 0, or -ENOMEM or -errno when no worker could be started (pipe, fork):
 * the workers are then killed, and some seeds have neither. */
int pool_run(const struct pool *pool, const uint64_t *seeds, long count);

/* Runs work(context, message) in one forked worker, which sends message_bytes (at
 * most PIPE_BUF, so that they come in one read) of message back; waits at most
 * time_limit_s for them. Returns 0 with message filled, or -1 with *loss saying why
 * nothing came (message is then unspecified). work returns 0, or nonzero to end
 * the worker without an answer. */
int pool_run_one(double time_limit_s, int (*work)(void *context, void *message), void *context,
                 void *message, size_t message_bytes, struct pool_loss *loss);

#endif
