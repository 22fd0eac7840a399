/* --strategy S; what parses must format back to itself. */
#include <stdio.h>

#include "fuzz.h"
#include "sim/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct sched_strategy strategy, again;
    char error[512], formatted[64];
    if (run_parse_strategy(text, &strategy, error, sizeof error) == 0) {
        run_format_strategy(&strategy, formatted);
        FUZZ_CHECK(run_parse_strategy(formatted, &again, error, sizeof error) == 0);
        FUZZ_CHECK(again.kind == strategy.kind);
        FUZZ_CHECK(again.pct_depth == strategy.pct_depth);
        FUZZ_CHECK(again.pct_steps == strategy.pct_steps);
        FUZZ_CHECK(again.bound == strategy.bound);
    }
    free(text);
    return 0;
}
