/* client.c: Docker Engine API client over http/conn.c (unix socket or TCP).
 *
 * Buffered calls collect the body up to BERTH_CLIENT_MAX_BODY; streamed
 * calls cut the body into lines and hand each to a callback as it arrives,
 * unless the status says error, in which case the body is the error. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "http/client.h"
#include "http/conn.h"

/* The API version the Go client assumes when a server sends none. */
#define FALLBACK_API_VERSION	"1.24"
#define DEFAULT_TCP_PORT	"2375"

struct berth_client {
	char *host;	   /* owned: normalised, "unix:///p" or "tcp://h:p" */
	char version[32];  /* API version used in paths; "" when unversioned */
	bool negotiated;   /* version settled (negotiated or pinned) */
	bool downgraded;
};

/* State of one transfer, shared with the body sink. */
struct transfer {
	struct berth_strbuf body; /* owned: the buffered body or the error body */
	struct berth_strbuf line; /* owned: the incomplete line when streaming */
	size_t max_body;
	bool too_big;
	bool stopped;		 /* the line callback asked to stop */
	long status;		 /* of the answer */
	berth_client_line_cb cb; /* NULL when buffering */
	void *cb_data;
	char *api_version;  /* owned: Api-Version header */
	char *content_type; /* owned: Content-Type header */
};

/* ---- hosts ---- */

