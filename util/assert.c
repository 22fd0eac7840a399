/* assert — see assert.h. */
#include "assert.h"

#include <stdio.h>
#include <stdlib.h>

void assert_fail(const char *condition, const char *file, int line)
{
    fflush(stdout); /* what was printed before the failure comes first */
    fprintf(stderr, "detsim: assertion failed at %s:%d: %s\n", file, line, condition);
    abort();
}
