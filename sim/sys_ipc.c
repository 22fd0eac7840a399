/* sys_ipc — channels, ports and the kernel heap over the models. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "sys.h"
#include "sys_int.h"
#include "linux/linux_sys.h"

static uint64_t endpoint_object(uint32_t handle)
{
    struct world *w = sys_world();
    struct proc *p = proc_get(w, sys_getpid());
    if (!p || handle >= w->max_handles || p->handles[handle].kind == HANDLE_FREE ||
        p->handles[handle].kind == HANDLE_PORT)
        return 0;
    return chan_endpoint(w, p->handles[handle].object)->readers.id;
}

int sys_chan_create(uint32_t ends[2])
{
    SYS_ON_LINUX(linux_sys_chan_create(ends));
    sched_point_call(TRACE_OP_CHAN_CREATE, 0, 0);
    uint32_t got[2] = {0, 0};
    int rc = chan_create(sys_model_begin(), sys_getpid(), got);
    sys_model_end();
    if (rc == 0) {
        ends[0] = got[0];
        ends[1] = got[1];
    }
    sched_emit(TRACE_OP_CHAN_CREATE, rc == 0 ? endpoint_object(got[0]) : 0, 0, rc,
               WAITQ_WAKE_NONE);
    return rc;
}

struct send_call {
    uint32_t handle;
    uint64_t bytes;
    const uint32_t *carried;
    uint32_t count;
    int nonblocking;
};

static int send_call(struct world *w, uint32_t pid, void *context)
{
    const struct send_call *c = context;
    return chan_send(w, pid, c->handle, c->bytes, c->carried, c->count, c->nonblocking);
}

int sys_chan_send(uint32_t handle, uint64_t bytes, const uint32_t *handles, uint32_t count,
                  int flags)
{
    SYS_ON_LINUX(linux_sys_chan_send(handle, bytes, handles, count, flags));
    sched_point_call(TRACE_OP_CHAN_SEND, handle, bytes);
    enum waitq_wake wake;
    uint64_t object = endpoint_object(handle);
    struct send_call call = {handle, bytes, handles, count, flags & SYS_NONBLOCK};
    int rc = sys_blocking_call(TRACE_OP_CHAN_SEND, handle, 0, SYS_CALL_RESTARTABLE, &wake,
                               send_call, &call);
    sched_emit(TRACE_OP_CHAN_SEND, object, (int64_t)bytes, rc, wake);
    return rc;
}

struct recv_call {
    uint32_t handle;
    struct chan_received *out;
    int nonblocking;
};

static int recv_call(struct world *w, uint32_t pid, void *context)
{
    const struct recv_call *c = context;
    return chan_recv(w, pid, c->handle, c->out, c->nonblocking);
}

int sys_chan_recv(uint32_t handle, struct chan_received *out, int flags, uint64_t timeout_ns)
{
    SYS_ON_LINUX(linux_sys_chan_recv(handle, out, flags, timeout_ns));
    sched_point_call(TRACE_OP_CHAN_RECV, handle, 0);
    enum waitq_wake wake;
    uint64_t object = endpoint_object(handle);
    struct chan_received ignored;
    if (!out)
        out = &ignored;
    struct recv_call call = {handle, out, flags & SYS_NONBLOCK};
    /* A receive with a timeout is never restarted (SO_RCVTIMEO: signal(7)). */
    int rc = sys_blocking_call(TRACE_OP_CHAN_RECV, handle, sys_deadline_after(timeout_ns),
                               timeout_ns ? SYS_CALL_EINTR : SYS_CALL_RESTARTABLE, &wake,
                               recv_call, &call);
    /* The trace shows EOF as result 1, a message as 0. */
    sched_emit(TRACE_OP_CHAN_RECV, object, handle, rc == 0 && out->eof ? 1 : rc, wake);
    return rc;
}

int sys_pipe(uint32_t ends[2])
{
    SYS_ON_LINUX(linux_sys_pipe(ends));
    sched_point_call(TRACE_OP_PIPE, 0, 0);
    uint32_t got[2] = {0, 0};
    int rc = chan_create_pipe(sys_model_begin(), sys_getpid(), got);
    sys_model_end();
    if (rc == 0) {
        ends[0] = got[0];
        ends[1] = got[1];
    }
    sched_emit(TRACE_OP_PIPE, rc == 0 ? endpoint_object(got[0]) : 0, 0, rc, WAITQ_WAKE_NONE);
    return rc;
}

