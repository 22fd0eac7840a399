/* trace — events, hash and output; see trace.h. */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>

#include "faults/failpoint.h"
#include "model/uapi.h"
#include "util/errno_name.h"
#include "util/json.h"

static const char *const op_names[TRACE_OP_COUNT] = {
    [TRACE_OP_SPAWN] = "spawn",         [TRACE_OP_EXIT] = "exit",
    [TRACE_OP_YIELD] = "yield",         [TRACE_OP_SLEEP] = "sleep",
    [TRACE_OP_NOW] = "now",             [TRACE_OP_JOIN] = "join",
    [TRACE_OP_MUTEX_CREATE] = "mutex_create", [TRACE_OP_MUTEX_LOCK] = "mutex_lock",
    [TRACE_OP_MUTEX_UNLOCK] = "mutex_unlock", [TRACE_OP_SEM_CREATE] = "sem_create",
    [TRACE_OP_SEM_WAIT] = "sem_wait",   [TRACE_OP_SEM_POST] = "sem_post",
    [TRACE_OP_WAKE] = "wake",           [TRACE_OP_CHECK_FAILED] = "check_failed",
    [TRACE_OP_LOG] = "log",             [TRACE_OP_START] = "start",
    [TRACE_OP_KILLED] = "killed",       [TRACE_OP_WAIT] = "wait",
    [TRACE_OP_KILL] = "kill",           [TRACE_OP_CHAN_CREATE] = "chan_create",
    [TRACE_OP_CHAN_SEND] = "chan_send", [TRACE_OP_CHAN_RECV] = "chan_recv",
    [TRACE_OP_CLOSE] = "close",         [TRACE_OP_FD_FROM_HANDLE] = "fd_from_handle",
    [TRACE_OP_PORT_CREATE] = "port_create", [TRACE_OP_PORT_BIND] = "port_bind",
    [TRACE_OP_PORT_WAIT] = "port_wait", [TRACE_OP_ALLOC] = "alloc",
    [TRACE_OP_TRY_ALLOC] = "try_alloc", [TRACE_OP_FREE] = "free",
    [TRACE_OP_CLOSERANGE] = "closerange", [TRACE_OP_SET_CLOEXEC] = "set_cloexec",
    [TRACE_OP_SIGNAL_CATCH] = "signal_catch", [TRACE_OP_GROUP_CREATE] = "group_create",
    [TRACE_OP_GROUP_KILL] = "group_kill", [TRACE_OP_GROUP_DROP] = "group_drop",
    [TRACE_OP_GROUP_SHUTDOWN] = "group_shutdown", [TRACE_OP_OOM] = "oom",
    [TRACE_OP_FAULT] = "fault",         [TRACE_OP_SIGNAL] = "signal",
    [TRACE_OP_PIPE] = "pipe",           [TRACE_OP_WRITE] = "write",
    [TRACE_OP_READ] = "read",           [TRACE_OP_PORT_UNBIND] = "port_unbind",
    [TRACE_OP_SIGNAL_WAKEUP] = "signal_wakeup", [TRACE_OP_SUBREAPER] = "subreaper",
};

static const char *const wake_names[WAITQ_WAKE_COUNT] = {
    [WAITQ_WAKE_NONE] = "none",       [WAITQ_WAKE_DATA] = "data",
    [WAITQ_WAKE_HUP] = "hup",         [WAITQ_WAKE_CLOSE] = "close",
    [WAITQ_WAKE_SIGNAL] = "signal",   [WAITQ_WAKE_TIMEOUT] = "timeout",
    [WAITQ_WAKE_RELEASE] = "release", [WAITQ_WAKE_EXIT] = "exit",
    [WAITQ_WAKE_TIMER] = "timer",
};

const char *trace_op_name(enum trace_op op)
{
    return (unsigned)op < TRACE_OP_COUNT && op_names[op] ? op_names[op] : "?";
}

const char *trace_wake_name(enum waitq_wake wake)
{
    return (unsigned)wake < WAITQ_WAKE_COUNT ? wake_names[wake] : "?";
}

const char *trace_format_duration(uint64_t ns, char buf[32])
{
    static const struct { uint64_t scale; const char *unit; } units[] = {
        {1000000000ULL, "s"}, {1000000ULL, "ms"}, {1000ULL, "us"}};
    for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ns >= units[i].scale) {
            uint64_t whole = ns / units[i].scale;
            uint64_t milli = ns % units[i].scale / (units[i].scale / 1000);
            snprintf(buf, 32, "%" PRIu64 ".%03" PRIu64 "%s", whole, milli, units[i].unit);
            return buf;
        }
    }
    snprintf(buf, 32, "%" PRIu64 "ns", ns);
    return buf;
}

void trace_init(struct trace *t)
{
    *t = (struct trace){0};
    t->hash_state = 0x6a09e667f3bcc908ULL; /* any fixed start; this one is sqrt(2)'s bits */
}

