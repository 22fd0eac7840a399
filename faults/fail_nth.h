/* fail_nth — SQLite's malloc loop over one failpoint: the Nth hit fails (every hit
 * from the Nth on, when persistent), for N = 1, 2, ... until a run never reaches
 * the Nth hit.
 *
 * The driver only builds each N's fault spec ("POINT:nth=N", or "POINT:from=N")
 * and decides when to stop; the caller runs the spec (in a forked worker, say) and
 * reports how many hits the run made. It sits in faults/, below the runs: it never
 * runs anything itself. */
#ifndef DETSIM_FAIL_NTH_H
#define DETSIM_FAIL_NTH_H

#include <stddef.h>
#include <stdint.h>

#include "faults/fault.h"

/* What one run of the loop reports. */
struct fail_nth_run {
    uint64_t hits; /* hits the loop's spec counted */
    int cut_short; /* the run ended before it could count (a crash, a timeout) */
    int fired;     /* when cut short: a fault fired before, so the run reached the Nth
                      hit and the loop goes on; when none did, it did not, and the loop
                      ends (a run that crashes whatever N is ends the loop at once) */
};

struct fail_nth {
    const char *point; /* a failpoint name or pattern, accepted by fail_nth_check */
    int persistent;    /* from=N (every hit from the Nth on) instead of nth=N */
    /* Runs spec, the loop's Nth, and fills *run. Returns 0, or a negative error code
     * that ends the loop. */
    int (*run)(void *context, uint64_t n, const struct fault_spec *spec,
               struct fail_nth_run *run);
    /* Called after a run that reached the Nth hit, before N + 1. Returns 0, or a
     * negative error code that ends the loop. */
    int (*reached)(void *context, uint64_t n);
    void *context;
};

/* Checks that point is a failpoint name or pattern without parameters and parses it
 * into spec. Returns 0, or -EINVAL with the reason in error (spec is then
 * unspecified). */
int fail_nth_check(const char *point, struct fault_spec *spec, char *error,
                   size_t error_bytes);

/* Runs the loop: for N = 1, 2, ... parses N's spec into spec (the caller's run
 * arms it from there) and calls loop->run, then loop->reached when the run reached
 * the Nth hit. Returns 0 with *n_last the first N not reached and *hits_last the hits
 * of that run; -EINVAL with the reason in error when N's spec cannot be parsed (a
 * point too long for one); or the error code of a callback. */
int fail_nth_loop(const struct fail_nth *loop, struct fault_spec *spec, uint64_t *n_last,
                  uint64_t *hits_last, char *error, size_t error_bytes);

#endif
