/* html — the run report page; see html.h.
 *
 * The page is plain HTML with inline CSS and SVG. Its size is bounded whatever the
 * run: at most REPORT_LANES_SHOWN_MAX lanes of at most REPORT_COLUMNS columns (runs
 * of equal cells drawn as one rectangle, at most one marker a cell), four charts of
 * one polyline each, a bounded wait-for graph (html_graph.c) and at most
 * TEXT_LINES_MAX lines of report text. */
#include "html.h"
#include "html_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "faults/failpoint.h"
#include "model/uapi.h"
#include "util/errno_name.h"
#include "util/outfile.h"
#include "util/progname.h"

#define LABEL_WIDTH 200.0 /* px left of the plots, for names */
#define PLOT_WIDTH 760.0
#define LANE_HEIGHT 16.0
#define AXIS_HEIGHT 30.0
#define CHART_HEIGHT 96.0
#define TEXT_LINES_MAX 400  /* lines of a report shown in full */
#define LEAK_ITEMS_MAX 200

void report_html_escape(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*p, out);
        }
    }
}

void report_html_escape_cut(FILE *out, const char *text, size_t max)
{
    char cut[256];
    size_t length = strlen(text);
    if (length <= max || max >= sizeof cut) {
        report_html_escape(out, text);
        return;
    }
    snprintf(cut, sizeof cut, "%.*s...", (int)(max - 3), text);
    report_html_escape(out, cut);
}

struct page {
    FILE *out;
    const struct report_collector *c;
    const struct run_options *options;
    const struct run_result *result;
    uint32_t columns;  /* columns drawn */
    double column_px;  /* width of one */
    uint32_t *order;   /* pids of the lanes shown, in the order shown */
    uint32_t shown;
};

static const char *const style =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;"
    "max-width:1000px;margin:1.5em auto;padding:0 1em}\n"
    "h1{font-size:1.45em;margin-bottom:.2em}h2{font-size:1.15em;border-bottom:1px solid #ddd;"
    "margin-top:1.8em;padding-bottom:.2em}\n"
    "pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.6em .8em;overflow-x:auto;"
    "font-size:12px;line-height:1.35}\n"
    "code{font-size:13px}.muted{color:#666}.bad{color:#b42318}.good{color:#1a7f37}\n"
    "svg text.bad{fill:#b42318}svg text.muted{fill:#777}\n"
    ".badge{display:inline-block;padding:.1em .6em;border-radius:.8em;color:#fff;"
    "font-weight:600}.badge.good{background:#1a7f37;color:#fff}"
    ".badge.bad{background:#b42318;color:#fff}\n"
    "table{border-collapse:collapse;font-size:13px;margin:.4em 0}"
    "th,td{border:1px solid #e1e4e8;padding:2px 8px;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}tr.changed td{font-weight:600;"
    "background:#fff8e1}\n"
    "svg{display:block;margin:.4em 0}svg text{font:11px ui-monospace,Menlo,Consolas,monospace;"
    "fill:#333}\n"
    ".c0{fill:#e4e4e4}.a1{fill:#a6cbe3}.a2{fill:#4a90c4}.a3{fill:#0b4f8a}"
    ".b1{fill:#fdd0a2}.b2{fill:#e6550d}\n"
    ".m-spawn{fill:#2ca02c}.m-exit{fill:#555}.m-kill{stroke:#d62728;stroke-width:2;fill:none}"
    ".m-signal{stroke:#9467bd;stroke-width:1.5;fill:#fff}.m-fault{fill:#e377c2}"
    ".m-oom{fill:#000}.m-check{fill:#d62728}.m-error{fill:#ff7f0e}\n"
    "text.lane-bad{fill:#b42318;font-weight:bold}text.more{fill:#666;font-style:italic}"
    "line.tick{stroke:#bbb}line.grid{stroke:#eee}\n"
    ".use{fill:none;stroke:#1f77b4;stroke-width:1.5}.use-area{fill:#1f77b4;fill-opacity:.12}"
    ".limit{stroke:#d62728;stroke-width:1.2;stroke-dasharray:6 3}"
    ".ceiling{fill:none;stroke:#9467bd;stroke-width:1.2;stroke-dasharray:2 2}\n"
    ".node rect{fill:#fff;stroke:#666;stroke-width:1}.node.blocked rect{fill:#fde4e1}"
    ".node.runnable rect{fill:#e3f4e1}.node.exited rect{fill:#eee}"
    ".node.object rect{fill:#e8eefc}.node.on-cycle rect{stroke:#d62728;stroke-width:2}\n"
    ".edge{stroke:#888;stroke-width:1.3;fill:none}.edge.cycle{stroke:#d62728;stroke-width:2.6}"
    "text.edge-label{fill:#666;font-size:10px}text.edge-label.cycle{fill:#d62728}\n"
    ".leak{margin:.5em 0}.leak-head{font-weight:600;font-family:ui-monospace,monospace;"
    "font-size:13px}.leak pre{margin:.2em 0 .6em}\n"
    ".legend svg{display:inline;vertical-align:middle;margin:0 .2em 0 .8em}\n";

/* ---- small things ----------------------------------------------------------------- */

static int failed_outcome(enum sched_outcome outcome)
{
    return outcome != SCHED_OUTCOME_PASS;
}

static double column_x(const struct page *p, uint32_t column)
{
    return LABEL_WIDTH + column * p->column_px;
}

