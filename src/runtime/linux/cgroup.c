/* cgroup.c: a container's cgroup on v1, v2 and hybrid hosts.
 *
 * The hierarchies come from /proc/self/mountinfo. A container gets one
 * directory per hierarchy it uses (every v1 hierarchy with a known
 * controller, or the single v2 one), reached component by component with
 * openat(O_NOFOLLOW) from the hierarchy's root, and each hierarchy's
 * directory is driven through the ops of its version (cgroup_v1.c,
 * cgroup_v2.c), so that a hybrid host can mix them per controller. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/linux/cgroup.h"
#include "runtime/linux/cgroup_internal.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* destroy waits this long for the processes to die and the dirs to go */
#define CG_DESTROY_TIMEOUT_MS 10000

/* ------------------------------------------------------------ files */

int berth_cg_write(int fd, const char *where, const char *name, const char *value,
		   berth_error_t *err)
{
	cleanup_close int f = -1;
	size_t len = strlen(value);
	ssize_t n;

	do
		f = openat(fd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	while (f < 0 && errno == EINTR);
	if (f < 0)
		return berth_make_error(err, errno, "open `%s/%s`: %s", where, name,
					strerror(errno));
	/* cgroup files take one value per write(): no partial writes */
	do
		n = write(f, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_make_error(err, errno, "write `%s` to `%s/%s`: %s", value, where, name,
					strerror(errno));
	if ((size_t)n != len)
		return berth_make_error(err, EIO, "write `%s` to `%s/%s`: short write", value,
					where, name);
	return 0;
}

int berth_cg_writef(int fd, const char *where, const char *name, berth_error_t *err,
		    const char *fmt, ...)
{
	cleanup_free char *value = NULL;
	va_list ap;

	va_start(ap, fmt);
	value = xvasprintf(fmt, ap);
	va_end(ap);
	return berth_cg_write(fd, where, name, value, err);
}

ssize_t berth_cg_read(int fd, const char *where, const char *name, size_t max, char **out,
		      berth_error_t *err)
{
	cleanup_close int f = -1;
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	do
		f = openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	while (f < 0 && errno == EINTR);
	if (f < 0)
		return berth_make_error(err, errno, "open `%s/%s`: %s", where, name,
					strerror(errno));
	for (;;) {
		ssize_t n;

		if (cap - len < 1024) {
			cap = cap ? cap * 2 : 4096;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(f, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_make_error(err, errno, "read `%s/%s`: %s", where, name,
						strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return berth_make_error(err, EFBIG, "`%s/%s` is larger than %zu bytes",
						where, name, max);
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return (ssize_t)len;
}

bool berth_cg_exists(int fd, const char *name)
{
	return faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int berth_cg_read_u64(int fd, const char *where, const char *name, uint64_t *out,
		      berth_error_t *err)
{
	cleanup_free char *text = NULL;

	if (berth_cg_read(fd, where, name, BERTH_CG_MAX_FILE, &text, err) < 0)
		return -1;
	if (berth_cg_parse_u64(text, out) < 0)
		return berth_make_error(err, EINVAL, "`%s/%s`: not a number", where, name);
	return 0;
}

int berth_cg_stat_u64(int fd, const char *where, const char *name, uint64_t *out)
{
	berth_error_t err = NULL;

	if (berth_cg_read_u64(fd, where, name, out, &err) < 0) {
		berth_error_release(&err);
		return -1;
	}
	return 0;
}

char *berth_cg_stat_text(int fd, const char *where, const char *name)
{
	berth_error_t err = NULL;
	char *text = NULL;

	if (berth_cg_read(fd, where, name, BERTH_CG_MAX_FILE, &text, &err) < 0) {
		berth_error_release(&err);
		return NULL;
	}
	return text;
}

json_t *berth_cg_json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

uint64_t berth_cg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void berth_cg_backoff(unsigned attempt)
{
	/* 0.25 ms doubling to 16 ms: dying processes usually go at once */
	struct timespec ts = { 0, 250000L << (attempt < 6 ? attempt : 6) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ parsers */

static const char *const controller_names[BERTH_CG_N] = {
	[BERTH_CG_CPU] = "cpu",
	[BERTH_CG_CPUACCT] = "cpuacct",
	[BERTH_CG_CPUSET] = "cpuset",
	[BERTH_CG_MEMORY] = "memory",
	[BERTH_CG_DEVICES] = "devices",
	[BERTH_CG_FREEZER] = "freezer",
	[BERTH_CG_BLKIO] = "blkio",
	[BERTH_CG_PIDS] = "pids",
	[BERTH_CG_NET_CLS] = "net_cls",
	[BERTH_CG_NET_PRIO] = "net_prio",
	[BERTH_CG_PERF_EVENT] = "perf_event",
	[BERTH_CG_HUGETLB] = "hugetlb",
	[BERTH_CG_RDMA] = "rdma",
	[BERTH_CG_MISC] = "misc",
};

const char *berth_cg_controller_name(enum berth_cg_controller c, bool v2)
{
	if (v2 && c == BERTH_CG_BLKIO)
		return "io";
	return c < BERTH_CG_N ? controller_names[c] : "?";
}

uint32_t berth_cg_parse_controllers(const char *list, char sep, bool v2)
{
	uint32_t mask = 0;
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int c;

		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		for (c = 0; c < BERTH_CG_N; c++) {
			const char *name = berth_cg_controller_name(c, v2);

			if (strlen(name) == len && strncmp(name, p, len) == 0)
				mask |= BERTH_CG_BIT(c);
		}
		if (end == NULL)
			break;
		p = end + 1;
		while (*p == sep)
			p++;
	}
	return mask;
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static bool path_at_or_below(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* One mountinfo LINE (modified); 1 when it is a cgroup mount below ROOT. */
static int parse_mount_line(char *line, const char *root, struct berth_cgroup_mount *m)
{
	char *fields[6], *sep, *fstype, *opts, *save = NULL, *tok;
	int i;

	sep = strstr(line, " - ");
	if (sep == NULL)
		return 0;
	*sep = '\0';
	for (i = 0, tok = strtok_r(line, " ", &save); tok && i < 6;
	     i++, tok = strtok_r(NULL, " ", &save))
		fields[i] = tok;
	if (i < 6)
		return 0;
	fstype = strtok_r(sep + 3, " ", &save);
	if (fstype == NULL || strtok_r(NULL, " ", &save) == NULL)
		return 0;
	opts = strtok_r(NULL, " ", &save);
	unescape_octal(fields[4]);
	if (!path_at_or_below(fields[4], root))
		return 0;
	if (strcmp(fstype, "cgroup2") == 0) {
		m->v2 = true;
		m->controllers = 0;
	} else if (strcmp(fstype, "cgroup") == 0) {
		m->v2 = false;
		m->controllers = berth_cg_parse_controllers(opts ? opts : "", ',', false);
		if (m->controllers == 0) /* name=systemd and the like */
			return 0;
	} else {
		return 0;
	}
	m->mountpoint = xstrdup(fields[4]);
	return 1;
}

int berth_cg_parse_mountinfo(const char *text, const char *root, struct berth_cgroup_mount **out,
			     size_t *n, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(text);
	cleanup_free char *r = xstrdup(root);
	struct berth_cgroup_mount *v = NULL;
	size_t count = 0, len = strlen(r);
	char *line, *save = NULL;

	while (len > 1 && r[len - 1] == '/')
		r[--len] = '\0';
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct berth_cgroup_mount m = { 0 };

		if (parse_mount_line(line, r, &m) <= 0)
			continue;
		if (count == BERTH_CG_MAX_HIERARCHIES) {
			free(m.mountpoint);
			berth_cg_mounts_free(v, count);
			return berth_make_error(err, E2BIG, "more than %d cgroup mounts below `%s`",
						BERTH_CG_MAX_HIERARCHIES, root);
		}
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count++] = m;
	}
	*out = v;
	*n = count;
	return 0;
}

void berth_cg_mounts_free(struct berth_cgroup_mount *m, size_t n)
{
	size_t i;

	for (i = 0; m && i < n; i++)
		free(m[i].mountpoint);
	free(m);
}

static bool same_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

/* Pure v2: the mount at ROOT (index U) alone. */
static size_t select_unified(struct berth_cgroup_mount *m, size_t n, size_t u, int *version)
{
	struct berth_cgroup_mount keep = m[u];
	size_t i;

	for (i = 0; i < n; i++)
		if (i != u)
			free(m[i].mountpoint);
	keep.controllers |= BERTH_CG_V2_IMPLICIT;
	m[0] = keep;
	*version = 2;
	return 1;
}

size_t berth_cg_select_mounts(struct berth_cgroup_mount *m, size_t n, const char *root,
			      int *version)
{
	cleanup_free struct berth_cgroup_mount *out = xcalloc(n + 1, sizeof(*out));
	uint32_t covered = 0, want;
	size_t i, kept = 0;
	bool v2_done = false;

	for (i = 0; i < n; i++)
		if (m[i].v2 && same_path(m[i].mountpoint, root))
			return select_unified(m, n, i, version);
	/* v1 first; a hierarchy mounted twice is used once */
	for (i = 0; i < n; i++) {
		if (m[i].v2)
			continue;
		if ((m[i].controllers & ~covered) == 0) {
			free(m[i].mountpoint);
			continue;
		}
		covered |= m[i].controllers;
		out[kept++] = m[i];
	}
	*version = kept > 0 ? 1 : 2;
	for (i = 0; i < n; i++) {
		if (!m[i].v2)
			continue;
		want = (m[i].controllers | BERTH_CG_V2_IMPLICIT) & BERTH_CG_NEEDED & ~covered;
		if (v2_done || want == 0) {
			free(m[i].mountpoint);
			continue;
		}
		v2_done = true;
		m[i].controllers = want;
		out[kept++] = m[i];
	}
	if (kept > 0)
		memcpy(m, out, kept * sizeof(*m));
	return kept;
}

int berth_cg_normalize_path(const char *path, char **out, berth_error_t *err)
{
	cleanup_free char *buf = NULL;
	const char *p = path;
	size_t n = 0;
	int depth = 0;

	if (strlen(path) > BERTH_CG_MAX_PATH)
		return berth_make_error(err, ENAMETOOLONG, "cgroup path is too long");
	buf = xmalloc(strlen(path) + 1);
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 0) {
			p++;
			continue;
		}
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.') ||
		    len > NAME_MAX || ++depth > BERTH_CG_MAX_DEPTH)
			return berth_make_error(err, EINVAL, "bad cgroup path `%.256s`", path);
		if (n)
			buf[n++] = '/';
		memcpy(buf + n, p, len);
		n += len;
		p += len;
	}
	buf[n] = '\0';
	/* the root itself: destroy would kill every process on the host */
	if (n == 0)
		return berth_make_error(err, EINVAL, "bad cgroup path `%.256s`", path);
	*out = steal_pointer(&buf);
	return 0;
}

int berth_cg_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "max", 3) == 0) {
		v = UINT64_MAX;
		p += 3;
	} else {
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			unsigned d = (unsigned)(*p - '0');

			if (v > (UINT64_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
		}
	}
	while (*p && isspace((unsigned char)*p))
		p++;
	if (*p)
		return -1;
	*out = v;
	return 0;
}

/* The number at P up to whitespace; -1 on junk or overflow. */
static int parse_u64_word(const char *p, const char **end, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*p && !isspace((unsigned char)*p))
		return -1;
	*end = p;
	*out = v;
	return 0;
}

int berth_cg_kv_get(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text, *end;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return parse_u64_word(p + klen + 1, &end, out);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

json_t *berth_cg_kv_to_json(const char *text)
{
	json_t *o = json_object();
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *sp = strchr(p, ' '), *end;
		uint64_t v;

		if (sp && (nl == NULL || sp < nl) && sp > p && sp - p < 128 &&
		    parse_u64_word(sp + 1, &end, &v) == 0) {
			char key[128];

			memcpy(key, p, (size_t)(sp - p));
			key[sp - p] = '\0';
			json_object_set_new(o, key, berth_cg_json_u64(v));
		}
		p = nl ? nl + 1 : NULL;
	}
	return o;
}

static json_t *blkio_entry(unsigned maj, unsigned min, const char *op, uint64_t v)
{
	return json_pack("{s:I,s:I,s:s,s:o}", "major", (json_int_t)maj, "minor", (json_int_t)min,
			 "op", op, "value", berth_cg_json_u64(v));
}

json_t *berth_cg_parse_blkio_v1(const char *text)
{
	cleanup_free char *copy = xstrdup(text);
	json_t *a = json_array();
	char *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char op[16];
		int pos = 0;
		uint64_t v;
		const char *end;

		/* "Total N" lines have no device and are left out, as runc does */
		if (sscanf(line, "%u:%u %15s %n", &maj, &min, op, &pos) != 3 || pos == 0)
			continue;
		if (parse_u64_word(line + pos, &end, &v) < 0)
			continue;
		json_array_append_new(a, blkio_entry(maj, min, op, v));
	}
	return a;
}

void berth_cg_parse_io_stat(const char *text, json_t **bytes, json_t **ios)
{
	cleanup_free char *copy = xstrdup(text);
	char *line, *save = NULL;

	*bytes = json_array();
	*ios = json_array();
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t rbytes = 0, wbytes = 0, rios = 0, wios = 0;
		unsigned maj, min;
		char *tok, *save2 = NULL;

		tok = strtok_r(line, " ", &save2);
		if (tok == NULL || sscanf(tok, "%u:%u", &maj, &min) != 2)
			continue;
		while ((tok = strtok_r(NULL, " ", &save2)) != NULL) {
			char *eq = strchr(tok, '=');
			uint64_t v;

			if (eq == NULL || berth_cg_parse_u64(eq + 1, &v) < 0)
				continue;
			*eq = '\0';
			if (strcmp(tok, "rbytes") == 0)
				rbytes = v;
			else if (strcmp(tok, "wbytes") == 0)
				wbytes = v;
			else if (strcmp(tok, "rios") == 0)
				rios = v;
			else if (strcmp(tok, "wios") == 0)
				wios = v;
		}
		json_array_append_new(*bytes, blkio_entry(maj, min, "read", rbytes));
		json_array_append_new(*bytes, blkio_entry(maj, min, "write", wbytes));
		json_array_append_new(*ios, blkio_entry(maj, min, "read", rios));
		json_array_append_new(*ios, blkio_entry(maj, min, "write", wios));
	}
}

