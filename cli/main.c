/* detsim — the command line.
 *
 * Exit status: 0 the outcome is the expected one, 1 it is not, 2 bad usage or bad
 * input (one line on stderr naming the problem), 3 an internal error. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "sim/coro.h"
#include "cli/options.h"
#include "sim/repro.h"
#include "sim/run.h"
#include "model/world.h"
#include "reports/report.h"

/* ---- help ------------------------------------------------------------------------- */

static const char main_help[] =
    "detsim - deterministic simulation and fault injection for the resource-management\n"
    "code of kernels and process supervisors.\n"
    "\n"
    "usage: detsim COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  list                 the scenarios, with one-line descriptions\n"
    "  run SCENARIO         run one seed and print the result (a hang report on a hang)\n"
    "  replay FILE          replay a repro file and check that outcome and hash match\n"
    "  faults               the failpoints --fault can arm, with one-line descriptions\n"
    "  sweep SCENARIO       run many seeds in forked workers; group failures by signature\n"
    "  merge FILE...        combine the --json results of several sweeps\n"
    "  shrink FILE          reduce a repro to the smallest run that fails the same way\n"
    "\n"
    "'detsim COMMAND --help' tells more. detsim --version prints the version.\n"
    "Exit status: 0 expected outcome, 1 unexpected outcome, 2 bad usage or input,\n"
    "3 internal error.\n";

static const char run_help[] =
    "usage: detsim run SCENARIO [options]\n"
    "\n"
    "Runs one seed of SCENARIO and prints a readable result: on a hang, the hang report;\n"
    "always, a summary line scenario=... seed=... outcome=... steps=... vtime=... hash=...\n"
    "The same seed, strategy and config give the same trace and hash every time.\n"
    "\n"
    "options:\n"
    "  --seed N              64-bit seed, decimal or 0x hex (default 0)\n"
    "  --strategy S          random: uniform choice among ready tasks (the default);\n"
    "                        rr: round robin, no randomness;\n"
    "                        pct[:depth=D[,steps=K]]: PCT, D-1 priority change points\n"
    "                        drawn from steps 1..K (defaults D=3, K=1000);\n"
    "                        replay:FILE: the schedule recorded in repro FILE, under\n"
    "                        this command's config (try a fix on the failing schedule)\n"
    "  --variant NAME        a scenario's named preset of config keys (its buggy\n"
    "                        configuration or one of its fixes; 'detsim list' shows\n"
    "                        them), applied before any --set\n"
    "  --set KEY=VALUE       set a config key (repeatable); the keys are listed below\n"
    "                        when a scenario is named: detsim run SCENARIO --help\n"
    "  --max-steps N         step budget (same as --set max_steps=N)\n"
    "  --max-vtime DURATION  virtual-time budget, e.g. 90s, 500ms (--set max_vtime=...)\n"
    "  --trace FILE          write every event to FILE ('-' for standard output)\n"
    "  --trace-format F      text (default) or jsonl\n"
    "  --fault SPEC          inject faults (repeatable): NAME or PATTERN (ending in '*'),\n"
    "                        then optionally :p=P,nth=N,after=STEP,times=K,every=M;\n"
    "                        slot faults take :free=N[,after=STEP]. See detsim faults\n"
    "  --expect OUTCOME      the outcome that counts as success (default pass): pass,\n"
    "                        hang-deadlock, hang-budget, leak, panic, assert, invariant\n"
    "  --save-repro FILE     write a repro file of this run (replay: detsim replay FILE)\n"
    "  --report FILE         write a self-contained HTML report of the run: the outcome\n"
    "                        and how to replay it, the hang's wait-for graph with its\n"
    "                        cycle, the leaked objects or the failure report, a timeline\n"
    "                        of every process, resource use against its limits\n"
    "  --chrome-trace FILE   write the trace as Chrome trace-event JSON, for Perfetto\n"
    "                        (ui.perfetto.dev) or chrome://tracing; ts is virtual time\n"
    "  --quiet               print only the summary line\n"
    "\n"
    "Output files are written to a temporary file and renamed into place; a bad path\n"
    "is found before anything runs. The trace hash is the same with or without them.\n"
    "Exit status: 0 when the outcome is the expected one, 1 when not, 2 bad input.\n";

