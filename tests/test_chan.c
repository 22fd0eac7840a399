/* The channel and port models (model/chan.c, model/port.c), driven without the scheduler. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "model/world.h"
#include "sim/run.h"
#include "model_helpers.h"

#define PEER 3 /* a second process, when a test spawns one */

TestSuite(chan, .fini = destroy_world);

static struct endpoint *endpoint(uint32_t id)
{
    return chan_endpoint(&w, id);
}

/* Creates a channel in pid; ends[] get its handle indices. */
static void create(uint32_t pid, uint32_t ends[2])
{
    int rc = chan_create(&w, pid, ends);
    cr_assert_eq(rc, 0, "chan_create for pid %u: %d", pid, rc);
}

/* Spawns PEER as a child of APP holding only APP's handles[0..count). */
static void spawn_peer(const uint32_t *handles, uint32_t count)
{
    cr_assert_eq(proc_spawn(&w, APP, "peer", SPAWN_EXPLICIT, handles, count, 0), PEER);
}

static void send_ok(uint32_t pid, uint32_t handle, uint64_t bytes)
{
    int rc = chan_send(&w, pid, handle, bytes, NULL, 0, 0);
    cr_assert_eq(rc, 0, "pid %u sends %llu bytes on handle %u: %d", pid,
                 (unsigned long long)bytes, handle, rc);
}

static struct chan_received recv_ok(uint32_t pid, uint32_t handle)
{
    struct chan_received got;
    int rc = chan_recv(&w, pid, handle, &got, 1);
    cr_assert_eq(rc, 0, "pid %u receives on handle %u: %d", pid, handle, rc);
    return got;
}

static void close_ok(uint32_t pid, uint32_t handle)
{
    cr_assert_eq(proc_close_handle(&w, pid, handle), 0, "pid %u closes handle %u", pid, handle);
}

static const char *last_console_line(void)
{
    cr_assert_gt(w.console_count, 0, "the console is empty");
    return w.console[(w.console_count - 1) % CONSOLE_LINES_MAX];
}

/* ---- creation ------------------------------------------------------------------------ */

Test(chan, a_closed_channel_keeps_its_names_until_its_slot_is_reused)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    uint64_t readers = endpoint(0)->readers.id;
    close_ok(APP, ends[0]);
    close_ok(APP, ends[1]);
    cr_assert(!w.channels[0].live);
    const struct waitq *wq = world_waitq(&w, readers);
    char name[WAITQ_NAME_BYTES];
    cr_assert(wq && strcmp(world_waitq_name(wq, name), "channel 0 end A") == 0,
              "the wake-ups of a teardown still name the queue");
    create(APP, ends); /* slot 0 again */
    cr_assert_null(world_waitq(&w, readers), "the slot's new channel retired the old names");
    cr_assert_neq(endpoint(0)->readers.id, readers, "ids are never reused");
    close_ok(APP, ends[0]);
    close_ok(APP, ends[1]);
    for (int i = 0; i < 5000; i++) {
        create(APP, ends);
        close_ok(APP, ends[0]);
        close_ok(APP, ends[1]);
    }
    cr_assert_eq(w.waitqs.live, 2 + 4, "init's, APP's and slot 0's four: %llu",
                 (unsigned long long)w.waitqs.live);
    check_world();
}

Test(chan, create_fills_two_handles)
{
    boot(NULL);
    uint64_t used = w.heap.used_bytes;
    uint32_t ends[2];
    create(APP, ends);
    const struct proc *app = proc_get(&w, APP);
    for (uint32_t e = 0; e < 2; e++) {
        cr_assert_eq(ends[e], e, "end %u at the lowest free index", e);
        cr_assert_eq(app->handles[ends[e]].kind, HANDLE_ENDPOINT);
        cr_assert_eq(app->handles[ends[e]].object, e, "slot 0, end %u", e);
        cr_assert_eq(endpoint(e)->state, ENDPOINT_OPEN);
        cr_assert_eq(endpoint(e)->refs[REF_HANDLE], 1);
    }
    cr_assert_eq(app->handle_count, 2);
    cr_assert_eq(app->channels_live, 1);
    cr_assert_eq(w.channels_live, 1);
    cr_assert(w.channels[0].live);
    cr_assert_eq(w.heap.used_bytes, used + w.channel_bytes, "the channel costs channel_bytes");
    check_world();
}

Test(chan, create_enfile_when_every_slot_is_used)
{
    boot("max_channels=3", NULL);
    uint32_t ends[2];
    for (int i = 0; i < 3; i++)
        create(APP, ends);
    uint64_t used = w.heap.used_bytes;
    cr_assert_eq(chan_create(&w, APP, ends), -ENFILE);
    cr_assert_str_eq(last_console_line(), "[ipc] channel_create_pair: all 3 slots exhausted");
    cr_assert_eq(w.channels_live, 3);
    cr_assert_eq(proc_get(&w, APP)->handle_count, 6, "no handle was installed");
    cr_assert_eq(w.heap.used_bytes, used, "nothing was allocated");
    cr_assert_eq(chan_create(&w, APP, ends), -ENFILE);
    cr_assert_eq(w.console_repeats[(w.console_count - 1) % CONSOLE_LINES_MAX], 2,
                 "a repeat of the line is counted, not written again");
    check_world();
}

