/* idarray — records indexed by ids that only grow (pids, heap block ids, wait-queue
 * ids), in memory that follows the records still live, not every id handed out.
 *
 * Records live in pages of IDARRAY_PAGE_RECORDS consecutive ids. A page is allocated,
 * zeroed, when the first of its records is put, and freed when the last of them is
 * released, unless it is the page of the highest id put so far, which more ids will
 * come to (one object made and freed at a time must not make and free a page each
 * time); that one goes when a higher page is made. A run that makes a million
 * objects with a hundred alive at a time holds a few pages. A record never moves
 * while its page lives, so pointers to a live record stay valid. The directory of
 * pages costs 16 bytes per page of ids handed out (a million ids: 64 KiB).
 *
 * Each id is put once and released once at most (ids are never reused). A released
 * record reads as zeros while its page remains and as NULL once the page is gone, so
 * a caller tells a live record from a released one by a field that is never zero
 * while the record lives (a pid, a flag). */
#ifndef DETSIM_IDARRAY_H
#define DETSIM_IDARRAY_H

#include <stddef.h>
#include <stdint.h>

#define IDARRAY_PAGE_SHIFT 8
#define IDARRAY_PAGE_RECORDS (1u << IDARRAY_PAGE_SHIFT)

struct idarray_page {
    unsigned char *records; /* IDARRAY_PAGE_RECORDS records; NULL while none is live */
    uint32_t live;          /* records put and not yet released */
};

struct idarray {
    struct idarray_page *pages; /* by id >> IDARRAY_PAGE_SHIFT */
    uint64_t page_count;
    uint64_t current;    /* the page of the highest id put so far */
    size_t record_bytes;
    uint64_t live; /* records put and not yet released, in all pages */
    uint8_t fixed; /* the pages are the caller's: none is made or freed */
};

/* Makes a an empty array of records of record_bytes (> 0) each. Allocates nothing. */
void idarray_init(struct idarray *a, size_t record_bytes);

/* Makes a an empty array over storage the caller owns (memory shared between
 * processes, say): pages[0..page_count-1] is its directory and storage, zeroed,
 * holds page_count pages of records. An id past those pages cannot be put (NULL);
 * nothing is ever allocated or freed, idarray_free included. */
void idarray_init_fixed(struct idarray *a, size_t record_bytes, struct idarray_page *pages,
                        uint64_t page_count, void *storage);

/* Frees every page and the directory; a is then empty (idarray_init not needed
 * again). */
void idarray_free(struct idarray *a);

/* The record of id: NULL when its page is gone (no record of the page is live);
 * zeros when it was released or never put but its page lives. */
static inline void *idarray_get(const struct idarray *a, uint64_t id)
{
    uint64_t page = id >> IDARRAY_PAGE_SHIFT;
    if (page >= a->page_count || !a->pages[page].records)
        return NULL;
    return a->pages[page].records + (id & (IDARRAY_PAGE_RECORDS - 1)) * a->record_bytes;
}

/* Makes id's record live and returns it, zeroed. id must not be live. Returns NULL
 * when the directory or the page cannot be allocated; nothing changes then. */
void *idarray_put(struct idarray *a, uint64_t id);

/* Releases id's record (live): it is zeroed, and its page freed when no other record
 * of the page is live. */
void idarray_release(struct idarray *a, uint64_t id);

/* The first id at or after id whose page lives (its record may be a released one),
 * or UINT64_MAX when there is none: walks the live records in id order, skipping the
 * pages that are gone. */
uint64_t idarray_next(const struct idarray *a, uint64_t id);

#endif
