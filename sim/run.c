/* run — one run of a scenario; see run.h. */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "linux/linux_run.h"
#include "model/world.h"
#include "sched_int.h"
#include "sys_int.h"
#include "util/assert.h"

const struct config_key run_core_keys[] = {
    {"max_steps", CONFIG_UINT, 1000000, 1, UINT64_MAX,
     "step budget: a run still going after this many steps ends as hang-budget", NULL},
    {"max_vtime", CONFIG_DURATION, 3600ULL * 1000000000ULL, 1, UINT64_MAX,
     "virtual-time budget: a run still going past this ends as hang-budget", NULL},
    {"step_time", CONFIG_DURATION, 1000, 0, 1000000000ULL,
     "virtual time that one scheduling step costs", NULL},
    {"stack_bytes", CONFIG_BYTES, 64 * 1024, 16 * 1024, 64ULL * 1024 * 1024,
     "coroutine stack size of each simulated task (a guard page sits below it)", NULL},
    {"time_scale", CONFIG_UINT, 100, 1, 1000000,
     "linux backend: virtual time per real time; a 90s sleep takes 900ms at 100", NULL},
    {"real_deadline", CONFIG_DURATION, 10ULL * 1000000000ULL, 1000000ULL, 3600ULL * 1000000000ULL,
     "linux backend: wall-clock limit of a real run; one still going then is hang-budget", NULL},
    {"perturb", CONFIG_UINT, 100, 0, 1000,
     "linux backend: per mille of sys_* calls that yield first (1/8 of them sleep 10-100us)",
     NULL},
    {0},
};

int run_config_init(struct config *config, const struct scenario *scenario)
{
    if (config_init(config, run_core_keys, world_config_keys) != 0)
        return -EINVAL;
    if (config_add(config, scenario ? scenario->params : NULL) != 0)
        return -EINVAL;
    /* A scenario whose only sensible configuration needs core keys changed (room for
     * 128 processes, say) names it "default": it is what a plain run gets. */
    const struct scenario_variant *preset =
        scenario ? scenario_variant_find(scenario, "default") : NULL;
    char error[200];
    if (preset && scenario_variant_apply(preset, config, error, sizeof error) != 0)
        return -EINVAL;
    return 0;
}

/* The strategies by name, and the parameters each takes. */
static const struct {
    const char *name;
    enum sched_strategy_kind kind;
    const char *parameters; /* the keys it takes, for messages; "" for none */
} strategy_names[] = {
    {"random", SCHED_RANDOM, ""},       {"rr", SCHED_RR, ""},
    {"pct", SCHED_PCT, "depth, steps"}, {"pos", SCHED_POS, ""},
    {"delay", SCHED_DELAY, "bound, steps"}, {"preempt", SCHED_PREEMPT, "bound, steps"},
    {"portfolio", SCHED_PORTFOLIO, ""},
};
#define STRATEGY_COUNT (sizeof strategy_names / sizeof strategy_names[0])
#define STRATEGY_EXPECTED                                                                 \
    "expected random, rr, pct[:depth=D,steps=K], pos, delay[:bound=B,steps=K], "         \
    "preempt[:bound=B,steps=K] or portfolio"

/* Applies one "key=value" of text (a strategy of kind) to s. Returns 0, or -EINVAL
 * with the reason in error. */
static int strategy_parameter(const char *text, char *part, struct sched_strategy *s,
                              const char *parameters, char *error, size_t error_bytes)
{
    uint64_t value;
    char *equals = strchr(part, '=');
    if (!equals || config_parse_u64(equals + 1, &value) != 0) {
        snprintf(error, error_bytes, "bad strategy '%s': '%s' should be KEY=NUMBER (%s)", text,
                 part, parameters);
        return -EINVAL;
    }
    *equals = '\0';
    int bounded = s->kind == SCHED_DELAY || s->kind == SCHED_PREEMPT;
    if (strcmp(part, "depth") == 0 && s->kind == SCHED_PCT) {
        if (value < 1 || value > SCHED_PCT_DEPTH_MAX) {
            snprintf(error, error_bytes, "bad strategy '%s': depth must be between 1 and %d",
                     text, SCHED_PCT_DEPTH_MAX);
            return -EINVAL;
        }
        s->pct_depth = (uint32_t)value;
    } else if (strcmp(part, "bound") == 0 && bounded) {
        if (value > SCHED_PCT_DEPTH_MAX - 1) {
            snprintf(error, error_bytes, "bad strategy '%s': bound must be between 0 and %d",
                     text, SCHED_PCT_DEPTH_MAX - 1);
            return -EINVAL;
        }
        s->bound = (uint32_t)value;
    } else if (strcmp(part, "steps") == 0 && (bounded || s->kind == SCHED_PCT)) {
        if (value < 1) {
            snprintf(error, error_bytes, "bad strategy '%s': steps must be >= 1", text);
            return -EINVAL;
        }
        s->pct_steps = value;
    } else {
        snprintf(error, error_bytes, "bad strategy '%s': unknown parameter '%s'%s%s%s", text,
                 part, parameters[0] ? " (" : " (it takes none", parameters,
                 parameters[0] ? ")" : ")");
        return -EINVAL;
    }
    return 0;
}

