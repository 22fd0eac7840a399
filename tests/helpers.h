/* helpers — running scenarios from tests. */
#ifndef DETSIM_TESTS_HELPERS_H
#define DETSIM_TESTS_HELPERS_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run.h"

/* Fills options for scenario at seed under strategy (NULL: random), config at its
 * defaults; asserts each step succeeded. */
static inline void options_for(struct run_options *options, const char *scenario, uint64_t seed,
                               const char *strategy)
{
    *options = (struct run_options){0};
    options->scenario = scenario_find(scenario);
    cr_assert(options->scenario, "scenario %s is registered", scenario);
    options->seed = seed;
    char error[256];
    cr_assert_eq(run_parse_strategy(strategy ? strategy : "random", &options->strategy, error,
                                    sizeof error),
                 0, "%s", error);
    cr_assert_eq(run_config_init(&options->config, options->scenario), 0);
}

/* Runs scenario at seed with strategy and NULL-terminated "key=value" settings;
 * asserts the harness itself succeeded. The caller frees the result. */
static inline struct run_result run_with(const char *scenario, uint64_t seed,
                                         const char *strategy, int record, ...)
{
    struct run_options options;
    options_for(&options, scenario, seed, strategy);
    char error[256];
    va_list args;
    va_start(args, record);
    for (const char *set = va_arg(args, const char *); set; set = va_arg(args, const char *))
        cr_assert_eq(config_assign(&options.config, set, error, sizeof error), 0, "%s", error);
    va_end(args);
    options.record_choices = record;
    struct run_result result;
    cr_assert_eq(run_scenario(&options, &result), 0, "run of %s seed %llu", scenario,
                 (unsigned long long)seed);
    return result;
}

/* A run of one of scenario's variants, with its text trace (console and sys_log
 * lines included) kept in memory. */
struct variant_run {
    struct run_result result;
    char *trace;
    size_t trace_bytes;
};

/* Runs scenario's variant at seed under strategy (NULL: random), with one more
 * "key=value" when extra is not NULL; asserts the harness itself succeeded. Free
 * with variant_run_free. */
static inline struct variant_run run_variant_traced(const char *scenario, const char *variant,
                                                    uint64_t seed, const char *strategy,
                                                    const char *extra)
{
    struct run_options options;
    options_for(&options, scenario, seed, strategy);
    char error[256];
    const struct scenario_variant *v = scenario_variant_find(options.scenario, variant);
    cr_assert(v, "%s has a variant %s", scenario, variant);
    cr_assert_eq(scenario_variant_apply(v, &options.config, error, sizeof error), 0, "%s", error);
    if (extra)
        cr_assert_eq(config_assign(&options.config, extra, error, sizeof error), 0, "%s", error);
    struct variant_run run = {0};
    options.trace_out = open_memstream(&run.trace, &run.trace_bytes);
    cr_assert_not_null(options.trace_out);
    options.trace_format = TRACE_FORMAT_TEXT;
    cr_assert_eq(run_scenario(&options, &run.result), 0, "run of %s %s seed %llu", scenario,
                 variant, (unsigned long long)seed);
    fclose(options.trace_out);
    return run;
}

static inline void variant_run_free(struct variant_run *run)
{
    run_result_free(&run->result);
    free(run->trace);
    run->trace = NULL;
}

#endif
