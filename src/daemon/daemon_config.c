#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "daemon/daemon_config.h"
#include "net/ipam.h"

enum opt_kind {
	K_STRING,
	K_BOOL,
	K_INT,
	K_LIST,
	K_OBJECT,
	K_ANY
};

/* One daemon.json key. FLAG is its `berth daemon` flag, if it has one.
 * USED: berth acts on it; other known keys are accepted with a warning. */
struct opt {
	const char *key;
	enum opt_kind kind;
	const char *flag;
	char short_flag;
	bool used;
	const char *help;
};

/* dockerd's daemon.json keys (daemon/config), in one table. */
static const struct opt opts[] = {
	{ "hosts", K_LIST, "host", 'H', true, "daemon socket to listen on (unix:///path)" },
	{ "data-root", K_STRING, "data-root", 0, true, "root of persistent state" },
	{ "exec-root", K_STRING, "exec-root", 0, true, "root of runtime state" },
	{ "pidfile", K_STRING, "pidfile", 'p', true, "path of the daemon pid file" },
	{ "debug", K_BOOL, "debug", 'D', true, "enable debug mode" },
	{ "log-level", K_STRING, "log-level", 'l', true, "debug, info, warn, error or fatal" },
	{ "log-format", K_STRING, "log-format", 0, true, "text or json" },
	{ "labels", K_LIST, "label", 0, true, "key=value label of the daemon (repeatable)" },
	{ "registry-mirrors", K_LIST, "registry-mirror", 0, true,
	  "mirror of docker.io (repeatable)" },
	{ "insecure-registries", K_LIST, "insecure-registry", 0, true,
	  "registry reached without TLS checks (repeatable)" },
	{ "live-restore", K_BOOL, "live-restore", 0, true,
	  "keep containers running while the daemon is down (default true)" },
	{ "experimental", K_BOOL, "experimental", 0, true, "enable experimental features" },
	{ "max-concurrent-downloads", K_INT, "max-concurrent-downloads", 0, true,
	  "layers pulled at once (default 3)" },
	{ "max-concurrent-uploads", K_INT, "max-concurrent-uploads", 0, true,
	  "layers pushed at once (default 5)" },
	{ "max-download-attempts", K_INT, "max-download-attempts", 0, true,
	  "attempts per layer (default 5)" },
	{ "shutdown-timeout", K_INT, "shutdown-timeout", 0, true,
	  "seconds to wait for containers at shutdown (default 15)" },
	{ "dns", K_LIST, "dns", 0, true, "DNS server for containers (repeatable)" },
	{ "dns-opts", K_LIST, "dns-opt", 0, true, "DNS option for containers (repeatable)" },
	{ "dns-search", K_LIST, "dns-search", 0, true,
	  "DNS search domain for containers (repeatable)" },
	{ "host-gateway-ip", K_STRING, "host-gateway-ip", 0, true,
	  "the address of host-gateway and host.docker.internal" },
	/* known to dockerd; taken by later parts of berth */
	{ "allow-nondistributable-artifacts", K_LIST },
	{ "api-cors-header", K_STRING },
	{ "authorization-plugins", K_LIST },
	{ "bip", K_STRING },
	{ "bip6", K_STRING },
	{ "bridge", K_STRING },
	{ "builder", K_OBJECT },
	{ "cdi-spec-dirs", K_LIST },
	{ "cgroup-parent", K_STRING },
	{ "containerd", K_STRING },
	{ "containerd-namespace", K_STRING },
	{ "containerd-plugins-namespace", K_STRING },
	{ "default-address-pools", K_LIST, NULL, 0, true, NULL },
	{ "default-cgroupns-mode", K_STRING },
	{ "default-gateway", K_STRING },
	{ "default-gateway-v6", K_STRING },
	{ "default-ipc-mode", K_STRING },
	{ "default-network-opts", K_OBJECT },
	{ "default-runtime", K_STRING },
	{ "default-shm-size", K_ANY },
	{ "default-ulimits", K_OBJECT },
	{ "exec-opts", K_LIST },
	{ "features", K_OBJECT },
	{ "fixed-cidr", K_STRING },
	{ "fixed-cidr-v6", K_STRING },
	{ "group", K_STRING },
	{ "host-gateway-ips", K_LIST },
	{ "http-proxy", K_STRING },
	{ "https-proxy", K_STRING },
	{ "no-proxy", K_STRING },
	{ "proxies", K_OBJECT },
	{ "icc", K_BOOL },
	{ "init", K_BOOL },
	{ "init-path", K_STRING },
	{ "ip", K_STRING },
	{ "ip-forward", K_BOOL },
	{ "ip-forward-no-drop", K_BOOL },
	{ "ip-masq", K_BOOL },
	{ "iptables", K_BOOL },
	{ "ip6tables", K_BOOL },
	{ "ipv6", K_BOOL },
	{ "log-driver", K_STRING },
	{ "log-opts", K_OBJECT },
	{ "min-api-version", K_STRING },
	{ "mtu", K_INT },
	{ "no-new-privileges", K_BOOL },
	{ "node-generic-resources", K_LIST },
	{ "oom-score-adjust", K_INT },
	{ "raw-logs", K_BOOL },
	{ "runtimes", K_OBJECT },
	{ "seccomp-profile", K_STRING },
	{ "selinux-enabled", K_BOOL },
	{ "storage-driver", K_STRING },
	{ "storage-opts", K_LIST },
	{ "swarm-default-advertise-addr", K_STRING },
	{ "tls", K_BOOL },
	{ "tlscacert", K_STRING },
	{ "tlscert", K_STRING },
	{ "tlskey", K_STRING },
	{ "tlsverify", K_BOOL },
	{ "userland-proxy", K_BOOL },
	{ "userland-proxy-path", K_STRING },
	{ "userns-remap", K_STRING },
};

