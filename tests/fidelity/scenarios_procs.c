/* The detsim side of make fidelity: processes, zombies, reapers, statuses, limits
 * (see fidelity.h). */
#include "answer.h"

static void sleep_forever(void *unused)
{
    (void)unused;
    sys_sleep(3600 * SYS_NS_PER_S);
}

static void exit_at_once(void *unused)
{
    (void)unused;
}

SCENARIO(fidelity_kill_zombie, "fidelity: kill on a zombie, then on a reaped pid", NULL)
{
    int pid = sys_spawn("child", exit_at_once, NULL);
    sys_sleep(SYS_NS_PER_MS);
    char zero[16], term[16], reaped[16];
    result_text(sys_kill((uint32_t)pid, 0), zero);
    result_text(sys_kill((uint32_t)pid, SIG_TERM), term);
    sys_wait((uint32_t)pid, NULL);
    ANSWER("zombie: kill 0 -> %s, SIGTERM -> %s; reaped: kill 0 -> %s", zero, term,
           result_text(sys_kill((uint32_t)pid, 0), reaped));
}


SCENARIO(fidelity_eagain_nproc, "fidelity: a spawn at the process limit", NULL)
{
    int pids[8], rc;
    uint32_t count = 0;
    while (count < 8 && (rc = sys_spawn("sleeper", sleep_forever, NULL)) > 0)
        pids[count++] = rc;
    char text[16];
    ANSWER("%s", result_text(rc, text));
    for (uint32_t i = 0; i < count; i++) {
        sys_kill((uint32_t)pids[i], SIG_KILL);
        sys_wait((uint32_t)pids[i], NULL);
    }
}

static void exit_143(void *unused)
{
    (void)unused;
    sys_exit(143);
}

SCENARIO(fidelity_wait_status, "fidelity: a child killed by SIGTERM, one that exits 143", NULL)
{
    int killed = sys_spawn("killed", sleep_forever, NULL);
    int exited = sys_spawn("exited", exit_143, NULL);
    sys_sleep(SYS_NS_PER_MS);
    sys_kill((uint32_t)killed, SIG_TERM);
    int s1, s2;
    char b1[24], b2[24];
    sys_wait((uint32_t)killed, &s1);
    sys_wait((uint32_t)exited, &s2);
    ANSWER("SIGTERM: %s; exit(143): %s", status_text(s1, b1), status_text(s2, b2));
}

static void exit_3(void *unused)
{
    (void)unused;
    sys_exit(3);
}

SCENARIO(fidelity_wait_echild, "fidelity: wait without children, then with one", NULL)
{
    char none[16], buf[24];
    result_text(sys_wait(0, NULL), none);
    int c = sys_spawn("child", exit_3, NULL);
    int status;
    int got = sys_wait(0, &status);
    ANSWER("no children: %s; a child: %s, %s", none, got == c ? "its pid" : "another pid",
           status_text(status, buf));
}

static void catch_term_and_sleep(void *unused)
{
    (void)unused;
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH);
    for (;;)
        sys_sleep(3600 * SYS_NS_PER_S);
}

SCENARIO(fidelity_kill_signals, "fidelity: SIGTERM caught, then SIGKILL; SIGINT uncaught", NULL)
{
    int catching = sys_spawn("catching", catch_term_and_sleep, NULL);
    int plain = sys_spawn("plain", sleep_forever, NULL);
    sys_sleep(SYS_NS_PER_MS);
    sys_kill((uint32_t)catching, SIG_TERM);
    sys_sleep(50 * SYS_NS_PER_MS);
    const char *alive = sys_kill((uint32_t)catching, 0) == 0 ? "alive" : "dead";
    sys_kill((uint32_t)catching, SIG_KILL);
    sys_kill((uint32_t)plain, SIG_INT);
    int s1, s2;
    char b1[24], b2[24];
    sys_wait((uint32_t)catching, &s1);
    sys_wait((uint32_t)plain, &s2);
    ANSWER("SIGTERM caught: %s; SIGKILL: %s; SIGINT: %s", alive, status_text(s1, b1),
           status_text(s2, b2));
}
