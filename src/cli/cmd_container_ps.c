/* cmd_container_ps.c: `berth ps` and `berth container ls`, from GET
 * /containers/json, with docker's container formatter: the ID truncated,
 * the image as its familiar name, the command quoted and cut with "…",
 * "N minutes ago", the ports grouped into ranges.
 *
 * Each row is a JSON object holding the fields of docker's
 * ContainerContext as strings, keys sorted as its MarshalJSON sorts them. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/reference.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/auth.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/format.h"
#include "cli/image_internal.h"
#include "cli/units.h"

static const char table_format[] = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
				   "{{.Status}}\t{{.Ports}}\t{{.Names}}";
static const char raw_format[] = "container_id: {{.ID}}\nimage: {{.Image}}\n"
				 "command: {{.Command}}\ncreated_at: {{.CreatedAt}}\n"
				 "state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\n"
				 "names: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\n"
				 "ports: {{- pad .Ports 1 0}}\n";

/* ---- formatting pieces ---- */

/* The display width of the UTF-8 sequence starting at S (East Asian wide
 * and fullwidth ranges count 2, as go-runewidth). */
static int rune_width(unsigned int r)
{
	if ((r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF) ||
	    (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
	    (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
	    (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
	    (r >= 0x20000 && r <= 0x3FFFD))
		return 2;
	return 1;
}

/* Decodes one rune at S; returns its byte length. */
static size_t decode(const unsigned char *s, unsigned int *r)
{
	if (s[0] < 0x80) {
		*r = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
		*r = (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*r = (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
		return 3;
	}
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
	    (s[3] & 0xC0) == 0x80) {
		*r = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3F) << 12 |
		     (unsigned)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
		return 4;
	}
	*r = 0xFFFD;
	return 1;
}

char *berth_cli_ellipsis(const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cut = 0, i = 0;
	int total = 0;
	unsigned int r;

	if (width <= 0)
		return xstrdup("");
	while (p[i]) {
		size_t n = decode(p + i, &r);
		total += rune_width(r);
		if (total <= width - 1)
			cut = i + n;
		i += n;
	}
	if (total <= width)
		return xstrdup(s);
	if (width == 1) {
		size_t n = decode(p, &r);
		return xstrndup(s, n);
	}
	return xasprintf("%.*s\xe2\x80\xa6", (int)cut, s);
}

struct port {
	const char *ip, *type;
	long priv, pub;
};

static int cmp_port(const void *a, const void *b)
{
	const struct port *x = a, *y = b;
	int c;

	if (x->priv != y->priv)
		return x->priv < y->priv ? -1 : 1;
	if ((c = strcmp(x->ip, y->ip)) != 0)
		return c;
	if (x->pub != y->pub)
		return x->pub < y->pub ? -1 : 1;
	return strcmp(x->type, y->type);
}

static void host_port(struct berth_strbuf *sb, const char *ip, const char *port)
{
	if (strchr(ip, ':'))
		berth_strbuf_printf(sb, "[%s]:%s", ip, port);
	else
		berth_strbuf_printf(sb, "%s:%s", ip, port);
}

/* formGroup: "80/tcp", "8000-8001/tcp", "0.0.0.0:80->80/tcp". */
static void form_group(struct berth_strbuf *sb, const char *key, long first, long last)
{
	const char *slash = strchr(key, '/');
	cleanup_free char *ip = slash ? xstrndup(key, (size_t)(slash - key)) : NULL;
	cleanup_free char *group =
	    first == last ? xasprintf("%ld", first) : xasprintf("%ld-%ld", first, last);

	if (sb->len)
		berth_strbuf_puts(sb, ", ");
	if (ip && *ip) {
		host_port(sb, ip, group);
		berth_strbuf_puts(sb, "->");
	}
	berth_strbuf_printf(sb, "%s/%s", group, slash ? slash + 1 : key);
}

struct group {
	char *key; /* owned */
	long first, last;
};

static void flush_groups(struct berth_strbuf *out, struct group *g, size_t ng)
{
	for (size_t i = 0; i < ng; i++) {
		form_group(out, g[i].key, g[i].first, g[i].last);
		free(g[i].key);
	}
}

char *berth_cli_display_ports(const json_t *ports)
{
	size_t n = json_array_size(ports), ng = 0;
	cleanup_free struct port *p = xcalloc(n + 1, sizeof(*p));
	cleanup_free struct group *g = xcalloc(n + 1, sizeof(*g));
	cleanup_strbuf struct berth_strbuf maps = BERTH_STRBUF_INIT;
	struct berth_strbuf out = BERTH_STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(ports, i);
		p[i] = (struct port){ berth_cli_image_str(o, "IP"), berth_cli_image_str(o, "Type"),
				      (long)berth_cli_image_num(o, "PrivatePort"),
				      (long)berth_cli_image_num(o, "PublicPort") };
	}
	qsort(p, n, sizeof(*p), cmp_port);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *key = NULL;
		size_t k;
		if (*p[i].ip && p[i].pub != p[i].priv) {
			cleanup_free char *pub = xasprintf("%ld", p[i].pub);
			berth_strbuf_puts(&maps, maps.len ? ", " : "");
			host_port(&maps, p[i].ip, pub);
			berth_strbuf_printf(&maps, "->%ld/%s", p[i].priv, p[i].type);
			continue;
		}
		key = *p[i].ip ? xasprintf("%s/%s", p[i].ip, p[i].type) : xstrdup(p[i].type);
		for (k = 0; k < ng && strcmp(g[k].key, key) != 0; k++)
			;
		if (k == ng) {
			g[ng++] = (struct group){ steal_pointer(&key), p[i].priv, p[i].priv };
			continue;
		}
		if (p[i].priv == g[k].last + 1) {
			g[k].last = p[i].priv;
			continue;
		}
		form_group(&out, g[k].key, g[k].first, g[k].last);
		g[k].first = g[k].last = p[i].priv;
	}
	flush_groups(&out, g, ng);
	if (maps.len)
		berth_strbuf_printf(&out, "%s%s", out.len ? ", " : "", maps.buf);
	berth_strbuf_append(&out, "", 0);
	return berth_strbuf_steal(&out);
}

/* ContainerContext.Image. */
static char *image_field(const json_t *c, bool trunc)
{
	const char *image = berth_cli_image_str(c, "Image");
	cleanup_free char *a = NULL;
	cleanup_free char *b = NULL;
	berth_error_t ignored = NULL;
	struct berth_ref ref;
	char *out;

	if (*image == '\0')
		return xstrdup("<no image>");
	if (!trunc)
		return xstrdup(image);
	a = berth_cli_image_short_id(berth_cli_image_str(c, "ImageID"));
	b = berth_cli_image_short_id(image);
	if (strcmp(a, b) == 0)
		return steal_pointer(&a);
	if (berth_ref_parse(image, &ref, &ignored) < 0) {
		berth_error_release(&ignored);
		return xstrdup(image);
	}
	free(ref.digest);
	ref.digest = NULL;
	out = berth_ref_familiar(&ref);
	berth_ref_release(&ref);
	return out;
}

/* ContainerContext.Names: without the slashes; with trunc, one name that
 * is no link ("other/alias"). */
static char *names_field(const json_t *c, bool trunc)
{
	const json_t *names = json_object_get(c, "Names");
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	size_t i;
	json_t *n;

	if (trunc) {
		json_array_foreach (names, i, n) {
			const char *s = json_string_value(n);
			if (s && *s && strchr(s + 1, '/') == NULL)
				return xstrdup(s + 1);
		}
	}
	json_array_foreach (names, i, n) {
		const char *s = json_string_value(n);
		berth_strbuf_printf(&sb, "%s%s", i ? "," : "", s && *s ? s + 1 : "");
	}
	berth_strbuf_append(&sb, "", 0);
	return berth_strbuf_steal(&sb);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *berth_cli_labels_field(const json_t *labels)
{
	size_t n = json_object_size(labels), i = 0;
	cleanup_free char **kv = xcalloc(n + 1, sizeof(*kv));
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)labels, k, v)
		kv[i++] = xasprintf("%s=%s", k, json_string_value(v) ? json_string_value(v) : "");
	qsort(kv, n, sizeof(*kv), cmp_strp);
	for (i = 0; i < n; i++) {
		berth_strbuf_printf(&sb, "%s%s", i ? "," : "", kv[i]);
		free(kv[i]);
	}
	berth_strbuf_append(&sb, "", 0);
	return berth_strbuf_steal(&sb);
}