int berth_cg_parse_proc_stat(const char *text, long clk_tck, uint64_t *ns)
{
	const char *p = text;
	uint64_t total = 0, v;
	int i;

	while (p && strncmp(p, "cpu ", 4) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p == NULL || clk_tck <= 0)
		return -1;
	p += 4;
	/* user nice system idle iowait irq softirq, as dockerd sums them */
	for (i = 0; i < 7; i++) {
		while (*p == ' ')
			p++;
		if (parse_u64_word(p, &p, &v) < 0 || total + v < total)
			return -1;
		total += v;
	}
	if (total > UINT64_MAX / 1000000000ULL)
		return -1;
	*ns = total * 1000000000ULL / (uint64_t)clk_tck;
	return 0;
}

int berth_cg_parse_meminfo(const char *text, uint64_t *bytes)
{
	const char *p = strstr(text, "MemTotal:");
	uint64_t kb;

	if (p == NULL || (p != text && p[-1] != '\n'))
		return -1;
	p += strlen("MemTotal:");
	while (*p == ' ')
		p++;
	if (parse_u64_word(p, &p, &kb) < 0 || kb > UINT64_MAX / 1024)
		return -1;
	*bytes = kb * 1024;
	return 0;
}

int berth_cg_parse_pids(const char *text, pid_t **pids, size_t *n, size_t *cap, berth_error_t *err)
{
	const char *p = text, *end;

	while (*p) {
		uint64_t v;

		if (*p == '\n' || *p == ' ') {
			p++;
			continue;
		}
		if (parse_u64_word(p, &end, &v) < 0 || v == 0 || v > INT_MAX)
			return berth_make_error(err, EINVAL, "cgroup.procs: bad pid");
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*pids = xrealloc(*pids, *cap * sizeof(**pids));
		}
		(*pids)[(*n)++] = (pid_t)v;
		p = end;
	}
	return 0;
}

