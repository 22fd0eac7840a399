/* pool — seeds in forked workers; see pool.h. */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A worker runs seeds[first], seeds[first + stride], ... in turn and sends each
 * result back; the seed it is on is always the one after its last result, so a
 * crash or a timeout is pinned on the right seed. */
struct worker_message {
    long index;
    struct sweep_record record;
};

#define WORKER_BATCH 16 /* messages read per wake-up, at most */

struct worker {
    pid_t pid;
    int fd;
    long current;   /* index of the seed it is running */
    double started; /* when the worker last reported */
    int careful;     /* reports every result at once (after a failure in its share) */
    size_t buffered; /* bytes of a message read so far */
    struct worker_message inbox[WORKER_BATCH];
};

/* One pool_run. */
struct pool_state {
    const struct pool *pool;
    const uint64_t *seeds;
    long count;
    long stride; /* workers at most: worker j's share is seeds j, j + stride, ... */
    struct worker *workers;
    struct pollfd *fds;
    long active;
    long done;
    long failing;
};

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* In the worker: its share of the seeds, run and sent back in batches (one write
 * per WORKER_BATCH results, so the parent is not woken for every short seed). A
 * careful worker, started after a crash or a timeout, sends each result at once, so
 * that the next failure is pinned on its exact seed. Never returns. */
static void worker_main(const struct pool_state *p, long first, int fd, int careful)
{
    static struct worker_message batch[WORKER_BATCH];
    size_t pending = 0;
    for (long i = first; i < p->count; i += p->stride) {
        struct worker_message m = {i, {{0}}};
        if (p->pool->run_seed(p->pool->context, p->seeds[i], &m.record) != 0)
            _exit(3);
        batch[pending++] = m;
        if (careful || pending == WORKER_BATCH || i + p->stride >= p->count) {
            ssize_t bytes = (ssize_t)(pending * sizeof batch[0]);
            if (write(fd, batch, (size_t)bytes) != bytes)
                _exit(3);
            pending = 0;
        }
    }
    _exit(0);
}

/* Forks w to run the share from seed index first on. Returns 0, or -errno with w
 * unchanged. */
static int start_worker(const struct pool_state *p, struct worker *w, long first, int careful)
{
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return -errno;
    fflush(NULL); /* nothing buffered is written twice by a worker */
    pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        worker_main(p, first, pipe_fds[1], careful);
    }
    close(pipe_fds[1]);
    if (pid < 0) {
        close(pipe_fds[0]);
        return -errno;
    }
    w->pid = pid;
    w->fd = pipe_fds[0];
    w->current = first;
    w->started = wall_seconds();
    w->careful = careful;
    w->buffered = 0;
    return 0;
}

/* Hands every whole message of w's (got more bytes read) to the caller. */
static void take_messages(struct pool_state *p, struct worker *w, size_t got)
{
    size_t bytes = w->buffered + got, whole = bytes / sizeof w->inbox[0];
    for (size_t k = 0; k < whole; k++) {
        p->pool->add(p->pool->context, &w->inbox[k].record);
        p->done++;
        p->failing += !w->inbox[k].record.expected;
        w->current = w->inbox[k].index + p->stride;
    }
    w->buffered = bytes - whole * sizeof w->inbox[0];
    memmove(w->inbox, (char *)w->inbox + whole * sizeof w->inbox[0], w->buffered);
    w->started = wall_seconds();
    if (p->pool->progress && whole)
        p->pool->progress(p->done, p->count, p->failing);
}

/* Collects worker i, which is finished, dead, or late (then killed), and starts a
 * fresh one on the rest of its share. Returns 1 when the fresh worker took slot i,
 * 0 when the slot was dropped (the share is done), or -errno when no worker could be
 * started (slot i is then left as it was). */
