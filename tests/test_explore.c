/* explore — systematic exploration (reports/explore.h) and `detsim explore`: the
 * bounded space is covered (every schedule random seeds reach is among the runs),
 * bugs are found and their repro files replay, fixes are exhausted with no failure,
 * sleep sets lose no failure, the budget and the bounds hold, a crash costs one run. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults/fault.h"
#include "reports/explore.h"
#include "reports/explore_int.h"
#include "sim/repro.h"
#include "sim/sys.h"

#define CLI_WORK_PREFIX "/tmp/detsim-explore-"
#include "cli_helpers.h"
#include "helpers.h"

TestSuite(explore, .fini = remove_work_dir);

/* ---- scenarios ------------------------------------------------------------------------ */

struct flag_pair {
    volatile int armed;
};

static void arm_then_disarm(void *arg)
{
    struct flag_pair *p = arg;
    p->armed = 1;
    sys_yield();
    p->armed = 0;
}

static void trip(void *arg)
{
    struct flag_pair *p = arg;
    if (p->armed) {
        volatile int *volatile nowhere = NULL;
        *nowhere = 1; /* crashes only when it runs between the other's two steps */
    }
}

/* Crashes the process on the one interleaving where "trip" runs while "arm" has its
 * flag up: an explorer must survive it and name it. */
SCENARIO(test_explore_crash, "test: a NULL dereference on one interleaving", NULL)
{
    struct flag_pair *p = sys_shared_alloc(sizeof *p);
    int a = sys_spawn("arm", arm_then_disarm, p);
    int b = sys_spawn("trip", trip, p);
    sys_wait((uint32_t)a, NULL);
    sys_wait((uint32_t)b, NULL);
}

static void two_yields(void *arg)
{
    (void)arg;
    sys_yield();
    sys_yield();
}

/* Two tasks that yield twice each: a tree small enough to run whole. */
SCENARIO(test_explore_tiny, "test: two tasks, two yields each", NULL)
{
    int a = sys_spawn("a", two_yields, NULL);
    int b = sys_spawn("b", two_yields, NULL);
    sys_wait((uint32_t)a, NULL);
    sys_wait((uint32_t)b, NULL);
}

/* Allocates twice and checks both: one injected fault makes it fail. */
SCENARIO(test_explore_alloc, "test: two fallible allocations, checked", NULL)
{
    int64_t first = sys_try_alloc(64);
    int64_t second = sys_try_alloc(64);
    sys_check(first >= 0 && second >= 0, "an allocation failed: %lld %lld", (long long)first,
              (long long)second);
    sys_free((uint32_t)first);
    sys_free((uint32_t)second);
}

/* Two knobs of three values each. */
SCENARIO(test_explore_knobs, "test: two knobs of three values", NULL)
{
    uint64_t first = sys_choose(3);
    uint64_t second = sys_choose(3);
    sys_check(first < 3 && second < 3, "knobs in range");
}

/* ---- the engine ------------------------------------------------------------------------ */

static struct explore_options options_of(const char *scenario, const char *variant)
{
    struct explore_options o = {0};
    o.run.scenario = scenario_find(scenario);
    cr_assert_not_null(o.run.scenario, "%s is registered", scenario);
    cr_assert_eq(run_config_init(&o.run.config, o.run.scenario), 0);
    if (variant) {
        char error[256];
        const struct scenario_variant *v = scenario_variant_find(o.run.scenario, variant);
        cr_assert_not_null(v, "%s has variant %s", scenario, variant);
        cr_assert_eq(scenario_variant_apply(v, &o.run.config, error, sizeof error), 0, "%s",
                     error);
    }
    o.bound = 2;
    o.reduce = 1;
    o.knobs_max = UINT32_MAX;
    o.run_time_limit_s = 60;
    return o;
}

static void explore_ok(struct explore *e, const struct explore_options *o, const char *what)
{
    int rc = explore_run(e, o);
    cr_assert_eq(rc, 0, "%s: explore_run returned %d", what, rc);
    cr_assert(!e->nondeterministic, "%s: the tree must be fixed", what);
}

