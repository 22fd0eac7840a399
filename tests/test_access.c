/* The conflict relation (sim/access.h): the rules on accesses built by hand, then
 * the accesses the sys layer notes for tasks pending in real calls. */
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "sim/access.h"
#include "sim/sched_int.h"
#include "sim/sys.h"

static struct sched_access access_of(uint32_t pid, enum sched_object_kind kind, uint64_t id,
                                     uint32_t touches)
{
    return (struct sched_access){.pid = pid, .kind = kind, .id = id, .touches = touches};
}

/* Checks conflict(a, b) == conflict(b, a) == expected. */
static void expect_conflict(struct sched_access a, struct sched_access b, int expected,
                            const char *why)
{
    cr_assert_eq(sched_access_conflict(&a, &b), expected, "%s", why);
    cr_assert_eq(sched_access_conflict(&b, &a), expected, "%s (reversed)", why);
}

Test(access, the_rules)
{
    struct sched_access none3 = access_of(3, SCHED_OBJECT_NONE, 0, 0);
    struct sched_access none4 = access_of(4, SCHED_OBJECT_NONE, 0, 0);
    expect_conflict(none3, none4, 0, "two steps touching nothing shared commute");
    expect_conflict(none3, access_of(3, SCHED_OBJECT_NONE, 0, 0), 1, "one task's steps");
    expect_conflict(none3, access_of(0, SCHED_OBJECT_NONE, 0, 0), 1, "an unknown task");
    expect_conflict(none3, access_of(4, SCHED_OBJECT_WORLD, 0, 0), 1, "world");

    struct sched_access m1 = access_of(3, SCHED_OBJECT_MUTEX, 1, 0);
    expect_conflict(m1, access_of(4, SCHED_OBJECT_MUTEX, 1, 0), 1, "the same mutex");
    expect_conflict(m1, access_of(4, SCHED_OBJECT_MUTEX, 2, 0), 0, "two mutexes");
    expect_conflict(m1, access_of(4, SCHED_OBJECT_SEM, 1, 0), 0, "a mutex and a semaphore");

    expect_conflict(m1, access_of(4, SCHED_OBJECT_PROC, 3, 0), 1, "a signal to the task");
    expect_conflict(m1, access_of(4, SCHED_OBJECT_PROC, 5, 0), 0, "a signal to another");
    expect_conflict(access_of(4, SCHED_OBJECT_PROC, 5, 0), access_of(3, SCHED_OBJECT_PROC, 5, 0),
                    1, "two signals to one task");

    struct sched_access chan2 = access_of(3, SCHED_OBJECT_CHAN, 2, 0);
    expect_conflict(chan2, access_of(4, SCHED_OBJECT_CHAN, 2, 0), 1, "one channel");
    expect_conflict(chan2, access_of(4, SCHED_OBJECT_CHAN, 3, 0), 0, "two channels");
    expect_conflict(chan2, access_of(4, SCHED_OBJECT_PORT, 1, 0), 1, "a port and a channel");
    expect_conflict(access_of(3, SCHED_OBJECT_PORT, 2, 0), access_of(4, SCHED_OBJECT_PORT, 1, 0),
                    1, "two ports");
    expect_conflict(m1, access_of(4, SCHED_OBJECT_PORT, 1, 0), 0, "a port and a mutex");
    expect_conflict(chan2, access_of(4, SCHED_OBJECT_NONE, 0, SCHED_TOUCH_CHANNELS), 1,
                    "a close destroying handles in flight");
    expect_conflict(m1, access_of(4, SCHED_OBJECT_NONE, 0, SCHED_TOUCH_CHANNELS), 0,
                    "channels against a mutex");

    struct sched_access create = access_of(3, SCHED_OBJECT_NONE, 0,
                                           SCHED_TOUCH_CHAN_TABLE | SCHED_TOUCH_HEAP |
                                               SCHED_TOUCH_IDS);
    expect_conflict(create, access_of(4, SCHED_OBJECT_CHAN, 7, SCHED_TOUCH_CHAN_TABLE), 1,
                    "a create and a close that frees a slot");
    expect_conflict(create, access_of(4, SCHED_OBJECT_CHAN, 7, 0), 0,
                    "a create and a send on a channel");
    expect_conflict(create, access_of(4, SCHED_OBJECT_HEAP, 0, 0), 1, "a create and an alloc");
    expect_conflict(access_of(3, SCHED_OBJECT_NONE, 0, SCHED_TOUCH_IDS),
                    access_of(4, SCHED_OBJECT_NONE, 0, SCHED_TOUCH_IDS), 1,
                    "two creates hand out ids in order");
}

