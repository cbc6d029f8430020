/* test_carchive.c: the parts of `docker cp`, `docker export` and `docker
 * diff` that need no daemon: Go's FileMode bits, the path-stat header (the
 * exact bytes dockerd sends), the classification of an overlay upper
 * directory against its layers, and docker's Untar rules applied by
 * berth_layer_untar (breakouts refused with docker's texts, symlinks on
 * the way resolved inside the root). Whiteouts and opaque directories need
 * root (mknod, trusted.* xattrs): without it those tests skip. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "engine/carchive.h"
#include "image/layer.h"

/* ---- FileMode ---------------------------------------------------------------- */

static void test_go_mode(void **state)
{
	(void)state;
	assert_int_equal(berth_carchive_go_mode(S_IFREG | 0644), 420);
	assert_int_equal(berth_carchive_go_mode(S_IFDIR | 0755), 2147484141u);
	assert_int_equal(berth_carchive_go_mode(S_IFLNK | 0777), 134218239u);
	assert_int_equal(berth_carchive_go_mode(S_IFCHR | 0620), (1u << 26) | (1u << 21) | 0620);
	assert_int_equal(berth_carchive_go_mode(S_IFBLK | 0660), (1u << 26) | 0660);
	assert_int_equal(berth_carchive_go_mode(S_IFIFO | 0600), (1u << 25) | 0600);
	assert_int_equal(berth_carchive_go_mode(S_IFSOCK | 0755), (1u << 24) | 0755);
	assert_int_equal(berth_carchive_go_mode(S_IFREG | 04755), (1u << 23) | 0755);
	assert_int_equal(berth_carchive_go_mode(S_IFDIR | 02775), (1u << 31) | (1u << 22) | 0775);
	assert_int_equal(berth_carchive_go_mode(S_IFDIR | 01777), (1u << 31) | (1u << 20) | 0777);
}

/* ---- the stat header ----------------------------------------------------------- */

static char *header_json(const char *name, int64_t mtime_ns, const char *target)
{
	struct berth_path_stat st = { .name = (char *)name,
				      .size = 340,
				      .mode = 420,
				      .mtime_ns = mtime_ns,
				      .link_target = (char *)target };
	cleanup_free char *h = berth_carchive_stat_header(&st);
	char *out = xzalloc(strlen(h) + 1);

	assert_true(EVP_DecodeBlock((unsigned char *)out, (unsigned char *)h, (int)strlen(h)) > 0);
	return out;
}

static void test_stat_header(void **state)
{
	struct berth_path_stat st = { .name = "passwd",
				      .size = 340,
				      .mode = 420,
				      .mtime_ns = 1704067200LL * 1000000000,
				      .link_target = "" };
	cleanup_free char *h = NULL, *frac = NULL, *zone = NULL, *bad = NULL;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	/* byte for byte what dockerd sends for busybox's /etc/passwd */
	h = berth_carchive_stat_header(&st);
	assert_string_equal(h,
			    "eyJuYW1lIjoicGFzc3dkIiwic2l6ZSI6MzQwLCJtb2RlIjo0MjAsIm10aW1lIjoiMjAy"
			    "NC0wMS0wMVQwMDowMDowMFoiLCJsaW5rVGFyZ2V0IjoiIn0=");
	/* Go trims the fraction's trailing zeros */
	frac = header_json("x", 1704067200LL * 1000000000 + 500000000, "/bin/busybox");
	assert_non_null(strstr(frac, "\"mtime\":\"2024-01-01T00:00:00.5Z\""));
	assert_non_null(strstr(frac, "\"linkTarget\":\"/bin/busybox\""));
	/* local time with its offset, as Go marshals a time.Time */
	setenv("TZ", "XYZ-2", 1);
	tzset();
	zone = header_json("x", 1704067200LL * 1000000000, "");
	assert_non_null(strstr(zone, "\"mtime\":\"2024-01-01T02:00:00+02:00\""));
	setenv("TZ", "UTC", 1);
	tzset();
	/* a byte that is not UTF-8 becomes U+FFFD, as Go's encoder writes it */
	bad = header_json("a\xff"
			  "b",
			  0, "");
	assert_non_null(strstr(bad, "\"name\":\"a\xef\xbf\xbd"
				    "b\""));
}

