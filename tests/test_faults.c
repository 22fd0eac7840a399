/* Fault injection: every failpoint fires and its error path is reached with the
 * world left consistent; p=, nth=, after=, times=, every= and patterns select
 * exactly the hits they should; slot faults; the same seed and specs fire the same
 * faults, and a recording replays them; bad specs. Test-only scenarios live here. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "sim/sys.h"
#include "util/errno_name.h"

static char cli_dir[64]; /* the command-line tests' scratch directory, once made */

static void remove_cli_dir(void)
{
    if (!cli_dir[0])
        return;
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", cli_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", cli_dir);
    cli_dir[0] = '\0';
}

TestSuite(faults, .fini = remove_cli_dir);

/* ---- running with faults ------------------------------------------------------------ */

struct faulted_run {
    struct run_result result;
    char *trace; /* the text (or JSON Lines) trace, when asked for */
    size_t trace_bytes;
};

/* Runs scenario at seed with the NULL-terminated specs and settings; records the
 * choices when record; replays replay[0..replay_count) when replay is not NULL;
 * captures the trace in format when want_trace. */
static struct faulted_run run_faults_full(const char *scenario, uint64_t seed,
                                          const char *const *specs, const char *const *sets,
                                          int record, int want_trace, enum trace_format format,
                                          const struct choice_record *replay,
                                          size_t replay_count)
{
    static struct fault_spec parsed[FAULT_SPECS_MAX];
    struct run_options options = {0};
    options.scenario = scenario_find(scenario);
    cr_assert(options.scenario, "scenario %s is registered", scenario);
    options.seed = seed;
    char error[256];
    cr_assert_eq(run_parse_strategy("random", &options.strategy, error, sizeof error), 0);
    cr_assert_eq(run_config_init(&options.config, options.scenario), 0);
    for (const char *const *set = sets; set && *set; set++)
        cr_assert_eq(config_assign(&options.config, *set, error, sizeof error), 0, "%s", error);
    uint32_t count = 0;
    for (const char *const *spec = specs; spec && *spec; spec++, count++)
        cr_assert_eq(fault_spec_parse(*spec, &parsed[count], error, sizeof error), 0,
                     "spec %s: %s", *spec, error);
    options.faults = parsed;
    options.fault_count = count;
    options.record_choices = record;
    options.replay = replay;
    options.replay_count = replay_count;
    options.trace_format = format;
    struct faulted_run run = {0};
    if (want_trace) {
        options.trace_out = open_memstream(&run.trace, &run.trace_bytes);
        cr_assert_not_null(options.trace_out);
    }
    cr_assert_eq(run_scenario(&options, &run.result), 0, "run of %s seed %" PRIu64, scenario,
                 seed);
    if (want_trace)
        fclose(options.trace_out);
    return run;
}

static struct faulted_run run_faults(const char *scenario, uint64_t seed,
                                     const char *const *specs, const char *const *sets)
{
    return run_faults_full(scenario, seed, specs, sets, 0, 1, TRACE_FORMAT_TEXT, NULL, 0);
}

static void faulted_free(struct faulted_run *run)
{
    run_result_free(&run->result);
    free(run->trace);
    run->trace = NULL;
}

/* Counts the lines of text containing needle. */
static unsigned count_lines_with(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        char buffer[512];
        snprintf(buffer, sizeof buffer, "%.*s", (int)(length < 511 ? length : 511), line);
        n += strstr(buffer, needle) != NULL;
        line = end ? end + 1 : NULL;
    }
    return n;
}

/* ---- one operation, twice ------------------------------------------------------------ */

enum op {
    OP_TRY_ALLOC,
    OP_CHAN_CREATE,
    OP_SEND_LARGE,
    OP_PORT_CREATE,
    OP_SPAWN,
    OP_RECV_HANDLE,
    OP_FD,
    OP_ALLOC_IN_CHILD,
    OP_MIX,
};

static const struct config_key fault_ops_params[] = {
    {"op", CONFIG_UINT, 0, 0, 20, "which operation to try twice (enum op)"},
    {0},
};

static struct {
    int64_t first, second, third;
    int child_status;
} ops;

static void quiet_child(void *arg)
{
    (void)arg;
    sys_yield();
}

static void allocating_child(void *arg)
{
    (void)arg;
    int64_t block = sys_alloc(64);
    if (block > 0)
        sys_free((uint32_t)block);
}

static int64_t create_and_close(void)
{
    uint32_t ends[2];
    int rc = sys_chan_create(ends);
    if (rc == 0) {
        sys_close(ends[0]);
        sys_close(ends[1]);
    }
    return rc;
}

static int64_t port_and_close(void)
{
    int port = sys_port_create();
    if (port >= 0)
        sys_close((uint32_t)port);
    return port;
}

static int64_t alloc_and_free(void)
{
    int64_t block = sys_try_alloc(100);
    if (block > 0)
        sys_free((uint32_t)block);
    return block;
}

static int64_t spawn_and_wait(void)
{
    int pid = sys_spawn("child", quiet_child, NULL);
    if (pid > 0)
        sys_wait((uint32_t)pid, NULL);
    return pid;
}

static void send_large_twice(void)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "create");
    ops.first = sys_chan_send(ends[0], 1000, NULL, 0, 0);
    ops.second = sys_chan_send(ends[0], 1000, NULL, 0, 0);
    struct chan_received m;
    sys_check(sys_chan_recv(ends[1], &m, 0, 0) == 0 && m.bytes == 1000, "the sent one arrives");
    sys_close(ends[0]);
    sys_close(ends[1]);
}

