/* cio.c: a container's streams. Attach: the hijacked client connection is
 * joined to the monitor's attach socket by a small pump on the loop (with
 * stream filtering for stdout/stderr and back-pressure both ways); clients
 * that attach before the start are connected before the program runs.
 * Logs: the json-file log is read (and followed) by a worker thread that
 * writes docker frames into a pipe the API streams. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/jsonlog.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "http/server.h"

#define PUMP_BUF_MAX (1024 * 1024) /* a side further behind stops the other */
#define PUMP_READ    (32 * 1024)

/* --- attach --------------------------------------------------------------------------------- */

struct pbuf {
	char *data;
	size_t len, cap;
};

struct cattach {
	struct cattach *next;
	struct berth_engine *e;
	struct container *c; /* NULL once the container is gone */
	struct berth_http_hijack *h;
	struct berth_attach_opts o;
	bool tty;
	int cfd; /* the client: owned by the hijack */
	int mfd; /* the monitor's attach socket: owned */
	struct berth_loop_handler *ch, *mh;
	struct pbuf to_client, to_monitor;
	bool client_eof, monitor_eof, stdin_closed, closed;
	/* frame filter (no tty, one stream only) */
	unsigned char hdr[8];
	size_t hdr_len;
	uint32_t left;
	bool drop;
	char *sock;		  /* owned: the monitor's attach socket */
	cio_end_fn on_end;	  /* runs before the client is closed */
	char *end_arg;		  /* owned, given to ON_END */
};

static void pbuf_append(struct pbuf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + len)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

/* 0: all written; 1: some left; -1: the peer is gone. */
static int pbuf_flush(struct pbuf *b, int fd)
{
	while (b->len > 0) {
		ssize_t n = send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
		memmove(b->data, b->data + n, b->len - (size_t)n);
		b->len -= (size_t)n;
	}
	free(b->data);
	b->data = NULL;
	b->cap = 0;
	return 0;
}

static void attach_free(struct cattach *a)
{
	free(a->sock);
	free(a->end_arg);
	free(a->to_client.data);
	free(a->to_monitor.data);
	free(a);
}

