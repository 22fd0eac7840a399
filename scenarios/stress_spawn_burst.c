/* stress-spawn-burst — seed document 001_8f13a8b2ec6d337d.txt (processkit 0.9.1,
 * stress tier), test 1 `concurrent_spawn_into_one_group`.
 *
 * A burst of 50, then of 100, children started at once into one shared process
 * group (output_all with the concurrency cap equal to the burst, so every child is
 * alive at the same time), each exiting 0 at once. Under load everything must
 * spawn, exit 0 and be reaped, and the group must still be usable afterwards: one
 * more child is started into it and reaped. The process table needs room for the
 * largest burst plus init and main (max_procs=128). There is no buggy variant: the
 * seed document gives none; a failure here would be a bug in the process model or
 * in scenarios/lib/procs.
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

static const struct config_key stress_spawn_burst_params[] = {
    {"small", CONFIG_UINT, 50, 1, PK_BATCH_MAX, "children in the first burst", NULL},
    {"large", CONFIG_UINT, 100, 1, PK_BATCH_MAX, "children in the second burst", NULL},
    {0},
};

static int quick_exit(const struct pk_child *self)
{
    (void)self;
    sys_yield();
    return 0;
}

static void burst(uint32_t n)
{
    static struct pk_command cmds[PK_BATCH_MAX];
    static struct pk_result results[PK_BATCH_MAX];
    uint32_t group = sys_group_create();
    for (uint32_t i = 0; i < n; i++)
        cmds[i] = (struct pk_command){"quick-exit", quick_exit, NULL};
    struct pk_options shared = {group, 0, NULL};
    uint32_t exited = pk_output_all(cmds, n, n, &shared, results);
    uint32_t clean = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct pk_result *r = &results[i];
        sys_check(r->error == 0, "burst of %" PRIu32 ": child %" PRIu32 " failed to spawn (%d)",
                  n, i, r->error);
        sys_check(r->status == 0, "burst of %" PRIu32 ": child %" PRIu32 " exited %d", n, i,
                  r->status);
        clean += pk_success(r);
    }
    sys_check(exited == n && clean == n,
              "burst of %" PRIu32 ": %" PRIu32 " children reaped, %" PRIu32 " exited 0", n,
              exited, clean);
    /* The group must remain healthy after the burst. */
    struct pk_result extra;
    int rc = pk_run(&cmds[0], &shared, NULL, &extra);
    sys_check(rc == 0 && pk_success(&extra),
              "group %" PRIu32 " unusable after a burst of %" PRIu32
              ": the extra child failed (%d, status %d)",
              group, n, rc, extra.status);
}

static const struct scenario_variant stress_spawn_burst_variants[] = {
    {"default", "bursts of 50 and 100 into one group, room for 128 processes",
     "small=50 large=100 max_procs=128", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_spawn_burst,
                       "processkit stress 1: bursts of 50 and 100 children into one group; "
                       "all exit 0 and the group stays usable",
                       stress_spawn_burst_params, stress_spawn_burst_variants)
{
    burst((uint32_t)sys_param("small"));
    burst((uint32_t)sys_param("large"));
    sys_check(pk_no_children(), "a child of main was never collected");
    sys_check(sys_handle_count() == 0, "main still holds %" PRIu32 " handles",
              sys_handle_count());
}
