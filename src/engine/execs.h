/* execs.h: exec instances (POST /containers/{id}/exec, /exec/{id}/...).
 * Loop thread only. */
#ifndef BERTH_ENGINE_EXECS_H
#define BERTH_ENGINE_EXECS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

struct berth_engine;
struct berth_http_hijack;

/* POST /containers/{id}/exec: BODY (borrowed) is docker's ExecConfig.
 * EBUSY (409) when the container is not running or paused. {"Id": ...} */
json_t *berth_engine_exec_create(struct berth_engine *e, const char *container,
				 const json_t *body, berth_error_t *err);
/* POST /exec/{id}/start, before the hijack: ENOENT, or EBUSY for one that
 * ran already or whose container stopped. */
int berth_engine_exec_start_check(struct berth_engine *e, const char *id, berth_error_t *err);
/* Starts it with its streams on the hijacked H (closed by the engine). */
void berth_engine_exec_start(struct berth_engine *e, const char *id, bool tty,
			     struct berth_http_hijack *h);
/* Starts it detached. */
int berth_engine_exec_start_detached(struct berth_engine *e, const char *id, bool tty,
				     berth_error_t *err);
/* GET /exec/{id}/json. */
json_t *berth_engine_exec_inspect(struct berth_engine *e, const char *id, berth_error_t *err);
/* POST /exec/{id}/resize. */
int berth_engine_exec_resize(struct berth_engine *e, const char *id, unsigned h, unsigned w,
			     berth_error_t *err);

#endif
