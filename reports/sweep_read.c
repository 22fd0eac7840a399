/* sweep_read — the results reader of reports/sweep.h (sweep_read_stream,
 * sweep_read_results): each line is parsed by jansson, so that any JSON with the
 * members detsim needs is read (another tool's spacing, member order and escapes),
 * and anything else is refused with its line number and what is wrong. */
#include "sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/assert.h"
#include "util/config.h"

/* What is wrong with a line, said by the parsers below. */
struct why {
    char text[200];
};

static int complain(struct why *why, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Says why in why. Returns -1, for the caller to return. */
static int complain(struct why *why, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(why->text, sizeof why->text, format, args);
    va_end(args);
    return -1;
}

/* Copies string member key of o into out (bytes, its NUL included). Returns 0 or -1. */
static int get_string(const json_t *o, const char *key, char *out, size_t bytes,
                      struct why *why)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return complain(why, "\"%s\" is %s", key, v ? "not a string" : "missing");
    if (json_string_length(v) >= bytes)
        return complain(why, "\"%s\" is longer than %zu bytes", key, bytes - 1);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Member key of o as an unsigned 64-bit number: a JSON integer, or a string of one
 * (decimal, or hex with 0x) as detsim writes seeds and hashes. Returns 0 or -1. */
static int get_u64(const json_t *o, const char *key, uint64_t *value, struct why *why)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *value = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && config_parse_u64(json_string_value(v), value) == 0)
        return 0;
    return complain(why, "\"%s\" is %s", key,
                    v ? "not an unsigned number, or a string of one" : "missing");
}

/* Member key of o as a boolean; absent: *value is 0 when optional. Returns 0 or -1. */
static int get_bool(const json_t *o, const char *key, int optional, int *value,
                    struct why *why)
{
    const json_t *v = json_object_get(o, key);
    *value = json_is_true(v);
    if (json_is_boolean(v) || (!v && optional))
        return 0;
    return complain(why, "\"%s\" is %s", key, v ? "not true or false" : "missing");
}

/* Appends " KEY=VALUE" (no space first) to label, n bytes used. Returns 0 or -1. */
static int append_setting(char *label, size_t *n, const char *key, const json_t *value,
                          struct why *why)
{
    char text[64];
    if (json_is_integer(value) && json_integer_value(value) >= 0)
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    else if (json_is_string(value) && json_string_length(value) < sizeof text &&
             !strpbrk(json_string_value(value), " ="))
        snprintf(text, sizeof text, "%s", json_string_value(value));
    else
        return complain(why, "config: the value of \"%s\" is not a number or a short word", key);
    *n += (size_t)snprintf(label + *n, SWEEP_LABEL_BYTES - *n, "%s%s=%s", *n ? " " : "", key,
                           text);
    return *n < SWEEP_LABEL_BYTES ? 0 : complain(why, "config: too long a configuration");
}

/* The label ("VARIANT KEY=VALUE ...") of a configuration object as
 * json_write_config writes it. Returns 0 or -1. */
static int config_label(const json_t *config, char label[SWEEP_LABEL_BYTES], struct why *why)
{
    const char *key;
    const json_t *value, *set = json_object_get(config, "set");
    size_t n = 0;
    if (!json_is_object(config))
        return complain(why, "\"config\" is %s", config ? "not an object" : "missing");
    json_object_foreach((json_t *)config, key, value)
        if (strcmp(key, "variant") != 0 && strcmp(key, "set") != 0)
            return complain(why, "config: unknown member \"%s\"", key);
    label[0] = '\0';
    if (json_object_get(config, "variant") &&
        get_string(config, "variant", label, SWEEP_LABEL_BYTES, why) != 0)
        return -1;
    n = strlen(label);
    if (set && !json_is_object(set))
        return complain(why, "config: \"set\" is not an object");
    json_object_foreach((json_t *)set, key, value)
        if (append_setting(label, &n, key, value, why) != 0)
            return -1;
    return 0;
}

/* The "fired" object: failpoint name -> count. Absent: none fired. Returns 0 or -1. */
static int get_fired(const json_t *o, uint64_t fired[FAULT_POINT_COUNT], struct why *why)
{
    const json_t *object = json_object_get(o, "fired"), *value;
    const char *name;
    if (object && !json_is_object(object))
        return complain(why, "\"fired\" is not an object");
    json_object_foreach((json_t *)object, name, value) {
        uint32_t id = 0;
        while (id < FAULT_POINT_COUNT && strcmp(fault_points[id].name, name) != 0)
            id++;
        if (id == FAULT_POINT_COUNT)
            return complain(why, "fired: no failpoint \"%.64s\"", name);
        if (get_u64(object, name, &fired[id], why) != 0)
            return -1;
    }
    return 0;
}