struct pipe_call {
    uint32_t handle;
    uint64_t bytes;  /* to write, or the most to read */
    uint64_t done;   /* written or read so far */
    int nonblocking;
};

static int write_call(struct world *w, uint32_t pid, void *context)
{
    struct pipe_call *c = context;
    return chan_write(w, pid, c->handle, c->bytes, &c->done, c->nonblocking);
}

int64_t sys_write(uint32_t handle, uint64_t bytes, int flags)
{
    SYS_ON_LINUX(linux_sys_write(handle, bytes, flags));
    sched_point_call(TRACE_OP_WRITE, handle, bytes);
    enum waitq_wake wake;
    uint64_t object = endpoint_object(handle);
    struct pipe_call call = {handle, bytes, 0, flags & SYS_NONBLOCK};
    int rc = sys_blocking_call(TRACE_OP_WRITE, handle, 0, SYS_CALL_RESTARTABLE, &wake,
                               write_call, &call);
    /* A write cut short by a signal or by the reader's close returns what it wrote. */
    int64_t result = call.done && (rc == 0 || rc == -EINTR || rc == -EPIPE) ? (int64_t)call.done
                                                                              : rc;
    sched_emit(TRACE_OP_WRITE, object, (int64_t)bytes, result, wake);
    sys_signals_deliver(); /* SIGPIPE acts before write returns */
    return result;
}

static int read_call(struct world *w, uint32_t pid, void *context)
{
    struct pipe_call *c = context;
    return chan_read(w, pid, c->handle, c->bytes, &c->done, c->nonblocking);
}

int64_t sys_read(uint32_t handle, uint64_t max_bytes, int flags)
{
    SYS_ON_LINUX(linux_sys_read(handle, max_bytes, flags));
    sched_point_call(TRACE_OP_READ, handle, max_bytes);
    enum waitq_wake wake;
    uint64_t object = endpoint_object(handle);
    struct pipe_call call = {handle, max_bytes, 0, flags & SYS_NONBLOCK};
    int rc = sys_blocking_call(TRACE_OP_READ, handle, 0, SYS_CALL_RESTARTABLE, &wake, read_call,
                               &call);
    int64_t result = rc == 0 ? (int64_t)call.done : rc;
    sched_emit(TRACE_OP_READ, object, (int64_t)max_bytes, result, wake);
    return result;
}

int sys_fd_from_handle(uint32_t handle)
{
    SYS_ON_LINUX(linux_sys_fd_from_handle(handle));
    sched_point_call(TRACE_OP_FD_FROM_HANDLE, handle, 0);
    int rc = chan_fd_from_handle(sys_model_begin(), sys_getpid(), handle);
    sys_model_end();
    sched_emit(TRACE_OP_FD_FROM_HANDLE, endpoint_object(handle), handle, rc, WAITQ_WAKE_NONE);
    return rc;
}

int sys_port_create(void)
{
    SYS_ON_LINUX(linux_sys_port_create());
    sched_point_call(TRACE_OP_PORT_CREATE, 0, 0);
    int rc = port_create(sys_model_begin(), sys_getpid());
    sys_model_end();
    sched_emit(TRACE_OP_PORT_CREATE, 0, 0, rc, WAITQ_WAKE_NONE);
    return rc;
}

int sys_port_bind(uint32_t port, uint32_t endpoint, uint64_t key)
{
    SYS_ON_LINUX(linux_sys_port_bind(port, endpoint, key));
    sched_point_call(TRACE_OP_PORT_BIND, port, endpoint);
    int rc = port_bind(sys_model_begin(), sys_getpid(), port, endpoint, key);
    sys_model_end();
    sched_emit(TRACE_OP_PORT_BIND, endpoint_object(endpoint), (int64_t)key, rc, WAITQ_WAKE_NONE);
    return rc;
}

int sys_port_unbind(uint32_t port, uint32_t endpoint)
{
    SYS_ON_LINUX(linux_sys_port_unbind(port, endpoint));
    sched_point_call(TRACE_OP_PORT_UNBIND, port, endpoint);
    int rc = port_unbind(sys_model_begin(), sys_getpid(), port, endpoint);
    sys_model_end();
    sched_emit(TRACE_OP_PORT_UNBIND, endpoint_object(endpoint), port, rc, WAITQ_WAKE_NONE);
    return rc;
}

