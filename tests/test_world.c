/* The models under the scheduler: blocking and wake reasons, close races, handle
 * transfer, fork inheritance, groups, signals, OOM policies, hang reports in model
 * terms, and the allocation-failure loop. Test-only scenarios are registered here. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "sim/sys.h"

/* ---- close races ------------------------------------------------------------------ */

static struct {
    int recv_rc, recv_eof, send_rc;
} race;

static void close_after_a_while(void *arg)
{
    uint32_t end = *(uint32_t *)arg;
    for (uint64_t i = sys_choose(4); i > 0; i--)
        sys_yield();
    sys_close(end);
}

/* One side closes while the other is blocked in receive (or about to be). */
SCENARIO(test_close_while_receiving, "test: close races a blocked receive", NULL)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "create");
    struct sys_spawn_options only_b = {SPAWN_EXPLICIT, &ends[1], 1, 0};
    int pid = sys_spawn_with("closer", close_after_a_while, &ends[1], &only_b);
    sys_close(ends[1]);
    struct chan_received m;
    race.recv_rc = sys_chan_recv(ends[0], &m, 0, 0);
    race.recv_eof = m.eof;
    sys_close(ends[0]);
    sys_wait((uint32_t)pid, NULL);
}

/* The receiver closes while the sender is blocked on a full queue. */
static void fill_and_send(void *arg)
{
    uint32_t end = *(uint32_t *)arg;
    int rc = 0;
    while (rc == 0)
        rc = sys_chan_send(end, 8, NULL, 0, 0);
    race.send_rc = rc;
    sys_close(end);
}

SCENARIO(test_close_while_sending, "test: close races a send blocked on a full queue", NULL)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "create");
    struct sys_spawn_options only_b = {SPAWN_EXPLICIT, &ends[1], 1, 0};
    int pid = sys_spawn_with("sender", fill_and_send, &ends[1], &only_b);
    sys_close(ends[1]);
    for (uint64_t i = sys_choose(6); i > 0; i--)
        sys_yield();
    sys_close(ends[0]);
    sys_wait((uint32_t)pid, NULL);
}

Test(world, close_races_resolve_to_eof_and_epipe_on_every_seed)
{
    for (uint64_t seed = 0; seed < 300; seed++) {
        struct run_result r = run_with("test-close-while-receiving", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert(race.recv_rc == 0 && race.recv_eof, "seed %llu: recv %d eof %d",
                  (unsigned long long)seed, race.recv_rc, race.recv_eof);
        run_result_free(&r);
        r = run_with("test-close-while-sending", seed, "random", 0, "check=true", "queue_depth=2", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(race.send_rc, -EPIPE, "seed %llu", (unsigned long long)seed);
        run_result_free(&r);
    }
}

Test(world, without_the_wake_on_close_a_blocked_receiver_is_stranded)
{
    uint32_t hangs = 0, passes = 0;
    for (uint64_t seed = 0; seed < 300; seed++) {
        struct run_result r = run_with("test-close-while-receiving", seed, "random", 0,
                                       "bug_close_no_wake=true", NULL);
        if (r.outcome == SCHED_OUTCOME_HANG_DEADLOCK) {
            hangs++;
            cr_assert(strstr(text_str(&r.report), "is blocked in chan_recv(channel 0 end A)"),
                      "seed %llu:\n%s", (unsigned long long)seed, text_str(&r.report));
        } else {
            cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu", (unsigned long long)seed);
            passes++; /* the close came before the receive blocked */
        }
        run_result_free(&r);
    }
    cr_assert_gt(hangs, 0, "the stranded blocker reproduces");
    cr_assert_gt(passes, 0, "and some orders escape it");
}

/* ---- handle transfer -------------------------------------------------------------- */

static void reader_that_never_reads(void *arg)
{
    uint32_t end = *(uint32_t *)arg;
    sys_sleep(SYS_NS_PER_MS); /* the message arrives meanwhile */
    sys_close(end);           /* closed with the message unread */
}

SCENARIO(test_handle_in_flight, "test: a queued message carries a handle; the reader closes", NULL)
{
    uint32_t pipe[2], carried[2];
    sys_check(sys_chan_create(pipe) == 0 && sys_chan_create(carried) == 0, "create");
    struct sys_spawn_options only_b = {SPAWN_EXPLICIT, &pipe[1], 1, 0};
    int pid = sys_spawn_with("reader", reader_that_never_reads, &pipe[1], &only_b);
    sys_close(pipe[1]);
    uint32_t before = sys_handle_count();
    sys_check(sys_chan_send(pipe[0], 16, &carried[0], 1, 0) == 0, "send");
    if (sys_param("handle_transfer") == 0) /* copied (SCM_RIGHTS): the sender closes its own */
        sys_check(sys_handle_count() == before && sys_close(carried[0]) == 0, "a copy");
    else
        sys_check(sys_handle_count() == before - 1, "the handle left the sender's table");
    sys_close(carried[1]);
    sys_close(pipe[0]);
    sys_wait((uint32_t)pid, NULL);
}

Test(world, an_undelivered_message_releases_what_it_carries)
{
    static const char *const transfers[] = {"handle_transfer=copy", "handle_transfer=move"};
    for (uint64_t seed = 0; seed < 100; seed++) {
        const char *transfer = transfers[seed % 2];
        struct run_result r = run_with("test-handle-in-flight", seed, "random", 0, "check=true",
                                       transfer, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu %s: %s", (unsigned long long)seed,
                     transfer, text_str(&r.report));
        run_result_free(&r);
        r = run_with("test-handle-in-flight", seed, "random", 0, "check=true", transfer,
                     "bug_leak_undelivered_handles=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_LEAK, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        const char *report = text_str(&r.report);
        cr_assert(strstr(report, "channel 1 still holds a slot"), "%s", report);
        cr_assert(strstr(report, "lost with a destroyed message, never released"), "%s", report);
        cr_assert(strstr(report, "last put"), "the reference history is printed:\n%s", report);
        run_result_free(&r);
    }
}

/* ---- fork inheritance and a hang in model terms ----------------------------------- */

static void child_that_waits_forever(void *arg)
{
    (void)arg;
    int sem = sys_sem_create("never", 0);
    sys_sem_wait((uint32_t)sem); /* holds the inherited end meanwhile */
}

SCENARIO(test_fork_inherits, "test: a forked child keeps the peer end alive", NULL)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "create");
    int pid = sys_spawn("child", child_that_waits_forever, NULL); /* fork: both ends */
    sys_close(ends[1]);
    sys_chan_recv(ends[0], NULL, 0, 0); /* EOF never comes: the child holds end B */
    sys_wait((uint32_t)pid, NULL);
}

SCENARIO(test_spawn_explicit, "test: an explicit spawn passes nothing", NULL)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "create");
    struct sys_spawn_options none = {SPAWN_EXPLICIT, NULL, 0, 0};
    int pid = sys_spawn_with("child", child_that_waits_forever, NULL, &none);
    sys_close(ends[1]);
    struct chan_received m;
    sys_check(sys_chan_recv(ends[0], &m, 0, 0) == 0 && m.eof, "EOF at once");
    sys_close(ends[0]);
    sys_kill((uint32_t)pid, SIG_KILL);
    sys_wait((uint32_t)pid, NULL);
}

