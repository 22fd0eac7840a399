/* Hardening: whatever the input or the fault, detsim gives a clear error or the right
 * result, never a crash, a silent loss or a runaway process (issue 14). Each test
 * is the regression test of one finding; most run the built binary (DETSIM_BIN) as a
 * user would, so that they can be run against an older build too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_WORK_PREFIX "/tmp/detsim-harden-"
#include "cli_helpers.h"

TestSuite(harden, .fini = remove_work_dir);

/* Exit 0 or 1, never a signal: the shell reports 128 + N for one. */
static void expect_no_crash(const struct cli_result *r, const char *what)
{
    cr_assert(r->status < 128, "%s: killed by signal %d; stderr: %s", what, r->status - 128,
              r->err);
}

/* Item 1: option arrays are sized by their callers; a flag repeated takes no room. */
Test(harden, repeated_options_never_overflow_the_option_array)
{
    struct cli_result *r = shell("$DETSIM list $(printf -- '--names %%.0s' $(seq 20))");
    expect_no_crash(r, "list --names x20");
    cr_assert_eq(r->status, 0, "list --names x20: exit %d, %s", r->status, r->err);
    cr_assert(strstr(r->out, "lock-order\n"), "%s", r->out);
    r = shell("$DETSIM faults $(printf -- '--help %%.0s' $(seq 40))");
    expect_no_crash(r, "faults --help x40");
    cr_assert_eq(r->status, 0, "faults --help x40: exit %d, %s", r->status, r->err);
    r = shell("$DETSIM sweep lock-order $(printf -- '--set rounds=1 %%.0s' $(seq 300))");
    cr_assert_eq(r->status, 2, "300 --set: exit %d", r->status);
    cr_assert(strstr(r->err, "too many options for 'sweep'"), "%s", r->err);
    r = shell("$DETSIM shrink x.repro $(printf -- '--output o %%.0s' $(seq 20))");
    cr_assert_eq(r->status, 2, "20 --output: exit %d", r->status);
    cr_assert(strstr(r->err, "too many options for 'shrink'"), "%s", r->err);
}
