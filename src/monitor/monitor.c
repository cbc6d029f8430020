/* monitor.c: one container's monitor (see monitor.h for the contract).
 *
 * A single-threaded epoll loop over the container's output (two pipes or
 * a pty master), its stdin, its pidfd, the attach listener and the attach
 * clients. Memory stays small on purpose (issue 4 counts RSS per running
 * container): one 32 KiB read buffer, per-client buffers only while a
 * client lags, and no JSON library after startup. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/jsonlog.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "monitor/monitor.h"
#include "runtime/linux/cgroup.h"
#include "runtime/runtime.h"
#include "runtime/spec.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MON_READ_BUF	(32 * 1024)
#define MON_CLIENT_MAX	(1024 * 1024) /* a client further behind is dropped */
#define MON_STDIN_MAX	(1024 * 1024) /* input the container has not read yet */
#define MON_MAX_CLIENTS 64
#define MON_DRAIN_NS	(2LL * 1000 * 1000 * 1000) /* output after the exit */
#define MON_POLL_MS	100			   /* without pidfds: waitpid polling */
#define MON_MAX_EVENTS	16

enum watch_kind {
	W_STDOUT,
	W_STDERR,
	W_STDIN,
	W_PIDFD,
	W_LISTEN,
	W_CLIENT,
	W_CONTROL
};

struct watch {
	enum watch_kind kind;
	int fd; /* owned; -1 once closed */
	uint32_t events;
};

struct buf {
	char *data; /* owned */
	size_t len, cap;
};

struct client {
	struct watch w; /* first: the epoll data points here */
	struct buf out; /* what the client has not taken yet */
	bool closing;	/* reaped after the current dispatch */
	bool read_eof;	/* it half-closed */
	struct client *next;
};

struct mon {
	const struct berth_monitor_opts *o; /* borrowed */
	int ep;
	bool tty;
	struct watch out, err, in, pidfd, listen, control; /* with a tty, `out` is the pty master */
	char *fifo;					   /* owned: the exec FIFO with --start-fd */
	int ready_fd;					   /* -1 once the ready line is sent */
	char *seccomp_bpf; /* owned: the filter file sent on --wait-fd, or NULL */
	struct berth_spec_process eproc;		   /* --exec: the process */
	json_t *eproc_doc;				   /* owned: what eproc borrows from */
	char ctl_line[64];
	size_t ctl_len;
	struct buf in_buf;
	bool in_close_pending;
	struct client *clients; /* owned */
	int n_clients;
	struct berth_jsonlog_writer *log; /* owned */
	struct berth_runtime_proc proc;
	bool exited;
	int exit_code;
	int64_t deadline_ns;
	char rbuf[MON_READ_BUF];
};

/* ------------------------------------------------------------------ fds */

static int watch_add(struct mon *m, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->events = events;
	return epoll_ctl(m->ep, EPOLL_CTL_ADD, w->fd, &ev);
}

static void watch_set(struct mon *m, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || w->events == events)
		return;
	w->events = events;
	(void)epoll_ctl(m->ep, EPOLL_CTL_MOD, w->fd, &ev);
}

