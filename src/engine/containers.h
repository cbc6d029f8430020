/* containers.h: the engine's container model and the lifecycle the API
 * offers on it (create, start, stop, kill, wait, attach, logs, inspect,
 * list, remove), with docker's rules, texts and events.
 *
 * Each container has a row in the state store (its create request, its
 * image, its state), a directory <data-root>/containers/<id>/ (overlay
 * upper/work/rootfs, json-file log), a directory <exec-root>/containers/<id>/
 * of what does not outlive the host (bundle, hosts files, monitor.json,
 * exit.json, exec/) and, while it runs, a berth-monitor process that
 * outlives the daemon. Loop thread only. */
#ifndef BERTH_ENGINE_CONTAINERS_H
#define BERTH_ENGINE_CONTAINERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/filters.h"

struct berth_engine;
struct berth_http_hijack;

/* POST /containers/create?name=: BODY is the request (Config fields at the
 * top, HostConfig, NetworkingConfig), borrowed. ENOENT "No such image: x"
 * (the CLI pulls and retries), EEXIST for a name in use (409), EINVAL for a
 * bad request. Returns {"Id":..., "Warnings":[...]}. */
json_t *berth_engine_container_create(struct berth_engine *e, const char *name, const json_t *body,
				      berth_error_t *err);

/* POST /containers/{id}/start: 0 started, 1 already running (304). */
int berth_engine_container_start(struct berth_engine *e, const char *name, berth_error_t *err);

/* Runs when a stop (or restart) is over: ERR NULL on success. */
typedef void (*berth_container_done_cb)(void *data, const berth_error_t err);

/* POST /containers/{id}/stop?signal=&t=: sends the stop signal, then
 * SIGKILL after TIMEOUT s (< 0: the container's StopTimeout, else 10).
 * Returns 1 when it was not running (304: DONE is not called), 0 when DONE
 * will be called once it has stopped, -1 on error. */
int berth_engine_container_stop(struct berth_engine *e, const char *name, const char *signal,
				int timeout, berth_container_done_cb done, void *data,
				berth_error_t *err);
/* POST /containers/{id}/restart: stop (if running) then start; DONE runs
 * at the end (0 returned) or the call fails at once (-1). */
int berth_engine_container_restart(struct berth_engine *e, const char *name, const char *signal,
				   int timeout, berth_container_done_cb done, void *data,
				   berth_error_t *err);
/* Forgets DATA: a pending stop/restart will not call its DONE (the client
 * went away). */
void berth_engine_container_forget(struct berth_engine *e, void *data);

/* POST /containers/{id}/kill?signal=: EBUSY (409) "Container x is not
 * running" when it is not. */
int berth_engine_container_kill(struct berth_engine *e, const char *name, const char *signal,
				berth_error_t *err);

/* POST /containers/{id}/pause and /unpause (the freezer). */
int berth_engine_container_pause(struct berth_engine *e, const char *name, bool pause,
				 berth_error_t *err);

/* POST /containers/{id}/rename?name=. */
int berth_engine_container_rename(struct berth_engine *e, const char *name, const char *new_name,
				  berth_error_t *err);

/* POST /containers/{id}/resize?h=&w= (tty containers). */
int berth_engine_container_resize(struct berth_engine *e, const char *name, unsigned h, unsigned w,
				  berth_error_t *err);

enum berth_wait_condition {
	BERTH_WAIT_NOT_RUNNING,
	BERTH_WAIT_NEXT_EXIT,
	BERTH_WAIT_REMOVED
};

/* The wait is over: CODE is the exit status; ERROR a message or NULL. */
typedef void (*berth_container_wait_cb)(void *data, int code, const char *error);

struct berth_container_waiter;

/* POST /containers/{id}/wait: CB runs (later, never inside this call) when
 * CONDITION holds. NULL with *ERR on a bad name. */
