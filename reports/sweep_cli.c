/* sweep_cli — `detsim sweep` and `detsim merge`.
 *
 * Each seed runs in its own forked worker, --jobs at a time, so a seed that crashes
 * the C code, aborts or runs past its wall-clock limit is recorded (crash, timeout)
 * and the sweep goes on. Results stream to the --json file as each seed finishes.
 * Wall-clock time is read here, for time limits and the progress bar only: it never
 * reaches a run. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/world.h"
#include "sim/coro.h"
#include "cli/options.h"
#include "report.h"
#include "sim/repro.h"
#include "sweep.h"

#define REPRO_DIR "reports/out/repro"

static const char sweep_help[] =
    "usage: detsim sweep SCENARIO [options]\n"
    "\n"
    "Runs many seeds of SCENARIO in forked workers and groups the failures by\n"
    "signature (outcome plus a fingerprint of the report), with a command that replays\n"
    "each group's first seed and a repro file under " REPRO_DIR "/.\n"
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

static const char merge_help[] =
    "usage: detsim merge FILE...\n"
    "\n"
    "Combines the --json results of several sweeps (the shards of one sweep, say) into\n"
    "one summary. Exit 1 when any seed did not have its expected outcome.\n";

/* A worker runs seeds[first], seeds[first + stride], ... in turn and sends each
 * result back; the seed it is on is always the one after its last result, so a
 * crash or a timeout is pinned on the right seed. */
struct worker_message {
    long index;
    struct sweep_record record;
};

#define WORKER_BATCH 16 /* messages read per wake-up, at most */

struct worker {
    pid_t pid;
    int fd;
    long current;   /* index of the seed it is running */
    double started; /* when the worker last reported */
    int careful;     /* reports every result at once (after a failure in its share) */
    size_t buffered; /* bytes of a message read so far */
    struct worker_message inbox[WORKER_BATCH];
};

struct sweep {
    struct run_options run;
    struct fault_spec faults[FAULT_SPECS_MAX + 1]; /* --fault, and the fail-nth spec */
    enum sched_outcome expect;
    int expect_given;        /* --expect: every config is held to it */
    enum sched_outcome declared; /* the running config's variant's declared outcome */
    const char *cause;       /* and the text its report must contain (may be NULL) */
    char label[96];          /* the running config's label, "" for none */
    char replay_prefix[480]; /* "detsim run SCENARIO [--strategy S] [--set ...]" */
    double time_limit;
    unsigned jobs;
    int report; /* --report: a page beside each group's repro */
    FILE *json;
    struct sweep_record *records;
    size_t capacity;
    long count;
};

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fill_record(struct sweep *s, struct sweep_record *r, uint64_t seed,
                        const char *outcome, const char *report)
{
    char name[64];
    snprintf(r->scenario, sizeof r->scenario, "%s", scenario_name(s->run.scenario, name));
    r->seed = seed;
    snprintf(r->config, sizeof r->config, "%s", s->label);
    snprintf(r->outcome, sizeof r->outcome, "%s", outcome);
    r->expected = strcmp(outcome, sched_outcome_name(s->expect)) == 0;
    r->reproduces = s->declared != SCHED_OUTCOME_PASS &&
                    strcmp(outcome, sched_outcome_name(s->declared)) == 0 &&
                    (!s->cause || strstr(report, s->cause));
    /* A buggy variant's passing seeds are not failures: not every seed hits a race. */
    if (!s->expect_given && s->declared != SCHED_OUTCOME_PASS)
        r->expected = r->reproduces || strcmp(outcome, "pass") == 0;
    sweep_signature(r, outcome, report);
    snprintf(r->replay, sizeof r->replay, "%s --seed %" PRIu64, s->replay_prefix, seed);
}

/* In the worker: its share of the seeds, run and sent back in batches (one write
 * per WORKER_BATCH results, so the parent is not woken for every short seed). A
 * careful worker, started after a crash or a timeout, sends each result at once, so
 * that the next failure is pinned on its exact seed. */
static void worker_main(struct sweep *s, const uint64_t *seeds, long n, long first, long stride,
                        int fd, int careful)
{
    static struct worker_message batch[WORKER_BATCH];
    size_t pending = 0;
    for (long i = first; i < n; i += stride) {
        struct worker_message *out = &batch[pending];
        struct worker_message m = {i, {{0}}};
        struct run_options run = s->run;
        run.seed = seeds[i];
        struct run_result result;
        if (run_scenario(&run, &result) != 0)
            _exit(3);
        fill_record(s, &m.record, seeds[i], sched_outcome_name(result.outcome),
                    text_str(&result.report));
        m.record.steps = result.steps;
        m.record.vtime_ns = result.vtime_ns;
        m.record.hash = result.hash;
        memcpy(m.record.fired, result.fault_fires, sizeof m.record.fired);
        run_result_free(&result);
        *out = m;
        pending++;
        if (careful || pending == WORKER_BATCH || i + stride >= n) {
            ssize_t bytes = (ssize_t)(pending * sizeof batch[0]);
            if (write(fd, batch, (size_t)bytes) != bytes)
                _exit(3);
            pending = 0;
        }
    }
    _exit(0);
}

static int add_record(struct sweep *s, const struct sweep_record *r)
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

