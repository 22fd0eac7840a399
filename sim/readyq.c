/* readyq — the ready queue over a tree of counts and top priorities; see readyq.h. */
#include "readyq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A leaf's value in q->tops: its task's priority plus one, 0 for a hole. */
static inline uint64_t leaf_top(const struct readyq *q, uint32_t slot)
{
    return q->leaves[slot] ? q->leaves[slot]->priority + 1 : 0;
}

static inline uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

#define WORD_SLOTS 64

/* The tasks in each byte of x, a count per byte: the first steps of a population
 * count, without a popcnt instruction (detsim is built for any x86-64). */
static inline uint64_t byte_counts(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    return (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
}

/* The tasks among a word's 64 slots. */
static inline uint32_t popcount64(uint64_t x)
{
    return (uint32_t)((byte_counts(x) * 0x0101010101010101ULL) >> 56);
}

/* The position of the k-th set bit of word (k < its bits set): the byte that holds
 * it is the number of running sums of the byte counts that are at most k, found for
 * all eight bytes at once (Vigna's broadword select); then at most seven bits
 * cleared in that byte. */
static uint32_t select_bit(uint64_t word, uint32_t k)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t sums = byte_counts(word) * ones; /* byte i: the bits of bytes 0..i, <= 64 */
    uint64_t at_most_k = ((k * ones | highs) - sums) & highs; /* high bit: sum <= k */
    uint32_t byte = (uint32_t)(((at_most_k >> 7) * ones) >> 56);
    ASSERT(byte < 8);
    uint32_t before = byte ? (uint32_t)((sums << 8 >> (8 * byte)) & 0xff) : 0;
    uint64_t bits = (word >> (8 * byte)) & 0xff;
    for (k -= before; k; k--)
        bits &= bits - 1;
    return 8 * byte + (uint32_t)__builtin_ctzll(bits);
}

/* A slot's task came (delta 1) or went (delta (uint32_t)-1): its bit and the counts
 * above its word. */
static inline void count_path(struct readyq *q, uint32_t slot, uint32_t delta)
{
    uint64_t bit = 1ULL << (slot % WORD_SLOTS);
    if (delta == 1)
        q->present[slot / WORD_SLOTS] |= bit;
    else
        q->present[slot / WORD_SLOTS] &= ~bit;
    for (uint32_t i = q->slots / WORD_SLOTS + slot / WORD_SLOTS; i >= 1; i /= 2)
        q->counts[i] += delta; /* (uint32_t)-1 subtracts, modulo 2^32 */
}

/* A slot's task came, went or changed priority: its top and the tops above it. */
static inline void top_path(struct readyq *q, uint32_t slot)
{
    uint32_t i = q->slots + slot;
    q->tops[i] = leaf_top(q, slot);
    for (i /= 2; i >= 1; i /= 2)
        q->tops[i] = max64(q->tops[2 * i], q->tops[2 * i + 1]);
}

/* A slot's task came (delta 1) or went (delta (uint32_t)-1): what the tree keeps. */
static inline void fix_path(struct readyq *q, uint32_t slot, uint32_t delta)
{
    ASSERT(q->tree);
    if (q->keeps & READYQ_COUNTS)
        count_path(q, slot, delta);
    if (q->keeps & READYQ_TOPS)
        top_path(q, slot);
}

/* Grows or shrinks *array to count elements of element_bytes. Returns 0, or -ENOMEM
 * with *array unchanged. */
static int reallocate(void *array_pointer, size_t count, size_t element_bytes)
{
    void **array = array_pointer;
    void *resized = realloc(*array, count * element_bytes);
    if (!resized)
        return -ENOMEM;
    *array = resized;
    return 0;
}

/* Sizes the arrays for slots leaves, and the tree's when the queue keeps one at that
 * size. Returns 0, or -ENOMEM with the size unchanged (an array may have grown). */
static int resize(struct readyq *q, uint32_t slots)
{
    int tree = q->keeps && slots > READYQ_FLAT_SLOTS;
    size_t words = slots / WORD_SLOTS;
    if (reallocate(&q->leaves, slots, sizeof *q->leaves) != 0 ||
        (tree && (q->keeps & READYQ_COUNTS) &&
         (reallocate(&q->present, words, sizeof *q->present) != 0 ||
          reallocate(&q->counts, 2 * words, sizeof *q->counts) != 0)) ||
        (tree && (q->keeps & READYQ_TOPS) &&
         reallocate(&q->tops, 2 * (size_t)slots, sizeof *q->tops) != 0))
        return -ENOMEM;
    q->slots = slots;
    q->tree = (uint8_t)tree;
    return 0;
}

