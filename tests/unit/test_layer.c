/* test_layer.c: layer unpacking. Every entry type, whiteouts, gzip / zstd /
 * plain, the diff_id, and hostile archives, each of which must leave
 * nothing outside the layer root: the root is TMP/root next to a sentinel
 * TMP/sentinel, and TMP must hold exactly those two afterwards. Path tests
 * run twice, with openat2 and with the O_NOFOLLOW walk that replaces it on
 * old kernels. Needs root (owners, devices, trusted.* xattrs). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/xalloc.h"
#include "image/layer.h"

/* host paths the hostile layers aim at; none may appear */
#define HOST_PWNED "/berth-layer-test-pwned"
#define PWNED_NAME "berth-layer-test-pwned"

#define T_DIR  1500000000
#define T_FILE 1400000000
#define T_LINK 1300000000
#define T_D2   1200000000

/* ---- building tars in memory ---------------------------------------------- */

struct buf {
	char *data;
	size_t len, cap;
};

static void buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static la_ssize_t buf_write_cb(struct archive *a, void *data, const void *p, size_t n)
{
	buf_append(data, p, n);
	return (la_ssize_t)n;
}

struct ent {
	const char *path;
	mode_t type; /* AE_IF*, AE_IFREG when 0 */
	mode_t perm; /* 0644 / 0755 when 0 */
	const char *data;
	const char *link;     /* symlink target */
	const char *hardlink; /* hardlink target */
	int64_t uid, gid;
	time_t mtime;
	unsigned maj, min;
	const char *xattr[2][2]; /* name, value */
};
#define E(...) (&(struct ent){ __VA_ARGS__ })

static struct archive *tar_begin(struct buf *out)
{
	struct archive *a = archive_write_new();

	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, out, NULL, buf_write_cb, NULL), ARCHIVE_OK);
	return a;
}

static void tar_add(struct archive *a, const struct ent *e)
{
	struct archive_entry *ae = archive_entry_new();
	mode_t type = e->type ? e->type : AE_IFREG;
	size_t size = e->data ? strlen(e->data) : 0;
	int i;

	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_filetype(ae, type);
	archive_entry_set_perm(ae, e->perm ? e->perm : (type == AE_IFDIR ? 0755 : 0644));
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, e->mtime ? e->mtime : 1000000000, 0);
	if (e->link)
		archive_entry_set_symlink(ae, e->link);
	if (e->hardlink)
		archive_entry_set_hardlink(ae, e->hardlink);
	if (type == AE_IFCHR || type == AE_IFBLK) {
		archive_entry_set_rdevmajor(ae, e->maj);
		archive_entry_set_rdevminor(ae, e->min);
	}
	for (i = 0; i < 2 && e->xattr[i][0]; i++)
		archive_entry_xattr_add_entry(ae, e->xattr[i][0], e->xattr[i][1],
					      strlen(e->xattr[i][1]));
	archive_entry_set_size(ae, (la_int64_t)size);
	assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
	if (size)
		assert_int_equal(archive_write_data(a, e->data, size), (la_ssize_t)size);
	archive_entry_free(ae);
}

static void tar_end(struct archive *a)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* A plain tar of the N entries. */
static struct buf make_tar(const struct ent *const *ents, size_t n)
{
	struct buf out = { 0 };
	struct archive *a = tar_begin(&out);
	size_t i;

	for (i = 0; i < n; i++)
		tar_add(a, ents[i]);
	tar_end(a);
	return out;
}
#define TAR(...)                                             \
	make_tar((const struct ent *const[]){ __VA_ARGS__ }, \
		 sizeof((const struct ent *const[]){ __VA_ARGS__ }) / sizeof(void *))

/* IN compressed with FILTER (ARCHIVE_FILTER_GZIP, _ZSTD), unpadded. */
static struct buf compress(const struct buf *in, int filter)
{
	struct buf out = { 0 };
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();

	assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open(a, &out, NULL, buf_write_cb, NULL), ARCHIVE_OK);
	archive_entry_set_pathname(ae, "layer");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)in->len);
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, in->data, in->len), (la_ssize_t)in->len);
	archive_entry_free(ae);
	tar_end(a);
	return out;
}

/* ---- reading ------------------------------------------------------------------ */

struct mem {
	const char *data;
	size_t len, off, chunk;
	size_t fail_at; /* fail with EPIPE once this many bytes were read (0: never) */
};

