/* uapi — the model's types and constants that scenario code sees (through
 * sim/sys.h): what a receive returns, port events, spawn modes, signal numbers.
 * As a kernel's uapi headers, they are the contract: the rest of the model stays
 * behind the sys_* calls. */
#ifndef DETSIM_UAPI_H
#define DETSIM_UAPI_H

#include <stdint.h>

/* Handles one message carries at most. */
#define MESSAGE_HANDLES_MAX 4

/* What sys_chan_recv returns. */
struct chan_received {
    int eof; /* the peer closed and the queue is drained: no message */
    uint64_t bytes;
    uint32_t sender; /* the sending pid */
    uint32_t handle_count;
    uint32_t handles[MESSAGE_HANDLES_MAX]; /* indices in the receiver's table */
    int truncated; /* MSG_CTRUNC: carried handles dropped, no room for them */
};

/* What sys_port_wait returns: the events of an endpoint bound under key. */
enum port_event_kind {
    PORT_EVENT_READABLE = 1,   /* a receive would not block: a message, bytes, end of file */
    PORT_EVENT_PEER_CLOSED = 2 /* the peer end went away (EPOLLHUP) */
};

struct port_event {
    uint8_t kind; /* a mask of enum port_event_kind */
    uint64_t key;
};

/* Which handles a spawned child gets (sys_spawn_with). */
enum proc_spawn_mode {
    SPAWN_FORK,      /* a copy of every handle */
    SPAWN_FORK_EXEC, /* every handle not marked close-on-exec */
    SPAWN_EXPLICIT   /* only the listed handles, like posix_spawn file actions */
};

/* Signal numbers (Linux's). 0 sends nothing: sys_kill(pid, 0) only asks whether
 * pid exists (a zombie does). */
#define SIG_INT 2
#define SIG_KILL 9
#define SIG_PIPE 13 /* a write to a pipe whose reader closed; the default terminates */
#define SIG_TERM 15
#define SIG_CHLD 17 /* a child exited; the default ignores it (the child is a zombie) */

/* sys_wait's status, encoded as Linux encodes a wait status: read it with these,
 * as with <sys/wait.h>'s WIFEXITED, WEXITSTATUS, WIFSIGNALED and WTERMSIG. A
 * process that returns from its function or calls sys_exit(code) exited with the
 * low 8 bits of code; one a signal ended (SIG_KILL, a SIG_INT or SIG_TERM it did
 * not catch, an OOM kill) was signalled. */
#define SYS_WIFEXITED(status) (((status) & 0x7f) == 0)
#define SYS_WEXITSTATUS(status) (((status) >> 8) & 0xff)
#define SYS_WIFSIGNALED(status) (((status) & 0x7f) != 0)
#define SYS_WTERMSIG(status) ((status) & 0x7f)

/* The status a process leaves: an exit with code, or the end by signal sig. */
#define SYS_W_EXITCODE(code) (((code) & 0xff) << 8)
#define SYS_W_TERMSIG(sig) ((sig) & 0x7f)

/* What sys_signal_catch installs for a signal, as sigaction does. */
#define SIG_ACTION_DEFAULT 0 /* SIG_DFL: SIG_CHLD is discarded, the others terminate */
#define SIG_ACTION_CATCH 1   /* a handler: it runs when the signal is delivered */
#define SIG_ACTION_IGNORE 2  /* SIG_IGN: the signal is discarded when sent; for SIG_CHLD,
                                children are reaped as they exit (no zombies) */
#define SIG_ACTION_RESTART 4 /* with SIG_ACTION_CATCH: SA_RESTART */

#endif