static void watch_close(struct mon *m, struct watch *w)
{
	if (w->fd < 0)
		return;
	(void)epoll_ctl(m->ep, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Appends to B unless it would grow past MAX: false then. */
static bool buf_append(struct buf *b, const void *data, size_t len, size_t max)
{
	if (b->len + len > max)
		return false;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + len)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return true;
}

/* Writes what it can of B to FD: 0 when empty, 1 with some left, -1 on error. */
static int buf_flush(struct buf *b, int fd)
{
	while (b->len > 0) {
		ssize_t n = send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, b->data, b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		memmove(b->data, b->data + n, b->len - (size_t)n);
		b->len -= (size_t)n;
	}
	/* a lagging client's buffer goes back once it caught up */
	free(b->data);
	b->data = NULL;
	b->cap = 0;
	return 0;
}

/* ------------------------------------------------------------------ stdin */

static struct watch *stdin_target(struct mon *m)
{
	struct watch *w = m->tty ? &m->out : &m->in;

	return w->fd >= 0 ? w : NULL;
}

static void stdin_update(struct mon *m)
{
	struct watch *w = stdin_target(m);
	uint32_t ev;

	if (!w)
		return;
	ev = m->tty ? EPOLLIN : 0;
	if (m->in_buf.len > 0)
		ev |= EPOLLOUT;
	watch_set(m, w, ev);
}

static void stdin_close(struct mon *m)
{
	if (m->tty || m->in.fd < 0)
		return;
	if (m->in_buf.len > 0) {
		m->in_close_pending = true;
		return;
	}
	watch_close(m, &m->in);
}

/* Returns false when the input would overflow MON_STDIN_MAX. */
static bool stdin_send(struct mon *m, const char *data, size_t len)
{
	struct watch *w = stdin_target(m);
	bool ok;

	if (!w)
		return true; /* no stdin: docker drops the input too */
	ok = buf_append(&m->in_buf, data, len, MON_STDIN_MAX);
	if (buf_flush(&m->in_buf, w->fd) < 0) {
		m->in_buf.len = 0;
		if (!m->tty)
			watch_close(m, &m->in);
	}
	stdin_update(m);
	return ok;
}

static void stdin_writable(struct mon *m)
{
	struct watch *w = stdin_target(m);

	if (!w)
		return;
	if (buf_flush(&m->in_buf, w->fd) < 0) {
		m->in_buf.len = 0;
		if (!m->tty)
			watch_close(m, &m->in);
		return;
	}
	if (m->in_buf.len == 0 && m->in_close_pending)
		watch_close(m, &m->in);
	stdin_update(m);
}

/* ------------------------------------------------------------------ clients */

static void client_update(struct mon *m, struct client *c)
{
	watch_set(m, &c->w, EPOLLIN | (c->out.len > 0 ? EPOLLOUT : 0));
}

static void client_sendv(struct mon *m, struct client *c, struct iovec *iov, int n)
{
	size_t total = 0;
	ssize_t done = 0;
	int i;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (c->closing)
		return;
	if (c->out.len == 0) {
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };

		do
			done = sendmsg(c->w.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (done < 0 && errno == EINTR);
		if (done < 0 && errno != EAGAIN) {
			c->closing = true;
			return;
		}
		if (done < 0)
			done = 0;
	}
	if ((size_t)done == total)
		return;
	for (i = 0; i < n; i++) {
		size_t skip = (size_t)done < iov[i].iov_len ? (size_t)done : iov[i].iov_len;

		done -= (ssize_t)skip;
		if (!buf_append(&c->out, (char *)iov[i].iov_base + skip, iov[i].iov_len - skip,
				MON_CLIENT_MAX)) {
			berth_log_warn("attach client too slow, dropped");
			c->closing = true;
			return;
		}
	}
	client_update(m, c);
}

/* Sends container output to every client: a docker frame, or raw with a tty. */
static void broadcast(struct mon *m, int stream, const char *data, size_t len)
{
	unsigned char hdr[8] = { (unsigned char)stream,
				 0,
				 0,
				 0,
				 (unsigned char)(len >> 24),
				 (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8),
				 (unsigned char)len };
	struct client *c;

	for (c = m->clients; c; c = c->next) {
		struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, len } };

		if (m->tty)
			client_sendv(m, c, iov + 1, 1);
		else
			client_sendv(m, c, iov, 2);
	}
}

static void client_readable(struct mon *m, struct client *c)
{
	ssize_t n;

	do
		n = read(c->w.fd, m->rbuf, sizeof(m->rbuf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN)
			c->closing = true;
		return;
	}
	if (n == 0) {
		/* half-close: StdinOnce; the client still gets the output */
		c->read_eof = true;
		watch_set(m, &c->w, c->out.len > 0 ? EPOLLOUT : 0);
		if (m->o->open_stdin)
			stdin_close(m);
		return;
	}
	if (!stdin_send(m, m->rbuf, (size_t)n)) {
		berth_log_warn("attach client input over %d bytes, dropped", MON_STDIN_MAX);
		c->closing = true;
	}
}

static void client_event(struct mon *m, struct client *c, uint32_t events)
{
	if (c->closing)
		return;
	/* EPOLLHUP after a half-close: it is gone both ways */
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && c->read_eof)) {
		c->closing = true;
		return;
	}
	if (events & EPOLLOUT) {
		if (buf_flush(&c->out, c->w.fd) < 0) {
			c->closing = true;
			return;
		}
		watch_set(m, &c->w, (c->w.events & EPOLLIN) | (c->out.len > 0 ? EPOLLOUT : 0));
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_readable(m, c);
}

