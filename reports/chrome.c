/* chrome — a run as a Chrome trace-event JSON file; see chrome.h.
 *
 * {"displayTimeUnit":"ns","traceEvents":[ ...one event a line... ],"otherData":{...}}
 * Metadata names a process when it is first seen; a blocking call opens an interval
 * that the wake-up (or the task's next event, after a timer; or its kill; or the end
 * of the run) closes as one "X" event. */
#include "chrome.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "faults/failpoint.h"
#include "model/world.h"
#include "util/errno_name.h"
#include "util/json.h"
#include "util/outfile.h"

struct chrome_task {
    uint8_t named;   /* its metadata is written */
    uint8_t blocked; /* an interval is open */
    enum trace_op blocked_op;
    uint64_t blocked_object;
    uint64_t blocked_since_ns;
    uint64_t blocked_since_step;
    char blocked_on[48];
};

struct report_chrome {
    FILE *out;
    struct chrome_task *tasks; /* by pid - 1 */
    uint32_t task_count;
    uint32_t task_capacity;
    uint64_t written;  /* events so far */
    uint64_t last_ns;
    uint64_t used[4];  /* the counters last written: channels, procs, ports, heap */
    uint8_t counters_written;
    int failed;        /* no memory for a task's state: its intervals are missing */
};