/* A message carries a handle; the first receive may be refused (-EMFILE): the
 * message must stay queued for the second. */
static void receive_handle_twice(void)
{
    uint32_t pipe[2], carried[2];
    sys_check(sys_chan_create(pipe) == 0 && sys_chan_create(carried) == 0, "create");
    sys_check(sys_chan_send(pipe[0], 8, &carried[0], 1, 0) == 0, "send");
    struct chan_received m;
    ops.first = sys_chan_recv(pipe[1], &m, SYS_NONBLOCK, 0);
    if (ops.first == 0)
        sys_close(m.handles[0]);
    ops.second = sys_chan_recv(pipe[1], &m, SYS_NONBLOCK, 0);
    if (ops.second == 0) {
        sys_check(m.handle_count == 1, "the handle arrives");
        sys_close(m.handles[0]);
    }
    sys_close(carried[1]);
    sys_close(pipe[0]);
    sys_close(pipe[1]);
}

static void fd_twice(void)
{
    uint32_t ends[2];
    sys_check(sys_chan_create(ends) == 0, "create");
    ops.first = sys_fd_from_handle(ends[0]);
    if (ops.first >= 0)
        sys_close((uint32_t)ops.first);
    ops.second = sys_fd_from_handle(ends[0]);
    if (ops.second >= 0)
        sys_close((uint32_t)ops.second);
    sys_close(ends[0]);
    sys_close(ends[1]);
}

SCENARIO(test_fault_ops, "test: one fallible operation, tried twice", fault_ops_params)
{
    ops.first = ops.second = ops.third = 1000;
    ops.child_status = 0;
    switch ((enum op)sys_param("op")) {
    case OP_TRY_ALLOC:
        ops.first = alloc_and_free();
        ops.second = alloc_and_free();
        break;
    case OP_CHAN_CREATE:
        ops.first = create_and_close();
        ops.second = create_and_close();
        break;
    case OP_SEND_LARGE:
        send_large_twice();
        break;
    case OP_PORT_CREATE:
        ops.first = port_and_close();
        ops.second = port_and_close();
        break;
    case OP_SPAWN:
        ops.first = spawn_and_wait();
        ops.second = spawn_and_wait();
        break;
    case OP_RECV_HANDLE:
        receive_handle_twice();
        break;
    case OP_FD:
        fd_twice();
        break;
    case OP_ALLOC_IN_CHILD: {
        int pid = sys_spawn("allocator", allocating_child, NULL);
        sys_check(pid > 0, "spawn");
        ops.first = sys_wait((uint32_t)pid, &ops.child_status);
        break;
    }
    case OP_MIX:
        ops.first = alloc_and_free();
        ops.second = create_and_close();
        ops.third = port_and_close();
        break;
    }
}

struct point_case {
    const char *spec;
    enum op op;
    enum fault_point_id point;
    int error;
};

Test(faults, every_failpoint_fires_its_error_and_leaves_the_world_consistent)
{
    static const struct point_case cases[] = {
        {"model/heap/alloc:nth=1", OP_TRY_ALLOC, FAULT_HEAP_ALLOC, -ENOMEM},
        {"model/chan/create:nth=1", OP_CHAN_CREATE, FAULT_CHAN_CREATE, -ENOMEM},
        {"model/chan/send:nth=1", OP_SEND_LARGE, FAULT_CHAN_SEND, -ENOMEM},
        {"model/port/create:nth=1", OP_PORT_CREATE, FAULT_PORT_CREATE, -ENOMEM},
        {"model/proc/spawn:nth=1", OP_SPAWN, FAULT_PROC_SPAWN, -EAGAIN},
        {"model/proc/handle:nth=1", OP_CHAN_CREATE, FAULT_PROC_HANDLE, -EMFILE},
        {"model/proc/handle:nth=3", OP_RECV_HANDLE, FAULT_PROC_HANDLE, -EMFILE},
        {"model/chan/fd:nth=1", OP_FD, FAULT_CHAN_FD, -ENFILE},
    };
    int covered[FAULT_POINT_COUNT] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct point_case *c = &cases[i];
        char op[32];
        snprintf(op, sizeof op, "op=%d", (int)c->op);
        const char *specs[] = {c->spec, NULL};
        /* A refused handle leaves the message queued when handles move; copied, it
         * would be dropped (MSG_CTRUNC: tests/test_chan.c). */
        const char *sets[] = {op, "check=true", "handle_transfer=move", NULL};
        for (uint64_t seed = 0; seed < 5; seed++) {
            struct faulted_run run = run_faults("test-fault-ops", seed, specs, sets);
            struct run_result *r = &run.result;
            cr_assert_eq(r->outcome, SCHED_OUTCOME_PASS, "%s seed %" PRIu64 ": %s", c->spec, seed,
                         text_str(&r->report));
            cr_assert_eq(ops.first, c->error, "%s seed %" PRIu64 ": first try gave %" PRId64,
                         c->spec, seed, ops.first);
            cr_assert_geq(ops.second, 0, "%s seed %" PRIu64 ": the retry gave %" PRId64
                                         " (state not left unchanged?)",
                          c->spec, seed, ops.second);
            cr_assert_eq(r->faults_fired, 1, "%s seed %" PRIu64, c->spec, seed);
            cr_assert_eq(r->fault_fires[c->point], 1, "%s seed %" PRIu64, c->spec, seed);
            char line[128];
            snprintf(line, sizeof line, "fault         %s fired -> %s", fault_points[c->point].name,
                     errno_name(c->error));
            cr_assert_eq(count_lines_with(run.trace, line), 1, "%s seed %" PRIu64 ":\n%s", c->spec,
                         seed, run.trace);
            faulted_free(&run);
        }
        covered[c->point] = 1;
    }
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++)
        if (!fault_points[id].is_slots && id != FAULT_HEAP_ALLOC)
            cr_assert(covered[id], "failpoint %s has a case", fault_points[id].name);
}