struct port_wait_call {
    uint32_t port;
    struct port_event *out;
    int nonblocking;
};

static int port_wait_call(struct world *w, uint32_t pid, void *context)
{
    const struct port_wait_call *c = context;
    return port_wait(w, pid, c->port, c->out, c->nonblocking);
}

int sys_port_wait(uint32_t port, struct port_event *out, int flags, uint64_t timeout_ns)
{
    SYS_ON_LINUX(linux_sys_port_wait(port, out, flags, timeout_ns));
    sched_point_call(TRACE_OP_PORT_WAIT, port, 0);
    enum waitq_wake wake;
    struct port_event ignored;
    if (!out)
        out = &ignored;
    struct port_wait_call call = {port, out, flags & SYS_NONBLOCK};
    /* Never restarted, as epoll_wait is not. */
    int rc = sys_blocking_call(TRACE_OP_PORT_WAIT, port, sys_deadline_after(timeout_ns),
                               SYS_CALL_EINTR, &wake, port_wait_call, &call);
    sched_emit(TRACE_OP_PORT_WAIT, 0, port, rc == 0 ? out->kind : rc, wake);
    return rc;
}

int64_t sys_try_alloc(uint64_t bytes)
{
    SYS_ON_LINUX(linux_sys_try_alloc(bytes));
    sched_point_call(TRACE_OP_TRY_ALLOC, bytes, 0);
    struct world *w = sys_model_begin();
    int64_t rc = heap_try_alloc(&w->heap, bytes, "user", sys_getpid(), w->step, 1);
    sys_model_end();
    sched_emit(TRACE_OP_TRY_ALLOC, 0, (int64_t)bytes, rc, WAITQ_WAKE_NONE);
    return rc;
}

int64_t sys_alloc(uint64_t bytes)
{
    SYS_ON_LINUX(linux_sys_alloc(bytes));
    sched_point_call(TRACE_OP_ALLOC, bytes, 0);
    struct sched *s = sched_active;
    struct world *w = s->world;
    uint32_t pid = sys_getpid();
    enum heap_oom_action action;
    sys_model_begin();
    uint64_t reserve_before = w->heap.reserve_releases;
    int64_t rc = heap_alloc(&w->heap, bytes, "user", pid, w->step, 1, &action);
    sys_model_end();
    sched_emit(TRACE_OP_ALLOC, 0, (int64_t)bytes, rc, WAITQ_WAKE_NONE);
    if (rc > 0)
        return rc;
    char line[200];
    snprintf(line, sizeof line, "[KERNEL OOM] size=%" PRIu64 " pid=%" PRIu32 " used=%" PRIu64
                                "/%" PRIu64 "%s",
             bytes, pid, w->heap.used_bytes, w->heap.capacity_bytes,
             w->heap.reserve_releases > reserve_before ? " (released the emergency reserve)" : "");
    sys_model_begin();
    world_console(w, line);
    sys_model_end();
    sched_emit(TRACE_OP_OOM, 0, (int64_t)bytes, action, WAITQ_WAKE_NONE);
    if (action == HEAP_OOM_ACTION_HALT) {
        char message[320];
        snprintf(message, sizeof message, "%s: system halted (oom_policy=%s%s)", line,
                 heap_oom_policy_name(w->heap.policy),
                 w->heap.policy != HEAP_OOM_HALT ? ", on a system process" : "");
        sched_stop(SCHED_OUTCOME_PANIC, message);
    }
    /* kill-process: the caller is killed, as by Linux's OOM killer (SIGKILL); its
     * teardown runs. */
    sched_exit_current(SYS_W_TERMSIG(SIG_KILL));
}

int sys_free(uint32_t block)
{
    SYS_ON_LINUX(linux_sys_free(block));
    sched_point_call(TRACE_OP_FREE, block, 0);
    struct world *w = sys_model_begin();
    int rc = -EINVAL;
    /* Only the caller's own sys_alloc blocks: kernel objects are not the user's. */
    const struct heap_block *b = heap_block(&w->heap, block);
    if (b && b->owner_pid == sys_getpid() && b->freed_at_exit)
        rc = heap_free(&w->heap, block);
    sys_model_end();
    sched_emit(TRACE_OP_FREE, 0, block, rc, WAITQ_WAKE_NONE);
    return rc;
}
