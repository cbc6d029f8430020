#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "engine/sysinfo.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int berth_sysinfo_cgroup_version(const char *root)
{
	struct statfs fs;

	if (statfs(root, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return 2;
	return 1;
}

static bool exists_at(const char *root, const char *rel)
{
	cleanup_free char *p = xasprintf("%s/%s", root, rel);
	struct stat st;

	return stat(p, &st) == 0;
}

static bool v2_has_controller(const char *root, const char *name)
{
	cleanup_free char *p = xasprintf("%s/cgroup.controllers", root);
	cleanup_file FILE *f = fopen(p, "re");
	char word[64];

	while (f && fscanf(f, "%63s", word) == 1)
		if (strcmp(word, name) == 0)
			return true;
	return false;
}

static void read_cgroup_features(struct berth_sysinfo *si, const char *root)
{
	si->cgroup_version = berth_sysinfo_cgroup_version(root);
	if (si->cgroup_version == 2) {
		si->memory_limit = v2_has_controller(root, "memory");
		si->swap_limit = si->memory_limit;
		si->cpu_cfs = si->cpu_shares = v2_has_controller(root, "cpu");
		si->cpuset = v2_has_controller(root, "cpuset");
		si->pids_limit = v2_has_controller(root, "pids");
		si->oom_kill_disable = false;
		return;
	}
	si->memory_limit = exists_at(root, "memory/memory.limit_in_bytes");
	si->swap_limit = exists_at(root, "memory/memory.memsw.limit_in_bytes");
	si->oom_kill_disable = exists_at(root, "memory/memory.oom_control");
	si->cpu_cfs = exists_at(root, "cpu/cpu.cfs_quota_us");
	si->cpu_shares = exists_at(root, "cpu/cpu.shares");
	si->cpuset = exists_at(root, "cpuset/cpuset.cpus");
	si->pids_limit = exists_at(root, "pids/pids.max") || exists_at(root, "pids");
}

/* Copies the value of KEY= in an os-release file, without quotes. */
static void os_release_value(const char *key, char *out, size_t len)
{
	cleanup_file FILE *f = fopen("/etc/os-release", "re");
	char line[512];
	size_t klen = strlen(key);

	if (f == NULL)
		f = fopen("/usr/lib/os-release", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *v, *e;
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		v = line + klen + 1;
		v[strcspn(v, "\n")] = '\0';
		if (*v == '"' || *v == '\'') {
			v++;
			e = v + strlen(v);
			if (e > v && (e[-1] == '"' || e[-1] == '\''))
				e[-1] = '\0';
		}
		snprintf(out, len, "%s", v);
		return;
	}
}

static bool read_flag(const char *path)
{
	cleanup_file FILE *f = fopen(path, "re");
	int v = 0;

	return f && fscanf(f, "%d", &v) == 1 && v != 0;
}

void berth_sysinfo_read(struct berth_sysinfo *si, const char *cgroup_root)
{
	struct utsname u;
	struct sysinfo s;

	memset(si, 0, sizeof(*si));
	si->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&s) == 0)
		si->mem_total = (int64_t)s.totalram * s.mem_unit;
	if (uname(&u) == 0) {
		snprintf(si->kernel, sizeof(si->kernel), "%s", u.release);
		snprintf(si->arch, sizeof(si->arch), "%s", u.machine);
	}
	if (gethostname(si->hostname, sizeof(si->hostname) - 1) < 0)
		snprintf(si->hostname, sizeof(si->hostname), "localhost");
	snprintf(si->os_name, sizeof(si->os_name), "Linux");
	os_release_value("PRETTY_NAME", si->os_name, sizeof(si->os_name));
	os_release_value("VERSION_ID", si->os_version, sizeof(si->os_version));
	si->ipv4_forwarding = read_flag("/proc/sys/net/ipv4/ip_forward");
	read_cgroup_features(si, cgroup_root);
}
