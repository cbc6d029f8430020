/* state.c: <root>/<id>/state.json for berth-oci. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/runtime.h"
#include "runtime/state.h"

int berth_state_check_id(const char *id, berth_error_t *err)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > BERTH_STATE_MAX_ID || id[0] == '.')
		return berth_make_error(err, EINVAL, "invalid container id `%.64s`", id);
	for (i = 0; i < n; i++) {
		char ch = id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_.+-", ch)))
			return berth_make_error(err, EINVAL, "invalid container id `%.64s`", id);
	}
	return 0;
}

char *berth_state_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

char *berth_state_fifo(const char *root, const char *id)
{
	return xasprintf("%s/%s/exec.fifo", root, id);
}

int berth_state_create_dir(const char *root, const char *id, berth_error_t *err)
{
	cleanup_free char *dir = berth_state_dir(root, id);

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == ENOENT) {
		if (berth_fs_mkdir_p(root, 0700, err) < 0)
			return -1;
		if (mkdir(dir, 0700) == 0)
			return 0;
	}
	if (errno == EEXIST)
		return berth_make_error(err, EEXIST, "container `%s` already exists", id);
	return berth_make_error(err, errno, "mkdir `%s`: %s", dir, strerror(errno));
}

int berth_state_save(const char *root, const struct berth_oci_state *s, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s/state.json", root, s->id);
	cleanup_free char *data = NULL;
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:b}", "id", s->id, "bundle", s->bundle,
		      "rootfs", s->rootfs ? s->rootfs : "", "created", s->created ? s->created : "",
		      "cgroupPath", s->cgroup_path ? s->cgroup_path : "", "pid", (int)s->pid,
		      "startTime", (json_int_t)s->start_time, "paused", s->paused);

	if (s->annotations)
		json_object_set(o, "annotations", s->annotations);
	if (s->hooks)
		json_object_set(o, "hooks", s->hooks);
	data = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return berth_fs_write_atomic(path, data, strlen(data), 0600, err);
}

static char *dup_field(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? xstrdup(v) : NULL;
}

int berth_state_load(const char *root, const char *id, struct berth_oci_state *s,
		     berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *data = NULL;
	json_t *o;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	if (berth_state_check_id(id, err) < 0)
		return -1;
	path = xasprintf("%s/%s/state.json", root, id);
	n = berth_fs_read_file(path, BERTH_STATE_MAX_BYTES, &data, err);
	if (n < 0 && berth_error_code(*err) == ENOENT) {
		berth_error_release(err);
		return berth_make_error(err, ENOENT, "container `%s` does not exist", id);
	}
	if (n < 0)
		return -1;
	o = json_loadb(data, (size_t)n, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return berth_make_error(err, EINVAL, "`%s`: not a state file", path);
	}
	s->id = xstrdup(id);
	s->bundle = dup_field(o, "bundle");
	s->rootfs = dup_field(o, "rootfs");
	s->created = dup_field(o, "created");
	s->cgroup_path = dup_field(o, "cgroupPath");
	s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	s->start_time = (uint64_t)json_integer_value(json_object_get(o, "startTime"));
	s->paused = json_is_true(json_object_get(o, "paused"));
	s->annotations = json_incref(json_object_get(o, "annotations"));
	s->hooks = json_incref(json_object_get(o, "hooks"));
	json_decref(o);
	if (s->bundle == NULL)
		s->bundle = xstrdup("");
	return 0;
}

void berth_state_release(struct berth_oci_state *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->cgroup_path);
	json_decref(s->annotations);
	json_decref(s->hooks);
	memset(s, 0, sizeof(*s));
}

const char *berth_state_status(const char *root, const struct berth_oci_state *s)
{
	cleanup_free char *fifo = NULL;
	bool zombie = false;
	uint64_t st;

	if (s->pid <= 0)
		return "stopped";
	st = berth_runtime_pid_start_time(s->pid, &zombie);
	if (st == 0 || zombie || (s->start_time && st != s->start_time))
		return "stopped";
	fifo = berth_state_fifo(root, s->id);
	if (access(fifo, F_OK) == 0)
		return "created";
	return s->paused ? "paused" : "running";
}

json_t *berth_state_to_json(const struct berth_oci_state *s, const char *status)
{
	bool alive = strcmp(status, "stopped") != 0;
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2",
			      "id", s->id, "pid", alive ? (int)s->pid : 0, "status", status,
			      "bundle", s->bundle, "rootfs", s->rootfs ? s->rootfs : "", "created",
			      s->created ? s->created : "", "owner", "");

	if (s->annotations)
		json_object_set(o, "annotations", s->annotations);
	return o;
}

int berth_state_remove(const char *root, const char *id, berth_error_t *err)
{
	cleanup_free char *dir = berth_state_dir(root, id);
	cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (rfd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", root, strerror(errno));
	if (berth_fs_remove_at_raw(rfd, id) < 0 && errno != ENOENT)
		return berth_make_error(err, errno, "remove `%s`: %s", dir, strerror(errno));
	return 0;
}
