/* crun.c: running containers: the rootfs mount, the files docker writes
 * (hostname, hosts, resolv.conf), config.json, the berth-monitor process
 * (fork+exec, reparented away, watched through a pidfd), exits, stop and
 * kill, pause, restart policies, waiters, and adoption after a restart. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "engine/ocispec.h"
#include "engine/volume_internal.h"
#include "net/ipam.h"
#include "net/resolver.h"
#include "runtime/linux/cgroup.h"
#include "runtime/linux/seccomp.h"
#include "runtime/runtime.h"

extern char **environ;

#define READY_TIMEOUT_MS   (120 * 1000) /* a monitor's create may take long on a busy host */
#define MAX_OVERLAY_OPTS   4000		/* one page of mount options */
#define RESTART_MIN_MS	   100
#define RESTART_MAX_MS	   (60 * 1000)
#define RESTART_RESET_NS   (10LL * 1000 * 1000 * 1000)
#define DEFAULT_STOP_S	   10
#define MAX_USER_FILE	   (4 * 1024 * 1024)
#define MONITOR_POLL_MS	   500 /* only without pidfds */

struct cwaiter {
	struct cwaiter *next;
	struct berth_engine *e;
	struct container *c; /* NULL once the container is gone */
	enum berth_wait_condition cond;
	berth_container_wait_cb cb;
	void *data;
	uint64_t timer;
	int code;
	char *error;
	bool fired;
};

struct cstop {
	struct cstop *next;
	berth_container_done_cb done;
	void *data;
	bool restart; /* start again once stopped */
	bool remove;  /* rm -f: no stop event */
};

/* Waiters whose container was removed, until their callback has run. */
static struct cwaiter *orphans;

static void on_exit_seen(struct berth_engine *e, struct container *c);

bool crun_running(const struct container *c)
{
	return c->status == CS_RUNNING || c->status == CS_PAUSED || c->status == CS_RESTARTING;
}

static char *cgroup_path(const struct container *c)
{
	return xasprintf("/berth/%s", c->id);
}

/* --- rootfs ------------------------------------------------------------------------------ */

static bool is_overlay(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC;
}

int crun_mount(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	cleanup_free char *rootfs = cont_path(c, "rootfs"), *upper = cont_path(c, "upper"),
			  *work = cont_path(c, "work"), *opts = NULL;
	struct berth_strbuf lower = BERTH_STRBUF_INIT;
	size_t i = json_array_size(c->layers);

	crun_cleanup_wait(c);
	if (c->mounted || is_overlay(rootfs)) {
		c->mounted = true;
		return 0;
	}
	while (i-- > 0) {
		const char *chain = json_string_value(json_array_get(c->layers, i));
		if (chain == NULL || strncmp(chain, "sha256:", 7) != 0) {
			berth_strbuf_release(&lower);
			return berth_make_error(err, EIO, "container %s: bad layer list", c->id);
		}
		berth_strbuf_printf(&lower, "%s%s/%s/diff", lower.len ? ":" : "", e->layers_dir,
				    chain + 7);
	}
	if (lower.len == 0) { /* an image without layers: an empty lower dir */
		cleanup_free char *empty = cont_path(c, "empty");
		if (berth_fs_mkdir_p(empty, 0755, err) < 0) {
			berth_strbuf_release(&lower);
			return -1;
		}
		berth_strbuf_printf(&lower, "%s", empty);
	}
	opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower.buf, upper, work);
	berth_strbuf_release(&lower);
	if (strlen(opts) > MAX_OVERLAY_OPTS)
		return berth_make_error(err, E2BIG,
					"container %s: too many image layers for one overlay mount",
					c->id);
	if (mount("overlay", rootfs, "overlay", 0, opts) < 0)
		return berth_make_error(err, errno, "mount overlay for %s: %s", c->id,
					strerror(errno));
	c->mounted = true;
	return 0;
}

int crun_unmount(struct berth_engine *e, struct container *c)
{
	cleanup_free char *rootfs = cont_path(c, "rootfs");

	if (c->fs_users > 0)
		return 0; /* carchive.c unmounts once its jobs are done */
	/* a prepared container (crun_prepare_later) uses the mount: a second
	 * overlay on the same upper dir would not see its files */
	if (c->prepared)
		return 0;
	(void)e;
	crun_cleanup_wait(c);
	if (umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
		berth_log_warn("container %s: unmount rootfs: %s", c->id, strerror(errno));
		return -1;
	}
	c->mounted = false;
	return 0;
}

/* Removes the cgroup PATH under ROOT (gone already: nothing), warning on
 * failure. */
static void crun_remove_cgroup(const char *root, const char *path)
{
	berth_error_t err = NULL;
	struct berth_cgroup *cg = berth_cgroup_open(root, path, &err);

	if (cg == NULL || berth_cgroup_destroy(cg, &err) < 0) {
		if (berth_error_code(err) != ENOENT)
			berth_log_warn("remove cgroup %s: %s", path, err->msg);
		berth_error_release(&err);
	}
	berth_cgroup_free(cg);
}

struct crun_leftovers {
	int mntns_fd; /* the container's mount namespace, or -1 */
	char *rootfs; /* to unmount, or NULL */
	char *cgroup_root;
	char *exec_root;
	char id[65];
};

struct crun_leftovers *crun_leftovers_new(struct berth_engine *e, struct container *c,
					  char *rootfs)
{
	struct crun_leftovers *l = xzalloc(sizeof(*l));

	l->mntns_fd = c->mntns_fd;
	c->mntns_fd = -1;
	l->rootfs = rootfs;
	l->cgroup_root = xstrdup(e->cfg.cgroup_root);
	l->exec_root = xstrdup(e->cfg.exec_root);
	snprintf(l->id, sizeof(l->id), "%s", c->id);
	return l;
}

void crun_leftovers_undo(struct crun_leftovers *l)
{
	cleanup_free char *cg = xasprintf("/berth/%s", l->id);

	/* the cheapest first, should the daemon end meanwhile (its next start
	 * removes what is left); the mount namespace goes before the rootfs
	 * it holds a copy of */
	if (l->mntns_fd >= 0)
		close(l->mntns_fd);
	crun_netns_release(l->exec_root, l->id);
	if (l->rootfs && umount2(l->rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		berth_log_warn("unmount %s: %s", l->rootfs, strerror(errno));
	crun_remove_cgroup(l->cgroup_root, cg);
	free(l->rootfs);
	free(l->cgroup_root);
	free(l->exec_root);
	free(l);
}

static void *cleanup_thread(void *data)
{
	crun_leftovers_undo(data);
	return NULL;
}

void crun_cleanup_async(struct berth_engine *e, struct container *c)
{
	struct crun_leftovers *l;

	crun_cleanup_wait(c);
	l = crun_leftovers_new(e, c, NULL);
	/* a rootfs copy jobs use stays: carchive.c unmounts it once they end */
	if (c->mounted && c->fs_users == 0) {
		l->rootfs = cont_path(c, "rootfs");
		c->mounted = false;
	}
	if (pthread_create(&c->cleanup_thread, NULL, cleanup_thread, l) == 0)
		c->cleaning = true;
	else
		cleanup_thread(l);
}

void crun_cleanup_wait(struct container *c)
{
	if (!c->cleaning)
		return;
	pthread_join(c->cleanup_thread, NULL);
	c->cleaning = false;
}

/* Reads REL (e.g. "etc/passwd") inside ROOT without leaving it. NULL when
 * it is missing or unreadable. */
char *crun_read_in_root(const char *root, const char *rel)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	struct stat st;
	char buf[8192];
	ssize_t n;

	if (rfd < 0)
		return NULL;
	fd = (int)syscall(SYS_openat2, rfd, rel, &how, sizeof(how));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (b.len + (size_t)n > MAX_USER_FILE)
			break;
		berth_strbuf_append(&b, buf, (size_t)n);
	}
	if (b.buf == NULL)
		return xstrdup("");
	return b.buf;
}

int crun_resolve_user(struct container *c, const char *user, json_t **user_json,
		      berth_error_t *err)
{
	cleanup_free char *rootfs = cont_path(c, "rootfs"), *passwd = NULL, *group = NULL;
	cleanup_free gid_t *groups = NULL;
	size_t n = 0, i;
	uid_t uid;
	gid_t gid;
	json_t *gl;

	passwd = crun_read_in_root(rootfs, "etc/passwd");
	group = crun_read_in_root(rootfs, "etc/group");
	if (berth_oci_resolve_user(user, passwd, group, &uid, &gid, &groups, &n, err) < 0)
		return -1;
	gl = json_array();
	json_array_append_new(gl, json_integer(gid));
	for (i = 0; i < n; i++)
		json_array_append_new(gl, json_integer(groups[i]));
	*user_json = json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)uid, "gid", (json_int_t)gid,
			       "additionalGids", gl);
	return 0;
}

/* --- the files docker writes ---------------------------------------------------------------- */

