/* cmd_container_config.c: docker's parse() for `create` and `run`: the
 * options turned into the body of POST /containers/create — Config with
 * HostConfig and NetworkingConfig — field by field in the order the Go
 * client marshals them, with the Go maps' keys sorted as encoding/json
 * sorts them. The daemon sees what docker's CLI would have sent. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/container_internal.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of OBJ (consumed) with its keys sorted, as Go marshals maps. */
static json_t *sorted(json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	cleanup_free const char **keys = xcalloc(n + 1, sizeof(*keys));
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach (obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(obj, keys[i]));
	json_decref(obj);
	return out;
}

/* A JSON array of V, or null when empty (a nil Go slice). */
static json_t *str_array(const struct berth_strv *v, bool empty_is_null)
{
	json_t *a;

	if (v->n == 0 && empty_is_null)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

/* "k=v" strings into a sorted map (ConvertKVStringsToMap). */
static json_t *kv_map(const struct berth_strv *v)
{
	json_t *m = json_object();

	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');
		cleanup_free char *k =
		    xstrndup(v->v[i], eq ? (size_t)(eq - v->v[i]) : strlen(v->v[i]));
		json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
	}
	return sorted(m);
}

/* The "k=v" strings of the JSON array A as a sorted map. */
static json_t *labels_map(const json_t *a)
{
	json_t *m = json_object(), *v;
	size_t i;

	json_array_foreach (a, i, v) {
		const char *s = json_string_value(v), *eq = strchr(s, '=');
		cleanup_free char *k = xstrndup(s, eq ? (size_t)(eq - s) : strlen(s));
		json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
	}
	return sorted(m);
}

static bool inet_pton_ok(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int64_t num_or(const char *s, int64_t dflt)
{
	int64_t v;
	return s && berth_cli_parse_int(s, &v) ? v : (s ? (int64_t)strtoll(s, NULL, 0) : dflt);
}

static int64_t bytes_or_zero(const char *s)
{
	berth_error_t ignored = NULL;
	int64_t v = 0;

	if (s && berth_cli_parse_ram(s, &v, &ignored) < 0) {
		berth_error_release(&ignored);
		v = 0;
	}
	return v;
}

/* ---- env and label files (docker's kvfile) ---- */

static int kvfile_line(const char *path, char *line, bool env, json_t *arr, berth_error_t *err)
{
	size_t klen;

	while (*line == ' ' || *line == '\t' || *line == '\v' || *line == '\f' || *line == '\r')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	klen = strcspn(line, "=");
	if (klen == 0)
		return berth_make_error(err, EINVAL,
					"invalid env file (%s): no variable name on line '%s'",
					path, line);
	for (size_t i = 0; i < klen; i++)
		if (line[i] == ' ' || line[i] == '\t')
			return berth_make_error(
			    err, EINVAL,
			    "invalid env file (%s): variable '%.*s' contains whitespaces", path,
			    (int)klen, line);
	if (line[klen] == '=') {
		json_array_append_new(arr, json_string(line));
	} else if (env && getenv(line)) {
		cleanup_free char *kv = xasprintf("%s=%s", line, getenv(line));
		json_array_append_new(arr, json_string(kv));
	}
	return 0;
}

/* kvfile.Parse: lines "k=v", "#" comments, a bare "k" taken from the
 * environment (ENV) or dropped. */
static int kvfile_parse(const char *path, bool env, json_t *arr, berth_error_t *err)
{
	cleanup_file FILE *f = fopen(path, "re");
	cleanup_free char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	bool first = true;

	if (f == NULL)
		return berth_make_error(err, errno, "open %s: %s", path,
					errno == ENOENT ? "no such file or directory"
							: strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *l = line;
		total += (size_t)n;
		if (total > BERTH_CLI_KVFILE_MAX)
			return berth_make_error(err, EFBIG, "invalid env file (%s): too large",
						path);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (first && strncmp(l, "\xef\xbb\xbf", 3) == 0)
			l += 3;
		first = false;
		if (kvfile_line(path, l, env, arr, err) < 0)
			return -1;
	}
	return 0;
}

/* ReadKVStrings: the files' lines, then the flags. */
static int read_kv(const struct berth_strv *files, const struct berth_strv *flags, bool env,
		   json_t **out, berth_error_t *err)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < files->n; i++) {
		if (kvfile_parse(files->v[i], env, arr, err) < 0) {
			json_decref(arr);
			return -1;
		}
	}
	for (size_t i = 0; i < flags->n; i++) {
		const char *v = flags->v[i];
		/* ValidateEnv: a bare name takes its value from the environment */
		if (env && strchr(v, '=') == NULL && getenv(v)) {
			cleanup_free char *kv = xasprintf("%s=%s", v, getenv(v));
			json_array_append_new(arr, json_string(kv));
		} else {
			json_array_append_new(arr, json_string(v));
		}
	}
	*out = arr;
	return 0;
}

/* ---- ports ---- */

/* nat.ParsePortRange: "80" or "8000-8010". */
static int port_range(const char *s, unsigned long *start, unsigned long *end)
{
	char *e;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	*start = strtoul(s, &e, 10);
	if (*start > 65535)
		return -1;
	*end = *start;
	if (*e == '-') {
		if (!isdigit((unsigned char)e[1]))
			return -1;
		*end = strtoul(e + 1, &e, 10);
		if (*end > 65535 || *end < *start)
			return -1;
	}
	return *e ? -1 : 0;
}

static void add_binding(json_t *exposed, json_t *bindings, const char *port, const char *ip,
			const char *host_port)
{
	json_t *list = json_object_get(bindings, port);

	json_object_set_new(exposed, port, json_object());
	if (list == NULL)
		json_object_set_new(bindings, port, list = json_array());
	json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", host_port));
}

/* The parts of "ip:hostPort:containerPort/proto" (nat's splitParts). */
static void split_port_spec(char *spec, char **ip, char **host, char **cport)
{
	char *last = strrchr(spec, ':'), *prev;

	*ip = *host = "";
	*cport = spec;
	if (last == NULL)
		return;
	*last = '\0';
	*cport = last + 1;
	prev = strrchr(spec, ':');
	if (prev == NULL) {
		*host = spec;
		return;
	}
	*prev = '\0';
	*host = prev + 1;
	*ip = spec;
}

