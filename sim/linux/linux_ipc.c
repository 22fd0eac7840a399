/* linux_ipc — channels, pipes, ports, the heap, time, mutexes and semaphores of the
 * Linux backend: the sys_* calls of sim/sys_ipc.c and sim/sys.c over
 * SOCK_SEQPACKET socketpairs, SCM_RIGHTS, pipes, epoll, CLOCK_MONOTONIC and
 * process-shared primitives in the arena (see linux_sys.h, linux_int.h).
 *
 * A message is sent with one byte in front of its payload, so that a message of
 * 0 bytes is never taken for end of file (a zero-length read). */
#define _GNU_SOURCE
#include "faults/fault.h"
#include "linux_int.h"
#include "linux_sys.h"
#include "util/assert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define ZERO_BYTES 65536
static const char zeros[ZERO_BYTES];
static char scratch[ZERO_BYTES];

/* ---- time ----------------------------------------------------------------------- */

uint64_t linux_virtual_now(void)
{
    const struct linux_arena *a = linux_self.arena;
    return (linux_now_ns() - a->start_ns) * a->time_scale;
}

static struct timespec real_span(uint64_t virtual_ns)
{
    uint64_t real = virtual_ns / linux_self.arena->time_scale;
    return (struct timespec){(time_t)(real / 1000000000ULL), (long)(real % 1000000000ULL)};
}

int linux_sleep_virtual(uint64_t ns)
{
    struct timespec t = real_span(ns);
    return nanosleep(&t, NULL) == 0 ? 0 : -EINTR; /* never restarted, as in the model */
}

void linux_sys_yield(void)
{
    linux_call_begin();
    sched_yield();
}

int linux_sys_sleep(uint64_t ns)
{
    linux_call_begin();
    if (ns == 0)
        return 0;
    linux_call_block(TRACE_OP_SLEEP, (int64_t)ns, linux_virtual_now() + ns);
    int rc = linux_sleep_virtual(ns);
    linux_call_end();
    return rc;
}

uint64_t linux_sys_now(void)
{
    linux_call_begin();
    return linux_virtual_now();
}

/* ---- the channel table -------------------------------------------------------- */

static uint64_t inode_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Whether the socket with inode still exists: /proc/net/unix lists every AF_UNIX
 * socket of the network namespace, in-flight ones included. */
static int socket_exists(uint64_t inode, const char *listing)
{
    char needle[32];
    snprintf(needle, sizeof needle, " %" PRIu64 "\n", inode);
    if (strstr(listing, needle))
        return 1;
    snprintf(needle, sizeof needle, " %" PRIu64 " ", inode); /* a named socket: a path follows */
    return strstr(listing, needle) != NULL;
}

/* Frees the slots of channels whose sockets are all gone. With the lock held. */
static void collect_channels(struct linux_arena *a)
{
    static char listing[1 << 20];
    FILE *f = fopen("/proc/net/unix", "r");
    size_t n = 0;
    for (size_t got = 1; f && got && n < sizeof listing - 1; n += got)
        got = fread(listing + n, 1, sizeof listing - 1 - n, f);
    if (f)
        fclose(f);
    listing[n] = '\0';
    for (uint32_t i = 0; i < LINUX_CHANNELS_MAX && n; i++) {
        struct linux_channel *c = &a->channels[i];
        /* A pipe has no such listing: its slot stays until the table is collected
         * by the run's end (docs/backends.md). */
        if (!c->used || c->pipe)
            continue;
        if (!socket_exists(c->inode[0], listing) && !socket_exists(c->inode[1], listing)) {
            c->used = 0;
            a->channels_used--;
        }
    }
}

