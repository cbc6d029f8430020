/* fuzz_daemon_config.c: daemon.json. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "daemon/daemon_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { (char *)"daemon", NULL };
	struct berth_daemon_config cfg;
	berth_error_t err = NULL;

	if (size > 100 * 1024)
		return 0;
	if (berth_daemon_config_parse_args(&cfg, 1, argv, &err) == 0)
		berth_daemon_config_merge_json(&cfg, (const char *)data, size, "daemon.json", &err);
	berth_error_release(&err);
	berth_daemon_config_release(&cfg);
	return 0;
}
