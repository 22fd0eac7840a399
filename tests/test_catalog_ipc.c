/* The IPC scenarios of the bug catalog (seed document 003): channel-close-race,
 * handle-transfer-leak and bridged-fd-liveness, beyond the generic contract of
 * test_catalog.c: what their traces and reports show, seed by seed. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static struct variant_run run_variant(const char *scenario, const char *variant, uint64_t seed,
                                      const char *strategy)
{
    return run_variant_traced(scenario, variant, seed, strategy, NULL);
}

/* Calls visit on each line of text that contains both needles (b may be NULL). */
static void each_line(const char *text, const char *a, const char *b,
                      void (*visit)(const char *line, void *context), void *context)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        char buffer[512];
        snprintf(buffer, sizeof buffer, "%.*s", (int)(length < 511 ? length : 511), line);
        if (strstr(buffer, a) && (!b || strstr(buffer, b)))
            visit(buffer, context);
        line = end ? end + 1 : NULL;
    }
}

static void count_line(const char *line, void *context)
{
    (void)line;
    (*(unsigned *)context)++;
}

static unsigned count_lines(const char *text, const char *a, const char *b)
{
    unsigned n = 0;
    each_line(text, a, b, count_line, &n);
    return n;
}

/* The step of a trace line: its first number. */
static uint64_t line_step(const char *line)
{
    return strtoull(line, NULL, 10);
}

static void last_step(const char *line, void *context)
{
    uint64_t step = line_step(line);
    if (step > *(uint64_t *)context)
        *(uint64_t *)context = step;
}

static void first_step(const char *line, void *context)
{
    if (*(uint64_t *)context == 0)
        *(uint64_t *)context = line_step(line);
}

/* ---- channel-close-race -------------------------------------------------------------- */

/* The fix: each of the 3 rounds ends with the receiver's EOF (the trace shows EOF as
 * result 1) and the sender's -EPIPE, under both strategies. */
Test(catalog_ipc, close_race_fixed_gives_eof_and_epipe_on_every_seed)
{
    static const char *const strategies[] = {"random", "pct"};
    for (int s = 0; s < 2; s++)
        for (uint64_t seed = 0; seed < 200; seed++) {
            struct variant_run run =
                run_variant("channel-close-race", "fixed", seed, strategies[s]);
            cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s seed %" PRIu64 ": %s",
                         strategies[s], seed, text_str(&run.result.report));
            unsigned receives = count_lines(run.trace, "receiver ", "chan_recv") -
                                count_lines(run.trace, "receiver ", "-> blocked");
            unsigned eof_results = count_lines(run.trace, "receiver ", "end A -> 1");
            cr_assert_eq(receives, 3, "%s seed %" PRIu64 ": one receive a round", strategies[s],
                         seed);
            cr_assert_eq(eof_results, 3, "%s seed %" PRIu64 ": each receive returned EOF",
                         strategies[s], seed);
            cr_assert_eq(count_lines(run.trace, "sender ", "-> -EPIPE"), 3, "%s seed %" PRIu64 ": each round's sender got -EPIPE once",
                         strategies[s], seed);
            variant_run_free(&run);
        }
}

/* The bug strands the receiver: the report shows it blocked in chan_recv on an end
 * whose peer is closed. A blocked sender is not stranded in the model (it waits on the
 * closing end's own queue, which the teardown always wakes): it still gets -EPIPE. */
Test(catalog_ipc, close_race_buggy_strands_the_receiver_only)
{
    unsigned hangs = 0;
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct variant_run run = run_variant("channel-close-race", "buggy", seed, "random");
        const char *report = text_str(&run.result.report);
        if (run.result.outcome == SCHED_OUTCOME_HANG_DEADLOCK) {
            hangs++;
            cr_assert(strstr(report, "\"receiver\" is blocked in chan_recv(channel "),
                      "seed %" PRIu64 ":\n%s", seed, report);
            cr_assert(strstr(report, "this end open, the peer closed"), "seed %" PRIu64 ":\n%s",
                      seed, report);
            cr_assert(strstr(report, "last put handle"),
                      "seed %" PRIu64 ": the peer's history ends in its last put:\n%s", seed,
                      report);
            cr_assert_null(strstr(report, "blocked in chan_send"), "seed %" PRIu64 ":\n%s", seed,
                           report);
            cr_assert_geq(count_lines(run.trace, "sender ", "-> -EPIPE"), 1,
                          "seed %" PRIu64 ": the sender of the stranded round got -EPIPE", seed);
        } else {
            cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "seed %" PRIu64 ": %s", seed,
                         report);
        }
        variant_run_free(&run);
    }
    cr_assert_geq(hangs, 95, "the stranded receiver reproduces on most seeds (%u of 100)", hangs);
}

/* ---- handle-transfer-leak ----------------------------------------------------------- */

static void parse_shutdown(const char *line, void *context)
{
    unsigned *taken = context;
    const char *at = strstr(line, "shutting down after ");
    cr_assert(at && sscanf(at, "shutting down after %u of %u", &taken[0], &taken[1]) == 2, "%s",
              line);
}

/* Under the bug, exactly the hand-offs the worker never read leak, each with its
 * reference history: init by the broker's handle, the in-flight get when it was sent,
 * the put of the handle it moved out of, and no release after. */