static char *networks_field(const json_t *c)
{
	const json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks");
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)nets, k, v)
		berth_strbuf_printf(&sb, "%s%s", sb.len ? "," : "", k);
	berth_strbuf_append(&sb, "", 0);
	return berth_strbuf_steal(&sb);
}

static void mounts_fields(const json_t *c, bool trunc, json_t *row)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const json_t *mounts = json_object_get(c, "Mounts");
	int local = 0;
	size_t i;
	json_t *m;
	char buf[32];

	json_array_foreach (mounts, i, m) {
		const char *name = berth_cli_image_str(m, "Name");
		cleanup_free char *shown =
		    trunc ? berth_cli_ellipsis(*name ? name : berth_cli_image_str(m, "Source"), 15)
			  : xstrdup(*name ? name : berth_cli_image_str(m, "Source"));
		berth_strbuf_printf(&sb, "%s%s", i ? "," : "", shown);
		local += strcmp(berth_cli_image_str(m, "Driver"), "local") == 0;
	}
	snprintf(buf, sizeof(buf), "%d", local);
	json_object_set_new(row, "LocalVolumes", json_string(buf));
	json_object_set_new(row, "Mounts", json_string(sb.buf ? sb.buf : ""));
	berth_strbuf_release(&sb);
}

static json_t *size_field(const json_t *c)
{
	char rw[BERTH_UNITS_BUFSIZE], root[BERTH_UNITS_BUFSIZE];
	int64_t srw = berth_cli_image_num(c, "SizeRw"),
		sroot = berth_cli_image_num(c, "SizeRootFs");
	cleanup_free char *s = NULL;

	berth_units_human_size_prec((double)srw, 3, rw, sizeof(rw));
	berth_units_human_size_prec((double)sroot, 3, root, sizeof(root));
	s = sroot > 0 ? xasprintf("%s (virtual %s)", rw, root) : xstrdup(rw);
	return json_string(s);
}