static void write_duration(FILE *out, uint64_t ns)
{
    char buf[32];
    fputs(trace_format_duration(ns, buf), out);
}

/* Writes a position on the time axis: a virtual time, or a step (report.h). */
static void write_position(const struct page *p, uint64_t at)
{
    if (p->c->axis_steps)
        fprintf(p->out, "step %" PRIu64, at);
    else
        write_duration(p->out, at);
}

/* Writes "vtime A-B (from step N)", or "steps A-B", for a column. */
static void write_column_span(const struct page *p, uint32_t column)
{
    uint64_t from = (uint64_t)column * p->c->column_width;
    fputs(p->c->axis_steps ? "steps " : "vtime ", p->out);
    if (p->c->axis_steps)
        fprintf(p->out, "%" PRIu64, from);
    else
        write_duration(p->out, from);
    if (p->c->column_width > 1) {
        fputs("-", p->out);
        if (p->c->axis_steps)
            fprintf(p->out, "%" PRIu64, from + p->c->column_width - 1);
        else
            write_duration(p->out, from + p->c->column_width - 1);
    }
    if (!p->c->axis_steps && p->c->column_first_step[column] != UINT64_MAX)
        fprintf(p->out, " (from step %" PRIu64 ")", p->c->column_first_step[column]);
}

static void write_text_block(FILE *out, const char *text)
{
    /* Long reports (hundreds of blocked tasks) are cut: the page stays small. */
    uint32_t lines = 0;
    const char *p = text;
    fputs("<pre>", out);
    while (*p && lines < TEXT_LINES_MAX) {
        const char *end = strchr(p, '\n');
        size_t length = end ? (size_t)(end - p) + 1 : strlen(p);
        char *line = malloc(length + 1);
        if (!line)
            break;
        memcpy(line, p, length);
        line[length] = '\0';
        report_html_escape(out, line);
        free(line);
        p += length;
        lines++;
    }
    uint32_t rest = 0;
    for (const char *q = p; *q; q++)
        rest += *q == '\n';
    if (*p)
        fprintf(out, "... %" PRIu32 " more line%s (detsim run prints the whole report)\n",
                rest, rest == 1 ? "" : "s");
    fputs("</pre>\n", out);
}

/* ---- the head and the outcome ------------------------------------------------------ */

static void write_head(const struct page *p)
{
    FILE *out = p->out;
    char name[64];
    scenario_name(p->options->scenario, name);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", out);
    fputs("<title>detsim: ", out);
    report_html_escape(out, name);
    fprintf(out, " seed %" PRIu64 " - ", p->options->seed);
    report_html_escape(out, sched_outcome_name(p->result->outcome));
    fputs("</title>\n<style>\n", out);
    fputs(style, out);
    fputs("</style>\n</head>\n<body>\n", out);
}

static void write_outcome(const struct page *p)
{
    FILE *out = p->out;
    const struct run_result *r = p->result;
    char name[64], strategy[64];
    scenario_name(p->options->scenario, name);
    fputs("<h1>", out);
    report_html_escape(out, name);
    fprintf(out, " seed %" PRIu64 " <span class=\"badge %s\">", p->options->seed,
            failed_outcome(r->outcome) ? "bad" : "good");
    report_html_escape(out, sched_outcome_name(r->outcome));
    fputs("</span></h1>\n", out);
    struct text summary = {0};
    run_format_summary(p->options, r, &summary);
    fputs("<pre class=\"summary\">", out);
    report_html_escape(out, text_str(&summary));
    fputs("</pre>\n", out);
    text_free(&summary);
    fputs("<table class=\"facts\">\n", out);
    fputs("<tr><th>scenario</th><td>", out);
    report_html_escape(out, name);
    fputs("</td><th>outcome</th><td>", out);
    report_html_escape(out, sched_outcome_name(r->outcome));
    fprintf(out, "</td></tr>\n<tr><th>seed</th><td>%" PRIu64 "</td><th>steps</th><td class=\"n\">%"
                 PRIu64 "</td></tr>\n",
            p->options->seed, r->steps);
    fputs("<tr><th>strategy</th><td>", out);
    report_html_escape(out, p->options->replay ? "replay (recorded choices)"
                                               : run_format_strategy(&p->options->strategy,
                                                                     strategy));
    fputs("</td><th>virtual time</th><td class=\"n\">", out);
    write_duration(out, r->vtime_ns);
    fprintf(out, "</td></tr>\n<tr><th>trace hash</th><td><code>0x%016" PRIx64
                 "</code></td><th>events</th><td class=\"n\">%" PRIu64 "</td></tr>\n",
            r->hash, r->events);
    fprintf(out, "<tr><th>processes</th><td class=\"n\">%" PRIu32 "</td><th>faults fired</th>"
                 "<td class=\"n\">%" PRIu64 "</td></tr>\n",
            p->c->lane_count, r->faults_fired);
    fputs("</table>\n", out);
}

