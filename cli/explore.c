/* explore — `detsim explore SCENARIO`: every schedule within a bound, by the engine
 * in reports/explore.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "model/world.h"
#include "reports/explore.h"
#include "reports/isolate.h"
#include "sim/repro.h"
#include "util/outfile.h"

static const char explore_help[] =
    "usage: detsim explore SCENARIO [--variant V] [--set KEY=VALUE]...\n"
    "                      [--preemptions K | --delays K] [--faults F] [--fault SPEC]...\n"
    "                      [--knobs N] [--budget N|DURATION] [--no-reduction]\n"
    "                      [--repro-dir DIR] [--time-limit SECONDS] [--quiet]\n"
    "\n"
    "Runs every schedule of the scenario within a bound, depth first over its choice\n"
    "tree: which ready task runs at each step, whether each failpoint hit fires, each\n"
    "scenario knob. Schedules that differ only in the order of independent steps (no\n"
    "model object in common) are run once (sleep sets).\n"
    "\n"
    "  --preemptions K  at most K preemptions per run: switching away from a task that\n"
    "                   could go on (default 2); after a block or an exit any task may\n"
    "                   run for free, after a sys_yield the one that waited longest\n"
    "  --delays K       at most K delays instead: skipping the task a non-preemptive\n"
    "                   scheduler would run next costs one each\n"
    "  --faults F       at most F fault fires per run (default 0); the failpoints are\n"
    "                   those of --fault, or every model/ failpoint\n"
    "  --knobs N        at most N scenario knobs (sys_choose) drawn other than 0 per\n"
    "                   run (default: every value of every knob)\n"
    "  --budget N|DUR   stop after N runs, or after DUR of CPU time (e.g. 30s); the\n"
    "                   default is no limit\n"
    "  --no-reduction   run equivalent interleavings too (for a scenario that shares\n"
    "                   memory between its processes outside the models)\n"
    "  --repro-dir DIR  where each distinct failure's repro file goes (default\n"
    "                   reports/out/explore)\n"
    "  --time-limit S   wall-clock limit of one run, a loop in C (default 600)\n"
    "  --quiet          no progress bar on a terminal\n"
    "\n"
    "Prints the runs made, whether the bounded space was exhausted, and every distinct\n"
    "failure with a repro file for 'detsim replay'. Ctrl-C stops it with a summary.\n"
    "Exit status: 0 exhausted with no failure, 1 a failure found or the space not\n"
    "exhausted within the budget, 2 bad input, 3 internal error.\n";

struct explore_settings {
    struct explore_options explore;
    const char *variant;      /* NULL: none */
    const char *repro_dir;
    int quiet;
    int bound_given;
    struct fault_spec faults[FAULT_SPECS_MAX];
    uint32_t fault_count;
};

/* --budget: a count of runs, or a CPU duration. Returns 0 or EXIT_USAGE. */
static int parse_budget(const char *text, struct explore_options *o)
{
    char reason[200];
    if (text[0] >= '0' && text[0] <= '9' && text[strspn(text, "0123456789")] == '\0') {
        if (config_parse_u64(text, &o->executions_max) != 0 || o->executions_max == 0)
            return options_usage_error("bad --budget '%s': expected a number of runs > 0 or a "
                                       "CPU time such as 30s", text);
        return 0;
    }
    if (config_parse_duration(text, &o->cpu_ns_max, reason, sizeof reason) != 0 ||
        o->cpu_ns_max == 0)
        return options_usage_error("bad --budget '%s': expected a number of runs > 0 or a CPU "
                                   "time such as 30s", text);
    return 0;
}

/* --preemptions K or --delays K. Returns 0 or EXIT_USAGE. */
static int parse_bound(const char *name, const char *value, struct explore_settings *s)
{
    uint64_t bound;
    if (s->bound_given)
        return options_usage_error("give one of --preemptions and --delays, once");
    if (config_parse_u64(value, &bound) != 0 || bound > 1000)
        return options_usage_error("bad --%s '%s': expected a whole number from 0 to 1000", name,
                                   value);
    s->bound_given = 1;
    s->explore.bound = (uint32_t)bound;
    s->explore.bound_kind = name[0] == 'd' ? EXPLORE_DELAYS : EXPLORE_PREEMPTIONS;
    return 0;
}

