/* shrink — `detsim shrink FILE`: a repro shrunk by the engine in reports/shrink.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "model/world.h"
#include "reports/shrink.h"
#include "sim/coro.h"
#include "sim/repro.h"

static const char shrink_help[] =
    "usage: detsim shrink FILE [--output OUT] [--time-limit SECONDS]\n"
    "\n"
    "Reduces the recorded choices of repro FILE - fewer choices, lower values (fewer\n"
    "preemptions), a shorter run - while the run keeps the same signature: the same\n"
    "outcome and the same report shape. Writes the shrunk repro to OUT (default\n"
    "FILE with .shrunk.repro in place of .repro) and prints before and after.\n"
    "Bounded by --time-limit (default 30 s of wall-clock time); it says how far it got.\n";

/* Reads --output (NULL: none) and --time-limit. Returns 0 or EXIT_USAGE after
 * printing the error. */
static int read_shrink_options(const struct parsed_option *options, int option_count,
                               const char **output, uint64_t *seconds)
{
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].name, "output") == 0)
            *output = options[i].value;
        else if (strcmp(options[i].name, "time-limit") == 0 &&
                 (config_parse_u64(options[i].value, seconds) || *seconds == 0))
            return options_usage_error("bad --time-limit '%s': expected whole seconds > 0",
                                       options[i].value);
    }
    return 0;
}

/* The default output of input: its ".repro" replaced by (or, without it, followed by)
 * ".shrunk.repro". */
static const char *default_output(const char *input, char *path, size_t path_bytes)
{
    size_t length = strlen(input);
    const char *suffix = length > 6 && strcmp(input + length - 6, ".repro") == 0 ? ".repro" : "";
    snprintf(path, path_bytes, "%.*s.shrunk.repro", (int)(length - strlen(suffix)), input);
    return path;
}

/* What a shrink started from, to print beside where it ended. */
struct shrink_before {
    uint64_t choices;
    uint64_t steps;
    uint64_t faults;
    uint64_t switches;
};

/* Prints before and after, and where the shrunk repro went (written: its status). */
static void print_shrink(const char *input, const struct shrinker *s,
                         const struct shrink_before *before, int finished, const char *output,
                         int written)
{
    printf("shrink %s: %s after %" PRIu64 " runs (%" PRIu64 " kept)\n", input,
           finished ? "done, nothing smaller found" : "stopped at the time limit", s->runs,
           s->accepted);
    printf("  outcome   %s, signature 0x%016" PRIx64 " (unchanged)\n",
           sched_outcome_name(s->best_result.outcome), s->signature);
    printf("  choices   %" PRIu64 " -> %zu\n", before->choices, s->best.count);
    printf("  preempts  %" PRIu64 " -> %" PRIu64 " (choices other than the longest-waiting task)\n",
           before->switches, shrink_count_nonzero(s, CHOICE_SCHED));
    printf("  faults    %" PRIu64 " -> %" PRIu64 " fired\n", before->faults,
           shrink_count_nonzero(s, CHOICE_FAULT));
    printf("  steps     %" PRIu64 " -> %" PRIu64 "\n", before->steps, s->best_result.steps);
    if (written == 0)
        printf("  written   %s (replay: detsim replay %s)\n", output, output);
}

/* Shrinks repro (read from input) and writes the result to output. Returns the exit
 * status. */
static int shrink_repro(const char *input, const struct repro *repro, uint64_t seconds,
                        const char *output)
{
    struct shrinker s;
    int rc = shrink_start(&s, repro, seconds);
    if (rc == -EINVAL)
        return options_usage_error("%s: the run passes; there is no failure to shrink", input);
    if (rc != 0) {
        fprintf(stderr, "detsim: internal error: out of memory\n");
        return EXIT_INTERNAL;
    }
    struct shrink_before before = {s.best.count, s.best_result.steps,
                                   shrink_count_nonzero(&s, CHOICE_FAULT),
                                   shrink_count_nonzero(&s, CHOICE_SCHED)};
    shrink_reduce(&s);
    int finished = shrink_finished(&s);
    char reason[512];
    rc = shrink_write(&s, output, reason, sizeof reason);
    print_shrink(input, &s, &before, finished, output, rc);
    if (rc != 0)
        fprintf(stderr, "detsim: %s\n", reason);
    shrink_free(&s);
    coro_pool_drain();
    return rc == 0 ? EXIT_EXPECTED : EXIT_USAGE;
}

int cli_shrink(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0}, {"output", 1}, {"time-limit", 1}, {0}};
    struct parsed_option options[8];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("shrink", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(shrink_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("shrink needs a repro file (see 'detsim shrink --help')");
    const char *output = NULL;
    uint64_t seconds = 30;
    if (read_shrink_options(options, option_count, &output, &seconds) != 0)
        return EXIT_USAGE;
    char reason[512], output_path[4096];
    struct repro repro;
    if (repro_read(positionals[0], &repro, reason, sizeof reason) != 0)
        return options_usage_error("%s", reason);
    if (world_config_error(&repro.options.config, reason, sizeof reason) != 0) {
        repro_free(&repro);
        return options_usage_error("%s: %s", positionals[0], reason);
    }
    if (!output)
        output = default_output(positionals[0], output_path, sizeof output_path);
    int status = shrink_repro(positionals[0], &repro, seconds, output);
    repro_free(&repro);
    return status;
}
