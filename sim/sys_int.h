/* sys_int — shared by the sys_* files: the glue between the scheduler and the
 * models (sys_model.c). */
#ifndef DETSIM_SYS_INT_H
#define DETSIM_SYS_INT_H

#include "faults/fault.h"
#include "model/world.h"
#include "sched_int.h"

/* The world of the running scheduler. */
static inline struct world *sys_world(void)
{
    return sched_active->world;
}

/* The bracket around every model call and every change to model state: begin tells
 * the world the step and the caller (and puts in force the slot faults whose step
 * has come) and returns it; end writes the faults the call fired to the trace,
 * carries out the wake-ups it queued, in order, and copies new console lines to the
 * trace. */
struct world *sys_model_begin(void);
void sys_model_end(void);

/* A model call that may answer MODEL_WOULD_BLOCK (naming w->block_on), made for the
 * calling task pid; context carries its arguments. */
typedef int (*sys_model_call_fn)(struct world *w, uint32_t pid, void *context);

/* How a blocking call meets a signal handler that runs while it waits. */
enum sys_restart {
    SYS_CALL_EINTR,      /* always -EINTR (nanosleep, epoll_wait, sem_wait, a timed recv) */
    SYS_CALL_RESTARTABLE /* restarted when every handler that ran has SA_RESTART */
};

/* Makes call inside the bracket; while it answers MODEL_WOULD_BLOCK (or
 * MODEL_WOULD_BLOCK_PARTIAL, which is never restarted), parks the caller on the
 * queue it named (traced as op with arg) and calls again when woken. After a
 * wake the call is made again first, as Linux re-checks its condition: a message
 * that came with a signal is received. Returns the call's result, or -ETIMEDOUT once
 * deadline_ns passes (0: no deadline), or -EINTR when a caught signal's handler ran
 * while it waited (not one that ran before the call: that one was delivered, and
 * the call blocks like any other) and restart does not restart it; *wake gets the
 * last wake reason (WAITQ_WAKE_NONE when it never blocked). */
int sys_blocking_call(enum trace_op op, int64_t arg, uint64_t deadline_ns,
                      enum sys_restart restart, enum waitq_wake *wake, sys_model_call_fn call,
                      void *context);

/* The return to user code: acts on the signals pending for the calling task. A
 * fatal one ends it (this never returns); caught ones are delivered (their handlers
 * run, traced as a signal event). Returns the mask of signals delivered. Cheap when
 * no signal was ever sent in the run. */
uint32_t sys_signals_deliver(void);

/* The virtual time timeout_ns from now, saturating; 0 for a timeout of 0 (none). */
uint64_t sys_deadline_after(uint64_t timeout_ns);

/* The hooks run.c installs. */
void sys_on_resume(uint32_t pid);
void sys_on_exit(uint32_t pid, int status);
/* Delivers the caller's pending signals before it parks; nonzero when a handler ran
 * (the wait is interrupted before it began). */
int sys_interrupted(uint32_t pid);
int sys_after_step(struct sched *s);
void sys_describe_world(struct text *out);

/* Starts init (pid 1) and the scenario's root process (pid 2). Returns 0 or -ENOMEM. */
int sys_boot(struct sched *s, void (*root)(void *), const char *root_name);

#endif
