/* cmd_container_life.c: the commands that act on containers by name and
 * print each name back: start, stop, kill, restart, rm, pause, unpause,
 * wait, rename — docker's texts, the errors joined at the end. `start -a`
 * attaches the way run does. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"

/* POST /containers/NAME/ACTION?QUERY, no body. */
static int post_action(struct berth_client *c, const char *name, const char *action,
		       const char *query, berth_error_t *err)
{
	cleanup_free char *path = berth_cli_container_path(name, action);

	return berth_client_call_json(c, "POST", path, query, NULL, NULL, err);
}

/* ---- stop, restart, kill ---- */

struct stop_opts {
	const char *signal;
	const char *timeout;
	const char *time; /* deprecated --time */
};

static const struct berth_opt stop_options[] = {
	{ "signal", 's', BERTH_OPT_STRING, offsetof(struct stop_opts, signal), "string",
	  "Signal to send to the container", NULL, NULL },
	{ "timeout", 't', BERTH_OPT_STRING, offsetof(struct stop_opts, timeout), "int",
	  "Seconds to wait before killing the container", NULL, NULL },
	{ "time", 0, BERTH_OPT_STRING, offsetof(struct stop_opts, time), "int",
	  "Seconds to wait before killing the container (deprecated: use --timeout)", NULL, NULL,
	  true },
};

static int check_int_flag(const char *v, const char *label, berth_error_t *err)
{
	int64_t n;

	if (v && !berth_cli_parse_int(v, &n))
		return berth_make_error(
		    err, EINVAL,
		    "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax",
		    v, label, v);
	return 0;
}

static char *stop_query(const struct stop_opts *o)
{
	const char *t = o->timeout ? o->timeout : o->time;
	char *q = NULL;

	if (o->signal && *o->signal)
		berth_client_query_add(&q, "signal", o->signal);
	if (t)
		berth_client_query_add(&q, "t", t);
	return q;
}

static int stop_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	return post_action(c, name, "stop", arg, err);
}

static int restart_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	return post_action(c, name, "restart", arg, err);
}

static int run_stop_like(struct berth_cli *cli, void *o, const struct berth_strv *args,
			 berth_cli_each_fn op, berth_error_t *err)
{
	struct stop_opts *opts = o;
	cleanup_free char *q = NULL;

	if (check_int_flag(opts->timeout, "-t, --timeout", err) < 0 ||
	    check_int_flag(opts->time, "--time", err) < 0) {
		cli->status = BERTH_EXIT_USAGE;
		return -1;
	}
	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	if (opts->time)
		fprintf(stderr, "Flag --time has been deprecated, use --timeout instead\n");
	q = stop_query(opts);
	return berth_cli_each(cli, args, op, q, true, err);
}

static int run_stop(struct berth_cli *cli, void *o, const struct berth_strv *args,
		    berth_error_t *err)
{
	return run_stop_like(cli, o, args, stop_one, err);
}

static int run_restart(struct berth_cli *cli, void *o, const struct berth_strv *args,
		       berth_error_t *err)
{
	return run_stop_like(cli, o, args, restart_one, err);
}

struct kill_opts {
	const char *signal;
};

static const struct berth_opt kill_options[] = {
	{ "signal", 's', BERTH_OPT_STRING, offsetof(struct kill_opts, signal), "string",
	  "Signal to send to the container", NULL, NULL },
};

static int kill_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	return post_action(c, name, "kill", arg, err);
}

static int run_kill(struct berth_cli *cli, void *o, const struct berth_strv *args,
		    berth_error_t *err)
{
	const struct kill_opts *opts = o;
	cleanup_free char *q = NULL;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	if (opts->signal && *opts->signal)
		berth_client_query_add(&q, "signal", opts->signal);
	return berth_cli_each(cli, args, kill_one, q, true, err);
}

/* ---- pause, unpause, wait ---- */

static int pause_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	return post_action(c, name, arg, NULL, err);
}

static int run_pause(struct berth_cli *cli, void *o, const struct berth_strv *args,
		     berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_each(cli, args, pause_one, "pause", true, err);
}

static int run_unpause(struct berth_cli *cli, void *o, const struct berth_strv *args,
		       berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_each(cli, args, pause_one, "unpause", true, err);
}

