/* registry.h: the OCI distribution client (libcurl).
 *
 * One struct berth_registry talks to one repository. It resolves the
 * endpoints to try (docker.io: the configured mirrors, then Docker Hub;
 * insecure and loopback registries: https, then http), answers auth
 * challenges (Bearer tokens from Www-Authenticate realm/service/scope, Basic),
 * follows redirects to blob storage, retries 5xx and network failures with
 * backoff, and bounds everything it reads. Calls block: use them on worker
 * threads, never on the event loop. A struct berth_registry is used by one
 * thread at a time; tokens it gets are cached in it. */
#ifndef BERTH_IMAGE_REGISTRY_H
#define BERTH_IMAGE_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BERTH_REGISTRY_MAX_ERROR_BODY	 (64 * 1024)
#define BERTH_REGISTRY_MAX_TOKEN_BODY	 (256 * 1024)
#define BERTH_REGISTRY_CONNECT_TIMEOUT_S 15
#define BERTH_REGISTRY_STALL_TIMEOUT_S	 30 /* no byte for this long: retry */

/* Credentials as X-Registry-Auth or ~/.docker/config.json give them. */
struct berth_registry_auth {
	char *username;	      /* owned or NULL */
	char *password;	      /* owned or NULL */
	char *identity_token; /* owned or NULL: OAuth refresh token */
	char *registry_token; /* owned or NULL: a bearer token to use as is */
};

/* Decodes an X-Registry-Auth header (base64url or base64 JSON with
 * username/password/auth/identitytoken/registrytoken). An empty or "{}"
 * header gives empty credentials. EINVAL when malformed. */
int berth_registry_auth_decode(const char *header, struct berth_registry_auth *out,
			       berth_error_t *err);
void berth_registry_auth_release(struct berth_registry_auth *a);

struct berth_registry_options {
	json_t *mirrors;  /* borrowed: array of mirror URLs for docker.io */
	json_t *insecure; /* borrowed: array of "host[:port]" or CIDRs */
	int max_attempts; /* per request, >= 1 */
	const char *user_agent;
};

struct berth_registry;

/* DOMAIN is the reference's domain ("docker.io", "127.0.0.1:5000"), REPO
 * its path ("library/busybox"). PUSH asks for push scope (and skips
 * mirrors). AUTH may be NULL. */
struct berth_registry *berth_registry_new(const struct berth_registry_options *opts,
					  const char *domain, const char *repo,
					  const struct berth_registry_auth *auth, bool push,
					  berth_error_t *err);
void berth_registry_free(struct berth_registry *r);

struct berth_registry_doc {
	char *body; /* owned */
	size_t len;
	char *content_type; /* owned or NULL */
	char *digest;	    /* owned: sha256 of the body as received */
};
void berth_registry_doc_release(struct berth_registry_doc *d);

/* GET /v2/<repo>/manifests/<reference> with BERTH_MANIFEST_ACCEPT. When
 * REFERENCE is a digest the body must hash to it (EINVAL otherwise).
 * Errors: ENOENT (unknown manifest/repository), EACCES (denied), EIO...,
 * with docker's texts. */
int berth_registry_get_manifest(struct berth_registry *r, const char *reference,
				struct berth_registry_doc *out, berth_error_t *err);

/* Receives blob bytes as they arrive; returns 0, or -1 (with *err set) to
 * abort the transfer. */
typedef int (*berth_registry_data_cb)(void *data, const void *buf, size_t len, berth_error_t *err);
/* Called before a retry restarts a transfer from byte 0. */
typedef void (*berth_registry_reset_cb)(void *data);

/* GET /v2/<repo>/blobs/<digest>, following redirects. SIZE is the expected
 * size (-1 unknown); more bytes than that abort with EINVAL. The caller
 * hashes and verifies what it receives. */
int berth_registry_get_blob(struct berth_registry *r, const char *digest, int64_t size,
			    berth_registry_data_cb cb, berth_registry_reset_cb reset, void *data,
			    berth_error_t *err);

/* Push side. 1 if the registry has the blob, 0 if not, < 0 on error. */
int berth_registry_blob_exists(struct berth_registry *r, const char *digest, berth_error_t *err);
/* Uploads SIZE bytes read from FD (monolithic POST + PUT ?digest=). */
int berth_registry_put_blob(struct berth_registry *r, const char *digest, int fd, int64_t size,
			    berth_error_t *err);
/* PUT /v2/<repo>/manifests/<reference>. */
int berth_registry_put_manifest(struct berth_registry *r, const char *reference,
				const char *media_type, const char *body, size_t len,
				berth_error_t *err);

/* "https://host" or "http://host" first tried for DOMAIN, for messages. */
const char *berth_registry_endpoint(const struct berth_registry *r);

#endif
