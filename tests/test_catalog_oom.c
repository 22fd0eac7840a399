/* The oom-policies scenario of the bug catalog (seed document 004), beyond the
 * generic contract of test_catalog.c: who the OOM hits under each policy, whether
 * the other sessions finish, and whether the global heap ever runs out. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define HEAP_BYTES (1024u * 1024u) /* every variant's heap_bytes */
#define QUOTA_BYTES (256u * 1024u) /* the quota variant's proc_quota_bytes */

static struct variant_run run_variant(const char *variant, uint64_t seed, const char *strategy)
{
    return run_variant_traced("oom-policies", variant, seed, strategy, NULL);
}

/* The lines of text containing needle a (and b, when not NULL): how many, and a copy
 * of the first in first (may be NULL). */
static unsigned find_lines(const char *text, const char *a, const char *b, char first[512])
{
    unsigned n = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        char buffer[512];
        snprintf(buffer, sizeof buffer, "%.*s", (int)(length < 511 ? length : 511), line);
        if (strstr(buffer, a) && (!b || strstr(buffer, b))) {
            if (n == 0 && first)
                memcpy(first, buffer, sizeof buffer);
            n++;
        }
        line = end ? end + 1 : NULL;
    }
    return n;
}

static unsigned count_lines(const char *text, const char *a, const char *b)
{
    return find_lines(text, a, b, NULL);
}

/* The pid in the console line "[KERNEL OOM] size=N pid=P ...", or 0 when none. */
static unsigned oom_pid(const char *trace)
{
    char line[512];
    unsigned size = 0, pid = 0;
    if (find_lines(trace, "[KERNEL OOM] size=", NULL, line) == 0)
        return 0;
    cr_assert_eq(sscanf(strstr(line, "[KERNEL OOM]"), "[KERNEL OOM] size=%u pid=%u", &size, &pid),
                 2, "%s", line);
    return pid;
}

/* The refusal the session logs: the length refused and the bytes it held. */
static void refusal(const char *trace, uint64_t seed, unsigned *length, unsigned *held)
{
    char line[512];
    cr_assert_eq(find_lines(trace, "session 0: a ", "was refused (-ENOMEM)", line), 1,
                 "seed %" PRIu64 ": one refusal:\n%s", seed, trace);
    cr_assert_eq(sscanf(strstr(line, "session 0: a "),
                        "session 0: a %u-byte channel buffer was refused (-ENOMEM) while "
                        "holding %u bytes",
                        length, held),
                 2, "seed %" PRIu64 ": %s", seed, line);
}

/* The pid of the process named name, from its start line. */
static unsigned pid_of(const char *trace, const char *name)
{
    char line[512];
    unsigned pid = 0;
    cr_assert_geq(find_lines(trace, name, " start ", line), 1, "%s started", name);
    cr_assert_eq(sscanf(strstr(line, "pid "), "pid %u", &pid), 1, "%s", line);
    return pid;
}

static const char *const strategies[] = {"random", "pct"};

/* The current crash flow: the flood's allocation halts everything; no ordinary
 * session ever finishes. */
Test(catalog_oom, halt_takes_the_whole_system_down)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct variant_run run = run_variant("buggy", seed, "random");
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PANIC, "seed %" PRIu64 ": %s", seed, report);
        cr_assert(strstr(report, "system halted (oom_policy=halt)"), "seed %" PRIu64 ": %s", seed,
                  report);
        cr_assert_eq(oom_pid(run.trace), pid_of(run.trace, "session 0 "),
                     "seed %" PRIu64 ": the flood's session allocated last", seed);
        cr_assert_eq(count_lines(run.trace, "finished:", NULL), 0, "seed %" PRIu64, seed);
        variant_run_free(&run);
    }
}

/* Option 1: the OOM kills session 0 with -ENOMEM, nobody else; the three ordinary
 * sessions finish all their requests. */
Test(catalog_oom, kill_process_kills_only_the_flood)
{
    for (int s = 0; s < 2; s++)
        for (uint64_t seed = 0; seed < 200; seed++) {
            struct variant_run run = run_variant("kill-process", seed, strategies[s]);
            cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s seed %" PRIu64 ": %s",
                         strategies[s], seed, text_str(&run.result.report));
            cr_assert_eq(run.result.heap_ooms, 1, "%s seed %" PRIu64 ": one OOM",
                         strategies[s], seed);
            cr_assert_eq(count_lines(run.trace, " oom ", NULL), 1, "%s seed %" PRIu64,
                         strategies[s], seed);
            cr_assert_eq(oom_pid(run.trace), pid_of(run.trace, "session 0 "),
                         "%s seed %" PRIu64 ": the OOM hit session 0", strategies[s], seed);
            cr_assert_eq(count_lines(run.trace, "server: session 0 (the flood) ended with signal 9",
                                     NULL),
                         1, "%s seed %" PRIu64 ": killed with -ENOMEM:\n%s", strategies[s], seed,
                         run.trace);
            cr_assert_eq(count_lines(run.trace, "server: session ", "finished: 4 requests served"),
                         3, "%s seed %" PRIu64 ": the others finished:\n%s", strategies[s], seed,
                         run.trace);
            variant_run_free(&run);
        }
}