static const char replay_help[] =
    "usage: detsim replay FILE [options]\n"
    "\n"
    "Replays a repro file (written by 'detsim run --save-repro'): the scenario, seed,\n"
    "strategy and config it names, with the recorded choices fed back in place of the\n"
    "seed. Prints the result and says whether the outcome and the trace hash match the\n"
    "ones recorded. Exit 0 when both match, 1 when either differs.\n"
    "\n"
    "options:\n"
    "  --trace FILE          write every event to FILE ('-' for standard output)\n"
    "  --trace-format F      text (default) or jsonl\n"
    "  --from-seed           ignore the recorded choices and draw from the seed\n"
    "  --report FILE         write an HTML report of the run (see 'detsim run --help')\n"
    "  --chrome-trace FILE   write the trace as Chrome trace-event JSON\n"
    "  --quiet               print only the summary and the verdict\n";

static const char list_help[] =
    "usage: detsim list [--names]\n"
    "\n"
    "Lists every scenario with its one-line description and, under it, its variants:\n"
    "name, the outcome the variant is declared to have, and what it sets. A buggy\n"
    "variant fails with its outcome on some seeds at least; a fixed one passes every\n"
    "seed. 'detsim run SCENARIO --help' lists a scenario's config keys.\n"
    "\n"
    "  --names   only the scenario names, one per line (for scripts)\n";

static const char faults_help[] =
    "usage: detsim faults\n"
    "\n"
    "Lists every failpoint that 'detsim run --fault SPEC' can arm: its name, the error\n"
    "the model returns when it fires, and what fails. A SPEC is a NAME or a PATTERN\n"
    "ending in '*' (model/chan/* arms every channel failpoint), optionally followed by\n"
    "':KEY=VALUE,...':\n"
    "  p=P        fire with probability P (0..1, at most 6 decimals; default 1), drawn\n"
    "             from the run's choice stream, so a seed always fires the same faults\n"
    "  nth=N      only the Nth hit        every=M   only every Mth hit\n"
    "  after=STEP only hits at step >= STEP (earlier hits are not counted)\n"
    "  times=K    at most K fires\n"
    "  from=N     every hit from the Nth on (persistent; the fail-nth loop's mode)\n"
    "Hits are counted per spec, across every failpoint it matches; when two specs\n"
    "select the same hit it fires once. Slot faults (slots/...) take free=N and\n"
    "after=STEP: slots/channels:free=3,after=500 leaves only 3 free channel slots\n"
    "from step 500 on.\n"
    "Every fired fault is a 'fault' event in the trace, and the summary line ends with\n"
    "faults=N when any fired.\n";

static void print_keys(const struct config *config)
{
    for (uint32_t i = 0; i < config->count; i++) {
        const struct config_key *k = config->keys[i];
        char value[48];
        printf("  %-28s %-8s default %-10s %s\n", k->name, config_type_name(k->type),
               config_format_value(k, config->values[i], value), k->description);
    }
}

/* ---- list --------------------------------------------------------------------------- */

static void print_variants(const struct scenario *scenario)
{
    int width = 16;
    for (const struct scenario_variant *v = scenario->variants; v && v->name; v++)
        if ((int)strlen(v->name) > width)
            width = (int)strlen(v->name);
    for (const struct scenario_variant *v = scenario->variants; v && v->name; v++)
        printf("    %-*s %-14s %s%s%s\n", width, v->name, v->expect, v->description,
               v->settings && v->settings[0] ? ": " : "", v->settings ? v->settings : "");
}

static int command_list(int argc, char **argv)
{
    static const struct option_spec specs[] = {{"help", 0}, {"names", 0}, {0}};
    struct parsed_option options[8];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("list", argc, argv, specs, options, &option_count, positionals,
                      &positional_count, 0) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(list_help, stdout);
        return EXIT_EXPECTED;
    }
    int names_only = options_has(options, option_count, "names");
    const struct scenario *const *list;
    size_t count = scenario_list(&list);
    for (size_t i = 0; i < count; i++) {
        char name[64];
        if (names_only) {
            printf("%s\n", scenario_name(list[i], name));
            continue;
        }
        printf("%-28s %s\n", scenario_name(list[i], name), list[i]->description);
        print_variants(list[i]);
    }
    return EXIT_EXPECTED;
}

/* ---- faults ------------------------------------------------------------------------- */