static void accept_clients(struct mon *m)
{
	for (;;) {
		int fd = accept4(m->listen.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if (m->n_clients >= MON_MAX_CLIENTS) {
			berth_log_warn("attach: %d clients already, refused", MON_MAX_CLIENTS);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->w.kind = W_CLIENT;
		c->w.fd = fd;
		if (watch_add(m, &c->w, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = m->clients;
		m->clients = c;
		m->n_clients++;
	}
}

/* Frees the clients marked closing: only between dispatches (STYLE 9). */
static void reap_clients(struct mon *m, bool all)
{
	struct client **pp = &m->clients;

	while (*pp) {
		struct client *c = *pp;

		if (!c->closing && !all) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		watch_close(m, &c->w);
		free(c->out.data);
		free(c);
		m->n_clients--;
	}
}

/* ------------------------------------------------------------------ output */

static void output_readable(struct mon *m, struct watch *w)
{
	int stream = w->kind == W_STDERR ? 2 : 1;
	ssize_t n;

	do
		n = read(w->fd, m->rbuf, sizeof(m->rbuf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) { /* EOF, or EIO from a pty whose slave is gone */
		watch_close(m, w);
		return;
	}
	if (m->log) {
		berth_error_t err = NULL;

		if (berth_jsonlog_write(m->log, stream == 2 ? "stderr" : "stdout", m->rbuf,
					(size_t)n, berth_time_now_ns(), false, &err) < 0) {
			berth_log_warn("log: %s", err->msg);
			berth_error_release(&err);
		}
	}
	broadcast(m, stream, m->rbuf, (size_t)n);
}

/* ------------------------------------------------------------------ exit */

static void record_exit(struct mon *m, int code, int status)
{
	m->exited = true;
	m->exit_code = code == CLD_EXITED ? status : 128 + status;
	m->deadline_ns = berth_time_now_ns() + MON_DRAIN_NS;
	watch_close(m, &m->pidfd);
}

static void pidfd_readable(struct mon *m)
{
	siginfo_t si = { 0 };
	int ret;

	do
		ret = waitid((idtype_t)P_PIDFD, (id_t)m->pidfd.fd, &si, WEXITED | WNOHANG);
	while (ret < 0 && errno == EINTR);
	if (ret < 0 || si.si_pid == 0)
		return;
	record_exit(m, si.si_code, si.si_status);
}

/* Without pidfds (kernel < 5.3): poll the child. */
static void poll_child(struct mon *m)
{
	int status;

	if (m->exited || m->proc.pidfd >= 0 || m->pidfd.fd >= 0)
		return;
	if (waitpid(m->proc.pid, &status, WNOHANG) != m->proc.pid)
		return;
	if (WIFEXITED(status))
		record_exit(m, CLD_EXITED, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		record_exit(m, CLD_KILLED, WTERMSIG(status));
}

/* ------------------------------------------------------------------ control */

static void control_line(struct mon *m, const char *line)
{
	unsigned h, w;

	if (sscanf(line, "resize %u %u", &h, &w) == 2) {
		struct winsize ws = { .ws_row = (unsigned short)h, .ws_col = (unsigned short)w };

		if (m->tty && m->out.fd >= 0 && ioctl(m->out.fd, TIOCSWINSZ, &ws) < 0)
			berth_log_warn("resize: %s", strerror(errno));
		return;
	}
	berth_log_warn("control: unknown request `%s`", line);
}

static void control_readable(struct mon *m)
{
	char buf[256];
	ssize_t n, i;

	do
		n = read(m->control.fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (m->ctl_len < sizeof(m->ctl_line) - 1)
				m->ctl_line[m->ctl_len++] = buf[i];
			continue;
		}
		m->ctl_line[m->ctl_len] = '\0';
		control_line(m, m->ctl_line);
		m->ctl_len = 0;
	}
}

static void dispatch(struct mon *m, struct watch *w, uint32_t events)
{
	switch (w->kind) {
	case W_STDOUT:
	case W_STDERR:
		if (w->fd >= 0 && (events & EPOLLOUT))
			stdin_writable(m); /* the pty master takes the input */
		if (w->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			output_readable(m, w);
		break;
	case W_STDIN:
		if (events & (EPOLLERR | EPOLLHUP)) {
			m->in_buf.len = 0;
			watch_close(m, w);
		} else {
			stdin_writable(m);
		}
		break;
	case W_PIDFD:
		pidfd_readable(m);
		break;
	case W_LISTEN:
		accept_clients(m);
		break;
	case W_CLIENT:
		client_event(m, (struct client *)w, events);
		break;
	case W_CONTROL:
		control_readable(m);
		break;
	}
}

static bool loop_done(struct mon *m)
{
	if (!m->exited)
		return false;
	return (m->out.fd < 0 && m->err.fd < 0) || berth_time_now_ns() >= m->deadline_ns;
}

static int loop_timeout(struct mon *m)
{
	if (m->exited)
		return (int)((m->deadline_ns - berth_time_now_ns()) / 1000000) + 1;
	return m->pidfd.fd < 0 ? MON_POLL_MS : -1;
}

static int run_loop(struct mon *m, berth_error_t *err)
{
	struct epoll_event ev[MON_MAX_EVENTS];

	while (!loop_done(m)) {
		int i, n = epoll_wait(m->ep, ev, MON_MAX_EVENTS, loop_timeout(m));

		if (n < 0 && errno != EINTR)
			return berth_make_error(err, errno, "epoll_wait");
		for (i = 0; i < n; i++)
			dispatch(m, ev[i].data.ptr, ev[i].events);
		reap_clients(m, false);
		poll_child(m);
	}
	return 0;
}

/* Gives the clients a last chance at their backlog, then closes them. */
static void close_clients(struct mon *m)
{
	struct client *c;

	for (c = m->clients; c; c = c->next)
		if (!c->closing && c->out.len > 0)
			(void)buf_flush(&c->out, c->w.fd);
	reap_clients(m, true);
}

static int write_exit_file(struct mon *m, bool oom, berth_error_t *err)
{
	char ts[64], doc[256];
	int n;

	berth_time_format_rfc3339nano(berth_time_now_ns(), ts, sizeof(ts));
	n = snprintf(doc, sizeof(doc),
		     "{\"ExitCode\":%d,\"OOMKilled\":%s,\"FinishedAt\":\"%s\",\"Error\":\"\"}\n",
		     m->exit_code, oom ? "true" : "false", ts);
	return berth_fs_write_replace(m->o->exit_file, doc, (size_t)n, 0644, err);
}

static void finish(struct mon *m)
{
	berth_error_t err = NULL;
	bool oom = m->proc.cgroup && berth_cgroup_oom_killed(m->proc.cgroup);

	berth_jsonlog_close(m->log);
	m->log = NULL;
	if (m->o->exit_file && write_exit_file(m, oom, &err) < 0) {
		berth_log_error("exit file: %s", err->msg);
		berth_error_release(&err);
	}
	if (m->proc.cgroup && !m->o->leave_cgroup && berth_cgroup_destroy(m->proc.cgroup, &err) < 0) {
		berth_log_warn("cgroup: %s", err->msg);
		berth_error_release(&err);
	}
	close_clients(m);
}

/* ------------------------------------------------------------------ startup */

static void report_error(int fd, const berth_error_t err)
{
	json_t *o;
	char *s;

	if (fd < 0)
		return;
	o = json_pack("{s:s, s:i}", "error", err->msg ? err->msg : "", "errno", err->code);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		dprintf(fd, "%s\n", s);
	free(s);
	json_decref(o);
}

static char *state_path(const struct berth_monitor_opts *o, const char *bundle)
{
	const char *slash;

	if (!o->exit_file)
		return xasprintf("%s/monitor.json", bundle);
	slash = strrchr(o->exit_file, '/');
	if (!slash)
		return xstrdup("monitor.json");
	return xasprintf("%.*s/monitor.json", (int)(slash - o->exit_file), o->exit_file);
}

static int report_ready(struct mon *m, const char *bundle, berth_error_t *err)
{
	cleanup_free char *path = state_path(m->o, bundle);
	cleanup_free char *doc =
	    xasprintf("{\"pid\":%d,\"start_time\":%" PRIu64 ",\"monitor_pid\":%d}\n",
		      (int)m->proc.pid, m->proc.start_time, (int)getpid());

	if (berth_fs_write_replace(path, doc, strlen(doc), 0644, err) < 0)
		return berth_error_wrap(err, "write `%s`", path);
	if (m->ready_fd >= 0) {
		dprintf(m->ready_fd,
			"{\"pid\":%d,\"start_time\":%" PRIu64 ",\"monitor_pid\":%d}\n",
			(int)m->proc.pid, m->proc.start_time, (int)getpid());
		close(m->ready_fd);
		m->ready_fd = -1;
	}
	return 0;
}

static int open_attach(struct mon *m, berth_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = m->o->attach_socket;
	cleanup_close int fd = -1;
	mode_t old_mask;
	int ret;

	if (!path || m->listen.fd >= 0)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_make_error(err, ENAMETOOLONG, "attach socket `%s`", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_make_error(err, errno, "socket");
	(void)unlink(path);
	/* 0600 from the start: no window where others could connect */
	old_mask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (ret < 0 || listen(fd, 16) < 0)
		return berth_make_error(err, errno, "attach socket `%s`", path);
	m->listen.fd = steal_fd(&fd);
	if (watch_add(m, &m->listen, EPOLLIN) < 0)
		return berth_make_error(err, errno, "epoll_ctl");
	return 0;
}

static int open_control(struct mon *m, berth_error_t *err)
{
	const char *path = m->o->control;
	int fd;

	if (!path || m->control.fd >= 0)
		return 0;
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return berth_make_error(err, errno, "control FIFO `%s`", path);
	/* read-write: never EOF when a writer goes */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berth_make_error(err, errno, "control FIFO `%s`", path);
	m->control.fd = fd;
	if (watch_add(m, &m->control, EPOLLIN) < 0)
		return berth_make_error(err, errno, "epoll_ctl");
	return 0;
}

/* --start-fd: waits for the go, takes the clients already connected, then
 * lets the program run. */
static int wait_start(struct mon *m, berth_error_t *err)
{
	char c;
	ssize_t n;

	if (m->o->start_fd < 0)
		return 0;
	do
		n = read(m->o->start_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	close(m->o->start_fd);
	if (n != 1)
		return berth_make_error(err, ECANCELED, "no start: the caller went away");
	if (m->listen.fd >= 0)
		accept_clients(m);
	if (m->fifo == NULL)
		return 0;
	if (berth_runtime_start_fifo(m->fifo, err) < 0) {
		/* the init died before its start: the pidfd reports its status */
		berth_log_warn("start: %s", (*err)->msg);
		berth_error_release(err);
	}
	return 0;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	berth_log_warn("%s", msg);
}

/* Creates the container with pipes we own (or a pty) for its stdio. */
static int create_container(struct mon *m, const struct berth_spec *spec, const char *bundle,
			    berth_error_t *err)
{
	struct berth_runtime_opts ro;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int ret = 0, i;

	berth_runtime_opts_init(&ro);
	ro.id = m->o->id;
	ro.bundle = bundle;
	ro.console_socket = -1;
	ro.warn = warn_cb;
	ro.seccomp_bpf = m->seccomp_bpf ? m->seccomp_bpf : m->o->seccomp_bpf;
	if (m->o->start_fd >= 0 && !m->o->exec_process) {
		m->fifo = xasprintf("%s/exec.fifo", bundle);
		(void)unlink(m->fifo);
		if (berth_runtime_make_exec_fifo(m->fifo, err) < 0)
			return -1;
		ro.exec_fifo = m->fifo;
	}
	if (!m->tty) {
		if (m->o->open_stdin)
			ret = pipe2(pin, O_CLOEXEC);
		else if ((pin[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			ret = -1;
		if (ret == 0 && (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0))
			ret = -1;
		if (ret < 0)
			ret = berth_make_error(err, errno, "pipe");
		ro.stdio[0] = pin[0];
		ro.stdio[1] = pout[1];
		ro.stdio[2] = perr[1];
	}
	if (ret == 0 && m->o->exec_process)
		ret = berth_runtime_exec(m->o->exec_pid, spec, &m->eproc, &ro, &m->proc, err);
	else if (ret == 0)
		ret = berth_runtime_create(spec, &ro, &m->proc, err);
	/* the container's ends: it holds its own copies now */
	for (i = 0; i < 3; i++) {
		int fd = i == 0 ? pin[0] : i == 1 ? pout[1] : perr[1];

		if (fd >= 0)
			close(fd);
	}
	m->in.fd = pin[1];
	m->out.fd = m->tty ? m->proc.pty_master : pout[0];
	m->err.fd = perr[0];
	if (m->tty)
		m->proc.pty_master = -1; /* m->out owns it now */
	return ret;
}

static int setup_loop(struct mon *m, berth_error_t *err)
{
	int fds[] = { m->in.fd, m->out.fd, m->err.fd };
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0 && set_nonblock(fds[i]) < 0)
			return berth_make_error(err, errno, "fcntl");
	if (m->out.fd >= 0 && watch_add(m, &m->out, EPOLLIN) < 0)
		return berth_make_error(err, errno, "epoll_ctl");
	if (m->err.fd >= 0 && watch_add(m, &m->err, EPOLLIN) < 0)
		return berth_make_error(err, errno, "epoll_ctl");
	if (m->in.fd >= 0 && watch_add(m, &m->in, 0) < 0)
		return berth_make_error(err, errno, "epoll_ctl");
	m->pidfd.fd = m->proc.pidfd;
	m->proc.pidfd = -1;
	if (m->pidfd.fd >= 0 && watch_add(m, &m->pidfd, EPOLLIN) < 0)
		return berth_make_error(err, errno, "epoll_ctl");
	if (open_attach(m, err) < 0)
		return -1;
	return open_control(m, err);
}

static void mon_init(struct mon *m, const struct berth_monitor_opts *o)
{
	memset(m, 0, sizeof(*m) - sizeof(m->rbuf));
	m->o = o;
	m->ep = -1;
	m->ready_fd = o->ready_fd;
	m->out = (struct watch){ W_STDOUT, -1, 0 };
	m->err = (struct watch){ W_STDERR, -1, 0 };
	m->in = (struct watch){ W_STDIN, -1, 0 };
	m->pidfd = (struct watch){ W_PIDFD, -1, 0 };
	m->listen = (struct watch){ W_LISTEN, -1, 0 };
	m->control = (struct watch){ W_CONTROL, -1, 0 };
	m->proc = (struct berth_runtime_proc){ .pid = -1, .pidfd = -1, .pty_master = -1 };
}

static void mon_release(struct mon *m)
{
	reap_clients(m, true);
	watch_close(m, &m->out);
	watch_close(m, &m->err);
	watch_close(m, &m->in);
	watch_close(m, &m->pidfd);
	watch_close(m, &m->listen);
	watch_close(m, &m->control);
	if (m->fifo)
		(void)unlink(m->fifo);
	free(m->fifo);
	if (m->o->exec_process)
		berth_spec_process_release(&m->eproc);
	json_decref(m->eproc_doc);
	if (m->o->attach_socket)
		(void)unlink(m->o->attach_socket);
	free(m->in_buf.data);
	berth_jsonlog_close(m->log);
	free(m->seccomp_bpf);
	berth_runtime_proc_release(&m->proc);
	if (m->ep >= 0)
		close(m->ep);
}

/* --exec: the attach socket first, then the go, then the process. */
static int start_exec(struct mon *m, const struct berth_spec *spec, const char *bundle,
		      berth_error_t *err)
{
	cleanup_free char *data = NULL;
	ssize_t n = berth_fs_read_file(m->o->exec_process, BERTH_SPEC_MAX_BYTES, &data, err);

	if (n < 0 || berth_spec_process_parse(data, (size_t)n, &m->eproc, &m->eproc_doc, err) < 0)
		return -1;
	m->tty = m->eproc.terminal;
	if (m->o->start_fd >= 0) {
		if (open_attach(m, err) < 0 || open_control(m, err) < 0)
			return -1;
		if (m->ready_fd >= 0)
			dprintf(m->ready_fd, "{\"listening\":true}\n");
		if (wait_start(m, err) < 0)
			return -1;
	}
	if (create_container(m, spec, bundle, err) < 0)
		return -1;
	if (setup_loop(m, err) < 0 || report_ready(m, bundle, err) < 0) {
		kill(m->proc.pid, SIGKILL);
		(void)waitpid(m->proc.pid, NULL, 0);
		return -1;
	}
	return 0;
}

/* Everything up to the ready report; failures go to the ready fd. */
static int start(struct mon *m, struct berth_spec **spec, char *bundle, berth_error_t *err)
{
	*spec = berth_spec_load(bundle, err);
	if (!*spec)
		return -1;
	if (!(*spec)->has_process)
		return berth_make_error(err, EINVAL, "config.json has no `process`");
	m->tty = (*spec)->process.terminal;
	m->ep = epoll_create1(EPOLL_CLOEXEC);
	if (m->ep < 0)
		return berth_make_error(err, errno, "epoll_create1");
	if (m->o->exec_process)
		return start_exec(m, *spec, bundle, err);
	if (m->o->log_path) {
		m->log =
		    berth_jsonlog_open(m->o->log_path, m->o->log_max_size, m->o->log_max_file, err);
		if (!m->log)
			return -1;
	}
	if (create_container(m, *spec, bundle, err) < 0)
		return -1;
	if (setup_loop(m, err) < 0 || report_ready(m, bundle, err) < 0 || wait_start(m, err) < 0) {
		berth_error_t e2 = NULL;

		kill(m->proc.pid, SIGKILL);
		(void)waitpid(m->proc.pid, NULL, 0);
		if (m->proc.cgroup && berth_cgroup_destroy(m->proc.cgroup, &e2) < 0)
			berth_error_release(&e2);
		return -1;
	}
	return 0;
}

/* --wait-fd: reads the go-ahead line on FD (and closes it). 1 with it, 0
 * on EOF or a line too long (the caller gave up), -1 on a read error. */
static int wait_bundle(struct mon *m, int fd, berth_error_t *err)
{
	char buf[PATH_MAX + 1], *nl = NULL;
	size_t len = 0;
	ssize_t n;
	int ret = 0;

	while (len < sizeof(buf) && !nl) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = berth_make_error(err, errno, "read the go-ahead");
			break;
		}
		if (n == 0)
			break;
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	close(fd);
	if (ret < 0 || nl == NULL)
		return ret;
	*nl = '\0';
	if (*buf)
		m->seccomp_bpf = xstrdup(buf);
	return 1;
}

static void detach(void)
{
	static const int ignored[] = { SIGPIPE, SIGTERM, SIGINT, SIGHUP };
	size_t i;

	(void)setsid(); /* fails harmlessly when already a group leader */
	for (i = 0; i < BERTH_ARRAY_SIZE(ignored); i++)
		signal(ignored[i], SIG_IGN);
	if (chdir("/") < 0)
		berth_log_debug("chdir /: %s", strerror(errno));
}

int berth_monitor_run(const struct berth_monitor_opts *o, berth_error_t *err)
{
	static struct mon m; /* one per process; keeps the read buffer off the stack */
	cleanup_spec struct berth_spec *spec = NULL;
	char bundle[PATH_MAX];
	int ret;

	mon_init(&m, o);
	if (o->daemonize) {
		pid_t pid = fork();

		if (pid < 0)
			return berth_make_error(err, errno, "fork");
		if (pid > 0)
			_exit(0);
	}
	if (o->ready_fd >= 0)
		(void)fcntl(o->ready_fd, F_SETFD, FD_CLOEXEC);
	if (o->start_fd >= 0)
		(void)fcntl(o->start_fd, F_SETFD, FD_CLOEXEC);
	/* before detach() moves to / */
	ret = realpath(o->bundle, bundle) ? 0
					  : berth_make_error(err, errno, "bundle `%s`", o->bundle);
	detach();
	if (ret == 0 && o->wait_fd >= 0) {
		ret = wait_bundle(&m, o->wait_fd, err);
		if (ret == 0) { /* no bundle after all: nothing to report */
			mon_release(&m);
			return 0;
		}
		ret = ret > 0 ? 0 : ret;
	}
	if (ret == 0)
		ret = start(&m, &spec, bundle, err);
	if (ret < 0) {
		report_error(m.ready_fd, *err);
		mon_release(&m);
		return ret;
	}
	berth_spec_free(steal_pointer(&spec)); /* the loop needs none of it */
	/* the spec's JSON was the bulk of the heap: give it back, since a
	 * monitor lives as long as its container (issue 4 counts this) */
	malloc_trim(0);
	ret = run_loop(&m, err);
	if (ret == 0)
		finish(&m);
	mon_release(&m);
	return ret;
}
