/* The processkit stress tier (seed document 001_8f13a8b2ec6d337d.txt): the userland
 * library scenarios/lib/procs directly (backoff and storm-guard arithmetic, the
 * bounded capture, the concurrency cap of output_all, cancellation tokens, the
 * supervisor), and the properties of the stress-* scenarios beyond the generic
 * catalog contract. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "scenarios/lib/procs.h"
#include "sim/sys.h"

/* ---- pure arithmetic: no simulator ------------------------------------------------ */

Test(catalog_stress, backoff_is_integer_and_capped)
{
    /* 1 ms x 1.0 stays 1 ms. */
    cr_assert_eq(pk_backoff_next(SYS_NS_PER_MS, 1000, 0), SYS_NS_PER_MS);
    /* 200 ms x 2.0, capped at 30 s: 400, 800, ..., 25.6 s, then 30 s for good. */
    uint64_t delay = 200 * SYS_NS_PER_MS;
    uint64_t expected[] = {400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
    for (uint32_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        delay = pk_backoff_next(delay, 2000, 30 * SYS_NS_PER_S);
        cr_assert_eq(delay, expected[i] * SYS_NS_PER_MS, "step %u: %llu ns", i,
                     (unsigned long long)delay);
    }
    /* 1.5 in thousandths, and saturation instead of overflow. */
    cr_assert_eq(pk_backoff_next(1000, 1500, 0), 1500);
    cr_assert_eq(pk_backoff_next(UINT64_MAX / 2, 1000000, 0), UINT64_MAX);
    cr_assert_eq(pk_backoff_next(UINT64_MAX / 2, 1000000, 7), 7);
}

Test(catalog_stress, storm_score_halves_every_decay_period)
{
    uint64_t s = SYS_NS_PER_S;
    cr_assert_eq(pk_storm_decay(1000, 0, 1000 * s), 1000);
    cr_assert_eq(pk_storm_decay(1000, 1000 * s, 1000 * s), 500);
    cr_assert_eq(pk_storm_decay(1000, 2000 * s, 1000 * s), 250);
    cr_assert_eq(pk_storm_decay(1000, 500 * s, 1000 * s), 750, "half a period: linear");
    cr_assert_eq(pk_storm_decay(1000, 64000 * s, 1000 * s), 0);
    cr_assert_eq(pk_storm_decay(1000, 123, 0), 1000, "decay 0: no decay");
    /* Periods too long to scale by 2^16 directly still give the same shape. */
    cr_assert_eq(pk_storm_decay(1000, 1ULL << 61, 1ULL << 62), 750);
    cr_assert_eq(pk_storm_decay(1000, UINT64_MAX, UINT64_MAX), 500);
    /* Monotone: more elapsed time never leaves a higher score. */
    uint64_t last = 4000;
    for (uint64_t t = 0; t < 5000 * s; t += 37 * s) {
        uint64_t now = pk_storm_decay(4000, t, 1000 * s);
        cr_assert_leq(now, last, "t=%llu s", (unsigned long long)(t / s));
        last = now;
    }
}

Test(catalog_stress, storm_guard_trips_on_quick_failures_only)
{
    /* Threshold 1.5, half-life 1000 s, failures 1 ms apart: trips at the 2nd, 4th,
     * 6th failure (the score resets at each trip). */
    struct pk_storm storm = {0};
    int trips[8];
    for (int i = 0; i < 8; i++)
        trips[i] = pk_storm_record(&storm, (uint64_t)i * SYS_NS_PER_MS, 1500, 1000 * SYS_NS_PER_S);
    int expected[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    cr_assert_arr_eq(trips, expected, sizeof trips);
    /* Failures two half-lives apart never add up to 1.5. */
    storm = (struct pk_storm){0};
    for (int i = 0; i < 20; i++)
        cr_assert_eq(pk_storm_record(&storm, (uint64_t)i * 2 * SYS_NS_PER_S, 1500, SYS_NS_PER_S),
                     0, "failure %d", i);
    /* A score that decayed to 1.25 plus one failure is 2.25: trips at threshold 2.0. */
    storm = (struct pk_storm){0};
    cr_assert_eq(pk_storm_record(&storm, 0, 2000, SYS_NS_PER_S), 0);
    cr_assert_eq(pk_storm_record(&storm, SYS_NS_PER_S, 2000, SYS_NS_PER_S), 0); /* 0.5+1 */
    cr_assert_eq(pk_storm_record(&storm, SYS_NS_PER_S + SYS_NS_PER_S / 2, 2000, SYS_NS_PER_S), 1,
                 "1.5 decayed by half a period is 1.125, +1 = 2.125");
}

Test(catalog_stress, capture_keeps_at_most_limit_lines_the_last_ones)
{
    static struct pk_capture cap;
    pk_capture_init(&cap, 1000);
    for (uint64_t i = 0; i < 5000; i++) {
        pk_capture_push(&cap, i);
        cr_assert_leq(cap.kept, 1000, "after line %llu", (unsigned long long)i);
    }
    cr_assert_eq(cap.kept, 1000);
    cr_assert_eq(cap.seen, 5000);
    cr_assert_eq(cap.dropped, 4000);
    for (uint32_t i = 0; i < cap.kept; i++)
        cr_assert_eq(pk_capture_line(&cap, i), 4000 + i, "kept line %u", i);
    /* Fewer lines than the limit: all kept, in order. */
    pk_capture_init(&cap, 1000);
    for (uint64_t i = 0; i < 7; i++)
        pk_capture_push(&cap, i);
    cr_assert_eq(cap.kept, 7);
    cr_assert_eq(pk_capture_line(&cap, 0), 0);
    cr_assert_eq(pk_capture_line(&cap, 6), 6);
    /* The limit is clamped to the fixed ring. */
    pk_capture_init(&cap, 0);
    cr_assert_eq(cap.limit, 1);
    pk_capture_init(&cap, 1u << 20);
    cr_assert_eq(cap.limit, PK_CAPTURE_LINES_MAX);
}

/* ---- the library in the simulator ------------------------------------------------- */

/* output_all: children count themselves alive; the cap must bound the count. */
static struct {
    uint32_t cap;
    uint32_t count;
    uint32_t alive;
    uint32_t alive_max;
    uint32_t exited;
    int statuses[64];
    int errors[64];
} batch;

static int counted_child(const struct pk_child *self)
{
    uint32_t index = (uint32_t)(uintptr_t)self->arg;
    batch.alive++;
    if (batch.alive > batch.alive_max)
        batch.alive_max = batch.alive;
    sys_sleep((1 + sys_choose(5)) * SYS_NS_PER_MS); /* live long enough to overlap */
    batch.alive--;
    return (int)(index % 7);
}

SCENARIO(test_pk_output_all, "test: pk_output_all under a concurrency cap", NULL)
{
    static struct pk_command cmds[64];
    static struct pk_result results[64];
    for (uint32_t i = 0; i < batch.count; i++)
        cmds[i] = (struct pk_command){"counted", counted_child, (void *)(uintptr_t)i};
    struct pk_options private_groups = {PK_GROUP_PRIVATE, 1, NULL};
    batch.exited = pk_output_all(cmds, batch.count, batch.cap, &private_groups, results);
    for (uint32_t i = 0; i < batch.count; i++) {
        batch.statuses[i] = results[i].status;
        batch.errors[i] = results[i].error;
    }
    sys_check(pk_no_children() && sys_handle_count() == 0, "output_all left something behind");
}

Test(catalog_stress, output_all_never_exceeds_its_cap_and_keeps_order)
{
    uint32_t caps[] = {1, 3, 7, 40};
    for (uint32_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        uint32_t reached = 0;
        for (uint64_t seed = 0; seed < 40; seed++) {
            memset(&batch, 0, sizeof batch);
            batch.cap = caps[c];
            batch.count = 40;
            struct run_result r = run_with("test-pk-output-all", seed, "random", 0, "max_handles=64",
                                           NULL);
            cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "cap %u seed %llu: %s", caps[c],
                         (unsigned long long)seed, text_str(&r.report));
            cr_assert_leq(batch.alive_max, caps[c], "cap %u seed %llu: %u alive at once",
                          caps[c], (unsigned long long)seed, batch.alive_max);
            reached |= batch.alive_max == caps[c];
            cr_assert_eq(batch.exited, 40, "cap %u seed %llu", caps[c], (unsigned long long)seed);
            for (uint32_t i = 0; i < 40; i++)
                cr_assert(batch.errors[i] == 0 && SYS_WIFEXITED(batch.statuses[i]) &&
                              SYS_WEXITSTATUS(batch.statuses[i]) == (int)(i % 7),
                          "cap %u seed %llu: result %u out of order (status %d, error %d)",
                          caps[c], (unsigned long long)seed, i, batch.statuses[i],
                          batch.errors[i]);
            run_result_free(&r);
        }
        cr_assert(reached, "cap %u was never reached in 40 seeds", caps[c]);
    }
}

/* Tokens: many waiters on one token, and runs that finish before any cancel. */
static struct {
    struct pk_token token;
    uint32_t woken;
    int late_wait;
    struct pk_result early;
} tokens;

static void token_waiter(void *arg)
{
    (void)arg;
    if (pk_token_wait(&tokens.token) == 0)
        tokens.woken++;
}

static int quick(const struct pk_child *self)
{
    (void)self;
    return 3;
}

SCENARIO(test_pk_token, "test: a token wakes every waiter; a finished run is not cancelled",
         NULL)
{
    sys_check(pk_token_init(&tokens.token) == 0, "no token");
    /* A run that ends on its own before the cancel resolves with its status. */
    const struct pk_command cmd = {"quick", quick, NULL};
    const struct pk_options cancellable = {0, 1, &tokens.token};
    sys_check(pk_run(&cmd, &cancellable, NULL, &tokens.early) == 0, "run failed");
    int pids[10];
    for (int i = 0; i < 10; i++)
        pids[i] = sys_spawn("waiter", token_waiter, NULL);
    sys_sleep(sys_choose(3) * SYS_NS_PER_MS);
    sys_check(!pk_token_cancelled(&tokens.token), "cancelled too early");
    pk_token_cancel(&tokens.token);
    pk_token_cancel(&tokens.token); /* twice: no effect */
    for (int i = 0; i < 10; i++)
        sys_wait((uint32_t)pids[i], NULL);
    tokens.late_wait = pk_token_wait(&tokens.token);
}

Test(catalog_stress, a_token_wakes_every_waiter_once_cancelled)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        memset(&tokens, 0, sizeof tokens);
        struct run_result r = run_with("test-pk-token", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(tokens.woken, 10, "seed %llu: %u of 10 waiters woken",
                     (unsigned long long)seed, tokens.woken);
        cr_assert_eq(tokens.late_wait, 0, "seed %llu", (unsigned long long)seed);
        cr_assert(!tokens.early.cancelled && SYS_WIFEXITED(tokens.early.status) &&
                      SYS_WEXITSTATUS(tokens.early.status) == 3,
                  "seed %llu: an uncancelled run resolved cancelled=%d status %d",
                  (unsigned long long)seed, tokens.early.cancelled, tokens.early.status);
        run_result_free(&r);
    }
}

