/* linux_procs — processes, signals, groups and handles of the Linux backend: the
 * sys_* calls of sim/sys_proc.c over fork, waitid, kill, sigaction, setpgid and
 * close_range (see linux_sys.h, linux_int.h). */
#define _GNU_SOURCE
#include "faults/fault.h"
#include "linux_int.h"
#include "linux_sys.h"
#include "util/assert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The handlers' side: which caught signals ran (read and cleared by
 * sys_signal_pending), which ran during the current blocking call, and the
 * self-pipe of sys_signal_wakeup_fd. */
static volatile sig_atomic_t handled_bits;
static volatile sig_atomic_t interrupting_bits;
static volatile sig_atomic_t wakeup_fd = -1;

#define SIGNALS_KNOWN ((1u << SIG_INT) | (1u << SIG_KILL) | (1u << SIG_PIPE) | (1u << SIG_TERM) | \
                       (1u << SIG_CHLD))
#define SIGNALS_CATCHABLE (SIGNALS_KNOWN & ~(1u << SIG_KILL))

/* ---- every call ------------------------------------------------------------------ */

static struct linux_record *self_record(void)
{
    return &linux_self.arena->procs[linux_self.slot];
}

void linux_call_begin(void)
{
    ASSERT(linux_self.arena != NULL && linux_self.slot < LINUX_PROCS_MAX);
    struct linux_record *r = self_record();
    ASSERT(r->state != LINUX_RECORD_FREE && r->call_op == 0); /* calls never nest */
    r->calls++;
    uint32_t permille = linux_self.perturb_permille;
    if (!permille)
        return;
    uint64_t draw = choice_splitmix64(&linux_self.perturb_state);
    uint32_t pick = (uint32_t)(draw % 1000);
    if (pick < permille / 8) {
        /* A short sleep: another process runs meanwhile, whatever the core count. */
        struct timespec t = {0, (long)(10000 + (draw >> 32) % 90000)};
        nanosleep(&t, NULL);
    } else if (pick < permille) {
        sched_yield();
    }
}

void linux_call_block(enum trace_op op, int64_t arg, uint64_t deadline_ns)
{
    struct linux_record *r = self_record();
    ASSERT(op != 0 && r->call_op == 0);
    r->call_arg = arg;
    r->call_deadline_ns = deadline_ns;
    r->call_since_ns = linux_now_ns();
    __atomic_store_n(&r->call_op, (uint32_t)op, __ATOMIC_RELEASE);
    interrupting_bits = 0; /* a handler that ran before the call does not interrupt it */
}

void linux_call_end(void)
{
    ASSERT(self_record()->call_op != 0); /* after linux_call_block only */
    __atomic_store_n(&self_record()->call_op, 0, __ATOMIC_RELEASE);
}

int linux_errno(void)
{
    return errno ? -errno : -EIO;
}

int linux_handle_valid(uint32_t handle)
{
    return handle < linux_self.max_handles;
}

int linux_fd_fits(int fd)
{
    if (fd < 0)
        return linux_errno();
    ASSERT(fd >= LINUX_FD_BASE); /* 0-2 are always open */
    if ((uint32_t)(fd - LINUX_FD_BASE) < linux_self.max_handles)
        return fd - LINUX_FD_BASE;
    close(fd);
    return -EMFILE;
}

/* Whether a blocking call the handlers cut short (EINTR from a call the kernel
 * never restarts, or a loop of ours) goes on: every handler that ran during it was
 * installed with SA_RESTART, and the call is one that restarts. */
static int restarts(int restartable)
{
    uint32_t ran = (uint32_t)interrupting_bits;
    return restartable && ran && !(ran & ~linux_self.restart_mask);
}

/* ---- signals ------------------------------------------------------------------- */

static void on_signal(int sig)
{
    int saved = errno;
    handled_bits |= 1 << sig;
    interrupting_bits |= 1 << sig;
    int fd = wakeup_fd;
    if (fd >= 0) {
        /* Never block in a handler: one byte when there is room, else it is lost. */
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT)) {
            if (send(fd, "s", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == ENOTSOCK) {
                ssize_t ignored = write(fd, "s", 1);
                (void)ignored;
            }
        }
    }
    errno = saved;
}

