/* cmd_network_inspect.c: `berth network inspect`, docker's inspect.Inspect
 * over GET /networks/{id}: the daemon's JSON indented as Go's json.Indent,
 * compact for "json", or a template per network.
 *
 * docker runs a template on its network.Inspect struct first and on the
 * raw JSON (missingkey=error) when that fails. The struct differs from the
 * JSON in what templates see: every field exists (zero values), the ID
 * field is .ID (so .Id fails there, and the raw JSON answers), .Created is
 * a time.Time printed as "2006-01-02 15:04:05.999999999 -0700 MST", and a
 * key missing from one of its Go maps prints "<no value>". Here the typed
 * run is the JSON reshaped that way (berth_cli_network_typed). */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/format.h"
#include "cli/image_internal.h"
#include "cli/network_internal.h"

/* Go's zero time.Time, printed */
static const char zero_time[] = "0001-01-01 00:00:00 +0000 UTC";

/* the Go maps of network.Inspect: a missing key there is "<no value>" */
static const char *const map_fields[] = { ".Labels.", ".Options.", ".Containers.", ".IPAM.Options.",
					  ".Services." };

struct inspect_opts {
	const char *format;
	bool verbose;
};

static const struct berth_opt inspect_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct inspect_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
	{ "verbose", 'v', BERTH_OPT_BOOL, offsetof(struct inspect_opts, verbose), NULL,
	  "Verbose output for diagnostics", NULL, NULL },
};

/* ---- time.Time ---- */

/* Reads N digits at *P into *OUT; false when they are not all there. */
static bool digits(const char **p, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*out = *out * 10 + (**p - '0');
	}
	return true;
}

/* The zone Go prints for OFFSET seconds east of UTC at the instant
 * UTC_SEC: the local zone's name when the local zone has that offset
 * then, else "+hhmm". */