static int parse_port_spec(const char *raw, json_t *exposed, json_t *bindings, berth_error_t *err)
{
	cleanup_free char *spec = xstrdup(raw);
	char *ip, *host, *cport, *proto = "tcp", *slash;
	unsigned long cs, ce, hs = 0, he = 0;
	size_t iplen;

	split_port_spec(spec, &ip, &host, &cport);
	slash = strchr(cport, '/');
	if (slash) {
		*slash = '\0';
		if (slash[1])
			proto = slash + 1;
	}
	iplen = strlen(ip);
	if (iplen > 1 && ip[0] == '[' && ip[iplen - 1] == ']') {
		ip[iplen - 1] = '\0';
		ip++;
	}
	if (*ip && !(inet_pton_ok(ip)))
		return berth_make_error(err, EINVAL, "invalid IP address: %s", ip);
	if (*cport == '\0')
		return berth_make_error(err, EINVAL, "no port specified: %s<empty>", raw);
	if (port_range(cport, &cs, &ce) < 0)
		return berth_make_error(err, EINVAL, "invalid containerPort: %s", cport);
	if (*host && port_range(host, &hs, &he) < 0)
		return berth_make_error(err, EINVAL, "invalid hostPort: %s", host);
	if (*host && ce - cs != he - hs && ce != cs)
		return berth_make_error(
		    err, EINVAL, "invalid ranges specified for container and host Ports: %s and %s",
		    cport, host);
	cleanup_free char *lproto = xstrdup(proto);
	for (char *p = lproto; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(lproto, "tcp") && strcmp(lproto, "udp") && strcmp(lproto, "sctp"))
		return berth_make_error(err, EINVAL, "invalid proto: %s", proto);
	for (unsigned long i = 0; i <= ce - cs; i++) {
		cleanup_free char *port = xasprintf("%lu/%s", cs + i, lproto);
		cleanup_free char *hp = NULL;
		if (*host && cs == ce && hs != he)
			hp = xasprintf("%lu-%lu", hs, he);
		else
			hp = *host ? xasprintf("%lu", hs + i) : xstrdup("");
		add_binding(exposed, bindings, port, ip, hp);
	}
	return 0;
}

/* docker's convertToStandardNotation: "published=8080,target=80". */
static char *standard_port(const char *spec, berth_error_t *err)
{
	cleanup_free char *dup = xstrdup(spec);
	const char *pub = "", *target = "", *proto = "tcp";
	char *save = NULL;

	if (strchr(spec, '=') == NULL)
		return xstrdup(spec);
	for (char *f = strtok_r(dup, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq == NULL || eq == f) {
			berth_make_error(
			    err, EINVAL,
			    "invalid publish opts format (should be name=value but got '%s')", f);
			return NULL;
		}
		*eq = '\0';
		if (strcmp(f, "published") == 0)
			pub = eq + 1;
		else if (strcmp(f, "target") == 0)
			target = eq + 1;
		else if (strcmp(f, "protocol") == 0)
			proto = eq + 1;
	}
	return xasprintf("%s:%s/%s", pub, target, proto);
}

static int build_ports(const struct berth_cli_create_opts *o, json_t **exposed_out,
		       json_t **bindings_out, berth_error_t *err)
{
	json_t *exposed = json_object(), *bindings = json_object();
	int ret = 0;

	for (size_t i = 0; i < o->publish.n && ret == 0; i++) {
		cleanup_free char *std = standard_port(o->publish.v[i], err);
		ret = std ? parse_port_spec(std, exposed, bindings, err) : -1;
	}
	for (size_t i = 0; i < o->expose.n && ret == 0; i++) {
		const char *e = o->expose.v[i], *slash = strchr(e, '/');
		cleanup_free char *port = xstrndup(e, slash ? (size_t)(slash - e) : strlen(e));
		unsigned long s, end;
		if (strchr(e, ':')) {
			ret = berth_make_error(err, EINVAL, "invalid port format for --expose: %s",
					       e);
			break;
		}
		if (port_range(port, &s, &end) < 0) {
			ret = berth_make_error(
			    err, EINVAL,
			    "invalid range format for --expose: %s, error: invalid start port '%s': invalid syntax",
			    e, port);
			break;
		}
		for (unsigned long p = s; p <= end; p++) {
			cleanup_free char *k =
			    xasprintf("%lu/%s", p, slash && slash[1] ? slash + 1 : "tcp");
			json_object_set_new(exposed, k, json_object());
		}
	}
	if (ret < 0) {
		json_decref(exposed);
		json_decref(bindings);
		return -1;
	}
	*exposed_out = sorted(exposed);
	*bindings_out = sorted(bindings);
	return 0;
}

/* ---- volumes and mounts ---- */

/* -v: "src:dst[:mode]" binds (a relative "./src" made absolute), a lone
 * path an anonymous volume (Config.Volumes). */
static void build_volumes(const struct berth_cli_create_opts *o, json_t **binds, json_t **volumes)
{
	json_t *vols = json_object();

	*binds = json_null();
	for (size_t i = 0; i < o->volume.n; i++) {
		const char *v = o->volume.v[i], *colon = strchr(v, ':');
		cleanup_free char *cwd = NULL;
		cleanup_free char *bind = NULL;
		if (colon == NULL) {
			json_object_set_new(vols, v, json_object());
			continue;
		}
		if (v[0] == '.' && (cwd = getcwd(NULL, 0)) != NULL)
			bind = xasprintf("%s/%s", cwd, v);
		if (json_is_null(*binds))
			*binds = json_array();
		json_array_append_new(*binds, json_string(bind ? bind : v));
	}
	*volumes = sorted(vols);
}