static int command_faults(int argc, char **argv)
{
    static const struct option_spec specs[] = {{"help", 0}, {0}};
    struct parsed_option options[8];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("faults", argc, argv, specs, options, &option_count, positionals,
                      &positional_count, 0) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(faults_help, stdout);
        return EXIT_EXPECTED;
    }
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++) {
        const struct fault_point *point = &fault_points[id];
        const char *error = trace_errno_name(point->error);
        printf("%-18s %-7s %s\n", point->name, error ? error : "?", point->description);
    }
    return EXIT_EXPECTED;
}

/* ---- shared by run and replay ------------------------------------------------------- */

struct output_file {
    const char *path; /* NULL: none; "-": stdout */
    char tmp_path[4096];
    FILE *stream;
};

static int output_open(struct output_file *f, const char *what)
{
    if (!f->path)
        return 0;
    if (strcmp(f->path, "-") == 0) {
        f->stream = stdout;
        return 0;
    }
    f->stream = repro_open_temporary(f->path, f->tmp_path, sizeof f->tmp_path);
    if (!f->stream)
        return options_usage_error("cannot write %s '%s': %s", what, f->path, strerror(errno));
    return 0;
}

/* Renames the temporary into place when keep, removes it otherwise. */
static int output_close(struct output_file *f, const char *what, int keep)
{
    if (!f->stream || f->stream == stdout) {
        if (f->stream)
            fflush(stdout);
        return 0;
    }
    if (!keep) {
        fclose(f->stream);
        remove(f->tmp_path);
        return 0;
    }
    int rc = repro_commit_temporary(f->stream, f->tmp_path, f->path);
    if (rc != 0) {
        fprintf(stderr, "detsim: cannot write %s '%s': %s\n", what, f->path, strerror(-rc));
        return EXIT_INTERNAL;
    }
    return 0;
}

/* The report outputs of a run or a replay: --report and --chrome-trace. */
struct report_files {
    struct output_file html;
    struct output_file chrome;
};

/* Opens both (before anything runs). Returns 0, or EXIT_USAGE after one line on
 * stderr with nothing left open. */
static int report_files_open(struct report_files *f)
{
    if ((f->html.path && strcmp(f->html.path, "-") == 0) ||
        (f->chrome.path && strcmp(f->chrome.path, "-") == 0))
        return options_usage_error("--report and --chrome-trace need a file name, not '-'");
    if (output_open(&f->html, "report") != 0)
        return EXIT_USAGE;
    if (output_open(&f->chrome, "chrome trace") != 0) {
        output_close(&f->html, "report", 0);
        return EXIT_USAGE;
    }
    return 0;
}

/* Renames both into place when keep, removes them otherwise. Returns 0 or
 * EXIT_INTERNAL after one line on stderr. */
static int report_files_close(struct report_files *f, int keep)
{
    int html = output_close(&f->html, "report", keep);
    int chrome = output_close(&f->chrome, "chrome trace", keep);
    return html ? html : chrome;
}

/* Writes the end of the reports after a run and commits them. Returns 0, or
 * EXIT_INTERNAL after one line on stderr. */
static int report_files_finish(struct report_files *f, struct report_outputs *outputs,
                               const struct run_options *run, const struct run_result *result)
{
    int rc = report_outputs_finish(outputs, run, result);
    if (rc != 0) {
        report_files_close(f, 0);
        fprintf(stderr, "detsim: cannot write the report: %s\n", strerror(-rc));
        return EXIT_INTERNAL;
    }
    return report_files_close(f, 1);
}

static void report_files_announce(const struct report_files *f)
{
    if (f->html.path)
        printf("report written to %s\n", f->html.path);
    if (f->chrome.path)
        printf("chrome trace written to %s\n", f->chrome.path);
}

static int parse_trace_format(const char *text, enum trace_format *format)
{
    if (strcmp(text, "text") == 0)
        *format = TRACE_FORMAT_TEXT;
    else if (strcmp(text, "jsonl") == 0)
        *format = TRACE_FORMAT_JSONL;
    else
        return options_usage_error("bad --trace-format '%s': expected text or jsonl", text);
    return 0;
}

static void print_result(const struct run_options *options, const struct run_result *result,
                         int quiet)
{
    if (!quiet && result->report.length) {
        fputs(text_str(&result->report), stdout);
        fputc('\n', stdout);
    }
    struct text summary = {0};
    run_format_summary(options, result, &summary);
    fputs(text_str(&summary), stdout);
    text_free(&summary);
    fflush(stdout);
}

/* ---- run ---------------------------------------------------------------------------- */

