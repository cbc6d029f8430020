/* fuzz_mounts.c: HostConfig.Mounts entries (mount.Mount JSON) and the
 * local volume driver's options (DriverOpts JSON), as clients send them. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "engine/mounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	json_t *doc, *rec = NULL, *view;
	char *src = NULL, *type = NULL, *mdata = NULL;
	unsigned long flags;

	if (size > 64 * 1024)
		return 0;
	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (doc == NULL)
		return 0;
	if (berth_mount_parse_spec(doc, &rec, &err) == 0) {
		view = berth_mount_view(rec);
		json_decref(view);
		json_decref(rec);
	}
	berth_error_release(&err);
	if (berth_volume_check_opts(doc, &err) == 0 &&
	    berth_volume_mount_args(doc, &src, &type, &flags, &mdata)) {
		free(src);
		free(type);
		free(mdata);
	}
	berth_error_release(&err);
	json_decref(doc);
	return 0;
}
