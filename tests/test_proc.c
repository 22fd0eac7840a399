/* The process model (model/proc.c): spawn, inheritance, exit, wait, orphans, signals. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "model/world.h"
#include "sim/run.h"
#include "model_helpers.h"

#define CHILD 3 /* the first process a test spawns */

TestSuite(proc, .fini = destroy_world);

static uint32_t spawn(uint32_t parent, enum proc_spawn_mode mode)
{
    int pid = proc_spawn(&w, parent, "child", mode, NULL, 0, 0);
    cr_assert_gt(pid, 0, "spawn from pid %u: %d", parent, pid);
    return (uint32_t)pid;
}

static void create(uint32_t pid, uint32_t ends[2])
{
    int rc = chan_create(&w, pid, ends);
    cr_assert_eq(rc, 0, "chan_create for pid %u: %d", pid, rc);
}

/* Open handles in pid's table, counted entry by entry. */
static uint32_t open_handles(uint32_t pid)
{
    const struct proc *p = proc_get(&w, pid);
    uint32_t n = 0;
    for (uint32_t i = 0; i < w.max_handles; i++)
        n += p->handles[i].kind != HANDLE_FREE;
    return n;
}

static void assert_handle_count(uint32_t pid, uint32_t expected)
{
    cr_assert_eq(open_handles(pid), expected, "pid %u has %u open handles", pid,
                 open_handles(pid));
    cr_assert_eq(proc_get(&w, pid)->handle_count, expected, "pid %u handle_count", pid);
}

/* ---- spawn ---------------------------------------------------------------------------- */

Test(proc, spawn_fills_the_table_then_eagain)
{
    boot("max_procs=4", NULL);
    w.step = 9;
    uint32_t group = proc_group_create(&w, APP);
    int pid = proc_spawn(&w, APP, "worker", SPAWN_FORK, NULL, 0, group);
    cr_assert_eq(pid, CHILD, "pids count up");
    const struct proc *p = proc_get(&w, CHILD);
    cr_assert_eq(p->state, PROC_RUNNABLE);
    cr_assert_eq(p->parent, APP);
    cr_assert_eq(p->group, group);
    cr_assert_str_eq(p->name, "worker");
    cr_assert_eq(p->created_step, 9);
    cr_assert_eq(proc_get(&w, spawn(CHILD, SPAWN_FORK))->group, group, "the group is inherited");
    cr_assert_eq(w.procs_live, 4);
    cr_assert_eq(w.heap.used_bytes, 4 * w.proc_bytes, "each costs proc_bytes");

    cr_assert_eq(proc_spawn(&w, APP, "extra", SPAWN_FORK, NULL, 0, 0), -EAGAIN);
    cr_assert_eq(w.procs_live, 4);
    cr_assert_eq(w.heap.used_bytes, 4 * w.proc_bytes, "nothing allocated");
    check_world();

    proc_exit(&w, 4, 0);
    int status;
    cr_assert_eq(proc_wait(&w, CHILD, 4, &status), 4);
    cr_assert_eq(proc_spawn(&w, APP, "again", SPAWN_FORK, NULL, 0, 0), 5,
                 "a freed slot takes a new pid, never a reused one");
    check_world();
}

Test(proc, spawn_enomem_when_the_heap_cannot_hold_proc_bytes)
{
    boot("heap_bytes=4KiB", "proc_bytes=2KiB", NULL);
    cr_assert_eq(proc_spawn(&w, APP, "child", SPAWN_FORK, NULL, 0, 0), -ENOMEM);
    cr_assert_eq(w.procs_live, 2);
    cr_assert_eq(w.heap.oom_count, 1);
    cr_assert_null(proc_get(&w, CHILD));
    check_world();

    proc_exit(&w, APP, 0);
    int status;
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), APP);
    cr_assert_eq(spawn(INIT, SPAWN_FORK), CHILD, "the failed spawn did not use up pid 3");
    check_world();
}

/* ---- handle inheritance ------------------------------------------------------------------ */

