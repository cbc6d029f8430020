/* containers.c: the container model: names and IDs, the store, create,
 * inspect, list, rename, remove and prune, with docker's rules and texts.
 * Processes are crun.c's business, streams cio.c's. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "engine/images.h"
#include "engine/ocispec.h"
#include "engine/volume_internal.h"
#include "image/pull.h"

#define ZERO_TIME "0001-01-01T00:00:00Z"

/* --- small helpers ---------------------------------------------------------------------- */

const char *cont_status_name(enum cstatus s)
{
	static const char *const names[] = { "created", "running", "paused", "restarting",
					     "removing", "exited", "dead" };
	return names[s];
}

const json_t *cont_hc(const struct container *c)
{
	return json_object_get(c->request, "HostConfig");
}

bool cont_tty(const struct container *c)
{
	return json_is_true(json_object_get(c->request, "Tty"));
}

char *cont_path(const struct container *c, const char *file)
{
	return xasprintf("%s/%s", c->dir, file);
}

char *cont_rt_path(const struct container *c, const char *file)
{
	return xasprintf("%s/%s", c->rtdir, file);
}

int cont_rt_mkdir(const struct container *c, berth_error_t *err)
{
	if (mkdir(c->rtdir, 0710) == 0 || errno == EEXIST)
		return 0;
	return berth_fs_mkdir_p(c->rtdir, 0710, err);
}

static sqlite3 *dbh(struct berth_engine *e)
{
	return berth_db_handle(e->db);
}

static json_t *time_json(int64_t ns)
{
	char buf[64];

	if (ns <= 0)
		return json_string(ZERO_TIME);
	return json_string(berth_time_format_rfc3339nano(ns, buf, sizeof(buf)));
}

/* --- names ------------------------------------------------------------------------------ */

static const char *const adjectives[] = {
	"agile",   "bold",    "brave",	 "bright", "calm",    "clever", "cool",	   "crisp",
	"daring",  "eager",   "fervent", "gentle", "happy",   "jolly",	"keen",	   "kind",
	"lively",  "lucid",   "merry",	 "nimble", "noble",   "placid", "plucky",  "proud",
	"quiet",   "quirky",  "serene",	 "sharp",  "sleepy",  "snappy", "steady",  "sturdy",
	"sunny",   "swift",   "tender",	 "tidy",   "upbeat",  "vibrant", "witty",  "zealous",
};

static const char *const surnames[] = {
	"agnesi",  "babbage", "bohr",	   "curie",    "darwin",   "dijkstra", "euler",
	"faraday", "fermi",   "franklin",  "galileo",  "gauss",    "hamilton", "hopper",
	"hypatia", "joliot",  "kepler",	   "knuth",    "lamarr",   "lovelace", "maxwell",
	"meitner", "mendel",  "noether",   "pascal",   "pasteur",  "planck",   "ramanujan",
	"ritchie", "sammet",  "shannon",   "thompson", "torvalds", "turing",   "volta",
	"wiles",   "wozniak", "yonath",	   "zuse",     "goodall",
};

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	cleanup_close int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		v = (uint32_t)berth_time_now_ns() ^ (uint32_t)getpid();
	return v;
}

static struct container *by_name(struct berth_engine *e, const char *slash_name)
{
	struct container *c;

	for (c = e->containers; c; c = c->next)
		if (strcmp(c->name, slash_name) == 0)
			return c;
	return NULL;
}

static char *random_name(struct berth_engine *e)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		uint32_t r = random_u32();
		char *n = xasprintf(
		    "/%s_%s", adjectives[r % BERTH_ARRAY_SIZE(adjectives)],
		    surnames[(r / BERTH_ARRAY_SIZE(adjectives)) % BERTH_ARRAY_SIZE(surnames)]);
		if (attempt > 5) { /* as docker: a digit once the plain names run short */
			char *m = xasprintf("%s%u", n, (r >> 20) % 10);
			free(n);
			n = m;
		}
		if (!by_name(e, n))
			return n;
		free(n);
	}
}

/* docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
static bool valid_name(const char *n)
{
	size_t i;

	if (*n == '/')
		n++;
	if (strlen(n) < 2 || strlen(n) > 253)
		return false;
	for (i = 0; n[i]; i++) {
		char ch = n[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

static int check_new_name(struct berth_engine *e, const char *name, char **out, berth_error_t *err)
{
	struct container *other;
	char *n;

	if (!valid_name(name))
		return berth_make_error(
		    err, EINVAL,
		    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	n = name[0] == '/' ? xstrdup(name) : xasprintf("/%s", name);
	other = by_name(e, n);
	if (other) {
		berth_make_error(err, EEXIST,
				 "Conflict. The container name \"%s\" is already in use by "
				 "container \"%s\". You have to remove (or rename) that container "
				 "to be able to reuse that name.",
				 n, other->id);
		free(n);
		return -1;
	}
	*out = n;
	return 0;
}

/* docker's lookup: full ID, name, then a unique ID prefix. */
struct container *cont_find(struct berth_engine *e, const char *name, berth_error_t *err)
{
	struct container *c, *found = NULL;
	cleanup_free char *slash = NULL;
	size_t len = strlen(name);
	int n = 0;

	if (len == 0) {
		berth_make_error(err, ENOENT, "No such container: %s", name);
		return NULL;
	}
	for (c = e->containers; c; c = c->next)
		if (strcmp(c->id, name) == 0)
			return c;
	slash = name[0] == '/' ? xstrdup(name) : xasprintf("/%s", name);
	c = by_name(e, slash);
	if (c)
		return c;
	if (len <= 64 && strspn(name, "0123456789abcdef") == len) {
		for (c = e->containers; c; c = c->next)
			if (strncmp(c->id, name, len) == 0) {
				found = c;
				n++;
			}
		if (n == 1)
			return found;
		if (n > 1) {
			berth_make_error(err, EINVAL, "multiple IDs found with provided prefix: %s",
					 name);
			return NULL;
		}
	}
	berth_make_error(err, ENOENT, "No such container: %s", name);
	return NULL;
}

/* --- the store -------------------------------------------------------------------------- */

static json_t *state_doc(const struct container *c)
{
	return json_pack("{s:s, s:b, s:b, s:b, s:i, s:i, s:I, s:i, s:I, s:I, s:s, s:i}", "Status",
			 cont_status_name(c->status), "OOMKilled", c->oom_killed,
			 "HasBeenStarted", c->has_been_started, "ManualStop", c->manual_stop,
			 "Pid", (int)c->pid, "MonitorPid", (int)c->monitor_pid, "StartTime",
			 (json_int_t)c->start_time, "ExitCode", c->exit_code, "StartedAt",
			 (json_int_t)c->started_ns, "FinishedAt", (json_int_t)c->finished_ns,
			 "Error", c->error ? c->error : "", "RestartCount", c->restart_count);
}

int cont_save(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	json_t *doc = json_pack("{s:O, s:s, s:s, s:O, s:O, s:o, s:O?, s:O?}", "Request", c->request,
				"ImageID", c->image_id, "ImageName", c->image_name, "ImageConfig",
				c->image_config ? c->image_config : json_null(), "Layers",
				c->layers, "State", state_doc(c), "Net", c->net, "Mounts", c->mounts);
	cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
	sqlite3_stmt *st = NULL;
	int rc;

	json_decref(doc);
	st = berth_db_prepare(e->db,
			      "INSERT INTO containers (id, name, created, doc) VALUES (?, ?, ?, ?) "
			      "ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
			      err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->created_ns);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	berth_db_finish(e->db, st);
	if (rc != SQLITE_DONE)
		return berth_make_error(err, EIO, "state store: %s", sqlite3_errmsg(dbh(e)));
	return 0;
}

