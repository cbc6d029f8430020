#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "http/server.h"

#define STREAM_BLOCK (32 * 1024)

struct resp_header {
	char *name, *value;
	struct resp_header *next;
};

struct berth_http_stream {
	struct berth_http_server *srv;
	struct berth_http_req *req; /* borrowed: the stream dies with its request */
	struct MHD_Connection *conn;
	struct berth_strbuf buf;
	struct berth_loop_handler *watch; /* EPOLLRDHUP on the client fd */
	berth_http_stream_close_cb on_close;
	void *data;
	bool suspended, ended, gone;
	int src_fd; /* owned, or -1: the body comes from this (non-blocking) fd */
	struct berth_loop_handler *src_watch; /* EPOLLIN on src_fd while it is empty */
	/* Runs once, at the first read of the body: the headers are out then. */
	void (*on_first_read)(void *data);
	void *first_read_data;
	struct berth_http_stream *prev, *next; /* srv->streams */
};

struct berth_http_hijack {
	struct berth_http_server *srv;
	struct berth_http_req *req;	       /* borrowed: NULL once the request is freed */
	struct berth_http_stream *stream;      /* borrowed: a plain hijack's body (req owns it) */
	struct MHD_UpgradeResponseHandle *urh; /* after a 101: closes the socket */
	int fd;	     /* 101: MHD's socket (MHD closes it); 200: our socketpair end (owned) */
	char *extra; /* owned: extra_in, copied */
	size_t extra_len;
	bool ready; /* ON_READY has run */
	berth_http_hijack_cb on_ready, on_close;
	void *data;
	struct berth_http_hijack *prev, *next; /* srv->hijacks */
};

struct berth_http_req {
	struct berth_http_server *srv;
	struct MHD_Connection *conn;
	char *method;	     /* owned */
	char *url;	     /* owned, as received (decoded) */
	const char *path;    /* into url, after the version prefix */
	int api_version;     /* major*1000+minor */
	char *version_error; /* owned: the 400 message for an unsupported version */
	const struct berth_route *route;
	char *param_names[BERTH_HTTP_MAX_PARAMS];  /* owned */
	char *param_values[BERTH_HTTP_MAX_PARAMS]; /* owned */
	int n_params;
	struct berth_strbuf body;
	size_t max_body;
	int spool_fd; /* owned, or -1: the body of a spooling route, on disk */
	uint64_t spooled;
	bool replied;
	bool suspended;		 /* waiting for berth_http_req_resume */
	bool client_gone;	 /* the client hung up while suspended */
	berth_http_handler cont; /* runs at the next access call after a resume */
	void *cont_ctx;
	berth_http_gone_cb gone_cb;
	void *gone_data;
	struct berth_loop_handler *suspend_watch;
	struct berth_http_req *susp_prev, *susp_next; /* srv->suspended */
	struct resp_header *headers;		      /* owned, for the next reply */
	struct berth_http_stream *stream;	      /* owned */
	struct berth_http_hijack *hijack; /* borrowed: its owner holds it; we only unlink */
	bool hijacked;			  /* answered by berth_http_req_hijack */
	bool http10;			  /* an HTTP/1.0 request: no 101 possible */
};

struct listener {
	char *path; /* owned */
	dev_t dev;
	ino_t ino;
	int fd;
	struct MHD_Daemon *mhd;
	struct berth_loop_handler *watch;
	struct listener *next;
};

struct berth_http_server {
	struct berth_loop *loop; /* borrowed: outlives the server */
	struct berth_http_server_config cfg;
	char api_max[16];
	struct listener *listeners;
	struct berth_http_stream *streams;
	struct berth_http_req *suspended;  /* requests waiting for a worker */
	struct berth_http_hijack *hijacks; /* hijacked connections, until closed */
};

/* --- responses ------------------------------------------------------- */

static void add_std_headers(struct berth_http_req *req, struct MHD_Response *r)
{
	struct resp_header *h;

	MHD_add_response_header(r, "Api-Version", req->srv->api_max);
	MHD_add_response_header(r, "Ostype", "linux");
	MHD_add_response_header(r, "Server", req->srv->cfg.server_header);
	for (h = req->headers; h; h = h->next)
		MHD_add_response_header(r, h->name, h->value);
}

static void queue(struct berth_http_req *req, unsigned status, struct MHD_Response *r)
{
	add_std_headers(req, r);
	if (MHD_queue_response(req->conn, status, r) != MHD_YES)
		berth_log_debug("http: could not queue %u for %s %s", status, req->method,
				req->url);
	MHD_destroy_response(r);
	req->replied = true;
}

