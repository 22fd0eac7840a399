/* merge — `detsim merge FILE...`: one summary of several sweeps' results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "reports/plan.h"
#include "reports/sweep.h"
#include "reports/sweep_run.h"

static const char merge_help[] =
    "usage: detsim merge FILE...\n"
    "\n"
    "Combines the --json results of several sweeps (the shards of one sweep, say) into\n"
    "one summary. Exit 1 when any seed did not have its expected outcome.\n";

int cli_merge(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(merge_help, stdout);
        return EXIT_EXPECTED;
    }
    if (argc < 1)
        return options_usage_error("merge needs one or more results files (see 'detsim merge --help')");
    struct sweep_record *records = NULL;
    size_t capacity = 0;
    long count = 0;
    char reason[300];
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-')
            return options_usage_error("unknown option '%s' for 'merge'", argv[i]);
        count = sweep_read_file(argv[i], &records, &capacity, count, NULL, reason, sizeof reason);
        if (count < 0) {
            free(records);
            return options_usage_error("%s", reason);
        }
    }
    printf("merge: %ld seeds from %d file%s\n", count, argc, argc == 1 ? "" : "s");
    /* a sweep's configurations: a merge of one sweep's shards has no more */
    static const char *labels[PLAN_CONFIGS_MAX];
    long configs = sweep_config_labels(records, count, labels, PLAN_CONFIGS_MAX);
    if (configs > 1 || (configs == 1 && labels[0][0]))
        sweep_config_table(stdout, records, count, labels, NULL, configs, 0, NULL);
    long unexpected = sweep_summary(stdout, records, count, SWEEP_REPRO_DIR, "seeds");
    free(records);
    return unexpected ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}
