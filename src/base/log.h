/* log.h: leveled logging to stderr or a file, as text or JSON.
 * The level is checked before arguments are evaluated (redis serverLog). */
#ifndef BERTH_BASE_LOG_H
#define BERTH_BASE_LOG_H

#include <stddef.h>

enum berth_log_level {
	BERTH_LOG_ERROR = 0,
	BERTH_LOG_WARN,
	BERTH_LOG_INFO,
	BERTH_LOG_DEBUG,
};

extern int berth_log_current_level;

/* Parses docker's level names ("debug", "info", "warn", "error", "fatal").
 * Returns the level or -1. */
int berth_log_parse_level(const char *name);
void berth_log_set_level(int level);
/* Log lines as JSON objects instead of text. */
void berth_log_set_json(int on);
void berth_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies at most MAX bytes of untrusted DATA into OUT (size OUTLEN), escaping
 * non-printable bytes, so that it is safe to log. Returns OUT. */
char *berth_log_escape(char *out, size_t outlen, const char *data, size_t len);

#define berth_log(level, ...)                                  \
	do {                                                   \
		if ((level) <= berth_log_current_level)        \
			berth_log_write((level), __VA_ARGS__); \
	} while (0)
#define berth_log_error(...) berth_log(BERTH_LOG_ERROR, __VA_ARGS__)
#define berth_log_warn(...)  berth_log(BERTH_LOG_WARN, __VA_ARGS__)
#define berth_log_info(...)  berth_log(BERTH_LOG_INFO, __VA_ARGS__)
#define berth_log_debug(...) berth_log(BERTH_LOG_DEBUG, __VA_ARGS__)

#endif
