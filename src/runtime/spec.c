/* spec.c: config.json → struct berth_spec, with validation and limits. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "runtime/spec.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int flag;
} ns_kinds[BERTH_NS_COUNT] = {
	[BERTH_NS_USER] = { "user", CLONE_NEWUSER },
	[BERTH_NS_MOUNT] = { "mount", CLONE_NEWNS },
	[BERTH_NS_PID] = { "pid", CLONE_NEWPID },
	[BERTH_NS_NET] = { "network", CLONE_NEWNET },
	[BERTH_NS_IPC] = { "ipc", CLONE_NEWIPC },
	[BERTH_NS_UTS] = { "uts", CLONE_NEWUTS },
	[BERTH_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[BERTH_NS_TIME] = { "time", CLONE_NEWTIME },
};

int berth_spec_ns_flag(enum berth_ns_kind kind)
{
	return kind < BERTH_NS_COUNT ? ns_kinds[kind].flag : 0;
}

const char *berth_spec_ns_name(enum berth_ns_kind kind)
{
	return kind < BERTH_NS_COUNT ? ns_kinds[kind].name : "?";
}

/* ------------------------------------------------------------ scalars */

static int bad(berth_error_t *err, const char *field, const char *what)
{
	return berth_make_error(err, EINVAL, "config.json: `%s`: %s", field, what);
}

/* A string value that is valid C (no NUL inside) and at most MAX bytes. */
static int check_string(const json_t *v, const char *field, size_t max, berth_error_t *err)
{
	size_t len;

	if (!json_is_string(v))
		return bad(err, field, "must be a string");
	len = json_string_length(v);
	if (len > max)
		return berth_make_error(err, EINVAL, "config.json: `%s`: longer than %zu bytes",
					field, max);
	if (strlen(json_string_value(v)) != len)
		return bad(err, field, "contains a NUL byte");
	return 0;
}

/* *OUT = copy of O[KEY], or NULL when absent (EINVAL if REQUIRED). */
static int get_str(const json_t *o, const char *key, const char *field, size_t max, bool required,
		   char **out, berth_error_t *err)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? bad(err, field, "is required") : 0;
	if (check_string(v, field, max, err) < 0)
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int check_abs_path(const char *p, const char *field, berth_error_t *err)
{
	if (p[0] != '/')
		return bad(err, field, "must be an absolute path");
	return 0;
}

/* O[KEY] as an integer in [MIN, MAX]; *PRESENT says whether it was given. */
static int get_int(const json_t *o, const char *key, const char *field, int64_t min, int64_t max,
		   int64_t *out, bool *present, berth_error_t *err)
{
	const json_t *v = json_object_get(o, key);
	json_int_t x;

	*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return bad(err, field, "must be an integer");
	x = json_integer_value(v);
	if (x < min || x > max)
		return bad(err, field, "is out of range");
	*out = x;
	*present = true;
	return 0;
}

/* Unsigned 64-bit values (rlimits) arrive as JSON integers; jansson keeps
 * them in a signed long long, so values above INT64_MAX come as reals
 * (18446744073709551615 for RLIM_INFINITY): accept both. */
static int get_u64(const json_t *o, const char *key, const char *field, uint64_t *out,
		   berth_error_t *err)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 2e19) {
		double d = json_real_value(v);
		*out = d >= 1.8446744073709552e19 ? UINT64_MAX : (uint64_t)d;
		return 0;
	}
	return bad(err, field, "must be a non-negative integer");
}

static int get_bool(const json_t *o, const char *key, const char *field, bool *out,
		    berth_error_t *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad(err, field, "must be a boolean");
	*out = json_is_true(v);
	return 0;
}

