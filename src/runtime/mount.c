/* mount.c: the container's root filesystem, built by its init in its new
 * mount namespace before pivot_root.
 *
 * Every path inside the rootfs is untrusted (it comes from an image): it is
 * resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) against an
 * O_PATH fd of the rootfs, so a symlink can never lead a mount out to the
 * host, and mounts go onto the resulting fd (/proc/self/fd/N, or the new
 * mount API's move_mount), never onto a path looked up a second time. Bind
 * mounts are cloned, given their attributes while still detached
 * (mount_setattr, recursive for rbind) and only then attached. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "runtime/cgmount.h"
#include "runtime/runtime_internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

#define MAX_SYMLINKS 40

struct rootfs {
	struct berth_rt_child *c;
	int rootfd;	/* O_PATH of the rootfs bind mount */
	bool dev_tmpfs; /* we mounted a tmpfs on /dev: create the nodes */
	bool devpts;	/* /dev/pts is a devpts we mounted */
};

static char *fd_path(int fd)
{
	return xasprintf("/proc/self/fd/%d", fd);
}

/* ------------------------------------------------------------ resolving */

/* Without openat2 (Linux < 5.6): the same walk by hand, one component at a
 * time with O_NOFOLLOW, symlinks spliced in and absolute ones restarted
 * from ROOTFD, ".." stopped at it. */
int berth_rt_walk_in_root(int rootfd, const char *path, int flags)
{
	cleanup_free char *rest = xstrdup(path);
	cleanup_close int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	struct stat rst, st;
	int links = 0;

	if (cur < 0 || fstat(rootfd, &rst) < 0)
		return -1;
	for (;;) {
		char *p = rest, *comp, *next;
		bool last;
		int nfd;

		while (*p == '/')
			p++;
		if (*p == '\0')
			return openat(cur, ".", flags | O_CLOEXEC);
		comp = p;
		next = strchrnul(p, '/');
		last = next[strspn(next, "/")] == '\0';
		comp = xstrndup(comp, (size_t)(next - comp));
		memmove(rest, next, strlen(next) + 1);
		if (strcmp(comp, ".") == 0 ||
		    (strcmp(comp, "..") == 0 && fstat(cur, &st) == 0 && st.st_dev == rst.st_dev &&
		     st.st_ino == rst.st_ino)) {
			free(comp);
			continue;
		}
		nfd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 || fstat(nfd, &st) < 0) {
			free(comp);
			if (nfd >= 0)
				close(nfd);
			return -1;
		}
		if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
			char target[4096];
			ssize_t tl = readlinkat(nfd, "", target, sizeof(target) - 1);
			close(nfd);
			free(comp);
			if (tl < 0 || ++links > MAX_SYMLINKS) {
				errno = tl < 0 ? errno : ELOOP;
				return -1;
			}
			target[tl] = '\0';
			char *joined = xasprintf("%s/%s", target, rest);
			free(rest);
			rest = joined;
			if (target[0] == '/') {
				close(cur);
				cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
			}
			continue;
		}
		if (last) {
			int fd = (flags & O_PATH)
				     ? nfd
				     : openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC);
			if (fd != nfd)
				close(nfd);
			free(comp);
			return fd;
		}
		free(comp);
		close(cur);
		cur = nfd;
	}
}

static int open_in_root_raw(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd, tries = 0;

	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 32);
	if (fd < 0 && errno == ENOSYS)
		return berth_rt_walk_in_root(rootfd, path, flags);
	return fd;
}

int berth_rt_open_in_root(int rootfd, const char *path, int flags, berth_error_t *err)
{
	int fd = open_in_root_raw(rootfd, path, flags);

	if (fd < 0)
		return berth_make_error(err, errno, "open `%s` in the container: %s", path,
					strerror(errno));
	return fd;
}

static int ensure_path(int rootfd, const char *path, bool dir, int depth, berth_error_t *err);

