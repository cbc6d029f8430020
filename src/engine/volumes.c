/* volumes.c: see volumes.h and volume_internal.h.
 *
 * Crash safety: a volume's directory is made before its row and removed
 * after it (moved to tmp/, which is cleared at start), so a kill -9 leaves
 * at worst a directory without a row, which the next start removes, or a
 * row whose directory is gone, which it makes again. A directory is never
 * removed while anything is mounted on its _data (a bind of a host
 * directory must not lose the host's files). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/container_internal.h"
#include "engine/engine_internal.h"
#include "engine/events.h"
#include "engine/mounts.h"
#include "engine/volume_internal.h"
#include "engine/volumes.h"

#define ANON_LABEL	   "com.docker.volume.anonymous"
#define MAX_VOLUMES	   65536
#define MAX_MOUNTS	   256 /* per container */
#define MAX_COPY_DEPTH	   512
#define MAX_XATTR_LIST	   65536
#define MAX_UMOUNTS	   64
#define POPULATE_DIR	   "_populate" /* beside _data: a fill in progress */

struct volume {
	struct volume *next;
	char *name;	  /* owned */
	json_t *labels;	  /* owned object, or NULL (shown as null) */
	json_t *options;  /* owned object, or NULL */
	int64_t created_ns;
	bool anonymous;
};

static char *vol_dir(struct berth_engine *e, const char *name)
{
	return xasprintf("%s/volumes/%s", e->cfg.data_root, name);
}

static char *vol_data(struct berth_engine *e, const char *name)
{
	return xasprintf("%s/volumes/%s/_data", e->cfg.data_root, name);
}

/* The link that points at the volume NAME (to find or unlink it), or
 * NULL. */
static struct volume **find_link(struct berth_engine *e, const char *name)
{
	struct volume **pp;

	for (pp = &e->volumes; name && *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			return pp;
	return NULL;
}

static struct volume *find(struct berth_engine *e, const char *name)
{
	struct volume **pp = find_link(e, name);

	return pp ? *pp : NULL;
}

static struct volume *vol_get(struct berth_engine *e, const char *name, berth_error_t *err)
{
	struct volume *v = find(e, name);

	if (v == NULL)
		berth_make_error(err, ENOENT, "get %s: no such volume", name ? name : "");
	return v;
}

static void vol_free(struct volume *v)
{
	if (v == NULL)
		return;
	free(v->name);
	json_decref(v->labels);
	json_decref(v->options);
	free(v);
}

/* --- the store ---------------------------------------------------------------------------- */

static int vol_save(struct berth_engine *e, const struct volume *v, berth_error_t *err)
{
	json_t *doc = json_pack("{s:s, s:O?, s:O?, s:I, s:b}", "Driver", "local", "Labels",
				v->labels, "Options", v->options, "Created",
				(json_int_t)v->created_ns, "Anonymous", v->anonymous);
	cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
	const char *args[] = { v->name, text };

	json_decref(doc);
	return berth_db_run(e->db, "INSERT OR REPLACE INTO volumes (name, doc) VALUES (?, ?)", args,
			    2, err);
}

static int vol_delete_row(struct berth_engine *e, const char *name, berth_error_t *err)
{
	return berth_db_run(e->db, "DELETE FROM volumes WHERE name = ?", &name, 1, err);
}

static json_t *object_or_null(json_t *v)
{
	return json_is_object(v) ? json_incref(v) : NULL;
}

static struct volume *vol_from_row(const char *name, const char *text)
{
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	struct volume *v;

	if (!json_is_object(doc) || !berth_volume_name_valid(name)) {
		json_decref(doc);
		return NULL;
	}
	v = xzalloc(sizeof(*v));
	v->name = xstrdup(name);
	v->labels = object_or_null(json_object_get(doc, "Labels"));
	v->options = object_or_null(json_object_get(doc, "Options"));
	v->created_ns = json_integer_value(json_object_get(doc, "Created"));
	v->anonymous = json_is_true(json_object_get(doc, "Anonymous"));
	json_decref(doc);
	return v;
}

/* --- mounts of _data ------------------------------------------------------------------------ */

/* Whether PATH is the root of a mount (a tmpfs or bind volume in use). */
static bool is_mount_root(const char *path)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
		return false;
	return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Unmounts whatever is stacked on PATH; false when something stays. */
static bool unmount_all(const char *path)
{
	int i;

	for (i = 0; i < MAX_UMOUNTS; i++)
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return errno == EINVAL || errno == ENOENT;
	return false;
}

/* Mounts what V's options ask for on its _data, unless done already. */
static int vol_activate(struct berth_engine *e, const struct volume *v, berth_error_t *err)
{
	cleanup_free char *data = vol_data(e, v->name), *src = NULL, *fstype = NULL,
			  *mdata = NULL;
	unsigned long flags = 0;

	if (!berth_volume_mount_args(v->options, &src, &fstype, &flags, &mdata))
		return 0;
	if (is_mount_root(data))
		return 0;
	/* a new bind takes none of ro, nosuid, nodev, noexec (mount(2)): they
	 * come with a remount of it, as moby's mount package does */
	if (mount(src, data, fstype, flags, mdata) < 0 ||
	    ((flags & MS_BIND) && (flags & ~(unsigned long)(MS_BIND | MS_REC)) &&
	     mount(NULL, data, NULL, (flags & ~(unsigned long)MS_REC) | MS_REMOUNT, NULL) < 0)) {
		int e2 = errno;
		if (flags & MS_BIND)
			(void)umount2(data, MNT_DETACH);
		/* EIO: a failed start is the daemon's 500, never a 404 or 409 */
		berth_make_error(err, EIO,
				 "error while mounting volume '%s': failed to mount local volume: "
				 "mount %s:%s, flags: %#lx, data: %s: %s",
				 data, src, data, flags, mdata ? mdata : "", strerror(e2));
		return -1;
	}
	return 0;
}

/* --- the API view -------------------------------------------------------------------------- */

/* Go's time.RFC3339 in local time: "2024-05-01T10:00:00+02:00" or "...Z". */
static void created_at(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000LL);
	struct tm tm;
	size_t n;
	long off;

	localtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
			 (off < 0 ? -off : off) / 3600, (off < 0 ? -off : off) / 60 % 60);
}

static json_t *vol_view(struct berth_engine *e, const struct volume *v)
{
	cleanup_free char *data = vol_data(e, v->name);
	char created[64];

	created_at(v->created_ns, created, sizeof(created));
	return json_pack("{s:s, s:s, s:O?, s:s, s:s, s:O?, s:s}", "CreatedAt", created, "Driver",
			 "local", "Labels", v->labels, "Mountpoint", data, "Name", v->name,
			 "Options", v->options, "Scope", "local");
}

/* The IDs of the containers that use the volume NAME, or NULL for none. */
static json_t *vol_refs(struct berth_engine *e, const char *name)
{
	json_t *ids = NULL, *m;
	struct container *c;
	size_t i;

	for (c = e->containers; c; c = c->next)
		json_array_foreach (c->mounts, i, m) {
			const char *n = json_string_value(json_object_get(m, "Name"));
			if (n && strcmp(n, name) == 0 &&
			    strcmp(json_string_value(json_object_get(m, "Type")) ?: "", "volume") == 0) {
				if (ids == NULL)
					ids = json_array();
				json_array_append_new(ids, json_string(c->id));
				break;
			}
		}
	return ids;
}

static bool in_use(struct berth_engine *e, const char *name)
{
	json_t *refs = vol_refs(e, name);
	bool used = refs != NULL;

	json_decref(refs);
	return used;
}

static void vol_event(struct berth_engine *e, const char *name, const char *action)
{
	berth_events_publish(e->events, "volume", action, name,
			     json_pack("{s:s}", "driver", "local"));
}

/* --- create and remove -------------------------------------------------------------------- */

static int check_labels(const json_t *labels, berth_error_t *err)
{
	const char *k;
	json_t *v;

	if (labels == NULL || json_is_null(labels))
		return 0;
	if (!json_is_object(labels))
		return berth_make_error(err, EINVAL, "invalid Labels: must be an object");
	json_object_foreach ((json_t *)labels, k, v)
		if (!json_is_string(v))
			return berth_make_error(err, EINVAL, "invalid label %s: must be a string", k);
	return 0;
}

static void random_name(char out[65])
{
	cont_random_id(out);
}

/* Makes the volume NAME (a random one when NULL: anonymous, labelled as
 * docker >= 23 labels them). Its directory, then its row. */
static int remove_files(struct berth_engine *e, const char *name, berth_error_t *err);

static struct volume *vol_make(struct berth_engine *e, const char *name, const json_t *labels,
			       const json_t *opts, bool anonymous, berth_error_t *err)
{
	char rnd[65];
	cleanup_free char *data = NULL, *dir = NULL;
	struct volume *v, *o;
	size_t count = 0;

	if (name == NULL || *name == '\0') {
		random_name(rnd);
		name = rnd;
		anonymous = true;
	}
	if (!berth_volume_name_valid(name))
		return berth_make_error(err, EINVAL,
					"create %s: \"%s\" includes invalid characters for a local "
					"volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. "
					"If you intended to pass a host directory, use absolute path",
					name, name),
		       NULL;
	if (check_labels(labels, err) < 0 || berth_volume_check_opts(opts, err) < 0) {
		berth_error_wrap(err, "create %s", name);
		return NULL;
	}
	for (o = e->volumes; o; o = o->next)
		count++;
	if (count >= MAX_VOLUMES)
		return berth_make_error(err, ENOSPC, "create %s: too many volumes", name), NULL;
	data = vol_data(e, name);
	dir = vol_dir(e, name);
	/* what a removal could not take (still mounted) is not a new volume's */
	if (access(dir, F_OK) == 0 && remove_files(e, name, err) < 0)
		return NULL;
	if (berth_fs_mkdir_p(data, 0755, err) < 0 || chmod(dir, 0701) < 0) {
		if (!*err)
			berth_make_error(err, errno, "create %s: %s", name, strerror(errno));
		return NULL;
	}
	v = xzalloc(sizeof(*v));
	v->name = xstrdup(name);
	v->labels = labels && json_is_object(labels) ? json_deep_copy(labels) : NULL;
	v->options = opts && json_object_size(opts) ? json_deep_copy(opts) : NULL;
	if (opts && json_is_object(opts) && !v->options)
		v->options = json_object();
	if (anonymous) {
		if (v->labels == NULL)
			v->labels = json_object();
		json_object_set_new(v->labels, ANON_LABEL, json_string(""));
	}
	v->anonymous = anonymous;
	v->created_ns = berth_time_now_ns();
	if (vol_save(e, v, err) < 0) {
		cleanup_close int dfd = open(e->cfg.data_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_free char *rel = xasprintf("volumes/%s", name);
		if (dfd >= 0)
			(void)berth_fs_remove_at_raw(dfd, rel);
		vol_free(v);
		return NULL;
	}
	v->next = e->volumes;
	e->volumes = v;
	vol_event(e, v->name, "create");
	return v;
}

/* Removes the files of the volume directory DIR (nothing mounted left on
 * its _data): moved to tmp/ at once, then deleted. */
/* The volume's directory is first renamed to volumes/.rm-<random> (the
 * same filesystem, even when volumes/ is a mount of its own), so that a
 * crash never leaves half of it under its name; the start removes what a
 * crash left there. */
static int remove_files(struct berth_engine *e, const char *name, berth_error_t *err)
{
	cleanup_free char *data = vol_data(e, name), *trash = NULL,
			  *root = xasprintf("%s/volumes", e->cfg.data_root);
	cleanup_close int rfd = -1;
	char rnd[65];

	if (!unmount_all(data) || is_mount_root(data))
		return berth_make_error(err, EBUSY, "remove %s: its data is still mounted", name);
	random_name(rnd);
	trash = xasprintf(".rm-%.16s", rnd);
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || renameat(rfd, name, rfd, trash) < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_make_error(err, errno, "remove %s: %s", name, strerror(errno));
	}
	if (berth_fs_remove_at_raw(rfd, trash) < 0)
		berth_log_warn("volume %s: removing its files: %s", name, strerror(errno));
	return 0;
}

