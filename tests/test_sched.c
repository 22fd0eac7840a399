/* The scheduler under real scenarios: determinism, strategies, timers, budgets,
 * hang reports, replay. Test-only scenarios are registered here with SCENARIO; they
 * exist in the test binary only. Every assertion names its seed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "helpers.h"
#include "sim/sched_int.h"
#include "sim/sys.h"

#define SEEDS 1000

/* ---- determinism ------------------------------------------------------------------- */

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t distinct(uint64_t *values, uint32_t count)
{
    qsort(values, count, sizeof *values, compare_u64);
    uint32_t n = count ? 1 : 0;
    for (uint32_t i = 1; i < count; i++)
        n += values[i] != values[i - 1];
    return n;
}

static void check_same_seed_same_hash(const char *scenario, const char *strategy,
                                      uint32_t min_distinct)
{
    static uint64_t hashes[SEEDS];
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        struct run_result a = run_with(scenario, seed, strategy, 0, NULL);
        struct run_result b = run_with(scenario, seed, strategy, 0, NULL);
        cr_assert_eq(a.hash, b.hash, "%s seed %llu: two runs gave different hashes", scenario,
                     (unsigned long long)seed);
        cr_assert_eq(a.outcome, b.outcome, "%s seed %llu", scenario, (unsigned long long)seed);
        cr_assert_eq(a.steps, b.steps, "%s seed %llu", scenario, (unsigned long long)seed);
        hashes[seed] = a.hash;
        run_result_free(&a);
        run_result_free(&b);
    }
    uint32_t n = distinct(hashes, SEEDS);
    cr_assert_geq(n, min_distinct, "%s: only %u distinct schedules in %d seeds", scenario, n,
                  SEEDS);
}

Test(determinism, ping_pong_same_seed_same_hash)
{
    /* 1000 rounds give room for many interleavings: nearly every seed differs. */
    check_same_seed_same_hash("ping-pong", "random", SEEDS * 99 / 100);
}

Test(determinism, lock_order_same_seed_same_hash)
{
    /* lock-order is short: few distinct schedules exist, but more than a handful. */
    check_same_seed_same_hash("lock-order", "random", 8);
}

Test(determinism, pct_same_seed_same_hash)
{
    check_same_seed_same_hash("ping-pong", "pct:depth=3,steps=5000", 50);
}

Test(determinism, round_robin_ignores_the_seed)
{
    struct run_result first = run_with("ping-pong", 0, "rr", 0, NULL);
    for (uint64_t seed = 1; seed < 50; seed++) {
        struct run_result r = run_with("ping-pong", seed, "rr", 0, NULL);
        cr_assert_eq(r.hash, first.hash, "rr seed %llu", (unsigned long long)seed);
        run_result_free(&r);
    }
    run_result_free(&first);
}

Test(determinism, recorded_choices_replay_to_the_same_hash)
{
    const char *strategies[] = {"random", "pct:depth=2,steps=20", "pct:depth=4,steps=2000"};
    for (int s = 0; s < 3; s++)
        for (uint64_t seed = 0; seed < 100; seed++) {
            const char *scenario = seed % 2 ? "lock-order" : "ping-pong";
            struct run_result recorded = run_with(scenario, seed, strategies[s], 1, NULL);
            struct run_options options = {0};
            options.scenario = scenario_find(scenario);
            char error[128];
            run_parse_strategy(strategies[s], &options.strategy, error, sizeof error);
            run_config_init(&options.config, options.scenario);
            options.seed = 123456789; /* ignored: the recording decides */
            options.replay = recorded.choices;
            options.replay_count = recorded.choice_count;
            struct run_result replayed;
            cr_assert_eq(run_scenario(&options, &replayed), 0);
            cr_assert_eq(replayed.hash, recorded.hash, "%s %s seed %llu: replay differs",
                         scenario, strategies[s], (unsigned long long)seed);
            cr_assert_eq(replayed.replay_mismatches + replayed.replay_overruns, 0,
                         "seed %llu", (unsigned long long)seed);
            run_result_free(&recorded);
            run_result_free(&replayed);
        }
}

/* ---- lock-order --------------------------------------------------------------------- */

