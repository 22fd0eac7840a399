/* Signals against blocking calls (sim/sys_model.c, model/proc.c), as Linux has them:
 * a handler runs when its signal is delivered, at the process's next return to its
 * code; a call blocked when it runs returns -EINTR or restarts (SA_RESTART); a
 * handler that ran before a call began does not interrupt it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "sim/sys.h"

static struct {
    int rc, eintr, second_rc;
    uint32_t handled;
    int action;     /* what the receiver installs for SIG_TERM */
    int timed;      /* the receive has a timeout */
    int self_first; /* the receiver signals itself before its receive */
} probe;

static uint32_t receiver_end;

static void receiver(void *unused)
{
    (void)unused;
    sys_signal_catch(SIG_TERM, probe.action);
    if (probe.self_first)
        sys_kill(sys_getpid(), SIG_TERM);
    uint64_t timeout = probe.timed ? 10 * SYS_NS_PER_S : 0;
    while ((probe.rc = sys_chan_recv(receiver_end, NULL, 0, timeout)) == -EINTR)
        probe.eintr++;
    probe.handled = sys_signal_pending();
}

/* main: the signal 100 ms into the receive (unless the receiver sends it to itself
 * first), the data 1.1 s later. */
SCENARIO(test_signal_during_recv, "test: SIGTERM while a receive waits, then data", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    receiver_end = ends[1];
    int pid = sys_spawn("receiver", receiver, NULL);
    sys_sleep(100 * SYS_NS_PER_MS);
    if (!probe.self_first)
        sys_kill((uint32_t)pid, SIG_TERM);
    sys_sleep(1100 * SYS_NS_PER_MS);
    sys_chan_send(ends[0], 1, NULL, 0, 0);
    sys_wait((uint32_t)pid, NULL);
}

static void run_receiver(uint64_t seed, int action, int timed, int self_first)
{
    memset(&probe, 0, sizeof probe);
    probe.action = action;
    probe.timed = timed;
    probe.self_first = self_first;
    struct run_result r = run_with("test-signal-during-recv", seed, "random", 0, "check=true",
                                   NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                 text_str(&r.report));
    cr_assert_eq(probe.rc, 0, "seed %llu: the data arrives", (unsigned long long)seed);
    cr_assert_eq(probe.handled, 1u << SIG_TERM, "seed %llu: the handler ran",
                 (unsigned long long)seed);
    cr_assert_geq(r.vtime_ns, 1200 * SYS_NS_PER_MS, "seed %llu: the receive waited for it",
                  (unsigned long long)seed);
    run_result_free(&r);
}

Test(signals, an_eintr_retry_loop_gets_the_data_after_one_eintr)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        run_receiver(seed, SIG_ACTION_CATCH, 0, 0);
        cr_assert_eq(probe.eintr, 1, "seed %llu: one EINTR, not a spin",
                     (unsigned long long)seed);
    }
}

Test(signals, sa_restart_restarts_a_receive_but_never_a_timed_one)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        run_receiver(seed, SIG_ACTION_CATCH | SIG_ACTION_RESTART, 0, 0);
        cr_assert_eq(probe.eintr, 0, "seed %llu: restarted", (unsigned long long)seed);
        run_receiver(seed, SIG_ACTION_CATCH | SIG_ACTION_RESTART, 1, 0);
        cr_assert_eq(probe.eintr, 1, "seed %llu: SO_RCVTIMEO: never restarted",
                     (unsigned long long)seed);
    }
}

Test(signals, a_signal_handled_just_before_a_receive_lets_it_block)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        run_receiver(seed, SIG_ACTION_CATCH, 0, 1);
        cr_assert_eq(probe.eintr, 0, "seed %llu: the handler ran before the call",
                     (unsigned long long)seed);
    }
}

static int sleeper_rc, sleeper_action;

static void sleeper(void *unused)
{
    (void)unused;
    sys_signal_catch(SIG_INT, sleeper_action);
    sleeper_rc = sys_sleep(10 * SYS_NS_PER_S);
}

SCENARIO(test_signal_during_sleep, "test: SIGINT during a sleep", NULL)
{
    int pid = sys_spawn("sleeper", sleeper, NULL);
    sys_sleep(SYS_NS_PER_MS);
    sys_kill((uint32_t)pid, SIG_INT);
    sys_wait((uint32_t)pid, NULL);
}