Test(access, names_and_format)
{
    cr_assert_str_eq(sched_object_kind_name(SCHED_OBJECT_CHAN), "chan");
    cr_assert_str_eq(sched_object_kind_name(SCHED_OBJECT_WORLD), "world");
    cr_assert_str_eq(sched_object_kind_name(SCHED_OBJECT_KIND_COUNT), "?");
    struct sched_access a = {.pid = 3, .kind = SCHED_OBJECT_CHAN, .id = 2,
                             .touches = SCHED_TOUCH_HEAP, .op = TRACE_OP_CHAN_SEND};
    char buf[96];
    cr_assert_str_eq(sched_access_format(&a, buf, sizeof buf), "pid 3 chan_send chan 2 +heap");
    cr_assert_str_eq(sched_access_format(&a, buf, 8), "pid 3 c"); /* cut, terminated */
}

/* ---- what the sys layer notes ------------------------------------------------------- */

static struct {
    int32_t m1, m2;
    uint32_t ends[2];
    struct sched_access seen[8]; /* by pid - 1 */
    struct sched_access last[8]; /* sched_last_access after main's calls */
    uint32_t ready;
} shared_state;

static void locks_m1(void *arg)
{
    (void)arg;
    sys_mutex_lock((uint32_t)shared_state.m1);
    sys_mutex_unlock((uint32_t)shared_state.m1);
}

static void locks_m2(void *arg)
{
    (void)arg;
    sys_mutex_lock((uint32_t)shared_state.m2);
    sys_mutex_unlock((uint32_t)shared_state.m2);
}

static void receives(void *arg)
{
    (void)arg;
    sys_chan_recv(shared_state.ends[1], NULL, 0, 0);
}

static void returns(void *arg)
{
    (void)arg;
}

/* main holds both mutexes and spawns three children (pids 3..5) that block: in the
 * locks and in a receive; then notes what each one's next step touches. */
SCENARIO(test_access_pending, "test: the accesses of tasks pending in their calls", NULL)
{
    shared_state.m1 = sys_mutex_create("m1");
    shared_state.m2 = sys_mutex_create("m2");
    sys_chan_create(shared_state.ends);
    sys_mutex_lock((uint32_t)shared_state.m1);
    sys_mutex_lock((uint32_t)shared_state.m2);
    sys_spawn("locks-m1", locks_m1, NULL);
    sys_spawn("locks-m2", locks_m2, NULL);
    sys_spawn("receives", receives, NULL);
    sys_spawn("returns", returns, NULL); /* pid 6 */
    sys_yield();
    struct sched *s = sched_active;
    for (uint32_t pid = 3; pid <= 6; pid++)
        if (sched_task_access(s, pid, &shared_state.seen[pid - 1]) != 0)
            shared_state.seen[pid - 1] = (struct sched_access){0};
    struct sched_access ready[16];
    shared_state.ready = sched_ready_accesses(s, ready, 16);
    for (uint32_t i = 0; i < shared_state.ready && i < 16; i++)
        cr_assert_eq(memcmp(&ready[i], &shared_state.seen[ready[i].pid - 1], sizeof ready[i]), 0,
                     "ready task %u: the same access both ways", ready[i].pid);
    sys_mutex_unlock((uint32_t)shared_state.m1);
    sys_mutex_unlock((uint32_t)shared_state.m2);
    sys_chan_send(shared_state.ends[0], 8, NULL, 0, 0);
    while (sys_wait(0, NULL) > 0)
        ;
}

