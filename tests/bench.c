/* bench — the figures `make bench` prints, each beside a reference measured in the
 * same run: detsim's context switch beside glibc's swapcontext; the cost of a step
 * with N tasks ready beside the cost with 2; a simulated channel round trip and a
 * simulated spawn beside a real pipe round trip and a real fork; the peak memory of
 * long runs beside short ones; a failpoint beside a bare fiu_fail(). Everything is
 * CPU time (user + system, the children's included where there are children), so
 * that a machine shared with others does not distort it; only the sweeps are timed
 * by the wall clock, since what they measure is the workers' parallelism. Nothing
 * in a run depends on any of it: this is a benchmark, never a test. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "faults/fault.h"
#include "sim/coro.h"
#include "sim/run.h"
#include "sim/sys.h"

/* After detsim's headers: <sched.h> defines SCHED_RR as a macro, which would
 * rename the scheduler's strategy of that name. */
#include <sched.h>

#define SWITCHES 20000000ULL

/* This process's CPU time in seconds. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The CPU time of every child reaped so far. */
static double children_cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_CHILDREN, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

static double wall_seconds(void)
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
    double start = cpu_seconds();
    for (uint64_t i = 0; i < SWITCHES / 2; i++)
        coro_switch(&main_coro, &other_coro);
    double elapsed = cpu_seconds() - start;
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
    double start = cpu_seconds();
    for (uint64_t i = 0; i < switches / 2; i++)
        swapcontext(&main_context, &other_context);
    double elapsed = cpu_seconds() - start;
    return elapsed * 1e9 / (double)switches;
}

/* ---- runs ------------------------------------------------------------------------ */

struct bench_run {
    double cpu_seconds; /* the best of the attempts */
    uint64_t steps;
};

/* Runs scenario with strategy and settings ("key=value", NULL-terminated) attempts
 * times; aborts unless every run ends with outcome expect. */
static struct bench_run run_best(const char *scenario, const char *strategy,
                                 const char *const *settings, enum sched_outcome expect,
                                 int attempts)
{
    struct run_options options = {.scenario = scenario_find(scenario), .seed = 1};
    char error[160];
    if (!options.scenario || run_parse_strategy(strategy, &options.strategy, error, sizeof error) ||
        run_config_init(&options.config, options.scenario) ||
        config_assign(&options.config, "max_steps=1000000000", error, sizeof error))
        abort();
    for (const char *const *s = settings; s && *s; s++)
        if (config_assign(&options.config, *s, error, sizeof error) != 0) {
            fprintf(stderr, "bench: %s\n", error);
            abort();
        }
    struct bench_run best = {1e30, 0};
    for (int attempt = 0; attempt < attempts; attempt++) {
        struct run_result result;
        double start = cpu_seconds();
        if (run_scenario(&options, &result) != 0 || result.outcome != expect) {
            fprintf(stderr, "bench: %s ended %s\n", scenario, sched_outcome_name(result.outcome));
            abort();
        }
        double elapsed = cpu_seconds() - start;
        if (elapsed < best.cpu_seconds)
            best = (struct bench_run){elapsed, result.steps};
        run_result_free(&result);
    }
    return best;
}

/* ---- scheduler steps --------------------------------------------------------------- */

static void bench_ping_pong(const char *strategy)
{
    static const char *const settings[] = {"rounds=1000000", NULL};
    struct bench_run r = run_best("ping-pong", strategy, settings, SCHED_OUTCOME_PASS, 3);
    printf("ping-pong steps/s (%-6s): %6.1f million  (%" PRIu64 " steps a run, best of 3)\n",
           strategy, (double)r.steps / r.cpu_seconds / 1e6, r.steps);
}

/* Every task sleeps until this virtual time, then they all yield forever: from then
 * on, every task is ready at every step. */
#define READY_START_NS (1000 * SYS_NS_PER_MS)

static void yielder(void *arg)
{
    (void)arg;
    uint64_t now = sys_now();
    if (now >= READY_START_NS)
        abort(); /* the spawns took longer than the start leaves them */
    sys_sleep(READY_START_NS - now);
    for (;;)
        sys_yield();
}

static const struct config_key bench_ready_params[] = {
    {"tasks", CONFIG_UINT, 2, 1, 100000, "tasks that yield forever from a common start"},
    {0},
};

/* Ends when the step budget runs out (hang-budget), with every task ready. */
SCENARIO(bench_ready, "bench: N tasks ready at every step, yielding forever", bench_ready_params)
{
    uint64_t tasks = sys_param("tasks");
    for (uint64_t i = 0; i < tasks; i++)
        if (sys_spawn("yielder", yielder, NULL) < 0)
            abort();
    sys_wait(0, NULL); /* never returns: nobody exits */
}

