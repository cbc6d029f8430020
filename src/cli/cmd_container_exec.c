/* cmd_container_exec.c: `berth exec` and `berth attach`. exec creates the
 * exec (POST /containers/{id}/exec), starts it on a hijacked connection
 * (POST /exec/{id}/start with {"Detach":false,"Tty":...}), streams, then
 * exits with GET /exec/{id}/json's ExitCode. attach joins a running
 * container's streams and exits with its exit code. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/image_internal.h"

/* ---- exec ---- */

struct exec_opts {
	bool detach;
	const char *detach_keys;
	struct berth_strv env;
	struct berth_strv env_file;
	bool interactive;
	bool privileged;
	bool tty;
	const char *user;
	const char *workdir;
};

static int v_env(const char *s, berth_error_t *err)
{
	if (*s == '=' || *s == '\0')
		return berth_make_error(err, EINVAL, "invalid environment variable: %s", s);
	return 0;
}

static const struct berth_opt exec_options[] = {
	{ "detach", 'd', BERTH_OPT_BOOL, offsetof(struct exec_opts, detach), NULL,
	  "Detached mode: run command in the background", NULL, NULL },
	{ "detach-keys", 0, BERTH_OPT_STRING, offsetof(struct exec_opts, detach_keys), "string",
	  "Override the key sequence for detaching a container", NULL, NULL },
	{ "env", 'e', BERTH_OPT_LIST, offsetof(struct exec_opts, env), "list",
	  "Set environment variables", NULL, v_env },
	{ "env-file", 0, BERTH_OPT_LIST, offsetof(struct exec_opts, env_file), "list",
	  "Read in a file of environment variables", NULL, NULL },
	{ "interactive", 'i', BERTH_OPT_BOOL, offsetof(struct exec_opts, interactive), NULL,
	  "Keep STDIN open even if not attached", NULL, NULL },
	{ "privileged", 0, BERTH_OPT_BOOL, offsetof(struct exec_opts, privileged), NULL,
	  "Give extended privileges to the command", NULL, NULL },
	{ "tty", 't', BERTH_OPT_BOOL, offsetof(struct exec_opts, tty), NULL,
	  "Allocate a pseudo-TTY", NULL, NULL },
	{ "user", 'u', BERTH_OPT_STRING, offsetof(struct exec_opts, user), "string",
	  "Username or UID (format: \"<name|uid>[:<group|gid>]\")", NULL, NULL },
	{ "workdir", 'w', BERTH_OPT_STRING, offsetof(struct exec_opts, workdir), "string",
	  "Working directory inside the container", NULL, NULL },
};

static json_t *console_size(bool tty)
{
	struct winsize ws = { 0 };

	if (!tty)
		return NULL;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		ws.ws_row = ws.ws_col = 0;
	return json_pack("[i, i]", ws.ws_row, ws.ws_col);
}

/* parseExec: the body of POST /containers/{id}/exec, in the Go order. */
static int exec_body(const struct exec_opts *o, const struct berth_strv *args, json_t **out,
		     berth_error_t *err)
{
	struct berth_cli_create_opts env = { .env = o->env, .env_file = o->env_file };
	json_t *cfg = NULL, *cmd = json_array(), *b;

	/* the env and env files are read as create reads them */
	if (berth_cli_container_config(&env, "x", NULL, 0, &cfg, err) < 0) {
		json_decref(cmd);
		return -1;
	}
	for (size_t i = 1; i < args->n; i++)
		json_array_append_new(cmd, json_string(args->v[i]));
	b = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s}", "User", o->user ? o->user : "",
		      "Privileged", o->privileged, "Tty", o->tty, "AttachStdin",
		      !o->detach && o->interactive, "AttachStderr", !o->detach, "AttachStdout",
		      !o->detach, "Detach", o->detach, "DetachKeys",
		      o->detach_keys ? o->detach_keys : "");
	if (o->tty)
		json_object_set_new(b, "ConsoleSize", console_size(true));
	json_object_set(b, "Env", json_object_get(cfg, "Env"));
	json_object_set_new(b, "WorkingDir", json_string(o->workdir ? o->workdir : ""));
	json_object_set_new(b, "Cmd", cmd);
	json_decref(cfg);
	*out = b;
	return 0;
}

static int exec_create(struct berth_client *c, const char *name, const json_t *body, char **id,
		       berth_error_t *err)
{
	cleanup_free char *path = berth_cli_container_path(name, "exec");
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_t *resp = NULL;
	int ret;

	ret = berth_client_call_json(c, "POST", path, NULL, text, &resp, err);
	free(text);
	if (ret < 0)
		return -1;
	*id = xstrdup(berth_cli_image_str(resp, "Id"));
	json_decref(resp);
	if (**id == '\0')
		return berth_make_error(err, EPROTO, "exec ID empty");
	return 0;
}

