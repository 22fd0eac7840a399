/* ktest-channel-exhaustion — seed document 000_dbfce04f6982f07a.txt, bug 0012:
 * "ktest channel exhaustion hangs test suite".
 *
 * The kernel's own test suite (ktest) hangs in the "Regression -- Cap Ref Counting"
 * section. Its tests spawn hello-std children, each of which uses several channel
 * slots: a stdio channel, the channel its capability is delivered over (or the
 * capability itself, passed at spawn), and the namespace connection its runtime
 * opens. The tests do not wait for these children: they print, keep running for a
 * while and exit on their own, releasing their slots only then. run_test() runs
 * every test twice (warm-up and real), so the slots of children that have not yet
 * finished exiting pile up. With MAX_CHANNELS = 64 the table is full by the time
 * cap_delivery_via_spawn runs: channel_create_pair fails with -ENFILE and logs
 * "[ipc] channel_create_pair: all 64 slots exhausted". The failure is propagated
 * silently: the code goes on without the channel, the child never receives its
 * capability, and the test waits forever for a delivery that cannot happen. The
 * children of earlier tests keep printing and exit; ktest never reaches the "Block
 * Device" section nor prints its results.
 *
 * The three fixes of the document are separate knobs: max_channels=1024 (room for
 * MAX_PROCS x MAX_HANDLES), a per-process limit (per_proc_channel_limit, bug 0013)
 * and drain (ktest's yield_drain: yields at section boundaries, so exiting children
 * release their slots before the next spawn-heavy section). propagate_errors=true
 * is the other half of the bug class: the error is reported, and the suite fails
 * loudly (an assert naming -ENFILE) instead of hanging.
 *
 * The suite: "Process Lifecycle" (spawn_hello_std, whose children are still
 * exiting when the next section starts), "Regression -- Cap Ref Counting"
 * (ns_override_cap_delivery, two_children_shared_override, which prints a LEAK
 * line when the children still hold the shared override, cap_delivery_via_spawn),
 * "Block Device" (blk_read_write, blk_flush), then the results line. Every test
 * runs in a process named after it (scenarios/lib/ktest.h).
 *
 * The kernel's capabilities move when they are delivered: every variant sets
 * handle_transfer=move (Linux's SCM_RIGHTS would copy them, and the test, which
 * never closes a capability it sent, would hold every one of them). Its channels
 * are the kernel's own, which raise no SIGPIPE, as a SOCK_SEQPACKET socket does
 * not either; it uses no port. */
#include <errno.h>

#include "scenarios/lib/ktest.h"
#include "sim/sys.h"

static const struct config_key ktest_channel_exhaustion_params[] = {
    {"children", CONFIG_UINT, 4, 1, 16, "hello-std children each spawning test starts per run",
     NULL},
    {"child_linger", CONFIG_UINT, 250, 0, 100000,
     "yields a hello-std child runs after its test is done with it (each child draws 1/2x to "
     "3/2x): how long it takes to exit",
     NULL},
    {"drain", CONFIG_UINT, 0, 0, 100000,
     "yields of ktest's yield_drain at each section boundary (0: no drain)", NULL},
    {"propagate_errors", CONFIG_BOOL, 0, 0, 1,
     "a failed channel_create_pair fails the test (false: it is ignored and the code goes on "
     "without the channel, the bug)",
     NULL},
    {0},
};

#define HELLO_MAX 512
#define NO_HANDLE UINT32_MAX

/* One hello-std child. Lives in static storage: a child outlives the test that
 * spawned it. */
struct hello {
    int sem;            /* posted when the child has its capability (or reports an error) */
    int result;         /* 0, or the error the child reports (propagate_errors) */
    const char *failed; /* what failed with result */
    int expects_cap;    /* the test waits for this child's capability */
    int shared;         /* the capability is the shared override (counted in holders) */
    uint32_t stdio;     /* the child's handles: same indices as in the test (explicit spawn) */
    uint32_t delivery;  /* a channel the capability arrives on, NO_HANDLE when none */
    uint32_t cap;       /* the capability passed at spawn, NO_HANDLE when none */
    uint64_t linger;    /* yields before it exits */
};

static struct {
    struct hello hellos[HELLO_MAX];
    uint32_t hello_count;
    int propagate;
    uint32_t children;
    uint64_t linger;
    uint32_t override_holders; /* children holding the shared override */
} ex;

/* channel_create_pair as the test code calls it. On failure with propagate_errors
 * the test fails, naming the error; without, the failure is swallowed and the code
 * goes on with no channel (the ends are NO_HANDLE): the bug. */
