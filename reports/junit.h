/* junit — a sweep's results as a JUnit XML report for CI systems (Jenkins, GitLab,
 * GitHub's test reporters), in the form tests/junit.xsd describes: a <testsuites>
 * root around one <testsuite> with tests, failures, errors, skipped, time, timestamp
 * and hostname; the sweep's settings as properties; one testcase per configuration
 * verdict, then one per seed, sorted by configuration and seed (never by the order
 * the workers finished). A seed that crashed or ran out of time is an <error>, one
 * with another unexpected outcome a <failure>; either carries the report's first
 * lines as they are, and the replay command. A verdict that a shard cannot give
 * alone is <skipped>.
 *
 * Each testcase streams to an unnamed scratch file beside the report as the results
 * come; memory holds only an index (24 bytes a seed) to sort them by. The report is
 * written and renamed into place at the end. */
#ifndef DETSIM_JUNIT_H
#define DETSIM_JUNIT_H

#include <time.h>

#include "reports/sweep.h"
#include "reports/tally.h"
#include "util/outfile.h"

struct junit_case; /* where one testcase is in the scratch file */

struct junit {
    struct outfile report; /* the report (util/outfile.h) */
    FILE *cases;           /* the testcases so far: a scratch file, already unlinked */
    struct junit_case *index;
    long tests, failures, errors, capacity;
    char scenario[64];
    struct timespec started; /* for the suite's time: the only clock read here */
    time_t timestamp;
};

/* Opens the report at path for scenario's sweep, before anything runs, so that a bad
 * path is found first. Returns 0, or -errno (nothing is left open or created). */
int junit_open(struct junit *j, const char *path, const char *scenario);

/* One testcase for record of configuration config: failed when its outcome was not
 * the expected one. Returns 0, or -errno when the scratch file could not be written
 * or the index not grown (j is then as it was). */
int junit_add(struct junit *j, const struct sweep_record *record, long config);

/* Writes the report and renames it into place: header's settings as properties;
 * when verdicts is not NULL, first one testcase per configuration c for its verdict
 * (header->configs[c] is declared to have header->declared[c]; verdicts[c] is a
 * TALLY_ verdict of tally_config_table), then every record's. Returns 0, or -errno (the report is
 * then as it was before the sweep). j is closed either way. */
int junit_finish(struct junit *j, const struct sweep_header *header, const int *verdicts);

/* Closes j without writing the report (nothing is left behind). */
void junit_discard(struct junit *j);

#endif
