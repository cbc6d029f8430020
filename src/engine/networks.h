/* networks.h: docker's networks (issue 5): the predefined `bridge`, `host`
 * and `none`, user-defined bridge networks, and the API on them.
 *
 * A network has a row in the state store (its document: name, driver,
 * IPAM, options, labels, created) and, for the bridge driver, a Linux
 * bridge (berth0 for `bridge`, br-<id12> for the others) made when the
 * first container attaches or at create. Containers attach at start:
 * a veth pair into the container's network namespace, an address from the
 * network's IPAM, published ports, and berth's nftables table rebuilt
 * from every network and running container (net/nft.h). Loop thread only. */
#ifndef BERTH_ENGINE_NETWORKS_H
#define BERTH_ENGINE_NETWORKS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/filters.h"

struct berth_engine;

/* GET /networks: filters name, id, label, driver, type (custom|builtin),
 * scope, dangling. */
json_t *berth_engine_networks_list(struct berth_engine *e, const struct berth_filters *f,
				   berth_error_t *err);
/* GET /networks/{id}: by full or partial ID or by name; ENOENT
 * "network X not found". */
json_t *berth_engine_network_inspect(struct berth_engine *e, const char *id, berth_error_t *err);
/* POST /networks/create: {"Id":..., "Warning":""}. EEXIST for a name in use
 * or an overlapping subnet (409), EINVAL for a bad request, ENOSYS for a
 * driver berth has not got. */
json_t *berth_engine_network_create(struct berth_engine *e, const json_t *body,
				    berth_error_t *err);
/* DELETE /networks/{id}: EPERM for a predefined network, EBUSY while a
 * container uses it. */
int berth_engine_network_remove(struct berth_engine *e, const char *id, berth_error_t *err);
/* POST /networks/prune: filters until, label, label!. */
json_t *berth_engine_networks_prune(struct berth_engine *e, const struct berth_filters *f,
				    berth_error_t *err);
/* POST /networks/{id}/connect and /disconnect. */
int berth_engine_network_connect(struct berth_engine *e, const char *id, const json_t *body,
				 berth_error_t *err);
int berth_engine_network_disconnect(struct berth_engine *e, const char *id, const json_t *body,
				    berth_error_t *err);

#endif
