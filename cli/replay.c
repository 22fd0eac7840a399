/* replay — `detsim replay FILE`: a repro file's run again, checked against what it
 * recorded; `detsim replay DIR`: every repro file of a folder (a regression corpus),
 * one line each and a summary. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "model/world.h"
#include "sim/repro.h"
#include "sim/run.h"

static const char replay_help[] =
    "usage: detsim replay FILE [options]\n"
    "       detsim replay DIR [--from-seed] [--time-limit SECONDS]\n"
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
    "an outcome (crash, timeout), which matches a repro that recorded it.\n"
    "\n"
    "With a folder (a regression corpus: every fixed bug keeps its schedule), replays\n"
    "each of its *.repro files in name order and prints one line each (ok, DIFFERS, or\n"
    "ERROR for a file that cannot be read) and a summary. Exit 0 when every one\n"
    "matches, 1 when one differs, 2 when one cannot be read or there is none.\n";

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

/* How result compares with what repro recorded. */
struct replay_verdict {
    int outcome;   /* the outcome matches */
    int hash;      /* the hash matches, or none was recorded */
    int signature; /* the report's signature matches, or none was recorded */
};

static struct replay_verdict judge(const struct repro *repro, const struct run_result *result)
{
    struct replay_verdict v;
    v.outcome = result->outcome == repro->expect_outcome;
    v.hash = !repro->has_hash || result->hash == repro->expect_hash;
    v.signature = !repro->has_signature || result->signature == repro->expect_signature;
    return v;
}

/* Prints whether result matches what repro recorded: outcome, hash, signature, and
 * how the recorded choices fitted. Returns whether all of them match. */
static int print_verdict(const struct repro *repro, const struct run_options *run,
                         const struct run_result *result)
{
    struct replay_verdict v = judge(repro, result);
    printf("replay: outcome %s %s", sched_outcome_name(result->outcome),
           v.outcome ? "matches" : "DIFFERS from the recorded ");
    if (!v.outcome)
        printf("%s", sched_outcome_name(repro->expect_outcome));
    if (repro->has_hash)
        printf("; hash %s", v.hash ? "matches" : "DIFFERS");
    if (!v.hash)
        printf(" (recorded 0x%016" PRIx64 ")", repro->expect_hash);
    if (!v.signature)
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
    return v.outcome && v.hash && v.signature;
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

/* The run of repro: its options, with the recorded choices fed back unless
 * from_seed (or none were recorded). */
static struct run_options replay_run(const struct repro *repro, int from_seed)
{
    static const struct choice_record no_choices[1];
    struct run_options run = repro->options;
    if (!from_seed && repro->has_choices) {
        run.replay = repro->choice_count ? repro->choices : no_choices;
        run.replay_count = repro->choice_count;
    }
    return run;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* The names of dir's *.repro files, sorted by strcmp (the same order under every
 * locale), in *names (free_names). Returns their count, or -errno. */
static long list_repro_files(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    char **list = NULL;
    size_t count = 0, capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        size_t length = strlen(entry->d_name);
        if (length <= 6 || strcmp(entry->d_name + length - 6, ".repro") != 0)
            continue;
        if (count == capacity) {
            size_t grown = capacity ? 2 * capacity : 16;
            char **bigger = realloc(list, grown * sizeof *list);
            if (!bigger)
                break;
            list = bigger;
            capacity = grown;
        }
        if ((list[count] = strdup(entry->d_name)) == NULL)
            break;
        count++;
    }
    int failed = entry != NULL; /* the loop stopped short: out of memory */
    closedir(d);
    if (failed) {
        free_names(list, count);
        return -ENOMEM;
    }
    if (count)
        qsort(list, count, sizeof *list, by_name);
    *names = list;
    return (long)count;
}

/* Replays the repro file at path in a child with no output but one line naming it
 * (name). Returns EXIT_EXPECTED when it matches, EXIT_UNEXPECTED when it differs,
 * EXIT_USAGE when the file cannot be read or run, EXIT_INTERNAL or
 * OUTPUT_INTERRUPTED. */
