/* proc — the process table and each process's handle table; see proc.c.
 *
 * A process is its pid; a handle is an index into its process's handle table,
 * naming a channel endpoint, a bridged fd onto one, or a port. */
#ifndef DETSIM_PROC_H
#define DETSIM_PROC_H

#include <stdint.h>

#include "model/uapi.h"
#include "model/waitq.h"

struct world;

enum handle_kind {
    HANDLE_FREE = 0,
    HANDLE_ENDPOINT,    /* a channel endpoint */
    HANDLE_ENDPOINT_FD, /* a bridged fd onto a channel endpoint (003_...) */
    HANDLE_PORT
};

struct handle {
    uint8_t kind;    /* enum handle_kind */
    uint8_t cloexec; /* closed by fork-exec */
    uint32_t object; /* endpoint: channel * 2 + end; port: port index */
};

enum proc_state { PROC_FREE, PROC_RUNNABLE, PROC_BLOCKED, PROC_ZOMBIE };

/* What became of the latest signal sent to a process (reports say it). */
enum proc_signal_fate {
    SIGNAL_FATE_PENDING = 1, /* sent, not yet delivered */
    SIGNAL_FATE_HANDLED,     /* its handler ran */
    SIGNAL_FATE_RESTARTED,   /* its handler ran during a call, which restarted */
    SIGNAL_FATE_IGNORED      /* discarded: SIG_IGN */
};

struct proc {
    enum proc_state state;
    uint32_t pid;
    uint32_t parent;
    uint32_t group;
    char name[32];
    struct handle *handles; /* max_handles entries */
    uint32_t handle_count;
    uint32_t heap_block; /* the process struct itself */
    int exit_status;
    uint32_t signals_pending;      /* sent, not yet delivered; bit per signal number */
    uint32_t signals_caught;       /* a handler is installed */
    uint32_t signals_restart;      /* ... with SA_RESTART */
    uint32_t signals_ignored;      /* SIG_IGN: discarded when sent */
    uint32_t signals_handled;      /* handlers that ran since sys_signal_pending read them */
    uint32_t signals_interrupting; /* handlers that ran since the current call began */
    uint32_t signal_wakeup;        /* handle + 1 its handlers write a byte to; 0: none */
    uint8_t last_signal;           /* the latest signal sent to it, for reports; 0: none */
    uint8_t last_signal_fate;      /* enum proc_signal_fate */
    uint64_t last_signal_step;     /* when it was sent, or handled */
    uint32_t channels_live;   /* channels it created that still hold a slot */
    uint64_t created_step;
    uint64_t exited_step;
    uint8_t daemon;       /* init: never counted as hung */
    uint8_t subreaper;    /* PR_SET_CHILD_SUBREAPER: it adopts its descendants' orphans */
    uint8_t kept_handles; /* zombie still holding handles (release-at-reap bug) */
    uint32_t handle_limit;   /* entries it may use: max_handles, lower under slots/handles */
    struct waitq child_wait; /* its waits for children park here */
};

struct proc *proc_get(const struct world *w, uint32_t pid);

/* Creates a process as a child of parent (0 for none), in group (0: parent's),
 * inheriting handles by mode; for SPAWN_EXPLICIT, handles[0..count) of the parent
 * land at the same indices in the child. Returns the pid, or -EAGAIN (table full),
 * -ENOMEM (heap), -EBADF (a listed handle is not open). Nothing changes on error. */
int proc_spawn(struct world *w, uint32_t parent, const char *name, enum proc_spawn_mode mode,
               const uint32_t *handles, uint32_t count, uint32_t group);

/* Ends pid: closes its handles (unless the release-at-reap bug keeps them), frees
 * its heap, gives its children to their new reaper (the nearest living ancestor
 * that is a subreaper, else init), and makes it a zombie for its parent, which
 * hears SIGCHLD when it catches it, or reaps it at once when it ignores it. */
void proc_exit(struct world *w, uint32_t pid, int status);

/* Reaps a zombie child of parent: pid (0 for any). Returns the pid reaped and its
 * status in *status, MODEL_WOULD_BLOCK (block_on = parent's child_wait) when
 * children exist but none has exited, or -ECHILD. */
int proc_wait(struct world *w, uint32_t parent, uint32_t pid, int *status);

/* Sends signal sig to pid. A signal that pid ignores is discarded; a zombie takes
 * any signal and nothing happens (as on Linux); sig 0 sends nothing. Otherwise it
 * becomes pending: the sys layer interrupts pid's blocked call and delivers it at
 * pid's next return to user code (proc_signals_deliver, proc_signal_take_fatal).
 * SIGKILL is only marked pending here: the sys layer ends the task and calls
 * proc_exit. Returns 0, -ESRCH (no such process), -EINVAL (no such signal), or
 * -EPERM (init: it is never signalled, or orphans would not be reaped). */
