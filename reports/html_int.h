/* html_int — shared by the parts of the report page (html.c, html_graph.c). */
#ifndef DETSIM_REPORT_HTML_INT_H
#define DETSIM_REPORT_HTML_INT_H

#include <stddef.h>
#include <stdio.h>

#include "sim/sched.h"

/* Escapes at most max characters of text (max < 256), with "..." when it is cut. */
void report_html_escape_cut(FILE *out, const char *text, size_t max);

/* Writes the wait-for graph section: a heading, a sentence on the cycle, and the
 * picture, its size bounded whatever the number of blocked tasks. */
void report_html_wait_graph(FILE *out, const struct sched_wait_graph *g);

#endif
