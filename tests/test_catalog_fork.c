/* The catalog scenarios of seed document 002 (fork-fd-inheritance and
 * sigkill-skips-cancel), beyond the generic contract of every catalog scenario:
 * single-level spawn passes even with the bug, the hang grows with depth, the hang
 * shows every process blocked in a receive or a wait, the pkill cleanup leaks
 * zombies and the registry port, the SIGINT ladder leaves nothing. Also sys_detach,
 * the background jobs that sigkill-skips-cancel needs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sim/sys.h"

#define SEEDS 100

/* The number after prefix in text (its first occurrence), or -1. */
static long number_after(const char *text, const char *prefix)
{
    const char *at = strstr(text, prefix);
    return at ? strtol(at + strlen(prefix), NULL, 10) : -1;
}

/* How many times needle occurs in text. */
static uint32_t occurrences(const char *text, const char *needle)
{
    uint32_t n = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* ---- fork-fd-inheritance ------------------------------------------------------------ */

Test(catalog_fork, single_level_spawn_passes_with_the_bug)
{
    for (uint64_t seed = 0; seed < 500; seed++) {
        const char *strategy = seed % 2 ? "pct" : "random";
        struct run_result r = run_with("fork-fd-inheritance", seed, strategy, 0, "fix=none",
                                       "depth=0", "breadth=2", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu (%s): %s",
                     (unsigned long long)seed, strategy, text_str(&r.report));
        run_result_free(&r);
    }
    /* Wider single levels too. */
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        struct run_result r = run_with("fork-fd-inheritance", seed, "random", 0, "fix=none",
                                       "depth=0", "breadth=4", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu, breadth 4: %s",
                     (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
    }
}

/* Blocked tasks in the hang, and processes holding copies of the end the root waits
 * to see closed (the first such count in the report is the root's, pid 2). */
struct hang_size {
    long blocked;
    long copies;
};

static struct hang_size buggy_hang(uint64_t seed, const char *depth)
{
    struct run_result r = run_with("fork-fd-inheritance", seed, "random", 0, "fix=none",
                                   "breadth=2", depth, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu, %s: %s",
                 (unsigned long long)seed, depth, text_str(&r.report));
    const char *report = text_str(&r.report);
    cr_assert(strstr(report, "pid 2 \"main\" is blocked in chan_recv(channel 0 end A)"),
              "seed %llu, %s: the root waits for actor-1's channel to close: %s",
              (unsigned long long)seed, depth, report);
    struct hang_size size = {number_after(report, "but "),
                             number_after(report, "the peer open; ")};
    run_result_free(&r);
    return size;
}

Test(catalog_fork, the_hang_grows_with_depth)
{
    /* Every process of the tree is in the hang: 1 + 2 + 4 + ... of breadth 2; the
     * end the root waits on is held by actor-1's whole subtree. */
    static const long blocked[] = {7, 15, 31}, copies[] = {3, 7, 15};
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        struct hang_size previous = {0, 0};
        for (int depth = 1; depth <= 3; depth++) {
            char setting[32];
            snprintf(setting, sizeof setting, "depth=%d", depth);
            struct hang_size size = buggy_hang(seed, setting);
            cr_assert_gt(size.blocked, previous.blocked, "seed %llu: depth %d blocks %ld, "
                         "depth %d blocked %ld", (unsigned long long)seed, depth, size.blocked,
                         depth - 1, previous.blocked);
            cr_assert_gt(size.copies, previous.copies, "seed %llu: depth %d strands %ld "
                         "copies, depth %d stranded %ld", (unsigned long long)seed, depth,
                         size.copies, depth - 1, previous.copies);
            cr_assert_eq(size.blocked, blocked[depth - 1], "seed %llu depth %d",
                         (unsigned long long)seed, depth);
            cr_assert_eq(size.copies, copies[depth - 1], "seed %llu depth %d",
                         (unsigned long long)seed, depth);
            previous = size;
        }
    }
}

Test(catalog_fork, the_hang_shows_every_process_blocked_in_a_receive_or_a_wait)
{
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        const char *strategy = seed % 2 ? "pct" : "random";
        struct run_result r = run_with("fork-fd-inheritance", seed, strategy, 0, "fix=none",
                                       "breadth=2", "depth=1", NULL);
        const char *report = text_str(&r.report);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu: %s",
                     (unsigned long long)seed, report);
        cr_assert_null(strstr(report, "Runnable tasks"), "seed %llu: %s",
                       (unsigned long long)seed, report);
        /* main, 2 children, 4 grandchildren: all blocked, each in a receive or a wait. */
        long blocked = number_after(report, "but ");
        cr_assert_eq(blocked, 7, "seed %llu: %s", (unsigned long long)seed, report);
        uint32_t in_receive_or_wait = occurrences(report, " is blocked in chan_recv(") +
                                      occurrences(report, " is blocked in port_wait(") +
                                      occurrences(report, " is blocked in wait(");
        cr_assert_eq(in_receive_or_wait, occurrences(report, " is blocked in "),
                     "seed %llu: a task blocked in something else: %s",
                     (unsigned long long)seed, report);
        cr_assert_eq(in_receive_or_wait, (uint32_t)blocked, "seed %llu: %s",
                     (unsigned long long)seed, report);
        /* The parents wait for children that wait for IPC that never arrives. */
        cr_assert(strstr(report, "pid 3 \"actor-1\" is blocked in wait("), "seed %llu: %s",
                  (unsigned long long)seed, report);
        cr_assert(strstr(report, "processes hold copies of the peer end, which stays open "
                                 "until every copy is closed"),
                  "seed %llu: %s", (unsigned long long)seed, report);
        run_result_free(&r);
    }
}