uint64_t berth_cg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

int berth_cg_v2_swap(bool has_limit, int64_t limit, int64_t swap, int64_t *out, berth_error_t *err)
{
	/* memory unlimited and swap not given: both unlimited, as on v1 */
	if (has_limit && limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*out = swap;
		return 0;
	}
	if (swap < 0)
		return berth_make_error(err, EINVAL, "invalid memory swap value %" PRId64, swap);
	if (!has_limit || limit <= 0)
		return berth_make_error(err, EINVAL,
					"unable to set swap limit without memory limit");
	if (swap < limit)
		return berth_make_error(err, EINVAL,
					"Minimum memoryswap limit should be larger than memory "
					"limit, see usage");
	*out = swap - limit;
	return 0;
}

bool berth_cg_v2_cpu_max(const struct berth_cgroup_res *r, char *buf, size_t len)
{
	bool quota = r->has_quota && r->quota != 0, period = r->has_period && r->period != 0;
	int n;

	if (!quota && !period)
		return false;
	if (quota && r->quota > 0)
		n = snprintf(buf, len, "%" PRId64, r->quota);
	else
		n = snprintf(buf, len, "max");
	if (period && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " %" PRIu64, r->period);
	return true;
}

/* ------------------------------------------------------------ resources */

/* Optional integer KEY of O: 1 when present (into *OUT), 0 when absent. */
static int res_int(const json_t *o, const char *section, const char *key, bool unsigned_only,
		   int64_t *out, berth_error_t *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || (unsigned_only && json_integer_value(v) < 0))
		return berth_make_error(err, EINVAL, "`%s.%s` must be an%s integer", section, key,
					unsigned_only ? " unsigned" : "");
	*out = json_integer_value(v);
	return 1;
}

