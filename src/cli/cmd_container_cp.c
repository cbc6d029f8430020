/* cmd_container_cp.c: `berth cp` and `berth container cp`, docker's copy
 * between a container and the local filesystem. The daemon speaks tar
 * (HEAD, GET and PUT /containers/{id}/archive); this side does what
 * docker's pkg/archive does around it: the stat header decides how the
 * archive is renamed (SRC/. for contents, an existing directory or not),
 * a GET archive is extracted under DEST with libarchive's secure flags,
 * and a PUT archive is built with libarchive's read_disk. Each archive
 * goes through a pipe, written or read by a thread of its own. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "base/archive_dl.h"
#include "cli/auth.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"
#include "cli/units.h"

/* Go's os.FileMode type bits, as the stat header carries them */
#define GO_MODE_DIR	  (1u << 31)
#define GO_MODE_SYMLINK	  (1u << 27)
#define GO_MODE_DEVICE	  (1u << 26)
#define GO_MODE_IRREGULAR (1u << 19)
/* docker's limit on symlinks followed at the local destination */
#define MAX_SYMLINK_HOPS 10
/* longest X-Docker-Container-Path-Stat value decoded */
#define MAX_STAT_HEADER 65536
#define CP_CHUNK	65536

/* ---- Go's path/filepath, as docker's pkg/archive uses it ---- */

char *berth_cli_cp_clean(const char *path)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	bool rooted = path[0] == '/';
	size_t dotdot = 0; /* where ".." can no longer be undone */
	const char *p = path;

	if (*path == '\0')
		return xstrdup(".");
	if (rooted)
		berth_strbuf_puts(&sb, "/");
	dotdot = sb.len;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (sb.len > dotdot) {
				while (sb.len > dotdot && sb.buf[sb.len - 1] != '/')
					sb.len--;
				if (sb.len > dotdot)
					sb.len--;
				sb.buf[sb.len] = '\0';
			} else if (!rooted) {
				berth_strbuf_puts(&sb, sb.len ? "/.." : "..");
				dotdot = sb.len;
			}
		} else {
			if ((rooted && sb.len > 1) || (!rooted && sb.len))
				berth_strbuf_puts(&sb, "/");
			berth_strbuf_append(&sb, p, n);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	if (sb.len == 0)
		berth_strbuf_puts(&sb, ".");
	return berth_strbuf_steal(&sb);
}

static char *go_base(const char *path)
{
	size_t len = strlen(path);
	const char *slash;

	while (len && path[len - 1] == '/')
		len--;
	if (*path == '\0')
		return xstrdup(".");
	if (len == 0)
		return xstrdup("/");
	for (slash = path + len; slash > path && slash[-1] != '/'; slash--)
		;
	return xstrndup(slash, len - (size_t)(slash - path));
}

static char *go_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *head = xstrndup(path, slash ? (size_t)(slash - path) + 1 : 0);

	return berth_cli_cp_clean(head);
}

static char *go_join(const char *a, const char *b)
{
	cleanup_free char *j = NULL;

	if (*a == '\0')
		return berth_cli_cp_clean(b);
	if (*b == '\0')
		return berth_cli_cp_clean(a);
	j = xasprintf("%s/%s", a, b);
	return berth_cli_cp_clean(j);
}

static bool trailing_sep(const char *path)
{
	size_t n = strlen(path);

	return n && path[n - 1] == '/';
}

static bool current_dir(const char *path)
{
	cleanup_free char *b = go_base(path);

	return strcmp(b, ".") == 0;
}

char *berth_cli_cp_preserve_trailing(const char *cleaned, const char *orig)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_strbuf_puts(&sb, cleaned);
	if (!current_dir(cleaned) && current_dir(orig)) {
		if (!trailing_sep(sb.buf))
			berth_strbuf_puts(&sb, "/");
		berth_strbuf_puts(&sb, ".");
	}
	if (!trailing_sep(sb.buf) && trailing_sep(orig))
		berth_strbuf_puts(&sb, "/");
	return berth_strbuf_steal(&sb);
}

void berth_cli_cp_split_dir_entry(const char *path, char **dir, char **base)
{
	cleanup_free char *c = berth_cli_cp_clean(path);

	if (current_dir(path)) {
		char *t = xasprintf("%s/.", c);
		free(c);
		c = t;
	}
	*dir = go_dir(c);
	*base = go_base(c);
}

void berth_cli_cp_split(const char *arg, char **ctr, char **path)
{
	const char *colon = strchr(arg, ':');

	if (arg[0] == '/' || colon == NULL || arg[0] == '.') {
		*ctr = NULL;
		*path = xstrdup(arg);
		return;
	}
	*ctr = colon == arg ? NULL : xstrndup(arg, (size_t)(colon - arg));
	*path = xstrdup(colon + 1);
}

