/* Sweeps: forked workers that survive crashes and timeouts, JSON Lines results with
 * resume, shards merged through GNU parallel, JUnit, and bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "reports/sweep.h"
#include "sim/sys.h"

/* Crashes the C code itself on about half the seeds. */
SCENARIO(test_crashy, "test: a scenario whose C code crashes on some seeds", NULL)
{
    if (sys_choose(2))
        raise(SIGSEGV);
}

/* Loops forever in C, outside any sys_* call, on some seeds: only a wall-clock
 * limit can stop it. */
SCENARIO(test_stuck, "test: a scenario that never returns to the scheduler", NULL)
{
    if (sys_choose(4) == 0)
        for (volatile int spin = 1; spin;)
            ;
}

struct captured {
    int status;
    char out[16384];
    char err[1024];
};

/* Runs command (cli_sweep, cli_merge) in a child with stdout to a file: a sweep
 * forks workers itself. */
static void run_command(struct captured *c, int (*command)(int, char **),
                        const char *const *args)
{
    char path[] = "/tmp/detsim-sweep-XXXXXX", err_path[] = "/tmp/detsim-sweep-err-XXXXXX";
    int fd = mkstemp(path), err_fd = mkstemp(err_path);
    cr_assert(fd >= 0 && err_fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(err_fd, 2);
        char *argv[80];
        int argc = 0;
        while (args[argc]) {
            if (argc == 79)
                _exit(99); /* the test's own argument list is too long */
            argv[argc] = (char *)args[argc];
            argc++;
        }
        int status = command(argc, argv);
        fflush(stdout);
        _exit(status);
    }
    int raw;
    waitpid(pid, &raw, 0);
    c->status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    FILE *f = fopen(path, "r");
    size_t n = fread(c->out, 1, sizeof c->out - 1, f);
    c->out[n] = '\0';
    fclose(f);
    f = fopen(err_path, "r");
    n = fread(c->err, 1, sizeof c->err - 1, f);
    c->err[n] = '\0';
    fclose(f);
    close(fd);
    close(err_fd);
    unlink(path);
    unlink(err_path);
}

static void run_sweep(struct captured *c, const char *const *args)
{
    run_command(c, cli_sweep, args);
}

/* Whether xmllint finds the JUnit report at path valid against tests/junit.xsd (the
 * tests run from the top of the tree, as make test starts them). */
static void assert_valid_junit(const char *path)
{
    char command[512];
    snprintf(command, sizeof command, "xmllint --noout --schema tests/junit.xsd '%s' 2>&1 | "
             "grep -qx '%s validates'", path, path);
    cr_assert_eq(system(command), 0, "xmllint --schema tests/junit.xsd %s", path);
}

/* The file at path, whole, in a static buffer. */
static const char *slurp(const char *path)
{
    static char text[262144];
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

Test(sweep, crashing_seeds_are_recorded_and_the_others_complete)
{
    static struct captured c;
    const char *args[] = {"test-crashy", "--count", "40", "--jobs", "2", "--quiet", NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 1, "%s", c.out);
    cr_assert(strstr(c.out, "sweep test-crashy: 40 seeds"), "%s", c.out);
    cr_assert(strstr(c.out, "  crash"), "%s", c.out);
    cr_assert(strstr(c.out, "  pass"), "%s", c.out);
    cr_assert(strstr(c.out, "CRASH: the worker died of signal # (Segmentation fault)"), "%s", c.out);
    cr_assert(strstr(c.out, "replay: detsim run test-crashy --seed "), "%s", c.out);
}

Test(sweep, a_seed_past_its_time_limit_is_a_timeout)
{
    static struct captured c;
    const char *args[] = {"test-stuck", "--count", "8", "--jobs", "2", "--time-limit", "1",
                          "--quiet", NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 1, "%s", c.out);
    cr_assert(strstr(c.out, "  timeout"), "%s", c.out);
    cr_assert(strstr(c.out, "  pass"), "%s", c.out);
}

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    for (int ch; (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    fclose(f);
    return n;
}

static char work[64];

static void setup_work(void)
{
    snprintf(work, sizeof work, "/tmp/detsim-sweep-dir-XXXXXX");
    cr_assert_not_null(mkdtemp(work));
}

static void cleanup_work(void)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", work);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", work);
}

TestSuite(sweep_files, .init = setup_work, .fini = cleanup_work);

Test(sweep_files, an_interrupted_sweep_resumes_to_the_same_results)
{
    static struct captured whole, resumed;
    char full[128], part[128];
    snprintf(full, sizeof full, "%s/full.jsonl", work);
    snprintf(part, sizeof part, "%s/part.jsonl", work);
    const char *a[] = {"lock-order", "--count", "60", "--json", full, "--quiet", NULL};
    run_sweep(&whole, a);
    cr_assert_eq(count_lines(full), 61, "a header and 60 results");
    /* An interrupted sweep: 25 results, and a last line cut off mid-write. */
    char command[700];
    snprintf(command, sizeof command, "head -26 %s > %s && head -27 %s | tail -1 | cut -c1-30 | tr -d '\\n' >> %s",
             full, part, full, part);
    cr_assert_eq(system(command), 0);
    const char *b[] = {"lock-order", "--count", "60", "--json", part, "--resume", "--quiet", NULL};
    run_sweep(&resumed, b);
    cr_assert(strstr(resumed.out, "25 already done"), "%s", resumed.out);
    cr_assert_eq(count_lines(part), 61, "every seed once, the cut-off line dropped");
    cr_assert_eq(whole.status, resumed.status);
    /* the summaries agree (after the header line) */
    cr_assert_str_eq(strchr(whole.out, '\n'), strchr(resumed.out, '\n'));
}