/* Applies one option other than --variant. Returns 0 or EXIT_USAGE. */
static int apply_option(const struct parsed_option *option, struct explore_settings *s)
{
    const char *name = option->name, *value = option->value;
    char reason[256];
    uint64_t number;
    if (strcmp(name, "set") == 0) {
        if (config_assign(&s->explore.run.config, value, reason, sizeof reason) != 0)
            return options_usage_error("%s", reason);
    } else if (strcmp(name, "preemptions") == 0 || strcmp(name, "delays") == 0) {
        return parse_bound(name, value, s);
    } else if (strcmp(name, "faults") == 0) {
        if (config_parse_u64(value, &number) != 0 || number > 1000)
            return options_usage_error("bad --faults '%s': expected a whole number from 0 to "
                                       "1000", value);
        s->explore.faults_max = (uint32_t)number;
    } else if (strcmp(name, "knobs") == 0) {
        if (config_parse_u64(value, &number) != 0 || number > 1000)
            return options_usage_error("bad --knobs '%s': expected a whole number from 0 to "
                                       "1000", value);
        s->explore.knobs_max = (uint32_t)number;
    } else if (strcmp(name, "fault") == 0) {
        if (s->fault_count == FAULT_SPECS_MAX)
            return options_usage_error("too many --fault options (at most %d)", FAULT_SPECS_MAX);
        if (fault_spec_parse(value, &s->faults[s->fault_count], reason, sizeof reason) != 0)
            return options_usage_error("bad --fault '%s': %s", value, reason);
        s->fault_count++;
    } else if (strcmp(name, "budget") == 0) {
        return parse_budget(value, &s->explore);
    } else if (strcmp(name, "no-reduction") == 0) {
        s->explore.reduce = 0;
    } else if (strcmp(name, "repro-dir") == 0) {
        s->repro_dir = value;
    } else if (strcmp(name, "time-limit") == 0) {
        return output_parse_time_limit(value, &s->explore.run_time_limit_s);
    } else if (strcmp(name, "quiet") == 0) {
        s->quiet = 1;
    }
    return 0;
}

/* The variant first (its settings under any --set), then the rest in order.
 * Returns 0 or EXIT_USAGE. */
static int apply_options(const struct parsed_option *options, int count,
                         struct explore_settings *s)
{
    const struct scenario *scenario = s->explore.run.scenario;
    char name[64], reason[256];
    for (int i = 0; i < count; i++)
        if (strcmp(options[i].name, "variant") == 0)
            s->variant = options[i].value;
    if (s->variant) {
        const struct scenario_variant *v = scenario_variant_find(scenario, s->variant);
        char known[512];
        if (!v)
            return options_usage_error("unknown variant '%s' of %s (%s)", s->variant,
                                       scenario_name(scenario, name),
                                       scenario_variant_names(scenario, known, sizeof known));
        if (scenario_variant_apply(v, &s->explore.run.config, reason, sizeof reason) != 0)
            return options_usage_error("%s: %s", scenario_name(scenario, name), reason);
    }
    for (int i = 0; i < count; i++)
        if (apply_option(&options[i], s) != 0)
            return EXIT_USAGE;
    if (world_config_error(&s->explore.run.config, reason, sizeof reason) != 0)
        return options_usage_error("%s", reason);
    if (s->explore.faults_max > 0 && s->fault_count == 0) {
        /* every model failpoint, each hit a decision: fire or not */
        if (fault_spec_parse("model/*:p=0.5", &s->faults[0], reason, sizeof reason) != 0)
            return options_usage_error("--faults: %s", reason);
        s->fault_count = 1;
    }
    if (s->explore.faults_max > 0) {
        s->explore.run.faults = s->faults;
        s->explore.run.fault_count = s->fault_count;
    } else if (s->fault_count > 0) {
        return options_usage_error("--fault needs --faults F (the most fires per run)");
    }
    return 0;
}