static void zone_name(long offset, time_t utc_sec, char *buf, size_t len)
{
	struct tm tm;
	long a = offset < 0 ? -offset : offset;

	if (localtime_r(&utc_sec, &tm) && tm.tm_gmtoff == offset && tm.tm_zone) {
		snprintf(buf, len, "%s", tm.tm_zone);
		return;
	}
	snprintf(buf, len, "%c%02ld%02ld", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)" into its parts; false when S
 * is not that. FRAC gets the fraction's digits (at most 9). */
struct rfc3339 {
	int year, mon, day, hour, min, sec;
	char frac[10];
	bool utc;
	long offset; /* seconds east of UTC */
};

/* Reads the byte C at *P. */
static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool parse_rfc3339(const char *s, struct rfc3339 *t)
{
	size_t nf;
	int oh, om, sign;

	memset(t, 0, sizeof(*t));
	if (!digits(&s, 4, &t->year) || !expect(&s, '-') || !digits(&s, 2, &t->mon) ||
	    !expect(&s, '-') || !digits(&s, 2, &t->day) || !expect(&s, 'T') ||
	    !digits(&s, 2, &t->hour) || !expect(&s, ':') || !digits(&s, 2, &t->min) ||
	    !expect(&s, ':') || !digits(&s, 2, &t->sec))
		return false;
	if (expect(&s, '.')) {
		nf = strspn(s, "0123456789");
		if (nf == 0)
			return false;
		memcpy(t->frac, s, nf < 9 ? nf : 9);
		s += nf;
	}
	if (expect(&s, 'Z')) {
		t->utc = true;
		return *s == '\0';
	}
	sign = *s == '-' ? -1 : 1;
	if ((!expect(&s, '+') && !expect(&s, '-')) || !digits(&s, 2, &oh) || !expect(&s, ':') ||
	    !digits(&s, 2, &om) || *s)
		return false;
	t->offset = sign * (oh * 3600L + om * 60L);
	return true;
}

char *berth_cli_go_time_string(const char *s)
{
	struct rfc3339 t;
	char zone[64], frac[11] = "";
	struct tm tm = { 0 };
	size_t nf;

	if (s == NULL || !parse_rfc3339(s, &t))
		return xstrdup(zero_time);
	/* .999999999: the fraction without its trailing zeros */
	nf = strlen(t.frac);
	while (nf && t.frac[nf - 1] == '0')
		nf--;
	if (nf)
		snprintf(frac, sizeof(frac), ".%.*s", (int)nf, t.frac);
	if (t.utc) {
		snprintf(zone, sizeof(zone), "+0000 UTC");
	} else {
		char name[32];
		tm.tm_year = t.year - 1900;
		tm.tm_mon = t.mon - 1;
		tm.tm_mday = t.day;
		tm.tm_hour = t.hour;
		tm.tm_min = t.min;
		tm.tm_sec = t.sec;
		zone_name(t.offset, timegm(&tm) - t.offset, name, sizeof(name));
		snprintf(zone, sizeof(zone), "%c%02ld%02ld %s", t.offset < 0 ? '-' : '+',
			 labs(t.offset) / 3600, labs(t.offset) / 60 % 60, name);
	}
	return xasprintf("%04d-%02d-%02d %02d:%02d:%02d%s %s", t.year, t.mon, t.day, t.hour, t.min,
			 t.sec, frac, zone);
}

/* ---- network.Inspect ---- */

/* A Go map M (null: a nil map) as the template TEXT sees it: a nil map
 * prints "map[]" but marshals to null, so it stays null for json. */
static json_t *go_map(const json_t *m, const char *text)
{
	if (m && !json_is_null(m))
		return json_incref((json_t *)m);
	return strstr(text, "json") ? json_null() : json_object();
}

/* V, or the zero value ZERO (JSON text) when V is missing. */
static json_t *or_zero(const json_t *v, const char *zero)
{
	return v ? json_incref((json_t *)v) : json_loads(zero, JSON_DECODE_ANY, NULL);
}

/* Copies FIELDS of FROM into TO in this order, zero values for the
 * missing ones. */
static void copy_fields(json_t *to, const json_t *from, const char *const (*fields)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_set_new(to, fields[i][0],
				    or_zero(json_object_get(from, fields[i][0]), fields[i][1]));
}

static json_t *typed_ipam(const json_t *ipam, const char *text)
{
	static const char *const order[] = { "Subnet", "IPRange", "Gateway" };
	const json_t *config = json_object_get(ipam, "Config"), *c;
	json_t *out = json_pack("{s:s, s:o}", "Driver", berth_cli_image_str(ipam, "Driver"),
				"Options", go_map(json_object_get(ipam, "Options"), text));
	json_t *list;
	size_t i;

	if (!json_is_array(config)) { /* a nil slice: "[]", or null for json */
		json_object_set_new(out, "Config",
				    strstr(text, "json") ? json_null() : json_array());
		return out;
	}
	list = json_array();
	json_array_foreach (config, i, c) {
		json_t *o = json_object(), *aux = json_object_get(c, "AuxiliaryAddresses");
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(order); k++)
			if (json_object_get(c, order[k]) ||
			    berth_cli_template_uses_field(text, order[k]))
				json_object_set_new(o, order[k],
						    json_string(berth_cli_image_str(c, order[k])));
		if (berth_cli_template_uses_field(text, "AuxAddress"))
			json_object_set_new(o, "AuxAddress", or_zero(aux, "{}"));
		else if (aux)
			json_object_set(o, "AuxiliaryAddresses", aux);
		json_array_append_new(list, o);
	}
	json_object_set_new(out, "Config", list);
	return out;
}

/* EndpointResource: its five strings, always there */
static json_t *typed_containers(const json_t *containers, const char *text)
{
	static const char *const ep[][2] = { { "Name", "\"\"" },
					     { "EndpointID", "\"\"" },
					     { "MacAddress", "\"\"" },
					     { "IPv4Address", "\"\"" },
					     { "IPv6Address", "\"\"" } };
	json_t *out, *c;
	const char *id;

	if (!json_is_object(containers))
		return go_map(containers, text);
	out = json_object();
	json_object_foreach ((json_t *)containers, id, c) {
		json_t *o = json_object();
		copy_fields(o, c, ep, BERTH_ARRAY_SIZE(ep));
		json_object_set_new(out, id, o);
	}
	return out;
}

