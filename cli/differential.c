/* differential — `detsim differential SCENARIO`: the scenario in simulation and on
 * real processes, configuration by configuration (reports/differential.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "model/world.h"
#include "reports/differential.h"
#include "reports/plan.h"
#include "sim/run.h"
#include "util/progname.h"

static const char differential_help[] =
    "usage: detsim differential SCENARIO [options]\n"
    "\n"
    "Runs a portable scenario (detsim list --portable) in simulation and on real\n"
    "processes (--backend linux), for each of its variants, and compares the outcome\n"
    "classes each side reached and their rates. They agree when each side reaches\n"
    "what the other reached: a real outcome no simulated seed reached, or a simulated\n"
    "one frequent enough that the real runs should have met it (a 95% chance) and did\n"
    "not, is a disagreement. A variant that turns on a kernel bug switch (bug_*: a\n"
    "bug of the modelled kernel, which Linux does not have) is held against the\n"
    "model without it. Real runs are not reproducible: their seed perturbs the\n"
    "schedule (sched_yield and short sleeps at sys_* entries) and feeds sys_choose.\n"
    "\n"
    "options:\n"
    "  --variant NAME|all    one variant, or every one (the default)\n"
    "  --count N             simulated seeds per variant (default 100)\n"
    "  --real-runs K         real runs per variant (default 10)\n"
    "  --seed S              the first seed of both sides (default 0)\n"
    "  --set KEY=VALUE       set a config key on both sides (repeatable); the real\n"
    "                        backend's own: time_scale, real_deadline, perturb\n"
    "  --json FILE           one JSON object per run: scenario, config, side (sim,\n"
    "                        sim-without-switches, real), seed, outcome, steps (real:\n"
    "                        sys_* calls), cpu_ns, wall_ns\n"
    "\n"
    "Prints a table (config | simulated | real | verdict) and the cost of a run on\n"
    "each side. Exit status: 0 when every variant agrees, 1 when one does not, 2 bad\n"
    "usage or input (a scenario that is not portable; a real run that cannot start).\n";

struct differential_options {
    const char *variant;
    const char *json_path;
    uint64_t count;
    uint64_t real_runs;
    uint64_t seed;
};

/* Reads a count option's value in [1, max]. Returns 0 or EXIT_USAGE. */
static int read_count(const char *name, const char *value, uint64_t max, uint64_t *out)
{
    if (config_parse_u64(value, out) != 0 || *out < 1 || *out > max)
        return options_usage_error("bad --%s '%s': expected 1 to %" PRIu64, name, value, max);
    return 0;
}

/* Reads the options (not --set) into o. Returns 0 or EXIT_USAGE. */
static int read_options(const struct parsed_option *options, int count,
                        struct differential_options *o)
{
    for (int i = 0; i < count; i++) {
        const char *name = options[i].name, *value = options[i].value;
        int rc = 0;
        if (strcmp(name, "variant") == 0)
            o->variant = value;
        else if (strcmp(name, "json") == 0)
            o->json_path = value;
        else if (strcmp(name, "count") == 0)
            rc = read_count(name, value, 1000000, &o->count);
        else if (strcmp(name, "real-runs") == 0)
            rc = read_count(name, value, 10000, &o->real_runs);
        else if (strcmp(name, "seed") == 0 && config_parse_u64(value, &o->seed) != 0)
            rc = options_usage_error("bad seed '%s': expected an unsigned 64-bit integer",
                                     value);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The plan of configurations: the variants and the --set values (no lists).
 * Returns 0 or EXIT_USAGE. */
static int read_plan(const struct parsed_option *options, int count,
                     const struct scenario *scenario, const struct config *defaults,
                     const char *variant, struct plan *plan)
{
    char error[256];
    plan_init(plan);
    for (int i = 0; i < count; i++) {
        if (strcmp(options[i].name, "set") != 0)
            continue;
        if (plan_is_value_list(options[i].value))
            return options_usage_error("--set %s: differential takes one value per key",
                                       options[i].value);
        if (plan_add_set(plan, defaults, options[i].value, error, sizeof error) != 0)
            return options_usage_error("%s", error);
    }
    if (plan_finish(plan, scenario, variant, error, sizeof error) != 0)
        return options_usage_error("%s", error);
    return 0;
}

/* Checks configuration index before anything runs: its values, and that the Linux
 * backend takes it. Returns 0 or EXIT_USAGE. */
static int check_config(const struct plan *plan, long index, const struct scenario *scenario,
                        const struct config *defaults, struct run_options *run,
                        struct plan_config *label)
{
    char error[320], prefix[96];
    snprintf(prefix, sizeof prefix, "%s differential", progname());
    if (plan_apply(plan, index, scenario, defaults, prefix, &run->config, label,
                   error, sizeof error) != 0)
        return options_usage_error("%s", error);
    if (world_config_error(&run->config, error, sizeof error) != 0)
        return options_usage_error("%s", error);
    if (run_backend_check(run, error, sizeof error) != 0)
        return options_usage_error("differential: %s", error);
    return 0;
}

/* Runs every configuration of plan, printing a row each. Returns the exit status. */
static int run_plan(struct differential *d, const struct plan *plan,
                    const struct config *defaults)
{
    static struct differential_row rows[PLAN_CONFIGS_MAX];
    struct run_options run = {.backend = RUN_BACKEND_LINUX, .scenario = d->scenario};
    struct plan_config label;
    for (long c = 0; c < plan->configs; c++)
        if (check_config(plan, c, d->scenario, defaults, &run, &label) != 0)
            return EXIT_USAGE;
    differential_print_header(stdout, d);
    uint32_t disagree = 0;
    for (long c = 0; c < plan->configs; c++) {
        char error[320];
        check_config(plan, c, d->scenario, defaults, &run, &label);
        int rc = differential_run(d, &run.config, label.label, &rows[c], error, sizeof error);
        if (rc == -EPERM)
            return options_usage_error("%s", error);
        if (rc != 0) {
            fprintf(stderr, "detsim: internal error: %s\n", error);
            return EXIT_INTERNAL;
        }
        differential_print_row(stdout, &rows[c]);
        disagree += !rows[c].agree;
    }
    differential_print_costs(stdout, rows, (uint32_t)plan->configs);
    if (disagree)
        printf("result: %" PRIu32 " of %ld configurations disagree\n", disagree, plan->configs);
    else
        printf("result: every configuration agrees\n");
    return disagree ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

int cli_differential(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0}, {"variant", 1}, {"count", 1}, {"real-runs", 1}, {"seed", 1},
        {"set", 1},  {"json", 1},    {0}};
    struct parsed_option options[256];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("differential", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(differential_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("differential needs a scenario (see 'detsim list --portable')");
    struct differential_options o = {"all", NULL, 100, 10, 0};
    static struct plan plan;
    static struct config defaults;
    const struct scenario *scenario = scenario_find(positionals[0]);
    if (!scenario)
        return options_usage_error("unknown scenario '%s' (see 'detsim list')", positionals[0]);
    run_config_init(&defaults, scenario);
    if (read_options(options, option_count, &o) != 0 ||
        read_plan(options, option_count, scenario, &defaults, o.variant, &plan) != 0)
        return EXIT_USAGE;
    struct output_file json = {.path = o.json_path};
    if (output_open(&json, "results file") != 0)
        return EXIT_USAGE;
    struct differential d = {scenario, o.seed, o.count, o.real_runs, json.stream};
    int status = run_plan(&d, &plan, &defaults);
    int closed = output_close(&json, "results file", status != EXIT_USAGE && status != EXIT_INTERNAL);
    return closed ? closed : status;
}
