/* explore_int — what the explorer's search (explore.c) and its worker
 * (explore_worker.c) share: the page the worker writes each run's decisions to,
 * and the order in which a decision's alternatives are tried. */
#ifndef DETSIM_EXPLORE_INT_H
#define DETSIM_EXPLORE_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "explore.h"
#include "sim/access.h"

#define EXPLORE_PIDS_MAX (1u << 20)      /* ready tasks over a run's decisions */
#define EXPLORE_REPORT_MAX (1u << 20)
#define EXPLORE_NONE UINT32_MAX

/* What one step touches: its task's pending call, resolved by sim/access.h when
 * the step was picked, widened to everything when the step did more than the call
 * says: it drew a fault or a knob, or its task ended. */
struct explore_access {
    uint8_t global;
    struct sched_access pending;
};

/* One decision of a run, as the worker recorded it. */
struct explore_decision {
    uint64_t range;
    uint64_t value;
    uint32_t kind;       /* enum choice_kind */
    uint32_t previous;   /* sched: index of the task that could go on, EXPLORE_NONE */
    uint32_t pid_first;  /* sched: its ready pids, at page->pids + pid_first */
    uint32_t pid_count;
    uint8_t global;      /* sched: the chosen step did more than its call (explore_access) */
};

/* The page shared with the worker (MAP_SHARED): the prefix the parent writes, the
 * decisions the worker writes as it goes, so that a run that kills its worker
 * still leaves them. */
struct explore_page {
    uint64_t prefix_count;
    uint64_t prefix[EXPLORE_DECISIONS_MAX];
    volatile uint64_t decision_count;
    volatile uint64_t pid_count;
    volatile uint32_t truncated; /* the run had more decisions than the page holds */
    volatile uint32_t mismatch;  /* a prefix value was out of its draw's range */
    struct explore_decision decisions[EXPLORE_DECISIONS_MAX];
    uint32_t pids[EXPLORE_PIDS_MAX];
    struct sched_access accesses[EXPLORE_PIDS_MAX]; /* of each ready task, beside pids */
};

/* How a run in the worker ended. */
struct explore_end {
    int32_t rc;        /* run_scenario's */
    uint32_t outcome;
    uint64_t steps;
    uint64_t vtime_ns;
    uint64_t hash;
    uint64_t faults_fired;
    uint64_t cpu_ns;   /* the worker's CPU time so far */
    uint64_t signature; /* the run's failure group (sim/signature.h) */
    char signature_text[SIGNATURE_TEXT_BYTES];
    uint64_t report_bytes;
};

struct explore_worker {
    pid_t pid;        /* 0: none */
    int request_fd;   /* the parent writes a prefix count here */
    int result_fd;    /* and reads an explore_end and the report here */
    uint64_t cpu_ns;  /* its CPU time at its last run */
};

/* The value at position of a decision's order of alternatives (position 0 is the
 * default a run takes past its prefix); its cost in preemptions or delays; its
 * fault fires. Positions run from 0 to explore_positions() - 1. */
uint64_t explore_value_at(uint32_t kind, uint64_t range, uint32_t previous, uint64_t position);
uint64_t explore_positions(uint32_t kind, uint64_t range);
uint32_t explore_cost_at(enum explore_bound_kind bound, uint32_t kind, uint32_t previous,
                         uint64_t position);
uint32_t explore_fires_at(uint32_t kind, uint64_t position);
uint32_t explore_knobs_at(uint32_t kind, uint64_t position);

/* Starts a worker for run over page (shared). Returns 0 or -errno. */
int explore_worker_start(struct explore_worker *w, struct explore_page *page,
                         const struct run_options *run);

/* Runs page->prefix in w. Returns 0 with end and report filled; -EPIPE when the
 * worker died (*wstatus set), -ETIMEDOUT past time_limit_s (the worker is killed),
 * -EINTR when a signal was caught, or -errno; w is stopped on any error. */
int explore_worker_run(struct explore_worker *w, double time_limit_s, struct explore_end *end,
                       struct text *report, int *wstatus);

/* Kills and reaps w (nothing when it has none). */
void explore_worker_stop(struct explore_worker *w);

#endif
