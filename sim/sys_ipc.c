/* sys_ipc — channels, ports and the kernel heap over the models. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "sys.h"
#include "sys_int.h"

/* Runs a model call that may say "would block": parks and retries until it gives a
 * result, the deadline passes (-ETIMEDOUT) or a signal interrupts it (-EINTR). */
#define BLOCKING_CALL(op, arg, deadline, wake, call)                                    \
    ({                                                                                  \
        int rc_;                                                                        \
        for (;;) {                                                                      \
            sys_model_begin();                                                          \
            rc_ = (call);                                                               \
            sys_model_end();                                                            \
            if (rc_ != MODEL_WOULD_BLOCK)                                               \
                break;                                                                  \
            (wake) = sys_model_block((op), (arg), (deadline));                          \
            if ((wake) == TRACE_WAKE_TIMEOUT || (wake) == TRACE_WAKE_SIGNAL) {          \
                rc_ = (wake) == TRACE_WAKE_TIMEOUT ? -ETIMEDOUT : -EINTR;               \
                break;                                                                  \
            }                                                                           \
        }                                                                               \
        rc_;                                                                            \
    })

static uint64_t deadline_after(uint64_t timeout_ns)
{
    if (!timeout_ns)
        return 0;
    uint64_t now = sched_active->vtime_ns;
    return now + timeout_ns < now ? UINT64_MAX : now + timeout_ns;
}

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
    sched_point();
    sys_model_begin();
    uint32_t got[2] = {0, 0};
    int rc = chan_create(sys_world(), sys_getpid(), got);
    sys_model_end();
    if (rc == 0) {
        ends[0] = got[0];
        ends[1] = got[1];
    }
    sched_emit(TRACE_OP_CHAN_CREATE, rc == 0 ? endpoint_object(got[0]) : 0, 0, rc,
               TRACE_WAKE_NONE);
    return rc;
}

int sys_chan_send(uint32_t handle, uint64_t bytes, const uint32_t *handles, uint32_t count,
                  int flags)
{
    sched_point();
    enum trace_wake wake = TRACE_WAKE_NONE;
    uint64_t object = endpoint_object(handle);
    int rc = BLOCKING_CALL(TRACE_OP_CHAN_SEND, handle, 0, wake,
                           chan_send(sys_world(), sys_getpid(), handle, bytes, handles, count,
                                     flags & SYS_NONBLOCK));
    sched_emit(TRACE_OP_CHAN_SEND, object, (int64_t)bytes, rc, wake);
    return rc;
}

int sys_chan_recv(uint32_t handle, struct chan_received *out, int flags, uint64_t timeout_ns)
{
    sched_point();
    enum trace_wake wake = TRACE_WAKE_NONE;
    uint64_t object = endpoint_object(handle);
    uint64_t deadline = deadline_after(timeout_ns);
    struct chan_received ignored;
    if (!out)
        out = &ignored;
    int rc = BLOCKING_CALL(TRACE_OP_CHAN_RECV, handle, deadline, wake,
                           chan_recv(sys_world(), sys_getpid(), handle, out,
                                     flags & SYS_NONBLOCK));
    /* The trace shows EOF as result 1, a message as 0. */
    sched_emit(TRACE_OP_CHAN_RECV, object, handle, rc == 0 && out->eof ? 1 : rc, wake);
    return rc;
}

int sys_fd_from_handle(uint32_t handle)
{
    sched_point();
    sys_model_begin();
    int rc = chan_fd_from_handle(sys_world(), sys_getpid(), handle);
    sys_model_end();
    sched_emit(TRACE_OP_FD_FROM_HANDLE, endpoint_object(handle), handle, rc, TRACE_WAKE_NONE);
    return rc;
}

int sys_port_create(void)
{
    sched_point();
    sys_model_begin();
    int rc = port_create(sys_world(), sys_getpid());
    sys_model_end();
    sched_emit(TRACE_OP_PORT_CREATE, 0, 0, rc, TRACE_WAKE_NONE);
    return rc;
}

int sys_port_bind(uint32_t port, uint32_t endpoint, uint64_t key)
{
    sched_point();
    sys_model_begin();
    int rc = port_bind(sys_world(), sys_getpid(), port, endpoint, key);
    sys_model_end();
    sched_emit(TRACE_OP_PORT_BIND, endpoint_object(endpoint), (int64_t)key, rc, TRACE_WAKE_NONE);
    return rc;
}

int sys_port_wait(uint32_t port, struct port_event *out, int flags, uint64_t timeout_ns)
{
    sched_point();
    enum trace_wake wake = TRACE_WAKE_NONE;
    uint64_t deadline = deadline_after(timeout_ns);
    struct port_event ignored;
    if (!out)
        out = &ignored;
    int rc = BLOCKING_CALL(TRACE_OP_PORT_WAIT, port, deadline, wake,
                           port_wait(sys_world(), sys_getpid(), port, out, flags & SYS_NONBLOCK));
    sched_emit(TRACE_OP_PORT_WAIT, 0, port, rc == 0 ? out->kind : rc, wake);
    return rc;
}

int64_t sys_try_alloc(uint64_t bytes)
{
    sched_point();
    sys_model_begin();
    struct world *w = sys_world();
    int64_t rc = heap_try_alloc(&w->heap, bytes, "user", sys_getpid(), w->step, 1);
    sys_model_end();
    sched_emit(TRACE_OP_TRY_ALLOC, 0, (int64_t)bytes, rc, TRACE_WAKE_NONE);
    return rc;
}

int64_t sys_alloc(uint64_t bytes)
{
    sched_point();
    struct sched *s = sched_active;
    struct world *w = s->world;
    uint32_t pid = sys_getpid();
    enum heap_oom_action action;
    sys_model_begin();
    uint64_t reserve_before = w->heap.reserve_releases;
    int64_t rc = heap_alloc(&w->heap, bytes, "user", pid, w->step, 1, &action);
    sys_model_end();
    sched_emit(TRACE_OP_ALLOC, 0, (int64_t)bytes, rc, TRACE_WAKE_NONE);
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
    sched_emit(TRACE_OP_OOM, 0, (int64_t)bytes, action, TRACE_WAKE_NONE);
    if (action == HEAP_OOM_ACTION_HALT) {
        char message[320];
        snprintf(message, sizeof message, "%s: system halted (oom_policy=%s%s)", line,
                 heap_oom_policy_name(w->heap.policy),
                 w->heap.policy != HEAP_OOM_HALT ? ", on a system process" : "");
        sched_stop(SCHED_OUTCOME_PANIC, message);
    }
    /* kill-process: the caller dies with -ENOMEM; its teardown runs. */
    sched_exit_current(-ENOMEM);
}

int sys_free(uint32_t block)
{
    sched_point();
    sys_model_begin();
    struct world *w = sys_world();
    int rc = -EINVAL;
    /* Only the caller's own sys_alloc blocks: kernel objects are not the user's. */
    if (block && block <= w->heap.block_count && w->heap.blocks[block - 1].live &&
        w->heap.blocks[block - 1].owner_pid == sys_getpid() &&
        w->heap.blocks[block - 1].freed_at_exit)
        rc = heap_free(&w->heap, block);
    sys_model_end();
    sched_emit(TRACE_OP_FREE, 0, block, rc, TRACE_WAKE_NONE);
    return rc;
}
