/* oci_main.c: berth-oci, an OCI runtime CLI over the runtime library,
 * runc-compatible in the commands and flags podman, conmon and containerd
 * use: create, start, run, exec, state, kill, delete, pause, resume, list,
 * features. Errors go to stderr as "berth-oci: <message>" and to --log
 * (text or JSON lines) when given; exit status 1, or 127/126 when `run`
 * or `exec` cannot find or execute the program (docker's convention). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "runtime/linux/caps.h"
#include "runtime/linux/cgroup.h"
#include "runtime/linux/seccomp.h"
#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "runtime/state.h"

#define OCI_DEFAULT_ROOT "/run/berth-oci"
#define OCI_SPEC_VERSION "1.0.2"

static struct {
	const char *root;
	const char *log_path;
	bool log_json;
	FILE *log;
	const char *cgroup_root; /* --cgroup-root: the cgroup mount used */
} G = { .root = OCI_DEFAULT_ROOT, .cgroup_root = "/sys/fs/cgroup" };

/* ------------------------------------------------------------ reporting */

static void log_line(const char *level, const char *msg)
{
	char ts[48];

	if (G.log == NULL)
		return;
	berth_time_format_rfc3339nano(berth_time_now_ns(), ts, sizeof(ts));
	if (G.log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", ts);
		char *s = json_dumps(o, JSON_COMPACT);
		fprintf(G.log, "%s\n", s);
		free(s);
		json_decref(o);
	} else {
		fprintf(G.log, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
	}
	fflush(G.log);
}

static void report(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(const char *level, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (strcmp(level, "error") == 0)
		fprintf(stderr, "berth-oci: %s\n", msg);
	else
		fprintf(stderr, "berth-oci: %s: %s\n", level, msg);
	log_line(level, msg);
}

/* Reports *ERR and returns the exit status for it. For `run` and `exec`,
 * a program that cannot be found is 127, one that cannot run 126. */
static int fail(berth_error_t *err, bool program_status)
{
	int code = berth_error_code(*err), status = 1;

	report("error", "%s", (*err)->msg);
	if (program_status && strncmp((*err)->msg, "exec: \"", 7) == 0)
		status = code == ENOENT ? 127 : 126;
	berth_error_release(err);
	return status;
}

static int usage_error(const char *cmd, const char *what)
{
	report("error", "%s: %s (see `berth-oci %s --help`)", cmd, what, cmd);
	return 1;
}

static int help(const char *usage)
{
	printf("Usage: berth-oci %s\n", usage);
	return 0;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	report("warning", "%s", msg);
}

/* ------------------------------------------------------------ helpers */

static char *now_rfc3339(void)
{
	char buf[48];

	return xstrdup(berth_time_format_rfc3339nano(berth_time_now_ns(), buf, sizeof(buf)));
}

static int write_pid_file(const char *path, pid_t pid, berth_error_t *err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (path == NULL)
		return 0;
	return berth_fs_write_atomic(path, buf, (size_t)n, 0644, err);
}

static int connect_console(const char *path, berth_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_make_error(err, ENAMETOOLONG, "console socket path too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_make_error(err, errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return berth_make_error(err, e, "connect to console socket `%s`: %s", path,
					strerror(e));
	}
	return fd;
}

/* A spec holding just HOOKS (kept in state.json) to run poststart/poststop
 * with, when the bundle may be gone. */
static int run_saved_hooks(const struct berth_oci_state *s, enum berth_hook_kind kind,
			   const char *status, berth_error_t *err)
{
	cleanup_free char *doc = NULL, *state = NULL;
	cleanup_spec struct berth_spec *spec = NULL;
	json_t *o;

	if (s->hooks == NULL)
		return 0;
	o = json_pack("{s:{s:s}, s:O}", "root", "path", "/", "hooks", s->hooks);
	doc = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	spec = berth_spec_parse(doc, strlen(doc), NULL, err);
	if (spec == NULL)
		return -1;
	state = berth_runtime_state_json(s->id, status, s->pid, s->bundle, NULL);
	return berth_runtime_run_hooks(spec, kind, state, err);
}

static int load_running(const char *id, struct berth_oci_state *s, const char **status,
			berth_error_t *err)
{
	if (berth_state_load(G.root, id, s, err) < 0)
		return -1;
	*status = berth_state_status(G.root, s);
	return 0;
}

/* ------------------------------------------------------------ wait (run, exec) */

struct waiter {
	pid_t pid;
	int pty; /* master to proxy, or -1 */
	struct termios saved;
	bool raw; /* our stdin was put in raw mode */
};

static void proxy_bytes(int from, int to, bool *open_)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0) {
		*open_ = false;
		return;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += w;
	}
}

static void copy_winsize(int to)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(to, TIOCSWINSZ, &ws);
}

