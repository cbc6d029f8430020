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

static int write_all(int fd, const char *data, size_t len)
{
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

int berth_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  berth_error_t *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	cleanup_free char *dir = xstrdup(path);
	cleanup_close int fd = -1;
	cleanup_close int dfd = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", tmp, strerror(errno));
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_make_error(err, e, "write `%s`: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_make_error(err, e, "rename `%s`: %s", path, strerror(e));
	}
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
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

static int remove_at(int dfd, const char *name, int depth, berth_error_t *err);

static int remove_children(int fd, int depth, berth_error_t *err)
{
	cleanup_dir DIR *d = fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		close(fd);
		return berth_make_error(err, errno, "opendir: %s", strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(d), de->d_name, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/* Depth-bounded so that a hostile tree cannot exhaust the stack. */
static int remove_at(int dfd, const char *name, int depth, berth_error_t *err)
{
	int fd;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return berth_make_error(err, errno, "unlink `%s`: %s", name, strerror(errno));
	if (depth > 256)
		return berth_make_error(err, ELOOP, "`%s`: tree too deep", name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", name, strerror(errno));
	if (remove_children(fd, depth, err) < 0)
		return -1;
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_make_error(err, errno, "rmdir `%s`: %s", name, strerror(errno));
	return 0;
}

int berth_fs_remove_tree_contents(const char *dir, berth_error_t *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT
			   ? 0
			   : berth_make_error(err, errno, "open `%s`: %s", dir, strerror(errno));
	return remove_children(fd, 0, err);
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