/* The row goes first: a crash then leaves a directory the next start
 * removes. */
static int vol_remove(struct berth_engine *e, struct volume *v, berth_error_t *err)
{
	cleanup_free char *data = vol_data(e, v->name);
	json_t *refs = vol_refs(e, v->name);

	if (refs) {
		struct berth_strbuf b = BERTH_STRBUF_INIT;
		json_t *id;
		size_t i;
		json_array_foreach (refs, i, id)
			berth_strbuf_printf(&b, "%s%s", i ? ", " : "", json_string_value(id));
		berth_make_error(err, EBUSY, "remove %s: volume is in use - [%s]", v->name, b.buf);
		berth_strbuf_release(&b);
		json_decref(refs);
		return -1;
	}
	if (!unmount_all(data))
		return berth_make_error(err, EBUSY, "remove %s: unmount its data: %s", v->name,
					strerror(errno));
	if (vol_delete_row(e, v->name, err) < 0)
		return -1;
	*find_link(e, v->name) = v->next;
	if (remove_files(e, v->name, err) < 0) {
		berth_log_warn("%s", (*err)->msg);
		berth_error_release(err);
	}
	vol_event(e, v->name, "destroy");
	vol_free(v);
	return 0;
}

/* --- the API ------------------------------------------------------------------------------ */

static int dangling_filter(const struct berth_filters *f, int *want, berth_error_t *err)
{
	const char *d;

	*want = -1;
	if (f == NULL || berth_filters_count(f, "dangling") == 0)
		return 0;
	d = berth_filters_value(f, "dangling", 0);
	if (strcmp(d, "true") == 0 || strcmp(d, "1") == 0)
		*want = 1;
	else if (strcmp(d, "false") == 0 || strcmp(d, "0") == 0)
		*want = 0;
	else
		return berth_make_error(err, EINVAL,
					"invalid filter 'dangling=%s': invalid value, must be "
					"'true' or 'false'",
					d);
	return 0;
}

static bool name_match(const struct berth_filters *f, const char *name)
{
	size_t i, n = berth_filters_count(f, "name");

	for (i = 0; i < n; i++)
		if (strstr(name, berth_filters_value(f, "name", i)))
			return true;
	return n == 0;
}

json_t *berth_engine_volumes_list(struct berth_engine *e, const struct berth_filters *f,
				  berth_error_t *err)
{
	static const char *const allowed[] = { "name", "label", "label!", "dangling", "driver",
						NULL };
	json_t *out;
	struct volume *v;
	int dangling;

	if (f && (berth_filters_validate(f, allowed, err) < 0 ||
		  dangling_filter(f, &dangling, err) < 0))
		return NULL;
	if (f == NULL)
		dangling = -1;
	out = json_array();
	for (v = e->volumes; v; v = v->next) {
		if (f && (!name_match(f, v->name) || !berth_filters_match(f, "driver", "local") ||
			  !berth_filters_match_labels(f, "label", v->labels)))
			continue;
		if (f && berth_filters_count(f, "label!") > 0 &&
		    berth_filters_match_labels(f, "label!", v->labels))
			continue;
		if (dangling >= 0 && dangling != !in_use(e, v->name))
			continue;
		json_array_append_new(out, vol_view(e, v));
	}
	return json_pack("{s:o, s:n}", "Volumes", out, "Warnings");
}

json_t *berth_engine_volume_inspect(struct berth_engine *e, const char *name, berth_error_t *err)
{
	struct volume *v = vol_get(e, name, err);

	return v ? vol_view(e, v) : NULL;
}

