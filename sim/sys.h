/* sys — the API that scenario code calls.
 *
 * Every sys_* call is a scheduling point: the calling task goes back to the ready
 * queue, the scheduler picks who runs next, and the call's effect happens when this
 * task is picked again — atomically, at that step. A call that must wait parks the
 * task on the object's wait queue and completes when woken. Every call is traced.
 *
 * Handles (mutexes, semaphores) are small integers valid for one run. A bad handle
 * is -EBADF, never undefined behaviour. Scenario code must not keep C resources
 * (malloc, files) across sys_* calls: a run can end while a task is parked, and
 * must not read clocks, rand() or addresses: the seed is the only entropy.
 *
 * This header is the whole scenario API: a scenario file includes it (and
 * scenarios/lib/ headers) and nothing else of detsim's. Errors are negative errno
 * codes from <errno.h> (-EAGAIN, -EPIPE, ...; sys_error_name names them). The types
 * and constants the calls take and return are in model/uapi.h, included here:
 * struct chan_received (sys_chan_recv), struct port_event with PORT_EVENT_READABLE
 * and PORT_EVENT_PEER_CLOSED (sys_port_wait), enum proc_spawn_mode with SPAWN_FORK,
 * SPAWN_FORK_EXEC and SPAWN_EXPLICIT (sys_spawn_with), the signals SIG_INT,
 * SIG_TERM, SIG_KILL, SIG_PIPE and SIG_CHLD with the SIG_ACTION_* of
 * sys_signal_catch, the wait-status readers SYS_WIFEXITED, SYS_WEXITSTATUS,
 * SYS_WIFSIGNALED and SYS_WTERMSIG, MESSAGE_HANDLES_MAX. SCENARIO and its config
 * keys and variants are in sim/scenario.h, included here.
 *
 * The semantics are Linux's (docs/fidelity.md checks them against the kernel);
 * the seed documents' kernels are config keys away (handle_transfer=move). */
#ifndef DETSIM_SYS_H
#define DETSIM_SYS_H

#include <errno.h>
#include <stdint.h>

#include "model/uapi.h"
#include "sim/scenario.h"

#define SYS_NS_PER_US 1000ULL
#define SYS_NS_PER_MS 1000000ULL
#define SYS_NS_PER_S 1000000000ULL

/* ---- processes ------------------------------------------------------------------
 * A task is a process of the process model: pid 1 is init (it adopts orphans and,
 * unless init_reaps=false, reaps them), the scenario's code runs as pid 2 "main". */

struct sys_spawn_options {
    enum proc_spawn_mode mode; /* SPAWN_FORK, SPAWN_FORK_EXEC or SPAWN_EXPLICIT */
    const uint32_t *handles;   /* SPAWN_EXPLICIT: the handles the child gets */
    uint32_t handle_count;
    uint32_t group;            /* 0: the parent's group */
};

/* Spawns a child process running fn(arg), forked: it gets a copy of every handle.
 * Returns its pid, or -EAGAIN (process table full), -ENOMEM (heap). name is copied
 * (31 bytes kept). */
int sys_spawn(const char *name, void (*fn)(void *), void *arg);

/* As sys_spawn, with a handle-inheritance mode, a handle list and a group. Also
 * -EBADF for a listed handle that is not open. */
int sys_spawn_with(const char *name, void (*fn)(void *), void *arg,
                   const struct sys_spawn_options *options);

/* Ends the caller with exit code status (its low 8 bits, as exit() keeps them): its
 * handles close, its heap is freed, it stays a zombie until its parent waits.
 * Returning from the task function is exit(0). */
void sys_exit(int status) __attribute__((noreturn));

/* Waits for child pid (0: any child) to exit and reaps it. Returns the pid with its
 * wait status in *status (may be NULL; read it with SYS_WIFEXITED, SYS_WEXITSTATUS,
 * SYS_WIFSIGNALED and SYS_WTERMSIG, model/uapi.h), -ECHILD when there is no such child, -EINTR
 * when a caught signal's handler ran while it waited and was not installed with
 * SIG_ACTION_RESTART (with it, the wait goes on), -ETIMEDOUT (sys_wait_timeout). */
int sys_wait(uint32_t pid, int *status);
int sys_wait_timeout(uint32_t pid, int *status, uint64_t timeout_ns);

/* Sends SIG_INT, SIG_TERM, SIG_KILL, SIG_PIPE or SIG_CHLD to pid; sig 0 sends
 * nothing and only asks
 * whether pid exists (a zombie does, until it is reaped). SIG_KILL ends it at once
 * (no user code runs; the kernel still tears it down; SYS_WTERMSIG(status) is 9). A signal
 * pid ignores is discarded. Otherwise the signal is pending until pid next returns
 * to its code: with no handler it terminates it there (signalled); with one,
 * the handler runs, and a call pid was blocked in returns -EINTR or restarts (see
 * sys_signal_catch). A signal to the caller itself acts before sys_kill returns.
 * A zombie takes any signal, and nothing happens. Returns 0, -ESRCH (no such
 * process), -EINVAL (no such signal), -EPERM (pid 1, init: it cannot be signalled,
 * as an unprivileged process cannot signal a real init). */
