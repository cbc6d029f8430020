/* cmd_image_inspect.c: `berth image inspect` and `berth inspect`, docker's
 * inspect.Inspect: the daemon's JSON indented as Go's json.Indent, compact
 * for "json", or a template per object.
 *
 * docker runs a template on its typed Go struct first, where a field the
 * JSON omitted still exists with its zero value and a missing map key
 * prints "<no value>", and falls back to the raw JSON with missingkey=error.
 * Here the template runs on the JSON with missingkey=error; when it stops at
 * a key the Go struct has (tables below), that key's zero value is put in
 * and it runs again, and a key missing from a Go map prints "<no value>".
 * The inspector around the template runs (berth_cli_inspect) is the one
 * `network inspect` uses too. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/cmds.h"
#include "cli/container_internal.h"
#include "cli/format.h"
#include "cli/image_internal.h"

static const char image_inspect_use[] = "inspect [OPTIONS] IMAGE [IMAGE...]";
static const char inspect_use[] = "inspect [OPTIONS] NAME|ID [NAME|ID...]";

/* zero values put in before a template runs again; bounds the reruns */
#define MAX_ZERO_FILLS 32

/* The fields of docker's image.InspectResponse the daemon may omit, with
 * their Go zero values as JSON. */
static const struct {
	const char *path;
	const char *zero;
} struct_fields[] = {
	{ ".RepoTags", "[]" },
	{ ".RepoDigests", "[]" },
	{ ".Parent", "\"\"" },
	{ ".Comment", "\"\"" },
	{ ".Created", "\"\"" },
	{ ".Container", "\"\"" },
	{ ".ContainerConfig", "null" },
	{ ".DockerVersion", "\"\"" },
	{ ".Author", "\"\"" },
	{ ".Config", "null" },
	{ ".Architecture", "\"\"" },
	{ ".Variant", "\"\"" },
	{ ".Os", "\"\"" },
	{ ".OsVersion", "\"\"" },
	{ ".Size", "0" },
	{ ".VirtualSize", "0" },
	{ ".Descriptor", "null" },
	{ ".Manifests", "[]" },
	{ ".Config.User", "\"\"" },
	{ ".Config.ExposedPorts", "{}" },
	{ ".Config.Env", "[]" },
	{ ".Config.Entrypoint", "[]" },
	{ ".Config.Cmd", "[]" },
	{ ".Config.Volumes", "{}" },
	{ ".Config.WorkingDir", "\"\"" },
	{ ".Config.Labels", "{}" },
	{ ".Config.StopSignal", "\"\"" },
	{ ".Config.ArgsEscaped", "false" },
	{ ".Config.Healthcheck", "null" },
	{ ".Config.OnBuild", "[]" },
	{ ".Config.Shell", "[]" },
	{ ".GraphDriver.Name", "\"\"" },
	{ ".GraphDriver.Data", "{}" },
	{ ".RootFS.Type", "\"\"" },
	{ ".RootFS.Layers", "[]" },
	{ ".Metadata.LastTagTime", "\"0001-01-01T00:00:00Z\"" },
};

/* Go maps of image.InspectResponse: a missing key is "<no value>" there */
static const char *const map_fields[] = {
	".Config.ExposedPorts",	    ".Config.Volumes",	       ".Config.Labels",
	".GraphDriver.Data",	    ".ContainerConfig.Labels", ".ContainerConfig.ExposedPorts",
	".ContainerConfig.Volumes",
};

struct inspect_opts {
	const char *format;
	const char *type; /* berth inspect */
	bool size;	  /* berth inspect */
};

static const struct berth_opt image_inspect_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct inspect_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
};

static const struct berth_opt inspect_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct inspect_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
	{ "size", 's', BERTH_OPT_BOOL, offsetof(struct inspect_opts, size), NULL,
	  "Display total file sizes if the type is container", NULL, NULL },
	{ "type", 0, BERTH_OPT_STRING, offsetof(struct inspect_opts, type), "string",
	  "Only inspect objects of the given type", NULL, NULL },
};

/* ---- json.Indent and json.Compact ---- */