static bool parse_bool_word(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(yes); i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(v, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static json_t *sub_object(json_t *m, const char *key)
{
	json_t *sub = json_object_get(m, key);

	if (sub == NULL)
		json_object_set_new(m, key, sub = json_object());
	return sub;
}

/* One key of a --mount value into M (opts.MountOpt.Set). */
static int mount_field(json_t *m, const char *key, const char *val, bool has_val,
		       berth_error_t *err)
{
	bool b = true;
	int64_t n;

	if (strcmp(key, "type") == 0)
		json_object_set_new(m, "Type", json_string(val));
	else if (!strcmp(key, "source") || !strcmp(key, "src"))
		json_object_set_new(m, "Source", json_string(val));
	else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
		json_object_set_new(m, "Target", json_string(val));
	else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		if (has_val && !parse_bool_word(val, &b))
			return berth_make_error(err, EINVAL, "invalid value for %s: %s", key, val);
		json_object_set_new(m, "ReadOnly", json_boolean(b));
	} else if (strcmp(key, "consistency") == 0)
		json_object_set_new(m, "Consistency", json_string(val));
	else if (strcmp(key, "bind-propagation") == 0)
		json_object_set_new(sub_object(m, "BindOptions"), "Propagation", json_string(val));
	else if (strcmp(key, "bind-create-mountpoint") == 0) {
		if (has_val && !parse_bool_word(val, &b))
			return berth_make_error(err, EINVAL, "invalid value for %s: %s", key, val);
		json_object_set_new(sub_object(m, "BindOptions"), "CreateMountpoint", json_boolean(b));
	} else if (strcmp(key, "volume-driver") == 0)
		json_object_set_new(sub_object(sub_object(m, "VolumeOptions"), "DriverConfig"), "Name",
				    json_string(val));
	else if (strcmp(key, "volume-label") == 0 || strcmp(key, "volume-opt") == 0) {
		const char *eq = strchr(val, '=');
		cleanup_free char *k = eq ? xstrndup(val, (size_t)(eq - val)) : xstrdup(val);
		json_t *vo = sub_object(m, "VolumeOptions");
		json_t *dst = strcmp(key, "volume-label") == 0
				  ? sub_object(vo, "Labels")
				  : sub_object(sub_object(vo, "DriverConfig"), "Options");
		if (strcmp(key, "volume-opt") == 0 && eq == NULL)
			return berth_make_error(err, EINVAL,
						"invalid value for volume-opt: %s", val);
		json_object_set_new(dst, k, json_string(eq ? eq + 1 : ""));
	}
	else if (strcmp(key, "volume-nocopy") == 0) {
		if (has_val && !parse_bool_word(val, &b))
			return berth_make_error(err, EINVAL, "invalid value for volume-nocopy: %s",
						val);
		json_object_set_new(sub_object(m, "VolumeOptions"), "NoCopy", json_boolean(b));
	} else if (strcmp(key, "volume-subpath") == 0)
		json_object_set_new(sub_object(m, "VolumeOptions"), "Subpath", json_string(val));
	else if (strcmp(key, "tmpfs-size") == 0) {
		if (berth_cli_parse_ram(val, &n, err) < 0) {
			berth_error_release(err);
			return berth_make_error(err, EINVAL, "invalid value for %s: %s", key, val);
		}
		json_object_set_new(sub_object(m, "TmpfsOptions"), "SizeBytes", json_integer(n));
	} else if (strcmp(key, "tmpfs-mode") == 0) {
		char *end;
		long mode = strtol(val, &end, 8);
		if (*end || *val == '\0')
			return berth_make_error(err, EINVAL, "invalid value for %s: %s", key, val);
		json_object_set_new(sub_object(m, "TmpfsOptions"), "Mode", json_integer(mode));
	} else
		return berth_make_error(err, EINVAL, "unexpected key '%s' in '%s'", key, key);
	return 0;
}

/* The JSON of one mount.Mount in Go's field order. */
static json_t *mount_json(json_t *m)
{
	static const char *const order[] = { "Type",	      "Source",	     "Target",
					     "ReadOnly",      "Consistency", "BindOptions",
					     "VolumeOptions", "TmpfsOptions" };
	json_t *out = json_object();

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(order); i++)
		if (json_object_get(m, order[i]))
			json_object_set(out, order[i], json_object_get(m, order[i]));
	return out;
}

static int parse_mount(const char *spec, json_t **out, berth_error_t *err)
{
	cleanup_free char *dup = xstrdup(spec);
	json_auto_t *m = json_pack("{s:s}", "Type", "volume");
	char *save = NULL;
	const char *type;

	for (char *f = strtok_r(dup, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq)
			*eq = '\0';
		if (eq == NULL && strcmp(f, "readonly") && strcmp(f, "ro") &&
		    strcmp(f, "volume-nocopy") && strcmp(f, "bind-create-mountpoint"))
			return berth_make_error(err, EINVAL,
						"invalid field '%s' must be a key=value pair", f);
		for (char *p = f; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (mount_field(m, f, eq ? eq + 1 : "", eq != NULL, err) < 0)
			return -1;
	}
	type = json_string_value(json_object_get(m, "Type"));
	if (type == NULL || *type == '\0')
		return berth_make_error(err, EINVAL, "type is required");
	if (json_object_get(m, "Target") == NULL)
		return berth_make_error(err, EINVAL, "target is required");
	if (json_object_get(m, "VolumeOptions") && strcmp(type, "volume"))
		return berth_make_error(err, EINVAL,
					"cannot mix 'volume-*' options with mount type '%s'", type);
	if (json_object_get(m, "BindOptions") && strcmp(type, "bind"))
		return berth_make_error(err, EINVAL,
					"cannot mix 'bind-*' options with mount type '%s'", type);
	if (json_object_get(m, "TmpfsOptions") && strcmp(type, "tmpfs"))
		return berth_make_error(err, EINVAL,
					"cannot mix 'tmpfs-*' options with mount type '%s'", type);
	*out = mount_json(m);
	return 0;
}

/* ---- devices ---- */

static bool device_mode(const char *m)
{
	bool seen[3] = { false, false, false };

	if (*m == '\0')
		return false;
	for (; *m; m++) {
		const char *p = strchr("rwm", *m);
		if (p == NULL || *m == '\0' || seen[p - "rwm"])
			return false;
		seen[p - "rwm"] = true;
	}
	return true;
}

/* validateLinuxPath + parseLinuxDevice: "src[:dst][:mode]". */
static int parse_device(const char *spec, json_t **out, berth_error_t *err)
{
	cleanup_free char *dup = xstrdup(spec);
	char *parts[3] = { dup, NULL, NULL };
	const char *dst, *perm = "rwm";
	int n = 1;

	for (char *p = dup; *p; p++) {
		if (*p != ':')
			continue;
		if (n == 3)
			return berth_make_error(err, EINVAL, "bad format for path: %s", spec);
		*p = '\0';
		parts[n++] = p + 1;
	}
	if (*parts[0] == '\0')
		return berth_make_error(err, EINVAL, "bad format for path: %s", spec);
	dst = parts[0];
	if (n == 2 && device_mode(parts[1]))
		perm = parts[1];
	else if (n >= 2)
		dst = parts[1];
	if (n == 3) {
		if (!device_mode(parts[2]))
			return berth_make_error(err, EINVAL, "bad mode specified: %s", parts[2]);
		perm = parts[2];
	}
	if (dst[0] != '/')
		return berth_make_error(err, EINVAL, "%s is not an absolute path", dst);
	*out = json_pack("{s:s, s:s, s:s}", "PathOnHost", parts[0], "PathInContainer", dst,
			 "CgroupPermissions", perm);
	return 0;
}

/* ---- small policies ---- */

/* opts.ParseRestartPolicy. */
static int restart_policy(const char *policy, json_t **out, berth_error_t *err)
{
	const char *colon = policy ? strchr(policy, ':') : NULL;
	cleanup_free char *name = NULL;
	int64_t count = 0;

	if (policy == NULL || *policy == '\0') {
		*out = json_pack("{s:s, s:i}", "Name", "", "MaximumRetryCount", 0);
		return 0;
	}
	if (colon == policy)
		return berth_make_error(
		    err, EINVAL, "invalid restart policy format: no policy provided before colon");
	if (colon && colon[1] && !berth_cli_parse_int(colon + 1, &count))
		return berth_make_error(
		    err, EINVAL,
		    "invalid restart policy format: maximum retry count must be an integer");
	name = xstrndup(policy, colon ? (size_t)(colon - policy) : strlen(policy));
	*out = json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)count);
	return 0;
}

