/* bench — the figures `make bench` prints: context-switch cost beside glibc
 * swapcontext, scheduler steps per second on ping-pong, model operations, and the
 * cost of a failpoint beside a bare fiu_fail(). Wall-clock timing is
 * fine here: this is a benchmark, never a test, and nothing in a run depends on it. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "faults/fault.h"
#include "sim/coro.h"
#include "sim/run.h"
#include "sim/sys.h"

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

/* ---- model operations under the scheduler --------------------------------------- */

#define CHANNEL_ROUNDS 200000
#define SPAWN_ROUNDS 50000

/* One round: create a pair, send, receive, close both ends: five calls. */
SCENARIO(bench_channel_ops, "bench: channel create/send/recv/close in a loop", NULL)
{
    for (int i = 0; i < CHANNEL_ROUNDS; i++) {
        uint32_t ends[2];
        if (sys_chan_create(ends) != 0)
            abort();
        sys_chan_send(ends[0], 64, NULL, 0, 0);
        sys_chan_recv(ends[1], NULL, 0, 0);
        sys_close(ends[0]);
        sys_close(ends[1]);
    }
}

static void quick_exit_child(void *arg)
{
    (void)arg;
}

/* One round: spawn a child that exits at once, and reap it. */
SCENARIO(bench_spawn_reap, "bench: spawn/exit/reap in a loop", NULL)
{
    for (int i = 0; i < SPAWN_ROUNDS; i++) {
        int pid = sys_spawn("child", quick_exit_child, NULL);
        if (pid < 0 || sys_wait((uint32_t)pid, NULL) != pid)
            abort();
    }
}

static double run_seconds(const char *scenario)
{
    struct run_options options = {.scenario = scenario_find(scenario), .seed = 1};
    char error[128];
    run_parse_strategy("random", &options.strategy, error, sizeof error);
    run_config_init(&options.config, options.scenario);
    config_assign(&options.config, "max_steps=1000000000", error, sizeof error);
    double best = 1e9;
    for (int attempt = 0; attempt < 3; attempt++) {
        struct run_result result;
        double start = now_seconds();
        if (run_scenario(&options, &result) != 0 || result.outcome != SCHED_OUTCOME_PASS)
            abort();
        double elapsed = now_seconds() - start;
        if (elapsed < best)
            best = elapsed;
        run_result_free(&result);
    }
    return best;
}

static double real_fork_per_second(void)
{
    int rounds = 2000;
    double start = now_seconds();
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0 || waitpid(pid, NULL, 0) != pid)
            abort();
    }
    return rounds / (now_seconds() - start);
}