Test(lock_order, some_seeds_deadlock_others_pass_and_the_report_names_the_cycle)
{
    uint32_t deadlocks = 0, passes = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        struct run_result r = run_with("lock-order", seed, "random", 0, NULL);
        cr_assert(r.outcome == SCHED_OUTCOME_PASS || r.outcome == SCHED_OUTCOME_HANG_DEADLOCK,
                  "seed %llu: outcome %s", (unsigned long long)seed,
                  sched_outcome_name(r.outcome));
        const char *report = text_str(&r.report);
        if (r.outcome == SCHED_OUTCOME_HANG_DEADLOCK) {
            deadlocks++;
            cr_assert(strstr(report, "HANG (deadlock)"), "seed %llu", (unsigned long long)seed);
            cr_assert(strstr(report, "Wait-for cycle (2 tasks)"), "seed %llu:\n%s",
                      (unsigned long long)seed, report);
            cr_assert(strstr(report, "pid 3 \"left\" waits for mutex \"B\", which is held by pid 4 "
                                     "\"right\"") ||
                          strstr(report, "pid 4 \"right\" waits for mutex \"A\", which is held by "
                                         "pid 3 \"left\""),
                      "seed %llu:\n%s", (unsigned long long)seed, report);
            cr_assert(strstr(report, "mutex \"A\" is held by pid 3 \"left\"") &&
                          strstr(report, "mutex \"B\" is held by pid 4 \"right\""),
                      "seed %llu: both locks and holders named:\n%s",
                      (unsigned long long)seed, report);
        } else {
            passes++;
            cr_assert_eq(r.report.length, 0, "seed %llu: a pass has no report",
                         (unsigned long long)seed);
        }
        run_result_free(&r);
    }
    cr_assert_gt(deadlocks, SEEDS / 10, "only %u of %d seeds deadlock", deadlocks, SEEDS);
    cr_assert_gt(passes, SEEDS / 10, "only %u of %d seeds pass", passes, SEEDS);
}

Test(lock_order, taking_the_locks_in_one_order_never_deadlocks)
{
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        struct run_result r =
            run_with("lock-order", seed, "random", 0, "ordered=true", "rounds=3", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s\n%s",
                     (unsigned long long)seed, sched_outcome_name(r.outcome),
                     text_str(&r.report));
        run_result_free(&r);
    }
}

Test(lock_order, pct_finds_the_deadlock)
{
    uint32_t deadlocks = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct run_result r = run_with("lock-order", seed, "pct:depth=2,steps=20", 0, NULL);
        deadlocks += r.outcome == SCHED_OUTCOME_HANG_DEADLOCK;
        run_result_free(&r);
    }
    cr_assert_gt(deadlocks, 0, "PCT with one change point over 20 steps finds the inversion");
    cr_assert_lt(deadlocks, 200);
}

/* ---- timers ------------------------------------------------------------------------ */

#define SLEEPERS 8
static uint32_t wake_order[SLEEPERS];
static uint64_t wake_time[SLEEPERS];
static uint32_t wake_count;
/* Deadlines with ties: equal deadlines must wake in the order they were armed. */
static const uint64_t sleep_ms[SLEEPERS] = {30, 10, 20, 10, 30, 5, 20, 10};

static void sleeper(void *arg)
{
    uint32_t index = (uint32_t)(uintptr_t)arg;
    sys_sleep(sleep_ms[index] * SYS_NS_PER_MS);
    wake_time[index] = sys_now();
    wake_order[wake_count++] = index;
}

SCENARIO(test_timers, "test: sleepers wake in (deadline, sequence) order", NULL)
{
    wake_count = 0;
    /* rr: the sleepers arm their timers in spawn order, so ties are predictable. */
    int pids[SLEEPERS];
    for (uint32_t i = 0; i < SLEEPERS; i++)
        pids[i] = sys_spawn("sleeper", sleeper, (void *)(uintptr_t)i);
    for (uint32_t i = 0; i < SLEEPERS; i++)
        sys_wait((uint32_t)pids[i], NULL);
}