static void write_result_text(FILE *out, int64_t result)
{
    const char *name = errno_name(result);
    if (result == TRACE_RESULT_BLOCKED)
        fputs("blocked", out);
    else if (name)
        fputs(name, out);
    else
        fprintf(out, "%" PRId64, result);
}

static void write_event(const struct trace *t, const struct trace_event *e)
{
    const char *task = t->names.task ? t->names.task(t->names.context, e->pid) : NULL;
    const char *object =
        e->object && t->names.object ? t->names.object(t->names.context, e->object) : NULL;
    if (e->op == TRACE_OP_FAULT)
        object = fault_point_name(e->arg); /* a fault names its failpoint */
    if (t->format == TRACE_FORMAT_JSONL) {
        fprintf(t->out, "{\"step\":%" PRIu64 ",\"vtime_ns\":%" PRIu64 ",\"pid\":%" PRIu32,
                e->step, e->vtime_ns, e->pid);
        fputs(",\"task\":", t->out);
        json_write_string(t->out, task ? task : "");
        fprintf(t->out, ",\"op\":\"%s\",\"object_id\":%" PRIu64 ",\"object\":",
                trace_op_name(e->op), e->object);
        json_write_string(t->out, object ? object : "");
        fprintf(t->out, ",\"arg\":%" PRId64 ",\"result\":", e->arg);
        if (e->result == TRACE_RESULT_BLOCKED)
            fputs("\"blocked\"", t->out);
        else if (errno_name(e->result))
            fprintf(t->out, "\"%s\"", errno_name(e->result));
        else
            fprintf(t->out, "%" PRId64, e->result);
        fprintf(t->out, ",\"wake\":\"%s\"}\n", trace_wake_name(e->wake));
        return;
    }
    char when[32];
    fprintf(t->out, "%8" PRIu64 " %12s  pid %-3" PRIu32 " %-12s %-13s", e->step,
            trace_format_duration(e->vtime_ns, when), e->pid, task ? task : "",
            trace_op_name(e->op));
    if (object)
        fprintf(t->out, " %s", object);
    char length[32];
    switch (e->op) {
    case TRACE_OP_WAKE:
        fprintf(t->out, " wakes pid %" PRId64 " (%s)\n", e->arg, trace_wake_name(e->wake));
        return;
    case TRACE_OP_START:
        fprintf(t->out, " (parent pid %" PRId64 ")\n", e->arg);
        return;
    case TRACE_OP_SLEEP:
        fprintf(t->out, " %s", trace_format_duration((uint64_t)e->arg, length));
        break;
    case TRACE_OP_SPAWN:
        fputs(" -> pid", t->out);
        break;
    case TRACE_OP_EXIT: /* the wait status, in words: an exit code, or the signal */
        if (SYS_WIFSIGNALED(e->arg))
            fprintf(t->out, " signal %" PRId64, (int64_t)SYS_WTERMSIG(e->arg));
        else if (SYS_WEXITSTATUS(e->arg))
            fprintf(t->out, " %" PRId64, (int64_t)SYS_WEXITSTATUS(e->arg));
        fputs(" ->", t->out);
        break;
    case TRACE_OP_FAULT:
        fputs(" fired ->", t->out);
        break;
    default:
        if (!object && e->arg)
            fprintf(t->out, " %" PRId64, e->arg);
        fputs(" ->", t->out);
        break;
    }
    fputc(' ', t->out);
    write_result_text(t->out, e->result);
    if (e->wake != WAITQ_WAKE_NONE)
        fprintf(t->out, "  (woken: %s)", trace_wake_name(e->wake));
    fputc('\n', t->out);
}

void trace_output(struct trace *t, const struct trace_event *e)
{
    if (t->out)
        write_event(t, e);
    if (t->observe)
        t->observe(t->observe_context, e);
}

void trace_note(struct trace *t, uint64_t step, uint64_t vtime_ns, uint32_t pid,
                const char *message)
{
    if (!t->out)
        return;
    if (t->format == TRACE_FORMAT_JSONL) {
        fprintf(t->out, "{\"step\":%" PRIu64 ",\"vtime_ns\":%" PRIu64 ",\"pid\":%" PRIu32
                        ",\"note\":",
                step, vtime_ns, pid);
        json_write_string(t->out, message);
        fputs("}\n", t->out);
    } else {
        char when[32];
        fprintf(t->out, "%8" PRIu64 " %12s  pid %-3" PRIu32 " %s\n", step,
                trace_format_duration(vtime_ns, when), pid, message);
    }
}

uint64_t trace_hash(const struct trace *t)
{
    /* splitmix64's finaliser, so nearby states give unrelated hashes */
    uint64_t z = t->hash_state ^ t->event_count;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