int run_parse_strategy(const char *text, struct sched_strategy *strategy, char *error,
                       size_t error_bytes)
{
    struct sched_strategy s = SCHED_STRATEGY_DEFAULT;
    size_t name_length = strcspn(text, ":");
    size_t i = 0;
    while (i < STRATEGY_COUNT && (strlen(strategy_names[i].name) != name_length ||
                                  strncmp(text, strategy_names[i].name, name_length) != 0))
        i++;
    if (i == STRATEGY_COUNT) {
        snprintf(error, error_bytes, "bad strategy '%.60s': " STRATEGY_EXPECTED, text);
        return -EINVAL;
    }
    s.kind = strategy_names[i].kind;
    if (text[name_length] == ':') {
        char parameters[128];
        if (strlen(text + name_length + 1) >= sizeof parameters) {
            snprintf(error, error_bytes, "bad strategy: '%.40s...' is too long", text);
            return -EINVAL;
        }
        snprintf(parameters, sizeof parameters, "%s", text + name_length + 1);
        if (!parameters[0] || parameters[strlen(parameters) - 1] == ',') {
            snprintf(error, error_bytes, "bad strategy '%s': a parameter is missing", text);
            return -EINVAL;
        }
        char *save = NULL;
        for (char *part = strtok_r(parameters, ",", &save); part;
             part = strtok_r(NULL, ",", &save))
            if (strategy_parameter(text, part, &s, strategy_names[i].parameters, error,
                                   error_bytes) != 0)
                return -EINVAL;
    }
    *strategy = s;
    return 0;
}

const char *run_format_strategy(const struct sched_strategy *strategy, char buf[64])
{
    const char *name = "?";
    for (size_t i = 0; i < STRATEGY_COUNT; i++)
        if (strategy_names[i].kind == strategy->kind)
            name = strategy_names[i].name;
    size_t n = (size_t)snprintf(buf, 64, "%s", name);
    if (strategy->kind == SCHED_PCT)
        n += (size_t)snprintf(buf + n, 64 - n, ":depth=%" PRIu32, strategy->pct_depth);
    else if (strategy->kind == SCHED_DELAY || strategy->kind == SCHED_PREEMPT)
        n += (size_t)snprintf(buf + n, 64 - n, ":bound=%" PRIu32, strategy->bound);
    if (strategy->pct_steps && (strategy->kind == SCHED_PCT || strategy->kind == SCHED_DELAY ||
                                strategy->kind == SCHED_PREEMPT))
        snprintf(buf + n, 64 - n, ",steps=%" PRIu64, strategy->pct_steps);
    return buf;
}

/* The portfolio's arms, by seed modulo their count: random three times in eight
 * (the best on bugs that need a preemption at one exact step: signal-lost-wakeup),
 * POS twice, PCT at depths 1, 2 and 3 once each (the best on bugs of one or two
 * ordering constraints: lock-order). Seed 0 is random, as a plain run. */
#define ARM(kind, depth) {kind, depth, 0, SCHED_BOUND_DEFAULT}
static const struct sched_strategy portfolio_arms[] = {
    ARM(SCHED_RANDOM, 3), ARM(SCHED_POS, 3), ARM(SCHED_PCT, 1), ARM(SCHED_RANDOM, 3),
    ARM(SCHED_PCT, 2),    ARM(SCHED_POS, 3), ARM(SCHED_PCT, 3), ARM(SCHED_RANDOM, 3),
};
#undef ARM
#define PORTFOLIO_ARMS (sizeof portfolio_arms / sizeof portfolio_arms[0])