Test(catalog_fork, every_fix_passes_deeper_trees)
{
    static const char *const fixes[] = {"fix=closerange", "fix=cloexec", "fix=targeted-close",
                                        "fix=explicit-spawn"};
    static const char *const shapes[][2] = {
        {"breadth=2", "depth=2"}, {"breadth=2", "depth=3"}, {"breadth=3", "depth=2"}};
    for (size_t f = 0; f < 4; f++)
        for (size_t k = 0; k < 3; k++)
            for (uint64_t seed = 0; seed < 40; seed++) {
                struct run_result r = run_with("fork-fd-inheritance", seed, "random", 0,
                                               fixes[f], shapes[k][0], shapes[k][1],
                                               "check=true", NULL);
                cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu, %s %s %s: %s",
                             (unsigned long long)seed, fixes[f], shapes[k][0], shapes[k][1],
                             text_str(&r.report));
                run_result_free(&r);
            }
}

/* ---- sigkill-skips-cancel ----------------------------------------------------------- */

Test(catalog_fork, pkill_leaks_zombies_and_the_registry_port)
{
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        const char *strategy = seed % 2 ? "pct" : "random";
        struct run_result r = run_with("sigkill-skips-cancel", seed, strategy, 0,
                                       "cleanup=pkill", "actors=2", "breadth=2", NULL);
        const char *report = text_str(&r.report);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_LEAK, "seed %llu: %s", (unsigned long long)seed,
                     report);
        /* The two killed actors, never reaped by pytest, which is still alive. */
        cr_assert_eq(occurrences(report, "is a zombie nobody reaped (parent pid 3)"), 2,
                     "seed %llu: %s", (unsigned long long)seed, report);
        cr_assert(strstr(report, "pid 3 \"pytest\" is still alive"), "seed %llu: %s",
                  (unsigned long long)seed, report);
        /* The registry port :1616, with its listener still bound. */
        cr_assert(strstr(report, "port 0 still exists (created by pid 3"), "seed %llu: %s",
                  (unsigned long long)seed, report);
        cr_assert(strstr(report, "1 endpoint bound"), "seed %llu: %s",
                  (unsigned long long)seed, report);
        cr_assert(strstr(report, "held by pid 3 \"pytest\""), "seed %llu: %s",
                  (unsigned long long)seed, report);
        run_result_free(&r);
    }
}

Test(catalog_fork, pkill_leaves_one_zombie_per_actor)
{
    for (uint64_t actors = 1; actors <= 8; actors++) {
        char setting[32];
        snprintf(setting, sizeof setting, "actors=%llu", (unsigned long long)actors);
        struct run_result r = run_with("sigkill-skips-cancel", actors, "random", 0,
                                       "cleanup=pkill", setting, "breadth=1", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_LEAK, "%s: %s", setting, text_str(&r.report));
        cr_assert_eq(occurrences(text_str(&r.report), "is a zombie nobody reaped"), actors,
                     "%s (seed %llu): %s", setting, (unsigned long long)actors,
                     text_str(&r.report));
        run_result_free(&r);
    }
}

/* Runs sigkill-skips-cancel with the ladder and returns its text trace (free it). */
static char *ladder_trace(uint64_t seed, const char *strategy, struct run_result *result)
{
    struct run_options options = {0};
    options.scenario = scenario_find("sigkill-skips-cancel");
    cr_assert(options.scenario);
    options.seed = seed;
    char error[256];
    cr_assert_eq(run_parse_strategy(strategy, &options.strategy, error, sizeof error), 0);
    cr_assert_eq(run_config_init(&options.config, options.scenario), 0);
    cr_assert_eq(config_assign(&options.config, "cleanup=sigint-ladder", error, sizeof error), 0);
    char *trace = NULL;
    size_t bytes = 0;
    options.trace_out = open_memstream(&trace, &bytes);
    cr_assert(options.trace_out);
    cr_assert_eq(run_scenario(&options, result), 0, "seed %llu", (unsigned long long)seed);
    fclose(options.trace_out);
    return trace;
}

