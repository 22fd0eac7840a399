/* fail_nth — SQLite's malloc loop; see fail_nth.h. */
#include "fail_nth.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int fail_nth_check(const char *point, struct fault_spec *spec, char *error,
                   size_t error_bytes)
{
    if (fault_spec_parse(point, spec, error, error_bytes) != 0)
        return -EINVAL;
    /* The loop sets the parameters itself; a slot fault has no hits to count. */
    if (strchr(point, ':') || spec->is_slots) {
        snprintf(error, error_bytes, "expected a failpoint name or pattern (see 'detsim "
                                     "faults'), without parameters");
        return -EINVAL;
    }
    return 0;
}

int fail_nth_loop(const struct fail_nth *loop, struct fault_spec *spec, uint64_t *n_last,
                  uint64_t *hits_last, char *error, size_t error_bytes)
{
    char text[FAULT_SPEC_TEXT_MAX + 32];
    for (uint64_t n = 1;; n++) {
        snprintf(text, sizeof text, "%s:%s=%" PRIu64, loop->point,
                 loop->persistent ? "from" : "nth", n);
        if (fault_spec_parse(text, spec, error, error_bytes) != 0)
            return -EINVAL;
        struct fail_nth_run run = {0, 0, 0};
        int rc = loop->run(loop->context, n, spec, &run);
        if (rc != 0)
            return rc;
        if (run.cut_short ? !run.fired : run.hits < n) {
            *n_last = n;
            *hits_last = run.hits;
            return 0;
        }
        rc = loop->reached(loop->context, n);
        if (rc != 0)
            return rc;
    }
}