/* filepath.Abs, keeping a trailing "/" or "/." (docker's resolveLocalPath). */
static char *resolve_local(const char *path)
{
	cleanup_free char *abs = NULL;
	char cwd[PATH_MAX];

	if (path[0] == '/') {
		abs = berth_cli_cp_clean(path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			memcpy(cwd, "/", 2);
		abs = go_join(cwd, path);
	}
	return berth_cli_cp_preserve_trailing(abs, path);
}

/* strings.Replace(name, old, new, 1) */
static char *replace_first(const char *name, const char *old, const char *new)
{
	const char *at = *old ? strstr(name, old) : name;

	if (at == NULL)
		return xstrdup(name);
	return xasprintf("%.*s%s%s", (int)(at - name), name, new, at + strlen(old));
}

/* archive.PrepareArchiveCopy: where to extract and how to rename. */
int berth_cli_cp_prepare(const struct berth_cli_cp_info *src, const struct berth_cli_cp_info *dst,
			 char **dst_dir, char **old_base, char **new_base, berth_error_t *err)
{
	cleanup_free char *ddir = NULL;
	cleanup_free char *dbase = NULL;
	cleanup_free char *sdir = NULL;
	cleanup_free char *sbase = NULL;

	*old_base = *new_base = NULL;
	berth_cli_cp_split_dir_entry(dst->path, &ddir, &dbase);
	berth_cli_cp_split_dir_entry(src->path, &sdir, &sbase);
	if (dst->exists && dst->is_dir) {
		*dst_dir = xstrdup(dst->path);
		return 0;
	}
	if (dst->exists && src->is_dir)
		return berth_make_error(err, EISDIR, "cannot copy directory");
	if (!dst->exists && !src->is_dir && (trailing_sep(dst->path) || current_dir(dst->path)))
		return berth_make_error(err, ENOENT, "no such directory");
	*old_base = xstrdup(src->rebase_name && *src->rebase_name ? src->rebase_name : sbase);
	*new_base = steal_pointer(&dbase);
	*dst_dir = steal_pointer(&ddir);
	return 0;
}

/* ---- the stat header ---- */

struct path_stat {
	uint32_t mode; /* Go's os.FileMode */
	char *link_target;
};

static int parse_stat(const char *header, struct path_stat *st, berth_error_t *err)
{
	cleanup_free char *raw = NULL;
	json_t *j;
	size_t len;

	st->mode = 0;
	st->link_target = NULL;
	if (header == NULL || strlen(header) > MAX_STAT_HEADER)
		return berth_make_error(err, EPROTO,
					"unable to get resource stat from response: "
					"unexpected end of JSON input");
	if (berth_auth_base64_decode(header, &raw, &len, err) < 0)
		return berth_error_wrap(err, "unable to get resource stat from response");
	j = json_loadb(raw, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return berth_make_error(err, EPROTO,
					"unable to get resource stat from response: invalid JSON");
	}
	st->mode = (uint32_t)json_integer_value(json_object_get(j, "mode"));
	st->link_target = xstrdup(json_string_value(json_object_get(j, "linkTarget")) ?: "");
	json_decref(j);
	return 0;
}

/* HEAD /containers/C/archive?path=P; < 0 (error released) when it fails. */
static int stat_path(struct berth_client *c, const char *ctr, const char *path,
		     struct path_stat *st)
{
	cleanup_free char *apath = berth_cli_container_path(ctr, "archive");
	cleanup_free char *q = NULL;
	cleanup_error berth_error_t e = NULL;
	struct berth_cli_image_xfer x = { .method = "HEAD", .in_fd = -1, .out_fd = -1 };
	int ret;

	berth_client_query_add(&q, "path", path);
	x.path = apath;
	x.query = q;
	ret = berth_cli_image_xfer_run(c, &x, &e);
	if (ret == 0)
		ret = parse_stat(x.path_stat, st, &e);
	free(x.path_stat);
	return ret;
}

/* ---- progress ---- */

/* docker 28 hands copyProgress a writer that is never a terminal, so only
 * the last line shows: "Successfully copied 2.05kB to /tmp/x". */
struct progress {
	bool on;
	int64_t total;
};

static void progress_start(struct progress *p, bool quiet)
{
	p->on = !quiet;
	p->total = 0;
}

static void progress_end(struct progress *p, const char *to)
{
	char buf[64];

	if (p->on)
		fprintf(stderr, "Successfully copied %s to %s\n",
			berth_units_human_size_prec((double)p->total, 3, buf, sizeof(buf)), to);
}

/* ---- from the container: extracting ---- */

struct extract_job {
	int fd;		   /* owned: the pipe's read end */
	char *dst_dir;	   /* owned */
	char *old1, *new1; /* owned: the -L rebase, or NULL */
	char *old2, *new2; /* owned: PrepareArchiveCopy's rebase, or NULL */
	berth_error_t err; /* owned: why extraction stopped */
	pthread_t thread;
	bool started;
};

static char *rebased(const struct extract_job *j, const char *name)
{
	char *a = j->old1 ? replace_first(name, strcmp(j->old1, "/") ? j->old1 : "", j->new1)
			  : xstrdup(name);
	char *b;

	if (j->old2 == NULL)
		return a;
	b = replace_first(a, strcmp(j->old2, "/") ? j->old2 : "", j->new2);
	free(a);
	return b;
}

/* docker's NoOverwriteDirNonDir; 1 to skip the entry ("." over a dir). */
static int check_overwrite(const char *name, const char *dest, bool is_dir, berth_error_t *err)
{
	cleanup_free char *clean = berth_cli_cp_clean(name);
	cleanup_free char *full = go_join(dest, clean);
	struct stat st;

	if (lstat(clean, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode) && !is_dir)
		return berth_make_error(
		    err, EEXIST, "cannot overwrite directory \"%s\" with non-directory \"%s\"",
		    full, dest);
	if (!S_ISDIR(st.st_mode) && is_dir)
		return berth_make_error(
		    err, EEXIST, "cannot overwrite non-directory \"%s\" with directory \"%s\"",
		    full, dest);
	return S_ISDIR(st.st_mode) && strcmp(clean, ".") == 0 ? 1 : 0;
}

static int copy_entry_data(struct archive *in, struct archive *out, berth_error_t *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_OK)
			return berth_make_error(err, EIO, "%s", archive_error_string(out));
	if (r != ARCHIVE_EOF)
		return berth_make_error(err, EIO, "%s", archive_error_string(in));
	return 0;
}

