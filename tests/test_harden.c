/* Hardening: whatever the input or the fault, detsim gives a clear error or the right
 * result, never a crash, a silent loss or a runaway process (issue 14). Each test
 * is the regression test of one finding; most run the built binary (DETSIM_BIN) as a
 * user would, so that they can be run against an older build too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_WORK_PREFIX "/tmp/detsim-harden-"
#include "cli_helpers.h"

TestSuite(harden, .fini = remove_work_dir);

/* Exit 0 or 1, never a signal: the shell reports 128 + N for one. */
static void expect_no_crash(const struct cli_result *r, const char *what)
{
    cr_assert(r->status < 128, "%s: killed by signal %d; stderr: %s", what, r->status - 128,
              r->err);
}

/* Item 1: option arrays are sized by their callers; a flag repeated takes no room. */
Test(harden, repeated_options_never_overflow_the_option_array)
{
    struct cli_result *r = shell("$DETSIM list $(printf -- '--names %%.0s' $(seq 20))");
    expect_no_crash(r, "list --names x20");
    cr_assert_eq(r->status, 0, "list --names x20: exit %d, %s", r->status, r->err);
    cr_assert(strstr(r->out, "lock-order\n"), "%s", r->out);
    r = shell("$DETSIM faults $(printf -- '--help %%.0s' $(seq 40))");
    expect_no_crash(r, "faults --help x40");
    cr_assert_eq(r->status, 0, "faults --help x40: exit %d, %s", r->status, r->err);
    r = shell("$DETSIM sweep lock-order $(printf -- '--set rounds=1 %%.0s' $(seq 300))");
    cr_assert_eq(r->status, 2, "300 --set: exit %d", r->status);
    cr_assert(strstr(r->err, "too many options for 'sweep'"), "%s", r->err);
    r = shell("$DETSIM shrink x.repro $(printf -- '--output o %%.0s' $(seq 20))");
    cr_assert_eq(r->status, 2, "20 --output: exit %d", r->status);
    cr_assert(strstr(r->err, "too many options for 'shrink'"), "%s", r->err);
}

/* ---- scenarios that misbehave in C, as scenario code written in a hurry does --------- */

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "sim/sys.h"

/* Dereferences NULL after its first scheduling point. */
SCENARIO(test_c_null, "test: a NULL dereference in scenario code", NULL)
{
    sys_yield();
    volatile int *volatile nowhere = NULL;
    *nowhere = 1;
}

/* Ends the whole process, as a careless scenario might. */
SCENARIO(test_c_exit, "test: scenario code that calls exit(3)", NULL)
{
    sys_yield();
    exit(3);
}

/* Never returns to the scheduler. */
SCENARIO(test_c_loop, "test: scenario code that spins in C", NULL)
{
    sys_yield();
    for (volatile int spin = 1; spin;)
        ;
}

/* Keeps 64 MiB of every seed, reachable, as a scenario with a leak would. */
SCENARIO(test_c_hoarder, "test: scenario code that keeps 64 MiB a seed", NULL)
{
    static void **kept;
    void **block = malloc(64u << 20);
    if (!block)
        return;
    memset(block, 1, 64u << 20); /* touched: resident */
    block[0] = kept;
    kept = block;
    sys_yield();
}

/* Notes each run's first choice in the file $DETSIM_TEST_LOG; spins in C on one
 * seed in eight. */
SCENARIO(test_c_noted, "test: scenario code that notes its runs and spins on some", NULL)
{
    uint64_t value = sys_choose(1000000);
    const char *path = getenv("DETSIM_TEST_LOG");
    FILE *log = path ? fopen(path, "a") : NULL;
    if (log) {
        fprintf(log, "%llu\n", (unsigned long long)value);
        fclose(log);
    }
    if (value % 8 == 0)
        for (volatile int spin = 1; spin;)
            ;
}

/* Under ASan and UBSan (make asan), a NULL store is UBSan's report and exit(1), and
 * LeakSanitizer's exit status replaces the scenario's own at exit(): what detsim
 * says is the same kind of line, with another status. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif
#define CRASH_TEXT(plain) (SANITIZED ? "CRASH: the scenario's C code " : plain)

struct in_process {
    int status;           /* exit status, or 128 + signal */
    char out[65536];
    char err[8192];
    long maxrss_self_kb;  /* of the command's process */
    long maxrss_children_kb; /* of the largest of its children */
};

/* Runs command(args) in a child, in the work directory (so that reports/out is its
 * own), with stdout and stderr captured: it forks itself, and may crash. */
