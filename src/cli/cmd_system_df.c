/* cmd_system_df.c: `berth system df`, docker's disk usage summary (and the
 * per-object tables with -v), from GET /system/df.
 *
 * Each row is a JSON object with docker's context fields as strings, so
 * that --format templates see what docker's formatter contexts expose. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/format.h"
#include "cli/units.h"

struct df_opts {
	const char *format;
	bool verbose;
};

static const struct berth_opt df_options[] = {
	{ "format", 0, BERTH_OPT_STRING, offsetof(struct df_opts, format), "string",
	  berth_cli_table_format_help, NULL, NULL },
	{ "verbose", 'v', BERTH_OPT_BOOL, offsetof(struct df_opts, verbose), NULL,
	  "Show detailed information on space usage", NULL, NULL },
};

static const char summary_table[] =
    "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
static const char summary_raw[] = "type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\n"
				  "size: {{.Size}}\nreclaimable: {{.Reclaimable}}\n";

/* ---- JSON helpers ---- */

static int64_t num(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? (int64_t)json_number_value(v) : 0;
}

/* A field that may be absent: -1, as the API reports an unknown size. */
static int64_t num_or(const json_t *o, const char *key, int64_t def)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? (int64_t)json_number_value(v) : def;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static json_t *human(int64_t size, int prec)
{
	char buf[BERTH_UNITS_BUFSIZE];
	return json_string(berth_units_human_size_prec((double)size, prec, buf, sizeof(buf)));
}

static json_t *int_string(int64_t n)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return json_string(buf);
}

/* "SIZE (PCT%)" when TOTAL > 0, as docker's Reclaimable */
static json_t *reclaimable(int64_t reclaim, int64_t total)
{
	char buf[BERTH_UNITS_BUFSIZE], out[BERTH_UNITS_BUFSIZE + 32];

	berth_units_human_size((double)reclaim, buf, sizeof(buf));
	if (total <= 0)
		return json_string(buf);
	snprintf(out, sizeof(out), "%s (%" PRId64 "%%)", buf, reclaim * 100 / total);
	return json_string(out);
}

static json_t *summary_row(const char *type, size_t total, size_t active, json_t *size,
			   json_t *recl)
{
	/* keys in the order docker's MarshalJSON (a sorted map) gives them */
	return json_pack("{s:o, s:o, s:o, s:o, s:s}", "Active", int_string((int64_t)active),
			 "Reclaimable", recl, "Size", size, "TotalCount",
			 int_string((int64_t)total), "Type", type);
}

/* ---- the four summary rows ---- */

/* Images: the size is the layers' total, and what is reclaimable is that
 * minus the unique size of images in use; images whose sizes the daemon
 * could not compute (-1) count as using nothing, as docker's. */
static json_t *images_row(const json_t *du)
{
	const json_t *imgs = json_object_get(du, "Images");
	int64_t layers = num(du, "LayersSize"), used = 0;
	size_t active = 0, i;
	json_t *img;

	json_array_foreach (imgs, i, img) {
		if (num(img, "Containers") > 0)
			active++;
		if (num(img, "Containers") != 0 && num_or(img, "Size", -1) != -1 &&
		    num_or(img, "SharedSize", -1) != -1)
			used += num(img, "Size") - num(img, "SharedSize");
	}
	return summary_row("Images", json_array_size(imgs), active, human(layers, 4),
			   reclaimable(layers - used, layers));
}

static bool container_active(const json_t *c)
{
	static const char *const states[] = { "running", "paused", "restarting" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(states); i++)
		if (strcmp(str(c, "State"), states[i]) == 0)
			return true;
	return false;
}

static json_t *containers_row(const json_t *du)
{
	const json_t *ctrs = json_object_get(du, "Containers");
	int64_t size = 0, recl = 0;
	size_t active = 0, i;
	json_t *c;

	json_array_foreach (ctrs, i, c) {
		size += num(c, "SizeRw");
		if (container_active(c))
			active++;
		else
			recl += num(c, "SizeRw");
	}
	return summary_row("Containers", json_array_size(ctrs), active, human(size, 4),
			   reclaimable(recl, size));
}