static int extract_entries(struct extract_job *j, struct archive *in, struct archive *out,
			   berth_error_t *err)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		cleanup_free char *name = rebased(j, archive_entry_pathname(e));
		bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
		int skip;

		archive_entry_copy_pathname(e, name);
		if (archive_entry_hardlink(e)) {
			cleanup_free char *target = rebased(j, archive_entry_hardlink(e));
			archive_entry_copy_hardlink(e, target);
		}
		skip = check_overwrite(name, j->dst_dir, is_dir, err);
		if (skip < 0)
			return -1;
		if (skip)
			continue;
		if (archive_write_header(out, e) < ARCHIVE_OK)
			return berth_make_error(err, EIO, "%s", archive_error_string(out));
		if (archive_entry_size(e) > 0 && copy_entry_data(in, out, err) < 0)
			return -1;
		if (archive_write_finish_entry(out) < ARCHIVE_OK)
			return berth_make_error(err, EIO, "%s", archive_error_string(out));
	}
	if (r != ARCHIVE_EOF)
		return berth_make_error(err, EIO, "%s", archive_error_string(in));
	if (archive_write_close(out) < ARCHIVE_OK)
		return berth_make_error(err, EIO, "%s", archive_error_string(out));
	return 0;
}

static void *extract_thread(void *arg)
{
	struct extract_job *j = arg;
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	cleanup_close int cwd = open(".", O_RDONLY | O_CLOEXEC);
	char buf[CP_CHUNK];

	archive_read_support_format_tar(in);
	archive_write_disk_set_options(
	    out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	/* names are relative to DEST, which the secure flags keep them in */
	if (chdir(j->dst_dir) < 0)
		berth_cli_image_syserr(&j->err, errno, "chdir %s", j->dst_dir);
	else if (archive_read_open_fd(in, j->fd, CP_CHUNK) != ARCHIVE_OK)
		berth_make_error(&j->err, EIO, "%s", archive_error_string(in));
	else
		extract_entries(j, in, out, &j->err);
	archive_read_free(in);
	archive_write_free(out);
	if (cwd >= 0 && fchdir(cwd) < 0)
		(void)0;
	/* what is left goes nowhere, so the download ends normally */
	while (read(j->fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

/* ---- from the container ---- */

struct from_state {
	struct berth_cli_image_xfer *x; /* borrowed */
	const char *src_path;		/* borrowed: as sent */
	const char *rebase_name;	/* borrowed: from -L, or NULL */
	const char *dst_path;		/* borrowed: absolute */
	struct extract_job job;
	int pipe_w; /* owned */
	struct progress *prog;
	berth_error_t err; /* owned: why the copy stopped */
};

/* archive.CopyInfoDestinationPath for the local DEST. */
static int local_dest_info(const char *path, struct berth_cli_cp_info *info, char **resolved,
			   berth_error_t *err)
{
	cleanup_free char *p = xstrdup(path);
	struct stat st;
	int ret = lstat(p, &st);

	for (int n = 0; ret == 0 && S_ISLNK(st.st_mode); n++) {
		char target[PATH_MAX];
		ssize_t len;
		if (n > MAX_SYMLINK_HOPS)
			return berth_make_error(err, ELOOP, "too many symlinks in %s", path);
		len = readlink(p, target, sizeof(target) - 1);
		if (len < 0)
			return berth_cli_image_syserr(err, errno, "readlink %s", p);
		target[len] = '\0';
		if (target[0] != '/') {
			cleanup_free char *dir = NULL;
			cleanup_free char *base = NULL;
			berth_cli_cp_split_dir_entry(p, &dir, &base);
			free(p);
			p = go_join(dir, target);
		} else {
			free(p);
			p = berth_cli_cp_clean(target);
		}
		ret = lstat(p, &st);
	}
	if (ret < 0) {
		cleanup_free char *dir = NULL;
		cleanup_free char *base = NULL;
		if (errno != ENOENT)
			return berth_cli_image_syserr(err, errno, "lstat %s", p);
		berth_cli_cp_split_dir_entry(p, &dir, &base);
		if (stat(dir, &st) < 0)
			return berth_cli_image_syserr(err, errno, "stat %s", dir);
		if (!S_ISDIR(st.st_mode))
			return berth_make_error(err, ENOTDIR, "not a directory");
		info->exists = info->is_dir = false;
	} else {
		info->exists = true;
		info->is_dir = S_ISDIR(st.st_mode);
	}
	*resolved = steal_pointer(&p);
	info->path = *resolved;
	return 0;
}

/* The first piece of the body: the stat header is in, the extraction starts. */
static int start_extract(struct from_state *fs)
{
	cleanup_free char *dpath = NULL;
	struct path_stat ps = { 0 };
	struct berth_cli_cp_info src = { .path = fs->src_path,
					 .exists = true,
					 .rebase_name = fs->rebase_name };
	struct berth_cli_cp_info dst = { 0 };
	int p[2];

	if (parse_stat(fs->x->path_stat, &ps, &fs->err) < 0)
		return -1;
	free(ps.link_target);
	src.is_dir = (ps.mode & GO_MODE_DIR) != 0;
	if (local_dest_info(fs->dst_path, &dst, &dpath, &fs->err) < 0)
		return -1;
	if (berth_cli_cp_prepare(&src, &dst, &fs->job.dst_dir, &fs->job.old2, &fs->job.new2,
				 &fs->err) < 0)
		return -1;
	if (fs->rebase_name) {
		cleanup_free char *sdir = NULL;
		berth_cli_cp_split_dir_entry(fs->src_path, &sdir, &fs->job.old1);
		fs->job.new1 = xstrdup(fs->rebase_name);
	}
	if (pipe(p) < 0)
		return berth_cli_image_syserr(&fs->err, errno, "pipe");
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	fs->job.fd = p[0];
	fs->pipe_w = p[1];
	if (pthread_create(&fs->job.thread, NULL, extract_thread, &fs->job) != 0) {
		close(p[1]);
		fs->pipe_w = -1;
		return berth_make_error(&fs->err, EAGAIN, "cannot start a thread");
	}
	fs->job.started = true;
	return 0;
}

static int on_archive_data(const char *data, size_t len, void *arg)
{
	struct from_state *fs = arg;

	if (!fs->job.started && start_extract(fs) < 0)
		return -1;
	fs->prog->total += (int64_t)len;
	if (berth_cli_write_all(fs->pipe_w, data, len) < 0)
		return 0; /* the extraction stopped; its error says why */
	return 0;
}

static void extract_job_release(struct extract_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->dst_dir);
	free(j->old1);
	free(j->new1);
	free(j->old2);
	free(j->new2);
	berth_error_release(&j->err);
}

/* docker's ValidateOutputPath */
static int validate_output(const char *path, berth_error_t *err)
{
	cleanup_free char *clean = berth_cli_cp_clean(path);
	cleanup_free char *dir = go_dir(clean);
	struct stat st;

	if (strcmp(dir, ".") && stat(dir, &st) < 0 && errno == ENOENT)
		return berth_make_error(
		    err, ENOENT, "invalid output path: directory \"%s\" does not exist", dir);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_cli_image_syserr(err, errno, "stat %s", path);
	}
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
		return 0;
	return berth_make_error(
	    err, EINVAL, "invalid output path: \"%s\" must be a directory or a regular file: %s",
	    path,
	    S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode) ? "got a device" : "got an irregular file");
}

struct cp_opts {
	bool follow_link, archive, quiet;
};

static int copy_from(struct berth_client *c, const struct cp_opts *o, bool quiet, const char *ctr,
		     const char *src_arg, const char *dst_arg, berth_error_t *err)
{
	cleanup_free char *dst = strcmp(dst_arg, "-") ? resolve_local(dst_arg) : xstrdup("-");
	cleanup_free char *src = xstrdup(src_arg);
	cleanup_free char *rebase_name = NULL;
	cleanup_free char *apath = berth_cli_container_path(ctr, "archive");
	cleanup_free char *q = NULL;
	struct berth_cli_image_xfer x = { .method = "GET", .in_fd = -1, .out_fd = -1 };
	struct progress prog = { 0 };
	struct from_state fs = { .x = &x, .pipe_w = -1, .prog = &prog, .job = { .fd = -1 } };
	struct path_stat ps = { 0 };
	int ret;

	if (validate_output(dst, err) < 0)
		return -1;
	if (o->follow_link && stat_path(c, ctr, src, &ps) == 0 && (ps.mode & GO_MODE_SYMLINK)) {
		cleanup_free char *target = NULL;
		cleanup_free char *base = NULL;
		if (ps.link_target[0] != '/') {
			cleanup_free char *parent = NULL;
			berth_cli_cp_split_dir_entry(src, &parent, &base);
			target = go_join(parent, ps.link_target);
		} else {
			target = xstrdup(ps.link_target);
		}
		/* archive.GetRebaseName */
		if (current_dir(src) && !current_dir(target)) {
			char *t = xasprintf("%s/.", target);
			free(target);
			target = t;
		}
		if (trailing_sep(src) && !trailing_sep(target)) {
			char *t = xasprintf("%s/", target);
			free(target);
			target = t;
		}
		free(base);
		base = go_base(src);
		{
			cleanup_free char *tbase = go_base(target);
			if (strcmp(base, tbase))
				rebase_name = xstrdup(base);
		}
		free(src);
		src = steal_pointer(&target);
	}
	free(ps.link_target);
	berth_client_query_add(&q, "path", src);
	x.path = apath;
	x.query = q;
	if (strcmp(dst, "-") == 0) {
		x.out_fd = STDOUT_FILENO;
		ret = berth_cli_image_xfer_run(c, &x, err);
		free(x.path_stat);
		return ret < 0 ? -1 : 0;
	}
	fs.src_path = src;
	fs.rebase_name = rebase_name;
	fs.dst_path = dst;
	x.data_cb = on_archive_data;
	x.cb_data = &fs;
	progress_start(&prog, quiet);
	ret = berth_cli_image_xfer_run(c, &x, err);
	if (fs.pipe_w >= 0)
		close(fs.pipe_w);
	if (fs.job.started)
		pthread_join(fs.job.thread, NULL);
	free(x.path_stat);
	if (ret == 0 && !fs.err && !fs.job.started)
		start_extract(&fs);	/* an empty body: the checks still apply */
	if (ret == 0 || fs.job.started) /* an error answer ends it before any output */
		progress_end(&prog, dst);
	if (ret == 0 && fs.err)
		*err = steal_pointer(&fs.err), ret = -1;
	else if (ret == 0 && fs.job.err)
		*err = steal_pointer(&fs.job.err), ret = -1;
	berth_error_release(&fs.err);
	extract_job_release(&fs.job);
	return ret;
}

/* ---- to the container: the archive ---- */

struct tar_job {
	int fd;		   /* owned: the pipe's write end */
	char *open_path;   /* owned: what read_disk walks */
	char *base;	   /* owned: its name in the archive before renaming */
	char *tar_rebase;  /* owned: TarResourceRebase's new name, or NULL */
	char *old2, *new2; /* owned: PrepareArchiveCopy's rebase, or NULL */
	int64_t *total;	   /* borrowed: bytes written, for the progress */
	berth_error_t err; /* owned */
	pthread_t thread;
};

static la_ssize_t tar_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct tar_job *j = arg;

	(void)a;
	if (berth_cli_write_all(j->fd, buf, len) < 0)
		return -1;
	*j->total += (int64_t)len;
	return (la_ssize_t)len;
}