static int res_section(const json_t *res, const char *key, const json_t **out, berth_error_t *err)
{
	const json_t *v = json_object_get(res, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return berth_make_error(err, EINVAL, "`%s` must be an object", key);
	*out = v;
	return 1;
}

static int parse_memory(const json_t *m, struct berth_cgroup_res *r, berth_error_t *err)
{
	const json_t *oom = json_object_get(m, "disableOOMKiller");
	int64_t sw = 0;
	int ret;

	if ((ret = res_int(m, "memory", "limit", false, &r->limit, err)) < 0)
		return ret;
	r->has_limit = ret;
	if ((ret = res_int(m, "memory", "swap", false, &r->swap, err)) < 0)
		return ret;
	r->has_swap = ret;
	if ((ret = res_int(m, "memory", "reservation", false, &r->reservation, err)) < 0)
		return ret;
	r->has_reservation = ret;
	if ((ret = res_int(m, "memory", "swappiness", true, &sw, err)) < 0)
		return ret;
	if (ret && sw > 100)
		return berth_make_error(
		    err, EINVAL,
		    "Invalid value: %" PRId64 ", valid memory swappiness range is 0-100", sw);
	r->has_swappiness = ret;
	r->swappiness = (uint64_t)sw;
	if (oom && !json_is_null(oom) && !json_is_boolean(oom))
		return berth_make_error(err, EINVAL, "`memory.disableOOMKiller` must be a boolean");
	r->oom_kill_disable = json_is_true(oom);
	return 0;
}

static int parse_cpu(const json_t *c, struct berth_cgroup_res *r, berth_error_t *err)
{
	const json_t *cpus = json_object_get(c, "cpus"), *mems = json_object_get(c, "mems");
	int64_t v = 0;
	int ret;

	if ((ret = res_int(c, "cpu", "shares", true, &v, err)) < 0)
		return ret;
	r->has_shares = ret;
	r->shares = (uint64_t)v;
	if ((ret = res_int(c, "cpu", "quota", false, &r->quota, err)) < 0)
		return ret;
	r->has_quota = ret;
	if ((ret = res_int(c, "cpu", "period", true, &v, err)) < 0)
		return ret;
	r->has_period = ret;
	r->period = (uint64_t)v;
	if ((cpus && !json_is_null(cpus) && !json_is_string(cpus)) ||
	    (mems && !json_is_null(mems) && !json_is_string(mems)))
		return berth_make_error(err, EINVAL, "`cpu.cpus` and `cpu.mems` must be strings");
	/* cpuset lists are short ("0-3,8"); anything with a newline would
	 * write a second value */
	if ((cpus && strcspn(json_string_value(cpus), "\n") != strlen(json_string_value(cpus))) ||
	    (mems && strcspn(json_string_value(mems), "\n") != strlen(json_string_value(mems))))
		return berth_make_error(err, EINVAL, "bad cpuset list");
	r->cpus = cpus && json_string_length(cpus) > 0 ? json_string_value(cpus) : NULL;
	r->mems = mems && json_string_length(mems) > 0 ? json_string_value(mems) : NULL;
	return 0;
}

int berth_cg_parse_resources(const json_t *resources, struct berth_cgroup_res *r,
			     berth_error_t *err)
{
	const json_t *sec, *dev;
	int ret;

	memset(r, 0, sizeof(*r));
	if (resources == NULL || json_is_null(resources))
		return 0;
	if (!json_is_object(resources))
		return berth_make_error(err, EINVAL, "`resources` must be an object");
	if ((ret = res_section(resources, "memory", &sec, err)) < 0)
		return ret;
	if (sec && (ret = parse_memory(sec, r, err)) < 0)
		return ret;
	if ((ret = res_section(resources, "cpu", &sec, err)) < 0)
		return ret;
	if (sec && (ret = parse_cpu(sec, r, err)) < 0)
		return ret;
	if ((ret = res_section(resources, "pids", &sec, err)) < 0)
		return ret;
	if (sec && (ret = res_int(sec, "pids", "limit", false, &r->pids, err)) < 0)
		return ret;
	r->has_pids = sec && ret > 0;
	dev = json_object_get(resources, "devices");
	if (dev && !json_is_null(dev)) {
		if (!json_is_array(dev) || json_array_size(dev) > BERTH_CG_MAX_DEVICES)
			return berth_make_error(err, EINVAL,
						"`devices` must be an array of at most %d rules",
						BERTH_CG_MAX_DEVICES);
		r->devices = dev;
	}
	return 0;
}

/* ------------------------------------------------------------ devices */

static int parse_device_rule(const json_t *o, struct berth_cg_device_rule *d, berth_error_t *err)
{
	const json_t *allow = json_object_get(o, "allow");
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *access = json_string_value(json_object_get(o, "access"));
	const char *p;
	int ret;

	if (!json_is_object(o) || !json_is_boolean(allow))
		return berth_make_error(err, EINVAL, "device rules need `allow`");
	d->allow = json_is_true(allow);
	if (type == NULL || type[0] == '\0')
		type = "a";
	if ((type[0] != 'a' && type[0] != 'c' && type[0] != 'b') || type[1] != '\0')
		return berth_make_error(err, EINVAL, "bad device type `%.8s`", type);
	d->type = type[0];
	d->major = d->minor = -1;
	if ((ret = res_int(o, "devices", "major", false, &d->major, err)) < 0 ||
	    (ret = res_int(o, "devices", "minor", false, &d->minor, err)) < 0)
		return ret;
	if (d->major < -1 || d->major > UINT32_MAX || d->minor < -1 || d->minor > UINT32_MAX)
		return berth_make_error(err, EINVAL, "bad device number");
	d->access = 0;
	for (p = access ? access : "rwm"; *p; p++) {
		if (*p == 'r')
			d->access |= BERTH_CG_DEV_READ;
		else if (*p == 'w')
			d->access |= BERTH_CG_DEV_WRITE;
		else if (*p == 'm')
			d->access |= BERTH_CG_DEV_MKNOD;
		else
			return berth_make_error(err, EINVAL, "bad device access `%.8s`", access);
	}
	if (d->access == 0)
		d->access = BERTH_CG_DEV_READ | BERTH_CG_DEV_WRITE | BERTH_CG_DEV_MKNOD;
	return 0;
}

int berth_cg_parse_devices(const json_t *devices, struct berth_cg_device_rule **rules, size_t *n,
			   berth_error_t *err)
{
	cleanup_free struct berth_cg_device_rule *v = NULL;
	const json_t *o;
	size_t i;
	int ret;

	if (!json_is_array(devices) || json_array_size(devices) > BERTH_CG_MAX_DEVICES)
		return berth_make_error(err, EINVAL, "bad `devices`");
	v = xcalloc(json_array_size(devices) + 1, sizeof(*v));
	json_array_foreach (devices, i, o) {
		ret = parse_device_rule(o, &v[i], err);
		if (ret < 0)
			return ret;
	}
	*n = json_array_size(devices);
	*rules = steal_pointer(&v);
	return 0;
}

void berth_cg_device_rule_string(const struct berth_cg_device_rule *r, char *buf, size_t len)
{
	char maj[24] = "*", min[24] = "*";

	if (r->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, r->major);
	if (r->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, r->minor);
	snprintf(buf, len, "%c %s:%s %s%s%s", r->type, maj, min,
		 r->access & BERTH_CG_DEV_READ ? "r" : "",
		 r->access & BERTH_CG_DEV_WRITE ? "w" : "",
		 r->access & BERTH_CG_DEV_MKNOD ? "m" : "");
}

/* ------------------------------------------------------------ hierarchies */

int berth_cgroup_host_version(const char *root)
{
	struct statfs st;

	if (statfs(root, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		return 2;
	return 1;
}

static void read_v2_controllers(struct berth_cgroup_mount *m)
{
	cleanup_close int fd = open(m->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *text = NULL;
	berth_error_t err = NULL;

	if (fd < 0 || berth_cg_read(fd, m->mountpoint, "cgroup.controllers", BERTH_CG_MAX_FILE,
				    &text, &err) < 0) {
		berth_error_release(&err);
		return;
	}
	m->controllers = berth_cg_parse_controllers(text, ' ', true);
}

static int load_mounts(const char *root, struct berth_cgroup_mount **out, size_t *n, int *version,
		       berth_error_t *err)
{
	cleanup_free char *text = NULL;
	struct berth_cgroup_mount *m = NULL;
	size_t count = 0, i;

	if (berth_fs_read_file("/proc/self/mountinfo", BERTH_CG_MAX_MOUNTINFO, &text, err) < 0)
		return -1;
	if (berth_cg_parse_mountinfo(text, root, &m, &count, err) < 0)
		return -1;
	for (i = 0; i < count; i++)
		if (m[i].v2)
			read_v2_controllers(&m[i]);
	count = berth_cg_select_mounts(m, count, root, version);
	if (count == 0) {
		berth_cg_mounts_free(m, count);
		return berth_make_error(err, ENOENT, "no cgroup hierarchy is mounted at `%s`",
					root);
	}
	*out = m;
	*n = count;
	return 0;
}

/* Opens the root of hierarchy H, making sure it is a cgroup file system. */
static int open_hier_root(const struct berth_cgroup_hier *h, berth_error_t *err)
{
	cleanup_close int fd = open(h->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs st;

	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", h->mountpoint,
					strerror(errno));
	if (fstatfs(fd, &st) < 0)
		return berth_make_error(err, errno, "statfs `%s`: %s", h->mountpoint,
					strerror(errno));
	if (st.f_type != (h->v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
		return berth_make_error(err, EINVAL, "`%s` is not a cgroup%s mount", h->mountpoint,
					h->v2 ? "2" : "");
	return steal_fd(&fd);
}

/* Opens (CREATE: makes) PATH below FD one component at a time, never
 * following a symlink. LEVELS limits how many components are walked. */
static int walk(struct berth_cgroup_hier *h, int root_fd, const char *path, size_t levels,
		bool create, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(path);
	cleanup_close int fd = dup(root_fd);
	char *comp, *save = NULL;
	size_t i = 0;
	int ret;

	if (fd < 0)
		return berth_make_error(err, errno, "dup: %s", strerror(errno));
	for (comp = strtok_r(copy, "/", &save); comp && i < levels;
	     comp = strtok_r(NULL, "/", &save), i++) {
		cleanup_close int child = -1;

		if (create && h->ops->prepare_parent &&
		    (ret = h->ops->prepare_parent(fd, h->controllers, h->mountpoint, err)) < 0)
			return ret;
		child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
				return berth_make_error(err, errno, "mkdir `%s/%s`: %s",
							h->mountpoint, path, strerror(errno));
			child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (child < 0)
			return berth_make_error(err, errno, "open `%s/%s`: %s", h->mountpoint, path,
						strerror(errno));
		if (create && h->ops->init_dir &&
		    (ret = h->ops->init_dir(fd, child, h->controllers, h->mountpoint, err)) < 0)
			return ret;
		close(fd);
		fd = steal_fd(&child);
	}
	return steal_fd(&fd);
}

static size_t path_depth(const char *path)
{
	size_t n = 1;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

static struct berth_cgroup *cgroup_new(const char *root, const char *path, berth_error_t *err)
{
	struct berth_cgroup_mount *m = NULL;
	struct berth_cgroup *cg;
	size_t n = 0, i;
	int version = 1;

	cg = xzalloc(sizeof(*cg));
	if (berth_cg_normalize_path(path, &cg->path, err) < 0 ||
	    load_mounts(root, &m, &n, &version, err) < 0) {
		berth_cgroup_free(cg);
		return NULL;
	}
	cg->version = version;
	cg->hier = xcalloc(n, sizeof(*cg->hier));
	cg->n_hier = n;
	for (i = 0; i < n; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];

		h->mountpoint = steal_pointer(&m[i].mountpoint);
		h->dir = xasprintf("%s/%s", h->mountpoint, cg->path);
		h->controllers = m[i].controllers;
		h->v2 = m[i].v2;
		h->ops = h->v2 ? &berth_cgroup_v2_ops : &berth_cgroup_v1_ops;
		h->fd = -1;
	}
	berth_cg_mounts_free(m, n);
	return cg;
}

/* Opens (or makes) the container's directory in every hierarchy. Opening
 * an existing cgroup tolerates hierarchies where it is missing, as long
 * as one has it. */
static int open_dirs(struct berth_cgroup *cg, bool create, berth_error_t *err)
{
	size_t i, found = 0;

	for (i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];
		cleanup_close int root_fd = open_hier_root(h, err);

		if (root_fd < 0)
			return -1;
		h->fd = walk(h, root_fd, cg->path, SIZE_MAX, create, err);
		if (h->fd < 0 && !create && berth_error_code(*err) == ENOENT) {
			berth_error_release(err);
			h->fd = -1;
			continue;
		}
		if (h->fd < 0)
			return -1;
		found++;
	}
	if (found == 0)
		return berth_make_error(err, ENOENT, "cgroup `%s` does not exist", cg->path);
	return 0;
}

static struct berth_cgroup_hier *hier_for(struct berth_cgroup *cg, enum berth_cg_controller c)
{
	size_t i;

	for (i = 0; i < cg->n_hier; i++)
		if ((cg->hier[i].controllers & BERTH_CG_BIT(c)) && cg->hier[i].fd >= 0)
			return &cg->hier[i];
	return NULL;
}

/* ------------------------------------------------------------ limits */

static int missing(const char *warning, berth_error_t *err)
{
	return berth_make_error(err, EINVAL, "%s", warning);
}

static bool wants_memory(const struct berth_cgroup_res *r)
{
	return (r->has_limit && r->limit > 0) || (r->has_swap && r->swap > 0) ||
	       (r->has_reservation && r->reservation > 0) || r->has_swappiness ||
	       r->oom_kill_disable;
}

static int apply_memory(struct berth_cgroup *cg, const struct berth_cgroup_res *r,
			berth_error_t *err)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_MEMORY);

	if (h == NULL)
		return wants_memory(r) ? missing("Your kernel does not support memory limit "
						 "capabilities or the cgroup is not mounted. "
						 "Limitation discarded.",
						 err)
				       : 0;
	return h->ops->set_memory(h, r, err);
}

static int apply_cpu(struct berth_cgroup *cg, const struct berth_cgroup_res *r, berth_error_t *err)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_CPU);
	bool cfs = (r->has_quota && r->quota != 0) || (r->has_period && r->period != 0);

	if (h == NULL && r->has_shares && r->shares > 0)
		return missing("Your kernel does not support CPU shares or the cgroup is not "
			       "mounted. Shares discarded.",
			       err);
	if (h == NULL && cfs)
		return missing("Your kernel does not support CPU CFS scheduler. CPU period/quota "
			       "discarded.",
			       err);
	return h ? h->ops->set_cpu(h, r, err) : 0;
}

static int apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_res *r,
			   berth_error_t *err)
{
	struct berth_cgroup_hier *h;
	int ret;

	if ((ret = apply_memory(cg, r, err)) < 0 || (ret = apply_cpu(cg, r, err)) < 0)
		return ret;
	h = hier_for(cg, BERTH_CG_CPUSET);
	if (h == NULL && (r->cpus || r->mems))
		return missing("Your kernel does not support cpuset or the cgroup is not mounted. "
			       "Cpuset discarded.",
			       err);
	if (h && (ret = h->ops->set_cpuset(h, r, err)) < 0)
		return ret;
	h = hier_for(cg, BERTH_CG_PIDS);
	if (h == NULL && r->has_pids && r->pids > 0)
		return missing("Your kernel does not support PIDs limit capabilities or the cgroup "
			       "is not mounted. PIDs limit discarded.",
			       err);
	if (h && (ret = h->ops->set_pids(h, r, err)) < 0)
		return ret;
	/* no device hierarchy (v1 without it): nothing to enforce with */
	h = hier_for(cg, BERTH_CG_DEVICES);
	if (h && r->devices && (ret = h->ops->set_devices(h, r->devices, err)) < 0)
		return ret;
	return 0;
}

