/* sigkill-skips-cancel — seed document 002_60790e76a2745a0a.txt (tractor's
 * subint_forkserver backend), its first symptom: the "5-zombie leak holding :1616".
 * It was no backend bug but a self-inflicted cleanup one: a background pytest run
 * was killed with pkill (SIGTERM, then SIGKILL, no SIGINT), which skipped the
 * structured-concurrency graceful cancel cascade entirely. The fix the document
 * codified is a SIGINT-first ladder with a bounded wait before SIGKILL.
 *
 * The tree. The session (pid 2, "main": the shell that runs the tests in the
 * background and later cleans up) starts "pytest", the test runner, which is also
 * the root actor. pytest detaches (a background job: the session does not wait for
 * it, and the run does not either), binds its registry listener on its port under
 * the key 1616 (the document's :1616), and spawns `actors` actor processes into a
 * process group of their own; each spawns `breadth` children of its own (same
 * group). Every actor registers with the registry and then serves: the test is one
 * that runs (hangs) for a long time. Every actor catches SIGINT (Python's
 * KeyboardInterrupt): its handler is the graceful cancel cascade - cancel its
 * children and reap them, report the cancellation to its parent as an error, exit.
 * pytest's nursery reacts to an actor's error by cancelling the other actors,
 * reaping all of them, closing the registry and exiting. An actor that vanishes
 * without a word (its channel just closes) is only dropped from the registry:
 * pytest is still waiting for the test's result, and it reaps its actors only in
 * its cancel path.
 *
 * After `test_time` of virtual time the session cleans up the actor group:
 *   cleanup=pkill (buggy)      SIGTERM to every actor, a pause, SIGKILL to the rest,
 *                              then a bounded wait for pytest, and the session ends.
 *                              No actor runs its handler: none reports to pytest,
 *                              whose cancel path never runs. It stays alive, serving
 *                              :1616, and the killed actors stay zombies under it
 *                              (their own children, orphaned, go to init, which reaps
 *                              them). The leak audit lists the zombies, pytest still
 *                              alive, and the port still bound with its listener.
 *   cleanup=sigint-ladder      SIGINT to every actor (sys_group_shutdown), up to
 *   (fixed)                    `grace` for them to go, SIGKILL for any left; then up
 *                              to `grace` (sys_wait_timeout) for pytest to finish its
 *                              cascade and exit, SIGKILL if it did not; reap. Nothing
 *                              is left.
 *
 * tractor runs on Linux: the default keys serve (its event loop is a level-
 * triggered port; actors are spawned explicitly, and no handle travels). */
#include <errno.h>
#include <stdio.h>

#include "sim/sys.h"

enum cleanup { CLEANUP_PKILL, CLEANUP_SIGINT_LADDER };

static const char *const cleanup_names[] = {"pkill", "sigint-ladder", NULL};

static const struct config_key sigkill_skips_cancel_params[] = {
    {"actors", CONFIG_UINT, 2, 1, 8, "actor processes pytest spawns", NULL},
    {"breadth", CONFIG_UINT, 2, 0, 4, "children each of those actors spawns", NULL},
    {"cleanup", CONFIG_ENUM, CLEANUP_PKILL, 0, 1,
     "how the session stops the background run: pkill (SIGTERM then SIGKILL, the bug) "
     "or sigint-ladder (SIGINT, a bounded wait, then SIGKILL)",
     cleanup_names},
    {"test_time", CONFIG_DURATION, 20ULL * SYS_NS_PER_S, 1, 3600ULL * SYS_NS_PER_S,
     "how long the session lets the background test run before cleaning up", NULL},
    {"grace", CONFIG_DURATION, 5ULL * SYS_NS_PER_S, 1, 3600ULL * SYS_NS_PER_S,
     "each bounded wait of the cleanup", NULL},
    {0},
};

#define ACTORS_MAX 8
#define BREADTH_MAX 4
#define NODES_MAX (ACTORS_MAX * (1 + BREADTH_MAX))
#define REGISTRY_KEY 1616 /* the registry listener, the document's :1616 */

enum message_kind { MSG_REGISTER = 1, MSG_ERROR = 2, MSG_CANCEL = 3 };

struct node {
    char name[32];
    uint32_t parent_end;  /* its end of the channel to its parent */
    uint32_t registry;    /* its handle onto the registry listener */
    uint32_t children;
    uint32_t levels_below; /* 1 for an actor pytest spawns, 0 for a leaf */
    uint32_t child_end[BREADTH_MAX];
    int child_pid[BREADTH_MAX];
};

static struct {
    struct node nodes[NODES_MAX];
    uint32_t node_count;
    uint32_t breadth;
    uint32_t actor_group;
    uint64_t registered;
} run;

static void actor_main(void *arg);

/* Spawns a child actor of a node (self NULL: of pytest) with the registry handle
 * and its own channel, explicitly: this scenario is not about inherited handles.
 * Returns the child's pid, or a negative error with nothing left open. */
