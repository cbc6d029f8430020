/* cmd_container_run.c: `berth create` and `berth run`, as docker's
 * createContainer and runContainer: the request built from the flags,
 * POST /containers/create, and on "No such image" the image pulled (its
 * progress on stderr) and the create tried again. `run` then attaches
 * (hijacked), asks to wait for the next exit (or the removal with --rm)
 * before it starts the container, streams, and exits with the container's
 * exit code. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/reference.h"
#include "base/xalloc.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"
#include "cli/jsonmessage.h"

/* ---- pulling the image (docker's pullImage: progress on stderr) ---- */

struct pull_display {
	struct berth_jsonmessage *jm; /* owned */
	struct berth_strbuf out;      /* owned */
	bool quiet;
	berth_error_t err; /* owned: the in-band error */
};

static int on_pull_line(const char *line, size_t len, void *data)
{
	struct pull_display *d = data;
	int ret = berth_jsonmessage_display(d->jm, line, len, &d->err);

	if (!d->quiet && d->out.len)
		fwrite(d->out.buf, 1, d->out.len, stderr);
	fflush(stderr);
	berth_strbuf_reset(&d->out);
	return ret;
}

static int pull_image(struct berth_client *c, const struct berth_ref *ref, const char *platform,
		      bool quiet, berth_error_t *err)
{
	cleanup_free char *auth = berth_cli_image_registry_auth(ref);
	cleanup_free char *name = berth_ref_familiar_name(ref);
	cleanup_free char *query = NULL;
	bool tty = !quiet && isatty(STDERR_FILENO);
	struct pull_display d = { .quiet = quiet };
	struct berth_cli_image_xfer x = {
		.method = "POST", .path = "/images/create", .in_fd = -1, .out_fd = -1
	};
	int ret;

	berth_client_query_add(&query, "fromImage", name);
	if (platform && *platform)
		berth_client_query_add(&query, "platform", platform);
	berth_client_query_add(&query, "tag", ref->digest ? ref->digest : ref->tag);
	x.query = query;
	x.registry_auth = auth;
	x.line_cb = on_pull_line;
	x.cb_data = &d;
	d.jm = berth_jsonmessage_new(&d.out, tty, 0);
	ret = berth_cli_image_xfer_run(c, &x, err);
	if (ret == 0 && d.err) {
		*err = steal_pointer(&d.err);
		ret = -1;
	}
	berth_error_release(&d.err);
	berth_jsonmessage_free(d.jm);
	berth_strbuf_release(&d.out);
	return ret;
}

/* ---- creating ---- */

struct create_ctx {
	struct berth_cli *cli;
	struct berth_client *client; /* borrowed */
	const struct berth_cli_create_opts *o;
	json_t *body; /* owned */
};

