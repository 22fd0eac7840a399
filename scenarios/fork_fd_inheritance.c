/* fork-fd-inheritance — seed document 002_60790e76a2745a0a.txt (tractor's
 * subint_forkserver backend, "test_nested_multierrors hangs indefinitely"): nested
 * actors forked without exec inherit every IPC endpoint their ancestors held, and the
 * graceful cancel cascade then waits for closes that never come.
 *
 * The tree is spawn_and_error(breadth, depth) from the document's standalone repro.
 * The root actor (pid 2, "main") runs an IPC server: a port (its event loop, an
 * epoll instance, level-triggered: a child's end that hangs up is unbound, as a
 * loop stops watching a connection that closed) on which it binds its end of one
 * channel per child. It forks `breadth` children
 * ("actor-1", "actor-2", ...); while depth remains, each child runs the same server
 * and forks `breadth` children of its own ("actor-1.1", ...). Every leaf raises an
 * error: it sends ERROR to its parent, which forwards it up to the root. The first
 * ERROR makes the root cancel the tree, one child at a time: it sends CANCEL over the
 * child's channel, waits to see the channel close (EOF: the child's exit releases its
 * end), closes its own end and reaps the child (sys_wait). A nested actor that is
 * cancelled, or whose parent hangs up (EOF), stops the same way one level down: it
 * hangs up on each of its children (closes its ends of their channels), reaps them,
 * and exits. A leaf stops on CANCEL or on EOF from its parent.
 *
 * The bug (fix=none, SPAWN_FORK): a fork copies the whole handle table. Each child
 * holds, besides its own end, its parent's port and its parent's ends of the channels
 * to itself and to its older siblings; a grandchild holds all of that for two levels
 * (own + direct parent + root, the document's "three overlapping FD sets"). An
 * endpoint stays open while any copy is open, so:
 *   - a grandchild never sees its parent hang up: it holds a copy of the very end it
 *     waits to see closed (and so do its younger siblings). It stays blocked in
 *     sys_chan_recv; its parent stays in sys_wait for it;
 *   - the root never sees actor-1's channel close: actor-1's end is also held by
 *     actor-1's children, which inherited it. The root stays in sys_chan_recv, and
 *     actor-2's subtree, never cancelled, waits for IPC that never arrives.
 * Every process ends blocked in a receive or a wait: the document's "all procs in
 * epoll_wait; the workers in waitpid waiting for children that are themselves
 * waiting on IPC that never arrives". With depth=0 nobody waits for a hang-up (the
 * root cancels its leaf children by message, and their ends have no other holders),
 * so single-level spawn passes, as in the document; each extra level adds every
 * process of the new level to the hang and to the holders of actor-1's end.
 *
 * The four fixes the document ranks, each a variant:
 *   closerange     - the child closes every handle but its own end after the fork
 *                    (blanket post-fork closerange());
 *   cloexec        - every IPC handle is marked close-on-exec when made, and children
 *                    are spawned with SPAWN_FORK_EXEC (FD_CLOEXEC + an audit);
 *   targeted-close - the child closes the handles of its parent's IPC server that it
 *                    knows about from the parent's state, which the fork copied: the
 *                    port and the parent's ends of the children's channels (the
 *                    document's vote: close the inherited actor.ipc_server handles);
 *   explicit-spawn - SPAWN_EXPLICIT with the child's end as the only handle, as
 *                    posix_spawn with file_actions.
 *
 * tractor runs on Linux: the default keys serve (no handle travels in a message). */
#include <errno.h>
#include <stdio.h>

#include "sim/sys.h"

enum fork_fix { FIX_NONE, FIX_CLOSERANGE, FIX_CLOEXEC, FIX_TARGETED_CLOSE, FIX_EXPLICIT_SPAWN };

static const char *const fork_fix_names[] = {"none", "closerange", "cloexec", "targeted-close",
                                             "explicit-spawn", NULL};

static const struct config_key fork_fd_inheritance_params[] = {
    {"breadth", CONFIG_UINT, 2, 1, 4, "children each actor spawns", NULL},
    {"depth", CONFIG_UINT, 1, 0, 3,
     "levels of nesting below the root's children (0: children only, no grandchildren)",
     NULL},
    {"fix", CONFIG_ENUM, FIX_NONE, 0, 4,
     "what a spawn does about inherited handles: none (the bug), closerange, cloexec, "
     "targeted-close or explicit-spawn",
     fork_fix_names},
    {0},
};