json_t *berth_engine_volume_create(struct berth_engine *e, const json_t *body, berth_error_t *err)
{
	const json_t *name = json_object_get(body, "Name"), *driver = json_object_get(body, "Driver");
	const char *n = json_string_value(name), *d = json_string_value(driver);
	struct volume *v;

	if (!json_is_object(body))
		return berth_make_error(err, EINVAL, "invalid volume config: must be an object"), NULL;
	if ((name && !json_is_string(name) && !json_is_null(name)) ||
	    (driver && !json_is_string(driver) && !json_is_null(driver)))
		return berth_make_error(err, EINVAL, "invalid volume config: Name and Driver are strings"),
		       NULL;
	if (json_object_get(body, "ClusterVolumeSpec") &&
	    !json_is_null(json_object_get(body, "ClusterVolumeSpec")))
		return berth_make_error(err, EPERM, "cluster volumes are not available: this node is "
						    "not a swarm manager"),
		       NULL;
	if (d && *d && strcmp(d, "local") != 0)
		return berth_make_error(err, ENOENT,
					"create %s: error looking up volume plugin %s: plugin \"%s\" "
					"not found",
					n ? n : "", d, d),
		       NULL;
	if (n && *n && (v = find(e, n)))
		return vol_view(e, v);
	v = vol_make(e, n, json_object_get(body, "Labels"), json_object_get(body, "DriverOpts"),
		     false, err);
	return v ? vol_view(e, v) : NULL;
}

int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force,
			       berth_error_t *err)
{
	struct volume *v = vol_get(e, name, err);

	if (v == NULL) {
		if (force) {
			berth_error_release(err);
			return 0;
		}
		return -1;
	}
	return vol_remove(e, v, err);
}

static int64_t vol_size(struct berth_engine *e, const char *name)
{
	cleanup_free char *data = vol_data(e, name);
	int64_t sz = berth_fs_usage(data, NULL);

	return sz > 0 ? sz : 0;
}

json_t *berth_engine_volumes_prune(struct berth_engine *e, const struct berth_filters *f,
				   bool all, berth_error_t *err)
{
	static const char *const allowed[] = { "label", "label!", "all", NULL };
	json_t *deleted = json_array();
	struct volume *v, *next;
	int64_t reclaimed = 0;
	char r[32];

	if (f && berth_filters_validate(f, allowed, err) < 0) {
		json_decref(deleted);
		return NULL;
	}
	if (f && berth_filters_count(f, "all") > 0) {
		const char *a = berth_filters_value(f, "all", 0);
		if (strcmp(a, "true") != 0 && strcmp(a, "1") != 0 && strcmp(a, "false") != 0 &&
		    strcmp(a, "0") != 0) {
			json_decref(deleted);
			berth_make_error(err, EINVAL, "invalid filter 'all=%s': invalid value, must be "
						      "'true' or 'false'", a);
			return NULL;
		}
		all = strcmp(a, "true") == 0 || strcmp(a, "1") == 0;
	}
	for (v = e->volumes; v; v = next) {
		cleanup_free char *name = NULL;
		berth_error_t rerr = NULL;
		int64_t sz;
		next = v->next;
		if ((!all && !v->anonymous) || in_use(e, v->name))
			continue;
		if (f && !berth_filters_match_labels(f, "label", v->labels))
			continue;
		if (f && berth_filters_count(f, "label!") > 0 &&
		    berth_filters_match_labels(f, "label!", v->labels))
			continue;
		name = xstrdup(v->name);
		sz = vol_size(e, name);
		if (vol_remove(e, v, &rerr) == 0) {
			json_array_append_new(deleted, json_string(name));
			reclaimed += sz;
		} else {
			berth_log_warn("volume prune: %s", rerr ? rerr->msg : name);
			berth_error_release(&rerr);
		}
	}
	snprintf(r, sizeof(r), "%lld", (long long)reclaimed);
	berth_events_publish(e->events, "volume", "prune", "", json_pack("{s:s}", "reclaimed", r));
	return json_pack("{s:o, s:I}", "VolumesDeleted",
			 json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
			 "SpaceReclaimed", (json_int_t)reclaimed);
}

json_t *berth_engine_volumes_df(struct berth_engine *e)
{
	json_t *out = json_array();
	struct volume *v;

	for (v = e->volumes; v; v = v->next) {
		json_t *j = vol_view(e, v), *refs = vol_refs(e, v->name);
		json_object_set_new(j, "UsageData",
				    json_pack("{s:I, s:I}", "Size", (json_int_t)vol_size(e, v->name),
					      "RefCount", (json_int_t)json_array_size(refs)));
		json_decref(refs);
		json_array_append_new(out, j);
	}
	return out;
}

/* --- start and end ------------------------------------------------------------------------ */

/* Directories of volumes/ without a row: a create or a removal that a
 * crash cut short. Rows without a directory get an empty one. */
static void reconcile(struct berth_engine *e)
{
	cleanup_free char *root = xasprintf("%s/volumes", e->cfg.data_root);
	cleanup_dir DIR *d = opendir(root);
	struct dirent *de;
	struct volume *v;

	while (d && (de = readdir(d))) {
		berth_error_t err = NULL;
		if (strncmp(de->d_name, ".rm-", 4) == 0) { /* a removal a crash cut short */
			if (berth_fs_remove_at_raw(dirfd(d), de->d_name) < 0)
				berth_log_warn("volumes: %s: %s", de->d_name, strerror(errno));
			continue;
		}
		if (de->d_name[0] == '.' || find(e, de->d_name))
			continue;
		berth_log_info("volume %s: a directory without a record, removed", de->d_name);
		if (remove_files(e, de->d_name, &err) < 0) {
			berth_log_warn("%s", err->msg);
			berth_error_release(&err);
		}
	}
	for (v = e->volumes; v; v = v->next) {
		cleanup_free char *data = vol_data(e, v->name), *dir = vol_dir(e, v->name);
		cleanup_close int vfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		berth_error_t err = NULL;
		/* a fill a crash cut short: _data stayed empty, filled at the next start */
		if (vfd >= 0 && faccessat(vfd, POPULATE_DIR, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		    berth_fs_remove_at_raw(vfd, POPULATE_DIR) < 0)
			berth_log_warn("volume %s: %s: %s", v->name, POPULATE_DIR, strerror(errno));
		if (access(data, F_OK) == 0)
			continue;
		berth_log_warn("volume %s: its directory was missing, made again empty", v->name);
		if (berth_fs_mkdir_p(data, 0755, &err) < 0) {
			berth_log_warn("volume %s: %s", v->name, err->msg);
			berth_error_release(&err);
		}
	}
}

int berth_engine_volumes_load(struct berth_engine *e, berth_error_t *err)
{
	sqlite3_stmt *st = berth_db_prepare(e->db, "SELECT name, doc FROM volumes", err);
	struct volume **tail = &e->volumes;

	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct volume *v = vol_from_row((const char *)sqlite3_column_text(st, 0),
						(const char *)sqlite3_column_text(st, 1));
		if (v == NULL)
			continue;
		*tail = v;
		tail = &v->next;
	}
	berth_db_finish(e->db, st);
	reconcile(e);
	return 0;
}

