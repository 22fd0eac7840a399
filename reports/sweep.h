/* sweep — many seeds of one scenario in forked workers, their results as JSON
 * Lines, and a summary that groups failures by signature.
 *
 * A seed's signature is its outcome plus a fingerprint of its report with every
 * number taken out: fifty seeds that hang the same way, at different steps, share
 * one signature and show as one group. */
#ifndef DETSIM_SWEEP_H
#define DETSIM_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "sim/run.h"

struct sweep_record {
    char scenario[64];
    char config[96]; /* the variant and list values this seed ran with ("" for none) */
    uint64_t seed;
    char outcome[24]; /* an outcome name, or "crash" / "timeout" */
    int expected;     /* the outcome is the expected one */
    int reproduces;   /* the failure its variant declares, with the declared cause */
    uint64_t steps;
    uint64_t vtime_ns;
    uint64_t hash;
    uint64_t signature;
    char signature_text[160]; /* the report's first line, numbers as '#' */
    char replay[512];         /* the command that replays this seed */
    uint64_t fired[FAULT_POINT_COUNT]; /* injected faults that fired, by failpoint */
};

/* Fills the signature fields of record from a run's outcome and report. */
void sweep_signature(struct sweep_record *record, const char *outcome, const char *report);

/* The repro file of record's failure group in dir: SCENARIO[-CONFIG]-SIGNATURE.repro,
 * with the config label's spaces and unusual characters as '_'. */
void sweep_repro_path(char *path, size_t bytes, const char *dir, const struct sweep_record *r);

/* Writes record as one JSON object on one line. Its last member, "fired", maps the
 * name of every failpoint that fired to its count, in failpoint order ({} when none
 * fired). */
void sweep_write_json(FILE *out, const struct sweep_record *record);

/* Parses one line written by sweep_write_json; a line without "fired" (written
 * before it existed) reads as nothing fired. Returns 0, or -EINVAL. */
int sweep_parse_json(const char *line, struct sweep_record *record);

/* Reads every record of a JSON Lines file into *records (grown with realloc; the
 * caller frees), after the count already there. A last line with no newline (a
 * sweep killed mid-write) is skipped; *complete_bytes (may be NULL) gets the length
 * of the complete lines. Returns the new count, or -1 with "FILE:LINE: reason" in
 * error. */
long sweep_read_file(const char *path, struct sweep_record **records, size_t *capacity,
                     long count, long *complete_bytes, char *error, size_t error_bytes);

/* Prints one row per config label: seeds, outcome counts, failure rate and first
 * failing seed; then, when declared is not NULL, declared[i] (the outcome config i
 * is declared to have) and whether it held: a "pass" config passes every seed,
 * another reproduces at least once. When partial (one shard of a sweep), a failure
 * that did not reproduce in these seeds is not judged. held (may be NULL) gets 1 or
 * 0 per config. Returns the number of configs whose declaration did not hold. */
long sweep_config_table(FILE *out, const struct sweep_record *records, long count,
                        const char *const *labels, const char *const *declared, long configs,
                        int partial, int *held);

/* The distinct config labels of records, in order of first appearance, into
 * labels[0..max) (pointers into records). Returns how many. */
long sweep_config_labels(const struct sweep_record *records, long count, const char **labels,
                         long max);

/* Prints outcome counts and the failure groups (unexpected outcomes by signature:
 * count, first seed, replay command, repro file when repro_dir has one). Records
 * may be in any order; unit names them ("seeds", "runs"). Returns how many records
 * were not the expected outcome. */
long sweep_summary(FILE *out, const struct sweep_record *records, long count,
                   const char *repro_dir, const char *unit);

#endif
