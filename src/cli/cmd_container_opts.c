/* cmd_container_opts.c: the flags of `berth create` and `berth run`, with
 * docker's names, help texts and value checks (pflag's messages), and the
 * value parsers they share with other commands (sizes, durations, CPUs). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"

/* ---- numbers as Go parses them ---- */

bool berth_cli_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

int berth_cli_validate_int(const char *s, berth_error_t *err)
{
	int64_t n;

	if (!berth_cli_parse_int(s, &n))
		return berth_make_error(err, EINVAL,
					"strconv.ParseInt: parsing \"%s\": invalid syntax", s);
	return 0;
}

/* strconv.ParseInt(s, 0, 64) and ParseUint(s, 0, BITS), with their errors. */
static int go_parse_int(const char *s, bool is_signed, int bits, int64_t *out, berth_error_t *err)
{
	const char *fn = is_signed ? "strconv.ParseInt" : "strconv.ParseUint";
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s) || (!is_signed && *s == '-') || *s == '+')
		goto syntax;
	errno = 0;
	if (is_signed) {
		long long v = strtoll(s, &end, 0);
		if (*end)
			goto syntax;
		if (errno == ERANGE)
			goto range;
		*out = v;
		return 0;
	}
	unsigned long long u = strtoull(s, &end, 0);
	if (*end)
		goto syntax;
	if (errno == ERANGE || (bits < 64 && u >> bits) || u > INT64_MAX)
		goto range;
	*out = (int64_t)u;
	return 0;
syntax:
	return berth_make_error(err, EINVAL, "%s: parsing \"%s\": invalid syntax", fn, s);
range:
	return berth_make_error(err, ERANGE, "%s: parsing \"%s\": value out of range", fn, s);
}

static int v_int(const char *s, berth_error_t *err)
{
	int64_t v;
	return go_parse_int(s, true, 64, &v, err);
}

static int v_uint16(const char *s, berth_error_t *err)
{
	int64_t v;
	return go_parse_int(s, false, 16, &v, err);
}

static int v_uint(const char *s, berth_error_t *err)
{
	int64_t v;
	return go_parse_int(s, false, 64, &v, err);
}

/* go-units parseSize with the binary map. */
int berth_cli_parse_ram(const char *s, int64_t *out, berth_error_t *err)
{
	static const char units[] = "kmgtp";
	const char *sep = NULL, *sfx;
	cleanup_free char *num = NULL;
	char lower[4] = "";
	double size;
	char *end;

	for (const char *p = s; *p; p++)
		if (strchr("0123456789. ", *p))
			sep = p;
	if (sep == NULL)
		return berth_make_error(err, EINVAL, "invalid size: '%s'", s);
	num = xstrndup(s, (size_t)(sep - s) + (*sep == ' ' ? 0 : 1));
	sfx = sep + 1;
	size = strtod(num, &end);
	if (*num == '\0' || *end || isspace((unsigned char)*num))
		return berth_make_error(err, EINVAL,
					"strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
	if (size < 0)
		return berth_make_error(err, EINVAL, "invalid size: '%s'", s);
	if (*sfx == '\0') {
		*out = (int64_t)size;
		return 0;
	}
	if (strlen(sfx) > 3)
		return berth_make_error(err, EINVAL, "invalid suffix: '%s'", sfx);
	for (size_t i = 0; sfx[i]; i++)
		lower[i] = (char)tolower((unsigned char)sfx[i]);
	if (lower[0] == 'b' && lower[1] == '\0') {
		*out = (int64_t)size;
		return 0;
	}
	const char *u = lower[0] ? strchr(units, lower[0]) : NULL;
	if (u == NULL || (lower[1] && lower[2] == '\0' && lower[1] != 'b') ||
	    (lower[1] && lower[2] && strcmp(lower + 1, "ib") != 0))
		return berth_make_error(err, EINVAL, "invalid suffix: '%s'", lower);
	for (const char *k = units; k <= u; k++)
		size *= 1024;
	*out = (int64_t)size;
	return 0;
}

static int v_bytes(const char *s, berth_error_t *err)
{
	int64_t v;
	return berth_cli_parse_ram(s, &v, err);
}

static int v_memswap(const char *s, berth_error_t *err)
{
	return strcmp(s, "-1") == 0 ? 0 : v_bytes(s, err);
}

/* opts.ParseCPUs: a decimal number of CPUs as nano CPUs, exactly. */
static int parse_cpus(const char *s, int64_t *out, berth_error_t *err)
{
	const char *p = s, *dot;
	int64_t whole = 0, frac = 0;
	size_t nfrac;
	bool neg = *p == '-';

	p += (*p == '-' || *p == '+');
	dot = strchr(p, '.');
	nfrac = dot ? strlen(dot + 1) : 0;
	if (*p == '\0' || strspn(p, "0123456789.") != strlen(p) || (dot && strchr(dot + 1, '.')) ||
	    (dot == p && nfrac == 0))
		return berth_make_error(err, EINVAL, "failed to parse %s as a rational number", s);
	for (; *p && *p != '.'; p++)
		whole = whole * 10 + (*p - '0');
	for (size_t i = 0; i < nfrac; i++) {
		if (i >= 9 && dot[1 + i] != '0')
			return berth_make_error(err, EINVAL, "value is too precise");
		if (i < 9)
			frac = frac * 10 + (dot[1 + i] - '0');
	}
	for (size_t i = nfrac; i < 9; i++)
		frac *= 10;
	*out = (whole * 1000000000LL + frac) * (neg ? -1 : 1);
	return 0;
}

static int v_decimal(const char *s, berth_error_t *err)
{
	int64_t v;
	return parse_cpus(s, &v, err);
}

/* Go's time.ParseDuration. */
int berth_cli_parse_go_duration(const char *s, int64_t *out, berth_error_t *err)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 },   { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
		      { "ms", 1e6 }, { "s", 1e9 },  { "m", 60e9 },	  { "h", 3600e9 } };
	const char *p = s;
	double total = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*p == '\0')
		return berth_make_error(err, EINVAL, "time: invalid duration \"%s\"", s);
	while (*p) {
		char *end;
		size_t ulen, best = 0, bi = 0;
		if (!(isdigit((unsigned char)*p) || *p == '.'))
			return berth_make_error(err, EINVAL, "time: invalid duration \"%s\"", s);
		double v = strtod(p, &end);
		if (end == p)
			return berth_make_error(err, EINVAL, "time: invalid duration \"%s\"", s);
		p = end;
		ulen = strcspn(p, "0123456789.");
		if (ulen == 0)
			return berth_make_error(err, EINVAL,
						"time: missing unit in duration \"%s\"", s);
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(units); i++)
			if (strlen(units[i].unit) == ulen && strncmp(p, units[i].unit, ulen) == 0)
				best = 1, bi = i;
		if (!best)
			return berth_make_error(err, EINVAL,
						"time: unknown unit \"%.*s\" in duration \"%s\"",
						(int)ulen, p, s);
		total += v * units[bi].ns;
		p += ulen;
	}
	*out = (int64_t)(neg ? -total : total);
	return 0;
}

