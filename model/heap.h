/* heap — the kernel heap model (004_...: OOM recovery options).
 *
 * Byte accounting against a capacity. Every block records its size, a tag saying
 * what it is for, its owner process and the step it was made at. Two ways to
 * allocate, as in Rust's kernel code:
 *   heap_try_alloc — fallible, like try_reserve: returns -ENOMEM, nothing changes;
 *   heap_alloc     — infallible, like Box::new: on failure it applies the OOM
 *                    policy and tells the caller what must happen (halt the system or
 *                    kill the current process); the models never switch, so the
 *                    sys layer carries that out.
 * A per-process quota refuses an allocation before the global heap runs out.
 *
 * Block ids count up and are never reused, but a block's record goes when it is
 * freed, and a process's charge record when its last block is: the heap's memory
 * follows its live blocks, not the allocations a run ever made (util/idarray.h). */
#ifndef DETSIM_HEAP_H
#define DETSIM_HEAP_H

#include <stdint.h>

#include "util/idarray.h"
#include "util/text.h"

enum heap_oom_policy {
    HEAP_OOM_HALT,         /* the whole system stops: outcome panic */
    HEAP_OOM_KILL_PROCESS, /* the current process dies with -ENOMEM; a system process halts */
    HEAP_OOM_RESERVE       /* as kill-process, after releasing the emergency reserve */
};

enum heap_oom_action {
    HEAP_OOM_ACTION_NONE,
    HEAP_OOM_ACTION_HALT, /* panic the system */
    HEAP_OOM_ACTION_KILL  /* kill the current process with -ENOMEM */
};

struct heap_block {
    uint64_t bytes;
    const char *tag;       /* "proc", "chan", "msg", "port", "user", "reserve" */
    uint32_t owner_pid;    /* 0: the kernel itself */
    uint64_t step;         /* made at */
    uint8_t live;
    uint8_t freed_at_exit; /* the owner's exit frees it */
};

struct heap_owner {
    uint64_t bytes;            /* charged to it, for quotas */
    uint32_t blocks;           /* live blocks charged to it; its record lives while > 0 */
    uint32_t exit_blocks;      /* live blocks its exit frees */
    uint32_t first_exit_block; /* no such block has a lower id - 1 */
};

struct heap {
    uint64_t capacity_bytes;
    uint64_t used_bytes;
    struct idarray blocks;     /* struct heap_block by id, while live */
    uint32_t block_count;      /* ids handed out: the last one */
    uint32_t live_blocks;
    struct idarray owners;     /* struct heap_owner by pid, while it is charged a block */
    enum heap_oom_policy policy;
    uint64_t proc_quota_bytes; /* 0: none */
    uint32_t reserved_procs;   /* pids below this are system processes */
    uint64_t reserve_bytes;
    uint32_t reserve_block;    /* the live reserve block, 0 when released */
    uint64_t refill_below_bytes; /* refill the reserve when usage falls below this */
    uint64_t oom_count;        /* allocations that failed, fallible or not */
    uint64_t reserve_releases;
    uint64_t attempts;     /* allocations tried, fallible or not */
    int failed;                /* the harness could not grow its own arrays */
};

struct heap_options {
    uint64_t capacity_bytes;
    enum heap_oom_policy policy;
    uint64_t proc_quota_bytes;
    uint32_t reserved_procs;
    uint64_t reserve_bytes;
    uint32_t refill_percent; /* refill once used + reserve <= capacity * refill_percent / 100 */
};

/* Sets h up; with the reserve policy the reserve is taken at once. Returns 0, or
 * -ENOMEM when the reserve does not fit (h is then unusable, free it). */
int heap_init(struct heap *h, const struct heap_options *options);

/* Storage a caller owns for a heap's records (util/idarray.h, idarray_init_fixed):
 * blocks holds block_pages_count pages of IDARRAY_PAGE_RECORDS blocks, owners
 * owner_pages_count pages of owners, all zeroed. */
struct heap_storage {
    struct idarray_page *block_pages;
    uint64_t block_pages_count;
    struct heap_block *blocks;
    struct idarray_page *owner_pages;
    uint64_t owner_pages_count;
    struct heap_owner *owners;
};

/* As heap_init, over storage the caller owns (the Linux backend's shared arena):
 * block ids and owner pids past what it holds make an allocation -ENOMEM (a model
 * out of memory, not the harness's). Nothing is ever grown, moved or freed. */
int heap_init_fixed(struct heap *h, const struct heap_options *options,
                    const struct heap_storage *storage);

void heap_free_all(struct heap *h);

/* Fallible allocation. Returns a block id (> 0), or -ENOMEM when the heap or the
 * owner's quota would be exceeded; on failure nothing changes but oom_count. */
int64_t heap_try_alloc(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                       uint64_t step, int freed_at_exit);

/* Infallible allocation. Returns a block id (> 0), or -ENOMEM with *action set to
 * what the OOM policy demands. Under the reserve policy the reserve has been
 * released (once; it refills later) so the teardown has memory; the allocation
 * itself still fails. */
int64_t heap_alloc(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                   uint64_t step, int freed_at_exit, enum heap_oom_action *action);

/* Block id while it is live, or NULL. */
const struct heap_block *heap_block(const struct heap *h, uint32_t id);

/* Frees block id. Returns 0, or -EINVAL for an id that is not live. */
int heap_free(struct heap *h, uint32_t id);

/* Frees every freed_at_exit block owned by pid; returns the bytes freed. */
uint64_t heap_free_owner(struct heap *h, uint32_t pid);

/* Bytes charged to pid. */
uint64_t heap_usage(const struct heap *h, uint32_t pid);

/* Verifies used_bytes and per-pid usage against the live blocks. Returns 0, or -1
 * with the broken invariant appended to out. */
int heap_check(const struct heap *h, struct text *out);

const char *heap_oom_policy_name(enum heap_oom_policy policy);

#endif
