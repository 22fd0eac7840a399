/* text — a growable string for reports built in memory. */
#ifndef DETSIM_TEXT_H
#define DETSIM_TEXT_H

#include <stddef.h>

struct text {
    char *data; /* NUL-terminated; NULL until something is appended */
    size_t length;
    size_t capacity;
    int failed; /* an append could not grow the buffer; the text is truncated */
};

/* Appends formatted text. On allocation failure sets failed and keeps what fit. */
void text_printf(struct text *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies from (NULL: "") into to, cut to size - 1 bytes and NUL-terminated (size >
 * 0); returns to. A name copied at every spawn costs a few instructions this way,
 * where snprintf("%s") costs hundreds. */
char *text_copy(char *to, size_t size, const char *from);

/* The text so far, "" when empty. */
const char *text_str(const struct text *t);

void text_free(struct text *t);

#endif
