/* linux_run — a run on real processes; see linux_run.h.
 *
 * The runner, init and main:
 *   runner  maps the arena, clone3()s init into a new PID namespace with a pidfd,
 *           lets it go, then waits on the arena's phase (a futex) with a deadline,
 *           probing for a deadlock on the way; at the end it audits or reports, and
 *           kills init, which takes the whole namespace with it.
 *   init    pid 1 of the namespace: dies with the runner (PR_SET_PDEATHSIG), puts
 *           every signal back to its default (this machine's sandbox starts
 *           processes with SIGPIPE ignored), starts a session, points stdio at
 *           /dev/null and the run's captured stderr, forks main, then adopts and
 *           reaps orphans (unless init_reaps=false), watches every process through
 *           a pidfd, and says when every non-detached process has exited.
 *   main    pid 2: the scenario's root, with the sys_* calls going to the Linux
 *           backend (sys_on_linux).
 * Clock and pid reads stay here and in the rest of sim/linux/: nothing of the
 * simulated backend reads them. */
#define _GNU_SOURCE
#include "linux_run.h"
#include "linux_inspect.h"
#include "linux_int.h"
#include "sim/coro.h"
#include "sim/sys_int.h"
#include "util/assert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_PAUSE_NS (250 * 1000000ULL) /* from the first sample of a probe to its last */
#define WAKE_PERIOD_NS (20 * 1000000ULL)  /* the runner looks at least this often */
#define INIT_POLL_MS 5                    /* init looks for new processes this often */

/* What the runner holds while a run goes. */
struct runner {
    const struct run_options *options;
    struct linux_arena *arena;
    int pidfd;        /* init's */
    pid_t init;       /* init's host pid */
    int stderr_fd;    /* the run's captured stderr (a memfd) */
    int life[2];      /* init sees the runner die: POLLHUP on life[0] */
    uint64_t started_ns;
    uint64_t deadline_ns;
};

/* The clone3 arguments (linux/sched.h's struct clone_args, which collides with
 * <sched.h>). */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void futex_wait(volatile uint32_t *word, uint32_t value, uint64_t timeout_ns)
{
    struct timespec t = {(time_t)(timeout_ns / 1000000000ULL), (long)(timeout_ns % 1000000000ULL)};
    syscall(SYS_futex, word, FUTEX_WAIT, value, &t, NULL, 0);
}

/* ---- checks ------------------------------------------------------------------------- */

int linux_run_check(const struct run_options *options, char *error, size_t error_bytes)
{
    char name[64];
    const struct config *config = &options->config;
    scenario_name(options->scenario, name);
    if (!options->scenario->portable) {
        snprintf(error, error_bytes,
                 "%s is not portable: it runs on the simulated backend only (detsim list "
                 "--portable names the scenarios that run on --backend linux)",
                 name);
        return -EINVAL;
    }
    if (config_get(config, "max_procs") > LINUX_PROCS_MAX) {
        snprintf(error, error_bytes,
                 "max_procs=%" PRIu64 " exceeds the linux backend's process cap of %d",
                 config_get(config, "max_procs"), LINUX_PROCS_MAX);
        return -EINVAL;
    }
    if (config_get(config, "max_channels") > LINUX_CHANNELS_MAX) {
        snprintf(error, error_bytes,
                 "max_channels=%" PRIu64 " exceeds the linux backend's channel table of %d",
                 config_get(config, "max_channels"), LINUX_CHANNELS_MAX);
        return -EINVAL;
    }
    for (uint32_t i = 0; i < options->fault_count; i++)
        if (options->faults[i].is_slots) {
            snprintf(error, error_bytes,
                     "--fault %s: slot faults are simulated tables; the linux backend has "
                     "failpoints only",
                     options->faults[i].text);
            return -EINVAL;
        }
    return 0;
}

/* ---- init --------------------------------------------------------------------------- */

static void default_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* stdin and stdout /dev/null, stderr the run's capture; nothing else open. */
static void init_stdio(int stderr_fd)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
    }
    dup2(stderr_fd, 2);
    close_range(3, ~0U, 0);
}