struct run_settings {
    const char *trace_path;
    const char *repro_path;
    const char *report_path;   /* --report */
    const char *chrome_path;   /* --chrome-trace */
    const char *schedule_path; /* --strategy replay:FILE */
    enum sched_outcome expect;
    int quiet;
    const struct scenario_variant *variant; /* --variant, NULL for none */
    struct fault_spec faults[FAULT_SPECS_MAX]; /* --fault, in the order given */
    uint32_t fault_count;
};

static int command_run_with(struct run_options *run_options, struct output_file *trace_file,
                            const struct run_settings *settings);

/* Applies the parsed options of 'run' to run and settings. A --strategy replay:FILE
 * loads FILE into schedule, which the caller frees whatever this returns. Returns 0
 * or EXIT_USAGE after printing the error. */
static int apply_run_options(const struct parsed_option *options, int option_count,
                             const struct scenario *scenario, struct run_options *run,
                             struct repro *schedule, struct run_settings *settings)
{
    char reason[256];
    for (int i = 0; i < option_count; i++) {
        const char *name = options[i].name, *value = options[i].value;
        if (strcmp(name, "seed") == 0) {
            if (config_parse_u64(value, &run->seed) != 0)
                return options_usage_error("bad seed '%s': expected an unsigned 64-bit integer, "
                                   "decimal or 0x hex",
                                   value);
        } else if (strcmp(name, "strategy") == 0 && strncmp(value, "replay:", 7) == 0) {
            /* The recorded schedule of a repro file, under this command's scenario
             * and config: does the fix hold on the very schedule that failed? */
            repro_free(schedule);
            if (repro_read(value + 7, schedule, reason, sizeof reason) != 0)
                return options_usage_error("%s", reason);
            if (schedule->options.scenario != scenario) {
                char recorded[64], wanted[64];
                return options_usage_error("--strategy %s: the file records scenario %s, not %s", value,
                                   scenario_name(schedule->options.scenario, recorded),
                                   scenario_name(scenario, wanted));
            }
            static const struct choice_record no_choices[1];
            run->strategy = schedule->options.strategy;
            run->seed = schedule->options.seed;
            run->replay = schedule->choice_count ? schedule->choices : no_choices;
            run->replay_count = schedule->choice_count;
            settings->schedule_path = value + 7;
        } else if (strcmp(name, "strategy") == 0) {
            if (run_parse_strategy(value, &run->strategy, reason, sizeof reason) != 0)
                return options_usage_error("%s", reason);
            run->replay = NULL; /* the last --strategy wins */
            run->replay_count = 0;
            settings->schedule_path = NULL;
        } else if (strcmp(name, "set") == 0) {
            if (config_assign(&run->config, value, reason, sizeof reason) != 0)
                return options_usage_error("%s", reason);
        } else if (strcmp(name, "max-steps") == 0 || strcmp(name, "max-vtime") == 0) {
            char assignment[256];
            snprintf(assignment, sizeof assignment, "%s=%s",
                     name[4] == 's' ? "max_steps" : "max_vtime", value);
            if (config_assign(&run->config, assignment, reason, sizeof reason) != 0)
                return options_usage_error("%s", reason);
        } else if (strcmp(name, "fault") == 0) {
            if (settings->fault_count == FAULT_SPECS_MAX)
                return options_usage_error("too many --fault options (at most %d)", FAULT_SPECS_MAX);
            if (fault_spec_parse(value, &settings->faults[settings->fault_count], reason,
                                 sizeof reason) != 0)
                return options_usage_error("bad --fault '%s': %s", value, reason);
            settings->fault_count++;
        } else if (strcmp(name, "trace") == 0) {
            settings->trace_path = value;
        } else if (strcmp(name, "trace-format") == 0) {
            if (parse_trace_format(value, &run->trace_format) != 0)
                return EXIT_USAGE;
        } else if (strcmp(name, "expect") == 0) {
            int outcome = sched_outcome_parse(value);
            if (outcome < 0 || outcome == SCHED_OUTCOME_CRASH)
                return options_usage_error("bad --expect '%s': expected pass, hang-deadlock, "
                                   "hang-budget, leak, panic, assert or invariant",
                                   value);
            settings->expect = (enum sched_outcome)outcome;
        } else if (strcmp(name, "save-repro") == 0) {
            settings->repro_path = value;
        } else if (strcmp(name, "report") == 0) {
            settings->report_path = value;
        } else if (strcmp(name, "chrome-trace") == 0) {
            settings->chrome_path = value;
        } else if (strcmp(name, "quiet") == 0) {
            settings->quiet = 1;
        }
    }
    return 0;
}