/* Volumes: a size of -1 means the daemon did not measure it; such volumes
 * count in the total but add no bytes. */
static json_t *volumes_row(const json_t *du)
{
	const json_t *vols = json_object_get(du, "Volumes");
	int64_t size = 0, recl = 0;
	size_t active = 0, i;
	json_t *v;

	json_array_foreach (vols, i, v) {
		const json_t *u = json_object_get(v, "UsageData");
		int64_t s = num_or(u, "Size", -1);
		if (num(u, "RefCount") > 0)
			active++;
		if (s == -1)
			continue;
		size += s;
		if (num(u, "RefCount") == 0)
			recl += s;
	}
	return summary_row("Local Volumes", json_array_size(vols), active, human(size, 4),
			   reclaimable(recl, size));
}

/* The build cache size docker shows: records that are not shared. */
static int64_t builder_size(const json_t *du)
{
	const json_t *bc = json_object_get(du, "BuildCache");
	int64_t size = 0;
	size_t i;
	json_t *r;

	json_array_foreach (bc, i, r)
		if (!json_is_true(json_object_get(r, "Shared")))
			size += num(r, "Size");
	return size;
}

static json_t *build_cache_row(const json_t *du)
{
	const json_t *bc = json_object_get(du, "BuildCache");
	int64_t size = builder_size(du), in_use = 0;
	size_t active = 0, i;
	json_t *r;
	char buf[BERTH_UNITS_BUFSIZE];

	json_array_foreach (bc, i, r) {
		bool use = json_is_true(json_object_get(r, "InUse"));
		active += use;
		if (use && !json_is_true(json_object_get(r, "Shared")))
			in_use += num(r, "Size");
	}
	berth_units_human_size((double)(size - in_use), buf, sizeof(buf));
	return summary_row("Build Cache", json_array_size(bc), active, human(size, 4),
			   json_string(buf));
}

static int write_summary(const json_t *du, const char *format, struct berth_strbuf *out,
			 berth_error_t *err)
{
	json_t *(*const rows[])(const json_t *) = { images_row, containers_row, volumes_row,
						    build_cache_row };
	struct berth_formatter *f;
	json_t *header;

	if (strcmp(format, "raw") == 0)
		format = summary_raw;
	f = berth_formatter_new(format, summary_table, err);
	if (f == NULL)
		return -1;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(rows); i++) {
		json_t *row = rows[i](du);
		int ret = berth_formatter_add(f, row, err);
		json_decref(row);
		if (ret < 0) {
			berth_formatter_free(f);
			return -1;
		}
	}
	header = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount", "TOTAL",
			   "Active", "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
	berth_formatter_flush(f, header, out);
	json_decref(header);
	berth_formatter_free(f);
	return 0;
}

/* ---- verbose rows (docker's image, container, volume, build cache contexts) ---- */

/* stringid.TruncateID: drop the algorithm, keep 12 characters */
static json_t *short_id(const char *id, bool trunc)
{
	const char *colon = strchr(id, ':');

	if (!trunc)
		return json_string(id);
	if (colon)
		id = colon + 1;
	return json_stringn(id, strlen(id) < 12 ? strlen(id) : 12);
}

static json_t *since(int64_t unix_sec)
{
	char buf[64], out[80];

	berth_time_human_duration(berth_time_now_ns() - unix_sec * 1000000000LL, buf, sizeof(buf));
	snprintf(out, sizeof(out), "%s ago", buf);
	return json_string(out);
}

/* reference.FamiliarName: docker.io/library/x -> x, docker.io/u/x -> u/x */
static const char *familiar(const char *name)
{
	if (strncmp(name, "docker.io/library/", 18) == 0)
		return name + 18;
	if (strncmp(name, "docker.io/", 10) == 0)
		return name + 10;
	return name;
}

