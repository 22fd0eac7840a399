/* oom-policies — seed document 004_25ed486573f18df4.txt (OOM recovery options). The
 * kernel's allocations on behalf of a user session (SSH channel data receive buffers)
 * go through the global allocator; when the heap is exhausted the default
 * handle_alloc_error panics and the panic handler calls halt(): "entire system dead".
 *
 * The system: an SSH server (main, pid 2) with `sessions` ordinary sessions and one
 * more, session 0. Each session is a kernel process serving one connection; a client
 * process stands for the remote side. A client sends channel-data headers whose
 * length field (the message's byte count, read as KiB) is untrusted; the session
 * allocates a receive buffer of that length for each one (`vec![0u8; len]`) and hands
 * it to the session's command. The ordinary sessions' commands consume their input:
 * each request is answered and its buffer freed. Session 0's command never reads (it
 * is stuck), and its client floods it with 8..32 KiB headers: the buffers pile up
 * until the heap runs out. The ordinary sessions are set up before the flood (their
 * session state is allocated) and are between two requests while it lasts: their
 * clients pause `think_time` between requests.
 *
 * Variants, one per option of the document. Without --variant the defaults make the
 * buggy configuration (oom_policy=halt, infallible), on the default 4 MiB heap; every
 * variant sets a 1 MiB heap, which keeps a seed cheap:
 *   buggy (oom_policy=halt): the current crash flow. Session 0's infallible allocation
 *     fails and the system halts: outcome panic, "[KERNEL OOM] size=... system halted
 *     (oom_policy=halt)".
 *   kill-process (Option 1, a custom alloc_error_handler): the allocating process
 *     is killed (as Linux's OOM killer kills: SIGKILL), its memory is freed, the
 *     other sessions finish: pass.
 *   kill-process-teardown: the same, but the process teardown needs memory
 *     (exit_bytes=64KiB) and the heap is still full when it runs: a second OOM in the
 *     teardown halts the system (panic, "hit a second OOM").
 *   kill-process-system: Option 1's limit, "doesn't help if the OOM happens in shared
 *     kernel paths (e.g. the network polling loop on thread 0)". Here the flood's
 *     buffers are allocated by the network poll loop, which runs in main (pid 2), a
 *     system process (reserved_procs=3, the document's RESERVED_THREADS): the OOM
 *     still halts the system under kill-process (panic, "on a system process").
 *   reserve (Option 3, with Option 1): the first OOM releases a 128 KiB emergency
 *     reserve, so the teardown that needs 64 KiB finishes: pass.
 *   quota (Option 4): a per-process quota (proc_quota_bytes=256KiB) refuses session
 *     0's buffers long before the global heap runs out; the session's quota-aware
 *     path (sys_try_alloc) gets -ENOMEM, drops its buffers and closes the session with
 *     an error, under oom_policy=halt: pass, and no allocation ever meets a full heap.
 *     (On the infallible path a quota refusal is an OOM like any other: the policy
 *     acts. Option 4 needs callers that can take no for an answer.)
 *   fallible (Option 2): the session's path uses sys_try_alloc: the global heap does
 *     run out, but the refused session drops its buffers and closes with an error;
 *     the teardown (64 KiB) then has memory: pass.
 *
 * Option 1 kills whoever allocates when the heap runs out, not whoever is greedy: an
 * ordinary session allocating at that moment would be the one killed. This scenario
 * keeps the ordinary sessions' allocations out of the flood (they think meanwhile),
 * so that the pass variants can check that every ordinary session finishes.
 *
 * 004's kernel heap; the kill-process policy kills as Linux's OOM killer does
 * (SIGKILL). Its channels carry no handles: the default keys serve. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "sim/sys.h"

#define SESSIONS_MAX 8
#define FLOOD_MESSAGES_MAX 1000

static const struct config_key oom_policies_params[] = {
    {"sessions", CONFIG_UINT, 3, 1, SESSIONS_MAX, "ordinary sessions besides session 0"},
    {"requests", CONFIG_UINT, 4, 1, 1000, "requests each ordinary client sends"},
    {"think_time", CONFIG_DURATION, 10 * SYS_NS_PER_MS, 1 * SYS_NS_PER_MS, 3600 * SYS_NS_PER_S,
     "pause of an ordinary client before each request"},
    {"session_bytes", CONFIG_BYTES, 16 * 1024, 1, 1 << 30,
     "session state each session allocates when it starts"},
    {"flood_messages", CONFIG_UINT, FLOOD_MESSAGES_MAX, 1, FLOOD_MESSAGES_MAX,
     "headers session 0's client sends at most"},
    {"fallible", CONFIG_BOOL, 0, 0, 1,
     "sessions allocate with sys_try_alloc and close with an error on -ENOMEM "
     "(Option 2; quota-aware paths too)"},
    {"net_in_main", CONFIG_BOOL, 0, 0, 1,
     "session 0's buffers are allocated by the network poll loop in main (pid 2)"},
    {0},
};

struct connection {
    uint32_t index;    /* 0: the flood */
    uint32_t end;      /* the serving side's end (same index in the session) */
    uint32_t peer;     /* the client's end */
    int consumes;      /* the session's command reads its input */
    int ready;         /* its session state is allocated */
    int session_pid;   /* or a negative code */
    int client_pid;
    uint32_t sent;     /* headers the client got onto the channel */
    uint32_t answered; /* replies the client received */
    uint32_t served;   /* headers the session handled */
};