/* A record line: its members into r; its configuration must be one of configs (the
 * header's objects), whose label labels[c] it gets. Returns 0 or -1. */
static int parse_record(const json_t *o, const json_t *configs,
                        const char (*labels)[SWEEP_LABEL_BYTES], struct sweep_record *r,
                        struct why *why)
{
    *r = (struct sweep_record){0};
    json_t *none = json_object(); /* no "config": the default configuration, {} */
    const json_t *config = json_object_get(o, "config");
    size_t c = 0;
    while (c < json_array_size(configs) &&
           !json_equal(config ? (json_t *)config : none,
                       json_object_get(json_array_get(configs, c), "config")))
        c++;
    json_decref(none);
    if (c == json_array_size(configs))
        return complain(why, "\"config\" is not one of the header's configurations");
    memcpy(r->config, labels[c], sizeof r->config);
    if (get_string(o, "scenario", r->scenario, sizeof r->scenario, why) ||
        get_u64(o, "seed", &r->seed, why) ||
        get_string(o, "outcome", r->outcome, sizeof r->outcome, why) ||
        get_bool(o, "expected", 0, &r->expected, why) ||
        get_bool(o, "reproduces", 1, &r->reproduces, why) ||
        get_u64(o, "steps", &r->steps, why) || get_u64(o, "vtime_ns", &r->vtime_ns, why) ||
        get_u64(o, "hash", &r->hash, why) || get_u64(o, "signature", &r->signature, why) ||
        get_string(o, "signature_text", r->signature_text, sizeof r->signature_text, why) ||
        get_string(o, "replay", r->replay, sizeof r->replay, why) ||
        get_fired(o, r->fired, why))
        return -1;
    if (json_object_get(o, "report") && get_string(o, "report", r->report, sizeof r->report, why))
        return -1;
    /* optional: written only when set (a portfolio's arm, --swarm's draw) */
    if (json_object_get(o, "strategy") &&
        get_string(o, "strategy", r->strategy, sizeof r->strategy, why))
        return -1;
    if (json_object_get(o, "swarm") && get_string(o, "swarm", r->swarm, sizeof r->swarm, why))
        return -1;
    return 0;
}

/* The header's "configs": [{"config": {...}, "declared": "pass"}, ...]. Returns 0 or
 * -1. */
static int parse_configs(const json_t *configs, struct sweep_header *h, struct why *why)
{
    size_t count = json_array_size(configs);
    if (!json_is_array(configs) || count < 1 || count > PLAN_CONFIGS_MAX)
        return complain(why, "\"configs\" is not an array of 1 to %d configurations",
                        PLAN_CONFIGS_MAX);
    h->config_count = (long)count;
    for (size_t c = 0; c < count; c++) {
        const json_t *entry = json_array_get(configs, c);
        if (config_label(json_object_get(entry, "config"), h->configs[c], why) != 0 ||
            get_string(entry, "declared", h->declared[c], sizeof h->declared[c], why) != 0)
            return -1;
        for (size_t d = 0; d < c; d++)
            if (strcmp(h->configs[c], h->configs[d]) == 0)
                return complain(why, "configuration '%s' is listed twice", h->configs[c]);
    }
    return 0;
}

/* A header line into h. Returns 0 or -1. */
static int parse_header(const json_t *o, struct sweep_header *h, struct why *why)
{
    *h = (struct sweep_header){0};
    const json_t *format = json_object_get(o, "detsim_results");
    if (!json_is_integer(format) || json_integer_value(format) != SWEEP_FORMAT)
        return complain(why, "results of format %s, not %d (made by another detsim version: "
                        "run the sweep again)", json_is_integer(format) ? "older or newer" :
                        "unknown", SWEEP_FORMAT);
    if (get_string(o, "scenario", h->scenario, sizeof h->scenario, why) ||
        get_string(o, "strategy", h->strategy, sizeof h->strategy, why) ||
        get_string(o, "expect", h->expect, sizeof h->expect, why) ||
        get_string(o, "settings", h->settings, sizeof h->settings, why) ||
        get_string(o, "faults", h->faults, sizeof h->faults, why) ||
        get_u64(o, "first", &h->first, why) || get_u64(o, "last", &h->last, why) ||
        get_u64(o, "shard", &h->shard, why) || get_u64(o, "shards", &h->shards, why) ||
        get_bool(o, "verdicts", 0, &h->verdicts, why))
        return -1;
    if (h->first > h->last || h->shards < 1 || h->shard < 1 || h->shard > h->shards)
        return complain(why, "the seeds (first, last, shard, shards) do not make a range");
    return parse_configs(json_object_get(o, "configs"), h, why);
}