Test(signals, a_sleep_is_interrupted_even_with_sa_restart)
{
    int actions[] = {SIG_ACTION_CATCH, SIG_ACTION_CATCH | SIG_ACTION_RESTART};
    for (int i = 0; i < 2; i++) {
        sleeper_action = actions[i];
        struct run_result r = run_with("test-signal-during-sleep", 0, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
        cr_assert_eq(sleeper_rc, -EINTR, "action %d: nanosleep is never restarted", actions[i]);
        cr_assert_lt(r.vtime_ns, SYS_NS_PER_S);
        run_result_free(&r);
    }
}

/* The data and the signal arrive together, while the receive waits: the receive
 * re-checks its queue first and returns the data (the handler still runs). */
SCENARIO(test_signal_with_data, "test: data and SIGTERM in consecutive steps", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    receiver_end = ends[1];
    int pid = sys_spawn("receiver", receiver, NULL);
    sys_sleep(SYS_NS_PER_MS);
    sys_chan_send(ends[0], 1, NULL, 0, 0);
    sys_kill((uint32_t)pid, SIG_TERM);
    sys_wait((uint32_t)pid, NULL);
}

Test(signals, a_message_that_comes_with_the_signal_is_received)
{
    uint32_t with_data = 0;
    for (uint64_t seed = 0; seed < 50; seed++) {
        memset(&probe, 0, sizeof probe);
        probe.action = SIG_ACTION_CATCH;
        struct run_result r = run_with("test-signal-with-data", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(probe.rc, 0, "seed %llu", (unsigned long long)seed);
        with_data += probe.eintr == 0;
        run_result_free(&r);
    }
    cr_assert_eq(with_data, 50, "the queued message wins over the signal on every seed");
}

static int ignorer_rc;

static void ignorer(void *unused)
{
    (void)unused;
    sys_signal_catch(SIG_TERM, SIG_ACTION_IGNORE);
    ignorer_rc = sys_sleep(10 * SYS_NS_PER_MS);
}

SCENARIO(test_ignored_signal, "test: SIGTERM to a process that ignores it", NULL)
{
    int pid = sys_spawn("ignorer", ignorer, NULL);
    sys_sleep(SYS_NS_PER_MS);
    probe.rc = sys_kill((uint32_t)pid, SIG_TERM);
    int status;
    sys_wait((uint32_t)pid, &status);
    probe.second_rc = status;
}

Test(signals, an_ignored_signal_is_discarded)
{
    struct run_result r = run_with("test-ignored-signal", 0, "random", 0, NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(probe.rc, 0, "kill succeeds");
    cr_assert_eq(ignorer_rc, 0, "the sleep was not interrupted");
    cr_assert_eq(probe.second_rc, 0, "it exits normally");
    run_result_free(&r);
}

/* The lost wakeup: the handler runs just before a receive nobody will ever answer;
 * the receive blocks for good, and the hang report says why. */
static void lost_wakeup_receiver(void *unused)
{
    (void)unused;
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH);
    sys_kill(sys_getpid(), SIG_TERM);
    sys_chan_recv(receiver_end, NULL, 0, 0);
}

SCENARIO(test_handled_before_recv, "test: a handler that ran before a receive nobody answers", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    receiver_end = ends[1];
    int pid = sys_spawn("receiver", lost_wakeup_receiver, NULL);
    sys_wait((uint32_t)pid, NULL);
}

Test(signals, the_hang_report_says_the_handler_ran_before_the_call)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        struct run_result r = run_with("test-handled-before-recv", seed, "random", 0, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed %llu: %s",
                     (unsigned long long)seed, text_str(&r.report));
        cr_assert(strstr(text_str(&r.report),
                         "SIGTERM caught: its handler ran at step") != NULL &&
                      strstr(text_str(&r.report), "before the chan_recv it is blocked in "
                                                  "began, so it does not interrupt it") != NULL,
                  "seed %llu: %s", (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
    }
}

/* ---- SIGCHLD ------------------------------------------------------------------- */

static int chld_action, chld_rc, chld_wait_rc, chld_status;

static void exit_after_a_while(void *unused)
{
    (void)unused;
    sys_sleep(SYS_NS_PER_MS);
}

SCENARIO(test_sigchld, "test: a child exits while its parent receives", NULL)
{
    sys_signal_catch(SIG_CHLD, chld_action);
    uint32_t ends[2];
    sys_chan_create(ends);
    int pid = sys_spawn("child", exit_after_a_while, NULL);
    chld_rc = sys_chan_recv(ends[0], NULL, 0, 10 * SYS_NS_PER_MS);
    chld_wait_rc = sys_wait(0, &chld_status);
    probe.handled = sys_signal_pending();
    probe.rc = pid;
}

Test(signals, a_caught_sigchld_interrupts_a_receive)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        chld_action = SIG_ACTION_CATCH;
        struct run_result r = run_with("test-sigchld", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert_eq(chld_rc, -EINTR, "seed %llu: %d", (unsigned long long)seed, chld_rc);
        cr_assert_eq(chld_wait_rc, probe.rc, "seed %llu: the zombie is reaped",
                     (unsigned long long)seed);
        cr_assert_eq(probe.handled, 1u << SIG_CHLD, "seed %llu", (unsigned long long)seed);
        run_result_free(&r);
    }
}

Test(signals, sigchld_is_ignored_by_default_and_sig_ign_reaps_children)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        chld_action = SIG_ACTION_DEFAULT;
        struct run_result r = run_with("test-sigchld", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
        cr_assert_eq(chld_rc, -ETIMEDOUT, "seed %llu: the default discards SIGCHLD",
                     (unsigned long long)seed);
        cr_assert_eq(chld_wait_rc, probe.rc, "seed %llu: a zombie to reap",
                     (unsigned long long)seed);
        run_result_free(&r);
        chld_action = SIG_ACTION_IGNORE;
        r = run_with("test-sigchld", seed, "random", 0, "check=true", NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
        cr_assert_eq(chld_rc, -ETIMEDOUT, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(chld_wait_rc, -ECHILD, "seed %llu: reaped at its exit: no zombie",
                     (unsigned long long)seed);
        run_result_free(&r);
    }
}

/* ---- dispositions across spawn ------------------------------------------------- */

static int inherited[3];

static void report_dispositions(void *arg)
{
    int *out = arg;
    /* SIG_TERM to itself: ignored, caught or fatal, as it inherited. */
    sys_kill(sys_getpid(), SIG_TERM);
    *out = sys_signal_pending() ? 1 : 2; /* 1: caught; 2: ignored (a fatal one never returns) */
}

SCENARIO(test_inherited_dispositions, "test: dispositions across fork and exec", NULL)
{
    static const enum proc_spawn_mode modes[3] = {SPAWN_FORK, SPAWN_FORK_EXEC, SPAWN_EXPLICIT};
    for (int ignore = 0; ignore < 2; ignore++) {
        sys_signal_catch(SIG_TERM, ignore ? SIG_ACTION_IGNORE : SIG_ACTION_CATCH);
        for (int m = 0; m < 3; m++) {
            struct sys_spawn_options options = {modes[m], NULL, 0, 0};
            int result = 0;
            int pid = sys_spawn_with("child", report_dispositions, &result, &options);
            int status;
            sys_wait((uint32_t)pid, &status);
            inherited[m] = ignore * 10 + (SYS_WIFSIGNALED(status) ? 3 : result);
        }
        sys_check(ignore || (inherited[0] == 1 && inherited[1] == 3 && inherited[2] == 3),
                  "a fork keeps the handler, an exec resets it: %d %d %d", inherited[0],
                  inherited[1], inherited[2]);
    }
}

Test(signals, a_fork_keeps_handlers_an_exec_resets_them_and_both_keep_ignored)
{
    struct run_result r = run_with("test-inherited-dispositions", 0, "random", 0, "check=true",
                                   NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert(inherited[0] == 12 && inherited[1] == 12 && inherited[2] == 12,
              "SIG_IGN survives fork and exec: %d %d %d", inherited[0], inherited[1],
              inherited[2]);
    run_result_free(&r);
}

/* ---- SIGPIPE and pipe writes cut short ---------------------------------------------- */

static struct {
    int action;       /* for SIG_PIPE in the writer */
    int64_t first, second;
    int status;
    int interrupt;    /* main interrupts the blocked writer with SIG_TERM (SA_RESTART) */
} pipes;

static uint32_t pipe_ends[2];

static void big_writer(void *unused)
{
    (void)unused;
    sys_close(pipe_ends[0]); /* forked: its copy of the read end goes */
    sys_signal_catch(SIG_PIPE, pipes.action);
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH | SIG_ACTION_RESTART);
    pipes.first = sys_write(pipe_ends[1], 100000, 0);
    pipes.second = sys_write(pipe_ends[1], 1, 0);
}

SCENARIO(test_pipe_writer, "test: a 100000-byte write into a pipe nobody reads", NULL)
{
    sys_pipe(pipe_ends);
    int pid = sys_spawn("writer", big_writer, NULL);
    sys_close(pipe_ends[1]);
    sys_sleep(SYS_NS_PER_MS);
    if (pipes.interrupt) {
        sys_kill((uint32_t)pid, SIG_TERM);
        sys_sleep(SYS_NS_PER_MS);
    }
    sys_close(pipe_ends[0]);
    sys_wait((uint32_t)pid, &pipes.status);
}

static void run_pipe_writer(uint64_t seed, int action, int interrupt)
{
    memset(&pipes, 0, sizeof pipes);
    pipes.action = action;
    pipes.interrupt = interrupt;
    struct run_result r = run_with("test-pipe-writer", seed, "random", 0, "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s", (unsigned long long)seed,
                 text_str(&r.report));
    run_result_free(&r);
}

Test(signals, a_blocked_pipe_writer_whose_reader_closes_gets_a_partial_count_then_epipe)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        run_pipe_writer(seed, SIG_ACTION_IGNORE, 0);
        cr_assert_eq(pipes.first, 65536, "seed %llu: what fitted", (unsigned long long)seed);
        cr_assert_eq(pipes.second, -EPIPE, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(pipes.status, 0, "seed %llu", (unsigned long long)seed);
    }
}

Test(signals, sigpipe_kills_the_writer_by_default_even_after_a_partial_write)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        run_pipe_writer(seed, SIG_ACTION_DEFAULT, 0);
        cr_assert_eq(pipes.status, SYS_W_TERMSIG(SIG_PIPE), "seed %llu: status %#x",
                     (unsigned long long)seed, pipes.status);
        cr_assert_eq(pipes.first, 0, "seed %llu: write never returned",
                     (unsigned long long)seed);
    }
}

