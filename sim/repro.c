/* repro — writing and reading repro files; see repro.h. */
#include "repro.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/outfile.h"
#include "util/progname.h"

void repro_write_stream(FILE *out, const char *path, const struct run_options *options,
                        const struct run_result *result)
{
    char name[64], strategy[64];
    fprintf(out, "# detsim repro file. Replay it with: %s replay %s\n", progname(), path);
    fprintf(out, "# '#' starts a comment. choices: KIND RANGE:VALUE per decision, where\n"
                 "# s = which ready task ran, p = PCT priority, c = PCT change point,\n"
                 "# f = fault, k = scenario knob.\n");
    fprintf(out, "detsim_version = %s\n", DETSIM_VERSION);
    fprintf(out, "scenario = %s\n", scenario_name(options->scenario, name));
    fprintf(out, "seed = %" PRIu64 "\n", options->seed);
    fprintf(out, "strategy = %s\n", run_format_strategy(&options->strategy, strategy));
    for (uint32_t i = 0; i < options->fault_count; i++)
        fprintf(out, "fault = %s\n", options->faults[i].text);
    for (uint32_t i = 0; i < options->config.count; i++) {
        char value[48];
        fprintf(out, "config %s = %s\n", options->config.keys[i]->name,
                config_format_value(options->config.keys[i], options->config.values[i], value));
    }
    fprintf(out, "expect_outcome = %s\n", sched_outcome_name(result->outcome));
    /* A crash or a timeout has no hash of its own: the child ended before it; a seed
     * without a recording replays from the seed. */
    if (result->outcome == SCHED_OUTCOME_CRASH || result->outcome == SCHED_OUTCOME_TIMEOUT) {
        const char *report = text_str(&result->report);
        fprintf(out, "# %.*s\n", (int)strcspn(report, "\n"), report);
        if (!result->choices)
            return;
    } else {
        fprintf(out, "expect_hash = 0x%016" PRIx64 "\n", result->hash);
        fprintf(out, "signature = 0x%016" PRIx64 "\n",
                result->signature);
        fprintf(out, "steps = %" PRIu64 "\n", result->steps);
    }
    fprintf(out, "choices =");
    for (size_t i = 0; i < result->choice_count; i++) {
        const struct choice_record *c = &result->choices[i];
        if (i > 0 && i % 16 == 0)
            fprintf(out, "\nchoices =");
        fprintf(out, " %c%" PRIu64 ":%" PRIu64, choice_kind_letter(c->kind), c->range, c->value);
    }
    fprintf(out, "\n");
}

