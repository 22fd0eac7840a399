/* html_graph — the wait-for graph of a hang as an SVG picture; see html_int.h.
 *
 * A cycle of up to GRAPH_RING_MAX tasks is drawn as a ring: each task, the object it
 * waits on, the task that holds that, and so on back, every edge in red. Every other
 * blocked task (a longer cycle's too) is a row: the task, what it waits on, up to two
 * of the tasks that hold it. At most GRAPH_ROWS_MAX rows; the rest are counted. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "html.h"
#include "html_int.h"

#define GRAPH_ROWS_MAX 24 /* blocked tasks drawn outside the ring */
#define GRAPH_RING_MAX 6  /* longer cycles are drawn as rows */
#define PI 3.14159265358979323846

#define NODE_WIDTH 210.0
#define NODE_HEIGHT 34.0

static const struct sched_wait_task *graph_task(const struct sched_wait_graph *g, uint32_t pid)
{
    for (uint32_t i = 0; i < g->task_count; i++)
        if (g->tasks[i].pid == pid)
            return &g->tasks[i];
    return NULL;
}

static const struct sched_wait_object *graph_object(const struct sched_wait_graph *g,
                                                    uint64_t id)
{
    for (uint32_t i = 0; i < g->object_count; i++)
        if (g->objects[i].id == id)
            return &g->objects[i];
    return NULL;
}

static int on_cycle(const struct sched_wait_graph *g, uint32_t pid)
{
    for (uint32_t i = 0; i < g->cycle_length; i++)
        if (g->cycle[i] == pid)
            return 1;
    return 0;
}

static void write_task_node(FILE *out, const struct sched_wait_graph *g,
                            const struct sched_wait_task *t, double x, double y)
{
    static const char *const states[] = {"blocked", "runnable", "exited"};
    char line[96];
    fprintf(out, "<g class=\"node %s%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" "
                 "height=\"%.0f\" rx=\"4\"/>",
            states[t->state], on_cycle(g, t->pid) ? " on-cycle" : "", x - NODE_WIDTH / 2,
            y - NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT);
    snprintf(line, sizeof line, "pid %" PRIu32 " %s", t->pid, t->name);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y - 3);
    report_html_escape_cut(out, line, 30);
    fputs("</text>", out);
    if (t->state == SCHED_WAIT_BLOCKED)
        snprintf(line, sizeof line, "in %s since step %" PRIu64, trace_op_name(t->blocked_op),
                 t->blocked_since_step);
    else
        snprintf(line, sizeof line, "%s", states[t->state]);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"muted\">", x, y + 11);
    report_html_escape_cut(out, line, 32);
    fputs("</text></g>\n", out);
}

static void write_object_node(FILE *out, const struct sched_wait_object *o, int cycle, double x,
                              double y)
{
    fprintf(out, "<g class=\"node object%s\"><title>", cycle ? " on-cycle" : "");
    report_html_escape(out, o->label);
    fputs(" ", out);
    report_html_escape(out, o->relation);
    fprintf(out, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"12\"/>",
            x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y - 3);
    report_html_escape_cut(out, o->label, 30);
    fprintf(out, "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"muted\">", x,
            y + 11);
    report_html_escape_cut(out, strcmp(o->kind, "task") == 0 ? "process exit" : o->kind, 30);
    fputs("</text></g>\n", out);
}

/* A point on the border of the node box centred at (x, y), towards (dx, dy). */
static void box_border(double x, double y, double dx, double dy, double *bx, double *by)
{
    double ax = dx < 0 ? -dx : dx, ay = dy < 0 ? -dy : dy;
    double tx = ax > 0 ? (NODE_WIDTH / 2 + 2) / ax : 1e9;
    double ty = ay > 0 ? (NODE_HEIGHT / 2 + 2) / ay : 1e9;
    double t = tx < ty ? tx : ty;
    *bx = x + dx * t;
    *by = y + dy * t;
}

