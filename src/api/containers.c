/* containers.c: /containers/... */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/cleanup.h"
#include "base/filters.h"
#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/containers.h"
#include "engine/execs.h"

static struct berth_engine *eng(void *ctx)
{
	return ((struct berth_api *)ctx)->engine;
}

static const char *id_param(struct berth_http_req *req)
{
	return berth_http_req_param(req, "id");
}

/* An integer query argument; DEF when absent, -1 with an answer sent when bad. */
static int query_int(struct berth_http_req *req, const char *name, long long min, long long max,
		     long long def, long long *out)
{
	const char *v = berth_http_req_query(req, name);
	char *end;

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end || *out < min || *out > max) {
		berth_http_reply_error(req, 400, "invalid value for %s: %s", name, v);
		return -1;
	}
	return 0;
}

/* OUT (stolen) with STATUS, or the error when it is NULL. */
static void reply_out(struct berth_http_req *req, json_t *out, berth_error_t *err, unsigned status)
{
	if (out == NULL) {
		berth_http_reply_berror(req, *err);
		berth_error_release(err);
		return;
	}
	berth_http_reply_json(req, status, out);
}

/* The error when RET < 0, else 304 for 1 or OK. */
static void reply_status(struct berth_http_req *req, int ret, berth_error_t *err, unsigned ok)
{
	if (ret < 0) {
		berth_http_reply_berror(req, *err);
		berth_error_release(err);
		return;
	}
	berth_http_reply_empty(req, ret == 1 ? 304 : ok);
}

void api_containers_create(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err), *out;

	if (body == NULL) {
		reply_status(req, -1, &err, 0);
		return;
	}
	out = berth_engine_container_create(eng(ctx), berth_http_req_query(req, "name"), body, &err);
	json_decref(body);
	reply_out(req, out, &err, 201);
}

void api_containers_list(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	struct berth_filters *f = NULL;
	long long limit;
	json_t *out;

	if (query_int(req, "limit", -1, INT_MAX, -1, &limit) < 0)
		return;
	f = berth_filters_parse(berth_http_req_query(req, "filters"), &err);
	if (f == NULL && err) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	out = berth_engine_containers_list(eng(ctx), f, berth_http_req_query_bool(req, "all", false),
					   (int)limit, berth_http_req_query_bool(req, "size", false),
					   berth_http_req_api_version(req), &err);
	berth_filters_free(f);
	reply_out(req, out, &err, 200);
}

void api_container_inspect(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *out = berth_engine_container_inspect(eng(ctx), id_param(req),
						     berth_http_req_query_bool(req, "size", false),
						     berth_http_req_api_version(req), &err);

	reply_out(req, out, &err, 200);
}


void api_container_start(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	int ret = berth_engine_container_start(eng(ctx), id_param(req), &err);

	reply_status(req, ret, &err, 204);
}

void api_container_kill(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	int ret = berth_engine_container_kill(eng(ctx), id_param(req),
					      berth_http_req_query(req, "signal"), &err);

	reply_status(req, ret, &err, 204);
}

void api_container_pause(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	int ret = berth_engine_container_pause(eng(ctx), id_param(req), true, &err);

	reply_status(req, ret, &err, 204);
}

void api_container_unpause(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	int ret = berth_engine_container_pause(eng(ctx), id_param(req), false, &err);

	reply_status(req, ret, &err, 204);
}

void api_container_rename(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	int ret = berth_engine_container_rename(eng(ctx), id_param(req),
						berth_http_req_query(req, "name"), &err);

	reply_status(req, ret, &err, 204);
}