/* The run's length: the longest of the probe runs, options as they are at seeds
 * 0..RUN_PROBE_SEEDS-1 under random, with no trace, recording or observer (the
 * longest: a failing run ends early). Cached by scenario, config and faults. */
static int probe_steps(const struct run_options *options, uint64_t *steps)
{
    static struct {
        const struct scenario *scenario;
        struct config config;
        uint64_t faults;
        uint32_t fault_count;
        uint64_t steps;
        int valid;
    } cache;
    const struct config *c = &options->config;
    uint64_t faults = 0xcbf29ce484222325ULL; /* FNV-1a over the specs' texts */
    for (uint32_t i = 0; i < options->fault_count; i++)
        for (const char *p = options->faults[i].text; *p; p++)
            faults = (faults ^ (unsigned char)*p) * 0x100000001b3ULL;
    if (cache.valid && cache.scenario == options->scenario && cache.faults == faults &&
        cache.fault_count == options->fault_count && cache.config.count == c->count &&
        memcmp(cache.config.keys, c->keys, c->count * sizeof c->keys[0]) == 0 &&
        memcmp(cache.config.values, c->values, c->count * sizeof c->values[0]) == 0) {
        *steps = cache.steps;
        return 0;
    }
    struct run_options probe = *options;
    probe.strategy = SCHED_STRATEGY_DEFAULT;
    probe.replay = NULL;
    probe.replay_count = 0;
    probe.record_choices = 0;
    probe.trace_out = NULL;
    probe.observer = NULL;
    *steps = 1;
    for (probe.seed = 0; probe.seed < RUN_PROBE_SEEDS; probe.seed++) {
        struct run_result result;
        int rc = run_scenario(&probe, &result);
        if (rc == 0 && result.steps > *steps)
            *steps = result.steps;
        run_result_free(&result);
        if (rc != 0)
            return rc;
    }
    cache.scenario = options->scenario;
    cache.config = options->config;
    cache.faults = faults;
    cache.fault_count = options->fault_count;
    cache.steps = *steps;
    cache.valid = 1;
    return 0;
}

void run_strategy_for_seed(const struct sched_strategy *given, uint64_t seed, uint64_t steps,
                           struct sched_strategy *out)
{
    *out = given->kind == SCHED_PORTFOLIO ? portfolio_arms[seed % PORTFOLIO_ARMS] : *given;
    int measured = out->kind == SCHED_PCT || out->kind == SCHED_DELAY || out->kind == SCHED_PREEMPT;
    if (measured && out->pct_steps == 0)
        out->pct_steps = steps;
    else if (!measured)
        out->pct_steps = 0; /* written as nothing: pos, random and rr take no steps */
}

int run_strategy_resolve(struct run_options *options)
{
    struct sched_strategy *s = &options->strategy;
    if (options->backend == RUN_BACKEND_LINUX)
        return 0;
    run_strategy_for_seed(s, options->seed, 0, s);
    int measured = s->kind == SCHED_PCT || s->kind == SCHED_DELAY || s->kind == SCHED_PREEMPT;
    if (measured && s->pct_steps == 0)
        return probe_steps(options, &s->pct_steps);
    return 0;
}

/* Arms the run's fault plan: libfiu failpoints through the plan, slot faults in the
 * world. Returns 0, or -EINVAL / -ENOMEM with nothing armed. */
/* The run's fault specs: options->faults, then, when heap_fail_nth=N is set, the
 * spec model/heap/alloc:nth=N it stands for. Returns how many are in specs, or
 * -EINVAL (one too many, or a build without libfiu). */
static int fault_specs(const struct run_options *options,
                       struct fault_spec specs[FAULT_SPECS_MAX])
{
    uint32_t count = options->fault_count;
    if (count > FAULT_SPECS_MAX)
        return -EINVAL;
    for (uint32_t i = 0; i < count; i++)
        specs[i] = options->faults[i];
    uint64_t nth = config_get(&options->config, "heap_fail_nth");
    if (nth) {
        char text[64], error[128];
        snprintf(text, sizeof text, "model/heap/alloc:nth=%" PRIu64, nth);
        if (count == FAULT_SPECS_MAX || fault_spec_parse(text, &specs[count], error, sizeof error))
            return -EINVAL;
        count++;
    }
    return (int)count;
}

