/* Regression tests for review findings: signals against locks, units and
 * ownership never lost to a killed waiter, shutdown from inside the group, ports
 * with many bound endpoints, init is not killable, sys_free limits. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "sim/sys.h"

static struct {
    int lock_rc, unlock_rc, recv_rc, sem_rc, kill_init_rc, free_rc;
    int statuses[4];
    uint32_t events;
} probe;

static int shared_mutex;

static void catching_locker(void *arg)
{
    (void)arg;
    sys_signal_catch(SIG_INT, SIG_ACTION_CATCH);
    probe.lock_rc = sys_mutex_lock((uint32_t)shared_mutex);
    probe.events = sys_signal_pending();
    probe.unlock_rc = sys_mutex_unlock((uint32_t)shared_mutex);
}

SCENARIO(test_signal_vs_lock, "test: a caught signal's handler runs; the lock waits on", NULL)
{
    shared_mutex = sys_mutex_create("held");
    sys_mutex_lock((uint32_t)shared_mutex);
    int pid = sys_spawn("locker", catching_locker, NULL);
    sys_sleep(SYS_NS_PER_MS);
    sys_kill((uint32_t)pid, SIG_INT);
    sys_sleep(SYS_NS_PER_MS);
    sys_mutex_unlock((uint32_t)shared_mutex);
    sys_wait((uint32_t)pid, NULL);
}

Test(review, a_caught_signal_runs_its_handler_and_a_blocked_lock_waits_on)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct run_result r = run_with("test-signal-vs-lock", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(probe.lock_rc, 0, "seed %llu: pthread_mutex_lock never fails with EINTR",
                     (unsigned long long)seed);
        cr_assert_eq(probe.events, 1u << SIG_INT, "seed %llu: the handler ran",
                     (unsigned long long)seed);
        cr_assert_eq(probe.unlock_rc, 0, "seed %llu", (unsigned long long)seed);
        run_result_free(&r);
    }
}

static int shared_sem;

static void sem_waiter(void *arg)
{
    (void)arg;
    sys_sem_wait((uint32_t)shared_sem);
}

SCENARIO(test_unit_survives_killed_waiter, "test: a posted unit outlives a killed waiter", NULL)
{
    shared_sem = sys_sem_create("units", 0);
    int pid = sys_spawn("waiter", sem_waiter, NULL);
    sys_sleep(SYS_NS_PER_MS); /* the waiter blocks */
    sys_sem_post((uint32_t)shared_sem);
    sys_kill((uint32_t)pid, SIG_KILL); /* before or after it runs to take the unit */
    sys_wait((uint32_t)pid, &probe.statuses[0]);
    probe.sem_rc = sys_sem_wait_timeout((uint32_t)shared_sem, SYS_NS_PER_MS);
}

