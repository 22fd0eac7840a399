/* test_backend_cli — the Linux backend and detsim differential from the command
 * line: bad input is one line on stderr and exit 2, with nothing run; a real run
 * and a differential print what docs/backends.md shows. */
#define CLI_WORK_PREFIX "/tmp/detsim-backend-"
#include "cli_helpers.h"

#include <string.h>
#include <valgrind/valgrind.h>

TestSuite(backend_cli, .fini = remove_work_dir);

/* Skips the test where real runs cannot start (no PID namespace for them). */
static void require_real_runs(void)
{
    struct cli_result *r = shell("$DETSIM run fork-fd-inheritance --backend linux --quiet "
                                 "--variant closerange");
    if (r->status == 2 && strstr(r->err, "cannot start a real run"))
        cr_skip_test("no PID namespace here for real runs: root, or user namespaces, needed");
}

/* Asserts r is exit 2 with exactly one line on stderr, which is line. */
static void assert_usage_error(const struct cli_result *r, const char *line)
{
    cr_assert_eq(r->status, 2, "status %d, stderr: %s", r->status, r->err);
    cr_assert_eq(r->err_lines, 1, "one line on stderr: %s", r->err);
    cr_assert_str_eq(r->err, line, "stderr");
    cr_assert_str_eq(r->out, "", "nothing on stdout: %s", r->out);
}

Test(backend_cli, bad_input_is_one_line_and_exit_2)
{
    assert_usage_error(shell("$DETSIM run fork-fd-inheritance --backend bogus"),
                       "detsim: unknown backend 'bogus' (backends: sim, linux)\n");
    assert_usage_error(
        shell("$DETSIM run lock-order --backend linux"),
        "detsim: --backend linux: lock-order is not portable: it runs on the simulated backend "
        "only (detsim list --portable names the scenarios that run on --backend linux)\n");
    assert_usage_error(
        shell("$DETSIM run stress-spawn-burst --backend linux --set max_procs=1000"),
        "detsim: --backend linux: max_procs=1000 exceeds the linux backend's process cap of 512\n");
    assert_usage_error(shell("$DETSIM run fork-fd-inheritance --backend linux --save-repro x.repro"),
                       "detsim: --save-repro is for the simulated backend: a real run has no "
                       "scheduler, trace or recorded choices\n");
    assert_usage_error(
        shell("$DETSIM run fork-fd-inheritance --backend linux --fault slots/channels:free=1"),
        "detsim: --backend linux: --fault slots/channels:free=1: slot faults are simulated "
        "tables; the linux backend has failpoints only\n");
    assert_usage_error(
        shell("$DETSIM differential lock-order"),
        "detsim: differential: lock-order is not portable: it runs on the simulated backend "
        "only (detsim list --portable names the scenarios that run on --backend linux)\n");
    assert_usage_error(shell("$DETSIM differential fork-fd-inheritance --real-runs 0"),
                       "detsim: bad --real-runs '0': expected 1 to 10000\n");
    struct cli_result *r = shell("$DETSIM run fork-fd-inheritance --backend linux "
                                 "--save-repro x.repro; ls");
    cr_assert(!strstr(r->out, "x.repro"), "nothing written: %s", r->out);
}

Test(backend_cli, a_real_run_that_cannot_start_says_why)
{
    /* No PID namespace allowed: no capability, and no user namespace left to make. */
    struct cli_result *r = shell(
        "unshare --user --map-root-user true 2>/dev/null || { echo no-userns; exit 0; }; "
        "unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && "
        "exec setpriv --bounding-set=-all --inh-caps=-all \"$0\" run fork-fd-inheritance "
        "--backend linux' \"$DETSIM\"");
    if (strstr(r->out, "no-userns"))
        cr_skip_test("no user namespaces here to take the PID namespace away in");
    cr_assert_eq(r->status, 2, "status %d: %s%s", r->status, r->out, r->err);
    cr_assert_eq(r->err_lines, 1, "%s", r->err);
    cr_assert(strstr(r->err, "detsim: cannot start a real run: no PID namespace for it"), "%s",
              r->err);
}

Test(backend_cli, list_names_the_portable_scenarios)
{
    struct cli_result *r = shell("$DETSIM list --portable --names");
    cr_assert_eq(r->status, 0, "%s", r->err);
    static const char *const portable[] = {
        "channel-close-race", "fork-fd-inheritance", "handle-transfer-leak",
        "sigkill-skips-cancel", "stress-buffer-saturation", "stress-cancel-storm",
        "stress-concurrent-kill", "stress-group-teardown", "stress-private-groups",
        "stress-spawn-burst", "stress-spawn-reap-churn", "stress-supervisor-storm"};
    for (size_t i = 0; i < sizeof portable / sizeof portable[0]; i++)
        cr_assert(strstr(r->out, portable[i]), "%s is portable: %s", portable[i], r->out);
    cr_assert(!strstr(r->out, "lock-order") && !strstr(r->out, "ktest"), "%s", r->out);
}

Test(backend_cli, a_real_run_prints_its_summary_and_exits_as_a_simulated_one_does)
{
    require_real_runs();
    struct cli_result *r = shell("$DETSIM run fork-fd-inheritance --backend linux --variant buggy "
                                 "--expect hang-deadlock");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, "HANG (deadlock) after "), "%s", r->out);
    cr_assert(strstr(r->out, "scenario=fork-fd-inheritance seed=0 backend=linux "
                             "outcome=hang-deadlock calls="),
              "%s", r->out);
    /* without --expect, the variant's declared hang is what is expected */
    r = shell("$DETSIM run fork-fd-inheritance --backend linux --variant buggy --quiet");
    cr_assert_eq(r->status, 0, "the declared outcome: %s%s", r->out, r->err);
    r = shell("$DETSIM run fork-fd-inheritance --backend linux --variant buggy --quiet "
              "--expect pass");
    cr_assert_eq(r->status, 1, "an unexpected outcome: %s%s", r->out, r->err);
}

Test(backend_cli, differential_prints_a_table_and_records_every_run)
{
    require_real_runs();
    /* Real processes under Valgrind never look blocked to /proc (its own threads run
     * on): their deadlock ends at real_deadline as hang-budget, which this table
     * would call a disagreement. make differential checks this without Valgrind. */
    if (RUNNING_ON_VALGRIND)
        cr_skip_test("real runs under Valgrind: a deadlock is not visible to /proc");
    struct cli_result *r = shell("$DETSIM differential fork-fd-inheritance --variant buggy "
                                 "--count 20 --real-runs 3 --json runs.jsonl && wc -l < runs.jsonl");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, "differential fork-fd-inheritance: 20 simulated seeds (0..19), 3 "
                             "real runs (seeds 0..2) per configuration"),
              "%s", r->out);
    cr_assert(strstr(r->out, "buggy              hang-deadlock 100%               hang-deadlock "
                             "100%               agree"),
              "%s", r->out);
    cr_assert(strstr(r->out, "result: every configuration agrees\n23\n"), "%s", r->out);
    r = shell("$DETSIM differential channel-close-race --variant buggy --count 20 --real-runs 3");
    cr_assert_eq(r->status, 0, "a bug of the modelled kernel is held against the model "
                               "without it: %s%s", r->out, r->err);
    cr_assert(strstr(r->out, "agree with the model without bug_close_no_wake"), "%s", r->out);
}