Test(explore, fixed_variants_are_exhausted_without_failure_and_buggy_ones_fail)
{
    static const char *const cases[][2] = {
        {"lock-order", "fixed"}, {"handle-transfer-leak", "fixed"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct explore_options o = options_of(cases[i][0], cases[i][1]);
        struct explore e;
        explore_ok(&e, &o, cases[i][0]);
        cr_assert(e.exhausted, "%s fixed: exhausted", cases[i][0]);
        cr_assert_eq(explore_progress(&e, &o), 1.0);
        cr_assert_eq(e.failure_count, 0, "%s fixed: %u failures", cases[i][0], e.failure_count);
        cr_assert_gt(e.executions, 10, "%s fixed: more than one schedule", cases[i][0]);
        explore_free(&e);

        struct explore_options b = options_of(cases[i][0], "buggy");
        explore_ok(&e, &b, cases[i][0]);
        cr_assert_geq(e.failure_count, 1, "%s buggy: found", cases[i][0]);
        const char *want = strcmp(cases[i][0], "lock-order") == 0 ? "hang-deadlock" : "leak";
        cr_assert_str_eq(sched_outcome_name(e.failures[0].result.outcome), want, "%s buggy",
                         cases[i][0]);
        explore_free(&e);
    }
}

/* The order of a decision's alternatives: the task that could go on first, then
 * the others in arrival order; what each costs under either bound. */
Test(explore, alternatives_come_in_the_deterministic_schedulers_order)
{
    static const uint64_t with_previous[] = {2, 0, 1, 3};
    for (uint64_t p = 0; p < 4; p++) {
        cr_assert_eq(explore_value_at(CHOICE_SCHED, 4, 2, p), with_previous[p], "position %llu",
                     (unsigned long long)p);
        cr_assert_eq(explore_value_at(CHOICE_SCHED, 4, EXPLORE_NONE, p), p);
        cr_assert_eq(explore_cost_at(EXPLORE_PREEMPTIONS, CHOICE_SCHED, 2, p), p > 0);
        cr_assert_eq(explore_cost_at(EXPLORE_PREEMPTIONS, CHOICE_SCHED, EXPLORE_NONE, p), 0,
                     "after a block every choice is free");
        cr_assert_eq(explore_cost_at(EXPLORE_DELAYS, CHOICE_SCHED, 2, p), p);
        cr_assert_eq(explore_cost_at(EXPLORE_DELAYS, CHOICE_SCHED, EXPLORE_NONE, p), p);
    }
    cr_assert_eq(explore_positions(CHOICE_SCHED, 4), 4);
    /* a fault: not firing, then firing for any probability above 0 */
    cr_assert_eq(explore_positions(CHOICE_FAULT, FAULT_PPM_ONE), 2);
    cr_assert_eq(explore_value_at(CHOICE_FAULT, FAULT_PPM_ONE, EXPLORE_NONE, 0), 0);
    cr_assert_geq(explore_value_at(CHOICE_FAULT, FAULT_PPM_ONE, EXPLORE_NONE, 1),
                  FAULT_PPM_ONE - 1, "fires at p = 1 ppm");
    cr_assert(explore_fires_at(CHOICE_FAULT, 1) && !explore_fires_at(CHOICE_FAULT, 0));
    cr_assert_eq(explore_cost_at(EXPLORE_DELAYS, CHOICE_FAULT, EXPLORE_NONE, 1), 0);
    /* a knob: every value, 0 the default */
    cr_assert_eq(explore_positions(CHOICE_KNOB, 5), 5);
    for (uint64_t p = 0; p < 5; p++) {
        cr_assert_eq(explore_value_at(CHOICE_KNOB, 5, EXPLORE_NONE, p), p);
        cr_assert_eq(explore_knobs_at(CHOICE_KNOB, p), p > 0);
    }
}

/* A failure's choices, replayed without the explorer, give the same run. */
Test(explore, a_failure_replays_from_its_choices)
{
    struct explore_options o = options_of("lock-order", "buggy");
    struct explore e;
    explore_ok(&e, &o, "lock-order buggy");
    cr_assert_geq(e.failure_count, 1);
    const struct explore_failure *f = &e.failures[0];
    struct run_options run = explore_failure_options(&o);
    static const struct choice_record none[1];
    run.replay = f->result.choice_count ? f->result.choices : none;
    run.replay_count = f->result.choice_count;
    struct run_result replayed;
    cr_assert_eq(run_scenario(&run, &replayed), 0);
    cr_assert_eq(replayed.outcome, f->result.outcome, "outcome of run %llu",
                 (unsigned long long)f->first_execution);
    cr_assert_eq(replayed.hash, f->result.hash, "hash of run %llu",
                 (unsigned long long)f->first_execution);
    cr_assert_eq(replayed.replay_mismatches + replayed.replay_overruns, 0);
    run_result_free(&replayed);
    explore_free(&e);
}

/* Collects the hashes of the runs an explorer makes. */
struct hashes {
    uint64_t values[200000];
    size_t count;
};

static void note_hash(void *context, const struct explore *e)
{
    struct hashes *h = context;
    if (h->count < sizeof h->values / sizeof h->values[0])
        h->values[h->count++] = e->last_hash;
}

static int has_hash(const struct hashes *h, uint64_t hash)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->values[i] == hash)
            return 1;
    return 0;
}