Test(sweep_files, shards_through_gnu_parallel_merge_to_the_unsharded_result)
{
    const char *bin = getenv("DETSIM_BIN") ? getenv("DETSIM_BIN") : "build/detsim";
    char cwd[512], command[2048];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(command, sizeof command,
             "cd %s && B=%s/%s && "
             "{ $B sweep lock-order --count 120 --jobs 1 --quiet | tail -n +2 > whole.txt; true; } && "
             "parallel -j 2 \"$B sweep lock-order --count 120 --jobs 1 --quiet --shard {}/3 "
             "--json shard{}.jsonl > /dev/null; true\" ::: 1 2 3 && "
             "{ $B merge shard1.jsonl shard2.jsonl shard3.jsonl | tail -n +2 > merged.txt; true; } && "
             "cmp whole.txt merged.txt && "
             "test $(cat shard1.jsonl shard2.jsonl shard3.jsonl | wc -l) -eq 123",
             work, bin[0] == '/' ? "" : cwd, bin);
    int status = system(command);
    char show[300];
    snprintf(show, sizeof show, "cd %s && diff whole.txt merged.txt; head -3 whole.txt", work);
    if (status != 0 && system(show) != 0)
        fprintf(stderr, "(diff shown above)\n");
    cr_assert_eq(status, 0, "the merged shards equal the unsharded sweep");
}

/* The GNU parallel recipe of docs/commands.md, as it is written there (with a
 * smaller sweep), run twice: the second run resumes every shard and runs nothing. Its
 * merge equals the unsharded sweep, exits as it does, and writes a valid JUnit. */
Test(sweep_files, the_gnu_parallel_recipe_resumes_and_merges_to_the_unsharded_result)
{
    const char *bin = getenv("DETSIM_BIN") ? getenv("DETSIM_BIN") : "build/detsim";
    char cwd[512], command[4096];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(command, sizeof command,
             "sed -n '/^<!-- recipe: gnu-parallel/,/^```$/p' docs/commands.md | "
             "sed '1,2d;$d' | sed 's|^DETSIM=build/detsim SHARDS=8|DETSIM=%s%s%s SHARDS=3|; "
             "s|--count 2000|--count 12|' > %s/recipe.sh && "
             "grep -q 'parallel --jobs' %s/recipe.sh && grep -q -- '--count 12' %s/recipe.sh",
             bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, work, work, work);
    cr_assert_eq(system(command), 0, "the recipe is in docs/commands.md");
    snprintf(command, sizeof command,
             "cd %s && B=%s%s%s && "
             "{ $B sweep ktest-channel-exhaustion --variant all --count 12 --jobs 1 --quiet "
             "> whole.txt; echo $? > whole.status; } && "
             "{ sh recipe.sh; echo $? > first.status; } && "
             "{ sh recipe.sh; echo $? > second.status; } && "
             "cmp whole.status second.status && cmp first.status second.status && "
             "tail -n +2 whole.txt > whole.table && tail -n +2 merged.txt > merged.table && "
             "cmp whole.table merged.table && "
             "grep -q '^merge: 72 seeds from 3 files$' merged.txt && "
             "grep -q 'declared      verdict$' merged.txt && "
             "grep -q '^sweep ktest-channel-exhaustion: 4 seeds (0..11, shard 2/3) x 6 "
             "configurations, 24 already done' shard2.log && "
             "test $(tail -n +2 merged.jsonl | wc -l) -eq 72 && "
             "test $(wc -l < shard1.jsonl) -eq 25 && "
             /* the merged file, as Python writes it back: "key": value, keys sorted */
             "python3 -c 'import json, sys\n"
             "for line in sys.stdin: print(json.dumps(json.loads(line), sort_keys=True))' "
             "< merged.jsonl > python.jsonl && grep -q '\"seed\": \"0\"' python.jsonl && "
             "{ $B merge python.jsonl > python.txt; echo $? > python.status; } && "
             "cmp whole.status python.status && tail -n +2 python.txt | cmp - whole.table",
             work, bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin);
    int status = system(command);
    char show[300];
    snprintf(show, sizeof show, "cd %s && cat recipe.sh *.status; diff whole.table merged.table; "
             "cat shard2.log", work);
    if (status != 0 && system(show) != 0)
        fprintf(stderr, "(shown above)\n");
    cr_assert_eq(status, 0, "the recipe's merge equals the unsharded sweep");
    char merged[160];
    snprintf(merged, sizeof merged, "%s/merged.xml", work);
    assert_valid_junit(merged);
    cr_assert(strstr(slurp(merged), " tests=\"78\" failures=\"0\" errors=\"0\" skipped=\"0\""),
              "72 seeds and 6 verdicts: %s", slurp(merged));
}

/* The testcases of a JUnit report: from the first to the end of the last. */
static void testcases_of(const char *xml, char *out, size_t bytes)
{
    const char *first = strstr(xml, "    <testcase"), *end = strstr(xml, "    <system-out/>");
    cr_assert(first && end && first < end, "%s", xml);
    snprintf(out, bytes, "%.*s", (int)(end - first), first);
}