#define BREADTH_MAX 4
#define ACTORS_MAX (1 + 4 + 16 + 64 + 256) /* the root and four levels of breadth 4 */
#define SERVER_HANDLES_MAX (1 + BREADTH_MAX)
#define KEY_PARENT 1000 /* the port key of an actor's end toward its parent */

enum message_kind { MSG_ERROR = 1, MSG_CANCEL = 2 };

struct actor {
    char name[32];
    uint32_t levels_below; /* levels of children still to spawn: 0 for a leaf */
    uint32_t parent_end;   /* its end of the channel to its parent (not the root) */
    int port;              /* its IPC server's port, -1 for none (a leaf) */
    uint32_t children;
    uint32_t child_end[BREADTH_MAX]; /* its ends of the channels to its children */
    int child_pid[BREADTH_MAX];
    /* The parent's IPC server as the fork copied it: what targeted-close closes. */
    uint32_t inherited_server[SERVER_HANDLES_MAX];
    uint32_t inherited_count;
};

static struct {
    struct actor actors[ACTORS_MAX];
    uint32_t actor_count;
    uint32_t breadth;
    enum fork_fix fix;
    uint32_t max_handles;
    uint64_t errors_at_root;
} tree;

static void actor_main(void *arg);

/* Marks an IPC handle close-on-exec under the cloexec fix (O_CLOEXEC at creation). */
static void mark_cloexec(uint32_t handle)
{
    if (tree.fix == FIX_CLOEXEC)
        sys_set_cloexec(handle, 1);
}

/* Spawns child number index of self with its own channel; on failure the child is
 * simply not there (the tree is smaller), with nothing left open. */
static void spawn_child(struct actor *self, uint32_t index)
{
    if (tree.actor_count == ACTORS_MAX)
        return;
    uint32_t ends[2];
    if (sys_chan_create(ends) != 0)
        return;
    mark_cloexec(ends[0]);
    if (tree.actor_count == ACTORS_MAX) {
        sys_close(ends[0]);
        sys_close(ends[1]);
        return;
    }
    /* Taken before the spawn: another actor may spawn while this one is switched out. */
    struct actor *child = &tree.actors[tree.actor_count++];
    *child = (struct actor){0};
    if (self == &tree.actors[0])
        snprintf(child->name, sizeof child->name, "actor-%u", index + 1);
    else
        snprintf(child->name, sizeof child->name, "%.18s.%u", self->name, index + 1);
    child->levels_below = self->levels_below - 1;
    child->parent_end = ends[1];
    child->port = -1;
    /* What the fork copies of the parent's server, for targeted-close. */
    if (self->port >= 0)
        child->inherited_server[child->inherited_count++] = (uint32_t)self->port;
    for (uint32_t j = 0; j < self->children; j++)
        child->inherited_server[child->inherited_count++] = self->child_end[j];
    child->inherited_server[child->inherited_count++] = ends[0];

    static const enum proc_spawn_mode modes[] = {
        [FIX_NONE] = SPAWN_FORK,
        [FIX_CLOSERANGE] = SPAWN_FORK,
        [FIX_CLOEXEC] = SPAWN_FORK_EXEC,
        [FIX_TARGETED_CLOSE] = SPAWN_FORK,
        [FIX_EXPLICIT_SPAWN] = SPAWN_EXPLICIT,
    };
    struct sys_spawn_options options = {modes[tree.fix], &ends[1], 1, 0};
    int pid = sys_spawn_with(child->name, actor_main, child, &options);
    sys_close(ends[1]); /* the parent's copy of the child's end: closed at once */
    if (pid < 0) {
        sys_close(ends[0]);
        return;
    }
    if (self->port >= 0)
        sys_check(sys_port_bind((uint32_t)self->port, ends[0], self->children) == 0,
                  "%s: cannot bind its end of %s's channel", self->name, child->name);
    self->child_end[self->children] = ends[0];
    self->child_pid[self->children] = pid;
    self->children++;
}