static void write_replay(const struct page *p, const char *repro_path, const char *schedule_path)
{
    FILE *out = p->out;
    struct text command = {0};
    report_replay_command(p->options, schedule_path, &command);
    fputs("<h2 id=\"replay\">Replay</h2>\n<p>The same command gives the same run, trace and "
          "hash:</p>\n<pre>",
          out);
    report_html_escape(out, text_str(&command));
    fputs("</pre>\n", out);
    text_free(&command);
    if (p->result->outcome != SCHED_OUTCOME_PASS)
        fprintf(out, "<p class=\"muted\">Add <code>--expect %s</code> to make it exit 0 while the "
                     "bug is there.</p>\n",
                sched_outcome_name(p->result->outcome));
    if (repro_path) {
        struct text replay = {0};
        text_printf(&replay, "%s replay ", progname());
        report_shell_quote(repro_path, &replay);
        fputs("<p>From the repro file, with the recorded choices:</p>\n<pre>", out);
        report_html_escape(out, text_str(&replay));
        fputs("</pre>\n", out);
        text_free(&replay);
    }
}

/* ---- the leak audit ---------------------------------------------------------------- */

static void write_leaks(const struct page *p)
{
    FILE *out = p->out;
    const char *text = text_str(&p->result->report);
    fputs("<h2 id=\"leaks\">Leaked objects</h2>\n", out);
    const char *line = text;
    uint32_t items = 0, more = 0;
    int item = 0; /* an item's <div> is open */
    int open = 0; /* and the <pre> of its details */
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(length < 511 ? length : 511), line);
        size_t indent = strspn(buf, " ");
        if (indent == 0) {
            fputs("<p><strong>", out);
            report_html_escape(out, buf);
            fputs("</strong></p>\n", out);
        } else if (indent == 2) {
            /* an object: its details follow, indented further */
            fputs(open ? "</pre></div>\n" : item ? "</div>\n" : "", out);
            item = open = 0;
            if (items == LEAK_ITEMS_MAX) {
                more++;
            } else {
                items++;
                fputs("<div class=\"leak\"><div class=\"leak-head\">", out);
                report_html_escape(out, buf + 2);
                fputs("</div>", out);
                item = 1;
            }
        } else if (item) {
            if (!open)
                fputs("<pre>", out);
            open = 1;
            report_html_escape(out, indent >= 4 ? buf + 4 : buf + indent);
            fputc('\n', out);
        }
        line += length + (end ? 1 : 0);
    }
    fputs(open ? "</pre></div>\n" : item ? "</div>\n" : "", out);
    if (more)
        fprintf(out, "<p class=\"muted\">+%" PRIu32 " more leaked objects (detsim run prints "
                     "them all)</p>\n",
                more);
}

/* ---- the timeline ------------------------------------------------------------------ */

static int lane_rank(const struct report_lane *lane)
{
    if (lane->in_cycle)
        return 0;
    if (lane->state == REPORT_LANE_BLOCKED && !lane->daemon)
        return 1;
    if (lane->state == REPORT_LANE_KILLED || lane->checked || lane->ooms ||
        (lane->state == REPORT_LANE_EXITED && lane->exit_status != 0))
        return 2;
    if (lane->faults || lane->signals)
        return 3;
    if (lane->state == REPORT_LANE_LIVE && !lane->daemon)
        return 4;
    return 5;
}

/* Picks the lanes to show: the blocked and failed ones first, then by pid. */
static int choose_lanes(struct page *p)
{
    const struct report_collector *c = p->c;
    p->order = calloc(c->lane_count + 1, sizeof *p->order);
    if (!p->order)
        return -ENOMEM;
    uint32_t n = 0;
    for (int rank = 0; rank <= 5 && n < REPORT_LANES_SHOWN_MAX; rank++)
        for (uint32_t pid = 1; pid <= c->lane_count && n < REPORT_LANES_SHOWN_MAX; pid++)
            if (lane_rank(&c->lanes[pid - 1]) == rank && c->lanes[pid - 1].events)
                p->order[n++] = pid;
    p->shown = n;
    return 0;
}

/* The background of a cell: how much of it the process spent blocked. */
static const char *state_class(const struct report_cell *cell, int alive)
{
    if (cell->blocked >= 43690) /* two thirds */
        return "b2";
    if (cell->blocked >= 10922 || (cell->marks & REPORT_MARK_BLOCK && alive)) /* a sixth */
        return "b1";
    return alive ? "c0" : NULL;
}

/* The bar over it: how busy the process was, against the busiest cell shown. */
static const char *activity_class(const struct report_cell *cell, uint32_t max_events)
{
    if (!cell->events)
        return NULL;
    if ((uint64_t)cell->events * 4 <= max_events)
        return "a1";
    return (uint64_t)cell->events * 3 <= (uint64_t)max_events * 2 ? "a2" : "a3";
}