Test(signals, a_handler_ends_a_partial_pipe_write_even_with_sa_restart)
{
    for (uint64_t seed = 0; seed < 20; seed++) {
        run_pipe_writer(seed, SIG_ACTION_IGNORE, 1);
        cr_assert_eq(pipes.first, 65536, "seed %llu: the partial count, not a restart",
                     (unsigned long long)seed);
        cr_assert_eq(pipes.second, -EPIPE, "seed %llu", (unsigned long long)seed);
    }
}

/* ---- reapers ------------------------------------------------------------------------- */

static struct {
    int orphan, reaped, status;
    uint32_t parent_before, parent_after;
} reapers;

static void orphan_main(void *unused)
{
    (void)unused;
    reapers.parent_before = sys_getppid();
    sys_sleep(10 * SYS_NS_PER_MS); /* its parent exits meanwhile */
    reapers.parent_after = sys_getppid();
    sys_exit(7);
}

static void orphan_maker(void *unused)
{
    (void)unused;
    reapers.orphan = sys_spawn("orphan", orphan_main, NULL);
    sys_sleep(SYS_NS_PER_MS); /* the orphan sees its parent first */
}

static const struct config_key reapers_params[] = {
    {"subreaper", CONFIG_BOOL, 0, 0, 1, "main is a subreaper", NULL},
    {0},
};

