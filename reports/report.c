
/* report — the collector behind the run report page, the replay command, and the
 * outputs of one run; see report.h. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chrome.h"
#include "html.h"
#include "model/world.h"
#include "sim/repro.h"
#include "util/outfile.h"
#include "util/progname.h"

/* ---- columns -------------------------------------------------------------------- */

static void merge_cell(struct report_cell *into, const struct report_cell *a,
                       const struct report_cell *b)
{
    uint64_t events = (uint64_t)a->events + b->events;
    into->events = events > UINT32_MAX ? UINT32_MAX : (uint32_t)events;
    into->marks = (uint16_t)(a->marks | b->marks);
    into->blocked = (uint16_t)(((uint32_t)a->blocked + b->blocked) / 2);
}

static void merge_usage(struct report_usage *into, const struct report_usage *a,
                        const struct report_usage *b)
{
    if (!a->sampled || !b->sampled) {
        *into = a->sampled ? *a : *b;
        return;
    }
    into->sampled = 1;
    into->channels = a->channels > b->channels ? a->channels : b->channels;
    into->procs = a->procs > b->procs ? a->procs : b->procs;
    into->ports = a->ports > b->ports ? a->ports : b->ports;
    into->heap_bytes = a->heap_bytes > b->heap_bytes ? a->heap_bytes : b->heap_bytes;
    into->channel_ceiling =
        a->channel_ceiling < b->channel_ceiling ? a->channel_ceiling : b->channel_ceiling;
    into->proc_ceiling = a->proc_ceiling < b->proc_ceiling ? a->proc_ceiling : b->proc_ceiling;
}

static void merge_cells(struct report_cell *cells)
{
    for (uint32_t i = 0; i < REPORT_COLUMNS / 2; i++) {
        struct report_cell merged;
        merge_cell(&merged, &cells[2 * i], &cells[2 * i + 1]);
        cells[i] = merged;
    }
    memset(&cells[REPORT_COLUMNS / 2], 0, REPORT_COLUMNS / 2 * sizeof cells[0]);
}

/* Doubles the width of a column: each pair of columns becomes one. */
static void widen(struct report_collector *c)
{
    for (uint32_t i = 0; i < REPORT_COLUMNS / 2; i++) {
        uint64_t a = c->column_first_step[2 * i], b = c->column_first_step[2 * i + 1];
        c->column_first_step[i] = a < b ? a : b;
        struct report_usage merged;
        merge_usage(&merged, &c->usage[2 * i], &c->usage[2 * i + 1]);
        c->usage[i] = merged;
    }
    for (uint32_t i = REPORT_COLUMNS / 2; i < REPORT_COLUMNS; i++) {
        c->column_first_step[i] = UINT64_MAX;
        c->usage[i] = (struct report_usage){0};
    }
    merge_cells(c->all);
    for (uint32_t pid = 1; pid <= c->lane_count; pid++)
        if (c->lanes[pid - 1].cells)
            merge_cells(c->lanes[pid - 1].cells);
    c->column_width *= 2;
    c->column_count = (c->column_count + 1) / 2;
}

uint32_t report_column_of(const struct report_collector *c, uint64_t at)
{
    uint64_t column = at / c->column_width;
    return column < REPORT_COLUMNS ? (uint32_t)column : REPORT_COLUMNS - 1;
}

/* The column of position at, widening the columns until the run fits in them. */
static uint32_t column_for(struct report_collector *c, uint64_t at)
{
    while (at / c->column_width >= REPORT_COLUMNS && c->column_width <= UINT64_MAX / 4)
        widen(c);
    uint32_t column = report_column_of(c, at);
    if (column + 1 > c->column_count)
        c->column_count = column + 1;
    return column;
}