Test(chan, create_emfile_at_the_per_process_limit)
{
    boot("per_proc_channel_limit=2", NULL);
    uint32_t first[2], second[2], ends[2];
    create(APP, first);
    create(APP, second);
    cr_assert_eq(chan_create(&w, APP, ends), -EMFILE);
    cr_assert_eq(w.channels_live, 2);

    cr_assert_eq(proc_spawn(&w, APP, "other", SPAWN_EXPLICIT, NULL, 0, 0), PEER);
    create(PEER, ends); /* the limit is per process */

    close_ok(APP, first[0]);
    close_ok(APP, first[1]);
    cr_assert_eq(proc_get(&w, APP)->channels_live, 1, "the closed channel gave its slot back");
    create(APP, ends);
    check_world();
}

Test(chan, create_emfile_without_two_free_handles)
{
    boot("max_handles=3", NULL);
    uint32_t ends[2];
    create(APP, ends);
    uint64_t used = w.heap.used_bytes;
    cr_assert_eq(chan_create(&w, APP, ends), -EMFILE, "one free handle is not enough");
    cr_assert_eq(w.channels_live, 1);
    cr_assert_eq(proc_get(&w, APP)->channels_live, 1);
    cr_assert_eq(w.heap.used_bytes, used);
    check_world();
}

Test(chan, create_enomem_when_the_heap_cannot_hold_it)
{
    boot("heap_bytes=4KiB", "channel_bytes=4KiB", NULL);
    uint32_t ends[2];
    cr_assert_eq(chan_create(&w, APP, ends), -ENOMEM);
    cr_assert_eq(w.channels_live, 0);
    cr_assert_eq(proc_get(&w, APP)->handle_count, 0);
    cr_assert_eq(proc_get(&w, APP)->channels_live, 0);
    cr_assert_eq(w.heap.oom_count, 1);
    cr_assert_eq(w.console_count, 0, "only an exhausted table is logged");
    check_world();
}

/* ---- messages ------------------------------------------------------------------------ */

Test(chan, inline_message_costs_no_heap)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    uint64_t used = w.heap.used_bytes;
    send_ok(APP, ends[0], 256); /* inline_msg_bytes */
    cr_assert_eq(endpoint(1)->queue_count, 1, "queued in the peer's inbox");
    cr_assert_eq(endpoint(0)->queue_count, 0);
    cr_assert_eq(w.heap.used_bytes, used);
    check_world();

    struct chan_received got = recv_ok(APP, ends[1]);
    cr_assert_eq(got.bytes, 256);
    cr_assert_eq(got.sender, APP);
    cr_assert_eq(got.handle_count, 0);
    cr_assert(!got.eof);
    cr_assert_eq(endpoint(1)->queue_count, 0);
    check_world();
}

Test(chan, large_message_is_charged_and_freed_on_receive)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    uint64_t used = w.heap.used_bytes;
    uint64_t charged = heap_usage(&w.heap, APP);
    send_ok(APP, ends[1], 1000);
    cr_assert_eq(w.heap.used_bytes, used + 1000);
    cr_assert_eq(heap_usage(&w.heap, APP), charged + 1000, "charged to the sender");
    uint32_t block = endpoint(0)->queue[endpoint(0)->queue_head].heap_block;
    cr_assert_neq(block, 0);
    cr_assert_str_eq(heap_block(&w.heap, block)->tag, "msg");
    check_world();

    struct chan_received got = recv_ok(APP, ends[0]);
    cr_assert_eq(got.bytes, 1000);
    cr_assert_eq(w.heap.used_bytes, used, "freed on receive");
    cr_assert_null(heap_block(&w.heap, block), "freed: its record is gone");
    check_world();
}

Test(chan, large_message_enomem_when_the_heap_cannot_hold_it)
{
    boot("heap_bytes=8KiB", NULL);
    uint32_t ends[2];
    create(APP, ends);
    cr_assert_eq(chan_send(&w, APP, ends[0], 7000, NULL, 0, 0), -ENOMEM);
    cr_assert_eq(endpoint(1)->queue_count, 0, "nothing queued");
    send_ok(APP, ends[0], 4000); /* what fits still goes */
    check_world();
}

Test(chan, full_queue_blocks_the_sender_on_the_peers_writers)
{
    boot("queue_depth=2", NULL);
    uint32_t ends[2];
    create(APP, ends);
    send_ok(APP, ends[0], 1);
    send_ok(APP, ends[0], 2);
    w.block_on = NULL;
    cr_assert_eq(chan_send(&w, APP, ends[0], 3, NULL, 0, 0), MODEL_WOULD_BLOCK);
    cr_assert_eq(w.block_on, &endpoint(1)->writers, "parks until the peer's inbox drains");
    cr_assert_eq(chan_send(&w, APP, ends[0], 3, NULL, 0, 1), -EAGAIN, "nonblocking");
    cr_assert_eq(endpoint(1)->queue_count, 2);

    park(&endpoint(1)->writers, APP);
    struct chan_received got = recv_ok(APP, ends[1]);
    cr_assert_eq(got.bytes, 1, "oldest first");
    cr_assert(woken(&endpoint(1)->writers, WAITQ_WAKE_DATA), "the receive wakes the sender");
    send_ok(APP, ends[0], 3);
    cr_assert_eq(recv_ok(APP, ends[1]).bytes, 2);
    cr_assert_eq(recv_ok(APP, ends[1]).bytes, 3);
    check_world();
}