static char *start_body(const struct exec_opts *o)
{
	json_t *b = json_pack("{s:b, s:b}", "Detach", o->detach, "Tty", o->tty);
	char *s;

	if (o->tty)
		json_object_set_new(b, "ConsoleSize", console_size(true));
	s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	return s;
}

static int exec_interactive(struct berth_client *c, const struct exec_opts *o, const char *id,
			    berth_error_t *err)
{
	cleanup_free char *spath = xasprintf("/exec/%s/start", id);
	cleanup_free char *rpath = xasprintf("/exec/%s/resize", id);
	cleanup_free char *ipath = xasprintf("/exec/%s/json", id);
	cleanup_free char *body = start_body(o);
	struct berth_http_conn conn = BERTH_HTTP_CONN_INIT;
	struct berth_cli_stream_opts so = {
		.tty = o->tty,
		.in = o->interactive,
		.out = true,
		.err = true,
		.raw_terminal = o->tty && o->interactive && isatty(STDIN_FILENO),
		.detach_keys = o->detach_keys,
		.client = c,
		.resize_path = o->tty ? rpath : NULL,
	};
	json_t *info = NULL;
	int ret;

	if (berth_cli_conn_open(c, "POST", spath, NULL, body, true, &conn, err) < 0)
		return -1;
	if (o->tty && isatty(STDIN_FILENO))
		berth_cli_resize(c, rpath);
	ret = berth_cli_stream(&conn, &so, err);
	berth_cli_conn_close(&conn);
	if (ret < 0)
		return -1;
	if (berth_client_call_json(c, "GET", ipath, NULL, NULL, &info, err) < 0)
		return -1;
	ret = (int)berth_cli_image_num(info, "ExitCode");
	json_decref(info);
	return ret;
}

static int run_exec(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		    berth_error_t *err)
{
	const struct exec_opts *o = opts;
	cleanup_free char *ipath = NULL;
	cleanup_free char *id = NULL;
	struct berth_client *c;
	json_t *body = NULL;
	int ret;

	if (args->n < 2)
		return berth_cli_args_min(cli, 2, err);
	if (exec_body(o, args, &body, err) < 0)
		return -1;
	ipath = berth_cli_container_path(args->v[0], "json");
	ret = berth_cli_client(cli, &c, err);
	if (ret == 0)
		ret = berth_client_call_json(c, "GET", ipath, NULL, NULL, NULL, err);
	if (ret == 0 && !o->detach && o->interactive && o->tty && !isatty(STDIN_FILENO))
		ret = berth_make_error(err, ENOTTY, "the input device is not a TTY");
	if (ret == 0)
		ret = exec_create(c, args->v[0], body, &id, err);
	json_decref(body);
	if (ret < 0)
		return -1;
	if (o->detach) {
		cleanup_free char *spath = xasprintf("/exec/%s/start", id);
		cleanup_free char *sbody = start_body(o);
		return berth_client_call_json(c, "POST", spath, NULL, sbody, NULL, err);
	}
	return exec_interactive(c, o, id, err);
}

/* ---- attach ---- */

struct attach_opts {
	const char *detach_keys;
	bool no_stdin;
	bool sig_proxy;
};

static const struct berth_opt attach_options[] = {
	{ "detach-keys", 0, BERTH_OPT_STRING, offsetof(struct attach_opts, detach_keys), "string",
	  "Override the key sequence for detaching a container", NULL, NULL },
	{ "no-stdin", 0, BERTH_OPT_BOOL, offsetof(struct attach_opts, no_stdin), NULL,
	  "Do not attach STDIN", NULL, NULL },
	{ "sig-proxy", 0, BERTH_OPT_BOOL, offsetof(struct attach_opts, sig_proxy), NULL,
	  "Proxy all received signals to the process", "true", NULL },
};

/* inspectContainerAndCheckState */
static int attach_inspect(struct berth_client *c, const char *name, json_t **out,
			  berth_error_t *err)
{
	cleanup_free char *path = berth_cli_container_path(name, "json");
	json_t *info = NULL, *state;

	if (berth_client_call_json(c, "GET", path, NULL, NULL, &info, err) < 0)
		return -1;
	state = json_object_get(info, "State");
	if (!json_is_true(json_object_get(state, "Running"))) {
		json_decref(info);
		return berth_make_error(err, EINVAL,
					"You cannot attach to a stopped container, start it first");
	}
	if (json_is_true(json_object_get(state, "Paused"))) {
		json_decref(info);
		return berth_make_error(
		    err, EINVAL, "You cannot attach to a paused container, unpause it first");
	}
	if (json_is_true(json_object_get(state, "Restarting"))) {
		json_decref(info);
		return berth_make_error(
		    err, EINVAL,
		    "You cannot attach to a restarting container, wait until it is running");
	}
	*out = info;
	return 0;
}

struct attach_state {
	struct berth_client *c;
	const struct attach_opts *o;
	const char *name;
	bool tty, in;
	struct berth_http_conn conn, wait;
};

