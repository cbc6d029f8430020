/* auth.h: registry credentials as the docker CLI finds them, and the
 * X-Registry-Auth header it sends with pull and push.
 *
 * The config file is $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
 * Its `auths` map is keyed by registry: "https://index.docker.io/v1/" for
 * Docker Hub, "host:port" (or a URL naming that host) for the others. An
 * entry holds `auth` (base64 "user:password"), `identitytoken`, and the
 * rarer username/password/email/registrytoken fields. Credential helpers
 * (`credsStore`, `credHelpers`) are not run: the lookup says so, and the
 * entry in `auths`, if any, is used. */
#ifndef BERTH_CLI_AUTH_H
#define BERTH_CLI_AUTH_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

/* Largest config.json read, in bytes. */
#define BERTH_AUTH_MAX_CONFIG (4 * 1024 * 1024)
/* docker's key for Docker Hub in `auths` */
#define BERTH_AUTH_INDEX_SERVER "https://index.docker.io/v1/"

/* docker's registry.AuthConfig, in its JSON field order. Fields are owned;
 * NULL means empty (omitted). */
struct berth_auth_config {
	char *username;
	char *password;
	char *auth;
	char *email;
	char *serveraddress;
	char *identitytoken;
	char *registrytoken;
};

struct berth_docker_config {
	char *path;	      /* owned: the file read, for messages */
	json_t *root;	      /* owned: the parsed file ({} when absent) */
	char *images_format;  /* owned or NULL: `imagesFormat` */
	char *creds_store;    /* owned or NULL: `credsStore` */
	json_t *cred_helpers; /* borrowed from root: `credHelpers`, or NULL */
	json_t *auths;	      /* borrowed from root: `auths`, or NULL */
};

/* The directory of config.json: $DOCKER_CONFIG, else $HOME/.docker.
 * Caller frees. */
char *berth_auth_config_dir(void);

/* Reads DIR/config.json into *OUT. A missing file gives an empty config. A
 * file that cannot be read or parsed still gives an empty *OUT, and returns
 * < 0 with docker's message ("parsing config file (PATH): ...") for the
 * warning docker prints; *OUT is always set and is the caller's. */
int berth_auth_load_config(const char *dir, struct berth_docker_config **out, berth_error_t *err);

void berth_docker_config_free(struct berth_docker_config *cfg);

/* The string KEY of the docker config ("psFormat", "networksFormat"), or
 * NULL when it is missing or empty; a config that cannot be read counts as
 * empty, without a warning. Caller frees. */
char *berth_auth_config_string(const char *key);

/* The credentials for registry DOMAIN ("docker.io", "127.0.0.1:5000") as
 * docker's ResolveAuthConfig finds them: the entry keyed by DOMAIN (Docker
 * Hub: BERTH_AUTH_INDEX_SERVER), else one whose key's host is DOMAIN.
 * `auth` is decoded into username and password and the key becomes
 * serveraddress. Nothing found leaves OUT empty. When a credential helper
 * is configured for DOMAIN, *HELPER (if not NULL) gets its name (borrowed
 * from CFG) so that the caller can warn. Returns < 0 only for an `auth`
 * value that does not decode (docker's "Invalid auth configuration file"). */
int berth_auth_resolve(const struct berth_docker_config *cfg, const char *domain,
		       struct berth_auth_config *out, const char **helper, berth_error_t *err);

/* X-Registry-Auth: A as Go's json.Marshal writes it, in base64url with
 * padding ("e30=" for no credentials). Caller frees. */
char *berth_auth_encode(const struct berth_auth_config *a);

void berth_auth_config_release(struct berth_auth_config *a);

/* Standard base64 (RFC 4648) decoding as Go's StdEncoding: padding
 * required, no whitespace. Returns the length, or < 0 with Go's message
 * ("illegal base64 data at input byte N"). *OUT is NUL-terminated. */
int berth_auth_base64_decode(const char *in, char **out, size_t *len, berth_error_t *err);

/* base64url with padding (Go's URLEncoding) of LEN bytes. Caller frees. */
char *berth_auth_base64url(const void *data, size_t len);

#endif
