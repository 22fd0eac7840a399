/* lock-order — the textbook lock-order inversion. Task "left" takes mutex A then B;
 * task "right" takes B then A, with `work` scheduling points between the two
 * acquisitions. When both hold their first lock at once, each waits for the other's:
 * a deadlock, which detsim reports with the wait-for cycle. Some seeds deadlock,
 * others pass. With ordered=true both take A before B, the classic fix, and no seed
 * can deadlock. */
#include "sim/sys.h"

static const struct config_key lock_order_params[] = {
    {"rounds", CONFIG_UINT, 1, 1, 1000000, "times each task takes both locks"},
    {"work", CONFIG_UINT, 1, 0, 1000, "scheduling points between the two acquisitions"},
    {"ordered", CONFIG_BOOL, 0, 0, 1, "both tasks take A before B (the fix)"},
    {0},
};

struct locks {
    int a;
    int b;
    uint64_t rounds;
    uint64_t work;
    int ordered;
    uint64_t inside; /* tasks holding both locks: at most one */
};

static void take_both(struct locks *locks, int first, int second)
{
    for (uint64_t round = 0; round < locks->rounds; round++) {
        sys_mutex_lock((uint32_t)first);
        for (uint64_t i = 0; i < locks->work; i++)
            sys_yield();
        sys_mutex_lock((uint32_t)second);
        locks->inside++;
        sys_check(locks->inside == 1, "%llu tasks hold both locks at once",
                  (unsigned long long)locks->inside);
        sys_yield();
        locks->inside--;
        sys_mutex_unlock((uint32_t)second);
        sys_mutex_unlock((uint32_t)first);
    }
}

static void left(void *arg)
{
    struct locks *locks = arg;
    take_both(locks, locks->a, locks->b);
}

static void right(void *arg)
{
    struct locks *locks = arg;
    if (locks->ordered)
        take_both(locks, locks->a, locks->b);
    else
        take_both(locks, locks->b, locks->a);
}

static const struct scenario_variant lock_order_variants[] = {
    {"buggy", "opposite orders (the default)", "ordered=false", "hang-deadlock",
     "Wait-for cycle"},
    {"fixed", "both take A before B", "ordered=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(lock_order, "two tasks take two locks in opposite orders: some seeds deadlock",
                       lock_order_params, lock_order_variants)
{
    struct locks locks = {0};
    locks.rounds = sys_param("rounds");
    locks.work = sys_param("work");
    locks.ordered = (int)sys_param("ordered");
    locks.a = sys_mutex_create("A");
    locks.b = sys_mutex_create("B");
    sys_check(locks.a > 0 && locks.b > 0, "mutexes not created");
    int l = sys_spawn("left", left, &locks);
    int r = sys_spawn("right", right, &locks);
    sys_check(l > 0 && r > 0, "spawn failed");
    sys_wait((uint32_t)l, NULL);
    sys_wait((uint32_t)r, NULL);
}
