/* jsonmessage.c: moby's pkg/jsonmessage (DisplayJSONMessagesStream,
 * JSONMessage.Display, JSONProgress.String) on JSON lines. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "cli/jsonmessage.h"
#include "cli/units.h"

#define DEFAULT_WIDTH  200 /* what docker assumes when the width is unknown */
#define BAR_MIN_WIDTH  110 /* narrower terminals get no bar */
#define LEFT_MIN_WIDTH 50  /* nor a time left */
#define BAR_CELLS      50
#define NS_PER_SEC     1000000000LL

/* ANSI sequences of morikuni/aec, as docker uses them */
#define ERASE_LINE "\033[2K"

struct berth_jsonmessage {
	struct berth_strbuf *out; /* borrowed */
	bool terminal;
	int width;
	int64_t now; /* fixed clock in unix seconds, 0: real time */
	char **ids;  /* owned: the ids with a line, in line order */
	size_t nids;
	berth_jsonmessage_aux_cb aux_cb;
	void *aux_data;
};

/* The fields of a JSONMessage that the display reads (borrowed from J). */
struct message {
	const char *stream, *status, *id, *from, *progress_message;
	const json_t *progress; /* NULL: no progressDetail */
	const json_t *error;	/* NULL: no errorDetail */
	int64_t time, time_nano;
};

struct berth_jsonmessage *berth_jsonmessage_new(struct berth_strbuf *out, bool terminal, int width)
{
	struct berth_jsonmessage *jm = xzalloc(sizeof(*jm));

	jm->out = out;
	jm->terminal = terminal;
	jm->width = width > 0 ? width : DEFAULT_WIDTH;
	return jm;
}

void berth_jsonmessage_set_aux(struct berth_jsonmessage *jm, berth_jsonmessage_aux_cb cb,
			       void *data)
{
	jm->aux_cb = cb;
	jm->aux_data = data;
}

void berth_jsonmessage_set_now(struct berth_jsonmessage *jm, int64_t unix_sec)
{
	jm->now = unix_sec;
}

static void forget_ids(struct berth_jsonmessage *jm)
{
	for (size_t i = 0; i < jm->nids; i++)
		free(jm->ids[i]);
	jm->nids = 0;
}

void berth_jsonmessage_free(struct berth_jsonmessage *jm)
{
	if (jm == NULL)
		return;
	forget_ids(jm);
	free(jm->ids);
	free(jm);
}

/* ---- progress ---- */

