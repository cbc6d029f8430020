#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"

int berth_fs_mkdir_p(const char *path, mode_t mode, berth_error_t *err)
{
	cleanup_free char *p = xstrdup(path);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berth_make_error(err, errno, "mkdir `%s`: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berth_make_error(err, errno, "mkdir `%s`: %s", p, strerror(errno));
	return 0;
}

int berth_fs_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_renamed(const char *path, const void *data, size_t len, mode_t mode, bool sync,
			 berth_error_t *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	cleanup_free char *dir = xstrdup(path);
	cleanup_close int fd = -1;
	cleanup_close int dfd = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", tmp, strerror(errno));
	if (berth_fs_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		int e = errno;
		unlink(tmp);
		return berth_make_error(err, e, "write `%s`: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_make_error(err, e, "rename `%s`: %s", path, strerror(e));
	}
	if (!sync)
		return 0;
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

int berth_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  berth_error_t *err)
{
	return write_renamed(path, data, len, mode, true, err);
}

int berth_fs_write_replace(const char *path, const void *data, size_t len, mode_t mode,
			   berth_error_t *err)
{
	return write_renamed(path, data, len, mode, false, err);
}

ssize_t berth_fs_read_file(const char *path, size_t max, char **out, berth_error_t *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", path, strerror(errno));
	for (;;) {
		ssize_t n;
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_make_error(err, errno, "read `%s`: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return berth_make_error(err, EFBIG, "`%s` is larger than %zu bytes", path,
						max);
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return (ssize_t)len;
}

int berth_fs_remove_tree_contents(const char *dir, berth_error_t *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT
			   ? 0
			   : berth_make_error(err, errno, "open `%s`: %s", dir, strerror(errno));
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_make_error(err, errno, "opendir `%s`: %s", dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		int r;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = de->d_type == DT_DIR ? berth_fs_remove_at_raw(dirfd(d), de->d_name)
					 : unlinkat(dirfd(d), de->d_name, 0);
		if (r < 0 && errno == EISDIR)
			r = berth_fs_remove_at_raw(dirfd(d), de->d_name);
		if (r < 0 && errno != ENOENT)
			return berth_make_error(err, errno, "remove `%s/%s`: %s", dir, de->d_name,
						strerror(errno));
	}
	return 0;
}

struct usage {
	int64_t total;
	ino_t *linked; /* inodes with more than one link, seen already */
	size_t n_linked;
};

static bool seen_inode(struct usage *u, ino_t ino)
{
	size_t i;

	for (i = 0; i < u->n_linked; i++)
		if (u->linked[i] == ino)
			return true;
	u->linked = xrealloc(u->linked, sizeof(ino_t) * (u->n_linked + 1));
	u->linked[u->n_linked++] = ino;
	return false;
}

static int usage_dir(int fd, int depth, struct usage *u, berth_error_t *err)
{
	cleanup_dir DIR *d = fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		close(fd);
		return berth_make_error(err, errno, "opendir: %s", strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_make_error(err, errno, "stat `%s`: %s", de->d_name,
						strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			int sub;
			if (depth > 256)
				return berth_make_error(err, ELOOP, "`%s`: tree too deep",
							de->d_name);
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || usage_dir(sub, depth + 1, u, err) < 0)
				return sub < 0 ? berth_make_error(err, errno, "open `%s`: %s",
								  de->d_name, strerror(errno))
					       : -1;
			continue;
		}
		if (st.st_nlink > 1 && seen_inode(u, st.st_ino))
			continue;
		u->total += st.st_size;
	}
	return 0;
}

int64_t berth_fs_usage(const char *dir, berth_error_t *err)
{
	struct usage u = { 0 };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", dir, strerror(errno));
	ret = usage_dir(fd, 0, &u, err);
	free(u.linked);
	return ret < 0 ? ret : u.total;
}

/* ---- removal ------------------------------------------------------------ */

/* A directory being removed: its name in its parent and the
 * subdirectories still to remove. */
struct rm_frame {
	char *name;	/* owned; NULL for the top one */
	char **subdirs; /* owned */
	size_t n, cap;
};

static void rm_frames_free(struct rm_frame *frames, size_t depth)
{
	int saved = errno;
	size_t i;

	while (depth > 0) {
		struct rm_frame *f = &frames[--depth];

		for (i = 0; i < f->n; i++)
			free(f->subdirs[i]);
		free(f->subdirs);
		free(f->name);
	}
	free(frames);
	errno = saved;
}

/* Unlinks every non-directory in DIRFD and lists its subdirectories in F. */
static int scan_dir(int dirfd, struct rm_frame *f)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;

	if (d == NULL) {
		berth_closep(&fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_UNKNOWN &&
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			de->d_type = DT_DIR;
		if (de->d_type != DT_DIR) {
			if (unlinkat(dirfd, de->d_name, 0) < 0)
				return -1;
			continue;
		}
		if (f->n == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 8;
			f->subdirs = xrealloc(f->subdirs, f->cap * sizeof(*f->subdirs));
		}
		f->subdirs[f->n++] = xstrdup(de->d_name);
	}
	return errno ? -1 : 0;
}

/* Enters the subdirectory SUB (owned) of *CUR and pushes its frame. */
static int rm_descend(int *cur, struct rm_frame **frames, size_t *depth, char *sub)
{
	int fd = openat(*cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct rm_frame *f;

	if (fd < 0) {
		free(sub);
		return -1;
	}
	close(*cur);
	*cur = fd;
	*frames = xrealloc(*frames, (*depth + 1) * sizeof(**frames));
	f = &(*frames)[(*depth)++];
	*f = (struct rm_frame){ .name = sub };
	return scan_dir(fd, f);
}

/* Goes back up from *CUR to its parent and removes it there. */
static int rm_ascend(int *cur, struct rm_frame *f)
{
	int fd = openat(*cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	close(*cur);
	*cur = fd;
	return unlinkat(fd, f->name, AT_REMOVEDIR);
}

/* Removes the directory NAME in PFD and everything below it, never
 * following symlinks. Iterative, with two fds at most whatever the depth
 * and each directory read once: it goes down into one subdirectory at a
 * time and back up through `..`, which is the real parent since the tree
 * is ours alone meanwhile. */
int berth_fs_remove_at_raw(int pfd, const char *name)
{
	cleanup_close int cur = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct rm_frame *frames = xzalloc(sizeof(*frames)), *f;
	size_t depth = 1;
	int ret = cur < 0 ? -1 : scan_dir(cur, &frames[0]);

	while (ret == 0) {
		f = &frames[depth - 1];
		if (f->n > 0) {
			ret = rm_descend(&cur, &frames, &depth, f->subdirs[--f->n]);
		} else if (depth == 1) {
			ret = unlinkat(pfd, name, AT_REMOVEDIR);
			break;
		} else {
			ret = rm_ascend(&cur, f);
			free(f->subdirs);
			free(f->name);
			depth--;
		}
	}
	rm_frames_free(frames, depth);
	return ret;
}

char *berth_fs_find_beside_self(const char *const *rel)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	for (; *rel; rel++) {
		char *p = xasprintf("%s/%s", self, *rel);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}