static ssize_t mem_read(void *p, void *buf, size_t len)
{
	struct mem *m = p;
	size_t n = m->len - m->off;

	if (m->fail_at && m->off >= m->fail_at) {
		errno = EPIPE;
		return -1;
	}
	if (n > len)
		n = len;
	if (n > m->chunk)
		n = m->chunk;
	if (n == 0)
		return 0;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

/* ---- fixture -------------------------------------------------------------- */

struct fx {
	bool skip;
	bool userns; /* root in a user namespace: few ids, no devices, no trusted.* */
	bool walk;
	char tmp[64];
	int rootfd;
	int64_t max_entries;
};

static bool mode_openat2 = false, mode_walk = true;

/* The uid map is not the identity (unshare -r, rootless). */
static bool in_userns(void)
{
	cleanup_file FILE *f = fopen("/proc/self/uid_map", "re");
	long a = -1, b = -1, c = -1;

	return f && fscanf(f, "%ld %ld %ld", &a, &b, &c) == 3 &&
	       !(a == 0 && b == 0 && c == 4294967295L);
}

static int setup(void **state)
{
	struct fx *f = xzalloc(sizeof(*f));
	char path[128];
	int fd;

	f->walk = *state ? *(const bool *)*state : false;
	f->rootfd = -1;
	*state = f;
	if (geteuid() != 0) {
		f->skip = true;
		return 0;
	}
	f->userns = in_userns();
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/berth-test-layer-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(path, sizeof(path), "%s/root", f->tmp);
	assert_int_equal(mkdir(path, 0755), 0);
	f->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);
	snprintf(path, sizeof(path), "%s/sentinel", f->tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep\n", 5), 5);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	berth_error_t err = NULL;

	if (f->rootfd >= 0)
		close(f->rootfd);
	if (f->tmp[0] && berth_layer_remove_tree(AT_FDCWD, f->tmp, &err) < 0) {
		fprintf(stderr, "# teardown: %s\n", err->msg);
		berth_error_release(&err);
	}
	free(f);
	return 0;
}

static struct fx *fixture(void **state)
{
	struct fx *f = *state;

	if (f->skip) {
		fprintf(stderr, "# skip: unpacking a layer needs root (owners, devices, "
				"trusted.* xattrs)\n");
		skip();
	}
	return f;
}

/* For layers with other owners, devices and whiteouts' trusted.* xattrs. */
static struct fx *fixture_real_root(void **state)
{
	struct fx *f = fixture(state);

	if (f->userns) {
		fprintf(stderr, "# skip: needs root in the initial user namespace (other "
				"owners, devices, trusted.* xattrs)\n");
		skip();
	}
	return f;
}

static int unpack(struct fx *f, const struct buf *b, size_t chunk, struct berth_layer_stats *st,
		  berth_error_t *err)
{
	struct mem m = { b->data, b->len, 0, chunk, 0 };
	struct berth_layer_options o = { .max_entries = f->max_entries, .no_openat2 = f->walk };

	return berth_layer_unpack_opts(mem_read, &m, f->rootfd, &o, st, err);
}

static void unpack_ok(struct fx *f, const struct buf *b)
{
	berth_error_t err = NULL;
	struct berth_layer_stats st;

	if (unpack(f, b, 4093, &st, &err) < 0)
		fail_msg("unpack: %s", err->msg);
}

/* Unpacks B and expects errno CODE with WHAT in the message. */
static void unpack_fails(struct fx *f, const struct buf *b, int code, const char *what)
{
	berth_error_t err = NULL;
	struct berth_layer_stats st;

	assert_true(unpack(f, b, 4093, &st, &err) < 0);
	assert_non_null(err);
	if (err->code != code || strstr(err->msg, what) == NULL)
		fail_msg("got errno %d `%s`, want %d with `%s`", err->code, err->msg, code, what);
	berth_error_release(&err);
}

/* Nothing but root/ and an intact sentinel in TMP, nothing on the host. */
static void assert_nothing_outside(struct fx *f)
{
	cleanup_dir DIR *d = opendir(f->tmp);
	struct dirent *de;
	char path[128], buf[16] = { 0 };
	struct stat st;
	int fd, n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, "root") != 0 && strcmp(de->d_name, "sentinel") != 0)
			fail_msg("`%s` appeared outside the layer root", de->d_name);
		n++;
	}
	assert_int_equal(n, 2);
	snprintf(path, sizeof(path), "%s/sentinel", f->tmp);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_nlink, 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 5);
	close(fd);
	assert_string_equal(buf, "keep\n");
	assert_int_equal(access(HOST_PWNED, F_OK), -1);
	assert_int_equal(access("/etc/" PWNED_NAME, F_OK), -1);
}

