/* cmd_info.c: `berth info`, docker's prettyPrintInfo line for line.
 *
 * Lines docker prints unconditionally are printed with Go's zero value when
 * the daemon leaves a field out (0, false, ""), lines docker prints only
 * when non-empty are skipped; so the output equals docker's for the same
 * /info answer, and a sparse answer never crashes it. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/format.h"
#include "cli/units.h"

struct info_opts {
	const char *format;
};

static const struct berth_opt info_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct info_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
};

/* ---- Go's Println on JSON fields ---- */

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* fmt.Fprintln(label, value): the value as Go prints it; ZERO if absent. */
static void line(struct berth_strbuf *sb, const char *label, const json_t *o, const char *key,
		 const char *zero)
{
	json_t *v = json_object_get(o, key);

	berth_strbuf_printf(sb, "%s ", label);
	if (v == NULL || json_is_null(v))
		berth_strbuf_puts(sb, zero);
	else
		berth_format_value(sb, v);
	berth_strbuf_puts(sb, "\n");
}

/* fprintlnNonEmpty */
static void line_nonempty(struct berth_strbuf *sb, const char *label, const json_t *o,
			  const char *key)
{
	if (*str(o, key))
		berth_strbuf_printf(sb, "%s %s\n", label, str(o, key));
}

/* strings.Join of a JSON array of strings */
static void join(struct berth_strbuf *sb, const json_t *arr, const char *sep)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v) {
		if (i)
			berth_strbuf_puts(sb, sep);
		berth_format_value(sb, v);
	}
}

/* ---- sections ---- */

static void print_pairs(struct berth_strbuf *sb, const json_t *pairs, const char *indent)
{
	size_t i;
	json_t *p;

	json_array_foreach (pairs, i, p) {
		berth_strbuf_printf(sb, "%s", indent);
		berth_format_value(sb, json_array_get(p, 0));
		berth_strbuf_puts(sb, ": ");
		berth_format_value(sb, json_array_get(p, 1));
		berth_strbuf_puts(sb, "\n");
	}
}

static void print_plugins(struct berth_strbuf *sb, const json_t *info)
{
	const json_t *pl = json_object_get(info, "Plugins");
	static const char *const kinds[] = { "Volume", "Network", "Authorization", "Log" };

	berth_strbuf_puts(sb, " Plugins:\n");
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++) {
		json_t *arr = json_object_get(pl, kinds[i]);
		/* docker lists authorization plugins only when there are some */
		if (i == 2 && json_array_size(arr) == 0)
			continue;
		berth_strbuf_printf(sb, "  %s: ", kinds[i]);
		join(sb, arr, " ");
		berth_strbuf_puts(sb, "\n");
	}
}

