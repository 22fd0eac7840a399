/* sweep — records, signatures, results files and their reader; see sweep.h. The
 * workers are reports/pool.c, the engine reports/sweep_run.c, the counts and the
 * summary reports/tally.c, the command cli/sweep.c. */
#include "sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

void sweep_signature(struct sweep_record *record, const struct run_result *result)
{
    record->signature = result->signature;
    snprintf(record->signature_text, sizeof record->signature_text, "%s", result->signature_text);
}

static void write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, out);
    }
    fputc('"', out);
}

void sweep_write_json(FILE *out, const struct sweep_record *r)
{
    fputs("{\"scenario\":", out);
    write_string(out, r->scenario);
    if (r->config[0]) {
        fputs(",\"config\":", out);
        write_string(out, r->config);
    }
    fprintf(out, ",\"seed\":%" PRIu64 ",\"outcome\":", r->seed);
    write_string(out, r->outcome);
    fprintf(out, ",\"expected\":%s,\"steps\":%" PRIu64 ",\"vtime_ns\":%" PRIu64
                 ",\"hash\":\"0x%016" PRIx64 "\",\"signature\":\"0x%016" PRIx64 "\",\"signature_text\":",
            r->expected ? "true" : "false", r->steps, r->vtime_ns, r->hash, r->signature);
    write_string(out, r->signature_text);
    fputs(",\"replay\":", out);
    write_string(out, r->replay);
    if (r->reproduces)
        fputs(",\"reproduces\":true", out);
    fputs(",\"fired\":{", out);
    const char *separator = "";
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++) {
        if (!r->fired[id])
            continue;
        fprintf(out, "%s\"%s\":%" PRIu64, separator, fault_points[id].name, r->fired[id]);
        separator = ",";
    }
    fputs("}}\n", out);
}

/* The "fired" object: "NAME":COUNT pairs, each NAME a failpoint. Absent: none. */
static int parse_fired(const char *line, uint64_t fired[FAULT_POINT_COUNT])
{
    const char *p = strstr(line, "\"fired\":{");
    if (!p)
        return 0;
    for (p += strlen("\"fired\":{"); *p != '}';) {
        char name[64], number[24];
        size_t n = 0;
        if (*p++ != '"')
            return -EINVAL;
        while (*p && *p != '"' && n + 1 < sizeof name)
            name[n++] = *p++;
        name[n] = '\0';
        if (*p++ != '"' || *p++ != ':')
            return -EINVAL;
        for (n = 0; *p >= '0' && *p <= '9' && n + 1 < sizeof number;)
            number[n++] = *p++;
        number[n] = '\0';
        uint32_t id = 0;
        while (id < FAULT_POINT_COUNT && strcmp(fault_points[id].name, name) != 0)
            id++;
        if (id == FAULT_POINT_COUNT || config_parse_u64(number, &fired[id]))
            return -EINVAL;
        if (*p == ',')
            p++;
        else if (*p != '}')
            return -EINVAL;
    }
    return 0;
}

/* The value after "key": in line, as a string (unescaped) or a bare token. */
static int field(const char *line, const char *key, char *value, size_t value_bytes)
{
    char pattern[48];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(line, pattern);
    if (!p)
        return -EINVAL;
    p += strlen(pattern);
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < value_bytes)
                value[n++] = *p;
        }
        if (*p != '"')
            return -EINVAL;
    } else {
        for (; *p && *p != ',' && *p != '}'; p++)
            if (n + 1 < value_bytes)
                value[n++] = *p;
    }
    value[n] = '\0';
    return 0;
}

int sweep_parse_json(const char *line, struct sweep_record *r)
{
    char value[512];
    *r = (struct sweep_record){0};
    if (field(line, "scenario", r->scenario, sizeof r->scenario) ||
        field(line, "outcome", r->outcome, sizeof r->outcome) ||
        field(line, "signature_text", r->signature_text, sizeof r->signature_text) ||
        field(line, "replay", r->replay, sizeof r->replay))
        return -EINVAL;
    if (field(line, "seed", value, sizeof value) || config_parse_u64(value, &r->seed))
        return -EINVAL;
    if (field(line, "steps", value, sizeof value) || config_parse_u64(value, &r->steps))
        return -EINVAL;
    if (field(line, "vtime_ns", value, sizeof value) || config_parse_u64(value, &r->vtime_ns))
        return -EINVAL;
    if (field(line, "hash", value, sizeof value) || config_parse_u64(value, &r->hash))
        return -EINVAL;
    if (field(line, "signature", value, sizeof value) || config_parse_u64(value, &r->signature))
        return -EINVAL;
    if (field(line, "expected", value, sizeof value))
        return -EINVAL;
    if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
        return -EINVAL;
    r->expected = strcmp(value, "true") == 0;
    /* optional: written only when set */
    if (field(line, "config", r->config, sizeof r->config) != 0)
        r->config[0] = '\0';
    r->reproduces = field(line, "reproduces", value, sizeof value) == 0 &&
                    strcmp(value, "true") == 0;
    return parse_fired(line, r->fired);
}