static char *tar_name(const struct tar_job *j, const char *walked)
{
	cleanup_free char *rel = xasprintf("%s%s", j->base, walked + strlen(j->open_path));
	cleanup_free char *a = NULL;

	if (j->tar_rebase)
		a = replace_first(rel, j->base, strcmp(j->tar_rebase, "/") ? j->tar_rebase : "");
	else
		a = steal_pointer(&rel);
	if (j->old2)
		return replace_first(a, strcmp(j->old2, "/") ? j->old2 : "", j->new2);
	return steal_pointer(&a);
}

static int tar_entry_data(struct archive *disk, struct archive *out, berth_error_t *err)
{
	char buf[CP_CHUNK];
	la_ssize_t n;

	while ((n = archive_read_data(disk, buf, sizeof(buf))) > 0)
		if (archive_write_data(out, buf, (size_t)n) < 0)
			return berth_make_error(err, EIO, "%s", archive_error_string(out));
	if (n < 0)
		return berth_make_error(err, EIO, "%s", archive_error_string(disk));
	return 0;
}

static int tar_entries(struct tar_job *j, struct archive *disk, struct archive *out,
		       berth_error_t *err)
{
	struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
	struct archive_entry *e = archive_entry_new();
	int r, ret = 0;

	archive_entry_linkresolver_set_strategy(links, archive_format(out));
	while (ret == 0 && (r = archive_read_next_header2(disk, e)) == ARCHIVE_OK) {
		cleanup_free char *name = tar_name(j, archive_entry_pathname(e));
		struct archive_entry *w = e, *spare = NULL;

		archive_read_disk_descend(disk);
		archive_entry_copy_pathname(e, name);
		archive_entry_copy_sourcepath(e, NULL);
		archive_entry_set_mtime(e, archive_entry_mtime(e), 0);
		archive_entry_unset_atime(e);
		archive_entry_unset_ctime(e);
		archive_entry_unset_birthtime(e);
		archive_entry_linkify(links, &w, &spare);
		if (w && archive_write_header(out, w) < ARCHIVE_OK)
			ret = berth_make_error(err, EIO, "%s", archive_error_string(out));
		else if (w && archive_entry_size(w) > 0)
			ret = tar_entry_data(disk, out, err);
		archive_entry_clear(e);
	}
	if (ret == 0 && r != ARCHIVE_EOF)
		ret = berth_make_error(err, EIO, "%s", archive_error_string(disk));
	archive_entry_free(e);
	archive_entry_linkresolver_free(links);
	return ret;
}