int linux_channel_add(const int fds[2], int pipe)
{
    struct linux_arena *a = linux_self.arena;
    uint32_t max = (uint32_t)config_get(linux_self.config, "max_channels");
    linux_arena_lock(a);
    if (a->channels_used >= max)
        collect_channels(a);
    int rc = -ENFILE;
    for (uint32_t i = 0; i < LINUX_CHANNELS_MAX && a->channels_used < max; i++) {
        struct linux_channel *c = &a->channels[i];
        if (c->used)
            continue;
        *c = (struct linux_channel){1, (uint8_t)pipe, getpid(), {inode_of(fds[0]), inode_of(fds[1])}};
        if (++a->channels_used > a->channels_peak)
            a->channels_peak = a->channels_used;
        rc = 0;
        break;
    }
    linux_arena_unlock(a);
    return rc;
}

/* Makes the pair fds[] handles: both must fit the handle table and the channel
 * table must have a slot. Returns 0 with ends[] set, or an error with both closed. */
static int adopt_pair(int fds[2], uint32_t ends[2], int pipe)
{
    ASSERT(fds[0] >= LINUX_FD_BASE && fds[1] >= LINUX_FD_BASE);
    uint32_t max = linux_self.max_handles;
    int rc = (uint32_t)(fds[0] - LINUX_FD_BASE) < max && (uint32_t)(fds[1] - LINUX_FD_BASE) < max
                 ? linux_channel_add(fds, pipe)
                 : -EMFILE;
    if (rc < 0) {
        close(fds[0]);
        close(fds[1]);
        return rc;
    }
    ends[0] = (uint32_t)(fds[0] - LINUX_FD_BASE);
    ends[1] = (uint32_t)(fds[1] - LINUX_FD_BASE);
    return 0;
}

int linux_sys_chan_create(uint32_t ends[2])
{
    linux_call_begin();
    if (fault_fail(FAULT_CHAN_CREATE))
        return fault_points[FAULT_CHAN_CREATE].error;
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) != 0)
        return errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
    /* The sender's pid travels with each message (chan_received.sender). */
    int on = 1;
    setsockopt(fds[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    setsockopt(fds[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    return adopt_pair(fds, ends, 0);
}

int linux_sys_pipe(uint32_t ends[2])
{
    linux_call_begin();
    if (fault_fail(FAULT_CHAN_CREATE))
        return fault_points[FAULT_CHAN_CREATE].error;
    int fds[2];
    if (pipe(fds) != 0)
        return errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
    return adopt_pair(fds, ends, 1);
}

/* ---- messages --------------------------------------------------------------------- */

enum handle_kind { KIND_BAD, KIND_CHANNEL, KIND_PIPE_READ, KIND_PIPE_WRITE, KIND_OTHER };

/* What the descriptor behind handle is. */
static enum handle_kind kind_of(uint32_t handle)
{
    if (!linux_handle_valid(handle))
        return KIND_BAD;
    int fd = linux_fd(handle), type;
    socklen_t length = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0)
        return type == SOCK_SEQPACKET ? KIND_CHANNEL : KIND_OTHER;
    if (errno == EBADF)
        return KIND_BAD;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return KIND_BAD;
    if (!S_ISFIFO(st.st_mode))
        return KIND_OTHER;
    return (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY ? KIND_PIPE_WRITE : KIND_PIPE_READ;
}

/* iov[] over bytes of zeros after an optional one-byte header; returns the count. */
static int zero_iov(struct iovec *iov, int max, const char *header, uint64_t bytes)
{
    int n = 0;
    if (header)
        iov[n++] = (struct iovec){(void *)header, 1};
    while (bytes && n < max) {
        size_t chunk = bytes < ZERO_BYTES ? (size_t)bytes : ZERO_BYTES;
        iov[n++] = (struct iovec){(void *)zeros, chunk};
        bytes -= chunk;
    }
    return n;
}

#define IOV_COUNT 1024 /* IOV_MAX: a message or write of up to 64 MiB */

/* Checks a send's handle list; fills fds[]. Returns 0 or -EINVAL. */
static int carried_fds(const uint32_t *handles, uint32_t count, int fds[MESSAGE_HANDLES_MAX])
{
    if (count > MESSAGE_HANDLES_MAX || (count && !handles))
        return -EINVAL;
    for (uint32_t i = 0; i < count; i++) {
        if (!linux_handle_valid(handles[i]) || fcntl(linux_fd(handles[i]), F_GETFD) < 0)
            return -EINVAL;
        fds[i] = linux_fd(handles[i]);
    }
    return 0;
}

int linux_sys_chan_send(uint32_t handle, uint64_t bytes, const uint32_t *handles,
                        uint32_t count, int flags)
{
    linux_call_begin();
    enum handle_kind kind = kind_of(handle);
    if (kind != KIND_CHANNEL)
        return kind == KIND_BAD ? -EBADF : -EINVAL;
    int fds[MESSAGE_HANDLES_MAX];
    int rc = carried_fds(handles, count, fds);
    if (rc != 0)
        return rc;
    if (bytes > config_get(linux_self.config, "queue_bytes") ||
        bytes > (uint64_t)(IOV_COUNT - 1) * ZERO_BYTES)
        return -EMSGSIZE;
    if (fault_fail(FAULT_CHAN_SEND))
        return fault_points[FAULT_CHAN_SEND].error;
    ASSERT(count <= MESSAGE_HANDLES_MAX); /* carried_fds refused more */
    struct iovec iov[IOV_COUNT];
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MESSAGE_HANDLES_MAX)];
    } control;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)zero_iov(iov, IOV_COUNT, "m", bytes)};
    if (count) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        *c = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof(int) * count), .cmsg_level = SOL_SOCKET,
                              .cmsg_type = SCM_RIGHTS};
        memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
    }
    int nonblocking = flags & SYS_NONBLOCK;
    if (!nonblocking)
        linux_call_block(TRACE_OP_CHAN_SEND, handle, 0);
    /* A seqpacket send to a closed peer is EPIPE without SIGPIPE anyway. */
    ssize_t sent = sendmsg(linux_fd(handle), &msg, MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0));
    rc = sent < 0 ? linux_errno() : 0;
    if (!nonblocking)
        linux_call_end();
    if (rc == 0 && linux_self.handle_move)
        for (uint32_t i = 0; i < count; i++)
            close(fds[i]); /* moved: they leave the sender */
    return rc;
}

