/* test_linux — the Linux backend: the same scenario gives the same answers on real
 * processes as in the simulator; a real run reports hangs, leaks, failed checks and
 * crashes as the simulator does; and it is safe: a runaway spawner stops at the
 * process cap, and nothing of a run outlives it. */
#define _GNU_SOURCE
#include "helpers.h"
#include "sim/sys.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- scenarios of the tests (linked into build/tests only) ----------------------- */

struct conformance {
    int child_value;
    int child_handles;
};

static struct conformance *shared;
static uint32_t conformance_sem;

static void conformance_child(void *arg)
{
    (void)arg;
    shared->child_handles = (int)sys_handle_count();
    sys_chan_send(1, 7, NULL, 0, 0); /* SPAWN_EXPLICIT keeps the index */
    shared->child_value = 42;
    sys_sem_post(conformance_sem);
    sys_exit(3);
}

static void long_sleeper(void *arg)
{
    (void)arg;
    sys_sleep(3600 * SYS_NS_PER_S);
}

/* Handles, messages and a child: numbering, sizes, sender, shared memory, status. */
static void conformance_messages(void)
{
    uint32_t ends[2] = {99, 99};
    struct chan_received m = {0};
    sys_check(sys_chan_create(ends) == 0 && ends[0] == 0 && ends[1] == 1,
              "a first channel's handles are 0 and 1, not %u %u", ends[0], ends[1]);
    sys_check(sys_chan_send(ends[0], 0, NULL, 0, 0) == 0 && sys_chan_recv(ends[1], &m, 0, 0) == 0 &&
                  !m.eof && m.bytes == 0 && m.sender == sys_getpid(),
              "a 0-byte message is a message from us (eof %d bytes %llu sender %u)", m.eof,
              (unsigned long long)m.bytes, m.sender);
    struct sys_spawn_options only = {SPAWN_EXPLICIT, &ends[1], 1, 0};
    int pid = sys_spawn_with("child", conformance_child, NULL, &only);
    sys_check(pid > 0, "spawn: %d", pid);
    sys_check(sys_sem_wait(conformance_sem) == 0, "the child posts");
    int rc = sys_chan_recv(ends[0], &m, 0, 0), status = 0;
    sys_check(rc == 0 && m.bytes == 7 && m.sender == (uint32_t)pid, "7 bytes from the child");
    sys_check(sys_wait((uint32_t)pid, &status) == pid && SYS_WIFEXITED(status) &&
                  SYS_WEXITSTATUS(status) == 3,
              "the child exits 3 (status %#x)", status);
    sys_check(shared->child_value == 42 && shared->child_handles == 1,
              "shared memory: %d, %d handles", shared->child_value, shared->child_handles);
    sys_close(ends[1]);
    sys_check(sys_chan_recv(ends[0], &m, 0, 0) == 0 && m.eof, "EOF once the peer is closed");
    sys_check(sys_chan_send(ends[0], 1, NULL, 0, 0) == -EPIPE, "-EPIPE to a closed peer");
    sys_close(ends[0]);
    sys_check(sys_handle_count() == 0, "%u handles left", sys_handle_count());
}

/* Pipes, ports, the heap, time. */
static void conformance_objects(void)
{
    uint32_t p[2] = {0, 0}, c[2] = {0, 0};
    sys_check(sys_pipe(p) == 0 && sys_write(p[1], 100, 0) == 100 && sys_read(p[0], 1000, 0) == 100,
              "a pipe carries 100 bytes");
    sys_check(sys_read(p[0], 10, SYS_NONBLOCK) == -EAGAIN, "an empty pipe: -EAGAIN");
    int port = sys_port_create();
    sys_check(port >= 0 && sys_chan_create(c) == 0 && sys_port_bind((uint32_t)port, c[0], 9) == 0,
              "a port");
    struct port_event e;
    sys_check(sys_port_wait((uint32_t)port, &e, SYS_NONBLOCK, 0) == -EAGAIN, "nothing yet");
    sys_chan_send(c[1], 1, NULL, 0, 0);
    sys_check(sys_port_wait((uint32_t)port, &e, 0, 0) == 0 && e.key == 9 &&
                  (e.kind & PORT_EVENT_READABLE),
              "readable under key 9 (key %llu kind %u)", (unsigned long long)e.key, e.kind);
    sys_chan_recv(c[0], NULL, 0, 0);
    sys_close(c[1]);
    sys_check(sys_port_wait((uint32_t)port, &e, 0, 0) == 0 && (e.kind & PORT_EVENT_PEER_CLOSED),
              "the peer's close (kind %u)", e.kind);
    for (uint32_t h = 0; h < 8; h++)
        sys_close(h);
    int64_t block = sys_alloc(100);
    sys_check(block > 0 && sys_free((uint32_t)block) == 0 && sys_free((uint32_t)block) == -EINVAL,
              "the heap");
    uint64_t t0 = sys_now();
    sys_check(sys_sleep(SYS_NS_PER_MS) == 0 && sys_now() - t0 >= SYS_NS_PER_MS, "time goes on");
}

