/* junit — JUnit XML; see junit.h. */
#include "junit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/assert.h"

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

/* An unnamed file beside the report (the report's own disk, not /tmp): created, then
 * unlinked at once, so that nothing is left behind whatever happens. */
static FILE *open_scratch(const char *report_path)
{
    char path[OUTFILE_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s.cases.XXXXXX", report_path);
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *scratch = fdopen(fd, "w+");
    if (!scratch) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return scratch;
}

int junit_open(struct junit *j, const char *path, const char *scenario)
{
    *j = (struct junit){0};
    int rc = outfile_open(&j->report, path);
    if (rc != 0)
        return rc;
    j->cases = open_scratch(j->report.path);
    if (!j->cases) {
        rc = -errno;
        outfile_discard(&j->report);
        return rc;
    }
    snprintf(j->scenario, sizeof j->scenario, "%s", scenario);
    return 0;
}

int junit_add(struct junit *j, const struct sweep_record *r)
{
    ASSERT(j->cases);
    FILE *out = j->cases;
    fprintf(out, "  <testcase classname=\"detsim.%s\" name=\"", j->scenario);
    if (r->config[0]) {
        write_xml_text(out, r->config);
        fputc(' ', out);
    }
    fprintf(out, "seed %" PRIu64 "\"", r->seed);
    j->tests++;
    if (r->expected) {
        fputs("/>\n", out);
    } else {
        j->failures++;
        fprintf(out, ">\n    <failure message=\"%s\" type=\"%s\">", r->outcome, r->outcome);
        write_xml_text(out, r->signature_text);
        fputs("\nreplay: ", out);
        write_xml_text(out, r->replay);
        fputs("</failure>\n  </testcase>\n", out);
    }
    return ferror(out) ? outfile_flush(out) : 0;
}

/* One testcase per configuration: a buggy variant that did not reproduce fails, and
 * so does a fixed one that failed a seed. */
static void write_verdicts(FILE *out, const char *scenario,
                           const char (*labels)[SWEEP_LABEL_BYTES], const char *const *declared,
                           const int *held, long verdicts)
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

/* Copies the testcases from the scratch file to out. Returns 0 or -errno. */
static int copy_cases(FILE *cases, FILE *out)
{
    char buffer[65536];
    int rc = outfile_flush(cases);
    if (rc == 0 && fseek(cases, 0, SEEK_SET) != 0)
        rc = -errno;
    size_t n;
    while (rc == 0 && (n = fread(buffer, 1, sizeof buffer, cases)) > 0)
        if (fwrite(buffer, 1, n, out) != n && (rc = outfile_flush(out)) == 0)
            rc = -EIO;
    if (rc == 0 && ferror(cases))
        rc = -EIO;
    return rc;
}

int junit_finish(struct junit *j, const char (*labels)[SWEEP_LABEL_BYTES],
                 const char *const *declared, const int *held, long configs)
{
    ASSERT(j->report.stream && j->cases);
    ASSERT(!declared || (held && configs >= 1));
    FILE *out = j->report.stream;
    long verdicts = declared ? configs : 0, failures = j->failures;
    for (long c = 0; c < verdicts; c++)
        failures += !held[c];
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuite name=\"detsim.%s\" tests=\"%ld\" failures=\"%ld\">\n", j->scenario,
            j->tests + verdicts, failures);
    write_verdicts(out, j->scenario, labels, declared, held, verdicts);
    int rc = copy_cases(j->cases, out);
    fclose(j->cases);
    j->cases = NULL;
    fprintf(out, "</testsuite>\n");
    if (rc != 0) {
        outfile_discard(&j->report);
        return rc;
    }
    return outfile_commit(&j->report);
}

void junit_discard(struct junit *j)
{
    if (j->cases)
        fclose(j->cases);
    j->cases = NULL;
    outfile_discard(&j->report);
}
