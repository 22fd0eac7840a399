/* sweep — `detsim sweep SCENARIO`: many seeds in forked workers, grouped by failure
 * signature (the engine: reports/sweep_run.h, over the configurations of
 * reports/plan.h), or the fail-nth loop over one seed (faults/fail_nth.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "faults/fail_nth.h"
#include "reports/junit.h"
#include "reports/plan.h"
#include "reports/sweep.h"
#include "reports/sweep_run.h"
#include "sim/coro.h"

static const char sweep_help[] =
    "usage: detsim sweep SCENARIO [options]\n"
    "\n"
    "Runs many seeds of SCENARIO in forked workers and groups the failures by\n"
    "signature (outcome plus a fingerprint of the report), with a command that replays\n"
    "each group's first seed and a repro file under " SWEEP_REPRO_DIR "/.\n"
    "\n"
    "options:\n"
    "  --seeds A..B          the seeds A to B inclusive (default 0..99)\n"
    "  --count N             the seeds 0..N-1\n"
    "  --jobs J              workers at a time (default: the number of cores)\n"
    "  --shard K/N           only the K-th of N deterministic slices of the seeds\n"
    "  --strategy S          as for run: random, rr, pct[:depth=D[,steps=K]]\n"
    "  --variant NAME|all    the scenario's variant NAME ('detsim list' shows them), or\n"
    "                        every variant in turn over the same seeds, with a table\n"
    "  --set KEY=VALUE       a config key for every seed (repeatable); VALUE may be a\n"
    "                        list a,b,c or a range A..B: each value runs the same seeds\n"
    "                        and the table gives the failure rate per value\n"
    "  --expect OUTCOME      the outcome every seed should have (default pass; with\n"
    "                        --variant: what each variant declares, see below)\n"
    "  --json FILE           stream one JSON object per seed to FILE as each finishes\n"
    "  --resume              with --json: skip the seeds FILE already has, append the rest\n"
    "  --junit FILE          write a JUnit XML report\n"
    "  --time-limit SECONDS  wall-clock limit per seed (default 60); past it: timeout\n"
    "  --fault SPEC          arm a fault in every run (repeatable; see 'detsim faults')\n"
    "  --fail-nth POINT      instead of many seeds: fail the Nth hit of failpoint POINT,\n"
    "                        for N = 1, 2, ... until a run never reaches the Nth hit\n"
    "                        (SQLite's malloc loop); the outcome of every N is shown\n"
    "  --persistent          with --fail-nth: fail every hit from the Nth on\n"
    "  --seed N              with --fail-nth: the seed of every run (default 0)\n"
    "  --report              also an HTML report (detsim run --report) beside each\n"
    "                        group's repro file\n"
    "  --quiet               no progress bar\n"
    "\n"
    "With --variant and no --expect, each variant is held to what it declares: a\n"
    "fixed variant (declared pass) must pass every seed; a buggy one must reproduce\n"
    "its declared failure, with its declared cause in the report, on one seed at\n"
    "least (its passing seeds are not failures). The table's verdict column says\n"
    "whether each did. A --set that changes a key a variant sets drops its\n"
    "declaration: that configuration is held to pass.\n"
    "\n"
    "Exit status: 0 when every seed had the expected outcome (and every variant\n"
    "behaved as declared), 1 when not, 2 bad input.\n";

/* What the options ask for beside the engine's own state. */
struct sweep_options {
    uint64_t first, last;   /* --seeds A..B, --count N */
    uint64_t shard, shards; /* --shard K/N */
    const char *json_path;
    const char *junit_path;
    int resume;
    int quiet;
    const char *fail_nth;   /* --fail-nth POINT, NULL for none */
    int persistent;
    int seed_given;
    uint64_t fail_nth_seed; /* --seed */
    char name[64];          /* the scenario's */
    /* the replay command without variant and list values (plan_apply adds them);
     * appends stop at the end of the buffer, and an overlong one is refused */
    char base_prefix[480];
    size_t prefix_length;   /* what base_prefix would need: past its size, too long */
};

