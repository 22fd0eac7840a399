/* junit — JUnit XML; see junit.h. */
#include "junit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/assert.h"

struct junit_case {
    uint64_t seed;
    long config;
    long offset; /* in the scratch file */
    long length;
};

/* The length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static int utf8_length(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return s[0] < 0x80 ? 1 : n;
}

/* Writes text as XML character data or an attribute value: markup escaped, and what
 * XML 1.0 cannot hold (control characters, bytes that are not UTF-8) as '?'. */
static void write_xml_text(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        int n = utf8_length(p);
        if (*p == '<')
            fputs("&lt;", out);
        else if (*p == '>')
            fputs("&gt;", out);
        else if (*p == '&')
            fputs("&amp;", out);
        else if (*p == '"')
            fputs("&quot;", out);
        else if (*p == '\n' || *p == '\t')
            fputc(*p, out);
        else if (n == 0 || *p < 0x20 || *p == 0x7f)
            fputc('?', out);
        else
            fwrite(p, 1, (size_t)n, out);
        p += n ? n : 1;
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
    clock_gettime(CLOCK_MONOTONIC, &j->started);
    j->timestamp = time(NULL);
    return 0;
}

/* The testcase's element and attributes; the caller closes it. */
static void open_testcase(FILE *out, const char *scenario, const char *config)
{
    fprintf(out, "    <testcase classname=\"detsim.%s\" time=\"0\" name=\"", scenario);
    if (config[0]) {
        write_xml_text(out, config);
        fputc(' ', out);
    }
}

/* Makes room for one more index entry. Returns 0 or -ENOMEM. */
static int grow_index(struct junit *j)
{
    if (j->tests < j->capacity)
        return 0;
    long capacity = j->capacity ? 2 * j->capacity : 1024;
    struct junit_case *index = realloc(j->index, (size_t)capacity * sizeof *index);
    if (!index)
        return -ENOMEM;
    j->index = index;
    j->capacity = capacity;
    return 0;
}

int junit_add(struct junit *j, const struct sweep_record *r, long config)
{
    ASSERT(j->cases);
    FILE *out = j->cases;
    long offset = ftell(out);
    if (offset < 0 || grow_index(j) != 0)
        return offset < 0 ? -errno : -ENOMEM;
    open_testcase(out, j->scenario, r->config);
    fprintf(out, "seed %" PRIu64 "\"", r->seed);
    if (r->expected) {
        fputs("/>\n", out);
    } else {
        /* a crash or a timeout is not the verdict of the scenario's checks */
        int error = strcmp(r->outcome, "crash") == 0 || strcmp(r->outcome, "timeout") == 0;
        const char *element = error ? "error" : "failure";
        char message[sizeof r->report];
        snprintf(message, sizeof message, "%s", r->report[0] ? r->report : r->outcome);
        message[strcspn(message, "\n")] = '\0'; /* the report's first line */
        fprintf(out, ">\n      <%s message=\"", element);
        write_xml_text(out, message);
        fprintf(out, "\" type=\"%s\">", r->outcome);
        write_xml_text(out, r->report[0] ? r->report : r->signature_text);
        /* the failure group, as the sweep's summary and its repro file name it */
        fprintf(out, "\ngroup 0x%016" PRIx64 ": ", r->signature);
        write_xml_text(out, r->signature_text);
        fputs("\nreplay: ", out);
        write_xml_text(out, r->replay);
        fprintf(out, "</%s>\n    </testcase>\n", element);
        j->failures += !error;
        j->errors += error;
    }
    if (ferror(out))
        return outfile_flush(out);
    j->index[j->tests++] = (struct junit_case){r->seed, config, offset, ftell(out) - offset};
    return 0;
}

/* One testcase per configuration: a buggy variant that did not reproduce fails, and
 * so does a fixed one that failed a seed; what a shard cannot tell is skipped. */
static void write_verdicts(FILE *out, const char *scenario, const struct sweep_header *h,
                           const int *verdicts)
{
    for (long c = 0; c < h->config_count; c++) {
        int pass = strcmp(h->declared[c], "pass") == 0;
        open_testcase(out, scenario, "");
        write_xml_text(out, h->configs[c][0] ? h->configs[c] : "(default)");
        fprintf(out, " behaves as declared (%s)\"", h->declared[c]);
        if (verdicts[c] == TALLY_HELD) {
            fputs("/>\n", out);
        } else if (verdicts[c] == TALLY_UNJUDGED) {
            fprintf(out, ">\n      <skipped message=\"%s\"/>\n    </testcase>\n",
                    pass ? "no failure in this shard's seeds: the other shards decide "
                           "(detsim merge)"
                         : "not reproduced in this shard's seeds: the other shards decide "
                           "(detsim merge)");
        } else {
            fprintf(out, ">\n      <failure message=\"declared %s\" type=\"verdict\">%s"
                         "</failure>\n    </testcase>\n", h->declared[c],
                    pass ? "a fixed configuration failed some seeds"
                         : "the declared failure did not reproduce");
        }
    }
}

