/* test_http_hijack.c: connection hijacking (attach, exec start) against a
 * real berth_http_server on a temp Unix socket, its loop on a thread, and a
 * plain client socket: 101 with raw bytes both ways, extra_in, half-close,
 * the 200 fallback without Upgrade, shutdown with a hijack held, and
 * clients that hang up before and after ready. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "http/server.h"
#include "loop/loop.h"

#define RAW_STREAM    "application/vnd.docker.raw-stream"
#define IO_TIMEOUT_MS 5000

/* What the owners saw, written on the loop thread, read by the test. */
static struct {
	atomic_int ready, closed, owner_closed, half_closed, suspended, tty;
	atomic_int extra_len;
	char extra[64];
} seen;

struct fixture {
	char dir[64];
	char sock[96];
	struct berth_loop *loop;
	struct berth_http_server *srv;
	pthread_t thread;
	bool running;
};

/* --- the owner of a hijacked connection: greets, echoes, and on the
 * client's half-close says bye and closes ------------------------------- */

struct owner {
	struct berth_loop *loop;
	struct berth_http_hijack *h;
	struct berth_loop_handler *watch;
	bool hold; /* only greet, then wait for the server to shut down */
};

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void owner_finish(struct owner *o)
{
	berth_loop_del_fd(o->loop, o->watch);
	berth_http_hijack_close(o->h);
	free(o);
	atomic_fetch_add(&seen.owner_closed, 1);
}

static void owner_io(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct owner *o = data;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		if (send_all(fd, buf, (size_t)n) < 0)
			owner_finish(o);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0) {
		/* the client's half-close: our writes still reach it */
		atomic_fetch_add(&seen.half_closed, 1);
		send_all(fd, "bye\n", 4);
	}
	owner_finish(o);
}

static void owner_ready(struct berth_http_hijack *h, void *data)
{
	struct owner *o = data;
	size_t len;
	const char *extra = berth_http_hijack_extra(h, &len);
	int fd = berth_http_hijack_fd(h);

	o->h = h;
	if (len > 0 && len < sizeof(seen.extra))
		memcpy(seen.extra, extra, len);
	atomic_store(&seen.extra_len, (int)len);
	atomic_fetch_add(&seen.ready, 1);
	send_all(fd, "ready\n", 6);
	if (len > 0)
		send_all(fd, extra, len);
	if (!o->hold)
		o->watch = berth_loop_add_fd(o->loop, fd, EPOLLIN, owner_io, o, NULL);
}

static void owner_closed(struct berth_http_hijack *h, void *data)
{
	struct owner *o = data;

	berth_loop_del_fd(o->loop, o->watch);
	free(o);
	atomic_fetch_add(&seen.closed, 1);
}

static void hijack_with_owner(struct berth_http_req *req, struct fixture *fx, bool hold)
{
	struct owner *o = xzalloc(sizeof(*o));

	o->loop = fx->loop;
	o->hold = hold;
	if (berth_http_req_hijack(req, RAW_STREAM, owner_ready, owner_closed, o) < 0)
		free(o);
}

/* --- routes ------------------------------------------------------------- */

static void h_attach(struct berth_http_req *req, void *ctx)
{
	hijack_with_owner(req, ctx, false);
}

static void h_hold(struct berth_http_req *req, void *ctx)
{
	hijack_with_owner(req, ctx, true);
}

/* exec start: the JSON body is read before the hijack */
static void h_exec_start(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err);

	if (body == NULL) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	atomic_store(&seen.tty, json_is_true(json_object_get(body, "Tty")) ? 1 : 0);
	json_decref(body);
	hijack_with_owner(req, ctx, false);
}

/* A handler that waits for a worker, whose client hangs up meanwhile: the
 * continuation hijacks a connection that is gone. */
static void late_cont(struct berth_http_req *req, void *ctx)
{
	hijack_with_owner(req, ctx, false);
}

static void late_gone(struct berth_http_req *req, void *data)
{
	berth_http_req_resume(req, late_cont, data);
}

