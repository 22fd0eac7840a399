/* Signatures from structure (sim/signature.c and its keys: the hang report's
 * wait-for graph, sys_check's place and format, the leak audit's kinds and
 * owners), and the hang report's diagnosis: the calls of a task that never stops
 * (a retry storm) and the errors the blocked tasks were told. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_WORK_PREFIX "/tmp/detsim-signature-"
#include "cli_helpers.h"
#include "helpers.h"
#include "sim/signature.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* Seeds for a loop: n, or a few under Valgrind, which checks the C, not the odds. */
static uint64_t seeds_or_few(uint64_t n)
{
    return RUNNING_ON_VALGRIND ? 3 : n;
}

TestSuite(signature, .fini = remove_work_dir);

static uint64_t hash_of(const char *outcome, const char *key, const char *report, char *text)
{
    uint64_t hash = 0;
    cr_assert_eq(signature_compute(outcome, key, report, &hash, text, SIGNATURE_TEXT_BYTES), 0);
    return hash;
}

Test(signature, numbers_padding_and_order_do_not_count)
{
    char a[SIGNATURE_TEXT_BYTES], b[SIGNATURE_TEXT_BYTES], c[SIGNATURE_TEXT_BYTES];
    uint64_t one = hash_of("hang-deadlock", "b \"worker 3\"  send(channel)\nb \"main\" wait(child)\n",
                           "report at step 12", a);
    uint64_t two = hash_of("hang-deadlock",
                           "b \"main\" wait(child)\nb \"worker 117\" send(channel)\n"
                           "b \"worker 4\" send(channel)\n",
                           "report at step 1234", b);
    cr_assert_eq(one, two, "'%s' and '%s' are one failure", a, b);
    cr_assert_str_eq(a, "\"main\" wait(child); \"worker #\" send(channel)");
    cr_assert_str_eq(a, b);
    /* another call, another outcome: another failure */
    cr_assert_neq(one, hash_of("hang-deadlock", "b \"worker 3\" recv(channel)\n", "", c), "%s", c);
    cr_assert_neq(one, hash_of("hang-budget", "b \"main\" wait(child)\nb \"worker 3\" send(channel)\n",
                               "", c));
    /* no key: the report, numbers and padding out, its first line for the text */
    uint64_t p1 = hash_of("panic", NULL, "[KERNEL OOM] size=24576 pid=10   used=7\nmore 3\n", a);
    uint64_t p2 = hash_of("panic", "", "[KERNEL OOM] size=8 pid=9 used=41\nmore 12\n", b);
    cr_assert_eq(p1, p2, "'%s' and '%s'", a, b);
    cr_assert_str_eq(a, "[KERNEL OOM] size=# pid=# used=#");
    cr_assert_neq(p1, hash_of("panic", NULL, "[KERNEL OOM] size=8 pid=9 used=41\nless 12\n", c));
}

/* The example of issue 13: each deadlocks at its own step, with reports whose
 * columns shift with the digits; one failure. */
Test(signature, two_senders_is_one_group_over_a_thousand_seeds)
{
    uint64_t first = 0;
    for (uint64_t seed = 0; seed < seeds_or_few(1000); seed++) {
        struct variant_run run = run_variant_traced("two-senders", "buggy", seed, NULL, NULL);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %" PRIu64, seed);
        if (seed == 0) {
            first = run.result.signature;
            cr_assert_str_eq(run.result.signature_text,
                             "cycle: \"left\" chan_send(channel) -> \"right\" chan_send(channel); "
                             "\"main\" wait(child)",
                             "seed 0: %s", run.result.signature_text);
        }
        cr_assert_eq(run.result.signature, first, "seed %" PRIu64 ": %s", seed,
                     run.result.signature_text);
        variant_run_free(&run);
    }
}

Test(signature, a_check_keys_on_its_place_and_format_not_its_values)
{
    uint64_t first = 0;
    for (uint64_t seed = 0; seed < seeds_or_few(20); seed++) {
        struct variant_run run =
            run_variant_traced("ktest-channel-exhaustion", "propagate", seed, NULL, NULL);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_ASSERT, "seed %" PRIu64, seed);
        if (seed == 0)
            first = run.result.signature;
        cr_assert_eq(run.result.signature, first, "seed %" PRIu64 ": %s", seed,
                     run.result.signature_text);
        cr_assert(strstr(run.result.signature_text,
                         "check in scenarios/ktest_channel_exhaustion.c") &&
                      strstr(run.result.signature_text, "\"ktest: %u of %u tests failed"),
                  "seed %" PRIu64 ": %s", seed, run.result.signature_text);
        variant_run_free(&run);
    }
}

Test(signature, a_leak_keys_on_the_kinds_and_owners_of_what_leaked)
{
    struct variant_run run = run_variant_traced("handle-transfer-leak", "buggy", 0, NULL, NULL);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_LEAK);
    cr_assert(strstr(run.result.signature_text, "channel created by") &&
                  strstr(run.result.signature_text, "heap block chan of"),
              "seed 0: %s", run.result.signature_text);
    cr_assert_null(strpbrk(run.result.signature_text, "0123456789"), "seed 0: %s",
                   run.result.signature_text);
    variant_run_free(&run);
}

/* The livelock of issue 13: two processes retry mutex_lock_timeout and back off in
 * step for ever. The report shows the retry storm, and every seed is one failure. */
