/* sys — the scenario API over the scheduler; see sys.h. */
#include "sys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "sched_int.h"
#include "sys_int.h"
#include "linux/linux_sys.h"
#include "util/errno_name.h"

enum object_kind { OBJECT_MUTEX, OBJECT_SEMAPHORE };

struct sys_object {
    enum object_kind kind;
    struct waitq queue;
    uint32_t owner_pid;         /* mutex: the holder, 0 when free */
    uint64_t owner_since_step;
    uint64_t count;             /* semaphore: units available */
    uint32_t last_post_pid;     /* semaphore: who posted last, 0 never */
    uint64_t last_post_step;
};

static struct sys_object *object_get(uint32_t handle, enum object_kind kind)
{
    struct sys_object *o = sched_object_get(sched_active, handle);
    return o && o->kind == kind ? o : NULL;
}

static uint32_t mutex_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                              const char **relation)
{
    const struct sys_object *o = wq->owner;
    *relation = "is held by";
    if (!o->owner_pid || max == 0)
        return 0;
    pids[0] = o->owner_pid;
    return 1;
}

static void mutex_describe(const struct waitq *wq, struct text *out)
{
    const struct sys_object *o = wq->owner;
    if (o->owner_pid)
        text_printf(out, "taken at step %" PRIu64, o->owner_since_step);
    else
        text_printf(out, "free");
}

static uint32_t semaphore_holders(const struct waitq *wq, uint32_t *pids, uint32_t max,
                                  const char **relation)
{
    (void)wq;
    (void)pids;
    (void)max;
    *relation = "posted by";
    return 0; /* any task may post: nobody in particular is responsible */
}

static void semaphore_describe(const struct waitq *wq, struct text *out)
{
    const struct sys_object *o = wq->owner;
    text_printf(out, "count %" PRIu64 ", ", o->count);
    if (o->last_post_pid)
        text_printf(out, "last posted by pid %" PRIu32 " at step %" PRIu64, o->last_post_pid,
                    o->last_post_step);
    else
        text_printf(out, "never posted");
}

void sys_yield(void)
{
    SYS_ON_LINUX_VOID(linux_sys_yield());
    sched_point_call(TRACE_OP_YIELD, 0, 0);
    sched_emit(TRACE_OP_YIELD, 0, 0, 0, WAITQ_WAKE_NONE);
}

int sys_sleep(uint64_t ns)
{
    SYS_ON_LINUX(linux_sys_sleep(ns));
    sched_point_call(TRACE_OP_SLEEP, ns, 0);
    enum waitq_wake wake = WAITQ_WAKE_NONE;
    if (ns > 0)
        wake = sched_block(NULL, TRACE_OP_SLEEP, (int64_t)ns, ns);
    int result = wake == WAITQ_WAKE_SIGNAL ? -EINTR : 0;
    sched_emit(TRACE_OP_SLEEP, 0, (int64_t)ns, result, wake);
    return result;
}

uint64_t sys_now(void)
{
    SYS_ON_LINUX(linux_sys_now());
    sched_point_call(TRACE_OP_NOW, 0, 0);
    uint64_t now = sched_active->vtime_ns;
    sched_emit(TRACE_OP_NOW, 0, 0, (int64_t)now, WAITQ_WAKE_NONE);
    return now;
}

uint32_t sys_getpid(void)
{
    SYS_ON_LINUX(linux_sys_getpid());
    return sched_active->current->pid;
}

static int object_create(enum object_kind kind, const char *name, uint64_t initial)
{
    sched_point_call(kind == OBJECT_MUTEX ? TRACE_OP_MUTEX_CREATE : TRACE_OP_SEM_CREATE, 0, 0);
    struct sched *s = sched_active;
    struct sys_object *o = calloc(1, sizeof *o);
    uint32_t handle = o ? sched_object_add(s, o) : 0;
    enum trace_op op = kind == OBJECT_MUTEX ? TRACE_OP_MUTEX_CREATE : TRACE_OP_SEM_CREATE;
    if (!handle) {
        free(o);
        s->out_of_memory = 1; /* the harness's memory: the run ends without an outcome */
        sched_emit(op, 0, 0, -ENOMEM, WAITQ_WAKE_NONE);
        return -ENOMEM;
    }
    o->kind = kind;
    o->count = initial;
    world_waitq_init(sys_model_begin(), &o->queue, kind == OBJECT_MUTEX ? "mutex" : "semaphore",
                     name);
    sys_model_end();
    o->queue.owner = o;
    o->queue.holders = kind == OBJECT_MUTEX ? mutex_holders : semaphore_holders;
    o->queue.describe = kind == OBJECT_MUTEX ? mutex_describe : semaphore_describe;
    sched_emit(op, o->queue.id, (int64_t)initial, handle, WAITQ_WAKE_NONE);
    return (int)handle;
}

