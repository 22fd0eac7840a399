/* signature — a failure's signature from its structure; see signature.h. */
#include "signature.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"

void signature_normalize(const char *s, struct text *out)
{
    char run[2] = {0, 0}; /* the kind of run in progress: '#', ' ' or none */
    for (const char *p = s; *p; p++) {
        int digit = *p >= '0' && *p <= '9';
        int space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        char kind = digit ? '#' : space ? ' ' : 0;
        if (kind && kind == run[0])
            continue;
        run[0] = kind;
        text_printf(out, "%c", kind ? kind : *p);
    }
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (const char *p = s; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL; /* a separator no text holds */
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits normalized (its lines, normalised, separated by '\n') into lines[] in
 * place, sorted; returns how many. */
static size_t sorted_lines(char *normalized, char **lines, size_t max)
{
    size_t n = 0;
    char *rest = NULL;
    for (char *line = strtok_r(normalized, "\n", &rest); line && n < max;
         line = strtok_r(NULL, "\n", &rest))
        if (line[0] && strcmp(line, " ") != 0)
            lines[n++] = line;
    qsort(lines, n, sizeof *lines, by_text);
    return n;
}

/* Normalises each line of key on its own, into out, lines kept apart by '\n'. */
static void normalize_lines(const char *key, struct text *out)
{
    struct text line = {0};
    for (const char *p = key; *p;) {
        size_t length = strcspn(p, "\n");
        text_printf(&line, "%.*s", (int)length, p);
        signature_normalize(text_str(&line), out);
        text_printf(out, "\n");
        if (line.data)
            line.data[0] = '\0';
        line.length = 0;
        p += length + (p[length] == '\n');
    }
    out->failed |= line.failed;
    text_free(&line);
}

/* The key's lines, sorted and de-duplicated, hashed after h and joined into text.
 * Returns 0 or -ENOMEM. */
static int from_key(const char *key, uint64_t *h, char *text, size_t text_bytes)
{
    struct text normalized = {0};
    normalize_lines(key, &normalized);
    size_t max = normalized.length + 1;
    char **lines = malloc(max * sizeof *lines);
    if (normalized.failed || !lines) {
        free(lines);
        text_free(&normalized);
        return -ENOMEM;
    }
    size_t n = sorted_lines(normalized.data ? normalized.data : (char[]){""}, lines, max);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(lines[i], lines[i - 1]) == 0)
            continue;
        ASSERT(lines[i][0] != '\0');
        const char *body = lines[i] + 1 + (lines[i][1] == ' '); /* past the section letter */
        *h = fnv(*h, body);
        int wrote = snprintf(text + used, text_bytes - used, "%s%s", used ? "; " : "", body);
        used += wrote > 0 ? (size_t)wrote : 0;
        used = used < text_bytes ? used : text_bytes - 1;
    }
    free(lines);
    text_free(&normalized);
    return 0;
}

int signature_compute(const char *outcome, const char *key, const char *report,
                      uint64_t *hash, char *text, size_t text_bytes)
{
    ASSERT(outcome && text && text_bytes > 1);
    uint64_t h = fnv(0xcbf29ce484222325ULL, outcome);
    text[0] = '\0';
    if (key && key[0]) {
        int rc = from_key(key, &h, text, text_bytes);
        *hash = rc == 0 ? h : fnv(0xcbf29ce484222325ULL, outcome);
        if (rc != 0)
            snprintf(text, text_bytes, "%s", outcome);
        return rc;
    }
    struct text normalized = {0};
    signature_normalize(report ? report : "", &normalized);
    if (normalized.failed) {
        text_free(&normalized);
        *hash = h;
        snprintf(text, text_bytes, "%s", outcome);
        return -ENOMEM;
    }
    *hash = fnv(h, text_str(&normalized));
    text_free(&normalized);
    /* The readable part: the report's first line, normalised. */
    const char *first = report ? report : "";
    struct text line = {0}, readable = {0};
    text_printf(&line, "%.*s", (int)strcspn(first, "\n"), first);
    signature_normalize(text_str(&line), &readable);
    snprintf(text, text_bytes, "%s", text_str(&readable));
    text_free(&line);
    text_free(&readable);
    return 0;
}