/* The worker died (or was killed for running late) during its current seed. */
static void record_failure(struct sweep *s, const uint64_t *seeds, struct worker *w, int timed_out,
                           int status)
{
    char report[160];
    if (timed_out)
        snprintf(report, sizeof report, "TIMEOUT: the seed ran past %.0f s of wall-clock time",
                 s->time_limit);
    else if (WIFSIGNALED(status))
        snprintf(report, sizeof report, "CRASH: the worker died of signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(report, sizeof report, "CRASH: the worker exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    struct sweep_record r = {0};
    fill_record(s, &r, seeds[w->current], timed_out ? "timeout" : "crash", report);
    add_record(s, &r);
}

static void progress(long done, long total, long failing)
{
    int width = 30, filled = total ? (int)(done * width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld seeds, %ld unexpected", filled,
            "##############################", width - filled, "", done, total, failing);
    if (done == total)
        fputc('\n', stderr);
}

static int start_worker(struct sweep *s, const uint64_t *seeds, long n, struct worker *w,
                        long first, long stride, int careful)
{
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return -errno;
    fflush(NULL); /* nothing buffered is written twice by a worker */
    pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        worker_main(s, seeds, n, first, stride, pipe_fds[1], careful);
    }
    close(pipe_fds[1]);
    if (pid < 0) {
        close(pipe_fds[0]);
        return -errno;
    }
    w->pid = pid;
    w->fd = pipe_fds[0];
    w->current = first;
    w->started = wall_seconds();
    w->careful = careful;
    w->buffered = 0;
    return 0;
}

static int run_seeds(struct sweep *s, const uint64_t *seeds, long n, int show_progress)
{
    long stride = (long)s->jobs < n ? (long)s->jobs : n;
    struct worker *workers = calloc((size_t)stride + 1, sizeof *workers);
    struct pollfd *fds = calloc((size_t)stride + 1, sizeof *fds);
    int rc = workers && fds ? 0 : -ENOMEM;
    long active = 0, done = 0, failing = 0;
    for (long j = 0; j < stride && rc == 0; j++)
        if ((rc = start_worker(s, seeds, n, &workers[active], j, stride, 0)) == 0)
            active++;
    while (active > 0 && rc == 0) {
        for (long i = 0; i < active; i++)
            fds[i] = (struct pollfd){workers[i].fd, POLLIN, 0};
        poll(fds, (nfds_t)active, 100);
        double now = wall_seconds();
        for (long i = 0; i < active;) {
            struct worker *w = &workers[i];
            int late = now - w->started > s->time_limit;
            if (!fds[i].revents && !late) {
                i++;
                continue;
            }
            /* Every whole message waiting, in one read: seeds can be short. */
            ssize_t got = late ? 0
                               : read(w->fd, (char *)w->inbox + w->buffered,
                                      sizeof w->inbox - w->buffered);
            if (got > 0) {
                size_t bytes = w->buffered + (size_t)got, whole = bytes / sizeof w->inbox[0];
                for (size_t k = 0; k < whole; k++) {
                    add_record(s, &w->inbox[k].record);
                    done++;
                    failing += !w->inbox[k].record.expected;
                    w->current = w->inbox[k].index + stride;
                }
                w->buffered = bytes - whole * sizeof w->inbox[0];
                memmove(w->inbox, (char *)w->inbox + whole * sizeof w->inbox[0], w->buffered);
                w->started = wall_seconds();
                if (show_progress && whole)
                    progress(done, n, failing);
                i++;
                continue;
            }
            /* The worker is finished, dead, or late: collect it. */
            if (late)
                kill(w->pid, SIGKILL);
            int status = 0;
            waitpid(w->pid, &status, 0);
            close(w->fd);
            long resume_at = -1;
            if (w->current < n && !w->careful) {
                /* It died or ran late somewhere in a batch: a careful worker runs the
                 * unreported seeds again, one report each, to find which. */
                resume_at = w->current;
            } else if (w->current < n) { /* it died, or ran late, on its current seed */
                record_failure(s, seeds, w, late, status);
                done++;
                failing++;
                resume_at = w->current + stride;
                if (show_progress)
                    progress(done, n, failing);
            }
            if (resume_at >= 0 && resume_at < n) {
                /* a fresh worker takes over the rest of this one's share */
                if ((rc = start_worker(s, seeds, n, w, resume_at, stride, 1)) != 0)
                    break;
                fds[i] = (struct pollfd){w->fd, POLLIN, 0};
                i++;
                continue;
            }
            workers[i] = workers[--active];
            fds[i] = fds[active];
        }
    }
    for (long i = 0; i < active; i++) { /* only after an error */
        kill(workers[i].pid, SIGKILL);
        waitpid(workers[i].pid, NULL, 0);
        close(workers[i].fd);
    }
    free(workers);
    free(fds);
    return rc;
}

/* Reruns record's seed in this process, recording choices, for its group's repro
 * (once per signature). s->run must be what the record ran with. */
static void write_repro(struct sweep *s, const struct sweep_record *r)
{
    if ((r->expected && !r->reproduces) || strcmp(r->outcome, "crash") == 0 || strcmp(r->outcome, "timeout") == 0)
        return;
    char path[400];
    sweep_repro_path(path, sizeof path, REPRO_DIR, r);
    if (s->report)
        report_page_beside_repro(&s->run, r->seed, path);
    if (access(path, F_OK) == 0)
        return; /* this group's repro is written (perhaps by an earlier sweep) */
    struct run_options run = s->run;
    run.seed = r->seed;
    run.record_choices = 1;
    struct run_result result;
    char error[300];
    if (run_scenario(&run, &result) == 0) {
        /* mkdir -p: an existing directory is fine, anything else shows below */
        mkdir("reports", 0777);
        mkdir("reports/out", 0777);
        mkdir(REPRO_DIR, 0777);
        if (repro_write(path, &run, &result, error, sizeof error) != 0)
            fprintf(stderr, "detsim: %s\n", error);
    }
    run_result_free(&result);
}