Test(chan, empty_queue_blocks_the_receiver_on_its_readers)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    struct chan_received got;
    w.block_on = NULL;
    cr_assert_eq(chan_recv(&w, APP, ends[1], &got, 0), MODEL_WOULD_BLOCK);
    cr_assert_eq(w.block_on, &endpoint(1)->readers);
    cr_assert_eq(chan_recv(&w, APP, ends[1], &got, 1), -EAGAIN);

    park(&endpoint(1)->readers, APP);
    send_ok(APP, ends[0], 8);
    cr_assert(woken(&endpoint(1)->readers, WAITQ_WAKE_DATA), "a send wakes the reader");
    check_world();
}

Test(chan, bad_handles_and_carried_lists_are_refused)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    struct chan_received got;
    uint32_t self[] = {ends[0]}, twice[] = {ends[1], ends[1]}, closed[] = {5};
    uint32_t many[MESSAGE_HANDLES_MAX + 1] = {0};
    cr_assert_eq(chan_send(&w, APP, 7, 1, NULL, 0, 0), -EBADF, "no handle 7");
    cr_assert_eq(chan_recv(&w, APP, 99, &got, 0), -EBADF, "beyond the table");
    cr_assert_eq(chan_send(&w, APP, ends[0], 1, self, 1, 0), -EINVAL, "carrying itself");
    cr_assert_eq(chan_send(&w, APP, ends[0], 1, twice, 2, 0), -EINVAL, "the same handle twice");
    cr_assert_eq(chan_send(&w, APP, ends[0], 1, closed, 1, 0), -EBADF, "carrying a closed one");
    cr_assert_eq(chan_send(&w, APP, ends[0], 1, many, MESSAGE_HANDLES_MAX + 1, 0), -EINVAL);
    cr_assert_eq(endpoint(1)->queue_count, 0);
    check_world();
}

/* ---- closing --------------------------------------------------------------------------- */

Test(chan, peer_close_drains_then_eof_and_epipe)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    send_ok(APP, ends[0], 10);
    send_ok(APP, ends[0], 20);
    close_ok(APP, ends[0]);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_CLOSED);
    cr_assert_eq(endpoint(1)->state, ENDPOINT_OPEN);
    cr_assert_eq(w.channels_live, 1, "end B still holds the slot");
    check_world();

    struct chan_received got = recv_ok(APP, ends[1]);
    cr_assert(!got.eof && got.bytes == 10, "queued messages still arrive");
    got = recv_ok(APP, ends[1]);
    cr_assert(!got.eof && got.bytes == 20);
    w.block_on = NULL;
    cr_assert_eq(chan_recv(&w, APP, ends[1], &got, 0), 0, "drained: no block but eof");
    cr_assert(got.eof);
    cr_assert_null(w.block_on);
    cr_assert_eq(chan_send(&w, APP, ends[1], 1, NULL, 0, 0), -EPIPE);
    check_world();

    close_ok(APP, ends[1]);
    cr_assert_eq(endpoint(1)->state, ENDPOINT_CLOSED);
    cr_assert_eq(w.channels_live, 0);
    cr_assert(!w.channels[0].live);
    cr_assert_eq(proc_get(&w, APP)->channels_live, 0);
    check_world();
}

Test(chan, close_wakes_the_peers_readers_with_hup)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    park(&endpoint(1)->readers, APP);
    park(&endpoint(1)->writers, APP);
    close_ok(APP, ends[0]);
    cr_assert(woken(&endpoint(1)->readers, WAITQ_WAKE_HUP));
    cr_assert(woken(&endpoint(1)->writers, WAITQ_WAKE_HUP));
    cr_assert_eq(w.wake_count, 2, "nobody else was parked");
    check_world();
}

Test(chan, close_no_wake_bug_leaves_the_peers_readers_asleep)
{
    boot("bug_close_no_wake=true", NULL);
    uint32_t ends[2];
    create(APP, ends);
    park(&endpoint(1)->readers, APP);
    close_ok(APP, ends[0]);
    cr_assert(!woken(&endpoint(1)->readers, WAITQ_WAKE_HUP), "the bug: no wake-up");
    cr_assert_eq(w.wake_count, 0);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_CLOSED, "the close itself still happens");
    check_world();
}

Test(chan, slot_is_freed_only_when_both_ends_lose_every_reference)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    cr_assert_eq(proc_spawn(&w, APP, "child", SPAWN_FORK, NULL, 0, 0), PEER);
    cr_assert_eq(endpoint(0)->refs[REF_HANDLE], 2, "the fork copied both ends");

    close_ok(APP, ends[0]);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_OPEN, "the child still holds end A");
    close_ok(PEER, ends[0]);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_CLOSED);
    close_ok(APP, ends[1]);
    cr_assert_eq(endpoint(1)->state, ENDPOINT_OPEN);
    cr_assert_eq(w.channels_live, 1);
    check_world();

    uint64_t used = w.heap.used_bytes;
    close_ok(PEER, ends[1]);
    cr_assert_eq(endpoint(1)->state, ENDPOINT_CLOSED);
    cr_assert_eq(w.channels_live, 0);
    cr_assert_eq(w.heap.used_bytes, used - w.channel_bytes, "the channel's heap is freed");
    cr_assert_eq(proc_get(&w, APP)->channels_live, 0, "the creator's count drops");
    check_world();
}

