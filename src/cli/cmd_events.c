/* cmd_events.c: `berth events`, streaming GET /events as docker prints it:
 *   2024-01-01T10:00:00.000000000+01:00 container start ID (image=busybox, name=x)
 * (local time, nanoseconds always nine digits, attributes sorted). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/format.h"

struct events_opts {
	struct berth_strv filter;
	const char *format;
	const char *since;
	const char *until;
};

/* docker's filters.ParseFlag: "name=value", name lower-cased */
static int validate_filter(const char *value, berth_error_t *err)
{
	if (strchr(value, '=') == NULL)
		return berth_make_error(err, EINVAL, "bad format of filter (expected name=value)");
	return 0;
}

static const struct berth_opt events_options[] = {
	{ "filter", 'f', BERTH_OPT_LIST, offsetof(struct events_opts, filter), "filter",
	  "Filter output based on conditions provided", NULL, validate_filter },
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct events_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
	{ "since", 0, BERTH_OPT_STRING, offsetof(struct events_opts, since), "string",
	  "Show all events created since timestamp", NULL, NULL },
	{ "until", 0, BERTH_OPT_STRING, offsetof(struct events_opts, until), "string",
	  "Stream events until this timestamp", NULL, NULL },
};

/* docker also runs the template on an empty message to catch unknown
 * struct fields; on JSON an unknown field cannot be told from a missing
 * map key (.Actor.Attributes.name), so only the syntax is checked here. */
static int make_template(const char *format, struct berth_template **out, berth_error_t *err)
{
	*out = NULL;
	if (format == NULL || *format == '\0')
		return 0;
	*out = berth_template_parse("", strcmp(format, "json") == 0 ? "{{json .}}" : format, err);
	if (*out == NULL)
		return berth_error_wrap(err, "Error parsing format");
	return 0;
}

/* docker's GetTimestamp: durations become unix seconds, dates become
 * "seconds.nanoseconds", unix timestamps pass through. */
static int convert_time(const char *value, char **out, berth_error_t *err)
{
	int64_t ns, d;

	if (berth_time_parse_timestamp(value, berth_time_now_ns(), &ns, err) < 0)
		return -1;
	if (strspn(value, "0123456789.") == strlen(value) ||
	    (value[0] == '-' && strspn(value + 1, "0123456789.") == strlen(value + 1)))
		*out = xstrdup(value); /* already unix seconds */
	else if (strcmp(value, "0") != 0 && berth_time_parse_duration(value, &d, NULL) == 0)
		*out = xasprintf("%" PRId64, (int64_t)((berth_time_now_ns() - d) / 1000000000LL));
	else
		*out = xasprintf("%" PRId64 ".%09" PRId64,
				 (int64_t)(ns / 1000000000LL - (ns % 1000000000LL < 0)),
				 (int64_t)(((ns % 1000000000LL) + 1000000000LL) % 1000000000LL));
	return 0;
}

/* filters={"name":{"value":true}}, names lower-cased as docker's ParseFlag. */
static char *filters_json(const struct berth_strv *filters)
{
	json_t *root = json_object();
	char *s;

	for (size_t i = 0; i < filters->n; i++) {
		const char *eq = strchr(filters->v[i], '=');
		cleanup_free char *name = xstrndup(filters->v[i], (size_t)(eq - filters->v[i]));
		json_t *vals;

		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		vals = json_object_get(root, name);
		if (vals == NULL) {
			vals = json_object();
			json_object_set_new(root, name, vals);
		}
		json_object_set_new(vals, eq + 1, json_true());
	}
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s;
}

/* filters, since, until: the order of Go's url.Values.Encode */
static int build_query(const struct events_opts *opts, char **query, berth_error_t *err)
{
	const char *names[2] = { "since", "until" };
	const char *values[2] = { opts->since, opts->until };

	if (opts->filter.n) {
		cleanup_free char *f = filters_json(&opts->filter);
		berth_client_query_add(query, "filters", f);
	}
	for (int i = 0; i < 2; i++) {
		cleanup_free char *ts = NULL;
		if (values[i] == NULL || *values[i] == '\0')
			continue;
		if (convert_time(values[i], &ts, err) < 0)
			return -1;
		berth_client_query_add(query, names[i], ts);
	}
	return 0;
}

