/* errno_name — the name of an error code, for reports and traces. */
#ifndef DETSIM_ERRNO_NAME_H
#define DETSIM_ERRNO_NAME_H

#include <stdint.h>

/* "-ETIMEDOUT" for a negative errno code the models and the sys_* calls return;
 * NULL for anything else (a non-negative result, an errno they never return). */
const char *errno_name(int64_t result);

#endif
