/* sched_int — the scheduler's structures, shared by sched.c, sys.c and hang.c. */
#ifndef DETSIM_SCHED_INT_H
#define DETSIM_SCHED_INT_H

#include "access.h"
#include "calls.h"
#include "coro.h"
#include "readyq.h"
#include "sched.h"
#include "util/idarray.h"

/* The sys_* call a task is in or about to make (noted at its scheduling point), for
 * access.c to resolve: op 0 before the task's first call. */
struct sched_call {
    enum trace_op op;
    uint64_t a; /* the handle, pid, or bytes the call is about */
    uint64_t b; /* a second argument: bytes sent, the signal */
};

enum task_state {
    TASK_READY,   /* in the ready queue */
    TASK_RUNNING, /* the current task */
    TASK_BLOCKED, /* parked on a wait queue or a timer */
    TASK_EXITED
};

struct task {
    uint32_t pid;
    uint32_t parent_pid;
    char name[32];
    enum task_state state;
    struct coro coro;
    void (*fn)(void *);
    void *arg;
    int exit_status;
    struct readyq_node ready;   /* its place in the ready queue; PCT's priority */
    struct sched_call call;     /* its pending call */
    /* while blocked */
    struct waitq *waiting_on;   /* NULL for a plain sleep */
    enum trace_op blocked_op;   /* the call it is blocked in */
    int64_t blocked_arg;
    uint64_t blocked_since_step;
    uint64_t blocked_since_vtime;
    uint64_t wake_deadline_ns;  /* 0 when no timer */
    uint64_t timer_token;       /* the live timer's sequence number, 0 for none */
    uint32_t wait_previous;     /* neighbours in waiting_on's FIFO, by pid */
    uint32_t wait_next;
    enum waitq_wake wake_reason;
    uint8_t daemon;             /* init: never counted as hung, never keeps a run alive */
    uint8_t detached;           /* a background job: never keeps a run alive */
    uint8_t cycle_color;        /* hang.c's search for a wait-for cycle */
    uint32_t mutexes_held;      /* sys.c's: a holder that dies stays named in reports */
    struct calls calls;         /* what its calls returned, for hang reports */
};

struct timer {
    uint64_t deadline_ns;
    uint64_t sequence; /* ties break by arming order, never by address */
    uint32_t pid;
};

struct sched {
    struct sched_options options;
    struct choice_stream *choices;
    struct trace *trace;
    struct world *world; /* the models the sys layer drives; set by run.c */
    struct coro main_coro; /* the scheduler's own (thread) stack */

    struct idarray tasks; /* struct task by pid, until reaped (sched_reaped) */
    uint32_t task_count;  /* pids handed out: the last one */
    uint32_t live_count;  /* not exited, daemons excepted */
    struct task *current;

    struct readyq ready; /* in arrival order */

    struct timer *timers; /* binary min-heap on (deadline, sequence) */
    uint32_t timer_count;
    uint32_t timer_capacity;
    uint64_t timer_sequence;

    void **objects; /* sys-layer objects (mutexes, semaphores), by handle - 1 */
    uint32_t object_count;
    uint32_t object_capacity;

    uint64_t step;
    uint64_t vtime_ns;
    uint32_t *decision_pids;    /* on_decision's scratch: the ready pids */
    uint32_t decision_capacity;
    uint64_t pct_change_points[SCHED_PCT_DEPTH_MAX - 1]; /* PCT's change points, or the
                                                            delays or preemptions' steps */
    uint32_t pct_change_count;
    uint64_t yield_floor; /* PCT: the priority of the latest task that yielded */
    uint32_t last_pid;    /* delay, preempt: the task that ran last */

    struct sched_access last_access; /* the step that ran last (track_access) */
    uint8_t last_access_valid;

    int stopping; /* a check failed or an internal error: end the run */
    uint8_t model_call_open; /* inside sys_model_begin/end: brackets never nest */
    enum sched_outcome stop_outcome;
    struct text stop_message;
    struct text stop_key; /* what the signature of the stop keys on; "": its message */
    int out_of_memory; /* the harness itself ran out of memory */
    struct sched_hooks hooks;
    char name_buffer[64]; /* for sched_trace_names */
};

