/* lost-update — a scenario of this project, not of detsim: two tasks add to a shared
 * counter with a read, a scheduling point and a write. When both read before either
 * writes, one addition is lost and the final check fails on that seed. With
 * locked=true each addition holds a mutex, the fix, and no seed can lose one. */
#include "sim/sys.h"

static const struct config_key lost_update_params[] = {
    {"additions", CONFIG_UINT, 2, 1, 1000, "additions each task makes", NULL},
    {"locked", CONFIG_BOOL, 0, 0, 1, "each addition holds a mutex (the fix)", NULL},
    {0},
};

static const struct scenario_variant lost_update_variants[] = {
    {"buggy", "read, yield, write, unlocked (the default)", "locked=false", "assert",
     "additions lost"},
    {"fixed", "each addition under a mutex", "locked=true", "pass", NULL},
    {0},
};

struct counter {
    uint64_t value;
    uint64_t additions;
    int locked;
    int mutex;
};

static void add(void *arg)
{
    struct counter *counter = arg;
    for (uint64_t i = 0; i < counter->additions; i++) {
        if (counter->locked)
            sys_mutex_lock((uint32_t)counter->mutex);
        uint64_t read = counter->value;
        sys_yield(); /* the other task may run here */
        counter->value = read + 1;
        if (counter->locked)
            sys_mutex_unlock((uint32_t)counter->mutex);
    }
}

SCENARIO_WITH_VARIANTS(lost_update, "two tasks add to a counter without a lock: some seeds lose one",
                       lost_update_params, lost_update_variants)
{
    struct counter counter = {0, sys_param("additions"), (int)sys_param("locked"), 0};
    counter.mutex = sys_mutex_create("counter");
    sys_check(counter.mutex > 0, "mutex not created");
    int first = sys_spawn("first", add, &counter);
    int second = sys_spawn("second", add, &counter);
    sys_check(first > 0 && second > 0, "spawn failed");
    sys_wait((uint32_t)first, NULL);
    sys_wait((uint32_t)second, NULL);
    sys_check(counter.value == 2 * counter.additions, "%llu of %llu additions lost",
              (unsigned long long)(2 * counter.additions - counter.value),
              (unsigned long long)(2 * counter.additions));
}