static void free_strv(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* A JSON array of strings → NULL-terminated vector (NULL and 0 when A is
 * absent). MAX_N entries of at most MAX_LEN bytes each. */
static int get_strv(const json_t *a, const char *field, size_t max_n, size_t max_len, char ***out,
		    size_t *n, berth_error_t *err)
{
	char **v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(err, field, "must be an array of strings");
	if (json_array_size(a) > max_n)
		return berth_make_error(err, EINVAL, "config.json: `%s`: more than %zu entries",
					field, max_n);
	v = xcalloc(json_array_size(a) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(a); i++) {
		if (check_string(json_array_get(a, i), field, max_len, err) < 0) {
			free_strv(v);
			return -1;
		}
		v[i] = xstrdup(json_string_value(json_array_get(a, i)));
	}
	*out = v;
	*n = i;
	return 0;
}

static int get_pathv(const json_t *a, const char *field, char ***out, size_t *n, berth_error_t *err)
{
	size_t i;

	if (get_strv(a, field, BERTH_SPEC_MAX_LIST, BERTH_SPEC_MAX_PATH, out, n, err) < 0)
		return -1;
	for (i = 0; i < *n; i++)
		if (check_abs_path((*out)[i], field, err) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------ process */

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int berth_spec_rlimit_resource(const char *name)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(name, rlimit_names[i].name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

const char *berth_spec_rlimit_name(int resource)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return "?";
}

static int parse_rlimits(const json_t *a, struct berth_spec_process *p, berth_error_t *err)
{
	size_t i;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > BERTH_SPEC_MAX_LIST)
		return bad(err, "process.rlimits", "must be an array of at most 1024 objects");
	p->rlimits = xcalloc(json_array_size(a) + 1, sizeof(*p->rlimits));
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *o = json_array_get(a, i);
		struct berth_spec_rlimit *r = &p->rlimits[i];
		const char *type = json_string_value(json_object_get(o, "type"));

		if (!json_is_object(o) || type == NULL)
			return bad(err, "process.rlimits", "entries need a `type`");
		r->resource = berth_spec_rlimit_resource(type);
		if (r->resource < 0)
			return berth_make_error(
			    err, EINVAL, "config.json: `process.rlimits`: unknown type `%.64s`",
			    type);
		if (get_u64(o, "soft", "process.rlimits.soft", &r->soft, err) < 0 ||
		    get_u64(o, "hard", "process.rlimits.hard", &r->hard, err) < 0)
			return -1;
		if (r->soft > r->hard)
			return berth_make_error(err, EINVAL,
						"config.json: `process.rlimits`: `%s`: soft limit "
						"above the hard limit",
						type);
		p->n_rlimits = i + 1;
	}
	return 0;
}

static int parse_user(const json_t *o, struct berth_spec_user *u, berth_error_t *err)
{
	const json_t *gids = json_object_get(o, "additionalGids");
	int64_t x = 0;
	bool present;
	size_t i;

	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return bad(err, "process.user", "must be an object");
	if (get_int(o, "uid", "process.user.uid", 0, UINT32_MAX - 1, &x, &present, err) < 0)
		return -1;
	u->uid = present ? (uid_t)x : 0;
	if (get_int(o, "gid", "process.user.gid", 0, UINT32_MAX - 1, &x, &present, err) < 0)
		return -1;
	u->gid = present ? (gid_t)x : 0;
	if (get_int(o, "umask", "process.user.umask", 0, 0777, &x, &u->has_umask, err) < 0)
		return -1;
	u->umask = (mode_t)x;
	if (gids == NULL || json_is_null(gids))
		return 0;
	if (!json_is_array(gids) || json_array_size(gids) > BERTH_SPEC_MAX_LIST)
		return bad(err, "process.user.additionalGids", "must be an array of gids");
	u->additional_gids = xcalloc(json_array_size(gids) + 1, sizeof(gid_t));
	for (i = 0; i < json_array_size(gids); i++) {
		const json_t *g = json_array_get(gids, i);
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) >= UINT32_MAX)
			return bad(err, "process.user.additionalGids", "must be an array of gids");
		u->additional_gids[i] = (gid_t)json_integer_value(g);
		u->n_additional_gids = i + 1;
	}
	return 0;
}

static int check_env(struct berth_spec_process *p, berth_error_t *err)
{
	size_t i;

	for (i = 0; i < p->n_env; i++) {
		const char *eq = strchr(p->env[i], '=');
		if (eq == NULL || eq == p->env[i])
			return berth_make_error(
			    err, EINVAL, "config.json: `process.env`: `%.64s` is not KEY=value",
			    p->env[i]);
	}
	return 0;
}