static void st_at(struct fx *f, const char *path, struct stat *st)
{
	if (fstatat(f->rootfd, path, st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("stat `%s`: %s", path, strerror(errno));
}

static bool exists_at(struct fx *f, const char *path)
{
	struct stat st;

	return fstatat(f->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_content(struct fx *f, const char *path, const char *want)
{
	char buf[256] = { 0 };
	int fd = openat(f->rootfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		fail_msg("open `%s`: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_string_equal(buf, want);
}

static void assert_meta(struct fx *f, const char *path, mode_t type, mode_t perm, uid_t uid,
			gid_t gid, time_t mtime)
{
	struct stat st;

	st_at(f, path, &st);
	if ((st.st_mode & S_IFMT) != type || (st.st_mode & 07777) != perm)
		fail_msg("`%s`: mode 0%o, want 0%o", path, (unsigned)st.st_mode,
			 (unsigned)(type | perm));
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	if (mtime)
		assert_int_equal(st.st_mtim.tv_sec, mtime);
}

static void assert_link(struct fx *f, const char *path, const char *target)
{
	char buf[256] = { 0 };

	assert_int_equal(readlinkat(f->rootfd, path, buf, sizeof(buf) - 1),
			 (ssize_t)strlen(target));
	assert_string_equal(buf, target);
}

/* The xattr NAME of PATH (not following symlinks), or NULL with errno. */
static char *xattr_at(struct fx *f, const char *path, const char *name)
{
	char proc[96], buf[256] = { 0 };

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", f->rootfd, path);
	if (lgetxattr(proc, name, buf, sizeof(buf) - 1) < 0)
		return NULL;
	return xstrdup(buf);
}

static void assert_xattr(struct fx *f, const char *path, const char *name, const char *want)
{
	cleanup_free char *v = xattr_at(f, path, name);

	if (want == NULL) {
		if (v)
			fail_msg("`%s`: xattr `%s` set to `%s`", path, name, v);
		assert_int_equal(errno, ENODATA);
		return;
	}
	if (v == NULL)
		fail_msg("`%s`: xattr `%s`: %s", path, name, strerror(errno));
	assert_string_equal(v, want);
}

/* Root-owned files and directories only: unpacks in a user namespace. */
static struct buf simple_tar(void)
{
	return TAR(E("usr", AE_IFDIR), E("usr/bin", AE_IFDIR, 0700),
		   E("usr/bin/tool", .perm = 0755, .data = "#!/bin/sh\necho tool\n"),
		   E("usr/share/doc/README", .data = "read me, then read me again\n"),
		   E("usr/share/doc/NEWS", .data = "nothing new under the sun\n"),
		   E("usr/lib/lib.so", AE_IFLNK, .link = "lib.so.1"),
		   E("usr/lib/lib.so.1", .data = "\177ELF not really\n"));
}

/* ---- a layer with every kind of entry ----------------------------------------- */

static struct buf rich_tar(void)
{
	return TAR(
	    E("./", AE_IFDIR), E("etc", AE_IFDIR, 0750, .mtime = T_DIR),
	    E("etc/hosts", .perm = 0640, .data = "127.0.0.1 localhost\n", .uid = 1000, .gid = 1001,
	      .mtime = T_FILE),
	    E("etc/hosts.link", .hardlink = "etc/hosts", .perm = 0640, .uid = 1000, .gid = 1001,
	      .mtime = T_FILE),
	    E("bin/su", .perm = 04755, .data = "#!su\n"),
	    E("bin/sg", .perm = 02711, .data = "#!sg\n"), E("tmp", AE_IFDIR, 01777),
	    E("lib/abs", AE_IFLNK, 0777, .link = "/etc/hosts", .uid = 5, .gid = 6, .mtime = T_LINK),
	    E("lib/rel", AE_IFLNK, 0777, .link = "../etc/hosts"),
	    E("dev/null", AE_IFCHR, 0666, .maj = 1, .min = 3),
	    E("dev/sda", AE_IFBLK, 0660, .maj = 8, .min = 0, .gid = 6),
	    E("run/fifo", AE_IFIFO, 0600),
	    E("x", AE_IFDIR, .xattr = { { "user.foo", "bar" }, { "trusted.overlay.opaque", "y" } }),
	    E("etc/motd", .data = "hi\n", .xattr = { { "user.k", "v" } }), E("a", AE_IFDIR),
	    E("a/b", .data = "shadowed\n"), E("a/.wh.b"), E("a/.wh.c", .uid = 7, .gid = 8),
	    E("o", AE_IFDIR), E("o/.wh..wh..opq"), E("replaced", .data = "one\n"),
	    E("replaced", .perm = 0600, .data = "two\n"), E("d2", AE_IFDIR, .mtime = T_D2),
	    E("d2/child", .data = "c\n"), E(".wh..wh.plnk", AE_IFDIR),
	    E(".wh..wh.plnk/123.456", .data = "aufs\n"));
}
#define RICH_ENTRIES 26

static void assert_rich(struct fx *f)
{
	struct stat a, b;

	assert_false(exists_at(f, "./.wh..wh.plnk"));
	assert_meta(f, "etc", S_IFDIR, 0750, 0, 0, T_DIR);
	assert_meta(f, "etc/hosts", S_IFREG, 0640, 1000, 1001, T_FILE);
	assert_content(f, "etc/hosts", "127.0.0.1 localhost\n");
	st_at(f, "etc/hosts", &a);
	st_at(f, "etc/hosts.link", &b);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 2);
	assert_meta(f, "bin", S_IFDIR, 0755, 0, 0, 0); /* implied */
	assert_meta(f, "bin/su", S_IFREG, 04755, 0, 0, 1000000000);
	assert_meta(f, "bin/sg", S_IFREG, 02711, 0, 0, 0);
	assert_meta(f, "tmp", S_IFDIR, 01777, 0, 0, 0);
	assert_meta(f, "lib/abs", S_IFLNK, 0777, 5, 6, T_LINK);
	assert_link(f, "lib/abs", "/etc/hosts");
	assert_link(f, "lib/rel", "../etc/hosts");
	assert_meta(f, "dev/null", S_IFCHR, 0666, 0, 0, 0);
	st_at(f, "dev/null", &a);
	assert_true(a.st_rdev == makedev(1, 3));
	assert_meta(f, "dev/sda", S_IFBLK, 0660, 0, 6, 0);
	st_at(f, "dev/sda", &a);
	assert_true(a.st_rdev == makedev(8, 0));
	assert_meta(f, "run/fifo", S_IFIFO, 0600, 0, 0, 0);
	assert_xattr(f, "x", "user.foo", "bar");
	assert_xattr(f, "x", "trusted.overlay.opaque", NULL);
	assert_xattr(f, "etc/motd", "user.k", "v");
	/* whiteouts: character devices 0:0, owned as the whiteout entry */
	assert_meta(f, "a/b", S_IFCHR, 0, 0, 0, 0);
	st_at(f, "a/b", &a);
	assert_true(a.st_rdev == makedev(0, 0));
	assert_meta(f, "a/c", S_IFCHR, 0, 7, 8, 0);
	assert_false(exists_at(f, "a/.wh.b"));
	assert_xattr(f, "o", "trusted.overlay.opaque", "y");
	assert_false(exists_at(f, "o/.wh..wh..opq"));
	assert_xattr(f, "a", "trusted.overlay.opaque", NULL);
	assert_meta(f, "replaced", S_IFREG, 0600, 0, 0, 0);
	assert_content(f, "replaced", "two\n");
	assert_meta(f, "d2", S_IFDIR, 0755, 0, 0, T_D2);
	assert_content(f, "d2/child", "c\n");
}

static void rich(void **state, int filter, size_t chunk)
{
	struct fx *f = fixture_real_root(state);
	struct buf tar = rich_tar(), in = tar;
	struct berth_layer_stats st;
	berth_error_t err = NULL;
	char want[BERTH_DIGEST_LEN + 1];

	if (filter != ARCHIVE_FILTER_NONE)
		in = compress(&tar, filter);
	if (unpack(f, &in, chunk, &st, &err) < 0)
		fail_msg("unpack: %s", err->msg);
	berth_sha256_digest(tar.data, tar.len, want);
	assert_string_equal(st.diff_id, want);
	assert_int_equal(st.size, tar.len);
	assert_int_equal(st.entries, RICH_ENTRIES);
	assert_rich(f);
	assert_nothing_outside(f);
	if (in.data != tar.data)
		free(in.data);
	free(tar.data);
}

static void test_rich_plain(void **state)
{
	rich(state, ARCHIVE_FILTER_NONE, 4093);
}

static void test_rich_gzip(void **state)
{
	rich(state, ARCHIVE_FILTER_GZIP, 1);
}

static void test_rich_zstd(void **state)
{
	rich(state, ARCHIVE_FILTER_ZSTD, 65536);
}

static void test_unpack_fd(void **state)
{
	struct fx *f = fixture_real_root(state);
	struct buf tar = rich_tar(), gz = compress(&tar, ARCHIVE_FILTER_GZIP);
	char path[128], want[BERTH_DIGEST_LEN + 1];
	struct berth_layer_stats st;
	berth_error_t err = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/root/layer.tar.gz", f->tmp);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, gz.data, gz.len), (ssize_t)gz.len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	unlink(path);
	if (berth_layer_unpack_fd(fd, f->rootfd, &st, &err) < 0)
		fail_msg("unpack: %s", err->msg);
	close(fd);
	berth_sha256_digest(tar.data, tar.len, want);
	assert_string_equal(st.diff_id, want);
	assert_rich(f);
	free(gz.data);
	free(tar.data);
}

/* docker hashes the whole decompressed stream, padding after the tar's
 * end-of-archive marker included */
static void test_trailing_data(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = TAR(E("f", .data = "x\n"));
	struct buf gz;
	struct berth_layer_stats st;
	berth_error_t err = NULL;
	char want[BERTH_DIGEST_LEN + 1];
	static const char junk[70000];

	buf_append(&tar, junk, sizeof(junk));
	buf_append(&tar, "trailing", 8);
	gz = compress(&tar, ARCHIVE_FILTER_GZIP);
	if (unpack(f, &gz, 4093, &st, &err) < 0)
		fail_msg("unpack: %s", err->msg);
	berth_sha256_digest(tar.data, tar.len, want);
	assert_string_equal(st.diff_id, want);
	assert_int_equal(st.size, tar.len);
	assert_int_equal(st.entries, 1);
	assert_content(f, "f", "x\n");
	free(gz.data);
	free(tar.data);
}

/* docker reads an empty blob as an empty layer */
static void test_empty_stream(void **state)
{
	struct fx *f = fixture(state);
	struct buf empty = { 0 };
	struct berth_layer_stats st;
	berth_error_t err = NULL;
	char want[BERTH_DIGEST_LEN + 1];

	assert_int_equal(unpack(f, &empty, 4093, &st, &err), 0);
	berth_sha256_digest("", 0, want);
	assert_string_equal(st.diff_id, want);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.size, 0);
}

static void test_read_error(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = simple_tar();
	struct mem m = { tar.data, tar.len, 0, 1000, 3000 };
	struct berth_layer_stats st;
	berth_error_t err = NULL;

	assert_true(berth_layer_unpack(mem_read, &m, f->rootfd, &st, &err) < 0);
	assert_int_equal(err->code, EPIPE);
	assert_non_null(strstr(err->msg, "read layer"));
	berth_error_release(&err);
	free(tar.data);
}

/* a directory, then a file of the same name, and the reverse; two
 * directories of one name merge and take the later metadata */
static void test_replace(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar =
	    TAR(E("e", AE_IFDIR), E("e/inner/deeper", .data = "1"), E("e", .data = "now a file\n"),
		E("g", .data = "file"), E("g", AE_IFDIR, 0700), E("h", AE_IFDIR, 0700),
		E("h/k", .data = "k\n"), E("h", AE_IFDIR, 0751, .mtime = T_DIR),
		E("s", AE_IFLNK, .link = "h"), E("s", AE_IFDIR, 0755));

	unpack_ok(f, &tar);
	assert_meta(f, "e", S_IFREG, 0644, 0, 0, 0);
	assert_content(f, "e", "now a file\n");
	assert_meta(f, "g", S_IFDIR, 0700, 0, 0, 0);
	assert_meta(f, "h", S_IFDIR, 0751, 0, 0, T_DIR);
	assert_content(f, "h/k", "k\n");
	assert_meta(f, "s", S_IFDIR, 0755, 0, 0, 0);
	assert_false(exists_at(f, "s/k"));
	free(tar.data);
}

/* C/C/.../f, DEPTH directories deep */
static void deep_path(char *path, char c, size_t depth)
{
	size_t i, o = 0;

	for (i = 0; i < depth; i++) {
		path[o++] = c;
		path[o++] = '/';
	}
	memcpy(path + o, "f", 2);
}

/* removing a directory deeper than any recursion limit */
static void test_replace_deep_dir(void **state)
{
	struct fx *f = fixture(state);
	char path[2048];
	struct buf tar;

	deep_path(path, 'a', 600);
	tar = TAR(E(path, .data = "deep\n"), E("a", .data = "flat\n"));
	unpack_ok(f, &tar);
	assert_content(f, "a", "flat\n");
	free(tar.data);
	/* left for the teardown's berth_layer_remove_tree */
	deep_path(path, 'b', 600);
	tar = TAR(E(path, .data = "deep\n"));
	unpack_ok(f, &tar);
	free(tar.data);
}

/* a wide directory replaced by a file: each directory is read once */
static void test_replace_wide_dir(void **state)
{
	struct fx *f = fixture(state);
	struct buf out = { 0 };
	struct archive *a = tar_begin(&out);
	char path[64];
	int i;

	for (i = 0; i < 3000; i++) {
		snprintf(path, sizeof(path), "w/%d/f", i);
		tar_add(a, E(path, .data = "x"));
	}
	tar_add(a, E("w", AE_IFLNK, .link = "elsewhere"));
	tar_end(a);
	unpack_ok(f, &out);
	assert_link(f, "w", "elsewhere");
	free(out.data);
}

/* ---- hostile layers --------------------------------------------------------------- */

static void test_dotdot(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = TAR(E("../escape", .data = "x"));

	unpack_fails(f, &tar, EINVAL, "entry `../escape`: path escapes the layer root");
	assert_nothing_outside(f);
	free(tar.data);
}

static void test_dotdot_nested(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = TAR(E("a", AE_IFDIR), E("a/../../escape", .data = "x"));

	unpack_fails(f, &tar, EINVAL, "entry `a/../../escape`: path escapes the layer root");
	assert_nothing_outside(f);
	free(tar.data);
}

/* docker strips the leading slash; `..` stops at it, as in filepath.Clean */
static void test_absolute(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = TAR(E("/etc/" PWNED_NAME, .data = "in\n"),
			     E("/../../rooted", .data = "r\n"), E("//./d//e/./f/", AE_IFDIR));

	unpack_ok(f, &tar);
	assert_content(f, "etc/" PWNED_NAME, "in\n");
	assert_content(f, "rooted", "r\n");
	assert_meta(f, "d/e/f", S_IFDIR, 0755, 0, 0, 0);
	assert_nothing_outside(f);
	free(tar.data);
}

/* a symlink to / followed by a file written through it lands in the root */
static void test_symlink_root(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar =
	    TAR(E("evil", AE_IFLNK, .link = "/"), E("evil/" PWNED_NAME, .data = "pwned\n"),
		E("evil/etc/" PWNED_NAME, .data = "pwned\n"));

	unpack_ok(f, &tar);
	assert_content(f, PWNED_NAME, "pwned\n");
	assert_content(f, "etc/" PWNED_NAME, "pwned\n");
	assert_link(f, "evil", "/");
	assert_nothing_outside(f);
	free(tar.data);
}

static void test_symlink_dotdot(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar =
	    TAR(E("evil", AE_IFLNK, .link = "../../.."), E("evil/" PWNED_NAME, .data = "pwned\n"),
		E("up", AE_IFLNK, .link = ".."), E("up/sentinel", .data = "overwritten\n"));

	unpack_ok(f, &tar);
	assert_content(f, PWNED_NAME, "pwned\n");
	assert_content(f, "sentinel", "overwritten\n");
	assert_nothing_outside(f);
	free(tar.data);
}

/* links to links: d/up -> ../.., chain -> d/up, deep -> chain/chain/...;
 * whatever the chain, resolution stays in the root */
static void test_symlink_chain(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar =
	    TAR(E("d", AE_IFDIR), E("d/up", AE_IFLNK, .link = "../.."),
		E("chain", AE_IFLNK, .link = "d/up"),
		E("abs", AE_IFLNK, .link = "/chain/../../d/up/.."), E("chain/x", .data = "x\n"),
		E("abs/chain/abs/y", .data = "y\n"), E("loop1", AE_IFLNK, .link = "loop2"),
		E("loop2", AE_IFLNK, .link = "loop1"));
	struct buf loop = TAR(E("loop1/z", .data = "z\n"));

	unpack_ok(f, &tar);
	assert_content(f, "x", "x\n");
	assert_content(f, "y", "y\n");
	unpack_fails(f, &loop, EINVAL, "entry `loop1/z`");
	assert_nothing_outside(f);
	free(tar.data);
	free(loop.data);
}

/* an entry never writes through a symlink in its final component */
static void test_symlink_final_component(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = TAR(E("s", AE_IFLNK, .link = "../sentinel"), E("s", .data = "new\n"),
			     E("t", AE_IFLNK, .link = "../sentinel"), E("t", AE_IFDIR),
			     E("u", AE_IFLNK, .link = "../sentinel"), E(".wh.u"),
			     E("v", AE_IFLNK, .link = "/"), E("v", AE_IFLNK, .link = "x"));

	unpack_ok(f, &tar);
	assert_meta(f, "s", S_IFREG, 0644, 0, 0, 0);
	assert_content(f, "s", "new\n");
	assert_meta(f, "t", S_IFDIR, 0755, 0, 0, 0);
	assert_meta(f, "u", S_IFCHR, 0, 0, 0, 0);
	assert_link(f, "v", "x");
	assert_nothing_outside(f);
	free(tar.data);
}

static void test_hardlink_outside(void **state)
{
	struct fx *f = fixture(state);
	struct buf t1 = TAR(E("h", .hardlink = "../sentinel"));
	struct buf t2 = TAR(E("h", .hardlink = "../../outside"));
	struct buf t3 = TAR(E("d", AE_IFDIR), E("h", .hardlink = "d/../../sentinel"));

	unpack_fails(f, &t1, EINVAL, "entry `h`: hardlink target is outside the layer");
	unpack_fails(f, &t2, EINVAL, "entry `h`: hardlink target is outside the layer");
	unpack_fails(f, &t3, EINVAL, "entry `h`: hardlink target is outside the layer");
	assert_false(exists_at(f, "h"));
	assert_nothing_outside(f);
	free(t1.data);
	free(t2.data);
	free(t3.data);
}

/* hardlinks to host files, directly or through symlinks, never link them */
static void test_hardlink_host_file(void **state)
{
	struct fx *f = fixture(state);
	struct buf t1 = TAR(E("p", .hardlink = "/etc/passwd"));
	struct buf t2 =
	    TAR(E("evil", AE_IFLNK, .link = "/"), E("p", .hardlink = "evil/etc/passwd"));
	struct buf t3 = TAR(E("up", AE_IFLNK, .link = "../.."), E("p", .hardlink = "up/sentinel"));
	struct buf t4 = TAR(E("s", AE_IFLNK, .link = "../sentinel"), E("h", .hardlink = "s"));
	struct stat before, after, st;

	assert_int_equal(stat("/etc/passwd", &before), 0);
	unpack_fails(f, &t1, EINVAL, "entry `p`: hardlink target not in the layer");
	unpack_fails(f, &t2, EINVAL, "entry `p`: hardlink target not in the layer");
	unpack_fails(f, &t3, EINVAL, "entry `p`: hardlink target not in the layer");
	assert_false(exists_at(f, "p"));
	/* a hardlink to a symlink links the symlink itself */
	unpack_ok(f, &t4);
	st_at(f, "h", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_nlink, 2);
	assert_link(f, "h", "../sentinel");
	assert_int_equal(stat("/etc/passwd", &after), 0);
	assert_int_equal(after.st_nlink, before.st_nlink);
	assert_nothing_outside(f);
	free(t1.data);
	free(t2.data);
	free(t3.data);
	free(t4.data);
}

static void test_hardlink_bad_target(void **state)
{
	struct fx *f = fixture(state);
	struct buf t1 = TAR(E("dd", AE_IFDIR), E("hl", .hardlink = "dd"));
	struct buf t2 = TAR(E("hl", .hardlink = "missing"));
	struct buf t3 = TAR(E("hl", .hardlink = "/"));

	unpack_fails(f, &t1, EINVAL, "entry `hl`: hardlink to a directory");
	unpack_fails(f, &t2, EINVAL, "entry `hl`: hardlink target not in the layer");
	unpack_fails(f, &t3, EINVAL, "entry `hl`: hardlink target is outside the layer");
	assert_nothing_outside(f);
	free(t1.data);
	free(t2.data);
	free(t3.data);
}

static void test_bad_parents(void **state)
{
	struct fx *f = fixture(state);
	struct buf t1 = TAR(E("dl", AE_IFLNK, .link = "missing/dir"), E("dl/f", .data = "x"));
	struct buf t2 = TAR(E("fp", .data = "file"), E("fp/x", .data = "x"));
	struct buf t3 = TAR(E("a/.wh..", .data = ""));
	struct buf t4 = TAR(E("a/.wh.", .data = ""));

	unpack_fails(f, &t1, EINVAL, "entry `dl/f`: parent is a dangling symlink");
	unpack_fails(f, &t2, EINVAL, "entry `fp/x`");
	unpack_fails(f, &t3, EINVAL, "entry `a/.wh..`: invalid whiteout");
	unpack_fails(f, &t4, EINVAL, "entry `a/.wh.`: invalid whiteout");
	assert_false(exists_at(f, "missing"));
	assert_nothing_outside(f);
	free(t1.data);
	free(t2.data);
	free(t3.data);
	free(t4.data);
}

/* ---- corrupt streams and limits ------------------------------------------------------- */

static void corrupt(void **state, int filter)
{
	struct fx *f = fixture(state);
	struct buf tar = simple_tar(), z = compress(&tar, filter);
	struct buf cut = { z.data, z.len / 2, 0 };

	unpack_fails(f, &cut, EIO, "corrupt or truncated layer");
	memset(z.data + z.len / 3, 0x5a, 16);
	unpack_fails(f, &z, EIO, "corrupt or truncated layer");
	assert_nothing_outside(f);
	free(z.data);
	free(tar.data);
}

static void test_corrupt_gzip(void **state)
{
	corrupt(state, ARCHIVE_FILTER_GZIP);
}

static void test_corrupt_zstd(void **state)
{
	corrupt(state, ARCHIVE_FILTER_ZSTD);
}

static void test_truncated_tar(void **state)
{
	struct fx *f = fixture(state);
	char data[5000];
	struct buf tar;

	memset(data, 'd', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	tar = TAR(E("big", .data = data));
	tar.len = 512 + 2000; /* header, then part of the data */
	unpack_fails(f, &tar, EIO, "corrupt or truncated layer");
	free(tar.data);
}

static void test_garbage(void **state)
{
	struct fx *f = fixture(state);
	char text[] = "this is not a layer, not even close to one";
	struct buf junk = { text, sizeof(text) - 1, 0 };
	struct buf tar = rich_tar();

	unpack_fails(f, &junk, EIO, "corrupt or truncated layer");
	/* a damaged header checksum */
	tar.data[100] ^= 0x11;
	unpack_fails(f, &tar, EIO, "corrupt or truncated layer");
	free(tar.data);
}

static void test_long_names(void **state)
{
	struct fx *f = fixture(state);
	char *name = xmalloc(BERTH_LAYER_MAX_PATH + 10);
	struct buf t1, t2;

	memset(name, 'n', BERTH_LAYER_MAX_PATH + 9);
	name[BERTH_LAYER_MAX_PATH + 9] = '\0';
	t1 = TAR(E(name, .data = "x"));
	t2 = TAR(E("l", AE_IFLNK, .link = name));
	unpack_fails(f, &t1, EINVAL, "name longer than 4095 bytes");
	unpack_fails(f, &t2, EINVAL, "entry `l`: link target longer than 4095 bytes");
	assert_false(exists_at(f, "l"));
	free(name);
	free(t1.data);
	free(t2.data);
}

static void test_too_many_entries(void **state)
{
	struct fx *f = fixture(state);
	struct buf tar = TAR(E("1"), E("2"), E("3"), E("4"), E("5"), E("6"));

	f->max_entries = 5;
	unpack_fails(f, &tar, EINVAL, "layer has more than 5 entries");
	f->max_entries = 6;
	unpack_ok(f, &tar);
	free(tar.data);
}

static void test_xattr_limits(void **state)
{
	struct fx *f = fixture(state);
	char *big = xmalloc(BERTH_LAYER_MAX_XATTR + 2);
	struct buf t1, t2;

	memset(big, 'v', BERTH_LAYER_MAX_XATTR + 1);
	big[BERTH_LAYER_MAX_XATTR + 1] = '\0';
	t1 = TAR(E("f", .data = "x", .xattr = { { "user.big", big } }));
	/* the rootless spelling of overlay's attributes is not applied either,
	 * nor user.* on a symlink, which the kernel refuses */
	t2 = TAR(E("g", .data = "x", .xattr = { { "user.overlay.opaque", "y" } }),
		 E("l", AE_IFLNK, .link = "g", .xattr = { { "user.k", "v" } }));
	unpack_fails(f, &t1, EINVAL, "entry `f`: xattr `user.big` is larger than 65536 bytes");
	unpack_ok(f, &t2);
	assert_xattr(f, "g", "user.overlay.opaque", NULL);
	free(big);
	free(t1.data);
	free(t2.data);
}

#define BOTH(f)                                              \
	{ #f, f, setup, teardown, &mode_openat2 },           \
	{                                                    \
#f " (walk)", f, setup, teardown, &mode_walk \
	}
#define ONE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_rich_plain),
		ONE(test_rich_gzip),
		ONE(test_rich_zstd),
		ONE(test_unpack_fd),
		ONE(test_trailing_data),
		ONE(test_empty_stream),
		ONE(test_read_error),
		BOTH(test_replace),
		BOTH(test_replace_deep_dir),
		ONE(test_replace_wide_dir),
		BOTH(test_dotdot),
		BOTH(test_dotdot_nested),
		BOTH(test_absolute),
		BOTH(test_symlink_root),
		BOTH(test_symlink_dotdot),
		BOTH(test_symlink_chain),
		BOTH(test_symlink_final_component),
		BOTH(test_hardlink_outside),
		BOTH(test_hardlink_host_file),
		BOTH(test_hardlink_bad_target),
		BOTH(test_bad_parents),
		ONE(test_corrupt_gzip),
		ONE(test_corrupt_zstd),
		ONE(test_truncated_tar),
		ONE(test_garbage),
		ONE(test_long_names),
		ONE(test_too_many_entries),
		ONE(test_xattr_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