/* Adds the blocked interval [from, to) of a lane to the columns it covers. */
static void spread_blocked(struct report_collector *c, struct report_lane *lane, uint64_t from,
                           uint64_t to)
{
    if (!lane->cells || to <= from)
        return;
    uint64_t width = c->column_width;
    for (uint32_t column = report_column_of(c, from); column <= report_column_of(c, to - 1);
         column++) {
        uint64_t start = (uint64_t)column * width, end = start + width;
        uint64_t overlap = (to < end ? to : end) - (from > start ? from : start);
        /* share of the column, out of 65535, without overflowing for huge widths */
        uint64_t share = width > (1ULL << 40) ? (overlap >> 16) * 65535 / (width >> 16)
                                              : overlap * 65535 / width;
        uint64_t total = lane->cells[column].blocked + share;
        lane->cells[column].blocked = (uint16_t)(total > 65535 ? 65535 : total);
        if (column == REPORT_COLUMNS - 1)
            break;
    }
}

/* ---- lanes ---------------------------------------------------------------------- */

static struct report_lane *lane_get(struct report_collector *c, uint32_t pid,
                                    const struct run_view *view, uint64_t at)
{
    if (pid == 0)
        return NULL;
    if (pid > c->lane_capacity) {
        uint32_t capacity = c->lane_capacity ? c->lane_capacity : 16;
        while (capacity < pid)
            capacity *= 2;
        struct report_lane *grown = realloc(c->lanes, (size_t)capacity * sizeof *grown);
        if (!grown) {
            c->failed = 1;
            return NULL;
        }
        c->lanes = grown;
        c->lane_capacity = capacity;
    }
    while (c->lane_count < pid) {
        struct report_lane *lane = &c->lanes[c->lane_count++];
        *lane = (struct report_lane){.pid = c->lane_count, .spawn_at = at};
        if (lane->pid <= REPORT_LANES_DETAILED_MAX) {
            lane->cells = calloc(REPORT_COLUMNS, sizeof lane->cells[0]);
            c->failed |= lane->cells == NULL;
        }
        const char *name = view->names->task(view->names->context, lane->pid);
        snprintf(lane->name, sizeof lane->name, "%s", name ? name : "");
        const struct proc *p = proc_get(view->world, lane->pid);
        if (p) {
            lane->parent = p->parent;
            lane->daemon = p->daemon;
        }
    }
    return &c->lanes[pid - 1];
}

static void mark(struct report_lane *lane, uint32_t column, uint16_t bits)
{
    if (lane && lane->cells)
        lane->cells[column].marks |= bits;
}

static void unblock(struct report_collector *c, struct report_lane *lane, uint64_t at)
{
    if (!lane || lane->state != REPORT_LANE_BLOCKED)
        return;
    spread_blocked(c, lane, lane->blocked_since_at, at);
    lane->state = REPORT_LANE_LIVE;
}

static void sample_usage(struct report_collector *c, uint32_t column, const struct world *w)
{
    struct report_usage now = {1,
                               w->channels_live,
                               w->procs_live,
                               w->ports_live,
                               w->heap.used_bytes,
                               w->channel_ceiling,
                               w->proc_ceiling};
    struct report_usage merged;
    merge_usage(&merged, &c->usage[column], &now);
    c->usage[column] = merged;
}

static int is_error(const struct trace_event *e)
{
    if (e->result >= 0 || e->result == TRACE_RESULT_BLOCKED)
        return 0;
    /* these carry a status or an error that is not the result of a call */
    return e->op != TRACE_OP_KILLED && e->op != TRACE_OP_FAULT && e->op != TRACE_OP_OOM &&
           e->op != TRACE_OP_EXIT;
}

/* The limits of the world, noted at the first event: the charts draw them. */
static void note_limits(struct report_collector *c, const struct world *w)
{
    c->max_channels = w->max_channels;
    c->max_procs = w->max_procs;
    c->max_ports = w->max_ports;
    c->heap_capacity_bytes = w->heap.capacity_bytes;
    c->limits_known = 1;
}