Test(faults, an_infallible_allocation_fault_applies_the_oom_policy)
{
    /* Hit 1 is the child's process struct, hit 2 its sys_alloc. */
    const char *specs[] = {"model/heap/alloc:nth=2", NULL};
    const char *kill[] = {"op=7", "check=true", "oom_policy=kill-process", NULL};
    struct faulted_run run = run_faults("test-fault-ops", 1, specs, kill);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&run.result.report));
    cr_assert(SYS_WIFSIGNALED(ops.child_status) && SYS_WTERMSIG(ops.child_status) == SIG_KILL,
              "the allocating child is killed (the OOM kill): status %#x", ops.child_status);
    cr_assert_eq(run.result.fault_fires[FAULT_HEAP_ALLOC], 1);
    cr_assert_eq(count_lines_with(run.trace, "model/heap/alloc fired -> -ENOMEM"), 1, "%s",
                 run.trace);
    faulted_free(&run);
    const char *halt[] = {"op=7", "check=true", NULL};
    run = run_faults("test-fault-ops", 1, specs, halt);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PANIC, "oom_policy=halt halts");
    cr_assert(strstr(text_str(&run.result.report), "[KERNEL OOM] size=64"), "%s",
              text_str(&run.result.report));
    faulted_free(&run);
}

/* ---- which hits fire --------------------------------------------------------------- */

#define HITS_MAX 200

static const struct config_key fault_hits_params[] = {
    {"count", CONFIG_UINT, 30, 1, HITS_MAX, "allocations to try"},
    {0},
};

static uint8_t hit_failed[HITS_MAX];

SCENARIO(test_fault_hits, "test: many fallible allocations in a row", fault_hits_params)
{
    uint64_t count = sys_param("count");
    for (uint64_t i = 0; i < count; i++) {
        int64_t block = sys_try_alloc(16);
        hit_failed[i] = block < 0;
        if (block > 0)
            sys_free((uint32_t)block);
    }
}

/* Runs test-fault-hits with specs and writes which hits failed as a '0'/'1' string. */
static void failed_hits(uint64_t seed, const char *const *specs, unsigned count, char *out)
{
    char set[32];
    snprintf(set, sizeof set, "count=%u", count);
    const char *sets[] = {set, NULL};
    struct faulted_run run = run_faults_full("test-fault-hits", seed, specs, sets, 0, 0,
                                             TRACE_FORMAT_TEXT, NULL, 0);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&run.result.report));
    unsigned fired = 0;
    for (unsigned i = 0; i < count; i++) {
        out[i] = hit_failed[i] ? '1' : '0';
        fired += hit_failed[i];
    }
    out[count] = '\0';
    cr_assert_eq(run.result.faults_fired, fired, "faults=N counts what failed: %s", out);
    faulted_free(&run);
}

static void expect_hits(const char *spec_a, const char *spec_b, const char *want)
{
    const char *specs[] = {spec_a, spec_b, NULL};
    char got[HITS_MAX + 1];
    failed_hits(7, specs, (unsigned)strlen(want), got);
    cr_assert_str_eq(got, want, "%s %s", spec_a, spec_b ? spec_b : "");
}

Test(faults, nth_every_times_and_overlaps_select_exactly_their_hits)
{
    expect_hits("model/heap/alloc:nth=5", NULL, "000010000000");
    expect_hits("model/heap/alloc:every=3", NULL, "001001001001");
    expect_hits("model/heap/alloc:every=3,times=2", NULL, "001001000000");
    expect_hits("model/heap/alloc:times=2", NULL, "110000000000");
    expect_hits("model/heap/alloc:nth=4,every=2", NULL, "000100000000");
    expect_hits("model/heap/alloc:nth=3,every=2", NULL, "000000000000");
    expect_hits("model/heap/alloc", NULL, "111111111111");
    expect_hits("model/heap/alloc:p=0", NULL, "000000000000");
    expect_hits("model/heap/alloc:p=1", NULL, "111111111111");
    /* Two specs count separately; a hit fires once. */
    expect_hits("model/heap/alloc:nth=2", "model/heap/alloc:nth=4", "010100000000");
    expect_hits("model/heap/alloc:every=2", "model/heap/alloc:nth=4", "010101010101");
}

Test(faults, probability_fires_about_that_share_the_same_way_for_a_seed)
{
    const char *specs[] = {"model/heap/alloc:p=0.25", NULL};
    char first[HITS_MAX + 1], again[HITS_MAX + 1];
    unsigned distinct = 0;
    char previous[HITS_MAX + 1] = "";
    for (uint64_t seed = 0; seed < 20; seed++) {
        failed_hits(seed, specs, HITS_MAX, first);
        failed_hits(seed, specs, HITS_MAX, again);
        cr_assert_str_eq(first, again, "seed %" PRIu64 ": the same seed fires the same hits",
                         seed);
        unsigned fired = 0;
        for (unsigned i = 0; i < HITS_MAX; i++)
            fired += first[i] == '1';
        cr_assert(fired >= 25 && fired <= 80, "seed %" PRIu64 ": %u of %d fired at p=0.25", seed,
                  fired, HITS_MAX);
        distinct += strcmp(first, previous) != 0;
        snprintf(previous, sizeof previous, "%s", first);
    }
    cr_assert_geq(distinct, 19, "different seeds fire different hits");
}