static void *tar_thread(void *arg)
{
	struct tar_job *j = arg;
	struct archive *disk = archive_read_disk_new();
	struct archive *out = archive_write_new();

	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
						 ARCHIVE_READDISK_NO_FFLAGS);
	archive_write_set_format_pax_restricted(out);
	/* no blocking: the archive ends after its two zero blocks, as Go's */
	archive_write_set_bytes_per_block(out, 0);
	if (archive_write_open2(out, j, NULL, tar_write, NULL, NULL) != ARCHIVE_OK)
		berth_make_error(&j->err, EIO, "%s", archive_error_string(out));
	else if (archive_read_disk_open(disk, j->open_path) != ARCHIVE_OK)
		berth_make_error(&j->err, EIO, "%s", archive_error_string(disk));
	else if (tar_entries(j, disk, out, &j->err) == 0 && archive_write_close(out) != ARCHIVE_OK)
		berth_make_error(&j->err, EIO, "%s", archive_error_string(out));
	archive_read_free(disk);
	archive_write_free(out);
	close(j->fd);
	j->fd = -1;
	return NULL;
}

static void tar_job_release(struct tar_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->open_path);
	free(j->base);
	free(j->tar_rebase);
	free(j->old2);
	free(j->new2);
	berth_error_release(&j->err);
}

