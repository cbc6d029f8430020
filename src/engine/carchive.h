/* carchive.h: a container's filesystem seen from outside, as dockerd serves
 * it: the stat and a tar of one path (HEAD and GET /containers/{id}/archive,
 * `docker cp` out), the extraction of a tar into a directory (PUT, `docker
 * cp` in), the export of the whole root filesystem (`docker export`) and the
 * changes recorded in the overlay upper directory (`docker diff`).
 *
 * Every operation works on created, running, paused and stopped
 * containers: the rootfs is mounted for it when it is not, and unmounted
 * at the end when the container does not run; a count of users in the
 * container keeps a stop meanwhile from cleaning it. The filesystem work
 * runs on a worker thread in a mount namespace of its own, where the
 * container's hostname, hosts and resolv.conf are bind-mounted over the
 * rootfs as the container sees them (docker's container filesystem view).
 * Paths are resolved inside the container root (openat2 RESOLVE_IN_ROOT):
 * no symlink, absolute or not, leads out of it.
 *
 * Loop thread only, except the pure helpers at the end. */
#ifndef BERTH_ENGINE_CARCHIVE_H
#define BERTH_ENGINE_CARCHIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* Limits on what a container's filesystem can make us do (STYLE rule 11). */
#define BERTH_CARCHIVE_MAX_DEPTH   1024		 /* directory levels walked (an fd each) */
#define BERTH_CARCHIVE_MAX_PATH	   4096		 /* bytes of a path walked, as PATH_MAX */
#define BERTH_CARCHIVE_MAX_CHANGES (1024 * 1024) /* entries of a diff */
#define BERTH_CARCHIVE_MAX_LINKS   255		 /* symlinks followed resolving one path */

struct berth_engine;
struct berth_carchive_job;

/* docker's container.PathStat. */
struct berth_path_stat {
	char *name; /* owned: the base name of the path as asked ("." for "/x/.") */
	int64_t size;
	uint32_t mode;	   /* Go's os.FileMode bits */
	int64_t mtime_ns;  /* since the epoch */
	char *link_target; /* owned: for a symlink, where it leads inside the root, else "" */
};
void berth_path_stat_release(struct berth_path_stat *st);

/* What an operation gives, on the loop thread. */
struct berth_carchive_result {
	berth_error_t err;	     /* NULL on success; owned by the job */
	struct berth_path_stat stat; /* stat and archive */
	int fd;			     /* archive: the tar's read end; take it (set -1) */
	json_t *changes;	     /* changes: [{"Path","Kind"}] or null; take it (set NULL) */
};

/* Runs once on the loop thread (never inside the call that started the
 * job) unless the job was forgotten. */
typedef void (*berth_carchive_cb)(void *data, struct berth_carchive_result *r);

/* HEAD /containers/{id}/archive?path=PATH: the stat of PATH (relative paths
 * start at /). ENOENT "Could not find the file PATH in container NAME".
 * NULL with *ERR when NAME is not a container or cannot be mounted. */
struct berth_carchive_job *berth_engine_container_stat_path(struct berth_engine *e,
							    const char *name, const char *path,
							    berth_carchive_cb cb, void *data,
							    berth_error_t *err);

/* GET /containers/{id}/archive?path=PATH: CB gets the stat and the read end
 * of a pipe into which the worker writes the tar of PATH (a directory with
 * its content, named after PATH's base name, or one entry; "x/." stands for
 * the content of x); the tar goes on after CB. Publishes `archive-path`. */
struct berth_carchive_job *berth_engine_container_archive(struct berth_engine *e, const char *name,
							  const char *path, berth_carchive_cb cb,
							  void *data, berth_error_t *err);

struct berth_extract_opts {
	bool no_overwrite_dir_nondir;
	bool copy_uid_gid; /* entries owned by the container's user (if it has one) */
};

/* PUT /containers/{id}/archive?path=DIR: extracts the tar (compressed or not)
 * read from FD (stolen) into DIR with docker's Untar rules (see
 * berth_layer_untar). DIR must exist (ENOENT) and be a directory (EINVAL
 * "extraction point is not a directory"); a failed extraction is EIO with
 * docker's message. Publishes `extract-to-dir`. */
struct berth_carchive_job *berth_engine_container_extract(struct berth_engine *e, const char *name,
							  const char *path,
							  const struct berth_extract_opts *o,
							  int fd, berth_carchive_cb cb, void *data,
							  berth_error_t *err);

/* GET /containers/{id}/changes: CB gets the changes of the upper directory
 * against the image's layers, in walk order (names sorted in each
 * directory), null when there is none. */
struct berth_carchive_job *berth_engine_container_changes(struct berth_engine *e, const char *name,
							  berth_carchive_cb cb, void *data,
							  berth_error_t *err);

/* GET /containers/{id}/export: *OUT_FD is the read end of a pipe into which
 * a worker writes the tar of the whole root filesystem. Publishes `export`. */
int berth_engine_container_export(struct berth_engine *e, const char *name, int *out_fd,
				  berth_error_t *err);

/* The caller went away: CB will not run; the job ends on its own. */
void berth_carchive_job_forget(struct berth_carchive_job *j);

/* --- pure helpers (any thread) ------------------------------------------------------------ */

/* Go's os.FileMode for a st_mode: the permission bits, plus 1<<31 dir,
 * 1<<27 symlink, 1<<26 device (1<<21 more for a char device), 1<<25 named
 * pipe, 1<<24 socket, 1<<23 setuid, 1<<22 setgid, 1<<20 sticky. */
uint32_t berth_carchive_go_mode(mode_t mode);

/* The X-Docker-Container-Path-Stat header: standard base64 of the JSON
 * {"name","size","mode","mtime" (RFC 3339 in local time, as Go writes a
 * time),"linkTarget"}. Invalid UTF-8 in names becomes U+FFFD, as in Go. */
char *berth_carchive_stat_header(const struct berth_path_stat *st);

enum berth_change_kind {
	BERTH_CHANGE_MODIFY = 0,
	BERTH_CHANGE_ADD = 1,
	BERTH_CHANGE_DELETE = 2
};

/* The changes of UPPER (an overlay upper directory) against LOWERS (N
 * layer directories, topmost first), as dockerd's overlay driver lists
 * them: a whiteout (char device 0:0) is a deletion, an entry the layers
 * have is a modification, any other an addition; a directory is listed
 * when something below it is, or when it is new, or when its mode or
 * mtime differ from the layers'. The files the runtime creates as mount
 * targets (empty /etc/hostname, /etc/hosts, /etc/resolv.conf, /dev, /proc,
 * /sys), which docker keeps in its init layer, are not changes. A missing
 * UPPER has no changes. Returns a JSON array (maybe empty). Blocking. */
json_t *berth_carchive_changes(const char *upper, const char *const *lowers, size_t n,
			       berth_error_t *err);

#endif