Test(faults, a_probability_draw_is_a_recorded_fault_choice)
{
    const char *specs[] = {"model/heap/alloc:p=0.5", NULL};
    const char *sets[] = {"count=40", NULL};
    struct faulted_run run = run_faults_full("test-fault-hits", 3, specs, sets, 1, 0,
                                             TRACE_FORMAT_TEXT, NULL, 0);
    size_t draws = 0, fired_values = 0;
    for (size_t i = 0; i < run.result.choice_count; i++) {
        const struct choice_record *c = &run.result.choices[i];
        if (c->kind != CHOICE_FAULT)
            continue;
        draws++;
        cr_assert_eq(c->range, FAULT_PPM_ONE);
        fired_values += c->value >= FAULT_PPM_ONE / 2;
    }
    cr_assert_eq(draws, 40, "one draw per hit");
    cr_assert_eq(fired_values, run.result.faults_fired, "the drawn values decide");
    /* Lowering every fault value to 0 fires nothing: the simpler run. */
    for (size_t i = 0; i < run.result.choice_count; i++)
        if (run.result.choices[i].kind == CHOICE_FAULT)
            run.result.choices[i].value = 0;
    struct faulted_run simpler = run_faults_full("test-fault-hits", 3, specs, sets, 0, 0,
                                                 TRACE_FORMAT_TEXT, run.result.choices,
                                                 run.result.choice_count);
    cr_assert_eq(simpler.result.faults_fired, 0);
    cr_assert_eq(simpler.result.replay_mismatches, 0);
    faulted_free(&simpler);
    faulted_free(&run);
}

/* Parses "step":N and "result":R of every line of a JSON Lines trace with op. */
static unsigned jsonl_events(const char *trace, const char *op, uint64_t *steps, char results[][16],
                             unsigned max)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"op\":\"%s\"", op);
    unsigned n = 0;
    for (const char *line = trace; line && *line && n < max;) {
        const char *end = strchr(line, '\n');
        const char *found = strstr(line, needle);
        if (found && (!end || found < end)) {
            steps[n] = strtoull(strstr(line, "\"step\":") + 7, NULL, 10);
            const char *result = strstr(line, "\"result\":") + 9;
            size_t length = strcspn(result, ",}");
            snprintf(results[n], sizeof results[n], "%.*s", (int)length, result);
            n++;
        }
        line = end ? end + 1 : NULL;
    }
    return n;
}

Test(faults, after_selects_the_hits_from_that_step_on)
{
    const char *sets[] = {"count=40", NULL};
    for (uint64_t after = 10; after <= 50; after += 20) {
        char spec[64];
        snprintf(spec, sizeof spec, "model/heap/alloc:after=%" PRIu64, after);
        const char *specs[] = {spec, NULL};
        struct faulted_run run = run_faults_full("test-fault-hits", 5, specs, sets, 0, 1,
                                                 TRACE_FORMAT_JSONL, NULL, 0);
        uint64_t steps[64];
        char results[64][16];
        unsigned n = jsonl_events(run.trace, "try_alloc", steps, results, 64);
        cr_assert_eq(n, 40);
        unsigned failed = 0;
        for (unsigned i = 0; i < n; i++) {
            int is_failure = strcmp(results[i], "\"-ENOMEM\"") == 0;
            cr_assert_eq(is_failure, steps[i] >= after, "after=%" PRIu64 ": step %" PRIu64 " %s",
                         after, steps[i], results[i]);
            failed += is_failure;
        }
        cr_assert_eq(run.result.faults_fired, failed);
        faulted_free(&run);
    }
    /* Hits before the step are not counted: nth=1 is the first hit from it. */
    const char *specs[] = {"model/heap/alloc:after=20,nth=1", NULL};
    struct faulted_run run = run_faults_full("test-fault-hits", 5, specs, sets, 0, 1,
                                             TRACE_FORMAT_JSONL, NULL, 0);
    uint64_t steps[64];
    char results[64][16];
    unsigned n = jsonl_events(run.trace, "try_alloc", steps, results, 64);
    int seen = 0;
    for (unsigned i = 0; i < n; i++) {
        int is_failure = strcmp(results[i], "\"-ENOMEM\"") == 0;
        cr_assert_eq(is_failure, steps[i] >= 20 && !seen, "step %" PRIu64, steps[i]);
        seen |= steps[i] >= 20;
    }
    cr_assert_eq(run.result.faults_fired, 1);
    faulted_free(&run);
}