/* ---- a scratch tree -------------------------------------------------------------- */

struct tree {
	char dir[64];
};

static int tree_setup(void **state)
{
	struct tree *t = xzalloc(sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/berth-carchive.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	cleanup_close int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_int_equal(berth_fs_remove_at_raw(fd, t->dir + 5), 0);
	free(t);
	return 0;
}

/* Creates T/REL: "d/" a directory, "f=text" a file, "l->target" a
 * symlink, "w!" a whiteout; parents are made as needed. */
static void mk(const struct tree *t, const char *rel)
{
	cleanup_free char *spec = xstrdup(rel), *path = NULL, *parent = NULL;
	char *eq = strchr(spec, '='), *arrow = strstr(spec, "->"), *bang = strchr(spec, '!');
	size_t n;

	if (eq)
		*eq = '\0';
	if (arrow)
		*arrow = '\0';
	if (bang)
		*bang = '\0';
	n = strlen(spec);
	if (spec[n - 1] == '/')
		spec[n - 1] = '\0';
	path = xasprintf("%s/%s", t->dir, spec);
	parent = xstrdup(path);
	*strrchr(parent, '/') = '\0';
	assert_int_equal(berth_fs_mkdir_p(parent, 0755, NULL), 0);
	if (rel[strlen(rel) - 1] == '/')
		assert_int_equal(berth_fs_mkdir_p(path, 0755, NULL), 0);
	else if (arrow)
		assert_int_equal(symlink(arrow + 2, path), 0);
	else if (bang)
		assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(0, 0)), 0);
	else
		assert_int_equal(berth_fs_write_atomic(path, eq ? eq + 1 : "",
						       eq ? strlen(eq + 1) : 0, 0644, NULL),
				 0);
}

static char *tpath(const struct tree *t, const char *rel)
{
	return xasprintf("%s/%s", t->dir, rel);
}

/* The changes as "K /path" lines. */
static char *diff_lines(const struct tree *t, const char *const *lowers, size_t n)
{
	cleanup_free char *upper = tpath(t, "upper");
	cleanup_free char **abs = xzalloc((n + 1) * sizeof(char *));
	berth_error_t err = NULL;
	json_t *j, *it;
	size_t i;
	char *out = xstrdup("");

	for (i = 0; i < n; i++)
		abs[i] = tpath(t, lowers[i]);
	j = berth_carchive_changes(upper, (const char *const *)abs, n, &err);
	for (i = 0; i < n; i++)
		free(abs[i]);
	assert_non_null(j);
	json_array_foreach (j, i, it) {
		char *next = xasprintf("%s%c %s\n", out,
				       "CAD"[json_integer_value(json_object_get(it, "Kind"))],
				       json_string_value(json_object_get(it, "Path")));
		free(out);
		out = next;
	}
	json_decref(j);
	return out;
}

/* Whiteouts (char devices 0:0) and trusted.* xattrs can be made here: not
 * without root, nor as root of a user namespace. */
static bool privileged(const struct tree *t)
{
	cleanup_free char *probe = tpath(t, "probe");
	bool ok = mknod(probe, S_IFCHR | 0600, makedev(0, 0)) == 0 &&
		  lsetxattr(probe, "trusted.berth-probe", "y", 1, 0) == 0;

	(void)unlink(probe);
	return ok;
}

/* ---- changes ----------------------------------------------------------------------- */

