/* system.c: /_ping, /version, /info, /events, /system/df. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/cleanup.h"
#include "base/filters.h"
#include "base/timeutil.h"
#include "base/xalloc.h"

void api_ping(struct berth_http_req *req, void *ctx)
{
	berth_http_req_add_header(req, "Builder-Version", "1");
	berth_http_req_add_header(req, "Docker-Experimental", "false");
	berth_http_req_add_header(req, "Swarm", "inactive");
	berth_http_req_add_header(req, "Cache-Control", "no-cache, no-store, must-revalidate");
	berth_http_req_add_header(req, "Pragma", "no-cache");
	berth_http_reply_data(req, 200, "text/plain; charset=utf-8", "OK", 2);
}

void api_version(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	berth_http_reply_json(req, 200, berth_engine_version(api->engine));
}

void api_info(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	berth_http_reply_json(req, 200, berth_engine_info(api->engine));
}

/* --- /events ------------------------------------------------------------ */

struct events_watch {
	struct berth_api *api;
	struct berth_http_stream *stream;
	struct berth_filters *filters; /* owned */
	struct berth_events_sub *sub;
	uint64_t until_timer;
	bool legacy;
};

static void events_send(const struct berth_event *ev, void *data)
{
	struct events_watch *w = data;
	cleanup_free char *text = NULL;
	json_t *j;

	if (!berth_event_match(ev, w->filters))
		return;
	j = berth_event_to_json(ev, w->legacy);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text) {
		cleanup_free char *line = xasprintf("%s\n", text);
		berth_http_stream_write(w->stream, line, strlen(line));
	}
}

static void events_until_reached(void *data)
{
	struct events_watch *w = data;

	w->until_timer = 0;
	berth_http_stream_end(w->stream);
}

static void events_closed(struct berth_http_stream *st, void *data)
{
	struct events_watch *w = data;

	berth_events_unsubscribe(berth_engine_events(w->api->engine), w->sub);
	if (w->until_timer)
		berth_loop_timer_cancel(w->api->loop, w->until_timer);
	berth_filters_free(w->filters);
	free(w);
}

static int parse_window(struct berth_http_req *req, int64_t now, int64_t *since, int64_t *until,
			berth_error_t *err)
{
	const char *s = berth_http_req_query(req, "since");
	const char *u = berth_http_req_query(req, "until");

	*since = -1;
	*until = -1;
	if (s && *s && berth_time_parse_timestamp(s, now, since, err) < 0)
		return -1;
	if (u && *u && berth_time_parse_timestamp(u, now, until, err) < 0)
		return -1;
	if (*until >= 0 && *since > *until)
		return berth_make_error(
		    err, EINVAL, "`since` time (%s) cannot be after `until` time (%s)", s, u);
	return 0;
}

void api_events(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	struct berth_events *bus = berth_engine_events(api->engine);
	cleanup_error berth_error_t err = NULL;
	int64_t now = berth_time_now_ns(), since, until;
	struct berth_filters *filters;
	struct events_watch *w;

	if (parse_window(req, now, &since, &until, &err) < 0) {
		berth_http_reply_berror(req, err);
		return;
	}
	filters = berth_filters_parse(berth_http_req_query(req, "filters"), &err);
	if (filters == NULL) {
		berth_http_reply_berror(req, err);
		return;
	}
	w = xzalloc(sizeof(*w));
	w->api = api;
	w->filters = filters;
	w->legacy = berth_http_req_version_lt(req, 1, 52);
	w->stream = berth_http_stream_open(req, 200, "application/json", events_closed, w);
	if (since >= 0)
		berth_events_replay(bus, since, until, events_send, w);
	if (until >= 0 && until <= now) {
		berth_http_stream_end(w->stream);
		return;
	}
	w->sub = berth_events_subscribe(bus, events_send, w);
	if (until >= 0)
		w->until_timer = berth_loop_timer_add(api->loop, (until - now) / 1000000 + 1,
						      events_until_reached, w);
}

/* --- /system/df ------------------------------------------------------------- */

void api_system_df(struct berth_http_req *req, void *ctx)
{
	static const char *const types[] = { "image", "container", "volume", "build-cache" };
	struct berth_api *api = ctx;
	bool want[4] = { true, true, true, true };
	const char *t = berth_http_req_query(req, "type");
	size_t i;

	/* API 1.42 added ?type= to ask for some kinds only */
	if (t && *t) {
		for (i = 0; i < 4; i++)
			want[i] = strcmp(t, types[i]) == 0;
		if (!want[0] && !want[1] && !want[2] && !want[3]) {
			berth_http_reply_error(req, 400, "invalid type: %s", t);
			return;
		}
	}
	berth_http_reply_json(
	    req, 200, berth_engine_disk_usage(api->engine, want[0], want[1], want[2], want[3]));
}

/* --- what berth does not have ---------------------------------------------- */

void api_plugins_list(struct berth_http_req *req, void *ctx)
{
	/* berth has no managed-plugin system: the list is truly empty */
	berth_http_reply_json(req, 200, json_array());
}

void api_plugin_inspect(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(req, 404, "plugin \"%s\" not found",
			       berth_http_req_param(req, "name"));
}

void api_swarm_inactive(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(
	    req, 503,
	    "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.");
}

void api_not_implemented(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(req, 501, "not implemented: berth does not serve %s %s yet",
			       berth_http_req_method(req), berth_http_req_path(req));
}

void api_no_such_container(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(req, 404, "No such container: %s", berth_http_req_param(req, "id"));
}
