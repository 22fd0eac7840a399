/* linux_int — the Linux backend's internals: the shared arena every process of a
 * real run maps, and the state each process keeps for itself.
 *
 * A real run is a tree of real processes in a PID namespace of its own (its pid 1,
 * "init", is the namespace's init; the scenario's root is pid 2 "main", as in
 * simulation). The arena is one MAP_SHARED anonymous mapping made by the runner
 * before the first fork, so every process of the run sees it at the same address.
 * It holds what must be shared and what stays a model: the process table (the
 * process cap, names, groups, the call each process is in), the groups, the
 * channel table limit, mutexes and semaphores (process-shared), the kernel heap
 * model, the console, the outcome, and the sys_shared_alloc memory. One robust
 * process-shared mutex guards it.
 *
 * Handles are descriptors: handle h is descriptor h + LINUX_FD_BASE, since 0-2 are
 * the run's stdio (/dev/null, /dev/null, the run's captured stderr). Descriptors
 * are numbered lowest-free as the model's handles are, so a scenario sees the same
 * handle numbers on both backends. The backend keeps no descriptor of its own in a
 * scenario process beyond a call. */
#ifndef DETSIM_LINUX_INT_H
#define DETSIM_LINUX_INT_H

/* Ours first: sim/sched.h's enum has a SCHED_RR that <sched.h> (through
 * <pthread.h>) defines as a macro, so it must be parsed before any system header
 * that brings <sched.h> in. Every file of sim/linux/ includes this header first. */
#include "model/heap.h"
#include "sim/run.h"
#include "sim/trace.h"
#include "util/choice.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#define LINUX_FD_BASE 3          /* handle h is descriptor h + 3 */
#define LINUX_PROCS_MAX 512      /* the hard process cap of a real run */
#define LINUX_GROUPS_MAX 4096    /* groups one run may create */
#define LINUX_CHANNELS_MAX 4096  /* channel-table slots tracked (max_channels at most) */
#define LINUX_OBJECTS_MAX 256    /* mutexes and semaphores */
#define LINUX_CONSOLE_LINES 16
#define LINUX_MESSAGE_BYTES 640
#define LINUX_SHARED_BYTES (4u << 20) /* sys_shared_alloc's memory */
/* The heap's records in the arena (util/idarray.h pages): block ids 0..16383 ever,
 * owners (process slots + 1) 0..767. */
#define LINUX_HEAP_BLOCK_PAGES (16384 / IDARRAY_PAGE_RECORDS)
#define LINUX_HEAP_OWNER_PAGES ((LINUX_PROCS_MAX + IDARRAY_PAGE_RECORDS) / IDARRAY_PAGE_RECORDS)
#define LINUX_NAME_BYTES 32

/* How far the run has got: a futex word the runner waits on. */
enum linux_phase {
    LINUX_PHASE_STARTING, /* init is setting up */
    LINUX_PHASE_RUNNING,  /* main runs */
    LINUX_PHASE_FINISHED, /* every process but init and detached ones has exited */
    LINUX_PHASE_STOPPED   /* a check failed, the system halted, or a process crashed */
};

enum linux_record_state {
    LINUX_RECORD_FREE,
    LINUX_RECORD_STARTING, /* reserved by a spawner; the fork is under way */
    LINUX_RECORD_LIVE,     /* forked: alive, or exited and not yet reaped */
};

/* One process of the run. The slot is taken before the fork and freed when the
 * process is reaped, so slots in use are the model's process-table slots: the live
 * processes and the zombies. */