/* The command line only: not daemon.json keys. */
static const struct opt cli_only[] = {
	{ "config-file", K_STRING, "config-file", 0, true,
	  "daemon configuration file (default " BERTH_DEFAULT_CONFIG_FILE ")" },
};

static const struct opt *find_key(const char *key)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(opts); i++)
		if (strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return NULL;
}

static const struct opt *find_flag(const char *flag, char short_flag)
{
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(opts); i++)
		if (opts[i].flag && ((flag && strcmp(opts[i].flag, flag) == 0) ||
				     (short_flag && opts[i].short_flag == short_flag)))
			return &opts[i];
	if (flag && strcmp(flag, cli_only[0].flag) == 0)
		return &cli_only[0];
	return NULL;
}

static const char *kind_name(enum opt_kind k)
{
	static const char *const names[] = { "a string",	  "a boolean", "an integer",
					     "a list of strings", "an object", "a value" };
	return names[k];
}

static bool kind_ok(enum opt_kind k, const json_t *v)
{
	size_t i;
	json_t *it;

	switch (k) {
	case K_STRING:
		return json_is_string(v);
	case K_BOOL:
		return json_is_boolean(v);
	case K_INT:
		return json_is_integer(v) && json_integer_value(v) >= 0 &&
		       json_integer_value(v) <= 1 << 30;
	case K_OBJECT:
		return json_is_object(v);
	case K_LIST:
		if (!json_is_array(v))
			return false;
		json_array_foreach (v, i, it)
			if (!json_is_string(it))
				return false;
		return true;
	case K_ANY:
		return true;
	}
	return false;
}

/* --- applying a merged daemon.json object ------------------------------------ */

static void set_string(char **dst, json_t *merged, const char *key)
{
	json_t *v = json_object_get(merged, key);

	if (v) {
		free(*dst);
		*dst = xstrdup(json_string_value(v));
	}
}

static void set_list(json_t **dst, json_t *merged, const char *key)
{
	json_t *v = json_object_get(merged, key);

	if (v) {
		json_decref(*dst);
		*dst = json_deep_copy(v);
	}
}