/* BASE in PFD exists yet PATH does not resolve: a dangling symlink. Its
 * target is made as a directory, inside the root (as runc's MkdirAll in
 * root does), and PATH opened again. */
static int ensure_link_target(int rootfd, int pfd, const char *path, const char *base, int depth,
			      berth_error_t *err)
{
	cleanup_free char *target = NULL;
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open_in_root_raw(rootfd, path, O_PATH);
	if (fd >= 0)
		return fd;
	n = readlinkat(pfd, base, buf, sizeof(buf) - 1);
	if (n < 0)
		return berth_make_error(err, errno, "mkdir `%s`: %s", path, strerror(errno));
	buf[n] = '\0';
	target = buf[0] == '/' ? xstrdup(buf) : xasprintf("%.*s/%s", (int)(base - path), path, buf);
	fd = ensure_path(rootfd, target, true, depth + 1, err);
	if (fd < 0)
		return -1;
	close(fd);
	return berth_rt_open_in_root(rootfd, path, O_PATH, err);
}

/* An O_PATH fd of PATH in the rootfs, created (with missing parents) as a
 * directory or, when DIR is false, an empty file. */
static int ensure_path(int rootfd, const char *path, bool dir, int depth, berth_error_t *err)
{
	cleanup_free char *parent = NULL;
	cleanup_close int pfd = -1;
	const char *base;
	int fd;

	fd = open_in_root_raw(rootfd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd
			       : berth_make_error(err, errno, "open `%s` in the container: %s",
						  path, strerror(errno));
	if (depth > 256)
		return berth_make_error(err, ELOOP, "create `%s`: too deep", path);
	base = strrchr(path, '/');
	parent = base && base != path ? xstrndup(path, (size_t)(base - path)) : xstrdup("/");
	base = base ? base + 1 : path;
	pfd = ensure_path(rootfd, parent, true, depth + 1, err);
	if (pfd < 0)
		return -1;
	if (dir) {
		if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
			return berth_make_error(err, errno, "mkdir `%s`: %s", path,
						strerror(errno));
		if (errno == EEXIST)
			return ensure_link_target(rootfd, pfd, path, base, depth, err);
	} else {
		int f =
		    openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST)
			return berth_make_error(err, errno, "create `%s`: %s", path,
						strerror(errno));
		if (f >= 0)
			close(f);
	}
	return berth_rt_open_in_root(rootfd, path, O_PATH, err);
}

int berth_rt_ensure_in_root(int rootfd, const char *path, bool dir, berth_error_t *err)
{
	return ensure_path(rootfd, path, dir, 0, err);
}

/* ------------------------------------------------------------ mount helpers */

static int mount_at_fd(const char *src, int fd, const char *type, unsigned long flags,
		       const char *data, const char *what, berth_error_t *err)
{
	cleanup_free char *target = fd_path(fd);

	if (mount(src, target, type, flags, data) < 0)
		return berth_make_error(err, errno, "mount `%s`: %s", what, strerror(errno));
	return 0;
}

