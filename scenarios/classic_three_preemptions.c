/* classic-three-preemptions — a bug that needs several preemptions at the right
 * places, the kind PCT's depth counts (Burckhardt et al., ASPLOS 2010: a bug of
 * depth d needs d ordering constraints; SCTBench's "reorder" and "twostage"
 * programs need more than one). Written here in our own words: a writer moves a
 * value through three states, 1, 2, 3, one step each; a reader samples it twice,
 * one step apart, and a check fails only when the reader saw exactly 1 then 2: the
 * reader must run after the first write, the writer again before the second read,
 * and the reader again before the third write: w1 < r1 < w2 < r2 < w3.
 *
 * fixed (atomic=true): the writer makes its three writes under a mutex the reader
 * also takes for its two samples, so the reader never sees a state in between. */
#include "sim/sys.h"

static const struct config_key classic_three_preemptions_params[] = {
    {"atomic", CONFIG_BOOL, 0, 0, 1, "one mutex over the writes and over the reads (the fix)"},
    {0},
};

struct cell {
    uint64_t value;
    int mutex; /* 0: none */
};

static void writer(void *arg)
{
    struct cell *c = arg;
    if (c->mutex)
        sys_mutex_lock((uint32_t)c->mutex);
    for (uint64_t v = 1; v <= 3; v++) {
        c->value = v;
        sys_yield();
    }
    if (c->mutex)
        sys_mutex_unlock((uint32_t)c->mutex);
}

static void reader(void *arg)
{
    struct cell *c = arg;
    if (c->mutex)
        sys_mutex_lock((uint32_t)c->mutex);
    uint64_t first = c->value;
    sys_yield();
    uint64_t second = c->value;
    if (c->mutex)
        sys_mutex_unlock((uint32_t)c->mutex);
    sys_check(!(first == 1 && second == 2), "the reader saw the value in motion: %llu then %llu",
              (unsigned long long)first, (unsigned long long)second);
}

static const struct scenario_variant classic_three_preemptions_variants[] = {
    {"buggy", "the reader samples while the writer moves the value", "atomic=false", "assert",
     "in motion"},
    {"fixed", "one mutex over the writes and the reads", "atomic=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(classic_three_preemptions,
                       "a reader must interleave with a writer at three points to see its "
                       "value in motion (a bug of depth 3+)",
                       classic_three_preemptions_params, classic_three_preemptions_variants)
{
    static struct cell cell; /* static: the children use it while main waits */
    cell = (struct cell){0, sys_param("atomic") ? sys_mutex_create("cell") : 0};
    int w = sys_spawn("writer", writer, &cell);
    int r = sys_spawn("reader", reader, &cell);
    sys_check(w > 0 && r > 0, "spawn failed");
    sys_wait((uint32_t)w, NULL);
    sys_wait((uint32_t)r, NULL);
}