struct linux_record {
    uint8_t state;          /* enum linux_record_state */
    uint8_t daemon;         /* init */
    uint8_t detached;       /* sys_detach: does not keep the run going */
    volatile uint8_t exited; /* it has exited (a zombie until reaped) */
    int32_t pid;            /* in the run's PID namespace: what the scenario sees */
    int32_t host_pid;       /* what /proc shows the runner */
    int32_t parent;         /* its parent at spawn */
    uint32_t group;         /* its group (0: the root group) */
    int32_t status;         /* its wait status, once known (-1 before) */
    char name[LINUX_NAME_BYTES];
    uint64_t taken_ns;      /* real time its slot was taken */
    volatile uint32_t call_op;         /* the blocking call it is in (enum trace_op), 0 none */
    volatile int64_t call_arg;         /* its handle, pid or object */
    volatile uint64_t call_deadline_ns; /* virtual; 0: no deadline */
    volatile uint64_t call_since_ns;    /* real monotonic time it began */
    volatile uint64_t calls;           /* sys_* calls made: its progress */
};

struct linux_group {
    uint32_t parent; /* the group it nests in (0: the root group) */
    int32_t pgid;    /* its process group, 0 before its first member */
};

/* A channel or pipe: the inodes of its two ends, to find who holds what. */
struct linux_channel {
    uint8_t used;
    uint8_t pipe;
    int32_t creator;
    uint64_t inode[2];
};

enum linux_object_kind { LINUX_OBJECT_MUTEX = 1, LINUX_OBJECT_SEMAPHORE = 2 };

struct linux_object {
    uint8_t kind;
    char name[LINUX_NAME_BYTES];
    pthread_mutex_t mutex; /* process-shared, not robust: a dead owner keeps it */
    sem_t semaphore;       /* process-shared */
    volatile int32_t owner; /* mutex: the holder's pid, 0 when free */
    volatile int32_t last_post; /* semaphore: who posted last */
};

struct linux_arena {
    pthread_mutex_t lock; /* robust, process-shared: guards what follows */
    volatile uint32_t phase;  /* enum linux_phase; a futex word */
    volatile uint32_t go;     /* the runner lets init start (a futex word) */
    uint8_t outcome;          /* enum sched_outcome, once stopped */
    char message[LINUX_MESSAGE_BYTES]; /* why it stopped */
    uint64_t start_ns;        /* CLOCK_MONOTONIC when main started */
    uint64_t time_scale;      /* virtual ns per real ns */
    uint32_t max_procs;       /* the config's, for the runner's reports */
    uint32_t max_handles;
    uint32_t max_channels;
    int32_t init_host_pid;

    uint32_t procs_used;      /* slots in use: live processes and zombies */
    uint32_t procs_peak;
    uint32_t spawns;          /* processes ever started */
    uint64_t calls_freed;     /* sys_* calls of the processes whose slots were freed */
    struct linux_record procs[LINUX_PROCS_MAX];

    uint32_t group_count;     /* groups[1..group_count] are in use */
    struct linux_group groups[LINUX_GROUPS_MAX];

    uint32_t channels_used;
    uint32_t channels_peak;
    struct linux_channel channels[LINUX_CHANNELS_MAX];

    uint32_t object_count;
    struct linux_object objects[LINUX_OBJECTS_MAX];

    char console[LINUX_CONSOLE_LINES][128];
    uint32_t console_repeats[LINUX_CONSOLE_LINES];
    uint32_t console_count;

    struct heap heap; /* the kernel heap model; its owner ids are process slots + 1 */
    struct idarray_page heap_block_pages[LINUX_HEAP_BLOCK_PAGES];
    struct heap_block heap_blocks[LINUX_HEAP_BLOCK_PAGES * IDARRAY_PAGE_RECORDS];
    struct idarray_page heap_owner_pages[LINUX_HEAP_OWNER_PAGES];
    struct heap_owner heap_owners[LINUX_HEAP_OWNER_PAGES * IDARRAY_PAGE_RECORDS];

    uint64_t shared_used;
    _Alignas(64) unsigned char shared[LINUX_SHARED_BYTES];
};

/* What each process of the run keeps for itself (private memory, copied by fork). */
struct linux_self {
    struct linux_arena *arena;
    const struct config *config;
    uint32_t slot;             /* its record */
    uint64_t seed;
    uint64_t perturb_state;    /* the perturbation's own stream */
    uint32_t perturb_permille; /* a yield at this share of calls, a short sleep at 1/8 */
    uint32_t max_handles;
    uint32_t handle_move;      /* handle_transfer=move */
    uint32_t edge_triggered;   /* port_trigger=edge */
    struct choice_stream choices; /* sys_choose */
    uint32_t restart_mask;     /* caught signals installed with SA_RESTART */
};