static enum cstatus status_parse(const char *s)
{
	static const char *const names[] = { "created", "running", "paused", "restarting",
					     "removing", "exited", "dead" };
	size_t i;

	for (i = 0; s && i < BERTH_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum cstatus)i;
	return CS_DEAD;
}

static void cont_free(struct container *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->image_id);
	free(c->image_name);
	json_decref(c->request);
	json_decref(c->image_config);
	json_decref(c->layers);
	json_decref(c->mounts);
	free(c->dir);
	free(c->rtdir);
	free(c->error);
	free(c->seccomp_bpf);
	if (c->mntns_fd >= 0)
		close(c->mntns_fd);
	json_decref(c->net);
	json_decref(c->prep_net);
	net_release_ports(c);
	free(c);
}

static struct container *cont_new(struct berth_engine *e, const char *id)
{
	struct container *c = xzalloc(sizeof(*c));

	snprintf(c->id, sizeof(c->id), "%s", id);
	c->dir = xasprintf("%s/%s", e->containers_dir, id);
	c->rtdir = xasprintf("%s/%s", e->rt_containers_dir, id);
	c->monitor_pidfd = -1;
	c->mntns_fd = -1;
	return c;
}

static struct container *cont_from_row(struct berth_engine *e, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *name = (const char *)sqlite3_column_text(st, 1);
	const char *text = (const char *)sqlite3_column_text(st, 3);
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL, *s;
	struct container *c;

	if (!id || strlen(id) != 64 || !name || !json_is_object(doc) ||
	    !json_is_object(json_object_get(doc, "Request"))) {
		berth_log_warn("container %s: unreadable record, ignored", id ? id : "?");
		json_decref(doc);
		return NULL;
	}
	c = cont_new(e, id);
	c->name = xstrdup(name);
	c->created_ns = sqlite3_column_int64(st, 2);
	c->request = json_incref(json_object_get(doc, "Request"));
	c->image_id = xstrdup(json_string_value(json_object_get(doc, "ImageID"))
				  ? json_string_value(json_object_get(doc, "ImageID"))
				  : "");
	c->image_name = xstrdup(json_string_value(json_object_get(doc, "ImageName"))
				    ? json_string_value(json_object_get(doc, "ImageName"))
				    : "");
	c->image_config = json_incref(json_object_get(doc, "ImageConfig"));
	if (json_is_null(c->image_config)) {
		json_decref(c->image_config);
		c->image_config = NULL;
	}
	c->layers = json_incref(json_object_get(doc, "Layers"));
	if (!json_is_array(c->layers)) {
		json_decref(c->layers);
		c->layers = json_array();
	}
	if (json_is_object(json_object_get(doc, "Net")))
		c->net = json_incref(json_object_get(doc, "Net"));
	if (json_is_array(json_object_get(doc, "Mounts")))
		c->mounts = json_incref(json_object_get(doc, "Mounts"));
	s = json_object_get(doc, "State");
	c->status = status_parse(json_string_value(json_object_get(s, "Status")));
	c->oom_killed = json_is_true(json_object_get(s, "OOMKilled"));
	c->has_been_started = json_is_true(json_object_get(s, "HasBeenStarted"));
	c->manual_stop = json_is_true(json_object_get(s, "ManualStop"));
	c->pid = (pid_t)json_integer_value(json_object_get(s, "Pid"));
	c->monitor_pid = (pid_t)json_integer_value(json_object_get(s, "MonitorPid"));
	c->start_time = (uint64_t)json_integer_value(json_object_get(s, "StartTime"));
	c->exit_code = (int)json_integer_value(json_object_get(s, "ExitCode"));
	c->started_ns = json_integer_value(json_object_get(s, "StartedAt"));
	c->finished_ns = json_integer_value(json_object_get(s, "FinishedAt"));
	if (json_string_length(json_object_get(s, "Error")) > 0)
		c->error = xstrdup(json_string_value(json_object_get(s, "Error")));
	c->restart_count = (int)json_integer_value(json_object_get(s, "RestartCount"));
	json_decref(doc);
	return c;
}

/* The monitor binary: $BERTH_MONITOR, next to our own binary, or in the
 * build tree's src/monitor/. */
static char *find_monitor(void)
{
	static const char *const where[] = { "berth-monitor", "src/monitor/berth-monitor",
					     "../libexec/berth/berth-monitor", NULL };
	const char *env = getenv("BERTH_MONITOR");
	char *p;

	if (env && *env)
		return xstrdup(env);
	p = berth_fs_find_beside_self(where);
	return p ? p : xstrdup("berth-monitor");
}

/* Removes the runtime dirs of containers that are gone (a crash between a
 * removal and its thread). */
static void sweep_rtdirs(struct berth_engine *e)
{
	cleanup_close int dfd = open(e->rt_containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dup(dfd)) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct container *c;
		if (de->d_name[0] == '.')
			continue;
		for (c = e->containers; c; c = c->next)
			if (strcmp(c->id, de->d_name) == 0)
				break;
		if (c == NULL && berth_fs_remove_at_raw(dfd, de->d_name) < 0)
			berth_log_warn("removing %s/%s: %s", e->rt_containers_dir, de->d_name,
				       strerror(errno));
	}
	if (d)
		closedir(d);
}

