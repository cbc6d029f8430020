/* server.h: the Docker API's HTTP layer over libmicrohttpd, driven by the
 * daemon's event loop (see shared/ref/HTTP-MHD-NOTES.md for the patterns).
 *
 * Routing strips the optional /vX.Y prefix, checks the version range and
 * dispatches through a table of patterns with {param} segments. Handlers run
 * on the loop thread and must answer (reply_*), open a stream, suspend or
 * hijack the connection before they return. */
#ifndef BERTH_HTTP_SERVER_H
#define BERTH_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "loop/loop.h"

/* Limits on untrusted input (STYLE rule 11). */
/* MHD's per-connection pool, which caps a request's headers (~30 KiB;
 * more gets 431). At 32 KiB MHD takes it from malloc: a larger pool is a
 * fresh mmap per connection, whose page faults and zeroing cost ~0.2 ms
 * per request. docker's largest header, X-Registry-Config, is a few KiB. */
#define BERTH_HTTP_CONN_MEMORY	     (32 * 1024)
#define BERTH_HTTP_MAX_CONNECTIONS   4096
#define BERTH_HTTP_CONN_TIMEOUT_S    300
#define BERTH_HTTP_DEFAULT_MAX_BODY  (1024 * 1024) /* JSON bodies unless a route says more */
#define BERTH_HTTP_MAX_JSON_DEPTH    64
#define BERTH_HTTP_MAX_PARAMS	     4
#define BERTH_HTTP_STREAM_MAX_BUFFER (8 * 1024 * 1024) /* unread stream bytes per client */

struct berth_http_server;
struct berth_http_req;
struct berth_http_stream;

typedef void (*berth_http_handler)(struct berth_http_req *req, void *ctx);

struct berth_route {
	const char *method;
	const char *pattern; /* "/containers/{id}/json" */
	berth_http_handler fn;
	size_t max_body; /* 0 = BERTH_HTTP_DEFAULT_MAX_BODY */
	bool spool;	 /* the body goes to a file in spool_dir, not memory (uploads) */
};

struct berth_http_server_config {
	const struct berth_route *routes;
	size_t n_routes;
	void *ctx; /* borrowed, passed to every handler */
	int api_min_major, api_min_minor;
	int api_max_major, api_max_minor;
	const char *server_header; /* "berth/26.11.0 (linux)" */
	const char *spool_dir;	   /* where spooling routes put bodies (unlinked files) */
};

struct berth_http_server *berth_http_server_new(struct berth_loop *loop,
						const struct berth_http_server_config *cfg,
						berth_error_t *err);

/* Listens on a new Unix socket at PATH with MODE. The socket is bound under a
 * temporary name and renamed into place, so clients never see a half-set-up
 * socket; a stale socket at PATH is replaced, a live one is EADDRINUSE. */
int berth_http_server_listen_unix(struct berth_http_server *srv, const char *path, mode_t mode,
				  berth_error_t *err);

/* Ends every stream, runs ON_CLOSE of every hijacked connection still held
 * and closes it, stops serving, removes the sockets it created, frees. */
void berth_http_server_free(struct berth_http_server *srv);

/* Request accessors; returned strings are borrowed for the handler's call. */
const char *berth_http_req_method(const struct berth_http_req *req);
/* The server's handler context (cfg.ctx). */
void *berth_http_req_ctx(const struct berth_http_req *req);
const char *berth_http_req_path(const struct berth_http_req *req); /* without /vX.Y */
const char *berth_http_req_param(const struct berth_http_req *req, const char *name);
const char *berth_http_req_query(const struct berth_http_req *req, const char *name);
/* Every value of a repeated query argument (names=a&names=b), as a new
 * JSON array of strings. */
json_t *berth_http_req_query_all(const struct berth_http_req *req, const char *name);
/* docker's boolean query values: "1", "true", "True" are true; absent = DEF. */
bool berth_http_req_query_bool(const struct berth_http_req *req, const char *name, bool def);
const char *berth_http_req_header(const struct berth_http_req *req, const char *name);
const char *berth_http_req_body(const struct berth_http_req *req, size_t *len);
/* A spooling route's body: the file, rewound, handed to the caller (who
 * closes it), and its size. -1 if there is none. */
int berth_http_req_take_body_fd(struct berth_http_req *req, uint64_t *size);
/* The API version of the request as major*1000+minor (unversioned = max). */
int berth_http_req_api_version(const struct berth_http_req *req);
/* True if the request's API version is below MAJOR.MINOR. */
bool berth_http_req_version_lt(const struct berth_http_req *req, int major, int minor);

/* Parses the body as JSON with depth and size limits. An empty body gives
 * an empty object. Errors are EINVAL with a message fit for the client. */
json_t *berth_http_req_json(struct berth_http_req *req, berth_error_t *err);

/* Responses. */
void berth_http_reply_json(struct berth_http_req *req, unsigned status, json_t *body /* stolen */);
void berth_http_reply_data(struct berth_http_req *req, unsigned status, const char *content_type,
			   const void *data, size_t len);
void berth_http_reply_empty(struct berth_http_req *req, unsigned status);
void berth_http_reply_error(struct berth_http_req *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Maps an error's errno to a status once (ENOENT 404, EEXIST/EBUSY 409,
 * EINVAL 400, EPERM/EACCES 403, ENOSYS 501, else 500) and replies. */
void berth_http_reply_berror(struct berth_http_req *req, const berth_error_t err);
unsigned berth_http_status_for_errno(int code);
/* Adds a header to the response the handler is about to send. */
void berth_http_req_add_header(struct berth_http_req *req, const char *name, const char *value);