static json_t *image_row(const json_t *img, bool trunc)
{
	const char *tag0 = json_string_value(json_array_get(json_object_get(img, "RepoTags"), 0));
	int64_t size = num(img, "Size"), shared = num_or(img, "SharedSize", -1);
	int64_t ctrs = num_or(img, "Containers", -1);
	char buf[BERTH_UNITS_BUFSIZE];
	cleanup_free char *repo = NULL;
	const char *tag = "<none>";
	json_t *row;

	if (tag0 && strcmp(tag0, "<none>:<none>") != 0) {
		const char *slash = strrchr(tag0, '/'), *colon = strrchr(tag0, ':');
		if (colon && (!slash || colon > slash)) {
			repo = xstrndup(tag0, (size_t)(colon - tag0));
			tag = colon + 1;
		}
	}
	row = json_pack(
	    "{s:s, s:s, s:o, s:o, s:o, s:s}", "Repository", repo ? familiar(repo) : "<none>", "Tag",
	    tag, "ID", short_id(str(img, "Id"), trunc), "CreatedSince", since(num(img, "Created")),
	    "Size", human(size, 3), "SharedSize",
	    shared == -1 ? "N/A" : berth_units_human_size((double)shared, buf, sizeof(buf)));
	json_object_set_new(row, "UniqueSize",
			    shared == -1 ? json_string("N/A") : human(size - shared, 4));
	json_object_set_new(row, "Containers", ctrs == -1 ? json_string("N/A") : int_string(ctrs));
	return row;
}

/* formatter.Ellipsis for ASCII and runes counted as one column each */
static void ellipsis(struct berth_strbuf *out, const char *s, size_t max)
{
	size_t runes = 0, i;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			runes++;
	if (runes <= max) {
		berth_strbuf_puts(out, s);
		return;
	}
	for (i = 0, runes = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && runes++ == max - 1)
			break;
		berth_strbuf_append(out, s + i, 1);
	}
	berth_strbuf_puts(out, "\xe2\x80\xa6"); /* … */
}

/* ContainerContext.Image with trunc: a short ID, or the reference without digest */
static json_t *container_image(const json_t *c, bool trunc)
{
	const char *image = str(c, "Image"), *at = strchr(image, '@');
	json_t *a, *b;
	bool same;

	if (*image == '\0')
		return json_string("<no image>");
	if (!trunc)
		return json_string(image);
	a = short_id(str(c, "ImageID"), true);
	b = short_id(image, true);
	same = json_equal(a, b);
	json_decref(b);
	if (same)
		return a;
	json_decref(a);
	if (at == NULL)
		return json_string(familiar(image));
	/* name:tag@digest keeps the tag; name@digest keeps the name */
	return json_stringn(familiar(image), (size_t)(at - familiar(image)));
}

static json_t *container_names(const json_t *c, bool trunc)
{
	cleanup_strbuf struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const json_t *names = json_object_get(c, "Names");
	size_t i;
	json_t *n;

	json_array_foreach (names, i, n) {
		const char *s = json_string_value(n) ? json_string_value(n) : "/";
		s += *s == '/';
		if (trunc && strchr(s, '/') == NULL) /* only the container's own name */
			return json_string(s);
		berth_strbuf_printf(&sb, "%s%s", i ? "," : "", s);
	}
	return json_string(sb.buf ? sb.buf : "");
}

static json_t *container_row(const json_t *c, bool trunc)
{
	cleanup_strbuf struct berth_strbuf cmd = BERTH_STRBUF_INIT;
	cleanup_strbuf struct berth_strbuf quoted = BERTH_STRBUF_INIT;
	size_t i, local = 0;
	json_t *m;

	json_array_foreach (json_object_get(c, "Mounts"), i, m)
		local += strcmp(str(m, "Driver"), "local") == 0;
	if (trunc)
		ellipsis(&cmd, str(c, "Command"), 20);
	else
		berth_strbuf_puts(&cmd, str(c, "Command"));
	berth_format_quote(&quoted, cmd.buf ? cmd.buf : "", cmd.len);
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:o}", "ID",
			 short_id(str(c, "Id"), trunc), "Image", container_image(c, trunc),
			 "Command", quoted.buf, "LocalVolumes", int_string((int64_t)local), "Size",
			 human(num(c, "SizeRw"), 3), "RunningFor", since(num(c, "Created")),
			 "Status", str(c, "Status"), "Names", container_names(c, trunc));
}

