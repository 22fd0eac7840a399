/* public_scenario — a scenario written as a newcomer writes one: it includes
 * sim/sys.h and nothing else of detsim's, and uses every type and constant the
 * scenario API offers. The Makefile compiles it on its own with only
 * -std=c11 -pedantic-errors -Wall -Wextra -Werror (no feature macros, no libfiu
 * flags), so a header that leaks an internal or needs a GNU extension fails the
 * build; tests/test_api.c runs it, and every sys_check below must hold. */
#include "sim/sys.h"

static const struct config_key api_params[] = {
    {"messages", CONFIG_UINT, 2, 1, 8, "messages the child sends", NULL},
    {0},
};

static const struct scenario_variant api_variants[] = {
    {"default", "two messages", "messages=2", "pass", NULL},
    {"broken", "the check on the message count fails", "messages=3", "assert",
     "expected 2 messages"},
    {0},
};

/* The child: sends its messages, the last one carrying its second handle. */
static void child(void *arg)
{
    const uint32_t *ends = arg;
    uint64_t messages = sys_param("messages");
    for (uint64_t i = 0; i + 1 < messages; i++)
        sys_check(sys_chan_send(ends[0], 16, NULL, 0, 0) == 0, "send %u", (unsigned)i);
    uint32_t carried[1] = {ends[1]};
    sys_check(sys_chan_send(ends[0], 16, carried, 1, 0) == 0, "send with a handle");
    sys_exit(0);
}

SCENARIO_WITH_VARIANTS(public_api, "every type and constant of the scenario API", api_params,
                       api_variants)
{
    uint32_t ends[2], spare[2];
    sys_check(sys_chan_create(ends) == 0, "channel");
    sys_check(sys_chan_create(spare) == 0, "a channel whose end travels");
    struct chan_received received;
    int rc = sys_chan_recv(ends[1], &received, SYS_NONBLOCK, 0);
    sys_check(rc == -EAGAIN, "an empty queue: %s", sys_error_name(rc));
    sys_check(sys_error_name(-EPIPE) != 0 && sys_error_name(5) == 0, "error names");
    sys_check(SIG_INT != SIG_KILL && SPAWN_FORK != SPAWN_FORK_EXEC &&
                  PORT_EVENT_PEER_CLOSED != PORT_EVENT_READABLE,
              "the constants are distinct");

    sys_check(sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH | SIG_ACTION_RESTART) == 0 &&
                  sys_signal_catch(SIG_INT, SIG_ACTION_IGNORE) == 0,
              "dispositions");
    sys_check(sys_kill(sys_getpid(), SIG_TERM) == 0 && sys_signal_pending() == 1u << SIG_TERM,
              "a signal to the caller: its handler ran before sys_kill returned");
    uint32_t wakeup[2];
    sys_check(sys_pipe(wakeup) == 0 && sys_signal_wakeup_fd((int32_t)wakeup[1]) == 0,
              "a wakeup pipe");
    sys_check(sys_kill(sys_getpid(), SIG_TERM) == 0 && sys_read(wakeup[0], 8, SYS_NONBLOCK) == 1,
              "the handler wrote its byte");
    sys_check(sys_signal_wakeup_fd(-1) == 0 && sys_signal_pending() == 1u << SIG_TERM, "unset");
    sys_close(wakeup[0]);
    sys_close(wakeup[1]);
    sys_check(sys_signal_catch(SIG_TERM, SIG_ACTION_DEFAULT) == 0, "back to the default");

    uint32_t pipe_ends[2];
    sys_check(sys_pipe(pipe_ends) == 0, "pipe");
    sys_check(sys_write(pipe_ends[1], 100000, SYS_NONBLOCK) == 65536, "a pipe holds 64 KiB");
    sys_check(sys_read(pipe_ends[0], 1000, 0) == 1000, "read what is asked");
    sys_close(pipe_ends[1]);
    sys_check(sys_read(pipe_ends[0], 100000, 0) == 64536 && sys_read(pipe_ends[0], 1, 0) == 0,
              "the rest, then end of file");
    sys_close(pipe_ends[0]);

    sys_check(sys_set_subreaper(1) == 0 && sys_getppid() == 1, "main's parent is init");

    int port = sys_port_create();
    sys_check(port >= 0, "port: %d", port);
    sys_check(sys_port_bind((uint32_t)port, ends[1], 7) == 0, "bind");

    static uint32_t child_ends[2]; /* the child's handles: the same indices */
    child_ends[0] = ends[0];
    child_ends[1] = spare[0];
    uint32_t inherited[2] = {ends[0], spare[0]};
    struct sys_spawn_options options = {SPAWN_EXPLICIT, inherited, 2, 0};
    int pid = sys_spawn_with("child", child, child_ends, &options);
    sys_check(pid > 0, "spawn: %d", pid);
    sys_close(spare[0]);

    struct port_event event;
    sys_check(sys_port_wait((uint32_t)port, &event, 0, 0) == 0, "port wait");
    sys_check(event.kind == PORT_EVENT_READABLE && event.key == 7, "event %u key %u",
              (unsigned)event.kind, (unsigned)event.key);

    uint32_t count = 0, carried = 0;
    for (;;) {
        sys_check(sys_chan_recv(ends[1], &received, 0, 0) == 0, "recv");
        if (received.eof)
            break;
        count++;
        sys_check(received.handle_count <= MESSAGE_HANDLES_MAX, "handles");
        carried += received.handle_count;
        for (uint32_t i = 0; i < received.handle_count; i++)
            sys_close(received.handles[i]);
        if (carried)
            sys_close(ends[0]); /* our copy of the peer: EOF comes once the child exits */
    }
    sys_check(count == 2, "expected 2 messages, got %u", (unsigned)count);
    int status = -1;
    sys_check(sys_wait((uint32_t)pid, &status) == pid && SYS_WIFEXITED(status) &&
                  !SYS_WIFSIGNALED(status) && SYS_WEXITSTATUS(status) == 0 &&
                  SYS_WTERMSIG(SYS_W_TERMSIG(SIG_KILL)) == SIG_KILL &&
                  SYS_WEXITSTATUS(SYS_W_EXITCODE(3)) == 3,
              "wait: status %#x", status);
    sys_check(sys_kill((uint32_t)pid, SIG_TERM) == -ESRCH, "a reaped child is gone");
    sys_close(ends[1]);
    sys_close(spare[1]);
    sys_close((uint32_t)port);
}
