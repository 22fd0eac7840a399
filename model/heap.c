/* heap — the kernel heap model; see heap.h. */
#include "heap.h"

#include "faults/failpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "util/assert.h"

/* The record of what pid is charged, made for its first block; NULL when it cannot
 * be allocated. */
static struct heap_owner *owner_of(struct heap *h, uint32_t pid)
{
    struct heap_owner *o = idarray_get(&h->owners, pid);
    return o && o->blocks ? o : idarray_put(&h->owners, pid);
}

uint64_t heap_usage(const struct heap *h, uint32_t pid)
{
    const struct heap_owner *o = idarray_get(&h->owners, pid);
    return o ? o->bytes : 0;
}

const struct heap_block *heap_block(const struct heap *h, uint32_t id)
{
    const struct heap_block *b = idarray_get(&h->blocks, id);
    return id && b && b->live ? b : NULL;
}

static int64_t take(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                    uint64_t step, int freed_at_exit)
{
    h->attempts++;
    if (bytes > h->capacity_bytes - h->used_bytes)
        return -ENOMEM;
    if (h->proc_quota_bytes && owner >= h->reserved_procs &&
        bytes > h->proc_quota_bytes - (heap_usage(h, owner) < h->proc_quota_bytes
                                           ? heap_usage(h, owner)
                                           : h->proc_quota_bytes))
        return -ENOMEM;
    uint32_t id = h->block_count + 1;
    struct heap_block *b = idarray_put(&h->blocks, id);
    struct heap_owner *o = b ? owner_of(h, owner) : NULL;
    if (!o) {
        if (b)
            idarray_release(&h->blocks, id);
        if (!h->blocks.fixed)
            h->failed = 1; /* the harness's own memory, not the model heap */
        return -ENOMEM;    /* else the caller's storage is all there is */
    }
    o->bytes += bytes;
    o->blocks++;
    if (freed_at_exit && o->exit_blocks++ == 0)
        o->first_exit_block = id - 1;
    *b = (struct heap_block){bytes, tag, owner, step, 1, (uint8_t)(freed_at_exit != 0)};
    h->block_count = id;
    h->used_bytes += bytes;
    h->live_blocks++;
    ASSERT(h->used_bytes <= h->capacity_bytes);
    return id;
}

/* The model/heap/alloc failpoint, on both the fallible and the infallible path. The
 * attempt counts as tried; nothing else changes. */
static int injected_failure(struct heap *h)
{
    if (!fault_fail(FAULT_HEAP_ALLOC))
        return 0;
    h->attempts++;
    return 1;
}

/* heap_init's settings, on h's arrays already made. */
static int heap_setup(struct heap *h, const struct heap_options *options)
{
    h->capacity_bytes = options->capacity_bytes;
    h->policy = options->policy;
    h->proc_quota_bytes = options->proc_quota_bytes;
    h->reserved_procs = options->reserved_procs;
    h->reserve_bytes = options->policy == HEAP_OOM_RESERVE ? options->reserve_bytes : 0;
    h->refill_below_bytes = options->capacity_bytes * options->refill_percent / 100;
    if (h->reserve_bytes) {
        int64_t id = take(h, h->reserve_bytes, "reserve", 0, 0, 0);
        if (id < 0)
            return -ENOMEM;
        h->reserve_block = (uint32_t)id;
    }
    return 0;
}

int heap_init(struct heap *h, const struct heap_options *options)
{
    *h = (struct heap){0};
    idarray_init(&h->blocks, sizeof(struct heap_block));
    idarray_init(&h->owners, sizeof(struct heap_owner));
    return heap_setup(h, options);
}

int heap_init_fixed(struct heap *h, const struct heap_options *options,
                    const struct heap_storage *storage)
{
    ASSERT(storage->block_pages_count > 0 && storage->owner_pages_count > 0);
    *h = (struct heap){0};
    idarray_init_fixed(&h->blocks, sizeof(struct heap_block), storage->block_pages,
                       storage->block_pages_count, storage->blocks);
    idarray_init_fixed(&h->owners, sizeof(struct heap_owner), storage->owner_pages,
                       storage->owner_pages_count, storage->owners);
    return heap_setup(h, options);
}

