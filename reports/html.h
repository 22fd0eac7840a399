/* html — the run report page (`detsim run --report FILE`): one self-contained HTML
 * file, inline CSS and SVG, no script and nothing fetched. It shows the outcome and
 * how to replay it; the hang's wait-for graph with its cycle in red, the leak audit,
 * or the failure report; a timeline with one lane per process; and resource use
 * against its limits. Every piece of text is HTML-escaped. */
#ifndef DETSIM_REPORT_HTML_H
#define DETSIM_REPORT_HTML_H

#include <stdio.h>

#include "report.h"

/* Writes the page of a finished run from what c collected, options as run and result
 * as returned; repro_path and schedule_path (NULL: none) name the files the replay
 * commands use; flushes out. Returns 0, or -errno when a write failed. */
int report_html_write(FILE *out, const struct report_collector *c,
                      const struct run_options *options, const struct run_result *result,
                      const char *repro_path, const char *schedule_path);

/* Writes text with & < > " ' escaped. */
void report_html_escape(FILE *out, const char *text);

#endif