/* archive.CopyInfoSourcePath: the local source, its links resolved. */
static int local_source(const char *path, bool follow, char **resolved, char **rebase, bool *is_dir,
			berth_error_t *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *p = NULL;
	cleanup_free char *b1 = NULL;
	cleanup_free char *b2 = NULL;
	char real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	*rebase = NULL;
	if (follow) {
		if (realpath(path, real) == NULL)
			return berth_cli_image_syserr(err, errno, "lstat %s", path);
		p = xstrdup(real);
		if (current_dir(path) && !current_dir(p)) {
			char *t = xasprintf("%s/.", p);
			free(p);
			p = t;
		}
		if (trailing_sep(path) && !trailing_sep(p)) {
			char *t = xasprintf("%s/", p);
			free(p);
			p = t;
		}
	} else {
		dir = xstrndup(path, slash ? (size_t)(slash - path) + 1 : 0);
		if (realpath(*dir ? dir : ".", real) == NULL)
			return berth_cli_image_syserr(err, errno, "lstat %s", dir);
		p = xasprintf("%s%s%s", real, strcmp(real, "/") ? "/" : "",
			      slash ? slash + 1 : path);
	}
	b1 = go_base(path);
	b2 = go_base(p);
	if ((follow || trailing_sep(path)) && strcmp(b1, b2))
		*rebase = xstrdup(b1);
	if (lstat(p, &st) < 0) {
		free(*rebase);
		*rebase = NULL;
		return berth_cli_image_syserr(err, errno, "lstat %s", p);
	}
	*is_dir = S_ISDIR(st.st_mode);
	*resolved = steal_pointer(&p);
	return 0;
}

