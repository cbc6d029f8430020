/* cmd_version.c: `berth version`, docker's layout and --format data.
 *
 * The default output is docker's own version template, run through a
 * tabwriter as docker does, so that spacing matches line for line. The
 * client has no Go version, build context or platform name, so those lines
 * are left out rather than filled with made-up values. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/format.h"

/* docker's defaultVersionTemplate, minus the client lines berth cannot fill
 * and with the server's Go version shown only when the daemon reports one. */
static const char version_template[] =
    "{{with .Client -}}\n"
    "Client:\n"
    " Version:\t{{.Version}}\n"
    " API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}\n"
    " Git commit:\t{{.GitCommit}}\n"
    "{{- if .BuildTime}}\n Built:\t{{.BuildTime}}{{end}}\n"
    " OS/Arch:\t{{.Os}}/{{.Arch}}\n"
    "{{- end}}\n"
    "\n"
    "{{- if ne .Server nil}}{{with .Server}}\n"
    "\n"
    "Server:{{if ne .Platform.Name \"\"}} {{.Platform.Name}}{{end}}\n"
    " {{- range $component := .Components}}\n"
    " {{$component.Name}}:\n"
    "  {{- if eq $component.Name \"Engine\" }}\n"
    "  Version:\t{{.Version}}\n"
    "  API version:\t{{index .Details \"ApiVersion\"}} (minimum version {{index .Details \"MinAPIVersion\"}})\n"
    "  {{- with index .Details \"GoVersion\"}}\n  Go version:\t{{.}}{{end}}\n"
    "  Git commit:\t{{index .Details \"GitCommit\"}}\n"
    "  Built:\t{{index .Details \"BuildTime\"}}\n"
    "  OS/Arch:\t{{index .Details \"Os\"}}/{{index .Details \"Arch\"}}\n"
    "  Experimental:\t{{index .Details \"Experimental\"}}\n"
    "  {{- else }}\n"
    "  Version:\t{{$component.Version}}\n"
    "  {{- range $key, $value := $component.Details}}\n"
    "  {{$key}}:\t{{$value}}\n"
    "   {{- end}}\n"
    "  {{- end}}\n"
    " {{- end}}\n"
    " {{- end}}{{- end}}";

struct version_opts {
	const char *format;
};

static const struct berth_opt version_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct version_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
};

/* docker's reformatDate: an RFC 3339 time as Go's time.ANSIC in local time;
 * anything else unchanged. */
static json_t *reformat_date(const char *s)
{
	berth_error_t err = NULL;
	int64_t ns;
	time_t t;
	struct tm tm;
	char buf[64];

	if (s == NULL || strchr(s, 'T') == NULL ||
	    berth_time_parse_timestamp(s, 0, &ns, &err) < 0) {
		berth_error_release(&err);
		return json_string(s ? s : "");
	}
	t = (time_t)(ns / 1000000000LL);
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
	return json_string(buf);
}

static json_t *client_info(struct berth_client *client)
{
	json_t *c = json_object();

	json_object_set_new(c, "Version", json_string(BERTH_VERSION));
	json_object_set_new(
	    c, "ApiVersion",
	    json_string(client ? berth_client_api_version(client) : BERTH_API_VERSION));
	json_object_set_new(c, "DefaultAPIVersion", json_string(BERTH_API_VERSION));
	json_object_set_new(c, "GitCommit", json_string(BERTH_GIT_COMMIT));
	json_object_set_new(c, "Os", json_string(berth_cli_os()));
	json_object_set_new(c, "Arch", json_string(berth_cli_arch()));
	/* the commit date stands in for a build time, which berth does not record */
	if (strncmp(BERTH_BUILD_DATE, "1970-", 5) != 0)
		json_object_set_new(c, "BuildTime", reformat_date(BERTH_BUILD_DATE));
	return c;
}

