/* --seeds A..B, --count N and --shard K/N: the input is "RANGE SHARD" (either may be
 * a count); what parses must count and enumerate within the range, without wrapping. */
#include <stdio.h>

#include "fuzz.h"
#include "reports/seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    char *space = strchr(text, ' ');
    char error[512];
    struct seeds s = {0, 99, 1, 1};
    if (space)
        *space = '\0';
    int ok = seeds_parse_range(text, &s, error, sizeof error) == 0 ||
             seeds_parse_count(text, &s, error, sizeof error) == 0;
    if (ok && space)
        ok = seeds_parse_shard(space + 1, &s, error, sizeof error) == 0;
    if (ok) {
        long count = seeds_count(&s);
        FUZZ_CHECK(count >= 0);
        long probes[] = {0, 1, count / 2, count - 2, count - 1};
        for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
            if (probes[i] < 0 || probes[i] >= count)
                continue;
            uint64_t seed = seeds_at(&s, probes[i]);
            FUZZ_CHECK(seed >= s.first && seed <= s.last);
            FUZZ_CHECK(seeds_contains(&s, seed));
            FUZZ_CHECK(probes[i] == 0 || seeds_at(&s, probes[i] - 1) < seed);
        }
    }
    free(text);
    return 0;
}