static struct {
    int fallible;
    uint32_t requests;
    uint64_t think_ns;
    uint64_t session_bytes;
    uint32_t flood_messages;
    int ready_sem;
    struct connection conns[SESSIONS_MAX + 1];
    uint32_t held[FLOOD_MESSAGES_MAX]; /* buffers session 0's command never read */
    uint32_t held_count;
    uint64_t held_bytes;
} st;

/* The kernel's allocation on behalf of a session: infallible (the OOM policy acts)
 * or, with fallible=true, one that returns -ENOMEM to its caller. */
static int64_t session_alloc(uint64_t bytes)
{
    return st.fallible ? sys_try_alloc(bytes) : sys_alloc(bytes);
}

static void drop_held(void)
{
    for (uint32_t i = 0; i < st.held_count; i++)
        sys_free(st.held[i]);
    st.held_count = 0;
    st.held_bytes = 0;
}

/* The channel-data receive path: a buffer as large as the header says, per message.
 * Returns 0 at EOF, or -ENOMEM when an allocation was refused (fallible only; the
 * session's buffers are dropped). Under an infallible policy a failure never returns. */
static int serve(struct connection *c, const char *who)
{
    for (;;) {
        struct chan_received m;
        int rc = sys_chan_recv(c->end, &m, 0, 0);
        if (rc != 0 || m.eof) {
            if (rc != 0)
                sys_log("%s %u: receive failed with %d", who, c->index, rc);
            break;
        }
        uint64_t length = m.bytes * 1024; /* untrusted */
        int64_t block = session_alloc(length);
        if (block < 0) {
            sys_log("%s %u: a %" PRIu64 "-byte channel buffer was refused (-ENOMEM) while "
                    "holding %" PRIu64 " bytes; closing the session with an error",
                    who, c->index, length, c->consumes ? 0 : st.held_bytes);
            drop_held();
            return -ENOMEM;
        }
        c->served++;
        if (c->consumes) {
            sys_free((uint32_t)block);
            if (sys_chan_send(c->end, 16, NULL, 0, 0) != 0)
                sys_log("%s %u: the reply was not sent", who, c->index);
        } else if (st.held_count < FLOOD_MESSAGES_MAX) {
            st.held[st.held_count++] = (uint32_t)block;
            st.held_bytes += length;
        } else {
            sys_free((uint32_t)block);
        }
    }
    drop_held();
    return 0;
}

static void session(void *arg)
{
    struct connection *c = arg;
    int64_t state = session_alloc(st.session_bytes);
    if (state < 0) {
        sys_log("session %u: no memory for the session state; connection refused", c->index);
        sys_close(c->end);
        sys_exit(1);
    }
    c->ready = 1;
    sys_sem_post((uint32_t)st.ready_sem);
    int rc = serve(c, "session");
    sys_free((uint32_t)state);
    sys_close(c->end);
    if (rc != 0)
        sys_exit(1);
}

