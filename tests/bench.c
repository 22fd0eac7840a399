/* bench — the figures `make bench` prints: context-switch cost beside glibc
 * swapcontext, and scheduler steps per second on ping-pong. Wall-clock timing is
 * fine here: this is a benchmark, never a test, and nothing in a run depends on it. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include "sim/coro.h"
#include "sim/run.h"

#define SWITCHES 20000000ULL

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- detsim's switch -------------------------------------------------------------- */

static struct coro main_coro, other_coro;

static void bouncer(void *arg)
{
    (void)arg;
    for (;;)
        coro_switch(&other_coro, &main_coro);
}

static double bench_coro_switch(void)
{
    coro_init_thread(&main_coro);
    if (coro_init(&other_coro, 64 * 1024, bouncer, NULL) != 0)
        abort();
    double start = now_seconds();
    for (uint64_t i = 0; i < SWITCHES / 2; i++)
        coro_switch(&main_coro, &other_coro);
    double elapsed = now_seconds() - start;
    coro_release(&other_coro);
    return elapsed * 1e9 / (double)SWITCHES;
}

/* ---- glibc swapcontext, the same ping-pong --------------------------------------- */

static ucontext_t main_context, other_context;

static void ucontext_bouncer(void)
{
    for (;;)
        swapcontext(&other_context, &main_context);
}

static double bench_swapcontext(void)
{
    static char stack[64 * 1024];
    getcontext(&other_context);
    other_context.uc_stack.ss_sp = stack;
    other_context.uc_stack.ss_size = sizeof stack;
    makecontext(&other_context, ucontext_bouncer, 0);
    uint64_t switches = SWITCHES / 10; /* it is slow: fewer rounds */
    double start = now_seconds();
    for (uint64_t i = 0; i < switches / 2; i++)
        swapcontext(&main_context, &other_context);
    double elapsed = now_seconds() - start;
    return elapsed * 1e9 / (double)switches;
}

/* ---- scheduler steps --------------------------------------------------------------- */

static void bench_steps(const char *strategy, const char *rounds)
{
    struct run_options options = {.scenario = scenario_find("ping-pong"), .seed = 1};
    char error[128], assignment[64];
    run_parse_strategy(strategy, &options.strategy, error, sizeof error);
    run_config_init(&options.config, options.scenario);
    snprintf(assignment, sizeof assignment, "rounds=%s", rounds);
    config_assign(&options.config, assignment, error, sizeof error);
    config_assign(&options.config, "max_steps=1000000000", error, sizeof error);
    double best = 0;
    uint64_t steps = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        struct run_result result;
        double start = now_seconds();
        if (run_scenario(&options, &result) != 0 || result.outcome != SCHED_OUTCOME_PASS)
            abort();
        double elapsed = now_seconds() - start;
        steps = result.steps;
        double rate = (double)result.steps / elapsed;
        if (rate > best)
            best = rate;
        run_result_free(&result);
    }
    printf("ping-pong steps/s (%-6s): %6.1f million  (%" PRIu64 " steps a run, best of 3)\n",
           strategy, best / 1e6, steps);
}

int main(void)
{
    printf("detsim %s benchmarks (one core; figures vary with the machine)\n", DETSIM_VERSION);
    double ours = bench_coro_switch();
    double glibc = bench_swapcontext();
    printf("context switch, detsim coro_switch : %6.2f ns per switch\n", ours);
    printf("context switch, glibc swapcontext  : %6.2f ns per switch (%.1fx slower)\n", glibc,
           glibc / ours);
    bench_steps("random", "2000000");
    bench_steps("rr", "2000000");
    coro_pool_drain();
    return 0;
}
