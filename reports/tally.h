/* tally — what a sweep's results add up to, kept as they stream in: outcome counts,
 * per configuration its seeds, failures and first failing seed, and the failure
 * groups (one per configuration and signature, with its count and lowest seed).
 *
 * Its memory grows with the configurations and the failure groups, never with the
 * seeds: a sweep of a million seeds that fail three ways holds three groups. */
#ifndef DETSIM_TALLY_H
#define DETSIM_TALLY_H

#include <stdio.h>

#include "reports/sweep.h"

/* A configuration's verdict (tally_config_table). */
#define TALLY_BROKEN 0
#define TALLY_HELD 1
#define TALLY_UNJUDGED (-1) /* one shard's seeds cannot decide it: the merge does */

#define TALLY_OUTCOMES 9 /* pass ... timeout; one more column counts any other */

struct tally_config {
    long counts[TALLY_OUTCOMES + 1]; /* by outcome */
    long seeds;
    long reproduced;                 /* seeds that reproduced the declared failure */
    long counts_failed;              /* seeds that did not pass */
    struct sweep_record *first;      /* the lowest of them, when there is one (owned) */
};

struct tally_group {
    struct sweep_record first; /* its lowest seed */
    long unexpected;           /* seeds that did not end as expected */
    long reproduced;           /* seeds that reproduced a declared failure */
    long config;               /* the configuration's number */
    int repro_pending;         /* its repro file is still to be written */
};

struct tally {
    const struct sweep_header *header; /* the configurations (borrowed) */
    long count;                        /* records added */
    long unexpected;                   /* of which not as expected */
    long outcomes[TALLY_OUTCOMES + 1];
    struct tally_config configs[PLAN_CONFIGS_MAX];
    struct tally_group *groups;        /* in order of appearance */
    const struct tally_group **order;  /* room to sort them (tally_summary): no allocation
                                          when the results are printed */
    long group_count, group_capacity;
    long *index;                       /* hash of (config, signature) -> group + 1 */
    size_t index_capacity;             /* a power of two, twice group_capacity */
};

/* Sets t up, empty, for the configurations of header (which must outlive t). */
void tally_init(struct tally *t, const struct sweep_header *header);

/* Counts record. A failure (or a reproduced declared one) joins its group; when
 * want_repro, a group it starts is marked repro_pending. Returns 0; -EINVAL when
 * record's configuration is not one of the header's; -ENOMEM (t is then unchanged). */
int tally_add(struct tally *t, const struct sweep_record *record, int want_repro);

/* The number of the configuration labelled label, or -1. */
long tally_config_of(const struct tally *t, const char *label);

void tally_free(struct tally *t);

/* Prints one row per configuration: seeds, outcome counts, failure rate and first
 * failing seed; then, when declared is not NULL, declared[c] (the outcome
 * configuration c is declared to have) and whether it held: a "pass" configuration
 * passes every seed, another reproduces at least once. When partial (one shard of a
 * sweep), a failure that did not reproduce in these seeds is not judged. held (may
 * be NULL) gets a verdict per configuration: TALLY_HELD, TALLY_BROKEN, or when
 * partial TALLY_UNJUDGED for what the other shards decide (a failure not reproduced
 * here, a fixed configuration that passed these seeds). Returns the number of
 * configurations whose declaration did not hold. */
long tally_config_table(FILE *out, const struct tally *t, const char *const *declared,
                        int partial, int *held);

/* Prints the outcome counts and the failure groups, most seeds first (count, first
 * seed, replay command, and the repro file and page when repro_dir has them): the
 * unexpected ones, then those that reproduced what a variant declares, marked
 * "declared"; unit names the records ("seeds", "runs"). Returns how many records
 * were not the expected outcome. */
long tally_summary(FILE *out, const struct tally *t, const char *repro_dir, const char *unit);

#endif
