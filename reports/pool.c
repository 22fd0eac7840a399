/* pool — seeds in forked workers; see pool.h. */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/isolate.h"
#include "util/assert.h"

/* What a worker sends: a seed's record, or the seed it was on when its time ran out. */
struct worker_message {
    long index;
    int lost; /* 1: this seed ran past its limit (the record is empty) */
    struct sweep_record record;
};

#define WORKER_BATCH 16      /* records per write, at most */
#define WORKER_FLUSH_S 1.0   /* and at least one write a second */
#define WORKER_EXIT_DONE 123    /* its share is done, or handed on (not scenario code's exit) */
#define WORKER_EXIT_HARNESS 124 /* a worker's harness ran short: an internal error */

struct worker {
    pid_t pid;       /* 0: none running */
    int fd;
    long current;    /* index of the next seed of its share (count: the share is done) */
    double reported; /* when it started or last reported */
    int careful;     /* reports every result at once (after a crash in its share) */
    size_t buffered; /* bytes of a message read so far */
    struct worker_message inbox[WORKER_BATCH + 1];
};

/* One pool_run. */
struct pool_state {
    const struct pool *pool;
    long stride; /* worker j's share is j, j + stride, ... */
    struct worker *workers;
    struct pollfd *fds;
    long *polled; /* the worker of each fds entry */
    long running;
    long done;
    long failing;
};

/* ---- the worker ------------------------------------------------------------------ */

/* The worker's unsent results, and what its alarm needs: static, so that the
 * handler can send them. The alarm is armed only while a seed runs, when these do
 * not change. */
static struct worker_message batch[WORKER_BATCH + 1];
static size_t batch_pending;
static long batch_index;
static int batch_fd;

/* The seed ran past its limit: what is done, then the seed, then a clean exit. */
static void on_alarm(int signal_number)
{
    (void)signal_number;
    batch[batch_pending].index = batch_index;
    batch[batch_pending].lost = 1;
    isolate_write_all(batch_fd, batch, (batch_pending + 1) * sizeof batch[0]);
    _exit(WORKER_EXIT_DONE);
}

static void send_batch(void)
{
    if (batch_pending && isolate_write_all(batch_fd, batch, batch_pending * sizeof batch[0]) != 0)
        _exit(WORKER_EXIT_HARNESS);
    batch_pending = 0;
}

/* Whether this worker's peak memory grew by POOL_WORKER_GROWTH_BYTES over baseline_kb
 * (0: the first call sets it). */
static int grown(long *baseline_kb)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    if (!*baseline_kb)
        *baseline_kb = usage.ru_maxrss;
    return usage.ru_maxrss - *baseline_kb > POOL_WORKER_GROWTH_BYTES / 1024;
}

/* In the worker: its share from seed index first on, run and sent back in batches (a
 * careful worker sends each result at once). Never returns. */
static _Noreturn void worker_main(const struct pool_state *p, long first, int fd, int careful)
{
    const struct pool *pool = p->pool;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    sigaction(SIGALRM, &action, NULL);
    batch_fd = fd;
    batch_pending = 0;
    long baseline_kb = 0;
    double flushed = isolate_wall_seconds();
    for (long i = first; i < pool->count; i += p->stride) {
        uint64_t seed;
        if (!pool->seed_at(pool->context, i, &seed))
            continue;
        struct worker_message *m = &batch[batch_pending];
        memset(m, 0, sizeof *m);
        m->index = batch_index = i;
        alarm((unsigned)pool->time_limit_s);
        int rc = pool->run_seed(pool->context, seed, &m->record);
        alarm(0);
        if (rc != 0) {
            send_batch();
            _exit(WORKER_EXIT_HARNESS);
        }
        batch_pending++;
        int recycle = grown(&baseline_kb);
        if (careful || recycle || batch_pending == WORKER_BATCH ||
            isolate_wall_seconds() - flushed >= WORKER_FLUSH_S) {
            send_batch();
            flushed = isolate_wall_seconds();
        }
        if (recycle)
            _exit(WORKER_EXIT_DONE); /* a fresh worker takes the rest of the share */
    }
    send_batch();
    _exit(WORKER_EXIT_DONE);
}

