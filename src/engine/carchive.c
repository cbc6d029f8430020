/* carchive.c: docker cp, docker export and docker diff on a container's
 * filesystem (see carchive.h).
 *
 * A job pairs the loop thread with one detached worker thread. The loop
 * side finds the container, mounts its rootfs when needed and counts
 * itself in c->fs_users; the worker does every filesystem call, then
 * signals an eventfd twice: once when the result is ready (the stat of a
 * GET comes before its tar), once as its very last touch of the job. The
 * loop delivers the result at the first signal and frees the job at the
 * second. The worker never calls into the loop, so a daemon that shuts down
 * with a job running leaves it a thread that writes to an fd nobody reads;
 * until then the job stays on a static list, reachable.
 *
 * Paths follow docker's archive code: a stat is Go's os.Lstat in the
 * container's root, a symlink's target is symlink.FollowSymlinkInScope, a
 * tar entry is named as archive.TarResourceRebaseOpts names it, and the
 * extraction is archive.Untar (berth_layer_untar, sharing the layer
 * unpacker). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "base/archive_dl.h"
#include "base/digest.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "engine/carchive.h"
#include "engine/container_internal.h"
#include "engine/ocispec.h"
#include "image/layer.h"

/* Go's os.FileMode type and special bits */
#define GO_MODE_DIR	(1u << 31)
#define GO_MODE_SYMLINK (1u << 27)
#define GO_MODE_DEVICE	(1u << 26)
#define GO_MODE_PIPE	(1u << 25)
#define GO_MODE_SOCKET	(1u << 24)
#define GO_MODE_SETUID	(1u << 23)
#define GO_MODE_SETGID	(1u << 22)
#define GO_MODE_CHARDEV (1u << 21)
#define GO_MODE_STICKY	(1u << 20)

#define COPY_BUF     (128 * 1024)
#define OPAQUE_XATTR "trusted.overlay.opaque"

/* --- pure helpers ---------------------------------------------------------------------------- */

uint32_t berth_carchive_go_mode(mode_t mode)
{
	uint32_t out = mode & 0777;

	switch (mode & S_IFMT) {
	case S_IFBLK:
		out |= GO_MODE_DEVICE;
		break;
	case S_IFCHR:
		out |= GO_MODE_DEVICE | GO_MODE_CHARDEV;
		break;
	case S_IFDIR:
		out |= GO_MODE_DIR;
		break;
	case S_IFIFO:
		out |= GO_MODE_PIPE;
		break;
	case S_IFLNK:
		out |= GO_MODE_SYMLINK;
		break;
	case S_IFSOCK:
		out |= GO_MODE_SOCKET;
		break;
	default:
		break;
	}
	if (mode & S_ISUID)
		out |= GO_MODE_SETUID;
	if (mode & S_ISGID)
		out |= GO_MODE_SETGID;
	if (mode & S_ISVTX)
		out |= GO_MODE_STICKY;
	return out;
}

/* The length of the UTF-8 sequence at S (N bytes left) if Go's
 * utf8.DecodeRune takes it as valid (no overlong forms, surrogates or
 * values past U+10FFFF), else 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* S with each byte that is not valid UTF-8 replaced by U+FFFD, which is
 * what Go's encoding/json writes for it (and what jansson can hold). */
static char *go_utf8(const char *s)
{
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	while (n > 0) {
		len = utf8_len(p, n);
		if (len == 0) {
			berth_strbuf_append(&b, "\xef\xbf\xbd", 3);
			len = 1;
		} else {
			berth_strbuf_append(&b, p, len);
		}
		p += len;
		n -= len;
	}
	return b.buf ? berth_strbuf_steal(&b) : xstrdup("");
}

/* NS as Go's time.Time marshals in local time: RFC 3339, the fraction
 * without trailing zeros, "Z" for a zero offset. */
static void go_time(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	size_t o;
	long off;

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	localtime_r(&secs, &tm);
	o = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac > 0 && o + 11 < len) {
		o += (size_t)snprintf(buf + o, len - o, ".%09ld", frac);
		while (buf[o - 1] == '0')
			buf[--o] = '\0';
	}
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(buf + o, len - o, "Z");
	else
		snprintf(buf + o, len - o, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
			 labs(off) % 60);
}

char *berth_carchive_stat_header(const struct berth_path_stat *st)
{
	cleanup_free char *name = go_utf8(st->name), *target = go_utf8(st->link_target);
	cleanup_free char *text = NULL;
	char mtime[64];
	char *out;
	json_t *j;
	size_t n;

	go_time(st->mtime_ns, mtime, sizeof(mtime));
	j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t)st->size,
		      "mode", (json_int_t)st->mode, "mtime", mtime, "linkTarget", target);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	n = strlen(text);
	out = berth_base64_encode(text, n);
	return out;
}

void berth_path_stat_release(struct berth_path_stat *st)
{
	free(st->name);
	free(st->link_target);
	st->name = st->link_target = NULL;
}

/* Go's filepath.Base. */
static char *go_base(const char *path)
{
	size_t n = strlen(path);
	const char *slash;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return xstrdup(".");
	if (n == 1 && path[0] == '/')
		return xstrdup("/");
	slash = memrchr(path, '/', n);
	return slash ? xstrndup(slash + 1, n - (size_t)(slash + 1 - path)) : xstrndup(path, n);
}

/* docker's archive.PreserveTrailingDotOrSeparator(Join("/", PATH), PATH). */
static char *archive_abs_path(const char *path)
{
	cleanup_free char *rooted = xasprintf("/%s", path), *base = go_base(path);
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	char *clean = berth_layer_go_clean(rooted);
	size_t n = strlen(path);

	berth_strbuf_puts(&b, clean);
	free(clean);
	if (strcmp(base, ".") == 0)
		berth_strbuf_puts(&b, b.buf[b.len - 1] == '/' ? "." : "/.");
	if (b.buf[b.len - 1] != '/' && n > 0 && path[n - 1] == '/')
		berth_strbuf_puts(&b, "/");
	return berth_strbuf_steal(&b);
}

/* strerror as Go spells an errno. */
static const char *go_strerror(int code, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(code));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* --- paths inside the root --------------------------------------------------------------------- */

/* Splits the clean absolute PATH into the directory it is in, opened
 * inside ROOT, and *BASE (pointing into PATH). -1 with errno. */
static int open_parent_in_root(int root, const char *path, const char **base)
{
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');

	*base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (slash)
		*slash = '\0';
	return berth_layer_open_dir_in_root(root, slash ? dir : "");
}

