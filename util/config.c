/* config — typed keys and strict parsing; see config.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/assert.h"

int config_add(struct config *config, const struct config_key *keys)
{
    for (const struct config_key *k = keys; k && k->name; k++) {
        if (config->count == CONFIG_KEYS_MAX || config_find(config, k->name) >= 0)
            return -EINVAL;
        ASSERT(k->min <= k->default_value && k->default_value <= k->max);
        ASSERT(k->type != CONFIG_ENUM || k->choices);
        config->keys[config->count] = k;
        config->values[config->count] = k->default_value;
        config->count++;
    }
    return 0;
}

int config_init(struct config *config, const struct config_key *core,
                const struct config_key *scenario)
{
    *config = (struct config){0};
    if (config_add(config, core) != 0)
        return -EINVAL;
    return config_add(config, scenario);
}

int config_find(const struct config *config, const char *name)
{
    for (uint32_t i = 0; i < config->count; i++)
        if (strcmp(config->keys[i]->name, name) == 0)
            return (int)i;
    return -1;
}

uint64_t config_get(const struct config *config, const char *name)
{
    int i = config_find(config, name);
    ASSERT(i >= 0); /* a key the run does not have: a bug in the caller */
    ASSERT((uint32_t)i < config->count);
    return config->values[i];
}

int config_parse_u64(const char *text, uint64_t *value)
{
    unsigned base = 10;
    const char *p = text;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0')
        return -EINVAL;
    uint64_t v = 0;
    for (; *p; p++) {
        unsigned digit;
        if (*p >= '0' && *p <= '9')
            digit = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            digit = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            digit = (unsigned)(*p - 'A' + 10);
        else
            return -EINVAL;
        if (v > (UINT64_MAX - digit) / base)
            return -EINVAL;
        v = v * base + digit;
    }
    *value = v;
    return 0;
}

static const struct { const char *suffix; uint64_t scale; } duration_units[] = {
    {"ns", 1ULL}, {"us", 1000ULL}, {"ms", 1000000ULL}, {"s", 1000000000ULL}};

int config_parse_duration(const char *text, uint64_t *ns, char *error, size_t error_bytes)
{
    const char *p = text;
    uint64_t whole = 0, fraction = 0, fraction_scale = 1;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (whole > (UINT64_MAX - digit) / 10)
            goto too_large;
        whole = whole * 10 + digit;
    }
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            if (fraction_scale >= 1000000000ULL) {
                snprintf(error, error_bytes, "bad duration '%s': too many decimals", text);
                return -EINVAL;
            }
            fraction = fraction * 10 + (uint64_t)(*p - '0');
            fraction_scale *= 10;
        }
    }
    if (digits == 0) {
        snprintf(error, error_bytes,
                 "bad duration '%s': expected a number with a unit (ns, us, ms, s), "
                 "e.g. 90s or 500ms",
                 text);
        return -EINVAL;
    }
    if (*p == '\0') {
        snprintf(error, error_bytes,
                 "bad duration '%s': missing unit (ns, us, ms or s), e.g. %ss", text, text);
        return -EINVAL;
    }
    for (unsigned i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        if (strcmp(p, duration_units[i].suffix) != 0)
            continue;
        uint64_t scale = duration_units[i].scale;
        if (whole > UINT64_MAX / scale)
            goto too_large;
        uint64_t part = fraction * scale / fraction_scale;
        if (fraction * scale % fraction_scale != 0) {
            snprintf(error, error_bytes,
                     "bad duration '%s': finer than one nanosecond", text);
            return -EINVAL;
        }
        if (whole * scale > UINT64_MAX - part)
            goto too_large;
        *ns = whole * scale + part;
        return 0;
    }
    snprintf(error, error_bytes, "bad duration '%s': unknown unit '%s' (use ns, us, ms or s)",
             text, p);
    return -EINVAL;
too_large:
    snprintf(error, error_bytes, "bad duration '%s': too large", text);
    return -EINVAL;
}

static int parse_bytes(const char *text, uint64_t *value)
{
    static const struct { const char *suffix; uint64_t scale; } units[] = {
        {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}};
    size_t length = strlen(text);
    for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t suffix_length = strlen(units[i].suffix);
        if (length > suffix_length &&
            strcmp(text + length - suffix_length, units[i].suffix) == 0) {
            char number[32];
            if (length - suffix_length >= sizeof number)
                return -EINVAL;
            memcpy(number, text, length - suffix_length);
            number[length - suffix_length] = '\0';
            uint64_t n;
            if (config_parse_u64(number, &n) != 0 || n > UINT64_MAX / units[i].scale)
                return -EINVAL;
            *value = n * units[i].scale;
            return 0;
        }
    }
    return config_parse_u64(text, value);
}

/* Whether v (parsed from text) is in key's range. Returns 0, or -EINVAL with the range
 * in error. */
