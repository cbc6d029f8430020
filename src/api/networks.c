/* networks.c: /networks/... (engine/networks.h). */
#include "config.h"

#include "api/api_internal.h"
#include "base/filters.h"
#include "engine/networks.h"

static struct berth_engine *eng(void *ctx)
{
	return ((struct berth_api *)ctx)->engine;
}

static void reply(struct berth_http_req *req, json_t *out, berth_error_t *err, unsigned status)
{
	if (out == NULL) {
		berth_http_reply_berror(req, *err);
		berth_error_release(err);
		return;
	}
	berth_http_reply_json(req, status, out);
}

static void reply_ret(struct berth_http_req *req, int ret, berth_error_t *err, unsigned status)
{
	if (ret < 0) {
		berth_http_reply_berror(req, *err);
		berth_error_release(err);
		return;
	}
	berth_http_reply_empty(req, status);
}

/* The filters argument, or an answer sent (*OK false). */
static struct berth_filters *filters(struct berth_http_req *req, bool *ok)
{
	berth_error_t err = NULL;
	struct berth_filters *f = berth_filters_parse(berth_http_req_query(req, "filters"), &err);

	*ok = f != NULL || err == NULL;
	if (!*ok) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
	}
	return f;
}

/* A list or a prune: FN with the filters argument. */
static void with_filters(struct berth_http_req *req, void *ctx,
			 json_t *(*fn)(struct berth_engine *, const struct berth_filters *,
				       berth_error_t *))
{
	berth_error_t err = NULL;
	bool ok;
	struct berth_filters *f = filters(req, &ok);
	json_t *out;

	if (!ok)
		return;
	out = fn(eng(ctx), f, &err);
	berth_filters_free(f);
	reply(req, out, &err, 200);
}

void api_networks_list(struct berth_http_req *req, void *ctx)
{
	with_filters(req, ctx, berth_engine_networks_list);
}

void api_network_inspect(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;

	reply(req, berth_engine_network_inspect(eng(ctx), berth_http_req_param(req, "id"), &err),
	      &err, 200);
}

void api_network_create(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err), *out;

	if (body == NULL) {
		reply(req, NULL, &err, 0);
		return;
	}
	out = berth_engine_network_create(eng(ctx), body, &err);
	json_decref(body);
	reply(req, out, &err, 201);
}

void api_network_delete(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;

	reply_ret(req, berth_engine_network_remove(eng(ctx), berth_http_req_param(req, "id"), &err),
		  &err, 204);
}

void api_networks_prune(struct berth_http_req *req, void *ctx)
{
	with_filters(req, ctx, berth_engine_networks_prune);
}

static void connect_or_disconnect(struct berth_http_req *req, void *ctx, bool connect)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err);
	int ret;

	if (body == NULL) {
		reply(req, NULL, &err, 0);
		return;
	}
	ret = connect ? berth_engine_network_connect(eng(ctx), berth_http_req_param(req, "id"),
						     body, &err)
		      : berth_engine_network_disconnect(eng(ctx), berth_http_req_param(req, "id"),
							body, &err);
	json_decref(body);
	reply_ret(req, ret, &err, 200);
}

void api_network_connect(struct berth_http_req *req, void *ctx)
{
	connect_or_disconnect(req, ctx, true);
}

void api_network_disconnect(struct berth_http_req *req, void *ctx)
{
	connect_or_disconnect(req, ctx, false);
}