static void ordinary_client(void *arg)
{
    struct connection *c = arg;
    for (uint32_t r = 0; r < st.requests; r++) {
        sys_sleep(st.think_ns);
        if (sys_chan_send(c->peer, 1 + sys_choose(4), NULL, 0, 0) != 0)
            break;
        c->sent++;
        struct chan_received m;
        if (sys_chan_recv(c->peer, &m, 0, 0) != 0 || m.eof)
            break;
        c->answered++;
    }
    sys_close(c->peer);
}

/* The flood: 8..32 KiB headers as fast as the session takes them, until it is gone. */
static void flooding_client(void *arg)
{
    struct connection *c = arg;
    for (uint32_t i = 0; i < st.flood_messages; i++) {
        if (sys_chan_send(c->peer, 8 + sys_choose(25), NULL, 0, 0) != 0)
            break;
        c->sent++;
    }
    sys_close(c->peer);
}

/* Makes connection index: a channel, a client, and (with_session) a session process.
 * Without a session the caller keeps the serving end. Returns 0 or a negative code. */
static int open_connection(uint32_t index, int with_session)
{
    struct connection *c = &st.conns[index];
    *c = (struct connection){.index = index, .consumes = index != 0, .session_pid = -1,
                             .client_pid = -1};
    uint32_t ends[2];
    int rc = sys_chan_create(ends);
    if (rc != 0)
        return rc;
    c->end = ends[0];
    c->peer = ends[1];
    char name[32];
    snprintf(name, sizeof name, "client %" PRIu32, index);
    struct sys_spawn_options only_peer = {SPAWN_EXPLICIT, &ends[1], 1, 0};
    c->client_pid = sys_spawn_with(name, index ? ordinary_client : flooding_client, c,
                                   &only_peer);
    sys_close(ends[1]);
    if (!with_session)
        return 0;
    struct sys_spawn_options only_end = {SPAWN_EXPLICIT, &ends[0], 1, 0};
    snprintf(name, sizeof name, "session %" PRIu32, index);
    c->session_pid = sys_spawn_with(name, session, c, &only_end);
    sys_close(ends[0]);
    return c->session_pid < 0 ? c->session_pid : 0;
}

/* A wait status in words: "exit 1", "signal 9". */
static const char *status_words(int status, char buf[24])
{
    if (SYS_WIFSIGNALED(status))
        snprintf(buf, 24, "signal %d", SYS_WTERMSIG(status));
    else
        snprintf(buf, 24, "exit %d", SYS_WEXITSTATUS(status));
    return buf;
}

/* Whether a session's status is the way the policy ends one: closed with an error
 * (exit 1) on the fallible path, killed (SIGKILL, the OOM kill) on the other. */
static int ended_by_policy(int status)
{
    if (st.fallible)
        return SYS_WIFEXITED(status) && SYS_WEXITSTATUS(status) == 1;
    return SYS_WIFSIGNALED(status) && SYS_WTERMSIG(status) == SIG_KILL;
}

static int reap(int pid)
{
    int status = 0;
    if (pid > 0 && sys_wait((uint32_t)pid, &status) != pid)
        sys_check(0, "pid %d was not reaped", pid);
    return status;
}

