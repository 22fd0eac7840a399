/* sys_int — shared by the sys_* files: calling into the models. */
#ifndef DETSIM_SYS_INT_H
#define DETSIM_SYS_INT_H

#include "model/world.h"
#include "sched_int.h"

/* The world of the running scheduler. */
static inline struct world *sys_world(void)
{
    return sched_active->world;
}

/* Brackets every model call: tells the world the step and the caller, then carries
 * out the wake-ups the call queued and copies new console lines to the trace. */
void sys_model_begin(void);
void sys_model_end(void);

/* Parks the caller on the queue a model call named (w->block_on) until woken or
 * until deadline_ns (0: none). Returns the wake reason. */
enum trace_wake sys_model_block(enum trace_op op, int64_t arg, uint64_t deadline_ns);

/* The hooks run.c installs. */
void sys_on_resume(uint32_t pid);
void sys_on_exit(uint32_t pid, int status);
int sys_interrupted(uint32_t pid);
int sys_after_step(struct sched *s);
void sys_describe_world(struct text *out);

/* Starts init (pid 1) and the scenario's root process (pid 2). Returns 0 or -ENOMEM. */
int sys_boot(struct sched *s, void (*root)(void *), const char *root_name);

#endif