static int make_pair(const char *what, uint32_t ends[2])
{
    int rc = sys_chan_create(ends);
    if (rc == 0)
        return 0;
    ends[0] = ends[1] = NO_HANDLE;
    if (ex.propagate) {
        ktest_fail("channel_create_pair for the %s failed with %s", what, ktest_error_name(rc));
        return rc;
    }
    return 0;
}

static void close_if_open(uint32_t handle)
{
    if (handle != NO_HANDLE)
        sys_close(handle);
}

static void report(struct hello *h, int result, const char *failed)
{
    h->result = result;
    h->failed = failed;
    if (h->sem > 0)
        sys_sem_post((uint32_t)h->sem);
}

/* hello-std: opens its namespace connection, says hello, receives its capability,
 * then keeps running for a while (printing) before it exits. */
static void hello_std(void *arg)
{
    struct hello *h = arg;
    uint32_t pid = sys_getpid();
    uint32_t ns[2];
    int rc = sys_chan_create(ns); /* held until exit, as the runtime's connection */
    if (rc != 0 && ex.propagate) {
        sys_console("hello-std[%u]: channel_create_pair for the namespace failed with %s", pid,
                ktest_error_name(rc));
        report(h, rc, "channel_create_pair for its namespace failed with");
        return;
    }
    sys_log("hello-std[%u]: Hello, world!", pid);
    int holds_override = 0;
    if (h->expects_cap) {
        int got = 0;
        if (h->cap != NO_HANDLE) {
            /* Delivered at spawn: prove it works by a message through it. */
            rc = sys_chan_send(h->cap, 8, NULL, 0, SYS_NONBLOCK);
            got = rc == 0;
        } else if (h->delivery != NO_HANDLE) {
            struct chan_received m;
            rc = sys_chan_recv(h->delivery, &m, 0, 0);
            got = rc == 0 && !m.eof && m.handle_count == 1;
            if (rc == 0 && m.eof)
                rc = -EPIPE;
        } else {
            rc = -EBADF; /* spawned without the channel its capability comes on */
        }
        if (got) {
            holds_override = h->shared;
            ex.override_holders += (uint32_t)holds_override;
            sys_log("hello-std[%u]: capability received", pid);
            report(h, 0, NULL);
        } else if (ex.propagate) {
            report(h, rc ? rc : -EBADF, "its capability did not arrive:");
        }
        /* Otherwise the capability never came, and nobody is told. */
    }
    for (uint64_t i = 0; i < h->linger; i++) {
        if (i % 16 == 15)
            sys_log("hello-std[%u]: still running", pid);
        sys_yield();
    }
    ex.override_holders -= (uint32_t)holds_override;
}

/* Spawns one hello-std with a stdio channel and, when the test delivers it a
 * capability, the delivery channel (the test's end goes to *delivery) or the
 * capability itself (cap_at_spawn: the child's end is passed at spawn, the test
 * keeps the other in *delivery). Returns 0 or an error (propagate_errors only). */
static int spawn_hello(struct hello *h, int sem, int expects_cap, int cap_at_spawn,
                       uint32_t *delivery)
{
    if (ex.hello_count == HELLO_MAX) {
        ktest_fail("more than %d hello-std children", HELLO_MAX);
        return -ENOMEM;
    }
    *h = (struct hello){sem, 0, NULL, expects_cap, 0, NO_HANDLE, NO_HANDLE, NO_HANDLE, 0};
    uint64_t low = ex.linger / 2;
    h->linger = low + sys_choose(ex.linger + 1);
    uint32_t stdio[2], channel[2] = {NO_HANDLE, NO_HANDLE};
    int rc = make_pair("stdio", stdio);
    if (rc != 0)
        return rc;
    if (expects_cap) {
        rc = make_pair(cap_at_spawn ? "capability" : "capability delivery", channel);
        if (rc != 0) {
            close_if_open(stdio[0]);
            close_if_open(stdio[1]);
            return rc;
        }
    }
    uint32_t list[2];
    uint32_t count = 0;
    /* Only the handles the test has: a channel that was never created is not passed,
     * so the child starts without it. */
    if (stdio[1] != NO_HANDLE)
        list[count++] = h->stdio = stdio[1];
    if (channel[1] != NO_HANDLE) {
        list[count++] = channel[1];
        if (cap_at_spawn)
            h->cap = channel[1];
        else
            h->delivery = channel[1];
    }
    struct sys_spawn_options options = {SPAWN_EXPLICIT, list, count, 0};
    int pid = sys_spawn_with("hello-std", hello_std, h, &options);
    /* The child has its copies; the test keeps only its end of the capability
     * channel. Its stdio goes to the console, not to the test. */
    close_if_open(stdio[0]);
    close_if_open(stdio[1]);
    close_if_open(channel[1]);
    *delivery = channel[0];
    if (pid < 0 && ex.propagate) {
        ktest_fail("spawn of hello-std failed with %s", ktest_error_name(pid));
        close_if_open(channel[0]);
        return pid;
    }
    return 0;
}

