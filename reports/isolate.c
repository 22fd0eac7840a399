/* isolate — a run in a forked child; see isolate.h. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "isolate.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "util/assert.h"

/* A child that could not send its result exits with this: an error of the harness,
 * not of the scenario. */
#define CHILD_SEND_FAILED 125

static volatile sig_atomic_t caught;

static void on_signal(int signal_number)
{
    caught = signal_number;
}

void isolate_catch_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a poll or a wait returns EINTR at once */
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int isolate_caught(void)
{
    return caught;
}

void isolate_reraise(void)
{
    int signal_number = caught;
    if (!signal_number)
        return;
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void isolate_child_setup(pid_t parent)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent) /* the parent died before prctl */
        _exit(CHILD_SEND_FAILED);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
}

/* Where the child's run is: the page the child writes and the parent reads. */
struct progress {
    uint64_t step;
    uint32_t pid;
    int seen;
    uint64_t faults_fired;
};

static void note_event(void *context, const struct trace_event *e, const struct run_view *view)
{
    (void)view;
    volatile struct progress *p = context;
    p->step = e->step;
    p->pid = e->pid;
    p->seen = 1;
    p->faults_fired += e->op == TRACE_OP_FAULT;
}

/* What the child sends first; then report_bytes of report, then choice_count
 * choices. */
struct message {
    int32_t rc;
    int32_t status[ISOLATE_STATUS_MAX];
    struct run_result result; /* its pointers mean nothing to the parent */
    uint64_t report_bytes;
    uint64_t choice_count;
};