static int v_duration(const char *s, berth_error_t *err)
{
	int64_t v;
	return berth_cli_parse_go_duration(s, &v, err);
}

/* ---- list validators (docker's opts.Validate*) ---- */

static int v_env(const char *s, berth_error_t *err)
{
	if (*s == '=' || *s == '\0')
		return berth_make_error(err, EINVAL, "invalid environment variable: %s", s);
	return 0;
}

int berth_cli_validate_label(const char *s, berth_error_t *err)
{
	size_t lead = strspn(s, " \t"), klen = strcspn(s + lead, "=");

	if (klen == 0)
		return berth_make_error(err, EINVAL, "invalid label '%s': empty name", s);
	for (size_t i = 0; i < klen; i++)
		if (s[lead + i] == ' ' || s[lead + i] == '\t')
			return berth_make_error(err, EINVAL, "label '%.*s' contains whitespaces",
						(int)klen, s + lead);
	return 0;
}

static int v_attach(const char *s, berth_error_t *err)
{
	static const char *const streams[] = { "stdin", "stdout", "stderr" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(streams); i++)
		if (strcasecmp(s, streams[i]) == 0)
			return 0;
	return berth_make_error(err, EINVAL, "valid streams are STDIN, STDOUT and STDERR");
}

static bool is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int v_ip(const char *s, berth_error_t *err)
{
	cleanup_free char *t = xstrdup(s + strspn(s, " \t"));
	size_t len = strlen(t);

	while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		t[--len] = '\0';
	if (!is_ip(t))
		return berth_make_error(err, EINVAL, "IP address is not correctly formatted: %s",
					s);
	return 0;
}

/* opts.ValidateExtraHost: "host:ip" or "host=ip", ip may be "host-gateway". */
static int v_add_host(const char *s, berth_error_t *err)
{
	const char *sep = strchr(s, '=');
	cleanup_free char *ip = NULL;
	size_t len;

	if (sep == NULL)
		sep = strchr(s, ':');
	if (sep == NULL || sep == s)
		return berth_make_error(err, EINVAL, "bad format for add-host: \"%s\"", s);
	ip = xstrdup(sep + 1);
	len = strlen(ip);
	if (len > 1 && ip[0] == '[' && ip[len - 1] == ']') {
		memmove(ip, ip + 1, len - 2);
		ip[len - 2] = '\0';
	}
	if (strcmp(ip, "host-gateway") != 0 && !is_ip(ip))
		return berth_make_error(err, EINVAL, "invalid IP address in add-host: \"%s\"", ip);
	return 0;
}