/* Without reduction and with a bound no run reaches, the explorer runs every
 * schedule: each one 300 random seeds produce is among its runs. */
Test(explore, an_unbounded_search_runs_every_schedule_random_seeds_reach)
{
    static struct hashes h;
    struct explore_options o = options_of("test-explore-tiny", NULL);
    o.reduce = 0;
    o.bound = 1000;
    o.progress = note_hash;
    o.context = &h;
    struct explore e;
    explore_ok(&e, &o, "lock-order unbounded");
    cr_assert(e.exhausted);
    cr_assert_eq(h.count, e.executions);
    for (uint64_t seed = 0; seed < 300; seed++) {
        struct run_result r = run_with("test-explore-tiny", seed, "random", 0, NULL);
        cr_assert(has_hash(&h, r.hash), "seed %llu's schedule (hash 0x%016llx) was not explored",
                  (unsigned long long)seed, (unsigned long long)r.hash);
        run_result_free(&r);
    }
    explore_free(&e);
}

/* Sleep sets run fewer schedules and lose no distinct failure. */
Test(explore, sleep_sets_prune_without_losing_a_failure)
{
    static const char *const cases[][2] = {
        {"lock-order", "buggy"}, {"handle-transfer-leak", "buggy"}, {"lock-order", "fixed"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct explore_options o = options_of(cases[i][0], cases[i][1]);
        struct explore full, reduced;
        o.reduce = 0;
        explore_ok(&full, &o, cases[i][0]);
        o.reduce = 1;
        explore_ok(&reduced, &o, cases[i][0]);
        cr_assert(full.exhausted && reduced.exhausted, "%s %s", cases[i][0], cases[i][1]);
        cr_assert_lt(reduced.executions, full.executions, "%s %s: %llu runs reduced, %llu not",
                     cases[i][0], cases[i][1], (unsigned long long)reduced.executions,
                     (unsigned long long)full.executions);
        cr_assert_eq(reduced.failure_count, full.failure_count, "%s %s", cases[i][0],
                     cases[i][1]);
        for (uint32_t f = 0; f < full.failure_count; f++) {
            int found = 0;
            for (uint32_t g = 0; g < reduced.failure_count; g++)
                found |= reduced.failures[g].signature == full.failures[f].signature;
            cr_assert(found, "%s %s: failure %u lost by reduction", cases[i][0], cases[i][1], f);
        }
        explore_free(&full);
        explore_free(&reduced);
    }
}

/* The bounds: no delay leaves one schedule (no knob, no fault); more room runs more. */
Test(explore, bounds_order_the_search)
{
    uint64_t runs[3];
    for (uint32_t k = 0; k < 3; k++) {
        struct explore_options o = options_of("lock-order", "fixed");
        o.bound_kind = EXPLORE_DELAYS;
        o.bound = k;
        o.reduce = 0;
        struct explore e;
        explore_ok(&e, &o, "lock-order delays");
        cr_assert(e.exhausted);
        runs[k] = e.executions;
        explore_free(&e);
    }
    cr_assert_eq(runs[0], 1, "delays 0: the deterministic schedule alone, got %llu",
                 (unsigned long long)runs[0]);
    cr_assert(runs[0] < runs[1] && runs[1] < runs[2], "%llu %llu %llu",
              (unsigned long long)runs[0], (unsigned long long)runs[1],
              (unsigned long long)runs[2]);
}

/* Every value of every knob, or at most K of them other than 0. */
Test(explore, knobs_take_every_value_within_their_bound)
{
    static const uint32_t bounds[] = {UINT32_MAX, 2, 1, 0};
    static const uint64_t want[] = {9, 9, 5, 1};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        struct explore_options o = options_of("test-explore-knobs", NULL);
        o.bound_kind = EXPLORE_DELAYS;
        o.bound = 0;
        o.knobs_max = bounds[i];
        struct explore e;
        explore_ok(&e, &o, "knobs");
        cr_assert(e.exhausted && e.failure_count == 0);
        cr_assert_eq(e.executions, want[i], "knobs %u: %llu runs, want %llu", bounds[i],
                     (unsigned long long)e.executions, (unsigned long long)want[i]);
        explore_free(&e);
    }
}

