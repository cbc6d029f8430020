/* fuzz_binds.c: the volume specs of `docker run -v` and --volumes-from as
 * clients send them (HostConfig.Binds, HostConfig.VolumesFrom), and
 * path.Clean on the same bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/mounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	json_t *rec = NULL, *view;
	char *text, *clean, *id = NULL;
	bool rw;

	if (size > 16 * 1024)
		return 0;
	text = xstrndup((const char *)data, size);
	if (berth_mount_parse_bind(text, &rec, &err) == 0) {
		view = berth_mount_view(rec);
		json_decref(view);
		json_decref(rec);
	}
	berth_error_release(&err);
	if (berth_mount_parse_volumes_from(text, &id, &rw, &err) == 0)
		free(id);
	berth_error_release(&err);
	clean = berth_mount_clean_path(text);
	/* path.Clean is idempotent */
	if (clean) {
		char *again = berth_mount_clean_path(clean);
		if (strcmp(again, clean) != 0)
			abort();
		free(again);
	}
	free(clean);
	(void)berth_volume_name_valid(text);
	free(text);
	return 0;
}