/* ---- carrying handles ------------------------------------------------------------------- */

Test(chan, handle_transfer_copies_the_handle_by_default)
{
    boot(NULL);
    uint32_t pipe[2], carried[2];
    create(APP, pipe);    /* endpoints 0, 1 */
    create(APP, carried); /* endpoints 2, 3 */
    spawn_peer(&pipe[1], 1);
    cr_assert_eq(chan_send(&w, APP, pipe[0], 4, &carried[1], 1, 0), 0);
    const struct proc *app = proc_get(&w, APP);
    cr_assert_eq(app->handles[carried[1]].kind, HANDLE_ENDPOINT, "the sender keeps its handle");
    cr_assert_eq(endpoint(3)->refs[REF_HANDLE], 1);
    cr_assert_eq(endpoint(3)->refs[REF_OTHER], 1, "and a copy is in flight");
    check_world();
    struct chan_received got = recv_ok(PEER, pipe[1]);
    cr_assert_eq(got.handle_count, 1);
    cr_assert_eq(endpoint(3)->refs[REF_HANDLE], 2, "two handles onto it now");
    close_ok(PEER, got.handles[0]);
    cr_assert_eq(endpoint(3)->state, ENDPOINT_OPEN, "the sender's copy keeps it open");
    close_ok(APP, carried[1]);
    cr_assert_eq(endpoint(3)->state, ENDPOINT_CLOSED);
    check_world();
}

Test(chan, a_full_table_truncates_a_copied_handle_and_consumes_the_message)
{
    boot("max_handles=4", NULL);
    uint32_t pipe[2], carried[2];
    create(APP, pipe);
    create(APP, carried);
    cr_assert_eq(chan_send(&w, APP, pipe[0], 4, &carried[1], 1, 0), 0);
    send_ok(APP, pipe[0], 5);
    struct chan_received got = recv_ok(APP, pipe[1]);
    cr_assert_eq(got.bytes, 4, "the message is consumed");
    cr_assert_eq(got.handle_count, 0);
    cr_assert(got.truncated, "MSG_CTRUNC");
    cr_assert_eq(endpoint(3)->refs[REF_OTHER], 0, "the dropped copy is released");
    cr_assert_eq(recv_ok(APP, pipe[1]).bytes, 5, "the next message comes next");
    check_world();
}

Test(chan, handle_transfer_moves_the_reference)
{
    boot("handle_transfer=move", NULL);
    uint32_t pipe[2], carried[2];
    create(APP, pipe);    /* endpoints 0, 1 */
    create(APP, carried); /* endpoints 2, 3 */
    spawn_peer(&pipe[1], 1);

    cr_assert_eq(chan_send(&w, APP, pipe[0], 4, &carried[1], 1, 0), 0);
    const struct proc *app = proc_get(&w, APP), *peer = proc_get(&w, PEER);
    cr_assert_eq(app->handles[carried[1]].kind, HANDLE_FREE, "the handle left the sender");
    cr_assert_eq(app->handle_count, 3);
    cr_assert_eq(endpoint(3)->refs[REF_HANDLE], 0);
    cr_assert_eq(endpoint(3)->refs[REF_OTHER], 1, "in flight");
    cr_assert_eq(endpoint(3)->state, ENDPOINT_OPEN);
    check_world();

    struct chan_received got = recv_ok(PEER, pipe[1]);
    cr_assert_eq(got.handle_count, 1);
    uint32_t index = got.handles[0];
    cr_assert_eq(peer->handles[index].kind, HANDLE_ENDPOINT);
    cr_assert_eq(peer->handles[index].object, 3);
    cr_assert_eq(peer->handle_count, 2);
    cr_assert_eq(endpoint(3)->refs[REF_HANDLE], 1);
    cr_assert_eq(endpoint(3)->refs[REF_OTHER], 0);
    check_world();

    send_ok(PEER, index, 77); /* the moved end works in its new home */
    cr_assert_eq(recv_ok(APP, carried[0]).bytes, 77);
    check_world();
}

Test(chan, receive_emfile_leaves_the_message_queued)
{
    boot("handle_transfer=move", "max_handles=4", NULL);
    uint32_t pipe[2], carried[2];
    create(APP, pipe);
    create(APP, carried);
    cr_assert_eq(chan_send(&w, APP, pipe[0], 1, &carried[1], 1, 0), 0);
    int fd = chan_fd_from_handle(&w, APP, pipe[0]);
    cr_assert_eq(fd, (int)carried[1], "the fd fills the table again");
    struct chan_received got;
    cr_assert_eq(chan_recv(&w, APP, pipe[1], &got, 0), -EMFILE);
    cr_assert_eq(endpoint(1)->queue_count, 1, "the message stays queued");
    cr_assert_eq(endpoint(3)->refs[REF_OTHER], 1);
    check_world();
    close_ok(APP, pipe[0]);
    got = recv_ok(APP, pipe[1]);
    cr_assert_eq(got.handle_count, 1);
    cr_assert_eq(got.handles[0], pipe[0], "installed at the lowest free index");
    cr_assert_eq(endpoint(3)->refs[REF_HANDLE], 1);
    check_world();
}