int sys_mutex_create(const char *name)
{
    SYS_ON_LINUX(linux_sys_mutex_create(name));
    return object_create(OBJECT_MUTEX, name, 0);
}

int sys_mutex_lock_timeout(uint32_t mutex, uint64_t timeout_ns)
{
    SYS_ON_LINUX(linux_sys_mutex_lock_timeout(mutex, timeout_ns));
    sched_point_call(TRACE_OP_MUTEX_LOCK, mutex, timeout_ns);
    struct sched *s = sched_active;
    struct sys_object *o = object_get(mutex, OBJECT_MUTEX);
    uint32_t self = s->current->pid;
    uint64_t deadline = timeout_ns ? s->vtime_ns + timeout_ns : 0;
    int result = 0;
    enum waitq_wake wake = WAITQ_WAKE_NONE;
    if (!o)
        result = -EBADF;
    else if (o->owner_pid == self)
        result = -EDEADLK;
    else {
        /* Unlock wakes a waiter without handing the mutex over, so a waiter that is
         * killed before it runs cannot take the mutex with it. */
        while (o->owner_pid != 0) {
            if (deadline && deadline <= s->vtime_ns) {
                result = -ETIMEDOUT;
                break;
            }
            /* A signal's handler runs and the wait goes on: pthread_mutex_lock never
             * fails with EINTR. */
            wake = sched_block(&o->queue, TRACE_OP_MUTEX_LOCK, mutex,
                               deadline ? deadline - s->vtime_ns : 0);
            if (wake == WAITQ_WAKE_TIMEOUT) {
                result = -ETIMEDOUT;
                break;
            }
            if (wake == WAITQ_WAKE_SIGNAL) {
                proc_signals_note_restart(sys_model_begin(), self);
                sys_model_end();
            }
        }
        if (result == 0) {
            o->owner_pid = self;
            o->owner_since_step = s->step;
            s->current->mutexes_held++;
        }
    }
    sched_emit(TRACE_OP_MUTEX_LOCK, o ? o->queue.id : 0, mutex, result, wake);
    return result;
}

int sys_mutex_lock(uint32_t mutex)
{
    return sys_mutex_lock_timeout(mutex, 0);
}

int sys_mutex_unlock(uint32_t mutex)
{
    SYS_ON_LINUX(linux_sys_mutex_unlock(mutex));
    sched_point_call(TRACE_OP_MUTEX_UNLOCK, mutex, 0);
    struct sched *s = sched_active;
    struct sys_object *o = object_get(mutex, OBJECT_MUTEX);
    int result = 0;
    if (!o)
        result = -EBADF;
    else if (o->owner_pid != s->current->pid)
        result = -EPERM;
    sched_emit(TRACE_OP_MUTEX_UNLOCK, o ? o->queue.id : 0, mutex, result, WAITQ_WAKE_NONE);
    if (result == 0) {
        o->owner_pid = 0;
        s->current->mutexes_held--;
        waitq_wake_one(&o->queue, WAITQ_WAKE_RELEASE);
    }
    return result;
}

int sys_sem_create(const char *name, uint64_t initial)
{
    SYS_ON_LINUX(linux_sys_sem_create(name, initial));
    return object_create(OBJECT_SEMAPHORE, name, initial);
}

int sys_sem_wait_timeout(uint32_t sem, uint64_t timeout_ns)
{
    SYS_ON_LINUX(linux_sys_sem_wait_timeout(sem, timeout_ns));
    sched_point_call(TRACE_OP_SEM_WAIT, sem, timeout_ns);
    struct sched *s = sched_active;
    struct sys_object *o = object_get(sem, OBJECT_SEMAPHORE);
    uint64_t deadline = timeout_ns ? s->vtime_ns + timeout_ns : 0;
    int result = 0;
    enum waitq_wake wake = WAITQ_WAKE_NONE;
    if (!o)
        result = -EBADF;
    else {
        /* post wakes a waiter and leaves the unit in the count: the woken task takes
         * it when it runs, so no unit dies with a task killed in between. */
        while (o->count == 0) {
            if (deadline && deadline <= s->vtime_ns) {
                result = -ETIMEDOUT;
                break;
            }
            wake = sched_block(&o->queue, TRACE_OP_SEM_WAIT, sem,
                               deadline ? deadline - s->vtime_ns : 0);
            if (wake == WAITQ_WAKE_TIMEOUT || wake == WAITQ_WAKE_SIGNAL) {
                result = wake == WAITQ_WAKE_TIMEOUT ? -ETIMEDOUT : -EINTR;
                break;
            }
        }
        if (result == 0)
            o->count--;
    }
    sched_emit(TRACE_OP_SEM_WAIT, o ? o->queue.id : 0, sem, result, wake);
    return result;
}