static int write_file(const struct container *c, const char *name, const char *text,
		      berth_error_t *err)
{
	cleanup_free char *p = cont_rt_path(c, name);

	return berth_fs_write_replace(p, text, strlen(text), 0644, err);
}

/* Once C has its address: its hostname's line of /etc/hosts names that
 * address instead of 127.0.1.1, as docker writes it. In place: the file
 * is bind-mounted already, a rename would not reach the container. */
static int write_hosts_addrs(struct container *c, berth_error_t *err)
{
	const char *ip = json_string_value(json_object_get(net_primary(c), "IPAddress"));
	cleanup_free char *path = cont_rt_path(c, "hosts"), *text = NULL;
	cleanup_close int fd = -1;
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	char *line, *save = NULL;
	int ret = 0;

	if (ip == NULL || berth_fs_read_file(path, MAX_USER_FILE, &text, err) < 0)
		return ip == NULL ? 0 : -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "127.0.1.1\t", 10) == 0)
			berth_strbuf_printf(&b, "%s\t%s\n", ip, line + 10);
		else
			berth_strbuf_printf(&b, "%s\n", line);
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || berth_fs_write_all(fd, b.buf ? b.buf : "", b.len) < 0)
		ret = berth_make_error(err, errno, "write %s: %s", path, strerror(errno));
	berth_strbuf_release(&b);
	return ret;
}

/* --network container:X: C's hostname, hosts and resolv.conf are X's. */
static int copy_etc_files(struct container *c, const struct container *x, berth_error_t *err)
{
	static const char *const files[] = { "hostname", "hosts", "resolv.conf" };
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(files); i++) {
		cleanup_free char *src = cont_rt_path(x, files[i]), *text = NULL;
		if (berth_fs_read_file(src, MAX_USER_FILE, &text, err) < 0 ||
		    write_file(c, files[i], text, err) < 0)
			return -1;
	}
	return 0;
}

/* The words after KEY on the lines of TEXT that start with it. */
static void resolv_words(const char *text, const char *key, json_t *out)
{
	const char *line = text;
	size_t kl = strlen(key);

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > kl && strncmp(line, key, kl) == 0 && (line[kl] == ' ' || line[kl] == '\t')) {
			cleanup_free char *rest = strndup(line + kl, len - kl);
			char *save = NULL, *w;
			if (strcmp(key, "search") == 0)
				json_array_clear(out);
			for (w = strtok_r(rest, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
				if (*w == '#' || *w == ';')
					break;
				/* the last search line counts, as in glibc */
				json_array_append_new(out, json_string(w));
			}
		}
		line = end ? end + 1 : NULL;
	}
}

static bool loopback_server(const char *s)
{
	return strncmp(s, "127.", 4) == 0 || strcmp(s, "::1") == 0;
}

/* resolv.conf as docker writes it: the host's nameservers, search and
 * options, each replaced by --dns, --dns-search and --dns-option when
 * given. On a user-defined network the embedded DNS (127.0.0.11) is the
 * nameserver, with ndots:0, and the others are its upstreams. The host's
 * loopback servers cannot be reached from a container's namespace: they
 * are left out, and docker's fallback takes their place when none remain. */
static void resolv_conf(struct berth_engine *e, struct container *c, const json_t *hc,
			bool host_net, struct berth_strbuf *b)
{
	cleanup_free char *host = NULL;
	json_t *ns = json_array(), *search = json_array(), *opts = json_array(), *v;
	const json_t *dns = json_object_get(hc, "Dns"), *dsearch = json_object_get(hc, "DnsSearch"),
		     *dopts = json_object_get(hc, "DnsOptions");
	bool internal = !host_net && net_uses_resolver(e, c), ndots = false;
	size_t i;

	/* the daemon's dns, dns-search and dns-opts stand in for what a
	 * container does not set */
	if (json_array_size(dns) == 0)
		dns = e->cfg.dns;
	if (json_array_size(dsearch) == 0)
		dsearch = e->cfg.dns_search;
	if (json_array_size(dopts) == 0)
		dopts = e->cfg.dns_opts;

	if (berth_fs_read_file("/etc/resolv.conf", MAX_USER_FILE, &host, NULL) < 0)
		host = NULL;
	if (json_array_size(dns) > 0) {
		json_array_extend(ns, (json_t *)dns);
	} else {
		json_t *all = json_array();
		resolv_words(host, "nameserver", all);
		json_array_foreach (all, i, v)
			if (host_net || internal || !loopback_server(json_string_value(v)))
				json_array_append(ns, v);
		json_decref(all);
		if (json_array_size(ns) == 0 && !host_net && !internal) {
			for (i = 0; i < BERTH_RESOLVER_N_FALLBACK; i++)
				json_array_append_new(ns, json_string(berth_resolver_fallback[i]));
		}
	}
	if (json_array_size(dsearch) > 0)
		json_array_extend(search, (json_t *)dsearch);
	else
		resolv_words(host, "search", search);
	if (json_array_size(dopts) > 0)
		json_array_extend(opts, (json_t *)dopts);
	else
		resolv_words(host, "options", opts);

	if (internal) {
		berth_strbuf_printf(b, "# Generated by berth for a user-defined network: the "
				       "embedded DNS\n# answers container names and forwards the "
				       "rest to\n# ExtServers: [");
		json_array_foreach (ns, i, v)
			berth_strbuf_printf(b, "%s%s", i ? " " : "", json_string_value(v));
		berth_strbuf_printf(b, "]\n\nnameserver %s\n", BERTH_RESOLVER_ADDR);
	} else {
		json_array_foreach (ns, i, v)
			berth_strbuf_printf(b, "nameserver %s\n", json_string_value(v));
	}
	/* "--dns-search ." means no search list */
	if (json_array_size(search) > 0 &&
	    !(json_array_size(search) == 1 &&
	      strcmp(json_string_value(json_array_get(search, 0)) ?: "", ".") == 0)) {
		berth_strbuf_printf(b, "search");
		json_array_foreach (search, i, v)
			berth_strbuf_printf(b, " %s", json_string_value(v));
		berth_strbuf_printf(b, "\n");
	}
	json_array_foreach (opts, i, v)
		ndots = ndots || strncmp(json_string_value(v) ?: "", "ndots:", 6) == 0;
	if (json_array_size(opts) > 0 || (internal && !ndots)) {
		berth_strbuf_printf(b, "options%s", internal && !ndots ? " ndots:0" : "");
		json_array_foreach (opts, i, v)
			berth_strbuf_printf(b, " %s", json_string_value(v));
		berth_strbuf_printf(b, "\n");
	}
	json_decref(ns);
	json_decref(search);
	json_decref(opts);
}

static int write_etc_files(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	const json_t *hc = cont_hc(c), *it;
	const char *hostname = json_string_value(json_object_get(c->request, "Hostname"));
	const char *domain = json_string_value(json_object_get(c->request, "Domainname"));
	const char *mode = json_string_value(json_object_get(hc, "NetworkMode")) ?: "";
	bool host_net = strcmp(mode, "host") == 0, none_net = strcmp(mode, "none") == 0;
	bool own_hdi = false;
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	char gw[16];
	size_t i;
	int ret;

	if (cont_rt_mkdir(c, err) < 0)
		return -1;
	{
		struct container *other = NULL;
		if (net_shared_with(e, c, &other, err) < 0)
			return -1;
		if (other) /* X's hostname and hosts files, as docker gives them */
			return copy_etc_files(c, other, err);
	}
	berth_strbuf_printf(&b, "%s\n", hostname ? hostname : c->id);
	ret = write_file(c, "hostname", b.buf, err);
	berth_strbuf_release(&b);
	if (ret < 0)
		return -1;

	if (host_net) {
		cleanup_free char *h = NULL;
		if (berth_fs_read_file("/etc/hosts", MAX_USER_FILE, &h, NULL) >= 0)
			berth_strbuf_printf(&b, "%s", h);
	} else {
		berth_strbuf_printf(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
					"ip6-loopback\nfe00::0\tip6-localnet\nff00::0\t"
					"ip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\t"
					"ip6-allrouters\n");
	}
	if (!host_net)
		berth_ipam_format_addr(net_host_gateway(e, c), gw);
	else
		snprintf(gw, sizeof(gw), "127.0.0.1");
	json_array_foreach (json_object_get(hc, "ExtraHosts"), i, it) {
		const char *s = json_string_value(it), *sep;
		if (s == NULL || !(sep = strchr(s, ':')))
			continue;
		/* "name:ip" (ip may be IPv6 with colons), or "name:host-gateway" */
		if (strcmp(sep + 1, "host-gateway") == 0)
			berth_strbuf_printf(&b, "%s\t%.*s\n", gw, (int)(sep - s), s);
		else
			berth_strbuf_printf(&b, "%s\t%.*s\n", sep + 1, (int)(sep - s), s);
		own_hdi = own_hdi || ((size_t)(sep - s) == 20 && strncmp(s, "host.docker.internal", 20) == 0);
	}
	net_link_hosts(e, c, &b);
	/* as Docker Desktop: the host is reachable by name from every container */
	if (!own_hdi && strcmp(gw, "0.0.0.0") != 0 && !none_net)
		berth_strbuf_printf(&b, "%s\thost.docker.internal\n", gw);
	if (!host_net && hostname)
		berth_strbuf_printf(&b, "127.0.1.1\t%s%s%s\n", hostname,
				    domain && *domain ? "." : "", domain && *domain ? domain : "");
	ret = write_file(c, "hosts", b.buf ? b.buf : "", err);
	berth_strbuf_release(&b);
	if (ret < 0)
		return -1;

	resolv_conf(e, c, hc, host_net, &b);
	ret = write_file(c, "resolv.conf", b.buf ? b.buf : "", err);
	berth_strbuf_release(&b);
	return ret;
}

