#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/db.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/containers.h"
#include "engine/images.h"
#include "engine/volume_internal.h"
#include "engine/volumes.h"

/* RFC 3339, as dockerd reports it */
#define BERTH_BUILD_TIME BERTH_BUILD_DATE

static json_t *json_copy_or_array(const json_t *j)
{
	return j ? json_deep_copy(j) : json_array();
}

void berth_engine_config_release(struct berth_engine_config *c)
{
	if (c == NULL)
		return;
	free(c->data_root);
	free(c->exec_root);
	free(c->cgroup_root);
	json_decref(c->labels);
	json_decref(c->registry_mirrors);
	json_decref(c->insecure_registries);
	json_decref(c->address_pools);
	json_decref(c->dns);
	json_decref(c->dns_opts);
	json_decref(c->dns_search);
	free(c->host_gateway_ip);
	memset(c, 0, sizeof(*c));
}

void berth_engine_config_copy(struct berth_engine_config *dst,
			      const struct berth_engine_config *src)
{
	*dst = *src;
	dst->data_root = xstrdup(src->data_root);
	dst->exec_root = xstrdup(src->exec_root);
	dst->cgroup_root = xstrdup(src->cgroup_root ? src->cgroup_root : "/sys/fs/cgroup");
	dst->labels = json_copy_or_array(src->labels);
	dst->registry_mirrors = json_copy_or_array(src->registry_mirrors);
	dst->insecure_registries = json_copy_or_array(src->insecure_registries);
	dst->address_pools = src->address_pools ? json_deep_copy(src->address_pools) : NULL;
	dst->dns = src->dns ? json_deep_copy(src->dns) : NULL;
	dst->dns_opts = src->dns_opts ? json_deep_copy(src->dns_opts) : NULL;
	dst->dns_search = src->dns_search ? json_deep_copy(src->dns_search) : NULL;
	dst->host_gateway_ip = src->host_gateway_ip ? xstrdup(src->host_gateway_ip) : NULL;
}

/* A random UUID (v4), dockerd's engine ID format. */
static char *new_uuid(berth_error_t *err)
{
	unsigned char b[16];
	cleanup_close int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		berth_make_error(err, errno ? errno : EIO, "read /dev/urandom: %s",
				 strerror(errno));
		return NULL;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
}

static int load_identity(struct berth_engine *e, berth_error_t *err)
{
	berth_error_t lerr = NULL;

	e->id = berth_db_meta_get(e->db, "engine-id", &lerr);
	if (e->id)
		return 0;
	if (berth_error_code(lerr) != ENOENT) {
		*err = lerr;
		return -1;
	}
	berth_error_release(&lerr);
	e->id = new_uuid(err);
	if (e->id == NULL)
		return -1;
	return berth_db_meta_set(e->db, "engine-id", e->id, err);
}

/* The data root's layout (DESIGN.md: State on disk). tmp/ holds work in
 * progress and is emptied at each start. */
static int make_layout(const char *root, berth_error_t *err)
{
	static const char *const dirs[] = { "",		  "blobs/sha256", "layers",
					    "containers", "volumes",	  "tmp" };
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(dirs); i++) {
		cleanup_free char *p = xasprintf("%s/%s", root, dirs[i]);
		if (berth_fs_mkdir_p(p, 0711, err) < 0)
			return -1;
	}
	{
		/* volumes hold what images put there (setuid files, devices):
		 * no host user but root walks in (CVE-2021-41091's class) */
		cleanup_free char *p = xasprintf("%s/volumes", root);
		if (chmod(p, 0700) < 0)
			return berth_make_error(err, errno, "chmod %s: %s", p, strerror(errno));
	}
	return 0;
}

struct berth_engine *berth_engine_new(struct berth_loop *loop,
				      const struct berth_engine_config *cfg, berth_error_t *err)
{
	struct berth_engine *e = xzalloc(sizeof(*e));
	cleanup_free char *dbpath = NULL;

	e->loop = loop;
	berth_engine_config_copy(&e->cfg, cfg);
	berth_sysinfo_read(&e->si, e->cfg.cgroup_root);
	e->events = berth_events_new(loop);
	if (make_layout(e->cfg.data_root, err) < 0)
		goto fail;
	dbpath = xasprintf("%s/berth.db", e->cfg.data_root);
	e->layers_dir = xasprintf("%s/layers", e->cfg.data_root);
	e->db = berth_db_open(dbpath, err);
	if (e->db == NULL || load_identity(e, err) < 0)
		goto fail;
	e->store = berth_store_open(e->cfg.data_root, err);
	if (e->store == NULL || berth_engine_images_reconcile(e, err) < 0 ||
	    berth_engine_networks_load(e, err) < 0 || berth_engine_volumes_load(e, err) < 0 ||
	    berth_engine_containers_load(e, err) < 0)
		goto fail;
	berth_log_info("engine %s: store schema version %d, data root %s", e->id,
		       berth_db_schema_version(e->db), e->cfg.data_root);
	return e;
fail:
	berth_engine_free(e);
	return NULL;
}