static void attach_unlink(struct cattach *a)
{
	struct cattach **pp;

	if (a->c == NULL)
		return;
	for (pp = &a->c->attaches; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	a->c = NULL;
}

/* Ends the attachment; CLOSE_HIJACK false when the server already did. */
static void attach_end(struct cattach *a, bool close_hijack)
{
	if (a->closed)
		return;
	a->closed = true;
	if (a->on_end)
		a->on_end(a->e, a->end_arg);
	attach_unlink(a);
	berth_loop_del_fd(a->e->loop, a->ch);
	berth_loop_del_fd(a->e->loop, a->mh);
	a->ch = a->mh = NULL;
	if (a->mfd >= 0)
		close(a->mfd);
	a->mfd = -1;
	if (close_hijack)
		berth_http_hijack_close(a->h);
	a->h = NULL;
	attach_free(a);
}

static void hijack_gone(struct berth_http_hijack *h, void *data)
{
	(void)h;
	attach_end(data, false);
}

static void update_events(struct cattach *a)
{
	uint32_t cev = 0, mev = 0;

	if (a->closed)
		return;
	if (!a->client_eof && a->to_monitor.len < PUMP_BUF_MAX)
		cev |= EPOLLIN;
	if (a->to_client.len > 0)
		cev |= EPOLLOUT;
	if (a->mfd >= 0) {
		if (!a->monitor_eof && a->to_client.len < PUMP_BUF_MAX)
			mev |= EPOLLIN;
		if (a->to_monitor.len > 0)
			mev |= EPOLLOUT;
	}
	if (a->ch)
		(void)berth_loop_mod_fd(a->e->loop, a->ch, cev | EPOLLRDHUP, NULL);
	if (a->mh)
		(void)berth_loop_mod_fd(a->e->loop, a->mh, mev, NULL);
}

/* Is the attachment finished (output done and delivered)? */
static bool attach_done(struct cattach *a)
{
	return a->monitor_eof && a->to_client.len == 0;
}

/* Output from the monitor, filtered down to the streams the client asked for. */
static void take_output(struct cattach *a, const unsigned char *p, size_t n)
{
	if (a->tty || (a->o.stdout_ && a->o.stderr_)) {
		if (a->tty && !a->o.stdout_ && !a->o.stderr_)
			return;
		pbuf_append(&a->to_client, p, n);
		return;
	}
	while (n > 0) {
		if (a->left == 0) {
			size_t take = sizeof(a->hdr) - a->hdr_len;
			if (take > n)
				take = n;
			memcpy(a->hdr + a->hdr_len, p, take);
			a->hdr_len += take;
			p += take;
			n -= take;
			if (a->hdr_len < sizeof(a->hdr))
				return;
			a->hdr_len = 0;
			a->left = (uint32_t)a->hdr[4] << 24 | (uint32_t)a->hdr[5] << 16 |
				  (uint32_t)a->hdr[6] << 8 | a->hdr[7];
			a->drop = a->hdr[0] == 1 ? !a->o.stdout_ : !a->o.stderr_;
			if (!a->drop)
				pbuf_append(&a->to_client, a->hdr, sizeof(a->hdr));
			continue;
		}
		{
			size_t take = n < a->left ? n : a->left;
			if (!a->drop)
				pbuf_append(&a->to_client, p, take);
			a->left -= (uint32_t)take;
			p += take;
			n -= take;
		}
	}
}

static void client_cb(struct berth_loop *loop, int fd, uint32_t events, void *data);
static void monitor_cb(struct berth_loop *loop, int fd, uint32_t events, void *data);

static void after_io(struct cattach *a)
{
	if (a->client_eof && a->o.stdin_ && !a->stdin_closed && a->mfd >= 0 &&
	    a->to_monitor.len == 0) {
		/* the client closed its input: so does the container's (StdinOnce) */
		(void)shutdown(a->mfd, SHUT_WR);
		a->stdin_closed = true;
	}
	if (attach_done(a)) {
		attach_end(a, true);
		return;
	}
	update_events(a);
}

static void client_cb(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct cattach *a = data;
	char buf[PUMP_READ];

	(void)loop;
	if (events & EPOLLOUT) {
		if (pbuf_flush(&a->to_client, fd) < 0) {
			attach_end(a, true);
			return;
		}
	}
	if (events & EPOLLERR) {
		attach_end(a, true);
		return;
	}
	if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && !a->client_eof) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			attach_end(a, true);
			return;
		}
		if (n == 0) {
			a->client_eof = true;
			if ((events & EPOLLHUP) && !(events & EPOLLRDHUP)) {
				attach_end(a, true); /* gone both ways */
				return;
			}
		} else if (n > 0 && a->o.stdin_) {
			pbuf_append(&a->to_monitor, buf, (size_t)n);
			if (a->mfd >= 0 && pbuf_flush(&a->to_monitor, a->mfd) < 0)
				a->to_monitor.len = 0;
		}
	}
	after_io(a);
}

static void monitor_cb(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct cattach *a = data;
	unsigned char buf[PUMP_READ];

	(void)loop;
	if (events & EPOLLOUT) {
		if (pbuf_flush(&a->to_monitor, fd) < 0)
			a->to_monitor.len = 0;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !a->monitor_eof) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			a->monitor_eof = true;
			berth_loop_del_fd(a->e->loop, a->mh);
			a->mh = NULL;
		} else if (n > 0) {
			take_output(a, buf, (size_t)n);
			if (pbuf_flush(&a->to_client, a->cfd) < 0) {
				attach_end(a, true);
				return;
			}
		}
	}
	after_io(a);
}