/* Starts an actor's IPC server and spawns its children. */
static void start_server(struct actor *self)
{
    self->port = sys_port_create();
    if (self->port < 0)
        return; /* no server, no children: it serves as a leaf */
    mark_cloexec((uint32_t)self->port);
    if (self != &tree.actors[0])
        sys_check(sys_port_bind((uint32_t)self->port, self->parent_end, KEY_PARENT) == 0,
                  "%s: cannot bind its parent's channel", self->name);
    for (uint32_t i = 0; i < tree.breadth; i++)
        spawn_child(self, i);
}

/* What a forked child does first about the handles it inherited. */
static void drop_inherited(struct actor *self)
{
    switch (tree.fix) {
    case FIX_CLOSERANGE:
        if (self->parent_end > 0)
            sys_closerange(0, self->parent_end - 1);
        if (self->parent_end + 1 < tree.max_handles)
            sys_closerange(self->parent_end + 1, tree.max_handles - 1);
        break;
    case FIX_TARGETED_CLOSE:
        for (uint32_t i = 0; i < self->inherited_count; i++)
            sys_close(self->inherited_server[i]);
        break;
    case FIX_CLOEXEC:
        mark_cloexec(self->parent_end);
        break;
    case FIX_NONE:
    case FIX_EXPLICIT_SPAWN:
        break;
    }
}

/* Reads what child index has sent; returns 1 once its channel is closed (EOF). */
static int drain_child(struct actor *self, uint32_t index, int forward)
{
    for (;;) {
        struct chan_received m;
        int rc = sys_chan_recv(self->child_end[index], &m, SYS_NONBLOCK, 0);
        if (rc == -EAGAIN)
            return 0;
        sys_check(rc == 0, "%s: recv from child %u failed with %d", self->name, index, rc);
        if (m.eof)
            return 1;
        if (m.bytes != MSG_ERROR)
            continue;
        if (forward) {
            /* Propagate the error up; a parent that is gone no longer needs it. */
            rc = sys_chan_send(self->parent_end, MSG_ERROR, NULL, 0, 0);
            sys_check(rc == 0 || rc == -EPIPE, "%s: forwarding an error failed with %d",
                      self->name, rc);
        } else {
            tree.errors_at_root++;
        }
    }
}

/* A nested actor stops: it hangs up on its children, reaps them, and exits. */
static void stop_nested(struct actor *self)
{
    for (uint32_t j = 0; j < self->children; j++)
        sys_close(self->child_end[j]);
    for (uint32_t j = 0; j < self->children; j++) {
        int rc = sys_wait((uint32_t)self->child_pid[j], NULL);
        sys_check(rc == self->child_pid[j], "%s: wait for child %u failed with %d", self->name,
                  j, rc);
    }
    if (self->port >= 0)
        sys_close((uint32_t)self->port);
}

/* A leaf: raises its error, then waits for CANCEL or its parent's hang-up. */
static void run_leaf(struct actor *self)
{
    int rc = sys_chan_send(self->parent_end, MSG_ERROR, NULL, 0, 0);
    sys_check(rc == 0 || rc == -EPIPE, "%s: sending its error failed with %d", self->name, rc);
    for (;;) {
        struct chan_received m;
        rc = sys_chan_recv(self->parent_end, &m, 0, 0);
        sys_check(rc == 0, "%s: recv from its parent failed with %d", self->name, rc);
        if (m.eof || m.bytes == MSG_CANCEL)
            return;
    }
}

/* A nested actor with children: serves its port until cancelled or orphaned. A
 * child's end that hung up leaves the port: the port is level-triggered, and would
 * report the hang-up for as long as it lasts. */
static void run_nested(struct actor *self)
{
    for (;;) {
        struct port_event event;
        int rc = sys_port_wait((uint32_t)self->port, &event, 0, 0);
        sys_check(rc == 0, "%s: port_wait failed with %d", self->name, rc);
        if (event.key != KEY_PARENT) {
            if (event.key < self->children && drain_child(self, (uint32_t)event.key, 1))
                sys_port_unbind((uint32_t)self->port, self->child_end[event.key]);
            continue;
        }
        for (;;) {
            struct chan_received m;
            rc = sys_chan_recv(self->parent_end, &m, SYS_NONBLOCK, 0);
            if (rc == -EAGAIN)
                break;
            sys_check(rc == 0, "%s: recv from its parent failed with %d", self->name, rc);
            if (m.eof || m.bytes == MSG_CANCEL) {
                stop_nested(self);
                return;
            }
        }
    }
}