Test(proc, fork_copies_every_handle)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    int port = port_create(&w, APP);
    int fd = chan_fd_from_handle(&w, APP, ends[0]);
    cr_assert(port >= 0 && fd >= 0);

    uint32_t child = spawn(APP, SPAWN_FORK);
    const struct proc *parent = proc_get(&w, APP), *p = proc_get(&w, child);
    for (uint32_t i = 0; i < w.max_handles; i++) {
        cr_assert_eq(p->handles[i].kind, parent->handles[i].kind, "handle %u", i);
        cr_assert_eq(p->handles[i].object, parent->handles[i].object, "handle %u", i);
    }
    assert_handle_count(child, 4);
    cr_assert_eq(chan_endpoint(&w, 0)->refs[REF_HANDLE], 2);
    cr_assert_eq(chan_endpoint(&w, 0)->refs[REF_FD], 2);
    cr_assert_eq(chan_endpoint(&w, 1)->refs[REF_HANDLE], 2);
    cr_assert_eq(w.ports[0].refs, 2);
    check_world();
}

Test(proc, fork_exec_skips_close_on_exec_handles)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    cr_assert_eq(proc_set_cloexec(&w, APP, ends[1], 1), 0);
    cr_assert_eq(proc_set_cloexec(&w, APP, 9, 1), -EBADF);

    uint32_t child = spawn(APP, SPAWN_FORK_EXEC);
    const struct proc *p = proc_get(&w, child);
    cr_assert_eq(p->handles[ends[0]].kind, HANDLE_ENDPOINT);
    cr_assert_eq(p->handles[ends[1]].kind, HANDLE_FREE, "close-on-exec: not inherited");
    assert_handle_count(child, 1);
    cr_assert_eq(chan_endpoint(&w, 0)->refs[REF_HANDLE], 2);
    cr_assert_eq(chan_endpoint(&w, 1)->refs[REF_HANDLE], 1);

    cr_assert_eq(proc_set_cloexec(&w, APP, ends[1], 0), 0);
    assert_handle_count(spawn(APP, SPAWN_FORK_EXEC), 2);
    assert_handle_count(spawn(APP, SPAWN_FORK), 2);
    check_world();
}

Test(proc, explicit_spawn_gives_only_the_listed_handles)
{
    boot(NULL);
    uint32_t first[2], second[2];
    create(APP, first);
    create(APP, second);
    uint32_t listed[] = {second[0]};
    int child = proc_spawn(&w, APP, "child", SPAWN_EXPLICIT, listed, 1, 0);
    cr_assert_eq(child, CHILD);
    const struct proc *p = proc_get(&w, CHILD);
    cr_assert_eq(p->handles[second[0]].kind, HANDLE_ENDPOINT, "at the same index");
    cr_assert_eq(p->handles[second[0]].object, 2);
    assert_handle_count(CHILD, 1);
    cr_assert_eq(chan_endpoint(&w, 2)->refs[REF_HANDLE], 2);
    cr_assert_eq(chan_endpoint(&w, 0)->refs[REF_HANDLE], 1);

    cr_assert_eq(proc_close_handle(&w, APP, first[1]), 0);
    uint32_t closed[] = {first[0], first[1]};
    uint64_t used = w.heap.used_bytes;
    cr_assert_eq(proc_spawn(&w, APP, "bad", SPAWN_EXPLICIT, closed, 2, 0), -EBADF);
    uint32_t beyond[] = {w.max_handles};
    cr_assert_eq(proc_spawn(&w, APP, "bad", SPAWN_EXPLICIT, beyond, 1, 0), -EBADF);
    cr_assert_eq(w.procs_live, 3, "nothing spawned");
    cr_assert_eq(w.heap.used_bytes, used);
    cr_assert_eq(chan_endpoint(&w, 0)->refs[REF_HANDLE], 1, "no reference taken");
    cr_assert_eq(spawn(APP, SPAWN_EXPLICIT), 4, "no pid used up; an empty list is fine");
    assert_handle_count(4, 0);
    check_world();
}

Test(proc, closerange_closes_a_range_as_close_range_does)
{
    boot(NULL);
    uint32_t first[2], second[2];
    create(APP, first);  /* handles 0, 1 */
    create(APP, second); /* handles 2, 3 */
    cr_assert_eq(proc_closerange(&w, APP, 2, 1), -EINVAL, "low > high");
    assert_handle_count(APP, 4);
    cr_assert_eq(proc_closerange(&w, APP, 1, 2), 0);
    const struct proc *p = proc_get(&w, APP);
    cr_assert_eq(p->handles[0].kind, HANDLE_ENDPOINT);
    cr_assert_eq(p->handles[1].kind, HANDLE_FREE);
    cr_assert_eq(p->handles[2].kind, HANDLE_FREE);
    cr_assert_eq(p->handles[3].kind, HANDLE_ENDPOINT);
    assert_handle_count(APP, 2);
    cr_assert_eq(proc_closerange(&w, APP, 1, 2), 0, "already closed: no error");
    cr_assert_eq(chan_endpoint(&w, 1)->state, ENDPOINT_CLOSED);
    cr_assert_eq(proc_closerange(&w, APP, 0, UINT32_MAX), 0, "the rest");
    assert_handle_count(APP, 0);
    cr_assert_eq(w.channels_live, 0);
    check_world();
}

