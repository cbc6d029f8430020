/* volumes.c: /volumes/... (engine/volumes.h). */
#include "config.h"

#include "api/api_internal.h"
#include "base/filters.h"
#include "engine/volumes.h"

static struct berth_engine *eng(void *ctx)
{
	return ((struct berth_api *)ctx)->engine;
}

/* OUT with STATUS, or the error *ERR (released) when OUT is NULL. */
static void answer(struct berth_http_req *req, json_t *out, berth_error_t *err, unsigned status)
{
	if (out) {
		berth_http_reply_json(req, status, out);
		return;
	}
	berth_http_reply_berror(req, *err);
	berth_error_release(err);
}

/* A list or prune: the filters argument parsed, then FN; *F is NULL
 * (nothing asked) or the caller's to free. False when answered. */
static bool parse_filters(struct berth_http_req *req, struct berth_filters **f)
{
	berth_error_t err = NULL;

	*f = berth_filters_parse(berth_http_req_query(req, "filters"), &err);
	if (*f == NULL && err) {
		answer(req, NULL, &err, 0);
		return false;
	}
	return true;
}

void api_volumes_list(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	struct berth_filters *f;
	json_t *out;

	if (!parse_filters(req, &f))
		return;
	out = berth_engine_volumes_list(eng(ctx), f, &err);
	berth_filters_free(f);
	answer(req, out, &err, 200);
}

void api_volume_create(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	json_t *body = berth_http_req_json(req, &err), *out = NULL;

	if (body) {
		out = berth_engine_volume_create(eng(ctx), body, &err);
		json_decref(body);
	}
	answer(req, out, &err, 201);
}

void api_volume_inspect(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;

	answer(req, berth_engine_volume_inspect(eng(ctx), berth_http_req_param(req, "name"), &err),
	       &err, 200);
}

void api_volume_update(struct berth_http_req *req, void *ctx)
{
	(void)ctx;
	berth_http_reply_error(req, 503,
			       "volume update only valid for cluster volumes, but swarm is not "
			       "enabled");
}

void api_volume_delete(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;

	if (berth_engine_volume_remove(eng(ctx), berth_http_req_param(req, "name"),
				       berth_http_req_query_bool(req, "force", false), &err) < 0) {
		answer(req, NULL, &err, 0);
		return;
	}
	berth_http_reply_empty(req, 204);
}

/* API 1.42 made prune take anonymous volumes only, unless all=true. */
void api_volumes_prune(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	struct berth_filters *f;
	json_t *out;

	if (!parse_filters(req, &f))
		return;
	out = berth_engine_volumes_prune(eng(ctx), f, berth_http_req_version_lt(req, 1, 42), &err);
	berth_filters_free(f);
	answer(req, out, &err, 200);
}