json_t *berth_cli_network_typed(const json_t *raw, const char *text)
{
	static const char *const head[][2] = {
		{ "Scope", "\"\"" },
		{ "Driver", "\"\"" },
		{ "EnableIPv4", "false" },
		{ "EnableIPv6", "false" },
	};
	static const char *const mid[][2] = { { "Internal", "false" },
					      { "Attachable", "false" },
					      { "Ingress", "false" } };
	const char *created = json_string_value(json_object_get(raw, "Created"));
	json_t *t = json_object();

	json_object_set_new(t, "Name", json_string(berth_cli_image_str(raw, "Name")));
	json_object_set_new(t, berth_cli_template_uses_field(text, "ID") ? "ID" : "Id",
			    json_string(berth_cli_image_str(raw, "Id")));
	if (berth_cli_template_uses_field(text, "Created")) {
		cleanup_free char *go = berth_cli_go_time_string(created);
		json_object_set_new(t, "Created", json_string(go));
	} else {
		/* as json marshals a time.Time */
		json_object_set_new(t, "Created",
				    json_string(created ? created : "0001-01-01T00:00:00Z"));
	}
	copy_fields(t, raw, head, BERTH_ARRAY_SIZE(head));
	json_object_set_new(t, "IPAM", typed_ipam(json_object_get(raw, "IPAM"), text));
	copy_fields(t, raw, mid, BERTH_ARRAY_SIZE(mid));
	json_object_set_new(
	    t, "ConfigFrom",
	    json_pack("{s:s}", "Network",
		      berth_cli_image_str(json_object_get(raw, "ConfigFrom"), "Network")));
	json_object_set_new(t, "ConfigOnly",
			    json_boolean(json_is_true(json_object_get(raw, "ConfigOnly"))));
	json_object_set_new(t, "Containers",
			    typed_containers(json_object_get(raw, "Containers"), text));
	json_object_set_new(t, "Options", go_map(json_object_get(raw, "Options"), text));
	json_object_set_new(t, "Labels", go_map(json_object_get(raw, "Labels"), text));
	/* omitempty: there when the daemon sent them or the template asks */
	if (json_array_size(json_object_get(raw, "Peers")) ||
	    berth_cli_template_uses_field(text, "Peers"))
		json_object_set_new(t, "Peers", or_zero(json_object_get(raw, "Peers"), "[]"));
	if (json_object_size(json_object_get(raw, "Services")) ||
	    berth_cli_template_uses_field(text, "Services"))
		json_object_set_new(t, "Services", or_zero(json_object_get(raw, "Services"), "{}"));
	return t;
}

/* ---- templates ---- */

static bool is_map_key(const char *chain)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(map_fields); i++)
		if (strncmp(chain, map_fields[i], strlen(map_fields[i])) == 0)
			return true;
	return false;
}

/* The typed run, then, as docker, the raw one when it fails. */
static int run_network(const struct berth_template *t, const char *text, const json_t *raw,
		       void *arg, struct berth_strbuf *out, berth_error_t *err)
{
	json_t *typed = berth_cli_network_typed(raw, text);
	int ret = -1;

	if (!berth_cli_template_uses_field(text, "Id")) {
		ret = berth_template_execute(t, typed, BERTH_TEMPLATE_MISSINGKEY_ERROR, out, err);
		if (ret < 0) {
			cleanup_free char *chain = berth_cli_image_missing_chain((*err)->msg, text);
			if (chain && is_map_key(chain)) {
				berth_error_release(err);
				berth_strbuf_reset(out);
				ret = berth_template_execute(t, typed, 0, out, err);
			}
		}
		if (ret < 0)
			berth_error_release(err);
	}
	if (ret < 0)
		ret = berth_cli_inspect_run_raw(t, raw, out, err);
	json_decref(typed);
	return ret;
}

/* GET /networks/{id}, the name trimmed as docker's client trims it. */
static int fetch_network(struct berth_client *c, const char *name, void *arg, char **body,
			 size_t *len, berth_error_t *err)
{
	const struct inspect_opts *o = arg;
	cleanup_free char *id = NULL;
	cleanup_free char *path = NULL;

	if (berth_cli_network_trim_id("network", name, &id, err) < 0)
		return -1;
	path = berth_cli_network_path(id, NULL);
	return berth_cli_get_raw(c, path, o->verbose ? "verbose=true" : NULL, body, len, err);
}

static const struct berth_cli_inspect_ops network_ops = {
	.fetch = fetch_network,
	.run = run_network,
};

static int run_inspect(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		       berth_error_t *err)
{
	struct inspect_opts *o = opts;

	if (args->n < 1)
		return berth_cli_args_min(cli, 1, err);
	return berth_cli_inspect(cli, o->format, args, &network_ops, o, err);
}

const struct berth_command berth_cmd_network_inspect = {
	.name = "inspect",
	.use = "inspect [OPTIONS] NETWORK [NETWORK...]",
	.short_desc = "Display detailed information on one or more networks",
	.opts = inspect_options,
	.nopts = BERTH_ARRAY_SIZE(inspect_options),
	.opts_size = sizeof(struct inspect_opts),
	.takes_args = true,
	.run = run_inspect,
};
