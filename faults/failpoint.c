/* failpoint — the failpoint table and the gate; see failpoint.h. */
#include "failpoint.h"

#include <errno.h>

const struct fault_point fault_points[FAULT_POINT_COUNT] = {
    [FAULT_HEAP_ALLOC] = {"model/heap/alloc", -ENOMEM, 0,
                          "a kernel heap allocation fails, fallible (-ENOMEM) or infallible "
                          "(the OOM policy applies)"},
    [FAULT_CHAN_CREATE] = {"model/chan/create", -ENOMEM, 0,
                           "channel creation cannot allocate the channel object"},
    [FAULT_CHAN_SEND] = {"model/chan/send", -ENOMEM, 0,
                         "a send cannot allocate the payload of a message above "
                         "inline_msg_bytes"},
    [FAULT_CHAN_FD] = {"model/chan/fd", -ENFILE, 0,
                       "bridging an fd onto an endpoint finds the system file table full"},
    [FAULT_PORT_CREATE] = {"model/port/create", -ENOMEM, 0,
                           "port creation cannot allocate the port object"},
    [FAULT_PROC_SPAWN] = {"model/proc/spawn", -EAGAIN, 0,
                          "spawn is refused for lack of resources, as fork's EAGAIN"},
    [FAULT_PROC_HANDLE] = {"model/proc/handle", -EMFILE, 0,
                           "a handle-table insertion (create, receive, fd, port) finds the "
                           "table full"},
    [FAULT_SLOTS_CHANNELS] = {"slots/channels", -ENFILE, 1,
                              "free=N[,after=STEP]: only N free channel-table slots from "
                              "STEP on"},
    [FAULT_SLOTS_PROCS] = {"slots/procs", -EAGAIN, 1,
                           "free=N[,after=STEP]: only N free process-table slots from STEP "
                           "on"},
    [FAULT_SLOTS_HANDLES] = {"slots/handles", -EMFILE, 1,
                             "free=N[,after=STEP]: each handle table keeps only N free "
                             "entries from STEP on"},
};

int fault_armed;

const char *fault_point_name(int64_t id)
{
    return id >= 0 && id < FAULT_POINT_COUNT ? fault_points[id].name : "?";
}