int sys_sem_wait(uint32_t sem)
{
    return sys_sem_wait_timeout(sem, 0);
}

int sys_sem_post(uint32_t sem)
{
    SYS_ON_LINUX(linux_sys_sem_post(sem));
    sched_point_call(TRACE_OP_SEM_POST, sem, 0);
    struct sched *s = sched_active;
    struct sys_object *o = object_get(sem, OBJECT_SEMAPHORE);
    if (!o) {
        sched_emit(TRACE_OP_SEM_POST, 0, sem, -EBADF, WAITQ_WAKE_NONE);
        return -EBADF;
    }
    o->last_post_pid = s->current->pid;
    o->last_post_step = s->step;
    sched_emit(TRACE_OP_SEM_POST, o->queue.id, sem, 0, WAITQ_WAKE_NONE);
    o->count++;
    waitq_wake_one(&o->queue, WAITQ_WAKE_RELEASE);
    return 0;
}

uint64_t sys_param(const char *key)
{
    SYS_ON_LINUX(linux_sys_param(key));
    return config_get(sched_active->options.config, key);
}

uint64_t sys_choose(uint64_t range)
{
    SYS_ON_LINUX(linux_sys_choose(range));
    if (range == 0)
        return 0; /* nothing to choose from: no draw, as for a range of 1 */
    return choice_draw(sched_active->choices, CHOICE_KNOB, range);
}

void sys_check_at(const char *file, const char *function, int condition, const char *format,
                  ...)
{
    if (condition)
        return;
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (sys_on_linux)
        linux_sys_check_failed(message);
    struct sched *s = sched_active;
    char full[640];
    snprintf(full, sizeof full, "CHECK FAILED in pid %" PRIu32 " \"%s\" at step %" PRIu64 ": %s",
             s->current->pid, s->current->name, s->step, message);
    sched_emit(TRACE_OP_CHECK_FAILED, 0, 0, 0, WAITQ_WAKE_NONE);
    trace_note(s->trace, s->step, s->vtime_ns, s->current->pid, full);
    char key[640];
    snprintf(key, sizeof key, "a check in %s %s(): \"%s\"", file, function, format);
    sched_stop_keyed(SCHED_OUTCOME_ASSERT, full, key);
}

void sys_console(const char *format, ...)
{
    char message[128]; /* a console line's size */
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    SYS_ON_LINUX_VOID(linux_sys_console(message));
    world_console(sys_model_begin(), message);
    sys_model_end();
}

const char *sys_error_name(int error)
{
    return errno_name(error);
}

void sys_log(const char *format, ...)
{
    struct sched *s = sched_active;
    if (sys_on_linux || !s->trace->out) /* a trace line: a real run has no trace */
        return;
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    trace_note(s->trace, s->step, s->vtime_ns, s->current->pid, message);
}

/* ---- shared memory ------------------------------------------------------------------
 * In the simulator every task shares the address space, so this is plain zeroed
 * memory that lives until the run's end (sys_shared_release); no scheduling point,
 * no trace event: a scenario that moves its globals here runs exactly as before. */

struct shared_block {
    struct shared_block *next;
    const struct sched *owner;
    union {
        max_align_t align;
        unsigned char bytes[1];
    } data;
};

static struct shared_block *shared_blocks;

void *sys_shared_alloc(uint64_t bytes)
{
    SYS_ON_LINUX(linux_sys_shared_alloc(bytes));
    if (bytes == 0 || bytes > SIZE_MAX - sizeof(struct shared_block))
        return NULL;
    struct shared_block *b = calloc(1, sizeof *b + (size_t)bytes);
    if (!b)
        return NULL;
    b->owner = sched_active;
    b->next = shared_blocks;
    shared_blocks = b;
    return b->data.bytes;
}

void sys_shared_release(const struct sched *s)
{
    for (struct shared_block **link = &shared_blocks; *link;) {
        struct shared_block *b = *link;
        if (b->owner == s) {
            *link = b->next;
            free(b);
        } else {
            link = &b->next;
        }
    }
}

int sys_on_linux;