/* Fills out from a received message (n bytes with its header) and its control
 * data: the sender, and the carried descriptors that fit the handle table (the
 * rest are closed and out->truncated set, as MSG_CTRUNC). */
static void take_message(const struct msghdr *msg, ssize_t n, struct chan_received *out)
{
    ASSERT(n >= 0 && msg->msg_iovlen == 1);
    *out = (struct chan_received){0};
    if (n == 0) {
        out->eof = 1;
        return;
    }
    out->bytes = (uint64_t)n - 1;
    out->truncated = (msg->msg_flags & MSG_CTRUNC) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            out->sender = (uint32_t)cred.pid;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (out->handle_count < MESSAGE_HANDLES_MAX &&
                    (uint32_t)(fd - LINUX_FD_BASE) < linux_self.max_handles)
                    out->handles[out->handle_count++] = (uint32_t)(fd - LINUX_FD_BASE);
                else {
                    close(fd);
                    out->truncated = 1;
                }
            }
        }
    }
}

/* Waits up to timeout_ns (virtual) for fd to be readable (events) and then does
 * op without blocking. Returns op's result, or -1 with errno ETIMEDOUT or EINTR
 * (a timed wait is never restarted). */
static ssize_t timed_recvmsg(int fd, struct msghdr *msg, uint64_t timeout_ns)
{
    uint64_t deadline = linux_now_ns() + timeout_ns / linux_self.arena->time_scale;
    for (;;) {
        ssize_t n = recvmsg(fd, msg, MSG_TRUNC | MSG_DONTWAIT);
        if (n >= 0 || errno != EAGAIN)
            return n;
        uint64_t now = linux_now_ns();
        if (now >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        struct timespec t = {(time_t)((deadline - now) / 1000000000ULL),
                             (long)((deadline - now) % 1000000000ULL)};
        if (ppoll(&p, 1, &t, NULL) < 0)
            return -1; /* EINTR */
    }
}

int linux_sys_chan_recv(uint32_t handle, struct chan_received *out, int flags,
                        uint64_t timeout_ns)
{
    linux_call_begin();
    struct chan_received ignored;
    if (!out)
        out = &ignored;
    enum handle_kind kind = kind_of(handle);
    if (kind != KIND_CHANNEL)
        return kind == KIND_BAD ? -EBADF : -EINVAL;
    char header;
    struct iovec iov = {&header, 1};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int) * MESSAGE_HANDLES_MAX) +
                   CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    int nonblocking = flags & SYS_NONBLOCK, fd = linux_fd(handle);
    ssize_t n;
    if (nonblocking) {
        n = recvmsg(fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
    } else {
        linux_call_block(TRACE_OP_CHAN_RECV, handle,
                         timeout_ns ? linux_virtual_now() + timeout_ns : 0);
        n = timeout_ns ? timed_recvmsg(fd, &msg, timeout_ns) : recvmsg(fd, &msg, MSG_TRUNC);
        linux_call_end();
    }
    if (n < 0)
        return linux_errno();
    take_message(&msg, n, out);
    return 0;
}

