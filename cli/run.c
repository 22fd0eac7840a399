/* run — `detsim run SCENARIO`: one seed, its result, and the files it writes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "model/world.h"
#include "sim/repro.h"
#include "sim/run.h"
#include "util/progname.h"

static const char run_help_head[] =
    "usage: detsim run SCENARIO [options]\n"
    "\n"
    "Runs one seed of SCENARIO and prints a readable result: on a hang, the hang report;\n"
    "always, a summary line scenario=... seed=... outcome=... steps=... vtime=... hash=...\n"
    "The same seed, strategy and config give the same trace and hash every time.\n"
    "\n"
    "options:\n"
    "  --seed N              64-bit seed, decimal or 0x hex (default 0)\n";

/* The rest, in strings of their own: C99 promises only 4095 bytes for one. */
static const char run_help_strategy[] =
    "  --strategy S          random: uniform choice among ready tasks (the default);\n"
    "                        rr: round robin, no randomness;\n"
    "                        pct[:depth=D,steps=K]: PCT, D-1 priority change points\n"
    "                        drawn from steps 1..K (default D=3); a task that yields\n"
    "                        goes below those that did not;\n"
    "                        pos: partial order sampling: fresh random priorities for\n"
    "                        the steps that conflict with the one that ran;\n"
    "                        delay[:bound=B,steps=K]: the task that ran runs on, else\n"
    "                        the longest waiting, but B choices (drawn in 1..K) are\n"
    "                        passed over (default B=2);\n"
    "                        preempt[:bound=B,steps=K]: the task that ran runs on, but\n"
    "                        at B steps drawn in 1..K another preempts it (default B=2);\n"
    "                        portfolio: seed mod 8 picks random, pos, pct:depth=1,\n"
    "                        random, pct:depth=2, pos, pct:depth=3, random;\n"
    "                        without steps=K, K is the run's length: the most steps of\n"
    "                        probe runs at seeds 0..2 under random; the repro file and\n"
    "                        the reports name the strategy as it ran, with its K;\n"
    "                        replay:FILE: the schedule recorded in repro FILE, under\n"
    "                        this command's config (try a fix on the failing schedule)\n";

static const char run_help[] =
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
    "  --expect OUTCOME      the outcome that counts as success: pass, hang-deadlock,\n"
    "                        hang-budget, leak, panic, assert, invariant (default: what\n"
    "                        --variant's variant declares, else pass; a --set of one of\n"
    "                        the variant's keys drops its declaration)\n"
    "  --save-repro FILE     write a repro file of this run (replay: detsim replay FILE)\n"
    "  --report FILE         write a self-contained HTML report of the run: the outcome\n"
    "                        and how to replay it, the hang's wait-for graph with its\n"
    "                        cycle, the leaked objects or the failure report, a timeline\n"
    "                        of every process, resource use against its limits\n"
    "  --chrome-trace FILE   write the trace as Chrome trace-event JSON, for Perfetto\n"
    "                        (ui.perfetto.dev) or chrome://tracing; ts is virtual time\n"
    "  --backend NAME        sim (the default): the simulator; linux: real processes\n"
    "                        over real Linux primitives, for a portable scenario (not\n"
    "                        reproducible; with --fault, --expect and --set only;\n"
    "                        docs/backends.md)\n"
    "  --time-limit SECONDS  wall-clock limit of the run (default 600); past it the run\n"
    "                        is killed and its outcome is timeout\n"
    "  --quiet               print only the summary line\n"
    "\n"
    "The scenario runs in a child process: scenario code that crashes, calls exit()\n"
    "or loops in C is reported (signal, pid and step, the replay command, a repro\n"
    "file), not fatal; its outcome is crash or timeout.\n"
    "Output files are written to a temporary file and renamed into place; a bad path\n"
    "is found before anything runs. The trace hash is the same with or without them.\n"
    "Exit status: 0 when the outcome is the expected one, 1 when not, 2 bad input,\n"
    "3 an output that could not be written or another internal error.\n";

static void print_keys(const struct config *config)
{
    for (uint32_t i = 0; i < config->count; i++) {
        const struct config_key *k = config->keys[i];
        char value[48];
        printf("  %-28s %-8s default %-10s %s\n", k->name, config_type_name(k->type),
               config_format_value(k, config->values[i], value), k->description);
    }
}

/* The help, then scenario's variants and config keys (config), or the core keys when
 * no scenario is named. */