Test(proc, handle_count_follows_every_operation)
{
    boot("max_handles=4", NULL);
    uint32_t ends[2];
    create(APP, ends);
    assert_handle_count(APP, 2);
    int fd = chan_fd_from_handle(&w, APP, ends[0]);
    int port = port_create(&w, APP);
    cr_assert(fd >= 0 && port >= 0);
    assert_handle_count(APP, 4);
    cr_assert_eq(port_create(&w, APP), -EMFILE, "the table is full");
    cr_assert_eq(chan_fd_from_handle(&w, APP, ends[0]), -EMFILE);
    assert_handle_count(APP, 4);
    cr_assert_eq(proc_close_handle(&w, APP, ends[1]), 0);
    cr_assert_eq(proc_close_handle(&w, APP, ends[1]), -EBADF, "closed twice");
    cr_assert_eq(proc_close_handle(&w, APP, 4), -EBADF, "beyond the table");
    cr_assert_eq(proc_close_handle(&w, 99, 0), -EBADF, "no such pid");
    assert_handle_count(APP, 3);
    assert_handle_count(spawn(APP, SPAWN_FORK), 3);
    check_world();
}

/* ---- exit and wait ------------------------------------------------------------------------ */

Test(proc, exit_closes_frees_zombifies_and_wakes_the_parent)
{
    boot(NULL);
    uint32_t shared[2];
    create(APP, shared);
    uint32_t child = (uint32_t)proc_spawn(&w, APP, "child", SPAWN_EXPLICIT, &shared[0], 1, 0);
    cr_assert_eq(child, CHILD);
    cr_assert_eq(proc_close_handle(&w, APP, shared[0]), 0); /* only the child holds end A */
    uint64_t used = w.heap.used_bytes;
    uint32_t own[2];
    create(CHILD, own);
    cr_assert_gt(heap_try_alloc(&w.heap, 500, "user", CHILD, 0, 1), 0);
    cr_assert_eq(w.channels_live, 2);

    park(&proc_get(&w, APP)->child_wait, APP);
    w.step = 50;
    proc_exit(&w, CHILD, 42);
    const struct proc *p = proc_get(&w, CHILD);
    cr_assert_not_null(p, "a zombie keeps its pid until reaped");
    cr_assert_eq(p->state, PROC_ZOMBIE);
    cr_assert_eq(p->exit_status, 42);
    cr_assert_eq(p->exited_step, 50);
    assert_handle_count(CHILD, 0);
    cr_assert_eq(w.channels_live, 1, "its own channel is gone; the shared one lives on");
    cr_assert_eq(chan_endpoint(&w, 0)->state, ENDPOINT_CLOSED);
    cr_assert_eq(w.heap.used_bytes, used, "the channel and the exit-freed block are freed");
    cr_assert(woken(&proc_get(&w, APP)->child_wait, WAITQ_WAKE_EXIT));
    struct chan_received got;
    cr_assert_eq(chan_recv(&w, APP, shared[1], &got, 0), 0);
    cr_assert(got.eof, "the parent sees its peer gone");
    check_world();

    proc_exit(&w, CHILD, 7); /* a second exit changes nothing */
    cr_assert_eq(proc_get(&w, CHILD)->exit_status, 42);
}

Test(proc, wait_reaps_a_zombie_with_its_status)
{
    boot(NULL);
    uint32_t first = spawn(APP, SPAWN_FORK), second = spawn(APP, SPAWN_FORK);
    uint64_t used = w.heap.used_bytes;
    proc_exit(&w, second, 3);
    int status = -1;
    cr_assert_eq(proc_wait(&w, APP, first, &status), MODEL_WOULD_BLOCK,
                 "waiting for a live child by pid");
    cr_assert_eq(proc_wait(&w, APP, 0, &status), (int)second);
    cr_assert_eq(status, 3);
    cr_assert_null(proc_get(&w, second), "reaped: the pid is gone");
    cr_assert_eq(w.procs_live, 3);
    cr_assert_eq(w.heap.used_bytes, used - w.proc_bytes, "the process struct is freed");
    check_world();

    proc_exit(&w, first, -12);
    cr_assert_eq(proc_wait(&w, APP, first, &status), (int)first);
    cr_assert_eq(status, -12);
    cr_assert_eq(proc_wait(&w, APP, 0, &status), -ECHILD, "no children left");
    check_world();
}

