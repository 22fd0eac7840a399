/* output — the commands' shared output; see output.h. */
#include "output.h"

#include <errno.h>
#include <string.h>

#include "cli/options.h"
#include "sim/repro.h"

int output_open(struct output_file *f, const char *what)
{
    if (!f->path)
        return 0;
    if (strcmp(f->path, "-") == 0) {
        f->stream = stdout;
        return 0;
    }
    f->stream = repro_open_temporary(f->path, f->tmp_path, sizeof f->tmp_path);
    if (!f->stream)
        return options_usage_error("cannot write %s '%s': %s", what, f->path, strerror(errno));
    return 0;
}

int output_close(struct output_file *f, const char *what, int keep)
{
    if (!f->stream || f->stream == stdout) {
        if (f->stream)
            fflush(stdout);
        return 0;
    }
    if (!keep) {
        fclose(f->stream);
        remove(f->tmp_path);
        return 0;
    }
    int rc = repro_commit_temporary(f->stream, f->tmp_path, f->path);
    if (rc != 0) {
        fprintf(stderr, "detsim: cannot write %s '%s': %s\n", what, f->path, strerror(-rc));
        return EXIT_INTERNAL;
    }
    return 0;
}

int output_reports_open(struct output_reports *f)
{
    if ((f->html.path && strcmp(f->html.path, "-") == 0) ||
        (f->chrome.path && strcmp(f->chrome.path, "-") == 0))
        return options_usage_error("--report and --chrome-trace need a file name, not '-'");
    if (output_open(&f->html, "report") != 0)
        return EXIT_USAGE;
    if (output_open(&f->chrome, "chrome trace") != 0) {
        output_close(&f->html, "report", 0);
        return EXIT_USAGE;
    }
    return 0;
}

int output_reports_close(struct output_reports *f, int keep)
{
    int html = output_close(&f->html, "report", keep);
    int chrome = output_close(&f->chrome, "chrome trace", keep);
    return html ? html : chrome;
}

int output_reports_finish(struct output_reports *f, struct report_outputs *outputs,
                          const struct run_options *run, const struct run_result *result)
{
    int rc = report_outputs_finish(outputs, run, result);
    if (rc != 0) {
        output_reports_close(f, 0);
        fprintf(stderr, "detsim: cannot write the report: %s\n", strerror(-rc));
        return EXIT_INTERNAL;
    }
    return output_reports_close(f, 1);
}

void output_reports_announce(const struct output_reports *f)
{
    if (f->html.path)
        printf("report written to %s\n", f->html.path);
    if (f->chrome.path)
        printf("chrome trace written to %s\n", f->chrome.path);
}

int output_parse_trace_format(const char *text, enum trace_format *format)
{
    if (strcmp(text, "text") == 0)
        *format = TRACE_FORMAT_TEXT;
    else if (strcmp(text, "jsonl") == 0)
        *format = TRACE_FORMAT_JSONL;
    else
        return options_usage_error("bad --trace-format '%s': expected text or jsonl", text);
    return 0;
}

void output_print_result(const struct run_options *options, const struct run_result *result,
                         int quiet)
{
    if (!quiet && result->report.length) {
        fputs(text_str(&result->report), stdout);
        fputc('\n', stdout);
    }
    struct text summary = {0};
    run_format_summary(options, result, &summary);
    fputs(text_str(&summary), stdout);
    text_free(&summary);
    fflush(stdout);
}

void output_print_variants(const struct scenario *scenario)
{
    int width = 16;
    for (const struct scenario_variant *v = scenario->variants; v && v->name; v++)
        if ((int)strlen(v->name) > width)
            width = (int)strlen(v->name);
    for (const struct scenario_variant *v = scenario->variants; v && v->name; v++)
        printf("    %-*s %-14s %s%s%s\n", width, v->name, v->expect, v->description,
               v->settings && v->settings[0] ? ": " : "", v->settings ? v->settings : "");
}