/* ---- pipes ------------------------------------------------------------------------ */

int64_t linux_sys_write(uint32_t handle, uint64_t bytes, int flags)
{
    linux_call_begin();
    enum handle_kind kind = kind_of(handle);
    if (kind != KIND_PIPE_WRITE)
        return kind == KIND_CHANNEL ? -EINVAL : -EBADF;
    if (bytes == 0)
        return 0;
    struct iovec iov[IOV_COUNT];
    int count = zero_iov(iov, IOV_COUNT, NULL, bytes);
    ssize_t n;
    if (flags & SYS_NONBLOCK) {
        n = pwritev2(linux_fd(handle), iov, count, -1, RWF_NOWAIT);
    } else {
        linux_call_block(TRACE_OP_WRITE, handle, 0);
        n = writev(linux_fd(handle), iov, count); /* SIGPIPE, at its default, ends us here */
        linux_call_end();
    }
    return n < 0 ? linux_errno() : (int64_t)n;
}

int64_t linux_sys_read(uint32_t handle, uint64_t max_bytes, int flags)
{
    linux_call_begin();
    enum handle_kind kind = kind_of(handle);
    if (kind != KIND_PIPE_READ)
        return kind == KIND_CHANNEL ? -EINVAL : -EBADF;
    struct iovec iov = {scratch, max_bytes < ZERO_BYTES ? (size_t)max_bytes : ZERO_BYTES};
    ssize_t n;
    if (flags & SYS_NONBLOCK) {
        n = preadv2(linux_fd(handle), &iov, 1, -1, RWF_NOWAIT);
    } else {
        linux_call_block(TRACE_OP_READ, handle, 0);
        n = readv(linux_fd(handle), &iov, 1);
        linux_call_end();
    }
    return n < 0 ? linux_errno() : (int64_t)n;
}

int linux_sys_fd_from_handle(uint32_t handle)
{
    linux_call_begin();
    enum handle_kind kind = kind_of(handle);
    if (kind == KIND_BAD || kind == KIND_OTHER)
        return -EBADF;
    if (fault_fail(FAULT_CHAN_FD))
        return fault_points[FAULT_CHAN_FD].error;
    return linux_fd_fits(dup(linux_fd(handle)));
}

/* ---- ports ------------------------------------------------------------------------ */