Test(timers, fire_in_deadline_then_sequence_order)
{
    struct run_result r = run_with("test-timers", 0, "rr", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    static const uint32_t expected[SLEEPERS] = {5, 1, 3, 7, 2, 6, 0, 4};
    cr_assert_eq(wake_count, SLEEPERS);
    for (int i = 0; i < SLEEPERS; i++)
        cr_assert_eq(wake_order[i], expected[i], "wake %d was sleeper %u", i, wake_order[i]);
    for (int i = 0; i < SLEEPERS; i++)
        cr_assert_geq(wake_time[i], sleep_ms[i] * SYS_NS_PER_MS, "sleeper %d woke early", i);
    run_result_free(&r);
}

Test(timers, ties_keep_arming_order_under_every_seed)
{
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct run_result r = run_with("test-timers", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu", (unsigned long long)seed);
        for (uint32_t i = 1; i < wake_count; i++)
            cr_assert_leq(sleep_ms[wake_order[i - 1]], sleep_ms[wake_order[i]],
                          "seed %llu: a later deadline woke first", (unsigned long long)seed);
        run_result_free(&r);
    }
}

static uint64_t long_sleep_woke_at;

SCENARIO(test_long_sleep, "test: one 90-second sleep", NULL)
{
    sys_sleep(90 * SYS_NS_PER_S);
    long_sleep_woke_at = sys_now();
}

Test(timers, a_long_sleep_costs_no_steps)
{
    struct run_result r = run_with("test-long-sleep", 1, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS);
    cr_assert_lt(r.steps, 10, "the clock jumps instead of stepping: %llu steps",
                 (unsigned long long)r.steps);
    cr_assert_geq(long_sleep_woke_at, 90 * SYS_NS_PER_S);
    cr_assert_lt(long_sleep_woke_at, 90 * SYS_NS_PER_S + SYS_NS_PER_MS);
    run_result_free(&r);
}

/* ---- timeouts on blocking calls ---------------------------------------------------- */

static int timeout_results[2];
static uint64_t timeout_at[2];

SCENARIO(test_timeouts, "test: lock and wait with timeouts", NULL)
{
    int m = sys_mutex_create("held");
    int s = sys_sem_create("empty", 0);
    sys_mutex_lock((uint32_t)m);
    uint64_t start = sys_now();
    /* Locking a mutex one already holds is refused, not a self-deadlock. */
    sys_check(sys_mutex_lock((uint32_t)m) == -EDEADLK, "relock must be -EDEADLK");
    timeout_results[0] = sys_sem_wait_timeout((uint32_t)s, 5 * SYS_NS_PER_MS);
    timeout_at[0] = sys_now() - start;
    sys_sem_post((uint32_t)s);
    timeout_results[1] = sys_sem_wait_timeout((uint32_t)s, 5 * SYS_NS_PER_MS);
    timeout_at[1] = sys_now() - start;
    sys_check(sys_mutex_unlock(99) == -EBADF, "a bad handle is -EBADF");
    sys_mutex_unlock((uint32_t)m);
    sys_check(sys_mutex_unlock((uint32_t)m) == -EPERM, "unlocking a free mutex is -EPERM");
}

Test(timeouts, expire_with_etimedout_at_the_deadline)
{
    struct run_result r = run_with("test-timeouts", 0, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(timeout_results[0], -ETIMEDOUT);
    cr_assert_geq(timeout_at[0], 5 * SYS_NS_PER_MS);
    cr_assert_lt(timeout_at[0], 6 * SYS_NS_PER_MS);
    cr_assert_eq(timeout_results[1], 0, "a posted unit is taken without waiting");
    run_result_free(&r);
}

static void holder(void *arg)
{
    int m = *(int *)arg;
    sys_mutex_lock((uint32_t)m);
    sys_sleep(SYS_NS_PER_S);
    sys_mutex_unlock((uint32_t)m);
}

static int contended_result;

SCENARIO(test_lock_timeout, "test: a contended lock times out", NULL)
{
    int m = sys_mutex_create("slow");
    int pid = sys_spawn("holder", holder, &m);
    sys_sleep(SYS_NS_PER_MS); /* let the holder take it */
    contended_result = sys_mutex_lock_timeout((uint32_t)m, 10 * SYS_NS_PER_MS);
    sys_wait((uint32_t)pid, NULL);
}

Test(timeouts, a_contended_lock_times_out_and_leaves_the_queue)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = run_with("test-lock-timeout", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(contended_result, -ETIMEDOUT, "seed %llu", (unsigned long long)seed);
        run_result_free(&r);
    }
}

/* ---- budgets and checks ------------------------------------------------------------ */

SCENARIO(test_spin, "test: spins forever", NULL)
{
    for (;;)
        sys_yield();
}

Test(budget, a_spinning_run_ends_as_hang_budget_on_steps)
{
    struct run_result r = run_with("test-spin", 0, "random", 0, "max_steps=500", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_BUDGET);
    cr_assert_eq(r.steps, 500);
    cr_assert(strstr(text_str(&r.report), "step budget of 500 steps ran out"), "%s",
              text_str(&r.report));
    cr_assert(strstr(text_str(&r.report), "Runnable tasks"), "%s", text_str(&r.report));
    run_result_free(&r);
}

Test(budget, a_spinning_run_ends_as_hang_budget_on_vtime)
{
    struct run_result r =
        run_with("test-spin", 0, "random", 0, "max_vtime=1ms", "step_time=10us", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_BUDGET);
    cr_assert_leq(r.steps, 102);
    cr_assert(strstr(text_str(&r.report), "virtual-time budget of 1.000ms"), "%s",
              text_str(&r.report));
    run_result_free(&r);
}

Test(budget, a_sleep_past_the_vtime_budget_is_hang_budget)
{
    struct run_result r = run_with("test-long-sleep", 0, "random", 0, "max_vtime=60s", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_BUDGET);
    cr_assert(strstr(text_str(&r.report), "next timer is due at 90.000s"), "%s",
              text_str(&r.report));
    cr_assert(strstr(text_str(&r.report), "blocked in sleep(90.000s)"), "%s",
              text_str(&r.report));
    run_result_free(&r);
}

SCENARIO(test_failed_check, "test: a check that fails", NULL)
{
    sys_yield();
    sys_check(1 + 1 == 3, "arithmetic is broken (%d)", 42);
}

Test(checks, a_failed_check_ends_the_run_as_assert)
{
    struct run_result r = run_with("test-failed-check", 0, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_ASSERT);
    cr_assert(strstr(text_str(&r.report), "arithmetic is broken (42)"), "%s",
              text_str(&r.report));
    cr_assert(strstr(text_str(&r.report), "pid 2 \"main\""), "%s", text_str(&r.report));
    run_result_free(&r);
}

/* A semaphore nobody posts: the report says nobody is bound to signal it. */
SCENARIO(test_lost_wakeup, "test: waits on a semaphore nobody posts", NULL)
{
    int s = sys_sem_create("never", 0);
    sys_sem_wait((uint32_t)s);
}

Test(checks, a_lone_waiter_is_a_deadlock_with_no_cycle)
{
    struct run_result r = run_with("test-lost-wakeup", 0, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK);
    const char *report = text_str(&r.report);
    cr_assert(strstr(report, "semaphore \"never\": no task holds it"), "%s", report);
    cr_assert(strstr(report, "count 0, never posted"), "%s", report);
    cr_assert_null(strstr(report, "Wait-for cycle"), "%s", report);
    run_result_free(&r);
}

Test(determinism, writing_a_trace_does_not_change_the_hash)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct run_result quiet = run_with("lock-order", seed, "random", 0, NULL);
        struct run_options options = {0};
        options.scenario = scenario_find("lock-order");
        options.seed = seed;
        run_config_init(&options.config, options.scenario);
        options.trace_out = fopen("/dev/null", "w");
        options.trace_format = seed % 2 ? TRACE_FORMAT_JSONL : TRACE_FORMAT_TEXT;
        struct run_result traced;
        cr_assert_eq(run_scenario(&options, &traced), 0);
        fclose(options.trace_out);
        cr_assert_eq(traced.hash, quiet.hash, "seed %llu", (unsigned long long)seed);
        run_result_free(&quiet);
        run_result_free(&traced);
    }
}

