/* vcopy.c: a new volume filled from the image, as docker copies the
 * image's content at the mount path into an empty volume: files,
 * directories, symlinks, device nodes and fifos with their owners, modes,
 * extended attributes (file capabilities too) and times, hard links kept.
 *
 * Both trees are walked by fd: every entry is opened relative to its
 * parent with O_NOFOLLOW, so that a symlink in the image can never lead
 * the copy (which runs as root in the daemon) out of either tree. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "engine/volume_internal.h"

#define MAX_DEPTH	 256
#define MAX_XATTR_LIST	 65536
#define MAX_XATTR_VALUE	 65536
#define MAX_LINK_TARGET	 4096
#define COPY_CHUNK	 (1 << 20)

struct hardlink {
	dev_t dev;
	ino_t ino;
	char *rel; /* owned: its path below the destination root */
};

struct copy {
	int droot; /* the destination root */
	/* inodes with more than one name, copied once: an open-addressing
	 * table by (dev, ino), CAP a power of two, at most half full */
	struct hardlink *links;
	size_t n_links, cap;
};

/* The slot of (DEV, INO) in CP's table: its entry, or the empty slot
 * where it goes. */
static struct hardlink *link_slot(struct copy *cp, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t)dev;
	size_t i = (size_t)(h ^ (h >> 29)) & (cp->cap - 1);

	while (cp->links[i].rel && (cp->links[i].dev != dev || cp->links[i].ino != ino))
		i = (i + 1) & (cp->cap - 1);
	return &cp->links[i];
}

static void link_add(struct copy *cp, dev_t dev, ino_t ino, const char *rel)
{
	struct hardlink *slot;

	if (2 * (cp->n_links + 1) > cp->cap) {
		struct hardlink *old = cp->links;
		size_t old_cap = cp->cap, i;
		cp->cap = old_cap ? old_cap * 2 : 64;
		cp->links = xcalloc(cp->cap, sizeof(*cp->links));
		for (i = 0; i < old_cap; i++)
			if (old[i].rel)
				*link_slot(cp, old[i].dev, old[i].ino) = old[i];
		free(old);
	}
	slot = link_slot(cp, dev, ino);
	slot->dev = dev;
	slot->ino = ino;
	slot->rel = xstrdup(rel);
	cp->n_links++;
}

static int fail(berth_error_t *err, const char *what, const char *rel)
{
	return berth_make_error(err, errno, "copy `%s` into the volume: %s: %s", rel, what,
				strerror(errno));
}

/* The extended attributes of SFD onto DFD (regular files and
 * directories). Attributes the destination refuses are skipped, as
 * docker's copy does where the filesystem lacks them. */
static void copy_xattrs(int sfd, int dfd)
{
	cleanup_free char *list = NULL, *val = NULL;
	ssize_t n = flistxattr(sfd, NULL, 0), vl;
	char *k;

	if (n <= 0 || n > MAX_XATTR_LIST)
		return;
	list = xmalloc((size_t)n);
	val = xmalloc(MAX_XATTR_VALUE);
	n = flistxattr(sfd, list, (size_t)n);
	for (k = list; n > 0 && k < list + n; k += strlen(k) + 1) {
		vl = fgetxattr(sfd, k, val, MAX_XATTR_VALUE);
		if (vl >= 0)
			(void)fsetxattr(dfd, k, val, (size_t)vl, 0);
	}
}

/* Owner, mode, attributes and times of ST onto DFD (chown first: it
 * clears setuid bits and capabilities). */
static int finish_fd(int sfd, int dfd, const struct stat *st, const char *rel, berth_error_t *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchown(dfd, st->st_uid, st->st_gid) < 0)
		return fail(err, "chown", rel);
	if (fchmod(dfd, st->st_mode & 07777) < 0)
		return fail(err, "chmod", rel);
	copy_xattrs(sfd, dfd);
	if (futimens(dfd, ts) < 0)
		return fail(err, "set times", rel);
	return 0;
}

static int copy_data(int sfd, int dfd)
{
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		n = copy_file_range(sfd, NULL, dfd, NULL, COPY_CHUNK, 0);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		if (n < 0)
			break;
	}
	buf = xmalloc(COPY_CHUNK);
	while ((n = read(sfd, buf, COPY_CHUNK)) > 0)
		if (berth_fs_write_all(dfd, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	free(buf);
	return n < 0 ? -1 : 0;
}

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st, const char *rel,
		     berth_error_t *err)
{
	cleanup_close int s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	cleanup_close int d = -1;

	if (s < 0)
		return fail(err, "open", rel);
	d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d < 0)
		return fail(err, "create", rel);
	if (copy_data(s, d) < 0)
		return fail(err, "write", rel);
	return finish_fd(s, d, st, rel, err);
}

