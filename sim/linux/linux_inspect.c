/* linux_inspect — the deadlock probe, hang report and leak audit of a real run;
 * see linux_inspect.h. */
#define _GNU_SOURCE
#include "linux_inspect.h"
#include "util/assert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HOLDERS_SHOWN 6

/* One process of the run as /proc showed it. */
struct sample {
    uint32_t slot;
    int32_t pid;
    char state;         /* R, S, D, Z, ...; 0: gone */
    uint64_t cpu_ticks; /* utime + stime */
    uint64_t calls;     /* from the arena */
    int exit_code;      /* a zombie's wait status */
    char wchan[48];
    long syscall;       /* the number, -1: running or unknown */
    long syscall_fd;    /* its first argument */
};

/* One descriptor of a process of the run. */
struct holding {
    uint32_t slot;
    uint32_t handle;
    char link[64];   /* "socket:[123]", "pipe:[45]", "anon_inode:[eventpoll]" */
    int write_end;   /* a pipe's write end */
};

struct holdings {
    struct holding *items;
    uint32_t count;
};

/* ---- /proc ------------------------------------------------------------------------ */

/* Reads the whole of a (/proc) file, up to bytes - 1, into buf. Returns the
 * length, or -1. */
static int read_file(const char *path, char *buf, size_t bytes)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t length = 0;
    for (ssize_t n = 1; n > 0 && length < bytes - 1; length += (size_t)n) {
        n = read(fd, buf + length, bytes - 1 - length);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
    }
    close(fd);
    buf[length] = '\0';
    return (int)length;
}

/* Fills s from /proc/host_pid: stat (state, CPU time, exit code), wchan, syscall. */
static void sample_one(int32_t host_pid, struct sample *s)
{
    char path[64], buf[1024];
    s->state = 0;
    s->syscall = -1;
    snprintf(path, sizeof path, "/proc/%" PRId32 "/stat", host_pid);
    if (host_pid <= 0 || read_file(path, buf, sizeof buf) < 0)
        return;
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return;
    s->state = p[2];
    /* after ") ": state(3) ... utime(14) stime(15) ... exit_code(52) */
    unsigned long long utime = 0, stime = 0;
    int field = 3, exit_code = 0;
    for (char *token = strtok(p + 2, " "); token; token = strtok(NULL, " "), field++) {
        if (field == 14)
            utime = strtoull(token, NULL, 10);
        else if (field == 15)
            stime = strtoull(token, NULL, 10);
        else if (field == 52)
            exit_code = atoi(token);
    }
    s->cpu_ticks = utime + stime;
    s->exit_code = exit_code;
    snprintf(path, sizeof path, "/proc/%" PRId32 "/wchan", host_pid);
    if (read_file(path, s->wchan, sizeof s->wchan) < 0)
        s->wchan[0] = '\0';
    snprintf(path, sizeof path, "/proc/%" PRId32 "/syscall", host_pid);
    if (read_file(path, buf, sizeof buf) > 0 && buf[0] >= '0' && buf[0] <= '9') {
        char *end;
        s->syscall = strtol(buf, &end, 10);
        s->syscall_fd = strtol(end, NULL, 16);
    }
}

/* Samples every process of the run that has not exited (init left out). Returns
 * how many. */
static uint32_t sample_all(const struct linux_arena *a, struct sample *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        const struct linux_record *r = &a->procs[i];
        if (r->state != LINUX_RECORD_LIVE || r->daemon || r->exited)
            continue;
        out[n] = (struct sample){.slot = i, .pid = r->pid, .calls = r->calls};
        sample_one(r->host_pid, &out[n]);
        n++;
    }
    ASSERT(n <= LINUX_PROCS_MAX);
    return n;
}

