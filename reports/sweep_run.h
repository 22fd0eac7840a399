/* sweep_run — the sweep engine: the seeds of one configuration through the worker
 * pool (pool.h), each result a record streamed to the results file, the tally
 * (tally.h) and the JUnit report, and a repro file per failure group.
 *
 * A seed that crashes the C code or runs past its wall-clock limit is a record too
 * (outcome crash or timeout), and the sweep goes on. */
#ifndef DETSIM_SWEEP_RUN_H
#define DETSIM_SWEEP_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "faults/fail_nth.h"
#include "reports/junit.h"
#include "reports/plan.h"
#include "reports/seeds.h"
#include "reports/sweep.h"
#include "reports/tally.h"
#include "sim/run.h"
#include "util/outfile.h"

/* Where sweeps write each failure group's repro file (and its page). */
#define SWEEP_REPRO_DIR "reports/out/repro"

struct sweep_run {
    struct run_options run; /* the configuration running now; faults points into faults */
    struct fault_spec faults[FAULT_SPECS_MAX + 1]; /* --fault, and the fail-nth spec */
    enum sched_outcome expect;
    int expect_given;        /* --expect: every configuration is held to it */
    struct plan_config plan; /* the running configuration's label, replay command and
                                declaration */
    long config;             /* its number */
    double time_limit_s;     /* per seed */
    unsigned jobs;           /* workers at a time */
    int report;              /* an HTML page beside each group's repro */
    struct seeds seeds;      /* the seeds of this sweep (or shard) */
    int swarm;               /* --swarm: each seed arms the faults it draws
                                (fault_swarm_draw) beside s->faults */
    uint64_t probe_steps;    /* the running configuration's length (a probe run at seed 0
                                under random), for strategies that need it; 0: unknown */
    const struct seeds_set *done; /* (configuration, seed) the results file has; may be NULL */
    struct tally tally;      /* every result so far, added up */
    int json_fd;             /* the results file (appended to), -1 for none */
    const char *json_path;   /* its name, for messages */
    long json_bytes;         /* the length of its complete lines */
    struct junit *junit;     /* the JUnit report, NULL for none */
    int repro_failed;        /* a repro file could not be written: no more are tried */
    char error[OUTFILE_PATH_MAX + 256]; /* why the last call failed */
};

/* Appends header to the results file (a new one). Returns 0, or -errno with the
 * reason in s->error (the file then ends with its last complete line). */
int sweep_run_write_header(struct sweep_run *s, const struct sweep_header *header);

/* Counts record in s->tally (want_repro: a group it starts gets a repro file), and
 * writes it to the results file (flushed at once: an interrupted sweep loses
 * nothing; a write that fails is cut back off, so that the file ends with its last
 * complete line) and to the JUnit report. Returns 0, or -errno with the reason in
 * s->error. */
int sweep_run_add(struct sweep_run *s, const struct sweep_record *record, int want_repro);

/* The options seed runs with: s->run with the seed, the strategy it names made
 * concrete (the portfolio's arm for seed, steps from s->probe_steps) and, with
 * s->swarm, the faults the seed draws after s->faults, in faults (the caller's,
 * room for FAULT_SPECS_MAX; run->faults points there then). */
void sweep_run_options_for(const struct sweep_run *s, uint64_t seed, struct run_options *run,
                           struct fault_spec faults[FAULT_SPECS_MAX]);

/* Runs the seeds of s->seeds that s->done does not have under the running
 * configuration, in forked workers, and adds a record for each (todo: how many that
 * is, for progress: as for struct pool, NULL for none). Returns 0, or -errno with the
 * reason in s->error: -EINTR when a signal was caught, a write that failed, no
 * worker could be started; the seeds not reported are then missing. */
int sweep_run_seeds(struct sweep_run *s, long todo,
                    void (*progress)(long done, long todo, long failing));

/* Runs seed once in a forked child (reports/isolate.h), so that a crash or a hang of
 * the C code is a result, for the fail-nth loop: fills record and *nth: the hits the
 * last fault spec (the loop's) counted, and for a crash or a timeout whether a fault
 * fired first. Returns 0, or -errno with the reason in s->error (no child could be
 * started, its harness ran short, -EINTR). */
int sweep_run_one(struct sweep_run *s, uint64_t seed, struct sweep_record *record,
                  struct fail_nth_run *nth);

/* Writes the repro file of every failure group of s->tally still without one, in
 * SWEEP_REPRO_DIR unless one is there (and, with s->report, its page): a group that
 * ran to an outcome is rerun in a child, recording its choices; a crash or a timeout
 * is written from its seed. Returns 0, or -errno with one line in s->error for the
 * first that could not be written; after that none is tried again (a directory that
 * cannot be made fails every one the same way). */
int sweep_run_write_repros(struct sweep_run *s);

#endif
