/* helpers — running scenarios from tests. */
#ifndef DETSIM_TESTS_HELPERS_H
#define DETSIM_TESTS_HELPERS_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "sim/run.h"

/* Runs scenario at seed with strategy and NULL-terminated "key=value" settings;
 * asserts the harness itself succeeded. The caller frees the result. */
static inline struct run_result run_with(const char *scenario, uint64_t seed,
                                         const char *strategy, int record, ...)
{
    struct run_options options = {0};
    options.scenario = scenario_find(scenario);
    cr_assert(options.scenario, "scenario %s is registered", scenario);
    options.seed = seed;
    char error[256];
    cr_assert_eq(run_parse_strategy(strategy ? strategy : "random", &options.strategy, error,
                                    sizeof error),
                 0, "%s", error);
    cr_assert_eq(run_config_init(&options.config, options.scenario), 0);
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

#endif