/* Applies the last --variant NAME, before any --set; *selected gets it (NULL for
 * none). Returns 0 or EXIT_USAGE. */
static int apply_variant_option(const struct parsed_option *options, int option_count,
                                const struct scenario *scenario, struct config *config,
                                const struct scenario_variant **selected)
{
    const char *name = NULL;
    for (int i = 0; i < option_count; i++)
        if (strcmp(options[i].name, "variant") == 0)
            name = options[i].value;
    if (!name)
        return 0;
    char scenario_text[64], reason[256];
    const struct scenario_variant *variant = scenario_variant_find(scenario, name);
    if (!variant) {
        char known[512];
        return options_usage_error("unknown variant '%s' of %s (%s)", name,
                                   scenario_name(scenario, scenario_text),
                                   scenario_variant_names(scenario, known, sizeof known));
    }
    if (scenario_variant_apply(variant, config, reason, sizeof reason) != 0)
        return options_usage_error("%s: %s", scenario_name(scenario, scenario_text), reason);
    *selected = variant;
    return 0;
}

static int command_run(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},       {"seed", 1},   {"strategy", 1},     {"set", 1},
        {"max-steps", 1},  {"max-vtime", 1}, {"trace", 1},     {"trace-format", 1},
        {"expect", 1},     {"save-repro", 1}, {"quiet", 0},    {"fault", 1},
        {"report", 1},     {"chrome-trace", 1}, {"variant", 1}, {0}};
    struct parsed_option options[256];
    const char *positionals[1];
    int option_count, positional_count;
    if (argc > 256)
        return options_usage_error("too many arguments");
    if (options_parse("run", argc, argv, specs, options, &option_count, positionals,
                      &positional_count, 1) != 0)
        return EXIT_USAGE;

    const struct scenario *scenario = NULL;
    if (positional_count == 1) {
        scenario = scenario_find(positionals[0]);
        if (!scenario)
            return options_usage_error("unknown scenario '%s' (see 'detsim list')", positionals[0]);
    }
    struct run_options run = {.scenario = scenario};
    if (run_config_init(&run.config, scenario) != 0) {
        fprintf(stderr, "detsim: scenario config keys clash with the core keys\n");
        return EXIT_INTERNAL;
    }
    if (options_has(options, option_count, "help")) {
        fputs(run_help, stdout);
        if (scenario) {
            char name[64];
            if (scenario->variants) {
                printf("\nvariants of %s (--variant NAME):\n", scenario_name(scenario, name));
                print_variants(scenario);
            }
            printf("\nconfig keys of %s (--set KEY=VALUE):\n", scenario_name(scenario, name));
        } else {
            printf("\ncore config keys (a scenario adds its own: detsim run SCENARIO --help):\n");
        }
        print_keys(&run.config);
        return EXIT_EXPECTED;
    }
    if (!scenario)
        return options_usage_error("run needs a scenario (see 'detsim list')");

    run.strategy = SCHED_STRATEGY_DEFAULT;
    struct repro schedule = {0}; /* --strategy replay:FILE */
    struct run_settings settings = {.expect = SCHED_OUTCOME_PASS};
    const struct scenario_variant *variant = NULL;
    int status = apply_variant_option(options, option_count, scenario, &run.config, &variant);
    if (status == 0)
        status = apply_run_options(options, option_count, scenario, &run, &schedule, &settings);
    run.faults = settings.faults;
    run.fault_count = settings.fault_count;
    char reason[256];
    if (status == 0 && world_config_error(&run.config, reason, sizeof reason) != 0)
        status = options_usage_error("%s", reason);
    if (status == 0) {
        struct output_file trace_file = {.path = settings.trace_path};
        settings.variant = variant;
        status = command_run_with(&run, &trace_file, &settings);
    }
    repro_free(&schedule);
    return status;
}

