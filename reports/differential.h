/* differential — the same scenario in simulation and on real processes (the Linux
 * backend), compared configuration by configuration: which outcome classes each
 * side reached, and how often.
 *
 * Agreement: each side reaches what the other reached. A class the real runs
 * reached that no simulated seed did is a disagreement (the model cannot produce
 * what the kernel does); so is a class the simulated seeds reached often enough
 * that the real runs should have seen it (a rate p with (1 - p)^K below 5% for K
 * real runs) and never did. A rarer one is reported, not judged.
 *
 * A configuration that turns on a kernel bug switch (a bug_* key: a bug of the
 * seed documents' kernels, in the model) cannot be reproduced on Linux, which has
 * no such bug: its real runs are compared with the model without the switch, and
 * the row says so. */
#ifndef DETSIM_DIFFERENTIAL_H
#define DETSIM_DIFFERENTIAL_H

#include <stdint.h>
#include <stdio.h>

#include "sim/run.h"

/* One side's runs of one configuration. */
struct differential_side {
    uint64_t runs;
    uint64_t by_outcome[SCHED_OUTCOME_COUNT];
    uint64_t cpu_ns;  /* CPU time, user and system (the real side: every process) */
    uint64_t wall_ns;
};

struct differential_row {
    char label[96];       /* the configuration (its variant), "" for the defaults */
    char switches[96];    /* the kernel bug switches it turns on, "" for none */
    struct differential_side sim;       /* simulated, as configured */
    struct differential_side reference; /* simulated without the switches (when any) */
    struct differential_side real;
    int agree;
    char verdict[200];
};

struct differential {
    const struct scenario *scenario;
    uint64_t seed;       /* the first seed of each side */
    uint64_t count;      /* simulated seeds per configuration */
    uint64_t real_runs;  /* real runs per configuration */
    FILE *json;          /* one line per run, NULL for none */
};

/* Runs configuration config (of d->scenario; label names it) on both sides and
 * judges the row. Returns 0, -EPERM with the reason in error (a real run could not
 * start), or -ENOMEM. */
int differential_run(const struct differential *d, const struct config *config,
                     const char *label, struct differential_row *row, char *error,
                     size_t error_bytes);

/* The table's header, one row, and the closing cost line over rows[0..count). */
void differential_print_header(FILE *out, const struct differential *d);
void differential_print_row(FILE *out, const struct differential_row *row);
void differential_print_costs(FILE *out, const struct differential_row *rows, uint32_t count);

#endif