int sys_kill(uint32_t pid, uint32_t sig);

/* Sets what SIG_INT, SIG_TERM, SIG_PIPE or SIG_CHLD does to the caller, as
 * sigaction does: SIG_ACTION_DEFAULT (terminate; for SIG_CHLD, nothing),
 * SIG_ACTION_IGNORE (discarded when sent; for SIG_CHLD, children are reaped as
 * they exit, and sys_wait waits for them all, then returns -ECHILD), or
 * SIG_ACTION_CATCH, a handler, alone or with SIG_ACTION_RESTART (SA_RESTART).
 * A child's exit sends SIG_CHLD to its parent. A spawned child keeps its parent's
 * dispositions under SPAWN_FORK; SPAWN_FORK_EXEC and SPAWN_EXPLICIT (an exec)
 * reset handlers to the default and keep what is ignored.
 * The handler runs when the signal is delivered: at the caller's next return to
 * its code (the next sys_* call, or the end of a blocked one), where it sets the
 * flag sys_signal_pending reads. A blocking call it interrupts (one the caller was
 * blocked in when the signal came) returns -EINTR, unless the handler has
 * SIG_ACTION_RESTART and the call restarts (sys_wait, sys_chan_send, sys_chan_recv
 * without a timeout; never sys_sleep, sys_port_wait, sys_sem_wait or a timed
 * receive, as on Linux). A signal handled before a call began does not interrupt
 * it: the call blocks like any other. sys_mutex_lock is never interrupted. Returns
 * 0 or -EINVAL. */
int sys_signal_catch(uint32_t sig, int action);

/* The flags the caller's handlers set: the caught signals whose handlers ran since
 * the last call, as a bit mask (1 << sig); reading clears them. Not a scheduling
 * point. */
uint32_t sys_signal_pending(void);

/* The self-pipe trick, as Python's signal.set_wakeup_fd (which trio uses): from
 * now on the caller's handlers also write one byte to handle when they run, without
 * blocking (the byte is lost when the pipe is full). Bind the pipe's read end to
 * the port an event loop waits on, and a signal handled at any moment wakes the
 * loop: one handled just before the wait leaves the pipe readable. handle is a
 * pipe's write end or a channel end; -1 stops it. A fork keeps it, an exec
 * forgets it. Returns 0 or -EBADF. */
int sys_signal_wakeup_fd(int32_t handle);

/* Makes the caller a subreaper (on) or not, as prctl(PR_SET_CHILD_SUBREAPER): an
 * orphaned descendant is adopted by the nearest living subreaper above it rather
 * than by init, and the subreaper waits for it like a child. A spawned child does
 * not inherit it. Returns 0. */
int sys_set_subreaper(int on);

/* The caller's parent pid: 1 (init) or a subreaper once its parent has exited.
 * Not a scheduling point. */
uint32_t sys_getppid(void);

/* Makes the caller a background job, as nohup and setsid make one: the run no
 * longer waits for it. The run ends when every other process has exited; if the
 * caller is still alive then, the leak audit lists it, with the handles it holds
 * and the zombies it never reaped. Not a scheduling point. Returns 0. */
int sys_detach(void);

/* Process groups: spawn into one with sys_spawn_with(.group); a child spawned with
 * group 0 joins its parent's. A group is a process group and a cgroup at once: a
 * group made by a member of G nests in G, as a cgroup made inside G is G's
 * sub-cgroup. Membership never depends on who a process's parent is now. */
uint32_t sys_group_create(void);
/* Signals every live member, as killpg(2) does (not those in nested groups);
 * returns how many. */
int sys_group_kill(uint32_t group, uint32_t sig);
/* Kill-on-drop, as writing cgroup.kill: SIG_KILL to every process in group and in
 * every group nested in it, grandchildren whose parent died included. Returns how
 * many were killed. */
int sys_group_drop(uint32_t group);
/* Graceful shutdown: SIG_INT to every member, up to grace_ns of virtual time for
 * them to exit, then SIG_KILL to whoever is left in group and the groups nested in
 * it (each logged). Returns how many had to be killed. */
int sys_group_shutdown(uint32_t group, uint64_t grace_ns);

/* ---- handles ---------------------------------------------------------------------- */

/* Open handles of the caller (a real process's fd count). Not a scheduling point. */
uint32_t sys_handle_count(void);
/* Returns 0 or -EBADF. */
int sys_close(uint32_t handle);
/* Closes every open handle in [low, high], as close_range(2): returns 0, or -EINVAL
 * when low > high. */