static void print_help(const struct scenario *scenario, const struct config *config)
{
    fputs(run_help_head, stdout);
    fputs(run_help_strategy, stdout);
    fputs(run_help, stdout);
    if (scenario) {
        char name[64];
        if (scenario->variants) {
            printf("\nvariants of %s (--variant NAME):\n", scenario_name(scenario, name));
            output_print_variants(scenario);
        }
        printf("\nconfig keys of %s (--set KEY=VALUE):\n", scenario_name(scenario, name));
    } else {
        printf("\ncore config keys (a scenario adds its own: detsim run SCENARIO --help):\n");
    }
    print_keys(config);
}

struct run_settings {
    const char *trace_path;
    const char *repro_path;
    const char *report_path;   /* --report */
    const char *chrome_path;   /* --chrome-trace */
    const char *schedule_path; /* --strategy replay:FILE */
    double time_limit_s;       /* --time-limit, 0: none */
    enum sched_outcome expect;
    int expect_declared; /* expect is what --variant declares, not an --expect */
    int quiet;
    const struct scenario_variant *variant; /* --variant, NULL for none */
    struct fault_spec faults[FAULT_SPECS_MAX]; /* --fault, in the order given */
    uint32_t fault_count;
};

/* --strategy replay:FILE (value): the recorded schedule of a repro file, under this
 * command's scenario and config: does the fix hold on the very schedule that
 * failed? Loads FILE into schedule (freed first). Returns 0 or EXIT_USAGE after
 * printing the error. */