static int connect_monitor(struct berth_engine *e, struct cattach *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = a->sock;
	berth_error_t err = NULL;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		berth_log_warn("attach %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	a->mfd = fd;
	a->mh = berth_loop_add_fd(e->loop, fd, 0, monitor_cb, a, &err);
	if (a->mh == NULL) {
		berth_error_release(&err);
		close(fd);
		a->mfd = -1;
		return -1;
	}
	if (a->to_monitor.len > 0 && pbuf_flush(&a->to_monitor, fd) < 0)
		a->to_monitor.len = 0;
	return 0;
}

/* --- log replay (attach logs=1 and the logs endpoint) --- */

struct frame_sink {
	bool tty, timestamps;
	int (*write)(void *ctx, const void *data, size_t len);
	void *ctx;
};

static int frame_entry(void *data, const struct berth_jsonlog_entry *e)
{
	struct frame_sink *s = data;
	char ts[64] = "";
	size_t tl = 0, len;
	unsigned char hdr[8];
	int ret;

	if (s->timestamps) {
		berth_time_format_rfc3339nano(e->time_ns, ts, sizeof(ts));
		tl = strlen(ts);
		ts[tl++] = ' ';
		ts[tl] = '\0';
	}
	len = tl + e->len;
	if (!s->tty) {
		hdr[0] = e->stream[3] == 'o' ? 1 : 2;
		hdr[1] = hdr[2] = hdr[3] = 0;
		hdr[4] = (unsigned char)(len >> 24);
		hdr[5] = (unsigned char)(len >> 16);
		hdr[6] = (unsigned char)(len >> 8);
		hdr[7] = (unsigned char)len;
		if ((ret = s->write(s->ctx, hdr, sizeof(hdr))) < 0)
			return ret;
	}
	if (tl && (ret = s->write(s->ctx, ts, tl)) < 0)
		return ret;
	return s->write(s->ctx, e->log, e->len);
}

static int sink_pbuf(void *ctx, const void *data, size_t len)
{
	struct pbuf *b = ctx;

	if (b->len + len > 16 * PUMP_BUF_MAX)
		return -1;
	pbuf_append(b, data, len);
	return 0;
}

static char *log_path(const struct container *c)
{
	return xasprintf("%s/%s-json.log", c->dir, c->id);
}

static int max_log_files(const struct container *c)
{
	const char *mf = json_string_value(json_object_get(
	    json_object_get(json_object_get(cont_hc(c), "LogConfig"), "Config"), "max-file"));
	int n = mf ? atoi(mf) : 1;

	return n < 1 ? 1 : n;
}

int berth_engine_container_attach_check(struct berth_engine *e, const char *name, bool *tty,
					berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);

	if (c == NULL)
		return -1;
	if (c->status == CS_PAUSED)
		return berth_make_error(err, EBUSY, "container %s is paused, unpause the container before attach", c->id);
	if (c->status == CS_RESTARTING)
		return berth_make_error(err, EBUSY, "container %s is restarting, wait until the container is running", c->id);
	*tty = cont_tty(c);
	return 0;
}

void berth_engine_container_attach(struct berth_engine *e, const char *name,
				   const struct berth_attach_opts *o, struct berth_http_hijack *h)
{
	struct container *c = cont_find(e, name, NULL);
	struct cattach *a;
	berth_error_t err = NULL;
	const void *extra;
	size_t extra_len;

	if (c == NULL) {
		berth_http_hijack_close(h);
		return;
	}
	a = xzalloc(sizeof(*a));
	a->e = e;
	a->c = c;
	a->h = h;
	a->o = *o;
	a->tty = cont_tty(c);
	a->cfd = berth_http_hijack_fd(h);
	a->mfd = -1;
	a->sock = xasprintf("%s/%.12s.sock", e->cfg.exec_root, c->id);
	berth_http_hijack_set_close(h, hijack_gone, a);
	extra = berth_http_hijack_extra(h, &extra_len);
	if (extra_len > 0 && o->stdin_)
		pbuf_append(&a->to_monitor, extra, extra_len);
	if (o->logs) {
		cleanup_free char *path = log_path(c);
		struct berth_jsonlog_query q = { .tail = -1,
						 .stdout_ = o->stdout_,
						 .stderr_ = o->stderr_,
						 .max_files = max_log_files(c) };
		struct frame_sink s = { .tty = a->tty, .write = sink_pbuf, .ctx = &a->to_client };
		(void)berth_jsonlog_read(path, &q, frame_entry, &s, NULL);
	}
	a->ch = berth_loop_add_fd(e->loop, a->cfd, EPOLLRDHUP, client_cb, a, &err);
	if (a->ch == NULL) {
		berth_log_warn("attach: %s", err->msg);
		berth_error_release(&err);
		attach_end(a, true);
		return;
	}
	a->next = c->attaches;
	c->attaches = a;
	cont_event(e, c, "attach", NULL);
	if (!o->stream || (!crun_running(c) && c->status != CS_CREATED)) {
		/* nothing more will come: deliver what there is and end */
		a->monitor_eof = true;
	} else if (c->status == CS_RUNNING && connect_monitor(e, a) < 0) {
		a->monitor_eof = true;
	}
	/* CS_CREATED: connected by cio_on_started */
	if (a->to_client.len > 0 && pbuf_flush(&a->to_client, a->cfd) < 0) {
		attach_end(a, true);
		return;
	}
	after_io(a);
}