/* Go's os.Lstat(PATH) by a process chrooted in ROOT with / as its working
 * directory: symlinks on the way resolve inside ROOT, the last component is
 * not followed unless PATH ends with "/" or "/.". 0 or -1 with errno. */
static int lstat_in_root(int root, const char *path, struct stat *st)
{
	cleanup_free char *rooted = xasprintf("/%s", path), *base = go_base(path);
	cleanup_free char *abs = berth_layer_go_clean(rooted);
	cleanup_close int fd = -1;
	size_t n = strlen(path);
	const char *name;

	if (strcmp(abs, "/") == 0 || strcmp(base, ".") == 0 || (n > 0 && path[n - 1] == '/')) {
		fd = berth_layer_open_dir_in_root(root, abs);
		return fd < 0 ? -1 : fstat(fd, st);
	}
	fd = open_parent_in_root(root, abs, &name);
	return fd < 0 ? -1 : fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW);
}

/* The symlink NAME in the directory FD, read. NULL with errno. */
static char *read_link_at(int fd, const char *name)
{
	cleanup_free char *buf = xmalloc(PATH_MAX);
	ssize_t n = readlinkat(fd, name, buf, PATH_MAX);

	if (n < 0)
		return NULL;
	if (n >= PATH_MAX)
		return errno = ENAMETOOLONG, NULL;
	buf[n] = '\0';
	return steal_pointer(&buf);
}

/* One step of scope_resolve: CAND is CUR joined with the next component.
 * Returns 1 and the link's text in *TARGET for a symlink, 0 otherwise
 * (missing components are taken as they are), -1 with errno. */
static int scope_step(int root, const char *cand, char **target)
{
	cleanup_close int pfd = -1;
	const char *base;
	struct stat st;

	pfd = open_parent_in_root(root, cand, &base);
	if (pfd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISLNK(st.st_mode))
		return 0;
	*target = read_link_at(pfd, base);
	return *target ? 1 : -1;
}

/* docker's symlink.FollowSymlinkInScope(PATH, "/") inside ROOT: every
 * symlink on the way is followed (absolute ones from ROOT, `..` never above
 * it); a missing component is kept as it is. Returns a clean absolute path,
 * or NULL with errno (ELOOP past BERTH_CARCHIVE_MAX_LINKS steps). */
static char *scope_resolve(int root, const char *path)
{
	cleanup_free char *rooted = xasprintf("/%s", path);
	cleanup_free char *todo = berth_layer_go_clean(rooted), *cur = xstrdup("/");
	char *rest = todo + 1, *comp, *slash, *next;
	int steps = 0, r;

	while (*rest) {
		cleanup_free char *joined = NULL, *cand = NULL, *target = NULL;
		if (++steps > BERTH_CARCHIVE_MAX_LINKS)
			return errno = ELOOP, NULL;
		comp = rest;
		slash = strchr(rest, '/');
		rest = slash ? slash + 1 : rest + strlen(rest);
		if (slash)
			*slash = '\0';
		if (*comp == '\0')
			continue;
		joined = xasprintf("%s/%s", cur, comp);
		cand = berth_layer_go_clean(joined);
		r = strcmp(cand, "/") == 0 ? 0 : scope_step(root, cand, &target);
		if (r < 0)
			return NULL;
		if (r == 0) {
			free(cur);
			cur = steal_pointer(&cand);
			continue;
		}
		/* the link's text goes in front of what is left */
		if (target[0] == '/') {
			free(cur);
			cur = xstrdup("/");
		}
		next = xasprintf("%s/%s", target, rest);
		free(todo);
		todo = next;
		rest = todo;
	}
	return steal_pointer(&cur);
}

/* --- reading directories ----------------------------------------------------------------------- */

struct names {
	char **v; /* owned, sorted */
	size_t n;
};

static void names_release(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of the directory FD (borrowed), sorted bytewise as Go's
 * filepath.Walk visits them. 0 or -1 with errno. */
static int read_names(int fd, struct names *ns)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	size_t cap = 0;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ns->v = NULL;
	ns->n = 0;
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ns->n == cap) {
			cap = cap ? cap * 2 : 32;
			ns->v = xrealloc(ns->v, cap * sizeof(*ns->v));
		}
		ns->v[ns->n++] = xstrdup(de->d_name);
	}
	if (errno) {
		names_release(ns);
		return -1;
	}
	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(*ns->v), name_cmp);
	return 0;
}

/* --- writing tars ------------------------------------------------------------------------------ */

/* A name the container's /etc/passwd or /etc/group gives an id, cached. */
struct id_name {
	const char *db; /* borrowed: the file's text, may be NULL */
	bool valid;
	unsigned long id;
	char name[64];
};

struct link_slot {
	dev_t dev;
	ino_t ino;
	char *name; /* owned: the entry the inode was first written as */
};

struct tarw {
	struct archive *a; /* owned */
	int out;	   /* borrowed: where the tar goes */
	int write_errno;
	char *passwd, *group; /* owned: the container's, for owner names */
	struct id_name user, grp;
	struct link_slot *links; /* owned: open addressing over (dev, ino) */
	size_t links_cap, links_n;
	int depth;
	char *buf; /* owned: COPY_BUF bytes */
};

/* A failed write is kept from libarchive, which never closes (nor frees
 * the block buffer of) an archive once a write failed: what follows is
 * dropped and the walk stops at its next check of write_errno. */
