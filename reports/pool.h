/* pool — seeds run in forked workers, a few at a time, each under a wall-clock
 * limit that the worker enforces itself.
 *
 * Worker j runs the seeds at indexes j, j + stride, ... (stride: the workers at
 * most) and sends their records back in batches. A seed past its time limit costs
 * that seed only: the worker's alarm sends what it has, then a timeout for the seed
 * it is on, and a fresh worker takes the rest of the share. A seed that crashes
 * ends its worker, not the caller: a careful worker reruns the unreported seeds of
 * the share one report at a time, to pin the crash on its seed. A worker whose
 * memory grew by POOL_WORKER_GROWTH_BYTES (scenario code that leaks) hands its share
 * on to a fresh one. Workers die with the caller (PR_SET_PDEATHSIG) and ignore
 * SIGINT and SIGTERM: a caught signal (reports/isolate.h) stops the pool, which
 * kills them. Wall-clock time is read here, for the limits only: it never reaches a
 * run. */
#ifndef DETSIM_POOL_H
#define DETSIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "reports/sweep.h"

#define POOL_WORKER_GROWTH_BYTES (256L << 20)

/* How a worker ended without sending a seed's result. */
enum pool_loss_kind {
    POOL_LOSS_TIMEOUT, /* the seed ran past its time limit */
    POOL_LOSS_DIED,    /* it exited or died of a signal: the wait status says which */
};

struct pool_loss {
    enum pool_loss_kind kind;
    int status; /* the worker's wait status, for POOL_LOSS_DIED */
};

struct pool {
    unsigned jobs;       /* workers at a time, at least 1 */
    double time_limit_s; /* per seed, whole seconds */
    long count;          /* seed indexes 0..count-1 */
    /* In the caller and in the workers: 1 with *seed when index runs, 0 when it is
     * skipped (a resumed sweep has it already). */
    int (*seed_at)(void *context, long index, uint64_t *seed);
    /* In a worker: runs seed and fills record (zeroed). Returns 0, or nonzero when the
     * harness failed (out of memory): the pool then stops with -ENOMEM. */
    int (*run_seed)(void *context, uint64_t seed, struct sweep_record *record);
    /* In the caller, in the order they come: a record a worker sent. Returns 0, or
     * nonzero to stop the pool (pool_run returns it). */
    int (*add)(void *context, const struct sweep_record *record);
    /* In the caller: seed ended its worker; loss says how. Returns as add. */
    int (*lose)(void *context, uint64_t seed, const struct pool_loss *loss);
    /* In the caller, after each batch of records and each loss (NULL: none): the seeds
     * done, of todo, and how many of them were not expected or were lost. */
    void (*progress)(long done, long todo, long failing);
    long todo;           /* the seeds that run (for progress only) */
    void *context;
};

/* Runs the seeds of pool over pool->jobs workers; every seed that runs ends as one
 * add or one lose. Returns 0; what add or lose returned to stop it; -EINTR when a
 * signal was caught; -ENOMEM when a worker's harness ran short; or -errno when no
 * worker could be started at all (fork: EAGAIN). The workers are then killed, and
 * the seeds not reported have neither add nor lose. */
int pool_run(const struct pool *pool);

#endif
