/* stress-private-groups — seed document 001_8f13a8b2ec6d337d.txt (processkit
 * 0.9.1, stress tier), test 2 `many_private_groups_at_once`.
 *
 * 100 commands run at once, each in a private process group of its own (the
 * default JobRunner: output_all over PK_GROUP_PRIVATE with the cap equal to the
 * count). Every one must spawn (no spawn failure under load), exit 0 and be
 * collected, each in its own group. The process table needs room for 100 children
 * plus init and main (max_procs=128). No buggy variant: the seed document gives
 * none.
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

static const struct config_key stress_private_groups_params[] = {
    {"commands", CONFIG_UINT, 100, 1, PK_BATCH_MAX, "commands run at once", NULL},
    {0},
};

static int quick_exit(const struct pk_child *self)
{
    (void)self;
    sys_yield();
    return 0;
}

static const struct scenario_variant stress_private_groups_variants[] = {
    {"default", "100 commands in 100 private groups, room for 128 processes",
     "commands=100 max_procs=128", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_private_groups,
                       "processkit stress 2: 100 commands at once, each in its own private "
                       "group; no spawn failure, every result collected",
                       stress_private_groups_params, stress_private_groups_variants)
{
    static struct pk_command cmds[PK_BATCH_MAX];
    static struct pk_result results[PK_BATCH_MAX];
    uint32_t n = (uint32_t)sys_param("commands");
    for (uint32_t i = 0; i < n; i++)
        cmds[i] = (struct pk_command){"quick-exit", quick_exit, NULL};
    struct pk_options private_groups = {PK_GROUP_PRIVATE, 0, NULL};
    uint32_t exited = pk_output_all(cmds, n, n, &private_groups, results);
    uint32_t clean = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct pk_result *r = &results[i];
        sys_check(r->error == 0, "command %" PRIu32 " failed to spawn (%d)", i, r->error);
        sys_check(r->status == 0, "command %" PRIu32 " exited %d", i, r->status);
        for (uint32_t k = 0; k < i; k++)
            sys_check(results[k].group != r->group,
                      "commands %" PRIu32 " and %" PRIu32 " share group %" PRIu32, k, i,
                      r->group);
        clean += pk_success(r);
    }
    sys_check(exited == n && clean == n,
              "%" PRIu32 " private-group runs: %" PRIu32 " collected, %" PRIu32 " exited 0", n,
              exited, clean);
    sys_check(pk_no_children(), "a child of main was never collected");
    sys_check(sys_handle_count() == 0, "main still holds %" PRIu32 " handles",
              sys_handle_count());
}
