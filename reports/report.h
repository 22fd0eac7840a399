/* report — run reports: what one run did, for people. `detsim run --report FILE`
 * writes an HTML page (html.c), `--chrome-trace FILE` the trace in Chrome's
 * trace-event format (chrome.c); `detsim sweep --report` a page per failure group.
 *
 * Both watch the run as a run observer (run.h): they only read, so the trace hash is
 * the same with or without them. The collector behind the page keeps a bounded
 * summary whatever the length of the run: virtual time is cut into at most
 * REPORT_COLUMNS columns (their width doubles, two columns merged into one, when the
 * run outgrows them), each process keeps one cell per column, and resource use
 * keeps its peak per column. Nothing is drawn per event.
 *
 * Positions on that axis ("_at") are virtual time in ns, or step numbers when
 * step_time is 0 and virtual time only moves with timers. */
#ifndef DETSIM_REPORT_H
#define DETSIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "sim/run.h"

#define REPORT_COLUMNS 160            /* time columns of the timeline and the charts */
#define REPORT_LANES_DETAILED_MAX 4096 /* processes with a timeline; later ones: totals */
#define REPORT_LANES_SHOWN_MAX 40     /* lanes on the page; the rest: "+K more" */
#define REPORT_CONSOLE_LINES 16

/* What happened to a process within one column, as bits. */
enum report_mark {
    REPORT_MARK_SPAWN = 1 << 0,
    REPORT_MARK_EXIT = 1 << 1,
    REPORT_MARK_KILLED = 1 << 2,  /* SIGKILL, a fatal signal, or an OOM kill */
    REPORT_MARK_SIGNAL = 1 << 3,  /* a signal was sent to it */
    REPORT_MARK_FAULT = 1 << 4,   /* an injected fault fired in its call */
    REPORT_MARK_OOM = 1 << 5,
    REPORT_MARK_ERROR = 1 << 6,   /* a call returned an error */
    REPORT_MARK_CHECK = 1 << 7,   /* a scenario check failed */
    REPORT_MARK_BLOCK = 1 << 8,   /* it blocked */
    REPORT_MARK_WAKE = 1 << 9,    /* it was woken */
};

struct report_cell {
    uint32_t events;  /* trace events of this process in the column */
    uint16_t marks;   /* enum report_mark bits */
    uint16_t blocked; /* share of the column it spent blocked, out of 65535 */
};

enum report_lane_state {
    REPORT_LANE_LIVE,    /* running or runnable */
    REPORT_LANE_BLOCKED, /* parked in a call */
    REPORT_LANE_EXITED,
    REPORT_LANE_KILLED
};

struct report_lane {
    uint32_t pid;
    uint32_t parent;
    char name[32];
    enum report_lane_state state;
    uint8_t daemon;   /* init: never hung, never counted */
    uint8_t in_cycle; /* on the wait-for cycle of a hang */
    uint8_t checked;  /* a scenario check failed in it */
    int64_t exit_status;
    uint64_t spawn_at;
    uint64_t end_at; /* exit or kill; the run's end while alive */
    uint64_t events, errors, faults, signals, ooms;
    /* while blocked */
    enum trace_op blocked_op;
    uint64_t blocked_object;
    uint64_t blocked_since_at;
    uint64_t blocked_since_step;
    char blocked_on[48]; /* the object's name, filled at the end for those still blocked */
    struct report_cell *cells; /* REPORT_COLUMNS, NULL past REPORT_LANES_DETAILED_MAX */
};

/* Resource use in one column: peaks, and the lowest ceiling a slot fault left. */
struct report_usage {
    uint8_t sampled; /* an event fell in the column */
    uint32_t channels;
    uint32_t procs;
    uint32_t ports;
    uint64_t heap_bytes;
    uint32_t channel_ceiling;
    uint32_t proc_ceiling;
};

