/* run — one run of a scenario: a pure function of (scenario, seed, strategy,
 * config), or of a recorded choice stream in place of the seed. */
#ifndef DETSIM_RUN_H
#define DETSIM_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "util/choice.h"
#include "util/config.h"
#include "faults/fault.h"
#include "scenario.h"
#include "signature.h"
#include "sched.h"
#include "util/text.h"
#include "trace.h"

#define DETSIM_VERSION "0.1.0"

/* The keys every run has, beside the scenario's own. */
extern const struct config_key run_core_keys[];

struct run_result;
struct world;

/* What an observer sees beside an event: the models right after it and the names of
 * tasks and objects; at the end of a run that hung, the wait-for graph too. */
struct run_view {
    const struct world *world;
    const struct trace_names *names;
    const struct sched_wait_graph *wait_graph; /* only in on_end of a hang, else NULL */
};

/* Watches a run without changing it (the run reports in reports/): it only reads,
 * so the trace and its hash are the same with or without it. Either callback may be
 * NULL; next chains another observer. */
struct run_observer {
    void (*on_event)(void *context, const struct trace_event *e, const struct run_view *view);
    /* once, after the outcome, the leak audit and the result are settled, while the
     * world and the tasks still exist */
    void (*on_end)(void *context, const struct run_result *result, const struct run_view *view);
    void *context;
    const struct run_observer *next;
};

/* Decides every choice of a run from outside, for a systematic explorer (detsim
 * explore, reports/explore.h): draw answers each draw in place of the seed, and
 * decision (may be NULL) is shown the ready tasks just before each scheduling draw.
 * The strategy must be random (every scheduling decision is then a draw); the run
 * still records its choices when asked, so it replays without the chooser. */
struct run_chooser {
    uint64_t (*draw)(void *context, enum choice_kind kind, uint64_t range);
    void (*decision)(void *context, const struct sched_decision *decision);
    void *context;
};

/* Where a run's processes live. */
enum run_backend {
    RUN_BACKEND_SIM,  /* coroutines over the models (the default) */
    RUN_BACKEND_LINUX /* real processes over real Linux primitives (sim/linux/) */
};

struct run_options {
    enum run_backend backend;
    const struct scenario *scenario;
    uint64_t seed;
    struct sched_strategy strategy;
    struct config config; /* from run_config_init, then --set */
    const struct choice_record *replay; /* NULL: draw from the seed */
    size_t replay_count;
    int record_choices;
    FILE *trace_out; /* NULL: hash only */
    enum trace_format trace_format;
    const struct fault_spec *faults; /* --fault specs, borrowed; NULL when none */
    uint32_t fault_count;            /* at most FAULT_SPECS_MAX */
    const struct run_observer *observer; /* NULL: none (the usual case, and free) */
    const struct run_chooser *chooser;   /* NULL: the seed or replay decides */
    uint8_t track_access; /* sched_options.track_access: sched_last_access (access.h) */
    uint8_t exit_step;    /* sched_options.exit_step: a task's return is a step of its own */
};

struct run_result {
    enum sched_outcome outcome;
    struct sched_strategy strategy; /* the strategy the run ran (run_strategy_resolve's) */
    uint64_t steps;
    uint64_t vtime_ns;
    uint64_t hash;
    uint64_t events;
    struct text report; /* hang report or failure message; empty on pass */
    uint64_t signature;  /* what failure this is (sim/signature.h); set for a pass too */
    char signature_text[SIGNATURE_TEXT_BYTES]; /* its readable form */
    struct choice_record *choices; /* the recording, when asked for (owned) */
    size_t choice_count;
    uint64_t replay_used; /* recorded choices the run consumed */
    uint64_t replay_mismatches;
    uint64_t replay_overruns;
    uint64_t heap_attempts; /* heap allocations tried during the run */
    uint64_t heap_ooms;     /* of which failed */
    uint64_t faults_fired;  /* injected faults that fired, slot faults included */
    uint64_t fault_fires[FAULT_POINT_COUNT]; /* the same, by failpoint */
    uint64_t fault_hits[FAULT_SPECS_MAX];    /* hits each spec counted (fail-nth) */
    uint64_t real_ns;        /* the Linux backend: the run's wall-clock time */
    uint32_t processes_peak; /* the Linux backend: most processes at once */
};

