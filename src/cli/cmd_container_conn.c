/* cmd_container_conn.c: the connections libcurl's buffered calls do not
 * fit: a hijacked attach or exec stream (the HTTP request written by hand,
 * the 101 answer parsed, then raw bytes both ways) and the long-polled
 * wait of `run`, each on a socket of its own. Then docker's
 * hijackedIOStreamer over them: stdin to the container, its output
 * demultiplexed to stdout and stderr (or copied raw with a TTY), the
 * terminal in raw mode, the detach keys, resizes and signals passed on. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"

#define IO_CHUNK 32768

/* ---- connecting ---- */

int berth_cli_write_all(int fd, const char *buf, size_t len)
{
	return berth_http_write_all(fd, buf, len);
}

int berth_cli_conn_open(struct berth_client *c, const char *method, const char *path,
			const char *query, const char *body, bool upgrade,
			struct berth_http_conn *out, berth_error_t *err)
{
	const char *version;
	cleanup_free char *target = NULL;
	cleanup_free char *ebody = NULL;
	struct berth_http_request rq = {
		.method = method,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.content_type = body ? "application/json" : upgrade ? "text/plain" : NULL,
		.in_fd = -1,
		.upgrade = upgrade,
	};
	size_t elen = 0;

	*out = (struct berth_http_conn)BERTH_HTTP_CONN_INIT;
	if (berth_client_negotiate(c, err) < 0)
		return -1;
	version = berth_client_api_version(c);
	target = xasprintf("%s%s%s%s%s", *version ? "/v" : "", version, path,
			   query && *query ? "?" : "", query ? query : "");
	rq.target = target;
	if (berth_http_conn_open(berth_client_host(c), &rq, out, err) < 0)
		return -1;
	if (out->status < 400)
		return 0;
	if (berth_http_conn_read_body(out, BERTH_CLI_CONN_MAX_BODY, &ebody, &elen, err) == 0)
		berth_cli_image_http_error(out->status, out->content_type, ebody, elen, path, err);
	berth_http_conn_close(out);
	return -1;
}

void berth_cli_conn_close(struct berth_http_conn *conn)
{
	berth_http_conn_close(conn);
}

int berth_cli_conn_read_body(struct berth_http_conn *conn, char **out, size_t *len,
			     berth_error_t *err)
{
	return berth_http_conn_read_body(conn, BERTH_CLI_CONN_MAX_BODY, out, len, err);
}

int berth_cli_wait_result(struct berth_http_conn *wait)
{
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *body = NULL;
	size_t len = 0;
	json_t *j, *e;
	int code = BERTH_EXIT_DAEMON;

	if (berth_cli_conn_read_body(wait, &body, &len, &err) < 0) {
		fprintf(stderr, "error waiting for container: %s\n", err->msg);
		return code;
	}
	j = json_loadb(body, len, 0, NULL);
	e = json_object_get(json_object_get(j, "Error"), "Message");
	if (json_is_string(e))
		fprintf(stderr, "Error waiting for container: %s\n", json_string_value(e));
	else if (j)
		code = (int)berth_cli_image_num(j, "StatusCode");
	else
		fprintf(stderr, "error waiting for container: unexpected EOF\n");
	json_decref(j);
	return code;
}

/* ---- stdcopy ---- */

int berth_cli_demux_feed(struct berth_cli_demux *d, const char *data, size_t len,
			 berth_cli_demux_cb cb, void *arg)
{
	while (len) {
		if (d->left == 0) {
			size_t take = 8 - d->head_len < len ? 8 - d->head_len : len;
			memcpy(d->head + d->head_len, data, take);
			d->head_len += take;
			data += take;
			len -= take;
			if (d->head_len < 8)
				return 0;
			d->head_len = 0;
			if (d->head[0] > 2)
				return -2;
			d->stream = d->head[0];
			d->left = (uint32_t)d->head[4] << 24 | (uint32_t)d->head[5] << 16 |
				  (uint32_t)d->head[6] << 8 | d->head[7];
			continue;
		}
		size_t take = d->left < len ? d->left : len;
		int ret = cb(d->stream, data, take, arg);
		if (ret < 0)
			return ret;
		d->left -= (uint32_t)take;
		data += take;
		len -= take;
	}
	return 0;
}

/* ---- detach keys (moby term.ToBytes) ---- */