struct report_collector {
    uint8_t axis_steps;      /* step_time is 0: the axis counts steps */
    uint64_t column_width;   /* what one column covers: ns, or steps */
    uint32_t column_count;  /* columns reached so far, at most REPORT_COLUMNS */
    uint64_t column_first_step[REPORT_COLUMNS]; /* UINT64_MAX: no event in it */
    struct report_usage usage[REPORT_COLUMNS];
    struct report_cell all[REPORT_COLUMNS];     /* every process together */
    struct report_lane *lanes; /* by pid - 1 */
    uint32_t lane_count;
    uint32_t lane_capacity;
    uint64_t events;
    uint64_t op_calls[TRACE_OP_COUNT];
    uint64_t op_errors[TRACE_OP_COUNT];
    uint64_t op_blocked[TRACE_OP_COUNT];
    uint64_t fault_first_step[FAULT_POINT_COUNT];
    uint64_t last_at;
    uint64_t last_step;
    /* the limits, from the world */
    uint32_t max_channels, max_procs, max_ports;
    uint64_t heap_capacity_bytes;
    uint8_t limits_known;
    /* the end of the run */
    uint8_t ended;
    struct sched_wait_graph graph; /* a copy; empty unless the run hung */
    char console[REPORT_CONSOLE_LINES][128]; /* the kernel console's last lines */
    uint32_t console_count;
    uint64_t heap_attempts, heap_ooms;
    int failed; /* the collector ran out of memory: the page says what is missing */
};

/* Sets c up for one run of step_ns a step (0: the axis counts steps). Returns 0. */
int report_collector_init(struct report_collector *c, uint64_t step_ns);
void report_collector_free(struct report_collector *c);

/* Fills observer so that it feeds c; the caller links it into run_options. */
void report_collector_observer(struct report_collector *c, struct run_observer *observer);

/* The column of position at (c->column_width wide), never past the last. */
uint32_t report_column_of(const struct report_collector *c, uint64_t at);

/* Writes the command that replays the run: detsim run SCENARIO --seed N, then
 * --strategy when not random (replay:SCHEDULE when schedule_path is set), --set for
 * every key that differs from its default, --fault for every spec; arguments a
 * shell would mangle are single-quoted. */
void report_replay_command(const struct run_options *options, const char *schedule_path,
                           struct text *out);

/* Appends text quoted for a POSIX shell when it needs quoting. */
void report_shell_quote(const char *text, struct text *out);

/* ---- the outputs of one run ----------------------------------------------------- */

struct report_chrome;

struct report_outputs {
    FILE *html;                /* NULL: no page */
    FILE *chrome;              /* NULL: no Chrome trace */
    const char *repro_path;    /* the run's repro file (replay command); NULL: none */
    const char *schedule_path; /* --strategy replay:FILE; NULL: none */
    /* private */
    struct report_collector *collector;
    struct report_chrome *chrome_writer;
    struct run_observer observers[2];
};

/* Starts the outputs r names and links their observers in front of run's. Returns
 * 0, or -ENOMEM with nothing attached. */
int report_outputs_attach(struct report_outputs *r, struct run_options *run);

/* Writes what the run left to write (the page; the end of the Chrome trace) to the
 * streams and flushes them; the caller commits them. Returns 0, -errno when a write
 * failed, or -ENOMEM when the collector ran short (the page is written, incomplete). */
int report_outputs_finish(struct report_outputs *r, const struct run_options *run,
                          const struct run_result *result);

void report_outputs_free(struct report_outputs *r);

/* For a sweep's failure group: reruns seed under base with a collector and writes
 * the page beside repro_path, its ".repro" replaced by ".html" (util/outfile.h),
 * unless that page exists. Returns 0, or -errno with one line in error (no page
 * then). */
int report_page_beside_repro(const struct run_options *base, uint64_t seed,
                             const char *repro_path, char *error, size_t error_bytes);

/* The page's path for repro_path: ".repro" replaced by (or, without it, followed
 * by) ".html". Returns 0, or -ENAMETOOLONG. */
int report_page_path(const char *repro_path, char *path, size_t path_bytes);

#endif