int berth_engine_containers_load(struct berth_engine *e, berth_error_t *err)
{
	sqlite3_stmt *st = NULL;
	struct container **tail = &e->containers, *c;

	e->containers_dir = xasprintf("%s/containers", e->cfg.data_root);
	e->rt_containers_dir = xasprintf("%s/containers", e->cfg.exec_root);
	e->monitor_path = find_monitor();
	if (sqlite3_prepare_v2(dbh(e),
			       "SELECT id, name, created, doc FROM containers ORDER BY created DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return berth_make_error(err, EIO, "state store: %s", sqlite3_errmsg(dbh(e)));
	while (sqlite3_step(st) == SQLITE_ROW) {
		c = cont_from_row(e, st);
		if (c == NULL)
			continue;
		*tail = c;
		tail = &c->next;
	}
	sqlite3_finalize(st);
	for (c = e->containers; c; c = c->next)
		crun_adopt(e, c);
	net_rules_init(e);
	sweep_rtdirs(e);
	crun_netns_init(e);
	return 0;
}

void berth_engine_containers_free(struct berth_engine *e)
{
	struct container *c;

	crun_shutdown(e);
	crun_netns_shutdown(e);
	cio_shutdown(e);
	cexec_shutdown(e);
	while ((c = e->containers)) {
		e->containers = c->next;
		cio_release(e, c);
		crun_release(e, c);
		cont_free(c);
	}
	free(e->containers_dir);
	free(e->rt_containers_dir);
	free(e->monitor_path);
}

/* --- events ----------------------------------------------------------------------------- */

void cont_event(struct berth_engine *e, struct container *c, const char *action, json_t *extra)
{
	json_t *attrs = json_object(), *labels = json_object_get(c->request, "Labels"), *v;
	const char *k;

	json_object_foreach (labels, k, v)
		if (json_is_string(v))
			json_object_set(attrs, k, v);
	json_object_set_new(attrs, "image", json_string(c->image_name));
	json_object_set_new(attrs, "name", json_string(c->name + 1));
	if (extra) {
		json_object_update(attrs, extra);
		json_decref(extra);
	}
	berth_events_publish(e->events, "container", action, c->id, attrs);
}

/* --- create ----------------------------------------------------------------------------- */

void cont_random_id(char out[65])
{
	unsigned char b[32];
	cleanup_close int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t i;

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(random_u32() >> 8);
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	/* docker: an ID must not look like a number */
	if (strspn(out, "0123456789") == 12)
		out[0] = 'a';
}

/* The HostConfig a container keeps: docker's defaults under what was asked. */
static json_t *host_config_defaults(const json_t *given)
{
	static const char *const empty_strings[] = {
		"ContainerIDFile", "VolumeDriver", "Cgroup",	   "PidMode",	"UTSMode",
		"UsernsMode",	   "Isolation",	   "CgroupParent", "CpusetCpus", "CpusetMems",
	};
	static const char *const zeros[] = {
		"OomScoreAdj", "CpuShares",	     "Memory",		   "NanoCpus",
		"BlkioWeight", "CpuPeriod",	     "CpuQuota",	   "MemoryReservation",
		"MemorySwap",  "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpuCount",
		"CpuPercent",  "IOMaximumIOps",	     "IOMaximumBandwidth",
	};
	static const char *const nulls[] = {
		"VolumesFrom",	     "MemorySwappiness",     "OomKillDisable",	    "PidsLimit",
		"Ulimits",	     "BlkioDeviceReadBps",   "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
		"BlkioDeviceWriteIOps", "Mounts",	     "ConsoleSize",	    "Annotations",
	};
	json_t *hc = json_object();
	size_t i;
	const char *k;
	json_t *v;

	for (i = 0; i < BERTH_ARRAY_SIZE(empty_strings); i++)
		json_object_set_new(hc, empty_strings[i], json_string(""));
	for (i = 0; i < BERTH_ARRAY_SIZE(zeros); i++)
		json_object_set_new(hc, zeros[i], json_integer(0));
	for (i = 0; i < BERTH_ARRAY_SIZE(nulls); i++)
		json_object_set_new(hc, nulls[i], json_null());
	json_object_set_new(hc, "NetworkMode", json_string("default"));
	json_object_set_new(hc, "PortBindings", json_object());
	json_object_set_new(hc, "AutoRemove", json_false());
	json_object_set_new(hc, "CgroupnsMode", json_string("private"));
	json_object_set_new(hc, "IpcMode", json_string("private"));
	json_object_set_new(hc, "Privileged", json_false());
	json_object_set_new(hc, "PublishAllPorts", json_false());
	json_object_set_new(hc, "ReadonlyRootfs", json_false());
	json_object_set_new(hc, "ShmSize", json_integer(0));
	json_object_set_new(hc, "Runtime", json_string("runc"));
	/* the lists docker reports as null when empty */
	json_object_set_new(hc, "Binds", json_null());
	json_object_set_new(hc, "CapAdd", json_null());
	json_object_set_new(hc, "CapDrop", json_null());
	json_object_set_new(hc, "Dns", json_array());
	json_object_set_new(hc, "DnsOptions", json_array());
	json_object_set_new(hc, "DnsSearch", json_array());
	json_object_set_new(hc, "ExtraHosts", json_null());
	json_object_set_new(hc, "GroupAdd", json_null());
	json_object_set_new(hc, "Links", json_null());
	json_object_set_new(hc, "SecurityOpt", json_null());
	json_object_set_new(hc, "Devices", json_array());
	json_object_set_new(hc, "DeviceCgroupRules", json_null());
	json_object_set_new(hc, "DeviceRequests", json_null());
	json_object_set_new(hc, "BlkioWeightDevice", json_array());
	json_object_set_new(hc, "MaskedPaths", json_null());
	json_object_set_new(hc, "ReadonlyPaths", json_null());
	json_object_foreach ((json_t *)given, k, v)
		if (!json_is_null(v) || !json_object_get(hc, k))
			json_object_set_new(hc, k, json_deep_copy(v));
	/* moby: with a memory limit and no swap limit, swap is as much again */
	if (json_integer_value(json_object_get(hc, "Memory")) > 0 &&
	    json_integer_value(json_object_get(hc, "MemorySwap")) == 0)
		json_object_set_new(hc, "MemorySwap",
				    json_integer(2 * json_integer_value(json_object_get(hc, "Memory"))));
	if (json_integer_value(json_object_get(hc, "ShmSize")) <= 0)
		json_object_set_new(hc, "ShmSize", json_integer(64LL * 1024 * 1024));
	if (!json_is_string(json_object_get(hc, "NetworkMode")) ||
	    json_string_length(json_object_get(hc, "NetworkMode")) == 0)
		json_object_set_new(hc, "NetworkMode", json_string("default"));
	if (!json_is_object(json_object_get(hc, "RestartPolicy")))
		json_object_set_new(hc, "RestartPolicy",
				    json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
	else if (json_string_length(json_object_get(json_object_get(hc, "RestartPolicy"), "Name")) ==
		 0)
		json_object_set_new(json_object_get(hc, "RestartPolicy"), "Name", json_string("no"));
	if (!json_is_object(json_object_get(hc, "LogConfig")))
		json_object_set_new(hc, "LogConfig",
				    json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
	if (json_string_length(json_object_get(json_object_get(hc, "LogConfig"), "Type")) == 0)
		json_object_set_new(json_object_get(hc, "LogConfig"), "Type",
				    json_string("json-file"));
	if (!json_is_object(json_object_get(json_object_get(hc, "LogConfig"), "Config")))
		json_object_set_new(json_object_get(hc, "LogConfig"), "Config", json_object());
	return hc;
}

static bool str_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* --- untrusted request types ------------------------------------------------------------- */

enum jtype { J_INT, J_BOOL, J_STR, J_STRS, J_OBJ, J_CMD };

struct field {
	const char *name;
	enum jtype type;
};

static bool type_ok(const json_t *v, enum jtype t)
{
	size_t i;
	json_t *it;

	if (v == NULL || json_is_null(v))
		return true; /* absent: docker's zero value */
	switch (t) {
	case J_INT:
		return json_is_integer(v);
	case J_BOOL:
		return json_is_boolean(v);
	case J_STR:
		return json_is_string(v);
	case J_OBJ:
		return json_is_object(v);
	case J_CMD: /* docker's StrSlice: a string or a list of strings */
		if (json_is_string(v))
			return true;
		__attribute__((fallthrough));
	case J_STRS:
		if (!json_is_array(v))
			return false;
		json_array_foreach (v, i, it)
			if (!json_is_string(it))
				return false;
		return true;
	}
	return false;
}

static int check_fields(const json_t *o, const char *prefix, const struct field *f, size_t n,
			berth_error_t *err)
{
	static const char *const names[] = { "an integer", "a boolean", "a string",
					     "a list of strings", "an object",
					     "a string or a list of strings" };
	size_t i;

	for (i = 0; i < n; i++)
		if (!type_ok(json_object_get(o, f[i].name), f[i].type))
			return berth_make_error(err, EINVAL, "invalid %s%s: must be %s", prefix,
						f[i].name, names[f[i].type]);
	return 0;
}

/* No line breaks or other control characters: they end up in /etc/hosts. */
static bool printable(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static const struct field config_fields[] = {
	{ "Hostname", J_STR },	    { "Domainname", J_STR },  { "User", J_STR },
	{ "AttachStdin", J_BOOL }, { "AttachStdout", J_BOOL }, { "AttachStderr", J_BOOL },
	{ "Tty", J_BOOL },	    { "OpenStdin", J_BOOL },   { "StdinOnce", J_BOOL },
	{ "Env", J_STRS },	    { "Cmd", J_CMD },	       { "Entrypoint", J_CMD },
	{ "Image", J_STR },	    { "WorkingDir", J_STR },   { "Labels", J_OBJ },
	{ "StopSignal", J_STR },  { "StopTimeout", J_INT },  { "ExposedPorts", J_OBJ },
	{ "Volumes", J_OBJ },	    { "HostConfig", J_OBJ },   { "NetworkingConfig", J_OBJ },
};

static const struct field host_fields[] = {
	{ "Memory", J_INT },	       { "MemorySwap", J_INT },	   { "MemoryReservation", J_INT },
	{ "NanoCpus", J_INT },	       { "CpuShares", J_INT },	   { "CpuPeriod", J_INT },
	{ "CpuQuota", J_INT },	       { "CpuRealtimePeriod", J_INT }, { "CpuRealtimeRuntime", J_INT },
	{ "ShmSize", J_INT },	       { "PidsLimit", J_INT },	   { "OomScoreAdj", J_INT },
	{ "BlkioWeight", J_INT },      { "MemorySwappiness", J_INT }, { "CpusetCpus", J_STR },
	{ "CpusetMems", J_STR },       { "NetworkMode", J_STR },	   { "PidMode", J_STR },
	{ "IpcMode", J_STR },	       { "UTSMode", J_STR },	   { "CgroupParent", J_STR },
	{ "Privileged", J_BOOL },      { "ReadonlyRootfs", J_BOOL }, { "AutoRemove", J_BOOL },
	{ "Init", J_BOOL },	       { "PublishAllPorts", J_BOOL }, { "OomKillDisable", J_BOOL },
	{ "CapAdd", J_STRS },	       { "CapDrop", J_STRS },	   { "ExtraHosts", J_STRS },
	{ "Dns", J_STRS },	       { "DnsSearch", J_STRS },	   { "DnsOptions", J_STRS },
	{ "SecurityOpt", J_STRS },     { "GroupAdd", J_STRS },	   { "Binds", J_STRS },
	{ "Tmpfs", J_OBJ },	       { "Sysctls", J_OBJ },	   { "LogConfig", J_OBJ },
	{ "RestartPolicy", J_OBJ },    { "PortBindings", J_OBJ },
};

/* Types of the fields berth reads, as docker's JSON decoding would refuse
 * them, and nothing that could break the files it writes. */
int berth_container_check_types(const json_t *body, berth_error_t *err)
{
	const json_t *hc = json_object_get(body, "HostConfig"), *it;
	size_t i;

	if (check_fields(body, "", config_fields, BERTH_ARRAY_SIZE(config_fields), err) < 0 ||
	    check_fields(hc, "HostConfig.", host_fields, BERTH_ARRAY_SIZE(host_fields), err) < 0)
		return -1;
	if (!printable(json_string_value(json_object_get(body, "Hostname"))) ||
	    !printable(json_string_value(json_object_get(body, "Domainname"))))
		return berth_make_error(err, EINVAL, "invalid hostname: control characters");
	json_array_foreach (json_object_get(hc, "ExtraHosts"), i, it) {
		const char *h = json_string_value(it);
		if (!printable(h) || strchr(h, ' ') || strchr(h, '\t') || !strchr(h, ':'))
			return berth_make_error(err, EINVAL, "invalid argument \"%.256s\" for "
							     "\"--add-host\" flag: bad format",
						h);
	}
	json_array_foreach (json_object_get(hc, "Dns"), i, it)
		if (!printable(json_string_value(it)) || strchr(json_string_value(it), ' '))
			return berth_make_error(err, EINVAL, "invalid DNS server: %.256s",
						json_string_value(it));
	return 0;
}

/* What berth cannot do yet is refused clearly, never ignored. */
static int check_request(const json_t *body, const json_t *hc, berth_error_t *err)
{
	static const char *const nets[] = { "default", "bridge", "none", "host", NULL };
	static const char *const policies[] = { "no", "always", "on-failure", "unless-stopped",
						NULL };
	const json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
	const char *policy = json_string_value(json_object_get(rp, "Name"));
	const char *log_type =
	    json_string_value(json_object_get(json_object_get(hc, "LogConfig"), "Type"));
	json_int_t max_retry = json_integer_value(json_object_get(rp, "MaximumRetryCount"));

	if (!json_is_object(body))
		return berth_make_error(err, EINVAL, "config cannot be empty in order to create a container");
	(void)net;
	(void)nets;
	if (policy && !str_in(policy, policies))
		return berth_make_error(err, EINVAL, "invalid restart policy '%s'", policy);
	if (max_retry < 0)
		return berth_make_error(err, EINVAL, "invalid restart policy: maximum retry count cannot be negative");
	if (max_retry > 0 && policy && strcmp(policy, "on-failure") != 0)
		return berth_make_error(err, EINVAL,
					"invalid restart policy: maximum retry count can only be "
					"used with 'on-failure'");
	if (json_is_true(json_object_get(hc, "AutoRemove")) && policy && strcmp(policy, "no") != 0)
		return berth_make_error(err, EINVAL,
					"can't create 'AutoRemove' container with restart policy");
	if (log_type && strcmp(log_type, "json-file") != 0 && strcmp(log_type, "none") != 0)
		return berth_make_error(err, ENOSYS,
					"log driver \"%s\" is not implemented: berth has json-file "
					"and none",
					log_type);
	return 0;
}

/* docker keeps a merged Config: the request over the image's. */
static json_t *merged_config(const struct container *c)
{
	static const char *const empty_strings[] = { "Domainname", "User", "WorkingDir" };
	static const char *const false_bools[] = { "AttachStdin", "AttachStdout", "AttachStderr",
						   "Tty",	  "OpenStdin",	  "StdinOnce" };
	const json_t *img = c->image_config, *req = c->request;
	json_t *cfg = json_object(), *labels = json_object(), *v;
	const char *keys[] = { "Hostname", "Domainname", "User",	 "AttachStdin",
			       "AttachStdout", "AttachStderr", "Tty",	 "OpenStdin",
			       "StdinOnce",	 "WorkingDir",	 "StopSignal", "StopTimeout",
			       "Healthcheck",	 "ArgsEscaped",	 "OnBuild",	 "Shell",
			       "NetworkDisabled", "MacAddress" };
	const char *k;
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(keys); i++) {
		v = json_object_get(req, keys[i]);
		if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
			json_object_set(cfg, keys[i], v);
		else if ((v = json_object_get(img, keys[i])) && !json_is_null(v))
			json_object_set(cfg, keys[i], v);
	}
	if (json_string_length(json_object_get(cfg, "Hostname")) == 0) {
		const char *net = json_string_value(
		    json_object_get(json_object_get(req, "HostConfig"), "NetworkMode"));
		struct utsname u;
		/* --network host: the host's name, as docker */
		if (net && strcmp(net, "host") == 0 && uname(&u) == 0)
			json_object_set_new(cfg, "Hostname", json_string(u.nodename));
		else
			json_object_set_new(cfg, "Hostname", json_stringn(c->id, 12));
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(empty_strings); i++)
		if (!json_object_get(cfg, empty_strings[i]))
			json_object_set_new(cfg, empty_strings[i], json_string(""));
	for (i = 0; i < BERTH_ARRAY_SIZE(false_bools); i++)
		if (!json_object_get(cfg, false_bools[i]))
			json_object_set_new(cfg, false_bools[i], json_false());
	json_object_set_new(cfg, "Env", berth_oci_env(img, req, NULL));
	/* Entrypoint + Cmd as docker: a request Entrypoint drops the image's Cmd */
	v = json_object_get(req, "Entrypoint");
	if (json_array_size(v) > 0 || json_is_string(v)) {
		json_object_set_new(cfg, "Entrypoint",
				    json_is_string(v) ? json_pack("[O]", v) : json_incref(v));
		json_object_set(cfg, "Cmd", json_array_size(json_object_get(req, "Cmd")) > 0
						? json_object_get(req, "Cmd")
						: json_null());
	} else {
		json_t *ep = json_object_get(img, "Entrypoint");
		json_t *cmd = json_object_get(req, "Cmd");
		json_object_set(cfg, "Entrypoint", json_is_array(ep) ? ep : json_null());
		json_object_set(cfg, "Cmd", json_array_size(cmd) > 0 ? cmd
					    : json_is_array(json_object_get(img, "Cmd"))
						? json_object_get(img, "Cmd")
						: json_null());
	}
	json_object_set_new(cfg, "Image", json_string(c->image_name));
	v = json_object_get(req, "Volumes");
	if (!json_is_object(v))
		v = json_object_get(img, "Volumes");
	json_object_set(cfg, "Volumes", json_is_object(v) ? v : json_null());
	json_object_update(labels, json_object_get(img, "Labels"));
	json_object_update(labels, json_object_get(req, "Labels"));
	json_object_set_new(cfg, "Labels", labels);
	v = json_object_get(req, "ExposedPorts");
	if (json_is_object(json_object_get(img, "ExposedPorts")) || json_is_object(v)) {
		json_t *ports = json_object();
		json_object_update(ports, json_object_get(img, "ExposedPorts"));
		json_object_update(ports, v);
		json_object_set_new(cfg, "ExposedPorts", ports);
	}
	if (!json_object_get(cfg, "OnBuild"))
		json_object_set_new(cfg, "OnBuild", json_null());
	json_object_foreach ((json_t *)json_object_get(cfg, "Labels"), k, v)
		if (!json_is_string(v))
			json_object_set_new(json_object_get(cfg, "Labels"), k, json_string(""));
	return cfg;
}

json_t *berth_engine_container_create(struct berth_engine *e, const char *name, const json_t *body,
				      berth_error_t *err)
{
	cleanup_free char *slash_name = NULL, *image_id = NULL;
	json_t *image_cfg = NULL, *layers = NULL, *args, *warnings = json_array(), *req, *cfg;
	json_t *mounts = NULL;
	const char *image = json_string_value(json_object_get(body, "Image"));
	struct container *c;
	int ret;

	if (!json_is_object(body) || image == NULL || *image == '\0') {
		json_decref(warnings);
		berth_make_error(err, EINVAL, "config cannot be empty in order to create a container");
		return NULL;
	}
	if (berth_container_check_types(body, err) < 0 ||
	    (name && *name && check_new_name(e, name, &slash_name, err) < 0))
		goto fail;
	req = json_deep_copy(body);
	json_object_set_new(req, "HostConfig",
			    host_config_defaults(json_object_get(body, "HostConfig")));
	if (check_request(body, json_object_get(req, "HostConfig"), err) < 0) {
		json_decref(req);
		goto fail;
	}
	if (berth_engine_image_for_container(e, image, &image_id, &image_cfg, &layers, err) < 0 ||
	    net_check_request(e, req, err) < 0) {
		json_decref(req);
		goto fail;
	}
	/* the command must exist now (docker refuses at create too) */
	args = berth_oci_args(json_object_get(image_cfg, "config"), req, err);
	if (args == NULL) {
		json_decref(req);
		goto fail;
	}
	json_decref(args);
	if (json_integer_value(json_object_get(json_object_get(req, "HostConfig"), "Memory")) > 0 &&
	    json_integer_value(json_object_get(json_object_get(req, "HostConfig"), "Memory")) <
		6 * 1024 * 1024) {
		json_decref(req);
		berth_make_error(err, EINVAL,
				 "Minimum memory limit allowed is 6MB");
		goto fail;
	}
	/* last of the checks: it makes the volumes the mounts name */
	if (vol_resolve_mounts(e, req, json_object_get(image_cfg, "config"), &mounts, err) < 0) {
		json_decref(req);
		goto fail;
	}

	c = xzalloc(sizeof(*c));
	cont_random_id(c->id);
	c->dir = xasprintf("%s/%s", e->containers_dir, c->id);
	c->rtdir = xasprintf("%s/%s", e->rt_containers_dir, c->id);
	c->monitor_pidfd = -1;
	c->mntns_fd = -1;
	c->name = slash_name ? steal_pointer(&slash_name) : random_name(e);
	c->created_ns = berth_time_now_ns();
	c->image_id = steal_pointer(&image_id);
	c->image_name = xstrdup(image);
	c->request = req;
	c->image_config = json_incref(json_object_get(image_cfg, "config"));
	if (json_is_null(c->image_config) || c->image_config == NULL) {
		json_decref(c->image_config);
		c->image_config = NULL;
	}
	c->layers = steal_pointer(&layers);
	c->mounts = steal_pointer(&mounts);
	c->status = CS_CREATED;
	/* the merged Config is what later reads (inspect, start) use */
	cfg = merged_config(c);
	json_object_set_new(cfg, "HostConfig", json_incref(json_object_get(req, "HostConfig")));
	json_object_set(cfg, "NetworkingConfig", json_object_get(req, "NetworkingConfig"));
	json_decref(c->request);
	c->request = cfg;

	ret = berth_fs_mkdir_p(c->dir, 0710, err);
	if (ret == 0) {
		cleanup_free char *upper = cont_path(c, "upper"), *work = cont_path(c, "work"),
				  *rootfs = cont_path(c, "rootfs");
		ret = berth_fs_mkdir_p(upper, 0755, err);
		if (ret == 0)
			ret = berth_fs_mkdir_p(work, 0700, err);
		if (ret == 0)
			ret = berth_fs_mkdir_p(rootfs, 0755, err);
	}
	if (ret == 0)
		ret = cont_rt_mkdir(c, err);
	if (ret == 0)
		ret = cont_save(e, c, err);
	if (ret < 0) {
		cleanup_close int dfd = open(e->containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_close int rfd = open(e->rt_containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)berth_fs_remove_at_raw(dfd, c->id);
		if (rfd >= 0)
			(void)berth_fs_remove_at_raw(rfd, c->id);
		vol_undo_new(e, c->mounts);
		cont_free(c);
		goto fail;
	}
	c->next = e->containers;
	e->containers = c;
	cont_event(e, c, "create", NULL);
	crun_prepare_later(e, c);
	json_decref(image_cfg);
	return json_pack("{s:s, s:o}", "Id", c->id, "Warnings", warnings);

fail:
	json_decref(image_cfg);
	json_decref(layers);
	json_decref(warnings);
	json_decref(mounts);
	return NULL;
}

/* --- inspect ------------------------------------------------------------------------------ */

static json_t *state_json(const struct container *c)
{
	bool running = c->status == CS_RUNNING || c->status == CS_PAUSED ||
		       c->status == CS_RESTARTING;

	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:o, s:o}", "Status",
			 cont_status_name(c->status), "Running", running, "Paused",
			 c->status == CS_PAUSED, "Restarting", c->status == CS_RESTARTING,
			 "OOMKilled", c->oom_killed, "Dead", c->status == CS_DEAD, "Pid",
			 running ? (int)c->pid : 0, "ExitCode", c->exit_code, "Error",
			 c->error ? c->error : "", "StartedAt", time_json(c->started_ns),
			 "FinishedAt", time_json(c->finished_ns));
}

static json_t *config_json(const struct container *c)
{
	json_t *cfg = json_deep_copy(c->request);

	json_object_del(cfg, "HostConfig");
	json_object_del(cfg, "NetworkingConfig");
	return cfg;
}

static const char *net_mode(const struct container *c)
{
	const char *m = json_string_value(json_object_get(cont_hc(c), "NetworkMode"));

	return m && *m ? m : "default";
}


static json_t *network_settings(struct berth_engine *e, const struct container *c)
{
	const json_t *ep = net_primary(c);
	cleanup_free char *sandbox =
	    ep ? xasprintf("%s/netns/%s", e->cfg.exec_root, c->id) : xstrdup("");
	const char *s_ip = json_string_value(json_object_get(ep, "IPAddress"));
	const char *s_gw = json_string_value(json_object_get(ep, "Gateway"));
	const char *s_mac = json_string_value(json_object_get(ep, "MacAddress"));
	const char *s_ep = json_string_value(json_object_get(ep, "EndpointID"));
	const char *key;
	json_t *v;
	bool default_bridge = false;

	json_object_foreach (json_object_get(c->net, "Networks"), key, v)
		default_bridge = default_bridge || strcmp(key, "bridge") == 0;
	/* the top-level fields are the default bridge's (docker's legacy) */
	if (!default_bridge)
		s_ip = s_gw = s_mac = s_ep = NULL;
	return json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:i, s:n, s:n, s:s, s:s, s:s, s:i, s:s, "
			 "s:i, s:s, s:s, s:o}",
			 "Bridge", "", "SandboxID", ep ? c->id : "", "SandboxKey", sandbox,
			 "Ports", net_ports_view(c), "HairpinMode", 0, "LinkLocalIPv6Address", "",
			 "LinkLocalIPv6PrefixLen", 0, "SecondaryIPAddresses",
			 "SecondaryIPv6Addresses", "EndpointID", s_ep ? s_ep : "", "Gateway",
			 s_gw ? s_gw : "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
			 "IPAddress", s_ip ? s_ip : "", "IPPrefixLen",
			 s_ip ? (int)json_integer_value(json_object_get(ep, "IPPrefixLen")) : 0,
			 "IPv6Gateway", "", "MacAddress", s_mac ? s_mac : "", "Networks",
			 net_networks_view(e, c));
}

static json_t *graph_driver(struct berth_engine *e, const struct container *c)
{
	struct berth_strbuf lower = BERTH_STRBUF_INIT;
	size_t i = json_array_size(c->layers);
	json_t *j;

	while (i-- > 0) {
		const char *chain = json_string_value(json_array_get(c->layers, i));
		const char *hex = chain && strncmp(chain, "sha256:", 7) == 0 ? chain + 7 : chain;
		berth_strbuf_printf(&lower, "%s%s/%s/diff", lower.len ? ":" : "", e->layers_dir,
				    hex ? hex : "");
	}
	j = json_pack("{s:{s:s, s:o, s:o, s:o}, s:s}", "Data", "LowerDir",
		      lower.buf ? lower.buf : "", "MergedDir", json_pack("s++", c->dir, "/", "rootfs"),
		      "UpperDir", json_pack("s++", c->dir, "/", "upper"), "WorkDir",
		      json_pack("s++", c->dir, "/", "work"), "Name", "overlay2");
	berth_strbuf_release(&lower);
	return j;
}

/* SizeRw (the upper dir) and SizeRootFs (it plus the image's layers) */
static void add_sizes(struct berth_engine *e, const struct container *c, json_t *j)
{
	cleanup_free char *upper = cont_path(c, "upper");
	int64_t rw = berth_fs_usage(upper, NULL), total;
	size_t i;

	rw = rw > 0 ? rw : 0;
	total = rw;
	for (i = 0; i < json_array_size(c->layers); i++) {
		int64_t sz = berth_layer_size(e->layers_dir,
					      json_string_value(json_array_get(c->layers, i)), NULL);
		total += sz > 0 ? sz : 0;
	}
	json_object_set_new(j, "SizeRw", json_integer(rw));
	json_object_set_new(j, "SizeRootFs", json_integer(total));
}

static json_t *path_json(const struct container *c, const char *file)
{
	return json_pack("s++", c->rtdir, "/", file);
}

json_t *berth_engine_container_inspect(struct berth_engine *e, const char *name, bool size,
				       int api_version, berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	json_t *args, *j, *cmd;
	cleanup_free char *log = NULL;
	char created[64];

	(void)api_version;
	if (c == NULL)
		return NULL;
	cmd = berth_oci_args(c->image_config, c->request, NULL);
	if (cmd == NULL)
		cmd = json_array();
	args = json_array();
	if (json_array_size(cmd) > 1)
		json_array_extend(args, cmd);
	if (json_array_size(args) > 0)
		json_array_remove(args, 0);
	log = xasprintf("%s/%s-json.log", c->dir, c->id);
	j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:s, s:i, s:s, s:s, s:s, "
		      "s:s, s:s, s:o, s:O, s:o, s:o, s:o, s:o}",
		      "Id", c->id, "Created",
		      berth_time_format_rfc3339nano(c->created_ns, created, sizeof(created)), "Path",
		      json_array_size(cmd) ? json_string_value(json_array_get(cmd, 0)) : "", "Args",
		      args, "State", state_json(c), "Image", c->image_id, "ResolvConfPath",
		      path_json(c, "resolv.conf"), "HostnamePath", path_json(c, "hostname"),
		      "HostsPath", path_json(c, "hosts"), "LogPath", log, "Name", c->name,
		      "RestartCount", c->restart_count, "Driver", "overlay2", "Platform", "linux",
		      "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs",
		      cexec_ids(e, c), "HostConfig", cont_hc(c), "GraphDriver", graph_driver(e, c), "Mounts",
		      vol_mounts_view(c), "Config", config_json(c), "NetworkSettings", network_settings(e, c));
	json_decref(cmd);
	if (size)
		add_sizes(e, c, j);
	return j;
}

/* --- list --------------------------------------------------------------------------------- */

static char *status_text(const struct container *c)
{
	int64_t now = berth_time_now_ns();
	char d[64];

	switch (c->status) {
	case CS_CREATED:
		return xstrdup("Created");
	case CS_RUNNING:
		return xasprintf("Up %s",
				 berth_time_human_duration(now - c->started_ns, d, sizeof(d)));
	case CS_PAUSED:
		return xasprintf("Up %s (Paused)",
				 berth_time_human_duration(now - c->started_ns, d, sizeof(d)));
	case CS_RESTARTING:
		return xasprintf("Restarting (%d) %s ago", c->exit_code,
				 berth_time_human_duration(now - c->finished_ns, d, sizeof(d)));
	case CS_REMOVING:
		return xstrdup("Removal In Progress");
	case CS_DEAD:
		return xstrdup("Dead");
	case CS_EXITED:
		break;
	}
	if (c->finished_ns <= 0)
		return xstrdup("Created");
	return xasprintf("Exited (%d) %s ago", c->exit_code,
			 berth_time_human_duration(now - c->finished_ns, d, sizeof(d)));
}

/* docker's Command column: the args joined by spaces. */
static char *command_text(const struct container *c)
{
	json_t *args = berth_oci_args(c->image_config, c->request, NULL), *it;
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	size_t i;
	char *out;

	json_array_foreach (args, i, it)
		berth_strbuf_printf(&b, "%s%s", i ? " " : "", json_string_value(it));
	json_decref(args);
	out = xstrdup(b.buf ? b.buf : "");
	berth_strbuf_release(&b);
	return out;
}

static json_t *summary(struct berth_engine *e, const struct container *c, bool size)
{
	cleanup_free char *st = status_text(c), *cmd = command_text(c);
	json_t *nets = net_networks_view(e, c), *j;
	const char *m = net_mode(c);

	j = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:o, s:O, s:s, s:s, s:{s:s}, s:{s:o}, "
		      "s:o}",
		      "Id", c->id, "Names", c->name, "Image", c->image_name, "ImageID", c->image_id,
		      "Command", cmd, "Created", (json_int_t)(c->created_ns / 1000000000LL),
		      "Ports", net_ports_summary(c), "Labels", json_object_get(c->request, "Labels"), "State",
		      cont_status_name(c->status), "Status", st, "HostConfig", "NetworkMode", m,
		      "NetworkSettings", "Networks", nets, "Mounts", vol_mounts_view(c));
	if (size)
		add_sizes(e, c, j);
	return j;
}

