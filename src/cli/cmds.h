/* cmds.h: the commands of the berth CLI, one file each (cmd_<name>.c). */
#ifndef BERTH_CLI_CMDS_H
#define BERTH_CLI_CMDS_H

#include "cli/cli.h"

extern const struct berth_command berth_cmd_version;
extern const struct berth_command berth_cmd_info;
extern const struct berth_command berth_cmd_events;
extern const struct berth_command berth_cmd_system;
extern const struct berth_command berth_cmd_system_df;
/* images: top-level commands and the `berth image` group */
extern const struct berth_command berth_cmd_pull;
extern const struct berth_command berth_cmd_push;
extern const struct berth_command berth_cmd_images;
extern const struct berth_command berth_cmd_history;
extern const struct berth_command berth_cmd_inspect;
extern const struct berth_command berth_cmd_load;
extern const struct berth_command berth_cmd_rmi;
extern const struct berth_command berth_cmd_save;
extern const struct berth_command berth_cmd_tag;
extern const struct berth_command berth_cmd_image;
extern const struct berth_command berth_cmd_image_history;
extern const struct berth_command berth_cmd_image_inspect;
extern const struct berth_command berth_cmd_image_load;
extern const struct berth_command berth_cmd_image_ls;
extern const struct berth_command berth_cmd_image_prune;
extern const struct berth_command berth_cmd_image_pull;
extern const struct berth_command berth_cmd_image_push;
extern const struct berth_command berth_cmd_image_rm;
extern const struct berth_command berth_cmd_image_save;
extern const struct berth_command berth_cmd_image_tag;
/* containers: top-level commands and the `berth container` group */
extern const struct berth_command berth_cmd_run;
extern const struct berth_command berth_cmd_create;
extern const struct berth_command berth_cmd_ps;
extern const struct berth_command berth_cmd_start;
extern const struct berth_command berth_cmd_stop;
extern const struct berth_command berth_cmd_restart;
extern const struct berth_command berth_cmd_kill;
extern const struct berth_command berth_cmd_rm;
extern const struct berth_command berth_cmd_pause;
extern const struct berth_command berth_cmd_unpause;
extern const struct berth_command berth_cmd_wait;
extern const struct berth_command berth_cmd_rename;
extern const struct berth_command berth_cmd_logs;
extern const struct berth_command berth_cmd_container;
extern const struct berth_command berth_cmd_container_run;
extern const struct berth_command berth_cmd_container_create;
extern const struct berth_command berth_cmd_container_ls;
extern const struct berth_command berth_cmd_container_start;
extern const struct berth_command berth_cmd_container_stop;
extern const struct berth_command berth_cmd_container_restart;
extern const struct berth_command berth_cmd_container_kill;
extern const struct berth_command berth_cmd_container_rm;
extern const struct berth_command berth_cmd_container_pause;
extern const struct berth_command berth_cmd_container_unpause;
extern const struct berth_command berth_cmd_container_wait;
extern const struct berth_command berth_cmd_container_rename;
extern const struct berth_command berth_cmd_container_logs;
extern const struct berth_command berth_cmd_container_inspect;
extern const struct berth_command berth_cmd_exec;
extern const struct berth_command berth_cmd_attach;
extern const struct berth_command berth_cmd_top;
extern const struct berth_command berth_cmd_port;
extern const struct berth_command berth_cmd_diff;
extern const struct berth_command berth_cmd_export;
extern const struct berth_command berth_cmd_update;
extern const struct berth_command berth_cmd_container_exec;
extern const struct berth_command berth_cmd_container_attach;
extern const struct berth_command berth_cmd_container_top;
extern const struct berth_command berth_cmd_container_port;
extern const struct berth_command berth_cmd_container_diff;
extern const struct berth_command berth_cmd_container_export;
extern const struct berth_command berth_cmd_container_update;
extern const struct berth_command berth_cmd_container_prune;
extern const struct berth_command berth_cmd_stats;
extern const struct berth_command berth_cmd_container_stats;
extern const struct berth_command berth_cmd_cp;
extern const struct berth_command berth_cmd_container_cp;
/* networks: the `berth network` group */
extern const struct berth_command berth_cmd_network;
extern const struct berth_command berth_cmd_network_connect;
extern const struct berth_command berth_cmd_network_create;
extern const struct berth_command berth_cmd_network_disconnect;
extern const struct berth_command berth_cmd_network_inspect;
extern const struct berth_command berth_cmd_network_ls;
extern const struct berth_command berth_cmd_network_prune;
extern const struct berth_command berth_cmd_network_rm;
/* volumes: the `berth volume` group (cmd_volume.c) */
extern const struct berth_command berth_cmd_volume;

#endif