Test(faults, patterns_arm_a_module_and_count_hits_across_its_points)
{
    const char *sets[] = {"op=8", "check=true", NULL};
    const char *chan[] = {"model/chan/*", NULL};
    struct faulted_run run = run_faults("test-fault-ops", 0, chan, sets);
    cr_assert_gt(ops.first, 0, "heap untouched");
    cr_assert_eq(ops.second, -ENOMEM, "model/chan/create fired");
    cr_assert_geq(ops.third, 0, "ports untouched");
    cr_assert_eq(count_lines_with(run.trace, " fault "), 1, "%s", run.trace);
    cr_assert_eq(count_lines_with(run.trace, "model/chan/create fired"), 1, "%s", run.trace);
    faulted_free(&run);
    /* model/(star): the second hit of any model point is chan_create's handle-room check. */
    const char *every[] = {"model/*:nth=2", NULL};
    run = run_faults("test-fault-ops", 0, every, sets);
    cr_assert_gt(ops.first, 0);
    cr_assert_eq(ops.second, -EMFILE, "model/proc/handle is the second hit");
    cr_assert_geq(ops.third, 0);
    faulted_free(&run);
    const char *all[] = {"*", NULL};
    run = run_faults("test-fault-ops", 0, all, sets);
    cr_assert_eq(ops.first, -ENOMEM);
    cr_assert_eq(ops.second, -EMFILE);
    cr_assert_eq(ops.third, -EMFILE);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS);
    faulted_free(&run);
}

/* ---- slot faults ------------------------------------------------------------------ */

static const struct config_key slot_params[] = {
    {"kind", CONFIG_UINT, 0, 0, 3, "0 channels held, 1 channels cycled, 2 procs, 3 handles"},
    {0},
};

static struct {
    int created;
    int error;
    int64_t results[8];
} slots;

static void sleeping_child(void *arg)
{
    (void)arg;
    sys_sleep(SYS_NS_PER_MS);
}

SCENARIO(test_fault_slots, "test: fill a table until it refuses", slot_params)
{
    slots.created = 0;
    slots.error = 0;
    switch (sys_param("kind")) {
    case 0: { /* hold channels until refused, then release them */
        uint32_t ends[16][2];
        int n = 0;
        while (n < 16 && (slots.error = sys_chan_create(ends[n])) == 0)
            n++;
        slots.created = n;
        for (int i = 0; i < n; i++) {
            sys_close(ends[i][0]);
            sys_close(ends[i][1]);
        }
        break;
    }
    case 1: /* create and close, many times */
        for (int i = 0; i < 20; i++)
            slots.created += create_and_close() == 0;
        break;
    case 2: { /* children that stay alive a while */
        int pids[8], n = 0;
        while (n < 8 && (pids[n] = sys_spawn("sleeper", sleeping_child, NULL)) > 0)
            n++;
        slots.created = n;
        slots.error = n < 8 ? pids[n] : 0;
        for (int i = 0; i < n; i++)
            sys_wait((uint32_t)pids[i], NULL);
        break;
    }
    case 3: { /* handles: two, two more (refused), one, one more (refused) */
        uint32_t a[2], b[2];
        slots.results[0] = sys_chan_create(a);
        slots.results[1] = sys_chan_create(b);
        slots.results[2] = sys_fd_from_handle(a[0]);
        slots.results[3] = sys_fd_from_handle(a[0]);
        slots.results[4] = sys_port_create();
        sys_closerange(0, 31);
        slots.results[5] = sys_chan_create(b); /* room again */
        sys_closerange(0, 31);
        break;
    }
    }
}

Test(faults, slots_channels_leaves_only_free_slots)
{
    const char *specs[] = {"slots/channels:free=3", NULL};
    const char *sets[] = {"kind=0", "check=true", NULL};
    struct faulted_run run = run_faults("test-fault-slots", 0, specs, sets);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&run.result.report));
    cr_assert_eq(slots.created, 3);
    cr_assert_eq(slots.error, -ENFILE);
    cr_assert_eq(run.result.fault_fires[FAULT_SLOTS_CHANNELS], 1);
    cr_assert_eq(count_lines_with(run.trace, "slots/channels fired -> -ENFILE"), 1, "%s",
                 run.trace);
    cr_assert_eq(count_lines_with(run.trace, "[ipc] channel_create_pair: all 64 slots exhausted"),
                 1);
    cr_assert_eq(count_lines_with(run.trace, "fault slots/channels: 3 free channel slots left"),
                 1, "%s", run.trace);
    faulted_free(&run);
    /* Without the fault all 16 fit. */
    const char *none[] = {NULL};
    run = run_faults("test-fault-slots", 0, none, sets);
    cr_assert_eq(slots.created, 16);
    cr_assert_eq(run.result.faults_fired, 0);
    faulted_free(&run);
}

Test(faults, slots_after_takes_effect_at_that_step)
{
    const char *specs[] = {"slots/channels:free=0,after=25", NULL};
    const char *sets[] = {"kind=1", "check=true", NULL};
    struct faulted_run run = run_faults_full("test-fault-slots", 2, specs, sets, 0, 1,
                                             TRACE_FORMAT_JSONL, NULL, 0);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&run.result.report));
    uint64_t steps[32];
    char results[32][16];
    unsigned n = jsonl_events(run.trace, "chan_create", steps, results, 32);
    cr_assert_eq(n, 20);
    unsigned refused = 0;
    for (unsigned i = 0; i < n; i++) {
        int is_refusal = strcmp(results[i], "\"-ENFILE\"") == 0;
        cr_assert_eq(is_refusal, steps[i] >= 25, "step %" PRIu64 ": %s", steps[i], results[i]);
        refused += is_refusal;
    }
    cr_assert_gt(refused, 0);
    cr_assert_eq(run.result.faults_fired, refused);
    faulted_free(&run);
}

