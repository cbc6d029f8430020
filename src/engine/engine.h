/* engine.h: the object model behind the API. api/ calls only this layer.
 *
 * For now the engine owns the state store, the event bus and the daemon's
 * identity; containers, images, networks and volumes join it in later
 * issues. */
#ifndef BERTH_ENGINE_ENGINE_H
#define BERTH_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "engine/events.h"
#include "engine/sysinfo.h"
#include "loop/loop.h"

/* The settings the engine acts on (filled by the daemon from flags and
 * daemon.json). Strings and arrays are owned by the struct. */
struct berth_engine_config {
	char *data_root;
	char *exec_root;
	char *cgroup_root; /* normally /sys/fs/cgroup */
	bool debug;
	bool live_restore;
	bool experimental;
	json_t *labels;		     /* array of "k=v" strings */
	json_t *registry_mirrors;    /* array of URLs */
	json_t *insecure_registries; /* array of host[:port] or CIDR */
	json_t *address_pools;	     /* default-address-pools: [{"base":CIDR,"size":N}], or NULL */
	json_t *dns, *dns_opts, *dns_search; /* containers' defaults: arrays of strings, or NULL */
	char *host_gateway_ip;		     /* host-gateway's address, or NULL: the gateway's */
	int max_concurrent_downloads;
	int max_concurrent_uploads;
	int max_download_attempts;
	int shutdown_timeout;
};

void berth_engine_config_release(struct berth_engine_config *c);
/* Deep copy of SRC into DST. */
void berth_engine_config_copy(struct berth_engine_config *dst,
			      const struct berth_engine_config *src);

struct berth_engine;

/* Opens the store under the data root (creating the layout) and returns the
 * engine. CFG is copied. */
struct berth_engine *berth_engine_new(struct berth_loop *loop,
				      const struct berth_engine_config *cfg, berth_error_t *err);
void berth_engine_free(struct berth_engine *e);

struct berth_events *berth_engine_events(struct berth_engine *e);
const char *berth_engine_id(const struct berth_engine *e);

/* Applies the reloadable settings of CFG (SIGHUP) and publishes the
 * `daemon reload` event carrying them, as dockerd does. */
void berth_engine_reload(struct berth_engine *e, const struct berth_engine_config *cfg);

/* GET /version, GET /info, GET /system/df bodies. */
json_t *berth_engine_version(struct berth_engine *e);
json_t *berth_engine_info(struct berth_engine *e);
json_t *berth_engine_disk_usage(struct berth_engine *e, bool images, bool containers, bool volumes,
				bool build_cache);

/* Go's GOARCH for a uname machine ("x86_64" -> "amd64"). */
const char *berth_engine_goarch(const char *machine);

#endif
