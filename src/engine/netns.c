/* netns.c: containers' network namespaces, made by the daemon ahead of
 * need.
 *
 * Making a network namespace (and bringing its loopback up) costs about a
 * millisecond of kernel work. A container's init used to pay it on the
 * start path; now a worker thread keeps one spare namespace ready, bound
 * (as `ip netns add` does) at <exec-root>/netns/.spare, and a start binds
 * it again at <exec-root>/netns/<id>, which the spec joins by path. The
 * file goes when the container has exited (crun_cleanup_async, removal);
 * at daemon start, files of containers that no longer run are removed.
 * The network service (issue 5) will configure these namespaces before
 * the containers run, as docker's sandboxes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <stdint.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"

#define SPARE ".spare"

/* The one spare. The filler sets spare_ready before it ends and is
 * joined before spare_ready is read: no lock needed. Loop thread only. */
static bool spare_ready;
static bool filler_running;
static pthread_t filler;

static char *netns_dir(const struct berth_engine *e)
{
	return xasprintf("%s/netns", e->cfg.exec_root);
}

/* On a thread of its own (namespaces are per thread): a new network
 * namespace with loopback up, bound at PATH. */
static void *make_thread(void *data)
{
	const char *path = data;
	struct ifreq ifr = { 0 };
	int fd, s, ok = 0;

	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && unshare(CLONE_NEWNET) == 0) {
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		memcpy(ifr.ifr_name, "lo", 3);
		ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
		if (s >= 0 && ioctl(s, SIOCSIFFLAGS, &ifr) == 0 &&
		    mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) == 0)
			ok = 1;
		if (s >= 0)
			close(s);
	}
	if (!ok) {
		berth_log_warn("network namespace at %s: %s", path, strerror(errno));
		(void)unlink(path);
	}
	return (void *)(intptr_t)ok;
}

/* Makes a namespace at PATH, from a thread; false on failure. */
static bool make_at(const char *path)
{
	pthread_t t;
	void *ok = NULL;

	if (pthread_create(&t, NULL, make_thread, (void *)path) != 0)
		return false;
	pthread_join(t, &ok);
	return ok != NULL;
}

static void release_at(const char *path)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		berth_log_warn("unmount %s: %s", path, strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		berth_log_warn("remove %s: %s", path, strerror(errno));
}

static void *filler_thread(void *data)
{
	char *path = data;

	spare_ready = make_at(path);
	free(path);
	return NULL;
}

static void join_filler(void)
{
	if (filler_running) {
		pthread_join(filler, NULL);
		filler_running = false;
	}
}

/* Starts making the next spare, unless one is ready or being made. */
static void refill(struct berth_engine *e)
{
	cleanup_free char *dir = NULL;

	if (filler_running || spare_ready)
		return;
	dir = netns_dir(e);
	if (pthread_create(&filler, NULL, filler_thread, xasprintf("%s/" SPARE, dir)) == 0)
		filler_running = true;
}

static bool is_netns(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

char *crun_netns_take(struct berth_engine *e, const struct container *c, berth_error_t *err)
{
	cleanup_free char *dir = netns_dir(e);
	cleanup_free char *spare = xasprintf("%s/" SPARE, dir);
	char *path = xasprintf("%s/%s", dir, c->id);
	bool have = false;
	int fd;

	if (berth_fs_mkdir_p(dir, 0700, err) < 0) {
		free(path);
		return NULL;
	}
	/* a start prepared before, or an earlier try: the one it has */
	if (is_netns(path))
		return path;
	release_at(path);
	join_filler();
	if (spare_ready) {
		spare_ready = false;
		fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
		if (fd >= 0)
			close(fd);
		have = fd >= 0 && mount(spare, path, NULL, MS_BIND, NULL) == 0;
		release_at(spare);
	}
	if (!have && !make_at(path)) {
		berth_make_error(err, EIO, "cannot make a network namespace for %s", c->id);
		free(path);
		return NULL;
	}
	refill(e);
	return path;
}

void crun_netns_release(const char *exec_root, const char *id)
{
	cleanup_free char *path = xasprintf("%s/netns/%s", exec_root, id);

	release_at(path);
}

void crun_netns_init(struct berth_engine *e)
{
	cleanup_free char *dir = netns_dir(e);
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		const struct container *c;
		bool keep = false;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		for (c = e->containers; c && !keep; c = c->next)
			keep = strcmp(c->id, de->d_name) == 0 && crun_running(c);
		if (!keep) {
			cleanup_free char *p = xasprintf("%s/%s", dir, de->d_name);
			release_at(p);
		}
	}
	if (berth_fs_mkdir_p(dir, 0700, NULL) == 0)
		refill(e);
}

void crun_netns_shutdown(struct berth_engine *e)
{
	cleanup_free char *spare = xasprintf("%s/netns/" SPARE, e->cfg.exec_root);

	join_filler();
	spare_ready = false;
	release_at(spare);
}