struct cattach *cio_attach_new(struct berth_engine *e, struct berth_http_hijack *h,
			       const struct berth_attach_opts *o, bool tty, const char *sock,
			       cio_end_fn on_end, const char *end_arg)
{
	struct cattach *a = xzalloc(sizeof(*a));
	berth_error_t err = NULL;
	const void *extra;
	size_t extra_len;

	a->e = e;
	a->h = h;
	a->o = *o;
	a->tty = tty;
	a->cfd = berth_http_hijack_fd(h);
	a->mfd = -1;
	a->sock = xstrdup(sock);
	a->on_end = on_end;
	a->end_arg = end_arg ? xstrdup(end_arg) : NULL;
	berth_http_hijack_set_close(h, hijack_gone, a);
	extra = berth_http_hijack_extra(h, &extra_len);
	if (extra_len > 0 && o->stdin_)
		pbuf_append(&a->to_monitor, extra, extra_len);
	a->ch = berth_loop_add_fd(e->loop, a->cfd, EPOLLRDHUP, client_cb, a, &err);
	if (a->ch == NULL) {
		berth_log_warn("attach: %s", err->msg);
		berth_error_release(&err);
		attach_end(a, true);
		return NULL;
	}
	return a;
}

int cio_attach_connect(struct cattach *a)
{
	int ret = connect_monitor(a->e, a);

	if (ret < 0)
		a->monitor_eof = true;
	after_io(a);
	return ret;
}

void cio_attach_fail(struct cattach *a, const char *msg)
{
	size_t len = strlen(msg);
	unsigned char hdr[8] = { 1, 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8), (unsigned char)len };

	if (!a->tty)
		pbuf_append(&a->to_client, hdr, sizeof(hdr));
	pbuf_append(&a->to_client, msg, len);
	a->monitor_eof = true;
	if (a->mfd >= 0) {
		berth_loop_del_fd(a->e->loop, a->mh);
		a->mh = NULL;
		close(a->mfd);
		a->mfd = -1;
	}
	if (pbuf_flush(&a->to_client, a->cfd) < 0) {
		attach_end(a, true);
		return;
	}
	after_io(a);
}

void cio_on_started(struct berth_engine *e, struct container *c)
{
	struct cattach *a, *next;

	for (a = c->attaches; a; a = next) {
		next = a->next;
		if (a->mfd >= 0 || a->monitor_eof)
			continue;
		if (connect_monitor(e, a) < 0)
			a->monitor_eof = true;
		update_events(a);
	}
}

/* --- logs ------------------------------------------------------------------------------------ */

struct logjob {
	struct logjob *next;
	struct berth_engine *e;
	char id[65];
	char *path, *dir;
	struct berth_jsonlog_query q;
	bool follow, tty, timestamps;
	int wfd;	/* the pipe's write end: the thread's */
	int stop_fd;	/* eventfd: the container stopped, or shutdown */
	atomic_bool finished;
	pthread_t thread;
};

static struct logjob *log_jobs;

