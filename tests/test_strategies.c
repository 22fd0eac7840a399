/* The strategies beyond random: their syntax, their determinism and replay, K the
 * run's length, the portfolio, POS, delay and preempt bounds, PCT on ktest, and the
 * swarm draw. Every assertion names its seed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "faults/fault.h"
#include "helpers.h"
#include "sim/sched.h"

static struct sched_strategy parse(const char *text)
{
    struct sched_strategy s;
    char error[256];
    cr_assert_eq(run_parse_strategy(text, &s, error, sizeof error), 0, "%s: %s", text, error);
    return s;
}

Test(strategies, every_strategy_formats_back_to_itself)
{
    static const char *const texts[] = {
        "random", "rr", "pct:depth=2", "pct:depth=3,steps=40", "pos", "delay:bound=2",
        "delay:bound=0,steps=9", "preempt:bound=1,steps=100", "portfolio",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct sched_strategy s = parse(texts[i]);
        char formatted[64];
        cr_assert_str_eq(run_format_strategy(&s, formatted), texts[i]);
    }
    struct sched_strategy s = parse("preempt:steps=7,bound=3");
    cr_assert_eq(s.kind, SCHED_PREEMPT);
    cr_assert_eq(s.bound, 3);
    cr_assert_eq(s.pct_steps, 7);
    cr_assert_eq(parse("pct").pct_steps, 0, "no steps=K: the run's length, resolved later");
    cr_assert_eq(parse("delay").bound, SCHED_BOUND_DEFAULT);
}

Test(strategies, bad_strategies_are_refused_with_a_reason)
{
    static const char *const bad[][2] = {
        {"bogus", "expected random, rr"},       {"pct:depth=0", "depth must be between"},
        {"pct:bound=1", "unknown parameter 'bound'"}, {"pos:steps=3", "it takes none"},
        {"delay:bound=17", "bound must be between"}, {"preempt:steps=0", "steps must be >= 1"},
        {"pct:", "a parameter is missing"},     {"pct:depth=2,", "a parameter is missing"},
        {"delay:bound", "KEY=NUMBER"},          {"randomly", "expected random"},
        {"portfolio:depth=1", "it takes none"}, {"pct:depth=x", "KEY=NUMBER"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sched_strategy s = SCHED_STRATEGY_DEFAULT;
        char error[256] = "";
        cr_assert_eq(run_parse_strategy(bad[i][0], &s, error, sizeof error), -EINVAL, "%s",
                     bad[i][0]);
        cr_assert(strstr(error, bad[i][1]), "%s: '%s' should say '%s'", bad[i][0], error,
                  bad[i][1]);
        cr_assert(!strchr(error, '\n'), "%s: one line", bad[i][0]);
        cr_assert_eq(s.kind, SCHED_RANDOM, "%s: the strategy is unchanged on error", bad[i][0]);
    }
}

/* The same seed gives the same run, and a recording replays it, under each. */
Test(strategies, each_is_deterministic_and_replays)
{
    static const char *const strategies[] = {"pos", "delay:bound=2", "preempt:bound=2",
                                             "pct:depth=2", "portfolio"};
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++) {
        for (uint64_t seed = 0; seed < 40; seed++) {
            struct run_result a = run_with("ping-pong", seed, strategies[i], 1, "rounds=20", NULL);
            struct run_result b = run_with("ping-pong", seed, strategies[i], 0, "rounds=20", NULL);
            cr_assert_eq(a.hash, b.hash, "%s seed %llu", strategies[i], (unsigned long long)seed);
            struct run_options options;
            options_for(&options, "ping-pong", seed, strategies[i]);
            char error[128];
            cr_assert_eq(config_assign(&options.config, "rounds=20", error, sizeof error), 0);
            options.strategy = a.strategy; /* the repro's: the strategy as it ran */
            options.replay = a.choices;
            options.replay_count = a.choice_count;
            struct run_result replayed;
            cr_assert_eq(run_scenario(&options, &replayed), 0);
            cr_assert_eq(replayed.hash, a.hash, "%s seed %llu replays",
                         strategies[i], (unsigned long long)seed);
            cr_assert_eq(replayed.replay_mismatches, 0, "%s seed %llu", strategies[i],
                         (unsigned long long)seed);
            run_result_free(&replayed);
            run_result_free(&a);
            run_result_free(&b);
        }
    }
}

Test(strategies, k_is_the_run_length_measured_by_probes)
{
    uint64_t longest = 0;
    for (uint64_t seed = 0; seed < RUN_PROBE_SEEDS; seed++) {
        struct run_result r = run_with("lock-order", seed, "random", 0, NULL);
        longest = r.steps > longest ? r.steps : longest;
        run_result_free(&r);
    }
    struct run_options options;
    options_for(&options, "lock-order", 7, "pct:depth=2");
    cr_assert_eq(run_strategy_resolve(&options), 0);
    cr_assert_eq(options.strategy.pct_steps, longest, "K is the longest probe: %llu",
                 (unsigned long long)longest);
    struct run_result r = run_with("lock-order", 7, "pct:depth=2", 0, NULL);
    cr_assert_eq(r.strategy.pct_steps, longest, "the result says the K it ran with");
    run_result_free(&r);
    options_for(&options, "lock-order", 7, "pct:depth=2,steps=99");
    cr_assert_eq(run_strategy_resolve(&options), 0);
    cr_assert_eq(options.strategy.pct_steps, 99, "a K given stays");
}

