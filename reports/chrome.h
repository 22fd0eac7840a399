/* chrome — the trace of a run in Chrome's trace-event JSON format
 * (`detsim run --chrome-trace FILE`), which Perfetto (ui.perfetto.dev) and
 * chrome://tracing open. Each simulated process is a process (pid = simulated pid)
 * with one thread (tid = pid), named by process_name and thread_name metadata.
 * Blocking intervals are complete ("X") events from the call that blocked to the
 * wake-up; calls, wake-ups, signals, kills, fired faults and OOMs are instant ("i")
 * events; resource use is counter ("C") events of pid 0. ts is virtual time in
 * microseconds. Events are streamed as the run goes: memory stays small. */
#ifndef DETSIM_REPORT_CHROME_H
#define DETSIM_REPORT_CHROME_H

#include <stdio.h>

#include "report.h"

/* Starts a trace on stream. Returns 0, or -ENOMEM. */
int report_chrome_create(struct report_chrome **out, FILE *stream);

/* Fills observer so that it feeds c. */
void report_chrome_observer(struct report_chrome *c, struct run_observer *observer);

/* Ends the trace: intervals still open close at the end of the run, and the run's
 * scenario, seed, outcome and hash go in "otherData"; flushes the stream. Returns 0,
 * -errno when a write failed, or -ENOMEM when the writer ran short (the trace says
 * so). */
int report_chrome_finish(struct report_chrome *c, const struct run_options *options,
                         const struct run_result *result);

void report_chrome_free(struct report_chrome *c);

#endif