static void test_changes_overlay(void **state)
{
	struct tree *t = *state;
	const char *lowers[] = { "l2", "l1" }; /* topmost first */
	cleanup_free char *got = NULL, *home = NULL;

	if (!privileged(t))
		skip(); /* whiteouts are char devices, opacity a trusted.* xattr */
	mk(t, "l1/etc/passwd=root");
	mk(t, "l1/etc/group=root");
	mk(t, "l1/bin/ls=elf");
	mk(t, "l1/home/old=x");
	mk(t, "l1/var/spool/mail/");
	mk(t, "l2/usr/sbin/");
	mk(t, "upper/etc/passwd=root+x");
	mk(t, "upper/etc/hostname"); /* mount targets the runtime made */
	mk(t, "upper/etc/resolv.conf");
	mk(t, "upper/proc/");
	mk(t, "upper/bin/ls!");
	mk(t, "upper/newdir/f=new");
	mk(t, "upper/home/h=h");
	mk(t, "upper/usr/sbin/deep/er/");
	mk(t, "upper/var/spool!");
	home = tpath(t, "upper/home");
	assert_int_equal(setxattr(home, "trusted.overlay.opaque", "y", 1, 0), 0);
	got = diff_lines(t, lowers, 2);
	assert_string_equal(got, "C /bin\n"
				 "D /bin/ls\n"
				 "C /etc\n"
				 "C /etc/passwd\n"
				 "C /home\n"
				 "A /home/h\n"
				 "A /newdir\n"
				 "A /newdir/f\n"
				 "C /usr\n"
				 "C /usr/sbin\n"
				 "A /usr/sbin/deep\n"
				 "A /usr/sbin/deep/er\n"
				 "C /var\n"
				 "D /var/spool\n");
}

static void test_changes_quiet(void **state)
{
	struct tree *t = *state;
	const char *lowers[] = { "l1" };
	cleanup_free char *got = NULL, *again = NULL, *tmp = NULL, *none = NULL;

	mk(t, "l1/etc/passwd=root");
	mk(t, "l1/tmp/");
	/* what a first start leaves in the upper layer is no change */
	mk(t, "upper/etc/hostname");
	mk(t, "upper/etc/hosts");
	mk(t, "upper/etc/resolv.conf");
	got = diff_lines(t, lowers, 1);
	assert_string_equal(got, "");
	/* a mount target that holds something is a change; a mode too */
	mk(t, "upper/etc/hosts=127.0.0.1 x");
	tmp = tpath(t, "upper/tmp");
	assert_int_equal(mkdir(tmp, 0700), 0);
	again = diff_lines(t, lowers, 1);
	assert_string_equal(again, "C /etc\nC /etc/hosts\nC /tmp\n");
	/* no upper directory: nothing changed */
	free(tmp);
	tmp = tpath(t, "upper");
	assert_int_equal(berth_fs_remove_tree_contents(tmp, NULL), 0);
	assert_int_equal(rmdir(tmp), 0);
	none = diff_lines(t, lowers, 1);
	assert_string_equal(none, "");
}

/* ---- untar --------------------------------------------------------------------------- */

/* One tar entry: TYPE 'f' file (DATA), 'd' directory, 'l' symlink to
 * LINK, 'h' hardlink to LINK. */
struct te {
	const char *name;
	char type;
	const char *data;
	const char *link;
};