/* Every descriptor in the handle range of every process of the run. */
static void scan_holdings(const struct linux_arena *a, struct holdings *h)
{
    uint32_t max = LINUX_PROCS_MAX * 64, max_handles = a->max_handles;
    h->items = calloc(max, sizeof *h->items);
    h->count = 0;
    for (uint32_t i = 0; h->items && i < LINUX_PROCS_MAX; i++) {
        const struct linux_record *r = &a->procs[i];
        if (r->state != LINUX_RECORD_LIVE || r->daemon || r->host_pid <= 0)
            continue;
        for (uint32_t handle = 0; handle < max_handles && h->count < max; handle++) {
            char path[96], info[256];
            struct holding *item = &h->items[h->count];
            snprintf(path, sizeof path, "/proc/%" PRId32 "/fd/%u", r->host_pid,
                     handle + LINUX_FD_BASE);
            ssize_t n = readlink(path, item->link, sizeof item->link - 1);
            if (n <= 0)
                continue;
            item->link[n] = '\0';
            item->slot = i;
            item->handle = handle;
            snprintf(path, sizeof path, "/proc/%" PRId32 "/fdinfo/%u", r->host_pid,
                     handle + LINUX_FD_BASE);
            char *flags = read_file(path, info, sizeof info) > 0 ? strstr(info, "flags:") : NULL;
            item->write_end = flags && (strtol(flags + 6, NULL, 8) & 3) == 1;
            h->count++;
        }
    }
}

/* The inode of a "socket:[N]" or "pipe:[N]" link, 0 for anything else. */
static uint64_t link_inode(const char *link)
{
    const char *open = strchr(link, '[');
    return open && (strncmp(link, "socket:", 7) == 0 || strncmp(link, "pipe:", 5) == 0)
               ? strtoull(open + 1, NULL, 10)
               : 0;
}

/* The other end of the end with this inode, by the channel table. */
static uint64_t peer_inode(const struct linux_arena *a, uint64_t inode)
{
    for (uint32_t i = 0; i < LINUX_CHANNELS_MAX; i++) {
        const struct linux_channel *c = &a->channels[i];
        if (c->used && !c->pipe && c->inode[0] == inode)
            return c->inode[1];
        if (c->used && !c->pipe && c->inode[1] == inode)
            return c->inode[0];
    }
    return 0;
}

static const char *syscall_name(long number)
{
    static const struct { long number; const char *name; } names[] = {
        {SYS_recvmsg, "recvmsg"}, {SYS_sendmsg, "sendmsg"}, {SYS_read, "read"},
        {SYS_write, "write"},     {SYS_readv, "readv"},     {SYS_writev, "writev"},
        {SYS_wait4, "wait4"},     {SYS_waitid, "waitid"},   {SYS_futex, "futex"},
        {SYS_epoll_pwait, "epoll_pwait"}, {SYS_epoll_pwait2, "epoll_pwait2"},
        {SYS_ppoll, "ppoll"},     {SYS_nanosleep, "nanosleep"},
        {SYS_clock_nanosleep, "clock_nanosleep"},
#ifdef SYS_pause
        {SYS_pause, "pause"},
#endif
#ifdef SYS_epoll_wait
        {SYS_epoll_wait, "epoll_wait"},
#endif
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].number == number)
            return names[i].name;
    return NULL;
}

/* ---- who holds what ----------------------------------------------------------------- */

static void write_process(const struct linux_arena *a, uint32_t slot, struct text *out)
{
    text_printf(out, "pid %" PRId32 " \"%s\"", a->procs[slot].pid, a->procs[slot].name);
}

/* What the process in slot is doing, in a few words ("blocked in chan_recv",
 * "running", "a zombie"). */
static void write_doing(const struct linux_arena *a, uint32_t slot, struct text *out)
{
    const struct linux_record *r = &a->procs[slot];
    uint32_t op = r->call_op;
    if (r->exited)
        text_printf(out, "exited");
    else if (op)
        text_printf(out, "blocked in %s", trace_op_name((enum trace_op)op));
    else
        text_printf(out, "running");
}

/* Lists who holds the end with inode (a pipe's end of the given direction when
 * pipe_write_end >= 0); returns how many processes. */
