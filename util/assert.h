/* assert — assertions that stay on in every build.
 *
 * ASSERT(condition) checks an internal contract: an argument a caller must never
 * pass, a state a transition must start from, an invariant a function must leave.
 * It is never for user input (bad input is an error code or a message, not an
 * abort). It is active in every build, NDEBUG or not: a broken contract prints
 * "detsim: assertion failed at FILE:LINE: CONDITION" on stderr and aborts, so the
 * run stops where the state first went wrong (a sweep records the seed as a crash,
 * and it replays). */
#ifndef DETSIM_ASSERT_H
#define DETSIM_ASSERT_H

#define ASSERT(condition)                                                               \
    (__builtin_expect(!!(condition), 1) ? (void)0                                       \
                                        : assert_fail(#condition, __FILE__, __LINE__))

/* Prints the broken condition with its place and aborts. */
_Noreturn void assert_fail(const char *condition, const char *file, int line);

#endif