Test(review, a_unit_posted_to_a_waiter_killed_before_it_runs_is_not_lost)
{
    uint32_t killed_first = 0, took_it = 0;
    for (uint64_t seed = 0; seed < 100; seed++) {
        struct run_result r = run_with("test-unit-survives-killed-waiter", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
        if (probe.statuses[0] == SYS_W_TERMSIG(SIG_KILL)) {
            killed_first++;
            cr_assert_eq(probe.sem_rc, 0, "seed %llu: the unit is still there",
                         (unsigned long long)seed);
        } else {
            took_it++;
            cr_assert_eq(probe.statuses[0], 0, "seed %llu", (unsigned long long)seed);
            cr_assert_eq(probe.sem_rc, -ETIMEDOUT, "seed %llu: the waiter had it",
                         (unsigned long long)seed);
        }
        run_result_free(&r);
    }
    cr_assert(killed_first > 0 && took_it > 0, "both orders happen: %u killed first, %u took it",
              killed_first, took_it);
}

static void member(void *arg)
{
    (void)arg;
    sys_signal_catch(SIG_INT, SIG_ACTION_CATCH); /* reads SIGINT and ignores it */
    for (;;) {
        sys_sleep(90 * SYS_NS_PER_S);
        sys_signal_pending();
    }
}

static void leader(void *arg)
{
    uint32_t group = *(uint32_t *)arg;
    sys_signal_catch(SIG_INT, SIG_ACTION_CATCH);
    struct sys_spawn_options in_group = {SPAWN_FORK, NULL, 0, group};
    sys_spawn_with("member", member, NULL, &in_group);
    sys_spawn_with("member", member, NULL, &in_group);
    sys_group_shutdown(group, SYS_NS_PER_S); /* the leader is in the group too */
    sys_exit(0);                             /* never reached: killed last */
}

SCENARIO(test_shutdown_from_inside, "test: a group shuts itself down", NULL)
{
    uint32_t group = sys_group_create();
    struct sys_spawn_options in_group = {SPAWN_FORK, NULL, 0, group};
    int pid = sys_spawn_with("leader", leader, &group, &in_group);
    sys_wait((uint32_t)pid, &probe.statuses[0]);
    probe.statuses[1] = (int)sys_now();
}

Test(review, a_group_that_shuts_itself_down_kills_every_member_and_then_the_caller)
{
    struct run_result r = run_with("test-shutdown-from-inside", 0, "random", 0, "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(probe.statuses[0], SYS_W_TERMSIG(SIG_KILL));
    cr_assert_lt(r.vtime_ns, 2 * SYS_NS_PER_S, "no member slept its 90 s out");
    run_result_free(&r);
}

static void send_once_and_close(void *arg)
{
    uint32_t end = (uint32_t)(uintptr_t)arg;
    sys_chan_send(end, 8, NULL, 0, 0);
    sys_close(end);
}

SCENARIO(test_many_bound_endpoints, "test: 40 bound endpoints, each a message and a hang-up",
         NULL)
{
    int port = sys_port_create();
    uint32_t ends[40][2];
    int pids[40];
    for (uint32_t i = 0; i < 40; i++) {
        sys_chan_create(ends[i]);
        sys_port_bind((uint32_t)port, ends[i][0], i);
        struct sys_spawn_options one = {SPAWN_EXPLICIT, &ends[i][1], 1, 0};
        pids[i] = sys_spawn_with("peer", send_once_and_close, (void *)(uintptr_t)ends[i][1], &one);
        sys_close(ends[i][1]);
    }
    for (uint32_t i = 0; i < 40; i++)
        sys_wait((uint32_t)pids[i], NULL);
    struct port_event event;
    while (sys_port_wait((uint32_t)port, &event, SYS_NONBLOCK, 0) == 0) {
        probe.events++;
        probe.lock_rc |= event.kind != (PORT_EVENT_READABLE | PORT_EVENT_PEER_CLOSED);
        struct chan_received m;
        while (sys_chan_recv(ends[event.key][0], &m, SYS_NONBLOCK, 0) == 0 && !m.eof)
            ;
        sys_close(ends[event.key][0]); /* its last handle: it leaves the port */
    }
    sys_close((uint32_t)port);
}

Test(review, a_port_never_drops_events)
{
    probe.events = 0;
    probe.lock_rc = 0;
    struct run_result r = run_with("test-many-bound-endpoints", 0, "random", 0, "max_handles=128",
                                   "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(probe.events, 40, "each of 40 reported once it had both: %u", probe.events);
    cr_assert_eq(probe.lock_rc, 0, "READABLE and PEER_CLOSED together");
    run_result_free(&r);
}

SCENARIO(test_init_and_free, "test: init cannot be signalled; kernel blocks cannot be freed", NULL)
{
    probe.kill_init_rc = sys_kill(1, SIG_KILL);
    uint32_t ends[2];
    sys_chan_create(ends);
    /* The channel's block is the newest live one; it belongs to the caller but is
     * the kernel's, not a sys_alloc block. */
    int64_t user = sys_try_alloc(16);
    probe.free_rc = sys_free((uint32_t)(user - 1));
    sys_free((uint32_t)user);
    sys_close(ends[0]);
    sys_close(ends[1]);
}

Test(review, init_cannot_be_killed_and_sys_free_takes_only_user_blocks)
{
    struct run_result r = run_with("test-init-and-free", 0, "random", 0, "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(probe.kill_init_rc, -EPERM);
    cr_assert_eq(probe.free_rc, -EINVAL);
    run_result_free(&r);
}
