#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/jsonlog.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/xalloc.h"

struct berth_jsonlog_writer {
	char *path; /* owned */
	int fd;
	int64_t size, max_size;
	int max_files;
	struct berth_strbuf pending[2]; /* partial lines: stdout, stderr */
	int64_t pending_time[2];
};

struct berth_jsonlog_writer *berth_jsonlog_open(const char *path, int64_t max_size, int max_files,
						berth_error_t *err)
{
	struct berth_jsonlog_writer *w = xzalloc(sizeof(*w));
	struct stat st;

	w->path = xstrdup(path);
	w->max_size = max_size;
	w->max_files = max_files < 1			     ? 1
		       : max_files > BERTH_JSONLOG_MAX_FILES ? BERTH_JSONLOG_MAX_FILES
							     : max_files;
	w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		berth_make_error(err, errno, "open log `%s`: %s", path, strerror(errno));
		free(w->path);
		free(w);
		return NULL;
	}
	if (fstat(w->fd, &st) == 0)
		w->size = st.st_size;
	return w;
}

static char *rotated(const char *path, int n)
{
	return n == 0 ? xstrdup(path) : xasprintf("%s.%d", path, n);
}

/* path.(N-2) -> path.(N-1), ..., path -> path.1, and a new empty path. */
static int rotate(struct berth_jsonlog_writer *w, berth_error_t *err)
{
	int i;

	if (w->max_files <= 1) {
		if (ftruncate(w->fd, 0) < 0)
			return berth_make_error(err, errno, "truncate log: %s", strerror(errno));
		w->size = 0;
		return 0;
	}
	for (i = w->max_files - 1; i > 0; i--) {
		cleanup_free char *from = rotated(w->path, i - 1), *to = rotated(w->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return berth_make_error(err, errno, "rotate log: %s", strerror(errno));
	}
	close(w->fd);
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (w->fd < 0)
		return berth_make_error(err, errno, "open log `%s`: %s", w->path, strerror(errno));
	w->size = 0;
	return 0;
}

/* Length of the valid UTF-8 sequence at S (at most LEFT bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || n > left || (n == 2 && s[0] < 0xc2))
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Invalid bytes (and NULs) become U+FFFD, as Go's encoder writes them. */
static char *utf8_clean(const char *text, size_t len, size_t *out_len)
{
	struct berth_strbuf sb = BERTH_STRBUF_INIT;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq((const unsigned char *)text + i, len - i);
		if (n == 0) {
			berth_strbuf_append(&sb, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		berth_strbuf_append(&sb, text + i, n);
		i += n;
	}
	*out_len = sb.len;
	return berth_strbuf_steal(&sb);
}

static int write_entry(struct berth_jsonlog_writer *w, const char *stream, const char *text,
		       size_t len, int64_t time_ns, berth_error_t *err)
{
	char ts[48];
	size_t clean_len;
	cleanup_free char *clean = utf8_clean(text, len, &clean_len);
	json_t *j = json_pack("{s:s%, s:s, s:s}", "log", clean, clean_len, "stream", stream, "time",
			      berth_time_format_rfc3339nano(time_ns, ts, sizeof(ts)));
	cleanup_free char *line = NULL;
	size_t n;

	if (j == NULL)
		return berth_make_error(err, EINVAL, "cannot encode a log entry");
	line = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	n = strlen(line);
	line[n++] = '\n'; /* json_dumps leaves room for the NUL we overwrite */
	if (w->max_size > 0 && w->size > 0 && w->size + (int64_t)n > w->max_size &&
	    rotate(w, err) < 0)
		return -1;
	if (write(w->fd, line, n) != (ssize_t)n)
		return berth_make_error(err, errno ? errno : EIO, "write log: %s", strerror(errno));
	w->size += (int64_t)n;
	return 0;
}

int berth_jsonlog_write(struct berth_jsonlog_writer *w, const char *stream, const void *data,
			size_t len, int64_t time_ns, bool flush, berth_error_t *err)
{
	int s = strcmp(stream, "stderr") == 0;
	struct berth_strbuf *p = &w->pending[s];
	const char *nl;

	if (p->len == 0)
		w->pending_time[s] = time_ns;
	berth_strbuf_append(p, data, len);
	while (p->len > 0) {
		size_t take;
		nl = memchr(p->buf, '\n', p->len);
		if (nl)
			take = (size_t)(nl - p->buf) + 1;
		else if (p->len >= BERTH_JSONLOG_MAX_LINE || flush)
			take = p->len > BERTH_JSONLOG_MAX_LINE ? BERTH_JSONLOG_MAX_LINE : p->len;
		else
			break;
		if (take > BERTH_JSONLOG_MAX_LINE)
			take = BERTH_JSONLOG_MAX_LINE;
		if (write_entry(w, stream, p->buf, take, w->pending_time[s], err) < 0)
			return -1;
		berth_strbuf_consume(p, take);
		w->pending_time[s] = time_ns;
	}
	return 0;
}

void berth_jsonlog_close(struct berth_jsonlog_writer *w)
{
	static const char *const streams[] = { "stdout", "stderr" };
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (w->pending[i].len)
			berth_jsonlog_write(w, streams[i], "", 0, w->pending_time[i], true, NULL);
		berth_strbuf_release(&w->pending[i]);
	}
	close(w->fd);
	free(w->path);
	free(w);
}

/* --- reading ------------------------------------------------------------------------------ */

bool berth_jsonlog_parse_line(const char *line, size_t len, struct berth_jsonlog_entry *entry,
			      char **buf)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *log = json_string_value(json_object_get(j, "log"));
	const char *stream = json_string_value(json_object_get(j, "stream"));
	const char *time = json_string_value(json_object_get(j, "time"));
	size_t loglen = json_string_length(json_object_get(j, "log"));
	int64_t ns = 0;

	*buf = NULL;
	if (log == NULL || stream == NULL || time == NULL ||
	    berth_time_parse_timestamp(time, 0, &ns, NULL) < 0 ||
	    (strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0)) {
		json_decref(j);
		return false;
	}
	/* one allocation: "stdout\0<log>" */
	*buf = xmalloc(strlen(stream) + 1 + loglen + 1);
	memcpy(*buf, stream, strlen(stream) + 1);
	memcpy(*buf + strlen(stream) + 1, log, loglen + 1);
	entry->stream = *buf;
	entry->log = *buf + strlen(stream) + 1;
	entry->len = loglen;
	entry->time_ns = ns;
	json_decref(j);
	return true;
}