static int v_dns_search(const char *s, berth_error_t *err)
{
	size_t len = strlen(s);

	if (strcmp(s, ".") == 0)
		return 0;
	if (len > 255 || len == 0 || s[0] == '.' || s[0] == '-' || s[len - 1] == '-')
		return berth_make_error(err, EINVAL, "%s is not a valid domain", s);
	return 0;
}

/* units.ParseUlimit: "name=soft[:hard]". */
static int parse_ulimit(const char *s, json_t **out, berth_error_t *err)
{
	static const char *const names[] = {
		"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
		"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"
	};
	const char *eq = strchr(s, '='), *colon;
	cleanup_free char *name = NULL;
	int64_t soft, hard;
	bool known = false;

	if (eq == NULL || strchr(eq + 1, '='))
		return berth_make_error(err, EINVAL, "invalid ulimit argument: %s", s);
	name = xstrndup(s, (size_t)(eq - s));
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++)
		known |= strcmp(names[i], name) == 0;
	if (!known)
		return berth_make_error(err, EINVAL, "invalid ulimit type: %s", name);
	colon = strchr(eq + 1, ':');
	if (colon && strchr(colon + 1, ':'))
		return berth_make_error(
		    err, EINVAL,
		    "too many limit value arguments - %s, can only have up to two, `soft[:hard]`",
		    eq + 1);
	cleanup_free char *softs =
	    xstrndup(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1));
	if (go_parse_int(softs, true, 64, &soft, err) < 0)
		return -1;
	hard = soft;
	if (colon && go_parse_int(colon + 1, true, 64, &hard, err) < 0)
		return -1;
	if (soft > hard && hard != -1 && soft != -1)
		return berth_make_error(
		    err, EINVAL,
		    "ulimit soft limit must be less than or equal to hard limit: %" PRId64
		    " > %" PRId64,
		    soft, hard);
	if (out)
		*out = json_pack("{s:s, s:I, s:I}", "Name", name, "Hard", (json_int_t)hard, "Soft",
				 (json_int_t)soft);
	return 0;
}

static int v_ulimit(const char *s, berth_error_t *err)
{
	return parse_ulimit(s, NULL, err);
}

static int v_sysctl(const char *s, berth_error_t *err)
{
	static const char *const prefixes[] = { "kernel.msg", "kernel.sem", "kernel.shm",
						"fs.mqueue.", "net." };
	size_t klen = strcspn(s, "=");

	if (s[klen] != '=')
		return berth_make_error(err, EINVAL, "sysctl '%s' is not allowed", s);
	if (klen == strlen("kernel.domainname") && strncmp(s, "kernel.domainname", klen) == 0)
		return 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(prefixes); i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return 0;
	return berth_make_error(err, EINVAL, "sysctl '%s' is not allowed", s);
}

static int v_cgroup_rule(const char *s, berth_error_t *err)
{
	const char *p = s + 2;
	size_t n;

	if (!(strchr("acb", s[0]) && s[0] && s[1] == ' '))
		goto bad;
	n = *p == '*' ? 1 : strspn(p, "0123456789");
	if (n == 0 || p[n] != ':')
		goto bad;
	p += n + 1;
	n = *p == '*' ? 1 : strspn(p, "0123456789");
	if (n == 0 || p[n] != ' ')
		goto bad;
	p += n + 1;
	n = strspn(p, "rwm");
	if (n < 1 || n > 3 || p[n])
		goto bad;
	return 0;
bad:
	return berth_make_error(err, EINVAL, "invalid device cgroup format '%s'", s);
}

int berth_cli_validate_link(const char *s, berth_error_t *err)
{
	const char *c = strchr(s, ':');

	if (*s == '\0')
		return berth_make_error(err, EINVAL, "empty string specified for links");
	if (c && strchr(c + 1, ':'))
		return berth_make_error(err, EINVAL, "bad format for links: %s", s);
	return 0;
}

/* "--mount" and "--network" are checked when the request is built. */
static int v_pair(const char *s, berth_error_t *err)
{
	const char *c = strrchr(s, ':');

	if (c == NULL || strncmp(s, "/dev/", 5) != 0)
		return berth_make_error(err, EINVAL, "bad format: %s", s);
	return 0;
}

/* ---- the tables ---- */

#define O(f) offsetof(struct berth_cli_create_opts, f)