/* Fills config with the core keys and scenario's params at their defaults, then
 * applies the scenario's variant named "default", when it has one. Returns 0 or
 * -EINVAL (a scenario param clashes with a core key, or the default variant is
 * malformed). */
int run_config_init(struct config *config, const struct scenario *scenario);

/* Parses a strategy: "random", "rr", "pct[:depth=D,steps=K]", "pos",
 * "delay[:bound=B,steps=K]", "preempt[:bound=B,steps=K]", "portfolio" (parameters
 * in any order, each optional). Returns 0, or -EINVAL with a one-line reason in
 * error (strategy unchanged). */
int run_parse_strategy(const char *text, struct sched_strategy *strategy, char *error,
                       size_t error_bytes);

/* Writes the strategy in the form run_parse_strategy reads. buf needs 64 bytes. */
const char *run_format_strategy(const struct sched_strategy *strategy, char buf[64]);

/* The probe runs that measure a run's length: seeds 0..RUN_PROBE_SEEDS-1. */
#define RUN_PROBE_SEEDS 3

/* Makes options->strategy one a scheduler runs: a portfolio becomes its arm for
 * options->seed (seed modulo 8: random, pos, pct:depth=1, random, pct:depth=2, pos,
 * pct:depth=3, random),
 * and steps=0 of pct, delay and preempt (none given) the run's length: the steps of
 * a probe run of the same scenario and config at seed 0 under random (measured once
 * per process and config). Returns 0, or the probe's error (-ENOMEM). run_scenario
 * does it too; a caller that writes the strategy down (a repro, a replay command)
 * calls it first. */
int run_strategy_resolve(struct run_options *options);

/* The strategy seed runs under given (the portfolio's arm for it), with steps in
 * place of a steps=0 (none given). Pure: no probe. */
void run_strategy_for_seed(const struct sched_strategy *given, uint64_t seed, uint64_t steps,
                           struct sched_strategy *out);

/* Runs once, with options->faults armed from the end of the boot to the end of the
 * run (fault specs come from fault_spec_parse). Returns 0 and fills result, or
 * -ENOMEM when the harness itself could not allocate, or -EINVAL when more than
 * FAULT_SPECS_MAX specs are given or another run's faults are armed (result is then
 * empty). On the Linux backend (options->backend; check the options first with
 * run_backend_check) it runs on real processes: -EPERM then means the run could
 * not start, with the reason in result->report. Call run_result_free either way. */
int run_scenario(const struct run_options *options, struct run_result *result);

/* Checks that options can run on their backend (the simulator takes anything;
 * the Linux backend, portable scenarios within its caps). Returns 0, or -EINVAL
 * with a one-line reason in error. */
int run_backend_check(const struct run_options *options, char *error, size_t error_bytes);

/* What this machine allows backend, in one line, into out (the Linux backend: its
 * PID namespace, cgroup v2 delegation; the simulator: nothing). */
void run_backend_capabilities(enum run_backend backend, struct text *out);

/* The backend named name ("sim", "linux"), or -1. */
int run_backend_parse(const char *name);

/* Sets result->signature and signature_text from its outcome named outcome and its
 * report, for a result that has no key of its own (a crash or a timeout seen from
 * outside the run, a run on the Linux backend): sim/signature.h. Returns 0 or
 * -ENOMEM (the signature is then the outcome's alone). */
int run_signature_from_report(struct run_result *result, const char *outcome);

/* The one-line summary: scenario=… seed=… outcome=… steps=… vtime=… hash=…, then
 * faults=N when any fired. */
void run_format_summary(const struct run_options *options, const struct run_result *result,
                        struct text *out);

void run_result_free(struct run_result *result);

#endif