static int on_signal(struct waiter *w, int sfd, int *status)
{
	struct signalfd_siginfo si;
	int st;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGWINCH && w->pty >= 0) {
		copy_winsize(w->pty);
		return 0;
	}
	if (si.ssi_signo != SIGCHLD) {
		(void)kill(w->pid, (int)si.ssi_signo);
		return 0;
	}
	while (waitpid(w->pid, &st, WNOHANG) == w->pid) {
		*status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		return 1;
	}
	return 0;
}

/* Forwards signals to W->pid (and proxies a pty) until it exits: its exit
 * status, or 128 + the signal that killed it. */
static int wait_process(struct waiter *w, const sigset_t *set)
{
	int sfd = signalfd(-1, set, SFD_CLOEXEC), status = 255;
	bool in_open = w->pty >= 0, pty_open = w->pty >= 0;

	if (sfd < 0)
		return 255;
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 },
				       { pty_open ? w->pty : -1, POLLIN, 0 },
				       { in_open ? 0 : -1, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			proxy_bytes(w->pty, 1, &pty_open);
		if (p[2].revents)
			proxy_bytes(0, w->pty, &in_open);
		if ((p[0].revents & POLLIN) && on_signal(w, sfd, &status))
			break;
	}
	while (pty_open && w->pty >= 0 && poll(&(struct pollfd){ w->pty, POLLIN, 0 }, 1, 0) > 0)
		proxy_bytes(w->pty, 1, &pty_open);
	close(sfd);
	return status;
}

static void block_signals(sigset_t *set, sigset_t *old)
{
	int s;

	sigemptyset(set);
	for (s = 1; s < SIGRTMIN; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGSEGV && s != SIGBUS && s != SIGILL &&
		    s != SIGFPE && s != SIGABRT && s != SIGTRAP && s != SIGSYS && s != SIGTSTP &&
		    s != SIGTTIN && s != SIGTTOU)
			sigaddset(set, s);
	sigprocmask(SIG_BLOCK, set, old);
}

static void raw_terminal(struct waiter *w)
{
	struct termios t;

	if (w->pty < 0 || !isatty(0) || tcgetattr(0, &w->saved) < 0)
		return;
	t = w->saved;
	cfmakeraw(&t);
	w->raw = tcsetattr(0, TCSANOW, &t) == 0;
	copy_winsize(w->pty);
}

/* ------------------------------------------------------------ create, run */

enum create_mode {
	MODE_CREATE,
	MODE_RUN,
	MODE_RUN_DETACH
};

struct create_args {
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool no_pivot, no_new_keyring, detach;
};

static int save_state(const char *id, const char *bundle, const struct berth_spec *spec,
		      const struct berth_runtime_proc *p, berth_error_t *err)
{
	struct berth_oci_state s = { 0 };
	int ret;

	s.id = (char *)id;
	s.bundle = (char *)bundle;
	s.rootfs = spec->root_path[0] == '/' ? xstrdup(spec->root_path)
					     : xasprintf("%s/%s", bundle, spec->root_path);
	s.created = now_rfc3339();
	s.cgroup_path = berth_runtime_cgroup_path(spec, id);
	s.pid = p->pid;
	s.start_time = p->start_time;
	s.annotations = (json_t *)spec->annotations;
	s.hooks = (json_t *)json_object_get(spec->doc, "hooks");
	ret = berth_state_save(G.root, &s, err);
	free(s.rootfs);
	free(s.created);
	free(s.cgroup_path);
	return ret;
}

/* After `run`: the cgroup, the state and the poststop hooks. */
static void run_cleanup(const char *id, const char *bundle, struct berth_spec *spec,
			struct berth_runtime_proc *p)
{
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *state = NULL;

	if (p->cgroup && berth_cgroup_destroy(p->cgroup, &err) < 0) {
		report("warning", "%s", err->msg);
		berth_error_release(&err);
	}
	if (berth_state_remove(G.root, id, &err) < 0) {
		report("warning", "%s", err->msg);
		berth_error_release(&err);
	}
	state = berth_runtime_state_json(id, "stopped", p->pid, bundle, spec);
	if (berth_runtime_run_hooks(spec, BERTH_HOOK_POSTSTOP, state, &err) < 0)
		report("warning", "poststop: %s", err->msg);
}

static int start_and_poststart(const char *id, const char *bundle, const struct berth_spec *spec,
			       pid_t pid, berth_error_t *err)
{
	cleanup_free char *fifo = berth_state_fifo(G.root, id);
	cleanup_free char *state = NULL;

	if (berth_runtime_start_fifo(fifo, err) < 0)
		return -1;
	if (spec == NULL)
		return 0;
	state = berth_runtime_state_json(id, "running", pid, bundle, spec);
	if (berth_runtime_run_hooks(spec, BERTH_HOOK_POSTSTART, state, err) < 0) {
		report("warning", "poststart: %s", (*err)->msg);
		berth_error_release(err);
	}
	return 0;
}