static const char *str_field(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* As docker's runVersion: an Engine component made from the top-level
 * fields when the daemon lists none, and Engine's BuildTime reformatted. */
static void fix_components(json_t *sv)
{
	json_t *comps = json_object_get(sv, "Components"), *c, *d;
	size_t i;

	if (!json_is_object(json_object_get(sv, "Platform")))
		json_object_set_new(sv, "Platform", json_pack("{s:s}", "Name", ""));
	if (!json_is_array(comps)) {
		comps = json_array();
		json_object_set_new(sv, "Components", comps);
	}
	json_array_foreach (comps, i, c) {
		d = json_object_get(c, "Details");
		if (json_is_object(d) && strcmp(str_field(c, "Name"), "Engine") == 0 &&
		    json_is_string(json_object_get(d, "BuildTime")))
			json_object_set_new(d, "BuildTime",
					    reformat_date(str_field(d, "BuildTime")));
		if (strcmp(str_field(c, "Name"), "Engine") == 0)
			return;
	}
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "ApiVersion",
		      str_field(sv, "ApiVersion"), "MinAPIVersion", str_field(sv, "MinAPIVersion"),
		      "GitCommit", str_field(sv, "GitCommit"), "GoVersion",
		      str_field(sv, "GoVersion"), "Os", str_field(sv, "Os"), "Arch",
		      str_field(sv, "Arch"), "BuildTime", reformat_date(str_field(sv, "BuildTime")),
		      "Experimental",
		      json_is_true(json_object_get(sv, "Experimental")) ? "true" : "false");
	json_array_append_new(comps, json_pack("{s:s, s:s, s:o}", "Name", "Engine", "Version",
					       str_field(sv, "Version"), "Details", d));
}

/* Fetches /version into *SV; on failure *SV stays NULL and the error is returned. */
static int server_version(struct berth_cli *cli, json_t **sv, berth_error_t *err)
{
	struct berth_client *client;

	*sv = NULL;
	if (berth_cli_client(cli, &client, err) < 0)
		return -1;
	if (berth_client_call_json(client, "GET", "/version", NULL, NULL, sv, err) < 0)
		return -1;
	if (!json_is_object(*sv)) {
		json_decref(*sv);
		*sv = NULL;
		return berth_make_error(err, EPROTO, "invalid /version answer from daemon");
	}
	fix_components(*sv);
	return 0;
}

static int run_version(struct berth_cli *cli, void *o, const struct berth_strv *args,
		       berth_error_t *err)
{
	struct version_opts *opts = o;
	const char *format = opts->format && *opts->format ? opts->format : version_template;
	struct berth_template *tmpl = NULL;
	cleanup_strbuf struct berth_strbuf text = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	berth_error_t conn_err = NULL;
	json_t *data, *sv = NULL;
	struct berth_client *client = NULL;
	int ret;

	if (strcmp(format, "json") == 0)
		format = "{{json .}}";
	tmpl = berth_template_parse("version", format, err);
	if (tmpl == NULL) {
		cli->status = BERTH_EXIT_TEMPLATE;
		return berth_error_wrap(err, "template parsing error");
	}
	/* negotiate before showing the client's API version, as docker's CLI
	 * does when it starts; a connection error is reported below */
	if (berth_cli_client(cli, &client, &conn_err) == 0)
		berth_client_negotiate(client, &conn_err);
	if (conn_err == NULL)
		server_version(cli, &sv, &conn_err);
	data =
	    json_pack("{s:o, s:o}", "Client", client_info(client), "Server", sv ? sv : json_null());
	ret = berth_template_execute(tmpl, data, 0, &text, err);
	berth_strbuf_append(&text, "\n", 1);
	berth_tabwriter_format(&out, text.buf, text.len, 20, 1);
	berth_cli_print(&out);
	json_decref(data);
	berth_template_free(tmpl);
	/* a connection error wins over a template error, as in docker */
	if (conn_err) {
		berth_error_release(err);
		*err = conn_err;
		return -1;
	}
	return ret < 0 ? -1 : 0;
}

const struct berth_command berth_cmd_version = {
	.name = "version",
	.use = "version [OPTIONS]",
	.short_desc = "Show the berth version information",
	.group = BERTH_CMD_COMMON,
	.opts = version_options,
	.nopts = BERTH_ARRAY_SIZE(version_options),
	.opts_size = sizeof(struct version_opts),
	.run = run_version,
};