static struct hello *new_hello(void)
{
    return &ex.hellos[ex.hello_count < HELLO_MAX ? ex.hello_count++ : HELLO_MAX - 1];
}

/* Waits until count children have their capability; 0, or the first error one
 * reported. Without propagate_errors a child that never got it never posts: the
 * test waits forever. */
static int wait_for_delivery(int sem, struct hello **hellos, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        sys_sem_wait((uint32_t)sem);
    for (uint32_t i = 0; i < count; i++)
        if (hellos[i]->result != 0) {
            ktest_fail("hello-std %u: %s %s", i, hellos[i]->failed,
                       ktest_error_name(hellos[i]->result));
            return hellos[i]->result;
        }
    return 0;
}

static int new_sem(void)
{
    int sem = sys_sem_create("capability delivered", 0);
    if (sem < 0)
        ktest_fail("sem_create failed with %s", ktest_error_name(sem));
    return sem;
}

/* ---- the tests ---------------------------------------------------------------------- */

static int spawn_hello_std(void *unused)
{
    (void)unused;
    for (uint32_t i = 0; i < ex.children; i++) {
        uint32_t none;
        int rc = spawn_hello(new_hello(), 0, 0, 0, &none);
        if (rc != 0)
            return rc;
    }
    return 0; /* the children exit on their own */
}

/* Each child gets a namespace override as a capability over its delivery channel. */
static int ns_override_cap_delivery(void *unused)
{
    (void)unused;
    int sem = new_sem();
    if (sem < 0)
        return sem;
    struct hello *hellos[16];
    for (uint32_t i = 0; i < ex.children; i++) {
        uint32_t delivery;
        hellos[i] = new_hello();
        int rc = spawn_hello(hellos[i], sem, 1, 0, &delivery);
        if (rc != 0)
            return rc;
        uint32_t override[2];
        rc = make_pair("namespace override", override);
        if (rc != 0)
            return rc;
        if (delivery != NO_HANDLE && override[0] != NO_HANDLE) {
            rc = sys_chan_send(delivery, 16, &override[0], 1, 0);
            if (rc != 0 && ex.propagate) {
                ktest_fail("capability send failed with %s", ktest_error_name(rc));
                return rc;
            }
        }
        close_if_open(delivery);
        /* override[1], the namespace side, stays with the test until it exits. */
    }
    return wait_for_delivery(sem, hellos, ex.children);
}

/* Two children share one override: the test sends its handle to one and a second
 * handle onto the same endpoint to the other, then checks that nobody else holds
 * it once it has dropped its own. The children still do: LEAK. */
static int two_children_shared_override(void *unused)
{
    (void)unused;
    int sem = new_sem();
    if (sem < 0)
        return sem;
    uint32_t override[2];
    int rc = make_pair("shared override", override);
    if (rc != 0)
        return rc;
    uint32_t caps[2] = {override[0], NO_HANDLE};
    if (override[0] != NO_HANDLE) {
        int dup = sys_fd_from_handle(override[0]);
        if (dup < 0 && ex.propagate) {
            ktest_fail("duplicating the override failed with %s", ktest_error_name(dup));
            return dup;
        }
        caps[1] = dup < 0 ? NO_HANDLE : (uint32_t)dup;
    }
    struct hello *hellos[2];
    for (uint32_t i = 0; i < 2; i++) {
        uint32_t delivery;
        hellos[i] = new_hello();
        rc = spawn_hello(hellos[i], sem, 1, 0, &delivery);
        if (rc != 0)
            return rc;
        hellos[i]->shared = 1;
        if (delivery != NO_HANDLE && caps[i] != NO_HANDLE) {
            rc = sys_chan_send(delivery, 16, &caps[i], 1, 0);
            if (rc != 0 && ex.propagate) {
                ktest_fail("capability send failed with %s", ktest_error_name(rc));
                return rc;
            }
        }
        close_if_open(delivery);
    }
    rc = wait_for_delivery(sem, hellos, 2);
    if (rc != 0)
        return rc;
    close_if_open(override[1]);
    if (ex.override_holders)
        sys_console("ktest: two_children_shared_override: LEAK: override still held by %u "
                    "children after the test dropped it",
                    ex.override_holders);
    return 0;
}

/* The capability is passed in the spawn's handle list; each child proves it has it
 * with a message through it. */
