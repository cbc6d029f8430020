/* imageref.h: image references on the client side, parsed and printed as
 * the docker CLI does with distribution/reference (ParseNormalizedNamed,
 * ParseAnyReference, FamiliarString, TagNameOnly).
 *
 * The daemon has its own parser (src/image/reference.c); the CLI may not
 * link daemon code, so this is the same grammar behind a client prefix. */
#ifndef BERTH_CLI_IMAGEREF_H
#define BERTH_CLI_IMAGEREF_H

#include <stdbool.h>

#include "base/error.h"

#define BERTH_IMAGEREF_MAX_LEN	4096 /* whole reference */
#define BERTH_IMAGEREF_MAX_NAME 255  /* name part, docker's NameTotalLengthMax */

/* docker.io's key in ~/.docker/config.json, and the domain of Docker Hub */
#define BERTH_IMAGEREF_DEFAULT_DOMAIN "docker.io"

struct berth_imageref {
	char *domain; /* owned: "docker.io", "127.0.0.1:5000" */
	char *path;   /* owned: "library/busybox" */
	char *tag;    /* owned or NULL */
	char *digest; /* owned or NULL: "sha256:<64 hex>" */
};

/* ParseNormalizedNamed: fills OUT (release with berth_imageref_release) or
 * fails with EINVAL and docker's text ("invalid reference format",
 * "invalid reference format: repository name (Name) must be lowercase"). */
int berth_imageref_parse(const char *s, struct berth_imageref *out, berth_error_t *err);

/* ParseAnyReference: also accepts an image ID (64 hex) and a bare digest;
 * only the verdict is returned. */
int berth_imageref_check_any(const char *s, berth_error_t *err);

/* reference.IsNameOnly: neither tag nor digest. */
bool berth_imageref_name_only(const struct berth_imageref *r);

/* TagNameOnly: adds the tag "latest" when there is neither tag nor digest. */
void berth_imageref_default_tag(struct berth_imageref *r);

/* "docker.io/library/busybox" (caller frees) */
char *berth_imageref_name(const struct berth_imageref *r);
/* "docker.io/library/busybox:latest", with tag and digest when present */
char *berth_imageref_string(const struct berth_imageref *r);
/* FamiliarName: "busybox", "me/app", "host:5000/x" */
char *berth_imageref_familiar_name(const struct berth_imageref *r);
/* FamiliarString: FamiliarName plus ":tag" and "@digest" */
char *berth_imageref_familiar(const struct berth_imageref *r);

void berth_imageref_release(struct berth_imageref *r);

#endif