/* The repros of the records from first on (those of the configuration in s->run). */
static void write_repros(struct sweep *s, long first)
{
    for (long i = first; i < s->count; i++)
        write_repro(s, &s->records[i]);
}

static void write_xml_text(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*text, out);
        }
    }
}

/* JUnit: one testcase per seed and, when configurations are declared, one per
 * configuration for its verdict (a buggy variant that did not reproduce fails). */
static int write_junit(const char *path, const struct sweep *s, const char *const *labels,
                       const char *const *declared, const int *held, long configs)
{
    char tmp_path[4096];
    FILE *out = repro_open_temporary(path, tmp_path, sizeof tmp_path);
    if (!out)
        return -errno;
    long failures = 0, verdicts = declared ? configs : 0;
    for (long i = 0; i < s->count; i++)
        failures += !s->records[i].expected;
    for (long c = 0; c < verdicts; c++)
        failures += !held[c];
    char name[64];
    scenario_name(s->run.scenario, name);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuite name=\"detsim.%s\" tests=\"%ld\" failures=\"%ld\">\n", name,
            s->count + verdicts, failures);
    for (long c = 0; c < verdicts; c++) {
        fprintf(out, "  <testcase classname=\"detsim.%s\" name=\"", name);
        write_xml_text(out, labels[c][0] ? labels[c] : "(default)");
        fprintf(out, " behaves as declared (%s)\"", declared[c]);
        if (held[c]) {
            fputs("/>\n", out);
            continue;
        }
        fprintf(out, ">\n    <failure message=\"declared %s\" type=\"verdict\">", declared[c]);
        write_xml_text(out, strcmp(declared[c], "pass") == 0
                                ? "a fixed configuration failed some seeds"
                                : "the declared failure did not reproduce");
        fputs("</failure>\n  </testcase>\n", out);
    }
    for (long i = 0; i < s->count; i++) {
        const struct sweep_record *r = &s->records[i];
        fprintf(out, "  <testcase classname=\"detsim.%s\" name=\"", name);
        if (r->config[0]) {
            write_xml_text(out, r->config);
            fputc(' ', out);
        }
        fprintf(out, "seed %" PRIu64 "\"", r->seed);
        if (r->expected) {
            fprintf(out, "/>\n");
            continue;
        }
        fprintf(out, ">\n    <failure message=\"%s\" type=\"%s\">", r->outcome, r->outcome);
        write_xml_text(out, r->signature_text);
        fputs("\nreplay: ", out);
        write_xml_text(out, r->replay);
        fputs("</failure>\n  </testcase>\n", out);
    }
    fprintf(out, "</testsuite>\n");
    return repro_commit_temporary(out, tmp_path, path);
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

int sweep_command(int argc, char **argv);
int merge_command(int argc, char **argv);

/* One run in a forked worker, so that a crash or a hang of the C code is a result.
 * Fills record and the hits the fail-nth spec (the last one) counted. */
