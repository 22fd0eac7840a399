/* classic-order-violation — the second class of Lu et al.'s study ("Learning from
 * Mistakes", ASPLOS 2008): code assumes one event happens before another and
 * nothing enforces it; their example is Mozilla's, a thread that reads a field its
 * creator sets only after creating it (SCTBench's "CS.carter" and "CS.token_ring"
 * programs have the same shape). Written here in our own words: main spawns a
 * worker, then publishes the configuration the worker reads; the worker reads it
 * at its first step. When the worker runs before main's next step, it reads a
 * configuration not yet published.
 *
 * fixed (signalled=true): main posts a semaphore after publishing, the worker
 * waits on it first. */
#include "sim/sys.h"

static const struct config_key classic_order_violation_params[] = {
    {"signalled", CONFIG_BOOL, 0, 0, 1, "the worker waits for a semaphore main posts (the fix)"},
    {0},
};

struct setup {
    int published;  /* set by main after the spawn */
    int ready;      /* semaphore: 0 when unused */
};

static void worker(void *arg)
{
    struct setup *s = arg;
    if (s->ready)
        sys_sem_wait((uint32_t)s->ready);
    sys_check(s->published, "the worker read the configuration before it was published");
}

static const struct scenario_variant classic_order_violation_variants[] = {
    {"buggy", "nothing orders the publication before the read", "signalled=false", "assert",
     "before it was published"},
    {"fixed", "a semaphore orders them", "signalled=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(classic_order_violation,
                       "main spawns a worker, then publishes what the worker reads: the "
                       "worker may read first (order violation)",
                       classic_order_violation_params, classic_order_violation_variants)
{
    static struct setup setup; /* static: the child uses it while main waits */
    setup = (struct setup){0, 0};
    if (sys_param("signalled"))
        setup.ready = sys_sem_create("published", 0);
    int pid = sys_spawn("worker", worker, &setup);
    sys_check(pid > 0, "spawn failed with %d", pid);
    sys_yield(); /* preparing the configuration takes a step of main's */
    setup.published = 1;
    if (setup.ready)
        sys_sem_post((uint32_t)setup.ready);
    sys_wait((uint32_t)pid, NULL);
}