static int attach_stream(struct attach_state *st, berth_error_t *err)
{
	cleanup_free char *apath = berth_cli_container_path(st->name, "attach");
	cleanup_free char *rpath = berth_cli_container_path(st->name, "resize");
	cleanup_free char *kpath = berth_cli_container_path(st->name, "kill");
	cleanup_free char *q = NULL;
	int status = -1, ret;
	struct berth_cli_stream_opts so = {
		.tty = st->tty,
		.in = st->in,
		.out = true,
		.err = true,
		.raw_terminal = st->tty && st->in && isatty(STDIN_FILENO),
		.detach_keys = st->o->detach_keys,
		.client = st->c,
		.resize_path = st->tty ? rpath : NULL,
		.kill_path = st->o->sig_proxy && !st->tty ? kpath : NULL,
		.wait = &st->wait,
		.wait_status = &status,
	};

	if (st->o->detach_keys && *st->o->detach_keys)
		berth_client_query_add(&q, "detachKeys", st->o->detach_keys);
	berth_client_query_add(&q, "stderr", "1");
	if (st->in)
		berth_client_query_add(&q, "stdin", "1");
	berth_client_query_add(&q, "stdout", "1");
	berth_client_query_add(&q, "stream", "1");
	if (berth_cli_conn_open(st->c, "POST", apath, q, NULL, true, &st->conn, err) < 0)
		return -1;
	if (st->tty && isatty(STDOUT_FILENO))
		berth_cli_resize(st->c, rpath);
	ret = berth_cli_stream(&st->conn, &so, err);
	if (ret == 1)
		return berth_make_error(err, EINTR, "read escape sequence");
	if (ret < 0)
		return -1;
	return status >= 0 ? status : berth_cli_wait_result(&st->wait);
}

static int run_attach(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err)
{
	struct attach_state st = { .o = opts,
				   .conn = BERTH_HTTP_CONN_INIT,
				   .wait = BERTH_HTTP_CONN_INIT };
	cleanup_free char *wpath = NULL;
	json_t *info = NULL, *cfg;
	int ret;

	if (args->n != 1)
		return berth_cli_args_exact(cli, 1, err);
	st.name = args->v[0];
	wpath = berth_cli_container_path(st.name, "wait");
	if (berth_cli_client(cli, &st.c, err) < 0)
		return -1;
	if (berth_cli_conn_open(st.c, "POST", wpath, NULL, NULL, false, &st.wait, err) < 0)
		return -1;
	ret = attach_inspect(st.c, st.name, &info, err);
	if (ret == 0) {
		cfg = json_object_get(info, "Config");
		st.tty = json_is_true(json_object_get(cfg, "Tty"));
		st.in = !st.o->no_stdin && json_is_true(json_object_get(cfg, "OpenStdin"));
		if (!st.o->no_stdin && st.tty && !isatty(STDIN_FILENO))
			ret = berth_make_error(err, ENOTTY, "the input device is not a TTY");
	}
	if (ret == 0)
		ret = attach_stream(&st, err);
	json_decref(info);
	berth_cli_conn_close(&st.conn);
	berth_cli_conn_close(&st.wait);
	return ret;
}

static const char exec_use[] = "exec [OPTIONS] CONTAINER COMMAND [ARG...]";
static const char attach_use[] = "attach [OPTIONS] CONTAINER";

const struct berth_command berth_cmd_exec = {
	.name = "exec",
	.use = exec_use,
	.short_desc = "Execute a command in a running container",
	.aliases = "container exec, exec",
	.group = BERTH_CMD_COMMON,
	.opts = exec_options,
	.nopts = BERTH_ARRAY_SIZE(exec_options),
	.opts_size = sizeof(struct exec_opts),
	.takes_args = true,
	.no_interspersed = true,
	.run = run_exec,
};

const struct berth_command berth_cmd_container_exec = {
	.name = "exec",
	.use = exec_use,
	.short_desc = "Execute a command in a running container",
	.aliases = "container exec, exec",
	.opts = exec_options,
	.nopts = BERTH_ARRAY_SIZE(exec_options),
	.opts_size = sizeof(struct exec_opts),
	.takes_args = true,
	.no_interspersed = true,
	.run = run_exec,
};

const struct berth_command berth_cmd_attach = {
	.name = "attach",
	.use = attach_use,
	.short_desc =
	    "Attach local standard input, output, and error streams to a running container",
	.aliases = "container attach, attach",
	.opts = attach_options,
	.nopts = BERTH_ARRAY_SIZE(attach_options),
	.opts_size = sizeof(struct attach_opts),
	.takes_args = true,
	.run = run_attach,
};

const struct berth_command berth_cmd_container_attach = {
	.name = "attach",
	.use = attach_use,
	.short_desc =
	    "Attach local standard input, output, and error streams to a running container",
	.aliases = "container attach, attach",
	.opts = attach_options,
	.nopts = BERTH_ARRAY_SIZE(attach_options),
	.opts_size = sizeof(struct attach_opts),
	.takes_args = true,
	.run = run_attach,
};