static void run_isolated(struct sweep *s, uint64_t seed, struct sweep_record *record,
                         uint64_t *hits)
{
    struct { struct sweep_record record; uint64_t hits; } message = {{{0}}, 0};
    int fds[2];
    *hits = 0;
    if (pipe(fds) != 0) {
        fill_record(s, record, seed, "crash", "CRASH: no pipe for the worker");
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct run_options run = s->run;
        run.seed = seed;
        struct run_result result;
        if (run_scenario(&run, &result) != 0)
            _exit(3);
        fill_record(s, &message.record, seed, sched_outcome_name(result.outcome),
                    text_str(&result.report));
        message.record.steps = result.steps;
        message.record.vtime_ns = result.vtime_ns;
        message.record.hash = result.hash;
        memcpy(message.record.fired, result.fault_fires, sizeof message.record.fired);
        message.hits = result.fault_hits[run.fault_count - 1];
        _exit(write(fds[1], &message, sizeof message) == (ssize_t)sizeof message ? 0 : 3);
    }
    close(fds[1]);
    struct pollfd waiting = {fds[0], POLLIN, 0};
    int ready = pid > 0 ? poll(&waiting, 1, (int)(s->time_limit * 1000)) : 0;
    ssize_t got = ready > 0 ? read(fds[0], &message, sizeof message) : 0;
    if (pid > 0 && ready <= 0)
        kill(pid, SIGKILL);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    close(fds[0]);
    if (got == (ssize_t)sizeof message) {
        *record = message.record;
        *hits = message.hits;
        return;
    }
    char report[160];
    if (pid > 0 && ready <= 0)
        snprintf(report, sizeof report, "TIMEOUT: the run went past %.0f s of wall-clock time",
                 s->time_limit);
    else if (pid > 0 && WIFSIGNALED(status))
        snprintf(report, sizeof report, "CRASH: the worker died of signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(report, sizeof report, "CRASH: the worker failed");
    fill_record(s, record, seed, pid > 0 && ready <= 0 ? "timeout" : "crash", report);
}

/* SQLite's malloc loop: the Nth hit of point fails (every hit from the Nth on when
 * persistent), for N = 1, 2, ... until a run never reaches the Nth hit. */
static int fail_nth_loop(struct sweep *s, const char *point, int persistent, uint64_t seed,
                         const char *name)
{
    char reason[256], spec_text[FAULT_SPEC_TEXT_MAX + 32];
    struct fault_spec *spec = &s->faults[s->run.fault_count];
    if (fault_spec_parse(point, spec, reason, sizeof reason) != 0)
        return options_usage_error("bad --fail-nth '%s': %s", point, reason);
    if (strchr(point, ':') || spec->is_slots)
        return options_usage_error("bad --fail-nth '%s': expected a failpoint name or pattern "
                                   "(see 'detsim faults'), without parameters",
                                   point);
    s->run.faults = s->faults;
    s->run.fault_count++;
    size_t prefix_length = strlen(s->replay_prefix);
    printf("fail-nth %s: %s, %s, seed %" PRIu64 "\n", name, point,
           persistent ? "persistent (every hit from N on)" : "transient (the Nth hit only)", seed);
    long unexpected = 0;
    for (uint64_t n = 1;; n++) {
        snprintf(spec_text, sizeof spec_text, "%s:%s=%" PRIu64, point, persistent ? "from" : "nth",
                 n);
        if (fault_spec_parse(spec_text, spec, reason, sizeof reason) != 0)
            return options_usage_error("bad --fail-nth '%s': %s", point, reason);
        snprintf(s->replay_prefix + prefix_length, sizeof s->replay_prefix - prefix_length,
                 " --fault '%s'", spec_text);
        struct sweep_record record = {0};
        uint64_t hits = 0;
        run_isolated(s, seed, &record, &hits);
        int reached = hits >= n || strcmp(record.outcome, "crash") == 0 ||
                      strcmp(record.outcome, "timeout") == 0;
        if (!reached) {
            printf("  N=%-5" PRIu64 " not reached: the run made %" PRIu64 " hit%s; done\n", n, hits,
                   hits == 1 ? "" : "s");
            break;
        }
        if (record.expected)
            printf("  N=%-5" PRIu64 " %s\n", n, record.outcome);
        else
            printf("  N=%-5" PRIu64 " %-14s %s\n", n, record.outcome, record.signature_text);
        if (add_record(s, &record) != 0)
            return EXIT_INTERNAL;
        write_repro(s, &record); /* while this N's spec is the one armed */
    }
    unexpected = sweep_summary(stdout, s->records, s->count, REPRO_DIR, "runs");
    free(s->records);
    coro_pool_drain();
    return unexpected ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

/* ---- configurations: --variant NAME|all and --set KEY=list ------------------------- */

#define SWEEP_CONFIGS_MAX 256
#define LIST_KEYS_MAX 4
#define LIST_VALUES_MAX 64

struct value_list {
    const char *key;
    uint64_t values[LIST_VALUES_MAX];
    uint32_t count;
};

struct sweep_plan {
    const struct scenario_variant *variants[64]; /* NULL alone: no variant */
    uint32_t variant_count;
    const char *scalar_sets[128]; /* --set KEY=VALUE, in order */
    uint32_t scalar_count;
    struct value_list lists[LIST_KEYS_MAX];
    uint32_t list_count;
    long configs; /* variants x the values of every list */
};

/* Parses "KEY=a,b,c" or "KEY=A..B" (integer keys) into list. Returns 0 or
 * EXIT_USAGE after printing the error. */
static int parse_value_list(const struct config *config, const char *assignment,
                            struct value_list *list)
{
    const char *equals = strchr(assignment, '=');
    char key[64], reason[256], item[128];
    if (!equals || (size_t)(equals - assignment) >= sizeof key)
        return options_usage_error("bad --set '%s': expected KEY=VALUE", assignment);
    memcpy(key, assignment, (size_t)(equals - assignment));
    key[equals - assignment] = '\0';
    int index = config_find(config, key);
    if (index < 0)
        return options_usage_error("bad --set '%s': unknown key '%s'", assignment, key);
    const struct config_key *k = config->keys[index];
    list->key = k->name;
    list->count = 0;
    const char *values = equals + 1, *dots = strstr(values, "..");
    if (dots && !strchr(values, ',')) {
        uint64_t low, high;
        snprintf(item, sizeof item, "%.*s", (int)(dots - values), values);
        if (k->type != CONFIG_UINT && k->type != CONFIG_BYTES)
            return options_usage_error("bad --set '%s': a range A..B needs an integer key", assignment);
        if (config_parse_value(k, item, &low, reason, sizeof reason) != 0 ||
            config_parse_value(k, dots + 2, &high, reason, sizeof reason) != 0)
            return options_usage_error("bad --set '%s': %s", assignment, reason);
        if (high < low || high - low >= LIST_VALUES_MAX)
            return options_usage_error("bad --set '%s': expected A..B with A <= B and at most %d "
                                       "values", assignment, LIST_VALUES_MAX);
        for (uint64_t v = low; v <= high; v++)
            list->values[list->count++] = v;
        return 0;
    }
    for (const char *p = values;;) {
        size_t length = strcspn(p, ",");
        if (length == 0 || length >= sizeof item)
            return options_usage_error("bad --set '%s': empty or overlong value in the list",
                                       assignment);
        if (list->count == LIST_VALUES_MAX)
            return options_usage_error("bad --set '%s': at most %d values", assignment,
                                       LIST_VALUES_MAX);
        memcpy(item, p, length);
        item[length] = '\0';
        if (config_parse_value(k, item, &list->values[list->count], reason, sizeof reason) != 0)
            return options_usage_error("bad --set '%s': %s", assignment, reason);
        list->count++;
        if (!p[length])
            return 0;
        p += length + 1;
    }
}

static int is_value_list(const char *assignment)
{
    const char *equals = strchr(assignment, '=');
    return equals && (strchr(equals, ',') || strstr(equals, ".."));
}

/* Whether variant's settings set the key that assignment ("key=...") names. */
static int variant_sets_key(const struct scenario_variant *variant, const char *assignment)
{
    size_t length = strcspn(assignment, "=");
    for (const char *p = variant->settings; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, assignment, length) == 0 && p[length] == '=')
            return 1;
        p += strcspn(p, " ");
    }
    return 0;
}

