/* json — the JSON writer; see json.h. */
#include "json.h"

#include <inttypes.h>
#include <string.h>

void json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n') /* a report's lines: readable in the file */
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void json_write_u64_string(FILE *out, uint64_t value)
{
    fprintf(out, "\"%" PRIu64 "\"", value);
}

/* Whether the n bytes at s are a number JSON and its readers keep exactly: digits,
 * no leading zero, at most 15 of them (below 2^53). */
static int plain_number(const char *s, size_t n)
{
    if (n == 0 || n > 15 || (s[0] == '0' && n > 1))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Writes the n bytes at s as a JSON string. */
static void write_span(FILE *out, const char *s, size_t n)
{
    char piece[128];
    snprintf(piece, sizeof piece, "%.*s", (int)n, s);
    json_write_string(out, piece);
}

void json_write_config(FILE *out, const char *label)
{
    const char *p = label;
    int sets = 0;
    fputc('{', out);
    while (*p) {
        size_t n = strcspn(p, " "), key = strcspn(p, "=");
        if (key >= n) { /* no '=': the variant, which comes first */
            fputs("\"variant\":", out);
            write_span(out, p, n);
        } else {
            fputs(sets++ ? "," : (p == label ? "\"set\":{" : ",\"set\":{"), out);
            write_span(out, p, key);
            fputc(':', out);
            if (plain_number(p + key + 1, n - key - 1))
                fprintf(out, "%.*s", (int)(n - key - 1), p + key + 1);
            else
                write_span(out, p + key + 1, n - key - 1);
        }
        p += n;
        p += strspn(p, " ");
    }
    fputs(sets ? "}}" : "}", out);
}