/* The supervisor over real restarts, with the policy and child chosen by the test. */
static struct {
    struct pk_supervisor sup;
    int child_status;
    struct pk_outcome out;
    int rc;
    uint64_t took_ns;
} supervised;

static int child_with_status(const struct pk_child *self)
{
    (void)self;
    return supervised.child_status;
}

SCENARIO(test_pk_supervisor, "test: pk_supervise with a test-chosen policy", NULL)
{
    supervised.sup.command = (struct pk_command){"child", child_with_status, NULL};
    uint64_t start = sys_now();
    supervised.rc = pk_supervise(&supervised.sup, &supervised.out);
    supervised.took_ns = sys_now() - start;
}

static void supervise(enum pk_restart restart, int child_status, uint64_t storm_pause_ns,
                      uint64_t seed)
{
    memset(&supervised, 0, sizeof supervised);
    supervised.child_status = child_status;
    supervised.sup.options = (struct pk_options){PK_GROUP_PRIVATE, 0, NULL};
    supervised.sup.restart = restart;
    supervised.sup.max_restarts = 6;
    supervised.sup.backoff_initial_ns = SYS_NS_PER_MS;
    supervised.sup.backoff_multiplier_milli = 1000;
    supervised.sup.storm_pause_ns = storm_pause_ns;
    supervised.sup.failure_threshold_milli = 1500;
    supervised.sup.failure_decay_ns = 1000 * SYS_NS_PER_S;
    struct run_result r = run_with("test-pk-supervisor", seed, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                 text_str(&r.report));
    cr_assert_eq(supervised.rc, 0, "seed %llu", (unsigned long long)seed);
    run_result_free(&r);
}

