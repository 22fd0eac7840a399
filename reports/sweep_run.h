/* sweep_run — the sweep engine: the seeds of one configuration through the worker
 * pool (pool.h), each result a record (streamed to the results file as it comes),
 * and a repro file per failure group.
 *
 * A seed that crashes the C code or runs past its wall-clock limit is a record too
 * (outcome crash or timeout), and the sweep goes on. */
#ifndef DETSIM_SWEEP_RUN_H
#define DETSIM_SWEEP_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reports/plan.h"
#include "reports/sweep.h"
#include "sim/run.h"

/* Where sweeps write each failure group's repro file (and its page). */
#define SWEEP_REPRO_DIR "reports/out/repro"

struct sweep_run {
    struct run_options run; /* the configuration running now; faults points into faults */
    struct fault_spec faults[FAULT_SPECS_MAX + 1]; /* --fault, and the fail-nth spec */
    enum sched_outcome expect;
    int expect_given;        /* --expect: every configuration is held to it */
    struct plan_config plan; /* the running configuration's label, replay command and
                                declaration */
    double time_limit_s;     /* per seed */
    unsigned jobs;           /* workers at a time */
    int report;              /* an HTML page beside each group's repro */
    FILE *json;              /* the results file, NULL for none */
    struct sweep_record *records; /* every result so far (owned) */
    size_t capacity;
    long count;
};

/* Appends record to s->records and to the results file (flushed: an interrupted
 * sweep loses nothing). Returns 0, or -ENOMEM with s unchanged. */
int sweep_run_add(struct sweep_run *s, const struct sweep_record *record);

/* Runs seeds[0..count) of the running configuration in forked workers and adds a
 * record for each (progress: as for struct pool, NULL for none). Returns 0, or a
 * negative error code when no worker could be started (some seeds are then
 * missing). */
int sweep_run_seeds(struct sweep_run *s, const uint64_t *seeds, long count,
                    void (*progress)(long done, long total, long failing));

/* Runs seed once in a forked worker, so that a crash or a hang of the C code is a
 * result: fills record and *hits, the hits the last fault spec (the fail-nth one)
 * counted (0 when the worker was lost). */
void sweep_run_one(struct sweep_run *s, uint64_t seed, struct sweep_record *record,
                   uint64_t *hits);

/* For record of the running configuration, when it is a failure (or reproduces its
 * declared one) that ran to an outcome: reruns its seed in this process, recording
 * choices, and writes its group's repro file in SWEEP_REPRO_DIR unless one is there
 * (and, with s->report, its page, whose failure report_page_beside_repro prints).
 * Returns 0, or -errno with one line in error. */
int sweep_run_write_repro(const struct sweep_run *s, const struct sweep_record *record,
                          char *error, size_t error_bytes);

#endif