/* The run in progress; NULL between runs. */
extern struct sched *sched_active;

/* Scheduling point for the current task: back to the ready queue, run others. */
void sched_point(void);

/* The scheduling point at the start of a sys_* call: notes the call (op and its
 * arguments, what access.c resolves), then sched_point. */
static inline void sched_point_call(enum trace_op op, uint64_t a, uint64_t b)
{
    struct task *t = sched_active->current;
    t->call.op = op;
    t->call.a = a;
    t->call.b = b;
    sched_point();
}

/* Parks the current task on wq (NULL: no queue, just a timer), in call op(arg), with
 * a deadline after timeout_ns (0: none). Returns the wake reason. */
enum waitq_wake sched_block(struct waitq *wq, enum trace_op op, int64_t arg,
                            uint64_t timeout_ns);

/* Sleeps ns of virtual time even with a caught signal pending (a wait the kernel
 * does on the caller's behalf); a signal arriving meanwhile still wakes it. */
void sched_sleep_uninterruptible(uint64_t ns);

/* Emits a trace event for the current task at the current step. */
static inline void sched_emit(enum trace_op op, uint64_t object, int64_t arg, int64_t result,
                              enum waitq_wake wake)
{
    struct sched *s = sched_active;
    struct trace_event e = {s->step, s->vtime_ns, s->current ? s->current->pid : 0,
                            op, wake, object, arg, result};
    trace_emit(s->trace, &e);
    if (s->current)
        calls_note(&s->current->calls, op, result, s->step);
}

/* Ends the current task for good. */
void sched_exit_current(int status) __attribute__((noreturn));

/* Ends task pid (not the current one) at once: it never runs again. Its kernel
 * teardown runs through the on_exit hook. */
void sched_kill(struct sched *s, uint32_t pid, int status);

/* Process pid was reaped: its task's stack goes, and so does its record (sched_task
 * answers NULL for pid from then on), unless it died holding a mutex, which hang
 * reports still name it as holding. Nothing happens for a pid without a task. */
void sched_reaped(struct sched *s, uint32_t pid);

/* Makes task pid a background job: it no longer keeps the run alive (it is still
 * scheduled, signalled and reported like any other task). */
void sched_detach(struct sched *s, uint32_t pid);

/* Wakes task pid with reason signal if it is blocked. */
void sched_interrupt(struct sched *s, uint32_t pid);

/* Ends the run with outcome and message, from inside a task; never returns. */
void sched_stop(enum sched_outcome outcome, const char *message) __attribute__((noreturn));

/* The same, with the text the failure's signature keys on (no numbers in it: a
 * check's location and format); key NULL keys on the message. */
void sched_stop_keyed(enum sched_outcome outcome, const char *message, const char *key)
    __attribute__((noreturn));

/* Task pid, or NULL when it was reaped or never spawned (pid 0 is nobody: its
 * record reads as zeros). */
static inline struct task *sched_task(const struct sched *s, uint32_t pid)
{
    struct task *t = idarray_get(&s->tasks, pid);
    return t && pid && t->pid == pid ? t : NULL;
}

/* The task whose ready-queue node is node. */
static inline struct task *sched_task_of(struct readyq_node *node)
{
    return (struct task *)(void *)((char *)node - offsetof(struct task, ready));
}

/* Registers a sys-layer object; returns its handle (>= 1) or 0 on no memory. */
uint32_t sched_object_add(struct sched *s, void *object);
static inline void *sched_object_get(const struct sched *s, uint32_t handle)
{
    return handle >= 1 && handle <= s->object_count ? s->objects[handle - 1] : NULL;
}

/* Builds the hang report (hang.c) into out, and what its signature keys on (the
 * wait-for graph's shape: task names, calls, object kinds, the cycle) into key. */
void sched_hang_report(struct sched *s, enum sched_outcome outcome, const char *why,
                       struct text *out, struct text *key);

#endif