/* /etc/hosts and friends stay writable even on a read-only rootfs, as docker */
static json_t *bind_mount(const char *dest, const char *source)
{
	return json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "destination", dest, "type", "bind",
			 "source", source, "options", "rbind", "rprivate", "rw");
}

/* "VAR" without a value (an unset -e VAR) is not passed on, as with runc */
static void filter_env(json_t *env)
{
	size_t i = 0;

	while (i < json_array_size(env)) {
		const char *s = json_string_value(json_array_get(env, i));
		if (s == NULL || strchr(s, '=') == NULL)
			json_array_remove(env, i);
		else
			i++;
	}
}

/* docker's --init: a static tini at /sbin/docker-init runs the command */
static const char *find_init(void)
{
	static const char *const paths[] = { "/usr/bin/docker-init", "/usr/libexec/docker/docker-init",
					     "/usr/local/bin/docker-init", "/usr/bin/tini-static",
					     "/usr/local/libexec/berth/docker-init" };
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int add_init(json_t *spec, berth_error_t *err)
{
	const char *init = find_init();
	json_t *args = json_object_get(json_object_get(spec, "process"), "args");

	if (init == NULL)
		return berth_make_error(err, ENOENT,
					"--init: no init binary found (install tini: docker-init "
					"or tini-static)");
	json_array_insert_new(args, 0, json_string("--"));
	json_array_insert_new(args, 0, json_string("/sbin/docker-init"));
	json_array_append_new(json_object_get(spec, "mounts"),
			      json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination", "/sbin/docker-init",
					"type", "bind", "source", init, "options", "bind", "ro"));
	return 0;
}

/* --privileged: the host's devices (the top of /dev and its usual subdirs) */
static void add_host_devices(json_t *linux_obj)
{
	static const char *const dirs[] = { "/dev", "/dev/net", "/dev/mapper", "/dev/snd",
					    "/dev/dri", "/dev/input" };
	json_t *devs = json_array();
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(dirs); i++) {
		cleanup_dir DIR *d = opendir(dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL) {
			cleanup_free char *p = xasprintf("%s/%s", dirs[i], de->d_name);
			struct stat st;
			if (de->d_name[0] == '.' || lstat(p, &st) < 0 ||
			    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
				continue;
			/* the container's own console and ptys come from its devpts */
			if (strcmp(p, "/dev/console") == 0 || strcmp(p, "/dev/ptmx") == 0 ||
			    strncmp(p, "/dev/tty", 8) == 0)
				continue;
			json_array_append_new(
			    devs, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", p, "type",
					    S_ISCHR(st.st_mode) ? "c" : "b", "major",
					    (json_int_t)major(st.st_rdev), "minor",
					    (json_int_t)minor(st.st_rdev), "fileMode",
					    (int)(st.st_mode & 07777), "uid", (int)st.st_uid, "gid",
					    (int)st.st_gid));
		}
	}
	json_object_set_new(linux_obj, "devices", devs);
}

/* The compiled filter of SECCOMP, kept in <exec-root>/seccomp/<sha256 of
 * the profile and libseccomp>.bpf: compiled once per profile and host, read
 * by every monitor (which so never runs libseccomp nor loads libcrypto). */
/* The profiles compiled lately and their files: every start asks for the
 * same few. OBJ is a profile held here, known by its address (the shared
 * default profiles of ocispec.c are never changed). Loop thread only. */
static struct {
	char *text, *path;
	json_t *obj;
} bpf_memo[8];
static size_t bpf_memo_next;

static void memo_bpf(const json_t *obj, const char *text, const char *path)
{
	size_t i = bpf_memo_next++ % BERTH_ARRAY_SIZE(bpf_memo);

	free(bpf_memo[i].text);
	free(bpf_memo[i].path);
	json_decref(bpf_memo[i].obj);
	bpf_memo[i].text = xstrdup(text);
	bpf_memo[i].path = xstrdup(path);
	bpf_memo[i].obj = json_incref((json_t *)obj);
}

char *crun_seccomp_bpf(struct berth_engine *e, const json_t *seccomp)
{
	cleanup_free char *dir = xasprintf("%s/seccomp", e->cfg.exec_root), *text = NULL,
			  *version = NULL;
	struct berth_seccomp_bpf bpf = { 0 };
	berth_error_t err = NULL;
	struct berth_sha256 *h;
	char hex[80];
	char *path;
	size_t i;

	for (i = 0; seccomp && i < BERTH_ARRAY_SIZE(bpf_memo); i++)
		if (bpf_memo[i].obj == seccomp && access(bpf_memo[i].path, R_OK) == 0)
			return xstrdup(bpf_memo[i].path);
	if (!berth_seccomp_precompilable(seccomp))
		return NULL;
	text = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return NULL;
	/* a profile seen before: its file, without hashing and reading it */
	for (i = 0; i < BERTH_ARRAY_SIZE(bpf_memo); i++)
		if (bpf_memo[i].text && strcmp(bpf_memo[i].text, text) == 0 &&
		    access(bpf_memo[i].path, R_OK) == 0)
			return xstrdup(bpf_memo[i].path);
	version = berth_seccomp_version();
	h = berth_sha256_new();
	berth_sha256_update(h, text, strlen(text));
	berth_sha256_update(h, "|", 1);
	berth_sha256_update(h, version, strlen(version));
	berth_sha256_final(h, hex);
	berth_sha256_free(h);
	path = xasprintf("%s/%s.bpf", dir, strchr(hex, ':') ? strchr(hex, ':') + 1 : hex);
	if (berth_seccomp_read_bpf(path, &bpf)) {
		berth_seccomp_bpf_release(&bpf);
		memo_bpf(seccomp, text, path);
		return path;
	}
	if (berth_seccomp_compile(seccomp, &bpf, &err) <= 0 ||
	    berth_fs_mkdir_p(dir, 0700, &err) < 0 ||
	    berth_fs_write_atomic(path, bpf.insns, bpf.len * 8, 0600, &err) < 0) {
		if (err)
			berth_log_warn("seccomp cache: %s", err->msg);
		berth_error_release(&err);
		free(path);
		path = NULL;
	}
	if (path)
		memo_bpf(seccomp, text, path);
	berth_seccomp_bpf_release(&bpf);
	return path;
}

/* A private network namespace is made by the daemon (netns.c), ahead of
 * need, and joined by path. */
static int join_netns(struct berth_engine *e, struct container *c, json_t *spec,
		      berth_error_t *err)
{
	json_t *nss = json_object_get(json_object_get(spec, "linux"), "namespaces"), *ns;
	size_t i;
	char *path;

	json_array_foreach(nss, i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));
		struct container *other = NULL;
		if (type == NULL || strcmp(type, "network") != 0)
			continue;
		if (json_object_get(ns, "path"))
			return 0;
		if (net_shared_with(e, c, &other, err) < 0)
			return -1;
		/* --network container:X: X's namespace, while X runs */
		path = other ? xasprintf("%s/netns/%s", e->cfg.exec_root, other->id)
			     : crun_netns_take(e, c, err);
		if (path == NULL)
			return -1;
		json_object_set_new(ns, "path", json_string(path));
		free(path);
		return 0;
	}
	return 0;
}

/* SPEC as compact JSON. Its seccomp profile, a shared one (ocispec.c) most
 * of the time, is dumped once and spliced in where a placeholder went:
 * dumping those ~7 KB was most of the ~0.5 ms the spec took. The
 * placeholder is random per daemon, so no string from a client or an
 * image can pose as it. Loop thread only. */
