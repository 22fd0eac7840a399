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

/* ---- reapers ------------------------------------------------------------------------ */

static uint32_t orphan_code;

static void orphan(void *unused)
{
    (void)unused;
    sys_sleep(200 * SYS_NS_PER_MS);
    sys_exit((int)orphan_code);
}

static int orphan_pid;

static void orphan_maker(void *unused)
{
    (void)unused;
    orphan_pid = sys_spawn("orphan", orphan, NULL);
}

SCENARIO(fidelity_subreaper, "fidelity: a subreaper adopts and reaps its grandchild", NULL)
{
    sys_set_subreaper(1);
    orphan_code = 7;
    int b = sys_spawn("middle", orphan_maker, NULL);
    sys_wait((uint32_t)b, NULL);
    int status;
    char buf[24];
    int got = sys_wait(0, &status);
    ANSWER("the subreaper %s the orphan (%s)", got == orphan_pid ? "reaps" : "does not reap",
           status_text(status, buf));
}

/* Run with init_reaps=false: the Linux probe's stand-in is a subreaper that never
 * waits. */
SCENARIO(fidelity_init_does_not_reap, "fidelity: an orphan under an init that never waits",
         NULL)
{
    orphan_code = 0;
    int b = sys_spawn("middle", orphan_maker, NULL);
    sys_wait((uint32_t)b, NULL);
    sys_sleep(400 * SYS_NS_PER_MS);
    char text[16];
    int alive = sys_kill((uint32_t)orphan_pid, 0);
    ANSWER("the orphan %s (kill 0 -> %s)", alive == 0 ? "stays a zombie" : "is gone",
           result_text(alive, text));
}

static void orphan_watching_its_parent(void *unused)
{
    (void)unused;
    uint32_t parent = sys_getppid();
    while (sys_getppid() == parent)
        sys_sleep(5 * SYS_NS_PER_MS);
    ANSWER("re-parented");
}

static void fork_and_exit_soon(void *unused)
{
    (void)unused;
    sys_spawn("orphan", orphan_watching_its_parent, NULL);
    sys_sleep(50 * SYS_NS_PER_MS);
}

SCENARIO(fidelity_orphan_adoption, "fidelity: an orphan's parent after its parent exits",
         NULL)
{
    int b = sys_spawn("middle", fork_and_exit_soon, NULL);
    sys_wait((uint32_t)b, NULL);
    sys_sleep(SYS_NS_PER_S);
}

/* ---- groups ------------------------------------------------------------------------- */

static uint32_t tree_group;
static int tree_leaf;

static void sleep_forever_leaf(void *unused)
{
    (void)unused;
    sys_sleep(3600 * SYS_NS_PER_S);
}

/* B: spawns C into B's group, or (own_group) into a group of C's own, and exits. */
static void group_leader(void *arg)
{
    int own_group = *(const int *)arg;
    struct sys_spawn_options options = {SPAWN_FORK, NULL, 0, 0};
    if (own_group)
        options.group = sys_group_create();
    tree_leaf = sys_spawn_with("leaf", sleep_forever_leaf, NULL, &options);
}

/* The caller (a subreaper) makes group G with B in it; B forks C and exits. */
static void make_group_tree(int own_group)
{
    static int arg;
    arg = own_group;
    sys_set_subreaper(1);
    tree_group = sys_group_create();
    struct sys_spawn_options in_group = {SPAWN_FORK, NULL, 0, tree_group};
    int b = sys_spawn_with("leader", group_leader, &arg, &in_group);
    sys_wait((uint32_t)b, NULL);
}

/* How C ended, or "not reached" (then it is killed and reaped). */
static const char *leaf_fate(char buf[24])
{
    sys_sleep(100 * SYS_NS_PER_MS);
    int status;
    if (sys_wait_timeout((uint32_t)tree_leaf, &status, 1) == -ETIMEDOUT) {
        sys_kill((uint32_t)tree_leaf, SIG_KILL);
        sys_wait((uint32_t)tree_leaf, NULL);
        return "not reached";
    }
    return status_text(status, buf);
}

SCENARIO(fidelity_killpg_orphan, "fidelity: killpg reaches a member whose parent died", NULL)
{
    make_group_tree(0);
    sys_group_kill(tree_group, SIG_KILL);
    char buf[24];
    ANSWER("the member: %s", leaf_fate(buf));
}

SCENARIO(fidelity_cgroup_kill, "fidelity: a group's drop reaches a descendant in a group of "
                               "its own whose parent died",
         NULL)
{
    make_group_tree(1);
    sys_group_drop(tree_group);
    char buf[24];
    ANSWER("its grandchild in a group of its own: %s", leaf_fate(buf));
}