/* Arms the run's fault plan: libfiu failpoints through the plan, slot faults in the
 * world. Returns 0, or -EINVAL / -ENOMEM with nothing armed. */
static int arm_faults(const struct run_options *options, struct fault_plan *plan,
                      struct fault_spec *specs, struct choice_stream *choices,
                      struct world *world)
{
    static const enum world_slot_kind kinds[] = {
        [FAULT_SLOTS_CHANNELS] = WORLD_SLOTS_CHANNELS,
        [FAULT_SLOTS_PROCS] = WORLD_SLOTS_PROCS,
        [FAULT_SLOTS_HANDLES] = WORLD_SLOTS_HANDLES,
    };
    int count = fault_specs(options, specs);
    if (count < 0)
        return count;
    int rc = fault_plan_arm(plan, specs, (uint32_t)count, choices, &world->step,
                            &world->current);
    if (rc != 0)
        return rc;
    world->faults = plan;
    for (int i = 0; i < count; i++)
        for (uint32_t id = FAULT_SLOTS_CHANNELS; id <= FAULT_SLOTS_HANDLES; id++)
            if (fault_spec_matches(&specs[i], id) &&
                world_slot_fault_add(world, kinds[id], specs[i].free, specs[i].after) != 0) {
                fault_plan_disarm(plan);
                return -EINVAL;
            }
    return 0;
}

/* The run's observers and what they are shown. */
struct observation {
    const struct run_observer *observers;
    struct run_view view;
};

static void observe_event(void *context, const struct trace_event *e)
{
    const struct observation *o = context;
    for (const struct run_observer *r = o->observers; r; r = r->next)
        if (r->on_event)
            r->on_event(r->context, e, &o->view);
}

/* Shows the settled result to the observers; a hang comes with its wait-for graph.
 * Returns 0, or -ENOMEM when the graph could not be built. */
static int observe_end(struct observation *o, struct sched *sched,
                       const struct run_result *result)
{
    struct sched_wait_graph graph = {0};
    int rc = 0;
    if (result->outcome == SCHED_OUTCOME_HANG_DEADLOCK ||
        result->outcome == SCHED_OUTCOME_HANG_BUDGET) {
        rc = sched_wait_graph(sched, &graph);
        if (rc == 0)
            o->view.wait_graph = &graph;
    }
    for (const struct run_observer *r = o->observers; r && rc == 0; r = r->next)
        if (r->on_end)
            r->on_end(r->context, result, &o->view);
    o->view.wait_graph = NULL;
    sched_wait_graph_free(&graph);
    return rc;
}

/* Everything one run owns, so that one function can release it whatever stage
 * the run reached: zeroed, each part is safe to release. */
struct run_parts {
    struct choice_stream choices;
    struct trace trace;
    struct world world;
    struct sched *sched;
    struct fault_plan plan;
    struct fault_spec fault_specs[FAULT_SPECS_MAX]; /* the plan's: options' and heap_fail_nth */
    struct observation observation;
    struct choice_source source; /* options->chooser's draw, for the stream */
};

/* Sets up p for options: the choice stream, the trace, the world, the scheduler
 * with the sys layer's hooks, the boot of init and the root task, then the faults
 * (the boot never sees one). Returns 0, or -ENOMEM / -EINVAL with p to release. A
 * kernel heap too small for the boot is not an error: the run ends in a panic. */