void berth_engine_volumes_free(struct berth_engine *e)
{
	struct volume *v;

	while ((v = e->volumes)) {
		e->volumes = v->next;
		vol_free(v);
	}
}

/* --- container mounts: create ---------------------------------------------------------------- */

static int duplicate(berth_error_t *err, const char *dest)
{
	return berth_make_error(err, EINVAL, "Duplicate mount point: %s", dest);
}

/* --volumes-from: the mounts of each container named, writable only
 * where both allow it, never copied into. */
static int from_containers(struct berth_engine *e, const json_t *hc, json_t *bydest,
			   berth_error_t *err)
{
	json_t *it, *m;
	size_t i, k;

	json_array_foreach (json_object_get(hc, "VolumesFrom"), i, it) {
		cleanup_free char *id = NULL;
		struct container *other;
		bool rw;
		if (!json_is_string(it))
			return berth_make_error(err, EINVAL, "invalid VolumesFrom: must be strings");
		if (berth_mount_parse_volumes_from(json_string_value(it), &id, &rw, err) < 0)
			return -1;
		other = cont_find(e, id, err);
		if (other == NULL)
			return -1;
		json_array_foreach (other->mounts, k, m) {
			json_t *cp = json_deep_copy(m);
			json_object_set_new(cp, "RW", json_boolean(rw && json_is_true(json_object_get(m, "RW"))));
			json_object_set_new(cp, "Mode", json_string(""));
			json_object_set_new(cp, "CopyData", json_false());
			json_object_del(cp, "NewVolume");
			json_object_set_new(bydest, json_string_value(json_object_get(cp, "Destination")),
					    cp);
		}
	}
	return 0;
}

/* HostConfig.Binds: each over what --volumes-from gave, none twice and
 * none where a --tmpfs goes. */
static int from_binds(const json_t *hc, json_t *bydest, json_t *seen, berth_error_t *err)
{
	const json_t *tmpfs = json_object_get(hc, "Tmpfs");
	json_t *it, *rec;
	size_t i;

	json_array_foreach (json_object_get(hc, "Binds"), i, it) {
		const char *dest;
		if (berth_mount_parse_bind(json_string_value(it), &rec, err) < 0)
			return -1;
		dest = json_string_value(json_object_get(rec, "Destination"));
		if (json_object_get(seen, dest) || json_object_get(tmpfs, dest)) {
			duplicate(err, dest);
			json_decref(rec);
			return -1;
		}
		/* moby's setBindModeIfNull for local volumes */
		if (json_object_get(rec, "Name") && json_string_length(json_object_get(rec, "Mode")) == 0)
			json_object_set_new(rec, "Mode", json_string("z"));
		json_object_set_new(seen, dest, json_true());
		json_object_set_new(bydest, dest, rec);
	}
	return 0;
}

/* HostConfig.Mounts: a bind's source must exist (unless
 * CreateMountpoint), as docker checks at create; none twice, none where a
 * --tmpfs goes. */
static int from_mounts(const json_t *hc, json_t *bydest, json_t *seen, berth_error_t *err)
{
	const json_t *tmpfs = json_object_get(hc, "Tmpfs");
	json_t *it, *rec;
	size_t i;

	json_array_foreach (json_object_get(hc, "Mounts"), i, it) {
		const char *dest, *src;
		struct stat st;
		int ret = 0;
		if (berth_mount_parse_spec(it, &rec, err) < 0)
			return -1;
		dest = json_string_value(json_object_get(rec, "Destination"));
		src = json_string_value(json_object_get(rec, "Source"));
		if (strcmp(json_string_value(json_object_get(rec, "Type")), "bind") == 0 &&
		    !json_is_true(json_object_get(rec, "CreateSource")) && stat(src, &st) < 0)
			ret = berth_make_error(err, EINVAL,
					 "invalid mount config for type \"bind\": bind source path "
					 "does not exist: %s",
					 src);
		else if (json_object_get(seen, dest) || json_object_get(tmpfs, dest))
			ret = duplicate(err, dest);
		if (ret < 0) {
			json_decref(rec);
			return -1;
		}
		json_object_set_new(seen, dest, json_true());
		json_object_set_new(bydest, dest, rec);
	}
	return 0;
}

/* Config.Volumes of the image and the request: an anonymous volume for
 * each path nothing else is mounted on. */
