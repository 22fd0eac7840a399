/* explore_worker — the explorer's runs, in a forked worker; see explore_int.h.
 *
 * The worker waits for a prefix count on its request pipe, runs the scenario with a
 * chooser that answers each draw from the page's prefix and then with the default,
 * records every decision on the page as it is made, and sends how the run ended.
 * A run that kills the worker leaves its decisions on the page. Wall-clock time is
 * read here for the per-run limit only: it never reaches a run. */
#include "explore_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults/fault.h"
#include "reports/isolate.h"
#include "util/assert.h"

/* ---- the order of alternatives ------------------------------------------------------ */

uint64_t explore_positions(uint32_t kind, uint64_t range)
{
    if (kind == CHOICE_FAULT)
        return range == FAULT_PPM_ONE ? 2 : 1;
    if (kind == CHOICE_SCHED || kind == CHOICE_KNOB)
        return range;
    return 1; /* PCT's draws: explore runs the random strategy, which makes none */
}

uint64_t explore_value_at(uint32_t kind, uint64_t range, uint32_t previous, uint64_t position)
{
    ASSERT(position < explore_positions(kind, range) || position == 0);
    if (kind == CHOICE_FAULT)
        return position ? FAULT_PPM_ONE - 1 : 0; /* fires for every p > 0, or not at all */
    if (kind != CHOICE_SCHED || previous == EXPLORE_NONE)
        return position;
    /* The task that could go on first, then the others in arrival order. */
    ASSERT(previous < range);
    if (position == 0)
        return previous;
    return position - 1 < previous ? position - 1 : position;
}

uint32_t explore_cost_at(enum explore_bound_kind bound, uint32_t kind, uint32_t previous,
                         uint64_t position)
{
    if (kind != CHOICE_SCHED || position == 0)
        return 0;
    if (bound == EXPLORE_DELAYS)
        return position > UINT32_MAX ? UINT32_MAX : (uint32_t)position;
    return previous != EXPLORE_NONE; /* a preemption only when the last task could go on */
}

uint32_t explore_fires_at(uint32_t kind, uint64_t position)
{
    return kind == CHOICE_FAULT && position == 1;
}

uint32_t explore_knobs_at(uint32_t kind, uint64_t position)
{
    return kind == CHOICE_KNOB && position > 0;
}

/* ---- in the worker -------------------------------------------------------------------- */

/* One run's chooser and observer. */
struct worker_run {
    struct explore_page *page;
    uint64_t position;        /* draws made */
    uint32_t pending_first;   /* the decision shown, for the next draw */
    uint32_t pending_count;
    uint32_t pending_previous;
    int64_t step_decision;    /* the decision whose step is running, -1: none */
};

static void on_decision(void *context, const struct sched_decision *d)
{
    struct worker_run *r = context;
    struct explore_page *page = r->page;
    r->pending_count = 0;
    if (page->pid_count + d->count > EXPLORE_PIDS_MAX) {
        page->truncated = 1;
        return;
    }
    r->pending_first = (uint32_t)page->pid_count;
    uint32_t resolved = sched_ready_accesses(d->sched, page->accesses + page->pid_count, d->count);
    ASSERT(resolved == d->count);
    r->pending_previous = EXPLORE_NONE;
    for (uint32_t i = 0; i < d->count; i++) {
        page->pids[page->pid_count + i] = d->pids[i];
        if (d->previous && d->pids[i] == d->previous)
            r->pending_previous = i;
    }
    /* After a sys_yield the task that waited longest is the one that goes on. */
    if (r->pending_previous != EXPLORE_NONE && d->previous_yielded)
        r->pending_previous = 0;
    page->pid_count += d->count;
    r->pending_count = d->count;
}

/* Marks the running step global: it decided something besides its task's order. */
static void step_global(struct worker_run *r)
{
    if (r->step_decision >= 0)
        r->page->decisions[r->step_decision].global = 1;
}

static uint64_t on_draw(void *context, enum choice_kind kind, uint64_t range)
{
    struct worker_run *r = context;
    struct explore_page *page = r->page;
    uint64_t at = r->position++;
    uint32_t previous = kind == CHOICE_SCHED && r->pending_count == range ? r->pending_previous
                                                                          : EXPLORE_NONE;
    uint64_t value = explore_value_at((uint32_t)kind, range, previous, 0);
    if (at < page->prefix_count) {
        value = page->prefix[at];
        if (value >= range) {
            page->mismatch = 1; /* the tree moved under the prefix: nondeterminism */
            value = 0;
        }
    }
    if (kind != CHOICE_SCHED)
        step_global(r);
    if (page->truncated || page->decision_count >= EXPLORE_DECISIONS_MAX) {
        page->truncated = 1;
        return value;
    }
    struct explore_decision *d = &page->decisions[page->decision_count];
    *d = (struct explore_decision){range, value, (uint32_t)kind, previous, 0, 0, 0};
    if (kind == CHOICE_SCHED && r->pending_count == range) {
        d->pid_first = r->pending_first;
        d->pid_count = r->pending_count;
        r->step_decision = (int64_t)page->decision_count;
    }
    r->pending_count = 0;
    page->decision_count++;
    return value;
}