static int spawn_actor(const char *name, uint32_t levels_below, uint32_t registry,
                       uint32_t group, uint32_t *parent_side)
{
    if (run.node_count == NODES_MAX)
        return -EAGAIN;
    uint32_t ends[2];
    int rc = sys_chan_create(ends);
    if (rc != 0)
        return rc;
    struct node *child = &run.nodes[run.node_count++];
    *child = (struct node){0};
    snprintf(child->name, sizeof child->name, "%s", name);
    child->parent_end = ends[1];
    child->registry = registry;
    child->levels_below = levels_below;
    uint32_t handed[2] = {ends[1], registry};
    struct sys_spawn_options options = {SPAWN_EXPLICIT, handed, 2, group};
    int pid = sys_spawn_with(child->name, actor_main, child, &options);
    sys_close(ends[1]);
    if (pid < 0) {
        sys_close(ends[0]);
        return pid;
    }
    *parent_side = ends[0];
    return pid;
}

/* Reaps pid, riding out interruptions: a SIGINT whose handler runs while the wait
 * blocks cuts it short (no SA_RESTART); its flag is read (and dropped: the cascade
 * is under way) and the wait goes on. */
static void reap(const char *who, int pid)
{
    int rc;
    while ((rc = sys_wait((uint32_t)pid, NULL)) == -EINTR)
        sys_signal_pending();
    sys_check(rc == pid, "%s: reaping pid %d failed with %d", who, pid, rc);
}

/* The actor's graceful cancel cascade: cancel its children, reap them, and (when
 * interrupted) report the KeyboardInterrupt to its parent as an error. */
static void cancel_cascade(struct node *self, int interrupted)
{
    for (uint32_t j = 0; j < self->children; j++) {
        int rc = sys_chan_send(self->child_end[j], MSG_CANCEL, NULL, 0, 0);
        sys_check(rc == 0 || rc == -EPIPE || rc == -EINTR, "%s: CANCEL failed with %d",
                  self->name, rc);
    }
    for (uint32_t j = 0; j < self->children; j++) {
        reap(self->name, self->child_pid[j]);
        sys_close(self->child_end[j]);
    }
    if (interrupted) {
        int rc;
        while ((rc = sys_chan_send(self->parent_end, MSG_ERROR, NULL, 0, 0)) == -EINTR)
            sys_signal_pending();
        sys_check(rc == 0 || rc == -EPIPE, "%s: reporting to its parent failed with %d",
                  self->name, rc);
    }
}

static void actor_main(void *arg)
{
    struct node *self = arg;
    sys_signal_catch(SIG_INT, SIG_ACTION_CATCH); /* KeyboardInterrupt: the graceful path */
    int rc = sys_chan_send(self->registry, MSG_REGISTER, NULL, 0, 0);
    sys_check(rc == 0 || rc == -EPIPE || rc == -EINTR, "%s: registering failed with %d",
              self->name, rc);
    for (uint32_t j = 0; j < run.breadth && self->levels_below > 0; j++) {
        char name[32];
        snprintf(name, sizeof name, "%.18s.%u", self->name, j + 1);
        int pid = spawn_actor(name, self->levels_below - 1, self->registry, 0,
                              &self->child_end[self->children]);
        if (pid > 0)
            self->child_pid[self->children++] = pid;
    }
    sys_close(self->registry);
    /* Serve until cancelled: by the parent (CANCEL or hang-up) or by SIGINT. */
    for (;;) {
        struct chan_received m;
        rc = sys_chan_recv(self->parent_end, &m, 0, 0);
        uint32_t signals = sys_signal_pending();
        if (rc == -EINTR || (signals & (1u << SIG_INT))) {
            cancel_cascade(self, 1);
            return;
        }
        sys_check(rc == 0, "%s: recv from its parent failed with %d", self->name, rc);
        if (m.eof || m.bytes == MSG_CANCEL) {
            cancel_cascade(self, 0);
            return;
        }
    }
}

/* pytest's nursery: the registry and the actors it watches, on port keys 0..count-1. */
struct nursery {
    uint32_t port;
    /* The registry, a listening socket: [0] bound under REGISTRY_KEY, [1] handed out
     * to the actors. pytest keeps [1] while it runs, as a listener stays open
     * whoever connects and leaves: clients leaving never hang it up (a level-
     * triggered port would report a hang-up for as long as it lasts). */
    uint32_t listener[2];
    uint32_t end[ACTORS_MAX];
    int pid[ACTORS_MAX];
    int open[ACTORS_MAX]; /* end[i] is open and watched */
    uint32_t count;
};

/* Spawns the actors into their group, each watched on the port under its index. */
static void spawn_actors(struct nursery *n, uint32_t actors)
{
    for (uint32_t i = 0; i < actors; i++) {
        char name[32];
        snprintf(name, sizeof name, "actor-%u", i + 1);
        n->pid[n->count] = spawn_actor(name, 1, n->listener[1], run.actor_group, &n->end[n->count]);
        if (n->pid[n->count] < 0)
            continue;
        n->open[n->count] = sys_port_bind(n->port, n->end[n->count], n->count) == 0;
        sys_check(n->open[n->count], "pytest: cannot watch %s", name);
        n->count++;
    }
}

