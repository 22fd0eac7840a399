/* linux_arena — the shared arena of a real run; see linux_int.h. */
#define _GNU_SOURCE
#include "linux_int.h"
#include "util/assert.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct linux_self linux_self;

/* The model's kernel heap over the arena's own storage. Returns 0 or -ENOMEM (the
 * reserve does not fit). */
static int heap_setup(struct linux_arena *a, const struct config *config)
{
    struct heap_options heap = {
        .capacity_bytes = config_get(config, "heap_bytes"),
        .policy = (enum heap_oom_policy)config_get(config, "oom_policy"),
        .proc_quota_bytes = config_get(config, "proc_quota_bytes"),
        .reserved_procs = (uint32_t)config_get(config, "reserved_procs"),
        .reserve_bytes = config_get(config, "reserve_bytes"),
        .refill_percent = (uint32_t)config_get(config, "reserve_refill_percent"),
    };
    struct heap_storage storage = {a->heap_block_pages, LINUX_HEAP_BLOCK_PAGES, a->heap_blocks,
                                   a->heap_owner_pages, LINUX_HEAP_OWNER_PAGES, a->heap_owners};
    return heap_init_fixed(&a->heap, &heap, &storage);
}

struct linux_arena *linux_arena_create(const struct config *config)
{
    struct linux_arena *a = mmap(NULL, sizeof *a, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        return NULL;
    /* A fresh anonymous mapping is zero: every table starts empty. */
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(&a->lock, &attributes);
    pthread_mutexattr_destroy(&attributes);
    if (rc != 0 || heap_setup(a, config) != 0) {
        munmap(a, sizeof *a);
        errno = rc ? rc : ENOMEM;
        return NULL;
    }
    a->time_scale = config_get(config, "time_scale");
    a->max_procs = (uint32_t)config_get(config, "max_procs");
    a->max_handles = (uint32_t)config_get(config, "max_handles");
    a->max_channels = (uint32_t)config_get(config, "max_channels");
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++)
        a->procs[i].status = -1;
    return a;
}

void linux_arena_destroy(struct linux_arena *arena)
{
    if (arena)
        munmap(arena, sizeof *arena);
}

void linux_arena_lock(struct linux_arena *arena)
{
    int rc = pthread_mutex_lock(&arena->lock);
    /* A holder killed mid-section (SIGKILL at any moment is the scenarios' daily
     * bread) left plain stores half done at worst: take the lock on. */
    if (rc == EOWNERDEAD)
        rc = pthread_mutex_consistent(&arena->lock);
    ASSERT(rc == 0);
}

void linux_arena_unlock(struct linux_arena *arena)
{
    int rc = pthread_mutex_unlock(&arena->lock);
    ASSERT(rc == 0);
}

struct linux_record *linux_record_find(struct linux_arena *arena, int32_t pid)
{
    if (pid <= 0)
        return NULL;
    for (uint32_t i = 0; i < LINUX_PROCS_MAX; i++)
        if (arena->procs[i].state != LINUX_RECORD_FREE && arena->procs[i].pid == pid)
            return &arena->procs[i];
    return NULL;
}

int linux_record_take(struct linux_arena *arena, uint32_t max_procs, const char *name,
                      int32_t parent, uint32_t group)
{
    ASSERT(max_procs <= LINUX_PROCS_MAX);
    if (arena->procs_used >= max_procs)
        return -EAGAIN;
    uint32_t slot = 0;
    while (slot < LINUX_PROCS_MAX && arena->procs[slot].state != LINUX_RECORD_FREE)
        slot++;
    ASSERT(slot < LINUX_PROCS_MAX); /* fewer than max_procs are in use */
    struct linux_record *r = &arena->procs[slot];
    *r = (struct linux_record){0};
    r->state = LINUX_RECORD_STARTING;
    r->parent = parent;
    r->group = group;
    r->status = -1;
    r->taken_ns = linux_now_ns();
    snprintf(r->name, sizeof r->name, "%s", name ? name : "proc");
    arena->procs_used++;
    arena->spawns++;
    if (arena->procs_used > arena->procs_peak)
        arena->procs_peak = arena->procs_used;
    return (int)slot;
}

void linux_record_free(struct linux_arena *arena, uint32_t slot)
{
    ASSERT(slot < LINUX_PROCS_MAX);
    ASSERT(arena->procs[slot].state != LINUX_RECORD_FREE && arena->procs_used > 0);
    heap_free_owner(&arena->heap, slot + 1);
    arena->calls_freed += arena->procs[slot].calls;
    arena->procs[slot].state = LINUX_RECORD_FREE;
    arena->procs_used--;
}

static void futex_wake_all(volatile uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

void linux_arena_set_phase(struct linux_arena *arena, enum linux_phase phase)
{
    __atomic_store_n(&arena->phase, (uint32_t)phase, __ATOMIC_SEQ_CST);
    futex_wake_all(&arena->phase);
}

void linux_arena_stop(struct linux_arena *arena, enum sched_outcome outcome,
                      const char *message)
{
    linux_arena_lock(arena);
    int first = arena->phase != LINUX_PHASE_STOPPED;
    if (first) {
        arena->outcome = (uint8_t)outcome;
        snprintf(arena->message, sizeof arena->message, "%s", message);
    }
    linux_arena_unlock(arena);
    if (first)
        linux_arena_set_phase(arena, LINUX_PHASE_STOPPED);
}

void linux_arena_console(struct linux_arena *arena, const char *line)
{
    linux_arena_lock(arena);
    uint32_t last = (arena->console_count + LINUX_CONSOLE_LINES - 1) % LINUX_CONSOLE_LINES;
    if (arena->console_count && strcmp(arena->console[last], line) == 0) {
        arena->console_repeats[last]++;
    } else {
        uint32_t slot = arena->console_count % LINUX_CONSOLE_LINES;
        snprintf(arena->console[slot], sizeof arena->console[slot], "%s", line);
        arena->console_repeats[slot] = 1;
        arena->console_count++;
    }
    linux_arena_unlock(arena);
}

uint64_t linux_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

int linux_status_is_crash(int status)
{
    if (!WIFSIGNALED(status))
        return 0;
    switch (WTERMSIG(status)) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS:
    case SIGTRAP: case SIGXCPU: case SIGXFSZ:
        return 1;
    default:
        return 0;
    }
}