/* Counts an event in the run's totals and its column: events, resource use, calls. */
static void count_event(struct report_collector *c, const struct trace_event *e, uint32_t column,
                        uint64_t at, const struct world *w)
{
    c->events++;
    c->last_at = at;
    c->last_step = e->step;
    if (e->step < c->column_first_step[column])
        c->column_first_step[column] = e->step;
    sample_usage(c, column, w);
    if (c->all[column].events < UINT32_MAX)
        c->all[column].events++;
    if ((unsigned)e->op < TRACE_OP_COUNT) {
        c->op_calls[e->op]++;
        c->op_errors[e->op] += (uint64_t)is_error(e);
        c->op_blocked[e->op] += e->result == TRACE_RESULT_BLOCKED;
    }
}

/* The process an event is about beside its own (the child of a spawn, the task a
 * wake-up wakes, the target of a kill), updated, with the mark it gets in *bits.
 * NULL for other events, or when its lane cannot be had. */
static struct report_lane *other_lane(struct report_collector *c, const struct trace_event *e,
                                      const struct run_view *view, uint64_t at, uint16_t *bits)
{
    struct report_lane *other = NULL;
    switch (e->op) {
    case TRACE_OP_SPAWN:
        if (e->result > 0 && e->result <= UINT32_MAX) {
            other = lane_get(c, (uint32_t)e->result, view, at);
            if (other) {
                other->spawn_at = at;
                other->parent = e->pid;
            }
            *bits = REPORT_MARK_SPAWN;
        }
        break;
    case TRACE_OP_WAKE:
        if (e->arg > 0 && e->arg <= UINT32_MAX) {
            other = lane_get(c, (uint32_t)e->arg, view, at);
            unblock(c, other, at);
            *bits = REPORT_MARK_WAKE;
        }
        break;
    case TRACE_OP_KILL:
        if (e->result == 0 && e->arg > 0) {
            other = lane_get(c, (uint32_t)((uint64_t)e->arg >> 8), view, at);
            if (other)
                other->signals++;
            *bits = REPORT_MARK_SIGNAL;
        }
        break;
    default:
        break;
    }
    return other;
}

/* What a call's result does to its own lane: a block opens a blocked interval, an
 * error is counted. Returns the marks it earns. */
static uint16_t note_result(struct report_lane *lane, const struct trace_event *e, uint64_t at)
{
    if (e->result == TRACE_RESULT_BLOCKED) {
        lane->state = REPORT_LANE_BLOCKED;
        lane->blocked_op = e->op;
        lane->blocked_object = e->object;
        lane->blocked_since_at = at;
        lane->blocked_since_step = e->step;
        return REPORT_MARK_BLOCK;
    }
    if (is_error(e)) {
        lane->errors++;
        /* "try again" and "too late" are how nonblocking and timed calls say no:
         * counted, but not marked, or a polling loop would be all markers */
        if (e->result != -EAGAIN && e->result != -ETIMEDOUT)
            return REPORT_MARK_ERROR;
    }
    return 0;
}

/* What the lifecycle events (start, exit, kill, fault, OOM, failed check) do to
 * their own lane. Returns the marks they earn. */
static uint16_t note_lifecycle(struct report_collector *c, struct report_lane *lane,
                               const struct trace_event *e, const struct run_view *view,
                               uint64_t at)
{
    switch (e->op) {
    case TRACE_OP_START:
        if (!lane->name[0]) {
            const char *name = view->names->task(view->names->context, e->pid);
            snprintf(lane->name, sizeof lane->name, "%s", name ? name : "");
        }
        return 0;
    case TRACE_OP_EXIT:
        lane->state = REPORT_LANE_EXITED;
        lane->exit_status = e->arg;
        lane->end_at = at;
        return REPORT_MARK_EXIT;
    case TRACE_OP_KILLED:
        lane->state = REPORT_LANE_KILLED;
        lane->exit_status = e->result;
        lane->end_at = at;
        return REPORT_MARK_KILLED;
    case TRACE_OP_FAULT:
        lane->faults++;
        if ((uint64_t)e->arg < FAULT_POINT_COUNT && !c->fault_first_step[e->arg])
            c->fault_first_step[e->arg] = e->step ? e->step : 1;
        return REPORT_MARK_FAULT;
    case TRACE_OP_OOM:
        lane->ooms++;
        return REPORT_MARK_OOM;
    case TRACE_OP_CHECK_FAILED:
        lane->checked = 1;
        return REPORT_MARK_CHECK;
    default:
        return 0;
    }
}