/* ---- records freed once dead -------------------------------------------------------- */

static void exit_at_once(void *arg)
{
    (void)arg;
}

/* Reads the scheduler from inside the run: how many task records it holds. */
static uint64_t task_records(void)
{
    return sched_active->tasks.live;
}

SCENARIO(test_reap_frees_records, "test: task records go when their process is reaped", NULL)
{
    for (int i = 0; i < 3000; i++) {
        int pid = sys_spawn("child", exit_at_once, NULL);
        sys_check(pid > 0 && sys_wait((uint32_t)pid, NULL) == pid, "spawn and reap %d", i);
    }
    sys_check(task_records() == 2, "3000 children reaped: %llu records, not init and main's 2",
              (unsigned long long)task_records());
    int zombies[20];
    for (int i = 0; i < 20; i++)
        zombies[i] = sys_spawn("zombie", exit_at_once, NULL);
    sys_sleep(SYS_NS_PER_MS); /* they all exit meanwhile */
    sys_check(task_records() == 22, "20 zombies keep their records: %llu",
              (unsigned long long)task_records());
    for (int i = 0; i < 20; i++)
        sys_wait((uint32_t)zombies[i], NULL);
    sys_check(task_records() == 2, "all reaped: %llu records", (unsigned long long)task_records());
}

Test(records, a_reaped_process_leaves_no_task_record)
{
    static const char *const strategies[] = {"random", "rr", "pct"};
    for (uint64_t seed = 0; seed < 6; seed++) {
        struct run_result r = run_with("test-reap-frees-records", seed, strategies[seed % 3], 0,
                                       "max_steps=100000", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        run_result_free(&r);
    }
}

static int dead_holder_mutex;

static void take_and_die(void *arg)
{
    (void)arg;
    sys_mutex_lock((uint32_t)dead_holder_mutex);
}

/* A process dies holding a mutex and is reaped: whoever waits for the mutex next
 * waits forever, and the report still names the holder. */
SCENARIO(test_dead_holder, "test: a mutex holder dies and is reaped", NULL)
{
    dead_holder_mutex = sys_mutex_create("M");
    int pid = sys_spawn("holder", take_and_die, NULL);
    sys_wait((uint32_t)pid, NULL);
    sys_mutex_lock((uint32_t)dead_holder_mutex);
}

Test(records, a_dead_mutex_holder_is_named_after_it_is_reaped)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        struct run_result r = run_with("test-dead-holder", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu", (unsigned long long)seed);
        cr_assert(strstr(text_str(&r.report), "mutex \"M\" is held by pid 3 \"holder\" (exited)"),
                  "seed %llu:\n%s", (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
    }
}
