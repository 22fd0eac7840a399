/* The detsim command line: exit codes, one-line errors, repro round trips. Runs the
 * built binary (DETSIM_BIN, default build/detsim) as a user would. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_WORK_PREFIX "/tmp/detsim-cli-"
#include "cli_helpers.h"
#include "util/progname.h"

TestSuite(cli, .fini = remove_work_dir);

#define cli(...) shell("$DETSIM " __VA_ARGS__)

/* A bad input: exit 2, exactly one line on stderr, which mentions needle. */
static void expect_usage_error(const char *needle, const char *args)
{
    struct cli_result *r = shell("$DETSIM %s", args);
    cr_assert_eq(r->status, 2, "detsim %s: exit %d, want 2; stderr: %s", args, r->status, r->err);
    cr_assert_eq(r->err_lines, 1, "detsim %s: want one stderr line, got:\n%s", args, r->err);
    cr_assert(strstr(r->err, needle), "detsim %s: stderr should name '%s': %s", args, needle,
              r->err);
    cr_assert_null(strstr(r->out, "outcome="), "detsim %s: must not run", args);
}

Test(cli, bad_usage_gets_exit_2_and_one_clear_line)
{
    expect_usage_error("unknown command 'frobnicate'", "frobnicate");
    expect_usage_error("unknown scenario 'no-such'", "run no-such");
    expect_usage_error("run needs a scenario", "run");
    expect_usage_error("unknown option '--bogus'", "run lock-order --bogus");
    expect_usage_error("unknown option '-x'", "run lock-order -x");
    expect_usage_error("unexpected argument 'extra'", "run lock-order extra");
    expect_usage_error("option --seed needs a value", "run lock-order --seed");
    expect_usage_error("bad seed 'abc'", "run lock-order --seed abc");
    expect_usage_error("bad seed '-1'", "run lock-order --seed -1");
    expect_usage_error("bad seed '18446744073709551616'",
                       "run lock-order --seed 18446744073709551616");
    expect_usage_error("bad seed '0x'", "run lock-order --seed 0x");
    expect_usage_error("bad seed '0x1ffffffffffffffff'",
                       "run lock-order --seed 0x1ffffffffffffffff");
    expect_usage_error("bad seed '12 '", "run lock-order --seed '12 '");
    expect_usage_error("unknown config key 'nope'", "run lock-order --set nope=1");
    expect_usage_error("expected key=value", "run lock-order --set rounds");
    expect_usage_error("bad value for rounds: 'many'", "run lock-order --set rounds=many");
    expect_usage_error("rounds: 0 is out of range", "run lock-order --set rounds=0");
    expect_usage_error("bad value for ordered", "run lock-order --set ordered=maybe");
    expect_usage_error("missing unit", "run lock-order --max-vtime 90");
    expect_usage_error("unknown unit 'h'", "run lock-order --max-vtime 2h");
    expect_usage_error("bad value for max_steps", "run lock-order --max-steps -5");
    expect_usage_error("bad strategy 'fifo'", "run lock-order --strategy fifo");
    expect_usage_error("unknown parameter 'width'", "run lock-order --strategy pct:width=2");
    expect_usage_error("depth must be between 1 and 17", "run lock-order --strategy pct:depth=0");
    expect_usage_error("bad --trace-format 'xml'", "run lock-order --trace-format xml");
    expect_usage_error("bad --expect 'fine'", "run lock-order --expect fine");
    expect_usage_error("cannot write trace file 'no/such/dir/t.txt'",
                       "run lock-order --trace no/such/dir/t.txt");
    expect_usage_error("option --quiet takes no value", "run lock-order --quiet=yes");
    expect_usage_error("unknown option '--bogus' for 'list'", "list --bogus");
    expect_usage_error("replay needs a repro file", "replay");
    expect_usage_error("cannot read repro file 'missing.repro'", "replay missing.repro");
}

static void write_file(const char *name, const char *content)
{
    make_work_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/%s", work_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(content, f);
    fclose(f);
}

#define GOOD_HEAD "scenario = lock-order\nseed = 3\nstrategy = random\n"

