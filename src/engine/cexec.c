/* cexec.c: exec instances. Each runs through its own berth-monitor in exec
 * mode (the process joins the running container), which owns its stdio and
 * records its exit; the client's hijacked connection is pumped to the
 * monitor's attach socket by cio.c. Exec records live in memory, as with
 * dockerd, until their container goes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "engine/execs.h"
#include "http/server.h"
#include "runtime/linux/caps.h"
#include "runtime/runtime.h"

#define MAX_EXECS_PER_CONTAINER 256 /* finished ones beyond this are dropped */

struct cexec {
	struct cexec *next;
	char id[65];
	char cid[65];
	json_t *config; /* owned: the create body */
	bool started, running, has_exit;
	int exit_code;
	pid_t pid, monitor_pid;
	int pidfd;
	struct berth_loop_handler *watch;
	char *dir; /* owned: <container>/exec/<id> */
};

static struct cexec *execs;

static void random_hex(char out[65])
{
	unsigned char b[32];
	cleanup_close int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t i;

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		uint64_t t = (uint64_t)berth_time_now_ns() ^ (uint64_t)getpid();
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)i;
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static struct cexec *find_exec(const char *id, berth_error_t *err)
{
	struct cexec *x;

	for (x = execs; x; x = x->next)
		if (strcmp(x->id, id) == 0)
			return x;
	berth_make_error(err, ENOENT, "No such exec instance: %s", id);
	return NULL;
}

static struct container *find_container(struct berth_engine *e, const char *cid)
{
	struct container *c;

	for (c = e->containers; c; c = c->next)
		if (strcmp(c->id, cid) == 0)
			return c;
	return NULL;
}

static void unwatch(struct berth_engine *e, struct cexec *x)
{
	if (x->watch) {
		berth_loop_del_fd(e->loop, x->watch);
		x->watch = NULL;
	}
	if (x->pidfd >= 0) {
		close(x->pidfd);
		x->pidfd = -1;
	}
}

static void exec_free(struct berth_engine *e, struct cexec *x)
{
	unwatch(e, x);
	json_decref(x->config);
	free(x->dir);
	free(x);
}

static void cmd_text(const struct cexec *x, char *buf, size_t len)
{
	json_t *cmd = json_object_get(x->config, "Cmd"), *it;
	size_t i, off = 0;

	buf[0] = '\0';
	json_array_foreach (cmd, i, it) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 json_string_value(it) ? json_string_value(it) : "");
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* Reads the exit file once the process is over. */
static void record_exit(struct berth_engine *e, struct cexec *x)
{
	cleanup_free char *path = xasprintf("%s/exit.json", x->dir), *text = NULL;
	struct container *c;
	json_t *j;
	char code[16];

	if (!x->running)
		return;
	unwatch(e, x);
	x->running = false;
	x->has_exit = true;
	if (berth_fs_read_file(path, 4096, &text, NULL) >= 0 && (j = json_loads(text, 0, NULL))) {
		x->exit_code = (int)json_integer_value(json_object_get(j, "ExitCode"));
		json_decref(j);
	} else {
		x->exit_code = 126;
	}
	c = find_container(e, x->cid);
	if (c) {
		snprintf(code, sizeof(code), "%d", x->exit_code);
		cont_event(e, c, "exec_die",
			   json_pack("{s:s, s:s}", "execID", x->id, "exitCode", code));
	}
}

/* the loop callbacks carry only the exec */
static struct berth_engine *cexec_engine;

static void monitor_exit_cb(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct cexec *x = data;
	struct cexec *it;

	(void)loop;
	(void)fd;
	(void)events;
	for (it = execs; it && it != x; it = it->next)
		;
	if (it)
		record_exit(cexec_engine, x);
}