/* ---- the caller's side ------------------------------------------------------------ */

/* The first index from `from` on, in from's share, that runs; count when none. */
static long next_index(const struct pool_state *p, long from)
{
    const struct pool *pool = p->pool;
    uint64_t seed;
    while (from < pool->count && !pool->seed_at(pool->context, from, &seed))
        from += p->stride;
    return from < pool->count ? from : pool->count;
}

/* Forks w to run its share from w->current on. Returns 0, or -errno with w as it
 * was (no worker). */
static int start_worker(struct pool_state *p, struct worker *w, int careful)
{
    ASSERT(w->pid == 0 && w->current < p->pool->count);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return -errno;
    pid_t parent = getpid();
    fflush(NULL); /* nothing buffered is written twice by a worker */
    pid_t pid = fork();
    if (pid == 0) {
        isolate_child_setup(parent);
        close(pipe_fds[0]);
        worker_main(p, w->current, pipe_fds[1], careful);
    }
    int rc = pid < 0 ? -errno : 0;
    close(pipe_fds[1]);
    if (rc != 0) {
        close(pipe_fds[0]);
        return rc;
    }
    w->pid = pid;
    w->fd = pipe_fds[0];
    w->reported = isolate_wall_seconds();
    w->careful = careful;
    w->buffered = 0;
    p->running++;
    return 0;
}

/* One seed done: a record or a loss. Returns what the callback returned. */
static int settle(struct pool_state *p, const struct worker_message *m, struct worker *w)
{
    const struct pool *pool = p->pool;
    uint64_t seed;
    int rc;
    if (m->lost) {
        struct pool_loss loss = {POOL_LOSS_TIMEOUT, 0};
        pool->seed_at(pool->context, m->index, &seed);
        rc = pool->lose(pool->context, seed, &loss);
    } else {
        rc = pool->add(pool->context, &m->record);
    }
    p->done++;
    p->failing += m->lost || !m->record.expected;
    w->current = next_index(p, m->index + p->stride);
    return rc;
}

/* Hands every whole message of w's (got more bytes read) to the caller. Returns 0
 * or what a callback returned to stop the pool. */
static int take_messages(struct pool_state *p, struct worker *w, size_t got)
{
    size_t bytes = w->buffered + got, whole = bytes / sizeof w->inbox[0];
    int rc = 0;
    for (size_t k = 0; k < whole && rc == 0; k++)
        rc = settle(p, &w->inbox[k], w);
    w->buffered = bytes - whole * sizeof w->inbox[0];
    memmove(w->inbox, (char *)w->inbox + whole * sizeof w->inbox[0], w->buffered);
    w->reported = isolate_wall_seconds();
    if (p->pool->progress && whole)
        p->pool->progress(p->done, p->pool->todo, p->failing);
    return rc;
}

/* Collects worker w, which is finished, dead, or late (then killed). What it left of
 * its share is started again when the loop comes round: at once after a clean exit
 * (done, recycled, or a seed timed out), carefully after a crash. Returns 0, what
 * lose returned, or -ENOMEM when its harness ran short. */
