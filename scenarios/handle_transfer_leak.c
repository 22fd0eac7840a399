/* handle-transfer-leak — seed document 003_64baa759fd444514.txt (33B, IPC channel and
 * port model): channel messages carry handles with move semantics (KRIGHT_TRANSFER);
 * a carried endpoint is kept alive by its in-flight reference, and the document's
 * kobj refcount history (init/get/put/last-put) is what a postmortem reads when one
 * is never released.
 *
 * A broker (main) hands connections to a worker over a control channel: for each one
 * it makes a fresh channel, moves one end to the worker inside a message, and keeps
 * the other end to hear the worker's greeting. The worker reads a number of these
 * messages drawn from the choice stream (always fewer than were sent), greets each
 * connection and closes it, and then shuts down: it closes its control end with the
 * rest of the messages still queued, unread. Destroying an undelivered message must
 * release what it carries; the broker then sees EOF on the connections that were
 * never picked up, closes its ends, and every slot is freed.
 *
 * buggy (bug_leak_undelivered_handles=true): the destroyed messages keep their
 * in-flight references. Each carried end that was never read stays open with nobody
 * holding it, so its channel keeps its slot after everyone has closed everything:
 * the run ends as leak, and the audit prints the slot, "1 in-flight reference lost
 * with a destroyed message, never released", and the end's reference history (its
 * init, the in-flight get when it was sent, the put of the broker's handle).
 *
 * fixed (bug_leak_undelivered_handles=false): the teardown of the worker's control
 * end releases the carried references; no leak on any seed. Without --variant the
 * model's default applies: the bug switch is off, as in fixed.
 *
 * Both variants set handle_transfer=move, the document's KRIGHT_TRANSFER: the
 * broker gives its end away. (Under Linux's copy, SCM_RIGHTS, the broker would
 * close its copy after sending, and the leak would be the same in-flight
 * reference.) */
#include <errno.h>

#include "sim/sys.h"

#define TRANSFERS_MAX 8

static const struct config_key handle_transfer_leak_params[] = {
    {"transfers", CONFIG_UINT, 4, 2, TRANSFERS_MAX,
     "connections the broker hands to the worker, each in its own message"},
    {0},
};

struct transfer_state {
    uint32_t control; /* the worker's control end (same index in the worker) */
    uint32_t transfers;
    uint32_t picked_up; /* messages the worker read before shutting down */
};

static void worker(void *arg)
{
    struct transfer_state *t = arg;
    /* Let the broker queue every hand-off first: the shutdown then always finds
     * messages in the queue. */
    sys_sleep(SYS_NS_PER_MS);
    uint32_t take = (uint32_t)sys_choose(t->transfers);
    for (uint32_t i = 0; i < take; i++) {
        struct chan_received m;
        int rc = sys_chan_recv(t->control, &m, 0, 0);
        if (rc == -EMFILE) {
            sys_log("worker: no room for a handed connection; shutting down early");
            break;
        }
        if (rc != 0 || m.eof)
            break; /* the broker is gone */
        t->picked_up++;
        for (uint32_t k = 0; k < m.handle_count; k++) {
            if (sys_chan_send(m.handles[k], 16, NULL, 0, SYS_NONBLOCK) != 0)
                sys_log("worker: the greeting on a handed connection was not sent");
            sys_close(m.handles[k]);
        }
    }
    sys_log("worker: shutting down after %u of %u hand-offs; the rest stay queued", t->picked_up,
            t->transfers);
    sys_close(t->control);
}

static const struct scenario_variant handle_transfer_leak_variants[] = {
    {"buggy", "a destroyed message keeps the handles it carries",
     "handle_transfer=move bug_leak_undelivered_handles=true", "leak",
     "in-flight reference lost with a destroyed message, never released"},
    {"fixed", "destroying an undelivered message releases what it carries (the model's default)",
     "handle_transfer=move bug_leak_undelivered_handles=false", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(handle_transfer_leak,
                       "messages carrying channel handles die queued when the receiving "
                       "end closes; their handles must be released",
                       handle_transfer_leak_params, handle_transfer_leak_variants)
{
    static struct transfer_state t;
    t = (struct transfer_state){0};
    t.transfers = (uint32_t)sys_param("transfers");
    uint32_t control[2];
    if (sys_chan_create(control) != 0) {
        sys_log("broker: no control channel; nothing to do");
        return;
    }
    t.control = control[1];
    struct sys_spawn_options only_control = {SPAWN_EXPLICIT, &control[1], 1, 0};
    int worker_pid = sys_spawn_with("worker", worker, &t, &only_control);
    sys_close(control[1]);
    if (worker_pid < 0) {
        sys_close(control[0]);
        return;
    }

    uint32_t kept[TRANSFERS_MAX];
    uint32_t handed = 0;
    for (uint32_t i = 0; i < t.transfers; i++) {
        uint32_t conn[2];
        if (sys_chan_create(conn) != 0)
            continue;
        int rc = sys_chan_send(control[0], 16, &conn[0], 1, 0);
        if (rc != 0) {
            sys_close(conn[0]); /* not moved: still the broker's */
            sys_close(conn[1]);
            continue;
        }
        kept[handed++] = conn[1];
    }
    /* The worker reads what is queued, then EOF: it never waits for more. */
    sys_close(control[0]);
    sys_wait((uint32_t)worker_pid, NULL);

    /* Each kept end hears a greeting, or EOF: the connection was never picked up and
     * the destroyed message released it. Under the bug, an orphaned connection stays
     * open with nobody on the other side; the broker closes it anyway. */
    uint32_t greeted = 0, orphaned = 0;
    for (uint32_t i = 0; i < handed; i++) {
        struct chan_received m;
        int rc = sys_chan_recv(kept[i], &m, SYS_NONBLOCK, 0);
        if (rc == 0 && !m.eof)
            greeted++;
        else if (rc == -EAGAIN)
            orphaned++;
        sys_close(kept[i]);
    }
    sys_log("broker: %u of %u connections greeted, %u neither greeted nor closed", greeted,
            handed, orphaned);
    sys_check(greeted == t.picked_up, "%u connections greeted, but the worker picked up %u", greeted, t.picked_up);
}