void heap_free_all(struct heap *h)
{
    idarray_free(&h->blocks);
    idarray_free(&h->owners);
    *h = (struct heap){0};
}

int64_t heap_try_alloc(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                       uint64_t step, int freed_at_exit)
{
    int64_t id = injected_failure(h) ? -ENOMEM : take(h, bytes, tag, owner, step, freed_at_exit);
    if (id < 0)
        h->oom_count++;
    return id;
}

int64_t heap_alloc(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                   uint64_t step, int freed_at_exit, enum heap_oom_action *action)
{
    ASSERT(action != NULL);
    *action = HEAP_OOM_ACTION_NONE;
    int64_t id = injected_failure(h) ? -ENOMEM : take(h, bytes, tag, owner, step, freed_at_exit);
    if (id > 0)
        return id;
    h->oom_count++;
    if (h->policy == HEAP_OOM_HALT) {
        *action = HEAP_OOM_ACTION_HALT;
        return -ENOMEM;
    }
    if (h->policy == HEAP_OOM_RESERVE && h->reserve_block) {
        /* One-shot: give the reserve back so the teardown has memory. The
         * allocation itself still fails. */
        heap_free(h, h->reserve_block);
        h->reserve_block = 0;
        h->reserve_releases++;
    }
    *action = owner < h->reserved_procs ? HEAP_OOM_ACTION_HALT : HEAP_OOM_ACTION_KILL;
    return -ENOMEM;
}

static void maybe_refill(struct heap *h)
{
    if (h->policy != HEAP_OOM_RESERVE || h->reserve_block || !h->reserve_bytes ||
        h->used_bytes + h->reserve_bytes > h->refill_below_bytes)
        return;
    int64_t id = take(h, h->reserve_bytes, "reserve", 0, 0, 0);
    if (id > 0)
        h->reserve_block = (uint32_t)id;
}

int heap_free(struct heap *h, uint32_t id)
{
    const struct heap_block *b = heap_block(h, id);
    if (!b)
        return -EINVAL;
    struct heap_owner *o = idarray_get(&h->owners, b->owner_pid);
    ASSERT(h->used_bytes >= b->bytes && h->live_blocks > 0);
    ASSERT(o && o->blocks > 0 && o->bytes >= b->bytes);
    h->used_bytes -= b->bytes;
    o->bytes -= b->bytes;
    if (b->freed_at_exit)
        o->exit_blocks--;
    if (--o->blocks == 0)
        idarray_release(&h->owners, b->owner_pid);
    idarray_release(&h->blocks, id); /* b is gone */
    h->live_blocks--;
    if (id != h->reserve_block)
        maybe_refill(h);
    return 0;
}

uint64_t heap_free_owner(struct heap *h, uint32_t pid)
{
    const struct heap_owner *o = idarray_get(&h->owners, pid);
    if (!o || !o->exit_blocks)
        return 0;
    /* From the owner's first such block on, in id order, until none is left; the
     * owner's record may go with its last block, so the count is kept here. */
    uint64_t freed = 0;
    uint32_t left = o->exit_blocks;
    for (uint64_t id = idarray_next(&h->blocks, (uint64_t)o->first_exit_block + 1);
         left && id <= h->block_count; id = idarray_next(&h->blocks, id + 1)) {
        const struct heap_block *b = heap_block(h, (uint32_t)id);
        if (b && b->owner_pid == pid && b->freed_at_exit) {
            freed += b->bytes;
            left--;
            heap_free(h, (uint32_t)id);
        }
    }
    return freed;
}

/* What the live blocks say each owner is charged, by pid. */
struct owner_sum {
    uint64_t bytes;
    uint32_t blocks;
    uint32_t exit_blocks;
};