static int prepare_create(const struct create_args *a, const char *id, enum create_mode mode,
			  char *bundle, struct berth_spec **spec, berth_error_t *err)
{
	if (berth_state_check_id(id, err) < 0)
		return -1;
	if (realpath(a->bundle, bundle) == NULL)
		return berth_make_error(err, errno, "bundle `%s`: %s", a->bundle, strerror(errno));
	*spec = berth_spec_load(bundle, err);
	if (*spec == NULL)
		return -1;
	if (!(*spec)->has_process)
		return berth_make_error(err, EINVAL, "config.json: `process` is required");
	if ((*spec)->process.terminal && a->console_socket == NULL && mode != MODE_RUN)
		return berth_make_error(err, EINVAL,
					"`process.terminal` is true: --console-socket is required");
	return berth_state_create_dir(G.root, id, err);
}

static int finish_run(const char *id, const char *bundle, struct berth_spec *spec,
		      struct berth_runtime_proc *p, const sigset_t *set)
{
	struct waiter w = { .pid = p->pid, .pty = p->pty_master };
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *state = berth_runtime_state_json(id, "running", p->pid, bundle, spec);
	int status;

	if (berth_runtime_run_hooks(spec, BERTH_HOOK_POSTSTART, state, &err) < 0) {
		report("warning", "poststart: %s", err->msg);
		berth_error_release(&err);
	}
	raw_terminal(&w);
	status = wait_process(&w, set);
	if (w.raw)
		tcsetattr(0, TCSANOW, &w.saved);
	run_cleanup(id, bundle, spec, p);
	return status;
}

static int do_create(const struct create_args *a, const char *id, enum create_mode mode)
{
	cleanup_spec struct berth_spec *spec = NULL;
	cleanup_free char *fifo = NULL;
	cleanup_error berth_error_t err = NULL;
	cleanup_close int console = -1;
	struct berth_runtime_proc p = { .pidfd = -1, .pty_master = -1 };
	struct berth_runtime_opts o;
	char bundle[PATH_MAX];
	sigset_t set, old;
	int ret;

	if (prepare_create(a, id, mode, bundle, &spec, &err) < 0)
		return fail(&err, mode == MODE_RUN);
	berth_runtime_opts_init(&o);
	o.id = id;
	o.bundle = bundle;
	o.preserve_fds = a->preserve_fds;
	o.no_pivot = a->no_pivot;
	o.no_new_keyring = a->no_new_keyring;
	o.cgroup_root = G.cgroup_root;
	o.warn = warn_cb;
	ret = 0;
	if (mode != MODE_RUN) {
		fifo = berth_state_fifo(G.root, id);
		o.exec_fifo = fifo;
		ret = berth_runtime_make_exec_fifo(fifo, &err);
	}
	if (ret == 0 && a->console_socket)
		ret = o.console_socket = console = connect_console(a->console_socket, &err);
	if (mode == MODE_RUN)
		block_signals(&set, &old);
	if (ret >= 0)
		ret = berth_runtime_create(spec, &o, &p, &err);
	if (ret == 0)
		ret = save_state(id, bundle, spec, &p, &err);
	if (ret == 0)
		ret = write_pid_file(a->pid_file, p.pid, &err);
	if (ret == 0 && mode == MODE_RUN_DETACH)
		ret = start_and_poststart(id, bundle, spec, p.pid, &err);
	if (ret < 0) {
		if (p.pid > 0)
			kill(p.pid, SIGKILL);
		run_cleanup(id, bundle, spec, &p);
		berth_runtime_proc_release(&p);
		return fail(&err, mode == MODE_RUN);
	}
	if (mode == MODE_RUN)
		ret = finish_run(id, bundle, spec, &p, &set);
	berth_runtime_proc_release(&p);
	return ret;
}

