/* fault — the fault plan of a run: which failpoints (failpoint.h) fire, when.
 *
 * Failpoints go through libfiu (fiu_fail), armed with fiu_enable_external: libfiu
 * finds the point, and our callback decides. Every decision that is not forced is
 * drawn from the run's choice stream (CHOICE_FAULT), never from libfiu's own
 * clock-seeded random mode, so a fired fault is recorded and replays.
 *
 * Slot faults (slots/channels, slots/procs, slots/handles) are not libfiu points:
 * they lower a table's usable size from a chosen step ("free=3,after=500": only 3
 * free slots from step 500 on), and the models refuse what would not fit, as if
 * the missing slots were held by someone else. The world applies them (world.h);
 * the plan only counts and reports what they refused.
 *
 * A spec (the text of one --fault) is NAME or PATTERN, optionally followed by
 * ':KEY=VALUE,...':
 *     p=PROBABILITY  fire with this probability, 0..1, at most 6 decimals (default 1)
 *     nth=N          only the Nth hit
 *     after=STEP     only hits at scheduler step >= STEP; earlier hits are not counted
 *     times=K        at most K fires
 *     every=M        only every Mth hit (M, 2M, 3M, ...)
 *     from=N         every hit from the Nth on (a persistent failure)
 *     free=N         slot faults only: the free slots left (required)
 * A hit is counted per spec: "the Nth hit" of the pattern model/chan/(star) counts hits of every
 * channel failpoint together. Checks run in that order — after, nth, every, times,
 * then from, then the probability draw — so a draw is made only for a hit that passed the
 * others. When two specs select the same hit it fires once, for the first. */
#ifndef DETSIM_FAULT_H
#define DETSIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "failpoint.h"
#include "util/choice.h"

#define FAULT_SPEC_TEXT_MAX 128
#define FAULT_PPM_ONE 1000000u /* probabilities are in millionths */

struct fault_spec {
    char text[FAULT_SPEC_TEXT_MAX];    /* as given; repro files store it */
    char pattern[FAULT_SPEC_TEXT_MAX]; /* the name, or the prefix before a '*' */
    uint8_t is_prefix;                 /* pattern ended in '*' */
    uint8_t is_slots;                  /* names slot faults (slots/...) */
    uint8_t has_free;
    uint32_t p_ppm;  /* firing probability in millionths; FAULT_PPM_ONE: always */
    uint32_t free;   /* slot faults: free slots left */
    uint64_t nth;    /* 0: any hit */
    uint64_t after;  /* first step at which hits count */
    uint64_t times;  /* 0: no limit */
    uint64_t every;  /* 0: every hit */
    uint64_t from;   /* 0: from the first hit */
};

/* Parses one spec. Returns 0, or -EINVAL with the reason (no prefix, e.g. "p must be
 * between 0 and 1") in error; spec is unspecified on error. A name or pattern that
 * names no failpoint is an error. */
int fault_spec_parse(const char *text, struct fault_spec *spec, char *error,
                     size_t error_bytes);

/* Swarm testing (Groce et al., ISSTA 2012): the faults seed arms, drawn from the
 * seed alone (a stream of its own: the run's choice stream is untouched), so that
 * each seed tries a different subset. Each failpoint is armed with probability 1/2,
 * with p one of 0.001, 0.01, 0.05, 0.2; each slot table with probability 1/4, with
 * free 0..7 and after one of 0, 10, 100, 1000. Writes the specs (each as
 * fault_spec_parse makes it from its text: "model/chan/send:p=0.05") to specs
 * (room for max) and returns how many. Pure: the same seed, the same specs. */
uint32_t fault_swarm_draw(uint64_t seed, struct fault_spec *specs, uint32_t max);

/* Whether spec applies to failpoint id. */
int fault_spec_matches(const struct fault_spec *spec, enum fault_point_id id);

/* A fired fault not yet written to the trace. */
struct fault_fired {
    uint32_t point; /* enum fault_point_id */
    uint32_t pid;
    uint64_t step;
};

#define FAULT_PENDING_MAX 16

/* The faults of one run: the specs, their counters, what fired. */
struct fault_plan {
    const struct fault_spec *specs; /* borrowed */
    uint32_t spec_count;
    uint32_t specs_of_point[FAULT_POINT_COUNT]; /* bit i: spec i applies */
    uint64_t hits[FAULT_SPECS_MAX];  /* per spec: hits counted */
    uint64_t fires[FAULT_SPECS_MAX]; /* per spec: hits it fired */
    struct choice_stream *choices;   /* borrowed: the run's stream */
    const uint64_t *step;            /* borrowed: the step of the model call */
    const uint32_t *pid;             /* borrowed: the caller of the model call */
    uint64_t fired_total;
    uint64_t fired_by_point[FAULT_POINT_COUNT];
    struct fault_fired pending[FAULT_PENDING_MAX]; /* for the trace, oldest first */
    uint32_t pending_count;
    struct fault_point_arm {
        struct fault_plan *plan;
        uint32_t id;
    } arms[FAULT_POINT_COUNT]; /* libfiu's failinfo for each armed point */
    int armed;
};

/* Sets plan up for a run over specs[0..count) (count <= FAULT_SPECS_MAX; borrowed,
 * as are choices, step and pid, which must outlive the plan) and arms the libfiu
 * failpoints they name. Only one plan may be armed at a time. Returns 0, or
 * -EINVAL (too many specs, or another plan is armed), -ENOMEM (libfiu refused):
 * nothing is armed then. */
int fault_plan_arm(struct fault_plan *plan, const struct fault_spec *specs, uint32_t count,
                   struct choice_stream *choices, const uint64_t *step, const uint32_t *pid);

/* Disarms what fault_plan_arm armed; the counters stay readable. Safe to call on a
 * plan that was never armed, or twice. Never call it from inside a failpoint. */
void fault_plan_disarm(struct fault_plan *plan);

/* Moves up to max pending fired faults to out, oldest first; returns how many. */
uint32_t fault_plan_take_pending(struct fault_plan *plan, struct fault_fired *out,
                                 uint32_t max);

/* Makes sure libfiu is initialised (once per process). Returns 0 or -ENOMEM. */
int fault_init(void);

#endif
