/* linux_probes — the real-kernel side of make fidelity: one probe per semantic
 * point, with real processes and real syscalls (see fidelity.h).
 *
 * Message channels are AF_UNIX SOCK_SEQPACKET socketpairs, byte-stream channels
 * pipes, ports epoll instances, groups process groups (and a cgroup for
 * cgroup.kill). Where one step must wait for another process to be blocked in a
 * call, the probe polls /proc/PID/stat for the sleeping state rather than trust a
 * sleep. Every probe prints its answer in the words of its detsim scenario. */
#define _GNU_SOURCE
#include "fidelity.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------- */

static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    printf("\n");
    fflush(stdout);
}

/* "EINTR" for errno code e; "0" for 0. */
static const char *name_of(int e)
{
    static const struct { int code; const char *name; } names[] = {
        {0, "0"}, {EINTR, "EINTR"}, {EPIPE, "EPIPE"}, {EAGAIN, "EAGAIN"}, {ECHILD, "ECHILD"},
        {ESRCH, "ESRCH"}, {EINVAL, "EINVAL"}, {EMFILE, "EMFILE"}, {EPERM, "EPERM"},
        {EBADF, "EBADF"}, {ENOSYS, "ENOSYS"}, {EMSGSIZE, "EMSGSIZE"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == e)
            return names[i].name;
    return strerror(e);
}

/* The result of a call returning -1/errno, as a name: "0" or "EINTR". */
static const char *result_of(long rc)
{
    return name_of(rc < 0 ? errno : 0);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* The state letter of pid in /proc (R, S, Z, ...), or 0. */
static char proc_state(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    char *close_paren = got ? strrchr(line, ')') : NULL;
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

/* Waits (up to 5 s) until pid is in state (S: blocked in a call; Z: a zombie). */
static void wait_state(pid_t pid, char state)
{
    for (int i = 0; i < 5000 && proc_state(pid) != state; i++)
        sleep_ms(1);
    sleep_ms(20); /* settled in the call */
}

/* What a wait status says, in the detsim scenarios' words. */
static const char *status_text(int status, char buf[32])
{
    if (WIFSIGNALED(status))
        snprintf(buf, 32, "signal %d", WTERMSIG(status));
    else if (WIFEXITED(status))
        snprintf(buf, 32, "exit %d", WEXITSTATUS(status));
    else
        snprintf(buf, 32, "status %#x", status);
    return buf;
}

static int seqpacket_pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
        say("socketpair: %s", name_of(errno));
        exit(1);
    }
    return 0;
}

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

static void catch_signal(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void ignore_signal(int sig)
{
    signal(sig, SIG_IGN);
}

/* Receives on fd, retrying while interrupted; says how many EINTR it saw. */
static void receive_counting_eintr(int fd)
{
    char byte;
    ssize_t n;
    int eintr = 0;
    while ((n = recv(fd, &byte, 1, 0)) < 0 && errno == EINTR)
        eintr++;
    if (n > 0)
        say("data after %d EINTR", eintr);
    else
        say("recv: %s", result_of(n));
}

/* ---- point 1: signals and blocking calls ------------------------------------------ */

/* A handler without SA_RESTART; the signal comes while recv is blocked; the data
 * 300 ms later. The retry loop gets EINTR once, then the data. */
static void signal_during_recv(int flags)
{
    int sv[2];
    seqpacket_pair(sv);
    pid_t r = fork();
    if (r == 0) {
        catch_signal(SIGTERM, flags);
        receive_counting_eintr(sv[1]);
        _exit(0);
    }
    wait_state(r, 'S');
    kill(r, SIGTERM);
    sleep_ms(300);
    send(sv[0], "x", 1, 0);
    waitpid(r, NULL, 0);
}

static void probe_eintr_retry(void)
{
    signal_during_recv(0);
}

static void probe_sa_restart(void)
{
    signal_during_recv(SA_RESTART);
}

/* The handler runs before the call (the signal came first): the call then blocks
 * like any other, until the data comes. */
static void probe_signal_before_block(void)
{
    int sv[2];
    seqpacket_pair(sv);
    pid_t r = fork();
    if (r == 0) {
        catch_signal(SIGTERM, 0);
        kill(getpid(), SIGTERM);
        char byte;
        ssize_t n;
        int eintr = 0;
        while ((n = recv(sv[1], &byte, 1, 0)) < 0 && errno == EINTR)
            eintr++;
        say("handler ran %d time(s); recv %s (%d EINTR)", (int)handled,
            n > 0 ? "blocked until the data" : "failed", eintr);
        _exit(0);
    }
    wait_state(r, 'S');
    sleep_ms(100);
    send(sv[0], "x", 1, 0);
    waitpid(r, NULL, 0);
}

/* ---- points 5 and 6: SIGPIPE and SIGCHLD ------------------------------------------ */

/* A write to a pipe whose reader closed: SIGPIPE, whose default action kills. */
static void probe_sigpipe_default(void)
{
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    close(p[0]);
    pid_t w = fork();
    if (w == 0) {
        if (write(p[1], "x", 1) < 0)
            _exit(1);
        _exit(0);
    }
    int status;
    char buf[32];
    waitpid(w, &status, 0);
    say("the writer ends with %s", status_text(status, buf));
}

/* A send on a SOCK_SEQPACKET socket whose peer closed: EPIPE, and no SIGPIPE (the
 * datagram path of AF_UNIX never raises it; pipes and SOCK_STREAM do). */
static void probe_seqpacket_epipe(void)
{
    int sv[2];
    seqpacket_pair(sv);
    close(sv[1]);
    const char *rc = result_of(send(sv[0], "x", 1, 0));
    say("%s; the writer lives", rc);
}

static void probe_sigchld_interrupts(void)
{
    int sv[2];
    seqpacket_pair(sv);
    catch_signal(SIGCHLD, 0);
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(100);
        _exit(0);
    }
    char byte;
    say("recv %s", result_of(recv(sv[0], &byte, 1, 0)));
    waitpid(c, NULL, 0);
}

static void probe_sigchld_ignored(void)
{
    ignore_signal(SIGCHLD);
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    sleep_ms(100);
    long probe = kill(c, 0);
    const char *alive = result_of(probe);
    say("kill 0: %s; wait: %s", alive, result_of(waitpid(-1, NULL, 0)));
}

/* ---- points 7 and 8: zombies, reapers, statuses ------------------------------------ */

static void probe_kill_zombie(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    wait_state(c, 'Z');
    const char *zero = result_of(kill(c, 0));
    const char *term = result_of(kill(c, SIGTERM));
    waitpid(c, NULL, 0);
    say("zombie: kill 0 -> %s, SIGTERM -> %s; reaped: kill 0 -> %s", zero, term,
        result_of(kill(c, 0)));
}

/* B forks C and exits; C exits 200 ms later. */
static pid_t fork_orphan_maker(pid_t *orphan_out, int orphan_code)
{
    int report[2];
    if (pipe(report) != 0)
        exit(1);
    pid_t b = fork();
    if (b == 0) {
        pid_t c = fork();
        if (c == 0) {
            sleep_ms(200);
            _exit(orphan_code);
        }
        if (write(report[1], &c, sizeof c) != (ssize_t)sizeof c)
            _exit(1);
        _exit(0);
    }
    close(report[1]);
    if (read(report[0], orphan_out, sizeof *orphan_out) != (ssize_t)sizeof *orphan_out)
        exit(1);
    close(report[0]);
    return b;
}

static void probe_subreaper(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t c;
    pid_t b = fork_orphan_maker(&c, 7);
    waitpid(b, NULL, 0);
    int status;
    char buf[32];
    pid_t got = waitpid(-1, &status, 0);
    say("the subreaper %s the orphan (%s)", got == c ? "reaps" : "does not reap",
        status_text(status, buf));
}

/* A reaper that never waits: a container init that does not reap. The subreaper
 * stands for it. */
static void probe_init_does_not_reap(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t c;
    pid_t b = fork_orphan_maker(&c, 0);
    waitpid(b, NULL, 0);
    sleep_ms(400);
    say("the orphan %s (kill 0 -> %s)", proc_state(c) == 'Z' ? "stays a zombie" : "is gone",
        result_of(kill(c, 0)));
}

static void probe_orphan_adoption(void)
{
    int report[2];
    if (pipe(report) != 0)
        exit(1);
    pid_t b = fork();
    if (b == 0) {
        pid_t c = fork();
        if (c == 0) {
            pid_t parent = getppid();
            while (getppid() == parent)
                sleep_ms(5);
            char answer = 1;
            if (write(report[1], &answer, 1) != 1)
                _exit(1);
            _exit(0);
        }
        sleep_ms(50);
        _exit(0);
    }
    close(report[1]);
    waitpid(b, NULL, 0);
    char answer = 0;
    if (read(report[0], &answer, 1) != 1)
        answer = 0;
    say("%s", answer ? "re-parented" : "keeps its dead parent");
}

static void probe_wait_status(void)
{
    pid_t killed = fork();
    if (killed == 0) {
        for (;;)
            pause();
    }
    pid_t exited = fork();
    if (exited == 0)
        _exit(143);
    wait_state(killed, 'S');
    kill(killed, SIGTERM);
    int s1, s2;
    char b1[32], b2[32];
    waitpid(killed, &s1, 0);
    waitpid(exited, &s2, 0);
    say("SIGTERM: %s; exit(143): %s", status_text(s1, b1), status_text(s2, b2));
}

static void probe_wait_echild(void)
{
    const char *none = result_of(waitpid(-1, NULL, 0));
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    int status;
    char buf[32];
    pid_t got = waitpid(-1, &status, 0);
    say("no children: %s; a child: %s, %s", none, got == c ? "its pid" : "another pid",
        status_text(status, buf));
}

static void probe_kill_signals(void)
{
    pid_t catching = fork();
    if (catching == 0) {
        catch_signal(SIGTERM, 0);
        for (;;)
            pause();
    }
    pid_t plain = fork();
    if (plain == 0) {
        for (;;)
            pause();
    }
    wait_state(catching, 'S');
    wait_state(plain, 'S');
    kill(catching, SIGTERM);
    sleep_ms(50);
    const char *alive = kill(catching, 0) == 0 && proc_state(catching) != 'Z' ? "alive" : "dead";
    kill(catching, SIGKILL);
    kill(plain, SIGINT);
    int s1, s2;
    char b1[32], b2[32];
    waitpid(catching, &s1, 0);
    waitpid(plain, &s2, 0);
    say("SIGTERM caught: %s; SIGKILL: %s; SIGINT: %s", alive, status_text(s1, b1),
        status_text(s2, b2));
}

/* ---- points 9 and 10: close_range, groups ------------------------------------------ */

static void probe_close_range(void)
{
    int low = dup(0), high = dup(0);
    long valid = syscall(SYS_close_range, (unsigned)low, (unsigned)high, 0u);
    if (valid < 0 && errno == ENOSYS) {
        say("skipped: close_range is not in this kernel");
        return;
    }
    const char *first = result_of(valid);
    long reversed = syscall(SYS_close_range, (unsigned)high + 5, (unsigned)low, 0u);
    say("valid range: %s; low > high: %s", first, result_of(reversed));
}

/* B joins group (or makes its own with group 0), forks C, and exits; C optionally
 * leaves for a process group of its own. The caller is a subreaper, so C is its. */
static pid_t fork_group_tree(pid_t *c_out, int c_own_group, const char *cgroup_procs)
{
    int report[2];
    if (pipe(report) != 0)
        exit(1);
    pid_t b = fork();
    if (b == 0) {
        setpgid(0, 0);
        if (cgroup_procs) {
            FILE *f = fopen(cgroup_procs, "w");
            if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
                _exit(1);
        }
        pid_t c = fork();
        if (c == 0) {
            if (c_own_group)
                setpgid(0, 0);
            for (;;)
                pause();
        }
        if (write(report[1], &c, sizeof c) != (ssize_t)sizeof c)
            _exit(1);
        _exit(0);
    }
    close(report[1]);
    if (read(report[0], c_out, sizeof *c_out) != (ssize_t)sizeof *c_out)
        exit(1);
    close(report[0]);
    int status;
    waitpid(b, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        say("the group's leader failed");
        exit(1);
    }
    return b;
}

/* Kills pid c if it still lives, and says how it ended ("signal 9"). */
static const char *reap_text(pid_t c, char buf[32])
{
    sleep_ms(100);
    int status = 0;
    if (waitpid(c, &status, WNOHANG) == 0) {
        kill(c, SIGKILL);
        waitpid(c, &status, 0);
        return "not reached";
    }
    return status_text(status, buf);
}

static void probe_killpg_orphan(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t c;
    pid_t b = fork_group_tree(&c, 0, NULL);
    killpg(b, SIGKILL);
    char buf[32];
    say("the member: %s", reap_text(c, buf));
}

/* The cgroup2 mount point and the probe's own cgroup under it, or 0. */
static int own_cgroup(char *path, size_t bytes)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[1024], mount[512] = "";
    while (f && fgets(line, sizeof line, f)) {
        char *dash = strstr(line, " - cgroup2 ");
        if (!dash)
            continue;
        char point[512];
        if (sscanf(line, "%*s %*s %*s %*s %511s", point) == 1)
            snprintf(mount, sizeof mount, "%s", point);
        break;
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "r");
    char own[512] = "";
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

static void probe_cgroup_kill(void)
{
    char base[600], dir[700], file[800];
    if (!own_cgroup(base, sizeof base)) {
        say("skipped: no cgroup2 hierarchy");
        return;
    }
    snprintf(dir, sizeof dir, "%s/detsim-fidelity-%d", base, (int)getpid());
    if (mkdir(dir, 0755) != 0) {
        say("skipped: cannot create a cgroup (%s)", name_of(errno));
        return;
    }
    snprintf(file, sizeof file, "%s/cgroup.kill", dir);
    if (access(file, W_OK) != 0) {
        rmdir(dir);
        say("skipped: no cgroup.kill (%s)", name_of(errno));
        return;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    char procs[800];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    pid_t c;
    fork_group_tree(&c, 1, procs);
    FILE *f = fopen(file, "w");
    int written = f && fprintf(f, "1\n") > 0;
    if (f && fclose(f) != 0)
        written = 0;
    char buf[32];
    const char *fate = written ? reap_text(c, buf) : "not reached";
    for (int i = 0; i < 100 && rmdir(dir) != 0; i++)
        sleep_ms(10); /* the cgroup empties once the kill has landed */
    say("its grandchild in a group of its own: %s", fate);
}

/* ---- point 2: epoll ---------------------------------------------------------------- */

static void probe_port_bind_after_hup(void)
{
    int sv[2];
    seqpacket_pair(sv);
    close(sv[1]);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
    struct epoll_event got;
    int n = epoll_wait(ep, &got, 1, 0);
    say("%s", n == 1 && (got.events & EPOLLHUP) ? "PEER_CLOSED at once" : "no event");
}

/* Two messages queued; the loop waits and reads one message per event. */
static void one_message_per_event(uint32_t flags)
{
    int sv[2];
    seqpacket_pair(sv);
    send(sv[1], "a", 1, 0);
    send(sv[1], "b", 1, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | flags, .data.u64 = 1};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
    int events = 0, messages = 0;
    struct epoll_event got;
    while (events < 10 && epoll_wait(ep, &got, 1, 100) == 1) {
        events++;
        char byte;
        messages += recv(sv[0], &byte, 1, MSG_DONTWAIT) == 1;
    }
    say("%d event(s), %d message(s)", events, messages);
}

static void probe_port_level_triggered(void)
{
    one_message_per_event(0);
}

static void probe_port_edge_triggered(void)
{
    one_message_per_event(EPOLLET);
}

/* ---- point 3: capacity in bytes, partial writes ------------------------------------ */

static void probe_pipe_small_writes(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) != 0)
        exit(1);
    char line[20];
    memset(line, 'x', sizeof line);
    int ok = 0;
    for (int i = 0; i < 20; i++)
        ok += write(p[1], line, sizeof line) == (ssize_t)sizeof line;
    say("%d of 20 fit", ok);
}