/* Sums the live blocks into sums (by pid) and checks each against its owner's first
 * exit block. Returns whether something is broken; -1 when out of memory. */
static int sum_blocks(const struct heap *h, struct idarray *sums, struct text *out)
{
    uint64_t used = 0;
    uint32_t live = 0;
    int broken = 0;
    for (uint64_t id = idarray_next(&h->blocks, 1); id <= h->block_count;
         id = idarray_next(&h->blocks, id + 1)) {
        const struct heap_block *b = heap_block(h, (uint32_t)id);
        if (!b)
            continue;
        used += b->bytes;
        live++;
        struct owner_sum *sum = idarray_get(sums, b->owner_pid);
        if (!sum || !sum->blocks)
            sum = idarray_put(sums, b->owner_pid);
        if (!sum)
            return -1;
        sum->bytes += b->bytes;
        sum->blocks++;
        sum->exit_blocks += b->freed_at_exit;
        const struct heap_owner *o = idarray_get(&h->owners, b->owner_pid);
        if (b->freed_at_exit && o && id - 1 < o->first_exit_block) {
            text_printf(out, "heap: block %" PRIu64 " lies before its owner's first\n", id);
            broken = 1;
        }
    }
    if (used != h->used_bytes || live != h->live_blocks) {
        text_printf(out, "heap: used_bytes %" PRIu64 " but live blocks sum to %" PRIu64
                         " (%" PRIu32 " blocks, %" PRIu32 " counted)\n",
                    h->used_bytes, used, live, h->live_blocks);
        broken = 1;
    }
    return broken;
}

/* Every owner record against the sums of its blocks, and every sum against its
 * record. Returns whether one differs. */
static int compare_owners(const struct heap *h, const struct idarray *sums, struct text *out)
{
    static const struct heap_owner none;
    static const struct owner_sum nothing;
    int broken = 0;
    for (uint64_t pid = 0;; pid++) {
        uint64_t a = idarray_next(&h->owners, pid), b = idarray_next(sums, pid);
        pid = a < b ? a : b;
        if (pid == UINT64_MAX)
            return broken;
        const struct heap_owner *o = idarray_get(&h->owners, pid);
        const struct owner_sum *sum = idarray_get(sums, pid);
        o = o ? o : &none;
        sum = sum ? sum : &nothing;
        if (sum->bytes != o->bytes || sum->blocks != o->blocks ||
            sum->exit_blocks != o->exit_blocks) {
            text_printf(out, "heap: pid %" PRIu64 " is charged %" PRIu64 " bytes in %" PRIu32
                             " blocks (%" PRIu32 " exit blocks) but owns %" PRIu64 " in %" PRIu32
                             " (%" PRIu32 ")\n",
                        pid, o->bytes, o->blocks, o->exit_blocks, sum->bytes, sum->blocks,
                        sum->exit_blocks);
            broken = 1;
        }
    }
}

int heap_check(const struct heap *h, struct text *out)
{
    int broken = 0;
    if (h->used_bytes > h->capacity_bytes) {
        text_printf(out, "heap: used %" PRIu64 " exceeds capacity %" PRIu64 "\n", h->used_bytes,
                    h->capacity_bytes);
        broken = 1;
    }
    struct idarray sums;
    idarray_init(&sums, sizeof(struct owner_sum));
    int summed = sum_blocks(h, &sums, out);
    if (summed < 0) {
        text_printf(out, "heap: no memory to check\n");
        broken = 1;
    } else {
        broken |= summed;
        broken |= compare_owners(h, &sums, out);
    }
    idarray_free(&sums);
    return broken ? -1 : 0;
}

const char *heap_oom_policy_name(enum heap_oom_policy policy)
{
    switch (policy) {
    case HEAP_OOM_HALT: return "halt";
    case HEAP_OOM_KILL_PROCESS: return "kill-process";
    case HEAP_OOM_RESERVE: return "reserve";
    }
    return "?";
}
