/* signature — what makes two failures the same failure. The part of a run that
 * knows a failure's structure writes its key: the hang report the wait-for graph's
 * shape (sim/hang.c), sys_check the check's location and format (sim/sys.c), the
 * leak audit the kinds and owners of what leaked (model/world.c). A key is lines,
 * each "S text" where S is one letter that orders the sections; the lines are taken
 * with each run of digits as '#' and each run of white space as one space, sorted
 * and de-duplicated, so neither a number, nor the padding a number's width sets,
 * nor the order things happened in makes two runs differ. A failure without a key
 * (a panic, a broken invariant, a crash) keys on its report, so normalised.
 *
 * The signature is not in the trace: it never changes a trace hash. */
#ifndef DETSIM_SIGNATURE_H
#define DETSIM_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "util/text.h"

#define SIGNATURE_TEXT_BYTES 160 /* the readable form, cut to fit, its NUL included */

/* Appends s to out with each run of digits as one '#' and each run of white space
 * (newlines included) as one space. */
void signature_normalize(const char *s, struct text *out);

/* The signature of a failure with outcome (its name), key (lines as above; "" or
 * NULL for none) and report: *hash, and a readable text into text[text_bytes] (the
 * key's lines joined by "; ", or the report's first line when there is no key).
 * Returns 0, or -ENOMEM (then *hash is the hash of the outcome alone and text the
 * outcome's name). */
int signature_compute(const char *outcome, const char *key, const char *report,
                      uint64_t *hash, char *text, size_t text_bytes);

#endif