/* addFlags(): the container options shared by create and run */
#define CONTAINER_OPTIONS                                                                               \
	{                                                                                               \
		"attach",  'a',	    BERTH_OPT_LIST,                                                     \
		O(attach), "list",  "Attach to STDIN, STDOUT or STDERR",                                \
		NULL,	   v_attach                                                                     \
	},                                                                                              \
	    { "device-cgroup-rule",                                                                     \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(device_cgroup_rule),                                                                    \
	      "list",                                                                                   \
	      "Add a rule to the cgroup allowed devices list",                                          \
	      NULL,                                                                                     \
	      v_cgroup_rule },                                                                          \
	    { "device",	 0,	 BERTH_OPT_LIST,                                                        \
	      O(device), "list", "Add a host device to the container",                                  \
	      NULL,	 NULL },                                                                        \
	    { "gpus",                                                                                   \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(gpus),                                                                                  \
	      "gpu-request",                                                                            \
	      "GPU devices to add to the container ('all' to pass all GPUs)",                           \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "env", 'e', BERTH_OPT_LIST, O(env), "list", "Set environment variables", NULL, v_env },   \
	    { "env-file",  0,	   BERTH_OPT_LIST,                                                      \
	      O(env_file), "list", "Read in a file of environment variables",                           \
	      NULL,	   NULL },                                                                      \
	    { "entrypoint",  0,	       BERTH_OPT_STRING,                                                \
	      O(entrypoint), "string", "Overwrite the default ENTRYPOINT of the image",                 \
	      NULL,	     NULL },                                                                    \
	    { "group-add",  0,	    BERTH_OPT_LIST,                                                     \
	      O(group_add), "list", "Add additional groups to join",                                    \
	      NULL,	    NULL },                                                                     \
	    { "hostname", 'h', BERTH_OPT_STRING, O(hostname), "string", "Container host name",          \
	      NULL,	  NULL },                                                                       \
	    { "domainname",  0,	       BERTH_OPT_STRING,                                                \
	      O(domainname), "string", "Container NIS domain name",                                     \
	      NULL,	     NULL },                                                                    \
	    { "interactive",  'i',  BERTH_OPT_BOOL,                                                     \
	      O(interactive), NULL, "Keep STDIN open even if not attached",                             \
	      NULL,	      NULL },                                                                   \
	    { "label",	      'l',                                                                      \
	      BERTH_OPT_LIST, O(label),                                                                 \
	      "list",	      "Set meta data on a container",                                           \
	      NULL,	      berth_cli_validate_label },                                               \
	    { "label-file",  0,	     BERTH_OPT_LIST,                                                    \
	      O(label_file), "list", "Read in a line delimited file of labels",                         \
	      NULL,	     NULL },                                                                    \
	    { "read-only",  0,	  BERTH_OPT_BOOL,                                                       \
	      O(read_only), NULL, "Mount the container's root filesystem as read only",                 \
	      NULL,	    NULL },                                                                     \
	    { "restart",  0,	    BERTH_OPT_STRING,                                                   \
	      O(restart), "string", "Restart policy to apply when a container exits",                   \
	      "no",	  NULL },                                                                       \
	    { "stop-signal",  0,	BERTH_OPT_STRING,                                               \
	      O(stop_signal), "string", "Signal to stop the container",                                 \
	      NULL,	      NULL },                                                                   \
	    { "stop-timeout",                                                                           \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(stop_timeout),                                                                          \
	      "int",                                                                                    \
	      "Timeout (in seconds) to stop a container",                                               \
	      NULL,                                                                                     \
	      v_int },                                                                                  \
	    { "sysctl", 0, BERTH_OPT_LIST, O(sysctl), "map", "Sysctl options", "map[]", v_sysctl },     \
	    { "tty", 't', BERTH_OPT_BOOL, O(tty), NULL, "Allocate a pseudo-TTY", NULL, NULL },          \
	    { "ulimit", 0, BERTH_OPT_LIST, O(ulimit), "ulimit", "Ulimit options", "[]", v_ulimit },     \
	    { "user",  'u',	 BERTH_OPT_STRING,                                                      \
	      O(user), "string", "Username or UID (format: <name|uid>[:<group|gid>])",                  \
	      NULL,    NULL },                                                                          \
	    { "workdir",  'w',	    BERTH_OPT_STRING,                                                   \
	      O(workdir), "string", "Working directory inside the container",                           \
	      NULL,	  NULL },                                                                       \
	    { "rm",                                                                                     \
	      0,                                                                                        \
	      BERTH_OPT_BOOL,                                                                           \
	      O(rm),                                                                                    \
	      NULL,                                                                                     \
	      "Automatically remove the container and its associated anonymous volumes when it exits",  \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "cap-add", 0, BERTH_OPT_LIST, O(cap_add), "list", "Add Linux capabilities", NULL, NULL }, \
	    { "cap-drop", 0,   BERTH_OPT_LIST, O(cap_drop), "list", "Drop Linux capabilities",          \
	      NULL,	  NULL },                                                                       \
	    { "privileged",  0,	   BERTH_OPT_BOOL,                                                      \
	      O(privileged), NULL, "Give extended privileges to this container",                        \
	      NULL,	     NULL },                                                                    \
	    { "security-opt", 0,   BERTH_OPT_LIST, O(security_opt), "list", "Security Options",         \
	      NULL,	      NULL },                                                                   \
	    { "userns", 0,   BERTH_OPT_STRING, O(userns), "string", "User namespace to use",            \
	      NULL,	NULL },                                                                         \
	    { "cgroupns",                                                                               \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(cgroupns),                                                                              \
	      "string",                                                                                 \
	      "Cgroup namespace to use (host|private)\n"                                                \
	      "'host':    Run the container in the Docker host's cgroup namespace\n"                    \
	      "'private': Run the container in its own private cgroup namespace\n"                      \
	      "'':        Use the cgroup namespace as configured by the\n"                              \
	      "           default-cgroupns-mode option on the daemon (default)",                        \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "add-host",  0,	      BERTH_OPT_LIST,                                                   \
	      O(add_host), "list",    "Add a custom host-to-IP mapping (host:ip)",                      \
	      NULL,	   v_add_host },                                                                \
	    { "dns", 0, BERTH_OPT_LIST, O(dns), "list", "Set custom DNS servers", NULL, v_ip },         \
	    { "dns-opt",	 0,    BERTH_OPT_LIST, O(dns_option), "list",                           \
	      "Set DNS options", NULL, NULL,	       true },                                          \
	    { "dns-option", 0, BERTH_OPT_LIST, O(dns_option), "list", "Set DNS options", NULL, NULL },  \
	    { "dns-search",  0,		  BERTH_OPT_LIST,                                               \
	      O(dns_search), "list",	  "Set custom DNS search domains",                              \
	      NULL,	     v_dns_search },                                                            \
	    { "expose", 0,   BERTH_OPT_LIST, O(expose), "list", "Expose a port or a range of ports",    \
	      NULL,	NULL },                                                                         \
	    { "ip", 0,	 BERTH_OPT_STRING, O(ip), "string", "IPv4 address (e.g., 172.30.100.104)",      \
	      NULL, NULL },                                                                             \
	    { "ip6", 0,	  BERTH_OPT_STRING, O(ip6), "string", "IPv6 address (e.g., 2001:db8::33)",      \
	      NULL,  NULL },                                                                            \
	    { "link",	      0,                                                                        \
	      BERTH_OPT_LIST, O(link),                                                                  \
	      "list",	      "Add link to another container",                                          \
	      NULL,	      berth_cli_validate_link },                                                \
	    { "link-local-ip",                                                                          \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(link_local_ip),                                                                         \
	      "list",                                                                                   \
	      "Container IPv4/IPv6 link-local addresses",                                               \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "mac-address",  0,	BERTH_OPT_STRING,                                               \
	      O(mac_address), "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)",              \
	      NULL,	      NULL },                                                                   \
	    { "publish",  'p',	  BERTH_OPT_LIST,                                                       \
	      O(publish), "list", "Publish a container's port(s) to the host",                          \
	      NULL,	  NULL },                                                                       \
	    { "publish-all",  'P',  BERTH_OPT_BOOL,                                                     \
	      O(publish_all), NULL, "Publish all exposed ports to random ports",                        \
	      NULL,	      NULL },                                                                   \
	    { "net",	  0,	     BERTH_OPT_LIST,                                                    \
	      O(network), "network", "Connect a container to a network",                                \
	      NULL,	  NULL,	     true },                                                            \
	    { "network",  0,	     BERTH_OPT_LIST,                                                    \
	      O(network), "network", "Connect a container to a network",                                \
	      NULL,	  NULL },                                                                       \
	    { "net-alias", 0,	   BERTH_OPT_LIST,                                                      \
	      O(alias),	   "list", "Add network-scoped alias for the container",                        \
	      NULL,	   NULL,   true },                                                              \
	    { "network-alias",                                                                          \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(alias),                                                                                 \
	      "list",                                                                                   \
	      "Add network-scoped alias for the container",                                             \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "log-driver",  0,	       BERTH_OPT_STRING,                                                \
	      O(log_driver), "string", "Logging driver for the container",                              \
	      NULL,	     NULL },                                                                    \
	    { "volume-driver",                                                                          \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(volume_driver),                                                                         \
	      "string",                                                                                 \
	      "Optional volume driver for the container",                                               \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "log-opt", 0, BERTH_OPT_LIST, O(log_opt), "list", "Log driver options", NULL, NULL },     \
	    { "storage-opt",  0,      BERTH_OPT_LIST,                                                   \
	      O(storage_opt), "list", "Storage driver options for the container",                       \
	      NULL,	      NULL },                                                                   \
	    { "tmpfs", 0, BERTH_OPT_LIST, O(tmpfs), "list", "Mount a tmpfs directory", NULL, NULL },    \
	    { "volumes-from", 0,                                                                        \
	      BERTH_OPT_LIST, O(volumes_from),                                                          \
	      "list",	      "Mount volumes from the specified container(s)",                          \
	      NULL,	      NULL },                                                                   \
	    { "volume", 'v', BERTH_OPT_LIST, O(volume), "list", "Bind mount a volume", NULL, NULL },    \
	    { "mount",	0,	 BERTH_OPT_LIST,                                                        \
	      O(mount), "mount", "Attach a filesystem mount to the container",                          \
	      NULL,	NULL },                                                                         \
	    { "health-cmd",  0,	       BERTH_OPT_STRING,                                                \
	      O(health_cmd), "string", "Command to run to check health",                                \
	      NULL,	     NULL },                                                                    \
	    { "health-interval",                                                                        \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(health_interval),                                                                       \
	      "duration",                                                                               \
	      "Time between running the check (ms|s|m|h) (default 0s)",                                 \
	      NULL,                                                                                     \
	      v_duration },                                                                             \
	    { "health-retries",                                                                         \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(health_retries),                                                                        \
	      "int",                                                                                    \
	      "Consecutive failures needed to report unhealthy",                                        \
	      NULL,                                                                                     \
	      v_int },                                                                                  \
	    { "health-timeout",                                                                         \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(health_timeout),                                                                        \
	      "duration",                                                                               \
	      "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",                         \
	      NULL,                                                                                     \
	      v_duration },                                                                             \
	    { "health-start-period",                                                                    \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(health_start_period),                                                                   \
	      "duration",                                                                               \
	      "Start period for the container to initialize before starting health-retries "            \
	      "countdown (ms|s|m|h) (default 0s)",                                                      \
	      NULL,                                                                                     \
	      v_duration },                                                                             \
	    { "health-start-interval",                                                                  \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(health_start_interval),                                                                 \
	      "duration",                                                                               \
	      "Time between running the check during the start period (ms|s|m|h) (default 0s)",         \
	      NULL,                                                                                     \
	      v_duration },                                                                             \
	    { "no-healthcheck",                                                                         \
	      0,                                                                                        \
	      BERTH_OPT_BOOL,                                                                           \
	      O(no_healthcheck),                                                                        \
	      NULL,                                                                                     \
	      "Disable any container-specified HEALTHCHECK",                                            \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "blkio-weight",                                                                           \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(blkio_weight),                                                                          \
	      "uint16",                                                                                 \
	      "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",           \
	      NULL,                                                                                     \
	      v_uint16 },                                                                               \
	    { "blkio-weight-device",                                                                    \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(blkio_weight_device),                                                                   \
	      "list",                                                                                   \
	      "Block IO weight (relative device weight)",                                               \
	      "[]",                                                                                     \
	      NULL },                                                                                   \
	    { "cidfile",  0,	    BERTH_OPT_STRING,                                                   \
	      O(cidfile), "string", "Write the container ID to the file",                               \
	      NULL,	  NULL },                                                                       \
	    { "cpuset-cpus",  0,	BERTH_OPT_STRING,                                               \
	      O(cpuset_cpus), "string", "CPUs in which to allow execution (0-3, 0,1)",                  \
	      NULL,	      NULL },                                                                   \
	    { "cpuset-mems",  0,	BERTH_OPT_STRING,                                               \
	      O(cpuset_mems), "string", "MEMs in which to allow execution (0-3, 0,1)",                  \
	      NULL,	      NULL },                                                                   \
	    { "cpu-count", 0,	 BERTH_OPT_STRING, O(cpu_count), "int", "CPU count (Windows only)",     \
	      NULL,	   v_int, true },                                                                     \
	    { "cpu-percent",  0,     BERTH_OPT_STRING,                                                  \
	      O(cpu_percent), "int", "CPU percent (Windows only)",                                      \
	      NULL,	      v_int, true },                                                                  \
	    { "cpu-period",  0,	    BERTH_OPT_STRING,                                                   \
	      O(cpu_period), "int", "Limit CPU CFS (Completely Fair Scheduler) period",                 \
	      NULL,	     v_int },                                                                   \
	    { "cpu-quota",  0,	   BERTH_OPT_STRING,                                                    \
	      O(cpu_quota), "int", "Limit CPU CFS (Completely Fair Scheduler) quota",                   \
	      NULL,	    v_int },                                                                    \
	    { "cpu-rt-period",                                                                          \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(cpu_rt_period),                                                                         \
	      "int",                                                                                    \
	      "Limit CPU real-time period in microseconds",                                             \
	      NULL,                                                                                     \
	      v_int },                                                                                  \
	    { "cpu-rt-runtime",                                                                         \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(cpu_rt_runtime),                                                                        \
	      "int",                                                                                    \
	      "Limit CPU real-time runtime in microseconds",                                            \
	      NULL,                                                                                     \
	      v_int },                                                                                  \
	    { "cpu-shares",  'c',   BERTH_OPT_STRING,                                                   \
	      O(cpu_shares), "int", "CPU shares (relative weight)",                                     \
	      NULL,	     v_int },                                                                   \
	    { "cpus", 0, BERTH_OPT_STRING, O(cpus), "decimal", "Number of CPUs", NULL, v_decimal },     \
	    { "device-read-bps",                                                                        \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(device_read_bps),                                                                       \
	      "list",                                                                                   \
	      "Limit read rate (bytes per second) from a device",                                       \
	      "[]",                                                                                     \
	      v_pair },                                                                                 \
	    { "device-read-iops",                                                                       \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(device_read_iops),                                                                      \
	      "list",                                                                                   \
	      "Limit read rate (IO per second) from a device",                                          \
	      "[]",                                                                                     \
	      v_pair },                                                                                 \
	    { "device-write-bps",                                                                       \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(device_write_bps),                                                                      \
	      "list",                                                                                   \
	      "Limit write rate (bytes per second) to a device",                                        \
	      "[]",                                                                                     \
	      v_pair },                                                                                 \
	    { "device-write-iops",                                                                      \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(device_write_iops),                                                                     \
	      "list",                                                                                   \
	      "Limit write rate (IO per second) to a device",                                           \
	      "[]",                                                                                     \
	      v_pair },                                                                                 \
	    { "io-maxbandwidth",                                                                        \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(io_maxbandwidth),                                                                       \
	      "bytes",                                                                                  \
	      "Maximum IO bandwidth limit for the system drive (Windows only)",                         \
	      NULL,                                                                                     \
	      v_bytes, true },                                                                                \
	    { "io-maxiops",  0,	     BERTH_OPT_STRING,                                                  \
	      O(io_maxiops), "uint", "Maximum IOps limit for the system drive (Windows only)",          \
	      NULL,	     v_uint, true },                                                                  \
	    { "kernel-memory",	     0,	   BERTH_OPT_STRING, O(kernel_memory), "bytes",                 \
	      "Kernel memory limit", NULL, v_bytes },                                                   \
	    { "memory", 'm', BERTH_OPT_STRING, O(memory), "bytes", "Memory limit", NULL, v_bytes },     \
	    { "memory-reservation", 0,	  BERTH_OPT_STRING, O(memory_reservation), "bytes",             \
	      "Memory soft limit",  NULL, v_bytes },                                                    \
	    { "memory-swap",                                                                            \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(memory_swap),                                                                           \
	      "bytes",                                                                                  \
	      "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",                    \
	      NULL,                                                                                     \
	      v_memswap },                                                                              \
	    { "memory-swappiness",                                                                      \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(memory_swappiness),                                                                     \
	      "int",                                                                                    \
	      "Tune container memory swappiness (0 to 100)",                                            \
	      "-1",                                                                                     \
	      v_int },                                                                                  \
	    { "oom-kill-disable",                                                                       \
	      0,                                                                                        \
	      BERTH_OPT_BOOL,                                                                           \
	      O(oom_kill_disable),                                                                      \
	      NULL,                                                                                     \
	      "Disable OOM Killer",                                                                     \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "oom-score-adj",                                                                          \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(oom_score_adj),                                                                         \
	      "int",                                                                                    \
	      "Tune host's OOM preferences (-1000 to 1000)",                                            \
	      NULL,                                                                                     \
	      v_int },                                                                                  \
	    { "pids-limit",  0,	    BERTH_OPT_STRING,                                                   \
	      O(pids_limit), "int", "Tune container pids limit (set -1 for unlimited)",                 \
	      NULL,	     v_int },                                                                   \
	    { "cgroup-parent",                                                                          \
	      0,                                                                                        \
	      BERTH_OPT_STRING,                                                                         \
	      O(cgroup_parent),                                                                         \
	      "string",                                                                                 \
	      "Optional parent cgroup for the container",                                               \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "ipc", 0, BERTH_OPT_STRING, O(ipc), "string", "IPC mode to use", NULL, NULL },            \
	    { "isolation",  0,	      BERTH_OPT_STRING,                                                 \
	      O(isolation), "string", "Container isolation technology",                                 \
	      NULL,	    NULL },                                                                     \
	    { "pid", 0, BERTH_OPT_STRING, O(pid), "string", "PID namespace to use", NULL, NULL },       \
	    { "shm-size",	  0,	BERTH_OPT_STRING, O(shm_size), "bytes",                         \
	      "Size of /dev/shm", NULL, v_bytes },                                                      \
	    { "uts", 0, BERTH_OPT_STRING, O(uts), "string", "UTS namespace to use", NULL, NULL },       \
	    { "runtime",  0,	    BERTH_OPT_STRING,                                                   \
	      O(runtime), "string", "Runtime to use for this container",                                \
	      NULL,	  NULL },                                                                       \
	    { "init",                                                                                   \
	      0,                                                                                        \
	      BERTH_OPT_TRIBOOL,                                                                        \
	      O(init),                                                                                  \
	      NULL,                                                                                     \
	      "Run an init inside the container that forwards signals and reaps processes",             \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "annotation",                                                                             \
	      0,                                                                                        \
	      BERTH_OPT_LIST,                                                                           \
	      O(annotation),                                                                            \
	      "map",                                                                                    \
	      "Add an annotation to the container (passed through to the OCI runtime)",                 \
	      "map[]",                                                                                  \
	      NULL },                                                                                   \
	    { "name", 0,   BERTH_OPT_STRING, O(name), "string", "Assign a name to the container",       \
	      NULL,   NULL },                                                                           \
	    { "quiet", 'q', BERTH_OPT_BOOL, O(quiet), NULL, "Suppress the pull output", NULL, NULL },   \
	    { "use-api-socket",                                                                         \
	      0,                                                                                        \
	      BERTH_OPT_BOOL,                                                                           \
	      O(use_api_socket),                                                                        \
	      NULL,                                                                                     \
	      "Bind mount Docker API socket and required auth",                                         \
	      NULL,                                                                                     \
	      NULL },                                                                                   \
	    { "help", 0, BERTH_OPT_BOOL, O(help), NULL, "Print usage", NULL, NULL },                    \
	    { "platform",  0,	     BERTH_OPT_STRING,                                                  \
	      O(platform), "string", "Set platform if server is multi-platform capable",                \
	      NULL,	   NULL },                                                                      \
	{                                                                                               \
		"disable-content-trust", 0, BERTH_OPT_BOOL, O(disable_trust), NULL,                     \
		    "Skip image verification", "true", NULL                                             \
	}

