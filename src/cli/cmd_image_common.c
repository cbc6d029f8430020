/* cmd_image_common.c: helpers of the image commands: streamed API calls
 * with extra headers and file descriptors (pull, push, save, load), the
 * argument errors of docker's cobra commands, and the formatting pieces of
 * docker's image and history contexts. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/format.h"
#include "cli/image_internal.h"
#include "http/conn.h"

/* State of one transfer, shared with the body sink. */
struct xfer_state {
	struct berth_cli_image_xfer *x; /* borrowed */
	long status;			/* of the answer */
	struct berth_strbuf error_body; /* owned: the body of a failed response */
	struct berth_strbuf line;	/* owned: the incomplete line */
	bool too_big;			/* a streamed line over BERTH_CLIENT_MAX_LINE */
	bool stopped;			/* the line callback ended the stream */
	int io_errno;			/* a failed write to out_fd */
};

/* ---- the body sink ---- */

static int deliver_lines(struct xfer_state *st, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !st->stopped; i++) {
		const struct berth_strbuf *l = &st->line;
		if (data[i] != '\n') {
			if (st->line.len >= BERTH_CLIENT_MAX_LINE) {
				st->too_big = true;
				return -1;
			}
			berth_strbuf_append(&st->line, data + i, 1);
			continue;
		}
		if (l->len && l->buf[l->len - 1] == '\r')
			st->line.len--;
		if (l->len && st->x->line_cb(l->buf, l->len, st->x->cb_data) < 0)
			st->stopped = true;
		berth_strbuf_reset(&st->line);
	}
	return st->stopped ? -1 : 0;
}

static int on_body(const char *data, size_t len, void *user)
{
	struct xfer_state *st = user;

	if (st->status >= 400) { /* an error body is kept up to its limit, the rest dropped */
		size_t room = BERTH_CLIENT_MAX_ERROR_BODY - st->error_body.len;
		berth_strbuf_append(&st->error_body, data, len < room ? len : room);
		return 0;
	}
	if (st->x->out_fd >= 0) {
		if (berth_http_write_all(st->x->out_fd, data, len) < 0) {
			st->io_errno = errno;
			return -1;
		}
		return 0;
	}
	if (st->x->line_cb)
		return deliver_lines(st, data, len);
	if (st->x->data_cb && st->x->data_cb(data, len, st->x->cb_data) < 0) {
		st->stopped = true;
		return -1;
	}
	return 0;
}

/* ---- the transfer ---- */

static const struct {
	long status;
	int code;
} status_errno[] = {
	{ 400, EINVAL }, { 401, EACCES }, { 403, EPERM },  { 404, ENOENT },
	{ 409, EEXIST }, { 501, ENOSYS }, { 503, EAGAIN },
};

int berth_cli_image_http_error(long status, const char *content_type, const char *body, size_t len,
			       const char *path, berth_error_t *err)
{
	const char *msg;
	json_t *j;
	int code = EIO, ret;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(status_errno); i++)
		if (status_errno[i].status == status)
			code = status_errno[i].code;
	while (len && isspace((unsigned char)body[len - 1]))
		len--;
	if (len == 0)
		return berth_make_error(
		    err, code,
		    "request returned %ld for API route and version %s, check if the server supports the requested API version",
		    status, path);
	if (content_type == NULL || strcmp(content_type, "application/json") != 0)
		return berth_make_error(err, code, "Error response from daemon: %.*s", (int)len,
					body);
	j = json_loadb(body, len, 0, NULL);
	msg = json_string_value(json_object_get(j, "message"));
	if (j == NULL)
		ret = berth_make_error(err, code,
				       "Error reading JSON: invalid JSON in error response");
	else if (msg == NULL || *msg == '\0')
		ret = berth_make_error(err, code,
				       "API returned a %ld but provided no error-message", status);
	else
		ret = berth_make_error(err, code, "Error response from daemon: %s", msg);
	json_decref(j);
	return ret;
}

