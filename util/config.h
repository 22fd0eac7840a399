/* config — typed configuration keys and strict parsing of user-given values.
 *
 * A key has a name, a type, a default, an inclusive range and a one-line
 * description. A struct config holds the value of every key a run knows: the core
 * keys of the harness and the scenario's own. Parsing never guesses: a value that is
 * malformed, out of range or missing its unit is refused with a message naming it. */
#ifndef DETSIM_CONFIG_H
#define DETSIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum config_type {
    CONFIG_UINT,     /* decimal or 0x hex */
    CONFIG_BYTES,    /* like UINT, optional suffix KiB, MiB or GiB */
    CONFIG_DURATION, /* a number with a unit: ns, us, ms, s */
    CONFIG_BOOL,     /* true/false, on/off, yes/no, 1/0 */
    CONFIG_ENUM      /* one of the names in choices; the value is its index */
};

struct config_key {
    const char *name; /* NULL ends a key list */
    enum config_type type;
    uint64_t default_value;
    uint64_t min;
    uint64_t max;
    const char *description;
    const char *const *choices; /* CONFIG_ENUM: NULL-terminated names */
};

#define CONFIG_KEYS_MAX 96

/* The largest duration any key takes (about 146 years of virtual time), whatever its
 * own maximum: a quarter of the 64-bit range, so that adding a few never wraps. */
#define CONFIG_DURATION_MAX (UINT64_MAX / 4)

struct config {
    uint32_t count;
    const struct config_key *keys[CONFIG_KEYS_MAX];
    uint64_t values[CONFIG_KEYS_MAX];
};

/* Fills config with the defaults of every key in the NULL-terminated lists (either
 * may be NULL). Returns 0, or -EINVAL if a name repeats or there are more than
 * CONFIG_KEYS_MAX keys. */
int config_init(struct config *config, const struct config_key *core,
                const struct config_key *scenario);

/* Adds the keys of a NULL-terminated list at their defaults. Returns 0, or -EINVAL
 * if a name repeats or there are too many keys. */
int config_add(struct config *config, const struct config_key *keys);

/* Index of the key named name, or -1. */
int config_find(const struct config *config, const char *name);

/* The value of a key that must exist (asserts). */
uint64_t config_get(const struct config *config, const char *name);

/* Applies "key=value". Returns 0, or -EINVAL with a one-line reason in error; the
 * config is unchanged on error. */
int config_assign(struct config *config, const char *assignment, char *error,
                  size_t error_bytes);

/* Parses text as a value of key. Returns 0, or -EINVAL with a reason in error. */
int config_parse_value(const struct config_key *key, const char *text, uint64_t *value,
                       char *error, size_t error_bytes);

/* Writes value in the form config_parse_value reads back. buf needs 48 bytes. */
const char *config_format_value(const struct config_key *key, uint64_t value,
                                char buf[48]);

/* Strict unsigned 64-bit parse: decimal or 0x hex, whole string, no sign, no
 * overflow. Returns 0 or -EINVAL. */
int config_parse_u64(const char *text, uint64_t *value);

/* A duration with a unit (ns, us, ms, s), integer or with a decimal fraction
 * ("1.5ms"). Returns 0 or -EINVAL with a reason in error. */
int config_parse_duration(const char *text, uint64_t *ns, char *error,
                          size_t error_bytes);

const char *config_type_name(enum config_type type);

#endif