json_t *berth_engine_exec_create(struct berth_engine *e, const char *name, const json_t *body,
				 berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	json_t *cmd = json_object_get(body, "Cmd"), *it;
	struct cexec *x, *p;
	size_t i;
	int n = 0;
	char text[512];

	if (c == NULL)
		return NULL;
	if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		berth_make_error(err, EINVAL, "No exec command specified");
		return NULL;
	}
	json_array_foreach (cmd, i, it)
		if (!json_is_string(it)) {
			berth_make_error(err, EINVAL, "Cmd must be an array of strings");
			return NULL;
		}
	if (c->status == CS_PAUSED) {
		berth_make_error(err, EBUSY, "Container %s is paused, unpause the container before exec",
				 c->id);
		return NULL;
	}
	if (c->status != CS_RUNNING) {
		berth_make_error(err, EBUSY, "Container %s is not running", c->id);
		return NULL;
	}
	cexec_engine = e;
	/* drop the oldest finished ones of a container that execs a lot */
	for (p = execs; p; p = p->next)
		if (strcmp(p->cid, c->id) == 0)
			n++;
	if (n >= MAX_EXECS_PER_CONTAINER) {
		struct cexec **pp = &execs, *last = NULL, **last_pp = NULL;
		for (; *pp; pp = &(*pp)->next)
			if (strcmp((*pp)->cid, c->id) == 0 && (*pp)->has_exit) {
				last = *pp;
				last_pp = pp;
			}
		if (last) {
			*last_pp = last->next;
			exec_free(e, last);
		}
	}
	x = xzalloc(sizeof(*x));
	random_hex(x->id);
	memcpy(x->cid, c->id, sizeof(x->cid));
	x->config = json_deep_copy(body);
	x->pidfd = -1;
	x->dir = xasprintf("%s/exec/%s", c->rtdir, x->id);
	x->next = execs;
	execs = x;
	cmd_text(x, text, sizeof(text));
	{
		cleanup_free char *action = xasprintf("exec_create: %s", text);
		cont_event(e, c, action, json_pack("{s:s}", "execID", x->id));
	}
	return json_pack("{s:s}", "Id", x->id);
}

json_t *berth_engine_exec_inspect(struct berth_engine *e, const char *id, berth_error_t *err)
{
	struct cexec *x = find_exec(id, err);
	json_t *cmd, *args;
	const char *user;

	(void)e;
	if (x == NULL)
		return NULL;
	cmd = json_object_get(x->config, "Cmd");
	args = json_deep_copy(cmd);
	json_array_remove(args, 0);
	user = json_string_value(json_object_get(x->config, "User"));
	return json_pack(
	    "{s:b, s:s, s:s, s:o, s:s, s:b, s:b, s:b, s:{s:o, s:s, s:b, s:b, s:s}, s:b, s:i}",
	    "CanRemove", 0, "ContainerID", x->cid, "DetachKeys", "", "ExitCode",
	    x->has_exit ? json_integer(x->exit_code) : json_null(), "ID", x->id, "OpenStderr",
	    json_is_true(json_object_get(x->config, "AttachStderr")), "OpenStdin",
	    json_is_true(json_object_get(x->config, "AttachStdin")), "OpenStdout",
	    json_is_true(json_object_get(x->config, "AttachStdout")), "ProcessConfig", "arguments",
	    args, "entrypoint", json_string_value(json_array_get(cmd, 0)), "privileged",
	    json_is_true(json_object_get(x->config, "Privileged")), "tty",
	    json_is_true(json_object_get(x->config, "Tty")), "user", user ? user : "", "Running",
	    x->running, "Pid", x->running ? (int)x->pid : 0);
}