static int run_prepare(const struct run_options *options, struct run_parts *p)
{
    ASSERT(options->scenario && options->scenario->main);
    ASSERT(options->fault_count == 0 || options->faults);
    ASSERT(!options->chooser || options->strategy.kind == SCHED_RANDOM);
    if (options->chooser) {
        p->source = (struct choice_source){options->chooser->draw, options->chooser->context};
        choice_init_source(&p->choices, &p->source);
    } else if (options->replay)
        choice_init_replay(&p->choices, options->replay, options->replay_count);
    else
        choice_init_seed(&p->choices, options->seed);
    if (options->record_choices)
        choice_record_start(&p->choices);
    trace_init(&p->trace);
    p->trace.out = options->trace_out;
    p->trace.format = options->trace_format;
    struct sched_options sched_options = {
        .strategy = options->strategy,
        .max_steps = config_get(&options->config, "max_steps"),
        .max_vtime_ns = config_get(&options->config, "max_vtime"),
        .step_ns = config_get(&options->config, "step_time"),
        .stack_bytes = (size_t)config_get(&options->config, "stack_bytes"),
        .config = &options->config,
        .on_decision = options->chooser ? options->chooser->decision : NULL,
        .decision_context = options->chooser ? options->chooser->context : NULL,
        .track_access = options->track_access,
        .exit_step = options->exit_step,
    };
    int rc = world_create(&p->world, &options->config);
    if (rc != 0)
        return rc;
    if (sched_create(&p->sched, &sched_options, &p->choices, &p->trace) != 0)
        return -ENOMEM;
    p->sched->world = &p->world;
    struct sched_hooks hooks = {sys_on_resume, sys_on_exit, NULL, sys_describe_world,
                                sys_interrupted};
    if (p->world.check_every_step)
        hooks.after_step = sys_after_step; /* world_check after every step */
    sched_set_hooks(p->sched, &hooks);
    sched_trace_names(p->sched, &p->trace.names);
    p->observation = (struct observation){options->observer, {&p->world, &p->trace.names, NULL}};
    if (options->observer) {
        p->trace.observe = observe_event;
        p->trace.observe_context = &p->observation;
    }
    rc = sys_boot(p->sched, options->scenario->main, "main");
    if (rc == -ENOMEM && !p->world.out_of_memory)
        sched_fail(p->sched, SCHED_OUTCOME_PANIC,
                   "PANIC at boot: the kernel heap cannot hold init and the root process "
                   "(heap_bytes too small for proc_bytes?)");
    else if (rc != 0)
        return -ENOMEM;
    p->world.heap.attempts = 0; /* the scenario's allocations, not the boot's */
    return arm_faults(options, &p->plan, p->fault_specs, &p->choices, &p->world);
}

/* A run whose tasks all finished is audited: what is inconsistent is a broken
 * invariant, what is left over a leak (the kinds and owners of what leaked go to
 * key, for the signature). Returns 0, or -ENOMEM when the audit itself
 * ran short (its verdict would be wrong). */
static int audit_passed_run(const struct world *world, struct run_result *result,
                            struct text *key)
{
    struct text broken = {0}, leaks = {0};
    int rc = world_check(world, &broken);
    if (rc == -ENOMEM || broken.failed) {
        rc = -ENOMEM;
    } else if (rc != 0) {
        result->outcome = SCHED_OUTCOME_INVARIANT;
        text_printf(&result->report, "INVARIANT broken at the end of the run:\n%s",
                    text_str(&broken));
    } else {
        uint32_t count = world_audit(world, &leaks);
        if (count) {
            world_leak_shape(world, key);
            result->outcome = SCHED_OUTCOME_LEAK;
            text_printf(&result->report,
                        "LEAK: the run ended with %" PRIu32 " object%s left over:\n%s", count,
                        count == 1 ? "" : "s", text_str(&leaks));
        }
        rc = leaks.failed ? -ENOMEM : 0;
    }
    text_free(&leaks);
    text_free(&broken);
    return rc;
}

/* Copies what the run measured into result; hands over the recording when asked. */
static void collect_result(const struct run_options *options, struct run_parts *p,
                           struct run_result *result)
{
    result->steps = sched_steps(p->sched);
    result->vtime_ns = sched_vtime(p->sched);
    result->hash = trace_hash(&p->trace);
    result->events = p->trace.event_count;
    result->heap_attempts = p->world.heap.attempts;
    result->heap_ooms = p->world.heap.oom_count;
    result->faults_fired = p->plan.fired_total;
    memcpy(result->fault_fires, p->plan.fired_by_point, sizeof result->fault_fires);
    memcpy(result->fault_hits, p->plan.hits, sizeof result->fault_hits);
    result->replay_used = p->choices.replay_position < p->choices.replay_count
                              ? p->choices.replay_position
                              : p->choices.replay_count;
    result->replay_mismatches = p->choices.replay_mismatches;
    result->replay_overruns = p->choices.replay_overruns;
    if (options->record_choices) {
        result->choices = p->choices.log;
        result->choice_count = p->choices.log_count;
        p->choices.log = NULL;
    }
}