static const struct berth_opt berth_cli_run_options[] = {
	{ "detach", 'd', BERTH_OPT_BOOL, O(detach), NULL,
	  "Run container in background and print container ID", NULL, NULL },
	{ "sig-proxy", 0, BERTH_OPT_BOOL, O(sig_proxy), NULL,
	  "Proxy received signals to the process", "true", NULL },
	{ "detach-keys", 0, BERTH_OPT_STRING, O(detach_keys), "string",
	  "Override the key sequence for detaching a container", NULL, NULL },
	{ "pull", 0, BERTH_OPT_STRING, O(pull), "string",
	  "Pull image before running (\"always\", \"missing\", \"never\")", "missing", NULL },
	CONTAINER_OPTIONS,
};

static const struct berth_opt berth_cli_create_options[] = {
	/* "|missing" is docker's own typo, kept byte for byte */
	{ "pull", 0, BERTH_OPT_STRING, O(pull), "string",
	  "Pull image before creating (\"always\", \"|missing\", \"never\")", "missing", NULL },
	CONTAINER_OPTIONS,
};

int berth_cli_parse_cpus(const char *s, int64_t *out, berth_error_t *err)
{
	return parse_cpus(s, out, err);
}

int berth_cli_parse_ulimit(const char *s, json_t **out, berth_error_t *err)
{
	return parse_ulimit(s, out, err);
}