/* The OCI process of the exec: the container's, with the exec's changes. */
static json_t *exec_process(struct container *c, const struct cexec *x, bool tty,
			    json_t **seccomp, berth_error_t *err)
{
	cleanup_free char *path = cont_rt_path(c, "config.json"), *text = NULL;
	json_t *spec, *proc, *env, *it;
	const char *user = json_string_value(json_object_get(x->config, "User"));
	const char *wd = json_string_value(json_object_get(x->config, "WorkingDir"));
	size_t i;

	if (berth_fs_read_file(path, 16 * 1024 * 1024, &text, err) < 0)
		return NULL;
	spec = json_loads(text, 0, NULL);
	proc = json_incref(json_object_get(spec, "process"));
	*seccomp = json_incref(json_object_get(json_object_get(spec, "linux"), "seccomp"));
	json_decref(spec);
	if (!json_is_object(proc)) {
		json_decref(proc);
		berth_make_error(err, EIO, "container %s: its spec has no process", c->id);
		return NULL;
	}
	json_object_set(proc, "args", json_object_get(x->config, "Cmd"));
	json_object_set_new(proc, "terminal", json_boolean(tty));
	json_object_del(proc, "consoleSize");
	if (json_is_array(json_object_get(x->config, "ConsoleSize")) &&
	    json_integer_value(json_array_get(json_object_get(x->config, "ConsoleSize"), 0)) > 0)
		json_object_set_new(
		    proc, "consoleSize",
		    json_pack("{s:O, s:O}", "height",
			      json_array_get(json_object_get(x->config, "ConsoleSize"), 0), "width",
			      json_array_get(json_object_get(x->config, "ConsoleSize"), 1)));
	/* the exec's Env entries override the container's, key by key */
	env = json_object_get(proc, "env");
	json_array_foreach (json_object_get(x->config, "Env"), i, it) {
		const char *kv = json_string_value(it), *eq;
		size_t k, klen;
		json_t *v;
		if (kv == NULL)
			continue;
		eq = strchr(kv, '=');
		klen = eq ? (size_t)(eq - kv) : strlen(kv);
		json_array_foreach (env, k, v) {
			const char *s = json_string_value(v);
			if (s && strncmp(s, kv, klen) == 0 && s[klen] == '=') {
				json_array_remove(env, k);
				break;
			}
		}
		if (eq)
			json_array_append(env, it);
	}
	if (wd && *wd) {
		if (wd[0] != '/') {
			json_decref(proc);
			berth_make_error(err, EINVAL,
					 "the working directory '%s' is invalid, it needs to be an "
					 "absolute path",
					 wd);
			return NULL;
		}
		json_object_set_new(proc, "cwd", json_string(wd));
	}
	if (user && *user) {
		json_t *uj = NULL;
		if (crun_resolve_user(c, user, &uj, err) < 0) {
			json_decref(proc);
			return NULL;
		}
		json_object_set_new(proc, "user", uj);
	}
	if (json_is_true(json_object_get(x->config, "Privileged"))) {
		json_t *all = berth_caps_all();
		json_object_set_new(
		    proc, "capabilities",
		    json_pack("{s:O, s:O, s:O, s:O, s:[]}", "bounding", all, "effective", all,
			      "permitted", all, "ambient", all, "inheritable"));
		json_object_set_new(json_object_get(proc, "capabilities"), "ambient", json_array());
		json_decref(all);
	}
	return proc;
}

static void exec_pump_end(struct berth_engine *e, const char *id)
{
	struct cexec *x = find_exec(id, NULL);

	/* the monitor wrote the exit file before it closed our socket: the
	 * client finds ExitCode set as soon as its stream ends */
	if (x && x->running)
		record_exit(e, x);
}