#define READY_STEPS 500000 /* measured steps, beyond the spawns */
#define READY_TASKS_COUNT 4

static const uint32_t ready_tasks[READY_TASKS_COUNT] = {2, 100, 1000, 10000};

/* CPU ns a step with tasks ready: the difference between two runs that differ only
 * in their step budget, so that the spawns and the hang report cancel out. */
static double ns_per_ready_step(const char *strategy, uint32_t tasks)
{
    char tasks_setting[32], procs_setting[32], short_budget[48], long_budget[48];
    uint64_t spawning = 5ULL * tasks + 1000; /* every task asleep well before this */
    snprintf(tasks_setting, sizeof tasks_setting, "tasks=%" PRIu32, tasks);
    snprintf(procs_setting, sizeof procs_setting, "max_procs=%" PRIu32, tasks + 2);
    snprintf(short_budget, sizeof short_budget, "max_steps=%" PRIu64, spawning + READY_STEPS / 10);
    snprintf(long_budget, sizeof long_budget, "max_steps=%" PRIu64,
             spawning + READY_STEPS / 10 + READY_STEPS);
    const char *settings[] = {tasks_setting, procs_setting, "heap_bytes=1GiB",
                              "stack_bytes=16KiB", short_budget, NULL};
    struct bench_run a = run_best("bench-ready", strategy, settings, SCHED_OUTCOME_HANG_BUDGET, 3);
    settings[4] = long_budget;
    struct bench_run b = run_best("bench-ready", strategy, settings, SCHED_OUTCOME_HANG_BUDGET, 3);
    return (b.cpu_seconds - a.cpu_seconds) * 1e9 / (double)(b.steps - a.steps);
}

/* The floor under a step with N tasks: N coroutines with their own stacks, each
 * switched to and back, in turn (order 0) or at random (order 1), with nothing
 * else. It grows with N as their stacks outgrow the caches, whatever the
 * scheduler does. CPU ns per switch there and back. */
static struct coro floor_main, *floor_tasks;

static void floor_task(void *arg)
{
    struct coro *self = arg;
    for (;;)
        coro_switch(self, &floor_main);
}

static double ns_per_bare_switch(uint32_t tasks, int random_order)
{
    floor_tasks = calloc(tasks, sizeof *floor_tasks);
    if (!floor_tasks)
        abort();
    coro_init_thread(&floor_main);
    for (uint32_t i = 0; i < tasks; i++)
        if (coro_init(&floor_tasks[i], 16 * 1024, floor_task, &floor_tasks[i]) != 0)
            abort();
    for (uint32_t i = 0; i < tasks; i++)
        coro_switch(&floor_main, &floor_tasks[i]); /* each touches its stack once */
    uint64_t state = 88172645463325252ULL, rounds = 2000000;
    double start = cpu_seconds();
    for (uint64_t r = 0; r < rounds; r++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17; /* xorshift64 */
        uint32_t next = random_order ? (uint32_t)(state % tasks) : (uint32_t)(r % tasks);
        coro_switch(&floor_main, &floor_tasks[next]);
    }
    double ns = (cpu_seconds() - start) * 1e9 / (double)rounds;
    for (uint32_t i = 0; i < tasks; i++)
        coro_release(&floor_tasks[i]);
    free(floor_tasks);
    return ns;
}

static void bench_ready_steps(void)
{
    static const char *const strategies[] = {"random", "rr", "pct"};
    printf("steps with N tasks ready, CPU ns a step (ratio to N=%" PRIu32 "):\n", ready_tasks[0]);
    printf("  strategy");
    for (int i = 0; i < READY_TASKS_COUNT; i++) {
        char column[16];
        snprintf(column, sizeof column, "N=%" PRIu32, ready_tasks[i]);
        printf(i ? " %17s" : " %9s", column);
    }
    printf("\n");
    for (int s = 0; s < 3; s++) {
        double reference = ns_per_ready_step(strategies[s], ready_tasks[0]);
        printf("  %-8s %9.1f", strategies[s], reference);
        for (int i = 1; i < READY_TASKS_COUNT; i++) {
            double ns = ns_per_ready_step(strategies[s], ready_tasks[i]);
            printf(" %9.1f (%5.2fx)", ns, ns / reference);
        }
        printf("\n");
    }
    static const char *const orders[] = {"in turn", "random"};
    for (int order = 0; order < 2; order++) {
        double reference = ns_per_bare_switch(ready_tasks[0], order);
        printf("  %-8s %9.1f", order ? "bare/rnd" : "bare/rr", reference);
        for (int i = 1; i < READY_TASKS_COUNT; i++) {
            double ns = ns_per_bare_switch(ready_tasks[i], order);
            printf(" %9.1f (%5.2fx)", ns, ns / reference);
        }
        printf("   <- coroutine switches alone, %s\n", orders[order]);
    }
}

