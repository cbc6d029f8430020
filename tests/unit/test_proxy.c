/* test_proxy.c: net/proxy.c over loopback. A proxy on [::]:0 with its loop
 * on a thread of its own relays clients of [::1] to targets on 127.0.0.1:
 * megabytes both ways through its 16 KiB buffers, slow readers behind
 * which its sends fall short, half-closes in both orders, a target that
 * closes first, a target that refuses, a taken port, more connections one
 * after another than it holds at once, and freeing it with connections
 * open. Proxy calls run on the loop thread (posted,
 * then waited for); the test thread drives the sockets with poll and a
 * bound on every wait, and never sleeps. Skips without an IPv6 loopback. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "loop/loop.h"
#include "net/proxy.h"

#define IO_TIMEOUT_MS  10000	  /* no progress for this long is a hang */
#define LOOP_TIMEOUT_S 10	  /* for a call posted to the loop thread */
#define BIG	       (4u << 20) /* 4 MiB: 256 times the proxy's buffer */
#define LOCALHOST4     0x7f000001u
#define SEQ_CONNS      260	  /* more than the proxy's 256 at once */
#define SLOW_RCVBUF    8192	  /* a slow reader's window */
#define SLOW_LEN       (8u << 20) /* past the proxy's send buffer: short sends */

static bool have_ipv6; /* set once by main */

/* skip() longjmps past cleanup attributes: call it before taking anything */
#define NEED_IPV6()                                                                         \
	do {                                                                                \
		if (!have_ipv6) {                                                           \
			print_message("skipped: no IPv6 loopback (bind to [::1] fails)\n"); \
			skip();                                                             \
		}                                                                           \
	} while (0)

struct fixture {
	struct berth_loop *loop; /* owned */
	pthread_t thread;	 /* runs the loop */
	int target;		 /* owned: listens on 127.0.0.1:target_port */
	uint16_t target_port;
	struct berth_proxy *proxy; /* owned; created and freed on the loop thread */
	uint16_t port;		   /* the proxy's, on [::] */
};

/* --- the loop thread ----------------------------------------------------- */

static void *loop_thread(void *data)
{
	struct fixture *f = data;
	berth_error_t err = NULL;

	if (berth_loop_run(f->loop, &err) < 0) {
		fprintf(stderr, "test_proxy: loop: %s\n", err->msg);
		abort();
	}
	return NULL;
}

struct loop_call {
	berth_loop_fn fn;
	void *arg;
	sem_t done;
};

static void loop_call_run(void *data)
{
	struct loop_call *c = data;

	c->fn(c->arg);
	sem_post(&c->done);
}

/* Runs FN(ARG) on the loop thread and waits until it has returned. A loop
 * that does not answer aborts the test binary: the posted call points into
 * this frame, so there is no returning without it. */