static void collect_event(void *context, const struct trace_event *e, const struct run_view *view)
{
    struct report_collector *c = context;
    if (!c->limits_known)
        note_limits(c, view->world);
    uint64_t at = c->axis_steps ? e->step : e->vtime_ns;
    uint32_t column = column_for(c, at);
    count_event(c, e, column, at, view->world);
    uint16_t other_bits = 0;
    struct report_lane *other = other_lane(c, e, view, at, &other_bits);
    if (other) {
        mark(other, column, other_bits);
        c->all[column].marks |= other_bits;
    }
    /* The process the event belongs to (the victim, for a kill). */
    struct report_lane *lane = lane_get(c, e->pid, view, at);
    if (!lane)
        return;
    if (e->op != TRACE_OP_WAKE)
        unblock(c, lane, at); /* its own event: it runs again */
    lane->events++;
    if (lane->cells && lane->cells[column].events < UINT32_MAX)
        lane->cells[column].events++;
    uint16_t bits = note_result(lane, e, at);
    bits |= note_lifecycle(c, lane, e, view, at);
    mark(lane, column, bits);
    c->all[column].marks |= bits;
}

/* ---- the end -------------------------------------------------------------------- */

static int copy_graph(struct sched_wait_graph *to, const struct sched_wait_graph *from)
{
    *to = (struct sched_wait_graph){0};
    to->tasks = calloc(from->task_count + 1, sizeof *to->tasks);
    to->objects = calloc(from->object_count + 1, sizeof *to->objects);
    to->edges = calloc(from->edge_count + 1, sizeof *to->edges);
    to->cycle = calloc(from->cycle_length + 1, sizeof *to->cycle);
    if (!to->tasks || !to->objects || !to->edges || !to->cycle) {
        sched_wait_graph_free(to);
        return -ENOMEM;
    }
    memcpy(to->tasks, from->tasks, from->task_count * sizeof *to->tasks);
    memcpy(to->objects, from->objects, from->object_count * sizeof *to->objects);
    memcpy(to->edges, from->edges, from->edge_count * sizeof *to->edges);
    memcpy(to->cycle, from->cycle, from->cycle_length * sizeof *to->cycle);
    to->task_count = from->task_count;
    to->object_count = from->object_count;
    to->edge_count = from->edge_count;
    to->cycle_length = from->cycle_length;
    return 0;
}