Test(cli, malformed_repro_files_get_exit_2_and_name_the_line)
{
    write_file("bad1.repro", "this is not a repro file\n");
    expect_usage_error("bad1.repro:1: expected 'key = value'", "replay bad1.repro");
    write_file("bad2.repro", GOOD_HEAD "expect_outcome = pass\ncolour = blue\n");
    expect_usage_error("bad2.repro:5: unknown key 'colour'", "replay bad2.repro");
    write_file("bad3.repro", GOOD_HEAD "expect_outcome = pass\nchoices = s2:1 s2:7\n");
    expect_usage_error("bad3.repro:5: bad choice 's2:7'", "replay bad3.repro");
    write_file("bad4.repro", GOOD_HEAD "expect_outcome = maybe\n");
    expect_usage_error("bad4.repro:4: unknown outcome 'maybe'", "replay bad4.repro");
    write_file("bad5.repro", "seed = 3\nstrategy = random\nexpect_outcome = pass\n");
    expect_usage_error("bad5.repro: no 'scenario = NAME' line", "replay bad5.repro");
    write_file("bad6.repro", GOOD_HEAD "config rounds = lots\nexpect_outcome = pass\n");
    expect_usage_error("bad6.repro:4: bad value for rounds", "replay bad6.repro");
    write_file("bad7.repro", "scenario = warp-drive\n");
    expect_usage_error("bad7.repro:1: unknown scenario 'warp-drive'", "replay bad7.repro");
    write_file("bad8.repro", GOOD_HEAD "expect_outcome = pass\nexpect_hash = 12zz\n");
    expect_usage_error("bad8.repro:5: bad hash '12zz'", "replay bad8.repro");
    write_file("bad9.repro", "scenario = lock-order\nseed = -4\n");
    expect_usage_error("bad9.repro:2: bad seed '-4'", "replay bad9.repro");
}

Test(cli, exit_status_follows_the_expected_outcome)
{
    struct cli_result *r = cli("run lock-order --seed 4");
    cr_assert_eq(r->status, 0, "seed 4 passes: %s", r->out);
    cr_assert(strstr(r->out, "scenario=lock-order seed=4 outcome=pass steps="), "%s", r->out);

    r = cli("run lock-order --seed 3");
    cr_assert_eq(r->status, 1, "seed 3 deadlocks, pass was expected");
    cr_assert(strstr(r->out, "HANG (deadlock)"), "%s", r->out);
    cr_assert(strstr(r->out, "outcome=hang-deadlock"), "%s", r->out);
    cr_assert(strstr(r->err, "outcome hang-deadlock, expected pass"), "%s", r->err);

    r = cli("run lock-order --seed 0x3 --expect hang-deadlock");
    cr_assert_eq(r->status, 0, "hex seed, and the deadlock is what was expected");
    cr_assert(strstr(r->out, "seed=3 "), "%s", r->out);

    r = cli("run lock-order --seed 3 --quiet --expect hang-deadlock");
    cr_assert_null(strstr(r->out, "HANG"), "--quiet prints the summary only");
    cr_assert(strstr(r->out, "outcome=hang-deadlock"), "%s", r->out);
}

Test(cli, help_and_version)
{
    const char *commands[] = {"--help", "list --help", "run --help", "run lock-order --help",
                              "replay --help", "run lock-order -h"};
    for (int i = 0; i < 6; i++) {
        struct cli_result *r = shell("$DETSIM %s", commands[i]);
        cr_assert_eq(r->status, 0, "%s", commands[i]);
        cr_assert(strstr(r->out, "usage: detsim"), "%s: %s", commands[i], r->out);
        cr_assert_eq(r->err[0], '\0', "%s", commands[i]);
    }
    struct cli_result *r = cli("run lock-order --help");
    cr_assert(strstr(r->out, "ordered") && strstr(r->out, "max_steps"), "keys listed: %s",
              r->out);
    r = cli("--version");
    cr_assert_eq(r->status, 0);
    cr_assert(strncmp(r->out, "detsim ", 7) == 0, "%s", r->out);
    r = cli("list");
    cr_assert(strstr(r->out, "lock-order") && strstr(r->out, "ping-pong"), "%s", r->out);
    r = cli("");
    cr_assert_eq(r->status, 2, "no command is a usage error");
}