static int enter(struct berth_cgroup *cg, pid_t pid, berth_error_t *err)
{
	size_t i;
	int ret;

	for (i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];

		if (h->fd >= 0 &&
		    (ret = berth_cg_writef(h->fd, h->dir, "cgroup.procs", err, "%d", (int)pid)) < 0)
			return ret;
	}
	return 0;
}

int berth_cgroup_v2_fd(const struct berth_cgroup *cg)
{
	if (cg->version != 2 || cg->n_hier != 1 || !cg->hier[0].v2)
		return -1;
	return cg->hier[0].fd;
}

int berth_cgroup_enter_v2(struct berth_cgroup *cg, pid_t pid, berth_error_t *err)
{
	for (size_t i = 0; pid > 0 && i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];
		int ret;

		if (h->fd >= 0 && h->v2 &&
		    (ret = berth_cg_writef(h->fd, h->dir, "cgroup.procs", err, "%d", (int)pid)) < 0)
			return ret;
	}
	return 0;
}

ssize_t berth_cgroup_v1_task_fds(struct berth_cgroup *cg, int *fds, size_t max,
				 berth_error_t *err)
{
	size_t n = 0;

	for (size_t i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];

		if (h->fd < 0 || h->v2)
			continue;
		if (n == max) {
			while (n > 0)
				close(fds[--n]);
			return berth_make_error(err, E2BIG, "more than %zu cgroup v1 hierarchies",
						max);
		}
		fds[n] = openat(h->fd, "tasks", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fds[n] < 0) {
			int e = errno;
			while (n > 0)
				close(fds[--n]);
			return berth_make_error(err, e, "open `%s/tasks`: %s", h->dir, strerror(e));
		}
		n++;
	}
	return (ssize_t)n;
}

