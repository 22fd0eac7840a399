/* linux_inspect — what the runner learns of a real run through /proc and the
 * arena: the deadlock probe, the hang report, the leak audit. The reports have the
 * simulated ones' shape: which process is blocked in what call on which handle, and
 * who holds the other end (descriptor links matched to socket peers). */
#ifndef DETSIM_LINUX_INSPECT_H
#define DETSIM_LINUX_INSPECT_H

#include <stdint.h>

#include "linux_int.h"
#include "util/text.h"

/* /proc samples a deadlock probe takes after its first, over its pause. */
#define LINUX_PROBE_SAMPLES 5

/* Whether the run is deadlocked: every process but init is blocked in a call that
 * has no deadline, in the sleeping state, and none made a call or used CPU time
 * over pause_ns, sampled LINUX_PROBE_SAMPLES + 1 times through /proc. On yes, writes
 * the hang report to report and returns 1; returns 0 as soon as anything moves (or
 * the run ends). */
int linux_probe_deadlock(struct linux_arena *a, uint64_t pause_ns, struct text *report);

/* The report of a run still going at its deadline, after real_ns: two samples
 * pause_ns apart tell a livelock (CPU time rising) from a run that waits. */
void linux_report_budget(struct linux_arena *a, uint64_t real_ns, uint64_t pause_ns,
                         struct text *report);

/* The leak audit of a run that finished: processes left (alive or zombies), their
 * descriptors, channels still open, the heap not back to where it started.
 * Returns the number of leaked objects; their report goes to report. */
uint32_t linux_audit(struct linux_arena *a, struct text *report);

/* The resources and the console's last lines, as a report's end. */
void linux_describe(const struct linux_arena *a, struct text *out);

#endif
