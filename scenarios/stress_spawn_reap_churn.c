/* stress-spawn-reap-churn — seed document 001_8f13a8b2ec6d337d.txt (processkit
 * 0.9.1, stress tier), test 3 `sustained_spawn_reap_churn_does_not_leak`.
 *
 * 100 spawn/reap cycles, one after the other, each running a child whose stdout is
 * captured (output_string: a stdio channel per run, drained to end of file, then
 * the child reaped). Afterwards the parent must hold exactly the handles it held
 * before: the seed test compares the open fd count, and a real leak grows linearly
 * with the spawns.
 *
 * buggy (leak_stdio=true, the default): the run path drains the child's stdout to
 * end of file and reaps the child, but never closes its own end of the stdio
 * channel. One handle (and one half-open channel slot) leaks per spawn, and the
 * check after the churn fails: "handle count grew across 100 spawn/reap cycles:
 * 0 -> 100". fixed: the library's run path (pk_run) closes it. Both variants give
 * room for the leak (max_handles=128 max_channels=128), so the buggy one runs all
 * its cycles and fails on the growth itself rather than on -EMFILE/-ENFILE.
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

static const struct config_key stress_spawn_reap_churn_params[] = {
    {"cycles", CONFIG_UINT, 100, 1, 100000, "spawn/reap cycles", NULL},
    {"leak_stdio", CONFIG_BOOL, 1, 0, 1,
     "the bug: the run path never closes its end of the stdio channel", NULL},
    {0},
};

/* Prints one line and exits 0. */
static int one_line(const struct pk_child *self)
{
    int rc = pk_write_line(self, 12);
    return rc == 0 ? 0 : 1;
}

/* The buggy run path: drains to end of file and reaps, but forgets the parent's end
 * of the stdio channel (the handle index is dropped without sys_close). */
static int leaky_run(const struct pk_command *cmd, const struct pk_options *options,
                     struct pk_result *r)
{
    struct pk_proc p;
    int rc = pk_start(&p, cmd, options);
    if (rc != 0)
        return rc;
    rc = pk_drain(&p, NULL);
    if (rc != 0)
        return rc;
    p.out = -1; /* the bug: the handle is forgotten, still open */
    return pk_wait(&p, NULL, r);
}

static const struct scenario_variant stress_spawn_reap_churn_variants[] = {
    {"buggy", "the run path leaks its end of the stdio channel on every spawn",
     "cycles=100 leak_stdio=true max_handles=128 max_channels=128", "assert",
     "handle count grew across 100 spawn/reap cycles"},
    {"fixed", "the run path closes its end after end of file (pk_run)",
     "cycles=100 leak_stdio=false max_handles=128 max_channels=128", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_spawn_reap_churn,
                       "processkit stress 3: 100 spawn/reap cycles with captured stdout must "
                       "leave the handle count unchanged",
                       stress_spawn_reap_churn_params, stress_spawn_reap_churn_variants)
{
    uint32_t cycles = (uint32_t)sys_param("cycles");
    int leak = (int)sys_param("leak_stdio");
    const struct pk_command cmd = {"quick-exit", one_line, NULL};
    const struct pk_options capture = {0, 1, NULL};
    uint32_t before = sys_handle_count();
    for (uint32_t i = 0; i < cycles; i++) {
        struct pk_result r = {0};
        int rc = leak ? leaky_run(&cmd, &capture, &r) : pk_run(&cmd, &capture, NULL, &r);
        sys_check(rc == 0, "cycle %" PRIu32 ": the run failed (%d) with %" PRIu32
                           " handles open",
                  i + 1, rc, sys_handle_count());
        sys_check(pk_success(&r) && r.lines == 1,
                  "cycle %" PRIu32 ": the child exited %d with %" PRIu64 " lines", i + 1,
                  r.status, r.lines);
    }
    uint32_t after = sys_handle_count();
    sys_check(after == before,
              "handle count grew across %" PRIu32 " spawn/reap cycles: %" PRIu32 " -> %" PRIu32
              " (%" PRIu32 " leaked: the run path keeps its end of each stdio channel)",
              cycles, before, after, after - before);
    sys_check(pk_no_children(), "a child of main was never collected");
}
