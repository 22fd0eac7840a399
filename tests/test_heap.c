/* The kernel heap model (model/heap.c): allocation, OOM policies, quotas, frees, checks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "model/world.h"
#include "sim/run.h"

#define USER_PID 5   /* at or above reserved_procs: a user process */
#define SYSTEM_PID 1 /* below reserved_procs: a system process */

static struct heap heap;
static struct text out;

static void free_heap(void)
{
    heap_free_all(&heap);
    text_free(&out);
}

TestSuite(heap, .fini = free_heap);

/* A 10000-byte heap under policy; reserve 1000 bytes, refilled below 50% (5000). */
static void make_heap(enum heap_oom_policy policy, uint64_t quota)
{
    struct heap_options options = {
        .capacity_bytes = 10000,
        .policy = policy,
        .proc_quota_bytes = quota,
        .reserved_procs = 2,
        .reserve_bytes = 1000,
        .refill_percent = 50,
    };
    cr_assert_eq(heap_init(&heap, &options), 0, "heap_init");
}

static void assert_heap_consistent(void)
{
    cr_assert_eq(heap_check(&heap, &out), 0, "heap_check: %s", text_str(&out));
}

static int64_t take(uint64_t bytes, uint32_t owner)
{
    int64_t id = heap_try_alloc(&heap, bytes, "user", owner, 0, 0);
    cr_assert_gt(id, 0, "allocating %llu bytes for pid %u: %lld", (unsigned long long)bytes,
                 owner, (long long)id);
    return id;
}

/* ---- fallible allocation ------------------------------------------------------------ */

Test(heap, try_alloc_records_the_block_and_charges_its_owner)
{
    make_heap(HEAP_OOM_HALT, 0);
    int64_t id = heap_try_alloc(&heap, 300, "msg", USER_PID, 17, 1);
    cr_assert_eq(id, 1, "the first block id is 1");
    const struct heap_block *b = heap_block(&heap, (uint32_t)id);
    cr_assert_not_null(b, "block %lld is live", (long long)id);
    cr_assert_eq(b->bytes, 300);
    cr_assert_str_eq(b->tag, "msg");
    cr_assert_eq(b->owner_pid, USER_PID);
    cr_assert_eq(b->step, 17);
    cr_assert(b->live && b->freed_at_exit, "live and freed at exit");
    cr_assert_eq(heap.used_bytes, 300);
    cr_assert_eq(heap.live_blocks, 1);
    cr_assert_eq(heap_usage(&heap, USER_PID), 300);
    cr_assert_eq(heap_usage(&heap, USER_PID + 1), 0);
    cr_assert_eq(heap_try_alloc(&heap, 10, "msg", USER_PID, 18, 0), 2, "ids count up");
    assert_heap_consistent();
}

Test(heap, try_alloc_enomem_changes_nothing_but_oom_count)
{
    make_heap(HEAP_OOM_HALT, 0);
    take(9000, USER_PID);
    struct heap before = heap;
    cr_assert_eq(heap_try_alloc(&heap, 1001, "user", USER_PID, 0, 0), -ENOMEM,
                 "1001 bytes do not fit in the 1000 left");
    cr_assert_eq(heap.used_bytes, before.used_bytes, "used_bytes unchanged");
    cr_assert_eq(heap.block_count, before.block_count, "no block recorded");
    cr_assert_eq(heap.live_blocks, before.live_blocks);
    cr_assert_eq(heap_usage(&heap, USER_PID), 9000, "nothing charged");
    cr_assert_eq(heap.oom_count, 1, "the failure is counted");
    cr_assert_gt(heap_try_alloc(&heap, 1000, "user", USER_PID, 0, 0), 0,
                 "exactly the remaining 1000 bytes fit");
    cr_assert_eq(heap.used_bytes, 10000);
    assert_heap_consistent();
}