static void write_marker(const struct page *p, uint16_t marks, uint32_t column, double y,
                         const char *who)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } names[] = {
        {REPORT_MARK_CHECK, "check failed"}, {REPORT_MARK_KILLED, "killed"},
        {REPORT_MARK_OOM, "OOM"},           {REPORT_MARK_FAULT, "fault fired"},
        {REPORT_MARK_SIGNAL, "signal"},      {REPORT_MARK_ERROR, "error returned"},
        {REPORT_MARK_SPAWN, "spawned"},      {REPORT_MARK_EXIT, "exited"},
    };
    uint16_t shown = 0;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        shown |= names[i].bit;
    if (!(marks & shown))
        return;
    FILE *out = p->out;
    double x = column_x(p, column) + p->column_px / 2;
    uint16_t glyph = 0; /* the first mark in the order of names[]: the most telling */
    for (unsigned i = 0; i < sizeof names / sizeof names[0] && !glyph; i++)
        glyph = marks & names[i].bit;
    const char *element = "circle";
    switch (glyph) {
    case REPORT_MARK_CHECK:
        fprintf(out, "<circle class=\"m-check\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\">", x, y);
        break;
    case REPORT_MARK_KILLED:
        element = "path";
        fprintf(out, "<path class=\"m-kill\" d=\"M%.1f %.1fl8 8m-8 0l8-8\">", x - 4, y - 4);
        break;
    case REPORT_MARK_OOM:
        element = "rect";
        fprintf(out, "<rect class=\"m-oom\" x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\">",
                x - 3.5, y - 3.5);
        break;
    case REPORT_MARK_FAULT:
        element = "path";
        fprintf(out, "<path class=\"m-fault\" d=\"M%.1f %.1fl4 4-4 4-4-4z\">", x, y - 4);
        break;
    case REPORT_MARK_SIGNAL:
        fprintf(out, "<circle class=\"m-signal\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\">", x, y);
        break;
    case REPORT_MARK_ERROR:
        fprintf(out, "<circle class=\"m-error\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\">", x, y);
        break;
    case REPORT_MARK_SPAWN:
        element = "path";
        fprintf(out, "<path class=\"m-spawn\" d=\"M%.1f %.1fl6 4-6 4z\">", x - 3, y - 4);
        break;
    default:
        element = "rect";
        fprintf(out, "<rect class=\"m-exit\" x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"10\">",
                x - 1, y - 5);
        break;
    }
    fputs("<title>", out);
    report_html_escape(out, who);
    fputs(", ", out);
    write_column_span(p, column);
    fputs(":", out);
    int first = 1;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (marks & names[i].bit) {
            fprintf(out, "%s %s", first ? "" : ",", names[i].name);
            first = 0;
        }
    fprintf(out, "</title></%s>\n", element);
}

/* One lane: runs of equal cells as one rectangle each, then the markers. */
/* One layer of a lane: runs of cells of one class, one rectangle each. */
static void write_lane_layer(const struct page *p, const struct report_cell *cells,
                             uint32_t max_events, uint32_t alive_from, uint32_t alive_to,
                             double y, double height, int activity)
{
    uint32_t start = 0;
    const char *run = NULL;
    for (uint32_t column = 0; column <= p->columns; column++) {
        const char *class = NULL;
        if (column < p->columns)
            class = activity ? activity_class(&cells[column], max_events)
                             : state_class(&cells[column],
                                           column >= alive_from && column <= alive_to);
        if (column < p->columns && class == run)
            continue;
        if (run)
            fprintf(p->out,
                    "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\"/>\n",
                    run, column_x(p, start), y, (column - start) * p->column_px, height);
        run = class;
        start = column;
    }
}

/* One lane: the blocked share as its background, activity as a bar over it, then
 * the markers. */
static void write_lane_cells(const struct page *p, const struct report_cell *cells,
                             uint32_t max_events, uint32_t alive_from, uint32_t alive_to,
                             double y, const char *who)
{
    write_lane_layer(p, cells, max_events, alive_from, alive_to, y + 2, LANE_HEIGHT - 4, 0);
    write_lane_layer(p, cells, max_events, alive_from, alive_to, y + 5, LANE_HEIGHT - 10, 1);
    for (uint32_t column = 0; column < p->columns; column++)
        write_marker(p, cells[column].marks, column, y + LANE_HEIGHT / 2, who);
}

static void write_axis(const struct page *p, double y_top, double y_bottom, int labels)
{
    FILE *out = p->out;
    uint32_t every = p->columns / 8 ? (p->columns + 7) / 8 : 1;
    for (uint32_t column = 0; column < p->columns; column += every) {
        double x = column_x(p, column);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
                y_top, x, y_bottom);
        if (!labels)
            continue;
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 2, y_top - 16);
        write_position(p, (uint64_t)column * p->c->column_width);
        fputs("</text>", out);
        if (!p->c->axis_steps && p->c->column_first_step[column] != UINT64_MAX)
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"muted\">step %" PRIu64 "</text>",
                    x + 2, y_top - 4, p->c->column_first_step[column]);
        fputc('\n', out);
    }
}

static void write_lane_label(const struct page *p, const struct report_lane *lane, double y)
{
    FILE *out = p->out;
    char label[64];
    snprintf(label, sizeof label, "pid %" PRIu32 " %s", lane->pid, lane->name);
    int bad = lane_rank(lane) <= 2;
    fprintf(out, "<text x=\"4\" y=\"%.1f\"%s><title>", y + LANE_HEIGHT / 2 + 4,
            bad ? " class=\"lane-bad\"" : "");
    report_html_escape(out, label);
    fprintf(out, " (parent pid %" PRIu32 "): ", lane->parent);
    switch (lane->state) {
    case REPORT_LANE_LIVE: fputs("still running at the end", out); break;
    case REPORT_LANE_BLOCKED:
        fprintf(out, "blocked in %s", trace_op_name(lane->blocked_op));
        if (lane->blocked_on[0]) {
            fputs(" on ", out);
            report_html_escape(out, lane->blocked_on);
        }
        fprintf(out, " since step %" PRIu64, lane->blocked_since_step);
        break;
    case REPORT_LANE_EXITED:
    case REPORT_LANE_KILLED:
        /* The wait status, in words. */
        if (SYS_WIFSIGNALED(lane->exit_status))
            fprintf(out, "%s by signal %d at ",
                    lane->state == REPORT_LANE_KILLED ? "killed" : "ended",
                    (int)SYS_WTERMSIG(lane->exit_status));
        else
            fprintf(out, "exited with code %d at ", (int)SYS_WEXITSTATUS(lane->exit_status));
        write_position(p, lane->end_at);
        break;
    }
    fprintf(out, "; %" PRIu64 " events, %" PRIu64 " errors, %" PRIu64 " faults, %" PRIu64
                 " signals</title>",
            lane->events, lane->errors, lane->faults, lane->signals);
    report_html_escape_cut(out, label, 27);
    fputs("</text>\n", out);
}

