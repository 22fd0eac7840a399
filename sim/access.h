/* access — the conflict relation between steps: which model object a task's next
 * step touches, and whether two steps touch the same one.
 *
 * Every sys_* call starts with a scheduling point, where the calling task goes back
 * to the ready queue with its call pending; the call takes effect when the task is
 * picked again, as one step, with the task's own code up to its next call. The sys
 * layer notes each pending call (its op and arguments) in the task; this module
 * resolves it, against the models as they stand, to a struct sched_access: the
 * object it touches as (kind, id), and the shared tables and counters it may
 * touch besides. Two steps of different tasks whose accesses do not conflict
 * commute: run in either order from the same state, they reach the same state
 * (what POS re-prioritises on, and what sleep sets and DPOR prune with).
 *
 * What the relation sees and what it does not:
 * - A pending call is resolved when asked, from the state then: whether a close
 *   drops the last reference, whether a queued message holds a heap block or
 *   handles. Such facts change only through steps that conflict with the call
 *   (same object), so the answer holds until one of those runs.
 * - A task with a signal pending, the end of a task (sys_exit, a SIGKILL, a group
 *   kill), and anything the scenario code does not say (a fatal OOM under
 *   kill-process) are SCHED_OBJECT_WORLD: they conflict with every step.
 * - A step also runs the task's own code up to its next call, and that code may end
 *   the task by returning from its function: a pending access cannot know that.
 *   sched_last_access says it after the fact (WORLD when the step ended its
 *   task); with sched_options.exit_step, a return from a task's function is a
 *   scheduling point of its own (an EXIT pending like sys_exit's), so no pending
 *   access hides an exit.
 * - Not objects: virtual time (sys_now, timeouts and slot faults "from step N" are
 *   the clock's; two steps swapped shift them by one step), fault draws (each hit
 *   draws from the choice stream in order), the console, and memory the scenario
 *   shares outside the models (globals, sys_shared_alloc): a scenario that
 *   communicates through shared memory without a model object between the
 *   accesses is beyond this relation.
 *
 * The API is stable: the explorer (detsim explore) and the POS strategy use it. */
#ifndef DETSIM_ACCESS_H
#define DETSIM_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/trace.h"

/* The kind of the object a step touches. */
enum sched_object_kind {
    SCHED_OBJECT_NONE = 0, /* nothing shared: yield, sleep, the caller's own state */
    SCHED_OBJECT_CHAN,     /* a channel or pipe, both ends: id is its slot + 1 */
    SCHED_OBJECT_PORT,     /* a port: id is its index + 1 (every port access conflicts
                              with every channel and port access: ports watch ends) */
    SCHED_OBJECT_PROC,     /* another process: id its pid (wait, a signal) */
    SCHED_OBJECT_MUTEX,    /* id: the mutex's handle */
    SCHED_OBJECT_SEM,      /* id: the semaphore's handle */
    SCHED_OBJECT_HEAP,     /* the kernel heap (sys_alloc, sys_free): id 0 */
    SCHED_OBJECT_GROUP,    /* the process groups' counter (sys_group_create): id 0 */
    SCHED_OBJECT_WORLD,    /* everything: conflicts with every access */
    SCHED_OBJECT_KIND_COUNT
};

/* Shared tables and counters a step may touch besides its object (bits of
 * sched_access.touches). Two accesses that share a bit conflict. */
enum sched_touch {
    SCHED_TOUCH_HEAP = 1u << 0,       /* allocates or frees kernel heap */
    SCHED_TOUCH_CHAN_TABLE = 1u << 1, /* takes or frees a channel slot */
    SCHED_TOUCH_PROC_TABLE = 1u << 2, /* takes or frees a process slot, hands out a pid */
    SCHED_TOUCH_PORT_TABLE = 1u << 3, /* takes or frees a port */
    SCHED_TOUCH_IDS = 1u << 4,        /* hands out object ids (every create) */
    SCHED_TOUCH_CHANNELS = 1u << 5    /* may change any channel or port (a close that
                                         destroys messages carrying handles): conflicts
                                         with every channel and port access too */
};

struct sched_access {
    uint32_t pid;                 /* the task whose step it is (0: unknown: conflicts
                                     with everything) */
    enum sched_object_kind kind;
    uint64_t id;
    uint32_t touches;             /* enum sched_touch bits */
    enum trace_op op;             /* the pending call (0: the task has not started) */
};

/* Whether steps a and b may not commute: the same task; either is WORLD; one is
 * about the other's task (a signal to it, a wait for it); the same object; a
 * shared table bit; ports against channels and ports; CHANNELS against channels
 * and ports. Symmetric. */
int sched_access_conflict(const struct sched_access *a, const struct sched_access *b);

/* "chan", "port", "proc", "mutex", "sem", "heap", "group", "world", "none". */
const char *sched_object_kind_name(enum sched_object_kind kind);

/* Writes a's short description, "pid 3 chan_send chan 2 +heap", into buf; returns
 * buf. */
const char *sched_access_format(const struct sched_access *a, char *buf, size_t bytes);

struct sched;

/* The access of task pid's next step (ready or blocked: a blocked task retries its
 * call when woken), resolved against the models now. Returns 0, or -ESRCH (no such
 * task, or it has exited). */
int sched_task_access(const struct sched *s, uint32_t pid, struct sched_access *out);

/* The accesses of the ready tasks, in arrival order (the order random's draw
 * indexes), up to max; returns how many tasks are ready. */
uint32_t sched_ready_accesses(const struct sched *s, struct sched_access *out, uint32_t max);

/* The access of the step that ran last, as resolved just before it ran, widened to
 * WORLD when the step ended its task. Returns 0, or -ENOENT before the first step
 * or when the run was made without sched_options.track_access. */
int sched_last_access(const struct sched *s, struct sched_access *out);

#endif
