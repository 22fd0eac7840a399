/* fault — spec parsing, the plan of a run and the decision; see fault.h. */
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"

#ifdef FIU_ENABLE
#include <fiu-control.h>
#define FAULT_HAVE_LIBFIU 1
#else
/* Built without libfiu (make FIU=0): failpoints compile to nothing, and specs that
 * name one are refused when parsed; slot faults still work. */
#define FAULT_HAVE_LIBFIU 0
typedef int external_cb_t(const char *name, int *failnum, void **failinfo,
                          unsigned int *flags);
static int fiu_enable_external(const char *name, int failnum, void *failinfo,
                               unsigned int flags, external_cb_t *external_cb)
{
    (void)name, (void)failnum, (void)failinfo, (void)flags, (void)external_cb;
    return -1;
}
static int fiu_disable(const char *name)
{
    (void)name;
    return -1;
}
#endif

/* The plan whose failpoints are armed in libfiu, NULL when none. */
static struct fault_plan *armed_plan;

int fault_init(void)
{
    static int initialised;
    if (!initialised) {
        if (fiu_init(0) != 0)
            return -ENOMEM;
        initialised = 1;
    }
    return 0;
}

/* ---- parsing -------------------------------------------------------------------- */

/* Parses a probability "0", "1", "0.25", ".5" into millionths, exactly: no floating
 * point, so every compiler gets the same threshold. Returns 0 or -EINVAL. */
static int parse_probability(const char *text, uint32_t *ppm)
{
    uint64_t whole = 0, fraction = 0;
    int digits = 0, fraction_digits = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if ((whole = whole * 10 + (uint64_t)(*p - '0')) > 1)
            return -EINVAL;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++, fraction_digits++) {
            if (fraction_digits == 6)
                return -EINVAL;
            fraction = fraction * 10 + (uint64_t)(*p - '0');
        }
    if (*p != '\0' || digits == 0)
        return -EINVAL;
    for (int i = fraction_digits; i < 6; i++)
        fraction *= 10;
    uint64_t value = whole * FAULT_PPM_ONE + fraction;
    if (value > FAULT_PPM_ONE)
        return -EINVAL;
    *ppm = (uint32_t)value;
    return 0;
}

#define SPEC_ERROR(...)                                                                  \
    do {                                                                                 \
        snprintf(error, error_bytes, __VA_ARGS__);                                       \
        return -EINVAL;                                                                  \
    } while (0)

/* Applies one KEY=VALUE of a spec. */
static int parse_parameter(char *part, struct fault_spec *spec, char *error, size_t error_bytes)
{
    char *equals = strchr(part, '=');
    if (!equals || equals == part)
        SPEC_ERROR("'%s' should be KEY=VALUE (p, nth, after, times, every, from, free)", part);
    *equals = '\0';
    const char *key = part, *value = equals + 1;
    if (strcmp(key, "p") == 0) {
        if (parse_probability(value, &spec->p_ppm) != 0)
            SPEC_ERROR("p must be between 0 and 1, with at most 6 decimals (got '%s')", value);
        return 0;
    }
    uint64_t number;
    int valid = config_parse_u64(value, &number) == 0;
    if (strcmp(key, "nth") == 0 || strcmp(key, "times") == 0 || strcmp(key, "every") == 0 ||
        strcmp(key, "from") == 0) {
        if (!valid || number == 0)
            SPEC_ERROR("%s must be a positive integer (got '%s')", key, value);
        *(key[0] == 'n'   ? &spec->nth
          : key[0] == 't' ? &spec->times
          : key[0] == 'e' ? &spec->every
                          : &spec->from) = number;
    } else if (strcmp(key, "after") == 0) {
        if (!valid)
            SPEC_ERROR("after must be a step number (got '%s')", value);
        spec->after = number;
    } else if (strcmp(key, "free") == 0) {
        if (!valid || number > UINT32_MAX)
            SPEC_ERROR("free must be a slot count (got '%s')", value);
        spec->free = (uint32_t)number;
        spec->has_free = 1;
    } else {
        SPEC_ERROR("unknown key '%s' (p, nth, after, times, every, from, free)", key);
    }
    return 0;
}