static char *spec_text(json_t *spec)
{
	static struct {
		json_t *obj;
		char *text;
	} memo[4];
	static size_t next;
	static char mark[48];
	json_t *linux_obj = json_object_get(spec, "linux");
	json_t *sc = json_object_get(linux_obj, "seccomp");
	cleanup_free char *text = NULL;
	const char *sc_text = NULL;
	char *at;
	size_t i;

	if (!json_is_object(sc))
		return json_dumps(spec, JSON_COMPACT);
	if (!*mark) {
		unsigned char b[16];
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return json_dumps(spec, JSON_COMPACT);
		char hex[2 * sizeof(b) + 1];
		for (i = 0; i < sizeof(b); i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
		snprintf(mark, sizeof(mark), "\"berth-%s\"", hex);
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(memo); i++)
		if (memo[i].obj == sc)
			sc_text = memo[i].text;
	if (sc_text == NULL) {
		i = next++ % BERTH_ARRAY_SIZE(memo);
		json_decref(memo[i].obj);
		free(memo[i].text);
		memo[i].obj = json_incref(sc);
		memo[i].text = json_dumps(sc, JSON_COMPACT);
		if (memo[i].text == NULL)
			return json_dumps(spec, JSON_COMPACT);
		sc_text = memo[i].text;
	}
	json_incref(sc);
	{
		cleanup_free char *plain = xstrndup(mark + 1, strlen(mark) - 2);
		json_object_set_new(linux_obj, "seccomp", json_string(plain));
	}
	text = json_dumps(spec, JSON_COMPACT);
	json_object_set_new(linux_obj, "seccomp", sc);
	at = text ? strstr(text, mark) : NULL;
	if (at == NULL || strstr(at + 1, mark))
		return json_dumps(spec, JSON_COMPACT);
	return xasprintf("%.*s%s%s", (int)(at - text), text, sc_text, at + strlen(mark));
}

static int write_spec(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	cleanup_free char *rootfs = cont_path(c, "rootfs"), *passwd = NULL, *group = NULL,
			  *text = NULL, *path = NULL;
	cleanup_free gid_t *groups = NULL;
	const char *user = json_string_value(json_object_get(c->request, "User"));
	const json_t *hc = cont_hc(c);
	struct berth_oci_inputs in = { 0 };
	size_t n_groups = 0, i;
	uid_t uid = 0;
	gid_t gid = 0;
	json_t *spec, *mounts, *it;
	static const char *const etc[] = { "hostname", "hosts", "resolv.conf" };

	(void)e;
	passwd = crun_read_in_root(rootfs, "etc/passwd");
	group = crun_read_in_root(rootfs, "etc/group");
	if (berth_oci_resolve_user(user && *user ? user : "0", passwd, group, &uid, &gid, &groups,
				   &n_groups, err) < 0)
		return -1;
	/* --group-add */
	json_array_foreach (json_object_get(hc, "GroupAdd"), i, it) {
		const char *g = json_string_value(it);
		uid_t u2;
		gid_t g2;
		gid_t *gl = NULL;
		size_t gn = 0;
		cleanup_free char *spec_user = NULL;
		if (g == NULL)
			continue;
		spec_user = xasprintf("0:%s", g);
		if (berth_oci_resolve_user(spec_user, passwd, group, &u2, &g2, &gl, &gn, err) < 0)
			return -1;
		free(gl);
		groups = xrealloc(groups, sizeof(gid_t) * (n_groups + 1));
		groups[n_groups++] = g2;
	}
	/* moby: the primary group leads the additional ones */
	groups = xrealloc(groups, sizeof(gid_t) * (n_groups + 1));
	memmove(groups + 1, groups, sizeof(gid_t) * n_groups);
	groups[0] = gid;
	n_groups++;
	in.image = c->image_config;
	in.create = c->request;
	in.id = c->id;
	in.rootfs = rootfs;
	in.hostname = json_string_value(json_object_get(c->request, "Hostname"));
	in.uid = uid;
	in.gid = gid;
	in.groups = groups;
	in.n_groups = n_groups;
	spec = berth_oci_spec_build(&in, err);
	if (spec == NULL)
		return -1;
	mounts = json_object_get(spec, "mounts");
	filter_env(json_object_get(json_object_get(spec, "process"), "env"));
	net_link_env(e, c, json_object_get(json_object_get(spec, "process"), "env"));
	if (json_is_true(json_object_get(hc, "Init")) && add_init(spec, err) < 0) {
		json_decref(spec);
		return -1;
	}
	if (json_is_true(json_object_get(hc, "Privileged")))
		add_host_devices(json_object_get(spec, "linux"));
	for (i = 0; i < BERTH_ARRAY_SIZE(etc); i++) {
		cleanup_free char *src = cont_rt_path(c, etc[i]), *dest = xasprintf("/etc/%s", etc[i]);
		json_array_append_new(mounts, bind_mount(dest, src));
	}
	/* volumes, binds and tmpfs mounts (volumes.c) */
	if (vol_spec_mounts(e, c, spec, err) < 0) {
		json_decref(spec);
		return -1;
	}
	if (join_netns(e, c, spec, err) < 0) {
		json_decref(spec);
		return -1;
	}
	free(c->seccomp_bpf);
	c->seccomp_bpf = crun_seccomp_bpf(e, json_object_get(json_object_get(spec, "linux"), "seccomp"));
	text = spec_text(spec);
	json_decref(spec);
	path = cont_rt_path(c, "config.json");
	return berth_fs_write_replace(path, text, strlen(text), 0600, err);
}

/* --- the monitor -------------------------------------------------------------------------- */

/* "10m" → bytes (docker's RAMInBytes: k, m, g, with or without b) */
static int64_t size_opt(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	int64_t mult = 1;

	if (end == s || v < 0)
		return -1;
	switch (*end | 0x20) {
	case 'k':
		mult = 1024;
		end++;
		break;
	case 'm':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g':
		mult = 1024LL * 1024 * 1024;
		end++;
		break;
	default:
		break;
	}
	if ((*end | 0x20) == 'b')
		end++;
	if (*end)
		return -1;
	return (int64_t)(v * (double)mult);
}

static char *attach_socket_path(struct berth_engine *e, const struct container *c)
{
	return xasprintf("%s/%.12s.sock", e->cfg.exec_root, c->id);
}

struct argv {
	char *v[40];
	int n;
};

static void arg(struct argv *a, char *s)
{
	if (a->n < (int)BERTH_ARRAY_SIZE(a->v) - 1)
		a->v[a->n++] = s;
	else
		free(s);
}

static void argv_release(struct argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* Reads the monitor's one ready line (bounded wait). */
json_t *crun_read_line(int fd, berth_error_t *err)
{
	char buf[4096];
	size_t len = 0;
	int64_t deadline = berth_time_now_ns() + (int64_t)READY_TIMEOUT_MS * 1000000;

	while (len < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (deadline - berth_time_now_ns()) / 1000000;
		ssize_t n;
		int r;

		if (left <= 0) {
			berth_make_error(err, ETIMEDOUT, "the container monitor did not report");
			return NULL;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	if (len == 0) {
		berth_make_error(err, EIO, "the container monitor exited without a report");
		return NULL;
	}
	return json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
}

/* docker's start errors: 127 for a missing program, 126 for one that cannot
 * run, both as 400 (the request is at fault). */
static int start_error(struct container *c, const char *msg, int code, berth_error_t *err)
{
	cleanup_free char *text = xasprintf(
	    "failed to create task for container: OCI runtime create failed: unable to start "
	    "container process: %s: unknown",
	    msg);
	int status_errno = EIO;

	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    code == ENOENT) {
		c->exit_code = 127;
		status_errno = EINVAL;
	} else if (strstr(msg, "permission denied") || code == EACCES) {
		c->exit_code = 126;
		status_errno = EINVAL;
	} else {
		c->exit_code = 128;
	}
	free(c->error);
	c->error = xstrdup(text);
	return berth_make_error(err, status_errno, "%s", text);
}

static void watch_monitor(struct berth_engine *e, struct container *c);

/* Waits for the launcher PID of a monitor (it forks the real one and
 * exits at once). */
static void reap_launcher(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

int crun_spawn_monitor(struct berth_engine *e, char *const argv[], int *ready_fd, int *start_fd,
		       struct crun_early *early, berth_error_t *err)
{
	int ready[2] = { -1, -1 }, start[2] = { -1, -1 }, wait[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ret;

	(void)e;
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(start, O_CLOEXEC) < 0 ||
	    (early && pipe2(wait, O_CLOEXEC) < 0)) {
		ret = berth_make_error(err, errno, "pipe");
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ready[1], 3);
	posix_spawn_file_actions_adddup2(&fa, start[0], 4);
	if (early)
		posix_spawn_file_actions_adddup2(&fa, wait[0], CRUN_EARLY_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, early ? CRUN_EARLY_FD + 1 : 5);
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(ready[1]);
	close(start[0]);
	if (early)
		close(wait[0]);
	if (ret != 0) {
		close(ready[0]);
		close(start[1]);
		if (early)
			close(wait[1]);
		return berth_make_error(err, ret, "run %s: %s", argv[0], strerror(ret));
	}
	if (early) {
		early->wait_fd = wait[1];
		early->launcher = pid;
	} else {
		reap_launcher(pid);
	}
	*ready_fd = ready[0];
	*start_fd = start[1];
	return 0;
fail:
	if (ready[0] >= 0) {
		close(ready[0]);
		close(ready[1]);
	}
	if (start[0] >= 0) {
		close(start[0]);
		close(start[1]);
	}
	return ret;
}

/* Starts the monitor of C; it creates the container and reports on
 * *READY, then waits for the go on *START. */
static int launch_monitor(struct berth_engine *e, struct container *c, int *ready, int *start,
			  struct crun_early *early, berth_error_t *err)
{
	const json_t *hc = cont_hc(c);
	const json_t *lc = json_object_get(hc, "LogConfig");
	const char *log_type = json_string_value(json_object_get(lc, "Type"));
	const char *max_size = json_string_value(json_object_get(json_object_get(lc, "Config"), "max-size"));
	const char *max_file = json_string_value(json_object_get(json_object_get(lc, "Config"), "max-file"));
	struct argv a = { 0 };
	cleanup_free char *sock = attach_socket_path(e, c);
	int ret;

	if (strlen(sock) >= 108)
		return berth_make_error(err, ENAMETOOLONG,
					"exec root %s is too long for a Unix socket path",
					e->cfg.exec_root);
	if (berth_fs_mkdir_p(e->cfg.exec_root, 0700, err) < 0)
		return -1;
	arg(&a, xstrdup(e->monitor_path));
	arg(&a, xstrdup("--bundle"));
	arg(&a, xstrdup(c->rtdir));
	arg(&a, xstrdup("--id"));
	arg(&a, xstrdup(c->id));
	if (!log_type || strcmp(log_type, "none") != 0) {
		arg(&a, xstrdup("--log-path"));
		arg(&a, xasprintf("%s/%s-json.log", c->dir, c->id));
		if (max_size) {
			int64_t sz = size_opt(max_size);
			if (sz <= 0) {
				argv_release(&a);
				return berth_make_error(err, EINVAL, "invalid max-size: %s", max_size);
			}
			arg(&a, xstrdup("--log-max-size"));
			arg(&a, xasprintf("%" PRId64, sz));
		}
		if (max_file) {
			long n = strtol(max_file, NULL, 10);
			if (n < 1 || n > 64) {
				argv_release(&a);
				return berth_make_error(err, EINVAL,
							"invalid value for max-file: %s", max_file);
			}
			arg(&a, xstrdup("--log-max-file"));
			arg(&a, xasprintf("%ld", n));
		}
	}
	arg(&a, xstrdup("--ready-fd"));
	arg(&a, xstrdup("3"));
	arg(&a, xstrdup("--start-fd"));
	arg(&a, xstrdup("4"));
	arg(&a, xstrdup("--exit-file"));
	arg(&a, cont_rt_path(c, "exit.json"));
	arg(&a, xstrdup("--attach-socket"));
	arg(&a, xstrdup(sock));
	arg(&a, xstrdup("--control"));
	arg(&a, cont_rt_path(c, "control"));
	arg(&a, xstrdup("--daemonize"));
	/* the cgroup goes with the rootfs after the exit (crun_cleanup_async,
	 * cont_destroy): the monitor reports the exit sooner */
	arg(&a, xstrdup("--leave-cgroup"));
	if (early) { /* the filter comes with the go-ahead */
		arg(&a, xstrdup("--wait-fd"));
		arg(&a, xasprintf("%d", CRUN_EARLY_FD));
	} else if (c->seccomp_bpf) {
		arg(&a, xstrdup("--seccomp-bpf"));
		arg(&a, xstrdup(c->seccomp_bpf));
	}
	if (json_is_true(json_object_get(c->request, "OpenStdin")))
		arg(&a, xstrdup("--stdin"));
	a.v[a.n] = NULL;
	ret = crun_spawn_monitor(e, a.v, ready, start, early, err);
	argv_release(&a);
	return ret;
}

/* Reads the monitor's report on READY and, when the container was
 * created, records it as running and gives the go on START. Closes both.
 * NO_REPORT_RET when the monitor went without a report. */
#define NO_REPORT_RET (-2)
static int monitor_go(struct berth_engine *e, struct container *c, int ready, int start,
		      berth_error_t *err)
{
	json_t *rep = crun_read_line(ready, err);
	int ret = NO_REPORT_RET;

	if (rep == NULL)
		goto out;
	ret = -1;
	if (json_object_get(rep, "error")) {
		ret = start_error(c, json_string_value(json_object_get(rep, "error")),
				  (int)json_integer_value(json_object_get(rep, "errno")), err);
		json_decref(rep);
		goto out;
	}
	c->pid = (pid_t)json_integer_value(json_object_get(rep, "pid"));
	c->start_time = (uint64_t)json_integer_value(json_object_get(rep, "start_time"));
	c->monitor_pid = (pid_t)json_integer_value(json_object_get(rep, "monitor_pid"));
	json_decref(rep);
	if (c->pid <= 0 || c->monitor_pid <= 0) {
		ret = berth_make_error(err, EIO, "the container monitor sent a bad report");
		goto out;
	}
	/* the init waits for the go: its namespaces are final */
	{
		char ns[64];
		snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)c->pid);
		if (c->mntns_fd >= 0)
			close(c->mntns_fd);
		c->mntns_fd = open(ns, O_RDONLY | O_CLOEXEC);
	}
	/* its networks, while the init waits: a failure undoes the container
	 * (the closed start fd) and leaves nothing attached */
	if (net_attach(e, c, err) < 0 || write_hosts_addrs(c, err) < 0) {
		net_detach(e, c);
		/* the next start takes a fresh namespace, without these links */
		crun_netns_release(e->cfg.exec_root, c->id);
		ret = -1;
		goto out;
	}
	c->status = CS_RUNNING;
	c->has_been_started = true;
	c->started_ns = berth_time_now_ns();
	c->oom_killed = false;
	c->exit_code = 0;
	free(c->error);
	c->error = NULL;
	watch_monitor(e, c);
	/* clients that attached before the start get everything */
	cio_on_started(e, c);
	if (write(start, "s", 1) != 1)
		berth_log_warn("container %s: start signal: %s", c->id, strerror(errno));
	ret = 0;
out:
	close(ready);
	close(start);
	return ret;
}

static int spawn_monitor(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	int ready, start;

	if (launch_monitor(e, c, &ready, &start, NULL, err) < 0)
		return -1;
	return monitor_go(e, c, ready, start, err);
}

/* The engine a container belongs to: kept in a static, as the loop
 * callbacks carry only the container. */
static struct berth_engine *the_engine;

static void monitor_gone_cb(struct berth_loop *loop, int fd, uint32_t events, void *data)
{
	struct container *c = data;

	(void)loop;
	(void)fd;
	(void)events;
	on_exit_seen(the_engine, c);
}

static void unwatch_monitor(struct berth_engine *e, struct container *c)
{
	if (c->monitor_watch) {
		berth_loop_del_fd(e->loop, c->monitor_watch);
		c->monitor_watch = NULL;
	}
	if (c->monitor_pidfd >= 0) {
		close(c->monitor_pidfd);
		c->monitor_pidfd = -1;
	}
	if (c->monitor_poll_timer) {
		berth_loop_timer_cancel(e->loop, c->monitor_poll_timer);
		c->monitor_poll_timer = 0;
	}
}

static void exit_now_cb(void *data)
{
	struct container *c = data;

	c->monitor_poll_timer = 0;
	on_exit_seen(the_engine, c);
}

static bool monitor_alive(const struct container *c)
{
	char path[64], buf[512];
	cleanup_close int fd = -1;
	ssize_t n;

	if (c->monitor_pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)c->monitor_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false; /* a zombie has no command line */
	buf[n] = '\0';
	/* "--id\0<id>" */
	return memmem(buf, (size_t)n, c->id, 64) != NULL && strstr(buf, "berth-monitor");
}

static void poll_monitor_cb(void *data)
{
	struct container *c = data;

	c->monitor_poll_timer = 0;
	if (monitor_alive(c)) {
		c->monitor_poll_timer =
		    berth_loop_timer_add(the_engine->loop, MONITOR_POLL_MS, poll_monitor_cb, c);
		return;
	}
	on_exit_seen(the_engine, c);
}

static void watch_monitor(struct berth_engine *e, struct container *c)
{
	berth_error_t err = NULL;
	int fd;

	the_engine = e;
	unwatch_monitor(e, c);
	fd = (int)syscall(SYS_pidfd_open, c->monitor_pid, 0);
	if (fd < 0) {
		if (errno == ESRCH) /* gone already: handle it on the next round */
			c->monitor_poll_timer = berth_loop_timer_add(e->loop, 0, exit_now_cb, c);
		else
			c->monitor_poll_timer =
			    berth_loop_timer_add(e->loop, MONITOR_POLL_MS, poll_monitor_cb, c);
		return;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	c->monitor_pidfd = fd;
	c->monitor_watch = berth_loop_add_fd(e->loop, fd, EPOLLIN, monitor_gone_cb, c, &err);
	if (c->monitor_watch == NULL) {
		berth_log_warn("container %s: watch monitor: %s", c->id, err->msg);
		berth_error_release(&err);
		c->monitor_poll_timer =
		    berth_loop_timer_add(e->loop, MONITOR_POLL_MS, poll_monitor_cb, c);
	}
}

static void autoremove_cb(void *data)
{
	struct container *c = data;
	berth_error_t err = NULL;

	c->restart_timer = 0;
	if (crun_running(c))
		return;
	if (cont_destroy(the_engine, c, &err) < 0) {
		berth_log_warn("container %s: auto-remove: %s", c->id, err->msg);
		berth_error_release(&err);
	}
}

/* --- prepared starts ------------------------------------------------------------------------ */

/* A container is prepared right after its creation: its rootfs mounted,
 * its spec written and its monitor launched, which creates it (namespaces,
 * mounts, cgroups) and waits for the go, while the client is still busy
 * between create and start (the docker CLI attaches and sets up its wait
 * first: several milliseconds). The start then only reads the report and
 * gives the go. Nothing of it shows in the API: the container stays
 * "created"; a start reports the errors a start would; an update, removal
 * or shutdown, or PREPARE_TTL_MS without a start, lets the monitor go (it
 * tears its container down when the go never comes). */
#define PREPARE_TTL_MS	    10000
#define UNPREPARE_WAIT_MS   2000

static void prepare_expired_cb(void *data)
{
	struct container *c = data;

	c->prep_timer = 0;
	crun_unprepare(the_engine, c);
	if (c->status == CS_CREATED && c->mounted)
		(void)crun_unmount(the_engine, c);
}

static void prepare_cb(void *data)
{
	struct container *c = data;
	struct berth_engine *e = the_engine;
	cleanup_free char *exitf = cont_rt_path(c, "exit.json"), *monf = cont_rt_path(c, "monitor.json"),
			  *line = NULL;
	struct crun_early early = { .wait_fd = -1 };
	berth_error_t err = NULL;
	int ready = -1, start = -1, ret;

	c->prep_timer = 0;
	if (c->status != CS_CREATED || c->prepared || c->removing)
		return;
	(void)unlink(exitf);
	(void)unlink(monf);
	if (cont_rt_mkdir(c, &err) < 0) {
		berth_log_debug("container %s: not prepared: %s", c->id, err->msg);
		berth_error_release(&err);
		return;
	}
	/* the monitor first: its exec and fork overlap the mount and the
	 * files; it waits on early.wait_fd for the filter, or EOF */
	ret = launch_monitor(e, c, &ready, &start, &early, &err);
	if (ret == 0) {
		ret = crun_mount(e, c, &err);
		if (ret == 0)
			ret = write_etc_files(e, c, &err);
		if (ret == 0)
			ret = write_spec(e, c, &err);
		if (ret == 0) {
			line = xasprintf("%s\n", c->seccomp_bpf ? c->seccomp_bpf : "");
			if (berth_fs_write_all(early.wait_fd, line, strlen(line)) < 0)
				ret = berth_make_error(&err, errno, "monitor go-ahead");
		}
		close(early.wait_fd);
		reap_launcher(early.launcher);
		if (ret < 0) { /* EOF: it exits without a container */
			close(ready);
			close(start);
		}
	}
	if (ret < 0) {
		/* the start does it again, and reports what fails */
		berth_log_debug("container %s: not prepared: %s", c->id, err->msg);
		berth_error_release(&err);
		return;
	}
	c->prep_ready_fd = ready;
	c->prep_start_fd = start;
	c->prepared = true;
	/* its network links while the monitor creates it */
	if (net_prepare(e, c, &err) < 0) {
		berth_log_debug("container %s: not prepared: %s", c->id, err->msg);
		berth_error_release(&err);
		crun_unprepare(e, c);
		crun_netns_release(e->cfg.exec_root, c->id);
		return;
	}
	c->prep_timer = berth_loop_timer_add(e->loop, PREPARE_TTL_MS, prepare_expired_cb, c);
}

void crun_prepare_later(struct berth_engine *e, struct container *c)
{
	the_engine = e;
	if (!c->prep_timer)
		c->prep_timer = berth_loop_timer_add(e->loop, 0, prepare_cb, c);
}

/* Waits (bounded) for the monitor that reported REP to exit. */
static void wait_monitor_gone(const json_t *rep)
{
	pid_t pid = (pid_t)json_integer_value(json_object_get(rep, "monitor_pid"));
	cleanup_close int pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	if (pfd >= 0)
		while (poll(&p, 1, UNPREPARE_WAIT_MS) < 0 && errno == EINTR)
			;
}

void crun_unprepare(struct berth_engine *e, struct container *c)
{
	berth_error_t err = NULL;
	json_t *rep;

	if (c->prep_timer) {
		berth_loop_timer_cancel(e->loop, c->prep_timer);
		c->prep_timer = 0;
	}
	if (c->prep_net) { /* its links go with its namespace */
		net_unprepare(c);
		crun_netns_release(e->cfg.exec_root, c->id);
	}
	if (!c->prepared)
		return;
	c->prepared = false;
	/* no go: the monitor kills what it created, removes its cgroup and
	 * exits; waited for, since a new start reuses its paths */
	close(c->prep_start_fd);
	rep = crun_read_line(c->prep_ready_fd, &err);
	close(c->prep_ready_fd);
	if (rep)
		wait_monitor_gone(rep);
	json_decref(rep);
	berth_error_release(&err);
}

int crun_start(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	cleanup_free char *exitf = cont_rt_path(c, "exit.json"), *monf = cont_rt_path(c, "monitor.json");
	int ret;

	the_engine = e;
	if (c->prepared) {
		berth_loop_timer_cancel(e->loop, c->prep_timer);
		c->prep_timer = 0;
		c->prepared = false;
		ret = monitor_go(e, c, c->prep_ready_fd, c->prep_start_fd, err);
		if (ret != NO_REPORT_RET)
			goto started;
		/* the prepared monitor is gone (killed?): start the usual way */
		berth_log_warn("container %s: prepared start lost: %s", c->id, (*err)->msg);
		berth_error_release(err);
	}
	if (c->prep_timer) { /* created and started in one loop round */
		berth_loop_timer_cancel(e->loop, c->prep_timer);
		c->prep_timer = 0;
	}
	(void)unlink(exitf);
	(void)unlink(monf);
	ret = crun_mount(e, c, err);
	if (ret == 0)
		ret = write_etc_files(e, c, err);
	if (ret == 0)
		ret = write_spec(e, c, err);
	if (ret == 0)
		ret = spawn_monitor(e, c, err);
started:
	if (ret < 0) {
		if (c->mounted)
			(void)crun_unmount(e, c);
		/* a failed start leaves the container as it was, with the error */
		if (!c->error)
			c->error = xstrdup((*err)->msg);
		if (c->status != CS_CREATED)
			c->status = CS_EXITED;
		c->finished_ns = c->has_been_started ? berth_time_now_ns() : c->finished_ns;
		(void)cont_save(e, c, NULL);
		cio_on_exit(e, c);
		/* as dockerd: a container that cannot start is removed too (on the
		 * next round: callers still hold C) */
		if (json_is_true(json_object_get(cont_hc(c), "AutoRemove")) && !c->restart_timer)
			c->restart_timer = berth_loop_timer_add(e->loop, 0, autoremove_cb, c);
		return -1;
	}
	if (cont_save(e, c, err) < 0)
		berth_log_warn("container %s: state not saved: %s", c->id, (*err)->msg);
	berth_error_release(err);
	vol_container_event(e, c, true);
	cont_event(e, c, "start", NULL);
	return 0;
}

/* --- waiters ------------------------------------------------------------------------------ */

static void waiter_fire_cb(void *data)
{
	struct cwaiter *w = data, **pp;

	w->timer = 0;
	if (w->c) {
		for (pp = &w->c->waiters; *pp; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				break;
			}
	} else {
		for (pp = &orphans; *pp; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				break;
			}
	}
	w->cb(w->data, w->code, w->error);
	free(w->error);
	free(w);
}

static void waiter_fire(struct berth_engine *e, struct cwaiter *w, int code, const char *error)
{
	if (w->fired)
		return;
	w->fired = true;
	w->code = code;
	w->error = error && *error ? xstrdup(error) : NULL;
	w->timer = berth_loop_timer_add(e->loop, 0, waiter_fire_cb, w);
}

void crun_wake_waiters(struct berth_engine *e, struct container *c, bool removed)
{
	struct cwaiter *w, *next;

	for (w = c->waiters; w; w = w->next) {
		if (w->cond == BERTH_WAIT_REMOVED && !removed)
			continue;
		waiter_fire(e, w, c->exit_code, NULL);
	}
	if (!removed)
		return;
	/* the container goes: its waiters move to the orphan list */
	for (w = c->waiters; w; w = next) {
		next = w->next;
		w->c = NULL;
		if (!w->fired)
			waiter_fire(e, w, c->exit_code, NULL);
		w->next = orphans;
		orphans = w;
	}
	c->waiters = NULL;
}

struct berth_container_waiter *berth_engine_container_wait(struct berth_engine *e,
							   const char *name,
							   enum berth_wait_condition cond,
							   berth_container_wait_cb cb, void *data,
							   berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	struct cwaiter *w;

	if (c == NULL)
		return NULL;
	w = xzalloc(sizeof(*w));
	w->e = e;
	w->c = c;
	w->cond = cond;
	w->cb = cb;
	w->data = data;
	w->next = c->waiters;
	c->waiters = w;
	if (cond == BERTH_WAIT_NOT_RUNNING && !crun_running(c))
		waiter_fire(e, w, c->exit_code, NULL);
	return (struct berth_container_waiter *)w;
}

void berth_engine_container_wait_cancel(struct berth_engine *e, struct berth_container_waiter *bw)
{
	struct cwaiter *w = (struct cwaiter *)bw, **pp;

	for (pp = w->c ? &w->c->waiters : &orphans; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->timer)
		berth_loop_timer_cancel(e->loop, w->timer);
	free(w->error);
	free(w);
}

/* --- exits and restart policies --------------------------------------------------------------- */

static void read_exit(struct container *c)
{
	cleanup_free char *path = cont_rt_path(c, "exit.json"), *text = NULL;
	json_t *j;

	if (berth_fs_read_file(path, 4096, &text, NULL) < 0 ||
	    !(j = json_loads(text, 0, NULL))) {
		c->exit_code = 255;
		c->oom_killed = false;
		c->finished_ns = berth_time_now_ns();
		free(c->error);
		c->error = xstrdup("the container's monitor exited without recording its exit");
		return;
	}
	c->exit_code = (int)json_integer_value(json_object_get(j, "ExitCode"));
	c->oom_killed = json_is_true(json_object_get(j, "OOMKilled"));
	if (berth_time_parse_timestamp(json_string_value(json_object_get(j, "FinishedAt"))
					   ? json_string_value(json_object_get(j, "FinishedAt"))
					   : "",
				       0, &c->finished_ns, NULL) < 0)
		c->finished_ns = berth_time_now_ns();
	json_decref(j);
}

static bool should_restart(const struct container *c)
{
	const json_t *rp = json_object_get(cont_hc(c), "RestartPolicy");
	const char *name = json_string_value(json_object_get(rp, "Name"));
	json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));

	if (name == NULL || c->manual_stop || c->removing ||
	    json_is_true(json_object_get(cont_hc(c), "AutoRemove")))
		return false;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	if (strcmp(name, "on-failure") == 0)
		return c->exit_code != 0 && (max <= 0 || c->restart_count < max);
	return false;
}

static void restart_cb(void *data)
{
	struct container *c = data;
	struct berth_engine *e = the_engine;
	berth_error_t err = NULL;

	c->restart_timer = 0;
	if (c->status != CS_RESTARTING)
		return;
	c->restart_count++;
	if (crun_start(e, c, &err) < 0) {
		berth_log_warn("container %s: restart: %s", c->id, err->msg);
		berth_error_release(&err);
		c->status = CS_EXITED;
		(void)cont_save(e, c, NULL);
		crun_wake_waiters(e, c, false);
	}
}

static void finish_stops(struct berth_engine *e, struct container *c)
{
	struct cstop *s, *list = c->stops;

	c->stops = NULL;
	while ((s = list)) {
		list = s->next;
		if (s->restart) {
			berth_error_t err = NULL;
			c->manual_stop = false;
			cont_event(e, c, "stop", NULL);
			if (!crun_running(c) && crun_start(e, c, &err) == 0)
				cont_event(e, c, "restart", NULL);
			if (s->done)
				s->done(s->data, err);
			berth_error_release(&err);
		} else {
			if (!s->remove)
				cont_event(e, c, "stop", NULL);
			if (s->done)
				s->done(s->data, NULL);
		}
		free(s);
	}
}

/* a `docker restart` is under way: an --rm container is not removed */
static bool restart_pending(const struct container *c)
{
	const struct cstop *s;

	for (s = c->stops; s; s = s->next)
		if (s->restart)
			return true;
	return false;
}

static void on_exit_seen(struct berth_engine *e, struct container *c)
{
	char code[16];
	int64_t ran;
	bool destroy;

	if (e == NULL)
		e = the_engine;
	unwatch_monitor(e, c);
	if (!crun_running(c) || c->status == CS_RESTARTING)
		return;
	read_exit(c);
	net_detach(e, c);
	if (c->stop_timer) {
		berth_loop_timer_cancel(e->loop, c->stop_timer);
		c->stop_timer = 0;
	}
	ran = c->finished_ns - c->started_ns;
	c->status = CS_EXITED;
	c->pid = 0;
	c->monitor_pid = 0;
	/* a container about to be removed is unmounted with its removal */
	destroy = c->removing ||
		  (json_is_true(json_object_get(cont_hc(c), "AutoRemove")) && !restart_pending(c));
	if (!destroy)
		crun_cleanup_async(e, c);
	cio_on_exit(e, c);
	if (c->oom_killed)
		cont_event(e, c, "oom", NULL);
	snprintf(code, sizeof(code), "%d", c->exit_code);
	cont_event(e, c, "die", json_pack("{s:s}", "exitCode", code));
	vol_container_event(e, c, false);
	if (should_restart(c)) {
		if (ran >= RESTART_RESET_NS || c->restart_delay_ms <= 0)
			c->restart_delay_ms = RESTART_MIN_MS;
		else if (c->restart_delay_ms < RESTART_MAX_MS)
			c->restart_delay_ms *= 2;
		if (c->restart_delay_ms > RESTART_MAX_MS)
			c->restart_delay_ms = RESTART_MAX_MS;
		c->status = CS_RESTARTING;
		c->restart_timer =
		    berth_loop_timer_add(e->loop, c->restart_delay_ms, restart_cb, c);
	}
	/* a container about to be removed is not saved as exited first: its
	 * row goes at once (a crash in between finds its exit file again) */
	if (!destroy || c->fs_users > 0)
		(void)cont_save(e, c, NULL);
	crun_wake_waiters(e, c, false);
	if (c->status == CS_RESTARTING)
		return;
	if (destroy) {
		berth_error_t err = NULL;
		finish_stops(e, c);
		if (cont_destroy(e, c, &err) < 0) {
			berth_log_warn("container %s: auto-remove: %s", c->id, err->msg);
			berth_error_release(&err);
		}
		return;
	}
	finish_stops(e, c);
}

/* --- adoption ------------------------------------------------------------------------------ */

void crun_adopt(struct berth_engine *e, struct container *c)
{
	cleanup_free char *rootfs = cont_path(c, "rootfs");

	the_engine = e;
	if (c->status == CS_REMOVING) {
		(void)cont_destroy(e, c, NULL);
		return;
	}
	if (!crun_running(c)) {
		if (is_overlay(rootfs))
			(void)umount2(rootfs, MNT_DETACH);
		/* left by a daemon that went down before removing it */
		{
			cleanup_free char *path = cgroup_path(c);
			crun_remove_cgroup(e->cfg.cgroup_root, path);
		}
		return;
	}
	if (c->status == CS_RESTARTING) {
		/* the daemon went down during the back-off: start again now */
		c->restart_timer = berth_loop_timer_add(e->loop, 0, restart_cb, c);
		return;
	}
	c->mounted = is_overlay(rootfs);
	net_adopt(e, c);
	if (monitor_alive(c)) {
		berth_log_info("container %s: adopted (monitor %d, pid %d)", c->id,
			       (int)c->monitor_pid, (int)c->pid);
		watch_monitor(e, c);
		return;
	}
	/* it ended while we were away: its exit file says how */
	c->monitor_poll_timer = berth_loop_timer_add(e->loop, 0, exit_now_cb, c);
}

void crun_release(struct berth_engine *e, struct container *c)
{
	struct cstop *s;

	unwatch_monitor(e, c);
	crun_unprepare(e, c);
	crun_cleanup_wait(c);
	if (c->restart_timer) {
		berth_loop_timer_cancel(e->loop, c->restart_timer);
		c->restart_timer = 0;
	}
	if (c->stop_timer) {
		berth_loop_timer_cancel(e->loop, c->stop_timer);
		c->stop_timer = 0;
	}
	while ((s = c->stops)) {
		c->stops = s->next;
		free(s);
	}
	crun_wake_waiters(e, c, true);
}

void crun_shutdown(struct berth_engine *e)
{
	struct cwaiter *w;

	/* containers run on (live restore); pending waits end with the daemon */
	while ((w = orphans)) {
		orphans = w->next;
		if (w->timer)
			berth_loop_timer_cancel(e->loop, w->timer);
		free(w->error);
		free(w);
	}
}

/* --- the API's verbs -------------------------------------------------------------------------- */

int berth_engine_container_start(struct berth_engine *e, const char *name, berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);

	if (c == NULL)
		return -1;
	if (c->status == CS_PAUSED)
		return berth_make_error(err, EBUSY,
					"cannot start a paused container, try unpause instead");
	if (c->status == CS_RUNNING)
		return 1;
	if (c->removing || c->status == CS_REMOVING)
		return berth_make_error(err, EBUSY, "container is marked for removal and cannot be started");
	if (c->status == CS_DEAD)
		return berth_make_error(err, EBUSY, "cannot start a dead container");
	if (c->status == CS_RESTARTING) {
		/* docker: a start during the back-off starts it now */
		berth_loop_timer_cancel(e->loop, c->restart_timer);
		c->restart_timer = 0;
		c->status = CS_EXITED;
	}
	c->manual_stop = false;
	return crun_start(e, c, err);
}