static int sink_fd(void *ctx, const void *data, size_t len)
{
	int fd = *(int *)ctx;
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* the reader went away */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void logjob_reap(void *data)
{
	struct logjob *j = data, **pp;

	for (pp = &log_jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	pthread_join(j->thread, NULL);
	close(j->stop_fd);
	free(j->path);
	free(j->dir);
	free(j);
}

static void *logjob_main(void *data)
{
	struct logjob *j = data;
	struct frame_sink s = { .tty = j->tty, .timestamps = j->timestamps, .write = sink_fd,
				.ctx = &j->wfd };
	struct berth_jsonlog_pos pos = { 0 };
	int ino = -1, ret;

	ret = berth_jsonlog_read_pos(j->path, &j->q, frame_entry, &s, &pos, NULL);
	if (j->follow && ret == 0) {
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino >= 0)
			(void)inotify_add_watch(ino, j->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO);
		/* the query's tail applied to the past only */
		j->q.tail = -1;
		for (;;) {
			struct pollfd p[3] = { { .fd = ino, .events = POLLIN },
					       { .fd = j->stop_fd, .events = POLLIN },
					       { .fd = j->wfd, .events = 0 } };
			char buf[4096];
			bool stop;

			if (berth_jsonlog_follow(j->path, &j->q, &pos, frame_entry, &s) < 0)
				break;
			if (poll(p, 3, ino >= 0 ? -1 : 200) < 0 && errno != EINTR)
				break;
			if (p[2].revents & (POLLERR | POLLHUP))
				break;
			stop = p[1].revents & POLLIN;
			if (ino >= 0)
				while (read(ino, buf, sizeof(buf)) > 0)
					;
			if (stop) {
				(void)berth_jsonlog_follow(j->path, &j->q, &pos, frame_entry, &s);
				break;
			}
		}
		if (ino >= 0)
			close(ino);
	}
	close(j->wfd);
	j->wfd = -1;
	atomic_store(&j->finished, true);
	berth_loop_post(j->e->loop, logjob_reap, j);
	return NULL;
}

int berth_engine_container_logs(struct berth_engine *e, const char *name,
				const struct berth_logs_opts *o, int *out_fd, bool *tty,
				berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	const char *type;
	struct logjob *j;
	int p[2];

	if (c == NULL)
		return -1;
	type = json_string_value(json_object_get(json_object_get(cont_hc(c), "LogConfig"), "Type"));
	if (type && strcmp(type, "none") == 0)
		return berth_make_error(err, EINVAL,
					"configured logging driver does not support reading");
	if (!o->stdout_ && !o->stderr_)
		return berth_make_error(err, EINVAL, "Bad parameters: you must choose at least one stream");
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_make_error(err, errno, "pipe");
	j = xzalloc(sizeof(*j));
	j->e = e;
	memcpy(j->id, c->id, sizeof(j->id));
	j->path = log_path(c);
	j->dir = xstrdup(c->dir);
	j->q = (struct berth_jsonlog_query){ .since_ns = o->since_ns,
					     .until_ns = o->until_ns,
					     .tail = o->tail,
					     .stdout_ = o->stdout_,
					     .stderr_ = o->stderr_,
					     .max_files = max_log_files(c) };
	j->follow = o->follow && crun_running(c) && o->until_ns == 0;
	j->tty = cont_tty(c);
	j->timestamps = o->timestamps;
	j->wfd = p[1];
	j->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->stop_fd < 0 || pthread_create(&j->thread, NULL, logjob_main, j) != 0) {
		int code = errno ? errno : EAGAIN;
		if (j->stop_fd >= 0)
			close(j->stop_fd);
		close(p[0]);
		close(p[1]);
		free(j->path);
		free(j->dir);
		free(j);
		return berth_make_error(err, code, "logs: %s", strerror(code));
	}
	j->next = log_jobs;
	log_jobs = j;
	*out_fd = p[0];
	*tty = j->tty;
	return 0;
}

static void stop_followers(const char *id)
{
	struct logjob *j;
	uint64_t one = 1;

	for (j = log_jobs; j; j = j->next)
		if (id == NULL || strcmp(j->id, id) == 0)
			if (write(j->stop_fd, &one, sizeof(one)) < 0)
				berth_log_debug("logs: eventfd: %s", strerror(errno));
}

void cio_on_exit(struct berth_engine *e, struct container *c)
{
	struct cattach *a, *next;

	(void)e;
	stop_followers(c->id);
	/* clients still waiting for a start that failed: nothing will come */
	for (a = c->attaches; a; a = next) {
		next = a->next;
		if (a->mfd < 0 && !a->monitor_eof) {
			a->monitor_eof = true;
			after_io(a);
		}
	}
}

void cio_release(struct berth_engine *e, struct container *c)
{
	struct cattach *a;

	(void)e;
	stop_followers(c->id);
	/* attachments outlive the record only to deliver what they hold */
	while ((a = c->attaches)) {
		c->attaches = a->next;
		a->c = NULL;
		a->monitor_eof = true;
		if (a->mfd < 0 || a->to_client.len == 0)
			attach_end(a, true);
	}
}

/* At shutdown: every follower stops and is joined. */
void cio_shutdown(struct berth_engine *e)
{
	struct logjob *j;

	(void)e;
	stop_followers(NULL);
	while ((j = log_jobs)) {
		log_jobs = j->next;
		pthread_join(j->thread, NULL);
		close(j->stop_fd);
		free(j->path);
		free(j->dir);
		free(j);
	}
}