static int parse_tcp(const char *addr, const char *orig, char **out, berth_error_t *err)
{
	cleanup_free char *hostport = NULL;
	const char *path, *colon, *host, *port;
	size_t hlen;

	if (*addr == '\0') {
		*out = xstrdup("tcp://localhost:" DEFAULT_TCP_PORT);
		return 0;
	}
	if (strstr(addr, "://"))
		return berth_make_error(err, EINVAL, "invalid proto, expected tcp: %s", orig);
	path = strchr(addr, '/');
	hostport = xstrndup(addr, path ? (size_t)(path - addr) : strlen(addr));
	host = hostport;
	if (*host == '[') { /* [v6]:port */
		const char *close = strchr(host, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return berth_make_error(err, EINVAL, "invalid bind address format: %s",
						orig);
		colon = close[1] == ':' ? close + 1 : NULL;
		hlen = (size_t)(close + 1 - host);
	} else {
		colon = strchr(host, ':');
		if (colon && strchr(colon + 1, ':'))
			return berth_make_error(err, EINVAL, "invalid bind address format: %s",
						orig);
		hlen = colon ? (size_t)(colon - host) : strlen(host);
	}
	port = colon && colon[1] ? colon + 1 : DEFAULT_TCP_PORT;
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		return berth_make_error(err, EINVAL, "invalid bind address format: %s", orig);
	*out = xasprintf("tcp://%.*s:%s%s", (int)(hlen ? hlen : 9), hlen ? host : "localhost", port,
			 path ? path : "");
	return 0;
}

int berth_client_parse_host(const char *host, char **out, berth_error_t *err)
{
	const char *sep;
	size_t plen;

	while (host && isspace((unsigned char)*host))
		host++;
	if (host == NULL || *host == '\0') {
		*out = xstrdup("unix://" BERTH_DEFAULT_SOCKET);
		return 0;
	}
	sep = strstr(host, "://");
	if (sep == NULL) /* docker reads a bare "host:port" as tcp */
		return parse_tcp(host, host, out, err);
	plen = (size_t)(sep - host);
	if (plen == 3 && strncmp(host, "tcp", 3) == 0)
		return parse_tcp(sep + 3, host, out, err);
	if (plen == 4 && strncmp(host, "unix", 4) == 0) {
		if (strstr(sep + 3, "://"))
			return berth_make_error(err, EINVAL, "invalid proto, expected unix: %s",
						sep + 3);
		*out = xasprintf("unix://%s", sep[3] ? sep + 3 : BERTH_DEFAULT_SOCKET);
		return 0;
	}
	if ((plen == 3 && strncmp(host, "ssh", 3) == 0) ||
	    (plen == 2 && strncmp(host, "fd", 2) == 0) ||
	    (plen == 5 && strncmp(host, "npipe", 5) == 0))
		return berth_make_error(err, ENOTSUP, "protocol `%.*s` is not supported: %s",
					(int)plen, host, host);
	return berth_make_error(err, EINVAL, "invalid bind address format: %s", host);
}

/* ---- the client ---- */

struct berth_client *berth_client_new(const char *host, const char *api_version, berth_error_t *err)
{
	struct berth_client *c;
	cleanup_free char *norm = NULL;

	if (berth_client_parse_host(host, &norm, err) < 0)
		return NULL;
	c = xzalloc(sizeof(*c));
	c->host = steal_pointer(&norm);
	snprintf(c->version, sizeof(c->version), "%s", BERTH_API_VERSION);
	if (api_version && *api_version) {
		snprintf(c->version, sizeof(c->version), "%s",
			 api_version + (api_version[0] == 'v' ? 1 : 0));
		c->negotiated = true;
	}
	return c;
}

void berth_client_free(struct berth_client *c)
{
	if (c == NULL)
		return;
	free(c->host);
	free(c);
}

const char *berth_client_host(const struct berth_client *c)
{
	return c->host;
}

const char *berth_client_api_version(const struct berth_client *c)
{
	return c->version;
}

int berth_client_downgraded(const struct berth_client *c)
{
	return c->downgraded;
}

void berth_response_release(struct berth_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

/* ---- the body sink ---- */

static void deliver_lines(struct transfer *t, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !t->stopped; i++) {
		if (data[i] != '\n') {
			if (t->line.len >= BERTH_CLIENT_MAX_LINE) {
				t->too_big = true;
				return;
			}
			berth_strbuf_append(&t->line, data + i, 1);
			continue;
		}
		if (t->line.len && t->line.buf[t->line.len - 1] == '\r')
			t->line.len--;
		if (t->line.len && t->cb(t->line.buf, t->line.len, t->cb_data) < 0)
			t->stopped = true;
		berth_strbuf_reset(&t->line);
	}
}

/* A streamed call delivers lines only on success, and collects an error
 * body instead, since the daemon reports a failure before the stream as an
 * ordinary JSON error. */
static int on_body(const char *data, size_t len, void *user)
{
	struct transfer *t = user;

	if (t->cb && t->status < 400) {
		deliver_lines(t, data, len);
		return t->too_big || t->stopped ? -1 : 0;
	}
	if (t->body.len + len > (t->status >= 400 ? BERTH_CLIENT_MAX_ERROR_BODY : t->max_body)) {
		t->too_big = true;
		return -1;
	}
	berth_strbuf_append(&t->body, data, len);
	return 0;
}

/* ---- requests ---- */

static void transfer_release(struct transfer *t)
{
	berth_strbuf_release(&t->body);
	berth_strbuf_release(&t->line);
	free(t->api_version);
	free(t->content_type);
}

/* One HTTP exchange. VERSIONED adds the /vX.Y prefix. */
static int perform(struct berth_client *c, const char *method, const char *path, const char *query,
		   const char *body, bool versioned, struct transfer *t, long *status,
		   berth_error_t *err)
{
	cleanup_free char *target = NULL;
	struct berth_http_conn conn;
	struct berth_http_request rq = {
		.method = method,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.content_type = body ? "application/json" : NULL,
		.in_fd = -1,
	};
	int r;

	target = xasprintf("%s%s%s%s%s", versioned && c->version[0] ? "/v" : "",
			   versioned ? c->version : "", path, query && *query ? "?" : "",
			   query ? query : "");
	rq.target = target;
	if (berth_http_conn_open(c->host, &rq, &conn, err) < 0)
		return -1;
	t->status = conn.status;
	t->api_version = steal_pointer(&conn.api_version);
	t->content_type = steal_pointer(&conn.content_type);
	r = berth_http_conn_body(&conn, on_body, t, err);
	berth_http_conn_close(&conn);
	if (r < 0)
		return berth_error_wrap(err, "error during connect: %s \"%s\"", method, target);
	if (t->too_big && t->cb && t->status < 400)
		return berth_make_error(err, EFBIG, "stream line longer than %d bytes",
					BERTH_CLIENT_MAX_LINE);
	if (t->too_big)
		return berth_make_error(err, EFBIG, "response body larger than %d bytes",
					BERTH_CLIENT_MAX_BODY);
	*status = t->status;
	return 0;
}

static int parse_version(const char *v, long *major, long *minor)
{
	char *end;

	*major = strtol(v, &end, 10);
	if (*end != '.')
		return -1;
	*minor = strtol(end + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* The lower of two "X.Y" versions (docker's versions.LessThan). */
static bool version_less(const char *a, const char *b)
{
	long amaj, amin, bmaj, bmin;

	if (parse_version(a, &amaj, &amin) < 0 || parse_version(b, &bmaj, &bmin) < 0)
		return strcmp(a, b) < 0;
	return amaj < bmaj || (amaj == bmaj && amin < bmin);
}

static const struct {
	long status;
	int code;
} status_errno[] = {
	{ 400, EINVAL }, { 401, EACCES }, { 403, EPERM },  { 404, ENOENT },
	{ 409, EEXIST }, { 501, ENOSYS }, { 503, EAGAIN },
};

static int errno_for_status(long status)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(status_errno); i++)
		if (status_errno[i].status == status)
			return status_errno[i].code;
	return EIO;
}

/* docker's checkResponseErr: the JSON message, else the body as text. */
static int status_error(struct berth_client *c, long status, const struct transfer *t,
			const char *path, berth_error_t *err)
{
	int code = errno_for_status(status);
	const char *body = t->body.buf ? t->body.buf : "";
	size_t len = t->body.len;
	json_t *msg;
	json_t *j;
	int ret;

	while (len && isspace((unsigned char)body[len - 1]))
		len--;
	if (len == 0)
		return berth_make_error(
		    err, code,
		    "request returned %ld for API route and version %s, check if the server supports the requested API version",
		    status, path);
	if (t->content_type == NULL || strcmp(t->content_type, "application/json") != 0)
		return berth_make_error(err, code, "Error response from daemon: %.*s", (int)len,
					body);
	j = json_loadb(body, len, 0, NULL);
	msg = json_object_get(j, "message");
	if (j == NULL)
		ret = berth_make_error(err, code,
				       "Error reading JSON: invalid JSON in error response");
	else if (!json_is_string(msg) || json_string_length(msg) == 0)
		ret = berth_make_error(err, code,
				       "API returned a %ld but provided no error-message", status);
	else
		ret = berth_make_error(err, code, "Error response from daemon: %s",
				       json_string_value(msg));
	json_decref(j);
	return ret;
}

static int ping(struct berth_client *c, const char *method, struct transfer *t, long *status,
		berth_error_t *err)
{
	return perform(c, method, "/_ping", NULL, NULL, false, t, status, err);
}

/* The docker CLI's checkVersion: a connection failure is final, any other
 * HEAD failure retries with GET (old daemons and proxies answer HEAD
 * badly), and a 500 still carries a usable Api-Version header. */
int berth_client_negotiate(struct berth_client *c, berth_error_t *err)
{
	struct transfer t = { .max_body = BERTH_CLIENT_MAX_ERROR_BODY };
	const char *server;
	long status = 0;
	int ret;

	if (c->negotiated)
		return 0;
	/* HEAD first, as the docker CLI; GET when HEAD is not answered well */
	ret = ping(c, "HEAD", &t, &status, err);
	if (ret < 0 && berth_error_code(*err) == ECONNREFUSED)
		goto out;
	if (ret < 0 || (status != 200 && status != 500)) {
		if (ret < 0)
			berth_error_release(err);
		transfer_release(&t);
		memset(&t, 0, sizeof(t));
		t.max_body = BERTH_CLIENT_MAX_ERROR_BODY;
		ret = ping(c, "GET", &t, &status, err);
		if (ret < 0)
			goto out;
	}
	if (status >= 400) {
		ret = status_error(c, status, &t, "/_ping", err);
		goto out;
	}
	server = t.api_version && *t.api_version ? t.api_version : FALLBACK_API_VERSION;
	if (version_less(server, c->version)) {
		snprintf(c->version, sizeof(c->version), "%s", server);
		c->downgraded = true;
	}
	c->negotiated = true;
out:
	transfer_release(&t);
	return ret;
}

int berth_client_request(struct berth_client *c, const char *method, const char *path,
			 const char *query, const char *body, struct berth_response *resp,
			 berth_error_t *err)
{
	struct transfer t = { .max_body = BERTH_CLIENT_MAX_BODY };
	long status = 0;
	int ret;

	memset(resp, 0, sizeof(*resp));
	ret = berth_client_negotiate(c, err);
	if (ret == 0)
		ret = perform(c, method, path, query, body, true, &t, &status, err);
	if (ret == 0) {
		berth_strbuf_append(&t.body, "", 0);
		resp->status = status;
		resp->len = t.body.len;
		resp->body = berth_strbuf_steal(&t.body);
		resp->content_type = steal_pointer(&t.content_type);
	}
	transfer_release(&t);
	return ret;
}

int berth_client_call_json(struct berth_client *c, const char *method, const char *path,
			   const char *query, const char *body, json_t **out, berth_error_t *err)
{
	struct transfer t = { .max_body = BERTH_CLIENT_MAX_BODY };
	json_error_t jerr;
	long status = 0;
	int ret;

	ret = berth_client_negotiate(c, err);
	if (ret == 0)
		ret = perform(c, method, path, query, body, true, &t, &status, err);
	if (ret == 0 && status >= 400)
		ret = status_error(c, status, &t, path, err);
	if (ret == 0 && out) {
		*out = t.body.len ? json_loadb(t.body.buf, t.body.len, 0, &jerr) : json_object();
		if (*out == NULL)
			ret = berth_make_error(err, EPROTO, "invalid JSON from daemon: %s",
					       jerr.text);
	}
	transfer_release(&t);
	return ret;
}

int berth_client_stream_lines(struct berth_client *c, const char *method, const char *path,
			      const char *query, berth_client_line_cb cb, void *data,
			      berth_error_t *err)
{
	struct transfer t = { .max_body = BERTH_CLIENT_MAX_ERROR_BODY, .cb = cb, .cb_data = data };
	long status = 0;
	int ret;

	ret = berth_client_negotiate(c, err);
	if (ret == 0)
		ret = perform(c, method, path, query, NULL, true, &t, &status, err);
	if (ret == 0 && status >= 400)
		ret = status_error(c, status, &t, path, err);
	if (ret == 0 && !t.stopped && t.line.len) /* a last line without newline */
		deliver_lines(&t, "\n", 1);
	transfer_release(&t);
	return ret;
}

void berth_client_query_add(char **q, const char *key, const char *value)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const char *parts[2] = { key, value };

	if (*q && **q) {
		berth_strbuf_puts(&sb, *q);
		berth_strbuf_puts(&sb, "&");
	}
	for (int i = 0; i < 2; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			if (isalnum(*p) || strchr("-._~", *p))
				berth_strbuf_append(&sb, p, 1);
			else
				berth_strbuf_printf(&sb, "%%%02X", *p);
		}
		if (i == 0)
			berth_strbuf_puts(&sb, "=");
	}
	free(*q);
	*q = berth_strbuf_steal(&sb);
}
