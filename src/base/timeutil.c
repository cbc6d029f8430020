#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timeutil.h"

#define NS_PER_SEC 1000000000LL

int64_t berth_time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static const struct {
	const char *unit;
	double ns;
} duration_units[] = {
	{ "ns", 1 },  { "us", 1e3 }, { "µs", 1e3 },   { "ms", 1e6 },
	{ "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
};

int berth_time_parse_duration(const char *s, int64_t *out_ns, berth_error_t *err)
{
	const char *p = s;
	double total = 0;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0')
		return berth_make_error(err, EINVAL, "invalid duration `%s`", s);
	if (strcmp(p, "0") == 0) {
		*out_ns = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double v;
		size_t i, best = 0, bestlen = 0;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return berth_make_error(err, EINVAL, "invalid duration `%s`", s);
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno)
			return berth_make_error(err, EINVAL, "invalid duration `%s`", s);
		p = end;
		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			size_t l = strlen(duration_units[i].unit);
			if (strncmp(p, duration_units[i].unit, l) == 0 && l > bestlen)
				best = i, bestlen = l;
		}
		if (bestlen == 0)
			return berth_make_error(err, EINVAL, "missing unit in duration `%s`", s);
		p += bestlen;
		total += v * duration_units[best].ns;
		if (total > 9.2e18)
			return berth_make_error(err, EINVAL, "invalid duration `%s`", s);
	}
	*out_ns = (int64_t)(neg ? -total : total);
	return 0;
}

static int parse_unix(const char *s, int64_t *out)
{
	const char *dot = strchr(s, '.');
	char *end;
	long long sec, nsec = 0;

	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno || end == s || (*end != '\0' && end != dot))
		return -1;
	if (dot) {
		char frac[10] = "000000000";
		size_t n = strlen(dot + 1);
		if (n == 0 || n > 9 || strspn(dot + 1, "0123456789") != n)
			return -1;
		memcpy(frac, dot + 1, n);
		nsec = strtoll(frac, NULL, 10);
	}
	if (sec > 9200000000LL || sec < -9200000000LL)
		return -1;
	*out = sec * NS_PER_SEC + (sec < 0 ? -nsec : nsec);
	return 0;
}

/* Parses "YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±HH:MM]". */
static int parse_rfc3339(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int n = 0, y, mo, d, h = 0, mi = 0, se = 0;
	long long nsec = 0;
	const char *p;
	int has_zone = 0, zone_off = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + n;
	if (*p == 'T') {
		int k = 0;
		p++;
		if (sscanf(p, "%2d%n", &h, &k) != 1 || k != 2)
			return -1;
		p += k;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &mi, &k) != 1 || k != 2)
				return -1;
			p += 1 + k;
			if (*p == ':') {
				if (sscanf(p + 1, "%2d%n", &se, &k) != 1 || k != 2)
					return -1;
				p += 1 + k;
				if (*p == '.') {
					char frac[10] = "000000000";
					size_t fl = strspn(p + 1, "0123456789");
					if (fl == 0)
						return -1;
					memcpy(frac, p + 1, fl > 9 ? 9 : fl);
					nsec = strtoll(frac, NULL, 10);
					p += 1 + fl;
				}
			}
		}
	}
	if (*p == 'Z') {
		has_zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		int zh, zm, k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &zh, &zm, &k) != 2 || k != 5)
			return -1;
		has_zone = 1;
		zone_off = (zh * 3600 + zm * 60) * (*p == '-' ? -1 : 1);
		p += 1 + k;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	tm.tm_isdst = -1;
	t = has_zone ? timegm(&tm) - zone_off : mktime(&tm);
	*out = (int64_t)t * NS_PER_SEC + nsec;
	return 0;
}

int berth_time_parse_timestamp(const char *s, int64_t now_ns, int64_t *out_ns, berth_error_t *err)
{
	int64_t d;

	if (s == NULL || *s == '\0')
		return berth_make_error(err, EINVAL, "empty timestamp");
	if (strspn(s, "0123456789.-") == strlen(s) && strchr(s + 1, '-') == NULL) {
		if (parse_unix(s, out_ns) == 0)
			return 0;
		return berth_make_error(err, EINVAL,
					"failed to parse value as time or duration: \"%s\"", s);
	}
	if (parse_rfc3339(s, out_ns) == 0)
		return 0;
	if (berth_time_parse_duration(s, &d, NULL) == 0) {
		*out_ns = now_ns - d;
		return 0;
	}
	return berth_make_error(err, EINVAL, "failed to parse value as time or duration: \"%s\"",
				s);
}

char *berth_time_format_rfc3339nano(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / NS_PER_SEC);
	long frac = (long)(ns % NS_PER_SEC);
	struct tm tm;
	char f[16];
	size_t fl;

	if (frac < 0) {
		frac += NS_PER_SEC;
		sec--;
	}
	gmtime_r(&sec, &tm);
	snprintf(f, sizeof(f), ".%09ld", frac);
	fl = strlen(f);
	while (fl > 1 && f[fl - 1] == '0')
		f[--fl] = '\0';
	if (fl == 1)
		f[0] = '\0';
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f);
	return buf;
}

char *berth_time_human_duration(int64_t ns, char *buf, size_t len)
{
	double secs = (double)ns / 1e9;
	double mins = secs / 60, hours = mins / 60;

	if (secs < 1)
		snprintf(buf, len, "Less than a second");
	else if (secs < 2)
		snprintf(buf, len, "1 second");
	else if (mins < 1)
		snprintf(buf, len, "%d seconds", (int)secs);
	else if (mins < 2)
		snprintf(buf, len, "About a minute");
	else if (hours < 1)
		snprintf(buf, len, "%d minutes", (int)mins);
	else if (hours < 2)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%d hours", (int)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%d days", (int)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%d weeks", (int)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%d months", (int)(hours / 24 / 30));
	else
		snprintf(buf, len, "%d years", (int)(hours / 24 / 365));
	return buf;
}
