/* manifest.c: Docker schema 2 / OCI manifests and indexes, image configs,
 * and platforms as containerd's platforms package (which docker uses)
 * parses, normalises and ranks them.
 *
 * Every document comes from a registry or a tarball, so nothing is
 * trusted: sizes are bounded before parsing, duplicate keys are refused (two
 * parsers must never disagree on what a digest-verified document says), and
 * every field we read or hand on is type-checked. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "base/cleanup.h"
#include "base/digest.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "image/manifest.h"
#include "base/reference.h"

#define DESCRIPTOR_MAX_SIZE ((json_int_t)1 << 40) /* 1 TiB: no blob is larger */
#define DESCRIPTOR_MAX_URLS 64
#define CONFIG_MAX_HISTORY  4096
#define MEDIA_TYPE_MAX_LEN  255
#define PLATFORM_MAX_LEN    256
#define PLATFORM_VECTOR_MAX 32
#define CPUINFO_MAX_BYTES   (1024 * 1024)
#define JSON_DECODE_FLAGS   JSON_REJECT_DUPLICATES

/* jansson's own json_decrefp (2.11+) releases and clears */
#define cleanup_json __attribute__((cleanup(json_decrefp)))

static void platform_releasep(struct berth_platform *p)
{
	berth_platform_release(p);
}
#define cleanup_platform __attribute__((cleanup(platform_releasep)))

/* ---- media types ---- */

enum mt_role {
	MT_UNKNOWN,
	MT_MANIFEST,
	MT_INDEX,
	MT_CONFIG,
	MT_LAYER,
	MT_SCHEMA1
};

