/* The bug catalog's contract, for every scenario that has variants: a variant
 * declared to fail does so, with its declared outcome and a report that names its
 * declared cause, within seeds 0..99 (and no seed of it ends any other way than that
 * or pass); a variant declared to pass passes seeds 0..499, or 0..9999 in the stress
 * tier (DETSIM_STRESS=1, `make stress`). One parameterized test per variant, so a
 * failure names the scenario and the variant, and the seed is in the message. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/world.h"
#include "sim/run.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define FAILING_SEEDS 100
#define PASSING_SEEDS 500
#define STRESS_SEEDS 10000
#define VALGRIND_SEEDS 10 /* memcheck runs the whole suite: it checks the C, not the odds */

struct catalog_case {
    char scenario[64];
    char variant[32];
};

ParameterizedTestParameters(catalog, every_variant_behaves_as_declared)
{
    static struct catalog_case cases[512];
    size_t count = 0;
    const struct scenario *const *list;
    size_t scenarios = scenario_list(&list);
    for (size_t i = 0; i < scenarios; i++) {
        char name[64];
        scenario_name(list[i], name);
        if (strncmp(name, "test-", 5) == 0)
            continue; /* the suites' own scenarios check the checkers */
        for (const struct scenario_variant *v = list[i]->variants; v && v->name; v++) {
            if (count == sizeof cases / sizeof cases[0])
                break;
            snprintf(cases[count].scenario, sizeof cases[count].scenario, "%s", name);
            snprintf(cases[count].variant, sizeof cases[count].variant, "%s", v->name);
            count++;
        }
    }
    return cr_make_param_array(struct catalog_case, cases, count);
}

static uint64_t seeds_for(int passing)
{
    if (RUNNING_ON_VALGRIND)
        return VALGRIND_SEEDS;
    const char *stress = getenv("DETSIM_STRESS");
    if (passing && stress && strcmp(stress, "0") != 0 && stress[0])
        return STRESS_SEEDS;
    return passing ? PASSING_SEEDS : FAILING_SEEDS;
}

ParameterizedTest(struct catalog_case *c, catalog, every_variant_behaves_as_declared)
{
    struct run_options options = {0};
    options.scenario = scenario_find(c->scenario);
    cr_assert_not_null(options.scenario, "%s", c->scenario);
    const struct scenario_variant *variant = scenario_variant_find(options.scenario, c->variant);
    cr_assert_not_null(variant);
    char error[256];
    cr_assert_eq(run_config_init(&options.config, options.scenario), 0);
    cr_assert_eq(scenario_variant_apply(variant, &options.config, error, sizeof error), 0,
                 "%s: %s", c->scenario, error);
    cr_assert_eq(world_config_error(&options.config, error, sizeof error), 0, "%s %s: %s",
                 c->scenario, c->variant, error);
    int declared = sched_outcome_parse(variant->expect);
    cr_assert(declared >= 0, "%s %s declares an unknown outcome '%s'", c->scenario, c->variant,
              variant->expect);
    int passing = declared == SCHED_OUTCOME_PASS;
    cr_assert(passing || (variant->cause && variant->cause[0]),
              "%s %s: a failing variant declares its cause", c->scenario, c->variant);
    options.strategy = SCHED_STRATEGY_DEFAULT;
    uint64_t seeds = seeds_for(passing), reproduced = 0;
    for (uint64_t seed = 0; seed < seeds; seed++) {
        options.seed = seed;
        struct run_result result;
        cr_assert_eq(run_scenario(&options, &result), 0);
        const char *report = text_str(&result.report);
        if (passing) {
            cr_assert_eq(result.outcome, SCHED_OUTCOME_PASS,
                         "%s --variant %s --seed %llu: %s, declared pass\n%s", c->scenario,
                         c->variant, (unsigned long long)seed,
                         sched_outcome_name(result.outcome), report);
        } else if (result.outcome != SCHED_OUTCOME_PASS) {
            cr_assert_eq(result.outcome, (enum sched_outcome)declared,
                         "%s --variant %s --seed %llu: %s, declared %s\n%s", c->scenario,
                         c->variant, (unsigned long long)seed,
                         sched_outcome_name(result.outcome), variant->expect, report);
            cr_assert_not_null(strstr(report, variant->cause),
                               "%s --variant %s --seed %llu: the report does not name the cause "
                               "'%s'\n%s",
                               c->scenario, c->variant, (unsigned long long)seed, variant->cause,
                               report);
            reproduced++;
        }
        run_result_free(&result);
        if (!passing && RUNNING_ON_VALGRIND && reproduced)
            break;
    }
    if (!passing)
        cr_assert(reproduced > 0, "%s --variant %s: no %s in seeds 0..%llu", c->scenario,
                  c->variant, variant->expect, (unsigned long long)seeds - 1);
}

/* Every scenario of the catalog names its variants sensibly. */
Test(catalog, variant_tables_are_well_formed)
{
    const struct scenario *const *list;
    size_t scenarios = scenario_list(&list), variants = 0;
    for (size_t i = 0; i < scenarios; i++) {
        char name[64];
        scenario_name(list[i], name);
        for (const struct scenario_variant *v = list[i]->variants; v && v->name; v++) {
            variants++;
            cr_assert(v->name[0] && strcmp(v->name, "all") != 0 && !strchr(v->name, ' '),
                      "%s: variant name '%s'", name, v->name);
            cr_assert(strlen(v->name) < 32, "%s: variant name '%s' too long", name, v->name);
            cr_assert(v->description && v->description[0], "%s %s: no description", name,
                      v->name);
            for (const struct scenario_variant *w = list[i]->variants; w < v; w++)
                cr_assert_neq(strcmp(w->name, v->name), 0, "%s: variant %s twice", name,
                              v->name);
        }
    }
    /* the contract test above is not vacuous, and its table holds every variant */
    cr_assert(variants >= 20 && variants < 512, "%zu variants", variants);
}