/* The progress line, on a terminal only, at most five times a second: a bar of
 * the estimated share covered (explore_progress), the runs and the failures. */
static void show_progress(void *context, const struct explore *e)
{
    static double shown;
    const struct explore_options *o = context;
    double now = isolate_wall_seconds();
    if (now - shown < 0.2)
        return;
    shown = now;
    double share = explore_progress(e, o);
    char bar[21];
    for (int i = 0; i < 20; i++)
        bar[i] = i < (int)(share * 20) ? '#' : '.';
    bar[20] = '\0';
    fprintf(stderr, "\rexplore [%s] ~%3.0f%%  %" PRIu64 " runs, %" PRIu32 " failures, %.1fs CPU ",
            bar, share * 100, e->executions, e->failure_count, (double)e->cpu_ns / 1e9);
    fflush(stderr);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "≤ 2 preemptions and ≤ 1 fault" */
static void describe_bound(const struct explore_options *o, char *out, size_t bytes)
{
    const char *kind = o->bound_kind == EXPLORE_DELAYS
                           ? plural(o->bound, "delay", "delays")
                           : plural(o->bound, "preemption", "preemptions");
    int n = snprintf(out, bytes, "\xe2\x89\xa4 %" PRIu32 " %s and \xe2\x89\xa4 %" PRIu32 " %s",
                     o->bound, kind, o->faults_max, plural(o->faults_max, "fault", "faults"));
    if (o->knobs_max != UINT32_MAX && n > 0 && (size_t)n < bytes)
        snprintf(out + n, bytes - (size_t)n, " (\xe2\x89\xa4 %" PRIu32 " %s other than 0)",
                 o->knobs_max, plural(o->knobs_max, "knob", "knobs"));
}

/* Writes failure i's repro file. Returns 0 or EXIT_INTERNAL after one line. */
static int write_failure(const struct explore_settings *s, const struct explore_failure *f,
                         uint32_t i, char *path, size_t bytes)
{
    char name[64], error[OUTFILE_PATH_MAX + 64];
    scenario_name(s->explore.run.scenario, name);
    snprintf(path, bytes, "%s/%s%s%s-explore-%" PRIu32 ".repro", s->repro_dir, name,
             s->variant ? "-" : "", s->variant ? s->variant : "", i + 1);
    int rc = outfile_make_parents(path);
    struct run_options run = explore_failure_options(&s->explore);
    if (rc == 0)
        rc = repro_write(path, &run, &f->result, error, sizeof error);
    else
        snprintf(error, sizeof error, "cannot write repro files in %s: %s", s->repro_dir,
                 strerror(-rc));
    if (rc != 0) {
        fprintf(stderr, "detsim: %s\n", error);
        return EXIT_INTERNAL;
    }
    return 0;
}

/* Prints the summary and writes the repro files. Returns the exit status. */
static int print_summary(const struct explore_settings *s, const struct explore *e)
{
    char bound[128];
    describe_bound(&s->explore, bound, sizeof bound);
    if (e->nondeterministic)
        printf("stopped: the scenario is not deterministic (a recorded prefix ran "
               "differently), after %" PRIu64 " runs\n", e->executions);
    else if (e->exhausted)
        printf("exhausted: all %" PRIu64 " schedules with %s, %" PRIu32 " %s\n", e->executions,
               bound, e->failure_count, plural(e->failure_count, "failure", "failures"));
    else if (!e->interrupted && !e->out_of_budget)
        printf("not exhausted: runs too long to branch past their first %u decisions, after "
               "%" PRIu64 " schedules with %s, %" PRIu32 " %s\n", EXPLORE_DECISIONS_MAX,
               e->executions, bound, e->failure_count,
               plural(e->failure_count, "failure", "failures"));
    else
        printf("not exhausted: %s after %" PRIu64 " schedules with %s, %" PRIu32 " %s\n",
               e->interrupted ? "interrupted" : "out of budget", e->executions, bound,
               e->failure_count, plural(e->failure_count, "failure", "failures"));
    printf("runs %" PRIu64 ", pruned %" PRIu64 " by sleep sets, deepest %" PRIu64
           " decisions, CPU %.2fs, %" PRIu64 " %s\n", e->executions, e->pruned, e->depth_max,
           (double)e->cpu_ns / 1e9, e->workers_started,
           plural(e->workers_started, "worker", "workers"));
    int status = e->failure_count || !e->exhausted ? EXIT_UNEXPECTED : EXIT_EXPECTED;
    for (uint32_t i = 0; i < e->failure_count; i++) {
        const struct explore_failure *f = &e->failures[i];
        const char *report = text_str(&f->result.report);
        char path[OUTFILE_PATH_MAX];
        printf("failure %" PRIu32 ": %s in %" PRIu64 " %s, first at run %" PRIu64 "\n  %.*s\n",
               i + 1, sched_outcome_name(f->result.outcome), f->count,
               plural(f->count, "run", "runs"), f->first_execution,
               (int)strcspn(report, "\n"), report);
        if (write_failure(s, f, i, path, sizeof path) != 0)
            return EXIT_INTERNAL;
        printf("  repro: %s (detsim replay %s)\n", path, path);
    }
    return status;
}

/* Parses the options into s. Returns 0, -1 after --help, or EXIT_USAGE. */
static int read_settings(int argc, char **argv, struct explore_settings *s)
{
    static const struct option_spec specs[] = {
        {"help", 0},   {"variant", 1},     {"set", 1},       {"preemptions", 1},
        {"delays", 1}, {"faults", 1},      {"fault", 1},     {"budget", 1},
        {"quiet", 0},  {"no-reduction", 0}, {"repro-dir", 1}, {"time-limit", 1},
        {"knobs", 1},  {0}};
    struct parsed_option options[256];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("explore", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(explore_help, stdout);
        return -1;
    }
    if (positional_count != 1)
        return options_usage_error("explore needs a scenario (see 'detsim list')");
    const struct scenario *scenario = scenario_find(positionals[0]);
    if (!scenario)
        return options_usage_error("unknown scenario '%s' (see 'detsim list')", positionals[0]);
    s->explore.run.scenario = scenario;
    if (run_config_init(&s->explore.run.config, scenario) != 0) {
        fprintf(stderr, "detsim: scenario config keys clash with the core keys\n");
        return EXIT_INTERNAL;
    }
    return apply_options(options, option_count, s);
}

int cli_explore(int argc, char **argv)
{
    static struct explore_settings s; /* large: off the stack */
    memset(&s, 0, sizeof s);
    s.explore.bound = 2;
    s.explore.reduce = 1;
    s.explore.knobs_max = UINT32_MAX;
    s.explore.run_time_limit_s = OUTPUT_TIME_LIMIT_DEFAULT_S;
    s.repro_dir = "reports/out/explore";
    int status = read_settings(argc, argv, &s);
    if (status != 0)
        return status < 0 ? EXIT_EXPECTED : status;
    if (!s.quiet && isatty(STDERR_FILENO)) {
        s.explore.progress = show_progress;
        s.explore.context = &s.explore;
    }
    isolate_catch_signals();
    struct explore e;
    int rc = explore_run(&e, &s.explore);
    if (s.explore.progress)
        fprintf(stderr, "\r%78s\r", "");
    if (rc != 0) {
        fprintf(stderr, "detsim: internal error: %s\n",
                rc == -EIO ? "a run's harness failed" : strerror(-rc));
        explore_free(&e);
        return EXIT_INTERNAL;
    }
    status = print_summary(&s, &e);
    int interrupted = e.interrupted;
    explore_free(&e);
    if (interrupted && output_check_stdout() == 0)
        isolate_reraise(); /* what it covered is printed: end as the signal would */
    return status;
}
