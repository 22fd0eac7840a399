/* answer — what the detsim side of make fidelity shares: how a scenario states its
 * answer, and error codes in the words of the Linux probes. Scenario code: it
 * includes sim/sys.h only. */
#ifndef DETSIM_TESTS_FIDELITY_ANSWER_H
#define DETSIM_TESTS_FIDELITY_ANSWER_H

#include <stdio.h>

#include "sim/sys.h"

/* Writes the answer line the driver reads from the kernel console. */
#define ANSWER(...) sys_console("answer: " __VA_ARGS__)

/* A call's result as the Linux probes print it: "0" for 0, "EINTR" for -EINTR,
 * the number for a positive result. buf needs 16 bytes. */
static inline const char *result_text(int rc, char buf[16])
{
    const char *name = sys_error_name(rc);
    if (rc < 0)
        snprintf(buf, 16, "%s", name ? name + 1 : "?");
    else
        snprintf(buf, 16, "%d", rc);
    return buf;
}

/* A wait status as the Linux probes print it: "exit 3", "signal 15". buf needs 24
 * bytes. */
static inline const char *status_text(int status, char buf[24])
{
    if (SYS_WIFSIGNALED(status))
        snprintf(buf, 24, "signal %d", SYS_WTERMSIG(status));
    else
        snprintf(buf, 24, "exit %d", SYS_WEXITSTATUS(status));
    return buf;
}

/* Whether a nonblocking receive on end sees end of file: "EOF", "data", or "no
 * EOF" (it would block). */
static inline const char *eof_text(uint32_t end)
{
    struct chan_received m;
    int rc = sys_chan_recv(end, &m, SYS_NONBLOCK, 0);
    return rc == 0 ? (m.eof ? "EOF" : "data") : "no EOF";
}

#endif