SCENARIO(test_reapers, "test: an orphan under a subreaper, or under init", reapers_params)
{
    if (sys_param("subreaper"))
        sys_set_subreaper(1);
    int pid = sys_spawn("maker", orphan_maker, NULL);
    sys_wait((uint32_t)pid, NULL);
    reapers.reaped = sys_wait(0, &reapers.status);
    sys_sleep(20 * SYS_NS_PER_MS);
}

Test(signals, an_orphan_is_adopted_by_a_subreaper_which_reaps_it)
{
    memset(&reapers, 0, sizeof reapers);
    struct run_result r = run_with("test-reapers", 0, "random", 0, "subreaper=true", "check=true",
                                   NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(reapers.parent_after, 2, "the subreaper, main");
    cr_assert_neq(reapers.parent_before, 2);
    cr_assert_eq(reapers.reaped, reapers.orphan);
    cr_assert_eq(reapers.status, SYS_W_EXITCODE(7));
    run_result_free(&r);
}

Test(signals, an_init_that_does_not_reap_leaves_orphaned_zombies)
{
    memset(&reapers, 0, sizeof reapers);
    struct run_result r = run_with("test-reapers", 0, "random", 0, "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&r.report));
    cr_assert_eq(reapers.parent_after, 1, "init adopts it");
    cr_assert_eq(reapers.reaped, -ECHILD, "not main's to reap");
    run_result_free(&r);
    r = run_with("test-reapers", 0, "random", 0, "init_reaps=false", "check=true", NULL);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_LEAK, "%s", text_str(&r.report));
    cr_assert(strstr(text_str(&r.report), "\"orphan\" is a zombie nobody reaped (parent pid 1)"),
              "%s", text_str(&r.report));
    run_result_free(&r);
}
