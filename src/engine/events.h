/* events.h: the event bus behind GET /events.
 *
 * Producers publish from any thread; delivery to subscribers happens on the
 * loop thread. The last BERTH_EVENTS_KEEP events are kept in memory for
 * `since` replays, as dockerd does. */
#ifndef BERTH_ENGINE_EVENTS_H
#define BERTH_ENGINE_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/filters.h"
#include "loop/loop.h"

#define BERTH_EVENTS_KEEP 1024

struct berth_event {
	char *type;	    /* owned: "container", "image", "daemon", ... */
	char *action;	    /* owned */
	char *actor_id;	    /* owned */
	json_t *attributes; /* owned: object of strings */
	const char *scope;  /* "local" */
	int64_t time_nano;
	int refs;
};

struct berth_events;
struct berth_events_sub;
typedef void (*berth_events_cb)(const struct berth_event *ev, void *data);

struct berth_events *berth_events_new(struct berth_loop *loop);
void berth_events_free(struct berth_events *bus);

/* Thread-safe. ATTRS (stolen, may be NULL) is an object of string values. */
void berth_events_publish(struct berth_events *bus, const char *type, const char *action,
			  const char *actor_id, json_t *attrs);

/* Loop thread only. CB sees every event published after this call. */
struct berth_events_sub *berth_events_subscribe(struct berth_events *bus, berth_events_cb cb,
						void *data);
void berth_events_unsubscribe(struct berth_events *bus, struct berth_events_sub *sub);

/* Loop thread only: calls CB for each kept event with SINCE <= time <= UNTIL
 * (UNTIL < 0: no upper bound), oldest first. */
void berth_events_replay(struct berth_events *bus, int64_t since_ns, int64_t until_ns,
			 berth_events_cb cb, void *data);

/* docker's events filter: type, event, container, image, daemon, network,
 * volume, plugin, node, service, secret, config, scope, label. */
bool berth_event_match(const struct berth_event *ev, const struct berth_filters *f);

/* The wire form; LEGACY adds status/id/from for container and image events. */
json_t *berth_event_to_json(const struct berth_event *ev, bool legacy);

#endif