/* Signals, waits, groups. */
static void conformance_processes(void)
{
    sys_check(sys_kill(1, SIG_TERM) == -EPERM && sys_kill(0, SIG_TERM) == -ESRCH,
              "init cannot be signalled; pid 0 is no one");
    sys_check(sys_getppid() == 1, "main's parent is init: %u", sys_getppid());
    sys_signal_catch(SIG_TERM, SIG_ACTION_CATCH);
    sys_kill(sys_getpid(), SIG_TERM);
    sys_check(sys_signal_pending() == 1u << SIG_TERM, "the handler ran before kill returned");
    int sleeper = sys_spawn("sleeper", long_sleeper, NULL), status = 0;
    sys_check(sys_wait_timeout((uint32_t)sleeper, &status, 10 * SYS_NS_PER_MS) == -ETIMEDOUT,
              "a timed wait times out");
    sys_kill((uint32_t)sleeper, SIG_KILL);
    sys_check(sys_wait((uint32_t)sleeper, &status) == sleeper && SYS_WIFSIGNALED(status) &&
                  SYS_WTERMSIG(status) == SIG_KILL,
              "killed: status %#x", status);
    uint32_t group = sys_group_create();
    struct sys_spawn_options in_group = {SPAWN_FORK, NULL, 0, group};
    int a = sys_spawn_with("a", long_sleeper, NULL, &in_group);
    int b = sys_spawn_with("b", long_sleeper, NULL, &in_group);
    sys_check(sys_group_kill(group, 0) == 2 && sys_group_drop(group) == 2, "two members");
    sys_check(sys_wait((uint32_t)a, &status) == a && SYS_WTERMSIG(status) == SIG_KILL &&
                  sys_wait((uint32_t)b, &status) == b && SYS_WTERMSIG(status) == SIG_KILL,
              "both dropped");
    sys_check(sys_group_kill(group, 0) == 0 && sys_wait(0, NULL) == -ECHILD, "nobody left");
}

PORTABLE_SCENARIO(test_linux_conformance, "test: the same answers on both backends", NULL)
{
    shared = sys_shared_alloc(sizeof *shared);
    sys_check(shared != NULL, "shared memory");
    conformance_sem = (uint32_t)sys_sem_create("child done", 0);
    conformance_messages();
    conformance_objects();
    conformance_processes();
    sys_console("conformance: every answer as expected");
}

/* Every process spawns until spawn fails, then sleeps an hour. */
static void bomb(void *arg)
{
    (void)arg;
    while (sys_spawn("bomb", bomb, NULL) > 0)
        ;
    sys_sleep(3600 * SYS_NS_PER_S);
}

PORTABLE_SCENARIO(test_linux_runaway_spawner, "test: a fork bomb", NULL)
{
    bomb(NULL);
}

PORTABLE_SCENARIO(test_linux_check_fails, "test: a failed check", NULL)
{
    sys_check(sys_getppid() == 0, "main's parent is %u", sys_getppid());
}

static void crasher(void *arg)
{
    (void)arg;
    abort();
}

PORTABLE_SCENARIO(test_linux_crash, "test: a child crashes", NULL)
{
    int pid = sys_spawn("crasher", crasher, NULL);
    sys_wait((uint32_t)pid, NULL);
}

SCENARIO(test_linux_not_portable, "test: not declared portable", NULL)
{
}

/* ---- helpers ------------------------------------------------------------------------- */

/* Skips the test where real runs cannot start (no PID namespace for them). */
static void require_real_runs(void)
{
    struct text capabilities = {0};
    run_backend_capabilities(RUN_BACKEND_LINUX, &capabilities);
    int none = strstr(text_str(&capabilities), "cannot start") != NULL;
    text_free(&capabilities);
    if (none)
        cr_skip_test("no PID namespace here for real runs: root, or user namespaces, needed");
}

/* Runs scenario on backend with NULL-terminated "key=value" settings; asserts the
 * harness itself succeeded. */
static struct run_result run_on(enum run_backend backend, const char *scenario, uint64_t seed,
                                ...)
{
    struct run_options options;
    options_for(&options, scenario, seed, NULL);
    options.backend = backend;
    char error[320];
    va_list args;
    va_start(args, seed);
    for (const char *set = va_arg(args, const char *); set; set = va_arg(args, const char *))
        cr_assert_eq(config_assign(&options.config, set, error, sizeof error), 0, "%s", error);
    va_end(args);
    cr_assert_eq(run_backend_check(&options, error, sizeof error), 0, "%s: %s", scenario, error);
    struct run_result result;
    int rc = run_scenario(&options, &result);
    cr_assert_eq(rc, 0, "seed %llu: %s could not run: %s", (unsigned long long)seed, scenario,
                 text_str(&result.report));
    return result;
}

