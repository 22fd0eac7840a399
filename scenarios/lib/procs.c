/* procs — a small userland process library after processkit; see procs.h. */
#include "procs.h"

#include <errno.h>

#include "sim/sys.h"

/* ---- capture ------------------------------------------------------------------- */

void pk_capture_init(struct pk_capture *cap, uint32_t limit)
{
    cap->limit = limit < 1 ? 1 : limit > PK_CAPTURE_LINES_MAX ? PK_CAPTURE_LINES_MAX : limit;
    cap->head = 0;
    cap->kept = 0;
    cap->seen = 0;
    cap->dropped = 0;
}

void pk_capture_push(struct pk_capture *cap, uint64_t number)
{
    cap->numbers[cap->head] = number;
    cap->head = (cap->head + 1) % cap->limit;
    if (cap->kept < cap->limit)
        cap->kept++;
    else
        cap->dropped++; /* the oldest line was overwritten */
    cap->seen++;
}

uint64_t pk_capture_line(const struct pk_capture *cap, uint32_t i)
{
    uint32_t oldest = (cap->head + cap->limit - cap->kept) % cap->limit;
    return cap->numbers[(oldest + i) % cap->limit];
}

/* ---- one child ------------------------------------------------------------------ */

/* Runs first in the child: copies what it needs out of the parent's pk_proc before
 * its first scheduling point (the parent may reuse it once the child is reaped). */
static void child_main(void *arg)
{
    const struct pk_proc *p = arg;
    struct pk_child self = {p->arg, p->child_out};
    int (*fn)(const struct pk_child *) = p->fn;
    sys_exit(fn(&self));
}

/* The cancellation watcher: sleeps on the token, then tears the child's tree down
 * by dropping its group (members and every descendant). */
static void watcher_main(void *arg)
{
    struct pk_proc *p = arg;
    if (pk_token_wait(p->token) != 0)
        return;
    p->cancelled = 1;
    p->token->torn_down = 1; /* what the parent sees when this is a real process */
    sys_group_drop(p->group);
}

void pk_abandon(struct pk_proc *p)
{
    if (p->watcher) {
        sys_kill(p->watcher, SIG_KILL);
        p->watcher = 0;
    }
    if (p->pid && !p->reaped) {
        if (p->private_group)
            sys_group_drop(p->group);
        else
            sys_kill(p->pid, SIG_KILL);
    }
    if (p->out >= 0) {
        sys_close((uint32_t)p->out);
        p->out = -1;
    }
}

int pk_start(struct pk_proc *p, const struct pk_command *cmd, const struct pk_options *options)
{
    static const struct pk_options defaults = {0};
    if (!options)
        options = &defaults;
    *p = (struct pk_proc){0};
    p->out = -1;
    p->child_out = -1;
    p->token = options->cancel;
    p->fn = cmd->fn;
    p->arg = cmd->arg;
    p->group = options->group;
    /* A token tears down a group: the child needs one that is not the caller's. */
    if (p->group == PK_GROUP_PRIVATE || (p->group == 0 && options->cancel)) {
        p->group = sys_group_create();
        p->private_group = 1;
    }
    uint32_t ends[2] = {0, 0};
    if (options->capture) {
        int rc = sys_chan_create(ends);
        if (rc != 0)
            return rc;
        p->out = (int32_t)ends[0];
        p->child_out = (int32_t)ends[1];
    }
    /* The child gets its stdout end and nothing else (posix_spawn file actions). */
    struct sys_spawn_options spawn = {SPAWN_EXPLICIT, &ends[1], options->capture ? 1 : 0,
                                      p->group};
    int pid = sys_spawn_with(cmd->name, child_main, p, &spawn);
    /* The parent's copy of the child's end must go, or the drain never sees EOF. */
    if (options->capture)
        sys_close(ends[1]);
    if (pid < 0) {
        pk_abandon(p);
        return pid;
    }
    p->pid = (uint32_t)pid;
    if (options->cancel) {
        struct sys_spawn_options none = {SPAWN_EXPLICIT, NULL, 0, 0};
        int watcher = sys_spawn_with("cancel-watcher", watcher_main, p, &none);
        if (watcher < 0) {
            /* Unwatched, the run could not be cancelled: do not run it at all. */
            pk_abandon(p);
            sys_wait(p->pid, NULL);
            return watcher;
        }
        p->watcher = (uint32_t)watcher;
    }
    return 0;
}