static void collect_end(void *context, const struct run_result *result, const struct run_view *view)
{
    struct report_collector *c = context;
    const struct world *w = view->world;
    uint64_t at = c->axis_steps ? result->steps : result->vtime_ns;
    uint32_t column = column_for(c, at);
    /* What the run left behind, after the teardown and the audit. */
    sample_usage(c, column, w);
    uint64_t end = ((uint64_t)column + 1) * c->column_width;
    for (uint32_t pid = 1; pid <= c->lane_count; pid++) {
        struct report_lane *lane = &c->lanes[pid - 1];
        if (lane->state == REPORT_LANE_BLOCKED) {
            spread_blocked(c, lane, lane->blocked_since_at, end);
            const char *name = lane->blocked_object && view->names->object
                                   ? view->names->object(view->names->context,
                                                         lane->blocked_object)
                                   : NULL;
            snprintf(lane->blocked_on, sizeof lane->blocked_on, "%s", name ? name : "");
        }
        if (lane->state == REPORT_LANE_LIVE || lane->state == REPORT_LANE_BLOCKED)
            lane->end_at = at;
    }
    if (view->wait_graph) {
        if (copy_graph(&c->graph, view->wait_graph) != 0)
            c->failed = 1;
        for (uint32_t i = 0; i < c->graph.cycle_length; i++)
            if (c->graph.cycle[i] >= 1 && c->graph.cycle[i] <= c->lane_count)
                c->lanes[c->graph.cycle[i] - 1].in_cycle = 1;
    }
    uint32_t lines = w->console_count < REPORT_CONSOLE_LINES ? w->console_count
                                                             : REPORT_CONSOLE_LINES;
    for (uint32_t i = 0; i < lines; i++) {
        uint32_t slot = (w->console_count - lines + i) % CONSOLE_LINES_MAX;
        if (w->console_repeats[slot] > 1)
            snprintf(c->console[i], sizeof c->console[i], "%.100s (x%" PRIu32 ")",
                     w->console[slot], w->console_repeats[slot]);
        else
            snprintf(c->console[i], sizeof c->console[i], "%s", w->console[slot]);
    }
    c->console_count = lines;
    c->heap_attempts = result->heap_attempts;
    c->heap_ooms = result->heap_ooms;
    c->ended = 1;
}

int report_collector_init(struct report_collector *c, uint64_t step_ns)
{
    memset(c, 0, sizeof *c);
    /* One step a column to begin with: a short run shows every step. */
    c->axis_steps = step_ns == 0;
    c->column_width = step_ns ? step_ns : 1;
    c->column_count = 1;
    for (uint32_t i = 0; i < REPORT_COLUMNS; i++)
        c->column_first_step[i] = UINT64_MAX;
    return 0;
}

void report_collector_free(struct report_collector *c)
{
    for (uint32_t i = 0; i < c->lane_count; i++)
        free(c->lanes[i].cells);
    free(c->lanes);
    sched_wait_graph_free(&c->graph);
    c->lanes = NULL;
    c->lane_count = c->lane_capacity = 0;
}

void report_collector_observer(struct report_collector *c, struct run_observer *observer)
{
    *observer = (struct run_observer){collect_event, collect_end, c, NULL};
}

/* ---- the replay command --------------------------------------------------------- */

void report_shell_quote(const char *text, struct text *out)
{
    int plain = text[0] != '\0';
    for (const char *p = text; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("_./:=,+@%-", *p) != NULL;
    if (plain) {
        text_printf(out, "%s", text);
        return;
    }
    text_printf(out, "'");
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            text_printf(out, "'\\''");
        else
            text_printf(out, "%c", *p);
    }
    text_printf(out, "'");
}

void report_replay_command(const struct run_options *options, const char *schedule_path,
                           struct text *out)
{
    char name[64], strategy[64];
    text_printf(out, "%s run %s --seed %" PRIu64, progname(), scenario_name(options->scenario, name),
                options->seed);
    if (schedule_path) {
        struct text argument = {0};
        text_printf(&argument, "replay:%s", schedule_path);
        text_printf(out, " --strategy ");
        report_shell_quote(text_str(&argument), out);
        text_free(&argument);
    } else if (options->strategy.kind != SCHED_RANDOM) {
        text_printf(out, " --strategy %s", run_format_strategy(&options->strategy, strategy));
    }
    const struct config *config = &options->config;
    /* What a plain run of the scenario gets (its "default" variant included). */
    struct config baseline;
    int have_baseline = run_config_init(&baseline, options->scenario) == 0;
    for (uint32_t i = 0; i < config->count; i++) {
        const struct config_key *key = config->keys[i];
        int at = have_baseline ? config_find(&baseline, key->name) : -1;
        uint64_t plain = at >= 0 ? baseline.values[at] : key->default_value;
        if (config->values[i] == plain)
            continue;
        char value[48], assignment[128];
        snprintf(assignment, sizeof assignment, "%s=%s", key->name,
                 config_format_value(key, config->values[i], value));
        text_printf(out, " --set ");
        report_shell_quote(assignment, out);
    }
    for (uint32_t i = 0; i < options->fault_count; i++) {
        text_printf(out, " --fault ");
        report_shell_quote(options->faults[i].text, out);
    }
}