/* The per-process state init hands down to every process of the run. */
static void init_self(struct linux_arena *arena, const struct run_options *options)
{
    const struct config *config = &options->config;
    linux_self = (struct linux_self){0};
    linux_self.arena = arena;
    linux_self.config = config;
    linux_self.seed = options->seed;
    linux_self.perturb_state = options->seed;
    linux_self.perturb_permille = (uint32_t)config_get(config, "perturb");
    linux_self.max_handles = (uint32_t)config_get(config, "max_handles");
    linux_self.handle_move = (uint32_t)config_get(config, "handle_transfer");
    linux_self.edge_triggered = (uint32_t)config_get(config, "port_trigger");
    choice_init_seed(&linux_self.choices, options->seed);
}

/* Takes the record of a process init starts itself (init, main). */
static uint32_t boot_record(struct linux_arena *a, const char *name, int32_t pid,
                            int32_t parent, int daemon)
{
    linux_arena_lock(a);
    int slot = linux_record_take(a, LINUX_PROCS_MAX, name, parent, 0);
    ASSERT(slot >= 0);
    a->procs[slot].pid = pid;
    a->procs[slot].daemon = (uint8_t)daemon;
    a->procs[slot].state = LINUX_RECORD_LIVE;
    linux_arena_unlock(a);
    return (uint32_t)slot;
}

/* Every non-detached process but init has exited. */
static int run_finished(const struct linux_arena *a)
{
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        const struct linux_record *r = &a->procs[i];
        if (r->state == LINUX_RECORD_STARTING)
            return 0;
        if (r->state == LINUX_RECORD_LIVE && !r->daemon && !r->detached && !r->exited)
            return 0;
    }
    return 1;
}

/* Whether the process of r is past its exit: a zombie, or gone. */
static int exit_done(const struct linux_record *r)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%" PRId32 "/stat", r->host_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    char *paren = got ? strrchr(line, ')') : NULL;
    return !paren || paren[2] == 'Z' || paren[2] == 'X';
}

/* A process that exited: a crash of the C code (its zombie's exit code, /proc's
 * stat field 52) ends the run as one, whoever its parent is. */
static void note_exit(struct linux_arena *a, struct linux_record *r)
{
    char path[64], line[1024];
    r->exited = 1;
    snprintf(path, sizeof path, "/proc/%" PRId32 "/stat", r->host_pid);
    FILE *f = fopen(path, "r");
    char *got = f ? fgets(line, sizeof line, f) : NULL;
    if (f)
        fclose(f);
    char *p = got ? strrchr(line, ')') : NULL;
    int field = 3, status = 0;
    for (char *t = p ? strtok(p + 2, " ") : NULL; t; t = strtok(NULL, " "), field++)
        if (field == 52)
            status = atoi(t);
    if (!linux_status_is_crash(status))
        return;
    char message[200];
    snprintf(message, sizeof message, "CRASH: pid %" PRId32 " \"%s\" died of signal %d (%s)",
             r->pid, r->name, WTERMSIG(status), strsignal(WTERMSIG(status)));
    linux_arena_stop(a, SCHED_OUTCOME_CRASH, message);
}

/* Opens a pidfd on every process init does not watch yet; fills p[] with them.
 * Returns how many. */
static int watch_processes(struct linux_arena *a, int pidfds[], int32_t watched[],
                           struct pollfd p[], uint32_t slots[])
{
    int n = 0;
    ASSERT(a != NULL && pidfds != NULL);
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        struct linux_record *r = &a->procs[i];
        int32_t pid = r->pid;
        if (pidfds[i] >= 0 && (r->state != LINUX_RECORD_LIVE || watched[i] != pid)) {
            close(pidfds[i]); /* its slot went to another process */
            pidfds[i] = -1;
        }
        if (r->state != LINUX_RECORD_LIVE || r->daemon || r->exited || pid <= 0)
            continue;
        if (pidfds[i] < 0) {
            pidfds[i] = (int)syscall(SYS_pidfd_open, pid, 0);
            watched[i] = pid;
            if (pidfds[i] < 0 && errno == ENOSYS && exit_done(r))
                note_exit(a, r); /* no pidfds here (Valgrind): /proc says */
            if (pidfds[i] < 0)
                continue; /* reaped already: its reaper frees the slot */
        }
        p[n] = (struct pollfd){pidfds[i], POLLIN, 0};
        slots[n++] = i;
    }
    return n;
}

