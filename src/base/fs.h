/* fs.h: file helpers for state that must survive a crash. */
#ifndef BERTH_BASE_FS_H
#define BERTH_BASE_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* Creates PATH and its parents with MODE; existing directories are fine. */
int berth_fs_mkdir_p(const char *path, mode_t mode, berth_error_t *err);

/* Writes DATA to PATH atomically: tmp file in the same dir, fsync, rename,
 * fsync of the directory. A crash leaves the old or the new content. */
int berth_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  berth_error_t *err);
/* The same without the fsyncs: a reader never sees a half-written file,
 * even if the writer is killed, but a power loss may lose it. For state that
 * lives only as long as the machine runs (a container's monitor.json, its
 * exit status, its generated hosts files). */
int berth_fs_write_replace(const char *path, const void *data, size_t len, mode_t mode,
			   berth_error_t *err);

/* Reads PATH whole into *OUT (NUL-terminated, caller frees). Files larger
 * than MAX bytes are refused with EFBIG. Returns the length. */
ssize_t berth_fs_read_file(const char *path, size_t max, char **out, berth_error_t *err);

/* Removes the directory NAME in PFD and everything below it, at any depth,
 * with at most two fds open and no symlink followed. Returns 0, or -1 with
 * errno set (nothing else: a raw helper for callers that report errors). */
int berth_fs_remove_at_raw(int pfd, const char *name);

/* Removes everything below DIR (not DIR itself), never following symlinks.
 * A missing DIR is fine. */
int berth_fs_remove_tree_contents(const char *dir, berth_error_t *err);

/* What dockerd reports as a layer's size: the st_size of every non-directory
 * below DIR, hard links counted once, symlinks never followed. -1 on error. */
int64_t berth_fs_usage(const char *dir, berth_error_t *err);

/* The first of the paths REL (NULL-ended, relative to the directory of
 * the running binary, /proc/self/exe) that is executable; NULL when none
 * is. Caller frees. Linux. */
char *berth_fs_find_beside_self(const char *const *rel);

/* Writes all of BUF to FD (retrying short writes and EINTR); -1 with
 * errno on failure. */
int berth_fs_write_all(int fd, const void *buf, size_t len);

#endif