/* Sets up s for configuration number index of plan: the variant's settings, then
 * the scalar --set values, then this configuration's list values; the label and
 * the replay prefix (base: the command without them). Returns 0 or EXIT_USAGE. */
static int plan_apply(struct sweep *s, const struct sweep_plan *plan, long index,
                      const struct config *defaults, const char *base_prefix)
{
    char reason[256], scenario_text[64];
    s->run.config = *defaults;
    long per_variant = plan->configs / plan->variant_count;
    const struct scenario_variant *variant = plan->variants[index / per_variant];
    long rest = index % per_variant;
    size_t label = 0, prefix = (size_t)snprintf(s->replay_prefix, sizeof s->replay_prefix, "%s",
                                                 base_prefix);
    s->label[0] = '\0';
    s->declared = SCHED_OUTCOME_PASS;
    s->cause = NULL;
    if (variant) {
        if (scenario_variant_apply(variant, &s->run.config, reason, sizeof reason) != 0)
            return options_usage_error("%s: %s", scenario_name(s->run.scenario, scenario_text),
                                       reason);
        /* The declaration holds for the variant's own settings: a --set that changes
         * one of them makes it an ordinary configuration, held to pass. */
        int overridden = 0;
        for (uint32_t i = 0; i < plan->scalar_count; i++)
            overridden |= variant_sets_key(variant, plan->scalar_sets[i]);
        for (uint32_t l = 0; l < plan->list_count; l++)
            overridden |= variant_sets_key(variant, plan->lists[l].key);
        int declared = sched_outcome_parse(variant->expect);
        if (!overridden && declared >= 0) {
            s->declared = (enum sched_outcome)declared;
            s->cause = variant->cause;
        }
        label += (size_t)snprintf(s->label, sizeof s->label, "%s", variant->name);
        prefix += (size_t)snprintf(s->replay_prefix + prefix, sizeof s->replay_prefix - prefix,
                                   " --variant %s", variant->name);
    }
    for (uint32_t i = 0; i < plan->scalar_count; i++)
        if (config_assign(&s->run.config, plan->scalar_sets[i], reason, sizeof reason) != 0)
            return options_usage_error("%s", reason);
    for (uint32_t l = 0; l < plan->list_count; l++) {
        const struct value_list *list = &plan->lists[l];
        uint64_t value = list->values[rest % list->count];
        rest /= list->count;
        int key = config_find(&s->run.config, list->key);
        char text[48];
        config_format_value(s->run.config.keys[key], value, text);
        s->run.config.values[key] = value;
        if (label < sizeof s->label)
            label += (size_t)snprintf(s->label + label, sizeof s->label - label, "%s%s=%s",
                                      label ? " " : "", list->key, text);
        if (prefix < sizeof s->replay_prefix)
            prefix += (size_t)snprintf(s->replay_prefix + prefix, sizeof s->replay_prefix - prefix,
                                       " --set %s=%s", list->key, text);
    }
    if (label >= sizeof s->label)
        return options_usage_error("configuration label '%s...' too long: fewer or shorter "
                                   "--set lists", s->label);
    if (prefix >= sizeof s->replay_prefix)
        return options_usage_error("the replay command would be too long: fewer --set options");
    if (world_config_error(&s->run.config, reason, sizeof reason) != 0)
        return options_usage_error("%s%s%s", s->label, s->label[0] ? ": " : "", reason);
    return 0;
}