int berth_cli_detach_keys(const char *spec, unsigned char *out, size_t max, berth_error_t *err)
{
	cleanup_free char *dup = xstrdup(spec);
	char *save = NULL;
	size_t n = 0;

	for (char *k = strtok_r(dup, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		while (*k == ' ')
			k++;
		if (n == max)
			return berth_make_error(err, EINVAL, "too many detach keys");
		if (strlen(k) > 1 && strncasecmp(k, "ctrl-", 5) != 0)
			return berth_make_error(err, EINVAL, "Unknown character: '%s'", k);
		if (strlen(k) == 1) {
			out[n++] = (unsigned char)k[0];
			continue;
		}
		char c = (char)tolower((unsigned char)k[5]);
		if (strlen(k) != 6)
			return berth_make_error(err, EINVAL, "Unknown character: '%s'", k);
		if (c >= 'a' && c <= 'z')
			out[n++] = (unsigned char)(c - 'a' + 1);
		else if (c == '@')
			out[n++] = 0;
		else if (strchr("[\\]^_", c))
			out[n++] = (unsigned char)(c - '[' + 27);
		else
			return berth_make_error(err, EINVAL, "Unknown character: '%s'", k);
	}
	return (int)n;
}

/* ---- signals into the loop (a self-pipe: the CLI stays POSIX) ---- */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &b, 1) < 0) {
		/* a full pipe drops the signal, as Go's buffered channel would */
	}
	errno = saved;
}

/* The signals docker's sig-proxy passes on, by their names in its map. */
static const struct {
	int sig;
	const char *name;
} proxied[] = {
	{ SIGHUP, "HUP" },   { SIGINT, "INT" },	  { SIGQUIT, "QUIT" }, { SIGUSR1, "USR1" },
	{ SIGUSR2, "USR2" }, { SIGTERM, "TERM" }, { SIGALRM, "ALRM" }, { SIGWINCH, "WINCH" },
};

static void set_handlers(bool proxy, bool winch, void (*h)(int))
{
	struct sigaction sa = { .sa_handler = h };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(proxied); i++)
		if (proxy || (winch && proxied[i].sig == SIGWINCH))
			sigaction(proxied[i].sig, &sa, NULL);
}

static const char *signal_name(int sig)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(proxied); i++)
		if (proxied[i].sig == sig)
			return proxied[i].name;
	return NULL;
}

void berth_cli_resize(struct berth_client *c, const char *resize_path)
{
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *query = NULL;
	struct winsize ws;
	char h[16], w[16];

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || (ws.ws_row == 0 && ws.ws_col == 0))
		return;
	snprintf(h, sizeof(h), "%u", ws.ws_row);
	snprintf(w, sizeof(w), "%u", ws.ws_col);
	berth_client_query_add(&query, "h", h);
	berth_client_query_add(&query, "w", w);
	if (berth_client_call_json(c, "POST", resize_path, query, NULL, NULL, &err) < 0)
		berth_log_debug("Error resize: %s", err->msg);
}

/* ---- the streamer ---- */

struct streamer {
	struct berth_http_conn *conn;
	const struct berth_cli_stream_opts *so;
	struct berth_cli_demux demux;
	unsigned char keys[16];
	size_t nkeys;
	size_t matched; /* bytes of the detach keys seen and held back */
	bool in_open, out_open, wait_open;
	struct termios saved;
	bool raw;
};

static int write_stream(int stream, const char *data, size_t len, void *arg)
{
	const struct berth_cli_stream_opts *so = arg;
	int fd = stream == 2 ? STDERR_FILENO : STDOUT_FILENO;

	if ((stream == 2 && !so->err) || (stream != 2 && !so->out))
		return 0;
	return berth_cli_write_all(fd, data, len) < 0 ? -1 : 0;
}

static int on_output(struct streamer *s, const char *data, size_t len, berth_error_t *err)
{
	int ret;

	if (s->so->tty)
		return s->so->out && berth_cli_write_all(STDOUT_FILENO, data, len) < 0 ? -1 : 0;
	ret = berth_cli_demux_feed(&s->demux, data, len, write_stream, (void *)s->so);
	if (ret == -2)
		return berth_make_error(err, EPROTO, "Unrecognized input header: %d",
					s->demux.head[0]);
	return ret;
}

/* moby's EscapeProxy: the detach keys are held back while they match; a
 * full match detaches, a mismatch lets them through. Returns 1 on detach. */
static int send_input(struct streamer *s, const unsigned char *buf, size_t len)
{
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < len && s->nkeys; i++) {
		if (buf[i] == s->keys[s->matched]) {
			if (++s->matched == s->nkeys) {
				ret = 1;
				break;
			}
			continue;
		}
		berth_strbuf_append(&out, s->keys, s->matched);
		s->matched = 0;
		berth_strbuf_append(&out, buf + i, 1);
	}
	if (s->nkeys == 0)
		berth_strbuf_append(&out, buf, len);
	if (ret == 0 && out.len && berth_cli_write_all(s->conn->fd, out.buf, out.len) < 0)
		ret = -1;
	berth_strbuf_release(&out);
	return ret;
}

