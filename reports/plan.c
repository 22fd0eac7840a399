/* plan — a sweep's configurations; see plan.h. */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/world.h"

void plan_init(struct plan *plan)
{
    memset(plan, 0, sizeof *plan);
}

int plan_is_value_list(const char *assignment)
{
    const char *equals = strchr(assignment, '=');
    return equals && (strchr(equals, ',') || strstr(equals, ".."));
}

/* Fills list with the integer range "A..B" (values) of key k. Returns 0 or -EINVAL. */
static int parse_value_range(const struct config_key *k, const char *assignment,
                             const char *values, struct plan_list *list, char *error,
                             size_t error_bytes)
{
    char reason[256], item[128];
    const char *dots = strstr(values, "..");
    uint64_t low, high;
    snprintf(item, sizeof item, "%.*s", (int)(dots - values), values);
    if (k->type != CONFIG_UINT && k->type != CONFIG_BYTES) {
        snprintf(error, error_bytes, "bad --set '%s': a range A..B needs an integer key",
                 assignment);
        return -EINVAL;
    }
    if (config_parse_value(k, item, &low, reason, sizeof reason) != 0 ||
        config_parse_value(k, dots + 2, &high, reason, sizeof reason) != 0) {
        snprintf(error, error_bytes, "bad --set '%s': %s", assignment, reason);
        return -EINVAL;
    }
    if (high < low || high - low >= PLAN_LIST_VALUES_MAX) {
        snprintf(error, error_bytes, "bad --set '%s': expected A..B with A <= B and at most %d "
                                     "values", assignment, PLAN_LIST_VALUES_MAX);
        return -EINVAL;
    }
    for (uint64_t v = low; v <= high; v++)
        list->values[list->count++] = v;
    return 0;
}

/* Parses "KEY=a,b,c" or "KEY=A..B" (integer keys) into list. Returns 0 or -EINVAL. */
static int parse_value_list(const struct config *config, const char *assignment,
                            struct plan_list *list, char *error, size_t error_bytes)
{
    const char *equals = strchr(assignment, '=');
    char key[64], reason[256], item[128];
    if (!equals || (size_t)(equals - assignment) >= sizeof key) {
        snprintf(error, error_bytes, "bad --set '%s': expected KEY=VALUE", assignment);
        return -EINVAL;
    }
    memcpy(key, assignment, (size_t)(equals - assignment));
    key[equals - assignment] = '\0';
    int index = config_find(config, key);
    if (index < 0) {
        snprintf(error, error_bytes, "bad --set '%s': unknown key '%s'", assignment, key);
        return -EINVAL;
    }
    const struct config_key *k = config->keys[index];
    list->key = k->name;
    list->count = 0;
    const char *values = equals + 1, *dots = strstr(values, "..");
    if (dots && !strchr(values, ','))
        return parse_value_range(k, assignment, values, list, error, error_bytes);
    for (const char *p = values;;) {
        size_t length = strcspn(p, ",");
        if (length == 0 || length >= sizeof item) {
            snprintf(error, error_bytes, "bad --set '%s': empty or overlong value in the list",
                     assignment);
            return -EINVAL;
        }
        if (list->count == PLAN_LIST_VALUES_MAX) {
            snprintf(error, error_bytes, "bad --set '%s': at most %d values", assignment,
                     PLAN_LIST_VALUES_MAX);
            return -EINVAL;
        }
        memcpy(item, p, length);
        item[length] = '\0';
        if (config_parse_value(k, item, &list->values[list->count], reason, sizeof reason) != 0) {
            snprintf(error, error_bytes, "bad --set '%s': %s", assignment, reason);
            return -EINVAL;
        }
        list->count++;
        if (!p[length])
            return 0;
        p += length + 1;
    }
}

int plan_add_set(struct plan *plan, const struct config *defaults, const char *assignment,
                 char *error, size_t error_bytes)
{
    if (plan_is_value_list(assignment)) {
        if (plan->list_count == PLAN_LIST_KEYS_MAX) {
            snprintf(error, error_bytes, "at most %d --set options with a list of values",
                     PLAN_LIST_KEYS_MAX);
            return -EINVAL;
        }
        if (parse_value_list(defaults, assignment, &plan->lists[plan->list_count], error,
                             error_bytes) != 0)
            return -EINVAL;
        plan->list_count++;
        return 0;
    }
    if (plan->scalar_count == PLAN_SETS_MAX) {
        snprintf(error, error_bytes, "too many --set options");
        return -EINVAL;
    }
    plan->scalar_sets[plan->scalar_count++] = assignment;
    return 0;
}

/* Takes the variants variant_name names into plan. Returns 0 or -EINVAL. */
static int take_variants(struct plan *plan, const struct scenario *scenario,
                         const char *variant_name, char *error, size_t error_bytes)
{
    char scenario_text[64], known[512];
    plan->variant_count = 1;
    plan->variants[0] = NULL;
    if (variant_name && strcmp(variant_name, "all") == 0) {
        plan->variant_count = 0;
        for (const struct scenario_variant *v = scenario->variants;
             v && v->name && plan->variant_count < PLAN_VARIANTS_MAX; v++)
            plan->variants[plan->variant_count++] = v;
        if (plan->variant_count == 0)
            plan->variants[plan->variant_count++] = NULL; /* the default, alone */
    } else if (variant_name) {
        plan->variants[0] = scenario_variant_find(scenario, variant_name);
        if (!plan->variants[0]) {
            snprintf(error, error_bytes, "unknown variant '%s' of %s (%s)", variant_name,
                     scenario_name(scenario, scenario_text),
                     scenario_variant_names(scenario, known, sizeof known));
            return -EINVAL;
        }
    }
    return 0;
}