int readyq_init(struct readyq *q, unsigned keeps)
{
    ASSERT((keeps & ~(unsigned)(READYQ_COUNTS | READYQ_TOPS)) == 0);
    *q = (struct readyq){.keeps = (uint8_t)keeps};
    if (resize(q, READYQ_FLAT_SLOTS) != 0)
        return -ENOMEM;
    memset(q->leaves, 0, q->slots * sizeof *q->leaves);
    return 0;
}

void readyq_free(struct readyq *q)
{
    free(q->leaves);
    free(q->present);
    free(q->counts);
    free(q->tops);
    *q = (struct readyq){0};
}

/* Builds the tree from the leaves, bottom up. */
static void build_tree(struct readyq *q)
{
    ASSERT(q->tree);
    if (q->keeps & READYQ_COUNTS) {
        uint32_t words = q->slots / WORD_SLOTS;
        memset(q->present, 0, words * sizeof *q->present);
        for (uint32_t slot = 0; slot < q->slots; slot++)
            if (q->leaves[slot])
                q->present[slot / WORD_SLOTS] |= 1ULL << (slot % WORD_SLOTS);
        for (uint32_t word = 0; word < words; word++)
            q->counts[words + word] = popcount64(q->present[word]);
        for (uint32_t i = words - 1; i >= 1; i--)
            q->counts[i] = q->counts[2 * i] + q->counts[2 * i + 1];
    }
    if (q->keeps & READYQ_TOPS) {
        for (uint32_t slot = 0; slot < q->slots; slot++)
            q->tops[q->slots + slot] = leaf_top(q, slot);
        for (uint32_t i = q->slots - 1; i >= 1; i--)
            q->tops[i] = max64(q->tops[2 * i], q->tops[2 * i + 1]);
    }
}

/* The window is at its last slot: squeezes out the holes, order kept, and sizes the
 * queue for at least twice the tasks queued. Returns 0, or -ENOMEM when the queue
 * is full and could not grow (it is then unchanged). */
static int rebuild(struct readyq *q)
{
    ASSERT(q->end == q->slots);
    uint32_t slots = READYQ_FLAT_SLOTS;
    while (slots < 2 * (q->count + 1))
        slots *= 2;
    if (q->count == q->slots && resize(q, slots) != 0)
        return -ENOMEM; /* no hole to squeeze out: it must grow */
    uint32_t kept = 0;
    for (uint32_t slot = 0; slot < q->end; slot++)
        if (q->leaves[slot]) {
            q->leaves[kept] = q->leaves[slot];
            q->leaves[kept]->slot = kept;
            kept++;
        }
    ASSERT(kept == q->count);
    if (slots != q->slots)
        resize(q, slots); /* a failure keeps the old size, which has room now */
    q->end = kept;
    q->first = 0;
    memset(q->leaves + kept, 0, (q->slots - kept) * sizeof *q->leaves);
    if (q->tree)
        build_tree(q);
    return 0;
}

int readyq_push_general(struct readyq *q, struct readyq_node *n)
{
    ASSERT(n->priority < UINT64_MAX); /* a tree holds it plus one */
    if (q->end == q->slots && rebuild(q) != 0)
        return -ENOMEM;
    ASSERT(q->end < q->slots);
    n->slot = q->end++;
    q->leaves[n->slot] = n;
    if (q->count++ == 0)
        q->first = n->slot;
    if (q->tree)
        fix_path(q, n->slot, 1);
    return 0;
}

struct readyq_node *readyq_nth_tree(const struct readyq *q, uint32_t k)
{
    ASSERT(q->tree && (q->keeps & READYQ_COUNTS) && k < q->count);
    uint32_t words = q->slots / WORD_SLOTS, i = 1;
    while (i < words) {
        /* To the left child (earlier arrivals) or past it to the right; without a
         * branch, for k is as good as random. */
        uint32_t left = q->counts[2 * i];
        uint32_t right = k >= left;
        k -= left & (0 - right);
        i = 2 * i + right;
    }
    uint32_t word = i - words;
    uint32_t slot = word * WORD_SLOTS + select_bit(q->present[word], k);
    ASSERT(q->leaves[slot] != NULL);
    return q->leaves[slot];
}