Test(cli, save_repro_then_replay_matches)
{
    struct cli_result *r =
        cli("run lock-order --seed 3 --expect hang-deadlock --save-repro dl.repro");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, "repro written to dl.repro"), "%s", r->out);
    char summary[256] = "";
    const char *line = strstr(r->out, "scenario=");
    cr_assert_not_null(line);
    snprintf(summary, sizeof summary, "%.*s", (int)strcspn(line, "\n"), line);

    r = cli("replay dl.repro");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, summary), "same summary line on replay:\n%s\nwant %s", r->out,
              summary);
    cr_assert(strstr(r->out, "replay: outcome hang-deadlock matches; hash matches"), "%s",
              r->out);
    cr_assert(strstr(r->out, "HANG (deadlock)"), "the report is shown again: %s", r->out);

    r = cli("replay dl.repro --from-seed --quiet");
    cr_assert_eq(r->status, 0, "the seed alone replays too: %s", r->out);

    /* An edited expectation no longer matches: exit 1, and the report says so. */
    shell("sed 's/^expect_hash = .*/expect_hash = 0x1/' dl.repro > edited.repro");
    r = cli("replay edited.repro");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "hash DIFFERS (recorded 0x0000000000000001)"), "%s", r->out);
}

Test(cli, repro_of_a_passing_pct_run_replays)
{
    struct cli_result *r =
        cli("run ping-pong --seed 11 --strategy pct:depth=3,steps=400 --set rounds=50 "
            "--save-repro pp.repro");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    r = cli("replay pp.repro");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, "outcome pass matches; hash matches"), "%s", r->out);
}

Test(cli, traces_are_written_whole_and_deterministic)
{
    struct cli_result *r = cli("run lock-order --seed 4 --trace a.jsonl --trace-format jsonl");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    r = cli("run lock-order --seed 4 --trace b.jsonl --trace-format jsonl");
    r = shell("cmp a.jsonl b.jsonl && echo SAME");
    cr_assert(strstr(r->out, "SAME"), "same seed, same trace bytes");
    r = shell("head -1 a.jsonl");
    cr_assert(strncmp(r->out, "{\"step\":1,\"vtime_ns\":1000,\"pid\":", 32) == 0 &&
                  strstr(r->out, "\"op\":\"start\""),
              "%s", r->out);
    r = shell("ls");
    cr_assert_null(strstr(r->out, ".tmp."), "no temporary files left behind: %s", r->out);
}

Test(cli, a_failed_command_leaves_existing_files_alone)
{
    write_file("keep.repro", "precious\n");
    struct cli_result *r = cli("run lock-order --seed nope --save-repro keep.repro");
    cr_assert_eq(r->status, 2);
    r = shell("cat keep.repro");
    cr_assert(strstr(r->out, "precious"), "the file is untouched: %s", r->out);
}

Test(cli, replay_strategy_tries_a_fix_on_the_failing_schedule)
{
    struct cli_result *r =
        cli("run lock-order --seed 3 --expect hang-deadlock --save-repro dl.repro --quiet");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    r = cli("run lock-order --strategy replay:dl.repro --expect hang-deadlock --quiet");
    cr_assert_eq(r->status, 0, "the recorded schedule deadlocks again: %s", r->out);
    cr_assert(strstr(r->out, "seed=3 outcome=hang-deadlock"), "%s", r->out);
    r = cli("run lock-order --strategy replay:dl.repro --set ordered=true --quiet");
    cr_assert_eq(r->status, 0, "the fix passes on the schedule that failed: %s%s", r->out,
                 r->err);
    expect_usage_error("records scenario lock-order, not ping-pong",
                       "run ping-pong --strategy replay:dl.repro");
    expect_usage_error("cannot read repro file 'none.repro'",
                       "run lock-order --strategy replay:none.repro");
}