static void actor_main(void *arg)
{
    struct actor *self = arg;
    drop_inherited(self);
    if (self->levels_below > 0)
        start_server(self);
    if (self->children > 0)
        run_nested(self);
    else {
        if (self->port >= 0)
            sys_close((uint32_t)self->port);
        self->port = -1;
        run_leaf(self);
    }
}

static const struct scenario_variant fork_fd_inheritance_variants[] = {
    {"buggy", "SPAWN_FORK: every nested actor inherits its ancestors' endpoints (the default)",
     "fix=none breadth=2 depth=1", "hang-deadlock",
     "processes hold copies of the peer end, which stays open until every copy is closed"},
    {"closerange", "the child closes every inherited handle but its own end",
     "fix=closerange breadth=2 depth=1", "pass", NULL},
    {"cloexec", "IPC handles close-on-exec, children spawned with SPAWN_FORK_EXEC",
     "fix=cloexec breadth=2 depth=1", "pass", NULL},
    {"targeted-close", "the child closes its parent's inherited server handles",
     "fix=targeted-close breadth=2 depth=1", "pass", NULL},
    {"explicit-spawn", "SPAWN_EXPLICIT with the child's end as the only handle",
     "fix=explicit-spawn breadth=2 depth=1", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(fork_fd_inheritance,
                       "nested actors forked without exec inherit their ancestors' IPC "
                       "endpoints: the cancel cascade waits forever for closes",
                       fork_fd_inheritance_params, fork_fd_inheritance_variants)
{
    tree.actor_count = 1;
    tree.breadth = (uint32_t)sys_param("breadth");
    tree.fix = (enum fork_fix)sys_param("fix");
    tree.max_handles = (uint32_t)sys_param("max_handles");
    tree.errors_at_root = 0;
    struct actor *root = &tree.actors[0];
    *root = (struct actor){0};
    snprintf(root->name, sizeof root->name, "main");
    root->levels_below = (uint32_t)sys_param("depth") + 1;
    start_server(root);
    if (root->port < 0 || root->children == 0) {
        /* No tree to cancel (an injected fault refused the port or every spawn). */
        if (root->port >= 0)
            sys_close((uint32_t)root->port);
        return;
    }

    /* Serve until an error arrives from the tree. */
    uint64_t closed = 0;
    while (tree.errors_at_root == 0) {
        struct port_event event;
        int rc = sys_port_wait((uint32_t)root->port, &event, 0, 0);
        sys_check(rc == 0, "root: port_wait failed with %d", rc);
        if (event.key < root->children && drain_child(root, (uint32_t)event.key, 0)) {
            closed |= 1ull << event.key;
            sys_port_unbind((uint32_t)root->port, root->child_end[event.key]);
        }
        sys_check(closed != (1ull << root->children) - 1,
                  "every child hung up before any error arrived");
    }

    /* The graceful cancel cascade, one child at a time. */
    for (uint32_t i = 0; i < root->children; i++) {
        int rc = sys_chan_send(root->child_end[i], MSG_CANCEL, NULL, 0, 0);
        sys_check(rc == 0 || rc == -EPIPE, "root: CANCEL to child %u failed with %d", i, rc);
        for (;;) { /* wait to see the channel close, reading what is still queued */
            struct chan_received m;
            rc = sys_chan_recv(root->child_end[i], &m, 0, 0);
            sys_check(rc == 0, "root: recv from child %u failed with %d", i, rc);
            if (m.eof)
                break;
            tree.errors_at_root += m.bytes == MSG_ERROR;
        }
        sys_close(root->child_end[i]);
        rc = sys_wait((uint32_t)root->child_pid[i], NULL);
        sys_check(rc == root->child_pid[i], "root: wait for child %u failed with %d", i, rc);
    }
    sys_close((uint32_t)root->port);
    sys_check(sys_handle_count() == 0, "root: %u handles still open", sys_handle_count());
}