static int wait_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	cleanup_free char *path = berth_cli_container_path(name, "wait");
	json_t *res = NULL;

	if (berth_client_call_json(c, "POST", path, NULL, NULL, &res, err) < 0)
		return -1;
	printf("%lld\n", (long long)berth_cli_image_num(res, "StatusCode"));
	fflush(stdout);
	json_decref(res);
	return 1; /* printed its own line */
}

static int run_wait(struct berth_cli *cli, void *o, const struct berth_strv *args,
		    berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_each(cli, args, wait_one, NULL, true, err);
}

/* ---- rm ---- */

struct rm_opts {
	bool volumes;
	bool link;
	bool force;
};

static const struct berth_opt rm_options[] = {
	{ "volumes", 'v', BERTH_OPT_BOOL, offsetof(struct rm_opts, volumes), NULL,
	  "Remove anonymous volumes associated with the container", NULL, NULL },
	{ "link", 'l', BERTH_OPT_BOOL, offsetof(struct rm_opts, link), NULL,
	  "Remove the specified link", NULL, NULL },
	{ "force", 'f', BERTH_OPT_BOOL, offsetof(struct rm_opts, force), NULL,
	  "Force the removal of a running container (uses SIGKILL)", NULL, NULL },
};

static int rm_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	const struct rm_opts *o = arg;
	cleanup_free char *trimmed = xstrdup(name + strspn(name, "/"));
	cleanup_free char *path = NULL;
	cleanup_free char *q = NULL;
	size_t len = strlen(trimmed);

	while (len && trimmed[len - 1] == '/')
		trimmed[--len] = '\0';
	if (len == 0)
		return berth_make_error(err, EINVAL, "container name cannot be empty");
	path = berth_cli_container_path(trimmed, NULL);
	if (o->force)
		berth_client_query_add(&q, "force", "1");
	if (o->link)
		berth_client_query_add(&q, "link", "1");
	if (o->volumes)
		berth_client_query_add(&q, "v", "1");
	if (berth_client_call_json(c, "DELETE", path, q, NULL, NULL, err) == 0)
		return 0;
	if (o->force && berth_error_code(*err) == ENOENT) {
		fprintf(stderr, "%s\n", (*err)->msg);
		berth_error_release(err);
		return 1;
	}
	return -1;
}

static int run_rm(struct berth_cli *cli, void *o, const struct berth_strv *args, berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_each(cli, args, rm_one, o, true, err);
}

/* ---- rename ---- */

static char *trim(const char *s)
{
	size_t len;

	s += strspn(s, " \t\n\r\v\f");
	len = strlen(s);
	while (len && strchr(" \t\n\r\v\f", s[len - 1]))
		len--;
	return xstrndup(s, len);
}

static int run_rename(struct berth_cli *cli, void *o, const struct berth_strv *args,
		      berth_error_t *err)
{
	cleanup_free char *old = NULL;
	cleanup_free char *new_name = NULL;
	cleanup_free char *q = NULL;
	struct berth_client *c;

	if (args->n != 2)
		return berth_cli_args_exact(cli, 2, err);
	old = trim(args->v[0]);
	new_name = trim(args->v[1]);
	if (*old == '\0' || *new_name == '\0')
		return berth_make_error(err, EINVAL,
					"Error: Neither old nor new names may be empty");
	if (berth_cli_client(cli, &c, err) < 0)
		return -1;
	berth_client_query_add(&q, "name", new_name);
	if (post_action(c, old, "rename", q, err) < 0) {
		fprintf(stderr, "%s\n", (*err)->msg);
		berth_error_release(err);
		return berth_make_error(err, EIO, "Error: failed to rename container named %s",
					old);
	}
	return 0;
}

/* ---- start ---- */

struct start_opts {
	bool attach;
	bool interactive;
	const char *detach_keys;
	const char *checkpoint;
	const char *checkpoint_dir;
};

