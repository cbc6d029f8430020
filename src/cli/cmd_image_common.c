/* cmd_image_common.c: helpers of the image commands: streamed API calls
 * with extra headers and file descriptors (pull, push, save, load), the
 * argument errors of docker's cobra commands, and the formatting pieces of
 * docker's image and history contexts. */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
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

#define CONNECT_TIMEOUT_SECONDS 30L

/* State of one transfer, shared with the libcurl callbacks. */
struct xfer_state {
	struct berth_cli_image_xfer *x; /* borrowed */
	CURL *curl;			/* borrowed */
	struct berth_strbuf error_body; /* owned: the body of a failed response */
	struct berth_strbuf line;	/* owned: the incomplete line */
	char *content_type;		/* owned */
	bool too_big;			/* a streamed line over BERTH_CLIENT_MAX_LINE */
	bool stopped;			/* the line callback ended the stream */
	int io_errno;			/* a failed read of in_fd or write to out_fd */
	const char *io_op;		/* "read" or "write" */
};

/* ---- libcurl callbacks ---- */

static size_t deliver_lines(struct xfer_state *st, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !st->stopped; i++) {
		const struct berth_strbuf *l = &st->line;
		if (data[i] != '\n') {
			if (st->line.len >= BERTH_CLIENT_MAX_LINE) {
				st->too_big = true;
				return 0;
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
	return st->stopped ? 0 : len;
}

static size_t write_fd(struct xfer_state *st, const char *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(st->x->out_fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st->io_errno = errno;
			st->io_op = "write";
			return 0;
		}
		done += (size_t)n;
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct xfer_state *st = user;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400) { /* an error body is kept up to its limit, the rest dropped */
		size_t room = BERTH_CLIENT_MAX_ERROR_BODY - st->error_body.len;
		berth_strbuf_append(&st->error_body, data, len < room ? len : room);
		return len;
	}
	if (st->x->out_fd >= 0)
		return write_fd(st, data, len);
	if (st->x->line_cb)
		return deliver_lines(st, data, len);
	if (st->x->data_cb && st->x->data_cb(data, len, st->x->cb_data) < 0) {
		st->stopped = true;
		return 0;
	}
	return len;
}

/* The value of header NAME (with its colon) in DATA[0..LEN), trimmed; NULL
 * when the line is another header. Caller frees. */
static char *header_value(const char *data, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v = data + n, *end = data + len;

	if (len < n || strncasecmp(data, name, n) != 0)
		return NULL;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct xfer_state *st = user;
	size_t len = size * nmemb;
	char *stat = header_value(data, len, "X-Docker-Container-Path-Stat:");
	char *v;

	if (stat) {
		free(st->x->path_stat);
		st->x->path_stat = stat;
		return len;
	}
	v = header_value(data, len, "Content-Type:");
	if (v == NULL)
		return len;
	free(st->content_type);
	st->content_type = v;
	st->x->json_body = strcmp(st->content_type, "application/json") == 0;
	return len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *user)
{
	struct xfer_state *st = user;
	ssize_t n;

	do
		n = read(st->x->in_fd, buf, size * nmemb);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		st->io_errno = errno;
		st->io_op = "read";
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
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

/* The URL and socket of the client's host, with the API version. */
static char *xfer_url(struct berth_client *c, const struct berth_cli_image_xfer *x,
		      char **socket_path)
{
	const char *host = berth_client_host(c);
	const char *version = berth_client_api_version(c);
	const char *base = "localhost";

	*socket_path = NULL;
	if (strncmp(host, "unix://", 7) == 0)
		*socket_path = xstrdup(host + 7);
	else
		base = host + strlen("tcp://");
	return xasprintf("http://%s%s%s%s%s%s", base, *version ? "/v" : "", version, x->path,
			 x->query && *x->query ? "?" : "", x->query ? x->query : "");
}

static struct curl_slist *xfer_setup(CURL *h, struct xfer_state *st, const char *url,
				     const char *socket_path, char *errbuf)
{
	struct berth_cli_image_xfer *x = st->x;
	struct curl_slist *headers = NULL;
	cleanup_free char *auth = NULL;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_SECONDS);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	if (socket_path) {
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path);
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method);
	if (strcmp(x->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (x->registry_auth) {
		auth = xasprintf("X-Registry-Auth: %s", x->registry_auth);
		headers = curl_slist_append(headers, auth);
	}
	if (x->in_fd >= 0) {
		/* the size is unknown (stdin): chunked, as the Go client */
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, st);
		headers = curl_slist_append(headers, "Content-Type: application/x-tar");
		headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
	} else if (strcmp(x->method, "POST") == 0) {
		/* no body, and the Go client's Content-Type for that */
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
		headers = curl_slist_append(headers, "Content-Type: text/plain");
	}
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, st);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, st);
	return headers;
}

static int xfer_failure(struct berth_client *c, CURLcode rc, struct xfer_state *st, const char *url,
			const char *errbuf, berth_error_t *err)
{
	if (st->io_errno)
		return berth_cli_image_syserr(err, st->io_errno, "%s", st->io_op);
	if (st->too_big)
		return berth_make_error(err, EFBIG, "stream line longer than %d bytes",
					BERTH_CLIENT_MAX_LINE);
	if (rc == CURLE_COULDNT_CONNECT)
		return berth_make_error(
		    err, ECONNREFUSED,
		    "Cannot connect to the berth daemon at %s. Is the berth daemon running?",
		    berth_client_host(c));
	return berth_make_error(err, EIO, "error during connect: %s \"%s\": %s", st->x->method, url,
				errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static int xfer_perform(struct berth_client *c, struct xfer_state *st, berth_error_t *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	cleanup_free char *socket_path = NULL;
	cleanup_free char *url = xfer_url(c, st->x, &socket_path);
	struct curl_slist *headers = xfer_setup(st->curl, st, url, socket_path, errbuf);
	long status = 0;
	CURLcode rc;

	berth_log_debug("client: %s %s", st->x->method, url);
	rc = curl_easy_perform(st->curl);
	curl_slist_free_all(headers);
	if (rc == CURLE_WRITE_ERROR && st->stopped)
		rc = CURLE_OK;
	if (rc != CURLE_OK)
		return xfer_failure(c, rc, st, url, errbuf, err);
	curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400)
		return berth_cli_image_http_error(status, st->content_type,
						  st->error_body.buf ? st->error_body.buf : "",
						  st->error_body.len, st->x->path, err);
	if (st->x->line_cb && !st->stopped && st->line.len)
		deliver_lines(st, "\n", 1); /* a last line without its newline */
	return 0;
}

int berth_cli_image_xfer_run(struct berth_client *c, struct berth_cli_image_xfer *x,
			     berth_error_t *err)
{
	struct xfer_state st = { .x = x };
	int ret;

	if (berth_client_negotiate(c, err) < 0)
		return -1;
	st.curl = curl_easy_init();
	if (st.curl == NULL)
		return berth_make_error(err, ENOMEM, "cannot initialise libcurl");
	ret = xfer_perform(c, &st, err);
	curl_easy_cleanup(st.curl);
	berth_strbuf_release(&st.error_body);
	berth_strbuf_release(&st.line);
	free(st.content_type);
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

static char *trimmed(const char *s, size_t len)
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
		name = trimmed(f, (size_t)(eq - f));
		val = trimmed(eq + 1, strlen(eq + 1));
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
