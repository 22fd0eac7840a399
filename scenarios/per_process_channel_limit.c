/* per-process-channel-limit — bug 0013, the per-process channel limit that seed
 * document 000_dbfce04f6982f07a.txt (bug 0012) names as its second fix: "Prevents
 * any single process from exhausting the global pool."
 *
 * One runaway process creates channels in a loop and never closes them; when the
 * table is full it retries a microsecond later, taking every slot anyone frees. With only
 * the global limit (max_channels=64) it ends up holding the whole table, and the
 * well-behaved workers, which each open a channel, use it and close it again, get
 * -ENFILE: the first one that does fails the run, naming the runaway as the holder.
 * With a per-process limit (per_proc_channel_limit) the runaway gets -EMFILE at its
 * own limit and backs off, and the workers have the rest of the table.
 *
 * The runaway keeps both ends of every channel, so both variants raise max_handles
 * to 160: the handle table must not be what stops it first. Run without --variant,
 * at the core default max_handles=32, its full handle table stops it at 16 channels
 * (-EMFILE from the handle table, not the channel limit) and the run passes: use
 * --variant buggy (or --set max_handles=160) to see the bug.
 *
 * It sends no handles and binds no port: the default keys serve. */
#include <errno.h>

#include "scenarios/lib/ktest.h"
#include "sim/sys.h"

static const struct config_key per_process_channel_limit_params[] = {
    {"workers", CONFIG_UINT, 4, 1, 32, "well-behaved processes", NULL},
    {"rounds", CONFIG_UINT, 8, 1, 100000,
     "channels each worker opens, uses and closes, one after the other", NULL},
    {0},
};

static struct {
    uint32_t runaway_pid;
    uint32_t runaway_channels; /* channels the runaway holds */
    uint32_t runaway_refusal;  /* the error that made it back off (positive), 0 none */
    int stop;                  /* main tells the runaway to exit */
    uint64_t rounds;
} pl;

static void runaway(void *unused)
{
    (void)unused;
    uint32_t pid = sys_getpid();
    while (!pl.stop) {
        uint32_t ends[2];
        int rc = sys_chan_create(ends);
        if (rc == 0) {
            pl.runaway_channels++; /* never closed */
            continue;
        }
        if (rc == -ENFILE || rc == -ENOMEM) {
            sys_sleep(SYS_NS_PER_US); /* someone will free a slot: take it */
            continue;
        }
        /* -EMFILE: its own limit. A process that hits it backs off. */
        pl.runaway_refusal = (uint32_t)-rc;
        sys_log("runaway[%u]: channel_create_pair failed with %s after %u channels: backing off",
                pid, ktest_error_name(rc), pl.runaway_channels);
        break;
    }
    while (!pl.stop)
        sys_sleep(10 * SYS_NS_PER_US);
    sys_log("runaway[%u]: exiting with %u channels", pid, pl.runaway_channels);
}

static void worker(void *arg)
{
    uint32_t index = (uint32_t)(uintptr_t)arg;
    sys_sleep((1 + index) * 5 * SYS_NS_PER_US); /* the runaway starts first */
    for (uint64_t round = 0; round < pl.rounds; round++) {
        uint32_t ends[2];
        int rc = sys_chan_create(ends);
        if (rc == -ENOMEM) {
            sys_sleep(SYS_NS_PER_US);
            continue;
        }
        sys_check(rc == 0,
                  "worker %u could not create a channel: %s: the global table is exhausted "
                  "by pid %u \"runaway\", which holds %u of the %llu slots",
                  index, ktest_error_name(rc), pl.runaway_pid, pl.runaway_channels,
                  (unsigned long long)sys_param("max_channels"));
        rc = sys_chan_send(ends[0], 32, NULL, 0, 0);
        struct chan_received m;
        if (rc == 0)
            rc = sys_chan_recv(ends[1], &m, 0, 0);
        sys_check(rc == 0 || rc == -ENOMEM, "worker %u: request failed with %s", index,
                  ktest_error_name(rc));
        sys_close(ends[0]);
        sys_close(ends[1]);
        sys_sleep(10 * SYS_NS_PER_US);
    }
}

static const struct scenario_variant per_process_channel_limit_variants[] = {
    {"buggy", "no per-process limit (the key's default): the runaway takes the whole table",
     "max_channels=64 max_handles=160 per_proc_channel_limit=0", "assert",
     "could not create a channel: -ENFILE"},
    {"fixed", "a per-process limit of 16: the runaway gets -EMFILE and backs off",
     "max_channels=64 max_handles=160 per_proc_channel_limit=16", "pass", NULL},
    {0},
};

SCENARIO_WITH_VARIANTS(per_process_channel_limit,
                       "a runaway process that never closes its channels starves the others "
                       "of the global table unless a per-process limit stops it (0013)",
                       per_process_channel_limit_params, per_process_channel_limit_variants)
{
    pl.runaway_pid = 0;
    pl.runaway_channels = 0;
    pl.runaway_refusal = 0;
    pl.stop = 0;
    pl.rounds = sys_param("rounds");
    uint32_t workers = (uint32_t)sys_param("workers");
    int pids[32];
    int r = sys_spawn("runaway", runaway, NULL);
    sys_check(r > 0, "spawn of the runaway failed with %s", ktest_error_name(r));
    pl.runaway_pid = (uint32_t)r;
    for (uint32_t i = 0; i < workers; i++) {
        pids[i] = sys_spawn("worker", worker, (void *)(uintptr_t)i);
        sys_check(pids[i] > 0, "spawn of worker %u failed with %s", i,
                  ktest_error_name(pids[i]));
    }
    for (uint32_t i = 0; i < workers; i++)
        sys_wait((uint32_t)pids[i], NULL);
    pl.stop = 1;
    sys_wait((uint32_t)r, NULL);
}
