#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "loop/loop.h"

#define LOOP_MAX_EVENTS 64

struct berth_loop_handler {
	int fd;
	berth_loop_fd_cb cb;
	void *data;
	bool dead;
	struct berth_loop_handler *next_dead;
};

struct loop_timer {
	uint64_t id;
	int64_t due_ms;
	berth_loop_fn fn;
	void *data;
	struct loop_timer *next; /* sorted by due_ms */
};

struct loop_call {
	berth_loop_fn fn;
	void *data;
	struct loop_call *next;
};

struct berth_loop {
	int epfd;
	int wakefd;
	volatile int stop;
	struct berth_loop_handler *dead; /* freed after each round */
	struct loop_timer *timers;
	uint64_t next_timer_id;
	pthread_mutex_t calls_lock;
	struct loop_call *calls, *calls_tail;
	berth_loop_prepare_cb prepare;
	void *prepare_data;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct berth_loop *berth_loop_new(berth_error_t *err)
{
	struct berth_loop *loop = xzalloc(sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->wakefd < 0) {
		berth_make_error(err, errno, "create event loop: %s", strerror(errno));
		berth_loop_free(loop);
		return NULL;
	}
	/* The wake fd is the one registration with a NULL handler. */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0) {
		berth_make_error(err, errno, "epoll_ctl: %s", strerror(errno));
		berth_loop_free(loop);
		return NULL;
	}
	pthread_mutex_init(&loop->calls_lock, NULL);
	loop->next_timer_id = 1;
	return loop;
}

static void reap_dead(struct berth_loop *loop)
{
	while (loop->dead) {
		struct berth_loop_handler *h = loop->dead;
		loop->dead = h->next_dead;
		free(h);
	}
}

void berth_loop_free(struct berth_loop *loop)
{
	if (loop == NULL)
		return;
	reap_dead(loop);
	while (loop->timers) {
		struct loop_timer *t = loop->timers;
		loop->timers = t->next;
		free(t);
	}
	while (loop->calls) {
		struct loop_call *c = loop->calls;
		loop->calls = c->next;
		free(c);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	pthread_mutex_destroy(&loop->calls_lock);
	free(loop);
}

struct berth_loop_handler *berth_loop_add_fd(struct berth_loop *loop, int fd, uint32_t events,
					     berth_loop_fd_cb cb, void *data, berth_error_t *err)
{
	struct berth_loop_handler *h = xzalloc(sizeof(*h));
	struct epoll_event ev = { .events = events, .data.ptr = h };

	h->fd = fd;
	h->cb = cb;
	h->data = data;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		berth_make_error(err, errno, "epoll_ctl add fd %d: %s", fd, strerror(errno));
		free(h);
		return NULL;
	}
	return h;
}

int berth_loop_mod_fd(struct berth_loop *loop, struct berth_loop_handler *h, uint32_t events,
		      berth_error_t *err)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0)
		return berth_make_error(err, errno, "epoll_ctl mod fd %d: %s", h->fd,
					strerror(errno));
	return 0;
}

void berth_loop_del_fd(struct berth_loop *loop, struct berth_loop_handler *h)
{
	if (h == NULL || h->dead)
		return;
	/* Fails harmlessly when the fd was closed already (close removes it). */
	(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->dead = true;
	h->next_dead = loop->dead;
	loop->dead = h;
}

uint64_t berth_loop_timer_add(struct berth_loop *loop, int64_t ms, berth_loop_fn fn, void *data)
{
	struct loop_timer *t = xzalloc(sizeof(*t)), **pp;

	t->id = loop->next_timer_id++;
	t->due_ms = now_ms() + (ms < 0 ? 0 : ms);
	t->fn = fn;
	t->data = data;
	for (pp = &loop->timers; *pp && (*pp)->due_ms <= t->due_ms; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t->id;
}

void berth_loop_timer_cancel(struct berth_loop *loop, uint64_t id)
{
	struct loop_timer **pp;

	for (pp = &loop->timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct loop_timer *t = *pp;
			*pp = t->next;
			free(t);
			return;
		}
	}
}

void berth_loop_wake(struct berth_loop *loop)
{
	uint64_t one = 1;
	/* EAGAIN means a wake is pending already. */
	if (write(loop->wakefd, &one, sizeof(one)) < 0) {
	}
}

void berth_loop_post(struct berth_loop *loop, berth_loop_fn fn, void *data)
{
	struct loop_call *c = xzalloc(sizeof(*c));

	c->fn = fn;
	c->data = data;
	pthread_mutex_lock(&loop->calls_lock);
	if (loop->calls_tail)
		loop->calls_tail->next = c;
	else
		loop->calls = c;
	loop->calls_tail = c;
	pthread_mutex_unlock(&loop->calls_lock);
	berth_loop_wake(loop);
}

void berth_loop_set_prepare(struct berth_loop *loop, berth_loop_prepare_cb cb, void *data)
{
	loop->prepare = cb;
	loop->prepare_data = data;
}

void berth_loop_stop(struct berth_loop *loop)
{
	loop->stop = 1;
	berth_loop_wake(loop);
}

static void run_calls(struct berth_loop *loop)
{
	struct loop_call *c;

	pthread_mutex_lock(&loop->calls_lock);
	c = loop->calls;
	loop->calls = loop->calls_tail = NULL;
	pthread_mutex_unlock(&loop->calls_lock);
	while (c) {
		struct loop_call *next = c->next;
		c->fn(c->data);
		free(c);
		c = next;
	}
}

static void run_timers(struct berth_loop *loop)
{
	int64_t now = now_ms();

	while (loop->timers && loop->timers->due_ms <= now) {
		struct loop_timer *t = loop->timers;
		loop->timers = t->next;
		t->fn(t->data);
		free(t);
	}
}

static int compute_timeout(struct berth_loop *loop)
{
	int64_t timeout = -1;

	if (loop->prepare)
		timeout = loop->prepare(loop->prepare_data);
	if (loop->timers) {
		int64_t t = loop->timers->due_ms - now_ms();
		if (t < 0)
			t = 0;
		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	if (timeout > 60000)
		timeout = 60000;
	return (int)timeout;
}

int berth_loop_run(struct berth_loop *loop, berth_error_t *err)
{
	struct epoll_event events[LOOP_MAX_EVENTS];

	while (!loop->stop) {
		int i, n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, compute_timeout(loop));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_make_error(err, errno, "epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			struct berth_loop_handler *h = events[i].data.ptr;
			if (h == NULL) {
				uint64_t v;
				if (read(loop->wakefd, &v, sizeof(v)) < 0) {
				}
				continue;
			}
			if (!h->dead)
				h->cb(loop, h->fd, events[i].events, h->data);
		}
		run_calls(loop);
		run_timers(loop);
		reap_dead(loop);
	}
	return 0;
}