#define TRIM_DELAY_MS 2000

static void trim_cb(void *data)
{
	struct berth_engine *e = data;

	e->trim_timer = 0;
	malloc_trim(0);
}

void berth_engine_trim_later(struct berth_engine *e)
{
	if (!e->trim_timer)
		e->trim_timer = berth_loop_timer_add(e->loop, TRIM_DELAY_MS, trim_cb, e);
}

void berth_engine_free(struct berth_engine *e)
{
	if (e == NULL)
		return;
	if (e->trim_timer)
		berth_loop_timer_cancel(e->loop, e->trim_timer);
	berth_engine_image_jobs_stop(e);
	berth_engine_containers_free(e);
	berth_engine_networks_free(e);
	berth_engine_volumes_free(e);
	berth_db_close(e->db);
	berth_store_free(e->store);
	free(e->layers_dir);
	berth_events_free(e->events);
	berth_engine_config_release(&e->cfg);
	free(e->id);
	free(e);
}

int berth_engine_exec(struct berth_engine *e, const char *sql, berth_error_t *err)
{
	char *msg = NULL;

	if (sqlite3_exec(berth_db_handle(e->db), sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = berth_make_error(err, EIO, "state store: %s",
					 msg ? msg : sqlite3_errmsg(berth_db_handle(e->db)));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

struct berth_events *berth_engine_events(struct berth_engine *e)
{
	return e->events;
}

const char *berth_engine_id(const struct berth_engine *e)
{
	return e->id;
}

static char *join_array(const json_t *arr)
{
	struct {
		char *s;
	} out = { xstrdup("") };
	json_t *it;
	size_t i;

	json_array_foreach (arr, i, it) {
		char *n = xasprintf("%s%s%s", out.s, i ? "," : "", json_string_value(it));
		free(out.s);
		out.s = n;
	}
	return out.s;
}

void berth_engine_reload(struct berth_engine *e, const struct berth_engine_config *cfg)
{
	json_t *attrs = json_object();
	cleanup_free char *labels = NULL, *mirrors = NULL, *insecure = NULL;

	e->cfg.debug = cfg->debug;
	e->cfg.live_restore = cfg->live_restore;
	e->cfg.max_concurrent_downloads = cfg->max_concurrent_downloads;
	e->cfg.max_concurrent_uploads = cfg->max_concurrent_uploads;
	e->cfg.max_download_attempts = cfg->max_download_attempts;
	e->cfg.shutdown_timeout = cfg->shutdown_timeout;
	json_decref(e->cfg.labels);
	json_decref(e->cfg.registry_mirrors);
	json_decref(e->cfg.insecure_registries);
	e->cfg.labels = json_copy_or_array(cfg->labels);
	e->cfg.registry_mirrors = json_copy_or_array(cfg->registry_mirrors);
	e->cfg.insecure_registries = json_copy_or_array(cfg->insecure_registries);

	labels = join_array(e->cfg.labels);
	mirrors = join_array(e->cfg.registry_mirrors);
	insecure = join_array(e->cfg.insecure_registries);
	/* dockerd's reload event lists the values now in force */
	json_object_set_new(attrs, "debug", json_string(e->cfg.debug ? "true" : "false"));
	json_object_set_new(attrs, "labels", json_sprintf("[%s]", labels));
	json_object_set_new(attrs, "live-restore",
			    json_string(e->cfg.live_restore ? "true" : "false"));
	json_object_set_new(attrs, "registry-mirrors", json_sprintf("[%s]", mirrors));
	json_object_set_new(attrs, "insecure-registries", json_sprintf("[%s]", insecure));
	json_object_set_new(attrs, "max-concurrent-downloads",
			    json_sprintf("%d", e->cfg.max_concurrent_downloads));
	json_object_set_new(attrs, "max-concurrent-uploads",
			    json_sprintf("%d", e->cfg.max_concurrent_uploads));
	json_object_set_new(attrs, "max-download-attempts",
			    json_sprintf("%d", e->cfg.max_download_attempts));
	json_object_set_new(attrs, "shutdown-timeout", json_sprintf("%d", e->cfg.shutdown_timeout));
	json_object_set_new(attrs, "name", json_string(e->si.hostname));
	berth_events_publish(e->events, "daemon", "reload", e->id, attrs);
}

const char *berth_engine_goarch(const char *machine)
{
	static const struct {
		const char *uname, *goarch;
	} map[] = {
		{ "x86_64", "amd64" },	  { "aarch64", "arm64" }, { "armv7l", "arm" },
		{ "armv6l", "arm" },	  { "i686", "386" },	  { "i386", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },	  { "riscv64", "riscv64" },
	};
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(map); i++)
		if (strcmp(map[i].uname, machine) == 0)
			return map[i].goarch;
	return machine;
}

json_t *berth_engine_version(struct berth_engine *e)
{
	const char *arch = berth_engine_goarch(e->si.arch);
	json_t *details = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BuildTime", BERTH_BUILD_TIME,
	    "ApiVersion", BERTH_API_VERSION, "MinAPIVersion", BERTH_API_MIN_VERSION, "GitCommit",
	    BERTH_GIT_COMMIT, "GoVersion", "", "Os", "linux", "Arch", arch, "KernelVersion",
	    e->si.kernel, "Experimental", e->cfg.experimental ? "true" : "false");

	return json_pack(
	    "{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "Platform", "Name", "berth " BERTH_VERSION, "Components", "Name", "Engine", "Version",
	    BERTH_VERSION, "Details", details, "Version", BERTH_VERSION, "ApiVersion",
	    BERTH_API_VERSION, "MinAPIVersion", BERTH_API_MIN_VERSION, "GitCommit",
	    BERTH_GIT_COMMIT, "GoVersion", "", "Os", "linux", "Arch", arch, "KernelVersion",
	    e->si.kernel, "BuildTime", BERTH_BUILD_TIME);
}

static json_t *registry_config(struct berth_engine *e)
{
	json_t *index = json_pack("{s:s, s:O, s:b, s:b}", "Name", "docker.io", "Mirrors",
				  e->cfg.registry_mirrors, "Secure", 1, "Official", 1);
	json_t *cidrs = json_array(), *configs = json_object();
	json_t *it;
	size_t i;

	json_object_set_new(configs, "docker.io", index);
	/* loopback is always insecure, as in dockerd */
	json_array_append_new(cidrs, json_string("127.0.0.0/8"));
	json_array_foreach (e->cfg.insecure_registries, i, it) {
		const char *v = json_string_value(it);
		if (strchr(v, '/')) {
			if (strcmp(v, "127.0.0.0/8") != 0)
				json_array_append(cidrs, it);
			continue;
		}
		json_object_set_new(configs, v,
				    json_pack("{s:s, s:[], s:b, s:b}", "Name", v, "Mirrors",
					      "Secure", 0, "Official", 0));
	}
	return json_pack("{s:[], s:[], s:o, s:o, s:O}", "AllowNondistributableArtifactsCIDRs",
			 "AllowNondistributableArtifactsHostnames", "InsecureRegistryCIDRs", cidrs,
			 "IndexConfigs", configs, "Mirrors", e->cfg.registry_mirrors);
}

static json_t *runtimes(void)
{
	return json_pack("{s:{s:s}}", "berth", "path", "berth-monitor");
}

/* The filesystem under the data root, named as dockerd's fsmagic does. */
static const char *backing_fs(const char *path)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} names[] = {
		{ 0xEF53, "extfs" },	 { 0x58465342, "xfs" },	      { 0x9123683E, "btrfs" },
		{ 0x01021994, "tmpfs" }, { 0x794c7630, "overlayfs" }, { 0x2FC12FC1, "zfs" },
		{ 0x65735546, "fuse" },	 { 0x6969, "nfs" },
	};
	struct statfs fs;
	size_t i;

	if (statfs(path, &fs) < 0)
		return "<unknown>";
	for (i = 0; i < BERTH_ARRAY_SIZE(names); i++)
		if ((unsigned long)fs.f_type == names[i].magic)
			return names[i].name;
	return "<unknown>";
}

