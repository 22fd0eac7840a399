/* The repro file reader (detsim replay FILE, detsim shrink FILE, run --strategy
 * replay:FILE). */
#include <stdio.h>

#include "fuzz.h"
#include "model/world.h"
#include "sim/repro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    struct repro repro;
    char error[512];
    if (repro_read_stream(in, "fuzz.repro", &repro, error, sizeof error) == 0) {
        FUZZ_CHECK(repro.options.scenario != NULL);
        world_config_error(&repro.options.config, error, sizeof error);
        repro_free(&repro);
    } else {
        FUZZ_CHECK(strlen(error) > 0);
    }
    fclose(in);
    return 0;
}
