/* shrink — the smallest run that still fails the same way.
 *
 * Hypothesis-style: shrink the recorded choices, not the output. Every candidate is
 * a choice sequence fed back to the same scenario and config, so every candidate is
 * a run the harness could have produced. A candidate is kept when its run has the
 * same signature (sim/signature.h: the failure's structure, as sweeps group them) and
 * the choices it actually consumed are smaller: fewer, then lower values. Lower
 * values mean earlier ready tasks, so fewer preemptions; fewer choices mean a
 * shorter run. Passes: cut the tail, delete chunks, lower each value. CPU time (its
 * own and its runs', not the wall clock: the machine may be shared) bounds the work;
 * it never reaches a run. */
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
    double cpu_deadline;           /* CPU seconds, its own and its runs' (getrusage) */
    int interrupted;               /* a signal was caught (reports/isolate.h): it stopped */
    int failed;                    /* -errno: a run could not be made, so it stopped (what
                                      it kept may not be the smallest it would find) */
};

/* Sets s up to shrink repro (which must outlive s) for at most seconds of CPU time
 * (this process's and its children's), and runs the original: replayed from its choices, or from its seed when it
 * has none, recording. Every run is in a child (reports/isolate.h). Returns 0;
 * -EINVAL when the original passes (nothing to shrink); -ECHILD when it crashes or
 * runs out of time (s->best_result holds its report; shrink_free releases it);
 * -EINTR, or -errno when no child could run (s then holds nothing). */
int shrink_start(struct shrinker *s, const struct repro *repro, uint64_t seconds);

/* Shrinks s->best until no pass finds anything smaller, the time is up, a signal is
 * caught (s->interrupted), or a run cannot be made (s->failed). */
void shrink_reduce(struct shrinker *s);

/* Whether shrink_reduce ended before the time limit and any signal: nothing smaller
 * was found. */
int shrink_finished(const struct shrinker *s);

/* The choices of kind in s->best other than 0 (for CHOICE_SCHED: preemptions). */
uint64_t shrink_count_nonzero(const struct shrinker *s, enum choice_kind kind);

/* Writes the best run, choices and all, as a repro file to out (path names it in its
 * header). The caller checks and commits the stream (util/outfile.h). */
void shrink_write_stream(const struct shrinker *s, FILE *out, const char *path);

void shrink_free(struct shrinker *s);

#endif
