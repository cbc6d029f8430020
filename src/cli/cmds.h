/* cmds.h: the commands of the berth CLI, one file each (cmd_<name>.c). */
#ifndef BERTH_CLI_CMDS_H
#define BERTH_CLI_CMDS_H

#include "cli/cli.h"

extern const struct berth_command berth_cmd_version;
extern const struct berth_command berth_cmd_info;
extern const struct berth_command berth_cmd_events;
extern const struct berth_command berth_cmd_system;
extern const struct berth_command berth_cmd_system_df;

#endif
