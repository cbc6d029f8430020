/* conn.h: one HTTP/1.1 exchange with the daemon over a unix or TCP socket,
 * for the CLI. Written here rather than over libcurl because loading
 * libcurl and its dependency tree (OpenSSL, GnuTLS, Kerberos, LDAP, SSH,
 * HTTP/2, IDN, PSL, brotli) costs ~9 ms at every CLI start, more than half
 * of `berth run`'s budget (docs/ARCHITECTURE.md). The registry client in
 * the daemon keeps libcurl.
 *
 * The request is written whole (a body from memory, or from a file
 * descriptor with chunked encoding); the answer's head is parsed, then the
 * body is handed over piece by piece as it arrives, decoded from chunks or
 * cut at its Content-Length. Each exchange uses a connection of its own;
 * an upgraded (hijacked) connection stays the caller's. Portable POSIX. */
#ifndef BERTH_HTTP_CONN_H
#define BERTH_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Largest response head accepted. */
#define BERTH_HTTP_MAX_HEAD (64 * 1024)

struct berth_http_conn {
	int fd;			     /* owned */
	long status;		     /* of the response */
	bool chunked;		     /* Transfer-Encoding: chunked */
	bool no_body;		     /* HEAD, 1xx, 204, 304: no body follows */
	int64_t content_length;	     /* -1 when not given */
	char *content_type;	     /* owned, may be NULL */
	char *api_version;	     /* owned: Api-Version, may be NULL */
	char *path_stat;	     /* owned: X-Docker-Container-Path-Stat, may be NULL */
	struct berth_strbuf pending; /* owned: read past the head, not yet used */
	/* body decoding state */
	uint64_t left;	 /* bytes of the current chunk (or of the body) still to come */
	bool in_chunk;	 /* inside a chunk's data */
	bool body_done;	 /* the whole body was read */
};

#define BERTH_HTTP_CONN_INIT                   \
	{                                      \
		.fd = -1, .content_length = -1 \
	}

struct berth_http_request {
	const char *method;
	const char *target;	    /* "/v1.47/containers/json?all=1" */
	const char *const *headers; /* extra "Name: value" lines, NULL-ended; may be NULL */
	const char *body;	    /* may be NULL */
	size_t body_len;
	const char *content_type; /* of BODY or IN_FD; NULL: none sent */
	int in_fd;		  /* body read from here, chunked; -1 for none */
	bool upgrade;		  /* Connection: Upgrade, Upgrade: tcp */
};

/* Connects to HOST ("unix:///path" or "tcp://host:port"). Failures are
 * docker's: ECONNREFUSED "Cannot connect to the berth daemon at HOST. Is
 * the berth daemon running?", EACCES "permission denied while trying to
 * connect to the berth daemon socket at HOST". Returns the socket. */
int berth_http_dial(const char *host, berth_error_t *err);

/* Dials HOST, sends RQ and reads the answer's head into *CONN. A failure
 * to read IN_FD is the read's errno with "read: ..." text. */
int berth_http_conn_open(const char *host, const struct berth_http_request *rq,
			 struct berth_http_conn *conn, berth_error_t *err);

void berth_http_conn_close(struct berth_http_conn *conn);

/* Called with each piece of the body; < 0 stops the body early. */
typedef int (*berth_http_sink)(const char *data, size_t len, void *arg);

/* Hands the body to SINK as it arrives. Returns 0 at its end, 1 when SINK
 * stopped it, < 0 on a broken or malformed body. */
int berth_http_conn_body(struct berth_http_conn *conn, berth_http_sink sink, void *arg,
			 berth_error_t *err);

/* Reads the whole body into *OUT (NUL-terminated; caller frees), at most
 * MAX bytes (EFBIG beyond). */
int berth_http_conn_read_body(struct berth_http_conn *conn, size_t max, char **out, size_t *len,
			      berth_error_t *err);

/* Reads more bytes into CONN's pending buffer; 0 at EOF, < 0 on error. */
ssize_t berth_http_conn_fill(struct berth_http_conn *conn);

/* Writes all of BUF to FD (send with MSG_NOSIGNAL on sockets); -1 with
 * errno on failure. */
int berth_http_write_all(int fd, const char *buf, size_t len);

#endif
