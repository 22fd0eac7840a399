/* fuzz — what the libFuzzer targets share (tests/fuzz/fuzz_*.c, `make fuzz`): each
 * parser of user input gets bytes that it must refuse or accept, never crash on,
 * leak, or read past. */
#ifndef DETSIM_FUZZ_H
#define DETSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (the parsers take strings from argv): a copy with a NUL
 * after it, cut at the first NUL inside. The caller frees it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* A check of the target's own: a finding when it fails. */
#define FUZZ_CHECK(condition)                                                            \
    do {                                                                                 \
        if (!(condition))                                                                \
            abort();                                                                     \
    } while (0)

#endif
