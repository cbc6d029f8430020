#include "config.h"

/* layer.c: applies an image layer in one streaming pass.
 *
 * Two libarchive readers are chained: `raw` undoes the compression (gzip,
 * zstd, bzip2, xz or none, detected from the magic bytes, the set docker's
 * DecompressStream knows) and its output, hashed on the way for the diff_id,
 * is the input of `tar`, which splits entries. Nothing is buffered whole.
 *
 * Every entry is created with *at() calls relative to its parent directory,
 * which is opened with openat2(RESOLVE_IN_ROOT) so that `..` and symlinks,
 * absolute or not, stay inside the layer root exactly as they would inside
 * the container; where openat2 is missing an O_NOFOLLOW walk emulates it.
 * The final component is never followed: an existing entry is removed first
 * (unless both are directories) and files are created with O_EXCL. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/archive_dl.h"
#include "base/isal_dl.h"
#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "image/layer.h"

#define READ_BUF_SIZE	(128 * 1024)
#define MAX_SYMLINKS	40  /* the kernel's MAXSYMLINKS */
#define OPENAT2_RETRIES 16  /* RESOLVE_IN_ROOT returns EAGAIN on concurrent renames */
#define NAME_ESC_LEN	320 /* escaped entry names in messages */

#define WH_PREFIX      ".wh."
#define WH_META_PREFIX ".wh..wh." /* aufs metadata: .wh..wh.plnk, .wh..wh.orph, ... */
#define WH_OPAQUE      ".wh..wh..opq"
#define OPAQUE_XATTR   "trusted.overlay.opaque"

/* Set once openat2 turned out to be unavailable (ENOSYS, or EPERM from an
 * old seccomp profile); shared by all unpacks, hence atomic. */
static int openat2_missing;

struct dir_time {
	char *path; /* owned; cleaned, relative to the root */
	struct timespec ts[2];
};

struct unpack {
	berth_layer_read_cb read;
	void *data; /* borrowed: the caller's */
	int root;   /* borrowed: dest_dirfd */
	struct berth_layer_options opts;
	bool walk; /* resolve without openat2 */

	struct archive *raw;	   /* owned: decompression (not gzip) */
	struct inflate_state *gz;  /* owned: gzip decompression (ISA-L), or NULL */
	unsigned char *outbuf;	   /* owned: what gz inflated */
	const char *gz_error;	   /* static: why gz failed */
	bool in_eof;		   /* the read callback said end of stream */
	size_t peeked;		   /* bytes of inbuf read ahead to sniff the format */
	struct archive *tar;	   /* owned: entries, reads from raw */
	struct berth_sha256 *hash; /* owned: of every decompressed byte */
	char *inbuf;		   /* owned: compressed input */
	int read_errno;		   /* set when the read callback failed */
	bool raw_failed;	   /* raw reported an error to tar's callback */
	int64_t compressed, size, entries;

	struct archive_entry *entry; /* borrowed: owned by tar, valid for one entry */
	char name[NAME_ESC_LEN];     /* the current entry's path, escaped for messages */

	/* berth_layer_untar: docker's archive.Untar rules instead of a layer's */
	const struct berth_untar_options *untar; /* borrowed, NULL for a layer */
	char *dest_abs;				 /* owned: "/" + untar->dest */
	char *abs;				 /* owned: the current entry, absolute */

	struct dir_time *dirs; /* owned */
	size_t ndirs, dirs_cap, dir_bytes;
};

/* Where an entry's metadata goes: an open fd (regular files and
 * directories) or a name in a directory, never followed (the others). */
struct node {
	int fd;
	int pfd;
	const char *base;
	bool symlink;
	bool reg_or_dir;
};

static void unpack_free(struct unpack *u)
{
	size_t i;

	if (u == NULL)
		return;
	if (u->tar)
		archive_read_free(u->tar);
	if (u->raw)
		archive_read_free(u->raw);
	free(u->gz);
	free(u->outbuf);
	berth_sha256_free(u->hash);
	for (i = 0; i < u->ndirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	free(u->inbuf);
	free(u->dest_abs);
	free(u->abs);
	free(u);
}

static void unpack_freep(struct unpack **u)
{
	int saved = errno;

	unpack_free(*u);
	*u = NULL;
	errno = saved;
}
#define cleanup_unpack __attribute__((cleanup(unpack_freep)))

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Errnos that describe the shape of the archive (a parent that is a file,
 * a symlink loop, a name too long) rather than the host: EINVAL for the API. */
static int shape_errno(int code)
{
	switch (code) {
	case ENOTDIR:
	case ELOOP:
	case EXDEV:
	case ENAMETOOLONG:
	case EISDIR:
		return EINVAL;
	default:
		return code;
	}
}

/* The name Go gives the operation WHAT in a *PathError, which is what
 * docker's Untar messages show. */
static const char *go_op(const char *what)
{
	static const char *const ops[][2] = {
		{ "create", "open" },
		{ "chown", "lchown" },
		{ "stat", "lstat" },
		{ "set times", "chtimes" },
		{ "remove the previous entry", "unlinkat" },
		{ "open the parent directory", "mkdir" },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(what, ops[i][0]) == 0)
			return ops[i][1];
	return what;
}

static int entry_error(struct unpack *u, berth_error_t *err, int code, const char *what)
{
	char text[128];

	if (u->untar) {
		/* docker's "open /dir/name: file name too long" */
		snprintf(text, sizeof(text), "%s", strerror(code));
		text[0] = (char)tolower((unsigned char)text[0]);
		return berth_make_error(err, code, "%s %s: %s", go_op(what), u->name, text);
	}
	return berth_make_error(err, shape_errno(code), "entry `%s`: %s: %s", u->name, what,
				strerror(code));
}

/* libarchive failed: the read callback's errno, else a corrupt stream. */
static int stream_error(struct unpack *u, struct archive *a, berth_error_t *err)
{
	char msg[NAME_ESC_LEN];
	const char *m;

	if (u->read_errno)
		return berth_make_error(err, u->read_errno, "read layer: %s",
					strerror(u->read_errno));
	m = u->raw_failed && u->gz ? u->gz_error : archive_error_string(u->raw_failed ? u->raw : a);
	if (m == NULL)
		m = u->raw_failed ? "bad compressed data" : "bad tar data";
	berth_log_escape(msg, sizeof(msg), m, strlen(m));
	return berth_make_error(err, EIO, "corrupt or truncated layer: %s", msg);
}

/* ---- path handling ---------------------------------------------------- */

/* Cleans PATH lexically as Go's filepath.Clean does (docker cleans every
 * name first) and makes it relative to the layer root: "/a//./b/" -> "a/b",
 * "/../a" -> "a" (`..` stops at a leading `/`), "" or "/" -> ".". Returns
 * NULL when a `..` climbs above the start of a relative name ("../a",
 * "a/../../b"): docker refuses those as breakouts. */
static char *clean_path(const char *path)
{
	bool rooted = path[0] == '/';
	size_t n = strlen(path), o = 0, i = 0, len;
	cleanup_free char *out = xmalloc(n + 2);

	while (i < n) {
		while (path[i] == '/')
			i++;
		for (len = 0; i + len < n && path[i + len] != '/'; len++)
			;
		if (len == 0 || (len == 1 && path[i] == '.')) {
			i += len;
			continue;
		}
		if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (o == 0 && !rooted)
				return NULL;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, path + i, len);
			o += len;
		}
		i += len;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return steal_pointer(&out);
}