Test(cli, review_findings_on_bad_input)
{
    expect_usage_error("missing command", "");
    expect_usage_error("max_channels=1000000 x queue_depth=100000 would need",
                       "run ping-pong --set max_channels=1000000 --set queue_depth=100000");
    expect_usage_error("max_procs=100000 x max_handles=4096 would need",
                       "run ping-pong --set max_procs=100000 --set max_handles=4096");
    expect_usage_error("reserve_bytes=8388608 does not fit in heap_bytes=4194304",
                       "run ping-pong --set oom_policy=reserve --set reserve_bytes=8MiB");
    expect_usage_error("cannot write repro file 'no/such/dir/x.repro'",
                       "run lock-order --save-repro no/such/dir/x.repro");
    expect_usage_error("unknown scenario 'a?b'", "run \"$(printf 'a\\nb')\"");
    expect_usage_error("is too long", "run lock-order --strategy "
                                      "pct:steps=000000000000000000000000000000000000000000"
                                      "0000000000000000000000000000000000000000000000000000"
                                      "00000000000000000000000000000000000001000000");
}

Test(cli, a_repro_without_choices_replays_from_its_seed)
{
    struct cli_result *r =
        cli("run lock-order --seed 3 --expect hang-deadlock --save-repro s.repro --quiet");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    shell("grep -v '^choices' s.repro > seedonly.repro");
    r = cli("replay seedonly.repro --quiet");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, "outcome hang-deadlock matches; hash matches"), "%s", r->out);
    cr_assert_null(strstr(r->out, "recorded choices fed back"), "%s", r->out);
    /* An over-long config line is refused, not truncated into another value. */
    shell("sed 's/^config max_steps = .*/config max_steps = %0200d/' s.repro > long.repro", 1);
    expect_usage_error("long.repro:", "replay long.repro");
}

Test(cli, a_shrunk_repro_fails_the_same_way_and_is_no_larger)
{
    const char *runs[] = {
        "run lock-order --seed 0 --expect hang-deadlock --save-repro a.repro --quiet",
        "run ping-pong --seed 5 --set rounds=30 --max-steps 150 --expect hang-budget "
        "--save-repro a.repro --quiet",
        "run lock-order --seed 8 --set rounds=3 --expect hang-deadlock --save-repro a.repro "
        "--quiet"};
    for (unsigned i = 0; i < 3; i++) {
        struct cli_result *r = shell("$DETSIM %s", runs[i]);
        cr_assert_eq(r->status, 0, "%s: %s%s", runs[i], r->out, r->err);
        r = cli("shrink a.repro --time-limit 20");
        cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
        cr_assert(strstr(r->out, "(unchanged)"), "%s", r->out);
        r = shell("grep -o ' [spcfk][0-9]*:[0-9]*' a.repro | wc -l; "
                  "grep -o ' [spcfk][0-9]*:[0-9]*' a.shrunk.repro | wc -l");
        long before = 0, after = 0;
        cr_assert_eq(sscanf(r->out, "%ld %ld", &before, &after), 2, "%s", r->out);
        cr_assert_leq(after, before, "case %u: %ld -> %ld choices", i, before, after);
        r = cli("replay a.shrunk.repro --quiet");
        cr_assert_eq(r->status, 0, "the shrunk repro replays: %s", r->out);
        shell("rm -f a.repro a.shrunk.repro");
    }
    shell("$DETSIM run lock-order --seed 4 --save-repro p.repro --quiet");
    expect_usage_error("the run passes; there is no failure to shrink", "shrink p.repro");
    expect_usage_error("cannot read repro file 'none.repro'", "shrink none.repro");
}

Test(cli, merge_refuses_unreadable_and_malformed_results)
{
    expect_usage_error("cannot read results file 'none.jsonl'", "merge none.jsonl");
    write_file("bad.jsonl", "{\"scenario\":\"lock-order\",\"seed\":1}\n");
    expect_usage_error("bad.jsonl:1: no detsim results header", "merge bad.jsonl");
    expect_usage_error("merge needs one or more results files", "merge");
    expect_usage_error("unknown option '--x' for 'merge'", "merge --x");
}

Test(cli, a_repro_records_its_signature_and_replay_checks_it)
{
    struct cli_result *r =
        cli("run lock-order --seed 3 --expect hang-deadlock --save-repro sig.repro --quiet");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    r = shell("grep -c '^signature = 0x' sig.repro");
    cr_assert(strncmp(r->out, "1", 1) == 0, "%s", r->out);
    shell("sed 's/^signature = .*/signature = 0x1/' sig.repro > sig2.repro");
    r = cli("replay sig2.repro --quiet");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "signature DIFFERS"), "%s", r->out);
}