static uint32_t write_holders(const struct linux_arena *a, const struct holdings *h,
                              uint64_t inode, int pipe_write_end, struct text *out)
{
    uint32_t processes = 0, last_slot = UINT32_MAX;
    for (uint32_t i = 0; i < h->count; i++) {
        const struct holding *item = &h->items[i];
        if (link_inode(item->link) != inode ||
            (pipe_write_end >= 0 && item->write_end != pipe_write_end))
            continue;
        if (item->slot != last_slot) {
            if (processes < HOLDERS_SHOWN) {
                text_printf(out, "%s", processes ? ", " : "");
                write_process(a, item->slot, out);
                text_printf(out, " (handle %u, ", item->handle);
                write_doing(a, item->slot, out);
                text_printf(out, ")");
            }
            processes++;
            last_slot = item->slot;
        }
    }
    if (processes > HOLDERS_SHOWN)
        text_printf(out, " and %u more", processes - HOLDERS_SHOWN);
    return processes;
}

/* The end behind handle of the process in slot, and who holds its other end. */
static void write_other_end(const struct linux_arena *a, const struct holdings *h,
                            uint32_t slot, uint32_t handle, struct text *out)
{
    const char *link = NULL;
    int write_end = 0;
    for (uint32_t i = 0; i < h->count && !link; i++)
        if (h->items[i].slot == slot && h->items[i].handle == handle) {
            link = h->items[i].link;
            write_end = h->items[i].write_end;
        }
    if (!link) {
        text_printf(out, "      -> handle %u is not open\n", handle);
        return;
    }
    uint64_t inode = link_inode(link);
    int pipe = strncmp(link, "pipe:", 5) == 0;
    uint64_t peer = pipe ? inode : peer_inode(a, inode);
    text_printf(out, "      -> handle %u is %s%s: its %s ", handle, link,
                pipe ? (write_end ? " (the write end)" : " (the read end)") : "",
                pipe ? (write_end ? "read end" : "write end") : "peer end");
    if (!peer) {
        text_printf(out, "is not in the channel table\n");
        return;
    }
    struct text holders = {0};
    uint32_t n = write_holders(a, h, peer, pipe ? !write_end : -1, &holders);
    if (n == 0)
        text_printf(out, "is held by no process of the run (closed, or in flight in a message)\n");
    else
        text_printf(out, "is held by %s\n", text_str(&holders));
    if (n > 1)
        text_printf(out, "         %u processes hold copies of the peer end, which stays open "
                         "until every copy is closed\n", n);
    text_free(&holders);
}

/* The descriptors bound to the epoll instance behind port, and their other ends. */
static void write_port(const struct linux_arena *a, const struct holdings *h, uint32_t slot,
                       uint32_t port, struct text *out)
{
    char path[96], info[4096];
    snprintf(path, sizeof path, "/proc/%" PRId32 "/fdinfo/%u", a->procs[slot].host_pid,
             port + LINUX_FD_BASE);
    if (read_file(path, info, sizeof info) <= 0) {
        text_printf(out, "      -> port handle %u is not open\n", port);
        return;
    }
    uint32_t bound = 0;
    for (char *line = strstr(info, "tfd:"); line; line = strstr(line + 4, "tfd:"))
        bound++;
    text_printf(out, "      -> port handle %u (an epoll instance): %u descriptors bound, none "
                     "with an event\n", port, bound);
    for (char *line = strstr(info, "tfd:"); line; line = strstr(line + 4, "tfd:")) {
        long fd = strtol(line + 4, NULL, 10);
        if (fd >= LINUX_FD_BASE)
            write_other_end(a, h, slot, (uint32_t)(fd - LINUX_FD_BASE), out);
    }
}

/* What a process blocked in wait waits for. */
static void write_wait(const struct linux_arena *a, uint32_t slot, int64_t pid,
                       struct text *out)
{
    text_printf(out, "      -> waits for ");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        const struct linux_record *r = &a->procs[i];
        if (r->state != LINUX_RECORD_LIVE || r->parent != a->procs[slot].pid ||
            (pid && r->pid != pid))
            continue;
        text_printf(out, "%s", shown++ ? ", " : "");
        write_process(a, i, out);
        text_printf(out, " (");
        write_doing(a, i, out);
        text_printf(out, ")");
    }
    text_printf(out, shown ? " to exit\n" : "a child it no longer has\n");
}