static const struct option create_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, 'p' },
	{ "console-socket", required_argument, NULL, 'c' },
	{ "preserve-fds", required_argument, NULL, 'f' },
	{ "no-pivot", no_argument, NULL, 'P' },
	{ "no-new-keyring", no_argument, NULL, 'k' },
	{ "detach", no_argument, NULL, 'd' },
	{ "notify-socket", required_argument, NULL, 'n' }, /* accepted, not used */
	{ "pidfd-socket", required_argument, NULL, 'n' },
	{ "keep", no_argument, NULL, 'n' },
	{ "no-subreaper", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_create(const char *cmd, int argc, char **argv, struct create_args *a,
			const char **id)
{
	int c;

	a->bundle = ".";
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+b:dh", create_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			a->bundle = optarg;
			break;
		case 'p':
			a->pid_file = optarg;
			break;
		case 'c':
			a->console_socket = optarg;
			break;
		case 'f':
			a->preserve_fds = atoi(optarg);
			break;
		case 'P':
			a->no_pivot = true;
			break;
		case 'k':
			a->no_new_keyring = true;
			break;
		case 'd':
			a->detach = true;
			break;
		case 'n':
			break;
		case 'h':
			printf("Usage: berth-oci %s [--bundle DIR] [--pid-file FILE] "
			       "[--console-socket SOCK] [--preserve-fds N] [--no-pivot] "
			       "[--no-new-keyring]%s ID\n",
			       cmd, strcmp(cmd, "run") ? "" : " [--detach]");
			return 0;
		default:
			return usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error(cmd, "exactly one container id is required");
	if (a->preserve_fds < 0 || a->preserve_fds > 65536)
		return usage_error(cmd, "--preserve-fds out of range");
	*id = argv[optind];
	return -1;
}

static int cmd_create(int argc, char **argv)
{
	struct create_args a = { 0 };
	const char *id = NULL;
	int r = parse_create("create", argc, argv, &a, &id);

	return r >= 0 ? r : do_create(&a, id, MODE_CREATE);
}

static int cmd_run(int argc, char **argv)
{
	struct create_args a = { 0 };
	const char *id = NULL;
	int r = parse_create("run", argc, argv, &a, &id);

	return r >= 0 ? r : do_create(&a, id, a.detach ? MODE_RUN_DETACH : MODE_RUN);
}

/* ------------------------------------------------------------ one-id commands */

static int one_id(const char *cmd, int argc, char **argv, const char **id, int max_extra)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("Usage: berth-oci %s ID\n", cmd);
			return 0;
		}
		return usage_error(cmd, "unknown option");
	}
	if (optind >= argc || argc - optind - 1 > max_extra)
		return usage_error(cmd, "a container id is required");
	*id = argv[optind];
	return -1;
}

static int cmd_start(int argc, char **argv)
{
	struct berth_oci_state s;
	cleanup_error berth_error_t err = NULL;
	const char *id, *status;
	int r = one_id("start", argc, argv, &id, 0);

	if (r >= 0)
		return r;
	if (load_running(id, &s, &status, &err) < 0)
		return fail(&err, false);
	if (strcmp(status, "created") != 0)
		r = berth_make_error(&err, EINVAL, "cannot start a container that is %s", status);
	else
		r = start_and_poststart(id, s.bundle, NULL, s.pid, &err);
	if (r == 0 && run_saved_hooks(&s, BERTH_HOOK_POSTSTART, "running", &err) < 0) {
		report("warning", "poststart: %s", err->msg);
		berth_error_release(&err);
	}
	berth_state_release(&s);
	return r < 0 ? fail(&err, false) : 0;
}

static int cmd_state(int argc, char **argv)
{
	struct berth_oci_state s;
	cleanup_error berth_error_t err = NULL;
	const char *id, *status;
	json_t *o;
	char *out;
	int r = one_id("state", argc, argv, &id, 0);

	if (r >= 0)
		return r;
	if (load_running(id, &s, &status, &err) < 0)
		return fail(&err, false);
	o = berth_state_to_json(&s, status);
	out = json_dumps(o, JSON_INDENT(2));
	printf("%s\n", out);
	free(out);
	json_decref(o);
	berth_state_release(&s);
	return 0;
}

static struct berth_cgroup *open_cgroup(const struct berth_oci_state *s, berth_error_t *err)
{
	return berth_cgroup_open(G.cgroup_root, s->cgroup_path, err);
}

static int kill_all(const struct berth_oci_state *s, int sig, berth_error_t *err)
{
	struct berth_cgroup *cg = open_cgroup(s, err);
	pid_t *pids = NULL;
	size_t n = 0, i;

	if (cg == NULL || berth_cgroup_pids(cg, &pids, &n, err) < 0) {
		berth_cgroup_free(cg);
		return -1;
	}
	for (i = 0; i < n; i++)
		(void)kill(pids[i], sig);
	free(pids);
	berth_cgroup_free(cg);
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct berth_oci_state s;
	cleanup_error berth_error_t err = NULL;
	const char *status;
	bool all = false;
	int c, sig = SIGTERM, r;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+ah", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h')
			return help("kill [--all] ID [SIGNAL]");
		else
			return usage_error("kill", "unknown option");
	}
	if (optind >= argc || argc - optind > 2)
		return usage_error("kill", "usage: kill [--all] ID [SIGNAL]");
	if (argc - optind == 2 && (sig = berth_runtime_signal_parse(argv[optind + 1])) < 0)
		return usage_error("kill", "unknown signal");
	if (load_running(argv[optind], &s, &status, &err) < 0)
		return fail(&err, false);
	if (strcmp(status, "stopped") == 0)
		r = berth_make_error(&err, ESRCH, "container `%s` is not running", s.id);
	else if (all)
		r = kill_all(&s, sig, &err);
	else
		r = berth_runtime_kill(s.pid, s.start_time, sig, &err);
	berth_state_release(&s);
	return r < 0 ? fail(&err, false) : 0;
}

