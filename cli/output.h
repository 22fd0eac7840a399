/* output — what the commands share for their output: the files run and replay
 * write (through a temporary renamed into place), their summary, and the variant
 * rows of list and run --help. Private to cli/. */
#ifndef DETSIM_OUTPUT_H
#define DETSIM_OUTPUT_H

#include <stdio.h>

#include "reports/isolate.h"
#include "reports/report.h"
#include "sim/run.h"
#include "util/outfile.h"

struct output_file {
    const char *path; /* NULL: none; "-": stdout */
    struct outfile file;
    FILE *stream;     /* NULL: none */
};

/* Opens f (nothing for no path, stdout for "-", else util/outfile.h); what names the
 * file in the error. Returns 0, or EXIT_USAGE after one line on stderr (nothing
 * open). */
int output_open(struct output_file *f, const char *what);

/* Commits f when keep (for "-": flushes stdout), discards it otherwise. Returns 0,
 * or EXIT_INTERNAL after one line on stderr naming the file and the real error (the
 * file is then as it was). */
int output_close(struct output_file *f, const char *what, int keep);

/* Checks that everything printed on stdout reached it. Returns 0, or EXIT_INTERNAL
 * after one line on stderr with the real error (a full disk, a closed pipe). */
int output_check_stdout(void);

/* The report outputs of a run or a replay: --report and --chrome-trace. */
struct output_reports {
    struct output_file html;
    struct output_file chrome;
};

/* Opens both (before anything runs). Returns 0, or EXIT_USAGE after one line on
 * stderr with nothing left open. */
int output_reports_open(struct output_reports *f);

/* Renames both into place when keep, removes them otherwise. Returns 0 or
 * EXIT_INTERNAL after one line on stderr. */
int output_reports_close(struct output_reports *f, int keep);

/* What a run or a replay writes, and how long it may take. */
struct output_run {
    struct output_file *trace;      /* --trace (open or not) */
    struct output_reports *reports; /* --report, --chrome-trace (open or not) */
    const char *repro_path;         /* the run's repro file, NULL: none (the page's replay) */
    const char *schedule_path;      /* --strategy replay:FILE, NULL: none */
    double time_limit_s;            /* wall-clock limit, 0: none */
};

/* What output_run_isolated returns beside 0 and EXIT_INTERNAL: no result (and the
 * outputs removed). */
enum {
    OUTPUT_INTERRUPTED = -1, /* a signal was caught: clean up, then isolate_reraise */
    OUTPUT_NO_RUN = -2,      /* no child could run: one line on stderr said why */
    OUTPUT_REFUSED = -3,     /* a real run could not start: one line on stderr said why */
};

/* Runs run in a child (reports/isolate.h), which writes the trace and the reports
 * of o, then commits them (a crash or a timeout removes them: *loss says which, and
 * result holds the crash's report). Returns 0 with result filled; EXIT_INTERNAL
 * after one line on stderr when an output could not be written (result filled, the
 * outputs removed); OUTPUT_INTERRUPTED, OUTPUT_NO_RUN or OUTPUT_REFUSED (result empty). Call
 * run_result_free either way. */
int output_run_isolated(const struct run_options *run, const struct output_run *o,
                        struct run_result *result, struct isolate_loss *loss);

/* For a run that crashed or ran late: the command that replays it, then its repro
 * file: written to repro (open) when given, else to SWEEP_REPRO_DIR. Returns 0 or
 * EXIT_INTERNAL after one line on stderr. */
int output_lost_run(const struct run_options *run, const struct run_result *result,
                    const char *schedule_path, struct output_file *repro, int quiet);

/* Says where the reports were written. */
void output_reports_announce(const struct output_reports *f);

/* The wall-clock limit of a run or a replay without --time-limit. */
#define OUTPUT_TIME_LIMIT_DEFAULT_S 600.0

/* Parses --time-limit's whole seconds (1 to 86400) into *seconds. Returns 0, or
 * EXIT_USAGE after one line on stderr (*seconds unchanged). */
int output_parse_time_limit(const char *text, double *seconds);

/* Parses --trace-format's text or jsonl into *format. Returns 0, or EXIT_USAGE after
 * one line on stderr (*format unchanged). */
int output_parse_trace_format(const char *text, enum trace_format *format);

/* Prints a run's report (unless quiet) and its summary line, and flushes. */
void output_print_result(const struct run_options *options, const struct run_result *result,
                         int quiet);

/* Prints one row per variant of scenario: name, declared outcome, what it sets. */
void output_print_variants(const struct scenario *scenario);

#endif