static int signal_of(const char *s, int def, berth_error_t *err)
{
	int sig;

	if (s == NULL || *s == '\0')
		return def;
	sig = berth_runtime_signal_parse(s);
	if (sig <= 0)
		return berth_make_error(err, EINVAL, "Invalid signal: %s", s);
	return sig;
}

static int send_signal(struct berth_engine *e, struct container *c, int sig, berth_error_t *err)
{
	char num[16];

	if (berth_runtime_kill(c->pid, c->start_time, sig, err) < 0) {
		if (berth_error_code(*err) != ESRCH)
			return -1;
		berth_error_release(err); /* it is exiting already */
	}
	snprintf(num, sizeof(num), "%d", sig);
	cont_event(e, c, "kill", json_pack("{s:s}", "signal", num));
	return 0;
}

static void thaw(struct berth_engine *e, struct container *c)
{
	cleanup_free char *path = cgroup_path(c);
	struct berth_cgroup *cg;
	berth_error_t err = NULL;

	if (c->status != CS_PAUSED)
		return;
	cg = berth_cgroup_open(e->cfg.cgroup_root, path, &err);
	if (cg == NULL || berth_cgroup_freeze(cg, false, &err) < 0) {
		berth_log_warn("container %s: thaw: %s", c->id, err ? err->msg : "?");
		berth_error_release(&err);
	} else {
		c->status = CS_RUNNING;
	}
	berth_cgroup_free(cg);
}