Test(heap, quota_refuses_before_the_global_heap_is_full)
{
    make_heap(HEAP_OOM_KILL_PROCESS, 1000);
    take(800, USER_PID);
    cr_assert_eq(heap_try_alloc(&heap, 300, "user", USER_PID, 0, 0), -ENOMEM,
                 "800 + 300 exceeds the 1000-byte quota");
    cr_assert_eq(heap.used_bytes, 800, "the global heap had room: 9200 bytes free");
    cr_assert_eq(heap.oom_count, 1);
    take(200, USER_PID); /* exactly up to the quota */
    take(300, USER_PID + 1); /* another process has its own quota */
    take(5000, SYSTEM_PID);  /* system processes have none */

    enum heap_oom_action action;
    cr_assert_eq(heap_alloc(&heap, 1, "user", USER_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_KILL, "an infallible allocation over quota kills");
    assert_heap_consistent();
}

/* ---- infallible allocation: the OOM policies --------------------------------------- */

Test(heap, alloc_success_demands_no_action)
{
    make_heap(HEAP_OOM_HALT, 0);
    enum heap_oom_action action = HEAP_OOM_ACTION_KILL;
    cr_assert_gt(heap_alloc(&heap, 500, "user", USER_PID, 0, 0, &action), 0);
    cr_assert_eq(action, HEAP_OOM_ACTION_NONE);
    cr_assert_eq(heap.oom_count, 0);
}

Test(heap, halt_policy_halts_even_for_a_user_process)
{
    make_heap(HEAP_OOM_HALT, 0);
    cr_assert_eq(heap.used_bytes, 0, "no reserve outside the reserve policy");
    take(10000, USER_PID);
    enum heap_oom_action action;
    cr_assert_eq(heap_alloc(&heap, 1, "user", USER_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_HALT);
    cr_assert_eq(heap.oom_count, 1);
    cr_assert_eq(heap.used_bytes, 10000);
}

Test(heap, kill_policy_kills_a_user_process_and_halts_for_a_system_one)
{
    make_heap(HEAP_OOM_KILL_PROCESS, 0);
    take(10000, USER_PID);
    enum heap_oom_action action;
    cr_assert_eq(heap_alloc(&heap, 1, "user", USER_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_KILL, "pid %d >= reserved_procs 2", USER_PID);
    cr_assert_eq(heap_alloc(&heap, 1, "user", SYSTEM_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_HALT, "pid %d < reserved_procs 2", SYSTEM_PID);
    cr_assert_eq(heap_alloc(&heap, 1, "proc", 0, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_HALT, "the kernel itself (pid 0)");
    cr_assert_eq(heap.oom_count, 3);
    cr_assert_eq(heap.reserve_releases, 0);
}

Test(heap, reserve_is_taken_at_init_and_must_fit)
{
    make_heap(HEAP_OOM_RESERVE, 0);
    cr_assert_neq(heap.reserve_block, 0, "the reserve is a live block");
    cr_assert_eq(heap.used_bytes, 1000);
    cr_assert_str_eq(heap_block(&heap, heap.reserve_block)->tag, "reserve");
    heap_free_all(&heap);

    struct heap_options too_big = {.capacity_bytes = 1000, .policy = HEAP_OOM_RESERVE,
                                   .reserve_bytes = 1001};
    cr_assert_eq(heap_init(&heap, &too_big), -ENOMEM, "a reserve larger than the heap");
}

Test(heap, reserve_policy_releases_the_reserve_once)
{
    make_heap(HEAP_OOM_RESERVE, 0);
    take(6000, USER_PID);
    take(2000, USER_PID);
    cr_assert_eq(heap.used_bytes, 9000, "6000 + 2000 + the 1000-byte reserve");

    enum heap_oom_action action;
    cr_assert_eq(heap_alloc(&heap, 2000, "user", USER_PID, 0, 0, &action), -ENOMEM,
                 "the allocation itself still fails");
    cr_assert_eq(action, HEAP_OOM_ACTION_KILL);
    cr_assert_eq(heap.reserve_releases, 1);
    cr_assert_eq(heap.reserve_block, 0, "the reserve is gone");
    cr_assert_eq(heap.used_bytes, 8000, "used_bytes dropped by reserve_bytes");
    cr_assert_eq(heap.oom_count, 1);

    /* One-shot: a second failure has nothing left to release. */
    cr_assert_eq(heap_alloc(&heap, 3000, "user", USER_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_KILL);
    cr_assert_eq(heap.reserve_releases, 1, "released only once");
    cr_assert_eq(heap.used_bytes, 8000);
    cr_assert_eq(heap.oom_count, 2);

    cr_assert_eq(heap_alloc(&heap, 9000, "proc", SYSTEM_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(action, HEAP_OOM_ACTION_HALT, "a system process still halts");
    assert_heap_consistent();
}

Test(heap, reserve_refills_only_below_the_watermark)
{
    make_heap(HEAP_OOM_RESERVE, 0);
    int64_t big = take(6000, USER_PID);
    int64_t small = take(2000, USER_PID);
    enum heap_oom_action action;
    cr_assert_eq(heap_alloc(&heap, 2000, "user", USER_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(heap.reserve_block, 0);

    cr_assert_eq(heap_free(&heap, (uint32_t)small), 0);
    cr_assert_eq(heap.used_bytes, 6000);
    cr_assert_eq(heap.reserve_block, 0, "6000 used is above the 5000 watermark: no refill");

    cr_assert_eq(heap_free(&heap, (uint32_t)big), 0);
    cr_assert_neq(heap.reserve_block, 0, "usage fell below the watermark: refilled");
    cr_assert_eq(heap.used_bytes, 1000, "only the refilled reserve is in use");
    cr_assert_str_eq(heap_block(&heap, heap.reserve_block)->tag, "reserve");

    /* Refilled, the reserve can be released again. */
    take(9000, USER_PID);
    cr_assert_eq(heap_alloc(&heap, 1, "user", USER_PID, 0, 0, &action), -ENOMEM);
    cr_assert_eq(heap.reserve_releases, 2);
    cr_assert_eq(heap.used_bytes, 9000);
    assert_heap_consistent();
}

/* ---- frees --------------------------------------------------------------------------- */

Test(heap, free_refuses_bad_ids_and_double_frees)
{
    make_heap(HEAP_OOM_HALT, 0);
    int64_t id = take(100, USER_PID);
    cr_assert_eq(heap_free(&heap, 0), -EINVAL, "id 0 is never a block");
    cr_assert_eq(heap_free(&heap, (uint32_t)id + 1), -EINVAL, "an id never handed out");
    cr_assert_eq(heap_free(&heap, (uint32_t)id), 0);
    cr_assert_eq(heap.used_bytes, 0);
    cr_assert_eq(heap.live_blocks, 0);
    cr_assert_eq(heap_usage(&heap, USER_PID), 0, "the owner is no longer charged");
    cr_assert_eq(heap_free(&heap, (uint32_t)id), -EINVAL, "a double free");
    cr_assert_eq(heap.used_bytes, 0, "the double free changed nothing");
    assert_heap_consistent();
}

Test(heap, free_owner_frees_only_that_pids_exit_blocks)
{
    make_heap(HEAP_OOM_HALT, 0);
    int64_t mine_at_exit = heap_try_alloc(&heap, 100, "user", USER_PID, 0, 1);
    int64_t mine_kept = heap_try_alloc(&heap, 200, "chan", USER_PID, 0, 0);
    int64_t theirs_at_exit = heap_try_alloc(&heap, 400, "user", USER_PID + 1, 0, 1);
    int64_t mine_at_exit_too = heap_try_alloc(&heap, 800, "user", USER_PID, 0, 1);
    cr_assert(mine_at_exit > 0 && mine_kept > 0 && theirs_at_exit > 0 && mine_at_exit_too > 0);

    cr_assert_eq(heap_free_owner(&heap, USER_PID), 900, "100 + 800 bytes freed");
    cr_assert_null(heap_block(&heap, (uint32_t)mine_at_exit), "freed at exit");
    cr_assert_null(heap_block(&heap, (uint32_t)mine_at_exit_too), "freed at exit");
    cr_assert_not_null(heap_block(&heap, (uint32_t)mine_kept), "a block not freed at exit stays");
    cr_assert_not_null(heap_block(&heap, (uint32_t)theirs_at_exit), "another pid's block stays");
    cr_assert_eq(heap_usage(&heap, USER_PID), 200);
    cr_assert_eq(heap_usage(&heap, USER_PID + 1), 400);
    cr_assert_eq(heap.used_bytes, 600);
    cr_assert_eq(heap_free_owner(&heap, USER_PID), 0, "nothing left to free");
    assert_heap_consistent();
}

Test(heap, records_follow_the_live_blocks_not_the_allocations)
{
    /* 100,000 processes, each allocating and exiting, beside one block that lives
     * throughout: the block and charge records of the dead ones are gone. */
    make_heap(HEAP_OOM_HALT, 0);
    int64_t kept = heap_try_alloc(&heap, 64, "chan", 1, 0, 0);
    for (uint32_t pid = 2; pid < 100002; pid++) {
        cr_assert_gt(heap_try_alloc(&heap, 32, "user", pid, pid, 1), 0, "pid %u", pid);
        cr_assert_gt(heap_try_alloc(&heap, 16, "user", pid, pid, 1), 0, "pid %u", pid);
        cr_assert_eq(heap_free_owner(&heap, pid), 48, "pid %u", pid);
    }
    cr_assert_eq(heap.block_count, 200001, "ids are never reused");
    cr_assert_eq(heap.blocks.live, 1, "one block record, not %llu",
                 (unsigned long long)heap.blocks.live);
    cr_assert_eq(heap.owners.live, 1, "one charge record, not %llu",
                 (unsigned long long)heap.owners.live);
    cr_assert_eq(heap_usage(&heap, 7), 0, "a dead process is charged nothing");
    cr_assert_null(heap_block(&heap, 2), "a freed block reads as gone");
    cr_assert_eq(heap_block(&heap, (uint32_t)kept)->bytes, 64);
    assert_heap_consistent();
}

/* ---- checks -------------------------------------------------------------------------- */

Test(heap, check_detects_a_corrupted_used_bytes)
{
    make_heap(HEAP_OOM_RESERVE, 0);
    take(300, USER_PID);
    assert_heap_consistent();
    cr_assert_str_eq(text_str(&out), "", "nothing reported");

    struct heap corrupt = heap; /* shares the arrays: never freed */
    corrupt.used_bytes += 7;
    cr_assert_eq(heap_check(&corrupt, &out), -1, "a used_bytes off by 7");
    cr_assert(strstr(text_str(&out), "used_bytes 1307 but live blocks sum to 1300"),
              "the report names both sums: %s", text_str(&out));
}

Test(heap, check_detects_a_live_block_count_mismatch)
{
    make_heap(HEAP_OOM_HALT, 0);
    take(300, USER_PID);
    struct heap corrupt = heap;
    corrupt.live_blocks = 2;
    cr_assert_eq(heap_check(&corrupt, &out), -1);
    cr_assert(strstr(text_str(&out), "(1 blocks, 2 counted)"), "%s", text_str(&out));
}

/* ---- through the world's config -------------------------------------------------------- */

Test(heap, world_config_sets_policy_and_reserve)
{
    struct config config;
    char error[256];
    cr_assert_eq(run_config_init(&config, NULL), 0);
    cr_assert_eq(config_assign(&config, "oom_policy=reserve", error, sizeof error), 0, "%s",
                 error);
    cr_assert_eq(config_assign(&config, "heap_bytes=64KiB", error, sizeof error), 0, "%s", error);
    cr_assert_eq(config_assign(&config, "reserve_bytes=4KiB", error, sizeof error), 0, "%s",
                 error);
    struct world w;
    cr_assert_eq(world_create(&w, &config), 0);
    cr_assert_eq(w.heap.policy, HEAP_OOM_RESERVE);
    cr_assert_eq(w.heap.capacity_bytes, 65536);
    cr_assert_eq(w.heap.used_bytes, 4096, "the reserve is taken at creation");
    cr_assert_str_eq(heap_oom_policy_name(w.heap.policy), "reserve");
    world_destroy(&w);

    cr_assert_eq(config_assign(&config, "reserve_bytes=128KiB", error, sizeof error), 0, "%s",
                 error);
    cr_assert_eq(world_create(&w, &config), -EINVAL, "a reserve larger than the heap");
}

Test(heap, check_detects_an_owner_charged_wrongly)
{
    make_heap(HEAP_OOM_HALT, 0);
    take(300, USER_PID);
    struct heap_owner *o = idarray_get(&heap.owners, USER_PID);
    o->bytes += 5;
    cr_assert_eq(heap_check(&heap, &out), -1);
    cr_assert(strstr(text_str(&out), "is charged 305 bytes in 1 blocks (0 exit blocks) but owns 300"),
              "%s", text_str(&out));
    o->bytes -= 5;
}

Test(heap, fixed_storage_runs_out_as_the_model_heap_does)
{
    static struct idarray_page block_pages[1], owner_pages[1];
    static struct heap_block blocks[IDARRAY_PAGE_RECORDS];
    static struct heap_owner owners[IDARRAY_PAGE_RECORDS];
    struct heap_storage storage = {block_pages, 1, blocks, owner_pages, 1, owners};
    struct heap_options options = {.capacity_bytes = 1u << 20, .policy = HEAP_OOM_KILL_PROCESS};
    cr_assert_eq(heap_init_fixed(&heap, &options, &storage), 0);
    /* Block ids start at 1: the page holds ids 1..255. */
    for (uint32_t i = 1; i < IDARRAY_PAGE_RECORDS; i++)
        cr_assert_eq(heap_try_alloc(&heap, 8, "x", USER_PID, 0, 0), (int64_t)i, "block %u", i);
    cr_assert_eq(heap_try_alloc(&heap, 8, "x", USER_PID, 0, 0), -ENOMEM,
                 "the storage is full: the model heap is out of memory");
    cr_assert_eq(heap.failed, 0, "not the harness's own memory");
    cr_assert_eq(heap_try_alloc(&heap, 8, "x", IDARRAY_PAGE_RECORDS, 0, 0), -ENOMEM,
                 "an owner past the storage");
    cr_assert_eq(heap_free(&heap, 7), 0);
    cr_assert_null(heap_block(&heap, 7));
    assert_heap_consistent();
}
