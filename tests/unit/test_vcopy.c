/* test_vcopy.c: unit tests of engine/vcopy.c, the copy of an image's
 * directory into a new volume, on a tree made in a temporary directory. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/volume_internal.h"

#define N_LINKED 300 /* inodes with several names: more than one table growth */

static char root[64];

static void write_at(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/src/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void path_of(char *out, size_t len, const char *side, const char *rel)
{
	snprintf(out, len, "%s/%s/%s", root, side, rel);
}

static int setup(void **state)
{
	char p[256], q[256];
	int i;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/berth-vcopy-XXXXXX");
	assert_non_null(mkdtemp(root));
	path_of(p, sizeof(p), "src", "");
	assert_int_equal(mkdir(p, 0750), 0);
	path_of(p, sizeof(p), "dst", "");
	assert_int_equal(mkdir(p, 0700), 0);
	path_of(p, sizeof(p), "src", "sub");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, sizeof(p), "src", "sub/deeper");
	assert_int_equal(mkdir(p, 0700), 0);
	write_at("plain", "plain text\n", 0640);
	write_at("sub/deeper/secret", "s\n", 0600);
	write_at("sub/setuid", "x\n", 04755);
	path_of(p, sizeof(p), "src", "link-to-plain");
	assert_int_equal(symlink("plain", p), 0);
	path_of(p, sizeof(p), "src", "escape");
	assert_int_equal(symlink("/etc/passwd", p), 0);
	path_of(p, sizeof(p), "src", "fifo");
	assert_int_equal(mkfifo(p, 0620), 0);
	assert_int_equal(chmod(p, 0620), 0); /* past the umask */
	/* one inode under three names, in three directories */
	write_at("sub/tri", "three names\n", 0644);
	path_of(p, sizeof(p), "src", "sub/tri");
	path_of(q, sizeof(q), "src", "tri2");
	assert_int_equal(link(p, q), 0);
	path_of(q, sizeof(q), "src", "sub/deeper/tri3");
	assert_int_equal(link(p, q), 0);
	/* many linked inodes */
	for (i = 0; i < N_LINKED; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "sub/l%d", i);
		write_at(rel, rel, 0644);
		path_of(p, sizeof(p), "src", rel);
		snprintf(rel, sizeof(rel), "l%d-again", i);
		path_of(q, sizeof(q), "src", rel);
		assert_int_equal(link(p, q), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return berth_fs_remove_at_raw(AT_FDCWD, root) < 0 ? -1 : 0;
}

static void stat_rel(const char *side, const char *rel, struct stat *st, bool follow)
{
	char p[256];

	path_of(p, sizeof(p), side, rel);
	assert_int_equal(follow ? stat(p, st) : lstat(p, st), 0);
}

static void test_copy_tree(void **state)
{
	char p[256], target[64];
	cleanup_close int sfd = -1, dfd = -1;
	berth_error_t err = NULL;
	struct stat a, b, c;
	ssize_t n;
	int i;

	(void)state;
	path_of(p, sizeof(p), "src", "");
	sfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	path_of(p, sizeof(p), "dst", "");
	dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sfd >= 0 && dfd >= 0);
	assert_true(vol_dir_empty(dfd));
	assert_int_equal(vol_copy_tree(sfd, dfd, &err), 0);
	assert_null(err);
	assert_false(vol_dir_empty(dfd));

	/* the root takes the source's mode; files keep theirs */
	stat_rel("dst", "", &a, false);
	assert_int_equal(a.st_mode & 07777, 0750);
	stat_rel("dst", "plain", &a, false);
	assert_int_equal(a.st_mode & 07777, 0640);
	stat_rel("dst", "sub/setuid", &a, false);
	assert_int_equal(a.st_mode & 07777, 04755);
	stat_rel("dst", "sub/deeper", &a, false);
	assert_int_equal(a.st_mode & 07777, 0700);
	stat_rel("dst", "fifo", &a, false);
	assert_true(S_ISFIFO(a.st_mode));
	assert_int_equal(a.st_mode & 07777, 0620);

	/* symlinks are copied as they are, never followed */
	path_of(p, sizeof(p), "dst", "escape");
	n = readlink(p, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "/etc/passwd");
	stat_rel("dst", "link-to-plain", &a, false);
	assert_true(S_ISLNK(a.st_mode));

	/* hard links stay one inode, apart from the source's */
	stat_rel("dst", "sub/tri", &a, false);
	stat_rel("dst", "tri2", &b, false);
	stat_rel("dst", "sub/deeper/tri3", &c, false);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_ino, c.st_ino);
	assert_int_equal(a.st_nlink, 3);
	stat_rel("src", "sub/tri", &b, false);
	assert_int_not_equal(a.st_ino, b.st_ino);
	for (i = 0; i < N_LINKED; i++) {
		char r1[64], r2[64];
		snprintf(r1, sizeof(r1), "sub/l%d", i);
		snprintf(r2, sizeof(r2), "l%d-again", i);
		stat_rel("dst", r1, &a, false);
		stat_rel("dst", r2, &b, false);
		assert_int_equal(a.st_ino, b.st_ino);
		assert_int_equal(a.st_nlink, 2);
		assert_int_equal(a.st_size, (off_t)strlen(r1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_tree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