static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *p, size_t len)
{
	struct tarw *w = data;
	size_t done = 0;
	ssize_t n;

	while (done < len && w->write_errno == 0) {
		n = write(w->out, (const char *)p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			w->write_errno = n < 0 ? errno : EIO;
		else
			done += (size_t)n;
	}
	return (la_ssize_t)len;
}

static int tar_fail(struct tarw *w, berth_error_t *err, const char *what)
{
	const char *m = archive_error_string(w->a);

	if (w->write_errno)
		return berth_make_error(err, w->write_errno, "%s: %s", what,
					strerror(w->write_errno));
	return berth_make_error(err, EIO, "%s: %s", what, m ? m : "archive error");
}

/* Finds ID (the third field) in DB and copies the first field. */
static bool db_lookup(const char *db, unsigned long id, char *out, size_t len)
{
	const char *line, *end, *f2, *f3;
	char *num_end;

	for (line = db; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		f2 = strchr(line, ':');
		f3 = f2 ? strchr(f2 + 1, ':') : NULL;
		if (f3 == NULL || (end && f3 > end) || (size_t)(f2 - line) >= len)
			continue;
		if (f3[1] < '0' || f3[1] > '9' || strtoul(f3 + 1, &num_end, 10) != id ||
		    *num_end != ':')
			continue;
		memcpy(out, line, (size_t)(f2 - line));
		out[f2 - line] = '\0';
		return true;
	}
	return false;
}

/* The name of ID as Go's archive/tar finds it (inside the container's
 * root, where docker runs its tar), or NULL. */
static const char *id_name(struct id_name *c, unsigned long id)
{
	if (c->db == NULL)
		return NULL;
	if (!c->valid || c->id != id) {
		c->id = id;
		c->valid = true;
		if (!db_lookup(c->db, id, c->name, sizeof(c->name)))
			c->name[0] = '\0';
	}
	return c->name[0] ? c->name : NULL;
}

static size_t link_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void links_grow(struct tarw *w)
{
	struct link_slot *old = w->links;
	size_t old_cap = w->links_cap, i, k;

	w->links_cap = old_cap ? old_cap * 2 : 256;
	w->links = xzalloc(w->links_cap * sizeof(*w->links));
	for (i = 0; i < old_cap; i++) {
		if (old[i].name == NULL)
			continue;
		for (k = link_hash(old[i].dev, old[i].ino, w->links_cap); w->links[k].name;
		     k = (k + 1) & (w->links_cap - 1))
			;
		w->links[k] = old[i];
	}
	free(old);
}

/* docker's hard link detection: the first entry of a non-directory inode
 * with more than one link is written whole, the next ones as links to it.
 * Returns that first name, or NULL after recording NAME as it. */
static const char *link_seen(struct tarw *w, const struct stat *st, const char *name)
{
	size_t k;

	if (2 * (w->links_n + 1) > w->links_cap)
		links_grow(w);
	for (k = link_hash(st->st_dev, st->st_ino, w->links_cap); w->links[k].name;
	     k = (k + 1) & (w->links_cap - 1))
		if (w->links[k].dev == st->st_dev && w->links[k].ino == st->st_ino)
			return w->links[k].name;
	w->links[k].dev = st->st_dev;
	w->links[k].ino = st->st_ino;
	w->links[k].name = xstrdup(name);
	w->links_n++;
	return NULL;
}

static void tarw_release(struct tarw *w)
{
	size_t i;

	if (w->a)
		archive_write_free(w->a);
	for (i = 0; i < w->links_cap; i++)
		free(w->links[i].name);
	free(w->links);
	free(w->passwd);
	free(w->group);
	free(w->buf);
}

/* A tar writer as docker's archive package writes: PAX records only where
 * ustar cannot say it, no padding after the end-of-archive blocks. */
static void tarw_init(struct tarw *w, int out, const char *rootfs)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->passwd = crun_read_in_root(rootfs, "etc/passwd");
	w->group = crun_read_in_root(rootfs, "etc/group");
	w->user.db = w->passwd;
	w->grp.db = w->group;
	w->buf = xmalloc(COPY_BUF);
	w->a = archive_write_new();
	archive_write_set_format_pax_restricted(w->a);
	archive_write_set_bytes_in_last_block(w->a, 1);
}

/* Copies SIZE bytes of FD: a file that shrank meanwhile is padded with
 * zeros (by libarchive), one that grew is cut, as the header was written. */