static void print_devices(struct berth_strbuf *sb, const json_t *info)
{
	const json_t *cdi = json_object_get(info, "CDISpecDirs");
	const json_t *dev = json_object_get(info, "DiscoveredDevices");
	size_t i;
	json_t *v;

	if (json_array_size(cdi)) {
		berth_strbuf_puts(sb, " CDI spec directories:\n");
		json_array_foreach (cdi, i, v)
			berth_strbuf_printf(sb, "  %s\n",
					    json_string_value(v) ? json_string_value(v) : "");
	}
	if (json_array_size(dev)) {
		berth_strbuf_puts(sb, " Discovered Devices:\n");
		json_array_foreach (dev, i, v)
			berth_strbuf_printf(sb, "  %s: %s\n", str(v, "Source"), str(v, "ID"));
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker prints the node details whenever the state is neither inactive
 * nor locked, including when the daemon sends no Swarm section at all
 * (Go's zero state is ""); kept so outputs stay equal. */
static void print_swarm(struct berth_strbuf *sb, const json_t *info)
{
	const json_t *sw = json_object_get(info, "Swarm");
	const char *state = str(sw, "LocalNodeState");
	const json_t *mgrs = json_object_get(sw, "RemoteManagers");
	size_t i, n = json_array_size(mgrs);
	cleanup_free const char **addrs = xcalloc(n + 1, sizeof(*addrs));
	json_t *m;

	berth_strbuf_printf(sb, " Swarm: %s\n", state);
	if (strcmp(state, "inactive") == 0 || strcmp(state, "locked") == 0)
		return;
	berth_strbuf_printf(sb, "  NodeID: %s\n", str(sw, "NodeID"));
	if (*str(sw, "Error"))
		berth_strbuf_printf(sb, "  Error: %s\n", str(sw, "Error"));
	line(sb, "  Is Manager:", sw, "ControlAvailable", "false");
	berth_strbuf_printf(sb, "  Node Address: %s\n", str(sw, "NodeAddr"));
	if (n == 0)
		return;
	json_array_foreach (mgrs, i, m)
		addrs[i] = str(m, "Addr");
	qsort(addrs, n, sizeof(*addrs), cmp_str);
	berth_strbuf_puts(sb, "  Manager Addresses:\n");
	for (i = 0; i < n; i++)
		berth_strbuf_printf(sb, "   %s\n", addrs[i]);
}

static void print_runtimes(struct berth_strbuf *sb, const json_t *info)
{
	const json_t *rt = json_object_get(info, "Runtimes");
	size_t n = json_object_size(rt), i = 0;
	cleanup_free const char **names = xcalloc(n + 1, sizeof(*names));
	const char *k;
	json_t *v;

	if (n == 0)
		return;
	/* Go's map order is random; sorted is as good and stable */
	json_object_foreach ((json_t *)rt, k, v)
		names[i++] = k;
	qsort(names, n, sizeof(*names), cmp_str);
	berth_strbuf_puts(sb, " Runtimes:");
	for (i = 0; i < n; i++)
		berth_strbuf_printf(sb, " %s", names[i]);
	berth_strbuf_printf(sb, "\n Default Runtime: %s\n", str(info, "DefaultRuntime"));
}

/* system.DecodeSecurityOptions: "name=seccomp,profile=builtin" entries. */
static int print_security(struct berth_strbuf *sb, const json_t *opts, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf tmp = BERTH_STRBUF_INIT;
	size_t i;
	json_t *o;

	berth_strbuf_puts(&tmp, " Security Options:\n");
	json_array_foreach (opts, i, o) {
		cleanup_free char *copy = xstrdup(json_string_value(o) ? json_string_value(o) : "");
		const char *name = NULL, *profile = NULL;
		char *save = NULL;
		if (strchr(copy, '=') == NULL) { /* the legacy form is a bare name */
			berth_strbuf_printf(&tmp, "  %s\n", copy);
			continue;
		}
		for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (eq == NULL)
				return berth_make_error(err, EINVAL,
							"invalid security option \"%s\"", kv);
			*eq = '\0';
			if (strcmp(kv, "name") == 0)
				name = eq + 1;
			else if (strcmp(kv, "profile") == 0)
				profile = eq + 1;
		}
		berth_strbuf_printf(&tmp, "  %s\n", name ? name : "");
		if (profile)
			berth_strbuf_printf(&tmp, "   Profile: %s\n", profile);
	}
	berth_strbuf_append(sb, tmp.buf, tmp.len);
	return 0;
}

static int print_linux(struct berth_strbuf *sb, const json_t *info, berth_error_t *err)
{
	if (strcmp(str(info, "OSType"), "linux") != 0) {
		if (strcmp(str(info, "OSType"), "windows") == 0)
			berth_strbuf_printf(sb, " Default Isolation: %s\n", str(info, "Isolation"));
		return 0;
	}
	berth_strbuf_printf(sb, " Init Binary: %s\n", str(info, "InitBinary"));
	berth_strbuf_printf(sb, " containerd version: %s\n",
			    str(json_object_get(info, "ContainerdCommit"), "ID"));
	berth_strbuf_printf(sb, " runc version: %s\n",
			    str(json_object_get(info, "RuncCommit"), "ID"));
	berth_strbuf_printf(sb, " init version: %s\n",
			    str(json_object_get(info, "InitCommit"), "ID"));
	if (json_array_size(json_object_get(info, "SecurityOptions")) == 0)
		return 0;
	return print_security(sb, json_object_get(info, "SecurityOptions"), err);
}

static void print_host(struct berth_strbuf *sb, const json_t *info, bool client_debug)
{
	char mem[BERTH_UNITS_BUFSIZE];
	json_t *mt = json_object_get(info, "MemTotal");

	line_nonempty(sb, " Kernel Version:", info, "KernelVersion");
	line_nonempty(sb, " Operating System:", info, "OperatingSystem");
	line_nonempty(sb, " OSType:", info, "OSType");
	line_nonempty(sb, " Architecture:", info, "Architecture");
	line(sb, " CPUs:", info, "NCPU", "0");
	berth_units_bytes_size(json_is_number(mt) ? json_number_value(mt) : 0, mem, sizeof(mem));
	berth_strbuf_printf(sb, " Total Memory: %s\n", mem);
	line_nonempty(sb, " Name:", info, "Name");
	line_nonempty(sb, " ID:", info, "ID");
	berth_strbuf_printf(sb, " Docker Root Dir: %s\n", str(info, "DockerRootDir"));
	line(sb, " Debug Mode:", info, "Debug", "false");
	if (json_is_true(json_object_get(info, "Debug")) || client_debug) {
		line(sb, "  File Descriptors:", info, "NFd", "0");
		line(sb, "  Goroutines:", info, "NGoroutines", "0");
		berth_strbuf_printf(sb, "  System Time: %s\n", str(info, "SystemTime"));
		line(sb, "  EventsListeners:", info, "NEventsListener", "0");
	}
	line_nonempty(sb, " HTTP Proxy:", info, "HttpProxy");
	line_nonempty(sb, " HTTPS Proxy:", info, "HttpsProxy");
	line_nonempty(sb, " No Proxy:", info, "NoProxy");
}

static void print_registries(struct berth_strbuf *sb, const json_t *info)
{
	const json_t *rc = json_object_get(info, "RegistryConfig");
	const json_t *idx = json_object_get(rc, "IndexConfigs");
	const json_t *cidrs = json_object_get(rc, "InsecureRegistryCIDRs");
	const json_t *mirrors = json_object_get(rc, "Mirrors");
	const char *k;
	json_t *v;
	size_t i;

	if (json_array_size(cidrs) || json_object_size(idx)) {
		berth_strbuf_puts(sb, " Insecure Registries:\n");
		json_object_foreach ((json_t *)idx, k, v)
			if (!json_is_true(json_object_get(v, "Secure")))
				berth_strbuf_printf(sb, "  %s\n", str(v, "Name"));
		json_array_foreach (cidrs, i, v)
			berth_strbuf_printf(sb, "  %s\n",
					    json_string_value(v) ? json_string_value(v) : "");
	}
	if (json_array_size(mirrors)) {
		berth_strbuf_puts(sb, " Registry Mirrors:\n");
		json_array_foreach (mirrors, i, v)
			berth_strbuf_printf(sb, "  %s\n",
					    json_string_value(v) ? json_string_value(v) : "");
	}
}

static void print_footer(struct berth_strbuf *sb, const json_t *info)
{
	const json_t *labels = json_object_get(info, "Labels");
	const json_t *pools = json_object_get(info, "DefaultAddressPools");
	size_t i;
	json_t *v;

	if (json_array_size(labels)) {
		berth_strbuf_puts(sb, " Labels:\n");
		json_array_foreach (labels, i, v)
			berth_strbuf_printf(sb, "  %s\n",
					    json_string_value(v) ? json_string_value(v) : "");
	}
	line(sb, " Experimental:", info, "ExperimentalBuild", "false");
	print_registries(sb, info);
	line(sb, " Live Restore Enabled:", info, "LiveRestoreEnabled", "false");
	line_nonempty(sb, " Product License:", info, "ProductLicense");
	if (json_array_size(pools)) {
		berth_strbuf_puts(sb, " Default Address Pools:\n");
		json_array_foreach (pools, i, v) {
			berth_strbuf_printf(sb, "   Base: %s, Size: ", str(v, "Base"));
			berth_format_value(sb, json_object_get(v, "Size"));
			berth_strbuf_puts(sb, "\n");
		}
	}
	berth_strbuf_puts(sb, "\n");
}

static int print_server(struct berth_strbuf *sb, const json_t *info, bool client_debug,
			berth_error_t *err)
{
	line(sb, " Containers:", info, "Containers", "0");
	line(sb, "  Running:", info, "ContainersRunning", "0");
	line(sb, "  Paused:", info, "ContainersPaused", "0");
	line(sb, "  Stopped:", info, "ContainersStopped", "0");
	line(sb, " Images:", info, "Images", "0");
	line_nonempty(sb, " Server Version:", info, "ServerVersion");
	line_nonempty(sb, " Storage Driver:", info, "Driver");
	print_pairs(sb, json_object_get(info, "DriverStatus"), "  ");
	print_pairs(sb, json_object_get(info, "SystemStatus"), " ");
	line_nonempty(sb, " Logging Driver:", info, "LoggingDriver");
	line_nonempty(sb, " Cgroup Driver:", info, "CgroupDriver");
	line_nonempty(sb, " Cgroup Version:", info, "CgroupVersion");
	print_plugins(sb, info);
	print_devices(sb, info);
	print_swarm(sb, info);
	print_runtimes(sb, info);
	if (print_linux(sb, info, err) < 0)
		return -1;
	print_host(sb, info, client_debug);
	print_footer(sb, info);
	return 0;
}

/* ---- the command ---- */

static json_t *client_info(bool debug)
{
	json_t *c = json_object();

	json_object_set_new(c, "Debug", json_boolean(debug));
	json_object_set_new(c, "Version", json_string(BERTH_VERSION));
	json_object_set_new(c, "DefaultAPIVersion", json_string(BERTH_API_VERSION));
	json_object_set_new(c, "GitCommit", json_string(BERTH_GIT_COMMIT));
	json_object_set_new(c, "Os", json_string(berth_cli_os()));
	json_object_set_new(c, "Arch", json_string(berth_cli_arch()));
	json_object_set_new(c, "Plugins", json_array());
	json_object_set_new(c, "Warnings", json_null());
	return c;
}

/* GET /info. A connection failure is returned; any other error is kept in
 * *server_err (docker's ServerErrors) and the call succeeds without info. */
static int fetch_info(struct berth_cli *cli, json_t **info, berth_error_t *server_err,
		      berth_error_t *err)
{
	struct berth_client *client;

	*info = NULL;
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	if (berth_client_call_json(client, "GET", "/info", NULL, NULL, info, server_err) == 0)
		return 0;
	if (berth_error_code(*server_err) == ECONNREFUSED ||
	    berth_error_code(*server_err) == EACCES) {
		*err = *server_err;
		*server_err = NULL;
		return -1;
	}
	return 0;
}

static int pretty_print(struct berth_cli *cli, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	berth_error_t server_err = NULL, pp_err = NULL;
	json_t *info = NULL, *warnings;
	int ret = fetch_info(cli, &info, &server_err, err);

	berth_strbuf_printf(&sb, "Client:\n Version:    %s\n Debug Mode: %s\n", BERTH_VERSION,
			    cli->debug ? "true" : "false");
	berth_strbuf_puts(&sb, "\nServer:\n");
	if (json_is_object(info) && print_server(&sb, info, cli->debug, &pp_err) < 0)
		server_err = pp_err;
	berth_cli_print(&sb);
	warnings = json_is_object(info) ? json_object_get(info, "Warnings") : NULL;
	for (size_t i = 0; i < json_array_size(warnings); i++)
		if (json_is_string(json_array_get(warnings, i)))
			fprintf(stderr, "%s\n", json_string_value(json_array_get(warnings, i)));
	json_decref(info);
	if (server_err) {
		fprintf(stderr, "ERROR: %s\n", server_err->msg);
		berth_error_release(&server_err);
		if (ret == 0)
			return berth_make_error(err, EIO, "errors pretty printing info");
	}
	return ret;
}

/* docker's needsServerInfo: whether the template reads more than the
 * client's fields (it fails when run on those alone). */
static bool needs_server(const char *format)
{
	struct berth_template *t;
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	berth_error_t err = NULL;
	json_t *sparse;
	bool needed = true;
	const char *p;

	if (strcmp(format, "{{json .}}") == 0)
		return true;
	for (p = strchr(format, '.'); p && !((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z');
	     p = strchr(p + 1, '.'))
		;
	if (p == NULL)
		return true;
	t = berth_template_parse("", format, &err);
	if (t == NULL) {
		berth_error_release(&err);
		return true;
	}
	sparse = json_pack("{s:o}", "ClientInfo", client_info(false));
	needed = berth_template_execute(t, sparse, BERTH_TEMPLATE_MISSINGKEY_ERROR, &out, &err) < 0;
	berth_error_release(&err);
	json_decref(sparse);
	berth_template_free(t);
	return needed;
}

/* errors.Join(connErr, formatErr): the connection error, then the template
 * error if there is one (in *ERR), one per line. Consumes *CONN_ERR. */
static int join_errors(berth_error_t *conn_err, bool have_err, berth_error_t *err)
{
	berth_error_t fmt_err = have_err ? *err : NULL;

	if (fmt_err == NULL) {
		*err = steal_pointer(conn_err);
		return -1;
	}
	*err = NULL;
	berth_make_error(err, fmt_err->code, "%s\n%s", (*conn_err)->msg, fmt_err->msg);
	berth_error_release(&fmt_err);
	berth_error_release(conn_err);
	return -1;
}

static int format_info(struct berth_cli *cli, const char *format, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	berth_error_t conn_err = NULL, server_err = NULL;
	struct berth_template *t;
	json_t *info = NULL, *data;
	int ret = 0;

	if (strcmp(format, "json") == 0)
		format = "{{json .}}";
	if (needs_server(format) && fetch_info(cli, &info, &server_err, &conn_err) == 0 &&
	    server_err) {
		/* shown at once: the template may not print ServerErrors */
		fprintf(stderr, "%s\n", server_err->msg);
	}
	data = json_is_object(info) ? json_incref(info) : json_object();
	if (server_err)
		json_object_set_new(data, "ServerErrors", json_pack("[s]", server_err->msg));
	json_object_set_new(data, "ClientInfo", client_info(cli->debug));
	t = berth_template_parse("", format, err);
	if (t == NULL) {
		cli->status = BERTH_EXIT_TEMPLATE;
		berth_error_wrap(err, "template parsing error");
		ret = -1;
	} else {
		ret = berth_template_execute(t, data, 0, &out, err);
		berth_strbuf_puts(&out, "\n");
		berth_cli_print(&out);
	}
	berth_template_free(t);
	json_decref(data);
	json_decref(info);
	berth_error_release(&server_err);
	if (conn_err)
		return join_errors(&conn_err, ret < 0, err);
	return ret;
}

static int run_info(struct berth_cli *cli, void *o, const struct berth_strv *args,
		    berth_error_t *err)
{
	struct info_opts *opts = o;

	if (opts->format == NULL || *opts->format == '\0')
		return pretty_print(cli, err);
	return format_info(cli, opts->format, err);
}

const struct berth_command berth_cmd_info = {
	.name = "info",
	.use = "info [OPTIONS]",
	.short_desc = "Display system-wide information",
	.aliases = "system info, info",
	.group = BERTH_CMD_COMMON,
	.opts = info_options,
	.nopts = BERTH_ARRAY_SIZE(info_options),
	.opts_size = sizeof(struct info_opts),
	.run = run_info,
};
