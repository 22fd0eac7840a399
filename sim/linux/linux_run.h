/* linux_run — one run of a scenario on real processes: the Linux backend.
 *
 * The runner (the detsim process) maps the arena, starts the run's init as pid 1
 * of a new PID namespace (clone3; with a user namespace when it is not root),
 * and watches: the run ends when every process but init and the detached ones
 * has exited (then the leak audit), when a check fails or the system halts (the
 * arena says so), when every process is blocked in a call that has no deadline
 * and none progresses between two /proc samples (a deadlock), or at the
 * wall-clock deadline real_deadline (hang-budget). Then init is killed, which
 * kills every process of the namespace; nothing of the run outlives it, and no
 * process of the run can name (let alone signal) one outside it. */
#ifndef DETSIM_LINUX_RUN_H
#define DETSIM_LINUX_RUN_H

#include <stddef.h>

#include "sim/run.h"

/* Checks that options can run on the Linux backend: a portable scenario, config
 * values within the backend's caps (max_procs <= 512, max_channels <= 4096), and
 * fault specs it has (no slot faults). Returns 0, or -EINVAL with a one-line
 * reason in error. */
int linux_run_check(const struct run_options *options, char *error, size_t error_bytes);

/* Runs options->scenario once on real processes (options checked by
 * linux_run_check). Returns 0 with result filled: the outcome, the report, steps
 * as the sys_* calls made, vtime as the real time scaled by time_scale, hash 0,
 * real_ns and processes_peak. Returns -EPERM with the one-line reason in
 * result->report when the run could not start (no PID namespace, fork refused),
 * or -ENOMEM. Nothing of the run is left running either way. */
int linux_run(const struct run_options *options, struct run_result *result);

/* What this machine allows a real run, one line per capability (PID namespace,
 * user namespace, cgroup v2 delegation), into out. */
void linux_capabilities(struct text *out);

#endif
