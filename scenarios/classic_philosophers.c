/* classic-philosophers — the ABBA deadlock in its textbook form (Dijkstra's dining
 * philosophers; SCTBench's "deadlock01" is its two-thread case, as lock-order is
 * here): `diners` processes sit around a table with one fork (a mutex) between each
 * pair; each takes its left fork, then its right. When every one holds its left
 * fork, each waits for its neighbour's: a wait-for cycle through all of them.
 * Written here in our own words over the sys_* API.
 *
 * fixed (ordered=true): the forks are numbered and each philosopher takes the lower
 * numbered first (the last one takes its right fork first): no cycle can form. */
#include "sim/sys.h"

static const struct config_key classic_philosophers_params[] = {
    {"diners", CONFIG_UINT, 3, 2, 16, "philosophers, and forks"},
    {"meals", CONFIG_UINT, 1, 1, 1000, "meals each philosopher eats"},
    {"ordered", CONFIG_BOOL, 0, 0, 1, "take the lower-numbered fork first (the fix)"},
    {0},
};

struct seat {
    int first;
    int second;
    uint64_t meals;
};

static void dine(void *arg)
{
    const struct seat *s = arg;
    for (uint64_t meal = 0; meal < s->meals; meal++) {
        sys_mutex_lock((uint32_t)s->first);
        sys_yield(); /* reaching for the other fork */
        sys_mutex_lock((uint32_t)s->second);
        sys_yield(); /* eating */
        sys_mutex_unlock((uint32_t)s->second);
        sys_mutex_unlock((uint32_t)s->first);
    }
}

static const struct scenario_variant classic_philosophers_variants[] = {
    {"buggy", "everyone takes the left fork first", "ordered=false", "hang-deadlock",
     "Wait-for cycle"},
    {"fixed", "the lower-numbered fork first", "ordered=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(classic_philosophers,
                       "dining philosophers: each takes the left fork, then the right: a "
                       "wait-for cycle through all (ABBA deadlock)",
                       classic_philosophers_params, classic_philosophers_variants)
{
    static struct seat seats[16]; /* static: the children use them while main waits */
    static int forks[16], pids[16];
    uint32_t diners = (uint32_t)sys_param("diners");
    for (uint32_t i = 0; i < diners; i++) {
        forks[i] = sys_mutex_create("fork");
        sys_check(forks[i] > 0, "no mutex");
    }
    for (uint32_t i = 0; i < diners; i++) {
        int left = forks[i], right = forks[(i + 1) % diners];
        int swap = sys_param("ordered") && i == diners - 1; /* its right fork is fork 0 */
        seats[i] = (struct seat){swap ? right : left, swap ? left : right, sys_param("meals")};
        pids[i] = sys_spawn("philosopher", dine, &seats[i]);
        sys_check(pids[i] > 0, "spawn failed with %d", pids[i]);
    }
    for (uint32_t i = 0; i < diners; i++)
        sys_wait((uint32_t)pids[i], NULL);
}