/* rmdir of the container's directory in H (children first); ENOENT is
 * fine. */
static int remove_dir(struct berth_cgroup_hier *h, const char *path, uint64_t deadline,
		      berth_error_t *err);

struct berth_cgroup *berth_cgroup_create(const char *root, const char *path,
					 const json_t *resources, pid_t pid, berth_error_t *err)
{
	struct berth_cgroup *cg;
	struct berth_cgroup_res r;
	size_t i;

	if (berth_cg_parse_resources(resources, &r, err) < 0)
		return NULL;
	cg = cgroup_new(root, path, err);
	if (cg == NULL)
		return NULL;
	if (open_dirs(cg, true, err) < 0 || apply_resources(cg, &r, err) < 0 ||
	    (pid > 0 && enter(cg, pid, err) < 0)) {
		berth_error_t e2 = NULL;

		/* best effort: a directory that holds PID stays (EBUSY) */
		for (i = 0; i < cg->n_hier; i++)
			if (cg->hier[i].fd >= 0 && remove_dir(&cg->hier[i], cg->path, 0, &e2) < 0)
				berth_error_release(&e2);
		berth_cgroup_free(cg);
		return NULL;
	}
	return cg;
}

struct berth_cgroup *berth_cgroup_open(const char *root, const char *path, berth_error_t *err)
{
	struct berth_cgroup *cg = cgroup_new(root, path, err);

	if (cg && open_dirs(cg, false, err) < 0) {
		berth_cgroup_free(cg);
		return NULL;
	}
	return cg;
}

int berth_cgroup_update(struct berth_cgroup *cg, const json_t *resources, berth_error_t *err)
{
	struct berth_cgroup_res r;

	if (berth_cg_parse_resources(resources, &r, err) < 0)
		return -1;
	return apply_resources(cg, &r, err);
}

int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_FREEZER);

	if (h == NULL)
		return berth_make_error(err, ENOTSUP, "no freezer cgroup for `%s`", cg->path);
	return h->ops->freeze(h, frozen, err);
}

/* ------------------------------------------------------------ pids */

/* Appends the pids of the cgroup FD and its descendants. */
static int collect_pids(int fd, const char *where, unsigned depth, pid_t **pids, size_t *n,
			size_t *cap, berth_error_t *err)
{
	cleanup_free char *text = NULL;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int dfd;

	if (berth_cg_read(fd, where, "cgroup.procs", BERTH_CG_MAX_PROCS_FILE, &text, err) < 0 ||
	    berth_cg_parse_pids(text, pids, n, cap, err) < 0)
		return -1;
	if (depth >= BERTH_CG_MAX_DEPTH)
		return 0;
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return berth_make_error(err, errno, "open `%s`: %s", where, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		cleanup_close int child = -1;

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		child = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0 && errno == ENOENT) /* removed meanwhile */
			continue;
		if (child < 0)
			return berth_make_error(err, errno, "open `%s/%s`: %s", where, de->d_name,
						strerror(errno));
		if (collect_pids(child, where, depth + 1, pids, n, cap, err) < 0)
			return -1;
	}
	return 0;
}

/* The hierarchy whose cgroup.procs is read: pids, memory, else any. */
static struct berth_cgroup_hier *procs_hier(struct berth_cgroup *cg)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_PIDS);
	size_t i;

	if (h == NULL)
		h = hier_for(cg, BERTH_CG_MEMORY);
	for (i = 0; h == NULL && i < cg->n_hier; i++)
		if (cg->hier[i].fd >= 0)
			h = &cg->hier[i];
	return h;
}

int berth_cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err)
{
	struct berth_cgroup_hier *h = procs_hier(cg);
	cleanup_free pid_t *v = NULL;
	size_t count = 0, cap = 0;

	if (h == NULL)
		return berth_make_error(err, ENOENT, "cgroup `%s` has no directory", cg->path);
	if (collect_pids(h->fd, h->dir, 0, &v, &count, &cap, err) < 0)
		return -1;
	if (v == NULL)
		v = xmalloc(sizeof(*v));
	*pids = steal_pointer(&v);
	*n = count;
	return 0;
}