/* parseSecurityOpts and parseSystemPaths: a seccomp profile file is sent
 * inline, "systempaths=unconfined" empties the masked and read-only paths. */
static int security_opts(const struct berth_strv *in, json_t **opts, bool *unconfined,
			 berth_error_t *err)
{
	*unconfined = false;
	*opts = in->n ? json_array() : json_null();
	for (size_t i = 0; i < in->n; i++) {
		const char *s = in->v[i], *sep = strchr(s, '=');
		if (strcmp(s, "no-new-privileges") && sep == NULL)
			sep = strchr(s, ':');
		if (strcmp(s, "no-new-privileges") && (sep == NULL || sep[1] == '\0'))
			return berth_make_error(err, EINVAL, "Invalid --security-opt: \"%s\"", s);
		if (strcmp(s, "systempaths=unconfined") == 0) {
			*unconfined = true;
			continue;
		}
		if (sep && strncmp(s, "seccomp", (size_t)(sep - s)) == 0 && sep - s == 7 &&
		    strcmp(sep + 1, "builtin") && strcmp(sep + 1, "unconfined")) {
			json_error_t jerr;
			json_t *prof = json_load_file(sep + 1, 0, &jerr);
			if (prof == NULL)
				return berth_make_error(err, EINVAL,
							"opening seccomp profile (%s) failed: %s",
							sep + 1, jerr.text);
			char *c = json_dumps(prof, JSON_COMPACT | JSON_PRESERVE_ORDER);
			cleanup_free char *opt = xasprintf("seccomp=%s", c);
			free(c);
			json_decref(prof);
			json_array_append_new(*opts, json_string(opt));
			continue;
		}
		json_array_append_new(*opts, json_string(s));
	}
	if (*unconfined && json_array_size(*opts) == 0) {
		json_decref(*opts);
		*opts = json_array();
	}
	return 0;
}

/* normalizeCapabilities of the Go client: upper case, "CAP_" prefixed,
 * unique, sorted. */
static json_t *caps(const struct berth_strv *in)
{
	cleanup_free char **v = xcalloc(in->n + 1, sizeof(*v));
	json_t *out;
	size_t n = 0;

	if (in->n == 0)
		return json_null();
	for (size_t i = 0; i < in->n; i++) {
		cleanup_free char *up = xstrdup(in->v[i]);
		bool dup = false;
		for (char *p = up; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		char *c = strcmp(up, "ALL") == 0 || strncmp(up, "CAP_", 4) == 0
			      ? xstrdup(up)
			      : xasprintf("CAP_%s", up);
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(v[k], c) == 0;
		if (dup)
			free(c);
		else
			v[n++] = c;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(out, json_string(v[i]));
		free(v[i]);
	}
	return out;
}

/* ---- health ---- */

static int health(const struct berth_cli_create_opts *o, json_t **out, berth_error_t *err)
{
	int64_t interval = 0, timeout = 0, start = 0, sinterval = 0, retries = 0;
	bool have = o->health_cmd || o->health_interval || o->health_timeout ||
		    o->health_start_period || o->health_retries || o->health_start_interval;

	*out = NULL;
	if (o->no_healthcheck) {
		if (have && ((o->health_cmd && *o->health_cmd) || num_or(o->health_retries, 0)))
			return berth_make_error(
			    err, EINVAL, "--no-healthcheck conflicts with --health-* options");
		*out = json_pack("{s:[s]}", "Test", "NONE");
		return 0;
	}
	if (!have)
		return 0;
	if (o->health_interval)
		berth_cli_parse_go_duration(o->health_interval, &interval, err);
	if (o->health_timeout)
		berth_cli_parse_go_duration(o->health_timeout, &timeout, err);
	if (o->health_start_period)
		berth_cli_parse_go_duration(o->health_start_period, &start, err);
	if (o->health_start_interval)
		berth_cli_parse_go_duration(o->health_start_interval, &sinterval, err);
	retries = num_or(o->health_retries, 0);
	if (interval < 0)
		return berth_make_error(err, EINVAL, "--health-interval cannot be negative");
	if (timeout < 0)
		return berth_make_error(err, EINVAL, "--health-timeout cannot be negative");
	if (retries < 0)
		return berth_make_error(err, EINVAL, "--health-retries cannot be negative");
	if (start < 0)
		return berth_make_error(err, EINVAL, "--health-start-period cannot be negative");
	if (sinterval < 0)
		return berth_make_error(err, EINVAL, "--health-start-interval cannot be negative");
	*out = json_pack("{s:o}", "Test",
			 o->health_cmd && *o->health_cmd
			     ? json_pack("[s, s]", "CMD-SHELL", o->health_cmd)
			     : json_null());
	/* Go's omitempty drops the zero ones */
	const struct {
		const char *key;
		int64_t v;
	} fields[] = { { "Interval", interval },
		       { "Timeout", timeout },
		       { "StartPeriod", start },
		       { "StartInterval", sinterval },
		       { "Retries", retries } };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(fields); i++)
		if (fields[i].v)
			json_object_set_new(*out, fields[i].key, json_integer(fields[i].v));
	return 0;
}