int berth_engine_container_kill(struct berth_engine *e, const char *name, const char *signal,
				berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	int sig;

	if (c == NULL)
		return -1;
	sig = signal_of(signal, SIGKILL, err);
	if (sig < 0)
		return -1;
	if (c->status != CS_RUNNING && c->status != CS_PAUSED)
		return berth_make_error(err, EBUSY, "Container %s is not running", c->id);
	if (sig == SIGKILL) {
		c->manual_stop = true;
		thaw(e, c);
	}
	return send_signal(e, c, sig, err);
}

/* The stop timeout ran out: SIGKILL. */
static void stop_kill_cb(void *data)
{
	struct container *c = data;
	berth_error_t err = NULL;

	c->stop_timer = 0;
	if ((c->status == CS_RUNNING || c->status == CS_PAUSED) && c->stops) {
		thaw(the_engine, c);
		if (send_signal(the_engine, c, SIGKILL, &err) < 0) {
			berth_log_warn("container %s: SIGKILL: %s", c->id, err->msg);
			berth_error_release(&err);
		}
	}
}

static int do_stop(struct berth_engine *e, struct container *c, const char *signal, int timeout,
		   bool restart, berth_container_done_cb done, void *data, berth_error_t *err)
{
	const char *stop_sig = json_string_value(json_object_get(c->request, "StopSignal"));
	json_t *st = json_object_get(c->request, "StopTimeout");
	struct cstop *s;
	int sig = signal_of(signal && *signal ? signal : stop_sig, SIGTERM, err);

	if (sig < 0)
		return -1;
	if (timeout < 0)
		timeout = json_is_integer(st) ? (int)json_integer_value(st) : DEFAULT_STOP_S;
	c->manual_stop = true; /* no restart policy in between */
	if (c->status == CS_RESTARTING) {
		berth_loop_timer_cancel(e->loop, c->restart_timer);
		c->restart_timer = 0;
		c->status = CS_EXITED;
		(void)cont_save(e, c, NULL);
		crun_wake_waiters(e, c, false);
		return 1;
	}
	if (c->status != CS_RUNNING && c->status != CS_PAUSED)
		return 1;
	(void)cont_save(e, c, NULL);
	s = xzalloc(sizeof(*s));
	s->done = done;
	s->data = data;
	s->restart = restart;
	s->next = c->stops;
	c->stops = s;
	thaw(e, c);
	if (send_signal(e, c, sig, err) < 0) {
		c->stops = s->next;
		free(s);
		return -1;
	}
	if (sig != SIGKILL && timeout >= 0) {
		if (c->stop_timer)
			berth_loop_timer_cancel(e->loop, c->stop_timer);
		c->stop_timer =
		    berth_loop_timer_add(e->loop, (int64_t)timeout * 1000, stop_kill_cb, c);
	}
	return 0;
}

