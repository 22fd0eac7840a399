/* sched — the deterministic single-threaded scheduler.
 *
 * One coroutine per simulated task. A task runs until its next sys_* call, which is
 * a scheduling point: the task goes back to the ready queue and the scheduler picks
 * who runs next — by the strategy, from the choice stream. Each pick is one step and
 * advances the virtual clock by step_ns. When no task is ready the clock jumps to
 * the next timer. A run ends when every task has exited, when nothing can run and
 * no timer is pending while tasks are blocked (a deadlock), when a budget runs out,
 * or when a scenario check fails.
 *
 * Wait queues (model/waitq.h) are how a task says "I wait on this object". The
 * models and the sys layer own them; the scheduler parks and wakes tasks on them
 * and asks them who holds or could signal the object, for hang reports. */
#ifndef DETSIM_SCHED_H
#define DETSIM_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "model/waitq.h"
#include "sim/trace.h"
#include "util/choice.h"
#include "util/config.h"
#include "util/text.h"

enum sched_strategy_kind {
    SCHED_RANDOM, /* uniform choice among ready tasks at every step */
    SCHED_RR,     /* round robin: always the task that has waited longest */
    SCHED_PCT,    /* probabilistic concurrency testing, Burckhardt et al. 2010 */
    SCHED_POS,    /* partial order sampling, Yuan, Yang and Gu 2018 */
    SCHED_DELAY,  /* delay-bounded sampling (Emmi, Qadeer, Rakamaric 2011) */
    SCHED_PREEMPT, /* preemption-bounded sampling (Musuvathi, Qadeer 2007) */
    SCHED_PORTFOLIO /* a choice among the others by seed: run.c resolves it before a run */
};

struct sched_strategy {
    enum sched_strategy_kind kind;
    uint32_t pct_depth;  /* d: d-1 priority change points */
    uint64_t pct_steps;  /* k: change points (PCT), delays and preemptions are drawn from
                            steps [1, k]; 0: the run's length, which run.c resolves
                            before a run (never 0 in a scheduler) */
    uint32_t bound;      /* delay, preempt: at most this many delays or preemptions */
};

/* PCT's bounds and defaults: depth 1..SCHED_PCT_DEPTH_MAX, so at most
 * SCHED_PCT_DEPTH_MAX - 1 change points. The bound of delay and preempt: at most
 * SCHED_PCT_DEPTH_MAX - 1 too (the same table of points). */
#define SCHED_PCT_DEPTH_MAX 17
#define SCHED_PCT_DEPTH_DEFAULT 3
#define SCHED_PCT_STEPS_DEFAULT 0 /* the run's length */
#define SCHED_BOUND_DEFAULT 2

/* What a run gets without --strategy: random, with PCT's defaults kept for a later
 * "pct" without parameters. */
#define SCHED_STRATEGY_DEFAULT                                                           \
    ((struct sched_strategy){SCHED_RANDOM, SCHED_PCT_DEPTH_DEFAULT, SCHED_PCT_STEPS_DEFAULT, \
                             SCHED_BOUND_DEFAULT})

enum sched_outcome {
    SCHED_OUTCOME_PASS,
    SCHED_OUTCOME_HANG_DEADLOCK,
    SCHED_OUTCOME_HANG_BUDGET,
    SCHED_OUTCOME_LEAK,
    SCHED_OUTCOME_PANIC,
    SCHED_OUTCOME_ASSERT,
    SCHED_OUTCOME_INVARIANT,
    SCHED_OUTCOME_CRASH,
    SCHED_OUTCOME_TIMEOUT, /* past its wall-clock limit: seen only by the parent of a run */
    SCHED_OUTCOME_COUNT
};

const char *sched_outcome_name(enum sched_outcome outcome);
/* Returns the outcome named name, or -1. */
int sched_outcome_parse(const char *name);

struct sched;

/* One scheduling decision as a systematic explorer sees it (detsim explore): the
 * ready tasks in arrival order, index i being the value i of the CHOICE_SCHED draw
 * that follows, and the task that ran the step before, when it is among them. */
struct sched_decision {
    const struct sched *sched; /* for sched_ready_accesses (access.h) */
    const uint32_t *pids; /* count of them, in arrival order */
    uint32_t count;       /* at least 2: a lone ready task is no decision */
    uint32_t previous;    /* the task that ran the last step, if ready; else 0 */
    uint8_t previous_yielded; /* previous is ready at a sys_yield */
};

struct sched_options {
    struct sched_strategy strategy;
    uint64_t max_steps;
    uint64_t max_vtime_ns;
    uint64_t step_ns;     /* virtual time one step costs */
    size_t stack_bytes;   /* per task */
    const struct config *config; /* what sys_param reads; borrowed */
    /* Shown each decision of the random strategy just before its draw (NULL: none);
     * it only reads, so a run is the same with or without it. */
    void (*on_decision)(void *context, const struct sched_decision *decision);
    void *decision_context;
    uint8_t track_access; /* resolve each picked task's access (sched_last_access) */
    uint8_t exit_step;    /* a return from a task's function is a scheduling point of
                             its own, as sys_exit is (access.h); changes traces */
};

