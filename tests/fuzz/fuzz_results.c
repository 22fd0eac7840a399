/* The results reader (sweep --resume, merge): a header, then records, each counted
 * in a tally and a set of done seeds as merge does, then the summary printed. */
#include <stdio.h>

#include "fuzz.h"
#include "reports/seeds.h"
#include "reports/sweep.h"
#include "reports/tally.h"

struct reading {
    struct tally tally;
    struct seeds_set seen;
    int started;
};

static int on_header(void *context, const struct sweep_header *header, char *error,
                     size_t error_bytes)
{
    struct reading *r = context;
    (void)error, (void)error_bytes;
    tally_init(&r->tally, header);
    r->started = 1;
    return 0;
}

static int on_record(void *context, const struct sweep_record *record, char *error,
                     size_t error_bytes)
{
    struct reading *r = context;
    long c = tally_config_of(&r->tally, record->config);
    if (c < 0 || seeds_set_add(&r->seen, (uint32_t)c, record->seed) != 1) {
        snprintf(error, error_bytes, "refused");
        return -1;
    }
    FUZZ_CHECK(tally_add(&r->tally, record, 0) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    FILE *out = fopen("/dev/null", "w");
    if (!in || !out)
        abort();
    static struct sweep_header header;
    static struct reading r;
    memset(&r, 0, sizeof r);
    struct sweep_reader reader = {on_header, on_record, &r};
    char error[1024];
    int has_header = 0;
    long complete = 0;
    long count = sweep_read_stream(in, "fuzz.jsonl", &header, &has_header, &reader, &complete,
                                   error, sizeof error);
    FUZZ_CHECK(count < 0 || (complete >= 0 && (size_t)complete <= size));
    if (count >= 0 && r.started) {
        tally_config_table(out, &r.tally, NULL, 0, NULL);
        tally_summary(out, &r.tally, NULL, "seeds");
    }
    if (r.started)
        tally_free(&r.tally);
    seeds_set_free(&r.seen);
    fclose(in);
    fclose(out);
    return 0;
}
