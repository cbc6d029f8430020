/* cstats.c: what a running container uses and may use: stats samples from
 * its cgroup (v1 or v2), `top` (the host's ps over the container's pids),
 * and `update` of its resources (the cgroup, live, and its HostConfig). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "engine/ocispec.h"
#include "runtime/linux/cgroup.h"

extern char **environ;

#define TOP_MAX_OUTPUT (4 * 1024 * 1024)
#define TOP_TIMEOUT_MS 10000
#define ZERO_TIME      "0001-01-01T00:00:00Z"

static struct berth_cgroup *open_cgroup(struct berth_engine *e, const struct container *c,
					berth_error_t *err)
{
	cleanup_free char *path = xasprintf("/berth/%s", c->id);

	return berth_cgroup_open(e->cfg.cgroup_root, path, err);
}

static json_t *zero_cpu(void)
{
	return json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", 0,
			 "usage_in_kernelmode", 0, "usage_in_usermode", 0, "throttling_data",
			 "periods", 0, "throttled_periods", 0, "throttled_time", 0);
}

json_t *berth_engine_container_stats(struct berth_engine *e, const char *name, const json_t *prev,
				     bool *running, berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	struct berth_cgroup *cg;
	json_t *s = NULL, *pre;
	char now[64];

	if (c == NULL)
		return NULL;
	*running = c->status == CS_RUNNING || c->status == CS_PAUSED;
	if (*running) {
		berth_error_t cerr = NULL;
		cg = open_cgroup(e, c, &cerr);
		if (cg)
			s = berth_cgroup_stats(cg, &cerr);
		berth_cgroup_free(cg);
		berth_error_release(&cerr);
	}
	if (s == NULL) {
		s = json_pack("{s:o, s:{}, s:{}, s:{s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n}}",
			      "cpu_stats", zero_cpu(), "memory_stats", "pids_stats", "blkio_stats",
			      "io_service_bytes_recursive", "io_serviced_recursive",
			      "io_queue_recursive", "io_service_time_recursive",
			      "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
			      "sectors_recursive");
		json_object_set_new(s, "read", json_string(ZERO_TIME));
	} else {
		json_object_set_new(
		    s, "read",
		    json_string(berth_time_format_rfc3339nano(berth_time_now_ns(), now, sizeof(now))));
	}
	pre = prev ? json_object_get(prev, "cpu_stats") : NULL;
	json_object_set_new(s, "precpu_stats", pre ? json_deep_copy(pre) : zero_cpu());
	json_object_set_new(s, "preread",
			    json_string(prev && json_object_get(prev, "read")
					    ? json_string_value(json_object_get(prev, "read"))
					    : ZERO_TIME));
	json_object_set_new(s, "num_procs", json_integer(0));
	json_object_set_new(s, "storage_stats", json_object());
	json_object_set_new(s, "name", json_string(c->name));
	json_object_set_new(s, "id", json_string(c->id));
	return s;
}

/* --- top ------------------------------------------------------------------------------------- */

/* Runs ps with ARGS (split on blanks) and returns its output. */
static char *run_ps(const char *args, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(args && *args ? args : "-ef");
	char *argv[34], *save = NULL, *tok;
	struct berth_strbuf out = BERTH_STRBUF_INIT;
	posix_spawn_file_actions_t fa;
	int p[2], n = 0, ret, status;
	int64_t deadline = berth_time_now_ns() + (int64_t)TOP_TIMEOUT_MS * 1000000;
	pid_t pid;

	argv[n++] = (char *)"ps";
	for (tok = strtok_r(copy, " \t", &save); tok && n < 32; tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0) {
		berth_make_error(err, errno, "pipe");
		return NULL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	ret = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (ret != 0) {
		close(p[0]);
		berth_make_error(err, ret, "ps: %s", strerror(ret));
		return NULL;
	}
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		char buf[8192];
		ssize_t r;
		int64_t left = (deadline - berth_time_now_ns()) / 1000000;

		if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		r = read(p[0], buf, sizeof(buf));
		if (r <= 0)
			break;
		if (out.len + (size_t)r > TOP_MAX_OUTPUT) {
			kill(pid, SIGKILL);
			break;
		}
		berth_strbuf_append(&out, buf, (size_t)r);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		berth_make_error(err, EINVAL, "ps: %s", out.buf ? out.buf : "failed");
		berth_strbuf_release(&out);
		return NULL;
	}
	return out.buf ? out.buf : xstrdup("");
}

/* Splits a ps line into at most N fields, the last taking the rest. */
static json_t *split_fields(const char *line, size_t n)
{
	json_t *row = json_array();
	const char *p = line;

	while (*p && json_array_size(row) < n) {
		size_t len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (json_array_size(row) == n - 1) {
			len = strlen(p);
			while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\n'))
				len--;
		} else {
			len = strcspn(p, " \t");
		}
		json_array_append_new(row, json_stringn(p, len));
		p += len;
	}
	return row;
}