/* One row, keys in the order of docker's MarshalJSON (sorted). */
static json_t *ps_row(const json_t *c, bool trunc, int64_t now_sec)
{
	json_t *row = json_object();
	const char *id = berth_cli_image_str(c, "Id");
	const char *cmd = berth_cli_image_str(c, "Command");
	int64_t created = berth_cli_image_num(c, "Created");
	cleanup_free char *short_id = berth_cli_image_short_id(id);
	cleanup_free char *cut = trunc ? berth_cli_ellipsis(cmd, 20) : xstrdup(cmd);
	cleanup_free char *image = image_field(c, trunc);
	cleanup_free char *names = names_field(c, trunc);
	cleanup_free char *labels = berth_cli_labels_field(json_object_get(c, "Labels"));
	cleanup_free char *nets = networks_field(c);
	cleanup_free char *ports = berth_cli_display_ports(json_object_get(c, "Ports"));
	cleanup_strbuf struct berth_strbuf quoted = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf at = BERTH_STRBUF_INIT;
	char ago[64];

	berth_format_quote(&quoted, cut, strlen(cut));
	berth_cli_image_time_string(&at, created);
	berth_cli_human_duration((now_sec - created) * 1000000000LL, ago, sizeof(ago));
	json_object_set_new(row, "Command", json_string(quoted.buf));
	json_object_set_new(row, "CreatedAt", json_string(at.buf));
	json_object_set_new(row, "ID", json_string(trunc ? short_id : id));
	json_object_set_new(row, "Image", json_string(image));
	json_object_set_new(row, "Labels", json_string(labels));
	mounts_fields(c, trunc, row);
	json_object_set_new(row, "Names", json_string(names));
	json_object_set_new(row, "Networks", json_string(nets));
	json_object_set_new(row, "Platform", json_null());
	json_object_set_new(row, "Ports", json_string(ports));
	json_object_set_new(row, "RunningFor", json_sprintf("%s ago", ago));
	json_object_set_new(row, "Size", size_field(c));
	json_object_set_new(row, "State", json_string(berth_cli_image_str(c, "State")));
	json_object_set_new(row, "Status", json_string(berth_cli_image_str(c, "Status")));
	return row;
}

json_t *berth_cli_ps_rows(const json_t *containers, bool trunc, int64_t now_sec)
{
	json_t *rows = json_array(), *c;
	size_t i;

	json_array_foreach (containers, i, c)
		json_array_append_new(rows, ps_row(c, trunc, now_sec));
	return rows;
}

char *berth_cli_ps_format(const char *source, bool quiet, bool size)
{
	if (source == NULL || *source == '\0' || strcmp(source, "table") == 0) {
		if (quiet)
			return xstrdup("{{.ID}}");
		return size ? xasprintf("%s\t{{.Size}}", table_format) : xstrdup(table_format);
	}
	if (strcmp(source, "raw") == 0) {
		if (quiet)
			return xstrdup("container_id: {{.ID}}");
		return size ? xasprintf("%ssize: {{.Size}}\n", raw_format) : xstrdup(raw_format);
	}
	return xstrdup(quiet ? "{{.ID}}" : source);
}

/* ---- the command ---- */

struct ps_opts {
	bool quiet;
	int size; /* BERTH_OPT_TRIBOOL: --size=false stops the .Size detection */
	bool all;
	bool no_trunc;
	bool latest;
	const char *last;
	const char *format;
	struct berth_strv filter;
};