/* The labels of the plan's configurations and, as each runs, what it is held to. */
struct sweep_table {
    char labels[PLAN_CONFIGS_MAX][96];
    const char *label_list[PLAN_CONFIGS_MAX];
    const char *declared_list[PLAN_CONFIGS_MAX];
    int held[PLAN_CONFIGS_MAX];
    int any_declared; /* a configuration is held to what a variant declares */
};

static void append_prefix(struct sweep_options *o, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends to the replay command (see struct sweep_options). */
static void append_prefix(struct sweep_options *o, const char *format, ...)
{
    if (o->prefix_length >= sizeof o->base_prefix)
        return;
    va_list args;
    va_start(args, format);
    o->prefix_length += (size_t)vsnprintf(o->base_prefix + o->prefix_length,
                                          sizeof o->base_prefix - o->prefix_length, format, args);
    va_end(args);
}

static int parse_range(const char *text, uint64_t *first, uint64_t *last)
{
    const char *dots = strstr(text, "..");
    char low[32];
    if (!dots || (size_t)(dots - text) >= sizeof low)
        return -EINVAL;
    memcpy(low, text, (size_t)(dots - text));
    low[dots - text] = '\0';
    if (config_parse_u64(low, first) || config_parse_u64(dots + 2, last) || *last < *first)
        return -EINVAL;
    return 0;
}

/* Parses "K/N" with 1 <= K <= N. Returns 0 or -EINVAL. */
static int parse_shard(const char *text, uint64_t *shard, uint64_t *shards)
{
    char k[32];
    const char *slash = strchr(text, '/');
    if (!slash || (size_t)(slash - text) >= sizeof k)
        return -EINVAL;
    memcpy(k, text, (size_t)(slash - text));
    k[slash - text] = '\0';
    if (config_parse_u64(k, shard) || config_parse_u64(slash + 1, shards) || *shard < 1 ||
        *shard > *shards)
        return -EINVAL;
    return 0;
}

/* Reads one option that takes a number (--seeds, --count, --jobs, --shard,
 * --time-limit, --seed). Returns 0, 1 when key is not one of them, or EXIT_USAGE
 * after printing the error. */
static int read_number_option(const char *key, const char *value, struct sweep_run *s,
                              struct sweep_options *o)
{
    uint64_t number;
    if (strcmp(key, "seeds") == 0) {
        if (parse_range(value, &o->first, &o->last) != 0)
            return options_usage_error("bad --seeds '%s': expected A..B with A <= B", value);
    } else if (strcmp(key, "count") == 0) {
        if (config_parse_u64(value, &number) || number == 0)
            return options_usage_error("bad --count '%s': expected a positive integer", value);
        o->first = 0;
        o->last = number - 1;
    } else if (strcmp(key, "jobs") == 0) {
        if (config_parse_u64(value, &number) || number == 0 || number > 1024)
            return options_usage_error("bad --jobs '%s': expected 1 to 1024", value);
        s->jobs = (unsigned)number;
    } else if (strcmp(key, "shard") == 0) {
        if (parse_shard(value, &o->shard, &o->shards) != 0)
            return options_usage_error("bad --shard '%s': expected K/N with 1 <= K <= N", value);
    } else if (strcmp(key, "time-limit") == 0) {
        if (config_parse_u64(value, &number) || number == 0)
            return options_usage_error("bad --time-limit '%s': expected whole seconds > 0", value);
        s->time_limit_s = (double)number;
    } else if (strcmp(key, "seed") == 0) {
        if (config_parse_u64(value, &o->fail_nth_seed) != 0)
            return options_usage_error("bad seed '%s': expected an unsigned 64-bit integer",
                                       value);
        o->seed_given = 1;
    } else {
        return 1;
    }
    return 0;
}

/* Reads one option (--variant and list values are the plan's). Returns 0 or
 * EXIT_USAGE after printing the error. */
static int read_option(const char *key, const char *value, struct sweep_run *s,
                       struct sweep_options *o)
{
    char reason[256];
    int rc = read_number_option(key, value, s, o);
    if (rc != 1)
        return rc;
    if (strcmp(key, "strategy") == 0) {
        if (run_parse_strategy(value, &s->run.strategy, reason, sizeof reason) != 0)
            return options_usage_error("%s", reason);
        append_prefix(o, " --strategy %s", value);
    } else if (strcmp(key, "set") == 0) {
        if (!plan_is_value_list(value))
            append_prefix(o, " --set %s", value);
    } else if (strcmp(key, "expect") == 0) {
        int outcome = sched_outcome_parse(value);
        if (outcome < 0 || outcome == SCHED_OUTCOME_CRASH)
            return options_usage_error("bad --expect '%s'", value);
        s->expect = (enum sched_outcome)outcome;
        s->expect_given = 1;
    } else if (strcmp(key, "fault") == 0) {
        if (s->run.fault_count == FAULT_SPECS_MAX)
            return options_usage_error("at most %d --fault specs", FAULT_SPECS_MAX);
        if (fault_spec_parse(value, &s->faults[s->run.fault_count], reason, sizeof reason) != 0)
            return options_usage_error("bad --fault '%s': %s", value, reason);
        s->run.fault_count++;
        append_prefix(o, " --fault '%s'", value);
    } else if (strcmp(key, "json") == 0) {
        o->json_path = value;
    } else if (strcmp(key, "resume") == 0) {
        o->resume = 1;
    } else if (strcmp(key, "junit") == 0) {
        o->junit_path = value;
    } else if (strcmp(key, "quiet") == 0) {
        o->quiet = 1;
    } else if (strcmp(key, "report") == 0) {
        s->report = 1;
    } else if (strcmp(key, "fail-nth") == 0) {
        o->fail_nth = value;
    } else if (strcmp(key, "persistent") == 0) {
        o->persistent = 1;
    }
    return 0;
}

/* Sets the defaults of s and o for scenario (found), then reads the options.
 * Returns 0 or EXIT_USAGE after printing the error. */
static int read_options(const struct parsed_option *options, int option_count,
                        struct sweep_run *s, struct sweep_options *o)
{
    s->run.strategy = SCHED_STRATEGY_DEFAULT;
    s->expect = SCHED_OUTCOME_PASS;
    s->time_limit_s = 60;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    s->jobs = cores > 0 ? (unsigned)cores : 1;
    o->last = 99;
    o->shard = 1;
    o->shards = 1;
    o->prefix_length = (size_t)snprintf(o->base_prefix, sizeof o->base_prefix, "detsim run %s",
                                        scenario_name(s->run.scenario, o->name));
    for (int i = 0; i < option_count; i++)
        if (read_option(options[i].name, options[i].value, s, o) != 0)
            return EXIT_USAGE;
    if (o->prefix_length >= sizeof o->base_prefix)
        return options_usage_error("the replay command would be too long: fewer --set, --fault "
                                   "or --strategy options");
    s->run.faults = s->run.fault_count ? s->faults : NULL;
    return 0;
}

/* Sets s up for configuration c of plan. Returns 0 or EXIT_USAGE after printing the
 * error. */
static int apply_config(struct sweep_run *s, const struct plan *plan, long c,
                        const struct config *defaults, const struct sweep_options *o)
{
    char error[1024];
    if (plan_apply(plan, c, s->run.scenario, defaults, o->base_prefix, &s->run.config, &s->plan,
                   error, sizeof error) != 0)
        return options_usage_error("%s", error);
    return 0;
}

/* Reads --variant and every --set into plan, then sets every configuration up once,
 * so that a bad one is refused before anything runs; t gets their labels. Returns 0
 * or EXIT_USAGE after printing the error. */
static int read_plan(const struct parsed_option *options, int option_count, struct plan *plan,
                     struct sweep_run *s, const struct config *defaults,
                     const struct sweep_options *o, struct sweep_table *t)
{
    char error[1024];
    const char *variant_name = NULL;
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].name, "variant") == 0)
            variant_name = options[i].value;
        else if (strcmp(options[i].name, "set") == 0 &&
                 plan_add_set(plan, defaults, options[i].value, error, sizeof error) != 0)
            return options_usage_error("%s", error);
    }
    if (plan_finish(plan, s->run.scenario, variant_name, error, sizeof error) != 0)
        return options_usage_error("%s", error);
    for (long c = 0; c < plan->configs; c++) {
        if (apply_config(s, plan, c, defaults, o) != 0)
            return EXIT_USAGE;
        snprintf(t->labels[c], sizeof t->labels[c], "%s", s->plan.label);
        t->label_list[c] = t->labels[c];
    }
    return 0;
}

