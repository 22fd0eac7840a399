/* heap — the kernel heap model; see heap.h. */
#include "heap.h"

#include "faults/failpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "util/assert.h"

static struct heap_owner *owner_of(struct heap *h, uint32_t pid)
{
    if (pid >= h->owner_count) {
        if (h->fixed)
            return NULL;
        uint32_t count = h->owner_count ? h->owner_count : 64;
        while (count <= pid)
            count *= 2;
        struct heap_owner *grown = realloc(h->owners, count * sizeof *grown);
        if (!grown)
            return NULL;
        for (uint32_t i = h->owner_count; i < count; i++)
            grown[i] = (struct heap_owner){0};
        h->owners = grown;
        h->owner_count = count;
    }
    return &h->owners[pid];
}

uint64_t heap_usage(const struct heap *h, uint32_t pid)
{
    return pid < h->owner_count ? h->owners[pid].bytes : 0;
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
    if (h->block_count == h->block_capacity) {
        if (h->fixed)
            return -ENOMEM; /* the caller's storage is all there is */
        uint32_t capacity = h->block_capacity ? h->block_capacity * 2 : 256;
        struct heap_block *grown = realloc(h->blocks, capacity * sizeof *grown);
        if (!grown) {
            h->failed = 1;
            return -ENOMEM;
        }
        h->blocks = grown;
        h->block_capacity = capacity;
    }
    struct heap_owner *o = owner_of(h, owner);
    if (!o) {
        h->failed = 1;
        return -ENOMEM;
    }
    o->bytes += bytes;
    if (freed_at_exit && o->exit_blocks++ == 0)
        o->first_exit_block = h->block_count;
    h->blocks[h->block_count++] =
        (struct heap_block){bytes, tag, owner, step, 1, (uint8_t)(freed_at_exit != 0)};
    h->used_bytes += bytes;
    h->live_blocks++;
    ASSERT(h->used_bytes <= h->capacity_bytes);
    return h->block_count;
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
    return heap_setup(h, options);
}

int heap_init_fixed(struct heap *h, const struct heap_options *options,
                    struct heap_block *blocks, uint32_t block_capacity,
                    struct heap_owner *owners, uint32_t owner_count)
{
    ASSERT(blocks != NULL && block_capacity > 0);
    ASSERT(owners != NULL && owner_count > 0);
    *h = (struct heap){0};
    h->fixed = 1;
    h->blocks = blocks;
    h->block_capacity = block_capacity;
    h->owners = owners;
    h->owner_count = owner_count;
    for (uint32_t i = 0; i < owner_count; i++)
        owners[i] = (struct heap_owner){0};
    return heap_setup(h, options);
}

void heap_free_all(struct heap *h)
{
    if (!h->fixed) {
        free(h->blocks);
        free(h->owners);
    }
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
    if (id == 0 || id > h->block_count || !h->blocks[id - 1].live)
        return -EINVAL;
    struct heap_block *b = &h->blocks[id - 1];
    ASSERT(h->used_bytes >= b->bytes && h->live_blocks > 0);
    ASSERT(b->owner_pid < h->owner_count);
    b->live = 0;
    h->used_bytes -= b->bytes;
    h->owners[b->owner_pid].bytes -= b->bytes;
    if (b->freed_at_exit)
        h->owners[b->owner_pid].exit_blocks--;
    h->live_blocks--;
    if (id != h->reserve_block)
        maybe_refill(h);
    return 0;
}

uint64_t heap_free_owner(struct heap *h, uint32_t pid)
{
    uint64_t freed = 0;
    if (pid >= h->owner_count)
        return 0;
    /* Only from the owner's first such block, and only while it has any left. */
    for (uint32_t i = h->owners[pid].first_exit_block;
         i < h->block_count && h->owners[pid].exit_blocks; i++) {
        struct heap_block *b = &h->blocks[i];
        if (b->live && b->owner_pid == pid && b->freed_at_exit) {
            freed += b->bytes;
            heap_free(h, i + 1);
        }
    }
    return freed;
}

int heap_check(const struct heap *h, struct text *out)
{
    uint64_t used = 0;
    uint32_t live = 0;
    int broken = 0;
    for (uint32_t i = 0; i < h->block_count; i++)
        if (h->blocks[i].live) {
            used += h->blocks[i].bytes;
            live++;
        }
    if (used != h->used_bytes || live != h->live_blocks) {
        text_printf(out, "heap: used_bytes %" PRIu64 " but live blocks sum to %" PRIu64
                         " (%" PRIu32 " blocks, %" PRIu32 " counted)\n",
                    h->used_bytes, used, live, h->live_blocks);
        broken = 1;
    }
    if (h->used_bytes > h->capacity_bytes) {
        text_printf(out, "heap: used %" PRIu64 " exceeds capacity %" PRIu64 "\n", h->used_bytes,
                    h->capacity_bytes);
        broken = 1;
    }
    uint64_t *bytes = calloc(h->owner_count ? h->owner_count : 1, sizeof *bytes);
    uint32_t *exit_blocks = calloc(h->owner_count ? h->owner_count : 1, sizeof *exit_blocks);
    if (!bytes || !exit_blocks) {
        text_printf(out, "heap: no memory to check\n");
        broken = 1;
    } else {
        for (uint32_t i = 0; i < h->block_count; i++) {
            const struct heap_block *b = &h->blocks[i];
            if (!b->live)
                continue;
            if (b->owner_pid >= h->owner_count) {
                text_printf(out, "heap: block %" PRIu32 " has an owner never charged\n", i + 1);
                broken = 1;
                continue;
            }
            bytes[b->owner_pid] += b->bytes;
            exit_blocks[b->owner_pid] += b->freed_at_exit;
            if (b->freed_at_exit && i < h->owners[b->owner_pid].first_exit_block) {
                text_printf(out, "heap: block %" PRIu32 " lies before its owner's first\n", i + 1);
                broken = 1;
            }
        }
        for (uint32_t pid = 0; pid < h->owner_count; pid++)
            if (bytes[pid] != h->owners[pid].bytes ||
                exit_blocks[pid] != h->owners[pid].exit_blocks) {
                text_printf(out, "heap: pid %" PRIu32 " is charged %" PRIu64 " bytes in %" PRIu32
                                 " exit blocks but owns %" PRIu64 " in %" PRIu32 "\n",
                            pid, h->owners[pid].bytes, h->owners[pid].exit_blocks, bytes[pid],
                            exit_blocks[pid]);
                broken = 1;
            }
    }
    free(bytes);
    free(exit_blocks);
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