static const struct berth_opt ps_options[] = {
	{ "quiet", 'q', BERTH_OPT_BOOL, offsetof(struct ps_opts, quiet), NULL,
	  "Only display container IDs", NULL, NULL },
	{ "size", 's', BERTH_OPT_TRIBOOL, offsetof(struct ps_opts, size), NULL,
	  "Display total file sizes", NULL, NULL },
	{ "all", 'a', BERTH_OPT_BOOL, offsetof(struct ps_opts, all), NULL,
	  "Show all containers (default shows just running)", NULL, NULL },
	{ "no-trunc", 0, BERTH_OPT_BOOL, offsetof(struct ps_opts, no_trunc), NULL,
	  "Don't truncate output", NULL, NULL },
	{ "latest", 'l', BERTH_OPT_BOOL, offsetof(struct ps_opts, latest), NULL,
	  "Show the latest created container (includes all states)", NULL, NULL },
	{ "last", 'n', BERTH_OPT_STRING, offsetof(struct ps_opts, last), "int",
	  "Show n last created containers (includes all states)", "-1", berth_cli_validate_int },
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct ps_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "filter", 'f', BERTH_OPT_LIST, offsetof(struct ps_opts, filter), "filter",
	  "Filter output based on conditions provided", NULL, berth_cli_image_validate_filter },
};

static json_t *ps_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:s}",
			 "ID", "CONTAINER ID", "Names", "NAMES", "Image", "IMAGE", "Command",
			 "COMMAND", "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
			 "PORTS", "State", "STATE", "Status", "STATUS", "Size", "SIZE", "Labels",
			 "LABELS", "Mounts", "MOUNTS", "LocalVolumes", "LOCAL VOLUMES", "Networks",
			 "NETWORKS", "Platform", "PLATFORM");
}

static char *list_query(const struct ps_opts *o, const char *format)
{
	cleanup_free char *filters = berth_cli_image_filters(&o->filter, NULL, NULL);
	int64_t limit = -1;
	bool size = o->size == BERTH_OPT_SET_TRUE;
	char *q = NULL;

	if (o->last)
		berth_cli_parse_int(o->last, &limit);
	if (o->latest && limit == -1)
		limit = 1;
	/* docker asks for sizes when the template uses .Size */
	if (!o->quiet && !o->size && format && strstr(format, ".Size"))
		size = true;
	if (o->all)
		berth_client_query_add(&q, "all", "1");
	if (filters)
		berth_client_query_add(&q, "filters", filters);
	if (limit > 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)limit);
		berth_client_query_add(&q, "limit", buf);
	}
	if (size)
		berth_client_query_add(&q, "size", "1");
	return q;
}

static int run_ps(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		  berth_error_t *err)
{
	const struct ps_opts *o = opts;
	cleanup_free char *cfg_format = NULL;
	cleanup_free char *format = NULL;
	cleanup_free char *query = NULL;
	const char *source = o->format;
	struct berth_client *c;
	json_t *list = NULL, *rows, *header;
	int ret;

	if (source == NULL || *source == '\0')
		source = cfg_format = berth_auth_config_string("psFormat");
	else if (o->quiet)
		fprintf(
		    stderr,
		    "WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
	if (o->format && *o->format && strcmp(o->format, "table") && strcmp(o->format, "json") &&
	    strcmp(o->format, "raw")) {
		struct berth_template *t = berth_template_parse("", o->format, err);
		if (t == NULL)
			return berth_error_wrap(err, "failed to parse template");
		berth_template_free(t);
	}
	query = list_query(o, source);
	if (berth_cli_client(cli, &c, err) < 0 ||
	    berth_client_call_json(c, "GET", "/containers/json", query, NULL, &list, err) < 0)
		return -1;
	format =
	    berth_cli_ps_format(source, o->quiet,
				o->size == BERTH_OPT_SET_TRUE ||
				    (!o->quiet && !o->size && source && strstr(source, ".Size")));
	rows = berth_cli_ps_rows(list, !o->no_trunc, berth_time_now_ns() / 1000000000LL);
	header = ps_header();
	ret = berth_cli_image_write_rows(format, rows, header, "*formatter.ContainerContext", err);
	json_decref(header);
	json_decref(rows);
	json_decref(list);
	return ret;
}

const struct berth_command berth_cmd_ps = {
	.name = "ps",
	.use = "ps [OPTIONS]",
	.short_desc = "List containers",
	.aliases = "container ls, container list, container ps, ps",
	.group = BERTH_CMD_COMMON,
	.opts = ps_options,
	.nopts = BERTH_ARRAY_SIZE(ps_options),
	.opts_size = sizeof(struct ps_opts),
	.run = run_ps,
};

const struct berth_command berth_cmd_container_ls = {
	.name = "ls",
	.use = "ls [OPTIONS]",
	.short_desc = "List containers",
	.aliases = "container ls, container list, container ps, ps",
	.opts = ps_options,
	.nopts = BERTH_ARRAY_SIZE(ps_options),
	.opts_size = sizeof(struct ps_opts),
	.run = run_ps,
};
