/* The ready queue against a plain array in arrival order: random operations from a
 * seeded stream, at sizes that keep it flat, grow a tree, rebuild and shrink it, for
 * every combination of what a queue keeps. Every assertion names its seed. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "sim/readyq.h"
#include "util/choice.h"

#define NODES_MAX 3000

struct model {
    struct readyq q;
    struct readyq_node nodes[NODES_MAX];
    uint32_t order[NODES_MAX]; /* queued node indices, in arrival order */
    uint32_t count;
    uint8_t queued[NODES_MAX];
};

static uint64_t draw(uint64_t state[4], uint64_t range)
{
    return choice_xoshiro256ss(state) % range;
}

/* The reference top: the highest priority, the earliest among equals. */
static uint32_t model_top(const struct model *m)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < m->count; i++)
        if (m->nodes[m->order[i]].priority > m->nodes[m->order[best]].priority)
            best = i;
    return best;
}

static void model_take(struct model *m, uint32_t position)
{
    uint32_t node = m->order[position];
    readyq_remove(&m->q, &m->nodes[node]);
    m->queued[node] = 0;
    for (uint32_t i = position; i + 1 < m->count; i++)
        m->order[i] = m->order[i + 1];
    m->count--;
}

/* Every position agrees, by readyq_nth and by the walk from readyq_first. */
static void compare_all(const struct model *m, uint64_t seed)
{
    const struct readyq_node *walk = m->count ? readyq_first(&m->q) : NULL;
    for (uint32_t i = 0; i < m->count; i++) {
        cr_assert_eq(readyq_nth(&m->q, i), &m->nodes[m->order[i]], "seed %llu: nth(%u)",
                     (unsigned long long)seed, i);
        cr_assert_eq(walk, &m->nodes[m->order[i]], "seed %llu: walk at %u",
                     (unsigned long long)seed, i);
        walk = readyq_next(&m->q, walk);
    }
    cr_assert_null(walk, "seed %llu: the walk goes past the last task", (unsigned long long)seed);
}

/* One operation, chosen from the stream: push, take the k-th, the first or the top,
 * or change a priority. limit bounds the tasks queued. */
static void step(struct model *m, uint64_t state[4], uint32_t limit, uint64_t seed)
{
    uint64_t what = draw(state, 10);
    if (what < 5 && m->count < limit) {
        uint32_t node;
        do
            node = (uint32_t)draw(state, NODES_MAX);
        while (m->queued[node]);
        m->nodes[node].priority = draw(state, 8); /* few values: many ties */
        cr_assert_eq(readyq_push(&m->q, &m->nodes[node]), 0, "seed %llu", (unsigned long long)seed);
        m->queued[node] = 1;
        m->order[m->count++] = node;
    } else if (what < 7 && m->count) {
        uint32_t k = (uint32_t)draw(state, m->count);
        cr_assert_eq(readyq_nth(&m->q, k), &m->nodes[m->order[k]], "seed %llu: nth(%u) of %u",
                     (unsigned long long)seed, k, m->count);
        model_take(m, k);
    } else if (what < 8 && m->count) {
        cr_assert_eq(readyq_first(&m->q), &m->nodes[m->order[0]], "seed %llu: first",
                     (unsigned long long)seed);
        model_take(m, 0);
    } else if (what < 9 && m->count) {
        uint32_t top = model_top(m);
        cr_assert_eq(readyq_top(&m->q), &m->nodes[m->order[top]], "seed %llu: top of %u",
                     (unsigned long long)seed, m->count);
        model_take(m, top);
    } else {
        uint32_t node = (uint32_t)draw(state, NODES_MAX); /* queued or not */
        readyq_set_priority(&m->q, &m->nodes[node], draw(state, 8));
        cr_assert_eq(readyq_contains(&m->q, &m->nodes[node]), m->queued[node], "seed %llu",
                     (unsigned long long)seed);
    }
}

static void run_model(unsigned keeps, uint64_t seed, uint32_t limit, uint32_t operations)
{
    static struct model m;
    m = (struct model){0};
    uint64_t state[4], sm = seed;
    for (int i = 0; i < 4; i++)
        state[i] = choice_splitmix64(&sm);
    cr_assert_eq(readyq_init(&m.q, keeps), 0);
    for (uint32_t i = 0; i < operations; i++) {
        step(&m, state, limit, seed);
        cr_assert_eq(readyq_check(&m.q), 0, "seed %llu keeps %u: broken after operation %u",
                     (unsigned long long)seed, keeps, i);
        cr_assert_eq(m.q.count, m.count, "seed %llu", (unsigned long long)seed);
        if (i % 97 == 0)
            compare_all(&m, seed);
    }
    compare_all(&m, seed);
    readyq_free(&m.q);
}

Test(readyq, agrees_with_an_array_in_arrival_order)
{
    static const uint32_t limits[] = {3, 16, 40, 300, NODES_MAX};
    for (unsigned keeps = 0; keeps <= (READYQ_COUNTS | READYQ_TOPS); keeps++)
        for (uint64_t seed = 0; seed < 5; seed++)
            run_model(keeps, seed, limits[seed], 20000);
}

Test(readyq, a_burst_grows_a_tree_and_it_shrinks_again)
{
    static struct model m;
    m = (struct model){0};
    cr_assert_eq(readyq_init(&m.q, READYQ_COUNTS | READYQ_TOPS), 0);
    for (uint32_t i = 0; i < 2000; i++) {
        m.nodes[i].priority = i % 5;
        cr_assert_eq(readyq_push(&m.q, &m.nodes[i]), 0);
    }
    cr_assert(m.q.tree && m.q.slots >= 2000, "2000 tasks: a tree of %u slots", m.q.slots);
    cr_assert_eq(readyq_top(&m.q), &m.nodes[4], "the earliest of the highest priority");
    for (uint32_t i = 0; i < 1998; i++)
        readyq_remove(&m.q, readyq_first(&m.q));
    cr_assert_eq(readyq_first(&m.q), &m.nodes[1998]);
    /* Two tasks going round: the window slides to the end, and the rebuild there
     * sizes the queue for two tasks again. */
    for (uint32_t i = 0; i < 5001; i++) {
        struct readyq_node *n = readyq_first(&m.q);
        readyq_remove(&m.q, n);
        cr_assert_eq(readyq_push(&m.q, n), 0);
    }
    cr_assert_eq(readyq_check(&m.q), 0);
    cr_assert_eq(readyq_first(&m.q), &m.nodes[1999], "an odd number of turns");
    cr_assert(!m.q.tree && m.q.slots == READYQ_FLAT_SLOTS, "back to %u slots, tree %d",
              m.q.slots, m.q.tree);
    readyq_free(&m.q);
}
