/* sweep_run — the sweep engine; see sweep_run.h. */
#include "sweep_run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults/fail_nth.h"
#include "reports/isolate.h"
#include "reports/pool.h"
#include "reports/report.h"
#include "sim/repro.h"
#include "util/assert.h"
#include "util/outfile.h"

/* Fills r for seed of the running configuration, which ended with outcome and
 * report, and result's signature. */
static void fill_record(const struct sweep_run *s, struct sweep_record *r, uint64_t seed,
                        const char *outcome, const struct run_result *result)
{
    const char *report = text_str(&result->report);
    struct run_options run;
    struct fault_spec faults[FAULT_SPECS_MAX];
    sweep_run_options_for(s, seed, &run, faults);
    run_format_strategy(&run.strategy, r->strategy);
    size_t n = 0, m = 0;
    char swarm_args[1024] = "";
    r->swarm[0] = '\0';
    for (uint32_t i = s->run.fault_count; s->swarm && i < run.fault_count; i++) {
        n += (size_t)snprintf(r->swarm + n, n < sizeof r->swarm ? sizeof r->swarm - n : 0,
                              "%s%s", n ? " " : "", run.faults[i].text);
        m += (size_t)snprintf(swarm_args + m, m < sizeof swarm_args ? sizeof swarm_args - m : 0,
                              " --fault '%s'", run.faults[i].text);
    }
    char name[64];
    snprintf(r->scenario, sizeof r->scenario, "%s", scenario_name(s->run.scenario, name));
    r->seed = seed;
    snprintf(r->config, sizeof r->config, "%s", s->plan.label);
    snprintf(r->outcome, sizeof r->outcome, "%s", outcome);
    r->expected = strcmp(outcome, sched_outcome_name(s->expect)) == 0;
    r->reproduces = s->plan.declared != SCHED_OUTCOME_PASS &&
                    strcmp(outcome, sched_outcome_name(s->plan.declared)) == 0 &&
                    (!s->plan.cause || strstr(report, s->plan.cause));
    /* A buggy variant's passing seeds are not failures: not every seed hits a race. */
    if (!s->expect_given && s->plan.declared != SCHED_OUTCOME_PASS)
        r->expected = r->reproduces || strcmp(outcome, "pass") == 0;
    sweep_signature(r, result);
    /* The strategy the seed ran, whatever the sweep was given (random needs none). */
    char strategy[80] = "";
    if (run.strategy.kind != SCHED_RANDOM)
        snprintf(strategy, sizeof strategy, " --strategy %s", r->strategy);
    snprintf(r->replay, sizeof r->replay, "%s --seed %" PRIu64 "%s%s", s->plan.replay_prefix,
             seed, strategy, swarm_args);
}

void sweep_run_options_for(const struct sweep_run *s, uint64_t seed, struct run_options *run,
                           struct fault_spec faults[FAULT_SPECS_MAX])
{
    *run = s->run;
    run->seed = seed;
    if (s->swarm) {
        uint32_t given = s->run.fault_count;
        ASSERT(given <= FAULT_SPECS_MAX);
        if (given) /* no --fault given: faults may be NULL */
            memcpy(faults, s->run.faults, given * sizeof faults[0]);
        run->fault_count = given + fault_swarm_draw(seed, faults + given, FAULT_SPECS_MAX - given);
        run->faults = run->fault_count ? faults : NULL;
    }
    struct sched_strategy *st = &run->strategy;
    if (st->kind == SCHED_PORTFOLIO || st->pct_steps == 0) {
        uint64_t steps = st->pct_steps ? st->pct_steps : s->probe_steps;
        run_strategy_for_seed(&s->run.strategy, seed, steps, st);
    }
}

/* Measures the running configuration's length, as run_strategy_resolve does (the
 * longest of the probe runs), in children, when its strategy needs it. Returns 0, or -errno with s->error set. */