Test(signature, a_livelock_report_shows_the_retry_storm)
{
    uint64_t first = 0;
    for (uint64_t seed = 0; seed < seeds_or_few(200); seed++) {
        struct variant_run run = run_variant_traced("backoff-livelock", "buggy", seed, NULL, NULL);
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_HANG_BUDGET, "seed %" PRIu64, seed);
        const char *calls = strstr(report, "Calls over the last steps");
        cr_assert_not_null(calls, "seed %" PRIu64 ":\n%s", seed, report);
        for (int side = 0; side < 2; side++) {
            const char *line = strstr(calls, side ? "\"right\" since step" : "\"left\" since step");
            cr_assert_not_null(line, "seed %" PRIu64 ":\n%s", seed, report);
            const char *end = strchr(line, '\n');
            const char *timeouts = strstr(line, "mutex_lock -> -ETIMEDOUT ×");
            const char *sleeps = strstr(line, "sleep ×");
            cr_assert(timeouts && timeouts < end && sleeps && sleeps < end,
                      "seed %" PRIu64 ": the storm shows:\n%s", seed, report);
            /* thousands, not a handful: the counts have a thousands separator */
            cr_assert(strchr(sleeps, ',') < end, "seed %" PRIu64 ":\n%s", seed, report);
        }
        if (seed == 0)
            first = run.result.signature;
        cr_assert_eq(run.result.signature, first, "seed %" PRIu64 ": %s", seed,
                     run.result.signature_text);
        variant_run_free(&run);
    }
}

/* Counts "-> -ENFILE" trace lines of chan_create. */
static unsigned enfile_in_trace(const char *trace)
{
    unsigned n = 0;
    for (const char *p = trace; (p = strstr(p, "chan_create   -> -ENFILE")) != NULL; p++)
        n++;
    return n;
}

/* Sums the "chan_create -> -ENFILE ×N" counts of one line. */
static unsigned enfile_in_line(const char *line, const char *end)
{
    unsigned n = 0;
    const char *needle = "chan_create -> -ENFILE ×";
    for (const char *p = line; (p = strstr(p, needle)) != NULL && p < end; p++)
        n += (unsigned)strtoul(p + strlen(needle), NULL, 10);
    return n;
}

/* The ktest flagship: the swallowed -ENFILE of chan_create, every one of them, are
 * in the hang report, told to the stuck test and to the children it spawned. */
Test(signature, a_hang_report_lists_the_errors_the_blocked_tasks_were_told)
{
    for (uint64_t seed = 0; seed < seeds_or_few(20); seed++) {
        struct variant_run run =
            run_variant_traced("ktest-channel-exhaustion", "buggy", seed, NULL, NULL);
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %" PRIu64, seed);
        const char *section = strstr(report, "Errors returned before the hang");
        cr_assert_not_null(section, "seed %" PRIu64 ":\n%s", seed, report);
        const char *line = strstr(section, "\"cap_delivery_via_spawn\": ");
        cr_assert_not_null(line, "seed %" PRIu64 ":\n%s", seed, report);
        unsigned listed = enfile_in_line(line, strchr(line, '\n'));
        unsigned traced = enfile_in_trace(run.trace);
        cr_assert(traced > 0 && listed == traced,
                  "seed %" PRIu64 ": %u -ENFILE in the trace, %u in the report:\n%s", seed, traced,
                  listed, report);
        variant_run_free(&run);
    }
}

Test(signature, the_html_page_lists_them_too_and_records_carry_the_signature)
{
    struct cli_result *r = shell("$DETSIM run ktest-channel-exhaustion --seed 0 --report k.html"
                                 " >/dev/null; grep -c 'chan_create -&gt; -ENFILE' k.html");
    cr_assert_eq(r->status, 0, "%s %s", r->out, r->err);
    r = shell("$DETSIM sweep two-senders --count 40 --jobs 2 --json s.jsonl --quiet "
              "--junit s.xml >/dev/null; grep -o '\"signature\":\"[^\"]*' s.jsonl | sort -u | wc -l");
    cr_assert_str_eq(r->out, "1\n", "one signature in 40 records: %s %s", r->out, r->err);
    r = shell("grep -c 'cycle: &quot;left&quot; chan_send(channel)' s.xml; ls reports/out/repro");
    cr_assert(strstr(r->out, "40\n") && strstr(r->out, "two-senders-"), "%s", r->out);
}

/* shrink keys on the same signature, and counts the faults that fired, not the
 * fault draws that were not zero. */
Test(signature, shrink_reports_the_faults_that_fired)
{
    struct cli_result *r = shell("$DETSIM run ipc-workload --fault 'model/*:p=0.05' "
                                 "--set infallible=true --seed 1 --expect panic --quiet "
                                 "--save-repro f1.repro");
    cr_assert_eq(r->status, 0, "seed 1: %s %s", r->out, r->err);
    const char *fired = strstr(r->out, " faults=");
    cr_assert_not_null(fired, "seed 1: %s", r->out);
    unsigned before = (unsigned)strtoul(fired + 8, NULL, 10);
    r = shell("$DETSIM shrink f1.repro --time-limit 2");
    cr_assert_eq(r->status, 0, "seed 1: %s %s", r->out, r->err);
    char expected[64];
    snprintf(expected, sizeof expected, "  faults    %u -> ", before);
    cr_assert(strstr(r->out, expected), "seed 1: the run fired %u:\n%s", before, r->out);
    r = shell("$DETSIM replay f1.shrunk.repro");
    cr_assert(strstr(r->out, "outcome panic matches") && !strstr(r->out, "DIFFERS"),
              "seed 1: the shrunk run keeps its signature:\n%s", r->out);
}
