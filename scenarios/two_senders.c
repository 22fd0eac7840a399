/* two-senders — two processes, "left" and "right", share a channel; each sends
 * `messages` messages to the other before it receives any. With more messages than
 * a queue holds (queue_depth, 16 by default) both fill the other's queue and block
 * in send, each waiting for room the other will never make: a deadlock, whatever
 * the schedule, at a step that depends on it. It is the example of issue 13: the
 * hang reports of its seeds differ in their numbers (steps, times, the widths of
 * the columns they set), yet it is one bug, and a sweep shows one failure group.
 *
 * fixed (drain=true): a sender whose peer's queue is full takes what is in its own
 * queue before it sends again (a non-blocking send; on -EAGAIN a non-blocking
 * receive, and a microsecond's sleep when there is nothing to take), the cure for a
 * full-duplex protocol over bounded buffers. Its first form received blocking on
 * -EAGAIN, and `detsim explore two-senders --variant fixed --delays 2` found that it
 * deadlocks too: once the peer has sent all it has, that receive waits forever while
 * the peer waits in its own (857 of 11,575 schedules; no seed of a random sweep). */
#include <errno.h>

#include "sim/sys.h"

static const struct config_key two_senders_params[] = {
    {"messages", CONFIG_UINT, 32, 1, 100000, "messages each process sends the other"},
    {"drain", CONFIG_BOOL, 0, 0, 1, "receive while the peer's queue is full (the fix)"},
    {0},
};

struct sender {
    uint32_t end;
    uint64_t messages;
    int drain;
};

/* One message from end, blocking; counts it in *received. */
static void receive_one(uint32_t end, uint64_t *received)
{
    struct chan_received m;
    int rc = sys_chan_recv(end, &m, 0, 0);
    sys_check(rc == 0 && !m.eof, "a receive failed with %d (eof %d)", rc, rc == 0 ? m.eof : 0);
    (*received)++;
}

static void send_all_then_receive(void *arg)
{
    const struct sender *s = arg;
    uint64_t received = 0;
    for (uint64_t sent = 0; sent < s->messages;) {
        int rc = sys_chan_send(s->end, 8, NULL, 0, s->drain ? SYS_NONBLOCK : 0);
        if (rc == -EAGAIN && s->drain) {
            /* The peer's queue is full: make room in ours, or let the peer run. */
            struct chan_received m;
            int got = sys_chan_recv(s->end, &m, SYS_NONBLOCK, 0);
            sys_check(got == -EAGAIN || (got == 0 && !m.eof),
                      "a receive failed with %d (eof %d)", got, got == 0 ? m.eof : 0);
            if (got == 0)
                received++;
            else /* a sleep, not a yield: a strict-priority schedule (PCT) never runs
                  * the peer past a yield loop */
                sys_sleep(SYS_NS_PER_US);
            continue;
        }
        sys_check(rc == 0, "a send failed with %d", rc);
        sent++;
    }
    while (received < s->messages)
        receive_one(s->end, &received);
    sys_close(s->end);
}

static const struct scenario_variant two_senders_variants[] = {
    {"buggy", "each sends all its messages before receiving any", "drain=false",
     "hang-deadlock", "Wait-for cycle"},
    {"fixed", "a sender whose peer is full receives first", "drain=true", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(two_senders,
                       "two processes each send N messages to the other before receiving "
                       "any: with N above the queue depth, both block in send",
                       two_senders_params, two_senders_variants)
{
    static struct sender senders[2]; /* static: the children read them while main waits */
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "no channel");
    const char *names[2] = {"left", "right"};
    int pids[2];
    for (int i = 0; i < 2; i++) {
        senders[i] = (struct sender){ends[i], sys_param("messages"), (int)sys_param("drain")};
        struct sys_spawn_options only = {SPAWN_EXPLICIT, &senders[i].end, 1, 0};
        pids[i] = sys_spawn_with(names[i], send_all_then_receive, &senders[i], &only);
        sys_check(pids[i] > 0, "spawn failed with %d", pids[i]);
    }
    sys_close(ends[0]);
    sys_close(ends[1]);
    for (int i = 0; i < 2; i++)
        sys_wait((uint32_t)pids[i], NULL);
}
