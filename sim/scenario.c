/* scenario — the registry; see scenario.h. */
#include "scenario.h"

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