static int xfer_perform(struct berth_client *c, struct xfer_state *st, berth_error_t *err)
{
	struct berth_cli_image_xfer *x = st->x;
	const char *version = berth_client_api_version(c);
	cleanup_free char *target = NULL;
	cleanup_free char *auth = NULL;
	const char *headers[2] = { NULL, NULL };
	struct berth_http_request rq = { .method = x->method, .in_fd = x->in_fd };
	struct berth_http_conn conn;
	int r;

	target = xasprintf("%s%s%s%s%s", *version ? "/v" : "", version, x->path,
			   x->query && *x->query ? "?" : "", x->query ? x->query : "");
	rq.target = target;
	if (x->registry_auth) {
		auth = xasprintf("X-Registry-Auth: %s", x->registry_auth);
		headers[0] = auth;
		rq.headers = headers;
	}
	if (x->in_fd >= 0) /* the size is unknown (stdin): chunked, as the Go client */
		rq.content_type = "application/x-tar";
	else if (strcmp(x->method, "POST") == 0) /* no body: the Go client's type for that */
		rq.content_type = "text/plain";
	if (berth_http_conn_open(berth_client_host(c), &rq, &conn, err) < 0)
		return -1;
	st->status = conn.status;
	if (conn.path_stat) {
		free(x->path_stat);
		x->path_stat = steal_pointer(&conn.path_stat);
	}
	x->json_body = conn.content_type && strcmp(conn.content_type, "application/json") == 0;
	r = berth_http_conn_body(&conn, on_body, st, err);
	if (r < 0)
		berth_error_wrap(err, "error during connect: %s \"%s\"", x->method, target);
	else if (st->io_errno)
		r = berth_cli_image_syserr(err, st->io_errno, "write");
	else if (st->too_big)
		r = berth_make_error(err, EFBIG, "stream line longer than %d bytes",
				     BERTH_CLIENT_MAX_LINE);
	else if (st->status >= 400)
		r = berth_cli_image_http_error(st->status, conn.content_type,
					       st->error_body.buf ? st->error_body.buf : "",
					       st->error_body.len, x->path, err);
	else if (x->line_cb && !st->stopped && st->line.len)
		r = deliver_lines(st, "\n", 1) < 0 && !st->stopped ? -1 : 0; /* a last line */
	else
		r = 0;
	berth_http_conn_close(&conn);
	return r < 0 ? -1 : 0;
}

int berth_cli_image_xfer_run(struct berth_client *c, struct berth_cli_image_xfer *x,
			     berth_error_t *err)
{
	struct xfer_state st = { .x = x };
	int ret;

	if (berth_client_negotiate(c, err) < 0)
		return -1;
	ret = xfer_perform(c, &st, err);
	berth_strbuf_release(&st.error_body);
	berth_strbuf_release(&st.line);
	return ret;
}

/* ---- paths and arguments ---- */

char *berth_cli_image_path(const char *name, const char *suffix)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;

	berth_strbuf_puts(&sb, "/images/");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (isalnum(*p) || strchr("-._~$&+,/:;=@", *p))
			berth_strbuf_append(&sb, p, 1);
		else
			berth_strbuf_printf(&sb, "%%%02X", *p);
	}
	if (suffix)
		berth_strbuf_printf(&sb, "/%s", suffix);
	return berth_strbuf_steal(&sb);
}

/* The use line with the path in place of the command's own name. */
static int args_error(const char *path, const char *use, const char *what, const char *run,
		      berth_error_t *err)
{
	const char *sp = strchr(use, ' ');

	return berth_make_error(
	    err, EINVAL, "berth: '%s' %s\n\nUsage:  %s%s\n\n%s '%s --help' for more information",
	    path, what, path, sp ? sp : "", run, path);
}

int berth_cli_image_args_exact(const char *path, const char *use, size_t want, berth_error_t *err)
{
	cleanup_free char *what = xasprintf("requires %zu argument%s", want, want == 1 ? "" : "s");

	return args_error(path, use, what, "Run", err);
}

int berth_cli_image_args_min(const char *path, const char *use, size_t want, berth_error_t *err)
{
	cleanup_free char *what =
	    xasprintf("requires at least %zu argument%s", want, want == 1 ? "" : "s");

	return args_error(path, use, what, "See", err);
}

int berth_cli_image_args_max(const char *path, const char *use, size_t max, berth_error_t *err)
{
	cleanup_free char *what =
	    xasprintf("requires at most %zu argument%s", max, max == 1 ? "" : "s");

	/* "SRun" is docker's own typo in cli.RequiresMaxArgs, kept byte for byte */
	return args_error(path, use, what, "SRun", err);
}

/* ---- filters ---- */

int berth_cli_image_validate_filter(const char *value, berth_error_t *err)
{
	if (*value && strchr(value, '=') == NULL)
		return berth_make_error(err, EINVAL, "bad format of filter (expected name=value)");
	return 0;
}