/* Writes the repro of r's failure group (see sweep_run_write_repro); one that cannot
 * be written is one line on stderr. */
static void write_repro(const struct sweep_run *s, const struct sweep_record *r)
{
    char error[300];
    if (sweep_run_write_repro(s, r, error, sizeof error) != 0)
        fprintf(stderr, "detsim: %s\n", error);
}

/* ---- the fail-nth loop -------------------------------------------------------------- */

/* The fail-nth loop's callbacks share this. */
struct fail_nth_context {
    struct sweep_run *s;
    uint64_t seed;
    size_t prefix_length; /* of the replay command before the loop's --fault */
    struct sweep_record record; /* of the last run */
};

static int fail_nth_run(void *context, uint64_t n, const struct fault_spec *spec,
                        struct fail_nth_run *run)
{
    (void)n;
    struct fail_nth_context *c = context;
    struct sweep_run *s = c->s;
    snprintf(s->plan.replay_prefix + c->prefix_length,
             sizeof s->plan.replay_prefix - c->prefix_length, " --fault '%s'", spec->text);
    c->record = (struct sweep_record){0};
    sweep_run_one(s, c->seed, &c->record, &run->hits);
    run->cut_short = strcmp(c->record.outcome, "crash") == 0 ||
                     strcmp(c->record.outcome, "timeout") == 0;
    return 0;
}

