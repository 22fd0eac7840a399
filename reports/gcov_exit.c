/* gcov_exit — linked only into the coverage build (make coverage), with
 * -Wl,--wrap=_exit.
 *
 * gcov writes a process's counters from an exit handler, and _exit runs none: the
 * forked sweep workers, which leave with _exit, would count for nothing, and with
 * them every run a sweep makes. The linker sends each _exit call of ours here, which
 * writes the counters first. The names are the ones the linker and libgcov fix,
 * leading underscores included. */
#include <stdnoreturn.h>

void __gcov_dump(void);
noreturn void __real__exit(int status);
noreturn void __wrap__exit(int status);

noreturn void __wrap__exit(int status)
{
    __gcov_dump();
    __real__exit(status);
}