static void run_in_process(struct in_process *r, int (*command)(int, char **),
                           const char *const *args)
{
    make_work_dir();
    char out_path[300], err_path[300], rss_path[300];
    snprintf(out_path, sizeof out_path, "%s/in.out", work_dir);
    snprintf(err_path, sizeof err_path, "%s/in.err", work_dir);
    snprintf(rss_path, sizeof rss_path, "%s/in.rss", work_dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(work_dir) != 0 || !freopen(out_path, "w", stdout) ||
            !freopen(err_path, "w", stderr))
            _exit(99);
        char *argv[80];
        int argc = 0;
        for (; args[argc] && argc < 79; argc++)
            argv[argc] = (char *)args[argc];
        argv[argc] = NULL;
        int status = command(argc, argv);
        fflush(NULL);
        struct rusage self, children;
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &children);
        FILE *rss = fopen(rss_path, "w");
        if (rss) {
            fprintf(rss, "%ld %ld\n", self.ru_maxrss, children.ru_maxrss);
            fclose(rss);
        }
        _exit(status);
    }
    int raw;
    cr_assert_eq(waitpid(pid, &raw, 0), pid);
    r->status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
    char rss[64];
    slurp(rss_path, rss, sizeof rss);
    r->maxrss_self_kb = r->maxrss_children_kb = -1;
    if (sscanf(rss, "%ld %ld", &r->maxrss_self_kb, &r->maxrss_children_kb) != 2)
        r->maxrss_self_kb = r->maxrss_children_kb = -1;
    unlink(rss_path);
}

/* Whether a file whose name contains needle is in the work directory (a temporary
 * left behind, say). */
static int work_dir_has(const char *needle)
{
    struct cli_result *r = shell("ls -a . reports/out/repro 2>/dev/null | grep -c -- '%s'",
                                 needle);
    return atoi(r->out) > 0;
}

/* ---- 2. seed arithmetic: nothing wraps, nothing is listed ------------------------------ */

Test(harden, seed_ranges_and_shards_never_wrap)
{
    struct cli_result *r = shell("$DETSIM sweep lock-order --count 100 --shard "
                                 "3/18446744073709551615 --json s.jsonl --quiet --jobs 1");
    cr_assert_eq(r->status, 1, "seed 2 deadlocks: exit %d, %s", r->status, r->err);
    cr_assert(strstr(r->out, "sweep lock-order: 1 seeds (0..99, shard 3/18446744073709551615)"),
              "one seed, and the whole shard number: %s", r->out);
    r = shell("tail -n +2 s.jsonl | grep -c '\"seed\":\"2\",' ; tail -n +2 s.jsonl | wc -l");
    cr_assert_str_eq(r->out, "1\n1\n", "only seed 2 ran: %s", r->out);
    r = shell("$DETSIM sweep lock-order --seeds 0..18446744073709551615 --quiet");
    cr_assert_eq(r->status, 2, "2^64 seeds cannot be counted: exit %d", r->status);
    cr_assert(strstr(r->err, "bad --seeds '0..18446744073709551615': more than"), "%s", r->err);
    cr_assert_eq(r->err_lines, 1, "%s", r->err);
    r = shell("$DETSIM sweep lock-order --count 0 --quiet");
    cr_assert_eq(r->status, 2, "%s", r->err);
}

/* A count of 10^9 or 2^61 runs at once, in constant memory: the seeds are computed,
 * not listed. SIGINT ends it with its summary. */
Test(harden, huge_counts_start_at_once_in_constant_memory)
{
    const char *counts[] = {"1000000000", "2305843009213693952"};
    for (int i = 0; i < 2; i++) {
        struct cli_result *r = shell(
            "rm -f big.jsonl; $DETSIM sweep lock-order --count %s --jobs 2 --json big.jsonl "
            "--quiet > out.txt 2>&1 & pid=$!; "
            /* until the first results are out (a loaded machine, a sanitizer build) */
            "for i in $(seq 600); do [ \"$(tail -n +2 big.jsonl 2>/dev/null | wc -l)\" -gt 0 ] "
            "&& break; sleep 0.1; done; "
            "grep VmHWM /proc/$pid/status | tr -s ' ' | cut -d' ' -f2; kill -INT $pid; "
            "for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done; "
            "kill -9 $pid 2>/dev/null; wait $pid; echo status $?; tail -n +2 big.jsonl | wc -l; "
            "cat out.txt",
            counts[i]);
        long peak_kb = atol(r->out), status = -1, results = -1;
        const char *s = strstr(r->out, "status ");
        cr_assert_not_null(s, "--count %s: %s", counts[i], r->out);
        sscanf(s, "status %ld %ld", &status, &results);
        cr_assert_lt(peak_kb, 64 * 1024, "--count %s: the sweep holds no list (peak %ld KiB)",
                     counts[i], peak_kb);
        cr_assert_gt(results, 0, "--count %s: seeds ran at once: %s", counts[i], r->out);
        cr_assert_eq(status, 1, "--count %s: interrupted is exit 1: %s", counts[i], r->out);
        cr_assert(strstr(r->out, "interrupted by signal 2"), "%s", r->out);
        cr_assert(strstr(r->out, "resume: detsim sweep lock-order --count "), "%s", r->out);
    }
}

/* ---- 3. write errors: the real errno, exit 3, a results file parseable to its end --- */

