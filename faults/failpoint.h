/* failpoint — what a model sees of fault injection: the failpoint ids, the gate,
 * and "return this error here".
 *
 * A failpoint is a named place in a model where a real kernel can fail: an
 * allocation, a table insertion, a spawn. The models ask fault_fail(ID) there and,
 * when it says yes, return the error a real kernel would, leaving their state as it
 * was. The names are paths matching the source tree ("model/chan/create"), so a
 * pattern ending in '*' ("model/chan/" then '*') arms a whole module. Who decides
 * whether a point fires is the run's fault plan (fault.h); a model never sees it.
 * When nothing is armed, fault_fail is one load and a branch: libfiu is not called. */
#ifndef DETSIM_FAILPOINT_H
#define DETSIM_FAILPOINT_H

#include <stdint.h>

#include <fiu.h>

/* The failpoints. The id of a point is part of the trace hash (it is the argument
 * of a fault event): never renumber one, only append. */
enum fault_point_id {
    FAULT_HEAP_ALLOC = 0,     /* model/heap/alloc */
    FAULT_CHAN_CREATE = 1,    /* model/chan/create */
    FAULT_CHAN_SEND = 2,      /* model/chan/send */
    FAULT_CHAN_FD = 3,        /* model/chan/fd */
    FAULT_PORT_CREATE = 4,    /* model/port/create */
    FAULT_PROC_SPAWN = 5,     /* model/proc/spawn */
    FAULT_PROC_HANDLE = 6,    /* model/proc/handle */
    FAULT_SLOTS_CHANNELS = 7, /* slots/channels */
    FAULT_SLOTS_PROCS = 8,    /* slots/procs */
    FAULT_SLOTS_HANDLES = 9,  /* slots/handles */
    FAULT_POINT_COUNT
};

struct fault_point {
    const char *name;        /* "model/chan/create" */
    int error;               /* what the model returns when it fires: -ENOMEM */
    int is_slots;            /* a slot fault (free=N), not a libfiu failpoint */
    const char *description; /* one line, for 'detsim faults' */
};

extern const struct fault_point fault_points[FAULT_POINT_COUNT];

/* Nonzero while a plan has armed at least one libfiu failpoint: the gate that
 * keeps an unarmed failpoint at a load and a branch. */
extern int fault_armed;

/* The question a model asks at failpoint id: does it fail here, now? */
static inline int fault_fail(enum fault_point_id id)
{
    (void)id; /* unused when built without libfiu, where fiu_fail is 0 */
    return __builtin_expect(fault_armed != 0, 0) && fiu_fail(fault_points[id].name) != 0;
}

/* fiu_return_on for detsim failpoints: returns the point's error when it fires. */
#define FAULT_RETURN_ON(id)                                                             \
    do {                                                                                \
        if (fault_fail(id))                                                             \
            return fault_points[id].error;                                              \
    } while (0)

#define FAULT_SPECS_MAX 32 /* fault specs one run may arm */

struct fault_plan;

/* Records that slot fault id refused something (the world calls this). plan may be
 * NULL. */
void fault_plan_record(struct fault_plan *plan, enum fault_point_id id);

/* The name of failpoint id, "?" when out of range. */
const char *fault_point_name(int64_t id);

#endif