/* The object a mutex or semaphore wait is on. */
static void write_object(const struct linux_arena *a, uint32_t op, int64_t handle,
                         struct text *out)
{
    if (handle < 1 || handle > (int64_t)a->object_count)
        return;
    const struct linux_object *o = &a->objects[handle - 1];
    if (op == TRACE_OP_MUTEX_LOCK) {
        const struct linux_record *owner = linux_record_find((struct linux_arena *)a, o->owner);
        text_printf(out, "      -> mutex \"%s\" is held by pid %" PRId32 " \"%s\"\n", o->name,
                    o->owner, owner ? owner->name : "(gone)");
        return;
    }
    int value = 0;
    sem_getvalue((sem_t *)&o->semaphore, &value);
    text_printf(out, "      -> semaphore \"%s\": count %d, ", o->name, value);
    if (o->last_post)
        text_printf(out, "last posted by pid %" PRId32 "\n", o->last_post);
    else
        text_printf(out, "never posted\n");
}

/* One process of a hang report: its call, the kernel's view, what it waits for. */
static void write_blocked(const struct linux_arena *a, const struct holdings *h,
                          const struct sample *s, uint64_t now_ns, struct text *out)
{
    ASSERT(s->slot < LINUX_PROCS_MAX);
    const struct linux_record *r = &a->procs[s->slot];
    uint32_t op = r->call_op;
    int64_t arg = r->call_arg;
    ASSERT(op < TRACE_OP_COUNT);
    text_printf(out, "  ");
    write_process(a, s->slot, out);
    if (!op) {
        text_printf(out, " is running (no blocking call)");
    } else {
        const char *unit = op == TRACE_OP_WAIT ? "pid " : op == TRACE_OP_SLEEP ? "" : "handle ";
        text_printf(out, " is blocked in %s(%s%" PRId64 ") for %.3fs", trace_op_name((enum trace_op)op),
                    op == TRACE_OP_WAIT && arg == 0 ? "any child" : unit,
                    op == TRACE_OP_WAIT && arg == 0 ? (int64_t)0 : arg,
                    (double)(now_ns - r->call_since_ns) / 1e9);
    }
    const char *name = syscall_name(s->syscall);
    text_printf(out, "\n      kernel: state %c, wchan %s, ", s->state ? s->state : '?',
                s->wchan[0] ? s->wchan : "-");
    if (s->syscall >= 0 && name)
        text_printf(out, "in %s(%ld, ...), ", name, s->syscall_fd);
    else if (s->syscall >= 0)
        text_printf(out, "in syscall %ld, ", s->syscall);
    text_printf(out, "%" PRIu64 " sys_* calls made\n", r->calls);
    if (op == TRACE_OP_WAIT)
        write_wait(a, s->slot, arg, out);
    else if (op == TRACE_OP_PORT_WAIT)
        write_port(a, h, s->slot, (uint32_t)arg, out);
    else if (op == TRACE_OP_MUTEX_LOCK || op == TRACE_OP_SEM_WAIT)
        write_object(a, op, arg, out);
    else if (op == TRACE_OP_CHAN_RECV || op == TRACE_OP_CHAN_SEND || op == TRACE_OP_READ ||
             op == TRACE_OP_WRITE)
        write_other_end(a, h, s->slot, (uint32_t)arg, out);
}

/* ---- the report's end ----------------------------------------------------------------- */