/* ---- networking ---- */

static bool user_defined(const char *mode)
{
	static const char *const builtin[] = { "default", "bridge", "host", "none" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(builtin); i++)
		if (strcmp(mode, builtin[i]) == 0)
			return false;
	return strncmp(mode, "container:", 10) != 0;
}

struct net_attach {
	char *target; /* owned */
	json_t *aliases;
	char *ip, *ip6, *mac; /* owned */
	json_t *link_local, *driver_opts;
};

static void net_attach_release(struct net_attach *n)
{
	free(n->target);
	free(n->ip);
	free(n->ip6);
	free(n->mac);
	json_decref(n->aliases);
	json_decref(n->link_local);
	json_decref(n->driver_opts);
}

/* NetworkOpt.Set: a name, or "name=x,alias=y,ip=..." */
static int parse_network(const char *value, struct net_attach *n, berth_error_t *err)
{
	cleanup_free char *dup = NULL;
	char *save = NULL;

	memset(n, 0, sizeof(*n));
	if (strchr(value, '=') == NULL) {
		n->target = xstrdup(value);
		return 0;
	}
	dup = xstrdup(value);
	n->aliases = json_array();
	for (char *f = strtok_r(dup, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (eq == NULL || eq == f)
			return berth_make_error(err, EINVAL, "invalid field %s", f);
		*eq = '\0';
		for (char *p = f; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		const char *v = eq + 1;
		if (strcmp(f, "name") == 0)
			n->target = xstrdup(v);
		else if (strcmp(f, "alias") == 0)
			json_array_append_new(n->aliases, json_string(v));
		else if (strcmp(f, "ip") == 0)
			n->ip = xstrdup(v);
		else if (strcmp(f, "ip6") == 0)
			n->ip6 = xstrdup(v);
		else if (strcmp(f, "mac-address") == 0)
			n->mac = xstrdup(v);
		else if (strcmp(f, "link-local-ip") == 0) {
			if (n->link_local == NULL)
				n->link_local = json_array();
			json_array_append_new(n->link_local, json_string(v));
		} else
			return berth_make_error(err, EINVAL, "invalid field key %s", f);
	}
	if (n->target == NULL || *n->target == '\0')
		return berth_make_error(err, EINVAL, "network name/id is not specified");
	return 0;
}

/* EndpointSettings of the API version the Go client marshals, zero valued. */
static json_t *endpoint(const struct net_attach *n)
{
	json_t *ipam = json_null();

	if (n->ip || n->ip6 || n->link_local) {
		ipam = json_object();
		if (n->ip)
			json_object_set_new(ipam, "IPv4Address", json_string(n->ip));
		if (n->ip6)
			json_object_set_new(ipam, "IPv6Address", json_string(n->ip6));
		if (n->link_local)
			json_object_set(ipam, "LinkLocalIPs", n->link_local);
	}
	return json_pack(
	    "{s:o, s:n, s:o, s:s, s:n, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:n}",
	    "IPAMConfig", ipam, "Links", "Aliases",
	    n->aliases && json_array_size(n->aliases) ? json_incref(n->aliases) : json_null(),
	    "MacAddress", n->mac ? n->mac : "", "DriverOpts", "GwPriority", 0, "NetworkID", "",
	    "EndpointID", "", "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
	    "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "DNSNames");
}

/* applyContainerOptions: --network-alias, --ip, --ip6, --mac-address and
 * --link-local-ip go to the first network. */
static int apply_container_net(struct net_attach *n, const struct berth_cli_create_opts *o,
			       berth_error_t *err)
{
	if (o->alias.n && n->aliases && json_array_size(n->aliases))
		return berth_make_error(
		    err, EINVAL,
		    "conflicting options: cannot specify both --network-alias and per-network alias");
	if (o->ip && *o->ip && n->ip)
		return berth_make_error(
		    err, EINVAL,
		    "conflicting options: cannot specify both --ip and per-network IPv4 address");
	if (o->alias.n) {
		json_decref(n->aliases);
		n->aliases = str_array(&o->alias, false);
	}
	if (o->ip && *o->ip)
		free(n->ip), n->ip = xstrdup(o->ip);
	if (o->ip6 && *o->ip6)
		free(n->ip6), n->ip6 = xstrdup(o->ip6);
	if (o->mac_address && *o->mac_address)
		free(n->mac), n->mac = xstrdup(o->mac_address);
	if (o->link_local_ip.n) {
		json_decref(n->link_local);
		n->link_local = str_array(&o->link_local_ip, false);
	}
	if (!user_defined(n->target) && n->aliases && json_array_size(n->aliases))
		return berth_make_error(
		    err, EINVAL,
		    "network-scoped aliases are only supported for user-defined networks");
	return 0;
}

static bool endpoint_is_zero(const struct net_attach *n)
{
	return !(n->aliases && json_array_size(n->aliases)) && !n->ip && !n->ip6 && !n->mac &&
	       !n->link_local;
}

/* parseNetworkOpts: the EndpointsConfig, and the network mode. */
static int networking(const struct berth_cli_create_opts *o, json_t **out, const char **mode,
		      berth_error_t *err)
{
	json_t *eps = json_object();
	bool user = false, builtin = false;
	int ret = 0;

	*mode = o->network.n ? o->network.v[0] : "default";
	if (o->network.n == 0) {
		struct net_attach n = { .target = xstrdup("default") };
		ret = apply_container_net(&n, o, err);
		if (ret == 0)
			json_object_set_new(eps, "default", endpoint(&n));
		net_attach_release(&n);
	}
	for (size_t i = 0; i < o->network.n && ret == 0; i++) {
		struct net_attach n;
		ret = parse_network(o->network.v[i], &n, err);
		if (ret == 0 && i == 0)
			ret = apply_container_net(&n, o, err);
		if (ret == 0) {
			*mode = i == 0 ? o->network.v[0] : *mode;
			if (user_defined(n.target))
				user = true;
			else
				builtin = true;
			if (json_object_get(eps, n.target))
				ret = berth_make_error(err, EINVAL,
						       "network \"%s\" is specified multiple times",
						       n.target);
			else if (!(i == 0 && o->network.n == 1 && endpoint_is_zero(&n)))
				json_object_set_new(eps, n.target, endpoint(&n));
		}
		net_attach_release(&n);
	}
	if (ret == 0 && user && builtin)
		ret = berth_make_error(
		    err, EINVAL,
		    "conflicting options: cannot attach both user-defined and non-user-defined network-modes");
	if (ret < 0) {
		json_decref(eps);
		return -1;
	}
	*out = json_pack("{s:o}", "EndpointsConfig", sorted(eps));
	return 0;
}

/* The name of the first network for NetworkMode when it was given in the
 * long syntax ("name=x,alias=y"). */
static char *network_mode(const char *mode)
{
	const char *name = strstr(mode, "name=");

	if (strchr(mode, '=') == NULL || name == NULL)
		return xstrdup(mode);
	name += 5;
	return xstrndup(name, strcspn(name, ","));
}

/* ---- the request ---- */

static void console_size(int *h, int *w)
{
	struct winsize ws;

	*h = *w = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*h = ws.ws_row;
		*w = ws.ws_col;
	}
}

static bool attach_has(const struct berth_strv *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcasecmp(a->v[i], s) == 0)
			return true;
	return false;
}

static json_t *throttle_list(const struct berth_strv *v, bool rate, const char *key)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++) {
		const char *colon = strrchr(v->v[i], ':');
		cleanup_free char *path = xstrndup(v->v[i], (size_t)(colon - v->v[i]));
		int64_t n = rate ? bytes_or_zero(colon + 1) : num_or(colon + 1, 0);
		json_array_append_new(a, json_pack("{s:s, s:I}", "Path", path, key, (json_int_t)n));
	}
	return a;
}

