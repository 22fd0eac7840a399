/* sys — the API that scenario code calls.
 *
 * Every sys_* call is a scheduling point: the calling task goes back to the ready
 * queue, the scheduler picks who runs next, and the call's effect happens when this
 * task is picked again — atomically, at that step. A call that must wait parks the
 * task on the object's wait queue and completes when woken. Every call is traced.
 *
 * Handles (mutexes, semaphores) are small integers valid for one run. A bad handle
 * is -EBADF, never undefined behaviour. Scenario code must not keep C resources
 * (malloc, files) across sys_* calls: a run can end while a task is parked. */
#ifndef DETSIM_SYS_H
#define DETSIM_SYS_H

#include <stdint.h>

#include "scenario.h"

#define SYS_NS_PER_US 1000ULL
#define SYS_NS_PER_MS 1000000ULL
#define SYS_NS_PER_S 1000000000ULL

/* Spawns a task running fn(arg) as a child of the caller. Returns its pid, or
 * -ENOMEM. name is copied (31 bytes kept). */
int sys_spawn(const char *name, void (*fn)(void *), void *arg);

/* Ends the calling task with status. Joiners are woken. */
void sys_exit(int status) __attribute__((noreturn));

/* Waits until task pid exits and returns its status. -ESRCH for no such task,
 * -EDEADLK for the caller itself. */
int sys_join(uint32_t pid);

/* A scheduling point and nothing else. */
void sys_yield(void);

/* Blocks the caller for ns of virtual time. */
void sys_sleep(uint64_t ns);

/* The virtual time in ns. */
uint64_t sys_now(void);

/* The caller's pid. Not a scheduling point. */
uint32_t sys_getpid(void);

/* A mutex with owner tracking (so hang reports can say who holds it). Unlock hands
 * it to the longest waiter. create returns a handle or -ENOMEM. */
int sys_mutex_create(const char *name);
int sys_mutex_lock(uint32_t mutex);
/* As lock, but gives up after timeout_ns with -ETIMEDOUT. */
int sys_mutex_lock_timeout(uint32_t mutex, uint64_t timeout_ns);
/* -EPERM when the caller does not hold it. */
int sys_mutex_unlock(uint32_t mutex);

/* A counting semaphore. post hands a unit to the longest waiter, if any. */
int sys_sem_create(const char *name, uint64_t initial);
int sys_sem_wait(uint32_t sem);
int sys_sem_wait_timeout(uint32_t sem, uint64_t timeout_ns);
int sys_sem_post(uint32_t sem);

/* The value of config key (a core key or one of the scenario's params). */
uint64_t sys_param(const char *key);

/* A value in [0, range) drawn from the choice stream, recorded and replayed. */
uint64_t sys_choose(uint64_t range);

/* Fails the run with outcome assert and message when condition is false. */
void sys_check(int condition, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Writes a line to the trace output (not hashed): a console message. */
void sys_log(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
