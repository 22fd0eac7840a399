/* ktest — a small userland test runner for scenarios, after the kernel's ktest.
 *
 * A ktest-style scenario prints sections and tests to the console with sys_log,
 * the way ktest does on a real kernel's serial port:
 *
 *     ktest: == Regression -- Cap Ref Counting ==
 *     ktest: ns_override_cap_delivery ... ok
 *     ktest: == Results: 3 passed, 0 failed ==
 *
 * ktest_run_test runs a test twice, a warm-up and the real run, as ktest's
 * run_test() does. Each run is its own process named after the test, which the
 * runner waits for: a hang report then names the test that is stuck ("pid 40
 * \"cap_delivery_via_spawn\" is blocked in ..."), and the handles a test leaves
 * open are closed when its process exits. Processes a test spawns and does not
 * wait for outlive it (they are reparented to init, which reaps them).
 *
 * The runner's state lives in static storage reset by ktest_init, so call it first
 * in every run (a sweep worker runs many seeds in one process). */
#ifndef DETSIM_KTEST_H
#define DETSIM_KTEST_H

#include <stdint.h>

/* A test body: runs in its own process; returns 0 when the test passes. */
typedef int (*ktest_fn)(void *arg);

/* Resets the counters. */
void ktest_init(void);

/* Prints "ktest: == name ==". */
void ktest_section(const char *name);

/* Runs fn(arg) twice (warm-up, then the real run), each in a process called name,
 * and waits for each. Prints "ktest: name ... ok" or "... FAILED (why)" and counts
 * the test as passed when both runs returned 0. Returns 0 when it passed, -1 when
 * not (a run returned nonzero, died, or could not be spawned). */
int ktest_run_test(const char *name, ktest_fn fn, void *arg);

/* Yields n times, so that children that are still exiting get the CPU and release
 * what they hold (ktest's yield_drain). n = 0 does nothing. */
void ktest_yield_drain(uint32_t n);

/* Records why the running test fails (the first failure of the suite is kept for
 * ktest_first_failure) and prints "ktest: TEST: message". Call it from a test body
 * before returning nonzero. */
void ktest_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "TEST: message" of the first ktest_fail of the suite, or "" when none. */
const char *ktest_first_failure(void);

/* Prints the final line, "ktest: == Results: P passed, F failed ==". Returns F. */
uint32_t ktest_results(void);

/* "-ENFILE", "-EMFILE", ... for a negative errno-style code ("-E?" when unknown). */
const char *ktest_error_name(int rc);

uint32_t ktest_passed(void);
uint32_t ktest_failed(void);

#endif