/* Waits up to 10 s for PID (not our child) to be gone. */
static void wait_gone(pid_t pid, uint64_t start_time)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	bool zombie = false;
	int i;

	if (pidfd >= 0) {
		(void)poll(&p, 1, 10000);
		return;
	}
	for (i = 0; i < 1000; i++) {
		uint64_t st = berth_runtime_pid_start_time(pid, &zombie);
		if (st == 0 || zombie || st != start_time)
			return;
		usleep(10000);
	}
}

static int force_stop(struct berth_oci_state *s, berth_error_t *err)
{
	struct berth_cgroup *cg;

	if (s->paused && (cg = open_cgroup(s, err)) != NULL) {
		(void)berth_cgroup_freeze(cg, false, err);
		berth_cgroup_free(cg);
	}
	berth_error_release(err);
	if (berth_runtime_kill(s->pid, s->start_time, SIGKILL, err) < 0) {
		if (berth_error_code(*err) != ESRCH)
			return -1;
		berth_error_release(err);
	}
	wait_gone(s->pid, s->start_time);
	return 0;
}

static int remove_cgroup(const struct berth_oci_state *s, berth_error_t *err)
{
	struct berth_cgroup *cg = open_cgroup(s, err);
	int ret;

	if (cg == NULL) {
		if (berth_error_code(*err) != ENOENT)
			return -1;
		berth_error_release(err);
		return 0;
	}
	ret = berth_cgroup_destroy(cg, err);
	berth_cgroup_free(cg);
	return ret;
}

static int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct berth_oci_state s;
	cleanup_error berth_error_t err = NULL;
	const char *status;
	bool force = false;
	int c, r = 0;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return help("delete [--force] ID");
		else
			return usage_error("delete", "unknown option");
	}
	if (optind != argc - 1)
		return usage_error("delete", "exactly one container id is required");
	if (load_running(argv[optind], &s, &status, &err) < 0)
		return fail(&err, false);
	if (strcmp(status, "stopped") != 0 && !force)
		r = berth_make_error(&err, EBUSY,
				     "cannot delete container `%s` that is not stopped: %s", s.id,
				     status);
	if (r == 0 && strcmp(status, "stopped") != 0)
		r = force_stop(&s, &err);
	if (r == 0)
		r = remove_cgroup(&s, &err);
	if (r == 0)
		r = berth_state_remove(G.root, s.id, &err);
	if (r == 0 && run_saved_hooks(&s, BERTH_HOOK_POSTSTOP, "stopped", &err) < 0) {
		report("warning", "poststop: %s", err->msg);
		berth_error_release(&err);
	}
	berth_state_release(&s);
	return r < 0 ? fail(&err, false) : 0;
}

static int pause_resume(const char *cmd, int argc, char **argv, bool pause)
{
	struct berth_oci_state s;
	cleanup_error berth_error_t err = NULL;
	struct berth_cgroup *cg = NULL;
	const char *id, *status;
	int r = one_id(cmd, argc, argv, &id, 0);

	if (r >= 0)
		return r;
	if (load_running(id, &s, &status, &err) < 0)
		return fail(&err, false);
	if (strcmp(status, pause ? "running" : "paused") != 0)
		r = berth_make_error(&err, EINVAL, "container `%s` is %s", id, status);
	else if ((cg = open_cgroup(&s, &err)) == NULL)
		r = -1;
	else if ((r = berth_cgroup_freeze(cg, pause, &err)) == 0) {
		s.paused = pause;
		r = berth_state_save(G.root, &s, &err);
	}
	berth_cgroup_free(cg);
	berth_state_release(&s);
	return r < 0 ? fail(&err, false) : 0;
}

static int cmd_pause(int argc, char **argv)
{
	return pause_resume("pause", argc, argv, true);
}

static int cmd_resume(int argc, char **argv)
{
	return pause_resume("resume", argc, argv, false);
}

/* ------------------------------------------------------------ exec */

struct exec_args {
	const char *process, *pid_file, *console_socket, *cwd, *user;
	char **env;
	size_t n_env;
	bool tty, detach, no_new_privs;
	int preserve_fds;
};

