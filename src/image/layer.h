/* layer.h: applies an image layer (a tar stream, gzip / zstd / plain) to a
 * directory that becomes an overlay lowerdir.
 *
 * This is the classic attack surface: every path is resolved inside the
 * layer root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), nothing is
 * ever created or written outside it, hardlinks must point at files inside
 * it, and overlay's own xattrs cannot be smuggled in. Whiteouts become
 * overlay whiteouts (`.wh.x` -> char device 0:0 `x`; `.wh..wh..opq` ->
 * trusted.overlay.opaque=y on the directory). Owners, modes (setuid
 * included), mtimes, xattrs, hardlinks, symlinks and device nodes are kept. */
#ifndef BERTH_IMAGE_LAYER_H
#define BERTH_IMAGE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

#define BERTH_LAYER_MAX_ENTRIES (1024 * 1024)
#define BERTH_LAYER_MAX_PATH	4096
#define BERTH_LAYER_MAX_XATTR	(64 * 1024)
#define BERTH_LAYER_MAX_XATTRS	128 /* per entry */
/* Directory mtimes are applied at the end, so their paths are kept until then. */
#define BERTH_LAYER_MAX_DIR_BYTES (64 * 1024 * 1024)

struct berth_layer_stats {
	int64_t entries;
	int64_t size;	  /* bytes of the uncompressed tar stream */
	char diff_id[80]; /* "sha256:<hex>" of the uncompressed tar stream */
};

/* Pulls up to LEN bytes of the (compressed) layer into BUF. Returns the
 * count, 0 at the end, or -1 with errno set. */
typedef ssize_t (*berth_layer_read_cb)(void *data, void *buf, size_t len);

/* Reads the whole stream from READ and applies it to DEST_DIRFD, an empty
 * directory the caller created (and removes on failure). The compression is
 * detected from the stream. Fills STATS (diff_id = sha256 of the
 * decompressed tar, computed in the same pass). Errors: EINVAL for a
 * malformed or hostile archive (message names the entry), EIO for a
 * truncated or corrupt stream, ENOSPC etc. from the filesystem. */
int berth_layer_unpack(berth_layer_read_cb read, void *data, int dest_dirfd,
		       struct berth_layer_stats *stats, berth_error_t *err);

/* The same, reading from FD. */
int berth_layer_unpack_fd(int fd, int dest_dirfd, struct berth_layer_stats *stats,
			  berth_error_t *err);

/* Removes NAME in DIRFD and everything below it, never following symlinks
 * and whatever the depth (a hostile layer can nest directories about 2000
 * deep within BERTH_LAYER_MAX_PATH), holding two fds at most. For cleaning
 * up after a failed unpack; nothing else may change the tree meanwhile.
 * A missing NAME is fine. */
int berth_layer_remove_tree(int dirfd, const char *name, berth_error_t *err);

/* Limits and switches of berth_layer_unpack_opts; a zero field means the
 * default (the BERTH_LAYER_MAX_* constants). */
struct berth_layer_options {
	int64_t max_entries;
	size_t max_path;  /* as PATH_MAX: a name of max_path bytes or more is refused */
	size_t max_xattr; /* bytes of one xattr value */
	/* Resolve paths with the O_NOFOLLOW walk used where openat2 is missing
	 * (kernels before 5.6, seccomp filters); tests force that rare path. */
	bool no_openat2;
};

/* berth_layer_unpack with explicit options (NULL = defaults). */
int berth_layer_unpack_opts(berth_layer_read_cb read, void *data, int dest_dirfd,
			    const struct berth_layer_options *opts, struct berth_layer_stats *stats,
			    berth_error_t *err);

/* Go's filepath.Clean of PATH, as a new string: "a/../../b" -> "../b",
 * "/../a" -> "/a", "x/" -> "x", "" -> ".". */
char *berth_layer_go_clean(const char *path);

/* Opens the directory PATH inside ROOT as a process chrooted there would
 * reach it: `..` and symlinks, absolute or not, never leave ROOT (openat2
 * RESOLVE_IN_ROOT, or the O_NOFOLLOW walk where openat2 is missing). A
 * leading `/` means ROOT; "" is ROOT itself. Returns an O_PATH fd, or -1
 * with errno. */
int berth_layer_open_dir_in_root(int root, const char *path);

/* docker's archive.Untar, as `docker cp` into a container uses it (PUT
 * /containers/{id}/archive): the tar (compressed or not) read from READ is
 * extracted into O->DEST, a directory given relative to ROOT_DIRFD (the
 * container's root) and already clean ("" for the root itself). Entry
 * names are relative to DEST (a leading `/` too) and are created through
 * the root with the layer rules (RESOLVE_IN_ROOT, nothing followed at the
 * last component, owners, modes, xattrs, times), but:
 *  - `.wh.` names are ordinary files, nothing is skipped;
 *  - a name that climbs out of DEST, a hardlink whose target (a name in
 *    DEST) is outside DEST, or a symlink whose target, read from its own
 *    directory, leads out of DEST is refused (EINVAL, docker's texts:
 *    `"../x" is outside of "/dest"`, `invalid hardlink ...`,
 *    `invalid symlink ...`);
 *  - with NO_OVERWRITE_DIR_NONDIR, replacing a directory by a non-directory
 *    or the reverse is refused (EEXIST, docker's text);
 *  - with CHOWN every entry gets UID:GID;
 *  - errors from the filesystem read like Go's ("open /dest/x: file name
 *    too long").
 * Entries applied before an error stay, as they do with docker. */
struct berth_untar_options {
	const char *dest;
	bool no_overwrite_dir_nondir;
	bool chown;
	uid_t uid;
	gid_t gid;
};
int berth_layer_untar(berth_layer_read_cb read, void *data, int root_dirfd,
		      const struct berth_untar_options *o, berth_error_t *err);

#endif
