/* classic-lost-update — the atomicity violation every concurrency course starts
 * with, and the most common class in Lu et al.'s study of real concurrency bugs
 * ("Learning from Mistakes", ASPLOS 2008); SCTBench (Thomson, Donaldson and Betts,
 * PPoPP 2014) has several (its "account" and "lazy" programs). Written here in our
 * own words over the sys_* API: `workers` processes each add 1 to a shared counter
 * `adds` times, as a load, a scheduling point (another process may run: the
 * read-modify-write is not atomic) and a store. When two loads see the same value,
 * one store overwrites the other and an update is lost; main checks the total.
 *
 * fixed (locked=true): each read-modify-write holds a mutex. */
#include "sim/sys.h"

static const struct config_key classic_lost_update_params[] = {
    {"workers", CONFIG_UINT, 2, 1, 64, "processes adding to the counter"},
    {"adds", CONFIG_UINT, 2, 1, 100000, "additions each process makes"},
    {"locked", CONFIG_BOOL, 0, 0, 1, "hold a mutex over each read-modify-write (the fix)"},
    {0},
};

struct counter {
    uint64_t value;
    uint64_t adds;
    int mutex; /* 0: none */
};

static void add(void *arg)
{
    struct counter *c = arg;
    for (uint64_t i = 0; i < c->adds; i++) {
        if (c->mutex)
            sys_mutex_lock((uint32_t)c->mutex);
        uint64_t loaded = c->value;
        sys_yield(); /* between the load and the store */
        c->value = loaded + 1;
        if (c->mutex)
            sys_mutex_unlock((uint32_t)c->mutex);
    }
}

static const struct scenario_variant classic_lost_update_variants[] = {
    {"buggy", "an unlocked read-modify-write", "locked=false", "assert", "updates were lost"},
    {"fixed", "a mutex over each read-modify-write", "locked=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(classic_lost_update,
                       "processes add to a shared counter with a load and a store: an "
                       "update is lost (atomicity violation)",
                       classic_lost_update_params, classic_lost_update_variants)
{
    static struct counter counter; /* static: the children use it while main waits */
    static int pids[64];
    uint64_t workers = sys_param("workers");
    counter = (struct counter){0, sys_param("adds"), 0};
    if (sys_param("locked"))
        counter.mutex = sys_mutex_create("counter");
    for (uint64_t i = 0; i < workers; i++) {
        pids[i] = sys_spawn("adder", add, &counter);
        sys_check(pids[i] > 0, "spawn failed with %d", pids[i]);
    }
    for (uint64_t i = 0; i < workers; i++)
        sys_wait((uint32_t)pids[i], NULL);
    uint64_t expected = workers * counter.adds;
    sys_check(counter.value == expected, "the counter is %llu, not %llu: updates were lost",
              (unsigned long long)counter.value, (unsigned long long)expected);
}
