/* mounts.c: see mounts.h. After moby's volume/mounts/linux_parser.go. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "base/cleanup.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "engine/mounts.h"

#define MAX_MODE_WORDS 16

/* --- paths --------------------------------------------------------------------------------- */

char *berth_mount_clean_path(const char *p)
{
	size_t n = strlen(p), out = 0, i = 0;
	bool rooted = n > 0 && p[0] == '/';
	char *buf = xmalloc(n + 2);
	size_t dotdot = 0; /* where ".." may no longer back up */

	if (n == 0) {
		free(buf);
		return xstrdup(".");
	}
	if (rooted) {
		buf[out++] = '/';
		i = 1;
		dotdot = 1;
	}
	while (i < n) {
		if (p[i] == '/') {
			i++;
		} else if (p[i] == '.' && (i + 1 == n || p[i + 1] == '/')) {
			i++;
		} else if (p[i] == '.' && p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/')) {
			i += 2;
			if (out > dotdot) {
				out--;
				while (out > dotdot && buf[out] != '/')
					out--;
			} else if (!rooted) {
				if (out > 0)
					buf[out++] = '/';
				buf[out++] = '.';
				buf[out++] = '.';
				dotdot = out;
			}
		} else {
			if ((rooted && out != 1) || (!rooted && out != 0))
				buf[out++] = '/';
			while (i < n && p[i] != '/')
				buf[out++] = p[i++];
		}
	}
	if (out == 0)
		buf[out++] = '.';
	buf[out] = '\0';
	return buf;
}

static bool is_abs(const char *p)
{
	return p && p[0] == '/';
}

/* --- modes --------------------------------------------------------------------------------- */

enum mode_kind { M_RW, M_LABEL, M_PROPAGATION, M_COPY, M_CONSISTENCY, M_KINDS };

static const struct {
	const char *word;
	enum mode_kind kind;
} mode_words[] = {
	{ "rw", M_RW },		    { "ro", M_RW },		 { "z", M_LABEL },
	{ "Z", M_LABEL },	    { "private", M_PROPAGATION }, { "rprivate", M_PROPAGATION },
	{ "slave", M_PROPAGATION }, { "rslave", M_PROPAGATION },  { "shared", M_PROPAGATION },
	{ "rshared", M_PROPAGATION }, { "nocopy", M_COPY },	 { "consistent", M_CONSISTENCY },
	{ "cached", M_CONSISTENCY }, { "delegated", M_CONSISTENCY },
};

static int mode_kind(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(mode_words); i++)
		if (strlen(mode_words[i].word) == len && strncmp(mode_words[i].word, w, len) == 0)
			return (int)mode_words[i].kind;
	return -1;
}

/* moby's ValidMountMode: known words, each kind at most once */
static bool valid_mode(const char *mode)
{
	int counts[M_KINDS] = { 0 };
	const char *p = mode;

	if (*mode == '\0')
		return true;
	for (;;) {
		size_t len = strcspn(p, ",");
		int k = mode_kind(p, len);
		if (k < 0 || ++counts[k] > 1)
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

/* Whether MODE (valid) holds the word W. */
static bool mode_has(const char *mode, const char *w)
{
	size_t wl = strlen(w);
	const char *p = mode;

	for (;;) {
		size_t len = strcspn(p, ",");
		if (len == wl && strncmp(p, w, wl) == 0)
			return true;
		if (p[len] == '\0')
			return false;
		p += len + 1;
	}
}

/* The propagation word of MODE (valid), or NULL. */
static const char *mode_propagation(const char *mode)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(mode_words); i++)
		if (mode_words[i].kind == M_PROPAGATION && mode_has(mode, mode_words[i].word))
			return mode_words[i].word;
	return NULL;
}

static bool valid_propagation(const char *p)
{
	return mode_kind(p, strlen(p)) == M_PROPAGATION;
}

/* --- records ------------------------------------------------------------------------------ */