/* --user UID[:GID] */
static int apply_user(struct berth_spec_process *p, const char *u, berth_error_t *err)
{
	char *end;
	unsigned long uid = strtoul(u, &end, 10), gid;

	if (end == u || (*end && *end != ':'))
		return berth_make_error(err, EINVAL, "--user `%s`: want UID[:GID]", u);
	p->user.uid = (uid_t)uid;
	if (*end == ':') {
		gid = strtoul(end + 1, &end, 10);
		if (*end)
			return berth_make_error(err, EINVAL, "--user `%s`: want UID[:GID]", u);
		p->user.gid = (gid_t)gid;
	}
	return 0;
}

static char **strv_dup(char *const *v, size_t n, size_t extra)
{
	char **out = xcalloc(n + extra + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* The process of `exec ID ARGS...`: the container's own, with ARGS and
 * the flags' overrides (runc's behaviour). */
static void process_from_args(struct berth_spec_process *p, const struct berth_spec *spec,
			      const struct exec_args *a, char **args, size_t n_args)
{
	const struct berth_spec_process *c = &spec->process;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->args = strv_dup(args, n_args, 0);
	p->n_args = n_args;
	p->env = strv_dup(c->env, c->n_env, 0);
	p->n_env = c->n_env;
	p->cwd = xstrdup(c->cwd);
	p->user = c->user;
	p->user.additional_gids = xcalloc(c->user.n_additional_gids + 1, sizeof(gid_t));
	for (i = 0; i < c->user.n_additional_gids; i++)
		p->user.additional_gids[i] = c->user.additional_gids[i];
	p->capabilities = c->capabilities;
	p->no_new_privileges = c->no_new_privileges;
}

/* -e, --cwd, -u, -t, --no-new-privs on top of either kind of process */
static int apply_exec_flags(struct berth_spec_process *p, const struct exec_args *a,
			    berth_error_t *err)
{
	size_t i;

	if (a->n_env) {
		p->env = xrealloc(p->env, (p->n_env + a->n_env + 1) * sizeof(char *));
		for (i = 0; i < a->n_env; i++)
			p->env[p->n_env++] = xstrdup(a->env[i]);
		p->env[p->n_env] = NULL;
	}
	if (a->cwd) {
		if (a->cwd[0] != '/')
			return berth_make_error(err, EINVAL, "--cwd must be absolute");
		free(p->cwd);
		p->cwd = xstrdup(a->cwd);
	}
	if (a->user && apply_user(p, a->user, err) < 0)
		return -1;
	if (a->tty)
		p->terminal = true;
	if (a->no_new_privs)
		p->no_new_privileges = true;
	return 0;
}

static int load_process(const struct exec_args *a, const struct berth_spec *spec, char **args,
			size_t n_args, struct berth_spec_process *p, json_t **doc,
			berth_error_t *err)
{
	cleanup_free char *data = NULL;
	ssize_t n;

	*doc = NULL;
	if (a->process == NULL) {
		if (n_args == 0)
			return berth_make_error(err, EINVAL,
						"exec: a command or --process is required");
		process_from_args(p, spec, a, args, n_args);
	} else {
		n = berth_fs_read_file(a->process, BERTH_SPEC_MAX_BYTES, &data, err);
		if (n < 0 || berth_spec_process_parse(data, (size_t)n, p, doc, err) < 0)
			return -1;
	}
	return apply_exec_flags(p, a, err);
}

static int do_exec(const struct exec_args *a, const char *id, char **args, size_t n_args)
{
	struct berth_oci_state s;
	cleanup_spec struct berth_spec *spec = NULL;
	cleanup_error berth_error_t err = NULL;
	cleanup_close int console = -1;
	struct berth_spec_process proc = { 0 };
	struct berth_runtime_proc p = { .pidfd = -1, .pty_master = -1 };
	struct berth_runtime_opts o;
	json_t *doc = NULL;
	const char *status;
	sigset_t set, old;
	int ret;

	if (load_running(id, &s, &status, &err) < 0)
		return fail(&err, !a->detach);
	ret = strcmp(status, "running") == 0 || strcmp(status, "created") == 0
		  ? 0
		  : berth_make_error(&err, EINVAL, "cannot exec in a %s container", status);
	if (ret == 0 && (spec = berth_spec_load(s.bundle, &err)) == NULL)
		ret = -1;
	if (ret == 0)
		ret = load_process(a, spec, args, n_args, &proc, &doc, &err);
	if (ret == 0 && proc.terminal && a->console_socket == NULL && a->detach)
		ret = berth_make_error(&err, EINVAL, "--tty needs --console-socket with --detach");
	berth_runtime_opts_init(&o);
	o.id = id;
	o.bundle = s.bundle;
	o.preserve_fds = a->preserve_fds;
	o.warn = warn_cb;
	if (ret == 0 && a->console_socket)
		ret = o.console_socket = console = connect_console(a->console_socket, &err);
	if (!a->detach)
		block_signals(&set, &old);
	if (ret >= 0)
		ret = berth_runtime_exec(s.pid, spec, &proc, &o, &p, &err);
	if (ret == 0)
		ret = write_pid_file(a->pid_file, p.pid, &err);
	berth_state_release(&s);
	if (ret < 0) {
		berth_spec_process_release(&proc);
		json_decref(doc);
		return fail(&err, !a->detach);
	}
	if (!a->detach) {
		struct waiter w = { .pid = p.pid, .pty = p.pty_master };
		raw_terminal(&w);
		ret = wait_process(&w, &set);
		if (w.raw)
			tcsetattr(0, TCSANOW, &w.saved);
	}
	berth_runtime_proc_release(&p);
	berth_spec_process_release(&proc);
	json_decref(doc);
	return ret;
}

static const struct option exec_opts[] = {
	{ "process", required_argument, NULL, 'p' },
	{ "pid-file", required_argument, NULL, 'P' },
	{ "console-socket", required_argument, NULL, 'c' },
	{ "cwd", required_argument, NULL, 'w' },
	{ "env", required_argument, NULL, 'e' },
	{ "user", required_argument, NULL, 'u' },
	{ "tty", no_argument, NULL, 't' },
	{ "detach", no_argument, NULL, 'd' },
	{ "no-new-privs", no_argument, NULL, 'N' },
	{ "preserve-fds", required_argument, NULL, 'f' },
	{ "process-label", required_argument, NULL, 'n' }, /* accepted, not used */
	{ "apparmor", required_argument, NULL, 'n' },
	{ "cap", required_argument, NULL, 'n' },
	{ "ignore-paused", no_argument, NULL, 'n' },
	{ "pidfd-socket", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_exec(int argc, char **argv)
{
	struct exec_args a = { 0 };
	cleanup_free char **env = xcalloc((size_t)argc + 1, sizeof(char *));
	int c;

	a.env = env;
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+p:e:u:tdh", exec_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a.process = optarg;
			break;
		case 'P':
			a.pid_file = optarg;
			break;
		case 'c':
			a.console_socket = optarg;
			break;
		case 'w':
			a.cwd = optarg;
			break;
		case 'e':
			env[a.n_env++] = optarg;
			break;
		case 'u':
			a.user = optarg;
			break;
		case 't':
			a.tty = true;
			break;
		case 'd':
			a.detach = true;
			break;
		case 'N':
			a.no_new_privs = true;
			break;
		case 'f':
			a.preserve_fds = atoi(optarg);
			break;
		case 'n':
			break;
		case 'h':
			printf(
			    "Usage: berth-oci exec [--process FILE | -e K=V -u UID[:GID] --cwd DIR "
			    "-t] [--detach] [--pid-file FILE] [--console-socket SOCK] ID [CMD...]\n");
			return 0;
		default:
			return usage_error("exec", "unknown option");
		}
	}
	if (optind >= argc)
		return usage_error("exec", "a container id is required");
	return do_exec(&a, argv[optind], argv + optind + 1, (size_t)(argc - optind - 1));
}

/* ------------------------------------------------------------ list, features */

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
					      { "format", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	bool quiet = false, json = false;
	json_t *all;
	int c;

	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+qf:h", opts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'f')
			json = strcmp(optarg, "json") == 0;
		else if (c == 'h')
			return help("list [--quiet] [--format table|json]");
		else
			return usage_error("list", "unknown option");
	}
	all = json_array();
	d = opendir(G.root);
	if (!quiet && !json)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	while (d && (de = readdir(d)) != NULL) {
		struct berth_oci_state s;
		berth_error_t err = NULL;
		const char *st;

		if (de->d_name[0] == '.' || berth_state_load(G.root, de->d_name, &s, &err) < 0) {
			berth_error_release(&err);
			continue;
		}
		st = berth_state_status(G.root, &s);
		if (json)
			json_array_append_new(all, berth_state_to_json(&s, st));
		else if (quiet)
			printf("%s\n", s.id);
		else
			printf("%-12s %-8d %-10s %-40s %-30s %s\n", s.id,
			       strcmp(st, "stopped") ? (int)s.pid : 0, st, s.bundle, s.created,
			       "root");
		berth_state_release(&s);
	}
	if (json) {
		char *out = json_dumps(all, JSON_COMPACT);
		printf("%s\n", out);
		free(out);
	}
	json_decref(all);
	return 0;
}