int sys_closerange(uint32_t low, uint32_t high);
/* Marks a handle close-on-exec (closed by SPAWN_FORK_EXEC). 0 or -EBADF. */
int sys_set_cloexec(uint32_t handle, int on);

/* ---- channels and ports ----------------------------------------------------------- */

#define SYS_NONBLOCK 1

/* A channel pair, message-oriented (as an AF_UNIX SOCK_SEQPACKET socketpair); the
 * two handles go to ends[]. An end's queue holds up to queue_depth messages and
 * queue_bytes bytes. Returns 0, -ENFILE (the global table is full), -EMFILE
 * (per-process limit or handle table), -ENOMEM. */
int sys_chan_create(uint32_t ends[2]);

/* A pipe: a byte stream of queue_bytes (65,536 by default, a Linux pipe's), ends[0]
 * for reading, ends[1] for writing. It takes a channel slot like a channel. Pipes
 * carry bytes only: sys_write and sys_read, not send and receive. Returns as
 * sys_chan_create. */
int sys_pipe(uint32_t ends[2]);

/* write(2) on a pipe's write end: blocks until every byte is in (-EAGAIN with
 * SYS_NONBLOCK when nothing fits; with room, a partial count). Up to 4,096 bytes
 * (PIPE_BUF) go in whole or wait; a longer write takes what fits and waits for the
 * rest. Returns the bytes written: all of them, or fewer when a signal's handler
 * or the reader's close cut a blocked write short after some went in. A write
 * whose reader is gone sends the caller SIG_PIPE (the default terminates it, even
 * after a partial write) and returns -EPIPE, or the partial count. Also -EINTR
 * (nothing written yet; see sys_signal_catch), -EBADF (not a pipe's write end),
 * -EINVAL (a message channel). */
int64_t sys_write(uint32_t handle, uint64_t bytes, int flags);

/* read(2) on a pipe's read end: waits for bytes (-EAGAIN with SYS_NONBLOCK) and
 * returns up to max_bytes of what is there, 0 at end of file (every write end
 * closed, the pipe drained), -EINTR, -EBADF (not a pipe's read end), -EINVAL (a
 * message channel). */
int64_t sys_read(uint32_t handle, uint64_t max_bytes, int flags);

/* Sends bytes carrying handles[0..count): copies of them (handle_transfer=copy, the
 * default: SCM_RIGHTS; the caller keeps its own), or the handles themselves
 * (handle_transfer=move: they leave the caller's table).
 * Blocks while the peer's queue is full: queue_depth messages, or no room for
 * bytes more in its queue_bytes (-EAGAIN with SYS_NONBLOCK). Returns 0, -EPIPE (the
 * peer closed; no SIGPIPE, as on a SOCK_SEQPACKET socket), -EMSGSIZE (bytes above
 * queue_bytes), -ENOMEM (payload above inline_msg_bytes), -EBADF, -EINVAL (a pipe;
 * a bad handle list), -EINTR (see sys_signal_catch). */
int sys_chan_send(uint32_t handle, uint64_t bytes, const uint32_t *handles, uint32_t count,
                  int flags);

/* Receives the oldest message into *out (may be NULL). Blocks while the queue is
 * empty (-EAGAIN with SYS_NONBLOCK; -ETIMEDOUT after timeout_ns, 0 for none).
 * Returns 0 with out->eof set when the peer has closed and the queue is drained.
 * Carried handles land in out->handles; with no room for them all, copies that do
 * not fit are dropped and out->truncated is set (MSG_CTRUNC), and moved ones make
 * it -EMFILE, the message left queued. Also -EBADF, -EINTR (a caught signal's
 * handler ran while it waited: see sys_signal_catch; a message that came with the
 * signal is received instead). */
int sys_chan_recv(uint32_t handle, struct chan_received *out, int flags, uint64_t timeout_ns);

/* A bridged fd onto the endpoint behind handle (it keeps the endpoint alive, like a
 * handle). Returns the new handle, -EBADF, -EMFILE. */
int sys_fd_from_handle(uint32_t handle);

/* Ports, as epoll instances: returns the port's handle, -ENFILE, -ENOMEM, -EMFILE. */
int sys_port_create(void);
/* Binds a channel end or a pipe end under key (EPOLL_CTL_ADD). Its events come
 * with key: PORT_EVENT_READABLE when a receive (or a pipe read) would not block (a
 * message, bytes, or a channel's end of file), PORT_EVENT_PEER_CLOSED when its
 * peer is gone; what it has already is reported at once (a hang-up before the
 * bind too). Returns 0, -EBADF, -EINVAL (already bound), -ENOMEM. Closing the last
 * handle onto the end unbinds it. */
