/* channel-close-race — seed document 003_64baa759fd444514.txt (33B, IPC channel and
 * port model): "send/recv/poll/close paths share unified state predicates so close
 * races consistently resolve to EOF/-EPIPE without stranded blockers", and "last-ref
 * teardown wakes both local/peer waiters so blocked channel send/recv observe closure
 * promptly".
 *
 * Each round runs two pairs of processes at once over fresh channels. In the first,
 * a receiver waits in a blocking receive while its peer (the closer) closes the other
 * end. In the second, a sender fills its peer's bounded queue and then blocks in send,
 * while the peer (a reader that never reads) closes its end. When each close lands is
 * drawn from the choice stream: at once (it may come before the receive or the send
 * blocks), after a few scheduling points (a race either way), or after 1 ms (while the
 * other side is surely blocked); most closes land while blocked.
 *
 * buggy (bug_close_no_wake=true): the teardown does not wake the waiters of the peer
 * end, so a receiver blocked when the close lands sleeps forever: a stranded blocker.
 * The run ends as hang-deadlock; the report shows the receiver blocked in chan_recv on
 * an end whose peer is closed, with the peer's reference history (its last put). The
 * sender pair still sees -EPIPE: a blocked sender waits on the closing end's own
 * queue (it waits for room in that end's inbox), which the teardown always wakes.
 *
 * fixed (bug_close_no_wake=false): every close wakes both ends' waiters; on every seed
 * each receiver gets EOF and each sender -EPIPE, which the scenario checks. Without
 * --variant the model's default applies: the bug switch is off, as in fixed.
 *
 * Its channels are 003's: no handle travels and no port is bound, so the default
 * keys serve; a send to a closed peer gets -EPIPE and no SIGPIPE, as 003's channels
 * and Linux's SOCK_SEQPACKET sockets both do. */
#include <errno.h>

#include "sim/sys.h"

static const struct config_key channel_close_race_params[] = {
    {"rounds", CONFIG_UINT, 3, 1, 1000, "rounds; each runs a receive pair and a send pair"},
    {0},
};

struct race_end {
    uint32_t end;   /* the handle, at the same index in the child (explicit spawn) */
    uint32_t round;
};

/* Closes end after a delay drawn from the choice stream: none (1 in 8), a few
 * scheduling points (1 in 8), or 1 ms of virtual time (6 in 8). */
static void close_after_a_delay(uint32_t end)
{
    uint64_t pick = sys_choose(8);
    if (pick == 1)
        for (uint64_t i = 1 + sys_choose(4); i > 0; i--)
            sys_yield();
    else if (pick > 1)
        sys_sleep(SYS_NS_PER_MS);
    sys_close(end);
}

static void closer(void *arg)
{
    close_after_a_delay(((struct race_end *)arg)->end);
}

/* A reader that never reads: it closes its end with the queue full. */
static void slow_reader(void *arg)
{
    close_after_a_delay(((struct race_end *)arg)->end);
}

static void receiver(void *arg)
{
    const struct race_end *a = arg;
    struct chan_received m;
    int rc = sys_chan_recv(a->end, &m, 0, 0);
    sys_check(rc == 0 && m.eof,
              "round %u: the receive on a channel whose peer closed returned %d (eof %d), "
              "not EOF",
              a->round, rc, rc == 0 ? m.eof : 0);
    sys_close(a->end);
}

static void sender(void *arg)
{
    const struct race_end *a = arg;
    /* Fill the peer's queue without blocking, then block on the full queue. */
    int rc;
    while ((rc = sys_chan_send(a->end, 8, NULL, 0, SYS_NONBLOCK)) == 0)
        ;
    if (rc == -EAGAIN)
        rc = sys_chan_send(a->end, 8, NULL, 0, 0);
    sys_check(rc == -EPIPE,
              "round %u: the send on a channel whose peer closed returned %d, not -EPIPE",
              a->round, rc);
    sys_close(a->end);
}

/* Spawns fn with only end (at the same index). Returns the pid, or a negative code. */
static int spawn_with_end(const char *name, void (*fn)(void *), struct race_end *arg)
{
    struct sys_spawn_options only = {SPAWN_EXPLICIT, &arg->end, 1, 0};
    return sys_spawn_with(name, fn, arg, &only);
}

/* Starts the two processes of a pair over a fresh channel; pids[] get their pids (or
 * a negative code). The caller's copies of both ends are closed. */
static void start_pair(uint32_t round, const char *names[2], void (*fns[2])(void *),
                       struct race_end args[2], int pids[2])
{
    uint32_t ends[2];
    pids[0] = pids[1] = -1;
    if (sys_chan_create(ends) != 0) {
        sys_log("round %u: no channel for the %s pair; skipped", round, names[0]);
        return;
    }
    for (int i = 0; i < 2; i++) {
        args[i] = (struct race_end){ends[i], round};
        pids[i] = spawn_with_end(names[i], fns[i], &args[i]);
    }
    /* A pair missing one side still ends: the other sees its peer closed. */
    sys_close(ends[0]);
    sys_close(ends[1]);
}

static const struct scenario_variant channel_close_race_variants[] = {
    {"buggy", "a close does not wake the peer's blocked waiters",
     "bug_close_no_wake=true", "hang-deadlock", "this end open, the peer closed"},
    {"fixed", "the teardown wakes both ends' waiters: EOF and -EPIPE (the model's default)", "bug_close_no_wake=false",
     "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(channel_close_race,
                       "a channel end closes while its peer is blocked in receive or in "
                       "send on a full queue",
                       channel_close_race_params, channel_close_race_variants)
{
    /* Static: children read their arguments while main waits. */
    static struct race_end args[4];
    uint32_t rounds = (uint32_t)sys_param("rounds");
    for (uint32_t round = 0; round < rounds; round++) {
        static const char *recv_names[2] = {"receiver", "closer"};
        static const char *send_names[2] = {"sender", "slow-reader"};
        void (*recv_fns[2])(void *) = {receiver, closer};
        void (*send_fns[2])(void *) = {sender, slow_reader};
        int pids[4];
        start_pair(round, recv_names, recv_fns, &args[0], &pids[0]);
        start_pair(round, send_names, send_fns, &args[2], &pids[2]);
        for (int i = 0; i < 4; i++)
            if (pids[i] > 0)
                sys_wait((uint32_t)pids[i], NULL);
    }
}