static json_t *volume_row(const json_t *v)
{
	const json_t *u = json_object_get(v, "UsageData");
	char buf[BERTH_UNITS_BUFSIZE];

	return json_pack("{s:s, s:o, s:s}", "Name", str(v, "Name"), "Links",
			 u ? int_string(num(u, "RefCount")) : json_string("N/A"), "Size",
			 u ? berth_units_human_size((double)num(u, "Size"), buf, sizeof(buf))
			   : "N/A");
}

static int64_t time_of(const json_t *o, const char *key)
{
	berth_error_t err = NULL;
	int64_t ns = 0;

	if (berth_time_parse_timestamp(str(o, key), 0, &ns, &err) < 0)
		berth_error_release(&err);
	return ns / 1000000000LL;
}

static json_t *cache_row(const json_t *r, bool trunc)
{
	bool in_use = json_is_true(json_object_get(r, "InUse"));
	json_t *id = short_id(str(r, "ID"), trunc);
	const json_t *last = json_object_get(r, "LastUsedAt");

	if (in_use) {
		char *s = xasprintf("%s*", json_string_value(id));
		json_decref(id);
		id = json_string(s);
		free(s);
	}
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:s}", "ID", id, "CacheType",
			 str(r, "Type"), "Size", human(num(r, "Size"), 3), "CreatedSince",
			 since(time_of(r, "CreatedAt")), "LastUsedSince",
			 json_is_string(last) ? since(time_of(r, "LastUsedAt")) : json_string(""),
			 "UsageCount", int_string(num(r, "UsageCount")), "Shared",
			 json_is_true(json_object_get(r, "Shared")) ? "true" : "false");
}

/* buildCacheSort: never-used first, then by last use, then by ID */
static int cmp_cache(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	bool xn = !json_is_string(json_object_get(x, "LastUsedAt"));
	bool yn = !json_is_string(json_object_get(y, "LastUsedAt"));
	int64_t tx, ty;

	if (xn != yn)
		return xn ? -1 : 1;
	tx = xn ? 0 : time_of(x, "LastUsedAt");
	ty = yn ? 0 : time_of(y, "LastUsedAt");
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(str(x, "ID"), str(y, "ID"));
}

/* The verbose data: {Images:[...], Containers:[...], Volumes:[...], BuildCache:[...]} */
static json_t *verbose_data(const json_t *du, bool trunc)
{
	const json_t *bc = json_object_get(du, "BuildCache");
	size_t n = json_array_size(bc), i;
	cleanup_free json_t **sorted = xcalloc(n + 1, sizeof(*sorted));
	json_t *d =
	    json_pack("{s:[], s:[], s:[], s:[]}", "Images", "Containers", "Volumes", "BuildCache");
	json_t *v;

	json_array_foreach (json_object_get(du, "Images"), i, v)
		json_array_append_new(json_object_get(d, "Images"), image_row(v, trunc));
	json_array_foreach (json_object_get(du, "Containers"), i, v)
		json_array_append_new(json_object_get(d, "Containers"), container_row(v, trunc));
	json_array_foreach (json_object_get(du, "Volumes"), i, v)
		json_array_append_new(json_object_get(d, "Volumes"), volume_row(v));
	json_array_foreach (bc, i, v)
		sorted[i] = v;
	qsort(sorted, n, sizeof(*sorted), cmp_cache);
	for (i = 0; i < n; i++)
		json_array_append_new(json_object_get(d, "BuildCache"),
				      cache_row(sorted[i], trunc));
	return d;
}