/* Checks the name or pattern and that it names at least one point. */
static int parse_pattern(const char *name, struct fault_spec *spec, char *error,
                         size_t error_bytes)
{
    size_t length = strlen(name);
    if (length == 0)
        SPEC_ERROR("no failpoint name before ':' (see 'detsim faults')");
    const char *star = strchr(name, '*');
    if (star && star != name + length - 1)
        SPEC_ERROR("'*' may only end a pattern, as in model/chan/*");
    spec->is_prefix = star != NULL;
    snprintf(spec->pattern, sizeof spec->pattern, "%.*s", (int)(length - spec->is_prefix), name);
    spec->is_slots = strncmp(spec->pattern, "slots/", 6) == 0;
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++)
        if (fault_spec_matches(spec, id))
            return 0;
    if (spec->is_prefix)
        SPEC_ERROR("no failpoint matches '%s' (see 'detsim faults')", name);
    SPEC_ERROR("no failpoint named '%s' (see 'detsim faults')", name);
}

int fault_spec_parse(const char *text, struct fault_spec *spec, char *error,
                     size_t error_bytes)
{
    *spec = (struct fault_spec){.p_ppm = FAULT_PPM_ONE};
    if (strlen(text) >= sizeof spec->text)
        SPEC_ERROR("longer than %d characters", FAULT_SPEC_TEXT_MAX - 1);
    snprintf(spec->text, sizeof spec->text, "%s", text);
    char copy[FAULT_SPEC_TEXT_MAX];
    snprintf(copy, sizeof copy, "%s", text);
    char *colon = strchr(copy, ':');
    int has_p = 0, has_other = 0;
    if (colon) {
        *colon = '\0';
        if (colon[1] == '\0')
            SPEC_ERROR("nothing after ':' (expected KEY=VALUE,...)");
        char *save = NULL;
        for (char *part = strtok_r(colon + 1, ",", &save); part;
             part = strtok_r(NULL, ",", &save)) {
            has_p |= strncmp(part, "p=", 2) == 0;
            has_other |= strncmp(part, "nth=", 4) == 0 || strncmp(part, "times=", 6) == 0 ||
                         strncmp(part, "every=", 6) == 0 || strncmp(part, "from=", 5) == 0;
            if (parse_parameter(part, spec, error, error_bytes) != 0)
                return -EINVAL;
        }
    }
    if (parse_pattern(copy, spec, error, error_bytes) != 0)
        return -EINVAL;
    if (spec->is_slots && !spec->has_free)
        SPEC_ERROR("a slot fault needs free=N, e.g. %s:free=3,after=500", copy);
    if (spec->is_slots && (has_p || has_other))
        SPEC_ERROR("a slot fault takes only free= and after=");
    if (!spec->is_slots && spec->has_free)
        SPEC_ERROR("free= applies only to slot faults (slots/channels, slots/procs, "
                   "slots/handles)");
    if (!spec->is_slots && !FAULT_HAVE_LIBFIU)
        SPEC_ERROR("this detsim was built without libfiu (make FIU=0): only slot faults");
    return 0;
}

int fault_spec_matches(const struct fault_spec *spec, enum fault_point_id id)
{
    const struct fault_point *point = &fault_points[id];
    if ((point->is_slots != 0) != (spec->is_slots != 0))
        return 0;
    if (spec->is_prefix)
        return strncmp(point->name, spec->pattern, strlen(spec->pattern)) == 0;
    return strcmp(point->name, spec->pattern) == 0;
}

/* ---- the decision ----------------------------------------------------------------- */

static void record(struct fault_plan *plan, enum fault_point_id id)
{
    plan->fired_total++;
    plan->fired_by_point[id]++;
    if (plan->pending_count < FAULT_PENDING_MAX)
        plan->pending[plan->pending_count++] =
            (struct fault_fired){(uint32_t)id, plan->pid ? *plan->pid : 0,
                                 plan->step ? *plan->step : 0};
}

/* Whether spec selects its hit number hit, having fired fires times already. The
 * probability comes last, so a draw is made only when everything else agrees. A
 * lower drawn value never fires more: a recording edited toward 0 fires less. */
static int selects(struct fault_plan *plan, const struct fault_spec *spec, uint64_t hit,
                   uint64_t fires)
{
    if (spec->nth && hit != spec->nth)
        return 0;
    if (spec->every > 1 && hit % spec->every != 0)
        return 0;
    if (spec->times && fires >= spec->times)
        return 0;
    if (spec->from && hit < spec->from)
        return 0;
    if (spec->p_ppm >= FAULT_PPM_ONE)
        return 1;
    if (spec->p_ppm == 0)
        return 0;
    uint64_t value = choice_draw(plan->choices, CHOICE_FAULT, FAULT_PPM_ONE);
    return value >= FAULT_PPM_ONE - spec->p_ppm;
}