static json_t *record(const char *type, const char *dest, bool rw)
{
	cleanup_free char *clean = berth_mount_clean_path(dest);

	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", type, "Source", "",
			 "Destination", clean, "Mode", "", "RW", rw, "Propagation", "");
}

static int mount_config_error(berth_error_t *err, const char *type, const char *fmt, const char *arg)
{
	cleanup_free char *what = xasprintf(fmt, arg);

	return berth_make_error(err, EINVAL, "invalid mount config for type \"%s\": %s", type, what);
}

/* The checks every type shares: a target that is absolute and not "/". */
static int check_target(const char *type, const char *target, berth_error_t *err)
{
	cleanup_free char *clean = NULL;

	if (target == NULL || *target == '\0')
		return mount_config_error(err, type, "field %s must not be empty", "Target");
	if (strlen(target) > BERTH_MOUNT_MAX_PATH)
		return mount_config_error(err, type, "%s", "mount path too long");
	clean = berth_mount_clean_path(target);
	if (strcmp(clean, "/") == 0)
		return mount_config_error(err, type, "%s",
					  "invalid specification: destination can't be '/'");
	if (!is_abs(clean))
		return mount_config_error(err, type,
					  "invalid mount path: '%s' mount path must be absolute",
					  clean);
	return 0;
}

static void set_volume(json_t *rec, const char *name, bool copy)
{
	json_object_set_new(rec, "Name", json_string(name ? name : ""));
	json_object_set_new(rec, "Driver", json_string("local"));
	json_object_set_new(rec, "CopyData", json_boolean(copy));
	json_object_set_new(rec, "Anonymous", json_boolean(name == NULL || *name == '\0'));
}

/* --- Binds ------------------------------------------------------------------------------- */

static int invalid_spec(berth_error_t *err, const char *spec)
{
	return berth_make_error(err, EINVAL, "invalid volume specification: '%s'", spec);
}

int berth_mount_parse_bind(const char *spec, json_t **out, berth_error_t *err)
{
	cleanup_free char *copy = NULL, *clean = NULL;
	char *parts[4] = { 0 }, *p, *save = NULL;
	const char *src = NULL, *dst, *mode = "";
	json_t *rec;
	size_t n = 0;

	if (spec == NULL || strlen(spec) > BERTH_MOUNT_MAX_SPEC)
		return invalid_spec(err, spec ? "(too long)" : "");
	copy = xstrdup(spec);
	/* strings.SplitN(raw, ":", 4), empty fields kept */
	for (p = copy; n < 4; n++) {
		parts[n] = p;
		if (n == 3 || (save = strchr(p, ':')) == NULL) {
			n++;
			break;
		}
		*save = '\0';
		p = save + 1;
	}
	if (*parts[0] == '\0' || n == 4)
		return invalid_spec(err, spec);
	if (n == 1) {
		dst = parts[0];
	} else {
		src = parts[0];
		dst = parts[1];
		/* "/foo:rw": a mode where the destination goes */
		if (n == 2 && valid_mode(parts[1]))
			return invalid_spec(err, spec);
		if (n == 3)
			mode = parts[2];
	}
	if (!valid_mode(mode))
		return berth_make_error(err, EINVAL, "invalid mode: %s", mode);
	if (src && is_abs(src)) {
		if (check_target("bind", dst, err) < 0)
			return berth_error_wrap(err, "invalid volume specification: '%s'", spec);
		if (mode_has(mode, "nocopy"))
			return berth_make_error(err, EINVAL,
						"invalid volume specification: '%s': invalid mount "
						"config for type \"bind\": field VolumeOptions must not "
						"be specified",
						spec);
		rec = record("bind", dst, !mode_has(mode, "ro"));
		clean = berth_mount_clean_path(src);
		json_object_set_new(rec, "Source", json_string(clean));
		json_object_set_new(rec, "Propagation",
				    json_string(mode_propagation(mode) ?: "rprivate"));
		json_object_set_new(rec, "CreateSource", json_true());
	} else {
		if (check_target("volume", dst, err) < 0)
			return berth_error_wrap(err, "invalid volume specification: '%s'", spec);
		if (mode_propagation(mode))
			return berth_make_error(err, EINVAL,
						"invalid volume specification: '%s': invalid mount "
						"config for type \"volume\": field BindOptions must not "
						"be specified",
						spec);
		if (src == NULL && mode_has(mode, "ro"))
			return berth_make_error(err, EINVAL,
						"invalid volume specification: '%s': must not set "
						"ReadOnly mode when using anonymous volumes",
						spec);
		rec = record("volume", dst, !mode_has(mode, "ro"));
		set_volume(rec, src, !mode_has(mode, "nocopy"));
	}
	json_object_set_new(rec, "Mode", json_string(mode));
	*out = rec;
	return 0;
}

