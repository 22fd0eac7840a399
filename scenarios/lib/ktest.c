/* ktest — a small userland test runner for scenarios; see ktest.h. */
#include "ktest.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "sim/sys.h"

static struct {
    uint32_t passed;
    uint32_t failed;
    const char *running; /* the test whose process is running */
    char first_failure[256];
} ktest_counts;

/* The run in progress: one at a time, since the runner waits for each. */
static struct {
    ktest_fn fn;
    void *arg;
    int result;
    int returned; /* the body returned (did not die) */
} ktest_call;

void ktest_init(void)
{
    ktest_counts.passed = 0;
    ktest_counts.failed = 0;
    ktest_counts.running = NULL;
    ktest_counts.first_failure[0] = '\0';
    ktest_call.fn = NULL;
}

void ktest_section(const char *name)
{
    sys_console("ktest: == %s ==", name);
}

static void ktest_body(void *unused)
{
    (void)unused;
    ktest_call.result = ktest_call.fn(ktest_call.arg);
    ktest_call.returned = 1;
}

/* One run: 0 when the body returned 0; otherwise why not, in why. */
static int run_once(const char *name, const char **why, int *code)
{
    ktest_call.result = -1;
    ktest_call.returned = 0;
    /* No handles: the test starts with an empty table, as a freshly spawned one. */
    struct sys_spawn_options options = {SPAWN_EXPLICIT, NULL, 0, 0};
    int pid = sys_spawn_with(name, ktest_body, NULL, &options);
    if (pid < 0) {
        *why = "could not spawn the test process";
        *code = pid;
        return -1;
    }
    int status = 0;
    int rc = sys_wait((uint32_t)pid, &status);
    if (rc != pid || !ktest_call.returned) {
        *why = "the test process died";
        *code = rc != pid ? rc : status;
        return -1;
    }
    if (ktest_call.result != 0) {
        *why = "returned";
        *code = ktest_call.result;
        return -1;
    }
    return 0;
}

int ktest_run_test(const char *name, ktest_fn fn, void *arg)
{
    ktest_counts.running = name;
    ktest_call.fn = fn;
    ktest_call.arg = arg;
    const char *why = NULL;
    int code = 0;
    const char *phase = "warm-up";
    int rc = run_once(name, &why, &code);
    if (rc == 0) {
        phase = "real run";
        rc = run_once(name, &why, &code);
    }
    if (rc == 0) {
        ktest_counts.passed++;
        sys_console("ktest: %s ... ok", name);
        return 0;
    }
    ktest_counts.failed++;
    sys_console("ktest: %s ... FAILED (%s: %s %d)", name, phase, why, code);
    return -1;
}

void ktest_fail(const char *format, ...)
{
    char message[200];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    const char *test = ktest_counts.running ? ktest_counts.running : "ktest";
    sys_console("ktest: %s: %s", test, message);
    if (!ktest_counts.first_failure[0])
        snprintf(ktest_counts.first_failure, sizeof ktest_counts.first_failure, "%s: %s", test,
                 message);
}

const char *ktest_first_failure(void)
{
    return ktest_counts.first_failure;
}

void ktest_yield_drain(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        sys_yield();
}

uint32_t ktest_results(void)
{
    sys_console("ktest: == Results: %u passed, %u failed ==", ktest_counts.passed,
            ktest_counts.failed);
    return ktest_counts.failed;
}

const char *ktest_error_name(int rc)
{
    switch (-rc) {
    case ENFILE: return "-ENFILE";
    case EMFILE: return "-EMFILE";
    case EBADF: return "-EBADF";
    case ENOMEM: return "-ENOMEM";
    case EAGAIN: return "-EAGAIN";
    case EPIPE: return "-EPIPE";
    case EINVAL: return "-EINVAL";
    case EINTR: return "-EINTR";
    case ECHILD: return "-ECHILD";
    case ETIMEDOUT: return "-ETIMEDOUT";
    }
    return rc == 0 ? "0" : "-E?";
}

uint32_t ktest_passed(void)
{
    return ktest_counts.passed;
}

uint32_t ktest_failed(void)
{
    return ktest_counts.failed;
}