Test(faults, slots_procs_and_handles)
{
    const char *procs[] = {"slots/procs:free=2", NULL};
    const char *procs_sets[] = {"kind=2", "check=true", NULL};
    struct faulted_run run = run_faults("test-fault-slots", 0, procs, procs_sets);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&run.result.report));
    cr_assert_eq(slots.created, 2);
    cr_assert_eq(slots.error, -EAGAIN);
    cr_assert_eq(run.result.fault_fires[FAULT_SLOTS_PROCS], 1);
    faulted_free(&run);

    const char *handles[] = {"slots/handles:free=3", NULL};
    const char *handle_sets[] = {"kind=3", "check=true", NULL};
    run = run_faults("test-fault-slots", 0, handles, handle_sets);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_PASS, "%s", text_str(&run.result.report));
    cr_assert_eq(slots.results[0], 0);
    cr_assert_eq(slots.results[1], -EMFILE, "two handles do not fit in one free entry");
    cr_assert_geq(slots.results[2], 0, "one does");
    cr_assert_eq(slots.results[3], -EMFILE);
    cr_assert_eq(slots.results[4], -EMFILE);
    cr_assert_eq(slots.results[5], 0, "closing makes room again");
    cr_assert_eq(run.result.fault_fires[FAULT_SLOTS_HANDLES], 3);
    faulted_free(&run);
}

/* ---- determinism, replay, consistency --------------------------------------------- */

Test(faults, same_seed_and_specs_fire_the_same_faults_and_a_recording_replays_them)
{
    const char *specs[] = {"model/*:p=0.08", "slots/channels:free=3,after=40", NULL};
    const char *sets[] = {"check=true", NULL};
    uint64_t total = 0;
    for (uint64_t seed = 0; seed < 60; seed++) {
        struct faulted_run a = run_faults_full("ipc-workload", seed, specs, sets, 1, 0,
                                               TRACE_FORMAT_TEXT, NULL, 0);
        struct faulted_run b = run_faults_full("ipc-workload", seed, specs, sets, 0, 0,
                                               TRACE_FORMAT_TEXT, NULL, 0);
        cr_assert_eq(a.result.hash, b.result.hash, "seed %" PRIu64, seed);
        cr_assert_eq(a.result.faults_fired, b.result.faults_fired, "seed %" PRIu64, seed);
        cr_assert_eq(memcmp(a.result.fault_fires, b.result.fault_fires,
                            sizeof a.result.fault_fires),
                     0, "seed %" PRIu64, seed);
        cr_assert_neq(a.result.outcome, SCHED_OUTCOME_INVARIANT, "seed %" PRIu64 ": %s", seed,
                      text_str(&a.result.report));
        struct faulted_run replayed =
            run_faults_full("ipc-workload", seed ^ 0xdead, specs, sets, 0, 0, TRACE_FORMAT_TEXT,
                            a.result.choices, a.result.choice_count);
        cr_assert_eq(replayed.result.hash, a.result.hash, "seed %" PRIu64 " replayed", seed);
        cr_assert_eq(replayed.result.faults_fired, a.result.faults_fired);
        cr_assert_eq(replayed.result.replay_mismatches + replayed.result.replay_overruns, 0);
        total += a.result.faults_fired;
        faulted_free(&a);
        faulted_free(&b);
        faulted_free(&replayed);
    }
    cr_assert_gt(total, 60, "faults did fire");
}

Test(faults, the_world_stays_consistent_under_every_failpoint)
{
    static const char *const points[] = {
        "model/heap/alloc:p=0.2",  "model/chan/create:p=0.5", "model/chan/send:p=0.5",
        "model/chan/fd:p=0.5",     "model/port/create",       "model/proc/spawn:p=0.5",
        "model/proc/handle:p=0.1", "slots/channels:free=1",   "slots/procs:free=1,after=10",
        "slots/handles:free=2",
    };
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
        for (uint64_t seed = 0; seed < 25; seed++) {
            const char *specs[] = {points[i], NULL};
            const char *sets[] = {"check=true", "oom_policy=kill-process", "infallible=true",
                                  NULL};
            struct faulted_run run = run_faults_full("ipc-workload", seed, specs, sets, 0, 0,
                                                     TRACE_FORMAT_TEXT, NULL, 0);
            cr_assert(run.result.outcome != SCHED_OUTCOME_INVARIANT &&
                          run.result.outcome != SCHED_OUTCOME_CRASH,
                      "%s seed %" PRIu64 ": %s", points[i], seed, text_str(&run.result.report));
            faulted_free(&run);
        }
}

Test(faults, a_run_after_a_faulted_run_is_untouched)
{
    const char *specs[] = {"model/*:p=0.3", NULL};
    struct faulted_run faulted = run_faults("ipc-workload", 4, specs, NULL);
    cr_assert_gt(faulted.result.faults_fired, 0);
    faulted_free(&faulted);
    cr_assert_eq(fault_armed, 0, "disarmed at the end of the run");
    struct run_result plain = run_with("ipc-workload", 4, "random", 0, NULL);
    struct faulted_run none = run_faults("ipc-workload", 4, NULL, NULL);
    cr_assert_eq(none.result.hash, plain.hash);
    cr_assert_eq(none.result.faults_fired, 0);
    struct text summary = {0};
    struct run_options options = {.scenario = scenario_find("ipc-workload"), .seed = 4};
    run_format_summary(&options, &plain, &summary);
    cr_assert_null(strstr(text_str(&summary), "faults="), "no faults= without faults");
    text_free(&summary);
    run_result_free(&plain);
    faulted_free(&none);
}

