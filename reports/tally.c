/* tally — a sweep's results added up as they stream in; see tally.h. */
#include "tally.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "util/assert.h"

static const char *const outcome_order[TALLY_OUTCOMES] = {
    "pass", "hang-deadlock", "hang-budget", "leak", "panic", "assert", "invariant", "crash",
    "timeout"};

static unsigned outcome_index(const char *outcome)
{
    unsigned o = 0;
    while (o < TALLY_OUTCOMES && strcmp(outcome_order[o], outcome) != 0)
        o++;
    return o; /* TALLY_OUTCOMES for an unknown name */
}

void tally_init(struct tally *t, const struct sweep_header *header)
{
    ASSERT(header->config_count >= 1 && header->config_count <= PLAN_CONFIGS_MAX);
    memset(t, 0, sizeof *t);
    t->header = header;
}

long tally_config_of(const struct tally *t, const char *label)
{
    for (long c = 0; c < t->header->config_count; c++)
        if (strcmp(t->header->configs[c], label) == 0)
            return c;
    return -1;
}

static size_t group_hash(long config, uint64_t signature, size_t capacity)
{
    uint64_t z = signature ^ ((uint64_t)config * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
    return (size_t)(z ^ (z >> 29)) & (capacity - 1);
}

/* The index slot of (config, signature): the group's, or the empty one where it
 * would go. */
static long *group_slot(const struct tally *t, long *index, size_t capacity, long config,
                        uint64_t signature)
{
    size_t i = group_hash(config, signature, capacity);
    for (;; i = (i + 1) & (capacity - 1)) {
        const struct tally_group *g = index[i] ? &t->groups[index[i] - 1] : NULL;
        if (!g || (g->config == config && g->first.signature == signature))
            return &index[i];
    }
}

/* Room for one more group (the index at most half full). Returns 0 or -ENOMEM with t
 * unchanged. */
static int reserve_group(struct tally *t)
{
    if (t->group_count < t->group_capacity)
        return 0;
    long capacity = t->group_capacity ? t->group_capacity * 2 : 16;
    struct tally_group *groups = realloc(t->groups, (size_t)capacity * sizeof *groups);
    if (!groups)
        return -ENOMEM;
    t->groups = groups;
    const struct tally_group **order = realloc(t->order, (size_t)capacity * sizeof *order);
    if (!order)
        return -ENOMEM; /* the larger arrays are harmless */
    t->order = order;
    size_t index_capacity = (size_t)capacity * 2;
    long *index = calloc(index_capacity, sizeof *index);
    if (!index)
        return -ENOMEM; /* the larger groups array is harmless */
    for (long g = 0; g < t->group_count; g++)
        *group_slot(t, index, index_capacity, t->groups[g].config, t->groups[g].first.signature) =
            g + 1;
    free(t->index);
    t->index = index;
    t->index_capacity = index_capacity;
    t->group_capacity = capacity;
    return 0;
}

/* Counts r in its group (config c), which it starts when it is the first. Returns 0
 * or -ENOMEM with t unchanged. */
static int add_to_group(struct tally *t, const struct sweep_record *r, long c, int want_repro)
{
    if (reserve_group(t) != 0)
        return -ENOMEM;
    long *slot = group_slot(t, t->index, t->index_capacity, c, r->signature);
    if (!*slot) {
        t->groups[t->group_count] = (struct tally_group){*r, 0, 0, c, want_repro};
        *slot = ++t->group_count;
    }
    struct tally_group *g = &t->groups[*slot - 1];
    ASSERT(g->config == c && g->first.signature == r->signature);
    g->unexpected += !r->expected;
    g->reproduced += r->reproduces;
    if (r->seed < g->first.seed)
        g->first = *r;
    return 0;
}

int tally_add(struct tally *t, const struct sweep_record *r, int want_repro)
{
    ASSERT(t->header != NULL);
    long c = tally_config_of(t, r->config);
    if (c < 0)
        return -EINVAL;
    struct tally_config *config = &t->configs[c];
    unsigned o = outcome_index(r->outcome);
    if (o != 0 && !config->first && !(config->first = calloc(1, sizeof *config->first)))
        return -ENOMEM; /* an empty first is as good as none: seeds says whether it is set */
    if ((!r->expected || r->reproduces) && add_to_group(t, r, c, want_repro) != 0)
        return -ENOMEM;
    if (o != 0 && (config->counts_failed == 0 || r->seed < config->first->seed))
        *config->first = *r;
    config->counts_failed += o != 0;
    config->counts[o]++;
    config->seeds++;
    config->reproduced += r->reproduces;
    t->outcomes[o]++;
    t->count++;
    t->unexpected += !r->expected;
    ASSERT(config->seeds <= t->count && t->unexpected <= t->count);
    return 0;
}

void tally_free(struct tally *t)
{
    for (long c = 0; c < PLAN_CONFIGS_MAX; c++)
        free(t->configs[c].first);
    free(t->groups);
    free(t->order);
    free(t->index);
    memset(t, 0, sizeof *t);
}

/* How a configuration is named in the table: its label, or "(default)" for none. */
static const char *config_label(const char *label)
{
    return label[0] ? label : "(default)";
}

/* The outcome columns the table shows: pass always, the others when counted. */
static void shown_columns(const struct tally *t, int shown[TALLY_OUTCOMES + 1])
{
    for (unsigned o = 0; o <= TALLY_OUTCOMES; o++)
        shown[o] = o == 0 || t->outcomes[o] > 0;
}

/* The table's header line, its first column width wide. */
static void write_table_header(FILE *out, const int *shown, int width, int declared)
{
    fprintf(out, "%-*s %7s", width, "config", "seeds");
    for (unsigned o = 0; o <= TALLY_OUTCOMES; o++)
        if (shown[o])
            fprintf(out, " %13s", o < TALLY_OUTCOMES ? outcome_order[o] : "other");
    fprintf(out, " %7s %13s", "failed", "first failing");
    if (declared)
        fprintf(out, "  %-13s %s", "declared", "verdict");
    fputc('\n', out);
}

/* Configuration c's row up to its verdict: seeds, the count of each outcome shown,
 * the failure rate and the first failing seed. */
static void write_config_row(FILE *out, const struct tally *t, long c, const int *shown,
                             int width)
{
    const struct tally_config *config = &t->configs[c];
    fprintf(out, "%-*s %7ld", width, config_label(t->header->configs[c]), config->seeds);
    for (unsigned o = 0; o <= TALLY_OUTCOMES; o++)
        if (shown[o])
            fprintf(out, " %13ld", config->counts[o]);
    long failed = config->counts_failed;
    /* the rate in tenths of a percent, in integers */
    long permille = config->seeds ? (failed * 1000 + config->seeds / 2) / config->seeds : 0;
    char seed_text[32] = "-";
    if (failed)
        snprintf(seed_text, sizeof seed_text, "%" PRIu64, config->first->seed);
    fprintf(out, " %5ld.%ld%% %13s", permille / 10, permille % 10, seed_text);
}

/* Configuration c's verdict against its declared outcome: a pass must never fail,
 * any other outcome must reproduce on some seed (a shard may not hold that seed).
 * Returns 1 when the declaration held. */
static int write_verdict(FILE *out, const struct tally_config *config, const char *declared,
                         int partial)
{
    int is_pass = strcmp(declared, "pass") == 0;
    int held = is_pass ? config->counts_failed == 0 && config->seeds > 0
                       : config->reproduced > 0;
    if (!held && !is_pass && partial) {
        held = 1;
        fprintf(out, "  %-13s not in this shard's seeds (merge the shards)", declared);
    } else if (is_pass) {
        fprintf(out, "  %-13s %s", declared, held ? "ok" : "FAILS");
    } else if (held) {
        fprintf(out, "  %-13s reproduces (%ld of %ld)", declared, config->reproduced,
                config->seeds);
    } else {
        fprintf(out, "  %-13s NOT REPRODUCED", declared);
    }
    return held;
}

long tally_config_table(FILE *out, const struct tally *t, const char *const *declared,
                        int partial, int *held_out)
{
    const struct sweep_header *h = t->header;
    int shown[TALLY_OUTCOMES + 1], width = 8;
    shown_columns(t, shown);
    for (long c = 0; c < h->config_count; c++)
        if ((int)strlen(h->configs[c]) > width)
            width = (int)strlen(h->configs[c]);
    write_table_header(out, shown, width, declared != NULL);
    long broken = 0;
    for (long c = 0; c < h->config_count; c++) {
        write_config_row(out, t, c, shown, width);
        if (declared) {
            int held = write_verdict(out, &t->configs[c], declared[c], partial);
            broken += !held;
            /* a shard's failure to reproduce, or its passing seeds, settle nothing */
            int settled = !partial || (strcmp(declared[c], "pass") == 0
                                           ? !held : t->configs[c].reproduced > 0);
            if (held_out)
                held_out[c] = settled ? held : TALLY_UNJUDGED;
        }
        fputc('\n', out);
    }
    for (long c = 0; c < h->config_count; c++)
        if (t->configs[c].counts_failed)
            fprintf(out, "  %s first fails: %s\n", config_label(h->configs[c]),
                    t->configs[c].first->replay);
    return broken;
}

/* A group's seeds: the unexpected ones, or for a declared failure the reproduced. */
static long group_seeds(const struct tally_group *g)
{
    return g->unexpected ? g->unexpected : g->reproduced;
}

/* Unexpected groups first, then most seeds, then the lowest first seed, then
 * configuration and signature, so that the order never depends on the order the
 * results came in. */
static int by_count(const void *a, const void *b)
{
    const struct tally_group *x = *(const struct tally_group *const *)a;
    const struct tally_group *y = *(const struct tally_group *const *)b;
    if ((x->unexpected > 0) != (y->unexpected > 0))
        return x->unexpected > 0 ? -1 : 1;
    if (group_seeds(x) != group_seeds(y))
        return group_seeds(x) > group_seeds(y) ? -1 : 1;
    if (x->first.seed != y->first.seed)
        return x->first.seed < y->first.seed ? -1 : 1;
    if (x->config != y->config)
        return x->config < y->config ? -1 : 1;
    return x->first.signature < y->first.signature ? -1 : x->first.signature > y->first.signature;
}

/* One group: outcome, count, signature, first seed, replay, repro file and page. */
static void write_group(FILE *out, long number, const struct tally_group *g,
                        const char *repro_dir)
{
    const struct sweep_record *r = &g->first;
    fprintf(out, "  %ld. %s x%ld%s, signature 0x%016" PRIx64 ", first seed %" PRIu64 "\n",
            number, r->outcome, group_seeds(g), g->unexpected ? "" : " (declared)", r->signature,
            r->seed);
    if (r->signature_text[0])
        fprintf(out, "     %s\n", r->signature_text);
    fprintf(out, "     replay: %s\n", r->replay);
    char path[400], page[400];
    sweep_repro_path(path, sizeof path, repro_dir ? repro_dir : ".", r);
    if (repro_dir && access(path, F_OK) == 0)
        fprintf(out, "     repro:  %s\n", path);
    if (repro_dir && report_page_path(path, page, sizeof page) == 0 && access(page, F_OK) == 0)
        fprintf(out, "     report: %s\n", page);
}

long tally_summary(FILE *out, const struct tally *t, const char *repro_dir, const char *unit)
{
    for (unsigned o = 0; o < TALLY_OUTCOMES; o++)
        if (t->outcomes[o])
            fprintf(out, "  %-14s %ld\n", outcome_order[o], t->outcomes[o]);
    long listed = 0, declared = 0;
    for (long g = 0; g < t->group_count; g++)
        if (t->groups[g].unexpected || t->groups[g].reproduced) {
            t->order[listed++] = &t->groups[g];
            declared += !t->groups[g].unexpected;
        }
    if (listed)
        qsort(t->order, (size_t)listed, sizeof *t->order, by_count);
    if (listed == declared && declared)
        fprintf(out, "failure groups (%ld, as declared):\n", listed);
    else if (declared)
        fprintf(out, "failure groups (%ld, %ld of them as declared):\n", listed, declared);
    else if (listed)
        fprintf(out, "failure groups (%ld):\n", listed);
    for (long g = 0; g < listed; g++)
        write_group(out, g + 1, t->order[g], repro_dir);
    if (t->unexpected)
        fprintf(out, "result: %ld of %ld %s did not end as expected\n", t->unexpected,
                t->count, unit);
    else
        fprintf(out, "result: all %ld %s ended as expected\n", t->count, unit);
    return t->unexpected;
}
