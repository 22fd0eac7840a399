/* isolate — a run in a forked child, so that scenario code that crashes, calls
 * exit() or loops forever in C ends the child, never the command; and SIGINT and
 * SIGTERM caught, so that a command can stop its children, clean up and say where it
 * stopped.
 *
 * The child runs, then sends its result back through a pipe: the counters, the
 * report, and the recorded choices when asked for. Meanwhile it notes the step and
 * pid of each trace event in a page it shares with the parent, so that a crash
 * names where it happened. The trace hash is the child's: the same run, the same
 * hash. Wall-clock time is read here, for the limit only: it never reaches a run. */
#ifndef DETSIM_ISOLATE_H
#define DETSIM_ISOLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim/run.h"

enum isolate_loss_kind {
    ISOLATE_NONE,    /* the run ended with an outcome of its own */
    ISOLATE_SIGNAL,  /* the child died of a signal: outcome crash */
    ISOLATE_EXIT,    /* the child exited (scenario code called exit()): outcome crash */
    ISOLATE_TIMEOUT, /* killed past its wall-clock limit: outcome timeout */
};

/* How a child ended without a result, and where its run was then. */
struct isolate_loss {
    enum isolate_loss_kind kind;
    int status;    /* the signal (ISOLATE_SIGNAL) or the exit status (ISOLATE_EXIT) */
    int seen;      /* an event was traced: step and pid are known */
    uint64_t step; /* of the last event traced */
    uint32_t pid;  /* the simulated process of that event */
    uint64_t faults_fired; /* injected faults that fired before */
};

#define ISOLATE_STATUS_MAX 4 /* outputs a work function reports on */

/* What the child does: runs options (setting up what observes the run itself) into
 * result, and puts in status[i] 0 or the -errno of each output it wrote. Returns 0,
 * or run_scenario's error. */
typedef int (*isolate_work)(void *context, const struct run_options *options,
                            struct run_result *result, int status[ISOLATE_STATUS_MAX]);

/* Runs work (NULL: run_scenario alone) on options in a forked child, for at most
 * time_limit_s of wall-clock time (0: no limit). Returns 0 with result filled: the
 * child's, choices and all when options->record_choices, and status (may be NULL)
 * with what work put there; or, when the child ended without a result, outcome
 * crash or timeout with a report that says how and where (*loss says it too, and is
 * ISOLATE_NONE otherwise). Returns -EINTR when isolate_catch_signals caught a signal
 * (the child is then killed), -errno when no child could be started (pipe, fork), or
 * the run's own error (-ENOMEM: its harness ran short; -EPERM: a real run could not
 * start): result then holds only the run's report, which says why. Call
 * run_result_free either way. */
int isolate_run(const struct run_options *options, double time_limit_s, isolate_work work,
                void *context, struct run_result *result, int status[ISOLATE_STATUS_MAX],
                struct isolate_loss *loss);

/* Writes all of data to fd, through short writes and EINTR (async-signal-safe).
 * Returns 0, or -1 with errno set. */
int isolate_write_all(int fd, const void *data, size_t bytes);

/* Reads bytes from fd before deadline (isolate_wall_seconds; 0: none), through
 * short reads and EINTR. Returns 0, -EPIPE when the writer closed its end first,
 * -ETIMEDOUT, -EINTR when isolate_catch_signals caught a signal, or -errno. */
int isolate_read_all(int fd, void *data, size_t bytes, double deadline);

/* Monotonic wall-clock seconds, for limits only: it never reaches a run. */
double isolate_wall_seconds(void);

/* From now on SIGINT and SIGTERM set a flag instead of ending the process (poll and
 * waits return early); children set up by isolate_child_setup ignore them. */
void isolate_catch_signals(void);

/* The signal isolate_catch_signals caught, or 0. */
int isolate_caught(void);

/* Ends the process with the signal caught (after the caller has cleaned up), the
 * way it would have ended had the signal not been caught. */
void isolate_reraise(void);

/* In a child just forked from parent: it dies with the parent (PR_SET_PDEATHSIG, so
 * that killing a command never leaves its children running), and ignores SIGINT and
 * SIGTERM (the parent decides). */
void isolate_child_setup(pid_t parent);

#endif
