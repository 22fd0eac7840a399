/* junit — a sweep's results as a JUnit XML report, for CI. */
#ifndef DETSIM_JUNIT_H
#define DETSIM_JUNIT_H

#include "reports/sweep.h"

/* Writes the report of scenario's records[0..count) to path, through a temporary
 * file renamed into place: one testcase per record (failed when its outcome was not
 * the expected one) and, when declared is not NULL, first one per configuration c <
 * configs for its verdict: labels[c] ("" for the default) is declared to have
 * declared[c], and held[c] says whether it did. Returns 0, or -errno (path is then
 * as it was). */
int junit_write(const char *path, const char *scenario, const struct sweep_record *records,
                long count, const char *const *labels, const char *const *declared,
                const int *held, long configs);

#endif