/* The heading and the paragraph that say how to read the timeline: its axis, the
 * width of a column, and which lanes come first when not all are shown. */
static void write_timeline_intro(const struct page *p, uint32_t hidden)
{
    FILE *out = p->out;
    const struct report_collector *c = p->c;
    fputs("<h2 id=\"timeline\">Timeline</h2>\n", out);
    fprintf(out, "<p>One lane per process, over %s in %" PRIu32 " column%s of ",
            c->axis_steps ? "steps (step_time is 0: virtual time stands still)" : "virtual time",
            p->columns, p->columns == 1 ? "" : "s");
    if (c->axis_steps)
        fprintf(out, "%" PRIu64 " step%s", c->column_width, c->column_width == 1 ? "" : "s");
    else
        write_duration(out, c->column_width);
    fprintf(out, " each: the background is the share of the column spent blocked (orange), the "
                 "bar how busy the process was. %" PRIu32
                 " process%s",
            c->lane_count, c->lane_count == 1 ? "" : "es");
    if (hidden)
        fprintf(out, "; the %" PRIu32 " shown first are the blocked and failed ones, then by pid",
                p->shown);
    fputs(". Hover over a name or a marker for details.</p>\n", out);
}

/* The most events in one cell of the lanes shown (at least 1): the top of the
 * activity scale. */
static uint32_t busiest_cell(const struct page *p)
{
    uint32_t max_events = 1;
    for (uint32_t i = 0; i < p->shown; i++) {
        const struct report_lane *lane = &p->c->lanes[p->order[i] - 1];
        for (uint32_t column = 0; lane->cells && column < p->columns; column++)
            if (lane->cells[column].events > max_events)
                max_events = lane->cells[column].events;
    }
    return max_events;
}

/* Draws the lanes shown, one a row, and takes their events out of rest (every
 * process's events per column, for the row of the others); rest may be NULL. */
static void write_shown_lanes(const struct page *p, uint32_t max_events, struct report_cell *rest)
{
    const struct report_collector *c = p->c;
    for (uint32_t i = 0; i < p->shown; i++) {
        const struct report_lane *lane = &c->lanes[p->order[i] - 1];
        double y = AXIS_HEIGHT + i * LANE_HEIGHT;
        write_lane_label(p, lane, y);
        char who[64];
        snprintf(who, sizeof who, "pid %" PRIu32 " %s", lane->pid, lane->name);
        if (lane->cells) {
            write_lane_cells(p, lane->cells, max_events, report_column_of(c, lane->spawn_at),
                             report_column_of(c, lane->end_at), y, who);
            for (uint32_t column = 0; rest && column < REPORT_COLUMNS; column++)
                rest[column].events -= lane->cells[column].events;
        }
    }
}

/* Everything not shown, in one row below the lanes: rest holds the hidden lanes'
 * events (write_shown_lanes took the others out); its markers are their telling
 * ones, and it has no blocked background. */
static void write_hidden_row(const struct page *p, struct report_cell *rest, uint32_t hidden)
{
    const struct report_collector *c = p->c;
    uint32_t rest_max = 1;
    for (uint32_t column = 0; column < REPORT_COLUMNS; column++) {
        rest[column].marks = 0;
        rest[column].blocked = 0;
    }
    for (uint32_t pid = 1; pid <= c->lane_count; pid++) {
        const struct report_lane *lane = &c->lanes[pid - 1];
        int shown = 0;
        for (uint32_t i = 0; i < p->shown && !shown; i++)
            shown = p->order[i] == pid;
        for (uint32_t column = 0; !shown && lane->cells && column < REPORT_COLUMNS; column++)
            rest[column].marks |= lane->cells[column].marks &
                                  (REPORT_MARK_KILLED | REPORT_MARK_FAULT | REPORT_MARK_OOM |
                                   REPORT_MARK_CHECK | REPORT_MARK_SIGNAL);
    }
    for (uint32_t column = 0; column < p->columns; column++)
        if (rest[column].events > rest_max)
            rest_max = rest[column].events;
    double y = AXIS_HEIGHT + p->shown * LANE_HEIGHT;
    fprintf(p->out, "<text x=\"4\" y=\"%.1f\" class=\"more\">+%" PRIu32 " more process%s</text>\n",
            y + LANE_HEIGHT / 2 + 4, hidden, hidden == 1 ? "" : "es");
    char who[64];
    snprintf(who, sizeof who, "%" PRIu32 " more processes", hidden);
    write_lane_cells(p, rest, rest_max, p->columns, 0, y, who);
}

