/* loop.h: the daemon's event loop: epoll over fds, one-shot timers, a wake
 * eventfd and a queue of calls posted from other threads.
 *
 * Everything but berth_loop_post / berth_loop_wake / berth_loop_stop runs on
 * the loop thread. Handlers removed during a dispatch round are freed after
 * it (never inside their own callback). */
#ifndef BERTH_LOOP_LOOP_H
#define BERTH_LOOP_LOOP_H

#include <stdint.h>

#include "base/error.h"

struct berth_loop;
struct berth_loop_handler;

typedef void (*berth_loop_fd_cb)(struct berth_loop *loop, int fd, uint32_t events, void *data);
typedef void (*berth_loop_fn)(void *data);
/* Called once per round before each wait, so that it can run pending work
 * (MHD_run); returns a timeout in ms for the wait, or -1. */
typedef int64_t (*berth_loop_prepare_cb)(void *data);

struct berth_loop *berth_loop_new(berth_error_t *err);
void berth_loop_free(struct berth_loop *loop);

/* Watches FD for EVENTS (EPOLLIN, ...). Returns a handle for mod/del. */
struct berth_loop_handler *berth_loop_add_fd(struct berth_loop *loop, int fd, uint32_t events,
					     berth_loop_fd_cb cb, void *data, berth_error_t *err);
int berth_loop_mod_fd(struct berth_loop *loop, struct berth_loop_handler *h, uint32_t events,
		      berth_error_t *err);
/* Stops watching; the handle is freed after the current dispatch round.
 * Safe when the fd has been closed already. NULL is fine. */
void berth_loop_del_fd(struct berth_loop *loop, struct berth_loop_handler *h);

/* Runs FN(DATA) once, MS milliseconds from now, on the loop thread.
 * Returns an id > 0 for berth_loop_timer_cancel. */
uint64_t berth_loop_timer_add(struct berth_loop *loop, int64_t ms, berth_loop_fn fn, void *data);
void berth_loop_timer_cancel(struct berth_loop *loop, uint64_t id);

/* Thread-safe: queues FN(DATA) to run on the loop thread and wakes it. */
void berth_loop_post(struct berth_loop *loop, berth_loop_fn fn, void *data);
/* Thread-safe: makes the current or next wait return at once. */
void berth_loop_wake(struct berth_loop *loop);

void berth_loop_set_prepare(struct berth_loop *loop, berth_loop_prepare_cb cb, void *data);

/* Dispatches until berth_loop_stop. Returns 0, or < 0 on an epoll failure. */
int berth_loop_run(struct berth_loop *loop, berth_error_t *err);
/* Thread-safe: makes berth_loop_run return after the current round. */
void berth_loop_stop(struct berth_loop *loop);

#endif
