/* --fault SPEC (and the fault lines of repro files). */
#include <stdio.h>

#include "faults/fault.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct fault_spec spec;
    char error[512];
    if (fault_spec_parse(text, &spec, error, sizeof error) == 0) {
        FUZZ_CHECK(strlen(spec.text) < sizeof spec.text);
        FUZZ_CHECK(spec.p_ppm <= FAULT_PPM_ONE);
    } else {
        FUZZ_CHECK(strlen(error) > 0);
    }
    free(text);
    return 0;
}
