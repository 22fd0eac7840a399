/* coro — stackful coroutines for simulated processes.
 *
 * A coroutine runs a function on its own stack. Control moves only by an explicit
 * coro_switch(from, to): the scheduler decides who runs next (libco's symmetric
 * model). x86-64 and aarch64 use a hand-written register swap; other targets, or a
 * build with -DCORO_USE_UCONTEXT, use glibc's swapcontext.
 *
 * Stacks come from a process-wide pool, each with a PROT_NONE guard page below it,
 * and are reused across runs. Every stack is registered with Valgrind, and every
 * switch is announced to AddressSanitizer in sanitizer builds. */
#ifndef DETSIM_CORO_H
#define DETSIM_CORO_H

#include <stddef.h>
#include <stdint.h>

#if !defined(CORO_USE_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define CORO_USE_UCONTEXT 1
#endif

#ifdef CORO_USE_UCONTEXT
#include <ucontext.h>
#endif

enum coro_state {
    CORO_STATE_IDLE,      /* made, never switched to */
    CORO_STATE_RUNNING,   /* its stack is the one in use */
    CORO_STATE_SUSPENDED, /* switched away from; can be resumed */
    CORO_STATE_FINISHED   /* left by coro_switch_final: never resumed again */
};

struct coro_stack {
    void *mapping;        /* start of the mmap, the guard page */
    size_t mapping_bytes; /* guard page + usable stack */
    void *base;           /* lowest usable address */
    size_t bytes;         /* usable bytes */
    unsigned valgrind_id; /* VALGRIND_STACK_REGISTER handle */
    struct coro_stack *next_free;
};

struct coro {
#ifdef CORO_USE_UCONTEXT
    ucontext_t context;
#else
    void *stack_pointer; /* saved stack pointer while suspended */
#endif
    struct coro_stack *stack; /* NULL for the thread's own stack (the scheduler) */
    void (*entry)(void *);
    void *entry_arg;
    enum coro_state state;
    void *asan_fake_stack; /* AddressSanitizer's fake-stack handle across a switch */
};

/* Prepares c to run entry(arg) on a pooled stack of at least stack_bytes (rounded up
 * to whole pages). Returns 0, or -ENOMEM when no stack can be mapped; on failure c
 * holds no stack. entry must never return: it ends with a last coro_switch away. */
int coro_init(struct coro *c, size_t stack_bytes, void (*entry)(void *), void *arg);

/* Makes c stand for the calling thread's own stack, so that it can be switched from
 * and back to. */
void coro_init_thread(struct coro *c);

/* Suspends from (the running coroutine) and resumes to (one that is idle or
 * suspended; anything else aborts). Returns when some later switch resumes from. */
void coro_switch(struct coro *from, struct coro *to);

/* Like coro_switch, but from will never be resumed: its stack may be reused. */
void coro_switch_final(struct coro *from, struct coro *to);

/* Returns c's stack to the pool. c must not be running (that aborts). */
void coro_release(struct coro *c);

/* Unmaps every pooled stack. Returns how many were unmapped. */
uint32_t coro_pool_drain(void);

/* Stacks mapped so far in this process and stacks waiting in the pool. */
uint32_t coro_pool_mapped_count(void);
uint32_t coro_pool_free_count(void);

#endif