void sweep_repro_path(char *path, size_t bytes, const char *dir, const struct sweep_record *r)
{
    char config[sizeof r->config + 1] = "";
    size_t n = 0;
    for (const char *p = r->config; *p; p++) { /* "buggy max_channels=64" -> "buggy_max_channels=64" */
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '=' || *p == '.';
        config[n++] = plain ? *p : '_';
    }
    config[n] = '\0';
    snprintf(path, bytes, "%s/%s%s%s-%016" PRIx64 ".repro", dir, r->scenario, n ? "-" : "",
             config, r->signature);
}


void sweep_write_header(FILE *out, const struct sweep_header *h)
{
    ASSERT(h->config_count >= 1 && h->config_count <= PLAN_CONFIGS_MAX);
    fprintf(out, "{\"detsim_results\":1,\"version\":\"%s\",\"scenario\":", DETSIM_VERSION);
    write_string(out, h->scenario);
    fputs(",\"strategy\":", out);
    write_string(out, h->strategy);
    fputs(",\"expect\":", out);
    write_string(out, h->expect);
    fputs(",\"settings\":", out);
    write_string(out, h->settings);
    fputs(",\"faults\":", out);
    write_string(out, h->faults);
    fputs(",\"configs\":[", out);
    for (long c = 0; c < h->config_count; c++) {
        if (c)
            fputc(',', out);
        write_string(out, h->configs[c]);
    }
    fputs("]}\n", out);
}

/* The "configs" array of strings. Returns 0 or -EINVAL. */
static int parse_configs(const char *line, struct sweep_header *h)
{
    const char *p = strstr(line, "\"configs\":[");
    if (!p)
        return -EINVAL;
    p += strlen("\"configs\":[");
    for (h->config_count = 0; *p != ']'; h->config_count++) {
        if (h->config_count == PLAN_CONFIGS_MAX || *p++ != '"')
            return -EINVAL;
        size_t n = 0;
        char *label = h->configs[h->config_count];
        for (; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 == SWEEP_LABEL_BYTES)
                return -EINVAL;
            label[n++] = *p;
        }
        label[n] = '\0';
        if (*p++ != '"')
            return -EINVAL;
        if (*p == ',')
            p++;
        else if (*p != ']')
            return -EINVAL;
    }
    return h->config_count ? 0 : -EINVAL;
}

/* Whether line is a header line. */
static int is_header(const char *line)
{
    return strncmp(line, "{\"detsim_results\":", strlen("{\"detsim_results\":")) == 0;
}

static int parse_header(const char *line, struct sweep_header *h)
{
    char version[32];
    *h = (struct sweep_header){0};
    if (!is_header(line) || field(line, "detsim_results", version, sizeof version) ||
        strcmp(version, "1") != 0)
        return -EINVAL;
    if (field(line, "scenario", h->scenario, sizeof h->scenario) ||
        field(line, "strategy", h->strategy, sizeof h->strategy) ||
        field(line, "expect", h->expect, sizeof h->expect) ||
        field(line, "settings", h->settings, sizeof h->settings) ||
        field(line, "faults", h->faults, sizeof h->faults))
        return -EINVAL;
    return parse_configs(line, h);
}

/* The configuration labels of h, as a list for a message. */
static void config_list(const struct sweep_header *h, char *text, size_t bytes)
{
    size_t n = 0;
    text[0] = '\0';
    for (long c = 0; c < h->config_count && n < bytes; c++)
        n += (size_t)snprintf(text + n, bytes - n, "%s%s", c ? ", " : "",
                              h->configs[c][0] ? h->configs[c] : "(default)");
}