static int parse_console(const json_t *o, struct berth_spec_process *p, berth_error_t *err)
{
	int64_t x = 0;
	bool present;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return bad(err, "process.consoleSize", "must be an object");
	if (get_int(o, "height", "process.consoleSize.height", 0, 65535, &x, &present, err) < 0)
		return -1;
	p->console_height = (unsigned short)x;
	x = 0;
	if (get_int(o, "width", "process.consoleSize.width", 0, 65535, &x, &present, err) < 0)
		return -1;
	p->console_width = (unsigned short)x;
	return 0;
}

static int parse_process_obj(const json_t *o, struct berth_spec_process *p, berth_error_t *err)
{
	const json_t *caps = json_object_get(o, "capabilities");
	int64_t x = 0;

	if (!json_is_object(o))
		return bad(err, "process", "must be an object");
	if (get_bool(o, "terminal", "process.terminal", &p->terminal, err) < 0 ||
	    parse_console(json_object_get(o, "consoleSize"), p, err) < 0)
		return -1;
	if (get_strv(json_object_get(o, "args"), "process.args", BERTH_SPEC_MAX_ARGS,
		     BERTH_SPEC_MAX_STRING, &p->args, &p->n_args, err) < 0)
		return -1;
	if (p->n_args == 0 || p->args[0][0] == '\0')
		return bad(err, "process.args", "must be a non-empty array of strings");
	if (get_strv(json_object_get(o, "env"), "process.env", BERTH_SPEC_MAX_ENV,
		     BERTH_SPEC_MAX_STRING, &p->env, &p->n_env, err) < 0 ||
	    check_env(p, err) < 0)
		return -1;
	if (p->env == NULL)
		p->env = xcalloc(1, sizeof(char *));
	if (get_str(o, "cwd", "process.cwd", BERTH_SPEC_MAX_PATH, true, &p->cwd, err) < 0 ||
	    check_abs_path(p->cwd, "process.cwd", err) < 0)
		return -1;
	if (parse_user(json_object_get(o, "user"), &p->user, err) < 0)
		return -1;
	if (caps != NULL && !json_is_null(caps) && !json_is_object(caps))
		return bad(err, "process.capabilities", "must be an object");
	p->capabilities = json_is_object(caps) ? caps : NULL;
	if (parse_rlimits(json_object_get(o, "rlimits"), p, err) < 0)
		return -1;
	if (get_bool(o, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges, err) <
	    0)
		return -1;
	if (get_int(o, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &x, &p->has_oom_score_adj,
		    err) < 0)
		return -1;
	p->oom_score_adj = (int)x;
	return 0;
}

void berth_spec_process_release(struct berth_spec_process *p)
{
	if (p == NULL)
		return;
	free_strv(p->args);
	free_strv(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------ mounts */

/* What each mount option does to the flags (runc's and crun's tables). */
enum opt_kind {
	OPT_SET,
	OPT_CLEAR,
	OPT_PROPAGATION,
	OPT_BIND,
	OPT_RBIND,
	OPT_IGNORE
};

static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
} mount_opts[] = {
	{ "defaults", OPT_IGNORE, 0 },
	{ "ro", OPT_SET, MS_RDONLY },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "nosuid", OPT_SET, MS_NOSUID },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "nodev", OPT_SET, MS_NODEV },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "noexec", OPT_SET, MS_NOEXEC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", OPT_SET, MS_DIRSYNC },
	{ "remount", OPT_SET, MS_REMOUNT },
	{ "mand", OPT_SET, MS_MANDLOCK },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "noatime", OPT_SET, MS_NOATIME },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "relatime", OPT_SET, MS_RELATIME },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "strictatime", OPT_SET, MS_STRICTATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
	{ "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
	{ "bind", OPT_BIND, 0 },
	{ "rbind", OPT_RBIND, 0 },
	{ "private", OPT_PROPAGATION, MS_PRIVATE },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROPAGATION, MS_SHARED },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "slave", OPT_PROPAGATION, MS_SLAVE },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
	/* podman's and CRI-O's: copy-up and SELinux/idmap extras we do not do */
	{ "tmpcopyup", OPT_IGNORE, 0 },
	{ "notmpcopyup", OPT_IGNORE, 0 },
	{ "z", OPT_IGNORE, 0 },
	{ "Z", OPT_IGNORE, 0 },
	{ "U", OPT_IGNORE, 0 },
	{ "copy", OPT_IGNORE, 0 },
	{ "nocopy", OPT_IGNORE, 0 },
};