/* ---- model operations under the scheduler --------------------------------------- */

#define CHANNEL_ROUNDS 200000
#define SPAWN_ROUNDS 50000
#define ROUND_TRIPS 200000

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

/* Sends back every message it receives until end of file. */
static void echo(void *arg)
{
    uint32_t end = *(const uint32_t *)arg;
    for (;;) {
        struct chan_received m;
        if (sys_chan_recv(end, &m, 0, 0) != 0 || m.eof || sys_chan_send(end, 1, NULL, 0, 0) != 0)
            break;
    }
}

/* One round trip: a one-byte message to the echo process and its answer back. */
SCENARIO(bench_round_trip, "bench: channel round trips between two processes", NULL)
{
    uint32_t ends[2];
    if (sys_chan_create(ends) != 0)
        abort();
    struct sys_spawn_options only_its_end = {SPAWN_EXPLICIT, &ends[1], 1, 0};
    int pid = sys_spawn_with("echo", echo, &ends[1], &only_its_end);
    if (pid < 0)
        abort();
    sys_close(ends[1]);
    for (int i = 0; i < ROUND_TRIPS; i++) {
        struct chan_received m;
        if (sys_chan_send(ends[0], 1, NULL, 0, 0) != 0 || sys_chan_recv(ends[0], &m, 0, 0) != 0)
            abort();
    }
    sys_close(ends[0]);
    sys_wait((uint32_t)pid, NULL);
}

/* CPU seconds of a fork+_exit+waitpid, the child's included. */
static double real_fork_seconds(void)
{
    int rounds = 2000;
    double start = cpu_seconds() + children_cpu_seconds();
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0 || waitpid(pid, NULL, 0) != pid)
            abort();
    }
    return (cpu_seconds() + children_cpu_seconds() - start) / rounds;
}

/* CPU seconds of a one-byte round trip over two pipes between two processes, both
 * pinned to one CPU, as the simulation runs on one: both processes' time. */
static double real_pipe_round_trip_seconds(void)
{
    cpu_set_t all, one;
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        abort();
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &all)) {
            CPU_SET(cpu, &one);
            break;
        }
    int to_child[2], to_parent[2];
    if (sched_setaffinity(0, sizeof one, &one) != 0 || pipe(to_child) != 0 || pipe(to_parent) != 0)
        abort();
    double start = cpu_seconds() + children_cpu_seconds();
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
    for (int i = 0; i < rounds; i++)
        if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
            abort();
    close(to_child[1]);
    waitpid(pid, NULL, 0);
    close(to_parent[0]);
    double seconds = (cpu_seconds() + children_cpu_seconds() - start) / rounds;
    sched_setaffinity(0, sizeof all, &all);
    return seconds;
}

static void bench_models(double fork_seconds, double pipe_seconds)
{
    struct bench_run chan = run_best("bench-channel-ops", "random", NULL, SCHED_OUTCOME_PASS, 3);
    struct bench_run spawn = run_best("bench-spawn-reap", "random", NULL, SCHED_OUTCOME_PASS, 3);
    struct bench_run trip = run_best("bench-round-trip", "random", NULL, SCHED_OUTCOME_PASS, 3);
    double spawn_seconds = spawn.cpu_seconds / SPAWN_ROUNDS;
    double trip_seconds = trip.cpu_seconds / ROUND_TRIPS;
    printf("model: channel create+send+recv+close : %6.2f million calls/s (%.0f rounds/s)\n",
           5.0 * CHANNEL_ROUNDS / chan.cpu_seconds / 1e6, CHANNEL_ROUNDS / chan.cpu_seconds);
    printf("simulated spawn+exit+reap             : %8.0f ns\n", spawn_seconds * 1e9);
    printf("real fork+_exit+waitpid               : %8.0f ns (simulated is %.0fx cheaper)\n",
           fork_seconds * 1e9, fork_seconds / spawn_seconds);
    printf("simulated channel round trip          : %8.0f ns\n", trip_seconds * 1e9);
    printf("real pipe round trip, pinned to a CPU : %8.0f ns (simulated is %.1fx cheaper)\n",
           pipe_seconds * 1e9, pipe_seconds / trip_seconds);
}

/* ---- peak memory -------------------------------------------------------------------- */

static const struct config_key bench_churn_params[] = {
    {"spawns", CONFIG_UINT, 1000, 1, 100000000, "processes spawned over the run"},
    {"children", CONFIG_UINT, 98, 1, 100000, "children alive (or unreaped) at most at once"},
    {0},
};

