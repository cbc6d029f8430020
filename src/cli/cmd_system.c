/* cmd_system.c: `berth system`, docker's management command that groups
 * df, events and info. */
#include "config.h"

#include "base/cleanup.h"
#include "cli/cli.h"
#include "cli/cmds.h"

static const struct berth_command *const system_subs[] = {
	&berth_cmd_system_df,
	&berth_cmd_events,
	&berth_cmd_info,
};

const struct berth_command berth_cmd_system = {
	.name = "system",
	.use = "system",
	.short_desc = "Manage berth",
	.group = BERTH_CMD_MANAGEMENT,
	.subs = system_subs,
	.nsubs = BERTH_ARRAY_SIZE(system_subs),
};
