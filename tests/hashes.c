/* hashes — prints "scenario strategy seed outcome steps hash" for the first N seeds
 * of every scenario, under random, pct, pos and preempt scheduling. `make determinism` builds it
 * with several compilers and optimisation levels, and runs it under Valgrind, and
 * compares the outputs: the same seed must give the same hash everywhere. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/coro.h"
#include "sim/run.h"

int main(int argc, char **argv)
{
    uint64_t seeds = 200;
    if (argc > 2 || (argc == 2 && config_parse_u64(argv[1], &seeds) != 0)) {
        fprintf(stderr, "usage: hashes [SEEDS]\n");
        return 2;
    }
    static const char *const strategies[] = {"random", "pct:depth=3,steps=200", "pos",
                                             "preempt:bound=2,steps=200"};
    const int strategy_count = (int)(sizeof strategies / sizeof strategies[0]);
    const struct scenario *const *list;
    size_t count = scenario_list(&list);
    for (size_t i = 0; i < count; i++)
        for (int s = 0; s < strategy_count; s++)
            for (uint64_t seed = 0; seed < seeds; seed++) {
                struct run_options options = {.scenario = list[i], .seed = seed};
                char error[128], name[64];
                /* A step cap: runs that livelock by default (backoff-livelock) would
                 * take a million steps each, minutes under Valgrind; the comparison
                 * between builds is the same at any cap. */
                if (run_parse_strategy(strategies[s], &options.strategy, error, sizeof error) ||
                    run_config_init(&options.config, list[i]) ||
                    config_assign(&options.config, "max_steps=50000", error, sizeof error))
                    return 3;
                struct run_result result;
                if (run_scenario(&options, &result) != 0)
                    return 3;
                printf("%s %s %" PRIu64 " %s %" PRIu64 " 0x%016" PRIx64 "\n",
                       scenario_name(list[i], name), strategies[s], seed,
                       sched_outcome_name(result.outcome), result.steps, result.hash);
                run_result_free(&result);
            }
    coro_pool_drain();
    return 0;
}
