/* sweep — `detsim sweep SCENARIO`: many seeds in forked workers, grouped by failure
 * signature (the engine: reports/sweep_run.h, over the configurations of
 * reports/plan.h), or the fail-nth loop over one seed (faults/fail_nth.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "faults/fail_nth.h"
#include "reports/isolate.h"
#include "reports/junit.h"
#include "reports/plan.h"
#include "reports/report.h"
#include "reports/seeds.h"
#include "reports/sweep.h"
#include "reports/sweep_run.h"
#include "sim/coro.h"
#include "util/progname.h"

static const char sweep_help[] =
    "usage: detsim sweep SCENARIO [options]\n"
    "\n"
    "Runs many seeds of SCENARIO in forked workers and groups the failures by\n"
    "signature (the outcome and the failure's structure: a hang's wait-for graph, a\n"
    "check's place and format, what leaked; never a number), with a command that replays\n"
    "each group's first seed and a repro file under " SWEEP_REPRO_DIR "/.\n"
    "\n"
    "options:\n"
    "  --seeds A..B          the seeds A to B inclusive (default 0..99)\n"
    "  --count N             the seeds 0..N-1\n"
    "  --jobs J              workers at a time (default: the number of cores)\n"
    "  --shard K/N           only the K-th of N deterministic slices of the seeds\n"
    "  --strategy S          as for run (random, rr, pct, pos, delay, preempt); the\n"
    "                        default is portfolio: seed mod 8 picks random, pos,\n"
    "                        pct:depth=1, random, pct:depth=2, pos, pct:depth=3,\n"
    "                        random; each record and replay command names the\n"
    "                        strategy its seed ran (with K, the run's length, measured\n"
    "                        by probe runs of seeds 0..2 under random)\n"
    "  --swarm               swarm testing: each seed also arms faults drawn from the\n"
    "                        seed itself (each failpoint with probability 1/2, at p =\n"
    "                        0.001, 0.01, 0.05 or 0.2; each slot table with 1/4, free\n"
    "                        0..7, after 0, 10, 100 or 1000); the record and its\n"
    "                        replay command (--fault ...) say what it drew\n"
    "  --variant NAME|all    the scenario's variant NAME ('detsim list' shows them), or\n"
    "                        every variant in turn over the same seeds, with a table\n"
    "  --set KEY=VALUE       a config key for every seed (repeatable); VALUE may be a\n"
    "                        list a,b,c or a range A..B: each value runs the same seeds\n"
    "                        and the table gives the failure rate per value\n"
    "  --expect OUTCOME      the outcome every seed should have (default pass; with\n"
    "                        --variant: what each variant declares, see below)\n"
    "  --json FILE           stream one JSON object per seed to FILE as each finishes,\n"
    "                        after a header line with the sweep's settings\n"
    "  --resume              with --json: skip the seeds FILE already has, append the rest\n"
    "                        (refused when FILE was made with other settings)\n"
    "  --junit FILE          write a JUnit XML report\n"
    "  --time-limit SECONDS  wall-clock limit per seed (default 60), enforced by each\n"
    "                        worker; past it the seed is a timeout, and only it\n"
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
    "SIGINT (Ctrl-C) or SIGTERM ends a sweep with the summary of the seeds done and,\n"
    "with --json, the exact command that resumes it.\n"
    "\n"
    "Exit status: 0 when every seed had the expected outcome (and every variant\n"
    "behaved as declared), 1 when not (or interrupted), 2 bad input, 3 a write that\n"
    "failed or another internal error.\n";

/* What the options ask for beside the engine's own state. */
struct sweep_options {
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
    int argc;               /* the command's arguments, for the command that resumes it */
    char **argv;
};

/* The labels of the plan's configurations and, as each runs, what it is held to;
 * what the results file has of each. */