/* Keeps up to `children` children going, reaping one before spawning the next. */
SCENARIO(bench_spawn_churn, "bench: many spawns over a run, few alive at once", bench_churn_params)
{
    uint64_t spawns = sys_param("spawns"), children = sys_param("children"), alive = 0;
    for (uint64_t i = 0; i < spawns; i++) {
        if (alive == children) {
            if (sys_wait(0, NULL) <= 0)
                abort();
            alive--;
        }
        if (sys_spawn("child", quick_exit_child, NULL) <= 0)
            abort();
        alive++;
    }
    for (; alive; alive--)
        sys_wait(0, NULL);
}

/* The peak resident set of this process's memory map in KiB: VmHWM, which a new
 * program starts afresh (ru_maxrss would keep the peak of the process it was
 * forked from). 0 when unknown. */
static uint64_t peak_rss_kib(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kib = 0;
    while (status && fgets(line, sizeof line, status))
        if (sscanf(line, "VmHWM: %" SCNu64, &kib) == 1)
            break;
    if (status)
        fclose(status);
    return kib;
}

/* In a fresh process (this program, run again with --rss-run): runs scenario with
 * settings, then prints its peak resident set in KiB. */
static int rss_run(int argc, char **argv)
{
    const char **settings = calloc((size_t)argc, sizeof *settings);
    if (!settings)
        return 3;
    for (int i = 1; i < argc; i++)
        settings[i - 1] = argv[i];
    run_best(argv[0], "random", settings, SCHED_OUTCOME_PASS, 1);
    free(settings);
    printf("%" PRIu64 "\n", peak_rss_kib());
    return 0;
}

/* The peak resident set in MiB of a fresh process running scenario with settings. */
static double peak_rss_mib(const char *program, const char *scenario, const char *settings)
{
    char command[512];
    uint64_t kib = 0;
    snprintf(command, sizeof command, "exec '%s' --rss-run %s %s", program, scenario, settings);
    fflush(stdout);
    FILE *child = popen(command, "r");
    if (!child || fscanf(child, "%" SCNu64, &kib) != 1 || pclose(child) != 0 || kib == 0)
        abort();
    return (double)kib / 1024.0;
}

static void bench_memory(void)
{
    char program[4096];
    ssize_t length = readlink("/proc/self/exe", program, sizeof program - 1);
    if (length <= 0)
        abort();
    program[length] = '\0';
    double churn = peak_rss_mib(program, "bench-spawn-churn", "spawns=1000000 max_procs=100");
    double churn_reference =
        peak_rss_mib(program, "bench-spawn-churn", "spawns=1000 max_procs=100");
    double ipc = peak_rss_mib(program, "ipc-workload", "workers=2 messages=100000");
    double ipc_reference = peak_rss_mib(program, "ipc-workload", "workers=2 messages=1000");
    printf("peak RSS, 10^6 spawns, <= 100 alive   : %6.1f MiB (10^3 spawns: %.1f MiB; %.2fx)\n",
           churn, churn_reference, churn / churn_reference);
    printf("peak RSS, ipc-workload 2 x 10^5 msgs  : %6.1f MiB (2 x 10^3: %.1f MiB; %.2fx)\n", ipc,
           ipc_reference, ipc / ipc_reference);
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
    double start = cpu_seconds();
    for (uint64_t i = 0; i < calls; i++)
        sink += call();
    double elapsed = cpu_seconds() - start;
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
    double start = wall_seconds();
    int status = cli_sweep(6, argv);
    double elapsed = wall_seconds() - start;
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
        printf("sweep %-13s: %8.0f seeds/s at --jobs 1, %8.0f at --jobs 2 (%.2fx; wall clock)\n",
               sweeps[i].scenario, one, two, two / one);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--rss-run") == 0)
        return rss_run(argc - 2, argv + 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The real-process figures first, while this process is small: fork copies
     * every mapping the benchmarks below would add. */
    double fork_seconds = real_fork_seconds();
    double pipe_seconds = real_pipe_round_trip_seconds();
    printf("detsim %s benchmarks (CPU time; figures vary with the machine)\n", DETSIM_VERSION);
    double ours = bench_coro_switch();
    double glibc = bench_swapcontext();
    printf("context switch, detsim coro_switch : %6.2f ns per switch\n", ours);
    printf("context switch, glibc swapcontext  : %6.2f ns per switch (%.1fx slower)\n", glibc,
           glibc / ours);
    bench_ping_pong("random");
    bench_ping_pong("rr");
    bench_ready_steps();
    bench_models(fork_seconds, pipe_seconds);
    bench_memory();
    bench_failpoints();
    bench_sweeps();
    coro_pool_drain();
    return 0;
}