Test(world, an_inherited_end_keeps_the_receiver_waiting_and_the_report_says_who)
{
    struct run_result r = run_with("test-fork-inherits", 1, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK);
    const char *report = text_str(&r.report);
    cr_assert(strstr(report, "pid 2 \"main\" is blocked in chan_recv(channel 0 end A)"), "%s",
              report);
    cr_assert(strstr(report, "-> channel 0 end A: its peer end, which could send or close, is "
                             "held by pid 3 \"child\" (blocked in sem_wait of semaphore \"never\")"),
              "%s", report);
    cr_assert(strstr(report, "reference history of the peer end:"), "%s", report);
    cr_assert(strstr(report, "Resources: channel slots 1/64"), "%s", report);
    run_result_free(&r);
    r = run_with("test-spawn-explicit", 1, "random", 0, "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    run_result_free(&r);
}

/* ---- groups and signals ----------------------------------------------------------- */

static struct {
    int finished[4];
    uint64_t ended_at;
    int statuses[4];
    int killed;
} grp;

static void long_sleeper(void *arg)
{
    sys_sleep(90 * SYS_NS_PER_S);
    grp.finished[(uintptr_t)arg] = 1;
}

static uint32_t outside_group; /* made by main: not nested in the dropped group */

static void parent_of_grandchild(void *arg)
{
    /* A group of its own, made inside the dropped one (a sub-cgroup); a third
     * grandchild goes into a group made outside it. */
    struct sys_spawn_options own = {SPAWN_FORK, NULL, 0, sys_group_create()};
    struct sys_spawn_options outside = {SPAWN_FORK, NULL, 0, outside_group};
    sys_spawn_with("grandchild", long_sleeper, (void *)(uintptr_t)1, &own);
    sys_spawn_with("grandchild", long_sleeper, (void *)(uintptr_t)2, NULL);
    grp.killed = sys_spawn_with("elsewhere", long_sleeper, (void *)(uintptr_t)3, &outside);
    if (sys_param("orphans"))
        return; /* the grandchildren outlive their parent */
    long_sleeper(arg);
}

static const struct config_key kill_on_drop_params[] = {
    {"orphans", CONFIG_BOOL, 0, 0, 1, "the child exits before the drop", NULL},
    {0},
};

SCENARIO(test_kill_on_drop, "test: dropping a group kills grandchildren too", kill_on_drop_params)
{
    outside_group = sys_group_create();
    uint32_t group = sys_group_create();
    struct sys_spawn_options in_group = {SPAWN_FORK, NULL, 0, group};
    int child = sys_spawn_with("child", parent_of_grandchild, (void *)(uintptr_t)0, &in_group);
    sys_sleep(SYS_NS_PER_MS);
    int expected = sys_param("orphans") ? 2 : 3;
    sys_check(sys_group_drop(group) == expected, "child and grandchildren killed");
    sys_wait((uint32_t)child, &grp.statuses[0]);
    sys_check(sys_kill((uint32_t)grp.killed, 0) == 0, "the one in a group made outside lives");
    sys_kill((uint32_t)grp.killed, SIG_KILL);
    grp.ended_at = sys_now();
}

Test(world, kill_on_drop_reaches_grandchildren)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        memset(&grp, 0, sizeof grp);
        const char *orphans = seed % 2 ? "orphans=true" : "orphans=false";
        struct run_result r = run_with("test-kill-on-drop", seed, "random", 0, "check=true",
                                       orphans, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu %s: %s", (unsigned long long)seed,
                     orphans, text_str(&r.report));
        cr_assert(!grp.finished[0] && !grp.finished[1] && !grp.finished[2],
                  "seed %llu %s: nobody slept it out, parent alive or not",
                  (unsigned long long)seed, orphans);
        if (seed % 2 == 0)
            cr_assert_eq(grp.statuses[0], SYS_W_TERMSIG(SIG_KILL));
        cr_assert_lt(r.vtime_ns, SYS_NS_PER_S, "seed %llu: torn down at once", (unsigned long long)seed);
        run_result_free(&r);
    }
}