int isolate_write_all(int fd, const void *data, size_t bytes)
{
    for (const char *p = data; bytes > 0;) {
        ssize_t n = write(fd, p, bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        bytes -= (size_t)n;
    }
    return 0;
}

/* Sends choices[0..count) field by field through a zeroed buffer, so that no byte
 * of a struct's padding (never written, so unknown) goes into the pipe. Returns 0 or
 * -1. */
static int send_choices(int fd, const struct choice_record *choices, size_t count)
{
    static struct choice_record chunk[1024];
    for (size_t done = 0; done < count;) {
        size_t n = count - done < 1024 ? count - done : 1024;
        memset(chunk, 0, n * sizeof *chunk);
        for (size_t i = 0; i < n; i++) {
            chunk[i].range = choices[done + i].range;
            chunk[i].value = choices[done + i].value;
            chunk[i].kind = choices[done + i].kind;
        }
        if (isolate_write_all(fd, chunk, n * sizeof *chunk) != 0)
            return -1;
        done += n;
    }
    return 0;
}

/* In the child: runs, sends the result, exits. */
static _Noreturn void child_main(const struct run_options *options, isolate_work work,
                                 void *context, int fd, struct progress *page)
{
    struct run_observer watch = {note_event, NULL, page, options->observer};
    struct run_options run = *options;
    run.observer = &watch;
    static struct message m; /* large: off the stack */
    memset(&m, 0, sizeof m);
    m.rc = work ? work(context, &run, &m.result, m.status) : run_scenario(&run, &m.result);
    m.report_bytes = m.result.report.length;
    m.choice_count = m.result.choices ? m.result.choice_count : 0;
    int failed = isolate_write_all(fd, &m, sizeof m) != 0 ||
                 isolate_write_all(fd, text_str(&m.result.report), m.report_bytes) != 0 ||
                 send_choices(fd, m.result.choices, m.choice_count) != 0;
    _exit(failed ? CHILD_SEND_FAILED : 0);
}

double isolate_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int isolate_read_all(int fd, void *data, size_t bytes, double deadline)
{
    for (char *p = data; bytes > 0;) {
        if (caught)
            return -EINTR;
        double left = deadline ? deadline - isolate_wall_seconds() : 0.2;
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd waiting = {fd, POLLIN, 0};
        /* at most 200 ms at a time, so that a signal caught is seen soon */
        int ready = poll(&waiting, 1, left > 0.2 ? 200 : (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            return -errno;
        if (ready <= 0)
            continue;
        ssize_t n = read(fd, p, bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        p += n;
        bytes -= (size_t)n;
    }
    return 0;
}

/* Reads the child's message into m, result and status. Returns 0 or as isolate_read_all;
 * -ENOMEM when the report or the choices cannot be held. */
static int receive(int fd, double deadline, struct message *m, struct run_result *result)
{
    ASSERT(result->report.data == NULL && result->choices == NULL);
    int rc = isolate_read_all(fd, m, sizeof *m, deadline);
    if (rc != 0)
        return rc;
    *result = m->result;
    result->report = (struct text){0};
    result->choices = NULL;
    result->choice_count = 0;
    if (m->report_bytes > (1u << 30) || m->choice_count > SIZE_MAX / sizeof *result->choices)
        return -EPIPE; /* not what a child of ours sends */
    char *report = malloc(m->report_bytes + 1);
    struct choice_record *choices =
        m->choice_count ? malloc(m->choice_count * sizeof *choices) : NULL;
    if (!report || (m->choice_count && !choices)) {
        free(report);
        free(choices);
        return -ENOMEM;
    }
    report[m->report_bytes] = '\0';
    result->report = (struct text){report, m->report_bytes, m->report_bytes + 1, 0};
    result->choices = choices;
    result->choice_count = m->choice_count;
    rc = isolate_read_all(fd, report, m->report_bytes, deadline);
    if (rc == 0)
        rc = isolate_read_all(fd, choices, m->choice_count * sizeof *choices, deadline);
    return rc;
}

/* The report of a run that ended without a result: how, and where the run was. */
static void describe_loss(const struct isolate_loss *loss, double time_limit_s,
                          struct text *report)
{
    char where[96] = " before its first event";
    if (loss->seen)
        snprintf(where, sizeof where, " at step %" PRIu64 ", in pid %" PRIu32, loss->step,
                 loss->pid);
    if (loss->kind == ISOLATE_TIMEOUT)
        text_printf(report, "TIMEOUT: the run went past %.0f s of wall-clock time%s (a loop "
                    "in C that never returns to the scheduler?)\n", time_limit_s, where);
    else if (loss->kind == ISOLATE_SIGNAL)
        text_printf(report, "CRASH: the scenario's C code died of signal %d (%s)%s\n",
                    loss->status, strsignal(loss->status), where);
    else
        text_printf(report, "CRASH: the scenario's C code called exit(%d)%s; a scenario "
                    "returns, it never ends the process\n", loss->status, where);
}

/* Fills result and loss for a child that ended without a result (wait status
 * wstatus, or killed for running late). */
static void fill_loss(const struct progress *page, int late, int wstatus, double time_limit_s,
                      struct run_result *result, struct isolate_loss *loss)
{
    *loss = (struct isolate_loss){ISOLATE_TIMEOUT, 0, page->seen, page->step, page->pid,
                                  page->faults_fired};
    if (!late && WIFSIGNALED(wstatus))
        loss->kind = ISOLATE_SIGNAL, loss->status = WTERMSIG(wstatus);
    else if (!late)
        loss->kind = ISOLATE_EXIT, loss->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    run_result_free(result);
    *result = (struct run_result){0};
    result->outcome = loss->kind == ISOLATE_TIMEOUT ? SCHED_OUTCOME_TIMEOUT : SCHED_OUTCOME_CRASH;
    result->steps = loss->step;
    describe_loss(loss, time_limit_s, &result->report);
    (void)run_signature_from_report(result, sched_outcome_name(result->outcome)); /* short of
        memory, it is the outcome's alone: still one group per outcome */
}

int isolate_run(const struct run_options *options, double time_limit_s, isolate_work work,
                void *context, struct run_result *result, int status[ISOLATE_STATUS_MAX],
                struct isolate_loss *loss)
{
    ASSERT(options->scenario && time_limit_s >= 0);
    *result = (struct run_result){0};
    *loss = (struct isolate_loss){ISOLATE_NONE, 0, 0, 0, 0, 0};
    struct progress *page = mmap(NULL, sizeof *page, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int fds[2];
    if (page == MAP_FAILED)
        return -errno;
    if (pipe(fds) != 0) {
        int rc = -errno;
        munmap(page, sizeof *page);
        return rc;
    }
    memset(page, 0, sizeof *page);
    pid_t parent = getpid();
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid == 0) {
        isolate_child_setup(parent);
        close(fds[0]);
        child_main(options, work, context, fds[1], page);
    }
    int fork_errno = errno;
    close(fds[1]);
    static struct message m;
    double deadline = time_limit_s > 0 ? isolate_wall_seconds() + time_limit_s : 0;
    int rc = pid < 0 ? -fork_errno : receive(fds[0], deadline, &m, result);
    int late = rc == -ETIMEDOUT;
    if (pid > 0 && (late || rc == -EINTR || rc == -ENOMEM))
        kill(pid, SIGKILL);
    int wstatus = 0;
    while (pid > 0 && waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    if (rc == 0 && m.rc == 0 && status)
        memcpy(status, m.status, sizeof m.status);
    int run_refused = rc == 0 && m.rc != 0; /* the result then says why */
    if (run_refused)
        rc = m.rc;
    else if (rc == -EPIPE && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == CHILD_SEND_FAILED)
        rc = -EIO; /* the harness, not the scenario */
    else if (rc == -EPIPE || late) {
        fill_loss(page, late, wstatus, time_limit_s, result, loss);
        rc = 0;
    }
    munmap(page, sizeof *page);
    if (rc != 0 && !run_refused)
        run_result_free(result);
    return rc;
}
