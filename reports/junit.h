/* junit — a sweep's results as a JUnit XML report, for CI, written as the results
 * come: one testcase per seed streams to an unnamed scratch file beside the report,
 * and the report itself (header, verdicts, the testcases, end) is written and renamed
 * into place at the end. Memory does not grow with the seeds. */
#ifndef DETSIM_JUNIT_H
#define DETSIM_JUNIT_H

#include "reports/sweep.h"
#include "util/outfile.h"

struct junit {
    struct outfile report; /* the report (util/outfile.h) */
    FILE *cases;           /* the testcases so far: a scratch file, already unlinked */
    char scenario[64];
    long tests, failures;
};

/* Opens the report at path for scenario's sweep, before anything runs, so that a bad
 * path is found first. Returns 0, or -errno (nothing is left open or created). */
int junit_open(struct junit *j, const char *path, const char *scenario);

/* One testcase for record: failed when its outcome was not the expected one. Returns
 * 0, or -errno when the scratch file could not be written. */
int junit_add(struct junit *j, const struct sweep_record *record);

/* Writes the report and renames it into place: when declared is not NULL, first one
 * testcase per configuration c < configs for its verdict (labels[c], "" for the
 * default, is declared to have declared[c]; held[c] says whether it did), then every
 * record's. Returns 0, or -errno (the report is then as it was before the sweep).
 * j is closed either way. */
int junit_finish(struct junit *j, const char (*labels)[SWEEP_LABEL_BYTES],
                 const char *const *declared, const int *held, long configs);

/* Closes j without writing the report (nothing is left behind). */
void junit_discard(struct junit *j);

#endif