Test(harden, a_file_size_limit_is_reported_and_the_results_stay_whole)
{
    /* dash's ulimit -f counts 512-byte blocks: about 150 results fit */
    struct cli_result *r = shell("(ulimit -f 100; exec $DETSIM sweep lock-order --count 2000 "
                                 "--jobs 2 --json r.jsonl --quiet)");
    cr_assert_eq(r->status, 3, "a write that failed is exit 3, not %d: %s", r->status, r->out);
    cr_assert(strstr(r->err, "cannot write 'r.jsonl': File too large"), "EFBIG: %s", r->err);
    cr_assert_eq(r->err_lines, 1, "%s", r->err);
    cr_assert_null(strstr(r->out, "all 2000 seeds ended as expected"), "%s", r->out);
    r = shell("tail -c 1 r.jsonl | od -An -c | tr -d ' '");
    cr_assert_str_eq(r->out, "\\n\n", "the file ends with a complete line");
    r = shell("$DETSIM merge r.jsonl > /dev/null; echo $?");
    cr_assert(r->out[0] == '0' || r->out[0] == '1', "every line parses: %s %s", r->out, r->err);
    r = shell("$DETSIM sweep lock-order --count 2000 --jobs 2 --json r.jsonl --resume --quiet "
              "| tail -1; tail -n +2 r.jsonl | wc -l");
    cr_assert(strstr(r->out, "of 2000 seeds did not end as expected\n2000\n"),
              "the resume completes it: %s %s", r->out, r->err);
}

Test(harden, a_full_disk_is_reported_with_its_errno)
{
    struct cli_result *r = shell("$DETSIM run lock-order --seed 4 --trace - > /dev/full");
    cr_assert_eq(r->status, 3, "--trace - to a full disk: exit %d", r->status);
    cr_assert(strstr(r->err, "No space left on device"), "%s", r->err);
    r = shell("$DETSIM sweep lock-order --count 20 --jobs 1 > /dev/full");
    cr_assert_eq(r->status, 3, "a summary to a full disk: exit %d", r->status);
    cr_assert(strstr(r->err, "cannot write standard output: No space left on device"), "%s",
              r->err);
    r = shell("$DETSIM list > /dev/full");
    cr_assert_eq(r->status, 3, "list to a full disk: exit %d", r->status);
    /* a full device of our own: a detsim that renamed over it would not take the
     * system's /dev/full with it */
    if (geteuid() == 0) {
        r = shell("mknod full c 1 7 && $DETSIM run lock-order --seed 4 --quiet "
                  "--save-repro full");
        cr_assert_eq(r->status, 3, "a repro to a full disk: exit %d", r->status);
        cr_assert(strstr(r->err, "cannot write repro file 'full': No space left on device"),
                  "the real errno, not EIO: %s", r->err);
    }
}

/* ---- 4. outputs that are not regular files --------------------------------------------- */

Test(harden, devices_fifos_and_symlinks_are_written_not_replaced)
{
    /* a FIFO: written in place, read by cat, and still a FIFO */
    struct cli_result *r = shell("mkfifo fifo && { timeout 20 cat fifo > from-fifo.txt & } && "
                                 "$DETSIM run lock-order --seed 4 --trace fifo --quiet; "
                                 "wait; test -p fifo && echo fifo; "
                                 "grep -c mutex_lock from-fifo.txt");
    cr_assert(strstr(r->out, "fifo\n4\n"), "the FIFO stays one and carries the trace: %s %s",
              r->out, r->err);
    /* a symlink: followed, so the link stays and its target gets the repro */
    r = shell("echo old > target.repro && ln -s target.repro link.repro && "
              "$DETSIM run lock-order --seed 4 --quiet --save-repro link.repro && "
              "test -L link.repro && echo link; grep -c '^scenario = lock-order' target.repro");
    cr_assert(strstr(r->out, "link\n1\n"), "the link stays, its target is written: %s %s",
              r->out, r->err);
    /* a dangling symlink: its target is made */
    r = shell("ln -s made.repro dangling.repro && $DETSIM run lock-order --seed 4 --quiet "
              "--save-repro dangling.repro && test -L dangling.repro && test -f made.repro && "
              "echo made");
    cr_assert(strstr(r->out, "made\n"), "%s %s", r->out, r->err);
    /* a character device (a /dev/null of our own, when we may make one) */
    if (geteuid() == 0) {
        r = shell("mknod null c 1 3 && $DETSIM run lock-order --seed 4 --quiet --trace null "
                  "--report null && test -c null && echo device");
        cr_assert(strstr(r->out, "device\n"), "the device stays a device: %s %s", r->out,
                  r->err);
    }
    /* a directory: refused before anything runs */
    r = shell("mkdir -p dir && $DETSIM run lock-order --seed 4 --save-repro dir");
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert(strstr(r->err, "cannot write repro file 'dir': Is a directory"), "%s", r->err);
    cr_assert(!work_dir_has(".tmp."), "no temporary left behind");
}

