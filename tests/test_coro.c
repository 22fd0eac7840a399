/* Coroutines: switching, deep stacks, many at once, stack reuse. */
#include <criterion/criterion.h>
#include <signal.h>

#include "sim/coro.h"

#define MANY 200
#define ROUNDS 50

static struct coro scheduler;
static struct coro workers[MANY];
static uint64_t counters[MANY];
static int current;

/* Each worker keeps values in locals across switches: if a callee-saved register
 * were not restored, the sums would come out wrong. */
static void worker(void *arg)
{
    int index = (int)(intptr_t)arg;
    uint64_t a = (uint64_t)index * 7919, b = 1, c = 0;
    double d = index * 0.5;
    for (int round = 0; round < ROUNDS; round++) {
        c += a + b;
        b = b * 3 + 1;
        d += 1.25;
        counters[index] = c ^ (uint64_t)(d * 4);
        coro_switch(&workers[index], &scheduler);
    }
    counters[index] = c ^ (uint64_t)(d * 4);
    coro_switch_final(&workers[index], &scheduler);
}

static uint64_t expected_counter(int index)
{
    uint64_t a = (uint64_t)index * 7919, b = 1, c = 0;
    double d = index * 0.5;
    for (int round = 0; round < ROUNDS; round++) {
        c += a + b;
        b = b * 3 + 1;
        d += 1.25;
    }
    return c ^ (uint64_t)(d * 4);
}

static void run_workers(void)
{
    coro_init_thread(&scheduler);
    for (int i = 0; i < MANY; i++) {
        counters[i] = 0;
        cr_assert_eq(coro_init(&workers[i], 64 * 1024, worker, (void *)(intptr_t)i), 0);
    }
    /* Interleave: every worker one round at a time, in a rotating order. */
    for (int round = 0; round <= ROUNDS; round++)
        for (int k = 0; k < MANY; k++) {
            current = (k + round * 7) % MANY;
            coro_switch(&scheduler, &workers[current]);
        }
    for (int i = 0; i < MANY; i++) {
        cr_assert_eq(counters[i], expected_counter(i), "worker %d computed wrongly", i);
        coro_release(&workers[i]);
    }
}

Test(coro, many_coroutines_interleaved)
{
    run_workers();
}

Test(coro, stacks_are_reused_across_runs)
{
    run_workers();
    uint32_t mapped = coro_pool_mapped_count();
    cr_assert_geq(mapped, MANY);
    for (int i = 0; i < 5; i++)
        run_workers();
    cr_assert_eq(coro_pool_mapped_count(), mapped, "no new stacks after the first run");
    cr_assert_eq(coro_pool_free_count(), mapped);
    cr_assert_eq(coro_pool_drain(), mapped);
    cr_assert_eq(coro_pool_mapped_count(), 0);
}

static struct coro deep;
static uint64_t deep_result;

static uint64_t recurse(int depth)
{
    volatile char frame[512]; /* 512 bytes a level: 100 levels use about 56 KiB */
    frame[0] = (char)depth;
    if (depth == 0)
        return 1;
    return recurse(depth - 1) + (uint64_t)frame[0];
}

static void deep_worker(void *arg)
{
    (void)arg;
    deep_result = recurse(100);
    coro_switch_final(&deep, &scheduler);
}

Test(coro, deep_stack_within_the_configured_size)
{
    coro_init_thread(&scheduler);
    cr_assert_eq(coro_init(&deep, 128 * 1024, deep_worker, NULL), 0);
    coro_switch(&scheduler, &deep);
    cr_assert_eq(deep_result, 1 + 100 * 101 / 2);
    coro_release(&deep);
}

static void overflow_worker(void *arg)
{
    (void)arg;
    deep_result = recurse(1000000); /* far past the stack: hits the guard page */
    coro_switch_final(&deep, &scheduler);
}

Test(coro, overflow_hits_the_guard_page, .signal = SIGSEGV)
{
    coro_init_thread(&scheduler);
    cr_assert_eq(coro_init(&deep, 16 * 1024, overflow_worker, NULL), 0);
    coro_switch(&scheduler, &deep);
}
