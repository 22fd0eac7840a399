/* The detsim side of make fidelity: processes, zombies, reapers, statuses, limits
 * (see fidelity.h). */
#include "answer.h"

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

static void sleep_forever(void *unused)
{
    (void)unused;
    sys_sleep(3600 * SYS_NS_PER_S);
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