static void set_bool(bool *dst, json_t *merged, const char *key)
{
	json_t *v = json_object_get(merged, key);

	if (v)
		*dst = json_is_true(v);
}

static void set_int(int *dst, json_t *merged, const char *key)
{
	json_t *v = json_object_get(merged, key);

	if (v)
		*dst = (int)json_integer_value(v);
}

static int validate_values(struct berth_daemon_config *cfg, berth_error_t *err)
{
	json_t *it;
	size_t i;

	if (berth_log_parse_level(cfg->log_level) < 0)
		return berth_make_error(err, EINVAL, "unable to parse logging level: %s",
					cfg->log_level);
	if (strcmp(cfg->log_format, "text") != 0 && strcmp(cfg->log_format, "json") != 0)
		return berth_make_error(err, EINVAL, "unsupported log format: %s", cfg->log_format);
	json_array_foreach (cfg->engine.dns, i, it) {
		struct in_addr a4;
		struct in6_addr a6;
		const char *s = json_string_value(it);
		if (s == NULL || (inet_pton(AF_INET, s, &a4) != 1 && inet_pton(AF_INET6, s, &a6) != 1))
			return berth_make_error(err, EINVAL, "%s is not an ip address",
						s ? s : "(not a string)");
	}
	if (cfg->engine.host_gateway_ip) {
		struct in_addr a4;
		if (inet_pton(AF_INET, cfg->engine.host_gateway_ip, &a4) != 1)
			return berth_make_error(err, EINVAL,
						"invalid host-gateway-ip: %s is not an IPv4 address",
						cfg->engine.host_gateway_ip);
	}
	if (cfg->engine.data_root[0] != '/' || cfg->engine.exec_root[0] != '/')
		return berth_make_error(err, EINVAL,
					"data-root and exec-root must be absolute paths");
	json_array_foreach (cfg->hosts, i, it) {
		const char *h = json_string_value(it);
		if (strncmp(h, "unix://", 7) != 0 || h[7] != '/')
			return berth_make_error(
			    err, EINVAL,
			    "invalid host `%s`: berth listens on unix:///absolute/path sockets only",
			    h);
	}
	json_array_foreach (cfg->engine.labels, i, it)
		if (strchr(json_string_value(it), '=') == NULL)
			return berth_make_error(err, EINVAL, "bad attribute format: %s",
						json_string_value(it));
	json_array_foreach (cfg->engine.address_pools, i, it) {
		struct berth_ipv4_prefix base;
		json_int_t size = json_integer_value(json_object_get(it, "size"));
		if (!json_is_object(it) ||
		    berth_ipam_parse_prefix(json_string_value(json_object_get(it, "base")), false,
					    &base, NULL) < 0 ||
		    !json_is_integer(json_object_get(it, "size")) || size < base.len || size > 30)
			return berth_make_error(err, EINVAL,
						"invalid default-address-pools entry %zu: want {\"base\": \"a.b.c.d/n\", \"size\": m} with n <= m <= 30",
						i);
	}
	json_array_foreach (cfg->engine.registry_mirrors, i, it) {
		const char *m = json_string_value(it);
		const char *sep = strstr(m, "://");
		if (sep == NULL)
			return berth_make_error(err, EINVAL,
						"invalid mirror: no scheme specified for \"%s\": must use either 'https://' or 'http://'",
						m);
		if (strncmp(m, "http://", 7) != 0 && strncmp(m, "https://", 8) != 0)
			return berth_make_error(err, EINVAL,
						"invalid mirror: unsupported scheme \"%.*s\" in \"%s\"",
						(int)(sep - m), m, m);
	}
	return 0;
}

