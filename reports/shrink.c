/* shrink — `detsim shrink FILE`: the smallest run that still fails the same way.
 *
 * Hypothesis-style: shrink the recorded choices, not the output. Every candidate is
 * a choice sequence fed back to the same scenario and config, so every candidate is
 * a run the harness could have produced. A candidate is kept when its run has the
 * same signature (outcome plus report fingerprint, as sweeps group failures) and
 * the choices it actually consumed are smaller: fewer, then lower values. Lower
 * values mean earlier ready tasks, so fewer preemptions; fewer choices mean a
 * shorter run. Passes: cut the tail, delete chunks, lower each value. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/world.h"
#include "sim/coro.h"
#include "cli/options.h"
#include "sim/repro.h"
#include "sweep.h"

int shrink_command(int argc, char **argv);

static const char shrink_help[] =
    "usage: detsim shrink FILE [--output OUT] [--time-limit SECONDS]\n"
    "\n"
    "Reduces the recorded choices of repro FILE - fewer choices, lower values (fewer\n"
    "preemptions), a shorter run - while the run keeps the same signature: the same\n"
    "outcome and the same report shape. Writes the shrunk repro to OUT (default\n"
    "FILE with .shrunk.repro in place of .repro) and prints before and after.\n"
    "Bounded by --time-limit (default 30 s of wall-clock time); it says how far it got.\n";

struct candidate {
    struct choice_record *choices;
    size_t count;
};

struct shrinker {
    struct run_options run;
    uint64_t signature;
    struct candidate best;
    struct run_result best_result;
    uint64_t runs;
    uint64_t accepted;
    double deadline;
};

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t signature_of(const struct run_result *r)
{
    struct sweep_record record = {0};
    sweep_signature(&record, sched_outcome_name(r->outcome), text_str(&r->report));
    return record.signature;
}

/* Shortlex: fewer choices first, then the smaller sum of values. */
static int smaller(const struct choice_record *a, size_t an, const struct choice_record *b, size_t bn)
{
    if (an != bn)
        return an < bn;
    uint64_t sa = 0, sb = 0;
    for (size_t i = 0; i < an; i++) {
        sa += a[i].value;
        sb += b[i].value;
    }
    return sa < sb;
}

/* Replays choices; keeps the run when it is the same failure, smaller. */
static int try_candidate(struct shrinker *s, const struct choice_record *choices, size_t count)
{
    static const struct choice_record none[1];
    struct run_options run = s->run;
    run.replay = count ? choices : none;
    run.replay_count = count;
    run.record_choices = 1;
    struct run_result result;
    s->runs++;
    if (run_scenario(&run, &result) != 0)
        return 0;
    int keep = result.outcome == s->best_result.outcome && signature_of(&result) == s->signature &&
               smaller(result.choices, result.choice_count, s->best.choices, s->best.count);
    if (!keep) {
        run_result_free(&result);
        return 0;
    }
    run_result_free(&s->best_result);
    free(s->best.choices);
    s->best_result = result;
    /* The choices the run consumed, normalised: that is the new best. */
    s->best.choices = result.choices;
    s->best.count = result.choice_count;
    s->best_result.choices = NULL;
    s->best_result.choice_count = 0;
    s->accepted++;
    return 1;
}

static int out_of_time(const struct shrinker *s)
{
    return wall_seconds() > s->deadline;
}

static void shrink(struct shrinker *s)
{
    int improved = 1;
    struct choice_record *work = NULL;
    while (improved && !out_of_time(s)) {
        improved = 0;
        /* 1. cut the tail: keep the first half, three quarters, ... */
        for (size_t keep = s->best.count / 2; keep < s->best.count && !out_of_time(s);) {
            if (try_candidate(s, s->best.choices, keep)) {
                improved = 1;
                keep = s->best.count / 2;
            } else {
                keep += (s->best.count - keep + 1) / 2;
            }
        }
        /* 2. delete chunks of 8, 4, 2, 1 */
        for (size_t chunk = 8; chunk >= 1 && !out_of_time(s); chunk /= 2)
            for (size_t at = 0; at + chunk <= s->best.count && !out_of_time(s);) {
                free(work);
                work = malloc((s->best.count + 1) * sizeof *work);
                if (!work)
                    return;
                memcpy(work, s->best.choices, at * sizeof *work);
                memcpy(work + at, s->best.choices + at + chunk,
                       (s->best.count - at - chunk) * sizeof *work);
                if (try_candidate(s, work, s->best.count - chunk))
                    improved = 1;
                else
                    at++;
            }
        /* 3. lower each value: to 0, else to half */
        for (size_t i = 0; i < s->best.count && !out_of_time(s); i++) {
            while (s->best.choices[i].value > 0 && !out_of_time(s) && i < s->best.count) {
                free(work);
                work = malloc((s->best.count + 1) * sizeof *work);
                if (!work)
                    return;
                memcpy(work, s->best.choices, s->best.count * sizeof *work);
                uint64_t old = work[i].value;
                work[i].value = 0;
                if (try_candidate(s, work, s->best.count)) {
                    improved = 1;
                    continue;
                }
                work[i].value = old / 2;
                if (old / 2 == old || !try_candidate(s, work, s->best.count))
                    break;
                improved = 1;
            }
        }
    }
    free(work);
}