/* Splits PATH in place: *PARENT ("" at the top level) and the last component. */
static const char *split_path(char *path, const char **parent)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*parent = "";
		return path;
	}
	*slash = '\0';
	*parent = path;
	return slash + 1;
}

/* Go's filepath.Clean, for docker's Untar checks: unlike clean_path, a
 * relative name keeps the `..` it cannot cancel ("a/../../b" -> "../b")
 * and a rooted one stays rooted. */
static char *go_clean(const char *path)
{
	size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
	bool rooted = path[0] == '/';
	char *out = xmalloc(n + 2);

	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/' || (path[r] == '.' && (r + 1 == n || path[r + 1] == '/'))) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' &&
			   (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* drop the last element */
				for (w--; w > dotdot && out[w] != '/'; w--)
					;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if (w != (rooted ? 1 : 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

/* Whether the clean absolute PATH is DIR or below it (docker's breakout
 * test, without its string-prefix looseness: "/ab" is not below "/a"). */
static bool path_within(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* docker's Join(A, B): "/x" + "../y" -> "/y". */
static char *go_join(const char *a, const char *b)
{
	cleanup_free char *joined = xasprintf("%s/%s", a, b);

	return go_clean(joined);
}

static int openat2_in_root(int root, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int i, fd = -1;

	for (i = 0; i < OPENAT2_RETRIES; i++) {
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return fd;
}

/* Reads the target of the symlink FD (an O_PATH fd) into a new string. */
static char *read_link_fd(int fd)
{
	cleanup_free char *buf = xmalloc(PATH_MAX);
	ssize_t n = readlinkat(fd, "", buf, PATH_MAX);

	if (n < 0)
		return NULL;
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	return steal_pointer(&buf);
}

/* Replaces the walk's remaining components REST (which points into *TODO)
 * with TARGET/REST. */
static void walk_push_link(char **todo, const char *target, const char *rest)
{
	char *next = xasprintf("%s/%s", target, rest);

	free(*todo);
	*todo = next;
}

/* One step of the walk: COMP, a plain name, from *CUR. Symlinks are not
 * followed but their text is queued in *TODO; the root stays the root. */
static int walk_step(int root, dev_t dev, int *cur, size_t *depth, const char *comp, char **todo,
		     const char *rest, int *links)
{
	cleanup_close int fd = openat(*cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *target = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	if (st.st_dev != dev)
		return errno = EXDEV, -1;
	if (S_ISDIR(st.st_mode)) {
		close(*cur);
		*cur = steal_fd(&fd);
		(*depth)++;
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return errno = ENOTDIR, -1;
	if (++*links > MAX_SYMLINKS)
		return errno = ELOOP, -1;
	target = read_link_fd(fd);
	if (target == NULL)
		return -1;
	if (target[0] == '/') {
		/* absolute targets start again from the layer root */
		int rfd = fcntl(root, F_DUPFD_CLOEXEC, 3);

		if (rfd < 0)
			return -1;
		close(*cur);
		*cur = rfd;
		*depth = 0;
	}
	walk_push_link(todo, target, rest);
	return 1;
}

/* Resolves the directory PATH inside ROOT without openat2, one component at
 * a time with O_NOFOLLOW, with RESOLVE_IN_ROOT | RESOLVE_NO_XDEV semantics:
 * `..` never climbs above ROOT, absolute symlinks restart from ROOT. Only
 * directories we entered for real are on the path, so `..` of the current
 * directory is its real parent. Returns an O_PATH fd or -1 with errno. */
static int walk_in_root(int root, const char *path)
{
	cleanup_free char *todo = xstrdup(path);
	cleanup_close int cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
	size_t depth = 0;
	int links = 0, r;
	struct stat rst;
	char *p = todo, *comp, *slash;

	if (cur < 0 || fstat(root, &rst) < 0)
		return -1;
	while (*p) {
		comp = p;
		slash = strchr(p, '/');
		p = slash ? slash + 1 : p + strlen(p);
		if (slash)
			*slash = '\0';
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (depth == 0)
				continue;
			r = openat(cur, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (r < 0)
				return -1;
			close(cur);
			cur = r;
			depth--;
			continue;
		}
		r = walk_step(root, rst.st_dev, &cur, &depth, comp, &todo, p, &links);
		if (r < 0)
			return -1;
		if (r > 0)
			p = todo;
	}
	return steal_fd(&cur);
}

/* Opens the existing directory PATH ("" = the root) inside the root.
 * Returns an O_PATH fd or -1 with errno. */
static int resolve_dir(struct unpack *u, const char *path)
{
	int fd;

	if (*path == '\0')
		return fcntl(u->root, F_DUPFD_CLOEXEC, 3);
	if (!u->walk) {
		fd = openat2_in_root(u->root, path);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd;
		__atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
		u->walk = true;
		berth_log_debug("layer: openat2 is unavailable, resolving paths by walking them");
	}
	return walk_in_root(u->root, path);
}

/* mkdirat with an exact mode whatever the umask; returns the new directory. */
static int make_dir(int pfd, const char *name, mode_t mode)
{
	cleanup_close int fd = -1;

	if (mkdirat(pfd, name, 0700) < 0)
		return -1;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, mode) < 0)
		return -1;
	return steal_fd(&fd);
}

/* Creates the missing directories of PATH (0755, owned by us, i.e. root) as
 * docker does. Each one is made in the directory its existing prefix
 * resolves to inside the root; below the first one made, nothing exists. */
static int make_parents(struct unpack *u, const char *path, berth_error_t *err)
{
	cleanup_free char *buf = xstrdup(path);
	cleanup_close int cur = fcntl(u->root, F_DUPFD_CLOEXEC, 3);
	bool made = false;
	char *comp = buf, *slash;
	int fd;

	if (cur < 0)
		return entry_error(u, err, errno, "open the layer root");
	for (;;) {
		slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		fd = made ? -1 : resolve_dir(u, buf);
		if (fd < 0 && (made || errno == ENOENT)) {
			fd = make_dir(cur, comp, 0755);
			if (fd < 0 && errno == EEXIST)
				return berth_make_error(err, EINVAL,
							"entry `%s`: parent is a dangling symlink",
							u->name);
			made = true;
		}
		if (fd < 0)
			return entry_error(u, err, errno, "open the parent directory");
		close(cur);
		cur = fd;
		if (slash == NULL)
			return steal_fd(&cur);
		*slash = '/';
		comp = slash + 1;
	}
}

/* The parent directory PATH of the current entry, created when missing. */
static int open_parent(struct unpack *u, const char *path, berth_error_t *err)
{
	int fd = resolve_dir(u, path);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return make_parents(u, path, err);
	return entry_error(u, err, errno, "open the parent directory");
}

/* Clears the way for BASE in PFD: an existing entry goes, unless both it
 * and the new entry are directories (docker merges those). Returns 1 when a
 * directory was kept, else 0. */
static int make_room(struct unpack *u, int pfd, const char *base, bool is_dir, berth_error_t *err)
{
	struct stat st;
	int r;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		/* docker's Untar goes on after any Lstat error: creating tells */
		if (errno == ENOENT || u->untar)
			return 0;
		return entry_error(u, err, errno, "stat");
	}
	if (S_ISDIR(st.st_mode) && is_dir)
		return 1;
	if (u->untar && u->untar->no_overwrite_dir_nondir && S_ISDIR(st.st_mode) != is_dir)
		return berth_make_error(err, EEXIST, "cannot overwrite %s \"%s\" with %s \"%s\"",
					is_dir ? "non-directory" : "directory", u->name,
					is_dir ? "directory" : "non-directory", u->dest_abs);
	r = S_ISDIR(st.st_mode) ? berth_fs_remove_at_raw(pfd, base) : unlinkat(pfd, base, 0);
	if (r < 0)
		return entry_error(u, err, errno, "remove the previous entry");
	return 0;
}

/* ---- metadata ----------------------------------------------------------- */

static char *node_proc_path(const struct node *n)
{
	return xasprintf("/proc/self/fd/%d/%s", n->pfd, n->base);
}

static int node_setxattr(const struct node *n, const char *name, const void *value, size_t size)
{
	cleanup_free char *path = NULL;

	if (n->fd >= 0)
		return fsetxattr(n->fd, name, value, size, 0);
	/* the magic link names the parent we hold; the last component is
	 * not followed, so this reaches symlinks themselves */
	path = node_proc_path(n);
	return lsetxattr(path, name, value, size, 0);
}

static bool skipped_xattr(const char *name)
{
	/* overlay's own attributes would turn a file into a whiteout or a
	 * redirect at mount time; user.overlay.* is their rootless form */
	return has_prefix(name, "trusted.overlay.") || has_prefix(name, "user.overlay.");
}

static int apply_xattr(struct unpack *u, const struct node *n, const char *name, const void *value,
		       size_t size, berth_error_t *err)
{
	char esc[NAME_ESC_LEN];
	int code;

	if (name == NULL || *name == '\0' || strlen(name) > XATTR_NAME_MAX)
		return berth_make_error(err, EINVAL, "entry `%s`: invalid xattr name", u->name);
	berth_log_escape(esc, sizeof(esc), name, strlen(name));
	if (size > u->opts.max_xattr)
		return berth_make_error(err, EINVAL,
					"entry `%s`: xattr `%s` is larger than %zu bytes", u->name,
					esc, u->opts.max_xattr);
	if (skipped_xattr(name)) {
		berth_log_debug("layer: entry `%s`: xattr `%s` skipped", u->name, esc);
		return 0;
	}
	if (node_setxattr(n, name, value, size) == 0)
		return 0;
	code = errno;
	/* as containerd: an attribute the filesystem cannot hold, or user.*
	 * on what is neither a file nor a directory, is skipped */
	if (code == ENOTSUP || (code == EPERM && has_prefix(name, "user.") && !n->reg_or_dir)) {
		berth_log_debug("layer: entry `%s`: xattr `%s` not supported here: %s", u->name,
				esc, strerror(code));
		return 0;
	}
	return berth_make_error(err, code, "entry `%s`: setxattr `%s`: %s", u->name, esc,
				strerror(code));
}

static int apply_xattrs(struct unpack *u, const struct node *n, berth_error_t *err)
{
	const char *name;
	const void *value;
	size_t size;
	int count = archive_entry_xattr_reset(u->entry), ret;

	if (count > BERTH_LAYER_MAX_XATTRS)
		return berth_make_error(err, EINVAL, "entry `%s`: more than %d xattrs", u->name,
					BERTH_LAYER_MAX_XATTRS);
	while (archive_entry_xattr_next(u->entry, &name, &value, &size) == ARCHIVE_OK) {
		ret = apply_xattr(u, n, name, value, size, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The entry's atime and mtime as docker sets them: atime is never before
 * mtime, and times before the epoch become the epoch. */
static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	int i;

	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e) && (archive_entry_atime(e) > ts[1].tv_sec ||
					      (archive_entry_atime(e) == ts[1].tv_sec &&
					       archive_entry_atime_nsec(e) > ts[1].tv_nsec))) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	}
	for (i = 0; i < 2; i++) {
		if (ts[i].tv_sec < 0)
			ts[i].tv_sec = 0;
		if (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999)
			ts[i].tv_nsec = 0;
	}
}

static int entry_owner(struct unpack *u, uid_t *uid, gid_t *gid, berth_error_t *err)
{
	int64_t o = archive_entry_uid(u->entry), g = archive_entry_gid(u->entry);

	if (u->untar && u->untar->chown) {
		*uid = u->untar->uid;
		*gid = u->untar->gid;
		return 0;
	}
	/* (uid_t)-1 would mean "leave it" to chown */
	if (o < 0 || o >= (int64_t)UINT32_MAX || g < 0 || g >= (int64_t)UINT32_MAX)
		return berth_make_error(err, EINVAL, "entry `%s`: invalid owner %lld:%lld", u->name,
					(long long)o, (long long)g);
	*uid = (uid_t)o;
	*gid = (gid_t)g;
	return 0;
}

static int node_chown(const struct node *n, uid_t uid, gid_t gid)
{
	if (n->fd >= 0)
		return fchown(n->fd, uid, gid);
	return fchownat(n->pfd, n->base, uid, gid, AT_SYMLINK_NOFOLLOW);
}

static int node_chmod(const struct node *n, mode_t mode)
{
	if (n->fd >= 0)
		return fchmod(n->fd, mode);
	if (n->symlink)
		return 0; /* symlinks have no mode of their own on Linux */
	return fchmodat(n->pfd, n->base, mode, AT_SYMLINK_NOFOLLOW);
}

static int node_utimens(const struct node *n, const struct timespec ts[2])
{
	if (n->fd >= 0)
		return futimens(n->fd, ts);
	return utimensat(n->pfd, n->base, ts, AT_SYMLINK_NOFOLLOW);
}

/* Owner, xattrs, mode and, unless directory times wait for the end, times
 * in docker's order: chown clears setuid bits and security.capability, so
 * the attributes and the mode come after it. */
static int apply_meta(struct unpack *u, const struct node *n, bool times, berth_error_t *err)
{
	struct timespec ts[2];
	uid_t uid;
	gid_t gid;
	int ret;

	ret = entry_owner(u, &uid, &gid, err);
	if (ret < 0)
		return ret;
	if (node_chown(n, uid, gid) < 0)
		return entry_error(u, err, errno, "chown");
	ret = apply_xattrs(u, n, err);
	if (ret < 0)
		return ret;
	if (node_chmod(n, archive_entry_perm(u->entry) & 07777) < 0)
		return entry_error(u, err, errno, "chmod");
	entry_times(u->entry, ts);
	if (times && node_utimens(n, ts) < 0)
		return entry_error(u, err, errno, "set times");
	return 0;
}

/* ---- entry types -------------------------------------------------------- */

static int write_all_at(int fd, const char *buf, size_t len, int64_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EIO, -1) : -1;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Copies the entry's data into FD; holes of sparse entries stay holes. */
static int write_data(struct unpack *u, int fd, berth_error_t *err)
{
	const void *buf;
	size_t len;
	la_int64_t off, end = 0, size = archive_entry_size(u->entry);
	int r;

	for (;;) {
		r = archive_read_data_block(u->tar, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return stream_error(u, u->tar, err);
		if (write_all_at(fd, buf, len, off) < 0)
			return entry_error(u, err, errno, "write");
		if (off + (la_int64_t)len > end)
			end = off + (la_int64_t)len;
	}
	if (size > end && ftruncate(fd, (off_t)size) < 0)
		return entry_error(u, err, errno, "truncate");
	return 0;
}

static int create_file(struct unpack *u, int pfd, const char *base, berth_error_t *err)
{
	cleanup_close int fd =
	    openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct node n = { .fd = fd, .pfd = pfd, .base = base, .reg_or_dir = true };
	int ret;

	if (fd < 0)
		return entry_error(u, err, errno, "create");
	ret = write_data(u, fd, err);
	if (ret < 0)
		return ret;
	return apply_meta(u, &n, true, err);
}

/* Keeps the directory's times for the end: entries created in it later
 * would change its mtime. */
static int record_dir(struct unpack *u, const char *parent, const char *base, berth_error_t *err)
{
	char *path = *parent ? xasprintf("%s/%s", parent, base) : xstrdup(base);
	struct dir_time *d;

	u->dir_bytes += strlen(path) + 1 + sizeof(*d);
	if (u->dir_bytes > BERTH_LAYER_MAX_DIR_BYTES) {
		free(path);
		return berth_make_error(err, EINVAL,
					"entry `%s`: too many directories in the layer", u->name);
	}
	if (u->ndirs == u->dirs_cap) {
		u->dirs_cap = u->dirs_cap ? u->dirs_cap * 2 : 64;
		u->dirs = xrealloc(u->dirs, u->dirs_cap * sizeof(*u->dirs));
	}
	d = &u->dirs[u->ndirs++];
	d->path = path;
	entry_times(u->entry, d->ts);
	return 0;
}

static int create_dir(struct unpack *u, int pfd, const char *parent, const char *base, bool kept,
		      berth_error_t *err)
{
	cleanup_close int fd = -1;
	struct node n = { .pfd = pfd, .base = base, .reg_or_dir = true };
	int ret;

	if (!kept && mkdirat(pfd, base, 0700) < 0)
		return entry_error(u, err, errno, "mkdir");
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return entry_error(u, err, errno, "open");
	n.fd = fd;
	ret = apply_meta(u, &n, false, err);
	if (ret < 0)
		return ret;
	return record_dir(u, parent, base, err);
}

static int check_link_name(struct unpack *u, const char *link, berth_error_t *err)
{
	if (link == NULL)
		return berth_make_error(err, EINVAL, "entry `%s`: link target cannot be read",
					u->name);
	if (strlen(link) >= u->opts.max_path)
		return berth_make_error(err, EINVAL,
					"entry `%s`: link target longer than %zu bytes", u->name,
					u->opts.max_path - 1);
	return 0;
}

/* docker's Untar refuses a symlink whose target, taken from the link's
 * directory, leads out of the extraction directory. Absolute targets are
 * joined too, so they always pass: they are resolved inside the container. */
static int untar_check_symlink(struct unpack *u, const char *target, berth_error_t *err)
{
	cleanup_free char *dir = xstrdup(u->abs), *joined = NULL;
	char esc[NAME_ESC_LEN];

	*strrchr(dir, '/') = '\0';
	joined = go_join(*dir ? dir : "/", target);
	if (path_within(u->dest_abs, joined))
		return 0;
	berth_log_escape(esc, sizeof(esc), target, strlen(target));
	return berth_make_error(err, EINVAL, "invalid symlink \"%s\" -> \"%s\"", u->name, esc);
}

static int create_symlink(struct unpack *u, int pfd, const char *base, berth_error_t *err)
{
	const char *target = archive_entry_symlink(u->entry);
	struct node n = { .fd = -1, .pfd = pfd, .base = base, .symlink = true };
	int ret = check_link_name(u, target, err);

	if (ret < 0)
		return ret;
	if (u->untar) {
		ret = untar_check_symlink(u, target, err);
		if (ret < 0)
			return ret;
	}
	/* kept as text, even absolute: it is resolved inside the container */
	if (symlinkat(target, pfd, base) < 0)
		return entry_error(u, err, errno, "symlink");
	return apply_meta(u, &n, true, err);
}

/* Docker's userns.RunningInUserNS: the uid map is not the identity. */
static bool in_user_namespace(void)
{
	static int cached = -1;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	cleanup_file FILE *f = NULL;
	long a = -1, b = -1, c = -1;

	if (v >= 0)
		return v;
	f = fopen("/proc/self/uid_map", "re");
	v = f && fscanf(f, "%ld %ld %ld", &a, &b, &c) == 3 &&
	    !(a == 0 && b == 0 && c == 4294967295L);
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

static int create_node(struct unpack *u, int pfd, const char *base, mode_t type, berth_error_t *err)
{
	struct node n = { .fd = -1, .pfd = pfd, .base = base };
	dev_t dev = 0;

	if (type != S_IFIFO)
		dev = makedev(archive_entry_rdevmajor(u->entry), archive_entry_rdevminor(u->entry));
	if (mknodat(pfd, base, type | 0600, dev) < 0) {
		if (errno == EPERM && type != S_IFIFO && in_user_namespace()) {
			/* as docker: no devices in a user namespace */
			berth_log_debug("layer: entry `%s`: device skipped in a user namespace",
					u->name);
			return 0;
		}
		return entry_error(u, err, errno, "mknod");
	}
	return apply_meta(u, &n, true, err);
}

/* docker's Untar: a hardlink target is a name in the extraction directory
 * and must stay in it. Returns it relative to the root, or NULL. */
static char *untar_link_target(struct unpack *u, const char *link, berth_error_t *err)
{
	cleanup_free char *joined = go_join(u->dest_abs, link);
	char shown[NAME_ESC_LEN], esc[NAME_ESC_LEN];

	if (path_within(u->dest_abs, joined) && strcmp(joined, "/") != 0)
		return xstrdup(joined + 1);
	berth_log_escape(shown, sizeof(shown), joined, strlen(joined));
	berth_log_escape(esc, sizeof(esc), link, strlen(link));
	berth_make_error(err, EINVAL, "invalid hardlink \"%s\" -> \"%s\"", shown, esc);
	return NULL;
}

/* A hardlink: its target must be a non-directory this layer created,
 * resolved inside the root; linkat does not follow a final symlink. */
static int create_hardlink(struct unpack *u, int pfd, const char *base, berth_error_t *err)
{
	const char *link = archive_entry_hardlink(u->entry), *tparent, *tbase;
	cleanup_free char *target = NULL;
	cleanup_close int tpfd = -1;
	struct node n = { .fd = -1, .pfd = pfd, .base = base };
	struct stat st;
	int ret = check_link_name(u, link, err);

	if (ret < 0)
		return ret;
	target = u->untar ? untar_link_target(u, link, err) : clean_path(link);
	if (u->untar && target == NULL)
		return -1;
	if (target == NULL || strcmp(target, ".") == 0)
		return berth_make_error(
		    err, EINVAL, "entry `%s`: hardlink target is outside the layer", u->name);
	tbase = split_path(target, &tparent);
	tpfd = resolve_dir(u, tparent);
	if (tpfd < 0 || fstatat(tpfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return entry_error(u, err, errno, "hardlink target");
		if (u->untar)
			return berth_make_error(err, ENOENT,
						"link /%s%s%s %s: no such file or directory",
						tparent, *tparent ? "/" : "", tbase, u->name);
		return berth_make_error(err, EINVAL, "entry `%s`: hardlink target not in the layer",
					u->name);
	}
	if (S_ISDIR(st.st_mode))
		return berth_make_error(err, EINVAL, "entry `%s`: hardlink to a directory",
					u->name);
	if (linkat(tpfd, tbase, pfd, base, 0) < 0)
		return entry_error(u, err, errno, "link");
	n.symlink = S_ISLNK(st.st_mode);
	n.reg_or_dir = S_ISREG(st.st_mode);
	return apply_meta(u, &n, true, err);
}

static int create_entry(struct unpack *u, int pfd, const char *parent, const char *base,
			berth_error_t *err)
{
	mode_t type = archive_entry_filetype(u->entry);
	bool hardlink = archive_entry_hardlink(u->entry) != NULL;
	int kept = make_room(u, pfd, base, !hardlink && type == AE_IFDIR, err);

	if (kept < 0)
		return kept;
	if (hardlink)
		return create_hardlink(u, pfd, base, err);
	switch (type) {
	case AE_IFREG:
		return create_file(u, pfd, base, err);
	case AE_IFDIR:
		return create_dir(u, pfd, parent, base, kept > 0, err);
	case AE_IFLNK:
		return create_symlink(u, pfd, base, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return create_node(u, pfd, base, type, err);
	default:
		return berth_make_error(err, EINVAL, "entry `%s`: unsupported type 0%o", u->name,
					(unsigned)type);
	}
}

/* ---- whiteouts ---------------------------------------------------------- */

/* `.wh..wh..opq`: the directory hides the lower layers' content. */
static int set_opaque(struct unpack *u, int pfd, berth_error_t *err)
{
	cleanup_close int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return entry_error(u, err, errno, "open the directory");
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return entry_error(u, err, errno, "set " OPAQUE_XATTR);
	return 0;
}

/* `.wh.NAME`: overlay's whiteout, a character device 0:0 named NAME owned
 * as the whiteout entry was. */
static int whiteout(struct unpack *u, int pfd, const char *name, berth_error_t *err)
{
	uid_t uid;
	gid_t gid;
	int ret;

	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return berth_make_error(err, EINVAL, "entry `%s`: invalid whiteout", u->name);
	ret = entry_owner(u, &uid, &gid, err);
	if (ret < 0)
		return ret;
	ret = make_room(u, pfd, name, false, err);
	if (ret < 0)
		return ret;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return entry_error(u, err, errno, "mknod whiteout");
	if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_error(u, err, errno, "chown whiteout");
	return 0;
}

/* ---- entries -------------------------------------------------------------- */

/* The layer root itself (containerd ignores it) and aufs metadata (docker
 * skips `.wh..wh.*` other than the opaque marker, and what is below them). */
static bool skip_entry(struct unpack *u, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (strcmp(path, ".") == 0 ||
	    (has_prefix(base, WH_META_PREFIX) && strcmp(base, WH_OPAQUE) != 0) ||
	    (has_prefix(path, WH_META_PREFIX) && strchr(path, '/'))) {
		berth_log_debug("layer: entry `%s` skipped", u->name);
		return true;
	}
	return false;
}

/* An entry of docker's Untar: RAW is a name in the extraction directory
 * (a leading `/` too), created through the root like any layer entry, so
 * that symlinks met on the way resolve inside the container. No whiteout
 * is special here. */
static int untar_entry(struct unpack *u, const char *raw, berth_error_t *err)
{
	cleanup_free char *path = go_clean(raw), *full = NULL;
	const char *rel = path, *parent, *base;
	cleanup_close int pfd = -1;

	if (strcmp(path, "..") == 0 || has_prefix(path, "../")) {
		berth_log_escape(u->name, sizeof(u->name), path, strlen(path));
		return berth_make_error(err, EINVAL, "\"%s\" is outside of \"%s\"", u->name,
					u->dest_abs);
	}
	while (*rel == '/')
		rel++;
	if (*rel == '\0' || strcmp(rel, ".") == 0)
		return 0; /* the extraction directory itself */
	full = *u->untar->dest ? xasprintf("%s/%s", u->untar->dest, rel) : xstrdup(rel);
	free(u->abs);
	u->abs = xasprintf("/%s", full);
	berth_log_escape(u->name, sizeof(u->name), u->abs, strlen(u->abs));
	base = split_path(full, &parent);
	pfd = open_parent(u, parent, err);
	if (pfd < 0)
		return pfd;
	return create_entry(u, pfd, parent, base, err);
}

static int apply_entry(struct unpack *u, berth_error_t *err)
{
	const char *raw = archive_entry_pathname(u->entry), *parent, *base;
	cleanup_free char *path = NULL;
	cleanup_close int pfd = -1;

	if (raw == NULL)
		return berth_make_error(err, EINVAL, "entry %lld: name cannot be read",
					(long long)u->entries);
	berth_log_escape(u->name, sizeof(u->name), raw, strlen(raw));
	if (strlen(raw) >= u->opts.max_path)
		return berth_make_error(err, EINVAL, "entry `%s`: name longer than %zu bytes",
					u->name, u->opts.max_path - 1);
	if (u->untar)
		return untar_entry(u, raw, err);
	path = clean_path(raw);
	if (path == NULL)
		return berth_make_error(err, EINVAL, "entry `%s`: path escapes the layer root",
					u->name);
	if (skip_entry(u, path))
		return 0;
	base = split_path(path, &parent);
	pfd = open_parent(u, parent, err);
	if (pfd < 0)
		return pfd;
	if (strcmp(base, WH_OPAQUE) == 0)
		return set_opaque(u, pfd, err);
	if (has_prefix(base, WH_PREFIX))
		return whiteout(u, pfd, base + strlen(WH_PREFIX), err);
	return create_entry(u, pfd, parent, base, err);
}

static int apply_entries(struct unpack *u, berth_error_t *err)
{
	int r, ret;

	for (;;) {
		r = archive_read_next_header(u->tar, &u->entry);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return stream_error(u, u->tar, err);
		if (r == ARCHIVE_WARN)
			berth_log_debug("layer: %s", archive_error_string(u->tar));
		if (++u->entries > u->opts.max_entries)
			return berth_make_error(err, EINVAL, "layer has more than %lld entries",
						(long long)u->opts.max_entries);
		ret = apply_entry(u, err);
		if (ret < 0)
			return ret;
	}
}

/* Sets the times of the directory D, unless it was removed or replaced. */
static int dir_times(struct unpack *u, struct dir_time *d, berth_error_t *err)
{
	const char *parent, *base;
	cleanup_close int pfd = -1;
	struct stat st;

	berth_log_escape(u->name, sizeof(u->name), d->path, strlen(d->path));
	base = split_path(d->path, &parent);
	pfd = resolve_dir(u, parent);
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (utimensat(pfd, base, d->ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_error(u, err, errno, "set times");
	return 0;
}

/* Directory times, now that nothing is created in them any more; in tar
 * order, so that a directory listed twice gets its last times, as docker's
 * loop over its `dirs` does. */
static int apply_dir_times(struct unpack *u, berth_error_t *err)
{
	size_t i;
	int ret;

	for (i = 0; i < u->ndirs; i++) {
		ret = dir_times(u, &u->dirs[i], err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- streams ------------------------------------------------------------ */

static ssize_t raw_read_cb(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t n;

	if (u->peeked) {
		/* the bytes read ahead to sniff the format come first */
		n = (ssize_t)u->peeked;
		u->peeked = 0;
		*buf = u->inbuf;
		return n;
	}
	do
		n = u->read(u->data, u->inbuf, READ_BUF_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0 || n > READ_BUF_SIZE) {
		u->read_errno = n < 0 && errno ? errno : EIO;
		archive_set_error(a, u->read_errno, "read: %s", strerror(u->read_errno));
		return -1;
	}
	u->compressed += n;
	*buf = u->inbuf;
	return n;
}

/* Reads more compressed input for gz. Returns 0 or -1. */
static int gz_fill(struct unpack *u)
{
	ssize_t n;

	do
		n = u->read(u->data, u->inbuf, READ_BUF_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0 || n > READ_BUF_SIZE) {
		u->read_errno = n < 0 && errno ? errno : EIO;
		return -1;
	}
	u->compressed += n;
	u->in_eof = n == 0;
	u->gz->next_in = (uint8_t *)u->inbuf;
	u->gz->avail_in = (uint32_t)n;
	return 0;
}

static const char *gz_message(int r)
{
	switch (r) {
	case ISAL_INCORRECT_CHECKSUM:
		return "gzip checksum mismatch";
	case ISAL_INVALID_WRAPPER:
	case ISAL_UNSUPPORTED_METHOD:
		return "invalid gzip header";
	default:
		return "invalid gzip data";
	}
}

/* gzip through ISA-L's inflate, several times faster than zlib's, which is
 * what a pull waits for most. Concatenated members are read as one stream,
 * as Go's gzip reader does; anything else after the last member is an
 * error. */
static ssize_t gz_next(struct unpack *u, const void **buf)
{
	for (;;) {
		int r;
		uint32_t produced;

		if (u->gz->block_state == ISAL_BLOCK_FINISH) {
			if (u->gz->avail_in == 0 && !u->in_eof && gz_fill(u) < 0)
				return -1;
			if (u->gz->avail_in == 0)
				return 0;
			if (u->gz->next_in[0] != 0x1f) {
				u->gz_error = "unexpected data after the gzip stream";
				return -1;
			}
			isal_inflate_reset(u->gz);
			u->gz->crc_flag = ISAL_GZIP;
		}
		if (u->gz->avail_in == 0 && !u->in_eof && gz_fill(u) < 0)
			return -1;
		u->gz->next_out = u->outbuf;
		u->gz->avail_out = READ_BUF_SIZE;
		r = isal_inflate(u->gz);
		if (r != ISAL_DECOMP_OK) {
			u->gz_error = gz_message(r);
			return -1;
		}
		produced = READ_BUF_SIZE - u->gz->avail_out;
		if (produced > 0) {
			*buf = u->outbuf;
			return (ssize_t)produced;
		}
		if (u->in_eof && u->gz->avail_in == 0 && u->gz->block_state != ISAL_BLOCK_FINISH) {
			u->gz_error = "truncated gzip stream";
			return -1;
		}
	}
}

/* The next block of decompressed bytes, hashed and counted. It stays valid
 * until raw is read again, which is all libarchive asks of a callback. */
static ssize_t raw_next(struct unpack *u, const void **buf)
{
	size_t len;
	la_int64_t off;
	int r;

	if (u->gz) {
		ssize_t n = gz_next(u, buf);
		if (n > 0 && u->hash)
			berth_sha256_update(u->hash, *buf, (size_t)n);
		if (n > 0)
			u->size += n;
		return n;
	}
	r = archive_read_data_block(u->raw, buf, &len, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if ((r != ARCHIVE_OK && r != ARCHIVE_WARN) || off != u->size)
		return -1;
	if (u->hash) /* NULL for an untar: no digest to compute */
		berth_sha256_update(u->hash, *buf, len);
	u->size += (int64_t)len;
	return (ssize_t)len;
}

static ssize_t tar_read_cb(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t n = raw_next(u, buf);
	const char *msg;

	if (n < 0) {
		u->raw_failed = true;
		msg = u->gz ? u->gz_error : archive_error_string(u->raw);
		archive_set_error(a, EIO, "%s", msg ? msg : "decompression failed");
	}
	return n;
}

/* Opens raw. Returns 1, 0 for an empty stream (docker takes it for an
 * empty layer), or -1. */
static int open_raw(struct unpack *u, berth_error_t *err)
{
	struct archive_entry *e;
	ssize_t n;

	/* sniff: gzip (almost every layer) goes to ISA-L */
	do
		n = u->read(u->data, u->inbuf, READ_BUF_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0 || n > READ_BUF_SIZE) {
		u->read_errno = n < 0 && errno ? errno : EIO;
		return stream_error(u, NULL, err);
	}
	u->compressed += n;
	if (n == 0)
		return 0;
	if (n >= 2 && (unsigned char)u->inbuf[0] == 0x1f && (unsigned char)u->inbuf[1] == 0x8b) {
		u->gz = xzalloc(sizeof(*u->gz));
		u->outbuf = xmalloc(READ_BUF_SIZE);
		isal_inflate_init(u->gz);
		u->gz->crc_flag = ISAL_GZIP;
		u->gz->next_in = (uint8_t *)u->inbuf;
		u->gz->avail_in = (uint32_t)n;
		return 1;
	}
	u->peeked = (size_t)n;
	u->raw = archive_read_new();
	/* No external programs: only what libarchive decodes itself. Note
	 * that its gzip reader does not check the CRC32 trailer (zstd, xz and
	 * bzip2 are checked): corruption inflate does not notice shows as a
	 * diff_id the caller finds different from the image config's. */
	archive_read_support_filter_gzip(u->raw);
	archive_read_support_filter_zstd(u->raw);
	archive_read_support_filter_bzip2(u->raw);
	archive_read_support_filter_xz(u->raw);
	archive_read_support_format_raw(u->raw);
	if (archive_read_open(u->raw, u, NULL, raw_read_cb, NULL) == ARCHIVE_OK &&
	    archive_read_next_header(u->raw, &e) >= ARCHIVE_WARN)
		return 1;
	if (u->compressed == 0 && u->read_errno == 0)
		return 0;
	return stream_error(u, u->raw, err);
}

static int open_tar(struct unpack *u, berth_error_t *err)
{
	u->tar = archive_read_new();
	/* ustar, pax and GNU tar; no filters: raw already decompressed */
	archive_read_support_format_tar(u->tar);
	if (archive_read_open(u->tar, u, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
		return stream_error(u, u->tar, err);
	return 0;
}

/* Hashes what follows the tar's end-of-archive marker: the diff_id covers
 * every decompressed byte, as docker's does. */
static int drain_raw(struct unpack *u, berth_error_t *err)
{
	const void *buf;
	ssize_t n;

	while ((n = raw_next(u, &buf)) > 0)
		;
	if (n < 0) {
		u->raw_failed = true;
		return stream_error(u, u->raw, err);
	}
	return 0;
}

static struct unpack *unpack_new(berth_layer_read_cb read, void *data, int dest_dirfd,
				 const struct berth_layer_options *opts)
{
	struct unpack *u = xzalloc(sizeof(*u));

	u->read = read;
	u->data = data;
	u->root = dest_dirfd;
	if (opts)
		u->opts = *opts;
	if (u->opts.max_entries <= 0)
		u->opts.max_entries = BERTH_LAYER_MAX_ENTRIES;
	if (u->opts.max_path == 0)
		u->opts.max_path = BERTH_LAYER_MAX_PATH;
	if (u->opts.max_xattr == 0)
		u->opts.max_xattr = BERTH_LAYER_MAX_XATTR;
	u->walk = u->opts.no_openat2 || __atomic_load_n(&openat2_missing, __ATOMIC_RELAXED);
	u->hash = berth_sha256_new();
	u->inbuf = xmalloc(READ_BUF_SIZE);
	return u;
}

static int unpack_stream(struct unpack *u, berth_error_t *err)
{
	int ret = open_raw(u, err);

	if (ret <= 0)
		return ret;
	ret = open_tar(u, err);
	if (ret < 0)
		return ret;
	ret = apply_entries(u, err);
	if (ret < 0)
		return ret;
	ret = drain_raw(u, err);
	if (ret < 0)
		return ret;
	return apply_dir_times(u, err);
}

int berth_layer_unpack_opts(berth_layer_read_cb read, void *data, int dest_dirfd,
			    const struct berth_layer_options *opts, struct berth_layer_stats *stats,
			    berth_error_t *err)
{
	cleanup_unpack struct unpack *u = NULL;
	int ret;

	if (berth_archive_dl_load(err) < 0 || berth_isal_dl_load(err) < 0)
		return -1;
	u = unpack_new(read, data, dest_dirfd, opts);
	ret = unpack_stream(u, err);

	if (ret < 0)
		return ret;
	if (stats) {
		stats->entries = u->entries;
		stats->size = u->size;
		berth_sha256_final(u->hash, stats->diff_id);
	}
	return 0;
}

char *berth_layer_go_clean(const char *path)
{
	return go_clean(path);
}

int berth_layer_open_dir_in_root(int root, const char *path)
{
	int fd;

	while (*path == '/')
		path++;
	if (*path == '\0')
		return fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (!__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED)) {
		fd = openat2_in_root(root, path);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd;
		__atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
	}
	return walk_in_root(root, path);
}

int berth_layer_untar(berth_layer_read_cb read, void *data, int root_dirfd,
		      const struct berth_untar_options *o, berth_error_t *err)
{
	cleanup_unpack struct unpack *u = NULL;

	if (berth_archive_dl_load(err) < 0 || berth_isal_dl_load(err) < 0)
		return -1;
	u = unpack_new(read, data, root_dirfd, NULL);
	u->untar = o;
	u->dest_abs = xasprintf("/%s", o->dest);
	berth_sha256_free(u->hash);
	u->hash = NULL;
	return unpack_stream(u, err);
}

int berth_layer_unpack(berth_layer_read_cb read, void *data, int dest_dirfd,
		       struct berth_layer_stats *stats, berth_error_t *err)
{
	return berth_layer_unpack_opts(read, data, dest_dirfd, NULL, stats, err);
}

int berth_layer_remove_tree(int dirfd, const char *name, berth_error_t *err)
{
	struct stat st;
	int r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			   ? 0
			   : berth_make_error(err, errno, "stat `%s`: %s", name, strerror(errno));
	r = S_ISDIR(st.st_mode) ? berth_fs_remove_at_raw(dirfd, name) : unlinkat(dirfd, name, 0);
	if (r < 0)
		return berth_make_error(err, errno, "remove `%s`: %s", name, strerror(errno));
	return 0;
}

static ssize_t fd_read(void *data, void *buf, size_t len)
{
	return read(*(int *)data, buf, len);
}

int berth_layer_unpack_fd(int fd, int dest_dirfd, struct berth_layer_stats *stats,
			  berth_error_t *err)
{
	return berth_layer_unpack(fd_read, &fd, dest_dirfd, stats, err);
}