static int from_config(const json_t *req, const json_t *image, json_t *bydest, berth_error_t *err)
{
	const json_t *lists[2] = { json_object_get(image, "Volumes"), json_object_get(req, "Volumes") };
	const char *path;
	json_t *v, *rec;
	size_t i;

	for (i = 0; i < 2; i++)
		json_object_foreach ((json_t *)lists[i], path, v) {
			json_t *m = json_pack("{s:s, s:s}", "Type", "volume", "Target", path);
			int ret = berth_mount_parse_spec(m, &rec, err);
			json_decref(m);
			if (ret < 0)
				return -1;
			if (json_object_get(bydest, json_string_value(json_object_get(rec, "Destination")))) {
				json_decref(rec);
				continue;
			}
			json_object_set_new(rec, "Mode", json_string(""));
			json_object_set_new(bydest, json_string_value(json_object_get(rec, "Destination")),
					    rec);
		}
	return 0;
}

/* Makes the volumes the records of MOUNTS name and do not exist yet, with
 * the driver DRIVER (HostConfig.VolumeDriver: "" or local). */
static int make_volumes(struct berth_engine *e, json_t *mounts, const char *driver,
			berth_error_t *err)
{
	json_t *rec;
	size_t i;

	json_array_foreach (mounts, i, rec) {
		const char *name = json_string_value(json_object_get(rec, "Name"));
		struct volume *v;
		cleanup_free char *data = NULL;
		if (strcmp(json_string_value(json_object_get(rec, "Type")), "volume") != 0)
			continue;
		if (driver && *driver && strcmp(driver, "local") != 0)
			return berth_make_error(err, ENOENT,
						"error looking up volume plugin %s: plugin \"%s\" not "
						"found",
						driver, driver);
		v = name && *name ? find(e, name) : NULL;
		if (v == NULL) {
			v = vol_make(e, name, json_object_get(rec, "VolumeLabels"),
				     json_object_get(rec, "VolumeOptions"),
				     json_is_true(json_object_get(rec, "Anonymous")), err);
			if (v == NULL)
				return -1;
			json_object_set_new(rec, "NewVolume", json_true());
		}
		data = vol_data(e, v->name);
		json_object_set_new(rec, "Name", json_string(v->name));
		json_object_set_new(rec, "Source", json_string(data));
		json_object_set_new(rec, "Driver", json_string("local"));
		json_object_del(rec, "VolumeLabels");
		json_object_del(rec, "VolumeOptions");
	}
	return 0;
}

int vol_resolve_mounts(struct berth_engine *e, const json_t *req, const json_t *image,
		       json_t **mounts, berth_error_t *err)
{
	const json_t *hc = json_object_get(req, "HostConfig");
	json_t *bydest = json_object(), *seen = json_object(), *out = json_array(), *rec;
	const char *dest;
	int ret;

	if ((json_object_get(hc, "Mounts") && !json_is_array(json_object_get(hc, "Mounts")) &&
	     !json_is_null(json_object_get(hc, "Mounts"))) ||
	    (json_object_get(hc, "VolumesFrom") && !json_is_array(json_object_get(hc, "VolumesFrom")) &&
	     !json_is_null(json_object_get(hc, "VolumesFrom"))))
		ret = berth_make_error(err, EINVAL, "invalid HostConfig.Mounts or VolumesFrom: must be lists");
	else if (json_array_size(json_object_get(hc, "Binds")) + json_array_size(json_object_get(hc, "Mounts")) +
		     json_array_size(json_object_get(hc, "VolumesFrom")) > MAX_MOUNTS)
		ret = berth_make_error(err, E2BIG, "too many mounts");
	else
		ret = from_containers(e, hc, bydest, err);
	if (ret == 0)
		ret = from_binds(hc, bydest, seen, err);
	if (ret == 0)
		ret = from_mounts(hc, bydest, seen, err);
	if (ret == 0)
		ret = from_config(req, image, bydest, err);
	if (ret == 0 && json_object_size(bydest) > MAX_MOUNTS)
		ret = berth_make_error(err, E2BIG, "too many mounts");
	json_object_foreach (bydest, dest, rec)
		json_array_append(out, rec);
	json_decref(bydest);
	json_decref(seen);
	if (ret == 0)
		ret = make_volumes(e, out, json_string_value(json_object_get(hc, "VolumeDriver")),
				   err);
	if (ret < 0) {
		vol_undo_new(e, out);
		json_decref(out);
		return -1;
	}
	*mounts = out;
	return 0;
}

void vol_undo_new(struct berth_engine *e, const json_t *mounts)
{
	json_t *rec;
	size_t i;

	json_array_foreach (mounts, i, rec) {
		struct volume *v = find(e, json_string_value(json_object_get(rec, "Name")));
		berth_error_t err = NULL;
		if (!json_is_true(json_object_get(rec, "NewVolume")) || v == NULL)
			continue;
		if (vol_remove(e, v, &err) < 0) {
			berth_log_warn("volume %s: %s", json_string_value(json_object_get(rec, "Name")),
				       err->msg);
			berth_error_release(&err);
		}
	}
}

void vol_container_removed(struct berth_engine *e, struct container *c, bool anonymous)
{
	json_t *rec;
	size_t i;

	json_array_foreach (anonymous ? c->mounts : NULL, i, rec) {
		struct volume *v = find(e, json_string_value(json_object_get(rec, "Name")));
		berth_error_t err = NULL;
		/* named ones stay; one another container uses stays too */
		if (v == NULL || !json_is_true(json_object_get(rec, "Anonymous")) ||
		    in_use(e, v->name))
			continue;
		if (vol_remove(e, v, &err) < 0) {
			berth_log_warn("container %s: volume %s: %s", c->id, v->name, err->msg);
			berth_error_release(&err);
		}
	}
}