static int command_run_with(struct run_options *run_options, struct output_file *trace_file,
                            const struct run_settings *settings)
{
    const struct scenario_variant *variant = settings->variant;
    const char *repro_path = settings->repro_path;
    enum sched_outcome expect = settings->expect;
    int quiet = settings->quiet;
    struct run_options run = *run_options;
    struct output_file repro_file = {.path = repro_path};
    struct report_files reports = {{.path = settings->report_path},
                                   {.path = settings->chrome_path}};
    /* Every output is opened first: a bad path is found before anything runs. */
    if (output_open(&repro_file, "repro file") != 0)
        return EXIT_USAGE;
    if (output_open(trace_file, "trace file") != 0) {
        output_close(&repro_file, "repro file", 0);
        return EXIT_USAGE;
    }
    if (report_files_open(&reports) != 0) {
        output_close(trace_file, "trace file", 0);
        output_close(&repro_file, "repro file", 0);
        return EXIT_USAGE;
    }
    run.trace_out = trace_file->stream;
    run.record_choices = repro_path != NULL;
    struct report_outputs outputs = {reports.html.stream, reports.chrome.stream, repro_path,
                                     settings->schedule_path};

    struct run_result result = {0};
    if (report_outputs_attach(&outputs, &run) != 0 || run_scenario(&run, &result) != 0) {
        output_close(trace_file, "trace file", 0);
        output_close(&repro_file, "repro file", 0);
        report_files_close(&reports, 0);
        report_outputs_free(&outputs);
        run_result_free(&result);
        fprintf(stderr, "detsim: internal error: out of memory\n");
        return EXIT_INTERNAL;
    }
    int status = output_close(trace_file, "trace file", 1);
    int reported = report_files_finish(&reports, &outputs, &run, &result);
    report_outputs_free(&outputs);
    if (status == 0)
        status = reported;
    print_result(&run, &result, quiet);
    if (run.replay && (result.replay_mismatches || result.replay_overruns))
        printf("replay: %" PRIu64 " recorded choices did not fit this run, %" PRIu64
               " draws went past the recording (drawn as 0)\n",
               result.replay_mismatches, result.replay_overruns);
    if (repro_file.stream) {
        repro_write_stream(repro_file.stream, repro_path, &run, &result);
        int written = output_close(&repro_file, "repro file", status == 0);
        if (written != 0)
            status = written;
        else if (status == 0 && !quiet)
            printf("repro written to %s (replay: detsim replay %s)\n", repro_path, repro_path);
    }
    if (status == 0 && !quiet)
        report_files_announce(&reports);
    if (status == 0 && result.outcome != expect) {
        if (variant && strcmp(variant->expect, sched_outcome_name(result.outcome)) == 0)
            fprintf(stderr, "detsim: outcome %s, expected %s (variant %s declares %s: add "
                            "--expect %s)\n",
                    sched_outcome_name(result.outcome), sched_outcome_name(expect), variant->name,
                    variant->expect, variant->expect);
        else
            fprintf(stderr, "detsim: outcome %s, expected %s\n", sched_outcome_name(result.outcome),
                    sched_outcome_name(expect));
        status = EXIT_UNEXPECTED;
    }
    run_result_free(&result);
    return status;
}

/* ---- replay ------------------------------------------------------------------------- */

