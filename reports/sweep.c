/* sweep — records, signatures, results files and their reader; see sweep.h. The
 * workers are reports/pool.c, the engine reports/sweep_run.c, the counts and the
 * summary reports/tally.c, the command cli/sweep.c. */
#include "sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"
#include "util/json.h"

void sweep_signature(struct sweep_record *record, const struct run_result *result)
{
    record->signature = result->signature;
    snprintf(record->signature_text, sizeof record->signature_text, "%s", result->signature_text);
    const char *report = text_str(&result->report);
    size_t n = 0;
    int lines = 0;
    for (const char *p = report; *p && n + 1 < sizeof record->report; p++) {
        if (*p == '\n' && (++lines == SWEEP_REPORT_LINES || !p[1]))
            break;
        record->report[n++] = *p;
    }
    record->report[n] = '\0';
}

void sweep_write_json(FILE *out, const struct sweep_record *r)
{
    fputs("{\"scenario\":", out);
    json_write_string(out, r->scenario);
    fputs(",\"config\":", out);
    json_write_config(out, r->config);
    fputs(",\"seed\":", out);
    json_write_u64_string(out, r->seed);
    fputs(",\"outcome\":", out);
    json_write_string(out, r->outcome);
    fprintf(out, ",\"expected\":%s,\"reproduces\":%s,\"steps\":%" PRIu64 ",\"vtime_ns\":%" PRIu64
                 ",\"hash\":\"0x%016" PRIx64 "\",\"signature\":\"0x%016" PRIx64 "\"",
            r->expected ? "true" : "false", r->reproduces ? "true" : "false", r->steps,
            r->vtime_ns, r->hash, r->signature);
    fputs(",\"signature_text\":", out);
    json_write_string(out, r->signature_text);
    fputs(",\"report\":", out);
    json_write_string(out, r->report);
    fputs(",\"replay\":", out);
    json_write_string(out, r->replay);
    if (r->strategy[0]) {
        fputs(",\"strategy\":", out);
        json_write_string(out, r->strategy);
    }
    if (r->swarm[0]) {
        fputs(",\"swarm\":", out);
        json_write_string(out, r->swarm);
    }
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
    fprintf(out, "{\"detsim_results\":%d,\"version\":\"%s\",\"scenario\":", SWEEP_FORMAT,
            DETSIM_VERSION);
    json_write_string(out, h->scenario);
    fputs(",\"strategy\":", out);
    json_write_string(out, h->strategy);
    fputs(",\"expect\":", out);
    json_write_string(out, h->expect);
    fputs(",\"settings\":", out);
    json_write_string(out, h->settings);
    fputs(",\"faults\":", out);
    json_write_string(out, h->faults);
    fputs(",\"first\":", out);
    json_write_u64_string(out, h->first);
    fputs(",\"last\":", out);
    json_write_u64_string(out, h->last);
    fprintf(out, ",\"shard\":%" PRIu64 ",\"shards\":%" PRIu64 ",\"verdicts\":%s,\"configs\":[",
            h->shard, h->shards, h->verdicts ? "true" : "false");
    for (long c = 0; c < h->config_count; c++) {
        fputs(c ? ",{\"config\":" : "{\"config\":", out);
        json_write_config(out, h->configs[c]);
        fputs(",\"declared\":", out);
        json_write_string(out, h->declared[c]);
        fputc('}', out);
    }
    fputs("]}\n", out);
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