void api_container_resize(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	long long h, w;
	int ret;

	if (query_int(req, "h", 0, 65535, 0, &h) < 0 || query_int(req, "w", 0, 65535, 0, &w) < 0)
		return;
	ret = berth_engine_container_resize(eng(ctx), id_param(req), (unsigned)h, (unsigned)w,
					    &err);
	if (ret < 0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	berth_http_reply_data(req, 200, "text/plain", "", 0);
}

static void stop_done(void *data, const berth_error_t err);
static void stop_gone(struct berth_http_req *req, void *data);

struct stop_req {
	struct berth_api *api;
	struct berth_http_req *req;
	berth_error_t err;
	bool gone;
};

void api_container_delete(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	struct stop_req *sr;
	int ret;

	if (berth_http_req_query_bool(req, "link", false)) {
		berth_http_reply_error(req, 501, "container links are not implemented");
		return;
	}
	sr = xzalloc(sizeof(*sr));
	sr->api = ctx;
	sr->req = req;
	ret = berth_engine_container_remove(eng(ctx), id_param(req),
					    berth_http_req_query_bool(req, "force", false),
					    berth_http_req_query_bool(req, "v", false), stop_done, sr,
					    &err);
	if (ret == 1) {
		berth_http_req_suspend(req, stop_gone, sr);
		return;
	}
	free(sr);
	reply_status(req, ret, &err, 204);
}

void api_containers_prune(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	struct berth_filters *f = berth_filters_parse(berth_http_req_query(req, "filters"), &err);
	json_t *out;

	if (f == NULL && err) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	out = berth_engine_containers_prune(eng(ctx), f, &err);
	berth_filters_free(f);
	reply_out(req, out, &err, 200);
}

/* --- stop and restart: the request waits for the exit ------------------------------------- */

static void stop_reply(struct berth_http_req *req, void *data)
{
	struct stop_req *sr = data;

	if (sr->err) {
		berth_http_reply_berror(req, sr->err);
		berth_error_release(&sr->err);
	} else {
		berth_http_reply_empty(req, 204);
	}
	free(sr);
}

static void stop_done(void *data, const berth_error_t err)
{
	struct stop_req *sr = data;

	if (err)
		berth_make_error(&sr->err, err->code, "%s", err->msg);
	berth_http_req_resume(sr->req, stop_reply, sr);
}

static void stop_gone(struct berth_http_req *req, void *data)
{
	struct stop_req *sr = data;

	berth_engine_container_forget(sr->api->engine, sr);
	berth_http_req_resume(req, stop_reply, sr);
}

static void stop_or_restart(struct berth_http_req *req, void *ctx, bool restart)
{
	struct stop_req *sr;
	berth_error_t err = NULL;
	long long t;
	int ret;

	if (query_int(req, "t", -1, INT_MAX / 1000, -1, &t) < 0)
		return;
	sr = xzalloc(sizeof(*sr));
	sr->api = ctx;
	sr->req = req;
	if (restart)
		ret = berth_engine_container_restart(eng(ctx), id_param(req),
						     berth_http_req_query(req, "signal"), (int)t,
						     stop_done, sr, &err);
	else
		ret = berth_engine_container_stop(eng(ctx), id_param(req),
						  berth_http_req_query(req, "signal"), (int)t,
						  stop_done, sr, &err);
	if (ret != 0) {
		free(sr);
		/* restart of a stopped container: started at once (204) */
		reply_status(req, ret == 1 && restart ? 0 : ret, &err, 204);
		return;
	}
	berth_http_req_suspend(req, stop_gone, sr);
}

void api_container_stop(struct berth_http_req *req, void *ctx)
{
	stop_or_restart(req, ctx, false);
}

void api_container_restart(struct berth_http_req *req, void *ctx)
{
	stop_or_restart(req, ctx, true);
}

/* --- wait: headers at once, the body when the condition holds ------------------------------ */

struct wait_req {
	struct berth_api *api;
	struct berth_http_stream *st;
	struct berth_container_waiter *w;
};

static void wait_closed(struct berth_http_stream *st, void *data)
{
	struct wait_req *wr = data;

	(void)st;
	if (wr->w)
		berth_engine_container_wait_cancel(wr->api->engine, wr->w);
	free(wr);
}

static void wait_over(void *data, int code, const char *error)
{
	struct wait_req *wr = data;
	json_t *body = json_pack("{s:i, s:n}", "StatusCode", code, "Error");
	cleanup_free char *text = NULL;

	wr->w = NULL; /* the engine frees it after this call */
	if (error)
		json_object_set_new(body, "Error", json_pack("{s:s}", "Message", error));
	/* dockerd's field order */
	{
		json_t *o = json_pack("{s:O, s:O}", "Error", json_object_get(body, "Error"),
				      "StatusCode", json_object_get(body, "StatusCode"));
		json_decref(body);
		body = o;
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text) {
		cleanup_free char *line = xasprintf("%s\n", text);
		berth_http_stream_write(wr->st, line, strlen(line));
	}
	berth_http_stream_end(wr->st);
}

void api_container_wait(struct berth_http_req *req, void *ctx)
{
	const char *cond = berth_http_req_query(req, "condition");
	enum berth_wait_condition c = BERTH_WAIT_NOT_RUNNING;
	berth_error_t err = NULL;
	struct wait_req *wr;

	if (cond && *cond) {
		if (strcmp(cond, "not-running") == 0)
			c = BERTH_WAIT_NOT_RUNNING;
		else if (strcmp(cond, "next-exit") == 0)
			c = BERTH_WAIT_NEXT_EXIT;
		else if (strcmp(cond, "removed") == 0)
			c = BERTH_WAIT_REMOVED;
		else {
			berth_http_reply_error(req, 400, "invalid condition: \"%s\"", cond);
			return;
		}
	}
	wr = xzalloc(sizeof(*wr));
	wr->api = ctx;
	wr->w = berth_engine_container_wait(eng(ctx), id_param(req), c, wait_over, wr, &err);
	if (wr->w == NULL) {
		free(wr);
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	wr->st = berth_http_stream_open(req, 200, "application/json", wait_closed, wr);
	if (wr->st == NULL) {
		berth_engine_container_wait_cancel(eng(ctx), wr->w);
		free(wr);
	}
}

/* --- logs ----------------------------------------------------------------------------------- */

static int query_time(struct berth_http_req *req, const char *name, int64_t *out)
{
	const char *v = berth_http_req_query(req, name);
	berth_error_t err = NULL;

	*out = 0;
	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
		return 0;
	if (berth_time_parse_timestamp(v, berth_time_now_ns(), out, &err) < 0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return -1;
	}
	return 0;
}

void api_container_logs(struct berth_http_req *req, void *ctx)
{
	struct berth_logs_opts o = { 0 };
	const char *tail = berth_http_req_query(req, "tail");
	berth_error_t err = NULL;
	bool tty = false;
	int fd = -1;

	o.follow = berth_http_req_query_bool(req, "follow", false);
	o.stdout_ = berth_http_req_query_bool(req, "stdout", false);
	o.stderr_ = berth_http_req_query_bool(req, "stderr", false);
	o.timestamps = berth_http_req_query_bool(req, "timestamps", false);
	o.tail = -1;
	if (tail && *tail && strcmp(tail, "all") != 0) {
		char *end;
		long long n = strtoll(tail, &end, 10);
		if (*end == '\0' && n >= 0)
			o.tail = n;
	}
	if (query_time(req, "since", &o.since_ns) < 0 || query_time(req, "until", &o.until_ns) < 0)
		return;
	if (berth_engine_container_logs(eng(ctx), id_param(req), &o, &fd, &tty, &err) < 0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	berth_http_stream_open_fd(req, 200,
				  tty ? "application/vnd.docker.raw-stream"
				      : "application/vnd.docker.multiplexed-stream",
				  fd, NULL, NULL);
}

/* --- attach ------------------------------------------------------------------------------------ */

struct attach_req {
	struct berth_api *api;
	char *id;
	struct berth_attach_opts o;
};

static void attach_ready(struct berth_http_hijack *h, void *data)
{
	struct attach_req *ar = data;

	berth_engine_container_attach(ar->api->engine, ar->id, &ar->o, h);
	free(ar->id);
	free(ar);
}

static void attach_closed(struct berth_http_hijack *h, void *data)
{
	struct attach_req *ar = data;

	(void)h;
	free(ar->id);
	free(ar);
}

void api_container_attach(struct berth_http_req *req, void *ctx)
{
	struct attach_req *ar;
	berth_error_t err = NULL;
	bool tty = false;

	if (berth_engine_container_attach_check(eng(ctx), id_param(req), &tty, &err) < 0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	ar = xzalloc(sizeof(*ar));
	ar->api = ctx;
	ar->id = xstrdup(id_param(req));
	ar->o.stream = berth_http_req_query_bool(req, "stream", false);
	ar->o.logs = berth_http_req_query_bool(req, "logs", false);
	ar->o.stdin_ = berth_http_req_query_bool(req, "stdin", false);
	ar->o.stdout_ = berth_http_req_query_bool(req, "stdout", false);
	ar->o.stderr_ = berth_http_req_query_bool(req, "stderr", false);
	if (berth_http_req_hijack(req,
				  tty ? "application/vnd.docker.raw-stream"
				      : "application/vnd.docker.multiplexed-stream",
				  attach_ready, attach_closed, ar) < 0) {
		free(ar->id);
		free(ar);
	}
}

/* --- exec -------------------------------------------------------------------------------------- */

void api_exec_create(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err), *out;

	if (body == NULL) {
		reply_status(req, -1, &err, 0);
		return;
	}
	out = berth_engine_exec_create(eng(ctx), id_param(req), body, &err);
	json_decref(body);
	reply_out(req, out, &err, 201);
}

struct exec_req {
	struct berth_api *api;
	char *id;
	bool tty;
};

static void exec_ready(struct berth_http_hijack *h, void *data)
{
	struct exec_req *xr = data;

	berth_engine_exec_start(xr->api->engine, xr->id, xr->tty, h);
	free(xr->id);
	free(xr);
}

static void exec_closed(struct berth_http_hijack *h, void *data)
{
	struct exec_req *xr = data;

	(void)h;
	free(xr->id);
	free(xr);
}

void api_exec_start(struct berth_http_req *req, void *ctx)
{
	const char *id = id_param(req);
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err);
	struct exec_req *xr;
	bool tty, detach;

	if (body == NULL) {
		reply_status(req, -1, &err, 0);
		return;
	}
	tty = json_is_true(json_object_get(body, "Tty"));
	detach = json_is_true(json_object_get(body, "Detach"));
	json_decref(body);
	if (berth_engine_exec_start_check(eng(ctx), id, &err) < 0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	if (detach) {
		if (berth_engine_exec_start_detached(eng(ctx), id, tty, &err) < 0) {
			berth_http_reply_berror(req, err);
			berth_error_release(&err);
			return;
		}
		berth_http_reply_data(req, 200, "application/json", "", 0);
		return;
	}
	xr = xzalloc(sizeof(*xr));
	xr->api = ctx;
	xr->id = xstrdup(id);
	xr->tty = tty;
	if (berth_http_req_hijack(req,
				  tty ? "application/vnd.docker.raw-stream"
				      : "application/vnd.docker.multiplexed-stream",
				  exec_ready, exec_closed, xr) < 0) {
		free(xr->id);
		free(xr);
	}
}

void api_exec_inspect(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *out = berth_engine_exec_inspect(eng(ctx), id_param(req), &err);

	reply_out(req, out, &err, 200);
}

void api_exec_resize(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	long long h, w;

	if (query_int(req, "h", 0, 65535, 0, &h) < 0 || query_int(req, "w", 0, 65535, 0, &w) < 0)
		return;
	if (berth_engine_exec_resize(eng(ctx), id_param(req), (unsigned)h, (unsigned)w, &err) < 0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	berth_http_reply_data(req, 200, "text/plain", "", 0);
}

/* --- top, stats, update ------------------------------------------------------------------------ */

void api_container_top(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *out = berth_engine_container_top(eng(ctx), id_param(req),
						 berth_http_req_query(req, "ps_args"), &err);

	reply_out(req, out, &err, 200);
}

void api_container_update(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err), *warnings = NULL;
	int ret;

	if (body == NULL) {
		reply_status(req, -1, &err, 0);
		return;
	}
	ret = berth_engine_container_update(eng(ctx), id_param(req), body, &warnings, &err);
	json_decref(body);
	if (ret < 0) {
		json_decref(warnings);
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	berth_http_reply_json(req, 200, json_pack("{s:o}", "Warnings", warnings));
}

#define STATS_INTERVAL_MS 1000

struct stats_req {
	struct berth_api *api;
	struct berth_http_stream *st;
	char *id;
	json_t *prev;
	uint64_t timer;
	bool stream;
};

static void stats_closed(struct berth_http_stream *st, void *data)
{
	struct stats_req *sr = data;

	(void)st;
	if (sr->timer)
		berth_loop_timer_cancel(sr->api->loop, sr->timer);
	json_decref(sr->prev);
	free(sr->id);
	free(sr);
}

static void stats_tick(void *data)
{
	struct stats_req *sr = data;
	berth_error_t err = NULL;
	bool running = false;
	json_t *s;
	cleanup_free char *text = NULL;

	sr->timer = 0;
	s = berth_engine_container_stats(sr->api->engine, sr->id, sr->prev, &running, &err);
	if (s == NULL) { /* removed meanwhile */
		berth_error_release(&err);
		berth_http_stream_end(sr->st);
		return;
	}
	text = json_dumps(s, JSON_COMPACT);
	json_decref(sr->prev);
	sr->prev = s;
	if (text) {
		cleanup_free char *line = xasprintf("%s\n", text);
		if (berth_http_stream_write(sr->st, line, strlen(line)) < 0)
			return; /* closing: stats_closed frees */
	}
	if (!sr->stream || !running) {
		berth_http_stream_end(sr->st);
		return;
	}
	sr->timer = berth_loop_timer_add(sr->api->loop, STATS_INTERVAL_MS, stats_tick, sr);
}

void api_container_stats(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	berth_error_t err = NULL;
	bool running = false, one_shot = berth_http_req_query_bool(req, "one-shot", false);
	struct stats_req *sr;
	json_t *first;

	first = berth_engine_container_stats(api->engine, id_param(req), NULL, &running, &err);
	if (first == NULL) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	sr = xzalloc(sizeof(*sr));
	sr->api = api;
	sr->id = xstrdup(id_param(req));
	sr->stream = berth_http_req_query_bool(req, "stream", true);
	sr->st = berth_http_stream_open(req, 200, "application/json", stats_closed, sr);
	if (sr->st == NULL) {
		json_decref(first);
		free(sr->id);
		free(sr);
		return;
	}
	if (one_shot || !running) {
		/* one sample now, without a CPU baseline */
		sr->prev = NULL;
		{
			cleanup_free char *text = json_dumps(first, JSON_COMPACT);
			cleanup_free char *line = xasprintf("%s\n", text ? text : "{}");
			json_decref(first);
			if (berth_http_stream_write(sr->st, line, strlen(line)) < 0)
				return;
		}
		if (!sr->stream || !running) {
			berth_http_stream_end(sr->st);
			return;
		}
		sr->timer = berth_loop_timer_add(api->loop, STATS_INTERVAL_MS, stats_tick, sr);
		return;
	}
	/* as dockerd: the first sample carries a CPU baseline a second old */
	sr->prev = first;
	sr->timer = berth_loop_timer_add(api->loop, STATS_INTERVAL_MS, stats_tick, sr);
}