void linux_describe(const struct linux_arena *a, struct text *out)
{
    uint32_t zombies = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++)
        zombies += a->procs[i].state == LINUX_RECORD_LIVE && a->procs[i].exited;
    text_printf(out,
                "\nResources: process slots %" PRIu32 "/%" PRIu64 " (%" PRIu32
                " exited, not reaped; peak %" PRIu32 "), channel slots %" PRIu32 "/%" PRIu64
                " (peak %" PRIu32 "), heap %" PRIu64 "/%" PRIu64 " bytes\n",
                a->procs_used, (uint64_t)a->max_procs, zombies, a->procs_peak,
                a->channels_used, (uint64_t)a->max_channels, a->channels_peak,
                a->heap.used_bytes, a->heap.capacity_bytes);
    if (!a->console_count)
        return;
    text_printf(out, "Kernel console (last lines):\n");
    uint32_t first = a->console_count > LINUX_CONSOLE_LINES ? a->console_count - LINUX_CONSOLE_LINES : 0;
    for (uint32_t i = first; i < a->console_count; i++) {
        uint32_t slot = i % LINUX_CONSOLE_LINES;
        text_printf(out, "  %s", a->console[slot]);
        if (a->console_repeats[slot] > 1)
            text_printf(out, "  (x%" PRIu32 ")", a->console_repeats[slot]);
        text_printf(out, "\n");
    }
}

/* ---- hangs ------------------------------------------------------------------------------ */

/* Every process but init that has not exited is in a call without a deadline. One
 * that said it exited but is not a zombie yet is still closing its descriptors
 * (under Valgrind, after a leak check): that is progress to come. */
static int all_blocked(const struct linux_arena *a)
{
    uint32_t blocked = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        const struct linux_record *r = &a->procs[i];
        if (r->state == LINUX_RECORD_STARTING)
            return 0;
        if (r->state == LINUX_RECORD_LIVE && !r->daemon && r->exited) {
            struct sample s = {0};
            sample_one(r->host_pid, &s);
            if (s.state && s.state != 'Z' && s.state != 'X')
                return 0;
        }
        if (r->state != LINUX_RECORD_LIVE || r->daemon || r->exited)
            continue;
        if (!r->call_op || r->call_deadline_ns)
            return 0;
        blocked++;
    }
    return blocked > 0;
}

/* Whether two samples of the same processes show no progress at all: every one
 * asleep (or gone) both times, with the same CPU time and call count. */
static int no_progress(const struct sample *first, uint32_t n1, const struct sample *second,
                       uint32_t n2)
{
    ASSERT(n1 <= LINUX_PROCS_MAX && n2 <= LINUX_PROCS_MAX);
    if (n1 != n2)
        return 0;
    for (uint32_t i = 0; i < n1; i++) {
        const struct sample *x = &first[i], *y = &second[i];
        int asleep = (x->state == 'S' || x->state == 'Z' || !x->state) &&
                     (y->state == 'S' || y->state == 'Z' || !y->state);
        if (x->slot != y->slot || x->pid != y->pid || !asleep || x->cpu_ticks != y->cpu_ticks ||
            x->calls != y->calls)
            return 0;
    }
    return 1;
}

static void write_duration(uint64_t ns, struct text *out)
{
    text_printf(out, "%.3fs", (double)ns / 1e9);
}

/* The processes of a hang report, each with what it waits for. */
static void write_processes(struct linux_arena *a, const struct sample *samples, uint32_t n,
                            struct text *report)
{
    struct holdings h;
    scan_holdings(a, &h);
    uint64_t now = linux_now_ns();
    for (uint32_t i = 0; i < n; i++)
        if (samples[i].state && samples[i].state != 'Z')
            write_blocked(a, &h, &samples[i], now, report);
    free(h.items);
}

static struct sample first_samples[LINUX_PROCS_MAX], second_samples[LINUX_PROCS_MAX];