static int retire_worker(struct pool_state *p, struct worker *w, int late)
{
    if (late)
        kill(w->pid, SIGKILL);
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(w->fd);
    w->pid = 0;
    p->running--;
    int clean = !late && WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_DONE;
    if (!late && WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_HARNESS)
        return -ENOMEM;
    if (clean || w->current >= p->pool->count) {
        w->careful = 0;
        return 0;
    }
    if (!w->careful) {
        /* It died, or ran late, somewhere in a batch: a careful worker runs the
         * unreported seeds again, one report each, to find which. */
        w->careful = 1;
        return 0;
    }
    /* a careful worker died, or ran late, on its current seed */
    struct pool_loss loss = {late ? POOL_LOSS_TIMEOUT : POOL_LOSS_DIED, status};
    uint64_t seed;
    p->pool->seed_at(p->pool->context, w->current, &seed);
    int rc = p->pool->lose(p->pool->context, seed, &loss);
    p->done++;
    p->failing++;
    w->current = next_index(p, w->current + p->stride);
    if (p->pool->progress)
        p->pool->progress(p->done, p->pool->todo, p->failing);
    return rc;
}

/* Starts a worker on every share left without one. Returns 0 (some may be left to
 * the next round), or -errno when none is running and one could not be started. */
static int start_workers(struct pool_state *p)
{
    int rc = 0;
    for (long j = 0; j < p->stride; j++) {
        struct worker *w = &p->workers[j];
        if (w->pid == 0 && w->current < p->pool->count) {
            int started = start_worker(p, w, w->careful);
            rc = started ? started : rc;
        }
    }
    return p->running == 0 ? rc : 0;
}

/* Whether w has been silent past what a seed may take, plus time to report. */
static int is_late(const struct pool_state *p, const struct worker *w, double now)
{
    return now - w->reported > 2 * p->pool->time_limit_s + 10;
}

/* Waits up to 100 ms for the workers, then reads what came and collects the workers
 * that ended or went silent. Returns 0, or an error that ends the pool. */
static int poll_workers(struct pool_state *p)
{
    long n = 0;
    for (long j = 0; j < p->stride; j++)
        if (p->workers[j].pid) {
            p->fds[n] = (struct pollfd){p->workers[j].fd, POLLIN, 0};
            p->polled[n++] = j;
        }
    if (poll(p->fds, (nfds_t)n, 100) < 0 && errno != EINTR)
        return -errno;
    double now = isolate_wall_seconds();
    int rc = 0;
    for (long k = 0; k < n && rc == 0; k++) {
        struct worker *w = &p->workers[p->polled[k]];
        int late = is_late(p, w, now);
        if (!p->fds[k].revents && !late)
            continue;
        ssize_t got = late ? 0
                           : read(w->fd, (char *)w->inbox + w->buffered,
                                  sizeof w->inbox - w->buffered);
        if (got < 0 && errno == EINTR)
            continue;
        rc = got > 0 ? take_messages(p, w, (size_t)got) : retire_worker(p, w, late);
    }
    return rc;
}

int pool_run(const struct pool *pool)
{
    ASSERT(pool->jobs >= 1 && pool->time_limit_s >= 1);
    struct pool_state p = {.pool = pool};
    p.stride = (long)pool->jobs < pool->count ? (long)pool->jobs : pool->count;
    p.workers = calloc((size_t)p.stride + 1, sizeof *p.workers);
    p.fds = calloc((size_t)p.stride + 1, sizeof *p.fds);
    p.polled = calloc((size_t)p.stride + 1, sizeof *p.polled);
    int rc = p.workers && p.fds && p.polled ? 0 : -ENOMEM;
    for (long j = 0; j < p.stride && rc == 0; j++)
        p.workers[j].current = next_index(&p, j);
    for (;;) {
        if (rc == 0 && isolate_caught())
            rc = -EINTR;
        if (rc == 0)
            rc = start_workers(&p);
        if (rc != 0 || p.running == 0)
            break;
        rc = poll_workers(&p);
    }
    for (long j = 0; j < p.stride; j++) /* after an error: only those still running */
        if (p.workers && p.workers[j].pid) {
            kill(p.workers[j].pid, SIGKILL);
            while (waitpid(p.workers[j].pid, NULL, 0) < 0 && errno == EINTR)
                ;
            close(p.workers[j].fd);
        }
    free(p.workers);
    free(p.fds);
    free(p.polled);
    return rc;
}