/* Widens the running step to everything when its task ends in it: what it held
 * goes, which its pending call did not say. */
static void on_event(void *context, const struct trace_event *e, const struct run_view *view)
{
    (void)view;
    struct worker_run *r = context;
    if (e->op == TRACE_OP_EXIT || e->op == TRACE_OP_KILLED)
        step_global(r);
}

static uint64_t cpu_ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs the page's prefix once and sends how it ended. Returns 0 or -1 (the pipe). */
static int worker_run_once(const struct run_options *base, struct explore_page *page, int fd)
{
    page->decision_count = 0;
    page->pid_count = 0;
    page->truncated = 0;
    page->mismatch = 0;
    struct worker_run r = {page, 0, 0, 0, EXPLORE_NONE, -1};
    struct run_chooser chooser = {on_draw, on_decision, &r};
    struct run_observer observer = {on_event, NULL, &r, base->observer};
    struct run_options run = *base;
    run.chooser = &chooser;
    run.observer = &observer;
    run.strategy = SCHED_STRATEGY_DEFAULT;
    run.replay = NULL;
    run.record_choices = 0;
    run.trace_out = NULL;
    struct run_result result;
    int rc = run_scenario(&run, &result);
    const char *report = text_str(&result.report);
    struct explore_end end;
    memset(&end, 0, sizeof end); /* no padding byte left unknown in the pipe */
    end.rc = rc;
    end.outcome = (uint32_t)result.outcome;
    end.steps = result.steps;
    end.vtime_ns = result.vtime_ns;
    end.hash = result.hash;
    end.faults_fired = result.faults_fired;
    end.cpu_ns = cpu_ns_now();
    end.signature = result.signature;
    memcpy(end.signature_text, result.signature_text, sizeof end.signature_text);
    end.report_bytes = strlen(report) < EXPLORE_REPORT_MAX ? strlen(report) : EXPLORE_REPORT_MAX;
    int sent = isolate_write_all(fd, &end, sizeof end) == 0 &&
               isolate_write_all(fd, report, end.report_bytes) == 0;
    run_result_free(&result);
    return sent ? 0 : -1;
}

static _Noreturn void worker_main(const struct run_options *run, struct explore_page *page,
                                  int request_fd, int result_fd)
{
    for (;;) {
        uint64_t go;
        ssize_t n = read(request_fd, &go, sizeof go);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof go || worker_run_once(run, page, result_fd) != 0)
            _exit(0); /* the parent is done with us, or gone */
    }
}

int explore_worker_start(struct explore_worker *w, struct explore_page *page,
                         const struct run_options *run)
{
    int request[2], result[2];
    if (pipe(request) != 0)
        return -errno;
    if (pipe(result) != 0) {
        int error = errno;
        close(request[0]);
        close(request[1]);
        return -error;
    }
    fflush(NULL); /* nothing buffered is written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(request[0]), close(request[1]), close(result[0]), close(result[1]);
        return -error;
    }
    if (pid == 0) {
        isolate_child_setup(parent);
        close(request[1]);
        close(result[0]);
        worker_main(run, page, request[0], result[1]);
    }
    close(request[0]);
    close(result[1]);
    *w = (struct explore_worker){pid, request[1], result[0], 0};
    return 0;
}

void explore_worker_stop(struct explore_worker *w)
{
    if (!w->pid)
        return;
    kill(w->pid, SIGKILL);
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    close(w->request_fd);
    close(w->result_fd);
    w->pid = 0;
}

int explore_worker_run(struct explore_worker *w, double time_limit_s, struct explore_end *end,
                       struct text *report, int *wstatus)
{
    ASSERT(w->pid > 0);
    uint64_t go = 1;
    double deadline = time_limit_s > 0 ? isolate_wall_seconds() + time_limit_s : 0;
    int rc = isolate_write_all(w->request_fd, &go, sizeof go) == 0 ? 0 : -EPIPE;
    if (rc == 0)
        rc = isolate_read_all(w->result_fd, end, sizeof *end, deadline);
    if (rc == 0 && end->report_bytes > EXPLORE_REPORT_MAX)
        rc = -EPIPE; /* not what a worker of ours sends */
    char *text = rc == 0 ? malloc(end->report_bytes + 1) : NULL;
    if (rc == 0 && !text)
        rc = -ENOMEM;
    if (rc == 0)
        rc = isolate_read_all(w->result_fd, text, end->report_bytes, deadline);
    if (rc == 0) {
        text[end->report_bytes] = '\0';
        text_printf(report, "%s", text);
        w->cpu_ns = end->cpu_ns;
    }
    free(text);
    if (rc == 0)
        return 0;
    if (rc == -EPIPE) {
        /* It died: reap it for its wait status. */
        while (waitpid(w->pid, wstatus, 0) < 0 && errno == EINTR) {
        }
        close(w->request_fd);
        close(w->result_fd);
        w->pid = 0;
        return -EPIPE;
    }
    explore_worker_stop(w);
    return rc;
}