static void probe_pipe_large_write(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) != 0)
        exit(1);
    static char big[100000];
    ssize_t n = write(p[1], big, sizeof big);
    say("%zd written", n);
}

static void probe_pipe_partial_then_epipe(void)
{
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t w = fork();
    if (w == 0) {
        close(p[0]);
        ignore_signal(SIGPIPE);
        static char big[100000];
        ssize_t first = write(p[1], big, sizeof big);
        long second = write(p[1], big, 1);
        say("%zd written, then %s", first, result_of(second));
        _exit(0);
    }
    close(p[1]);
    wait_state(w, 'S');
    close(p[0]);
    waitpid(w, NULL, 0);
}

/* ---- point 4 and in-flight handles: SCM_RIGHTS --------------------------------------- */

static int send_fd(int over, int fd)
{
    char data = 'h';
    struct iovec iov = {&data, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(over, &msg, 0) == 1 ? 0 : -errno;
}

/* Receives one message; *fd gets a carried fd or -1; returns the byte count or -1,
 * *truncated whether MSG_CTRUNC was set. */
static ssize_t receive_fd(int from, int *fd, int *truncated, int flags)
{
    char data;
    struct iovec iov = {&data, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t n = recvmsg(from, &msg, flags);
    *fd = -1;
    *truncated = n >= 0 && (msg.msg_flags & MSG_CTRUNC) != 0;
    if (n < 0)
        return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
    return n;
}

/* 0 at end of file, or the errno of a nonblocking receive ("EAGAIN": no EOF). */
static const char *eof_text(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
    return n == 0 ? "EOF" : n > 0 ? "data" : "no EOF";
}

static void probe_scm_rights_copy(void)
{
    int s[2], x[2];
    seqpacket_pair(s);
    seqpacket_pair(x);
    send_fd(s[0], x[1]);
    const char *kept = fcntl(x[1], F_GETFD) >= 0 ? "keeps" : "loses";
    int y, truncated;
    receive_fd(s[1], &y, &truncated, 0);
    close(y);
    say("the sender %s its handle; its peer sees %s", kept, eof_text(x[0]));
}

/* Fills the caller's fd table up to its RLIMIT_NOFILE. */
static void fill_fd_table(void)
{
    int highest = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            highest = fd;
    struct rlimit limit = {(rlim_t)highest + 1, (rlim_t)highest + 1};
    struct rlimit old;
    getrlimit(RLIMIT_NOFILE, &old);
    limit.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    while (dup(0) >= 0)
        ;
}

static void probe_scm_rights_full_table(void)
{
    int s[2], x[2];
    seqpacket_pair(s);
    seqpacket_pair(x);
    send_fd(s[0], x[1]);
    send(s[0], "n", 1, 0);
    fill_fd_table();
    int fd, truncated;
    ssize_t n = receive_fd(s[1], &fd, &truncated, 0);
    char next;
    ssize_t again = recv(s[1], &next, 1, MSG_DONTWAIT);
    say("%s, %s, handle %s; next recv: %s", n == 1 ? "consumed" : result_of(n),
        truncated ? "truncated" : "not truncated", fd >= 0 ? "installed" : "dropped",
        again == 1 && next == 'n' ? "the next message" : "something else");
}

static void probe_inflight_released(void)
{
    int s[2], x[2];
    seqpacket_pair(s);
    seqpacket_pair(x);
    send_fd(s[0], x[1]);
    close(x[1]);
    close(s[1]);
    say("the carried handle's peer sees %s", eof_text(x[0]));
}

/* ---- points that already agree: EOF, inheritance, limits ---------------------------- */

static void probe_eof_after_drain(void)
{
    int s[2];
    seqpacket_pair(s);
    send(s[0], "a", 1, 0);
    send(s[0], "b", 1, 0);
    close(s[0]);
    char byte;
    int messages = 0;
    ssize_t n;
    while ((n = recv(s[1], &byte, 1, 0)) > 0)
        messages++;
    say("%d messages, then %s", messages, n == 0 ? "EOF" : result_of(n));
}

static void probe_grandchild_holds_eof(void)
{
    int s[2];
    seqpacket_pair(s);
    pid_t b = fork();
    if (b == 0) {
        if (fork() == 0) {
            sleep_ms(300);
            _exit(0);
        }
        _exit(0);
    }
    close(s[1]);
    waitpid(b, NULL, 0);
    const char *early = eof_text(s[0]);
    char byte;
    ssize_t n = recv(s[0], &byte, 1, 0);
    say("while a grandchild holds a copy: %s; after it exits: %s", early,
        n == 0 ? "EOF" : result_of(n));
}

static void probe_cloexec(void)
{
    int s[2], ready[2];
    seqpacket_pair(s);
    if (pipe(ready) != 0)
        exit(1);
    fcntl(s[1], F_SETFD, FD_CLOEXEC);
    pid_t c = fork();
    if (c == 0) {
        close(ready[0]);
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", ready[1]);
        execl("/proc/self/exe", "fidelity", "--exec-child", fd_text, "300", (char *)NULL);
        _exit(127);
    }
    close(ready[1]);
    char byte;
    if (read(ready[0], &byte, 1) != 1) {
        say("the exec failed");
        return;
    }
    close(s[1]);
    say("its peer sees %s", eof_text(s[0]));
    waitpid(c, NULL, 0);
}

static void probe_emfile(void)
{
    fill_fd_table();
    int s[2];
    say("%s", result_of(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s)));
}

static void probe_eagain_nproc(void)
{
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
        say("skipped: cannot leave root (%s)", name_of(errno));
        return;
    }
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_NPROC, &none) != 0) {
        say("skipped: cannot lower RLIMIT_NPROC (%s)", name_of(errno));
        return;
    }
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    if (c > 0) {
        waitpid(c, NULL, 0);
        say("skipped: exempt from RLIMIT_NPROC (a capability)");
        return;
    }
    say("%s", name_of(errno));
}