int linux_sys_port_create(void)
{
    linux_call_begin();
    if (fault_fail(FAULT_PORT_CREATE))
        return fault_points[FAULT_PORT_CREATE].error;
    return linux_fd_fits(epoll_create1(0));
}

int linux_sys_port_bind(uint32_t port, uint32_t endpoint, uint64_t key)
{
    linux_call_begin();
    if (!linux_handle_valid(port) || !linux_handle_valid(endpoint))
        return -EBADF;
    struct epoll_event event = {EPOLLIN | EPOLLRDHUP | (linux_self.edge_triggered ? EPOLLET : 0),
                                {.u64 = key}};
    if (epoll_ctl(linux_fd(port), EPOLL_CTL_ADD, linux_fd(endpoint), &event) == 0)
        return 0;
    return errno == EEXIST || errno == EPERM ? -EINVAL : linux_errno();
}

int linux_sys_port_unbind(uint32_t port, uint32_t endpoint)
{
    linux_call_begin();
    if (!linux_handle_valid(port) || !linux_handle_valid(endpoint))
        return -EBADF;
    return epoll_ctl(linux_fd(port), EPOLL_CTL_DEL, linux_fd(endpoint), NULL) == 0
               ? 0
               : linux_errno();
}

int linux_sys_port_wait(uint32_t port, struct port_event *out, int flags, uint64_t timeout_ns)
{
    linux_call_begin();
    struct port_event ignored;
    if (!out)
        out = &ignored;
    if (!linux_handle_valid(port))
        return -EBADF;
    struct epoll_event event;
    int nonblocking = flags & SYS_NONBLOCK, n;
    if (nonblocking) {
        n = epoll_wait(linux_fd(port), &event, 1, 0);
    } else {
        linux_call_block(TRACE_OP_PORT_WAIT, port,
                         timeout_ns ? linux_virtual_now() + timeout_ns : 0);
        struct timespec t = real_span(timeout_ns);
        n = epoll_pwait2(linux_fd(port), &event, 1, timeout_ns ? &t : NULL, NULL);
        if (n < 0 && errno == ENOSYS) /* before 5.11, and under Valgrind: to the ms above */
            n = epoll_wait(linux_fd(port), &event, 1,
                           timeout_ns ? (int)(t.tv_sec * 1000 + (t.tv_nsec + 999999) / 1000000) : -1);
        linux_call_end();
    }
    if (n < 0)
        return linux_errno(); /* -EINTR: never restarted, as epoll_wait is not */
    if (n == 0)
        return nonblocking ? -EAGAIN : -ETIMEDOUT;
    /* A hang-up of a socket comes with EPOLLIN; of a pipe's writer, alone: either
     * way a read would not block (end of file). EPOLLERR: a pipe's reader left. */
    uint32_t got = event.events;
    out->key = event.data.u64;
    out->kind = (uint8_t)(((got & (EPOLLIN | EPOLLHUP)) && !(got & EPOLLERR) ? PORT_EVENT_READABLE : 0) |
                          (got & (EPOLLHUP | EPOLLRDHUP | EPOLLERR) ? PORT_EVENT_PEER_CLOSED : 0));
    return 0;
}

/* ---- the kernel heap (a model, in the arena) ---------------------------------------- */

int64_t linux_sys_try_alloc(uint64_t bytes)
{
    linux_call_begin();
    struct linux_arena *a = linux_self.arena;
    linux_arena_lock(a);
    int64_t id = heap_try_alloc(&a->heap, bytes, "user", linux_self.slot + 1,
                                a->procs[linux_self.slot].calls, 1);
    linux_arena_unlock(a);
    return id;
}

/* Stays put until the runner ends the run. */
static void freeze(void) __attribute__((noreturn));
static void freeze(void)
{
    for (;;)
        pause();
}