static int replay_line(const char *path, const char *name, const struct replay_settings *settings)
{
    struct repro repro;
    char reason[512], scenario[64];
    if (repro_read(path, &repro, reason, sizeof reason) != 0) {
        printf("  ERROR    %s: %s\n", name, reason);
        return EXIT_USAGE;
    }
    struct run_options run = replay_run(&repro, settings->from_seed);
    if (world_config_error(&run.config, reason, sizeof reason) != 0) {
        printf("  ERROR    %s: %s\n", name, reason);
        repro_free(&repro);
        return EXIT_USAGE;
    }
    struct output_file no_trace = {0};
    struct output_reports no_reports = {{0}, {0}};
    struct output_run outputs = {&no_trace, &no_reports, NULL, NULL, settings->time_limit_s};
    struct run_result result;
    struct isolate_loss loss;
    int status = output_run_isolated(&run, &outputs, &result, &loss);
    if (status == 0) {
        struct replay_verdict v = judge(&repro, &result);
        int matches = v.outcome && v.hash && v.signature;
        printf("  %-8s %s: %s seed %" PRIu64 ", %s", matches ? "ok" : "DIFFERS", name,
               scenario_name(repro.options.scenario, scenario), repro.options.seed,
               sched_outcome_name(result.outcome));
        if (!v.outcome)
            printf(" (recorded %s)", sched_outcome_name(repro.expect_outcome));
        printf(repro.has_hash ? (v.hash ? ", hash matches" : ", hash DIFFERS") : ", no hash recorded");
        printf("%s\n", v.signature ? "" : ", signature DIFFERS");
        status = matches ? EXIT_EXPECTED : EXIT_UNEXPECTED;
    }
    run_result_free(&result);
    repro_free(&repro);
    return status == OUTPUT_NO_RUN ? EXIT_INTERNAL : status == OUTPUT_REFUSED ? EXIT_USAGE : status;
}

/* detsim replay DIR: every repro file of dir, one line each, then the summary.
 * Returns the exit status: the worst of the files' (an unreadable file is bad
 * input, 2, above a difference, 1). */
static int replay_folder(const char *dir, const struct replay_settings *settings)
{
    char **names = NULL;
    long count = list_repro_files(dir, &names);
    if (count < 0)
        return options_usage_error("cannot read folder '%s': %s", dir, strerror((int)-count));
    if (count == 0) {
        free(names);
        return options_usage_error("no repro files (*.repro) in '%s'", dir);
    }
    isolate_catch_signals(); /* a Ctrl-C ends it with the files done so far */
    long matched = 0, differed = 0, unreadable = 0;
    int status = EXIT_EXPECTED;
    size_t dir_length = strlen(dir);
    const char *slash = dir_length && dir[dir_length - 1] == '/' ? "" : "/";
    for (long i = 0; i < count && status != EXIT_INTERNAL; i++) {
        struct text path = {0};
        text_printf(&path, "%s%s%s", dir, slash, names[i]);
        int rc = replay_line(text_str(&path), names[i], settings);
        text_free(&path);
        if (rc == OUTPUT_INTERRUPTED) {
            free_names(names, (size_t)count);
            isolate_reraise();
            return EXIT_INTERNAL;
        }
        matched += rc == EXIT_EXPECTED;
        differed += rc == EXIT_UNEXPECTED;
        unreadable += rc == EXIT_USAGE;
        if (rc > status)
            status = rc;
    }
    printf("replay %s: %ld repro file%s, %ld match, %ld differ%s", dir, count,
           count == 1 ? "" : "s", matched, differed, differed == 1 ? "s" : "");
    printf(unreadable ? ", %ld cannot be read\n" : "\n", unreadable);
    free_names(names, (size_t)count);
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
        return options_usage_error("replay needs a repro file or a folder of them (see 'detsim "
                                   "replay --help')");
    struct replay_settings settings = {.format = TRACE_FORMAT_TEXT,
                                       .time_limit_s = OUTPUT_TIME_LIMIT_DEFAULT_S};
    if (read_replay_options(options, option_count, &settings) != 0)
        return EXIT_USAGE;
    struct stat info;
    if (stat(positionals[0], &info) == 0 && S_ISDIR(info.st_mode)) {
        static const char *const one_file_only[] = {"trace", "trace-format", "report",
                                                    "chrome-trace", "quiet", NULL};
        for (int i = 0; one_file_only[i]; i++)
            if (options_has(options, option_count, one_file_only[i]))
                return options_usage_error("--%s replays one repro file, and '%s' is a folder",
                                           one_file_only[i], positionals[0]);
        return replay_folder(positionals[0], &settings);
    }
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
    struct run_options run = replay_run(&repro, settings.from_seed);
    run.trace_out = settings.trace_file.stream;
    run.trace_format = settings.format;
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