struct sched;
struct waitq;
struct world;

/* What the layer above (sys, with the models) is told. Any may be NULL. */
struct sched_hooks {
    void (*on_resume)(uint32_t pid);            /* in the task, after every resume */
    void (*on_exit)(uint32_t pid, int status);  /* a task ended (exit or kill) */
    int (*after_step)(struct sched *s);         /* nonzero stops the run (set via sched_fail) */
    void (*describe)(struct text *out);         /* appended to hang reports */
    int (*interrupted)(uint32_t pid);           /* a caught signal is pending */
};

/* Creates a scheduler. Returns 0, or -ENOMEM. The choice stream and trace are
 * borrowed. */
int sched_create(struct sched **out, const struct sched_options *options,
                 struct choice_stream *choices, struct trace *trace);

/* Creates task pid (the next one: 1, 2, ...) running fn(arg). A daemon task never
 * counts as hung and never keeps a run going. Returns 0, or -ENOMEM. */
int sched_spawn(struct sched *s, uint32_t pid, const char *name, void (*fn)(void *), void *arg,
                uint32_t parent, int daemon);

void sched_set_hooks(struct sched *s, const struct sched_hooks *hooks);

/* Makes s the scheduler that sys_* calls use; returns the previous. */
struct sched *sched_activate(struct sched *s);

/* Ends the run from outside a task (an after_step hook): outcome and message. */
void sched_fail(struct sched *s, enum sched_outcome outcome, const char *message);

/* Runs to the end and returns the outcome; writes the hang report or failure
 * message to report, and what the failure's signature keys on to key (left empty
 * when the signature keys on the report itself). */
enum sched_outcome sched_run(struct sched *s, struct text *report, struct text *key);

/* Points names at resolvers of s's task and object names, for trace output. */
void sched_trace_names(struct sched *s, struct trace_names *names);

uint64_t sched_steps(const struct sched *s);
uint64_t sched_vtime(const struct sched *s);

/* The wait-for graph of a run that stopped: what the hang report says in words, as
 * nodes and edges for a picture. Tasks are the blocked ones (daemons excepted) and
 * whoever holds what they wait on; objects are the wait queues they are parked on.
 * Everything is copied: the graph outlives the scheduler. */
enum sched_wait_state {
    SCHED_WAIT_BLOCKED,
    SCHED_WAIT_RUNNABLE,
    SCHED_WAIT_EXITED
};

struct sched_wait_task {
    uint32_t pid;
    char name[32];
    enum sched_wait_state state;
    enum trace_op blocked_op;    /* the call it is blocked in, when blocked */
    uint64_t object;             /* the queue it is parked on; 0: a sleep, or not blocked */
    uint64_t blocked_since_step;
};

struct sched_wait_object {
    uint64_t id;        /* the wait queue's object id in the trace */
    char kind[16];      /* "mutex", "semaphore", "channel", "port", "task" */
    char label[64];     /* mutex "A", channel 0 end A, exit of pid 3 */
    char relation[96];  /* how the holders relate to it: "is held by", ... */
};

struct sched_wait_edge {
    uint32_t pid;     /* waits: the blocked task; holds: the holder */
    uint64_t object;  /* the wait queue */
    uint8_t holds;    /* 0: pid waits for object; 1: object is held (or could be
                         signalled) by pid */
    uint8_t in_cycle; /* the edge is on the wait-for cycle */
};

struct sched_wait_graph {
    struct sched_wait_task *tasks; /* blocked tasks by pid, then the other holders */
    uint32_t task_count;
    struct sched_wait_object *objects; /* in order of first use */
    uint32_t object_count;
    struct sched_wait_edge *edges;
    uint32_t edge_count;
    uint32_t *cycle; /* the pids of the cycle the hang report names, in wait order */
    uint32_t cycle_length; /* 0: no cycle */
};

/* Fills graph from s as it stands (after sched_run). Returns 0, or -ENOMEM with
 * graph empty. Free it with sched_wait_graph_free either way. */
int sched_wait_graph(struct sched *s, struct sched_wait_graph *graph);
void sched_wait_graph_free(struct sched_wait_graph *graph);

/* Frees the scheduler, its tasks and objects; stacks go back to the pool. */
void sched_destroy(struct sched *s);

/* ---- for the sys_* layer; valid only inside a running task ---------------------- */

/* Wakes the longest waiter (returns its pid) or nobody (returns 0). */
uint32_t waitq_wake_one(struct waitq *wq, enum waitq_wake reason);

/* Wakes every waiter; returns how many. */
uint32_t waitq_wake_all(struct waitq *wq, enum waitq_wake reason);

#endif
