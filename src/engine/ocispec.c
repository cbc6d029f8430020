/* ocispec.c: docker create request -> OCI runtime spec, after moby's
 * oci/defaults.go and daemon/oci_linux.go. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "engine/ocispec.h"
#include "runtime/linux/caps.h"
#include "runtime/linux/seccomp.h"

#define MAX_GROUPS 256

/* docker's masked and read-only paths (oci/defaults.go) */
static const char *const masked_paths[] = {
	"/proc/asound",	    "/proc/acpi",	 "/proc/interrupts",
	"/proc/kcore",	    "/proc/keys",	 "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	    "/sys/firmware",	 "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Device nodes every container may use (cgroup device rules). */
static const struct {
	char type;
	long major, minor; /* -1: any */
	const char *access;
} allowed_devices[] = {
	{ 'c', -1, -1, "m" },	 { 'b', -1, -1, "m" }, { 'c', 1, 3, "rwm" },
	{ 'c', 1, 8, "rwm" },	 { 'c', 1, 7, "rwm" }, { 'c', 5, 0, "rwm" },
	{ 'c', 1, 5, "rwm" },	 { 'c', 1, 9, "rwm" }, { 'c', 5, 1, "rwm" },
	{ 'c', 136, -1, "rwm" }, { 'c', 5, 2, "rwm" }, { 'c', 10, 200, "rwm" },
};

static const json_t *cfg(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_null(v) ? NULL : v;
}

static const char *cfg_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* --- process ------------------------------------------------------------------------ */

static bool non_empty(const json_t *v)
{
	return json_is_string(v) || json_array_size(v) > 0;
}

static void append_args(json_t *args, const json_t *v)
{
	json_t *it;
	size_t i;

	if (json_is_string(v))
		json_array_append(args, (json_t *)v);
	json_array_foreach (json_is_array(v) ? v : NULL, i, it)
		if (json_is_string(it))
			json_array_append(args, it);
}

json_t *berth_oci_args(const json_t *image, const json_t *create, berth_error_t *err)
{
	const json_t *ep = cfg(create, "Entrypoint"), *cmd = cfg(create, "Cmd");
	json_t *args = json_array();

	/* docker: a request Entrypoint replaces the image's and drops its Cmd */
	if (ep == NULL) {
		ep = cfg(image, "Entrypoint");
		if (!non_empty(cmd))
			cmd = cfg(image, "Cmd");
	}
	/* --entrypoint "" arrives as [""]: no entrypoint at all */
	if (!(json_array_size(ep) == 1 && *json_string_value(json_array_get(ep, 0)) == '\0'))
		append_args(args, ep);
	append_args(args, cmd);
	if (json_array_size(args) == 0) {
		json_decref(args);
		berth_make_error(err, EINVAL, "no command specified");
		return NULL;
	}
	return args;
}

static size_t key_len(const char *kv)
{
	return strcspn(kv, "=");
}

static void env_set(json_t *env, const char *kv)
{
	size_t k = key_len(kv), i;
	json_t *it;

	json_array_foreach (env, i, it) {
		const char *cur = json_string_value(it);
		if (key_len(cur) == k && strncmp(cur, kv, k) == 0) {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

static bool env_has(const json_t *env, const char *key)
{
	size_t i, k = strlen(key);
	json_t *it;

	json_array_foreach (env, i, it)
		if (key_len(json_string_value(it)) == k &&
		    strncmp(json_string_value(it), key, k) == 0)
			return true;
	return false;
}

json_t *berth_oci_env(const json_t *image, const json_t *create, const char *hostname)
{
	json_t *env = json_array(), *it;
	size_t i;

	json_array_foreach (cfg(image, "Env"), i, it)
		if (json_is_string(it))
			env_set(env, json_string_value(it));
	json_array_foreach (cfg(create, "Env"), i, it)
		if (json_is_string(it))
			env_set(env, json_string_value(it));
	if (!env_has(env, "PATH"))
		env_set(env, "PATH=" BERTH_DEFAULT_PATH);
	if (hostname && !env_has(env, "HOSTNAME")) {
		cleanup_free char *h = xasprintf("HOSTNAME=%s", hostname);
		json_array_insert_new(env, 1, json_string(h));
	}
	if (json_is_true(json_object_get(create, "Tty")) && !env_has(env, "TERM"))
		env_set(env, "TERM=xterm");
	return env;
}

/* --- capabilities -------------------------------------------------------------------- */

/* "net_admin" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; NULL for unknown names. */
static char *cap_name(const char *in)
{
	char *name = strncasecmp(in, "CAP_", 4) == 0 ? xstrdup(in) : xasprintf("CAP_%s", in);
	char *p;

	for (p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (berth_caps_number(name) < 0) {
		free(name);
		return NULL;
	}
	return name;
}

static bool list_has(const json_t *list, const char *s)
{
	size_t i;
	json_t *it;

	json_array_foreach (list, i, it)
		if (json_is_string(it) && strcasecmp(json_string_value(it), s) == 0)
			return true;
	return false;
}

static int change_caps(json_t *caps, const json_t *names, bool add, berth_error_t *err)
{
	json_t *it;
	size_t i, k;

	json_array_foreach (names, i, it) {
		cleanup_free char *name = NULL;
		if (!json_is_string(it) || strcasecmp(json_string_value(it), "ALL") == 0)
			continue;
		name = cap_name(json_string_value(it));
		if (name == NULL)
			return berth_make_error(err, EINVAL, "unknown capability: \"%s\"",
						json_string_value(it));
		for (k = 0; !add && k < json_array_size(caps);)
			if (strcmp(json_string_value(json_array_get(caps, k)), name) == 0)
				json_array_remove(caps, k);
			else
				k++;
		if (add && !list_has(caps, name))
			json_array_append_new(caps, json_string(name));
	}
	return 0;
}

json_t *berth_oci_caps(const json_t *hc, berth_error_t *err)
{
	const json_t *add = cfg(hc, "CapAdd"), *drop = cfg(hc, "CapDrop");
	json_t *caps;

	if (json_is_true(json_object_get(hc, "Privileged")) || list_has(add, "ALL"))
		caps = berth_caps_all();
	else
		caps = berth_caps_default();
	/* moby: drop ALL first, then what is added comes back */
	if (list_has(drop, "ALL"))
		json_array_clear(caps);
	if ((!list_has(drop, "ALL") && change_caps(caps, drop, false, err) < 0) ||
	    change_caps(caps, add, true, err) < 0) {
		json_decref(caps);
		return NULL;
	}
	return caps;
}

/* --- mounts ----------------------------------------------------------------------------- */

static json_t *mount(const char *dest, const char *type, const char *source, const char *opts)
{
	json_t *o = json_array();
	cleanup_free char *copy = xstrdup(opts);
	char *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(o, json_string(tok));
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source",
			 source, "options", o);
}

static json_t *default_mounts(const json_t *hc, bool privileged)
{
	json_t *m = json_array();
	json_int_t shm = json_integer_value(json_object_get(hc, "ShmSize"));
	cleanup_free char *shm_opts =
	    xasprintf("nosuid,noexec,nodev,mode=1777,size=%lld",
		      (long long)(shm > 0 ? shm : BERTH_DEFAULT_SHM_SIZE));

	json_array_append_new(m, mount("/proc", "proc", "proc", "nosuid,noexec,nodev"));
	json_array_append_new(
	    m, mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
	json_array_append_new(m, mount("/dev/pts", "devpts", "devpts",
				       "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_array_append_new(
	    m, mount("/sys", "sysfs", "sysfs",
		     privileged ? "nosuid,noexec,nodev,rw" : "nosuid,noexec,nodev,ro"));
	json_array_append_new(m, mount("/sys/fs/cgroup", "cgroup", "cgroup",
				       privileged ? "nosuid,noexec,nodev,relatime,rw"
						  : "nosuid,noexec,nodev,relatime,ro"));
	json_array_append_new(m, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
	json_array_append_new(m, mount("/dev/shm", "tmpfs", "shm", shm_opts));
	return m;
}

/* HostConfig.Tmpfs: {"/run": "rw,noexec,size=64m"} */
static int tmpfs_mounts(json_t *mounts, const json_t *hc, berth_error_t *err)
{
	const char *dest;
	json_t *v;

	json_object_foreach ((json_t *)cfg(hc, "Tmpfs"), dest, v) {
		const char *o = json_string_value(v);
		cleanup_free char *opts = NULL;
		if (dest[0] != '/' || strlen(dest) > 4096)
			return berth_make_error(err, EINVAL, "invalid mount path for tmpfs: %s",
						dest);
		opts = o && *o ? xasprintf("nosuid,nodev,noexec,%s", o)
			       : xstrdup("nosuid,nodev,noexec");
		json_array_append_new(mounts, mount(dest, "tmpfs", "tmpfs", opts));
	}
	return 0;
}

static json_t *string_list(const char *const *items, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

static json_t *device_rules(bool privileged)
{
	json_t *rules = json_array();
	size_t i;

	json_array_append_new(rules, json_pack("{s:b, s:s}", "allow", privileged, "access", "rwm"));
	for (i = 0; !privileged && i < BERTH_ARRAY_SIZE(allowed_devices); i++) {
		json_t *r =
		    json_pack("{s:b, s:s%, s:s}", "allow", 1, "type", &allowed_devices[i].type,
			      (size_t)1, "access", allowed_devices[i].access);
		if (allowed_devices[i].major >= 0)
			json_object_set_new(r, "major", json_integer(allowed_devices[i].major));
		if (allowed_devices[i].minor >= 0)
			json_object_set_new(r, "minor", json_integer(allowed_devices[i].minor));
		json_array_append_new(rules, r);
	}
	return rules;
}

/* --- resources ------------------------------------------------------------------------------- */

json_t *berth_oci_resources(const json_t *hc, bool privileged)
{
	json_t *r = json_pack("{s:o}", "devices", device_rules(privileged));
	json_t *mem = json_object(), *cpu = json_object();
	json_int_t memory = json_integer_value(json_object_get(hc, "Memory"));
	json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
	json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));

	if (memory > 0) {
		json_object_set_new(mem, "limit", json_integer(memory));
		/* docker: swap unset = twice the memory; -1 = unlimited */
		json_object_set_new(mem, "swap", json_integer(swap == 0 ? memory * 2 : swap));
	}
	if (json_integer_value(json_object_get(hc, "MemoryReservation")) > 0)
		json_object_set(mem, "reservation", json_object_get(hc, "MemoryReservation"));
	if (json_integer_value(json_object_get(hc, "CpuShares")) > 0)
		json_object_set(cpu, "shares", json_object_get(hc, "CpuShares"));
	if (nano > 0) {
		/* --cpus: quota over a 100 ms period */
		json_object_set_new(cpu, "period", json_integer(100000));
		json_object_set_new(cpu, "quota", json_integer(nano * 100000 / 1000000000LL));
	} else {
		if (json_integer_value(json_object_get(hc, "CpuQuota")) > 0)
			json_object_set(cpu, "quota", json_object_get(hc, "CpuQuota"));
		if (json_integer_value(json_object_get(hc, "CpuPeriod")) > 0)
			json_object_set(cpu, "period", json_object_get(hc, "CpuPeriod"));
	}
	if (cfg_str(hc, "CpusetCpus") && *cfg_str(hc, "CpusetCpus"))
		json_object_set(cpu, "cpus", json_object_get(hc, "CpusetCpus"));
	if (cfg_str(hc, "CpusetMems") && *cfg_str(hc, "CpusetMems"))
		json_object_set(cpu, "mems", json_object_get(hc, "CpusetMems"));
	json_object_set_new(r, "memory", mem);
	json_object_set_new(r, "cpu", cpu);
	if (pids > 0)
		json_object_set_new(r, "pids", json_pack("{s:I}", "limit", pids));
	return r;
}

/* HostConfig.Ulimits: [{"Name":"nofile","Soft":1024,"Hard":2048}] */
static int rlimits(json_t *process, const json_t *hc, berth_error_t *err)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach (cfg(hc, "Ulimits"), i, it) {
		const char *name = cfg_str(it, "Name");
		cleanup_free char *upper = NULL;
		char *p;
		if (name == NULL || strlen(name) > 32 ||
		    !json_is_integer(json_object_get(it, "Soft")) ||
		    !json_is_integer(json_object_get(it, "Hard"))) {
			json_decref(out);
			return berth_make_error(err, EINVAL, "invalid ulimit");
		}
		upper = xasprintf("RLIMIT_%s", name);
		for (p = upper; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		json_array_append_new(out, json_pack("{s:s, s:O, s:O}", "type", upper, "soft",
						     json_object_get(it, "Soft"), "hard",
						     json_object_get(it, "Hard")));
	}
	json_object_set_new(process, "rlimits", out);
	return 0;
}

/* --- security options -------------------------------------------------------------------- */

struct security {
	bool no_new_privs;
	bool seccomp_unconfined;
};

static int security_opts(const json_t *hc, struct security *sec, berth_error_t *err)
{
	json_t *it;
	size_t i;

	json_array_foreach (cfg(hc, "SecurityOpt"), i, it) {
		const char *o = json_string_value(it);
		if (o == NULL)
			continue;
		if (strcmp(o, "no-new-privileges") == 0 ||
		    strcmp(o, "no-new-privileges=true") == 0 ||
		    strcmp(o, "no-new-privileges:true") == 0)
			sec->no_new_privs = true;
		else if (strcmp(o, "no-new-privileges=false") == 0 ||
			 strcmp(o, "no-new-privileges:false") == 0)
			sec->no_new_privs = false;
		else if (strcmp(o, "seccomp=unconfined") == 0 ||
			 strcmp(o, "seccomp:unconfined") == 0)
			sec->seccomp_unconfined = true;
		else if (strncmp(o, "seccomp", 7) == 0)
			return berth_make_error(err, ENOSYS,
						"custom seccomp profiles are not supported yet");
		else if (strncmp(o, "apparmor", 8) == 0 || strncmp(o, "label", 5) == 0)
			continue; /* no AppArmor or SELinux on berth's hosts: accepted, as dockerd does */
		else
			return berth_make_error(err, EINVAL, "invalid --security-opt: \"%s\"", o);
	}
	return 0;
}

/* --- the spec ------------------------------------------------------------------------------- */

static json_t *namespaces(const json_t *hc)
{
	const char *net = cfg_str(hc, "NetworkMode");
	const char *ipc = cfg_str(hc, "IpcMode");
	const char *pid = cfg_str(hc, "PidMode");
	const char *uts = cfg_str(hc, "UTSMode");
	json_t *ns = json_array();

	json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
	if (pid == NULL || strcmp(pid, "host") != 0)
		json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
	if (ipc == NULL || strcmp(ipc, "host") != 0)
		json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
	if (uts == NULL || strcmp(uts, "host") != 0)
		json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
	/* host shares the host's network; everything else gets its own (bridge
	 * networking comes with the network service) */
	if (net == NULL || strcmp(net, "host") != 0)
		json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
	return ns;
}

static json_t *user_json(const struct berth_oci_inputs *in)
{
	json_t *groups = json_array();
	size_t i;

	for (i = 0; i < in->n_groups; i++)
		json_array_append_new(groups, json_integer(in->groups[i]));
	return json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)in->uid, "gid", (json_int_t)in->gid,
			 "additionalGids", groups);
}

static int working_dir(const json_t *image, const json_t *create, const char **out,
		       berth_error_t *err)
{
	const char *wd = cfg_str(create, "WorkingDir");

	if (wd == NULL || *wd == '\0')
		wd = cfg_str(image, "WorkingDir");
	if (wd == NULL || *wd == '\0')
		wd = "/";
	if (wd[0] != '/')
		return berth_make_error(
		    err, EINVAL,
		    "the working directory '%s' is invalid, it needs to be an absolute path", wd);
	*out = wd;
	return 0;
}

static json_t *process(const struct berth_oci_inputs *in, const char *hostname, const json_t *caps,
		       const struct security *sec, berth_error_t *err)
{
	const json_t *hc = json_object_get(in->create, "HostConfig");
	json_t *args = berth_oci_args(in->image, in->create, err), *p;
	const char *cwd = NULL;

	if (args == NULL || working_dir(in->image, in->create, &cwd, err) < 0) {
		json_decref(args);
		return NULL;
	}
	p = json_pack("{s:b, s:o, s:o, s:s, s:o, s:{s:O, s:O, s:O, s:[]}, s:b}", "terminal",
		      json_is_true(json_object_get(in->create, "Tty")), "user", user_json(in),
		      "args", args, "cwd", cwd, "env",
		      berth_oci_env(in->image, in->create, hostname), "capabilities", "bounding",
		      caps, "effective", caps, "permitted", caps, "inheritable", "noNewPrivileges",
		      sec->no_new_privs);
	if (json_integer_value(json_object_get(hc, "OomScoreAdj")) != 0)
		json_object_set(p, "oomScoreAdj", json_object_get(hc, "OomScoreAdj"));
	if (json_is_array(json_object_get(hc, "ConsoleSize")) &&
	    json_integer_value(json_array_get(json_object_get(hc, "ConsoleSize"), 0)) > 0)
		json_object_set_new(
		    p, "consoleSize",
		    json_pack("{s:O, s:O}", "height",
			      json_array_get(json_object_get(hc, "ConsoleSize"), 0), "width",
			      json_array_get(json_object_get(hc, "ConsoleSize"), 1)));
	if (rlimits(p, hc, err) < 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* The default seccomp profile for CAPS. Built once per capability set and
 * shared (read-only) by every spec that uses it: building it took ~0.2 ms
 * per start, and crun_seccomp_bpf knows a shared profile by its address.
 * Loop thread only. */
static json_t *default_profile(const json_t *caps)
{
	static struct {
		char *caps;
		json_t *profile;
	} memo[4];
	static size_t next;
	cleanup_free char *key = json_dumps(caps, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t i;

	if (key == NULL)
		return berth_seccomp_default_profile(caps);
	for (i = 0; i < BERTH_ARRAY_SIZE(memo); i++)
		if (memo[i].caps && strcmp(memo[i].caps, key) == 0)
			return json_incref(memo[i].profile);
	i = next++ % BERTH_ARRAY_SIZE(memo);
	free(memo[i].caps);
	json_decref(memo[i].profile);
	memo[i].caps = steal_pointer(&key);
	memo[i].profile = berth_seccomp_default_profile(caps);
	return json_incref(memo[i].profile);
}

static json_t *linux_section(const struct berth_oci_inputs *in, const json_t *caps,
			     const struct security *sec, bool privileged)
{
	const json_t *hc = json_object_get(in->create, "HostConfig");
	cleanup_free char *cg =
	    in->cgroups_path ? xstrdup(in->cgroups_path) : xasprintf("/berth/%s", in->id);
	json_t *l = json_pack("{s:o, s:s, s:o}", "namespaces", namespaces(hc), "cgroupsPath", cg,
			      "resources", berth_oci_resources(hc, privileged));

	if (!privileged) {
		json_object_set_new(l, "maskedPaths",
				    string_list(masked_paths, BERTH_ARRAY_SIZE(masked_paths)));
		json_object_set_new(l, "readonlyPaths",
				    string_list(readonly_paths, BERTH_ARRAY_SIZE(readonly_paths)));
	}
	if (!privileged && !sec->seccomp_unconfined)
		json_object_set_new(l, "seccomp", default_profile(caps));
	if (json_is_object(cfg(hc, "Sysctls")))
		json_object_set(l, "sysctl", json_object_get(hc, "Sysctls"));
	return l;
}

json_t *berth_oci_spec_build(const struct berth_oci_inputs *in, berth_error_t *err)
{
	const json_t *hc = json_object_get(in->create, "HostConfig");
	bool privileged = json_is_true(json_object_get(hc, "Privileged"));
	struct security sec = { 0 };
	cleanup_free char *short_id = xstrndup(in->id, 12);
	const char *hostname = in->hostname && *in->hostname ? in->hostname : short_id;
	json_t *caps, *spec, *proc, *mounts;

	if (security_opts(hc, &sec, err) < 0)
		return NULL;
	caps = berth_oci_caps(hc, err);
	if (caps == NULL)
		return NULL;
	proc = process(in, hostname, caps, &sec, err);
	mounts = proc ? default_mounts(hc, privileged) : NULL;
	if (proc == NULL || tmpfs_mounts(mounts, hc, err) < 0) {
		json_decref(proc);
		json_decref(mounts);
		json_decref(caps);
		return NULL;
	}
	spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2",
			 "process", proc, "root", "path", in->rootfs, "readonly",
			 json_is_true(json_object_get(hc, "ReadonlyRootfs")), "hostname", hostname,
			 "mounts", mounts, "linux", linux_section(in, caps, &sec, privileged));
	json_decref(caps);
	return spec;
}

/* --- users ---------------------------------------------------------------------------------- */

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out < 0xffffffffUL;
}

/* Finds the line of FILE (passwd or group format) whose name or id (field
 * 3) is KEY; copies its fields into F (up to 7). */
static bool find_entry(const char *file, const char *key, bool by_id, char f[7][256])
{
	const char *line = file;

	while (line && *line) {
		const char *end = strchrnul(line, '\n'), *p = line;
		int n = 0;

		memset(f, 0, sizeof(char[7][256]));
		while (p < end && n < 7) {
			const char *c = memchr(p, ':', (size_t)(end - p));
			size_t len = (size_t)((c ? c : end) - p);
			snprintf(f[n++], 256, "%.*s", (int)(len > 255 ? 255 : len), p);
			p = c ? c + 1 : end;
		}
		if (n >= 3 && f[0][0] != '#' && strcmp(by_id ? f[2] : f[0], key) == 0)
			return true;
		line = *end ? end + 1 : NULL;
	}
	return false;
}

static bool member_of(const char *members, const char *user)
{
	size_t ul = strlen(user);
	const char *p = members;

	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == ul && strncmp(p, user, ul) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* The groups of /etc/group that list USER as a member. */
static void supplementary(const char *group, const char *user, gid_t **groups, size_t *n)
{
	const char *line = group;

	while (line && *line && *n < MAX_GROUPS) {
		const char *end = strchrnul(line, '\n');
		cleanup_free char *l = xstrndup(line, (size_t)(end - line));
		char *fields[4] = { 0 }, *tok = l;
		int k;
		unsigned long gid;

		for (k = 0; k < 4; k++) {
			char *c = strchr(tok, ':');
			fields[k] = tok;
			if (c == NULL)
				break;
			*c = '\0';
			tok = c + 1;
		}
		if (k == 3 && fields[3] && member_of(fields[3], user) &&
		    parse_id(fields[2], &gid)) {
			*groups = xrealloc(*groups, sizeof(gid_t) * (*n + 1));
			(*groups)[(*n)++] = (gid_t)gid;
		}
		line = *end ? end + 1 : NULL;
	}
}

int berth_oci_resolve_user(const char *user, const char *passwd, const char *group, uid_t *uid,
			   gid_t *gid, gid_t **groups, size_t *n_groups, berth_error_t *err)
{
	cleanup_free char *u = xstrdup(user && *user ? user : "0");
	char *colon = strchr(u, ':'), f[7][256];
	unsigned long id;
	bool numeric;

	*groups = NULL;
	*n_groups = 0;
	if (colon)
		*colon = '\0';
	numeric = parse_id(u, &id);
	if (passwd && find_entry(passwd, u, numeric, f)) {
		unsigned long g = 0;
		*uid = (uid_t)(parse_id(f[2], &id) ? id : 0);
		*gid = (gid_t)(parse_id(f[3], &g) ? g : 0);
		if (group)
			supplementary(group, f[0], groups, n_groups);
	} else if (numeric) {
		*uid = (uid_t)id;
		*gid = 0;
	} else
		return berth_make_error(
		    err, EINVAL, "unable to find user %s: no matching entries in passwd file", u);
	if (colon == NULL)
		return 0;
	if (parse_id(colon + 1, &id)) {
		*gid = (gid_t)id;
		return 0;
	}
	if (group == NULL || !find_entry(group, colon + 1, false, f) || !parse_id(f[2], &id)) {
		free(*groups);
		*groups = NULL;
		*n_groups = 0;
		return berth_make_error(
		    err, EINVAL, "unable to find group %s: no matching entries in group file",
		    colon + 1);
	}
	*gid = (gid_t)id;
	return 0;
}