static double real_pipe_round_trips_per_second(void)
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        /* Close the inherited ends we do not use, or read() never sees EOF. */
        close(to_child[1]);
        close(to_parent[0]);
        char byte;
        while (read(to_child[0], &byte, 1) == 1)
            if (write(to_parent[1], &byte, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    int rounds = 50000;
    char byte = 'x';
    double start = now_seconds();
    for (int i = 0; i < rounds; i++)
        if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
            abort();
    double rate = rounds / (now_seconds() - start);
    close(to_child[1]);
    waitpid(pid, NULL, 0);
    close(to_parent[0]);
    return rate;
}

static void bench_models(double fork_rate, double pipe_rate)
{
    double chan = run_seconds("bench-channel-ops");
    double spawn = run_seconds("bench-spawn-reap");
    printf("model: channel create+send+recv+close : %6.2f million calls/s (%.0f rounds/s)\n",
           5.0 * CHANNEL_ROUNDS / chan / 1e6, CHANNEL_ROUNDS / chan);
    printf("model: spawn+exit+reap                : %9.0f cycles/s\n", SPAWN_ROUNDS / spawn);
    printf("real:  fork+_exit+waitpid             : %9.0f cycles/s (model is %.0fx faster)\n",
           fork_rate, SPAWN_ROUNDS / spawn / fork_rate);
    printf("real:  pipe round trip (two processes): %9.0f round trips/s\n", pipe_rate);
}

/* ---- failpoints ------------------------------------------------------------------ */

#define FAILPOINT_CALLS 50000000ULL

/* A model-like function with one failpoint: noinline, so the gate's load is made on
 * every call as in a model, not hoisted out of the loop. */
__attribute__((noinline)) static int detsim_failpoint(void)
{
    return fault_fail(FAULT_CHAN_CREATE);
}

__attribute__((noinline)) static int bare_fiu_fail(void)
{
    return fiu_fail("model/chan/create");
}

static double ns_per_call(int (*call)(void), uint64_t calls)
{
    volatile int sink = 0;
    double start = now_seconds();
    for (uint64_t i = 0; i < calls; i++)
        sink += call();
    double elapsed = now_seconds() - start;
    (void)sink;
    return elapsed * 1e9 / (double)calls;
}

static void bench_failpoints(void)
{
    if (fault_init() != 0)
        abort();
    double unarmed = ns_per_call(detsim_failpoint, FAILPOINT_CALLS);
    double bare = ns_per_call(bare_fiu_fail, FAILPOINT_CALLS / 10);
    /* Another point armed: the gate is open, so libfiu looks this one up. */
    static struct fault_spec spec;
    char error[128];
    struct choice_stream choices;
    uint64_t step = 0;
    uint32_t pid = 0;
    struct fault_plan plan;
    choice_init_seed(&choices, 1);
    if (fault_spec_parse("model/heap/alloc:p=0", &spec, error, sizeof error) != 0 ||
        fault_plan_arm(&plan, &spec, 1, &choices, &step, &pid) != 0)
        abort();
    double open_gate = ns_per_call(detsim_failpoint, FAILPOINT_CALLS / 10);
    fault_plan_disarm(&plan);
    /* This point armed, never firing (p=0): libfiu and the decision callback. */
    if (fault_spec_parse("model/chan/create:p=0", &spec, error, sizeof error) != 0 ||
        fault_plan_arm(&plan, &spec, 1, &choices, &step, &pid) != 0)
        abort();
    double armed = ns_per_call(detsim_failpoint, FAILPOINT_CALLS / 10);
    fault_plan_disarm(&plan);
    choice_free(&choices);
    printf("failpoint: detsim, nothing armed      : %6.2f ns per call\n", unarmed);
    printf("failpoint: bare fiu_fail(), unarmed   : %6.2f ns per call (%.0fx the gated one)\n",
           bare, bare / unarmed);
    printf("failpoint: detsim, another point armed: %6.2f ns per call\n", open_gate);
    printf("failpoint: detsim, armed (p=0)        : %6.2f ns per call\n", armed);
}

/* ---- sweeps: seeds per second, whole command, at 1 and 2 jobs ------------------ */

static double sweep_seeds_per_second(const char *scenario, const char *count, const char *jobs)
{
    char count_flag[] = "--count", jobs_flag[] = "--jobs", quiet_flag[] = "--quiet";
    char *argv[] = {(char *)scenario, count_flag, (char *)count, jobs_flag, (char *)jobs,
                    quiet_flag, NULL};
    fflush(stdout);
    int saved = dup(1);
    FILE *null = freopen("/dev/null", "w", stdout);
    double start = now_seconds();
    int status = cli_sweep(6, argv);
    double elapsed = now_seconds() - start;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    (void)null;
    if (status != 0 && status != 1)
        abort();
    return (double)atol(count) / elapsed;
}

static void bench_sweeps(void)
{
    coro_pool_drain(); /* the workers fork this process: keep it small */
    static const struct { const char *scenario, *count; } sweeps[] = {
        {"lock-order", "100000"}, {"ipc-workload", "20000"}};
    for (unsigned i = 0; i < 2; i++) {
        double one = sweep_seeds_per_second(sweeps[i].scenario, sweeps[i].count, "1");
        double two = sweep_seeds_per_second(sweeps[i].scenario, sweeps[i].count, "2");
        printf("sweep %-13s: %8.0f seeds/s at --jobs 1, %8.0f at --jobs 2 (%.2fx)\n",
               sweeps[i].scenario, one, two, two / one);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The real-process figures first, while this process is small: fork copies
     * every mapping the benchmarks below would add. */
    double fork_rate = real_fork_per_second();
    double pipe_rate = real_pipe_round_trips_per_second();
    printf("detsim %s benchmarks (one core; figures vary with the machine)\n", DETSIM_VERSION);
    double ours = bench_coro_switch();
    double glibc = bench_swapcontext();
    printf("context switch, detsim coro_switch : %6.2f ns per switch\n", ours);
    printf("context switch, glibc swapcontext  : %6.2f ns per switch (%.1fx slower)\n", glibc,
           glibc / ours);
    bench_steps("random", "2000000");
    bench_steps("rr", "2000000");
    bench_models(fork_rate, pipe_rate);
    bench_failpoints();
    bench_sweeps();
    coro_pool_drain();
    return 0;
}
