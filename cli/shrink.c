/* shrink — `detsim shrink FILE`: a repro shrunk by the engine in reports/shrink.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "reports/isolate.h"
#include "model/world.h"
#include "reports/shrink.h"
#include "sim/coro.h"
#include "sim/repro.h"
#include "util/progname.h"

static const char shrink_help[] =
    "usage: detsim shrink FILE [--output OUT] [--time-limit SECONDS]\n"
    "\n"
    "Reduces the recorded choices of repro FILE - fewer choices, lower values (fewer\n"
    "preemptions), a shorter run - while the run keeps the same signature: the same\n"
    "outcome and the same failure structure. Writes the shrunk repro to OUT (default\n"
    "FILE with .shrunk.repro in place of .repro) and prints before and after.\n"
    "Bounded by --time-limit (default 30 s of CPU time, its own and its runs', so a\n"
    "busy machine does not cut it short); it says how far it got.\n"
    "Every run is in a child process: a candidate that crashes or loops is not kept;\n"
    "a repro whose run crashes has no schedule to shrink (exit 2).\n"
    "Exit status: 0 written, 2 bad input, 3 the output could not be written.\n";

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
           finished ? "done, nothing smaller found"
                    : s->interrupted ? "interrupted" : "stopped at the time limit",
           s->runs, s->accepted);
    printf("  outcome   %s, signature 0x%016" PRIx64 " (unchanged)\n",
           sched_outcome_name(s->best_result.outcome), s->signature);
    printf("  choices   %" PRIu64 " -> %zu\n", before->choices, s->best.count);
    printf("  preempts  %" PRIu64 " -> %" PRIu64 " (choices other than the longest-waiting task)\n",
           before->switches, shrink_count_nonzero(s, CHOICE_SCHED));
    printf("  faults    %" PRIu64 " -> %" PRIu64 " fired\n", before->faults,
           s->best_result.faults_fired);
    printf("  steps     %" PRIu64 " -> %" PRIu64 "\n", before->steps, s->best_result.steps);
    if (written == 0)
        printf("  written   %s (replay: %s replay %s)\n", output, progname(), output);
}

/* Starts shrinking repro (read from input). Returns 0, or the exit status after one
 * line on stderr (s then holds nothing). */
static int start(struct shrinker *s, const char *input, const struct repro *repro,
                 uint64_t seconds)
{
    int rc = shrink_start(s, repro, seconds);
    if (rc == 0)
        return 0;
    if (rc == -EINVAL)
        return options_usage_error("%s: the run passes; there is no failure to shrink", input);
    if (rc == -ECHILD) {
        const char *report = text_str(&s->best_result.report);
        options_usage_error("%s: the run does not end with an outcome (%.*s): there is no "
                            "schedule to shrink; see 'detsim replay %s'", input,
                            (int)strcspn(report, "\n"), report, input);
        shrink_free(s);
        return EXIT_USAGE;
    }
    if (rc != -EINTR)
        fprintf(stderr, "detsim: internal error: cannot run the scenario in a child process: "
                "%s\n", strerror(-rc));
    return EXIT_INTERNAL;
}

/* Shrinks repro (read from input) and writes the result to out (open). Returns the
 * exit status. */
static int shrink_repro(const char *input, const struct repro *repro, uint64_t seconds,
                        struct output_file *out)
{
    struct shrinker s;
    int status = start(&s, input, repro, seconds);
    if (status != 0) {
        output_close(out, "shrunk repro file", 0);
        if (isolate_caught())
            isolate_reraise();
        return status;
    }
    struct shrink_before before = {s.best.count, s.best_result.steps,
                                   s.best_result.faults_fired,
                                   shrink_count_nonzero(&s, CHOICE_SCHED)};
    shrink_reduce(&s);
    if (s.failed) {
        fprintf(stderr, "detsim: internal error: a run of the shrink could not be made: %s\n",
                strerror(-s.failed));
        output_close(out, "shrunk repro file", 0);
        shrink_free(&s);
        return EXIT_INTERNAL;
    }
    int finished = shrink_finished(&s);
    shrink_write_stream(&s, out->stream, out->path);
    status = output_close(out, "shrunk repro file", 1);
    print_shrink(input, &s, &before, finished, out->path, status);
    int interrupted = s.interrupted;
    shrink_free(&s);
    coro_pool_drain();
    if (interrupted && output_check_stdout() == 0)
        isolate_reraise(); /* what it found is written: end as the signal would */
    return status;
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
    struct output_file out = {.path = output ? output
                                             : default_output(positionals[0], output_path,
                                                              sizeof output_path)};
    if (output_open(&out, "shrunk repro file") != 0) { /* a bad path: before any work */
        repro_free(&repro);
        return EXIT_USAGE;
    }
    isolate_catch_signals();
    int status = shrink_repro(positionals[0], &repro, seconds, &out);
    repro_free(&repro);
    return status;
}
