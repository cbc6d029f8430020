/* sysinfo.h: facts about the host that /info and /version report. */
#ifndef BERTH_ENGINE_SYSINFO_H
#define BERTH_ENGINE_SYSINFO_H

#include <stdbool.h>
#include <stdint.h>

struct berth_sysinfo {
	int ncpu;
	int64_t mem_total; /* bytes */
	char kernel[80];   /* uname -r */
	char arch[80];	   /* uname -m */
	char hostname[256];
	char os_name[256];   /* PRETTY_NAME of os-release */
	char os_version[64]; /* VERSION_ID */
	int cgroup_version;  /* 1 or 2 */
	bool memory_limit, swap_limit, cpu_cfs, cpu_shares, cpuset, pids_limit, oom_kill_disable;
	bool ipv4_forwarding;
};

/* Reads the facts from /proc, /sys, uname and os-release; CGROUP_ROOT is
 * normally "/sys/fs/cgroup" (a test may point it elsewhere). */
void berth_sysinfo_read(struct berth_sysinfo *si, const char *cgroup_root);

/* 2 when ROOT is a cgroup2 mount (unified host), 1 for v1 and for hybrid
 * hosts, whose resource controllers live on v1 hierarchies. */
int berth_sysinfo_cgroup_version(const char *root);

#endif
