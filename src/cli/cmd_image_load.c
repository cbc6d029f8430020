/* cmd_image_load.c: `berth load` and `berth image load`: the tar archive
 * from -i FILE or stdin streamed to POST /images/load, and the daemon's
 * answer shown as docker shows it ("Loaded image: busybox:latest"). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/image_internal.h"

struct load_opts {
	const char *input;
	bool quiet;
};

static const struct berth_opt load_options[] = {
	{ "input", 'i', BERTH_OPT_STRING, offsetof(struct load_opts, input), "string",
	  "Read from tar archive file, instead of STDIN", NULL, NULL },
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct load_opts, quiet), NULL,
	  "Suppress the load output", NULL, NULL },
};

/* The body of a daemon that does not answer in JSON goes out as it is. */
struct raw_or_json {
	struct berth_cli_image_xfer *x; /* borrowed */
	struct berth_jsonmessage *jm;	/* owned */
	struct berth_strbuf out;	/* owned */
	berth_error_t err;		/* owned: an in-band error */
};

static int on_line(const char *line, size_t len, void *data)
{
	struct raw_or_json *st = data;
	int ret = 0;

	if (st->x->json_body) {
		ret = berth_jsonmessage_display(st->jm, line, len, &st->err);
	} else {
		berth_strbuf_append(&st->out, line, len);
		berth_strbuf_puts(&st->out, "\n");
	}
	berth_cli_print(&st->out);
	berth_strbuf_reset(&st->out);
	return ret;
}

static int load_from(struct berth_client *client, int fd, bool quiet, berth_error_t *err)
{
	struct berth_cli_image_xfer x = { .method = "POST",
					  .path = "/images/load",
					  .in_fd = fd,
					  .out_fd = -1,
					  .line_cb = on_line };
	bool tty = berth_cli_image_stdout_is_tty();
	struct raw_or_json st = { .x = &x };
	int ret;

	/* a terminal gets the progress, anything else docker asks to keep quiet */
	x.query = quiet || !tty ? "quiet=1" : "quiet=0";
	x.cb_data = &st;
	st.jm = berth_jsonmessage_new(&st.out, tty, tty ? berth_cli_image_stdout_width() : 0);
	ret = berth_cli_image_xfer_run(client, &x, err);
	if (ret == 0 && st.err) {
		*err = steal_pointer(&st.err);
		ret = -1;
	}
	berth_error_release(&st.err);
	berth_jsonmessage_free(st.jm);
	berth_strbuf_release(&st.out);
	return ret;
}

static int run_load(struct berth_cli *cli, void *o, const struct berth_strv *args,
		    berth_error_t *err)
{
	struct load_opts *opts = o;
	cleanup_close int fd = -1;
	struct berth_client *client;

	if (opts->input == NULL || *opts->input == '\0') {
		if (isatty(STDIN_FILENO) == 1)
			return berth_make_error(err, EINVAL,
						"requested load from stdin, but stdin is empty");
	} else {
		fd = open(opts->input, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return berth_cli_image_syserr(err, errno, "open %s", opts->input);
	}
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	return load_from(client, fd >= 0 ? fd : STDIN_FILENO, opts->quiet, err);
}

const struct berth_command berth_cmd_load = {
	.name = "load",
	.use = "load [OPTIONS]",
	.short_desc = "Load an image from a tar archive or STDIN",
	.aliases = "image load, load",
	.opts = load_options,
	.nopts = BERTH_ARRAY_SIZE(load_options),
	.opts_size = sizeof(struct load_opts),
	.run = run_load,
};

const struct berth_command berth_cmd_image_load = {
	.name = "load",
	.use = "load [OPTIONS]",
	.short_desc = "Load an image from a tar archive or STDIN",
	.aliases = "image load, load",
	.opts = load_options,
	.nopts = BERTH_ARRAY_SIZE(load_options),
	.opts_size = sizeof(struct load_opts),
	.run = run_load,
};