Test(explore, the_budget_stops_it_unexhausted)
{
    struct explore_options o = options_of("lock-order", "fixed");
    o.executions_max = 7;
    struct explore e;
    explore_ok(&e, &o, "lock-order budget");
    cr_assert_eq(e.executions, 7);
    cr_assert(!e.exhausted && e.out_of_budget);
    double share = explore_progress(&e, &o);
    cr_assert(share > 0 && share < 1, "7 runs of more: %f", share);
    explore_free(&e);
}

/* Faults: each hit fires or not, at most F per run; without --faults none fires. */
Test(explore, at_most_f_faults_fire_per_run)
{
    struct fault_spec spec;
    char error[200];
    cr_assert_eq(fault_spec_parse("model/*:p=0.5", &spec, error, sizeof error), 0, "%s", error);
    uint64_t runs[3];
    for (uint32_t f = 0; f <= 2; f++) {
        struct explore_options o = options_of("test-explore-alloc", NULL);
        o.run.faults = &spec;
        o.run.fault_count = 1;
        o.faults_max = f;
        o.bound_kind = EXPLORE_DELAYS; /* one schedule: the fault decisions alone */
        o.bound = 0;
        struct explore e;
        explore_ok(&e, &o, "alloc faults");
        cr_assert(e.exhausted, "faults %u", f);
        runs[f] = e.executions;
        uint64_t failing = 0;
        for (uint32_t i = 0; i < e.failure_count; i++) {
            cr_assert_leq(e.failures[i].result.faults_fired, f, "faults %u: failure %u fired %llu",
                          f, i, (unsigned long long)e.failures[i].result.faults_fired);
            failing += e.failures[i].count;
        }
        cr_assert_eq(failing, runs[f] - 1, "faults %u: %llu of %llu runs fail, want all but one", f,
                     (unsigned long long)failing, (unsigned long long)runs[f]);
        explore_free(&e);
    }
    /* neither fires; the first, the second (each then alone); both */
    cr_assert_eq(runs[0], 1, "faults 0: %llu runs", (unsigned long long)runs[0]);
    cr_assert_eq(runs[1], 3, "faults 1: %llu runs", (unsigned long long)runs[1]);
    cr_assert_eq(runs[2], 4, "faults 2: %llu runs", (unsigned long long)runs[2]);
}

/* A run that crashes the worker is one failure; the search goes on in a fresh one. */
Test(explore, a_crash_costs_one_run)
{
    struct explore_options o = options_of("test-explore-crash", NULL);
    o.reduce = 0; /* the flag is memory the models do not see */
    struct explore e;
    explore_ok(&e, &o, "crash");
    cr_assert(e.exhausted);
    cr_assert_eq(e.failure_count, 1);
    cr_assert_eq(e.failures[0].result.outcome, SCHED_OUTCOME_CRASH);
    /* a signal; or, under -fsanitize=undefined, the sanitizer's exit */
    const char *report = text_str(&e.failures[0].result.report);
    cr_assert(strstr(report, "CRASH: the scenario's C code died of signal") ||
                  strstr(report, "CRASH: the scenario's C code called exit("),
              "%s", report);
    cr_assert_geq(e.workers_started, 2);
    cr_assert_gt(e.executions, e.failures[0].count, "other schedules pass");
    explore_free(&e);
}

/* ---- the command line -------------------------------------------------------------------- */

static void expect_usage_error(const char *needle, const char *args)
{
    struct cli_result *r = shell("$DETSIM explore %s", args);
    cr_assert_eq(r->status, 2, "explore %s: exit %d, want 2; stderr: %s", args, r->status, r->err);
    cr_assert_eq(r->err_lines, 1, "explore %s: want one stderr line, got:\n%s", args, r->err);
    cr_assert(strstr(r->err, needle), "explore %s: stderr should name '%s': %s", args, needle,
              r->err);
    cr_assert_null(strstr(r->out, "schedules"), "explore %s: must not run", args);
}

Test(explore, bad_input_is_one_line_and_exit_2)
{
    expect_usage_error("explore needs a scenario", "");
    expect_usage_error("unknown scenario 'nope'", "nope");
    expect_usage_error("unknown variant 'fixd' of lock-order", "lock-order --variant fixd");
    expect_usage_error("bad --preemptions 'two'", "lock-order --preemptions two");
    expect_usage_error("bad --delays '-1'", "lock-order --delays -1");
    expect_usage_error("one of --preemptions and --delays", "lock-order --preemptions 1 --delays 1");
    expect_usage_error("bad --faults 'x'", "lock-order --faults x");
    expect_usage_error("bad --knobs '1001'", "lock-order --knobs 1001");
    expect_usage_error("bad --budget '0'", "lock-order --budget 0");
    expect_usage_error("bad --budget '10 minutes'", "lock-order --budget '10 minutes'");
    expect_usage_error("unknown config key 'nope'", "lock-order --set nope=1");
    expect_usage_error("--fault needs --faults", "lock-order --fault 'model/*'");
}