json_t *berth_engine_info(struct berth_engine *e)
{
	char now[48];
	json_t *j;
	int total, running, paused, stopped;

	berth_engine_containers_count(e, &total, &running, &paused, &stopped);
	berth_sysinfo_read(&e->si, e->cfg.cgroup_root);
	berth_time_format_rfc3339nano(berth_time_now_ns(), now, sizeof(now));
	j = json_pack(
	    "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[[s,s]], s:[], s:{s:[], s:[], s:[], s:[]}}",
	    "ID", e->id, "Containers", total, "ContainersRunning", running, "ContainersPaused",
	    paused, "ContainersStopped", stopped, "Images", berth_engine_images_count(e), "Driver", "overlay2",
	    "DriverStatus", "Backing Filesystem", backing_fs(e->cfg.data_root), "SystemStatus",
	    "Plugins", "Volume", "Network", "Authorization", "Log");
	json_array_append_new(json_object_get(json_object_get(j, "Plugins"), "Volume"),
			      json_string("local"));
	json_array_append_new(json_object_get(json_object_get(j, "Plugins"), "Network"),
			      json_string("bridge"));
	json_array_append_new(json_object_get(json_object_get(j, "Plugins"), "Network"),
			      json_string("host"));
	json_array_append_new(json_object_get(json_object_get(j, "Plugins"), "Network"),
			      json_string("null"));
	json_array_append_new(json_object_get(json_object_get(j, "Plugins"), "Log"),
			      json_string("json-file"));
	json_object_update_new(
	    j, json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
			 "MemoryLimit", e->si.memory_limit, "SwapLimit", e->si.swap_limit,
			 "KernelMemory", 0, "KernelMemoryTCP", 0, "CpuCfsPeriod", e->si.cpu_cfs,
			 "CpuCfsQuota", e->si.cpu_cfs, "CPUShares", e->si.cpu_shares, "CPUSet",
			 e->si.cpuset, "PidsLimit", e->si.pids_limit, "IPv4Forwarding",
			 e->si.ipv4_forwarding, "BridgeNfIptables", 0, "BridgeNfIp6tables", 0));
	json_object_update_new(
	    j, json_pack("{s:b, s:b, s:i, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "Debug",
			 e->cfg.debug, "OomKillDisable", e->si.oom_kill_disable, "NFd", 0,
			 "NGoroutines", 0, "SystemTime", now, "LoggingDriver", "json-file",
			 "CgroupDriver", "cgroupfs", "CgroupVersion",
			 e->si.cgroup_version == 2 ? "2" : "1", "NEventsListener", 0,
			 "KernelVersion", e->si.kernel, "OperatingSystem", e->si.os_name,
			 "OSVersion", e->si.os_version));
	json_object_update_new(
	    j, json_pack("{s:s, s:s, s:s, s:o, s:i, s:I, s:s, s:s, s:s, s:s, s:s, s:O, s:b}",
			 "OSType", "linux", "Architecture", e->si.arch, "IndexServerAddress",
			 "https://index.docker.io/v1/", "RegistryConfig", registry_config(e),
			 "NCPU", e->si.ncpu, "MemTotal", (json_int_t)e->si.mem_total,
			 "DockerRootDir", e->cfg.data_root, "HttpProxy", "", "HttpsProxy", "",
			 "NoProxy", "", "Name", e->si.hostname, "Labels", e->cfg.labels,
			 "ExperimentalBuild", e->cfg.experimental));
	json_object_update_new(
	    j,
	    json_pack(
		"{s:s, s:o, s:s, s:b, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:[s], s:{s:s, s:s, s:s, s:b, s:s}}",
		"ServerVersion", BERTH_VERSION, "Runtimes", runtimes(), "DefaultRuntime", "berth",
		"LiveRestoreEnabled", e->cfg.live_restore, "Isolation", "", "InitBinary", "",
		"ContainerdCommit", "ID", "", "Expected", "", "RuncCommit", "ID", "", "Expected",
		"", "InitCommit", "ID", "", "Expected", "", "SecurityOptions",
		"name=seccomp,profile=builtin", "Swarm", "NodeID", "", "NodeAddr", "",
		"LocalNodeState", "inactive", "ControlAvailable", 0, "Error", ""));
	json_object_set_new(json_object_get(j, "Swarm"), "RemoteManagers", json_null());
	json_object_set_new(j, "Warnings", json_array());
	if (!e->si.swap_limit)
		json_array_append_new(json_object_get(j, "Warnings"),
				      json_string("WARNING: No swap limit support"));
	return j;
}

json_t *berth_engine_disk_usage(struct berth_engine *e, bool images, bool containers, bool volumes,
				bool build_cache)
{
	int64_t layers_size = 0;
	json_t *imgs = berth_engine_images_df(e, &layers_size);
	json_t *j = json_pack("{s:I}", "LayersSize", (json_int_t)layers_size);

	/* volumes and build cache come with their issues */
	if (images)
		json_object_set(j, "Images", imgs);
	if (containers) {
		json_t *cs = berth_engine_containers_list(e, NULL, true, -1, true, 1047, NULL);
		json_object_set_new(j, "Containers", cs ? cs : json_array());
	}
	if (volumes)
		json_object_set_new(j, "Volumes", berth_engine_volumes_df(e));
	if (build_cache)
		json_object_set_new(j, "BuildCache", json_array());
	json_decref(imgs);
	return j;
}
