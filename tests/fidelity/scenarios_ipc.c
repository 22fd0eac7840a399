/* The detsim side of make fidelity: channels, ports and handles in flight (see
 * fidelity.h). Message channels stand for AF_UNIX SOCK_SEQPACKET socketpairs, ports
 * for epoll instances. */
#include "answer.h"

SCENARIO(fidelity_port_bind_after_hup, "fidelity: binding an endpoint whose peer closed", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    sys_close(ends[1]);
    int port = sys_port_create();
    sys_port_bind((uint32_t)port, ends[0], 7);
    struct port_event event;
    int rc = sys_port_wait((uint32_t)port, &event, SYS_NONBLOCK, 0);
    ANSWER("%s", rc == 0 && (event.kind & PORT_EVENT_PEER_CLOSED) ? "PEER_CLOSED at once"
                                                                   : "no event");
}

/* Two messages queued; the loop waits and reads one message per event. */
static void one_message_per_event(void)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    sys_chan_send(ends[1], 1, NULL, 0, 0);
    sys_chan_send(ends[1], 1, NULL, 0, 0);
    int port = sys_port_create();
    sys_port_bind((uint32_t)port, ends[0], 1);
    int events = 0, messages = 0;
    struct port_event event;
    while (events < 10 && sys_port_wait((uint32_t)port, &event, 0, 100 * SYS_NS_PER_MS) == 0) {
        events++;
        messages += sys_chan_recv(ends[0], NULL, SYS_NONBLOCK, 0) == 0;
    }
    ANSWER("%d event(s), %d message(s)", events, messages);
}

SCENARIO(fidelity_port_level_triggered,
         "fidelity: two messages queued, one read per port event", NULL)
{
    one_message_per_event();
}

/* Run with port_trigger=edge, against EPOLLET. */
SCENARIO(fidelity_port_edge_triggered,
         "fidelity: the same loop on an edge-triggered port", NULL)
{
    one_message_per_event();
}

SCENARIO(fidelity_scm_rights_copy, "fidelity: the sender's handle after it sent it", NULL)
{
    uint32_t s[2], x[2];
    sys_chan_create(s);
    sys_chan_create(x);
    sys_chan_send(s[0], 1, &x[1], 1, 0);
    const char *kept = sys_set_cloexec(x[1], 0) == 0 ? "keeps" : "loses";
    struct chan_received m;
    sys_chan_recv(s[1], &m, 0, 0);
    for (uint32_t k = 0; k < m.handle_count; k++)
        sys_close(m.handles[k]);
    ANSWER("the sender %s its handle; its peer sees %s", kept, eof_text(x[0]));
}

SCENARIO(fidelity_seqpacket_epipe, "fidelity: a send to a closed peer", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    sys_close(ends[1]);
    char text[16];
    ANSWER("%s; the writer lives", result_text(sys_chan_send(ends[0], 1, NULL, 0, 0), text));
}

SCENARIO(fidelity_eof_after_drain, "fidelity: two messages, then the peer closes", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    sys_chan_send(ends[0], 1, NULL, 0, 0);
    sys_chan_send(ends[0], 1, NULL, 0, 0);
    sys_close(ends[0]);
    struct chan_received m;
    int messages = 0, rc;
    while ((rc = sys_chan_recv(ends[1], &m, 0, 0)) == 0 && !m.eof)
        messages++;
    char text[16];
    ANSWER("%d messages, then %s", messages, rc == 0 ? "EOF" : result_text(rc, text));
}

static void sleep_300ms(void *unused)
{
    (void)unused;
    sys_sleep(300 * SYS_NS_PER_MS);
}

static void fork_grandchild_and_exit(void *unused)
{
    (void)unused;
    sys_spawn("grandchild", sleep_300ms, NULL);
}

SCENARIO(fidelity_grandchild_holds_eof, "fidelity: a grandchild's copy of an end delays EOF",
         NULL)
{
    uint32_t s[2];
    sys_chan_create(s);
    int b = sys_spawn("child", fork_grandchild_and_exit, NULL);
    sys_close(s[1]);
    sys_wait((uint32_t)b, NULL);
    const char *early = eof_text(s[0]);
    struct chan_received m;
    int rc = sys_chan_recv(s[0], &m, 0, 0);
    char text[16];
    ANSWER("while a grandchild holds a copy: %s; after it exits: %s", early,
           rc == 0 && m.eof ? "EOF" : result_text(rc, text));
}

SCENARIO(fidelity_cloexec, "fidelity: a close-on-exec end is not in an exec'd child", NULL)
{
    uint32_t s[2];
    sys_chan_create(s);
    sys_set_cloexec(s[1], 1);
    struct sys_spawn_options exec = {SPAWN_FORK_EXEC, NULL, 0, 0};
    int pid = sys_spawn_with("exec-child", sleep_300ms, NULL, &exec);
    sys_close(s[1]);
    ANSWER("its peer sees %s", eof_text(s[0]));
    sys_wait((uint32_t)pid, NULL);
}

