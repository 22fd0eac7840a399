/* bridged-fd-liveness — seed document 003_64baa759fd444514.txt (33B, IPC channel and
 * port model): "Channel endpoint liveness now tracks both handle slots and bridged
 * channel fds; closing the last handle while a bridged fd remains no longer tears
 * down the endpoint, and last-ref teardown wakes both local/peer waiters".
 *
 * A producer holds end A of a channel; a consumer holds end B and receives until EOF.
 * The producer sends a first message through its handle, then turns the endpoint into
 * a bridged fd (kairos_fd_from_handle: the fd writes on the channel payload path) and
 * closes the handle, its last one. It goes on writing through the fd — `messages`
 * more, with pauses drawn from the choice stream, during which the consumer is blocked
 * in receive — and only then, after a last pause, closes the fd. The consumer must get every message and
 * see EOF only after the fd has closed.
 *
 * buggy (bug_liveness_handles_only=true): liveness counts handles only, so closing the
 * last handle tears end A down under the fd. The consumer, blocked in receive, is woken
 * with EOF at once (its check fails: outcome assert, "premature EOF"), and the
 * producer's writes through the fd get -EPIPE.
 *
 * fixed (bug_liveness_handles_only=false): the fd keeps end A alive; the consumer gets
 * all 1 + messages messages, then EOF, after the fd's close, on every seed. Without
 * --variant the model's default applies: the bug switch is off, as in fixed.
 *
 * No handle travels in a message and no port is bound: the default keys serve
 * (handle_transfer does not matter here). */
#include <errno.h>

#include "sim/sys.h"

static const struct config_key bridged_fd_liveness_params[] = {
    {"messages", CONFIG_UINT, 3, 1, 1000, "messages the producer writes through the fd"},
    {0},
};

struct bridge {
    uint32_t ends[2];   /* A: the producer's, B: the consumer's (same indices in each) */
    uint32_t expected;  /* messages the producer got onto the channel */
    int bridged;        /* the producer has a bridged fd onto end A */
    int fd_closed;      /* ... and has closed it */
};

/* A pause drawn from the choice stream: none, a scheduling point, or 100 us. */
static void pause_a_while(void)
{
    uint64_t pick = sys_choose(3);
    if (pick == 1)
        sys_yield();
    else if (pick == 2)
        sys_sleep(100 * SYS_NS_PER_US);
}

static void producer(void *arg)
{
    struct bridge *b = arg;
    uint32_t end = b->ends[0];
    if (sys_chan_send(end, 32, NULL, 0, 0) == 0)
        b->expected++;
    int fd = sys_fd_from_handle(end);
    if (fd < 0) {
        sys_log("producer: no bridged fd (%d); closing the handle", fd);
        sys_close(end);
        return;
    }
    /* Let the consumer block in receive, then drop the last handle: the fd remains. */
    b->bridged = 1;
    sys_sleep(SYS_NS_PER_MS);
    sys_close(end);
    uint32_t messages = (uint32_t)sys_param("messages");
    for (uint32_t i = 0; i < messages; i++) {
        pause_a_while();
        int rc = sys_chan_send((uint32_t)fd, 32, NULL, 0, 0);
        if (rc == 0)
            b->expected++;
        else
            sys_log("producer: a write through the fd failed with %d", rc);
    }
    /* It lingers before closing the fd, as a writer flushing would. */
    sys_sleep(100 * SYS_NS_PER_US);
    sys_close((uint32_t)fd);
    b->fd_closed = 1;
}

static void consumer(void *arg)
{
    struct bridge *b = arg;
    uint32_t received = 0;
    for (;;) {
        struct chan_received m;
        int rc = sys_chan_recv(b->ends[1], &m, 0, 0);
        if (rc != 0) {
            sys_log("consumer: receive failed with %d", rc);
            break;
        }
        if (m.eof) {
            /* Without a bridged fd (a spawn or the fd refused), EOF is due at once. */
            sys_check(!b->bridged || b->fd_closed,
                      "premature EOF on channel end B after %u messages: its peer end A was "
                      "torn down when its last handle closed, while a bridged fd onto it "
                      "was still open",
                      received);
            sys_check(received == b->expected, "EOF after %u of %u messages", received,
                      b->expected);
            break;
        }
        received++;
    }
    sys_close(b->ends[1]);
}

static const struct scenario_variant bridged_fd_liveness_variants[] = {
    {"buggy", "endpoint liveness counts handles only, not bridged fds",
     "bug_liveness_handles_only=true", "assert", "premature EOF"},
    {"fixed", "a bridged fd keeps its endpoint alive (the model's default)", "bug_liveness_handles_only=false", "pass",
     NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(bridged_fd_liveness,
                       "the last handle onto a channel end closes while a bridged fd onto it "
                       "remains; the peer must see EOF only when the fd closes",
                       bridged_fd_liveness_params, bridged_fd_liveness_variants)
{
    static struct bridge b;
    b = (struct bridge){0};
    if (sys_chan_create(b.ends) != 0) {
        sys_log("no channel; nothing to do");
        return;
    }
    struct sys_spawn_options only_a = {SPAWN_EXPLICIT, &b.ends[0], 1, 0};
    struct sys_spawn_options only_b = {SPAWN_EXPLICIT, &b.ends[1], 1, 0};
    int pids[2] = {sys_spawn_with("consumer", consumer, &b, &only_b),
                   sys_spawn_with("producer", producer, &b, &only_a)};
    sys_close(b.ends[0]);
    sys_close(b.ends[1]);
    for (int i = 0; i < 2; i++)
        if (pids[i] > 0)
            sys_wait((uint32_t)pids[i], NULL);
}
