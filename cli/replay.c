/* replay — `detsim replay FILE`: a repro file's run again, checked against what it
 * recorded. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "model/world.h"
#include "sim/repro.h"
#include "sim/run.h"

static const char replay_help[] =
    "usage: detsim replay FILE [options]\n"
    "\n"
    "Replays a repro file (written by 'detsim run --save-repro'): the scenario, seed,\n"
    "strategy and config it names, with the recorded choices fed back in place of the\n"
    "seed. Prints the result and says whether the outcome and the trace hash match the\n"
    "ones recorded. Exit 0 when both match, 1 when either differs.\n"
    "\n"
    "options:\n"
    "  --trace FILE          write every event to FILE ('-' for standard output)\n"
    "  --trace-format F      text (default) or jsonl\n"
    "  --from-seed           ignore the recorded choices and draw from the seed\n"
    "  --report FILE         write an HTML report of the run (see 'detsim run --help')\n"
    "  --chrome-trace FILE   write the trace as Chrome trace-event JSON\n"
    "  --time-limit SECONDS  wall-clock limit of the run (default 600); past it the run\n"
    "                        is killed and its outcome is timeout\n"
    "  --quiet               print only the summary and the verdict\n"
    "\n"
    "The scenario runs in a child process, as for 'detsim run': a crash or a timeout is\n"
    "an outcome (crash, timeout), which matches a repro that recorded it.\n";

/* What the options of 'replay' ask for. */
struct replay_settings {
    struct output_file trace_file;
    struct output_reports reports;
    enum trace_format format;
    int quiet;
    int from_seed;
    double time_limit_s; /* --time-limit */
};

/* Reads the options into settings. Returns 0 or EXIT_USAGE after printing the
 * error. */
static int read_replay_options(const struct parsed_option *options, int option_count,
                               struct replay_settings *settings)
{
    settings->quiet = options_has(options, option_count, "quiet");
    settings->from_seed = options_has(options, option_count, "from-seed");
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].name, "trace") == 0)
            settings->trace_file.path = options[i].value;
        else if (strcmp(options[i].name, "report") == 0)
            settings->reports.html.path = options[i].value;
        else if (strcmp(options[i].name, "chrome-trace") == 0)
            settings->reports.chrome.path = options[i].value;
        else if (strcmp(options[i].name, "trace-format") == 0 &&
                 output_parse_trace_format(options[i].value, &settings->format) != 0)
            return EXIT_USAGE;
        else if (strcmp(options[i].name, "time-limit") == 0 &&
                 output_parse_time_limit(options[i].value, &settings->time_limit_s) != 0)
            return EXIT_USAGE;
    }
    return 0;
}

/* Prints whether result matches what repro recorded: outcome, hash, signature, and
 * how the recorded choices fitted. Returns whether all of them match. */
static int print_verdict(const struct repro *repro, const struct run_options *run,
                         const struct run_result *result)
{
    int outcome_matches = result->outcome == repro->expect_outcome;
    int hash_matches = !repro->has_hash || result->hash == repro->expect_hash;
    printf("replay: outcome %s %s", sched_outcome_name(result->outcome),
           outcome_matches ? "matches" : "DIFFERS from the recorded ");
    if (!outcome_matches)
        printf("%s", sched_outcome_name(repro->expect_outcome));
    if (repro->has_hash)
        printf("; hash %s", hash_matches ? "matches" : "DIFFERS");
    if (!hash_matches)
        printf(" (recorded 0x%016" PRIx64 ")", repro->expect_hash);
    int signature_matches = !repro->has_signature ||
                            result->signature == repro->expect_signature;
    if (!signature_matches)
        printf("; signature DIFFERS");
    int lost = result->outcome == SCHED_OUTCOME_CRASH || result->outcome == SCHED_OUTCOME_TIMEOUT;
    if (lost)
        ; /* how far the recording went died with the child */
    else if (run->replay && result->replay_used == repro->choice_count)
        printf("; %zu recorded choices fed back", repro->choice_count);
    else if (run->replay)
        printf("; %" PRIu64 " of %zu recorded choices fed back", result->replay_used,
               repro->choice_count);
    if (!lost && (result->replay_mismatches || result->replay_overruns))
        printf(" (%" PRIu64 " did not fit the run, %" PRIu64 " draws past the end)",
               result->replay_mismatches, result->replay_overruns);
    printf("\n");
    return outcome_matches && hash_matches && signature_matches;
}

/* Runs run (set up from the repro at path) with settings' outputs, open, and prints
 * the result and the verdict. Closes the outputs. Returns the exit status. */
static int replay_with(const char *path, const struct repro *repro, struct run_options *run,
                       struct replay_settings *settings)
{
    /* From the recorded choices, the page's replay command is the recording's. */
    struct output_run outputs = {&settings->trace_file, &settings->reports, path,
                                 run->replay ? path : NULL, settings->time_limit_s};
    struct run_result result;
    struct isolate_loss loss;
    int status = output_run_isolated(run, &outputs, &result, &loss);
    if (status == OUTPUT_INTERRUPTED || status == OUTPUT_NO_RUN || status == OUTPUT_REFUSED) {
        run_result_free(&result);
        if (status == OUTPUT_INTERRUPTED)
            isolate_reraise();
        return EXIT_INTERNAL;
    }
    output_print_result(run, &result, settings->quiet);
    int matches = print_verdict(repro, run, &result);
    if (status == 0 && !settings->quiet && loss.kind == ISOLATE_NONE)
        output_reports_announce(&settings->reports);
    if (status == 0 && !matches)
        status = EXIT_UNEXPECTED;
    run_result_free(&result);
    return status;
}

int cli_replay(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},  {"trace", 1},  {"trace-format", 1}, {"from-seed", 0},
        {"quiet", 0}, {"report", 1}, {"chrome-trace", 1}, {"time-limit", 1}, {0}};
    struct parsed_option options[16];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("replay", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(replay_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("replay needs a repro file (see 'detsim replay --help')");
    struct replay_settings settings = {.format = TRACE_FORMAT_TEXT,
                                       .time_limit_s = OUTPUT_TIME_LIMIT_DEFAULT_S};
    if (read_replay_options(options, option_count, &settings) != 0)
        return EXIT_USAGE;
    struct repro repro;
    char reason[512];
    if (repro_read(positionals[0], &repro, reason, sizeof reason) != 0)
        return options_usage_error("%s", reason);
    if (output_open(&settings.trace_file, "trace file") != 0) {
        repro_free(&repro);
        return EXIT_USAGE;
    }
    if (output_reports_open(&settings.reports) != 0) {
        output_close(&settings.trace_file, "trace file", 0);
        repro_free(&repro);
        return EXIT_USAGE;
    }
    static const struct choice_record no_choices[1];
    struct run_options run = repro.options;
    run.trace_out = settings.trace_file.stream;
    run.trace_format = settings.format;
    if (!settings.from_seed && repro.has_choices) {
        run.replay = repro.choice_count ? repro.choices : no_choices;
        run.replay_count = repro.choice_count;
    }
    if (world_config_error(&run.config, reason, sizeof reason) != 0) {
        output_close(&settings.trace_file, "trace file", 0);
        output_reports_close(&settings.reports, 0);
        repro_free(&repro);
        return options_usage_error("%s: %s", positionals[0], reason);
    }
    isolate_catch_signals(); /* a Ctrl-C removes the temporary files, then ends it */
    int status = replay_with(positionals[0], &repro, &run, &settings);
    repro_free(&repro);
    return status;
}