int berth_spec_mount_options(struct berth_spec_mount *m, const char *const *options, size_t n,
			     berth_error_t *err)
{
	struct berth_strbuf data = BERTH_STRBUF_INIT;
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *o = options[i];
		for (j = 0; j < BERTH_ARRAY_SIZE(mount_opts); j++)
			if (strcmp(o, mount_opts[j].name) == 0)
				break;
		if (j == BERTH_ARRAY_SIZE(mount_opts)) {
			if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
				berth_strbuf_release(&data);
				return berth_make_error(err, EINVAL,
							"mount option `%s` is not supported", o);
			}
			if (data.len)
				berth_strbuf_puts(&data, ",");
			berth_strbuf_puts(&data, o);
			continue;
		}
		switch (mount_opts[j].kind) {
		case OPT_SET:
			m->flags |= mount_opts[j].flag;
			m->clear &= ~mount_opts[j].flag;
			break;
		case OPT_CLEAR:
			m->clear |= mount_opts[j].flag;
			m->flags &= ~mount_opts[j].flag;
			break;
		case OPT_PROPAGATION:
			m->propagation = mount_opts[j].flag;
			break;
		case OPT_RBIND:
			m->recursive = true;
			m->bind = true;
			break;
		case OPT_BIND:
			m->bind = true;
			break;
		case OPT_IGNORE:
			break;
		}
	}
	free(m->data);
	m->data = data.len ? berth_strbuf_steal(&data) : NULL;
	berth_strbuf_release(&data);
	return 0;
}

static int parse_mount(const json_t *o, const char *bundle, struct berth_spec_mount *m,
		       berth_error_t *err)
{
	cleanup_free char **opts = NULL;
	size_t n = 0;
	int ret;

	if (!json_is_object(o))
		return bad(err, "mounts", "entries must be objects");
	if (get_str(o, "destination", "mounts.destination", BERTH_SPEC_MAX_PATH, true,
		    &m->destination, err) < 0 ||
	    check_abs_path(m->destination, "mounts.destination", err) < 0)
		return -1;
	if (get_str(o, "type", "mounts.type", 64, false, &m->type, err) < 0 ||
	    get_str(o, "source", "mounts.source", BERTH_SPEC_MAX_PATH, false, &m->source, err) < 0)
		return -1;
	if (m->type == NULL)
		m->type = xstrdup("");
	if (m->source == NULL)
		m->source = xstrdup("");
	if (get_strv(json_object_get(o, "options"), "mounts.options", BERTH_SPEC_MAX_LIST, 4096,
		     &opts, &n, err) < 0)
		return -1;
	ret = berth_spec_mount_options(m, (const char *const *)opts, n, err);
	free_strv(steal_pointer(&opts));
	if (ret < 0)
		return berth_error_wrap(err, "config.json: `mounts` `%s`", m->destination);
	if (strcmp(m->type, "bind") == 0)
		m->bind = true;
	if (m->bind && m->source[0] == '\0')
		return bad(err, "mounts.source", "a bind mount needs a source");
	if (m->bind && m->source[0] != '/' && bundle) {
		char *abs = xasprintf("%s/%s", bundle, m->source);
		free(m->source);
		m->source = abs;
	}
	return 0;
}

