/* procs — a small userland process library over sim/sys.h, after processkit
 * (seed document 001_8f13a8b2ec6d337d.txt): commands that run in process groups,
 * bounded-concurrency batches, wait-all, bounded output capture, cancellation tokens
 * and a supervisor with backoff and a failure-storm guard.
 *
 * Everything here is scenario code: it runs inside simulated processes and keeps no
 * C heap across sys_* calls. State lives in structs the caller owns (on its stack or
 * in static storage); a struct a child reads (struct pk_proc) must stay in place
 * until that child has been reaped. All arithmetic is integer (times in ns, ratios
 * in thousandths), so a run is the same under every compiler.
 *
 * A "line" of output is one channel message: its size is the line's length in
 * bytes, its position in the stream is its line number (the channel is FIFO and has
 * one writer). */
#ifndef DETSIM_SCENARIOS_LIB_PROCS_H
#define DETSIM_SCENARIOS_LIB_PROCS_H

#include <stdint.h>

/* ---- commands ------------------------------------------------------------------- */

/* What a child sees of itself: its command's argument and, when its output is
 * captured, the handle of its end of the stdout channel (-1 otherwise). */
struct pk_child {
    void *arg;
    int32_t out;
};

/* A command: a name, the child's function and its argument. The function returns
 * the child's exit status. */
struct pk_command {
    const char *name;
    int (*fn)(const struct pk_child *self);
    void *arg;
};

/* pk_options.group: a fresh group for each child (processkit's JobRunner). */
#define PK_GROUP_PRIVATE UINT32_MAX

struct pk_token;

struct pk_options {
    uint32_t group;          /* 0: the caller's group; PK_GROUP_PRIVATE; or a group id */
    uint8_t capture;         /* give the child a stdout channel and drain it */
    struct pk_token *cancel; /* NULL, or a token that tears the child's tree down */
};

/* The result of one run. */
struct pk_result {
    int error;         /* 0, or the negative error code that kept it from running */
    int status;        /* its wait status: SYS_WIFEXITED, SYS_WTERMSIG, ... (model/uapi.h) */
    uint32_t pid;
    uint32_t group;    /* the group it ran in */
    uint8_t cancelled; /* its token tore it down (processkit's Error::Cancelled) */
    uint64_t lines;    /* lines received from its stdout */
    uint64_t bytes;
};

/* A started child. The caller owns it; it must stay in place until pk_wait has
 * returned 0 (the child reads it when it starts, the watcher until it is reaped). */
struct pk_proc {
    uint32_t pid;
    uint32_t group;          /* its group; 0: the caller's */
    int32_t out;             /* the parent's end of the stdout channel, -1 when none */
    int32_t child_out;       /* the child's end, at the same index in the child's table */
    uint32_t watcher;        /* pid of the cancellation watcher, 0 when none */
    uint8_t private_group;   /* the group was made for this child alone */
    uint8_t cancelled;       /* set by the watcher when it tore the tree down */
    uint8_t reaped;
    int status;
    uint64_t lines;          /* lines drained so far */
    uint64_t bytes;
    struct pk_token *token;
    int (*fn)(const struct pk_child *self);
    void *arg;
};

/* Bounded output capture (processkit's OutputBufferPolicy::bounded): keeps the
 * numbers of the last limit lines in a ring, counts every line. Fixed size. */
#define PK_CAPTURE_LINES_MAX 1024

struct pk_capture {
    uint32_t limit; /* lines kept, 1 .. PK_CAPTURE_LINES_MAX */
    uint32_t head;  /* where the next line goes */
    uint32_t kept;  /* lines in the ring, at most limit */
    uint64_t seen;  /* lines ever received */
    uint64_t dropped;
    uint64_t numbers[PK_CAPTURE_LINES_MAX];
};

/* Resets cap to keep at most limit lines (clamped to 1 .. PK_CAPTURE_LINES_MAX). */
void pk_capture_init(struct pk_capture *cap, uint32_t limit);

/* Records line number: keeps it, dropping the oldest kept line when full. */
void pk_capture_push(struct pk_capture *cap, uint64_t number);

/* The i-th kept line's number, oldest first (i < cap->kept). */
uint64_t pk_capture_line(const struct pk_capture *cap, uint32_t i);

/* Starts cmd as a child of the caller. The child gets only its stdout end (explicit
 * spawn); the parent keeps the other end in p->out. With a token the child runs in
 * its own group (a private one unless options->group names a group) and a watcher
 * process drops that group when the token is cancelled. Returns 0, or -EAGAIN /
 * -ENOMEM (spawn), -ENFILE / -EMFILE (the channel); on error nothing is left open
 * or running. */
int pk_start(struct pk_proc *p, const struct pk_command *cmd, const struct pk_options *options);

/* Receives p's stdout until end of file (every holder of the child's end closed),
 * counting lines in p and keeping them in cap (may be NULL). Leaves p->out open.
 * Returns 0, or the negative error of the receive (-EINTR: call again). */
int pk_drain(struct pk_proc *p, struct pk_capture *cap);

/* Finishes p: drains its stdout (if still open) and closes it, reaps the child,
 * stops and reaps the watcher. Fills r. Returns 0, or -EINTR when a caught signal
 * cut a wait short (p is intact: call again), or another negative error. */
int pk_wait(struct pk_proc *p, struct pk_capture *cap, struct pk_result *r);

/* Kills what p started without waiting: the watcher, and the child's tree (its
 * group when private, else the child alone); closes p->out. For a caller that must
 * give up (a caught signal); the zombies are left for its later waits. */