static const struct berth_opt start_options[] = {
	{ "attach", 'a', BERTH_OPT_BOOL, offsetof(struct start_opts, attach), NULL,
	  "Attach STDOUT/STDERR and forward signals", NULL, NULL },
	{ "interactive", 'i', BERTH_OPT_BOOL, offsetof(struct start_opts, interactive), NULL,
	  "Attach container's STDIN", NULL, NULL },
	{ "detach-keys", 0, BERTH_OPT_STRING, offsetof(struct start_opts, detach_keys), "string",
	  "Override the key sequence for detaching a container", NULL, NULL },
	{ "checkpoint", 0, BERTH_OPT_STRING, offsetof(struct start_opts, checkpoint), "string",
	  "Restore from this checkpoint", NULL, NULL, true },
	{ "checkpoint-dir", 0, BERTH_OPT_STRING, offsetof(struct start_opts, checkpoint_dir),
	  "string", "Use a custom checkpoint storage directory", NULL, NULL, true },
};

static int start_plain(struct berth_cli *cli, const struct berth_strv *args, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf failed = BERTH_STRBUF_INIT;
	struct berth_client *c;

	if (berth_cli_client(cli, &c, err) < 0)
		return -1;
	for (size_t i = 0; i < args->n; i++) {
		berth_error_t e = NULL;
		if (post_action(c, args->v[i], "start", NULL, &e) < 0) {
			fprintf(stderr, "%s\n", e->msg);
			berth_error_release(&e);
			berth_strbuf_printf(&failed, "%s%s", failed.len ? ", " : "", args->v[i]);
			continue;
		}
		printf("%s\n", args->v[i]);
		fflush(stdout);
	}
	if (failed.len)
		return berth_make_error(err, EIO, "Error: failed to start containers: %s",
					failed.buf);
	return 0;
}

struct start_state {
	struct berth_client *c; /* borrowed */
	const char *id;		/* borrowed from the inspect result */
	bool tty, in, rm;
	struct berth_http_conn attach, wait;
};

static int start_attached_flow(struct start_state *st, const struct start_opts *o,
			       berth_error_t *err)
{
	cleanup_free char *apath = berth_cli_container_path(st->id, "attach");
	cleanup_free char *wpath = berth_cli_container_path(st->id, "wait");
	cleanup_free char *resize = berth_cli_container_path(st->id, "resize");
	cleanup_free char *kill = berth_cli_container_path(st->id, "kill");
	cleanup_free char *q = NULL;
	int status = -1, ret;

	if (o->detach_keys && *o->detach_keys)
		berth_client_query_add(&q, "detachKeys", o->detach_keys);
	berth_client_query_add(&q, "stderr", "1");
	if (st->in)
		berth_client_query_add(&q, "stdin", "1");
	berth_client_query_add(&q, "stdout", "1");
	berth_client_query_add(&q, "stream", "1");
	if (berth_cli_conn_open(st->c, "POST", apath, q, NULL, true, &st->attach, err) < 0)
		return -1;
	if (berth_cli_conn_open(st->c, "POST", wpath,
				st->rm ? "condition=removed" : "condition=next-exit", NULL, false,
				&st->wait, err) < 0)
		return -1;
	if (post_action(st->c, st->id, "start", NULL, err) < 0)
		return -1;
	if (st->tty && isatty(STDOUT_FILENO))
		berth_cli_resize(st->c, resize);
	struct berth_cli_stream_opts so = {
		.tty = st->tty,
		.in = st->in,
		.out = true,
		.err = true,
		.raw_terminal = st->tty && st->in && isatty(STDIN_FILENO),
		.detach_keys = o->detach_keys,
		.client = st->c,
		.resize_path = st->tty ? resize : NULL,
		.kill_path = st->tty ? NULL : kill,
		.wait = &st->wait,
		.wait_status = &status,
	};
	ret = berth_cli_stream(&st->attach, &so, err);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	return status >= 0 ? status : berth_cli_wait_result(&st->wait);
}

