/* main.c: `berth daemon`: configuration, the lock on the data root, the pid
 * file, signals, and the wiring of loop, engine and API server. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "api/api.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "runtime/runtime.h"
#include "daemon/daemon_config.h"
#include "daemon/daemon.h"
#include "engine/engine.h"
#include "http/server.h"
#include "loop/loop.h"

struct daemon {
	int argc;
	char **argv; /* borrowed: main's */
	struct berth_daemon_config cfg;
	struct berth_loop *loop;
	struct berth_engine *engine;
	struct berth_http_server *http;
	struct berth_api api;
	struct berth_loop_handler *sig_watch;
	int sigfd;
	int lockfd;    /* flock on <data-root>/berth.lock */
	char *pidfile; /* owned; removed at exit */
	char server_header[64];
	char *spool_dir; /* owned: <data-root>/tmp, for uploads */
};

/* Only one daemon may own a data root: an exclusive flock held for the
 * daemon's life on <data-root>/berth.lock, which also records its pid. */
static int lock_data_root(struct daemon *d, berth_error_t *err)
{
	const char *root = d->cfg.engine.data_root;
	cleanup_free char *path = xasprintf("%s/berth.lock", root);
	cleanup_close int fd = -1;
	char buf[32];

	if (berth_fs_mkdir_p(root, 0711, err) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = errno == EWOULDBLOCK ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return berth_make_error(
		    err, EBUSY, "another berth daemon is already running on data root `%s`%s%s%s",
		    root, n > 0 ? " (pid " : "", n > 0 ? buf : "", n > 0 ? ")" : "");
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, strlen(buf), 0) < 0)
		return berth_make_error(err, errno, "write `%s`: %s", path, strerror(errno));
	d->lockfd = steal_fd(&fd);
	return 0;
}

/* The exec root holds what must not outlive the host: monitors' bundles,
 * FIFOs, exit files, sockets and namespace files. On a host whose /run is
 * not a tmpfs (no systemd, as on these machines), berth mounts one there:
 * stale state can then never survive a reboot, and creating a file costs
 * ~10 us instead of the ~200 us and more of an ext4 without a journal
 * (its allocator skips recently deleted inodes one by one). A root that
 * already holds files (a berth before this rule, with containers still
 * running) is left as it is. */
static void mount_exec_root(const char *root)
{
	struct statfs sfs;
	DIR *d;
	struct dirent *de;
	bool empty = true;

	if (statfs(root, &sfs) < 0 || sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC)
		return;
	d = opendir(root);
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	if (d)
		closedir(d);
	if (!empty) {
		berth_log_warn("exec root %s is not a tmpfs and holds files: using it as it is", root);
		return;
	}
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		berth_log_warn("exec root %s: mount a tmpfs: %s", root, strerror(errno));
}

/* dockerd refuses to start over a pid file whose process still runs. */
static int write_pidfile(struct daemon *d, berth_error_t *err)
{
	cleanup_free char *path = d->cfg.pidfile
				      ? xstrdup(d->cfg.pidfile)
				      : xasprintf("%s/berth.pid", d->cfg.engine.exec_root);
	cleanup_free char *old = NULL;
	char buf[32];

	if (berth_fs_read_file(path, 64, &old, NULL) >= 0) {
		int pid = atoi(old);
		bool zombie = false;
		if (pid > 0 && pid != getpid() && kill(pid, 0) == 0 &&
		    berth_runtime_pid_start_time(pid, &zombie) > 0 && !zombie) {
			cleanup_free char *comm_path = xasprintf("/proc/%d/comm", pid);
			cleanup_free char *comm = NULL;
			/* a killed daemon nobody reaped yet, or a monitor, is not one */
			if (berth_fs_read_file(comm_path, 64, &comm, NULL) >= 0 &&
			    strcmp(comm, "berth\n") == 0)
				return berth_make_error(
				    err, EEXIST,
				    "pid file found, ensure berth is not running or delete %s (process with PID %d is still running)",
				    path, pid);
		}
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (berth_fs_write_atomic(path, buf, strlen(buf), 0644, err) < 0)
		return -1;
	d->pidfile = steal_pointer(&path);
	return 0;
}

/* Work in progress (downloads, unpacks) never survives a restart. A
 * container removed just before a crash may still have its rootfs mounted
 * under tmp/rm-ID/: unmounted first, never deleted through. */
static void clear_tmp(const char *root)
{
	cleanup_free char *tmp = xasprintf("%s/tmp", root);
	berth_error_t err = NULL;
	DIR *d = opendir(tmp);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "rm-", 3) == 0) {
			cleanup_free char *rootfs = xasprintf("%s/%s/rootfs", tmp, de->d_name);
			(void)umount2(rootfs, MNT_DETACH);
		}
	}
	if (d)
		closedir(d);

	if (berth_fs_remove_tree_contents(tmp, &err) < 0) {
		berth_log_warn("clean `%s`: %s", tmp, err->msg);
		berth_error_release(&err);
	}
}