/* The key to the timeline's colours and markers. */
static void write_legend(FILE *out)
{
    fputs("<p class=\"legend muted\">", out);
    static const char *const legend[][2] = {
        {"<rect class=\"a2\" x=\"0\" y=\"4\" width=\"14\" height=\"6\"/>", "ran (darker: busier)"},
        {"<rect class=\"b2\" x=\"0\" y=\"2\" width=\"14\" height=\"10\"/>", "blocked"},
        {"<rect class=\"b1\" x=\"0\" y=\"2\" width=\"14\" height=\"10\"/>", "partly blocked"},
        {"<rect class=\"c0\" x=\"0\" y=\"2\" width=\"14\" height=\"10\"/>", "alive"},
        {"<path class=\"m-spawn\" d=\"M4 3l6 4-6 4z\"/>", "spawned"},
        {"<rect class=\"m-exit\" x=\"6\" y=\"2\" width=\"2\" height=\"10\"/>", "exited"},
        {"<path class=\"m-kill\" d=\"M3 3l8 8m-8 0l8-8\"/>", "killed"},
        {"<circle class=\"m-signal\" cx=\"7\" cy=\"7\" r=\"3\"/>", "signal"},
        {"<path class=\"m-fault\" d=\"M7 3l4 4-4 4-4-4z\"/>", "fault"},
        {"<rect class=\"m-oom\" x=\"3.5\" y=\"3.5\" width=\"7\" height=\"7\"/>", "OOM"},
        {"<circle class=\"m-error\" cx=\"7\" cy=\"7\" r=\"2.5\"/>", "error returned"},
        {"<circle class=\"m-check\" cx=\"7\" cy=\"7\" r=\"4\"/>", "check failed"},
    };
    for (unsigned i = 0; i < sizeof legend / sizeof legend[0]; i++)
        fprintf(out, "<svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\">%s</svg>%s",
                legend[i][0], legend[i][1]);
    fputs("</p>\n", out);
}

/* The timeline: the lanes shown, a row for the rest, and the legend below. */
static void write_timeline(struct page *p)
{
    FILE *out = p->out;
    const struct report_collector *c = p->c;
    uint32_t hidden = 0;
    for (uint32_t pid = 1; pid <= c->lane_count; pid++)
        hidden += c->lanes[pid - 1].events > 0;
    hidden -= p->shown;
    uint32_t rows = p->shown + (hidden ? 1 : 0);
    double height = AXIS_HEIGHT + rows * LANE_HEIGHT + 8;
    write_timeline_intro(p, hidden);
    fprintf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                 "aria-label=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            LABEL_WIDTH + PLOT_WIDTH + 10, height, LABEL_WIDTH + PLOT_WIDTH + 10, height);
    write_axis(p, AXIS_HEIGHT, height - 6, 1);
    uint32_t max_events = busiest_cell(p);
    struct report_cell *rest = calloc(REPORT_COLUMNS, sizeof *rest);
    for (uint32_t i = 0; rest && i < REPORT_COLUMNS; i++)
        rest[i] = c->all[i];
    write_shown_lanes(p, max_events, rest);
    if (hidden && rest)
        write_hidden_row(p, rest, hidden);
    free(rest);
    fputs("</svg>\n", out);
    write_legend(out);
}

/* ---- resources --------------------------------------------------------------------- */

enum series { SERIES_CHANNELS, SERIES_PROCS, SERIES_PORTS, SERIES_HEAP };

static uint64_t usage_value(const struct report_usage *u, enum series s)
{
    switch (s) {
    case SERIES_CHANNELS: return u->channels;
    case SERIES_PROCS: return u->procs;
    case SERIES_PORTS: return u->ports;
    case SERIES_HEAP: return u->heap_bytes;
    }
    return 0;
}

static uint64_t ceiling_value(const struct report_usage *u, enum series s)
{
    return s == SERIES_CHANNELS ? u->channel_ceiling : s == SERIES_PROCS ? u->proc_ceiling : 0;
}

/* One point of a step line at x: from the level at y_before to the one at y_after. */
static void write_step(FILE *out, double x, double y_before, double y_after, int first)
{
    if (first)
        fprintf(out, "%.1f,%.1f", x, y_after);
    else
        fprintf(out, " %.1f,%.1f %.1f,%.1f", x, y_before, x, y_after);
}

/* One chart: the series against its limit, what the legend says of it, and the
 * scale that turns a level into a y on the plot. */
struct chart {
    enum series series;
    uint64_t limit;
    uint64_t peak;           /* the highest level in a column */
    uint64_t last;           /* the level in the last column with events */
    uint64_t lowest_ceiling; /* the fewest slots a slot fault left; limit when none */
    uint64_t top;            /* the level at plot_top: limit or peak, at least 1 */
    double plot_top, plot_bottom, span;
};

/* Measures series over the columns drawn: its peak, last level and lowest ceiling,
 * and from them the chart's scale. */
static struct chart measure_chart(const struct page *p, enum series series, uint64_t limit)
{
    struct chart g = {.series = series, .limit = limit, .lowest_ceiling = limit};
    for (uint32_t column = 0; column < p->columns; column++) {
        const struct report_usage *u = &p->c->usage[column];
        if (!u->sampled)
            continue;
        uint64_t v = usage_value(u, series);
        g.peak = v > g.peak ? v : g.peak;
        g.last = v;
        if (ceiling_value(u, series) && ceiling_value(u, series) < g.lowest_ceiling)
            g.lowest_ceiling = ceiling_value(u, series);
    }
    g.top = limit > g.peak ? limit : g.peak;
    if (g.top == 0)
        g.top = 1;
    g.plot_top = 14;
    g.plot_bottom = CHART_HEIGHT - 8;
    g.span = g.plot_bottom - g.plot_top;
    return g;
}