/* Reads --variant and every --set into plan. Returns 0 or EXIT_USAGE. */
static int plan_parse(struct sweep_plan *plan, const struct scenario *scenario,
                      const struct config *defaults, const struct parsed_option *options,
                      int option_count)
{
    const char *variant_name = NULL;
    char scenario_text[64], known[512];
    plan->variant_count = 1;
    plan->variants[0] = NULL;
    for (int i = 0; i < option_count; i++) {
        const char *key = options[i].name, *value = options[i].value;
        if (strcmp(key, "variant") == 0) {
            variant_name = value;
        } else if (strcmp(key, "set") == 0 && is_value_list(value)) {
            if (plan->list_count == LIST_KEYS_MAX)
                return options_usage_error("at most %d --set options with a list of values",
                                           LIST_KEYS_MAX);
            if (parse_value_list(defaults, value, &plan->lists[plan->list_count]) != 0)
                return EXIT_USAGE;
            plan->list_count++;
        } else if (strcmp(key, "set") == 0) {
            if (plan->scalar_count == sizeof plan->scalar_sets / sizeof plan->scalar_sets[0])
                return options_usage_error("too many --set options");
            plan->scalar_sets[plan->scalar_count++] = value;
        }
    }
    if (variant_name && strcmp(variant_name, "all") == 0) {
        plan->variant_count = 0;
        for (const struct scenario_variant *v = scenario->variants;
             v && v->name && plan->variant_count < 64; v++)
            plan->variants[plan->variant_count++] = v;
        if (plan->variant_count == 0)
            plan->variants[plan->variant_count++] = NULL; /* the default, alone */
    } else if (variant_name) {
        plan->variants[0] = scenario_variant_find(scenario, variant_name);
        if (!plan->variants[0])
            return options_usage_error("unknown variant '%s' of %s (%s)", variant_name,
                                       scenario_name(scenario, scenario_text),
                                       scenario_variant_names(scenario, known, sizeof known));
    }
    /* One key, one value per configuration: a key given as a list and again (as a
     * list or a value) would make labels that lie. */
    for (uint32_t l = 0; l < plan->list_count; l++) {
        for (uint32_t m = 0; m < l; m++)
            if (strcmp(plan->lists[m].key, plan->lists[l].key) == 0)
                return options_usage_error("--set %s: the key is given two lists of values",
                                           plan->lists[l].key);
        size_t length = strlen(plan->lists[l].key);
        for (uint32_t i = 0; i < plan->scalar_count; i++)
            if (strncmp(plan->scalar_sets[i], plan->lists[l].key, length) == 0 &&
                plan->scalar_sets[i][length] == '=')
                return options_usage_error("--set %s: the key is given a list and a value",
                                           plan->lists[l].key);
    }
    plan->configs = plan->variant_count;
    for (uint32_t l = 0; l < plan->list_count; l++) {
        plan->configs *= plan->lists[l].count;
        if (plan->configs > SWEEP_CONFIGS_MAX)
            return options_usage_error("the variants and --set lists make more than %d "
                                       "configurations", SWEEP_CONFIGS_MAX);
    }
    return 0;
}