static void polite(void *arg)
{
    (void)arg;
    sys_signal_catch(SIG_INT, SIG_ACTION_CATCH);
    sys_sleep(90 * SYS_NS_PER_S); /* interrupted: -EINTR path */
    if (sys_signal_pending() & (1u << SIG_INT))
        sys_exit(0);
    sys_exit(1);
}

static void stubborn(void *arg)
{
    (void)arg;
    sys_signal_catch(SIG_INT, SIG_ACTION_CATCH);
    for (;;) {
        sys_sleep(90 * SYS_NS_PER_S);
        sys_signal_pending(); /* reads SIGINT, and ignores it */
    }
}

SCENARIO(test_graceful_shutdown, "test: SIGINT, a grace period, then SIGKILL", NULL)
{
    uint32_t group = sys_group_create();
    struct sys_spawn_options in_group = {SPAWN_FORK, NULL, 0, group};
    int pids[3];
    pids[0] = sys_spawn_with("polite", polite, NULL, &in_group);
    pids[1] = sys_spawn_with("default", long_sleeper, (void *)(uintptr_t)2, &in_group);
    pids[2] = sys_spawn_with("stubborn", stubborn, NULL, &in_group);
    sys_sleep(SYS_NS_PER_MS);
    grp.killed = sys_group_shutdown(group, 45 * SYS_NS_PER_S);
    for (int i = 0; i < 3; i++)
        sys_wait((uint32_t)pids[i], &grp.statuses[i]);
    grp.ended_at = sys_now();
}

Test(world, graceful_shutdown_escalates_only_for_the_stubborn)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        memset(&grp, 0, sizeof grp);
        struct run_result r = run_with("test-graceful-shutdown", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(grp.killed, 1, "seed %llu: only the stubborn one", (unsigned long long)seed);
        cr_assert_eq(grp.statuses[0], 0, "polite exits cleanly");
        cr_assert_eq(grp.statuses[1], SYS_W_TERMSIG(SIG_INT), "no handler: SIGINT terminates");
        cr_assert_eq(grp.statuses[2], SYS_W_TERMSIG(SIG_KILL), "escalated");
        cr_assert_geq(grp.ended_at, 45 * SYS_NS_PER_S, "the grace period was given");
        cr_assert_lt(grp.ended_at, 46 * SYS_NS_PER_S);
        run_result_free(&r);
    }
}

SCENARIO(test_wait_errors, "test: wait without children, wait with a timeout", NULL)
{
    sys_check(sys_wait(0, NULL) == -ECHILD, "no children: -ECHILD");
    int pid = sys_spawn("sleeper", long_sleeper, (void *)(uintptr_t)3);
    sys_check(sys_wait_timeout((uint32_t)pid, NULL, SYS_NS_PER_S) == -ETIMEDOUT, "timeout");
    sys_check(sys_wait(12345, NULL) == -ECHILD, "not a child: -ECHILD");
    sys_check(sys_kill((uint32_t)pid, 7) == -EINVAL, "unknown signal");
    sys_check(sys_kill(12345, SIG_TERM) == -ESRCH, "unknown pid");
    sys_kill((uint32_t)pid, SIG_TERM);
    int status = 0;
    sys_check(sys_wait((uint32_t)pid, &status) == pid && status == SYS_W_TERMSIG(SIG_TERM),
              "terminated by SIGTERM: %d", status);
}