Test(sweep_files, junit_is_valid_sorted_by_seed_and_shows_the_report)
{
    static struct captured c;
    static char one[65536], two[65536];
    char junit[128], junit2[128], crash[128];
    snprintf(junit, sizeof junit, "%s/results.xml", work);
    snprintf(junit2, sizeof junit2, "%s/results2.xml", work);
    snprintf(crash, sizeof crash, "%s/crash.xml", work);
    const char *args[] = {"lock-order", "--count", "30", "--jobs", "1", "--junit", junit,
                          "--quiet", NULL};
    run_sweep(&c, args);
    const char *args2[] = {"lock-order", "--count", "30", "--jobs", "3", "--junit", junit2,
                           "--quiet", NULL};
    run_sweep(&c, args2);
    assert_valid_junit(junit);
    assert_valid_junit(junit2);
    const char *xml = slurp(junit);
    testcases_of(xml, one, sizeof one);
    cr_assert(strstr(xml, "<testsuites name=\"detsim\" tests=\"30\" failures=\""), "%s", xml);
    cr_assert(strstr(xml, " errors=\"0\" skipped=\"0\" time=\""), "%s", xml);
    /* the report as it is, numbers and all, not the signature */
    cr_assert(strstr(xml, ">HANG (deadlock) at step 1"), "%s", xml);
    cr_assert(strstr(xml, "Blocked tasks:\n"), "%s", xml);
    cr_assert(strstr(xml, "replay: detsim run lock-order --seed 0</failure>"), "%s", xml);
    /* by seed, whatever the number of workers */
    testcases_of(slurp(junit2), two, sizeof two);
    cr_assert_str_eq(one, two, "--jobs 1 and --jobs 3 list the same testcases in order");
    long last = -1, count = 0;
    for (const char *p = one; (p = strstr(p, " name=\"seed ")); p++, count++) {
        long seed = strtol(p + strlen(" name=\"seed "), NULL, 10);
        cr_assert_gt(seed, last, "seed %ld after seed %ld", seed, last);
        last = seed;
    }
    cr_assert_eq(count, 30);
    /* a crash is an error, not a failure */
    const char *crashy[] = {"test-crashy", "--count", "20", "--jobs", "2", "--junit", crash,
                            "--quiet", NULL};
    run_sweep(&c, crashy);
    assert_valid_junit(crash);
    xml = slurp(crash);
    cr_assert(strstr(xml, "<error message=\"CRASH: the worker died of signal 11"), "%s", xml);
    cr_assert(strstr(xml, "type=\"crash\">"), "%s", xml);
    cr_assert_null(strstr(xml, "<failure"), "%s", xml);
    cr_assert_null(strstr(xml, " errors=\"0\""), "%s", xml);
    /* a path that cannot be written: refused before any seed runs */
    const char *bad[] = {"lock-order", "--count", "30", "--junit", "/nonexistent/x.xml",
                         "--quiet", NULL};
    run_sweep(&c, bad);
    cr_assert_eq(c.status, 2, "%s", c.err);
    cr_assert_str_eq(c.err, "detsim: cannot write '/nonexistent/x.xml': No such file or "
                     "directory\n");
    cr_assert_str_eq(c.out, "", "nothing ran: %s", c.out);
}

/* A buggy variant that stopped reproducing: no shard can tell (each exits 0, its
 * JUnit skips the verdict); the merge of the shards can, and exits 1. */
Test(sweep_files, a_merge_gives_the_verdict_no_shard_could)
{
    static struct captured c;
    char json[2][128], junit[3][128];
    for (int k = 0; k < 2; k++) {
        char shard[16];
        snprintf(json[k], sizeof json[k], "%s/s%d.jsonl", work, k + 1);
        snprintf(junit[k], sizeof junit[k], "%s/s%d.xml", work, k + 1);
        snprintf(shard, sizeof shard, "%d/2", k + 1);
        const char *args[] = {"test-variants", "--variant", "stopped", "--count", "20",
                              "--shard", shard, "--json", json[k], "--junit", junit[k],
                              "--quiet", NULL};
        run_sweep(&c, args);
        cr_assert_eq(c.status, 0, "shard %s cannot judge: %s", shard, c.out);
        cr_assert(strstr(c.out, "not in this shard's seeds"), "%s", c.out);
        assert_valid_junit(junit[k]);
        const char *xml = slurp(junit[k]);
        cr_assert(strstr(xml, "name=\"stopped behaves as declared (assert)\">\n      "
                              "<skipped message=\"not reproduced in this shard's seeds"), "%s", xml);
        cr_assert(strstr(xml, " skipped=\"1\""), "%s", xml);
    }
    snprintf(junit[2], sizeof junit[2], "%s/merged.xml", work);
    const char *merge[] = {"--junit", junit[2], json[0], json[1], NULL};
    run_command(&c, cli_merge, merge);
    cr_assert_eq(c.status, 1, "the merge judges: %s %s", c.out, c.err);
    cr_assert(strstr(c.out, "merge: 20 seeds from 2 files\nconfig "), "%s", c.out);
    cr_assert(strstr(c.out, "  assert        NOT REPRODUCED\n"), "%s", c.out);
    cr_assert(strstr(c.out, "verdict: 1 of 1 configurations did not behave as declared"), "%s",
              c.out);
    assert_valid_junit(junit[2]);
    const char *xml = slurp(junit[2]);
    cr_assert(strstr(xml, "name=\"stopped behaves as declared (assert)\">\n      "
                          "<failure message=\"declared assert\""), "%s", xml);
    cr_assert(strstr(xml, "tests=\"21\" failures=\"1\" errors=\"0\" skipped=\"0\""), "%s", xml);
    /* one shard alone: not judged, said so, and no success */
    const char *one[] = {json[0], NULL};
    run_command(&c, cli_merge, one);
    cr_assert_eq(c.status, 1, "%s", c.out);
    cr_assert(strstr(c.out, "(not every shard of one sweep"), "%s", c.out);
    cr_assert(strstr(c.out, "not in this shard's seeds"), "%s", c.out);
    cr_assert(strstr(c.out, "verdict: not known: the files are 1 of the 2 shards of 0..19"),
              "%s", c.out);
}