struct sweep_table {
    struct sweep_header header; /* the labels are header.configs */
    const char *declared_list[PLAN_CONFIGS_MAX];
    int held[PLAN_CONFIGS_MAX];
    int any_declared; /* a configuration is held to what a variant declares */
    long resumed[PLAN_CONFIGS_MAX]; /* seeds of this sweep the results file has */
    struct seeds_set done;          /* (configuration, seed) the results file has */
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

/* Reads one option that takes a number (--seeds, --count, --jobs, --shard,
 * --time-limit, --seed). Returns 0, 1 when key is not one of them, or EXIT_USAGE
 * after printing the error. */
static int read_number_option(const char *key, const char *value, struct sweep_run *s,
                              struct sweep_options *o)
{
    char reason[256];
    uint64_t number;
    if (strcmp(key, "seeds") == 0) {
        if (seeds_parse_range(value, &s->seeds, reason, sizeof reason) != 0)
            return options_usage_error("%s", reason);
    } else if (strcmp(key, "count") == 0) {
        if (seeds_parse_count(value, &s->seeds, reason, sizeof reason) != 0)
            return options_usage_error("%s", reason);
    } else if (strcmp(key, "shard") == 0) {
        if (seeds_parse_shard(value, &s->seeds, reason, sizeof reason) != 0)
            return options_usage_error("%s", reason);
    } else if (strcmp(key, "jobs") == 0) {
        if (config_parse_u64(value, &number) || number == 0 || number > 1024)
            return options_usage_error("bad --jobs '%s': expected 1 to 1024", value);
        s->jobs = (unsigned)number;
    } else if (strcmp(key, "time-limit") == 0) {
        if (config_parse_u64(value, &number) || number == 0 || number > 86400)
            return options_usage_error("bad --time-limit '%s': expected whole seconds, 1 to "
                                       "86400", value);
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
        /* each record's replay command names the strategy its seed ran */
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
    } else if (strcmp(key, "swarm") == 0) {
        s->swarm = 1;
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
    s->run.strategy.kind = SCHED_PORTFOLIO; /* a sweep's default: every seed its arm */
    s->expect = SCHED_OUTCOME_PASS;
    s->time_limit_s = 60;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    s->jobs = cores > 0 ? (unsigned)cores : 1;
    s->seeds = (struct seeds){0, 99, 1, 1};
    o->prefix_length = (size_t)snprintf(o->base_prefix, sizeof o->base_prefix, "%s run %s",
                                        progname(), scenario_name(s->run.scenario, o->name));
    for (int i = 0; i < option_count; i++)
        if (read_option(options[i].name, options[i].value, s, o) != 0)
            return EXIT_USAGE;
    if (s->swarm && o->fail_nth)
        return options_usage_error("--swarm draws faults per seed; --fail-nth runs one seed");
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
    t->header.config_count = plan->configs;
    int any_declared = 0;
    for (long c = 0; c < plan->configs; c++) {
        if (apply_config(s, plan, c, defaults, o) != 0)
            return EXIT_USAGE;
        snprintf(t->header.configs[c], sizeof t->header.configs[c], "%s", s->plan.label);
        snprintf(t->header.declared[c], sizeof t->header.declared[c], "%s",
                 sched_outcome_name(s->expect_given ? s->expect : s->plan.declared));
        any_declared |= s->plan.declared != SCHED_OUTCOME_PASS ||
                        (plan->variants[0] && !plan->list_count);
    }
    /* as report_results judges them: what a merge of the shards judges too */
    t->header.verdicts = !s->expect_given && any_declared &&
                         (plan->configs > 1 || plan->variants[0]);
    return 0;
}

/* Writes the repro files of the failure groups still without one; the first that
 * cannot be written is one line on stderr (and no more are tried). Returns 0, or
 * -EINTR when a signal was caught. */
static int write_repros(struct sweep_run *s)
{
    int rc = sweep_run_write_repros(s);
    if (rc != 0 && rc != -EINTR)
        fprintf(stderr, "detsim: %s\n", s->error);
    return rc == -EINTR ? rc : 0;
}

/* ---- the fail-nth loop -------------------------------------------------------------- */
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
    return sweep_run_one(s, c->seed, &c->record, run);
}

static int fail_nth_reached(void *context, uint64_t n)
{
    struct fail_nth_context *c = context;
    const struct sweep_record *r = &c->record;
    if (r->expected)
        printf("  N=%-5" PRIu64 " %s\n", n, r->outcome);
    else
        printf("  N=%-5" PRIu64 " %-14s %s\n", n, r->outcome, r->signature_text);
    int rc = sweep_run_add(c->s, r, 1);
    return rc == 0 ? write_repros(c->s) : rc; /* while this N's spec is the one armed */
}

/* SQLite's malloc loop over failpoint o->fail_nth, on seed o->fail_nth_seed of the
 * one configuration s is set up for (t: its label). Returns the exit status. */
static int sweep_fail_nth(struct sweep_run *s, const struct sweep_options *o,
                          struct sweep_table *t)
{
    char reason[256];
    const char *point = o->fail_nth;
    struct fault_spec *spec = &s->faults[s->run.fault_count];
    if (fail_nth_check(point, spec, reason, sizeof reason) != 0)
        return options_usage_error("bad --fail-nth '%s': %s", point, reason);
    s->run.faults = s->faults;
    s->run.fault_count++;
    tally_init(&s->tally, &t->header);
    struct fail_nth_context c = {s, o->fail_nth_seed, strlen(s->plan.replay_prefix), {{0}}};
    printf("fail-nth %s: %s, %s, seed %" PRIu64 "\n", o->name, point,
           o->persistent ? "persistent (every hit from N on)" : "transient (the Nth hit only)",
           o->fail_nth_seed);
    struct fail_nth loop = {point, o->persistent, fail_nth_run, fail_nth_reached, &c};
    uint64_t n = 0, hits = 0;
    int rc = fail_nth_loop(&loop, spec, &n, &hits, reason, sizeof reason);
    if (rc == -EINVAL)
        rc = options_usage_error("bad --fail-nth '%s': %s", point, reason);
    else if (rc != 0)
        fprintf(stderr, "detsim: %s\n", s->error);
    else if (strcmp(c.record.outcome, "crash") == 0 || strcmp(c.record.outcome, "timeout") == 0)
        printf("  N=%-5" PRIu64 " %-14s %s, before any fault fired: not reached; done\n", n,
               c.record.outcome, c.record.signature_text);
    else
        printf("  N=%-5" PRIu64 " not reached: the run made %" PRIu64 " hit%s; done\n", n, hits,
               hits == 1 ? "" : "s");
    long unexpected = rc == 0 ? tally_summary(stdout, &s->tally, SWEEP_REPRO_DIR, "runs") : 0;
    tally_free(&s->tally);
    coro_pool_drain();
    if (rc == -EINTR)
        isolate_reraise();
    if (rc != 0)
        return rc == EXIT_USAGE ? EXIT_USAGE : EXIT_INTERNAL;
    if (s->repro_failed) /* said when it happened */
        return EXIT_INTERNAL;
    return unexpected ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

/* ---- the results file ----------------------------------------------------------------- */

/* Fills t->header's settings for s: scenario, strategy, --expect, the plain --set
 * values (as they differ from defaults, so that the same settings given in another
 * order or form agree) and the --fault specs. The configurations are read_plan's. */
static void fill_header(const struct sweep_run *s, const struct plan *plan,
                        const struct config *defaults, const struct sweep_options *o,
                        struct sweep_header *h)
{
    char reason[256], value[48];
    snprintf(h->scenario, sizeof h->scenario, "%s", o->name);
    h->first = s->seeds.first, h->last = s->seeds.last;
    h->shard = s->seeds.shard, h->shards = s->seeds.shards;
    run_format_strategy(&s->run.strategy, h->strategy);
    snprintf(h->expect, sizeof h->expect, "%s",
             s->expect_given ? sched_outcome_name(s->expect) : "");
    struct config set = *defaults;
    for (uint32_t i = 0; i < plan->scalar_count; i++)
        config_assign(&set, plan->scalar_sets[i], reason, sizeof reason); /* checked */
    size_t n = 0;
    h->settings[0] = '\0';
    for (uint32_t k = 0; k < set.count && n < sizeof h->settings; k++)
        if (set.values[k] != defaults->values[k])
            n += (size_t)snprintf(h->settings + n, sizeof h->settings - n, "%s%s=%s",
                                  n ? " " : "", set.keys[k]->name,
                                  config_format_value(set.keys[k], set.values[k], value));
    n = 0;
    h->faults[0] = '\0';
    for (uint32_t i = 0; i < s->run.fault_count && n < sizeof h->faults; i++)
        n += (size_t)snprintf(h->faults + n, sizeof h->faults - n, "%s'%s'", n ? " " : "",
                              s->run.faults[i].text);
    if (s->swarm && n < sizeof h->faults) /* each seed's own draw comes on top */
        snprintf(h->faults + n, sizeof h->faults - n, "%sswarm", n ? " " : "");
}

/* What reading a results file to resume it needs. */
struct resume_reading {
    struct sweep_run *s;
    struct sweep_table *t;
    const struct sweep_options *o;
    struct sweep_header file; /* the file's header */
};

/* Compares the file's header with the sweep's. Returns 0, or -1 with the difference
 * in error. */
static int check_header(void *context, const struct sweep_header *file, char *error,
                        size_t error_bytes)
{
    const struct resume_reading *reading = context;
    char difference[400];
    if (!sweep_header_diff(file, reading->o->json_path, &reading->t->header, "this sweep",
                           difference, sizeof difference))
        return 0;
    snprintf(error, error_bytes, "cannot resume '%s': %s (resume with the same options, or "
             "use another --json file)", reading->o->json_path, difference);
    return -1;
}

/* One record of the file resumed: counted, remembered as done, and in the JUnit. */
static int resume_record(void *context, const struct sweep_record *r, char *error,
                         size_t error_bytes)
{
    struct resume_reading *reading = context;
    struct sweep_run *s = reading->s;
    long c = tally_config_of(&s->tally, r->config);
    if (c < 0) { /* the headers agree: the file's does not list it either */
        snprintf(error, error_bytes, "a result of configuration '%s', which the header does "
                 "not list", r->config);
        return -1;
    }
    int added = seeds_set_add(&reading->t->done, (uint32_t)c, r->seed);
    if (added == 0) {
        snprintf(error, error_bytes, "seed %" PRIu64 " is there twice%s%s", r->seed,
                 r->config[0] ? " for " : "", r->config);
        return -1;
    }
    int rc = added < 0 ? -ENOMEM : tally_add(&s->tally, r, 0);
    if (rc == 0 && s->junit)
        rc = junit_add(s->junit, r, c);
    if (rc != 0) {
        snprintf(error, error_bytes, "%s", rc == -ENOMEM ? "out of memory"
                                                         : "cannot write the JUnit report");
        return -1;
    }
    reading->t->resumed[c] += seeds_contains(&s->seeds, r->seed);
    if (!reading->o->quiet && isatty(2) && s->tally.count % 65536 == 0)
        fprintf(stderr, "\rresume: %ld results read", s->tally.count);
    return 0;
}

/* With --resume: reads what the results file has (into the tally, the done set and
 * the JUnit report), checks that it was made with this sweep's settings, and drops a
 * last line cut off mid-write. Returns 0 (*fresh: the file has no header yet), or
 * EXIT_USAGE after printing the error. */
static int read_results(struct sweep_run *s, struct sweep_table *t,
                        const struct sweep_options *o, int *fresh)
{
    static struct resume_reading reading; /* large: the header */
    char error[700];
    int has_header = 0;
    long complete = 0;
    memset(&reading, 0, sizeof reading);
    reading.s = s, reading.t = t, reading.o = o;
    *fresh = 1;
    if (access(o->json_path, F_OK) != 0)
        return 0;
    struct sweep_reader reader = {check_header, resume_record, &reading};
    long count = sweep_read_results(o->json_path, &reading.file, &has_header, &reader,
                                    &complete, error, sizeof error);
    if (!o->quiet && isatty(2) && count >= 65536)
        fputc('\n', stderr);
    if (count < 0)
        return options_usage_error("%s", error);
    if (truncate(o->json_path, complete) != 0)
        return options_usage_error("cannot write '%s': %s", o->json_path, strerror(errno));
    *fresh = !has_header;
    return 0;
}

/* Opens the results file (appending) and, for a new one, writes its header. Returns 0
 * or EXIT_USAGE after printing the error. */
static int open_results_file(struct sweep_run *s, const struct sweep_table *t,
                             const struct sweep_options *o, int fresh)
{
    s->json_fd = open(o->json_path, O_WRONLY | O_APPEND | O_CREAT, 0666);
    if (s->json_fd < 0)
        return options_usage_error("cannot write '%s': %s", o->json_path, strerror(errno));
    struct stat st;
    if (fstat(s->json_fd, &st) != 0 || !S_ISREG(st.st_mode))
        s->json_bytes = 0; /* a pipe or a device: written, never cut back */
    else
        s->json_bytes = (long)st.st_size;
    int rc = fresh ? sweep_run_write_header(s, &t->header) : 0;
    if (rc != 0)
        return options_usage_error("cannot write '%s': %s", o->json_path, strerror(-rc));
    return 0;
}

/* Opens the JUnit report (a bad path is found before anything runs), reads what a
 * --resume continues, and opens the results file. Returns 0 or EXIT_USAGE after
 * printing the error (nothing is left open then). */
static int open_results(struct sweep_run *s, struct sweep_table *t,
                        const struct sweep_options *o, struct junit *junit)
{
    int fresh = 1, rc;
    if (o->resume && !o->json_path)
        return options_usage_error("--resume needs --json FILE");
    if (o->json_path && !o->resume && access(o->json_path, F_OK) == 0)
        return options_usage_error("'%s' exists: add --resume to continue it, or remove it",
                                   o->json_path);
    if (o->junit_path && (rc = junit_open(junit, o->junit_path, o->name)) != 0)
        return options_usage_error("cannot write '%s': %s", o->junit_path, strerror(-rc));
    s->junit = o->junit_path ? junit : NULL;
    s->json_path = o->json_path;
    if ((o->resume && read_results(s, t, o, &fresh) != 0) ||
        (o->json_path && open_results_file(s, t, o, fresh) != 0)) {
        if (s->json_fd >= 0)
            close(s->json_fd);
        s->json_fd = -1;
        if (s->junit)
            junit_discard(s->junit);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- many seeds ----------------------------------------------------------------------- */

/* Prints the sweep's first line: its seeds, configurations and jobs. */
static void print_header(const struct sweep_run *s, const struct plan *plan,
                         const struct sweep_options *o, long already, int variant_given)
{
    char shard_text[64] = "";
    if (s->seeds.shards > 1)
        snprintf(shard_text, sizeof shard_text, ", shard %" PRIu64 "/%" PRIu64, s->seeds.shard,
                 s->seeds.shards);
    printf("sweep %s: %ld seeds (%" PRIu64 "..%" PRIu64 "%s)", o->name, seeds_count(&s->seeds),
           s->seeds.first, s->seeds.last, shard_text);
    if (plan->configs > 1)
        printf(" x %ld configurations", plan->configs);
    printf(", %ld already done, %u job%s\n", already, s->jobs, s->jobs == 1 ? "" : "s");
    if (plan->variant_count == 1 && !plan->variants[0] && variant_given)
        printf("(%s has no variants: --variant all runs its default configuration)\n", o->name);
}

/* What the progress bar shows beside the counts: the configuration it is on, the
 * rate and the time left over the whole sweep. Wall-clock time, for the bar only:
 * no result depends on it. */
static struct {
    char config[SWEEP_LABEL_BYTES + 64]; /* "buggy (1/2): ", or "" for one configuration */
    long todo_after;                     /* seeds of the configurations still to come */
    long done_before;                    /* seeds done in the earlier configurations */
    double started_s;                    /* when this process started the first seed */
} bar;

static double monotonic_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* "ETA 1m05s" for seconds left, "ETA ?" before there is a rate. */
static void format_eta(double left_s, char *text, size_t bytes)
{
    if (left_s < 0)
        snprintf(text, bytes, "ETA ?");
    else if (left_s < 60)
        snprintf(text, bytes, "ETA %.0fs", left_s);
    else if (left_s < 360000)
        snprintf(text, bytes, "ETA %ldm%02lds", (long)left_s / 60, (long)left_s % 60);
    else
        snprintf(text, bytes, "ETA %ldh", (long)left_s / 3600);
}

static void progress(long done, long total, long failing)
{
    int width = 30, filled = total ? (int)(done * width / total) : width;
    double elapsed_s = monotonic_s() - bar.started_s;
    long all_done = bar.done_before + done;
    double rate = elapsed_s > 0 ? (double)all_done / elapsed_s : 0;
    char eta[32];
    format_eta(rate > 0 ? (double)(total - done + bar.todo_after) / rate : -1, eta, sizeof eta);
    /* \033[K: what a longer line before left is erased */
    fprintf(stderr, "\r[%.*s%*s] %s%ld/%ld seeds, %ld unexpected, %.0f seeds/s, %s\033[K", filled,
            "##############################", width - filled, "", bar.config, done, total,
            failing, rate, eta);
    if (done == total)
        fputc('\n', stderr);
}

/* Sets the bar up for configuration c of plan (label), before its seeds. */
static void progress_config(const struct plan *plan, long c, const char *label,
                            const struct sweep_run *s, const struct sweep_table *t)
{
    if (c == 0)
        bar.started_s = monotonic_s();
    else
        bar.done_before += seeds_count(&s->seeds) - t->resumed[c - 1];
    bar.todo_after = 0;
    for (long later = c + 1; later < plan->configs; later++)
        bar.todo_after += seeds_count(&s->seeds) - t->resumed[later];
    bar.config[0] = '\0';
    if (plan->configs > 1)
        snprintf(bar.config, sizeof bar.config, "%s (%ld/%ld): ", label[0] ? label : "default",
                 c + 1, plan->configs);
}

/* Runs every configuration of plan over the seeds, writing each failure group's
 * repro. Returns 0 or a negative error code, with the reason in s->error. */
static int run_configs(struct sweep_run *s, const struct plan *plan,
                       const struct config *defaults, const struct sweep_options *o,
                       struct sweep_table *t)
{
    int rc = 0;
    s->done = &t->done;
    for (long c = 0; c < plan->configs && rc == 0; c++) {
        apply_config(s, plan, c, defaults, o); /* checked by read_plan */
        s->config = c;
        t->declared_list[c] = sched_outcome_name(s->expect_given ? s->expect : s->plan.declared);
        t->any_declared |= s->plan.declared != SCHED_OUTCOME_PASS ||
                           (plan->variants[0] && !plan->list_count);
        long todo = seeds_count(&s->seeds) - t->resumed[c];
        progress_config(plan, c, s->plan.label, s, t);
        rc = sweep_run_seeds(s, todo, !o->quiet && isatty(2) ? progress : NULL);
        if (rc == 0 || rc == -EINTR)
            rc = write_repros(s) == -EINTR ? -EINTR : rc; /* what an interrupted one found */
    }
    return rc;
}

/* After an interruption: what was done, and the command that goes on from there. */
static void print_interrupted(const struct sweep_run *s, const struct sweep_options *o)
{
    printf("interrupted by signal %d after %ld results\n", isolate_caught(), s->tally.count);
    if (!o->json_path) {
        printf("(run it with --json FILE to be able to resume it)\n");
        return;
    }
    struct text command = {0};
    int has_resume = 0;
    text_printf(&command, "%s sweep", progname());
    for (int i = 0; i < o->argc; i++) {
        text_printf(&command, " ");
        report_shell_quote(o->argv[i], &command);
        has_resume |= strcmp(o->argv[i], "--resume") == 0;
    }
    printf("resume: %s%s\n", text_str(&command), has_resume ? "" : " --resume");
    text_free(&command);
}

/* Prints the configuration table, the summary and the verdict, and finishes the
 * JUnit report (after a clean run only). Returns the exit status. */
static int report_results(struct sweep_run *s, const struct plan *plan,
                          const struct sweep_options *o, struct sweep_table *t, int rc)
{
    long broken = 0;
    const char *const *declared = s->expect_given || !t->any_declared ? NULL : t->declared_list;
    if (plan->configs > 1 || plan->variants[0])
        broken = tally_config_table(stdout, &s->tally, declared, s->seeds.shards > 1, t->held);
    long unexpected = tally_summary(stdout, &s->tally, SWEEP_REPRO_DIR, "seeds");
    if (broken)
        printf("verdict: %ld of %ld configurations did not behave as declared\n", broken,
               plan->configs);
    if (rc == -EINTR)
        print_interrupted(s, o);
    int status = unexpected || broken || rc == -EINTR ? EXIT_UNEXPECTED : EXIT_EXPECTED;
    if (rc != 0 && rc != -EINTR) {
        fprintf(stderr, "detsim: %s\n", s->error);
        status = EXIT_INTERNAL;
    }
    if (s->repro_failed) /* said when it happened */
        status = EXIT_INTERNAL;
    if (s->junit && rc == 0) {
        int written = junit_finish(s->junit, &t->header, t->header.verdicts ? t->held : NULL);
        if (written != 0) {
            fprintf(stderr, "detsim: cannot write '%s': %s\n", o->junit_path, strerror(-written));
            status = EXIT_INTERNAL;
        }
    } else if (s->junit) {
        junit_discard(s->junit);
    }
    return status;
}

/* Closes the results file: fsync'ed, so that what the summary counts is on disk.
 * Returns 0, or -errno with the reason in s->error. */
static int close_results_file(struct sweep_run *s, const char *path)
{
    if (s->json_fd < 0)
        return 0;
    int rc = 0;
    struct stat st;
    if (fstat(s->json_fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(s->json_fd) != 0)
        rc = -errno;
    if (close(s->json_fd) != 0 && rc == 0)
        rc = -errno;
    s->json_fd = -1;
    if (rc != 0)
        snprintf(s->error, sizeof s->error, "cannot write '%s': %s", path, strerror(-rc));
    return rc;
}

/* The seeds of this shard under every configuration of plan, results and all.
 * Returns the exit status. */
static int sweep_seeds(struct sweep_run *s, const struct plan *plan,
                       const struct config *defaults, const struct sweep_options *o,
                       struct sweep_table *t, int variant_given)
{
    static struct junit junit;
    fill_header(s, plan, defaults, o, &t->header);
    tally_init(&s->tally, &t->header);
    if (open_results(s, t, o, &junit) != 0) {
        tally_free(&s->tally);
        seeds_set_free(&t->done);
        return EXIT_USAGE;
    }
    isolate_catch_signals();
    print_header(s, plan, o, s->tally.count, variant_given);
    int rc = run_configs(s, plan, defaults, o, t);
    int closed = close_results_file(s, o->json_path);
    if (rc == 0)
        rc = closed;
    int status = report_results(s, plan, o, t, rc);
    tally_free(&s->tally);
    seeds_set_free(&t->done);
    coro_pool_drain();
    return status;
}

int cli_sweep(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},  {"seeds", 1}, {"count", 1},  {"jobs", 1},   {"shard", 1},
        {"strategy", 1}, {"set", 1}, {"expect", 1}, {"json", 1}, {"resume", 0}, {"swarm", 0},
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
    /* large: the plan's configurations, the tally, the header */
    static struct sweep_run s;
    static struct plan plan;
    static struct config defaults;
    static struct sweep_options o;
    static struct sweep_table t;
    memset(&s, 0, sizeof s);
    plan_init(&plan);
    memset(&o, 0, sizeof o);
    memset(&t, 0, sizeof t);
    s.json_fd = -1;
    o.argc = argc;
    o.argv = argv;
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
    if (o.json_path || o.junit_path || o.resume || s.seeds.shards > 1)
        return options_usage_error("--fail-nth runs one seed: --json, --junit, --resume and "
                                   "--shard do not apply");
    if (plan.configs > 1)
        return options_usage_error("--fail-nth runs one configuration: no --variant all or "
                                   "--set lists");
    apply_config(&s, &plan, 0, &defaults, &o); /* checked by read_plan */
    s.plan.declared = SCHED_OUTCOME_PASS; /* every N is held to --expect (default pass) */
    s.plan.cause = NULL;
    isolate_catch_signals();
    return sweep_fail_nth(&s, &o, &t);
}