static int apply(struct berth_daemon_config *cfg, json_t *merged, berth_error_t *err)
{
	struct berth_engine_config *e = &cfg->engine;

	set_list(&cfg->hosts, merged, "hosts");
	set_string(&e->data_root, merged, "data-root");
	set_string(&e->exec_root, merged, "exec-root");
	set_string(&cfg->pidfile, merged, "pidfile");
	set_string(&cfg->log_level, merged, "log-level");
	set_string(&cfg->log_format, merged, "log-format");
	set_bool(&e->debug, merged, "debug");
	set_bool(&e->live_restore, merged, "live-restore");
	set_bool(&e->experimental, merged, "experimental");
	set_list(&e->labels, merged, "labels");
	set_list(&e->registry_mirrors, merged, "registry-mirrors");
	set_list(&e->insecure_registries, merged, "insecure-registries");
	set_list(&e->address_pools, merged, "default-address-pools");
	set_list(&e->dns, merged, "dns");
	set_list(&e->dns_opts, merged, "dns-opts");
	set_list(&e->dns_search, merged, "dns-search");
	set_string(&e->host_gateway_ip, merged, "host-gateway-ip");
	set_int(&e->max_concurrent_downloads, merged, "max-concurrent-downloads");
	set_int(&e->max_concurrent_uploads, merged, "max-concurrent-uploads");
	set_int(&e->max_download_attempts, merged, "max-download-attempts");
	set_int(&e->shutdown_timeout, merged, "shutdown-timeout");
	if (e->debug && json_object_get(merged, "log-level") == NULL) {
		free(cfg->log_level);
		cfg->log_level = xstrdup("debug");
	}
	return validate_values(cfg, err);
}

static void set_defaults(struct berth_daemon_config *cfg)
{
	struct berth_engine_config *e = &cfg->engine;

	memset(cfg, 0, sizeof(*cfg));
	e->data_root = xstrdup(BERTH_DEFAULT_DATA_ROOT);
	e->exec_root = xstrdup(BERTH_DEFAULT_EXEC_ROOT);
	e->cgroup_root = xstrdup("/sys/fs/cgroup");
	e->live_restore = true;
	e->labels = json_array();
	e->registry_mirrors = json_array();
	e->insecure_registries = json_array();
	e->max_concurrent_downloads = 3;
	e->max_concurrent_uploads = 5;
	e->max_download_attempts = 5;
	e->shutdown_timeout = 15;
	cfg->hosts = json_pack("[s]", "unix://" BERTH_DEFAULT_SOCKET);
	cfg->config_file = xstrdup(BERTH_DEFAULT_CONFIG_FILE);
	cfg->log_level = xstrdup("info");
	cfg->log_format = xstrdup("text");
	cfg->flags = json_object();
	cfg->ignored = json_array();
}

void berth_daemon_config_release(struct berth_daemon_config *cfg)
{
	if (cfg == NULL)
		return;
	berth_engine_config_release(&cfg->engine);
	json_decref(cfg->hosts);
	json_decref(cfg->flags);
	json_decref(cfg->ignored);
	free(cfg->config_file);
	free(cfg->pidfile);
	free(cfg->log_level);
	free(cfg->log_format);
	memset(cfg, 0, sizeof(*cfg));
}

/* --- command line ----------------------------------------------------------- */

static int parse_bool_value(const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

static int set_flag(struct berth_daemon_config *cfg, const struct opt *o, const char *name,
		    const char *value, berth_error_t *err)
{
	char *end;
	long n;
	bool b;

	switch (o->kind) {
	case K_BOOL:
		if (parse_bool_value(value, &b) < 0)
			return berth_make_error(
			    err, EINVAL, "invalid argument \"%s\" for \"--%s\" flag", value, name);
		json_object_set_new(cfg->flags, o->key, json_boolean(b));
		return 0;
	case K_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || *end || n < 0 || n > 1 << 30)
			return berth_make_error(
			    err, EINVAL, "invalid argument \"%s\" for \"--%s\" flag", value, name);
		json_object_set_new(cfg->flags, o->key, json_integer(n));
		return 0;
	case K_LIST: {
		json_t *arr = json_object_get(cfg->flags, o->key);
		if (arr == NULL) {
			arr = json_array();
			json_object_set_new(cfg->flags, o->key, arr);
		}
		json_array_append_new(arr, json_string(value));
		return 0;
	}
	default:
		json_object_set_new(cfg->flags, o->key, json_string(value));
		return 0;
	}
}

