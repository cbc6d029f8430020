/* conn.c: one HTTP/1.1 exchange with the daemon (conn.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "http/conn.h"

#define IO_CHUNK 32768
/* Longest chunk-size line accepted (hex digits, extensions). */
#define MAX_CHUNK_LINE 256

/* ---- connecting ---- */

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		if (errno != EINTR)
			return -errno;
	return steal_fd(&fd);
}

static int connect_tcp(const char *hostport)
{
	cleanup_free char *host = xstrdup(hostport);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char *port, *slash = strchr(host, '/');
	int fd = -1, e = ECONNREFUSED;

	if (slash)
		*slash = '\0';
	port = strrchr(host, ':');
	if (port == NULL)
		return -ECONNREFUSED;
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : -e;
}

int berth_http_dial(const char *host, berth_error_t *err)
{
	int fd;

	if (strncmp(host, "unix://", 7) == 0)
		fd = connect_unix(host + 7);
	else
		fd = connect_tcp(host + strlen("tcp://"));
	if (fd >= 0)
		return fd;
	if (fd == -EACCES)
		return berth_make_error(
		    err, EACCES,
		    "permission denied while trying to connect to the berth daemon socket at %s",
		    host);
	return berth_make_error(
	    err, ECONNREFUSED,
	    "Cannot connect to the berth daemon at %s. Is the berth daemon running?", host);
}

int berth_http_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			return berth_fs_write_all(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the request ---- */

static char *request_head(const char *host, const struct berth_http_request *rq)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_strbuf_printf(&sb, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: berth/%s\r\n",
			    rq->method, rq->target,
			    strncmp(host, "tcp://", 6) == 0 ? host + 6 : "api.moby.localhost",
			    BERTH_VERSION);
	for (const char *const *h = rq->headers; h && *h; h++)
		berth_strbuf_printf(&sb, "%s\r\n", *h);
	if (rq->content_type)
		berth_strbuf_printf(&sb, "Content-Type: %s\r\n", rq->content_type);
	if (rq->in_fd >= 0)
		berth_strbuf_puts(&sb, "Transfer-Encoding: chunked\r\n");
	else if (rq->body || strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0)
		berth_strbuf_printf(&sb, "Content-Length: %zu\r\n", rq->body ? rq->body_len : 0);
	if (rq->upgrade)
		berth_strbuf_puts(&sb, "Connection: Upgrade\r\nUpgrade: tcp\r\n");
	berth_strbuf_puts(&sb, "\r\n");
	return berth_strbuf_steal(&sb);
}

/* Sends IN_FD's bytes as chunks, then the last chunk. *READ_ERRNO is set
 * when reading IN_FD failed; a failed send is -1 with errno. */
static int send_chunks(int sock, int in_fd, int *read_errno)
{
	cleanup_free char *buf = xmalloc(IO_CHUNK + 32);

	for (;;) {
		ssize_t n = read(in_fd, buf + 16, IO_CHUNK);
		char head[16];
		int hl;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*read_errno = errno;
			return 0;
		}
		if (n == 0)
			return berth_http_write_all(sock, "0\r\n\r\n", 5);
		hl = snprintf(head, sizeof(head), "%zx\r\n", (size_t)n);
		memcpy(buf + 16 - hl, head, (size_t)hl);
		memcpy(buf + 16 + n, "\r\n", 2);
		if (berth_http_write_all(sock, buf + 16 - hl, (size_t)hl + (size_t)n + 2) < 0)
			return -1;
	}
}

/* ---- the answer ---- */