/* ---- the table --------------------------------------------------------------------- */

const struct fidelity_probe fidelity_linux_probes[] = {
    {"eintr-retry", probe_eintr_retry},
    {"signal-before-block", probe_signal_before_block},
    {"sa-restart", probe_sa_restart},
    {"port-bind-after-hup", probe_port_bind_after_hup},
    {"port-level-triggered", probe_port_level_triggered},
    {"port-edge-triggered", probe_port_edge_triggered},
    {"pipe-small-writes", probe_pipe_small_writes},
    {"pipe-large-write", probe_pipe_large_write},
    {"pipe-partial-then-epipe", probe_pipe_partial_then_epipe},
    {"scm-rights-copy", probe_scm_rights_copy},
    {"scm-rights-full-table", probe_scm_rights_full_table},
    {"sigpipe-default", probe_sigpipe_default},
    {"sigchld-interrupts", probe_sigchld_interrupts},
    {"sigchld-ignored", probe_sigchld_ignored},
    {"kill-zombie", probe_kill_zombie},
    {"subreaper", probe_subreaper},
    {"init-does-not-reap", probe_init_does_not_reap},
    {"wait-status", probe_wait_status},
    {"close-range", probe_close_range},
    {"cgroup-kill", probe_cgroup_kill},
    {"eof-after-drain", probe_eof_after_drain},
    {"seqpacket-epipe", probe_seqpacket_epipe},
    {"grandchild-holds-eof", probe_grandchild_holds_eof},
    {"cloexec", probe_cloexec},
    {"wait-echild", probe_wait_echild},
    {"orphan-adoption", probe_orphan_adoption},
    {"kill-signals", probe_kill_signals},
    {"killpg-orphan", probe_killpg_orphan},
    {"emfile", probe_emfile},
    {"eagain-nproc", probe_eagain_nproc},
    {"inflight-released", probe_inflight_released},
    {NULL, NULL},
};

const struct fidelity_probe *fidelity_linux_probe(const char *point)
{
    for (const struct fidelity_probe *p = fidelity_linux_probes; p->point; p++)
        if (strcmp(p->point, point) == 0)
            return p;
    return NULL;
}

int fidelity_exec_child(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[1], "--exec-child") != 0)
        return -1;
    int fd = atoi(argv[2]);
    char byte = 1;
    if (write(fd, &byte, 1) != 1)
        return 1;
    close(fd);
    sleep_ms(atol(argv[3]));
    return 0;
}