/* As docker's local driver: a tmpfs or bind volume is unmounted from its
 * _data when no running container uses it any more (a tmpfs's content
 * goes with it). Containers that hold it keep their own mounts. */
static void vol_deactivate_unused(struct berth_engine *e, const struct volume *v)
{
	cleanup_free char *src = NULL, *fstype = NULL, *mdata = NULL, *data = NULL;
	unsigned long flags = 0;
	struct container *d;

	if (v == NULL || !berth_volume_mount_args(v->options, &src, &fstype, &flags, &mdata))
		return;
	for (d = e->containers; d; d = d->next)
		if ((crun_running(d) || d->prepared) && vol_container_mounts(d, v->name))
			return;
	data = vol_data(e, v->name);
	if (is_mount_root(data) && !unmount_all(data))
		berth_log_warn("volume %s: %s stays mounted", v->name, data);
}

void vol_container_event(struct berth_engine *e, const struct container *c, bool start)
{
	json_t *rec;
	size_t i;

	json_array_foreach (c->mounts, i, rec) {
		const char *name = json_string_value(json_object_get(rec, "Name"));
		if (name == NULL || strcmp(json_string_value(json_object_get(rec, "Type")) ?: "",
					   "volume") != 0)
			continue;
		if (start)
			berth_events_publish(
			    e->events, "volume", "mount", name,
			    json_pack("{s:s, s:s, s:s, s:s, s:s}", "container", c->id, "destination",
				      json_string_value(json_object_get(rec, "Destination")) ?: "",
				      "driver", "local", "propagation",
				      json_string_value(json_object_get(rec, "Propagation")) ?: "",
				      "read/write",
				      json_is_false(json_object_get(rec, "RW")) ? "false" : "true"));
		else
			berth_events_publish(e->events, "volume", "unmount", name,
					     json_pack("{s:s, s:s}", "container", c->id, "driver",
						       "local"));
		if (!start)
			vol_deactivate_unused(e, find(e, name));
	}
}

json_t *vol_mounts_view(const struct container *c)
{
	json_t *out = json_array(), *rec;
	size_t i;

	json_array_foreach (c->mounts, i, rec)
		json_array_append_new(out, berth_mount_view(rec));
	return out;
}

bool vol_container_mounts(const struct container *c, const char *what)
{
	static const char *const keys[] = { "Name", "Source", "Destination" };
	json_t *rec;
	size_t i, k;

	json_array_foreach (c->mounts, i, rec)
		for (k = 0; k < BERTH_ARRAY_SIZE(keys); k++) {
			const char *s = json_string_value(json_object_get(rec, keys[k]));
			if (s && *s && strcmp(s, what) == 0)
				return true;
		}
	return false;
}

/* --- container mounts: start ----------------------------------------------------------------- */

/* Fills the new volume DATA from the image's content at DEST in ROOTFS
 * (the container's rootfs, mounted), if the volume is empty and the image
 * has a directory there. */
