/* ipc-workload — all three models at once, with every error path handled: a parent
 * hands each worker one end of a channel (explicit spawn), listens on a port, and
 * drains what the workers send: small inline messages, heap-charged payloads, and
 * messages carrying a fresh channel's handle. Workers also allocate from the heap.
 * Any allocation may fail (heap_fail_nth makes the Nth one fail): the scenario must
 * then still finish with nothing leaked and every message accounted for. It is the
 * workload of the allocation-failure loop and a model-heavy benchmark.
 *
 * Linux's semantics, the default keys: a handle it sends is a copy the worker
 * closes (SCM_RIGHTS); with --set handle_transfer=move it is moved instead. */
#include <errno.h>
#include <string.h>

#include "sim/sys.h"

#define WORKERS_MAX 500 /* with max_procs, max_handles and max_channels raised to match */

static const struct config_key ipc_workload_params[] = {
    {"workers", CONFIG_UINT, 4, 1, WORKERS_MAX, "worker processes"},
    {"messages", CONFIG_UINT, 6, 1, 100000, "messages each worker sends"},
    {"large_bytes", CONFIG_BYTES, 4096, 1, 1 << 20, "size of every other message"},
    {"infallible", CONFIG_BOOL, 0, 0, 1,
     "workers allocate with sys_alloc (the OOM policy applies) instead of sys_try_alloc"},
    {0},
};

struct workload {
    int infallible;
    uint64_t messages;
    uint64_t large_bytes;
    uint64_t sent[WORKERS_MAX];     /* per worker: messages that were accepted */
    uint64_t received[WORKERS_MAX]; /* per worker: messages the parent read */
    int dropped[WORKERS_MAX];       /* per worker: its channel was given up (-EMFILE) */
    uint32_t handles_received;
};

struct worker_arg {
    struct workload *load;
    uint32_t index;
    uint32_t end; /* this worker's end of its channel */
};

static void worker(void *arg)
{
    struct worker_arg *a = arg;
    struct workload *load = a->load;
    for (uint64_t i = 0; i < load->messages; i++) {
        uint64_t bytes = i % 2 ? load->large_bytes : 64;
        uint32_t ends[2];
        int carrying = i % 3 == 2 && sys_chan_create(ends) == 0;
        int rc = sys_chan_send(a->end, bytes, carrying ? &ends[0] : NULL, carrying ? 1 : 0, 0);
        if (rc == 0)
            load->sent[a->index]++;
        else
            sys_check(rc == -ENOMEM || rc == -EPIPE, "send failed with %d", rc);
        if (carrying) {
            /* Still ours when the send failed, or when it sent a copy (SCM_RIGHTS, the
             * default handle_transfer); a moved handle is gone. */
            if (rc != 0 || sys_param("handle_transfer") == 0)
                sys_close(ends[0]);
            sys_close(ends[1]);
        }
        int64_t block = load->infallible ? sys_alloc(512) : sys_try_alloc(512);
        if (block > 0)
            sys_free((uint32_t)block);
    }
    sys_close(a->end);
}

static void drain(struct workload *load, uint32_t index, uint32_t end, int *open)
{
    for (;;) {
        struct chan_received m;
        int rc = sys_chan_recv(end, &m, *open == 2 ? 0 : SYS_NONBLOCK, 0);
        if (rc == -EAGAIN)
            return;
        if (rc == -EMFILE) {
            /* No room for the carried handles: give this channel up. Closing it
             * destroys the queued message and releases what it carries. */
            load->dropped[index] = 1;
            sys_close(end);
            *open = 0;
            return;
        }
        sys_check(rc == 0, "recv failed with %d", rc);
        if (m.eof) {
            sys_close(end);
            *open = 0;
            return;
        }
        load->received[index]++;
        for (uint32_t k = 0; k < m.handle_count; k++) {
            load->handles_received++;
            sys_close(m.handles[k]);
        }
    }
}

SCENARIO(ipc_workload,
         "workers send messages and handles to a parent over channels and a port; "
         "handles every allocation failure",
         ipc_workload_params)
{
    static struct workload load;
    static struct worker_arg args[WORKERS_MAX];
    load = (struct workload){0};
    load.messages = sys_param("messages");
    load.large_bytes = sys_param("large_bytes");
    load.infallible = (int)sys_param("infallible");
    uint32_t workers = (uint32_t)sys_param("workers");
    /* static, like load: 6 KiB of locals would crowd a 16 KiB task stack */
    static uint32_t ends[WORKERS_MAX];
    static int open[WORKERS_MAX]; /* 1: draining via the port, 2: draining by blocking recv */
    static int pids[WORKERS_MAX];
    memset(open, 0, sizeof open);
    int port = sys_port_create(); /* without a port, drain each channel in turn */
    for (uint32_t i = 0; i < workers; i++) {
        uint32_t pair[2];
        pids[i] = -1;
        if (sys_chan_create(pair) != 0)
            continue;
        args[i] = (struct worker_arg){&load, i, pair[1]};
        struct sys_spawn_options explicit_end = {SPAWN_EXPLICIT, &pair[1], 1, 0};
        pids[i] = sys_spawn_with("worker", worker, &args[i], &explicit_end);
        sys_close(pair[1]);
        if (pids[i] < 0) {
            sys_close(pair[0]);
            continue;
        }
        ends[i] = pair[0];
        open[i] = port >= 0 && sys_port_bind((uint32_t)port, pair[0], i) == 0 ? 1 : 2;
    }
    for (uint32_t i = 0; i < workers; i++)
        if (open[i] == 2)
            while (open[i])
                drain(&load, i, ends[i], &open[i]);
    for (;;) {
        int pending = 0;
        for (uint32_t i = 0; i < workers; i++)
            pending |= open[i];
        if (!pending)
            break;
        struct port_event event;
        int rc = sys_port_wait((uint32_t)port, &event, 0, 0);
        sys_check(rc == 0 && event.key < workers, "port_wait failed with %d", rc);
        if (open[event.key])
            drain(&load, (uint32_t)event.key, ends[event.key], &open[event.key]);
    }
    if (port >= 0)
        sys_close((uint32_t)port);
    for (uint32_t i = 0; i < workers; i++) {
        int status = 0;
        if (pids[i] > 0)
            sys_check(sys_wait((uint32_t)pids[i], &status) == pids[i], "worker %u not reaped", i);
        sys_check(status == 0 || (load.infallible && SYS_WIFSIGNALED(status) &&
                                  SYS_WTERMSIG(status) == SIG_KILL),
                  "worker %u ended with status %#x", i, status);
        sys_check(load.dropped[i] ? load.received[i] <= load.sent[i]
                                  : load.received[i] == load.sent[i],
                  "worker %u: %llu messages accepted, %llu received", i,
                  (unsigned long long)load.sent[i], (unsigned long long)load.received[i]);
    }
    sys_check(sys_handle_count() == 0, "main still holds %u handles", sys_handle_count());
}