static void write_edge(FILE *out, double x1, double y1, double x2, double y2, int cycle,
                       const char *label)
{
    double dx = x2 - x1, dy = y2 - y1, ax, ay, bx, by;
    box_border(x1, y1, dx, dy, &ax, &ay);
    box_border(x2, y2, -dx, -dy, &bx, &by);
    fprintf(out, "<line class=\"edge%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                 "marker-end=\"url(#%s)\"/>",
            cycle ? " cycle" : "", ax, ay, bx, by, cycle ? "arrow-cycle" : "arrow");
    /* the label sits beside the middle of the edge, on its left */
    double length = sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
    double nx = length > 0 ? (by - ay) / length : 0, ny = length > 0 ? -(bx - ax) / length : -1;
    fprintf(out, "<text class=\"edge-label%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            cycle ? " cycle" : "", (ax + bx) / 2 + nx * 10, (ay + by) / 2 + ny * 10 + 3);
    report_html_escape(out, label);
    fputs("</text>\n", out);
}

/* The short name of a holder relation: "held by", "posted by", "exit of", ... */
static const char *relation_label(const struct sched_wait_object *o)
{
    if (strcmp(o->kind, "task") == 0)
        return "exit of";
    if (strcmp(o->kind, "mutex") == 0)
        return "held by";
    if (strcmp(o->kind, "semaphore") == 0)
        return "posted by";
    return "could be woken by";
}

static const uint64_t *waits_object(const struct sched_wait_graph *g, uint32_t pid)
{
    for (uint32_t i = 0; i < g->edge_count; i++)
        if (!g->edges[i].holds && g->edges[i].pid == pid)
            return &g->edges[i].object;
    return NULL;
}

/* One row: task -> what it waits on -> up to two of its holders. */
static void write_graph_row(FILE *out, const struct sched_wait_graph *g,
                            const struct sched_wait_task *t, double y, int cycle_row)
{
    double xt = 115, xo = 440, xh = 765;
    write_task_node(out, g, t, xt, y);
    const uint64_t *object = waits_object(g, t->pid);
    const struct sched_wait_object *o = object ? graph_object(g, *object) : NULL;
    if (!o) {
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", xt + NODE_WIDTH / 2 + 12, y + 4,
                t->state == SCHED_WAIT_BLOCKED ? "sleeping: a timer wakes it" : "");
        return;
    }
    int cycle = 0;
    for (uint32_t i = 0; i < g->edge_count; i++)
        if (!g->edges[i].holds && g->edges[i].pid == t->pid && g->edges[i].in_cycle)
            cycle = 1;
    write_object_node(out, o, cycle, xo, y);
    write_edge(out, xt, y, xo, y, cycle, "waits for");
    uint32_t drawn = 0, holders = 0;
    for (uint32_t i = 0; i < g->edge_count; i++) {
        const struct sched_wait_edge *e = &g->edges[i];
        if (!e->holds || e->object != o->id)
            continue;
        holders++;
        const struct sched_wait_task *h = graph_task(g, e->pid);
        if (!h || drawn == 2)
            continue;
        double yh = y + (drawn ? NODE_HEIGHT + 6 : 0);
        if (cycle_row && !e->in_cycle)
            continue;
        write_task_node(out, g, h, xh, yh);
        write_edge(out, xo, y, xh, yh, e->in_cycle, relation_label(o));
        drawn++;
    }
    if (holders == 0)
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">no holder: nobody is bound to wake it</text>\n",
                xo + NODE_WIDTH / 2 + 12, y + 4);
    else if (holders > drawn && !cycle_row)
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"more\">+%" PRIu32 " more</text>\n",
                xh + NODE_WIDTH / 2 + 4, y + 4, holders - drawn);
}