Test(proc, a_reaped_process_leaves_no_record_behind)
{
    boot(NULL);
    uint32_t child = spawn(APP, SPAWN_FORK);
    uint64_t queue = proc_get(&w, child)->child_wait.id;
    cr_assert_eq(world_waitq(&w, queue), &proc_get(&w, child)->child_wait);
    char name[WAITQ_NAME_BYTES];
    cr_assert_str_eq(world_waitq_name(world_waitq(&w, queue), name), "children of pid 3",
                     "named when asked");
    proc_exit(&w, child, 0);
    cr_assert_not_null(world_waitq(&w, queue), "a zombie's queue keeps its name");
    int status;
    cr_assert_eq(proc_wait(&w, APP, child, &status), (int)child);
    cr_assert_null(world_waitq(&w, queue), "reaped: its queue's id names nothing");
    /* Thousands of lives: the records are those of the living, init and APP. */
    for (int i = 0; i < 5000; i++) {
        child = spawn(APP, SPAWN_FORK);
        proc_exit(&w, child, 0);
        cr_assert_eq(proc_wait(&w, APP, child, &status), (int)child, "life %d", i);
    }
    cr_assert_eq(w.waitqs.live, 2, "%llu wait-queue records", (unsigned long long)w.waitqs.live);
    cr_assert_eq(w.heap.blocks.live, 2, "%llu heap block records",
                 (unsigned long long)w.heap.blocks.live);
    cr_assert_eq(w.slot_by_pid.live, 2, "%llu pid records", (unsigned long long)w.slot_by_pid.live);
    cr_assert_null(proc_get(&w, CHILD), "a reaped pid is gone, and stays gone");
    cr_assert_null(proc_get(&w, child + 1), "a pid never handed out is not found");
    cr_assert_not_null(proc_get(&w, APP));
    check_world();
}

Test(proc, wait_errors_and_blocking)
{
    boot(NULL);
    int status;
    cr_assert_eq(proc_wait(&w, APP, 0, &status), -ECHILD, "no children");
    cr_assert_eq(proc_wait(&w, 99, 0, &status), -ECHILD, "no such process");
    uint32_t child = spawn(APP, SPAWN_FORK);
    w.block_on = NULL;
    cr_assert_eq(proc_wait(&w, APP, 0, &status), MODEL_WOULD_BLOCK, "the child still runs");
    cr_assert_eq(w.block_on, &proc_get(&w, APP)->child_wait);
    cr_assert_eq(proc_wait(&w, APP, INIT, &status), -ECHILD, "init is not APP's child");
    cr_assert_eq(proc_wait(&w, child, 0, &status), -ECHILD);

    w.block_on = NULL;
    proc_exit(&w, APP, 0);
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), APP);
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), MODEL_WOULD_BLOCK,
                 "init (a daemon) waits for its adopted child");
    cr_assert_eq(w.block_on, &proc_get(&w, INIT)->child_wait);
    proc_exit(&w, child, 0);
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), (int)child);
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), MODEL_WOULD_BLOCK,
                 "init blocks even with no children at all");
    check_world();
}

Test(proc, orphans_are_reparented_to_init)
{
    boot(NULL);
    uint32_t middle = spawn(APP, SPAWN_FORK);
    uint32_t running = spawn(middle, SPAWN_FORK), dead = spawn(middle, SPAWN_FORK);
    proc_exit(&w, dead, 5);
    cr_assert_eq(proc_get(&w, dead)->parent, middle);

    park(&proc_get(&w, INIT)->child_wait, INIT);
    proc_exit(&w, middle, 0);
    cr_assert_eq(proc_get(&w, running)->parent, INIT);
    cr_assert_eq(proc_get(&w, dead)->parent, INIT);
    cr_assert_eq(proc_get(&w, middle)->parent, APP, "the dead parent stays APP's child");
    cr_assert(woken(&proc_get(&w, INIT)->child_wait, WAITQ_WAKE_EXIT),
              "init adopted a zombie: it is woken to reap it");
    check_world();

    int status;
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), (int)dead);
    cr_assert_eq(status, 5);
    cr_assert_eq(proc_wait(&w, INIT, 0, &status), MODEL_WOULD_BLOCK, "the other still runs");
    cr_assert_eq(proc_wait(&w, APP, 0, &status), (int)middle);
    cr_assert_eq(proc_wait(&w, APP, 0, &status), -ECHILD, "APP's grandchildren are not its own");
    check_world();
}