/* ---- to the container ---- */

static int put_archive(struct berth_client *c, const char *ctr, const char *dst_dir, int fd,
		       bool copy_uid_gid, berth_error_t *err)
{
	cleanup_free char *apath = berth_cli_container_path(ctr, "archive");
	cleanup_free char *q = NULL;
	struct berth_cli_image_xfer x = { .method = "PUT", .in_fd = fd, .out_fd = -1 };
	int ret;

	if (copy_uid_gid)
		berth_client_query_add(&q, "copyUIDGID", "true");
	berth_client_query_add(&q, "noOverwriteDirNonDir", "true");
	berth_client_query_add(&q, "path", dst_dir);
	x.path = apath;
	x.query = q;
	ret = berth_cli_image_xfer_run(c, &x, err);
	free(x.path_stat);
	return ret;
}

static int start_tar(struct tar_job *j, const char *src, const char *rebase_name, int64_t *total,
		     berth_error_t *err)
{
	cleanup_free char *sdir = NULL;
	int p[2];

	berth_cli_cp_split_dir_entry(src, &sdir, &j->base);
	j->open_path = xasprintf("%s%s%s", strcmp(sdir, "/") ? sdir : "", "/", j->base);
	if (strcmp(j->base, "/") == 0) {
		free(j->open_path);
		j->open_path = xstrdup("/");
	}
	j->tar_rebase = rebase_name ? xstrdup(rebase_name) : NULL;
	j->total = total;
	if (pipe(p) < 0)
		return berth_cli_image_syserr(err, errno, "pipe");
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	j->fd = p[1];
	if (pthread_create(&j->thread, NULL, tar_thread, j) != 0) {
		close(p[0]);
		return berth_make_error(err, EAGAIN, "cannot start a thread");
	}
	return p[0];
}

static int copy_to(struct berth_client *c, const struct cp_opts *o, bool quiet, const char *ctr,
		   const char *src_arg, const char *dst_arg, berth_error_t *err)
{
	cleanup_free char *src = strcmp(src_arg, "-") ? resolve_local(src_arg) : xstrdup("-");
	cleanup_free char *dpath = xstrdup(dst_arg);
	cleanup_free char *to = NULL;
	cleanup_free char *src_res = NULL;
	cleanup_free char *src_rebase = NULL;
	cleanup_free char *dst_dir = NULL;
	cleanup_close int rfd = -1;
	struct path_stat ps = { 0 };
	struct berth_cli_cp_info dinfo = { 0 }, sinfo = { .exists = true };
	struct tar_job tj = { .fd = -1 };
	struct progress prog = { 0 };
	int sret, ret;

	sret = stat_path(c, ctr, dpath, &ps);
	if (sret == 0 && (ps.mode & GO_MODE_SYMLINK)) {
		cleanup_free char *parent = NULL;
		cleanup_free char *base = NULL;
		char *target;
		if (ps.link_target[0] != '/') {
			berth_cli_cp_split_dir_entry(dst_arg, &parent, &base);
			target = go_join(parent, ps.link_target);
		} else {
			target = berth_cli_cp_clean(ps.link_target);
		}
		free(dpath);
		dpath = target;
		free(ps.link_target);
		ps = (struct path_stat){ 0 };
		sret = stat_path(c, ctr, dpath, &ps);
	}
	free(ps.link_target);
	if (sret == 0 && (ps.mode & (GO_MODE_DEVICE | GO_MODE_IRREGULAR)))
		return berth_make_error(
		    err, EINVAL, "destination \"%s:%s\" must be a directory or a regular file: %s",
		    ctr, dst_arg,
		    (ps.mode & GO_MODE_DEVICE) ? "got a device" : "got an irregular file");
	dinfo.path = dpath;
	if (sret == 0) {
		dinfo.exists = true;
		dinfo.is_dir = (ps.mode & GO_MODE_DIR) != 0;
	}
	to = xasprintf("%s:%s", ctr, dpath);
	if (strcmp(src, "-") == 0) {
		if (!dinfo.is_dir)
			return berth_make_error(err, ENOTDIR,
						"destination \"%s:%s\" must be a directory", ctr,
						dst_arg);
		progress_start(&prog, quiet);
		ret = put_archive(c, ctr, dpath, STDIN_FILENO, o->archive, err);
		progress_end(&prog, to);
		return ret;
	}
	if (local_source(src, o->follow_link, &src_res, &src_rebase, &sinfo.is_dir, err) < 0)
		return -1;
	sinfo.path = src_res;
	sinfo.rebase_name = src_rebase;
	if (berth_cli_cp_prepare(&sinfo, &dinfo, &dst_dir, &tj.old2, &tj.new2, err) < 0) {
		tar_job_release(&tj);
		return -1;
	}
	rfd = start_tar(&tj, src_res, src_rebase, &prog.total, err);
	if (rfd < 0) {
		tar_job_release(&tj);
		return -1;
	}
	progress_start(&prog, quiet);
	ret = put_archive(c, ctr, dst_dir, rfd, o->archive, err);
	close(steal_fd(&rfd)); /* a writer still blocked gets EPIPE */
	pthread_join(tj.thread, NULL);
	progress_end(&prog, to);
	if (ret == 0 && tj.err) {
		*err = steal_pointer(&tj.err);
		ret = -1;
	}
	tar_job_release(&tj);
	return ret;
}

