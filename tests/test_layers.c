/* test_layers — `make layers` (tests/layers.sh) holds the tree's layers: it passes
 * on the tree as it is, and fails when a model reaches up into the scheduler or
 * gives up the data-only wait-queue header for the scheduler's. */
#define CLI_WORK_PREFIX "/tmp/detsim-layers-"
#include "cli_helpers.h"

#include <string.h>

TestSuite(layers, .fini = remove_work_dir);

/* Copies the layered folders and the script into the work directory, applies edit
 * (a shell command run there, or "true") and runs the check. */
static struct cli_result *check_after(const char *edit)
{
    char top[1024];
    cr_assert_not_null(getcwd(top, sizeof top));
    return shell("rm -rf tree && mkdir tree && cd tree && "
                 "cp -r %s/util %s/faults %s/model %s/sim %s/scenarios %s/reports %s/cli . && "
                 "%s && sh %s/tests/layers.sh .",
                 top, top, top, top, top, top, top, edit, top);
}

Test(layers, the_tree_points_down)
{
    struct cli_result *r = check_after("true");
    cr_assert_eq(r->status, 0, "%s%s", r->out, r->err);
    cr_assert(strstr(r->out, "0 upward or forbidden, 0 include cycles"), "%s", r->out);
}

Test(layers, a_model_including_the_scheduler_fails)
{
    struct cli_result *r = check_after("echo '#include \"sim/sched.h\"' >> model/chan.c");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "model/chan.c includes sim/sched.h: points up a layer"), "%s",
              r->out);
}

Test(layers, the_wait_queue_header_is_what_models_use)
{
    /* a model header taking the wait queue from the scheduler instead */
    struct cli_result *r = check_after(
        "sed -i 's#\"model/waitq.h\"#\"sim/sched.h\"#' model/proc.h");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "model/proc.h includes sim/sched.h: points up a layer"), "%s",
              r->out);
}

Test(layers, include_cycles_are_found)
{
    struct cli_result *r = check_after("echo '#include \"model/world.h\"' >> model/heap.h");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "include cycle"), "%s", r->out);
}

Test(layers, only_the_linux_backend_reads_clocks_and_pids)
{
    struct cli_result *r = check_after("true");
    cr_assert(strstr(r->out, "layers: 0 clock, pid or rand() reads outside sim/linux/"), "%s",
              r->out);
    /* a scenario seeding itself from the clock: the seed is the only entropy */
    r = check_after("echo 'static long now(void) { return (long)time(0); }' >> "
                    "scenarios/ping_pong.c && "
                    "echo '/* getpid() in a comment is fine */' >> model/heap.c");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "layers: scenarios/ping_pong.c:"), "%s", r->out);
    cr_assert(strstr(r->out, "reads a clock, a pid or rand(): only sim/linux/ may"), "%s", r->out);
    cr_assert(strstr(r->out, "layers: 1 clock, pid or rand() reads outside sim/linux/"), "%s",
              r->out);
}

Test(layers, the_linux_backend_belongs_to_the_sim_layer)
{
    struct cli_result *r =
        check_after("echo '#include \"sim/linux/linux_run.h\"' >> reports/sweep.c");
    cr_assert_eq(r->status, 1, "%s", r->out);
    cr_assert(strstr(r->out, "reports/sweep.c includes sim/linux/linux_run.h: the Linux backend "
                             "belongs to the sim layer: only sim/ includes sim/linux/"),
              "%s", r->out);
}