static const struct scenario_variant oom_policies_variants[] = {
    {"buggy", "oom_policy=halt: the current crash flow, the flood halts the system",
     "heap_bytes=1MiB oom_policy=halt exit_bytes=0 reserve_bytes=0 proc_quota_bytes=0 "
     "reserved_procs=2 fallible=false net_in_main=false",
     "panic", "system halted (oom_policy=halt)"},
    {"kill-process", "Option 1: only the allocating process is killed",
     "heap_bytes=1MiB oom_policy=kill-process exit_bytes=0 reserve_bytes=0 proc_quota_bytes=0 "
     "reserved_procs=2 fallible=false net_in_main=false",
     "pass", NULL},
    {"kill-process-teardown", "Option 1 when the teardown needs memory: a second OOM halts",
     "heap_bytes=1MiB oom_policy=kill-process exit_bytes=64KiB reserve_bytes=0 "
     "proc_quota_bytes=0 reserved_procs=2 fallible=false net_in_main=false",
     "panic", "hit a second OOM"},
    {"kill-process-system", "Option 1 with the OOM in the network poll loop, a system process",
     "heap_bytes=1MiB oom_policy=kill-process exit_bytes=0 reserve_bytes=0 proc_quota_bytes=0 "
     "reserved_procs=3 fallible=false net_in_main=true",
     "panic", "on a system process"},
    {"reserve", "Option 3: the emergency reserve lets the teardown finish",
     "heap_bytes=1MiB oom_policy=reserve exit_bytes=64KiB reserve_bytes=128KiB "
     "proc_quota_bytes=0 reserved_procs=2 fallible=false net_in_main=false",
     "pass", NULL},
    {"quota", "Option 4: a per-process quota refuses the flood before the heap runs out",
     "heap_bytes=1MiB oom_policy=halt exit_bytes=64KiB reserve_bytes=0 "
     "proc_quota_bytes=256KiB reserved_procs=2 fallible=true net_in_main=false",
     "pass", NULL},
    {"fallible", "Option 2: the session's path uses try_alloc and closes with an error",
     "heap_bytes=1MiB oom_policy=halt exit_bytes=64KiB reserve_bytes=0 proc_quota_bytes=0 "
     "reserved_procs=2 fallible=true net_in_main=false",
     "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(oom_policies,
                       "a session allocates per untrusted length until the heap runs out; "
                       "each OOM policy of the document",
                       oom_policies_params, oom_policies_variants)
{
    st.fallible = (int)sys_param("fallible");
    st.requests = (uint32_t)sys_param("requests");
    st.think_ns = sys_param("think_time");
    st.session_bytes = sys_param("session_bytes");
    st.flood_messages = (uint32_t)sys_param("flood_messages");
    st.held_count = 0;
    st.held_bytes = 0;
    uint32_t sessions = (uint32_t)sys_param("sessions");
    int net_in_main = (int)sys_param("net_in_main");
    st.ready_sem = sys_sem_create("sessions ready", 0);
    if (st.ready_sem < 0) {
        sys_log("server: no semaphore; nothing to do");
        return;
    }

    /* The ordinary sessions first, each set up before the flood begins. */
    for (uint32_t i = 1; i <= sessions; i++)
        if (open_connection(i, 1) != 0)
            sys_log("server: connection %u could not be set up", i);
    for (uint32_t i = 1; i <= sessions; i++)
        if (st.conns[i].session_pid > 0 &&
            sys_sem_wait_timeout((uint32_t)st.ready_sem, SYS_NS_PER_MS) != 0)
            sys_log("server: a session did not come up");

    /* Then the flood, served by session 0 or by the network poll loop here. */
    int flood_rc = open_connection(0, !net_in_main);
    if (flood_rc == 0 && net_in_main) {
        struct connection *c = &st.conns[0];
        serve(c, "network poll loop, connection");
        sys_close(c->end);
    } else if (flood_rc != 0) {
        sys_log("server: connection 0 could not be set up");
    }

    /* Without injected faults every ordinary session finishes: none allocates while
     * the heap is full. An injected allocation failure may still end one the way the
     * policy says (killed, or closed with an error): logged, not checked. */
    uint32_t finished = 0;
    for (uint32_t i = 1; i <= sessions; i++) {
        struct connection *c = &st.conns[i];
        int session_status = reap(c->session_pid);
        int client_status = reap(c->client_pid);
        if (c->session_pid <= 0 || !c->ready)
            continue;
        char words[24];
        sys_check(session_status == 0 || ended_by_policy(session_status),
                  "session %u ended with %s", i, status_words(session_status, words));
        if (session_status != 0) {
            sys_log("server: session %u failed with %s after %u requests", i,
                    status_words(session_status, words), c->served);
            continue;
        }
        sys_check(client_status == 0 && c->answered == c->sent && c->served == c->sent,
                  "session %u: its client sent %u requests, %u were served and %u answered", i,
                  c->sent, c->served, c->answered);
        sys_log("server: session %u finished: %u requests served", i, c->served);
        finished++;
    }
    struct connection *flood = &st.conns[0];
    int flood_status = reap(flood->session_pid);
    reap(flood->client_pid);
    char words[24];
    sys_check(flood_status == 0 || ended_by_policy(flood_status),
              "session 0 (the flood) ended with %s", status_words(flood_status, words));
    sys_log("server: session 0 (the flood) ended with %s after %u of %u headers; "
            "%u of %u ordinary sessions finished",
            status_words(flood_status, words), flood->served, flood->sent, finished, sessions);
}