static void raw_mode(struct streamer *s)
{
	struct termios t;

	if (!s->so->raw_terminal || tcgetattr(STDIN_FILENO, &s->saved) < 0)
		return;
	t = s->saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	s->raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

static void restore_mode(struct streamer *s)
{
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	s->raw = false;
}

static void handle_signals(struct streamer *s)
{
	unsigned char sigs[64];
	ssize_t n = read(sig_pipe[0], sigs, sizeof(sigs));

	for (ssize_t i = 0; i < n; i++) {
		const char *name = signal_name(sigs[i]);
		if (sigs[i] == SIGWINCH && s->so->resize_path)
			berth_cli_resize(s->so->client, s->so->resize_path);
		if (s->so->kill_path && name) {
			cleanup_error berth_error_t err = NULL;
			cleanup_free char *q = NULL;
			berth_client_query_add(&q, "signal", name);
			if (berth_client_call_json(s->so->client, "POST", s->so->kill_path, q, NULL,
						   NULL, &err) < 0)
				berth_log_debug("Error sending signal: %s", err->msg);
		}
	}
}

/* One read of stdin: sent on, or at EOF the write side closed (CloseWrite). */
static int pump_input(struct streamer *s)
{
	unsigned char buf[IO_CHUNK];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		s->in_open = false;
		restore_mode(s);
		shutdown(s->conn->fd, SHUT_WR);
		return 0;
	}
	return send_input(s, buf, (size_t)n);
}

static int pump_output(struct streamer *s, berth_error_t *err)
{
	ssize_t n = berth_http_conn_fill(s->conn);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		s->out_open = false;
		return 0;
	}
	n = on_output(s, s->conn->pending.buf, s->conn->pending.len, err);
	berth_strbuf_reset(&s->conn->pending);
	return (int)n;
}

/* Which descriptors the loop watches; returns how many. */
static nfds_t watch(struct streamer *s, struct pollfd *p)
{
	nfds_t n = 0;

	p[n++] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = s->out_open ? s->conn->fd : -1, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = s->in_open ? STDIN_FILENO : -1, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = s->wait_open ? s->so->wait->fd : -1, .events = POLLIN };
	return n;
}

/* The loop: ends when the output ends; without output streams, when the
 * input ends or the container exits. */
static int stream_loop(struct streamer *s, berth_error_t *err)
{
	bool has_out = s->so->out || s->so->err;

	while (s->out_open || (!has_out && s->in_open)) {
		struct pollfd p[4];
		int ret = 0;
		if (!has_out && s->so->wait && !s->wait_open)
			break;
		if (poll(p, watch(s, p), -1) < 0) {
			if (errno == EINTR)
				continue;
			return berth_make_error(err, errno, "poll: %s", strerror(errno));
		}
		if (p[0].revents)
			handle_signals(s);
		if (p[1].revents)
			ret = pump_output(s, err);
		if (ret == 0 && p[2].revents)
			ret = pump_input(s);
		if (ret == 0 && p[3].revents) {
			*s->so->wait_status = berth_cli_wait_result(s->so->wait);
			s->wait_open = false;
		}
		if (ret != 0)
			return ret < 0 && (*err == NULL)
				   ? berth_make_error(err, EIO, "%s", strerror(errno))
				   : ret;
	}
	return 0;
}

int berth_cli_stream(struct berth_http_conn *conn, const struct berth_cli_stream_opts *so,
		     berth_error_t *err)
{
	struct streamer s = { .conn = conn, .so = so, .in_open = so->in, .out_open = true };
	bool winch = so->resize_path && isatty(STDOUT_FILENO);
	int ret = 0;

	s.wait_open = so->wait != NULL && so->wait->fd >= 0;
	if (so->raw_terminal) {
		berth_error_t ignored = NULL;
		int n = berth_cli_detach_keys(so->detach_keys ? so->detach_keys : "ctrl-p,ctrl-q",
					      s.keys, sizeof(s.keys), &ignored);
		if (n < 0) {
			berth_error_release(&ignored);
			n = berth_cli_detach_keys("ctrl-p,ctrl-q", s.keys, sizeof(s.keys),
						  &ignored);
		}
		s.nkeys = (size_t)n;
	}
	if (pipe(sig_pipe) < 0)
		return berth_make_error(err, errno, "pipe: %s", strerror(errno));
	set_handlers(so->kill_path != NULL, winch, on_signal);
	raw_mode(&s);
	if (conn->pending.len) { /* output that came with the 101 answer */
		ret = on_output(&s, conn->pending.buf, conn->pending.len, err);
		berth_strbuf_reset(&conn->pending);
	}
	if (ret == 0)
		ret = stream_loop(&s, err);
	restore_mode(&s);
	set_handlers(so->kill_path != NULL, winch, SIG_DFL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	return ret;
}
