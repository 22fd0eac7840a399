/* Records by growing ids: what is put reads back, what is released reads as zeros or
 * NULL, and pages go once their records do, so memory follows the live records. */
#include <criterion/criterion.h>

#include "util/idarray.h"

struct record {
    uint64_t id; /* never 0 while live */
    char payload[40];
};

/* Pages that hold records right now. */
static uint64_t pages_held(const struct idarray *a)
{
    uint64_t held = 0;
    for (uint64_t p = 0; p < a->page_count; p++)
        held += a->pages[p].records != NULL;
    return held;
}

Test(idarray, put_get_release)
{
    struct idarray a;
    idarray_init(&a, sizeof(struct record));
    cr_assert_null(idarray_get(&a, 5), "nothing put yet");
    struct record *r = idarray_put(&a, 5);
    cr_assert_not_null(r);
    cr_assert_eq(r->id, 0, "a record is put zeroed");
    r->id = 5;
    cr_assert_eq(idarray_get(&a, 5), r);
    struct record *other = idarray_put(&a, 6);
    other->id = 6;
    cr_assert_eq(idarray_get(&a, 5), r, "a record does not move when another is put");
    idarray_release(&a, 5);
    cr_assert_eq(((struct record *)idarray_get(&a, 5))->id, 0, "released: zeros in a live page");
    cr_assert_eq(a.live, 1);
    idarray_release(&a, 6);
    cr_assert_eq(a.live, 0);
    idarray_free(&a);
    cr_assert_null(idarray_get(&a, 6));
}

Test(idarray, a_page_goes_with_its_last_record_unless_more_ids_will_come_to_it)
{
    struct idarray a;
    idarray_init(&a, sizeof(struct record));
    for (uint64_t id = 1; id <= IDARRAY_PAGE_RECORDS; id++)
        ((struct record *)idarray_put(&a, id))->id = id;
    cr_assert_eq(pages_held(&a), 2, "ids 1..256 span pages 0 and 1");
    idarray_release(&a, IDARRAY_PAGE_RECORDS);
    cr_assert_not_null(idarray_get(&a, IDARRAY_PAGE_RECORDS),
                       "the page of the highest id stays for the ids to come");
    for (uint64_t id = 1; id < IDARRAY_PAGE_RECORDS; id++)
        idarray_release(&a, id);
    cr_assert_null(idarray_get(&a, 1), "page 0 went with its last record");
    cr_assert_eq(pages_held(&a), 1);
    idarray_put(&a, 3 * IDARRAY_PAGE_RECORDS);
    cr_assert_null(idarray_get(&a, IDARRAY_PAGE_RECORDS), "a higher page made: the old one goes");
    cr_assert_eq(pages_held(&a), 1);
    idarray_free(&a);
}

Test(idarray, memory_follows_the_live_records_not_the_ids)
{
    /* A million ids, a hundred live at a time, and one that lives throughout. */
    struct idarray a;
    idarray_init(&a, sizeof(struct record));
    ((struct record *)idarray_put(&a, 1))->id = 1;
    uint64_t most = 0;
    for (uint64_t id = 2; id < 1000000; id++) {
        struct record *r = idarray_put(&a, id);
        cr_assert_not_null(r, "id %llu", (unsigned long long)id);
        r->id = id;
        if (id >= 102)
            idarray_release(&a, id - 100);
        if (id % 97 == 0) { /* pages_held walks the directory */
            uint64_t held = pages_held(&a);
            most = held > most ? held : most;
        }
        if (id % 99991 == 0)
            cr_assert_eq(((struct record *)idarray_get(&a, id - 50))->id, id - 50, "id %llu",
                         (unsigned long long)id - 50);
    }
    cr_assert_leq(most, 3, "at most %llu pages held at once", (unsigned long long)most);
    cr_assert_eq(a.live, 101);
    cr_assert_eq(((struct record *)idarray_get(&a, 1))->id, 1, "the long-lived one is still there");
    idarray_free(&a);
}

Test(idarray, next_skips_the_pages_that_are_gone)
{
    struct idarray a;
    idarray_init(&a, sizeof(struct record));
    uint64_t ids[] = {3, 700, 701, 5000};
    for (int i = 0; i < 4; i++)
        ((struct record *)idarray_put(&a, ids[i]))->id = ids[i];
    uint64_t found[8], n = 0;
    for (uint64_t id = idarray_next(&a, 1); id <= 6000; id = idarray_next(&a, id + 1)) {
        const struct record *r = idarray_get(&a, id);
        cr_assert_not_null(r, "next returned id %llu of a page that is gone",
                           (unsigned long long)id);
        if (r->id)
            found[n++] = r->id;
        cr_assert_lt(n, 8);
    }
    cr_assert_eq(n, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(found[i], ids[i], "in id order: %d", i);
    cr_assert_eq(idarray_next(&a, 5001), 5001, "its page lives");
    cr_assert_eq(idarray_next(&a, 20 * IDARRAY_PAGE_RECORDS), UINT64_MAX, "past the last page");
    idarray_free(&a);
}

Test(idarray, fixed_storage_is_never_grown_or_freed)
{
    static struct idarray_page pages[2];
    static struct record storage[2 * IDARRAY_PAGE_RECORDS];
    struct idarray a;
    idarray_init_fixed(&a, sizeof(struct record), pages, 2, storage);
    struct record *first = idarray_put(&a, 3);
    cr_assert_eq(first, &storage[3], "id 3 is the caller's record 3");
    first->id = 3;
    struct record *last = idarray_put(&a, 2 * IDARRAY_PAGE_RECORDS - 1);
    cr_assert_eq(last, &storage[2 * IDARRAY_PAGE_RECORDS - 1]);
    cr_assert_null(idarray_put(&a, 2 * IDARRAY_PAGE_RECORDS), "past the storage: refused");
    cr_assert_eq(a.page_count, 2, "the directory did not grow");
    idarray_release(&a, 3);
    cr_assert_eq(idarray_get(&a, 3), &storage[3], "a page without live records stays");
    cr_assert_eq(storage[3].id, 0, "a released record reads as zeros");
    idarray_release(&a, 2 * IDARRAY_PAGE_RECORDS - 1);
    cr_assert_eq(a.live, 0);
    idarray_free(&a); /* frees nothing: the storage is static */
    cr_assert_eq(pages[0].records, (unsigned char *)storage, "the directory is left alone");
}
