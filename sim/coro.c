/* coro — stackful coroutines; see coro.h for the contract.
 *
 * The x86-64 and aarch64 switches save only the callee-saved registers of their
 * ABI and the stack pointer: a switch is an ordinary function call as far as the
 * compiler is concerned, so everything else is already saved by the caller. The
 * floating-point control registers are not switched; simulated processes do not
 * change them. */
#define _GNU_SOURCE
#include "coro.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/assert.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORO_HAVE_VALGRIND 1
#endif
#endif
#ifndef CORO_HAVE_VALGRIND
#define VALGRIND_STACK_REGISTER(start, end) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif

#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* ---- stack pool ---------------------------------------------------------------- */

static struct coro_stack *pool_free_list;
static uint32_t pool_mapped;
static uint32_t pool_free;

static size_t page_bytes(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

static struct coro_stack *stack_take(size_t stack_bytes)
{
    ASSERT(stack_bytes > 0);
    size_t page = page_bytes();
    size_t bytes = (stack_bytes + page - 1) / page * page;

    for (struct coro_stack **link = &pool_free_list; *link; link = &(*link)->next_free) {
        struct coro_stack *s = *link;
        if (s->bytes == bytes) {
            *link = s->next_free;
            s->next_free = NULL;
            pool_free--;
#ifdef CORO_ASAN
            /* Frames of a coroutine abandoned mid-call leave poisoned redzones. */
            ASAN_UNPOISON_MEMORY_REGION(s->base, s->bytes);
#endif
            return s;
        }
    }

    struct coro_stack *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->mapping_bytes = bytes + page;
    s->mapping = mmap(NULL, s->mapping_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s->mapping == MAP_FAILED) {
        free(s);
        return NULL;
    }
    /* The guard page sits below the stack, where an overflow runs into it. */
    if (mprotect(s->mapping, page, PROT_NONE) != 0) {
        munmap(s->mapping, s->mapping_bytes);
        free(s);
        return NULL;
    }
    s->base = (char *)s->mapping + page;
    s->bytes = bytes;
#ifdef CORO_ASAN
    /* A new mapping may reuse addresses whose shadow is still poisoned from their
     * last use (seen after a Linux-backend run in the same process, whose memory
     * there had been unmapped). */
    ASAN_UNPOISON_MEMORY_REGION(s->base, s->bytes);
#endif
    s->valgrind_id = VALGRIND_STACK_REGISTER(s->base, (char *)s->base + s->bytes);
    pool_mapped++;
    return s;
}

static void stack_give_back(struct coro_stack *s)
{
    ASSERT(s->next_free == NULL && s != pool_free_list);
    s->next_free = pool_free_list;
    pool_free_list = s;
    pool_free++;
}

uint32_t coro_pool_drain(void)
{
    uint32_t count = 0;
    while (pool_free_list) {
        struct coro_stack *s = pool_free_list;
        pool_free_list = s->next_free;
        VALGRIND_STACK_DEREGISTER(s->valgrind_id);
        munmap(s->mapping, s->mapping_bytes);
        free(s);
        count++;
    }
    pool_mapped -= count;
    pool_free = 0;
    return count;
}

uint32_t coro_pool_mapped_count(void) { return pool_mapped; }
uint32_t coro_pool_free_count(void) { return pool_free; }

/* ---- sanitizer announcements ------------------------------------------------------ */

#ifdef CORO_ASAN
/* The coroutine a switch came from, so the side that resumes can learn the bounds
 * of the thread's own stack (ASan reports them only on arrival). */
static struct coro *switch_source;
static const void *thread_stack_bottom;
static size_t thread_stack_bytes;

static void asan_before(struct coro *from, struct coro *to, int final)
{
    const void *bottom = to->stack ? to->stack->base : thread_stack_bottom;
    size_t bytes = to->stack ? to->stack->bytes : thread_stack_bytes;
    switch_source = from;
    __sanitizer_start_switch_fiber(final ? NULL : &from->asan_fake_stack, bottom, bytes);
}

static void asan_after(struct coro *self)
{
    const void *bottom = NULL;
    size_t bytes = 0;
    __sanitizer_finish_switch_fiber(self ? self->asan_fake_stack : NULL, &bottom, &bytes);
    if (switch_source && !switch_source->stack) {
        thread_stack_bottom = bottom;
        thread_stack_bytes = bytes;
    }
}
#else
#define asan_before(from, to, final) ((void)0)
#define asan_after(self) ((void)0)
#endif

/* Runs first on every new coroutine's stack. */
static void coro_entry(struct coro *c)
{
    asan_after(NULL);
    c->entry(c->entry_arg);
    abort(); /* an entry function must end with coro_switch_final */
}

/* ---- the switch ------------------------------------------------------------------- */

#ifndef CORO_USE_UCONTEXT
void coro_switch_asm(void **save_stack_pointer, void *load_stack_pointer);
void coro_start_asm(void);

#if defined(__x86_64__)
/* System V: rbx, rbp, r12-r15 are callee-saved. A new stack starts in
 * coro_start_asm with r12 = the coroutine and r13 = coro_entry. */
__asm__(".text\n"
        ".globl coro_switch_asm\n"
        ".hidden coro_switch_asm\n"
        ".type coro_switch_asm,@function\n"
        "coro_switch_asm:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size coro_switch_asm, .-coro_switch_asm\n"
        ".globl coro_start_asm\n"
        ".hidden coro_start_asm\n"
        ".type coro_start_asm,@function\n"
        "coro_start_asm:\n"
        "    movq %r12, %rdi\n"
        "    callq *%r13\n"
        "    ud2\n"
        ".size coro_start_asm, .-coro_start_asm\n");

static void *initial_frame(void *top, struct coro *c)
{
    /* After the six pops and the ret, rsp = top - 16: 16-byte aligned before the
     * call in coro_start_asm, as the ABI wants. */
    void **sp = (void **)((char *)top - 72);
    sp[0] = NULL;                        /* r15 */
    sp[1] = NULL;                        /* r14 */
    sp[2] = (void *)(uintptr_t)coro_entry; /* r13 */
    sp[3] = c;                           /* r12 */
    sp[4] = NULL;                        /* rbx */
    sp[5] = NULL;                        /* rbp */
    sp[6] = (void *)(uintptr_t)coro_start_asm; /* return address */
    sp[7] = NULL;
    sp[8] = NULL;
    return sp;
}
#elif defined(__aarch64__)
/* AAPCS64: x19-x28, the frame pointer x29, the link register x30 and the low
 * halves of v8-v15 (d8-d15) are callee-saved. A new stack starts in coro_start_asm
 * with x19 = the coroutine and x20 = coro_entry. */
__asm__(".text\n"
        ".globl coro_switch_asm\n"
        ".hidden coro_switch_asm\n"
        ".type coro_switch_asm,%function\n"
        "coro_switch_asm:\n"
        "    sub sp, sp, #176\n"
        "    stp x19, x20, [sp, #0]\n"
        "    stp x21, x22, [sp, #16]\n"
        "    stp x23, x24, [sp, #32]\n"
        "    stp x25, x26, [sp, #48]\n"
        "    stp x27, x28, [sp, #64]\n"
        "    stp x29, x30, [sp, #80]\n"
        "    stp d8, d9, [sp, #96]\n"
        "    stp d10, d11, [sp, #112]\n"
        "    stp d12, d13, [sp, #128]\n"
        "    stp d14, d15, [sp, #144]\n"
        "    mov x2, sp\n"
        "    str x2, [x0]\n"
        "    mov sp, x1\n"
        "    ldp x19, x20, [sp, #0]\n"
        "    ldp x21, x22, [sp, #16]\n"
        "    ldp x23, x24, [sp, #32]\n"
        "    ldp x25, x26, [sp, #48]\n"
        "    ldp x27, x28, [sp, #64]\n"
        "    ldp x29, x30, [sp, #80]\n"
        "    ldp d8, d9, [sp, #96]\n"
        "    ldp d10, d11, [sp, #112]\n"
        "    ldp d12, d13, [sp, #128]\n"
        "    ldp d14, d15, [sp, #144]\n"
        "    add sp, sp, #176\n"
        "    ret\n"
        ".size coro_switch_asm, .-coro_switch_asm\n"
        ".globl coro_start_asm\n"
        ".hidden coro_start_asm\n"
        ".type coro_start_asm,%function\n"
        "coro_start_asm:\n"
        "    mov x0, x19\n"
        "    blr x20\n"
        "    brk #0\n"
        ".size coro_start_asm, .-coro_start_asm\n");

static void *initial_frame(void *top, struct coro *c)
{
    void **sp = (void **)((char *)top - 176);
    for (int i = 0; i < 22; i++)
        sp[i] = NULL;
    sp[0] = c;                                  /* x19 */
    sp[1] = (void *)(uintptr_t)coro_entry;      /* x20 */
    sp[11] = (void *)(uintptr_t)coro_start_asm; /* x30 */
    return sp;
}
#endif

int coro_init(struct coro *c, size_t stack_bytes, void (*entry)(void *), void *arg)
{
    *c = (struct coro){0};
    c->stack = stack_take(stack_bytes);
    if (!c->stack)
        return -ENOMEM;
    c->entry = entry;
    c->entry_arg = arg;
    c->state = CORO_STATE_IDLE;
    void *top = (void *)(((uintptr_t)c->stack->base + c->stack->bytes) & ~(uintptr_t)15);
    c->stack_pointer = initial_frame(top, c);
    return 0;
}

static inline void raw_switch(struct coro *from, struct coro *to)
{
    coro_switch_asm(&from->stack_pointer, to->stack_pointer);
}
#else /* CORO_USE_UCONTEXT */

/* makecontext passes int arguments only, so the pointer travels in two halves. */
static void ucontext_entry(unsigned high, unsigned low)
{
    coro_entry((struct coro *)(((uintptr_t)high << 16 << 16) | (uintptr_t)low));
}

int coro_init(struct coro *c, size_t stack_bytes, void (*entry)(void *), void *arg)
{
    *c = (struct coro){0};
    c->stack = stack_take(stack_bytes);
    if (!c->stack)
        return -ENOMEM;
    c->entry = entry;
    c->entry_arg = arg;
    c->state = CORO_STATE_IDLE;
    if (getcontext(&c->context) != 0) {
        stack_give_back(c->stack);
        c->stack = NULL;
        return -ENOMEM;
    }
    c->context.uc_stack.ss_sp = c->stack->base;
    c->context.uc_stack.ss_size = c->stack->bytes;
    c->context.uc_link = NULL;
    uintptr_t address = (uintptr_t)c;
    makecontext(&c->context, (void (*)(void))ucontext_entry, 2,
                (unsigned)(address >> 16 >> 16), (unsigned)(address & 0xffffffffu));
    return 0;
}

static inline void raw_switch(struct coro *from, struct coro *to)
{
    if (swapcontext(&from->context, &to->context) != 0)
        abort();
}
#endif

void coro_init_thread(struct coro *c)
{
    *c = (struct coro){0};
    c->state = CORO_STATE_RUNNING;
}

/* A switch goes to a coroutine that is ready to run: never to the running one,
 * nor to one that finished (its stack may already serve another). */
static inline void switch_check(const struct coro *to)
{
    ASSERT(to->state == CORO_STATE_IDLE || to->state == CORO_STATE_SUSPENDED);
}

void coro_switch(struct coro *from, struct coro *to)
{
    switch_check(to);
    from->state = CORO_STATE_SUSPENDED;
    to->state = CORO_STATE_RUNNING;
    asan_before(from, to, 0);
    raw_switch(from, to);
    asan_after(from);
}

void coro_switch_final(struct coro *from, struct coro *to)
{
    switch_check(to);
    from->state = CORO_STATE_FINISHED;
    to->state = CORO_STATE_RUNNING;
    asan_before(from, to, 1);
    raw_switch(from, to);
    abort(); /* never resumed */
}

void coro_release(struct coro *c)
{
    ASSERT(c->state != CORO_STATE_RUNNING);
    if (c->stack) {
        stack_give_back(c->stack);
        c->stack = NULL;
    }
}