int sys_port_bind(uint32_t port, uint32_t endpoint, uint64_t key);
/* Unbinds an end (EPOLL_CTL_DEL). Returns 0, -EBADF, -ENOENT (not bound there). */
int sys_port_unbind(uint32_t port, uint32_t endpoint);
/* The next event into *out: out->kind is a mask of the end's events now. Level-
 * triggered by default (port_trigger=level, epoll's default): an end is reported
 * again, round-robin with the others, for as long as it has events, so a loop that
 * reads one message per event drains the queue, and one that ignores a hang-up
 * spins; port_trigger=edge (EPOLLET) reports it once per arrival or hang-up.
 * Blocks (-EAGAIN with SYS_NONBLOCK, -ETIMEDOUT after timeout_ns, 0 for none);
 * -EINTR when a caught signal's handler ran meanwhile (never restarted). */
int sys_port_wait(uint32_t port, struct port_event *out, int flags, uint64_t timeout_ns);

/* ---- the kernel heap ---------------------------------------------------------------- */

/* Infallible (like Box::new): returns a block id, or never returns: the OOM policy
 * halts the system (outcome panic) or kills the caller (SIGKILL, as Linux's OOM
 * killer does). */
int64_t sys_alloc(uint64_t bytes);
/* Fallible (like try_reserve): a block id or -ENOMEM. */
int64_t sys_try_alloc(uint64_t bytes);
/* Frees a block the caller owns: 0 or -EINVAL. */
int sys_free(uint32_t block);

/* A scheduling point and nothing else. */
void sys_yield(void);

/* Blocks the caller for ns of virtual time. Returns 0, or -EINTR when a caught
 * signal's handler ran meanwhile (never restarted, as nanosleep is not). */
int sys_sleep(uint64_t ns);

/* The virtual time in ns. */
uint64_t sys_now(void);

/* The caller's pid. Not a scheduling point. */
uint32_t sys_getpid(void);

/* A mutex with owner tracking (so hang reports can say who holds it). Unlock wakes
 * the longest waiter, which takes the mutex when it runs if it is still free. A
 * mutex whose owner dies stays held (the hang report says by whom). create returns
 * a handle or -ENOMEM. A caught signal's handler runs and the lock goes on waiting,
 * as pthread_mutex_lock does; sys_sem_wait returns -EINTR, as sem_wait does. */
int sys_mutex_create(const char *name);
int sys_mutex_lock(uint32_t mutex);
/* As lock, but gives up after timeout_ns with -ETIMEDOUT. */
int sys_mutex_lock_timeout(uint32_t mutex, uint64_t timeout_ns);
/* -EPERM when the caller does not hold it. */
int sys_mutex_unlock(uint32_t mutex);

/* A counting semaphore. post adds a unit and wakes the longest waiter. */
int sys_sem_create(const char *name, uint64_t initial);
int sys_sem_wait(uint32_t sem);
int sys_sem_wait_timeout(uint32_t sem, uint64_t timeout_ns);
int sys_sem_post(uint32_t sem);

/* Zeroed memory every process of the run shares, for state that more than one
 * process reads or writes (a cancellation token, a result a child writes for its
 * parent): on the Linux backend, where processes are real and a fork copies the
 * rest, it comes from the run's MAP_SHARED arena. It lives until the run ends and
 * is never freed before. Returns NULL when bytes is 0 or the arena is full (4 MiB
 * a run on the Linux backend). Not a scheduling point: moving a scenario's globals
 * here changes no trace. Allocate it before the processes that share it start. */
void *sys_shared_alloc(uint64_t bytes);

/* The value of config key (a core key or one of the scenario's params). */
uint64_t sys_param(const char *key);

/* A value in [0, range) drawn from the choice stream, recorded and replayed; 0,
 * with no draw, for a range of 0 or 1. */
uint64_t sys_choose(uint64_t range);

/* Fails the run with outcome assert and message when condition is false. The
 * failure's signature is the check's place (file and function) and its format, so
 * one check failing with different values is one failure. */
#define sys_check(condition, ...) sys_check_at(__FILE__, __func__, (condition), __VA_ARGS__)
void sys_check_at(const char *file, const char *function, int condition, const char *format,
                  ...) __attribute__((format(printf, 4, 5)));

/* Writes a line to the kernel console, as a process printing to the serial console
 * does: hang and leak reports show the console's last lines (a repeated line is
 * counted, not repeated), and the trace shows every line. Lines are cut at 127
 * bytes. Not a scheduling point. */
void sys_console(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Writes a line to the trace output (not hashed): a console message. */
void sys_log(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "-EAGAIN" for an error code a sys_* call returns, NULL for anything else. Not a
 * scheduling point. */
const char *sys_error_name(int error);

#endif
