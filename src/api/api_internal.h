/* api_internal.h: handler prototypes shared by the files of api/. */
#ifndef BERTH_API_API_INTERNAL_H
#define BERTH_API_API_INTERNAL_H

#include "api/api.h"

void api_ping(struct berth_http_req *req, void *ctx);
void api_version(struct berth_http_req *req, void *ctx);
void api_info(struct berth_http_req *req, void *ctx);
void api_events(struct berth_http_req *req, void *ctx);
void api_system_df(struct berth_http_req *req, void *ctx);
void api_plugins_list(struct berth_http_req *req, void *ctx);
void api_plugin_inspect(struct berth_http_req *req, void *ctx);
void api_swarm_inactive(struct berth_http_req *req, void *ctx);
void api_not_implemented(struct berth_http_req *req, void *ctx);
void api_no_such_container(struct berth_http_req *req, void *ctx);
void api_containers_create(struct berth_http_req *req, void *ctx);
void api_containers_list(struct berth_http_req *req, void *ctx);
void api_container_inspect(struct berth_http_req *req, void *ctx);
void api_container_start(struct berth_http_req *req, void *ctx);
void api_container_stop(struct berth_http_req *req, void *ctx);
void api_container_restart(struct berth_http_req *req, void *ctx);
void api_container_kill(struct berth_http_req *req, void *ctx);
void api_container_pause(struct berth_http_req *req, void *ctx);
void api_container_unpause(struct berth_http_req *req, void *ctx);
void api_container_rename(struct berth_http_req *req, void *ctx);
void api_container_resize(struct berth_http_req *req, void *ctx);
void api_container_wait(struct berth_http_req *req, void *ctx);
void api_container_delete(struct berth_http_req *req, void *ctx);
void api_containers_prune(struct berth_http_req *req, void *ctx);
void api_networks_list(struct berth_http_req *req, void *ctx);
void api_network_inspect(struct berth_http_req *req, void *ctx);
void api_network_create(struct berth_http_req *req, void *ctx);
void api_network_delete(struct berth_http_req *req, void *ctx);
void api_networks_prune(struct berth_http_req *req, void *ctx);
void api_network_connect(struct berth_http_req *req, void *ctx);
void api_network_disconnect(struct berth_http_req *req, void *ctx);
void api_volumes_list(struct berth_http_req *req, void *ctx);
void api_volume_create(struct berth_http_req *req, void *ctx);
void api_volume_inspect(struct berth_http_req *req, void *ctx);
void api_volume_update(struct berth_http_req *req, void *ctx);
void api_volume_delete(struct berth_http_req *req, void *ctx);
void api_volumes_prune(struct berth_http_req *req, void *ctx);
void api_container_logs(struct berth_http_req *req, void *ctx);
void api_container_attach(struct berth_http_req *req, void *ctx);
void api_container_archive_head(struct berth_http_req *req, void *ctx);
void api_container_archive_get(struct berth_http_req *req, void *ctx);
void api_container_archive_put(struct berth_http_req *req, void *ctx);
void api_container_export(struct berth_http_req *req, void *ctx);
void api_container_changes(struct berth_http_req *req, void *ctx);
void api_container_top(struct berth_http_req *req, void *ctx);
void api_container_stats(struct berth_http_req *req, void *ctx);
void api_container_update(struct berth_http_req *req, void *ctx);
void api_exec_create(struct berth_http_req *req, void *ctx);
void api_exec_start(struct berth_http_req *req, void *ctx);
void api_exec_inspect(struct berth_http_req *req, void *ctx);
void api_exec_resize(struct berth_http_req *req, void *ctx);
void api_images_create(struct berth_http_req *req, void *ctx);
void api_images_list(struct berth_http_req *req, void *ctx);
void api_image_inspect(struct berth_http_req *req, void *ctx);
void api_image_history(struct berth_http_req *req, void *ctx);
void api_image_tag(struct berth_http_req *req, void *ctx);
void api_image_push(struct berth_http_req *req, void *ctx);
void api_images_get(struct berth_http_req *req, void *ctx);
void api_image_get(struct berth_http_req *req, void *ctx);
void api_images_load(struct berth_http_req *req, void *ctx);
void api_images_prune(struct berth_http_req *req, void *ctx);
void api_distribution_inspect(struct berth_http_req *req, void *ctx);
void api_image_delete(struct berth_http_req *req, void *ctx);
void api_images_search(struct berth_http_req *req, void *ctx);

#endif
