/* stress-buffer-saturation — seed document 001_8f13a8b2ec6d337d.txt (processkit
 * 0.9.1, stress tier), test 7 `buffer_saturation_drains_without_blocking_the_child`.
 *
 * A child floods 100,000 lines into its stdout, a bounded pipe (a channel whose
 * queue holds queue_depth=16 messages), while the parent captures with a bounded
 * policy that keeps the last 1,000 lines. The parent drains continuously, so the
 * child never blocks for good: it exits 0, every line arrives, and the retained
 * lines number between 1 and 1,000.
 *
 * buggy (wait_first=true, the default): the parent waits for the child's exit
 * before it drains, the classic pipe deadlock. The child fills the 16-message queue
 * and blocks in send; the parent is blocked in wait for that child: hang-deadlock,
 * the report showing the child blocked in chan_send on the full queue and the
 * parent blocked in wait. fixed (wait_first=false): drain to end of file, then
 * reap (pk_run with a capture).
 *
 * Cost: the flood is ~2 scheduling steps per line, about 200,000 steps a seed at
 * the default lines=100000; lower `lines` for quick sweeps.
 *
 * processkit runs on Linux: the default keys serve. */
#include <errno.h>
#include <inttypes.h>

#include "scenarios/lib/procs.h"
#include "sim/sys.h"

static const struct config_key stress_buffer_saturation_params[] = {
    {"lines", CONFIG_UINT, 100000, 1, 100000000, "lines the child writes", NULL},
    {"keep", CONFIG_UINT, 1000, 1, PK_CAPTURE_LINES_MAX, "lines the capture policy keeps",
     NULL},
    {"wait_first", CONFIG_BOOL, 1, 0, 1,
     "the bug: wait for the child's exit before draining its stdout", NULL},
    {0},
};

/* The line emitter: `lines` lines of 1 to 80 bytes (inline messages: no heap). */
static int line_emitter(const struct pk_child *self)
{
    uint64_t lines = *(const uint64_t *)self->arg;
    for (uint64_t i = 0; i < lines; i++) {
        int rc = pk_write_line(self, 1 + i % 80);
        if (rc != 0)
            return rc == -EPIPE ? 141 : 1; /* 128 + SIGPIPE, as a shell would say */
    }
    return 0;
}

static const struct scenario_variant stress_buffer_saturation_variants[] = {
    {"buggy", "the parent waits for the child before draining: pipe deadlock",
     "lines=100000 keep=1000 wait_first=true queue_depth=16", "hang-deadlock",
     "its queue is full"},
    {"fixed", "the parent drains continuously, then reaps",
     "lines=100000 keep=1000 wait_first=false queue_depth=16", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(stress_buffer_saturation,
                       "processkit stress 7: a child floods 100k lines into a 16-deep pipe "
                       "under a capture keeping 1000; the parent must keep draining",
                       stress_buffer_saturation_params, stress_buffer_saturation_variants)
{
    static struct pk_capture capture;
    static uint64_t lines;
    lines = sys_param("lines");
    pk_capture_init(&capture, (uint32_t)sys_param("keep"));
    const struct pk_command emitter = {"line-emitter", line_emitter, &lines};
    const struct pk_options captured = {0, 1, NULL};
    struct pk_proc p;
    int rc = pk_start(&p, &emitter, &captured);
    sys_check(rc == 0, "the emitter failed to start (%d)", rc);
    if (sys_param("wait_first")) {
        /* The bug: nobody drains while the parent waits, so a full pipe never empties. */
        int status;
        rc = sys_wait(p.pid, &status);
        sys_check(rc == (int)p.pid, "wait for the emitter failed (%d)", rc);
        p.reaped = 1;
        p.status = status;
    }
    struct pk_result r;
    rc = pk_wait(&p, &capture, &r);
    sys_check(rc == 0, "collecting the emitter failed (%d)", rc);
    sys_check(pk_success(&r),
              "the child drains and exits cleanly (never blocked on a full pipe): status %d",
              r.status);
    sys_check(r.lines == lines, "%" PRIu64 " of %" PRIu64 " lines arrived", r.lines, lines);
    uint64_t keep = sys_param("keep");
    sys_check(capture.kept >= 1 && capture.kept <= keep,
              "the bounded policy caps retained lines at %" PRIu64 ", got %" PRIu32, keep,
              capture.kept);
    sys_check(capture.kept == (lines < keep ? lines : keep) &&
                  pk_capture_line(&capture, capture.kept - 1) == lines - 1,
              "the capture kept %" PRIu32 " lines ending at line %" PRIu64 ", not the last ones",
              capture.kept, pk_capture_line(&capture, capture.kept - 1));
    sys_check(sys_handle_count() == 0, "main still holds %" PRIu32 " handles",
              sys_handle_count());
}