Test(catalog_fork, the_sigint_ladder_runs_the_graceful_cascade_without_sigkill)
{
    /* The ladder's SIGKILL rung is never needed: every actor goes through its SIGINT
     * handler, pytest through its cancel path (exit status 1), and nothing is killed. */
    for (uint64_t seed = 0; seed < 50; seed++) {
        const char *strategy = seed % 2 ? "pct" : "random";
        struct run_result r;
        char *trace = ladder_trace(seed, strategy, &r);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert(strstr(trace, "pytest       exit          1 -> 0"), "seed %llu: %s",
                  (unsigned long long)seed, trace);
        cr_assert(strstr(trace, "group_shutdown 1 -> 0"), "seed %llu: the shutdown killed "
                  "someone: %s", (unsigned long long)seed, trace);
        cr_assert_null(strstr(trace, "SIGKILL"), "seed %llu: %s", (unsigned long long)seed,
                       trace);
        cr_assert_null(strstr(trace, "exit          137"), "seed %llu: %s",
                       (unsigned long long)seed, trace);
        cr_assert_null(strstr(trace, " kill "), "seed %llu: %s", (unsigned long long)seed,
                       trace);
        free(trace);
        run_result_free(&r);
    }
}

Test(catalog_fork, the_sigint_ladder_leaves_nothing)
{
    static const char *const shapes[][2] = {
        {"actors=2", "breadth=2"}, {"actors=8", "breadth=4"}, {"actors=5", "breadth=0"}};
    for (size_t k = 0; k < 3; k++)
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            const char *strategy = seed % 2 ? "pct" : "random";
            struct run_result r = run_with("sigkill-skips-cancel", seed, strategy, 0,
                                           "cleanup=sigint-ladder", shapes[k][0], shapes[k][1],
                                           "check=true", NULL);
            cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu (%s), %s %s: %s",
                         (unsigned long long)seed, strategy, shapes[k][0], shapes[k][1],
                         text_str(&r.report));
            cr_assert_eq(r.report.length, 0, "seed %llu: %s", (unsigned long long)seed,
                         text_str(&r.report));
            run_result_free(&r);
        }
}

/* ---- sys_detach --------------------------------------------------------------------- */

static struct {
    uint64_t sleep_ns; /* the background job's sleep; 0: it blocks for good */
    int detach_rc;
} job;

/* Detaches unless arg is non-NULL, then sleeps or blocks for good. */
static void background_job(void *arg)
{
    if (!arg)
        job.detach_rc = sys_detach();
    if (job.sleep_ns) {
        sys_sleep(job.sleep_ns);
        return;
    }
    uint32_t ends[2];
    if (sys_chan_create(ends) == 0)
        sys_chan_recv(ends[0], NULL, 0, 0); /* it holds the peer: never returns */
}

/* main starts a background job and does not wait for it. */
SCENARIO(test_detach, "test: a background job outlives main", NULL)
{
    sys_spawn("job", background_job, NULL);
    sys_yield();
}

/* main waits for a child that never exits, beside a background job. */
SCENARIO(test_detach_and_hang, "test: main hangs beside a background job", NULL)
{
    sys_spawn("job", background_job, NULL);
    static int foreground = 1;
    int child = sys_spawn("child", background_job, &foreground);
    sys_wait((uint32_t)child, NULL);
}

Test(catalog_fork, a_background_job_still_alive_at_the_end_is_a_leak)
{
    job.sleep_ns = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        job.detach_rc = -1;
        struct run_result r = run_with("test-detach", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(job.detach_rc, 0);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_LEAK, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert(strstr(text_str(&r.report),
                         "pid 3 \"job\" is still alive (parent pid 1), holding 2 handles"),
                  "seed %llu: %s", (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
    }
}

Test(catalog_fork, a_background_job_that_finishes_is_reaped_and_the_run_passes)
{
    /* It sleeps long after main is gone: the run still lets it finish. */
    job.sleep_ns = 90 * SYS_NS_PER_S;
    for (uint64_t seed = 0; seed < 20; seed++) {
        struct run_result r = run_with("test-detach", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_geq(r.vtime_ns, 90 * SYS_NS_PER_S, "seed %llu: the job's sleep ran out",
                      (unsigned long long)seed);
        run_result_free(&r);
    }
}

Test(catalog_fork, a_background_job_does_not_hide_a_hang)
{
    job.sleep_ns = 0;
    struct run_result r = run_with("test-detach-and-hang", 0, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "%s", text_str(&r.report));
    /* main and its child are stuck; the background job is reported with them. */
    cr_assert(strstr(text_str(&r.report), "but 3 tasks are blocked"), "%s", text_str(&r.report));
    cr_assert(strstr(text_str(&r.report), "pid 3 \"job\" is blocked in chan_recv"), "%s",
              text_str(&r.report));
    run_result_free(&r);
}
