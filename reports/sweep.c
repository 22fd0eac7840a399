/* sweep — records, signatures, JSON Lines and the summary; see sweep.h. The
 * workers are reports/pool.c, the engine reports/sweep_run.c, the command
 * cli/sweep.c. */
#include "sweep.h"

#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sweep_signature(struct sweep_record *record, const char *outcome, const char *report)
{
    record->signature = run_signature_named(outcome, report);
    size_t n = 0;
    int in_number = 0;
    for (const char *p = report; *p && *p != '\n' && n + 1 < sizeof record->signature_text; p++) {
        int digit = *p >= '0' && *p <= '9';
        if (digit && in_number)
            continue;
        record->signature_text[n++] = digit ? '#' : *p;
        in_number = digit;
    }
    record->signature_text[n] = '\0';
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

long sweep_read_file(const char *path, struct sweep_record **records, size_t *capacity,
                     long count, long *complete_bytes, char *error, size_t error_bytes)
{
    long complete = 0;
    FILE *in = fopen(path, "r");
    if (!in) {
        snprintf(error, error_bytes, "cannot read results file '%s': %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    unsigned number = 0;
    while (fgets(line, sizeof line, in)) {
        number++;
        if (!strchr(line, '\n') && feof(in))
            break; /* cut off mid-write: the seed is simply run again */
        complete += (long)strlen(line);
        if (line[0] == '\n')
            continue;
        if ((size_t)count == *capacity) {
            size_t grown_capacity = *capacity ? *capacity * 2 : 256;
            struct sweep_record *grown = realloc(*records, grown_capacity * sizeof *grown);
            if (!grown) {
                snprintf(error, error_bytes, "%s: out of memory", path);
                fclose(in);
                return -1;
            }
            *records = grown;
            *capacity = grown_capacity;
        }
        if (!strchr(line, '\n') || sweep_parse_json(line, &(*records)[count]) != 0) {
            snprintf(error, error_bytes, "%s:%u: not a detsim sweep result line", path, number);
            fclose(in);
            return -1;
        }
        count++;
    }
    fclose(in);
    if (complete_bytes)
        *complete_bytes = complete;
    return count;
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

static const char *const outcome_order[] = {"pass", "hang-deadlock", "hang-budget", "leak",
                                            "panic", "assert", "invariant", "crash", "timeout"};
#define OUTCOMES (sizeof outcome_order / sizeof outcome_order[0])

static unsigned outcome_index(const char *outcome)
{
    unsigned o = 0;
    while (o < OUTCOMES && strcmp(outcome_order[o], outcome) != 0)
        o++;
    return o; /* OUTCOMES for an unknown name */
}

long sweep_config_labels(const struct sweep_record *records, long count, const char **labels,
                         long max)
{
    long n = 0;
    for (long i = 0; i < count; i++) {
        long j = 0;
        while (j < n && strcmp(labels[j], records[i].config) != 0)
            j++;
        if (j == n && n < max)
            labels[n++] = records[i].config;
    }
    return n;
}

/* What the table counts for each config: its seeds, by outcome and in all, how
 * many reproduced the declared outcome, and its lowest failing seed. */
struct tally {
    long (*counts)[OUTCOMES + 1]; /* [config][outcome index], OUTCOMES: other */
    long *seeds;
    long *reproduced;
    const struct sweep_record **first;
    int shown[OUTCOMES + 1]; /* the outcome columns the table shows */
};

/* Allocates t's counters for configs configs. Returns 0, or -ENOMEM (tally_free
 * releases what was allocated). */
static int tally_alloc(struct tally *t, long configs)
{
    t->counts = calloc((size_t)configs + 1, sizeof *t->counts);
    t->seeds = calloc((size_t)configs + 1, sizeof *t->seeds);
    t->reproduced = calloc((size_t)configs + 1, sizeof *t->reproduced);
    t->first = calloc((size_t)configs + 1, sizeof *t->first);
    return t->counts && t->seeds && t->reproduced && t->first ? 0 : -ENOMEM;
}

static void tally_free(struct tally *t)
{
    free(t->counts), free(t->seeds), free(t->reproduced), free(t->first);
}

/* Counts each record under its config (records of other configs are skipped);
 * the pass column is always shown, the others when some record has them. */
static void tally_records(struct tally *t, const struct sweep_record *records, long count,
                          const char *const *labels, long configs)
{
    for (long i = 0; i < count; i++) {
        long c = 0;
        while (c < configs && strcmp(labels[c], records[i].config) != 0)
            c++;
        if (c == configs)
            continue;
        unsigned o = outcome_index(records[i].outcome);
        t->counts[c][o]++;
        t->seeds[c]++;
        t->shown[o] = 1;
        t->reproduced[c] += records[i].reproduces;
        if (o != 0 && (!t->first[c] || records[i].seed < t->first[c]->seed))
            t->first[c] = &records[i];
    }
    t->shown[0] = 1;
}

/* How a config is named in the table: its label, or "(default)" for none. */
static const char *config_label(const char *label)
{
    return label[0] ? label : "(default)";
}

/* The table's header line, its first column width wide. */
static void write_table_header(FILE *out, const struct tally *t, int width, int declared)
{
    fprintf(out, "%-*s %7s", width, "config", "seeds");
    for (unsigned o = 0; o <= OUTCOMES; o++)
        if (t->shown[o])
            fprintf(out, " %13s", o < OUTCOMES ? outcome_order[o] : "other");
    fprintf(out, " %7s %13s", "failed", "first failing");
    if (declared)
        fprintf(out, "  %-13s %s", "declared", "verdict");
    fputc('\n', out);
}

/* Config c's row up to its verdict: seeds, the count of each outcome shown, the
 * failure rate and the first failing seed. Returns the seeds that did not pass. */
static long write_config_row(FILE *out, const struct tally *t, long c, const char *label,
                             int width)
{
    fprintf(out, "%-*s %7ld", width, config_label(label), t->seeds[c]);
    for (unsigned o = 0; o <= OUTCOMES; o++)
        if (t->shown[o])
            fprintf(out, " %13ld", t->counts[c][o]);
    long failed = t->seeds[c] - t->counts[c][0];
    /* the rate in tenths of a percent, in integers */
    long permille = t->seeds[c] ? (failed * 1000 + t->seeds[c] / 2) / t->seeds[c] : 0;
    char seed_text[32] = "-";
    if (t->first[c])
        snprintf(seed_text, sizeof seed_text, "%" PRIu64, t->first[c]->seed);
    fprintf(out, " %5ld.%ld%% %13s", permille / 10, permille % 10, seed_text);
    return failed;
}

/* Config c's verdict against its declared outcome: a pass must never fail, any
 * other outcome must reproduce on some seed (a shard may not hold that seed).
 * Returns 1 when the declaration held. */
static int write_verdict(FILE *out, const struct tally *t, long c, const char *declared,
                         long failed, int partial)
{
    int is_pass = strcmp(declared, "pass") == 0;
    int held = is_pass ? failed == 0 && t->seeds[c] > 0 : t->reproduced[c] > 0;
    if (!held && !is_pass && partial) {
        held = 1;
        fprintf(out, "  %-13s not in this shard's seeds (merge the shards)", declared);
    } else if (is_pass) {
        fprintf(out, "  %-13s %s", declared, held ? "ok" : "FAILS");
    } else if (held) {
        fprintf(out, "  %-13s reproduces (%ld of %ld)", declared, t->reproduced[c],
                t->seeds[c]);
    } else {
        fprintf(out, "  %-13s NOT REPRODUCED", declared);
    }
    return held;
}

long sweep_config_table(FILE *out, const struct sweep_record *records, long count,
                        const char *const *labels, const char *const *declared, long configs,
                        int partial, int *held_out)
{
    struct tally t = {0};
    if (tally_alloc(&t, configs) != 0) {
        tally_free(&t);
        fprintf(out, "sweep: out of memory for the table\n");
        return configs;
    }
    tally_records(&t, records, count, labels, configs);
    int width = 8;
    for (long c = 0; c < configs; c++)
        if ((int)strlen(labels[c]) > width)
            width = (int)strlen(labels[c]);
    write_table_header(out, &t, width, declared != NULL);
    long broken = 0;
    for (long c = 0; c < configs; c++) {
        long failed = write_config_row(out, &t, c, labels[c], width);
        if (declared) {
            int held = write_verdict(out, &t, c, declared[c], failed, partial);
            broken += !held;
            if (held_out)
                held_out[c] = held;
        }
        fputc('\n', out);
    }
    for (long c = 0; c < configs; c++)
        if (t.first[c])
            fprintf(out, "  %s first fails: %s\n", config_label(labels[c]), t.first[c]->replay);
    tally_free(&t);
    return broken;
}

struct group {
    const struct sweep_record *first; /* lowest seed */
    long count;
};

static int by_scenario_and_seed(const void *a, const void *b)
{
    const struct sweep_record *x = *(const struct sweep_record *const *)a;
    const struct sweep_record *y = *(const struct sweep_record *const *)b;
    int c = strcmp(x->scenario, y->scenario);
    return c ? c : x->seed < y->seed ? -1 : x->seed > y->seed;
}

static int by_count(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return by_scenario_and_seed(&x->first, &y->first);
}

long sweep_summary(FILE *out, const struct sweep_record *records, long count,
                   const char *repro_dir, const char *unit)
{
    const struct sweep_record **sorted = calloc((size_t)count + 1, sizeof *sorted);
    struct group *groups = calloc((size_t)count + 1, sizeof *groups);
    if (!sorted || !groups) {
        free(sorted);
        free(groups);
        fprintf(out, "sweep: out of memory for the summary\n");
        return count;
    }
    for (long i = 0; i < count; i++)
        sorted[i] = &records[i];
    qsort(sorted, (size_t)count, sizeof *sorted, by_scenario_and_seed);
    /* outcome counts, in a fixed order */
    for (unsigned o = 0; o < OUTCOMES; o++) {
        long n = 0;
        for (long i = 0; i < count; i++)
            n += strcmp(sorted[i]->outcome, outcome_order[o]) == 0;
        if (n)
            fprintf(out, "  %-14s %ld\n", outcome_order[o], n);
    }
    long groups_count = 0, unexpected = 0;
    for (long i = 0; i < count; i++) {
        const struct sweep_record *r = sorted[i];
        if (r->expected)
            continue;
        unexpected++;
        long g = 0;
        while (g < groups_count && !(groups[g].first->signature == r->signature &&
                                     strcmp(groups[g].first->scenario, r->scenario) == 0 &&
                                     strcmp(groups[g].first->config, r->config) == 0))
            g++;
        if (g == groups_count)
            groups[groups_count++] = (struct group){r, 0};
        groups[g].count++;
    }
    qsort(groups, (size_t)groups_count, sizeof *groups, by_count);
    if (groups_count)
        fprintf(out, "failure groups (%ld):\n", groups_count);
    for (long g = 0; g < groups_count; g++) {
        const struct sweep_record *r = groups[g].first;
        fprintf(out, "  %ld. %s x%ld, signature 0x%016" PRIx64 ", first seed %" PRIu64 "\n", g + 1,
                r->outcome, groups[g].count, r->signature, r->seed);
        if (r->signature_text[0])
            fprintf(out, "     %s\n", r->signature_text);
        fprintf(out, "     replay: %s\n", r->replay);
        char path[400];
        sweep_repro_path(path, sizeof path, repro_dir ? repro_dir : ".", r);
        if (repro_dir && access(path, F_OK) == 0)
            fprintf(out, "     repro:  %s\n", path);
        char page[400];
        if (repro_dir && report_page_path(path, page, sizeof page) == 0 &&
            access(page, F_OK) == 0)
            fprintf(out, "     report: %s\n", page);
    }
    if (unexpected)
        fprintf(out, "result: %ld of %ld %s did not end as expected\n", unexpected, count, unit);
    else
        fprintf(out, "result: all %ld %s ended as expected\n", count, unit);
    free(sorted);
    free(groups);
    return unexpected;
}