static void h_late(struct berth_http_req *req, void *ctx)
{
	berth_http_req_suspend(req, late_gone, ctx);
	atomic_fetch_add(&seen.suspended, 1);
}

static void h_ping(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_data(req, 200, "text/plain", "OK", 2);
}

static const struct berth_route routes[] = {
	{ "POST", "/containers/{id}/attach", h_attach },
	{ "POST", "/exec/{id}/start", h_exec_start },
	{ "POST", "/hold", h_hold },
	{ "POST", "/late", h_late },
	{ "GET", "/_ping", h_ping },
};

/* --- fixture: server + loop thread ---------------------------------------- */

static void *loop_thread(void *data)
{
	struct fixture *fx = data;
	berth_error_t err = NULL;

	if (berth_loop_run(fx->loop, &err) < 0)
		berth_error_release(&err);
	return NULL;
}

static int setup(void **state)
{
	struct fixture *fx = xzalloc(sizeof(*fx));
	struct berth_http_server_config cfg = {
		.routes = routes,
		.n_routes = sizeof(routes) / sizeof(routes[0]),
		.ctx = fx,
		.api_min_major = 1,
		.api_min_minor = 24,
		.api_max_major = 1,
		.api_max_minor = 47,
		.server_header = "berth-test",
	};
	berth_error_t err = NULL;

	memset(&seen, 0, sizeof(seen));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/berth-hijack-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->sock, sizeof(fx->sock), "%s/s", fx->dir);
	fx->loop = berth_loop_new(&err);
	assert_non_null(fx->loop);
	fx->srv = berth_http_server_new(fx->loop, &cfg, &err);
	assert_non_null(fx->srv);
	assert_int_equal(berth_http_server_listen_unix(fx->srv, fx->sock, 0600, &err), 0);
	assert_int_equal(pthread_create(&fx->thread, NULL, loop_thread, fx), 0);
	fx->running = true;
	*state = fx;
	return 0;
}

static void stop_loop(struct fixture *fx)
{
	if (!fx->running)
		return;
	berth_loop_stop(fx->loop);
	pthread_join(fx->thread, NULL);
	fx->running = false;
}