Test(sweep, bad_input_exits_2)
{
    static struct captured c;
    const char *cases[][8] = {
        {"lock-order", "--seeds", "9..3", NULL},
        {"lock-order", "--seeds", "x", NULL},
        {"lock-order", "--shard", "4/3", NULL},
        {"lock-order", "--shard", "0/3", NULL},
        {"lock-order", "--jobs", "0", NULL},
        {"lock-order", "--resume", NULL},
        {"nope", NULL},
        {"lock-order", "--json", "/nonexistent/dir/x.jsonl", NULL},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_sweep(&c, cases[i]);
        cr_assert_eq(c.status, 2, "case %u: %s", i, cases[i][1]);
        cr_assert(strncmp(c.err, "detsim: ", 8) == 0 && strchr(c.err, '\n') == c.err + strlen(c.err) - 1,
                  "case %u: one line on stderr: %s", i, c.err);
        cr_assert_null(strstr(c.out, "result:"), "case %u: nothing ran", i);
    }
}

Test(sweep_files, a_sweep_killed_with_sigkill_resumes_to_the_same_results)
{
    const char *bin = getenv("DETSIM_BIN") ? getenv("DETSIM_BIN") : "build/detsim";
    char cwd[512], command[2048];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    /* Wherever the kill lands (even after the end), resuming must give the same
     * summary as one uninterrupted sweep. */
    snprintf(command, sizeof command,
             "cd %s && B=%s/%s && S='sweep ping-pong --count 600 --jobs 2 --quiet --set rounds=5000' && "
             "{ $B $S --json whole.jsonl | tail -n +2 > whole.txt; } && "
             "{ $B $S --json killed.jsonl > /dev/null & pid=$!; sleep 0.2; kill -9 $pid; wait $pid 2>/dev/null; wc -l < killed.jsonl > cut.txt; true; } 2>/dev/null && "
             "{ $B $S --json killed.jsonl --resume | tail -n +2 > resumed.txt; } && "
             "cmp whole.txt resumed.txt && test $(wc -l < killed.jsonl) -eq 601",
             work, bin[0] == '/' ? "" : cwd, bin);
    cr_assert_eq(system(command), 0, "resumed after SIGKILL = uninterrupted");
}

Test(sweep, fail_nth_terminates_and_reports_every_n)
{
    static struct captured c;
    const char *args[] = {"ipc-workload", "--fail-nth", "model/heap/alloc", "--set", "check=true",
                          NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 0, "every N handled: %s", c.out);
    cr_assert(strstr(c.out, "fail-nth ipc-workload: model/heap/alloc, transient"), "%s", c.out);
    long reported = 0;
    for (const char *p = c.out; (p = strstr(p, "  N=")); p++)
        reported++;
    const char *end = strstr(c.out, "not reached: the run made ");
    cr_assert_not_null(end, "%s", c.out);
    long hits = atol(end + strlen("not reached: the run made "));
    cr_assert_gt(hits, 20, "the workload allocates");
    cr_assert_eq(reported, hits + 1, "one line per N, and the last one not reached");
}

Test(sweep, fail_nth_groups_the_runs_a_failure_breaks)
{
    static struct captured c;
    /* infallible allocations under oom_policy=halt: a failed one halts the system */
    const char *args[] = {"ipc-workload", "--fail-nth", "model/heap/alloc", "--persistent",
                          "--set", "infallible=true", NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 1, "%s", c.out);
    cr_assert(strstr(c.out, "persistent (every hit from N on)"), "%s", c.out);
    cr_assert(strstr(c.out, "panic"), "%s", c.out);
    cr_assert(strstr(c.out, "replay: detsim run ipc-workload --set infallible=true --fault "
                            "'model/heap/alloc:from="),
              "the replay command carries the fault: %s", c.out);
}

Test(sweep, faults_armed_in_every_seed)
{
    static struct captured c;
    const char *args[] = {"ipc-workload", "--count", "30", "--fault", "model/chan/send:p=0.3",
                          "--set", "check=true", "--quiet", NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 0, "send failures are handled on every seed: %s", c.out);
    const char *bad[][6] = {{"ipc-workload", "--fail-nth", "model/nothing", NULL},
                            {"ipc-workload", "--fail-nth", "model/chan/send:p=1", NULL},
                            {"ipc-workload", "--fault", "model/chan/send:p=7", NULL},
                            {"ipc-workload", "--persistent", NULL}};
    for (unsigned i = 0; i < 4; i++) {
        run_sweep(&c, bad[i]);
        cr_assert_eq(c.status, 2, "case %u: %s", i, c.err);
        cr_assert(strchr(c.err, '\n') == c.err + strlen(c.err) - 1, "one line: %s", c.err);
    }
}

static const struct config_key test_variants_params[] = {
    {"fail_below", CONFIG_UINT, 0, 0, 10, "seeds whose draw (0..9) is below this fail"},
    {0},
};