/* ---- parsing ------------------------------------------------------------------------ */

static void expect_spec_error(const char *text, const char *needle)
{
    struct fault_spec spec;
    char error[256] = "";
    cr_assert_eq(fault_spec_parse(text, &spec, error, sizeof error), -EINVAL, "'%s' accepted",
                 text);
    cr_assert(strstr(error, needle), "'%s': error '%s' should say '%s'", text, error, needle);
}

Test(faults, spec_parsing)
{
    struct fault_spec spec;
    char error[256];
    cr_assert_eq(fault_spec_parse("model/chan/*:p=0.25,nth=3,after=500,times=2,every=4", &spec,
                                  error, sizeof error),
                 0, "%s", error);
    cr_assert_eq(spec.p_ppm, 250000);
    cr_assert_eq(spec.nth, 3);
    cr_assert_eq(spec.after, 500);
    cr_assert_eq(spec.times, 2);
    cr_assert_eq(spec.every, 4);
    cr_assert(spec.is_prefix);
    cr_assert(fault_spec_matches(&spec, FAULT_CHAN_SEND));
    cr_assert(!fault_spec_matches(&spec, FAULT_HEAP_ALLOC));
    cr_assert_eq(fault_spec_parse("model/heap/alloc:p=.000001", &spec, error, sizeof error), 0);
    cr_assert_eq(spec.p_ppm, 1);
    cr_assert_eq(fault_spec_parse("model/heap/alloc:p=1.0", &spec, error, sizeof error), 0);
    cr_assert_eq(spec.p_ppm, FAULT_PPM_ONE);
    cr_assert_eq(fault_spec_parse("slots/*:free=0", &spec, error, sizeof error), 0);
    cr_assert(fault_spec_matches(&spec, FAULT_SLOTS_PROCS));
    cr_assert(!fault_spec_matches(&spec, FAULT_HEAP_ALLOC));
    cr_assert_eq(fault_spec_parse("*", &spec, error, sizeof error), 0);
    cr_assert(!fault_spec_matches(&spec, FAULT_SLOTS_PROCS), "'*' arms failpoints, not slots");

    expect_spec_error("x:p=2", "p must be between 0 and 1");
    expect_spec_error("model/heap/alloc:p=1.5", "p must be between 0 and 1");
    expect_spec_error("model/heap/alloc:p=0.1234567", "at most 6 decimals");
    expect_spec_error("model/heap/alloc:p=-0.5", "p must be between 0 and 1");
    expect_spec_error("model/heap/alloc:p=", "p must be between 0 and 1");
    expect_spec_error("model/heap/alloc:nth=0", "nth must be a positive integer");
    expect_spec_error("model/heap/alloc:every=x", "every must be a positive integer");
    expect_spec_error("model/heap/alloc:after=soon", "after must be a step number");
    expect_spec_error("model/heap/alloc:colour=red", "unknown key 'colour'");
    expect_spec_error("model/heap/alloc:p", "'p' should be KEY=VALUE");
    expect_spec_error("model/heap/alloc:", "nothing after ':'");
    expect_spec_error("model/heap/aloc", "no failpoint named 'model/heap/aloc'");
    expect_spec_error("model/nope/*", "no failpoint matches 'model/nope/*'");
    expect_spec_error("model/*/alloc", "'*' may only end a pattern");
    expect_spec_error(":p=1", "no failpoint name");
    expect_spec_error("slots/channels", "needs free=N");
    expect_spec_error("slots/channels:free=1,p=0.5", "takes only free= and after=");
    expect_spec_error("model/heap/alloc:free=1", "free= applies only to slot faults");
}

/* ---- the command line --------------------------------------------------------------- */

struct cli_output {
    int status;
    char out[65536];
    char err[4096];
};

/* Runs "$DETSIM args" in a scratch directory (DETSIM_BIN, default build/detsim). */
static struct cli_output *detsim(const char *format, ...) __attribute__((format(printf, 1, 2)));


static struct cli_output *detsim(const char *format, ...)
{
    static struct cli_output r;
    char *dir = cli_dir;
    if (!dir[0]) {
        snprintf(dir, sizeof cli_dir, "/tmp/detsim-faults-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
    }
    char cwd[1024], args[2048], command[4096];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    const char *bin = getenv("DETSIM_BIN") ? getenv("DETSIM_BIN") : "build/detsim";
    va_list list;
    va_start(list, format);
    vsnprintf(args, sizeof args, format, list);
    va_end(list);
    snprintf(command, sizeof command, "cd %s && %s%s%s %s </dev/null >out 2>err", dir,
             bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, args);
    int raw = system(command);
    cr_assert(WIFEXITED(raw), "detsim %s did not exit normally", args);
    r.status = WEXITSTATUS(raw);
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(r.out, 1, sizeof r.out - 1, f) : 0;
    r.out[n] = '\0';
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/err", dir);
    f = fopen(path, "r");
    n = f ? fread(r.err, 1, sizeof r.err - 1, f) : 0;
    r.err[n] = '\0';
    if (f)
        fclose(f);
    return &r;
}

static void expect_bad_fault(const char *spec, const char *needle)
{
    struct cli_output *r = detsim("run ipc-workload --fault '%s'", spec);
    cr_assert_eq(r->status, 2, "--fault '%s': exit %d; stderr %s", spec, r->status, r->err);
    cr_assert_eq(count_lines_with(r->err, ""), 1, "--fault '%s': one line, got:\n%s", spec, r->err);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "detsim: bad --fault '%s': ", spec);
    cr_assert(strncmp(r->err, prefix, strlen(prefix)) == 0, "%s", r->err);
    cr_assert(strstr(r->err, needle), "--fault '%s': '%s' should say '%s'", spec, r->err, needle);
    cr_assert_null(strstr(r->out, "outcome="), "nothing runs");
}

