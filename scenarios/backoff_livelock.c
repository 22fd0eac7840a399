/* backoff-livelock — a livelock: two processes need mutexes A and B, "left" taking
 * A first and "right" B first, and avoid the lock-order deadlock by giving up: each
 * takes its first mutex, works a while, tries the second with mutex_lock_timeout,
 * and on -ETIMEDOUT undoes its work (the first mutex still held), lets go of the
 * first mutex, backs off and starts again. Both back off for the same time, so they
 * come back together (a few microseconds apart, far less than the undoing takes),
 * take one mutex each again and time out again: nobody blocks for good, nobody gets anywhere, and the run ends
 * when its budget runs out (hang-budget). It is the example of issue 13; the
 * report's "Calls over the last steps" section shows the retry storm: each process
 * repeating mutex_lock -> -ETIMEDOUT and sleep, thousands of times.
 *
 * fixed (jitter=true): each backs off for a time drawn at random (1 to 8 times the
 * base), the usual cure (Ethernet's, and every retry loop's since): the two fall out
 * of step and one of them takes both. */
#include <errno.h>

#include "sim/sys.h"

static const struct config_key backoff_livelock_params[] = {
    {"rounds", CONFIG_UINT, 2, 1, 1000000, "times each process must take both mutexes"},
    {"jitter", CONFIG_BOOL, 0, 0, 1, "the fix: each backs off for a time drawn at random"},
    {0},
};

#define WORK_NS (100 * SYS_NS_PER_US)     /* with the first mutex, before the second */
#define TRY_NS (200 * SYS_NS_PER_US)      /* the second try's timeout */
#define ROLLBACK_NS (300 * SYS_NS_PER_US) /* undoing the work, the first mutex still held */
#define BACKOFF_NS (100 * SYS_NS_PER_US)

struct pair {
    int a;
    int b;
    uint64_t rounds;
    int jitter;
};

static void take_both(const struct pair *p, int first, int second)
{
    for (uint64_t round = 0; round < p->rounds;) {
        sys_mutex_lock((uint32_t)first);
        sys_sleep(WORK_NS);
        int rc = sys_mutex_lock_timeout((uint32_t)second, TRY_NS);
        if (rc == 0) {
            sys_mutex_unlock((uint32_t)second);
            sys_mutex_unlock((uint32_t)first);
            round++;
            continue;
        }
        sys_check(rc == -ETIMEDOUT, "mutex_lock_timeout failed with %d", rc);
        sys_sleep(ROLLBACK_NS);
        sys_mutex_unlock((uint32_t)first);
        sys_sleep(BACKOFF_NS * (p->jitter ? 1 + sys_choose(8) : 1));
    }
}

static void left(void *arg)
{
    const struct pair *p = arg;
    take_both(p, p->a, p->b);
}

static void right(void *arg)
{
    const struct pair *p = arg;
    take_both(p, p->b, p->a);
}

static const struct scenario_variant backoff_livelock_variants[] = {
    {"buggy", "both back off for the same time: a livelock", "jitter=false max_vtime=1s",
     "hang-budget", "mutex_lock -> -ETIMEDOUT"},
    {"fixed", "each backs off for a random time", "jitter=true max_vtime=1s", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(backoff_livelock,
                       "two processes take two mutexes in opposite orders and back off on "
                       "a timeout, in step with each other: a livelock",
                       backoff_livelock_params, backoff_livelock_variants)
{
    static struct pair pair; /* static: the children read it while main waits */
    pair = (struct pair){sys_mutex_create("A"), sys_mutex_create("B"), sys_param("rounds"),
                         (int)sys_param("jitter")};
    sys_check(pair.a > 0 && pair.b > 0, "mutexes not created");
    int l = sys_spawn("left", left, &pair);
    int r = sys_spawn("right", right, &pair);
    sys_check(l > 0 && r > 0, "spawn failed");
    sys_wait((uint32_t)l, NULL);
    sys_wait((uint32_t)r, NULL);
}
