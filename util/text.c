/* text — a growable string; see text.h. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

static int text_reserve(struct text *t, size_t extra)
{
    if (t->length + extra + 1 <= t->capacity)
        return 0;
    size_t capacity = t->capacity ? t->capacity : 256;
    while (capacity < t->length + extra + 1)
        capacity *= 2;
    char *grown = realloc(t->data, capacity);
    if (!grown) {
        t->failed = 1;
        return -1;
    }
    t->data = grown;
    t->capacity = capacity;
    return 0;
}

void text_printf(struct text *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    int needed = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (needed > 0 && text_reserve(t, (size_t)needed) == 0) {
        vsnprintf(t->data + t->length, (size_t)needed + 1, format, args);
        t->length += (size_t)needed;
    }
    va_end(args);
}

char *text_copy(char *to, size_t size, const char *from)
{
    ASSERT(size > 0);
    size_t length = from ? strnlen(from, size - 1) : 0;
    memcpy(to, from ? from : "", length);
    to[length] = '\0';
    return to;
}

const char *text_str(const struct text *t)
{
    return t->data ? t->data : "";
}

void text_free(struct text *t)
{
    free(t->data);
    *t = (struct text){0};
}