static int probe(struct sweep_run *s)
{
    const struct sched_strategy *st = &s->run.strategy;
    if (s->run.backend == RUN_BACKEND_LINUX || st->pct_steps ||
        (st->kind != SCHED_PORTFOLIO && st->kind != SCHED_PCT && st->kind != SCHED_DELAY &&
         st->kind != SCHED_PREEMPT))
        return 0;
    struct run_options run = s->run;
    run.strategy = SCHED_STRATEGY_DEFAULT;
    s->probe_steps = 1;
    for (run.seed = 0; run.seed < RUN_PROBE_SEEDS; run.seed++) {
        struct run_result result;
        struct isolate_loss loss;
        int rc = isolate_run(&run, s->time_limit_s, NULL, NULL, &result, NULL, &loss);
        if (rc == 0 && result.steps > s->probe_steps)
            s->probe_steps = result.steps;
        run_result_free(&result);
        if (rc == -EINTR) {
            snprintf(s->error, sizeof s->error, "interrupted by signal %d", isolate_caught());
            return rc;
        }
    }
    return 0; /* a probe that failed counts for nothing */
}

/* Fills r from seed's result. */
static void record_result(const struct sweep_run *s, uint64_t seed,
                          const struct run_result *result, struct sweep_record *r)
{
    fill_record(s, r, seed, sched_outcome_name(result->outcome), result);
    r->steps = result->steps;
    r->vtime_ns = result->vtime_ns;
    r->hash = result->hash;
    memcpy(r->fired, result->fault_fires, sizeof r->fired);
}

/* Appends one line that write_line formats (into a buffer first, so that a line
 * goes out whole, in one write when the system allows) to the results file. Returns
 * 0, or -errno after cutting the file back to its last complete line. */
