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

#include "config.h"

struct scenario {
    const char *identifier; /* my_scenario */
    const char *description;
    void (*main)(void *unused);
    const struct config_key *params; /* NULL-terminated, may be NULL */
};

#define SCENARIO(ident, description, params)                                            \
    static void scenario_main_##ident(void *);                                        \
    static const struct scenario scenario_def_##ident = {#ident, description,           \
                                                         scenario_main_##ident, params}; \
    static const struct scenario *const scenario_entry_##ident                          \
        __attribute__((used, section("detsim_scenarios"))) = &scenario_def_##ident;     \
    static void scenario_main_##ident(void *scenario_unused __attribute__((unused)))

/* Writes the user-facing name of s into buf (64 bytes) and returns buf. */
const char *scenario_name(const struct scenario *s, char buf[64]);

/* The scenario with this user-facing name, or NULL. */
const struct scenario *scenario_find(const char *name);

/* All scenarios, sorted by name; returns the count. *list points at a static array
 * valid for the life of the process. */
size_t scenario_list(const struct scenario *const **list);

#endif