/* ---- 5. merge refuses what is not one sweep's results -------------------------------- */

Test(harden, merge_refuses_what_is_not_one_sweeps_results)
{
    struct cli_result *r = shell("$DETSIM sweep lock-order --count 30 --json a.jsonl --quiet "
                                 "--jobs 1 >/dev/null; $DETSIM sweep ping-pong --count 5 --json "
                                 "p.jsonl --quiet --jobs 1 >/dev/null; cp a.jsonl copy.jsonl; "
                                 "mkdir -p d; : > empty.jsonl");
    r = shell("$DETSIM merge a.jsonl a.jsonl");
    cr_assert_eq(r->status, 2, "the same file twice: exit %d, %s", r->status, r->out);
    cr_assert(strstr(r->err, "'a.jsonl' is given twice"), "%s", r->err);
    r = shell("$DETSIM merge a.jsonl ./a.jsonl");
    cr_assert_eq(r->status, 2, "the same file under two names: %s", r->out);
    r = shell("$DETSIM merge a.jsonl copy.jsonl");
    cr_assert_eq(r->status, 2, "a copy: every seed twice: %s", r->out);
    cr_assert(strstr(r->err, "copy.jsonl:2: seed 0 was read already"), "%s", r->err);
    r = shell("$DETSIM merge a.jsonl p.jsonl");
    cr_assert_eq(r->status, 2, "two scenarios: %s", r->out);
    cr_assert(strstr(r->err, "cannot merge results of different sweeps: scenario lock-order in "
                             "a.jsonl, ping-pong in p.jsonl"), "%s", r->err);
    r = shell("$DETSIM merge d");
    cr_assert_eq(r->status, 2, "a directory: %s", r->out);
    cr_assert(strstr(r->err, "cannot read results file 'd': Is a directory"), "%s", r->err);
    r = shell("$DETSIM merge empty.jsonl");
    cr_assert_eq(r->status, 2, "an empty file: %s", r->out);
    cr_assert(strstr(r->err, "'empty.jsonl' holds no results"), "%s", r->err);
    cr_assert_eq(r->err_lines, 1, "%s", r->err);
}

/* ---- 6. resume checks what it continues, in linear time ------------------------------ */

Test(harden, resume_refuses_other_settings_and_names_the_difference)
{
    struct cli_result *r = shell("$DETSIM sweep ipc-workload --count 10 --json r.jsonl "
                                 "--quiet --jobs 1 > /dev/null; "
                                 "$DETSIM sweep ipc-workload --count 20 --json r.jsonl --resume "
                                 "--quiet --set infallible=true --fault 'model/*:p=0.5'");
    cr_assert_eq(r->status, 2, "other settings: exit %d, %s", r->status, r->out);
    cr_assert(strstr(r->err, "cannot resume 'r.jsonl': --set (none) in r.jsonl, "
                             "infallible=true in this sweep"), "%s", r->err);
    r = shell("$DETSIM sweep ipc-workload --count 20 --json r.jsonl --resume --quiet "
              "--fault 'model/*:p=0.5'");
    cr_assert_eq(r->status, 2, "%s", r->out);
    cr_assert(strstr(r->err, "--fault (none) in r.jsonl, 'model/*:p=0.5' in this sweep"), "%s",
              r->err);
    r = shell("$DETSIM sweep ipc-workload --count 20 --json r.jsonl --resume --quiet "
              "--strategy rr");
    cr_assert(strstr(r->err, "strategy portfolio in r.jsonl, rr in this sweep"), "%s", r->err);
    r = shell("$DETSIM sweep ipc-workload --count 20 --json r.jsonl --resume --quiet "
              "--set infallible=false --jobs 1");
    cr_assert_eq(r->status, 0, "a default given explicitly is the same sweep: %s", r->err);
    cr_assert(strstr(r->out, "10 already done"), "%s", r->out);
    /* a result appended twice */
    r = shell("tail -1 r.jsonl >> r.jsonl; $DETSIM sweep ipc-workload --count 30 --json r.jsonl "
              "--resume --quiet");
    cr_assert_eq(r->status, 2, "%s", r->out);
    cr_assert(strstr(r->err, "r.jsonl:22: seed 19 is there twice"), "%s", r->err);
}

/* The done seeds are a hash set: 200,000 of them cost a fraction of a second to skip,
 * where a scan per seed cost hours. (The timeout is a guard, not a measurement.) */
