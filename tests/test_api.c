/* test_api — the public scenario API: tests/api/public_scenario.c, compiled on its
 * own with only sim/sys.h and -std=c11 -pedantic-errors, runs and holds its checks;
 * its broken variant fails the way it declares. */
#include <criterion/criterion.h>

#include "helpers.h"

Test(api, a_scenario_written_against_sys_h_alone_runs)
{
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct run_result result = run_with("public-api", seed, NULL, 0, NULL);
        cr_assert_eq(result.outcome, SCHED_OUTCOME_PASS, "seed %llu: %s",
                     (unsigned long long)seed, text_str(&result.report));
        run_result_free(&result);
    }
}

Test(api, its_broken_variant_fails_its_check)
{
    struct variant_run run = run_variant_traced("public-api", "broken", 0, NULL, NULL);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_ASSERT, "%s", text_str(&run.result.report));
    cr_assert(strstr(text_str(&run.result.report), "expected 2 messages, got 3"), "%s",
              text_str(&run.result.report));
    variant_run_free(&run);
}