static void reload(struct daemon *d)
{
	struct berth_daemon_config fresh;
	berth_error_t err = NULL;

	if (berth_daemon_config_parse_args(&fresh, d->argc, d->argv, &err) < 0 ||
	    berth_daemon_config_load_file(&fresh, fresh.config_file_set, &err) < 0) {
		berth_log_error("reload: %s; keeping the configuration in force", err->msg);
		berth_error_release(&err);
		berth_daemon_config_release(&fresh);
		return;
	}
	berth_log_set_level(berth_log_parse_level(fresh.log_level));
	berth_engine_reload(d->engine, &fresh.engine);
	berth_daemon_config_release(&d->cfg);
	d->cfg = fresh;
	berth_log_info("reloaded configuration from %s", d->cfg.config_file);
}

static void on_signal(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct daemon *d = data;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			berth_log_info("received signal %d, shutting down", (int)si.ssi_signo);
			berth_loop_stop(loop);
			break;
		default:
			break;
		}
	}
}

static int setup_signals(struct daemon *d, berth_error_t *err)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return berth_make_error(err, errno, "sigprocmask: %s", strerror(errno));
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0)
		return berth_make_error(err, errno, "signalfd: %s", strerror(errno));
	d->sig_watch = berth_loop_add_fd(d->loop, d->sigfd, EPOLLIN, on_signal, d, err);
	return d->sig_watch ? 0 : -1;
}

static int start_api(struct daemon *d, berth_error_t *err)
{
	struct berth_http_server_config hc = { 0 };
	json_t *it;
	size_t i;

	d->api.engine = d->engine;
	d->api.loop = d->loop;
	hc.routes = berth_api_routes(&hc.n_routes);
	hc.ctx = &d->api;
	sscanf(BERTH_API_MIN_VERSION, "%d.%d", &hc.api_min_major, &hc.api_min_minor);
	sscanf(BERTH_API_VERSION, "%d.%d", &hc.api_max_major, &hc.api_max_minor);
	snprintf(d->server_header, sizeof(d->server_header), "berth/%s (linux)", BERTH_VERSION);
	hc.server_header = d->server_header;
	d->spool_dir = xasprintf("%s/tmp", d->cfg.engine.data_root);
	hc.spool_dir = d->spool_dir;
	d->http = berth_http_server_new(d->loop, &hc, err);
	if (d->http == NULL)
		return -1;
	json_array_foreach (d->cfg.hosts, i, it) {
		const char *path = json_string_value(it) + strlen("unix://");
		cleanup_free char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (berth_fs_mkdir_p(dir, 0755, err) < 0)
				return -1;
		}
		if (berth_http_server_listen_unix(d->http, path, 0660, err) < 0)
			return -1;
		berth_log_info("API listening on %s", path);
	}
	return 0;
}

static int start(struct daemon *d, berth_error_t *err)
{
	json_t *it;
	size_t i;

	json_array_foreach (d->cfg.ignored, i, it)
		berth_log_warn("daemon.json: berth does not act on `%s` yet; ignoring it",
			       json_string_value(it));
	if (lock_data_root(d, err) < 0 || berth_fs_mkdir_p(d->cfg.engine.exec_root, 0700, err) < 0)
		return -1;
	mount_exec_root(d->cfg.engine.exec_root);
	if (write_pidfile(d, err) < 0)
		return -1;
	d->loop = berth_loop_new(err);
	if (d->loop == NULL || setup_signals(d, err) < 0)
		return -1;
	d->engine = berth_engine_new(d->loop, &d->cfg.engine, err);
	if (d->engine == NULL)
		return -1;
	clear_tmp(d->cfg.engine.data_root);
	if (start_api(d, err) < 0)
		return -1;
	berth_log_info("berth daemon %s (commit %s) started, API %s", BERTH_VERSION,
		       BERTH_GIT_COMMIT, BERTH_API_VERSION);
	return 0;
}

static void stop(struct daemon *d)
{
	berth_http_server_free(d->http);
	berth_engine_free(d->engine);
	if (d->loop) {
		berth_loop_del_fd(d->loop, d->sig_watch);
		berth_loop_free(d->loop);
	}
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->pidfile)
		unlink(d->pidfile);
	free(d->pidfile);
	if (d->lockfd >= 0)
		close(d->lockfd);
	berth_daemon_config_release(&d->cfg);
	free(d->spool_dir);
}

int berth_daemon_main(int argc, char **argv)
{
	struct daemon d = { .argc = argc, .argv = argv, .sigfd = -1, .lockfd = -1 };
	cleanup_error berth_error_t err = NULL;
	int ret = 1;

	if (berth_daemon_config_parse_args(&d.cfg, argc, argv, &err) < 0)
		goto out;
	if (d.cfg.show_help || d.cfg.show_version) {
		if (d.cfg.show_help)
			fputs(berth_daemon_config_usage(), stdout);
		else
			printf("berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
		berth_daemon_config_release(&d.cfg);
		return 0;
	}
	if (berth_daemon_config_load_file(&d.cfg, d.cfg.config_file_set, &err) < 0)
		goto out;
	berth_log_set_level(berth_log_parse_level(d.cfg.log_level));
	berth_log_set_json(strcmp(d.cfg.log_format, "json") == 0);
	if (geteuid() != 0) {
		berth_make_error(&err, EPERM,
				 "berth daemon needs to be started with root privileges");
		goto out;
	}
	umask(022);
	if (start(&d, &err) < 0)
		goto out;
	if (berth_loop_run(d.loop, &err) < 0)
		goto out;
	ret = 0;
out:
	if (err)
		berth_log_error("%s", err->msg);
	stop(&d);
	return ret;
}