/* Sends carried[1] over pipe[0], closes carried[0], then pipe[1]: the message is
 * destroyed undelivered with end B of channel 1 (endpoint 3) in it. */
static void destroy_a_message_carrying_an_end(uint32_t pipe[2], uint32_t carried[2])
{
    create(APP, pipe);
    create(APP, carried);
    cr_assert_eq(chan_send(&w, APP, pipe[0], 1000, &carried[1], 1, 0), 0);
    close_ok(APP, carried[0]);
    cr_assert(w.channels[1].live, "in flight, end B keeps channel 1");
    close_ok(APP, pipe[1]);
}

Test(chan, undelivered_message_releases_what_it_carries)
{
    boot("handle_transfer=move", NULL);
    uint32_t pipe[2], carried[2];
    uint64_t used = w.heap.used_bytes;
    destroy_a_message_carrying_an_end(pipe, carried);
    cr_assert(!w.channels[1].live, "the carried end was released: slot freed");
    cr_assert_eq(endpoint(3)->state, ENDPOINT_CLOSED);
    cr_assert_eq(w.channels_live, 1, "channel 0 lives on through end A");
    cr_assert_eq(w.heap.used_bytes, used + w.channel_bytes, "the payload was freed too");
    check_world();
    world_audit(&w, &out);
    cr_assert_null(strstr(text_str(&out), "channel 1"), "%s", text_str(&out));
    close_ok(APP, pipe[0]);
    cr_assert_eq(w.channels_live, 0);
    check_world();
}

Test(chan, leak_bug_keeps_what_an_undelivered_message_carries)
{
    boot("bug_leak_undelivered_handles=true", NULL);
    uint32_t pipe[2], carried[2];
    destroy_a_message_carrying_an_end(pipe, carried);
    cr_assert(w.channels[1].live, "the bug: channel 1 keeps its slot");
    cr_assert_eq(endpoint(3)->refs[REF_OTHER], 1);
    cr_assert_eq(endpoint(3)->orphaned_refs, 1);
    check_world(); /* the orphaned reference is accounted for */
    close_ok(APP, pipe[0]);
    cr_assert_eq(w.channels_live, 1, "only channel 0 was freed");

    cr_assert_geq(world_audit(&w, &out), 1);
    const char *report = text_str(&out);
    cr_assert(strstr(report, "channel 1 still holds a slot (created by pid 2"), "%s", report);
    cr_assert(strstr(report, "1 in-flight reference lost with a destroyed message"), "%s",
              report);
    cr_assert_null(strstr(report, "channel 0"), "channel 0 was freed: %s", report);
    check_world();
}

Test(chan, leak_bug_with_a_carried_port_still_passes_world_check)
{
    boot("bug_leak_undelivered_handles=true", NULL);
    uint32_t pipe[2];
    create(APP, pipe);
    uint32_t port = (uint32_t)port_create(&w, APP);
    cr_assert_eq(chan_send(&w, APP, pipe[0], 1, &port, 1, 0), 0);
    close_ok(APP, pipe[1]); /* the message carrying the port dies undelivered */
    cr_assert(w.ports[0].live, "the bug: the port leaks");
    check_world(); /* a leaked port reference, like an endpoint's, is not an inconsistency */
}

/* ---- bridged fds ------------------------------------------------------------------------- */

Test(chan, bridged_fd_keeps_the_endpoint_alive)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    int fd = chan_fd_from_handle(&w, APP, ends[0]);
    cr_assert_eq(fd, 2);
    cr_assert_eq(proc_get(&w, APP)->handles[fd].kind, HANDLE_ENDPOINT_FD);
    cr_assert_eq(endpoint(0)->refs[REF_FD], 1);
    cr_assert_eq(chan_fd_from_handle(&w, APP, (uint32_t)fd), -EBADF, "not from an fd");
    check_world();

    close_ok(APP, ends[0]);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_OPEN, "the fd holds end A");
    struct chan_received got;
    cr_assert_eq(chan_recv(&w, APP, ends[1], &got, 1), -EAGAIN, "no eof yet");
    send_ok(APP, (uint32_t)fd, 5); /* the fd sends like the handle did */
    cr_assert_eq(recv_ok(APP, ends[1]).bytes, 5);
    check_world();

    close_ok(APP, (uint32_t)fd);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_CLOSED);
    cr_assert(recv_ok(APP, ends[1]).eof, "eof once the fd closes");
    check_world();
}

Test(chan, liveness_bug_ignores_the_bridged_fd)
{
    boot("bug_liveness_handles_only=true", NULL);
    uint32_t ends[2];
    create(APP, ends);
    int fd = chan_fd_from_handle(&w, APP, ends[0]);
    cr_assert_geq(fd, 0);
    close_ok(APP, ends[0]);
    cr_assert_eq(endpoint(0)->state, ENDPOINT_CLOSED, "the bug: torn down under the fd");
    cr_assert(recv_ok(APP, ends[1]).eof, "the peer sees eof at once");
    cr_assert_eq(chan_send(&w, APP, (uint32_t)fd, 1, NULL, 0, 0), -EPIPE);
    check_world();

    close_ok(APP, ends[1]);
    cr_assert(w.channels[0].live, "the fd's reference still holds the slot");
    close_ok(APP, (uint32_t)fd);
    cr_assert_eq(w.channels_live, 0);
    check_world();
}