static int populate(const char *rootfs, const char *dest, const char *dir, const char *data,
		    berth_error_t *err)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	cleanup_close int rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int sfd = -1, dfd = -1, vfd = -1, pfd = -1;
	bool direct = is_mount_root(data);

	if (rfd < 0)
		return berth_make_error(err, EIO, "open rootfs: %s", strerror(errno));
	sfd = (int)syscall(SYS_openat2, rfd, dest, &how, sizeof(how));
	if (sfd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0; /* nothing there in the image (or not a directory) */
	if (sfd < 0)
		return berth_make_error(err, EIO, "copy the image's %s into the volume: %s", dest,
					strerror(errno));
	dfd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return berth_make_error(err, EIO, "open volume `%s`: %s", data, strerror(errno));
	if (!vol_dir_empty(dfd))
		return 0;
	/* into _populate beside _data, then exchanged with it: a copy that
	 * fails or a crash never leaves a volume half filled (and so never
	 * filled again). A mounted _data (tmpfs, bind) is filled in place. */
	if (!direct) {
		vfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (vfd < 0)
			return berth_make_error(err, EIO, "open volume `%s`: %s", dir, strerror(errno));
		(void)berth_fs_remove_at_raw(vfd, POPULATE_DIR);
		if (mkdirat(vfd, POPULATE_DIR, 0755) < 0 ||
		    (pfd = openat(vfd, POPULATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return berth_make_error(err, EIO, "volume `%s`: %s: %s", dir, POPULATE_DIR,
						strerror(errno));
	}
	if (vol_copy_tree(sfd, direct ? dfd : pfd, err) < 0) {
		if (!direct)
			(void)berth_fs_remove_at_raw(vfd, POPULATE_DIR);
		berth_error_wrap(err, "copy the image's %s into the volume", dest);
		(*err)->code = EIO;
		return -1;
	}
	if (!direct) {
		if (renameat2(vfd, POPULATE_DIR, vfd, "_data", RENAME_EXCHANGE) < 0) {
			int e2 = errno;
			(void)berth_fs_remove_at_raw(vfd, POPULATE_DIR);
			return berth_make_error(err, EIO, "volume `%s`: fill _data: %s", dir,
						strerror(e2));
		}
		/* the empty _data it replaced */
		(void)berth_fs_remove_at_raw(vfd, POPULATE_DIR);
	}
	return 0;
}

static int depth_of(const json_t *rec)
{
	const char *p = json_string_value(json_object_get(rec, "Destination"));
	int n = 0;

	for (; p && *p; p++)
		n += *p == '/';
	return n;
}

static int by_depth(const void *a, const void *b)
{
	return depth_of(*(json_t *const *)a) - depth_of(*(json_t *const *)b);
}

/* As docker's spec: "ro" when read-only, and no "rw" otherwise, so that a
 * read-only source (a bind volume with o=ro, a :ro host mount) stays so. */
static json_t *bind_spec(const char *dest, const char *src, const char *prop, bool rw)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination", dest, "type", "bind",
			      "source", src, "options", "rbind", prop && *prop ? prop : "rprivate");

	if (!rw)
		json_array_append_new(json_object_get(m, "options"), json_string("ro"));
	return m;
}

static json_t *tmpfs_spec(const char *dest, const char *data)
{
	json_t *opts = json_pack("[s, s, s, s]", "nosuid", "nodev", "noexec", "rprivate");
	const char *p = data ? data : "";

	while (*p) {
		size_t len = strcspn(p, ",");
		if (len)
			json_array_append_new(opts, json_stringn(p, len));
		p += len + (p[len] == ',');
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", "tmpfs", "source",
			 "tmpfs", "options", opts);
}

/* The OCI mount of the record REC, with what it needs done first. */
/* Whether a container other than C holds the volume NAME mounted: it
 * runs, or a prepared start made its mounts already. */
static bool used_by_other(struct berth_engine *e, const struct container *c, const char *name)
{
	struct container *d;

	for (d = e->containers; d; d = d->next)
		if (d != c && (crun_running(d) || d->prepared) && vol_container_mounts(d, name))
			return true;
	return false;
}

static json_t *spec_mount(struct berth_engine *e, const struct container *c, const char *rootfs,
			  const json_t *rec, berth_error_t *err)
{
	const char *type = json_string_value(json_object_get(rec, "Type"));
	const char *dest = json_string_value(json_object_get(rec, "Destination"));
	const char *src = json_string_value(json_object_get(rec, "Source"));
	bool rw = json_is_true(json_object_get(rec, "RW"));
	struct stat st;

	if (strcmp(type, "tmpfs") == 0)
		return tmpfs_spec(dest, json_string_value(json_object_get(rec, "TmpfsData")));
	if (strcmp(type, "volume") == 0) {
		struct volume *v = vol_get(e, json_string_value(json_object_get(rec, "Name")), err);
		cleanup_free char *data = v ? vol_data(e, v->name) : NULL;
		if (v == NULL || vol_activate(e, v, err) < 0)
			return NULL;
		/* a volume another container has is not new: its content is theirs
		 * (and theirs to change under a copy) */
		if (json_is_true(json_object_get(rec, "CopyData")) && !used_by_other(e, c, v->name)) {
			cleanup_free char *dir = vol_dir(e, v->name);
			if (populate(rootfs, dest, dir, data, err) < 0)
				return NULL;
		}
		return bind_spec(dest, data, "rprivate", rw);
	}
	if (stat(src, &st) < 0) {
		if (errno != ENOENT || !json_is_true(json_object_get(rec, "CreateSource")))
			return berth_make_error(err, errno == ENOENT ? EINVAL : errno,
						"invalid mount config for type \"bind\": bind source "
						"path does not exist: %s",
						src),
			       NULL;
		if (berth_fs_mkdir_p(src, 0755, err) < 0)
			return NULL;
	}
	return bind_spec(dest, src, json_string_value(json_object_get(rec, "Propagation")), rw);
}

static int path_depth(const char *p)
{
	int n = 0;

	for (; p && *p; p++)
		n += *p == '/' && p[1] != '\0';
	return n;
}

/* Every mount of the spec by the depth of its destination, keeping the
 * order of equals, as docker sorts them: a volume on /etc goes before the
 * /etc/hosts bind that must show through it. */
static void spec_sort_by_depth(json_t *mounts)
{
	json_t *out = json_array(), *m;
	int d, max = 0;
	size_t i;

	json_array_foreach (mounts, i, m) {
		int k = path_depth(json_string_value(json_object_get(m, "destination")));
		if (k > max)
			max = k;
	}
	for (d = 0; d <= max; d++)
		json_array_foreach (mounts, i, m)
			if (path_depth(json_string_value(json_object_get(m, "destination"))) == d)
				json_array_append(out, m);
	json_array_clear(mounts);
	json_array_extend(mounts, out);
	json_decref(out);
}

int vol_spec_mounts(struct berth_engine *e, struct container *c, json_t *spec, berth_error_t *err)
{
	json_t *mounts = json_object_get(spec, "mounts"), *rec, *m;
	cleanup_free char *rootfs = cont_path(c, "rootfs");
	size_t n = json_array_size(c->mounts), i, k;
	cleanup_free json_t **sorted = NULL;

	if (n == 0)
		return 0;
	sorted = xcalloc(n, sizeof(*sorted));
	json_array_foreach (c->mounts, i, rec)
		sorted[i] = rec;
	qsort(sorted, n, sizeof(*sorted), by_depth);
	for (i = 0; i < n; i++) {
		const char *dest = json_string_value(json_object_get(sorted[i], "Destination"));
		/* it takes the place of a default mount there (/dev/shm, /etc/hosts) */
		for (k = 0; k < json_array_size(mounts);) {
			m = json_array_get(mounts, k);
			if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "", dest) == 0)
				json_array_remove(mounts, k);
			else
				k++;
		}
		m = spec_mount(e, c, rootfs, sorted[i], err);
		if (m == NULL)
			return -1;
		json_array_append_new(mounts, m);
	}
	spec_sort_by_depth(mounts);
	return 0;
}