/* Go's "2006-01-02T15:04:05.000000000Z07:00" in local time. */
static void format_time(struct berth_strbuf *out, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	struct tm tm;
	char buf[64];
	long off;

	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	berth_strbuf_printf(out, "%s.%09ld", buf, frac);
	off = tm.tm_gmtoff;
	if (off == 0)
		berth_strbuf_puts(out, "Z");
	else
		berth_strbuf_printf(out, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
				    (labs(off) % 3600) / 60);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_attributes(struct berth_strbuf *out, const json_t *attrs)
{
	size_t n = json_object_size(attrs), i = 0;
	cleanup_free const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	if (n == 0)
		return;
	json_object_foreach ((json_t *)attrs, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	berth_strbuf_puts(out, " (");
	for (i = 0; i < n; i++) {
		berth_strbuf_printf(out, "%s%s=", i ? ", " : "", keys[i]);
		berth_format_value(out, json_object_get(attrs, keys[i]));
	}
	berth_strbuf_puts(out, ")");
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* docker's prettyPrintEvent */
static void pretty_event(struct berth_strbuf *out, const json_t *ev)
{
	json_int_t nano = json_integer_value(json_object_get(ev, "timeNano"));
	json_int_t sec = json_integer_value(json_object_get(ev, "time"));
	const json_t *actor = json_object_get(ev, "Actor");

	if (nano != 0 || sec != 0) {
		format_time(out, nano != 0 ? (int64_t)nano : (int64_t)sec * 1000000000LL);
		berth_strbuf_puts(out, " ");
	}
	berth_strbuf_printf(out, "%s %s %s", str(ev, "Type"), str(ev, "Action"), str(actor, "ID"));
	print_attributes(out, json_object_get(actor, "Attributes"));
	berth_strbuf_puts(out, "\n");
}

/* Copies KEY from SRC unless it is Go's empty value, as omitempty does. */
static void copy_nonempty(json_t *dst, const json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);

	if ((json_is_string(v) && json_string_length(v) > 0) ||
	    (json_is_integer(v) && json_integer_value(v) != 0))
		json_object_set(dst, key, v);
}

/* The event as docker's client decodes it into events.Message and --format
 * sees it: that struct's fields in its order, omitempty ones dropped when
 * empty, attributes sorted as Go marshals a map. */
static json_t *decode_event(const json_t *ev)
{
	const json_t *actor = json_object_get(ev, "Actor");
	const json_t *attrs = json_object_get(actor, "Attributes");
	json_t *m = json_object(), *a = json_object(), *sorted;

	copy_nonempty(m, ev, "status");
	copy_nonempty(m, ev, "id");
	copy_nonempty(m, ev, "from");
	json_object_set_new(m, "Type", json_string(str(ev, "Type")));
	json_object_set_new(m, "Action", json_string(str(ev, "Action")));
	json_object_set_new(a, "ID", json_string(str(actor, "ID")));
	if (json_is_object(attrs)) {
		/* a round trip through a sorted dump is the simplest way to sort keys */
		char *s = json_dumps(attrs, JSON_SORT_KEYS | JSON_COMPACT);
		sorted = s ? json_loads(s, 0, NULL) : NULL;
		free(s);
		json_object_set_new(a, "Attributes", sorted ? sorted : json_object());
	} else {
		json_object_set_new(a, "Attributes", json_null());
	}
	json_object_set_new(m, "Actor", a);
	copy_nonempty(m, ev, "scope");
	copy_nonempty(m, ev, "time");
	copy_nonempty(m, ev, "timeNano");
	return m;
}

struct stream_state {
	struct berth_template *tmpl; /* borrowed, NULL for the default format */
	berth_error_t err;	     /* owned: what stopped the stream */
};

static int on_event(const char *line, size_t len, void *data)
{
	struct stream_state *st = data;
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	json_error_t jerr;
	json_t *ev = json_loadb(line, len, 0, &jerr);
	int ret = 0;

	if (!json_is_object(ev)) {
		json_decref(ev);
		berth_make_error(&st->err, EPROTO, "invalid event from daemon: %s", jerr.text);
		return -1;
	}
	if (st->tmpl == NULL) {
		pretty_event(&out, ev);
	} else {
		json_t *msg = decode_event(ev);
		ret = berth_template_execute(st->tmpl, msg, 0, &out, &st->err);
		berth_strbuf_puts(&out, "\n");
		json_decref(msg);
	}
	berth_cli_print(&out);
	json_decref(ev);
	return ret;
}

static int run_events(struct berth_cli *cli, void *o, const struct berth_strv *args,
		      berth_error_t *err)
{
	struct events_opts *opts = o;
	struct stream_state st = { NULL, NULL };
	cleanup_free char *query = NULL;
	struct berth_client *client;
	int ret;

	if (make_template(opts->format, &st.tmpl, err) < 0) {
		cli->status = BERTH_EXIT_TEMPLATE;
		return -1;
	}
	ret = build_query(opts, &query, err);
	if (ret == 0)
		ret = berth_cli_client(cli, &client, err);
	if (ret == 0)
		ret =
		    berth_client_stream_lines(client, "GET", "/events", query, on_event, &st, err);
	if (ret == 0 && st.err) {
		*err = steal_pointer(&st.err);
		ret = -1;
	}
	berth_error_release(&st.err);
	berth_template_free(st.tmpl);
	return ret;
}

const struct berth_command berth_cmd_events = {
	.name = "events",
	.use = "events [OPTIONS]",
	.short_desc = "Get real time events from the server",
	.aliases = "system events, events",
	.opts = events_options,
	.nopts = BERTH_ARRAY_SIZE(events_options),
	.opts_size = sizeof(struct events_opts),
	.run = run_events,
};