SCENARIO(fidelity_emfile, "fidelity: a channel with a full handle table", NULL)
{
    uint32_t s[2];
    sys_chan_create(s);
    while (sys_fd_from_handle(s[0]) >= 0)
        ;
    uint32_t more[2];
    char text[16];
    ANSWER("%s", result_text(sys_chan_create(more), text));
}

SCENARIO(fidelity_inflight_released,
         "fidelity: an unread message carrying a handle dies with its queue", NULL)
{
    uint32_t s[2], x[2];
    sys_chan_create(s);
    sys_chan_create(x);
    sys_chan_send(s[0], 1, &x[1], 1, 0);
    sys_close(x[1]); /* the sender's copy, where the handle was copied */
    sys_close(s[1]);
    ANSWER("the carried handle's peer sees %s", eof_text(x[0]));
}

SCENARIO(fidelity_close_range, "fidelity: closerange's result, and a reversed range", NULL)
{
    uint32_t ends[2];
    sys_chan_create(ends);
    char valid[16], reversed[16];
    result_text(sys_closerange(ends[0], ends[1]), valid);
    ANSWER("valid range: %s; low > high: %s", valid,
           result_text(sys_closerange(ends[1] + 5, ends[0]), reversed));
}

/* ---- pipes: capacity in bytes, partial writes, SIGPIPE ------------------------------- */

SCENARIO(fidelity_pipe_small_writes, "fidelity: 20 writes of 20 bytes into a pipe", NULL)
{
    uint32_t p[2];
    sys_pipe(p);
    int ok = 0;
    for (int i = 0; i < 20; i++)
        ok += sys_write(p[1], 20, SYS_NONBLOCK) == 20;
    ANSWER("%d of 20 fit", ok);
}

SCENARIO(fidelity_pipe_large_write, "fidelity: a 100000-byte write into a pipe", NULL)
{
    uint32_t p[2];
    sys_pipe(p);
    ANSWER("%lld written", (long long)sys_write(p[1], 100000, SYS_NONBLOCK));
}

static uint32_t pipe_ends[2];

static void big_writer(void *unused)
{
    (void)unused;
    sys_close(pipe_ends[0]);
    sys_signal_catch(SIG_PIPE, SIG_ACTION_IGNORE);
    int64_t first = sys_write(pipe_ends[1], 100000, 0);
    char text[16];
    ANSWER("%lld written, then %s", (long long)first,
           result_text((int)sys_write(pipe_ends[1], 1, 0), text));
}

SCENARIO(fidelity_pipe_partial_then_epipe,
         "fidelity: a blocked pipe writer whose reader closes", NULL)
{
    sys_pipe(pipe_ends);
    int pid = sys_spawn("writer", big_writer, NULL);
    sys_close(pipe_ends[1]);
    sys_sleep(100 * SYS_NS_PER_MS);
    sys_close(pipe_ends[0]);
    sys_wait((uint32_t)pid, NULL);
}

static void one_byte_writer(void *unused)
{
    (void)unused;
    sys_write(pipe_ends[1], 1, 0);
}

SCENARIO(fidelity_sigpipe_default, "fidelity: a write to a pipe whose reader closed", NULL)
{
    sys_pipe(pipe_ends);
    sys_close(pipe_ends[0]);
    int pid = sys_spawn("writer", one_byte_writer, NULL);
    int status;
    char text[24];
    sys_wait((uint32_t)pid, &status);
    ANSWER("the writer ends with %s", status_text(status, text));
}

/* ---- SCM_RIGHTS into a full table --------------------------------------------------- */

SCENARIO(fidelity_scm_rights_full_table,
         "fidelity: a message carrying a handle received into a full table", NULL)
{
    uint32_t s[2], x[2];
    sys_chan_create(s);
    sys_chan_create(x);
    sys_chan_send(s[0], 1, &x[1], 1, 0);
    sys_chan_send(s[0], 2, NULL, 0, 0);
    while (sys_fd_from_handle(s[0]) >= 0)
        ;
    struct chan_received m, next;
    int rc = sys_chan_recv(s[1], &m, 0, 0);
    int again = sys_chan_recv(s[1], &next, SYS_NONBLOCK, 0);
    char text[16];
    ANSWER("%s, %s, handle %s; next recv: %s", rc == 0 ? "consumed" : result_text(rc, text),
           rc == 0 && m.truncated ? "truncated" : "not truncated",
           rc == 0 && m.handle_count ? "installed" : "dropped",
           again == 0 && next.bytes == 2 ? "the next message" : "something else");
}