/* --- Mounts ------------------------------------------------------------------------------ */

static const char *str_field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An object field that is there (not null). */
static const json_t *obj_field(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_null(v) ? NULL : v;
}

/* ConvertTmpfsOptions: "ro,mode=%o,size=N[gmk]" */
static int tmpfs_data(const char *type, const json_t *opts, bool ro, char **out,
		      berth_error_t *err)
{
	static const struct {
		char suffix;
		long long div;
	} units[] = { { 'g', 1LL << 30 }, { 'm', 1LL << 20 }, { 'k', 1LL << 10 } };
	const json_t *size = json_object_get(opts, "SizeBytes"), *mode = json_object_get(opts, "Mode");
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	long long sz = json_integer_value(size);
	size_t i;

	if ((size && !json_is_integer(size) && !json_is_null(size)) ||
	    (mode && !json_is_integer(mode) && !json_is_null(mode)))
		return mount_config_error(err, type, "%s", "invalid tmpfs options");
	if (sz < 0)
		return mount_config_error(err, type, "%s", "invalid tmpfs size: must not be negative");
	if (json_integer_value(mode) < 0 || json_integer_value(mode) > 07777)
		return mount_config_error(err, type, "%s", "invalid tmpfs mode");
	if (ro)
		berth_strbuf_puts(&b, "ro");
	if (json_integer_value(mode) != 0)
		berth_strbuf_printf(&b, "%smode=%llo", b.len ? "," : "",
				    (unsigned long long)json_integer_value(mode));
	if (sz != 0) {
		char suffix = 0;
		for (i = 0; i < BERTH_ARRAY_SIZE(units); i++)
			if (sz % units[i].div == 0) {
				sz /= units[i].div;
				suffix = units[i].suffix;
				break;
			}
		berth_strbuf_printf(&b, "%ssize=%lld", b.len ? "," : "", sz);
		if (suffix)
			berth_strbuf_printf(&b, "%c", suffix);
	}
	*out = b.buf ? berth_strbuf_steal(&b) : xstrdup("");
	berth_strbuf_release(&b);
	return 0;
}

static int spec_bind(const json_t *m, json_t *rec, berth_error_t *err)
{
	const json_t *bo = obj_field(m, "BindOptions");
	const char *src = str_field(m, "Source"), *prop = str_field(bo, "Propagation");
	cleanup_free char *clean = NULL;

	if (src == NULL || *src == '\0')
		return mount_config_error(err, "bind", "field %s must not be empty", "Source");
	if (prop && *prop && !valid_propagation(prop))
		return mount_config_error(err, "bind", "invalid propagation mode: %s", prop);
	if (obj_field(m, "VolumeOptions"))
		return mount_config_error(err, "bind", "field %s must not be specified",
					  "VolumeOptions");
	if (obj_field(m, "TmpfsOptions"))
		return mount_config_error(err, "bind", "field %s must not be specified",
					  "TmpfsOptions");
	if (!is_abs(src))
		return mount_config_error(err, "bind",
					  "invalid mount path: '%s' mount path must be absolute", src);
	if (strlen(src) > BERTH_MOUNT_MAX_PATH)
		return mount_config_error(err, "bind", "%s", "source path too long");
	if (json_is_true(json_object_get(bo, "NonRecursive")) ||
	    json_is_true(json_object_get(bo, "ReadOnlyNonRecursive")) ||
	    json_is_true(json_object_get(bo, "ReadOnlyForceRecursive")))
		return berth_make_error(err, ENOSYS,
					"bind options NonRecursive and ReadOnly*Recursive are not "
					"implemented yet");
	clean = berth_mount_clean_path(src);
	json_object_set_new(rec, "Source", json_string(clean));
	json_object_set_new(rec, "Propagation", json_string(prop && *prop ? prop : "rprivate"));
	json_object_set_new(rec, "CreateSource",
			    json_boolean(json_is_true(json_object_get(bo, "CreateMountpoint"))));
	return 0;
}