/* ------------------------------------------------------------ destroy */

/* SIGKILLs every process of ONLY's hierarchy (NULL: of every one);
 * returns how many it saw. */
static ssize_t kill_round(struct berth_cgroup *cg, struct berth_cgroup_hier *only,
			  berth_error_t *err)
{
	size_t i, j, total = 0;

	for (i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];
		cleanup_free pid_t *pids = NULL;
		size_t n = 0, cap = 0;

		if (h->fd < 0 || (only && h != only))
			continue;
		if (collect_pids(h->fd, h->dir, 0, &pids, &n, &cap, err) < 0)
			return -1;
		for (j = 0; j < n; j++)
			kill(pids[j], SIGKILL);
		total += n;
	}
	return (ssize_t)total;
}

static int rmdir_children(int fd, const char *where, unsigned depth, uint64_t deadline,
			  berth_error_t *err);

/* rmdir NAME in PARENT: children first, EBUSY retried until DEADLINE. */
static int rmdir_at(int parent, const char *name, const char *where, unsigned depth,
		    uint64_t deadline, berth_error_t *err)
{
	cleanup_close int fd =
	    openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unsigned attempt = 0;

	if (fd < 0)
		return errno == ENOENT
			   ? 0
			   : berth_make_error(err, errno, "open `%s`: %s", where, strerror(errno));
	if (depth < BERTH_CG_MAX_DEPTH && rmdir_children(fd, where, depth + 1, deadline, err) < 0)
		return -1;
	while (unlinkat(parent, name, AT_REMOVEDIR) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || berth_cg_now_ms() >= deadline)
			return berth_make_error(err, errno, "rmdir `%s`: %s", where,
						strerror(errno));
		berth_cg_backoff(attempt++);
	}
	return 0;
}

static int rmdir_children(int fd, const char *where, unsigned depth, uint64_t deadline,
			  berth_error_t *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return berth_make_error(err, errno, "open `%s`: %s", where, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (rmdir_at(fd, de->d_name, where, depth, deadline, err) < 0)
			return -1;
	}
	return 0;
}

static int remove_dir(struct berth_cgroup_hier *h, const char *path, uint64_t deadline,
		      berth_error_t *err)
{
	cleanup_close int root_fd = open_hier_root(h, err);
	cleanup_close int parent = -1;
	const char *leaf = strrchr(path, '/');

	if (root_fd < 0)
		return -1;
	parent = walk(h, root_fd, path, path_depth(path) - 1, false, err);
	if (parent < 0 && berth_error_code(*err) == ENOENT) {
		berth_error_release(err);
		return 0;
	}
	if (parent < 0)
		return -1;
	return rmdir_at(parent, leaf ? leaf + 1 : path, h->dir, 0, deadline, err);
}

static void thaw_quietly(struct berth_cgroup *cg)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_FREEZER);
	berth_error_t e = NULL;

	if (h && h->ops->freeze(h, false, &e) < 0)
		berth_error_release(&e);
}

/* The common end: the container's processes are gone (its pid namespace
 * died with its init) and each directory goes with one rmdir, without the
 * rounds of cgroup.procs reads and directory walks below. False as soon as
 * one is busy (processes, or child groups a privileged container made). */
static bool remove_empty(struct berth_cgroup *cg)
{
	const char *leaf = strrchr(cg->path, '/');

	leaf = leaf ? leaf + 1 : cg->path;
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];
		cleanup_close int parent = -1;

		if (h->fd < 0)
			continue;
		parent = openat(h->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || (unlinkat(parent, leaf, AT_REMOVEDIR) < 0 && errno != ENOENT))
			return false;
		close(h->fd);
		h->fd = -1;
	}
	return true;
}

int berth_cgroup_destroy(struct berth_cgroup *cg, berth_error_t *err)
{
	uint64_t deadline = berth_cg_now_ms() + CG_DESTROY_TIMEOUT_MS;
	unsigned attempt = 0;
	ssize_t left;
	size_t i;

	if (remove_empty(cg))
		return 0;

	for (i = 0; i < cg->n_hier; i++)
		if (cg->hier[i].fd >= 0 && cg->hier[i].ops->kill_all &&
		    cg->hier[i].ops->kill_all(&cg->hier[i], err) < 0)
			return -1;
	for (;;) {
		/* one hierarchy while it has processes, then all once more:
		 * on v1 they normally hold the same ones */
		left = kill_round(cg, procs_hier(cg), err);
		if (left == 0)
			left = kill_round(cg, NULL, err);
		if (left < 0)
			return -1;
		/* frozen tasks die only once thawed: after the signal, so that
		 * nothing runs in between */
		if (attempt == 0)
			thaw_quietly(cg);
		if (left == 0)
			break;
		if (berth_cg_now_ms() >= deadline)
			return berth_make_error(
			    err, EBUSY, "%zd processes are still in cgroup `%s`", left, cg->path);
		berth_cg_backoff(attempt++);
	}
	for (i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];

		if (h->fd >= 0 && remove_dir(h, cg->path, deadline, err) < 0)
			return -1;
		if (h->fd >= 0)
			close(h->fd);
		h->fd = -1;
	}
	return 0;
}

/* ------------------------------------------------------------ oom, stats */

bool berth_cgroup_oom_killed(struct berth_cgroup *cg)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_MEMORY);

	return h && h->ops->oom_killed(h);
}

static uint64_t machine_memory(void)
{
	cleanup_free char *text = NULL;
	berth_error_t err = NULL;
	uint64_t v = 0;

	if (berth_fs_read_file("/proc/meminfo", BERTH_CG_MAX_FILE, &text, &err) < 0)
		berth_error_release(&err);
	else if (berth_cg_parse_meminfo(text, &v) < 0)
		v = 0;
	return v;
}

static void add_system_cpu(json_t *cpu)
{
	cleanup_free char *text = NULL;
	berth_error_t err = NULL;
	uint64_t ns;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (berth_fs_read_file("/proc/stat", BERTH_CG_MAX_PROCS_FILE, &text, &err) < 0)
		berth_error_release(&err);
	else if (berth_cg_parse_proc_stat(text, sysconf(_SC_CLK_TCK), &ns) == 0)
		json_object_set_new(cpu, "system_cpu_usage", berth_cg_json_u64(ns));
	json_object_set_new(cpu, "online_cpus", json_integer(n > 0 ? n : 1));
}