static int64_t num(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? (int64_t)json_number_value(v) : 0;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* time.Duration.Round(time.Second).String() of NS */
static void duration_seconds(struct berth_strbuf *out, int64_t ns)
{
	int64_t r = ns % NS_PER_SEC, s;

	if (r < 0)
		r = -r;
	if (ns >= 0)
		ns = r + r < NS_PER_SEC ? ns - r : ns + NS_PER_SEC - r;
	else
		ns = r + r < NS_PER_SEC ? ns + r : ns - NS_PER_SEC + r;
	s = ns / NS_PER_SEC;
	if (s < 0) {
		berth_strbuf_puts(out, "-");
		s = -s;
	}
	if (s >= 3600)
		berth_strbuf_printf(out, "%" PRId64 "h%" PRId64 "m%" PRId64 "s", s / 3600,
				    s / 60 % 60, s % 60);
	else if (s >= 60)
		berth_strbuf_printf(out, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
	else
		berth_strbuf_printf(out, "%" PRId64 "s", s);
}

static void human(struct berth_strbuf *out, int64_t n, int pad)
{
	char buf[BERTH_UNITS_BUFSIZE];

	berth_strbuf_printf(out, "%*s", pad, berth_units_human_size((double)n, buf, sizeof(buf)));
}

static void numbers_box(struct berth_strbuf *out, const json_t *p, int64_t cur, int64_t total)
{
	const char *units = str(p, "units");

	if (json_is_true(json_object_get(p, "hidecounts")))
		return;
	if (*units) {
		if (cur > total)
			berth_strbuf_printf(out, "%" PRId64 " %s", cur, units);
		else
			berth_strbuf_printf(out, "%" PRId64 "/%" PRId64 " %s", cur, total, units);
		return;
	}
	human(out, cur, 8);
	if (cur <= total) {
		berth_strbuf_puts(out, "/");
		human(out, total, 0);
	}
}

static void time_left(struct berth_strbuf *out, int64_t cur, int64_t total, int64_t start,
		      int64_t now)
{
	int64_t now_ns = now ? now * NS_PER_SEC : berth_time_now_ns();
	int64_t per_entry = (now_ns - start * NS_PER_SEC) / cur;

	berth_strbuf_puts(out, " ");
	duration_seconds(out, (total - cur) * per_entry);
}

void berth_jsonmessage_progress(struct berth_strbuf *out, const json_t *p, int width, int64_t now)
{
	int64_t cur = num(p, "current"), total = num(p, "total"), start = num(p, "start");
	int pct;

	if (cur <= 0 && total <= 0)
		return;
	if (total <= 0) {
		if (*str(p, "units"))
			berth_strbuf_printf(out, "%" PRId64 " %s", cur, str(p, "units"));
		else
			human(out, cur, 8);
		return;
	}
	pct = (int)((double)cur / (double)total * 100) / 2;
	pct = pct > BAR_CELLS ? BAR_CELLS : pct < 0 ? 0 : pct;
	if (width > BAR_MIN_WIDTH) {
		berth_strbuf_puts(out, "[");
		for (int i = 0; i < pct; i++)
			berth_strbuf_puts(out, "=");
		berth_strbuf_printf(out, ">%*s] ", BAR_CELLS - pct, "");
	}
	numbers_box(out, p, cur, total);
	if (width > LEFT_MIN_WIDTH && cur > 0 && start > 0 && pct < BAR_CELLS)
		time_left(out, cur, total, start, now);
}

/* ---- one message ---- */

static void format_time(struct berth_strbuf *out, int64_t ns)
{
	time_t sec = (time_t)(ns / NS_PER_SEC);
	long frac = (long)(ns % NS_PER_SEC);
	struct tm tm;
	char buf[64];
	long off;

	if (frac < 0) {
		frac += NS_PER_SEC;
		sec--;
	}
	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	berth_strbuf_printf(out, "%s.%09ld", buf, frac);
	off = tm.tm_gmtoff;
	if (off == 0)
		berth_strbuf_puts(out, "Z ");
	else
		berth_strbuf_printf(out, "%c%02ld:%02ld ", off < 0 ? '-' : '+', labs(off) / 3600,
				    labs(off) % 3600 / 60);
}

static bool progress_empty(const struct berth_jsonmessage *jm, const json_t *p)
{
	cleanup_strbuf struct berth_strbuf s = BERTH_STRBUF_INIT;

	berth_jsonmessage_progress(&s, p, jm->width, jm->now);
	return s.len == 0;
}

/* JSONMessage.Display, after the error check. */
static void display(struct berth_jsonmessage *jm, const struct message *m)
{
	struct berth_strbuf *out = jm->out;
	const char *endl = "";

	if (jm->terminal && *m->stream == '\0' && m->progress) {
		berth_strbuf_puts(out, ERASE_LINE "\r");
		endl = "\r";
	} else if (m->progress && !progress_empty(jm, m->progress)) {
		return; /* no progress bars off a terminal */
	}
	if (m->time_nano)
		format_time(out, m->time_nano);
	else if (m->time)
		format_time(out, m->time * NS_PER_SEC);
	if (*m->id)
		berth_strbuf_printf(out, "%s: ", m->id);
	if (*m->from)
		berth_strbuf_printf(out, "(from %s) ", m->from);
	if (m->progress && jm->terminal) {
		berth_strbuf_printf(out, "%s ", m->status);
		berth_jsonmessage_progress(out, m->progress, jm->width, jm->now);
		berth_strbuf_puts(out, endl);
	} else if (*m->progress_message) {
		berth_strbuf_printf(out, "%s %s%s", m->status, m->progress_message, endl);
	} else if (*m->stream) {
		berth_strbuf_printf(out, "%s%s", m->stream, endl);
	} else {
		berth_strbuf_printf(out, "%s%s\n", m->status, endl);
	}
}

/* The line of ID on a terminal, counted from the first; adds it when new. */
static size_t line_of(struct berth_jsonmessage *jm, const char *id)
{
	for (size_t i = 0; i < jm->nids; i++)
		if (strcmp(jm->ids[i], id) == 0)
			return i;
	if (jm->nids == BERTH_JSONMESSAGE_MAX_IDS)
		forget_ids(jm);
	jm->ids = xrealloc(jm->ids, (jm->nids + 1) * sizeof(*jm->ids));
	jm->ids[jm->nids] = xstrdup(id);
	if (jm->terminal)
		berth_strbuf_puts(jm->out, "\n");
	return jm->nids++;
}

static void read_message(const json_t *j, struct message *m)
{
	const json_t *p = json_object_get(j, "progressDetail");
	const json_t *e = json_object_get(j, "errorDetail");

	m->stream = str(j, "stream");
	m->status = str(j, "status");
	m->id = str(j, "id");
	m->from = str(j, "from");
	m->progress_message = str(j, "progress");
	m->progress = json_is_object(p) ? p : NULL;
	m->error = json_is_object(e) ? e : NULL;
	m->time = num(j, "time");
	m->time_nano = num(j, "timeNano");
}

static int in_band_error(const json_t *e, berth_error_t *err)
{
	int64_t code = num(e, "code");

	return berth_make_error(err, code > 0 && code < 4096 ? (int)code : EIO, "%s",
				str(e, "message"));
}

int berth_jsonmessage_display(struct berth_jsonmessage *jm, const char *line, size_t len,
			      berth_error_t *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(line, len, 0, &jerr);
	const json_t *aux = json_object_get(j, "aux");
	struct message m;
	size_t diff = 0;
	int ret = 0;

	if (!json_is_object(j)) {
		json_decref(j);
		return berth_make_error(err, EPROTO, "invalid JSON message from daemon: %s",
					jerr.text);
	}
	if (aux && !json_is_null(aux)) {
		if (jm->aux_cb)
			jm->aux_cb(aux, jm->aux_data);
		json_decref(j);
		return 0;
	}
	read_message(j, &m);
	if (*m.id && (m.progress || *m.progress_message)) {
		size_t at = line_of(jm, m.id);
		diff = jm->nids - at;
		if (jm->terminal)
			berth_strbuf_printf(jm->out, "\033[%zuA", diff);
	} else {
		forget_ids(jm); /* a line without id starts a new block */
	}
	if (m.error)
		ret = in_band_error(m.error, err);
	else
		display(jm, &m);
	if (*m.id && jm->terminal && diff)
		berth_strbuf_printf(jm->out, "\033[%zuB", diff);
	json_decref(j);
	return ret;
}
