/* list — `detsim list`: the scenarios and their variants. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "sim/scenario.h"

static const char list_help[] =
    "usage: detsim list [--names] [--portable]\n"
    "\n"
    "Lists every scenario with its one-line description and, under it, its variants:\n"
    "name, the outcome the variant is declared to have, and what it sets. A buggy\n"
    "variant fails with its outcome on some seeds at least; a fixed one passes every\n"
    "seed. 'detsim run SCENARIO --help' lists a scenario's config keys.\n"
    "\n"
    "  --names     only the scenario names, one per line (for scripts)\n"
    "  --portable  only the portable scenarios: those that also run on real processes\n"
    "              (detsim run --backend linux, detsim differential)\n";

int cli_list(int argc, char **argv)
{
    static const struct option_spec specs[] = {{"help", 0}, {"names", 0}, {"portable", 0}, {0}};
    struct parsed_option options[8];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("list", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 0) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(list_help, stdout);
        return EXIT_EXPECTED;
    }
    int names_only = options_has(options, option_count, "names");
    int portable_only = options_has(options, option_count, "portable");
    const struct scenario *const *list;
    size_t count = scenario_list(&list);
    for (size_t i = 0; i < count; i++) {
        char name[64];
        if (portable_only && !list[i]->portable)
            continue;
        if (names_only) {
            printf("%s\n", scenario_name(list[i], name));
            continue;
        }
        printf("%-28s %s\n", scenario_name(list[i], name), list[i]->description);
        output_print_variants(list[i]);
    }
    return EXIT_EXPECTED;
}