int crun_kill_remove(struct berth_engine *e, struct container *c, berth_container_done_cb done,
		     void *data, berth_error_t *err)
{
	struct cstop *s;

	if (c->status == CS_RESTARTING) {
		/* nothing runs during the back-off: remove it now */
		berth_loop_timer_cancel(e->loop, c->restart_timer);
		c->restart_timer = 0;
		c->status = CS_EXITED;
		return cont_destroy(e, c, err);
	}
	c->removing = true;
	c->manual_stop = true;
	s = xzalloc(sizeof(*s));
	s->done = done;
	s->data = data;
	s->remove = true;
	s->next = c->stops;
	c->stops = s;
	thaw(e, c);
	if (send_signal(e, c, SIGKILL, err) < 0) {
		c->stops = s->next;
		free(s);
		c->removing = false;
		return -1;
	}
	return 1;
}

int berth_engine_container_stop(struct berth_engine *e, const char *name, const char *signal,
				int timeout, berth_container_done_cb done, void *data,
				berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);

	if (c == NULL)
		return -1;
	return do_stop(e, c, signal, timeout, false, done, data, err);
}

int berth_engine_container_restart(struct berth_engine *e, const char *name, const char *signal,
				   int timeout, berth_container_done_cb done, void *data,
				   berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	int ret;

	if (c == NULL)
		return -1;
	ret = do_stop(e, c, signal, timeout, true, done, data, err);
	if (ret != 1)
		return ret;
	/* not running: just start */
	c->manual_stop = false;
	if (crun_start(e, c, err) < 0)
		return -1;
	return 1;
}