int64_t linux_sys_alloc(uint64_t bytes)
{
    linux_call_begin();
    struct linux_arena *a = linux_self.arena;
    enum heap_oom_action action;
    linux_arena_lock(a);
    uint64_t releases = a->heap.reserve_releases;
    int64_t id = heap_alloc(&a->heap, bytes, "user", linux_self.slot + 1,
                            a->procs[linux_self.slot].calls, 1, &action);
    char line[200];
    snprintf(line, sizeof line, "[KERNEL OOM] size=%" PRIu64 " pid=%d used=%" PRIu64 "/%" PRIu64 "%s",
             bytes, (int)getpid(), a->heap.used_bytes, a->heap.capacity_bytes,
             a->heap.reserve_releases > releases ? " (released the emergency reserve)" : "");
    enum heap_oom_policy policy = a->heap.policy;
    linux_arena_unlock(a);
    if (id > 0)
        return id;
    linux_arena_console(a, line);
    if (action == HEAP_OOM_ACTION_HALT) {
        char message[320];
        snprintf(message, sizeof message, "%s: system halted (oom_policy=%s%s)", line,
                 heap_oom_policy_name(policy),
                 policy != HEAP_OOM_HALT ? ", on a system process" : "");
        linux_arena_stop(a, SCHED_OUTCOME_PANIC, message);
        freeze();
    }
    kill(getpid(), SIGKILL); /* the OOM killer */
    freeze();
}

int linux_sys_free(uint32_t block)
{
    linux_call_begin();
    struct linux_arena *a = linux_self.arena;
    int rc = -EINVAL;
    linux_arena_lock(a);
    const struct heap_block *b = heap_block(&a->heap, block);
    if (b && b->owner_pid == linux_self.slot + 1 && b->freed_at_exit)
        rc = heap_free(&a->heap, block);
    linux_arena_unlock(a);
    return rc;
}

/* ---- mutexes and semaphores (process-shared, in the arena) -------------------------- */

static int object_create(enum linux_object_kind kind, const char *name, uint64_t initial)
{
    linux_call_begin();
    struct linux_arena *a = linux_self.arena;
    linux_arena_lock(a);
    if (a->object_count >= LINUX_OBJECTS_MAX) {
        linux_arena_unlock(a);
        return -ENOMEM;
    }
    struct linux_object *o = &a->objects[a->object_count];
    int rc;
    if (kind == LINUX_OBJECT_MUTEX) {
        pthread_mutexattr_t attributes;
        pthread_mutexattr_init(&attributes);
        pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
        rc = pthread_mutex_init(&o->mutex, &attributes);
        pthread_mutexattr_destroy(&attributes);
    } else {
        rc = sem_init(&o->semaphore, 1, initial > SEM_VALUE_MAX ? SEM_VALUE_MAX : (unsigned)initial);
    }
    if (rc == 0) {
        o->kind = (uint8_t)kind;
        snprintf(o->name, sizeof o->name, "%s", name ? name : "");
        a->object_count++;
    }
    int handle = rc == 0 ? (int)a->object_count : -ENOMEM;
    linux_arena_unlock(a);
    return handle;
}

static struct linux_object *object_get(uint32_t handle, enum linux_object_kind kind)
{
    struct linux_arena *a = linux_self.arena;
    if (handle < 1 || handle > a->object_count || a->objects[handle - 1].kind != kind)
        return NULL;
    return &a->objects[handle - 1];
}

/* The absolute CLOCK_MONOTONIC time timeout_ns (virtual) from now. */
static struct timespec real_deadline(uint64_t timeout_ns)
{
    uint64_t at = linux_now_ns() + timeout_ns / linux_self.arena->time_scale;
    return (struct timespec){(time_t)(at / 1000000000ULL), (long)(at % 1000000000ULL)};
}

int linux_sys_mutex_create(const char *name)
{
    return object_create(LINUX_OBJECT_MUTEX, name, 0);
}

