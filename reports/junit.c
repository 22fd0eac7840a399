/* junit — JUnit XML; see junit.h. */
#include "junit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/repro.h"

static void write_xml_text(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*text, out);
        }
    }
}

/* One testcase per configuration: a buggy variant that did not reproduce fails, and
 * so does a fixed one that failed a seed. */
static void write_verdicts(FILE *out, const char *scenario, const char *const *labels,
                           const char *const *declared, const int *held, long verdicts)
{
    for (long c = 0; c < verdicts; c++) {
        fprintf(out, "  <testcase classname=\"detsim.%s\" name=\"", scenario);
        write_xml_text(out, labels[c][0] ? labels[c] : "(default)");
        fprintf(out, " behaves as declared (%s)\"", declared[c]);
        if (held[c]) {
            fputs("/>\n", out);
            continue;
        }
        fprintf(out, ">\n    <failure message=\"declared %s\" type=\"verdict\">", declared[c]);
        write_xml_text(out, strcmp(declared[c], "pass") == 0
                                ? "a fixed configuration failed some seeds"
                                : "the declared failure did not reproduce");
        fputs("</failure>\n  </testcase>\n", out);
    }
}

static void write_seed(FILE *out, const char *scenario, const struct sweep_record *r)
{
    fprintf(out, "  <testcase classname=\"detsim.%s\" name=\"", scenario);
    if (r->config[0]) {
        write_xml_text(out, r->config);
        fputc(' ', out);
    }
    fprintf(out, "seed %" PRIu64 "\"", r->seed);
    if (r->expected) {
        fprintf(out, "/>\n");
        return;
    }
    fprintf(out, ">\n    <failure message=\"%s\" type=\"%s\">", r->outcome, r->outcome);
    write_xml_text(out, r->signature_text);
    fputs("\nreplay: ", out);
    write_xml_text(out, r->replay);
    fputs("</failure>\n  </testcase>\n", out);
}

int junit_write(const char *path, const char *scenario, const struct sweep_record *records,
                long count, const char *const *labels, const char *const *declared,
                const int *held, long configs)
{
    char tmp_path[4096];
    FILE *out = repro_open_temporary(path, tmp_path, sizeof tmp_path);
    if (!out)
        return -errno;
    long failures = 0, verdicts = declared ? configs : 0;
    for (long i = 0; i < count; i++)
        failures += !records[i].expected;
    for (long c = 0; c < verdicts; c++)
        failures += !held[c];
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuite name=\"detsim.%s\" tests=\"%ld\" failures=\"%ld\">\n", scenario,
            count + verdicts, failures);
    write_verdicts(out, scenario, labels, declared, held, verdicts);
    for (long i = 0; i < count; i++)
        write_seed(out, scenario, &records[i]);
    fprintf(out, "</testsuite>\n");
    return repro_commit_temporary(out, tmp_path, path);
}