/* Reads what actor i sent, without blocking. Returns 1 when it reported an error;
 * an actor that is gone without a word is only dropped. */
static int read_actor(struct nursery *n, uint32_t i)
{
    int failed = 0;
    for (;;) {
        struct chan_received m;
        int rc = sys_chan_recv(n->end[i], &m, SYS_NONBLOCK, 0);
        if (rc == -EAGAIN)
            break;
        sys_check(rc == 0, "pytest: recv from actor %u failed with %d", i + 1, rc);
        if (m.eof) {
            /* Gone without a word: only the registry entry goes. */
            sys_close(n->end[i]);
            n->open[i] = 0;
            break;
        }
        failed |= m.bytes == MSG_ERROR;
    }
    return failed;
}

/* The test runs; the nursery waits for a result or an error, counting the actors
 * that register on the way. */
static void wait_for_error(struct nursery *n)
{
    for (int failed = 0; !failed;) {
        struct port_event event;
        int rc = sys_port_wait(n->port, &event, 0, 0);
        sys_check(rc == 0, "pytest: port_wait failed with %d", rc);
        if (event.key == REGISTRY_KEY) {
            struct chan_received m;
            while (sys_chan_recv(n->listener[0], &m, SYS_NONBLOCK, 0) == 0 && !m.eof)
                run.registered += m.bytes == MSG_REGISTER;
            continue;
        }
        uint32_t i = (uint32_t)event.key;
        if (i >= n->count || !n->open[i])
            continue;
        failed |= read_actor(n, i);
    }
}

/* The nursery's cancel path: cancel the other actors, reap every one, and close the
 * registry. */
static void cancel_actors(struct nursery *n)
{
    for (uint32_t i = 0; i < n->count; i++)
        if (n->open[i])
            sys_chan_send(n->end[i], MSG_CANCEL, NULL, 0, 0); /* -EPIPE: already gone */
    for (uint32_t i = 0; i < n->count; i++) {
        reap("pytest", n->pid[i]);
        if (n->open[i])
            sys_close(n->end[i]);
    }
    sys_close(n->listener[0]);
    sys_close(n->listener[1]);
    sys_close(n->port);
}

/* pytest: the test runner and root actor, a background job. */
static void pytest_main(void *unused)
{
    (void)unused;
    sys_detach();
    uint32_t actors = (uint32_t)sys_param("actors");
    int port = sys_port_create();
    if (port < 0)
        sys_exit(2); /* no registry: the session fails to start (an injected fault) */
    struct nursery n = {.port = (uint32_t)port};
    if (sys_chan_create(n.listener) != 0) {
        sys_close(n.port);
        sys_exit(2);
    }
    sys_check(sys_port_bind(n.port, n.listener[0], REGISTRY_KEY) == 0,
              "pytest: cannot bind the registry on :1616");
    run.actor_group = sys_group_create();
    spawn_actors(&n, actors);
    wait_for_error(&n);
    cancel_actors(&n);
    sys_exit(1); /* the session failed */
}

static const struct scenario_variant sigkill_skips_cancel_variants[] = {
    {"buggy", "pkill: SIGTERM then SIGKILL to the actors, no SIGINT (the default)",
     "cleanup=pkill actors=2 breadth=2", "leak", "is a zombie nobody reaped"},
    {"fixed", "a SIGINT-first ladder with bounded waits before SIGKILL",
     "cleanup=sigint-ladder actors=2 breadth=2", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(sigkill_skips_cancel,
                       "pkill (SIGTERM/SIGKILL, no SIGINT) of a background test run skips the "
                       "graceful cancel cascade: zombies and a still-bound :1616",
                       sigkill_skips_cancel_params, sigkill_skips_cancel_variants)
{
    run.node_count = 0;
    run.breadth = (uint32_t)sys_param("breadth");
    run.actor_group = 0;
    run.registered = 0;
    uint64_t grace = sys_param("grace");
    int pytest = sys_spawn("pytest", pytest_main, NULL);
    if (pytest < 0)
        return; /* an injected fault: nothing was started */
    sys_sleep(sys_param("test_time"));
    if (run.actor_group == 0) {
        /* pytest could not start its registry and has exited. */
        sys_check(sys_wait((uint32_t)pytest, NULL) == pytest, "pytest not reaped");
        return;
    }

    if (sys_param("cleanup") == CLEANUP_PKILL) {
        sys_group_kill(run.actor_group, SIG_TERM);
        sys_sleep(SYS_NS_PER_S);
        sys_group_kill(run.actor_group, SIG_KILL);
        /* A bounded look for pytest to finish, and the session moves on. */
        sys_wait_timeout((uint32_t)pytest, NULL, grace);
        return;
    }
    sys_group_shutdown(run.actor_group, grace);
    if (sys_wait_timeout((uint32_t)pytest, NULL, grace) == -ETIMEDOUT) {
        sys_kill((uint32_t)pytest, SIG_KILL);
        sys_group_drop(run.actor_group);
        sys_check(sys_wait((uint32_t)pytest, NULL) == pytest, "pytest not reaped");
    }
}