Test(access, what_pending_calls_touch)
{
    memset(&shared_state, 0, sizeof shared_state);
    struct run_result r = run_with("test-access-pending", 0, "rr", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    struct sched_access *seen = shared_state.seen;
    char text[96];
    cr_assert_eq(seen[2].kind, SCHED_OBJECT_MUTEX, "%s", sched_access_format(&seen[2], text, 96));
    cr_assert_eq(seen[2].op, TRACE_OP_MUTEX_LOCK);
    cr_assert_eq(seen[2].pid, 3);
    cr_assert_eq(seen[2].id, (uint64_t)shared_state.m1);
    cr_assert_eq(seen[3].kind, SCHED_OBJECT_MUTEX);
    cr_assert_eq(seen[3].id, (uint64_t)shared_state.m2);
    cr_assert_eq(seen[4].kind, SCHED_OBJECT_CHAN, "%s", sched_access_format(&seen[4], text, 96));
    cr_assert_eq(seen[4].id, 1, "the first channel is slot 0");
    cr_assert_eq(seen[4].touches, 0, "an empty inbox: nothing but the channel");
    cr_assert_eq(seen[5].pid, 0, "a task that returned is gone (without exit_step)");
    cr_assert(!sched_access_conflict(&seen[2], &seen[3]), "two mutexes");
    cr_assert(!sched_access_conflict(&seen[4], &seen[2]), "a receive and a lock");
    run_result_free(&r);
}

Test(access, exit_step_makes_a_return_pending_as_an_exit)
{
    memset(&shared_state, 0, sizeof shared_state);
    struct run_options options;
    options_for(&options, "test-access-pending", 0, "rr");
    options.exit_step = 1;
    struct run_result with;
    cr_assert_eq(run_scenario(&options, &with), 0);
    char text[96];
    cr_assert_eq(shared_state.seen[5].kind, SCHED_OBJECT_WORLD,
                 "a task whose function returned: its end is pending: %s",
                 sched_access_format(&shared_state.seen[5], text, 96));
    cr_assert_eq(shared_state.seen[5].op, TRACE_OP_EXIT);
    struct run_result without = run_with("test-access-pending", 0, "rr", 0, NULL);
    cr_assert_eq(with.outcome, without.outcome);
    cr_assert_gt(with.steps, without.steps, "the ends are steps of their own");
    run_result_free(&with);
    run_result_free(&without);
}

/* sched_last_access: the step that ran last, as resolved before it ran. */
static void ignores_term(void *arg)
{
    (void)arg;
    sys_signal_catch(SIG_TERM, SIG_ACTION_IGNORE);
    sys_chan_recv(shared_state.ends[1], NULL, 0, 0);
    sys_mutex_lock((uint32_t)shared_state.m1); /* held by main until it has closed */
    sys_mutex_unlock((uint32_t)shared_state.m1);
}

SCENARIO(test_access_last, "test: sched_last_access after each of main's calls", NULL)
{
    struct sched *s = sched_active;
    shared_state.m1 = sys_mutex_create("m1");
    sched_last_access(s, &shared_state.last[0]);
    sys_chan_create(shared_state.ends);
    sched_last_access(s, &shared_state.last[1]);
    sys_mutex_lock((uint32_t)shared_state.m1);
    int child = sys_spawn("child", ignores_term, NULL);
    for (int i = 0; i < 4; i++) /* the child ignores SIGTERM, then blocks */
        sys_yield();
    sys_kill((uint32_t)child, SIG_TERM);
    sched_last_access(s, &shared_state.last[2]);
    sys_chan_send(shared_state.ends[0], 8, NULL, 0, 0);
    sched_last_access(s, &shared_state.last[3]);
    sys_close(shared_state.ends[0]); /* the child still holds a copy */
    sched_last_access(s, &shared_state.last[4]);
    sys_mutex_unlock((uint32_t)shared_state.m1);
    sys_wait(0, NULL);
    sched_last_access(s, &shared_state.last[5]);
    sys_close(shared_state.ends[1]); /* the last reference to end B */
    sched_last_access(s, &shared_state.last[6]);
}

Test(access, last_access_is_the_step_that_ran)
{
    memset(&shared_state, 0, sizeof shared_state);
    struct run_options options;
    options_for(&options, "test-access-last", 0, "rr");
    options.track_access = 1;
    struct run_result r;
    cr_assert_eq(run_scenario(&options, &r), 0);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    struct sched_access *last = shared_state.last;
    char text[96];
    cr_assert_eq(last[0].pid, 2);
    cr_assert_eq(last[0].op, TRACE_OP_MUTEX_CREATE);
    cr_assert_eq(last[0].touches, SCHED_TOUCH_IDS);
    cr_assert_eq(last[1].touches, SCHED_TOUCH_CHAN_TABLE | SCHED_TOUCH_HEAP | SCHED_TOUCH_IDS);
    cr_assert_eq(last[2].kind, SCHED_OBJECT_PROC, "%s", sched_access_format(&last[2], text, 96));
    cr_assert_eq(last[2].id, 3);
    cr_assert_eq(last[3].kind, SCHED_OBJECT_CHAN);
    cr_assert_eq(last[3].id, 1);
    cr_assert_eq(last[4].kind, SCHED_OBJECT_CHAN);
    cr_assert_eq(last[4].touches, 0, "not the last reference: %s",
                 sched_access_format(&last[4], text, 96));
    cr_assert_eq(last[5].op, TRACE_OP_WAIT);
    cr_assert_eq(last[5].kind, SCHED_OBJECT_PROC);
    cr_assert(last[6].touches & SCHED_TOUCH_CHAN_TABLE, "the last reference: %s",
              sched_access_format(&last[6], text, 96));
    uint64_t hash = r.hash;
    run_result_free(&r);

    struct run_result plain = run_with("test-access-last", 0, "rr", 0, NULL);
    cr_assert_eq(plain.hash, hash, "tracking changes nothing in the run");
    run_result_free(&plain);
}