extern struct linux_self linux_self;

/* ---- the arena (linux_arena.c) ------------------------------------------------ */

/* Maps and initialises an arena for a run under config. Returns it, or NULL with
 * errno set. */
struct linux_arena *linux_arena_create(const struct config *config);
void linux_arena_destroy(struct linux_arena *arena);

/* The arena lock; a holder that died leaves it consistent (it only ever holds it
 * across plain stores). */
void linux_arena_lock(struct linux_arena *arena);
void linux_arena_unlock(struct linux_arena *arena);

/* The record of pid (in the run's namespace), or NULL. Takes no lock. */
struct linux_record *linux_record_find(struct linux_arena *arena, int32_t pid);

/* Takes a free slot for a process named name, child of parent, in group: -EAGAIN
 * when max_procs slots are in use. Called with the lock held. Returns the slot. */
int linux_record_take(struct linux_arena *arena, uint32_t max_procs, const char *name,
                      int32_t parent, uint32_t group);

/* Frees slot (its process was reaped), releasing its heap blocks. With the lock. */
void linux_record_free(struct linux_arena *arena, uint32_t slot);

/* Ends the run with outcome and message, unless it has already stopped; wakes the
 * runner. */
void linux_arena_stop(struct linux_arena *arena, enum sched_outcome outcome,
                      const char *message);

/* Sets the phase and wakes the runner. */
void linux_arena_set_phase(struct linux_arena *arena, enum linux_phase phase);

/* Appends a console line (a repeat of the last one is counted). With no lock held. */
void linux_arena_console(struct linux_arena *arena, const char *line);

/* CLOCK_MONOTONIC in ns. */
uint64_t linux_now_ns(void);

/* Whether a wait status is a crash of the C code (SIGSEGV, SIGABRT, ...), not a
 * signal a scenario sends. */
int linux_status_is_crash(int status);

/* ---- the calls' shared helpers (linux_procs.c) ---------------------------------- */

/* The entry of every sys_* call: counts it and perturbs the schedule. */
void linux_call_begin(void);

/* Marks the caller as blocked in op(arg) until linux_call_end (for the hang
 * report and the deadlock probe); deadline_ns is virtual, 0 for none. */
void linux_call_block(enum trace_op op, int64_t arg, uint64_t deadline_ns);
void linux_call_end(void);

/* The negative errno of the last failed call. */
int linux_errno(void);

/* Whether handle is in the caller's handle range; its descriptor. */
int linux_handle_valid(uint32_t handle);
static inline int linux_fd(uint32_t handle)
{
    return (int)handle + LINUX_FD_BASE;
}

/* A descriptor the kernel just made is a handle only below max_handles: above, it
 * is closed and the call is -EMFILE, as the model's handle table would refuse it. */
int linux_fd_fits(int fd);

/* Records a new channel (or pipe) of the caller's, ends fds[0..1], in the table:
 * returns 0 or -ENFILE when max_channels are in use (the table is collected
 * first: a slot whose ends are gone is freed). */
int linux_channel_add(const int fds[2], int pipe);

/* Real sleep of virtual ns (scaled by time_scale). Returns 0 or -EINTR. */
int linux_sleep_virtual(uint64_t ns);

/* The virtual ns since the run started. */
uint64_t linux_virtual_now(void);

/* Runs the process body: fn(arg), then exit(0). Never returns. */
void linux_process_main(void (*fn)(void *), void *arg) __attribute__((noreturn));

/* The process's own exit: marks the record, frees its heap, _exit. */
void linux_exit(int wait_status) __attribute__((noreturn));

/* Reaps the result of a wait: frees the reaped process's slot and notes a crash.
 * status is the wait status. */
void linux_reaped(int32_t pid, int status);

#endif