Test(catalog_ipc, handle_transfer_buggy_leaks_each_unread_end_with_its_history)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct variant_run run = run_variant("handle-transfer-leak", "buggy", seed, "random");
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_LEAK, "seed %" PRIu64 ": %s", seed, report);
        unsigned taken[2] = {0, 0};
        each_line(run.trace, "worker: shutting down after", NULL, parse_shutdown, taken);
        cr_assert_eq(taken[1], 4, "seed %" PRIu64 ": four hand-offs", seed);
        cr_assert_lt(taken[0], taken[1], "seed %" PRIu64, seed);
        unsigned unread = taken[1] - taken[0];
        cr_assert_eq(count_lines(report, "still holds a slot", NULL), unread,
                     "seed %" PRIu64 ": one slot per unread hand-off:\n%s", seed, report);
        cr_assert_eq(count_lines(report, "1 in-flight reference lost with a destroyed message, "
                                         "never released", NULL),
                     unread, "seed %" PRIu64 ":\n%s", seed, report);
        cr_assert_eq(count_lines(report, "get      in flight", NULL), unread,
                     "seed %" PRIu64 ": the history shows the in-flight get:\n%s", seed, report);
        cr_assert_eq(count_lines(report, "init     handle", NULL), 2 * unread,
                     "seed %" PRIu64 ": and each end's init:\n%s", seed, report);
        cr_assert_eq(count_lines(report, "end A: open, 1 in flight reference", NULL), unread,
                     "seed %" PRIu64 ":\n%s", seed, report);
        cr_assert_eq(count_lines(report, "held by", NULL), 0,
                     "seed %" PRIu64 ": nobody holds a leaked end:\n%s", seed, report);
        variant_run_free(&run);
    }
}

/* The fix: no leak, and the broker hears a greeting or EOF on every connection. */
Test(catalog_ipc, handle_transfer_fixed_releases_what_dead_messages_carry)
{
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct variant_run run = run_variant("handle-transfer-leak", "fixed", seed, "random");
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "seed %" PRIu64 ": %s", seed,
                     text_str(&run.result.report));
        cr_assert_eq(count_lines(run.trace, "broker: ", ", 0 neither greeted nor closed"), 1,
                     "seed %" PRIu64 ":\n%s", seed, run.trace);
        variant_run_free(&run);
    }
}

/* ---- bridged-fd-liveness -------------------------------------------------------------- */

/* The fix: the consumer receives all 1 + 3 messages (the last 3 written through the
 * fd after the last handle closed) and its EOF comes only at a step after the
 * producer's fd close. */
Test(catalog_ipc, bridged_fd_eof_comes_only_after_the_fd_closes)
{
    static const char *const strategies[] = {"random", "pct"};
    for (int s = 0; s < 2; s++)
        for (uint64_t seed = 0; seed < 200; seed++) {
            struct variant_run run =
                run_variant("bridged-fd-liveness", "fixed", seed, strategies[s]);
            cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s seed %" PRIu64 ": %s",
                         strategies[s], seed, text_str(&run.result.report));
            uint64_t fd_close = 0, handle_close = 0, eof = 0;
            each_line(run.trace, "producer ", "close ", last_step, &fd_close);
            each_line(run.trace, "producer ", "close ", first_step, &handle_close);
            each_line(run.trace, "consumer ", "chan_recv     channel:channel 0 end B -> 1",
                      first_step, &eof);
            cr_assert(handle_close && fd_close > handle_close,
                      "%s seed %" PRIu64 ": the handle closes, then the fd:\n%s", strategies[s],
                      seed, run.trace);
            cr_assert_gt(eof, fd_close, "%s seed %" PRIu64 ": EOF at step %" PRIu64
                                        ", the fd closed at step %" PRIu64 ":\n%s",
                         strategies[s], seed, eof, fd_close, run.trace);
            cr_assert_eq(count_lines(run.trace, "consumer ", "end B -> 0"), 4,
                         "%s seed %" PRIu64 ": every message arrived:\n%s", strategies[s], seed,
                         run.trace);
            variant_run_free(&run);
        }
}

/* The bug: EOF comes while the fd is open; the writes through the fd fail -EPIPE. */
Test(catalog_ipc, bridged_fd_buggy_gives_a_premature_eof)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct variant_run run = run_variant("bridged-fd-liveness", "buggy", seed, "random");
        const char *report = text_str(&run.result.report);
        cr_assert_eq(run.result.outcome, SCHED_OUTCOME_ASSERT, "seed %" PRIu64 ": %s", seed,
                     report);
        cr_assert(strstr(report, "\"consumer\"") && strstr(report, "premature EOF on channel end B"),
                  "seed %" PRIu64 ": %s", seed, report);
        uint64_t handle_close = 0, eof = 0;
        each_line(run.trace, "producer ", "close ", first_step, &handle_close);
        each_line(run.trace, "consumer ", "end B -> 1", first_step, &eof);
        cr_assert(handle_close && eof > handle_close,
                  "seed %" PRIu64 ": EOF right after the last handle closed:\n%s", seed, run.trace);
        variant_run_free(&run);
    }
}
