/* fuzz_filters.c: the `filters` query argument. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/filters.h"
#include "base/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	struct berth_filters *f;
	char *text;
	json_t *labels;

	if (size > 100 * 1024)
		return 0;
	text = xstrndup((const char *)data, size);
	f = berth_filters_parse(text, &err);
	if (f) {
		labels = json_pack("{s:s}", "a", "b");
		berth_filters_match(f, "type", "container");
		berth_filters_fuzzy_match(f, "name", "abc");
		berth_filters_match_labels(f, "label", labels);
		json_decref(labels);
		berth_filters_free(f);
	}
	berth_error_release(&err);
	free(text);
	return 0;
}