static int spec_volume(const json_t *m, json_t *rec, berth_error_t *err)
{
	const json_t *vo = obj_field(m, "VolumeOptions"), *dc = obj_field(vo, "DriverConfig");
	const char *src = str_field(m, "Source"), *driver = str_field(dc, "Name");
	const char *sub = str_field(vo, "Subpath");
	const json_t *labels = obj_field(vo, "Labels"), *opts = obj_field(dc, "Options");
	bool anon = src == NULL || *src == '\0';

	if (obj_field(m, "BindOptions"))
		return mount_config_error(err, "volume", "field %s must not be specified",
					  "BindOptions");
	if (obj_field(m, "TmpfsOptions"))
		return mount_config_error(err, "volume", "field %s must not be specified",
					  "TmpfsOptions");
	if (sub && *sub) {
		if (anon)
			return mount_config_error(err, "volume", "%s",
						  "must not set Subpath when using anonymous volumes");
		return berth_make_error(err, ENOSYS, "volume subpaths are not implemented yet");
	}
	if (json_is_true(json_object_get(m, "ReadOnly")) && anon)
		return mount_config_error(err, "volume", "%s",
					  "must not set ReadOnly mode when using anonymous volumes");
	if ((labels && !json_is_object(labels)) || (opts && !json_is_object(opts)) ||
	    (vo && !json_is_object(vo)))
		return mount_config_error(err, "volume", "%s", "invalid volume options");
	if (driver && *driver && strcmp(driver, "local") != 0)
		return berth_make_error(err, ENOENT,
					"error looking up volume plugin %s: plugin \"%s\" not found",
					driver, driver);
	set_volume(rec, src, !json_is_true(json_object_get(vo, "NoCopy")));
	json_object_set_new(rec, "Mode", json_string("z"));
	if (labels)
		json_object_set(rec, "VolumeLabels", (json_t *)labels);
	if (opts)
		json_object_set(rec, "VolumeOptions", (json_t *)opts);
	return 0;
}

static int spec_tmpfs(const json_t *m, json_t *rec, berth_error_t *err)
{
	const char *src = str_field(m, "Source");
	cleanup_free char *data = NULL;

	if (obj_field(m, "BindOptions"))
		return mount_config_error(err, "tmpfs", "field %s must not be specified",
					  "BindOptions");
	if (obj_field(m, "VolumeOptions"))
		return mount_config_error(err, "tmpfs", "field %s must not be specified",
					  "VolumeOptions");
	if (src && *src)
		return mount_config_error(err, "tmpfs", "field %s must not be specified", "Source");
	if (tmpfs_data("tmpfs", obj_field(m, "TmpfsOptions"),
		       json_is_true(json_object_get(m, "ReadOnly")), &data, err) < 0)
		return -1;
	json_object_set_new(rec, "TmpfsData", json_string(data));
	return 0;
}