static json_t *cpu_stats(struct berth_cgroup *cg)
{
	json_t *cpu = json_pack("{s:{s:i,s:i,s:i},s:{s:i,s:i,s:i}}", "cpu_usage", "total_usage", 0,
				"usage_in_kernelmode", 0, "usage_in_usermode", 0, "throttling_data",
				"periods", 0, "throttled_periods", 0, "throttled_time", 0);
	size_t i;

	for (i = 0; i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];

		if (h->fd >= 0 && (h->controllers &
				   (BERTH_CG_BIT(BERTH_CG_CPU) | BERTH_CG_BIT(BERTH_CG_CPUACCT))))
			h->ops->cpu_stats(h, cpu);
	}
	add_system_cpu(cpu);
	return cpu;
}

static json_t *memory_stats(struct berth_cgroup *cg)
{
	struct berth_cgroup_hier *h = hier_for(cg, BERTH_CG_MEMORY);
	json_t *mem = json_object(), *limit;
	uint64_t total = machine_memory();

	if (h == NULL)
		return mem;
	h->ops->memory_stats(h, mem);
	/* unlimited reads as a huge number: docker shows the host's memory */
	limit = json_object_get(mem, "limit");
	if (total > 0 && (limit == NULL || json_integer_value(limit) < 0 ||
			  (uint64_t)json_integer_value(limit) > total))
		json_object_set_new(mem, "limit", berth_cg_json_u64(total));
	return mem;
}

json_t *berth_cgroup_stats(struct berth_cgroup *cg, berth_error_t *err)
{
	struct berth_cgroup_hier *h;
	json_t *pids = json_object();
	json_t *blkio = json_pack("{s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "io_service_bytes_recursive",
				  "io_serviced_recursive", "io_queue_recursive",
				  "io_service_time_recursive", "io_wait_time_recursive",
				  "io_merged_recursive", "io_time_recursive", "sectors_recursive");

	if (procs_hier(cg) == NULL) {
		json_decref(pids);
		json_decref(blkio);
		berth_make_error(err, ENOENT, "cgroup `%s` has no directory", cg->path);
		return NULL;
	}
	if ((h = hier_for(cg, BERTH_CG_PIDS)) != NULL)
		h->ops->pids_stats(h, pids);
	if ((h = hier_for(cg, BERTH_CG_BLKIO)) != NULL)
		h->ops->blkio_stats(h, blkio);
	return json_pack("{s:o,s:o,s:o,s:o}", "cpu_stats", cpu_stats(cg), "memory_stats",
			 memory_stats(cg), "pids_stats", pids, "blkio_stats", blkio);
}

/* The v1 answers: files in the root of each hierarchy. */
static void host_info_v1(const struct berth_cgroup_hier *h, int fd, json_t *o)
{
	if (h->controllers & BERTH_CG_BIT(BERTH_CG_MEMORY)) {
		json_object_set_new(o, "memory",
				    json_boolean(berth_cg_exists(fd, "memory.limit_in_bytes")));
		json_object_set_new(
		    o, "swap", json_boolean(berth_cg_exists(fd, "memory.memsw.limit_in_bytes")));
		json_object_set_new(
		    o, "memory_reservation",
		    json_boolean(berth_cg_exists(fd, "memory.soft_limit_in_bytes")));
		json_object_set_new(o, "swappiness",
				    json_boolean(berth_cg_exists(fd, "memory.swappiness")));
		json_object_set_new(o, "oom_kill_disable",
				    json_boolean(berth_cg_exists(fd, "memory.oom_control")));
	}
	if (h->controllers & BERTH_CG_BIT(BERTH_CG_CPU)) {
		json_object_set_new(o, "cpu_shares",
				    json_boolean(berth_cg_exists(fd, "cpu.shares")));
		json_object_set_new(o, "cpu_cfs",
				    json_boolean(berth_cg_exists(fd, "cpu.cfs_quota_us")));
	}
}

/* v2: the controllers the root offers (swap accounting is assumed with
 * memory; v2 has no swappiness or OOM-killer switch). */
static void host_info_v2(const struct berth_cgroup_hier *h, json_t *o)
{
	bool mem = h->controllers & BERTH_CG_BIT(BERTH_CG_MEMORY);
	bool cpu = h->controllers & BERTH_CG_BIT(BERTH_CG_CPU);

	if (mem) {
		json_object_set_new(o, "memory", json_true());
		json_object_set_new(o, "swap", json_true());
		json_object_set_new(o, "memory_reservation", json_true());
	}
	if (cpu) {
		json_object_set_new(o, "cpu_shares", json_true());
		json_object_set_new(o, "cpu_cfs", json_true());
	}
}

json_t *berth_cgroup_host_info(const char *root)
{
	static const struct {
		const char *key;
		enum berth_cg_controller c;
	} present[] = { { "cpuset", BERTH_CG_CPUSET },
			{ "pids", BERTH_CG_PIDS },
			{ "freezer", BERTH_CG_FREEZER },
			{ "blkio", BERTH_CG_BLKIO } };
	static const char *const keys[] = {
		"memory",     "swap",	"memory_reservation", "swappiness", "oom_kill_disable",
		"cpu_shares", "cpu_cfs"
	};
	berth_error_t err = NULL;
	struct berth_cgroup *cg = cgroup_new(root, "/x", &err);
	json_t *o = json_pack("{s:i}", "version", berth_cgroup_host_version(root));
	size_t i, j;

	berth_error_release(&err);
	for (i = 0; i < BERTH_ARRAY_SIZE(keys); i++)
		json_object_set_new(o, keys[i], json_false());
	for (i = 0; i < BERTH_ARRAY_SIZE(present); i++)
		json_object_set_new(o, present[i].key, json_false());
	for (i = 0; cg && i < cg->n_hier; i++) {
		struct berth_cgroup_hier *h = &cg->hier[i];
		berth_error_t e = NULL;
		cleanup_close int fd = open_hier_root(h, &e);

		berth_error_release(&e);
		if (fd < 0)
			continue;
		for (j = 0; j < BERTH_ARRAY_SIZE(present); j++)
			if (h->controllers & BERTH_CG_BIT(present[j].c))
				json_object_set_new(o, present[j].key, json_true());
		if (h->v2)
			host_info_v2(h, o);
		else
			host_info_v1(h, fd, o);
	}
	berth_cgroup_free(cg);
	return o;
}

void berth_cgroup_free(struct berth_cgroup *cg)
{
	size_t i;

	if (cg == NULL)
		return;
	for (i = 0; i < cg->n_hier; i++) {
		if (cg->hier[i].fd >= 0)
			close(cg->hier[i].fd);
		free(cg->hier[i].mountpoint);
		free(cg->hier[i].dir);
	}
	free(cg->hier);
	free(cg->path);
	free(cg);
}
