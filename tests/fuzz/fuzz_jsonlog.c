/* fuzz_jsonlog.c: json-file log lines, as `docker logs` reads them back. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "base/jsonlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_jsonlog_entry e;
	char *buf = NULL;

	if (size > 100 * 1024)
		return 0;
	if (berth_jsonlog_parse_line((const char *)data, size, &e, &buf) && e.len > 0)
		(void)e.log[e.len - 1];
	free(buf);
	return 0;
}