/* The OCI features document (features-schema.json), from what the
 * library and the linux/ modules actually handle. */
static int cmd_features(int argc, char **argv)
{
	static const char *const hooks[] = { "prestart", "createRuntime", "poststart", "poststop" };
	static const char *const opts[] = {
		"bind",	   "rbind",    "ro",	      "rw",	    "nosuid",	   "suid",
		"nodev",   "dev",      "noexec",      "exec",	    "private",	   "rprivate",
		"shared",  "rshared",  "slave",	      "rslave",	    "unbindable",  "runbindable",
		"noatime", "relatime", "strictatime", "nodiratime", "nosymfollow", "sync",
	};
	static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid", "uts" };
	json_t *doc, *a;
	char *out;
	size_t i;

	(void)argc;
	(void)argv;
	doc = json_pack("{s:s, s:s, s:{s:o, s:{s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}}}",
			"ociVersionMin", "1.0.0", "ociVersionMax", OCI_SPEC_VERSION, "linux",
			"capabilities", berth_caps_all(), "cgroup", "v1", 1, "v2", 1, "systemd", 0,
			"seccomp", berth_seccomp_features(), "apparmor", "enabled", 0, "selinux",
			"enabled", 0);
	a = json_array();
	for (i = 0; i < BERTH_ARRAY_SIZE(hooks); i++)
		json_array_append_new(a, json_string(hooks[i]));
	json_object_set_new(doc, "hooks", a);
	a = json_array();
	for (i = 0; i < BERTH_ARRAY_SIZE(opts); i++)
		json_array_append_new(a, json_string(opts[i]));
	json_object_set_new(doc, "mountOptions", a);
	a = json_array();
	for (i = 0; i < BERTH_ARRAY_SIZE(ns); i++)
		json_array_append_new(a, json_string(ns[i]));
	json_object_set_new(json_object_get(doc, "linux"), "namespaces", a);
	out = json_dumps(doc, JSON_INDENT(2));
	printf("%s\n", out);
	free(out);
	json_decref(doc);
	return 0;
}