static int command_replay(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},  {"trace", 1},  {"trace-format", 1}, {"from-seed", 0},
        {"quiet", 0}, {"report", 1}, {"chrome-trace", 1}, {0}};
    struct parsed_option options[16];
    const char *positionals[1];
    int option_count, positional_count;
    if (argc > 16)
        return options_usage_error("too many arguments");
    if (options_parse("replay", argc, argv, specs, options, &option_count, positionals,
                      &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(replay_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("replay needs a repro file (see 'detsim replay --help')");
    struct output_file trace_file = {0};
    struct report_files reports = {{0}, {0}};
    enum trace_format format = TRACE_FORMAT_TEXT;
    int quiet = options_has(options, option_count, "quiet");
    int from_seed = options_has(options, option_count, "from-seed");
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].name, "trace") == 0)
            trace_file.path = options[i].value;
        else if (strcmp(options[i].name, "report") == 0)
            reports.html.path = options[i].value;
        else if (strcmp(options[i].name, "chrome-trace") == 0)
            reports.chrome.path = options[i].value;
        else if (strcmp(options[i].name, "trace-format") == 0 &&
                 parse_trace_format(options[i].value, &format) != 0)
            return EXIT_USAGE;
    }
    struct repro repro;
    char reason[512];
    if (repro_read(positionals[0], &repro, reason, sizeof reason) != 0)
        return options_usage_error("%s", reason);
    if (output_open(&trace_file, "trace file") != 0) {
        repro_free(&repro);
        return EXIT_USAGE;
    }
    if (report_files_open(&reports) != 0) {
        output_close(&trace_file, "trace file", 0);
        repro_free(&repro);
        return EXIT_USAGE;
    }
    static const struct choice_record no_choices[1];
    struct run_options run = repro.options;
    run.trace_out = trace_file.stream;
    run.trace_format = format;
    if (!from_seed && repro.has_choices) {
        run.replay = repro.choice_count ? repro.choices : no_choices;
        run.replay_count = repro.choice_count;
    }
    if (world_config_error(&run.config, reason, sizeof reason) != 0) {
        output_close(&trace_file, "trace file", 0);
        report_files_close(&reports, 0);
        repro_free(&repro);
        return options_usage_error("%s: %s", positionals[0], reason);
    }
    /* From the recorded choices, the page's replay command is the recording's. */
    struct report_outputs outputs = {reports.html.stream, reports.chrome.stream, positionals[0],
                                     run.replay ? positionals[0] : NULL};
    struct run_result result = {0};
    if (report_outputs_attach(&outputs, &run) != 0 || run_scenario(&run, &result) != 0) {
        output_close(&trace_file, "trace file", 0);
        report_files_close(&reports, 0);
        report_outputs_free(&outputs);
        run_result_free(&result);
        repro_free(&repro);
        fprintf(stderr, "detsim: internal error: out of memory\n");
        return EXIT_INTERNAL;
    }
    int status = output_close(&trace_file, "trace file", 1);
    int reported = report_files_finish(&reports, &outputs, &run, &result);
    report_outputs_free(&outputs);
    if (status == 0)
        status = reported;
    print_result(&run, &result, quiet);
    int outcome_matches = result.outcome == repro.expect_outcome;
    int hash_matches = !repro.has_hash || result.hash == repro.expect_hash;
    printf("replay: outcome %s %s", sched_outcome_name(result.outcome),
           outcome_matches ? "matches" : "DIFFERS from the recorded ");
    if (!outcome_matches)
        printf("%s", sched_outcome_name(repro.expect_outcome));
    if (repro.has_hash)
        printf("; hash %s", hash_matches ? "matches" : "DIFFERS");
    if (!hash_matches)
        printf(" (recorded 0x%016" PRIx64 ")", repro.expect_hash);
    int signature_matches = !repro.has_signature ||
                            run_signature(result.outcome, text_str(&result.report)) ==
                                repro.expect_signature;
    if (!signature_matches)
        printf("; signature DIFFERS");
    if (run.replay)
        printf("; %zu recorded choices fed back", repro.choice_count);
    if (result.replay_mismatches || result.replay_overruns)
        printf(" (%" PRIu64 " did not fit the run, %" PRIu64 " draws past the end)",
               result.replay_mismatches, result.replay_overruns);
    printf("\n");
    if (status == 0 && !quiet)
        report_files_announce(&reports);
    if (status == 0 && !(outcome_matches && hash_matches && signature_matches))
        status = EXIT_UNEXPECTED;
    run_result_free(&result);
    repro_free(&repro);
    return status;
}

int main(int argc, char **argv)
{
    int status;
    if (argc < 2)
        return options_usage_error("missing command (commands: list, run, replay, sweep, merge, shrink, "
                           "faults; see 'detsim --help')");
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(main_help, stdout);
        return EXIT_EXPECTED;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        printf("detsim %s\n", DETSIM_VERSION);
        return EXIT_EXPECTED;
    }
    if (strcmp(command, "list") == 0)
        status = command_list(argc - 2, argv + 2);
    else if (strcmp(command, "run") == 0)
        status = command_run(argc - 2, argv + 2);
    else if (strcmp(command, "replay") == 0)
        status = command_replay(argc - 2, argv + 2);
    else if (strcmp(command, "faults") == 0)
        status = command_faults(argc - 2, argv + 2);
    else if (strcmp(command, "sweep") == 0)
        status = cli_sweep(argc - 2, argv + 2);
    else if (strcmp(command, "merge") == 0)
        status = cli_merge(argc - 2, argv + 2);
    else if (strcmp(command, "shrink") == 0)
        status = cli_shrink(argc - 2, argv + 2);
    else
        status = options_usage_error("unknown command '%s' (commands: list, run, replay, sweep, merge, "
                             "shrink, faults; see 'detsim --help')",
                             command);
    coro_pool_drain();
    return status;
}