static int apply_schedule(const char *value, const struct scenario *scenario,
                          struct run_options *run, struct repro *schedule,
                          struct run_settings *settings)
{
    char reason[256];
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
    return 0;
}

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
            if (apply_schedule(value, scenario, run, schedule, settings) != 0)
                return EXIT_USAGE;
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
            if (output_parse_trace_format(value, &run->trace_format) != 0)
                return EXIT_USAGE;
        } else if (strcmp(name, "expect") == 0) {
            int outcome = sched_outcome_parse(value);
            if (outcome < 0 || outcome >= SCHED_OUTCOME_CRASH)
                return options_usage_error("bad --expect '%s': expected pass, hang-deadlock, "
                                   "hang-budget, leak, panic, assert or invariant",
                                   value);
            settings->expect = (enum sched_outcome)outcome;
            settings->expect_declared = 0;
        } else if (strcmp(name, "save-repro") == 0) {
            settings->repro_path = value;
        } else if (strcmp(name, "report") == 0) {
            settings->report_path = value;
        } else if (strcmp(name, "chrome-trace") == 0) {
            settings->chrome_path = value;
        } else if (strcmp(name, "quiet") == 0) {
            settings->quiet = 1;
        } else if (strcmp(name, "backend") == 0) {
            int backend = run_backend_parse(value);
            if (backend < 0)
                return options_usage_error("unknown backend '%s' (backends: sim, linux)", value);
            run->backend = (enum run_backend)backend;
        } else if (strcmp(name, "time-limit") == 0) {
            if (output_parse_time_limit(value, &settings->time_limit_s) != 0)
                return EXIT_USAGE;
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

/* A real run has no trace, no choices and no scheduler: the options that need
 * them are refused, as is a scenario or config the Linux backend cannot run.
 * Returns 0 or EXIT_USAGE after one line on stderr. */
static int check_backend(const struct parsed_option *options, int option_count,
                         const struct run_options *run)
{
    static const char *const simulated_only[] = {"strategy", "trace", "trace-format",
                                                 "save-repro", "report", "chrome-trace", NULL};
    if (run->backend != RUN_BACKEND_LINUX)
        return 0;
    for (int i = 0; simulated_only[i]; i++)
        if (options_has(options, option_count, simulated_only[i]))
            return options_usage_error("--%s is for the simulated backend: a real run has no "
                                       "scheduler, trace or recorded choices",
                                       simulated_only[i]);
    char reason[320];
    if (run_backend_check(run, reason, sizeof reason) != 0)
        return options_usage_error("--backend linux: %s", reason);
    return 0;
}

/* Opens every output of a run, before anything runs, so that a bad path is found
 * first. Returns 0, or EXIT_USAGE after one line on stderr with nothing open. */
static int open_outputs(struct output_file *repro_file, struct output_file *trace_file,
                        struct output_reports *reports)
{
    if (output_open(repro_file, "repro file") != 0)
        return EXIT_USAGE;
    if (output_open(trace_file, "trace file") != 0) {
        output_close(repro_file, "repro file", 0);
        return EXIT_USAGE;
    }
    if (output_reports_open(reports) != 0) {
        output_close(trace_file, "trace file", 0);
        output_close(repro_file, "repro file", 0);
        return EXIT_USAGE;
    }
    return 0;
}

/* Writes the repro of the run to repro_file (open) and commits it when status is 0.
 * Returns status, or EXIT_INTERNAL when the file could not be written. */
static int finish_repro(struct output_file *repro_file, const struct run_options *run,
                        const struct run_result *result, int status, int quiet)
{
    repro_write_stream(repro_file->stream, repro_file->path, run, result);
    int written = output_close(repro_file, "repro file", status == 0);
    if (written != 0)
        return written;
    if (status == 0 && !quiet)
        printf("repro written to %s (replay: %s replay %s)\n", repro_file->path, progname(),
               repro_file->path);
    return status;
}

/* Returns EXIT_UNEXPECTED after one line on stderr when outcome is not the expected
 * one (saying where the expectation came from when a variant declared it),
 * else EXIT_EXPECTED. */
static int check_outcome(const struct run_settings *settings, enum sched_outcome outcome)
{
    const struct scenario_variant *variant = settings->variant;
    enum sched_outcome expect = settings->expect;
    if (outcome == expect)
        return EXIT_EXPECTED;
    if (variant && settings->expect_declared)
        fprintf(stderr, "detsim: outcome %s, expected %s (variant %s declares it%s; --expect %s "
                        "holds this run to %s)\n",
                sched_outcome_name(outcome), sched_outcome_name(expect), variant->name,
                outcome == SCHED_OUTCOME_PASS ? " and fails on some seeds only" : "",
                sched_outcome_name(outcome), sched_outcome_name(outcome));
    else
        fprintf(stderr, "detsim: outcome %s, expected %s\n", sched_outcome_name(outcome),
                sched_outcome_name(expect));
    return EXIT_UNEXPECTED;
}

/* The expectation of a run of variant when no --expect is given: what it declares,
 * unless a --set changes one of its keys (then it is an ordinary configuration,
 * held to pass, as in a sweep). */
static void expect_declared(const struct parsed_option *options, int option_count,
                            const struct scenario_variant *variant, struct run_settings *settings)
{
    int declared = variant ? sched_outcome_parse(variant->expect) : -1;
    for (int i = 0; i < option_count && declared >= 0; i++)
        if (strcmp(options[i].name, "set") == 0 &&
            scenario_variant_sets_key(variant, options[i].value))
            declared = -1;
    if (declared < 0)
        return;
    settings->expect = (enum sched_outcome)declared;
    settings->expect_declared = 1;
}

/* Makes run->strategy concrete (run_strategy_resolve), with the probe runs that
 * measure the run's length in children, as the run itself: a scenario that crashes
 * or spins is a probe that counts for nothing. Returns 0, or -1 after one line on
 * stderr (interrupted). */
static int resolve_strategy(struct run_options *run, double time_limit_s)
{
    struct sched_strategy *s = &run->strategy;
    run_strategy_for_seed(s, run->seed, 0, s);
    if (run->backend == RUN_BACKEND_LINUX || s->pct_steps ||
        (s->kind != SCHED_PCT && s->kind != SCHED_DELAY && s->kind != SCHED_PREEMPT))
        return 0;
    struct run_options probe = *run;
    probe.strategy = SCHED_STRATEGY_DEFAULT;
    probe.record_choices = 0;
    probe.trace_out = NULL;
    probe.observer = NULL;
    s->pct_steps = 1;
    for (probe.seed = 0; probe.seed < RUN_PROBE_SEEDS; probe.seed++) {
        struct run_result result;
        struct isolate_loss loss;
        int rc = isolate_run(&probe, time_limit_s, NULL, NULL, &result, NULL, &loss);
        if (rc == 0 && result.steps > s->pct_steps)
            s->pct_steps = result.steps;
        run_result_free(&result);
        if (rc == -EINTR) {
            fprintf(stderr, "detsim: interrupted while measuring the run's length\n");
            return -1;
        }
    }
    return 0;
}

/* Runs run_options with settings' outputs, in a child, and prints the result; a
 * crash or a timeout also gets its replay command and its repro file. Returns the
 * exit status. */
static int run_with(const struct run_options *run_options, struct output_file *trace_file,
                    const struct run_settings *settings)
{
    int quiet = settings->quiet;
    struct run_options run = *run_options;
    /* The strategy the run runs, written down as such in the repro, the reports and
     * their replay commands: a portfolio's arm, the run's length for a steps=K not
     * given. */
    if (!run.replay && resolve_strategy(&run, settings->time_limit_s) != 0)
        return EXIT_INTERNAL;
    struct output_file repro_file = {.path = settings->repro_path};
    struct output_reports reports = {{.path = settings->report_path},
                                     {.path = settings->chrome_path}};
    if (open_outputs(&repro_file, trace_file, &reports) != 0)
        return EXIT_USAGE;
    run.record_choices = settings->repro_path != NULL;
    struct output_run outputs = {trace_file, &reports, settings->repro_path,
                                 settings->schedule_path, settings->time_limit_s};
    struct run_result result;
    struct isolate_loss loss;
    int status = output_run_isolated(&run, &outputs, &result, &loss);
    if (status == OUTPUT_INTERRUPTED || status == OUTPUT_NO_RUN || status == OUTPUT_REFUSED) {
        output_close(&repro_file, "repro file", 0);
        run_result_free(&result);
        if (status == OUTPUT_INTERRUPTED)
            isolate_reraise();
        return status == OUTPUT_REFUSED ? EXIT_USAGE : EXIT_INTERNAL;
    }
    output_print_result(&run, &result, quiet);
    if (run.replay && (result.replay_mismatches || result.replay_overruns))
        printf("replay: %" PRIu64 " recorded choices did not fit this run, %" PRIu64
               " draws went past the recording (drawn as 0)\n",
               result.replay_mismatches, result.replay_overruns);
    if (loss.kind != ISOLATE_NONE) {
        /* the schedule a replay strategy fed is the crash's: its repro feeds it again */
        if (run.replay && run.replay_count && !result.choices &&
            (result.choices = malloc(run.replay_count * sizeof *run.replay)) != NULL) {
            memcpy(result.choices, run.replay, run.replay_count * sizeof *run.replay);
            result.choice_count = run.replay_count;
        }
        int written = output_lost_run(&run, &result, settings->schedule_path, &repro_file, quiet);
        status = status ? status : written;
    } else if (repro_file.stream) {
        status = finish_repro(&repro_file, &run, &result, status, quiet);
    }
    if (status == 0 && !quiet && loss.kind == ISOLATE_NONE)
        output_reports_announce(&reports);
    if (status == 0)
        status = check_outcome(settings, result.outcome);
    run_result_free(&result);
    return status;
}

int cli_run(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},       {"seed", 1},   {"strategy", 1},     {"set", 1},
        {"max-steps", 1},  {"max-vtime", 1}, {"trace", 1},     {"trace-format", 1},
        {"expect", 1},     {"save-repro", 1}, {"quiet", 0},    {"fault", 1},
        {"report", 1},     {"chrome-trace", 1}, {"variant", 1}, {"backend", 1},
        {"time-limit", 1}, {0}};
    struct parsed_option options[256];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("run", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 1) != 0)
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
        print_help(scenario, &run.config);
        return EXIT_EXPECTED;
    }
    if (!scenario)
        return options_usage_error("run needs a scenario (see 'detsim list')");

    run.strategy = SCHED_STRATEGY_DEFAULT;
    struct repro schedule = {0}; /* --strategy replay:FILE */
    struct run_settings settings = {.expect = SCHED_OUTCOME_PASS,
                                    .time_limit_s = OUTPUT_TIME_LIMIT_DEFAULT_S};
    const struct scenario_variant *variant = NULL;
    int status = apply_variant_option(options, option_count, scenario, &run.config, &variant);
    expect_declared(options, option_count, variant, &settings);
    if (status == 0)
        status = apply_run_options(options, option_count, scenario, &run, &schedule, &settings);
    run.faults = settings.faults;
    run.fault_count = settings.fault_count;
    char reason[256];
    if (status == 0 && world_config_error(&run.config, reason, sizeof reason) != 0)
        status = options_usage_error("%s", reason);
    if (status == 0)
        status = check_backend(options, option_count, &run);
    if (status == 0) {
        struct output_file trace_file = {.path = settings.trace_path};
        isolate_catch_signals(); /* a Ctrl-C removes the temporary files, then ends it */
        settings.variant = variant;
        status = run_with(&run, &trace_file, &settings);
    }
    repro_free(&schedule);
    return status;
}