static void run_release(struct run_parts *p)
{
    fault_plan_disarm(&p->plan);
    choice_free(&p->choices);
    sys_shared_release(p->sched);
    sched_destroy(p->sched);
    world_destroy(&p->world);
}

int run_scenario(const struct run_options *given, struct run_result *result)
{
    if (given->backend == RUN_BACKEND_LINUX) {
        int rc = linux_run(given, result);
        if (rc == 0 && run_signature_from_report(result, sched_outcome_name(result->outcome)) != 0)
            rc = -ENOMEM;
        return rc;
    }
    *result = (struct run_result){0};
    struct run_options resolved = *given;
    const struct run_options *options = &resolved;
    int rc = run_strategy_resolve(&resolved);
    result->strategy = resolved.strategy;
    if (rc != 0)
        return rc;
    struct run_parts parts = {0};
    rc = run_prepare(options, &parts);
    if (rc == 0) {
        struct text key = {0};
        result->outcome = sched_run(parts.sched, &result->report, &key);
        fault_plan_disarm(&parts.plan);
        if (result->outcome == SCHED_OUTCOME_PASS)
            rc = audit_passed_run(&parts.world, result, &key);
        if (signature_compute(sched_outcome_name(result->outcome), text_str(&key),
                              text_str(&result->report), &result->signature,
                              result->signature_text, sizeof result->signature_text) != 0 ||
            key.failed)
            rc = -ENOMEM; /* a signature from part of its key would split a group */
        text_free(&key);
        collect_result(options, &parts, result);
        if (options->observer && observe_end(&parts.observation, parts.sched, result) != 0)
            rc = -ENOMEM;
        if (parts.choices.log_failed)
            rc = -ENOMEM; /* the recording is incomplete */
        /* The harness, not the scenario, ran short (the simulator's only crash is
         * that): the run has no outcome, rather than a wrong one. */
        if (parts.sched->out_of_memory || result->report.failed ||
            result->outcome == SCHED_OUTCOME_CRASH)
            rc = -ENOMEM;
    }
    run_release(&parts);
    return rc;
}

int run_backend_check(const struct run_options *options, char *error, size_t error_bytes)
{
    if (options->backend == RUN_BACKEND_LINUX)
        return linux_run_check(options, error, error_bytes);
    return 0;
}

void run_backend_capabilities(enum run_backend backend, struct text *out)
{
    if (backend == RUN_BACKEND_LINUX)
        linux_capabilities(out);
}

int run_backend_parse(const char *name)
{
    if (strcmp(name, "sim") == 0)
        return RUN_BACKEND_SIM;
    if (strcmp(name, "linux") == 0)
        return RUN_BACKEND_LINUX;
    return -1;
}

int run_signature_from_report(struct run_result *result, const char *outcome)
{
    return signature_compute(outcome, NULL, text_str(&result->report), &result->signature,
                             result->signature_text, sizeof result->signature_text);
}

void run_format_summary(const struct run_options *options, const struct run_result *result,
                        struct text *out)
{
    char name[64], vtime[32];
    if (options->backend == RUN_BACKEND_LINUX) {
        /* A real run has no trace to hash: its calls, processes and times instead. */
        text_printf(out,
                    "scenario=%s seed=%" PRIu64 " backend=linux outcome=%s calls=%" PRIu64
                    " processes=%" PRIu32 " real=%.3fs vtime=%s\n",
                    scenario_name(options->scenario, name), options->seed,
                    sched_outcome_name(result->outcome), result->steps, result->processes_peak,
                    (double)result->real_ns / 1e9, trace_format_duration(result->vtime_ns, vtime));
        return;
    }
    text_printf(out,
                "scenario=%s seed=%" PRIu64 " outcome=%s steps=%" PRIu64 " vtime=%s "
                "hash=0x%016" PRIx64,
                scenario_name(options->scenario, name), options->seed,
                sched_outcome_name(result->outcome), result->steps,
                trace_format_duration(result->vtime_ns, vtime), result->hash);
    /* Only when some fired, so that a run without faults reads as it always did. */
    if (result->faults_fired)
        text_printf(out, " faults=%" PRIu64, result->faults_fired);
    text_printf(out, "\n");
}

void run_result_free(struct run_result *result)
{
    text_free(&result->report);
    free(result->choices);
    result->choices = NULL;
}
