/* fuzz_http_route.c: request line routing: version prefix and {params}.
 * Input: METHOD, a space, then the URL. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/xalloc.h"
#include "http/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_http_server_config c = { 0 };
	char *text, *sp, *verr = NULL, *param = NULL;
	int v;

	if (size > 16 * 1024)
		return 0;
	c.routes = berth_api_routes(&c.n_routes);
	c.api_min_major = 1;
	c.api_min_minor = 24;
	c.api_max_major = 1;
	c.api_max_minor = 47;
	text = xstrndup((const char *)data, size);
	sp = strchr(text, ' ');
	if (sp) {
		*sp = '\0';
		berth_http_route_test(&c, text, sp + 1, &v, &verr, &param);
	}
	free(verr);
	free(param);
	free(text);
	return 0;
}