static void free_server(struct fixture *fx)
{
	stop_loop(fx);
	berth_http_server_free(fx->srv);
	fx->srv = NULL;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	free_server(fx);
	berth_loop_free(fx->loop);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* --- client side ---------------------------------------------------------- */

static int client_connect(struct fixture *fx)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(addr.sun_path, fx->sock, strlen(fx->sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	/* a hang shows as a failed read, never as a stuck test */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void client_send(int fd, const char *s, size_t len)
{
	assert_int_equal(send_all(fd, s, len), 0);
}

/* Reads up to and including the blank line, one byte at a time so that
 * nothing after the headers is consumed. */
static char *read_headers(int fd)
{
	char *buf = xzalloc(8192);
	size_t len = 0;

	while (len < 8191) {
		ssize_t n = read(fd, buf + len, 1);
		assert_int_equal(n, 1);
		len++;
		if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
			return buf;
	}
	fail_msg("response headers too long");
	return buf;
}

static void expect_bytes(int fd, const char *want)
{
	size_t len = strlen(want), got = 0;
	char buf[256];

	assert_true(len < sizeof(buf));
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	buf[got] = '\0';
	assert_string_equal(buf, want);
}

/* Reads until EOF (0) and returns how many bytes came before it; fails on
 * a timeout. */
static size_t read_to_eof(int fd)
{
	char buf[4096];
	size_t total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return total;
		if (n < 0 && errno == ECONNRESET)
			return total;
		assert_true(n > 0);
		total += (size_t)n;
	}
}

static void read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		assert_int_equal(read(fd, buf + len, 1), 1);
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = '\0';
}

/* Decodes one chunked body into OUT. */
static void read_chunked(int fd, char *out, size_t size)
{
	size_t len = 0;
	char line[64];

	for (;;) {
		unsigned long n;
		read_line(fd, line, sizeof(line));
		n = strtoul(line, NULL, 16);
		if (n == 0)
			break;
		assert_true(len + n < size);
		while (n > 0) {
			ssize_t r = read(fd, out + len, n);
			assert_true(r > 0);
			len += (size_t)r;
			n -= (size_t)r;
		}
		read_line(fd, line, sizeof(line));
		assert_string_equal(line, "\r\n");
	}
	read_line(fd, line, sizeof(line));
	assert_string_equal(line, "\r\n");
	out[len] = '\0';
}

static void wait_for(atomic_int *v, int want)
{
	int i;

	for (i = 0; i < IO_TIMEOUT_MS / 5 && atomic_load(v) != want; i++)
		poll(NULL, 0, 5);
	assert_int_equal(atomic_load(v), want);
}

static void expect_header(const char *headers, const char *line)
{
	if (strcasestr(headers, line) == NULL) {
		print_error("no `%s` in the response headers:\n", line);
		print_error("%s", headers);
		fail();
	}
}

/* Sends LEN bytes of REQ (headers and maybe more) in one write and reads
 * the response headers, which must start with STATUS; the caller frees them. */
static char *request(int fd, const char *req, size_t len, const char *status)
{
	char *h;

	client_send(fd, req, len);
	h = read_headers(fd);
	if (strncmp(h, status, strlen(status)) != 0) {
		print_error("want `%s`, got:\n", status);
		print_error("%s", h);
		fail();
	}
	return h;
}

/* A request on FD after the hijack (same or new connection) is served. */
static void expect_ping(int fd)
{
	const char *ping = "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n";

	free(request(fd, ping, strlen(ping), "HTTP/1.1 200 "));
	expect_bytes(fd, "OK");
}

#define UPGRADE_ATTACH                                                                    \
	"POST /v1.47/containers/c1/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n"        \
	"Host: api.moby.localhost\r\nContent-Type: text/plain\r\nConnection: Upgrade\r\n" \
	"Upgrade: tcp\r\n\r\n"

/* --- tests -------------------------------------------------------------- */

/* 101, extra_in, echo both ways, half-close, then the server's close. */
static void test_upgrade_echo(void **state)
{
	struct fixture *fx = *state;
	int fd = client_connect(fx);
	char *h;

	/* bytes right behind the headers, in the same write: MHD reads them */
	h = request(fd, UPGRADE_ATTACH "hello", strlen(UPGRADE_ATTACH) + 5, "HTTP/1.1 101 ");
	expect_header(h, "\r\nUpgrade: tcp\r\n");
	expect_header(h, "\r\nConnection: Upgrade\r\n");
	expect_header(h, "\r\nContent-Type: " RAW_STREAM "\r\n");
	expect_header(h, "\r\nApi-Version: 1.47\r\n");
	free(h);
	expect_bytes(fd, "ready\nhello");
	assert_int_equal(atomic_load(&seen.extra_len), 5);
	assert_memory_equal(seen.extra, "hello", 5);

	client_send(fd, "ping", 4);
	expect_bytes(fd, "ping");
	client_send(fd, "pong\n", 5);
	expect_bytes(fd, "pong\n");

	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	expect_bytes(fd, "bye\n");
	assert_int_equal(read_to_eof(fd), 0);
	wait_for(&seen.owner_closed, 1);
	assert_int_equal(atomic_load(&seen.half_closed), 1);
	assert_int_equal(atomic_load(&seen.ready), 1);
	assert_int_equal(atomic_load(&seen.closed), 0);
	close(fd);

	/* the server goes on serving */
	fd = client_connect(fx);
	expect_ping(fd);
	close(fd);
}

/* exec start: a JSON body and Upgrade in one request; the handler reads the
 * body, then hijacks. */
static void test_upgrade_exec_body(void **state)
{
	struct fixture *fx = *state;
	const char *body = "{\"Detach\":false,\"Tty\":true}";
	char *req = xasprintf("POST /v1.44/exec/e1/start HTTP/1.1\r\nHost: x\r\n"
			      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
			      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n%s",
			      strlen(body), body);
	int fd = client_connect(fx);

	free(request(fd, req, strlen(req), "HTTP/1.1 101 "));
	free(req);
	expect_bytes(fd, "ready\n");
	assert_int_equal(atomic_load(&seen.tty), 1);
	assert_int_equal(atomic_load(&seen.extra_len), 0);
	client_send(fd, "ls\n", 3);
	expect_bytes(fd, "ls\n");
	close(fd);
	wait_for(&seen.owner_closed, 1);
}

/* No Upgrade: 200, chunked body of what the owner wrote, ending at its
 * close; the owner's reads give EOF at once. */
static void test_plain(void **state)
{
	struct fixture *fx = *state;
	const char *req = "POST /containers/c1/attach?stream=1&stdout=1 HTTP/1.1\r\n"
			  "Host: x\r\nContent-Length: 0\r\n\r\n";
	char body[256];
	int fd = client_connect(fx);
	char *h;

	h = request(fd, req, strlen(req), "HTTP/1.1 200 ");
	expect_header(h, "\r\nContent-Type: " RAW_STREAM "\r\n");
	expect_header(h, "\r\nTransfer-Encoding: chunked\r\n");
	free(h);
	read_chunked(fd, body, sizeof(body));
	assert_string_equal(body, "ready\nbye\n");
	wait_for(&seen.owner_closed, 1);
	assert_int_equal(atomic_load(&seen.half_closed), 1);
	assert_int_equal(atomic_load(&seen.closed), 0);

	/* the connection stays usable for the next request */
	expect_ping(fd);
	close(fd);
}

/* The server is freed while owners hold a 101 and a 200 hijack: ON_CLOSE
 * runs for each and the clients see EOF. LeakSanitizer checks the rest. */
static void test_shutdown_with_hijacks(void **state)
{
	struct fixture *fx = *state;
	const char *up = "POST /hold HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
			 "Upgrade: tcp\r\n\r\n";
	const char *plain = "POST /hold HTTP/1.1\r\nHost: x\r\n\r\n";
	char line[64];
	int a = client_connect(fx), b = client_connect(fx);

	free(request(a, up, strlen(up), "HTTP/1.1 101 "));
	expect_bytes(a, "ready\n");
	free(request(b, plain, strlen(plain), "HTTP/1.1 200 "));
	read_line(b, line, sizeof(line)); /* chunk size */
	expect_bytes(b, "ready\n");
	wait_for(&seen.ready, 2);

	free_server(fx);
	assert_int_equal(atomic_load(&seen.closed), 2);
	assert_int_equal(atomic_load(&seen.owner_closed), 0);
	assert_int_equal(read_to_eof(a), 0);
	read_to_eof(b);
	close(a);
	close(b);
}

/* The client hangs up while the handler waits; the continuation hijacks a
 * dead connection: ON_CLOSE, never ON_READY. */
static void test_client_gone_before_ready(void **state)
{
	struct fixture *fx = *state;
	const char *req = "POST /late HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
			  "Upgrade: tcp\r\n\r\n";
	int fd = client_connect(fx);

	client_send(fd, req, strlen(req));
	wait_for(&seen.suspended, 1);
	close(fd);
	wait_for(&seen.closed, 1);
	assert_int_equal(atomic_load(&seen.ready), 0);
	assert_int_equal(atomic_load(&seen.owner_closed), 0);
}

/* The client hangs up after the 101: the owner reads EOF and closes. */
static void test_client_gone_after_ready(void **state)
{
	struct fixture *fx = *state;
	int fd = client_connect(fx);

	free(request(fd, UPGRADE_ATTACH, strlen(UPGRADE_ATTACH), "HTTP/1.1 101 "));
	expect_bytes(fd, "ready\n");
	close(fd);
	wait_for(&seen.owner_closed, 1);
	assert_int_equal(atomic_load(&seen.closed), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upgrade_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_exec_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_with_hijacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone_before_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone_after_ready, setup, teardown),
	};

	/* an owner writing to a client that is gone gets EPIPE, as in the daemon */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