/* ---- reference history ------------------------------------------------------------------- */

Test(chan, history_records_each_reference_event)
{
    boot("handle_transfer=move", NULL);
    uint32_t pipe[2], carried[2];
    w.step = 10;
    create(APP, pipe);
    create(APP, carried);
    spawn_peer(&pipe[1], 1);
    w.step = 20;
    cr_assert_eq(chan_send(&w, APP, pipe[0], 1, &carried[1], 1, 0), 0);
    w.step = 30;
    w.current = PEER;
    struct chan_received got = recv_ok(PEER, pipe[1]);
    w.step = 40;
    close_ok(PEER, got.handles[0]);

    chan_write_history(endpoint(3), &out, "  ");
    cr_assert_str_eq(text_str(&out), "  step 10     pid 2    init     handle\n"
                                     "  step 20     pid 2    get      in flight\n"
                                     "  step 20     pid 2    put      handle\n"
                                     "  step 30     pid 3    get      handle\n"
                                     "  step 30     pid 3    put      in flight\n"
                                     "  step 40     pid 3    last put handle\n");
}

Test(chan, describe_counts_the_copies_that_keep_the_peer_open)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    chan_describe(&endpoint(0)->readers, &out);
    cr_assert_null(strstr(text_str(&out), "copies"), "one holder: no note: %s", text_str(&out));
    /* A fork copies the peer end (B) into the child: two processes hold it. */
    cr_assert_eq(proc_spawn(&w, APP, "child", SPAWN_FORK, NULL, 0, 0), PEER);
    text_free(&out);
    chan_describe(&endpoint(0)->readers, &out);
    cr_assert(strstr(text_str(&out), "; 2 processes hold copies of the peer end, which stays "
                                     "open until every copy is closed\n"),
              "%s", text_str(&out));
    /* The parent's close is not the peer's close: it stays open in the child. */
    close_ok(APP, ends[1]);
    cr_assert_eq(endpoint(1)->state, ENDPOINT_OPEN);
    text_free(&out);
    chan_describe(&endpoint(0)->readers, &out);
    cr_assert_null(strstr(text_str(&out), "copies"), "one holder again: %s", text_str(&out));
    check_world();
}

Test(chan, history_keeps_the_last_events)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    for (uint64_t i = 0; i < 10; i++) {
        w.step = i;
        int fd = chan_fd_from_handle(&w, APP, ends[0]);
        close_ok(APP, (uint32_t)fd);
    }
    cr_assert_eq(endpoint(0)->history_count, 21);
    chan_write_history(endpoint(0), &out, "");
    const char *text = text_str(&out);
    cr_assert(strncmp(text, "(5 earlier reference events not kept)\n", 38) == 0, "%s", text);
    cr_assert(strstr(text, "step 9      pid 2    put      bridged fd\n"), "%s", text);
}

/* ---- ports ------------------------------------------------------------------------------- */

Test(chan, port_hears_readable_and_peer_closed)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    uint64_t used = w.heap.used_bytes;
    int port = port_create(&w, APP);
    cr_assert_eq(port, 2, "the port's handle index");
    cr_assert_eq(proc_get(&w, APP)->handles[port].kind, HANDLE_PORT);
    cr_assert_eq(w.ports_live, 1);
    cr_assert_eq(w.heap.used_bytes, used + w.port_bytes);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, ends[1], 7), 0);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, ends[1], 8), -EINVAL, "bound already");
    cr_assert_eq(port_bind(&w, APP, ends[0], ends[1], 8), -EBADF, "not a port");
    cr_assert_eq(w.ports[0].bound, 1);

    struct port_event ev;
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), -EAGAIN);
    w.block_on = NULL;
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 0), MODEL_WOULD_BLOCK);
    cr_assert_eq(w.block_on, &w.ports[0].waiters);

    park(&w.ports[0].waiters, APP);
    send_ok(APP, ends[0], 1);
    send_ok(APP, ends[0], 1);
    cr_assert(woken(&w.ports[0].waiters, WAITQ_WAKE_DATA));
    cr_assert_eq(w.ports[0].ready_count, 1, "an endpoint is on the ready list once");
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 0), 0);
    cr_assert_eq(ev.kind, PORT_EVENT_READABLE);
    cr_assert_eq(ev.key, 7);
    check_world();

    w.wake_count = 0;
    recv_ok(APP, ends[1]);
    recv_ok(APP, ends[1]);
    close_ok(APP, ends[0]);
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 0), 0);
    cr_assert_eq(ev.kind, PORT_EVENT_PEER_CLOSED | PORT_EVENT_READABLE,
                 "a hang-up, and its end of file is readable");
    cr_assert_eq(ev.key, 7);
    check_world();
}