static json_t *ulimits(const struct berth_strv *v)
{
	json_t *m = json_object(), *a = json_array(), *l;
	const char *k;

	for (size_t i = 0; i < v->n; i++) {
		berth_error_t ignored = NULL;
		if (berth_cli_parse_ulimit(v->v[i], &l, &ignored) < 0) {
			berth_error_release(&ignored);
			continue;
		}
		json_object_set_new(m, json_string_value(json_object_get(l, "Name")), l);
	}
	m = sorted(m);
	json_object_foreach (m, k, l)
		json_array_append(a, l);
	json_decref(m);
	return a;
}

static json_t *resources_part(const struct berth_cli_create_opts *o, json_t *hc, json_t *devices)
{
	int64_t cpus = 0;
	berth_error_t ignored = NULL;

	if (o->cpus && berth_cli_parse_cpus(o->cpus, &cpus, &ignored) < 0)
		berth_error_release(&ignored);
	json_object_set_new(hc, "CpuShares", json_integer(num_or(o->cpu_shares, 0)));
	json_object_set_new(hc, "Memory", json_integer(bytes_or_zero(o->memory)));
	json_object_set_new(hc, "NanoCpus", json_integer(cpus));
	json_object_set_new(hc, "CgroupParent",
			    json_string(o->cgroup_parent ? o->cgroup_parent : ""));
	json_object_set_new(hc, "BlkioWeight", json_integer(num_or(o->blkio_weight, 0)));
	json_object_set_new(hc, "BlkioWeightDevice",
			    throttle_list(&o->blkio_weight_device, false, "Weight"));
	json_object_set_new(hc, "BlkioDeviceReadBps",
			    throttle_list(&o->device_read_bps, true, "Rate"));
	json_object_set_new(hc, "BlkioDeviceWriteBps",
			    throttle_list(&o->device_write_bps, true, "Rate"));
	json_object_set_new(hc, "BlkioDeviceReadIOps",
			    throttle_list(&o->device_read_iops, false, "Rate"));
	json_object_set_new(hc, "BlkioDeviceWriteIOps",
			    throttle_list(&o->device_write_iops, false, "Rate"));
	json_object_set_new(hc, "CpuPeriod", json_integer(num_or(o->cpu_period, 0)));
	json_object_set_new(hc, "CpuQuota", json_integer(num_or(o->cpu_quota, 0)));
	json_object_set_new(hc, "CpuRealtimePeriod", json_integer(num_or(o->cpu_rt_period, 0)));
	json_object_set_new(hc, "CpuRealtimeRuntime", json_integer(num_or(o->cpu_rt_runtime, 0)));
	json_object_set_new(hc, "CpusetCpus", json_string(o->cpuset_cpus ? o->cpuset_cpus : ""));
	json_object_set_new(hc, "CpusetMems", json_string(o->cpuset_mems ? o->cpuset_mems : ""));
	json_object_set_new(hc, "Devices", devices);
	json_object_set_new(hc, "DeviceCgroupRules", str_array(&o->device_cgroup_rule, true));
	json_object_set_new(hc, "DeviceRequests", json_null());
	json_object_set_new(hc, "MemoryReservation",
			    json_integer(bytes_or_zero(o->memory_reservation)));
	json_object_set_new(hc, "MemorySwap",
			    json_integer(o->memory_swap && strcmp(o->memory_swap, "-1") == 0
					     ? -1
					     : bytes_or_zero(o->memory_swap)));
	json_object_set_new(hc, "MemorySwappiness", json_integer(num_or(o->memory_swappiness, -1)));
	json_object_set_new(hc, "OomKillDisable", json_boolean(o->oom_kill_disable));
	json_object_set_new(hc, "PidsLimit", json_integer(num_or(o->pids_limit, 0)));
	json_object_set_new(hc, "Ulimits", ulimits(&o->ulimit));
	json_object_set_new(hc, "CpuCount", json_integer(num_or(o->cpu_count, 0)));
	json_object_set_new(hc, "CpuPercent", json_integer(num_or(o->cpu_percent, 0)));
	json_object_set_new(hc, "IOMaximumIOps", json_integer(num_or(o->io_maxiops, 0)));
	json_object_set_new(hc, "IOMaximumBandwidth",
			    json_integer(bytes_or_zero(o->io_maxbandwidth)));
	return hc;
}

