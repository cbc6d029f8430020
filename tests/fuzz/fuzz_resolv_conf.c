/* fuzz_resolv_conf.c: the host's /etc/resolv.conf, read for the upstream
 * servers of the embedded resolver. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "net/resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SLOTS + 1][46];
	char *text;
	size_t n, i, max;

	/* the resolver reads at most 64 KiB */
	if (size > 64 * 1024)
		return 0;
	/* it gets a C string: the text up to the first NUL */
	text = xstrndup((const char *)data, size);
	max = size % (SLOTS + 1);
	memset(out, 0x5a, sizeof(out));
	n = berth_resolver_host_servers(text, out, max);
	if (n > max)
		abort();
	/* non-empty strings, never ours, never zone-scoped */
	for (i = 0; i < n; i++)
		if (memchr(out[i], '\0', sizeof(out[i])) == NULL || out[i][0] == '\0' ||
		    strcmp(out[i], "127.0.0.11") == 0 || strchr(out[i], '%') != NULL)
			abort();
	/* nothing written past MAX */
	for (i = max; i <= SLOTS; i++)
		if (out[i][0] != 0x5a)
			abort();
	free(text);
	return 0;
}