int sweep_header_diff(const struct sweep_header *a, const char *a_name,
                      const struct sweep_header *b, const char *b_name, char *text,
                      size_t text_bytes)
{
    const struct { const char *what, *x, *y; } fields[] = {
        {"scenario", a->scenario, b->scenario}, {"strategy", a->strategy, b->strategy},
        {"--expect", a->expect, b->expect},     {"--set", a->settings, b->settings},
        {"--fault", a->faults, b->faults},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].x, fields[i].y) != 0) {
            snprintf(text, text_bytes, "%s %s in %s, %s in %s", fields[i].what,
                     fields[i].x[0] ? fields[i].x : "(none)", a_name,
                     fields[i].y[0] ? fields[i].y : "(none)", b_name);
            return 1;
        }
    int same = a->config_count == b->config_count;
    for (long c = 0; same && c < a->config_count; c++)
        same = strcmp(a->configs[c], b->configs[c]) == 0;
    if (same)
        return 0;
    char x[256], y[256];
    config_list(a, x, sizeof x);
    config_list(b, y, sizeof y);
    snprintf(text, text_bytes, "configurations %s in %s, %s in %s", x, a_name, y, b_name);
    return 1;
}

#define LINE_BYTES 65536 /* a header of PLAN_CONFIGS_MAX long labels fits */

/* Checks one complete line (number number) and hands it on: the header when none
 * was read, else a record. Returns 1 for a record, 0 for the header or a blank line,
 * or -1 with the reason in error. */
static int read_line(const char *line, const char *name, unsigned number,
                     struct sweep_header *header, int *has_header,
                     const struct sweep_reader *reader, char *error, size_t error_bytes)
{
    static struct sweep_record record; /* 1 KB: off the stack */
    if (line[0] == '\n')
        return 0;
    if (!*has_header && parse_header(line, header) != 0) {
        snprintf(error, error_bytes, "%s:%u: no detsim results header (not a results file, "
                 "or one of an older detsim, whose settings cannot be checked)", name, number);
        return -1;
    }
    if (!*has_header) {
        *has_header = 1;
        return reader->on_header &&
                       reader->on_header(reader->context, header, error, error_bytes) != 0
                   ? -1
                   : 0;
    }
    if (is_header(line)) {
        snprintf(error, error_bytes, "%s:%u: a second header: two sweeps' results in one "
                 "file", name, number);
        return -1;
    }
    if (sweep_parse_json(line, &record) != 0) {
        snprintf(error, error_bytes, "%s:%u: not a detsim sweep result line", name, number);
        return -1;
    }
    if (strcmp(record.scenario, header->scenario) != 0) {
        snprintf(error, error_bytes, "%s:%u: a result of %s in a file of %s", name, number,
                 record.scenario, header->scenario);
        return -1;
    }
    char reason[512];
    if (reader->on_record &&
        reader->on_record(reader->context, &record, reason, sizeof reason) != 0) {
        snprintf(error, error_bytes, "%s:%u: %s", name, number, reason);
        return -1;
    }
    return 1;
}

long sweep_read_stream(FILE *in, const char *name, struct sweep_header *header,
                       int *has_header, const struct sweep_reader *reader,
                       long *complete_bytes, char *error, size_t error_bytes)
{
    char *line = malloc(LINE_BYTES);
    long count = 0, complete = 0;
    unsigned number = 0;
    *has_header = 0;
    if (!line) {
        snprintf(error, error_bytes, "%s: out of memory", name);
        return -1;
    }
    while (count >= 0 && fgets(line, LINE_BYTES, in)) {
        number++;
        size_t length = strlen(line);
        if (length == 0 || line[length - 1] != '\n') {
            if (feof(in))
                break; /* cut off mid-write: its seed is simply run again */
            snprintf(error, error_bytes, "%s:%u: line too long, or not text", name, number);
            count = -1;
            break;
        }
        complete += (long)length;
        int rc = read_line(line, name, number, header, has_header, reader, error, error_bytes);
        count = rc < 0 ? -1 : count + rc;
    }
    if (count >= 0 && ferror(in)) { /* a directory: EISDIR */
        snprintf(error, error_bytes, "cannot read results file '%s': %s", name,
                 strerror(errno));
        count = -1;
    }
    free(line);
    if (count >= 0 && complete_bytes)
        *complete_bytes = complete;
    return count;
}

long sweep_read_results(const char *path, struct sweep_header *header, int *has_header,
                        const struct sweep_reader *reader, long *complete_bytes, char *error,
                        size_t error_bytes)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        snprintf(error, error_bytes, "cannot read results file '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    long count = sweep_read_stream(in, path, header, has_header, reader, complete_bytes,
                                   error, error_bytes);
    fclose(in);
    return count;
}