static const char *const list_filters[] = { "ancestor", "before", "expose", "exited", "health",
					    "id",	"isolation", "is-task", "label", "name",
					    "network",	"publish", "since", "status", "volume", NULL };

static bool ancestor_match(struct berth_engine *e, const struct container *c,
			   const struct berth_filters *f)
{
	size_t i, n = berth_filters_count(f, "ancestor");

	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		const char *v = berth_filters_value(f, "ancestor", i);
		cleanup_free char *id = NULL;
		json_t *cfg = NULL, *layers = NULL;
		if (strcmp(v, c->image_name) == 0)
			return true;
		if (berth_engine_image_for_container(e, v, &id, &cfg, &layers, NULL) == 0) {
			bool same = strcmp(id, c->image_id) == 0;
			json_decref(cfg);
			json_decref(layers);
			if (same)
				return true;
		}
	}
	return false;
}

/* docker matches the name filter as a regular expression against "/name" */
static bool name_match(const struct berth_filters *f, const char *slash_name)
{
	size_t i, n = berth_filters_count(f, "name");

	for (i = 0; i < n; i++) {
		regex_t re;
		bool hit;
		if (regcomp(&re, berth_filters_value(f, "name", i), REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		hit = regexec(&re, slash_name, 0, NULL, 0) == 0;
		regfree(&re);
		if (hit)
			return true;
	}
	return false;
}

/* A value of the publish or expose filter ("80", "80/udp", "8000-8080")
 * names PORT of TYPE. */
static bool port_value_match(const char *v, long port, const char *type)
{
	const char *slash = strchr(v, '/');
	char *end;
	long lo, hi;

	lo = hi = strtol(v, &end, 10);
	if (*end == '-')
		hi = strtol(end + 1, &end, 10);
	if (end == v || (*end && *end != '/') || lo < 1 || hi > 65535 || hi < lo)
		return false;
	return port >= lo && port <= hi && strcmp(slash ? slash + 1 : "tcp", type) == 0;
}

/* ps -f publish= / expose=: as docker, against the ports a running C
 * publishes (host side) or exposes (container side). */
static bool ports_match(const struct container *c, const struct berth_filters *f)
{
	json_t *ports = net_ports_summary(c), *p;
	bool hit = false;
	size_t i, k;

	json_array_foreach (ports, i, p) {
		const char *type = json_string_value(json_object_get(p, "Type")) ?: "tcp";
		long pub = (long)json_integer_value(json_object_get(p, "PublicPort"));
		long priv = (long)json_integer_value(json_object_get(p, "PrivatePort"));
		for (k = 0; !hit && k < berth_filters_count(f, "publish"); k++)
			hit = pub > 0 && port_value_match(berth_filters_value(f, "publish", k), pub, type);
		for (k = 0; !hit && k < berth_filters_count(f, "expose"); k++)
			hit = port_value_match(berth_filters_value(f, "expose", k), priv, type);
	}
	json_decref(ports);
	return hit;
}

static bool filter_match(struct berth_engine *e, const struct container *c,
			 const struct berth_filters *f, int64_t before_ns, int64_t since_ns)
{
	char code[16];

	if (berth_filters_count(f, "id") > 0 && !berth_filters_fuzzy_match(f, "id", c->id))
		return false;
	if (berth_filters_count(f, "name") > 0 && !name_match(f, c->name))
		return false;
	if (berth_filters_count(f, "status") > 0 &&
	    !berth_filters_match(f, "status", cont_status_name(c->status)))
		return false;
	snprintf(code, sizeof(code), "%d", c->exit_code);
	if (berth_filters_count(f, "exited") > 0 &&
	    (c->status != CS_EXITED || !berth_filters_match(f, "exited", code)))
		return false;
	if (!berth_filters_match_labels(f, "label", json_object_get(c->request, "Labels")))
		return false;
	if (!ancestor_match(e, c, f))
		return false;
	if (before_ns && c->created_ns >= before_ns)
		return false;
	if (since_ns && c->created_ns <= since_ns)
		return false;
	if (berth_filters_count(f, "network") > 0 &&
	    !berth_filters_match(f, "network", strcmp(net_mode(c), "default") == 0 ? "bridge"
										 : net_mode(c)))
		return false;
	if (berth_filters_count(f, "volume") > 0) {
		size_t i, n = berth_filters_count(f, "volume");
		bool hit = false;
		for (i = 0; i < n && !hit; i++)
			hit = vol_container_mounts(c, berth_filters_value(f, "volume", i));
		if (!hit)
			return false;
	}
	if ((berth_filters_count(f, "publish") > 0 || berth_filters_count(f, "expose") > 0) &&
	    !ports_match(c, f))
		return false;
	if (berth_filters_count(f, "health") > 0)
		return false; /* nothing has health checks yet */
	if (berth_filters_count(f, "is-task") > 0 && !berth_filters_match(f, "is-task", "false"))
		return false;
	return true;
}

static int filter_time(struct berth_engine *e, const struct berth_filters *f, const char *key,
		       int64_t *out, berth_error_t *err)
{
	struct container *c;

	*out = 0;
	if (berth_filters_count(f, key) == 0)
		return 0;
	c = cont_find(e, berth_filters_value(f, key, 0), err);
	if (c == NULL)
		return -1;
	*out = c->created_ns;
	return 0;
}

json_t *berth_engine_containers_list(struct berth_engine *e, const struct berth_filters *f,
				     bool all, int limit, bool size, int api_version,
				     berth_error_t *err)
{
	json_t *out;
	struct container *c;
	int64_t before = 0, since = 0;
	int n = 0;

	(void)api_version;
	if (f && berth_filters_validate(f, list_filters, err) < 0)
		return NULL;
	if (f && (filter_time(e, f, "before", &before, err) < 0 ||
		  filter_time(e, f, "since", &since, err) < 0))
		return NULL;
	if (f && berth_filters_count(f, "status") > 0) {
		static const char *const st[] = { "created", "running", "paused", "restarting",
						  "removing", "exited",	 "dead" };
		size_t i, k;
		for (i = 0; i < berth_filters_count(f, "status"); i++) {
			const char *v = berth_filters_value(f, "status", i);
			bool ok = false;
			for (k = 0; k < BERTH_ARRAY_SIZE(st); k++)
				ok = ok || strcmp(v, st[k]) == 0;
			if (!ok) {
				berth_make_error(err, EINVAL, "invalid filter 'status=%s'", v);
				return NULL;
			}
		}
		all = true;
	}
	if (f && berth_filters_count(f, "exited") > 0)
		all = true;
	if (limit > 0 || before || since)
		all = true;
	out = json_array();
	for (c = e->containers; c; c = c->next) {
		if (!all && c->status != CS_RUNNING && c->status != CS_PAUSED &&
		    c->status != CS_RESTARTING)
			continue;
		if (f && !filter_match(e, c, f, before, since))
			continue;
		if (limit > 0 && n >= limit)
			break;
		json_array_append_new(out, summary(e, c, size));
		n++;
	}
	return out;
}

void berth_engine_containers_count(struct berth_engine *e, int *total, int *running, int *paused,
				   int *stopped)
{
	struct container *c;

	*total = *running = *paused = *stopped = 0;
	for (c = e->containers; c; c = c->next) {
		(*total)++;
		if (c->status == CS_RUNNING || c->status == CS_RESTARTING)
			(*running)++;
		else if (c->status == CS_PAUSED)
			(*paused)++;
		else
			(*stopped)++;
	}
}

int berth_engine_image_containers(struct berth_engine *e, const char *image_id)
{
	struct container *c;
	int n = 0;

	for (c = e->containers; c; c = c->next)
		n += strcmp(c->image_id, image_id) == 0;
	return n;
}

const char *berth_engine_image_user(struct berth_engine *e, const char *image_id, bool running)
{
	struct container *c;

	for (c = e->containers; c; c = c->next)
		if (strcmp(c->image_id, image_id) == 0 && crun_running(c) == running)
			return c->id;
	return NULL;
}

/* --- rename ------------------------------------------------------------------------------- */

int berth_engine_container_rename(struct berth_engine *e, const char *name, const char *new_name,
				  berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);
	cleanup_free char *n = NULL, *old = NULL;

	if (c == NULL)
		return -1;
	if (new_name == NULL || *new_name == '\0')
		return berth_make_error(err, EINVAL, "Neither old nor new names may be empty");
	if (strcmp(new_name[0] == '/' ? new_name + 1 : new_name, c->name + 1) == 0)
		return berth_make_error(err, EINVAL,
					"Renaming a container with the same name as its current "
					"name");
	if (check_new_name(e, new_name, &n, err) < 0)
		return -1;
	old = c->name;
	c->name = steal_pointer(&n);
	net_renamed(c, old);
	if (cont_save(e, c, err) < 0) {
		n = c->name;
		c->name = steal_pointer(&old);
		net_renamed(c, n);
		return -1;
	}
	cont_event(e, c, "rename", json_pack("{s:s}", "oldName", old));
	return 0;
}

/* --- remove ------------------------------------------------------------------------------- */

/* A removed container's files (moved to tmp/) and what else it leaves. */
struct removal {
	char *path;
	char *rtdir;
	struct crun_leftovers *left; /* its rootfs perhaps still mounted */
};

static void *remove_thread(void *data)
{
	struct removal *r = data;
	char *path = r->path;
	berth_error_t err = NULL;

	crun_leftovers_undo(r->left);
	if (berth_fs_remove_tree_contents(r->rtdir, &err) < 0 || rmdir(r->rtdir) < 0) {
		if (errno != ENOENT && berth_error_code(err) != ENOENT)
			berth_log_warn("removing %s: %s", r->rtdir, err ? err->msg : strerror(errno));
		berth_error_release(&err);
	}
	free(r->rtdir);
	free(r);
	if (berth_fs_remove_tree_contents(path, &err) < 0 || rmdir(path) < 0) {
		berth_log_warn("removing %s: %s", path, err ? err->msg : strerror(errno));
		berth_error_release(&err);
	}
	free(path);
	return NULL;
}

/* Deletes the tree at PATH (stolen), after C's leftovers, on a detached
 * thread. */
static void remove_later(struct berth_engine *e, struct container *c, char *path)
{
	struct removal *r = xzalloc(sizeof(*r));
	pthread_attr_t attr;
	pthread_t t;

	r->path = path;
	r->rtdir = xstrdup(c->rtdir);
	r->left = crun_leftovers_new(e, c, xasprintf("%s/rootfs", path));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, remove_thread, r) != 0)
		remove_thread(r);
	pthread_attr_destroy(&attr);
}