static int parse_mounts(const json_t *a, const char *bundle, struct berth_spec *s,
			berth_error_t *err)
{
	size_t i;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(err, "mounts", "must be an array");
	if (json_array_size(a) > BERTH_SPEC_MAX_MOUNTS)
		return bad(err, "mounts", "more than 1024 mounts");
	s->mounts = xcalloc(json_array_size(a) + 1, sizeof(*s->mounts));
	for (i = 0; i < json_array_size(a); i++) {
		s->n_mounts = i + 1;
		if (parse_mount(json_array_get(a, i), bundle, &s->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ linux */

static int parse_namespaces(const json_t *a, struct berth_spec *s, berth_error_t *err)
{
	size_t i;
	int k;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 16)
		return bad(err, "linux.namespaces", "must be an array of at most 16 objects");
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *o = json_array_get(a, i);
		const char *type = json_string_value(json_object_get(o, "type"));
		char *path = NULL;

		for (k = 0; type && k < BERTH_NS_COUNT; k++)
			if (strcmp(type, ns_kinds[k].name) == 0)
				break;
		if (type == NULL || k == BERTH_NS_COUNT)
			return berth_make_error(
			    err, EINVAL, "config.json: `linux.namespaces`: unknown type `%.32s`",
			    type ? type : "");
		if (s->ns[k].wanted)
			return berth_make_error(
			    err, EINVAL, "config.json: `linux.namespaces`: `%s` given twice", type);
		if (get_str(o, "path", "linux.namespaces.path", BERTH_SPEC_MAX_PATH, false, &path,
			    err) < 0)
			return -1;
		s->ns[k].wanted = true;
		s->ns[k].path = path;
		if (path && check_abs_path(path, "linux.namespaces.path", err) < 0)
			return -1;
	}
	return 0;
}

static int parse_device(const json_t *o, struct berth_spec_device *d, berth_error_t *err)
{
	cleanup_free char *type = NULL;
	int64_t x = 0;
	bool present;

	if (!json_is_object(o))
		return bad(err, "linux.devices", "entries must be objects");
	if (get_str(o, "path", "linux.devices.path", BERTH_SPEC_MAX_PATH, true, &d->path, err) <
		0 ||
	    check_abs_path(d->path, "linux.devices.path", err) < 0)
		return -1;
	if (get_str(o, "type", "linux.devices.type", 1, true, &type, err) < 0)
		return -1;
	if (strchr("cbup", type[0]) == NULL || type[0] == '\0')
		return bad(err, "linux.devices.type", "must be one of c, b, u, p");
	d->type = type[0];
	if (get_int(o, "major", "linux.devices.major", 0, 0xfffff, &d->major, &present, err) < 0)
		return -1;
	if (!present && d->type != 'p')
		return bad(err, "linux.devices.major", "is required");
	if (get_int(o, "minor", "linux.devices.minor", 0, 0xfffff, &d->minor, &present, err) < 0)
		return -1;
	if (!present && d->type != 'p')
		return bad(err, "linux.devices.minor", "is required");
	if (get_int(o, "fileMode", "linux.devices.fileMode", 0, 07777, &x, &d->has_mode, err) < 0)
		return -1;
	d->mode = (mode_t)x;
	x = 0;
	if (get_int(o, "uid", "linux.devices.uid", 0, UINT32_MAX - 1, &x, &present, err) < 0)
		return -1;
	d->uid = (uid_t)x;
	x = 0;
	if (get_int(o, "gid", "linux.devices.gid", 0, UINT32_MAX - 1, &x, &present, err) < 0)
		return -1;
	d->gid = (gid_t)x;
	return 0;
}

static int parse_devices(const json_t *a, struct berth_spec *s, berth_error_t *err)
{
	size_t i;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > BERTH_SPEC_MAX_LIST)
		return bad(err, "linux.devices", "must be an array of at most 1024 devices");
	s->devices = xcalloc(json_array_size(a) + 1, sizeof(*s->devices));
	for (i = 0; i < json_array_size(a); i++) {
		s->n_devices = i + 1;
		if (parse_device(json_array_get(a, i), &s->devices[i], err) < 0)
			return -1;
	}
	return 0;
}

static int parse_sysctl(const json_t *o, struct berth_spec *s, berth_error_t *err)
{
	const char *key;
	const json_t *v;
	size_t i = 0;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o) || json_object_size(o) > BERTH_SPEC_MAX_LIST)
		return bad(err, "linux.sysctl", "must be an object of at most 1024 strings");
	s->sysctl_keys = xcalloc(json_object_size(o) + 1, sizeof(char *));
	s->sysctl_values = xcalloc(json_object_size(o) + 1, sizeof(char *));
	json_object_foreach ((json_t *)o, key, v) {
		if (strlen(key) == 0 || strlen(key) > 256 || strstr(key, "..") || key[0] == '.' ||
		    key[0] == '/')
			return bad(err, "linux.sysctl", "has an invalid key");
		if (check_string(v, "linux.sysctl", 4096, err) < 0)
			return -1;
		s->sysctl_keys[i] = xstrdup(key);
		s->sysctl_values[i] = xstrdup(json_string_value(v));
		s->n_sysctl = ++i;
	}
	return 0;
}