Test(faults, bad_fault_specs_exit_2_with_one_line_naming_the_part)
{
    expect_bad_fault("x:p=2", "p must be between 0 and 1");
    expect_bad_fault("model/heap/alloc:nth=zero", "nth must be a positive integer");
    expect_bad_fault("model/heap/alloc:bogus=1", "unknown key 'bogus'");
    expect_bad_fault("model/heap/nope", "no failpoint named 'model/heap/nope'");
    expect_bad_fault("nothing/*", "no failpoint matches 'nothing/*'");
    expect_bad_fault("slots/procs:p=0.5,free=1", "takes only free= and after=");
    expect_bad_fault("slots/procs", "needs free=N");
    struct cli_output *r = detsim("run ipc-workload --fault");
    cr_assert_eq(r->status, 2);
    cr_assert(strstr(r->err, "option --fault needs a value"), "%s", r->err);
}

Test(faults, detsim_faults_lists_every_failpoint)
{
    struct cli_output *r = detsim("faults");
    cr_assert_eq(r->status, 0, "%s", r->err);
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++) {
        char start[64];
        snprintf(start, sizeof start, "%s ", fault_points[id].name);
        cr_assert_eq(count_lines_with(r->out, start), 1, "%s listed once:\n%s",
                     fault_points[id].name, r->out);
    }
    cr_assert_eq(count_lines_with(r->out, ""), FAULT_POINT_COUNT, "one line each");
    r = detsim("faults --help");
    cr_assert_eq(r->status, 0);
    cr_assert(strstr(r->out, "usage: detsim faults"), "%s", r->out);
    r = detsim("faults extra");
    cr_assert_eq(r->status, 2);
    r = detsim("run --help");
    cr_assert(strstr(r->out, "--fault SPEC"), "run --help documents --fault");
    r = detsim("--help");
    cr_assert(strstr(r->out, "faults "), "detsim --help lists the faults command");
}

Test(faults, a_repro_records_its_faults_and_replays_them)
{
    struct cli_output *r =
        detsim("run ipc-workload --seed 9 --fault 'model/*:p=0.1' --fault slots/procs:free=2 "
               "--set check=true --save-repro f.repro --quiet");
    /* ipc-workload does not handle every error a fault can give (an assert is a
     * finding, not a harness failure): exit 1 then, with the repro written. */
    cr_assert(r->status == 0 || r->status == 1, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, " faults="), "the summary counts the faults: %s", r->out);
    char summary[512];
    snprintf(summary, sizeof summary, "%.*s", (int)sizeof summary - 1, r->out);
    char repro[65536], path[128];
    snprintf(path, sizeof path, "%s/f.repro", cli_dir);
    FILE *written = fopen(path, "r");
    cr_assert_not_null(written);
    repro[fread(repro, 1, sizeof repro - 1, written)] = '\0';
    fclose(written);
    cr_assert(strstr(repro, "\nfault = model/*:p=0.1\nfault = slots/procs:free=2\n"), "%s",
              repro);
    cr_assert(strstr(repro, " f1000000:"), "the probability draws are recorded: %s", repro);
    r = detsim("replay f.repro --quiet");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, summary), "same summary:\n%s\nwant\n%s", r->out, summary);
    cr_assert(strstr(r->out, "hash matches"), "%s", r->out);
    r = detsim("replay f.repro --from-seed --quiet");
    cr_assert_eq(r->status, 0, "the seed alone fires the same faults: %s", r->out);
    r = detsim("replay f.repro --trace - --quiet");
    cr_assert(count_lines_with(r->out, " fired -> ") > 0, "the trace shows them:\n%s", r->out);
    /* A bad fault line is a one-line error naming the file and line. */
    snprintf(path, sizeof path, "%s/bad.repro", cli_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("scenario = ipc-workload\nseed = 1\nstrategy = random\nfault = model/heap/alloc:p=3\n"
          "expect_outcome = pass\n",
          f);
    fclose(f);
    r = detsim("replay bad.repro");
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert_eq(count_lines_with(r->err, ""), 1, "%s", r->err);
    cr_assert(strstr(r->err, "bad.repro:4: bad fault 'model/heap/alloc:p=3': p must be between 0 "
                             "and 1"),
              "%s", r->err);
}

Test(faults, a_hang_report_says_which_slot_faults_are_in_force)
{
    const char *specs[] = {"slots/channels:free=0", NULL};
    struct faulted_run run = run_faults_full("lock-order", 3, specs, NULL, 0, 0,
                                             TRACE_FORMAT_TEXT, NULL, 0);
    cr_assert_eq(run.result.outcome, SCHED_OUTCOME_HANG_DEADLOCK);
    cr_assert(strstr(text_str(&run.result.report),
                     "Slot faults in force: 0 channel slots and 64 process slots usable\n"),
              "%s", text_str(&run.result.report));
    cr_assert_eq(run.result.faults_fired, 0, "nothing was refused");
    faulted_free(&run);
}