int pk_drain(struct pk_proc *p, struct pk_capture *cap)
{
    while (p->out >= 0) {
        struct chan_received m;
        int rc = sys_chan_recv((uint32_t)p->out, &m, 0, 0);
        if (rc != 0)
            return rc;
        if (m.eof)
            return 0;
        for (uint32_t k = 0; k < m.handle_count; k++)
            sys_close(m.handles[k]); /* stdout carries no handles; drop strays */
        if (cap)
            pk_capture_push(cap, p->lines);
        p->lines++;
        p->bytes += m.bytes;
    }
    return 0;
}

int pk_wait(struct pk_proc *p, struct pk_capture *cap, struct pk_result *r)
{
    if (p->out >= 0) {
        int rc = pk_drain(p, cap);
        if (rc == -EINTR)
            return rc;
        sys_close((uint32_t)p->out); /* EOF, or an error that ends the drain */
        p->out = -1;
    }
    if (p->pid && !p->reaped) {
        int rc = sys_wait(p->pid, &p->status);
        if (rc < 0)
            return rc;
        p->reaped = 1;
    }
    if (p->watcher) {
        sys_kill(p->watcher, SIG_KILL); /* -ESRCH when it already fired and exited */
        int rc = sys_wait(p->watcher, NULL);
        if (rc == -EINTR)
            return rc;
        p->watcher = 0;
    }
    *r = (struct pk_result){0};
    r->status = p->status;
    r->pid = p->pid;
    r->group = p->group;
    r->cancelled = p->cancelled || (p->token && p->token->torn_down);
    r->lines = p->lines;
    r->bytes = p->bytes;
    return 0;
}

int pk_run(const struct pk_command *cmd, const struct pk_options *options,
           struct pk_capture *cap, struct pk_result *r)
{
    struct pk_proc p;
    *r = (struct pk_result){0};
    int rc = pk_start(&p, cmd, options);
    if (rc == 0)
        rc = pk_wait(&p, cap, r);
    if (rc == -EINTR)
        pk_abandon(&p);
    r->error = rc;
    return rc;
}

int pk_success(const struct pk_result *r)
{
    return r->error == 0 && !r->cancelled && r->status == 0;
}

/* ---- many at once --------------------------------------------------------------- */

uint32_t pk_output_all(const struct pk_command *cmds, uint32_t count, uint32_t cap,
                       const struct pk_options *options, struct pk_result *results)
{
    struct pk_proc procs[PK_BATCH_MAX];
    uint32_t which[PK_BATCH_MAX]; /* the command each slot runs */
    cap = cap < 1 ? 1 : cap > PK_BATCH_MAX ? PK_BATCH_MAX : cap;
    uint32_t next = 0, oldest = 0, in_flight = 0, exited = 0;
    while (next < count || in_flight) {
        if (next < count && in_flight < cap) {
            uint32_t slot = (oldest + in_flight) % cap;
            results[next] = (struct pk_result){0};
            int rc = pk_start(&procs[slot], &cmds[next], options);
            if (rc != 0) {
                results[next++].error = rc;
                continue;
            }
            which[slot] = next++;
            in_flight++;
            continue;
        }
        /* Full (or nothing left to start): collect the oldest, in order. */
        int rc = pk_wait(&procs[oldest], NULL, &results[which[oldest]]);
        if (rc == -EINTR) {
            /* A caught signal: give every run in flight up. */
            for (uint32_t i = 0; i < in_flight; i++) {
                uint32_t slot = (oldest + i) % cap;
                pk_abandon(&procs[slot]);
                results[which[slot]].error = -EINTR;
            }
            for (; next < count; next++)
                results[next] = (struct pk_result){.error = -EINTR};
            return exited;
        }
        results[which[oldest]].error = rc;
        exited += rc == 0;
        oldest = (oldest + 1) % cap;
        in_flight--;
    }
    return exited;
}

uint32_t pk_wait_all(const uint32_t *pids, uint32_t count, int *statuses)
{
    uint32_t collected = 0;
    for (uint32_t i = 0; i < count; i++) {
        int status = 0;
        if (sys_wait(pids[i], &status) != (int)pids[i])
            break;
        if (statuses)
            statuses[i] = status;
        collected++;
    }
    return collected;
}

int pk_no_children(void)
{
    return sys_wait_timeout(0, NULL, 1) == -ECHILD;
}

/* ---- cancellation tokens -------------------------------------------------------- */

int pk_token_init(struct pk_token *t)
{
    t->cancelled = 0;
    t->torn_down = 0;
    t->sem = sys_sem_create("cancel-token", 0);
    return t->sem < 0 ? t->sem : 0;
}

int pk_token_cancel(struct pk_token *t)
{
    if (t->cancelled)
        return 0;
    t->cancelled = 1;
    return sys_sem_post((uint32_t)t->sem) < 0 ? -EINVAL : 0;
}

int pk_token_cancelled(const struct pk_token *t)
{
    return t->cancelled;
}