static uint64_t ms_to_attr(unsigned long ms)
{
	uint64_t a = 0;

	if (ms & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (ms & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (ms & MS_NOSYMFOLLOW)
		a |= MOUNT_ATTR_NOSYMFOLLOW;
	return a;
}

static void atime_attr(unsigned long set, struct mount_attr *attr)
{
	if (set & MS_NOATIME)
		attr->attr_set |= MOUNT_ATTR_NOATIME;
	else if (set & MS_STRICTATIME)
		attr->attr_set |= MOUNT_ATTR_STRICTATIME;
	else if (!(set & MS_RELATIME))
		return;
	attr->attr_clr |= MOUNT_ATTR__ATIME;
}

/* Old mount API: bind, then remount the new mount (found again through
 * TARGET) with the flags. */
static int bind_legacy(const char *src, int rootfd, const char *dest, int tfd, bool rec,
		       unsigned long flags, unsigned long prop, berth_error_t *err)
{
	cleanup_close int nfd = -1;
	struct statvfs sv;

	if (mount_at_fd(src, tfd, NULL, MS_BIND | (rec ? MS_REC : 0), NULL, dest, err) < 0)
		return -1;
	nfd = berth_rt_open_in_root(rootfd, dest, O_PATH, err);
	if (nfd < 0)
		return -1;
	if (flags & ~(MS_REC)) {
		unsigned long keep = 0;
		if (fstatvfs(nfd, &sv) == 0)
			keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
		if (mount_at_fd(NULL, nfd, NULL, MS_REMOUNT | MS_BIND | flags | keep, NULL, dest,
				err) < 0)
			return -1;
	}
	if (prop && mount_at_fd(NULL, nfd, NULL, prop, NULL, dest, err) < 0)
		return -1;
	return 0;
}

/* Clones the tree at SRC_FD/SRC_PATH, sets FLAGS (MS_*, CLEAR asked off,
 * PROP propagation) on it while detached, and attaches it onto TFD. */
static int bind_tree(int src_fd, const char *src_path, int tfd, bool rec, unsigned long flags,
		     unsigned long clear, unsigned long prop, const char *what, berth_error_t *err)
{
	struct mount_attr attr = { 0 };
	cleanup_close int tree = -1;
	unsigned int at_rec = rec ? AT_RECURSIVE : 0;
	unsigned int empty = src_path[0] == '\0' ? AT_EMPTY_PATH : 0;

	tree = (int)syscall(SYS_open_tree, src_fd, src_path,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | at_rec | empty);
	if (tree < 0)
		return berth_make_error(err, errno, "bind `%s`: %s", what, strerror(errno));
	attr.attr_set = ms_to_attr(flags);
	attr.attr_clr = ms_to_attr(clear);
	atime_attr(flags, &attr);
	attr.propagation = prop & ~(unsigned long)MS_REC;
	if ((attr.attr_set || attr.attr_clr || attr.propagation) &&
	    syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | at_rec, &attr, sizeof(attr)) < 0)
		return berth_make_error(err, errno, "set attributes of `%s`: %s", what,
					strerror(errno));
	if (syscall(SYS_move_mount, tree, "", tfd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_make_error(err, errno, "attach `%s`: %s", what, strerror(errno));
	return 0;
}

static bool new_api_missing(berth_error_t *err)
{
	if (berth_error_code(*err) != ENOSYS)
		return false;
	berth_error_release(err);
	return true;
}

/* ------------------------------------------------------------ spec mounts */

#define PROC_ROOT_INO 1

/* The procfs files lxcfs emulates: a bind may go there (runc's list). */
static const char *const lxcfs_paths[] = {
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",		    "/proc/stat",
	"/proc/swaps",	 "/proc/uptime",    "/proc/loadavg",		    "/proc/slabinfo",
	"/proc/sys/kernel/ns_last_pid",	    "/proc/sys/fs/binfmt_misc",
};

static bool same_inode(int rootfd, const char *path, const struct stat *st)
{
	cleanup_close int fd = open_in_root_raw(rootfd, path, O_PATH);
	struct stat o;

	return fd >= 0 && fstat(fd, &o) == 0 && o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

/* runc's checkProcMount (CVE-2019-19921, CVE-2023-27561): over /proc goes
 * only a procfs (a fresh one, or a bind of a procfs root), and inside it
 * only the files lxcfs emulates. TFD is where the destination resolved,
 * so that a symlink in the image cannot hide /proc behind another name. */
static int check_proc_dest(struct rootfs *r, const struct berth_spec_mount *m, int tfd,
			   berth_error_t *err)
{
	struct statfs sf, ssf;
	struct stat st, sst;
	size_t i;

	if (fstatfs(tfd, &sf) < 0 || fstat(tfd, &st) < 0)
		return berth_make_error(err, errno, "stat `%s`: %s", m->destination,
					strerror(errno));
	/* /proc itself, a procfs yet or not (a mount there replaced it) */
	if (same_inode(r->rootfd, "/proc", &st)) {
		if (!m->bind && strcmp(m->type, "proc") == 0)
			return 0;
		if (m->bind && statfs(m->source, &ssf) == 0 && ssf.f_type == PROC_SUPER_MAGIC &&
		    stat(m->source, &sst) == 0 && sst.st_ino == PROC_ROOT_INO)
			return 0;
		return berth_make_error(err, EPERM,
					"mount destination %s: \"/proc\" cannot be mounted because "
					"it is not of type proc",
					m->destination);
	}
	if (sf.f_type != PROC_SUPER_MAGIC)
		return 0;
	for (i = 0; i < BERTH_ARRAY_SIZE(lxcfs_paths); i++)
		if (same_inode(r->rootfd, lxcfs_paths[i], &st))
			return 0;
	return berth_make_error(err, EPERM,
				"mount destination %s: it cannot be mounted because it is inside "
				"/proc",
				m->destination);
}

static int do_bind(struct rootfs *r, const struct berth_spec_mount *m, berth_error_t *err)
{
	cleanup_close int tfd = -1;
	struct stat st;

	if (stat(m->source, &st) < 0)
		return berth_make_error(err, errno, "bind source `%s`: %s", m->source,
					strerror(errno));
	tfd = ensure_path(r->rootfd, m->destination, S_ISDIR(st.st_mode), 0, err);
	if (tfd < 0 || check_proc_dest(r, m, tfd, err) < 0)
		return -1;
	if (bind_tree(AT_FDCWD, m->source, tfd, m->recursive, m->flags, m->clear, m->propagation,
		      m->destination, err) == 0)
		return 0;
	if (!new_api_missing(err))
		return -1;
	return bind_legacy(m->source, r->rootfd, m->destination, tfd, m->recursive,
			   m->flags & ~(unsigned long)MS_REMOUNT, m->propagation, err);
}

/* The host's /sys/fs/cgroup layout, read-only inside: cgroup2 (in a cgroup
 * namespace) or the container's own cgroup of each hierarchy bound on a
 * tmpfs, as runc does on v1 hosts. */
static int cgroup_v1_view(struct rootfs *r, const struct berth_spec_mount *m, int tfd,
			  berth_error_t *err)
{
	struct berth_cgmount *v = NULL;
	cleanup_close int tmpfs = -1;
	size_t n = 0, i;
	int ret = 0;

	if (mount_at_fd("tmpfs", tfd, "tmpfs",
			(m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~(unsigned long)MS_RDONLY,
			"mode=755", m->destination, err) < 0)
		return -1;
	tmpfs = berth_rt_open_in_root(r->rootfd, m->destination, O_PATH | O_DIRECTORY, err);
	if (tmpfs < 0 || berth_cgmount_of(0, &v, &n, err) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		cleanup_close int d = -1;
		const char *c = v[i].controllers;

		if (mkdirat(tmpfs, v[i].name, 0755) < 0 && errno != EEXIST) {
			ret = berth_make_error(err, errno, "mkdir cgroup `%s`: %s", v[i].name,
					       strerror(errno));
			break;
		}
		d = openat(tmpfs, v[i].name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0) {
			ret = berth_make_error(err, errno, "open cgroup `%s`: %s", v[i].name,
					       strerror(errno));
			break;
		}
		ret = bind_tree(AT_FDCWD, v[i].dir, d, false,
				MS_NOSUID | MS_NODEV | MS_NOEXEC | (m->flags & MS_RDONLY), 0, 0,
				v[i].dir, err);
		/* cpu -> cpu,cpuacct as on the host */
		while (ret == 0 && strchr(v[i].name, ',') && *c) {
			cleanup_free char *one = xstrndup(c, strcspn(c, ","));
			if (symlinkat(v[i].name, tmpfs, one) < 0 && errno != EEXIST)
				ret = berth_make_error(err, errno, "symlink cgroup `%s`: %s", one,
						       strerror(errno));
			c += strcspn(c, ",");
			c += *c == ',';
		}
	}
	berth_cgmount_free(v, n);
	if (ret == 0 && (m->flags & MS_RDONLY)) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (syscall(SYS_mount_setattr, tmpfs, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			ret = berth_make_error(err, errno, "remount cgroup tmpfs: %s",
					       strerror(errno));
	}
	return ret;
}

static int do_cgroup(struct rootfs *r, const struct berth_spec_mount *m, berth_error_t *err)
{
	cleanup_close int tfd = -1;
	struct berth_cgmount *v = NULL;
	struct statfs sf;
	size_t n = 0;
	int ret;

	/* the view depends on where the parent put us */
	if (berth_rt_child_wait_go(r->c, err) < 0)
		return -1;
	tfd = ensure_path(r->rootfd, m->destination, true, 0, err);
	if (tfd < 0)
		return -1;
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return cgroup_v1_view(r, m, tfd, err);
	if (r->c->spec->ns[BERTH_NS_CGROUP].wanted)
		return mount_at_fd("cgroup2", tfd, "cgroup2", m->flags, NULL, m->destination, err);
	if (berth_cgmount_of(0, &v, &n, err) < 0)
		return -1;
	ret = n ? bind_tree(AT_FDCWD, v[0].dir, tfd, false, m->flags | MS_NOSUID | MS_NODEV, 0, 0,
			    m->destination, err)
		: berth_make_error(err, ENOENT, "no cgroup2 mount found");
	berth_cgmount_free(v, n);
	return ret;
}

static int do_mount(struct rootfs *r, const struct berth_spec_mount *m, berth_error_t *err)
{
	cleanup_close int tfd = -1;
	const char *src = m->source[0] ? m->source : m->type;

	if (m->bind)
		return do_bind(r, m, err);
	if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
		return do_cgroup(r, m, err);
	tfd = ensure_path(r->rootfd, m->destination, true, 0, err);
	if (tfd < 0 || check_proc_dest(r, m, tfd, err) < 0)
		return -1;
	if (mount_at_fd(src, tfd, m->type, m->flags, m->data, m->destination, err) < 0)
		return -1;
	if (strcmp(m->destination, "/dev") == 0)
		r->dev_tmpfs = strcmp(m->type, "tmpfs") == 0;
	if (strcmp(m->destination, "/dev/pts") == 0)
		r->devpts = strcmp(m->type, "devpts") == 0;
	if (m->propagation) {
		cleanup_close int nfd =
		    berth_rt_open_in_root(r->rootfd, m->destination, O_PATH, err);
		if (nfd < 0 ||
		    mount_at_fd(NULL, nfd, NULL, m->propagation, NULL, m->destination, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ /dev */

static const struct {
	const char *name;
	unsigned int major, minor;
} default_devices[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *target, *name;
} dev_links[] = {
	{ "/proc/self/fd", "fd" },	 { "/proc/self/fd/0", "stdin" },
	{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	{ "/proc/kcore", "core" },
};

/* A node at PATH; where mknod is refused (a user namespace), the host's
 * node of the same path is bound onto an empty file instead. */
static int make_node(struct rootfs *r, const char *path, mode_t mode, dev_t dev, uid_t uid,
		     gid_t gid, berth_error_t *err)
{
	cleanup_free char *parent = NULL;
	cleanup_close int pfd = -1, tfd = -1;
	const char *base = strrchr(path, '/');

	parent = base && base != path ? xstrndup(path, (size_t)(base - path)) : xstrdup("/");
	pfd = ensure_path(r->rootfd, parent, true, 0, err);
	if (pfd < 0)
		return -1;
	if (mknodat(pfd, base + 1, mode, dev) == 0)
		return fchownat(pfd, base + 1, uid, gid, AT_SYMLINK_NOFOLLOW) < 0
			   ? berth_make_error(err, errno, "chown `%s`: %s", path, strerror(errno))
			   : 0;
	if (errno == EEXIST)
		return 0;
	if (errno != EPERM)
		return berth_make_error(err, errno, "mknod `%s`: %s", path, strerror(errno));
	tfd = ensure_path(r->rootfd, path, false, 0, err);
	if (tfd < 0)
		return -1;
	return mount_at_fd(path, tfd, NULL, MS_BIND, NULL, path, err);
}

static int setup_dev(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	cleanup_close int devfd = -1;
	size_t i;

	for (i = 0; i < s->n_devices; i++) {
		const struct berth_spec_device *d = &s->devices[i];
		mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		mode_t perm = d->has_mode ? d->mode : 0666;
		if (make_node(r, d->path, type | perm, makedev(d->major, d->minor), d->uid, d->gid,
			      err) < 0)
			return -1;
	}
	if (!r->dev_tmpfs)
		return 0;
	for (i = 0; i < BERTH_ARRAY_SIZE(default_devices); i++) {
		cleanup_free char *p = xasprintf("/dev/%s", default_devices[i].name);
		if (make_node(r, p, S_IFCHR | 0666,
			      makedev(default_devices[i].major, default_devices[i].minor), 0, 0,
			      err) < 0)
			return -1;
	}
	devfd = berth_rt_open_in_root(r->rootfd, "/dev", O_PATH | O_DIRECTORY, err);
	if (devfd < 0)
		return -1;
	for (i = 0; i < BERTH_ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
			return berth_make_error(err, errno, "symlink /dev/%s: %s",
						dev_links[i].name, strerror(errno));
	if (r->devpts) {
		(void)unlinkat(devfd, "ptmx", 0);
		if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
			return berth_make_error(err, errno, "symlink /dev/ptmx: %s",
						strerror(errno));
	}
	return 0;
}

/* The pty: master to the parent, slave kept for the process's stdio and
 * bound on /dev/console. */
static int setup_console(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec_process *p = r->c->proc;
	cleanup_close int master = -1, cons = -1;
	cleanup_free char *slave_path = NULL;
	struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
	int unlock = 0;

	master = berth_rt_open_in_root(r->rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, err);
	if (master < 0)
		return berth_error_wrap(err, "terminal");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berth_make_error(err, errno, "unlock pty: %s", strerror(errno));
	r->c->pty_slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r->c->pty_slave < 0)
		return berth_make_error(err, errno, "open pty slave: %s", strerror(errno));
	if (ws.ws_row && ws.ws_col)
		(void)ioctl(master, TIOCSWINSZ, &ws);
	cons = ensure_path(r->rootfd, "/dev/console", false, 0, err);
	if (cons < 0)
		return -1;
	slave_path = fd_path(r->c->pty_slave);
	if (mount_at_fd(slave_path, cons, NULL, MS_BIND, NULL, "/dev/console", err) < 0)
		return -1;
	if (berth_rt_sync_send(r->c->sync_fd, SYNC_PTY, 0, NULL, master) < 0)
		return berth_make_error(err, errno, "send pty: %s", strerror(errno));
	return 0;
}

int berth_rt_exec_console(struct berth_rt_child *c, berth_error_t *err)
{
	const struct berth_spec_process *p = c->proc;
	struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
	cleanup_close int master = -1;
	int unlock = 0;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berth_make_error(err, errno, "open /dev/ptmx: %s", strerror(errno));
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berth_make_error(err, errno, "unlock pty: %s", strerror(errno));
	c->pty_slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->pty_slave < 0)
		return berth_make_error(err, errno, "open pty slave: %s", strerror(errno));
	if (ws.ws_row && ws.ws_col)
		(void)ioctl(master, TIOCSWINSZ, &ws);
	if (berth_rt_sync_send(c->sync_fd, SYNC_PTY, 0, NULL, master) < 0)
		return berth_make_error(err, errno, "send pty: %s", strerror(errno));
	return 0;
}

/* ------------------------------------------------------------ proc/sys */

static int write_sysctls(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	size_t i;

	for (i = 0; i < s->n_sysctl; i++) {
		cleanup_free char *path = NULL;
		cleanup_close int fd = -1;
		const char *v = s->sysctl_values[i];
		char *q;

		if (!berth_spec_sysctl_allowed(s->sysctl_keys[i], s))
			return berth_make_error(err, EPERM,
						"sysctl `%s` is not in a separate kernel namespace",
						s->sysctl_keys[i]);
		path = xasprintf("/proc/sys/%s", s->sysctl_keys[i]);
		for (q = path + 10; *q; q++)
			*q = *q == '.' ? '/' : *q;
		fd = berth_rt_open_in_root(r->rootfd, path, O_WRONLY | O_TRUNC, err);
		if (fd < 0)
			return berth_error_wrap(err, "sysctl `%s`", s->sysctl_keys[i]);
		if (write(fd, v, strlen(v)) < 0)
			return berth_make_error(err, errno, "sysctl `%s`: %s", s->sysctl_keys[i],
						strerror(errno));
	}
	return 0;
}

/* /dev/null over files, an empty read-only tmpfs over directories. */
static int mask_paths(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	size_t i;

	for (i = 0; i < s->n_masked_paths; i++) {
		cleanup_close int fd = open_in_root_raw(r->rootfd, s->masked_paths[i], O_PATH);
		struct stat st;
		int ret;

		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return berth_make_error(err, errno, "mask `%s`: %s", s->masked_paths[i],
						strerror(errno));
		if (S_ISDIR(st.st_mode))
			ret = mount_at_fd("tmpfs", fd, "tmpfs",
					  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0",
					  s->masked_paths[i], err);
		else
			ret = mount_at_fd("/dev/null", fd, NULL, MS_BIND, NULL, s->masked_paths[i],
					  err);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int readonly_paths(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	size_t i;

	for (i = 0; i < s->n_readonly_paths; i++) {
		const char *p = s->readonly_paths[i];
		cleanup_close int fd = open_in_root_raw(r->rootfd, p, O_PATH);
		cleanup_free char *src = NULL;

		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;
		if (fd < 0)
			return berth_make_error(err, errno, "read-only `%s`: %s", p,
						strerror(errno));
		if (bind_tree(fd, "", fd, true, MS_RDONLY, 0, 0, p, err) == 0)
			continue;
		if (!new_api_missing(err))
			return -1;
		src = fd_path(fd);
		if (bind_legacy(src, r->rootfd, p, fd, true, MS_RDONLY, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ the root */

static int pivot(struct rootfs *r, berth_error_t *err)
{
	if (fchdir(r->rootfd) < 0)
		return berth_make_error(err, errno, "chdir to rootfs: %s", strerror(errno));
	if (r->c->opts->no_pivot) {
		if (mount(r->c->rootfs, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return berth_make_error(err, errno, "move rootfs to /: %s",
						strerror(errno));
		return chdir("/") < 0 ? berth_make_error(err, errno, "chdir /: %s", strerror(errno))
				      : 0;
	}
	/* the old root lands on top of the new one; detach it without
	 * letting the unmount propagate to the host */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_make_error(err, errno, "pivot_root: %s", strerror(errno));
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
		return berth_make_error(err, errno, "detach the old root: %s", strerror(errno));
	if (chdir("/") < 0)
		return berth_make_error(err, errno, "chdir /: %s", strerror(errno));
	return 0;
}

static int finish_root(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	struct statvfs sv;

	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return berth_make_error(err, errno, "rootfs propagation: %s", strerror(errno));
	if (!s->root_readonly)
		return 0;
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof(attr)) == 0)
		return 0;
	if (errno != ENOSYS || statvfs("/", &sv) < 0)
		return berth_make_error(err, errno, "read-only root: %s", strerror(errno));
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY |
		      (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC)),
		  NULL) < 0)
		return berth_make_error(err, errno, "read-only root: %s", strerror(errno));
	return 0;
}

static int hooks_handshake(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	struct berth_rt_sync_hdr h;

	if (s->hooks[BERTH_HOOK_PRESTART].n == 0 && s->hooks[BERTH_HOOK_CREATE_RUNTIME].n == 0)
		return 0;
	if (berth_rt_child_wait_go(r->c, err) < 0)
		return -1;
	if (berth_rt_sync_send(r->c->sync_fd, SYNC_HOOKS, 0, NULL, -1) < 0)
		return berth_make_error(err, errno, "sync: %s", strerror(errno));
	if (berth_rt_sync_recv(r->c->sync_fd, &h, NULL, 0, NULL) <= 0 || h.type != SYNC_HOOKS_DONE)
		return berth_make_error(err, EPIPE, "sync: the runtime went away during hooks");
	return 0;
}

static bool is_cgroup_mount(const struct berth_spec_mount *m)
{
	return !m->bind && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0);
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The cgroup view needs the parent to have placed us, and that placement
 * can take a few ms (a cgroup v1 migration waits for an RCU grace
 * period): mounted last, unless something else goes below it, so that the
 * rest of the rootfs is built in the meantime. */
static bool may_defer(const struct berth_spec *s, size_t idx)
{
	const char *d = s->mounts[idx].destination;
	size_t i;

	for (i = idx + 1; i < s->n_mounts; i++)
		if (under(s->mounts[i].destination, d))
			return false;
	for (i = 0; i < s->n_masked_paths; i++)
		if (under(s->masked_paths[i], d))
			return false;
	for (i = 0; i < s->n_readonly_paths; i++)
		if (under(s->readonly_paths[i], d))
			return false;
	return true;
}

static int build(struct rootfs *r, berth_error_t *err)
{
	const struct berth_spec *s = r->c->spec;
	size_t i;

	for (i = 0; i < s->n_mounts; i++)
		if (!(is_cgroup_mount(&s->mounts[i]) && may_defer(s, i)) &&
		    do_mount(r, &s->mounts[i], err) < 0)
			return -1;
	if (setup_dev(r, err) < 0)
		return -1;
	if (r->c->proc->terminal && setup_console(r, err) < 0)
		return -1;
	if (hooks_handshake(r, err) < 0 || write_sysctls(r, err) < 0 || mask_paths(r, err) < 0 ||
	    readonly_paths(r, err) < 0)
		return -1;
	for (i = 0; i < s->n_mounts; i++)
		if (is_cgroup_mount(&s->mounts[i]) && may_defer(s, i) &&
		    do_mount(r, &s->mounts[i], err) < 0)
			return -1;
	return 0;
}

int berth_rt_setup_rootfs(struct berth_rt_child *c, berth_error_t *err)
{
	struct rootfs r = { .c = c, .rootfd = -1 };
	int ret;

	/* nothing we mount may reach the host, and the host's later mounts
	 * still reach us (rslave, runc's default) */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return berth_make_error(err, errno, "make / rslave: %s", strerror(errno));
	if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_make_error(err, errno, "bind rootfs `%s`: %s", c->rootfs,
					strerror(errno));
	r.rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r.rootfd < 0)
		return berth_make_error(err, errno, "open rootfs `%s`: %s", c->rootfs,
					strerror(errno));
	ret = build(&r, err);
	if (ret == 0)
		ret = pivot(&r, err);
	close(r.rootfd);
	if (ret == 0)
		ret = finish_root(&r, err);
	return ret;
}