int plan_finish(struct plan *plan, const struct scenario *scenario, const char *variant_name,
                char *error, size_t error_bytes)
{
    if (take_variants(plan, scenario, variant_name, error, error_bytes) != 0)
        return -EINVAL;
    /* One key, one value per configuration: a key given as a list and again (as a
     * list or a value) would make labels that lie. */
    for (uint32_t l = 0; l < plan->list_count; l++) {
        for (uint32_t m = 0; m < l; m++)
            if (strcmp(plan->lists[m].key, plan->lists[l].key) == 0) {
                snprintf(error, error_bytes, "--set %s: the key is given two lists of values",
                         plan->lists[l].key);
                return -EINVAL;
            }
        size_t length = strlen(plan->lists[l].key);
        for (uint32_t i = 0; i < plan->scalar_count; i++)
            if (strncmp(plan->scalar_sets[i], plan->lists[l].key, length) == 0 &&
                plan->scalar_sets[i][length] == '=') {
                snprintf(error, error_bytes, "--set %s: the key is given a list and a value",
                         plan->lists[l].key);
                return -EINVAL;
            }
    }
    plan->configs = plan->variant_count;
    for (uint32_t l = 0; l < plan->list_count; l++) {
        plan->configs *= plan->lists[l].count;
        if (plan->configs > PLAN_CONFIGS_MAX) {
            snprintf(error, error_bytes, "the variants and --set lists make more than %d "
                                         "configurations", PLAN_CONFIGS_MAX);
            return -EINVAL;
        }
    }
    return 0;
}

/* Applies variant to config and takes its declaration into out, unless a --set of
 * plan changes one of its keys. Returns 0 or -EINVAL. */
static int apply_variant(const struct plan *plan, const struct scenario_variant *variant,
                         const struct scenario *scenario, struct config *config,
                         struct plan_config *out, char *error, size_t error_bytes)
{
    char reason[256], scenario_text[64];
    if (scenario_variant_apply(variant, config, reason, sizeof reason) != 0) {
        snprintf(error, error_bytes, "%s: %s", scenario_name(scenario, scenario_text), reason);
        return -EINVAL;
    }
    /* The declaration holds for the variant's own settings: a --set that changes
     * one of them makes it an ordinary configuration, held to pass. */
    int overridden = 0;
    for (uint32_t i = 0; i < plan->scalar_count; i++)
        overridden |= scenario_variant_sets_key(variant, plan->scalar_sets[i]);
    for (uint32_t l = 0; l < plan->list_count; l++)
        overridden |= scenario_variant_sets_key(variant, plan->lists[l].key);
    int declared = sched_outcome_parse(variant->expect);
    if (!overridden && declared >= 0) {
        out->declared = (enum sched_outcome)declared;
        out->cause = variant->cause;
    }
    return 0;
}

int plan_apply(const struct plan *plan, long index, const struct scenario *scenario,
               const struct config *defaults, const char *base_prefix, struct config *config,
               struct plan_config *out, char *error, size_t error_bytes)
{
    char reason[256];
    *config = *defaults;
    long per_variant = plan->configs / plan->variant_count;
    const struct scenario_variant *variant = plan->variants[index / per_variant];
    long rest = index % per_variant;
    size_t label = 0, prefix = (size_t)snprintf(out->replay_prefix, sizeof out->replay_prefix,
                                                 "%s", base_prefix);
    out->label[0] = '\0';
    out->declared = SCHED_OUTCOME_PASS;
    out->cause = NULL;
    if (variant) {
        if (apply_variant(plan, variant, scenario, config, out, error, error_bytes) != 0)
            return -EINVAL;
        label += (size_t)snprintf(out->label, sizeof out->label, "%s", variant->name);
        prefix += (size_t)snprintf(out->replay_prefix + prefix,
                                   sizeof out->replay_prefix - prefix, " --variant %s",
                                   variant->name);
    }
    for (uint32_t i = 0; i < plan->scalar_count; i++)
        if (config_assign(config, plan->scalar_sets[i], reason, sizeof reason) != 0) {
            snprintf(error, error_bytes, "%s", reason);
            return -EINVAL;
        }
    for (uint32_t l = 0; l < plan->list_count; l++) {
        const struct plan_list *list = &plan->lists[l];
        uint64_t value = list->values[rest % list->count];
        rest /= list->count;
        int key = config_find(config, list->key);
        char text[48];
        config_format_value(config->keys[key], value, text);
        config->values[key] = value;
        if (label < sizeof out->label)
            label += (size_t)snprintf(out->label + label, sizeof out->label - label, "%s%s=%s",
                                      label ? " " : "", list->key, text);
        if (prefix < sizeof out->replay_prefix)
            prefix += (size_t)snprintf(out->replay_prefix + prefix,
                                       sizeof out->replay_prefix - prefix, " --set %s=%s",
                                       list->key, text);
    }
    if (label >= sizeof out->label) {
        snprintf(error, error_bytes, "configuration label '%s...' too long: fewer or shorter "
                                     "--set lists", out->label);
        return -EINVAL;
    }
    if (prefix >= sizeof out->replay_prefix) {
        snprintf(error, error_bytes, "the replay command would be too long: fewer --set options");
        return -EINVAL;
    }
    if (world_config_error(config, reason, sizeof reason) != 0) {
        snprintf(error, error_bytes, "%s%s%s", out->label, out->label[0] ? ": " : "", reason);
        return -EINVAL;
    }
    return 0;
}
