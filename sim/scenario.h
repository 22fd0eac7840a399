/* scenario — the registry of scenarios.
 *
 * A scenario file defines one scenario with
 *
 *     static const struct config_key my_params[] = {
 *         {"rounds", CONFIG_UINT, 1000, 1, 100000000, "hand-offs per task"},
 *         {0}};
 *     SCENARIO(my_scenario, "one-line description", my_params)
 *     {
 *         ... the root task's code, written against sys.h ...
 *     }
 *
 * The user-facing name is the identifier with '_' turned into '-' ("my-scenario").
 * Registration puts a pointer in the detsim_scenarios linker section, so a scenario
 * needs no list to be edited; the scenario objects must be linked in directly (or
 * with --whole-archive from libdetsim.a). */
#ifndef DETSIM_SCENARIO_H
#define DETSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "util/config.h"

/* A named preset of config keys: the buggy configuration of a bug, or one of its
 * fixes. A variant declares what it does: a fixed variant passes every seed
 * (expect "pass"); a buggy one fails, on some seeds at least, with outcome expect
 * and a report that contains cause. */
struct scenario_variant {
    const char *name;        /* "buggy", "fixed", "closerange", ... */
    const char *description; /* one line */
    const char *settings;    /* "key=value key=value", applied before any --set */
    const char *expect;      /* an outcome name: "pass", "hang-deadlock", "leak", ... */
    const char *cause;       /* failing variants: text the report must contain */
};

struct scenario {
    const char *identifier; /* my_scenario */
    const char *description;
    void (*main)(void *unused);
    const struct config_key *params;           /* NULL-terminated, may be NULL */
    const struct scenario_variant *variants;   /* NULL-terminated (by name), may be NULL */
    int portable; /* also runs on real processes (--backend linux): see PORTABLE_SCENARIO */
};

#define SCENARIO(ident, description, params) SCENARIO_WITH_VARIANTS(ident, description, params, NULL)

/* As SCENARIO, with a table of variants ending in {0}. */
#define SCENARIO_WITH_VARIANTS(ident, description, params, variants)                   \
    SCENARIO_DEFINE(ident, description, params, variants, 0)

/* A portable scenario also runs on real processes (detsim run --backend linux,
 * detsim differential): every state more than one of its processes reads or writes
 * lives in sys_shared_alloc memory (a fork copies the rest), and it relies on no
 * model-only key (docs/backends.md). */
#define PORTABLE_SCENARIO(ident, description, params)                                  \
    SCENARIO_DEFINE(ident, description, params, NULL, 1)
#define PORTABLE_SCENARIO_WITH_VARIANTS(ident, description, params, variants)          \
    SCENARIO_DEFINE(ident, description, params, variants, 1)

#define SCENARIO_DEFINE(ident, description, params, variants, portable)                 \
    static void scenario_main_##ident(void *);                                        \
    static const struct scenario scenario_def_##ident = {                              \
        #ident, description, scenario_main_##ident, params, variants, portable};       \
    static const struct scenario *const scenario_entry_##ident                          \
        __attribute__((used, section("detsim_scenarios"))) = &scenario_def_##ident;     \
    static void scenario_main_##ident(void *scenario_unused __attribute__((unused)))

/* Writes the user-facing name of s into buf (64 bytes) and returns buf. */
const char *scenario_name(const struct scenario *s, char buf[64]);

/* The scenario with this user-facing name, or NULL. */
const struct scenario *scenario_find(const char *name);

/* The variant of s called name, or NULL. */
const struct scenario_variant *scenario_variant_find(const struct scenario *s, const char *name);

/* Whether variant's settings set the key that assignment ("key" or "key=value")
 * names: a --set of that key makes the variant an ordinary configuration, no
 * longer held to what it declares. */
int scenario_variant_sets_key(const struct scenario_variant *variant, const char *assignment);

/* "variants: a, b, c" or "it has no variants", in buf; returns buf. */
const char *scenario_variant_names(const struct scenario *s, char *buf, size_t bytes);

/* How many variants s has. */
uint32_t scenario_variant_count(const struct scenario *s);

/* Applies variant's settings to config (whose keys are s's). Returns 0, or -EINVAL
 * with the reason in error (a variant table naming an unknown key or a bad value: a
 * bug in the scenario, caught by the tests). */
int scenario_variant_apply(const struct scenario_variant *variant, struct config *config,
                           char *error, size_t error_bytes);

/* All scenarios, sorted by name; returns the count. *list points at a static array
 * valid for the life of the process. */
size_t scenario_list(const struct scenario *const **list);

#endif
