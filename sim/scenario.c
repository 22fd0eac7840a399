/* scenario — the registry; see scenario.h. */
#include "scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct scenario *const __start_detsim_scenarios[];
extern const struct scenario *const __stop_detsim_scenarios[];

const char *scenario_name(const struct scenario *s, char buf[64])
{
    size_t i = 0;
    for (; s->identifier[i] && i < 63; i++)
        buf[i] = s->identifier[i] == '_' ? '-' : s->identifier[i];
    buf[i] = '\0';
    return buf;
}

static int by_name(const void *a, const void *b)
{
    const struct scenario *const *x = a, *const *y = b;
    return strcmp((*x)->identifier, (*y)->identifier);
}

#define SCENARIOS_MAX 256
static const struct scenario *sorted[SCENARIOS_MAX];
static size_t sorted_count;

size_t scenario_list(const struct scenario *const **list)
{
    if (sorted_count == 0) {
        for (const struct scenario *const *p = __start_detsim_scenarios;
             p < __stop_detsim_scenarios && sorted_count < SCENARIOS_MAX; p++)
            sorted[sorted_count++] = *p;
        qsort(sorted, sorted_count, sizeof sorted[0], by_name);
    }
    *list = sorted;
    return sorted_count;
}

const struct scenario *scenario_find(const char *name)
{
    const struct scenario *const *list;
    size_t count = scenario_list(&list);
    for (size_t i = 0; i < count; i++) {
        char buf[64];
        if (strcmp(scenario_name(list[i], buf), name) == 0)
            return list[i];
    }
    return NULL;
}

const struct scenario_variant *scenario_variant_find(const struct scenario *s, const char *name)
{
    for (const struct scenario_variant *v = s->variants; v && v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}

uint32_t scenario_variant_count(const struct scenario *s)
{
    uint32_t n = 0;
    for (const struct scenario_variant *v = s->variants; v && v->name; v++)
        n++;
    return n;
}

int scenario_variant_apply(const struct scenario_variant *variant, struct config *config,
                           char *error, size_t error_bytes)
{
    const char *p = variant->settings ? variant->settings : "";
    while (*p) {
        while (*p == ' ')
            p++;
        size_t length = strcspn(p, " ");
        if (length == 0)
            break;
        char assignment[128];
        if (length >= sizeof assignment) {
            snprintf(error, error_bytes, "variant %s: setting too long", variant->name);
            return -EINVAL;
        }
        memcpy(assignment, p, length);
        assignment[length] = '\0';
        char reason[200];
        if (config_assign(config, assignment, reason, sizeof reason) != 0) {
            snprintf(error, error_bytes, "variant %s: %s", variant->name, reason);
            return -EINVAL;
        }
        p += length;
    }
    return 0;
}

int scenario_variant_sets_key(const struct scenario_variant *variant, const char *assignment)
{
    size_t length = strcspn(assignment, "=");
    for (const char *p = variant->settings; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, assignment, length) == 0 && p[length] == '=')
            return 1;
        p += strcspn(p, " ");
    }
    return 0;
}

const char *scenario_variant_names(const struct scenario *s, char *buf, size_t bytes)
{
    size_t n = (size_t)snprintf(buf, bytes, "%s", s->variants ? "variants:" : "it has no variants");
    for (const struct scenario_variant *v = s->variants; v && v->name && n < bytes; v++)
        n += (size_t)snprintf(buf + n, bytes - n, "%s %s", v == s->variants ? "" : ",", v->name);
    return buf;
}
