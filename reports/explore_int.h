/* explore_int — what the explorer's search (explore.c) and its worker
 * (explore_worker.c) share: the page the worker writes each run's decisions to,
 * and the order in which a decision's alternatives are tried. */
#ifndef DETSIM_EXPLORE_INT_H
#define DETSIM_EXPLORE_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "explore.h"

#define EXPLORE_DECISIONS_MAX (1u << 18) /* a run with more is not branched past them */
#define EXPLORE_PIDS_MAX (1u << 22)      /* ready pids over a run's decisions */
#define EXPLORE_ACCESS_MAX 6             /* objects a step may touch before it is global */
#define EXPLORE_REPORT_MAX (1u << 20)
#define EXPLORE_NONE UINT32_MAX

/* What one step touched: the model objects of its events, or everything. */
struct explore_access {
    uint8_t global; /* it read or set the clock, spawned, drew a fault or a knob, or
                       touched more than EXPLORE_ACCESS_MAX objects */
    uint8_t count;
    uint64_t objects[EXPLORE_ACCESS_MAX];
};

/* One decision of a run, as the worker recorded it. */
struct explore_decision {
    uint64_t range;
    uint64_t value;
    uint32_t kind;       /* enum choice_kind */
    uint32_t previous;   /* sched: index of the task that could go on, EXPLORE_NONE */
    uint32_t pid_first;  /* sched: its ready pids, at page->pids + pid_first */
    uint32_t pid_count;
    struct explore_access access; /* sched: the chosen task's step */
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