Test(strategies, the_portfolio_picks_by_seed)
{
    static const enum sched_strategy_kind arms[8] = {
        SCHED_RANDOM, SCHED_POS, SCHED_PCT, SCHED_RANDOM, SCHED_PCT, SCHED_POS, SCHED_PCT,
        SCHED_RANDOM};
    static const uint32_t depths[8] = {0, 0, 1, 0, 2, 0, 3, 0};
    struct sched_strategy portfolio = parse("portfolio");
    for (uint64_t seed = 0; seed < 24; seed++) {
        struct sched_strategy s;
        run_strategy_for_seed(&portfolio, seed, 50, &s);
        cr_assert_eq(s.kind, arms[seed % 8], "seed %llu", (unsigned long long)seed);
        if (s.kind == SCHED_PCT) {
            cr_assert_eq(s.pct_depth, depths[seed % 8], "seed %llu", (unsigned long long)seed);
            cr_assert_eq(s.pct_steps, 50, "seed %llu", (unsigned long long)seed);
        } else {
            cr_assert_eq(s.pct_steps, 0, "seed %llu: no K to write", (unsigned long long)seed);
        }
    }
    /* seed 0 is random: the same run as a plain one */
    struct run_result a = run_with("lock-order", 0, "portfolio", 0, NULL);
    struct run_result b = run_with("lock-order", 0, "random", 0, NULL);
    cr_assert_eq(a.hash, b.hash, "seed 0");
    run_result_free(&a);
    run_result_free(&b);
}

/* With no delay or preemption the bounded schedulers never draw a schedule: every
 * seed is the same run. With one, seeds differ. */
Test(strategies, a_bound_of_zero_is_one_schedule)
{
    static const char *const zero[] = {"delay:bound=0", "preempt:bound=0"};
    static const char *const one[] = {"delay:bound=1", "preempt:bound=2"};
    for (int i = 0; i < 2; i++) {
        struct run_result first = run_with("lock-order", 0, zero[i], 0, NULL);
        uint32_t differ = 0;
        for (uint64_t seed = 1; seed < 30; seed++) {
            struct run_result r = run_with("lock-order", seed, zero[i], 0, NULL);
            if (i == 0) /* delay draws nothing at all: the same run */
                cr_assert_eq(r.hash, first.hash, "%s seed %llu", zero[i], (unsigned long long)seed);
            run_result_free(&r);
            struct run_result bounded = run_with("lock-order", seed, one[i], 0, NULL);
            differ += bounded.hash != first.hash;
            run_result_free(&bounded);
        }
        cr_assert_gt(differ, 0, "%s: some seeds take another schedule", one[i]);
        run_result_free(&first);
    }
}

/* ktest's hang needs many children lingering while main goes on: PCT finds it since
 * a yield demotes the yielder (docs/internals.md). */
Test(strategies, pct_finds_ktest_exhaustion)
{
    uint32_t hangs = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        struct variant_run r = run_variant_traced("ktest-channel-exhaustion", "buggy", seed,
                                                  "pct:depth=2", NULL);
        hangs += r.result.outcome == SCHED_OUTCOME_HANG_DEADLOCK;
        run_result_free(&r.result);
        free(r.trace);
    }
    cr_assert_geq(hangs, 15, "pct:depth=2 hung %u of seeds 0..19", hangs);
}

/* POS is not random under another name: on lock-order its runs differ from random's
 * at the same seeds, and it still finds the deadlock. */
Test(strategies, pos_samples_its_own_schedules)
{
    uint32_t same = 0, deadlocks = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct run_result p = run_with("lock-order", seed, "pos", 0, NULL);
        struct run_result r = run_with("lock-order", seed, "random", 0, NULL);
        same += p.hash == r.hash;
        deadlocks += p.outcome == SCHED_OUTCOME_HANG_DEADLOCK;
        run_result_free(&p);
        run_result_free(&r);
    }
    cr_assert_lt(same, 100, "pos and random agree on %u of seeds 0..199", same);
    cr_assert_gt(deadlocks, 10, "pos deadlocks %u of seeds 0..199", deadlocks);
}

Test(strategies, swarm_draws_from_the_seed_alone)
{
    uint32_t differ = 0, empty = 0;
    for (uint64_t seed = 0; seed < 64; seed++) {
        struct fault_spec a[FAULT_SPECS_MAX], b[FAULT_SPECS_MAX], c[FAULT_SPECS_MAX];
        uint32_t n = fault_swarm_draw(seed, a, FAULT_SPECS_MAX);
        cr_assert_eq(fault_swarm_draw(seed, b, FAULT_SPECS_MAX), n, "seed %llu",
                     (unsigned long long)seed);
        for (uint32_t i = 0; i < n; i++)
            cr_assert_str_eq(a[i].text, b[i].text, "seed %llu", (unsigned long long)seed);
        uint32_t m = fault_swarm_draw(seed + 1, c, FAULT_SPECS_MAX);
        differ += m != n || (n && strcmp(a[0].text, c[0].text) != 0);
        empty += n == 0;
        cr_assert_leq(fault_swarm_draw(seed, c, 2), 2, "seed %llu: max holds",
                      (unsigned long long)seed);
    }
    cr_assert_gt(differ, 32, "neighbouring seeds draw differently");
    cr_assert_lt(empty, 8, "most seeds arm something");
}
