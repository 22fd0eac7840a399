/* stress-cancel-storm — seed document 001_8f13a8b2ec6d337d.txt (processkit 0.9.1,
 * stress tier), test 6 `cancellation_storm_resolves_every_call`.
 *
 * 50 runs are in flight at once, each in a runner process of its own, each running
 * a long sleeper with its own cancellation token (cancel_on(token)). Every sleeper
 * has started a grandchild that sleeps as long, so tearing down only the direct
 * child would not be enough. After 200 ms of virtual time all 50 tokens are
 * cancelled in a burst (from a seed-chosen token on). Every run must resolve as
 * cancelled (its child killed, status 128+9), long before the sleepers' natural
 * exit, and with its whole tree gone: no live process left in its group, the
 * grandchild included. The library tears a cancelled run down with a watcher
 * process per run that sleeps on the token and drops the run's private group.
 * Processes: 50 runners, 50 watchers, 50 sleepers, 50 grandchildren, main and init
 * (max_procs=256). No buggy variant: the seed document gives none.
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

#define STORM_RUNS_MAX 60

static const struct config_key stress_cancel_storm_params[] = {
    {"runs", CONFIG_UINT, 50, 1, STORM_RUNS_MAX, "cancellable runs in flight", NULL},
    {"cancel_after", CONFIG_DURATION, 200 * SYS_NS_PER_MS, 0, UINT64_MAX,
     "virtual time before the storm of cancellations", NULL},
    {0},
};

#define SLEEPER_NS (90 * SYS_NS_PER_S)

/* Shared by main and the runners (separate processes on the Linux backend): the
 * tokens main cancels, the results the runners write. */
struct storm {
    struct pk_token tokens[STORM_RUNS_MAX];
    struct pk_result results[STORM_RUNS_MAX];
    int run_errors[STORM_RUNS_MAX];
};

static struct storm *storm;

static void grandchild_main(void *arg)
{
    (void)arg;
    sys_sleep(SLEEPER_NS);
}

/* A long sleeper with a grandchild of its own. */
static int sleeper_with_grandchild(const struct pk_child *self)
{
    (void)self;
    int pid = sys_spawn("grandchild", grandchild_main, NULL);
    sys_sleep(SLEEPER_NS);
    if (pid > 0)
        sys_wait((uint32_t)pid, NULL);
    return 0;
}

/* One in-flight run: cmd.cancel_on(token).run(). */
static int runner(const struct pk_child *self)
{
    uint32_t i = (uint32_t)(uintptr_t)self->arg;
    const struct pk_command sleeper = {"long-sleeper", sleeper_with_grandchild, NULL};
    const struct pk_options cancellable = {0, 0, &storm->tokens[i]};
    storm->run_errors[i] = pk_run(&sleeper, &cancellable, NULL, &storm->results[i]);
    return 0;
}

static const struct scenario_variant stress_cancel_storm_variants[] = {
    {"default", "50 cancellable runs of sleepers with grandchildren, all cancelled at 200 ms",
     "runs=50 cancel_after=200ms max_procs=256", "pass", NULL},
    {0},
};

PORTABLE_SCENARIO_WITH_VARIANTS(stress_cancel_storm,
                       "processkit stress 6: 50 in-flight runs cancelled at once; each resolves "
                       "as cancelled with its whole tree torn down",
                       stress_cancel_storm_params, stress_cancel_storm_variants)
{
    static struct pk_proc runners[STORM_RUNS_MAX];
    static uint32_t pids[STORM_RUNS_MAX];
    static int statuses[STORM_RUNS_MAX];
    uint32_t n = (uint32_t)sys_param("runs");
    storm = sys_shared_alloc(sizeof *storm);
    if (!storm)
        return;
    for (uint32_t i = 0; i < n; i++) {
        storm->results[i] = (struct pk_result){0};
        storm->run_errors[i] = 0;
        sys_check(pk_token_init(&storm->tokens[i]) == 0, "token %" PRIu32 " not created", i);
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct pk_command run = {"runner", runner, (void *)(uintptr_t)i};
        int rc = pk_start(&runners[i], &run, NULL);
        sys_check(rc == 0, "runner %" PRIu32 " failed to start (%d)", i, rc);
        pids[i] = runners[i].pid;
    }
    /* Let the children actually start, then cancel the whole storm at once. */
    sys_sleep(sys_param("cancel_after"));
    uint64_t start = sys_now();
    uint32_t first = (uint32_t)sys_choose(n);
    for (uint32_t k = 0; k < n; k++)
        pk_token_cancel(&storm->tokens[(first + k) % n]);
    uint32_t collected = pk_wait_all(pids, n, statuses);
    uint64_t took = sys_now() - start;
    sys_check(collected == n, "%" PRIu32 " of %" PRIu32 " runners collected", collected, n);
    for (uint32_t i = 0; i < n; i++) {
        const struct pk_result *r = &storm->results[i];
        sys_check(storm->run_errors[i] == 0 && statuses[i] == 0, "run %" PRIu32 " failed (%d, runner %d)",
                  i, storm->run_errors[i], statuses[i]);
        sys_check(r->cancelled && SYS_WIFSIGNALED(r->status) && SYS_WTERMSIG(r->status) == SIG_KILL,
                  "every cancelled run resolves as cancelled: run %" PRIu32
                  " got cancelled=%d status %#x",
                  i, r->cancelled, r->status);
        int left = sys_group_kill(r->group, SIG_TERM);
        sys_check(left == 0,
                  "run %" PRIu32 ": %d processes of its tree (group %" PRIu32
                  ") outlived the cancellation",
                  i, left, r->group);
    }
    /* Well before the sleepers' natural exit, which a cancellation that waited for
     * them would take. Not tighter: on real processes (--backend linux) a loaded
     * machine stretches the real time that time_scale multiplies. */
    sys_check(took < SLEEPER_NS / 2,
              "the storm took %" PRIu64 " ms to resolve (the sleepers' natural exit is %" PRIu64
              " s)",
              (uint64_t)(took / SYS_NS_PER_MS), (uint64_t)(SLEEPER_NS / SYS_NS_PER_S));
    sys_check(pk_no_children(), "a child of main was never collected");
}