/* ---- the command ---- */

static const struct berth_opt cp_options[] = {
	{ "archive", 'a', BERTH_OPT_BOOL, offsetof(struct cp_opts, archive), NULL,
	  "Archive mode (copy all uid/gid information)", NULL, NULL },
	{ "follow-link", 'L', BERTH_OPT_BOOL, offsetof(struct cp_opts, follow_link), NULL,
	  "Always follow symbol link in SRC_PATH", NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct cp_opts, quiet), NULL,
	  "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached",
	  NULL, NULL },
};

static int run_cp(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		  berth_error_t *err)
{
	const struct cp_opts *o = opts;
	cleanup_free char *sctr = NULL;
	cleanup_free char *spath = NULL;
	cleanup_free char *dctr = NULL;
	cleanup_free char *dpath = NULL;
	struct berth_client *c;
	/* -q given or not, output that is not a terminal keeps it quiet */
	bool quiet = o->quiet || !isatty(STDOUT_FILENO);

	if (args->n != 2)
		return berth_cli_args_exact(cli, 2, err);
	if (*args->v[0] == '\0')
		return berth_make_error(err, EINVAL, "source can not be empty");
	if (*args->v[1] == '\0')
		return berth_make_error(err, EINVAL, "destination can not be empty");
	berth_cli_cp_split(args->v[0], &sctr, &spath);
	berth_cli_cp_split(args->v[1], &dctr, &dpath);
	if (sctr && dctr)
		return berth_make_error(err, EINVAL, "copying between containers is not supported");
	if (!sctr && !dctr)
		return berth_make_error(err, EINVAL, "must specify at least one container source");
	signal(SIGPIPE, SIG_IGN);
	if (berth_archive_dl_load(err) < 0 || berth_cli_client(cli, &c, err) < 0)
		return -1;
	if (sctr)
		return copy_from(c, o, quiet, sctr, spath, dpath, err);
	return copy_to(c, o, quiet, dctr, spath, dpath, err);
}

#define CP_USE                                          \
	"cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n" \
	"\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH"

#define CP_LONG                                                               \
	"Copy files/folders between a container and the local filesystem\n\n" \
	"Use '-' as the source to read a tar archive from stdin\n"            \
	"and extract it to a directory destination in a container.\n"         \
	"Use '-' as the destination to stream a tar archive of a\n"           \
	"container source to stdout."

/* the same command at the top and in the `container` group */
#define CP_COMMAND                                                                               \
	{                                                                                        \
		.name = "cp", .use = CP_USE,                                                     \
		.short_desc = "Copy files/folders between a container and the local filesystem", \
		.long_desc = CP_LONG, .aliases = "container cp, cp", .opts = cp_options,         \
		.nopts = BERTH_ARRAY_SIZE(cp_options), .opts_size = sizeof(struct cp_opts),      \
		.takes_args = true, .run = run_cp                                                \
	}

const struct berth_command berth_cmd_cp = CP_COMMAND;
const struct berth_command berth_cmd_container_cp = CP_COMMAND;
