/* timeutil.h: docker's timestamp arguments and formats. */
#ifndef BERTH_BASE_TIMEUTIL_H
#define BERTH_BASE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Nanoseconds since the epoch, CLOCK_REALTIME. */
int64_t berth_time_now_ns(void);

/* Parses a Go duration ("1h30m", "10s", "1.5h", "300ms") into ns. */
int berth_time_parse_duration(const char *s, int64_t *out_ns, berth_error_t *err);

/* Parses a `since`/`until` value as docker does (GetTimestamp): unix seconds
 * with an optional fraction, a Go duration meaning NOW minus it, or an
 * RFC 3339 date/time (local time when no zone is given). Result in ns. */
int berth_time_parse_timestamp(const char *s, int64_t now_ns, int64_t *out_ns, berth_error_t *err);

/* Formats NS as RFC 3339 with nanoseconds in UTC ("2024-01-01T00:00:00.123456789Z"),
 * trailing zeros of the fraction trimmed as Go does. BUF needs 40 bytes. */
char *berth_time_format_rfc3339nano(int64_t ns, char *buf, size_t len);

/* "3 minutes", "About an hour", "2 days" — docker's units.HumanDuration. */
char *berth_time_human_duration(int64_t ns, char *buf, size_t len);

#endif
