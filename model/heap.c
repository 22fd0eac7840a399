/* heap — the kernel heap model; see heap.h. */
#include "heap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

static int charge(struct heap *h, uint32_t pid, uint64_t bytes)
{
    if (pid >= h->usage_pids) {
        uint32_t count = h->usage_pids ? h->usage_pids : 64;
        while (count <= pid)
            count *= 2;
        uint64_t *grown = realloc(h->usage_by_pid, count * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        for (uint32_t i = h->usage_pids; i < count; i++)
            grown[i] = 0;
        h->usage_by_pid = grown;
        h->usage_pids = count;
    }
    h->usage_by_pid[pid] += bytes;
    return 0;
}

uint64_t heap_usage(const struct heap *h, uint32_t pid)
{
    return pid < h->usage_pids ? h->usage_by_pid[pid] : 0;
}

static int64_t take(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                    uint64_t step, int freed_at_exit)
{
    if (++h->attempts == h->fail_attempt)
        return -ENOMEM; /* an injected failure */
    if (bytes > h->capacity_bytes - h->used_bytes)
        return -ENOMEM;
    if (h->proc_quota_bytes && owner >= h->reserved_procs &&
        bytes > h->proc_quota_bytes - (heap_usage(h, owner) < h->proc_quota_bytes
                                           ? heap_usage(h, owner)
                                           : h->proc_quota_bytes))
        return -ENOMEM;
    if (h->block_count == h->block_capacity) {
        uint32_t capacity = h->block_capacity ? h->block_capacity * 2 : 256;
        struct heap_block *grown = realloc(h->blocks, capacity * sizeof *grown);
        if (!grown) {
            h->failed = 1;
            return -ENOMEM;
        }
        h->blocks = grown;
        h->block_capacity = capacity;
    }
    if (charge(h, owner, bytes) != 0) {
        h->failed = 1;
        return -ENOMEM;
    }
    h->blocks[h->block_count++] =
        (struct heap_block){bytes, tag, owner, step, 1, (uint8_t)(freed_at_exit != 0)};
    h->used_bytes += bytes;
    h->live_blocks++;
    return h->block_count;
}

int heap_init(struct heap *h, const struct heap_options *options)
{
    *h = (struct heap){0};
    h->capacity_bytes = options->capacity_bytes;
    h->policy = options->policy;
    h->proc_quota_bytes = options->proc_quota_bytes;
    h->reserved_procs = options->reserved_procs;
    h->reserve_bytes = options->policy == HEAP_OOM_RESERVE ? options->reserve_bytes : 0;
    h->refill_below_bytes = options->capacity_bytes / 100 * options->refill_percent;
    if (h->reserve_bytes) {
        int64_t id = take(h, h->reserve_bytes, "reserve", 0, 0, 0);
        if (id < 0)
            return -ENOMEM;
        h->reserve_block = (uint32_t)id;
    }
    return 0;
}

void heap_free_all(struct heap *h)
{
    free(h->blocks);
    free(h->usage_by_pid);
    *h = (struct heap){0};
}

int64_t heap_try_alloc(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                       uint64_t step, int freed_at_exit)
{
    int64_t id = take(h, bytes, tag, owner, step, freed_at_exit);
    if (id < 0)
        h->oom_count++;
    return id;
}

int64_t heap_alloc(struct heap *h, uint64_t bytes, const char *tag, uint32_t owner,
                   uint64_t step, int freed_at_exit, enum heap_oom_action *action)
{
    *action = HEAP_OOM_ACTION_NONE;
    int64_t id = take(h, bytes, tag, owner, step, freed_at_exit);
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
    b->live = 0;
    h->used_bytes -= b->bytes;
    h->usage_by_pid[b->owner_pid] -= b->bytes;
    h->live_blocks--;
    if (id != h->reserve_block)
        maybe_refill(h);
    return 0;
}

uint64_t heap_free_owner(struct heap *h, uint32_t pid)
{
    uint64_t freed = 0;
    for (uint32_t i = 0; i < h->block_count; i++) {
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
    for (uint32_t pid = 0; pid < h->usage_pids; pid++) {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < h->block_count; i++)
            if (h->blocks[i].live && h->blocks[i].owner_pid == pid)
                sum += h->blocks[i].bytes;
        if (sum != h->usage_by_pid[pid]) {
            text_printf(out, "heap: pid %" PRIu32 " is charged %" PRIu64 " but owns %" PRIu64
                             " bytes\n",
                        pid, h->usage_by_pid[pid], sum);
            broken = 1;
        }
    }
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
