/* images.c: /images/... and pull streams. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/cleanup.h"
#include "base/filters.h"
#include "base/xalloc.h"
#include "engine/images.h"
#include "base/reference.h"

/* --- POST /images/create (pull) ---------------------------------------------------------------- */

/* One pull request: the HTTP side of a pull job. Until the first progress
 * line the request is suspended, so that an early failure (unknown image,
 * denied) is an HTTP error status as with dockerd; then it streams. */
struct pull_req {
	struct berth_api *api;
	struct berth_http_req *req; /* borrowed: valid while suspended or streaming */
	struct berth_http_stream *st;
	struct berth_image_job *job; /* NULL once done or detached */
	json_t *queued;		     /* lines that arrived before the stream opened */
	bool resuming;		     /* a continuation is pending */
	bool done;
	berth_error_t err; /* owned: the job's failure */
	char *familiar;	   /* owned: for messages */
	char *name;	   /* owned: repository name, for messages */
};

static void pull_req_free(struct pull_req *pr)
{
	json_decref(pr->queued);
	berth_error_release(&pr->err);
	free(pr->familiar);
	free(pr->name);
	free(pr);
}

static void write_line(struct berth_http_stream *st, json_t *msg)
{
	cleanup_free char *text = json_dumps(msg, JSON_COMPACT);

	if (text) {
		cleanup_free char *line = xasprintf("%s\r\n", text);
		berth_http_stream_write(st, line, strlen(line));
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* moby's translatePullError: the registry's error code decides the words
 * clients look for ("manifest unknown", "repository does not exist"). */
static char *pull_error_text(const struct pull_req *pr, const berth_error_t err)
{
	if (pr->familiar == NULL)
		return xstrdup(err->msg);
	if (starts_with(err->msg, "manifest unknown"))
		return xasprintf("manifest for %s not found: %s", pr->familiar, err->msg);
	if (starts_with(err->msg, "name unknown"))
		return xasprintf("repository %s not found: %s", pr->name, err->msg);
	if (starts_with(err->msg, "denied"))
		return xasprintf(
		    "pull access denied for %s, repository does not exist or may require 'docker login': %s",
		    pr->name, err->msg);
	return xstrdup(err->msg);
}

static unsigned pull_error_status(const struct pull_req *pr, const berth_error_t err)
{
	if (pr->familiar &&
	    (starts_with(err->msg, "manifest unknown") || starts_with(err->msg, "name unknown") ||
	     starts_with(err->msg, "denied")))
		return 404;
	/* 401 would make the docker CLI prompt for a login; 403 is a plain refusal */
	return berth_http_status_for_errno(err->code);
}

static void finish_stream(struct pull_req *pr)
{
	if (pr->err) {
		cleanup_free char *m = pull_error_text(pr, pr->err);
		json_t *e = json_pack("{s:{s:s}, s:s}", "errorDetail", "message", m, "error", m);
		write_line(pr->st, e);
		json_decref(e);
	}
	berth_http_stream_end(pr->st);
}

static void pull_stream_closed(struct berth_http_stream *st, void *data)
{
	struct pull_req *pr = data;

	pr->st = NULL;
	if (pr->job)
		berth_image_job_detach(pr->job);
	pull_req_free(pr);
}

static void open_stream(struct berth_http_req *req, void *ctx)
{
	struct pull_req *pr = ctx;
	json_t *msg;
	size_t i;

	pr->resuming = false;
	pr->st = berth_http_stream_open(req, 200, "application/json", pull_stream_closed, pr);
	json_array_foreach (pr->queued, i, msg)
		write_line(pr->st, msg);
	json_array_clear(pr->queued);
	if (pr->done)
		finish_stream(pr);
}

static void reply_failure(struct berth_http_req *req, void *ctx)
{
	struct pull_req *pr = ctx;
	cleanup_free char *m =
	    pr->err ? pull_error_text(pr, pr->err) : xstrdup("pull ended without a result");

	berth_http_reply_error(req, pr->err ? pull_error_status(pr, pr->err) : 500, "%s", m);
	pull_req_free(pr);
}

static void job_msg(void *data, json_t *msg)
{
	struct pull_req *pr = data;

	if (pr->st) {
		write_line(pr->st, msg);
		json_decref(msg);
		return;
	}
	json_array_append_new(pr->queued, msg);
	if (!pr->resuming) {
		pr->resuming = true;
		berth_http_req_resume(pr->req, open_stream, pr);
	}
}

static void job_done(void *data, const berth_error_t err)
{
	struct pull_req *pr = data;

	pr->job = NULL; /* the job frees itself after this call */
	pr->done = true;
	if (err)
		berth_make_error(&pr->err, err->code, "%s", err->msg);
	if (pr->st)
		finish_stream(pr);
	else if (!pr->resuming)
		berth_http_req_resume(pr->req, reply_failure, pr);
	/* else: open_stream runs next and finishes the stream */
}

static void reply_gone(struct berth_http_req *req, void *ctx)
{
	pull_req_free(ctx);
	berth_http_reply_error(req, 400, "client went away");
}

static void pull_client_gone(struct berth_http_req *req, void *data)
{
	struct pull_req *pr = data;

	if (pr->job)
		berth_image_job_detach(pr->job);
	pr->job = NULL;
	if (!pr->resuming) {
		pr->resuming = true;
		berth_http_req_resume(req, reply_gone, pr);
	}
}

static struct pull_req *pull_req_new(struct berth_api *api, struct berth_http_req *req)
{
	struct pull_req *pr = xzalloc(sizeof(*pr));

	pr->api = api;
	pr->req = req;
	pr->queued = json_array();
	return pr;
}

/* The job started (PR->job set): the request waits for its first line; it
 * could not start: ERR is the answer. */
static void pull_req_run(struct berth_http_req *req, struct pull_req *pr, const berth_error_t err)
{
	if (pr->job == NULL) {
		pull_req_free(pr);
		berth_http_reply_berror(req, err);
		return;
	}
	berth_http_req_suspend(req, pull_client_gone, pr);
}

/* fromImage=busybox&tag=latest, tag may be a digest. */
static char *pull_reference(struct berth_http_req *req)
{
	const char *image = berth_http_req_query(req, "fromImage");
	const char *tag = berth_http_req_query(req, "tag");

	if (image == NULL || *image == '\0')
		return NULL;
	if (tag == NULL || *tag == '\0')
		return xstrdup(image);
	return xasprintf("%s%s%s", image, strncmp(tag, "sha256:", 7) == 0 ? "@" : ":", tag);
}

void api_images_create(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	cleanup_free char *ref_text = NULL;
	struct berth_registry_auth auth = { 0 };
	struct berth_platform platform = { 0 };
	const char *plat = berth_http_req_query(req, "platform");
	struct berth_ref ref;
	struct pull_req *pr;

	if (berth_http_req_query(req, "fromSrc")) {
		berth_http_reply_error(req, 501, "not implemented: berth cannot import images yet");
		return;
	}
	ref_text = pull_reference(req);
	if (ref_text == NULL) {
		berth_http_reply_error(req, 400, "fromImage or fromSrc is required");
		return;
	}
	if (berth_ref_parse(ref_text, &ref, &err) < 0) {
		berth_http_reply_berror(req, err);
		return;
	}
	/* dockerd pulls without credentials when the header cannot be decoded */
	if (berth_registry_auth_decode(berth_http_req_header(req, "X-Registry-Auth"), &auth, NULL) <
	    0)
		memset(&auth, 0, sizeof(auth));
	if (plat && *plat && berth_platform_parse(plat, &platform, &err) < 0) {
		berth_ref_release(&ref);
		berth_platform_release(&platform);
		berth_http_reply_berror(req, err);
		return;
	}
	pr = pull_req_new(api, req);
	berth_ref_default_tag(&ref);
	pr->familiar = berth_ref_familiar(&ref);
	pr->name = berth_ref_familiar_name(&ref);
	berth_ref_release(&ref);
	pr->job = berth_engine_pull(api->engine, ref_text, plat && *plat ? &platform : NULL, &auth,
				    job_msg, job_done, pr, &err);
	berth_registry_auth_release(&auth);
	berth_platform_release(&platform);
	pull_req_run(req, pr, err);
}

/* --- POST /images/{name}/push ----------------------------------------------------------------- */

void api_image_push(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	struct berth_registry_auth auth = { 0 };
	struct pull_req *pr;

	if (berth_registry_auth_decode(berth_http_req_header(req, "X-Registry-Auth"), &auth, &err) <
	    0) {
		berth_http_reply_berror(req, err);
		return;
	}
	pr = pull_req_new(api, req);
	pr->job =
	    berth_engine_push(api->engine, berth_http_req_param(req, "name"),
			      berth_http_req_query(req, "tag"), &auth, job_msg, job_done, pr, &err);
	berth_registry_auth_release(&auth);
	pull_req_run(req, pr, err);
}

/* --- GET /distribution/{name}/json --------------------------------------------------------------- */

struct dist_req {
	struct berth_http_req *req;
	json_t *result; /* owned */
	struct berth_image_job *job;
};

static void dist_reply(struct berth_http_req *req, void *ctx)
{
	struct dist_req *d = ctx;

	berth_http_reply_json(req, 200, steal_pointer(&d->result));
	free(d);
}

static void dist_fail(struct berth_http_req *req, void *ctx)
{
	struct dist_req *d = ctx;

	berth_http_reply_error(req, 500, "distribution inspect failed");
	json_decref(d->result);
	free(d);
}

static void dist_fail_with(struct berth_http_req *req, void *ctx)
{
	struct dist_req *d = ctx;
	json_t *r = d->result;

	berth_http_reply_error(req, (unsigned)json_integer_value(json_object_get(r, "status")),
			       "%s", json_string_value(json_object_get(r, "message")));
	json_decref(r);
	free(d);
}

static void dist_result(void *data, json_t *msg)
{
	struct dist_req *d = data;

	json_decref(d->result);
	d->result = msg;
}

static void dist_done(void *data, const berth_error_t err)
{
	struct dist_req *d = data;

	d->job = NULL;
	if (err || d->result == NULL) {
		/* the continuation needs the error after the job is gone */
		cleanup_free char *m = xstrdup(err ? err->msg : "no answer from the registry");
		unsigned status = berth_http_status_for_errno(err ? err->code : EIO);
		struct berth_http_req *req = d->req;
		json_decref(d->result);
		d->result = json_pack("{s:s, s:i}", "message", m, "status", (int)status);
		berth_http_req_resume(req, dist_fail_with, d);
		return;
	}
	berth_http_req_resume(d->req, dist_reply, d);
}

static void dist_gone(struct berth_http_req *req, void *data)
{
	struct dist_req *d = data;

	if (d->job)
		berth_image_job_detach(d->job);
	d->job = NULL;
	berth_http_req_resume(req, dist_fail, d);
}

void api_distribution_inspect(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	struct berth_registry_auth auth = { 0 };
	struct dist_req *d;

	if (berth_registry_auth_decode(berth_http_req_header(req, "X-Registry-Auth"), &auth, &err) <
	    0) {
		berth_http_reply_berror(req, err);
		return;
	}
	d = xzalloc(sizeof(*d));
	d->req = req;
	d->job = berth_engine_distribution(api->engine, berth_http_req_param(req, "name"), &auth,
					   dist_result, dist_done, d, &err);
	berth_registry_auth_release(&auth);
	if (d->job == NULL) {
		free(d);
		berth_http_reply_berror(req, err);
		return;
	}
	berth_http_req_suspend(req, dist_gone, d);
}

/* --- save and load -------------------------------------------------------------------------------- */

static void save_names(struct berth_http_req *req, json_t *names)
{
	struct berth_api *api = berth_http_req_ctx(req);
	cleanup_error berth_error_t err = NULL;
	int fd;

	if (json_array_size(names) == 0) {
		berth_http_reply_error(req, 400, "no image names given");
		return;
	}
	if (berth_engine_save(api->engine, names, &fd, &err) < 0) {
		berth_http_reply_berror(req, err);
		return;
	}
	berth_http_stream_open_fd(req, 200, "application/x-tar", fd, NULL, NULL);
}

void api_images_get(struct berth_http_req *req, void *ctx)
{
	json_t *names = berth_http_req_query_all(req, "names");

	save_names(req, names);
	json_decref(names);
}

void api_image_get(struct berth_http_req *req, void *ctx)
{
	json_t *names = json_pack("[s]", berth_http_req_param(req, "name"));

	save_names(req, names);
	json_decref(names);
}

void api_images_load(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	int fd = berth_http_req_take_body_fd(req, NULL);
	struct pull_req *pr;

	if (fd < 0) {
		berth_http_reply_error(req, 400, "no archive in the request body");
		return;
	}
	pr = pull_req_new(api, req);
	pr->job = berth_engine_load(api->engine, fd, job_msg, job_done, pr, &err);
	pull_req_run(req, pr, err);
}

/* --- list, inspect, history, tag, remove ----------------------------------------------------------- */

void api_images_list(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	struct berth_filters *f = berth_filters_parse(berth_http_req_query(req, "filters"), &err);
	json_t *out;

	if (f == NULL) {
		berth_http_reply_berror(req, err);
		return;
	}
	/* the old `filter=name` argument is a reference filter */
	if (berth_http_req_query(req, "filter")) {
		berth_filters_free(f);
		cleanup_free char *text = NULL;
		json_t *j = json_pack("{s:[s]}", "reference", berth_http_req_query(req, "filter"));
		text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		f = berth_filters_parse(text, &err);
	}
	out = f ? berth_engine_images_list(api->engine, f,
					   berth_http_req_query_bool(req, "digests", false),
					   berth_http_req_api_version(req), &err)
		: NULL;
	berth_filters_free(f);
	if (out == NULL)
		berth_http_reply_berror(req, err);
	else
		berth_http_reply_json(req, 200, out);
}

void api_image_inspect(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	json_t *j = berth_engine_image_inspect(api->engine, berth_http_req_param(req, "name"),
					       berth_http_req_api_version(req), &err);

	if (j == NULL)
		berth_http_reply_berror(req, err);
	else
		berth_http_reply_json(req, 200, j);
}

void api_image_history(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	json_t *j =
	    berth_engine_image_history(api->engine, berth_http_req_param(req, "name"), &err);

	if (j == NULL)
		berth_http_reply_berror(req, err);
	else
		berth_http_reply_json(req, 200, j);
}

void api_image_tag(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;

	if (berth_engine_image_tag(api->engine, berth_http_req_param(req, "name"),
				   berth_http_req_query(req, "repo"),
				   berth_http_req_query(req, "tag"), &err) < 0)
		berth_http_reply_berror(req, err);
	else
		berth_http_reply_empty(req, 201);
}

void api_image_delete(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	json_t *j =
	    berth_engine_image_remove(api->engine, berth_http_req_param(req, "name"),
				      berth_http_req_query_bool(req, "force", false),
				      berth_http_req_query_bool(req, "noprune", false), &err);

	if (j == NULL)
		berth_http_reply_berror(req, err);
	else
		berth_http_reply_json(req, 200, j);
}

void api_images_search(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(
	    req, 501, "image search is not available: berth has no registry index configured");
}

void api_images_prune(struct berth_http_req *req, void *ctx)
{
	struct berth_api *api = ctx;
	cleanup_error berth_error_t err = NULL;
	struct berth_filters *f = berth_filters_parse(berth_http_req_query(req, "filters"), &err);
	json_t *j = f ? berth_engine_images_prune(api->engine, f, &err) : NULL;

	berth_filters_free(f);
	if (j == NULL)
		berth_http_reply_berror(req, err);
	else
		berth_http_reply_json(req, 200, j);
}