Test(proc, orphans_go_to_the_nearest_living_subreaper)
{
    boot(NULL);
    cr_assert_eq(proc_set_subreaper(&w, APP, 1), 0);
    uint32_t middle = spawn(APP, SPAWN_FORK);
    uint32_t lower = spawn(middle, SPAWN_FORK);
    uint32_t running = spawn(lower, SPAWN_FORK), dead = spawn(lower, SPAWN_FORK);
    cr_assert_not(proc_get(&w, middle)->subreaper, "a fork does not inherit it");
    proc_exit(&w, dead, 5);
    park(&proc_get(&w, APP)->child_wait, APP);
    proc_exit(&w, lower, 0);
    cr_assert_eq(proc_get(&w, running)->parent, APP, "the subreaper, above the living middle");
    cr_assert_eq(proc_get(&w, dead)->parent, APP);
    cr_assert(woken(&proc_get(&w, APP)->child_wait, WAITQ_WAKE_EXIT),
              "the subreaper adopted a zombie: it is woken to reap it");
    int status;
    cr_assert_eq(proc_wait(&w, APP, dead, &status), (int)dead, "it reaps the adopted zombie");
    cr_assert_eq(proc_wait(&w, middle, 0, &status), (int)lower);
    check_world();
    /* A subreaper that is itself gone no longer adopts: init does. */
    cr_assert_eq(proc_set_subreaper(&w, APP, 0), 0);
    proc_exit(&w, running, 0);
    cr_assert_eq(proc_get(&w, running)->parent, APP);
    check_world();
}

Test(proc, release_at_reap_bug_keeps_the_slot_until_reaped)
{
    boot("bug_release_at_reap=true", NULL);
    uint32_t child = spawn(APP, SPAWN_FORK);
    uint32_t ends[2];
    create(child, ends);
    proc_exit(&w, child, 0);
    const struct proc *p = proc_get(&w, child);
    cr_assert_eq(p->state, PROC_ZOMBIE);
    cr_assert(p->kept_handles, "the bug: the zombie keeps its handles");
    assert_handle_count(child, 2);
    cr_assert_eq(w.channels_live, 1, "the channel slot is still held");
    cr_assert_eq(chan_endpoint(&w, 0)->state, ENDPOINT_OPEN);
    check_world();

    int status;
    cr_assert_eq(proc_wait(&w, APP, 0, &status), (int)child);
    cr_assert_eq(w.channels_live, 0, "reaping releases it");
    check_world();
}

Test(proc, exit_without_the_bug_releases_the_slot_at_once)
{
    boot(NULL);
    uint32_t child = spawn(APP, SPAWN_FORK);
    uint32_t ends[2];
    create(child, ends);
    proc_exit(&w, child, 0);
    cr_assert(!proc_get(&w, child)->kept_handles);
    cr_assert_eq(w.channels_live, 0);
    cr_assert_eq(proc_get(&w, child)->channels_live, 0);
    check_world();
}

/* ---- signals ------------------------------------------------------------------------------ */