int pk_token_wait(struct pk_token *t)
{
    if (t->cancelled)
        return 0;
    int rc = sys_sem_wait((uint32_t)t->sem);
    if (rc < 0)
        return rc;
    sys_sem_post((uint32_t)t->sem); /* pass the unit on to the next waiter */
    return 0;
}

/* ---- the supervisor ------------------------------------------------------------- */

/* The score saturates here, so that score x fraction (below 2^16) fits in 64 bits. */
#define PK_STORM_SCORE_MAX (1ULL << 40)
#define PK_FRACTION_BITS 16

uint64_t pk_backoff_next(uint64_t delay_ns, uint32_t multiplier_milli, uint64_t max_ns)
{
    uint64_t next;
    if (multiplier_milli && delay_ns > UINT64_MAX / multiplier_milli)
        next = UINT64_MAX;
    else
        next = delay_ns * multiplier_milli / PK_MILLI;
    return max_ns && next > max_ns ? max_ns : next;
}

uint64_t pk_storm_decay(uint64_t score_milli, uint64_t elapsed_ns, uint64_t decay_ns)
{
    if (!decay_ns || !score_milli)
        return score_milli;
    uint64_t halvings = elapsed_ns / decay_ns;
    if (halvings >= 64)
        return 0;
    score_milli >>= halvings;
    /* Within a half-life, linear from 1 down to 1/2: the fraction of it elapsed, in
     * 1/65536, computed on shifted operands when decay_ns is too large to scale. */
    uint64_t rem = elapsed_ns % decay_ns, period = decay_ns;
    while (period >= 1ULL << (64 - PK_FRACTION_BITS - 1)) {
        rem >>= 1;
        period >>= 1;
    }
    uint64_t fraction = (rem << PK_FRACTION_BITS) / period; /* < 2^16 */
    if (score_milli > PK_STORM_SCORE_MAX)
        score_milli = PK_STORM_SCORE_MAX;
    return score_milli - (score_milli * fraction >> (PK_FRACTION_BITS + 1));
}

int pk_storm_record(struct pk_storm *storm, uint64_t now_ns, uint32_t threshold_milli,
                    uint64_t decay_ns)
{
    if (storm->started && now_ns > storm->last_ns)
        storm->score_milli = pk_storm_decay(storm->score_milli, now_ns - storm->last_ns,
                                            decay_ns);
    storm->started = 1;
    storm->last_ns = now_ns;
    storm->score_milli += PK_MILLI;
    if (storm->score_milli > PK_STORM_SCORE_MAX)
        storm->score_milli = PK_STORM_SCORE_MAX;
    if (storm->score_milli < threshold_milli)
        return 0;
    storm->score_milli = 0; /* the pause is the storm's answer: start counting again */
    return 1;
}

int pk_supervise(const struct pk_supervisor *sup, struct pk_outcome *out)
{
    *out = (struct pk_outcome){0};
    struct pk_storm storm = {0};
    uint64_t delay = sup->backoff_initial_ns;
    for (;;) {
        int rc = pk_run(&sup->command, &sup->options, NULL, &out->last);
        out->runs++;
        if (rc != 0) {
            out->stopped = PK_STOP_ERROR;
            return rc;
        }
        if (out->last.cancelled) {
            out->stopped = PK_STOP_CANCELLED;
            return 0;
        }
        int failed = !pk_success(&out->last);
        if (sup->restart == PK_RESTART_NEVER || (sup->restart == PK_RESTART_ON_FAILURE && !failed)) {
            out->stopped = PK_STOP_POLICY;
            return 0;
        }
        if (sup->max_restarts != PK_UNLIMITED && out->restarts >= sup->max_restarts) {
            out->stopped = PK_STOP_EXHAUSTED;
            return 0;
        }
        if (failed && sup->storm_pause_ns &&
            pk_storm_record(&storm, sys_now(), sup->failure_threshold_milli,
                            sup->failure_decay_ns)) {
            out->storm_pauses++;
            if (sys_sleep(sup->storm_pause_ns) != 0) {
                out->stopped = PK_STOP_ERROR;
                return -EINTR;
            }
        }
        if (delay && sys_sleep(delay) != 0) {
            out->stopped = PK_STOP_ERROR;
            return -EINTR;
        }
        delay = pk_backoff_next(delay, sup->backoff_multiplier_milli, sup->backoff_max_ns);
        out->restarts++;
    }
}

/* ---- children's side ------------------------------------------------------------ */

int pk_write_line(const struct pk_child *self, uint64_t bytes)
{
    if (self->out < 0)
        return -EBADF;
    return sys_chan_send((uint32_t)self->out, bytes ? bytes : 1, NULL, 0, 0);
}