/* Splits one argument into flag name/short letter and inline value. */
static int next_flag(int argc, char **argv, int *i, const struct opt **o, const char **value,
		     char *name, size_t namelen, berth_error_t *err)
{
	const char *a = argv[*i], *eq;

	*value = NULL;
	if (a[0] == '-' && a[1] == '-') {
		eq = strchr(a + 2, '=');
		snprintf(name, namelen, "%.*s", (int)(eq ? (size_t)(eq - a - 2) : strlen(a + 2)),
			 a + 2);
		*o = find_flag(name, 0);
		if (eq)
			*value = eq + 1;
	} else if (a[0] == '-' && a[1] && a[2] == '\0') {
		snprintf(name, namelen, "%c", a[1]);
		*o = find_flag(NULL, a[1]);
	} else
		return berth_make_error(err, EINVAL,
					"`berth daemon` takes no arguments, got \"%s\"", a);
	if (*o == NULL)
		return berth_make_error(err, EINVAL, "unknown flag: %s", a);
	if (*value == NULL && (*o)->kind != K_BOOL) {
		if (*i + 1 >= argc)
			return berth_make_error(err, EINVAL, "flag needs an argument: %s", a);
		*value = argv[++*i];
	}
	if ((*o)->flag)
		snprintf(name, namelen, "%s", (*o)->flag);
	return 0;
}

int berth_daemon_config_parse_args(struct berth_daemon_config *cfg, int argc, char **argv,
				   berth_error_t *err)
{
	int i;

	set_defaults(cfg);
	for (i = 1; i < argc; i++) {
		const struct opt *o = NULL;
		const char *value = NULL;
		char name[64];

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cfg->show_help = true;
			continue;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			cfg->show_version = true;
			continue;
		}
		if (next_flag(argc, argv, &i, &o, &value, name, sizeof(name), err) < 0)
			return -1;
		if (o == &cli_only[0]) {
			free(cfg->config_file);
			cfg->config_file = xstrdup(value);
			cfg->config_file_set = true;
			continue;
		}
		if (set_flag(cfg, o, name, value, err) < 0)
			return -1;
	}
	return apply(cfg, cfg->flags, err);
}

/* --- daemon.json ------------------------------------------------------------- */

static char *joined_keys(json_t *keys)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	json_t *it;
	size_t i;

	json_array_foreach (keys, i, it) {
		if (i)
			berth_strbuf_puts(&sb, ", ");
		berth_strbuf_puts(&sb, json_string_value(it));
	}
	return berth_strbuf_steal(&sb);
}

/* A value as dockerd prints it in messages (Go's %v): strings bare,
 * lists as [a b]. */
static char *go_value(const json_t *v)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	json_t *it;
	size_t i;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (!json_is_array(v))
		return json_dumps(v, JSON_ENCODE_ANY);
	berth_strbuf_puts(&sb, "[");
	json_array_foreach (v, i, it) {
		cleanup_free char *one = go_value(it);
		berth_strbuf_printf(&sb, "%s%s", i ? " " : "", one);
	}
	berth_strbuf_puts(&sb, "]");
	return berth_strbuf_steal(&sb);
}

/* dockerd refuses a file with keys it does not know, and keys the command
 * line also sets; both are checked before anything is applied. */