/* ------------------------------------------------------------ main */

struct oci_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct oci_cmd commands[] = {
	{ "create", cmd_create, "create a container, its program waiting for `start`" },
	{ "start", cmd_start, "run the program of a created container" },
	{ "run", cmd_run, "create and start a container, and wait for it" },
	{ "exec", cmd_exec, "run a process in a running container" },
	{ "state", cmd_state, "print a container's state as JSON" },
	{ "kill", cmd_kill, "send a signal to a container's init (or --all)" },
	{ "delete", cmd_delete, "remove a stopped container (--force: any)" },
	{ "pause", cmd_pause, "freeze a container's processes" },
	{ "resume", cmd_resume, "thaw them" },
	{ "list", cmd_list, "list containers" },
	{ "features", cmd_features, "print the features this runtime has, as JSON" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: berth-oci [--root DIR] [--log FILE] [--log-format text|json] "
		   "[--cgroup-root DIR] COMMAND "
		   "[ARGS...]\n\nCommands:\n");
	for (i = 0; i < BERTH_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

static void version(void)
{
	printf("berth-oci version %s\ncommit: %s\nspec: %s\n", BERTH_VERSION, BERTH_GIT_COMMIT,
	       OCI_SPEC_VERSION);
}

static const struct option global_opts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "log", required_argument, NULL, 'l' },
	{ "log-format", required_argument, NULL, 'F' },
	{ "systemd-cgroup", no_argument, NULL, 's' },
	{ "debug", no_argument, NULL, 'D' },
	{ "rootless", required_argument, NULL, 'n' }, /* accepted, not used */
	{ "criu", required_argument, NULL, 'n' },
	{ "cgroup-manager", required_argument, NULL, 'm' },
	{ "cgroup-root", required_argument, NULL, 'C' },
	{ "version", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Global options; returns the index of the command, or -(status+1). */
static int parse_global(int argc, char **argv)
{
	int c;

	while ((c = getopt_long_only(argc, argv, "+vh", global_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			G.root = optarg;
			break;
		case 'l':
			G.log_path = optarg;
			break;
		case 'C':
			G.cgroup_root = optarg;
			break;
		case 'F':
			G.log_json = strcmp(optarg, "json") == 0;
			break;
		case 'D':
		case 'n':
			break;
		case 'm':
			if (strcmp(optarg, "cgroupfs") == 0)
				break;
			__attribute__((fallthrough));
		case 's':
			report("error", "the systemd cgroup manager is not supported: use cgroupfs "
					"(podman: --cgroup-manager=cgroupfs)");
			return -2;
		case 'v':
			version();
			return -1;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return -2;
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	int first;
	size_t i;

	opterr = 0; /* our own messages */
	first = parse_global(argc, argv);
	if (first < 0)
		return -first - 1;
	if (G.log_path) {
		G.log = fopen(G.log_path, "ae");
		if (G.log == NULL)
			fprintf(stderr, "berth-oci: --log `%s`: %s\n", G.log_path, strerror(errno));
	}
	if (first >= argc) {
		usage(stderr);
		return 1;
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(commands); i++)
		if (strcmp(argv[first], commands[i].name) == 0)
			return commands[i].fn(argc - first, argv + first);
	report("error", "unknown command `%s`", argv[first]);
	return 1;
}