int repro_write(const char *path, const struct run_options *options,
                const struct run_result *result, char *error, size_t error_bytes)
{
    struct outfile out;
    int rc = outfile_open(&out, path);
    if (rc != 0) {
        snprintf(error, error_bytes, "cannot write repro file '%s': %s", path, strerror(-rc));
        return rc;
    }
    repro_write_stream(out.stream, path, options, result);
    rc = outfile_commit(&out);
    if (rc != 0)
        snprintf(error, error_bytes, "cannot write repro file '%s': %s", path, strerror(-rc));
    return rc;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

static int append_choice(struct repro *repro, size_t *capacity, const char *token)
{
    int kind = choice_kind_from_letter(token[0]);
    const char *colon = strchr(token, ':');
    if (kind < 0 || !colon)
        return -EINVAL;
    char range_text[32];
    size_t length = (size_t)(colon - token - 1);
    if (length == 0 || length >= sizeof range_text)
        return -EINVAL;
    memcpy(range_text, token + 1, length);
    range_text[length] = '\0';
    uint64_t range, value;
    if (config_parse_u64(range_text, &range) != 0 || config_parse_u64(colon + 1, &value) != 0 ||
        range < 2 || value >= range)
        return -EINVAL;
    if (repro->choice_count == *capacity) {
        size_t grown_capacity = *capacity ? *capacity * 2 : 64;
        struct choice_record *grown =
            realloc(repro->choices, grown_capacity * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        repro->choices = grown;
        *capacity = grown_capacity;
    }
    repro->choices[repro->choice_count++] = (struct choice_record){range, value, kind};
    return 0;
}

/* What repro_read keeps from line to line: where it is, for error messages, what it
 * has seen, and the config lines, which it applies once the whole file is read
 * (they can come before the scenario line). */
struct reader {
    struct repro *repro;
    const char *path;
    unsigned line_number; /* 0 once the file is read: an error then names the file only */
    char *error;
    size_t error_bytes;
    char (*assignments)[160]; /* "key=value" of each config line */
    unsigned assignment_count, assignment_capacity;
    unsigned config_lines[CONFIG_KEYS_MAX + 1]; /* the line of each assignment */
    size_t choice_capacity;
    int have_seed, have_outcome, have_strategy;
};

/* A key_value reader's answer for a key that is not one of its own. */
#define KEY_UNKNOWN 1

/* Writes "FILE:LINE: message" (after the last line, "FILE: message") to the error
 * buffer. Returns -EINVAL, what repro_read returns for any bad file. */
static int line_error(struct reader *r, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int line_error(struct reader *r, const char *format, ...)
{
    int prefix = r->line_number
                     ? snprintf(r->error, r->error_bytes, "%s:%u: ", r->path, r->line_number)
                     : snprintf(r->error, r->error_bytes, "%s: ", r->path);
    if (prefix > 0 && (size_t)prefix < r->error_bytes) {
        va_list args;
        va_start(args, format);
        vsnprintf(r->error + prefix, r->error_bytes - (size_t)prefix, format, args);
        va_end(args);
    }
    return -EINVAL;
}

/* fault = SPEC: one more fault spec, up to FAULT_SPECS_MAX. */
static int read_fault(struct reader *r, const char *value)
{
    struct repro *repro = r->repro;
    char reason[200];
    uint32_t n = repro->options.fault_count;
    if (n == FAULT_SPECS_MAX)
        return line_error(r, "too many fault lines (at most %d)", FAULT_SPECS_MAX);
    if (fault_spec_parse(value, &repro->faults[n], reason, sizeof reason) != 0)
        return line_error(r, "bad fault '%s': %s", value, reason);
    repro->options.fault_count = n + 1;
    repro->options.faults = repro->faults;
    return 0;
}

/* config NAME = VALUE: kept as "NAME=VALUE" with its line number, to apply once the
 * scenario (and so its keys) is known. */
static int read_config(struct reader *r, const char *name, const char *value)
{
    if (r->assignment_count == CONFIG_KEYS_MAX)
        return line_error(r, "too many config lines");
    if (r->assignment_count == r->assignment_capacity) {
        r->assignment_capacity = r->assignment_capacity ? r->assignment_capacity * 2 : 16;
        void *grown = realloc(r->assignments, r->assignment_capacity * sizeof *r->assignments);
        if (!grown)
            return line_error(r, "out of memory");
        r->assignments = grown;
    }
    int length = snprintf(r->assignments[r->assignment_count], sizeof r->assignments[0],
                          "%s=%s", name, value);
    if (length < 0 || (size_t)length >= sizeof r->assignments[0])
        return line_error(r, "config line too long");
    r->config_lines[r->assignment_count++] = r->line_number;
    return 0;
}

/* choices = TOKEN...: appends each recorded choice (KIND RANGE:VALUE). */
static int read_choices(struct reader *r, char *value)
{
    r->repro->has_choices = 1;
    char *save = NULL;
    for (char *token = strtok_r(value, " \t", &save); token;
         token = strtok_r(NULL, " \t", &save)) {
        int rc = append_choice(r->repro, &r->choice_capacity, token);
        if (rc == -ENOMEM)
            return line_error(r, "out of memory");
        if (rc != 0)
            return line_error(r, "bad choice '%s': expected KIND RANGE:VALUE such as s2:1, "
                                 "with VALUE < RANGE",
                              token);
    }
    return 0;
}

/* The keys that say what to run: version, scenario, seed, strategy, faults, config.
 * Returns 0, -EINVAL, or KEY_UNKNOWN for any other key. */
static int read_run_key(struct reader *r, char *key, char *value)
{
    struct repro *repro = r->repro;
    if (strcmp(key, "detsim_version") == 0) {
        snprintf(repro->version, sizeof repro->version, "%s", value);
    } else if (strcmp(key, "scenario") == 0) {
        if (repro->options.scenario)
            return line_error(r, "scenario given twice");
        repro->options.scenario = scenario_find(value);
        if (!repro->options.scenario)
            return line_error(r, "unknown scenario '%s' (see 'detsim list')", value);
    } else if (strcmp(key, "seed") == 0) {
        if (config_parse_u64(value, &repro->options.seed) != 0)
            return line_error(r, "bad seed '%s': expected a 64-bit unsigned integer", value);
        r->have_seed = 1;
    } else if (strcmp(key, "strategy") == 0) {
        char reason[200];
        if (run_parse_strategy(value, &repro->options.strategy, reason, sizeof reason) != 0)
            return line_error(r, "%s", reason);
        r->have_strategy = 1;
    } else if (strcmp(key, "fault") == 0) {
        return read_fault(r, value);
    } else if (strncmp(key, "config ", 7) == 0) {
        return read_config(r, trim(key + 7), value);
    } else {
        return KEY_UNKNOWN;
    }
    return 0;
}

/* The keys that say what the run gave: outcome, hash, signature, steps, choices.
 * Returns 0, -EINVAL, or KEY_UNKNOWN for any other key. */
static int read_result_key(struct reader *r, const char *key, char *value)
{
    struct repro *repro = r->repro;
    if (strcmp(key, "expect_outcome") == 0) {
        int outcome = sched_outcome_parse(value);
        if (outcome < 0)
            return line_error(r, "unknown outcome '%s'", value);
        repro->expect_outcome = (enum sched_outcome)outcome;
        r->have_outcome = 1;
    } else if (strcmp(key, "expect_hash") == 0) {
        if (config_parse_u64(value, &repro->expect_hash) != 0)
            return line_error(r, "bad hash '%s': expected 0x followed by hex digits", value);
        repro->has_hash = 1;
    } else if (strcmp(key, "signature") == 0) {
        if (config_parse_u64(value, &repro->expect_signature) != 0)
            return line_error(r, "bad signature '%s': expected 0x followed by hex digits",
                              value);
        repro->has_signature = 1;
    } else if (strcmp(key, "steps") == 0) {
        uint64_t ignored;
        if (config_parse_u64(value, &ignored) != 0)
            return line_error(r, "bad steps '%s'", value);
    } else if (strcmp(key, "choices") == 0) {
        return read_choices(r, value);
    } else {
        return KEY_UNKNOWN;
    }
    return 0;
}

/* One line: blank lines and '#' comments are skipped, anything else is
 * "key = value". Returns 0 or -EINVAL. */
static int read_line(struct reader *r, char *line)
{
    char *text = trim(line);
    if (*text == '\0' || *text == '#')
        return 0;
    char *equals = strchr(text, '=');
    if (!equals)
        return line_error(r, "expected 'key = value', got '%s'", text);
    *equals = '\0';
    char *key = trim(text), *value = trim(equals + 1);
    int rc = read_run_key(r, key, value);
    if (rc == KEY_UNKNOWN)
        rc = read_result_key(r, key, value);
    if (rc == KEY_UNKNOWN)
        rc = line_error(r, "unknown key '%s'", key);
    return rc;
}

/* After the last line: the lines a repro needs are there, and the config lines set
 * keys the scenario has. Returns 0 or -EINVAL. */
static int read_end(struct reader *r)
{
    struct repro *repro = r->repro;
    r->line_number = 0;
    if (!repro->options.scenario)
        return line_error(r, "no 'scenario = NAME' line");
    if (!r->have_seed)
        return line_error(r, "no 'seed = N' line");
    if (!r->have_strategy)
        return line_error(r, "no 'strategy = S' line");
    if (!r->have_outcome)
        return line_error(r, "no 'expect_outcome = OUTCOME' line");
    if (run_config_init(&repro->options.config, repro->options.scenario) != 0)
        return line_error(r, "scenario has clashing config keys");
    for (unsigned i = 0; i < r->assignment_count; i++) {
        char reason[200];
        if (config_assign(&repro->options.config, r->assignments[i], reason, sizeof reason) !=
            0) {
            r->line_number = r->config_lines[i];
            return line_error(r, "%s", reason);
        }
    }
    return 0;
}

int repro_read_stream(FILE *in, const char *name, struct repro *repro, char *error,
                      size_t error_bytes)
{
    *repro = (struct repro){0};
    struct reader r = {.repro = repro, .path = name, .error = error, .error_bytes = error_bytes};
    char line[8192];
    int rc = 0;
    repro->options.strategy = SCHED_STRATEGY_DEFAULT;
    while (rc == 0 && fgets(line, sizeof line, in)) {
        r.line_number++;
        if (!strchr(line, '\n') && !feof(in))
            rc = line_error(&r, "line too long");
        else
            rc = read_line(&r, line);
    }
    if (rc == 0 && ferror(in)) { /* a directory: EISDIR */
        rc = errno ? -errno : -EIO;
        snprintf(error, error_bytes, "cannot read repro file '%s': %s", name, strerror(-rc));
    }
    if (rc == 0)
        rc = read_end(&r);
    free(r.assignments);
    if (rc != 0)
        repro_free(repro);
    return rc;
}

int repro_read(const char *path, struct repro *repro, char *error, size_t error_bytes)
{
    *repro = (struct repro){0};
    FILE *in = fopen(path, "r");
    if (!in) {
        int saved = errno;
        snprintf(error, error_bytes, "cannot read repro file '%s': %s", path, strerror(saved));
        return -saved;
    }
    int rc = repro_read_stream(in, path, repro, error, error_bytes);
    fclose(in);
    return rc;
}

void repro_free(struct repro *repro)
{
    free(repro->choices);
    repro->choices = NULL;
    repro->choice_count = 0;
}
