/* cmd_image_save.c: `berth save` and `berth image save`: GET /images/get
 * streamed to stdout (never to a terminal) or, with -o, to a temporary file
 * renamed over the target once complete, as docker's atomicwriter. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/image_internal.h"

static const char save_use[] = "save [OPTIONS] IMAGE [IMAGE...]";

struct save_opts {
	const char *output;
};

static const struct berth_opt save_options[] = {
	{ "output", 'o', BERTH_OPT_STRING, offsetof(struct save_opts, output), "string",
	  "Write to a file, instead of STDOUT", NULL, NULL },
};

/* What atomicwriter refuses to replace, by file type. */
static const struct {
	mode_t type;
	const char *msg;
} refused_types[] = {
	{ S_IFDIR, "cannot write to a directory" },
	{ S_IFLNK, "cannot write to a symbolic link directly" },
	{ S_IFIFO, "cannot write to a named pipe (FIFO)" },
	{ S_IFSOCK, "cannot write to a socket" },
	{ S_IFCHR, "cannot write to a character device file" },
	{ S_IFBLK, "cannot write to a block device file" },
};

/* atomicwriter's validateDestination. */
static int check_destination(const char *file, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(file);
	const char *dir = dirname(copy);
	struct stat st;

	if (strcmp(dir, ".") != 0 && strcmp(dir, "..") != 0) {
		if (stat(dir, &st) < 0)
			return berth_cli_image_syserr(err, errno, "invalid output path: stat %s",
						      dir);
		if (!S_ISDIR(st.st_mode))
			return berth_cli_image_syserr(err, ENOTDIR, "invalid output path: stat %s",
						      dir);
	}
	if (lstat(file, &st) < 0)
		return errno == ENOENT
			   ? 0
			   : berth_cli_image_syserr(err, errno,
						    "failed to stat output path: lstat %s", file);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(refused_types); i++)
		if ((st.st_mode & S_IFMT) == refused_types[i].type)
			return berth_make_error(err, EINVAL, "%s", refused_types[i].msg);
	if (st.st_mode & (S_ISUID | S_ISGID | S_ISVTX))
		return berth_make_error(err, EINVAL, "cannot write to a %s file",
					st.st_mode & S_ISUID   ? "setuid"
					: st.st_mode & S_ISGID ? "setgid"
							       : "sticky bit");
	return 0;
}

/* The temporary file next to FILE: ".tmp-<name>XXXXXX". */
static int create_temp(const char *file, char **tmp, berth_error_t *err)
{
	cleanup_free char *d = xstrdup(file);
	cleanup_free char *b = xstrdup(file);
	int fd;

	*tmp = xasprintf("%s/.tmp-%sXXXXXX", dirname(d), basename(b));
	fd = mkstemp(*tmp);
	if (fd < 0) {
		berth_cli_image_syserr(err, errno, "open %s", *tmp);
		free(steal_pointer(tmp));
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Close as atomicwriter: sync, mode 0600, rename when it all went well. */
static int finish_temp(int fd, const char *tmp, const char *file, bool ok, berth_error_t *err)
{
	int ret = 0;

	if (fsync(fd) < 0)
		ret = berth_cli_image_syserr(err, errno, "sync %s", tmp);
	if (close(fd) < 0 && ret == 0)
		ret = berth_cli_image_syserr(err, errno, "close %s", tmp);
	if (ret == 0 && chmod(tmp, 0600) < 0)
		ret = berth_cli_image_syserr(err, errno, "chmod %s", tmp);
	if (ret == 0 && ok && rename(tmp, file) < 0)
		ret = berth_cli_image_syserr(err, errno, "rename %s %s", tmp, file);
	unlink(tmp); /* gone after a rename; else the leftovers */
	return ret;
}

static int save_to(struct berth_client *client, const struct berth_strv *args, int fd,
		   berth_error_t *err)
{
	struct berth_cli_image_xfer x = {
		.method = "GET", .path = "/images/get", .in_fd = -1, .out_fd = fd
	};
	cleanup_free char *query = NULL;

	for (size_t i = 0; i < args->n; i++)
		berth_client_query_add(&query, "names", args->v[i]);
	x.query = query;
	return berth_cli_image_xfer_run(client, &x, err);
}

static int save_file(struct berth_client *client, const struct berth_strv *args, const char *file,
		     berth_error_t *err)
{
	cleanup_free char *tmp = NULL;
	int fd, ret;

	if (check_destination(file, err) < 0)
		return berth_error_wrap(err, "failed to save image");
	fd = create_temp(file, &tmp, err);
	if (fd < 0)
		return berth_error_wrap(err, "failed to save image");
	ret = save_to(client, args, fd, err);
	if (ret < 0) {
		berth_error_t ignored = NULL;
		finish_temp(fd, tmp, file, false, &ignored);
		berth_error_release(&ignored);
		return ret;
	}
	return finish_temp(fd, tmp, file, true, err);
}

static int run_save(struct berth_cli *cli, struct save_opts *opts, const struct berth_strv *args,
		    const char *path, berth_error_t *err)
{
	struct berth_client *client;

	if (args->n < 1)
		return berth_cli_image_args_min(path, save_use, 1, err);
	if ((opts->output == NULL || *opts->output == '\0') && berth_cli_image_stdout_is_tty())
		return berth_make_error(
		    err, EINVAL,
		    "cowardly refusing to save to a terminal. Use the -o flag or redirect");
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	if (opts->output && *opts->output)
		return save_file(client, args, opts->output, err);
	fflush(stdout);
	return save_to(client, args, STDOUT_FILENO, err);
}

static int run_save_top(struct berth_cli *cli, void *o, const struct berth_strv *args,
			berth_error_t *err)
{
	return run_save(cli, o, args, "berth save", err);
}

static int run_image_save(struct berth_cli *cli, void *o, const struct berth_strv *args,
			  berth_error_t *err)
{
	return run_save(cli, o, args, "berth image save", err);
}

const struct berth_command berth_cmd_save = {
	.name = "save",
	.use = save_use,
	.short_desc = "Save one or more images to a tar archive (streamed to STDOUT by default)",
	.aliases = "image save, save",
	.opts = save_options,
	.nopts = BERTH_ARRAY_SIZE(save_options),
	.opts_size = sizeof(struct save_opts),
	.takes_args = true,
	.run = run_save_top,
};

const struct berth_command berth_cmd_image_save = {
	.name = "save",
	.use = save_use,
	.short_desc = "Save one or more images to a tar archive (streamed to STDOUT by default)",
	.aliases = "image save, save",
	.opts = save_options,
	.nopts = BERTH_ARRAY_SIZE(save_options),
	.opts_size = sizeof(struct save_opts),
	.takes_args = true,
	.run = run_image_save,
};
