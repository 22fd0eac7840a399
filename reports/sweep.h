/* sweep — one seed's result as a record, a sweep's results file (JSON Lines: one
 * header line, then one record a line; docs/reports.md has the format) and its
 * reader (reports/sweep_read.c, on jansson).
 *
 * A seed's signature is the run's (sim/signature.h): its outcome and the failure's
 * structure (a hang's wait-for graph, a check's place and format, what leaked and
 * whose), never a number: fifty seeds that hang the same way, at different steps,
 * share one signature and show as one group (reports/tally.h counts them).
 *
 * The header line says what every seed of the file ran with: scenario, strategy,
 * --expect, the --set values, the --fault specs, the seeds and shard, and the
 * configurations with what each declares. A resume or
 * a merge compares headers and refuses results of other settings, naming the
 * difference. The reader (sweep_read_results) is the one place that parses a file. */
#ifndef DETSIM_SWEEP_H
#define DETSIM_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "reports/plan.h"
#include "sim/run.h"

#define SWEEP_LABEL_BYTES 96 /* a configuration's label, its NUL included */
#define SWEEP_REPORT_LINES 6    /* of a report, kept in its record (for JUnit) */
#define SWEEP_REPORT_BYTES 640
#define SWEEP_FORMAT 2         /* of results files: 1 had configurations as strings */

struct sweep_record {
    char scenario[64];
    char config[SWEEP_LABEL_BYTES]; /* the variant and list values it ran with ("": none) */
    uint64_t seed;
    char outcome[24]; /* an outcome name (crash and timeout included) */
    int expected;     /* the outcome is the expected one */
    int reproduces;   /* the failure its variant declares, with the declared cause */
    uint64_t steps;
    uint64_t vtime_ns;
    uint64_t hash;
    uint64_t signature;
    char signature_text[SIGNATURE_TEXT_BYTES]; /* its readable form */
    char report[SWEEP_REPORT_BYTES]; /* the report's first lines, as they are */
    char replay[2048];        /* the command that replays this seed */
    char strategy[64];        /* the strategy the seed ran ("": the header's) */
    char swarm[1024];         /* --swarm: the fault specs the seed drew, space-separated
                                 ("": none, or no --swarm) */
    uint64_t fired[FAULT_POINT_COUNT]; /* injected faults that fired, by failpoint */
};

/* What every record of a results file ran with. Two sweeps whose headers are equal
 * can be resumed into and merged with each other. */
struct sweep_header {
    char scenario[64];
    char strategy[64];  /* as run_format_strategy writes it */
    char expect[24];    /* --expect OUTCOME; "" when each configuration has its own */
    char settings[512]; /* the --set values (lists aside) that differ from the defaults,
                           "KEY=VALUE ..." in key order; "" for none */
    char faults[FAULT_SPECS_MAX * (FAULT_SPEC_TEXT_MAX + 3)]; /* the --fault specs in
                           order, each single-quoted, space-separated; "" for none */
    long config_count;  /* 1 or more */
    char configs[PLAN_CONFIGS_MAX][SWEEP_LABEL_BYTES]; /* their labels, in plan order */
    /* Not compared (sweep_header_diff): what a merge needs to give the verdicts. */
    char declared[PLAN_CONFIGS_MAX][24]; /* the outcome each configuration is held to */
    int verdicts;       /* the configurations are judged against what they declare */
    uint64_t first, last, shard, shards; /* the seeds: first..last, shard K of N */
};

/* Copies the signature of result (run_scenario's, or run_signature_from_report's)
 * into record. */
void sweep_signature(struct sweep_record *record, const struct run_result *result);

/* The repro file of record's failure group in dir: SCENARIO[-CONFIG]-SIGNATURE.repro,
 * with the config label's spaces and unusual characters as '_'. */
void sweep_repro_path(char *path, size_t bytes, const char *dir, const struct sweep_record *r);

/* Writes record as one JSON object on one line (docs/reports.md has the format):
 * its configuration as an object (util/json.h), its seed as a decimal string, and
 * last "fired", which maps the name of every failpoint that fired to its count, in
 * failpoint order ({} when none fired). The caller checks the stream
 * (util/outfile.h). */
void sweep_write_json(FILE *out, const struct sweep_record *record);

/* Writes header as the first line of a results file. The caller checks the stream. */
void sweep_write_header(FILE *out, const struct sweep_header *header);

/* Compares two headers, a of a_name and b of b_name. Returns 0 when they are equal,
 * or 1 with the first difference in text: "strategy: random in A, rr in B". */
int sweep_header_diff(const struct sweep_header *a, const char *a_name,
                      const struct sweep_header *b, const char *b_name, char *text,
                      size_t text_bytes);

/* What sweep_read_results hands the header and each record to; each returns 0, or
 * -1 with one line in error to stop the reading. Either may be NULL. */
struct sweep_reader {
    int (*on_header)(void *context, const struct sweep_header *header, char *error,
                     size_t error_bytes);
    int (*on_record)(void *context, const struct sweep_record *record, char *error,
                     size_t error_bytes);
    void *context;
};

/* Reads a results file from in (named name in errors): its header into *header (and
 * to on_header), then each record, in order, to on_record. Any JSON that has the
 * members is read, whatever its spacing, member order or escapes (it is parsed with
 * jansson), lines of any length; anything else is refused. An empty file, or one
 * whose only line is cut off, has no header: *has_header is then 0 (a sweep killed
 * before its first write). A last line with no newline (a sweep killed mid-write) is
 * skipped; *complete_bytes (may be NULL) gets the length of the complete lines.
 * Returns the number of records read, or -1 with the reason in error: "NAME:LINE:
 * reason" for a bad line or a record on_record refused, on_header's own for the
 * header, "cannot read ...: reason" when reading failed. */
long sweep_read_stream(FILE *in, const char *name, struct sweep_header *header,
                       int *has_header, const struct sweep_reader *reader,
                       long *complete_bytes, char *error, size_t error_bytes);

/* sweep_read_stream of the file at path; one that cannot be read (missing, a
 * directory) is refused with the real reason. */
long sweep_read_results(const char *path, struct sweep_header *header, int *has_header,
                        const struct sweep_reader *reader, long *complete_bytes, char *error,
                        size_t error_bytes);

#endif