json_t *berth_engine_container_top(struct berth_engine *e, const char *name, const char *ps_args,
				   berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	struct berth_cgroup *cg;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *out = NULL;
	size_t n_pids = 0, i, k, n_titles, pid_col = (size_t)-1;
	json_t *titles, *procs, *it;
	char *line, *save = NULL;

	if (c == NULL)
		return NULL;
	if (c->status != CS_RUNNING && c->status != CS_PAUSED) {
		berth_make_error(err, EBUSY, "Container %s is not running", c->id);
		return NULL;
	}
	cg = open_cgroup(e, c, err);
	if (cg == NULL)
		return NULL;
	if (berth_cgroup_pids(cg, &pids, &n_pids, err) < 0) {
		berth_cgroup_free(cg);
		return NULL;
	}
	berth_cgroup_free(cg);
	out = run_ps(ps_args, err);
	if (out == NULL)
		return NULL;
	line = strtok_r(out, "\n", &save);
	if (line == NULL) {
		berth_make_error(err, EIO, "ps: no output");
		return NULL;
	}
	titles = split_fields(line, 64);
	n_titles = json_array_size(titles);
	json_array_foreach (titles, i, it)
		if (strcmp(json_string_value(it), "PID") == 0)
			pid_col = i;
	if (pid_col == (size_t)-1) {
		json_decref(titles);
		berth_make_error(err, EINVAL, "Couldn't find PID field in ps output");
		return NULL;
	}
	procs = json_array();
	while ((line = strtok_r(NULL, "\n", &save))) {
		json_t *row = split_fields(line, n_titles);
		const char *ps = json_string_value(json_array_get(row, pid_col));
		long pid = ps ? strtol(ps, NULL, 10) : -1;
		bool ours = false;
		for (k = 0; k < n_pids && !ours; k++)
			ours = pids[k] == (pid_t)pid;
		if (ours)
			json_array_append_new(procs, row);
		else
			json_decref(row);
	}
	return json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs);
}

/* --- update ------------------------------------------------------------------------------------ */

int berth_engine_container_update(struct berth_engine *e, const char *name, const json_t *body,
				  json_t **warnings, berth_error_t *err)
{
	static const char *const keys[] = {
		"CpuShares",	     "Memory",	     "NanoCpus",  "CpuPeriod",	  "CpuQuota",
		"CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems",
		"MemoryReservation", "MemorySwap",   "PidsLimit", "BlkioWeight", "KernelMemory",
		"RestartPolicy",     "OomKillDisable", "MemorySwappiness",
	};
	struct container *c = cont_find(e, name, err);
	json_t *hc, *old, *rp;
	size_t i;

	*warnings = json_array();
	if (c == NULL)
		return -1;
	if (!json_is_object(body))
		return berth_make_error(err, EINVAL, "update: the body must be an object");
	crun_unprepare(e, c); /* its monitor applied the old limits: start afresh */
	{
		/* an update body is a HostConfig's resources */
		json_t *as_create = json_pack("{s:O}", "HostConfig", body);
		int bad = berth_container_check_types(as_create, err);
		json_decref(as_create);
		if (bad < 0)
			return -1;
	}
	if (json_integer_value(json_object_get(body, "Memory")) > 0 &&
	    json_integer_value(json_object_get(body, "Memory")) < 6 * 1024 * 1024)
		return berth_make_error(err, EINVAL, "Minimum memory limit allowed is 6MB");
	if (json_integer_value(json_object_get(body, "NanoCpus")) != 0 &&
	    (json_integer_value(json_object_get(body, "CpuQuota")) != 0 ||
	     json_integer_value(json_object_get(body, "CpuPeriod")) != 0))
		return berth_make_error(err, EINVAL,
					"Conflicting options: Nano CPUs and CPU Period cannot both "
					"be set");
	rp = json_object_get(body, "RestartPolicy");
	if (json_is_object(rp) && json_string_length(json_object_get(rp, "Name")) > 0 &&
	    json_is_true(json_object_get(cont_hc(c), "AutoRemove")) &&
	    strcmp(json_string_value(json_object_get(rp, "Name")), "no") != 0)
		return berth_make_error(err, EINVAL,
					"Restart policy cannot be updated because AutoRemove is "
					"enabled for the container");
	old = json_deep_copy(cont_hc(c));
	hc = json_object_get(c->request, "HostConfig");
	for (i = 0; i < BERTH_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(body, keys[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (json_is_integer(v) && json_integer_value(v) == 0 &&
		    strcmp(keys[i], "PidsLimit") != 0)
			continue; /* docker: 0 leaves the value as it is */
		if (json_is_string(v) && json_string_length(v) == 0)
			continue;
		if (strcmp(keys[i], "RestartPolicy") == 0 &&
		    json_string_length(json_object_get(v, "Name")) == 0)
			continue;
		json_object_set(hc, keys[i], v);
	}
	/* docker: a memory limit above the old swap limit raises swap too */
	if (json_integer_value(json_object_get(body, "Memory")) > 0 &&
	    json_object_get(body, "MemorySwap") == NULL &&
	    json_integer_value(json_object_get(old, "MemorySwap")) > 0 &&
	    json_integer_value(json_object_get(hc, "Memory")) >
		json_integer_value(json_object_get(old, "MemorySwap")))
		json_object_set_new(hc, "MemorySwap", json_integer(-1));
	if (c->status == CS_RUNNING || c->status == CS_PAUSED) {
		struct berth_cgroup *cg = open_cgroup(e, c, err);
		json_t *res = berth_oci_resources(hc, json_is_true(json_object_get(hc, "Privileged")));
		int ret;

		json_object_del(res, "devices");
		ret = cg ? berth_cgroup_update(cg, res, err) : -1;
		berth_cgroup_free(cg);
		json_decref(res);
		if (ret < 0) {
			json_object_set_new(c->request, "HostConfig", old);
			return berth_error_wrap(err, "Cannot update container %s", c->id);
		}
	}
	json_decref(old);
	if (cont_save(e, c, err) < 0)
		return -1;
	cont_event(e, c, "update", NULL);
	return 0;
}