int cont_destroy(struct berth_engine *e, struct container *c, berth_error_t *err)
{
	struct container **pp;
	sqlite3_stmt *st = NULL;
	cleanup_close int dfd = -1;
	int rc;

	if (c->fs_users > 0)
		return berth_make_error(err, EBUSY,
					"container %s: a copy or export is in progress, try again when "
					"it ends",
					c->id);
	crun_unprepare(e, c);
	crun_cleanup_wait(c);
	st = berth_db_prepare(e->db, "DELETE FROM containers WHERE id = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	berth_db_finish(e->db, st);
	if (rc != SQLITE_DONE)
		return berth_make_error(err, EIO, "state store: %s", sqlite3_errmsg(dbh(e)));
	/* the row is gone first: a crash now leaves files that the next start
	 * removes. The directory moves to tmp/ (cleared at start) at once, its
	 * rootfs mounted or not, and a thread unmounts and deletes it: `docker
	 * run --rm` waits for the removal */
	{
		cleanup_free char *trash = xasprintf("%s/tmp/rm-%s", e->cfg.data_root, c->id);
		if (rename(c->dir, trash) == 0) {
			c->mounted = false;
			remove_later(e, c, steal_pointer(&trash));
		} else {
			if (c->mounted)
				(void)crun_unmount(e, c);
			crun_leftovers_undo(crun_leftovers_new(e, c, NULL));
			dfd = open(e->containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0 && berth_fs_remove_at_raw(dfd, c->id) < 0)
				berth_log_warn("container %s: removing its files: %s", c->id,
					       strerror(errno));
			close(steal_fd(&dfd));
			dfd = open(e->rt_containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0 && berth_fs_remove_at_raw(dfd, c->id) < 0 && errno != ENOENT)
				berth_log_warn("container %s: removing its runtime files: %s",
					       c->id, strerror(errno));
		}
	}
	for (pp = &e->containers; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	cont_event(e, c, "destroy", NULL);
	/* as docker: rm -v and --rm take the anonymous volumes along */
	vol_container_removed(e, c,
			      c->remove_volumes ||
				  json_is_true(json_object_get(cont_hc(c), "AutoRemove")));
	cexec_container_gone(e, c);
	crun_wake_waiters(e, c, true);
	cio_release(e, c);
	crun_release(e, c);
	cont_free(c);
	return 0;
}

int berth_engine_container_remove(struct berth_engine *e, const char *name, bool force,
				  bool volumes, berth_container_done_cb done, void *data,
				  berth_error_t *err)
{
	struct container *c = cont_find(e, name, err);

	if (c == NULL)
		return -1;
	if (c->status == CS_REMOVING || c->removing)
		return berth_make_error(err, EBUSY,
					"removal of container %s is already in progress", name);
	if (crun_running(c)) {
		if (!force)
			return berth_make_error(
			    err, EBUSY,
			    "cannot remove container \"%s\": container is %s: stop the container "
			    "before removing or force remove",
			    c->name, c->status == CS_PAUSED ? "paused" : "running");
		/* force: SIGKILL; the removal happens when the exit is seen */
		c->remove_volumes = volumes;
		return crun_kill_remove(e, c, done, data, err);
	}
	c->remove_volumes = volumes;
	return cont_destroy(e, c, err);
}

json_t *berth_engine_containers_prune(struct berth_engine *e, const struct berth_filters *f,
				      berth_error_t *err)
{
	static const char *const allowed[] = { "until", "label", "label!", NULL };
	json_t *deleted = json_array();
	struct container *c, *next;
	int64_t until = 0, reclaimed = 0;

	if (f && berth_filters_validate(f, allowed, err) < 0) {
		json_decref(deleted);
		return NULL;
	}
	if (f && berth_filters_count(f, "until") > 0 &&
	    berth_time_parse_timestamp(berth_filters_value(f, "until", 0), berth_time_now_ns(),
				       &until, err) < 0) {
		json_decref(deleted);
		return NULL;
	}
	for (c = e->containers; c; c = next) {
		cleanup_free char *upper = NULL;
		char id[65];
		int64_t sz;
		next = c->next;
		if (crun_running(c) || c->removing)
			continue;
		if (until && c->created_ns >= until)
			continue;
		if (f && !berth_filters_match_labels(f, "label", json_object_get(c->request, "Labels")))
			continue;
		if (f && berth_filters_count(f, "label!") > 0 &&
		    berth_filters_match_labels(f, "label!", json_object_get(c->request, "Labels")))
			continue;
		upper = cont_path(c, "upper");
		sz = berth_fs_usage(upper, NULL);
		memcpy(id, c->id, sizeof(id));
		if (cont_destroy(e, c, NULL) == 0) {
			json_array_append_new(deleted, json_string(id));
			reclaimed += sz > 0 ? sz : 0;
		}
	}
	{
		char r[32];
		snprintf(r, sizeof(r), "%" PRId64, reclaimed);
		berth_events_publish(e->events, "container", "prune", "",
				     json_pack("{s:s}", "reclaimed", r));
	}
	return json_pack("{s:o, s:I}", "ContainersDeleted",
			 json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
			 "SpaceReclaimed", (json_int_t)reclaimed);
}