int berth_mount_parse_spec(const json_t *m, json_t **out, berth_error_t *err)
{
	const char *type = str_field(m, "Type"), *target = str_field(m, "Target");
	json_t *rec;
	int ret;

	if (!json_is_object(m))
		return berth_make_error(err, EINVAL, "invalid mount config: must be an object");
	if (type == NULL || *type == '\0')
		return berth_make_error(err, EINVAL, "invalid mount config for type \"\": mount "
						     "type unknown");
	if (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 && strcmp(type, "tmpfs") != 0) {
		if (strcmp(type, "npipe") == 0 || strcmp(type, "cluster") == 0 ||
		    strcmp(type, "image") == 0)
			return berth_make_error(err, ENOSYS,
						"mounts of type \"%s\" are not implemented", type);
		return mount_config_error(err, type, "%s", "mount type unknown");
	}
	if ((json_object_get(m, "ReadOnly") && !json_is_boolean(json_object_get(m, "ReadOnly")) &&
	     !json_is_null(json_object_get(m, "ReadOnly"))) ||
	    (json_object_get(m, "Source") && !json_is_string(json_object_get(m, "Source")) &&
	     !json_is_null(json_object_get(m, "Source"))))
		return mount_config_error(err, type, "%s", "invalid field types");
	if (check_target(type, target, err) < 0)
		return -1;
	rec = record(type, target, !json_is_true(json_object_get(m, "ReadOnly")));
	if (strcmp(type, "bind") == 0)
		ret = spec_bind(m, rec, err);
	else if (strcmp(type, "volume") == 0)
		ret = spec_volume(m, rec, err);
	else
		ret = spec_tmpfs(m, rec, err);
	if (ret < 0) {
		json_decref(rec);
		return -1;
	}
	*out = rec;
	return 0;
}

/* --- VolumesFrom ------------------------------------------------------------------------- */

int berth_mount_parse_volumes_from(const char *spec, char **id, bool *rw, berth_error_t *err)
{
	const char *colon;
	const char *mode;

	if (spec == NULL || *spec == '\0')
		return berth_make_error(err, EINVAL,
					"volumes-from specification cannot be an empty string");
	if (strlen(spec) > BERTH_MOUNT_MAX_SPEC)
		return berth_make_error(err, EINVAL, "invalid volumes-from specification");
	colon = strchr(spec, ':');
	mode = colon ? colon + 1 : "";
	if (!valid_mode(mode))
		return berth_make_error(err, EINVAL, "invalid mode: %s", mode);
	if (mode_propagation(mode) || mode_has(mode, "nocopy"))
		return berth_make_error(err, EINVAL, "invalid mode for volumes-from: %s", mode);
	*id = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	*rw = !mode_has(mode, "ro");
	return 0;
}

/* --- the local driver -------------------------------------------------------------------- */

bool berth_volume_name_valid(const char *n)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t len = n ? strlen(n) : 0;

	return len >= 2 && len <= BERTH_VOLUME_MAX_NAME && strspn(n, chars) == len &&
	       strchr("_.-", n[0]) == NULL;
}

/* The mount flags of the "o" option's words, as the local driver's
 * mount.ParseOptions; the rest is the filesystem's data. */