static void on_loop(struct fixture *f, berth_loop_fn fn, void *arg)
{
	struct loop_call c = { .fn = fn, .arg = arg };
	struct timespec ts;
	int r;

	sem_init(&c.done, 0, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += LOOP_TIMEOUT_S;
	berth_loop_post(f->loop, loop_call_run, &c);
	while ((r = sem_timedwait(&c.done, &ts)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		fprintf(stderr, "test_proxy: the loop thread did not answer in %d s\n",
			LOOP_TIMEOUT_S);
		abort();
	}
	sem_destroy(&c.done);
}

static void nothing(void *arg)
{
	(void)arg;
}

struct proxy_new_args {
	struct berth_loop *loop;
	uint16_t port, target_port;
	struct berth_proxy *p; /* out */
	uint16_t bound;	       /* out */
	berth_error_t err;     /* out */
};

static void proxy_new_on_loop(void *data)
{
	struct proxy_new_args *a = data;

	a->p = berth_proxy_new(a->loop, false, a->port, LOCALHOST4, a->target_port, &a->bound,
			       &a->err);
}

static void proxy_free_on_loop(void *data)
{
	berth_proxy_free(data);
}

/* berth_proxy_new on the loop thread: the proxy, or NULL with *ERR set. */
static struct berth_proxy *proxy_new(struct fixture *f, uint16_t port, uint16_t target_port,
				     uint16_t *bound, berth_error_t *err)
{
	struct proxy_new_args a = { .loop = f->loop, .port = port, .target_port = target_port };

	on_loop(f, proxy_new_on_loop, &a);
	*bound = a.bound;
	*err = a.err;
	return a.p;
}

/* The fixture's proxy on a port the kernel picks, towards TARGET_PORT. */
static void start_proxy(struct fixture *f, uint16_t target_port)
{
	berth_error_t err = NULL;

	f->proxy = proxy_new(f, 0, target_port, &f->port, &err);
	if (f->proxy == NULL)
		fail_msg("berth_proxy_new: %s", err->msg);
	assert_null(err);
	assert_true(f->port > 0);
}

static void stop_proxy(struct fixture *f)
{
	on_loop(f, proxy_free_on_loop, f->proxy);
	f->proxy = NULL;
}

/* --- sockets -------------------------------------------------------------- */

static bool probe_ipv6(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	cleanup_close int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A receive buffer of about SIZE bytes (0: the default) on FD, before it
 * connects or listens, so that the window stays that small: a slow reader,
 * behind which the proxy's buffers fill and its sends fall short. */
static void set_rcvbuf(int fd, int size)
{
	if (size > 0)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
}

/* A TCP socket on 127.0.0.1 and a port the kernel picks: listening (a
 * target, its connections with RCVBUF), or only bound, so that connections
 * to it are refused. */
static int socket4(bool listening, int rcvbuf, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LOCALHOST4) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	set_rcvbuf(fd, rcvbuf);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening)
		assert_int_equal(listen(fd, 512), 0);
	*port = local_port(fd);
	return fd;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* Connects to [::1]:PORT with RCVBUF: a non-blocking socket, or -errno.
 * The kernel completes the handshake from the listen backlog, so this does
 * not wait for the loop. */
static int connect6(uint16_t port, int rcvbuf)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	cleanup_close int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	set_rcvbuf(fd, rcvbuf);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	set_nonblock(fd);
	return steal_fd(&fd);
}

static int client_rcvbuf(struct fixture *f, int rcvbuf)
{
	int fd = connect6(f->port, rcvbuf);

	if (fd < 0)
		fail_msg("connect to [::1]:%u: %s", (unsigned)f->port, strerror(-fd));
	return fd;
}

static int client(struct fixture *f)
{
	return client_rcvbuf(f, 0);
}

/* The next connection the proxy made to the fixture's target, which must
 * come from 127.0.0.1. */
static int accept_target(struct fixture *f)
{
	struct pollfd p = { .fd = f->target, .events = POLLIN };
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int r, fd;

	while ((r = poll(&p, 1, IO_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r == 0)
		fail_msg("the proxy did not connect to the target in %d ms", IO_TIMEOUT_MS);
	fd = accept4(f->target, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(peer.sin_family, AF_INET);
	assert_int_equal(ntohl(peer.sin_addr.s_addr), LOCALHOST4);
	return fd;
}

/* Counts the fds this process has open: the proxy's are among them. */
static int count_fds(void)
{
	cleanup_dir DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	return n;
}

/* LEN bytes of xorshift noise from SEED: no period a lost, doubled or
 * reordered 16 KiB chunk could hide in. */
static uint8_t *payload(size_t len, uint32_t seed)
{
	uint8_t *b = xmalloc(len);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)(x >> 24);
	}
	return b;
}

/* --- moving bytes ---------------------------------------------------------- */

enum end_after {
	AFTER_NOTHING,
	AFTER_SHUT,
	AFTER_CLOSE
};

/* One socket's part in transfer(): what it sends (then shuts or closes),
 * and what it must receive, byte for byte, then perhaps EOF. */
struct end {
	const char *name;
	int *fd; /* borrowed; AFTER_CLOSE closes it and sets it to -1 */
	const uint8_t *out;
	size_t out_len;
	enum end_after after;
	const uint8_t *want;
	size_t want_len;
	bool want_eof;
	/* progress */
	size_t sent, got;
	bool eof, out_done;
};

static short end_events(const struct end *e)
{
	short ev = 0;

	if (e->sent < e->out_len)
		ev |= POLLOUT;
	if (e->got < e->want_len || (e->want_eof && !e->eof))
		ev |= POLLIN;
	return ev;
}

static void end_finish_out(struct end *e)
{
	if (e->out_done || e->sent < e->out_len)
		return;
	e->out_done = true;
	if (e->after == AFTER_SHUT)
		assert_int_equal(shutdown(*e->fd, SHUT_WR), 0);
	if (e->after == AFTER_CLOSE) {
		close(*e->fd);
		*e->fd = -1;
	}
}

static void end_send(struct end *e)
{
	size_t chunk = e->out_len - e->sent;
	ssize_t n;

	if (chunk > 256 * 1024)
		chunk = 256 * 1024;
	n = send(*e->fd, e->out + e->sent, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		fail_msg("%s: send after %zu of %zu bytes: %s", e->name, e->sent, e->out_len,
			 strerror(errno));
	e->sent += (size_t)n;
}

static void end_recv(struct end *e)
{
	static uint8_t buf[64 * 1024]; /* the test thread only */
	ssize_t n = recv(*e->fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t i;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		fail_msg("%s: recv after %zu of %zu bytes: %s", e->name, e->got, e->want_len,
			 strerror(errno));
	if (n == 0) {
		if (e->got < e->want_len)
			fail_msg("%s: EOF after %zu of %zu bytes", e->name, e->got, e->want_len);
		e->eof = true;
		return;
	}
	if ((size_t)n > e->want_len - e->got)
		fail_msg("%s: %zu bytes more than the %zu expected", e->name,
			 e->got + (size_t)n - e->want_len, e->want_len);
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] != e->want[e->got + i])
			fail_msg("%s: byte %zu differs", e->name, e->got + i);
	e->got += (size_t)n;
}

static void fail_stuck(const struct end *e, size_t n)
{
	char msg[1024];
	size_t i, len = 0;

	for (i = 0; i < n && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
					" %s: sent %zu/%zu, got %zu/%zu%s;", e[i].name, e[i].sent,
					e[i].out_len, e[i].got, e[i].want_len,
					e[i].want_eof ? (e[i].eof ? " +EOF" : " no EOF") : "");
	fail_msg("no progress in %d ms:%s", IO_TIMEOUT_MS, msg);
}

/* Runs the N ends at once until each has sent, shut or closed, and
 * received all it wants. Fails on a wrong byte, an early EOF, an error,
 * or IO_TIMEOUT_MS without progress. */
static void transfer(struct end *e, size_t n)
{
	struct pollfd pfd[8];
	size_t i;
	int r;

	assert_true(n <= BERTH_ARRAY_SIZE(pfd));
	for (;;) {
		bool busy = false;

		for (i = 0; i < n; i++) {
			end_finish_out(&e[i]);
			pfd[i].fd = *e[i].fd;
			pfd[i].events = end_events(&e[i]);
			pfd[i].revents = 0;
			if (pfd[i].events == 0)
				pfd[i].fd = -1;
			busy |= pfd[i].events != 0;
		}
		if (!busy)
			return;
		r = poll(pfd, n, IO_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			fail_stuck(e, n);
		for (i = 0; i < n; i++) {
			if ((pfd[i].events & POLLOUT) && pfd[i].revents != 0)
				end_send(&e[i]);
			if ((pfd[i].events & POLLIN) && pfd[i].revents != 0)
				end_recv(&e[i]);
		}
	}
}

/* A sends MSG to B, which checks it. */
static void say(const char *a_name, int *a, const char *b_name, int *b, const char *msg)
{
	struct end e[] = {
		{ .name = a_name, .fd = a, .out = (const uint8_t *)msg, .out_len = strlen(msg) },
		{ .name = b_name, .fd = b, .want = (const uint8_t *)msg, .want_len = strlen(msg) },
	};

	transfer(e, BERTH_ARRAY_SIZE(e));
}

/* Waits until the peer of FD goes away, reading and dropping at most LIMIT
 * bytes still in flight: 0 on EOF, ECONNRESET on a reset. */
static int expect_closed(int fd, size_t limit, const char *name)
{
	static uint8_t buf[64 * 1024];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t total = 0;

	for (;;) {
		int r = poll(&p, 1, IO_TIMEOUT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			fail_msg("%s: still open after %d ms", name, IO_TIMEOUT_MS);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return 0;
		if (n < 0 && errno == ECONNRESET)
			return ECONNRESET;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			fail_msg("%s: recv: %s", name, strerror(errno));
		total += (size_t)n;
		if (total > limit)
			fail_msg("%s: %zu bytes and still open, expected at most %zu", name, total,
				 limit);
	}
}

/* --- fixture --------------------------------------------------------------- */

static int setup(void **state)
{
	struct fixture *f = xzalloc(sizeof(*f));
	berth_error_t err = NULL;

	f->loop = berth_loop_new(&err);
	if (f->loop == NULL) {
		print_error("berth_loop_new: %s\n", err->msg);
		berth_error_release(&err);
		free(f);
		return -1;
	}
	/* without IPv6 every test skips, and there may be no 127.0.0.1 either */
	f->target = have_ipv6 ? socket4(true, 0, &f->target_port) : -1;
	if (pthread_create(&f->thread, NULL, loop_thread, f) != 0) {
		close(f->target);
		berth_loop_free(f->loop);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->proxy)
		stop_proxy(f);
	berth_loop_stop(f->loop);
	pthread_join(f->thread, NULL);
	berth_loop_free(f->loop);
	if (f->target >= 0)
		close(f->target);
	free(f);
	return 0;
}

/* --- tests ----------------------------------------------------------------- */

/* Small messages, then 4 MiB each way at once on two connections at once,
 * every byte checked; then the client hangs up and the target sees EOF. */
static void test_relay_both_ways(void **state)
{
	struct fixture *f = *state;
	cleanup_free uint8_t *up1 = NULL, *down1 = NULL, *up2 = NULL, *down2 = NULL;
	cleanup_close int c1 = -1, t1 = -1, c2 = -1, t2 = -1;

	NEED_IPV6();
	start_proxy(f, f->target_port);
	c1 = client(f);
	t1 = accept_target(f);
	c2 = client(f);
	t2 = accept_target(f);
	say("client 1", &c1, "target 1", &t1, "ping");
	say("target 1", &t1, "client 1", &c1, "pong");
	say("client 2", &c2, "target 2", &t2, "hello 2");
	up1 = payload(BIG, 1);
	down1 = payload(BIG, 2);
	up2 = payload(BIG, 3);
	down2 = payload(BIG, 4);
	struct end e[] = {
		{ .name = "client 1",
		  .fd = &c1,
		  .out = up1,
		  .out_len = BIG,
		  .want = down1,
		  .want_len = BIG },
		{ .name = "target 1",
		  .fd = &t1,
		  .out = down1,
		  .out_len = BIG,
		  .want = up1,
		  .want_len = BIG },
		{ .name = "client 2",
		  .fd = &c2,
		  .out = up2,
		  .out_len = BIG,
		  .want = down2,
		  .want_len = BIG },
		{ .name = "target 2",
		  .fd = &t2,
		  .out = down2,
		  .out_len = BIG,
		  .want = up2,
		  .want_len = BIG },
	};
	transfer(e, BERTH_ARRAY_SIZE(e));
	/* still usable after the bulk */
	say("target 2", &t2, "client 2", &c2, "done");
	close(steal_fd(&c1));
	assert_int_equal(expect_closed(t1, 0, "target 1"), 0);
	close(steal_fd(&t2));
	assert_int_equal(expect_closed(c2, 0, "client 2"), 0);
}

/* The client half-closes after its request: the target reads the request
 * and EOF, and its reply (small, then another connection with 4 MiB and a
 * close right behind it) still reaches the client, followed by EOF. */
static void test_half_close_client_first(void **state)
{
	struct fixture *f = *state;
	static const char req[] = "GET / HTTP/1.0\r\n\r\n", reply[] = "HTTP/1.0 200 OK\r\n\r\nhi";
	cleanup_free uint8_t *up = NULL, *down = NULL;
	cleanup_close int c = -1, t = -1;

	NEED_IPV6();
	start_proxy(f, f->target_port);
	c = client(f);
	t = accept_target(f);
	struct end ask[] = {
		{ .name = "client",
		  .fd = &c,
		  .out = (const uint8_t *)req,
		  .out_len = strlen(req),
		  .after = AFTER_SHUT },
		{ .name = "target",
		  .fd = &t,
		  .want = (const uint8_t *)req,
		  .want_len = strlen(req),
		  .want_eof = true },
	};
	transfer(ask, BERTH_ARRAY_SIZE(ask));
	struct end answer[] = {
		{ .name = "target",
		  .fd = &t,
		  .out = (const uint8_t *)reply,
		  .out_len = strlen(reply),
		  .after = AFTER_SHUT },
		{ .name = "client",
		  .fd = &c,
		  .want = (const uint8_t *)reply,
		  .want_len = strlen(reply),
		  .want_eof = true },
	};
	transfer(answer, BERTH_ARRAY_SIZE(answer));
	close(steal_fd(&c));
	close(steal_fd(&t));

	/* a big upload, then a big download that outlives the target's socket */
	up = payload(BIG / 4, 5);
	down = payload(BIG, 6);
	c = client(f);
	t = accept_target(f);
	struct end ask_big[] = {
		{ .name = "client", .fd = &c, .out = up, .out_len = BIG / 4, .after = AFTER_SHUT },
		{ .name = "target", .fd = &t, .want = up, .want_len = BIG / 4, .want_eof = true },
	};
	transfer(ask_big, BERTH_ARRAY_SIZE(ask_big));
	struct end answer_big[] = {
		{ .name = "target", .fd = &t, .out = down, .out_len = BIG, .after = AFTER_CLOSE },
		{ .name = "client", .fd = &c, .want = down, .want_len = BIG, .want_eof = true },
	};
	transfer(answer_big, BERTH_ARRAY_SIZE(answer_big));
	assert_int_equal(t, -1);
}

/* The target half-closes first (a banner, then SHUT_WR): the client gets
 * the banner and EOF, and can still upload 4 MiB, which the target gets
 * whole before its EOF. */
static void test_half_close_target_first(void **state)
{
	struct fixture *f = *state;
	static const char banner[] = "220 hello\r\n";
	cleanup_free uint8_t *up = NULL;
	cleanup_close int c = -1, t = -1;

	NEED_IPV6();
	start_proxy(f, f->target_port);
	c = client(f);
	t = accept_target(f);
	struct end greet[] = {
		{ .name = "target",
		  .fd = &t,
		  .out = (const uint8_t *)banner,
		  .out_len = strlen(banner),
		  .after = AFTER_SHUT },
		{ .name = "client",
		  .fd = &c,
		  .want = (const uint8_t *)banner,
		  .want_len = strlen(banner),
		  .want_eof = true },
	};
	transfer(greet, BERTH_ARRAY_SIZE(greet));
	up = payload(BIG, 7);
	struct end upload[] = {
		{ .name = "client", .fd = &c, .out = up, .out_len = BIG, .after = AFTER_SHUT },
		{ .name = "target", .fd = &t, .want = up, .want_len = BIG, .want_eof = true },
	};
	transfer(upload, BERTH_ARRAY_SIZE(upload));
}

/* Slow readers at both ends (small windows): the proxy's sends fall short
 * and its buffers fill. The side that closes last (its FIN, on a socket
 * the proxy has shut already, reads as EPOLLHUP) does so with bytes still
 * on their way, and every one of them must arrive before the EOF. */
static void test_slow_readers(void **state)
{
	struct fixture *f = *state;
	static const char banner[] = "220 hello\r\n";
	cleanup_free uint8_t *up = NULL, *down = NULL;
	cleanup_close int c = -1, t = -1;

	NEED_IPV6();
	close(f->target);
	f->target = socket4(true, SLOW_RCVBUF, &f->target_port);
	start_proxy(f, f->target_port);
	up = payload(SLOW_LEN, 8);
	down = payload(SLOW_LEN, 9);

	/* the client half-closes first; the target answers and closes */
	c = client_rcvbuf(f, SLOW_RCVBUF);
	t = accept_target(f);
	struct end ask[] = {
		{ .name = "client", .fd = &c, .out = up, .out_len = SLOW_LEN, .after = AFTER_SHUT },
		{ .name = "target", .fd = &t, .want = up, .want_len = SLOW_LEN, .want_eof = true },
	};
	transfer(ask, BERTH_ARRAY_SIZE(ask));
	struct end answer[] = {
		{ .name = "target",
		  .fd = &t,
		  .out = down,
		  .out_len = SLOW_LEN,
		  .after = AFTER_CLOSE },
		{ .name = "client", .fd = &c, .want = down, .want_len = SLOW_LEN, .want_eof = true },
	};
	transfer(answer, BERTH_ARRAY_SIZE(answer));
	close(steal_fd(&c));

	/* the target half-closes first; the client uploads and closes */
	c = client_rcvbuf(f, SLOW_RCVBUF);
	t = accept_target(f);
	struct end greet[] = {
		{ .name = "target",
		  .fd = &t,
		  .out = (const uint8_t *)banner,
		  .out_len = strlen(banner),
		  .after = AFTER_SHUT },
		{ .name = "client",
		  .fd = &c,
		  .want = (const uint8_t *)banner,
		  .want_len = strlen(banner),
		  .want_eof = true },
	};
	transfer(greet, BERTH_ARRAY_SIZE(greet));
	struct end upload[] = {
		{ .name = "client", .fd = &c, .out = up, .out_len = SLOW_LEN, .after = AFTER_CLOSE },
		{ .name = "target", .fd = &t, .want = up, .want_len = SLOW_LEN, .want_eof = true },
	};
	transfer(upload, BERTH_ARRAY_SIZE(upload));
}

/* The target closes outright: the client gets what was sent, then EOF. */
static void test_target_closes_first(void **state)
{
	struct fixture *f = *state;
	cleanup_close int c = -1, t = -1;

	NEED_IPV6();
	start_proxy(f, f->target_port);
	c = client(f);
	t = accept_target(f);
	say("client", &c, "target", &t, "ping");
	struct end bye[] = {
		{ .name = "target",
		  .fd = &t,
		  .out = (const uint8_t *)"bye",
		  .out_len = 3,
		  .after = AFTER_CLOSE },
		{ .name = "client",
		  .fd = &c,
		  .want = (const uint8_t *)"bye",
		  .want_len = 3,
		  .want_eof = true },
	};
	transfer(bye, BERTH_ARRAY_SIZE(bye));

	/* and a target that closes without a word, before the client says one */
	close(steal_fd(&c));
	c = client(f);
	t = accept_target(f);
	close(steal_fd(&t));
	assert_int_equal(expect_closed(c, 0, "client"), 0);
}

/* Nothing listens on the target port (bound, not listening: refused): the
 * client, accepted by the proxy, sees its connection closed, quiet or
 * not, instead of hanging. */
static void test_target_refuses(void **state)
{
	struct fixture *f = *state;
	cleanup_close int dead = -1, c = -1;
	uint16_t dead_port;
	int i;

	NEED_IPV6();
	dead = socket4(false, 0, &dead_port);
	start_proxy(f, dead_port);
	for (i = 0; i < 4; i++) {
		c = client(f);
		/* with bytes the proxy never read, its close is a reset */
		if (i % 2 == 1)
			assert_int_equal(send(c, "hello?", 6, MSG_NOSIGNAL), 6);
		expect_closed(c, 0, "client");
		close(steal_fd(&c));
	}
}

/* A port taken on [::], by another socket or by a proxy, is EEXIST. */
static void test_port_taken(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	cleanup_error berth_error_t err = NULL;
	cleanup_close int s6 = -1;
	struct berth_proxy *p;
	uint16_t bound = 0;
	int one = 1;

	NEED_IPV6();
	s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s6 >= 0);
	assert_int_equal(setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
	assert_int_equal(bind(s6, (struct sockaddr *)&any6, sizeof(any6)), 0);
	assert_int_equal(listen(s6, 1), 0);
	p = proxy_new(f, local_port(s6), f->target_port, &bound, &err);
	assert_null(p);
	assert_non_null(err);
	assert_int_equal(err->code, EEXIST);
	assert_non_null(strstr(err->msg, "port is already allocated"));
	berth_error_release(&err);

	start_proxy(f, f->target_port);
	p = proxy_new(f, f->port, f->target_port, &bound, &err);
	assert_null(p);
	assert_non_null(err);
	assert_int_equal(err->code, EEXIST);
}

/* The same port taken on IPv4 only is no conflict: the proxy is IPv6 only,
 * and an IPv4 client of that port reaches the IPv4 listener, not it. */
static void test_ipv6_only(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in any4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sockaddr_in lo4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(LOCALHOST4) };
	cleanup_close int v4 = -1, c4 = -1, a4 = -1;
	berth_error_t err = NULL;
	uint16_t v4_port = 0;
	int tries;

	NEED_IPV6();
	/* a port the kernel picks for IPv4 may be someone's on IPv6: another */
	for (tries = 0; f->proxy == NULL && tries < 8; tries++) {
		if (v4 >= 0)
			close(steal_fd(&v4));
		berth_error_release(&err);
		v4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(v4 >= 0);
		assert_int_equal(bind(v4, (struct sockaddr *)&any4, sizeof(any4)), 0);
		assert_int_equal(listen(v4, 4), 0);
		v4_port = local_port(v4);
		f->proxy = proxy_new(f, v4_port, f->target_port, &f->port, &err);
	}
	if (f->proxy == NULL)
		fail_msg("a proxy on a port taken on IPv4 only: %s", err->msg);
	assert_int_equal(f->port, v4_port);
	c4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c4 >= 0);
	lo4.sin_port = htons(v4_port);
	assert_int_equal(connect(c4, (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	a4 = accept4(v4, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(a4 >= 0); /* blocking: the handshake is done */
}

/* More connections one after another than the proxy holds at once, each
 * closed in both directions (client first, or target first): each is
 * released, so the last is served like the first, and the proxy's fds
 * are back to the listener's alone. */
static void test_connections_released(void **state)
{
	struct fixture *f = *state;
	cleanup_close int c = -1, t = -1;
	int i, before;

	NEED_IPV6();
	before = count_fds();
	start_proxy(f, f->target_port);
	for (i = 0; i < SEQ_CONNS; i++) {
		bool client_first = i % 2 == 0;
		c = client(f);
		t = accept_target(f);
		say("client", &c, "target", &t, "ping");
		say("target", &t, "client", &c, "pong");
		assert_int_equal(shutdown(client_first ? c : t, SHUT_WR), 0);
		assert_int_equal(expect_closed(client_first ? t : c, 0, "first"), 0);
		assert_int_equal(shutdown(client_first ? t : c, SHUT_WR), 0);
		assert_int_equal(expect_closed(client_first ? c : t, 0, "second"), 0);
		close(steal_fd(&c));
		close(steal_fd(&t));
	}
	/* the last EOF was sent from a loop callback: once a posted call has
	 * run, that callback has returned */
	on_loop(f, nothing, NULL);
	assert_int_equal(count_fds(), before + 1);
	stop_proxy(f);
	assert_int_equal(count_fds(), before);
}

/* berth_proxy_free with connections open, idle and with data in flight:
 * each client and target sees its connection end (EOF or reset), the port
 * refuses new clients, and LeakSanitizer finds nothing left behind. */
static void test_free_with_connections(void **state)
{
	struct fixture *f = *state;
	static const uint8_t chunk[64 * 1024];
	int c[4] = { -1, -1, -1, -1 }, t[4] = { -1, -1, -1, -1 };
	struct pollfd p;
	size_t stuffed = 0;
	ssize_t n;
	int i, before, r;

	NEED_IPV6();
	before = count_fds();
	start_proxy(f, f->target_port);
	for (i = 0; i < 4; i++) {
		c[i] = client(f);
		t[i] = accept_target(f);
		say("client", &c[i], "target", &t[i], "ping");
	}
	/* the last client writes until its socket is full; its target never
	 * reads past the first bytes, so the proxy holds a full buffer */
	while ((n = send(c[3], chunk, sizeof(chunk), MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
		stuffed += (size_t)n;
	assert_true(n < 0 && errno == EAGAIN);
	p = (struct pollfd){ .fd = t[3], .events = POLLIN };
	while ((r = poll(&p, 1, IO_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	assert_int_equal(r, 1);

	stop_proxy(f);
	assert_int_equal(count_fds(), before + 8);
	for (i = 0; i < 4; i++) {
		expect_closed(c[i], 0, "client");
		expect_closed(t[i], i == 3 ? stuffed : 0, "target");
		close(c[i]);
		close(t[i]);
	}
	assert_int_equal(connect6(f->port, 0), -ECONNREFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close_client_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close_target_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_closes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connections_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_connections, setup, teardown),
	};

	/* a reset peer must fail a send, not kill the binary */
	signal(SIGPIPE, SIG_IGN);
	have_ipv6 = probe_ipv6();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
