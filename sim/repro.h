/* repro — repro files: a text record of one run that replays it exactly.
 *
 *     # comments start with '#'
 *     detsim_version = 0.1.0
 *     scenario = lock-order
 *     seed = 7
 *     strategy = random
 *     fault = model/heap/alloc:p=0.1  (one line per --fault spec, in order)
 *     config max_steps = 1000000      (one line per config key; all are written)
 *     expect_outcome = hang-deadlock
 *     expect_hash = 0x0123456789abcdef
 *     signature = 0x0123456789abcdef   (outcome + failure structure; optional)
 *     steps = 14                       (informational)
 *     choices = s2:1 s3:0 p1048576:77  (KIND RANGE:VALUE; may span several lines)
 *
 * Choice kinds: s = which ready task runs, p = PCT priority, c = PCT change point,
 * f = fault, k = scenario knob. Editing a value (lower is simpler) gives another run
 * the harness could have produced; that is what shrinking does. */
#ifndef DETSIM_REPRO_H
#define DETSIM_REPRO_H

#include <stddef.h>

#include "run.h"

struct repro {
    struct run_options options; /* scenario, seed, strategy, config */
    enum sched_outcome expect_outcome;
    uint64_t expect_hash;
    int has_hash;
    uint64_t expect_signature;
    int has_signature;
    int has_choices; /* a choices line was present (even if empty) */
    struct fault_spec faults[FAULT_SPECS_MAX]; /* options.faults points here */
    struct choice_record *choices;
    size_t choice_count;
    char version[32];
};

/* Writes a repro of (options, result) to path through a temporary file renamed into
 * place, so an existing file is never left half-written. result->choices must hold
 * the recording. Returns 0, or -errno with a reason in error. */
int repro_write(const char *path, const struct run_options *options,
                const struct run_result *result, char *error, size_t error_bytes);

/* Writes the repro text of (options, result) to out; path names it in the header.
 * A crash or a timeout is written without hash, signature and steps (the run ended
 * before it had them), and without choices unless result has a recording (then it
 * replays from its seed). The caller checks and commits the stream
 * (util/outfile.h). */
void repro_write_stream(FILE *out, const char *path, const struct run_options *options,
                        const struct run_result *result);

/* Reads path. Returns 0, or -EINVAL / -errno with "FILE:LINE: reason" in error.
 * repro->options.faults points into repro itself: do not copy a repro by value
 * while its options are in use. */
int repro_read(const char *path, struct repro *repro, char *error, size_t error_bytes);

/* repro_read of the stream in, named name in errors. */
int repro_read_stream(FILE *in, const char *name, struct repro *repro, char *error,
                      size_t error_bytes);

void repro_free(struct repro *repro);

#endif