static void watch_exec(struct berth_engine *e, struct cexec *x)
{
	berth_error_t err = NULL;
	int fd = (int)syscall(SYS_pidfd_open, x->monitor_pid, 0);

	if (fd < 0) {
		record_exit(e, x);
		return;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	x->pidfd = fd;
	x->watch = berth_loop_add_fd(e->loop, fd, EPOLLIN, monitor_exit_cb, x, &err);
	if (x->watch == NULL) {
		berth_log_warn("exec %s: %s", x->id, err->msg);
		berth_error_release(&err);
	}
}

/* Starts the exec; with H (not detached) its streams go to the client. */
static int exec_run(struct berth_engine *e, struct cexec *x, bool tty, struct berth_http_hijack *h,
		    berth_error_t *err)
{
	struct container *c = find_container(e, x->cid);
	cleanup_free char *proc_path = NULL, *sock = NULL, *text = NULL, *exitf = NULL,
			  *ctl = NULL, *pid = NULL, *cache = NULL;
	struct berth_attach_opts ao = { .stream = true };
	struct cattach *a = NULL;
	int ready = -1, start = -1, ret;
	json_t *proc, *rep, *seccomp = NULL;
	char cmd[512];
	char *argv[32];
	int n = 0;

	if (c == NULL || c->status != CS_RUNNING)
		return berth_make_error(err, EBUSY, "Container %s is not running", x->cid);
	proc = exec_process(c, x, tty, &seccomp, err);
	if (proc == NULL) {
		json_decref(seccomp);
		return -1;
	}
	if (berth_fs_mkdir_p(x->dir, 0700, err) < 0) {
		json_decref(proc);
		return -1;
	}
	text = json_dumps(proc, JSON_COMPACT);
	json_decref(proc);
	proc_path = xasprintf("%s/process.json", x->dir);
	if (berth_fs_write_replace(proc_path, text, strlen(text), 0600, err) < 0)
		return -1;
	sock = xasprintf("%s/%.12s.sock", e->cfg.exec_root, x->id);
	exitf = xasprintf("%s/exit.json", x->dir);
	ctl = xasprintf("%s/control", x->dir);
	pid = xasprintf("%d", (int)c->pid);
	cache = crun_seccomp_bpf(e, seccomp);
	json_decref(seccomp);
	argv[n++] = e->monitor_path;
	argv[n++] = (char *)"--bundle";
	argv[n++] = c->rtdir;
	argv[n++] = (char *)"--id";
	argv[n++] = c->id;
	argv[n++] = (char *)"--exec";
	argv[n++] = proc_path;
	argv[n++] = (char *)"--exec-pid";
	argv[n++] = pid;
	argv[n++] = (char *)"--ready-fd";
	argv[n++] = (char *)"3";
	argv[n++] = (char *)"--start-fd";
	argv[n++] = (char *)"4";
	argv[n++] = (char *)"--exit-file";
	argv[n++] = exitf;
	argv[n++] = (char *)"--attach-socket";
	argv[n++] = sock;
	argv[n++] = (char *)"--control";
	argv[n++] = ctl;
	argv[n++] = (char *)"--daemonize";
	if (cache) {
		argv[n++] = (char *)"--seccomp-bpf";
		argv[n++] = cache;
	}
	if (json_is_true(json_object_get(x->config, "AttachStdin")) && h)
		argv[n++] = (char *)"--stdin";
	argv[n] = NULL;
	if (crun_spawn_monitor(e, argv, &ready, &start, NULL, err) < 0)
		return -1;
	rep = crun_read_line(ready, err);
	if (rep == NULL || json_object_get(rep, "error")) {
		if (rep)
			berth_make_error(err, EIO, "%s",
					 json_string_value(json_object_get(rep, "error")));
		json_decref(rep);
		close(ready);
		close(start);
		return -1;
	}
	json_decref(rep);
	x->started = true;
	if (h) {
		ao.stdin_ = json_is_true(json_object_get(x->config, "AttachStdin"));
		ao.stdout_ = json_is_true(json_object_get(x->config, "AttachStdout"));
		ao.stderr_ = json_is_true(json_object_get(x->config, "AttachStderr"));
		a = cio_attach_new(e, h, &ao, tty, sock, exec_pump_end, x->id);
		if (a)
			(void)cio_attach_connect(a);
	}
	ret = write(start, "s", 1) == 1 ? 0 : -1;
	close(start);
	rep = ret == 0 ? crun_read_line(ready, err) : NULL;
	close(ready);
	if (rep == NULL || json_object_get(rep, "error")) {
		const char *msg = rep ? json_string_value(json_object_get(rep, "error")) : NULL;
		int code = rep ? (int)json_integer_value(json_object_get(rep, "errno")) : EIO;
		cleanup_free char *full = xasprintf(
		    "OCI runtime exec failed: exec failed: unable to start container process: %s: "
		    "unknown\r\n",
		    msg ? msg : (*err ? (*err)->msg : "the monitor did not report"));
		x->has_exit = true;
		x->exit_code = (msg && (strstr(msg, "executable file not found") ||
					strstr(msg, "no such file or directory"))) ||
				       code == ENOENT
				   ? 127
				   : 126;
		json_decref(rep);
		if (a)
			cio_attach_fail(a, full);
		if (!h) {
			berth_error_release(err);
			berth_make_error(err, EIO, "%s", full);
			return -1;
		}
		berth_error_release(err);
		return 0;
	}
	x->pid = (pid_t)json_integer_value(json_object_get(rep, "pid"));
	x->monitor_pid = (pid_t)json_integer_value(json_object_get(rep, "monitor_pid"));
	json_decref(rep);
	x->running = true;
	cmd_text(x, cmd, sizeof(cmd));
	{
		cleanup_free char *action = xasprintf("exec_start: %s", cmd);
		cont_event(e, c, action, json_pack("{s:s}", "execID", x->id));
	}
	watch_exec(e, x);
	return 0;
}

int berth_engine_exec_start_check(struct berth_engine *e, const char *id, berth_error_t *err)
{
	struct cexec *x = find_exec(id, err);
	struct container *c;

	if (x == NULL)
		return -1;
	if (x->started)
		return berth_make_error(err, EBUSY, "Error: Exec command %s is already running", id);
	c = find_container(e, x->cid);
	if (c == NULL || c->status != CS_RUNNING)
		return berth_make_error(err, EBUSY, "Container %s is not running", x->cid);
	return 0;
}

int berth_engine_exec_start_detached(struct berth_engine *e, const char *id, bool tty,
				     berth_error_t *err)
{
	struct cexec *x = find_exec(id, err);

	if (x == NULL)
		return -1;
	return exec_run(e, x, tty, NULL, err);
}

void berth_engine_exec_start(struct berth_engine *e, const char *id, bool tty,
			     struct berth_http_hijack *h)
{
	struct cexec *x = find_exec(id, NULL);
	berth_error_t err = NULL;

	if (x == NULL) {
		berth_http_hijack_close(h);
		return;
	}
	if (exec_run(e, x, tty, h, &err) < 0) {
		/* nothing is pumping yet: tell the client in the stream */
		struct berth_attach_opts ao = { .stream = true, .stdout_ = true, .stderr_ = true };
		struct cattach *a = cio_attach_new(e, h, &ao, tty, "", NULL, NULL);
		cleanup_free char *msg = xasprintf("%s\r\n", err->msg);
		x->has_exit = true;
		x->exit_code = 126;
		if (a)
			cio_attach_fail(a, msg);
		berth_error_release(&err);
	}
}

int berth_engine_exec_resize(struct berth_engine *e, const char *id, unsigned h, unsigned w,
			     berth_error_t *err)
{
	struct cexec *x = find_exec(id, err);
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	char line[64];
	int n;

	(void)e;
	if (x == NULL)
		return -1;
	if (!x->running)
		return berth_make_error(err, EBUSY, "Exec %s is not running", id);
	path = xasprintf("%s/control", x->dir);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berth_make_error(err, errno, "resize: %s", strerror(errno));
	n = snprintf(line, sizeof(line), "resize %u %u\n", h, w);
	if (write(fd, line, (size_t)n) != n)
		return berth_make_error(err, errno ? errno : EIO, "resize: %s", strerror(errno));
	return 0;
}

json_t *cexec_ids(struct berth_engine *e, const struct container *c)
{
	json_t *ids = json_array();
	struct cexec *x;

	(void)e;
	for (x = execs; x; x = x->next)
		if (strcmp(x->cid, c->id) == 0 && x->running)
			json_array_append_new(ids, json_string(x->id));
	if (json_array_size(ids) == 0) {
		json_decref(ids);
		return json_null();
	}
	return ids;
}

void cexec_container_gone(struct berth_engine *e, struct container *c)
{
	struct cexec **pp = &execs, *x;

	while ((x = *pp)) {
		if (strcmp(x->cid, c->id) != 0) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		exec_free(e, x);
	}
}

void cexec_shutdown(struct berth_engine *e)
{
	struct cexec *x;

	while ((x = execs)) {
		execs = x->next;
		exec_free(e, x);
	}
}