/* Everything parse() derives before the structs are filled. */
struct parsed {
	json_t *env, *labels, *exposed, *bindings, *binds, *volumes, *devices, *mounts;
	json_t *restart, *security, *health, *netcfg, *tmpfs, *log_opts, *storage;
	bool unconfined;
	const char *net_mode; /* borrowed from the options */
};

static void parsed_release(struct parsed *p)
{
	json_t *all[] = { p->env,     p->labels,  p->exposed, p->bindings, p->binds,
			  p->volumes, p->devices, p->mounts,  p->restart,  p->security,
			  p->health,  p->netcfg,  p->tmpfs,   p->log_opts, p->storage };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(all); i++)
		json_decref(all[i]);
}

static int parse_lists(const struct berth_cli_create_opts *o, struct parsed *p, berth_error_t *err)
{
	int64_t swp = num_or(o->memory_swappiness, -1);

	if (o->mac_address && *o->mac_address && strlen(o->mac_address) != 17)
		return berth_make_error(err, EINVAL, "%s is not a valid mac address",
					o->mac_address);
	if (swp != -1 && (swp < 0 || swp > 100))
		return berth_make_error(
		    err, EINVAL, "invalid value: %lld. Valid memory swappiness range is 0-100",
		    (long long)swp);
	build_volumes(o, &p->binds, &p->volumes);
	p->tmpfs = json_object();
	for (size_t i = 0; i < o->tmpfs.n; i++) {
		const char *t = o->tmpfs.v[i], *c = strchr(t, ':');
		cleanup_free char *k = xstrndup(t, c ? (size_t)(c - t) : strlen(t));
		json_object_set_new(p->tmpfs, k, json_string(c ? c + 1 : ""));
	}
	p->tmpfs = sorted(p->tmpfs);
	if (build_ports(o, &p->exposed, &p->bindings, err) < 0)
		return -1;
	p->devices = json_array();
	for (size_t i = 0; i < o->device.n; i++) {
		json_t *d = NULL;
		if (parse_device(o->device.v[i], &d, err) < 0)
			return -1;
		json_array_append_new(p->devices, d);
	}
	if (read_kv(&o->env_file, &o->env, true, &p->env, err) < 0)
		return -1;
	return read_kv(&o->label_file, &o->label, false, &p->labels, err);
}

