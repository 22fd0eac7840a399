/* shrink — the smallest run that still fails the same way.
 *
 * Hypothesis-style: shrink the recorded choices, not the output. Every candidate is
 * a choice sequence fed back to the same scenario and config, so every candidate is
 * a run the harness could have produced. A candidate is kept when its run has the
 * same signature (outcome plus report fingerprint, as sweeps group failures) and
 * the choices it actually consumed are smaller: fewer, then lower values. Lower
 * values mean earlier ready tasks, so fewer preemptions; fewer choices mean a
 * shorter run. Passes: cut the tail, delete chunks, lower each value. The wall clock
 * bounds the work; it never reaches a run. */
#ifndef DETSIM_SHRINK_H
#define DETSIM_SHRINK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/repro.h"
#include "sim/run.h"

struct shrink_candidate {
    struct choice_record *choices;
    size_t count;
};

struct shrinker {
    struct run_options run;        /* the repro's (borrowed from it) */
    uint64_t signature;            /* of the original failure */
    struct shrink_candidate best;  /* the smallest choices so far (owned) */
    struct run_result best_result; /* their run (its own choices moved to best) */
    uint64_t runs;                 /* runs made, the original's included */
    uint64_t accepted;             /* candidates kept */
    double deadline;               /* wall-clock seconds */
};

/* Sets s up to shrink repro (which must outlive s) for at most seconds of wall-clock
 * time, and runs the original: replayed from its choices, or from its seed when it
 * has none, recording. Returns 0; -ENOMEM when the run could not be set up; or
 * -EINVAL when the original passes (nothing to shrink). On error s holds nothing. */
int shrink_start(struct shrinker *s, const struct repro *repro, uint64_t seconds);

/* Shrinks s->best until no pass finds anything smaller or the time is up. */
void shrink_reduce(struct shrinker *s);

/* Whether shrink_reduce ended before the time limit: nothing smaller was found. */
int shrink_finished(const struct shrinker *s);

/* The choices of kind in s->best other than 0 (for CHOICE_SCHED: preemptions). */
uint64_t shrink_count_nonzero(const struct shrinker *s, enum choice_kind kind);

/* Writes the best run, choices and all, as a repro file at path. Returns 0, or
 * -errno with the reason in error (path is then as it was). */
int shrink_write(const struct shrinker *s, const char *path, char *error, size_t error_bytes);

void shrink_free(struct shrinker *s);

#endif