/* Option 1 when the teardown needs 64 KiB: the kill's own teardown meets the full
 * heap and halts. With the emergency reserve (Option 3) the same teardown finishes. */
Test(catalog_oom, the_teardown_needs_the_reserve)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct variant_run run = run_variant("kill-process-teardown", seed, "random");
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PANIC, "seed %" PRIu64 ": %s", seed, report);
        char expected[128];
        snprintf(expected, sizeof expected,
                 "the teardown of pid %u needed 65536 bytes and hit a second OOM",
                 pid_of(run.trace, "session 0 "));
        cr_assert(strstr(report, expected), "seed %" PRIu64 ": %s", seed, report);
        variant_run_free(&run);

        run = run_variant("reserve", seed, "random");
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "seed %" PRIu64 ": %s", seed,
                     text_str(&run.result.report));
        cr_assert_eq(count_lines(run.trace, "[KERNEL OOM] size=",
                                 "(released the emergency reserve)"),
                     1, "seed %" PRIu64 ":\n%s", seed, run.trace);
        cr_assert_eq(count_lines(run.trace, "server: session ", "finished: 4 requests served"),
                     3, "seed %" PRIu64 ":\n%s", seed, run.trace);
        variant_run_free(&run);
    }
}

/* Option 1's limit: in the network poll loop (main, pid 2, a system process with
 * reserved_procs=3) the OOM still halts under kill-process. */
Test(catalog_oom, an_oom_on_a_system_process_still_halts)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct variant_run run = run_variant("kill-process-system", seed, "random");
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PANIC, "seed %" PRIu64 ": %s", seed, report);
        cr_assert(strstr(report, " pid=2 ") &&
                      strstr(report, "system halted (oom_policy=kill-process, on a system "
                                     "process)"),
                  "seed %" PRIu64 ": %s", seed, report);
        variant_run_free(&run);
    }
}

/* Option 4: the quota refuses session 0 while the heap is far from full: the only
 * failed allocation is the quota's, no OOM policy ever acts, and the refused
 * allocation would have fitted in the heap many times over. */
Test(catalog_oom, quota_refuses_before_any_global_oom)
{
    for (int s = 0; s < 2; s++)
        for (uint64_t seed = 0; seed < 200; seed++) {
            struct variant_run run = run_variant("quota", seed, strategies[s]);
            cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s seed %" PRIu64 ": %s",
                         strategies[s], seed, text_str(&run.result.report));
            cr_assert_eq(run.result.heap_ooms, 1, "%s seed %" PRIu64 ": one refusal only",
                         strategies[s], seed);
            cr_assert_eq(count_lines(run.trace, "[KERNEL OOM]", NULL), 0, "%s seed %" PRIu64,
                         strategies[s], seed);
            unsigned length = 0, held = 0;
            refusal(run.trace, seed, &length, &held);
            /* Charged to session 0 besides its buffers: its process struct and its
             * session state. */
            unsigned charged = held + 1024 + 16 * 1024;
            cr_assert(charged <= QUOTA_BYTES && charged + length > QUOTA_BYTES,
                      "%s seed %" PRIu64 ": refused by the quota: %u held, %u asked",
                      strategies[s], seed, held, length);
            cr_assert_lt(held + length, HEAP_BYTES / 2,
                         "%s seed %" PRIu64 ": the heap was far from full", strategies[s], seed);
            cr_assert_eq(count_lines(run.trace, "server: session 0 (the flood) ended with exit 1 ",
                                     NULL),
                         1, "%s seed %" PRIu64 ": closed with an error:\n%s", strategies[s], seed,
                         run.trace);
            cr_assert_eq(count_lines(run.trace, "server: session ", "finished: 4 requests served"),
                         3, "%s seed %" PRIu64, strategies[s], seed);
            variant_run_free(&run);
        }
}

/* Option 2 alone: the heap does run out (the refusal comes with the heap nearly
 * full), the session drops its buffers and closes; the 64 KiB teardown then fits. */
Test(catalog_oom, fallible_meets_the_full_heap_and_closes)
{
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct variant_run run = run_variant("fallible", seed, "random");
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "seed %" PRIu64 ": %s", seed,
                     text_str(&run.result.report));
        cr_assert_eq(run.result.heap_ooms, 1, "seed %" PRIu64, seed);
        unsigned length = 0, held = 0;
        refusal(run.trace, seed, &length, &held);
        cr_assert_gt(held + length, HEAP_BYTES - 128 * 1024,
                     "seed %" PRIu64 ": refused by a full heap: %u held, %u asked", seed, held,
                     length);
        cr_assert_eq(count_lines(run.trace, "server: session ", "finished: 4 requests served"), 3,
                     "seed %" PRIu64, seed);
        variant_run_free(&run);
    }
}