/* ts and dur are microseconds; virtual time is in ns: three decimals. */
static void write_us(FILE *out, uint64_t ns)
{
    fprintf(out, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

/* Starts the next event's line: events are separated by commas. */
static void next_event(struct report_chrome *c)
{
    fputs(c->written++ ? ",\n" : "\n", c->out);
}

/* Starts an event object: {"name":NAME,"cat":CAT,"ph":PH,"pid":P,"tid":P,"ts":T */
static void begin_event(struct report_chrome *c, const char *name, const char *cat,
                        const char *ph, uint32_t pid, uint64_t ns)
{
    next_event(c);
    fputs("{\"name\":", c->out);
    json_write_string(c->out, name);
    fprintf(c->out, ",\"cat\":\"%s\",\"ph\":\"%s\"", cat, ph);
    if (ph[0] == 'i')
        fputs(",\"s\":\"t\"", c->out);
    fprintf(c->out, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"ts\":", pid, pid);
    write_us(c->out, ns);
}

static void write_metadata(struct report_chrome *c, uint32_t pid, const char *name)
{
    static const char *const kinds[] = {"process_name", "thread_name"};
    for (unsigned i = 0; i < 2; i++) {
        next_event(c);
        fprintf(c->out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
                        ",\"args\":{\"name\":",
                kinds[i], pid, pid);
        json_write_string(c->out, name);
        fputs("}}", c->out);
    }
    next_event(c);
    fprintf(c->out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%" PRIu32
                    ",\"tid\":%" PRIu32 ",\"args\":{\"sort_index\":%" PRIu32 "}}",
            pid, pid, pid);
}

static struct chrome_task *task_get(struct report_chrome *c, uint32_t pid,
                                    const struct run_view *view)
{
    if (pid == 0)
        return NULL;
    if (pid > c->task_capacity) {
        uint32_t capacity = c->task_capacity ? c->task_capacity : 16;
        while (capacity < pid)
            capacity *= 2;
        struct chrome_task *grown = realloc(c->tasks, (size_t)capacity * sizeof *grown);
        if (!grown) {
            c->failed = 1;
            return NULL;
        }
        c->tasks = grown;
        c->task_capacity = capacity;
    }
    while (c->task_count < pid)
        c->tasks[c->task_count++] = (struct chrome_task){0};
    struct chrome_task *t = &c->tasks[pid - 1];
    if (!t->named) {
        const char *name = view->names->task(view->names->context, pid);
        write_metadata(c, pid, name ? name : "?");
        t->named = 1;
    }
    return t;
}

/* The name of an object (0: none), or NULL when the run has no name for it. */
static const char *object_name(const struct run_view *view, uint64_t object)
{
    return object && view && view->names->object
               ? view->names->object(view->names->context, object)
               : NULL;
}

static void close_interval(struct report_chrome *c, uint32_t pid, struct chrome_task *t,
                           uint64_t ns, const char *ended_by, const struct run_view *view)
{
    if (!t || !t->blocked)
        return;
    char name[64];
    snprintf(name, sizeof name, "blocked in %s", trace_op_name(t->blocked_op));
    begin_event(c, name, "blocked", "X", pid, t->blocked_since_ns);
    fputs(",\"dur\":", c->out);
    write_us(c->out, ns - t->blocked_since_ns);
    fprintf(c->out, ",\"args\":{\"since_step\":%" PRIu64 ",\"object\":", t->blocked_since_step);
    const char *object = object_name(view, t->blocked_object);
    json_write_string(c->out, object ? object : t->blocked_on);
    fputs(",\"ended_by\":", c->out);
    json_write_string(c->out, ended_by);
    fputs("}}", c->out);
    t->blocked = 0;
}

static void write_result(FILE *out, int64_t result)
{
    const char *name = errno_name(result);
    if (result == TRACE_RESULT_BLOCKED)
        fputs("\"blocked\"", out);
    else if (name)
        fprintf(out, "\"%s\"", name);
    else
        fprintf(out, "%" PRId64, result);
}

static void write_counters(struct report_chrome *c, uint64_t ns, const struct world *w)
{
    static const char *const names[] = {"channel slots", "process slots", "ports",
                                        "heap bytes"};
    uint64_t now[4] = {w->channels_live, w->procs_live, w->ports_live, w->heap.used_bytes};
    for (unsigned i = 0; i < 4; i++) {
        if (c->counters_written && now[i] == c->used[i])
            continue;
        begin_event(c, names[i], "resources", "C", 0, ns);
        fprintf(c->out, ",\"args\":{\"used\":%" PRIu64 "}}", now[i]);
        c->used[i] = now[i];
    }
    c->counters_written = 1;
}

/* Names the resource counters' process (pid 0) after the world's limits; written
 * once, before the first counter. */
static void write_kernel_name(struct report_chrome *c, const struct world *w)
{
    next_event(c);
    fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":",
          c->out);
    char name[160];
    snprintf(name, sizeof name,
             "kernel resources (limits: %" PRIu32 " channels, %" PRIu32 " procs, %" PRIu32
             " ports, %" PRIu64 " heap bytes)",
             w->max_channels, w->max_procs, w->max_ports, w->heap.capacity_bytes);
    json_write_string(c->out, name);
    fputs("}}", c->out);
}

/* The pid a wake-up woke; 0 when its argument names none. */
static uint32_t woken_pid(const struct trace_event *e)
{
    return e->arg > 0 && e->arg <= UINT32_MAX ? (uint32_t)e->arg : 0;
}

/* Writes the name of e's instant event to name; returns its category. */
static const char *event_name(const struct trace_event *e, char *name, size_t name_bytes)
{
    switch (e->op) {
    case TRACE_OP_WAKE:
        snprintf(name, name_bytes, "wake pid %" PRIu32, woken_pid(e));
        return "wake";
    case TRACE_OP_KILLED:
        snprintf(name, name_bytes, "killed");
        return "signal";
    case TRACE_OP_FAULT:
        snprintf(name, name_bytes, "fault %s", fault_point_name(e->arg));
        return "fault";
    case TRACE_OP_KILL:
    case TRACE_OP_GROUP_KILL:
    case TRACE_OP_GROUP_SHUTDOWN:
    case TRACE_OP_SIGNAL_CATCH:
    case TRACE_OP_SIGNAL:
        snprintf(name, name_bytes, "%s", trace_op_name(e->op));
        return "signal";
    case TRACE_OP_SPAWN:
    case TRACE_OP_START:
    case TRACE_OP_EXIT:
        snprintf(name, name_bytes, "%s", trace_op_name(e->op));
        return "process";
    case TRACE_OP_OOM:
        snprintf(name, name_bytes, "oom");
        return "oom";
    default:
        snprintf(name, name_bytes, "%s", trace_op_name(e->op));
        return "call";
    }
}

/* Closes the blocked interval e ends: the woken task's for a wake-up, the task's
 * own, ended by "killed", for its kill, and otherwise its own (it runs again). */
static void close_ended_interval(struct report_chrome *c, const struct trace_event *e,
                                 struct chrome_task *t, const struct run_view *view)
{
    if (e->op == TRACE_OP_WAKE) {
        /* the woken task blocked before, so it is known: t stays where it is */
        uint32_t woken = woken_pid(e);
        close_interval(c, woken, woken <= c->task_count && woken ? &c->tasks[woken - 1] : NULL,
                       e->vtime_ns, trace_wake_name(e->wake), view);
    } else if (e->op == TRACE_OP_KILLED) {
        close_interval(c, e->pid, t, e->vtime_ns, "killed", view);
    } else {
        close_interval(c, e->pid, t, e->vtime_ns, trace_wake_name(e->wake), view);
    }
}

/* Opens t's blocked interval at e; close_interval writes it, as one "X" event. */
static void open_interval(struct chrome_task *t, const struct trace_event *e,
                          const struct run_view *view)
{
    t->blocked = 1;
    t->blocked_op = e->op;
    t->blocked_object = e->object;
    t->blocked_since_ns = e->vtime_ns;
    t->blocked_since_step = e->step;
    const char *object = object_name(view, e->object);
    snprintf(t->blocked_on, sizeof t->blocked_on, "%s", object ? object : "");
}

/* Writes e as an instant event: its step, object, argument, result and wake-up. */
static void write_instant(struct report_chrome *c, const struct trace_event *e,
                          const struct run_view *view)
{
    char name[96];
    const char *cat = event_name(e, name, sizeof name);
    begin_event(c, name, cat, "i", e->pid, e->vtime_ns);
    fprintf(c->out, ",\"args\":{\"step\":%" PRIu64, e->step);
    const char *object = object_name(view, e->object);
    if (object) {
        fputs(",\"object\":", c->out);
        json_write_string(c->out, object);
    }
    fprintf(c->out, ",\"arg\":%" PRId64 ",\"result\":", e->arg);
    write_result(c->out, e->result);
    if (e->wake != WAITQ_WAKE_NONE)
        fprintf(c->out, ",\"wake\":\"%s\"", trace_wake_name(e->wake));
    fputs("}}", c->out);
}

static void chrome_event(void *context, const struct trace_event *e, const struct run_view *view)
{
    struct report_chrome *c = context;
    c->last_ns = e->vtime_ns;
    if (!c->counters_written)
        write_kernel_name(c, view->world);
    /* A spawn names its child first: growing the table moves every task's state, so
     * the event's own task is looked up after. */
    if (e->op == TRACE_OP_SPAWN && e->result > 0 && e->result <= UINT32_MAX)
        task_get(c, (uint32_t)e->result, view);
    struct chrome_task *t = task_get(c, e->pid, view);
    close_ended_interval(c, e, t, view);
    if (e->result == TRACE_RESULT_BLOCKED && t)
        open_interval(t, e, view); /* the interval it opens is the event */
    else
        write_instant(c, e, view);
    write_counters(c, e->vtime_ns, view->world);
}

static void chrome_end(void *context, const struct run_result *result, const struct run_view *view)
{
    struct report_chrome *c = context;
    for (uint32_t pid = 1; pid <= c->task_count; pid++)
        close_interval(c, pid, &c->tasks[pid - 1], result->vtime_ns, "the end of the run", view);
    /* what the run left behind, after the teardown and the leak audit */
    write_counters(c, result->vtime_ns, view->world);
    char name[64];
    snprintf(name, sizeof name, "outcome %s", sched_outcome_name(result->outcome));
    begin_event(c, name, "outcome", "i", 0, result->vtime_ns);
    fprintf(c->out, ",\"args\":{\"steps\":%" PRIu64 "}}", result->steps);
}

int report_chrome_create(struct report_chrome **out, FILE *stream)
{
    struct report_chrome *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->out = stream;
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", stream);
    *out = c;
    return 0;
}

void report_chrome_observer(struct report_chrome *c, struct run_observer *observer)
{
    *observer = (struct run_observer){chrome_event, chrome_end, c, NULL};
}

int report_chrome_finish(struct report_chrome *c, const struct run_options *options,
                         const struct run_result *result)
{
    char name[64], strategy[64];
    fputs("\n],\"otherData\":{\"scenario\":", c->out);
    json_write_string(c->out, scenario_name(options->scenario, name));
    fprintf(c->out, ",\"seed\":\"%" PRIu64 "\",\"strategy\":", options->seed);
    json_write_string(c->out, options->replay ? "replay" : run_format_strategy(&options->strategy,
                                                                          strategy));
    fprintf(c->out, ",\"outcome\":\"%s\",\"steps\":\"%" PRIu64 "\",\"vtime_ns\":\"%" PRIu64
                    "\",\"hash\":\"0x%016" PRIx64 "\",\"detsim_version\":\"%s\"",
            sched_outcome_name(result->outcome), result->steps, result->vtime_ns, result->hash,
            DETSIM_VERSION);
    if (c->failed)
        fputs(",\"incomplete\":\"the trace writer ran out of memory\"", c->out);
    fputs("}}\n", c->out);
    int rc = outfile_flush(c->out);
    if (rc != 0)
        return rc;
    return c->failed ? -ENOMEM : 0;
}

void report_chrome_free(struct report_chrome *c)
{
    if (!c)
        return;
    free(c->tasks);
    free(c);
}
