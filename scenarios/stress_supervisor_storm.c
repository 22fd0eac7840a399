/* stress-supervisor-storm — seed document 001_8f13a8b2ec6d337d.txt (processkit
 * 0.9.1, stress tier), test 8 `supervisor_storm_guard_trips_under_real_restarts`.
 *
 * A supervisor keeps restarting a child that always fails: restart policy always,
 * at most 6 restarts, backoff 1 ms x 1.0, storm pause 50 ms, failure threshold 1.5,
 * failure-score half-life 1000 s. The failure score gains 1.0 per failure and
 * decays by halves (integer fixed point, thousandths), so the second failure in
 * quick succession reaches 2.0 >= 1.5 and trips the storm guard: the supervisor
 * pauses 50 ms and starts counting again. The guard must trip at least once
 * (storm_pauses > 0) over real restarts; with these numbers it trips on the 2nd,
 * 4th and 6th failure, and supervision ends exhausted after 7 runs. No buggy
 * variant: the seed document gives none.
 *
 * processkit runs on Linux: the default keys serve. */
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

static const struct config_key stress_supervisor_storm_params[] = {
    {"max_restarts", CONFIG_UINT, 6, 0, 1000, "restarts before the supervisor gives up", NULL},
    {"backoff", CONFIG_DURATION, SYS_NS_PER_MS, 0, UINT64_MAX, "first restart delay", NULL},
    {"backoff_multiplier_milli", CONFIG_UINT, 1000, 0, 1000000,
     "each delay is the last times this / 1000", NULL},
    {"storm_pause", CONFIG_DURATION, 50 * SYS_NS_PER_MS, 0, UINT64_MAX,
     "pause when the storm guard trips (0: guard off)", NULL},
    {"failure_threshold_milli", CONFIG_UINT, 1500, 0, 1000000,
     "failure score (in thousandths) that trips the guard", NULL},
    {"failure_decay", CONFIG_DURATION, 1000 * SYS_NS_PER_S, 0, UINT64_MAX,
     "half-life of the failure score", NULL},
    {0},
};

static int always_fail(const struct pk_child *self)
{
    (void)self;
    sys_yield();
    return 1;
}

static const struct scenario_variant stress_supervisor_storm_variants[] = {
    {"default", "restart always, 6 restarts, 1 ms x 1.0, pause 50 ms, threshold 1.5, 1000 s",
     "max_restarts=6 backoff=1ms backoff_multiplier_milli=1000 storm_pause=50ms "
     "failure_threshold_milli=1500 failure_decay=1000s",
     "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_supervisor_storm,
                       "processkit stress 8: a supervisor restarting an always-failing child "
                       "must trip its failure-storm guard",
                       stress_supervisor_storm_params, stress_supervisor_storm_variants)
{
    struct pk_supervisor sup = {0};
    sup.command = (struct pk_command){"always-fail", always_fail, NULL};
    sup.options = (struct pk_options){PK_GROUP_PRIVATE, 0, NULL};
    sup.restart = PK_RESTART_ALWAYS;
    sup.max_restarts = (uint32_t)sys_param("max_restarts");
    sup.backoff_initial_ns = sys_param("backoff");
    sup.backoff_multiplier_milli = (uint32_t)sys_param("backoff_multiplier_milli");
    sup.backoff_max_ns = 30 * SYS_NS_PER_S;
    sup.storm_pause_ns = sys_param("storm_pause");
    sup.failure_threshold_milli = (uint32_t)sys_param("failure_threshold_milli");
    sup.failure_decay_ns = sys_param("failure_decay");
    uint64_t start = sys_now();
    struct pk_outcome out;
    int rc = pk_supervise(&sup, &out);
    uint64_t took = sys_now() - start;
    sys_log("supervision: %" PRIu32 " runs, %" PRIu32 " restarts, %" PRIu32
            " storm pauses, %" PRIu64 " ms",
            out.runs, out.restarts, out.storm_pauses, (uint64_t)(took / SYS_NS_PER_MS));
    sys_check(rc == 0, "supervision failed (%d) after %" PRIu32 " runs", rc, out.runs);
    sys_check(out.storm_pauses > 0,
              "the storm guard must trip under a real restart storm, got %" PRIu32 " pauses",
              out.storm_pauses);
    sys_check(out.stopped == PK_STOP_EXHAUSTED && out.restarts == sup.max_restarts &&
                  out.runs == sup.max_restarts + 1,
              "supervision ended (%d) after %" PRIu32 " restarts and %" PRIu32
              " runs, not exhausted at %" PRIu32,
              (int)out.stopped, out.restarts, out.runs, sup.max_restarts);
    sys_check(SYS_WIFEXITED(out.last.status) && SYS_WEXITSTATUS(out.last.status) == 1,
              "the last run ended with status %#x, not exit 1", out.last.status);
    sys_check(took >= out.storm_pauses * sup.storm_pause_ns,
              "%" PRIu32 " storm pauses of %" PRIu64 " ms in %" PRIu64 " ms", out.storm_pauses,
              (uint64_t)(sup.storm_pause_ns / SYS_NS_PER_MS), (uint64_t)(took / SYS_NS_PER_MS));
    sys_check(pk_no_children(), "a child of main was never collected");
}
