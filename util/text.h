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

/* The text so far, "" when empty. */
const char *text_str(const struct text *t);

void text_free(struct text *t);

#endif