Test(harden, resume_skips_what_is_done_in_linear_time)
{
    struct cli_result *r = shell(
        "$DETSIM sweep lock-order --count 1 --json h.jsonl --quiet > /dev/null; "
        "head -1 h.jsonl > big.jsonl && awk 'BEGIN { for (i = 0; i < 200000; i++) "
        "printf \"{\\\"scenario\\\":\\\"lock-order\\\",\\\"seed\\\":%%d,"
        "\\\"outcome\\\":\\\"pass\\\","
        "\\\"expected\\\":true,\\\"steps\\\":1,\\\"vtime_ns\\\":1,\\\"hash\\\":\\\"0x1\\\","
        "\\\"signature\\\":\\\"0x2\\\",\\\"signature_text\\\":\\\"\\\",\\\"replay\\\":\\\"x\\\","
        "\\\"fired\\\":{}}\\n\", i }' >> big.jsonl && "
        "$DETSIM sweep lock-order --count 200001 --json big.jsonl --resume --quiet --jobs 1; "
        "tail -n +2 big.jsonl | wc -l");
    cr_assert(strstr(r->out, "200000 already done"), "%s %s", r->out, r->err);
    cr_assert(strstr(r->out, "  pass           200000\n"), "%s", r->out);
    cr_assert(strstr(r->out, "\n200001\n"), "one seed ran: %s", r->out);
}

/* ---- 7. run, replay and shrink survive the scenario's C code --------------------------- */

Test(harden, a_crash_in_run_is_reported_with_its_place_and_a_repro)
{
    static struct in_process r;
    const char *args[] = {"test-c-null", "--seed", "0", "--save-repro", "x.repro", NULL};
    run_in_process(&r, cli_run, args);
    cr_assert_eq(r.status, 1, "a crash is an unexpected outcome, not a signal: %d, %s",
                 r.status, r.err);
    cr_assert(strstr(r.out, CRASH_TEXT("CRASH: the scenario's C code died of signal 11 "
                                       "(Segmentation fault) at step ")), "%s", r.out);
    cr_assert(strstr(r.out, ", in pid 2"), "the pid it happened in: %s", r.out);
    cr_assert(strstr(r.out, "scenario=test-c-null seed=0 outcome=crash steps="), "%s", r.out);
    cr_assert(strstr(r.out, "replay: detsim run test-c-null --seed 0\n"), "%s", r.out);
    cr_assert(strstr(r.out, "repro:  x.repro"), "%s", r.out);
    cr_assert(strstr(r.err, "detsim: outcome crash, expected pass"), "%s", r.err);
    cr_assert(!work_dir_has(".tmp."), "no temporary left behind");
    struct cli_result *c = shell("grep -c 'expect_outcome = crash' x.repro");
    cr_assert_str_eq(c->out, "1\n", "the repro records the crash");
    /* its replay crashes the same way, and says it matches */
    const char *replay[] = {"x.repro", "--quiet", NULL};
    run_in_process(&r, cli_replay, replay);
    cr_assert_eq(r.status, 0, "%d %s %s", r.status, r.out, r.err);
    cr_assert(strstr(r.out, "replay: outcome crash matches"), "%s", r.out);
    /* there is no schedule to shrink */
    const char *shrink[] = {"x.repro", NULL};
    run_in_process(&r, cli_shrink, shrink);
    cr_assert_eq(r.status, 2, "%d %s %s", r.status, r.out, r.err);
    cr_assert(strstr(r.err, "x.repro: the run does not end with an outcome (CRASH:"), "%s", r.err);
    /* without --save-repro, the repro goes where a sweep's would */
    const char *plain[] = {"test-c-null", NULL};
    run_in_process(&r, cli_run, plain);
    cr_assert(strstr(r.out, "repro:  reports/out/repro/test-c-null-"), "%s", r.out);
}

Test(harden, exit_in_scenario_code_is_a_scenario_error_not_exit_3)
{
    static struct in_process r;
    const char *args[] = {"test-c-exit", NULL};
    run_in_process(&r, cli_run, args);
    cr_assert_eq(r.status, 1, "exit(3) in a scenario is not detsim's exit 3: %d", r.status);
    cr_assert(strstr(r.out, CRASH_TEXT("CRASH: the scenario's C code called exit(3) at step ")),
              "%s", r.out);
    cr_assert(strstr(r.out, "outcome=crash"), "%s", r.out);
}

Test(harden, a_spin_in_c_is_a_timeout_of_run_and_replay)
{
    static struct in_process r;
    const char *args[] = {"test-c-loop", "--time-limit", "1", "--save-repro", "spin.repro", NULL};
    run_in_process(&r, cli_run, args);
    cr_assert_eq(r.status, 1, "%d %s %s", r.status, r.out, r.err);
    cr_assert(strstr(r.out, "TIMEOUT: the run went past 1 s of wall-clock time at step "), "%s",
              r.out);
    cr_assert(strstr(r.out, "outcome=timeout"), "%s", r.out);
    const char *replay[] = {"spin.repro", "--time-limit", "1", "--quiet", NULL};
    run_in_process(&r, cli_replay, replay);
    cr_assert_eq(r.status, 0, "%d %s %s", r.status, r.out, r.err);
    cr_assert(strstr(r.out, "replay: outcome timeout matches"), "%s", r.out);
}