/* Writes the entries as a tar to a new unlinked file; returns it rewound. */
static int tar_file(const struct te *es, size_t n)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	struct archive *a = archive_write_new();
	size_t i;

	assert_true(fd >= 0);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = es[i].data ? strlen(es[i].data) : 0;
		archive_entry_set_pathname(e, es[i].name);
		archive_entry_set_filetype(e, es[i].type == 'd'	  ? AE_IFDIR
					      : es[i].type == 'l' ? AE_IFLNK
								  : AE_IFREG);
		archive_entry_set_perm(e, es[i].type == 'd' ? 0755 : 0644);
		archive_entry_set_uid(e, geteuid());
		archive_entry_set_gid(e, getegid());
		if (es[i].type == 'l')
			archive_entry_set_symlink(e, es[i].link);
		if (es[i].type == 'h')
			archive_entry_set_hardlink(e, es[i].link);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, es[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static ssize_t read_fd(void *data, void *buf, size_t len)
{
	return read(*(int *)data, buf, len);
}

/* Untars the entries into ROOT/x/y (T/root is the container root). 0, or
 * -1 with the message in *MSG. */
static int untar(const struct tree *t, const struct te *es, size_t n, bool no_overwrite, char **msg)
{
	cleanup_free char *root = tpath(t, "root");
	cleanup_close int fd = tar_file(es, n), rfd = -1;
	struct berth_untar_options o = { .dest = "x/y", .no_overwrite_dir_nondir = no_overwrite };
	berth_error_t err = NULL;
	int ret;

	mk(t, "root/x/y/");
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ret = berth_layer_untar(read_fd, &fd, rfd, &o, &err);
	*msg = ret < 0 ? xstrdup(err->msg) : NULL;
	berth_error_release(&err);
	return ret < 0 ? -1 : 0;
}
#define UNTAR(t, nov, msg, ...)                      \
	untar(t, (const struct te[]){ __VA_ARGS__ }, \
	      sizeof((const struct te[]){ __VA_ARGS__ }) / sizeof(struct te), nov, msg)

static bool exists(const struct tree *t, const char *rel)
{
	cleanup_free char *p = tpath(t, rel);
	struct stat st;

	return lstat(p, &st) == 0;
}

static void test_untar_files(void **state)
{
	struct tree *t = *state;
	cleanup_free char *msg = NULL, *f2 = NULL;
	struct stat a, b;

	mk(t, "root/etc/");
	assert_int_equal(UNTAR(t, false, &msg, { "/abs", 'f', "abs" }, { "d/", 'd' },
			       { "d/f", 'f', "hello" }, { "d/h", 'h', NULL, "d/f" },
			       { ".wh.foo", 'f', "" }, { "sl", 'l', NULL, "/etc" },
			       { "sl/pwned", 'f', "x" }),
			 0);
	/* a leading / is relative to the directory; .wh. names are plain */
	assert_true(exists(t, "root/x/y/abs"));
	assert_true(exists(t, "root/x/y/.wh.foo"));
	/* hardlinks are names in the directory */
	f2 = tpath(t, "root/x/y/d/f");
	assert_int_equal(stat(f2, &a), 0);
	free(f2);
	f2 = tpath(t, "root/x/y/d/h");
	assert_int_equal(stat(f2, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* a symlink on the way resolves inside the root, as in a chroot */
	assert_true(exists(t, "root/etc/pwned"));
	assert_false(exists(t, "etc/pwned"));
}

static void test_untar_breakouts(void **state)
{
	struct tree *t = *state;
	cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;

	assert_int_equal(UNTAR(t, false, &m1, { "a/../../escape", 'f', "x" }), -1);
	assert_string_equal(m1, "\"../escape\" is outside of \"/x/y\"");
	assert_int_equal(UNTAR(t, false, &m2, { "hl", 'h', NULL, "../etc/passwd" }), -1);
	assert_string_equal(m2, "invalid hardlink \"/x/etc/passwd\" -> \"../etc/passwd\"");
	assert_int_equal(UNTAR(t, false, &m3, { "sl", 'l', NULL, "../../etc" }), -1);
	assert_string_equal(m3, "invalid symlink \"/x/y/sl\" -> \"../../etc\"");
	assert_int_equal(UNTAR(t, false, &m4, { "hl", 'h', NULL, "/nope" }), -1);
	assert_string_equal(m4, "link /x/y/nope /x/y/hl: no such file or directory");
	assert_false(exists(t, "root/x/escape"));
	assert_false(exists(t, "escape"));
	assert_false(exists(t, "root/x/y/sl"));
}

static void test_untar_no_overwrite(void **state)
{
	struct tree *t = *state;
	cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL, *d = NULL;
	struct stat st;

	mk(t, "root/x/y/d/");
	mk(t, "root/x/y/f=old");
	assert_int_equal(UNTAR(t, true, &m1, { "d", 'f', "new" }), -1);
	assert_string_equal(m1,
			    "cannot overwrite directory \"/x/y/d\" with non-directory \"/x/y\"");
	assert_int_equal(UNTAR(t, true, &m2, { "f/", 'd' }), -1);
	assert_string_equal(m2,
			    "cannot overwrite non-directory \"/x/y/f\" with directory \"/x/y\"");
	/* without the option the entry replaces what was there */
	assert_int_equal(UNTAR(t, false, &m3, { "d", 'f', "new" }), 0);
	d = tpath(t, "root/x/y/d");
	assert_int_equal(lstat(d, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_mode),
		cmocka_unit_test(test_stat_header),
		cmocka_unit_test_setup_teardown(test_changes_overlay, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_changes_quiet, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_untar_files, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_untar_breakouts, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_untar_no_overwrite, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