Test(world, wait_and_kill_error_codes)
{
    struct run_result r = run_with("test-wait-errors", 0, "random", 0, "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    run_result_free(&r);
}

/* ---- OOM policies --------------------------------------------------------------- */

static void hog(void *arg)
{
    (void)arg;
    for (;;)
        sys_alloc(64 * 1024);
}

static int hog_status;

SCENARIO(test_oom, "test: a process allocates until the heap runs out", NULL)
{
    int pid = sys_spawn("hog", hog, NULL);
    sys_wait((uint32_t)pid, &hog_status);
    int64_t block = sys_try_alloc(1024);
    sys_check(block > 0, "the system still has memory after the hog died");
    sys_free((uint32_t)block);
}

SCENARIO(test_oom_quota, "test: a quota refuses before the heap runs out", NULL)
{
    int64_t first = sys_try_alloc(60 * 1024);
    sys_check(first > 0, "under the quota");
    sys_check(sys_try_alloc(60 * 1024) == -ENOMEM, "over the quota");
    sys_free((uint32_t)first);
}

Test(world, every_oom_policy)
{
    struct run_result r = run_with("test-oom", 0, "random", 0, "oom_policy=halt", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PANIC, "halt");
    cr_assert(strstr(text_str(&r.report), "[KERNEL OOM] size=65536 pid=3"), "%s", text_str(&r.report));
    run_result_free(&r);

    r = run_with("test-oom", 0, "random", 0, "oom_policy=kill-process", "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "kill-process: %s", text_str(&r.report));
    cr_assert_eq(hog_status, SYS_W_TERMSIG(SIG_KILL), "the OOM kill");
    run_result_free(&r);

    r = run_with("test-oom", 0, "random", 0, "oom_policy=kill-process", "reserved_procs=4", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PANIC, "a system process still halts");
    cr_assert(strstr(text_str(&r.report), "on a system process"), "%s", text_str(&r.report));
    run_result_free(&r);

    r = run_with("test-oom", 0, "random", 0, "oom_policy=kill-process", "exit_bytes=64KiB", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PANIC, "the teardown itself hits a second OOM");
    cr_assert(strstr(text_str(&r.report), "second OOM"), "%s", text_str(&r.report));
    run_result_free(&r);

    r = run_with("test-oom", 0, "random", 0, "oom_policy=reserve", "exit_bytes=64KiB",
                 "reserve_bytes=256KiB", "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "the reserve lets the teardown finish: %s",
                 text_str(&r.report));
    cr_assert_eq(hog_status, SYS_W_TERMSIG(SIG_KILL), "the OOM kill");
    run_result_free(&r);

    r = run_with("test-oom-quota", 0, "random", 0, "proc_quota_bytes=100KiB", "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "quota: %s", text_str(&r.report));
    run_result_free(&r);
}

/* ---- the allocation-failure loop ---------------------------------------------------- */

/* SQLite's malloc loop: make allocation N fail for N = 1, 2, ... until a run never
 * reaches N. Every run must end consistent (world_check after every step) and with
 * nothing leaked. */
static uint64_t failure_loop(uint64_t seed, const char *infallible, const char *policy)
{
    uint64_t n = 1;
    for (;; n++) {
        char fail[64];
        snprintf(fail, sizeof fail, "heap_fail_nth=%llu", (unsigned long long)n);
        struct run_result r = run_with("ipc-workload", seed, "random", 0, "check=true", fail,
                                       infallible, policy, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu, allocation %llu failing: %s\n%s",
                     (unsigned long long)seed, (unsigned long long)n,
                     sched_outcome_name(r.outcome), text_str(&r.report));
        uint64_t attempts = r.heap_attempts;
        cr_assert(attempts < n || r.heap_ooms >= 1, "seed %llu: failure %llu was injected",
                  (unsigned long long)seed, (unsigned long long)n);
        run_result_free(&r);
        if (attempts < n)
            return n - 1;
    }
}

Test(world, allocation_failure_loop_leaves_no_leak)
{
    for (uint64_t seed = 0; seed < 4; seed++) {
        uint64_t fallible = failure_loop(seed, "infallible=false", "oom_policy=halt");
        uint64_t infallible = failure_loop(seed, "infallible=true", "oom_policy=kill-process");
        cr_assert_gt(fallible, 40, "seed %llu: the workload allocates (%llu)",
                     (unsigned long long)seed, (unsigned long long)fallible);
        cr_assert_gt(infallible, 20, "seed %llu", (unsigned long long)seed);
    }
}