int linux_sys_signal_catch(uint32_t sig, int action)
{
    linux_call_begin();
    if (sig >= 32 || !(SIGNALS_CATCHABLE & (1u << sig)))
        return -EINVAL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    switch (action) {
    case SIG_ACTION_DEFAULT: sa.sa_handler = SIG_DFL; break;
    case SIG_ACTION_IGNORE: sa.sa_handler = SIG_IGN; break;
    case SIG_ACTION_CATCH: sa.sa_handler = on_signal; break;
    case SIG_ACTION_CATCH | SIG_ACTION_RESTART:
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        break;
    default: return -EINVAL;
    }
    if (sigaction((int)sig, &sa, NULL) != 0)
        return linux_errno();
    linux_self.restart_mask &= ~(1u << sig);
    if (action & SIG_ACTION_RESTART)
        linux_self.restart_mask |= 1u << sig;
    return 0;
}

uint32_t linux_sys_signal_pending(void)
{
    return (uint32_t)__atomic_exchange_n(&handled_bits, 0, __ATOMIC_SEQ_CST);
}

int linux_sys_signal_wakeup_fd(int32_t handle)
{
    linux_call_begin();
    if (handle < 0) {
        wakeup_fd = -1;
        return 0;
    }
    if (!linux_handle_valid((uint32_t)handle) || fcntl(linux_fd((uint32_t)handle), F_GETFD) < 0)
        return -EBADF;
    wakeup_fd = linux_fd((uint32_t)handle);
    return 0;
}

int linux_sys_kill(uint32_t pid, uint32_t sig)
{
    linux_call_begin();
    if (sig >= 32 || (sig != 0 && !(SIGNALS_KNOWN & (1u << sig))))
        return -EINVAL;
    /* Never 0 or a negative pid: those name process groups. The run's PID
     * namespace keeps every pid inside the run. */
    if (pid == 0 || pid > INT32_MAX)
        return -ESRCH;
    if (pid == 1)
        return -EPERM; /* init, as for an unprivileged process (docs/fidelity.md) */
    return kill((pid_t)pid, (int)sig) == 0 ? 0 : linux_errno();
}

/* ---- processes ----------------------------------------------------------------- */

/* Puts pid (the caller's child, or the caller itself) in group's process group,
 * making it the leader of a new one when the group has none or its old one is gone.
 * Parent and child both call it, as a shell does, so the child is a member before
 * either goes on. */
static void join_group(uint32_t group, pid_t pid)
{
    struct linux_arena *a = linux_self.arena;
    ASSERT(pid > 0); /* a real pid: it becomes the group's pgid */
    if (group == 0 || group >= LINUX_GROUPS_MAX)
        return; /* the root group: the parent's process group is inherited */
    linux_arena_lock(a);
    struct linux_group *g = &a->groups[group];
    if (g->pgid <= 0 || setpgid(pid, g->pgid) != 0) {
        if (setpgid(pid, pid) == 0)
            g->pgid = pid;
    }
    linux_arena_unlock(a);
}

/* The host pid of the caller: /proc is the host's mount, so /proc/self names it. */
static int32_t host_pid_self(void)
{
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return (int32_t)strtol(buf, NULL, 10);
}

/* The host pid of the caller's child pid, as /proc (the host's) shows it: a pidfd's
 * fdinfo says "Pid:" in /proc's namespace. 0 when it is gone. Safe on a child not
 * yet reaped: its pid cannot be anyone else's. */
static int32_t host_pid_of(pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return 0;
    char path[64], info[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, info, sizeof info - 1) : -1;
    if (fd >= 0)
        close(fd);
    close(pidfd);
    info[n > 0 ? n : 0] = '\0';
    const char *line = strstr(info, "\nPid:");
    return line ? (int32_t)strtol(line + 5, NULL, 10) : 0;
}

/* Closes the child's descriptors the spawn mode does not hand down, as exec or
 * posix_spawn's file actions would. */