int linux_sys_mutex_lock_timeout(uint32_t mutex, uint64_t timeout_ns)
{
    linux_call_begin();
    struct linux_object *o = object_get(mutex, LINUX_OBJECT_MUTEX);
    if (!o)
        return -EBADF;
    if (o->owner == getpid())
        return -EDEADLK;
    linux_call_block(TRACE_OP_MUTEX_LOCK, mutex, timeout_ns ? linux_virtual_now() + timeout_ns : 0);
    struct timespec at = real_deadline(timeout_ns);
    /* Never EINTR: a handler runs and the lock goes on waiting, as in the model. */
    int rc = timeout_ns ? pthread_mutex_clocklock(&o->mutex, CLOCK_MONOTONIC, &at)
                        : pthread_mutex_lock(&o->mutex);
    linux_call_end();
    if (rc != 0)
        return -rc;
    o->owner = getpid();
    return 0;
}

int linux_sys_mutex_unlock(uint32_t mutex)
{
    linux_call_begin();
    struct linux_object *o = object_get(mutex, LINUX_OBJECT_MUTEX);
    if (!o)
        return -EBADF;
    if (o->owner != getpid())
        return -EPERM;
    o->owner = 0;
    return -pthread_mutex_unlock(&o->mutex);
}

int linux_sys_sem_create(const char *name, uint64_t initial)
{
    return object_create(LINUX_OBJECT_SEMAPHORE, name, initial);
}

int linux_sys_sem_wait_timeout(uint32_t sem, uint64_t timeout_ns)
{
    linux_call_begin();
    struct linux_object *o = object_get(sem, LINUX_OBJECT_SEMAPHORE);
    if (!o)
        return -EBADF;
    linux_call_block(TRACE_OP_SEM_WAIT, sem, timeout_ns ? linux_virtual_now() + timeout_ns : 0);
    struct timespec at = real_deadline(timeout_ns);
    int rc = timeout_ns ? sem_clockwait(&o->semaphore, CLOCK_MONOTONIC, &at)
                        : sem_wait(&o->semaphore);
    linux_call_end();
    return rc == 0 ? 0 : linux_errno();
}

int linux_sys_sem_post(uint32_t sem)
{
    linux_call_begin();
    struct linux_object *o = object_get(sem, LINUX_OBJECT_SEMAPHORE);
    if (!o)
        return -EBADF;
    o->last_post = getpid();
    return sem_post(&o->semaphore) == 0 ? 0 : linux_errno();
}

/* ---- the run ------------------------------------------------------------------------ */

uint64_t linux_sys_param(const char *key)
{
    return config_get(linux_self.config, key);
}

uint64_t linux_sys_choose(uint64_t range)
{
    return range <= 1 ? 0 : choice_draw(&linux_self.choices, CHOICE_KNOB, range);
}

void linux_sys_check_failed(const char *message)
{
    struct linux_arena *a = linux_self.arena;
    const struct linux_record *r = &a->procs[linux_self.slot];
    char full[LINUX_MESSAGE_BYTES];
    snprintf(full, sizeof full, "CHECK FAILED in pid %d \"%s\" after %" PRIu64 " calls: %s",
             (int)getpid(), r->name, r->calls, message);
    linux_arena_stop(a, SCHED_OUTCOME_ASSERT, full);
    freeze(); /* the runner ends the run: nothing of it runs on */
}

void linux_sys_console(const char *line)
{
    linux_arena_console(linux_self.arena, line);
}

void *linux_sys_shared_alloc(uint64_t bytes)
{
    struct linux_arena *a = linux_self.arena;
    uint64_t size = (bytes + 63) & ~(uint64_t)63;
    void *p = NULL;
    ASSERT(a != NULL && a->shared_used % 64 == 0);
    linux_arena_lock(a);
    if (bytes && size <= LINUX_SHARED_BYTES - a->shared_used) {
        p = a->shared + a->shared_used;
        a->shared_used += size;
    }
    linux_arena_unlock(a);
    return p;
}