static int parse_propagation(const json_t *o, struct berth_spec *s, berth_error_t *err)
{
	cleanup_free char *p = NULL;
	struct berth_spec_mount m = { 0 };
	const char *opt[1];

	if (get_str(o, "rootfsPropagation", "linux.rootfsPropagation", 32, false, &p, err) < 0)
		return -1;
	if (p == NULL || p[0] == '\0')
		return 0;
	opt[0] = p;
	if (berth_spec_mount_options(&m, opt, 1, err) < 0)
		return -1;
	if (m.propagation == 0 || m.data) {
		free(m.data);
		return bad(err, "linux.rootfsPropagation", "is not a propagation mode");
	}
	s->rootfs_propagation = m.propagation;
	return 0;
}

static int parse_linux(const json_t *o, struct berth_spec *s, berth_error_t *err)
{
	const json_t *v;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return bad(err, "linux", "must be an object");
	if (parse_namespaces(json_object_get(o, "namespaces"), s, err) < 0 ||
	    parse_devices(json_object_get(o, "devices"), s, err) < 0 ||
	    parse_sysctl(json_object_get(o, "sysctl"), s, err) < 0 ||
	    parse_propagation(o, s, err) < 0)
		return -1;
	if (get_str(o, "cgroupsPath", "linux.cgroupsPath", BERTH_SPEC_MAX_PATH, false,
		    &s->cgroups_path, err) < 0)
		return -1;
	if (s->cgroups_path && strstr(s->cgroups_path, ".."))
		return bad(err, "linux.cgroupsPath", "must not contain `..`");
	v = json_object_get(o, "resources");
	if (v && !json_is_null(v) && !json_is_object(v))
		return bad(err, "linux.resources", "must be an object");
	s->resources = json_is_object(v) ? v : NULL;
	v = json_object_get(o, "seccomp");
	if (v && !json_is_null(v) && !json_is_object(v))
		return bad(err, "linux.seccomp", "must be an object");
	s->seccomp = json_is_object(v) ? v : NULL;
	if (get_pathv(json_object_get(o, "maskedPaths"), "linux.maskedPaths", &s->masked_paths,
		      &s->n_masked_paths, err) < 0 ||
	    get_pathv(json_object_get(o, "readonlyPaths"), "linux.readonlyPaths",
		      &s->readonly_paths, &s->n_readonly_paths, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ hooks */

static const char *const hook_names[BERTH_HOOK_COUNT] = {
	[BERTH_HOOK_PRESTART] = "prestart",
	[BERTH_HOOK_CREATE_RUNTIME] = "createRuntime",
	[BERTH_HOOK_CREATE_CONTAINER] = "createContainer",
	[BERTH_HOOK_START_CONTAINER] = "startContainer",
	[BERTH_HOOK_POSTSTART] = "poststart",
	[BERTH_HOOK_POSTSTOP] = "poststop",
};

static int parse_hook(const json_t *o, struct berth_spec_hook *h, berth_error_t *err)
{
	size_t n;
	int64_t t = 0;
	bool present;

	if (!json_is_object(o))
		return bad(err, "hooks", "entries must be objects");
	if (get_str(o, "path", "hooks.path", BERTH_SPEC_MAX_PATH, true, &h->path, err) < 0 ||
	    check_abs_path(h->path, "hooks.path", err) < 0)
		return -1;
	if (get_strv(json_object_get(o, "args"), "hooks.args", BERTH_SPEC_MAX_LIST,
		     BERTH_SPEC_MAX_STRING, &h->args, &n, err) < 0 ||
	    get_strv(json_object_get(o, "env"), "hooks.env", BERTH_SPEC_MAX_LIST,
		     BERTH_SPEC_MAX_STRING, &h->env, &n, err) < 0)
		return -1;
	if (get_int(o, "timeout", "hooks.timeout", 1, 86400, &t, &present, err) < 0)
		return -1;
	h->timeout = (int)t;
	return 0;
}

static int parse_hooks(const json_t *o, struct berth_spec *s, berth_error_t *err)
{
	size_t i;
	int k;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return bad(err, "hooks", "must be an object");
	for (k = 0; k < BERTH_HOOK_COUNT; k++) {
		const json_t *a = json_object_get(o, hook_names[k]);
		if (a == NULL || json_is_null(a))
			continue;
		if (!json_is_array(a) || json_array_size(a) > BERTH_SPEC_MAX_LIST)
			return bad(err, "hooks", "each kind must be an array");
		s->hooks[k].v = xcalloc(json_array_size(a) + 1, sizeof(struct berth_spec_hook));
		for (i = 0; i < json_array_size(a); i++) {
			s->hooks[k].n = i + 1;
			if (parse_hook(json_array_get(a, i), &s->hooks[k].v[i], err) < 0)
				return berth_error_wrap(err, "`hooks.%s`", hook_names[k]);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ document */

static int parse_root(const json_t *o, struct berth_spec *s, berth_error_t *err)
{
	if (!json_is_object(o))
		return bad(err, "root", "is required (an object with a `path`)");
	if (get_str(o, "path", "root.path", BERTH_SPEC_MAX_PATH, true, &s->root_path, err) < 0)
		return -1;
	if (s->root_path[0] == '\0')
		return bad(err, "root.path", "must not be empty");
	return get_bool(o, "readonly", "root.readonly", &s->root_readonly, err);
}

static int parse_doc(const json_t *doc, const char *bundle, struct berth_spec *s,
		     berth_error_t *err)
{
	const json_t *proc = json_object_get(doc, "process");
	const json_t *ann = json_object_get(doc, "annotations");

	if (!json_is_object(doc))
		return bad(err, "(document)", "must be a JSON object");
	if (get_str(doc, "ociVersion", "ociVersion", 64, false, &s->oci_version, err) < 0)
		return -1;
	if (proc && !json_is_null(proc)) {
		s->has_process = true;
		if (parse_process_obj(proc, &s->process, err) < 0)
			return -1;
	}
	if (parse_root(json_object_get(doc, "root"), s, err) < 0)
		return -1;
	if (get_str(doc, "hostname", "hostname", BERTH_SPEC_MAX_HOSTNAME, false, &s->hostname,
		    err) < 0 ||
	    get_str(doc, "domainname", "domainname", BERTH_SPEC_MAX_HOSTNAME, false, &s->domainname,
		    err) < 0)
		return -1;
	if (parse_mounts(json_object_get(doc, "mounts"), bundle, s, err) < 0 ||
	    parse_linux(json_object_get(doc, "linux"), s, err) < 0 ||
	    parse_hooks(json_object_get(doc, "hooks"), s, err) < 0)
		return -1;
	if (ann && !json_is_null(ann) && !json_is_object(ann))
		return bad(err, "annotations", "must be an object");
	s->annotations = json_is_object(ann) ? ann : NULL;
	return 0;
}

/* Reals that hold an int64 back to integers, in place (see load_doc). */
static void ints_back(json_t *v, int depth)
{
	const char *key;
	json_t *x;
	size_t i;

	if (depth > 64)
		return;
	if (json_is_object(v)) {
		json_object_foreach (v, key, x) {
			double d = json_real_value(x);
			if (json_is_real(x) && d == (double)(json_int_t)d && d < 9.2e18 &&
			    d > -9.2e18)
				json_object_set_new(v, key, json_integer((json_int_t)d));
			else
				ints_back(x, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, x) {
			double d = json_real_value(x);
			if (json_is_real(x) && d == (double)(json_int_t)d && d < 9.2e18 &&
			    d > -9.2e18)
				json_array_set_new(v, i, json_integer((json_int_t)d));
			else
				ints_back(x, depth + 1);
		}
	}
}

/* jansson refuses integers above INT64_MAX, which OCI uses for "no limit"
 * (rlimits of 18446744073709551615): such a document is read again with
 * every number as a real, and those that fit are made integers again. */
static json_t *load_doc(const char *data, size_t len, berth_error_t *err)
{
	json_error_t jerr;
	json_t *d = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

	if (d == NULL && strstr(jerr.text, "too big") != NULL) {
		d = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
		if (d)
			ints_back(d, 0);
	}
	if (d == NULL)
		berth_make_error(err, EINVAL, "config.json: line %d: %s", jerr.line, jerr.text);
	return d;
}

struct berth_spec *berth_spec_parse(const char *data, size_t len, const char *bundle,
				    berth_error_t *err)
{
	struct berth_spec *s;

	if (len > BERTH_SPEC_MAX_BYTES) {
		berth_make_error(err, EFBIG, "config.json: larger than %d bytes",
				 BERTH_SPEC_MAX_BYTES);
		return NULL;
	}
	s = xzalloc(sizeof(*s));
	s->doc = load_doc(data, len, err);
	if (s->doc == NULL) {
		berth_spec_free(s);
		return NULL;
	}
	if (parse_doc(s->doc, bundle, s, err) < 0) {
		berth_spec_free(s);
		return NULL;
	}
	return s;
}

struct berth_spec *berth_spec_load(const char *bundle, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/config.json", bundle);
	cleanup_free char *data = NULL;
	ssize_t n;

	n = berth_fs_read_file(path, BERTH_SPEC_MAX_BYTES, &data, err);
	if (n < 0)
		return NULL;
	return berth_spec_parse(data, (size_t)n, bundle, err);
}

int berth_spec_process_parse(const char *data, size_t len, struct berth_spec_process *out,
			     json_t **doc, berth_error_t *err)
{
	json_t *d;

	memset(out, 0, sizeof(*out));
	*doc = NULL;
	if (len > BERTH_SPEC_MAX_BYTES)
		return berth_make_error(err, EFBIG, "process.json: too large");
	d = load_doc(data, len, err);
	if (d == NULL)
		return -1;
	if (parse_process_obj(d, out, err) < 0) {
		berth_spec_process_release(out);
		json_decref(d);
		return -1;
	}
	*doc = d;
	return 0;
}

static void free_hooks(struct berth_spec_hooks *hs)
{
	size_t i;

	for (i = 0; i < hs->n; i++) {
		free(hs->v[i].path);
		free_strv(hs->v[i].args);
		free_strv(hs->v[i].env);
	}
	free(hs->v);
}

void berth_spec_free(struct berth_spec *s)
{
	size_t i;

	if (s == NULL)
		return;
	berth_spec_process_release(&s->process);
	for (i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
	}
	free(s->mounts);
	for (i = 0; i < BERTH_NS_COUNT; i++)
		free(s->ns[i].path);
	for (i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	free_strv(s->masked_paths);
	free_strv(s->readonly_paths);
	free_strv(s->sysctl_keys);
	free_strv(s->sysctl_values);
	for (i = 0; i < BERTH_HOOK_COUNT; i++)
		free_hooks(&s->hooks[i]);
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	free(s->cgroups_path);
	json_decref(s->doc);
	free(s);
}

/* ------------------------------------------------------------ sysctl */

static const char *const ipc_sysctls[] = {
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static bool ns_private(const struct berth_spec *s, enum berth_ns_kind k)
{
	return s->ns[k].wanted;
}

bool berth_spec_sysctl_allowed(const char *key, const struct berth_spec *s)
{
	char k[257];
	size_t i;

	if (strlen(key) >= sizeof(k))
		return false;
	for (i = 0; key[i]; i++)
		k[i] = key[i] == '/' ? '.' : key[i];
	k[i] = '\0';
	for (i = 0; i < BERTH_ARRAY_SIZE(ipc_sysctls); i++)
		if (strcmp(k, ipc_sysctls[i]) == 0)
			return ns_private(s, BERTH_NS_IPC);
	if (strncmp(k, "fs.mqueue.", 10) == 0)
		return ns_private(s, BERTH_NS_IPC);
	if (strncmp(k, "net.", 4) == 0)
		return ns_private(s, BERTH_NS_NET);
	if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0)
		return ns_private(s, BERTH_NS_UTS);
	return false;
}
