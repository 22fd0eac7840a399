/* signal-lost-wakeup, beyond the generic contract of test_catalog.c: the buggy loop
 * hangs exactly when SIGTERM was handled between its check and its receive, and
 * passes when the signal interrupted the waiting receive; SA_RESTART hangs on both;
 * the self-pipe fix serves every request and stops on every seed. */
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"

static struct run_result run_lost_wakeup(const char *fix, const char *restart, uint64_t seed,
                                         const char *strategy)
{
    return run_with("signal-lost-wakeup", seed, strategy, 0, fix, restart, "check=true", NULL);
}

Test(catalog_signals, the_buggy_loop_hangs_only_when_the_handler_ran_before_its_receive)
{
    uint32_t hung = 0, passed = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct run_result r = run_lost_wakeup("fix=none", "restart=false", seed, "random");
        const char *report = text_str(&r.report);
        if (r.outcome == SCHED_OUTCOME_PASS) {
            passed++;
        } else {
            hung++;
            cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu: %s",
                         (unsigned long long)seed, report);
            cr_assert(strstr(report, "pid 3 \"server\" is blocked in chan_recv") &&
                          strstr(report, "SIGTERM caught: its handler ran at step") &&
                          strstr(report, "before the chan_recv it is blocked in began"),
                      "seed %llu: %s", (unsigned long long)seed, report);
        }
        run_result_free(&r);
    }
    cr_assert(hung > 0 && passed > 0, "both schedules happen: %u hung, %u passed", hung, passed);
}

Test(catalog_signals, sa_restart_also_hangs_when_the_signal_interrupts_a_waiting_receive)
{
    uint32_t restarted = 0;
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = run_lost_wakeup("fix=none", "restart=true", seed, "random");
        if (r.outcome != SCHED_OUTCOME_PASS) {
            cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu: %s",
                         (unsigned long long)seed, text_str(&r.report));
            restarted += strstr(text_str(&r.report), "caught with SA_RESTART: its handler ran "
                                                     "at step") != NULL;
        }
        run_result_free(&r);
    }
    cr_assert_gt(restarted, 40, "the restarted receive is the common hang: %u of 100",
                 restarted);
}

Test(catalog_signals, the_self_pipe_trick_stops_the_server_on_every_seed)
{
    static const char *const strategies[] = {"random", "pct"};
    for (int s = 0; s < 2; s++)
        for (uint64_t seed = 0; seed < 200; seed++) {
            struct variant_run run = run_variant_traced("signal-lost-wakeup", "fixed", seed,
                                                        strategies[s], NULL);
            cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s seed %llu: %s",
                         strategies[s], (unsigned long long)seed,
                         text_str(&run.result.report));
            cr_assert(strstr(run.trace, "server       signal_wakeup") != NULL,
                      "%s seed %llu: the wakeup pipe was set", strategies[s],
                      (unsigned long long)seed);
            variant_run_free(&run);
        }
}