/* Declarations true and false, to check the verdicts. */
static const struct scenario_variant test_variants_variants[] = {
    {"never", "never fails", "fail_below=0", "pass", NULL},
    {"lies", "always fails but declares pass", "fail_below=10", "pass", NULL},
    {"buggy", "fails on about half the seeds", "fail_below=5", "assert", "drew"},
    {"wrong-cause", "fails, but not with the declared cause", "fail_below=5", "assert", "nowhere"},
    {"stopped", "declares a failure that no longer happens", "fail_below=0", "assert", "drew"},
    {0},
};

SCENARIO_WITH_VARIANTS(test_variants, "test: fails when a draw is below fail_below",
                       test_variants_params, test_variants_variants)
{
    uint64_t draw = sys_choose(10);
    sys_check(draw >= sys_param("fail_below"), "drew %llu", (unsigned long long)draw);
}

Test(sweep, variant_all_holds_every_variant_to_its_declaration)
{
    static struct captured c;
    const char *args[] = {"test-variants", "--variant", "all", "--count", "40", "--quiet", NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 1, "two declarations are false: %s", c.out);
    cr_assert(strstr(c.out, "x 5 configurations"), "%s", c.out);
    const char *rows[][2] = {{"never ", " ok"}, {"lies ", "FAILS"},
                             {"buggy ", "reproduces ("}, {"wrong-cause ", "NOT REPRODUCED"},
                             {"stopped ", "NOT REPRODUCED"}};
    for (unsigned i = 0; i < 5; i++) {
        const char *row = strstr(c.out, rows[i][0]);
        cr_assert_not_null(row, "row %s: %s", rows[i][0], c.out);
        const char *end = strchr(row, '\n');
        const char *verdict = strstr(row, rows[i][1]);
        cr_assert(verdict && verdict < end, "row %s says %s: %s", rows[i][0], rows[i][1], c.out);
    }
    cr_assert(strstr(c.out, "verdict: 3 of 5 configurations did not behave as declared"), "%s",
              c.out);
    cr_assert(strstr(c.out, "replay: detsim run test-variants --variant lies --seed 0"), "%s", c.out);

    const char *buggy[] = {"test-variants", "--variant", "buggy", "--count", "40", "--quiet", NULL};
    run_sweep(&c, buggy);
    cr_assert_eq(c.status, 0, "a buggy variant that reproduces is as declared: %s", c.out);
    cr_assert(strstr(c.out, "buggy first fails: detsim run test-variants --variant buggy --seed "),
              "%s", c.out);
    /* the declared failure is a group too, with its repro file */
    cr_assert(strstr(c.out, "failure groups (1, as declared):\n  1. "), "%s", c.out);
    cr_assert(strstr(c.out, " (declared), signature 0x"), "%s", c.out);
    cr_assert(strstr(c.out, "     replay: detsim run test-variants --variant buggy --seed "), "%s",
              c.out);
    cr_assert(strstr(c.out, "     repro:  reports/out/repro/test-variants-buggy-"), "%s", c.out);
    const char *expect[] = {"test-variants", "--variant", "buggy", "--count", "40", "--quiet",
                            "--expect", "pass", NULL};
    run_sweep(&c, expect);
    cr_assert_eq(c.status, 1, "--expect holds every seed to one outcome: %s", c.out);
}

/* The failure rate per value, counted here from single-value sweeps. */
Test(sweep, a_value_list_runs_each_value_over_the_same_seeds)
{
    static struct captured c;
    const char *args[] = {"test-variants", "--set", "fail_below=0,5,10", "--count", "40",
                          "--quiet", NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 1, "%s", c.out);
    cr_assert(strstr(c.out, "x 3 configurations"), "%s", c.out);
    const char *zero = strstr(c.out, "fail_below=0 "), *ten = strstr(c.out, "fail_below=10 ");
    cr_assert(zero && strstr(zero, "0.0%") < strchr(zero, '\n'), "no failures at 0: %s", c.out);
    cr_assert(ten && strstr(ten, "100.0%") < strchr(ten, '\n'), "all fail at 10: %s", c.out);
    /* the middle value fails exactly as often as its own sweep says */
    const char *five = strstr(c.out, "fail_below=5 ");
    cr_assert_not_null(five);
    long seeds, passed, failed;
    cr_assert_eq(sscanf(five, "fail_below=5 %ld %ld %ld", &seeds, &passed, &failed), 3, "%s", five);
    cr_assert_eq(seeds, 40);
    const char *single[] = {"test-variants", "--set", "fail_below=5", "--count", "40", "--quiet",
                            NULL};
    static struct captured one;
    run_sweep(&one, single);
    char want[64];
    snprintf(want, sizeof want, "result: %ld of 40 seeds", failed);
    cr_assert(strstr(one.out, want), "list row %ld failures, single sweep: %s", failed, one.out);

    const char *range[] = {"test-variants", "--set", "fail_below=0..2", "--variant", "all",
                           "--count", "10", "--quiet", NULL};
    run_sweep(&c, range);
    cr_assert(strstr(c.out, "x 15 configurations"), "5 variants x 3 values: %s", c.out);
    cr_assert(strstr(c.out, "wrong-cause fail_below=2"), "%s", c.out);
    /* variants that set fail_below keep no declaration when a list changes it */
    cr_assert_null(strstr(c.out, "verdict"), "%s", c.out);
    const char *override[] = {"test-variants", "--variant", "buggy", "--set", "fail_below=4",
                              "--count", "20", "--quiet", NULL};
    run_sweep(&c, override);
    cr_assert_eq(c.status, 1, "held to pass once its key is changed: %s", c.out);
}

