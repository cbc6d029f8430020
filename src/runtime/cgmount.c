/* cgmount.c: where a process's cgroups are on the host (mountinfo ×
 * /proc/PID/cgroup), for the container's /sys/fs/cgroup view and for
 * joining a running container's cgroups (exec). Limits and resources are
 * linux/cgroup.c's business; this only reads the layout. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/cgmount.h"

#define MOUNTINFO_MAX	(4 << 20)
#define CGROUP_FILE_MAX (64 << 10)

void berth_cgmount_free(struct berth_cgmount *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].dir);
		free(v[i].name);
		free(v[i].controllers);
	}
	free(v);
}

/* Does the comma-separated list HAY hold every item of NEEDLES? */
static bool has_all(const char *hay, const char *needles)
{
	const char *n = needles;

	while (*n) {
		const char *ne = strchrnul(n, ',');
		size_t nl = (size_t)(ne - n);
		const char *h = hay;
		bool found = false;

		while (*h && !found) {
			const char *he = strchrnul(h, ',');
			found = (size_t)(he - h) == nl && strncmp(h, n, nl) == 0;
			h = *he ? he + 1 : he;
		}
		if (!found)
			return false;
		n = *ne ? ne + 1 : ne;
	}
	return true;
}

struct cg_mnt {
	char *root;  /* the mount's root inside the hierarchy */
	char *point; /* mount point */
	char *opts;  /* super options: controllers, name=... */
	bool v2;
};

static void free_mnts(struct cg_mnt *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].root);
		free(m[i].point);
		free(m[i].opts);
	}
	free(m);
}

/* One mountinfo line: "36 25 0:31 / /sys/fs/cgroup/memory rw,... - cgroup cgroup rw,memory" */
static bool parse_line(char *line, struct cg_mnt *out)
{
	char *f[6], *sep, *type, *src, *opts, *save = NULL;
	int i;

	sep = strstr(line, " - ");
	if (sep == NULL)
		return false;
	*sep = '\0';
	f[0] = strtok_r(line, " ", &save);
	for (i = 1; i < 6 && f[i - 1]; i++)
		f[i] = strtok_r(NULL, " ", &save);
	if (i < 6 || f[4] == NULL)
		return false;
	save = NULL;
	type = strtok_r(sep + 3, " ", &save);
	src = strtok_r(NULL, " ", &save);
	opts = strtok_r(NULL, " \n", &save);
	if (type == NULL || src == NULL || opts == NULL)
		return false;
	if (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0)
		return false;
	out->v2 = strcmp(type, "cgroup2") == 0;
	out->root = xstrdup(f[3]);
	out->point = xstrdup(f[4]);
	out->opts = xstrdup(opts);
	return true;
}

static int read_mounts(struct cg_mnt **out, size_t *n, berth_error_t *err)
{
	cleanup_free char *data = NULL;
	struct cg_mnt *v = NULL;
	char *line, *save = NULL;
	size_t cnt = 0;

	if (berth_fs_read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &data, err) < 0)
		return -1;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cg_mnt m;
		if (strstr(line, " - cgroup") == NULL || !parse_line(line, &m))
			continue;
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = m;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static const struct cg_mnt *find_mount(const struct cg_mnt *m, size_t n, const char *ctrls)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ctrls[0] == '\0' ? m[i].v2 : (!m[i].v2 && has_all(m[i].opts, ctrls)))
			return &m[i];
	}
	return NULL;
}

/* host dir of cgroup PATH in the hierarchy mounted at M */
static char *host_dir(const struct cg_mnt *m, const char *path)
{
	size_t rl = strlen(m->root);

	if (strcmp(m->root, "/") != 0 && strncmp(path, m->root, rl) == 0 &&
	    (path[rl] == '/' || path[rl] == '\0'))
		path += rl;
	while (*path == '/')
		path++;
	return *path ? xasprintf("%s/%s", m->point, path) : xstrdup(m->point);
}

static void add_entry(struct berth_cgmount **v, size_t *n, const struct cg_mnt *m,
		      const char *ctrls, const char *path)
{
	struct berth_cgmount *e;
	const char *base = strrchr(m->point, '/');

	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	e = &(*v)[(*n)++];
	e->dir = host_dir(m, path);
	e->name = xstrdup(base ? base + 1 : m->point);
	e->controllers = xstrdup(ctrls);
	e->v2 = m->v2;
}

int berth_cgmount_of(pid_t pid, struct berth_cgmount **out, size_t *n, berth_error_t *err)
{
	cleanup_free char *path =
	    pid ? xasprintf("/proc/%d/cgroup", (int)pid) : xstrdup("/proc/self/cgroup");
	cleanup_free char *data = NULL;
	struct cg_mnt *mnts = NULL;
	struct berth_cgmount *v = NULL;
	size_t nm = 0, cnt = 0;
	char *line, *save = NULL;

	if (berth_fs_read_file(path, CGROUP_FILE_MAX, &data, err) < 0 ||
	    read_mounts(&mnts, &nm, err) < 0)
		return -1;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const struct cg_mnt *m;

		if (c2 == NULL)
			continue;
		*c2 = '\0';
		m = find_mount(mnts, nm, c1 + 1);
		if (m)
			add_entry(&v, &cnt, m, c1 + 1, c2 + 1);
	}
	free_mnts(mnts, nm);
	*out = v;
	*n = cnt;
	return 0;
}

int berth_cgmount_join(pid_t pid, berth_error_t *err)
{
	struct berth_cgmount *v = NULL;
	size_t n = 0, i;
	int ret = 0;

	if (berth_cgmount_of(pid, &v, &n, err) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		/* v1: `tasks` moves just this thread, the caller's only one, which
		 * spares the global lock cgroup.procs takes (and its RCU grace
		 * period, container.c's place_in_cgroup) */
		cleanup_free char *procs =
		    xasprintf("%s/%s", v[i].dir, v[i].v2 ? "cgroup.procs" : "tasks");
		cleanup_close int fd = open(procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			ret = berth_make_error(err, errno, "join cgroup `%s`: %s", v[i].dir,
					       strerror(errno));
	}
	berth_cgmount_free(v, n);
	return ret;
}