ssize_t berth_http_conn_fill(struct berth_http_conn *conn)
{
	char buf[IO_CHUNK];
	ssize_t n;

	do
		n = read(conn->fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		berth_strbuf_append(&conn->pending, buf, (size_t)n);
	return n;
}

static void take(char **dst, const char *v, size_t len)
{
	free(*dst);
	*dst = xstrndup(v, len);
}

static void parse_header(struct berth_http_conn *conn, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *v, *end = line + len;
	size_t nlen;

	if (colon == NULL)
		return;
	nlen = (size_t)(colon - line);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
#define IS(name) (nlen == strlen(name) && strncasecmp(line, name, nlen) == 0)
	if (IS("Content-Type"))
		take(&conn->content_type, v, (size_t)(end - v));
	else if (IS("Api-Version"))
		take(&conn->api_version, v, (size_t)(end - v));
	else if (IS("X-Docker-Container-Path-Stat"))
		take(&conn->path_stat, v, (size_t)(end - v));
	else if (IS("Content-Length"))
		conn->content_length = strtoll(v, NULL, 10);
	else if (IS("Transfer-Encoding"))
		conn->chunked = end - v >= 7 && strncasecmp(end - 7, "chunked", 7) == 0;
#undef IS
}

/* Reads one response head (skipping 100 Continue answers); what follows
 * stays pending. */
static int read_head(struct berth_http_conn *conn, bool head_request, berth_error_t *err)
{
	for (;;) {
		char *end, *line;

		while ((end = conn->pending.buf ? strstr(conn->pending.buf, "\r\n\r\n") : NULL) ==
		       NULL) {
			ssize_t n;
			if (conn->pending.len > BERTH_HTTP_MAX_HEAD)
				return berth_make_error(err, EPROTO,
							"response head larger than %d bytes",
							BERTH_HTTP_MAX_HEAD);
			n = berth_http_conn_fill(conn);
			if (n < 0)
				return berth_make_error(err, errno, "error during connect: %s",
							strerror(errno));
			if (n == 0)
				return berth_make_error(err, EPROTO, "error during connect: EOF");
		}
		if (sscanf(conn->pending.buf, "HTTP/%*u.%*u %ld", &conn->status) != 1)
			return berth_make_error(err, EPROTO, "malformed HTTP response");
		line = strstr(conn->pending.buf, "\r\n") + 2;
		while (line < end) {
			char *eol = strstr(line, "\r\n");
			parse_header(conn, line, (size_t)(eol - line));
			line = eol + 2;
		}
		berth_strbuf_consume(&conn->pending, (size_t)(end + 4 - conn->pending.buf));
		if (conn->status != 100)
			break;
		conn->content_length = -1;
		conn->chunked = false;
	}
	conn->no_body = head_request || conn->status == 204 || conn->status == 304 ||
			(conn->status >= 100 && conn->status < 200);
	conn->body_done = conn->no_body || (!conn->chunked && conn->content_length == 0);
	if (!conn->chunked && conn->content_length > 0)
		conn->left = (uint64_t)conn->content_length;
	return 0;
}

int berth_http_conn_open(const char *host, const struct berth_http_request *rq,
			 struct berth_http_conn *conn, berth_error_t *err)
{
	cleanup_free char *head = request_head(host, rq);
	int read_errno = 0, e = 0;

	*conn = (struct berth_http_conn)BERTH_HTTP_CONN_INIT;
	conn->fd = berth_http_dial(host, err);
	if (conn->fd < 0)
		return -1;
	berth_log_debug("client: %s %s", rq->method, rq->target);
	if (berth_http_write_all(conn->fd, head, strlen(head)) < 0 ||
	    (rq->body && berth_http_write_all(conn->fd, rq->body, rq->body_len) < 0) ||
	    (rq->in_fd >= 0 && send_chunks(conn->fd, rq->in_fd, &read_errno) < 0))
		e = errno; /* the daemon may have answered and closed early: read that */
	if (read_errno) { /* Go's text: "read: input/output error" */
		char msg[256];
		berth_http_conn_close(conn);
		snprintf(msg, sizeof(msg), "%s", strerror(read_errno));
		msg[0] = (char)tolower((unsigned char)msg[0]);
		return berth_make_error(err, read_errno, "read: %s", msg);
	}
	if (read_head(conn, strcmp(rq->method, "HEAD") == 0, err) < 0) {
		if (e) {
			berth_error_release(err);
			berth_make_error(err, e, "error during connect: %s \"%s\": %s", rq->method,
					 rq->target, strerror(e));
		}
		berth_http_conn_close(conn);
		return -1;
	}
	return 0;
}

void berth_http_conn_close(struct berth_http_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	free(conn->content_type);
	free(conn->api_version);
	free(conn->path_stat);
	conn->content_type = conn->api_version = conn->path_stat = NULL;
	berth_strbuf_release(&conn->pending);
}

/* Makes sure a CRLF-ended line is pending; its length (without CRLF) or
 * < 0 at EOF or when it is longer than MAX. */
static ssize_t pending_line(struct berth_http_conn *conn, size_t max)
{
	for (;;) {
		char *eol = conn->pending.buf ? memmem(conn->pending.buf, conn->pending.len, "\r\n", 2)
					      : NULL;
		if (eol)
			return eol - conn->pending.buf;
		if (conn->pending.len > max || berth_http_conn_fill(conn) <= 0)
			return -1;
	}
}

/* Hands over what is pending of the current piece (at most LEFT bytes, or
 * everything when UNBOUNDED). Returns 1 when SINK stopped. */
static int deliver(struct berth_http_conn *conn, bool unbounded, berth_http_sink sink, void *arg)
{
	size_t n = conn->pending.len;

	if (!unbounded && n > conn->left)
		n = (size_t)conn->left;
	if (n == 0)
		return 0;
	if (!unbounded)
		conn->left -= n;
	if (sink(conn->pending.buf, n, arg) < 0) {
		berth_strbuf_consume(&conn->pending, n);
		return 1;
	}
	berth_strbuf_consume(&conn->pending, n);
	return 0;
}

static int chunked_body(struct berth_http_conn *conn, berth_http_sink sink, void *arg,
			berth_error_t *err)
{
	for (;;) {
		ssize_t ll;
		char *end;
		if (conn->in_chunk) {
			while (conn->left) {
				if (conn->pending.len == 0 && berth_http_conn_fill(conn) <= 0)
					return berth_make_error(err, EPROTO, "unexpected EOF");
				if (deliver(conn, false, sink, arg))
					return 1;
			}
			if (pending_line(conn, 2) != 0)
				return berth_make_error(err, EPROTO, "bad chunked encoding");
			berth_strbuf_consume(&conn->pending, 2);
			conn->in_chunk = false;
		}
		ll = pending_line(conn, MAX_CHUNK_LINE);
		if (ll <= 0)
			return berth_make_error(err, EPROTO, "bad chunked encoding");
		errno = 0;
		conn->left = strtoull(conn->pending.buf, &end, 16);
		if (end == conn->pending.buf || errno || (*end != '\r' && *end != ';'))
			return berth_make_error(err, EPROTO, "bad chunked encoding");
		berth_strbuf_consume(&conn->pending, (size_t)ll + 2);
		if (conn->left == 0) {
			/* trailers, up to the empty line */
			while ((ll = pending_line(conn, BERTH_HTTP_MAX_HEAD)) > 0)
				berth_strbuf_consume(&conn->pending, (size_t)ll + 2);
			if (ll == 0)
				berth_strbuf_consume(&conn->pending, 2);
			conn->body_done = true;
			return 0;
		}
		conn->in_chunk = true;
	}
}

int berth_http_conn_body(struct berth_http_conn *conn, berth_http_sink sink, void *arg,
			 berth_error_t *err)
{
	int r;

	if (conn->body_done)
		return 0;
	if (conn->chunked) {
		r = chunked_body(conn, sink, arg, err);
		return r;
	}
	for (;;) {
		bool unbounded = conn->content_length < 0;
		ssize_t n;
		if (deliver(conn, unbounded, sink, arg))
			return 1;
		if (!unbounded && conn->left == 0)
			break;
		n = berth_http_conn_fill(conn);
		if (n < 0)
			return berth_make_error(err, errno, "read: %s", strerror(errno));
		if (n == 0) {
			if (!unbounded)
				return berth_make_error(err, EPROTO, "unexpected EOF");
			break;
		}
	}
	conn->body_done = true;
	return 0;
}

struct collect {
	struct berth_strbuf *sb;
	size_t max;
	bool too_big;
};

static int collect_piece(const char *data, size_t len, void *arg)
{
	struct collect *c = arg;

	if (c->sb->len + len > c->max) {
		c->too_big = true;
		return -1;
	}
	berth_strbuf_append(c->sb, data, len);
	return 0;
}

int berth_http_conn_read_body(struct berth_http_conn *conn, size_t max, char **out, size_t *len,
			      berth_error_t *err)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	struct collect c = { .sb = &sb, .max = max };
	int r = berth_http_conn_body(conn, collect_piece, &c, err);

	if (r < 0 || c.too_big) {
		berth_strbuf_release(&sb);
		if (c.too_big)
			return berth_make_error(err, EFBIG, "response body larger than %zu bytes",
						max);
		return -1;
	}
	berth_strbuf_append(&sb, "", 0);
	*len = sb.len;
	*out = berth_strbuf_steal(&sb);
	return 0;
}
