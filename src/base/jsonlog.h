/* jsonlog.h: docker's json-file log format: one JSON object per line,
 * {"log":"text\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"},
 * with rotation by size (max-size, max-file) as `<file>.1`, `<file>.2`, ...
 * The container's monitor writes; the daemon reads (logs, tail, follow). */
#ifndef BERTH_BASE_JSONLOG_H
#define BERTH_BASE_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* docker's copier hands the log driver lines of at most 16 KiB */
#define BERTH_JSONLOG_MAX_LINE	(16 * 1024)
#define BERTH_JSONLOG_MAX_FILES 64

struct berth_jsonlog_writer;

/* Opens (appending) PATH. MAX_SIZE 0 = never rotate; MAX_FILES >= 1
 * counts the live file. */
struct berth_jsonlog_writer *berth_jsonlog_open(const char *path, int64_t max_size, int max_files,
						berth_error_t *err);
/* Logs DATA from STREAM ("stdout"/"stderr"): complete lines become one
 * entry each; a partial line waits for its end (or 16 KiB) unless FLUSH. */
int berth_jsonlog_write(struct berth_jsonlog_writer *w, const char *stream, const void *data,
			size_t len, int64_t time_ns, bool flush, berth_error_t *err);
/* Writes what is pending of both streams and closes. NULL is fine. */
void berth_jsonlog_close(struct berth_jsonlog_writer *w);

struct berth_jsonlog_entry {
	const char *stream; /* "stdout" or "stderr" */
	const char *log;    /* the text, with its newline */
	size_t len;
	int64_t time_ns;
};

/* Returns 0 to go on, < 0 to stop. */
typedef int (*berth_jsonlog_fn)(void *data, const struct berth_jsonlog_entry *e);

struct berth_jsonlog_query {
	int64_t since_ns; /* 0: from the start */
	int64_t until_ns; /* 0: to the end */
	int64_t tail;	  /* < 0: all; else the last N entries that match */
	bool stdout_, stderr_;
	int max_files; /* rotated files to read too */
};

/* Calls FN for each matching entry of PATH (and its rotated files, oldest
 * first). Lines that are not valid entries are skipped. */
int berth_jsonlog_read(const char *path, const struct berth_jsonlog_query *q, berth_jsonlog_fn fn,
		       void *data, berth_error_t *err);

/* Where a reader stands in the live file, to follow it. */
struct berth_jsonlog_pos {
	int64_t offset;
	uint64_t ino;
};

/* berth_jsonlog_read, noting in *POS where it stopped in the live file
 * (complete lines only). */
int berth_jsonlog_read_pos(const char *path, const struct berth_jsonlog_query *q,
			   berth_jsonlog_fn fn, void *data, struct berth_jsonlog_pos *pos,
			   berth_error_t *err);

/* Reads the entries added to PATH since *POS (a rotation starts the new
 * file from 0) and moves *POS on. */
int berth_jsonlog_follow(const char *path, const struct berth_jsonlog_query *q,
			 struct berth_jsonlog_pos *pos, berth_jsonlog_fn fn, void *data);

/* Parses one line; false when it is not an entry. ENTRY points into the
 * decoded copy kept in *BUF (caller frees). */
bool berth_jsonlog_parse_line(const char *line, size_t len, struct berth_jsonlog_entry *entry,
			      char **buf);

#endif
