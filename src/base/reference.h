/* reference.h: image references, parsed and normalised exactly as docker
 * (distribution/reference ParseNormalizedNamed + TagNameOnly):
 *   busybox                   -> docker.io/library/busybox:latest
 *   host:5000/ns/name:tag     -> host:5000/ns/name:tag
 *   name@sha256:<64 hex>      -> docker.io/library/name@sha256:...
 *   name:tag@sha256:<64 hex>  -> both kept
 * Input is untrusted: bounded (BERTH_REF_MAX_LEN) and fully validated. */
#ifndef BERTH_BASE_REFERENCE_H
#define BERTH_BASE_REFERENCE_H

#include <stdbool.h>

#include "base/error.h"

#define BERTH_REF_MAX_LEN  4096 /* whole reference */
#define BERTH_REF_MAX_NAME 255	/* name part, as docker's NameTotalLengthMax */

struct berth_ref {
	/* owned: "docker.io", "127.0.0.1:5000"; "" (never NULL) in the rare
	 * case docker also leaves it empty: a first component that looks like a
	 * host but only parses as a path ("a_b.com/x") */
	char *domain;
	char *path;   /* owned: "library/busybox" */
	char *tag;    /* owned or NULL */
	char *digest; /* owned or NULL: "sha256:<64 hex>" */
};

/* Parses S as docker does; errors are EINVAL with docker's wording:
 *   "invalid reference format"
 *   "invalid reference format: repository name (library/Busybox) must be lowercase"
 *   "invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings"
 * On success OUT is filled (release with berth_ref_release). */
int berth_ref_parse(const char *s, struct berth_ref *out, berth_error_t *err);

/* Adds the tag "latest" when the reference has neither tag nor digest. */
void berth_ref_default_tag(struct berth_ref *r);

/* Full form: "docker.io/library/busybox:latest", "x/y@sha256:..", with both
 * tag and digest when present. Caller frees. */
char *berth_ref_string(const struct berth_ref *r);
/* Name only: "docker.io/library/busybox". */
char *berth_ref_name(const struct berth_ref *r);
/* docker's FamiliarString: "busybox:latest", "me/app:1", "host:5000/x:y". */
char *berth_ref_familiar(const struct berth_ref *r);
/* docker's FamiliarName: "busybox", "me/app". */
char *berth_ref_familiar_name(const struct berth_ref *r);

/* True for a 64-hex string or a "sha256:<64 hex>" digest. */
bool berth_digest_valid(const char *s);

/* Validates "<algorithm>:<encoded>" as go-digest's Parse does, with its
 * wording (EINVAL): "invalid checksum digest format", "invalid checksum
 * digest length", "unsupported digest algorithm". Only sha256 is supported
 * (sha384 and sha512 are well-formed but refused as unsupported). */
int berth_digest_check(const char *s, berth_error_t *err);

/* reference.IsNameOnly: neither tag nor digest. */
bool berth_ref_name_only(const struct berth_ref *r);

/* ParseAnyReference (the docker CLI's check): an image ID (64 hex), a bare
 * digest, or a normalised name; only the verdict is returned. */
int berth_ref_check_any(const char *s, berth_error_t *err);

/* docker.io's key in ~/.docker/config.json is built on this domain */
#define BERTH_REF_DEFAULT_DOMAIN "docker.io"

void berth_ref_release(struct berth_ref *r);

#endif
