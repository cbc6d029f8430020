/* fuzz_reference.c: image references (berth_ref_parse and its printers). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	struct berth_ref r;
	char *text, *s;

	if (size > 100 * 1024)
		return 0;
	text = xstrndup((const char *)data, size);
	if (berth_ref_parse(text, &r, &err) == 0) {
		struct berth_ref again;

		berth_ref_default_tag(&r);
		/* the full form must parse back to the same reference */
		s = berth_ref_string(&r);
		if (berth_ref_parse(s, &again, &err) < 0)
			abort();
		if (strcmp(again.path, r.path) != 0 || strcmp(again.domain, r.domain) != 0)
			abort();
		berth_ref_release(&again);
		free(s);
		free(berth_ref_familiar(&r));
		free(berth_ref_familiar_name(&r));
		free(berth_ref_name(&r));
		berth_ref_release(&r);
	}
	berth_error_release(&err);
	berth_digest_valid(text);
	berth_digest_check(text, &err);
	berth_error_release(&err);
	free(text);
	return 0;
}