/* Every spec that applies counts the hit; the first that selects it fires it. */
static int decide(struct fault_plan *plan, enum fault_point_id id)
{
    uint64_t step = plan->step ? *plan->step : 0;
    int fired = 0;
    for (uint32_t i = 0; i < plan->spec_count; i++) {
        if (!(plan->specs_of_point[id] & (1u << i)) || step < plan->specs[i].after)
            continue;
        uint64_t hit = ++plan->hits[i];
        if (!fired && selects(plan, &plan->specs[i], hit, plan->fires[i])) {
            plan->fires[i]++;
            fired = 1;
        }
    }
    if (fired)
        record(plan, id);
    return fired;
}

/* libfiu's external callback. It must not call fiu_enable or fiu_disable: libfiu
 * holds its lock while calling it. */
static int on_failpoint(const char *name, int *failnum, void **failinfo, unsigned int *flags)
{
    (void)name;
    (void)failnum;
    (void)flags;
    struct fault_point_arm *arm = *failinfo;
    return decide(arm->plan, (enum fault_point_id)arm->id);
}

int fault_plan_arm(struct fault_plan *plan, const struct fault_spec *specs, uint32_t count,
                   struct choice_stream *choices, const uint64_t *step, const uint32_t *pid)
{
    *plan = (struct fault_plan){0};
    if (count > FAULT_SPECS_MAX || armed_plan)
        return -EINVAL;
    plan->specs = specs;
    plan->spec_count = count;
    plan->choices = choices;
    plan->step = step;
    plan->pid = pid;
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++)
        for (uint32_t i = 0; i < count; i++)
            if (fault_spec_matches(&specs[i], id))
                plan->specs_of_point[id] |= 1u << i;
    int any = 0;
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++)
        any |= plan->specs_of_point[id] && !fault_points[id].is_slots;
    if (!any)
        return 0; /* slot faults only, or nothing: libfiu stays out of it */
    if (fault_init() != 0)
        return -ENOMEM;
    plan->armed = 1;
    armed_plan = plan;
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++) {
        if (!plan->specs_of_point[id] || fault_points[id].is_slots)
            continue;
        plan->arms[id] = (struct fault_point_arm){plan, id};
        if (fiu_enable_external(fault_points[id].name, 1, &plan->arms[id], 0, on_failpoint) !=
            0) {
            fault_plan_disarm(plan);
            return -ENOMEM;
        }
    }
    fault_armed = 1;
    return 0;
}

void fault_plan_disarm(struct fault_plan *plan)
{
    if (!plan->armed)
        return;
    fault_armed = 0;
    for (uint32_t id = 0; id < FAULT_POINT_COUNT; id++)
        if (plan->arms[id].plan) {
            fiu_disable(fault_points[id].name);
            plan->arms[id].plan = NULL;
        }
    plan->armed = 0;
    armed_plan = NULL;
}

void fault_plan_record(struct fault_plan *plan, enum fault_point_id id)
{
    if (plan)
        record(plan, id);
}

uint32_t fault_plan_take_pending(struct fault_plan *plan, struct fault_fired *out, uint32_t max)
{
    uint32_t n = plan->pending_count < max ? plan->pending_count : max;
    memcpy(out, plan->pending, n * sizeof *out);
    memmove(plan->pending, plan->pending + n, (plan->pending_count - n) * sizeof *out);
    plan->pending_count -= n;
    return n;
}

uint32_t fault_swarm_draw(uint64_t seed, struct fault_spec *specs, uint32_t max)
{
    static const char *const probabilities[] = {"0.001", "0.01", "0.05", "0.2"};
    static const uint32_t afters[] = {0, 10, 100, 1000};
    uint64_t state = seed ^ 0x5377a9b1c3d2e4f7ULL; /* not the run's stream: another one */
    uint32_t n = 0;
    for (uint32_t id = 0; id < FAULT_POINT_COUNT && n < max; id++) {
        uint64_t draw = choice_splitmix64(&state);
        const struct fault_point *point = &fault_points[id];
        char text[FAULT_SPEC_TEXT_MAX], error[160];
        if (!point->is_slots && (draw & 1))
            snprintf(text, sizeof text, "%s:p=%s", point->name, probabilities[(draw >> 1) % 4]);
        else if (point->is_slots && (draw & 3) == 0)
            snprintf(text, sizeof text, "%s:free=%u,after=%u", point->name,
                     (unsigned)((draw >> 2) % 8), (unsigned)afters[(draw >> 5) % 4]);
        else
            continue;
        if (fault_spec_parse(text, &specs[n], error, sizeof error) == 0)
            n++; /* (a build without libfiu refuses failpoints: only slots remain) */
    }
    return n;
}