/* Frees the slots of exited processes that are gone from /proc: reaped without a
 * wait that we saw (SIG_CHLD ignored reaps at once). */
static void collect_reaped(struct linux_arena *a)
{
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        struct linux_record *r = &a->procs[i];
        char path[64];
        snprintf(path, sizeof path, "/proc/%" PRId32, r->host_pid);
        if (r->state != LINUX_RECORD_LIVE || !r->exited || r->host_pid <= 0 ||
            access(path, F_OK) == 0)
            continue;
        linux_arena_lock(a);
        if (r->state == LINUX_RECORD_LIVE && r->exited)
            linux_record_free(a, i);
        linux_arena_unlock(a);
    }
}

/* A spawner killed in the middle of a spawn leaves its child's slot STARTING: freed
 * when no child was forked (or none got far enough to say so), handed to the usual
 * tracking when one was. Only once the spawner is gone and STALLED_START_NS passed. */
#define STALLED_START_NS (100 * 1000000ULL)
static void collect_stalled_starts(struct linux_arena *a)
{
    uint64_t now = linux_now_ns();
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        struct linux_record *r = &a->procs[i];
        if (r->state != LINUX_RECORD_STARTING || now - r->taken_ns < STALLED_START_NS)
            continue;
        const struct linux_record *spawner = linux_record_find(a, r->parent);
        if (spawner && spawner->state == LINUX_RECORD_LIVE && !spawner->exited)
            continue;
        linux_arena_lock(a);
        if (r->state == LINUX_RECORD_STARTING && r->pid > 0)
            r->state = LINUX_RECORD_LIVE;
        else if (r->state == LINUX_RECORD_STARTING)
            linux_record_free(a, i);
        linux_arena_unlock(a);
    }
}

/* Before the run is declared over: a process marks itself exited just before its
 * _exit, so waits (a bounded one) until each is a zombie or gone, and reaps what
 * is init's to reap; the audit then sees the run as it ended. */
static void settle_exits(struct linux_arena *a, int reaps)
{
    /* Microseconds as a rule; under Valgrind an exit checks for leaks first. */
    for (int tries = 0; tries < 2000; tries++) {
        int pending = 0;
        for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
            const struct linux_record *r = &a->procs[i];
            pending |= r->state == LINUX_RECORD_LIVE && !r->daemon && r->exited &&
                       r->host_pid > 0 && !exit_done(r);
        }
        if (!pending)
            break;
        struct timespec t = {0, 1000000L};
        nanosleep(&t, NULL);
    }
    int status;
    for (pid_t pid; reaps && (pid = waitpid(-1, &status, WNOHANG)) > 0;)
        linux_reaped(pid, status);
}

/* Init's loop: reaps (when init_reaps), marks exits, says when the run is over;
 * then stays still, so that the runner audits the run as it ended. */
static void init_loop(struct linux_arena *a, int reaps)
{
    static int pidfds[LINUX_PROCS_MAX];
    static int32_t watched[LINUX_PROCS_MAX];
    static struct pollfd p[LINUX_PROCS_MAX];
    static uint32_t slots[LINUX_PROCS_MAX];
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++)
        pidfds[i] = -1;
    ASSERT(getpid() == 1 && a->procs[0].daemon); /* the namespace's init */
    for (uint64_t round = 0;; round++) {
        int n = watch_processes(a, pidfds, watched, p, slots);
        poll(p, (nfds_t)n, INIT_POLL_MS);
        for (int k = 0; k < n; k++)
            if (p[k].revents && a->procs[slots[k]].pid == watched[slots[k]])
                note_exit(a, &a->procs[slots[k]]);
        int status;
        for (pid_t pid; reaps && (pid = waitpid(-1, &status, WNOHANG)) > 0;)
            linux_reaped(pid, status);
        if (round % 10 == 0) {
            collect_reaped(a);
            collect_stalled_starts(a);
        }
        if (a->phase == LINUX_PHASE_RUNNING && run_finished(a)) {
            settle_exits(a, reaps);
            linux_arena_set_phase(a, LINUX_PHASE_FINISHED);
        }
        if (a->phase == LINUX_PHASE_FINISHED || a->phase == LINUX_PHASE_STOPPED)
            for (;;)
                pause();
    }
}

