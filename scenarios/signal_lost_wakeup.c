/* signal-lost-wakeup — the classic race of a signal-driven shutdown. No seed
 * document describes it; issue 11 (point 1) found detsim unable to express it, and
 * the SIGINT hang classes of 002_60790e76a2745a0a.txt (tractor's
 * subint_sigint_starvation and orphan_sigint hangs) are its cousins.
 *
 * A server (pid 3) catches SIGTERM, whose handler sets a flag (sys_signal_pending
 * reads the flags handlers set). Its loop: check the flag; if set, shut down (exit
 * 0); else wait for the next request and serve it. Once the server is up, main
 * sends `requests` requests at seed-chosen moments, then SIGTERM, and waits for the server to exit, keeping
 * its end of the connection open, as an idle client does: no hang-up will ever end
 * the server's wait.
 *
 *   buggy (fix=none, restart=false): a blocking receive, the handler without
 *     SA_RESTART. A SIGTERM that comes while the receive waits interrupts it
 *     (-EINTR) and the loop sees the flag. One that comes after the check and
 *     before the receive (the server was runnable, between two calls) runs its
 *     handler when the server returns to its code, as Linux delivers it: before the
 *     receive begins. The flag is set too late for the check, the receive has
 *     nothing to interrupt it, and it blocks for good: hang-deadlock, the report's
 *     Signals section saying the handler ran before the chan_recv it is blocked in.
 *   restart (fix=none, restart=true): the same loop with SA_RESTART: a receive
 *     that was waiting goes on waiting after the handler ("the chan_recv
 *     restarted"), so most seeds hang, one way or the other.
 *   fixed (fix=wakeup-fd): the self-pipe trick (Python's signal.set_wakeup_fd, which
 *     trio uses): the handler also writes a byte into a pipe, and the loop waits on
 *     a port for the connection or the pipe. A signal handled just before the wait
 *     leaves the pipe readable: the wait returns at once and the loop sees the flag.
 *     Passes every seed.
 *
 * The connection is a message channel and the port level-triggered, both Linux's
 * defaults; the scenario sets no key beside its own. */
#include <errno.h>
#include <inttypes.h>

#include "sim/sys.h"

enum fix { FIX_NONE, FIX_WAKEUP_FD };

static const char *const fix_names[] = {"none", "wakeup-fd", NULL};

static const struct config_key signal_lost_wakeup_params[] = {
    {"requests", CONFIG_UINT, 5, 0, 10000, "requests main sends before its SIGTERM", NULL},
    {"fix", CONFIG_ENUM, FIX_NONE, 0, 1,
     "how the server waits: none (a blocking receive) or wakeup-fd (a port over the "
     "connection and a pipe its handler writes to)",
     fix_names},
    {"restart", CONFIG_BOOL, 0, 0, 1, "the server's SIGTERM handler has SA_RESTART", NULL},
    {0},
};

#define KEY_CONNECTION 1
#define KEY_WAKEUP 2

static struct {
    uint32_t connection; /* the server's end, at the same index in its table */
    uint64_t served;
} server_state;

/* The flag the handler set. */
static int stop_requested(void)
{
    return (sys_signal_pending() & (1u << SIG_TERM)) != 0;
}

/* fix=none: check the flag, then block in a receive. */
static void serve_blocking(void)
{
    while (!stop_requested()) {
        struct chan_received m;
        int rc = sys_chan_recv(server_state.connection, &m, 0, 0);
        if (rc == -EINTR)
            continue; /* the handler ran while the receive waited: check the flag */
        sys_check(rc == 0 && !m.eof, "server: the receive returned %d (eof %d)", rc,
                  rc == 0 ? m.eof : 0);
        server_state.served++;
    }
}

/* fix=wakeup-fd: the event loop waits for the connection or the wakeup pipe. */
static void serve_with_wakeup_fd(void)
{
    uint32_t wakeup[2];
    int port = sys_port_create();
    sys_check(port >= 0 && sys_pipe(wakeup) == 0, "server: no port or no pipe");
    sys_check(sys_signal_wakeup_fd((int32_t)wakeup[1]) == 0, "server: set_wakeup_fd");
    sys_port_bind((uint32_t)port, server_state.connection, KEY_CONNECTION);
    sys_port_bind((uint32_t)port, wakeup[0], KEY_WAKEUP);
    while (!stop_requested()) {
        struct port_event event;
        int rc = sys_port_wait((uint32_t)port, &event, 0, 0);
        if (rc == -EINTR)
            continue;
        sys_check(rc == 0, "server: port_wait returned %d", rc);
        if (event.key == KEY_WAKEUP) {
            sys_read(wakeup[0], 64, SYS_NONBLOCK); /* drain: the flag says the rest */
            continue;
        }
        struct chan_received m;
        while (sys_chan_recv(server_state.connection, &m, SYS_NONBLOCK, 0) == 0 && !m.eof)
            server_state.served++;
    }
}

static void server_main(void *unused)
{
    (void)unused;
    int action = SIG_ACTION_CATCH | (sys_param("restart") ? SIG_ACTION_RESTART : 0);
    sys_check(sys_signal_catch(SIG_TERM, action) == 0, "server: sigaction");
    if (sys_param("fix") == FIX_WAKEUP_FD)
        serve_with_wakeup_fd();
    else
        serve_blocking();
}

/* A seed-chosen pause: none, one or two scheduling points, or 1 ms. */
static void pause_a_little(void)
{
    uint64_t pick = sys_choose(4);
    if (pick == 3)
        sys_sleep(SYS_NS_PER_MS);
    for (uint64_t i = 0; i < pick && pick < 3; i++)
        sys_yield();
}

static const struct scenario_variant signal_lost_wakeup_variants[] = {
    {"buggy", "check the flag, then block in a receive: a SIGTERM handled in between is lost",
     "fix=none restart=false", "hang-deadlock", "before the chan_recv it is blocked in began"},
    {"restart", "the same, with SA_RESTART: a waiting receive also outlives the handler",
     "fix=none restart=true", "hang-deadlock", "SIGTERM caught"},
    {"fixed", "the self-pipe trick: the handler writes to a pipe the event loop watches",
     "fix=wakeup-fd restart=false", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(signal_lost_wakeup,
                       "a server checks its SIGTERM flag, then waits for a request: a signal "
                       "handled in between is lost, and the wait never ends",
                       signal_lost_wakeup_params, signal_lost_wakeup_variants)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "main: no channel");
    server_state.connection = ends[1];
    server_state.served = 0;
    struct sys_spawn_options only_its_end = {SPAWN_EXPLICIT, &ends[1], 1, 0};
    int server = sys_spawn_with("server", server_main, NULL, &only_its_end);
    sys_check(server > 0, "main: the server did not start (%d)", server);
    sys_close(ends[1]);
    sys_sleep(SYS_NS_PER_MS); /* the server is up: its handler is installed */
    uint64_t requests = sys_param("requests");
    for (uint64_t i = 0; i < requests; i++) {
        sys_check(sys_chan_send(ends[0], 64, NULL, 0, 0) == 0, "main: request %" PRIu64, i);
        pause_a_little();
    }
    sys_kill((uint32_t)server, SIG_TERM);
    int status = -1;
    int reaped = sys_wait((uint32_t)server, &status);
    sys_check(reaped == server && status == 0, "main: the server ended with status %#x",
              status);
    sys_close(ends[0]);
}