static void drop_handles(enum proc_spawn_mode mode, const uint32_t *handles, uint32_t count)
{
    if (mode == SPAWN_FORK)
        return;
    for (uint32_t h = 0; h < linux_self.max_handles; h++) {
        int fd = linux_fd(h), keep = 0;
        if (mode == SPAWN_EXPLICIT) {
            for (uint32_t k = 0; k < count; k++)
                keep |= handles[k] == h;
        } else {
            int flags = fcntl(fd, F_GETFD);
            keep = flags >= 0 && !(flags & FD_CLOEXEC);
        }
        if (!keep)
            close(fd);
    }
}

/* An exec resets caught signals to their default and keeps what is ignored; it
 * forgets the wakeup descriptor. */
static void exec_signals(void)
{
    for (int sig = 1; sig < 32; sig++) {
        struct sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &old) != 0)
            continue;
        if (old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL)
            signal(sig, SIG_DFL);
    }
    wakeup_fd = -1;
    linux_self.restart_mask = 0;
}

/* The child's side of a spawn: its record, its group, its handles, its streams. */
static void child_start(uint32_t slot, const struct sys_spawn_options *options, uint32_t group)
{
    struct linux_arena *a = linux_self.arena;
    struct linux_record *r = &a->procs[slot];
    ASSERT(slot < LINUX_PROCS_MAX && r->state != LINUX_RECORD_FREE); /* taken for us */
    linux_self.slot = slot;
    r->pid = getpid();
    r->host_pid = host_pid_self();
    join_group(group, r->pid); /* getpid(): the group's pgid must be a real one */
    drop_handles(options->mode, options->handles, options->handle_count);
    if (options->mode != SPAWN_FORK)
        exec_signals();
    handled_bits = 0; /* nothing pending is inherited */
    interrupting_bits = 0;
    uint64_t stream = linux_self.seed ^ (0x9e3779b97f4a7c15ULL * (a->spawns + 1));
    linux_self.perturb_state = stream;
    choice_init_seed(&linux_self.choices, choice_splitmix64(&stream));
}

/* Checks what a spawn asks for. Returns 0, -EBADF (a listed handle not open) or
 * -EINVAL. */
static int spawn_check(const struct sys_spawn_options *options)
{
    if (options->mode != SPAWN_FORK && options->mode != SPAWN_FORK_EXEC &&
        options->mode != SPAWN_EXPLICIT)
        return -EINVAL;
    if (options->mode != SPAWN_EXPLICIT)
        return 0;
    if (options->handle_count && !options->handles)
        return -EINVAL;
    for (uint32_t i = 0; i < options->handle_count; i++)
        if (!linux_handle_valid(options->handles[i]) ||
            fcntl(linux_fd(options->handles[i]), F_GETFD) < 0)
            return -EBADF;
    return 0;
}

int linux_sys_spawn_with(const char *name, void (*fn)(void *), void *arg,
                         const struct sys_spawn_options *options)
{
    static const struct sys_spawn_options fork_all = {SPAWN_FORK, NULL, 0, 0};
    linux_call_begin();
    ASSERT(fn != NULL);
    if (!options)
        options = &fork_all;
    int rc = spawn_check(options);
    if (rc != 0)
        return rc;
    if (fault_fail(FAULT_PROC_SPAWN))
        return fault_points[FAULT_PROC_SPAWN].error;
    struct linux_arena *a = linux_self.arena;
    linux_arena_lock(a);
    uint32_t group = options->group ? options->group : self_record()->group;
    int slot = linux_record_take(a, (uint32_t)config_get(linux_self.config, "max_procs"), name,
                                 getpid(), group);
    linux_arena_unlock(a);
    if (slot < 0)
        return slot; /* -EAGAIN: the process cap (max_procs) */
    pid_t pid = fork();
    if (pid == 0) {
        child_start((uint32_t)slot, options, group);
        a->procs[slot].state = LINUX_RECORD_LIVE;
        linux_process_main(fn, arg);
    }
    if (pid < 0) {
        linux_arena_lock(a);
        linux_record_free(a, (uint32_t)slot);
        linux_arena_unlock(a);
        return -EAGAIN; /* fork refused: as a full process table */
    }
    a->procs[slot].pid = pid;
    a->procs[slot].host_pid = host_pid_of(pid); /* before anyone needs /proc on it */
    a->procs[slot].state = LINUX_RECORD_LIVE;
    join_group(group, pid);
    return pid;
}

