/* fault_preload — an LD_PRELOAD library that makes one call of detsim fail, for
 * tests/fault_inject.sh (`make faultinject`).
 *
 * DETSIM_FAIL=CALL:N makes the Nth call to CALL fail as the system would: write
 * (ENOSPC), fsync (EIO), rename (EIO), fork (EAGAIN) or malloc (ENOMEM; calloc and
 * realloc count as malloc); CALL:N+ makes every call from the Nth on fail. Calls are counted per process; a forked child starts
 * from its parent's count. DETSIM_FAIL_COUNT=FILE appends "CALL COUNT" for each CALL
 * to FILE when the process exits normally, so that a driver knows how many calls
 * there are to fail. Deterministic: no randomness, no clock.
 *
 * stdio's own writes go through glibc's internal write, which no preload sees: the
 * driver fails those with file size limits and /dev/full instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum call { CALL_WRITE, CALL_FSYNC, CALL_RENAME, CALL_FORK, CALL_MALLOC, CALL_COUNT };

static const char *const call_names[CALL_COUNT] = {"write", "fsync", "rename", "fork",
                                                   "malloc"};
static const int call_errors[CALL_COUNT] = {ENOSPC, EIO, EIO, EAGAIN, ENOMEM};

static unsigned long counts[CALL_COUNT];
static int failing = -1;       /* the call to fail, -1: none */
static unsigned long fail_at;  /* its number */
static int fail_after;         /* and every one after it */
static int configured;

/* glibc's own allocator, under our malloc. */
extern void *__libc_malloc(size_t bytes);
extern void *__libc_calloc(size_t count, size_t bytes);
extern void *__libc_realloc(void *pointer, size_t bytes);

static void configure(void)
{
    configured = 1;
    const char *spec = getenv("DETSIM_FAIL");
    if (!spec)
        return;
    for (int c = 0; c < CALL_COUNT; c++) {
        size_t length = strlen(call_names[c]);
        if (strncmp(spec, call_names[c], length) == 0 && spec[length] == ':') {
            char *end;
            failing = c;
            fail_at = strtoul(spec + length + 1, &end, 10);
            fail_after = *end == '+';
        }
    }
}

/* Counts a call of c; whether it is the one to fail (errno is then set). */
static int fails(enum call c)
{
    if (!configured)
        configure();
    ++counts[c];
    if ((int)c != failing || counts[c] < fail_at || (counts[c] > fail_at && !fail_after))
        return 0;
    errno = call_errors[c];
    return 1;
}

__attribute__((destructor)) static void report_counts(void)
{
    const char *path = getenv("DETSIM_FAIL_COUNT");
    FILE *out = path ? fopen(path, "a") : NULL;
    if (!out)
        return;
    for (int c = 0; c < CALL_COUNT; c++)
        fprintf(out, "%s %lu\n", call_names[c], counts[c]);
    fclose(out);
}

void *malloc(size_t bytes)
{
    return fails(CALL_MALLOC) ? NULL : __libc_malloc(bytes);
}

void *calloc(size_t count, size_t bytes)
{
    return fails(CALL_MALLOC) ? NULL : __libc_calloc(count, bytes);
}

void *realloc(void *pointer, size_t bytes)
{
    return fails(CALL_MALLOC) ? NULL : __libc_realloc(pointer, bytes);
}

ssize_t write(int fd, const void *data, size_t bytes)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "write");
    return fails(CALL_WRITE) ? -1 : real(fd, data, bytes);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fsync");
    return fails(CALL_FSYNC) ? -1 : real(fd);
}

int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "rename");
    return fails(CALL_RENAME) ? -1 : real(from, to);
}

pid_t fork(void)
{
    static pid_t (*real)(void);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fork");
    return fails(CALL_FORK) ? -1 : real();
}