/* The y of a level on the chart. */
static double chart_y(const struct chart *g, uint64_t level)
{
    return g->plot_bottom - g->span * (double)level / (double)g->top;
}

/* Opens the chart's SVG and writes its legend on the left: the title, the peak
 * against the limit, the level at the end, and the peak as a share of the limit. */
static void write_chart_head(const struct page *p, const struct chart *g, const char *title,
                             const char *unit)
{
    FILE *out = p->out;
    fprintf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                 "aria-label=\"",
            LABEL_WIDTH + PLOT_WIDTH + 10, CHART_HEIGHT, LABEL_WIDTH + PLOT_WIDTH + 10,
            CHART_HEIGHT);
    report_html_escape(out, title);
    fputs("\" xmlns=\"http://www.w3.org/2000/svg\">\n", out);
    fputs("<text x=\"4\" y=\"24\" style=\"font-weight:bold\">", out);
    report_html_escape(out, title);
    fprintf(out, "</text>\n<text x=\"4\" y=\"40\">peak %" PRIu64 " of %" PRIu64 "%s%s</text>\n",
            g->peak, g->limit, unit[0] ? " " : "", unit);
    fprintf(out, "<text x=\"4\" y=\"56\" class=\"muted\">at the end: %" PRIu64 "</text>\n",
            g->last);
    fprintf(out, "<text x=\"4\" y=\"72\" class=\"muted\">peak: %" PRIu64 "%% of the limit</text>\n",
            g->limit ? g->peak * 100 / g->limit : 0);
}

/* The step line of one level per column, as a polyline: the use (a column's peak,
 * from 0) or, with ceiling set, the slots a slot fault left usable (from the
 * limit). A column without a level (no events; for the ceiling, no fault) keeps
 * the one before. */
static void write_levels(const struct page *p, const struct chart *g, int ceiling)
{
    FILE *out = p->out;
    const struct report_usage *usage = p->c->usage;
    uint64_t level = ceiling ? g->limit : 0;
    fprintf(out, "<polyline class=\"%s\" points=\"", ceiling ? "ceiling" : "use");
    for (uint32_t column = 0; column < p->columns; column++) {
        uint64_t previous = level;
        uint64_t v = ceiling ? ceiling_value(&usage[column], g->series)
                             : usage_value(&usage[column], g->series);
        if (usage[column].sampled && (v || !ceiling))
            level = v;
        if (column == 0 || level != previous)
            write_step(out, column_x(p, column), chart_y(g, previous), chart_y(g, level),
                       column == 0);
    }
    fprintf(out, " %.1f,%.1f\"/>\n", column_x(p, p->columns), chart_y(g, level));
}

/* A resource chart: use over time against the limit (a dashed line), and what a
 * slot fault left usable when it took slots away. */
static void write_chart(const struct page *p, enum series series, const char *title,
                        const char *limit_key, uint64_t limit, const char *unit)
{
    FILE *out = p->out;
    struct chart g = measure_chart(p, series, limit);
    write_chart_head(p, &g, title, unit);
    write_axis(p, g.plot_top, g.plot_bottom, 0);
    fprintf(out, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            LABEL_WIDTH, g.plot_bottom, LABEL_WIDTH + PLOT_WIDTH, g.plot_bottom);
    write_levels(p, &g, 0);
    double limit_y = chart_y(&g, limit);
    fprintf(out, "<line class=\"limit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            LABEL_WIDTH, limit_y, LABEL_WIDTH + PLOT_WIDTH, limit_y);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"bad\">%s = %" PRIu64
                 "</text>\n",
            LABEL_WIDTH + PLOT_WIDTH, limit_y - 3, limit_key, limit);
    if (g.lowest_ceiling < limit) {
        write_levels(p, &g, 1);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" style=\"fill:#9467bd\">usable under a slot "
                     "fault: %" PRIu64 "</text>\n",
                LABEL_WIDTH + 4, g.plot_top - 2, g.lowest_ceiling);
    }
    fputs("</svg>\n", out);
}

static void write_resources(const struct page *p)
{
    const struct report_collector *c = p->c;
    fprintf(p->out, "<h2 id=\"resources\">Resources</h2>\n<p>Use over %s against each limit (the "
                    "dashed red line): the peak within each column.</p>\n",
            c->axis_steps ? "steps" : "virtual time");
    write_chart(p, SERIES_CHANNELS, "Channel slots", "max_channels", c->max_channels, "");
    write_chart(p, SERIES_PROCS, "Process slots", "max_procs", c->max_procs, "");
    write_chart(p, SERIES_PORTS, "Ports", "max_ports", c->max_ports, "");
    write_chart(p, SERIES_HEAP, "Kernel heap", "heap_bytes", c->heap_capacity_bytes, "bytes");
    fprintf(p->out, "<p class=\"muted\">Heap allocations tried: %" PRIu64 ", failed: %" PRIu64
                    ".</p>\n",
            c->heap_attempts, c->heap_ooms);
}

/* ---- tables ------------------------------------------------------------------------ */