void linux_process_main(void (*fn)(void *), void *arg)
{
    fn(arg);
    linux_exit(SYS_W_EXITCODE(0));
}

void linux_exit(int wait_status)
{
    struct linux_arena *a = linux_self.arena;
    struct linux_record *r = self_record();
    r->status = wait_status;
    /* Its heap goes at exit, as the model's does; its descriptors with _exit. */
    linux_arena_lock(a);
    heap_free_owner(&a->heap, linux_self.slot + 1);
    linux_arena_unlock(a);
    r->exited = 1;
    _exit(SYS_WEXITSTATUS(wait_status));
}

void linux_sys_exit(int status)
{
    linux_call_begin();
    linux_exit(SYS_W_EXITCODE(status));
}

void linux_reaped(int32_t pid, int status)
{
    struct linux_arena *a = linux_self.arena;
    char message[200] = "";
    ASSERT(pid > 0);
    linux_arena_lock(a);
    struct linux_record *r = linux_record_find(a, pid);
    if (r) {
        r->status = status;
        if (linux_status_is_crash(status))
            snprintf(message, sizeof message,
                     "CRASH: pid %" PRId32 " \"%s\" died of signal %d (%s)", pid, r->name,
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
        linux_record_free(a, (uint32_t)(r - a->procs));
    }
    linux_arena_unlock(a);
    if (message[0])
        linux_arena_stop(a, SCHED_OUTCOME_CRASH, message);
}

/* The wait status a waitid result stands for. */
static int status_of(const siginfo_t *info)
{
    if (info->si_code == CLD_EXITED)
        return SYS_W_EXITCODE(info->si_status);
    return SYS_W_TERMSIG(info->si_status);
}

/* Waits for child pid (0: any) for up to timeout_ns of virtual time: pidfd and
 * poll for one child, a polling loop for any. Returns its pid with *status, or
 * -ECHILD, -ETIMEDOUT, -EINTR. */
static int wait_timed(uint32_t pid, int *status, uint64_t timeout_ns)
{
    uint64_t scale = linux_self.arena->time_scale;
    uint64_t deadline = linux_now_ns() + timeout_ns / scale;
    int pidfd = pid ? (int)syscall(SYS_pidfd_open, (pid_t)pid, 0) : -1;
    siginfo_t info;
    if (pid && pidfd < 0 && errno != ENOSYS)
        return errno == ESRCH ? -ECHILD : linux_errno();
    int polled = pidfd < 0; /* any child, or no pidfds here (Valgrind): a polling loop */
    for (;;) {
        memset(&info, 0, sizeof info);
        int rc = pidfd >= 0 ? waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG)
                 : pid      ? waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG)
                            : waitid(P_ALL, 0, &info, WEXITED | WNOHANG);
        if (rc != 0 || info.si_pid != 0)
            break;
        uint64_t now = linux_now_ns();
        if (now >= deadline) {
            errno = ETIMEDOUT;
            rc = -1;
            break;
        }
        uint64_t left = deadline - now, slice = !polled ? left : (left < 1000000 ? left : 1000000);
        struct timespec t = {(time_t)(slice / 1000000000ULL), (long)(slice % 1000000000ULL)};
        struct pollfd p = {pidfd, POLLIN, 0};
        int woke = !polled ? ppoll(&p, 1, &t, NULL) : nanosleep(&t, NULL);
        if (woke < 0 && errno == EINTR && !restarts(1))
            break;
    }
    int saved = errno;
    if (pidfd >= 0)
        close(pidfd);
    if (info.si_pid == 0)
        return saved == ETIMEDOUT ? -ETIMEDOUT : -saved;
    *status = status_of(&info);
    return info.si_pid;
}