Test(catalog_stress, supervisor_restarts_are_capped_and_the_storm_guard_trips)
{
    for (uint64_t seed = 0; seed < 30; seed++) {
        /* The seed document's case: always, 6 restarts, pause 50 ms, 1.5, 1000 s. */
        supervise(PK_RESTART_ALWAYS, 1, 50 * SYS_NS_PER_MS, seed);
        cr_assert_eq(supervised.out.restarts, 6, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(supervised.out.runs, 7, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(supervised.out.storm_pauses, 3, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(supervised.out.stopped, PK_STOP_EXHAUSTED, "seed %llu",
                     (unsigned long long)seed);
        /* Six 1 ms backoffs and three 50 ms pauses, plus the steps themselves. */
        cr_assert(supervised.took_ns >= 156 * SYS_NS_PER_MS &&
                      supervised.took_ns < 157 * SYS_NS_PER_MS,
                  "seed %llu: supervision took %llu ns", (unsigned long long)seed,
                  (unsigned long long)supervised.took_ns);
        /* Guard off: no pause, still capped. */
        supervise(PK_RESTART_ALWAYS, 1, 0, seed);
        cr_assert(supervised.out.storm_pauses == 0 && supervised.out.restarts == 6,
                  "seed %llu", (unsigned long long)seed);
        /* Clean exits are not failures: no storm, but always restarts them. */
        supervise(PK_RESTART_ALWAYS, 0, 50 * SYS_NS_PER_MS, seed);
        cr_assert(supervised.out.storm_pauses == 0 && supervised.out.restarts == 6,
                  "seed %llu", (unsigned long long)seed);
        /* on-failure stops at the first clean exit; never stops at once. */
        supervise(PK_RESTART_ON_FAILURE, 0, 50 * SYS_NS_PER_MS, seed);
        cr_assert(supervised.out.runs == 1 && supervised.out.stopped == PK_STOP_POLICY,
                  "seed %llu", (unsigned long long)seed);
        supervise(PK_RESTART_NEVER, 1, 50 * SYS_NS_PER_MS, seed);
        cr_assert(supervised.out.runs == 1 && supervised.out.restarts == 0 &&
                      supervised.out.stopped == PK_STOP_POLICY,
                  "seed %llu", (unsigned long long)seed);
    }
}

/* ---- the scenarios' own properties ------------------------------------------------ */

/* Runs scenario's variant settings plus extra (NULL-terminated) at seed. */
#define RUN(scenario, seed, ...) run_with(scenario, seed, "random", 0, __VA_ARGS__, NULL)

Test(catalog_stress, bursts_pass_and_fail_loudly_without_room)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct run_result r = RUN("stress-spawn-burst", seed, "max_procs=128");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        run_result_free(&r);
    }
    /* The check bites: a table too small for the 100 burst is reported as such. */
    struct run_result r = RUN("stress-spawn-burst", 0, "max_procs=64");
    cr_assert_eq(r.outcome, SCHED_OUTCOME_ASSERT);
    cr_assert(strstr(text_str(&r.report), "burst of 100: child") &&
                  strstr(text_str(&r.report), "failed to spawn (-11)"),
              "%s", text_str(&r.report));
    run_result_free(&r);
}

Test(catalog_stress, churn_leaves_the_handle_count_exactly_as_it_was)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result fixed = RUN("stress-spawn-reap-churn", seed, "leak_stdio=false",
                                      "max_handles=128", "max_channels=128");
        cr_assert_eq(fixed.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s",
                     (unsigned long long)seed, text_str(&fixed.report));
        run_result_free(&fixed);
        /* The leak is one handle per spawn, exactly: 0 -> 100 on every seed. */
        struct run_result buggy = RUN("stress-spawn-reap-churn", seed, "leak_stdio=true",
                                      "max_handles=128", "max_channels=128");
        cr_assert_eq(buggy.outcome, SCHED_OUTCOME_ASSERT, "seed %llu", (unsigned long long)seed);
        cr_assert(strstr(text_str(&buggy.report),
                         "handle count grew across 100 spawn/reap cycles: 0 -> 100"),
                  "seed %llu: %s", (unsigned long long)seed, text_str(&buggy.report));
        run_result_free(&buggy);
    }
    /* With the default table the leak runs out of handles first, and says so. */
    struct run_result r = RUN("stress-spawn-reap-churn", 0, "leak_stdio=true");
    cr_assert_eq(r.outcome, SCHED_OUTCOME_ASSERT);
    cr_assert(strstr(text_str(&r.report), "the run failed (-24)"), "%s", text_str(&r.report));
    run_result_free(&r);
}