static int check_range(const struct config_key *key, const char *text, uint64_t v, char *error,
                       size_t error_bytes)
{
    /* A duration leaves room for another and for the virtual clock: sums of a few of
     * them, in a scenario or in the scheduler, never wrap. */
    uint64_t max = key->type == CONFIG_DURATION && key->max > CONFIG_DURATION_MAX
                       ? CONFIG_DURATION_MAX
                       : key->max;
    if (v >= key->min && v <= max)
        return 0;
    char low[48], high[48];
    snprintf(error, error_bytes, "bad value for %s: %s is out of range [%s, %s]", key->name,
             text, config_format_value(key, key->min, low), config_format_value(key, max, high));
    return -EINVAL;
}

int config_parse_value(const struct config_key *key, const char *text, uint64_t *value,
                       char *error, size_t error_bytes)
{
    uint64_t v = 0;
    switch (key->type) {
    case CONFIG_UINT:
        if (config_parse_u64(text, &v) != 0) {
            snprintf(error, error_bytes,
                     "bad value for %s: '%s' is not a non-negative integer", key->name, text);
            return -EINVAL;
        }
        break;
    case CONFIG_BYTES:
        if (parse_bytes(text, &v) != 0) {
            snprintf(error, error_bytes,
                     "bad value for %s: '%s' is not a byte count (e.g. 65536 or 64KiB)",
                     key->name, text);
            return -EINVAL;
        }
        break;
    case CONFIG_DURATION: {
        char reason[160];
        if (config_parse_duration(text, &v, reason, sizeof reason) != 0) {
            snprintf(error, error_bytes, "bad value for %s: %s", key->name, reason);
            return -EINVAL;
        }
        break;
    }
    case CONFIG_ENUM: {
        for (uint64_t i = 0; key->choices[i]; i++)
            if (strcmp(key->choices[i], text) == 0) {
                *value = i;
                return 0;
            }
        int n = snprintf(error, error_bytes, "bad value for %s: '%s' is not one of", key->name,
                         text);
        for (uint64_t i = 0; key->choices[i] && n > 0 && (size_t)n < error_bytes; i++)
            n += snprintf(error + n, error_bytes - (size_t)n, "%s %s", i ? "," : "",
                          key->choices[i]);
        return -EINVAL;
    }
    case CONFIG_BOOL:
        if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "on") ||
            !strcmp(text, "yes"))
            v = 1;
        else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "off") ||
                 !strcmp(text, "no"))
            v = 0;
        else {
            snprintf(error, error_bytes,
                     "bad value for %s: '%s' is not a boolean (true/false, on/off, 1/0)",
                     key->name, text);
            return -EINVAL;
        }
        break;
    }
    if (check_range(key, text, v, error, error_bytes) != 0)
        return -EINVAL;
    *value = v;
    return 0;
}

int config_assign(struct config *config, const char *assignment, char *error,
                  size_t error_bytes)
{
    const char *equals = strchr(assignment, '=');
    if (!equals || equals == assignment) {
        snprintf(error, error_bytes, "bad --set '%s': expected key=value", assignment);
        return -EINVAL;
    }
    char name[64];
    size_t length = (size_t)(equals - assignment);
    if (length >= sizeof name) {
        snprintf(error, error_bytes, "bad --set '%s': key too long", assignment);
        return -EINVAL;
    }
    memcpy(name, assignment, length);
    name[length] = '\0';
    int i = config_find(config, name);
    if (i < 0) {
        snprintf(error, error_bytes,
                 "unknown config key '%s' (see 'detsim run SCENARIO --help' for the keys)",
                 name);
        return -EINVAL;
    }
    uint64_t value;
    if (config_parse_value(config->keys[i], equals + 1, &value, error, error_bytes) != 0)
        return -EINVAL;
    config->values[i] = value;
    return 0;
}

const char *config_format_value(const struct config_key *key, uint64_t value, char buf[48])
{
    switch (key->type) {
    case CONFIG_DURATION: {
        static const struct { uint64_t scale; const char *unit; } units[] = {
            {1000000000ULL, "s"}, {1000000ULL, "ms"}, {1000ULL, "us"}, {1ULL, "ns"}};
        for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++)
            if (value % units[i].scale == 0 && (value != 0 || units[i].scale == 1)) {
                snprintf(buf, 48, "%" PRIu64 "%s", value / units[i].scale, units[i].unit);
                return buf;
            }
        break;
    }
    case CONFIG_BOOL:
        snprintf(buf, 48, "%s", value ? "true" : "false");
        return buf;
    case CONFIG_ENUM:
        snprintf(buf, 48, "%s", key->choices[value]);
        return buf;
    case CONFIG_UINT:
    case CONFIG_BYTES:
        break;
    }
    snprintf(buf, 48, "%" PRIu64, value);
    return buf;
}

const char *config_type_name(enum config_type type)
{
    switch (type) {
    case CONFIG_UINT: return "integer";
    case CONFIG_BYTES: return "bytes";
    case CONFIG_DURATION: return "duration";
    case CONFIG_BOOL: return "boolean";
    case CONFIG_ENUM: return "choice";
    }
    return "?";
}
