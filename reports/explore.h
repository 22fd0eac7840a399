/* explore — systematic, depth-first exploration of a scenario's choice tree.
 *
 * Every decision of a run is a draw from the choice stream (util/choice.h): which
 * ready task runs next, whether a failpoint's hit fires, a scenario knob. The
 * explorer decides each draw itself (sim/run.h's run_chooser): a run follows a
 * prefix of decisions, then the default at every later one (the task that ran last
 * goes on, a fault does not fire, a knob is 0), and its decisions come back. The
 * next run takes the deepest decision with an alternative left and follows it, and
 * so on until no alternative is left within the bound: the bounded space is then
 * exhausted, and every schedule in it was run.
 *
 * The bound (CHESS's, Musuvathi and Qadeer 2007; Emmi, Qadeer and Rakamarić 2011):
 *   preemptions  choosing another task than the one that goes on costs 1: the task
 *                that ran the last step, or after its sys_yield the task that waited
 *                longest; after a block or an exit every choice is free
 *   delays       the deterministic scheduler's order is: the one that goes on (as
 *                above; after a block or an exit, none), then the ready tasks in
 *                arrival order; taking the k-th of that order costs k
 * and at most faults_max fires of the armed failpoints along a run (each hit that
 * draws is a decision: fire or not), and at most knobs_max knob draws (sys_choose)
 * other than 0.
 *
 * Sleep sets (Godefroid 1996) prune interleavings that differ only in the order of
 * independent steps. The step of a task is what it does from a pick to its next
 * scheduling point; two steps are independent when they touch no model object in
 * common (sim/access.h's relation over their pending calls) and neither drew a
 * fault or a knob or ended its task. Memory the scenario shares outside the models,
 * and virtual time, are not seen: explore_options.reduce = 0 turns pruning off for
 * a scenario that communicates through them.
 *
 * Runs are made in a forked worker (one at a time), so a scenario that crashes or
 * loops in C costs one run, never the explorer: the run ends as a crash (or a
 * timeout past the per-run wall-clock limit) with its decisions up to then, and a
 * fresh worker takes the next. The budget is runs or CPU time (the worker's and
 * the explorer's), never wall-clock time. */
#ifndef DETSIM_EXPLORE_H
#define DETSIM_EXPLORE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/run.h"

#define EXPLORE_DECISIONS_MAX (1u << 18) /* a run with more is not branched past them */

enum explore_bound_kind {
    EXPLORE_PREEMPTIONS,
    EXPLORE_DELAYS,
};

struct explore;

struct explore_options {
    struct run_options run;        /* scenario, config, fault specs (its strategy is ignored) */
    enum explore_bound_kind bound_kind;
    uint32_t bound;                /* the most preemptions or delays along a run */
    uint32_t faults_max;           /* the most fault fires along a run */
    uint32_t knobs_max;            /* the most knob draws other than 0 along a run
                                      (UINT32_MAX: every value of every knob) */
    uint64_t executions_max;       /* 0: no limit */
    uint64_t cpu_ns_max;           /* 0: no limit */
    int reduce;                    /* prune with sleep sets */
    double run_time_limit_s;       /* wall-clock limit of one run (a C loop), 0: none */
    /* Called after each run (NULL: none): the explorer as it stands. */
    void (*progress)(void *context, const struct explore *e);
    void *context;
};

/* One distinct failure: the first run that failed with its signature. */
struct explore_failure {
    uint64_t signature;            /* as sweeps group failures */
    uint64_t count;                /* runs that failed with it */
    uint64_t first_execution;      /* 1-based */
    struct run_result result;      /* the first run's, its choices included */
};

struct explore {
    uint64_t executions;           /* runs made */
    uint64_t pruned;               /* alternatives a sleep set skipped */
    uint64_t depth_max;            /* the most decisions in one run */
    uint64_t cpu_ns;               /* the explorer's and its workers' CPU time */
    uint64_t workers_started;
    uint64_t last_hash;            /* the last run's trace hash (for progress) */
    enum sched_outcome last_outcome;
    int exhausted;                 /* every schedule within the bound was run (never with
                                      truncated) */
    int interrupted;               /* a signal was caught (reports/isolate.h) */
    int out_of_budget;             /* executions_max or cpu_ns_max was reached */
    int nondeterministic;          /* a prefix replayed differently: the tree is not fixed */
    int truncated;                 /* a run had more decisions than the explorer keeps: the
                                      tree past them was not branched, so not exhausted */
    struct explore_failure *failures;
    uint32_t failure_count;
    uint32_t failure_capacity;
    struct explore_state *state;   /* the search's own (explore.c) */
};

/* Explores options->run's scenario within the bounds, until the space is
 * exhausted, the budget is spent, a signal is caught (isolate_catch_signals) or
 * the scenario proves nondeterministic. Fills e (zeroed first). Returns 0 (e says
 * how it ended), -ENOMEM, or -errno when no worker could be started (fork, pipe,
 * mmap). Call explore_free either way. */
int explore_run(struct explore *e, const struct explore_options *options);

/* An estimate of the share of the bounded space run so far, in [0, 1]: each
 * decision on the current path counts the alternatives before its current one
 * among those within the bound, weighted by the share of the tree below it (as if
 * the tree were balanced). For a progress bar only. */
double explore_progress(const struct explore *e, const struct explore_options *options);

/* The run_options that replay failure f (strategy random, its choices): for
 * repro_write_stream. */
struct run_options explore_failure_options(const struct explore_options *options);

void explore_free(struct explore *e);

#endif