Test(sweep, bad_variants_and_lists_exit_2)
{
    static struct captured c;
    const char *cases[][10] = {
        {"test-variants", "--variant", "nope", NULL},
        {"ping-pong", "--variant", "x", NULL},
        {"test-variants", "--set", "nokey=1,2", NULL},
        {"test-variants", "--set", "fail_below=1,x", NULL},
        {"test-variants", "--set", "fail_below=1,,2", NULL},
        {"test-variants", "--set", "fail_below=5..1", NULL},
        {"test-variants", "--set", "fail_below=0..11", NULL},
        {"lock-order", "--set", "ordered=false..true", NULL},
        {"lock-order", "--set", "rounds=1..1000", NULL},
        {"test-variants", "--variant", "all", "--fail-nth", "model/heap/alloc", NULL},
        {"test-variants", "--set", "fail_below=1,2", "--set", "fail_below=3", NULL},
        {"test-variants", "--set", "fail_below=1,2", "--set", "fail_below=3,4", NULL},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_sweep(&c, cases[i]);
        cr_assert_eq(c.status, 2, "case %u: %s %s: %s", i, cases[i][1], cases[i][2], c.out);
        cr_assert(strncmp(c.err, "detsim: ", 8) == 0 && strchr(c.err, '\n') == c.err + strlen(c.err) - 1,
                  "case %u: one line on stderr: %s", i, c.err);
        cr_assert_null(strstr(c.out, "result:"), "case %u: nothing ran", i);
    }
}

Test(sweep_files, a_variant_sweep_resumes_by_configuration)
{
    static struct captured c;
    char path[128];
    snprintf(path, sizeof path, "%s/r.jsonl", work);
    const char *first[] = {"test-variants", "--variant", "all", "--count", "10", "--quiet",
                           "--json", path, NULL};
    run_sweep(&c, first);
    cr_assert_eq(c.status, 1, "%s%s", c.out, c.err);
    const char *again[] = {"test-variants", "--variant", "all", "--count", "10", "--quiet",
                           "--json", path, "--resume", NULL};
    static struct captured resumed;
    run_sweep(&resumed, again);
    cr_assert(strstr(resumed.out, "50 already done"), "%s", resumed.out);
    cr_assert_eq(resumed.status, c.status, "%s\n---\n%s", c.out, resumed.out);
    /* the table is the same */
    const char *table = strstr(c.out, "config "), *table2 = strstr(resumed.out, "config ");
    cr_assert(table && table2);
    cr_assert_eq(strncmp(table, table2, (size_t)(strstr(table, "  pass") - table)), 0,
                 "same table:\n%s\n%s", table, table2);
}

/* Keeps the last record read. */
static int keep_record(void *context, const struct sweep_record *r, char *error, size_t bytes)
{
    (void)error, (void)bytes;
    *(struct sweep_record *)context = *r;
    return 0;
}

/* Reads text (a results file) into *last. Returns the records read, or -1 with the
 * reason in error. */
static long read_text(const char *text, struct sweep_record *last, char *error, size_t bytes)
{
    static struct sweep_header header;
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    cr_assert_not_null(in);
    int has_header = 0;
    struct sweep_reader reader = {NULL, keep_record, last};
    long count = sweep_read_stream(in, "t.jsonl", &header, &has_header, &reader, NULL, error,
                                   bytes);
    fclose(in);
    return count;
}

/* A results file of ipc-workload's default configuration: its header, then r. */
static void write_results(char *text, size_t bytes, const struct sweep_record *r)
{
    static struct sweep_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.scenario, sizeof h.scenario, "ipc-workload");
    snprintf(h.declared[0], sizeof h.declared[0], "pass");
    h.config_count = 1, h.last = 99, h.shard = h.shards = 1;
    FILE *out = fmemopen(text, bytes, "w");
    sweep_write_header(out, &h);
    sweep_write_json(out, r);
    fclose(out);
}

Test(sweep, json_records_carry_the_fires_of_each_failpoint)
{
    struct sweep_record r = {0}, back;
    snprintf(r.scenario, sizeof r.scenario, "ipc-workload");
    snprintf(r.outcome, sizeof r.outcome, "pass");
    snprintf(r.replay, sizeof r.replay, "detsim run ipc-workload --fault 'model/*:p=0.1' --seed 7");
    r.seed = 7;
    r.expected = 1;
    r.fired[FAULT_HEAP_ALLOC] = 3;
    r.fired[FAULT_SLOTS_HANDLES] = 12;
    char text[4096], error[512];
    write_results(text, sizeof text, &r);
    cr_assert(strstr(text, ",\"fired\":{\"model/heap/alloc\":3,\"slots/handles\":12}}\n"), "%s",
              text);
    cr_assert_eq(read_text(text, &back, error, sizeof error), 1, "%s: %s", text, error);
    cr_assert_eq(memcmp(back.fired, r.fired, sizeof r.fired), 0, "%s", text);
    cr_assert_eq(back.seed, 7);
    /* nothing fired: an empty object; a record without "fired": nothing fired */
    r.fired[FAULT_HEAP_ALLOC] = r.fired[FAULT_SLOTS_HANDLES] = 0;
    write_results(text, sizeof text, &r);
    cr_assert(strstr(text, ",\"fired\":{}}\n"), "%s", text);
    cr_assert_eq(read_text(text, &back, error, sizeof error), 1, "%s: %s", text, error);
    char *fired = strstr(text, ",\"fired\"");
    strcpy(fired, "}\n");
    back.fired[FAULT_CHAN_SEND] = 9;
    cr_assert_eq(read_text(text, &back, error, sizeof error), 1, "%s: %s", text, error);
    for (unsigned id = 0; id < FAULT_POINT_COUNT; id++)
        cr_assert_eq(back.fired[id], 0, "point %u of %s", id, text);
    const char *bad[] = {"{\"model/nothing\":1}}", "{\"model/heap/alloc\":}}",
                         "{\"model/heap/alloc\":1", "{\"model/heap/alloc\"1}}",
                         "{\"model/heap/alloc\":-1}}", "[]}"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(fired, sizeof text - (size_t)(fired - text), ",\"fired\":%s\n", bad[i]);
        cr_assert_eq(read_text(text, &back, error, sizeof error), -1, "%s", text);
        cr_assert(strncmp(error, "t.jsonl:2: ", 11) == 0, "the line number: %s", error);
    }
}