Test(proc, signal_sets_pending_bits)
{
    boot(NULL);
    uint32_t child = spawn(APP, SPAWN_FORK);
    cr_assert_eq(proc_signal(&w, child, SIG_TERM), 0);
    cr_assert_eq(proc_get(&w, child)->signals_pending, 1u << SIG_TERM);
    cr_assert_eq(proc_signal(&w, child, SIG_INT), 0);
    cr_assert_eq(proc_signal(&w, child, SIG_KILL), 0);
    cr_assert_eq(proc_get(&w, child)->signals_pending,
                 (1u << SIG_TERM) | (1u << SIG_INT) | (1u << SIG_KILL));
    cr_assert_eq(proc_get(&w, child)->state, PROC_RUNNABLE, "SIGKILL is only marked pending");
    cr_assert_eq(proc_get(&w, APP)->signals_pending, 0, "nobody else is touched");

    cr_assert_eq(proc_signal(&w, child, 5), -EINVAL);
    cr_assert_eq(proc_signal(&w, child, 40), -EINVAL);
    cr_assert_eq(proc_signal(&w, child, 0), 0, "signal 0: it exists");
    cr_assert_eq(proc_signal(&w, 99, SIG_TERM), -ESRCH, "unknown pid");
    cr_assert_eq(proc_signal(&w, 99, 0), -ESRCH, "signal 0: it does not");
    cr_assert_eq(proc_signal(&w, 0, SIG_TERM), -ESRCH, "pid 0");
    cr_assert_eq(proc_signal(&w, 1, SIG_TERM), -EPERM, "init");
    proc_exit(&w, child, 0);
    cr_assert_eq(proc_signal(&w, child, SIG_TERM), 0, "a zombie takes it (Linux)");
    cr_assert_eq(proc_signal(&w, child, 0), 0, "a zombie still exists");
    int status;
    cr_assert_eq(proc_wait(&w, APP, 0, &status), (int)child);
    cr_assert_eq(proc_signal(&w, child, SIG_TERM), -ESRCH, "reaped");
    cr_assert_eq(proc_signal(&w, child, 0), -ESRCH, "reaped: gone");
}

Test(proc, a_caught_signal_is_delivered_once_and_read_once)
{
    boot(NULL);
    uint32_t child = spawn(APP, SPAWN_FORK);
    cr_assert_eq(proc_signal_catch(&w, child, SIG_TERM, SIG_ACTION_CATCH), 0);
    cr_assert_eq(proc_signal(&w, child, SIG_TERM), 0);
    cr_assert(proc_signal_is_pending(&w, child, SIG_TERM));
    cr_assert_eq(proc_signal_take_fatal(&w, child), 0, "caught: not fatal");
    cr_assert_eq(proc_signals_deliver(&w, child), 1u << SIG_TERM, "the handler runs");
    cr_assert_not(proc_signal_is_pending(&w, child, SIG_TERM), "no longer pending");
    cr_assert_eq(proc_signals_deliver(&w, child), 0, "delivered once");
    cr_assert_eq(proc_signals_take_interrupting(&w, child), 1u << SIG_TERM);
    cr_assert_eq(proc_signals_take_interrupting(&w, child), 0);
    cr_assert_eq(proc_signals_take_handled(&w, child), 1u << SIG_TERM, "the handler's flag");
    cr_assert_eq(proc_signals_take_handled(&w, child), 0, "read once");
    cr_assert_eq(proc_get(&w, child)->last_signal_fate, SIGNAL_FATE_HANDLED);
}

Test(proc, an_ignored_signal_is_discarded_and_the_default_terminates)
{
    boot(NULL);
    uint32_t child = spawn(APP, SPAWN_FORK);
    cr_assert_eq(proc_signal_catch(&w, child, SIG_INT, SIG_ACTION_IGNORE), 0);
    cr_assert_eq(proc_signal(&w, child, SIG_INT), 0);
    cr_assert_not(proc_signal_is_pending(&w, child, SIG_INT), "discarded when sent");
    cr_assert_eq(proc_get(&w, child)->last_signal_fate, SIGNAL_FATE_IGNORED);
    cr_assert_eq(proc_signal(&w, child, SIG_TERM), 0);
    cr_assert_eq(proc_signal_take_fatal(&w, child), SIG_TERM, "no handler: it terminates");
    /* A pending signal that becomes ignored is discarded (sigaction(SIG_IGN)). */
    cr_assert_eq(proc_signal_catch(&w, child, SIG_INT, SIG_ACTION_DEFAULT), 0);
    cr_assert_eq(proc_signal(&w, child, SIG_INT), 0);
    cr_assert_eq(proc_signal_catch(&w, child, SIG_INT, SIG_ACTION_IGNORE), 0);
    cr_assert_not(proc_signal_is_pending(&w, child, SIG_INT));
    cr_assert_eq(proc_signal_catch(&w, child, SIG_KILL, SIG_ACTION_IGNORE), -EINVAL);
    cr_assert_eq(proc_signal_catch(&w, child, SIG_INT, SIG_ACTION_RESTART), -EINVAL,
                 "SA_RESTART goes with a handler");
    cr_assert_eq(proc_signal_catch(&w, child, SIG_INT, 8), -EINVAL);
}