struct readyq_node *readyq_next(const struct readyq *q, const struct readyq_node *n)
{
    ASSERT(readyq_contains(q, n));
    for (uint32_t slot = n->slot + 1; slot < q->end; slot++)
        if (q->leaves[slot])
            return q->leaves[slot];
    return NULL;
}

struct readyq_node *readyq_top(const struct readyq *q)
{
    ASSERT(q->count > 0);
    if (!q->tree || !(q->keeps & READYQ_TOPS)) {
        struct readyq_node *top = NULL;
        for (uint32_t slot = q->first; slot < q->end; slot++)
            if (q->leaves[slot] && (!top || q->leaves[slot]->priority > top->priority))
                top = q->leaves[slot]; /* strictly higher: the earliest of equals stays */
        return top;
    }
    uint32_t i = 1;
    while (i < q->slots) /* left while the top is there: the earliest of equals */
        i = 2 * i + (q->tops[2 * i] != q->tops[i]);
    ASSERT(q->leaves[i - q->slots] != NULL);
    return q->leaves[i - q->slots];
}

void readyq_remove_general(struct readyq *q, struct readyq_node *n)
{
    ASSERT(readyq_contains(q, n) && q->count > 0);
    q->leaves[n->slot] = NULL;
    if (q->tree)
        fix_path(q, n->slot, (uint32_t)-1);
    if (--q->count == 0) {
        q->end = 0; /* every slot is a hole: the window starts over */
        q->first = 0;
    } else if (n->slot == q->first) {
        while (!q->leaves[q->first]) /* each slot passed once a window: O(1) amortized */
            q->first++;
    }
}

void readyq_set_priority(struct readyq *q, struct readyq_node *n, uint64_t priority)
{
    ASSERT(priority < UINT64_MAX);
    n->priority = priority;
    if (q->tree && (q->keeps & READYQ_TOPS) && readyq_contains(q, n))
        top_path(q, n->slot);
}

/* The trees and bits against the leaves. Returns 0, or -1 at the first broken one. */
static int check_tree(const struct readyq *q)
{
    int counts = (q->keeps & READYQ_COUNTS) != 0, tops = (q->keeps & READYQ_TOPS) != 0;
    uint32_t words = q->slots / WORD_SLOTS;
    for (uint32_t slot = 0; slot < q->slots; slot++)
        if ((counts && ((q->present[slot / WORD_SLOTS] >> (slot % WORD_SLOTS)) & 1) !=
                           (q->leaves[slot] != NULL)) ||
            (tops && q->tops[q->slots + slot] != leaf_top(q, slot)))
            return -1;
    for (uint32_t word = 0; counts && word < words; word++)
        if (q->counts[words + word] != popcount64(q->present[word]))
            return -1;
    for (uint32_t i = words - 1; counts && i >= 1; i--)
        if (q->counts[i] != q->counts[2 * i] + q->counts[2 * i + 1])
            return -1;
    for (uint32_t i = q->slots - 1; tops && i >= 1; i--)
        if (q->tops[i] != max64(q->tops[2 * i], q->tops[2 * i + 1]))
            return -1;
    return !counts || q->counts[1] == q->count ? 0 : -1;
}

int readyq_check(const struct readyq *q)
{
    if (q->end > q->slots || q->slots < READYQ_FLAT_SLOTS || (q->slots & (q->slots - 1)) != 0 ||
        q->tree != (q->keeps && q->slots > READYQ_FLAT_SLOTS))
        return -1;
    uint32_t count = 0;
    for (uint32_t slot = 0; slot < q->slots; slot++) {
        const struct readyq_node *n = q->leaves[slot];
        count += n != NULL;
        if (n && (slot >= q->end || n->slot != slot))
            return -1;
    }
    if (count != q->count || (count && (q->first >= q->end || !q->leaves[q->first] ||
                                         (q->first && q->leaves[q->first - 1]))))
        return -1; /* first must be the earliest queued */
    return q->tree ? check_tree(q) : 0;
}