static int by_config_and_seed(const void *a, const void *b)
{
    const struct junit_case *x = a, *y = b;
    if (x->config != y->config)
        return x->config < y->config ? -1 : 1;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

/* Copies the testcases from the scratch file to out, sorted. Returns 0 or -errno. */
static int copy_cases(struct junit *j, FILE *out)
{
    char buffer[65536];
    int rc = outfile_flush(j->cases);
    if (j->tests)
        qsort(j->index, (size_t)j->tests, sizeof *j->index, by_config_and_seed);
    for (long i = 0; i < j->tests && rc == 0; i++) {
        long left = j->index[i].length;
        if (fseek(j->cases, j->index[i].offset, SEEK_SET) != 0)
            rc = -errno;
        while (rc == 0 && left > 0) {
            size_t n = fread(buffer, 1, left < (long)sizeof buffer ? (size_t)left : sizeof buffer,
                             j->cases);
            if (n == 0)
                rc = -EIO;
            else if (fwrite(buffer, 1, n, out) != n && (rc = outfile_flush(out)) == 0)
                rc = -EIO;
            left -= (long)n;
        }
    }
    return rc;
}

/* One <property>. */
static void write_property(FILE *out, const char *name, const char *value)
{
    fprintf(out, "      <property name=\"%s\" value=\"", name);
    write_xml_text(out, value);
    fputs("\"/>\n", out);
}

/* The sweep's settings, for whoever reads the report beside its results file. */
static void write_properties(FILE *out, const struct sweep_header *h)
{
    char seeds[64], shard[64];
    snprintf(seeds, sizeof seeds, "%" PRIu64 "..%" PRIu64, h->first, h->last);
    snprintf(shard, sizeof shard, "%" PRIu64 "/%" PRIu64, h->shard, h->shards);
    fputs("    <properties>\n", out);
    write_property(out, "strategy", h->strategy);
    write_property(out, "expect", h->expect);
    write_property(out, "settings", h->settings);
    write_property(out, "faults", h->faults);
    write_property(out, "seeds", seeds);
    write_property(out, "shard", shard);
    fputs("    </properties>\n", out);
}

/* The root and the suite's start tag, with the counts and the times. */
static void write_suite_start(FILE *out, const struct junit *j, long tests, long failures,
                              long skipped)
{
    struct timespec now;
    struct tm utc;
    char stamp[32] = "1970-01-01T00:00:00", host[256] = "localhost";
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds = (double)(now.tv_sec - j->started.tv_sec) +
                     (double)(now.tv_nsec - j->started.tv_nsec) / 1e9;
    if (gmtime_r(&j->timestamp, &utc))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    if (gethostname(host, sizeof host) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    char counts[160];
    snprintf(counts, sizeof counts, "tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" "
             "skipped=\"%ld\" time=\"%.3f\"", tests, failures, j->errors, skipped, seconds);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"detsim\" %s>\n",
            counts);
    fprintf(out, "  <testsuite name=\"detsim.%s\" package=\"detsim\" id=\"0\" %s", j->scenario,
            counts);
    fprintf(out, " timestamp=\"%s\" hostname=\"", stamp);
    write_xml_text(out, host);
    fputs("\">\n", out);
}

int junit_finish(struct junit *j, const struct sweep_header *h, const int *verdicts)
{
    ASSERT(j->report.stream && j->cases);
    FILE *out = j->report.stream;
    long failures = j->failures, skipped = 0, tests = j->tests;
    for (long c = 0; verdicts && c < h->config_count; c++) {
        tests++;
        failures += verdicts[c] == TALLY_BROKEN;
        skipped += verdicts[c] == TALLY_UNJUDGED;
    }
    write_suite_start(out, j, tests, failures, skipped);
    write_properties(out, h);
    if (verdicts)
        write_verdicts(out, j->scenario, h, verdicts);
    int rc = copy_cases(j, out);
    fputs("    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n", out);
    fclose(j->cases);
    j->cases = NULL;
    free(j->index);
    j->index = NULL;
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
    free(j->index);
    j->index = NULL;
    outfile_discard(&j->report);
}
