/* ocispec.h: a docker container create request, on top of its image's
 * config, becomes an OCI runtime spec (config.json) with docker's defaults:
 * mounts, masked and read-only paths, capabilities, seccomp, namespaces,
 * devices and resources. Pure: it reads nothing from disk (the caller
 * resolves the user against the image's /etc/passwd first). */
#ifndef BERTH_ENGINE_OCISPEC_H
#define BERTH_ENGINE_OCISPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

#define BERTH_DEFAULT_PATH     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define BERTH_DEFAULT_SHM_SIZE (64LL * 1024 * 1024)

struct berth_oci_inputs {
	const json_t *image;  /* borrowed: the image config's "config" object (may be NULL) */
	const json_t *create; /* borrowed: the POST /containers/create body */
	const char *id;	      /* container ID (64 hex) */
	const char *rootfs;   /* the rootfs path for root.path */
	const char *hostname; /* NULL: the ID's first 12 characters */
	uid_t uid;	      /* resolved from Config.User */
	gid_t gid;
	const gid_t *groups; /* supplementary groups, resolved */
	size_t n_groups;
	const char *cgroups_path; /* NULL: "/berth/<id>" */
};

/* The process arguments docker runs: Entrypoint + Cmd of the request, each
 * falling back to the image's (a request Entrypoint drops the image's Cmd).
 * EINVAL "no command specified" when empty. A new JSON array. */
json_t *berth_oci_args(const json_t *image, const json_t *create, berth_error_t *err);

/* The environment: the image's, overridden key by key by the request's,
 * PATH added when missing, then HOSTNAME and (with a TTY) TERM=xterm. */
json_t *berth_oci_env(const json_t *image, const json_t *create, const char *hostname);

/* Capability list after HostConfig.CapAdd / CapDrop ("ALL", names with or
 * without CAP_, any case) on docker's default set; all with Privileged.
 * EINVAL for an unknown name: docker's "unknown capability: X". */
json_t *berth_oci_caps(const json_t *host_config, berth_error_t *err);

/* linux.resources from HostConfig (memory, cpu, pids, devices): also what
 * `docker update` applies to a live cgroup. */
json_t *berth_oci_resources(const json_t *host_config, bool privileged);

/* The whole spec. */
json_t *berth_oci_spec_build(const struct berth_oci_inputs *in, berth_error_t *err);

/* Parses docker's user string "name|uid[:group|gid]" against the text of
 * the image's /etc/passwd and /etc/group (either may be NULL). Numeric ids
 * need no entry; names must exist ("unable to find user x: no matching
 * entries in passwd file"). Supplementary groups are the user's groups in
 * /etc/group. *GROUPS is a new array (caller frees). */
int berth_oci_resolve_user(const char *user, const char *passwd, const char *group, uid_t *uid,
			   gid_t *gid, gid_t **groups, size_t *n_groups, berth_error_t *err);

#endif