static int retire_worker(struct pool_state *p, long i, int late)
{
    struct worker *w = &p->workers[i];
    if (late)
        kill(w->pid, SIGKILL);
    int status = 0;
    waitpid(w->pid, &status, 0);
    close(w->fd);
    long resume_at = -1;
    if (w->current < p->count && !w->careful) {
        /* It died or ran late somewhere in a batch: a careful worker runs the
         * unreported seeds again, one report each, to find which. */
        resume_at = w->current;
    } else if (w->current < p->count) { /* it died, or ran late, on its current seed */
        struct pool_loss loss = {late ? POOL_LOSS_TIMEOUT : POOL_LOSS_DIED, status};
        p->pool->lose(p->pool->context, p->seeds[w->current], &loss);
        p->done++;
        p->failing++;
        resume_at = w->current + p->stride;
        if (p->pool->progress)
            p->pool->progress(p->done, p->count, p->failing);
    }
    if (resume_at >= 0 && resume_at < p->count) {
        int rc = start_worker(p, w, resume_at, 1);
        if (rc != 0)
            return rc;
        p->fds[i] = (struct pollfd){w->fd, POLLIN, 0};
        return 1;
    }
    p->workers[i] = p->workers[--p->active];
    p->fds[i] = p->fds[p->active];
    return 0;
}

/* Waits up to 100 ms for the workers, then reads what came and collects the workers
 * that ended or ran late. Returns 0 or -errno (as retire_worker). */
static int poll_workers(struct pool_state *p)
{
    for (long i = 0; i < p->active; i++)
        p->fds[i] = (struct pollfd){p->workers[i].fd, POLLIN, 0};
    poll(p->fds, (nfds_t)p->active, 100);
    double now = wall_seconds();
    for (long i = 0; i < p->active;) {
        struct worker *w = &p->workers[i];
        int late = now - w->started > p->pool->time_limit_s;
        if (!p->fds[i].revents && !late) {
            i++;
            continue;
        }
        /* Every whole message waiting, in one read: seeds can be short. */
        ssize_t got = late ? 0
                           : read(w->fd, (char *)w->inbox + w->buffered,
                                  sizeof w->inbox - w->buffered);
        if (got > 0) {
            take_messages(p, w, (size_t)got);
            i++;
            continue;
        }
        int kept = retire_worker(p, i, late);
        if (kept < 0)
            return kept;
        i += kept;
    }
    return 0;
}

int pool_run(const struct pool *pool, const uint64_t *seeds, long count)
{
    struct pool_state p = {.pool = pool, .seeds = seeds, .count = count};
    p.stride = (long)pool->jobs < count ? (long)pool->jobs : count;
    p.workers = calloc((size_t)p.stride + 1, sizeof *p.workers);
    p.fds = calloc((size_t)p.stride + 1, sizeof *p.fds);
    int rc = p.workers && p.fds ? 0 : -ENOMEM;
    for (long j = 0; j < p.stride && rc == 0; j++)
        if ((rc = start_worker(&p, &p.workers[p.active], j, 0)) == 0)
            p.active++;
    while (p.active > 0 && rc == 0)
        rc = poll_workers(&p);
    for (long i = 0; i < p.active; i++) { /* only after an error */
        kill(p.workers[i].pid, SIGKILL);
        waitpid(p.workers[i].pid, NULL, 0);
        close(p.workers[i].fd);
    }
    free(p.workers);
    free(p.fds);
    return rc;
}

int pool_run_one(double time_limit_s, int (*work)(void *context, void *message), void *context,
                 void *message, size_t message_bytes, struct pool_loss *loss)
{
    int fds[2];
    if (pipe(fds) != 0) {
        *loss = (struct pool_loss){POOL_LOSS_NO_PIPE, 0};
        return -1;
    }
    fflush(NULL); /* nothing buffered is written twice by the worker */
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (work(context, message) != 0)
            _exit(3);
        _exit(write(fds[1], message, message_bytes) == (ssize_t)message_bytes ? 0 : 3);
    }
    close(fds[1]);
    struct pollfd waiting = {fds[0], POLLIN, 0};
    int ready = pid > 0 ? poll(&waiting, 1, (int)(time_limit_s * 1000)) : 0;
    ssize_t got = ready > 0 ? read(fds[0], message, message_bytes) : 0;
    if (pid > 0 && ready <= 0)
        kill(pid, SIGKILL);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    close(fds[0]);
    if (got == (ssize_t)message_bytes)
        return 0;
    if (pid < 0)
        *loss = (struct pool_loss){POOL_LOSS_NO_FORK, 0};
    else if (ready <= 0)
        *loss = (struct pool_loss){POOL_LOSS_TIMEOUT, 0};
    else
        *loss = (struct pool_loss){POOL_LOSS_DIED, status};
    return -1;
}
