/* sweep_run — the sweep engine; see sweep_run.h. */
#include "sweep_run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/pool.h"
#include "reports/report.h"
#include "sim/repro.h"

/* Fills r for seed of the running configuration, which ended with outcome and
 * report. */
static void fill_record(const struct sweep_run *s, struct sweep_record *r, uint64_t seed,
                        const char *outcome, const char *report)
{
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
    sweep_signature(r, outcome, report);
    snprintf(r->replay, sizeof r->replay, "%s --seed %" PRIu64, s->plan.replay_prefix, seed);
}

/* Runs seed and fills r and, when hits is not NULL, the hits the last fault spec
 * counted. Returns 0, or -ENOMEM when the run could not be set up. */
static int run_seed_record(const struct sweep_run *s, uint64_t seed, struct sweep_record *r,
                           uint64_t *hits)
{
    struct run_options run = s->run;
    run.seed = seed;
    struct run_result result;
    if (run_scenario(&run, &result) != 0)
        return -ENOMEM;
    fill_record(s, r, seed, sched_outcome_name(result.outcome), text_str(&result.report));
    r->steps = result.steps;
    r->vtime_ns = result.vtime_ns;
    r->hash = result.hash;
    memcpy(r->fired, result.fault_fires, sizeof r->fired);
    if (hits)
        *hits = result.fault_hits[run.fault_count - 1];
    run_result_free(&result);
    return 0;
}

int sweep_run_add(struct sweep_run *s, const struct sweep_record *r)
{
    if ((size_t)s->count == s->capacity) {
        size_t capacity = s->capacity ? s->capacity * 2 : 256;
        struct sweep_record *grown = realloc(s->records, capacity * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        s->records = grown;
        s->capacity = capacity;
    }
    s->records[s->count++] = *r;
    if (s->json) {
        sweep_write_json(s->json, r);
        fflush(s->json); /* an interrupted sweep loses nothing */
    }
    return 0;
}

/* The pool's callbacks, with the sweep as their context. */

static int pool_run_seed(void *context, uint64_t seed, struct sweep_record *record)
{
    return run_seed_record(context, seed, record, NULL);
}

static void pool_add(void *context, const struct sweep_record *record)
{
    sweep_run_add(context, record); /* out of memory: the record is lost, the sweep goes on */
}

/* The worker died (or was killed for running late) during seed. */
static void pool_lose(void *context, uint64_t seed, const struct pool_loss *loss)
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
        snprintf(report, sizeof report, "CRASH: the worker exited with status %d",
                 WIFEXITED(loss->status) ? WEXITSTATUS(loss->status) : -1);
    struct sweep_record r = {0};
    fill_record(s, &r, seed, loss->kind == POOL_LOSS_TIMEOUT ? "timeout" : "crash", report);
    sweep_run_add(s, &r);
}

int sweep_run_seeds(struct sweep_run *s, const uint64_t *seeds, long count,
                    void (*progress)(long done, long total, long failing))
{
    struct pool pool = {s->jobs, s->time_limit_s, pool_run_seed, pool_add, pool_lose,
                        progress, s};
    return pool_run(&pool, seeds, count);
}

/* What sweep_run_one's worker sends back. */
struct one_message {
    struct sweep_record record;
    uint64_t hits;
};

struct one_context {
    const struct sweep_run *s;
    uint64_t seed;
};

static int run_one_seed(void *context, void *message)
{
    const struct one_context *c = context;
    struct one_message *m = message;
    return run_seed_record(c->s, c->seed, &m->record, &m->hits);
}

void sweep_run_one(struct sweep_run *s, uint64_t seed, struct sweep_record *record,
                   uint64_t *hits)
{
    struct one_message message = {{{0}}, 0};
    struct one_context context = {s, seed};
    struct pool_loss loss;
    *hits = 0;
    if (pool_run_one(s->time_limit_s, run_one_seed, &context, &message, sizeof message,
                     &loss) == 0) {
        *record = message.record;
        *hits = message.hits;
        return;
    }
    char report[160];
    if (loss.kind == POOL_LOSS_NO_PIPE)
        snprintf(report, sizeof report, "CRASH: no pipe for the worker");
    else if (loss.kind == POOL_LOSS_TIMEOUT)
        snprintf(report, sizeof report, "TIMEOUT: the run went past %.0f s of wall-clock time",
                 s->time_limit_s);
    else if (loss.kind == POOL_LOSS_DIED && WIFSIGNALED(loss.status))
        snprintf(report, sizeof report, "CRASH: the worker died of signal %d (%s)",
                 WTERMSIG(loss.status), strsignal(WTERMSIG(loss.status)));
    else
        snprintf(report, sizeof report, "CRASH: the worker failed");
    fill_record(s, record, seed, loss.kind == POOL_LOSS_TIMEOUT ? "timeout" : "crash", report);
}

int sweep_run_write_repro(const struct sweep_run *s, const struct sweep_record *r, char *error,
                          size_t error_bytes)
{
    if ((r->expected && !r->reproduces) || strcmp(r->outcome, "crash") == 0 ||
        strcmp(r->outcome, "timeout") == 0)
        return 0;
    char path[400];
    sweep_repro_path(path, sizeof path, SWEEP_REPRO_DIR, r);
    if (s->report)
        report_page_beside_repro(&s->run, r->seed, path);
    if (access(path, F_OK) == 0)
        return 0; /* this group's repro is written (perhaps by an earlier sweep) */
    struct run_options run = s->run;
    run.seed = r->seed;
    run.record_choices = 1;
    struct run_result result;
    int rc = 0;
    if (run_scenario(&run, &result) == 0) {
        /* mkdir -p: an existing directory is fine, anything else shows below */
        mkdir("reports", 0777);
        mkdir("reports/out", 0777);
        mkdir(SWEEP_REPRO_DIR, 0777);
        rc = repro_write(path, &run, &result, error, error_bytes);
    }
    run_result_free(&result);
    return rc;
}
