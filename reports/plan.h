/* plan — the configurations of a sweep: one variant of the scenario, or every
 * variant in turn (--variant NAME|all), times the values of every --set list
 * (--set KEY=a,b,c or KEY=A..B), each with the plain --set values on top.
 *
 * Configuration number i takes its variant from i / (configurations per variant),
 * then its list values from the rest, the first list varying fastest. Each has a
 * label ("buggy max_channels=64", "" for none) and the replay command of its seeds. */
#ifndef DETSIM_PLAN_H
#define DETSIM_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"
#include "sim/sched.h"
#include "util/config.h"

#define PLAN_CONFIGS_MAX 256
#define PLAN_VARIANTS_MAX 64
#define PLAN_SETS_MAX 128       /* plain --set KEY=VALUE */
#define PLAN_LIST_KEYS_MAX 4    /* --set KEY=LIST */
#define PLAN_LIST_VALUES_MAX 64 /* values in one list */

struct plan_list {
    const char *key; /* the config key's own name */
    uint64_t values[PLAN_LIST_VALUES_MAX];
    uint32_t count;
};

struct plan {
    const struct scenario_variant *variants[PLAN_VARIANTS_MAX]; /* NULL alone: no variant */
    uint32_t variant_count;
    const char *scalar_sets[PLAN_SETS_MAX]; /* --set KEY=VALUE, in order (borrowed) */
    uint32_t scalar_count;
    struct plan_list lists[PLAN_LIST_KEYS_MAX];
    uint32_t list_count;
    long configs; /* variants x the values of every list */
};

/* One configuration of a plan, as plan_apply sets it up. */
struct plan_config {
    char label[96];              /* "VARIANT KEY=VALUE ...", "" for none */
    char replay_prefix[480];     /* "detsim run SCENARIO [...] [--variant V] [--set K=V]" */
    enum sched_outcome declared; /* what the variant declares; pass when none or overridden */
    const char *cause;           /* text a reproducing report must contain; NULL: any */
};

/* Empties plan, before the first plan_add_set. */
void plan_init(struct plan *plan);

/* Whether a --set assignment ("KEY=a,b" or "KEY=A..B") gives a list of values. */
int plan_is_value_list(const char *assignment);

/* Adds one --set (KEY=VALUE, or a list; borrowed) whose key is checked against
 * defaults. Returns 0, or -EINVAL with one line in error (a bad list, too many
 * lists or values): plan is then unchanged. */
int plan_add_set(struct plan *plan, const struct config *defaults, const char *assignment,
                 char *error, size_t error_bytes);

/* After the last plan_add_set: takes scenario's variant variant_name ("all": every
 * variant; NULL: none), checks that no key has a list and another value, and counts
 * the configurations. Returns 0, or -EINVAL with one line in error. */
int plan_finish(struct plan *plan, const struct scenario *scenario, const char *variant_name,
                char *error, size_t error_bytes);

/* Sets up configuration number index (< plan->configs) of scenario: config gets
 * defaults, the variant's settings, the plain --set values, then this
 * configuration's list values; out gets its label, its replay command (base_prefix:
 * the command without the variant and list values) and its declaration. Returns 0,
 * or -EINVAL with one line in error (a bad value, a label or command too long, a
 * config the world refuses); config and out are then unspecified. */
int plan_apply(const struct plan *plan, long index, const struct scenario *scenario,
               const struct config *defaults, const char *base_prefix, struct config *config,
               struct plan_config *out, char *error, size_t error_bytes);

#endif