static int cap_delivery_via_spawn(void *unused)
{
    (void)unused;
    int sem = new_sem();
    if (sem < 0)
        return sem;
    struct hello *hellos[16];
    uint32_t kept[16];
    for (uint32_t i = 0; i < ex.children; i++) {
        hellos[i] = new_hello();
        int rc = spawn_hello(hellos[i], sem, 1, 1, &kept[i]);
        if (rc != 0)
            return rc;
    }
    return wait_for_delivery(sem, hellos, ex.children);
}

/* The block-device tests: a request queue to the device and back. */
static int blk_request(uint64_t bytes)
{
    uint32_t queue[2];
    int rc = sys_chan_create(queue);
    if (rc != 0 && !ex.propagate)
        return 0; /* the bug: ktest's channel code swallows the error here too */
    if (rc != 0) {
        ktest_fail("channel_create_pair for the request queue failed with %s",
                   ktest_error_name(rc));
        return rc;
    }
    rc = sys_chan_send(queue[0], bytes, NULL, 0, 0);
    struct chan_received m;
    if (rc == 0)
        rc = sys_chan_recv(queue[1], &m, 0, 0);
    sys_close(queue[0]);
    sys_close(queue[1]);
    if (rc == -ENOMEM)
        return 0; /* the heap refused the buffer: the device would retry */
    if (rc != 0)
        ktest_fail("request of %llu bytes failed with %s", (unsigned long long)bytes,
                   ktest_error_name(rc));
    return rc;
}

static int blk_read_write(void *unused)
{
    (void)unused;
    return blk_request(512);
}

static int blk_flush(void *unused)
{
    (void)unused;
    return blk_request(16);
}

static const struct scenario_variant ktest_channel_exhaustion_variants[] = {
    {"buggy", "64 slots, no per-process limit, no drain, errors swallowed",
     "handle_transfer=move max_channels=64 per_proc_channel_limit=0 drain=0 propagate_errors=false",
     "hang-deadlock", "all 64 slots exhausted"},
    {"fixed", "the document's three fixes: 1024 slots, a per-process limit of 16, drain 50",
     "handle_transfer=move max_channels=1024 per_proc_channel_limit=16 drain=50 propagate_errors=false", "pass",
     NULL},
    {"slots-1024", "only the larger table (MAX_PROCS x MAX_HANDLES)",
     "handle_transfer=move max_channels=1024 per_proc_channel_limit=0 drain=0 propagate_errors=false", "pass", NULL},
    {"per-process-limit", "only the per-process limit (16): no single process hogs here",
     "handle_transfer=move max_channels=64 per_proc_channel_limit=16 drain=0 propagate_errors=false",
     "hang-deadlock", "all 64 slots exhausted"},
    {"drain", "only yield_drain(50) at the section boundaries",
     "handle_transfer=move max_channels=64 per_proc_channel_limit=0 drain=50 propagate_errors=false",
     "hang-deadlock", "all 64 slots exhausted"},
    {"propagate", "64 slots, the error reported: the suite fails loudly instead of hanging",
     "handle_transfer=move max_channels=64 per_proc_channel_limit=0 drain=0 propagate_errors=true", "assert",
     "failed with -ENFILE"},
    {0},
};

SCENARIO_WITH_VARIANTS(ktest_channel_exhaustion,
                       "ktest's Cap Ref Counting tests exhaust the 64 channel slots with "
                       "children still exiting; the swallowed -ENFILE hangs the suite (0012)",
                       ktest_channel_exhaustion_params, ktest_channel_exhaustion_variants)
{
    ex.hello_count = 0;
    ex.override_holders = 0;
    ex.propagate = (int)sys_param("propagate_errors");
    ex.children = (uint32_t)sys_param("children");
    ex.linger = sys_param("child_linger");
    uint32_t drain = (uint32_t)sys_param("drain");
    ktest_init();

    ktest_section("Process Lifecycle");
    ktest_run_test("spawn_hello_std", spawn_hello_std, NULL);
    ktest_yield_drain(drain);

    ktest_section("Regression -- Cap Ref Counting");
    ktest_run_test("ns_override_cap_delivery", ns_override_cap_delivery, NULL);
    ktest_run_test("two_children_shared_override", two_children_shared_override, NULL);
    ktest_run_test("cap_delivery_via_spawn", cap_delivery_via_spawn, NULL);
    ktest_yield_drain(drain);

    ktest_section("Block Device");
    ktest_run_test("blk_read_write", blk_read_write, NULL);
    ktest_run_test("blk_flush", blk_flush, NULL);

    uint32_t failed = ktest_results();
    sys_check(failed == 0, "ktest: %u of %u tests failed; first failure: %s", failed,
              failed + ktest_passed(), ktest_first_failure());
}