Test(catalog_stress, teardown_reaps_all_within_the_grace_in_virtual_time)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = RUN("stress-group-teardown", seed, "teardown=true");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        /* Both teardowns together end far below one sleeper's natural 90 s. */
        cr_assert_lt(r.vtime_ns, 45 * SYS_NS_PER_S, "seed %llu: the run took %llu ms",
                     (unsigned long long)seed, (unsigned long long)(r.vtime_ns / SYS_NS_PER_MS));
        run_result_free(&r);
    }
    /* Without a teardown every child survives and the grace is missed. */
    struct run_result r = RUN("stress-group-teardown", 3, "teardown=false");
    cr_assert_eq(r.outcome, SCHED_OUTCOME_ASSERT);
    cr_assert(strstr(text_str(&r.report), "drop must reap all 50 children within 45000 ms"),
              "%s", text_str(&r.report));
    run_result_free(&r);
}

Test(catalog_stress, concurrent_kill_collects_all_twenty)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = RUN("stress-concurrent-kill", seed, "children=20");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_lt(r.vtime_ns, SYS_NS_PER_S, "seed %llu", (unsigned long long)seed);
        run_result_free(&r);
    }
}

Test(catalog_stress, cancel_storm_resolves_every_run_long_before_the_sleepers)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = RUN("stress-cancel-storm", seed, "max_procs=256");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        /* 200 ms to the storm, then a few steps: no sleeper or grandchild ran 90 s. */
        cr_assert_lt(r.vtime_ns, SYS_NS_PER_S, "seed %llu: %llu ms", (unsigned long long)seed,
                     (unsigned long long)(r.vtime_ns / SYS_NS_PER_MS));
        run_result_free(&r);
    }
    /* With fewer runs the table is smaller, and pct schedules too. */
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct run_result r = run_with("stress-cancel-storm", seed, "pct", 0, "runs=10", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "pct seed %llu: %s",
                     (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
    }
}