Test(chan, a_level_triggered_port_reports_an_end_while_it_has_events)
{
    boot(NULL);
    uint32_t a[2], b[2];
    create(APP, a);
    create(APP, b);
    int port = port_create(&w, APP);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, a[1], 1), 0);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, b[1], 2), 0);
    send_ok(APP, a[0], 1);
    send_ok(APP, a[0], 1);
    send_ok(APP, b[0], 1);
    struct port_event ev;
    uint64_t keys[4];
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), 0, "event %d", i);
        keys[i] = ev.key;
        recv_ok(APP, ev.key == 1 ? a[1] : b[1]); /* one message per event */
    }
    cr_assert(keys[0] == 1 && keys[1] == 2 && keys[2] == 1,
              "round-robin, and the end with one more message again: %llu %llu %llu",
              (unsigned long long)keys[0], (unsigned long long)keys[1],
              (unsigned long long)keys[2]);
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), -EAGAIN, "drained: stale, dropped");
    cr_assert_eq(w.ports[0].ready_count, 0);
    /* A hang-up stays: it is reported until the end is unbound. */
    close_ok(APP, b[0]);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), 0);
        cr_assert(ev.key == 2 && (ev.kind & PORT_EVENT_PEER_CLOSED));
    }
    cr_assert_eq(port_unbind(&w, APP, (uint32_t)port, b[1]), 0);
    cr_assert_eq(port_unbind(&w, APP, (uint32_t)port, b[1]), -ENOENT, "not bound any more");
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), -EAGAIN);
    check_world();
}

Test(chan, an_edge_triggered_port_reports_an_end_once_per_arrival)
{
    boot("port_trigger=edge", NULL);
    uint32_t a[2];
    create(APP, a);
    int port = port_create(&w, APP);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, a[1], 1), 0);
    send_ok(APP, a[0], 1);
    send_ok(APP, a[0], 1);
    struct port_event ev;
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), 0);
    recv_ok(APP, a[1]);
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), -EAGAIN,
                 "one message left, but no new arrival");
    send_ok(APP, a[0], 1);
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), 0, "a new arrival");
    check_world();
}

Test(chan, binding_an_end_whose_peer_closed_reports_peer_closed_at_once)
{
    boot(NULL);
    uint32_t a[2];
    create(APP, a);
    close_ok(APP, a[0]);
    int port = port_create(&w, APP);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, a[1], 9), 0);
    struct port_event ev;
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), 0);
    cr_assert(ev.key == 9 && (ev.kind & PORT_EVENT_PEER_CLOSED));
    check_world();
}

Test(chan, port_bind_reports_messages_already_queued)
{
    boot(NULL);
    uint32_t ends[2];
    create(APP, ends);
    send_ok(APP, ends[0], 1);
    int port = port_create(&w, APP);
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, ends[1], 3), 0);
    struct port_event ev;
    cr_assert_eq(port_wait(&w, APP, (uint32_t)port, &ev, 1), 0);
    cr_assert(ev.kind == PORT_EVENT_READABLE && ev.key == 3);
    check_world();
}

Test(chan, port_is_freed_with_its_last_handle)
{
    boot("max_ports=1", NULL);
    uint32_t ends[2];
    create(APP, ends);
    int port = port_create(&w, APP);
    cr_assert_geq(port, 0);
    cr_assert_eq(port_create(&w, APP), -ENFILE, "max_ports=1");
    cr_assert_eq(port_bind(&w, APP, (uint32_t)port, ends[1], 1), 0);
    cr_assert_eq(proc_spawn(&w, APP, "child", SPAWN_FORK, NULL, 0, 0), PEER);
    cr_assert_eq(w.ports[0].refs, 2);
    uint64_t used = w.heap.used_bytes - w.port_bytes;

    park(&w.ports[0].waiters, PEER);
    close_ok(APP, (uint32_t)port);
    cr_assert(w.ports[0].live, "the child's copy keeps it");
    close_ok(PEER, (uint32_t)port);
    cr_assert(!w.ports[0].live);
    cr_assert_eq(w.ports_live, 0);
    cr_assert_eq(endpoint(1)->port, 0, "the endpoint is unbound");
    cr_assert(woken(&w.ports[0].waiters, WAITQ_WAKE_CLOSE));
    w.ports[0].waiters.count = 0; /* the wake carried out, as the scheduler would */
    cr_assert_eq(w.heap.used_bytes, used, "the port's heap is freed");
    check_world();
    send_ok(APP, ends[0], 1); /* no port to post to any more */
    cr_assert_geq(port_create(&w, APP), 0, "the slot is free again");
    check_world();
}

/* ---- capacity in bytes, pipes ----------------------------------------------------------- */

Test(chan, a_channel_queue_is_bounded_in_bytes_as_well_as_messages)
{
    boot("queue_bytes=10000", NULL);
    uint32_t ends[2];
    create(APP, ends);
    send_ok(APP, ends[0], 4000);
    send_ok(APP, ends[0], 4000);
    cr_assert_eq(chan_send(&w, APP, ends[0], 4000, NULL, 0, 1), -EAGAIN, "no room for 4000 more");
    cr_assert_eq(chan_send(&w, APP, ends[0], 4000, NULL, 0, 0), MODEL_WOULD_BLOCK);
    send_ok(APP, ends[0], 2000);
    cr_assert_eq(chan_send(&w, APP, ends[0], 10001, NULL, 0, 0), -EMSGSIZE, "never fits");
    cr_assert_eq(endpoint(1)->queued_bytes, 10000);
    check_world();
    recv_ok(APP, ends[1]);
    cr_assert_eq(endpoint(1)->queued_bytes, 6000);
    send_ok(APP, ends[0], 4000);
    check_world();
}

