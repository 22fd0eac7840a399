/* differential — simulation against real processes; see differential.h. */
#include "differential.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "util/assert.h"
#include "util/json.h"

#define MISS_PERMILLE 50 /* a class the real runs miss with below this chance must show */

/* CPU time so far, user and system, of this process (and of its reaped children:
 * a real run's processes, all reaped through its init). */
static uint64_t cpu_now_ns(int children)
{
    struct rusage u;
    getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &u);
    return (uint64_t)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000ULL +
           (uint64_t)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000ULL;
}

static uint64_t wall_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* Writes one run as a JSON line. */
static void write_json(const struct differential *d, const char *side, const char *label,
                       uint64_t seed, const struct run_result *r, uint64_t cpu_ns,
                       uint64_t wall_ns)
{
    char name[64];
    if (!d->json)
        return;
    fputs("{\"scenario\":", d->json);
    json_write_string(d->json, scenario_name(d->scenario, name));
    fputs(",\"config\":", d->json);
    json_write_config(d->json, label);
    fputs(",\"side\":", d->json);
    json_write_string(d->json, side);
    fputs(",\"seed\":", d->json);
    json_write_u64_string(d->json, seed);
    fprintf(d->json, ",\"outcome\":\"%s\",\"steps\":%" PRIu64 ",\"cpu_ns\":%" PRIu64
            ",\"wall_ns\":%" PRIu64 "}\n", sched_outcome_name(r->outcome), r->steps, cpu_ns,
            wall_ns);
    fflush(d->json);
}

/* Runs count seeds of config on backend into side. Returns 0, -EPERM with the
 * reason in error, or -ENOMEM. */
static int run_side(const struct differential *d, const struct config *config,
                    enum run_backend backend, uint64_t count, const char *label, const char *name,
                    struct differential_side *side, char *error, size_t error_bytes)
{
    for (uint64_t i = 0; i < count; i++) {
        struct run_options options = {.backend = backend, .scenario = d->scenario,
                                      .seed = d->seed + i, .strategy = SCHED_STRATEGY_DEFAULT,
                                      .config = *config};
        struct run_result result;
        uint64_t cpu = cpu_now_ns(0) + cpu_now_ns(1), wall = wall_now_ns();
        int rc = run_scenario(&options, &result);
        if (rc != 0) {
            snprintf(error, error_bytes, "%s", rc == -EPERM ? text_str(&result.report)
                                                            : "out of memory");
            run_result_free(&result);
            return rc == -EPERM ? -EPERM : -ENOMEM;
        }
        cpu = cpu_now_ns(0) + cpu_now_ns(1) - cpu;
        wall = wall_now_ns() - wall;
        ASSERT((unsigned)result.outcome < SCHED_OUTCOME_COUNT);
        side->by_outcome[result.outcome]++;
        side->runs++;
        side->cpu_ns += cpu;
        side->wall_ns += wall;
        write_json(d, name, label, options.seed, &result, cpu, wall);
        run_result_free(&result);
    }
    return 0;
}

/* The kernel bug switches config turns on, into names; clears them in cleared. */
static int bug_switches(const struct config *config, struct config *cleared, char *names,
                        size_t bytes)
{
    int any = 0;
    names[0] = '\0';
    *cleared = *config;
    for (uint32_t i = 0; i < config->count; i++) {
        const char *key = config->keys[i]->name;
        if (strncmp(key, "bug_", 4) != 0 || !config->values[i])
            continue;
        size_t used = strlen(names);
        snprintf(names + used, bytes - used, "%s%s", any ? " " : "", key);
        cleared->values[i] = 0;
        any = 1;
    }
    return any;
}

/* Whether K real runs would show a class of simulated rate hits/runs but for a
 * chance below MISS_PERMILLE: (1 - p)^K < 5%. */
static int should_show(uint64_t hits, uint64_t runs, uint64_t k)
{
    double miss = 1.0;
    for (uint64_t i = 0; i < k && miss * 1000 >= MISS_PERMILLE; i++)
        miss *= 1.0 - (double)hits / (double)runs;
    return miss * 1000 < MISS_PERMILLE;
}

/* Compares the real side with the simulated one it stands against. */
static void judge(struct differential_row *row)
{
    const struct differential_side *model = row->switches[0] ? &row->reference : &row->sim;
    const struct differential_side *real = &row->real;
    row->agree = 1;
    row->verdict[0] = '\0';
    for (int o = 0; o < SCHED_OUTCOME_COUNT && row->agree; o++) {
        const char *name = sched_outcome_name((enum sched_outcome)o);
        if (real->by_outcome[o] && !model->by_outcome[o]) {
            row->agree = 0;
            snprintf(row->verdict, sizeof row->verdict, "DISAGREE: real runs reached %s, no "
                     "simulated seed did", name);
        } else if (!real->by_outcome[o] && model->by_outcome[o] &&
                   should_show(model->by_outcome[o], model->runs, real->runs)) {
            row->agree = 0;
            snprintf(row->verdict, sizeof row->verdict, "DISAGREE: simulated %s in %" PRIu64
                     " of %" PRIu64 " seeds, never in a real run", name, model->by_outcome[o],
                     model->runs);
        }
    }
    if (row->agree && row->switches[0])
        snprintf(row->verdict, sizeof row->verdict, "agree with the model without %s (a bug of "
                 "the modelled kernel: Linux has none)", row->switches);
    else if (row->agree)
        snprintf(row->verdict, sizeof row->verdict, "agree");
}

