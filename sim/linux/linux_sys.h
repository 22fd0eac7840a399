/* linux_sys — the sys_* API over real Linux processes: what sim/sys*.c call
 * instead of the scheduler when a run is on the Linux backend (sys_on_linux).
 * Each function has the contract of its sys_* namesake in sim/sys.h; where real
 * Linux cannot give the model's exact behaviour, docs/backends.md says so. */
#ifndef DETSIM_LINUX_SYS_H
#define DETSIM_LINUX_SYS_H

#include <stdint.h>

#include "sim/sys.h"

int linux_sys_spawn_with(const char *name, void (*fn)(void *), void *arg,
                         const struct sys_spawn_options *options);
void linux_sys_exit(int status) __attribute__((noreturn));
int linux_sys_wait_timeout(uint32_t pid, int *status, uint64_t timeout_ns);
int linux_sys_kill(uint32_t pid, uint32_t sig);
int linux_sys_signal_catch(uint32_t sig, int action);
uint32_t linux_sys_signal_pending(void);
int linux_sys_signal_wakeup_fd(int32_t handle);
int linux_sys_set_subreaper(int on);
uint32_t linux_sys_getppid(void);
uint32_t linux_sys_getpid(void);
int linux_sys_detach(void);
uint32_t linux_sys_group_create(void);
int linux_sys_group_kill(uint32_t group, uint32_t sig);
int linux_sys_group_drop(uint32_t group);
int linux_sys_group_shutdown(uint32_t group, uint64_t grace_ns);
uint32_t linux_sys_handle_count(void);
int linux_sys_close(uint32_t handle);
int linux_sys_closerange(uint32_t low, uint32_t high);
int linux_sys_set_cloexec(uint32_t handle, int on);

int linux_sys_chan_create(uint32_t ends[2]);
int linux_sys_pipe(uint32_t ends[2]);
int64_t linux_sys_write(uint32_t handle, uint64_t bytes, int flags);
int64_t linux_sys_read(uint32_t handle, uint64_t max_bytes, int flags);
int linux_sys_chan_send(uint32_t handle, uint64_t bytes, const uint32_t *handles,
                        uint32_t count, int flags);
int linux_sys_chan_recv(uint32_t handle, struct chan_received *out, int flags,
                        uint64_t timeout_ns);
int linux_sys_fd_from_handle(uint32_t handle);
int linux_sys_port_create(void);
int linux_sys_port_bind(uint32_t port, uint32_t endpoint, uint64_t key);
int linux_sys_port_unbind(uint32_t port, uint32_t endpoint);
int linux_sys_port_wait(uint32_t port, struct port_event *out, int flags, uint64_t timeout_ns);

int64_t linux_sys_alloc(uint64_t bytes);
int64_t linux_sys_try_alloc(uint64_t bytes);
int linux_sys_free(uint32_t block);
void linux_sys_yield(void);
int linux_sys_sleep(uint64_t ns);
uint64_t linux_sys_now(void);
int linux_sys_mutex_create(const char *name);
int linux_sys_mutex_lock_timeout(uint32_t mutex, uint64_t timeout_ns);
int linux_sys_mutex_unlock(uint32_t mutex);
int linux_sys_sem_create(const char *name, uint64_t initial);
int linux_sys_sem_wait_timeout(uint32_t sem, uint64_t timeout_ns);
int linux_sys_sem_post(uint32_t sem);
uint64_t linux_sys_param(const char *key);
uint64_t linux_sys_choose(uint64_t range);
void linux_sys_check_failed(const char *message) __attribute__((noreturn));
void linux_sys_console(const char *line);
void *linux_sys_shared_alloc(uint64_t bytes);

#endif
