/* idarray — records by growing ids, in pages freed once their records are; see
 * idarray.h. */
#include "idarray.h"

#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

void idarray_init(struct idarray *a, size_t record_bytes)
{
    ASSERT(record_bytes > 0);
    *a = (struct idarray){.record_bytes = record_bytes};
}

void idarray_init_fixed(struct idarray *a, size_t record_bytes, struct idarray_page *pages,
                        uint64_t page_count, void *storage)
{
    ASSERT(record_bytes > 0 && pages != NULL && page_count > 0 && storage != NULL);
    *a = (struct idarray){.pages = pages, .page_count = page_count,
                          .record_bytes = record_bytes, .fixed = 1};
    for (uint64_t p = 0; p < page_count; p++)
        pages[p] = (struct idarray_page){
            (unsigned char *)storage + p * IDARRAY_PAGE_RECORDS * record_bytes, 0};
}

void idarray_free(struct idarray *a)
{
    if (a->fixed) { /* the storage stays the caller's */
        *a = (struct idarray){.record_bytes = a->record_bytes};
        return;
    }
    for (uint64_t p = 0; p < a->page_count; p++)
        free(a->pages[p].records);
    free(a->pages);
    *a = (struct idarray){.record_bytes = a->record_bytes};
}

/* Makes the directory hold page. Returns 0, or -1 with nothing changed. */
static int directory_cover(struct idarray *a, uint64_t page)
{
    if (page < a->page_count)
        return 0;
    if (a->fixed)
        return -1;
    uint64_t count = a->page_count ? a->page_count : 16;
    while (count <= page)
        count *= 2;
    struct idarray_page *grown = realloc(a->pages, count * sizeof *grown);
    if (!grown)
        return -1;
    memset(grown + a->page_count, 0, (count - a->page_count) * sizeof *grown);
    a->pages = grown;
    a->page_count = count;
    return 0;
}

/* Frees page p, which holds no live record. */
static void page_free(struct idarray *a, uint64_t p)
{
    ASSERT(a->pages[p].live == 0 && !a->fixed);
    free(a->pages[p].records);
    a->pages[p].records = NULL;
}

void *idarray_put(struct idarray *a, uint64_t id)
{
    uint64_t page = id >> IDARRAY_PAGE_SHIFT;
    if (directory_cover(a, page) != 0)
        return NULL;
    struct idarray_page *p = &a->pages[page];
    if (!p->records) {
        ASSERT(p->live == 0);
        p->records = calloc(IDARRAY_PAGE_RECORDS, a->record_bytes);
        if (!p->records)
            return NULL;
    }
    if (page > a->current) {
        /* The old current page was kept for ids to come; they went elsewhere. */
        if (!a->fixed && a->pages[a->current].records && a->pages[a->current].live == 0)
            page_free(a, a->current);
        a->current = page;
    }
    ASSERT(p->live < IDARRAY_PAGE_RECORDS); /* each id is put once */
    p->live++;
    a->live++;
    return idarray_get(a, id);
}

void idarray_release(struct idarray *a, uint64_t id)
{
    uint64_t page = id >> IDARRAY_PAGE_SHIFT;
    ASSERT(page < a->page_count && a->pages[page].records && a->pages[page].live > 0);
    ASSERT(a->live > 0);
    struct idarray_page *p = &a->pages[page];
    a->live--;
    if (--p->live == 0 && page != a->current && !a->fixed) {
        page_free(a, page);
        return;
    }
    memset(idarray_get(a, id), 0, a->record_bytes);
}

uint64_t idarray_next(const struct idarray *a, uint64_t id)
{
    for (uint64_t page = id >> IDARRAY_PAGE_SHIFT; page < a->page_count; page++)
        if (a->pages[page].records)
            return page == id >> IDARRAY_PAGE_SHIFT ? id : page << IDARRAY_PAGE_SHIFT;
    return UINT64_MAX;
}
