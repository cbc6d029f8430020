/* api.h: the Docker Engine API handlers, one file per resource. */
#ifndef BERTH_API_API_H
#define BERTH_API_API_H

#include <stddef.h>

#include "engine/engine.h"
#include "http/server.h"
#include "loop/loop.h"

/* What every handler gets as its context. */
struct berth_api {
	struct berth_engine *engine; /* borrowed */
	struct berth_loop *loop;     /* borrowed */
};

/* The route table served by the daemon. */
const struct berth_route *berth_api_routes(size_t *n);

#endif