int linux_sys_wait_timeout(uint32_t pid, int *status, uint64_t timeout_ns)
{
    linux_call_begin();
    int ignored;
    if (!status)
        status = &ignored;
    if (pid > INT32_MAX)
        return -ECHILD;
    linux_call_block(TRACE_OP_WAIT, pid, timeout_ns ? linux_virtual_now() + timeout_ns : 0);
    int got;
    if (timeout_ns == 0) {
        /* wait4 itself: the kernel restarts it under SA_RESTART, as the model does. */
        got = (int)waitpid(pid ? (pid_t)pid : -1, status, 0);
        if (got < 0)
            got = linux_errno();
    } else {
        got = wait_timed(pid, status, timeout_ns);
    }
    linux_call_end();
    if (got > 0)
        linux_reaped(got, *status);
    return got;
}

int linux_sys_set_subreaper(int on)
{
    linux_call_begin();
    return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0) == 0 ? 0 : linux_errno();
}

uint32_t linux_sys_getppid(void)
{
    return (uint32_t)getppid();
}

uint32_t linux_sys_getpid(void)
{
    return (uint32_t)getpid();
}

int linux_sys_detach(void)
{
    self_record()->detached = 1;
    return 0;
}

/* ---- groups ---------------------------------------------------------------------- */

uint32_t linux_sys_group_create(void)
{
    linux_call_begin();
    struct linux_arena *a = linux_self.arena;
    linux_arena_lock(a);
    uint32_t group = 0;
    if (a->group_count + 1 < LINUX_GROUPS_MAX) {
        group = ++a->group_count;
        a->groups[group] = (struct linux_group){self_record()->group, 0};
    }
    linux_arena_unlock(a);
    return group;
}

static int in_group_tree(const struct linux_arena *a, uint32_t g, uint32_t group)
{
    for (uint32_t hops = 0; g && hops < LINUX_GROUPS_MAX; hops++, g = a->groups[g].parent)
        if (g == group)
            return 1;
    return 0;
}

/* Whether the process of host_pid is dying or dead to /proc: a zombie, exiting
 * (PF_EXITING), or with SIGKILL pending. A killed process dies when it next runs,
 * which on a loaded machine is a while; the model kills at once, so a process a
 * SIGKILL has reached counts as gone. Returns 1 (also when /proc has it no more),
 * 0 when it lives. */
static int dying(int32_t host_pid)
{
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%" PRId32 "/stat", host_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    char *got = fgets(text, sizeof text, f);
    fclose(f);
    char *paren = got ? strrchr(text, ')') : NULL;
    if (!paren || paren[1] != ' ' || paren[2] == 'Z' || paren[2] == 'X')
        return 1;
    unsigned long flags = 0; /* field 9, after state ppid pgrp session tty_nr tpgid */
    if (sscanf(paren + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1 && (flags & 0x4))
        return 1; /* PF_EXITING */
    snprintf(path, sizeof path, "/proc/%" PRId32 "/status", host_pid);
    f = fopen(path, "r");
    if (!f)
        return 1;
    int killed = 0;
    while (fgets(text, sizeof text, f))
        if (strncmp(text, "SigPnd:", 7) == 0 || strncmp(text, "ShdPnd:", 7) == 0)
            killed |= (strtoull(text + 7, NULL, 16) >> (SIGKILL - 1)) & 1;
    fclose(f);
    return killed;
}

/* Whether record r's process is alive: not exited, and not dying to /proc. */
static int record_alive(struct linux_record *r)
{
    if (r->state != LINUX_RECORD_LIVE || r->exited || r->pid <= 0)
        return 0;
    if (r->host_pid <= 0)
        return 1; /* forked an instant ago: its parent has not said where yet */
    if (!dying(r->host_pid))
        return 1;
    return 0;
}

/* The live members of group (nested: of every group nested in it too), init and
 * the zombies left out; pids[] gets them (may be NULL). */
static uint32_t live_members(uint32_t group, int nested, int32_t *pids, uint32_t max)
{
    struct linux_arena *a = linux_self.arena;
    uint32_t n = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX && n < max; i++) {
        struct linux_record *r = &a->procs[i];
        if (r->daemon || !(nested ? in_group_tree(a, r->group, group) : r->group == group))
            continue;
        if (!record_alive(r))
            continue;
        if (pids)
            pids[n] = r->pid;
        n++;
    }
    return n;
}