int linux_probe_deadlock(struct linux_arena *a, uint64_t pause_ns, struct text *report)
{
    if (!all_blocked(a))
        return 0;
    uint32_t n1 = sample_all(a, first_samples), n2 = 0;
    /* Several samples, not two: on a loaded machine a process just woken may wait
     * long for a CPU, and one pair of samples could miss its move. */
    uint64_t slice_ns = pause_ns / LINUX_PROBE_SAMPLES;
    struct timespec pause = {(time_t)(slice_ns / 1000000000ULL), (long)(slice_ns % 1000000000ULL)};
    for (int i = 0; i < LINUX_PROBE_SAMPLES; i++) {
        syscall(SYS_futex, &a->phase, FUTEX_WAIT, LINUX_PHASE_RUNNING, &pause, NULL, 0);
        if (a->phase != LINUX_PHASE_RUNNING || !all_blocked(a))
            return 0;
        n2 = sample_all(a, second_samples);
        if (!no_progress(first_samples, n1, second_samples, n2))
            return 0;
    }
    uint64_t real = linux_now_ns() - a->start_ns;
    text_printf(report, "HANG (deadlock) after ");
    write_duration(real, report);
    text_printf(report, " of real time (virtual ");
    write_duration(real * a->time_scale, report);
    text_printf(report, "): every process of the run is blocked in a call that has no deadline, "
                        "and none made a call or used CPU time in %" PRIu64 " ms.\n\n",
                pause_ns / 1000000);
    text_printf(report, "Blocked processes:\n");
    write_processes(a, second_samples, n2, report);
    linux_describe(a, report);
    return 1;
}

void linux_report_budget(struct linux_arena *a, uint64_t real_ns, uint64_t pause_ns,
                         struct text *report)
{
    uint32_t n1 = sample_all(a, first_samples);
    struct timespec pause = {(time_t)(pause_ns / 1000000000ULL), (long)(pause_ns % 1000000000ULL)};
    nanosleep(&pause, NULL);
    uint32_t n2 = sample_all(a, second_samples);
    uint64_t cpu = 0;
    for (uint32_t i = 0; i < n1 && i < n2; i++)
        if (first_samples[i].slot == second_samples[i].slot)
            cpu += second_samples[i].cpu_ticks - first_samples[i].cpu_ticks;
    text_printf(report, "HANG (budget) after ");
    write_duration(real_ns, report);
    text_printf(report, " of real time (real_deadline): %s.\n\nProcesses:\n",
                cpu ? "a livelock: CPU time still rising between two samples"
                    : "no progress: nothing used CPU time between two samples, but some "
                      "process waits with a deadline");
    write_processes(a, second_samples, n2, report);
    linux_describe(a, report);
}

/* ---- leaks ------------------------------------------------------------------------------ */

/* The parent of r now (in the run's pids): its host ppid matched to a record;
 * the parent it was spawned by when /proc cannot say. */
static int32_t parent_now(const struct linux_arena *a, const struct linux_record *r)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%" PRId32 "/stat", r->host_pid);
    if (read_file(path, line, sizeof line) <= 0)
        return r->parent;
    char *paren = strrchr(line, ')');
    int host_ppid = 0;
    if (!paren || sscanf(paren + 2, "%*c %d", &host_ppid) != 1)
        return r->parent;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++)
        if (a->procs[i].state == LINUX_RECORD_LIVE && a->procs[i].host_pid == host_ppid)
            return a->procs[i].pid;
    return r->parent;
}

/* Processes left at the end: alive (detached) or zombies nobody reaped. */
static uint32_t audit_processes(struct linux_arena *a, const struct holdings *h,
                                struct text *out)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++) {
        struct linux_record *r = &a->procs[i];
        if (r->state != LINUX_RECORD_LIVE || r->daemon)
            continue;
        struct sample s = {0};
        sample_one(r->host_pid, &s);
        if (!s.state || s.state == 'X')
            continue; /* reaped by a wait we did not see */
        count++;
        text_printf(out, "  ");
        write_process(a, i, out);
        if (s.state == 'Z') {
            text_printf(out, " is a zombie nobody reaped (parent pid %" PRId32 ")\n",
                        parent_now(a, r));
            continue;
        }
        uint32_t handles = 0;
        for (uint32_t k = 0; k < h->count; k++)
            handles += h->items[k].slot == i;
        text_printf(out, " is still alive (parent pid %" PRId32 "), holding %" PRIu32
                         " handles\n", parent_now(a, r), handles);
        for (uint32_t k = 0; k < h->count; k++)
            if (h->items[k].slot == i)
                text_printf(out, "    handle %u: %s\n", h->items[k].handle, h->items[k].link);
    }
    return count;
}

