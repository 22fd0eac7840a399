/* The detsim side of make fidelity: signals (see fidelity.h). Each scenario is the
 * protocol of the Linux probe of the same point, in virtual time, and ends by
 * writing "answer: ..." on the kernel console in the probe's words. */
#include "answer.h"

static uint32_t receiver_end;

/* Receives on receiver_end, retrying while interrupted. */
static void receive_counting_eintr(void *unused)
{
    (void)unused;
    int rc, eintr = 0;
    while ((rc = sys_chan_recv(receiver_end, NULL, 0, 0)) == -EINTR)
        eintr++;
    if (rc == 0)
        ANSWER("data after %d EINTR", eintr);
    else {
        char text[16];
        ANSWER("recv %s", result_text(rc, text));
    }
}

static void catch_then_receive(void *unused)
{
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH);
    receive_counting_eintr(unused);
}

/* The signal while recv is blocked; the data 300 ms later. */
static void signal_during_recv(void (*receiver)(void *))
{
    uint32_t ends[2];
    sys_chan_create(ends);
    receiver_end = ends[1];
    int pid = sys_spawn("receiver", receiver, NULL);
    sys_sleep(100 * SYS_NS_PER_MS);
    sys_kill((uint32_t)pid, SIG_TERM);
    sys_sleep(300 * SYS_NS_PER_MS);
    sys_chan_send(ends[0], 1, NULL, 0, 0);
    sys_wait((uint32_t)pid, NULL);
}

SCENARIO(fidelity_eintr_retry, "fidelity: a retry loop around recv, interrupted once", NULL)
{
    signal_during_recv(catch_then_receive);
}

static void catch_restart_then_receive(void *unused)
{
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH | SIG_ACTION_RESTART);
    receive_counting_eintr(unused);
}

SCENARIO(fidelity_sa_restart, "fidelity: the same loop, the handler with SA_RESTART", NULL)
{
    signal_during_recv(catch_restart_then_receive);
}

/* The handler runs before the call (the signal came first, from the caller
 * itself): the call then blocks like any other, until the data comes. The
 * handler's flag is read after the call, as a program reads a flag its handler
 * set. */
static void handled_then_receive(void *unused)
{
    (void)unused;
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH);
    sys_kill(sys_getpid(), SIG_TERM);
    int rc, eintr = 0;
    while ((rc = sys_chan_recv(receiver_end, NULL, 0, 0)) == -EINTR)
        eintr++;
    int handled = (sys_signal_pending() & (1u << SIG_TERM)) != 0;
    ANSWER("handler ran %d time(s); recv %s (%d EINTR)", handled,
           rc == 0 ? "blocked until the data" : "failed", eintr);
}

SCENARIO(fidelity_signal_before_block, "fidelity: a signal handled just before recv", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    receiver_end = ends[1];
    int pid = sys_spawn("receiver", handled_then_receive, NULL);
    sys_sleep(100 * SYS_NS_PER_MS);
    sys_chan_send(ends[0], 1, NULL, 0, 0);
    sys_wait((uint32_t)pid, NULL);
}

static void sleep_100ms(void *unused)
{
    (void)unused;
    sys_sleep(100 * SYS_NS_PER_MS);
}

SCENARIO(fidelity_sigchld_interrupts, "fidelity: a child's exit while its parent receives",
         NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    sys_signal_catch(SIG_CHLD, SIG_ACTION_CATCH);
    int pid = sys_spawn("child", sleep_100ms, NULL);
    char text[16];
    ANSWER("recv %s", result_text(sys_chan_recv(ends[0], NULL, 0, 0), text));
    sys_wait((uint32_t)pid, NULL);
}

static void exit_now(void *unused)
{
    (void)unused;
}

SCENARIO(fidelity_sigchld_ignored, "fidelity: SIGCHLD ignored: no zombie, wait gets ECHILD",
         NULL)
{
    sys_signal_catch(SIG_CHLD, SIG_ACTION_IGNORE);
    int pid = sys_spawn("child", exit_now, NULL);
    sys_sleep(100 * SYS_NS_PER_MS);
    char alive[16], waited[16];
    result_text(sys_kill((uint32_t)pid, 0), alive);
    ANSWER("kill 0: %s; wait: %s", alive, result_text(sys_wait(0, NULL), waited));
}