/* pid 1 of the run's namespace. Never returns. */
static void init_main(struct runner *run) __attribute__((noreturn));
static void init_main(struct runner *run)
{
    struct linux_arena *a = run->arena;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(run->life[1]);
    struct pollfd life = {run->life[0], POLLIN, 0};
    if (poll(&life, 1, 0) != 0)
        _exit(3); /* the runner died before we could tie our life to it */
    while (__atomic_load_n(&a->go, __ATOMIC_ACQUIRE) == 0)
        futex_wait(&a->go, 0, WAKE_PERIOD_NS);
    default_signals();
    setsid();
    init_stdio(run->stderr_fd);
    init_self(a, run->options);
    sys_on_linux = 1;
    linux_self.slot = boot_record(a, "init", 1, 0, 1);
    a->procs[linux_self.slot].host_pid = a->init_host_pid;
    uint32_t main_slot = boot_record(a, "main", 0, 1, 0);
    a->start_ns = linux_now_ns();
    linux_arena_set_phase(a, LINUX_PHASE_RUNNING);
    pid_t pid = fork();
    if (pid == 0) {
        linux_self.slot = main_slot;
        a->procs[main_slot].pid = getpid();
        char self[32];
        ssize_t n = readlink("/proc/self", self, sizeof self - 1);
        a->procs[main_slot].host_pid = n > 0 ? (self[n] = '\0', (int32_t)atoi(self)) : 0;
        linux_self.perturb_state ^= 0x2545f4914f6cdd1dULL;
        linux_process_main(run->options->scenario->main, NULL);
    }
    if (pid < 0) {
        linux_arena_stop(a, SCHED_OUTCOME_CRASH, "init could not fork main");
        _exit(3);
    }
    a->procs[main_slot].pid = pid;
    init_loop(a, (int)config_get(&run->options->config, "init_reaps"));
    _exit(0);
}

/* ---- the runner --------------------------------------------------------------------- */

/* Writes one line to a /proc file of pid. Returns 0 or -errno. */
static int write_proc(pid_t pid, const char *file, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int rc = n == (ssize_t)strlen(text) ? 0 : -errno;
    close(fd);
    return rc;
}

/* Maps our own uid and gid into init's new user namespace, as themselves. */
static int map_user(pid_t pid)
{
    char line[64];
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
    int rc = write_proc(pid, "uid_map", line);
    if (rc == 0)
        rc = write_proc(pid, "setgroups", "deny\n");
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
    return rc == 0 ? write_proc(pid, "gid_map", line) : rc;
}

/* clone3 with flags and a pidfd: 0 in the child, the child's pid in the parent, or
 * -1 with errno. */