static int post_create(struct create_ctx *cx, char **id, berth_error_t *err)
{
	cleanup_free char *query = NULL;
	char *text = json_dumps(cx->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_t *resp = NULL, *w;
	size_t i;
	int ret;

	if (cx->o->name && *cx->o->name)
		berth_client_query_add(&query, "name", cx->o->name);
	if (cx->o->platform && *cx->o->platform)
		berth_client_query_add(&query, "platform", cx->o->platform);
	ret = berth_client_call_json(cx->client, "POST", "/containers/create", query, text, &resp,
				     err);
	free(text);
	if (ret < 0)
		return -1;
	*id = xstrdup(berth_cli_image_str(resp, "Id"));
	json_array_foreach (json_object_get(resp, "Warnings"), i, w)
		fprintf(stderr, "WARNING: %s\n", json_string_value(w));
	json_decref(resp);
	return 0;
}

/* The localhost --dns warning docker adds on the client side. */
static void dns_warning(const struct berth_cli_create_opts *o)
{
	for (size_t i = 0; i < o->dns.n; i++) {
		const char *d = o->dns.v[i];
		if (strncmp(d, "127.", 4) == 0 || strcmp(d, "::1") == 0) {
			fprintf(stderr, "WARNING: Localhost DNS (%s) may fail in containers.\n", d);
			return;
		}
	}
}

static int write_cidfile(const char *path, const char *id, berth_error_t *err)
{
	cleanup_file FILE *f = NULL;

	if (path == NULL || *path == '\0')
		return 0;
	f = fopen(path, "we");
	if (f == NULL || fputs(id, f) < 0)
		return berth_cli_image_syserr(err, errno, "failed to create the container ID file");
	return 0;
}

static int check_cidfile(const char *path, berth_error_t *err)
{
	struct stat st;

	if (path && *path && stat(path, &st) == 0)
		return berth_make_error(
		    err, EEXIST,
		    "container ID file found, make sure the other container isn't running or delete %s",
		    path);
	return 0;
}

/* docker's createContainer. */
static int create_container(struct create_ctx *cx, char **id, berth_error_t *err)
{
	const struct berth_cli_create_opts *o = cx->o;
	const char *image = json_string_value(json_object_get(cx->body, "Image"));
	const char *pull = o->pull ? o->pull : "missing";
	struct berth_ref ref;
	bool named;
	int ret;

	if (check_cidfile(o->cidfile, err) < 0)
		return -1;
	named = berth_ref_parse(image, &ref, err) == 0;
	if (!named)
		return -1;
	berth_ref_default_tag(&ref);
	ret = strcmp(pull, "always") == 0 ? pull_image(cx->client, &ref, o->platform, o->quiet, err)
					  : 0;
	if (ret == 0)
		ret = post_create(cx, id, err);
	if (ret < 0 && berth_error_code(*err) == ENOENT && strcmp(pull, "missing") == 0 &&
	    strstr((*err)->msg, "No such image")) {
		cleanup_free char *fam = berth_ref_familiar(&ref);
		berth_error_release(err);
		if (!o->quiet)
			fprintf(stderr, "Unable to find image '%s' locally\n", fam);
		ret = pull_image(cx->client, &ref, o->platform, o->quiet, err);
		if (ret == 0)
			ret = post_create(cx, id, err);
	}
	berth_ref_release(&ref);
	if (ret == 0)
		dns_warning(o);
	if (ret == 0 && write_cidfile(o->cidfile, *id, err) < 0)
		return -1;
	return ret;
}

/* Checks and builds the request; errors get docker's "--help" hint and 125. */
static int prepare(struct berth_cli *cli, const struct berth_cli_create_opts *o,
		   const struct berth_strv *args, const char *cmd, json_t **body,
		   berth_error_t *err)
{
	const char *pull = o->pull ? o->pull : "missing";

	if (strcmp(pull, "always") && strcmp(pull, "missing") && strcmp(pull, "never"))
		berth_make_error(
		    err, EINVAL,
		    "invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"",
		    pull);
	else if (!o->disable_trust)
		berth_make_error(err, ENOTSUP, "content trust is not supported by berth");
	else if (berth_cli_container_config(o, args->v[0], args->v + 1, args->n - 1, body, err) ==
		 0)
		return 0;
	cli->status = BERTH_EXIT_DAEMON;
	char *msg =
	    xasprintf("berth: %s\n\nRun 'berth %s --help' for more information", (*err)->msg, cmd);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

int berth_cli_cmd_create(struct berth_cli *cli, void *opts, const struct berth_strv *args,
			 berth_error_t *err)
{
	struct create_ctx cx = { .cli = cli, .o = opts };
	cleanup_free char *id = NULL;
	int ret;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	if (prepare(cli, opts, args, "create", &cx.body, err) < 0)
		return -1;
	ret = berth_cli_client(cli, &cx.client, err);
	if (ret == 0)
		ret = create_container(&cx, &id, err);
	json_decref(cx.body);
	if (ret == 0)
		printf("%s\n", id);
	return ret;
}

/* ---- running ---- */

struct run_state {
	struct create_ctx cx;
	char *id; /* owned */
	bool in, out, errs, tty;
	struct berth_http_conn attach;
	struct berth_http_conn wait;
	int status;
};

static char *attach_query(const struct run_state *rs, const char *detach_keys)
{
	char *q = NULL;

	if (detach_keys && *detach_keys)
		berth_client_query_add(&q, "detachKeys", detach_keys);
	if (rs->errs)
		berth_client_query_add(&q, "stderr", "1");
	if (rs->in)
		berth_client_query_add(&q, "stdin", "1");
	if (rs->out)
		berth_client_query_add(&q, "stdout", "1");
	berth_client_query_add(&q, "stream", "1");
	return q;
}

/* Attach (when anything is attached) and wait, then start. */
static int attach_and_start(struct run_state *rs, berth_error_t *err)
{
	const struct berth_cli_create_opts *o = rs->cx.o;
	cleanup_free char *apath = berth_cli_container_path(rs->id, "attach");
	cleanup_free char *wpath = berth_cli_container_path(rs->id, "wait");
	cleanup_free char *spath = berth_cli_container_path(rs->id, "start");
	cleanup_free char *q = NULL;

	if (rs->in || rs->out || rs->errs) {
		q = attach_query(rs, o->detach_keys);
		if (berth_cli_conn_open(rs->cx.client, "POST", apath, q, NULL, true, &rs->attach,
					err) < 0)
			return -1;
	}
	if (berth_cli_conn_open(rs->cx.client, "POST", wpath,
				o->rm ? "condition=removed" : "condition=next-exit", NULL, false,
				&rs->wait, err) < 0)
		return -1;
	if (berth_client_call_json(rs->cx.client, "POST", spath, NULL, NULL, NULL, err) < 0) {
		if (o->rm) /* wait until it is removed */
			berth_cli_wait_result(&rs->wait);
		return -1;
	}
	return 0;
}

static int stream_run(struct run_state *rs, berth_error_t *err)
{
	const struct berth_cli_create_opts *o = rs->cx.o;
	cleanup_free char *resize = berth_cli_container_path(rs->id, "resize");
	cleanup_free char *kill = berth_cli_container_path(rs->id, "kill");
	struct berth_cli_stream_opts so = {
		.tty = rs->tty,
		.in = rs->in,
		.out = rs->out,
		.err = rs->errs,
		.raw_terminal = rs->tty && rs->in && isatty(STDIN_FILENO),
		.detach_keys = o->detach_keys,
		.client = rs->cx.client,
		.resize_path = rs->tty ? resize : NULL,
		.kill_path = o->sig_proxy ? kill : NULL,
		.wait = &rs->wait,
		.wait_status = &rs->status,
	};
	int ret;

	if (rs->tty && isatty(STDOUT_FILENO))
		berth_cli_resize(rs->cx.client, resize);
	rs->status = -1;
	ret = berth_cli_stream(&rs->attach, &so, err);
	if (ret != 0)
		return ret < 0 ? -1 : 0; /* 1: detached, exit 0 */
	if (rs->status < 0)
		rs->status = berth_cli_wait_result(&rs->wait);
	return rs->status;
}

static int run_flow(struct run_state *rs, berth_error_t *err)
{
	const struct berth_cli_create_opts *o = rs->cx.o;
	struct berth_cli *cli = rs->cx.cli;

	if (berth_cli_client(cli, &rs->cx.client, err) < 0)
		return -1;
	if (create_container(&rs->cx, &rs->id, err) < 0)
		return berth_cli_run_status_error(cli, "run", err);
	if (attach_and_start(rs, err) < 0)
		return berth_cli_run_status_error(cli, "run", err);
	if (!(rs->in || rs->out || rs->errs)) {
		printf("%s\n", rs->id);
		return 0;
	}
	(void)o;
	return stream_run(rs, err);
}

/* The attach flags of the request, cleared for -d as docker does. */
static int run_attach_flags(struct run_state *rs, const struct berth_cli_create_opts *o,
			    berth_error_t *err)
{
	json_t *b = rs->cx.body;

	if (o->detach) {
		if (o->attach.n)
			return berth_make_error(
			    err, EINVAL,
			    "conflicting options: cannot specify both --attach and --detach");
		json_object_set_new(b, "AttachStdin", json_false());
		json_object_set_new(b, "AttachStdout", json_false());
		json_object_set_new(b, "AttachStderr", json_false());
		json_object_set_new(b, "StdinOnce", json_false());
	}
	rs->in = json_is_true(json_object_get(b, "AttachStdin"));
	rs->out = json_is_true(json_object_get(b, "AttachStdout"));
	rs->errs = json_is_true(json_object_get(b, "AttachStderr"));
	rs->tty = json_is_true(json_object_get(b, "Tty"));
	if (!o->detach && rs->in && rs->tty && !isatty(STDIN_FILENO))
		return berth_make_error(err, ENOTTY, "the input device is not a TTY");
	return 0;
}

int berth_cli_cmd_run(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err)
{
	const struct berth_cli_create_opts *o = opts;
	struct run_state rs = { .cx = { .cli = cli, .o = o },
				.attach = BERTH_HTTP_CONN_INIT,
				.wait = BERTH_HTTP_CONN_INIT };
	int ret;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	if (prepare(cli, o, args, "run", &rs.cx.body, err) < 0)
		return -1;
	ret = run_attach_flags(&rs, o, err);
	if (ret == 0)
		ret = run_flow(&rs, err);
	berth_cli_conn_close(&rs.attach);
	berth_cli_conn_close(&rs.wait);
	json_decref(rs.cx.body);
	free(rs.id);
	return ret;
}