static const struct {
	const char *name;
	enum mt_role role;
} media_types[] = {
	{ BERTH_MT_DOCKER_MANIFEST, MT_MANIFEST },
	{ BERTH_MT_OCI_MANIFEST, MT_MANIFEST },
	{ BERTH_MT_DOCKER_LIST, MT_INDEX },
	{ BERTH_MT_OCI_INDEX, MT_INDEX },
	{ BERTH_MT_DOCKER_CONFIG, MT_CONFIG },
	{ BERTH_MT_OCI_CONFIG, MT_CONFIG },
	{ BERTH_MT_DOCKER_LAYER, MT_LAYER },
	{ BERTH_MT_DOCKER_FOREIGN, MT_LAYER },
	{ "application/vnd.docker.image.rootfs.diff.tar", MT_LAYER },
	{ BERTH_MT_OCI_LAYER, MT_LAYER },
	{ BERTH_MT_OCI_LAYER_GZIP, MT_LAYER },
	{ BERTH_MT_OCI_LAYER_ZSTD, MT_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", MT_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", MT_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", MT_LAYER },
	{ "application/vnd.docker.distribution.manifest.v1+json", MT_SCHEMA1 },
	{ "application/vnd.docker.distribution.manifest.v1+prettyjws", MT_SCHEMA1 },
};

static enum mt_role media_type_role(const char *s)
{
	size_t i;

	for (i = 0; s && i < BERTH_ARRAY_SIZE(media_types); i++)
		if (strcmp(s, media_types[i].name) == 0)
			return media_types[i].role;
	return MT_UNKNOWN;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One side of RFC 6838 type/subtype: [A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126} */
static size_t media_type_token(const char *s)
{
	size_t i;

	if (!is_alnum(s[0]))
		return 0;
	for (i = 1; s[i] && (is_alnum(s[i]) || strchr("!#$&^_.+-", s[i])); i++)
		;
	return i <= 127 ? i : 0;
}

/* The OCI descriptor mediaType pattern. Only strings that pass are ever
 * echoed in an error message. */
static bool media_type_valid(const char *s)
{
	size_t n = media_type_token(s);

	return n > 0 && s[n] == '/' && media_type_token(s + n + 1) > 0 &&
	       s[n + 1 + media_type_token(s + n + 1)] == '\0';
}

/* "Application/JSON; charset=utf-8" -> "application/json"; NULL if absent. */
static char *content_type_base(const char *ct)
{
	size_t start = 0, end;
	char *r;

	if (ct == NULL)
		return NULL;
	end = strcspn(ct, ";");
	while (start < end && (ct[start] == ' ' || ct[start] == '\t'))
		start++;
	while (end > start && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
		end--;
	if (end == start || end - start > MEDIA_TYPE_MAX_LEN)
		return NULL;
	r = xstrndup(ct + start, end - start);
	for (end = 0; r[end]; end++)
		if (r[end] >= 'A' && r[end] <= 'Z')
			r[end] = (char)(r[end] - 'A' + 'a');
	return r;
}

/* ---- JSON field helpers: absent and null are the same (as in Go) ---- */

static json_t *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int get_string(json_t *obj, const char *key, bool required, const char **out,
		      berth_error_t *err)
{
	json_t *v = field(obj, key);

	*out = NULL;
	if (v == NULL)
		return required ? berth_make_error(err, EINVAL, "missing `%s`", key) : 0;
	if (!json_is_string(v))
		return berth_make_error(err, EINVAL, "`%s` must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static bool is_string_array(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return false;
	json_array_foreach (v, i, e)
		if (!json_is_string(e))
			return false;
	return true;
}

static bool is_string_map(json_t *v)
{
	const char *k;
	json_t *e;

	if (!json_is_object(v))
		return false;
	json_object_foreach (v, k, e)
		if (!json_is_string(e))
			return false;
	return true;
}

/* V (NULL: absent) is an array of at most MAX strings (0: no limit). */
static int check_strings(json_t *v, const char *what, size_t max, berth_error_t *err)
{
	if (v == NULL)
		return 0;
	if (!is_string_array(v))
		return berth_make_error(err, EINVAL, "`%s` must be an array of strings", what);
	if (max && json_array_size(v) > max)
		return berth_make_error(err, EINVAL, "too many entries in `%s`", what);
	return 0;
}

static int check_string_map(json_t *v, const char *what, berth_error_t *err)
{
	if (v != NULL && !is_string_map(v))
		return berth_make_error(err, EINVAL, "`%s` must be an object of strings", what);
	return 0;
}

static int check_media_type_field(json_t *obj, const char *key, berth_error_t *err)
{
	const char *s;
	int ret = get_string(obj, key, false, &s, err);

	if (ret < 0)
		return ret;
	if (s && !media_type_valid(s))
		return berth_make_error(err, EINVAL, "`%s` is not a valid media type", key);
	return 0;
}

/* ---- platforms ---- */

static void lowercase(char *s)
{
	for (; s && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static char *xstrdup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* Architecture spellings and what they mean; a non-NULL variant replaces
 * whatever variant was given ("" drops it). */
static const struct {
	const char *name, *arch, *variant;
} arch_aliases[] = {
	{ "i386", "386", "" },	      { "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL },
	{ "aarch64", "arm64", NULL }, { "armhf", "arm", "v7" },	   { "armel", "arm", "v6" },
};

/* Variant spellings per architecture (after the aliases). */
static const struct {
	const char *arch, *from, *to;
} variant_aliases[] = {
	{ "amd64", "v1", "" },	   { "arm64", "8", "" },   { "arm64", "v8", "" },
	{ "arm64", "v8.0", "" },   { "arm64", "9", "v9" }, { "arm64", "9.0", "v9" },
	{ "arm64", "v9.0", "v9" }, { "arm", "", "v7" },	   { "arm", "7", "v7" },
	{ "arm", "5", "v5" },	   { "arm", "6", "v6" },   { "arm", "8", "v8" },
};

/* containerd's normalizeArch: lowercase, then the tables above. Returns new
 * strings; *VARIANT is NULL when empty. */
static void normalize_arch(const char *arch, const char *variant, char **out_arch,
			   char **out_variant)
{
	cleanup_free char *a = xstrdup(arch ? arch : "");
	cleanup_free char *v = xstrdup(variant ? variant : "");
	size_t i;

	lowercase(a);
	lowercase(v);
	for (i = 0; i < BERTH_ARRAY_SIZE(arch_aliases); i++) {
		if (strcmp(a, arch_aliases[i].name) != 0)
			continue;
		free(a);
		a = xstrdup(arch_aliases[i].arch);
		if (arch_aliases[i].variant) {
			free(v);
			v = xstrdup(arch_aliases[i].variant);
		}
		break;
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(variant_aliases); i++) {
		if (strcmp(a, variant_aliases[i].arch) == 0 &&
		    strcmp(v, variant_aliases[i].from) == 0) {
			free(v);
			v = xstrdup(variant_aliases[i].to);
			break;
		}
	}
	*out_arch = steal_pointer(&a);
	*out_variant = xstrdup_or_null(v);
}

static char *normalize_os(const char *os)
{
	char *r;

	if (os == NULL || *os == '\0')
		return xstrdup("linux");
	r = xstrdup(os);
	lowercase(r);
	if (strcmp(r, "macos") == 0) {
		free(r);
		r = xstrdup("darwin");
	}
	return r;
}

/* containerd's Normalize. */
static void normalize_platform(const struct berth_platform *in, struct berth_platform *out)
{
	memset(out, 0, sizeof(*out));
	out->os = normalize_os(in->os);
	normalize_arch(in->arch, in->variant, &out->arch, &out->variant);
	out->os_version = xstrdup_or_null(in->os_version);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const known_os[] = {
	"aix",	 "android", "darwin", "dragonfly", "freebsd", "hurd",	 "illumos", "ios", "js",
	"linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos", NULL,
};

static const char *const known_arch[] = {
	"386",	     "amd64",	    "amd64p32", "arm",	 "armbe",   "arm64",  "arm64be",
	"ppc64",     "ppc64le",	    "loong64",	"mips",	 "mipsle",  "mips64", "mips64le",
	"mips64p32", "mips64p32le", "ppc",	"riscv", "riscv64", "s390",   "s390x",
	"sparc",     "sparc64",	    "wasm",	NULL,
};

/* uname machine -> GOARCH-style architecture, with the variant the machine
 * name implies (arm only). */
static const struct {
	const char *machine, *arch, *variant;
} machines[] = {
	{ "x86_64", "amd64", NULL },  { "amd64", "amd64", NULL },
	{ "aarch64", "arm64", "v8" }, { "arm64", "arm64", "v8" },
	{ "armv8l", "arm", "v8" },    { "armv7l", "arm", "v7" },
	{ "armv7", "arm", "v7" },     { "armv6l", "arm", "v6" },
	{ "armv5tel", "arm", "v5" },  { "i386", "386", NULL },
	{ "i486", "386", NULL },      { "i586", "386", NULL },
	{ "i686", "386", NULL },      { "ppc64le", "ppc64le", NULL },
	{ "s390x", "s390x", NULL },   { "riscv64", "riscv64", NULL },
	{ "mips64", "mips64", NULL }, { "loongarch64", "loong64", NULL },
};

/* "CPU architecture: 7" from /proc/cpuinfo, as containerd reads it on arm. */
static char *cpuinfo_arm_variant(void)
{
	cleanup_free char *buf = NULL;
	cleanup_error berth_error_t err = NULL;
	const char *line, *next;

	/* unreadable or huge: the machine name decides */
	if (berth_fs_read_file("/proc/cpuinfo", CPUINFO_MAX_BYTES, &buf, &err) < 0)
		return NULL;
	for (line = buf; line; line = next) {
		const char *colon = strchr(line, ':');
		next = strchr(line, '\n');
		if (next)
			next++;
		if (strncasecmp(line, "CPU architecture", 16) != 0 || colon == NULL ||
		    (next && colon > next))
			continue;
		for (colon++; *colon == ' ' || *colon == '\t'; colon++)
			;
		return *colon >= '5' && *colon <= '8' ? xasprintf("v%c", *colon) : NULL;
	}
	return NULL;
}

void berth_platform_host(struct berth_platform *out)
{
	struct utsname u;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->os = xstrdup("linux");
	if (uname(&u) < 0)
		u.machine[0] = '\0';
	for (i = 0; i < BERTH_ARRAY_SIZE(machines); i++) {
		if (strcmp(u.machine, machines[i].machine) != 0)
			continue;
		out->arch = xstrdup(machines[i].arch);
		if (strcmp(machines[i].arch, "arm") == 0)
			out->variant = cpuinfo_arm_variant();
		if (out->variant == NULL)
			out->variant = xstrdup_or_null(machines[i].variant);
		return;
	}
	/* an unknown machine: containerd's normalisation, or the name itself */
	normalize_arch(u.machine, NULL, &out->arch, &out->variant);
}

/* Go's %q for the ASCII a platform error can contain. */
static char *quote(const char *s)
{
	cleanup_free char *r = xmalloc(4 * strlen(s) + 3);
	size_t n = 0;

	r[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			r[n++] = '\\';
			r[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			n += (size_t)snprintf(r + n, 5, "\\x%02x", c);
		} else {
			r[n++] = (char)c;
		}
	}
	r[n++] = '"';
	r[n] = '\0';
	return steal_pointer(&r);
}

/* S[0..N) made of alphanumerics and EXTRA; the length matched. */
static size_t span_chars(const char *s, size_t n, const char *extra)
{
	size_t i = 0;

	while (i < n && s[i] && (is_alnum(s[i]) || strchr(extra, s[i])))
		i++;
	return i;
}

static bool match_chars(const char *s, size_t n, const char *extra)
{
	return n > 0 && span_chars(s, n, extra) == n;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* url.PathUnescape, in place. */
static int percent_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		if (hex_value(s[1]) < 0 || hex_value(s[2]) < 0)
			return -1;
		*w++ = (char)(hex_value(s[1]) * 16 + hex_value(s[2]));
		s += 2;
	}
	*w = '\0';
	return 0;
}

/* containerd's osRe: name[(version[+feature]*)], name [A-Za-z0-9_-]+ and
 * version/features [A-Za-z0-9_.%-]. Returns the version's length, or -1. */
static ssize_t match_os_part(const char *part, size_t *name_len)
{
	size_t n = strlen(part), i, v;

	*name_len = span_chars(part, n, "_-");
	if (*name_len == 0)
		return -1;
	if (*name_len == n)
		return 0;
	if (part[*name_len] != '(' || part[n - 1] != ')')
		return -1;
	i = *name_len + 1;
	v = span_chars(part + i, n - 1 - i, "_.%-");
	for (i += v; i < n - 1;) {
		size_t k;
		if (part[i] != '+')
			return -1;
		k = span_chars(part + i + 1, n - 2 - i, "_.%-");
		if (k == 0)
			return -1;
		i += 1 + k;
	}
	return (ssize_t)v;
}

/* The first part of a specifier: OS and VERSION (features are accepted
 * but not kept: linux images have none). */
static int parse_os_part(const char *part, const char *spec, char **os, char **version,
			 berth_error_t *err)
{
	static const char os_re[] = "\"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+"
				    "[A-Za-z0-9_.%-]+)*)\\\\))?$\"";
	size_t name_len;
	ssize_t vlen = match_os_part(part, &name_len);
	const char *vstart;
	cleanup_free char *v = NULL;

	*os = *version = NULL;
	if (vlen < 0) {
		cleanup_free char *qp = quote(part);
		cleanup_free char *qs = quote(spec);
		return berth_make_error(
		    err, EINVAL,
		    "%s is an invalid OS component of %s: OSAndVersion specifier "
		    "component must match %s: invalid argument",
		    qp, qs, os_re);
	}
	vstart = part[name_len] == '(' ? part + name_len + 1 : part + name_len;
	v = xstrndup(vstart, (size_t)vlen);
	if (percent_decode(v) < 0) {
		cleanup_free char *qs = quote(spec);
		cleanup_free char *qv = xstrndup(vstart, (size_t)vlen);
		cleanup_free char *qq = quote(qv);
		return berth_make_error(
		    err, EINVAL, "%s has an invalid OS version %s: invalid URL escape", qs, qq);
	}
	*os = xstrndup(part, name_len);
	*version = xstrdup_or_null(v);
	return 0;
}

static int platform_from_parts(char **parts, size_t n, const char *spec, struct berth_platform *p,
			       berth_error_t *err)
{
	cleanup_free char *qs = quote(spec);
	cleanup_platform struct berth_platform host = { 0 };
	char *os = p->os;

	switch (n) {
	case 1:
		berth_platform_host(&host);
		if (in_list(os, known_os)) {
			p->arch = xstrdup(host.arch);
			if (strcmp(host.arch, "arm") == 0 && host.variant &&
			    strcmp(host.variant, "v7") != 0)
				p->variant = xstrdup(host.variant);
			return 0;
		}
		normalize_arch(parts[0], NULL, &p->arch, &p->variant);
		if (!in_list(p->arch, known_arch))
			return berth_make_error(err, EINVAL,
						"%s: unknown operating system or architecture: "
						"invalid argument",
						qs);
		free(p->os);
		p->os = xstrdup("linux");
		break;
	case 2:
		normalize_arch(parts[1], NULL, &p->arch, &p->variant);
		break;
	case 3:
		normalize_arch(parts[1], parts[2], &p->arch, &p->variant);
		if (strcmp(p->arch, "arm64") == 0 && p->variant == NULL)
			p->variant = xstrdup("v8");
		return 0;
	default:
		return berth_make_error(
		    err, EINVAL, "%s: cannot parse platform specifier: invalid argument", qs);
	}
	/* arm/v7 is the default arm, spelled without its variant */
	if (strcmp(p->arch, "arm") == 0 && p->variant && strcmp(p->variant, "v7") == 0) {
		free(p->variant);
		p->variant = NULL;
	}
	return 0;
}

int berth_platform_parse(const char *s, struct berth_platform *out, berth_error_t *err)
{
	cleanup_free char *copy = NULL;
	cleanup_free char *qs = NULL;
	char *parts[4], *os = NULL;
	size_t n = 0, i;
	int ret;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strlen(s) > PLATFORM_MAX_LEN)
		return berth_make_error(err, EINVAL, "platform specifier is too long");
	qs = quote(s);
	if (strchr(s, '*'))
		return berth_make_error(err, EINVAL,
					"%s: wildcards not yet supported: invalid argument", qs);
	/* split in at most 4 parts; the last keeps any further '/' */
	copy = xstrdup(s);
	parts[n++] = copy;
	while (n < 4) {
		char *slash = strchr(parts[n - 1], '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		parts[n++] = slash + 1;
	}
	ret = parse_os_part(parts[0], s, &os, &out->os_version, err);
	if (ret < 0)
		return ret;
	out->os = normalize_os(os);
	free(os);
	for (i = 1; i < n; i++) {
		if (!match_chars(parts[i], strlen(parts[i]), "_.-")) {
			cleanup_free char *qp = quote(parts[i]);
			berth_platform_release(out);
			return berth_make_error(
			    err, EINVAL,
			    "%s is an invalid component of %s: platform specifier "
			    "component must match \"^[A-Za-z0-9_.-]+$\": invalid "
			    "argument",
			    qp, qs);
		}
	}
	ret = platform_from_parts(parts, n, s, out, err);
	if (ret < 0)
		berth_platform_release(out);
	return ret;
}

char *berth_platform_string(const struct berth_platform *p)
{
	if (p->os == NULL || *p->os == '\0')
		return xstrdup("unknown");
	/* path.Join: empty elements vanish */
	return xasprintf("%s%s%s%s%s", p->os, p->arch && *p->arch ? "/" : "",
			 p->arch ? p->arch : "", p->variant && *p->variant ? "/" : "",
			 p->variant ? p->variant : "");
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool berth_platform_match(const struct berth_platform *want, const struct berth_platform *candidate)
{
	cleanup_platform struct berth_platform w = { 0 };
	cleanup_platform struct berth_platform c = { 0 };

	normalize_platform(want, &w);
	normalize_platform(candidate, &c);
	if (!str_eq(w.os, c.os) || !str_eq(w.arch, c.arch))
		return false;
	/* no variant asked for: any will do. Normalisation makes arm64 "v8"
	 * and "" the same, and arm "" the same as "v7". */
	if (want->variant == NULL || *want->variant == '\0')
		return true;
	return str_eq(w.variant, c.variant);
}

void berth_platform_release(struct berth_platform *p)
{
	if (p == NULL)
		return;
	free(p->os);
	free(p->arch);
	free(p->variant);
	free(p->os_version);
	memset(p, 0, sizeof(*p));
}

void berth_platform_copy(struct berth_platform *dst, const struct berth_platform *src)
{
	dst->os = src->os ? xstrdup(src->os) : NULL;
	dst->arch = src->arch ? xstrdup(src->arch) : NULL;
	dst->variant = src->variant ? xstrdup(src->variant) : NULL;
	dst->os_version = src->os_version ? xstrdup(src->os_version) : NULL;
}

/* ---- platform ranking (containerd's platforms.Only) ---- */

struct platform_vector {
	const char *os; /* borrowed from the normalised want */
	struct {
		const char *arch; /* static or borrowed */
		char variant[16]; /* normalised, "" for none */
	} e[PLATFORM_VECTOR_MAX];
	size_t n;
};

static void vector_add(struct platform_vector *v, const char *arch, const char *variant)
{
	if (v->n == PLATFORM_VECTOR_MAX)
		return;
	v->e[v->n].arch = arch;
	snprintf(v->e[v->n].variant, sizeof(v->e[v->n].variant), "%s", variant);
	v->n++;
}

/* "vN" -> N, or -1 (small numbers only: no variant goes past v9). */
static int variant_number(const char *v)
{
	if (v == NULL || v[0] != 'v' || v[1] < '0' || v[1] > '9' ||
	    (v[2] != '\0' && (v[2] < '0' || v[2] > '9' || v[3] != '\0')))
		return -1;
	return v[2] ? (v[1] - '0') * 10 + (v[2] - '0') : v[1] - '0';
}

static void vector_arm(struct platform_vector *v, int version)
{
	char buf[8];

	for (; version >= 5; version--) {
		snprintf(buf, sizeof(buf), "v%d", version);
		vector_add(v, "arm", buf);
	}
}

/* "v8", "v9", "v8.N" or "v9.N" -> major and minor; false otherwise. */
static bool arm64_version(const char *v, int *major, int *minor)
{
	if (v[0] != 'v' || (v[1] != '8' && v[1] != '9'))
		return false;
	*major = v[1] - '0';
	*minor = 0;
	if (v[2] == '\0')
		return true;
	if (v[2] != '.' || v[3] < '0' || v[3] > '9' || v[4] != '\0')
		return false;
	*minor = v[3] - '0';
	return true;
}

/* arm64 vM.N: the same major down to .0, then (for v9) v8.(N+5) down, then
 * 32-bit arm from v8 down. containerd knows v8.0-v8.9 and v9.0-v9.7; any
 * other arm64 variant matches nothing. */
static void vector_arm64(struct platform_vector *v, const char *variant)
{
	int major, minor, m;
	char buf[16];

	if (variant == NULL || *variant == '\0')
		variant = "v8";
	if (!arm64_version(variant, &major, &minor) || (major == 9 && minor > 7))
		return;
	for (m = minor; major == 9 && m >= 0; m--) {
		snprintf(buf, sizeof(buf), m ? "v9.%d" : "v9", m);
		vector_add(v, "arm64", buf);
	}
	m = major == 9 ? (minor + 5 > 9 ? 9 : minor + 5) : minor;
	for (; m >= 0; m--) {
		snprintf(buf, sizeof(buf), "v8.%d", m);
		vector_add(v, "arm64", m ? buf : "");
	}
	vector_arm(v, 8);
}

static void build_vector(const struct berth_platform *w, struct platform_vector *v)
{
	int version = variant_number(w->variant);

	v->os = w->os;
	v->n = 0;
	if (strcmp(w->arch, "arm64") == 0) {
		vector_arm64(v, w->variant);
		return;
	}
	vector_add(v, w->arch, w->variant ? w->variant : "");
	if (strcmp(w->arch, "amd64") == 0) {
		char buf[8];
		for (version--; version >= 1; version--) {
			snprintf(buf, sizeof(buf), "v%d", version);
			vector_add(v, "amd64", version > 1 ? buf : "");
		}
		vector_add(v, "386", "");
	} else if (strcmp(w->arch, "arm") == 0 && version > 5) {
		vector_arm(v, version - 1);
	}
}

/* The rank of CANDIDATE in V (lower is better), or -1 when it does not match. */
static int vector_rank(const struct platform_vector *v, const struct berth_platform *candidate)
{
	cleanup_platform struct berth_platform c = { 0 };
	size_t i;

	normalize_platform(candidate, &c);
	if (strcmp(c.os, v->os) != 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (strcmp(c.arch, v->e[i].arch) == 0 && str_eq(c.variant, v->e[i].variant))
			return (int)i;
	return -1;
}

int berth_manifest_select(const struct berth_manifest *index, const struct berth_platform *want,
			  berth_error_t *err)
{
	cleanup_platform struct berth_platform w = { 0 };
	struct platform_vector v;
	int best = -1, best_rank = PLATFORM_VECTOR_MAX + 1, rank;
	size_t i;

	if (index->kind != BERTH_MANIFEST_INDEX)
		return berth_make_error(err, EINVAL, "not a manifest list or index");
	normalize_platform(want, &w);
	build_vector(&w, &v);
	for (i = 0; i < index->n_manifests; i++) {
		const struct berth_descriptor *d = &index->manifests[i];
		if (media_type_role(d->media_type) != MT_MANIFEST)
			continue;
		/* docker takes an entry without a platform, after all others */
		rank = d->has_platform ? vector_rank(&v, &d->platform) : PLATFORM_VECTOR_MAX;
		if (rank >= 0 && rank < best_rank) {
			best = (int)i;
			best_rank = rank;
		}
	}
	if (best < 0) {
		cleanup_free char *p = berth_platform_string(want);
		return berth_make_error(
		    err, ENOENT, "no matching manifest for %s in the manifest list entries", p);
	}
	return best;
}

/* ---- descriptors ---- */

enum desc_role {
	DESC_CONFIG,
	DESC_LAYER,
	DESC_ENTRY,
	DESC_ANY
};

static int platform_decode(json_t *j, struct berth_platform *p, berth_error_t *err)
{
	const char *os, *arch, *variant, *os_version;
	int ret;

	if (!json_is_object(j))
		return berth_make_error(err, EINVAL, "`platform` must be an object");
	if ((ret = get_string(j, "architecture", true, &arch, err)) < 0 ||
	    (ret = get_string(j, "os", true, &os, err)) < 0 ||
	    (ret = get_string(j, "variant", false, &variant, err)) < 0 ||
	    (ret = get_string(j, "os.version", false, &os_version, err)) < 0 ||
	    (ret = check_strings(field(j, "os.features"), "os.features", 0, err)) < 0 ||
	    (ret = check_strings(field(j, "features"), "features", 0, err)) < 0)
		return berth_error_wrap(err, "platform");
	p->os = xstrdup(os);
	p->arch = xstrdup(arch);
	p->variant = xstrdup_or_null(variant);
	p->os_version = xstrdup_or_null(os_version);
	return 0;
}

static int size_decode(json_t *j, int64_t *out, berth_error_t *err)
{
	json_t *v = json_object_get(j, "size");
	json_int_t n;

	if (v == NULL)
		return berth_make_error(err, EINVAL, "missing `size`");
	if (!json_is_integer(v))
		return berth_make_error(err, EINVAL, "`size` must be an integer");
	n = json_integer_value(v);
	if (n < 0 || n > DESCRIPTOR_MAX_SIZE)
		return berth_make_error(err, EINVAL, "invalid size %lld", (long long)n);
	*out = (int64_t)n;
	return 0;
}

static int media_type_decode(json_t *j, enum desc_role role, const char **out, berth_error_t *err)
{
	int ret = get_string(j, "mediaType", true, out, err);

	if (ret < 0)
		return ret;
	if (!media_type_valid(*out))
		return berth_make_error(err, EINVAL, "`mediaType` is not a valid media type");
	/* docker's text for a config or layer type it cannot use */
	if ((role == DESC_CONFIG && media_type_role(*out) != MT_CONFIG) ||
	    (role == DESC_LAYER && media_type_role(*out) != MT_LAYER))
		return berth_make_error(err, EINVAL, "unsupported media type %s", *out);
	return 0;
}

static int descriptor_decode(json_t *j, enum desc_role role, struct berth_descriptor *d,
			     berth_error_t *err)
{
	const char *mt, *digest, *data;
	json_t *v;
	int ret;

	if (!json_is_object(j))
		return berth_make_error(err, EINVAL, "a descriptor must be an object");
	if ((ret = media_type_decode(j, role, &mt, err)) < 0 ||
	    (ret = get_string(j, "digest", true, &digest, err)) < 0 ||
	    (ret = berth_digest_check(digest, err)) < 0 ||
	    (ret = size_decode(j, &d->size, err)) < 0 ||
	    (ret = check_strings(field(j, "urls"), "urls", DESCRIPTOR_MAX_URLS, err)) < 0 ||
	    (ret = check_string_map(field(j, "annotations"), "annotations", err)) < 0 ||
	    (ret = check_media_type_field(j, "artifactType", err)) < 0 ||
	    (ret = get_string(j, "data", false, &data, err)) < 0)
		return ret;
	v = field(j, "platform");
	if (v && role == DESC_ENTRY) {
		ret = platform_decode(v, &d->platform, err);
		if (ret < 0)
			return ret;
		d->has_platform = true;
	}
	d->media_type = xstrdup(mt);
	d->digest = xstrdup(digest);
	v = field(j, "annotations");
	d->annotations = v ? json_incref(v) : NULL;
	return 0;
}

static void descriptor_release(struct berth_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	berth_platform_release(&d->platform);
	json_decrefp(&d->annotations);
	memset(d, 0, sizeof(*d));
}

/* KEY as an array of descriptors of ROLE, at most MAX of them. */
static int descriptors_decode(json_t *root, const char *key, enum desc_role role, size_t max,
			      struct berth_descriptor **out, size_t *n_out, berth_error_t *err)
{
	json_t *arr = field(root, key), *e;
	size_t i;
	int ret;

	if (arr == NULL)
		return berth_make_error(err, EINVAL, "missing `%s`", key);
	if (!json_is_array(arr))
		return berth_make_error(err, EINVAL, "`%s` must be an array", key);
	if (json_array_size(arr) > max)
		return berth_make_error(err, EINVAL, "too many %s (%zu, the limit is %zu)", key,
					json_array_size(arr), max);
	if (json_array_size(arr) == 0)
		return 0;
	*out = xcalloc(json_array_size(arr), sizeof(**out));
	*n_out = json_array_size(arr);
	json_array_foreach (arr, i, e) {
		ret = descriptor_decode(e, role, &(*out)[i], err);
		if (ret < 0)
			return berth_error_wrap(err, "%s[%zu]", key, i);
	}
	return 0;
}

/* ---- manifests ---- */

static int schema_version_check(json_t *root, enum mt_role ct_role, berth_error_t *err)
{
	json_t *v = json_object_get(root, "schemaVersion");

	if (ct_role == MT_SCHEMA1 || (json_is_integer(v) && json_integer_value(v) == 1))
		return berth_make_error(
		    err, ENOTSUP,
		    "unsupported manifest format: schema 1 (Docker Image manifest "
		    "version 2, schema 1 is deprecated and no longer supported; "
		    "push the image as Docker schema 2 or OCI)");
	if (v == NULL)
		return berth_make_error(err, EINVAL, "missing `schemaVersion`");
	if (!json_is_integer(v))
		return berth_make_error(err, EINVAL, "`schemaVersion` must be an integer");
	if (json_integer_value(v) != 2)
		return berth_make_error(err, EINVAL, "unsupported schemaVersion %lld",
					(long long)json_integer_value(v));
	return 0;
}

/* The document's media type: the body's, else the Content-Type's, else
 * guessed from the shape (an OCI document may omit it). */
static int resolve_media_type(json_t *root, const char *ct, enum mt_role ct_role, const char **out,
			      berth_error_t *err)
{
	const char *body_mt;
	enum mt_role role;
	int ret = get_string(root, "mediaType", false, &body_mt, err);

	if (ret < 0)
		return ret;
	if (body_mt) {
		role = media_type_role(body_mt);
		if (role != MT_MANIFEST && role != MT_INDEX)
			return media_type_valid(body_mt)
				   ? berth_make_error(err, EINVAL,
						      "unsupported manifest media type %s", body_mt)
				   : berth_make_error(err, EINVAL, "invalid manifest media type");
		if ((ct_role == MT_MANIFEST || ct_role == MT_INDEX) && strcmp(ct, body_mt) != 0)
			return berth_make_error(err, EINVAL,
						"manifest media type %s does not match the "
						"content type %s",
						body_mt, ct);
		*out = body_mt;
	} else if (ct_role == MT_MANIFEST || ct_role == MT_INDEX) {
		*out = ct;
	} else if (json_object_get(root, "manifests")) {
		*out = BERTH_MT_OCI_INDEX;
	} else if (json_object_get(root, "config") || json_object_get(root, "layers")) {
		*out = BERTH_MT_OCI_MANIFEST;
	} else {
		return berth_make_error(err, EINVAL, "unknown manifest format");
	}
	return 0;
}

static int manifest_decode(json_t *root, const char *content_type, struct berth_manifest *out,
			   berth_error_t *err)
{
	cleanup_free char *ct = content_type_base(content_type);
	enum mt_role ct_role = media_type_role(ct);
	const char *mt = NULL;
	json_t *config;
	int ret;

	if (!json_is_object(root))
		return berth_make_error(err, EINVAL, "a manifest must be a JSON object");
	if ((ret = schema_version_check(root, ct_role, err)) < 0 ||
	    (ret = resolve_media_type(root, ct, ct_role, &mt, err)) < 0 ||
	    (ret = check_string_map(field(root, "annotations"), "annotations", err)) < 0 ||
	    (ret = check_media_type_field(root, "artifactType", err)) < 0)
		return ret;
	out->media_type = xstrdup(mt);
	if (field(root, "subject")) {
		struct berth_descriptor subject = { 0 };
		ret = descriptor_decode(field(root, "subject"), DESC_ANY, &subject, err);
		descriptor_release(&subject);
		if (ret < 0)
			return berth_error_wrap(err, "subject");
	}
	if (media_type_role(mt) == MT_INDEX) {
		out->kind = BERTH_MANIFEST_INDEX;
		if (json_object_get(root, "config") || json_object_get(root, "layers"))
			return berth_make_error(err, EINVAL, "an index has no config or layers");
		return descriptors_decode(root, "manifests", DESC_ENTRY, BERTH_INDEX_MAX_ENTRIES,
					  &out->manifests, &out->n_manifests, err);
	}
	out->kind = BERTH_MANIFEST_IMAGE;
	if (json_object_get(root, "manifests"))
		return berth_make_error(err, EINVAL, "an image manifest has no manifests list");
	config = field(root, "config");
	if (config == NULL)
		return berth_make_error(err, EINVAL, "missing `config`");
	ret = descriptor_decode(config, DESC_CONFIG, &out->config, err);
	if (ret < 0)
		return berth_error_wrap(err, "config");
	return descriptors_decode(root, "layers", DESC_LAYER, BERTH_MANIFEST_MAX_LAYERS,
				  &out->layers, &out->n_layers, err);
}

static json_t *json_decode(const char *body, size_t len, size_t max, const char *what,
			   berth_error_t *err)
{
	json_error_t jerr;
	json_t *root;

	if (body == NULL || len > max) {
		berth_make_error(err, EINVAL, "%s is too large (%zu bytes, the limit is %zu)", what,
				 len, max);
		return NULL;
	}
	root = json_loadb(body, len, JSON_DECODE_FLAGS, &jerr);
	if (root == NULL)
		berth_make_error(err, EINVAL, "invalid %s: %s", what, jerr.text);
	return root;
}

int berth_manifest_parse(const char *body, size_t len, const char *content_type,
			 struct berth_manifest *out, berth_error_t *err)
{
	cleanup_json json_t *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	root = json_decode(body, len, BERTH_MANIFEST_MAX_BYTES, "manifest", err);
	if (root == NULL)
		return -EINVAL - 1;
	ret = manifest_decode(root, content_type, out, err);
	if (ret < 0) {
		berth_manifest_release(out);
		if (berth_error_code(*err) == EINVAL)
			return berth_error_wrap(err, "invalid manifest");
	}
	return ret;
}

void berth_manifest_release(struct berth_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->media_type);
	descriptor_release(&m->config);
	for (i = 0; i < m->n_layers; i++)
		descriptor_release(&m->layers[i]);
	free(m->layers);
	for (i = 0; i < m->n_manifests; i++)
		descriptor_release(&m->manifests[i]);
	free(m->manifests);
	memset(m, 0, sizeof(*m));
}

/* ---- image configs ---- */

/* N decimal digits at S, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 as Go's time.Time decodes it: "2024-01-01T00:00:00[.frac](Z|+hh:mm)". */
static int parse_rfc3339(const char *s, int64_t *out)
{
	int y = digits(s, 4), mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	size_t i = 19;

	if (y < 0 || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 59)
		return -1;
	if (s[i] == '.' || s[i] == ',') {
		size_t k = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == k)
			return -1;
	}
	if (s[i] == 'Z' && s[i + 1] == '\0') {
		sign = 0;
	} else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 && s[i + 3] == ':') {
		sign = s[i] == '+' ? 1 : -1;
		oh = digits(s + i + 1, 2);
		om = digits(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
	} else {
		return -1;
	}
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return 0;
}

enum field_type {
	F_STRING,
	F_BOOL,
	F_INT,
	F_TIME,
	F_STRINGS,
	F_STRSLICE,
	F_MAP,
	F_OBJECT
};

struct field_spec {
	const char *name;
	enum field_type type;
};

/* The container config fields docker decodes, with their Go types. */
static const struct field_spec container_config_fields[] = {
	{ "User", F_STRING },	      { "WorkingDir", F_STRING }, { "StopSignal", F_STRING },
	{ "Env", F_STRINGS },	      { "OnBuild", F_STRINGS },	  { "Cmd", F_STRSLICE },
	{ "Entrypoint", F_STRSLICE }, { "Shell", F_STRSLICE },	  { "Labels", F_MAP },
	{ "ExposedPorts", F_OBJECT }, { "Volumes", F_OBJECT },	  { "Healthcheck", F_OBJECT },
	{ "ArgsEscaped", F_BOOL },    { "StopTimeout", F_INT },
};

static const struct field_spec healthcheck_fields[] = {
	{ "Test", F_STRSLICE },	  { "Interval", F_INT },      { "Timeout", F_INT },
	{ "StartPeriod", F_INT }, { "StartInterval", F_INT }, { "Retries", F_INT },
};

static const struct field_spec history_fields[] = {
	{ "created", F_TIME },	 { "created_by", F_STRING }, { "author", F_STRING },
	{ "comment", F_STRING }, { "empty_layer", F_BOOL },
};

static int field_check(json_t *v, const struct field_spec *f, berth_error_t *err)
{
	int64_t t;
	bool ok;

	switch (f->type) {
	case F_STRING:
		ok = json_is_string(v);
		break;
	case F_BOOL:
		ok = json_is_boolean(v);
		break;
	case F_INT:
		ok = json_is_integer(v);
		break;
	case F_TIME:
		ok = json_is_string(v) && parse_rfc3339(json_string_value(v), &t) == 0;
		break;
	case F_STRSLICE: /* docker's strslice also takes a single string */
		ok = json_is_string(v) || is_string_array(v);
		break;
	case F_STRINGS:
		ok = is_string_array(v);
		break;
	case F_MAP:
		ok = is_string_map(v);
		break;
	default:
		ok = json_is_object(v);
		break;
	}
	return ok ? 0 : berth_make_error(err, EINVAL, "invalid `%s`", f->name);
}

static int fields_check(json_t *obj, const struct field_spec *fields, size_t n, berth_error_t *err)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		json_t *v = field(obj, fields[i].name);
		if (v && (ret = field_check(v, &fields[i], err)) < 0)
			return ret;
	}
	return 0;
}

static int container_config_check(json_t *root, berth_error_t *err)
{
	json_t *c = field(root, "config");
	int ret;

	if (c == NULL)
		return 0;
	if (!json_is_object(c))
		return berth_make_error(err, EINVAL, "`config` must be an object");
	ret = fields_check(c, container_config_fields, BERTH_ARRAY_SIZE(container_config_fields),
			   err);
	if (ret == 0 && field(c, "Healthcheck"))
		ret = fields_check(field(c, "Healthcheck"), healthcheck_fields,
				   BERTH_ARRAY_SIZE(healthcheck_fields), err);
	return ret < 0 ? berth_error_wrap(err, "config") : 0;
}

static int history_check(json_t *root, berth_error_t *err)
{
	json_t *h = field(root, "history"), *e;
	size_t i;
	int ret;

	if (h == NULL)
		return 0;
	if (!json_is_array(h))
		return berth_make_error(err, EINVAL, "`history` must be an array");
	if (json_array_size(h) > CONFIG_MAX_HISTORY)
		return berth_make_error(err, EINVAL,
					"too many history entries (%zu, the limit is %d)",
					json_array_size(h), CONFIG_MAX_HISTORY);
	json_array_foreach (h, i, e) {
		if (!json_is_object(e))
			return berth_make_error(err, EINVAL, "history[%zu] must be an object", i);
		ret = fields_check(e, history_fields, BERTH_ARRAY_SIZE(history_fields), err);
		if (ret < 0)
			return berth_error_wrap(err, "history[%zu]", i);
	}
	return 0;
}

static int rootfs_decode(json_t *root, struct berth_image_config *out, berth_error_t *err)
{
	json_t *rootfs = field(root, "rootfs"), *ids, *e;
	const char *type = NULL;
	size_t i;
	int ret;

	if (json_is_object(rootfs))
		type = json_string_value(json_object_get(rootfs, "type"));
	if (type == NULL || strcmp(type, "layers") != 0)
		return berth_make_error(err, EINVAL, "invalid rootfs in image configuration");
	ids = field(rootfs, "diff_ids");
	if (ids == NULL)
		return 0;
	if (!json_is_array(ids))
		return berth_make_error(err, EINVAL, "`rootfs.diff_ids` must be an array");
	if (json_array_size(ids) > BERTH_MANIFEST_MAX_LAYERS)
		return berth_make_error(err, EINVAL, "too many layers (%zu, the limit is %d)",
					json_array_size(ids), BERTH_MANIFEST_MAX_LAYERS);
	if (json_array_size(ids) == 0)
		return 0;
	out->diff_ids = xcalloc(json_array_size(ids), sizeof(char *));
	json_array_foreach (ids, i, e) {
		if (!json_is_string(e))
			return berth_make_error(err, EINVAL,
						"rootfs.diff_ids[%zu] must be a string", i);
		ret = berth_digest_check(json_string_value(e), err);
		if (ret < 0)
			return berth_error_wrap(err, "rootfs.diff_ids[%zu]", i);
		out->diff_ids[out->n_diff_ids++] = xstrdup(json_string_value(e));
	}
	return 0;
}

static int config_decode(json_t *root, struct berth_image_config *out, berth_error_t *err)
{
	const char *os, *arch, *variant, *os_version, *created;
	int ret;

	if (!json_is_object(root))
		return berth_make_error(err, EINVAL, "an image config must be a JSON object");
	if ((ret = get_string(root, "os", false, &os, err)) < 0 ||
	    (ret = get_string(root, "architecture", false, &arch, err)) < 0 ||
	    (ret = get_string(root, "variant", false, &variant, err)) < 0 ||
	    (ret = get_string(root, "os.version", false, &os_version, err)) < 0 ||
	    (ret = get_string(root, "created", false, &created, err)) < 0)
		return ret;
	if (created && parse_rfc3339(created, &out->created) < 0)
		return berth_make_error(err, EINVAL, "invalid `created` time");
	if ((ret = rootfs_decode(root, out, err)) < 0 || (ret = history_check(root, err)) < 0 ||
	    (ret = container_config_check(root, err)) < 0)
		return ret;
	out->platform.os = xstrdup(os ? os : "");
	out->platform.arch = xstrdup(arch ? arch : "");
	out->platform.variant = xstrdup_or_null(variant);
	out->platform.os_version = xstrdup_or_null(os_version);
	return 0;
}

int berth_image_config_parse(const char *body, size_t len, struct berth_image_config *out,
			     berth_error_t *err)
{
	cleanup_json json_t *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	root = json_decode(body, len, BERTH_CONFIG_MAX_BYTES, "image config", err);
	if (root == NULL)
		return -EINVAL - 1;
	ret = config_decode(root, out, err);
	if (ret < 0) {
		berth_image_config_release(out);
		return ret;
	}
	out->json = steal_pointer(&root);
	return 0;
}

void berth_image_config_release(struct berth_image_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	json_decrefp(&c->json);
	berth_platform_release(&c->platform);
	for (i = 0; i < c->n_diff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

char **berth_chain_ids(char *const *diff_ids, size_t n)
{
	char **out = xcalloc(n ? n : 1, sizeof(char *));
	char digest[BERTH_DIGEST_LEN + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		cleanup_free char *joined = NULL;
		if (i == 0) {
			out[0] = xstrdup(diff_ids[0]);
			continue;
		}
		joined = xasprintf("%s %s", out[i - 1], diff_ids[i]);
		berth_sha256_digest(joined, strlen(joined), digest);
		out[i] = xstrdup(digest);
	}
	return out;
}
