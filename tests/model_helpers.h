/* model_helpers — a world without a scheduler, for the model unit tests. Each test
 * file that includes this gets its own world. */
#ifndef DETSIM_TESTS_MODEL_HELPERS_H
#define DETSIM_TESTS_MODEL_HELPERS_H

#include <criterion/criterion.h>
#include <stdarg.h>

#include "model/world.h"
#include "sim/run.h"

#define INIT 1
#define APP 2 /* the application process every test starts with */

static struct config config;
static struct world w;
static struct text out;

/* The suites' .fini. */
static void destroy_world(void)
{
    world_destroy(&w);
    text_free(&out);
}

/* Creates the world with NULL-terminated "key=value" settings, boots init (pid 1, a
 * daemon) and APP, its child, which is the current process. */
static void boot(const char *setting, ...)
{
    char error[256];
    cr_assert_eq(run_config_init(&config, NULL), 0);
    va_list args;
    va_start(args, setting);
    for (; setting; setting = va_arg(args, const char *))
        cr_assert_eq(config_assign(&config, setting, error, sizeof error), 0, "%s: %s", setting,
                     error);
    va_end(args);
    cr_assert_eq(world_create(&w, &config), 0, "world_create");
    cr_assert_eq(proc_spawn(&w, 0, "init", SPAWN_FORK, NULL, 0, 0), INIT, "init is pid 1");
    proc_get(&w, INIT)->daemon = 1;
    cr_assert_eq(proc_spawn(&w, INIT, "app", SPAWN_FORK, NULL, 0, 0), APP);
    w.current = APP;
}

static void check_world(void)
{
    cr_assert_eq(world_check(&w, &out), 0, "world_check: %s", text_str(&out));
}

/* Stands in for a task sleeping on wq: world_wake queues a wake only when someone
 * waits. */
static void park(struct waitq *wq, uint32_t pid)
{
    wq->count = 1;
    wq->first = wq->last = pid;
}

/* Whether a wake-up of wq for reason is queued. */
static int woken(const struct waitq *wq, enum waitq_wake reason)
{
    for (uint32_t i = 0; i < w.wake_count; i++)
        if (w.wakes[i].queue == wq && w.wakes[i].reason == reason)
            return 1;
    return 0;
}

#endif
