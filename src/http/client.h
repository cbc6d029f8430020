/* client.h: the Docker Engine API client the CLI uses, over libcurl.
 *
 * Hosts are "unix:///path" or "tcp://host:port" as docker's -H/DOCKER_HOST.
 * The API version is negotiated the way the docker CLI does it: HEAD /_ping
 * (GET as a fallback), the Api-Version header, min(ours, the server's), and
 * DOCKER_API_VERSION overrides it. A non-2xx/3xx answer becomes the error
 * docker prints: "Error response from daemon: MESSAGE". */
#ifndef BERTH_HTTP_CLIENT_H
#define BERTH_HTTP_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

/* Largest response body kept in memory. */
#define BERTH_CLIENT_MAX_BODY (64 * 1024 * 1024)
/* Longest line of a streamed JSON response (/events). */
#define BERTH_CLIENT_MAX_LINE (1024 * 1024)
/* Longest error body read from a failed response, as the Go client. */
#define BERTH_CLIENT_MAX_ERROR_BODY (1024 * 1024)

struct berth_client;

/* Parses HOST as docker's ParseHost does ("" or NULL means the default
 * socket; "tcp://h" gets port 2375) and stores the normalised form in *OUT
 * (caller frees). Bad values are EINVAL "invalid bind address format: X". */
int berth_client_parse_host(const char *host, char **out, berth_error_t *err);

/* A client for HOST (parsed with berth_client_parse_host). API_VERSION, if
 * not NULL, pins the version (DOCKER_API_VERSION) and skips negotiation. */
struct berth_client *berth_client_new(const char *host, const char *api_version,
				      berth_error_t *err);

void berth_client_free(struct berth_client *c);

/* The normalised host ("unix:///run/berth/berth.sock"), for messages. */
const char *berth_client_host(const struct berth_client *c);

/* Negotiates the API version once (later calls return at once). A
 * connection failure is ECONNREFUSED with docker's "Cannot connect to the
 * berth daemon at HOST. Is the berth daemon running?". */
int berth_client_negotiate(struct berth_client *c, berth_error_t *err);

/* The version requests use ("1.47"), after negotiation; ours before. */
const char *berth_client_api_version(const struct berth_client *c);

/* True when the negotiated version is lower than ours. */
int berth_client_downgraded(const struct berth_client *c);

struct berth_response {
	long status;
	char *body; /* owned, NUL-terminated */
	size_t len;
	char *content_type; /* owned, may be NULL */
};

void berth_response_release(struct berth_response *r);

/* Sends METHOD /vX.Y PATH?QUERY (QUERY already encoded, may be NULL) with
 * BODY (JSON, may be NULL) and fills *RESP. The status is not checked;
 * bodies over BERTH_CLIENT_MAX_BODY are EFBIG. Negotiates first. */
int berth_client_request(struct berth_client *c, const char *method, const char *path,
			 const char *query, const char *body, struct berth_response *resp,
			 berth_error_t *err);

/* berth_client_request, then: status >= 400 is an error with docker's
 * message and an errno from the status (404 ENOENT, 409 EEXIST, 400
 * EINVAL, ...); else *OUT gets the parsed JSON body (OUT may be NULL). */
int berth_client_call_json(struct berth_client *c, const char *method, const char *path,
			   const char *query, const char *body, json_t **out, berth_error_t *err);

/* Called for each line of a streamed response, without the line end.
 * Returning < 0 stops the stream (the call then returns 0). */
typedef int (*berth_client_line_cb)(const char *line, size_t len, void *data);

/* Streams METHOD PATH and hands each newline-terminated line to CB as it
 * arrives (for /events). Errors as berth_client_call_json. */
int berth_client_stream_lines(struct berth_client *c, const char *method, const char *path,
			      const char *query, berth_client_line_cb cb, void *data,
			      berth_error_t *err);

/* Appends "&KEY=VALUE" (or "KEY=VALUE" to an empty query), percent-encoded,
 * to the query string *Q (NULL or owned; reallocated). */
void berth_client_query_add(char **q, const char *key, const char *value);

#endif