static const struct {
	const char *key;   /* in the verbose data */
	const char *title; /* printed before the table ("" for build cache) */
	const char *format;
	const char *header; /* JSON: field -> column title */
} sections[] = {
	{ "Images", "Images space usage:\n\n",
	  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
	  "{\"ID\":\"IMAGE ID\",\"Repository\":\"REPOSITORY\",\"Tag\":\"TAG\",\"CreatedSince\":\"CREATED\","
	  "\"Size\":\"SIZE\",\"SharedSize\":\"SHARED SIZE\",\"UniqueSize\":\"UNIQUE SIZE\",\"Containers\":\"CONTAINERS\"}" },
	{ "Containers", "\nContainers space usage:\n\n",
	  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
	  "{\"ID\":\"CONTAINER ID\",\"Image\":\"IMAGE\",\"Command\":\"COMMAND\",\"LocalVolumes\":\"LOCAL VOLUMES\","
	  "\"Size\":\"SIZE\",\"RunningFor\":\"CREATED\",\"Status\":\"STATUS\",\"Names\":\"NAMES\"}" },
	{ "Volumes", "\nLocal Volumes space usage:\n\n", "table {{.Name}}\t{{.Links}}\t{{.Size}}",
	  "{\"Name\":\"VOLUME NAME\",\"Links\":\"LINKS\",\"Size\":\"SIZE\"}" },
	{ "BuildCache", "",
	  "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}",
	  "{\"ID\":\"CACHE ID\",\"CacheType\":\"CACHE TYPE\",\"Size\":\"SIZE\",\"CreatedSince\":\"CREATED\","
	  "\"LastUsedSince\":\"LAST USED\",\"UsageCount\":\"USAGE\",\"Shared\":\"SHARED\"}" },
};

static int write_section(const json_t *rows, size_t s, struct berth_strbuf *out, berth_error_t *err)
{
	struct berth_formatter *f = berth_formatter_new(sections[s].format, NULL, err);
	json_t *header, *row;
	size_t i;

	if (f == NULL)
		return -1;
	json_array_foreach (rows, i, row) {
		if (berth_formatter_add(f, row, err) < 0) {
			berth_formatter_free(f);
			return -1;
		}
	}
	header = json_loads(sections[s].header, 0, NULL);
	berth_formatter_flush(f, header, out);
	json_decref(header);
	berth_formatter_free(f);
	return 0;
}

static int write_verbose(const json_t *du, const char *format, struct berth_strbuf *out,
			 berth_error_t *err)
{
	bool table = strncmp(format, "table", 5) == 0;
	json_t *d = verbose_data(du, table);
	struct berth_formatter *f;
	char buf[BERTH_UNITS_BUFSIZE];
	int ret = 0;

	if (strcmp(format, "table") != 0) {
		/* a custom format runs once on the whole data, as docker's verboseWrite */
		f = berth_formatter_new(format, NULL, err);
		if (f == NULL || berth_formatter_add(f, d, err) < 0)
			ret = -1;
		else
			berth_formatter_flush(f, NULL, out);
		berth_formatter_free(f);
		/* the formatter ends the row with a newline; docker writes none */
		if (ret == 0 && out->len && out->buf[out->len - 1] == '\n')
			out->buf[--out->len] = '\0';
		json_decref(d);
		return ret;
	}
	for (size_t s = 0; s < BERTH_ARRAY_SIZE(sections) && ret == 0; s++) {
		if (s == 3)
			berth_strbuf_printf(
			    out, "\nBuild cache usage: %s\n\n",
			    berth_units_human_size((double)builder_size(du), buf, sizeof(buf)));
		berth_strbuf_puts(out, sections[s].title);
		ret = write_section(json_object_get(d, sections[s].key), s, out, err);
	}
	json_decref(d);
	return ret;
}

static int run_df(struct berth_cli *cli, void *o, const struct berth_strv *args, berth_error_t *err)
{
	struct df_opts *opts = o;
	const char *format = opts->format && *opts->format ? opts->format : "table";
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	struct berth_client *client;
	json_t *du = NULL;
	int ret;

	if (berth_cli_client(cli, &client, err) < 0 ||
	    berth_client_call_json(client, "GET", "/system/df", NULL, NULL, &du, err) < 0)
		return -1;
	ret = opts->verbose ? write_verbose(du, format, &out, err)
			    : write_summary(du, format, &out, err);
	berth_cli_print(&out);
	json_decref(du);
	return ret;
}

const struct berth_command berth_cmd_system_df = {
	.name = "df",
	.use = "df [OPTIONS]",
	.short_desc = "Show berth disk usage",
	.opts = df_options,
	.nopts = BERTH_ARRAY_SIZE(df_options),
	.opts_size = sizeof(struct df_opts),
	.run = run_df,
};