/* A sweep's crash group gets a repro file, and its replay command reports the crash. */
Test(harden, a_sweeps_crash_group_gets_a_repro)
{
    static struct in_process r;
    const char *args[] = {"test-c-null", "--count", "3", "--jobs", "1", "--quiet", NULL};
    run_in_process(&r, cli_sweep, args);
    cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
    cr_assert(strstr(r.out, "repro:  reports/out/repro/test-c-null-"), "%s", r.out);
    struct cli_result *c = shell("grep -h 'expect_outcome\\|^seed\\|^choices' "
                                 "reports/out/repro/test-c-null-*.repro");
    cr_assert_str_eq(c->out, "seed = 0\nexpect_outcome = crash\n",
                     "a repro that replays the crash from its seed: %s", c->out);
}

/* ---- 8. no runaway process --------------------------------------------------------- */

/* The workers of a sweep whose parent is killed (SIGKILL: nothing can be caught) die
 * with it, even those spinning in C, which no pipe error would ever stop. (A dead
 * worker may stay a zombie when a subreaper above us does not reap: it runs
 * nothing.) */
Test(harden, workers_die_with_their_parent)
{
    make_work_dir();
    fflush(NULL);
    pid_t sweep = fork();
    if (sweep == 0) {
        const char *args[] = {"test-c-loop", "--count", "4", "--jobs", "2", "--time-limit", "60",
                              "--quiet", NULL};
        if (chdir(work_dir) != 0 || !freopen("/dev/null", "w", stdout))
            _exit(99);
        _exit(cli_sweep(8, (char **)args));
    }
    sleep(1);
    struct cli_result *r = shell("kids=$(ps -o pid= --ppid %d); kill -9 %d; sleep 0.5; "
                                 "echo kids $kids; for k in $kids; do "
                                 "s=$(ps -o stat= -p $k); case \"$s\" in ''|Z*) ;; "
                                 "*) echo alive $k $s; kill -9 $k;; esac; done; true",
                                 (int)sweep, (int)sweep);
    waitpid(sweep, NULL, 0);
    cr_assert(strlen(r->out) > strlen("kids \n"), "the sweep had workers: %s", r->out);
    cr_assert_null(strstr(r->out, "alive"), "no worker outlives its parent: %s", r->out);
}

/* SIGTERM, as SIGINT, ends a sweep with its summary and the command that resumes it;
 * the resume then completes it. */
Test(harden, sigterm_ends_a_sweep_with_its_summary_and_resume_command)
{
    struct cli_result *r = shell(
        "$DETSIM sweep ping-pong --count 3000 --jobs 2 --set rounds=2000 --json t.jsonl "
        "--quiet > out.txt 2> err.txt & pid=$!; sleep 1; kids=$(ps -o pid= --ppid $pid); "
        "kill -TERM $pid; wait $pid; echo status $?; sleep 0.3; "
        "for k in $kids; do s=$(ps -o stat= -p $k); case \"$s\" in ''|Z*) ;; "
        "*) echo alive $k $s;; esac; done; cat out.txt");
    cr_assert(strstr(r->out, "status 1\n"), "interrupted: exit 1: %s", r->out);
    cr_assert_null(strstr(r->out, "alive"), "its workers are gone: %s", r->out);
    cr_assert(strstr(r->out, "result: all "), "the summary of what ran: %s", r->out);
    cr_assert(strstr(r->out, "interrupted by signal 15 after "), "%s", r->out);
    const char *resume = strstr(r->out, "resume: detsim sweep ping-pong --count 3000 --jobs 2 "
                                        "--set rounds=2000 --json t.jsonl --quiet --resume\n");
    cr_assert_not_null(resume, "the exact command: %s", r->out);
    r = shell("$DETSIM sweep ping-pong --count 3000 --jobs 2 --set rounds=2000 --json t.jsonl "
              "--quiet --resume | tail -1; tail -n +2 t.jsonl | wc -l");
    cr_assert_str_eq(r->out, "result: all 3000 seeds ended as expected\n3000\n", "%s %s",
                     r->out, r->err);
}

/* A seed that spins in C is stopped by its worker's own alarm and costs that seed: no
 * other seed is run twice (a batch was killed whole and rerun seed by seed). */
Test(harden, a_timed_out_seed_costs_one_seed_not_a_batch)
{
    static struct in_process r;
    char log[300];
    make_work_dir();
    snprintf(log, sizeof log, "%s/runs.log", work_dir);
    setenv("DETSIM_TEST_LOG", log, 1);
    unlink(log);
    /* random: no probe runs (the portfolio's PCT measures K first) to count */
    const char *args[] = {"test-c-noted", "--count", "40", "--jobs", "1", "--time-limit", "1",
                          "--quiet", "--strategy", "random", NULL};
    run_in_process(&r, cli_sweep, args);
    cr_assert(strstr(r.out, "  timeout"), "%s %s", r.out, r.err);
    struct cli_result *c = shell("wc -l < runs.log; sort runs.log | uniq -d | wc -l");
    long runs = -1, twice = -1;
    sscanf(c->out, "%ld %ld", &runs, &twice);
    cr_assert_eq(twice, 0, "no seed ran twice: %s", c->out);
    cr_assert_eq(runs, 40, "each of the 40 seeds ran once: %s", c->out);
}

