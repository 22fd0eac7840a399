/* classic-held-back — a bug that needs many processes held back at once: PCT finds
 * it when it gives one process the top priority, while a uniform random scheduler
 * must pick that process at every step (Burckhardt et al., ASPLOS 2010, and
 * SCTBench's "reorder_N" programs, whose checker must see none of N setters run).
 * Written here in our own words: a supervisor starts a pool of `workers` and a
 * monitor, all released at the same instant (each sleeps until 1 ms); each worker
 * registers as its first act; the monitor polls the count of registered workers
 * `polls` times and, when it has seen none, concludes the pool is dead and shuts
 * it down, which the check reports. Every worker must be held back for all of the
 * monitor's polls. Its defaults (2 workers, 1 poll) keep the catalog's check, which
 * samples 100 seeds at random, able to find it; `--set workers=9 --set polls=2` is
 * the hard form `make power` measures.
 *
 * fixed (wait_first=true): the monitor waits for the first registration (a
 * semaphore the first worker posts) before it polls. */
#include "sim/sys.h"

static const struct config_key classic_held_back_params[] = {
    {"workers", CONFIG_UINT, 2, 1, 64, "workers that register as their first act"},
    {"polls", CONFIG_UINT, 1, 1, 100, "times the monitor polls before it gives up"},
    {"wait_first", CONFIG_BOOL, 0, 0, 1, "wait for the first registration (the fix)"},
    {0},
};

struct pool {
    uint64_t registered;
    uint64_t polls;
    int first; /* semaphore posted at the first registration; 0 when unused */
};

#define START_NS SYS_NS_PER_MS

/* Sleeps until the pool's start: every process of it wakes at the same instant. */
static void wait_for_start(void)
{
    uint64_t now = sys_now();
    if (now < START_NS)
        sys_sleep(START_NS - now);
}

static void worker(void *arg)
{
    struct pool *p = arg;
    wait_for_start();
    if (++p->registered == 1 && p->first)
        sys_sem_post((uint32_t)p->first);
    sys_yield(); /* its work */
}

static void monitor(void *arg)
{
    struct pool *p = arg;
    wait_for_start();
    if (p->first)
        sys_sem_wait((uint32_t)p->first);
    uint64_t seen = 0;
    for (uint64_t i = 0; i < p->polls; i++) {
        sys_yield(); /* a poll */
        seen += p->registered;
    }
    sys_check(seen > 0, "the monitor saw no worker in %llu polls and shut the pool down",
              (unsigned long long)p->polls);
}

static const struct scenario_variant classic_held_back_variants[] = {
    {"buggy", "the monitor polls at once", "wait_first=false", "assert", "saw no worker"},
    {"fixed", "the monitor waits for the first registration", "wait_first=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(classic_held_back,
                       "a monitor gives up on a pool whose workers have not registered yet: "
                       "every worker must be held back (many processes)",
                       classic_held_back_params, classic_held_back_variants)
{
    static struct pool pool; /* static: the children use it while main waits */
    static int pids[65];
    uint64_t workers = sys_param("workers");
    pool = (struct pool){0, sys_param("polls"), 0};
    if (sys_param("wait_first"))
        pool.first = sys_sem_create("first registration", 0);
    pids[0] = sys_spawn("monitor", monitor, &pool);
    for (uint64_t i = 1; i <= workers; i++)
        pids[i] = sys_spawn("worker", worker, &pool);
    for (uint64_t i = 0; i <= workers; i++) {
        sys_check(pids[i] > 0, "spawn failed with %d", pids[i]);
        sys_wait((uint32_t)pids[i], NULL);
    }
}