static const struct {
	const char *word;
	unsigned long set, clear;
} o_flags[] = {
	{ "ro", MS_RDONLY, 0 },	      { "rw", 0, MS_RDONLY },	      { "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },     { "nodev", MS_NODEV, 0 },	      { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },   { "exec", 0, MS_NOEXEC },	      { "bind", MS_BIND, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 }, { "noatime", MS_NOATIME, 0 }, { "relatime", MS_RELATIME, 0 },
	{ "strictatime", MS_STRICTATIME, 0 }, { "sync", MS_SYNCHRONOUS, 0 },
	{ "nodiratime", MS_NODIRATIME, 0 },
};

static void parse_o(const char *o, unsigned long *flags, char **data)
{
	struct berth_strbuf b = BERTH_STRBUF_INIT;
	const char *p = o ? o : "";

	*flags = 0;
	while (*p) {
		size_t len = strcspn(p, ","), i;
		for (i = 0; i < BERTH_ARRAY_SIZE(o_flags); i++)
			if (strlen(o_flags[i].word) == len && strncmp(o_flags[i].word, p, len) == 0)
				break;
		if (i < BERTH_ARRAY_SIZE(o_flags)) {
			*flags = (*flags | o_flags[i].set) & ~o_flags[i].clear;
		} else if (len > 0) {
			berth_strbuf_printf(&b, "%s%.*s", b.len ? "," : "", (int)len, p);
		}
		p += len + (p[len] == ',');
	}
	*data = b.len ? berth_strbuf_steal(&b) : NULL;
	berth_strbuf_release(&b);
}

int berth_volume_check_opts(const json_t *opts, berth_error_t *err)
{
	static const char *const valid[] = { "type", "device", "o", "size" };
	const char *type, *device, *o, *key;
	unsigned long flags = 0;
	cleanup_free char *data = NULL;
	json_t *v;
	size_t i;

	if (opts == NULL || json_is_null(opts))
		return 0;
	if (!json_is_object(opts))
		return berth_make_error(err, EINVAL, "invalid driver options: must be an object");
	if (json_object_size(opts) == 0)
		return 0;
	json_object_foreach ((json_t *)opts, key, v) {
		for (i = 0; i < BERTH_ARRAY_SIZE(valid); i++)
			if (strcmp(key, valid[i]) == 0)
				break;
		if (i == BERTH_ARRAY_SIZE(valid))
			return berth_make_error(err, EINVAL, "invalid option: \"%s\"", key);
		if (!json_is_string(v) || json_string_length(v) > BERTH_VOLUME_MAX_OPTION)
			return berth_make_error(err, EINVAL, "invalid option value for \"%s\"", key);
	}
	type = str_field(opts, "type");
	device = str_field(opts, "device");
	o = str_field(opts, "o");
	if (str_field(opts, "size"))
		return berth_make_error(err, EINVAL, "quota size requested but no quota support");
	if (device && !type)
		return berth_make_error(err, EINVAL, "missing required option: \"type\"");
	if (type && !device)
		return berth_make_error(err, EINVAL, "missing required option: \"device\"");
	if (o && (!type || !device))
		return berth_make_error(err, EINVAL, "missing required option: \"%s\"",
					!device ? "device" : "type");
	if (type == NULL)
		return 0;
	parse_o(o, &flags, &data);
	if (strcmp(type, "tmpfs") == 0)
		return (flags & MS_BIND) ? berth_make_error(err, EINVAL,
							    "invalid option: a tmpfs volume "
							    "cannot be a bind")
					 : 0;
	if (strcmp(type, "none") == 0 && (flags & MS_BIND)) {
		if (!is_abs(device))
			return berth_make_error(err, EINVAL,
						"invalid device for a bind volume: %s: must be an "
						"absolute path",
						device);
		return 0;
	}
	return berth_make_error(err, ENOSYS,
				"local volumes of type \"%s\" are not implemented: berth mounts "
				"type=tmpfs and type=none with o=bind",
				type);
}

bool berth_volume_mount_args(const json_t *opts, char **source, char **fstype,
			     unsigned long *flags, char **data)
{
	const char *type = str_field(opts, "type"), *device = str_field(opts, "device");

	if (type == NULL || device == NULL)
		return false;
	parse_o(str_field(opts, "o"), flags, data);
	*source = xstrdup(device);
	*fstype = (*flags & MS_BIND) ? NULL : xstrdup(type);
	return true;
}

json_t *berth_mount_view(const json_t *rec)
{
	static const char *const bind_keys[] = { "Type", "Source", "Destination", "Mode", "RW",
						 "Propagation" };
	static const char *const vol_keys[] = { "Type", "Name",	 "Source",     "Destination",
						"Driver", "Mode", "RW", "Propagation" };
	bool vol = strcmp(str_field(rec, "Type") ?: "", "volume") == 0;
	const char *const *keys = vol ? vol_keys : bind_keys;
	size_t i, n = vol ? BERTH_ARRAY_SIZE(vol_keys) : BERTH_ARRAY_SIZE(bind_keys);
	json_t *out = json_object();

	for (i = 0; i < n; i++) {
		json_t *v = json_object_get(rec, keys[i]);
		json_object_set_new(out, keys[i], v ? json_incref(v) : json_string(""));
	}
	return out;
}