/* The pid of a child of parent (any one), or 0. */
static pid_t child_of(pid_t parent)
{
    pid_t found = 0;
    DIR *d = opendir("/proc");
    cr_assert_not_null(d);
    for (struct dirent *e; !found && (e = readdir(d)) != NULL;) {
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        if (!f)
            continue;
        char *got = fgets(line, sizeof line, f);
        fclose(f);
        char *paren = got ? strrchr(line, ')') : NULL;
        int ppid = 0;
        if (paren && sscanf(paren + 2, "%*c %d", &ppid) == 1 && ppid == parent)
            found = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return found;
}

/* How many 10 ms waits for real processes to get somewhere: a minute, so that a
 * loaded machine (load 20 on 2 cores was seen) slows the test, never fails it. */
#define REAL_WAIT_TRIES 6000

/* The inode of pid's PID namespace, or 0 when it is gone. */
static uint64_t pid_namespace(pid_t pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
    return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* The init of the run that runner started: the first of its descendants (runner,
 * then the child it runs the scenario in) in a PID namespace other than ours; 0 while
 * there is none. */
static pid_t run_init_of(pid_t runner)
{
    uint64_t ours = pid_namespace(getpid());
    pid_t p = runner;
    for (int depth = 0; p && depth < 4; depth++) {
        uint64_t ns = pid_namespace(p);
        if (ns && ns != ours)
            return p;
        p = child_of(p);
    }
    return 0;
}

/* The processes (zombies included) of the PID namespace with this inode. */
static uint32_t namespace_processes(uint64_t inode)
{
    uint32_t n = 0;
    DIR *d = opendir("/proc");
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s/ns/pid", e->d_name);
        n += e->d_name[0] >= '1' && e->d_name[0] <= '9' && stat(path, &st) == 0 &&
             (uint64_t)st.st_ino == inode;
    }
    closedir(d);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* ---- the same answers ------------------------------------------------------------------ */

Test(linux, the_same_scenario_gives_the_same_answers_on_both_backends)
{
    require_real_runs();
    for (uint64_t seed = 0; seed < 3; seed++) {
        for (int backend = RUN_BACKEND_SIM; backend <= RUN_BACKEND_LINUX; backend++) {
            struct run_result r = run_on((enum run_backend)backend, "test-linux-conformance",
                                         seed, NULL);
            cr_assert_eq(r.outcome, SCHED_OUTCOME_PASS, "seed %llu, backend %d: %s",
                         (unsigned long long)seed, backend, text_str(&r.report));
            run_result_free(&r);
        }
    }
}

Test(linux, portable_fixed_variants_pass_and_buggy_ones_fail_the_same_way)
{
    require_real_runs();
    static const struct { const char *scenario, *variant, *outcome, *report; } cases[] = {
        {"fork-fd-inheritance", "explicit-spawn", "pass", NULL},
        {"fork-fd-inheritance", "buggy", "hang-deadlock",
         "processes hold copies of the peer end, which stays open until every copy is closed"},
        {"sigkill-skips-cancel", "buggy", "leak", "is a zombie nobody reaped"},
        {"stress-buffer-saturation", "buggy", "hang-deadlock", "is blocked in wait(pid"},
        {"stress-spawn-reap-churn", "buggy", "assert", "handle count grew"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (uint64_t seed = 0; seed < 2; seed++) {
            struct run_options options;
            options_for(&options, cases[i].scenario, seed, NULL);
            options.backend = RUN_BACKEND_LINUX;
            char error[256];
            const struct scenario_variant *v = scenario_variant_find(options.scenario,
                                                                     cases[i].variant);
            cr_assert_eq(scenario_variant_apply(v, &options.config, error, sizeof error), 0);
            struct run_result r;
            cr_assert_eq(run_scenario(&options, &r), 0, "%s", text_str(&r.report));
            cr_assert_str_eq(sched_outcome_name(r.outcome), cases[i].outcome,
                             "seed %llu: %s %s: %s", (unsigned long long)seed, cases[i].scenario,
                             cases[i].variant, text_str(&r.report));
            cr_assert(!cases[i].report || strstr(text_str(&r.report), cases[i].report),
                      "seed %llu: %s %s: the report says '%s':\n%s", (unsigned long long)seed,
                      cases[i].scenario, cases[i].variant, cases[i].report, text_str(&r.report));
            run_result_free(&r);
        }
}

Test(linux, a_hang_report_says_who_is_blocked_in_what_and_who_holds_the_other_end)
{
    require_real_runs();
    struct run_result r = run_on(RUN_BACKEND_LINUX, "fork-fd-inheritance", 0, "fix=none", NULL);
    const char *report = text_str(&r.report);
    cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_DEADLOCK, "seed 0: %s", report);
    cr_assert(strstr(report, "pid 2 \"main\" is blocked in chan_recv(handle"), "seed 0: %s", report);
    cr_assert(strstr(report, "kernel: state S, wchan"), "seed 0: /proc's view: %s", report);
    cr_assert(strstr(report, "its peer end is held by pid 3 \"actor-1\""), "seed 0: %s", report);
    cr_assert(strstr(report, "\"actor-1\" is blocked in wait(pid"), "seed 0: %s", report);
    run_result_free(&r);
}

Test(linux, a_failed_check_and_a_crash_end_a_real_run_as_in_simulation)
{
    require_real_runs();
    for (uint64_t seed = 0; seed < 2; seed++) {
        struct run_result r = run_on(RUN_BACKEND_LINUX, "test-linux-check-fails", seed, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_ASSERT, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert(strstr(text_str(&r.report),
                         "CHECK FAILED in pid 2 \"main\" after 0 calls: main's parent is 1"),
                  "seed %llu: %s", (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
        r = run_on(RUN_BACKEND_LINUX, "test-linux-crash", seed, NULL);
        cr_assert_eq(r.outcome, SCHED_OUTCOME_CRASH, "seed %llu: %s", (unsigned long long)seed,
                     text_str(&r.report));
        cr_assert(strstr(text_str(&r.report), "\"crasher\" died of signal 6"), "seed %llu: %s",
                  (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
    }
}

/* ---- safety ------------------------------------------------------------------------------ */

Test(linux, a_runaway_spawner_stops_at_the_process_cap_and_nothing_outlives_the_run)
{
    require_real_runs();
    for (uint64_t seed = 0; seed < 2; seed++) {
        struct run_result r = run_on(RUN_BACKEND_LINUX, "test-linux-runaway-spawner", seed,
                                     "max_procs=24", "real_deadline=1s", NULL);
        /* Every process sleeps an hour once its spawns fail: the deadline ends it. */
        cr_assert_eq(r.outcome, SCHED_OUTCOME_HANG_BUDGET, "seed %llu: %s",
                     (unsigned long long)seed, text_str(&r.report));
        cr_assert_eq(r.processes_peak, 24, "seed %llu: %u processes at most, init included",
                     (unsigned long long)seed, r.processes_peak);
        cr_assert(strstr(text_str(&r.report), "process slots 24/24"), "seed %llu: %s",
                  (unsigned long long)seed, text_str(&r.report));
        run_result_free(&r);
        /* The run's init was our child: it is gone, and with it its whole namespace. */
        cr_assert_eq(child_of(getpid()), 0, "seed %llu: a child of ours outlived the run",
                     (unsigned long long)seed);
        cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "seed %llu: nothing left to reap",
                     (unsigned long long)seed);
    }
}

Test(linux, killing_the_runner_leaves_nothing_of_its_run_behind)
{
    require_real_runs();
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* the run's init comes back to us, to be reaped */
    const char *bin = getenv("DETSIM_BIN") ? getenv("DETSIM_BIN") : "build/detsim";
    pid_t runner = fork();
    if (runner == 0) {
        /* 8 sleepers of 90 s, real time: the run would take a minute and a half. */
        execl(bin, bin, "run", "stress-group-teardown", "--backend", "linux", "--set",
              "teardown=false", "--set", "children=8", "--set", "time_scale=1", "--quiet",
              (char *)NULL);
        _exit(127);
    }
    cr_assert_gt(runner, 0);
    pid_t init = 0;
    for (int tries = 0; tries < REAL_WAIT_TRIES && !(init = run_init_of(runner)); tries++)
        sleep_ms(10);
    cr_assert_gt(init, 0, "the runner started no run");
    uint64_t run = pid_namespace(init);
    cr_assert_neq(run, 0, "the run's init is gone already");
    for (int tries = 0; tries < REAL_WAIT_TRIES && namespace_processes(run) < 10; tries++)
        sleep_ms(10);
    cr_assert_geq(namespace_processes(run), 10, "init, main and 8 sleepers");
    kill(runner, SIGKILL);
    cr_assert_eq(waitpid(runner, NULL, 0), runner);
    for (int tries = 0; tries < REAL_WAIT_TRIES && namespace_processes(run) > 0; tries++) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        sleep_ms(10);
    }
    cr_assert_eq(namespace_processes(run), 0, "the run's processes outlived its runner");
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "no zombie of the run is left to us either");
}