static int fail_nth_reached(void *context, uint64_t n)
{
    struct fail_nth_context *c = context;
    const struct sweep_record *r = &c->record;
    if (r->expected)
        printf("  N=%-5" PRIu64 " %s\n", n, r->outcome);
    else
        printf("  N=%-5" PRIu64 " %-14s %s\n", n, r->outcome, r->signature_text);
    if (sweep_run_add(c->s, r) != 0)
        return -ENOMEM;
    write_repro(c->s, r); /* while this N's spec is the one armed */
    return 0;
}

/* SQLite's malloc loop over failpoint o->fail_nth, on seed o->fail_nth_seed of the
 * one configuration s is set up for. Returns the exit status. */
static int sweep_fail_nth(struct sweep_run *s, const struct sweep_options *o)
{
    char reason[256];
    const char *point = o->fail_nth;
    struct fault_spec *spec = &s->faults[s->run.fault_count];
    if (fail_nth_check(point, spec, reason, sizeof reason) != 0)
        return options_usage_error("bad --fail-nth '%s': %s", point, reason);
    s->run.faults = s->faults;
    s->run.fault_count++;
    struct fail_nth_context c = {s, o->fail_nth_seed, strlen(s->plan.replay_prefix), {{0}}};
    printf("fail-nth %s: %s, %s, seed %" PRIu64 "\n", o->name, point,
           o->persistent ? "persistent (every hit from N on)" : "transient (the Nth hit only)",
           o->fail_nth_seed);
    struct fail_nth loop = {point, o->persistent, fail_nth_run, fail_nth_reached, &c};
    uint64_t n = 0, hits = 0;
    int rc = fail_nth_loop(&loop, spec, &n, &hits, reason, sizeof reason);
    if (rc == -EINVAL)
        return options_usage_error("bad --fail-nth '%s': %s", point, reason);
    if (rc != 0)
        return EXIT_INTERNAL;
    printf("  N=%-5" PRIu64 " not reached: the run made %" PRIu64 " hit%s; done\n", n, hits,
           hits == 1 ? "" : "s");
    long unexpected = sweep_summary(stdout, s->records, s->count, SWEEP_REPRO_DIR, "runs");
    free(s->records);
    coro_pool_drain();
    return unexpected ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

/* ---- many seeds ----------------------------------------------------------------------- */

/* Checks the --json and --resume options against the file there. Returns 0 or
 * EXIT_USAGE after printing the error. */
static int check_results_file(const struct sweep_options *o)
{
    if (o->resume && !o->json_path)
        return options_usage_error("--resume needs --json FILE");
    if (o->json_path && !o->resume && access(o->json_path, F_OK) == 0)
        return options_usage_error("'%s' exists: add --resume to continue it, or remove it",
                                   o->json_path);
    return 0;
}

/* With --resume: reads the results the file has into s, and drops a last line cut
 * off mid-write. Returns 0 or EXIT_USAGE after printing the error (s holds nothing). */
static int read_results(struct sweep_run *s, const struct sweep_options *o)
{
    char reason[256];
    if (!o->resume || access(o->json_path, F_OK) != 0)
        return 0;
    long complete = 0;
    s->count = sweep_read_file(o->json_path, &s->records, &s->capacity, 0, &complete, reason,
                               sizeof reason);
    if (s->count < 0) {
        free(s->records);
        return options_usage_error("%s", reason);
    }
    if (truncate(o->json_path, complete) != 0) {
        free(s->records);
        return options_usage_error("cannot write '%s': %s", o->json_path, strerror(errno));
    }
    return 0;
}

/* Checks that the results read are of this sweep's scenario and configurations.
 * Returns 0 or EXIT_USAGE after printing the error (s->records freed). */
static int check_results(struct sweep_run *s, const struct plan *plan,
                         const struct sweep_options *o, const struct sweep_table *t)
{
    for (long i = 0; i < s->count; i++) {
        if (strcmp(s->records[i].scenario, o->name) != 0) {
            free(s->records);
            return options_usage_error("'%s' holds results of %s, not %s", o->json_path,
                                       s->records[i].scenario, o->name);
        }
        long c = 0;
        while (c < plan->configs && strcmp(t->labels[c], s->records[i].config) != 0)
            c++;
        if (c == plan->configs) {
            char label[sizeof s->records[i].config];
            snprintf(label, sizeof label, "%s", s->records[i].config[0] ? s->records[i].config
                                                                        : "(default)");
            free(s->records);
            return options_usage_error("'%s' holds results of configuration '%s', which this "
                                       "sweep does not run: resume it with the same --variant "
                                       "and --set options",
                                       o->json_path, label);
        }
    }
    return 0;
}

/* Reads what a --resume continues, checks it, and opens the results file. Returns
 * 0 or EXIT_USAGE after printing the error (s holds nothing then). */
static int open_results(struct sweep_run *s, const struct plan *plan,
                        const struct sweep_options *o, const struct sweep_table *t)
{
    if (check_results_file(o) != 0 || read_results(s, o) != 0 ||
        check_results(s, plan, o, t) != 0)
        return EXIT_USAGE;
    if (o->json_path) {
        s->json = fopen(o->json_path, "a");
        if (!s->json) {
            free(s->records);
            return options_usage_error("cannot write '%s': %s", o->json_path, strerror(errno));
        }
    }
    return 0;
}

/* Prints the sweep's first line: its seeds, configurations and jobs. */
static void print_header(const struct sweep_run *s, const struct plan *plan,
                         const struct sweep_options *o, long already, int variant_given)
{
    uint64_t total = o->last - o->first + 1;
    char shard_text[48] = "";
    if (o->shards > 1)
        snprintf(shard_text, sizeof shard_text, ", shard %" PRIu64 "/%" PRIu64, o->shard,
                 o->shards);
    long shard_total = 0;
    for (uint64_t index = o->shard - 1; index < total; index += o->shards)
        shard_total++;
    printf("sweep %s: %ld seeds (%" PRIu64 "..%" PRIu64 "%s)", o->name, shard_total, o->first,
           o->last, shard_text);
    if (plan->configs > 1)
        printf(" x %ld configurations", plan->configs);
    printf(", %ld already done, %u job%s\n", already, s->jobs, s->jobs == 1 ? "" : "s");
    if (plan->variant_count == 1 && !plan->variants[0] && variant_given)
        printf("(%s has no variants: --variant all runs its default configuration)\n", o->name);
}

static void progress(long done, long total, long failing)
{
    int width = 30, filled = total ? (int)(done * width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld seeds, %ld unexpected", filled,
            "##############################", width - filled, "", done, total, failing);
    if (done == total)
        fputc('\n', stderr);
}

/* The seeds of this shard that the first `already` records (resumed) do not have
 * for the running configuration, into seeds. Returns how many. */
static long seeds_to_run(const struct sweep_run *s, const struct sweep_options *o, long already,
                         uint64_t *seeds)
{
    uint64_t total = o->last - o->first + 1;
    long todo = 0;
    for (uint64_t index = o->shard - 1; index < total; index += o->shards) {
        uint64_t seed = o->first + index;
        int have = 0;
        for (long i = 0; i < already && !have; i++)
            have = s->records[i].seed == seed && strcmp(s->records[i].config, s->plan.label) == 0;
        if (!have)
            seeds[todo++] = seed;
    }
    return todo;
}

/* Runs every configuration of plan over the seeds (room for the shard's), writing
 * each failure group's repro. Returns 0 or a negative error code (see
 * sweep_run_seeds). */
static int run_configs(struct sweep_run *s, const struct plan *plan,
                       const struct config *defaults, const struct sweep_options *o,
                       struct sweep_table *t, long already, uint64_t *seeds)
{
    int rc = 0;
    for (long c = 0; c < plan->configs && rc == 0; c++) {
        apply_config(s, plan, c, defaults, o); /* checked by read_plan */
        t->declared_list[c] = sched_outcome_name(s->expect_given ? s->expect : s->plan.declared);
        t->any_declared |= s->plan.declared != SCHED_OUTCOME_PASS ||
                           (plan->variants[0] && !plan->list_count);
        long todo = seeds_to_run(s, o, already, seeds);
        long before = s->count;
        rc = sweep_run_seeds(s, seeds, todo, !o->quiet && isatty(2) ? progress : NULL);
        for (long i = before; i < s->count && rc == 0; i++)
            write_repro(s, &s->records[i]);
    }
    return rc;
}

/* Prints the configuration table, the summary and the verdict, and writes the
 * JUnit report. Frees the records. Returns the exit status. */
static int report_results(struct sweep_run *s, const struct plan *plan,
                          const struct sweep_options *o, struct sweep_table *t)
{
    long broken = 0;
    const char *const *declared = s->expect_given || !t->any_declared ? NULL : t->declared_list;
    if (plan->configs > 1 || plan->variants[0])
        broken = sweep_config_table(stdout, s->records, s->count, t->label_list, declared,
                                    plan->configs, o->shards > 1, t->held);
    long unexpected = sweep_summary(stdout, s->records, s->count, SWEEP_REPRO_DIR, "seeds");
    if (broken)
        printf("verdict: %ld of %ld configurations did not behave as declared\n", broken,
               plan->configs);
    if (o->junit_path &&
        junit_write(o->junit_path, o->name, s->records, s->count, t->label_list,
                    plan->configs > 1 || plan->variants[0] ? declared : NULL, t->held,
                    plan->configs) != 0) {
        fprintf(stderr, "detsim: cannot write '%s'\n", o->junit_path);
        unexpected = unexpected ? unexpected : 1;
    }
    free(s->records);
    coro_pool_drain();
    return unexpected || broken ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

/* The seeds of this shard under every configuration of plan, results and all.
 * Returns the exit status. */
static int sweep_seeds(struct sweep_run *s, const struct plan *plan,
                       const struct config *defaults, const struct sweep_options *o,
                       struct sweep_table *t, int variant_given)
{
    if (open_results(s, plan, o, t) != 0)
        return EXIT_USAGE;
    uint64_t total = o->last - o->first + 1;
    uint64_t *seeds = malloc((total / o->shards + 1) * sizeof *seeds);
    if (!seeds) {
        free(s->records);
        if (s->json)
            fclose(s->json);
        return options_usage_error("--seeds %" PRIu64 "..%" PRIu64 " is too many seeds",
                                   o->first, o->last);
    }
    long already = s->count;
    print_header(s, plan, o, already, variant_given);
    int rc = run_configs(s, plan, defaults, o, t, already, seeds);
    free(seeds);
    if (s->json)
        fclose(s->json);
    if (rc != 0) {
        free(s->records);
        fprintf(stderr, "detsim: internal error: out of memory\n");
        return EXIT_INTERNAL;
    }
    return report_results(s, plan, o, t);
}

int cli_sweep(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},  {"seeds", 1}, {"count", 1},  {"jobs", 1},   {"shard", 1},
        {"strategy", 1}, {"set", 1}, {"expect", 1}, {"json", 1}, {"resume", 0},
        {"junit", 1}, {"time-limit", 1}, {"quiet", 0}, {"fault", 1},  {"fail-nth", 1},
        {"persistent", 0}, {"seed", 1}, {"variant", 1}, {"report", 0}, {0}};
    struct parsed_option options[256];
    const char *positionals[1];
    int option_count, positional_count;
    if (options_parse("sweep", argc, argv, specs, options, OPTIONS_COUNT(options),
                      &option_count, positionals, &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(sweep_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("sweep needs a scenario (see 'detsim list')");
    /* large: the plan's configurations and the records */
    static struct sweep_run s;
    static struct plan plan;
    static struct config defaults;
    static struct sweep_options o;
    static struct sweep_table t;
    memset(&s, 0, sizeof s);
    plan_init(&plan);
    memset(&o, 0, sizeof o);
    t.any_declared = 0;
    s.run.scenario = scenario_find(positionals[0]);
    if (!s.run.scenario)
        return options_usage_error("unknown scenario '%s' (see 'detsim list')", positionals[0]);
    run_config_init(&defaults, s.run.scenario);
    if (read_options(options, option_count, &s, &o) != 0 ||
        read_plan(options, option_count, &plan, &s, &defaults, &o, &t) != 0)
        return EXIT_USAGE;
    if ((o.persistent || o.seed_given) && !o.fail_nth)
        return options_usage_error("--persistent and --seed go with --fail-nth POINT");
    if (!o.fail_nth)
        return sweep_seeds(&s, &plan, &defaults, &o, &t,
                           options_has(options, option_count, "variant"));
    if (o.json_path || o.junit_path || o.resume || o.shards > 1)
        return options_usage_error("--fail-nth runs one seed: --json, --junit, --resume and "
                                   "--shard do not apply");
    if (plan.configs > 1)
        return options_usage_error("--fail-nth runs one configuration: no --variant all or "
                                   "--set lists");
    s.plan.declared = SCHED_OUTCOME_PASS; /* every N is held to --expect (default pass) */
    s.plan.cause = NULL;
    return sweep_fail_nth(&s, &o);
}