static bool wanted(const struct berth_jsonlog_query *q, const struct berth_jsonlog_entry *e)
{
	if (e->stream[3] == 'o' ? !q->stdout_ : !q->stderr_) /* std[o]ut / std[e]rr */
		return false;
	if (q->since_ns > 0 && e->time_ns < q->since_ns)
		return false;
	if (q->until_ns > 0 && e->time_ns > q->until_ns)
		return false;
	return true;
}

/* Reads F from its position line by line; with COUNT, counts the matches.
 * A last line without its newline (being written) is left unread. */
static int scan_stream(FILE *f, const struct berth_jsonlog_query *q, int64_t *skip, int64_t *count,
		       berth_jsonlog_fn fn, void *data)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	while (ret == 0) {
		off_t at = ftello(f);
		struct berth_jsonlog_entry e;
		char *buf = NULL;

		n = getline(&line, &cap, f);
		if (n <= 0)
			break;
		if (line[n - 1] != '\n') {
			(void)fseeko(f, at, SEEK_SET);
			break;
		}
		if (n > 4 * BERTH_JSONLOG_MAX_LINE + 256 ||
		    !berth_jsonlog_parse_line(line, (size_t)n, &e, &buf))
			continue;
		if (wanted(q, &e)) {
			if (count)
				(*count)++;
			else if (*skip > 0)
				(*skip)--;
			else
				ret = fn(data, &e);
		}
		free(buf);
	}
	free(line);
	return ret;
}

static int scan_file(const char *file, const struct berth_jsonlog_query *q, int64_t *skip,
		     int64_t *count, berth_jsonlog_fn fn, void *data, struct berth_jsonlog_pos *pos)
{
	cleanup_file FILE *f = fopen(file, "re");
	int ret;

	if (f == NULL)
		return 0;
	ret = scan_stream(f, q, skip, count, fn, data);
	if (pos) {
		struct stat st;
		pos->offset = ftello(f);
		pos->ino = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_ino : 0;
	}
	return ret;
}

int berth_jsonlog_follow(const char *path, const struct berth_jsonlog_query *q,
			 struct berth_jsonlog_pos *pos, berth_jsonlog_fn fn, void *data)
{
	cleanup_file FILE *f = fopen(path, "re");
	struct stat st;
	int64_t skip = 0;
	int ret;

	if (f == NULL || fstat(fileno(f), &st) < 0)
		return 0;
	if ((uint64_t)st.st_ino != pos->ino || st.st_size < pos->offset) {
		/* rotated (or truncated): the new file from its start */
		pos->ino = (uint64_t)st.st_ino;
		pos->offset = 0;
	}
	if (fseeko(f, pos->offset, SEEK_SET) < 0)
		return 0;
	ret = scan_stream(f, q, &skip, NULL, fn, data);
	pos->offset = ftello(f);
	return ret;
}

int berth_jsonlog_read(const char *path, const struct berth_jsonlog_query *q, berth_jsonlog_fn fn,
		       void *data, berth_error_t *err)
{
	return berth_jsonlog_read_pos(path, q, fn, data, NULL, err);
}

int berth_jsonlog_read_pos(const char *path, const struct berth_jsonlog_query *q,
			   berth_jsonlog_fn fn, void *data, struct berth_jsonlog_pos *pos,
			   berth_error_t *err)
{
	int files = q->max_files < 1			     ? 1
		    : q->max_files > BERTH_JSONLOG_MAX_FILES ? BERTH_JSONLOG_MAX_FILES
							     : q->max_files;
	int64_t total = 0, skip = 0;
	int i;

	/* tail: count first, then skip all but the last N */
	if (q->tail >= 0) {
		for (i = files - 1; i >= 0; i--) {
			cleanup_free char *f = rotated(path, i);
			scan_file(f, q, NULL, &total, NULL, NULL, NULL);
		}
		skip = total > q->tail ? total - q->tail : 0;
	}
	for (i = files - 1; i >= 0; i--) {
		cleanup_free char *f = rotated(path, i);
		if (scan_file(f, q, &skip, NULL, fn, data, i == 0 ? pos : NULL) < 0)
			break;
	}
	(void)err;
	return 0;
}
