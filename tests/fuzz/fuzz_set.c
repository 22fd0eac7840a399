/* --set KEY=VALUE: the config keys of run (config_assign) and the value lists and
 * ranges of sweep (plan_add_set, plan_finish, plan_apply). The first byte picks the
 * scenario whose keys the rest is checked against. */
#include <stdio.h>

#include "fuzz.h"
#include "reports/plan.h"
#include "sim/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct scenario *const *list;
    size_t count = scenario_list(&list);
    const struct scenario *scenario = list[data[0] % count];
    char *text = fuzz_string(data + 1, size - 1);
    static struct config config, defaults;
    static struct plan plan;
    static struct plan_config out;
    char error[1024];
    FUZZ_CHECK(run_config_init(&defaults, scenario) == 0);
    config = defaults;
    if (config_assign(&config, text, error, sizeof error) != 0)
        FUZZ_CHECK(memcmp(&config, &defaults, sizeof config) == 0); /* unchanged on error */
    plan_init(&plan);
    if (plan_add_set(&plan, &defaults, text, error, sizeof error) == 0 &&
        plan_finish(&plan, scenario, NULL, error, sizeof error) == 0)
        for (long c = 0; c < plan.configs; c++)
            plan_apply(&plan, c, scenario, &defaults, "detsim run x", &config, &out, error,
                       sizeof error);
    free(text);
    return 0;
}
