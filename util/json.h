/* json — the one JSON writer of the tree: strings escaped one way everywhere (the
 * trace's JSON Lines, the Chrome trace, sweep results, differential runs), and the
 * small pieces of a JSON object that detsim's writers put together.
 *
 * Writing only: the results reader parses with jansson (reports/sweep.c). Every
 * function writes to a stdio stream and leaves its error state to the caller (see
 * util/outfile.h), as fprintf does. */
#ifndef DETSIM_JSON_H
#define DETSIM_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Writes s (UTF-8 or not: bytes >= 0x80 pass through) as a JSON string: quote and
 * backslash escaped, newline and tab as \n and \t, other control characters as
 * \u00XX. */
void json_write_string(FILE *out, const char *s);

/* Writes value as a decimal string ("18446744073709551615"): exact in every JSON
 * reader, where a number past 2^53 is not (jq, JavaScript). */
void json_write_u64_string(FILE *out, uint64_t value);

/* Writes a configuration label of reports/plan.h ("VARIANT KEY=VALUE ...", "" for
 * none) as an object: {"variant":"buggy","set":{"max_channels":64}}; each member
 * only when there is one ({} for ""). A value that is a plain decimal number of at
 * most 15 digits is written as a number, any other as a string. */
void json_write_config(FILE *out, const char *label);

#endif