/* ---- the commands ---- */

static const char run_use[] = "run [OPTIONS] IMAGE [COMMAND] [ARG...]";
static const char create_use[] = "create [OPTIONS] IMAGE [COMMAND] [ARG...]";

const struct berth_command berth_cmd_run = {
	.name = "run",
	.use = run_use,
	.short_desc = "Create and run a new container from an image",
	.aliases = "container run, run",
	.group = BERTH_CMD_COMMON,
	.opts = berth_cli_run_options,
	.nopts = BERTH_ARRAY_SIZE(berth_cli_run_options),
	.opts_size = sizeof(struct berth_cli_create_opts),
	.takes_args = true,
	.no_interspersed = true,
	.run = berth_cli_cmd_run,
};

const struct berth_command berth_cmd_container_run = {
	.name = "run",
	.use = run_use,
	.short_desc = "Create and run a new container from an image",
	.aliases = "container run, run",
	.opts = berth_cli_run_options,
	.nopts = BERTH_ARRAY_SIZE(berth_cli_run_options),
	.opts_size = sizeof(struct berth_cli_create_opts),
	.takes_args = true,
	.no_interspersed = true,
	.run = berth_cli_cmd_run,
};

const struct berth_command berth_cmd_create = {
	.name = "create",
	.use = create_use,
	.short_desc = "Create a new container",
	.aliases = "container create, create",
	.opts = berth_cli_create_options,
	.nopts = BERTH_ARRAY_SIZE(berth_cli_create_options),
	.opts_size = sizeof(struct berth_cli_create_opts),
	.takes_args = true,
	.no_interspersed = true,
	.run = berth_cli_cmd_create,
};

const struct berth_command berth_cmd_container_create = {
	.name = "create",
	.use = create_use,
	.short_desc = "Create a new container",
	.aliases = "container create, create",
	.opts = berth_cli_create_options,
	.nopts = BERTH_ARRAY_SIZE(berth_cli_create_options),
	.opts_size = sizeof(struct berth_cli_create_opts),
	.takes_args = true,
	.no_interspersed = true,
	.run = berth_cli_cmd_create,
};