/* ---- 9. memory that does not grow with the sweep ---------------------------------------- */

/* A sweep keeps counts and failure groups, not every result: 60,000 seeds cost what
 * 1,000 do. */
Test(harden, a_sweeps_memory_does_not_grow_with_its_seeds)
{
    static struct in_process small, large;
    const char *a[] = {"lock-order", "--count", "1000", "--jobs", "2", "--quiet", NULL};
    const char *b[] = {"lock-order", "--count", "60000", "--jobs", "2", "--quiet", NULL};
    run_in_process(&small, cli_sweep, a);
    run_in_process(&large, cli_sweep, b);
    cr_assert(strstr(large.out, "of 60000 seeds did not end as expected"), "%s", large.out);
    cr_assert_gt(small.maxrss_self_kb, 0);
    cr_assert_lt(large.maxrss_self_kb - small.maxrss_self_kb, 8 * 1024,
                 "60,000 seeds: %ld KiB, 1,000: %ld KiB", large.maxrss_self_kb,
                 small.maxrss_self_kb);
}

/* A worker whose memory grows (scenario code that keeps 64 MiB a seed) hands its
 * share to a fresh one: 20 seeds never make a 1.3 GB worker. */
Test(harden, a_leaking_scenario_does_not_grow_a_worker_without_bound)
{
    static struct in_process r;
    const char *args[] = {"test-c-hoarder", "--count", "20", "--jobs", "1", "--quiet", NULL};
    run_in_process(&r, cli_sweep, args);
    cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
    cr_assert(strstr(r.out, "result: all 20 seeds ended as expected"), "%s", r.out);
    cr_assert_gt(r.maxrss_children_kb, 64 * 1024, "a worker held a seed's 64 MiB at least");
    cr_assert_lt(r.maxrss_children_kb, 700 * 1024, "the largest worker: %ld KiB",
                 r.maxrss_children_kb);
}

/* ---- 10. messages ----------------------------------------------------------------------- */

Test(harden, an_unwritable_repro_directory_is_one_line_with_the_real_errno)
{
    const char *reports[] = {"", "--report"}; /* the page's error was its own line too */
    for (int i = 0; i < 2; i++) {
        struct cli_result *r = shell("mkdir -p reports && rm -rf reports/out && touch "
                                     "reports/out && $DETSIM sweep lock-order --count 200 "
                                     "--jobs 2 --quiet %s; s=$?; rm -f reports/out; exit $s",
                                     reports[i]);
        cr_assert_eq(r->status, 3, "%s: a write that failed is exit 3: %s", reports[i], r->err);
        cr_assert_eq(r->err_lines, 1, "%s: one line, not one per failing seed: %s", reports[i],
                     r->err);
        cr_assert(strstr(r->err, "cannot write repro files in reports/out/repro: Not a "
                                 "directory"), "%s: %s", reports[i], r->err);
    }
}

Test(harden, a_bad_junit_path_is_found_before_anything_runs)
{
    struct cli_result *r = shell("$DETSIM sweep lock-order --count 5 --junit no/such/dir/j.xml");
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert(strstr(r->err, "cannot write 'no/such/dir/j.xml': No such file or directory"), "%s",
              r->err);
    cr_assert_null(strstr(r->out, "sweep lock-order:"), "nothing ran: %s", r->out);
}

Test(harden, replay_says_what_it_could_not_read_and_how_many_choices_it_used)
{
    /* a folder is a corpus (replay DIR): one without repro files is bad input */
    struct cli_result *r = shell("mkdir -p somedir && $DETSIM replay somedir");
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert(strstr(r->err, "no repro files (*.repro) in 'somedir'"), "%s", r->err);
    r = shell("chmod 000 somedir && $DETSIM replay somedir; s=$?; chmod 755 somedir; exit $s");
    if (getuid() != 0) { /* root reads any folder */
        cr_assert_eq(r->status, 2, "%s", r->err);
        cr_assert(strstr(r->err, "cannot read folder 'somedir': Permission denied"), "%s", r->err);
    }
    r = shell("$DETSIM run lock-order --seed 0 --expect hang-deadlock --save-repro lo.repro "
              "--quiet > /dev/null && awk 'BEGIN { for (i = 0; i < 10000; i++) { printf "
              "\"choices =\"; for (j = 0; j < 10; j++) printf \" s2:1\"; print \"\" } }' "
              ">> lo.repro && "
              "$DETSIM replay lo.repro --quiet");
    cr_assert(strstr(r->out, "; 12 of 100012 recorded choices fed back"), "%s %s", r->out, r->err);
}