void berth_engine_container_forget(struct berth_engine *e, void *data)
{
	struct container *c;
	struct cstop *s;

	for (c = e->containers; c; c = c->next)
		for (s = c->stops; s; s = s->next)
			if (s->data == data)
				s->done = NULL;
}

int berth_engine_container_pause(struct berth_engine *e, const char *name, bool pause,
				 berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	cleanup_free char *path = NULL;
	struct berth_cgroup *cg;
	int ret;

	if (c == NULL)
		return -1;
	if (c->status != CS_RUNNING && c->status != CS_PAUSED)
		return berth_make_error(err, EBUSY, "Container %s is not running", c->id);
	if (pause && c->status == CS_PAUSED)
		return berth_make_error(err, EBUSY, "Container %s is already paused", c->id);
	if (!pause && c->status != CS_PAUSED)
		return berth_make_error(err, EBUSY, "Container %s is not paused", c->id);
	path = cgroup_path(c);
	cg = berth_cgroup_open(e->cfg.cgroup_root, path, err);
	if (cg == NULL)
		return -1;
	ret = berth_cgroup_freeze(cg, pause, err);
	berth_cgroup_free(cg);
	if (ret < 0)
		return -1;
	c->status = pause ? CS_PAUSED : CS_RUNNING;
	(void)cont_save(e, c, NULL);
	cont_event(e, c, pause ? "pause" : "unpause", NULL);
	return 0;
}

int berth_engine_container_resize(struct berth_engine *e, const char *name, unsigned h, unsigned w,
				  berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	char line[64];
	int n;

	if (c == NULL)
		return -1;
	if (c->status != CS_RUNNING && c->status != CS_PAUSED)
		return berth_make_error(err, EBUSY, "Container %s is not running", c->id);
	if (!cont_tty(c))
		return 0; /* docker ignores a resize without a tty */
	path = cont_rt_path(c, "control");
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berth_make_error(err, errno, "resize: %s", strerror(errno));
	n = snprintf(line, sizeof(line), "resize %u %u\n", h, w);
	if (write(fd, line, (size_t)n) != n)
		return berth_make_error(err, errno ? errno : EIO, "resize: %s", strerror(errno));
	{
		char hs[16], ws[16];
		snprintf(hs, sizeof(hs), "%u", h);
		snprintf(ws, sizeof(ws), "%u", w);
		cont_event(e, c, "resize", json_pack("{s:s, s:s}", "height", hs, "width", ws));
	}
	return 0;
}