static uint64_t count_kind(const struct choice_record *c, size_t n, enum choice_kind kind, int nonzero)
{
    uint64_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += c[i].kind == kind && (!nonzero || c[i].value != 0);
    return count;
}

int shrink_command(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0}, {"output", 1}, {"time-limit", 1}, {0}};
    struct parsed_option options[8];
    const char *positionals[1];
    int option_count, positional_count;
    if (argc > 8)
        return options_usage_error("too many arguments");
    if (options_parse("shrink", argc, argv, specs, options, &option_count, positionals,
                      &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(shrink_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("shrink needs a repro file (see 'detsim shrink --help')");
    const char *output = NULL;
    uint64_t seconds = 30;
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].name, "output") == 0)
            output = options[i].value;
        else if (strcmp(options[i].name, "time-limit") == 0 &&
                 (config_parse_u64(options[i].value, &seconds) || seconds == 0))
            return options_usage_error("bad --time-limit '%s': expected whole seconds > 0",
                                       options[i].value);
    }
    char reason[512], output_path[4096];
    struct repro repro;
    if (repro_read(positionals[0], &repro, reason, sizeof reason) != 0)
        return options_usage_error("%s", reason);
    if (world_config_error(&repro.options.config, reason, sizeof reason) != 0) {
        repro_free(&repro);
        return options_usage_error("%s: %s", positionals[0], reason);
    }
    if (!output) {
        size_t length = strlen(positionals[0]);
        const char *suffix = length > 6 && strcmp(positionals[0] + length - 6, ".repro") == 0 ? ".repro" : "";
        snprintf(output_path, sizeof output_path, "%.*s.shrunk.repro",
                 (int)(length - strlen(suffix)), positionals[0]);
        output = output_path;
    }
    struct shrinker s = {0};
    s.run = repro.options;
    s.deadline = wall_seconds() + (double)seconds;
    /* The original: replayed (from the seed when it has no recording) and recorded. */
    static const struct choice_record none[1];
    struct run_options first = s.run;
    if (repro.has_choices) {
        first.replay = repro.choice_count ? repro.choices : none;
        first.replay_count = repro.choice_count;
    }
    first.record_choices = 1;
    if (run_scenario(&first, &s.best_result) != 0) {
        repro_free(&repro);
        fprintf(stderr, "detsim: internal error: out of memory\n");
        return EXIT_INTERNAL;
    }
    s.runs = 1;
    if (s.best_result.outcome == SCHED_OUTCOME_PASS) {
        run_result_free(&s.best_result);
        repro_free(&repro);
        return options_usage_error("%s: the run passes; there is no failure to shrink",
                                   positionals[0]);
    }
    s.signature = signature_of(&s.best_result);
    s.best.choices = s.best_result.choices;
    s.best.count = s.best_result.choice_count;
    s.best_result.choices = NULL;
    uint64_t before_choices = s.best.count, before_steps = s.best_result.steps;
    uint64_t before_faults = count_kind(s.best.choices, s.best.count, CHOICE_FAULT, 1);
    uint64_t before_switches = count_kind(s.best.choices, s.best.count, CHOICE_SCHED, 1);
    shrink(&s);
    int finished = !out_of_time(&s);
    /* The shrunk run, written as a repro of its own (choices and all). */
    struct run_result written = s.best_result;
    written.choices = s.best.choices;
    written.choice_count = s.best.count;
    int rc = repro_write(output, &s.run, &written, reason, sizeof reason);
    printf("shrink %s: %s after %" PRIu64 " runs (%" PRIu64 " kept)\n", positionals[0],
           finished ? "done, nothing smaller found" : "stopped at the time limit", s.runs,
           s.accepted);
    printf("  outcome   %s, signature 0x%016" PRIx64 " (unchanged)\n",
           sched_outcome_name(s.best_result.outcome), s.signature);
    printf("  choices   %" PRIu64 " -> %zu\n", before_choices, s.best.count);
    printf("  preempts  %" PRIu64 " -> %" PRIu64 " (choices other than the longest-waiting task)\n",
           before_switches, count_kind(s.best.choices, s.best.count, CHOICE_SCHED, 1));
    printf("  faults    %" PRIu64 " -> %" PRIu64 " fired\n", before_faults,
           count_kind(s.best.choices, s.best.count, CHOICE_FAULT, 1));
    printf("  steps     %" PRIu64 " -> %" PRIu64 "\n", before_steps, s.best_result.steps);
    if (rc == 0)
        printf("  written   %s (replay: detsim replay %s)\n", output, output);
    else
        fprintf(stderr, "detsim: %s\n", reason);
    free(s.best.choices);
    run_result_free(&s.best_result);
    repro_free(&repro);
    coro_pool_drain();
    return rc == 0 ? EXIT_EXPECTED : EXIT_USAGE;
}