static void newline(struct berth_strbuf *out, int depth)
{
	berth_strbuf_puts(out, "\n");
	for (int i = 0; i < depth; i++)
		berth_strbuf_puts(out, "    ");
}

/* Copies the string starting at S[I] (a quote); returns the index after it. */
static size_t copy_string(struct berth_strbuf *out, const char *s, size_t len, size_t i)
{
	size_t start = i++;

	while (i < len && s[i] != '"')
		i += s[i] == '\\' ? 2 : 1;
	i = i < len ? i + 1 : len;
	berth_strbuf_append(out, s + start, i - start);
	return i;
}

static size_t skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Go's json.Indent(dst, src, "", "    ") on valid JSON, or json.Compact
 * when COMPACT: the tokens as they are, the blanks replaced. */
void berth_cli_image_indent_json(struct berth_strbuf *out, const char *s, size_t len, bool compact)
{
	int depth = 0;

	for (size_t i = skip_space(s, len, 0); i < len; i = skip_space(s, len, i)) {
		char c = s[i];
		if (c == '"') {
			i = copy_string(out, s, len, i);
		} else if (c == '{' || c == '[') {
			size_t next = skip_space(s, len, i + 1);
			berth_strbuf_append(out, &c, 1);
			if (next < len && (s[next] == '}' || s[next] == ']')) {
				berth_strbuf_append(out, s + next, 1); /* "{}" and "[]" stay */
				i = next + 1;
				continue;
			}
			if (!compact)
				newline(out, ++depth);
			i++;
		} else if (c == '}' || c == ']') {
			if (!compact)
				newline(out, --depth);
			berth_strbuf_append(out, &c, 1);
			i++;
		} else if (c == ',') {
			berth_strbuf_puts(out, ",");
			if (!compact)
				newline(out, depth);
			i++;
		} else {
			berth_strbuf_puts(out, c == ':' && !compact ? ": " : (char[]){ c, '\0' });
			i++;
		}
	}
}

/* ---- templates ---- */

/* The field chain a missing-key error stopped at (".Config.Nope"), read
 * from TEXT at the error's line and column; NULL for other errors. */
