/* errno_name — see errno_name.h. */
#include "errno_name.h"

#include <errno.h>
#include <stddef.h>

const char *errno_name(int64_t result)
{
    switch (result) {
    case -ENFILE: return "-ENFILE";
    case -EMFILE: return "-EMFILE";
    case -EAGAIN: return "-EAGAIN";
    case -EPIPE: return "-EPIPE";
    case -ENOMEM: return "-ENOMEM";
    case -ETIMEDOUT: return "-ETIMEDOUT";
    case -EINTR: return "-EINTR";
    case -ECHILD: return "-ECHILD";
    case -EBADF: return "-EBADF";
    case -EINVAL: return "-EINVAL";
    case -EDEADLK: return "-EDEADLK";
    case -EPERM: return "-EPERM";
    case -ESRCH: return "-ESRCH";
    case -E2BIG: return "-E2BIG";
    case -EMSGSIZE: return "-EMSGSIZE";
    case -ENOENT: return "-ENOENT";
    default: return NULL;
    }
}