Test(cli, the_program_name_is_argv0s_last_component)
{
    cr_assert_str_eq(progname(), "detsim", "the default");
    progname_set("/opt/x/bin/simtest");
    cr_assert_str_eq(progname(), "simtest");
    progname_set("");
    cr_assert_str_eq(progname(), "simtest", "an empty argv[0] leaves it");
    progname_set(NULL);
    cr_assert_str_eq(progname(), "simtest", "no argv[0] leaves it");
    progname_set("a/");
    cr_assert_str_eq(progname(), "simtest", "an empty last component leaves it");
    char long_name[200];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    progname_set(long_name);
    cr_assert_eq(strlen(progname()), 63, "63 bytes kept: %s", progname());
}

Test(cli, replay_lines_name_the_program_that_printed_them)
{
    /* the same binary under another name: a program of one's own (docs/install.md) */
    struct cli_result *r = shell(
        "ln -s \"$DETSIM\" mytool && "
        "./mytool run lock-order --seed 0 --expect hang-deadlock --save-repro m.repro "
        "&& ./mytool sweep lock-order --variant buggy --count 5 --quiet && head -1 m.repro");
    cr_assert_eq(r->status, 0, "seed 0: %s%s", r->out, r->err);
    cr_assert(strstr(r->out, "repro written to m.repro (replay: mytool replay m.repro)"), "%s",
              r->out);
    cr_assert(strstr(r->out, "     replay: mytool run lock-order --variant buggy --seed 0"), "%s",
              r->out);
    cr_assert(strstr(r->out, "# detsim repro file. Replay it with: mytool replay m.repro"), "%s",
              r->out);
    cr_assert(!strstr(r->out, "detsim run"), "no line names detsim: %s", r->out);
}

Test(cli, replay_of_a_folder_replays_every_repro_file_in_name_order)
{
    /* b.repro and c.repro record seeds 3 and 5 of the deadlock; a.repro is seed 3 with
     * the fix in its config, so it passes where a hang was recorded */
    struct cli_result *r = shell(
        "mkdir corpus && cd corpus && "
        "$DETSIM run lock-order --variant buggy --seed 5 --save-repro c.repro --quiet && "
        "$DETSIM run lock-order --variant buggy --seed 3 --save-repro b.repro --quiet && "
        "echo not-a-repro > notes.txt && $DETSIM replay .");
    cr_assert_eq(r->status, 0, "seeds 3 and 5 replay: %s%s", r->out, r->err);
    const char *b = strstr(r->out, "  ok       b.repro: lock-order seed 3, hang-deadlock, hash matches");
    const char *c = strstr(r->out, "  ok       c.repro: lock-order seed 5, hang-deadlock, hash matches");
    cr_assert(b && c && b < c, "one line each, in name order (seeds 3, 5): %s", r->out);
    cr_assert(strstr(r->out, "replay .: 2 repro files, 2 match, 0 differ\n"), "%s", r->out);
    cr_assert(!strstr(r->out, "notes.txt"), "only *.repro files: %s", r->out);

    r = shell("cd corpus && sed 's/^config ordered = false/config ordered = true/' b.repro > a.repro "
              "&& $DETSIM replay .");
    cr_assert_eq(r->status, 1, "seed 3 with the fix differs: %s%s", r->out, r->err);
    cr_assert(strstr(r->out, "  DIFFERS  a.repro: lock-order seed 3, pass (recorded hang-deadlock), "
                             "hash DIFFERS"),
              "seed 3: %s", r->out);
    cr_assert(strstr(r->out, "3 repro files, 2 match, 1 differs\n"), "%s", r->out);

    r = shell("cd corpus && echo junk > 0.repro && $DETSIM replay .");
    cr_assert_eq(r->status, 2, "an unreadable file is bad input: %s%s", r->out, r->err);
    cr_assert(strstr(r->out, "  ERROR    0.repro: ./0.repro:1: "), "%s", r->out);
    cr_assert(strstr(r->out, "4 repro files, 2 match, 1 differs, 1 cannot be read\n"), "%s", r->out);

    shell("mkdir empty");
    expect_usage_error("no repro files (*.repro) in 'empty'", "replay empty");
    r = shell("cd corpus && $DETSIM replay . --report x.html");
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert(strstr(r->err, "--report replays one repro file, and '.' is a folder"), "%s", r->err);
}