/* Waiting for work done elsewhere (a worker thread): the handler calls
 * berth_http_req_suspend and returns without answering; later, on the loop
 * thread, berth_http_req_resume(req, fn, ctx) makes FN run with the request
 * to answer it, open a stream, or suspend again. ON_GONE (may be NULL) runs
 * if the client hangs up meanwhile; the request stays valid until resumed.
 * At shutdown every suspended request is answered 503. */
typedef void (*berth_http_gone_cb)(struct berth_http_req *req, void *data);
void berth_http_req_suspend(struct berth_http_req *req, berth_http_gone_cb on_gone, void *data);
void berth_http_req_resume(struct berth_http_req *req, berth_http_handler fn, void *ctx);
bool berth_http_req_client_gone(const struct berth_http_req *req);

/* Streams: a response of unknown length whose headers go out at once.
 * Data is written with berth_http_stream_write (loop thread) and the body
 * ends with berth_http_stream_end. ON_CLOSE runs once when the stream is
 * finished or the client went away; after it the stream must not be used. */
typedef void (*berth_http_stream_close_cb)(struct berth_http_stream *st, void *data);

struct berth_http_stream *berth_http_stream_open(struct berth_http_req *req, unsigned status,
						 const char *content_type,
						 berth_http_stream_close_cb on_close, void *data);
/* Returns -1 when the client is gone or too far behind (the stream is then
 * being closed and ON_CLOSE will run). */
/* A stream whose body is what can be read from FD (a pipe whose other end a
 * worker writes): made non-blocking and owned by the stream; EOF ends the
 * body. Use instead of berth_http_stream_write/end. */
struct berth_http_stream *berth_http_stream_open_fd(struct berth_http_req *req, unsigned status,
						    const char *content_type, int fd,
						    berth_http_stream_close_cb on_close,
						    void *data);
int berth_http_stream_write(struct berth_http_stream *st, const void *data, size_t len);
void berth_http_stream_end(struct berth_http_stream *st);

/* Hijacking (attach, exec start): the connection leaves HTTP and becomes a
 * raw byte stream in both directions. */
struct berth_http_hijack;
typedef void (*berth_http_hijack_cb)(struct berth_http_hijack *h, void *data);

/* Answers REQ by taking over its connection; the handler gives no other
 * answer (no reply, stream or suspend after it: asserted). If the request
 * has an `Upgrade` header (HTTP/1.1): `101 Switching Protocols` (MHD's fixed
 * reason) with `Upgrade: <the requested protocol, normally tcp>`,
 * `Connection: Upgrade` and `Content-Type: CONTENT_TYPE`; then the socket is
 * raw both ways. Without an Upgrade header: `200` with `Content-Type:
 * CONTENT_TYPE` and a body of unknown length (chunked) made of whatever the
 * owner writes to the fd, ending when the owner closes; reads from the fd give
 * EOF at once (no input). That fd is one end of a socketpair whose other end
 * feeds a stream response, so the owner sees the same fd interface in both
 * cases.
 * A request body (exec start's JSON) has been received in full before the
 * handler runs: read it with berth_http_req_json before hijacking.
 * ON_READY runs on the loop thread once the response headers have been
 * handed to the kernel (for 101: when MHD calls the upgrade handler), with
 * the handle; it is never called if the client went away first (then
 * ON_CLOSE runs instead). It may run inside the handler's loop round, not
 * inside berth_http_req_hijack itself.
 * ON_CLOSE (may be NULL) runs once if the server shuts down (or the client
 * goes away before ready) while the owner still holds the handle; the owner
 * removes the fd from the loop there. After it the handle is invalid and the
 * owner must not call close on it.
 * Returns 0, or -1 (the request was then answered with 500). */
int berth_http_req_hijack(struct berth_http_req *req, const char *content_type,
			  berth_http_hijack_cb on_ready, berth_http_hijack_cb on_close, void *data);
/* The connection's socket: non-blocking. The owner watches it on the loop
 * (berth_loop_add_fd) and reads/writes it, but never closes it. A read of
 * 0 bytes is the client's half-close (shutdown(SHUT_WR)); writing still works
 * after it, and the owner stops watching EPOLLIN then (EOF stays readable).
 * A client that is gone shows as EPOLLHUP/EPOLLERR, ECONNRESET or EPIPE:
 * write with send(..., MSG_NOSIGNAL) or with SIGPIPE ignored. */
int berth_http_hijack_fd(const struct berth_http_hijack *h);
/* Bytes the client sent after the request headers that the HTTP layer had
 * already read (MHD's extra_in): the owner must consume them before reading
 * the fd. Borrowed until close; NULL with *LEN 0 if there are none. */
/* The owner hands the handle on: ON_CLOSE (and its DATA) replace the ones
 * given to berth_http_req_hijack, for use after ON_READY. */
void berth_http_hijack_set_close(struct berth_http_hijack *h, berth_http_hijack_cb on_close,
				 void *data);
const void *berth_http_hijack_extra(const struct berth_http_hijack *h, size_t *len);
/* The owner is done: the connection is closed (MHD_upgrade_action CLOSE, never
 * close() on the fd) and H freed. The owner must have removed the fd from the
 * loop first. ON_CLOSE is not called. Call it only after ON_READY. */
void berth_http_hijack_close(struct berth_http_hijack *h);

/* Routes METHOD URL exactly as a request would be, without a connection
 * (for unit tests and the fuzzer). Returns the matched route or NULL.
 * *API_VERSION gets the request's version; *VERSION_ERR (caller frees) the
 * 400 message for an unsupported one or NULL; *FIRST_PARAM (caller frees)
 * the value of the first {param}, or NULL. */
const struct berth_route *berth_http_route_test(const struct berth_http_server_config *cfg,
						const char *method, const char *url,
						int *api_version, char **version_err,
						char **first_param);

#endif