Test(harden, a_duration_near_its_maximum_is_refused_not_wrapped)
{
    struct cli_result *r = shell("$DETSIM run stress-group-teardown --quiet "
                                 "--set sleep=18446744073709551615ns");
    cr_assert_eq(r->status, 2, "%s %s", r->out, r->err);
    cr_assert(strstr(r->err, "bad value for sleep: 18446744073709551615ns is out of range"), "%s",
              r->err);
    r = shell("$DETSIM run stress-group-teardown --quiet --set sleep=4611686018427387903ns");
    cr_assert_eq(r->status, 0, "the longest sleep taken does not wrap: %s %s", r->out, r->err);
}

/* Two scenarios of one name would make scenario_find pick one silently (the tests'
 * own included). */
Test(harden, scenario_names_are_unique)
{
    const struct scenario *const *list;
    size_t count = scenario_list(&list);
    for (size_t i = 1; i < count; i++) {
        char a[64], b[64];
        cr_assert_str_neq(scenario_name(list[i - 1], a), scenario_name(list[i], b),
                          "scenario %s is registered twice", a);
    }
}

/* ---- found while splitting the sweep ------------------------------------------------ */

/* Resuming another scenario's results read the records it had just freed. */
Test(harden, resuming_another_scenarios_results_is_refused_not_a_crash)
{
    struct cli_result *r = shell("$DETSIM sweep lock-order --count 5 --json lo.jsonl --quiet "
                                 "> /dev/null; $DETSIM sweep ping-pong --count 5 --json "
                                 "lo.jsonl --resume --quiet");
    expect_no_crash(r, "sweep ping-pong --resume of lock-order results");
    cr_assert_eq(r->status, 2, "%s %s", r->out, r->err);
    cr_assert(strstr(r->err, "cannot resume 'lo.jsonl': scenario lock-order in lo.jsonl, "
                             "ping-pong in this sweep"), "%s", r->err);
}

/* A run that crashes whatever N is ended the fail-nth loop never: a crash counted as
 * reaching N. Now it counts only when a fault fired first. */
Test(harden, the_fail_nth_loop_ends_when_every_run_crashes)
{
    static struct in_process r;
    const char *args[] = {"test-c-null", "--fail-nth", "model/heap/alloc", NULL};
    run_in_process(&r, cli_sweep, args);
    cr_assert_eq(r.status, 0, "%d %s %s", r.status, r.out, r.err);
    cr_assert(strstr(r.out, CRASH_TEXT("  N=1     crash          CRASH: the scenario's C code "
                                       "died of signal # (Segmentation fault) at step #")),
              "%s", r.out);
    cr_assert(strstr(r.out, ", before any fault fired: not reached; done\n"), "%s", r.out);
}

/* Under the preload of tests/fault_preload.c (make test passes it; not under a
 * sanitizer, whose runtime must come first). */
static const char *preload(void)
{
    static char absolute[4096];
    const char *path = getenv("DETSIM_PRELOAD");
    if (!path || !path[0])
        cr_skip_test("no DETSIM_PRELOAD (a sanitizer build)");
    char cwd[2048] = "";
    if (path[0] != '/')
        cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(absolute, sizeof absolute, "%s%s%s", cwd, cwd[0] ? "/" : "", path);
    return absolute;
}

/* A refused fork said "internal error: out of memory" and ran nothing; the pool now
 * names the error, goes on with the workers it has, and when none can start stops
 * without touching a worker it already reaped. */
Test(harden, a_refused_fork_is_named_and_the_pool_goes_on_without_it)
{
    const char *lib = preload();
    struct cli_result *r = shell("$DETSIM sweep lock-order --count 100 --jobs 2 --quiet "
                                 "> plain.txt; LD_PRELOAD=%s DETSIM_FAIL=fork:2 $DETSIM sweep "
                                 "lock-order --count 100 --jobs 2 --quiet | cmp - plain.txt && "
                                 "echo same", lib);
    cr_assert_str_eq(r->out, "same\n", "one worker fewer, the same result: %s %s", r->out,
                     r->err);
    r = shell("LD_PRELOAD=%s DETSIM_FAIL=fork:1+ $DETSIM sweep lock-order --count 100 "
              "--jobs 2 --quiet", lib);
    cr_assert_eq(r->status, 3, "no worker at all: %s %s", r->out, r->err);
    cr_assert(strstr(r->err, "cannot start a worker process: Resource temporarily "
                             "unavailable"), "%s", r->err);
    /* a replacement that cannot start, after a seed timed out */
    r = shell("LD_PRELOAD=%s DETSIM_FAIL=fork:2+ $DETSIM sweep ping-pong --count 4 --jobs 1 "
              "--strategy random --set rounds=100000000 --set max_steps=100000000000 --time-limit 1 "
              "--json t.jsonl --quiet; echo status $?; tail -n +2 t.jsonl | grep -c timeout",
              lib);
    cr_assert(strstr(r->out, "  timeout        1\n"), "the seed that ran: %s", r->out);
    cr_assert(strstr(r->out, "status 3\n1\n"), "%s %s", r->out, r->err);
    cr_assert(strstr(r->err, "cannot start a worker process: Resource temporarily "
                             "unavailable"), "%s", r->err);
}