static int start_attached(struct berth_cli *cli, const struct start_opts *o, const char *name,
			  berth_error_t *err)
{
	struct start_state st = { .attach = BERTH_HTTP_CONN_INIT, .wait = BERTH_HTTP_CONN_INIT };
	cleanup_free char *path = berth_cli_container_path(name, "json");
	json_t *info = NULL, *cfg;
	int ret;

	if (berth_cli_client(cli, &st.c, err) < 0 ||
	    berth_client_call_json(st.c, "GET", path, NULL, NULL, &info, err) < 0)
		return -1;
	cfg = json_object_get(info, "Config");
	st.id = berth_cli_image_str(info, "Id");
	st.tty = json_is_true(json_object_get(cfg, "Tty"));
	st.in = o->interactive && json_is_true(json_object_get(cfg, "OpenStdin"));
	st.rm = json_is_true(json_object_get(json_object_get(info, "HostConfig"), "AutoRemove"));
	if (st.in && st.tty && !isatty(STDIN_FILENO))
		ret = berth_make_error(err, ENOTTY, "the input device is not a TTY");
	else
		ret = start_attached_flow(&st, o, err);
	berth_cli_conn_close(&st.attach);
	berth_cli_conn_close(&st.wait);
	json_decref(info);
	return ret;
}

static int run_start(struct berth_cli *cli, void *o, const struct berth_strv *args,
		     berth_error_t *err)
{
	const struct start_opts *opts = o;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	if (opts->attach || opts->interactive) {
		if (args->n > 1)
			return berth_make_error(
			    err, EINVAL, "you cannot start and attach multiple containers at once");
		return start_attached(cli, opts, args->v[0], err);
	}
	if (opts->checkpoint && *opts->checkpoint)
		return berth_make_error(err, ENOTSUP, "checkpoints are not supported by berth");
	return start_plain(cli, args, err);
}

/* ---- the table ---- */

#define CMD(var, n, u, desc, al, grp, table, type, fn)                       \
	const struct berth_command var = { .name = n,                        \
					   .use = u,                         \
					   .short_desc = desc,               \
					   .aliases = al,                    \
					   .group = grp,                     \
					   .opts = table,                    \
					   .nopts = BERTH_ARRAY_SIZE(table), \
					   .opts_size = sizeof(type),        \
					   .takes_args = true,               \
					   .run = fn }

/* each command twice: top-level and under `berth container` */
#define PAIR(top, sub, n, u, desc, al, table, type, fn)             \
	CMD(top, n, u, desc, al, BERTH_CMD_OTHER, table, type, fn); \
	CMD(sub, n, u, desc, al, BERTH_CMD_OTHER, table, type, fn)

struct no_opts {
	char unused;
};
/* commands without options: an empty table */
static const struct berth_opt no_table[] = {};

PAIR(berth_cmd_start, berth_cmd_container_start, "start",
     "start [OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
     "container start, start", start_options, struct start_opts, run_start);
PAIR(berth_cmd_stop, berth_cmd_container_stop, "stop", "stop [OPTIONS] CONTAINER [CONTAINER...]",
     "Stop one or more running containers", "container stop, stop", stop_options, struct stop_opts,
     run_stop);
PAIR(berth_cmd_restart, berth_cmd_container_restart, "restart",
     "restart [OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
     "container restart, restart", stop_options, struct stop_opts, run_restart);
PAIR(berth_cmd_kill, berth_cmd_container_kill, "kill", "kill [OPTIONS] CONTAINER [CONTAINER...]",
     "Kill one or more running containers", "container kill, kill", kill_options, struct kill_opts,
     run_kill);
PAIR(berth_cmd_rm, berth_cmd_container_rm, "rm", "rm [OPTIONS] CONTAINER [CONTAINER...]",
     "Remove one or more containers", "container rm, container remove, rm", rm_options,
     struct rm_opts, run_rm);
PAIR(berth_cmd_pause, berth_cmd_container_pause, "pause", "pause CONTAINER [CONTAINER...]",
     "Pause all processes within one or more containers", "container pause, pause", no_table,
     struct no_opts, run_pause);
PAIR(berth_cmd_unpause, berth_cmd_container_unpause, "unpause", "unpause CONTAINER [CONTAINER...]",
     "Unpause all processes within one or more containers", "container unpause, unpause", no_table,
     struct no_opts, run_unpause);
PAIR(berth_cmd_wait, berth_cmd_container_wait, "wait", "wait CONTAINER [CONTAINER...]",
     "Block until one or more containers stop, then print their exit codes", "container wait, wait",
     no_table, struct no_opts, run_wait);
PAIR(berth_cmd_rename, berth_cmd_container_rename, "rename", "rename CONTAINER NEW_NAME",
     "Rename a container", "container rename, rename", no_table, struct no_opts, run_rename);