static int copy_special(int sdir, int ddir, const char *name, const struct stat *st,
			const char *rel, berth_error_t *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (S_ISLNK(st->st_mode)) {
		char target[MAX_LINK_TARGET];
		ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return fail(err, "readlink", rel);
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return fail(err, "symlink", rel);
	} else if (mknodat(ddir, name, st->st_mode, st->st_rdev) < 0) {
		return fail(err, "mknod", rel);
	}
	if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(err, "chown", rel);
	/* never through a symlink someone put there since the mknod */
	if (!S_ISLNK(st->st_mode) &&
	    fchmodat(ddir, name, st->st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(err, "chmod", rel);
	if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(err, "set times", rel);
	return 0;
}

/* A second name of an inode copied already: a hard link to its copy. */
static bool link_again(struct copy *cp, int ddir, const char *name, const struct stat *st,
		       const char *rel, int *ret, berth_error_t *err)
{
	struct hardlink *first;

	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return false;
	first = cp->cap ? link_slot(cp, st->st_dev, st->st_ino) : NULL;
	if (first && first->rel) {
		/* the first copy, reached without following any symlink that may
		 * have replaced a directory on its way */
		struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
						   RESOLVE_NO_MAGICLINKS };
		int fd = (int)syscall(SYS_openat2, cp->droot, first->rel, &how, sizeof(how));
		*ret = fd < 0 || linkat(fd, "", ddir, name, AT_EMPTY_PATH) < 0 ? fail(err, "link", rel)
										: 0;
		if (fd >= 0)
			close(fd);
		return true;
	}
	link_add(cp, st->st_dev, st->st_ino, rel);
	return false;
}

static int copy_dir(struct copy *cp, int sfd, int dfd, const char *rel, int depth,
		    berth_error_t *err);

static int copy_entry(struct copy *cp, int sdir, int ddir, const char *name, const char *rel,
		      int depth, berth_error_t *err)
{
	cleanup_close int s = -1, d = -1;
	struct stat st;
	int ret = 0;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(err, "stat", rel);
	if (link_again(cp, ddir, name, &st, rel, &ret, err))
		return ret;
	if (S_ISREG(st.st_mode))
		return copy_file(sdir, ddir, name, &st, rel, err);
	if (!S_ISDIR(st.st_mode))
		return copy_special(sdir, ddir, name, &st, rel, err);
	if (depth >= MAX_DEPTH)
		return berth_make_error(err, ELOOP, "copy `%s` into the volume: too deep", rel);
	if (mkdirat(ddir, name, 0700) < 0)
		return fail(err, "mkdir", rel);
	s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return fail(err, "open", rel);
	if (copy_dir(cp, s, d, rel, depth + 1, err) < 0)
		return -1;
	return finish_fd(s, d, &st, rel, err);
}

static int copy_dir(struct copy *cp, int sfd, int dfd, const char *rel, int depth,
		    berth_error_t *err)
{
	int dup_fd = fcntl(sfd, F_DUPFD_CLOEXEC, 3);
	cleanup_dir DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return fail(err, "opendir", rel);
	}
	while ((de = readdir(d))) {
		cleanup_free char *sub = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (copy_entry(cp, sfd, dfd, de->d_name, sub, depth, err) < 0)
			return -1;
	}
	return 0;
}

bool vol_dir_empty(int dfd)
{
	int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	cleanup_dir DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	/* a dup shares the offset: from the start, whatever read it before */
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return false;
	return true;
}

int vol_copy_tree(int sfd, int dfd, berth_error_t *err)
{
	struct copy cp = { .droot = dfd };
	struct stat st;
	int ret;
	size_t i;

	if (fstat(sfd, &st) < 0)
		return fail(err, "stat", ".");
	ret = copy_dir(&cp, sfd, dfd, "", 0, err);
	/* the volume's root takes the owner and mode of the image's directory */
	if (ret == 0)
		ret = finish_fd(sfd, dfd, &st, ".", err);
	for (i = 0; i < cp.cap; i++)
		free(cp.links[i].rel);
	free(cp.links);
	return ret;
}
