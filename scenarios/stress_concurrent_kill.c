/* stress-concurrent-kill — seed document 001_8f13a8b2ec6d337d.txt (processkit
 * 0.9.1, stress tier), test 5 `concurrent_kill_reaps_every_handle`.
 *
 * 20 long sleepers are started into one group; start_kill (SIGKILL) is fired at
 * every one of them, then wait_all joins them all. Every killed child must be
 * collected (signalled by SIGKILL: a killed child carries no exit code), and none
 * may be left behind. Some children are killed before they first run, others while
 * asleep: the kill order and the moment are seed-chosen. No buggy variant: the seed
 * document gives none.
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

#define KILL_CHILDREN_MAX PK_BATCH_MAX

static const struct config_key stress_concurrent_kill_params[] = {
    {"children", CONFIG_UINT, 20, 1, KILL_CHILDREN_MAX, "sleepers killed at once", NULL},
    {0},
};

static int long_sleeper(const struct pk_child *self)
{
    (void)self;
    sys_sleep(90 * SYS_NS_PER_S);
    return 0;
}

static const struct scenario_variant stress_concurrent_kill_variants[] = {
    {"default", "20 sleepers, SIGKILL to each, then wait-all", "children=20", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_concurrent_kill,
                       "processkit stress 5: start_kill fired at 20 children, then wait_all "
                       "collects every one",
                       stress_concurrent_kill_params, stress_concurrent_kill_variants)
{
    static struct pk_proc procs[KILL_CHILDREN_MAX];
    static uint32_t pids[KILL_CHILDREN_MAX];
    static int statuses[KILL_CHILDREN_MAX];
    uint32_t n = (uint32_t)sys_param("children");
    uint32_t group = sys_group_create();
    const struct pk_command sleeper = {"long-sleeper", long_sleeper, NULL};
    const struct pk_options in_group = {group, 0, NULL};
    for (uint32_t i = 0; i < n; i++) {
        int rc = pk_start(&procs[i], &sleeper, &in_group);
        sys_check(rc == 0, "child %" PRIu32 " failed to start (%d)", i, rc);
        pids[i] = procs[i].pid;
    }
    sys_sleep(sys_choose(3) * SYS_NS_PER_MS);
    uint64_t start = sys_now();
    uint32_t first = (uint32_t)sys_choose(n);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (first + k) % n;
        int rc = sys_kill(pids[i], SIG_KILL);
        sys_check(rc == 0, "start_kill of child %" PRIu32 " (pid %" PRIu32 ") failed (%d)", i,
                  pids[i], rc);
    }
    uint32_t collected = pk_wait_all(pids, n, statuses);
    sys_check(collected == n, "every killed handle is collected: %" PRIu32 " of %" PRIu32,
              collected, n);
    for (uint32_t i = 0; i < n; i++)
        sys_check(SYS_WIFSIGNALED(statuses[i]) && SYS_WTERMSIG(statuses[i]) == SIG_KILL,
                  "child %" PRIu32 " ended with status %#x, not killed", i, statuses[i]);
    sys_check(sys_now() - start < 15 * SYS_NS_PER_S, "the kills took %" PRIu64 " ms to reap",
              (uint64_t)((sys_now() - start) / SYS_NS_PER_MS));
    sys_check(pk_no_children(), "a child of main was never collected");
}