Test(sweep, the_reader_takes_any_json_and_refuses_the_rest_by_line)
{
    struct sweep_record r = {0}, back;
    snprintf(r.scenario, sizeof r.scenario, "ipc-workload");
    snprintf(r.outcome, sizeof r.outcome, "pass");
    snprintf(r.replay, sizeof r.replay, "detsim run ipc-workload --seed 18446744073709551615");
    r.seed = UINT64_MAX, r.expected = 1;
    char text[4096], error[512];
    write_results(text, sizeof text, &r);
    cr_assert(strstr(text, "\"seed\":\"18446744073709551615\""), "a decimal string: %s", text);
    /* another writer's spacing, member order and escapes */
    char *record = strchr(text, '\n') + 1;
    snprintf(record, sizeof text - (size_t)(record - text),
             "{ \"fired\" : { }, \"replay\" : \"detsim run ipc\\u002dworkload\", \"seed\" : "
             "18446744073709551 ,\n");
    cr_assert_eq(read_text(text, &back, error, sizeof error), -1, "a cut-off object: %s", text);
    cr_assert(strstr(error, "t.jsonl:2: not JSON"), "%s", error);
    snprintf(record, sizeof text - (size_t)(record - text),
             "{ \"fired\" : { }, \"replay\" : \"detsim run ipc\\u002dworkload\", \"seed\" : "
             "18446744073709551 , \"outcome\": \"pass\", \"expected\": true, \"steps\": 1, "
             "\"vtime_ns\": 2, \"hash\": \"0x3\", \"signature\": 4, \"signature_text\": \"\", "
             "\"config\": {}, \"scenario\": \"ipc-workload\"}\n\n");
    cr_assert_eq(read_text(text, &back, error, sizeof error), 1, "%s: %s", text, error);
    cr_assert_eq(back.seed, 18446744073709551ULL, "%s", text);
    cr_assert_str_eq(back.replay, "detsim run ipc-workload");
    cr_assert_eq(back.hash, 3);
    const char *bad[] = {"{\"seed\": 1}", "[1, 2]", "{\"a\": 1, \"a\": 2}", "not json",
                         "{\"detsim_results\": 2}"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(record, sizeof text - (size_t)(record - text), "\n%s\n", bad[i]);
        cr_assert_eq(read_text(text, &back, error, sizeof error), -1, "%s", bad[i]);
        cr_assert(strncmp(error, "t.jsonl:3: ", 11) == 0, "%s: %s", bad[i], error);
    }
}

/* Sums the fires of each record read into a uint64_t[FAULT_POINT_COUNT + 1]: the
 * last counts the records. */
static int sum_fires(void *context, const struct sweep_record *r, char *error, size_t bytes)
{
    (void)error, (void)bytes;
    uint64_t *sums = context;
    for (unsigned id = 0; id < FAULT_POINT_COUNT; id++)
        sums[id] += r->fired[id];
    sums[FAULT_POINT_COUNT]++;
    return 0;
}

Test(sweep_files, sweep_results_count_fires_by_failpoint)
{
    static struct captured c;
    static struct sweep_header header;
    char path[128], error[300];
    snprintf(path, sizeof path, "%s/faults.jsonl", work);
    const char *a[] = {"ipc-workload", "--count", "20", "--fault", "model/chan/send:p=0.3",
                       "--json", path, "--quiet", NULL};
    run_sweep(&c, a);
    cr_assert_eq(c.status, 0, "%s", c.out);
    uint64_t sums[FAULT_POINT_COUNT + 1] = {0};
    int has_header = 0;
    struct sweep_reader reader = {NULL, sum_fires, sums};
    long n = sweep_read_results(path, &header, &has_header, &reader, NULL, error, sizeof error);
    cr_assert_eq(n, 20, "%s", error);
    cr_assert_eq(sums[FAULT_POINT_COUNT], 20);
    cr_assert(has_header);
    cr_assert_str_eq(header.faults, "'model/chan/send:p=0.3'");
    for (unsigned id = 0; id < FAULT_POINT_COUNT; id++)
        if (id != FAULT_CHAN_SEND)
            cr_assert_eq(sums[id], 0, "only chan/send is armed (point %u)", id);
    cr_assert_gt(sums[FAULT_CHAN_SEND], 0, "p=0.3 over 20 seeds fires");
}