int proc_signal(struct world *w, uint32_t pid, uint32_t sig);

/* Whether sig is pending in pid (proc_signal made it so). */
int proc_signal_is_pending(const struct world *w, uint32_t pid, uint32_t sig);

/* Sets what sig does in pid (SIG_ACTION_DEFAULT, SIG_ACTION_CATCH with or without
 * SIG_ACTION_RESTART, SIG_ACTION_IGNORE), as sigaction does; ignoring a signal
 * discards it if pending. Returns 0, -EINVAL for a signal that cannot be caught
 * (SIG_KILL) or an unknown action, or -ESRCH. Nothing changes on error. */
int proc_signal_catch(struct world *w, uint32_t pid, uint32_t sig, int action);

/* Delivers the caught signals pending in pid: their handlers run. Clears them from
 * pending and adds them to signals_handled (what sys_signal_pending reads) and to
 * signals_interrupting (what cuts the current blocking call short); with a wakeup
 * handle set, the handlers write one byte to it, without blocking (lost when it is
 * full or gone). Returns them as a bit mask (1 << sig); 0 when none, or when pid
 * does not exist. */
uint32_t proc_signals_deliver(struct world *w, uint32_t pid);

/* Sets the handle pid's signal handlers write a byte to when they run (the self-
 * pipe trick, Python's signal.set_wakeup_fd): a pipe's write end or a channel end;
 * -1 for none. Returns 0, or -EBADF (not a pipe's write end nor a channel end).
 * An exec forgets it; a fork keeps it. */
int proc_signal_wakeup(struct world *w, uint32_t pid, int32_t handle);

/* Takes the handlers that ran since the last call (sys_signal_pending): returns
 * them as a bit mask and clears them. 0 when none, or when pid does not exist. */
uint32_t proc_signals_take_handled(struct world *w, uint32_t pid);

/* Takes signals_interrupting: the handlers that ran since it was last taken. */
uint32_t proc_signals_take_interrupting(struct world *w, uint32_t pid);

/* Records that the call pid was blocked in restarted after its handlers ran
 * (SA_RESTART), for reports. */
void proc_signals_note_restart(struct world *w, uint32_t pid);

/* Takes the fatal signal pending in pid (one with the default action, which for
 * every signal but SIG_CHLD is to terminate): clears every pending fatal one and
 * returns the one that acts, the lowest numbered (SIG_KILL before SIG_PIPE before
 * SIG_TERM; SIG_INT first); 0 when none. */
uint32_t proc_signal_take_fatal(struct world *w, uint32_t pid);

/* "SIGTERM" for a signal number; "signal N" for one detsim does not know. buf
 * needs 16 bytes. */
const char *proc_signal_name(uint32_t sig, char buf[16]);

/* Makes pid a daemon (init): never counted as hung or leaked, never signalled, and
 * its waits block even without children. */
void proc_make_daemon(struct world *w, uint32_t pid);

/* Closes handle index of pid. Returns 0 or -EBADF. */
int proc_close_handle(struct world *w, uint32_t pid, uint32_t index);

/* Closes every open handle in [low, high], as close_range(2). Returns 0, or
 * -EINVAL when low > high (nothing closed). */
int proc_closerange(struct world *w, uint32_t pid, uint32_t low, uint32_t high);

/* Marks a handle close-on-exec. Returns 0 or -EBADF. */
int proc_set_cloexec(struct world *w, uint32_t pid, uint32_t index, int on);

/* Whether p's table has room for count more handles. Returns 0, or -EMFILE when it
 * has not, or when the model/proc/handle failpoint or a slots/handles fault refuses
 * (count 0 always fits). Nothing changes. */
int proc_handle_room(struct world *w, const struct proc *p, uint32_t count);

/* Puts a handle into pid's table at the lowest free index. Returns the index, or
 * -EMFILE when the table is full. Takes over the reference the caller holds. */
int proc_install_handle(struct world *w, uint32_t pid, struct handle h);

/* For hang reports: the children a waiting parent could be woken by. */
uint32_t proc_children_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                               const char **relation);

/* Makes pid a subreaper (on) or not, as prctl(PR_SET_CHILD_SUBREAPER): orphaned
 * descendants are adopted by the nearest living subreaper above them rather than by
 * init. A fork does not inherit it. Returns 0 or -ESRCH. */
int proc_set_subreaper(struct world *w, uint32_t pid, int on);

/* A new process group id, created by pid: it nests in pid's group, as a cgroup
 * made by a process of a cgroup is a sub-cgroup of it. */
uint32_t proc_group_create(struct world *w, uint32_t pid);

/* Whether p is in group, or in a group nested in it at any depth (what
 * cgroup.kill of group reaches). */
int proc_in_group_tree(const struct world *w, const struct proc *p, uint32_t group);

#endif