/* ---- the outputs of one run ----------------------------------------------------- */

int report_outputs_attach(struct report_outputs *r, struct run_options *run)
{
    const struct run_observer *next = run->observer;
    if (r->chrome) {
        if (report_chrome_create(&r->chrome_writer, r->chrome) != 0)
            return -ENOMEM;
        report_chrome_observer(r->chrome_writer, &r->observers[1]);
        r->observers[1].next = next;
        next = &r->observers[1];
    }
    if (r->html) {
        r->collector = malloc(sizeof *r->collector);
        if (!r->collector) {
            report_outputs_free(r);
            return -ENOMEM;
        }
        report_collector_init(r->collector, config_get(&run->config, "step_time"));
        report_collector_observer(r->collector, &r->observers[0]);
        r->observers[0].next = next;
        next = &r->observers[0];
    }
    run->observer = next;
    return 0;
}

int report_outputs_finish(struct report_outputs *r, const struct run_options *run,
                          const struct run_result *result)
{
    int rc = 0;
    if (r->chrome_writer)
        rc = report_chrome_finish(r->chrome_writer, run, result);
    if (r->collector) {
        int written = report_html_write(r->html, r->collector, run, result, r->repro_path,
                                        r->schedule_path);
        if (rc == 0)
            rc = written;
        if (rc == 0 && r->collector->failed)
            rc = -ENOMEM;
    }
    return rc;
}

void report_outputs_free(struct report_outputs *r)
{
    if (r->collector) {
        report_collector_free(r->collector);
        free(r->collector);
        r->collector = NULL;
    }
    report_chrome_free(r->chrome_writer);
    r->chrome_writer = NULL;
}

int report_page_path(const char *repro_path, char *path, size_t path_bytes)
{
    size_t length = strlen(repro_path);
    size_t stem = length >= 6 && strcmp(repro_path + length - 6, ".repro") == 0 ? length - 6
                                                                               : length;
    int n = snprintf(path, path_bytes, "%.*s.html", (int)stem, repro_path);
    return n < 0 || (size_t)n >= path_bytes ? -ENAMETOOLONG : 0;
}

int report_page_beside_repro(const struct run_options *base, uint64_t seed,
                             const char *repro_path, char *error, size_t error_bytes)
{
    char path[OUTFILE_PATH_MAX];
    struct outfile out;
    int rc = report_page_path(repro_path, path, sizeof path);
    if (rc == 0 && access(path, F_OK) == 0)
        return 0; /* this group's page is written (perhaps by an earlier sweep) */
    if (rc == 0)
        rc = outfile_make_parents(path);
    if (rc == 0)
        rc = outfile_open(&out, path);
    if (rc != 0) {
        snprintf(error, error_bytes, "cannot write report '%s': %s", path, strerror(-rc));
        return rc;
    }
    struct run_options run = *base;
    run.seed = seed;
    run.trace_out = NULL;
    run.record_choices = 0;
    run.replay = NULL;
    run.replay_count = 0;
    struct report_outputs outputs = {.html = out.stream, .repro_path = repro_path};
    struct run_result result;
    rc = report_outputs_attach(&outputs, &run);
    if (rc == 0) {
        rc = run_scenario(&run, &result);
        if (rc == 0)
            rc = report_outputs_finish(&outputs, &run, &result);
        run_result_free(&result);
    }
    report_outputs_free(&outputs);
    if (rc != 0)
        outfile_discard(&out);
    else
        rc = outfile_commit(&out);
    if (rc != 0)
        snprintf(error, error_bytes, "cannot write report '%s': %s", path, strerror(-rc));
    return rc;
}
