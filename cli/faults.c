/* faults — `detsim faults`: the failpoints --fault can arm. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "faults/failpoint.h"
#include "util/errno_name.h"

static const char faults_help[] =
    "usage: detsim faults\n"
    "\n"
    "Lists every failpoint that 'detsim run --fault SPEC' can arm: its name, the error\n"
    "the model returns when it fires, and what fails. A SPEC is a NAME or a PATTERN\n"
    "ending in '*' (model/chan/* arms every channel failpoint), optionally followed by\n"
    "':KEY=VALUE,...':\n"
    "  p=P        fire with probability P (0..1, at most 6 decimals; default 1), drawn\n"
    "             from the run's choice stream, so a seed always fires the same faults\n"
    "  nth=N      only the Nth hit        every=M   only every Mth hit\n"
    "  after=STEP only hits at step >= STEP (earlier hits are not counted)\n"
    "  times=K    at most K fires\n"
    "  from=N     every hit from the Nth on (persistent; the fail-nth loop's mode)\n"
    "Hits are counted per spec, across every failpoint it matches; when two specs\n"
    "select the same hit it fires once. Slot faults (slots/...) take free=N and\n"
    "after=STEP: slots/channels:free=3,after=500 leaves only 3 free channel slots\n"
    "from step 500 on.\n"
    "Every fired fault is a 'fault' event in the trace, and the summary line ends with\n"
    "faults=N when any fired.\n";

int cli_faults(int argc, char **argv)
{
    static const struct option_spec specs[] = {{"help", 0}, {0}};
    struct parsed_option options[8];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("faults", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 0) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(faults_help, stdout);
        return EXIT_EXPECTED;
    }
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++) {
        const struct fault_point *point = &fault_points[id];
        const char *error = errno_name(point->error);
        printf("%-18s %-7s %s\n", point->name, error ? error : "?", point->description);
    }
    return EXIT_EXPECTED;
}