char *berth_cli_trim_space(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

static void filter_add(json_t *root, const char *name, const char *value)
{
	json_t *vals = json_object_get(root, name);

	if (vals == NULL) {
		vals = json_object();
		json_object_set_new(root, name, vals);
	}
	json_object_set_new(vals, value, json_true());
}

char *berth_cli_image_filters(const struct berth_strv *filters, const char *key, const char *value)
{
	json_t *root = json_object();
	char *s = NULL;

	for (size_t i = 0; i < filters->n; i++) {
		const char *f = filters->v[i], *eq = strchr(f, '=');
		cleanup_free char *name = NULL;
		cleanup_free char *val = NULL;
		if (eq == NULL)
			continue; /* "" is accepted and ignored */
		name = berth_cli_trim_space(f, (size_t)(eq - f));
		val = berth_cli_trim_space(eq + 1, strlen(eq + 1));
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		filter_add(root, name, val);
	}
	if (key)
		filter_add(root, key, value);
	if (json_object_size(root))
		s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s;
}

/* ---- formatting ---- */

int berth_cli_image_syserr(berth_error_t *err, int e, const char *fmt, ...)
{
	cleanup_free char *what = NULL;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s", strerror(e));
	msg[0] = (char)tolower((unsigned char)msg[0]);
	return berth_make_error(err, e, "%s: %s", what, msg);
}

char *berth_cli_image_short_id(const char *id)
{
	const char *colon = strchr(id, ':');

	if (colon)
		id = colon + 1;
	return xstrndup(id, 12);
}

void berth_cli_image_time_string(struct berth_strbuf *out, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[96];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	berth_strbuf_puts(out, buf);
}

void berth_cli_image_time_ago(struct berth_strbuf *out, int64_t sec)
{
	char buf[64];

	berth_time_human_duration(berth_time_now_ns() - sec * 1000000000LL, buf, sizeof(buf));
	berth_strbuf_printf(out, "%s ago", buf);
}

void berth_cli_image_json_row(struct berth_strbuf *out, const json_t *v)
{
	cleanup_strbuf struct berth_strbuf raw = BERTH_STRBUF_INIT;
	static const char *const html[] = {
		['<'] = "\\u003c", ['>'] = "\\u003e", ['&'] = "\\u0026"
	};

	berth_format_json(&raw, v);
	/* these bytes only occur inside strings, where Go escapes them */
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char ch = (unsigned char)raw.buf[i];
		if (ch < BERTH_ARRAY_SIZE(html) && html[ch])
			berth_strbuf_puts(out, html[ch]);
		else
			berth_strbuf_append(out, raw.buf + i, 1);
	}
}

/* docker's preFormat, to run the row template on its own: without
 * "table", trimmed, with literal \t and \n turned into tab and newline. */
static char *row_template_text(const char *format)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	const char *s = strncmp(format, "table", 5) == 0 ? format + 5 : format;
	size_t len;

	s += strspn(s, " ");
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			berth_strbuf_puts(&sb, s[i + 1] == 't' ? "\t" : "\n");
			i++;
			continue;
		}
		berth_strbuf_append(&sb, s + i, 1);
	}
	berth_strbuf_append(&sb, "", 0);
	return berth_strbuf_steal(&sb);
}

/* docker's rows are Go structs: an unknown field is an error, worded for
 * the struct type CTX_TYPE, where a JSON map would print "<no value>". */
static int check_row(const struct berth_template *t, const json_t *row, const char *ctx_type,
		     berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf scratch = BERTH_STRBUF_INIT;
	const char *key;
	char *msg;

	if (berth_template_execute(t, row, BERTH_TEMPLATE_MISSINGKEY_ERROR, &scratch, err) == 0)
		return 0;
	msg = (*err)->msg;
	key = strstr(msg, ": map has no entry for key \"");
	if (key) {
		size_t keep = (size_t)(key - msg);
		const char *name = key + strlen(": map has no entry for key \"");
		int nlen = (int)strcspn(name, "\"");
		(*err)->msg = xasprintf("%.*s: can't evaluate field %.*s in type %s", (int)keep,
					msg, nlen, name, ctx_type);
		free(msg);
	}
	return berth_error_wrap(err, "template parsing error");
}

static int write_json_rows(const json_t *rows)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	size_t i;
	json_t *row;

	json_array_foreach (rows, i, row) {
		berth_cli_image_json_row(&out, row);
		berth_strbuf_puts(&out, "\n");
	}
	berth_cli_print(&out);
	return 0;
}

static int add_rows(struct berth_formatter *f, const char *format, const json_t *rows,
		    const char *ctx_type, berth_error_t *err)
{
	cleanup_free char *text = row_template_text(format);
	struct berth_template *t = berth_template_parse("", text, err);
	int ret = t ? 0 : -1;
	size_t i;
	json_t *row;

	json_array_foreach (rows, i, row) {
		if (ret == 0)
			ret = check_row(t, row, ctx_type, err);
		if (ret == 0)
			ret = berth_formatter_add(f, row, err);
	}
	berth_template_free(t);
	return ret;
}

int berth_cli_image_write_rows(const char *format, const json_t *rows, const json_t *header,
			       const char *ctx_type, berth_error_t *err)
{
	cleanup_strbuf struct berth_strbuf out = BERTH_STRBUF_INIT;
	struct berth_formatter *f;

	if (strcmp(format, "json") == 0) /* Format.IsJSON: exactly "json" */
		return write_json_rows(rows);
	f = berth_formatter_new(format, NULL, err);
	if (f == NULL)
		return -1;
	if (add_rows(f, format, rows, ctx_type, err) < 0) {
		berth_formatter_free(f);
		return -1;
	}
	berth_formatter_flush(f, header, &out);
	berth_formatter_free(f);
	berth_cli_print(&out);
	return 0;
}

bool berth_cli_image_stdout_is_tty(void)
{
	return isatty(STDOUT_FILENO) == 1;
}

int berth_cli_image_stdout_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

int64_t berth_cli_image_num(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? (int64_t)json_number_value(v) : 0;
}

const char *berth_cli_image_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}
