/* output — what the commands share for their output: the files run and replay
 * write (through a temporary renamed into place), their summary, and the variant
 * rows of list and run --help. Private to cli/. */
#ifndef DETSIM_OUTPUT_H
#define DETSIM_OUTPUT_H

#include <stdio.h>

#include "reports/report.h"
#include "sim/run.h"

struct output_file {
    const char *path; /* NULL: none; "-": stdout */
    char tmp_path[4096];
    FILE *stream;
};

/* Opens f's temporary (nothing for no path, stdout for "-"); what names the file in
 * the error. Returns 0, or EXIT_USAGE after one line on stderr (nothing open). */
int output_open(struct output_file *f, const char *what);

/* Renames f's temporary into place when keep, removes it otherwise (flushes stdout
 * for "-"). Returns 0, or EXIT_INTERNAL after one line on stderr. */
int output_close(struct output_file *f, const char *what, int keep);

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

/* Writes the end of the reports after a run and commits them. Returns 0, or
 * EXIT_INTERNAL after one line on stderr (both are then removed). */
int output_reports_finish(struct output_reports *f, struct report_outputs *outputs,
                          const struct run_options *run, const struct run_result *result);

/* Says where the reports were written. */
void output_reports_announce(const struct output_reports *f);

/* Parses --trace-format's text or jsonl into *format. Returns 0, or EXIT_USAGE after
 * one line on stderr (*format unchanged). */
int output_parse_trace_format(const char *text, enum trace_format *format);

/* Prints a run's report (unless quiet) and its summary line, and flushes. */
void output_print_result(const struct run_options *options, const struct run_result *result,
                         int quiet);

/* Prints one row per variant of scenario: name, declared outcome, what it sets. */
void output_print_variants(const struct scenario *scenario);

#endif