/* Whether group g has a process group of its own that signals can go to. */
static int has_pgid(const struct linux_arena *a, uint32_t g)
{
    return g > 0 && g < LINUX_GROUPS_MAX && a->groups[g].pgid > 1;
}

/* Sends sig to every live member of group (and its nested groups when nested),
 * once each: killpg on each group that has a process group (a concurrent fork
 * cannot escape it; the caller, when a member, is signalled in the same call),
 * kill on each member of a group that has none (the root group). Returns how many
 * members there were. */
static int signal_members(uint32_t group, int nested, int sig)
{
    struct linux_arena *a = linux_self.arena;
    int32_t pids[LINUX_PROCS_MAX];
    uint32_t n = live_members(group, nested, pids, LINUX_PROCS_MAX);
    ASSERT(n <= LINUX_PROCS_MAX && sig >= 0 && sig < 32);
    if (n == 0 || sig == 0)
        return (int)n;
    int self_inside = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct linux_record *r = linux_record_find(a, pids[i]);
        if (r && has_pgid(a, r->group))
            continue; /* its process group is signalled below */
        if (pids[i] == getpid())
            self_inside = 1;
        else if (pids[i] > 1)
            kill(pids[i], sig);
    }
    for (uint32_t g = 1; g <= a->group_count && g < LINUX_GROUPS_MAX; g++)
        if ((g == group || (nested && in_group_tree(a, g, group))) && has_pgid(a, g))
            killpg(a->groups[g].pgid, sig);
    if (self_inside)
        kill(getpid(), sig);
    return (int)n;
}

int linux_sys_group_kill(uint32_t group, uint32_t sig)
{
    linux_call_begin();
    if (group == 0)
        return -EINVAL;
    if (sig >= 32 || (sig != 0 && !(SIGNALS_KNOWN & (1u << sig))))
        return (int)live_members(group, 0, NULL, LINUX_PROCS_MAX);
    return signal_members(group, 0, (int)sig);
}

int linux_sys_group_drop(uint32_t group)
{
    linux_call_begin();
    if (group == 0)
        return -EINVAL;
    return signal_members(group, 1, SIGKILL);
}

int linux_sys_group_shutdown(uint32_t group, uint64_t grace_ns)
{
    linux_call_begin();
    int members = signal_members(group, 0, SIGINT);
    /* Poll with doubling pauses, riding out the caller's own handlers: the kernel
     * waits on its behalf in the model. */
    uint64_t deadline = linux_virtual_now() + grace_ns, pause = SYS_NS_PER_MS;
    while (members > 0 && live_members(group, 0, NULL, LINUX_PROCS_MAX) > 0) {
        uint64_t now = linux_virtual_now();
        if (now >= deadline)
            break;
        linux_sleep_virtual(pause < deadline - now ? pause : deadline - now);
        pause *= 2;
    }
    return signal_members(group, 1, SIGKILL);
}

/* ---- handles --------------------------------------------------------------------- */

uint32_t linux_sys_handle_count(void)
{
    uint32_t count = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        long fd = strtol(e->d_name, NULL, 10);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd != dirfd(d) &&
            fd >= LINUX_FD_BASE && fd < LINUX_FD_BASE + (long)linux_self.max_handles)
            count++;
    }
    closedir(d);
    return count;
}

int linux_sys_close(uint32_t handle)
{
    linux_call_begin();
    if (!linux_handle_valid(handle))
        return -EBADF;
    return close(linux_fd(handle)) == 0 ? 0 : linux_errno();
}

int linux_sys_closerange(uint32_t low, uint32_t high)
{
    linux_call_begin();
    if (low > high)
        return -EINVAL;
    if (low >= linux_self.max_handles)
        return 0;
    if (high >= linux_self.max_handles)
        high = linux_self.max_handles - 1;
    return close_range((unsigned)linux_fd(low), (unsigned)linux_fd(high), 0) == 0
               ? 0
               : linux_errno();
}

int linux_sys_set_cloexec(uint32_t handle, int on)
{
    linux_call_begin();
    if (!linux_handle_valid(handle))
        return -EBADF;
    int fd = linux_fd(handle), flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return -EBADF;
    flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
    return fcntl(fd, F_SETFD, flags) == 0 ? 0 : linux_errno();
}
