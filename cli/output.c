/* output — the commands' shared output; see output.h. */
#include "output.h"

#include <errno.h>
#include <string.h>

#include "cli/options.h"
#include "reports/sweep.h"
#include "reports/sweep_run.h"
#include "sim/repro.h"

int output_open(struct output_file *f, const char *what)
{
    if (!f->path)
        return 0;
    if (strcmp(f->path, "-") == 0) {
        f->stream = stdout;
        return 0;
    }
    int rc = outfile_open(&f->file, f->path);
    if (rc != 0)
        return options_usage_error("cannot write %s '%s': %s", what, f->path, strerror(-rc));
    f->stream = f->file.stream;
    return 0;
}

int output_close(struct output_file *f, const char *what, int keep)
{
    FILE *stream = f->stream;
    f->stream = NULL;
    if (!stream)
        return 0;
    if (stream == stdout)
        return keep ? output_check_stdout() : 0;
    if (!keep) {
        outfile_discard(&f->file);
        return 0;
    }
    int rc = outfile_commit(&f->file);
    if (rc != 0) {
        fprintf(stderr, "detsim: cannot write %s '%s': %s\n", what, f->path, strerror(-rc));
        return EXIT_INTERNAL;
    }
    return 0;
}

int output_check_stdout(void)
{
    int rc = outfile_flush(stdout);
    if (rc == 0)
        return 0;
    fprintf(stderr, "detsim: cannot write standard output: %s\n", strerror(-rc));
    clearerr(stdout);
    return EXIT_INTERNAL;
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

/* The child's part of output_run_isolated: the run with the trace and the reports
 * attached; status[0] says whether the trace was written, status[1] the reports. */
static int run_work(void *context, const struct run_options *options,
                    struct run_result *result, int status[ISOLATE_STATUS_MAX])
{
    const struct output_run *o = context;
    struct run_options run = *options;
    run.trace_out = o->trace->stream;
    struct report_outputs outputs = {o->reports->html.stream, o->reports->chrome.stream,
                                     o->repro_path, o->schedule_path};
    *result = (struct run_result){0};
    int rc = report_outputs_attach(&outputs, &run);
    if (rc == 0)
        rc = run_scenario(&run, result);
    if (rc == 0 && run.trace_out)
        status[0] = outfile_flush(run.trace_out);
    if (rc == 0 && (outputs.html || outputs.chrome))
        status[1] = report_outputs_finish(&outputs, &run, result);
    report_outputs_free(&outputs);
    return rc;
}

/* Commits f after the child wrote it (written: its status), or removes it. Returns 0
 * or EXIT_INTERNAL after one line on stderr. */
static int commit_output(struct output_file *f, const char *what, int written, int keep)
{
    if (written == 0 || !f->stream)
        return output_close(f, what, keep);
    int to_stdout = f->stream == stdout;
    output_close(f, what, 0);
    if (to_stdout)
        fprintf(stderr, "detsim: cannot write %s to standard output: %s\n", what,
                strerror(-written));
    else
        fprintf(stderr, "detsim: cannot write %s '%s': %s\n", what, f->path, strerror(-written));
    return EXIT_INTERNAL;
}

int output_run_isolated(const struct run_options *run, const struct output_run *o,
                        struct run_result *result, struct isolate_loss *loss)
{
    int status[ISOLATE_STATUS_MAX] = {0};
    int rc = isolate_run(run, o->time_limit_s, run_work, (void *)o, result, status, loss);
    int keep = rc == 0 && loss->kind == ISOLATE_NONE;
    int trace = commit_output(o->trace, "trace file", status[0], keep);
    int html = commit_output(&o->reports->html, "report", status[1], keep && !trace);
    int chrome = commit_output(&o->reports->chrome, "chrome trace", status[1], keep && !trace);
    if (rc == -EINTR)
        return OUTPUT_INTERRUPTED;
    if (rc == -EPERM) { /* the Linux backend could not start the run */
        fprintf(stderr, "detsim: %s\n", text_str(&result->report));
        return OUTPUT_REFUSED;
    }
    if (rc != 0) {
        fprintf(stderr, "detsim: internal error: cannot run the scenario in a child process: "
                "%s\n", strerror(-rc));
        return OUTPUT_NO_RUN;
    }
    return trace ? trace : html ? html : chrome;
}

int output_lost_run(const struct run_options *run, const struct run_result *result,
                    const char *schedule_path, struct output_file *repro, int quiet)
{
    struct text command = {0};
    report_replay_command(run, schedule_path, &command);
    printf("replay: %s\n", text_str(&command));
    text_free(&command);
    char path[OUTFILE_PATH_MAX], error[OUTFILE_PATH_MAX + 64];
    if (repro->stream) {
        repro_write_stream(repro->stream, repro->path, run, result);
        int rc = output_close(repro, "repro file", 1);
        if (rc == 0 && !quiet)
            printf("repro:  %s\n", repro->path);
        return rc;
    }
    struct sweep_record record = {0};
    scenario_name(run->scenario, record.scenario);
    sweep_signature(&record, result);
    sweep_repro_path(path, sizeof path, SWEEP_REPRO_DIR, &record);
    int rc = outfile_make_parents(path);
    if (rc == 0)
        rc = repro_write(path, run, result, error, sizeof error);
    else
        snprintf(error, sizeof error, "cannot write repro files in %s: %s", SWEEP_REPRO_DIR,
                 strerror(-rc));
    if (rc != 0) {
        fprintf(stderr, "detsim: %s\n", error);
        return EXIT_INTERNAL;
    }
    if (!quiet)
        printf("repro:  %s\n", path);
    return 0;
}

void output_reports_announce(const struct output_reports *f)
{
    if (f->html.path)
        printf("report written to %s\n", f->html.path);
    if (f->chrome.path)
        printf("chrome trace written to %s\n", f->chrome.path);
}

int output_parse_time_limit(const char *text, double *seconds)
{
    uint64_t value;
    if (config_parse_u64(text, &value) != 0 || value == 0 || value > 86400)
        return options_usage_error("bad --time-limit '%s': expected whole seconds, 1 to 86400",
                                   text);
    *seconds = (double)value;
    return 0;
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