static pid_t clone_init(struct runner *run, uint64_t flags)
{
    struct clone3_args args = {0};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&run->pidfd;
    args.exit_signal = SIGCHLD;
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/* Where clone3 is missing (Valgrind does not know it): unshare the PID namespace of
 * our children, fork init, and take our own back. Allowed to root only. Returns as
 * clone_init. */
static pid_t fork_init_unshared(struct runner *run)
{
    int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (own < 0 || unshare(CLONE_NEWPID) != 0) {
        int saved = errno;
        if (own >= 0)
            close(own);
        errno = saved;
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        return 0;
    int saved = errno;
    setns(own, CLONE_NEWPID); /* our next children are ours again */
    close(own);
    if (pid > 0)
        run->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* our child: not reaped yet */
    errno = saved;
    return pid;
}

/* Starts init in a new PID namespace (a user namespace too when plain CLONE_NEWPID
 * is not allowed). Returns 0, or -EPERM with the reason in why. */
static int start_init(struct runner *run, char *why, size_t why_bytes)
{
    fflush(NULL); /* nothing buffered is written twice */
    int user = 0;
    pid_t pid = clone_init(run, CLONE_NEWPID);
    if (pid < 0 && errno == ENOSYS)
        pid = fork_init_unshared(run);
    int first_errno = errno;
    if (pid < 0 && (errno == EPERM || errno == EINVAL)) {
        user = 1;
        pid = clone_init(run, CLONE_NEWPID | CLONE_NEWUSER);
    }
    if (pid == 0)
        init_main(run);
    if (pid < 0) {
        snprintf(why, why_bytes,
                 "cannot start a real run: no PID namespace for it (clone3 CLONE_NEWPID: %s; "
                 "with CLONE_NEWUSER: %s); run as root or allow unprivileged user namespaces",
                 strerror(first_errno), strerror(errno));
        return -EPERM;
    }
    run->init = pid;
    run->arena->init_host_pid = pid;
    if (user && map_user(pid) != 0) {
        snprintf(why, why_bytes, "cannot start a real run: cannot map the user namespace (%s)",
                 strerror(errno));
        return -EPERM;
    }
    __atomic_store_n(&run->arena->go, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &run->arena->go, FUTEX_WAKE, 1, NULL, NULL, 0);
    return 0;
}

/* Kills init (and so the whole namespace) and reaps it; the namespace is empty when
 * this returns. */
static void teardown(struct runner *run)
{
    if (run->pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, run->pidfd, SIGKILL, NULL, 0);
        siginfo_t info;
        while (waitid(P_PIDFD, (id_t)run->pidfd, &info, WEXITED) != 0 && errno == EINTR)
            ;
        close(run->pidfd);
        run->pidfd = -1;
    } else if (run->init > 0) {
        /* No pidfds here (Valgrind): init is our child, not reaped, so its pid is its. */
        kill(run->init, SIGKILL);
        while (waitpid(run->init, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    run->init = 0;
    if (run->life[1] >= 0)
        close(run->life[1]);
    if (run->life[0] >= 0)
        close(run->life[0]);
    if (run->stderr_fd >= 0)
        close(run->stderr_fd);
    run->life[0] = run->life[1] = run->stderr_fd = -1;
}

/* Whether init has died (it never exits on its own). */
static int init_died(const struct runner *run)
{
    if (run->pidfd < 0) {
        siginfo_t info = {0};
        return waitid(P_PID, (id_t)run->init, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid != 0;
    }
    struct pollfd p = {run->pidfd, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
}

/* The tail of the run's stderr (what a crash printed), appended to out. */
static void append_stderr(const struct runner *run, struct text *out)
{
    char tail[2048];
    off_t size = lseek(run->stderr_fd, 0, SEEK_END);
    if (size <= 0)
        return;
    off_t from = size > (off_t)sizeof tail - 1 ? size - (off_t)sizeof tail + 1 : 0;
    ssize_t n = pread(run->stderr_fd, tail, sizeof tail - 1, from);
    if (n <= 0)
        return;
    tail[n] = '\0';
    text_printf(out, "\nStandard error of the run (last lines):\n%s%s", tail,
                tail[n - 1] == '\n' ? "" : "\n");
}

/* Settles the outcome of a run that stopped, finished or ran out of time. */
static enum sched_outcome settle(struct runner *run, struct text *report)
{
    struct linux_arena *a = run->arena;
    ASSERT(run->pidfd >= 0 || run->init > 0);
    ASSERT(run->deadline_ns > run->started_ns);
    for (;;) {
        uint32_t phase = __atomic_load_n(&a->phase, __ATOMIC_ACQUIRE);
        if (phase == LINUX_PHASE_STOPPED) {
            text_printf(report, "%s\n", a->message);
            linux_describe(a, report);
            if (a->outcome == SCHED_OUTCOME_CRASH)
                append_stderr(run, report);
            return (enum sched_outcome)a->outcome;
        }
        if (phase == LINUX_PHASE_FINISHED)
            return linux_audit(a, report) ? SCHED_OUTCOME_LEAK : SCHED_OUTCOME_PASS;
        if (init_died(run)) {
            text_printf(report, "CRASH: the run's init died\n");
            append_stderr(run, report);
            return SCHED_OUTCOME_CRASH;
        }
        uint64_t now = linux_now_ns();
        int deadlock = phase == LINUX_PHASE_RUNNING && linux_probe_deadlock(a, PROBE_PAUSE_NS, report);
        if (deadlock)
            return SCHED_OUTCOME_HANG_DEADLOCK;
        if (now >= run->deadline_ns) {
            linux_report_budget(a, now - run->started_ns, PROBE_PAUSE_NS, report);
            return SCHED_OUTCOME_HANG_BUDGET;
        }
        uint64_t left = run->deadline_ns - now;
        futex_wait(&a->phase, phase, left < WAKE_PERIOD_NS ? left : WAKE_PERIOD_NS);
    }
}

/* Fills what the run measured into result. */
static void collect(const struct runner *run, struct run_result *result)
{
    const struct linux_arena *a = run->arena;
    uint64_t calls = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++)
        calls += a->procs[i].calls; /* the processes still in the table */
    result->steps = calls + a->calls_freed;
    result->real_ns = linux_now_ns() - run->started_ns;
    result->vtime_ns = result->real_ns * a->time_scale;
    result->processes_peak = a->procs_peak;
    result->heap_attempts = a->heap.attempts;
    result->heap_ooms = a->heap.oom_count;
}

int linux_run(const struct run_options *options, struct run_result *result)
{
    *result = (struct run_result){0};
    ASSERT(options->scenario && options->scenario->portable);
    /* Every process of the run is a copy of this one: the coroutine stacks simulated
     * runs left pooled here would be copied into each fork, and slow it. */
    coro_pool_drain();
    struct runner run = {.options = options, .pidfd = -1, .life = {-1, -1}};
    run.arena = linux_arena_create(&options->config);
    run.stderr_fd = (int)syscall(SYS_memfd_create, "detsim-run-stderr", 0);
    if (!run.arena || run.stderr_fd < 0 || pipe2(run.life, O_CLOEXEC) != 0) {
        int rc = run.arena && run.stderr_fd >= 0 ? -EPERM : -ENOMEM;
        text_printf(&result->report, "cannot start a real run: %s", strerror(errno));
        teardown(&run);
        linux_arena_destroy(run.arena);
        return rc;
    }
    run.started_ns = linux_now_ns();
    run.deadline_ns = run.started_ns + config_get(&options->config, "real_deadline");
    char why[320];
    int rc = start_init(&run, why, sizeof why);
    if (rc == 0) {
        result->outcome = settle(&run, &result->report);
        collect(&run, result);
    } else {
        text_printf(&result->report, "%s", why);
    }
    teardown(&run);
    linux_arena_destroy(run.arena);
    return rc;
}

/* ---- capabilities ------------------------------------------------------------------ */

/* The cgroup v2 directory of this process into path, when it has one. */
static int own_cgroup(char *path, size_t bytes)
{
    char line[1024], mount[512] = "", own[512] = "";
    FILE *f = fopen("/proc/self/mountinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %511s", mount) == 1)
            break;
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(own, sizeof own, "%.500s", line + 3);
            own[strcspn(own, "\n")] = '\0';
        }
    if (f)
        fclose(f);
    if (!mount[0] || !own[0])
        return 0;
    snprintf(path, bytes, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
    return 1;
}

void linux_capabilities(struct text *out)
{
    struct runner probe = {.pidfd = -1};
    const char *pid_namespace = "yes (CLONE_NEWPID)";
    pid_t pid = clone_init(&probe, CLONE_NEWPID);
    if (pid < 0 && errno != ENOSYS) {
        pid_namespace = "yes, in a user namespace of its own";
        pid = clone_init(&probe, CLONE_NEWPID | CLONE_NEWUSER);
    }
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    else
        pid_namespace = errno == ENOSYS ? "through unshare (no clone3 here): root only"
                                        : "no: real runs cannot start";
    if (probe.pidfd >= 0)
        close(probe.pidfd);
    /* Delegated: we may make a cgroup below ours, and it has cgroup.kill. */
    char cgroup[1024], child[1100], kill_file[1200];
    int delegated = 0;
    if (own_cgroup(cgroup, sizeof cgroup)) {
        snprintf(child, sizeof child, "%s/detsim-probe-%d", cgroup, (int)getpid());
        if (mkdir(child, 0755) == 0) {
            snprintf(kill_file, sizeof kill_file, "%s/cgroup.kill", child);
            delegated = access(kill_file, W_OK) == 0;
            rmdir(child);
        }
    }
    text_printf(out, "a PID namespace per run: %s; cgroup v2 delegation: %s\n", pid_namespace,
                delegated ? "available (unused: a group is a process group, dropped by killpg)"
                          : "unavailable (a group is a process group, dropped by killpg)");
}
