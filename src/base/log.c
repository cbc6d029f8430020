#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "base/xalloc.h"

int berth_log_current_level = BERTH_LOG_INFO;
static int log_json;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int berth_log_parse_level(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{ "debug", BERTH_LOG_DEBUG }, { "info", BERTH_LOG_INFO },
		{ "warn", BERTH_LOG_WARN },   { "warning", BERTH_LOG_WARN },
		{ "error", BERTH_LOG_ERROR }, { "fatal", BERTH_LOG_ERROR },
	};
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0)
			return names[i].level;
	return -1;
}

void berth_log_set_level(int level)
{
	if (level >= BERTH_LOG_ERROR && level <= BERTH_LOG_DEBUG)
		berth_log_current_level = level;
}

void berth_log_set_json(int on)
{
	log_json = on;
}

void berth_log_write(int level, const char *fmt, ...)
{
	char ts[64];
	struct timespec now;
	struct tm tm;
	va_list ap;
	char *msg;

	if (level < BERTH_LOG_ERROR || level > BERTH_LOG_DEBUG)
		level = BERTH_LOG_ERROR;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000);
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	if (log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_names[level],
				      "msg", msg);
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
	} else {
		fprintf(stderr, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level_names[level], msg);
	}
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	free(msg);
}

char *berth_log_escape(char *out, size_t outlen, const char *data, size_t len)
{
	size_t o = 0, i;

	if (outlen == 0)
		return out;
	for (i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