static int put_data(struct tarw *w, int fd, int64_t size, berth_error_t *err)
{
	ssize_t n;

	while (size > 0) {
		n = read(fd, w->buf, size < COPY_BUF ? (size_t)size : COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (archive_write_data(w->a, w->buf, (size_t)n) != n || w->write_errno)
			return tar_fail(w, err, "write the archive");
		size -= n;
	}
	return 0;
}

/* Opens the regular file BASE in DFD for reading, checking that it is still
 * the file ST describes (it may have been replaced by a fifo meanwhile). */
static int open_regular(int dfd, const char *base, const struct stat *st)
{
	cleanup_close int fd =
	    openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat now;

	if (fd < 0 || fstat(fd, &now) < 0)
		return -1;
	if (!S_ISREG(now.st_mode) || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
		return errno = ESTALE, -1;
	return steal_fd(&fd);
}

/* The header of one entry named NAME, of the file BASE in DFD described by
 * ST (DFD -1 for a directory met by fd). */
static void fill_entry(struct tarw *w, struct archive_entry *e, int dfd, const char *base,
		       const struct stat *st, const char *name)
{
	cleanup_free char *target = NULL;
	const char *u = id_name(&w->user, st->st_uid), *g = id_name(&w->grp, st->st_gid);

	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, name);
	/* docker truncates times to the second and writes no atime or ctime */
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_nlink(e, 1);
	if (u)
		archive_entry_set_uname(e, u);
	if (g)
		archive_entry_set_gname(e, g);
	if (!S_ISREG(st->st_mode))
		archive_entry_set_size(e, 0);
	if (S_ISLNK(st->st_mode) && dfd >= 0 && (target = read_link_at(dfd, base)))
		archive_entry_set_symlink(e, target);
}

/* docker keeps one xattr in a tar: a file's capabilities. */
static void add_capabilities(struct archive_entry *e, int fd)
{
	char value[256];
	ssize_t n = fgetxattr(fd, "security.capability", value, sizeof(value));

	if (n > 0)
		archive_entry_xattr_add_entry(e, "security.capability", value, (size_t)n);
}

/* Writes the entry NAME for BASE in DFD (ST its lstat). What vanished or
 * cannot be read meanwhile is skipped, as docker logs and skips it;
 * sockets are skipped too. Only a failure to write fails. */
static int put_entry(struct tarw *w, int dfd, const char *base, const struct stat *st,
		     const char *name, berth_error_t *err)
{
	struct archive_entry *e;
	cleanup_close int fd = -1;
	const char *first = NULL;
	int r;

	if (S_ISSOCK(st->st_mode))
		return 0;
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
		first = link_seen(w, st, name);
	if (S_ISREG(st->st_mode) && first == NULL && (fd = open_regular(dfd, base, st)) < 0) {
		berth_log_debug("archive: `%s` skipped: %s", name, strerror(errno));
		return 0;
	}
	e = archive_entry_new();
	fill_entry(w, e, dfd, base, st, name);
	if (first) {
		archive_entry_set_hardlink(e, first);
		archive_entry_set_size(e, 0);
	} else if (fd >= 0) {
		add_capabilities(e, fd);
	}
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if ((r != ARCHIVE_OK && r != ARCHIVE_WARN) || w->write_errno)
		return tar_fail(w, err, "write the archive");
	return fd >= 0 ? put_data(w, fd, st->st_size, err) : 0;
}

static int walk_dir(struct tarw *w, int dfd, const char *prefix, berth_error_t *err);

/* The entry BASE of the directory DFD, named PREFIX + BASE, and what is
 * below it. */
static int walk_entry(struct tarw *w, int dfd, const char *base, const char *prefix,
		      berth_error_t *err)
{
	cleanup_free char *name = NULL;
	cleanup_close int sub = -1;
	struct stat st;
	int ret;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* gone meanwhile */
	name = xasprintf("%s%s%s", prefix, base, S_ISDIR(st.st_mode) ? "/" : "");
	if (strlen(name) >= BERTH_CARCHIVE_MAX_PATH) {
		berth_log_debug("archive: a path longer than %d bytes skipped",
				BERTH_CARCHIVE_MAX_PATH);
		return 0;
	}
	ret = put_entry(w, dfd, base, &st, name, err);
	if (ret < 0 || !S_ISDIR(st.st_mode))
		return ret;
	if (w->depth >= BERTH_CARCHIVE_MAX_DEPTH)
		return berth_make_error(err, ELOOP, "archive: more than %d nested directories",
					BERTH_CARCHIVE_MAX_DEPTH);
	sub = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return 0;
	w->depth++;
	ret = walk_dir(w, sub, name, err);
	w->depth--;
	return ret;
}

/* Everything below DFD, named PREFIX + the path below it. */
static int walk_dir(struct tarw *w, int dfd, const char *prefix, berth_error_t *err)
{
	struct names ns;
	size_t i;
	int ret = 0;

	if (read_names(dfd, &ns) < 0)
		return 0; /* unreadable: skipped, as docker does */
	for (i = 0; i < ns.n && ret == 0; i++)
		ret = walk_entry(w, dfd, ns.v[i], prefix, err);
	names_release(&ns);
	return ret;
}

static int tar_open(struct tarw *w, berth_error_t *err)
{
	if (archive_write_open(w->a, w, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
		return tar_fail(w, err, "write the archive");
	return 0;
}

static int tar_close(struct tarw *w, berth_error_t *err)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return tar_fail(w, err, "write the archive");
	return 0;
}

/* --- changes ----------------------------------------------------------------------------------- */

struct chwalk {
	int *lowers; /* owned: the layer directories, topmost first (-1: missing) */
	size_t n_lowers;
	json_t *out; /* borrowed: where changes go now */
	size_t count;
	int depth;
};

/* What docker's init layer holds: the runtime's mount targets and the
 * directories they are in. They count as present in the layers, and are
 * no change while they are empty. */
static bool init_path(const char *path)
{
	static const char *const paths[] = {
		"/.dockerenv", "/dev",		"/dev/console", "/dev/pts",  "/dev/shm",
		"/etc",	       "/etc/hostname", "/etc/hosts",	"/etc/mtab", "/etc/resolv.conf",
		"/proc",       "/sys",
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(paths); i++)
		if (strcmp(path, paths[i]) == 0)
			return true;
	return false;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool dir_opaque(int fd)
{
	char v[2];

	return fgetxattr(fd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* REL ("a/b") in the layer directory LFD as overlayfs sees it. Returns 1
 * with *ST when it is there, 0 when it is not (look in the next layer),
 * -1 when the layers below are hidden from it (a whiteout, a non-directory
 * or an opaque directory on the way). */
static int layer_lookup(int lfd, const char *rel, struct stat *st)
{
	cleanup_free char *buf = xstrdup(rel);
	cleanup_close int cur = fcntl(lfd, F_DUPFD_CLOEXEC, 3);
	char *comp = buf, *slash;
	bool opaque = false;
	int next;

	while (cur >= 0) {
		slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		if (fstatat(cur, comp, st, AT_SYMLINK_NOFOLLOW) < 0)
			return opaque ? -1 : 0;
		if (is_whiteout(st))
			return -1;
		if (slash == NULL)
			return 1;
		if (!S_ISDIR(st->st_mode))
			return -1;
		next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
		opaque = opaque || (cur >= 0 && dir_opaque(cur));
		comp = slash + 1;
	}
	return 0;
}

/* Whether the layers have PATH ("/a/b"), and its stat there. */
static bool in_lower(struct chwalk *w, const char *path, struct stat *st)
{
	size_t i;
	int r;

	for (i = 0; i < w->n_lowers; i++) {
		if (w->lowers[i] < 0)
			continue;
		r = layer_lookup(w->lowers[i], path + 1, st);
		if (r != 0)
			return r > 0;
	}
	return false;
}

static int add_change(struct chwalk *w, const char *path, enum berth_change_kind kind,
		      berth_error_t *err)
{
	cleanup_free char *p = go_utf8(path);

	if (++w->count > BERTH_CARCHIVE_MAX_CHANGES)
		return berth_make_error(err, EFBIG, "more than %d changes in the container",
					BERTH_CARCHIVE_MAX_CHANGES);
	json_array_append_new(w->out, json_pack("{s:s, s:i}", "Path", p, "Kind", (int)kind));
	return 0;
}

/* docker's test of a directory that is in the upper layer only because
 * something below it was touched: same size, mode and mtime (the seconds
 * match and one side has no fraction, or both are equal). */
static bool same_dir(const struct stat *a, const struct stat *b)
{
	bool same_time = a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
			 (a->st_mtim.tv_nsec == b->st_mtim.tv_nsec || a->st_mtim.tv_nsec == 0 ||
			  b->st_mtim.tv_nsec == 0);

	return a->st_size == b->st_size && a->st_mode == b->st_mode && same_time;
}

static int changes_dir(struct chwalk *w, int dfd, const char *rel, bool visible, size_t *entries,
		       berth_error_t *err);

/* Whether the directory PATH is listed, given the changes below it (N),
 * its entries in the upper layer and its stat in the layers (LOWER, NULL
 * when they lack it). Only empty mount targets below it: its mode alone
 * says whether it changed, since creating them changed its mtime. */
static bool dir_listed(const char *path, size_t n, size_t entries, const struct stat *st,
		       const struct stat *lower)
{
	if (n > 0)
		return true;
	if (lower == NULL)
		return !init_path(path);
	if (entries == 0)
		return !same_dir(st, lower);
	return st->st_mode != lower->st_mode || st->st_uid != lower->st_uid ||
	       st->st_gid != lower->st_gid;
}

/* The directory NAME (PATH) of DFD: listed before what changed below it,
 * as a modification when the layers (or docker's init layer) have it. */
static int change_dir(struct chwalk *w, int dfd, const char *name, const char *path,
		      const struct stat *st, const struct stat *lower, berth_error_t *err)
{
	cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	json_t *saved = w->out, *mine;
	size_t entries = 0;
	int ret;

	if (sub < 0)
		return errno == ENOENT
			   ? 0
			   : berth_make_error(err, errno, "open `%s`: %s", path, strerror(errno));
	if (w->depth >= BERTH_CARCHIVE_MAX_DEPTH)
		return berth_make_error(err, ELOOP, "diff: more than %d nested directories",
					BERTH_CARCHIVE_MAX_DEPTH);
	mine = w->out = json_array();
	w->depth++;
	ret = changes_dir(w, sub, path, lower != NULL && !dir_opaque(sub), &entries, err);
	w->depth--;
	w->out = saved;
	if (ret >= 0 && dir_listed(path, json_array_size(mine), entries, st, lower))
		ret = add_change(w, path,
				 lower || init_path(path) ? BERTH_CHANGE_MODIFY : BERTH_CHANGE_ADD,
				 err);
	if (ret >= 0)
		json_array_extend(w->out, mine);
	json_decref(mine);
	return ret;
}

/* The entry NAME (PATH) of the upper directory DFD. VISIBLE: the layers
 * may have it (its directory is in them and not opaque). */
static int change_entry(struct chwalk *w, int dfd, const char *name, const char *path, bool visible,
			berth_error_t *err)
{
	struct stat st, lst;
	bool lower;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			   ? 0
			   : berth_make_error(err, errno, "stat `%s`: %s", path, strerror(errno));
	if (is_whiteout(&st))
		return add_change(w, path, BERTH_CHANGE_DELETE, err);
	lower = visible && in_lower(w, path, &lst);
	if (S_ISDIR(st.st_mode))
		return change_dir(w, dfd, name, path, &st, lower ? &lst : NULL, err);
	if (init_path(path) && !lower && S_ISREG(st.st_mode) && st.st_size == 0)
		return 0; /* a mount target the runtime made */
	return add_change(w, path,
			  lower || init_path(path) ? BERTH_CHANGE_MODIFY : BERTH_CHANGE_ADD, err);
}

/* Everything in the upper directory DFD (REL: "" for the root, else "/a"). */
static int changes_dir(struct chwalk *w, int dfd, const char *rel, bool visible, size_t *entries,
		       berth_error_t *err)
{
	struct names ns;
	size_t i;
	int ret = 0;

	if (read_names(dfd, &ns) < 0)
		return berth_make_error(err, errno, "read `%s/`: %s", rel, strerror(errno));
	*entries = ns.n;
	for (i = 0; i < ns.n && ret >= 0; i++) {
		cleanup_free char *path = xasprintf("%s/%s", rel, ns.v[i]);
		if (strlen(path) >= BERTH_CARCHIVE_MAX_PATH)
			ret = berth_make_error(err, ENAMETOOLONG,
					       "diff: a path is longer than %d bytes",
					       BERTH_CARCHIVE_MAX_PATH);
		else
			ret = change_entry(w, dfd, ns.v[i], path, visible, err);
	}
	names_release(&ns);
	return ret;
}

json_t *berth_carchive_changes(const char *upper, const char *const *lowers, size_t n,
			       berth_error_t *err)
{
	cleanup_close int root = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct chwalk w = { .n_lowers = n, .out = json_array() };
	size_t i, entries;
	int ret;

	if (root < 0 && errno == ENOENT)
		return w.out;
	if (root < 0) {
		json_decref(w.out);
		berth_make_error(err, errno, "open `%s`: %s", upper, strerror(errno));
		return NULL;
	}
	w.lowers = xmalloc((n ? n : 1) * sizeof(int));
	for (i = 0; i < n; i++)
		w.lowers[i] = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = changes_dir(&w, root, "", true, &entries, err);
	for (i = 0; i < n; i++)
		if (w.lowers[i] >= 0)
			close(w.lowers[i]);
	free(w.lowers);
	if (ret < 0) {
		json_decref(w.out);
		return NULL;
	}
	return w.out;
}

/* --- jobs -------------------------------------------------------------------------------------- */

enum job_kind {
	JOB_STAT,
	JOB_ARCHIVE,
	JOB_EXTRACT,
	JOB_EXPORT,
	JOB_CHANGES
};

struct berth_carchive_job {
	struct berth_carchive_job *next; /* on `jobs` */
	enum job_kind kind;
	struct berth_engine *e; /* borrowed: outlives the loop that runs the job */
	char id[65];		/* the container's: it may be removed meanwhile */
	char *name;		/* owned: the container as the client named it */
	char *cdir, *rootfs;	/* owned */
	char *rtdir;		/* owned: where the hosts files are */
	char *path;		/* owned: the path asked for */
	char *user;		/* owned: the container's User, for copyUIDGID */
	char **lowers;		/* owned: the image's layer directories, topmost first */
	size_t n_lowers;
	struct berth_extract_opts xo;
	bool readonly_rootfs;
	bool fs_user;  /* counted in the container's fs_users */
	bool reported; /* the result went to CB (or nowhere: forgotten) */
	bool forgotten;
	int in_fd;  /* owned: the tar to extract */
	int out_fd; /* owned by the worker: where it writes a tar */
	int efd;    /* owned: the worker's signals */
	struct berth_loop_handler *watch;
	uint64_t signals;
	atomic_int stage; /* what the worker has published */
	berth_carchive_cb cb;
	void *data;
	struct berth_carchive_result res; /* written by the worker before its first signal */
};

/* Every job not finished yet (loop thread). */
static struct berth_carchive_job *jobs;

static void job_free(struct berth_carchive_job *j)
{
	size_t i;

	free(j->name);
	free(j->cdir);
	free(j->rtdir);
	free(j->rootfs);
	free(j->path);
	free(j->user);
	for (i = 0; i < j->n_lowers; i++)
		free(j->lowers[i]);
	free(j->lowers);
	if (j->in_fd >= 0)
		close(j->in_fd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	if (j->res.fd >= 0)
		close(j->res.fd);
	if (j->efd >= 0)
		close(j->efd);
	berth_error_release(&j->res.err);
	berth_path_stat_release(&j->res.stat);
	json_decref(j->res.changes);
	free(j);
}

/* Worker: publishes what is done and wakes the loop. After the second
 * signal the worker no longer touches the job. */
static void job_signal(int efd, atomic_int *stage, int value)
{
	uint64_t one = 1;

	if (stage)
		atomic_store_explicit(stage, value, memory_order_release);
	while (write(efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* The container of the job, if it still exists (its full ID finds it). */
static struct container *container_by_id(struct berth_engine *e, const char *id)
{
	return cont_find(e, id, NULL);
}

/* Another job still using the rootfs of the container ID. */
static bool rootfs_in_use(const struct berth_carchive_job *self)
{
	const struct berth_carchive_job *j;

	for (j = jobs; j; j = j->next)
		if (j != self && j->fs_user && strcmp(j->id, self->id) == 0)
			return true;
	return false;
}

/* The job no longer needs the rootfs: unmount it unless the container runs
 * or someone else uses it. A container removed meanwhile kept its mount
 * (crun_unmount leaves it to us): undo it and remove what is left. */
static void job_release_fs(struct berth_carchive_job *j)
{
	struct container *c = container_by_id(j->e, j->id);
	cleanup_close int dfd = -1;

	if (!j->fs_user)
		return;
	j->fs_user = false;
	if (c) {
		if (--c->fs_users == 0 && !crun_running(c) && c->mounted)
			(void)crun_unmount(j->e, c);
		return;
	}
	if (rootfs_in_use(j))
		return;
	if (umount2(j->rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		berth_log_warn("container %s: unmount rootfs: %s", j->id, strerror(errno));
	dfd = open(j->e->containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && berth_fs_remove_at_raw(dfd, j->id) < 0 && errno != ENOENT)
		berth_log_warn("container %s: removing its files: %s", j->id, strerror(errno));
}

static void job_finish(struct berth_carchive_job *j)
{
	struct berth_carchive_job **pp;

	berth_loop_del_fd(j->e->loop, j->watch);
	j->watch = NULL;
	job_release_fs(j);
	berth_engine_trim_later(j->e);
	for (pp = &jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	job_free(j);
}

/* The result is ready: docker's event, then the caller's callback. */
static void job_report(struct berth_carchive_job *j)
{
	struct container *c = container_by_id(j->e, j->id);

	j->reported = true;
	if (j->res.err == NULL && c && j->kind == JOB_ARCHIVE)
		cont_event(j->e, c, "archive-path", NULL);
	if (j->res.err == NULL && c && j->kind == JOB_EXTRACT)
		cont_event(j->e, c, "extract-to-dir", NULL);
	if (!j->forgotten)
		j->cb(j->data, &j->res);
	/* a tar nobody reads: the worker stops at its next write */
	if (j->res.fd >= 0) {
		close(j->res.fd);
		j->res.fd = -1;
	}
}

static void job_event_cb(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct berth_carchive_job *j = data;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		j->signals += v;
	if (j->signals == 0 || atomic_load_explicit(&j->stage, memory_order_acquire) == 0)
		return;
	if (!j->reported)
		job_report(j);
	if (j->signals >= 2)
		job_finish(j);
}

void berth_carchive_job_forget(struct berth_carchive_job *j)
{
	j->forgotten = true;
	j->cb = NULL;
	j->data = NULL;
}

/* --- the worker -------------------------------------------------------------------------------- */

/* Worker: the result is ready (once per job). */
static void job_ready(struct berth_carchive_job *j, bool *sent)
{
	if (*sent)
		return;
	*sent = true;
	job_signal(j->efd, &j->stage, 1);
}

/* Covers the rootfs's /etc/FILE with the container's own, as docker
 * mounts it in the container and in its filesystem view. Nothing before
 * the first start (docker has no such mount yet) or over what is not a
 * regular file. */
static void bind_net_file(const struct berth_carchive_job *j, int root, const char *file)
{
	cleanup_free char *src = xasprintf("%s/%s", j->rtdir, file), *proc = NULL;
	cleanup_close int etc = -1, fd = -1;
	struct stat st;

	if (access(src, F_OK) < 0)
		return;
	etc = berth_layer_open_dir_in_root(root, "etc");
	fd = etc < 0 ? -1 : openat(etc, file, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	proc = xasprintf("/proc/self/fd/%d", fd);
	if (mount(src, proc, NULL, MS_BIND, NULL) < 0)
		berth_log_debug("container %.12s: bind %s in the archive view: %s", j->id, file,
				strerror(errno));
}

/* Worker: docker's container filesystem view. The thread gets a mount
 * namespace of its own, a slave of the daemon's (our mounts stay here,
 * unmounts there reach us), where the network files cover the rootfs's.
 * Without the privilege for it, the plain rootfs. Returns the root. */
static int enter_view(const struct berth_carchive_job *j)
{
	static const char *const files[] = { "hostname", "hosts", "resolv.conf" };
	int root;
	size_t i;

	if (unshare(CLONE_FS | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		berth_log_debug("container %.12s: no mount namespace for the archive view: %s",
				j->id, strerror(errno));
		return open(j->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	/* opened in the new namespace: lookups through it see its mounts */
	root = open(j->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; root >= 0 && i < BERTH_ARRAY_SIZE(files); i++)
		bind_net_file(j, root, files[i]);
	return root;
}

/* os.Lstat of PATH with docker's errors: ENOENT is "Could not find the
 * file", the rest a Go *PathError (500). */
static int stat_path(const struct berth_carchive_job *j, int root, const char *path,
		     struct stat *st, berth_error_t *err)
{
	char buf[128];

	if (lstat_in_root(root, path, st) == 0)
		return 0;
	if (errno == ENOENT)
		return berth_make_error(err, ENOENT, "Could not find the file %s in container %s",
					j->path, j->name);
	return berth_make_error(err, EIO, "lstat %s: %s", path,
				go_strerror(errno, buf, sizeof(buf)));
}

/* scope_resolve(PATH) failed: docker's words for it. */
static int scope_error(berth_error_t *err, const char *path)
{
	char buf[128];

	if (errno == ELOOP)
		return berth_make_error(err, EIO, "evalSymlinksInScope: too many links in %s",
					path);
	return berth_make_error(err, EIO, "lstat %s: %s", path,
				go_strerror(errno, buf, sizeof(buf)));
}

/* Worker: the stat of PATH into the result (docker's containerFSView.Stat). */
static int fill_stat(struct berth_carchive_job *j, int root, const char *path, struct stat *st)
{
	struct berth_path_stat *ps = &j->res.stat;

	if (stat_path(j, root, path, st, &j->res.err) < 0)
		return -1;
	ps->name = go_base(path);
	ps->size = st->st_size;
	ps->mode = berth_carchive_go_mode(st->st_mode);
	ps->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	ps->link_target = S_ISLNK(st->st_mode) ? scope_resolve(root, path) : xstrdup("");
	if (ps->link_target == NULL)
		return scope_error(&j->res.err, path);
	return 0;
}

/* Worker: the tar of the directory ABS (a clean path) as docker names it:
 * the directory as PREFIX ("etc/", "./" or "/"), then what is below it. */
static int tar_dir(struct tarw *w, int root, const char *abs, const char *base, berth_error_t *err)
{
	cleanup_free char *prefix = strcmp(base, "/") == 0 ? xstrdup("/") : xasprintf("%s/", base);
	cleanup_close int pfd = berth_layer_open_dir_in_root(root, abs), dfd = -1;
	struct stat st;
	int ret;

	if (pfd >= 0)
		dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return berth_make_error(err, errno, "open %s: %s", abs, strerror(errno));
	ret = put_entry(w, -1, NULL, &st, prefix, err);
	return ret < 0 ? ret : walk_dir(w, dfd, prefix, err);
}

/* Worker: the tar of the single non-directory ABS, named BASE. */
static int tar_one(struct tarw *w, int root, const char *abs, const char *base, berth_error_t *err)
{
	const char *name;
	cleanup_close int pfd = open_parent_in_root(root, abs, &name);
	struct stat st;

	if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_make_error(err, errno, "lstat %s: %s", abs, strerror(errno));
	return put_entry(w, pfd, name, &st, base, err);
}

/* Worker: GET archive: the stat (the result), then the tar into out_fd. */
static void do_archive(struct berth_carchive_job *j, int root, bool *sent)
{
	cleanup_free char *abs = archive_abs_path(j->path), *clean = NULL;
	berth_error_t err = NULL;
	struct tarw w;
	struct stat st;
	int ret;

	ret = fill_stat(j, root, abs, &st);
	job_ready(j, sent);
	if (ret < 0)
		return;
	clean = berth_layer_go_clean(abs);
	tarw_init(&w, j->out_fd, j->rootfs);
	ret = tar_open(&w, &err);
	if (ret == 0 && S_ISDIR(st.st_mode))
		ret = tar_dir(&w, root, clean, j->res.stat.name, &err);
	else if (ret == 0)
		ret = tar_one(&w, root, clean, j->res.stat.name, &err);
	if (ret == 0)
		ret = tar_close(&w, &err);
	if (ret < 0)
		berth_log_debug("container %.12s: archive of `%s` cut short: %s", j->id, j->path,
				err->msg);
	berth_error_release(&err);
	tarw_release(&w);
}

/* Worker: docker export: the whole rootfs, without the network files. */
static void do_export(struct berth_carchive_job *j, int root)
{
	cleanup_close int dfd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	berth_error_t err = NULL;
	struct tarw w;
	int ret;

	tarw_init(&w, j->out_fd, j->rootfs);
	ret = dfd < 0 ? berth_make_error(&err, errno, "open the rootfs: %s", strerror(errno))
		      : tar_open(&w, &err);
	if (ret == 0)
		ret = walk_dir(&w, dfd, "", &err);
	if (ret == 0)
		ret = tar_close(&w, &err);
	if (ret < 0)
		berth_log_debug("container %.12s: export cut short: %s", j->id, err->msg);
	berth_error_release(&err);
	tarw_release(&w);
}

/* Worker: copyUIDGID: every entry owned by the container's user (docker's
 * tarCopyOptions), resolved in the container's own passwd and group. */
static int extract_owner(struct berth_carchive_job *j, struct berth_untar_options *o)
{
	cleanup_free char *passwd = NULL, *group = NULL;
	cleanup_free gid_t *groups = NULL;
	size_t n = 0;

	if (!j->xo.copy_uid_gid || j->user == NULL || *j->user == '\0')
		return 0;
	passwd = crun_read_in_root(j->rootfs, "etc/passwd");
	group = crun_read_in_root(j->rootfs, "etc/group");
	if (berth_oci_resolve_user(j->user, passwd, group, &o->uid, &o->gid, &groups, &n,
				   &j->res.err) < 0) {
		j->res.err->code = EIO;
		return -1;
	}
	o->chown = true;
	return 0;
}

static ssize_t fd_read(void *data, void *buf, size_t len)
{
	return read(*(int *)data, buf, len);
}

/* Worker: PUT archive (docker's containerExtractToDir). */
static void do_extract(struct berth_carchive_job *j, int root)
{
	cleanup_free char *dest = scope_resolve(root, j->path);
	struct berth_untar_options o = { .no_overwrite_dir_nondir = j->xo.no_overwrite_dir_nondir };
	struct stat st;

	if (dest == NULL) {
		scope_error(&j->res.err, j->path);
		return;
	}
	if (stat_path(j, root, dest, &st, &j->res.err) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		berth_make_error(&j->res.err, EINVAL, "extraction point is not a directory");
		return;
	}
	if (j->readonly_rootfs) {
		berth_make_error(&j->res.err, EINVAL, "container rootfs is marked read-only");
		return;
	}
	if (extract_owner(j, &o) < 0)
		return;
	o.dest = dest + 1;
	if (berth_layer_untar(fd_read, &j->in_fd, root, &o, &j->res.err) < 0)
		j->res.err->code = EIO; /* docker: every failure of the tar is a server error */
}

static void do_changes(struct berth_carchive_job *j)
{
	cleanup_free char *upper = xasprintf("%s/upper", j->cdir);
	json_t *out =
	    berth_carchive_changes(upper, (const char *const *)j->lowers, j->n_lowers, &j->res.err);

	if (out && json_array_size(out) == 0) {
		/* docker marshals its empty (nil) list as null */
		json_decref(out);
		out = json_null();
	}
	j->res.changes = out;
}

static void *job_thread(void *arg)
{
	struct berth_carchive_job *j = arg;
	int efd = j->efd, root = -1;
	bool sent = false;

	if (j->kind == JOB_STAT || j->kind == JOB_ARCHIVE || j->kind == JOB_EXTRACT)
		root = enter_view(j);
	else if (j->kind == JOB_EXPORT)
		root = open(j->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 && j->kind != JOB_CHANGES) {
		berth_make_error(&j->res.err, EIO, "open the rootfs of %s: %s", j->name,
				 strerror(errno));
	} else if (j->kind == JOB_STAT) {
		struct stat st;
		(void)fill_stat(j, root, j->path, &st);
	} else if (j->kind == JOB_ARCHIVE) {
		do_archive(j, root, &sent);
	} else if (j->kind == JOB_EXTRACT) {
		do_extract(j, root);
	} else if (j->kind == JOB_EXPORT) {
		do_export(j, root);
	} else {
		do_changes(j);
	}
	if (root >= 0)
		close(root);
	if (j->out_fd >= 0) {
		close(j->out_fd); /* the end of the tar for its reader */
		j->out_fd = -1;
	}
	job_ready(j, &sent);
	/* the last touch of J: the loop frees it once it has read this */
	job_signal(efd, &j->stage, 2);
	return NULL;
}

/* --- starting jobs ------------------------------------------------------------------------------ */

static struct berth_carchive_job *job_new(struct berth_engine *e, struct container *c,
					  enum job_kind kind, const char *name,
					  berth_carchive_cb cb, void *data)
{
	struct berth_carchive_job *j = xzalloc(sizeof(*j));

	j->kind = kind;
	j->e = e;
	memcpy(j->id, c->id, sizeof(j->id));
	j->name = xstrdup(name);
	j->cdir = xstrdup(c->dir);
	j->rtdir = xstrdup(c->rtdir);
	j->rootfs = cont_path(c, "rootfs");
	j->in_fd = j->out_fd = j->efd = j->res.fd = -1;
	j->cb = cb;
	j->data = data;
	atomic_init(&j->stage, 0);
	return j;
}

static void job_unlink(struct berth_carchive_job *j)
{
	struct berth_carchive_job **pp;

	for (pp = &jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

static int spawn(struct berth_carchive_job *j, berth_error_t *err)
{
	pthread_attr_t attr;
	pthread_t thread;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&thread, &attr, job_thread, j);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return berth_make_error(err, rc, "cannot start a worker thread: %s", strerror(rc));
	return 0;
}

/* Mounts what the job needs, watches its signals and starts its worker.
 * On failure the job is freed. */
static int job_start(struct berth_carchive_job *j, struct container *c, berth_error_t *err)
{
	if (berth_archive_dl_load(err) < 0)
		goto fail;
	if (j->kind != JOB_CHANGES) {
		if (!c->mounted && crun_mount(j->e, c, err) < 0)
			goto fail;
		c->fs_users++;
		j->fs_user = true;
	}
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->efd < 0) {
		berth_make_error(err, errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	j->watch = berth_loop_add_fd(j->e->loop, j->efd, EPOLLIN, job_event_cb, j, err);
	if (j->watch == NULL)
		goto fail;
	j->next = jobs;
	jobs = j;
	if (spawn(j, err) == 0)
		return 0;
	job_unlink(j);
	berth_loop_del_fd(j->e->loop, j->watch);
fail:
	job_release_fs(j);
	job_free(j);
	return -1;
}

/* A job whose result is a tar read from a pipe: its read end is *RD. */
static int job_pipe(struct berth_carchive_job *j, int *rd, berth_error_t *err)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_make_error(err, errno, "pipe: %s", strerror(errno));
	j->out_fd = fds[1];
	*rd = fds[0];
	return 0;
}

/* A job on PATH of the container NAME (stat or archive). */
static struct berth_carchive_job *path_job(struct berth_engine *e, const char *name,
					   const char *path, enum job_kind kind,
					   berth_carchive_cb cb, void *data, berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	struct berth_carchive_job *j;

	if (c == NULL)
		return NULL;
	j = job_new(e, c, kind, name, cb, data);
	j->path = xstrdup(path);
	if (kind == JOB_ARCHIVE && job_pipe(j, &j->res.fd, err) < 0) {
		job_free(j);
		return NULL;
	}
	return job_start(j, c, err) < 0 ? NULL : j;
}

struct berth_carchive_job *berth_engine_container_stat_path(struct berth_engine *e,
							    const char *name, const char *path,
							    berth_carchive_cb cb, void *data,
							    berth_error_t *err)
{
	return path_job(e, name, path, JOB_STAT, cb, data, err);
}

struct berth_carchive_job *berth_engine_container_archive(struct berth_engine *e, const char *name,
							  const char *path, berth_carchive_cb cb,
							  void *data, berth_error_t *err)
{
	return path_job(e, name, path, JOB_ARCHIVE, cb, data, err);
}

struct berth_carchive_job *berth_engine_container_extract(struct berth_engine *e, const char *name,
							  const char *path,
							  const struct berth_extract_opts *o,
							  int fd, berth_carchive_cb cb, void *data,
							  berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	const char *user = json_string_value(json_object_get(c ? c->request : NULL, "User"));
	struct berth_carchive_job *j;

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	j = job_new(e, c, JOB_EXTRACT, name, cb, data);
	j->path = xstrdup(path);
	j->in_fd = fd;
	j->xo = *o;
	j->user = user ? xstrdup(user) : NULL;
	j->readonly_rootfs = json_is_true(json_object_get(cont_hc(c), "ReadonlyRootfs"));
	return job_start(j, c, err) < 0 ? NULL : j;
}

struct berth_carchive_job *berth_engine_container_changes(struct berth_engine *e, const char *name,
							  berth_carchive_cb cb, void *data,
							  berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	struct berth_carchive_job *j;
	size_t i, n;

	if (c == NULL)
		return NULL;
	j = job_new(e, c, JOB_CHANGES, name, cb, data);
	n = json_array_size(c->layers);
	j->lowers = xmalloc((n ? n : 1) * sizeof(char *));
	/* the chain IDs are bottom first, overlay's lowerdir topmost first */
	for (i = n; i-- > 0;) {
		const char *chain = json_string_value(json_array_get(c->layers, i));
		if (chain && strncmp(chain, "sha256:", 7) == 0)
			j->lowers[j->n_lowers++] =
			    xasprintf("%s/%s/diff", e->layers_dir, chain + 7);
	}
	return job_start(j, c, err) < 0 ? NULL : j;
}

int berth_engine_container_export(struct berth_engine *e, const char *name, int *out_fd,
				  berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	struct berth_carchive_job *j;
	int rd = -1;

	if (c == NULL)
		return -1;
	j = job_new(e, c, JOB_EXPORT, name, NULL, NULL);
	j->forgotten = true; /* the pipe is the answer */
	if (job_pipe(j, &rd, err) < 0) {
		job_free(j);
		return -1;
	}
	if (job_start(j, c, err) < 0) {
		close(rd);
		return -1;
	}
	cont_event(e, c, "export", NULL);
	*out_fd = rd;
	return 0;
}