static int check_file_keys(struct berth_daemon_config *cfg, json_t *file, const char *name,
			   berth_error_t *err)
{
	json_t *unknown = json_array(), *both = json_array(), *v;
	cleanup_free char *list = NULL;
	const char *key;
	int ret = 0;

	json_array_clear(cfg->ignored);
	json_object_foreach (file, key, v) {
		const struct opt *o = find_key(key);
		if (o == NULL) {
			json_array_append_new(unknown, json_string(key));
			continue;
		}
		if (json_object_get(cfg->flags, key)) {
			cleanup_free char *a = go_value(json_object_get(cfg->flags, key));
			cleanup_free char *b = go_value(v);
			json_array_append_new(
			    both, json_sprintf("%s: (from flag: %s, from file: %s)", key, a, b));
			continue;
		}
		if (!kind_ok(o->kind, v)) {
			ret =
			    berth_make_error(err, EINVAL, "invalid value for \"%s\" in %s: want %s",
					     key, name, kind_name(o->kind));
			goto out;
		}
		if (!o->used)
			json_array_append_new(cfg->ignored, json_string(key));
	}
	if (json_array_size(unknown)) {
		list = joined_keys(unknown);
		ret = berth_make_error(
		    err, EINVAL,
		    "unable to configure the berth daemon with file %s: the following directives don't match any configuration option: %s",
		    name, list);
	} else if (json_array_size(both)) {
		list = joined_keys(both);
		ret = berth_make_error(
		    err, EINVAL,
		    "unable to configure the berth daemon with file %s: the following directives are specified both as a flag and in the configuration file: %s",
		    name, list);
	}
out:
	json_decref(unknown);
	json_decref(both);
	return ret;
}

int berth_daemon_config_merge_json(struct berth_daemon_config *cfg, const char *text, size_t len,
				   const char *name, berth_error_t *err)
{
	json_error_t jerr;
	json_t *file;
	int ret;

	if (len > BERTH_CONFIG_MAX_BYTES)
		return berth_make_error(err, EFBIG, "%s is larger than %d bytes", name,
					BERTH_CONFIG_MAX_BYTES);
	if (len == 0 || strspn(text, " \t\r\n") == len)
		return 0;
	file = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (file == NULL || !json_is_object(file)) {
		json_decref(file);
		return berth_make_error(err, EINVAL,
					"unable to configure the berth daemon with file %s: %s",
					name, file ? "not a JSON object" : jerr.text);
	}
	ret = check_file_keys(cfg, file, name, err);
	if (ret == 0)
		ret = apply(cfg, file, err);
	json_decref(file);
	return ret;
}

int berth_daemon_config_load_file(struct berth_daemon_config *cfg, bool file_required,
				  berth_error_t *err)
{
	cleanup_free char *text = NULL;
	berth_error_t rerr = NULL;
	ssize_t len = berth_fs_read_file(cfg->config_file, BERTH_CONFIG_MAX_BYTES, &text, &rerr);

	if (len < 0) {
		if (berth_error_code(rerr) == ENOENT && !file_required) {
			berth_error_release(&rerr);
			return 0;
		}
		*err = rerr;
		return berth_error_wrap(err, "unable to configure the berth daemon with file %s",
					cfg->config_file);
	}
	return berth_daemon_config_merge_json(cfg, text, (size_t)len, cfg->config_file, err);
}

const char *berth_daemon_config_usage(void)
{
	static char *usage;
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	size_t i;

	if (usage)
		return usage;
	berth_strbuf_puts(
	    &sb,
	    "\nUsage:  berth daemon [OPTIONS]\n\nA self-sufficient runtime for containers: serves the Docker Engine API.\n\nOptions:\n");
	for (i = 0; i < BERTH_ARRAY_SIZE(opts) + 1; i++) {
		const struct opt *o = i < BERTH_ARRAY_SIZE(opts) ? &opts[i] : &cli_only[0];
		char left[64];
		if (o->flag == NULL)
			continue;
		if (o->short_flag)
			snprintf(left, sizeof(left), "-%c, --%s", o->short_flag, o->flag);
		else
			snprintf(left, sizeof(left), "    --%s", o->flag);
		berth_strbuf_printf(&sb, "  %-32s %s\n", left, o->help);
	}
	berth_strbuf_puts(
	    &sb,
	    "  -h, --help                       print usage\n  -v, --version                    print version information and quit\n");
	usage = berth_strbuf_steal(&sb);
	return usage;
}