/* The cycle as a ring: task, what it waits on, the next task, ... */
static double write_cycle_ring(FILE *out, const struct sched_wait_graph *g, double top)
{
    uint32_t n = g->cycle_length, nodes = 2 * n;
    double rx = 300, ry = 50 + 25.0 * n, cx = 440, cy = top + ry + NODE_HEIGHT / 2 + 8;
    double x[2 * GRAPH_RING_MAX], y[2 * GRAPH_RING_MAX];
    for (uint32_t i = 0; i < nodes; i++) {
        /* from the top, clockwise */
        double angle = -PI / 2 + PI * i / n;
        x[i] = cx + rx * cos(angle);
        y[i] = cy + ry * sin(angle);
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct sched_wait_task *t = graph_task(g, g->cycle[i]);
        const uint64_t *object = waits_object(g, g->cycle[i]);
        const struct sched_wait_object *o = object ? graph_object(g, *object) : NULL;
        if (t)
            write_task_node(out, g, t, x[2 * i], y[2 * i]);
        if (o) {
            write_object_node(out, o, 1, x[2 * i + 1], y[2 * i + 1]);
            write_edge(out, x[2 * i], y[2 * i], x[2 * i + 1], y[2 * i + 1], 1, "waits for");
            write_edge(out, x[2 * i + 1], y[2 * i + 1], x[(2 * i + 2) % nodes],
                       y[(2 * i + 2) % nodes], 1, relation_label(o));
        }
    }
    return cy + ry + NODE_HEIGHT / 2 + 16;
}

void report_html_wait_graph(FILE *out, const struct sched_wait_graph *g)
{
    uint32_t rows = 0, more = 0;
    for (uint32_t i = 0; i < g->task_count; i++) {
        const struct sched_wait_task *t = &g->tasks[i];
        if (t->state != SCHED_WAIT_BLOCKED || (g->cycle_length <= GRAPH_RING_MAX &&
                                               on_cycle(g, t->pid)))
            continue;
        if (rows < GRAPH_ROWS_MAX)
            rows++;
        else
            more++;
    }
    int ring = g->cycle_length > 0 && g->cycle_length <= GRAPH_RING_MAX;
    double ring_height = ring ? 2 * (50 + 25.0 * g->cycle_length) + NODE_HEIGHT + 24 : 0;
    double row_height = NODE_HEIGHT * 2 + 14;
    double height = 10 + ring_height + rows * row_height + (more ? 24 : 0) + 10;
    fputs("<h2 id=\"wait-for\">Wait-for graph</h2>\n", out);
    if (g->cycle_length)
        fprintf(out, "<p>The cycle (%" PRIu32 " task%s) is drawn in <span class=\"bad\">red</span>: "
                     "each task waits for an object that the next one holds, so none of them "
                     "can ever proceed.</p>\n",
                g->cycle_length, g->cycle_length == 1 ? "" : "s");
    else
        fputs("<p>No wait-for cycle: the blocked tasks wait for objects nobody is bound to "
              "signal, or for one another in a chain.</p>\n",
              out);
    fprintf(out, "<svg width=\"880\" height=\"%.0f\" viewBox=\"0 0 880 %.0f\" role=\"img\" "
                 "aria-label=\"wait-for graph\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            height, height);
    fputs("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
          "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
          "fill=\"#888\"/></marker><marker id=\"arrow-cycle\" viewBox=\"0 0 10 10\" refX=\"10\" "
          "refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 "
          "L0,10 z\" fill=\"#d62728\"/></marker></defs>\n",
          out);
    double y = 10;
    if (ring)
        y = write_cycle_ring(out, g, y);
    uint32_t drawn = 0;
    for (uint32_t i = 0; i < g->task_count && drawn < rows; i++) {
        const struct sched_wait_task *t = &g->tasks[i];
        if (t->state != SCHED_WAIT_BLOCKED || (ring && on_cycle(g, t->pid)))
            continue;
        write_graph_row(out, g, t, y + NODE_HEIGHT / 2, on_cycle(g, t->pid));
        y += row_height;
        drawn++;
    }
    if (more)
        fprintf(out, "<text x=\"10\" y=\"%.1f\" class=\"more\">+%" PRIu32 " more blocked "
                     "task%s (in the report below)</text>\n",
                y + 12, more, more == 1 ? "" : "s");
    fputs("</svg>\n", out);
}