int sweep_command(int argc, char **argv)
{
    static const struct option_spec specs[] = {
        {"help", 0},  {"seeds", 1}, {"count", 1},  {"jobs", 1},   {"shard", 1},
        {"strategy", 1}, {"set", 1}, {"expect", 1}, {"json", 1}, {"resume", 0},
        {"junit", 1}, {"time-limit", 1}, {"quiet", 0}, {"fault", 1},  {"fail-nth", 1},
        {"persistent", 0}, {"seed", 1}, {"variant", 1}, {"report", 0}, {0}};
    struct parsed_option options[256];
    const char *positionals[1];
    int option_count, positional_count;
    if (argc > 256)
        return options_usage_error("too many arguments");
    if (options_parse("sweep", argc, argv, specs, options, &option_count, positionals,
                      &positional_count, 1) != 0)
        return EXIT_USAGE;
    if (options_has(options, option_count, "help")) {
        fputs(sweep_help, stdout);
        return EXIT_EXPECTED;
    }
    if (positional_count != 1)
        return options_usage_error("sweep needs a scenario (see 'detsim list')");
    static struct sweep s; /* large: the plan's configurations and the records */
    static struct sweep_plan plan;
    static struct config defaults;
    memset(&s, 0, sizeof s);
    memset(&plan, 0, sizeof plan);
    s.run.scenario = scenario_find(positionals[0]);
    if (!s.run.scenario)
        return options_usage_error("unknown scenario '%s' (see 'detsim list')", positionals[0]);
    run_config_init(&defaults, s.run.scenario);
    s.run.strategy = SCHED_STRATEGY_DEFAULT;
    s.expect = SCHED_OUTCOME_PASS;
    s.time_limit = 60;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    s.jobs = cores > 0 ? (unsigned)cores : 1;
    uint64_t first = 0, last = 99, shard = 1, shards = 1;
    const char *json_path = NULL, *junit_path = NULL;
    int resume = 0, quiet = 0, persistent = 0, seed_given = 0;
    const char *fail_nth = NULL;
    uint64_t fail_nth_seed = 0;
    char reason[256], name[64], base_prefix[480];
    /* the replay command without variant and list values (plan_apply adds them);
     * appends stop at the end of the buffer, and an overlong one is refused below */
    size_t n = (size_t)snprintf(base_prefix, sizeof base_prefix, "detsim run %s",
                                scenario_name(s.run.scenario, name));
#define APPEND_PREFIX(...)                                                                 \
    do {                                                                                   \
        if (n < sizeof base_prefix)                                                        \
            n += (size_t)snprintf(base_prefix + n, sizeof base_prefix - n, __VA_ARGS__);   \
    } while (0)
    for (int i = 0; i < option_count; i++) {
        const char *key = options[i].name, *value = options[i].value;
        uint64_t number;
        if (strcmp(key, "seeds") == 0) {
            if (parse_range(value, &first, &last) != 0)
                return options_usage_error("bad --seeds '%s': expected A..B with A <= B", value);
        } else if (strcmp(key, "count") == 0) {
            if (config_parse_u64(value, &number) || number == 0)
                return options_usage_error("bad --count '%s': expected a positive integer", value);
            first = 0;
            last = number - 1;
        } else if (strcmp(key, "jobs") == 0) {
            if (config_parse_u64(value, &number) || number == 0 || number > 1024)
                return options_usage_error("bad --jobs '%s': expected 1 to 1024", value);
            s.jobs = (unsigned)number;
        } else if (strcmp(key, "shard") == 0) {
            char k[32];
            const char *slash = strchr(value, '/');
            if (!slash || (size_t)(slash - value) >= sizeof k)
                return options_usage_error("bad --shard '%s': expected K/N with 1 <= K <= N", value);
            memcpy(k, value, (size_t)(slash - value));
            k[slash - value] = '\0';
            if (config_parse_u64(k, &shard) || config_parse_u64(slash + 1, &shards) || shard < 1 ||
                shard > shards)
                return options_usage_error("bad --shard '%s': expected K/N with 1 <= K <= N", value);
        } else if (strcmp(key, "strategy") == 0) {
            if (run_parse_strategy(value, &s.run.strategy, reason, sizeof reason) != 0)
                return options_usage_error("%s", reason);
            APPEND_PREFIX(" --strategy %s", value);
        } else if (strcmp(key, "set") == 0) {
            if (!is_value_list(value))
                APPEND_PREFIX(" --set %s", value);
        } else if (strcmp(key, "expect") == 0) {
            int outcome = sched_outcome_parse(value);
            if (outcome < 0 || outcome == SCHED_OUTCOME_CRASH)
                return options_usage_error("bad --expect '%s'", value);
            s.expect = (enum sched_outcome)outcome;
            s.expect_given = 1;
        } else if (strcmp(key, "json") == 0) {
            json_path = value;
        } else if (strcmp(key, "resume") == 0) {
            resume = 1;
        } else if (strcmp(key, "junit") == 0) {
            junit_path = value;
        } else if (strcmp(key, "time-limit") == 0) {
            if (config_parse_u64(value, &number) || number == 0)
                return options_usage_error("bad --time-limit '%s': expected whole seconds > 0", value);
            s.time_limit = (double)number;
        } else if (strcmp(key, "quiet") == 0) {
            quiet = 1;
        } else if (strcmp(key, "report") == 0) {
            s.report = 1;
        } else if (strcmp(key, "fault") == 0) {
            if (s.run.fault_count == FAULT_SPECS_MAX)
                return options_usage_error("at most %d --fault specs", FAULT_SPECS_MAX);
            if (fault_spec_parse(value, &s.faults[s.run.fault_count], reason, sizeof reason) != 0)
                return options_usage_error("bad --fault '%s': %s", value, reason);
            s.run.fault_count++;
            APPEND_PREFIX(" --fault '%s'", value);
        } else if (strcmp(key, "fail-nth") == 0) {
            fail_nth = value;
        } else if (strcmp(key, "persistent") == 0) {
            persistent = 1;
        } else if (strcmp(key, "seed") == 0) {
            if (config_parse_u64(value, &fail_nth_seed) != 0)
                return options_usage_error("bad seed '%s': expected an unsigned 64-bit integer",
                                           value);
            seed_given = 1;
        }
    }
#undef APPEND_PREFIX
    if (n >= sizeof base_prefix)
        return options_usage_error("the replay command would be too long: fewer --set, --fault "
                                   "or --strategy options");
    s.run.faults = s.run.fault_count ? s.faults : NULL;
    if (plan_parse(&plan, s.run.scenario, &defaults, options, option_count) != 0)
        return EXIT_USAGE;
    /* Every configuration is checked before anything runs. */
    static char labels[SWEEP_CONFIGS_MAX][96];
    static const char *label_list[SWEEP_CONFIGS_MAX], *declared_list[SWEEP_CONFIGS_MAX];
    for (long c = 0; c < plan.configs; c++) {
        if (plan_apply(&s, &plan, c, &defaults, base_prefix) != 0)
            return EXIT_USAGE;
        snprintf(labels[c], sizeof labels[c], "%s", s.label);
        label_list[c] = labels[c];
    }
    if ((persistent || seed_given) && !fail_nth)
        return options_usage_error("--persistent and --seed go with --fail-nth POINT");
    if (fail_nth) {
        if (json_path || junit_path || resume || shards > 1)
            return options_usage_error("--fail-nth runs one seed: --json, --junit, --resume and "
                                       "--shard do not apply");
        if (plan.configs > 1)
            return options_usage_error("--fail-nth runs one configuration: no --variant all or "
                                       "--set lists");
        s.declared = SCHED_OUTCOME_PASS; /* every N is held to --expect (default pass) */
        s.cause = NULL;
        return fail_nth_loop(&s, fail_nth, persistent, fail_nth_seed, name);
    }
    if (resume && !json_path)
        return options_usage_error("--resume needs --json FILE");
    if (json_path && !resume && access(json_path, F_OK) == 0)
        return options_usage_error("'%s' exists: add --resume to continue it, or remove it",
                                   json_path);
    if (resume && access(json_path, F_OK) == 0) {
        long complete = 0;
        s.count = sweep_read_file(json_path, &s.records, &s.capacity, 0, &complete, reason,
                                  sizeof reason);
        if (s.count < 0) {
            free(s.records);
            return options_usage_error("%s", reason);
        }
        if (truncate(json_path, complete) != 0) { /* drop a line cut off mid-write */
            free(s.records);
            return options_usage_error("cannot write '%s': %s", json_path, strerror(errno));
        }
    }
    for (long i = 0; i < s.count; i++) {
        if (strcmp(s.records[i].scenario, name) != 0) {
            free(s.records);
            return options_usage_error("'%s' holds results of %s, not %s", json_path,
                                       s.records[i].scenario, name);
        }
        long c = 0;
        while (c < plan.configs && strcmp(labels[c], s.records[i].config) != 0)
            c++;
        if (c == plan.configs) {
            char label[sizeof s.records[i].config];
            snprintf(label, sizeof label, "%s", s.records[i].config[0] ? s.records[i].config
                                                                       : "(default)");
            free(s.records);
            return options_usage_error("'%s' holds results of configuration '%s', which this "
                                       "sweep does not run: resume it with the same --variant "
                                       "and --set options",
                                       json_path, label);
        }
    }
    if (json_path) {
        s.json = fopen(json_path, "a");
        if (!s.json) {
            free(s.records);
            return options_usage_error("cannot write '%s': %s", json_path, strerror(errno));
        }
    }
    uint64_t total = last - first + 1;
    uint64_t *seeds = malloc((total / shards + 1) * sizeof *seeds);
    if (!seeds) {
        free(s.records);
        if (s.json)
            fclose(s.json);
        return options_usage_error("--seeds %" PRIu64 "..%" PRIu64 " is too many seeds", first, last);
    }
    char shard_text[48] = "";
    if (shards > 1)
        snprintf(shard_text, sizeof shard_text, ", shard %" PRIu64 "/%" PRIu64, shard, shards);
    long shard_total = 0, already = s.count;
    for (uint64_t index = shard - 1; index < total; index += shards)
        shard_total++;
    printf("sweep %s: %ld seeds (%" PRIu64 "..%" PRIu64 "%s)", name, shard_total, first, last,
           shard_text);
    if (plan.configs > 1)
        printf(" x %ld configurations", plan.configs);
    printf(", %ld already done, %u job%s\n", already, s.jobs, s.jobs == 1 ? "" : "s");
    if (plan.variant_count == 1 && !plan.variants[0] && options_has(options, option_count, "variant"))
        printf("(%s has no variants: --variant all runs its default configuration)\n", name);
    int rc = 0, any_declared = 0;
    for (long c = 0; c < plan.configs && rc == 0; c++) {
        plan_apply(&s, &plan, c, &defaults, base_prefix); /* checked above */
        declared_list[c] = sched_outcome_name(s.expect_given ? s.expect : s.declared);
        any_declared |= s.declared != SCHED_OUTCOME_PASS || (plan.variants[0] && !plan.list_count);
        /* The seeds this shard runs, minus those the results already have. */
        long todo = 0;
        for (uint64_t index = shard - 1; index < total; index += shards) {
            uint64_t seed = first + index;
            int have = 0;
            for (long i = 0; i < already && !have; i++)
                have = s.records[i].seed == seed && strcmp(s.records[i].config, s.label) == 0;
            if (!have)
                seeds[todo++] = seed;
        }
        long before = s.count;
        rc = run_seeds(&s, seeds, todo, !quiet && isatty(2));
        if (rc == 0)
            write_repros(&s, before);
    }
    free(seeds);
    if (s.json)
        fclose(s.json);
    if (rc != 0) {
        free(s.records);
        fprintf(stderr, "detsim: internal error: out of memory\n");
        return EXIT_INTERNAL;
    }
    long broken = 0;
    static int held[SWEEP_CONFIGS_MAX];
    const char *const *declared = s.expect_given || !any_declared ? NULL : declared_list;
    if (plan.configs > 1 || plan.variants[0])
        broken = sweep_config_table(stdout, s.records, s.count, label_list, declared,
                                    plan.configs, shards > 1, held);
    long unexpected = sweep_summary(stdout, s.records, s.count, REPRO_DIR, "seeds");
    if (broken)
        printf("verdict: %ld of %ld configurations did not behave as declared\n", broken,
               plan.configs);
    if (junit_path && write_junit(junit_path, &s, label_list,
                                  plan.configs > 1 || plan.variants[0] ? declared : NULL, held,
                                  plan.configs) != 0) {
        fprintf(stderr, "detsim: cannot write '%s'\n", junit_path);
        unexpected = unexpected ? unexpected : 1;
    }
    free(s.records);
    coro_pool_drain();
    return unexpected || broken ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

int merge_command(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(merge_help, stdout);
        return EXIT_EXPECTED;
    }
    if (argc < 1)
        return options_usage_error("merge needs one or more results files (see 'detsim merge --help')");
    struct sweep_record *records = NULL;
    size_t capacity = 0;
    long count = 0;
    char reason[300];
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-')
            return options_usage_error("unknown option '%s' for 'merge'", argv[i]);
        count = sweep_read_file(argv[i], &records, &capacity, count, NULL, reason, sizeof reason);
        if (count < 0) {
            free(records);
            return options_usage_error("%s", reason);
        }
    }
    printf("merge: %ld seeds from %d file%s\n", count, argc, argc == 1 ? "" : "s");
    static const char *labels[SWEEP_CONFIGS_MAX];
    long configs = sweep_config_labels(records, count, labels, SWEEP_CONFIGS_MAX);
    if (configs > 1 || (configs == 1 && labels[0][0]))
        sweep_config_table(stdout, records, count, labels, NULL, configs, 0, NULL);
    long unexpected = sweep_summary(stdout, records, count, REPRO_DIR, "seeds");
    free(records);
    return unexpected ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}
