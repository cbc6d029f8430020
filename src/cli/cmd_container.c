/* cmd_container.c: `berth container`, docker's management command for
 * containers; its subcommands are the top-level ones under their
 * `container` names (ls for ps). */
#include "config.h"

#include "base/cleanup.h"
#include "cli/cli.h"
#include "cli/cmds.h"

/* in docker's order, which is by name (commit is not there yet) */
static const struct berth_command *const container_subs[] = {
	&berth_cmd_container_attach,  &berth_cmd_container_cp,	   &berth_cmd_container_create,
	&berth_cmd_container_diff,    &berth_cmd_container_exec,   &berth_cmd_container_export,
	&berth_cmd_container_inspect, &berth_cmd_container_kill,   &berth_cmd_container_logs,
	&berth_cmd_container_ls,      &berth_cmd_container_pause,  &berth_cmd_container_port,
	&berth_cmd_container_prune,   &berth_cmd_container_rename, &berth_cmd_container_restart,
	&berth_cmd_container_rm,      &berth_cmd_container_run,	   &berth_cmd_container_start,
	&berth_cmd_container_stats,   &berth_cmd_container_stop,   &berth_cmd_container_top,
	&berth_cmd_container_unpause, &berth_cmd_container_update, &berth_cmd_container_wait,
};

const struct berth_command berth_cmd_container = {
	.name = "container",
	.use = "container",
	.short_desc = "Manage containers",
	.group = BERTH_CMD_MANAGEMENT,
	.subs = container_subs,
	.nsubs = BERTH_ARRAY_SIZE(container_subs),
};