/* What reading one file keeps from line to line. */
struct reading {
    const char *name;
    struct sweep_header *header;
    int *has_header;
    const struct sweep_reader *reader;
    json_t *configs; /* the header's configuration objects (owned) */
    char *error;
    size_t error_bytes;
};

/* The header line o: parsed, kept and handed on. Returns 0 or -1. */
static int take_header(struct reading *g, json_t *o, unsigned number)
{
    struct why why;
    if (!json_object_get(o, "detsim_results")) {
        snprintf(g->error, g->error_bytes, "%s:%u: no detsim results header (not a results "
                 "file, or one of an older detsim, whose settings cannot be checked)", g->name,
                 number);
        return -1;
    }
    if (parse_header(o, g->header, &why) != 0) {
        snprintf(g->error, g->error_bytes, "%s:%u: not a detsim results header: %s", g->name,
                 number, why.text);
        return -1;
    }
    *g->has_header = 1;
    g->configs = json_incref(json_object_get(o, "configs"));
    const struct sweep_reader *reader = g->reader;
    return reader->on_header &&
                   reader->on_header(reader->context, g->header, g->error, g->error_bytes) != 0
               ? -1
               : 0;
}

/* A record line o: parsed, checked and handed on. Returns 0 or -1. */
static int take_record(struct reading *g, json_t *o, unsigned number)
{
    static struct sweep_record record; /* 1.5 KB: off the stack */
    struct why why;
    char reason[512];
    if (json_object_get(o, "detsim_results")) {
        snprintf(g->error, g->error_bytes, "%s:%u: a second header: two sweeps' results in "
                 "one file", g->name, number);
        return -1;
    }
    if (parse_record(o, g->configs, (const char(*)[SWEEP_LABEL_BYTES])g->header->configs,
                     &record, &why) != 0) {
        snprintf(g->error, g->error_bytes, "%s:%u: not a detsim sweep result: %s", g->name,
                 number, why.text);
        return -1;
    }
    if (strcmp(record.scenario, g->header->scenario) != 0) {
        snprintf(g->error, g->error_bytes, "%s:%u: a result of %s in a file of %s", g->name,
                 number, record.scenario, g->header->scenario);
        return -1;
    }
    const struct sweep_reader *reader = g->reader;
    if (reader->on_record &&
        reader->on_record(reader->context, &record, reason, sizeof reason) != 0) {
        snprintf(g->error, g->error_bytes, "%s:%u: %s", g->name, number, reason);
        return -1;
    }
    return 0;
}

/* One complete line (length bytes, its newline included). Returns 1 for a record, 0
 * for the header or a blank line, or -1 with the reason in g->error. */
static int read_line(struct reading *g, const char *line, size_t length, unsigned number)
{
    json_error_t parse_error;
    if (strspn(line, " \t\r\n") == length)
        return 0;
    json_t *o = json_loadb(line, length, JSON_REJECT_DUPLICATES, &parse_error);
    if (!json_is_object(o)) {
        if (o)
            snprintf(g->error, g->error_bytes, "%s:%u: not a JSON object", g->name, number);
        else
            snprintf(g->error, g->error_bytes, "%s:%u: not JSON: %s (at byte %d)", g->name,
                     number, parse_error.text, parse_error.position);
        json_decref(o);
        return -1;
    }
    int record = *g->has_header;
    int rc = record ? take_record(g, o, number) : take_header(g, o, number);
    json_decref(o);
    return rc < 0 ? -1 : record;
}

long sweep_read_stream(FILE *in, const char *name, struct sweep_header *header,
                       int *has_header, const struct sweep_reader *reader,
                       long *complete_bytes, char *error, size_t error_bytes)
{
    struct reading g = {name, header, has_header, reader, NULL, error, error_bytes};
    char *line = NULL;
    size_t capacity = 0;
    long count = 0, complete = 0;
    unsigned number = 0;
    ssize_t length;
    *has_header = 0;
    errno = 0;
    while (count >= 0 && (length = getline(&line, &capacity, in)) > 0) {
        number++;
        if (line[length - 1] != '\n')
            break; /* cut off mid-write: its seed is simply run again */
        if (memchr(line, '\0', (size_t)length)) {
            snprintf(error, error_bytes, "%s:%u: not text (a NUL byte)", name, number);
            count = -1;
            break;
        }
        complete += (long)length;
        int rc = read_line(&g, line, (size_t)length, number);
        count = rc < 0 ? -1 : count + rc;
    }
    if (count >= 0 && ferror(in)) { /* a directory: EISDIR; no memory: ENOMEM */
        snprintf(error, error_bytes, "cannot read results file '%s': %s", name,
                 strerror(errno));
        count = -1;
    }
    free(line);
    json_decref(g.configs);
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
