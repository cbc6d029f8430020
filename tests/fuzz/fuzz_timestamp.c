/* fuzz_timestamp.c: `since`/`until` values and Go durations. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "base/timeutil.h"
#include "base/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	char buf[64], *text;
	int64_t ns;

	if (size > 4096)
		return 0;
	text = xstrndup((const char *)data, size);
	if (berth_time_parse_timestamp(text, 1700000000000000000LL, &ns, &err) == 0)
		berth_time_format_rfc3339nano(ns, buf, sizeof(buf));
	berth_error_release(&err);
	if (berth_time_parse_duration(text, &ns, &err) == 0)
		berth_time_human_duration(ns < 0 ? -ns : ns, buf, sizeof(buf));
	berth_error_release(&err);
	free(text);
	return 0;
}