/* The AF_UNIX sockets of the network namespace (their inodes), into listing. */
static void read_unix_sockets(char *listing, size_t bytes)
{
    int n = read_file("/proc/net/unix", listing, bytes);
    if (n < 0)
        listing[0] = '\0';
}

static int listed(const char *listing, uint64_t inode)
{
    char needle[32];
    snprintf(needle, sizeof needle, " %" PRIu64 "\n", inode);
    if (strstr(listing, needle))
        return 1;
    snprintf(needle, sizeof needle, " %" PRIu64 " ", inode);
    return strstr(listing, needle) != NULL;
}

/* Channels whose sockets still exist. The kernel releases a socket carried in a
 * destroyed message a moment later (delayed fput), so a channel counts as leaked
 * only when it is still there after a short grace. */
static uint32_t audit_channels(const struct linux_arena *a, const struct holdings *h,
                               struct text *out)
{
    static char listing[1 << 20];
    uint32_t count = 0;
    for (int attempt = 0; attempt < 10; attempt++) {
        read_unix_sockets(listing, sizeof listing);
        count = 0;
        for (uint32_t i = 0; i < LINUX_CHANNELS_MAX; i++)
            count += a->channels[i].used && !a->channels[i].pipe &&
                     (listed(listing, a->channels[i].inode[0]) ||
                      listed(listing, a->channels[i].inode[1]));
        if (!count)
            return 0;
        struct timespec pause = {0, 10 * 1000000L};
        nanosleep(&pause, NULL);
    }
    for (uint32_t i = 0; i < LINUX_CHANNELS_MAX; i++) {
        const struct linux_channel *c = &a->channels[i];
        if (!c->used || c->pipe || (!listed(listing, c->inode[0]) && !listed(listing, c->inode[1])))
            continue;
        text_printf(out, "  channel socket:[%" PRIu64 "] <-> socket:[%" PRIu64
                         "] is still open (created by pid %" PRId32 ")\n",
                    c->inode[0], c->inode[1], c->creator);
        for (int e = 0; e < 2; e++) {
            struct text holders = {0};
            uint32_t n = write_holders(a, h, c->inode[e], -1, &holders);
            if (listed(listing, c->inode[e]))
                text_printf(out, "    end socket:[%" PRIu64 "]: %s%s\n", c->inode[e],
                            n ? "held by " : "held by no process: in flight in a message",
                            text_str(&holders));
            text_free(&holders);
        }
    }
    return count;
}

/* Heap blocks still live, the emergency reserve aside. */
static uint32_t audit_heap(const struct linux_arena *a, struct text *out)
{
    uint32_t count = 0;
    for (uint32_t id = 1; id <= a->heap.block_count; id++) {
        const struct heap_block *b = heap_block(&a->heap, id);
        if (!b || id == a->heap.reserve_block)
            continue;
        count++;
        text_printf(out, "  heap block %" PRIu32 ": %" PRIu64 " bytes tagged %s\n", id,
                    b->bytes, b->tag);
    }
    return count;
}

uint32_t linux_audit(struct linux_arena *a, struct text *report)
{
    ASSERT(a->phase == LINUX_PHASE_FINISHED); /* the run is over, and still */
    struct holdings h;
    scan_holdings(a, &h);
    struct text leaks = {0};
    uint32_t count = audit_processes(a, &h, &leaks);
    count += audit_channels(a, &h, &leaks);
    count += audit_heap(a, &leaks);
    free(h.items);
    if (count) {
        text_printf(report, "LEAK: the run ended with %" PRIu32 " object%s left over:\n%s", count,
                    count == 1 ? "" : "s", text_str(&leaks));
        linux_describe(a, report);
    }
    text_free(&leaks);
    return count;
}