char *berth_cli_image_missing_chain(const char *msg, const char *text)
{
	unsigned line = 0, col = 0;
	const char *p = text;
	size_t n;

	if (strstr(msg, "map has no entry for key") == NULL ||
	    sscanf(msg, "template: :%u:%u:", &line, &col) != 2)
		return NULL;
	for (unsigned i = 1; i < line && p; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (p == NULL || strnlen(p, col) < col || p[col] != '.')
		return NULL;
	p += col;
	n = strspn(p, ".abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	return xstrndup(p, n);
}

static bool is_map_key(const char *chain)
{
	const char *dot = strrchr(chain, '.');

	for (size_t i = 0; dot && i < BERTH_ARRAY_SIZE(map_fields); i++)
		if (strlen(map_fields[i]) == (size_t)(dot - chain) &&
		    strncasecmp(chain, map_fields[i], (size_t)(dot - chain)) == 0)
			return true;
	return false;
}

/* Puts the zero value of struct field CHAIN into DATA; false when CHAIN is
 * no field of docker's struct or its parent is missing. */
static bool zero_fill(json_t *data, const char *chain)
{
	cleanup_free char *path = xstrdup(chain);
	char *save = NULL, *last = NULL;
	json_t *obj = data;
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(struct_fields); i++)
		if (strcasecmp(struct_fields[i].path, chain) == 0)
			break;
	if (i == BERTH_ARRAY_SIZE(struct_fields))
		return false;
	for (char *tok = strtok_r(path, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (last)
			obj = json_object_get(obj, last);
		last = tok;
	}
	if (!json_is_object(obj))
		return false;
	json_object_set_new(obj, strrchr(struct_fields[i].path, '.') + 1,
			    json_loads(struct_fields[i].zero, JSON_DECODE_ANY, NULL));
	return true;
}

bool berth_cli_template_uses_field(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
		char c = p[len];
		if (p > text && p[-1] == '.' &&
		    !(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return true;
	}
	return false;
}

int berth_cli_inspect_run_raw(const struct berth_template *t, const json_t *raw,
			      struct berth_strbuf *out, berth_error_t *err)
{
	char *s = json_dumps(raw, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_t *data = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
	int ret;

	free(s);
	berth_strbuf_reset(out);
	ret = berth_template_execute(t, data, BERTH_TEMPLATE_MISSINGKEY_ERROR, out, err);
	json_decref(data);
	return ret;
}

/* The typed run: fields the JSON omits get their zero value, a key missing
 * from a map prints "<no value>". */
static int run_typed(const struct berth_template *t, const char *text, const json_t *raw,
		     struct berth_strbuf *out, berth_error_t *err)
{
	json_t *data = json_deep_copy(raw);
	unsigned flags = BERTH_TEMPLATE_MISSINGKEY_ERROR;
	int ret = -1;

	for (int tries = 0; ret < 0 && tries <= MAX_ZERO_FILLS; tries++) {
		cleanup_free char *chain = NULL;
		berth_strbuf_reset(out);
		ret = berth_template_execute(t, data, flags, out, err);
		if (ret == 0)
			break;
		chain = berth_cli_image_missing_chain((*err)->msg, text);
		if (chain == NULL || (!is_map_key(chain) && !zero_fill(data, chain)))
			break;
		if (is_map_key(chain))
			flags = 0;
		berth_error_release(err);
	}
	json_decref(data);
	return ret;
}

/* ---- fetching objects ---- */

int berth_cli_get_raw(struct berth_client *c, const char *path, const char *query, char **body,
		      size_t *len, berth_error_t *err)
{
	struct berth_response resp;

	if (berth_client_request(c, "GET", path, query, NULL, &resp, err) < 0)
		return -1;
	if (resp.status >= 400) {
		int ret = berth_cli_image_http_error(resp.status, resp.content_type, resp.body,
						     resp.len, path, err);
		berth_response_release(&resp);
		return ret;
	}
	*body = steal_pointer(&resp.body);
	*len = resp.len;
	berth_response_release(&resp);
	return 0;
}

/* docker's inspect types, in the order `docker inspect` tries them
 * (swarm objects are skipped: berth has no swarm). */
static const struct {
	const char *type;
	const char *path_fmt; /* %s: the escaped name */
} object_types[] = {
	{ "container", "/containers/%s/json" }, { "image", "/images/%s/json" },
	{ "network", "/networks/%s" },		{ "volume", "/volumes/%s" },
	{ "plugin", "/plugins/%s/json" },
};

static const char all_types[] = "\"config\", \"container\", \"image\", \"network\", \"node\", "
				"\"plugin\", \"secret\", \"service\", \"task\", \"volume\"";

struct inspect_run {
	const char *type; /* NULL: every type */
	bool size;
	bool typed_image; /* the object is an image: zero values apply */
};

/* Escapes NAME as a path segment, as Go's url.URL escapes paths. */
static char *object_path(const char *fmt, const char *name)
{
	cleanup_free char *img = berth_cli_image_path(name, NULL);

	return xasprintf(fmt, img + strlen("/images/"));
}

/* docker's isErrSkippable, plus routes berth does not serve yet. */
static bool skippable(const berth_error_t e)
{
	return e->code == ENOENT || e->code == ENOSYS || strstr(e->msg, "not supported") ||
	       strstr(e->msg, "invalid reference format");
}

static int fetch_typed(struct inspect_run *r, struct berth_client *c, size_t i, const char *name,
		       char **body, size_t *len, berth_error_t *err)
{
	cleanup_free char *path = object_path(object_types[i].path_fmt, name);
	bool container = strcmp(object_types[i].type, "container") == 0;

	if (berth_cli_get_raw(c, path, container && r->size ? "size=1" : NULL, body, len, err) < 0)
		return -1;
	if (r->size && !container)
		fprintf(stderr, "WARNING: --size ignored for %s\n", object_types[i].type);
	r->typed_image = strcmp(object_types[i].type, "image") == 0;
	return 0;
}

static int fetch(struct inspect_run *r, struct berth_client *c, const char *name, char **body,
		 size_t *len, berth_error_t *err)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(object_types); i++) {
		if (r->type && strcmp(r->type, object_types[i].type) != 0)
			continue;
		if (fetch_typed(r, c, i, name, body, len, err) == 0)
			return 0;
		if (r->type || !skippable(*err))
			return -1;
		berth_error_release(err);
	}
	if (r->type) /* a swarm type: berth serves none */
		return berth_make_error(err, ENOSYS,
					"Error response from daemon: %s objects "
					"are not supported by berth",
					r->type);
	return berth_make_error(err, ENOENT, "Error: No such object: %s", name);
}

/* ---- the inspector ---- */

struct inspector {
	struct berth_template *tmpl; /* owned; NULL for the JSON forms */
	const char *text;	     /* borrowed: the template's text */
	bool compact;		     /* "json" */
	struct berth_strbuf raws;    /* owned: "[raw1,raw2" for the JSON forms */
	struct berth_strbuf out;     /* owned: template output */
	size_t n;
	const struct berth_cli_inspect_ops *ops; /* borrowed */
	void *arg;				 /* borrowed: the ops' */
};

/* One object through the template, as docker's TemplateInspector.Inspect. */
static int run_template(struct inspector *in, const json_t *obj, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf buf = BERTH_STRBUF_INIT;

	if (in->ops->run(in->tmpl, in->text, obj, in->arg, &buf, err) < 0)
		return berth_error_wrap(err, "template parsing error");
	berth_strbuf_append(&in->out, buf.buf ? buf.buf : "", buf.len);
	berth_strbuf_puts(&in->out, "\n");
	return 0;
}

/* A berth_cli_each_fn: the object NAME, kept or through the template. */
static int inspect_one(struct berth_client *c, const char *name, void *arg, berth_error_t *err)
{
	struct inspector *in = arg;
	cleanup_free char *body = NULL;
	size_t len = 0;
	json_t *j;
	int ret;

	if (in->ops->fetch(c, name, in->arg, &body, &len, err) < 0)
		return -1;
	if (in->tmpl == NULL) {
		berth_strbuf_puts(&in->raws, in->n++ ? "," : "[");
		berth_strbuf_append(&in->raws, body, len);
		return 0;
	}
	j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	if (j == NULL)
		return berth_make_error(err, EPROTO, "unable to read inspect data");
	ret = run_template(in, j, err);
	json_decref(j);
	return ret;
}

static void flush(struct inspector *in)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;

	if (in->tmpl) {
		if (in->out.len == 0)
			berth_strbuf_puts(&in->out, "\n");
		berth_cli_print(&in->out);
		return;
	}
	if (in->n == 0) {
		berth_strbuf_puts(&out, "[]\n");
	} else {
		berth_strbuf_puts(&in->raws, "]");
		berth_cli_image_indent_json(&out, in->raws.buf, in->raws.len, in->compact);
		berth_strbuf_puts(&out, "\n");
	}
	berth_cli_print(&out);
}

int berth_cli_inspect(struct berth_cli *cli, const char *format, const struct berth_strv *names,
		      const struct berth_cli_inspect_ops *ops, void *arg, berth_error_t *err)
{
	struct inspector in = { .compact = format && strcmp(format, "json") == 0,
				.ops = ops,
				.arg = arg };
	struct berth_client *c;
	int ret;

	if (format && *format && !in.compact) {
		in.text = format;
		in.tmpl = berth_template_parse("", format, err);
		if (in.tmpl == NULL) {
			cli->status = BERTH_EXIT_TEMPLATE;
			return berth_error_wrap(err, "template parsing error");
		}
	}
	/* without a client nothing is printed, not even "[]" */
	if (berth_cli_client(cli, &c, err) < 0) {
		berth_template_free(in.tmpl);
		return -1;
	}
	/* the errors are joined, a line each, as errors.Join */
	ret = berth_cli_each(cli, names, inspect_one, &in, false, err);
	flush(&in);
	berth_template_free(in.tmpl);
	berth_strbuf_release(&in.raws);
	berth_strbuf_release(&in.out);
	return ret;
}

/* ---- docker inspect, image inspect, container inspect ---- */

/* The inspect_ops fetch: the empty name is no image; else each type
 * that applies, in docker's order. */
static int fetch_object(struct berth_client *c, const char *name, void *arg, char **body,
			size_t *len, berth_error_t *err)
{
	struct inspect_run *r = arg;

	if (*name == '\0' && r->type && strcmp(r->type, "image") == 0)
		return berth_make_error(err, ENOENT, "Error: No such image: ");
	return fetch(r, c, name, body, len, err);
}

/* The inspect_ops run: the typed run when docker has a Go struct for the
 * object (images) and the template does not use ".Id", which that struct
 * lacks (its field is ID); else the raw run. */
static int run_object(const struct berth_template *t, const char *text, const json_t *obj,
		      void *arg, struct berth_strbuf *out, berth_error_t *err)
{
	const struct inspect_run *r = arg;

	if (r->typed_image && !berth_cli_template_uses_field(text, "Id"))
		return run_typed(t, text, obj, out, err);
	return berth_cli_inspect_run_raw(t, obj, out, err);
}

static const struct berth_cli_inspect_ops object_ops = {
	.fetch = fetch_object,
	.run = run_object,
};

static int inspect_all(struct berth_cli *cli, const struct inspect_opts *opts, const char *type,
		       const struct berth_strv *args, berth_error_t *err)
{
	struct inspect_run r = { .type = type, .size = opts->size };

	return berth_cli_inspect(cli, opts->format, args, &object_ops, &r, err);
}

static int run_image_inspect(struct berth_cli *cli, void *o, const struct berth_strv *args,
			     berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_image_args_min("berth image inspect", image_inspect_use, 1, err);
	return inspect_all(cli, o, "image", args, err);
}

static int run_inspect(struct berth_cli *cli, void *o, const struct berth_strv *args,
		       berth_error_t *err)
{
	const struct inspect_opts *opts = o;
	const char *type = opts->type && *opts->type ? opts->type : NULL;
	cleanup_free char *quoted = NULL;

	if (args->n < 1)
		return berth_cli_image_args_min("berth inspect", inspect_use, 1, err);
	if (opts->type && *opts->type == '\0')
		return berth_make_error(err, EINVAL, "type is empty: must be one of %s", all_types);
	if (type && strstr(all_types, (quoted = xasprintf("\"%s\"", type))) == NULL)
		return berth_make_error(err, EINVAL, "unknown type: \"%s\": must be one of %s",
					type, all_types);
	return inspect_all(cli, opts, type, args, err);
}

const struct berth_command berth_cmd_image_inspect = {
	.name = "inspect",
	.use = image_inspect_use,
	.short_desc = "Display detailed information on one or more images",
	.opts = image_inspect_options,
	.nopts = BERTH_ARRAY_SIZE(image_inspect_options),
	.opts_size = sizeof(struct inspect_opts),
	.takes_args = true,
	.run = run_image_inspect,
};

const struct berth_command berth_cmd_inspect = {
	.name = "inspect",
	.use = inspect_use,
	.short_desc = "Return low-level information on berth objects",
	.opts = inspect_options,
	.nopts = BERTH_ARRAY_SIZE(inspect_options),
	.opts_size = sizeof(struct inspect_opts),
	.takes_args = true,
	.run = run_inspect,
};

static const char container_inspect_use[] = "inspect [OPTIONS] CONTAINER [CONTAINER...]";

static const struct berth_opt container_inspect_options[] = {
	{ "format", 'f', BERTH_OPT_STRING, offsetof(struct inspect_opts, format), "string",
	  berth_cli_format_help, NULL, NULL },
	{ "size", 's', BERTH_OPT_BOOL, offsetof(struct inspect_opts, size), NULL,
	  "Display total file sizes", NULL, NULL },
};

static int run_container_inspect(struct berth_cli *cli, void *o, const struct berth_strv *args,
				 berth_error_t *err)
{
	if (args->n < 1)
		return berth_cli_image_args_min("berth container inspect", container_inspect_use, 1,
						err);
	return inspect_all(cli, o, "container", args, err);
}

const struct berth_command berth_cmd_container_inspect = {
	.name = "inspect",
	.use = container_inspect_use,
	.short_desc = "Display detailed information on one or more containers",
	.opts = container_inspect_options,
	.nopts = BERTH_ARRAY_SIZE(container_inspect_options),
	.opts_size = sizeof(struct inspect_opts),
	.takes_args = true,
	.run = run_container_inspect,
};