static int append_line(struct sweep_run *s, void (*write_line)(FILE *, const void *),
                       const void *data)
{
    static char line[16384];
    FILE *buffer = fmemopen(line, sizeof line, "w");
    if (!buffer)
        return -errno;
    write_line(buffer, data);
    long length = ftell(buffer);
    int full = ferror(buffer) || length <= 0 || (size_t)length >= sizeof line - 1;
    fclose(buffer);
    if (full)
        return -EOVERFLOW;
    for (long written = 0; written < length;) {
        ssize_t n = write(s->json_fd, line + written, (size_t)(length - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int rc = n < 0 ? -errno : -EIO;
            if (ftruncate(s->json_fd, s->json_bytes) != 0)
                (void)0; /* the reader drops a last line without its newline anyway */
            return rc;
        }
        written += n;
    }
    s->json_bytes += length;
    return 0;
}

static void write_record(FILE *out, const void *record)
{
    sweep_write_json(out, record);
}

static void write_header(FILE *out, const void *header)
{
    sweep_write_header(out, header);
}

int sweep_run_write_header(struct sweep_run *s, const struct sweep_header *header)
{
    int rc = append_line(s, write_header, header);
    if (rc != 0)
        snprintf(s->error, sizeof s->error, "cannot write '%s': %s", s->json_path,
                 strerror(-rc));
    return rc;
}

int sweep_run_add(struct sweep_run *s, const struct sweep_record *r, int want_repro)
{
    int rc = s->json_fd >= 0 ? append_line(s, write_record, r) : 0;
    if (rc != 0) {
        snprintf(s->error, sizeof s->error, "cannot write '%s': %s", s->json_path,
                 strerror(-rc));
        return rc;
    }
    rc = tally_add(&s->tally, r, want_repro);
    ASSERT(rc != -EINVAL); /* a configuration the sweep runs */
    if (rc != 0) {
        snprintf(s->error, sizeof s->error, "internal error: out of memory for the results");
        return rc;
    }
    if (s->junit && (rc = junit_add(s->junit, r, s->config)) != 0)
        snprintf(s->error, sizeof s->error, "cannot write the JUnit report: %s", strerror(-rc));
    return rc;
}

/* ---- the seeds in workers ------------------------------------------------------------ */

static int pool_seed_at(void *context, long index, uint64_t *seed)
{
    const struct sweep_run *s = context;
    *seed = seeds_at(&s->seeds, index);
    return !s->done || !seeds_set_has(s->done, (uint32_t)s->config, *seed);
}

/* In a worker: runs seed there and then. Returns 0, or -ENOMEM. */
static int pool_run_seed(void *context, uint64_t seed, struct sweep_record *record)
{
    const struct sweep_run *s = context;
    struct run_options run;
    struct fault_spec faults[FAULT_SPECS_MAX];
    sweep_run_options_for(s, seed, &run, faults);
    struct run_result result;
    int rc = run_scenario(&run, &result);
    if (rc == 0)
        record_result(s, seed, &result, record);
    run_result_free(&result);
    return rc;
}

static int pool_add(void *context, const struct sweep_record *record)
{
    return sweep_run_add(context, record, 1);
}

/* The worker died (or ran past its limit) during seed. */
static int pool_lose(void *context, uint64_t seed, const struct pool_loss *loss)
{
    struct sweep_run *s = context;
    char report[160];
    if (loss->kind == POOL_LOSS_TIMEOUT)
        snprintf(report, sizeof report, "TIMEOUT: the seed ran past %.0f s of wall-clock time",
                 s->time_limit_s);
    else if (WIFSIGNALED(loss->status))
        snprintf(report, sizeof report, "CRASH: the worker died of signal %d (%s)",
                 WTERMSIG(loss->status), strsignal(WTERMSIG(loss->status)));
    else
        snprintf(report, sizeof report, "CRASH: the worker exited with status %d (scenario "
                 "code called exit()?)", WIFEXITED(loss->status) ? WEXITSTATUS(loss->status) : -1);
    const char *outcome = loss->kind == POOL_LOSS_TIMEOUT ? "timeout" : "crash";
    struct run_result lost = {0};
    text_printf(&lost.report, "%s", report);
    (void)run_signature_from_report(&lost, outcome); /* short of memory: the outcome's */
    struct sweep_record r = {0};
    fill_record(s, &r, seed, outcome, &lost);
    run_result_free(&lost);
    return sweep_run_add(s, &r, 1);
}

int sweep_run_seeds(struct sweep_run *s, long todo,
                    void (*progress)(long done, long todo, long failing))
{
    struct pool pool = {s->jobs, s->time_limit_s, seeds_count(&s->seeds), pool_seed_at,
                        pool_run_seed, pool_add, pool_lose, progress, todo, s};
    s->error[0] = '\0';
    int rc = probe(s);
    if (rc != 0)
        return rc;
    rc = pool_run(&pool);
    if (rc == -EINTR)
        snprintf(s->error, sizeof s->error, "interrupted by signal %d", isolate_caught());
    else if (rc == -ENOMEM && !s->error[0])
        snprintf(s->error, sizeof s->error, "internal error: a worker ran out of memory");
    else if (rc != 0 && !s->error[0])
        snprintf(s->error, sizeof s->error, "cannot start a worker process: %s", strerror(-rc));
    return rc;
}

int sweep_run_one(struct sweep_run *s, uint64_t seed, struct sweep_record *record,
                  struct fail_nth_run *nth)
{
    if (s->probe_steps == 0 && probe(s) != 0)
        return -EINTR;
    struct run_options run;
    struct fault_spec faults[FAULT_SPECS_MAX];
    sweep_run_options_for(s, seed, &run, faults);
    struct run_result result;
    struct isolate_loss loss;
    ASSERT(run.fault_count > 0);
    *nth = (struct fail_nth_run){0, 0, 0};
    int rc = isolate_run(&run, s->time_limit_s, NULL, NULL, &result, NULL, &loss);
    if (rc == 0) {
        record_result(s, seed, &result, record);
        nth->hits = result.fault_hits[run.fault_count - 1];
        nth->cut_short = loss.kind != ISOLATE_NONE;
        nth->fired = loss.faults_fired > 0;
    } else if (rc == -EINTR) {
        snprintf(s->error, sizeof s->error, "interrupted by signal %d", isolate_caught());
    } else {
        snprintf(s->error, sizeof s->error, "cannot run seed %" PRIu64 " in a child process: "
                 "%s", seed, strerror(-rc));
    }
    run_result_free(&result);
    return rc;
}

/* ---- repro files ---------------------------------------------------------------------- */

/* What the rerun of a group's seed writes in the child beside its result: the page
 * (status[0]). */
struct rerun {
    const struct sweep_run *s;
    const char *repro_path;
};

static int rerun_work(void *context, const struct run_options *options,
                      struct run_result *result, int status[ISOLATE_STATUS_MAX])
{
    const struct rerun *r = context;
    char error[8];
    if (r->s->report)
        status[0] = report_page_beside_repro(options, options->seed, r->repro_path, error,
                                             sizeof error);
    return run_scenario(options, result);
}

/* Writes the repro of group g at path (unless it is there) and, with s->report, its
 * page. Returns 0, or -errno with s->error set. */
static int write_group_repro(struct sweep_run *s, const struct tally_group *g, const char *path)
{
    int need_repro = access(path, F_OK) != 0;
    struct run_options run;
    struct fault_spec faults[FAULT_SPECS_MAX];
    sweep_run_options_for(s, g->first.seed, &run, faults);
    run.record_choices = 1;
    struct run_result result = {0};
    struct isolate_loss loss;
    int status[ISOLATE_STATUS_MAX] = {0};
    struct rerun rerun = {s, path};
    int rc = 0;
    int lost = strcmp(g->first.outcome, "crash") == 0 || strcmp(g->first.outcome, "timeout") == 0;
    if (lost) { /* from the seed: replaying it crashes (or runs late) again */
        result.outcome = (enum sched_outcome)sched_outcome_parse(g->first.outcome);
        text_printf(&result.report, "%s\n", g->first.signature_text);
        result.signature = g->first.signature;
        snprintf(result.signature_text, sizeof result.signature_text, "%s",
                 g->first.signature_text);
    } else {
        rc = isolate_run(&run, s->time_limit_s, rerun_work, &rerun, &result, status, &loss);
    }
    if (rc == 0 && need_repro)
        rc = repro_write(path, &run, &result, s->error, sizeof s->error);
    else if (rc != 0)
        snprintf(s->error, sizeof s->error, "cannot rerun seed %" PRIu64 " for its repro file: "
                 "%s", run.seed, strerror(-rc));
    if (rc == 0 && status[0] != 0) {
        rc = status[0];
        snprintf(s->error, sizeof s->error, "cannot write the report page beside '%s': %s",
                 path, strerror(-rc));
    }
    run_result_free(&result);
    return rc;
}

int sweep_run_write_repros(struct sweep_run *s)
{
    for (long i = 0; i < s->tally.group_count && !s->repro_failed; i++) {
        struct tally_group *g = &s->tally.groups[i];
        if (!g->repro_pending)
            continue;
        ASSERT(g->config == s->config); /* written after each configuration's seeds */
        g->repro_pending = 0;
        char path[OUTFILE_PATH_MAX], page[OUTFILE_PATH_MAX];
        sweep_repro_path(path, sizeof path, SWEEP_REPRO_DIR, &g->first);
        int lost = strcmp(g->first.outcome, "crash") == 0 ||
                   strcmp(g->first.outcome, "timeout") == 0;
        int need_page = s->report && !lost && report_page_path(path, page, sizeof page) == 0 &&
                        access(page, F_OK) != 0;
        if (access(path, F_OK) == 0 && !need_page)
            continue; /* written (perhaps by an earlier sweep) */
        int rc = outfile_make_parents(path);
        if (rc != 0)
            snprintf(s->error, sizeof s->error, "cannot write repro files in %s: %s",
                     SWEEP_REPRO_DIR, strerror(-rc));
        else
            rc = write_group_repro(s, g, path);
        if (rc == -EINTR)
            return rc;
        if (rc != 0) {
            s->repro_failed = 1;
            return rc;
        }
    }
    return 0;
}