void berth_http_req_add_header(struct berth_http_req *req, const char *name, const char *value)
{
	struct resp_header *h = xzalloc(sizeof(*h));

	h->name = xstrdup(name);
	h->value = xstrdup(value);
	h->next = req->headers;
	req->headers = h;
}

void berth_http_reply_data(struct berth_http_req *req, unsigned status, const char *content_type,
			   const void *data, size_t len)
{
	struct MHD_Response *r;

	assert(!req->hijacked && "a hijacked request gets no other answer");
	if (req->replied)
		return;
	r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	queue(req, status, r);
}

void berth_http_reply_empty(struct berth_http_req *req, unsigned status)
{
	berth_http_reply_data(req, status, NULL, "", 0);
}

void berth_http_reply_json(struct berth_http_req *req, unsigned status, json_t *body)
{
	cleanup_free char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text == NULL) {
		berth_http_reply_error(req, 500, "cannot encode response");
		return;
	}
	/* docker's encoder ends every JSON body with a newline */
	{
		cleanup_free char *line = xasprintf("%s\n", text);
		berth_http_reply_data(req, status, "application/json", line, strlen(line));
	}
}

void berth_http_reply_error(struct berth_http_req *req, unsigned status, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	berth_log_debug("http: %s %s -> %u %s", req->method, req->url, status, msg);
	berth_http_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

unsigned berth_http_status_for_errno(int code)
{
	switch (code) {
	case ENOENT:
		return 404;
	case EEXIST:
	case EBUSY:
		return 409;
	case EINVAL:
	case E2BIG:
		return 400;
	case EPERM:
	case EACCES:
		return 403;
	case ENOSYS:
	case EOPNOTSUPP:
		return 501;
	case EFBIG:
		return 413;
	default:
		return 500;
	}
}

void berth_http_reply_berror(struct berth_http_req *req, const berth_error_t err)
{
	berth_http_reply_error(req, berth_http_status_for_errno(err ? err->code : 0), "%s",
			       err && err->msg ? err->msg : "internal error");
}

/* --- request accessors ------------------------------------------------ */

void *berth_http_req_ctx(const struct berth_http_req *req)
{
	return req->srv->cfg.ctx;
}

const char *berth_http_req_method(const struct berth_http_req *req)
{
	return req->method;
}

const char *berth_http_req_path(const struct berth_http_req *req)
{
	return req->path;
}

const char *berth_http_req_param(const struct berth_http_req *req, const char *name)
{
	int i;

	for (i = 0; i < req->n_params; i++)
		if (strcmp(req->param_names[i], name) == 0)
			return req->param_values[i];
	return NULL;
}

const char *berth_http_req_query(const struct berth_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_collect {
	const char *name;
	json_t *out;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct query_collect *c = cls;

	if (key && value && strcmp(key, c->name) == 0 && json_array_size(c->out) < 1024)
		json_array_append_new(c->out, json_string(value));
	return MHD_YES;
}

json_t *berth_http_req_query_all(const struct berth_http_req *req, const char *name)
{
	struct query_collect c = { name, json_array() };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
	return c.out;
}

bool berth_http_req_query_bool(const struct berth_http_req *req, const char *name, bool def)
{
	const char *v = berth_http_req_query(req, name);

	if (v == NULL)
		return def;
	/* docker's BoolValue: anything but "", "0", "no", "false", "none" is true */
	return !(v[0] == '\0' || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 ||
		 strcasecmp(v, "false") == 0 || strcasecmp(v, "none") == 0);
}

const char *berth_http_req_header(const struct berth_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *berth_http_req_body(const struct berth_http_req *req, size_t *len)
{
	if (len)
		*len = req->body.len;
	return req->body.buf ? req->body.buf : "";
}

int berth_http_req_api_version(const struct berth_http_req *req)
{
	return req->api_version;
}

bool berth_http_req_version_lt(const struct berth_http_req *req, int major, int minor)
{
	return req->api_version < major * 1000 + minor;
}

/* Measures the nesting depth of a JSON text without parsing it, so that a
 * deeply nested body is refused before the parser recurses into it. */
static int json_depth(const char *s, size_t len)
{
	int depth = 0, max = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return max;
}

json_t *berth_http_req_json(struct berth_http_req *req, berth_error_t *err)
{
	json_error_t jerr;
	json_t *j;
	size_t len;
	const char *body = berth_http_req_body(req, &len);

	if (len == 0 || strspn(body, " \t\r\n") == len)
		return json_object();
	if (json_depth(body, len) > BERTH_HTTP_MAX_JSON_DEPTH) {
		berth_make_error(err, EINVAL, "request body is nested deeper than %d levels",
				 BERTH_HTTP_MAX_JSON_DEPTH);
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		berth_make_error(err, EINVAL, "invalid JSON: %s", jerr.text);
	return j;
}

/* --- streams ----------------------------------------------------------- */

static void stream_unwatch(struct berth_http_stream *st)
{
	berth_loop_del_fd(st->srv->loop, st->watch);
	st->watch = NULL;
}

static void stream_resume(struct berth_http_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = false;
	MHD_resume_connection(st->conn);
	/* In external-epoll mode a resume does not wake the loop by itself. */
	berth_loop_wake(st->srv->loop);
}

static void stream_src_ready(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct berth_http_stream *st = data;

	berth_loop_del_fd(loop, st->src_watch);
	st->src_watch = NULL;
	stream_resume(st);
}

/* A source fd backs the stream: read what is there; when it is empty,
 * sleep until it is readable. The writer blocks on a full pipe meanwhile,
 * which is the back-pressure. */
static ssize_t stream_read_src(struct berth_http_stream *st, char *buf, size_t max)
{
	ssize_t n = read(st->src_fd, buf, max);

	if (n > 0)
		return n;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (errno != EAGAIN && errno != EINTR)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->src_watch == NULL)
		st->src_watch = berth_loop_add_fd(st->srv->loop, st->src_fd, EPOLLIN,
						  stream_src_ready, st, NULL);
	if (st->src_watch == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	MHD_suspend_connection(st->conn);
	st->suspended = true;
	return 0;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct berth_http_stream *st = cls;
	size_t n;

	if (st->gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->on_first_read) {
		void (*fn)(void *) = st->on_first_read;
		st->on_first_read = NULL;
		fn(st->first_read_data);
	}
	if (st->src_fd >= 0)
		return stream_read_src(st, buf, max);
	if (st->buf.len > 0) {
		n = st->buf.len < max ? st->buf.len : max;
		memcpy(buf, st->buf.buf, n);
		berth_strbuf_consume(&st->buf, n);
		return (ssize_t)n;
	}
	if (st->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing to send: sleep until a writer resumes us (never busy-loop). */
	MHD_suspend_connection(st->conn);
	st->suspended = true;
	return 0;
}

static void stream_hup(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct berth_http_stream *st = data;

	st->gone = true;
	stream_unwatch(st);
	stream_resume(st);
}

struct berth_http_stream *berth_http_stream_open(struct berth_http_req *req, unsigned status,
						 const char *content_type,
						 berth_http_stream_close_cb on_close, void *data)
{
	struct berth_http_stream *st;
	const union MHD_ConnectionInfo *ci;
	struct MHD_Response *r;

	assert(!req->hijacked && "a hijacked request gets no other answer");
	st = xzalloc(sizeof(*st));
	st->srv = req->srv;
	st->req = req;
	st->conn = req->conn;
	st->src_fd = -1;
	st->on_close = on_close;
	st->data = data;
	req->stream = st;
	st->next = req->srv->streams;
	if (st->next)
		st->next->prev = st;
	req->srv->streams = st;

	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_reader, st,
					      NULL);
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	queue(req, status, r);

	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		st->watch = berth_loop_add_fd(req->srv->loop, ci->connect_fd, EPOLLRDHUP,
					      stream_hup, st, NULL);
	return st;
}

int berth_http_stream_write(struct berth_http_stream *st, const void *data, size_t len)
{
	if (st->gone || st->ended)
		return -1;
	if (st->buf.len + len > BERTH_HTTP_STREAM_MAX_BUFFER) {
		berth_log_warn("http: stream client too slow, closing it");
		st->gone = true;
		stream_unwatch(st);
		stream_resume(st);
		return -1;
	}
	berth_strbuf_append(&st->buf, data, len);
	stream_resume(st);
	return 0;
}

void berth_http_stream_end(struct berth_http_stream *st)
{
	if (st->ended)
		return;
	st->ended = true;
	stream_resume(st);
}

struct berth_http_stream *berth_http_stream_open_fd(struct berth_http_req *req, unsigned status,
						    const char *content_type, int fd,
						    berth_http_stream_close_cb on_close, void *data)
{
	struct berth_http_stream *st;
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	st = berth_http_stream_open(req, status, content_type, on_close, data);
	st->src_fd = fd;
	return st;
}

static void stream_free(struct berth_http_stream *st)
{
	if (st == NULL)
		return;
	stream_unwatch(st);
	berth_loop_del_fd(st->srv->loop, st->src_watch);
	if (st->src_fd >= 0)
		close(st->src_fd);
	if (st->prev)
		st->prev->next = st->next;
	else
		st->srv->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	if (st->on_close)
		st->on_close(st, st->data);
	berth_strbuf_release(&st->buf);
	free(st);
}

/* --- hijack ------------------------------------------------------------ */

/* Frees H and closes its connection: a 101 socket through MHD (which closes
 * it at its next run, hence the wake), a 200's socketpair end by us (the
 * stream then reads EOF and ends the body). */
static void hijack_free(struct berth_http_hijack *h)
{
	struct berth_http_server *srv = h->srv;

	if (h->prev)
		h->prev->next = h->next;
	else
		srv->hijacks = h->next;
	if (h->next)
		h->next->prev = h->prev;
	if (h->req)
		h->req->hijack = NULL;
	if (h->stream)
		h->stream->on_first_read = NULL;
	if (h->urh) {
		MHD_upgrade_action(h->urh, MHD_UPGRADE_ACTION_CLOSE);
		berth_loop_wake(srv->loop);
	} else if (h->fd >= 0) {
		close(h->fd);
	}
	free(h->extra);
	free(h);
}

/* The owner loses H without having closed it (shutdown, or the client went
 * away before ready): ON_CLOSE, then the same as a close. */
static void hijack_abandon(struct berth_http_hijack *h)
{
	if (h->on_close)
		h->on_close(h, h->data);
	hijack_free(h);
}

static void hijack_ready(struct berth_http_hijack *h)
{
	h->ready = true;
	h->on_ready(h, h->data);
}

/* The request of a hijacked connection is done: before ready that means the
 * client went away (or the daemon stops); after it the owner still holds H
 * and sees the end on the fd. */
static void hijack_detach(struct berth_http_req *req)
{
	struct berth_http_hijack *h = req->hijack;

	if (h == NULL)
		return;
	req->hijack = NULL;
	h->req = NULL;
	if (h->stream)
		h->stream->on_first_read = NULL;
	h->stream = NULL;
	if (!h->ready)
		hijack_abandon(h);
}

/* MHD has sent the 101 and hands the socket over. CON_CLS is our request;
 * its hijack is gone if the owner was told ON_CLOSE meanwhile (shutdown). */
static void upgrade_cb(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct berth_http_server *srv = cls;
	struct berth_http_req *req = con_cls;
	struct berth_http_hijack *h = req ? req->hijack : NULL;
	int flags;

	if (h == NULL) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		berth_loop_wake(srv->loop);
		return;
	}
	h->urh = urh;
	h->fd = sock;
	flags = fcntl(sock, F_GETFL);
	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(sock, F_SETFL, flags | O_NONBLOCK);
	if (extra_in_size > 0) {
		h->extra = xmalloc(extra_in_size);
		memcpy(h->extra, extra_in, extra_in_size);
		h->extra_len = extra_in_size;
	}
	hijack_ready(h);
}

static void plain_first_read(void *data)
{
	struct berth_http_hijack *h = data;

	h->stream = NULL;
	hijack_ready(h);
}

static int hijack_upgrade(struct berth_http_req *req, const char *proto, const char *content_type)
{
	struct MHD_Response *r = MHD_create_response_for_upgrade(upgrade_cb, req->srv);
	enum MHD_Result ok;

	if (r == NULL)
		return -1;
	/* MHD refuses a value with CR/LF; docker clients ask for tcp anyway. */
	if (MHD_add_response_header(r, "Upgrade", proto) != MHD_YES)
		MHD_add_response_header(r, "Upgrade", "tcp");
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	add_std_headers(req, r);
	ok = MHD_queue_response(req->conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	return ok == MHD_YES ? 0 : -1;
}

/* No Upgrade: a 200 stream fed by a socketpair whose other end is the
 * owner's fd. That end reads EOF at once: there is no input. */
static int hijack_plain(struct berth_http_req *req, struct berth_http_hijack *h,
			const char *content_type)
{
	struct berth_http_stream *st;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	shutdown(sv[1], SHUT_WR);
	h->fd = sv[0];
	st = berth_http_stream_open_fd(req, 200, content_type, sv[1], NULL, NULL);
	st->on_first_read = plain_first_read;
	st->first_read_data = h;
	h->stream = st;
	return 0;
}

int berth_http_req_hijack(struct berth_http_req *req, const char *content_type,
			  berth_http_hijack_cb on_ready, berth_http_hijack_cb on_close, void *data)
{
	struct berth_http_server *srv = req->srv;
	struct berth_http_hijack *h;
	const char *proto = berth_http_req_header(req, "Upgrade");
	int ret;

	assert(!req->replied && !req->suspended && !req->hijacked && on_ready);
	h = xzalloc(sizeof(*h));
	h->srv = srv;
	h->req = req;
	h->fd = -1;
	h->on_ready = on_ready;
	h->on_close = on_close;
	h->data = data;
	h->next = srv->hijacks;
	if (h->next)
		h->next->prev = h;
	srv->hijacks = h;
	req->hijack = h;
	if (proto && proto[0] && !req->http10)
		ret = hijack_upgrade(req, proto, content_type);
	else
		ret = hijack_plain(req, h, content_type);
	if (ret < 0) {
		berth_log_debug("http: cannot take over the connection of %s %s", req->method,
				req->url);
		hijack_free(h);
		berth_http_reply_error(req, 500, "cannot take over the connection");
		return -1;
	}
	req->replied = true;
	req->hijacked = true;
	return 0;
}

int berth_http_hijack_fd(const struct berth_http_hijack *h)
{
	return h->fd;
}

void berth_http_hijack_set_close(struct berth_http_hijack *h, berth_http_hijack_cb on_close,
				 void *data)
{
	h->on_close = on_close;
	h->data = data;
}

const void *berth_http_hijack_extra(const struct berth_http_hijack *h, size_t *len)
{
	*len = h->extra_len;
	return h->extra;
}

void berth_http_hijack_close(struct berth_http_hijack *h)
{
	if (h == NULL)
		return;
	assert(h->ready && "close a hijack only after ON_READY");
	hijack_free(h);
}

/* --- routing ----------------------------------------------------------- */

static void req_free(struct berth_http_req *req)
{
	int i;

	if (req == NULL)
		return;
	hijack_detach(req);
	stream_free(req->stream);
	for (i = 0; i < req->n_params; i++) {
		free(req->param_names[i]);
		free(req->param_values[i]);
	}
	while (req->headers) {
		struct resp_header *h = req->headers;
		req->headers = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
	berth_strbuf_release(&req->body);
	if (req->spool_fd >= 0)
		close(req->spool_fd);
	free(req->version_error);
	free(req->method);
	free(req->url);
	free(req);
}

static void clear_params(struct berth_http_req *req)
{
	while (req->n_params > 0) {
		req->n_params--;
		free(req->param_names[req->n_params]);
		free(req->param_values[req->n_params]);
	}
}

/* Matches PATH against PATTERN; {name} takes one segment, {name*} one or
 * more (image names contain slashes). Captured values go into REQ. */
static bool match_pattern(struct berth_http_req *req, const char *pat, const char *path)
{
	while (*pat && *path) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			bool greedy = close && close > pat + 1 && close[-1] == '*';
			size_t nlen = (size_t)(close - pat - 1 - (greedy ? 1 : 0));
			const char *end;

			if (close == NULL || req->n_params >= BERTH_HTTP_MAX_PARAMS)
				return false;
			if (greedy) {
				/* the longest value whose remainder matches the rest of the pattern */
				for (end = path + strlen(path); end > path; end--) {
					int n = req->n_params;
					if (match_pattern(req, close + 1, end)) {
						memmove(
						    &req->param_names[n + 1], &req->param_names[n],
						    sizeof(char *) * (size_t)(req->n_params - n));
						memmove(&req->param_values[n + 1],
							&req->param_values[n],
							sizeof(char *) *
							    (size_t)(req->n_params - n));
						req->param_names[n] = xstrndup(pat + 1, nlen);
						req->param_values[n] =
						    xstrndup(path, (size_t)(end - path));
						req->n_params++;
						return req->n_params <= BERTH_HTTP_MAX_PARAMS;
					}
				}
				return false;
			}
			end = strchrnul(path, '/');
			if (end == path)
				return false;
			req->param_names[req->n_params] = xstrndup(pat + 1, nlen);
			req->param_values[req->n_params] = xstrndup(path, (size_t)(end - path));
			req->n_params++;
			pat = close + 1;
			path = end;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

/* Splits "/v1.41/x" into version 1041 and path "/x". Returns false when
 * there is a version prefix that is outside the supported range. */
static bool parse_version(struct berth_http_req *req)
{
	const struct berth_http_server_config *c = &req->srv->cfg;
	const char *u = req->url, *p;
	long major, minor = 0;
	char *end;
	int v, vmin = c->api_min_major * 1000 + c->api_min_minor;
	int vmax = c->api_max_major * 1000 + c->api_max_minor;

	req->api_version = vmax;
	req->path = u;
	if (u[0] != '/' || u[1] != 'v' || !isdigit((unsigned char)u[2]))
		return true;
	major = strtol(u + 2, &end, 10);
	if (*end == '.') {
		p = end + 1;
		if (!isdigit((unsigned char)*p))
			return true;
		minor = strtol(p, &end, 10);
	}
	if (*end != '/' && *end != '\0')
		return true;
	req->path = *end ? end : "/";
	if (major > 1000 || minor > 999) {
		v = INT32_MAX;
	} else
		v = (int)(major * 1000 + minor);
	req->api_version = v;
	if (v < vmin)
		req->version_error = xasprintf(
		    "client version %.*s is too old. Minimum supported API version is %d.%d, please upgrade your client to a newer version",
		    (int)(end - u - 2), u + 2, c->api_min_major, c->api_min_minor);
	else if (v > vmax)
		req->version_error =
		    xasprintf("client version %.*s is too new. Maximum supported API version is %s",
			      (int)(end - u - 2), u + 2, req->srv->api_max);
	return req->version_error == NULL;
}

static void route(struct berth_http_req *req)
{
	const struct berth_http_server_config *c = &req->srv->cfg;
	size_t i;

	parse_version(req);
	for (i = 0; i < c->n_routes; i++) {
		const struct berth_route *r = &c->routes[i];
		bool method_ok =
		    strcmp(r->method, req->method) == 0 ||
		    (strcmp(r->method, "GET") == 0 && strcmp(req->method, "HEAD") == 0);
		if (!method_ok)
			continue;
		if (match_pattern(req, r->pattern, req->path)) {
			req->route = r;
			req->max_body = r->max_body ? r->max_body : BERTH_HTTP_DEFAULT_MAX_BODY;
			return;
		}
		clear_params(req);
	}
	req->max_body = BERTH_HTTP_DEFAULT_MAX_BODY;
}

const struct berth_route *berth_http_route_test(const struct berth_http_server_config *cfg,
						const char *method, const char *url,
						int *api_version, char **version_err,
						char **first_param)
{
	struct berth_http_server srv = { .cfg = *cfg };
	struct berth_http_req *req = xzalloc(sizeof(*req));
	const struct berth_route *r;

	snprintf(srv.api_max, sizeof(srv.api_max), "%d.%d", cfg->api_max_major, cfg->api_max_minor);
	req->srv = &srv;
	req->spool_fd = -1;
	req->method = xstrdup(method);
	req->url = xstrdup(url);
	route(req);
	r = req->route;
	*api_version = req->api_version;
	*version_err = steal_pointer(&req->version_error);
	*first_param = req->n_params > 0 ? xstrdup(req->param_values[0]) : NULL;
	req_free(req);
	return r;
}

static void dispatch(struct berth_http_req *req)
{
	if (req->version_error) {
		berth_http_reply_error(req, 400, "%s", req->version_error);
		return;
	}
	if (req->route == NULL) {
		berth_http_reply_error(req, 404, "page not found: %s %s", req->method, req->path);
		return;
	}
	req->route->fn(req, req->srv->cfg.ctx);
	if (!req->replied && !req->suspended)
		berth_http_reply_error(req, 500, "handler for %s %s gave no answer", req->method,
				       req->path);
}

/* After a resume: the continuation answers, streams, or suspends again. */
static void continue_request(struct berth_http_req *req)
{
	berth_http_handler fn = req->cont;

	req->cont = NULL;
	fn(req, req->cont_ctx);
	if (!req->replied && !req->suspended)
		berth_http_reply_error(req, 500, "handler for %s %s gave no answer", req->method,
				       req->path);
}

static void suspend_hup(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct berth_http_req *req = data;

	req->client_gone = true;
	berth_loop_del_fd(req->srv->loop, req->suspend_watch);
	req->suspend_watch = NULL;
	if (req->gone_cb)
		req->gone_cb(req, req->gone_data);
}

void berth_http_req_suspend(struct berth_http_req *req, berth_http_gone_cb on_gone, void *data)
{
	struct berth_http_server *srv = req->srv;
	const union MHD_ConnectionInfo *ci;

	assert(!req->hijacked && "a hijacked request gets no other answer");
	req->suspended = true;
	req->gone_cb = on_gone;
	req->gone_data = data;
	MHD_suspend_connection(req->conn);
	/* MHD does not notice a hang-up on a suspended connection: we do */
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		req->suspend_watch = berth_loop_add_fd(srv->loop, ci->connect_fd, EPOLLRDHUP,
						       suspend_hup, req, NULL);
	req->susp_next = srv->suspended;
	req->susp_prev = NULL;
	if (srv->suspended)
		srv->suspended->susp_prev = req;
	srv->suspended = req;
}

void berth_http_req_resume(struct berth_http_req *req, berth_http_handler fn, void *ctx)
{
	struct berth_http_server *srv = req->srv;

	if (!req->suspended)
		return;
	berth_loop_del_fd(srv->loop, req->suspend_watch);
	req->suspend_watch = NULL;
	if (req->susp_prev)
		req->susp_prev->susp_next = req->susp_next;
	else
		srv->suspended = req->susp_next;
	if (req->susp_next)
		req->susp_next->susp_prev = req->susp_prev;
	req->suspended = false;
	req->gone_cb = NULL;
	req->cont = fn;
	req->cont_ctx = ctx;
	MHD_resume_connection(req->conn);
	berth_loop_wake(srv->loop);
}

bool berth_http_req_client_gone(const struct berth_http_req *req)
{
	return req->client_gone;
}

/* Uploads of spooling routes go to an unlinked file under spool_dir. */
static int spool_open(struct berth_http_req *req)
{
	const char *dir = req->srv->cfg.spool_dir ? req->srv->cfg.spool_dir : "/tmp";

	req->spool_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (req->spool_fd < 0) {
		berth_http_reply_error(req, 500, "cannot store the request body in `%s`: %s", dir,
				       strerror(errno));
		return -1;
	}
	return 0;
}

static void spool(struct berth_http_req *req, const char *data, size_t len)
{
	if (req->replied)
		return;
	if (req->spooled + len > req->max_body) {
		berth_http_reply_error(req, 413, "request body is larger than %zu bytes",
				       req->max_body);
		return;
	}
	while (len > 0) {
		ssize_t n = write(req->spool_fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			berth_http_reply_error(req, 507, "cannot store the request body: %s",
					       strerror(errno));
			return;
		}
		data += n;
		len -= (size_t)n;
		req->spooled += (uint64_t)n;
	}
}

int berth_http_req_take_body_fd(struct berth_http_req *req, uint64_t *size)
{
	int fd = req->spool_fd;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	req->spool_fd = -1;
	if (size)
		*size = req->spooled;
	return fd;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct berth_http_server *srv = cls;
	struct berth_http_req *req = *con_cls;

	if (req == NULL) {
		const char *cl;
		req = xzalloc(sizeof(*req));
		req->srv = srv;
		req->conn = conn;
		req->method = xstrdup(method);
		req->url = xstrdup(url);
		req->http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
		*con_cls = req;
		req->spool_fd = -1;
		route(req);
		if (req->route && req->route->spool && spool_open(req) < 0)
			return MHD_YES;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > req->max_body) {
			berth_http_reply_error(req, 413, "request body is larger than %zu bytes",
					       req->max_body);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0 && req->spool_fd >= 0) {
		spool(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!req->replied && req->body.len + *upload_data_size > req->max_body)
			berth_http_reply_error(req, 413, "request body is larger than %zu bytes",
					       req->max_body);
		else if (!req->replied)
			berth_strbuf_append(&req->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->cont)
		continue_request(req);
	else if (!req->replied && !req->suspended)
		dispatch(req);
	return MHD_YES;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	req_free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (berth_log_current_level >= BERTH_LOG_DEBUG) {
		cleanup_free char *msg = xvasprintf(fmt, ap);
		size_t l = strlen(msg);
		if (l && msg[l - 1] == '\n')
			msg[l - 1] = '\0';
		berth_log_debug("http: %s", msg);
	}
}

/* --- server and listeners ----------------------------------------------- */

static int64_t server_prepare(void *data)
{
	struct berth_http_server *srv = data;
	struct listener *l;
	int64_t timeout = -1;

	for (l = srv->listeners; l; l = l->next) {
		MHD_UNSIGNED_LONG_LONG t;
		MHD_run(l->mhd);
		if (MHD_get_timeout(l->mhd, &t) == MHD_YES && (timeout < 0 || (int64_t)t < timeout))
			timeout = (int64_t)t;
	}
	return timeout;
}

static void mhd_ready(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	/* MHD_run happens in server_prepare, once per loop round. */
}

struct berth_http_server *berth_http_server_new(struct berth_loop *loop,
						const struct berth_http_server_config *cfg,
						berth_error_t *err)
{
	struct berth_http_server *srv = xzalloc(sizeof(*srv));

	srv->loop = loop;
	srv->cfg = *cfg;
	snprintf(srv->api_max, sizeof(srv->api_max), "%d.%d", cfg->api_max_major,
		 cfg->api_max_minor);
	berth_loop_set_prepare(loop, server_prepare, srv);
	return srv;
}

static int bind_socket(const char *path, mode_t mode, berth_error_t *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	cleanup_close int fd = -1;

	if (strlen(path) + 16 >= sizeof(addr.sun_path))
		return berth_make_error(err, ENAMETOOLONG, "socket path `%s` is too long", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_make_error(err, errno, "socket: %s", strerror(errno));
	/* A socket that accepts a connection belongs to a live daemon. */
	memcpy(addr.sun_path, path, strlen(path) + 1);
	{
		cleanup_close int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			return berth_make_error(err, EADDRINUSE,
						"another daemon is listening on `%s`", path);
	}
	memcpy(addr.sun_path, tmp, strlen(tmp) + 1);
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_make_error(err, errno, "bind `%s`: %s", tmp, strerror(errno));
	if (chmod(tmp, mode) < 0 || listen(fd, 1024) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_make_error(err, e, "listen on `%s`: %s", path, strerror(e));
	}
	return steal_fd(&fd);
}

int berth_http_server_listen_unix(struct berth_http_server *srv, const char *path, mode_t mode,
				  berth_error_t *err)
{
	struct listener *l;
	struct stat st;
	const union MHD_DaemonInfo *info;
	int fd = bind_socket(path, mode, err);

	if (fd < 0)
		return fd;
	l = xzalloc(sizeof(*l));
	l->fd = fd;
	l->path = xstrdup(path);
	if (stat(path, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	l->mhd = MHD_start_daemon(
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, access_cb, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)BERTH_HTTP_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)BERTH_HTTP_CONN_MEMORY, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)BERTH_HTTP_MAX_CONNECTIONS, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
	    MHD_OPTION_END);
	if (l->mhd == NULL) {
		unlink(path);
		close(fd);
		free(l->path);
		free(l);
		return berth_make_error(err, EIO, "cannot start the HTTP server on `%s`", path);
	}
	info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	l->watch = berth_loop_add_fd(srv->loop, info->epoll_fd, EPOLLIN, mhd_ready, srv, err);
	l->next = srv->listeners;
	srv->listeners = l;
	if (l->watch == NULL)
		return berth_error_wrap(err, "listen on `%s`", path);
	return 0;
}

static void reply_shutting_down(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(req, 503, "the daemon is shutting down");
}

void berth_http_server_free(struct berth_http_server *srv)
{
	struct berth_http_stream *st;

	if (srv == NULL)
		return;
	/* Owners let go of their hijacked connections first: the sockets close
	 * through MHD, which must still be running. */
	while (srv->hijacks)
		hijack_abandon(srv->hijacks);
	/* Resume every suspended connection before MHD_stop_daemon. */
	for (st = srv->streams; st; st = st->next) {
		st->gone = true;
		stream_resume(st);
	}
	while (srv->suspended) {
		struct berth_http_req *req = srv->suspended;
		/* the owner lets go of the request before it is answered */
		req->client_gone = true;
		if (req->gone_cb)
			req->gone_cb(req, req->gone_data);
		berth_http_req_resume(req, reply_shutting_down, NULL);
	}
	server_prepare(srv);
	while (srv->listeners) {
		struct listener *l = srv->listeners;
		struct stat s;
		srv->listeners = l->next;
		berth_loop_del_fd(srv->loop, l->watch);
		/* MHD closes the listen socket it was given. */
		MHD_stop_daemon(l->mhd);
		/* Remove the socket only if it is still ours. */
		if (stat(l->path, &s) == 0 && s.st_dev == l->dev && s.st_ino == l->ino)
			unlink(l->path);
		free(l->path);
		free(l);
	}
	berth_loop_set_prepare(srv->loop, NULL, NULL);
	free(srv);
}
