/* readyq — the ready queue: tasks in arrival order, with the picks a strategy makes
 * in O(log n) or O(1): the first in arrival order (rr), the k-th (random), the top
 * priority with ties to the earliest arrival (PCT); any one task taken out (a kill),
 * a queued task's priority changed (a PCT change point), the tasks walked in order.
 *
 * A task is queued through a struct readyq_node embedded in it. Each arrival takes
 * the next slot of a window, so slot order is arrival order, and a task taken out
 * leaves a hole. A queue keeps what its strategy asks for, once it has more than
 * READYQ_FLAT_SLOTS slots: with READYQ_COUNTS, a bit per slot (set: a task) and a
 * complete binary tree over the 64-slot words whose nodes count the tasks below
 * them, for the k-th (a descent to the word, then the bit); with READYQ_TOPS, a
 * complete binary tree over the slots whose nodes hold the highest priority below
 * them, for the top (the earliest of equals by going left on a tie). The counts stay
 * small enough for the nearest cache (8 KiB for 32,768 slots), which the descent,
 * one dependent load a level, needs. Up to READYQ_FLAT_SLOTS slots a walk along them
 * costs less than keeping a tree (ping-pong's one or two tasks never pay for one);
 * the first is always at hand. When an arrival finds the window at the last slot,
 * the holes are squeezed out, order kept, into at least twice the slots the tasks
 * need: a rebuild costs O(slots) and comes at most once every slots/2 arrivals. A
 * queue that empties starts its window over, at no cost.
 *
 * Nothing here depends on an address: slots are handed out in arrival order and
 * ties break by slot. */
#ifndef DETSIM_READYQ_H
#define DETSIM_READYQ_H

#include <stddef.h>
#include <stdint.h>

#include "util/assert.h"

struct readyq_node {
    uint64_t priority; /* higher runs first, below UINT64_MAX; read only by a queue
                          with priorities */
    uint32_t slot;     /* its leaf, while queued */
};

struct readyq {
    struct readyq_node **leaves; /* by slot; NULL: a hole, or past the window */
    uint64_t *present; /* a bit by slot, 64 slots a word: set for a task (READYQ_COUNTS) */
    uint32_t *counts; /* by tree node (root 1, leaves at words + word): tasks below it */
    uint64_t *tops;   /* by tree node: the highest priority below it plus one, 0 for
                         none (READYQ_TOPS) */
    uint32_t slots;   /* a power of two */
    uint32_t end;     /* the slot of the next arrival */
    uint32_t count;   /* tasks queued */
    uint32_t first;   /* the slot of the earliest task queued, when there is one */
    uint8_t keeps;    /* READYQ_COUNTS | READYQ_TOPS */
    uint8_t tree;     /* the tree is kept: keeps asks for one, slots is beyond flat */
};

#define READYQ_COUNTS 1 /* readyq_nth in O(log n) rather than a walk */
#define READYQ_TOPS 2   /* readyq_top in O(log n) rather than a walk */
#define READYQ_FLAT_SLOTS 32

/* Whether n is queued in q. */
static inline int readyq_contains(const struct readyq *q, const struct readyq_node *n)
{
    return n->slot < q->end && q->leaves[n->slot] == n;
}

/* Makes q an empty queue that keeps what keeps asks for (READYQ_COUNTS, READYQ_TOPS,
 * or 0: the first and walks only). Returns 0, or -ENOMEM (q then holds nothing to
 * free). */
int readyq_init(struct readyq *q, unsigned keeps);

void readyq_free(struct readyq *q);

/* readyq_push and readyq_remove beyond their common case (no tree kept, room in the
 * window): a rebuild, the tree's path. Call those two instead. */
int readyq_push_general(struct readyq *q, struct readyq_node *n);
void readyq_remove_general(struct readyq *q, struct readyq_node *n);

/* Queues n (not queued) after every task queued. Returns 0, or -ENOMEM when the
 * queue could not grow; nothing changes then. Inline: the scheduler queues a task
 * at every step. */
static inline int readyq_push(struct readyq *q, struct readyq_node *n)
{
    ASSERT(!readyq_contains(q, n)); /* a task is queued once */
    if (q->end == q->slots || q->tree)
        return readyq_push_general(q, n);
    n->slot = q->end++;
    q->leaves[n->slot] = n;
    if (q->count++ == 0)
        q->first = n->slot;
    return 0;
}

/* readyq_nth with a tree of counts. Call readyq_nth instead. */
struct readyq_node *readyq_nth_tree(const struct readyq *q, uint32_t k);

/* The k-th queued task in arrival order (k < count, 0 the earliest); it stays
 * queued. O(log n) with READYQ_COUNTS, else a walk (inline: the walk along a few
 * slots is the common case). */
static inline struct readyq_node *readyq_nth(const struct readyq *q, uint32_t k)
{
    ASSERT(k < q->count);
    if (q->tree && (q->keeps & READYQ_COUNTS))
        return readyq_nth_tree(q, k);
    for (uint32_t slot = q->first;; slot++)
        if (q->leaves[slot] && k-- == 0)
            return q->leaves[slot];
}

/* The earliest queued task (count > 0), as readyq_nth(q, 0) in O(1); it stays
 * queued. */
static inline struct readyq_node *readyq_first(const struct readyq *q)
{
    return q->leaves[q->first];
}

/* The queued task after n (queued) in arrival order, or NULL: with readyq_first, a
 * walk over the queue in O(slots). */
struct readyq_node *readyq_next(const struct readyq *q, const struct readyq_node *n);

/* The queued task of the highest priority, the earliest arrival among equals (count
 * > 0); it stays queued. O(log n) with READYQ_TOPS, else a walk. */
struct readyq_node *readyq_top(const struct readyq *q);

/* Takes n (queued) out of the queue; the others keep their order. Inline, as
 * readyq_push. */
static inline void readyq_remove(struct readyq *q, struct readyq_node *n)
{
    ASSERT(readyq_contains(q, n) && q->count > 0);
    if (q->tree) {
        readyq_remove_general(q, n);
        return;
    }
    q->leaves[n->slot] = NULL;
    if (--q->count == 0)
        q->end = q->first = 0; /* every slot is a hole: the window starts over */
    else if (n->slot == q->first)
        while (!q->leaves[q->first]) /* a few slots at most */
            q->first++;
}

/* Gives n the priority, queued or not; a queued n keeps its place in arrival order. */
void readyq_set_priority(struct readyq *q, struct readyq_node *n, uint64_t priority);

/* Verifies the trees and bits against the leaves, and the slot fields, the window
 * and the first. Returns 0, or -1 at the first broken invariant (for tests). */
int readyq_check(const struct readyq *q);

#endif