Test(sweep_files, a_long_replay_command_is_refused_not_overflowed)
{
    static struct captured c;
    const char *args[64] = {"test-variants", "--count", "2"};
    int n = 3;
    for (int i = 0; i < 25; i++) {
        args[n++] = "--set";
        args[n++] = "fail_below=0000000000000000000000000";
    }
    args[n] = NULL;
    run_sweep(&c, args);
    cr_assert_eq(c.status, 2, "%s%s", c.out, c.err);
    cr_assert(strstr(c.err, "too long"), "%s", c.err);
}

Test(sweep_files, junit_and_resume_know_the_configurations)
{
    static struct captured c;
    char junit[128], json[128];
    snprintf(junit, sizeof junit, "%s/j.xml", work);
    snprintf(json, sizeof json, "%s/c.jsonl", work);
    const char *args[] = {"test-variants", "--variant", "all", "--count", "10", "--quiet",
                          "--junit", junit, "--json", json, NULL};
    run_sweep(&c, args);
    cr_assert_eq(c.status, 1);
    FILE *f = fopen(junit, "r");
    cr_assert_not_null(f);
    static char xml[65536];
    size_t bytes = fread(xml, 1, sizeof xml - 1, f);
    xml[bytes] = '\0';
    fclose(f);
    /* 50 seeds and 5 verdicts; lies, wrong-cause and stopped fail their verdicts */
    cr_assert(strstr(xml, "tests=\"55\""), "%s", xml);
    cr_assert(strstr(xml, "name=\"stopped behaves as declared (assert)\">"), "%s", xml);
    cr_assert(strstr(xml, "name=\"never behaves as declared (pass)\"/>"), "%s", xml);
    /* resuming with other configurations is refused: the results would mix */
    const char *other[] = {"test-variants", "--count", "10", "--quiet", "--json", json,
                           "--resume", NULL};
    run_sweep(&c, other);
    cr_assert_eq(c.status, 2, "%s", c.out);
    cr_assert(strstr(c.err, "configurations never, lies, buggy, wrong-cause, stopped in "), "%s",
              c.err);
    cr_assert(strstr(c.err, ", (default) in this sweep"), "%s", c.err);
    /* a shard cannot judge a buggy variant that did not reproduce in its seeds */
    const char *shard[] = {"test-variants", "--variant", "buggy", "--seeds", "0..9", "--shard",
                           "1/10", "--quiet", NULL};
    run_sweep(&c, shard);
    cr_assert(strstr(c.out, "reproduces") || strstr(c.out, "not in this shard"), "%s", c.out);
    cr_assert_eq(c.status, 0, "%s", c.out);
}

/* The records of a results file, for records_name_their_strategy_and_swarm_draw. */
struct kept_records {
    struct sweep_record records[16];
    uint32_t count;
};

static int keep_all(void *context, const struct sweep_record *record, char *error,
                    size_t error_bytes)
{
    struct kept_records *k = context;
    if (k->count == 16) {
        snprintf(error, error_bytes, "more than 16 records");
        return -1;
    }
    k->records[k->count++] = *record;
    return 0;
}

/* Each record names the strategy its seed ran, and its replay command runs that
 * strategy (a portfolio's arm, with its K) and, under --swarm, the faults the seed
 * drew: run as given, it gives the record's hash. */
Test(sweep, records_name_their_strategy_and_swarm_draw)
{
    char path[] = "/tmp/detsim-sweep-swarm-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path); /* a new results file */
    static struct captured c;
    const char *args[] = {"lock-order", "--count", "16", "--jobs", "2", "--quiet", "--swarm",
                          "--json", path, NULL};
    run_sweep(&c, args);
    static struct kept_records kept;
    static struct sweep_header header;
    struct sweep_reader reader = {NULL, keep_all, &kept};
    int has_header = 0;
    char error[512];
    long n = sweep_read_results(path, &header, &has_header, &reader, NULL, error, sizeof error);
    unlink(path);
    cr_assert_eq(n, 16, "%s %s%s", error, c.out, c.err);
    cr_assert(has_header && strcmp(header.strategy, "portfolio") == 0, "%s", header.strategy);
    uint32_t pct = 0, swarmed = 0;
    for (uint32_t i = 0; i < kept.count; i++) {
        const struct sweep_record *r = &kept.records[i];
        cr_assert(r->strategy[0], "seed %llu: a strategy", (unsigned long long)r->seed);
        if (strncmp(r->strategy, "pct:", 4) == 0) {
            pct++;
            cr_assert(strstr(r->strategy, ",steps="), "seed %llu: K written: %s",
                      (unsigned long long)r->seed, r->strategy);
            cr_assert(strstr(r->replay, r->strategy), "seed %llu: %s",
                      (unsigned long long)r->seed, r->replay);
        }
        if (r->swarm[0]) {
            swarmed++;
            cr_assert(strstr(r->replay, "--fault '"), "seed %llu: %s",
                      (unsigned long long)r->seed, r->replay);
        }
        if (r->seed != 2 && r->seed != 9)
            continue;
        /* the replay command, run: the same hash (its --fault values are quoted) */
        char command[4096];
        snprintf(command, sizeof command, "build/%s --quiet 2>/dev/null | grep -q 'hash=0x%016llx'",
                 r->replay, (unsigned long long)r->hash);
        cr_assert_eq(system(command), 0, "seed %llu: %s", (unsigned long long)r->seed, command);
    }
    cr_assert_eq(pct, 6, "seeds 2, 4, 6, 10, 12, 14 run pct");
    cr_assert_gt(swarmed, 8, "most seeds draw faults");
}
