/* archive.c: a container's filesystem: /containers/{id}/archive (HEAD: the
 * stat of a path, GET: its tar, PUT: a tar extracted into a directory),
 * /containers/{id}/export and /containers/{id}/changes. The work runs on
 * engine worker threads; the request waits suspended for its result. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "base/cleanup.h"
#include "base/xalloc.h"
#include "engine/carchive.h"

enum arc_kind {
	ARC_STAT,
	ARC_GET,
	ARC_PUT,
	ARC_CHANGES
};

/* One suspended request and what its job gave. */
struct arc_req {
	enum arc_kind kind;
	struct berth_http_req *req;	/* borrowed: valid until resumed */
	struct berth_carchive_job *job; /* borrowed: NULL once it has answered */
	unsigned status;		/* an error's, with MESSAGE */
	char *message;			/* owned */
	char *stat_header;		/* owned */
	int fd;				/* owned: GET's tar */
	json_t *changes;		/* owned */
};

static struct berth_engine *eng(void *ctx)
{
	return ((struct berth_api *)ctx)->engine;
}

static void arc_free(struct arc_req *ar)
{
	free(ar->message);
	free(ar->stat_header);
	if (ar->fd >= 0)
		close(ar->fd);
	json_decref(ar->changes);
	free(ar);
}

#define STAT_HEADER "X-Docker-Container-Path-Stat"

/* Loop thread, resumed: the answer. */
static void arc_answer(struct berth_http_req *req, void *ctx)
{
	struct arc_req *ar = ctx;

	if (ar->message) {
		berth_http_reply_error(req, ar->status, "%s", ar->message);
	} else if (ar->kind == ARC_STAT) {
		berth_http_req_add_header(req, STAT_HEADER, ar->stat_header);
		berth_http_reply_empty(req, 200);
	} else if (ar->kind == ARC_GET) {
		berth_http_req_add_header(req, STAT_HEADER, ar->stat_header);
		berth_http_stream_open_fd(req, 200, "application/x-tar", steal_fd(&ar->fd), NULL,
					  NULL);
	} else if (ar->kind == ARC_PUT) {
		berth_http_reply_empty(req, 200);
	} else if (json_is_null(ar->changes)) {
		/* docker's nil list; jansson encodes only arrays and objects */
		berth_http_reply_data(req, 200, "application/json", "null\n", 5);
	} else {
		berth_http_reply_json(req, 200, steal_pointer(&ar->changes));
	}
	arc_free(ar);
}

/* The client went away before the answer (or the server stops). */
static void arc_dropped(struct berth_http_req *req, void *ctx)
{
	berth_http_reply_error(req, 500, "the client went away");
}

static void arc_gone(struct berth_http_req *req, void *data)
{
	struct arc_req *ar = data;

	/* the job forgets AR, so AR goes now: the server may never resume */
	if (ar->job)
		berth_carchive_job_forget(ar->job);
	arc_free(ar);
	berth_http_req_resume(req, arc_dropped, NULL);
}

/* The engine's result, on the loop thread. */
static void arc_result(void *data, struct berth_carchive_result *r)
{
	struct arc_req *ar = data;

	ar->job = NULL;
	if (r->err) {
		ar->status = berth_http_status_for_errno(r->err->code);
		ar->message = xstrdup(r->err->msg);
	} else if (ar->kind == ARC_STAT || ar->kind == ARC_GET) {
		ar->stat_header = berth_carchive_stat_header(&r->stat);
		ar->fd = steal_fd(&r->fd);
	} else if (ar->kind == ARC_CHANGES) {
		ar->changes = steal_pointer(&r->changes);
	}
	berth_http_req_resume(ar->req, arc_answer, ar);
}

static struct arc_req *arc_new(struct berth_http_req *req, enum arc_kind kind)
{
	struct arc_req *ar = xzalloc(sizeof(*ar));

	ar->kind = kind;
	ar->req = req;
	ar->fd = -1;
	return ar;
}

/* Waits for the job, or answers the error that kept it from starting. */
static void arc_wait(struct berth_http_req *req, struct arc_req *ar, berth_error_t *err)
{
	if (ar->job == NULL) {
		berth_http_reply_berror(req, *err);
		berth_error_release(err);
		arc_free(ar);
		return;
	}
	berth_http_req_suspend(req, arc_gone, ar);
}

/* docker's ArchiveFormValues: the path is required (its message lacks a
 * space, as docker's does). */
static const char *path_param(struct berth_http_req *req)
{
	const char *p = berth_http_req_query(req, "path");

	if (p == NULL || *p == '\0') {
		berth_http_reply_error(req, 400, "bad parameter: pathcannot be empty");
		return NULL;
	}
	return p;
}

/* HEAD and GET: a job on the path. */
static void path_request(struct berth_http_req *req, void *ctx, enum arc_kind kind)
{
	const char *path = path_param(req), *id = berth_http_req_param(req, "id");
	berth_error_t err = NULL;
	struct arc_req *ar;

	if (path == NULL)
		return;
	ar = arc_new(req, kind);
	ar->job = kind == ARC_STAT
		      ? berth_engine_container_stat_path(eng(ctx), id, path, arc_result, ar, &err)
		      : berth_engine_container_archive(eng(ctx), id, path, arc_result, ar, &err);
	arc_wait(req, ar, &err);
}

void api_container_archive_head(struct berth_http_req *req, void *ctx)
{
	path_request(req, ctx, ARC_STAT);
}

void api_container_archive_get(struct berth_http_req *req, void *ctx)
{
	path_request(req, ctx, ARC_GET);
}

void api_container_archive_put(struct berth_http_req *req, void *ctx)
{
	const char *path = path_param(req);
	struct berth_extract_opts o = {
		.no_overwrite_dir_nondir =
		    berth_http_req_query_bool(req, "noOverwriteDirNonDir", false),
		.copy_uid_gid = berth_http_req_query_bool(req, "copyUIDGID", false),
	};
	berth_error_t err = NULL;
	struct arc_req *ar;
	int fd;

	if (path == NULL)
		return;
	fd = berth_http_req_take_body_fd(req, NULL);
	if (fd < 0) /* no body: an empty archive, which extracts nothing */
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		berth_http_reply_error(req, 500, "open /dev/null: %s", strerror(errno));
		return;
	}
	ar = arc_new(req, ARC_PUT);
	ar->job = berth_engine_container_extract(eng(ctx), berth_http_req_param(req, "id"), path,
						 &o, fd, arc_result, ar, &err);
	arc_wait(req, ar, &err);
}

void api_container_changes(struct berth_http_req *req, void *ctx)
{
	struct arc_req *ar = arc_new(req, ARC_CHANGES);
	berth_error_t err = NULL;

	ar->job = berth_engine_container_changes(eng(ctx), berth_http_req_param(req, "id"),
						 arc_result, ar, &err);
	arc_wait(req, ar, &err);
}

void api_container_export(struct berth_http_req *req, void *ctx)
{
	berth_error_t err = NULL;
	int fd;

	if (berth_engine_container_export(eng(ctx), berth_http_req_param(req, "id"), &fd, &err) <
	    0) {
		berth_http_reply_berror(req, err);
		berth_error_release(&err);
		return;
	}
	/* docker sets no type: Go's sniffing finds none for a tar */
	berth_http_stream_open_fd(req, 200, "application/octet-stream", fd, NULL, NULL);
}