Test(explore, a_fix_is_exhausted_and_a_bug_gives_a_repro_that_replays)
{
    struct cli_result *r = shell("$DETSIM explore lock-order --variant fixed");
    cr_assert_eq(r->status, 0, "exit %d: %s%s", r->status, r->out, r->err);
    cr_assert(strstr(r->out, "exhausted: all ") &&
                  strstr(r->out, "schedules with \xe2\x89\xa4 2 preemptions and \xe2\x89\xa4 0 "
                                 "faults, 0 failures"),
              "%s", r->out);
    r = shell("$DETSIM explore lock-order --variant buggy --repro-dir out");
    cr_assert_eq(r->status, 1, "exit %d: %s%s", r->status, r->out, r->err);
    cr_assert(strstr(r->out, "1 failure\n") && strstr(r->out, "failure 1: hang-deadlock"), "%s",
              r->out);
    cr_assert(strstr(r->out, "repro: out/lock-order-buggy-explore-1.repro"), "%s", r->out);
    r = shell("$DETSIM replay out/lock-order-buggy-explore-1.repro --quiet");
    cr_assert_eq(r->status, 0, "replay exit %d: %s%s", r->status, r->out, r->err);
    cr_assert(strstr(r->out, "outcome hang-deadlock matches; hash matches"), "%s", r->out);
}

Test(explore, the_budget_and_sigint_leave_a_summary)
{
    struct cli_result *r = shell("$DETSIM explore bridged-fd-liveness --budget 20");
    cr_assert_eq(r->status, 1, "not exhausted is not a proof: exit %d", r->status);
    cr_assert(strstr(r->out, "not exhausted: out of budget after 20 schedules"), "%s", r->out);
    r = shell("$DETSIM explore bridged-fd-liveness --no-reduction --preemptions 5 & "
              "sleep 1; kill -INT $!; wait $!; echo status=$?");
    cr_assert(strstr(r->out, "not exhausted: interrupted after "), "%s", r->out);
    cr_assert(strstr(r->out, "status=130"), "ends as SIGINT would: %s", r->out);
}

/* A run that spins in C is stopped at its wall-clock limit: a timeout failure. */
Test(explore, a_run_that_spins_is_a_timeout)
{
    struct explore_options o = options_of("test-c-loop", NULL); /* tests/test_harden.c */
    o.bound_kind = EXPLORE_DELAYS;
    o.bound = 0;
    o.run_time_limit_s = 1;
    struct explore e;
    explore_ok(&e, &o, "spin");
    cr_assert(e.exhausted);
    cr_assert_eq(e.executions, 1);
    cr_assert_eq(e.failure_count, 1);
    cr_assert_eq(e.failures[0].result.outcome, SCHED_OUTCOME_TIMEOUT, "%s",
                 text_str(&e.failures[0].result.report));
    explore_free(&e);
}

/* Found by explore: two-senders' first fix received blocking when its send found the
 * peer's queue full, and deadlocked once the peer had sent all it had (857 of 11,575
 * schedules within 2 delays; no seed of a random sweep). The fix now takes only what
 * is queued and sleeps otherwise: every schedule within the bound passes, and the
 * bug itself is still found. */
Test(explore, two_senders_fix_holds_on_every_schedule_within_two_delays)
{
    struct explore_options o = options_of("two-senders", "fixed");
    o.bound_kind = EXPLORE_DELAYS;
    struct explore e;
    explore_ok(&e, &o, "two-senders fixed");
    cr_assert(e.exhausted, "two-senders fixed: exhausted");
    cr_assert_eq(e.failure_count, 0, "two-senders fixed: %u failures, the first %s",
                 e.failure_count,
                 e.failure_count ? text_str(&e.failures[0].result.report) : "");
    cr_assert_gt(e.executions, 1000, "two-senders fixed: %llu schedules",
                 (unsigned long long)e.executions);
    explore_free(&e);
    struct explore_options b = options_of("two-senders", "buggy");
    b.bound_kind = EXPLORE_DELAYS;
    explore_ok(&e, &b, "two-senders buggy");
    cr_assert_geq(e.failure_count, 1, "two-senders buggy: found");
    explore_free(&e);
}