Test(cli, a_variant_run_expects_what_the_variant_declares)
{
    /* seed 3 deadlocks in the buggy configuration, seed 4 passes in it */
    struct cli_result *r = cli("run lock-order --variant buggy --seed 3 --quiet");
    cr_assert_eq(r->status, 0, "seed 3: buggy declares hang-deadlock: %s%s", r->out, r->err);
    r = cli("run lock-order --variant buggy --seed 4 --quiet");
    cr_assert_eq(r->status, 1, "seed 4 passes, buggy declares a hang: %s%s", r->out, r->err);
    cr_assert(strstr(r->err, "outcome pass, expected hang-deadlock (variant buggy declares it "
                             "and fails on some seeds only; --expect pass"),
              "seed 4: %s", r->err);
    r = cli("run lock-order --variant buggy --seed 4 --quiet --expect pass");
    cr_assert_eq(r->status, 0, "seed 4: --expect overrides the declaration: %s", r->err);
    r = cli("run lock-order --variant buggy --seed 3 --quiet --expect pass");
    cr_assert_eq(r->status, 1, "seed 3: --expect pass holds the hang to pass: %s", r->err);
    /* a --set of the variant's own key drops its declaration: held to pass */
    r = cli("run lock-order --variant buggy --set ordered=true --seed 3 --quiet");
    cr_assert_eq(r->status, 0, "seed 3, ordered=true passes: %s%s", r->out, r->err);
    r = cli("run lock-order --variant buggy --set ordered=false --seed 3 --quiet");
    cr_assert_eq(r->status, 1, "seed 3: ordered=false, declaration dropped: %s", r->err);
}

Test(cli, a_variant_is_a_preset_that_set_overrides)
{
    /* seed 3 deadlocks in the buggy (default) configuration */
    struct cli_result *r = cli("run lock-order --variant fixed --seed 3");
    cr_assert_eq(r->status, 0, "the fixed variant passes seed 3: %s", r->out);
    r = cli("run lock-order --variant buggy --seed 3 --expect hang-deadlock");
    cr_assert_eq(r->status, 0, "the buggy variant deadlocks at seed 3: %s", r->out);
    /* --set wins over the variant whatever the order on the command line */
    r = cli("run lock-order --set ordered=false --variant fixed --seed 3 --expect hang-deadlock");
    cr_assert_eq(r->status, 0, "--set ordered=false overrides the variant: %s", r->out);
    /* the repro file keeps every config value, so it replays without the variant */
    r = shell("$DETSIM run lock-order --variant fixed --seed 3 --save-repro v.repro --quiet && "
              "grep -c '^config ordered = true' v.repro && $DETSIM replay v.repro --quiet");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    r = cli("list");
    cr_assert(strstr(r->out, "    buggy "), "list shows the variants: %s", r->out);
    cr_assert(strstr(r->out, "ordered=true"), "list shows what a variant sets: %s", r->out);
    r = cli("list --names");
    cr_assert(strstr(r->out, "lock-order\n") && !strstr(r->out, "buggy"), "%s", r->out);
    r = cli("run lock-order --help");
    cr_assert(strstr(r->out, "variants of lock-order"), "%s", r->out);
    /* a variant named "default" is what a plain run gets */
    r = cli("run stress-spawn-burst --seed 1");
    cr_assert_eq(r->status, 0, "the default variant makes room for 128 processes: %s", r->out);
    r = cli("run stress-spawn-burst --seed 1 --set max_procs=64");
    cr_assert_eq(r->status, 1, "64 process slots are too few for a burst of 100: %s", r->out);
    r = cli("run stress-spawn-burst --help");
    cr_assert(strstr(r->out, "max_procs                    integer  default 128"), "%s", r->out);
    expect_usage_error("unknown variant 'nope' of lock-order (variants: buggy, fixed)",
                       "run lock-order --variant nope");
    expect_usage_error("unknown variant 'x' of ping-pong (it has no variants)",
                       "run ping-pong --variant x");
    expect_usage_error("option --variant needs a value", "run lock-order --variant");
}
