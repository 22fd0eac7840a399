/* stress-group-teardown — seed document 001_8f13a8b2ec6d337d.txt (processkit 0.9.1,
 * stress tier), test 4 `large_group_teardown_kills_the_whole_tree`.
 *
 * 50 children that each sleep about 90 s are started into one group, which is then
 * torn down, twice: by kill-on-drop (sys_group_drop) and by graceful shutdown
 * (sys_group_shutdown: SIGINT, a grace period, then SIGKILL). Every child must be
 * reaped within a 45 s grace of virtual time from the teardown: the seed test's
 * argument, that a child the teardown missed would run its full ~90 s and miss the
 * grace, holds exactly here because time is virtual (sys_now before and after).
 * The teardown comes at a seed-chosen moment in the first 100 ms, so some children
 * are still starting, others already asleep. No buggy variant: the seed document
 * gives none; teardown=false (not a variant) skips the teardown and shows the check
 * biting: "drop must reap all 50 children within 45000 ms ... took 90xxx ms".
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

#define TEARDOWN_CHILDREN_MAX PK_BATCH_MAX

static const struct config_key stress_group_teardown_params[] = {
    {"children", CONFIG_UINT, 50, 1, TEARDOWN_CHILDREN_MAX, "sleepers in the group", NULL},
    {"sleep", CONFIG_DURATION, 90 * SYS_NS_PER_S, 1, UINT64_MAX,
     "how long each child sleeps (about: plus up to 1 s chosen per child)", NULL},
    {"grace", CONFIG_DURATION, 45 * SYS_NS_PER_S, 1, UINT64_MAX,
     "every child must be reaped this soon after the teardown", NULL},
    {"shutdown_grace", CONFIG_DURATION, 5 * SYS_NS_PER_S, 0, UINT64_MAX,
     "the grace sys_group_shutdown gives before SIGKILL", NULL},
    {"teardown", CONFIG_BOOL, 1, 0, 1,
     "tear the group down (false: only wait, to show that survivors miss the grace)", NULL},
    {0},
};

static int long_sleeper(const struct pk_child *self)
{
    uint64_t ns = *(const uint64_t *)self->arg;
    sys_sleep(ns + sys_choose(1000) * SYS_NS_PER_MS);
    return 0;
}

/* Starts the sleepers into a fresh group, tears it down (drop or shutdown), and
 * checks that every one is reaped within the grace. */
static void teardown(int graceful)
{
    static struct pk_proc procs[TEARDOWN_CHILDREN_MAX];
    static uint32_t pids[TEARDOWN_CHILDREN_MAX];
    static int statuses[TEARDOWN_CHILDREN_MAX];
    static uint64_t sleep_ns;
    const char *how = graceful ? "shutdown" : "drop";
    uint32_t n = (uint32_t)sys_param("children");
    uint64_t grace = sys_param("grace");
    sleep_ns = sys_param("sleep");
    uint32_t group = sys_group_create();
    const struct pk_command sleeper = {"long-sleeper", long_sleeper, &sleep_ns};
    const struct pk_options in_group = {group, 0, NULL};
    for (uint32_t i = 0; i < n; i++) {
        int rc = pk_start(&procs[i], &sleeper, &in_group);
        sys_check(rc == 0, "%s: child %" PRIu32 " failed to start (%d)", how, i, rc);
        pids[i] = procs[i].pid;
    }
    sys_sleep(sys_choose(100) * SYS_NS_PER_MS);
    uint64_t start = sys_now();
    int torn;
    if (!sys_param("teardown")) {
        torn = 0; /* nothing torn down: every child runs its natural ~90 s */
    } else if (graceful) {
        torn = sys_group_shutdown(group, sys_param("shutdown_grace"));
        sys_check(torn >= 0, "%s of group %" PRIu32 " failed (%d)", how, group, torn);
    } else {
        torn = sys_group_drop(group);
        sys_check(torn == (int)n, "drop of group %" PRIu32 " killed %d of %" PRIu32 " children",
                  group, torn, n);
    }
    uint32_t reaped = pk_wait_all(pids, n, statuses);
    uint64_t took = sys_now() - start;
    sys_check(reaped == n, "%s must reap all %" PRIu32 " children: %" PRIu32 " collected", how,
              n, reaped);
    sys_check(took < grace,
              "%s must reap all %" PRIu32 " children within %" PRIu64 " ms (their natural exit "
              "is ~%" PRIu64 " s): took %" PRIu64 " ms",
              how, n, (uint64_t)(grace / SYS_NS_PER_MS), (uint64_t)(sleep_ns / SYS_NS_PER_S), (uint64_t)(took / SYS_NS_PER_MS));
    int expected = graceful ? SIG_INT : SIG_KILL;
    for (uint32_t i = 0; i < n; i++)
        sys_check(SYS_WIFSIGNALED(statuses[i]) &&
                      (SYS_WTERMSIG(statuses[i]) == expected ||
                       (graceful && SYS_WTERMSIG(statuses[i]) == SIG_KILL)),
                  "%s: child %" PRIu32 " (pid %" PRIu32 ") ended with status %#x, not killed",
                  how, i, pids[i], statuses[i]);
    sys_check(sys_group_kill(group, SIG_TERM) == 0, "%s: group %" PRIu32 " still has members",
              how, group);
}

static const struct scenario_variant stress_group_teardown_variants[] = {
    {"default", "50 ~90 s sleepers torn down by drop, then by shutdown; 45 s grace",
     "children=50 sleep=90s grace=45s shutdown_grace=5s teardown=true max_procs=64", "pass",
     NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_group_teardown,
                       "processkit stress 4: a group of 50 ~90 s sleepers torn down by drop and "
                       "by graceful shutdown; all reaped within a 45 s grace",
                       stress_group_teardown_params, stress_group_teardown_variants)
{
    teardown(0);
    teardown(1);
    sys_check(pk_no_children(), "a child of main was never collected");
}