static void write_calls(const struct page *p)
{
    FILE *out = p->out;
    const struct report_collector *c = p->c;
    fputs("<h2 id=\"calls\">Calls and events</h2>\n<table>\n<tr><th>operation</th><th>events</th>"
          "<th>errors</th><th>blocked</th></tr>\n",
          out);
    for (int op = 1; op < TRACE_OP_COUNT; op++)
        if (c->op_calls[op])
            fprintf(out, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                         "</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
                    trace_op_name((enum trace_op)op), c->op_calls[op], c->op_errors[op],
                    c->op_blocked[op]);
    fputs("</table>\n", out);
}

static void write_faults(const struct page *p)
{
    FILE *out = p->out;
    const struct run_options *o = p->options;
    if (!o->fault_count && !p->result->faults_fired)
        return;
    fputs("<h2 id=\"faults\">Faults</h2>\n<p>Armed:</p>\n<ul>\n", out);
    for (uint32_t i = 0; i < o->fault_count; i++) {
        fputs("<li><code>", out);
        report_html_escape(out, o->faults[i].text);
        fprintf(out, "</code>: %" PRIu64 " hit%s</li>\n", p->result->fault_hits[i],
                p->result->fault_hits[i] == 1 ? "" : "s");
    }
    fputs("</ul>\n<table>\n<tr><th>failpoint</th><th>error</th><th>fired</th>"
          "<th>first at step</th></tr>\n",
          out);
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++) {
        if (!p->result->fault_fires[id])
            continue;
        const char *error = errno_name(fault_points[id].error);
        fputs("<tr><td><code>", out);
        report_html_escape(out, fault_points[id].name);
        fprintf(out, "</code></td><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">",
                error ? error : "?", p->result->fault_fires[id]);
        if (p->c->fault_first_step[id])
            fprintf(out, "%" PRIu64, p->c->fault_first_step[id]);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void write_console(const struct page *p)
{
    if (!p->c->console_count)
        return;
    FILE *out = p->out;
    fputs("<h2 id=\"console\">Kernel console</h2>\n<pre>", out);
    for (uint32_t i = 0; i < p->c->console_count; i++) {
        report_html_escape(out, p->c->console[i]);
        fputc('\n', out);
    }
    fputs("</pre>\n", out);
}

static void write_config(const struct page *p)
{
    FILE *out = p->out;
    const struct config *config = &p->options->config;
    fputs("<h2 id=\"config\">Configuration</h2>\n<p>Values that differ from the default are "
          "highlighted.</p>\n<table>\n<tr><th>key</th><th>value</th><th>default</th>"
          "<th>meaning</th></tr>\n",
          out);
    /* the defaults are what a plain run of the scenario gets (its "default" variant
     * included) */
    struct config baseline;
    int have_baseline = run_config_init(&baseline, p->options->scenario) == 0;
    for (uint32_t i = 0; i < config->count; i++) {
        const struct config_key *key = config->keys[i];
        char value[48], fallback[48];
        int at = have_baseline ? config_find(&baseline, key->name) : -1;
        uint64_t plain = at >= 0 ? baseline.values[at] : key->default_value;
        fprintf(out, "<tr%s><td><code>", config->values[i] != plain ? " class=\"changed\"" : "");
        report_html_escape(out, key->name);
        fputs("</code></td><td>", out);
        report_html_escape(out, config_format_value(key, config->values[i], value));
        fputs("</td><td>", out);
        report_html_escape(out, config_format_value(key, plain, fallback));
        fputs("</td><td>", out);
        report_html_escape(out, key->description);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* ---- the page ---------------------------------------------------------------------- */

int report_html_write(FILE *out, const struct report_collector *c,
                      const struct run_options *options, const struct run_result *result,
                      const char *repro_path, const char *schedule_path)
{
    struct page p = {out, c, options, result, 0, 0, NULL, 0};
    p.columns = c->column_count ? c->column_count : 1;
    p.column_px = PLOT_WIDTH / p.columns;
    int rc = choose_lanes(&p);
    write_head(&p);
    write_outcome(&p);
    write_replay(&p, repro_path, schedule_path);
    enum sched_outcome outcome = result->outcome;
    if (outcome == SCHED_OUTCOME_HANG_DEADLOCK || outcome == SCHED_OUTCOME_HANG_BUDGET) {
        report_html_wait_graph(out, &c->graph);
        fputs("<h2 id=\"report\">Hang report</h2>\n", out);
        write_text_block(out, text_str(&result->report));
    } else if (outcome == SCHED_OUTCOME_LEAK) {
        write_leaks(&p);
    } else if (outcome != SCHED_OUTCOME_PASS) {
        fputs("<h2 id=\"report\">Report</h2>\n", out);
        write_text_block(out, text_str(&result->report));
    } else {
        fputs("<p class=\"good\">The run passed: every process exited, nothing was left "
              "over, every invariant held.</p>\n",
              out);
    }
    if (c->failed)
        fputs("<p class=\"bad\">The report ran out of memory while collecting: parts of the "
              "timeline are missing.</p>\n",
              out);
    if (rc == 0)
        write_timeline(&p);
    write_resources(&p);
    write_faults(&p);
    write_console(&p);
    write_calls(&p);
    write_config(&p);
    fprintf(out, "<p class=\"muted\">Written by detsim %s. A run is a pure function of its "
                 "scenario, seed, strategy, config and faults: this page is the same every "
                 "time.</p>\n</body>\n</html>\n",
            DETSIM_VERSION);
    free(p.order);
    if (rc != 0)
        return rc;
    return outfile_flush(out);
}