void pk_abandon(struct pk_proc *p);

/* pk_start + pk_wait. On a start error, r->error holds it and it is returned. A
 * caught signal (-EINTR) abandons the child (pk_abandon) and is returned. */
int pk_run(const struct pk_command *cmd, const struct pk_options *options,
           struct pk_capture *cap, struct pk_result *r);

/* Whether r is a clean exit: started, not cancelled, status 0. */
int pk_success(const struct pk_result *r);

/* ---- many at once -------------------------------------------------------------- */

#define PK_BATCH_MAX 128 /* concurrency cap of pk_output_all */

/* Runs cmds[0..count) with at most cap (1 .. PK_BATCH_MAX) alive at once, under
 * options (group: shared, private or the caller's), and collects results[i] for
 * cmds[i], in order: it waits for the oldest in flight before starting another. A
 * child that cannot start gets its error in results[i].error; the others still run.
 * Returns how many ran to an exit. */
uint32_t pk_output_all(const struct pk_command *cmds, uint32_t count, uint32_t cap,
                       const struct pk_options *options, struct pk_result *results);

/* Waits for every pid in pids[0..count) (children of the caller), in order, with
 * their statuses in statuses[] (may be NULL). Returns how many were collected; stops
 * at the first pid that cannot be waited for. */
uint32_t pk_wait_all(const uint32_t *pids, uint32_t count, int *statuses);

/* Whether the caller has no child left: 1 when a wait finds none (-ECHILD), 0
 * when one is alive or a zombie (a zombie found this way is reaped). */
int pk_no_children(void);

/* ---- cancellation tokens ------------------------------------------------------- */

/* A token any number of processes can check or wait on. Built on a semaphore that
 * holds one unit from cancellation on: each waiter passes the unit on as it wakes,
 * so a cancel wakes them all and every later wait returns at once. Lives in memory
 * every process can see (static storage). */
struct pk_token {
    int32_t sem;
    uint8_t cancelled;
};

/* Returns 0, or -ENOMEM (no semaphore). */
int pk_token_init(struct pk_token *t);
/* Cancels t (once; later calls do nothing) and wakes every waiter. Returns 0. */
int pk_token_cancel(struct pk_token *t);
/* Whether t was cancelled. Not a scheduling point. */
int pk_token_cancelled(const struct pk_token *t);
/* Blocks until t is cancelled. Returns 0, or -EINTR. */
int pk_token_wait(struct pk_token *t);

/* ---- the supervisor ------------------------------------------------------------ */

enum pk_restart { PK_RESTART_NEVER, PK_RESTART_ON_FAILURE, PK_RESTART_ALWAYS };

#define PK_MILLI 1000u /* fixed point: 1000 thousandths = 1.0 */
#define PK_UNLIMITED UINT32_MAX

struct pk_supervisor {
    struct pk_command command;
    struct pk_options options;
    enum pk_restart restart;
    uint32_t max_restarts;        /* PK_UNLIMITED for no cap */
    uint64_t backoff_initial_ns;  /* delay before the first restart */
    uint32_t backoff_multiplier_milli; /* each delay is the last x this / 1000 */
    uint64_t backoff_max_ns;      /* cap on one delay (0: none) */
    uint64_t storm_pause_ns;      /* 0: storm guard off */
    uint32_t failure_threshold_milli; /* failure score that trips the guard */
    uint64_t failure_decay_ns;    /* half-life of the failure score */
};

enum pk_stop {
    PK_STOP_POLICY,    /* the restart policy declined a restart */
    PK_STOP_EXHAUSTED, /* max_restarts reached */
    PK_STOP_CANCELLED, /* the command's token cancelled the last run */
    PK_STOP_ERROR      /* a run could not start, or a sleep was interrupted */
};

struct pk_outcome {
    uint32_t runs;
    uint32_t restarts;
    uint32_t storm_pauses;
    enum pk_stop stopped;
    struct pk_result last; /* the last run's result */
};

/* The delay after delay: delay x multiplier_milli / 1000, at most max_ns (0: no cap),
 * saturating instead of overflowing. */
uint64_t pk_backoff_next(uint64_t delay_ns, uint32_t multiplier_milli, uint64_t max_ns);

/* The failure-storm guard: a score that gains 1.0 per failure and halves every
 * decay_ns (piecewise-linear between halvings), in thousandths. */
struct pk_storm {
    uint64_t score_milli;
    uint64_t last_ns; /* time of the last failure */
    uint8_t started;
};

/* Decays the score from the last failure to now_ns, adds one failure, and reports
 * whether the score reached threshold_milli (1: trip — the score resets to 0). */
int pk_storm_record(struct pk_storm *storm, uint64_t now_ns, uint32_t threshold_milli,
                    uint64_t decay_ns);

/* score_milli after elapsed_ns of decay with half-life decay_ns (0: no decay). */
uint64_t pk_storm_decay(uint64_t score_milli, uint64_t elapsed_ns, uint64_t decay_ns);

/* Runs sup->command until the policy or max_restarts ends it, sleeping the backoff
 * between runs and storm_pause_ns whenever the guard trips. Fills out. Returns 0,
 * or the error that stopped it (out->stopped PK_STOP_ERROR). */
int pk_supervise(const struct pk_supervisor *sup, struct pk_outcome *out);

/* ---- children's side ----------------------------------------------------------- */

/* Writes a line of bytes (at least 1) to the child's stdout. Blocks while the
 * channel is full. Returns 0, -EPIPE (the reader is gone), -EBADF (no stdout). */
int pk_write_line(const struct pk_child *self, uint64_t bytes);

#endif