static int parse_policies(const struct berth_cli_create_opts *o, struct parsed *p,
			  berth_error_t *err)
{
	if (o->pid && *o->pid && strcmp(o->pid, "host") && strncmp(o->pid, "container:", 10))
		return berth_make_error(err, EINVAL, "--pid: invalid PID mode");
	if (o->uts && *o->uts && strcmp(o->uts, "host"))
		return berth_make_error(err, EINVAL, "--uts: invalid UTS mode");
	if (o->userns && *o->userns && strcmp(o->userns, "host"))
		return berth_make_error(err, EINVAL, "--userns: invalid USER mode");
	if (o->cgroupns && *o->cgroupns && strcmp(o->cgroupns, "host") &&
	    strcmp(o->cgroupns, "private"))
		return berth_make_error(err, EINVAL, "--cgroupns: invalid CGROUP mode");
	if (restart_policy(o->restart ? o->restart : "no", &p->restart, err) < 0)
		return -1;
	if (o->log_driver && strcmp(o->log_driver, "none") == 0 && o->log_opt.n)
		return berth_make_error(err, EINVAL, "invalid logging opts for driver none");
	p->log_opts = kv_map(&o->log_opt);
	if (security_opts(&o->security_opt, &p->security, &p->unconfined, err) < 0)
		return -1;
	p->storage = json_object();
	for (size_t i = 0; i < o->storage_opt.n; i++) {
		const char *s = o->storage_opt.v[i], *eq = strchr(s, '=');
		if (eq == NULL)
			return berth_make_error(err, EINVAL, "invalid storage option");
		cleanup_free char *k = xstrndup(s, (size_t)(eq - s));
		json_object_set_new(p->storage, k, json_string(eq + 1));
	}
	p->storage = sorted(p->storage);
	if (health(o, &p->health, err) < 0)
		return -1;
	p->mounts = json_array();
	for (size_t i = 0; i < o->mount.n; i++) {
		json_t *m;
		if (parse_mount(o->mount.v[i], &m, err) < 0)
			return -1;
		json_array_append_new(p->mounts, m);
	}
	return networking(o, &p->netcfg, &p->net_mode, err);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static json_t *config_part(const struct berth_cli_create_opts *o, const struct parsed *p,
			   const char *image, const char *const *args, size_t nargs)
{
	bool in = o->interactive || attach_has(&o->attach, "stdin");
	bool out = o->attach.n == 0 || attach_has(&o->attach, "stdout");
	bool errs = o->attach.n == 0 || attach_has(&o->attach, "stderr");
	json_t *c = json_object(), *cmd = json_null(), *ep = json_null();

	if (nargs) {
		cmd = json_array();
		for (size_t i = 0; i < nargs; i++)
			json_array_append_new(cmd, json_string(args[i]));
	}
	if (o->entrypoint)
		ep = json_pack("[s]", o->entrypoint);
	json_object_set_new(c, "Hostname", json_string(or_empty(o->hostname)));
	json_object_set_new(c, "Domainname", json_string(or_empty(o->domainname)));
	json_object_set_new(c, "User", json_string(or_empty(o->user)));
	json_object_set_new(c, "AttachStdin", json_boolean(in));
	json_object_set_new(c, "AttachStdout", json_boolean(out));
	json_object_set_new(c, "AttachStderr", json_boolean(errs));
	if (json_object_size(p->exposed))
		json_object_set(c, "ExposedPorts", p->exposed);
	json_object_set_new(c, "Tty", json_boolean(o->tty));
	json_object_set_new(c, "OpenStdin", json_boolean(o->interactive));
	json_object_set_new(c, "StdinOnce", json_boolean(o->interactive && in));
	json_object_set_new(c, "Env", json_array_size(p->env) ? json_incref(p->env) : json_null());
	json_object_set_new(c, "Cmd", cmd);
	if (p->health)
		json_object_set(c, "Healthcheck", p->health);
	json_object_set_new(c, "Image", json_string(image));
	json_object_set(c, "Volumes", p->volumes);
	json_object_set_new(c, "WorkingDir", json_string(or_empty(o->workdir)));
	json_object_set_new(c, "Entrypoint", ep);
	if (o->mac_address && *o->mac_address)
		json_object_set_new(c, "MacAddress", json_string(o->mac_address));
	json_object_set_new(c, "OnBuild", json_null());
	json_object_set_new(c, "Labels", labels_map(p->labels));
	if (o->stop_signal && *o->stop_signal)
		json_object_set_new(c, "StopSignal", json_string(o->stop_signal));
	if (o->stop_timeout)
		json_object_set_new(c, "StopTimeout", json_integer(num_or(o->stop_timeout, 0)));
	return c;
}

static json_t *host_part(const struct berth_cli_create_opts *o, const struct parsed *p)
{
	json_t *hc = json_object();
	int h, w;
	char *mode = network_mode(p->net_mode);

	console_size(&h, &w);
	json_object_set(hc, "Binds", p->binds);
	json_object_set_new(hc, "ContainerIDFile", json_string(or_empty(o->cidfile)));
	json_object_set_new(
	    hc, "LogConfig",
	    json_pack("{s:s, s:O}", "Type", or_empty(o->log_driver), "Config", p->log_opts));
	json_object_set_new(hc, "NetworkMode", json_string(mode));
	free(mode);
	json_object_set(hc, "PortBindings", p->bindings);
	json_object_set(hc, "RestartPolicy", p->restart);
	json_object_set_new(hc, "AutoRemove", json_boolean(o->rm));
	json_object_set_new(hc, "VolumeDriver", json_string(or_empty(o->volume_driver)));
	json_object_set_new(hc, "VolumesFrom", str_array(&o->volumes_from, true));
	json_object_set_new(hc, "ConsoleSize", json_pack("[i, i]", h, w));
	if (o->annotation.n)
		json_object_set_new(hc, "Annotations", kv_map(&o->annotation));
	json_object_set_new(hc, "CapAdd", caps(&o->cap_add));
	json_object_set_new(hc, "CapDrop", caps(&o->cap_drop));
	json_object_set_new(hc, "CgroupnsMode", json_string(or_empty(o->cgroupns)));
	json_object_set_new(hc, "Dns", str_array(&o->dns, false));
	json_object_set_new(hc, "DnsOptions", str_array(&o->dns_option, false));
	json_object_set_new(hc, "DnsSearch", str_array(&o->dns_search, false));
	json_object_set_new(hc, "ExtraHosts", str_array(&o->add_host, true));
	json_object_set_new(hc, "GroupAdd", str_array(&o->group_add, true));
	json_object_set_new(hc, "IpcMode", json_string(or_empty(o->ipc)));
	json_object_set_new(hc, "Cgroup", json_string(""));
	json_object_set_new(hc, "Links", str_array(&o->link, true));
	json_object_set_new(hc, "OomScoreAdj", json_integer(num_or(o->oom_score_adj, 0)));
	json_object_set_new(hc, "PidMode", json_string(or_empty(o->pid)));
	json_object_set_new(hc, "Privileged", json_boolean(o->privileged));
	json_object_set_new(hc, "PublishAllPorts", json_boolean(o->publish_all));
	json_object_set_new(hc, "ReadonlyRootfs", json_boolean(o->read_only));
	json_object_set(hc, "SecurityOpt", p->security);
	if (json_object_size(p->storage))
		json_object_set(hc, "StorageOpt", p->storage);
	if (json_object_size(p->tmpfs))
		json_object_set(hc, "Tmpfs", p->tmpfs);
	json_object_set_new(hc, "UTSMode", json_string(or_empty(o->uts)));
	json_object_set_new(hc, "UsernsMode", json_string(or_empty(o->userns)));
	json_object_set_new(hc, "ShmSize", json_integer(bytes_or_zero(o->shm_size)));
	if (o->sysctl.n)
		json_object_set_new(hc, "Sysctls", kv_map(&o->sysctl));
	if (o->runtime && *o->runtime)
		json_object_set_new(hc, "Runtime", json_string(o->runtime));
	json_object_set_new(hc, "Isolation", json_string(or_empty(o->isolation)));
	resources_part(o, hc, json_incref(p->devices));
	if (json_array_size(p->mounts))
		json_object_set(hc, "Mounts", p->mounts);
	json_object_set_new(hc, "MaskedPaths", p->unconfined ? json_array() : json_null());
	json_object_set_new(hc, "ReadonlyPaths", p->unconfined ? json_array() : json_null());
	if (o->init)
		json_object_set_new(hc, "Init", json_boolean(o->init == BERTH_OPT_SET_TRUE));
	return hc;
}

int berth_cli_container_config(const struct berth_cli_create_opts *o, const char *image,
			       const char *const *args, size_t nargs, json_t **out,
			       berth_error_t *err)
{
	struct parsed p = { 0 };
	json_t *body;

	if (parse_lists(o, &p, err) < 0 || parse_policies(o, &p, err) < 0) {
		parsed_release(&p);
		return -1;
	}
	if (o->rm && strcmp(json_string_value(json_object_get(p.restart, "Name")), "no") &&
	    *json_string_value(json_object_get(p.restart, "Name"))) {
		parsed_release(&p);
		return berth_make_error(
		    err, EINVAL, "conflicting options: cannot specify both --restart and --rm");
	}
	body = config_part(o, &p, image, args, nargs);
	json_object_set_new(body, "HostConfig", host_part(o, &p));
	json_object_set(body, "NetworkingConfig", p.netcfg);
	parsed_release(&p);
	*out = body;
	return 0;
}