Test(chan, a_pipe_holds_65536_bytes_and_small_writes_share_it)
{
    boot(NULL);
    uint32_t p[2];
    cr_assert_eq(chan_create_pipe(&w, APP, p), 0);
    for (int i = 0; i < 20; i++) {
        uint64_t written = 0;
        cr_assert_eq(chan_write(&w, APP, p[1], 20, &written, 1), 0, "write %d", i);
        cr_assert_eq(written, 20);
    }
    uint64_t written = 0;
    cr_assert_eq(chan_write(&w, APP, p[1], 100000, &written, 1), 0, "nonblocking: partial");
    cr_assert_eq(written, 65536 - 400, "what fits");
    written = 0;
    cr_assert_eq(chan_write(&w, APP, p[1], 1, &written, 1), -EAGAIN, "full");
    check_world();
    uint64_t got;
    cr_assert_eq(chan_read(&w, APP, p[0], 1000, &got, 1), 0);
    cr_assert_eq(got, 1000, "a read takes what it asks, across writes");
    check_world();
}

Test(chan, a_pipe_write_up_to_pipe_buf_is_atomic_a_longer_one_partial)
{
    boot("queue_bytes=10000", NULL);
    uint32_t p[2];
    cr_assert_eq(chan_create_pipe(&w, APP, p), 0);
    uint64_t written = 0;
    cr_assert_eq(chan_write(&w, APP, p[1], 9000, &written, 0), 0);
    written = 0;
    cr_assert_eq(chan_write(&w, APP, p[1], 2000, &written, 0), MODEL_WOULD_BLOCK,
                 "2000 <= PIPE_BUF: whole or not at all");
    cr_assert_eq(written, 0);
    cr_assert_eq(chan_write(&w, APP, p[1], 5000, &written, 0), MODEL_WOULD_BLOCK_PARTIAL,
                 "5000 > PIPE_BUF: takes what fits, waits for the rest");
    cr_assert_eq(written, 1000);
    uint64_t got;
    cr_assert_eq(chan_read(&w, APP, p[0], 100000, &got, 0), 0);
    cr_assert_eq(got, 10000, "a read returns what is there");
    cr_assert_eq(chan_write(&w, APP, p[1], 5000, &written, 0), 0, "the rest goes in");
    cr_assert_eq(written, 5000);
    check_world();
}

Test(chan, a_pipe_reads_at_one_end_writes_at_the_other_and_ends_in_eof)
{
    boot(NULL);
    uint32_t p[2], c[2];
    cr_assert_eq(chan_create_pipe(&w, APP, p), 0);
    create(APP, c);
    uint64_t n = 0;
    cr_assert_eq(chan_write(&w, APP, p[0], 1, &n, 0), -EBADF, "the read end");
    cr_assert_eq(chan_read(&w, APP, p[1], 1, &n, 0), -EBADF, "the write end");
    cr_assert_eq(chan_send(&w, APP, p[1], 1, NULL, 0, 0), -EINVAL, "no messages on a pipe");
    struct chan_received m;
    cr_assert_eq(chan_recv(&w, APP, p[0], &m, 0), -EINVAL);
    cr_assert_eq(chan_write(&w, APP, c[0], 1, &n, 0), -EINVAL, "no bytes on a channel");
    cr_assert_eq(chan_fd_from_handle(&w, APP, p[0]), -EINVAL);
    cr_assert_eq(chan_write(&w, APP, p[1], 7, &n, 0), 0);
    cr_assert_eq(chan_read(&w, APP, p[0], 1, &n, 0), 0, "one byte");
    cr_assert_eq(n, 1);
    close_ok(APP, p[1]);
    cr_assert_eq(chan_read(&w, APP, p[0], 100, &n, 0), 0);
    cr_assert_eq(n, 6, "what was written before the close");
    cr_assert_eq(chan_read(&w, APP, p[0], 100, &n, 0), 0);
    cr_assert_eq(n, 0, "then end of file");
    check_world();
}

Test(chan, a_write_to_a_pipe_whose_reader_closed_raises_sigpipe)
{
    boot(NULL);
    uint32_t p[2];
    cr_assert_eq(chan_create_pipe(&w, APP, p), 0);
    close_ok(APP, p[0]);
    uint64_t n = 0;
    cr_assert_eq(chan_write(&w, APP, p[1], 10, &n, 0), -EPIPE);
    cr_assert(proc_signal_is_pending(&w, APP, SIG_PIPE), "SIGPIPE to the writer");
    uint32_t c[2];
    create(APP, c);
    close_ok(APP, c[1]);
    cr_assert_eq(chan_send(&w, APP, c[0], 10, NULL, 0, 0), -EPIPE);
    cr_assert_eq(proc_signal_take_fatal(&w, APP), SIG_PIPE, "only the pipe's");
    check_world();
}