int differential_run(const struct differential *d, const struct config *config,
                     const char *label, struct differential_row *row, char *error,
                     size_t error_bytes)
{
    ASSERT(d->scenario && d->count > 0 && d->real_runs > 0);
    *row = (struct differential_row){0};
    snprintf(row->label, sizeof row->label, "%s", label[0] ? label : "(defaults)");
    struct config cleared;
    int rc = run_side(d, config, RUN_BACKEND_SIM, d->count, label, "sim", &row->sim, error,
                      error_bytes);
    if (rc == 0 && bug_switches(config, &cleared, row->switches, sizeof row->switches))
        rc = run_side(d, &cleared, RUN_BACKEND_SIM, d->count, label, "sim-without-switches",
                      &row->reference, error, error_bytes);
    if (rc == 0)
        rc = run_side(d, config, RUN_BACKEND_LINUX, d->real_runs, label, "real", &row->real,
                      error, error_bytes);
    if (rc == 0)
        judge(row);
    return rc;
}

/* "pass 92% hang-deadlock 8%" */
static void format_rates(const struct differential_side *side, char *out, size_t bytes)
{
    out[0] = '\0';
    for (int o = 0; o < SCHED_OUTCOME_COUNT; o++) {
        if (!side->by_outcome[o])
            continue;
        size_t used = strlen(out);
        uint64_t permille = side->by_outcome[o] * 1000 / side->runs;
        snprintf(out + used, bytes - used, "%s%s %" PRIu64 "%%", used ? " " : "",
                 sched_outcome_name((enum sched_outcome)o), (permille + 5) / 10);
    }
}

void differential_print_header(FILE *out, const struct differential *d)
{
    char name[64];
    fprintf(out, "differential %s: %" PRIu64 " simulated seeds (%" PRIu64 "..%" PRIu64
                 "), %" PRIu64 " real runs (seeds %" PRIu64 "..%" PRIu64 ") per configuration\n",
            scenario_name(d->scenario, name), d->count, d->seed, d->seed + d->count - 1,
            d->real_runs, d->seed, d->seed + d->real_runs - 1);
    struct text capabilities = {0};
    run_backend_capabilities(RUN_BACKEND_LINUX, &capabilities);
    fprintf(out, "backend linux: %s", text_str(&capabilities));
    text_free(&capabilities);
    fprintf(out, "%-18s %-32s %-32s %s\n", "config", "simulated", "real", "verdict");
}

void differential_print_row(FILE *out, const struct differential_row *row)
{
    char sim[128], real[128];
    format_rates(&row->sim, sim, sizeof sim);
    format_rates(&row->real, real, sizeof real);
    fprintf(out, "%-18s %-32s %-32s %s\n", row->label, sim, real, row->verdict);
    if (row->switches[0]) {
        format_rates(&row->reference, sim, sizeof sim);
        fprintf(out, "%-18s %-32s %-32s %s\n", "  without switches", sim, "", "");
    }
    fflush(out);
}

void differential_print_costs(FILE *out, const struct differential_row *rows, uint32_t count)
{
    struct differential_side sim = {0}, real = {0};
    for (uint32_t i = 0; i < count; i++) {
        sim.runs += rows[i].sim.runs + rows[i].reference.runs;
        sim.cpu_ns += rows[i].sim.cpu_ns + rows[i].reference.cpu_ns;
        real.runs += rows[i].real.runs;
        real.cpu_ns += rows[i].real.cpu_ns;
        real.wall_ns += rows[i].real.wall_ns;
    }
    if (!sim.runs || !real.runs)
        return;
    double sim_ms = (double)sim.cpu_ns / 1e6 / (double)sim.runs;
    double real_ms = (double)real.cpu_ns / 1e6 / (double)real.runs;
    fprintf(out, "cost: a simulated run %.3f ms of CPU; a real run %.3f ms of CPU (every "
                 "process) and %.3f ms of wall time",
            sim_ms, real_ms, (double)real.wall_ns / 1e6 / (double)real.runs);
    if (sim_ms > 0)
        fprintf(out, ": %.0fx the CPU of a simulated run", real_ms / sim_ms);
    fprintf(out, "\n");
}
