/* cmd_image.c: `berth image`, docker's management command for images. */
#include "config.h"

#include "base/cleanup.h"
#include "cli/cli.h"
#include "cli/cmds.h"

/* in docker's order, which is by name (build and import are not there yet) */
static const struct berth_command *const image_subs[] = {
	&berth_cmd_image_history, &berth_cmd_image_inspect, &berth_cmd_image_load,
	&berth_cmd_image_ls,	  &berth_cmd_image_prune,   &berth_cmd_image_pull,
	&berth_cmd_image_push,	  &berth_cmd_image_rm,	    &berth_cmd_image_save,
	&berth_cmd_image_tag,
};

const struct berth_command berth_cmd_image = {
	.name = "image",
	.use = "image",
	.short_desc = "Manage images",
	.group = BERTH_CMD_MANAGEMENT,
	.subs = image_subs,
	.nsubs = BERTH_ARRAY_SIZE(image_subs),
};