struct berth_container_waiter *berth_engine_container_wait(struct berth_engine *e,
							   const char *name,
							   enum berth_wait_condition cond,
							   berth_container_wait_cb cb, void *data,
							   berth_error_t *err);
/* The client went away: CB will not run; W is freed. */
void berth_engine_container_wait_cancel(struct berth_engine *e, struct berth_container_waiter *w);

/* DELETE /containers/{id}?force=&v=: EBUSY (409) for a running container
 * without FORCE. Returns 0 when removed, 1 when a running container was
 * killed and DONE runs once it is gone (as dockerd, the answer waits). */
int berth_engine_container_remove(struct berth_engine *e, const char *name, bool force,
				  bool volumes, berth_container_done_cb done, void *data,
				  berth_error_t *err);

/* GET /containers/{id}/json. */
json_t *berth_engine_container_inspect(struct berth_engine *e, const char *name, bool size,
				       int api_version, berth_error_t *err);

/* GET /containers/json. LIMIT < 0: no limit. */
json_t *berth_engine_containers_list(struct berth_engine *e, const struct berth_filters *f,
				     bool all, int limit, bool size, int api_version,
				     berth_error_t *err);

/* POST /containers/prune (filters until, label, label!). */
json_t *berth_engine_containers_prune(struct berth_engine *e, const struct berth_filters *f,
				      berth_error_t *err);

/* GET /containers/{id}/logs: the log of the container as a stream of
 * docker frames (raw with a tty) from a worker thread into a pipe, whose
 * read end goes to *OUT_FD. FOLLOW keeps going until the container stops. */
struct berth_logs_opts {
	bool follow, stdout_, stderr_, timestamps;
	int64_t since_ns, until_ns, tail; /* tail < 0: all */
};
int berth_engine_container_logs(struct berth_engine *e, const char *name,
				const struct berth_logs_opts *o, int *out_fd, bool *tty,
				berth_error_t *err);

/* POST /containers/{id}/attach: which streams the client wants. */
struct berth_attach_opts {
	bool stream, logs, stdin_, stdout_, stderr_;
};
/* Checks NAME and returns whether it has a TTY (the content type depends
 * on it), before the connection is hijacked. */
int berth_engine_container_attach_check(struct berth_engine *e, const char *name, bool *tty,
					berth_error_t *err);
/* Hands the hijacked connection H to the container: output flows to it
 * (from the start if the container has not started yet), input to the
 * container's stdin; the engine closes H at the end. */
void berth_engine_container_attach(struct berth_engine *e, const char *name,
				   const struct berth_attach_opts *o, struct berth_http_hijack *h);

/* GET /containers/{id}/stats: one sample (docker's stats JSON) from the
 * cgroup; PREV (may be NULL) gives precpu_stats and preread. *RUNNING
 * says whether more samples make sense. */
json_t *berth_engine_container_stats(struct berth_engine *e, const char *name, const json_t *prev,
				     bool *running, berth_error_t *err);
/* GET /containers/{id}/top?ps_args=: {"Titles": [...], "Processes": [[...]]}. */
json_t *berth_engine_container_top(struct berth_engine *e, const char *name, const char *ps_args,
				   berth_error_t *err);
/* POST /containers/{id}/update: resources and restart policy, live. */
int berth_engine_container_update(struct berth_engine *e, const char *name, const json_t *body,
				  json_t **warnings, berth_error_t *err);

/* Counts for /info. */
void berth_engine_containers_count(struct berth_engine *e, int *total, int *running, int *paused,
				   int *stopped);

/* How many containers use the image IMAGE_ID (system df). */
int berth_engine_image_containers(struct berth_engine *e, const char *image_id);
/* The ID of a container that uses the image IMAGE_ID and runs (RUNNING)
 * or does not, or NULL (rmi's conflicts, prune). */
const char *berth_engine_image_user(struct berth_engine *e, const char *image_id, bool running);

#endif
