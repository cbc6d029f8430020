#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "base/xalloc.h"
#include "engine/events.h"

struct berth_events_sub {
	berth_events_cb cb;
	void *data;
	bool dead;
	struct berth_events_sub *next;
};

struct berth_events {
	struct berth_loop *loop; /* borrowed */
	pthread_mutex_t lock;	 /* guards ring and pending */
	struct berth_event *ring[BERTH_EVENTS_KEEP];
	size_t head, count;	      /* ring[(head + i) % KEEP], i < count: oldest first */
	struct berth_event **pending; /* published, not yet delivered */
	size_t n_pending;
	bool delivery_posted;
	struct berth_events_sub *subs; /* loop thread only */
	int delivering;
};

static void event_unref(struct berth_event *ev)
{
	if (ev == NULL || __atomic_sub_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(ev->type);
	free(ev->action);
	free(ev->actor_id);
	json_decref(ev->attributes);
	free(ev);
}

struct berth_events *berth_events_new(struct berth_loop *loop)
{
	struct berth_events *bus = xzalloc(sizeof(*bus));

	bus->loop = loop;
	pthread_mutex_init(&bus->lock, NULL);
	return bus;
}

void berth_events_free(struct berth_events *bus)
{
	size_t i;

	if (bus == NULL)
		return;
	for (i = 0; i < bus->count; i++)
		event_unref(bus->ring[(bus->head + i) % BERTH_EVENTS_KEEP]);
	for (i = 0; i < bus->n_pending; i++)
		event_unref(bus->pending[i]);
	free(bus->pending);
	while (bus->subs) {
		struct berth_events_sub *s = bus->subs;
		bus->subs = s->next;
		free(s);
	}
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

static void prune_subs(struct berth_events *bus)
{
	struct berth_events_sub **pp = &bus->subs;

	while (*pp) {
		if ((*pp)->dead) {
			struct berth_events_sub *s = *pp;
			*pp = s->next;
			free(s);
		} else
			pp = &(*pp)->next;
	}
}

/* Runs on the loop thread: hands pending events to subscribers. */
static void deliver(void *data)
{
	struct berth_events *bus = data;
	struct berth_event **batch;
	size_t n, i;

	pthread_mutex_lock(&bus->lock);
	batch = bus->pending;
	n = bus->n_pending;
	bus->pending = NULL;
	bus->n_pending = 0;
	bus->delivery_posted = false;
	pthread_mutex_unlock(&bus->lock);

	bus->delivering++;
	for (i = 0; i < n; i++) {
		struct berth_events_sub *s;
		for (s = bus->subs; s; s = s->next)
			if (!s->dead)
				s->cb(batch[i], s->data);
		event_unref(batch[i]);
	}
	bus->delivering--;
	if (bus->delivering == 0)
		prune_subs(bus);
	free(batch);
}

void berth_events_publish(struct berth_events *bus, const char *type, const char *action,
			  const char *actor_id, json_t *attrs)
{
	struct berth_event *ev = xzalloc(sizeof(*ev));
	bool post;

	ev->type = xstrdup(type);
	ev->action = xstrdup(action);
	ev->actor_id = xstrdup(actor_id ? actor_id : "");
	ev->attributes = attrs ? attrs : json_object();
	ev->scope = "local";
	ev->refs = 2; /* the ring and the pending list */

	pthread_mutex_lock(&bus->lock);
	/* stamp under the lock so that the ring stays ordered by time */
	ev->time_nano = berth_time_now_ns();
	if (bus->count == BERTH_EVENTS_KEEP) {
		event_unref(bus->ring[bus->head]);
		bus->head = (bus->head + 1) % BERTH_EVENTS_KEEP;
		bus->count--;
	}
	bus->ring[(bus->head + bus->count) % BERTH_EVENTS_KEEP] = ev;
	bus->count++;
	bus->pending = xrealloc(bus->pending, sizeof(*bus->pending) * (bus->n_pending + 1));
	bus->pending[bus->n_pending++] = ev;
	post = !bus->delivery_posted;
	bus->delivery_posted = true;
	pthread_mutex_unlock(&bus->lock);
	if (post)
		berth_loop_post(bus->loop, deliver, bus);
}

struct berth_events_sub *berth_events_subscribe(struct berth_events *bus, berth_events_cb cb,
						void *data)
{
	struct berth_events_sub *s = xzalloc(sizeof(*s));

	s->cb = cb;
	s->data = data;
	s->next = bus->subs;
	bus->subs = s;
	return s;
}

void berth_events_unsubscribe(struct berth_events *bus, struct berth_events_sub *sub)
{
	if (sub == NULL)
		return;
	sub->dead = true;
	if (bus->delivering == 0)
		prune_subs(bus);
}

void berth_events_replay(struct berth_events *bus, int64_t since_ns, int64_t until_ns,
			 berth_events_cb cb, void *data)
{
	struct berth_event **copy;
	size_t i, n = 0;

	/* Copy under the lock, call back outside it: a callback may publish. */
	pthread_mutex_lock(&bus->lock);
	copy = xcalloc(bus->count + 1, sizeof(*copy));
	for (i = 0; i < bus->count; i++) {
		struct berth_event *ev = bus->ring[(bus->head + i) % BERTH_EVENTS_KEEP];
		if (ev->time_nano < since_ns || (until_ns >= 0 && ev->time_nano > until_ns))
			continue;
		__atomic_add_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL);
		copy[n++] = ev;
	}
	pthread_mutex_unlock(&bus->lock);
	for (i = 0; i < n; i++) {
		cb(copy[i], data);
		event_unref(copy[i]);
	}
	free(copy);
}

static const char *attr(const struct berth_event *ev, const char *key)
{
	return json_string_value(json_object_get(ev->attributes, key));
}

static bool fuzzy_name(const struct berth_event *ev, const struct berth_filters *f, const char *key)
{
	if (!berth_filters_has(f, key))
		return true;
	return berth_filters_fuzzy_match(f, key, ev->actor_id) ||
	       berth_filters_fuzzy_match(f, key, attr(ev, "name"));
}

/* "exec_start: sh -c x" matches the filter "exec_start", as in moby. */
static bool match_action(const struct berth_event *ev, const struct berth_filters *f)
{
	const char *colon = strchr(ev->action, ':');

	if (berth_filters_match(f, "event", ev->action))
		return true;
	if (colon && (strncmp(ev->action, "exec_", 5) == 0 ||
		      strncmp(ev->action, "health_status", 13) == 0)) {
		char *prefix = xstrndup(ev->action, (size_t)(colon - ev->action));
		bool ok = berth_filters_match(f, "event", prefix);
		free(prefix);
		return ok;
	}
	return false;
}

static bool match_image(const struct berth_event *ev, const struct berth_filters *f)
{
	if (!berth_filters_has(f, "image"))
		return true;
	return berth_filters_match(f, "image", ev->actor_id) ||
	       berth_filters_match(f, "image", attr(ev, "image")) ||
	       berth_filters_match(f, "image", attr(ev, "name"));
}

bool berth_event_match(const struct berth_event *ev, const struct berth_filters *f)
{
	static const char *const named[] = { "container", "daemon",  "plugin", "volume", "network",
					     "node",	  "service", "secret", "config" };
	size_t i;

	if (!match_action(ev, f) || !berth_filters_match(f, "type", ev->type) ||
	    !berth_filters_match(f, "scope", ev->scope) || !match_image(ev, f) ||
	    !berth_filters_match_labels(f, "label", ev->attributes))
		return false;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!fuzzy_name(ev, f, named[i]))
			return false;
	return true;
}

json_t *berth_event_to_json(const struct berth_event *ev, bool legacy)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:{s:s, s:O}, s:s, s:I, s:I}", "Type", ev->type, "Action", ev->action,
	    "Actor", "ID", ev->actor_id, "Attributes", ev->attributes, "scope", ev->scope, "time",
	    (json_int_t)(ev->time_nano / 1000000000LL), "timeNano", (json_int_t)ev->time_nano);

	if (legacy && (strcmp(ev->type, "container") == 0 || strcmp(ev->type, "image") == 0)) {
		json_object_set_new(j, "status", json_string(ev->action));
		json_object_set_new(j, "id", json_string(ev->actor_id));
		if (attr(ev, "image"))
			json_object_set_new(j, "from", json_string(attr(ev, "image")));
	}
	return j;
}