Test(catalog_stress, saturation_drains_and_the_buggy_parent_deadlocks_in_wait)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        struct run_result r = RUN("stress-buffer-saturation", seed, "lines=3000",
                                  "wait_first=false");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        run_result_free(&r);
    }
    struct run_result full = RUN("stress-buffer-saturation", 0, "wait_first=false");
    cr_assert_eq(full.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&full.report));
    cr_assert_gt(full.steps, 200000, "100,000 lines take ~2 steps each");
    run_result_free(&full);
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = RUN("stress-buffer-saturation", seed, "wait_first=true");
        const char *report = text_str(&r.report);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu", (unsigned long long)seed);
        cr_assert(strstr(report, "\"line-emitter\" is blocked in chan_send(channel 0 end A)"),
                  "seed %llu: the child is not shown blocked in send: %s",
                  (unsigned long long)seed, report);
        cr_assert(strstr(report, "\"main\" is blocked in wait(pid "),
                  "seed %llu: the parent is not shown blocked in wait: %s",
                  (unsigned long long)seed, report);
        cr_assert(strstr(report, "16 queued here"), "seed %llu: %s", (unsigned long long)seed,
                  report);
        run_result_free(&r);
    }
}

Test(catalog_stress, supervisor_storm_passes_and_needs_its_guard)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = RUN("stress-supervisor-storm", seed, "max_restarts=6");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        run_result_free(&r);
    }
    /* The check bites: with the guard off it never trips. */
    struct run_result r = RUN("stress-supervisor-storm", 0, "storm_pause=0ns");
    cr_assert_eq(r.outcome, SCHED_OUTCOME_ASSERT);
    cr_assert(strstr(text_str(&r.report), "the storm guard must trip under a real restart storm"),
              "%s", text_str(&r.report));
    run_result_free(&r);
}

Test(catalog_stress, private_groups_pass)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = RUN("stress-private-groups", seed, "max_procs=128");
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        run_result_free(&r);
    }
}
